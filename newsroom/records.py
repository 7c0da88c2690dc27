"""The records: every draft, message, decision and mail the newsroom keeps.

The database is both the source of truth and the work queue: mail to send and posts to publish are rows
with a status, an attempt count, a next-attempt time and a lease, so a restart loses and repeats nothing.
Every time is given by the caller from the injected clock (no column defaults to the wall clock).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
    inspect,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every engine (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar = {datetime: UtcDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


DEFAULT_SITE = "default"  # a commune's one site, and every row written before sites existed


class SiteOwned:
    """Every row belongs to one site (``Settings.site_id``): a province's sites share one database, and a
    session from ``newsroom.db.session_factory`` reads and writes only the rows of the site it serves."""

    site_id: Mapped[str] = mapped_column(String(100), index=True, server_default=DEFAULT_SITE)


@event.listens_for(Base, "before_insert", propagate=True)
@event.listens_for(Base, "before_update", propagate=True)
def _storable(mapper, connection, target) -> None:
    """Text a mail brings (a Message-ID, a subject, a sender's name, a content type) loses its NUL characters
    and is cut to its column's length: SQLite stores both, PostgreSQL refuses the row, and one such mail
    must not stop the mailbox."""
    loaded = inspect(target).dict  # only what is set: reading an unloaded attribute would query mid-flush
    for attr in mapper.column_attrs:
        value = loaded.get(attr.key)
        if not isinstance(value, str):
            continue
        length = getattr(attr.columns[0].type, "length", None)
        storable = value.replace("\0", "")[:length]
        if storable != value:
            setattr(target, attr.key, storable)


class IncomingMessage(SiteOwned, Base):
    """One message seen in the mailbox; (mailbox, uidvalidity, uid) and sha256 make it processed once."""

    __tablename__ = "incoming_messages"
    __table_args__ = (
        UniqueConstraint(
            "site_id", "mailbox", "uidvalidity", "uid", name="uq_incoming_messages_site_id_mailbox_uidvalidity_uid"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mailbox: Mapped[str] = mapped_column(String(200))
    uidvalidity: Mapped[int] = mapped_column(BigInteger)  # unsigned 32-bit in IMAP: over INTEGER's range
    uid: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    message_id: Mapped[str | None] = mapped_column(String(500), index=True)
    sender: Mapped[str | None] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(20))  # submission | reply | auto_reply | bounce | refused
    outcome: Mapped[str] = mapped_column(Text, default="")
    draft_id: Mapped[int | None] = mapped_column(ForeignKey("drafts.id"))
    received_at: Mapped[datetime]
    processed_at: Mapped[datetime]


class Draft(SiteOwned, Base):
    __tablename__ = "drafts"
    __table_args__ = (UniqueConstraint("site_id", "key", name="uq_drafts_site_id_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(20))  # tracking code people see, numbered per site: TS00042
    uid: Mapped[str] = mapped_column(String(32), unique=True, default=lambda: uuid.uuid4().hex)  # finds its post
    status: Mapped[str] = mapped_column(String(20), index=True)
    category: Mapped[str] = mapped_column(String(30))
    urgency: Mapped[str] = mapped_column(String(20), default="normal")
    secrecy: Mapped[str] = mapped_column(String(20), default="none")
    title: Mapped[str] = mapped_column(Text)
    sender_address: Mapped[str] = mapped_column(String(320))
    sender_name: Mapped[str] = mapped_column(String(300), default="")
    department: Mapped[str | None] = mapped_column(String(300))
    author: Mapped[str | None] = mapped_column(String(300))
    source: Mapped[str | None] = mapped_column(String(300))
    deadline_at: Mapped[datetime | None]
    deadline_rule: Mapped[str | None] = mapped_column(String(60))
    deadline_start: Mapped[datetime | None]
    deadline_start_event: Mapped[str | None] = mapped_column(String(20))
    thread_root: Mapped[str | None] = mapped_column(String(500))  # Message-ID every mail about it refers to
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    post_id: Mapped[str | None] = mapped_column(String(100))
    post_url: Mapped[str | None] = mapped_column(Text)
    publish_attempts: Mapped[int] = mapped_column(Integer, default=0)
    publish_next_at: Mapped[datetime | None]
    publish_lease_until: Mapped[datetime | None]
    publish_lease_holder: Mapped[str | None] = mapped_column(String(200))  # the daemon publishing it (claims.py)
    publish_error: Mapped[str | None] = mapped_column(Text)
    clock_paused_at: Mapped[datetime | None]  # waiting on the submitter; the deadline moves on resume
    publish_at: Mapped[datetime | None]  # "Đăng lúc …": not before this moment
    post_removed_at: Mapped[datetime | None]  # the CMS took the post down after "Gỡ"
    publish_failing_since: Mapped[datetime | None]  # the first failure of the present run of failures
    publish_alerted_at: Mapped[datetime | None]  # the office was told it keeps failing; told again on recovery
    assignee_address: Mapped[str | None] = mapped_column(String(320), index=True)  # "Giao: …" (Đắk Mar Đ10.3)
    assignee_name: Mapped[str | None] = mapped_column(String(300))
    assigned_at: Mapped[datetime | None]

    revisions: Mapped[list[Revision]] = relationship(
        back_populates="draft", order_by="Revision.number", cascade="all, delete-orphan"
    )
    decisions: Mapped[list[Decision]] = relationship(order_by="Decision.id", cascade="all, delete-orphan")

    @property
    def latest(self) -> Revision:
        return self.revisions[-1]


class Revision(SiteOwned, Base):
    __tablename__ = "revisions"
    __table_args__ = (UniqueConstraint("draft_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id"))
    number: Mapped[int]
    title: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    document: Mapped[dict[str, Any]] = mapped_column(default=dict)
    warnings: Mapped[list[Any]] = mapped_column(default=list)
    incoming_id: Mapped[int | None] = mapped_column(ForeignKey("incoming_messages.id"))
    created_at: Mapped[datetime]

    draft: Mapped[Draft] = relationship(back_populates="revisions")
    files: Mapped[list[StoredFile]] = relationship(order_by="StoredFile.id", cascade="all, delete-orphan")


class StoredFile(SiteOwned, Base):
    """An attachment or image of a revision; its bytes live in the archive under their SHA-256."""

    __tablename__ = "stored_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("revisions.id"))
    sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(150))
    size: Mapped[int]
    use: Mapped[str] = mapped_column(String(20))  # body | image | download | ignored
    ref: Mapped[str | None] = mapped_column(String(255))  # how the body HTML refers to it (cid:…)
    cms_media_id: Mapped[str | None] = mapped_column(String(100))
    cms_url: Mapped[str | None] = mapped_column(Text)


class Decision(SiteOwned, Base):
    """A board member's decision, with the message it came from: who approved this, and when."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id"))
    revision_number: Mapped[int]
    action: Mapped[str] = mapped_column(String(30))
    reason: Mapped[str] = mapped_column(Text, default="")
    actor_address: Mapped[str] = mapped_column(String(320))
    actor_name: Mapped[str] = mapped_column(String(300), default="")
    actor_role: Mapped[str] = mapped_column(String(60), default="")
    message_id: Mapped[str | None] = mapped_column(String(500))
    incoming_id: Mapped[int | None] = mapped_column(ForeignKey("incoming_messages.id"))
    authentication: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime]


