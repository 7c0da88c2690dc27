"""Fixtures: real Dovecot, aiosmtpd and WordPress for the session, and a fresh site (config, data, people)
for each test, with the daemon running in a thread against them."""

from __future__ import annotations

import asyncio
import itertools
import os
import secrets
import select
import signal
import threading
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from newsroom.clock import ManualClock
from newsroom.settings import load_settings
from tests.servers.common import missing

_counter = itertools.count(1)

if "faketime" in os.environ.get("LD_PRELOAD", ""):
    # scripts/test-dates runs the suite under libfaketime with real monotonic time. libfaketime 0.9.10 then
    # shifts the absolute monotonic deadline of clock_nanosleep, which CPython's time.sleep uses, into the
    # past (EINVAL); a select() timeout is relative and unaffected.
    def _sleep(seconds: float) -> None:
        select.select([], [], [], seconds)

    time.sleep = _sleep


@pytest.fixture(scope="session")
def dovecot():
    from tests.servers.dovecot import Dovecot

    server = Dovecot()
    try:
        server.start()
    except RuntimeError as exc:
        server.stop()
        missing("Dovecot", str(exc))
    yield server
    server.stop()


# The database every site and test gets: SQLite in its data folder, or with TOASOAN_TEST_DATABASE=postgres
# a fresh database of the session's private PostgreSQL cluster (tests/servers/postgres.py).
TEST_DATABASE = os.environ.get("TOASOAN_TEST_DATABASE", "sqlite")
if TEST_DATABASE not in ("sqlite", "postgres"):
    raise pytest.UsageError(f"TOASOAN_TEST_DATABASE={TEST_DATABASE!r}: sqlite or postgres")


@pytest.fixture(scope="session")
def postgres():
    from tests.servers.postgres import Postgres

    server = Postgres()
    try:
        server.start()
    except Exception as exc:
        server.stop()
        missing("PostgreSQL", str(exc))
    yield server
    server.stop()


@pytest.fixture
def new_database(request):
    """``new_database(migrated=True)``: on SQLite None (a site keeps its database in its data folder);
    under TOASOAN_TEST_DATABASE=postgres the URL of a new database (migrated, or empty), dropped when the
    test ends."""
    if TEST_DATABASE != "postgres":
        return lambda migrated=True: None
    create = request.getfixturevalue("postgres_database")
    return lambda migrated=True: create(migrated)


@pytest.fixture
def postgres_database(postgres):
    """``postgres_database(migrated=False)``: a new database of the private cluster whatever
    TOASOAN_TEST_DATABASE says, for tests that compare or need both engines; dropped when the test ends."""
    databases = []

    def create(migrated: bool = False) -> str:
        databases.append(postgres.create_database(migrated))
        return databases[-1]

    yield create
    for url in databases:
        postgres.drop_database(url)


def database_table(root: Path, url: str | None) -> str:
    """The configuration's ``[database]`` table naming ``url`` through a secret file in ``root``."""
    if url is None:
        return ""
    (root / "secrets").mkdir(exist_ok=True)
    (root / "secrets" / "database").write_text(url)
    return '[database]\nurl_file = "secrets/database"\n'


@pytest.fixture(scope="session")
def smtp_server(dovecot):
    from tests.servers.smtp import SmtpServer

    server = SmtpServer(dovecot.cert, dovecot.key, lmtp_port=dovecot.lmtp_port).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def wordpress():
    from tests.servers.wordpress import WordPress

    server = WordPress()
    try:
        server.start()
    except Exception as exc:
        server.stop()
        missing("WordPress", str(exc))
    yield server
    server.stop()


# Every test starts at this moment (a Monday morning in Hà Nội) unless it sets its own: the machine's date
# never enters a test's outcome.
SCENARIO_START = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config) -> None:
    """Servers of an earlier run that was killed are stopped first; SIGTERM ends this run like Ctrl-C, so
    the fixtures' teardown stops the servers and removes their folders. The tests' temporary folders live
    in this run's registered folder, removed at exit however the run ends (``--basetemp`` keeps them)."""
    from tests.servers.common import sweep_stale, temp_folder

    sweep_stale()
    if config.option.basetemp is None:
        config.option.basetemp = str(temp_folder("pytest-"))

    def interrupted(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupted)


def pytest_collection_modifyitems(items) -> None:
    """Tests that get a database (through ``new_database``, which ``site_factory`` uses) are marked
    ``database``: the PostgreSQL pass runs them (``-m database``)."""
    for item in items:
        if "new_database" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.database)


