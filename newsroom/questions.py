"""Citizens' questions: received → forwarded to the competent unit → answered → approved → sent, published.

Long Xuyên Đ10.1d: the board receives, classifies and forwards each question to the unit that must
answer; a question outside the agency's remit is told to the asker at once; within 15 working days of
receipt the agency answers, or sends a progress notice with the new date; answers of general interest
are published. Each function here is one step inside the caller's transaction: it moves the question
through ``newsroom.lifecycle.QUESTION`` (audited), records the thread and queues the mail it causes.

Every party writes to its own reply address of the question (``bbt+hd00012-<party>-<mac>@``), so the
daemon knows a unit's answer from a citizen's follow-up and from a board member's command.
"""

from __future__ import annotations

import html as htmllib
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from newsroom import i18n, mails, privacy, replykey, workflow
from newsroom.i18n import N_
from newsroom.lifecycle import OPEN_QUESTION, QUESTION, TransitionRefused
from newsroom.records import AuditEvent, Draft, IncomingMessage, Question, QuestionAlert, QuestionMessage, Revision
from newsroom.settings import Person, Settings, Unit

PARTIES = {"asker": 1, "unit": 2, "board": 3}
PARTY_OF = {number: party for party, number in PARTIES.items()}
# An address named in a board member's "Chuyển:" line. It starts where a run of its characters starts, which
# the leftmost match always does, so each run is read once ("aaaa…" without "@" was quadratic).
ADDRESS_IN_TEXT = re.compile(r"(?<![\w.+-])[\w.+-]++@[\w-]+(?:\.[\w-]+)+")


@dataclass(frozen=True)
class Times:
    """When a question is due, very overdue, and forwarded unless the board acts (scheduler computes them)."""

    due_at: datetime | None
    very_overdue_at: datetime | None
    forward_at: datetime | None
    rule_id: str | None
    article: str


def phase(question: Question, now: datetime) -> str:
    """The status as people see it: "overdue" and "very_overdue" are read off the dates, never stored."""
    if question.status in OPEN_QUESTION and question.due_at is not None and now >= question.due_at:
        if question.very_overdue_at is not None and now >= question.very_overdue_at:
            return "very_overdue"
        return "overdue"
    return question.status


def key_for(settings: Settings, question: Question, party: str) -> replykey.ReplyKey:
    return replykey.make(settings.secret.resolve(), settings.site_id, question.key, PARTIES[party])


def reply_address(settings: Settings, question: Question, party: str) -> str:
    return replykey.plus_address(settings.smtp.from_address, key_for(settings, question, party))


def audit(session: Session, question: Question, actor: str, event: str, now: datetime, **detail: Any) -> None:
    session.add(AuditEvent(question_id=question.id, actor=actor, event=event, detail=detail, at=now))
    question.updated_at = now


def move(session: Session, question: Question, event: str, actor: str, now: datetime, language: str = "vi") -> None:
    """The one way a question changes state: allowed by the lifecycle table, recorded in the audit log."""
    try:
        before, after = QUESTION.move(question, event)
    except TransitionRefused as exc:
        _ = i18n.gettext(language)
        raise workflow.DecisionRefused(
            _("Câu hỏi {key}: không thể “{event}” khi câu hỏi đang ở trạng thái “{state}”.").format(
                key=question.key, event=exc.event, state=_(QUESTION.states.get(exc.state, exc.state))
            )
        ) from None
    audit(session, question, actor, "state", now, by=event, **{"from": before, "to": after})


