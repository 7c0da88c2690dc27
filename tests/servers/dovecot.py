"""A real Dovecot IMAP server with its own configuration (never /etc/dovecot), users and mailboxes.

Settings follow ../shared/design/testing.md: short base_dir, log_path in the folder, non-root
processes when run as root, one passwd file per user, no auth penalty, plain IMAP plus implicit TLS.
"""

from __future__ import annotations

import grp
import os
import pwd
import secrets
import subprocess
import time
from datetime import datetime

from imapclient import IMAPClient

from tests.servers.common import (
    free_port,
    make_certificate,
    need_binary,
    remove_folder,
    spawn,
    stop,
    temp_folder,
    wait_for_port,
)

# Dovecot gives its children a clean environment; under libfaketime they must keep its variables, or
# the IMAP and LMTP processes would stamp real time while everything else runs on the faked clock.
KEPT_ENVIRONMENT = ("TZ", "CORE_OUTOFMEM", "CORE_ERROR", "LISTEN_PID", "LISTEN_FDS")
FAKETIME_ENVIRONMENT = ("LD_PRELOAD", "FAKETIME", "FAKETIME_DONT_FAKE_MONOTONIC", "FAKE_UTIME", "FAKETIME_NO_CACHE")


class Dovecot:
    def __init__(self):
        self.binary = need_binary("dovecot", "dovecot-imapd dovecot-lmtpd")
        self.doveadm = need_binary("doveadm", "dovecot-core")
        self.root = temp_folder("dc")
        os.chmod(self.root, 0o755)
        if os.geteuid() == 0:
            account = pwd.getpwnam("dovecot")
            self.user, self.group = account.pw_name, grp.getgrgid(account.pw_gid).gr_name
            self.uid, self.gid = account.pw_uid, account.pw_gid
        else:
            self.user, self.group = pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name
            self.uid, self.gid = os.getuid(), os.getgid()
        self.port, self.tls_port, self.lmtp_port = free_port(), free_port(), free_port()
        self.cert, self.key = make_certificate(self.root)
        self.users: dict[str, str] = {}
        (self.root / "users").mkdir()
        (self.root / "mail").mkdir()
        os.chown(self.root / "mail", self.uid, self.gid)
        self.conf = self.root / "dovecot.conf"
        self.conf.write_text(self._config())
        self.proc: subprocess.Popen | None = None

    def _config(self) -> str:
        r = self.root
        return f"""
protocols = imap lmtp
listen = 127.0.0.1
import_environment = {" ".join(KEPT_ENVIRONMENT + tuple(v for v in FAKETIME_ENVIRONMENT if v in os.environ))}
base_dir = {r}/run
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
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.tls_port}
    ssl = yes
  }}
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
        home = self.root / "mail" / address
        home.mkdir(parents=True, exist_ok=True)
        os.chown(home, self.uid, self.gid)
        (self.root / "users" / address.lower()).write_text(
            f"{address.lower()}:{{PLAIN}}{password}:{self.uid}:{self.gid}::{home}::\n"
        )
        self.users[address.lower()] = password
        return password

    def start(self) -> Dovecot:
        self.proc = spawn([self.binary, "-F", "-c", str(self.conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            wait_for_port(self.port, 20, self.proc)
            wait_for_port(self.lmtp_port, 20, self.proc)
        except Exception as exc:
            log = (self.root / "dovecot.log").read_text() if (self.root / "dovecot.log").exists() else ""
            raise RuntimeError(f"dovecot did not start: {exc}\n{log[-2000:]}") from exc
        return self

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc, timeout=10)
        remove_folder(self.root)

    def admin(self, *args: str, stdin: bytes | None = None) -> str:
        done = subprocess.run([self.doveadm, "-c", str(self.conf), *args], input=stdin, capture_output=True, check=True)
        return done.stdout.decode()

    def client(self, address: str) -> IMAPClient:
        client = IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=10)
        client.login(address, self.users[address.lower()])
        return client

    def deliver(self, address: str, raw: bytes, received: datetime) -> None:
        """Deliver into the mailbox's Maildir as a local delivery agent (procmail, maildrop) does, arriving
        at ``received``: Dovecot reads the arrival time (INTERNALDATE) from the file's mtime. Unlike IMAP
        APPEND, which Dovecot clamps to its own clock when the date is in its future, any scenario time
        survives, whatever the machine's date."""
        home = self.root / "mail" / address.lower() / "Maildir"
        for sub in ("tmp", "new", "cur"):
            (home / sub).mkdir(parents=True, exist_ok=True)
            os.chown(home / sub, self.uid, self.gid)
        os.chown(home, self.uid, self.gid)
        stamp = received.timestamp()
        name = f"{int(stamp)}.M{secrets.token_hex(6)}P{os.getpid()}.toasoan-tests,S={len(raw)}"
        tmp = home / "tmp" / name
        tmp.write_bytes(raw)
        os.chown(tmp, self.uid, self.gid)
        os.utime(tmp, (stamp, stamp))
        os.rename(tmp, home / "new" / name)

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
