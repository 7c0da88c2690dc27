"""Intake against a real Dovecot: every message processed exactly once, moved only after its commit,
and the watcher surviving dropped connections, with IDLE and with polling."""

from __future__ import annotations

import os
import secrets
import threading

import pytest
from msgspec.structs import replace
from sqlalchemy import func, select

from intake.mailbox import MailboxHub, MailboxWatcher, connect
from intake.service import Intake, Where
from newsroom.archive import Archive
from newsroom.db import make_engine, migrate, session_factory
from newsroom.records import Draft, IncomingMessage
from scheduler.calendar import WorkingCalendar
from scheduler.deadlines import deadline_function
from tests import samples
from tests.conftest import wait_until

pytestmark = pytest.mark.timeout(120)


class Rig:
    def __init__(self, site, **imap_changes):
        self.site = site
        settings = site.settings
        if imap_changes:
            settings = replace(settings, imap=replace(settings.imap, **imap_changes))
        self.settings = settings
        engine = make_engine(settings.database)
        migrate(engine)
        self.factory = session_factory(engine)
        self.archive = Archive(settings.data_dir / "archive")
        calendar = WorkingCalendar(settings.calendar, settings.timezone)
        self.intake = Intake(settings, self.factory, self.archive, deadline_function(settings, calendar), site.clock)
        self.watcher = MailboxWatcher(settings.imap, self.intake)

    def count(self, model) -> int:
        with self.factory() as session:
            return session.scalar(select(func.count()).select_from(model))

    def sync_once(self) -> int:
        self.watcher.client = connect(self.settings.imap)
        try:
            self.watcher._ensure_folder()
            status = self.watcher.client.select_folder("INBOX")
            return self.watcher.sync(int(status[b"UIDVALIDITY"]))
        finally:
            self.watcher._logout()

    def news(self, subject="Tin: Ra quân mùa hè xanh") -> bytes:
        return samples.submission(self.site.department, self.site.board_box, subject, docx=samples.news_docx())


def test_message_is_processed_once_and_moved_after_commit(site_factory):
    rig = Rig(site_factory())
    raw = rig.news()
    rig.site.deliver(raw)
    assert rig.sync_once() == 1
    assert (rig.count(IncomingMessage), rig.count(Draft)) == (1, 1)
    assert rig.site.dovecot.messages(rig.site.board_box) == []
    assert len(rig.site.dovecot.messages(rig.site.board_box, "Toasoan/Processed")) == 1
    with rig.factory() as session:
        incoming = session.scalars(select(IncomingMessage)).one()
    assert rig.archive.path(incoming.sha256).exists()  # the raw bytes are kept, named by their SHA-256
    assert rig.sync_once() == 0  # nothing left


def test_crash_between_commit_and_move_only_moves_on_restart(site_factory):
    rig = Rig(site_factory())
    rig.site.deliver(rig.news())
    with rig.site.dovecot.client(rig.site.board_box) as client:
        status = client.select_folder("INBOX")
        uid = client.search(["ALL"])[0]
        raw = client.fetch([uid], ["RFC822"])[uid][b"RFC822"]
    # The transaction committed, then the daemon died before MOVE:
    rig.intake.process(raw, Where("INBOX", int(status[b"UIDVALIDITY"]), uid), rig.site.clock())
    assert rig.sync_once() == 0
    assert (rig.count(IncomingMessage), rig.count(Draft)) == (1, 1)
    assert rig.site.dovecot.messages(rig.site.board_box) == []


def test_same_bytes_under_a_new_uidvalidity_are_not_processed_again(site_factory):
    rig = Rig(site_factory())
    raw = rig.news()
    rig.site.deliver(raw)
    rig.sync_once()
    # The server rebuilt its index (new UIDVALIDITY) and the message reappears in the inbox.
    rig.site.deliver(raw)
    rig.site.dovecot.admin("mailbox", "update", "-u", rig.site.board_box, "--uid-validity", "4242", "INBOX")
    rig.sync_once()
    assert (rig.count(IncomingMessage), rig.count(Draft)) == (1, 1)
    assert rig.site.dovecot.messages(rig.site.board_box) == []


