"""Decoding untrusted bytes with a ceiling on wall time, CPU time, memory and the size of the answer.

Everything a stranger's mail makes us decode (MIME structure and headers, .docx, PDF, every image, the
archives around them) runs in a worker process (intake/sandbox_worker.py, its own small entry point). A
small pool of workers is started on demand and kept: the first loads the converters while the caller reads
the message, and later calls cost a round trip. A message's pictures and PDFs are read side by side on the
workers already started (``submit``, as many at a time as there are workers through ``ReadAhead``): a
department's news with a dozen phone photos is cleaned two at a time. A call that runs too long or too
large kills its worker, which is replaced. Failures come back as data, a code and a short reason
(SandboxFailure), never as a pickled exception: an object from the worker's side is not something the
daemon should unpickle into its own exception handling.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pickle
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from intake.sandbox_worker import HEADER, await_readable, write_message

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

MEMORY_BYTES = 768 * 1024 * 1024  # address space: the interpreter and its libraries take ~300 MB of it
TIMEOUT_SECONDS = 20.0
STARTUP_SECONDS = 60.0  # starting a worker (Python and the converters), apart from any document's time
CPU_SECONDS = 15
OUTPUT_BYTES = 96 * 1024 * 1024
POOL_SIZE = 2
PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the folder that holds intake/
PIPE_BYTES = 1024 * 1024  # Linux's default ceiling for an unprivileged process (/proc/sys/fs/pipe-max-size)


class SandboxFailure(Exception):
    """A decoder failed; ``code`` says how (unreadable, crash, …), ``reason`` in a few words."""

    def __init__(self, code: str, reason: str):
        super().__init__(reason)
        self.code, self.reason = code, reason


class ParseLimit(SandboxFailure):
    """The input needed more time, CPU, memory or output than a document should: code time, cpu, memory
    or output."""


class _Overrun(Exception):
    pass


class Sandbox:
    def __init__(
        self,
        memory_bytes: int = MEMORY_BYTES,
        timeout: float = TIMEOUT_SECONDS,
        cpu_seconds: int = CPU_SECONDS,
        output_bytes: int = OUTPUT_BYTES,
        size: int = POOL_SIZE,
    ):
        self.memory_bytes, self.timeout, self.cpu_seconds = memory_bytes, timeout, cpu_seconds
        self.output_bytes, self.size = output_bytes, size
        self._idle: list[subprocess.Popen] = []
        self._count = 0
        self._available = threading.Condition()
        self._callers: ThreadPoolExecutor | None = None

    def start(self, workers: int = 1) -> None:
        """Starts workers now (up to ``workers``), so that they load the converters while the caller does
        something else: ``toasoan inspect`` one, the daemon the whole pool."""
        with self._available:
            while self._count < min(workers, self.size):
                self._idle.append(self._spawn())
                self._count += 1

    @property
    def workers(self) -> int:
        """How many workers are started (or starting)."""
        return self._count

    def _spawn(self) -> subprocess.Popen:
        # -I: the worker ignores PYTHON* variables and the current folder; it gets our path from us, and
        # imports this very package first (not the first one `-m` would find: an installed copy beside a
        # checkout, or another git worktree, would run other code than the caller's).
        start = f"import sys; sys.path.insert(0, {PACKAGE_ROOT!r}); from intake.sandbox_worker import main; main()"
        worker = subprocess.Popen([sys.executable, "-I", "-c", start], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        for pipe in (worker.stdin, worker.stdout):
            _widen(pipe)
        write_message(worker.stdin, (list(sys.path), self.memory_bytes))
        worker.ready = False  # it says so once the converters are loaded; see _wait_ready
        return worker

    def _wait_ready(self, worker: subprocess.Popen) -> None:
        """A loaded machine may take seconds to start Python and the converters: that time is not counted
        against the first document the worker reads."""
        try:
            ready = self._answer(worker, time.monotonic() + STARTUP_SECONDS)
        except (_Overrun, EOFError) as exc:
            ready = type(exc).__name__
        if ready != ("ok", "ready"):
            self._discard(worker)
            raise SandboxFailure("crash", f"bộ đọc tệp không khởi động được ({ready})")
        worker.ready = True

    def _acquire(self, spawn: bool = True) -> subprocess.Popen:
        with self._available:
            while True:
                while self._idle:
                    worker = self._idle.pop()
                    if worker.poll() is None:
                        return worker
                    self._close(worker)
                    self._count -= 1
                if self._count < self.size and (spawn or self._count == 0):
                    self._count += 1
                    break
                self._available.wait()
        try:
            return self._spawn()
        except BaseException:
            self._release(None)
            raise

    def _release(self, worker: subprocess.Popen | None) -> None:
        with self._available:
            if worker is None:
                self._count -= 1
            else:
                self._idle.append(worker)
            self._available.notify()

    @staticmethod
    def _close(worker: subprocess.Popen) -> None:
        worker.kill()
        worker.wait()
        worker.stdin.close()
        worker.stdout.close()

    def run(
        self,
        function: Callable[..., Any],
        *args: Any,
        timeout: float | None = None,
        spawn: bool = True,
        output_bytes: int | None = None,
    ) -> Any:
        """``function(*args)`` in a worker; its value, or SandboxFailure. ``timeout`` (what is left of a
        message's budget) shortens the wall-clock limit, never lengthens it. Without ``spawn``, the call
        waits for a worker already started rather than start one (unless there is none). ``output_bytes``
        is the answer's ceiling for a call whose answer is bounded by other limits of its own."""
        seconds = min(self.timeout, timeout) if timeout is not None else self.timeout
        output_bytes = output_bytes or self.output_bytes
        if seconds <= 0:
            raise ParseLimit("time", "hết thời gian dành cho thư này")
        worker = self._acquire(spawn)
        if not worker.ready:
            self._wait_ready(worker)
        try:
            write_message(worker.stdin, (function, args, max(1, min(self.cpu_seconds, int(seconds) + 1)), output_bytes))
            answer = self._answer(worker, time.monotonic() + seconds)
        except _Overrun:
            self._discard(worker)
            raise ParseLimit("time", f"đọc tệp quá {seconds:.0f} giây") from None
        except (EOFError, BrokenPipeError):  # killed by the kernel at a ceiling, or crashed in C code
            code = self._discard(worker)
            if code == -signal.SIGXCPU:
                raise ParseLimit("cpu", f"đọc tệp cần quá {self.cpu_seconds} giây xử lý") from None
            if code in (-signal.SIGKILL, 1):
                raise ParseLimit("memory", self._memory_text()) from None
            raise SandboxFailure("crash", f"bộ đọc tệp dừng bất thường (mã {code})") from None
        except BaseException:
            self._discard(worker)
            raise
        if answer[0] == "ok":
            self._release(worker)
            return answer[1]
        _, code, reason = answer
        if code in ("memory", "output"):
            self._discard(worker)  # the heap may be fragmented past use: the next call gets a fresh worker
            raise ParseLimit(code, self._memory_text() if code == "memory" else reason)
        self._release(worker)
        raise SandboxFailure(code, reason)

    def submit(self, function: Callable[..., Any], *args: Any, timeout: Callable[[], float]) -> Future:
        """``run`` from a thread of the pool's own, the answer (or SandboxFailure) in the Future; ``timeout``
        is asked when the call starts. It never starts a worker: starting one (a few tenths of a second)
        costs more than the pictures of a short message, so with one worker the calls take turns."""
        from concurrent.futures import ThreadPoolExecutor  # loaded by the first message with two pictures

        with self._available:
            if self._callers is None:
                self._callers = ThreadPoolExecutor(self.size, thread_name_prefix="sandbox-call")
        return self._callers.submit(lambda: self.run(function, *args, timeout=timeout(), spawn=False))

    def _memory_text(self) -> str:
        return f"đọc tệp cần quá {self.memory_bytes // 1048576} MB bộ nhớ"

    def _discard(self, worker: subprocess.Popen) -> int | None:
        self._close(worker)
        self._release(None)
        return worker.returncode

    def _answer(self, worker: subprocess.Popen, deadline: float) -> tuple:
        header = self._read(worker.stdout.fileno(), HEADER.size, deadline)
        body = self._read(worker.stdout.fileno(), HEADER.unpack(header)[0], deadline)
        answer = pickle.loads(body)
        if not (isinstance(answer, tuple) and answer and answer[0] in ("ok", "fail")):
            raise EOFError
        return answer

    @staticmethod
    def _read(fd: int, size: int, deadline: float) -> bytes:
        chunks, remaining = [], size
        while remaining:
            if not await_readable(fd) and not select.select([fd], [], [], max(0.0, deadline - time.monotonic()))[0]:
                raise _Overrun
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                raise EOFError
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)