def _send(
    session: Session,
    settings: Settings,
    question: Question,
    template: str,
    to: list[str],
    subject: str,
    now: datetime,
    *,
    party: str | None = None,
    in_reply_to: str | None = None,
    **ctx: Any,
) -> None:
    """One mail about the question: the text comes from ``template``; the Reply-To is the party's own address,
    and the subject carries the party's key so a reply that loses its Reply-To is still recognised."""
    context = {
        "site": settings,
        "q": question,
        "phase": phase(question, now),
        "state_name": QUESTION.states,  # msgids: the template translates them
        **ctx,
    }
    if party is not None:
        subject += f" [{key_for(settings, question, party).token}]"
    msg = mails.compose(
        settings,
        "question",
        to,
        subject,
        {"body": mails.render(f"{template}.txt", context, settings.language)},
        reply_to=reply_address(settings, question, party) if party else None,
        thread_root=question.thread_root if party == "board" else None,
        in_reply_to=in_reply_to,
        now=now,
    )
    row = workflow.queue(session, None, template, msg, now)
    row.question_id = question.id
    if party == "board" and question.thread_root is None:
        question.thread_root = str(msg["Message-ID"])


def _board(settings: Settings) -> list[str]:
    return [p.address for p in settings.board]


def _note(session, settings, question: Question, what: str, now: datetime, **ctx) -> None:
    """Tell the board what happened to a question (forwarded, extended, out of scope, a follow-up…)."""
    _send(
        session,
        settings,
        question,
        "question_board",
        _board(settings),
        f"[{question.key}] {i18n.gettext(settings.language)(NOTE_SUBJECTS[what])}: {question.title}",
        now,
        party="board",
        what=what,
        **ctx,
    )


NOTE_SUBJECTS = {
    "new": N_("Câu hỏi mới"),
    "forwarded": N_("Đã chuyển đơn vị trả lời"),
    "answer": N_("Đơn vị đã trả lời, cần duyệt"),
    "extended": N_("Đơn vị gia hạn trả lời"),
    "out_of_scope": N_("Ngoài phạm vi, đã báo công dân"),
    "follow_up": N_("Công dân bổ sung thông tin"),
    "approved": N_("Đã gửi trả lời cho công dân"),
    "changes": N_("Đã chuyển yêu cầu sửa cho đơn vị"),
}


def open_question(
    session: Session,
    settings: Settings,
    *,
    title: str,
    text: str,
    body_html: str,
    asker: str,
    asker_name: str,
    via: str,
    topic: str | None,
    unit: Unit | None,
    incoming: IncomingMessage,
    times: Times,
    now: datetime,
) -> Question:
    """A new question: the citizen is acknowledged with its code and legal date, the board is told the
    proposed field and unit (and what the public page would hide), and with ``auto_forward`` the unit
    receives it at once."""
    question = Question(
        key=workflow.next_key(session, Question, "HD"),
        status="received",
        title=title,
        text=text,
        body_html=body_html,
        asker_address=asker,
        asker_name=asker_name,
        via=via,
        topic=topic,
        unit_name=unit.name if unit else None,
        unit_address=unit.address if unit else None,
        received_at=incoming.received_at,
        due_at=times.due_at,
        very_overdue_at=times.very_overdue_at,
        deadline_rule=times.rule_id,
        forward_at=times.forward_at if unit else None,
        incoming_id=incoming.id,
        asker_thread=incoming.message_id,
        created_at=now,
        updated_at=now,
    )
    session.add(question)
    session.flush()
    question.messages.append(
        QuestionMessage(party="asker", kind="question", text=text, incoming_id=incoming.id, at=now)
    )
    audit(session, question, asker, "received", now, via=via, topic=topic, unit=question.unit_name)
    _ = i18n.gettext(settings.language)
    _send(
        session,
        settings,
        question,
        "question_ack",
        [asker],
        f"[{question.key}] " + _("Đã nhận câu hỏi: {title}").format(title=title),
        now,
        party="asker",
        in_reply_to=incoming.message_id,
        article=times.article,
    )
    hidden = privacy.redact(text, asker_name, settings.questions.show_names).summary(settings.language)
    usual = settings.questions.topics[topic].unit if topic in settings.questions.topics else ""
    _note(session, settings, question, "new", now, hidden=hidden, article=times.article, usual=usual)
    if unit is not None and settings.questions.auto_forward:
        forward(session, settings, question, unit, "toasoan", now)
    return question


