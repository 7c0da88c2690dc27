"""Parsing untrusted documents with a ceiling on time and memory.

python-docx, lxml and pypdf run in a worker process (intake/sandbox_worker.py, its own small entry point)
whose address space is limited; a call that runs too long or too large kills the worker, which is
replaced, and the caller gets ParseLimit instead of a stuck or swollen daemon. The worker is started once
and kept: it loads the converters while the caller reads the message, and later calls cost a round trip.
"""

from __future__ import annotations

import os
import pickle
import select
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from intake.sandbox_worker import HEADER, write_message

MEMORY_BYTES = 1536 * 1024 * 1024
TIMEOUT_SECONDS = 60.0


class ParseLimit(Exception):
    """The document needed more time or memory than a document should."""


class _Overrun(Exception):
    pass


class Sandbox:
    def __init__(self, memory_bytes: int = MEMORY_BYTES, timeout: float = TIMEOUT_SECONDS):
        self.memory_bytes, self.timeout = memory_bytes, timeout
        self._worker: subprocess.Popen | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        """Starts the worker now, so that it loads the converters while the caller does something else."""
        with self._lock:
            self._ensure_worker()

    def _ensure_worker(self) -> subprocess.Popen:
        if self._worker is not None and self._worker.poll() is None:
            return self._worker
        # -I: the worker ignores PYTHON* variables and the current folder; it gets our path from us.
        self._worker = subprocess.Popen(
            [sys.executable, "-I", "-m", "intake.sandbox_worker"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        write_message(self._worker.stdin, (list(sys.path), self.memory_bytes))
        return self._worker

    def _discard(self) -> None:
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.kill()
            worker.wait()
            worker.stdin.close()
            worker.stdout.close()

    def run(self, function: Callable[..., Any], *args: Any) -> Any:
        with self._lock:  # one document at a time: the limit is per document, not shared
            worker = self._ensure_worker()
            try:
                write_message(worker.stdin, (function, args))
                ok, value = self._answer(worker, time.monotonic() + self.timeout)
            except _Overrun:
                self._discard()
                raise ParseLimit(f"đọc tệp quá {self.timeout:.0f} giây") from None
            except (EOFError, BrokenPipeError):  # killed by the kernel at its memory ceiling, or crashed
                self._discard()
                raise ParseLimit(f"đọc tệp cần quá {self.memory_bytes // 1048576} MB bộ nhớ") from None
            if not ok and isinstance(value, MemoryError):
                self._discard()
                raise ParseLimit(f"đọc tệp cần quá {self.memory_bytes // 1048576} MB bộ nhớ") from None
            if not ok:
                raise value
            return value

    def _answer(self, worker: subprocess.Popen, deadline: float) -> tuple[bool, Any]:
        header = self._read(worker.stdout.fileno(), HEADER.size, deadline)
        body = self._read(worker.stdout.fileno(), HEADER.unpack(header)[0], deadline)
        return pickle.loads(body)

    @staticmethod
    def _read(fd: int, size: int, deadline: float) -> bytes:
        chunks, remaining = [], size
        while remaining:
            if not select.select([fd], [], [], max(0.0, deadline - time.monotonic()))[0]:
                raise _Overrun
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                raise EOFError
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)


SANDBOX = Sandbox()
