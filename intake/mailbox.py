"""Watching the boards' mailboxes over IMAP: IDLE when the server offers it, polling otherwise.

Each message in the inbox is handed to intake, and moved to the processed folder only after intake's
transaction has committed. A crash between the two leaves the message in the inbox; on the next pass
intake recognises it by (UIDVALIDITY, UID) or SHA-256 and it is only moved. Any connection error
(server restart, ``doveadm kick``, a split IDLE response) ends in a reconnect and a fresh UID SEARCH.

A province's daemon holds a hundred mailboxes, so no mailbox has a thread of its own: a ``MailboxHub``
has one thread that waits (``selectors``) on the sockets of every mailbox in IDLE and on their timers,
and a small pool of worker threads that do the short blocking steps (connect, search, fetch, process,
move). A ``MailboxWatcher`` is one mailbox's state between those steps.

No lost wake-up: a message that lands while a batch is processed is announced by the server in the
response to a FETCH or MOVE, which imapclient does not hand back, and would then wait for the next
arrival or ``poll_seconds``. So after each batch the watcher searches again, and idles only once a
search finds nothing new; a message that lands after that last search is announced during IDLE.
"""

from __future__ import annotations

import contextlib
import logging
import selectors
import socket
import ssl
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

import imapclient
from imapclient.exceptions import IMAPClientError

from intake.service import Intake, Where
from newsroom.settings import ImapSettings
from toasoan.logs import SITE

log = logging.getLogger("toasoan.imap")
MAX_DELAY = 300  # seconds between reconnection attempts, at most


def connect(cfg: ImapSettings, timeout: float = 30) -> imapclient.IMAPClient:
    context = (  # loading the CA certificates costs tens of milliseconds: not for plain IMAP
        ssl.create_default_context(cafile=str(cfg.ca_file) if cfg.ca_file else None) if cfg.security != "none" else None
    )
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


def _buffered(client: imapclient.IMAPClient) -> bool:
    """Has a response already been read off the socket (into imaplib's reader or TLS's buffer)?

    The server may send its first IDLE announcement in the same packet as the "+ idling" that
    ``idle()`` reads; it then sits in a buffer, and waiting for the socket to become readable would
    miss it. ``peek`` on a non-blocking socket returns what is buffered, or nothing, without waiting.
    """
    sock = client.socket()
    if isinstance(sock, ssl.SSLSocket) and sock.pending():
        return True
    sock.setblocking(False)
    try:
        return bool(client._imap.file.peek(1))
    except (ssl.SSLWantReadError, BlockingIOError):
        return False
    finally:
        sock.setblocking(True)
        client._set_read_timeout()


@dataclass
class Wait:
    """What a watcher waits for before its next step: its socket to be readable (in IDLE), or a moment
    on the monotonic timer (poll_seconds, or a reconnection delay), whichever comes first."""

    until: float
    sock: socket.socket | None = None


