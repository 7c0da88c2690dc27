"""The daemon: one asyncio loop that wires the mailbox watcher, the outbox, the publisher and the sweeps.

Every piece of business time comes from the one clock the daemon is given. The loops below only decide
when to look again, on the event loop's monotonic timer: the work itself is rows in the database that
are due at the clock's present moment, so a restart loses nothing, and a test that moves its clock sees
the daemon act as it would at that moment. (APScheduler used to wake the sweeps; it read the wall
clock for that, and a loop of a few lines does the same on the monotonic timer.)
The mailbox watcher is blocking (imapclient) and runs in its own thread; it wakes the outbox as soon as
a message is processed, so acknowledgements go out within seconds rather than at the next tick.
Several daemons may share one PostgreSQL database: they claim work through newsroom/claims.py, each
sweep is done by one of them at a time, and a NOTIFY from whichever queued work wakes them all.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import signal
from datetime import datetime

from intake.mailbox import MailboxWatcher
from intake.service import Intake
from newsroom import claims, outbox
from newsroom.archive import Archive
from newsroom.clock import Clock, SystemClock
from newsroom.db import make_engine, migrate, session_factory
from newsroom.settings import ConfigError, Settings
from publisher import service as publishing
from publisher.cms import Cms
from publisher.folder import FolderCms
from publisher.service import Publisher, publisher_due
from publisher.wordpress import WordPress
from scheduler import escalation, periodic, question_deadlines, silence
from scheduler.calendar import WorkingCalendar
from scheduler.deadlines import deadline_function

log = logging.getLogger("toasoan.daemon")


def make_cms(settings: Settings) -> Cms:
    cms = settings.cms
    if cms.kind == "folder":
        return FolderCms(cms.folder, cms.url)
    cms.password.resolve()  # a missing secret is reported now, by its key
    return WordPress(cms.url, cms.username, cms.password.resolve, cms.timeout_seconds)


class Daemon:
    def __init__(
        self,
        settings: Settings,
        clock: Clock | None = None,
        sweep_seconds: float = 60,
        instance: str = "",
    ):
        self.settings, self.sweep_seconds = settings, sweep_seconds
        self.holder = claims.holder_identity(instance)
        self.clock: Clock = clock or SystemClock()
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.engine = make_engine(settings.database)
        migrate(self.engine)
        self.factory = session_factory(self.engine, settings.site_id)
        self.queues = (outbox.QUEUE, publishing.QUEUE)
        claims.notify_on_commit(self.factory, self.queues)
        self.archive = Archive(settings.data_dir / "archive")
        self.calendar = WorkingCalendar(settings.calendar, settings.timezone)
        deadlines = deadline_function(settings, self.calendar)
        question_times = functools.partial(question_deadlines.times, settings, self.calendar)
        self.intake = Intake(settings, self.factory, self.archive, deadlines, self.clock, question_times)
        self.watcher = MailboxWatcher(settings.imap, self.intake, self._processed)
        self.cms: Cms | None = None
        self.cms_error = ""
        self.publisher: Publisher | None = None
        self.wake = asyncio.Event()
        self.stopping = asyncio.Event()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.generation = 0  # messages processed so far: a sweep that started before the last one missed it
        self.swept: tuple[datetime, int] | None = None  # (clock, generation) at the start of the last sweep

    def _processed(self) -> None:
        """Called from the watcher's thread after a batch of messages was committed and moved."""
        self.generation += 1
        if self.loop is not None:
            self.loop.call_soon_threadsafe(self.wake.set)

    def _notified(self, _queue: str, site_id: str) -> None:
        """From the listener's thread: a NOTIFY of a queue (newsroom/claims.py)."""
        if site_id == self.settings.site_id and self.loop is not None:
            self.loop.call_soon_threadsafe(self.wake.set)

    def idle(self) -> bool:
        """Nothing is due at the clock's present moment that the daemon has not done: the mailbox is not
        being read, a deadline sweep has run at this moment since the last message, and no mail or post is
        due (in progress counts as due). Tests wait for this instead of sleeping."""
        now = self.clock()
        if self.watcher.busy or self.swept is None or self.swept[0] < now or self.swept[1] != self.generation:
            return False
        return (
            not outbox.due(self.factory, now)
            and not publisher_due(self.factory, now)
            and not periodic.pending(self.settings, self.factory, now)
        )

    async def send_mail(self) -> None:
        try:
            await outbox.drain(self.factory, self.settings.smtp, self.clock, self.holder)
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
            self.publisher = Publisher(self.settings, self.factory, self.archive, self.cms, self.clock, self.holder)
        if await self.publisher.run_due():
            self.wake.set()

    async def _sweeping(self) -> None:
        """A deadline sweep every ``sweep_seconds`` (monotonic), each at the clock's moment when it starts;
        then the publisher and the outbox look too, for posts scheduled for a time that has now come. Each
        sweep is done by one daemon at a time (a lease per site and sweep); another skips it."""
        sweeps = {
            "escalation": functools.partial(escalation.sweep, self.settings, self.calendar, self.factory),
            "questions": functools.partial(question_deadlines.sweep, self.settings, self.calendar, self.factory),
            # no post for days, no weekly schedule by Monday: the preset's silence rules
            "silence": functools.partial(silence.sweep, self.settings, self.calendar, self.factory),
            # royalty list, reports, quota reminder, backup: each period once
            "periodic": functools.partial(periodic.run_due, self.settings, self.factory),
        }
        while not self.stopping.is_set():
            started, generation = self.clock(), self.generation
            for name, sweep in sweeps.items():
                try:
                    async with claims.exclusive(self.factory, f"sweep:{name}", self.holder, self.clock) as held:
                        if held:
                            await asyncio.to_thread(sweep, started)
                except Exception:
                    log.exception("lỗi khi quét %s", name)
            self.swept = (started, generation)
            self.wake.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), timeout=self.sweep_seconds)

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
        self.loop = loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, self.stopping.set)
        await asyncio.to_thread(claims.take_back, self.factory, self.queues, self.holder)
        watching = asyncio.create_task(asyncio.to_thread(self.watcher.run))
        tasks = [asyncio.create_task(self._pump()), asyncio.create_task(self._sweeping())]
        listener = None
        if self.engine.dialect.name == "postgresql":  # work queued by another daemon wakes this one at once
            listener = claims.Listener(self.settings.database, self.queues, self._notified)
            tasks.append(asyncio.create_task(asyncio.to_thread(listener.run)))
        log.info("toasoan đang chạy cho %s (preset %s)", self.settings.site_name, self.settings.preset)
        try:
            await self.stopping.wait()
        finally:
            log.info("đang dừng…")
            self.watcher.stop()
            if listener is not None:
                listener.stop()
            for task in tasks:
                task.cancel()
            await asyncio.gather(watching, *tasks, return_exceptions=True)
            if self.cms is not None:
                await self.cms.aclose()
            self.engine.dispose()
