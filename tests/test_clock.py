"""One clock: the wall clock is read in newsroom/clock.py only, and ruff fails the build anywhere else."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newsroom.clock import ManualClock

ROOT = Path(__file__).resolve().parent.parent
# The calls are split so that a grep for wall-clock calls finds none in this file either.
WALL_CLOCK_CALLS = [
    "from datetime import datetime\nx = datetime" + ".now()\n",
    "import datetime\nx = datetime.datetime.utc" + "now()\n",
    "from datetime import date\nx = date" + ".today()\n",
    "import time\nx = time" + ".time()\n",
    "from time import time as now\nx = now()\n",
]


def ruff(source: str, filename: str) -> subprocess.CompletedProcess:
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed")
    return subprocess.run(
        [ruff, "check", "--select", "TID251", "--stdin-filename", filename, "-"],
        input=source,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )


@pytest.mark.parametrize("source", WALL_CLOCK_CALLS)
@pytest.mark.parametrize("module", ["intake/new.py", "scheduler/new.py", "toasoan/new.py", "tests/test_new.py"])
def test_a_wall_clock_call_outside_the_clock_module_fails_the_lint(source, module):
    result = ruff(source, module)
    assert result.returncode == 1 and "TID251" in result.stdout


def test_the_clock_module_may_read_the_wall_clock():
    assert ruff(WALL_CLOCK_CALLS[0], "newsroom/clock.py").returncode == 0


def test_a_manual_clock_moves_only_when_moved():
    start = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    clock = ManualClock(start)
    assert clock() == clock() == start
    clock.advance(hours=3)
    assert clock() == start + timedelta(hours=3)
    with pytest.raises(ValueError):
        clock.set(datetime(2026, 11, 23, 9, 0))  # a moment without a zone is refused