class MailboxWatcher:
    """One mailbox: each call of ``step`` does what is due (connect, sync, enter IDLE) and says what to
    wait for next. Steps of one watcher never overlap: the hub gives it to one worker at a time."""

    def __init__(
        self,
        cfg: ImapSettings,
        intake: Intake,
        on_processed: Callable[[int], None] = lambda handled: None,
        site_id: str = "default",
        on_state: Callable[[str, str], None] = lambda state, error: None,
    ):
        self.cfg, self.intake, self.on_processed, self.on_state = cfg, intake, on_processed, on_state
        self.site_id = site_id
        self.stopping = False
        self.client: imapclient.IMAPClient | None = None
        self.processed = cfg.processed_folder
        self.busy = False  # reading the inbox: the daemon is not idle
        self.state = "stopped"  # connecting | idle | polling | error | stopped
        self.use_idle = False
        self.idling = False
        self.idle_until = 0.0
        self.delay = 1.0
        self.last_mail_at: datetime | None = None
        # Called after a SEARCH that found a batch, before it is processed: a test delivers mail there.
        self.after_search: Callable[[list[int]], None] | None = None

    def _set(self, state: str, error: str = "") -> None:
        if state != self.state or error:
            self.state = state
            self.on_state(state, error)

    def step(self, readable: bool) -> Wait | None:
        """Blocking, short: run in a worker. Returns what to wait for next, None once stopped."""
        token = SITE.set(self.site_id)
        try:
            if self.stopping:
                self._logout()
                self._set("stopped")
                return None
            if self.client is None:
                self._set("connecting")
                self.client = connect(self.cfg)
                self._ensure_folder()
                self.use_idle = self.cfg.idle and b"IDLE" in self.client.capabilities()
            elif self.idling:
                if readable and not self._announced() and time.monotonic() < self.idle_until:
                    return Wait(self.idle_until, self.client.socket())  # only "still here": idle on
                self.client.idle_done()
                self.idling = False
            else:
                self.client.noop()
            self._drain()
            self.delay = 1.0
            if self.stopping:
                return self.step(False)
            if self.use_idle:
                self.client.idle()
                self.idling = True
                self.idle_until = time.monotonic() + self.cfg.poll_seconds
                self._set("idle")
                return Wait(0 if _buffered(self.client) else self.idle_until, self.client.socket())
            self._set("polling")
            return Wait(time.monotonic() + self.cfg.poll_seconds)
        except (OSError, IMAPClientError, ssl.SSLError) as exc:
            return self._failed(f"IMAP {self.cfg.host}:{self.cfg.port}: {exc}", logging.WARNING)
        except Exception as exc:  # a secret missing or anything unexpected: keep the mailbox (and daemon) alive
            return self._failed(f"IMAP: {exc}", logging.ERROR)
        finally:
            SITE.reset(token)

    def _failed(self, error: str, level: int) -> Wait | None:
        self._logout()
        if self.stopping:
            self._set("stopped")
            return None
        log.log(level, "%s; thử lại sau %.0f giây", error, self.delay)
        self._set("error", error)
        wait = Wait(time.monotonic() + self.delay)
        self.delay = min(self.delay * 2, MAX_DELAY)
        return wait

    def _announced(self) -> bool:
        """New mail announced during IDLE (EXISTS or RECENT); a BYE ends the connection."""
        responses = self.client.idle_check(timeout=0)
        if any(r[0] == b"BYE" for r in responses if r):
            raise IMAPClientError("server said BYE")
        return any(r[1] in (b"EXISTS", b"RECENT") for r in responses if len(r) > 1)

    def _logout(self) -> None:
        client, self.client, idling, self.idling = self.client, None, self.idling, False
        if client is not None:
            try:
                if idling:
                    client.idle_done()
                client.logout()
            except Exception:
                with contextlib.suppress(Exception):
                    client.shutdown()

    def _ensure_folder(self) -> None:
        self.processed = server_folder(self.client, self.cfg.processed_folder)
        if not self.client.folder_exists(self.processed):
            self.client.create_folder(self.processed)
            log.info("đã tạo thư mục %s", self.processed)

    def _drain(self) -> None:
        """Sync until a search finds nothing new: mail that landed during a batch is taken now."""
        attempted: set[int] = set()
        while not self.stopping:
            before = len(attempted)
            status = self.client.select_folder(self.cfg.inbox)
            self.sync(int(status[b"UIDVALIDITY"]), attempted)
            if len(attempted) == before:
                return

    def sync(self, uidvalidity: int, attempted: set[int] | None = None) -> int:
        """Process every message in the inbox not yet attempted in this pass (``attempted`` collects
        their UIDs, so one that cannot be fetched is not retried in a loop); returns how many were
        handed to intake."""
        self.busy = True
        try:
            return self._sync(uidvalidity, set() if attempted is None else attempted)
        finally:
            self.busy = False

    def _sync(self, uidvalidity: int, attempted: set[int]) -> int:
        client, handled = self.client, 0
        uids = [uid for uid in sorted(client.search(["NOT", "DELETED"])) if uid not in attempted]
        if uids and self.after_search is not None:
            self.after_search(uids)
        for uid in uids:
            if self.stopping:
                break
            attempted.add(uid)
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
                    self.last_mail_at = received
                    self._move(uid)
                    continue
                data = client.fetch([uid], ["RFC822"]).get(uid)
                if data is None:
                    continue
                self.intake.process(data[b"RFC822"], where, received)
                handled += 1
                self.last_mail_at = received
            self._move(uid)
        if handled:
            self.on_processed(handled)
        return handled

    def _move(self, uid: int) -> None:
        client = self.client
        if client.has_capability("MOVE"):
            client.move([uid], self.processed)
        else:
            client.copy([uid], self.processed)
            client.delete_messages([uid])
            client.uid_expunge([uid]) if client.has_capability("UIDPLUS") else client.expunge()


