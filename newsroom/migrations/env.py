"""Alembic environment: migrations run on the connection the caller hands over."""

from alembic import context
from sqlalchemy import create_engine

from newsroom.records import Base

connection = context.config.attributes.get("connection")
if connection is None:  # `alembic revision --autogenerate` from a developer's shell
    connection = create_engine(context.config.get_main_option("sqlalchemy.url")).connect()
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
