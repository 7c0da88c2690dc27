"""assignment of drafts to board members; publishing failures told to the office once

Revision ID: 0009_assignment
Revises: 0008_mailbox_leases
"""

import sqlalchemy as sa
from alembic import op

import newsroom.records

revision = "0009_assignment"
down_revision = "0008_mailbox_leases"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("drafts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("publish_failing_since", newsroom.records.UtcDateTime(timezone=True)))
        batch_op.add_column(sa.Column("publish_alerted_at", newsroom.records.UtcDateTime(timezone=True)))
        batch_op.add_column(sa.Column("assignee_address", sa.String(length=320), nullable=True))
        batch_op.add_column(sa.Column("assignee_name", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("assigned_at", newsroom.records.UtcDateTime(timezone=True)))
        batch_op.create_index("ix_drafts_assignee_address", ["assignee_address"])


def downgrade() -> None:
    with op.batch_alter_table("drafts", schema=None) as batch_op:
        batch_op.drop_index("ix_drafts_assignee_address")
        for column in (
            "assigned_at",
            "assignee_name",
            "assignee_address",
            "publish_alerted_at",
            "publish_failing_since",
        ):
            batch_op.drop_column(column)
