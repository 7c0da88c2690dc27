"""One way for several daemons to share work: claimed rows, leases, and wake-ups.

Work is rows in the database. A *queue* (the outbox, the publisher) is a table whose due rows a daemon
claims by writing its name and a short lease into them; the daemon renews the lease while it works and
clears it when done. A daemon that dies stops renewing, so its rows are free again within one lease
(seconds, not minutes), and the same daemon restarted takes back its own claims at once (``take_back``),
being known by a stable name: the host and a configured instance (``holder_identity``).

Claiming on PostgreSQL is ``SELECT … LIMIT n FOR UPDATE SKIP LOCKED`` then ``UPDATE`` of the rows it
locked, in one transaction: claimers skip each other's rows instead of waiting. (Not the one-statement
``UPDATE … WHERE id IN (SELECT … LIMIT n FOR UPDATE SKIP LOCKED)``: PostgreSQL may evaluate that subquery
more than once and claim more than n rows, which the tests saw.) On SQLite that one statement is right:
it runs under the database's single write lock, which serialises claimers.

Work that one daemon at a time does for a site (a deadline sweep, the periodic jobs) holds a *lease row*
(``records.Lease``, one per site and name) with the same holder, lease and renewal (``exclusive``).

Wake-ups: a session that queues a row sends ``NOTIFY toasoan_<queue>`` (PostgreSQL delivers it at
commit), and a daemon's ``Listener`` wakes its loop at once; SQLite has one daemon, which wakes itself.
Lease times are the injected clock's, like every due time in the rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import socket
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event, func, or_, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import InstrumentedAttribute, Session, sessionmaker

from newsroom.clock import Clock
from newsroom.db import site_of
from newsroom.records import Lease

log = logging.getLogger("toasoan.claims")
LEASE = timedelta(seconds=30)


def holder_identity(instance: str | None = None) -> str:
    """This daemon's name in the claims and mailbox leases it writes: ``host/instance``, stable across
    restarts, different for each daemon of a host (``--instance`` or ``TOASOAN_INSTANCE`` names it when a
    host runs several)."""
    return f"{socket.gethostname()}/{instance or os.environ.get('TOASOAN_INSTANCE') or 'main'}"


@dataclass(frozen=True)
class Queue:
    """Rows that are work: ``due(now)`` says which are due (claimed or not), ``until`` and ``holder`` are the
    claim's columns (``until`` NULL: not claimed), ``wakes(row)`` whether a row written makes work now."""

    name: str  # also the NOTIFY channel: toasoan_<name>
    model: type
    until: InstrumentedAttribute
    holder: InstrumentedAttribute
    due: Callable[[datetime], tuple]
    wakes: Callable[[Any], bool]

    @property
    def channel(self) -> str:
        return f"toasoan_{self.name}"


def pending(factory: sessionmaker[Session], queue: Queue, now: datetime) -> bool:
    """Is a row due at ``now``, claimed or not? (In progress counts as due: ``Daemon.idle``.)"""
    with factory() as session:
        return session.scalar(select(queue.model.id).where(*queue.due(now)).limit(1)) is not None


def claim(
    factory: sessionmaker[Session], queue: Queue, holder: str, now: datetime, limit: int, lease: timedelta = LEASE
) -> list[int]:
    """Claim up to ``limit`` due rows nobody holds (or whose lease expired) for ``holder``; their ids, oldest
    first. Two claimers never get the same row."""
    model = queue.model
    with factory.begin() as session:
        free = (
            select(model.id)
            .where(model.site_id == site_of(session), *queue.due(now), or_(queue.until.is_(None), queue.until < now))
            .order_by(model.id)
            .limit(limit)
        )
        if session.bind.dialect.name == "postgresql":  # lock them first: other claimers skip them
            chosen = model.id.in_(list(session.scalars(free.with_for_update(skip_locked=True))))
        else:  # one statement, under SQLite's single write lock
            chosen = model.id.in_(free.scalar_subquery())
        claimed = session.scalars(
            update(model)
            .where(chosen)
            .values({queue.until: now + lease, queue.holder: holder})
            .returning(model.id)
            .execution_options(synchronize_session=False)
        )
        return sorted(claimed)


