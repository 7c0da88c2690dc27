"""A real SMTP server (aiosmtpd) in the test process that delivers what it receives into Dovecot over LMTP,
so a test reads the daemon's mail in the recipient's mailbox, as a person would.

It requires STARTTLS (or implicit TLS) and AUTH, like a production submission server.
"""

from __future__ import annotations

import smtplib
import ssl
import threading
from contextlib import suppress
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from tests.servers.common import free_port


class Relay:
    """Delivers each accepted message to Dovecot's LMTP port and keeps a copy for assertions."""

    def __init__(self, lmtp_port: int | None):
        self.lmtp_port = lmtp_port
        self.received: list[tuple[str, list[str], bytes]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        with self.lock:
            self.received.append((envelope.mail_from, list(envelope.rcpt_tos), raw))
        for rcpt in envelope.rcpt_tos if self.lmtp_port else []:
            # one recipient per transaction: smtplib does not read LMTP's per-recipient replies to DATA
            # an address with no mailbox is refused by LMTP but still counted as received
            with smtplib.LMTP("127.0.0.1", self.lmtp_port) as lmtp, suppress(smtplib.SMTPRecipientsRefused):
                lmtp.sendmail(envelope.mail_from or "<>", [rcpt], raw)
        return "250 OK"

    def messages(self):
        with self.lock:
            return [message_from_bytes(raw, policy=policy.default) for _, _, raw in self.received]


class SmtpServer:
    def __init__(
        self,
        cert,
        key,
        lmtp_port: int | None = None,
        implicit_tls: bool = False,
        username: str = "toasoan",
        password: str = "smtp-secret",
    ):
        self.port = free_port()
        self.username, self.password = username, password
        self.relay = Relay(lmtp_port)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)

        def authenticate(server, session, envelope, mechanism, auth_data):
            ok = auth_data.login.decode() == username and auth_data.password.decode() == password
            return AuthResult(success=ok, handled=False, auth_data=auth_data)

        options = dict(authenticator=authenticate, auth_required=True)
        if implicit_tls:
            self.controller = Controller(
                self.relay,
                hostname="127.0.0.1",
                port=self.port,
                ssl_context=context,
                auth_require_tls=False,
                **options,
            )
        else:
            self.controller = Controller(
                self.relay,
                hostname="127.0.0.1",
                port=self.port,
                tls_context=context,
                require_starttls=True,
                auth_require_tls=True,
                **options,
            )

    def start(self) -> SmtpServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()