class OutboxMail(SiteOwned, Base):
    """A mail to send; it has its Message-ID from the moment it is queued, so a retry is the same mail."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(500), unique=True)
    draft_id: Mapped[int | None] = mapped_column(ForeignKey("drafts.id"), index=True)
    question_id: Mapped[int | None] = mapped_column(ForeignKey("questions.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(40))
    recipients: Mapped[list[Any]] = mapped_column()
    subject: Mapped[str] = mapped_column(Text)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)  # pending|sent|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    lease_holder: Mapped[str | None] = mapped_column(String(200))  # the daemon sending it (newsroom/claims.py)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class EscalationSent(SiteOwned, Base):
    """One step of the deadline ladder sent to one person for one draft: sent once, across restarts."""

    __tablename__ = "escalations"
    __table_args__ = (UniqueConstraint("draft_id", "step", "recipient"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id"))
    step: Mapped[str] = mapped_column(String(40))
    recipient: Mapped[str] = mapped_column(String(320))
    sent_at: Mapped[datetime]
    message_id: Mapped[str | None] = mapped_column(String(500), index=True)  # the digest it went out in
    acknowledged_at: Mapped[datetime | None]  # "Đã nhận": no more repeats of this draft to this person


class AuditEvent(SiteOwned, Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int | None] = mapped_column(ForeignKey("drafts.id"), index=True)
    question_id: Mapped[int | None] = mapped_column(ForeignKey("questions.id"), index=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(320))
    event: Mapped[str] = mapped_column(String(60))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class FailingAddress(SiteOwned, Base):
    """An address our mail bounced from; the office is told once, and it is cleared when mail gets through."""

    __tablename__ = "failing_addresses"

    site_id: Mapped[str] = mapped_column(String(100), primary_key=True, server_default=DEFAULT_SITE)
    address: Mapped[str] = mapped_column(String(320), primary_key=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    first_failed_at: Mapped[datetime]
    last_failed_at: Mapped[datetime]
    failures: Mapped[int] = mapped_column(Integer, default=1)
    office_told_at: Mapped[datetime | None]


class RoyaltyCoefficient(SiteOwned, Base):
    """The coefficient a board member set for a draft (by "Duyệt, hệ số 8" or "Hệ số 6"); the last one counts,
    every change is in the audit. A draft without a row is paid at its genre's default."""

    __tablename__ = "royalty_coefficients"

    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id"), primary_key=True)
    coefficient: Mapped[float] = mapped_column(Float)  # as migration 0006 made it (a bare float is Double)
    set_by_address: Mapped[str] = mapped_column(String(320))
    set_by_name: Mapped[str] = mapped_column(String(300), default="")
    set_by_role: Mapped[str] = mapped_column(String(60), default="")
    set_at: Mapped[datetime]
    message_id: Mapped[str | None] = mapped_column(String(500))


