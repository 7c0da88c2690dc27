"""The SMTP server of the tests is the local site's (toasoan/local/relay.py): aiosmtpd in the test process
delivering into Dovecot over LMTP, so a test reads the daemon's mail in the recipient's mailbox, as a
person would. Here it requires STARTTLS (or implicit TLS) before AUTH, like a production submission server.
"""

from toasoan.local.relay import Relay, SmtpServer

__all__ = ["Relay", "SmtpServer"]
