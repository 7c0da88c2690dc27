"""The one state machine every draft moves through.

received → in_review ⇄ changes_requested → approved → published → unpublished, plus rejected and held;
the allowed moves are the table ``newsroom.lifecycle.DRAFT``, and every move is audited as ``state``.
Each function here is one step inside the caller's transaction: it changes the records, queues the
mail the step causes in the outbox and writes an audit event, so either all of it happens or none.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import Message
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from newsroom import i18n, mails, replykey, royalties
from newsroom.archive import Archive
from newsroom.i18n import N_
from newsroom.lifecycle import DRAFT, TransitionRefused
from newsroom.records import (
    AuditEvent,
    Decision,
    Draft,
    EscalationSent,
    FailingAddress,
    IncomingMessage,
    OutboxMail,
    Revision,
    StoredFile,
)
from newsroom.settings import Person, Settings
from newsroom.submission import FileData, Submission

UNDECIDED = ("received", "in_review", "changes_requested", "correcting")
FINAL = ("approve", "schedule", "reject")
APPROVALS = ("approve", "schedule")
SCHEDULE_HORIZON = timedelta(days=365)  # "Đăng lúc" further ahead than this is asked again
ACTION_NAMES = {"approve": N_("duyệt"), "schedule": N_("duyệt và hẹn giờ đăng"), "reject": N_("từ chối")}


class DecisionRefused(Exception):
    """A reply that may not change the draft; the message is what the board member is told."""


def next_key(session: Session, model: type[Draft], prefix: str) -> str:
    """The next tracking code of the session's site (TS00001, TS00002…; HD… for questions): each site
    numbers its own, so a commune's codes are what they were before sites existed."""
    last = session.scalar(
        select(model.key).where(model.key != "").order_by(func.length(model.key).desc(), model.key.desc()).limit(1)
    )
    return f"{prefix}{int(last.removeprefix(prefix)) + 1 if last else 1:05d}"


def audit(session: Session, draft: Draft | None, actor: str, event: str, now: datetime, **detail: Any) -> None:
    """Every change to a draft is audited, so the audit's time is also the draft's last update."""
    session.add(AuditEvent(draft_id=draft.id if draft else None, actor=actor, event=event, detail=detail, at=now))
    if draft is not None:
        draft.updated_at = now


def move(session: Session, draft: Draft, event: str, actor: str, now: datetime, language: str = "vi") -> None:
    """The one way a draft changes state: allowed by the lifecycle table, recorded in the audit log."""
    try:
        before, after = DRAFT.move(draft, event)
    except TransitionRefused as exc:
        _ = i18n.gettext(language)
        raise DecisionRefused(
            _("Bài {key}: không thể “{event}” khi bài đang ở trạng thái “{state}”.").format(
                key=draft.key, event=exc.event, state=mails.status_name(exc.state, language)
            )
        ) from None
    audit(session, draft, actor, "state", now, by=event, **{"from": before, "to": after})


def queue(session: Session, draft: Draft | None, purpose: str, msg: Message, now: datetime) -> OutboxMail:
    recipients = [a.strip() for a in str(msg["To"]).split(",") if a.strip()]
    row = OutboxMail(
        message_id=str(msg["Message-ID"]),
        draft_id=draft.id if draft else None,
        purpose=purpose,
        recipients=recipients,
        subject=str(msg["Subject"]),
        raw=mails.to_bytes(msg),
        next_attempt_at=now,
        created_at=now,
    )
    session.add(row)
    return row


def reply_token(settings: Settings, draft: Draft, revision: int) -> replykey.ReplyKey:
    return replykey.make(settings.secret.resolve(), settings.site_id, draft.key, revision)


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


