"""A draft's legal deadline: the preset's rule for its category, started at the event the rule names."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from newsroom.settings import Rule, Settings
from scheduler.calendar import WorkingCalendar


@dataclass(frozen=True)
class Deadline:
    due_at: datetime | None
    rule_id: str
    rule: Rule
    start: datetime | None
    start_event: str
    note: str  # which time was used, in plain words

    def as_json(self) -> dict:
        return {
            "due_at": self.due_at.isoformat() if self.due_at else None,
            "rule": self.rule_id,
            "article": self.rule.article,
            "description": self.rule.description,
            "start": self.start.isoformat() if self.start else None,
            "start_event": self.start_event,
            "note": self.note,
        }


def compute_deadline(
    settings: Settings,
    calendar: WorkingCalendar,
    category: str,
    received_at: datetime,
    issued_on: date | None = None,
    approved_at: datetime | None = None,
) -> Deadline | None:
    """None when the preset has no rule for the category (the item has no legal deadline)."""
    found = settings.rule_for(category)
    if found is None:
        return None
    rule_id, rule = found
    received = calendar.local(received_at)
    event, start, note = rule.start_event, None, ""
    if event == "received":
        start = received
    elif event == "signed":
        if issued_on is not None:
            start = datetime.combine(issued_on, time(0), calendar.tz)
            if rule.unit in ("hours", "working_hours"):
                note = "giờ ký không rõ: tính từ 00:00 ngày ký"
        else:
            start, note = received, "ngày ký không rõ: tính từ lúc Ban biên tập nhận thư"
    elif event == "approved":
        if approved_at is not None:
            start = calendar.local(approved_at)
        else:
            note = "thời hạn tính từ khi được duyệt"
    else:  # event, effective: the mail does not say when; the receipt is the best known time
        start, note = received, f"thời điểm '{event}' không rõ: tính từ lúc Ban biên tập nhận thư"
    due = calendar.add(start, rule.amount, rule.unit) if start is not None else None
    return Deadline(due, rule_id, rule, start, event, note)
