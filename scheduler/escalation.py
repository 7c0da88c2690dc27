"""Deadline sweeps: the escalation ladder.

Each sweep finds, for every draft whose clock runs, the highest step of the ladder it has reached
(50 % → the board, 80 % → those who may approve, the deadline → the office head, then once a working
day while overdue), and sends each person one digest listing all their items. Ordinary items are
measured in office time and escalated only inside office hours; urgent items (an urgency stamp, or a
rule in wall-clock hours) are measured and escalated around the clock. Every (draft, step, person) is
recorded, so a restart never sends a step twice; "Đã nhận" stops the daily repeats for that person.
A draft assigned by "Giao: <member>" sends the board's step to its assignee alone and adds the assignee to
the later steps (``step_recipients``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from newsroom import workflow
from newsroom.records import Draft, EscalationSent
from newsroom.settings import EscalationStep, Person, Settings
from scheduler.calendar import WorkingCalendar

log = logging.getLogger("toasoan.deadlines")
CLOCK_RUNS = ("received", "in_review", "changes_requested", "approved")


@dataclass(frozen=True)
class Reached:
    step: EscalationStep
    key: str  # recorded per person: "50%", "80%", or "100%:2026-11-27" for a daily repeat
    fraction: float


def is_urgent(settings: Settings, draft: Draft) -> bool:
    rule = settings.rules.get(draft.deadline_rule or "")
    return draft.urgency != "normal" or bool(rule and rule.wall_clock)


def elapsed_fraction(calendar: WorkingCalendar, start: datetime, due: datetime, now: datetime, urgent: bool) -> float:
    if now >= due:
        return max(1.0, (now - start) / (due - start)) if due > start else 1.0
    if urgent:
        total, elapsed = due - start, now - start
    else:
        total, elapsed = calendar.working_time_between(start, due), calendar.working_time_between(start, now)
        if not total:  # a period with no office time in it: fall back to the clock on the wall
            total, elapsed = due - start, now - start
    return max(0.0, elapsed / total) if total else 0.0


def reached(settings: Settings, calendar: WorkingCalendar, draft: Draft, now: datetime) -> Reached | None:
    start = draft.deadline_start or draft.created_at
    fraction = elapsed_fraction(calendar, start, draft.deadline_at, now, is_urgent(settings, draft))
    steps = [s for s in settings.escalation if s.at <= fraction]
    if not steps:
        return None
    step = steps[-1]
    key = f"{step.at:.0%}"
    if step.repeat == "working_day":
        key += f":{calendar.local(now).date().isoformat()}"
    return Reached(step, key, fraction)


def step_recipients(settings: Settings, step: EscalationStep, draft: Draft) -> list[Person]:
    """Whom a step tells about a draft: for an assigned draft the assignee takes the whole board's place and is
    added to the later steps (Đắk Mar Đ10.3: the head assigns the work, so its reminders go to whoever owns it)."""
    assignee = settings.board_member(draft.assignee_address) if draft.assignee_address else None
    if assignee is None:
        return settings.recipients(step)
    others = settings.people([who for who in step.to if who != "board"])
    return [assignee, *(p for p in others if p.address != assignee.address)]


def _start_approval_clocks(session: Session, settings: Settings, calendar: WorkingCalendar, now: datetime) -> None:
    """Rules counted from approval (Đắk Mar Đ8.1c) get their deadline once the draft is approved."""
    for draft in session.scalars(
        select(Draft).where(
            Draft.status == "approved",
            Draft.deadline_at.is_(None),
            Draft.deadline_start_event == "approved",
        )
    ):
        rule = settings.rules.get(draft.deadline_rule or "")
        if rule is not None and draft.decided_at is not None:
            due = calendar.add(draft.decided_at, rule.amount, rule.unit)
            workflow.set_deadline(session, draft, due, calendar.local(draft.decided_at), now)


def sweep(settings: Settings, calendar: WorkingCalendar, factory: sessionmaker[Session], now: datetime) -> int:
    """Queue this sweep's digests; returns how many were queued."""
    office_open = calendar.in_office_hours(now)
    with factory.begin() as session:
        _start_approval_clocks(session, settings, calendar, now)
        due: dict[str, tuple[Person, list[workflow.DigestItem]]] = {}
        drafts = session.scalars(
            select(Draft)
            .where(
                Draft.status.in_(CLOCK_RUNS),
                Draft.deadline_at.is_not(None),
                Draft.clock_paused_at.is_(None),
                Draft.post_id.is_(None),  # a correction of a post already up is not late for the first deadline
            )
            .order_by(Draft.deadline_at)
        )
        for draft in drafts:
            if not office_open and not is_urgent(settings, draft):
                continue
            hit = reached(settings, calendar, draft, now)
            if hit is None:
                continue
            sent = {
                (row.step, row.recipient): row
                for row in session.scalars(select(EscalationSent).where(EscalationSent.draft_id == draft.id))
            }
            acknowledged = {row.recipient for row in sent.values() if row.acknowledged_at is not None}
            rule = settings.rules.get(draft.deadline_rule or "")
            for person in step_recipients(settings, hit.step, draft):
                if (hit.key, person.address) in sent:
                    continue
                if hit.step.repeat != "none" and person.address in acknowledged:
                    continue
                item = workflow.DigestItem(draft, hit.key, hit.fraction, rule.article if rule else "")
                due.setdefault(person.address, (person, []))[1].append(item)
        for person, items in due.values():
            workflow.send_digest(session, settings, person, items, now)
            log.warning("nhắc hạn %d bài cho %s", len(items), person.address)
    return len(due)
