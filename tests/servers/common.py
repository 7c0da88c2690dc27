"""Shared helpers for the test servers: free ports, waiting for a port, skip-or-fail when missing, and the
bookkeeping that leaves no server or temporary folder behind.

Every server runs in its own process group, registered (with the process's start time, so a recycled
pid is never mistaken for it) in a folder of this test run under ``RUNS``; so are the temporary folders.
A run that ends normally, by Ctrl-C or by SIGTERM stops its servers in the fixtures' teardown and, for
anything left, at exit. A run killed outright (SIGKILL, a timeout) has its direct children told by the
kernel (PR_SET_PDEATHSIG), and whatever survives is found and stopped by the next run's ``sweep_stale``.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from toasoan.local import processes

REQUIRED = os.environ.get("REQUIRE_REAL_SERVERS") == "1"
CHECKOUT = Path(__file__).resolve().parents[2]
RUNS = Path(tempfile.gettempdir()) / f"toasoan-tests-{hashlib.sha256(str(CHECKOUT).encode()).hexdigest()[:10]}"
RUN = RUNS / str(os.getpid())


def _started(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (field 22 of /proc/PID/stat), or None if gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def _kill_group(pgid: int, started: str) -> None:
    """The group's leader may be gone (PR_SET_PDEATHSIG ended it) while its children live on; a pgid is not
    given to a new process while members remain, so they are ours. A live leader with another start time
    means the id was reused after the whole group ended: not ours."""
    leader = _started(pgid)
    if leader is not None and leader != started:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while leader is not None and _started(pgid) == started and time.monotonic() < deadline:
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _clean(run: Path) -> None:
    """Stop every process group and remove every folder a run registered."""
    for entry in sorted(run.glob("pg-*")):
        pgid, started = entry.name[3:], entry.read_text()
        _kill_group(int(pgid), started)
        entry.unlink(missing_ok=True)
    for entry in run.glob("dir-*"):
        shutil.rmtree(entry.read_text(), ignore_errors=True)
        entry.unlink(missing_ok=True)
    shutil.rmtree(run, ignore_errors=True)


def sweep_stale() -> None:
    """Servers and folders of earlier runs of this checkout whose pytest is gone."""
    if not RUNS.exists():
        return
    for run in RUNS.iterdir():
        if run.name.isdigit() and run != RUN and not Path(f"/proc/{run.name}").exists():
            _clean(run)


def cleanup() -> None:
    """What this run's fixtures did not stop (an interrupted teardown), stopped at exit."""
    if RUN.exists():
        _clean(RUN)


atexit.register(cleanup)


def temp_folder(prefix: str) -> Path:
    """A temporary folder removed at the end of the run, or by the next run if this one is killed."""
    RUN.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix=prefix))
    (RUN / f"dir-{path.name}").write_text(str(path))
    return path


def spawn(args: list[str], **kwargs) -> subprocess.Popen:
    """A server in its own process group, registered so that it is stopped whatever ends the run."""
    RUN.mkdir(parents=True, exist_ok=True)
    proc = processes.spawn(args, **kwargs)
    (RUN / f"pg-{proc.pid}").write_text(_started(proc.pid) or "")
    return proc


def stop(proc: subprocess.Popen, timeout: float = 15) -> None:
    """The server's process group stopped (toasoan/local/processes.py), then unregistered."""
    processes.stop(proc, timeout)
    (RUN / f"pg-{proc.pid}").unlink(missing_ok=True)


def remove_folder(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
    (RUN / f"dir-{path.name}").unlink(missing_ok=True)


def missing(what: str, how: str) -> None:
    """Skip, or fail under REQUIRE_REAL_SERVERS=1 (CI), when a server cannot be started here."""
    message = f"{what} is not available: {how}"
    if REQUIRED:
        pytest.fail(message + " (REQUIRE_REAL_SERVERS=1)")
    pytest.skip(message)


def need_binary(name: str, package: str) -> str:
    path = processes.find_binary(name)
    if not path:
        missing(name, f"apt-get install -y {package}  (or run scripts/test, which installs it)")
    return path


free_port, wait_for_port = processes.free_port, processes.wait_for_port