def find_unit(settings: Settings, text: str) -> Unit | None:
    """The unit a board member names after "Chuyển:": a field (id or name), a unit's name, or an address."""
    config = settings.questions
    if m := ADDRESS_IN_TEXT.search(text):
        address = m[0].lower()
        known = [u for u in [*config.units.values(), config.default_unit] if u and u.address == address]
        return known[0] if known else Unit(name=address, address=address)
    wanted = _fold(text)
    for topic_id, unit in config.units.items():
        names = (topic_id, config.topics[topic_id].name, unit.name)
        if any(_fold(n) and (_fold(n) in wanted or wanted in _fold(n)) for n in names if n):
            return unit
    return None


def _fold(text: str) -> str:
    """Lower case without diacritics (as intake.classify.fold, which the newsroom may not import)."""
    text = unicodedata.normalize("NFD", text).replace("đ", "d").replace("Đ", "D")
    return " ".join("".join(c for c in text if unicodedata.category(c) != "Mn").lower().replace("_", " ").split())


def forward(session: Session, settings: Settings, question: Question, unit: Unit, actor: str, now: datetime) -> None:
    """The question goes to the unit with its own reply address, the deadline and how to answer."""
    move(session, question, "forward", actor, now, settings.language)
    question.unit_name, question.unit_address = unit.name, unit.address
    question.forwarded_at, question.forward_at = now, None
    audit(session, question, actor, "forwarded", now, unit=unit.name, address=unit.address)
    _ = i18n.gettext(settings.language)
    _send(
        session,
        settings,
        question,
        "question_unit",
        [unit.address],
        f"[{question.key}] " + _("Đề nghị trả lời câu hỏi của công dân: {title}").format(title=question.title),
        now,
        party="unit",
        what="forward",
    )
    _note(session, settings, question, "forwarded", now)


def answer(
    session: Session, settings: Settings, question: Question, answer_html: str, text: str, by: str, incoming, now
) -> None:
    """The unit's answer: kept, and put before the board for approval."""
    move(session, question, "answer", by, now, settings.language)
    question.answer_html, question.answer_by = answer_html, by
    question.messages.append(QuestionMessage(party="unit", kind="answer", text=text, incoming_id=incoming.id, at=now))
    audit(session, question, by, "answer", now, message_id=incoming.message_id)
    _note(session, settings, question, "answer", now, answer_text=text)


def extend(
    session: Session,
    settings: Settings,
    question: Question,
    new_due: datetime,
    reason: str,
    by: str,
    incoming: IncomingMessage,
    now: datetime,
) -> None:
    """ "Gia hạn: 20/12/2026 - lý do": the deadline moves, the reason is recorded, the citizen gets a progress
    notice with the new date (Đ10.1d: "thông báo quá trình xử lý trong đó nói rõ thời hạn trả lời")."""
    _ = i18n.gettext(settings.language)
    if not reason:
        raise workflow.DecisionRefused(_("Gia hạn cần nêu lý do, ví dụ “Gia hạn: 20/12/2026 - cần xác minh thực địa”."))
    if question.due_at is not None and new_due <= question.due_at:
        raise workflow.DecisionRefused(
            _("Ngày gia hạn phải sau hạn hiện tại ({due}).").format(
                due=mails.when(question.due_at, settings.timezone, settings.language)
            )
        )
    if new_due <= now:
        raise workflow.DecisionRefused(_("Ngày gia hạn đã qua; xin ghi một ngày sắp tới."))
    old = question.due_at
    move(session, question, "extend", by, now, settings.language)
    question.due_at, question.very_overdue_at = new_due, None  # the sweep counts the new very-overdue date
    question.messages.append(
        QuestionMessage(party="unit", kind="extension", text=reason, incoming_id=incoming.id, at=now)
    )
    audit(
        session,
        question,
        by,
        "extended",
        now,
        reason=reason,
        due_before=old.isoformat() if old else None,
        due_after=new_due.isoformat(),
    )
    _to_asker(
        session,
        settings,
        question,
        "progress",
        f"[{question.key}] " + _("Thông báo gia hạn trả lời"),
        now,
        reason=reason,
    )
    _note(session, settings, question, "extended", now, reason=reason, old_due=old)


