"""The one state machine every draft moves through.

received → in_review ⇄ changes_requested → approved → published → unpublished, plus rejected and held.
Each function here is one step inside the caller's transaction: it changes the records, queues the
mail the step causes in the outbox and writes an audit event, so either all of it happens or none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from newsroom import mails, replykey
from newsroom.archive import Archive
from newsroom.records import (
    AuditEvent,
    Decision,
    Draft,
    EscalationSent,
    IncomingMessage,
    OutboxMail,
    Revision,
    StoredFile,
)
from newsroom.settings import Person, Settings

UNDECIDED = ("received", "in_review", "changes_requested")
DECISIONS = {"approve": "approved", "reject": "rejected"}


@dataclass
class FileData:
    filename: str
    content_type: str
    data: bytes
    use: str  # body | image | download | ignored
    ref: str | None = None


@dataclass
class Submission:
    title: str
    body_html: str
    preview_html: str
    preview_text: str
    sender_address: str
    sender_name: str
    category: str
    urgency: str = "normal"
    secrecy: str = "none"
    department: str | None = None
    author: str | None = None
    source: str | None = None
    document: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    files: list[FileData] = field(default_factory=list)
    held_reason: str | None = None


class DecisionRefused(Exception):
    """A reply that may not change the draft; the message is what the board member is told."""


def audit(session: Session, draft: Draft | None, actor: str, event: str, now: datetime, **detail: Any) -> None:
    session.add(AuditEvent(draft_id=draft.id if draft else None, actor=actor, event=event, detail=detail, at=now))


def queue(session: Session, draft: Draft | None, purpose: str, msg: EmailMessage, now: datetime) -> OutboxMail:
    recipients = [a.strip() for a in str(msg["To"]).split(",") if a.strip()]
    row = OutboxMail(
        message_id=str(msg["Message-ID"]),
        draft_id=draft.id if draft else None,
        purpose=purpose,
        recipients=recipients,
        subject=str(msg["Subject"]),
        raw=bytes(msg),
        next_attempt_at=now,
        created_at=now,
    )
    session.add(row)
    return row


def reply_token(settings: Settings, draft: Draft, revision: int) -> replykey.ReplyKey:
    return replykey.make(settings.secret.resolve(), draft.key, revision)


def _origin_message_id(session: Session, draft: Draft) -> str | None:
    first = draft.revisions[0].incoming_id if draft.revisions else None
    return session.get(IncomingMessage, first).message_id if first else None


def _to_sender(session, settings, draft, template, subject, now, **ctx) -> None:
    msg = mails.compose(
        settings,
        template,
        [draft.sender_address],
        subject,
        {"draft": draft, "audience": "sender", **ctx},
        in_reply_to=_origin_message_id(session, draft),
        now=now,
    )
    queue(session, draft, f"{template}:sender", msg, now)


def _to_board(session, settings, draft, template, subject, now, **ctx) -> None:
    msg = mails.compose(
        settings,
        template,
        [p.address for p in settings.board],
        subject,
        {"draft": draft, "audience": "board", **ctx},
        thread_root=draft.thread_root,
        now=now,
    )
    queue(session, draft, f"{template}:board", msg, now)


def open_draft(
    session: Session,
    settings: Settings,
    archive: Archive,
    sub: Submission,
    incoming: IncomingMessage,
    deadline: Any,
    now: datetime,
) -> Draft:
    """A submission becomes a draft in review (or held), the sender is acknowledged and the board told."""
    draft = Draft(
        key="",
        status="held" if sub.held_reason else "in_review",
        category=sub.category,
        urgency=sub.urgency,
        secrecy=sub.secrecy,
        title=sub.title,
        sender_address=sub.sender_address,
        sender_name=sub.sender_name,
        department=sub.department,
        author=sub.author,
        source=sub.source,
        created_at=now,
        updated_at=now,
    )
    if deadline is not None:
        draft.deadline_at, draft.deadline_rule = deadline.due_at, deadline.rule_id
        draft.deadline_start, draft.deadline_start_event = deadline.start, deadline.start_event
    session.add(draft)
    session.flush()
    draft.key = f"TS{draft.id:05d}"
    revision = Revision(
        number=1,
        title=sub.title,
        body_html=sub.body_html,
        document=sub.document,
        warnings=sub.warnings,
        incoming_id=incoming.id,
        created_at=now,
    )
    draft.revisions.append(revision)
    for f in sub.files:
        revision.files.append(
            StoredFile(
                sha256=archive.put(f.data),
                filename=f.filename,
                content_type=f.content_type,
                size=len(f.data),
                use=f.use,
                ref=f.ref,
            )
        )
    incoming.draft_id = draft.id
    session.flush()
    token = reply_token(settings, draft, 1)
    ctx = {
        "revision": revision,
        "deadline": deadline,
        "held_reason": sub.held_reason,
        "files": revision.files,
    }
    board_mail = mails.compose(
        settings,
        "board_new",
        [p.address for p in settings.board],
        f"[{draft.key}] {'TẠM GIỮ' if sub.held_reason else 'Cần duyệt'}: {sub.title} [{token.token}]",
        {
            "draft": draft,
            "token": token.token,
            "preview_html": sub.preview_html,
            "preview_text": sub.preview_text,
            **ctx,
        },
        reply_to=replykey.plus_address(settings.smtp.from_address, token),
        now=now,
    )
    draft.thread_root = str(board_mail["Message-ID"])
    queue(session, draft, "board_new", board_mail, now)
    _to_sender(session, settings, draft, "sender_ack", f"[{draft.key}] Đã nhận: {sub.title}", now, **ctx)
    audit(
        session,
        draft,
        sub.sender_address,
        "held" if sub.held_reason else "received",
        now,
        revision=1,
        incoming=incoming.id,
        held_reason=sub.held_reason,
    )
    return draft


def decide(
    session: Session,
    settings: Settings,
    draft: Draft,
    *,
    action: str,
    reason: str,
    person: Person,
    revision_number: int,
    incoming: IncomingMessage,
    authentication: str,
    now: datetime,
) -> Decision:
    """Apply a board member's decision, or raise DecisionRefused saying why it changes nothing."""
    if draft.status not in UNDECIDED:
        last = next((d for d in reversed(draft.decisions) if d.action in DECISIONS), None)
        if last is not None:
            verb = "duyệt" if last.action == "approve" else "từ chối"
            raise DecisionRefused(
                f"Bài {draft.key} đã được {last.actor_name} ({last.actor_address}) {verb} lúc "
                f"{mails.when(last.decided_at, settings.timezone)}; quyết định của đồng chí không thay đổi gì."
            )
        raise DecisionRefused(
            f"Bài {draft.key} đang ở trạng thái “{mails.STATUS_NAMES.get(draft.status)}”; không thể quyết định lúc này."
        )
    role = settings.roles.get(person.role)
    if settings.roles and (role is None or not role.may_approve):
        raise DecisionRefused(
            f"Vai trò “{role.name if role else person.role}” không được quyết định đăng bài theo quy chế; "
            "đề nghị Trưởng ban hoặc Phó ban trả lời."
        )
    if revision_number != draft.latest.number:
        raise DecisionRefused(
            f"Thư đồng chí trả lời thuộc bản {revision_number}, nhưng bài {draft.key} đã có bản "
            f"{draft.latest.number}; xin trả lời thư thông báo của bản mới nhất."
        )
    decision = Decision(
        draft_id=draft.id,
        revision_number=revision_number,
        action=action,
        reason=reason,
        actor_address=person.address,
        actor_name=person.name,
        actor_role=person.role,
        message_id=incoming.message_id,
        incoming_id=incoming.id,
        authentication=authentication,
        decided_at=now,
    )
    draft.decisions.append(decision)
    draft.status = DECISIONS[action]
    draft.decided_at = now
    if action == "approve":
        draft.publish_next_at = now
    session.flush()
    verb = "Đã duyệt" if action == "approve" else "Không duyệt"
    _to_sender(session, settings, draft, "decided", f"[{draft.key}] {verb}: {draft.title}", now, decision=decision)
    _to_board(session, settings, draft, "decided", f"[{draft.key}] {verb}: {draft.title}", now, decision=decision)
    audit(
        session,
        draft,
        person.address,
        action,
        now,
        revision=revision_number,
        reason=reason,
        message_id=incoming.message_id,
        authentication=authentication,
    )
    return decision


