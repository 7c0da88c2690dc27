"""What intake does with citizens' questions and the replies in their threads.

A new question opens a record unless it continues one: the same asker writing again about the same
subject while the question is open joins it as a follow-up. Each sender may open ``daily_limit``
questions a day; past it they get one polite explanation that day. In a question's thread, who may do
what follows from the reply address written to (its party) and is checked against the sender: only the
asker adds to a question, only the unit answers or extends it, only the board routes and approves.
Logs name questions by their code, never the citizen's address or words.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, time
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from intake import replies
from intake.analyze import SUBJECT_PREFIX, Analysis, _text_to_html
from intake.authentication import verify
from intake.classify import fold
from newsroom import i18n, questions, replykey, workflow
from newsroom.lifecycle import OPEN_QUESTION
from newsroom.records import AuditEvent, IncomingMessage, OutboxMail, Question
from newsroom.settings import Person, Unit

if TYPE_CHECKING:
    from intake.service import Intake

log = logging.getLogger("toasoan.questions")
PURPOSE_PARTY = {
    "question_ack": "asker",
    "question_citizen": "asker",
    "question_unit": "unit",
    "question_board": "board",
}


def _same_subject(a: str, b: str) -> bool:
    def norm(s: str) -> str:
        return " ".join(fold(SUBJECT_PREFIX.sub("", re.sub(r"\[[^\]]*\]", "", s))).split())

    return norm(a) == norm(b)


def on_question(intake: Intake, session: Session, a: Analysis, incoming: IncomingMessage, now: datetime) -> None:
    settings, info, sub = intake.settings, a.question, a.submission
    same_asker = session.scalars(
        select(Question).where(Question.asker_address == info.asker, Question.status.in_(OPEN_QUESTION))
    ).all()
    joined = next((q for q in same_asker if _same_subject(q.title, sub.title)), None)
    if joined is not None:
        questions.follow_up(session, settings, joined, sub.preview_text, incoming, now)
        incoming.outcome = f"bổ sung cho câu hỏi {joined.key}"
        log.info("thư %s bổ sung cho câu hỏi %s", incoming.id, joined.key)
        return
    zone = ZoneInfo(settings.timezone)
    day_start = datetime.combine(now.astimezone(zone).date(), time(0), zone)
    today = session.scalar(
        select(func.count(Question.id)).where(Question.asker_address == info.asker, Question.created_at >= day_start)
    )
    if today >= settings.questions.daily_limit:
        _over_limit(intake, session, a, info.asker, incoming, day_start, now)
        return
    times = intake.question_times(incoming.received_at)
    question = questions.open_question(
        session,
        settings,
        title=sub.title,
        text=sub.preview_text,
        body_html=sub.body_html,
        asker=info.asker,
        asker_name=info.asker_name,
        via=info.via,
        topic=info.topic,
        unit=settings.questions.unit_for(info.topic),
        incoming=incoming,
        times=times,
        now=now,
    )
    incoming.outcome = f"câu hỏi {question.key} ({info.topic or 'chưa rõ lĩnh vực'})"
    log.info("thư %s → câu hỏi %s (lĩnh vực %s)", incoming.id, question.key, info.topic)


def _over_limit(intake: Intake, session, a: Analysis, asker: str, incoming, day_start: datetime, now) -> None:
    """Past the day's limit: recorded; the sender is told once that day, politely."""
    limit = intake.settings.questions.daily_limit
    incoming.outcome = f"vượt giới hạn {limit} câu hỏi mỗi ngày"
    told = session.scalar(
        select(AuditEvent.id)
        .where(AuditEvent.event == "question_limit", AuditEvent.actor == asker, AuditEvent.at >= day_start)
        .limit(1)
    )
    log.warning("thư %s: người hỏi vượt giới hạn %d câu hỏi mỗi ngày", incoming.id, limit)
    if told is None:
        _ = i18n.gettext(intake.settings.language)
        reason = _(
            "mỗi người gửi được tối đa {limit} câu hỏi mới trong một ngày; các câu hỏi đã gửi vẫn đang được xử lý. "
            "Xin gửi câu hỏi này vào ngày làm việc tiếp theo, hoặc trả lời thư xác nhận của câu hỏi trước để bổ sung."
        ).format(limit=limit)
        workflow.refuse_message(
            session, intake.settings, asker, a.mail.sender_name, a.mail.subject, reason, a.mail.message_id, now
        )
        workflow.audit(session, None, asker, "question_limit", now, message_id=a.mail.message_id)


def _ignore(session, incoming, why: str, now) -> None:
    """A reply in a question's thread that may not act: audited, never answered, logged without addresses."""
    incoming.outcome = f"{why}: bỏ qua"
    log.warning("trả lời (bản ghi %s) trong luồng câu hỏi bị bỏ qua: %s", incoming.id, why)
    workflow.audit(
        session, None, incoming.sender or "", "reply_ignored", now, reason=why, message_id=incoming.message_id
    )


def _key_from_thread(intake: Intake, session: Session, a: Analysis) -> replykey.ReplyKey | None:
    """The question and party a reply belongs to, from the mail of ours it quotes (clients that keep neither
    the Reply-To nor the subject): the question of that mail, and the party it was written to."""
    ids = [i for i in (a.mail.in_reply_to, *a.mail.references) if i]
    row = session.scalar(
        select(OutboxMail)
        .where(OutboxMail.message_id.in_(ids), OutboxMail.question_id.is_not(None))
        .order_by(OutboxMail.id.desc())
        .limit(1)
    )
    party = PURPOSE_PARTY.get(row.purpose) if row else None
    if party is None:
        return None
    question = session.get(Question, row.question_id)
    return questions.key_for(intake.settings, question, party)


