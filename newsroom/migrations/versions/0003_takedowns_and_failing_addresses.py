"""takedowns, scheduled publishing, failing addresses

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

import newsroom.records

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "failing_addresses",
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("first_failed_at", newsroom.records.UtcDateTime(timezone=True), nullable=False),
        sa.Column("last_failed_at", newsroom.records.UtcDateTime(timezone=True), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("office_told_at", newsroom.records.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("address"),
    )
    with op.batch_alter_table("drafts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("publish_at", newsroom.records.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("post_removed_at", newsroom.records.UtcDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("drafts", schema=None) as batch_op:
        batch_op.drop_column("post_removed_at")
        batch_op.drop_column("publish_at")

    op.drop_table("failing_addresses")