def answer_board_member(
    session: Session,
    settings: Settings,
    draft: Draft | None,
    person: Person,
    message: str,
    in_reply_to: str | None,
    now: datetime,
) -> None:
    subject = f"[{draft.key}] Trả lời của đồng chí chưa được thực hiện" if draft else "Trả lời chưa được thực hiện"
    msg = mails.compose(
        settings,
        "reply_answer",
        [person.address],
        subject,
        {"person": person, "message": message},
        thread_root=draft.thread_root if draft else None,
        in_reply_to=in_reply_to,
        now=now,
    )
    queue(session, draft, "reply_answer", msg, now)


def refuse_message(
    session: Session,
    settings: Settings,
    address: str,
    name: str,
    subject: str,
    reason: str,
    in_reply_to: str | None,
    now: datetime,
) -> None:
    msg = mails.compose(
        settings,
        "refused",
        [address],
        f"Không tiếp nhận: {subject}"[:200],
        {"address": address, "name": name, "subject": subject, "reason": reason},
        in_reply_to=in_reply_to,
        now=now,
    )
    queue(session, None, "refused", msg, now)
    audit(session, None, address, "refused", now, reason=reason)


def set_deadline(session: Session, draft: Draft, due_at: datetime, start: datetime, now: datetime) -> None:
    draft.deadline_at, draft.deadline_start = due_at, start
    audit(session, draft, "toasoan", "deadline", now, due_at=due_at.isoformat(), rule=draft.deadline_rule)


