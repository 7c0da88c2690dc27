"""The daemon: one asyncio loop that serves one site (a commune's configuration file) or a directory of
sites (a province), wiring for each its mailbox watcher, outbox, publisher and sweeps.

Every piece of business time comes from the one clock the daemon is given. The loops below only decide
when to look again, on the event loop's monotonic timer: the work itself is rows in the database that
are due at the clock's present moment, so a restart loses nothing, and a test that moves its clock sees
the daemon act as it would at that moment. (APScheduler used to wake the sweeps; it read the wall
clock for that, and a loop of a few lines does the same on the monotonic timer.)

The mailboxes are watched by one MailboxHub (intake/mailbox.py: one waiting thread, a few workers),
and only those whose lease this daemon holds (scheduler/ownership.py): several daemons on one database
share the sites out, and take over a dead one's within seconds. A processed message wakes its site's
outbox at once, so acknowledgements go out within seconds rather than at the next tick. Mail, posts and
sweeps are claimed through newsroom/claims.py (SKIP LOCKED on PostgreSQL, leases renewed while working),
and a NOTIFY from whichever daemon queued work wakes the site's pump in every daemon.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from intake.mailbox import MailboxHub, MailboxWatcher
from intake.sandbox import SANDBOX
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
from scheduler.metrics import Metrics
from scheduler.ownership import Ownership
from scheduler.sites import SitesDirectory, Standing, standing
from toasoan.logs import SITE

log = logging.getLogger("toasoan.daemon")
QUEUES = (outbox.QUEUE, publishing.QUEUE)


def make_cms(settings: Settings) -> Cms:
    cms = settings.cms
    if cms.kind == "folder":
        return FolderCms(cms.folder, cms.url)
    cms.password.resolve()  # a missing secret is reported now, by its key
    return WordPress(cms.url, cms.username, cms.password.resolve, cms.timeout_seconds)


class SiteWork:
    """One site's pieces: intake and its mailbox watcher, the publisher, the outbox and the sweeps, with
    the two loops (pump, sweeps) that run them in the site's own tasks."""

    def __init__(self, daemon: Daemon, settings: Settings):
        self.daemon, self.settings, self.site_id = daemon, settings, settings.site_id
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.factory, self.clock, self.holder = (
            session_factory(daemon.engine, self.site_id),
            daemon.clock,
            daemon.holder,
        )
        claims.notify_on_commit(self.factory, QUEUES)
        self.archive = Archive(settings.data_dir / "archive")
        self.calendar = WorkingCalendar(settings.calendar, settings.timezone)
        question_times = functools.partial(question_deadlines.times, settings, self.calendar)
        deadlines = deadline_function(settings, self.calendar)
        self.intake = Intake(settings, self.factory, self.archive, deadlines, self.clock, question_times)
        if daemon.metrics is not None:
            self.intake.on_refused = lambda code: daemon.metrics.refusals.labels(self.site_id, code).inc()
        self.watcher: MailboxWatcher | None = None
        self.cms: Cms | None = None
        self.cms_error = ""
        self.publisher: Publisher | None = None
        # one pump a queue, so that a post is not kept waiting behind a batch of mail, nor mail behind a slow CMS
        self.pumps = {
            publishing.QUEUE.name: (self.publish, asyncio.Event()),
            outbox.QUEUE.name: (self.send_mail, asyncio.Event()),
        }
        self.generation = 0  # messages processed so far: a sweep that started before the last one missed it
        self.swept: tuple[datetime, int] | None = None  # (clock, generation) at the start of the last sweep
        self.tasks: list[asyncio.Task] = []

    def start(self) -> None:
        token = SITE.set(self.site_id)  # the tasks copy the context: their log records carry the site
        try:
            self.tasks = [asyncio.create_task(self._serve())]
        finally:
            SITE.reset(token)

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        if self.cms is not None:
            await self.cms.aclose()

    def new_watcher(self) -> MailboxWatcher:
        self.watcher = MailboxWatcher(
            self.settings.imap, self.intake, self._processed, self.site_id, self._mailbox_state
        )
        return self.watcher

    def _processed(self, handled: int) -> None:
        """Called from a mailbox worker after a batch of messages was committed and moved."""
        self.generation += 1
        if self.daemon.metrics is not None:
            self.daemon.metrics.processed.labels(self.site_id).inc(handled)
        self._mailbox_state(self.watcher.state if self.watcher else "idle", "")
        self.daemon.loop.call_soon_threadsafe(self.wake)

    def _mailbox_state(self, state: str, error: str) -> None:
        """Written to the lease row for `toasoan sites`; a database hiccup must not stop the mailbox."""
        watcher = self.watcher
        try:
            self.daemon.ownership.report(self.site_id, state, error, watcher.last_mail_at if watcher else None)
        except Exception as exc:
            log.warning("không ghi được trạng thái hộp thư: %s", exc)

    def idle(self) -> bool:
        now = self.clock()
        if (self.watcher is not None and self.watcher.busy) or self.swept is None:
            return False
        if self.swept[0] < now or self.swept[1] != self.generation:
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
            logging.getLogger("toasoan.outbox").error("SMTP: %s", exc)

    async def publish(self) -> None:
        if self.publisher is None:
            try:
                self.cms = make_cms(self.settings)
            except ConfigError as exc:
                if str(exc) != self.cms_error:  # said once, not at every tick
                    logging.getLogger("toasoan.publisher").error("CMS: %s; bài đã duyệt chờ đến khi sửa cấu hình", exc)
                    self.cms_error = str(exc)
                return
            self.publisher = Publisher(self.settings, self.factory, self.archive, self.cms, self.clock, self.holder)
        if await self.publisher.run_due():
            self.wake()

    async def _serve(self) -> None:
        """First take back what this daemon had claimed before a restart (at once, not when its leases
        end), then pump and sweep."""
        await asyncio.to_thread(claims.take_back, self.factory, QUEUES, self.holder)
        await asyncio.gather(*(self._pump(job, event) for job, event in self.pumps.values()), self._sweeping())

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
        while True:
            started, generation = self.clock(), self.generation
            for name, sweep in sweeps.items():
                try:
                    async with claims.exclusive(self.factory, f"sweep:{name}", self.holder, self.clock) as held:
                        if held:
                            await asyncio.to_thread(sweep, started)
                except Exception:
                    log.exception("lỗi khi quét %s", name)
            self.swept = (started, generation)
            self.wake()
            await asyncio.sleep(self.daemon.sweep_seconds)

    def wake(self, queue: str | None = None) -> None:
        """The pump of ``queue`` (every pump when None) looks at its queue now."""
        for name, (_job, event) in self.pumps.items():
            if queue in (None, name):
                event.set()

    async def _pump(self, job: Callable[[], Awaitable[None]], event: asyncio.Event) -> None:
        """Mail or posts go out as soon as something asks for them, and at least every few seconds."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), timeout=self.daemon.pump_seconds)
            event.clear()
            try:
                if self.daemon.one_writer is None:
                    await job()
                else:
                    async with self.daemon.one_writer:
                        await job()
            except Exception:
                log.exception("lỗi khi chạy %s", job.__name__)


class Daemon:
    """One site from ``settings``, or every site of ``sites_dir``, served by one process.

    ``instance`` names this daemon among those on the host (its leases are ``host/instance``);
    ``lease_seconds``: how long a mailbox lease lasts unrenewed, so about how long a dead daemon's
    mailboxes wait for another; ``metrics``: (host, port) of /metrics and /healthz, None for none.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        clock: Clock | None = None,
        sweep_seconds: float = 60,
        *,
        sites_dir: str | Path | None = None,
        instance: str | None = None,
        lease_seconds: float = 15,
        metrics: tuple[str, int] | None = None,
        workers: int = 4,
    ):
        if (settings is None) == (sites_dir is None):
            raise ValueError("settings or sites_dir, one of them")
        self.sweep_seconds, self.lease_seconds = sweep_seconds, lease_seconds
        self.clock: Clock = clock or SystemClock()
        self.directory = SitesDirectory(sites_dir) if sites_dir is not None else None
        sites = self.directory.load() if self.directory else {settings.site_id: settings}
        url = self.directory.database if self.directory else settings.database
        self.engine = make_engine(url)
        migrate(self.engine)
        self.ownership = Ownership(self.engine, claims.holder_identity(instance), lease_seconds)
        self.holder = self.ownership.holder  # the name its claims of mail, posts and sweeps carry too
        if (pid := self.ownership.rival()) is not None:
            self.engine.dispose()
            raise ConfigError(
                f"một daemon khác (pid {pid}) đang chạy trên máy này với tên {self.ownership.holder}; "
                "đặt --instance khác cho mỗi daemon"
            )
        self.metrics = Metrics(self) if metrics is not None else None
        self.metrics_address = metrics
        self.metrics_port: int | None = None
        self.hub = MailboxHub(workers)
        self.pending = sites  # built into SiteWork once the loop runs (their events belong to it)
        self.works: dict[str, SiteWork] = {}
        self.stopping = asyncio.Event()
        # SQLite has one writer, and its claims of due mail and posts are a read then a write: the sites of
        # one process take turns draining (on PostgreSQL, FOR UPDATE SKIP LOCKED lets them run together).
        self.one_writer = asyncio.Lock() if self.engine.dialect.name == "sqlite" else None
        # How often an idle site's pump looks anyway: on PostgreSQL a NOTIFY wakes it as work is queued, so
        # the look is for claims a dead daemon left (their 30 s leases), and a hundred sites polling every
        # 5 s would cost the database 80 claims a second for nothing.
        self.pump_seconds = 5.0 if self.one_writer is not None else 15.0
        self.loop: asyncio.AbstractEventLoop | None = None
        self.renewed = 0.0  # monotonic time of the last lease round that reached the database

    # -- what tests, `toasoan sites` and /metrics ask -------------------------------------------------

    def watching(self) -> dict[str, MailboxWatcher]:
        """The mailboxes this daemon holds and watches, by site."""
        return {
            site_id: work.watcher
            for site_id, work in list(self.works.items())
            if work.watcher is not None and not work.watcher.stopping
        }

    def idle(self) -> bool:
        """Nothing is due at the clock's present moment that the daemon has not done, for any site: no
        mailbox is being read, a deadline sweep has run at this moment since the last message, and no
        mail or post is due (in progress counts as due). Tests wait for this instead of sleeping."""
        return bool(self.works) and not self.pending and all(work.idle() for work in list(self.works.values()))

    def standings(self) -> list[Standing]:
        with self.engine.connect() as conn:
            lease_now = conn.scalar(select(self.ownership.now))
        now, found = self.clock(), []
        for site_id, work in sorted(self.works.items()):
            with work.factory() as session:
                found.append(standing(session, site_id, now, lease_now))
        return found

    def health(self) -> dict:
        """Healthy while the last lease round reached the database within two renewal periods."""
        fresh = time.monotonic() - self.renewed < 2 * self._renew_every() + 1
        return {
            "ok": fresh and not self.stopping.is_set(),
            "holder": self.ownership.holder,
            "database": "ok" if fresh else "unreachable",
            "sites": {site_id: w.state for site_id, w in sorted(self.watching().items())},
            "served": sorted(self.works),
        }

    def _notified(self, queue: str, site_id: str) -> None:
        """From the listener's thread: a NOTIFY of a queue (newsroom/claims.py) wakes that site's pump of it."""
        work = self.works.get(site_id)
        if work is not None and self.loop is not None:
            self.loop.call_soon_threadsafe(work.wake, queue)

    def _wake_all(self) -> None:
        """From the listener's thread, back after losing the database: notifications sent meanwhile are
        lost, so every site's pump looks at its queues now."""
        if self.loop is not None:
            for work in list(self.works.values()):
                self.loop.call_soon_threadsafe(work.wake)

    # -- the loops ------------------------------------------------------------------------------------

    def _renew_every(self) -> float:
        return self.lease_seconds / 3

    async def _leasing(self) -> None:
        """Every few seconds: renew leases, watch the mailboxes held, let go of those beyond the fair
        share. A daemon that cannot reach the database stops watching before its leases run out."""
        while not self.stopping.is_set():
            try:  # a round that hangs (database unreachable) counts as failed: fencing must not wait on it
                renewing = asyncio.to_thread(self.ownership.renew, list(self.works))
                held = await asyncio.wait_for(renewing, timeout=self._renew_every())
            except Exception as exc:
                log.warning("không gia hạn được quyền giữ hộp thư: %s", str(exc) or type(exc).__name__)
                if time.monotonic() - self.renewed > self.lease_seconds - self._renew_every():
                    await self._unwatch(list(self.watching()), release=False)
            else:
                self.renewed = time.monotonic()
                watching = self.watching()
                for site_id in sorted(held.held - set(watching)):
                    if site_id not in self.works:  # removed from the directory during the round
                        continue
                    self.hub.add(self.works[site_id].new_watcher())
                    log.info("giữ hộp thư của %s (%d daemon đang chạy)", site_id, held.live)
                lost = set(watching) - held.held - held.release
                await self._unwatch(sorted(held.release), release=True)
                await self._unwatch(sorted(lost), release=False)
            with contextlib.suppress(TimeoutError):  # a changed site list starts the next round at once
                await asyncio.wait_for(self.nudge.wait(), timeout=self._renew_every())
            self.nudge.clear()

    async def _unwatch(self, site_ids: list[str], release: bool) -> None:
        """Stop these watchers and wait until they have logged out; then free the leases if asked."""
        watchers = [w for s in site_ids if (w := self.works[s].watcher if s in self.works else None) is not None]
        for watcher in watchers:
            self.hub.remove(watcher)
        deadline = time.monotonic() + 30
        while any(not self.hub.gone(w) for w in watchers) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        for site_id in site_ids:
            if site_id in self.works:
                self.works[site_id].watcher = None
        if release and site_ids:
            await asyncio.to_thread(self.ownership.release, site_ids)
            log.info("nhường hộp thư %s cho daemon khác", ", ".join(site_ids))

    async def _reloading(self) -> None:
        """The site directory is looked at with each sweep: new, changed and removed files take effect."""
        while not self.stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), timeout=self.sweep_seconds)
            if self.stopping.is_set():
                return
            changes = await asyncio.to_thread(self.directory.scan)
            for site_id in sorted(changes.removed | set(changes.changed)):
                if site_id in self.works:
                    await self._remove(site_id, release=site_id in changes.removed)
            for site_id, settings in sorted(changes.changed.items()):
                self._add(settings)
                log.info("phục vụ trang %s (%s)", site_id, settings.site_name)
            if changes.removed or changes.changed:
                self.nudge.set()

    def _add(self, settings: Settings) -> None:
        work = SiteWork(self, settings)
        self.works[settings.site_id] = work
        work.start()

    async def _remove(self, site_id: str, release: bool) -> None:
        await self._unwatch([site_id], release=release)
        work = self.works.pop(site_id)
        await work.stop()

    async def run(self) -> None:
        self.loop = loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, self.stopping.set)
        self.nudge = asyncio.Event()
        for settings in self.pending.values():
            self._add(settings)
        self.pending = {}
        if self.metrics is not None:
            self.metrics_port = self.metrics.serve(*self.metrics_address)
        SANDBOX.start(SANDBOX.size)  # every document worker, loading while the mailboxes connect
        hub = asyncio.create_task(asyncio.to_thread(self.hub.run))
        tasks = [asyncio.create_task(self._leasing())]
        listener = None
        if self.engine.dialect.name == "postgresql":  # work queued by another daemon wakes this one at once
            listener = claims.Listener(
                self.engine.url.render_as_string(hide_password=False), QUEUES, self._notified, self._wake_all
            )
            tasks.append(asyncio.create_task(asyncio.to_thread(listener.run)))
        if self.directory is not None:
            tasks.append(asyncio.create_task(self._reloading()))
        names = ", ".join(f"{w.site_id} ({w.settings.preset})" for w in self.works.values())
        log.info("toasoan đang chạy cho %s; tên daemon %s", names, self.ownership.holder)
        try:
            await self.stopping.wait()
        finally:
            log.info("đang dừng…")
            if listener is not None:
                listener.stop()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self.hub.stop()
            await asyncio.gather(hub, return_exceptions=True)
            for work in list(self.works.values()):
                await work.stop()
            with contextlib.suppress(Exception):
                await asyncio.to_thread(self.ownership.leave)
            if self.metrics is not None:
                self.metrics.close()
            self.engine.dispose()