class PeriodicRun(SiteOwned, Base):
    """A scheduled job done for one period (the royalty list of 2026-11, the report of 2026-Q4, the backup of
    2026-11-24): unique, so each is done once across restarts, crashes and several daemons."""

    __tablename__ = "periodic_runs"
    __table_args__ = (UniqueConstraint("site_id", "job", "period", name="uq_periodic_runs_site_id_job_period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(60))
    period: Mapped[str] = mapped_column(String(20))
    done_at: Mapped[datetime]
    outcome: Mapped[str] = mapped_column(Text, default="")  # what was sent or written, or why it was skipped
    message_id: Mapped[str | None] = mapped_column(String(500))


class Lease(SiteOwned, Base):
    """Work one daemon at a time does for a site (a deadline sweep, the periodic jobs): held by ``holder``
    until ``until`` and renewed while working, so a dead holder's lease passes on (newsroom/claims.py)."""

    __tablename__ = "leases"

    site_id: Mapped[str] = mapped_column(String(100), primary_key=True, server_default=DEFAULT_SITE)
    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(200))
    until: Mapped[datetime | None]


class Question(SiteOwned, Base):
    """A citizen's question or feedback: routed to a unit, answered within the legal period, maybe published.

    ``due_at`` and ``very_overdue_at`` are stored whenever the clock (re)starts (receipt, extension);
    "overdue" is read off them, never stored (newsroom.questions.phase)."""

    __tablename__ = "questions"
    __table_args__ = (UniqueConstraint("site_id", "key", name="uq_questions_site_id_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(20))  # tracking code the citizen sees, numbered per site: HD00012
    status: Mapped[str] = mapped_column(String(20), index=True)  # newsroom.lifecycle.QUESTION
    title: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)  # the question as written (never logged)
    body_html: Mapped[str] = mapped_column(Text, default="")
    asker_address: Mapped[str] = mapped_column(String(320), index=True)
    asker_name: Mapped[str] = mapped_column(String(300), default="")
    via: Mapped[str] = mapped_column(String(20), default="mail")  # mail | qa_address | form
    topic: Mapped[str | None] = mapped_column(String(60))
    unit_name: Mapped[str | None] = mapped_column(String(300))
    unit_address: Mapped[str | None] = mapped_column(String(320))
    received_at: Mapped[datetime]
    due_at: Mapped[datetime | None]
    very_overdue_at: Mapped[datetime | None]
    deadline_rule: Mapped[str | None] = mapped_column(String(60))
    forward_at: Mapped[datetime | None]  # forwarded to the unit then, unless the board acts first
    forwarded_at: Mapped[datetime | None]
    answer_html: Mapped[str | None] = mapped_column(Text)
    answer_by: Mapped[str | None] = mapped_column(String(320))
    answered_at: Mapped[datetime | None]  # the citizen received the answer
    closed_reason: Mapped[str | None] = mapped_column(Text)  # out of scope: why, and who is competent
    draft_id: Mapped[int | None] = mapped_column(ForeignKey("drafts.id"))  # the published Q&A
    incoming_id: Mapped[int | None] = mapped_column(ForeignKey("incoming_messages.id"))
    thread_root: Mapped[str | None] = mapped_column(String(500))  # the board's notification
    asker_thread: Mapped[str | None] = mapped_column(String(500))  # the citizen's own first message
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    messages: Mapped[list[QuestionMessage]] = relationship(order_by="QuestionMessage.id", cascade="all, delete-orphan")


class QuestionMessage(SiteOwned, Base):
    """One mail in a question's thread: the question, the citizen's follow-ups, the unit's answers."""

    __tablename__ = "question_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"), index=True)
    party: Mapped[str] = mapped_column(String(20))  # asker | unit | board
    kind: Mapped[str] = mapped_column(String(20))  # question | follow_up | answer | extension
    text: Mapped[str] = mapped_column(Text, default="")
    incoming_id: Mapped[int | None] = mapped_column(ForeignKey("incoming_messages.id"))
    at: Mapped[datetime]


