"""The local site of a configuration: its mail server (Dovecot and the relay), its accounts and its website.

Everything comes from the configuration (config/example.toml): the IMAP port of [imap], the SMTP port of
[smtp], the website's address in [cms] url, and one mailbox for each person it names (board, office head,
departments, units, operator) plus a citizen. Every account logs in with the board mailbox's password, so
a mail client needs one printed line. The Q&A addresses are delivered to the board's mailbox, as the
configuration asks a real mail server to do.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from newsroom.settings import Secret, Settings
from toasoan.local import processes

CITIZEN = ("Nguyễn Thị Mai", "mai.nguyen@example.com")
LOCAL_HOSTS = ("127.0.0.1", "localhost")
# The secrets a local site needs, made on its first start when their files are missing: which of the
# settings' secrets, and how a value is made.
LOCAL_SECRETS: tuple[tuple[Callable[[Settings], Secret | None], Callable[[], str]], ...] = (
    (lambda s: s.secret, lambda: secrets.token_hex(32)),  # signs the reply keys
    (lambda s: s.imap.password, lambda: secrets.token_urlsafe(9)),  # every local account's password
    (lambda s: s.smtp.password, lambda: secrets.token_urlsafe(9)),  # the same file in config/example.toml
)


class LocalSiteError(Exception):
    """The configuration cannot be served on this machine; the message says what to change."""


@dataclass(frozen=True)
class Account:
    address: str
    name: str
    what: str  # who this is, for the printed list


def accounts(settings: Settings) -> list[Account]:
    """Every mailbox of the local site, the board's first; each address once."""
    found = [Account(settings.imap.username.lower(), "Ban biên tập", "hộp thư Ban biên tập (toasoan đọc)")]
    found += [Account(p.address, p.name, "Ban biên tập") for p in settings.board]
    found.append(Account(settings.office_head.address, settings.office_head.name, "thủ trưởng"))
    found += [Account(a.lower(), d.name, "đơn vị gửi bài") for d in settings.departments for a in d.addresses]
    questions = settings.questions
    units = [*questions.units.values(), *([questions.default_unit] if questions.default_unit else [])]
    found += [Account(u.address, u.name, "đơn vị trả lời câu hỏi") for u in units]
    if settings.operator:
        found.append(Account(settings.operator.address, settings.operator.name, "quản trị"))
    found.append(Account(CITIZEN[1], CITIZEN[0], "công dân"))
    return list({a.address: a for a in found}.values())


def web_port(settings: Settings) -> int:
    return urlparse(settings.cms.url).port or 80


def check(settings: Settings) -> None:
    """Raise LocalSiteError unless the configuration points at servers on this machine and a folder CMS."""
    problems = []
    if not _mail_is_local(settings):
        problems.append("[imap] host và [smtp] host phải là 127.0.0.1")
    if "@" not in settings.imap.username:
        problems.append("[imap] username phải là địa chỉ thư (bbt@…) để có hộp thư trên máy này")
    if settings.cms.kind != "folder" or urlparse(settings.cms.url).hostname not in LOCAL_HOSTS:
        problems.append('[cms] cần kind = "folder" và url = "http://127.0.0.1:8080"')
    if problems:
        raise LocalSiteError("cấu hình này không chạy được trên máy này: " + "; ".join(problems))


def _mail_is_local(settings: Settings) -> bool:
    return settings.imap.host in LOCAL_HOSTS and settings.smtp.host in LOCAL_HOSTS


def make_secrets(settings: Settings) -> list[Path]:
    """The local site's secret files that do not exist yet, made (readable by their owner alone): a
    newcomer's first `toasoan local` or `toasoan demo` needs no step before it (loading the settings reads
    no secret; connecting does). Only for a configuration whose mail servers are on this machine; a file
    that exists is never touched."""
    if not _mail_is_local(settings):
        return []
    made = []
    for secret_of, value in LOCAL_SECRETS:
        secret = secret_of(settings)
        if secret is None or secret.file is None:
            continue
        secret.file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            descriptor = os.open(secret.file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # made earlier, by the other file's entry, or by the other command meanwhile
            continue
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(value() + "\n")
        made.append(secret.file)
    return made


def mail_root(settings: Settings) -> Path:
    """Where the mail server keeps its configuration and mailboxes: under data_dir, unless Dovecot's own
    account cannot reach it there (a checkout under /root), then in /var/lib/toasoan."""
    from toasoan.local.dovecot import mail_account, reachable

    root = settings.data_dir / "local" / "mail"
    if reachable(settings.data_dir, mail_account()[2]):
        return root
    digest = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:10]
    return Path("/var/lib/toasoan") / f"local-{digest}"