class MailboxHub:
    """Many mailboxes, one waiting thread (``run``) and ``workers`` threads for their steps.

    Thread-safe entry points: ``add``, ``remove``, ``stop``. A watcher is either waiting (its socket
    registered with the selector, its deadline in ``waiting``) or running one step in a worker.
    """

    def __init__(self, workers: int = 4):
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="imap")
        self.selector = selectors.DefaultSelector()
        self.lock = threading.Lock()
        self.waiting: dict[MailboxWatcher, Wait] = {}
        self.running: set[MailboxWatcher] = set()
        self.watchers: set[MailboxWatcher] = set()
        self.stopped = threading.Event()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self.selector.register(self._wake_r, selectors.EVENT_READ, None)

    def _poke(self) -> None:
        with contextlib.suppress(OSError):
            self._wake_w.send(b"\0")

    def add(self, watcher: MailboxWatcher) -> None:
        with self.lock:
            self.watchers.add(watcher)
            self.waiting[watcher] = Wait(0)
        self._poke()

    def remove(self, watcher: MailboxWatcher) -> None:
        """Asks the watcher to log out; ``gone`` tells when it has."""
        watcher.stopping = True
        with self.lock:
            if watcher in self.waiting:
                self.waiting[watcher] = Wait(0)
        self._poke()

    def gone(self, watcher: MailboxWatcher) -> bool:
        with self.lock:
            return watcher not in self.watchers

    def stop(self) -> None:
        with self.lock:
            watchers = list(self.watchers)
        for watcher in watchers:
            self.remove(watcher)
        self.stopped.set()
        self._poke()

    def _done(self, watcher: MailboxWatcher, wait: Wait | None) -> None:
        with self.lock:
            self.running.discard(watcher)
            if wait is None:
                self.watchers.discard(watcher)
            else:
                self.waiting[watcher] = Wait(0) if watcher.stopping else wait
        self._poke()

    def _run_step(self, watcher: MailboxWatcher, readable: bool) -> None:
        wait = None
        try:
            wait = watcher.step(readable)
        finally:
            self._done(watcher, wait)

    def run(self) -> None:
        """Blocking loop for one thread; returns once stopped and every watcher has logged out."""
        try:
            while not (self.stopped.is_set() and not self.watchers):
                self._once()
        finally:
            self.pool.shutdown(wait=True)
            self.selector.close()
            self._wake_r.close()
            self._wake_w.close()

    def _once(self) -> None:
        with self.lock:
            registered = {key.fileobj: key.data for key in self.selector.get_map().values() if key.data}
            for sock, watcher in registered.items():  # drop registrations of watchers no longer waiting on them
                wait = self.waiting.get(watcher)
                if wait is None or wait.sock is not sock:
                    self.selector.unregister(sock)
            for watcher, wait in self.waiting.items():
                if wait.sock is not None and wait.sock not in registered:
                    with contextlib.suppress(ValueError, KeyError, OSError):
                        self.selector.register(wait.sock, selectors.EVENT_READ, watcher)
            timeout = max(0.0, min((w.until for w in self.waiting.values()), default=60) - time.monotonic())
        ready = {key.data for key, _ in self.selector.select(min(timeout, 60))}
        if None in ready:
            with contextlib.suppress(BlockingIOError):
                while self._wake_r.recv(4096):
                    pass
        now = time.monotonic()
        with self.lock:
            due = [(w, w in ready) for w, wait in self.waiting.items() if w in ready or wait.until <= now]
            for watcher, _ in due:
                wait = self.waiting.pop(watcher)
                if wait.sock is not None:
                    with contextlib.suppress(KeyError, ValueError):
                        self.selector.unregister(wait.sock)
                self.running.add(watcher)
        for watcher, readable in due:
            self.pool.submit(self._run_step, watcher, readable)