def _add_revision(
    session: Session, archive: Archive, draft: Draft, sub: Submission, incoming: IncomingMessage, now: datetime
) -> Revision:
    revision = Revision(
        number=len(draft.revisions) + 1,
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
    return revision


def _notify_board(
    session: Session,
    settings: Settings,
    draft: Draft,
    revision: Revision,
    sub: Submission,
    deadline: Any,
    now: datetime,
    changes: list[str] = (),
    repealed: list[tuple[str, Draft]] = (),
) -> None:
    """The mail the board decides from: preview, deadline, warnings and the reply code of this revision."""
    _ = i18n.gettext(settings.language)
    token = reply_token(settings, draft, revision.number)
    if draft.status == "held":
        label = _("TẠM GIỮ")
    elif draft.post_id is not None:
        label = _("Đính chính bài đã đăng (bản {number}) cần duyệt").format(number=revision.number)
    else:
        label = _("Cần duyệt") if revision.number == 1 else _("Bản {number} cần duyệt").format(number=revision.number)
    msg = mails.compose(
        settings,
        "board_new",
        [p.address for p in settings.board],
        f"[{draft.key}] {label}: {revision.title} [{token.token}]",
        {
            "draft": draft,
            "token": token.token,
            "preview_html": sub.preview_html,
            "preview_text": sub.preview_text,
            "revision": revision,
            "deadline": deadline,
            "held_reason": sub.held_reason,
            "files": revision.files,
            "changes": changes,
            "repealed": repealed,
        },
        reply_to=replykey.plus_address(settings.smtp.from_address, token),
        thread_root=draft.thread_root,
        now=now,
    )
    if draft.thread_root is None:
        draft.thread_root = str(msg["Message-ID"])
    queue(session, draft, "board_new", msg, now)


SECRET_TITLE = N_("Tài liệu mật {key}")  # a secret item's title in every mail; the real one stays in the database
STAMPS = {"mat": N_("MẬT"), "toi_mat": N_("TỐI MẬT"), "tuyet_mat": N_("TUYỆT MẬT")}


def _secret_received(
    session: Session, settings: Settings, draft: Draft, revision: Revision, incoming: IncomingMessage, now: datetime
) -> None:
    """A secret-stamped item: no text, preview or file of it in any mail. Only the roles the preset names
    learn that it arrived (number and sender); the sender is told such documents may not come here."""
    _ = i18n.gettext(settings.language)
    draft.title = _(SECRET_TITLE).format(key=draft.key)
    context = {
        "draft": draft,
        "stamp": _(STAMPS.get(draft.secrecy, STAMPS["mat"])),
        "number": (revision.document or {}).get("number"),
        "received_at": incoming.received_at,
        "article": settings.secrecy.article or _("quy chế cấm cung cấp bí mật nhà nước"),
    }
    for person in settings.secret_recipients():
        msg = mails.compose(
            settings,
            "secret_held",
            [person.address],
            f"[{draft.key}] " + _("Tài liệu mật đã nhận và tạm giữ"),
            {**context, "person": person},
            now=now,
        )
        queue(session, draft, "secret_held", msg, now)
    if draft.sender_address and not settings.board_member(draft.sender_address):
        msg = mails.compose(
            settings,
            "secret_ack",
            [draft.sender_address],
            f"[{draft.key}] " + _("Tài liệu mật không được gửi tới hộp thư của trang"),
            context,
            in_reply_to=incoming.message_id,
            now=now,
        )
        queue(session, draft, "secret_ack:sender", msg, now)


def open_draft(
    session: Session,
    settings: Settings,
    archive: Archive,
    sub: Submission,
    incoming: IncomingMessage,
    deadline: Any,
    now: datetime,
    repealed: list[tuple[str, Draft]] = (),
) -> Draft:
    """A submission becomes a draft in review (or held), the sender is acknowledged and the board told;
    ``repealed``: published posts of the documents it repeals or replaces (newsroom/repeal.py)."""
    draft = Draft(
        key=next_key(session, Draft, "TS"),
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
    revision = _add_revision(session, archive, draft, sub, incoming, now)
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
    if sub.secrecy != "none":
        _secret_received(session, settings, draft, revision, incoming, now)
        return draft
    _notify_board(session, settings, draft, revision, sub, deadline, now, repealed=repealed)
    _ = i18n.gettext(settings.language)
    _to_sender(
        session,
        settings,
        draft,
        "sender_ack",
        f"[{draft.key}] " + _("Đã nhận: {title}").format(title=sub.title),
        now,
        revision=revision,
        deadline=deadline,
        held_reason=sub.held_reason,
    )
    return draft


def what_changed(old: Revision, new: Revision, new_files: list[FileData], language: str = "vi") -> list[str]:
    """A few lines telling the board what a new revision changed, so nobody has to compare by eye."""
    _ = i18n.gettext(language)
    lines = []
    if old.title != new.title:
        lines.append(_("tiêu đề: “{old}” → “{new}”").format(old=old.title, new=new.title))
    before = [p for p in re.split(r"</(?:p|h\d|li|td|th)>", old.body_html) if re.sub(r"<[^>]+>", "", p).strip()]
    after = [p for p in re.split(r"</(?:p|h\d|li|td|th)>", new.body_html) if re.sub(r"<[^>]+>", "", p).strip()]
    diff = list(difflib.ndiff(before, after))
    added, removed = sum(d.startswith("+ ") for d in diff), sum(d.startswith("- ") for d in diff)
    if added or removed:
        lines.append(
            _("nội dung: {added} đoạn mới hoặc sửa, {removed} đoạn bỏ hoặc thay").format(added=added, removed=removed)
        )
    old_names = {f.filename for f in old.files}
    new_names = {f.filename for f in new_files}
    if new_names - old_names:
        lines.append(_("tệp thêm: {names}").format(names=", ".join(sorted(new_names - old_names))))
    if old_names - new_names:
        lines.append(_("tệp bỏ: {names}").format(names=", ".join(sorted(old_names - new_names))))
    return lines or [_("không có thay đổi nào nhận thấy được")]


def new_revision(
    session: Session,
    settings: Settings,
    archive: Archive,
    draft: Draft,
    sub: Submission,
    incoming: IncomingMessage,
    by: str,
    deadline: Any,
    now: datetime,
) -> Revision:
    """A corrected document from the submitter or an editor: decisions now bind to this revision."""
    _ = i18n.gettext(settings.language)
    if draft.status in ("unpublished", "rejected"):
        raise DecisionRefused(
            _("Bài {key} đã {state}; xin gửi bản mới thành một thư mới.").format(
                key=draft.key, state=mails.status_name(draft.status, settings.language)
            )
        )
    old = draft.latest
    changes = what_changed(old, Revision(title=sub.title, body_html=sub.body_html), sub.files, settings.language)
    revision = _add_revision(session, archive, draft, sub, incoming, now)
    draft.title = sub.title
    if draft.status == "changes_requested":
        resume_clock(draft, now)
    secret = sub.secrecy != "none" or draft.secrecy != "none"
    # an approval was of the previous revision; a revision stamped secret holds the item from now on
    move(session, draft, "hold" if secret and draft.status != "held" else "revise", by, now, settings.language)
    audit(session, draft, by, "revision", now, revision=revision.number, changes=changes, incoming=incoming.id)
    if secret:
        draft.secrecy = sub.secrecy if sub.secrecy != "none" else draft.secrecy
        _secret_received(session, settings, draft, revision, incoming, now)
        return revision
    _notify_board(session, settings, draft, revision, sub, deadline, now, changes)
    return revision


def pause_clock(settings: Settings, draft: Draft, now: datetime) -> None:
    rule = settings.rules.get(draft.deadline_rule or "")
    if rule is not None and rule.pause_on_changes and draft.deadline_at is not None:
        draft.clock_paused_at = now


def resume_clock(draft: Draft, now: datetime) -> None:
    """The time spent waiting on the submitter is added to the deadline."""
    if draft.clock_paused_at is not None:
        if draft.deadline_at is not None:
            draft.deadline_at += now - draft.clock_paused_at
        draft.clock_paused_at = None


def approvers(draft: Draft, revision_number: int) -> set[str]:
    return {d.actor_address for d in draft.decisions if d.action in APPROVALS and d.revision_number == revision_number}


def _refuse_if_decided(settings: Settings, draft: Draft) -> None:
    if draft.status in UNDECIDED:
        return
    _ = i18n.gettext(settings.language)
    last = next((d for d in reversed(draft.decisions) if d.action in FINAL), None)
    if last is not None:
        raise DecisionRefused(
            _(
                "Bài {key} đã được {name} ({address}) {action} lúc {at}; quyết định của đồng chí không thay đổi gì."
            ).format(
                key=draft.key,
                name=last.actor_name,
                address=last.actor_address,
                action=_(ACTION_NAMES[last.action]),
                at=mails.when(last.decided_at, settings.timezone, settings.language),
            )
        )
    raise DecisionRefused(
        _("Bài {key} đang ở trạng thái “{state}”; không thể quyết định lúc này.").format(
            key=draft.key, state=mails.status_name(draft.status, settings.language)
        )
    )


def _refuse_bad_schedule(settings: Settings, at: datetime | None, now: datetime) -> None:
    """A publication time that has passed, or is more than a year away, is a slip of the keyboard more
    often than an intention: the editor is asked again rather than the post going out at once or never."""
    _ = i18n.gettext(settings.language)
    tomorrow = (now + timedelta(days=1)).astimezone(ZoneInfo(settings.timezone))
    example = _("“Đăng lúc 07:00 {day}”").format(day=f"{tomorrow:%d/%m}")
    if at is None:
        raise DecisionRefused(_("Chưa rõ thời điểm đăng; xin viết như {example}.").format(example=example))
    when = mails.when(at, settings.timezone, settings.language)
    if at <= now:
        raise DecisionRefused(
            _(
                "Thời điểm đăng {at} đã qua (bây giờ là {now}); bài chưa được hẹn giờ. Xin trả lời lại với thời "
                "điểm sắp tới, ví dụ {example}, hoặc “Duyệt” để đăng ngay."
            ).format(at=when, now=mails.when(now, settings.timezone, settings.language), example=example)
        )
    if at > now + SCHEDULE_HORIZON:
        raise DecisionRefused(
            _(
                "Thời điểm đăng {at} cách hôm nay hơn một năm; bài chưa được hẹn giờ. Xin kiểm tra lại ngày, tháng, "
                "năm (ví dụ {example})."
            ).format(at=when, example=example)
        )


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
    at: datetime | None = None,
    coefficient: float | None = None,
) -> Decision:
    """Apply a board member's decision, or raise DecisionRefused saying why it changes nothing.
    ``coefficient``: the royalty coefficient given with an approval, or alone ("Hệ số 6"); it is checked
    before anything changes, so an out-of-range value refuses the whole reply."""
    if action == "set_coefficient" or coefficient is not None:
        try:
            royalties.check(settings, draft, person, coefficient)
        except royalties.CoefficientRefused as refused:
            raise DecisionRefused(str(refused)) from None
    if action == "set_coefficient":
        return _set_coefficient(session, settings, draft, person, coefficient, revision_number, incoming, now)
    _ = i18n.gettext(settings.language)
    if not settings.may_approve(person, draft.category):
        role = settings.roles.get(person.role)
        raise DecisionRefused(
            _("Vai trò “{role}” không được quyết định đăng bài thuộc hạng mục “{category}” theo quy chế.").format(
                role=role.name if role else person.role, category=mails.category_name(draft.category, settings.language)
            )
        )
    if action == "unpublish":
        if draft.status != "published":
            raise DecisionRefused(
                _("Bài {key} chưa được đăng (đang “{state}”).").format(
                    key=draft.key, state=mails.status_name(draft.status, settings.language)
                )
            )
    else:
        _refuse_if_decided(settings, draft)
        if revision_number != draft.latest.number:
            raise DecisionRefused(
                _(
                    "Thư đồng chí trả lời thuộc bản {number}, nhưng bài {key} đã có bản {latest}; xin trả lời thư "
                    "thông báo của bản mới nhất."
                ).format(number=revision_number, key=draft.key, latest=draft.latest.number)
            )
    if action == "schedule":
        _refuse_bad_schedule(settings, at, now)
    if action in APPROVALS and person.address in approvers(draft, revision_number):
        raise DecisionRefused(
            _("Đồng chí đã duyệt bản {number} của bài {key}; cần người khác duyệt thêm.").format(
                number=revision_number, key=draft.key
            )
        )
    decision = record_decision(draft, revision_number, action, reason, person, incoming, now, authentication)
    audit(
        session,
        draft,
        person.address,
        action,
        now,
        revision=revision_number,
        reason=reason,
        at=at.isoformat() if at else None,
        message_id=incoming.message_id,
        authentication=authentication,
    )
    if coefficient is not None:
        _record_coefficient(session, draft, person, coefficient, incoming, now)
    subject = f"[{draft.key}] {{}}: {draft.title}"
    if action in APPROVALS:
        needed = settings.approval_for(draft.category).count
        given = len(approvers(draft, revision_number))
        if given < needed:
            _to_board(
                session,
                settings,
                draft,
                "decided",
                subject.format(_("Đã duyệt {given}/{needed}").format(given=given, needed=needed)),
                now,
                decision=decision,
                given=given,
                needed=needed,
            )
            return decision
        move(session, draft, action, person.address, now, settings.language)
        draft.decided_at = now
        draft.publish_at = at
        draft.publish_next_at = at or now
    elif action == "reject":
        move(session, draft, action, person.address, now, settings.language)
        draft.decided_at = now
    elif action == "request_changes":
        move(session, draft, action, person.address, now, settings.language)
        pause_clock(settings, draft, now)
        token = reply_token(settings, draft, revision_number)
        msg = mails.compose(
            settings,
            "changes_requested",
            [draft.sender_address],
            subject.format(_("Đề nghị sửa")) + f" [{token.token}]",
            {"draft": draft, "decision": decision},
            reply_to=replykey.plus_address(settings.smtp.from_address, token),
            in_reply_to=_origin_message_id(session, draft),
            now=now,
        )
        queue(session, draft, "changes_requested:sender", msg, now)
        _to_board(session, settings, draft, "decided", subject.format(_("Đề nghị sửa")), now, decision=decision)
        return decision
    elif action == "unpublish":
        move(session, draft, action, person.address, now, settings.language)
        draft.publish_next_at = now  # the publisher takes the post down, then tells sender and board
        return decision
    session.flush()
    label = {"approve": _("Đã duyệt"), "schedule": _("Hẹn giờ đăng"), "reject": _("Không duyệt")}[action]
    _to_sender(session, settings, draft, "decided", subject.format(label), now, decision=decision)
    _to_board(session, settings, draft, "decided", subject.format(label), now, decision=decision)
    return decision


def _record_coefficient(
    session: Session, draft: Draft, person: Person, value: float, incoming: IncomingMessage, now: datetime
) -> None:
    previous = royalties.record(session, draft, person, value, incoming.message_id, now)
    audit(
        session,
        draft,
        person.address,
        "coefficient",
        now,
        coefficient=value,
        previous=previous,
        message_id=incoming.message_id,
    )


def record_decision(
    draft: Draft,
    revision_number: int,
    action: str,
    reason: str | None,
    person: Person,
    incoming: IncomingMessage,
    now: datetime,
    authentication: str = "",
) -> Decision:
    """A board member's reply, as the draft's history keeps it: who, which revision, what, from which mail."""
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
    return decision


def _set_coefficient(
    session: Session,
    settings: Settings,
    draft: Draft,
    person: Person,
    value: float,
    revision_number: int,
    incoming: IncomingMessage,
    now: datetime,
) -> Decision:
    """ "Hệ số 6": the royalty coefficient of an item, before or after it is published; the board member
    is told what it is now worth."""
    # the record's own words; mails show the value itself
    decision = record_decision(
        draft, revision_number, "set_coefficient", f"hệ số {mails.number(value)}", person, incoming, now
    )
    _record_coefficient(session, draft, person, value, incoming, now)
    _key, genre = settings.royalties.genre_for(draft.category)
    _ = i18n.gettext(settings.language)
    msg = mails.compose(
        settings,
        "coefficient_set",
        [person.address],
        f"[{draft.key}] "
        + _("Đã đặt hệ số {value}: {title}").format(value=mails.number(value, settings.language), title=draft.title),
        {
            "person": person,
            "draft": draft,
            "genre": genre,
            "value": value,
            "amount": royalties.money(value, settings.royalties.unit_value),
        },
        thread_root=draft.thread_root,
        in_reply_to=incoming.message_id,
        now=now,
    )
    queue(session, draft, "coefficient_set", msg, now)
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
    _ = i18n.gettext(settings.language)
    subject = (
        f"[{draft.key}] " + _("Trả lời của đồng chí chưa được thực hiện") if draft else _("Trả lời chưa được thực hiện")
    )
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
    _ = i18n.gettext(settings.language)
    msg = mails.compose(
        settings,
        "refused",
        [address],
        _("Không tiếp nhận: {subject}").format(subject=subject)[:200],
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
    _ = i18n.gettext(settings.language)
    move(session, draft, "publish", "toasoan", now, settings.language)
    draft.post_id, draft.post_url, draft.published_at = post_id, url, now
    draft.publish_lease_until, draft.publish_error = None, None
    _publishing_recovered(session, settings, draft, now)
    late = ""
    if draft.deadline_at is not None:
        on_time = now <= draft.deadline_at
        late = (
            _("Đăng đúng hạn theo quy chế.")
            if on_time
            else _("Đăng muộn so với hạn {due}.").format(
                due=mails.when(draft.deadline_at, settings.timezone, settings.language)
            )
        )
    _to_sender(
        session,
        settings,
        draft,
        "published",
        f"[{draft.key}] " + _("Đã đăng: {title}").format(title=draft.title),
        now,
        deadline_text=late,
    )
    _to_board(
        session,
        settings,
        draft,
        "published",
        f"[{draft.key}] " + _("Đã đăng: {title}").format(title=draft.title),
        now,
        deadline_text=late,
    )
    audit(session, draft, "toasoan", "published", now, post_id=post_id, url=url)


def mark_corrected(session: Session, settings: Settings, draft: Draft, url: str, now: datetime) -> None:
    """The post was updated in place with the approved correction: same post, same URL."""
    _ = i18n.gettext(settings.language)
    move(session, draft, "publish", "toasoan", now, settings.language)
    draft.post_url = url
    draft.publish_lease_until, draft.publish_error = None, None
    _publishing_recovered(session, settings, draft, now)
    subject = f"[{draft.key}] " + _("Đã đính chính: {title}").format(title=draft.title)
    context = {
        "deadline_text": _("Bài đã được cập nhật theo bản {number} (đính chính), cùng địa chỉ.").format(
            number=draft.latest.number
        )
    }
    _to_sender(session, settings, draft, "published", subject, now, **context)
    _to_board(session, settings, draft, "published", subject, now, **context)
    audit(session, draft, "toasoan", "corrected", now, post_id=draft.post_id, url=url, revision=draft.latest.number)


def publish_failed(
    session: Session, settings: Settings, draft: Draft, error: str, retry_at: datetime, now: datetime
) -> None:
    """A failed attempt, retried at ``retry_at``. When the post has failed the preset's number of times, or
    for its number of minutes, the office is told once (not at every retry); ``_publishing_recovered`` tells
    it again when the post goes out."""
    draft.publish_attempts += 1
    draft.publish_error = _redact(error)[:2000]
    draft.publish_next_at, draft.publish_lease_until = retry_at, None
    draft.publish_failing_since = draft.publish_failing_since or now
    audit(
        session,
        draft,
        "toasoan",
        "publish_failed",
        now,
        error=draft.publish_error,
        attempt=draft.publish_attempts,
    )
    alert = settings.notices.publishing
    long_enough = now - draft.publish_failing_since >= timedelta(minutes=alert.after_minutes)
    if draft.publish_alerted_at is None and (draft.publish_attempts >= alert.after_failures or long_enough):
        draft.publish_alerted_at = now
        _ = i18n.gettext(settings.language)
        _to_office(
            session,
            settings,
            draft,
            "publish_failing",
            "[{}] [{}] ".format(_("Sự cố đăng bài"), draft.key)
            + _("chưa đăng được sau {count} lần thử: {title}").format(count=draft.publish_attempts, title=draft.title),
            now,
            retry_at=retry_at,
        )


def _publishing_recovered(session: Session, settings: Settings, draft: Draft, now: datetime) -> None:
    """The post went out (or came down) after failures: the office, told of them, is told it is over."""
    if draft.publish_alerted_at is not None:
        _ = i18n.gettext(settings.language)
        done = (
            _("đã gỡ được sau {count} lần thử thất bại: {title}")
            if draft.status == "unpublished"
            else _("đã đăng được sau {count} lần thử thất bại: {title}")
        )
        _to_office(
            session,
            settings,
            draft,
            "publish_recovered",
            "[{}] [{}] ".format(_("Đã khắc phục"), draft.key)
            + done.format(count=draft.publish_attempts, title=draft.title),
            now,
        )
    draft.publish_attempts, draft.publish_failing_since, draft.publish_alerted_at = 0, None, None


def _to_office(session, settings, draft, template, subject, now, **ctx) -> None:
    """One mail to the people ``[notices.publishing] to`` names (the operator, the office head)."""
    to = settings.people(settings.notices.publishing.to)
    msg = mails.compose(
        settings,
        template,
        [p.address for p in to],
        subject,
        {"draft": draft, "people": to, "alert": settings.notices.publishing, "now": now, **ctx},
        thread_root=draft.thread_root,
        now=now,
    )
    queue(session, draft, template, msg, now)
    audit(session, draft, "toasoan", template, now, to=[p.address for p in to])


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
    _ = i18n.gettext(settings.language)
    overdue = sum(item.overdue for item in items)
    ngettext = i18n.translations(settings.language).ngettext
    label = (
        ngettext("QUÁ HẠN {count} bài", "QUÁ HẠN {count} bài", overdue).format(count=overdue)
        if overdue
        else ngettext("Sắp đến hạn {count} bài", "Sắp đến hạn {count} bài", len(items)).format(count=len(items))
    )
    msg = mails.compose(
        settings,
        "digest",
        [person.address],
        "[{}] ".format(_("Nhắc hạn")) + _("{label} cần xử lý").format(label=label),
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


def mark_removed(session: Session, settings: Settings, draft: Draft, now: datetime) -> None:
    """The CMS took the post down after "Gỡ": sender and board are told."""
    draft.post_removed_at = now
    draft.publish_lease_until, draft.publish_error = None, None
    _publishing_recovered(session, settings, draft, now)
    last = next((d for d in reversed(draft.decisions) if d.action == "unpublish"), None)
    _ = i18n.gettext(settings.language)
    subject = f"[{draft.key}] " + _("Đã gỡ: {title}").format(title=draft.title)
    _to_sender(session, settings, draft, "unpublished", subject, now, decision=last)
    _to_board(session, settings, draft, "unpublished", subject, now, decision=last)
    audit(session, draft, "toasoan", "removed", now, post_id=draft.post_id)


def address_failed(session: Session, settings: Settings, address: str, reason: str, now: datetime) -> None:
    """A bounce for mail we sent: remember the address, and tell the office once."""
    row = session.scalar(select(FailingAddress).where(FailingAddress.address == address))
    if row is None:
        row = FailingAddress(address=address, reason=reason[:1000], first_failed_at=now, last_failed_at=now)
        session.add(row)
    else:
        row.failures += 1
        row.last_failed_at, row.reason = now, reason[:1000]
    if row.office_told_at is None and address != settings.admin.address:
        row.office_told_at = now
        person = settings.board_member(address)
        _ = i18n.gettext(settings.language)
        msg = mails.compose(
            settings,
            "address_failing",
            [settings.admin.address],
            _("Thư không gửi được tới {address}").format(address=address),
            {
                "person": settings.admin,
                "address": address,
                "reason": reason,
                "who": person.name if person else (settings.department_of(address) or address),
            },
            now=now,
        )
        queue(session, None, "address_failing", msg, now)
    audit(session, None, "toasoan", "address_failing", now, address=address, reason=reason[:300])
