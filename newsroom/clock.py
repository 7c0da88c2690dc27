"""Where business time comes from: one clock, passed in, never read from a module global.

Legal deadlines, escalations, retries, reports and the "Đăng lúc" of a reply are all counted from the
``Clock`` the daemon or command was given. The daemon and the command line get ``SystemClock``; a
command run with ``--as-of`` and every test get a ``ManualClock``, which stands at the moment it is
given and moves only when told, so a scenario gives the same answer on any real date. This module is
the only one allowed to read the wall clock (ruff's banned-API rule enforces it). Timeouts and the
back-off between network attempts are measured with ``time.monotonic``, which is not business time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def __call__(self) -> datetime:
        """The current moment, timezone-aware."""
        ...


class SystemClock:
    """The machine's time, in UTC."""

    def __call__(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that stands at the moment it is set to and moves only when moved."""

    def __init__(self, moment: datetime):
        self.set(moment)

    def __call__(self) -> datetime:
        return self.moment

    def set(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("a clock's moment needs a time zone")
        self.moment = moment

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)
