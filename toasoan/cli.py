"""The `toasoan` command.

Imports at module level are the few every command needs: the program (toasoan/program.py) has started the
document worker of `toasoan inspect` and `convert` before this module is loaded, and the worker loads the
converters on the other core while this process loads the rest. Each command imports what it uses.
"""

from __future__ import annotations

import argparse
import gc
import json
import re
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from newsroom.clock import Clock, ManualClock, SystemClock
from newsroom.presets import ConfigError, load_preset, preset_names

if TYPE_CHECKING:
    from newsroom.settings import Settings

EXIT_CONFIG = 2
AS_OF = "tính tại thời điểm này, ISO-8601 có múi giờ (mặc định: bây giờ)"


def _moment(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise SystemExit(f"thời điểm không hợp lệ: {text!r} (viết như 2026-11-23T08:15:00+07:00)") from None
    if moment.tzinfo is None:
        raise SystemExit(f"thời điểm thiếu múi giờ: {text!r} (thêm +07:00)")
    return moment


def _input(path: str) -> bytes:
    """The file a command was given, or a sentence saying why it cannot be read."""
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise SystemExit(f"không đọc được tệp {path}: {exc.strerror or exc}") from None


def _clock(args) -> Clock:
    """The moment a command works at: ``--as-of`` when given, the machine's time otherwise."""
    moment = _moment(getattr(args, "as_of", None))
    return ManualClock(moment) if moment else SystemClock()


def load_settings(path: str | Path) -> Settings:
    """A command loads the settings models once it needs settings: inspect has started its document worker
    by then, so that the worker's imports overlap with this process's."""
    from newsroom.settings import load_settings as load

    return load(path)


def preset_settings(name: str) -> Settings:
    """Settings for looking at a message under a preset alone, with no site configured."""
    import secrets

    from msgspec.structs import replace

    from newsroom.settings import Secret, settings_from_dict

    preset = load_preset(name)
    raw = {
        "preset": name,
        "site_name": preset.get("name", name),
        "data_dir": "/nonexistent",
        "secret_env": "TOASOAN_UNUSED",
        "imap": {"host": "localhost", "username": "bbt@example.invalid", "password_env": "TOASOAN_UNUSED"},
        "smtp": {"host": "localhost", "from_address": "bbt@example.invalid"},
        "cms": {"kind": "folder", "folder": "/nonexistent"},
        "office_head": {"name": "Thủ trưởng", "address": "head@example.invalid"},
        "board": [
            {
                "name": "Ban biên tập",
                "address": "bbt@example.invalid",
                "role": next(iter(preset.get("roles", {"thanh_vien": 0}))),
            }
        ],
    }
    settings = settings_from_dict(raw, Path.cwd())
    return replace(settings, secret=Secret(value=secrets.token_hex(16), key="secret"))


def _settings(args) -> Settings:
    if getattr(args, "config", None):
        return load_settings(args.config)
    if getattr(args, "preset", None):
        return preset_settings(args.preset)
    raise SystemExit("cần --config FILE hoặc --preset NAME")


def cmd_inspect(args) -> int:
    # The `toasoan` program has started the document worker (toasoan/program.py): it loads its converters
    # while we load the rest and read the message. Loading the modules and the settings makes no garbage. The
    # program, which ends after this answer, pauses the collector meanwhile and freezes what they made (left
    # out of later passes): 7 % of its work. A caller's process (tests) keeps its collector as it was.
    if args.program:
        gc.disable()
    from intake.analyze import analyze, as_json
    from scheduler.calendar import WorkingCalendar
    from scheduler.deadlines import deadline_function

    settings = _settings(args)
    if args.program:
        gc.freeze()
        gc.enable()
    raw = _input(args.message) if args.message != "-" else sys.stdin.buffer.read()
    calendar = WorkingCalendar(settings.calendar, settings.timezone)

    def own_date(mail) -> datetime:  # without --received: the message's Date, else the moment inspect is run as of
        return mail.date if isinstance(mail.date, datetime) and mail.date.tzinfo else _clock(args)()

    analysis = analyze(raw, settings, _moment(args.received) or own_date, deadline_function(settings, calendar))
    result = as_json(analysis)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        for key in ("kind", "reason", "title", "category", "urgency", "secrecy", "held", "author", "source"):
            if result.get(key):
                print(f"{key:10} {result[key]}")
        if result["deadline"]:
            print(
                f"{'deadline':10} {result['deadline']['due_at']} ({result['deadline']['rule']}, "
                f"{result['deadline']['article']})"
            )
        if result["command"]:
            print(f"{'command':10} {result['command']}")
        for warning in result["warnings"]:
            print(f"{'warning':10} {warning}")
    return 0


def cmd_convert(args) -> int:
    """What a document becomes in a draft: the sanitised HTML (and, with --json, images and warnings). Read
    as the daemon reads an attachment, checked and converted in a document worker: a document a draft would
    refuse (macros, a broken archive) is refused here in the same words, and a hostile file given to the
    command is no more dangerous than one sent by mail."""
    from intake import docx_safe, refusals
    from intake.sandbox import SANDBOX, SandboxFailure
    from intake.sanitize import sanitize

    path = Path(args.file)
    if path.suffix.lower() != ".docx":
        raise SystemExit(f"{path.name}: toasoan convert đọc tệp .docx")
    try:
        safe = docx_safe.convert_in(SANDBOX, _input(args.file), path.name)
    except SandboxFailure as failure:
        raise SystemExit(f"không đọc được {path.name}: {failure.reason}") from None
    if safe.refusal:
        raise SystemExit(refusals.text(*safe.refusal))
    converted = safe.converted
    html = sanitize(converted.html)
    warnings = [refusals.text(code, values) for code, values in safe.notes] + converted.warnings
    if args.json:
        images = [
            {"ref": ref, "filename": name, "content_type": ctype, "size": len(data)}
            for ref, name, ctype, data in converted.images
        ]
        print(json.dumps({"html": html, "images": images, "warnings": warnings}, ensure_ascii=False, indent=2))
    else:
        print(html)
        for warning in warnings:
            print(f"cảnh báo: {warning}", file=sys.stderr)
    return 0


def cmd_deadline(args) -> int:
    """The deadline of a rule counted from a moment the caller names (the rule's start event by default)."""
    from msgspec.structs import replace

    from scheduler.calendar import WorkingCalendar
    from scheduler.deadlines import Deadline

    settings = _settings(args)
    if args.office_hours:
        try:
            calendar_settings = replace(settings.calendar, office_hours=args.office_hours)
        except ValueError as exc:
            raise SystemExit(f"--office-hours: {str(exc).removeprefix('office_hours: ')}") from None
        settings = replace(settings, calendar=calendar_settings)
    found = settings.rule_for(args.category, args.own_issuer)
    if found is None:
        known = ", ".join(dict.fromkeys(rule.category for rule in settings.rules.values()))
        print(
            f"preset {settings.preset} không có quy tắc cho hạng mục {args.category!r} (các hạng mục: {known}; "
            "xem toasoan presets)",
            file=sys.stderr,
        )
        return 1
    rule_id, rule = found
    calendar = WorkingCalendar(settings.calendar, settings.timezone)
    start = _moment(args.start)
    deadline = Deadline(
        calendar.add(start, rule.amount, rule.unit),
        rule_id,
        rule,
        calendar.local(start),
        args.event or rule.start_event,
        "",
    )
    result = deadline.as_json()
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        print(f"{result['due_at']}  ({rule_id}, {rule.article}: {rule.description})")
    return 0


def cmd_presets(args) -> int:
    events = {
        "received": "nhận thư",
        "signed": "ký ban hành",
        "event": "sự kiện",
        "approved": "được duyệt",
        "effective": "có hiệu lực",
    }
    for name in preset_names():
        settings = preset_settings(name)
        print(f"{name}: {settings.preset_name}")
        for rule_id, rule in settings.rules.items():
            own = " (văn bản của chính đơn vị)" if rule.own_issuer else ""
            print(
                f"  {rule_id:20} {rule.category:16} {rule.period:22} từ khi {events[rule.start_event]:12} "
                f"{rule.article}{own}"
            )
        ladder = "; ".join(
            f"{step.at:.0%} → {', '.join(step.to)}" + (", rồi mỗi ngày làm việc" if step.repeat != "none" else "")
            for step in settings.escalation
        )
        print(f"  nhắc hạn: {ladder}; giờ làm việc {settings.calendar.office_hours}")
        if settings.questions.topics:
            fields = ", ".join(f"{key} ({topic.name})" for key, topic in settings.questions.topics.items())
            print(f"  hỏi đáp — lĩnh vực: {fields}")
        if settings.royalties:
            genres = ", ".join(
                f"{g.name.split(' (')[0]} {g.min:g}–{g.max:g}" for g in settings.royalties.genres.values()
            )
            print(
                f"  nhuận bút ({settings.royalties.article}): {genres}; một hệ số {settings.royalties.unit_value:,} đ"
            )
        periods = {"month": "tháng", "quarter": "quý", "half_year": "6 tháng", "year": "năm"}
        for report in settings.reports:
            print(f"  báo cáo mỗi {periods[report.every]} ({report.article}) gửi {', '.join(report.to)}")
        if settings.quota:
            print(
                f"  định mức {settings.quota.items_per_month} tin, bài/tháng mỗi thành viên ({settings.quota.article})"
            )
        alert = settings.notices.publishing
        print(
            f"  đăng lỗi: báo {', '.join(alert.to)} sau {alert.after_failures} lần hoặc {alert.after_minutes:g} phút"
            f" ({alert.article or 'mặc định'})"
        )
        for rule_id, rule in settings.notices.silence.items():
            units = {"hours": "giờ", "working_hours": "giờ hành chính", "days": "ngày", "working_days": "ngày làm việc"}
            days = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")
            when = (
                f"không có bài mới trong {rule.amount:g} {units[rule.unit]}"
                if rule.kind == "no_post"
                else f"chưa đăng {rule.category} “{'/'.join(rule.title_words)}” trước {rule.time} {days[rule.weekday]}"
            )
            print(f"  cảnh báo {rule_id}: {when} → {', '.join(rule.to)} ({rule.article})")
        if settings.assignment.roles:
            print(f"  giao bài: {', '.join(settings.assignment.roles)} ({settings.assignment.article})")
    return 0


def cmd_check_config(args) -> int:
    import asyncio

    from intake.mailbox import connect, server_folder
    from newsroom import outbox
    from scheduler.daemon import make_cms

    settings = load_settings(args.config)
    print(f"✓ cấu hình hợp lệ: {settings.site_name} (preset {settings.preset})")
    failures = 0

    def report(what: str, fn) -> None:
        nonlocal failures
        try:
            detail = fn()
            print(f"✓ {what}: {detail}")
        except Exception as exc:
            failures += 1
            print(f"✗ {what}: {exc}")

    def imap() -> str:
        client = connect(settings.imap, timeout=15)
        try:
            client.select_folder(settings.imap.inbox, readonly=True)
            processed = server_folder(client, settings.imap.processed_folder)
            folder = "có" if client.folder_exists(processed) else "chưa có (sẽ được tạo)"
            return f"đăng nhập {settings.imap.username}@{settings.imap.host}; thư mục {processed} {folder}"
        finally:
            client.logout()

    async def smtp() -> str:
        client = outbox.smtp_client(settings.smtp)
        await outbox.login(client, settings.smtp)
        await client.quit()
        return f"kết nối {settings.smtp.host}:{settings.smtp.port} ({settings.smtp.security})"

    async def cms() -> str:
        site = make_cms(settings)
        try:
            return await site.check()
        finally:
            await site.aclose()

    report("secret", lambda: "có" if settings.secret.resolve() else "")
    report("IMAP", imap)
    report("SMTP", lambda: asyncio.run(smtp()))
    report("CMS", lambda: asyncio.run(cms()))
    return 1 if failures else 0


def cmd_run(args) -> int:
    import asyncio

    from scheduler.daemon import Daemon
    from toasoan import logs

    logs.setup(args.log_level, json_lines=args.json_logs)
    settings = load_settings(args.config) if args.config else None
    metrics = (args.metrics_host, args.metrics_port) if args.metrics_port is not None else None
    daemon = Daemon(
        settings,
        sites_dir=args.sites,
        instance=args.instance,
        lease_seconds=args.lease_seconds,
        metrics=metrics,
        workers=args.imap_workers,
    )
    asyncio.run(daemon.run())
    return 0


def cmd_sites(args) -> int:
    """Each site: who holds its mailbox and in which state, its queues, its last mail, overdue items, errors."""
    from sqlalchemy import select

    from newsroom.db import make_engine, migrate, session_factory
    from newsroom.mails import when
    from scheduler.ownership import database_now
    from scheduler.sites import SitesDirectory, standing

    if args.sites:
        sites = SitesDirectory(args.sites).load()
    else:
        settings = load_settings(args.config)
        sites = {settings.site_id: settings}
    engine = make_engine(next(iter(sites.values())).database)
    migrate(engine)
    now = _clock(args)()
    with engine.connect() as conn:
        lease_now = conn.scalar(select(database_now(engine)))
    found = []
    for site_id in sorted(sites):
        with session_factory(engine, site_id)() as session:
            found.append(standing(session, site_id, now, lease_now))
    engine.dispose()
    if args.json:
        rows = [{**vars(f), "last_mail_at": f.last_mail_at.isoformat() if f.last_mail_at else None} for f in found]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    print(f"{'trang':20} {'hộp thư':34} {'thư chờ':>7} {'bài chờ':>7} {'quá hạn':>7}  {'thư cuối':21}  lỗi gần nhất")
    for f in found:
        box = f"{f.state} ({f.holder})" if f.holder else "chưa daemon nào giữ"
        tz = sites[f.site_id].timezone
        last = when(f.last_mail_at, tz) if f.last_mail_at else "—"
        print(
            f"{f.site_id:20} {box[:34]:34} {f.outbox_due:7} {f.publish_due:7} {f.overdue:7}  {last:21}  "
            f"{f.error.splitlines()[0][:80] if f.error else '—'}"
        )
    return 0


def _local_settings(config: str) -> Settings:
    """The local site's settings, its missing secrets made first (a new checkout has none)."""
    from toasoan.local.site import make_secrets

    settings = load_settings(config)
    for path in make_secrets(settings):
        print(f"Đã tạo bí mật cho trang thử: {path}", file=sys.stderr)
    return settings


def cmd_local(args) -> int:
    """The local site (mail servers, website) and the daemon, in the foreground until Ctrl-C."""
    from toasoan.local.serve import serve
    from toasoan.local.site import LocalSiteError

    settings = _local_settings(args.config)
    from toasoan import logs

    logs.setup(args.log_level, json_lines=False)
    try:
        return serve(settings, args.config)
    except LocalSiteError as exc:
        print(exc, file=sys.stderr)
        return 1


def cmd_demo(args) -> int:
    """The whole story against the local site in under a minute; a step that does not happen fails."""
    from toasoan.demo import DemoFailed, play
    from toasoan.local.site import LocalSiteError

    settings = _local_settings(args.config)
    from toasoan import logs

    logs.setup("WARNING", json_lines=False)
    try:
        play(settings, args.config, fast=args.fast)
    except (DemoFailed, LocalSiteError) as exc:
        print(f"demo thất bại: {exc}", file=sys.stderr)
        return 1
    return 0


def _time_left(draft, now: datetime) -> str:
    """How the deadline stands at ``now``, for drafts whose clock still runs."""
    from scheduler.escalation import CLOCK_RUNS

    if draft.deadline_at is None or draft.status not in CLOCK_RUNS:
        return ""
    if draft.clock_paused_at is not None:
        return "(tạm dừng)"
    left = (draft.deadline_at - now).total_seconds() / 3600
    hours = abs(left)
    span = f"{hours / 24:.0f} ngày" if hours >= 48 else f"{hours:.0f} giờ" if hours >= 1 else "dưới 1 giờ"
    return f"(QUÁ HẠN {span})" if left < 0 else f"(còn {span})"


def cmd_drafts(args) -> int:
    """Drafts, and one draft's whole history: who decided what, when, from which message, and every mail."""
    from sqlalchemy import select

    from newsroom.db import make_engine, migrate, session_factory
    from newsroom.mails import STATUS_NAMES, when
    from newsroom.records import AuditEvent, Draft, IncomingMessage, OutboxMail

    settings = load_settings(args.config)
    engine = make_engine(settings.database)
    migrate(engine)
    tz = settings.timezone
    now = _clock(args)()
    with session_factory(engine, settings.site_id)() as session:
        if args.action == "list":
            for d in session.scalars(select(Draft).order_by(Draft.id.desc()).limit(args.limit)):
                print(
                    f"{d.key}  {STATUS_NAMES.get(d.status, d.status):20} {d.category:15} "
                    f"hạn {when(d.deadline_at, tz):22} {_time_left(d, now):16} "
                    f"giao {(d.assignee_name or '—')[:22]:22} {d.title[:60]}"
                )
            return 0
        draft = session.scalar(select(Draft).where(Draft.key == args.key.upper()))
        if draft is None:
            print(f"không có bài {args.key}", file=sys.stderr)
            return 1
        print(f"{draft.key}: {draft.title}")
        print(
            f"  trạng thái {STATUS_NAMES.get(draft.status)}; hạng mục {draft.category}; khẩn {draft.urgency}; "
            f"mật {draft.secrecy}"
        )
        print(
            f"  hạn {when(draft.deadline_at, tz)} (quy tắc {draft.deadline_rule}, tính từ {draft.deadline_start_event})"
            f" {_time_left(draft, now)}".rstrip()
        )
        print(f"  người gửi {draft.sender_name} <{draft.sender_address}>; đơn vị {draft.department or '—'}")
        if draft.assignee_address:
            print(f"  giao cho {draft.assignee_name} <{draft.assignee_address}> lúc {when(draft.assigned_at, tz)}")
        print(f"  bài đăng {draft.post_url or '—'}")
        print("bản:")
        for revision in draft.revisions:
            source = session.get(IncomingMessage, revision.incoming_id) if revision.incoming_id else None
            print(
                f"  {revision.number}  {when(revision.created_at, tz):22} từ {source.sender if source else '—'} "
                f"thư {source.message_id if source else '—'}; {len(revision.files)} tệp"
            )
        print("quyết định:")
        for d in draft.decisions:
            print(
                f"  {when(d.decided_at, tz):22} {d.action:16} bởi {d.actor_name} <{d.actor_address}> ({d.actor_role}) "
                f"bản {d.revision_number}, thư {d.message_id}; xác thực: {d.authentication or 'không kiểm tra'}"
                + (f"; lý do: {d.reason}" if d.reason else "")
            )
        print("diễn biến:")
        for event in session.scalars(select(AuditEvent).where(AuditEvent.draft_id == draft.id).order_by(AuditEvent.id)):
            detail = ", ".join(f"{k}={v}" for k, v in event.detail.items() if v not in (None, "", []))
            print(f"  {when(event.at, tz):22} {event.actor:32} {event.event:15} {detail}")
        print("thư đã gửi:")
        for mail in session.scalars(select(OutboxMail).where(OutboxMail.draft_id == draft.id).order_by(OutboxMail.id)):
            state = {"sent": f"đã gửi {when(mail.sent_at, tz)}", "pending": "đang chờ gửi", "failed": "gửi thất bại"}
            print(f"  {mail.purpose:24} → {', '.join(mail.recipients)[:60]:60} {state.get(mail.status, mail.status)}")
    return 0


def _database(settings: Settings):
    from newsroom.db import make_engine, migrate, session_factory

    engine = make_engine(settings.database)
    migrate(engine)
    return session_factory(engine, settings.site_id)


def cmd_report(args) -> int:
    return {"deadlines": _report_deadlines, "royalties": _report_royalties, "period": _report_period}[args.kind](args)


def _report_deadlines(args) -> int:
    from scheduler.reports import as_json, as_text, deadline_report

    month = _month(args)
    settings = load_settings(args.config)
    with _database(settings)() as session:
        report = deadline_report(session, settings, month, _clock(args)())
    print(json.dumps(as_json(report), ensure_ascii=False, indent=2) if args.json else as_text(report, month))
    return 0


def _month(args) -> str:
    if not args.month or not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", args.month):
        raise SystemExit(f"--month: viết như 2026-11, không phải {args.month!r}")
    return args.month


def _report_royalties(args) -> int:
    """The month's royalty list: one line per item and the total; --xlsx writes the office's spreadsheet."""
    from newsroom.mails import dong, number
    from newsroom.royalties import royalty_list
    from scheduler.periods import Period
    from scheduler.spreadsheets import royalty_workbook

    settings = load_settings(args.config)
    if settings.royalties is None:
        raise SystemExit("cấu hình không có [royalties]")
    period = Period.parse("month", _month(args))
    with _database(settings)() as session:
        royalties = royalty_list(session, settings, *period.bounds(settings.timezone), _clock(args)())
    if args.xlsx:
        title = f"Danh sách nhuận bút tin, bài {period.name} — {settings.site_name}"
        Path(args.xlsx).write_bytes(royalty_workbook(royalties, title))
    if args.json:
        rows = [{**vars(row), "published_on": row.published_on.isoformat()} for row in royalties.rows]
        print(
            json.dumps(
                {"month": period.label, "unit_value": royalties.unit_value, "total": royalties.total, "rows": rows},
                ensure_ascii=False,
                indent=2,
            )
        )
        return 0
    print(f"Nhuận bút {period.name} ({royalties.article}); một hệ số = {dong(royalties.unit_value)}")
    for row in royalties.rows:
        photos = f" + {row.photos} ảnh × {number(row.photo_coefficient)}" if row.photos else ""
        print(
            f"  {row.key}  {row.published_on:%d/%m}  {row.author[:24]:24} {row.genre[:10] or '—':10} "
            f"hệ số {number(row.coefficient)}{photos}  {dong(row.amount):>14}  {row.set_by or row.note}"
        )
    print(f"Tổng: {len(royalties.rows)} bài, {dong(royalties.total)}")
    for author in royalties.by_author():
        print(f"  {author.author} ({author.unit}): {author.items} bài, {dong(author.amount)}")
    return 0


def _report_period(args) -> int:
    """A period's report as text, with --xlsx and --png written on request."""
    from newsroom.mails import dong
    from scheduler.periodic import rate, report_parts
    from scheduler.periods import Period

    kind, text = next(
        (k, v)
        for k, v in (
            ("month", args.monthly),
            ("quarter", args.quarterly),
            ("half_year", args.half_year),
            ("year", args.yearly),
        )
        if v
    )
    try:
        period = Period.parse(kind, text)
    except ValueError as exc:
        raise SystemExit(str(exc)) from None
    settings = load_settings(args.config)
    configured = next((r for r in settings.reports if r.every == kind), None)
    with _database(settings)() as session:
        report, workbook, chart, chart_error = report_parts(
            settings, session, period, _clock(args)(), configured.article if configured else ""
        )
    if args.xlsx:
        Path(args.xlsx).write_bytes(workbook)
    if args.png:
        if chart is None:
            print(f"không vẽ được biểu đồ: {chart_error}", file=sys.stderr)
            return 1
        Path(args.png).write_bytes(chart)
    print(f"Báo cáo {settings.site_name} {period.name}, tính đến {report.as_of:%d/%m/%Y %H:%M}")
    print(
        f"  nhận {report.received}, đăng {report.published}, từ chối {report.rejected}, tạm giữ {report.held}; "
        f"đúng hạn {rate(report.on_time_rate)}"
    )
    if report.questions:
        print(f"  câu hỏi của công dân {report.questions}, trả lời đúng hạn {report.questions_on_time}")
    for title, rows in (
        ("theo quy tắc", report.by_rule),
        ("theo đơn vị", report.by_unit),
        ("theo người được giao", report.by_assignee),
    ):
        print(f"Đúng hạn {title}:")
        for r in rows:
            print(f"  {r.group[:50]:50} {r.items:4} bài, đúng hạn {r.on_time}, trễ {r.late}, chưa đến hạn {r.pending}")
    print(f"Quá hạn chưa đăng: {len(report.overdue)}")
    for o in report.overdue:
        print(f"  {o.key} {o.title[:50]} ({o.unit}) quá {o.days_late:g} ngày")
    if report.quota:
        print(f"Định mức ({report.quota_article}, {settings.quota.items_per_month} bài/tháng):")
        for q in report.quota:
            months = " ".join(str(n) for n in q.per_month)
            print(f"  {q.name:24} {months:12} tổng {q.total}/{q.required} {'đạt' if q.met else 'chưa đạt'}")
    print("Theo tuần:")
    for w in report.weeks:
        print(f"  {w.monday:%d/%m}  đăng {w.published:3}  đúng hạn {rate(w.rate)}")
    if report.royalties is not None:
        print(f"Nhuận bút: {len(report.royalties.rows)} bài, {dong(report.royalties.total)}")
    return 0


def cmd_backup(args) -> int:
    from scheduler import backup

    settings = load_settings(args.config)
    _database(settings)  # the schema is current before it is copied
    try:
        written = backup.take(settings, _clock(args)())
    except backup.BackupError as exc:
        print(f"sao lưu thất bại: {exc}", file=sys.stderr)
        return 1
    print(f"đã sao lưu vào {written.path}: cơ sở dữ liệu và {written.archive_files} tệp lưu trữ ({written.copied} mới)")
    if written.removed:
        print("đã xóa bản cũ: " + ", ".join(written.removed))
    return 0


def cmd_restore(args) -> int:
    from scheduler import backup

    if args.config:
        settings = load_settings(args.config)
        data_dir, url = settings.data_dir, settings.database_url
    else:
        data_dir, url = Path(args.data_dir).resolve(), None
    try:
        done = backup.restore(Path(args.backup), data_dir, url)
    except backup.BackupError as exc:
        print(f"khôi phục thất bại: {exc}", file=sys.stderr)
        return 1
    print(
        f"đã khôi phục bản sao lưu {done['created']} vào {data_dir}: {done['database']}, {done['archive']} tệp lưu trữ"
    )
    return 0


def cmd_rotate_secret(args) -> int:
    """A new reply-key secret; keys signed with the previous one stay valid for the grace period."""
    from datetime import timedelta

    from newsroom.secret_rotation import rotate

    settings = load_settings(args.config)
    until = rotate(settings.secret, _clock(args)(), timedelta(days=args.grace_days))
    if args.grace_days:
        print(f"đã tạo bí mật mới trong {settings.secret.file}; mã trả lời cũ còn hiệu lực đến {until.isoformat()}")
    else:
        print(f"đã tạo bí mật mới trong {settings.secret.file}; mã trả lời cũ hết hiệu lực ngay")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="toasoan", description="Tòa soạn: nhận bài qua thư, duyệt và đăng.")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="chạy tiến trình nền (daemon)")
    served = run.add_mutually_exclusive_group(required=True)
    served.add_argument("--config", help="một trang (một tệp cấu hình)")
    served.add_argument("--sites", metavar="DIR", help="mọi trang của một thư mục (mỗi trang một tệp .toml)")
    run.add_argument("--instance", help="tên daemon này trên máy (mặc định main); giữ nguyên qua các lần khởi động")
    run.add_argument(
        "--lease-seconds", type=float, default=15, help="hộp thư của daemon chết được daemon khác nhận sau chừng này"
    )
    run.add_argument("--metrics-port", type=int, help="cổng /metrics và /healthz (mặc định: tắt; gợi ý 9464)")
    run.add_argument("--metrics-host", default="127.0.0.1")
    run.add_argument("--imap-workers", type=int, default=4, help="số luồng xử lý thư cho mọi hộp thư")
    run.add_argument("--log-level", default="INFO")
    run.add_argument("--json-logs", action=argparse.BooleanOptionalAction, default=None)
    run.set_defaults(fn=cmd_run)

    sites = sub.add_parser("sites", help="các trang: hộp thư do daemon nào giữ, hàng đợi, thư cuối, quá hạn, lỗi")
    which = sites.add_mutually_exclusive_group(required=True)
    which.add_argument("--sites", metavar="DIR")
    which.add_argument("--config")
    sites.add_argument("--as-of", help=AS_OF + ": thư, bài đến hạn và quá hạn tính đến lúc này")
    sites.add_argument("--json", action="store_true")
    sites.set_defaults(fn=cmd_sites)

    local = sub.add_parser("local", help="chạy thử trọn vẹn trên máy này: máy chủ thư, trang web và tiến trình nền")
    local.add_argument("--config", default="config/example.toml")
    local.add_argument("--log-level", default="INFO")
    local.set_defaults(fn=cmd_local)

    demo = sub.add_parser("demo", help="cả câu chuyện trong một phút trên trang thử của máy này")
    demo.add_argument("--config", default="config/example.toml")
    demo.add_argument("--fast", action="store_true", help="không dừng giữa các bước (kiểm thử)")
    demo.set_defaults(fn=cmd_demo)

    check = sub.add_parser("check-config", help="kiểm tra cấu hình và đăng nhập IMAP, SMTP, CMS")
    check.add_argument("--config", required=True)
    check.set_defaults(fn=cmd_check_config)

    inspect = sub.add_parser("inspect", help="xem hệ thống hiểu một thư .eml thế nào (không gửi, không lưu)")
    inspect.add_argument("message")
    inspect.add_argument("--config")
    inspect.add_argument("--preset", choices=preset_names())
    inspect.add_argument("--received", help="thời điểm nhận, ISO-8601 có múi giờ (mặc định: trường Date của thư)")
    inspect.add_argument("--as-of", help=AS_OF + " (dùng làm thời điểm nhận khi thư không có Date)")
    inspect.add_argument("--json", action="store_true")
    inspect.set_defaults(fn=cmd_inspect)

    convert = sub.add_parser("convert", help="xem một tệp .docx thành HTML thế nào")
    convert.add_argument("file")
    convert.add_argument("--html", action="store_true", help="in HTML (mặc định)")
    convert.add_argument("--json", action="store_true", help="HTML, ảnh và cảnh báo dạng JSON")
    convert.set_defaults(fn=cmd_convert)

    deadline = sub.add_parser("deadline", help="tính hạn theo quy chế")
    deadline.add_argument("--config")
    deadline.add_argument("--preset", choices=preset_names())
    deadline.add_argument("--category", required=True)
    deadline.add_argument("--start", required=True)
    deadline.add_argument("--event", choices=["received", "signed", "event", "approved", "effective"])
    deadline.add_argument("--office-hours")
    deadline.add_argument("--own-issuer", action="store_true", help="văn bản do chính đơn vị ban hành")
    deadline.add_argument("--json", action="store_true")
    deadline.set_defaults(fn=cmd_deadline)

    presets = sub.add_parser("presets", help="liệt kê các preset và quy tắc thời hạn")
    presets.set_defaults(fn=cmd_presets)

    report = sub.add_parser("report", help="báo cáo: đúng hạn theo tháng, nhuận bút, báo cáo định kỳ")
    report.add_argument("kind", choices=["deadlines", "royalties", "period"])
    report.add_argument("--month", help="YYYY-MM (deadlines, royalties)")
    periods = report.add_mutually_exclusive_group()
    periods.add_argument("--monthly", metavar="YYYY-MM")
    periods.add_argument("--quarterly", metavar="YYYY-Qn")
    periods.add_argument("--half-year", metavar="YYYY-Hn")
    periods.add_argument("--yearly", metavar="YYYY")
    report.add_argument("--config", required=True)
    report.add_argument("--as-of", help=AS_OF + ": bài chưa đăng đã quá hạn tính đến lúc này là trễ")
    report.add_argument("--xlsx", metavar="PATH", help="ghi bảng tính .xlsx (royalties, period)")
    report.add_argument("--png", metavar="PATH", help="ghi biểu đồ .png (period)")
    report.add_argument("--json", action="store_true")
    report.set_defaults(fn=cmd_report)

    save = sub.add_parser("backup", help="sao lưu cơ sở dữ liệu và kho thư ngay bây giờ (rồi xoay vòng bản cũ)")
    save.add_argument("--config", required=True)
    save.add_argument("--as-of", help=AS_OF + " (tên và xoay vòng bản sao lưu)")
    save.set_defaults(fn=cmd_backup)

    restore = sub.add_parser("restore", help="khôi phục một bản sao lưu vào thư mục dữ liệu trống")
    restore.add_argument("backup", help="thư mục bản sao lưu (toasoan-YYYYMMDD-HHMMSS)")
    where = restore.add_mutually_exclusive_group(required=True)
    where.add_argument("--data-dir", help="thư mục dữ liệu trống (SQLite)")
    where.add_argument("--config", help="khôi phục vào data_dir / cơ sở dữ liệu của cấu hình này")
    restore.set_defaults(fn=cmd_restore)

    rotate = sub.add_parser("rotate-secret", help="đổi bí mật ký mã trả lời; mã cũ còn hiệu lực một thời gian")
    rotate.add_argument("--config", required=True)
    rotate.add_argument("--grace-days", type=float, default=14, help="số ngày mã cũ còn được nhận (0: hủy ngay)")
    rotate.add_argument("--as-of", help=AS_OF)
    rotate.set_defaults(fn=cmd_rotate_secret)

    drafts = sub.add_parser("drafts", help="danh sách bài và lịch sử một bài")
    drafts.add_argument("action", choices=["list", "show"])
    drafts.add_argument("key", nargs="?")
    drafts.add_argument("--config", required=True)
    drafts.add_argument("--limit", type=int, default=50)
    drafts.add_argument("--as-of", help=AS_OF + ": bài nào quá hạn, còn bao lâu")
    drafts.set_defaults(fn=cmd_drafts)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.program = argv is None  # run as the `toasoan` program (its own process), not called with arguments
    if args.command == "drafts" and args.action == "show" and not args.key:
        print("toasoan drafts show KEY", file=sys.stderr)
        return EXIT_CONFIG
    if (
        args.command == "report"
        and args.kind == "period"
        and not any((args.monthly, args.quarterly, args.half_year, args.yearly))
    ):
        print("toasoan report period --monthly|--quarterly|--half-year|--yearly KỲ", file=sys.stderr)
        return EXIT_CONFIG
    try:
        return args.fn(args)
    except ConfigError as exc:
        print(f"lỗi cấu hình:\n{exc}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
