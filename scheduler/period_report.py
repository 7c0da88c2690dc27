"""The period's report to the office head (Kon Tum Đ15 monthly, Kép Đ4.6 quarterly and yearly, Hiệp Hòa
Đ7.2e six-monthly): what came in and went out, the on-time record, what is still overdue, the board's
writing quota, the royalties, and a week-by-week view for the chart.

Everything is counted as it stood at the end of the period (or at ``now`` for a period not yet over), so a
report sent late after downtime, or printed again months later, says what it would have said on time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from intake.classify import fold
from newsroom.records import Draft
from newsroom.royalties import RoyaltyList, royalty_list
from newsroom.settings import Person, Settings
from scheduler.escalation import CLOCK_RUNS
from scheduler.periods import Period
from scheduler.reports import Row, assignee_of, on_time_record, outcome_at


@dataclass
class Week:
    monday: date
    published: int = 0
    on_time: int = 0  # of the published items that had a deadline
    late: int = 0

    @property
    def rate(self) -> float | None:
        judged = self.on_time + self.late
        return self.on_time / judged if judged else None


@dataclass
class QuotaRow:
    name: str
    role: str
    per_month: list[int]
    required_per_month: int

    @property
    def total(self) -> int:
        return sum(self.per_month)

    @property
    def required(self) -> int:
        return self.required_per_month * len(self.per_month)

    @property
    def met(self) -> bool:
        return all(n >= self.required_per_month for n in self.per_month)


@dataclass
class Overdue:
    key: str
    title: str
    unit: str
    deadline_at: datetime
    days_late: float
    status: str


@dataclass
class PeriodReport:
    period: Period
    as_of: datetime
    article: str
    received: int = 0
    published: int = 0
    rejected: int = 0
    held: int = 0
    questions: int = 0
    questions_on_time: int = 0
    by_rule: list[Row] = field(default_factory=list)
    by_unit: list[Row] = field(default_factory=list)
    by_assignee: list[Row] = field(default_factory=list)
    overdue: list[Overdue] = field(default_factory=list)
    quota: list[QuotaRow] = field(default_factory=list)
    quota_article: str = ""
    months: list[Period] = field(default_factory=list)
    weeks: list[Week] = field(default_factory=list)
    royalties: RoyaltyList | None = None

    @property
    def on_time_rate(self) -> float | None:
        on_time = sum(r.on_time for r in self.by_rule)
        judged = on_time + sum(r.late for r in self.by_rule)
        return on_time / judged if judged else None


def wrote(person: Person, draft: Draft) -> bool:
    """A board member wrote the item: sent it from their address, or is named in its byline."""
    if draft.sender_address.lower() == person.address:
        return True
    return bool(draft.author) and fold(person.name) in fold(draft.author)


def quota_people(settings: Settings) -> list[Person]:
    quota = settings.quota
    if quota is None:
        return []
    return [p for p in settings.board if quota.roles is None or p.role in quota.roles]


def published_between(session: Session, start: datetime, end: datetime) -> list[Draft]:
    return list(
        session.scalars(
            select(Draft)
            .where(
                Draft.published_at >= start, Draft.published_at < end, Draft.status.in_(("published", "unpublished"))
            )
            .order_by(Draft.published_at)
        )
    )


def quota_counts(session: Session, settings: Settings, months: list[Period], as_of: datetime) -> list[QuotaRow]:
    """Published items each board member wrote, month by month, as of ``as_of``."""
    per_month = []
    for month in months:
        start, end = month.bounds(settings.timezone)
        per_month.append(published_between(session, start, min(end, as_of)) if start < as_of else [])
    rows = []
    for person in quota_people(settings):
        role = settings.roles.get(person.role)
        rows.append(
            QuotaRow(
                person.name,
                role.name if role else person.role,
                [sum(wrote(person, d) for d in drafts) for drafts in per_month],
                settings.quota.items_per_month,
            )
        )
    return rows


def _count(session: Session, *where) -> int:
    return session.scalar(select(func.count(Draft.id)).where(*where))


def build(session: Session, settings: Settings, period: Period, now: datetime, article: str = "") -> PeriodReport:
    start, end = period.bounds(settings.timezone)
    as_of = min(end, now).astimezone(ZoneInfo(settings.timezone))
    report = PeriodReport(period, as_of, article, months=period.months())
    received = (Draft.created_at >= start, Draft.created_at < as_of)
    report.received = _count(session, *received)
    report.held = _count(session, *received, Draft.status == "held")
    report.rejected = _count(session, Draft.status == "rejected", Draft.decided_at >= start, Draft.decided_at < as_of)
    published = published_between(session, start, as_of)
    report.published = len(published)

    def rule_name(draft: Draft) -> str:
        rule = settings.rules.get(draft.deadline_rule or "")
        return f"{draft.deadline_rule} ({rule.article}: {rule.period})" if rule else (draft.deadline_rule or "—")

    record = on_time_record(
        session,
        settings,
        start,
        end,
        as_of,
        {"rule": rule_name, "unit": lambda d: d.department or d.sender_address, "assignee": assignee_of},
    )
    report.by_rule, report.by_unit, report.by_assignee = record["rule"], record["unit"], record["assignee"]
    questions = session.scalars(select(Draft).where(*received, Draft.category == "qa", Draft.status != "rejected"))
    for draft in questions:
        report.questions += 1
        if draft.deadline_at is not None and outcome_at(draft, as_of)[0] == "on_time":
            report.questions_on_time += 1
    report.overdue = overdue(session, settings, as_of)
    report.quota = quota_counts(session, settings, report.months, as_of)
    report.quota_article = settings.quota.article if settings.quota else ""
    report.weeks = weeks(settings, period, published)
    if settings.royalties is not None:
        report.royalties = royalty_list(session, settings, start, end, as_of)
    return report


def overdue(session: Session, settings: Settings, as_of: datetime) -> list[Overdue]:
    """Items whose deadline had passed at ``as_of`` without their being published."""
    drafts = session.scalars(
        select(Draft)
        .where(
            Draft.created_at < as_of,
            Draft.deadline_at < as_of,
            Draft.status.in_((*CLOCK_RUNS, "published", "unpublished")),
        )
        .order_by(Draft.deadline_at)
    )
    return [
        Overdue(
            d.key,
            d.title,
            d.department or d.sender_address,
            d.deadline_at,
            round((as_of - d.deadline_at).total_seconds() / 86400, 1),
            d.status,
        )
        for d in drafts
        if d.published_at is None or d.published_at > as_of
    ]


def weeks(settings: Settings, period: Period, published: list[Draft]) -> list[Week]:
    """Monday-to-Sunday weeks that meet the period, with the items published in each and how many of them
    were on time."""
    zone = ZoneInfo(settings.timezone)
    monday = period.first - timedelta(days=period.first.weekday())
    result = {}
    while monday < period.following:
        result[monday] = Week(monday)
        monday += timedelta(days=7)
    for draft in published:
        day = draft.published_at.astimezone(zone).date()
        week = result[day - timedelta(days=day.weekday())]
        week.published += 1
        if draft.deadline_at is not None:
            if draft.published_at <= draft.deadline_at:
                week.on_time += 1
            else:
                week.late += 1
    return list(result.values())
