"""A real Dovecot IMAP server with its own configuration (never /etc/dovecot), users and Maildir mailboxes.

Settings follow the project's testing notes: a short base_dir (unix socket paths stay under 108
characters), log_path in the folder (containers have no syslog), non-root processes when run as root
(the package's dovecot account owns the mail), one passwd file per user (a shared one is re-read at
most once a second), no auth penalty, plain IMAP with STARTTLS, LMTP for delivery, optional implicit TLS.
"""

from __future__ import annotations

import grp
import hashlib
import os
import pwd
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from imapclient import IMAPClient

from toasoan.local import processes

# Dovecot gives its children a clean environment; under libfaketime they must keep its variables, or
# the IMAP and LMTP processes would stamp real time while everything else runs on the faked clock.
KEPT_ENVIRONMENT = ("TZ", "CORE_OUTOFMEM", "CORE_ERROR", "LISTEN_PID", "LISTEN_FDS")
FAKETIME_ENVIRONMENT = ("LD_PRELOAD", "FAKETIME", "FAKETIME_DONT_FAKE_MONOTONIC", "FAKE_UTIME", "FAKETIME_NO_CACHE")
PACKAGES = "dovecot-imapd dovecot-lmtpd"


def mail_account() -> tuple[str, str, int, int]:
    """The (user, group, uid, gid) the mail belongs to: Dovecot's own account when run as root."""
    if os.geteuid() == 0:
        account = pwd.getpwnam("dovecot")
        return account.pw_name, grp.getgrgid(account.pw_gid).gr_name, account.pw_uid, account.pw_gid
    return pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name, os.getuid(), os.getgid()


def reachable(path: Path, uid: int) -> bool:
    """Can the account ``uid`` walk down to ``path``? A checkout under /root is not, for Dovecot's account."""
    for folder in [*reversed(path.resolve().parents), path.resolve()]:
        if not folder.exists():
            break
        info = folder.stat()
        if not (info.st_mode & 0o001 or (info.st_uid == uid and info.st_mode & 0o100)):
            return False
    return True


class Dovecot:
    """One Dovecot instance rooted in ``root`` (configuration, users, mail, log), listening on 127.0.0.1."""

    def __init__(
        self,
        root: Path,
        port: int,
        lmtp_port: int,
        tls_port: int | None = None,
        spawn: Callable[..., subprocess.Popen] = processes.spawn,
        stop: Callable[[subprocess.Popen], None] = processes.stop,
    ):
        self.binary, self.doveadm = processes.find_binary("dovecot"), processes.find_binary("doveadm")
        if not self.binary or not self.doveadm:
            raise RuntimeError(f"Dovecot is missing: apt-get install -y {PACKAGES}")
        self.root, self.port, self.lmtp_port, self.tls_port = root, port, lmtp_port, tls_port
        self._spawn, self._stop = spawn, stop
        self.user, self.group, self.uid, self.gid = mail_account()
        self.root.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o755)
        self.cert, self.key = processes.make_certificate(self.root)
        self.users: dict[str, str] = {}
        (self.root / "users").mkdir(exist_ok=True)
        (self.root / "mail").mkdir(exist_ok=True)
        os.chown(self.root / "mail", self.uid, self.gid)
        # the sockets need a short path: in root when it is short, else a folder of its own in /tmp
        digest = hashlib.sha256(str(self.root.resolve()).encode()).hexdigest()[:10]
        short = len(str(self.root)) < 60
        self.base_dir = self.root / "run" if short else Path(tempfile.gettempdir()) / f"toasoan-dc-{digest}"
        self.conf = self.root / "dovecot.conf"
        self.conf.write_text(self._config())
        self.proc: subprocess.Popen | None = None

    def _config(self) -> str:
        r = self.root
        # without a TLS port, port 0 turns the IMAPS listener off: left out, Dovecot would take 993, and a
        # second local site on this machine (another checkout, the test suite's) could not start
        imaps = f"""
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.tls_port or 0}
    ssl = yes
  }}"""
        return f"""
protocols = imap lmtp
listen = 127.0.0.1
import_environment = {" ".join(KEPT_ENVIRONMENT + tuple(v for v in FAKETIME_ENVIRONMENT if v in os.environ))}
base_dir = {self.base_dir}
state_dir = {r}/state
log_path = {r}/dovecot.log
info_log_path = {r}/dovecot.log
ssl = yes
ssl_cert = <{self.cert}
ssl_key = <{self.key}
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
default_internal_user = {self.user}
default_internal_group = {self.group}
default_login_user = {self.user}
first_valid_uid = 1
mail_location = maildir:~/Maildir
mail_fsync = never
mail_max_userip_connections = 100
recipient_delimiter = +
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {r}/users/%Lu
}}
userdb {{
  driver = passwd-file
  args = {r}/users/%Lu
}}
service anvil {{
  chroot =
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}{imaps}
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {self.lmtp_port}
  }}
}}
service stats {{
  chroot =
}}
protocol lmtp {{
  auth_username_format = %Lu
}}
"""

    def add_user(self, address: str, password: str = "secret") -> str:
        """A mailbox for ``address`` (kept if it exists) that logs in with ``password``."""
        home = self.home(address)
        home.mkdir(parents=True, exist_ok=True)
        os.chown(home, self.uid, self.gid)
        (self.root / "users" / address.lower()).write_text(
            f"{address.lower()}:{{PLAIN}}{password}:{self.uid}:{self.gid}::{home}::\n"
        )
        self.users[address.lower()] = password
        return password

    def home(self, address: str) -> Path:
        return self.root / "mail" / address.lower()

    def start(self) -> Dovecot:
        self.proc = self._spawn(
            [self.binary, "-F", "-c", str(self.conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        try:
            processes.wait_for_port(self.port, 20, self.proc)
            processes.wait_for_port(self.lmtp_port, 20, self.proc)
        except Exception as exc:
            log = (self.root / "dovecot.log").read_text() if (self.root / "dovecot.log").exists() else ""
            self.stop()
            raise RuntimeError(f"dovecot did not start: {exc}\n{log[-2000:]}") from exc
        return self

    def stop(self) -> None:
        if self.proc is not None:
            self._stop(self.proc, timeout=10)
            self.proc = None

    def admin(self, *args: str, stdin: bytes | None = None) -> str:
        done = subprocess.run([self.doveadm, "-c", str(self.conf), *args], input=stdin, capture_output=True, check=True)
        return done.stdout.decode()

    def client(self, address: str) -> IMAPClient:
        client = IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=10)
        client.login(address, self.users[address.lower()])
        return client

    def messages(self, address: str, folder: str = "INBOX") -> list[bytes]:
        folder = folder.replace("/", ".")  # maildir's hierarchy separator
        with self.client(address) as client:
            if not client.folder_exists(folder):
                return []
            client.select_folder(folder, readonly=True)
            uids = client.search(["ALL"])
            # A message the daemon moves between SEARCH and FETCH comes back without a body: it is gone.
            fetched = sorted(client.fetch(uids, ["RFC822"]).items()) if uids else []
            return [d[b"RFC822"] for _, d in fetched if b"RFC822" in d]

    def wait_for(self, address: str, predicate, timeout: float = 20, folder: str = "INBOX") -> list[bytes]:
        """Messages in the mailbox once ``predicate(messages)`` holds, or AssertionError after the timeout."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.messages(address, folder)
            if predicate(found):
                return found
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{address}/{folder}: condition not met after {timeout} s; has {len(found)} messages"
                )
            time.sleep(0.2)
