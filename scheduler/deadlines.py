"""A draft's legal deadline: the preset's rule for its category, started at the event the rule names."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from newsroom.settings import Rule, Settings
from scheduler.calendar import WorkingCalendar

EVENT_NAMES = {"signed": "ngày ký", "effective": "ngày có hiệu lực", "event": "thời điểm diễn ra sự kiện"}


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
            "period": self.rule.period,
            "start": self.start.isoformat() if self.start else None,
            "start_event": self.start_event,
            "note": self.note,
        }


def compute_deadline(
    settings: Settings,
    calendar: WorkingCalendar,
    category: str,
    received_at: datetime,
    document: dict | None = None,
    own_issuer: bool = False,
) -> Deadline | None:
    """None when the preset has no rule for the category (the item has no legal deadline).

    The start is the moment the rule names: the document's date of issue or effect when it states one,
    the approval, or the receipt of the mail; when the named moment is unknown the receipt is used and
    the note says so. A rule counted from approval has no deadline until the draft is approved
    (scheduler/escalation.py sets it then).
    """
    found = settings.rule_for(category, own_issuer)
    if found is None:
        return None
    rule_id, rule = found
    event, note = rule.start_event, ""
    start: datetime | None = calendar.local(received_at)
    document = document or {}
    if event in ("signed", "effective"):
        field = "issued_on" if event == "signed" else "effective_on"
        known = document.get(field)
        if known:
            start = datetime.combine(date.fromisoformat(known), time(0), calendar.tz)
            if rule.unit in ("hours", "working_hours"):
                note = f"giờ của {EVENT_NAMES[event]} không rõ: tính từ 00:00 ngày đó"
        else:
            note = f"{EVENT_NAMES[event]} không rõ: tính từ lúc Ban biên tập nhận thư"
    elif event == "approved":
        start, note = None, "thời hạn tính từ khi được duyệt"  # the sweep sets it at approval
    elif event == "event":
        note = f"{EVENT_NAMES[event]} không rõ: tính từ lúc Ban biên tập nhận thư"
    due = calendar.add(start, rule.amount, rule.unit) if start is not None else None
    return Deadline(due, rule_id, rule, start, event, note)


def deadline_function(settings: Settings, calendar: WorkingCalendar):
    """The deadline of a new item as intake asks for it; here rather than in the daemon so that
    `toasoan inspect` gets it without loading the daemon's mail, database and HTTP clients."""

    def deadline_for(category: str, received_at: datetime, document: dict, own_issuer: bool):
        return compute_deadline(settings, calendar, category, received_at, document, own_issuer=own_issuer)

    return deadline_for