def out_of_scope(session: Session, settings: Settings, question: Question, reason: str, by: str, now: datetime) -> None:
    """Not within the agency's remit: the citizen is told at once, with the competent body when given."""
    _ = i18n.gettext(settings.language)
    if not reason:
        raise workflow.DecisionRefused(
            _("Xin ghi lý do và cơ quan có thẩm quyền, ví dụ “Ngoài phạm vi: thuộc thẩm quyền Sở Tư pháp”.")
        )
    move(session, question, "out_of_scope", by, now, settings.language)
    question.closed_reason = reason
    audit(session, question, by, "out_of_scope", now, reason=reason)
    _to_asker(session, settings, question, "out_of_scope", f"[{question.key}] " + _("Về câu hỏi của anh/chị"), now)
    _note(session, settings, question, "out_of_scope", now, reason=reason)


def request_changes(
    session: Session, settings: Settings, question: Question, reason: str, person: Person, now: datetime
) -> None:
    """ "Sửa: …" on an answer: back to the unit, which answers again by replying."""
    move(session, question, "request_changes", person.address, now, settings.language)
    audit(session, question, person.address, "changes_requested", now, reason=reason)
    _ = i18n.gettext(settings.language)
    _send(
        session,
        settings,
        question,
        "question_unit",
        [question.unit_address],
        f"[{question.key}] " + _("Đề nghị sửa câu trả lời: {title}").format(title=question.title),
        now,
        party="unit",
        what="changes",
        reason=reason,
        person=person,
    )
    _note(session, settings, question, "changes", now, reason=reason)


def approve(
    session: Session,
    settings: Settings,
    question: Question,
    person: Person,
    publish: bool,
    incoming: IncomingMessage,
    now: datetime,
) -> Draft | None:
    """ "Duyệt": the citizen receives the answer. "Duyệt, đăng": and the question with its answer becomes a
    post in the Q&A category, without the asker's personal data. Returns that post's draft."""
    move(session, question, "approve_publish" if publish else "approve", person.address, now, settings.language)
    question.answered_at = now
    audit(session, question, person.address, "approved", now, publish=publish, message_id=incoming.message_id)
    _ = i18n.gettext(settings.language)
    _to_asker(
        session,
        settings,
        question,
        "answer",
        f"[{question.key}] " + _("Trả lời câu hỏi: {title}").format(title=question.title),
        now,
        answer_text=text_of(question.answer_html or ""),
    )
    draft = _qa_post(session, settings, question, person, incoming, now) if publish else None
    _note(session, settings, question, "approved", now, draft=draft)
    return draft


def text_of(html: str) -> str:
    """Plain text of a sanitised answer, a paragraph a line."""
    text = re.sub(r"(?i)<br\s*/?>|</(p|h\d|li|tr|div)>", "\n", html)
    text = htmllib.unescape(re.sub(r"<[^>]+>", "", text))
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def public_html(settings: Settings, question: Question) -> tuple[str, list[str]]:
    """The Q&A as the site shows it, and what was removed from it; built from a whitelist of fields
    (title, question text, initials, unit, answer), never from the record as a whole."""
    shown = settings.questions.show_names
    asked = privacy.redact(question.text, question.asker_name, shown)
    answered = privacy.redact(text_of(question.answer_html or ""), question.asker_name, shown)
    who = question.asker_name if shown else privacy.initials(question.asker_name)
    paragraphs = "".join(f"<p>{htmllib.escape(p.strip())}</p>" for p in re.split(r"\n\s*\n", asked.text) if p.strip())
    answer_paragraphs = "".join(
        f"<p>{htmllib.escape(p.strip())}</p>" for p in re.split(r"\n\s*\n|\n", answered.text) if p.strip()
    )
    _ = i18n.gettext(settings.language)
    html = (
        f"<h2>{_('Câu hỏi')}</h2>{paragraphs}"
        "<p><em>"
        + _("Người hỏi: {who} — ngày {day}").format(
            who=htmllib.escape(who or _("bạn đọc")),
            day=question.received_at.astimezone(ZoneInfo(settings.timezone)).strftime("%d/%m/%Y"),
        )
        + f"</em></p><h2>{_('Trả lời')}</h2>{answer_paragraphs}"
    )
    removed = {**asked.removed}
    for kind, n in answered.removed.items():
        removed[kind] = removed.get(kind, 0) + n
    return html, [f"{n} {kind}" for kind, n in removed.items()]


