"""Draining the outbox over SMTP (aiosmtplib): claim due rows with a lease, send, mark, retry with backoff.

Claiming with a lease lets several daemons share one PostgreSQL database: a daemon that dies mid-send
leaves a lease that expires, and another picks the mail up. The Message-ID was fixed when the mail was
queued, so a second attempt is the same message to the recipient's server.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from datetime import datetime, timedelta

import aiosmtplib
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from newsroom.records import OutboxMail
from newsroom.settings import SmtpSettings

log = logging.getLogger("toasoan.outbox")
LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 12


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** (attempts - 1), 3600))


def tls_context(ca_file) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(ca_file) if ca_file else None)


def smtp_client(smtp: SmtpSettings) -> aiosmtplib.SMTP:
    return aiosmtplib.SMTP(
        hostname=smtp.host,
        port=smtp.port,
        use_tls=smtp.security == "tls",
        start_tls=smtp.security == "starttls",
        tls_context=tls_context(smtp.ca_file) if smtp.security != "none" else None,
        timeout=smtp.timeout_seconds,
    )


async def login(client: aiosmtplib.SMTP, smtp: SmtpSettings) -> None:
    await client.connect()
    if smtp.username and smtp.password is not None:
        await client.login(smtp.username, smtp.password.resolve())


def _due(now: datetime) -> tuple:
    return OutboxMail.status == "pending", OutboxMail.next_attempt_at <= now


def due(factory: sessionmaker[Session], now: datetime) -> bool:
    """Is a mail due at ``now``, claimed or not?"""
    with factory() as session:
        return session.scalar(select(OutboxMail.id).where(*_due(now)).limit(1)) is not None


def claim(factory: sessionmaker[Session], now: datetime, limit: int = 50) -> list[OutboxMail]:
    with factory.begin() as session:
        query = (
            select(OutboxMail)
            .where(*_due(now), or_(OutboxMail.lease_until.is_(None), OutboxMail.lease_until < now))
            .order_by(OutboxMail.id)
            .limit(limit)
        )
        if session.bind.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = list(session.scalars(query))
        for row in rows:
            row.lease_until = now + LEASE
        return rows


def _finish(factory: sessionmaker[Session], row_id: int, error: str | None, now: datetime) -> None:
    with factory.begin() as session:
        row = session.get(OutboxMail, row_id)
        row.lease_until = None
        if error is None:
            row.status, row.sent_at, row.last_error = "sent", now, None
            return
        row.attempts += 1
        row.last_error = error[:1000]
        if row.attempts >= MAX_ATTEMPTS:
            row.status = "failed"
        else:
            row.next_attempt_at = now + backoff(row.attempts)


async def drain(factory: sessionmaker[Session], smtp: SmtpSettings, now: datetime) -> int:
    """Send what is due at ``now`` (the daemon's clock); returns how many were sent. One connection serves
    the whole batch."""
    rows = await asyncio.to_thread(claim, factory, now)
    if not rows:
        return 0
    sent = 0
    client = smtp_client(smtp)
    try:
        await login(client, smtp)
    except Exception as exc:  # the server is down or refuses us: every claimed row waits for the next try
        log.warning("SMTP %s:%s không kết nối được: %s", smtp.host, smtp.port, exc)
        for row in rows:
            await asyncio.to_thread(_finish, factory, row.id, f"connect: {exc}", now)
        return 0
    try:
        for row in rows:
            try:
                await client.sendmail(smtp.from_address, row.recipients, row.raw)
            except aiosmtplib.SMTPException as exc:
                log.warning("gửi thư %s thất bại: %s", row.message_id, exc)
                await asyncio.to_thread(_finish, factory, row.id, str(exc), now)
            else:
                log.info("đã gửi %s (%s) tới %d người", row.message_id, row.purpose, len(row.recipients))
                await asyncio.to_thread(_finish, factory, row.id, None, now)
                sent += 1
    finally:
        with contextlib.suppress(aiosmtplib.SMTPException):
            await client.quit()
    return sent