def renew(
    factory: sessionmaker[Session], queue: Queue, ids: Collection[int], holder: str, now: datetime, lease=LEASE
) -> int:
    """Extend the lease of the rows of ``ids`` that ``holder`` still holds; how many another holder has
    claimed meanwhile (rows already done, their claim cleared, are neither)."""
    model = queue.model
    with factory.begin() as session:
        session.execute(
            update(model)
            .where(model.site_id == site_of(session), model.id.in_(ids), queue.holder == holder)
            .where(queue.until.is_not(None))
            .values({queue.until: now + lease})
            .execution_options(synchronize_session=False)
        )
        return session.scalar(
            select(func.count())
            .select_from(model)
            .where(model.site_id == site_of(session), model.id.in_(ids), queue.holder != holder)
            .where(queue.until.is_not(None))
        )


def take_back(factory: sessionmaker[Session], queues: Collection[Queue], holder: str) -> int:
    """At a daemon's start: the claims its previous life left are free at once, not when their lease ends
    (that life is over: nothing of this name is working on them). How many were freed."""
    freed = 0
    with factory.begin() as session:
        for queue in queues:
            model = queue.model
            freed += session.execute(
                update(model)
                .where(model.site_id == site_of(session), queue.holder == holder, queue.until.is_not(None))
                .values({queue.until: None})
                .execution_options(synchronize_session=False)
            ).rowcount
        freed += session.execute(
            update(Lease)
            .where(Lease.site_id == site_of(session), Lease.holder == holder, Lease.until.is_not(None))
            .values(until=None)
            .execution_options(synchronize_session=False)
        ).rowcount
    if freed:
        log.info("%s: lấy lại %d việc đã nhận trước khi khởi động lại", holder, freed)
    return freed


def connection_lost(exc: BaseException) -> bool:
    """Is this the database out of reach (a connection cut, a server restarting) rather than a bug or bad
    data? Work that met it is not failed: it is done again once the database answers."""
    return isinstance(exc, OperationalError) or (isinstance(exc, DBAPIError) and exc.connection_invalidated)


def durably(write: Callable[..., Any], *args, patience: float = LEASE.total_seconds() / 2) -> Any:
    """``write(*args)``, retried through a dropped connection or a database restart for up to ``patience``
    seconds. For the record of work done outside the database (a mail accepted by the SMTP server, a
    post made): lost, the work would be claimed and done a second time when its lease ends."""
    deadline, pause = time.monotonic() + patience, 0.1
    while True:
        try:
            return write(*args)
        except Exception as exc:
            if not connection_lost(exc) or time.monotonic() > deadline:
                raise
            log.warning("cơ sở dữ liệu không trả lời (%s); ghi lại sau %.1f giây", type(exc).__name__, pause)
            time.sleep(pause)
            pause = min(pause * 2, 2.0)


_RECORDER = ThreadPoolExecutor(max_workers=2, thread_name_prefix="record")


async def record(write: Callable[..., Any], *args) -> Any:
    """``durably(write, *args)`` in threads of its own: after a kill -9, work done but not yet recorded is
    done again, so the record must not wait in the loop's shared pool behind a hundred sites' claims and
    sweeps (that wait, not the write, made the window in which a kill sends a mail twice)."""
    return await asyncio.get_running_loop().run_in_executor(_RECORDER, functools.partial(durably, write, *args))


def release(factory: sessionmaker[Session], queue: Queue, ids: Collection[int], holder: str) -> None:
    """Our claims on ``ids`` end without the work done (the database went away mid-batch): the rows are
    due again at once, for us or another daemon, instead of when their lease ends."""
    if ids:
        with factory.begin() as session:
            session.execute(
                update(queue.model)
                .where(queue.model.site_id == site_of(session), queue.model.id.in_(ids), queue.holder == holder)
                .values({queue.until: None})
                .execution_options(synchronize_session=False)
            )


@contextlib.asynccontextmanager
async def renewing(
    factory: sessionmaker[Session], queue: Queue, ids: Collection[int], holder: str, clock: Clock, lease=LEASE
) -> AsyncIterator[None]:
    """While the block runs, the claims on ``ids`` are renewed every third of a lease (monotonic timer)."""

    async def renew_all() -> None:
        # in threads of their own: a renewal queued behind a hundred sites' work would let the lease lapse
        lost = await asyncio.get_running_loop().run_in_executor(
            _RECORDER, renew, factory, queue, ids, holder, clock(), lease
        )
        if lost:
            log.warning("%s: %d/%d việc của hàng %s đã bị daemon khác nhận", holder, lost, len(ids), queue.name)

    with _repeating(lease.total_seconds() / 3, renew_all):
        yield


