"""royalty coefficients and periodic runs (royalty list, reports, quota reminders, backups)

Revision ID: 0006_royalties_reports
Revises: 0005_questions
"""

import sqlalchemy as sa
from alembic import op

import newsroom.records

revision = "0006_royalties_reports"
down_revision = "0005_questions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "royalty_coefficients",
        sa.Column("draft_id", sa.Integer(), nullable=False),
        sa.Column("coefficient", sa.Float(), nullable=False),
        sa.Column("set_by_address", sa.String(length=320), nullable=False),
        sa.Column("set_by_name", sa.String(length=300), nullable=False),
        sa.Column("set_by_role", sa.String(length=60), nullable=False),
        sa.Column("set_at", newsroom.records.UtcDateTime(timezone=True), nullable=False),
        sa.Column("message_id", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(["draft_id"], ["drafts.id"]),
        sa.PrimaryKeyConstraint("draft_id"),
    )
    op.create_table(
        "periodic_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job", sa.String(length=60), nullable=False),
        sa.Column("period", sa.String(length=20), nullable=False),
        sa.Column("done_at", newsroom.records.UtcDateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("message_id", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("job", "period"),
    )


def downgrade() -> None:
    op.drop_table("periodic_runs")
    op.drop_table("royalty_coefficients")
