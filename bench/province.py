"""A province under load: 100 sites, one PostgreSQL database, two `toasoan run --sites` daemons, N messages.

Everything is real and local: a private PostgreSQL cluster and a Dovecot with one board mailbox a site
(tests/servers), the two daemons as subprocesses, and an aiosmtpd sink in this process that records when
each mail reaches it. Messages are delivered into the Maildirs as fast as the disk takes them (the
corpus mix: plain notices, .docx with a photo, and replies approving one item in five as soon as its
"Cần duyệt" notification reaches the sink). The CMS is the folder CMS: a post is live when its file
appears.

Printed: total time and messages per second; arrival → board notified p50/p95/max (arrival: delivery into
the Maildir; notified: the sink has the notification); approval → post live p95; peak RSS per daemon
(its process tree, sandbox workers included); counts showing nothing lost or duplicated; and the bare
intake rate of one process on a sample of the same messages (bench/intake_speed.py's way: analysis
alone, no IMAP, database or SMTP) with the ratio.

    python bench/province.py                       # 10 000 messages
    python bench/province.py --messages 1000
    python bench/province.py --messages 1000 --kill-halfway   # daemon a killed (-9) halfway, not restarted
    python bench/province.py --rate 11.2        # paced: 10 000 messages in 15 minutes, the latency under that load
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from email import message_from_bytes, policy
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, func, select, text

from newsroom.clock import SystemClock
from newsroom.records import IncomingMessage, OutboxMail
from tests import samples
from tests.servers.common import free_port, remove_folder, spawn, stop, temp_folder
from tests.servers.dovecot import Dovecot
from tests.servers.postgres import Postgres

NOW = SystemClock()
NOTICE = "Kính gửi Ban biên tập,\nUBND xã thông báo lịch tiếp công dân tuần tới vào sáng thứ Năm.\n"
TITLE = re.compile(r"(?:Cần duyệt|Đã nhận): (Tin số \d+)")


class BigDovecot(Dovecot):
    """A hundred mailboxes in IDLE need more IMAP processes than Dovecot's default limit of 100."""

    def _config(self) -> str:
        return super()._config() + "default_process_limit = 1000\ndefault_client_limit = 4000\n"


class Sink:
    """aiosmtpd without authentication: when each mail arrived, and the notifications themselves."""

    def __init__(self):
        self.lock = threading.Lock()
        self.notified: dict[str, list[float]] = {}  # title -> arrival times of its "Cần duyệt"
        self.acks: dict[str, int] = {}
        self.notices: dict[str, bytes] = {}
        self.on_notice = lambda title, raw: None
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        at = time.monotonic()
        raw = envelope.original_content or envelope.content
        head = message_from_bytes(raw.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n", policy=policy.default)
        subject = str(head["Subject"])
        found = TITLE.search(subject)
        with self.lock:
            self.count += 1
            if found and "Cần duyệt" in subject:
                self.notified.setdefault(found[1], []).append(at)
                self.notices[found[1]] = raw
            elif found and "Đã nhận" in subject:
                self.acks[found[1]] = self.acks.get(found[1], 0) + 1
        if found and "Cần duyệt" in subject:
            self.on_notice(found[1], raw)
        return "250 OK"


def site_file(folder: Path, n: int, dovecot: Dovecot, smtp_port: int, url_file: Path) -> tuple[Path, str]:
    domain = f"xa{n}.bench.gov.vn"
    board = f"bbt@{domain}"
    password = dovecot.add_user(board)
    root = folder / f"xa-{n}"
    (root / "secrets").mkdir(parents=True)
    (root / "secrets" / "reply-key").write_text(os.urandom(32).hex())
    (root / "secrets" / "imap").write_text(password)
    people = "\n".join(
        f'[[board]]\nname = "{name}"\naddress = "{who}@{domain}"\nrole = "{role}"\n'
        for who, name, role in (
            ("truongban", "Nguyễn Văn An", "truong_ban"),
            ("phoban", "Trần Thị Bình", "pho_ban"),
            ("thanhvien", "Lê Văn Cường", "thanh_vien"),
        )
    )
    config = root / "site.toml"
    config.write_text(
        f"""preset = "kep"
site_name = "Cổng thông tin điện tử xã {n}"
data_dir = "data"
secret_file = "secrets/reply-key"

[database]
url_file = "{url_file}"

[imap]
host = "127.0.0.1"
port = {dovecot.port}
security = "none"
username = "{board}"
password_file = "secrets/imap"
poll_seconds = 60

[smtp]
host = "127.0.0.1"
port = {smtp_port}
security = "none"
from_address = "{board}"
from_name = "Ban biên tập"

[cms]
kind = "folder"
folder = "site"

[office_head]
name = "Đặng Minh Khôi"
address = "chutich@{domain}"

{people}
[[departments]]
name = "Công chức Văn hóa - Xã hội"
addresses = ["vhxh@{domain}"]
""",
        encoding="utf-8",
    )
    return config, domain


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))] if values else float("nan")


