"""Draining the outbox over SMTP (aiosmtplib): claim due rows, send, mark, retry with backoff.

Claims (newsroom/claims.py) let several daemons share one PostgreSQL database: a daemon that dies
mid-send stops renewing its short lease, and another picks the mail up within seconds. The Message-ID
was fixed when the mail was queued, so a second attempt is the same message to the recipient's server.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from datetime import datetime, timedelta

import aiosmtplib
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from newsroom import claims
from newsroom.clock import Clock
from newsroom.records import OutboxMail
from newsroom.settings import SmtpSettings

log = logging.getLogger("toasoan.outbox")
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


QUEUE = claims.Queue(
    "outbox",
    OutboxMail,
    OutboxMail.lease_until,
    OutboxMail.lease_holder,
    _due,
    wakes=lambda row: row.status == "pending",
)


def due(factory: sessionmaker[Session], now: datetime) -> bool:
    """Is a mail due at ``now``, claimed or not?"""
    return claims.pending(factory, QUEUE, now)


def claim(factory: sessionmaker[Session], holder: str, now: datetime, limit: int = 50) -> list[OutboxMail]:
    ids = claims.claim(factory, QUEUE, holder, now, limit)
    with factory() as session:
        return list(session.scalars(select(OutboxMail).where(OutboxMail.id.in_(ids)).order_by(OutboxMail.id)))


def _sent(factory: sessionmaker[Session], row_id: int, now: datetime) -> None:
    """One statement and its commit: the shorter the time between the SMTP server's acceptance and this
    record, the smaller the window in which a kill -9 sends the mail a second time."""
    with factory.begin() as session:
        session.execute(
            update(OutboxMail)
            .where(OutboxMail.id == row_id)
            .values(status="sent", sent_at=now, last_error=None, lease_until=None)
            .execution_options(synchronize_session=False)
        )


def _failed(factory: sessionmaker[Session], row_id: int, error: str, now: datetime) -> None:
    """An attempt failed: tried again after a backoff, given up after MAX_ATTEMPTS."""
    with factory.begin() as session:
        row = session.get(OutboxMail, row_id)
        row.lease_until = None  # the claim ends (newsroom/claims.py)
        row.attempts += 1
        row.last_error = error[:1000]
        if row.attempts >= MAX_ATTEMPTS:
            row.status = "failed"
        else:
            row.next_attempt_at = now + backoff(row.attempts)


async def drain(factory: sessionmaker[Session], smtp: SmtpSettings, clock: Clock, holder: str) -> int:
    """Send what is due at the clock's present moment; returns how many were sent. One connection serves
    the whole batch, and the batch's claims are renewed while it is sent."""
    now = clock()
    rows = await asyncio.to_thread(claim, factory, holder, now)
    if not rows:
        return 0
    ids = [row.id for row in rows]
    try:
        async with claims.renewing(factory, QUEUE, ids, holder, clock):
            return await _send(factory, smtp, rows, now)
    except Exception as exc:
        if not claims.connection_lost(exc):
            raise
        log.warning("mất kết nối cơ sở dữ liệu khi gửi thư (%s); thư chưa gửi chờ lần sau", type(exc).__name__)
        with contextlib.suppress(Exception):  # sent ones are marked; the rest are due again at once
            await asyncio.to_thread(claims.durably, claims.release, factory, QUEUE, ids, holder)
        return 0


async def _send(factory: sessionmaker[Session], smtp: SmtpSettings, rows: list[OutboxMail], now: datetime) -> int:
    sent = 0
    client = smtp_client(smtp)
    try:
        await login(client, smtp)
    except Exception as exc:  # the server is down or refuses us: every claimed row waits for the next try
        log.warning("SMTP %s:%s không kết nối được: %s", smtp.host, smtp.port, exc)
        for row in rows:
            await asyncio.to_thread(_failed, factory, row.id, f"connect: {exc}", now)
        return 0
    try:
        for row in rows:
            try:
                await client.sendmail(smtp.from_address, row.recipients, row.raw)
            except aiosmtplib.SMTPException as exc:
                log.warning("gửi thư %s thất bại: %s", row.message_id, exc)
                await asyncio.to_thread(_failed, factory, row.id, str(exc), now)
            else:
                log.info("đã gửi %s (%s) tới %d người", row.message_id, row.purpose, len(row.recipients))
                # recorded through a dropped connection: unrecorded, it would be sent again
                await claims.record(_sent, factory, row.id, now)
                sent += 1
    finally:
        with contextlib.suppress(aiosmtplib.SMTPException):
            await client.quit()
    return sent
