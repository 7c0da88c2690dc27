"""Document parsing runs under a time and memory ceiling, and the worker recovers from overruns."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from intake.sandbox import ParseLimit, Sandbox

ROOT = Path(__file__).resolve().parent.parent


def slow(seconds: float) -> str:
    time.sleep(seconds)
    return "done"


def greedy(megabytes: int) -> int:
    return len(bytearray(megabytes * 1024 * 1024))


def test_results_come_back():
    assert Sandbox(timeout=20).run(slow, 0) == "done"


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def test_an_idle_worker_waits_asleep_after_its_short_wait_awake():
    """Caller and worker wait for each other awake for a millisecond (sandbox_worker.SPIN_SECONDS), then
    asleep: a daemon with nothing to read uses no CPU."""
    sandbox = Sandbox(timeout=20)
    assert sandbox.run(slow, 0) == "done"
    worker = sandbox._idle[0]
    before = cpu_seconds(worker.pid)
    time.sleep(1)
    assert cpu_seconds(worker.pid) - before < 0.1
    assert sandbox.run(slow, 0.2) == "done"  # a call longer than the wait awake is still answered


def test_a_slow_parse_is_stopped_and_the_next_one_works():
    sandbox = Sandbox(timeout=1)
    with pytest.raises(ParseLimit, match="quá 1 giây"):
        sandbox.run(slow, 30)
    assert sandbox.run(slow, 0) == "done"


def test_a_parse_that_wants_too_much_memory_is_stopped():
    sandbox = Sandbox(memory_bytes=400 * 1024 * 1024, timeout=30)
    with pytest.raises(ParseLimit, match="400 MB"):
        sandbox.run(greedy, 800)
    assert sandbox.run(greedy, 10) == 10 * 1024 * 1024


def loaded(names: list[str]) -> list[str]:
    return [name for name in names if name in sys.modules]


def test_a_worker_loads_the_converters_not_the_command_line(tmp_path):
    """The `toasoan` script imports the command line; its workers must not import it again."""
    script = tmp_path / "toasoan_like.py"
    script.write_text(
        "from toasoan.cli import main  # as the console script does\n"
        "from intake.sandbox import SANDBOX\n"
        "from tests.test_sandbox import loaded\n"
        "if __name__ == '__main__':\n"
        "    names = ['toasoan.cli', 'newsroom.settings', 'msgspec', 'sqlalchemy', 'intake.docx_html']\n"
        "    print(SANDBOX.run(loaded, names))\n"
    )
    out = subprocess.run(
        [sys.executable, str(script)], env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "['intake.docx_html']"


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="with one CPU a worker loads nothing while idle")
def test_a_worker_left_idle_loads_pillow_before_its_first_picture():
    """A department's news usually carries photos: a worker waiting for its first call (the daemon's, from its
    start; inspect's, while the command line loads) loads the picture decoder then, not with the first photo."""
    sandbox = Sandbox(timeout=20)
    sandbox.start()
    worker = sandbox._idle[0]
    maps = Path(f"/proc/{worker.pid}/maps")
    deadline = time.monotonic() + 60
    while "_webp" not in maps.read_text() and time.monotonic() < deadline:  # the last step's decoder, in C
        time.sleep(0.05)
    assert sandbox.run(loaded, ["PIL.Image", "PIL.ImageOps", "PIL.WebPImagePlugin"]) == [
        "PIL.Image",
        "PIL.ImageOps",
        "PIL.WebPImagePlugin",
    ]


def test_with_one_cpu_a_worker_loads_nothing_while_idle():
    """There is no idle time to use: the loading would be taken from the caller."""
    one_cpu = (
        "import os; os.sched_setaffinity(0, {min(os.sched_getaffinity(0))}); "
        "from intake import sandbox_worker as w; print(w.WHILE_IDLE)"
    )
    out = subprocess.run(
        [sys.executable, "-c", one_cpu], env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, check=True
    )
    assert out.stdout.strip() == b"()"


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")  # a zombie has stopped; only its exit status waits for a parent


