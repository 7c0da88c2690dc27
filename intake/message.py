"""Reading one raw message (mail-parser over the standard library) into the parts intake needs."""

from __future__ import annotations

import base64
import re
import unicodedata
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime

import ftfy
import mailparser


@dataclass
class Attachment:
    filename: str
    content_type: str
    data: bytes
    content_id: str = ""


@dataclass
class Mail:
    message_id: str | None
    subject: str
    sender_address: str
    sender_name: str
    recipients: list[str]
    in_reply_to: str | None
    references: list[str]
    text: str
    html: str
    attachments: list[Attachment]
    headers: Message
    date: object = None
    defects: list[str] = field(default_factory=list)

    def header(self, name: str) -> str:
        value = self.headers.get(name)
        return str(value).strip() if value is not None else ""


def size_text(size: int) -> str:
    """A size as people read it: "850 KB", "25.0 MB"."""
    return f"{size / 1024:.0f} KB" if size < 1024 * 1024 else f"{size / 1048576:.1f} MB"


def nfc(text: str) -> str:
    """NFC (TCVN 6909:2001), after undoing mislabelled charsets: UTF-8 declared as Latin-1 or Windows-1252
    reads "Kính gá»\xadi"; ftfy recognises that and decodes it again."""
    return unicodedata.normalize("NFC", ftfy.fix_encoding(text or ""))


def safe_filename(name: str, fallback: str = "tep-dinh-kem") -> str:
    """A name that is safe on any disk and in any URL path segment: no folders, controls or odd marks."""
    name = nfc(name).replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[\x00-\x1f\x7f<>:\"|?*]", "", name).strip(" .")
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    stem = re.sub(r"\s+", " ", stem)[:120] or fallback
    ext = re.sub(r"[^A-Za-z0-9]", "", ext)[:10].lower()
    return f"{stem}.{ext}" if ext else stem


def header_text(msg: Message, name: str) -> str:
    """The first occurrence of a header, RFC 2047 words decoded; repeated headers do happen in the wild."""
    values = msg.get_all(name) or []
    if not values:
        return ""
    try:
        return str(make_header(decode_header(str(values[0]))))
    except (ValueError, LookupError, UnicodeError):
        return str(values[0])


def _lenient_b64(text: str) -> bytes:
    """Base64 as mail clients really write it: stray characters and missing padding are forgiven."""
    clean = re.sub(r"[^A-Za-z0-9+/]", "", text)
    clean = clean[: len(clean) - len(clean) % 4] if len(clean) % 4 == 1 else clean + "=" * (-len(clean) % 4)
    return base64.b64decode(clean)


def _ids(value: str) -> list[str]:
    return re.findall(r"<[^<>\s]+>", value or "")


def parse(raw: bytes) -> Mail:
    parsed = mailparser.parse_from_bytes(raw.lstrip(b"\r\n"))  # some senders put a blank line before headers
    msg = parsed.message
    name, address = "", ""
    senders = getaddresses([header_text(msg, "From")])
    if senders:
        name, address = senders[0]
    recipients = [
        a.lower()
        for _, a in getaddresses([str(msg.get(h, "")) for h in ("To", "Cc", "Delivered-To", "X-Original-To")])
        if a
    ]
    attachments = []
    for att in parsed.attachments:
        payload = att.get("payload") or ""
        if att.get("binary"):
            data = _lenient_b64(payload)
        else:
            data = payload.encode(att.get("charset") or "utf-8", errors="replace")
        attachments.append(
            Attachment(
                filename=safe_filename(att.get("filename") or ""),
                content_type=(att.get("mail_content_type") or "application/octet-stream").lower(),
                data=data,
                content_id=(att.get("content-id") or "").strip().strip("<>"),
            )
        )
    try:
        date = parsedate_to_datetime(str(msg.get("Date"))) if msg.get("Date") else None
    except (TypeError, ValueError):
        date = None
    return Mail(
        message_id=(_ids(str(msg.get("Message-ID", ""))) or [None])[0],
        subject=nfc(header_text(msg, "Subject")).strip(),
        sender_address=address.lower() if re.fullmatch(r"[^@\s]+@[^@\s]+", address or "") else "",
        sender_name=nfc(name).strip(),
        recipients=recipients,
        in_reply_to=(_ids(str(msg.get("In-Reply-To", ""))) or [None])[0],
        references=_ids(str(msg.get("References", ""))),
        text=nfc("\n".join(parsed.text_plain)),
        html=nfc("\n".join(parsed.text_html)),
        attachments=attachments,
        headers=msg,
        date=date,
        defects=[str(d) for d in parsed.defects],
    )
