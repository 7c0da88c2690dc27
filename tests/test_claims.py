"""newsroom/claims.py on SQLite and on a real PostgreSQL (tests/servers/postgres.py): two claimers never share a
row, a dead holder's rows pass on when its lease ends, a restarted holder takes its own back at once, a
renewed claim outlives its lease, a sweep is done by one daemon at a time, and NOTIFY wakes a listener."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from newsroom import claims, mails, outbox, workflow
from newsroom.clock import ManualClock
from newsroom.db import make_engine, migrate, session_factory
from newsroom.records import Lease, OutboxMail
from tests import samples
from tests.conftest import wait_until

pytestmark = pytest.mark.timeout(120)
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
QUEUE = outbox.QUEUE


@pytest.fixture(params=["sqlite", "postgresql"])
def factory(request, tmp_path):
    """Sessions of the site "a" on a migrated database of each engine."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'claims.db'}"
    else:
        url = request.getfixturevalue("postgres_database")()
    engine = make_engine(url)
    migrate(engine)
    yield session_factory(engine, "a")
    engine.dispose()


def queue_mail(factory, count: int) -> list[int]:
    with factory.begin() as session:
        rows = [
            OutboxMail(
                message_id=f"<{i}.{time.monotonic_ns()}@test>",
                purpose="test",
                recipients=["x@example.invalid"],
                subject=f"thư {i}",
                raw=b"",
                next_attempt_at=NOW,
                created_at=NOW,
            )
            for i in range(count)
        ]
        session.add_all(rows)
        session.flush()
        return [row.id for row in rows]


def holders(factory) -> dict[int, str | None]:
    with factory() as session:
        return dict(session.execute(select(OutboxMail.id, OutboxMail.lease_holder)).all())


def test_two_claimers_never_get_the_same_row(factory):
    ids = queue_mail(factory, 120)
    got: dict[str, list[int]] = {"host:one": [], "host:two": []}
    start = threading.Barrier(2)

    def claimer(holder: str) -> None:
        start.wait()
        while batch := claims.claim(factory, QUEUE, holder, NOW, limit=7):
            got[holder].extend(batch)

    threads = [threading.Thread(target=claimer, args=(h,)) for h in got]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    one, two = got["host:one"], got["host:two"]
    assert not set(one) & set(two)
    assert sorted(one + two) == ids  # every row claimed, none twice
    assert len(one) == len(set(one)) and len(two) == len(set(two))
    owners = holders(factory)
    assert all(owners[i] == "host:one" for i in one) and all(owners[i] == "host:two" for i in two)


def test_an_expired_lease_passes_to_another_holder(factory):
    ids = queue_mail(factory, 3)
    assert claims.claim(factory, QUEUE, "host:dead", NOW, limit=10) == ids
    assert claims.claim(factory, QUEUE, "host:alive", NOW + timedelta(seconds=29), limit=10) == []
    assert claims.claim(factory, QUEUE, "host:alive", NOW + timedelta(seconds=31), limit=10) == ids
    assert set(holders(factory).values()) == {"host:alive"}


def test_a_restarted_holder_takes_its_own_claims_back_at_once(factory):
    mine, theirs = queue_mail(factory, 2), queue_mail(factory, 2)
    assert claims.claim(factory, QUEUE, "host:a", NOW, limit=2) == mine
    assert claims.claim(factory, QUEUE, "host:b", NOW, limit=2) == theirs
    assert claims.take_back(factory, [QUEUE], "host:a") == 2  # "host:a" starts again
    later = NOW + timedelta(seconds=1)  # far from the end of the lease
    assert claims.claim(factory, QUEUE, "host:a", later, limit=10) == mine  # b's are still b's
    assert claims.take_back(factory, [QUEUE], "host:c") == 0


def test_renewal_keeps_a_long_jobs_claim(factory):
    ids = queue_mail(factory, 2)
    clock = ManualClock(NOW)
    lease = timedelta(seconds=0.3)  # renewed every 0.1 s of monotonic time

    def until() -> datetime:
        with factory() as session:
            return min(session.scalars(select(OutboxMail.lease_until)))

    async def job() -> None:
        assert claims.claim(factory, QUEUE, "host:slow", clock(), limit=10, lease=lease) == ids
        async with claims.renewing(factory, QUEUE, ids, "host:slow", clock, lease=lease):
            for _ in range(6):  # 1.2 s of business time: four leases
                clock.advance(seconds=0.2)
                while await asyncio.to_thread(until) < clock() + timedelta(seconds=0.25):
                    await asyncio.sleep(0.02)
                assert claims.claim(factory, QUEUE, "host:other", clock(), limit=10, lease=lease) == []
        clock.advance(seconds=0.4)  # the job ended without clearing its claim, and nobody renews it
        assert claims.claim(factory, QUEUE, "host:other", clock(), limit=10, lease=lease) == ids

    asyncio.run(job())


