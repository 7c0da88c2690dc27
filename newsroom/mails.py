"""Composing the mail the newsroom sends: Vietnamese plain text plus HTML, threaded per draft.

Every mail is built completely when it is queued, Message-ID included, so sending it again after a
crash sends the same message.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from email import policy
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from newsroom.lifecycle import DRAFT
from newsroom.settings import Settings

_env = Environment(
    loader=PackageLoader("newsroom", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
    auto_reload=False,  # package files, changed only by an upgrade (a restart): no stat() per mail
)

CATEGORY_NAMES = {
    "news": "Tin tức, sự kiện",
    "event_report": "Hội nghị, sơ kết, tổng kết",
    "urgent_dispatch": "Văn bản hỏa tốc, công điện",
    "legal_document": "Văn bản quy phạm pháp luật",
    "direction": "Chỉ đạo, điều hành",
    "schedule": "Lịch công tác",
    "invitation": "Giấy mời họp",
    "propaganda": "Tuyên truyền, phổ biến pháp luật",
    "procedure": "Thủ tục hành chính",
    "statistics": "Thông tin thống kê",
    "science": "Chương trình, đề tài khoa học",
    "qa": "Hỏi đáp, góp ý",
    "other": "Thông tin khác",
}
STATUS_NAMES = DRAFT.states


def when(moment: datetime | None, tz: str) -> str:
    """A moment as Vietnamese readers write it; 24:00 for the end of a day, as the law counts."""
    if moment is None:
        return "không xác định"
    local = moment.astimezone(ZoneInfo(tz))
    if (local.hour, local.minute) == (0, 0):
        prev = local - timedelta(days=1)
        return f"24:00 ngày {prev:%d/%m/%Y}"
    return f"{local:%H:%M} ngày {local:%d/%m/%Y}"


def number(value: float) -> str:
    """1.5 as Vietnamese write it: 1,5."""
    return f"{value:g}".replace(".", ",")


def dong(amount: int) -> str:
    """12.500.000 đ: money as Vietnamese write it."""
    return f"{amount:,} đ".replace(",", ".")


_env.filters["when"] = when
_env.filters["dong"] = dong
_env.filters["number"] = number
_env.globals["category_name"] = lambda key: CATEGORY_NAMES.get(key, key)
_env.globals["status_name"] = lambda key: STATUS_NAMES.get(key, key)


def render(template: str, context: dict) -> str:
    """One template rendered on its own: the text of a mail whose HTML part shows it as it is."""
    return _env.get_template(template).render(context)


SUBJECT_FIELD = re.compile(rb"^Subject:[^\r\n]*(?:\r\n[ \t][^\r\n]*)*", re.MULTILINE)


def to_bytes(msg: EmailMessage) -> bytes:
    """The message as sent. CPython's header folding drops the space between two encoded words in about
    a fifth of long Vietnamese subjects ("tổ chứchội nghị"); the Subject is written with the legacy
    encoder, which folds inside the encoded words and keeps every space."""
    head, sep, body = msg.as_bytes(policy=policy.SMTP).partition(b"\r\n\r\n")
    subject = Header(str(msg["Subject"]), "utf-8", header_name="Subject").encode(linesep="\r\n")
    head = SUBJECT_FIELD.sub(lambda _: b"Subject: " + subject.encode("ascii"), head, count=1)
    return head + sep + body


def new_message_id(settings: Settings) -> str:
    return make_msgid(domain=settings.smtp.from_address.rpartition("@")[2])


def compose(
    settings: Settings,
    template: str,
    to: list[str],
    subject: str,
    context: dict,
    *,
    reply_to: str | None = None,
    thread_root: str | None = None,
    in_reply_to: str | None = None,
    now: datetime,
    attachments: Sequence[tuple[str, str, bytes]] = (),
    inline: dict[str, tuple[str, bytes]] | None = None,
) -> EmailMessage:
    """``attachments``: (file name, content type, bytes); ``inline``: images the HTML shows, by name, as
    (content type, bytes); the template finds their Content-IDs in ``cid[name]``."""
    domain = settings.smtp.from_address.rpartition("@")[2]
    cids = {name: f"{name}.{secrets.token_hex(8)}@{domain}" for name in inline or {}}
    ctx = {"site": settings, "cid": cids, **context}
    msg = EmailMessage()
    msg["From"] = Address(settings.smtp.from_name, addr_spec=settings.smtp.from_address)
    msg["To"] = ", ".join(to)
    msg["Subject"] = subject
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = new_message_id(settings)
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Auto-Response-Suppress"] = "All"  # Outlook/Exchange: no out-of-office answers to us
    msg["Content-Language"] = settings.language
    if reply_to:
        msg["Reply-To"] = reply_to
    refs = [r for r in (thread_root, in_reply_to) if r]
    if refs:
        msg["In-Reply-To"] = in_reply_to or thread_root
        msg["References"] = " ".join(dict.fromkeys(refs))
    msg.set_content(_env.get_template(f"{template}.txt").render(ctx))
    msg.add_alternative(_env.get_template(f"{template}.html").render(ctx), subtype="html")
    html = msg.get_payload()[1]
    for name, (content_type, data) in (inline or {}).items():
        maintype, subtype = content_type.split("/")
        html.add_related(data, maintype, subtype, cid=f"<{cids[name]}>", disposition="inline")
    for filename, content_type, data in attachments:
        maintype, subtype = content_type.split("/")
        msg.add_attachment(data, maintype, subtype, filename=filename)
    return msg
