"""Citizens' questions in working time: the answer date, reminders, overdue and very overdue, forwarding.

The answer period is the preset's rule for category ``qa`` (15 working days from receipt: Long Xuyên
Đ10.1d, Kép Đ9.5; the other presets take the same default and say so). Like Alaveteli, a question is
"very overdue" a configurable number of working days (default 15) after its deadline; both states are
read off the stored dates. Each sweep, inside office hours, sends the unit its reminder N working days
before the last day, and the office head the overdue and the very overdue notices; every (question, step,
person) is recorded and the step names the deadline it counts to, so a restart never repeats one and an
extension starts a new series. Questions the board has not routed otherwise go to their unit when the
board's time to override (``forward_after_hours`` working hours) is over.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from newsroom import questions
from newsroom.lifecycle import OPEN_QUESTION
from newsroom.records import Question, QuestionAlert
from newsroom.settings import Settings, Unit
from scheduler.calendar import WorkingCalendar

log = logging.getLogger("toasoan.questions")


def last_day(calendar: WorkingCalendar, due: datetime):
    """The day a deadline of "24:00" belongs to."""
    return calendar.local(due - timedelta(microseconds=1)).date()


def very_overdue_at(settings: Settings, calendar: WorkingCalendar, due: datetime) -> datetime:
    noon = datetime.combine(last_day(calendar, due), datetime.min.time(), calendar.tz) + timedelta(hours=12)
    return calendar.add_working_days(noon, settings.questions.very_overdue_days)


def reminder_at(calendar: WorkingCalendar, due: datetime, days: int) -> datetime:
    """The opening of the office on the working day ``days`` working days before the deadline's last day."""
    day = last_day(calendar, due)
    for _ in range(days):
        day -= timedelta(days=1)
        while not calendar.is_working_day(day):
            day -= timedelta(days=1)
    return datetime.combine(day, calendar.spans[0][0], calendar.tz)


def times(settings: Settings, calendar: WorkingCalendar, received_at: datetime) -> questions.Times:
    """A new question's dates; no rule for ``qa`` in the preset means no legal date (the site can add one)."""
    found = settings.rule_for("qa")
    forward_at = calendar.add_working_hours(received_at, settings.questions.forward_after_hours)
    if found is None:
        return questions.Times(None, None, forward_at, None, "")
    rule_id, rule = found
    due = calendar.add(received_at, rule.amount, rule.unit)
    return questions.Times(due, very_overdue_at(settings, calendar, due), forward_at, rule_id, rule.article)


def _alerts_due(settings: Settings, calendar: WorkingCalendar, q: Question, now: datetime) -> list[tuple[str, str]]:
    """(step, what) the question has reached at ``now``: the latest reminder, overdue, very overdue."""
    if q.due_at is None:
        return []
    day = last_day(calendar, q.due_at).isoformat()
    phase = questions.phase(q, now)
    if phase in ("overdue", "very_overdue"):
        steps = [(f"overdue:{day}", "overdue")]
        if phase == "very_overdue":
            steps.append((f"very_overdue:{day}", "very_overdue"))
        return steps
    if q.status not in ("forwarded", "extended") or not q.unit_address:
        return []
    reached = [n for n in settings.questions.reminders if reminder_at(calendar, q.due_at, n) <= now]
    return [(f"remind{min(reached)}:{day}", "reminder")] if reached else []


def sweep(settings: Settings, calendar: WorkingCalendar, factory: sessionmaker[Session], now: datetime) -> int:
    """Forward what the board left to its unit, and queue the alerts due, in one transaction."""
    with factory.begin() as session:
        return _sweep(settings, calendar, session, now)


def _sweep(settings: Settings, calendar: WorkingCalendar, session: Session, now: datetime) -> int:
    sent = 0
    office_open = calendar.in_office_hours(now)
    open_questions = session.scalars(
        select(Question).where(Question.status.in_(OPEN_QUESTION)).order_by(Question.id)
    ).all()
    for q in open_questions:
        if q.due_at is not None and q.very_overdue_at is None:  # after an extension
            q.very_overdue_at = very_overdue_at(settings, calendar, q.due_at)
        if q.status == "received" and q.forward_at is not None and q.forward_at <= now and q.unit_address:
            questions.forward(
                session, settings, q, Unit(name=q.unit_name or "", address=q.unit_address), "toasoan", now
            )
            log.info("câu hỏi %s chuyển cho %s (hết thời gian Ban biên tập xem xét)", q.key, q.unit_name)
            sent += 1
        if not office_open:
            continue
        done = {
            (row.step, row.recipient)
            for row in session.scalars(select(QuestionAlert).where(QuestionAlert.question_id == q.id))
        }
        for step, what in _alerts_due(settings, calendar, q, now):
            to = settings.office_head if what != "reminder" else Unit(name=q.unit_name or "", address=q.unit_address)
            if (step, to.address) in done:
                continue
            questions.alert(session, settings, q, step, what, to, now)
            log.warning("câu hỏi %s: %s", q.key, step)
            sent += 1
    return sent