def tree(pid: int) -> Iterator[Path]:
    """/proc/<pid>/ of a process and of its live descendants (the sandbox workers)."""
    stack = [pid]
    while stack:
        folder = Path(f"/proc/{stack.pop()}")
        try:
            children = (folder / "task" / folder.name / "children").read_text().split()
        except OSError:
            continue
        yield folder
        stack.extend(int(c) for c in children)


def tree_rss(pid: int) -> int:
    """Resident KiB of a process and its descendants now."""
    total = 0
    for folder in tree(pid):
        with contextlib.suppress(OSError, TypeError):
            total += int(re.search(r"VmRSS:\s+(\d+)", (folder / "status").read_text())[1])
    return total


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a process, its reaped children and its live descendants."""
    total, tick = 0.0, os.sysconf("SC_CLK_TCK")
    for folder in tree(pid):
        with contextlib.suppress(OSError):
            fields = (folder / "stat").read_text().rpartition(")")[2].split()
            total += sum(int(v) for v in fields[11:15]) / tick  # utime, stime, cutime, cstime
    return total


def bare_rate(raws: list[bytes]) -> float:
    """Messages a second through intake's analysis alone in this process (bench/intake_speed.py)."""
    from intake.analyze import analyze
    from intake.sandbox import SANDBOX
    from toasoan.cli import preset_settings

    settings = preset_settings("kep")
    SANDBOX.start()
    analyze(raws[0], settings, NOW())
    started = time.perf_counter()
    for raw in raws:
        analyze(raw, settings, NOW())
    return len(raws) / (time.perf_counter() - started)


