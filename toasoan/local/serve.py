"""`toasoan local`: the local site's servers and the daemon, in the foreground until Ctrl-C.

The daemon gives the mailbox up while `toasoan demo` plays (toasoan/local/handoff.py) and takes it back
when the demo is done; Ctrl-C or SIGTERM stops the daemon, then the website, the relay and Dovecot.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable

from newsroom.settings import Settings
from toasoan.local.handoff import DaemonLock
from toasoan.local.site import LocalSite, LocalSiteError, running

log = logging.getLogger("toasoan.local")


async def _supervise(settings: Settings) -> None:
    from scheduler.daemon import Daemon

    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    lock = DaemonLock(settings)

    async def pause(seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), seconds)

    def own_signals() -> None:
        """Ctrl-C while no daemon runs (a daemon sets handlers of its own, left behind when it stops)."""
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stopping.set)

    while not stopping.is_set():
        own_signals()
        if not lock.try_acquire():
            log.info("toasoan demo đang giữ hộp thư: tiến trình nền chờ demo xong")
            while not stopping.is_set() and not lock.try_acquire():
                await pause(0.5)
        if stopping.is_set():
            break
        daemon = Daemon(settings)
        running_daemon = asyncio.create_task(daemon.run())
        while not running_daemon.done() and not lock.demo_waiting():
            await asyncio.wait({running_daemon}, timeout=0.5)
        if running_daemon.done():  # Ctrl-C reached the daemon, or it failed
            lock.release()
            running_daemon.result()
            break
        log.info("toasoan demo bắt đầu: tiến trình nền tạm nhường hộp thư cho demo")
        daemon.stopping.set()
        await running_daemon
        own_signals()
        lock.release()
        while not stopping.is_set() and lock.demo_waiting():
            await pause(0.5)
        log.info("demo đã xong: tiến trình nền chạy tiếp")


def serve(settings: Settings, config: str, say: Callable[[str], None] = print) -> int:
    if running(settings):
        raise LocalSiteError("trang thử đã chạy (ở cửa sổ khác?): các cổng thư và web đều đang có người nghe")
    site = LocalSite(settings).start()
    try:
        for line in site.guide(config):
            say(line)
        asyncio.run(_supervise(settings))
    finally:
        site.stop()
    return 0
