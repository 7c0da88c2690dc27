"""Calendar periods the regulations report on: a day, a month, a quarter, a half-year, a year.

A period is named the way people write it on the command line and stored in the periodic-runs table
("2026-11", "2026-Q4", "2026-H2", "2026", "2026-11-24"), and the way the reports title it in Vietnamese
("tháng 11/2026", "quý IV/2026"). Bounds are the site's local midnights.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from newsroom.i18n import gettext

MONTHS = {"day": 0, "month": 1, "quarter": 3, "half_year": 6, "year": 12}
ROMAN = ("I", "II", "III", "IV")
PATTERNS = {
    "day": re.compile(r"(\d{4})-(\d{2})-(\d{2})"),
    "month": re.compile(r"(\d{4})-(0[1-9]|1[0-2])"),
    "quarter": re.compile(r"(\d{4})-[Qq]([1-4])"),
    "half_year": re.compile(r"(\d{4})-[Hh]([12])"),
    "year": re.compile(r"(\d{4})"),
}
EXAMPLES = {"day": "2026-11-24", "month": "2026-11", "quarter": "2026-Q4", "half_year": "2026-H2", "year": "2026"}


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True, order=True)
class Period:
    first: date
    kind: str  # day | month | quarter | half_year | year

    @classmethod
    def containing(cls, kind: str, day: date) -> Period:
        if kind == "day":
            return cls(day, kind)
        months = MONTHS[kind]
        return cls(date(day.year, (day.month - 1) // months * months + 1, 1), kind)

    @classmethod
    def parse(cls, kind: str, text: str) -> Period:
        m = PATTERNS[kind].fullmatch(text.strip())
        if not m:
            raise ValueError(f"kỳ {text!r} không hợp lệ; viết như {EXAMPLES[kind]}")
        year = int(m[1])
        if kind == "day":
            return cls(date(year, int(m[2]), int(m[3])), kind)
        index = int(m[2]) if kind != "year" else 1
        return cls(date(year, (index - 1) * MONTHS[kind] + 1, 1), kind)

    @property
    def following(self) -> date:
        """The first day after the period."""
        if self.kind == "day":
            return self.first + timedelta(days=1)
        return _add_months(self.first, MONTHS[self.kind])

    @property
    def last(self) -> date:
        return self.following - timedelta(days=1)

    def next(self) -> Period:
        return Period(self.following, self.kind)

    def previous(self) -> Period:
        return Period.containing(self.kind, self.first - timedelta(days=1))

    def months(self) -> list[Period]:
        """The months of the period (a day lies in one)."""
        month, out = Period.containing("month", self.first), []
        while month.first < self.following:
            out.append(month)
            month = month.next()
        return out

    def bounds(self, tz: str) -> tuple[datetime, datetime]:
        zone = ZoneInfo(tz)
        return datetime.combine(self.first, time(0), zone), datetime.combine(self.following, time(0), zone)

    @property
    def label(self) -> str:
        y, m = self.first.year, self.first.month
        return {
            "day": self.first.isoformat(),
            "month": f"{y}-{m:02d}",
            "quarter": f"{y}-Q{(m - 1) // 3 + 1}",
            "half_year": f"{y}-H{(m - 1) // 6 + 1}",
            "year": f"{y}",
        }[self.kind]

    @property
    def name(self) -> str:
        """As a Vietnamese report titles it."""
        return self.title("vi")

    def title(self, language: str) -> str:
        """As a report in that language titles it: "tháng 11/2026", "November 2026"."""
        _ = gettext(language)
        y, m = self.first.year, self.first.month
        if self.kind in ("day", "month") and language != "vi":
            from babel.dates import format_date

            return format_date(self.first, "d MMMM y" if self.kind == "day" else "MMMM y", locale=language)
        return {
            "day": f"ngày {self.first:%d/%m/%Y}",
            "month": f"tháng {m:02d}/{y}",
            "quarter": _("quý {roman}/{year}").format(roman=ROMAN[(m - 1) // 3], year=y),
            "half_year": (_("6 tháng đầu năm {year}") if m <= 6 else _("6 tháng cuối năm {year}")).format(year=y),
            "year": _("năm {year}").format(year=y),
        }[self.kind]
