"""Vietnamese working time: office hours, public holidays and the Civil Code's rules for periods.

Holidays (with substituted and observed days, and the Saturdays worked to bridge them) come from the
``holidays`` package, read through its table for 2010–2045 (scheduler/vietnam_holidays.py) so that a
command does not load the package's 250 countries; a site adds its own days off and working days. Periods
follow Bộ luật Dân sự 2015: Art. 147, a period in days does not count the day it starts; Art. 148, it ends
at the end (24:00) of its last day, moved to the end of the next working day when that day is a rest day.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from newsroom.settings import Calendar
from scheduler import vietnam_holidays as table

MAX_SCAN_DAYS = 3660  # a calendar with no working day at all must not loop forever


class WorkingCalendar:
    def __init__(self, cal: Calendar, tz: str = "Asia/Ho_Chi_Minh"):
        self.tz = ZoneInfo(tz)
        self.spans = cal.spans()
        self.weekdays = set(cal.working_weekdays)
        self.days_off = {date.fromisoformat(d) for d in cal.extra_days_off}
        self.working_days = {date.fromisoformat(d) for d in cal.extra_working_days}

    @cached_property
    def _package(self):
        import holidays  # years outside the table only

        return holidays.country_holidays("VN")  # years are filled in lazily on lookup

    def holiday_name(self, day: date) -> str | None:
        if table.FIRST_YEAR <= day.year <= table.LAST_YEAR:
            return table.HOLIDAYS.get(day)
        return self._package.get(day)

    def _worked_saturday(self, day: date) -> bool:
        """A rest day worked to bridge a holiday."""
        if table.FIRST_YEAR <= day.year <= table.LAST_YEAR:
            return day in table.WORKED_SATURDAYS
        self._package.get(day)  # make sure the year is populated before asking about bridged Saturdays
        return day in self._package.weekend_workdays

    def is_working_day(self, day: date) -> bool:
        if day in self.working_days:
            return True
        if day in self.days_off:
            return False
        if self.holiday_name(day) is not None:
            return False
        if day.weekday() in self.weekdays:
            return True
        return self._worked_saturday(day)

    def next_working_day(self, day: date) -> date:
        """The first working day on or after ``day``."""
        for _ in range(MAX_SCAN_DAYS):
            if self.is_working_day(day):
                return day
            day += timedelta(days=1)
        raise ValueError("lịch làm việc không có ngày làm việc nào")

    def end_of(self, day: date) -> datetime:
        """24:00 of ``day``, i.e. the first instant of the next day, in the site's zone."""
        return datetime.combine(day + timedelta(days=1), time(0), self.tz)

    def local(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            raise ValueError("thời điểm thiếu múi giờ")
        return moment.astimezone(self.tz)

    def add_hours(self, start: datetime, hours: float) -> datetime:
        """Wall-clock hours: nights and holidays count (Đắk Mar Đ8.1b)."""
        return self.local(start) + timedelta(hours=hours)

    def add_days(self, start: datetime, days: int) -> datetime:
        """Calendar days, Art. 147–148: from the next day; ends 24:00, pushed past a rest day."""
        last = self.local(start).date() + timedelta(days=days)
        return self.end_of(self.next_working_day(last))

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """Working days counted from the day after the start; ends 24:00 of the last one."""
        day = self.local(start).date()
        for _ in range(days):
            day = self.next_working_day(day + timedelta(days=1))
        return self.end_of(day)

    def same_day(self, start: datetime) -> datetime:
        """'Ngay' (at once): by the end of the start's working day, or of the next one."""
        return self.end_of(self.next_working_day(self.local(start).date()))

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """Hours counted only inside office hours ("tính theo giờ hành chính", Đắk Mar Đ8.1c)."""
        remaining = timedelta(hours=hours)
        moment = self.local(start)
        day = moment.date()
        for _ in range(MAX_SCAN_DAYS):
            if self.is_working_day(day):
                for begin, end in self.spans:
                    span_start = datetime.combine(day, begin, self.tz)
                    span_end = datetime.combine(day, end, self.tz)
                    if moment >= span_end:
                        continue
                    moment = max(moment, span_start)
                    available = span_end - moment
                    if remaining <= available:
                        return moment + remaining
                    remaining -= available
                    moment = span_end
            day += timedelta(days=1)
            moment = datetime.combine(day, time(0), self.tz)
        raise ValueError("lịch làm việc không có giờ làm việc nào")

    def _spans_of(self, day: date) -> list[tuple[datetime, datetime]]:
        if not self.is_working_day(day):
            return []
        return [(datetime.combine(day, a, self.tz), datetime.combine(day, b, self.tz)) for a, b in self.spans]

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Office time between two moments (zero when end is not after start)."""
        start, end = self.local(start), self.local(end)
        total, day = timedelta(), start.date()
        while day <= end.date():
            for a, b in self._spans_of(day):
                overlap = min(b, end) - max(a, start)
                if overlap > timedelta():
                    total += overlap
            day += timedelta(days=1)
        return total

    def in_office_hours(self, moment: datetime) -> bool:
        moment = self.local(moment)
        return any(a <= moment < b for a, b in self._spans_of(moment.date()))

    def add(self, start: datetime, amount: float, unit: str) -> datetime:
        if unit == "hours":
            return self.add_hours(start, amount)
        if unit == "working_hours":
            return self.add_working_hours(start, amount)
        if unit == "days":
            return self.add_days(start, int(amount))
        if unit == "working_days":
            return self.add_working_days(start, int(amount))
        if unit == "same_day":
            return self.same_day(start)
        if unit == "at_start":  # "at the latest when the document takes effect" (Đắk Mar Đ11.2)
            return self.local(start)
        raise ValueError(f"đơn vị thời hạn không có: {unit}")
