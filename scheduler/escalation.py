"""Deadline sweeps: start the clocks that begin at approval, and tell the office head about overdue drafts.

Each step is recorded per draft and person (``escalations`` table), so a restart never sends it twice.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from newsroom import workflow
from newsroom.records import Draft
from newsroom.settings import Settings
from scheduler.calendar import WorkingCalendar
from scheduler.deadlines import compute_deadline

log = logging.getLogger("toasoan.deadlines")


def sweep(settings: Settings, calendar: WorkingCalendar, factory: sessionmaker[Session], now: datetime) -> int:
    """Returns how many escalation mails were queued."""
    sent = 0
    with factory.begin() as session:
        for draft in session.scalars(
            select(Draft).where(
                Draft.status == "approved",
                Draft.deadline_at.is_(None),
                Draft.deadline_start_event == "approved",
            )
        ):
            deadline = compute_deadline(settings, calendar, draft.category, draft.created_at, None, draft.decided_at)
            if deadline and deadline.due_at:
                workflow.set_deadline(session, draft, deadline, now)
        overdue = session.scalars(
            select(Draft).where(
                Draft.status.in_(workflow.UNDECIDED),
                Draft.deadline_at.is_not(None),
                Draft.deadline_at <= now,
            )
        )
        for draft in overdue:
            rule = settings.rules.get(draft.deadline_rule or "")
            article = rule.article if rule else (draft.deadline_rule or "")
            if workflow.escalate(session, settings, draft, "overdue", settings.office_head, article, now):
                log.warning(
                    "bài %s quá hạn (%s): đã báo %s",
                    draft.key,
                    draft.deadline_at,
                    settings.office_head.address,
                )
                sent += 1
    return sent
