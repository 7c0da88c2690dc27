"""The tests' Dovecot is the local site's (toasoan/local/dovecot.py) in a registered temporary folder, on
free ports with implicit TLS too, its process group registered so that nothing outlives the run; and a
delivery straight into a Maildir at any scenario time."""

from __future__ import annotations

import os
import secrets
from datetime import datetime

from tests.servers.common import free_port, need_binary, remove_folder, spawn, stop, temp_folder
from toasoan.local import dovecot


class Dovecot(dovecot.Dovecot):
    def __init__(self):
        need_binary("dovecot", dovecot.PACKAGES)
        need_binary("openssl", "openssl")
        super().__init__(
            temp_folder("dc"), port=free_port(), lmtp_port=free_port(), tls_port=free_port(), spawn=spawn, stop=stop
        )

    def stop(self) -> None:
        super().stop()
        remove_folder(self.root)

    def deliver(self, address: str, raw: bytes, received: datetime) -> None:
        """Deliver into the mailbox's Maildir as a local delivery agent (procmail, maildrop) does, arriving
        at ``received``: Dovecot reads the arrival time (INTERNALDATE) from the file's mtime. Unlike IMAP
        APPEND, which Dovecot clamps to its own clock when the date is in its future, any scenario time
        survives, whatever the machine's date."""
        home = self.home(address) / "Maildir"
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