def mark_published(session: Session, settings: Settings, draft: Draft, post_id: str, url: str, now: datetime) -> None:
    draft.status, draft.post_id, draft.post_url, draft.published_at = "published", post_id, url, now
    draft.publish_lease_until, draft.publish_error = None, None
    late = ""
    if draft.deadline_at is not None:
        on_time = now <= draft.deadline_at
        late = (
            "Đăng đúng hạn theo quy chế."
            if on_time
            else (f"Đăng muộn so với hạn {mails.when(draft.deadline_at, settings.timezone)}.")
        )
    _to_sender(
        session,
        settings,
        draft,
        "published",
        f"[{draft.key}] Đã đăng: {draft.title}",
        now,
        deadline_text=late,
    )
    _to_board(
        session,
        settings,
        draft,
        "published",
        f"[{draft.key}] Đã đăng: {draft.title}",
        now,
        deadline_text=late,
    )
    audit(session, draft, "toasoan", "published", now, post_id=post_id, url=url)


def publish_failed(session: Session, draft: Draft, error: str, retry_at: datetime, now: datetime) -> None:
    draft.publish_attempts += 1
    draft.publish_error = _redact(error)[:2000]
    draft.publish_next_at, draft.publish_lease_until = retry_at, None
    audit(
        session,
        draft,
        "toasoan",
        "publish_failed",
        now,
        error=draft.publish_error,
        attempt=draft.publish_attempts,
    )


def _redact(text: str) -> str:
    return re.sub(r"(?i)(authorization|password)[^,;\n]*", r"\1: ***", text)


@dataclass
class DigestItem:
    draft: Draft
    step: str  # "50%", "80%", "100%:2026-11-27"
    fraction: float  # of the period elapsed
    article: str

    @property
    def overdue(self) -> bool:
        return self.fraction >= 1


def send_digest(session: Session, settings: Settings, person: Person, items: list[DigestItem], now: datetime) -> None:
    """One mail to one person listing every item due for them in this sweep; each step is recorded."""
    overdue = sum(item.overdue for item in items)
    label = f"QUÁ HẠN {overdue} bài" if overdue else f"Sắp đến hạn {len(items)} bài"
    msg = mails.compose(
        settings,
        "digest",
        [person.address],
        f"[Nhắc hạn] {label} cần xử lý",
        {"person": person, "items": items, "is_head": person.address == settings.office_head.address},
        now=now,
    )
    queue(session, None, "digest", msg, now)
    for item in items:
        session.add(
            EscalationSent(
                draft_id=item.draft.id,
                step=item.step,
                recipient=person.address,
                sent_at=now,
                message_id=str(msg["Message-ID"]),
            )
        )
        audit(session, item.draft, "toasoan", "escalated", now, step=item.step, to=person.address)


def acknowledge(
    session: Session, address: str, message_ids: list[str], incoming: IncomingMessage, now: datetime
) -> list[Draft]:
    """ "Đã nhận" to a digest: the drafts it listed stop repeating for this person. Returns those drafts."""
    rows = list(
        session.scalars(
            select(EscalationSent).where(
                EscalationSent.message_id.in_(message_ids),
                EscalationSent.recipient == address,
            )
        )
    )
    drafts = []
    for row in rows:
        if row.acknowledged_at is None:
            row.acknowledged_at = now
        draft = session.get(Draft, row.draft_id)
        if draft not in drafts:
            drafts.append(draft)
            audit(session, draft, address, "acknowledged", now, step=row.step, message_id=incoming.message_id)
    return drafts
