"""The on-time record: each item's deadline against its publication, per category, per department and per
assignee (the board member the head gave it to, newsroom/assignment.py).

Counted over the items received in the month that were to be published (not rejected, not held):
on time when published by the deadline; late when published after it, or still unpublished once it
passed; pending otherwise. The median delay is over the late items.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from newsroom.mails import CATEGORY_NAMES
from newsroom.records import Draft
from newsroom.settings import Settings

NOT_TO_PUBLISH = ("rejected", "held")
UNASSIGNED = "(chưa giao)"


@dataclass
class Row:
    group: str
    items: int = 0
    on_time: int = 0
    late: int = 0
    pending: int = 0
    median_delay_hours: float | None = None


def month_bounds(month: str, tz: str) -> tuple[datetime, datetime]:
    first = date.fromisoformat(f"{month}-01")
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    zone = ZoneInfo(tz)
    return datetime.combine(first, time(0), zone), datetime.combine(following, time(0), zone)


def deadline_report(session: Session, settings: Settings, month: str, now: datetime) -> dict[str, list[Row]]:
    """The record as it stood at ``now``: items received by then, published by then."""
    start, end = month_bounds(month, settings.timezone)
    return on_time_record(
        session,
        settings,
        start,
        end,
        now,
        {
            "category": lambda draft: CATEGORY_NAMES.get(draft.category, draft.category),
            "department": lambda draft: draft.department or draft.sender_address,
            "assignee": assignee_of,
        },
    )


def assignee_of(draft: Draft) -> str:
    """The board member a draft was assigned to ("Giao: …"), for the reports' per-assignee rows."""
    return draft.assignee_name or UNASSIGNED


def on_time_record(
    session: Session,
    settings: Settings,
    start: datetime,
    end: datetime,
    now: datetime,
    groupings: dict[str, Callable[[Draft], str]],
) -> dict[str, list[Row]]:
    """Items received in [start, end) by ``now``, grouped each way ``groupings`` names them."""
    drafts = session.scalars(
        select(Draft).where(
            Draft.created_at >= start,
            Draft.created_at < min(end, now),
            Draft.deadline_at.is_not(None),
            Draft.status.not_in(NOT_TO_PUBLISH),
        )
    )
    groups: dict[str, dict[str, tuple[Row, list[float]]]] = {kind: {} for kind in groupings}
    for draft in drafts:
        outcome, delay = outcome_at(draft, now)
        for kind, name_of in groupings.items():
            name = name_of(draft)
            row, delays = groups[kind].setdefault(name, (Row(name), []))
            row.items += 1
            setattr(row, outcome, getattr(row, outcome) + 1)
            if outcome == "late":
                delays.append(delay)
    result = {}
    for kind, rows in groups.items():
        result[kind] = []
        for name in sorted(rows):
            row, delays = rows[name]
            row.median_delay_hours = round(statistics.median(delays), 1) if delays else None
            result[kind].append(row)
    return result


def outcome_at(draft: Draft, now: datetime) -> tuple[str, float]:
    """on_time, late or pending at ``now``, with the hours past the deadline (negative: before it)."""
    finished = draft.published_at if draft.published_at and draft.published_at <= now else None
    delay = ((finished or now) - draft.deadline_at).total_seconds() / 3600
    return ("on_time" if finished and delay <= 0 else ("late" if delay > 0 else "pending")), delay


def as_json(report: dict[str, list[Row]]) -> dict:
    return {kind: [asdict(row) for row in rows] for kind, rows in report.items()}


def as_text(report: dict[str, list[Row]], month: str) -> str:
    lines = [f"Báo cáo đúng hạn tháng {month[5:]}/{month[:4]} (các bài nhận trong tháng)"]
    for kind, title in (
        ("category", "Theo hạng mục"),
        ("department", "Theo đơn vị gửi"),
        ("assignee", "Theo người được giao"),
    ):
        lines += [
            "",
            title,
            f"{'':34} {'số bài':>7} {'đúng hạn':>9} {'trễ':>5} {'chưa đến hạn':>13} {'trễ trung vị':>13}",
        ]
        for row in report[kind]:
            median = f"{row.median_delay_hours:.1f} giờ" if row.median_delay_hours is not None else "—"
            lines.append(
                f"{row.group[:34]:34} {row.items:7} {row.on_time:9} {row.late:5} {row.pending:13} {median:>13}"
            )
        if not report[kind]:
            lines.append("(không có bài nào)")
    return "\n".join(lines)
