"""Vietnamese working time, checked by hand against the Civil Code (Art. 147–148) and the 2026 calendar."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsroom.settings import Calendar
from scheduler.calendar import WorkingCalendar

VN = ZoneInfo("Asia/Ho_Chi_Minh")
CAL = WorkingCalendar(Calendar(office_hours="07:30-11:30,13:30-17:00"))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=VN)


@pytest.mark.parametrize(
    ("start", "amount", "unit", "due", "why"),
    [
        ("2026-11-20 16:00", 1, "working_days", "2026-11-24 00:00", "Friday: Monday is the working day, ends 24:00"),
        ("2026-11-23 10:00", 1, "working_days", "2026-11-26 00:00", "24/11 is Vietnam Culture Day (a day off)"),
        ("2026-02-13 09:00", 1, "working_days", "2026-02-24 00:00", "Tết 2026: 16–20/02 off"),
        ("2026-04-29 09:00", 1, "working_days", "2026-05-05 00:00", "30/4 and 1/5 fall on Thu and Fri"),
        ("2026-04-24 09:00", 1, "working_days", "2026-04-29 00:00", "Hùng Kings on Sunday 26/4, observed Monday 27/4"),
        ("2026-08-21 09:00", 1, "working_days", "2026-08-23 00:00", "Saturday 22/8 worked to bridge 31/8–2/9"),
        ("2026-12-31 15:00", 1, "working_days", "2027-01-05 00:00", "end of year: 1/1/2027 is a Friday holiday"),
        ("2026-11-23 08:00", 15, "working_days", "2026-12-16 00:00", "15 working days, 24/11 off: the 15th is 15/12"),
        ("2026-11-20 16:00", 1, "days", "2026-11-24 00:00", "Art. 148: last day Saturday moves to Monday"),
        ("2026-11-18 16:00", 1, "days", "2026-11-20 00:00", "Art. 147: a day period starts the next day"),
        ("2026-11-21 23:00", 2, "hours", "2026-11-22 01:00", "wall-clock hours run through the night and Sunday"),
        ("2026-11-20 16:00", 12, "working_hours", "2026-11-25 11:00", "1 h Fri, 7.5 h Mon, Tue off, 3.5 h Wed"),
        ("2026-11-23 10:30", 2, "working_hours", "2026-11-23 14:30", "the lunch break does not count"),
        ("2026-11-23 06:00", 1, "working_hours", "2026-11-23 08:30", "before office hours the clock waits"),
        ("2026-11-22 10:00", 1, "same_day", "2026-11-24 00:00", "'ngay' on a Sunday: by the end of Monday"),
    ],
)
def test_hand_computed_deadlines(start, amount, unit, due, why):
    assert CAL.add(at(start), amount, unit) == at(due), why


def test_site_declared_days():
    swapped = WorkingCalendar(Calendar(extra_working_days=["2026-11-28"], extra_days_off=["2026-11-27"]))
    assert not swapped.is_working_day(date(2026, 11, 27))
    assert swapped.is_working_day(date(2026, 11, 28))
    assert swapped.add(at("2026-11-26 09:00"), 1, "working_days") == at("2026-11-29 00:00")


def test_other_office_hours():
    early = WorkingCalendar(Calendar(office_hours="07:00-11:00,13:00-17:00"))
    assert early.add(at("2026-11-23 10:30"), 1, "working_hours") == at("2026-11-23 13:30")


def test_utc_input_is_counted_in_vietnam_time():
    start = datetime(2026, 11, 20, 9, 30, tzinfo=ZoneInfo("UTC"))  # 16:30 in Hà Nội, a Friday
    assert CAL.add(start, 1, "working_hours") == at("2026-11-23 08:00")


moments = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31)).map(
    lambda d: d.replace(second=0, microsecond=0, tzinfo=VN)
)
day_units = st.sampled_from(["days", "working_days"])


@settings(max_examples=200, deadline=None)
@given(moments, moments, st.integers(1, 30), st.sampled_from(["hours", "working_hours", "days", "working_days"]))
def test_later_start_never_gives_earlier_deadline(a, b, amount, unit):
    first, second = sorted([a, b])
    assert CAL.add(first, amount, unit) <= CAL.add(second, amount, unit)


@settings(max_examples=200, deadline=None)
@given(moments, st.integers(1, 20), day_units)
def test_day_periods_end_at_midnight_after_a_working_day(start, amount, unit):
    due = CAL.add(start, amount, unit)
    assert due.timetz().replace(tzinfo=None) == time(0)
    assert CAL.is_working_day((due - timedelta(microseconds=1)).date())
    assert due.date() > start.date()


@settings(max_examples=200, deadline=None)
@given(moments, st.integers(1, 15), st.integers(1, 15))
def test_working_days_in_two_steps_equal_one(start, a, b):
    first_end = CAL.add(start, a, "working_days") - timedelta(microseconds=1)
    assert CAL.add(first_end, b, "working_days") == CAL.add(start, a + b, "working_days")


@settings(max_examples=200, deadline=None)
@given(moments, st.integers(1, 80), st.integers(1, 80))
def test_working_hours_in_two_steps_equal_one(start, a, b):
    a_h, b_h = a / 4, b / 4  # quarter hours, exact in floating point
    assert CAL.add(CAL.add(start, a_h, "working_hours"), b_h, "working_hours") == CAL.add(
        start, a_h + b_h, "working_hours"
    )


@settings(max_examples=200, deadline=None)
@given(moments, st.integers(1, 200))
def test_working_hours_end_inside_office_hours_of_a_working_day(start, quarters):
    due = CAL.add(start, quarters / 4, "working_hours")
    assert CAL.is_working_day(due.date())
    assert any(begin < due.time() <= end for begin, end in CAL.spans)
    assert due > start


def test_the_holiday_table_says_what_the_holidays_package_says():
    """scheduler/vietnam_holidays.py is the package's answer, day by day, asked as the package is asked
    (a fresh calendar, each year filled in when one of its days is looked up); after a package upgrade
    that changes a year, `python scripts/vietnam_holidays.py` writes the table again."""
    import holidays

    from scheduler import vietnam_holidays as table

    for year in range(table.FIRST_YEAR, table.LAST_YEAR + 1):
        package = holidays.country_holidays("VN")
        day = date(year, 1, 1)
        while day.year == year:
            assert table.HOLIDAYS.get(day) == package.get(day), day
            assert (day in table.WORKED_SATURDAYS) == (day in package.weekend_workdays), day
            day += timedelta(days=1)


def test_years_outside_the_table_are_asked_of_the_package():
    from scheduler import vietnam_holidays as table

    year = table.LAST_YEAR + 5
    assert CAL.holiday_name(date(year, 9, 2)) == "National Day"
    assert not CAL.is_working_day(date(year, 9, 2))
