"""The daemon: one asyncio loop that wires the mailbox watcher, the outbox, the publisher and the sweeps.

APScheduler only wakes the workers; their work is rows in the database, so a restart loses nothing.
The mailbox watcher is blocking (imapclient) and runs in its own thread; it wakes the outbox as soon as
a message is processed, so acknowledgements go out within seconds rather than at the next tick.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from intake.mailbox import MailboxWatcher
from intake.service import Intake
from newsroom import outbox
from newsroom.archive import Archive
from newsroom.db import make_engine, migrate, session_factory
from newsroom.settings import ConfigError, Settings
from publisher.cms import Cms
from publisher.folder import FolderCms
from publisher.service import Publisher
from publisher.wordpress import WordPress
from scheduler import escalation
from scheduler.calendar import WorkingCalendar
from scheduler.deadlines import deadline_function

log = logging.getLogger("toasoan.daemon")


def make_cms(settings: Settings) -> Cms:
    cms = settings.cms
    if cms.kind == "folder":
        return FolderCms(cms.folder)
    return WordPress(cms.url, cms.username, cms.password.resolve(), cms.timeout_seconds)


class Daemon:
    def __init__(
        self,
        settings: Settings,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        sweep_seconds: float = 60,
    ):
        self.settings, self.clock, self.sweep_seconds = settings, clock, sweep_seconds
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.engine = make_engine(settings.database)
        migrate(self.engine)
        self.factory = session_factory(self.engine)
        self.archive = Archive(settings.data_dir / "archive")
        self.calendar = WorkingCalendar(settings.calendar, settings.timezone)
        self.intake = Intake(settings, self.factory, self.archive, deadline_function(settings, self.calendar), clock)
        self.cms: Cms | None = None
        self.cms_error = ""
        self.publisher: Publisher | None = None
        self.wake = asyncio.Event()
        self.stopping = asyncio.Event()

    async def send_mail(self) -> None:
        try:
            await outbox.drain(self.factory, self.settings.smtp, self.clock())
        except ConfigError as exc:
            log.error("SMTP: %s", exc)

    async def publish(self) -> None:
        if self.publisher is None:
            try:
                self.cms = make_cms(self.settings)
            except ConfigError as exc:
                if str(exc) != self.cms_error:  # said once, not at every tick
                    log.error("CMS: %s; bài đã duyệt chờ đến khi sửa cấu hình", exc)
                    self.cms_error = str(exc)
                return
            self.publisher = Publisher(self.settings, self.factory, self.archive, self.cms)
        if await self.publisher.run_due(self.clock()):
            self.wake.set()

    async def sweep(self) -> None:
        if await asyncio.to_thread(escalation.sweep, self.settings, self.calendar, self.factory, self.clock()):
            self.wake.set()

    async def _pump(self) -> None:
        """Mail and posts go out as soon as something asks for them, and at least every few seconds."""
        while not self.stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), timeout=5)
            self.wake.clear()
            for job in (self.publish, self.send_mail):
                try:
                    await job()
                except Exception:
                    log.exception("lỗi khi chạy %s", job.__name__)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        watcher = MailboxWatcher(self.settings.imap, self.intake, lambda: loop.call_soon_threadsafe(self.wake.set))
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, self.stopping.set)
        scheduler = AsyncIOScheduler(timezone=self.settings.timezone)
        scheduler.add_job(
            self.sweep,
            "interval",
            seconds=self.sweep_seconds,
            max_instances=1,
            next_run_time=datetime.now(UTC),
        )
        scheduler.start()
        watching = asyncio.create_task(asyncio.to_thread(watcher.run))
        pump = asyncio.create_task(self._pump())
        log.info("toasoan đang chạy cho %s (preset %s)", self.settings.site_name, self.settings.preset)
        try:
            await self.stopping.wait()
        finally:
            log.info("đang dừng…")
            watcher.stop()
            scheduler.shutdown(wait=False)
            pump.cancel()
            await asyncio.gather(watching, pump, return_exceptions=True)
            if self.cms is not None:
                await self.cms.aclose()
            self.engine.dispose()