def _qa_post(session, settings: Settings, question: Question, person: Person, incoming, now: datetime) -> Draft:
    """The published Q&A is an approved draft of category "qa": the publisher makes it a post exactly once."""
    html, removed = public_html(settings, question)
    _ = i18n.gettext(settings.language)
    draft = Draft(
        key=workflow.next_key(session, Draft, "TS"),
        status="approved",
        category="qa",
        title=_("Hỏi đáp: {title}").format(title=question.title),
        sender_address=question.asker_address,
        sender_name=question.asker_name,
        department=question.unit_name,
        source=question.unit_name,
        created_at=now,
        updated_at=now,
        decided_at=now,
        publish_next_at=now,
    )
    session.add(draft)
    session.flush()
    draft.revisions.append(
        Revision(
            number=1, title=draft.title, body_html=html, warnings=[], incoming_id=question.incoming_id, created_at=now
        )
    )
    question.draft_id = draft.id
    workflow.audit(session, draft, person.address, "qa_approved", now, question=question.key, removed=removed)
    return draft


def follow_up(session: Session, settings: Settings, question: Question, text: str, incoming, now: datetime) -> None:
    """The citizen adds to their question: it joins the thread; the board (and the unit, once it has the
    question) receive the addition."""
    question.messages.append(
        QuestionMessage(party="asker", kind="follow_up", text=text, incoming_id=incoming.id, at=now)
    )
    audit(session, question, question.asker_address, "follow_up", now, message_id=incoming.message_id)
    _note(session, settings, question, "follow_up", now, addition=text)
    if question.unit_address and question.status in ("forwarded", "extended"):
        _ = i18n.gettext(settings.language)
        _send(
            session,
            settings,
            question,
            "question_unit",
            [question.unit_address],
            f"[{question.key}] " + _("Công dân bổ sung thông tin: {title}").format(title=question.title),
            now,
            party="unit",
            what="follow_up",
            addition=text,
        )


def _to_asker(session, settings: Settings, question: Question, what: str, subject: str, now: datetime, **ctx) -> None:
    _send(
        session,
        settings,
        question,
        "question_citizen",
        [question.asker_address],
        subject,
        now,
        party="asker",
        in_reply_to=question.asker_thread,
        what=what,
        **ctx,
    )


def alert(
    session: Session, settings: Settings, question: Question, step: str, what: str, to: Person | Unit, now: datetime
) -> None:
    """A reminder to the unit, or the overdue / very overdue notice to the office head; sent once per
    (question, step, person), the step naming the deadline it counts to."""
    _ = i18n.gettext(settings.language)
    party = "unit" if what == "reminder" else None
    _send(
        session,
        settings,
        question,
        "question_unit" if what == "reminder" else "question_alert",
        [to.address],
        f"[{_('Nhắc hạn')}] [{question.key}] {_(ALERT_SUBJECTS[what])}: {question.title}",
        now,
        party=party,
        what=what,
        person=to,
    )
    session.add(QuestionAlert(question_id=question.id, step=step, recipient=to.address, sent_at=now))
    audit(session, question, "toasoan", "alert", now, step=step, to=to.address)


ALERT_SUBJECTS = {
    "reminder": N_("Sắp đến hạn trả lời câu hỏi"),
    "overdue": N_("QUÁ HẠN trả lời câu hỏi"),
    "very_overdue": N_("QUÁ HẠN NGHIÊM TRỌNG trả lời câu hỏi"),
}