class QuestionAlert(SiteOwned, Base):
    """A reminder or an overdue / very overdue mail for one question to one person: sent once, across
    restarts; the step names the deadline it counts to, so an extension starts a new series."""

    __tablename__ = "question_alerts"
    __table_args__ = (UniqueConstraint("question_id", "step", "recipient"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"))
    step: Mapped[str] = mapped_column(String(60))
    recipient: Mapped[str] = mapped_column(String(320))
    sent_at: Mapped[datetime]


# Which daemon holds each site's IMAP connection, and which daemons are alive (scheduler/ownership.py):
# liveness on the database's clock, so plain tables rather than site-scoped models.
mailbox_leases = Table(
    "mailbox_leases",
    Base.metadata,
    Column("site_id", String(63), primary_key=True),
    Column("holder", String(255), nullable=False),  # "" when free
    Column("expires_at", Float, nullable=False),  # database clock, seconds since the epoch
    Column("state", String(20), nullable=False),  # connecting | idle | polling | error | stopped | free
    Column("error", Text, nullable=False),
    Column("last_mail_at", UtcDateTime(timezone=True)),  # arrival time of the last message taken
)
daemon_heartbeats = Table(
    "daemon_heartbeats",
    Base.metadata,
    Column("holder", String(255), primary_key=True),
    Column("expires_at", Float, nullable=False),
    Column("pid", Integer, nullable=False),
)
