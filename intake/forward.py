"""Forwarded mail: the document forwarded is the submission; who wrote it originally is its source.

Offices forward what they receive ("Chuyển Ban biên tập đăng"), either attaching the original message or
quoting it under a "Forwarded message" line with its From/Date/Subject/To block.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from intake.message import Mail, parse

MARKER = re.compile(
    r"^-{3,}\s*(Forwarded message|Thư chuyển tiếp|Tin nhắn chuyển tiếp|Original Message|Thư gốc)\s*-{3,}\s*$",
    re.IGNORECASE | re.MULTILINE,
)
FIELD = re.compile(r"^\*?(From|Từ|Date|Ngày|Sent|Đã gửi|Subject|Chủ đề|To|Đến|Cc)\*?\s*:\s*(.*)$", re.IGNORECASE)


@dataclass
class Forwarded:
    sender_name: str
    sender_address: str
    subject: str
    text: str  # the original's text
    note: str  # what the forwarder wrote above it


def unwrap(mail: Mail, timeout: float | None = None) -> Forwarded | None:
    """Raises MailRefused or SandboxFailure when an attached original cannot be read (intake/message.py)."""
    for att in mail.attachments:
        if att.content_type == "message/rfc822":
            inner = parse(att.data, timeout=timeout)
            note = mail.text.split(inner.text.strip()[:40])[0].strip() if inner.text.strip() else mail.text.strip()
            return Forwarded(inner.sender_name, inner.sender_address, inner.subject, inner.text, note)
    marker = MARKER.search(mail.text or "")
    if not marker:
        return None
    note = mail.text[: marker.start()].strip()
    lines = mail.text[marker.end() :].strip("\n").splitlines()
    fields: dict[str, str] = {}
    body_start = 0
    for i, line in enumerate(lines):
        if m := FIELD.match(line.strip()):
            fields[m[1].lower()] = m[2].strip()
            body_start = i + 1
        elif line.strip() or fields:
            break
    from email.utils import parseaddr  # only here: the email package is the worker's, not inspect's to load

    name, address = parseaddr(fields.get("from") or fields.get("từ") or "")
    subject = fields.get("subject") or fields.get("chủ đề") or ""
    return Forwarded(name, address.lower(), subject, "\n".join(lines[body_start:]).strip(), note)