def run(messages: int, sites: int, kill_halfway: bool, rate: float | None) -> None:
    work = temp_folder("province")
    pace = f"{rate:g} messages/s, the approvals included" if rate else "as fast as possible"
    print(f"{sites} sites, {messages} messages ({pace}), two daemons; kill -9 of one halfway: {kill_halfway}")
    postgres, dovecot = Postgres().start(), BigDovecot()
    dovecot.start()
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port(), ready_timeout=10)
    controller.start()
    daemons: dict[str, subprocess.Popen] = {}
    try:
        url = postgres.create_database(migrated=True)
        (work / "database-url").write_text(url)
        folder = work / "sites"
        folder.mkdir()
        domains = []
        for n in range(sites):
            config, domain = site_file(work, n, dovecot, controller.port, work / "database-url")
            (folder / f"xa-{n}.toml").symlink_to(config)
            domains.append(domain)

        # The corpus: one submission in four a .docx with a photo; one in five approved once notified.
        docx = samples.news_docx()
        submissions = round(messages / 1.2)
        approvals = messages - submissions
        plan = []
        for i in range(submissions):
            domain = domains[i % sites]
            raw = samples.submission(
                f"vhxh@{domain}", f"bbt@{domain}", f"Tin số {i}", body=NOTICE, docx=docx if i % 4 == 0 else None
            )
            plan.append((domain, f"Tin số {i}", raw))
        approve = {title: domain for domain, title, _ in plan[:: max(1, submissions // approvals)][:approvals]}
        arrived: dict[str, float] = {}
        approved_at: dict[str, float] = {}

        def deliver(domain: str, raw: bytes) -> None:
            dovecot.deliver(f"bbt@{domain}", raw, NOW())

        def on_notice(title: str, raw: bytes) -> None:  # from the sink's thread
            domain = approve.pop(title, None)
            if domain is not None:
                reply = samples.reply(raw, f"truongban@{domain}", "Nguyễn Văn An", "Duyệt")
                approved_at[title] = time.monotonic()
                deliver(domain, reply)

        sink.on_notice = on_notice
        log = (work / "daemons.log").open("ab")
        command = [sys.executable, "-m", "toasoan.cli", "run", "--sites", str(folder), "--log-level", "WARNING"]
        for name in ("a", "b"):
            daemons[name] = spawn(
                [*command, "--instance", name, "--lease-seconds", "15"],
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        engine = create_engine(url, pool_size=1)  # its polling keeps one connection
        from scheduler.ownership import mailbox_leases

        def held() -> int:
            with engine.connect() as conn:
                rows = conn.execute(select(mailbox_leases.c.holder)).scalars().all()
            return sum(1 for r in rows if r)

        while held() < sites:
            time.sleep(0.5)
        time.sleep(3)  # the IMAP connections opened, IDLE entered

        peaks = dict.fromkeys(daemons, 0)
        sampling = threading.Event()

        def sample() -> None:
            while not sampling.wait(1):
                for name, proc in daemons.items():
                    if proc.poll() is None:
                        peaks[name] = max(peaks[name], tree_rss(proc.pid))

        threading.Thread(target=sample, daemon=True).start()
        posts_seen: dict[str, float] = {}

        def watch_posts() -> None:
            """A post's record is seen once it is whole (a file being written is read again next round)."""
            while not sampling.is_set():
                for n in range(sites):
                    posts = work / f"xa-{n}" / "site" / "posts"
                    for path in posts.glob("*.json") if posts.is_dir() else ():
                        if path.name in posts_seen:
                            continue
                        try:
                            match = re.search(r'"title": "(Tin số \d+)"', path.read_text("utf-8"))
                        except (OSError, UnicodeDecodeError):
                            continue
                        if match:
                            posts_seen[path.name] = posts_seen[match[1]] = time.monotonic()
                time.sleep(0.5)

        threading.Thread(target=watch_posts, daemon=True).start()
        time.sleep(20)  # the first sweep of every site done
        idle_from = {name: tree_cpu(proc.pid) for name, proc in daemons.items()}
        time.sleep(10)  # the price of serving 100 quiet sites: sweeps, lease rounds, IDLE
        cpu_before = {name: tree_cpu(proc.pid) for name, proc in daemons.items()}
        print(
            "idle, before the first delivery: "
            + ", ".join(f"daemon {n} {(cpu_before[n] - idle_from[n]) * 10:.1f} % of a core" for n in daemons)
        )
        started = time.monotonic()
        killed = None
        for k, (domain, title, raw) in enumerate(plan):
            if rate:  # paced: `rate` messages a second, the approvals that follow the notifications included
                time.sleep(max(0.0, started + k * messages / submissions / rate - time.monotonic()))
            arrived[title] = time.monotonic()
            deliver(domain, raw)
        delivered = time.monotonic() - started

        def taken_count() -> int:
            with engine.connect() as conn:
                return conn.scalar(select(func.count()).select_from(IncomingMessage))

        def done() -> bool:
            with engine.connect() as conn:
                taken = conn.scalar(select(func.count()).select_from(IncomingMessage))
                unsent = conn.scalar(select(func.count()).where(OutboxMail.status != "sent"))
            posted = sum(1 for t in approved_at if t in posts_seen)
            return taken >= messages and unsent == 0 and posted == approvals and not approve

        last = 0.0
        while not done():
            if kill_halfway and killed is None and taken_count() >= messages // 2:
                os.killpg(daemons["a"].pid, signal.SIGKILL)  # with its sandbox workers
                killed = time.monotonic() - started
            if time.monotonic() - last > 30:
                last = time.monotonic()
                with engine.connect() as conn:
                    taken = conn.scalar(select(func.count()).select_from(IncomingMessage))
                print(f"  {last - started:6.0f} s: {taken}/{messages} messages taken, {len(sink.notified)} notified")
            time.sleep(0.5)
        total = time.monotonic() - started
        sampling.set()
        cpu = {name: tree_cpu(proc.pid) - cpu_before[name] for name, proc in daemons.items() if proc.poll() is None}
        with engine.connect() as conn:
            taken = conn.scalar(select(func.count()).select_from(IncomingMessage))
            drafts = conn.scalar(
                select(func.count()).select_from(IncomingMessage).where(IncomingMessage.draft_id.isnot(None))
            )
            sessions = conn.scalar(text("SELECT sessions FROM pg_stat_database WHERE datname = current_database()"))
        engine.dispose()
        notify = [sink.notified[t][0] - arrived[t] for t in arrived if t in sink.notified]
        live = [posts_seen[t] - approved_at[t] for t in approved_at if t in posts_seen]
        print(
            f"delivered {messages} messages in {delivered:.1f} s"
            + (f"; daemon a killed (-9) at {killed:.1f} s, half the messages taken" if killed else "")
        )
        print(f"total: {total:.1f} s, {messages / total:.1f} messages/s")
        print(
            f"arrival → board notified: p50 {statistics.median(notify):.1f} s, p95 {percentile(notify, 0.95):.1f} s,"
            f" max {max(notify):.1f} s"
        )
        print(
            f"approval → post live (folder CMS): p50 {statistics.median(live):.1f} s,"
            f" p95 {percentile(live, 0.95):.1f} s"
        )
        for name in daemons:
            print(f"peak RSS daemon {name} (with its sandbox workers): {peaks[name] / 1024:.0f} MiB")
        duplicates = sum(len(v) - 1 for v in sink.notified.values()) + sum(v - 1 for v in sink.acks.values())
        print(
            f"counts: {taken} messages taken ({drafts} with a draft), {len(sink.notified)}/{submissions} notified,"
            f" {len(sink.acks)}/{submissions} acknowledged, {len(live)}/{approvals} posts,"
            f" {duplicates} duplicates"
        )
        print(
            "CPU per message: "
            + ", ".join(f"daemon {name} {seconds / messages * 1000:.0f} ms" for name, seconds in cpu.items())
            + f" (with its sandbox workers, from the first delivery; {sum(cpu.values()):.0f} s in all)"
        )
        print(f"database sessions opened during the run (pg_stat_database): {sessions}")
        sample_raws = [raw for _, _, raw in plan[:200]]
        bare = bare_rate(sample_raws)
        print(
            f"baseline: bare intake analysis, one process: {bare:.1f} messages/s;"
            f" province / baseline = {messages / total / bare:.2f}"
        )
    finally:
        for proc in daemons.values():
            stop(proc)
        controller.stop()
        dovecot.stop()
        postgres.stop()
        remove_folder(work)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--sites", type=int, default=100)
    parser.add_argument("--kill-halfway", action="store_true")
    parser.add_argument(
        "--rate", type=float, help="messages a second, approvals included (default: as fast as possible)"
    )
    args = parser.parse_args()
    run(args.messages, args.sites, args.kill_halfway, args.rate)


if __name__ == "__main__":
    main()