def test_a_parser_failure_keeps_the_message(site_factory, monkeypatch):
    """No real message reliably crashes the parser, so one is made to: the archive must still hold it."""
    rig = Rig(site_factory())
    import intake.service

    def broken(*args, **kwargs):
        raise RuntimeError("parser bug")

    monkeypatch.setattr(intake.service, "analyze", broken)
    raw = rig.news()
    rig.site.deliver(raw)
    assert rig.sync_once() == 1
    with rig.factory() as session:
        incoming = session.scalars(select(IncomingMessage)).one()
    assert incoming.kind == "refused" and "parser bug" in incoming.outcome
    assert rig.archive.get(incoming.sha256).replace(b"\r\n", b"\n") == raw.replace(b"\r\n", b"\n")


@pytest.mark.parametrize("idle, tls", [(True, False), (False, False), (True, True)], ids=["idle", "polling", "tls"])
def test_watcher_survives_a_dropped_connection(site_factory, idle, tls):
    site = site_factory()
    over_tls = {"port": site.dovecot.tls_port, "security": "tls", "ca_file": site.dovecot.cert} if tls else {}
    rig = Rig(site, idle=idle, poll_seconds=0.3, **over_tls)
    hub = MailboxHub(workers=1)
    hub.add(rig.watcher)
    thread = threading.Thread(target=hub.run, daemon=True)
    thread.start()
    try:
        rig.site.deliver(rig.news("Tin: thứ nhất"))
        wait_until(lambda: rig.count(Draft) == 1, timeout=15)
        rig.site.dovecot.admin("kick", rig.site.board_box)
        rig.site.deliver(rig.news("Tin: thứ hai"))
        wait_until(lambda: rig.count(Draft) == 2, timeout=20)
        wait_until(lambda: rig.site.dovecot.messages(rig.site.board_box) == [], timeout=10)
    finally:
        hub.stop()
        thread.join(10)
    assert not thread.is_alive()


def test_implicit_tls_imap(site_factory):
    site = site_factory()
    rig = Rig(site, port=site.dovecot.tls_port, security="tls", ca_file=site.dovecot.cert)
    rig.site.deliver(rig.news())
    assert rig.sync_once() == 1


def test_a_message_that_fails_to_process_does_not_block_the_inbox(site_factory):
    rig = Rig(site_factory())
    key = rig.site.config.parent / "secrets" / "reply-key"
    saved = key.read_bytes()
    key.unlink()  # a real fault: the daemon cannot sign the reply code for the notification
    rig.site.deliver(rig.news("Tin: thứ nhất"))
    assert rig.sync_once() == 1
    with rig.factory() as session:
        failed = session.scalars(select(IncomingMessage)).one()
    assert failed.outcome.startswith("lỗi xử lý: ConfigError") and rig.count(Draft) == 0
    assert rig.archive.path(failed.sha256).exists()
    key.write_bytes(saved)
    rig.site.deliver(rig.news("Tin: thứ hai"))
    assert rig.sync_once() == 1
    assert rig.count(Draft) == 1 and rig.site.dovecot.messages(rig.site.board_box) == []


def test_a_mailbox_whose_uidvalidity_is_past_2_to_the_31(site_factory):
    """UIDVALIDITY is unsigned 32-bit (RFC 3501); Dovecot's is the mailbox's creation time, over 2^31 for a
    mailbox made after 2038-01-19. PostgreSQL's INTEGER refused it and the mailbox stopped."""
    site = site_factory()
    maildir = site.dovecot.home(site.board_box) / "Maildir"
    maildir.mkdir(parents=True, exist_ok=True)
    # Dovecot's list of UIDs, made before Dovecot first opens the mailbox: its header line names the UIDVALIDITY.
    (maildir / "dovecot-uidlist").write_text(f"3 V{4_000_000_000} N1 G{secrets.token_hex(16)}\n")
    for path in (maildir, maildir / "dovecot-uidlist"):
        os.chown(path, site.dovecot.uid, site.dovecot.gid)
    site.start()
    site.deliver(samples.submission(site.department, site.board_box, "Tin hội nghị", docx=samples.news_docx()))
    site.wait_mail(site.address("truongban"), "Cần duyệt")
    site.settle()
    with session_factory(make_engine(site.settings.database))() as session:
        assert session.scalar(select(IncomingMessage.uidvalidity)) == 4_000_000_000
