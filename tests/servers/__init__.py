"""Real servers for the tests (Dovecot, aiosmtpd, WordPress), started on 127.0.0.1 in temporary folders."""
