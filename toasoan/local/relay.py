"""A real SMTP server (aiosmtpd) that delivers what it receives into Dovecot over LMTP, as a site's mail
server delivers to its mailboxes: mail sent to any local account lands in that account's inbox.

It offers STARTTLS (or implicit TLS) and requires AUTH. The tests require TLS before AUTH, like a
production submission server; the local site lets a mail client on 127.0.0.1 log in without it.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import threading
import warnings
from collections.abc import Callable
from email import message_from_bytes, policy
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

log = logging.getLogger("toasoan.local")
# aiosmtpd says at every connection that AUTH without TLS is risky: the local site allows it on purpose
# (127.0.0.1 only, so a mail client needs no certificate exception), and the tests require TLS.
logging.getLogger("mail.log").setLevel(logging.ERROR)
warnings.filterwarnings("ignore", "Requiring AUTH while not requiring TLS", UserWarning)


class Relay:
    """Delivers each accepted message to Dovecot's LMTP port and keeps a copy for assertions.

    ``aliases`` maps an address to the mailbox that receives its mail (the Q&A address to the board's)."""

    def __init__(self, lmtp_port: int | None, aliases: dict[str, str] | None = None):
        self.lmtp_port = lmtp_port
        self.aliases = {k.lower(): v for k, v in (aliases or {}).items()}
        self.received: list[tuple[str, list[str], bytes]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        with self.lock:
            self.received.append((envelope.mail_from, list(envelope.rcpt_tos), raw))
        for rcpt in envelope.rcpt_tos if self.lmtp_port else []:
            target = self.aliases.get(rcpt.lower(), rcpt)
            # one recipient per transaction: smtplib does not read LMTP's per-recipient replies to DATA
            try:
                with smtplib.LMTP("127.0.0.1", self.lmtp_port) as lmtp:
                    lmtp.sendmail(envelope.mail_from or "<>", [target], raw)
            except smtplib.SMTPRecipientsRefused:
                # an address with no mailbox here: counted as received, delivered nowhere
                log.info("không có hộp thư %s trên máy này: thư không được chuyển", target)
        return "250 OK"

    def messages(self):
        with self.lock:
            return [message_from_bytes(raw, policy=policy.default) for _, _, raw in self.received]


class SmtpServer:
    """aiosmtpd on 127.0.0.1 in a thread of this process. ``accounts`` tells whether a login is good."""

    def __init__(
        self,
        cert: Path,
        key: Path,
        lmtp_port: int | None = None,
        port: int = 0,
        implicit_tls: bool = False,
        require_tls: bool = True,
        accounts: Callable[[str, str], bool] | None = None,
        aliases: dict[str, str] | None = None,
        username: str = "toasoan",
        password: str = "smtp-secret",
    ):
        from toasoan.local.processes import free_port

        self.port = port or free_port()
        self.username, self.password = username, password
        self.relay = Relay(lmtp_port, aliases)
        check = accounts or (lambda login, secret: login == username and secret == password)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)

        def authenticate(server, session, envelope, mechanism, auth_data):
            ok = check(auth_data.login.decode(), auth_data.password.decode())
            return AuthResult(success=ok, handled=False, auth_data=auth_data)

        options = dict(
            authenticator=authenticate, auth_required=True, hostname="127.0.0.1", port=self.port, ready_timeout=10
        )
        if implicit_tls:
            self.controller = Controller(self.relay, ssl_context=context, auth_require_tls=False, **options)
        else:
            self.controller = Controller(
                self.relay,
                tls_context=context,
                require_starttls=require_tls,
                auth_require_tls=require_tls,
                **options,
            )

    def start(self) -> SmtpServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()
