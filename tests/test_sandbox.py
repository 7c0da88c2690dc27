"""Document parsing runs under a time and memory ceiling, and the worker recovers from overruns."""

from __future__ import annotations

import time

import pytest

from intake.sandbox import ParseLimit, Sandbox


def slow(seconds: float) -> str:
    time.sleep(seconds)
    return "done"


def greedy(megabytes: int) -> int:
    return len(bytearray(megabytes * 1024 * 1024))


def test_results_come_back():
    assert Sandbox(timeout=20).run(slow, 0) == "done"


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
