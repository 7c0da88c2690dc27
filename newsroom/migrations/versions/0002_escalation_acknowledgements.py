"""escalation acknowledgements and paused clocks

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

import newsroom.records

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("drafts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("clock_paused_at", newsroom.records.UtcDateTime(timezone=True), nullable=True))

    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message_id", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("acknowledged_at", newsroom.records.UtcDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_escalations_message_id"), ["message_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_escalations_message_id"))
        batch_op.drop_column("acknowledged_at")
        batch_op.drop_column("message_id")

    with op.batch_alter_table("drafts", schema=None) as batch_op:
        batch_op.drop_column("clock_paused_at")
