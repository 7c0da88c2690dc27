"""The outbox through a real SMTP server requiring TLS and AUTH: mail arrives, failures are retried,
and a retry is the same message."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import pytest
from msgspec.structs import replace
from sqlalchemy import select

from newsroom import mails, outbox, workflow
from newsroom.clock import ManualClock
from newsroom.db import make_engine, migrate, session_factory
from newsroom.records import OutboxMail
from tests.servers.smtp import SmtpServer

pytestmark = pytest.mark.timeout(60)
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # the outbox works at the moment it is given, whatever the date
HOLDER = "test:outbox"


def queue_one(settings, to: str) -> tuple:
    engine = make_engine(settings.database)
    migrate(engine)
    factory = session_factory(engine)
    now = NOW
    with factory.begin() as session:
        msg = mails.compose(
            settings,
            "refused",
            [to],
            "Không tiếp nhận: thử",
            {"address": to, "name": "", "subject": "thử", "reason": "thư quá lớn"},
            now=now,
        )
        workflow.queue(session, None, "refused", msg, now)
    return factory, str(msg["Message-ID"])


def test_starttls_with_auth_delivers(site_factory):
    site = site_factory()
    factory, message_id = queue_one(site.settings, site.department)
    assert asyncio.run(outbox.drain(factory, site.settings.smtp, ManualClock(NOW), HOLDER)) == 1
    [raw] = site.wait_mail(site.department, "Không tiếp nhận")
    mail = message_from_bytes(raw, policy=policy.default)
    assert mail["Message-ID"] == message_id and mail["Auto-Submitted"] == "auto-generated"
    assert "thư quá lớn" in mail.get_body(("plain",)).get_content()
    assert asyncio.run(outbox.drain(factory, site.settings.smtp, ManualClock(NOW), HOLDER)) == 0  # sent once


def test_implicit_tls(site_factory, dovecot):
    site = site_factory()
    server = SmtpServer(dovecot.cert, dovecot.key, lmtp_port=dovecot.lmtp_port, implicit_tls=True).start()
    try:
        smtp = replace(site.settings.smtp, port=server.port, security="tls")
        factory, _ = queue_one(site.settings, site.department)
        assert asyncio.run(outbox.drain(factory, smtp, ManualClock(NOW), HOLDER)) == 1
        site.wait_mail(site.department, "Không tiếp nhận")
    finally:
        server.stop()


def test_refused_login_is_retried_later_as_the_same_message(site_factory, tmp_path):
    site = site_factory()
    factory, message_id = queue_one(site.settings, site.department)
    wrong = tmp_path / "wrong"
    wrong.write_text("not-the-password")
    bad = replace(site.settings.smtp, password=replace(site.settings.smtp.password, file=wrong))
    now = NOW
    assert asyncio.run(outbox.drain(factory, bad, ManualClock(now), HOLDER)) == 0
    with factory() as session:
        row = session.scalars(select(OutboxMail)).one()
    assert row.status == "pending" and row.attempts == 1 and "535" in row.last_error
    assert row.next_attempt_at == now + timedelta(seconds=30)  # the first back-off step
    clock = ManualClock(now + timedelta(seconds=29))
    assert asyncio.run(outbox.drain(factory, site.settings.smtp, clock, HOLDER)) == 0  # not due yet
    clock.advance(seconds=1)
    assert asyncio.run(outbox.drain(factory, site.settings.smtp, clock, HOLDER)) == 1
    [raw] = site.wait_mail(site.department, "Không tiếp nhận")
    assert message_from_bytes(raw, policy=policy.default)["Message-ID"] == message_id
