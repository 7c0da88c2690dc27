"""Two daemons on one PostgreSQL database claiming due work at the same moment never take the same row:
``FOR UPDATE SKIP LOCKED`` in the outbox and the publisher. (On SQLite one daemon writes: not run there.)"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from newsroom import mails, outbox, workflow
from newsroom.db import make_engine, session_factory
from newsroom.records import Draft
from publisher.service import Publisher

pytestmark = pytest.mark.timeout(120)
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
ROWS, ROUNDS = 60, 5


@pytest.fixture
def factory(site_factory):
    site = site_factory()
    if not site.settings.database.startswith("postgresql"):
        pytest.skip("several daemons share a PostgreSQL database only (TOASOAN_TEST_DATABASE=postgres)")
    engine = make_engine(site.settings.database)
    yield site.settings, session_factory(engine)
    engine.dispose()


def at_once(claim) -> list[list[int]]:
    """``claim()`` in two threads released together; what each took."""
    start, taken = threading.Barrier(2), [[], []]

    def run(i: int) -> None:
        start.wait()
        taken[i] = claim()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return taken


def test_two_outboxes_never_claim_the_same_mail(factory):
    settings, sessions = factory
    with sessions.begin() as session:
        for n in range(ROWS * ROUNDS):
            to = f"nguoi{n}@kep.gov.vn"
            values = {"address": to, "name": "", "subject": "thử", "reason": "thư quá lớn"}
            workflow.queue(
                session, None, "refused", mails.compose(settings, "refused", [to], "thử", values, now=NOW), NOW
            )
    claimed = []
    for _ in range(ROUNDS):
        first, second = at_once(lambda: [row.id for row in outbox.claim(sessions, NOW, limit=ROWS)])
        assert not set(first) & set(second)
        claimed += first + second
    assert len(claimed) == len(set(claimed)) == ROWS * ROUNDS


def test_two_publishers_never_claim_the_same_draft(factory):
    settings, sessions = factory
    with sessions.begin() as session:
        for n in range(1, 10 * ROUNDS + 1):
            session.add(
                Draft(
                    key=f"TS{n:05d}",
                    status="approved",
                    category="news",
                    title=f"Tin {n}",
                    sender_address="vhxh@kep.gov.vn",
                    publish_next_at=NOW,
                    created_at=NOW,
                    updated_at=NOW,
                )
            )
    publisher = Publisher(settings, sessions, None, None, None)
    claimed = []
    for _ in range(ROUNDS):
        first, second = at_once(lambda: publisher._claim(NOW))
        assert not set(first) & set(second)
        claimed += first + second
    assert len(claimed) == len(set(claimed)) == 10 * ROUNDS