class Site:
    """One site: its people (with real mailboxes), its configuration file, and the daemon when started."""

    def __init__(
        self,
        root: Path,
        dovecot,
        smtp_server,
        cms: dict,
        preset: str = "kep",
        extra: str = "",
        top: str = "",
        database: str | None = None,
    ):
        """``top``: top-level TOML keys; ``extra``: tables appended after the rest; ``database``: a URL, or
        None for SQLite in the data folder (a province's sites share one database, each with its ``site_id``)."""
        n = next(_counter)
        self.domain = f"t{n}-{secrets.token_hex(3)}.kep.gov.vn"
        self.dovecot, self.smtp = dovecot, smtp_server
        self.board_box = f"bbt@{self.domain}"
        self.people = {
            "truongban": (f"truongban@{self.domain}", "Nguyễn Văn An", "truong_ban"),
            "phoban": (f"phoban@{self.domain}", "Trần Thị Bình", "pho_ban"),
            "thanhvien": (f"thanhvien@{self.domain}", "Lê Văn Cường", "thanh_vien"),
        }
        self.head = f"chutich@{self.domain}"
        self.department = f"vhxh@{self.domain}"
        for address in [self.board_box, self.head, self.department, *(p[0] for p in self.people.values())]:
            dovecot.add_user(address)
        (root / "secrets").mkdir()
        (root / "secrets" / "reply-key").write_text(secrets.token_hex(32))
        (root / "secrets" / "imap").write_text(dovecot.users[self.board_box])
        (root / "secrets" / "smtp").write_text(smtp_server.password)
        cms = dict(cms)
        if "password" in cms:
            (root / "secrets" / "cms").write_text(cms.pop("password"))
            cms["password_file"] = "secrets/cms"
        board = "\n".join(
            f'[[board]]\nname = "{name}"\naddress = "{addr}"\nrole = "{role}"\n'
            for addr, name, role in self.people.values()
        )
        cms_lines = "\n".join(f"{k} = {v!r}" if not isinstance(v, str) else f'{k} = "{v}"' for k, v in cms.items())
        self.config = root / "site.toml"
        self.config.write_text(
            f"""
preset = "{preset}"
site_name = "Cổng thông tin điện tử thị trấn Kép"
data_dir = "data"
secret_file = "secrets/reply-key"
{top}

{database_table(root, database)}
[imap]
host = "127.0.0.1"
port = {dovecot.port}
security = "none"
username = "{self.board_box}"
password_file = "secrets/imap"
poll_seconds = 1

[smtp]
host = "127.0.0.1"
port = {smtp_server.port}
security = "starttls"
ca_file = "{dovecot.cert}"
username = "{smtp_server.username}"
password_file = "secrets/smtp"
from_address = "{self.board_box}"
from_name = "Ban biên tập"

[cms]
{cms_lines}

[cms.categories]
news = "Tin tức - Sự kiện"
event_report = "Tin tức - Sự kiện"

[office_head]
name = "Đặng Minh Khôi"
address = "{self.head}"

{board}
[[departments]]
name = "Công chức Văn hóa - Xã hội"
addresses = ["{self.department}"]
{extra}
""",
            encoding="utf-8",
        )
        self.settings = load_settings(self.config)
        self.clock = ManualClock(SCENARIO_START)
        self.daemon = None
        self._thread = None

    def address(self, who: str) -> str:
        return self.people[who][0]

    def start(self, sweep_seconds: float = 0.5) -> None:
        from scheduler.daemon import Daemon

        ready = threading.Event()

        def run() -> None:
            async def main() -> None:
                self.daemon = Daemon(self.settings, clock=self.clock, sweep_seconds=sweep_seconds)
                self.loop = asyncio.get_running_loop()
                ready.set()
                await self.daemon.run()

            asyncio.run(main())

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        assert ready.wait(30), "daemon did not start"

    def stop(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            self.loop.call_soon_threadsafe(self.daemon.stopping.set)
            self._thread.join(30)

    def deliver(self, raw: bytes, received: datetime | None = None) -> None:
        """A message arriving in the board's mailbox now (the site's clock), or at ``received``."""
        self.dovecot.deliver(self.board_box, raw, received or self.clock())

    def settle(self, timeout: float = 30) -> None:
        """Wait until the daemon has done everything due at the clock's present moment: the inbox is
        empty (every message processed and moved) and the daemon reports itself idle."""
        wait_until(lambda: not self.dovecot.messages(self.board_box) and self.daemon.idle(), timeout, 0.05)

    def wait_mail(self, address: str, subject_part: str, timeout: float = 30, count: int = 1):
        """The messages in ``address``'s inbox whose subject contains ``subject_part``, once there are ``count``."""
        from email import message_from_bytes, policy

        def matching(raws):
            return [r for r in raws if subject_part in str(message_from_bytes(r, policy=policy.default)["Subject"])]

        raws = self.dovecot.wait_for(address, lambda found: len(matching(found)) >= count, timeout)
        return matching(raws)


@pytest.fixture
def site_factory(tmp_path, dovecot, smtp_server, new_database):
    sites = []

    def make(
        cms: dict | None = None, preset: str = "kep", extra: str = "", top: str = "", database: str | None = None
    ) -> Site:
        root = tmp_path / f"site{len(sites)}"
        root.mkdir()
        cms = cms or {"kind": "folder", "folder": "site"}
        if database is None and "[database]" not in extra:  # a test naming its own database keeps it
            database = new_database()
        site = Site(root, dovecot, smtp_server, cms, preset, extra, top, database)
        sites.append(site)
        return site

    yield make
    for site in sites:
        site.stop()


def wait_until(predicate, timeout: float = 20, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met after {timeout} s")
        time.sleep(interval)
