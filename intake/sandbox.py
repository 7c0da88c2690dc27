"""Parsing untrusted documents with a ceiling on time and memory.

python-docx, lxml and pypdf run in a worker process (started from a fork server, which is safe in a
threaded daemon) whose address space is limited; a call that runs too long or too large kills the worker,
which is replaced, and the caller gets ParseLimit instead of a stuck or swollen daemon.
"""

from __future__ import annotations

import logging
import multiprocessing
import resource
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from typing import Any

MEMORY_BYTES = 1536 * 1024 * 1024
TIMEOUT_SECONDS = 60.0


class ParseLimit(Exception):
    """The document needed more time or memory than a document should."""


def _start_worker(limit: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its complaints about broken files are ours to report


class Sandbox:
    def __init__(self, memory_bytes: int = MEMORY_BYTES, timeout: float = TIMEOUT_SECONDS):
        self.memory_bytes, self.timeout = memory_bytes, timeout
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("forkserver"),
                initializer=_start_worker,
                initargs=(self.memory_bytes,),
            )
        return self._pool

    def _discard(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            for process in list(getattr(pool, "_processes", {}).values()):
                process.kill()
            pool.shutdown(wait=False, cancel_futures=True)

    def run(self, function: Callable[..., Any], *args: Any) -> Any:
        with self._lock:  # one document at a time: the limit is per document, not shared
            future = self._executor().submit(function, *args)
            try:
                return future.result(timeout=self.timeout)
            except FutureTimeout:
                self._discard()
                raise ParseLimit(f"đọc tệp quá {self.timeout:.0f} giây") from None
            except (BrokenProcessPool, MemoryError):
                self._discard()
                raise ParseLimit(f"đọc tệp cần quá {self.memory_bytes // 1048576} MB bộ nhớ") from None


SANDBOX = Sandbox()
