"""Watching the board's mailbox over IMAP: IDLE when the server offers it, polling otherwise.

Each message in the inbox is handed to intake, and moved to the processed folder only after intake's
transaction has committed. A crash between the two leaves the message in the inbox; on the next pass
intake recognises it by (UIDVALIDITY, UID) or SHA-256 and it is only moved. Any connection error
(server restart, ``doveadm kick``, a split IDLE response) ends in a reconnect and a fresh UID SEARCH.
"""

from __future__ import annotations

import contextlib
import logging
import ssl
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

import imapclient
from imapclient.exceptions import IMAPClientError

from intake.service import Intake, Where
from newsroom.settings import ImapSettings

log = logging.getLogger("toasoan.imap")


def connect(cfg: ImapSettings, timeout: float = 30) -> imapclient.IMAPClient:
    context = ssl.create_default_context(cafile=str(cfg.ca_file) if cfg.ca_file else None)
    client = imapclient.IMAPClient(
        cfg.host,
        port=cfg.port,
        ssl=cfg.security == "tls",
        ssl_context=context,
        timeout=timeout,
    )
    client.normalise_times = False  # INTERNALDATE with its zone: the arrival time deadlines count from
    if cfg.security == "starttls":
        client.starttls(context)
    client.login(cfg.username, cfg.password.resolve())
    return client


def server_folder(client: imapclient.IMAPClient, name: str) -> str:
    """A folder written with '/' in the configuration, in the server's own hierarchy ('.' on maildir)."""
    listing = client.list_folders(directory="", pattern="")
    delimiter = listing[0][1].decode() if listing and listing[0][1] else "/"
    return name.replace("/", delimiter)


class MailboxWatcher:
    def __init__(self, cfg: ImapSettings, intake: Intake, on_processed: Callable[[], None] = lambda: None):
        self.cfg, self.intake, self.on_processed = cfg, intake, on_processed
        self.stop_event = threading.Event()
        self.wake_event = threading.Event()
        self.client: imapclient.IMAPClient | None = None
        self.processed = cfg.processed_folder
        self.busy = False  # reading the inbox: the daemon is not idle

    def stop(self) -> None:
        self.stop_event.set()
        self.wake_event.set()

    def run(self) -> None:
        """Blocking loop for a worker thread; returns when stop() is called."""
        delay = 1.0
        while not self.stop_event.is_set():
            try:
                self.client = connect(self.cfg)
                self._ensure_folder()
                delay = 1.0
                self._watch()
            except (OSError, IMAPClientError, ssl.SSLError) as exc:
                if self.stop_event.is_set():
                    break
                log.warning("IMAP %s:%s: %s; thử lại sau %.0f giây", self.cfg.host, self.cfg.port, exc, delay)
            except Exception as exc:  # a secret missing or anything unexpected: keep the daemon alive
                log.error("IMAP: %s; thử lại sau %.0f giây", exc, delay)
            finally:
                self._logout()
            self.stop_event.wait(delay)
            delay = min(delay * 2, 300)

    def _logout(self) -> None:
        client, self.client = self.client, None
        if client is not None:
            try:
                client.logout()
            except Exception:
                with contextlib.suppress(Exception):
                    client.shutdown()

    def _ensure_folder(self) -> None:
        self.processed = server_folder(self.client, self.cfg.processed_folder)
        if not self.client.folder_exists(self.processed):
            self.client.create_folder(self.processed)
            log.info("đã tạo thư mục %s", self.processed)

    def _watch(self) -> None:
        client = self.client
        idle = self.cfg.idle and b"IDLE" in client.capabilities()
        while not self.stop_event.is_set():
            status = client.select_folder(self.cfg.inbox)
            uidvalidity = int(status[b"UIDVALIDITY"])
            self.sync(uidvalidity)
            if idle:
                self._idle_once()
            else:
                self.wake_event.wait(self.cfg.poll_seconds)
                self.wake_event.clear()
                client.noop()

    def sync(self, uidvalidity: int) -> int:
        """Process every message in the inbox; returns how many were handed to intake."""
        self.busy = True
        try:
            return self._sync(uidvalidity)
        finally:
            self.busy = False

    def _sync(self, uidvalidity: int) -> int:
        client, handled = self.client, 0
        for uid in sorted(client.search(["NOT", "DELETED"])):
            if self.stop_event.is_set():
                break
            where = Where(self.cfg.inbox, uidvalidity, uid)
            if not self.intake.seen(where):
                meta = client.fetch([uid], ["RFC822.SIZE", "INTERNALDATE"]).get(uid)
                if meta is None:
                    continue
                internal = meta.get(b"INTERNALDATE")
                received = internal.astimezone(UTC) if isinstance(internal, datetime) and internal.tzinfo else None
                if received is None:
                    log.warning("thư UID %s không có INTERNALDATE hợp lệ; dùng giờ xử lý", uid)
                    received = self.intake.clock()
                size = int(meta.get(b"RFC822.SIZE") or 0)
                if size > self.intake.settings.max_message_bytes:
                    # Too large to download: its headers are archived and answered; the whole message stays
                    # on the server, in the processed folder.
                    header = client.fetch([uid], ["BODY.PEEK[HEADER]"])[uid][b"BODY[HEADER]"]
                    self.intake.process_oversized(header, size, where, received)
                    handled += 1
                    self._move(uid)
                    continue
                data = client.fetch([uid], ["RFC822"]).get(uid)
                if data is None:
                    continue
                self.intake.process(data[b"RFC822"], where, received)
                handled += 1
            self._move(uid)
        if handled:
            self.on_processed()
        return handled

    def _move(self, uid: int) -> None:
        client = self.client
        if client.has_capability("MOVE"):
            client.move([uid], self.processed)
        else:
            client.copy([uid], self.processed)
            client.delete_messages([uid])
            client.uid_expunge([uid]) if client.has_capability("UIDPLUS") else client.expunge()

    def _idle_once(self) -> None:
        """One IDLE period: returns on new mail, when asked to stop, or after poll_seconds at most.

        The bound is a safety net: mail that arrives between UID SEARCH and IDLE is announced with the
        SEARCH response, not during IDLE, so without it such a message would wait for the next arrival.
        It is measured on the monotonic timer: how long to wait is not business time.
        """
        client = self.client
        client.idle()
        started = time.monotonic()
        try:
            while not self.stop_event.is_set() and time.monotonic() - started < self.cfg.poll_seconds:
                responses = client.idle_check(timeout=min(1.0, self.cfg.poll_seconds))
                if any(r[1] in (b"EXISTS", b"RECENT") for r in responses if len(r) > 1):
                    break
                if any(r[0] == b"BYE" for r in responses if r):
                    raise IMAPClientError("server said BYE")
        finally:
            client.idle_done()