@contextlib.contextmanager
def _repeating(seconds: float, step: Callable[[], Awaitable[None]]) -> Iterator[None]:
    """``step`` every ``seconds`` (monotonic) while the block runs; a failing step is logged and retried."""

    async def loop() -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                await step()
            except Exception:
                log.exception("gia hạn thất bại; thử lại")

    task = asyncio.get_running_loop().create_task(loop())
    try:
        yield
    finally:
        task.cancel()


def hold(factory: sessionmaker[Session], name: str, holder: str, now: datetime, lease: timedelta = LEASE) -> bool:
    """Take (or renew) the site's lease row ``name`` for ``holder``, unless another holds it unexpired."""
    with factory.begin() as session:
        site = site_of(session)
        taken = session.execute(
            update(Lease)
            .where(
                Lease.site_id == site,
                Lease.name == name,
                or_(Lease.holder == holder, Lease.until.is_(None), Lease.until < now),
            )
            .values(holder=holder, until=now + lease)
            .execution_options(synchronize_session=False)
        ).rowcount
    if taken:
        return True
    try:
        with factory.begin() as session:
            session.add(Lease(site_id=site_of(session), name=name, holder=holder, until=now + lease))
        return True
    except IntegrityError:  # another daemon holds it
        return False


def let_go(factory: sessionmaker[Session], name: str, holder: str) -> None:
    with factory.begin() as session:
        session.execute(
            update(Lease)
            .where(Lease.site_id == site_of(session), Lease.name == name, Lease.holder == holder)
            .values(until=None)
            .execution_options(synchronize_session=False)
        )


@contextlib.asynccontextmanager
async def exclusive(
    factory: sessionmaker[Session], name: str, holder: str, clock: Clock, lease: timedelta = LEASE
) -> AsyncIterator[bool]:
    """``async with exclusive(…) as held``: ``held`` is whether this daemon does the work ``name`` for the
    site now; while it does, the lease is renewed, and it is let go at the end."""
    if not await asyncio.to_thread(hold, factory, name, holder, clock(), lease):
        yield False
        return

    async def renew_lease() -> None:
        if not await asyncio.to_thread(hold, factory, name, holder, clock(), lease):
            log.warning("%s: mất quyền làm %s", holder, name)

    try:
        with _repeating(lease.total_seconds() / 3, renew_lease):
            yield True
    finally:
        await asyncio.to_thread(let_go, factory, name, holder)


def notify_on_commit(factory: sessionmaker[Session], queues: Collection[Queue]) -> None:
    """Sessions of ``factory`` that write a row making work in a queue send ``NOTIFY toasoan_<queue>`` with
    the site as payload (PostgreSQL delivers it when the transaction commits, not before)."""

    @event.listens_for(factory, "after_flush")
    def _notify(session: Session, _context) -> None:
        if session.bind.dialect.name != "postgresql":
            return
        rows = [*session.new, *session.dirty]
        for queue in queues:
            if any(isinstance(row, queue.model) and queue.wakes(row) for row in rows):
                session.execute(
                    text("SELECT pg_notify(:channel, :site)"), {"channel": queue.channel, "site": site_of(session)}
                )


class Listener:
    """``LISTEN`` on the queues' channels in a thread of its own (psycopg's ``notifies``), calling
    ``on_notify(queue name, site)`` for each notification; reconnects after the database restarts, then
    calls ``on_reconnect()``: what was notified while it was away is lost, so every queue is looked at."""

    def __init__(
        self,
        url: str,
        queues: Collection[Queue],
        on_notify: Callable[[str, str], None],
        on_reconnect: Callable[[], None] = lambda: None,
    ):
        self.conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self.channels = {q.channel: q.name for q in queues}
        self.on_notify, self.on_reconnect = on_notify, on_reconnect
        self.stopped = threading.Event()
        self.listening = threading.Event()

    def run(self) -> None:
        import psycopg

        lost = False
        while not self.stopped.is_set():
            try:
                with psycopg.connect(self.conninfo, autocommit=True) as conn:
                    for channel in self.channels:
                        conn.execute(f"LISTEN {channel}")
                    self.listening.set()
                    if lost:
                        self.on_reconnect()
                    while not self.stopped.is_set():
                        for note in conn.notifies(timeout=0.5):
                            self.on_notify(self.channels[note.channel], note.payload)
            except psycopg.Error as exc:
                self.listening.clear()
                lost = True
                log.warning("LISTEN mất kết nối (%s); thử lại sau 1 giây", exc)
                self.stopped.wait(1)

    def stop(self) -> None:
        self.stopped.set()