class ReadAhead:
    """Calls handed out a few at a time and taken in their turn: a message's photos are cleaned side by
    side, yet a message with fifty of them keeps no more calls waiting for the workers than the pool has
    workers, so that the hub's other mailboxes are not queued behind all fifty. Nothing is handed out for
    a single call, nor where the pool has started one worker (``toasoan inspect``): each is asked in its
    turn, and a picture does not take the only worker from the message's .docx."""

    def __init__(self, sandbox: Sandbox, jobs: dict[Any, tuple], timeout: Callable[[], float]):
        self.sandbox, self.timeout = sandbox, timeout
        self._waiting = list(jobs.items()) if sandbox.workers >= 2 and len(jobs) >= 2 else []
        self._handed: dict[Any, Future] = {}
        self._hand_out()

    def _hand_out(self) -> None:
        while self._waiting and len(self._handed) < self.sandbox.size:
            key, (function, *args) = self._waiting.pop(0)
            self._handed[key] = self.sandbox.submit(function, *args, timeout=self.timeout)

    def take(self, key: Any, function: Callable[..., Any], *args: Any) -> Any:
        """``function(*args)``'s answer (or SandboxFailure): handed out earlier under ``key``, or asked now."""
        future = self._handed.pop(key, None)
        if future is None:
            self._waiting = [(k, job) for k, job in self._waiting if k != key]
            return self.sandbox.run(function, *args, timeout=self.timeout())
        try:
            return future.result()
        finally:
            self._hand_out()

    def close(self) -> None:
        """Drops what was not taken: the message was refused, or ran out of time."""
        self._waiting.clear()
        for future in self._handed.values():
            future.cancel()


def _widen(pipe) -> None:
    """A pipe of a megabyte rather than 64 KB: a message of a megabyte goes over in one or two writes, not
    in sixteen, each a switch between the two processes. Left as it is where the system allows less."""
    with contextlib.suppress(OSError):
        fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)


SANDBOX = Sandbox()
