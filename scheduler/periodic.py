"""Scheduled jobs the daemon's sweep runs: the monthly royalty list, the period reports, the mid-month quota
reminder and the nightly backup.

Each job names its periods and when each is due (site time zone). The sweep does every period that is due
at its clock's moment and not yet in ``periodic_runs``; the row is written in the same transaction as the
mail it queues, so a period is sent once across restarts, crashes and several daemons, and the mail of a
period missed while the daemon was down goes out when it comes back (reports and lists are counted as of
their period's end, so they say what they would have said on time). A backup, a snapshot of the present,
and a reminder, pointless once its month is over, catch up only their latest period. A job's first period
on a site with no earlier items is recorded as skipped rather than sent: a new site gets no report on the
months before it existed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time
from email.message import Message
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from newsroom import i18n, mails, workflow
from newsroom.records import Draft, PeriodicRun
from newsroom.royalties import royalty_list
from newsroom.settings import Settings
from scheduler import backup, charts, period_report, spreadsheets
from scheduler.periods import Period

log = logging.getLogger("toasoan.periodic")
MAX_CATCH_UP = 24  # periods of one job sent after a long downtime, at most
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


Outgoing = list[tuple[str, Message]]  # (purpose, mail) queued with the period's record


def rate(value: float | None, language: str = "vi") -> str:
    if value is None:
        return "—"
    return f"{value * 100:.1f} %".replace(".", ",") if language == "vi" else f"{value * 100:.1f}%"


@dataclass(frozen=True)
class Job:
    id: str  # "royalties", "report:quarter", "quota", "backup"
    kind: str  # the kind of period
    due_of: Callable[[Period], datetime]
    run: Callable[[Settings, sessionmaker[Session], Period, datetime], tuple[str, Outgoing]]
    catch_up: bool = True  # send every missed period, not only the latest
    expires: bool = False  # not done once its own period is over

    def latest_due(self, now: datetime, tz: str) -> Period | None:
        period = Period.containing(self.kind, now.astimezone(ZoneInfo(tz)).date()).next()
        while self.due_of(period) > now:
            period = period.previous()
        if self.expires and period.bounds(tz)[1] <= now:
            return None
        return period


def _at(day, clock: str, tz: str) -> datetime:
    hour, minute = map(int, clock.split(":"))
    return datetime.combine(day, time(hour, minute), ZoneInfo(tz))


def _greeting(people) -> str:
    return ", ".join(p.name for p in people)


def royalty_mail(settings: Settings, session: Session, period: Period, now: datetime):
    """The royalty list of a month as a mail with its .xlsx, and the list (also used by ``report royalties``)."""
    start, end = period.bounds(settings.timezone)
    royalties = royalty_list(session, settings, start, end, now)
    _ = i18n.gettext(settings.language)
    name = period.title(settings.language)
    title = f"Danh sách nhuận bút tin, bài {period.name} — {settings.site_name}"
    filename = f"nhuan-but-{period.label}.xlsx"
    to = settings.people(settings.royalties.to)
    msg = mails.compose(
        settings,
        "royalty_list",
        [p.address for p in to],
        _("Danh sách nhuận bút {period}: {count} bài, {total}").format(
            period=name, count=royalties.paid_items, total=mails.dong(royalties.total, settings.language)
        ),
        {
            "greeting": _greeting(to),
            "period": {"name": name},
            "royalties": royalties,
            "authors": royalties.by_author(),
            "filename": filename,
        },
        now=now,
        attachments=[(filename, XLSX, spreadsheets.royalty_workbook(royalties, title))],
    )
    return msg, royalties


def report_parts(settings: Settings, session: Session, period: Period, now: datetime, article: str = ""):
    """The period's report, its workbook, and its chart (or why there is none)."""
    report = period_report.build(session, settings, period, now, article)
    title = f"Báo cáo hoạt động {settings.site_name} {period.name}"
    workbook = spreadsheets.period_workbook(report, title)
    try:
        chart = charts.weekly_chart(report, settings.site_name, charts.vietnamese_font(settings.chart_font))
        chart_error = ""
    except charts.ChartError as exc:
        log.error("biểu đồ: %s", exc)
        chart, chart_error = None, str(exc)
    return report, workbook, chart, chart_error


def _send_royalties(settings, factory, period, now) -> tuple[str, Outgoing]:
    with factory() as session:
        msg, royalties = royalty_mail(settings, session, period, now)
    return f"{len(royalties.rows)} bài, {royalties.total} đồng", [("royalty_list", msg)]


def _report_job(every: str, article: str, to_ids: list[str]):
    def send(settings, factory, period, now) -> tuple[str, Outgoing]:
        with factory() as session:
            report, workbook, chart, chart_error = report_parts(settings, session, period, now, article)
        to = settings.people(to_ids)
        filename, png = f"bao-cao-{period.label}.xlsx", f"bieu-do-{period.label}.png"
        _ = i18n.gettext(settings.language)
        name = period.title(settings.language)
        msg = mails.compose(
            settings,
            "period_report",
            [p.address for p in to],
            _("Báo cáo hoạt động {period}: {published} bài đăng, đúng hạn {rate}").format(
                period=name, published=report.published, rate=rate(report.on_time_rate, settings.language)
            ),
            {
                "greeting": _greeting(to),
                "period": {"name": name},
                "report": report,
                "filename": filename,
                "chart": png if chart else "",
                "chart_error": chart_error,
                "rate": lambda value: rate(value, settings.language),
            },
            now=now,
            attachments=[(filename, XLSX, workbook)] + ([(png, "image/png", chart)] if chart else []),
            inline={"chart": ("image/png", chart)} if chart else None,
        )
        return f"{report.received} nhận, {report.published} đăng", [(f"report:{every}", msg)]

    return send