def test_a_sweep_is_done_by_one_daemon_at_a_time(factory):
    clock = ManualClock(NOW)

    async def scenario() -> None:
        async with claims.exclusive(factory, "sweep:escalation", "host:a", clock) as held_a:
            assert held_a
            async with claims.exclusive(factory, "sweep:escalation", "host:b", clock) as held_b:
                assert not held_b  # a is sweeping
            async with claims.exclusive(factory, "sweep:questions", "host:b", clock) as other:
                assert other  # another sweep is another lease
        async with claims.exclusive(factory, "sweep:escalation", "host:b", clock) as held_b:
            assert held_b  # a let go

    asyncio.run(scenario())
    # a daemon that dies while sweeping: its lease passes on when it ends, or at once when it restarts
    assert claims.hold(factory, "sweep:periodic", "host:a", NOW)
    assert not claims.hold(factory, "sweep:periodic", "host:b", NOW + timedelta(seconds=29))
    assert claims.hold(factory, "sweep:periodic", "host:b", NOW + timedelta(seconds=31))
    assert claims.take_back(factory, [QUEUE], "host:b") == 1
    assert claims.hold(factory, "sweep:periodic", "host:c", NOW + timedelta(seconds=32))


def test_claims_and_leases_belong_to_their_site(factory):
    other = session_factory(factory.kw["bind"], "b")
    queue_mail(factory, 2)
    assert claims.claim(other, QUEUE, "host:a", NOW, limit=10) == []
    assert claims.hold(factory, "sweep:escalation", "host:a", NOW)
    assert claims.hold(other, "sweep:escalation", "host:b", NOW)  # the same sweep of another site


def test_notify_wakes_a_listener_at_once(postgres_database):
    """PostgreSQL only: SQLite has one daemon, which wakes itself."""
    engine = make_engine(postgres_database())
    migrate(engine)
    factory = session_factory(engine, "a")
    claims.notify_on_commit(factory, [QUEUE])
    heard: list[tuple[str, str]] = []
    url = engine.url.render_as_string(hide_password=False)
    listener = claims.Listener(url, [QUEUE], lambda queue, site: heard.append((queue, site)))
    thread = threading.Thread(target=listener.run, daemon=True)
    thread.start()
    try:
        assert listener.listening.wait(10)
        started = time.monotonic()
        queue_mail(factory, 1)
        wait_until(lambda: heard, timeout=5, interval=0.01)
        assert heard == [("outbox", "a")]
        assert time.monotonic() - started < 1
    finally:
        listener.stop()
        thread.join(5)
        engine.dispose()


def queue_notice(site, factory, subject: str) -> int:
    """A mail to the site's department queued at the site's present moment."""
    now = site.clock()
    with factory.begin() as session:
        msg = mails.compose(
            site.settings,
            "refused",
            [site.department],
            subject,
            {"address": site.department, "name": "", "subject": subject, "reason": "thử"},
            now=now,
        )
        row = workflow.queue(session, None, "refused", msg, now)
        session.flush()
        return row.id


def test_a_restarted_daemon_sends_at_once_what_it_had_claimed(site_factory):
    """The daemon died holding a claim on one mail (its own name) and another daemon died holding one: the
    first goes out as soon as the daemon is back, the second when its holder's lease ends (30 s)."""
    site = site_factory()
    engine = make_engine(site.settings.database)
    migrate(engine)
    factory = session_factory(engine, site.settings.site_id)
    mine = queue_notice(site, factory, "Thư của tiến trình này")
    assert claims.claim(factory, QUEUE, claims.holder_identity(), site.clock(), limit=1) == [mine]
    theirs = queue_notice(site, factory, "Thư của tiến trình khác")
    assert claims.claim(factory, QUEUE, "may-khac:toasoan", site.clock(), limit=1) == [theirs]
    engine.dispose()
    site.start()
    site.wait_mail(site.department, "Thư của tiến trình này")
    site.clock.advance(seconds=29)
    with pytest.raises(AssertionError):
        site.wait_mail(site.department, "Thư của tiến trình khác", timeout=2)
    site.clock.advance(seconds=2)
    site.wait_mail(site.department, "Thư của tiến trình khác")
    site.settle()


def test_a_site_on_postgresql_publishes_through_claims(site_factory, postgres_database):
    """The daemon on PostgreSQL: a submission acknowledged, approved and published once, by the claims."""
    site = site_factory(database=postgres_database())
    site.start()
    site.deliver(samples.submission(site.department, site.board_box, "Tin: Ra quân mùa hè xanh"))
    [notice] = site.wait_mail(site.address("truongban"), "Cần duyệt")
    site.deliver(samples.reply(notice, site.address("truongban"), "Nguyễn Văn An", "Duyệt"))
    site.wait_mail(site.address("truongban"), "Đã đăng")
    site.settle()
    assert len(list(site.settings.cms.folder.glob("*.html"))) == 1
    engine = make_engine(site.settings.database)
    try:
        with session_factory(engine)() as session:
            assert session.scalars(select(OutboxMail.status).distinct()).all() == ["sent"]
            assert session.scalars(select(Lease.until).distinct()).all() == [None]  # sweeps let go of their leases
    finally:
        engine.dispose()
