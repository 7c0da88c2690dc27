"""Mailbox leases on the database's clock: the fair share, a restarted daemon taking its own leases back at
once, a dead daemon's passing to another once they expire, and a clean stop handing them over at once."""

from __future__ import annotations

import time

from newsroom.db import make_engine, migrate
from scheduler.ownership import Ownership
from tests.conftest import wait_until

SITES = ["xa-a", "xa-b", "xa-c", "xa-d", "xa-e"]


def engine_at(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'leases.db'}")
    migrate(engine)
    return engine


def test_daemons_share_the_mailboxes_fairly_and_take_over_a_dead_ones(tmp_path):
    engine = engine_at(tmp_path)
    one, two = Ownership(engine, "may1/a", lease_seconds=2), Ownership(engine, "may2/a", lease_seconds=2)
    assert one.renew(SITES).held == set(SITES)  # alone: every mailbox
    first = two.renew(SITES)
    assert first.held == set() and first.live == 2  # all held, none expired
    last_renewal = time.monotonic()
    again = one.renew(SITES)  # now two live daemons: ceil(5 / 2) = 3 kept, 2 given up
    assert len(again.held) == 3 and again.release == set(SITES) - again.held
    one.release(again.release)
    assert two.renew(SITES).held == again.release
    # `one` dies (no more renewals): its leases and heartbeat expire 2 s after its last renewal, and
    # `two` takes everything then, not before.
    wait_until(lambda: two.renew(SITES).held == set(SITES), timeout=10, interval=0.05)
    assert 1.9 < time.monotonic() - last_renewal < 4


def test_a_restarted_daemon_takes_its_own_leases_back_at_once(tmp_path):
    engine = engine_at(tmp_path)
    before = Ownership(engine, "may1/a", lease_seconds=60)
    assert before.renew(SITES[:2]).held == set(SITES[:2])
    other = Ownership(engine, "may2/a", lease_seconds=60)
    assert other.renew(SITES[:2]).held == set()  # not expired: not the other's to take
    restarted = Ownership(engine, "may1/a", lease_seconds=60)  # same host and instance, a new process
    assert restarted.renew(SITES[:2]).held == {SITES[0]}  # its own, at once (its fair share of 2 among 2)


def test_a_clean_stop_hands_the_mailboxes_over_at_once(tmp_path):
    engine = engine_at(tmp_path)
    leaving, staying = Ownership(engine, "may1/a", lease_seconds=60), Ownership(engine, "may2/a", lease_seconds=60)
    assert leaving.renew(SITES).held == set(SITES)
    leaving.leave()
    assert staying.renew(SITES).held == set(SITES)


def test_a_second_daemon_under_the_same_name_is_refused(tmp_path):
    import subprocess
    import sys

    engine = engine_at(tmp_path)
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        running = Ownership(engine, "may1/a", lease_seconds=60)
        running.renew(SITES)
        with engine.begin() as conn:  # as if that process had written the heartbeat
            conn.exec_driver_sql("UPDATE daemon_heartbeats SET pid = ?", (sleeper.pid,))
        assert Ownership(engine, "may1/a").rival() == sleeper.pid
        assert Ownership(engine, "may1/b").rival() is None
    finally:
        sleeper.kill()
        sleeper.wait()
    assert Ownership(engine, "may1/a").rival() is None  # dead: its leases are taken back