def _remind_quota(settings, factory, period, now) -> tuple[str, Outgoing]:
    with factory() as session:
        counts = period_report.quota_counts(session, settings, [period], now)
    outgoing = []
    _ = i18n.gettext(settings.language)
    name = period.title(settings.language)
    for person, count in zip(period_report.quota_people(settings), counts, strict=True):
        written = count.per_month[0]
        if written < settings.quota.items_per_month:
            msg = mails.compose(
                settings,
                "quota_reminder",
                [person.address],
                _("Nhắc định mức viết bài {period}: {written}/{quota} tin, bài").format(
                    period=name, written=written, quota=settings.quota.items_per_month
                ),
                {"person": person, "period": {"name": name}, "written": written, "now": now},
                now=now,
            )
            outgoing.append(("quota_reminder", msg))
    names = ", ".join(str(msg["To"]) for _purpose, msg in outgoing)
    return (f"nhắc {names}" if outgoing else "mọi người đã đủ định mức"), outgoing


def _backup(settings, factory, period, now) -> tuple[str, Outgoing]:
    written = backup.take(settings, now)
    log.info("sao lưu %s: %d tệp lưu trữ (%d mới)", written.path, written.archive_files, written.copied)
    return f"{written.path.name}; xóa {', '.join(written.removed) or 'không'}", []


def jobs(settings: Settings) -> list[Job]:
    tz = settings.timezone
    out = []
    if settings.royalties is not None:
        r = settings.royalties
        out.append(
            Job("royalties", "month", lambda p: _at(p.following.replace(day=r.day), r.time, tz), _send_royalties)
        )
    for report in settings.reports:
        out.append(
            Job(
                f"report:{report.every}",
                report.every,
                lambda p, rep=report: _at(p.following.replace(day=rep.day), rep.time, tz),
                _report_job(report.every, report.article, report.to),
            )
        )
    if settings.quota is not None:
        q = settings.quota
        out.append(
            Job(
                "quota",
                "month",
                lambda p: _at(p.first.replace(day=q.remind_day), q.remind_time, tz),
                _remind_quota,
                catch_up=False,
                expires=True,
            )
        )
    if settings.backup.enabled:
        b = settings.backup
        out.append(Job("backup", "day", lambda p: _at(p.first, b.time, tz), _backup, catch_up=False))
    return out


def _done(session: Session, job: Job) -> set[str]:
    return set(session.scalars(select(PeriodicRun.period).where(PeriodicRun.job == job.id)))


def _todo(session: Session, settings: Settings, job: Job, now: datetime) -> tuple[list[Period], bool]:
    """The periods to do now, oldest first, and whether the first is to be skipped (a new site)."""
    latest = job.latest_due(now, settings.timezone)
    if latest is None:
        return [], False
    done = _done(session, job)
    if latest.label in done:
        return [], False
    if not done:
        history = session.scalar(select(Draft.id).where(Draft.created_at < job.due_of(latest)).limit(1))
        return [latest], history is None
    if not job.catch_up:
        return [latest], False
    last, periods = max(done), []
    period = latest
    while period.label > last and len(periods) < MAX_CATCH_UP:
        periods.append(period)
        period = period.previous()
    return periods[::-1], False


def pending(settings: Settings, factory: sessionmaker[Session], now: datetime) -> bool:
    """Is a job due at ``now`` that is not yet done?"""
    with factory() as session:
        for job in jobs(settings):
            latest = job.latest_due(now, settings.timezone)
            if latest is not None and latest.label not in _done(session, job):
                return True
    return False


def _record(factory, job: Job, period: Period, now: datetime, outcome: str, outgoing: Outgoing) -> bool:
    """The period's row and its mail in one transaction: both or neither."""
    try:
        with factory.begin() as session:
            first = str(outgoing[0][1]["Message-ID"]) if outgoing else None
            session.add(
                PeriodicRun(job=job.id, period=period.label, done_at=now, outcome=outcome[:1000], message_id=first)
            )
            session.flush()
            for purpose, msg in outgoing:
                workflow.queue(session, None, purpose, msg, now)
        return True
    except IntegrityError:  # another daemon did it first
        log.info("%s %s: đã làm bởi tiến trình khác", job.id, period.label)
        return False


def run_due(settings: Settings, factory: sessionmaker[Session], now: datetime) -> int:
    """Do every period due at ``now``; returns how many were done. A failing job is logged and tried again
    at the next sweep; the others go on."""
    count = 0
    for job in jobs(settings):
        with factory() as session:
            periods, skip_first = _todo(session, settings, job, now)
        for i, period in enumerate(periods):
            if i == 0 and skip_first:
                _record(factory, job, period, now, "bỏ qua: trang chưa có dữ liệu trước kỳ này", [])
                continue
            try:
                outcome, outgoing = job.run(settings, factory, period, now)
            except Exception:
                log.exception("lỗi khi chạy %s cho kỳ %s", job.id, period.label)
                break
            if _record(factory, job, period, now, outcome, outgoing):
                log.info("%s %s: %s", job.id, period.label, outcome)
                count += 1
    return count
