"""A complete site on one machine, for trying toasoan: real Dovecot for IMAP, an aiosmtpd relay for SMTP
that delivers into Dovecot over LMTP, and a small website showing what the folder CMS published. The tests
start the same servers (tests/servers/), so the demo and the suite exercise one implementation."""
