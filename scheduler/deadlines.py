"""A draft's legal deadline: the preset's rule for its category, started at the event the rule names."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from newsroom.i18n import N_, gettext
from newsroom.settings import Rule, Settings
from scheduler.calendar import WorkingCalendar

EVENT_NAMES = {"signed": N_("ngày ký"), "effective": N_("ngày có hiệu lực"), "event": N_("thời điểm diễn ra sự kiện")}
READER_NAMES = {  # Rule.event_reader: what "event" means for the rule, as the notification says it
    "activity": N_("thời điểm diễn ra hoạt động"),
    "end": N_("thời điểm kết thúc hội nghị, sự kiện"),
    "programme": N_("ngày phê duyệt hoặc nghiệm thu chương trình, đề tài"),
}
FROM_RECEIPT = N_("{what} không rõ: tính từ lúc Ban biên tập nhận thư")


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
    moments: dict | None = None,
) -> Deadline | None:
    """None when the preset has no rule for the category (the item has no legal deadline).

    The start is the moment the rule names: the document's signing or effect, the activity or programme
    decision read from the text (``moments``, intake/events.py), the approval, or the receipt of the
    mail; when the named moment is unknown the receipt is used and the note says which time was used.
    A rule counted from approval has no deadline until the draft is approved
    (scheduler/escalation.py sets it then).
    """
    found = settings.rule_for(category, own_issuer)
    if found is None:
        return None
    rule_id, rule = found
    _ = gettext(settings.language)
    event, note = rule.start_event, ""
    received = calendar.local(received_at)
    start: datetime | None = received
    document, moments = document or {}, moments or {}
    if event == "signed" or (event == "effective" and document.get("effective_from_signing")):
        start, note = _signing(calendar, rule, received, document, moments.get("signed"), settings.language)
        if event == "effective":
            note = _("văn bản có hiệu lực kể từ ngày ký; {note}").format(note=note)
    elif event == "effective":
        known = document.get("effective_on")
        if known:
            start = datetime.combine(date.fromisoformat(known), time(0), calendar.tz)
        else:
            note = _(FROM_RECEIPT).format(what=_(EVENT_NAMES[event]))
    elif event == "approved":
        start, note = None, _("thời hạn tính từ khi được duyệt")  # the sweep sets it at approval
    elif event == "event":
        what = _(READER_NAMES[rule.event_reader])
        moment = moments.get(rule.event_reader)
        if moment is None:
            note = _("không đọc được {what} trong văn bản: tính từ lúc Ban biên tập nhận thư").format(what=what)
        else:
            start = calendar.local(moment.at)
            note = f"{what}: {moment.describe()}"
            if not moment.time_known and rule.unit in ("hours", "working_hours", "same_day"):
                note += " " + _("(giờ không ghi: tính từ {time})").format(time=f"{start:%H:%M}")
    due = calendar.add(start, rule.amount, rule.unit) if start is not None else None
    return Deadline(due, rule_id, rule, start, event, note)


def _signing(calendar: WorkingCalendar, rule: Rule, received: datetime, document: dict, signed, language: str) -> tuple:
    """(start, note) of a rule counted from signing (Đắk Mar Đ8.1b, Kép Đ9.2, Kon Tum Đ11.1a): the
    signing hour when the document gives it; a document signed the day it arrives, from its arrival (the
    hour it was signed is not earlier than anyone can know); else 00:00 of the day of signing."""
    _ = gettext(language)
    issued = document.get("issued_on")
    if signed is not None and (not issued or signed.at.date().isoformat() == issued):
        return calendar.local(signed.at), _("giờ ký đọc từ văn bản: {phrase}").format(phrase=signed.describe())
    if not issued:
        return received, _(FROM_RECEIPT).format(what=_(EVENT_NAMES["signed"]))
    if issued == received.date().isoformat():
        return received, _("văn bản ký cùng ngày nhận, không ghi giờ ký: tính từ lúc Ban biên tập nhận thư")
    start = datetime.combine(date.fromisoformat(issued), time(0), calendar.tz)
    hourly = rule.unit in ("hours", "working_hours")
    return start, _("giờ ký không rõ: tính từ 00:00 ngày ký") if hourly else ""


def deadline_function(settings: Settings, calendar: WorkingCalendar):
    """The deadline of a new item as intake asks for it; here rather than in the daemon so that
    `toasoan inspect` gets it without loading the daemon's mail, database and HTTP clients."""

    def deadline_for(category: str, received_at: datetime, document: dict, own_issuer: bool, moments: dict):
        return compute_deadline(
            settings, calendar, category, received_at, document, own_issuer=own_issuer, moments=moments
        )

    return deadline_for
