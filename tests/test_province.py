"""A province: many sites from one daemon, several daemons on one database and one Dovecot, the mailboxes
multiplexed on a few threads, no lost wake-up, and what monitoring reads (/metrics, /healthz,
`toasoan sites`). Sites here have mailboxes of their own; assertions are on mail and mailbox ownership."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from email import message_from_bytes, policy

import pytest
from msgspec.structs import replace
from sqlalchemy import create_engine, func, select

from intake.mailbox import MailboxHub, MailboxWatcher
from intake.service import Intake
from newsroom.archive import Archive
from newsroom.clock import ManualClock
from newsroom.db import make_engine, migrate, session_factory
from newsroom.records import IncomingMessage, OutboxMail
from scheduler.calendar import WorkingCalendar
from scheduler.deadlines import deadline_function
from scheduler.ownership import database_now, mailbox_leases
from tests import samples
from tests.conftest import SCENARIO_START, wait_until
from tests.servers.common import free_port, spawn, stop
from toasoan.cli import main

pytestmark = pytest.mark.timeout(240)
NOTICE = "Kính gửi Ban biên tập,\nUBND thị trấn thông báo lịch tiếp công dân tuần tới vào sáng thứ Năm.\n"


class Province:
    """Sites sharing one SQLite database, their files linked into one directory as <site_id>.toml."""

    def __init__(self, site_factory, tmp_path, count: int, cms: dict | None = None):
        """``cms``: the [cms] table of the last site (the others write to a folder)."""
        self.db = tmp_path / "province.db"
        url_file = tmp_path / "database-url"
        url_file.write_text(f"sqlite:///{self.db}")
        engine = make_engine(f"sqlite:///{self.db}")
        migrate(engine)  # the test reads the lease table before a daemon has started
        engine.dispose()
        database = f'[database]\nurl_file = "{url_file}"'
        self.sites = [site_factory(extra=database, cms=cms if i == count - 1 else None) for i in range(count)]
        self.dir = tmp_path / "sites"
        self.dir.mkdir()
        self.daemon = None

    def link(self, index: int) -> str:
        site_id = f"xa-{index}"
        (self.dir / f"{site_id}.toml").symlink_to(self.sites[index].config)
        return site_id

    def start(self, **options) -> None:
        from scheduler.daemon import Daemon

        ready = threading.Event()

        def run() -> None:
            async def main() -> None:
                self.daemon = Daemon(
                    clock=ManualClock(SCENARIO_START), sweep_seconds=0.5, sites_dir=self.dir, **options
                )
                self.loop = asyncio.get_running_loop()
                ready.set()
                await self.daemon.run()

            asyncio.run(main())

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        assert ready.wait(30)

    def stop(self) -> None:
        if self.daemon is not None and self.thread.is_alive():
            self.loop.call_soon_threadsafe(self.daemon.stopping.set)
            self.thread.join(30)

    def holders(self) -> dict[str, str]:
        """site_id -> holder of a live lease, on the database's clock."""
        now, rows = self._leases()
        return {r.site_id: r.holder for r in rows if r.holder and r.expires_at > now}

    def states(self) -> dict[str, str]:
        """site_id -> the mailbox state on its lease row, as `toasoan sites` reads it."""
        return {r.site_id: r.state for r in self._leases()[1]}

    def _leases(self) -> tuple[float, list]:
        engine = create_engine(f"sqlite:///{self.db}")
        try:
            with engine.connect() as conn:
                return conn.scalar(select(database_now(engine))), conn.execute(select(mailbox_leases)).all()
        finally:
            engine.dispose()


def subjects(site, address: str, part: str) -> list[str]:
    return [
        str(message_from_bytes(raw, policy=policy.default)["Subject"])
        for raw in site.dovecot.messages(address)
        if part in str(message_from_bytes(raw, policy=policy.default)["Subject"])
    ]


def submit(site, title: str) -> None:
    """A short notice in the body, no attachment: quick to process, so times measure the watcher."""
    site.deliver(samples.submission(site.department, site.board_box, f"Thông báo: {title}", body=NOTICE))


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def metric(text: str, name: str, **labels) -> float | None:
    for line in text.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return None


