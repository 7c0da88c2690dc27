"""One daemon at a time on a local site: `toasoan local` hands its mailbox over to `toasoan demo`.

The demo runs a daemon of its own, on a clock it moves; two daemons reading one mailbox would race. The
process whose daemon runs holds an exclusive lock (flock on ``data_dir/local/daemon.lock``). The demo
writes its pid in ``demo.request`` and takes the lock; `toasoan local` sees the request, stops its daemon
and releases the lock, and starts it again once the demo is gone (request removed, or its process dead).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from pathlib import Path

from newsroom.settings import Settings


def _folder(settings: Settings) -> Path:
    folder = settings.data_dir / "local"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class DaemonLock:
    def __init__(self, settings: Settings):
        self.path = _folder(settings) / "daemon.lock"
        self.request = _folder(settings) / "demo.request"
        self.handle = None

    def try_acquire(self) -> bool:
        handle = self.path.open("a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self.handle = handle
        return True

    def release(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None

    def demo_waiting(self) -> bool:
        """Is a live demo asking for the mailbox?"""
        try:
            pid = int(self.request.read_text().strip())
        except (OSError, ValueError):
            return False
        return pid != os.getpid() and Path(f"/proc/{pid}").exists()

    @contextlib.contextmanager
    def for_demo(self, timeout: float = 60):
        """Ask `toasoan local` (if it runs) for the mailbox, and hold it until the block ends."""
        self.request.write_text(str(os.getpid()))
        try:
            deadline = time.monotonic() + timeout
            while not self.try_acquire():
                if time.monotonic() > deadline:
                    raise TimeoutError(f"tiến trình nền khác vẫn giữ {self.path} sau {timeout:.0f} giây")
                time.sleep(0.2)
            yield self
        finally:
            self.request.unlink(missing_ok=True)
            self.release()