def ports(settings: Settings) -> dict[str, int]:
    return {"IMAP": settings.imap.port, "SMTP": settings.smtp.port, "web": web_port(settings)}


def running(settings: Settings) -> bool:
    """Are this site's servers already up (started by `toasoan local` elsewhere)? Some but not all of its
    ports answering means something else holds them: that is said, not guessed around."""
    answering = {name: processes.listening(port) for name, port in ports(settings).items()}
    if all(answering.values()):
        return True
    if any(answering.values()):
        taken = ", ".join(f"{name} {ports(settings)[name]}" for name, up in answering.items() if up)
        raise LocalSiteError(f"cổng {taken} đang bị một chương trình khác dùng; dừng nó hoặc đổi cổng trong cấu hình")
    return False


class LocalSite:
    """Dovecot, the relay and the website of ``settings``, started and stopped together."""

    def __init__(self, settings: Settings):
        check(settings)
        self.settings = settings
        self.password = settings.imap.password.resolve()
        self.accounts = accounts(settings)
        self.dovecot = None
        self.smtp = None
        self.web = None

    def start(self) -> LocalSite:
        from publisher.site import Site, WebServer
        from toasoan.local.dovecot import Dovecot
        from toasoan.local.relay import SmtpServer

        settings = self.settings
        try:
            self.dovecot = Dovecot(mail_root(settings), port=settings.imap.port, lmtp_port=processes.free_port())
            for account in self.accounts:
                self.dovecot.add_user(account.address, self.password)
            self.dovecot.start()
            board = settings.imap.username.lower()
            aliases = {a: board for a in settings.questions.addresses}
            if settings.smtp.from_address.lower() != board:
                aliases[settings.smtp.from_address.lower()] = board
            users = self.dovecot.users
            self.smtp = SmtpServer(
                self.dovecot.cert,
                self.dovecot.key,
                lmtp_port=self.dovecot.lmtp_port,
                port=settings.smtp.port,
                require_tls=False,
                accounts=lambda login, secret: users.get(login.lower()) == secret,
                aliases=aliases,
            ).start()
            site = Site(settings.cms.folder, settings.site_name, settings.cms.categories.get("qa", ""))
            self.web = WebServer(site, web_port(settings)).start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for server in (self.web, self.smtp, self.dovecot):
            if server is not None:
                server.stop()
        self.web = self.smtp = self.dovecot = None

    def guide(self, config: str) -> list[str]:
        """The five lines a newcomer needs, printed when the site is up."""
        s = self.settings
        department = next((a.address for a in self.accounts if a.what == "đơn vị gửi bài"), "")
        board = ", ".join(p.address for p in s.board[:2])
        return [
            f"Thư: IMAP 127.0.0.1:{s.imap.port}, SMTP 127.0.0.1:{s.smtp.port} (bảo mật: không, hoặc STARTTLS), "
            f"tên đăng nhập là địa chỉ thư, mật khẩu chung: {self.password}",
            f"Tài khoản: {department} (đơn vị), {board} (Ban biên tập), {s.office_head.address} (thủ trưởng), "
            f"{CITIZEN[1]} (công dân); hộp thư Ban biên tập: {s.imap.username}",
            f"Thử: gửi thư kèm .docx có ảnh từ {department} đến {s.smtp.from_address}, rồi trả lời thư "
            "“Cần duyệt” bằng “Duyệt”",
            f"Trang web: {s.cms.url}",
            f"Cả câu chuyện trong một phút (ở cửa sổ khác): .venv/bin/toasoan demo --config {config}",
        ]