def test_one_process_serves_three_sites_then_a_fourth_added_while_running(site_factory, tmp_path, capsys):
    # xa-2's WordPress password file is missing: a CMS error, counted for xa-2 alone.
    wordpress = {"kind": "wordpress", "url": "http://127.0.0.1:9", "username": "toasoan", "password": "x"}
    province = Province(site_factory, tmp_path, 3, cms=wordpress)
    province.sites.append(site_factory(extra=f'[database]\nurl_file = "{tmp_path / "database-url"}"'))
    (province.sites[2].config.parent / "secrets" / "cms").unlink()
    ids = [province.link(i) for i in range(3)]
    province.start(lease_seconds=3, metrics=("127.0.0.1", 0))
    try:
        for i, site in enumerate(province.sites[:3]):
            submit(site, f"tin của {ids[i]}")
        for site in province.sites[:3]:
            site.wait_mail(site.department, "Đã nhận")
        daemon = province.daemon
        assert set(daemon.watching()) == set(ids)

        # A refusal is counted by its code; then /metrics and /healthz say what happened, per site.
        empty = samples.submission(province.sites[1].department, province.sites[1].board_box, "", body="")
        province.sites[1].deliver(empty)
        wait_until(lambda: not province.sites[1].dovecot.messages(province.sites[1].board_box), 20)
        base = f"http://127.0.0.1:{daemon.metrics_port}"
        status, text = get(base + "/metrics")
        assert status == 200
        for site_id in ids:
            assert metric(text, "toasoan_mailbox_owned", site=site_id) == 1
            assert metric(text, "toasoan_imap_state", site=site_id, state="idle") == 1
        assert metric(text, "toasoan_messages_processed_total", site="xa-0") == 1
        assert metric(text, "toasoan_messages_processed_total", site="xa-1") == 2
        assert metric(text, "toasoan_refusals_total", site="xa-1", code="empty") == 1
        assert metric(text, "toasoan_refusals_total", site="xa-0", code="empty") is None
        assert metric(text, "toasoan_outbox_due", site="xa-2") is not None
        assert metric(text, "toasoan_errors_total", site="xa-2", component="cms") == 1
        assert metric(text, "toasoan_errors_total", site="xa-0", component="cms") is None
        status, body = get(base + "/healthz")
        health = json.loads(body)
        assert status == 200 and health["ok"] and health["sites"] == dict.fromkeys(ids, "idle")

        # `toasoan sites` from another process's point of view: the database, where a watcher's state is
        # written by the daemon's next lease round (about a second later), not at once.
        wait_until(lambda: province.states() == dict.fromkeys(ids, "idle"), 10)
        capsys.readouterr()
        assert main(["sites", "--sites", str(province.dir), "--as-of", SCENARIO_START.isoformat()]) == 0
        listing = capsys.readouterr().out
        with capsys.disabled():
            print("\n" + listing)
        for site_id in ids:
            assert re.search(rf"^{site_id}\s+idle \({re.escape(daemon.ownership.holder)}\)", listing, re.M), listing
        assert "09:00 ngày 23/11/2026" in listing  # the last mail's arrival (the scenario's clock)

        # A fourth site file appears: served without a restart.
        started = time.monotonic()
        new_id = province.link(3)
        submit(province.sites[3], "trang mới")
        province.sites[3].wait_mail(province.sites[3].department, "Đã nhận")
        print(f"\nsite file added → its first acknowledgement: {time.monotonic() - started:.1f} s")
        assert new_id in daemon.watching()
        for site in province.sites:
            assert len(subjects(site, site.department, "Đã nhận")) == 1
    finally:
        province.stop()


def test_a_broken_site_file_keeps_the_last_good_settings(site_factory, tmp_path, caplog):
    province = Province(site_factory, tmp_path, 1)
    site_id = province.link(0)
    config = province.sites[0].config
    province.start(lease_seconds=3)
    try:
        wait_until(lambda: site_id in province.daemon.watching(), 15)
        good = config.read_text()
        config.write_text(good.replace('preset = "kep"', 'preset = "khong-co"'))
        wait_until(lambda: "preset: không có preset 'khong-co'" in caplog.text, 15)
        submit(province.sites[0], "vẫn phục vụ")  # still served, with the settings it had
        province.sites[0].wait_mail(province.sites[0].department, "Đã nhận")
        config.unlink()
        wait_until(lambda: site_id not in province.daemon.works, 15)
        assert province.holders() == {}  # its mailbox is let go of
    finally:
        province.stop()


