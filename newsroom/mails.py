"""Composing the mail the newsroom sends: plain text plus HTML, threaded per draft, in the site's language.

Every mail is built completely when it is queued, Message-ID included, so sending it again after a
crash sends the same message. The templates mark their texts with ``_()`` and ``{% trans %}``
(jinja2.ext.i18n); each language has its own Jinja environment holding that language's translations
(newsroom/i18n.py), so two sites of one process never mix their languages.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from email import policy
from email.charset import Charset
from email.encoders import encode_base64
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from functools import cache
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from newsroom import i18n
from newsroom.i18n import N_
from newsroom.lifecycle import DRAFT
from newsroom.settings import Settings

CATEGORY_NAMES = {
    "news": N_("Tin tức, sự kiện"),
    "event_report": N_("Hội nghị, sơ kết, tổng kết"),
    "urgent_dispatch": N_("Văn bản hỏa tốc, công điện"),
    "legal_document": N_("Văn bản quy phạm pháp luật"),
    "direction": N_("Chỉ đạo, điều hành"),
    "schedule": N_("Lịch công tác"),
    "invitation": N_("Giấy mời họp"),
    "propaganda": N_("Tuyên truyền, phổ biến pháp luật"),
    "procedure": N_("Thủ tục hành chính"),
    "statistics": N_("Thông tin thống kê"),
    "science": N_("Chương trình, đề tài khoa học"),
    "qa": N_("Hỏi đáp, góp ý"),
    "other": N_("Thông tin khác"),
}
STATUS_NAMES = DRAFT.states


def when(moment: datetime | None, tz: str, language: str = "vi") -> str:
    """A moment as readers of the language write it; 24:00 for the end of a day, as the law counts."""
    if moment is None:
        _ = i18n.gettext(language)
        return _("không xác định")
    local = moment.astimezone(ZoneInfo(tz))
    midnight = (local.hour, local.minute) == (0, 0)
    day = local - timedelta(days=1) if midnight else local
    hour = "24:00" if midnight else f"{local:%H:%M}"
    if language == "vi":
        return f"{hour} ngày {day:%d/%m/%Y}"
    from babel.dates import format_date

    return f"{format_date(day, 'd MMMM y', locale=language)}, {hour}"


def number(value: float, language: str = "vi") -> str:
    """1.5 as Vietnamese write it: 1,5 (and as the language writes it otherwise)."""
    if language == "vi":
        return f"{value:g}".replace(".", ",")
    from babel.numbers import format_decimal

    return format_decimal(value, locale=language)


def dong(amount: int, language: str = "vi") -> str:
    """12.500.000 đ: money as Vietnamese write it; 12,500,000 VND in English."""
    if language == "vi":
        return f"{amount:,} đ".replace(",", ".")
    from babel.numbers import format_decimal

    return f"{format_decimal(amount, locale=language)} VND"


def category_name(key: str, language: str = "vi") -> str:
    return i18n.gettext(language)(CATEGORY_NAMES[key]) if key in CATEGORY_NAMES else key


def status_name(key: str, language: str = "vi") -> str:
    return i18n.gettext(language)(STATUS_NAMES[key]) if key in STATUS_NAMES else key


@cache
def environment(language: str) -> Environment:
    """The templates with one language's translations, filters and names."""
    env = Environment(
        loader=PackageLoader("newsroom", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
        auto_reload=False,  # package files, changed only by an upgrade (a restart): no stat() per mail
    )
    env.install_gettext_translations(i18n.translations(language), newstyle=True)
    env.filters["when"] = lambda moment, tz: when(moment, tz, language)
    env.filters["dong"] = lambda amount: dong(amount, language)
    env.filters["number"] = lambda value: number(value, language)
    env.globals["category_name"] = lambda key: category_name(key, language)
    env.globals["status_name"] = lambda key: status_name(key, language)
    return env


def render(template: str, context: dict, language: str = "vi") -> str:
    """One template rendered on its own: the text of a mail whose HTML part shows it as it is."""
    return environment(language).get_template(template).render(context)


SMTP = policy.compat32.clone(linesep="\r\n")
UTF8 = Charset("utf-8")  # base64 bodies, encoded-word headers
EIGHT_BIT = Charset("utf-8")
EIGHT_BIT.body_encoding = None


def to_bytes(msg: Message) -> bytes:
    """The message as sent, lines ending in CRLF."""
    return msg.as_bytes(policy=SMTP)


def new_message_id(settings: Settings) -> str:
    return make_msgid(domain=settings.smtp.from_address.rpartition("@")[2])


def _address(text: str) -> str:
    """An address as a header holds it: a display name outside ASCII as an encoded word."""
    name, address = parseaddr(text)
    return formataddr((name, address), charset="utf-8") if name else address


def _text(body: str, subtype: str) -> Message:
    """UTF-8 as it is (8bit) when every line fits SMTP's 998 octets, as the modern API chooses; base64
    otherwise (a long line of a draft's HTML)."""
    encoded = body.encode("utf-8")
    part = MIMENonMultipart("text", subtype)
    part.set_payload(body, EIGHT_BIT if all(len(line) <= 998 for line in encoded.splitlines()) else UTF8)
    return part


def _binary(content_type: str, data: bytes, disposition: str, **params) -> Message:
    part = MIMENonMultipart(*content_type.split("/"))
    part.set_payload(data)
    encode_base64(part)
    part.add_header("Content-Disposition", disposition, **params)
    return part


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
) -> Message:
    """``attachments``: (file name, content type, bytes); ``inline``: images the HTML shows, by name, as
    (content type, bytes); the template finds their Content-IDs in ``cid[name]``.

    Built with the email package's compat32 classes: the modern API parses each header when it is set
    and folds it again when written, four times the cost of the whole mail (a province's daemon writes
    four for each submission). ``Header`` folds inside encoded words and keeps every space between
    Vietnamese words, where the modern folder drops the space between two encoded words in about a fifth
    of long subjects."""
    domain = settings.smtp.from_address.rpartition("@")[2]
    cids = {name: f"{name}.{secrets.token_hex(8)}@{domain}" for name in inline or {}}
    ctx = {"site": settings, "cid": cids, **context}
    env = environment(settings.language)
    html: Message = _text(env.get_template(f"{template}.html").render(ctx), "html")
    if inline:
        html = MIMEMultipart("related", _subparts=[html])
        for name, (content_type, data) in inline.items():
            image = _binary(content_type, data, "inline")
            image["Content-ID"] = f"<{cids[name]}>"
            html.attach(image)
    text = _text(env.get_template(f"{template}.txt").render(ctx), "plain")
    msg = MIMEMultipart("alternative", _subparts=[text, html])
    if attachments:
        msg = MIMEMultipart("mixed", _subparts=[msg])
        for filename, content_type, data in attachments:
            msg.attach(_binary(content_type, data, "attachment", filename=("utf-8", "", filename)))
    for part in msg.walk():  # the classes give every part a MIME-Version; it belongs to the head alone
        if part is not msg:
            del part["MIME-Version"]
    msg["From"] = formataddr((settings.smtp.from_name, settings.smtp.from_address), charset="utf-8")
    msg["To"] = ", ".join(_address(a) for a in to)
    msg["Subject"] = Header(subject, UTF8, header_name="Subject")
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = new_message_id(settings)
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Auto-Response-Suppress"] = "All"  # Outlook/Exchange: no out-of-office answers to us
    if reply_to:
        msg["Reply-To"] = _address(reply_to)
    refs = [r for r in (thread_root, in_reply_to) if r]
    if refs:
        msg["In-Reply-To"] = in_reply_to or thread_root
        msg["References"] = " ".join(dict.fromkeys(refs))
    msg["Content-Language"] = settings.language
    return msg
