"""IMAP UIDVALIDITY and UID as 64-bit integers

They are unsigned 32-bit numbers (RFC 3501): Dovecot's UIDVALIDITY is the mailbox's creation time, past
2^31 after 2038-01-19, and other servers use the whole range. SQLite's INTEGER holds them; PostgreSQL's
INTEGER refused them and the mailbox stopped at its first message.

Revision ID: 0010_imap_uids_bigint
Revises: 0009_assignment
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_imap_uids_bigint"
down_revision = "0009_assignment"
branch_labels = None
depends_on = None


def _retype(old: sa.types.TypeEngine, new: sa.types.TypeEngine) -> None:
    with op.batch_alter_table("incoming_messages") as batch:
        for column in ("uidvalidity", "uid"):
            batch.alter_column(column, existing_type=old, type_=new, existing_nullable=False)


def upgrade() -> None:
    _retype(sa.Integer(), sa.BigInteger())


def downgrade() -> None:
    _retype(sa.BigInteger(), sa.Integer())
