"""mailbox leases and daemon heartbeats: which daemon holds each site's IMAP connection, and which are alive

Revision ID: 0008_mailbox_leases
Revises: 0007_sites
"""

import sqlalchemy as sa
from alembic import op

import newsroom.records

revision = "0008_mailbox_leases"
down_revision = "0007_sites"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mailbox_leases",
        sa.Column("site_id", sa.String(length=63), nullable=False),
        sa.Column("holder", sa.String(length=255), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("last_mail_at", newsroom.records.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("site_id"),
    )
    op.create_table(
        "daemon_heartbeats",
        sa.Column("holder", sa.String(length=255), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("holder"),
    )


def downgrade() -> None:
    op.drop_table("daemon_heartbeats")
    op.drop_table("mailbox_leases")