def test_a_worker_whose_caller_has_gone_ends_without_a_word():
    """`toasoan inspect` with an argument it refuses ends before its worker is ready: the worker, finding no
    one to answer, must not print a traceback on the terminal they share."""
    run = (
        "from intake.sandbox import Sandbox\n"
        "worker = Sandbox()._spawn()\n"
        "worker.stdout.close()  # the caller stops listening before the worker is ready\n"
        "print(worker.wait(timeout=60))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", run], env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True
    )
    assert (out.stdout.strip(), out.stderr) == ("0", "")


def test_a_worker_dies_with_its_parent():
    """kill -9 of the daemon must not leave its worker behind holding a document."""
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import os, time\nfrom intake.sandbox import SANDBOX\nprint(SANDBOX.run(os.getpid), flush=True)\n"
            "time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    worker = int(parent.stdout.readline())
    assert alive(worker)
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 5
    while alive(worker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(worker)


def test_a_worker_busy_with_a_document_dies_with_its_parent():
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import os, time\nfrom intake.sandbox import SANDBOX\nfrom tests.test_sandbox import slow\n"
            "print(SANDBOX.run(os.getpid), flush=True)\nSANDBOX.run(slow, 60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    worker = int(parent.stdout.readline())
    time.sleep(0.5)
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 5
    while alive(worker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(worker)


def pid_after(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def test_submitted_calls_run_side_by_side_on_the_workers_already_started():
    """A message's pictures go to the workers together (intake/analyze.py ``_read_ahead``)."""
    sandbox = Sandbox(timeout=20, size=2)
    sandbox.start(2)
    calls = [sandbox.submit(pid_after, 0.5, timeout=lambda: 20) for _ in range(2)]
    assert len({call.result() for call in calls}) == 2  # two workers, each with one picture


def test_a_submitted_call_never_starts_a_worker():
    """Starting one costs more than the pictures of a short message: with one started, calls take turns."""
    sandbox = Sandbox(timeout=20, size=2)
    sandbox.start()
    calls = [sandbox.submit(pid_after, 0.2, timeout=lambda: 20) for _ in range(3)]
    assert len({call.result() for call in calls}) == 1
    assert sandbox._count == 1


def test_a_submitted_call_keeps_the_ceilings():
    sandbox = Sandbox(timeout=20, size=2)
    sandbox.start(2)
    with pytest.raises(ParseLimit, match="quá 1 giây"):
        sandbox.submit(slow, 30, timeout=lambda: 1).result()
    assert sandbox.submit(slow, 0, timeout=lambda: 20).result() == "done"


def test_a_worker_runs_the_callers_own_copy_of_intake(tmp_path):
    """A checkout beside an installed copy, or a second git worktree: the worker imports the package its
    caller imported, not the first one ``python -m`` would have found (the installed one), which would
    have run one version's analysis around another's decoders."""
    import shutil

    shutil.copytree(ROOT / "intake", tmp_path / "intake", ignore=shutil.ignore_patterns("__pycache__"))
    code = (
        f"import sys; sys.path.insert(0, {str(tmp_path)!r})\n"
        "import importlib.util\nfrom intake.sandbox import Sandbox\n"
        "print(Sandbox().run(importlib.util.find_spec, 'intake').origin)\n"
    )
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path)
    assert found.stdout.strip() == str(tmp_path / "intake" / "__init__.py")


def test_a_read_ahead_hands_out_no_more_calls_than_the_pool_has_workers():
    """A message with fifty photos keeps two calls waiting for the workers, not fifty, so that the hub's
    other mailboxes are not queued behind them; each answer taken hands out the next."""
    from intake.sandbox import ReadAhead

    pool = Sandbox(size=2)
    pool.start(2)
    handed, submit = [], pool.submit
    pool.submit = lambda *args, **kw: handed.append(args[1]) or submit(*args, **kw)
    ahead = ReadAhead(pool, {n: (slow, n / 100) for n in range(6)}, lambda: 20.0)
    assert handed == [0, 0.01]
    assert ahead.take(0, slow, 0) == "done" and handed == [0, 0.01, 0.02]
    assert [ahead.take(n, slow, n / 100) for n in range(1, 6)] == ["done"] * 5
    assert handed == [n / 100 for n in range(6)]
    ahead.close()
