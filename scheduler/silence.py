"""Silence alerts: a site that has published nothing for too long (Hiệp Hòa Đ9.1: "cập nhật thông tin hàng
ngày, hàng tuần"), or has no weekly work schedule up by the time its week needs it (Kon Tum Đ10.3, Đ11.1e).

The rules are data in the preset (``[notices.silence.<id>]``). The daemon's sweep evaluates them at its
clock's moment, and tells only inside office hours: a silence that ends its allowed span at 24:00 is told
at the start of the next working morning. Each silence episode (the moment of the last post) or week is
recorded in ``periodic_runs`` in the same transaction as its mail, so it is told once, across restarts;
a new post ends the episode, and the next silence is told again. A site with no item before the moment a
rule falls due (a new site) is not warned.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from intake.classify import fold
from newsroom import mails, workflow
from newsroom.records import Draft, PeriodicRun
from newsroom.settings import Settings, Silence
from scheduler.calendar import WorkingCalendar

log = logging.getLogger("toasoan.silence")
WAITING = ("received", "in_review", "changes_requested", "approved")


@dataclass
class Found:
    """A silence to tell: its episode's label, when it fell due, and what the mail says."""

    episode: str
    due: datetime
    subject: str
    context: dict


def _waiting(session: Session, *where) -> list[Draft]:
    """Items that would end the silence once published: the board may simply not have decided yet."""
    return list(session.scalars(select(Draft).where(Draft.status.in_(WAITING), *where).order_by(Draft.id).limit(10)))


def _no_post(session: Session, calendar: WorkingCalendar, rule: Silence, now: datetime) -> Found | None:
    last = session.scalar(select(func.max(Draft.published_at)))
    if last is None:
        return None
    due = calendar.add(last, rule.amount, rule.unit)
    if now < due:
        return None
    return Found(
        last.astimezone(UTC).strftime("%Y%m%dT%H%M%S"),
        due,
        f"[Cảnh báo] Trang chưa có bài mới từ {mails.when(last, str(calendar.tz))} ({rule.article})",
        {"last": last, "waiting": _waiting(session)},
    )


def _matches(rule: Silence, draft: Draft) -> bool:
    title = fold(draft.title)
    return draft.category == rule.category and (not rule.title_words or any(fold(w) in title for w in rule.title_words))


def _weekly(session: Session, calendar: WorkingCalendar, rule: Silence, now: datetime) -> Found | None:
    """This week's item: due on the rule's weekday at its time (the next working day when that day is off),
    published from ``since_days`` before the week's Monday."""
    today = calendar.local(now).date()
    monday = today - timedelta(days=today.weekday())
    hour, minute = map(int, rule.time.split(":"))
    due = datetime.combine(
        calendar.next_working_day(monday + timedelta(days=rule.weekday)), time(hour, minute), calendar.tz
    )
    if now < due:
        return None
    since = datetime.combine(monday - timedelta(days=rule.since_days), time(0), calendar.tz)
    published = session.scalars(select(Draft).where(Draft.published_at >= since, Draft.published_at <= now))
    if any(_matches(rule, d) for d in published):
        return None
    if session.scalar(select(Draft.id).where(Draft.created_at < due).limit(1)) is None:
        return None
    sunday = monday + timedelta(days=6)
    year, week, _ = monday.isocalendar()
    waiting = [d for d in _waiting(session, Draft.category == rule.category) if _matches(rule, d)]
    return Found(
        f"{year}-W{week:02d}",
        due,
        f"[Cảnh báo] Chưa đăng {rule.description or mails.CATEGORY_NAMES[rule.category].lower()} "
        f"({monday:%d/%m}–{sunday:%d/%m/%Y}; hạn {mails.when(due, str(calendar.tz))}, {rule.article})",
        {"monday": monday, "sunday": sunday, "waiting": waiting},
    )


FINDERS = {"no_post": _no_post, "weekly": _weekly}


def _told(session: Session, job: str, episode: str) -> bool:
    return (
        session.scalar(select(PeriodicRun.id).where(PeriodicRun.job == job, PeriodicRun.period == episode)) is not None
    )


def sweep(settings: Settings, calendar: WorkingCalendar, factory: sessionmaker[Session], now: datetime) -> int:
    """Tell each silence due at ``now`` that was not told yet; returns how many were told."""
    rules = settings.notices.silence
    if not rules or not calendar.in_office_hours(now):
        return 0
    told = 0
    for rule_id, rule in rules.items():
        job = f"silence:{rule_id}"
        with factory() as session:
            found = FINDERS[rule.kind](session, calendar, rule, now)
            if found is None or _told(session, job, found.episode):
                continue
            people = settings.people(rule.to)
            msg = mails.compose(
                settings,
                "silence",
                [p.address for p in people],
                found.subject,
                {"rule": rule, "people": people, "due": found.due, "now": now, **found.context},
                now=now,
            )
        try:
            with factory.begin() as session:
                session.add(
                    PeriodicRun(
                        job=job,
                        period=found.episode,
                        done_at=now,
                        outcome=found.subject[:1000],
                        message_id=str(msg["Message-ID"]),
                    )
                )
                session.flush()
                workflow.queue(session, None, job, msg, now)
                workflow.audit(session, None, "toasoan", "silence", now, rule=rule_id, episode=found.episode)
        except IntegrityError:  # another daemon told it first
            continue
        log.warning("%s: %s", job, found.subject)
        told += 1
    return told