def on_reply(intake: Intake, session: Session, a: Analysis, incoming: IncomingMessage, now: datetime) -> None:
    if a.key is not None and not a.key_valid:
        _ignore(session, incoming, "khóa trả lời không hợp lệ", now)
        return
    key = a.key or _key_from_thread(intake, session, a)
    question = session.scalar(select(Question).where(Question.key == key.draft_key)) if key else None
    if question is None:
        _ignore(session, incoming, "không ứng với câu hỏi nào", now)
        return
    party = questions.PARTY_OF.get(key.revision)
    sender = a.mail.sender_address
    if party == "asker" and sender == question.asker_address:
        _from_asker(intake, session, a, question, incoming, now)
    elif party == "unit" and sender == (question.unit_address or ""):
        _from_unit(intake, session, a, question, incoming, now)
    elif party == "board" and (person := intake.settings.board_member(sender)) is not None:
        _from_board(intake, session, a, question, person, incoming, now)
    else:
        _ignore(session, incoming, f"người gửi không phải bên được trả lời câu hỏi {question.key}", now)


def _from_asker(intake: Intake, session, a: Analysis, question: Question, incoming, now) -> None:
    text = replies.reply_text(a.mail.text, a.mail.html)
    if not text and not a.mail.attachments:
        incoming.outcome = f"thư trống trong luồng câu hỏi {question.key}"
        return
    questions.follow_up(session, intake.settings, question, text, incoming, now)
    incoming.outcome = f"bổ sung cho câu hỏi {question.key}"


def _tell(intake: Intake, session, name: str, address: str, message: str, a: Analysis, now) -> None:
    person = Person(name=name or address, address=address)
    workflow.answer_board_member(session, intake.settings, None, person, message, a.mail.message_id, now)


def _from_unit(intake: Intake, session, a: Analysis, question: Question, incoming, now) -> None:
    """The unit answers (its text above the quote, or a .docx), or asks for more time ("Gia hạn: …")."""
    settings, text = intake.settings, replies.reply_text(a.mail.text, a.mail.html)
    _ = i18n.gettext(settings.language)
    try:
        if a.command is not None and a.command.action == "extend":
            questions.extend(
                session, settings, question, a.command.at, a.command.reason, a.mail.sender_address, incoming, now
            )
            incoming.outcome = f"gia hạn câu hỏi {question.key}"
            return
        if fold(text).startswith(("gia han", "xin gia han")):
            raise workflow.DecisionRefused(
                _("Chưa đọc được ngày gia hạn; xin viết ở dòng đầu như “Gia hạn: 20/12/2026 - lý do”.")
            )
        if a.submission is not None:
            html = a.submission.body_html
            text = "\n\n".join(filter(None, [text, a.submission.preview_text]))
        elif text:
            html = _text_to_html(text)
        else:
            raise workflow.DecisionRefused(_("Thư trả lời không có nội dung; xin viết câu trả lời phía trên thư gốc."))
        questions.answer(session, settings, question, html, text, a.mail.sender_address, incoming, now)
        incoming.outcome = f"trả lời cho câu hỏi {question.key}"
    except workflow.DecisionRefused as refused:
        incoming.outcome = f"không thực hiện: {refused}"
        _tell(intake, session, question.unit_name or "", question.unit_address, str(refused), a, now)


def _from_board(intake: Intake, session, a: Analysis, question: Question, person: Person, incoming, now) -> None:
    settings, command = intake.settings, a.command
    _ = i18n.gettext(settings.language)
    passed, verdict = verify(a.mail, settings.trusted_authserv_id)
    if not passed:
        _ignore(session, incoming, f"không xác thực được người gửi ({verdict})", now)
        return
    try:
        if command is None:
            raise workflow.DecisionRefused(
                _(
                    "Hệ thống chưa hiểu trả lời của đồng chí về câu hỏi {key}; xin xem các lệnh cuối thư thông báo."
                ).format(key=question.key)
            )
        action = command.action
        if action == "forward":
            unit = (
                questions.find_unit(settings, command.reason)
                if command.reason
                else settings.questions.unit_for(question.topic)
            )
            if unit is None and not command.reason and question.unit_address:
                unit = Unit(name=question.unit_name or question.unit_address, address=question.unit_address)
            if unit is None:
                raise workflow.DecisionRefused(
                    _(
                        "Không tìm thấy đơn vị “{unit}”; xin ghi lĩnh vực, tên đơn vị hoặc địa chỉ thư của đơn vị."
                    ).format(unit=command.reason)
                )
            questions.forward(session, settings, question, unit, person.address, now)
        elif action == "out_of_scope":
            questions.out_of_scope(session, settings, question, command.reason, person.address, now)
        elif action == "extend":
            questions.extend(session, settings, question, command.at, command.reason, person.address, incoming, now)
        elif action in ("approve", "approve_publish"):
            if not settings.may_approve(person, "qa"):
                raise workflow.DecisionRefused(_("Vai trò của đồng chí không được duyệt câu trả lời theo quy chế."))
            questions.approve(session, settings, question, person, action == "approve_publish", incoming, now)
        elif action == "request_changes":
            questions.request_changes(session, settings, question, command.reason, person, now)
        else:
            raise workflow.DecisionRefused(
                _("Lệnh này không dùng cho câu hỏi của công dân ({key}).").format(key=question.key)
            )
        incoming.outcome = f"{action} câu hỏi {question.key}"
    except workflow.DecisionRefused as refused:
        incoming.outcome = f"không thực hiện: {refused}"
        workflow.answer_board_member(session, settings, None, person, str(refused), a.mail.message_id, now)
