"""citizens' questions: questions, their messages and alerts; outbox and audit rows tied to a question

Revision ID: 0005_questions
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

import newsroom.records

revision = "0005_questions"
down_revision = "0003"
branch_labels = None
depends_on = None


def _at(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, newsroom.records.UtcDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("asker_address", sa.String(length=320), nullable=False),
        sa.Column("asker_name", sa.String(length=300), nullable=False),
        sa.Column("via", sa.String(length=20), nullable=False),
        sa.Column("topic", sa.String(length=60), nullable=True),
        sa.Column("unit_name", sa.String(length=300), nullable=True),
        sa.Column("unit_address", sa.String(length=320), nullable=True),
        _at("received_at", nullable=False),
        _at("due_at"),
        _at("very_overdue_at"),
        sa.Column("deadline_rule", sa.String(length=60), nullable=True),
        _at("forward_at"),
        _at("forwarded_at"),
        sa.Column("answer_html", sa.Text(), nullable=True),
        sa.Column("answer_by", sa.String(length=320), nullable=True),
        _at("answered_at"),
        sa.Column("closed_reason", sa.Text(), nullable=True),
        sa.Column("draft_id", sa.Integer(), sa.ForeignKey("drafts.id"), nullable=True),
        sa.Column("incoming_id", sa.Integer(), sa.ForeignKey("incoming_messages.id"), nullable=True),
        sa.Column("thread_root", sa.String(length=500), nullable=True),
        sa.Column("asker_thread", sa.String(length=500), nullable=True),
        _at("created_at", nullable=False),
        _at("updated_at", nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_index("ix_questions_status", "questions", ["status"])
    op.create_index("ix_questions_asker_address", "questions", ["asker_address"])
    op.create_table(
        "question_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), sa.ForeignKey("questions.id"), nullable=False),
        sa.Column("party", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("incoming_id", sa.Integer(), sa.ForeignKey("incoming_messages.id"), nullable=True),
        _at("at", nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_question_messages_question_id", "question_messages", ["question_id"])
    op.create_table(
        "question_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), sa.ForeignKey("questions.id"), nullable=False),
        sa.Column("step", sa.String(length=60), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        _at("sent_at", nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("question_id", "step", "recipient"),
    )
    for table in ("outbox", "audit_events"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("question_id", sa.Integer(), nullable=True))
            batch_op.create_index(f"ix_{table}_question_id", ["question_id"])
            batch_op.create_foreign_key(f"fk_{table}_question_id", "questions", ["question_id"], ["id"])


def downgrade() -> None:
    for table in ("audit_events", "outbox"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"fk_{table}_question_id", type_="foreignkey")
            batch_op.drop_index(f"ix_{table}_question_id")
            batch_op.drop_column("question_id")
    op.drop_table("question_alerts")
    op.drop_index("ix_question_messages_question_id", table_name="question_messages")
    op.drop_table("question_messages")
    op.drop_index("ix_questions_asker_address", table_name="questions")
    op.drop_index("ix_questions_status", table_name="questions")
    op.drop_table("questions")