def test_sites_of_one_directory_must_share_one_database(site_factory, tmp_path):
    one, other = site_factory(), site_factory()
    folder = tmp_path / "sites"
    folder.mkdir()
    (folder / "xa-a.toml").symlink_to(one.config)
    (folder / "xa-b.toml").symlink_to(other.config)
    result = subprocess.run(
        [sys.executable, "-m", "toasoan.cli", "run", "--sites", str(folder)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "phải dùng chung một cơ sở dữ liệu" in result.stderr
    assert "xa-a.toml" in result.stderr and "xa-b.toml" in result.stderr


def test_a_daemon_cut_off_from_its_database_lets_go_of_its_mailbox_before_its_lease_ends(site_factory, tmp_path):
    """The database is held by another writer (as unreachable, for the lease): the daemon cannot renew,
    so it logs out of the mailbox before another daemon could take the lease, and watches again after."""
    import sqlite3

    province = Province(site_factory, tmp_path, 1)
    province.link(0)
    province.start(lease_seconds=3)
    try:
        wait_until(lambda: imap_sessions(province) == [1], 20)
        blocker = sqlite3.connect(province.db, isolation_level=None)
        blocker.execute("BEGIN EXCLUSIVE")
        cut = time.monotonic()
        try:
            wait_until(lambda: imap_sessions(province) == [0], 10, 0.1)
            let_go = time.monotonic() - cut
            print(f"\ndatabase cut off → mailbox let go of after {let_go:.1f} s (lease 3 s)")
            assert let_go < 3
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        wait_until(lambda: imap_sessions(province) == [1], 20)
        submit(province.sites[0], "sau khi cơ sở dữ liệu trở lại")
        province.sites[0].wait_mail(province.sites[0].department, "Đã nhận")
    finally:
        province.stop()


def _rig(site, **imap):
    settings = site.settings
    settings = replace(settings, imap=replace(settings.imap, **imap))
    engine = make_engine(settings.database)
    migrate(engine)
    factory = session_factory(engine)
    calendar = WorkingCalendar(settings.calendar, settings.timezone)
    archive = Archive(settings.data_dir / "archive")
    return settings, Intake(settings, factory, archive, deadline_function(settings, calendar), site.clock)


def test_mail_landing_between_a_batch_search_and_idle_is_taken_at_once(site_factory):
    """The message lands right after the SEARCH that found the batch, before the batch is processed and
    moved; the server announces it in a response imapclient does not return, so only searching again
    before IDLE takes it before poll_seconds (60 here)."""
    site = site_factory()
    settings, intake = _rig(site, poll_seconds=60)
    landed: list[float] = []
    armed = threading.Event()  # after a first message, so that the measure is not of intake warming up

    def deliver_now(uids: list[int]) -> None:
        if armed.is_set() and not landed:
            submit(site, "thứ ba, giữa SEARCH và IDLE")
            landed.append(time.monotonic())

    watcher = MailboxWatcher(settings.imap, intake)
    watcher.after_search = deliver_now
    hub = MailboxHub(workers=1)
    hub.add(watcher)
    thread = threading.Thread(target=hub.run, daemon=True)
    thread.start()
    try:
        wait_until(lambda: watcher.state == "idle", 15, 0.02)
        submit(site, "thứ nhất")
        wait_until(lambda: len(site.dovecot.messages(site.board_box, "Toasoan/Processed")) == 1, 15, 0.02)
        armed.set()
        submit(site, "thứ hai")
        wait_until(lambda: landed, 15, 0.01)
        wait_until(lambda: len(site.dovecot.messages(site.board_box, "Toasoan/Processed")) == 3, 10, 0.01)
        taken = time.monotonic() - landed[0]
        print(f"\nmessage landed between SEARCH and IDLE taken after {taken:.2f} s")
        assert taken < 1.0
    finally:
        hub.stop()
        thread.join(15)
    assert not thread.is_alive()


def test_thirty_idle_mailboxes_share_a_few_threads(site_factory):
    site = site_factory()
    settings, intake = _rig(site, poll_seconds=60)
    boxes = []
    for n in range(30):
        address = f"bbt{n}@{site.domain}"
        site.dovecot.add_user(address)
        password = site.config.parent / "secrets" / f"imap{n}"
        password.write_text(site.dovecot.users[address])
        cfg = replace(settings.imap, username=address, password=replace(settings.imap.password, file=password))
        boxes.append((address, MailboxWatcher(cfg, intake, site_id=f"box{n}")))
    before = threading.active_count()
    hub = MailboxHub(workers=3)
    for _, watcher in boxes:
        hub.add(watcher)
    thread = threading.Thread(target=hub.run, daemon=True)
    thread.start()
    try:
        wait_until(lambda: all(w.state == "idle" for _, w in boxes), 60)
        assert threading.active_count() - before <= 1 + 3  # the waiting thread and the workers
        for n in (3, 17):  # the first message warms intake up; the second measures the wake-up
            address = boxes[n][0]
            raw = samples.submission(site.department, address, f"Thông báo: hộp thư số {n}", body=NOTICE)
            site.dovecot.deliver(address, raw, site.clock())
            started = time.monotonic()
            wait_until(lambda address=address: site.dovecot.messages(address, "Toasoan/Processed"), 10, 0.02)
        assert time.monotonic() - started < 1  # announced during IDLE, not found by a poll a minute later
    finally:
        hub.stop()
        thread.join(30)
    assert not thread.is_alive()


def imap_sessions(province: Province) -> list[int]:
    """How many IMAP connections Dovecot has open for each site's board mailbox."""
    lines = province.sites[0].dovecot.admin("who", "-1").splitlines()
    return [sum(1 for line in lines if line.split()[:2] == [s.board_box, "imap"]) for s in province.sites]


def test_idle_over_implicit_tls_is_woken_at_once(site_factory):
    """Over TLS, an announcement may sit in a buffer rather than on the socket; with a minute's poll
    the message is still taken within a second."""
    site = site_factory()
    settings, intake = _rig(
        site, port=site.dovecot.tls_port, security="tls", ca_file=site.dovecot.cert, poll_seconds=60
    )
    watcher = MailboxWatcher(settings.imap, intake)
    hub = MailboxHub(workers=1)
    hub.add(watcher)
    thread = threading.Thread(target=hub.run, daemon=True)
    thread.start()
    try:
        for count in (1, 2):  # the first warms intake up; the second measures
            wait_until(lambda: watcher.state == "idle", 15, 0.02)
            submit(site, f"qua TLS {count}")
            started = time.monotonic()
            wait_until(
                lambda count=count: len(site.dovecot.messages(site.board_box, "Toasoan/Processed")) == count,
                10,
                0.02,
            )
        assert time.monotonic() - started < 1
    finally:
        hub.stop()
        thread.join(15)


class Process:
    """A `toasoan run --sites` daemon in its own process, with short leases."""

    def __init__(self, province: Province, instance: str, log):
        self.port = free_port()
        self.proc = spawn(
            [
                sys.executable,
                "-m",
                "toasoan.cli",
                "run",
                "--sites",
                str(province.dir),
                "--instance",
                instance,
                "--lease-seconds",
                "3",
                "--metrics-port",
                str(self.port),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.holder = f"{os.uname().nodename}/{instance}"

    def owned(self) -> set[str]:
        """The sites whose mailbox this daemon says it holds, on its /metrics (none while it starts)."""
        try:
            _, text = get(f"http://127.0.0.1:{self.port}/metrics")
        except OSError:
            return set()
        return set(re.findall(r'^toasoan_mailbox_owned\{site="([^"]+)"\} 1\.0$', text, re.M))


def test_two_daemons_share_the_mailboxes_and_one_takes_over_after_kill_9(site_factory, tmp_path):
    province = Province(site_factory, tmp_path, 4)
    ids = [province.link(i) for i in range(4)]
    log = (tmp_path / "daemons.log").open("wb")
    a = Process(province, "a", log)
    b = Process(province, "b", log)
    try:
        # Each mailbox is held by exactly one daemon, two each (the fair share of 4 sites between 2).
        def shared():
            holders = province.holders()
            counts = sorted(list(holders.values()).count(p.holder) for p in (a, b))
            return set(holders) == set(ids) and counts == [2, 2]

        wait_until(shared, 60)
        wait_until(lambda: a.owned() | b.owned() == set(ids) and not a.owned() & b.owned(), 20)
        wait_until(lambda: imap_sessions(province) == [1, 1, 1, 1], 20)  # one IMAP connection a mailbox
        for i, site in enumerate(province.sites):
            submit(site, f"trước sự cố {ids[i]}")
        for site in province.sites:
            site.wait_mail(site.department, "Đã nhận", timeout=30)

        victims = {s for s, h in province.holders().items() if h == a.holder}
        os.killpg(a.proc.pid, signal.SIGKILL)
        killed = time.monotonic()
        for i, site in enumerate(province.sites):
            submit(site, f"sau sự cố {ids[i]}")
        for i, site in enumerate(province.sites):
            site.wait_mail(site.department, "Đã nhận", timeout=30, count=2)
            if ids[i] in victims:
                print(f"\n{ids[i]}: kill -9 of its daemon → new mail acknowledged in {time.monotonic() - killed:.1f} s")
        takeover = time.monotonic() - killed
        print(f"\nall mailboxes of the killed daemon served by the other, new mail acknowledged: {takeover:.1f} s")
        assert takeover < 15
        assert province.holders() == dict.fromkeys(ids, b.holder)
        assert b.owned() == set(ids)
        wait_until(lambda: imap_sessions(province) == [1, 1, 1, 1], 20)  # the dead daemon's are gone
        for site in province.sites:  # every message taken once: one record, one draft each
            wait_until(lambda site=site: not site.dovecot.messages(site.board_box), 10)
        engine = create_engine(f"sqlite:///{province.db}")
        with engine.connect() as conn:
            taken = conn.execute(select(IncomingMessage.subject, IncomingMessage.draft_id)).all()
        engine.dispose()
        titles = sorted(f"Thông báo: {when} sự cố {site_id}" for site_id in ids for when in ("trước", "sau"))
        assert sorted(subject for subject, _ in taken) == titles
        assert len({draft for _, draft in taken}) == len(titles)

        # The killed daemon comes back under its name: the survivor gives up half, each holds its share.
        a = Process(province, "a", log)
        started = time.monotonic()
        wait_until(shared, 30, 0.2)
        print(f"\nrestarted daemon back to its fair share in {time.monotonic() - started:.1f} s")
        wait_until(lambda: imap_sessions(province) == [1, 1, 1, 1], 20)
        for i, site in enumerate(province.sites):
            submit(site, f"sau khi chạy lại {ids[i]}")
        for site in province.sites:
            site.wait_mail(site.department, "Đã nhận", timeout=30, count=3)

        def outbox_sent() -> bool:
            engine = create_engine(f"sqlite:///{province.db}")
            with engine.connect() as conn:
                waiting = conn.scalar(select(func.count()).where(OutboxMail.status == "pending"))
            engine.dispose()
            return waiting == 0

        wait_until(outbox_sent, 30)  # then no acknowledgement is still on its way: each was sent exactly once
        for site in province.sites:
            assert len(site.wait_mail(site.department, "Đã nhận", count=3)) == 3
    finally:
        stop(a.proc)
        stop(b.proc)
        log.close()


def test_log_records_carry_their_site(capsys):
    import logging

    from toasoan import logs

    root = logging.getLogger()
    saved = root.handlers[:], root.level
    logs.setup("INFO", json_lines=True)
    try:
        token = logs.SITE.set("xa-kep")
        logging.getLogger("toasoan.outbox").warning("gửi thư thất bại")
        logs.SITE.reset(token)
        logging.getLogger("toasoan.daemon").info("không thuộc trang nào")
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
    first, second = (json.loads(line) for line in capsys.readouterr().err.splitlines())
    assert first["site"] == "xa-kep" and first["message"] == "gửi thư thất bại"
    assert "site" not in second
