"""Which daemon holds each site's mailbox: one lease row per site, renewed every few seconds.

Lease rows rather than PostgreSQL advisory locks, because: they work the same on SQLite (a commune's
server, or two daemons on one file); ``toasoan sites`` reads from the same row who holds a mailbox and
in which state; and a holder named by host and instance takes its own rows back at once after a
restart, where a session lock of a dead connection lingers until the server notices the TCP
connection is gone. A holder that cannot renew (database unreachable) lets go of its mailboxes itself
before its leases run out, so two daemons never read one mailbox.

Live daemons are known by their heartbeat rows. A daemon holds at most its fair share,
ceil(sites / live daemons), and releases the rest for the others; a dead daemon's leases and heartbeat
expire together, and the survivors' share grows to cover its mailboxes.

Liveness is measured on the database's clock (``now()`` on PostgreSQL, ``julianday('now')`` on SQLite),
in seconds since the epoch: one clock for every machine, and never the business clock, which tests move.
"""

from __future__ import annotations

import logging
import math
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, Float, Table, cast, func, select
from sqlalchemy.dialects import postgresql, sqlite

from newsroom.records import daemon_heartbeats, mailbox_leases

log = logging.getLogger("toasoan.ownership")


def database_now(engine: Engine):
    """The database's clock in seconds since the epoch, as an SQL expression."""
    if engine.dialect.name == "postgresql":
        return cast(func.extract("epoch", func.now()), Float)
    return (func.julianday("now") - 2440587.5) * 86400.0


def _insert(engine: Engine, table: Table):
    return (postgresql if engine.dialect.name == "postgresql" else sqlite).insert(table)


@dataclass
class Round:
    """What one renewal round decided: the sites this daemon holds now, and those it must let go of
    (stop their watchers, then ``release``)."""

    held: set[str]
    release: set[str]
    live: int


class Ownership:
    def __init__(self, engine: Engine, holder: str, lease_seconds: float = 15):
        self.engine, self.holder, self.lease = engine, holder, lease_seconds
        self.now = database_now(engine)
        self._reports: dict[str, dict] = {}  # site -> watcher state not yet written (see ``report``)
        self._reports_lock = threading.Lock()

    def renew(self, wanted: Iterable[str]) -> Round:
        """One round: heartbeat, renew what is ours (taking back our own rows after a restart), give up
        what exceeds the fair share, take free or expired leases up to it."""
        wanted = set(wanted)
        with self._reports_lock:
            reports, self._reports = self._reports, {}
        try:
            return self._round(wanted, reports)
        except Exception:
            with self._reports_lock:  # written by the next round, newer states first
                for site_id, values in reports.items():
                    self._reports[site_id] = {**values, **self._reports.get(site_id, {})}
            raise

    def _round(self, wanted: set[str], reports: dict[str, dict]) -> Round:
        leases = mailbox_leases.c
        with self.engine.begin() as conn:
            now = conn.scalar(select(self.now))
            until = now + self.lease
            beat = _insert(self.engine, daemon_heartbeats).values(holder=self.holder, expires_at=until, pid=os.getpid())
            conn.execute(
                beat.on_conflict_do_update(index_elements=["holder"], set_={"expires_at": until, "pid": os.getpid()})
            )
            if wanted:
                free = [{"site_id": s, "holder": "", "expires_at": 0.0, "state": "free", "error": ""} for s in wanted]
                conn.execute(_insert(self.engine, mailbox_leases).values(free).on_conflict_do_nothing())
            live = conn.scalar(
                select(func.count()).select_from(daemon_heartbeats).where(daemon_heartbeats.c.expires_at > now)
            )
            rows = conn.execute(select(leases.site_id, leases.holder, leases.expires_at)).all()
            ours = {r.site_id for r in rows if r.holder == self.holder}
            fair = math.ceil(len(wanted) / max(live, 1))
            keep = sorted(ours & wanted)[:fair]
            release = ours - set(keep)
            if keep:
                conn.execute(_update(leases.site_id.in_(keep), leases.holder == self.holder).values(expires_at=until))
            held = set(keep)
            for row in sorted(rows, key=lambda r: r.site_id):
                if len(held) >= fair:
                    break
                if row.site_id in wanted and row.holder != self.holder and (not row.holder or row.expires_at < now):
                    taken = conn.execute(
                        _update(
                            leases.site_id == row.site_id,
                            leases.holder == row.holder,
                            leases.expires_at == row.expires_at,
                        ).values(holder=self.holder, expires_at=until, state="connecting", error="")
                    ).rowcount
                    if taken:
                        held.add(row.site_id)
                        if row.holder:
                            log.info("nhận hộp thư của %s từ %s (hết hạn giữ)", row.site_id, row.holder)
            for site_id, values in sorted(reports.items()):
                if site_id in held:
                    conn.execute(_update(leases.site_id == site_id, leases.holder == self.holder).values(**values))
        return Round(held, release, live)

    def rival(self) -> int | None:
        """The pid of another live process of this host under our name, if one runs: two daemons with
        one name would both believe they hold the same mailboxes."""
        with self.engine.connect() as conn:
            now = conn.scalar(select(self.now))
            row = conn.execute(
                select(daemon_heartbeats).where(
                    daemon_heartbeats.c.holder == self.holder, daemon_heartbeats.c.expires_at > now
                )
            ).first()
        if row is None or row.pid == os.getpid():
            return None
        try:
            os.kill(row.pid, 0)
        except ProcessLookupError:
            return None  # died (kill -9, a crash): its leases are ours to take back
        except PermissionError:
            pass
        return row.pid

    def release(self, sites: Iterable[str]) -> None:
        """Our watchers of these sites have logged out: the leases are free for another daemon now."""
        sites = list(sites)
        if sites:
            with self.engine.begin() as conn:
                conn.execute(
                    _update(mailbox_leases.c.site_id.in_(sites), mailbox_leases.c.holder == self.holder).values(
                        holder="", expires_at=0.0, state="free", error=""
                    )
                )

    def leave(self) -> None:
        """A clean stop: every lease and the heartbeat given up, so the others take over at once."""
        with self.engine.begin() as conn:
            conn.execute(
                _update(mailbox_leases.c.holder == self.holder).values(
                    holder="", expires_at=0.0, state="free", error=""
                )
            )
            conn.execute(daemon_heartbeats.delete().where(daemon_heartbeats.c.holder == self.holder))

    def report(self, site_id: str, state: str, error: str = "", last_mail_at: datetime | None = None) -> None:
        """A watcher's state, for ``toasoan sites``: kept here and written by the next renewal round (while
        we hold the lease), never by the mailbox worker itself, which must not wait on a database that is
        cut off: it has to be free to log out before the lease ends."""
        with self._reports_lock:
            values = self._reports.setdefault(site_id, {})
            values["state"] = state
            if error:  # the last error stays on the row after the mailbox recovers
                values["error"] = error[:1000]
            if last_mail_at is not None:
                values["last_mail_at"] = last_mail_at


def _update(*where):
    """An UPDATE of lease rows."""
    return mailbox_leases.update().where(*where)
