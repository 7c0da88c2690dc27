"""Writes scheduler/vietnam_holidays.py from the ``holidays`` package: run it after upgrading the package
(tests/test_calendar.py fails until the table says what the package says).

    .venv/bin/python scripts/vietnam_holidays.py
"""

from __future__ import annotations

from pathlib import Path

import holidays

FIRST_YEAR, LAST_YEAR = 2010, 2045
TARGET = Path(__file__).resolve().parent.parent / "scheduler" / "vietnam_holidays.py"
HEADER = '''"""Vietnam's public holidays and the Saturdays worked to bridge them, {first}–{last}, as the ``holidays``
package ({version}) computes them; written by scripts/vietnam_holidays.py, checked against the package by
tests/test_calendar.py. Read from here, a deadline does not wait for the package to load its 250 other
countries (0.2–0.3 s, most of a `toasoan inspect`); years outside the table are asked of the package.
"""

from __future__ import annotations

from datetime import date

FIRST_YEAR, LAST_YEAR = {first}, {last}
'''


def table(first: int = FIRST_YEAR, last: int = LAST_YEAR) -> tuple[dict, set]:
    """(day → name, worked Saturdays) for the years first..last, from the package."""
    calendar = holidays.country_holidays("VN", years=range(first, last + 1))
    days = {day: name for day, name in calendar.items() if first <= day.year <= last}
    worked = {day for day in calendar.weekend_workdays if first <= day.year <= last}
    return days, worked


def main() -> None:
    days, worked = table()
    lines = [HEADER.format(first=FIRST_YEAR, last=LAST_YEAR, version=holidays.__version__)]
    lines.append("_HOLIDAYS = (")
    lines += [f"    ({day.isoformat()!r}, {name!r})," for day, name in sorted(days.items())]
    lines.append(")")
    lines.append(f"_WORKED_SATURDAYS = ({', '.join(repr(day.isoformat()) for day in sorted(worked))},)")
    lines.append("HOLIDAYS = {date.fromisoformat(day): name for day, name in _HOLIDAYS}")
    lines.append("WORKED_SATURDAYS = {date.fromisoformat(day) for day in _WORKED_SATURDAYS}")
    TARGET.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{TARGET}: {len(days)} holidays, {len(worked)} worked Saturdays, {FIRST_YEAR}–{LAST_YEAR}")


if __name__ == "__main__":
    main()
