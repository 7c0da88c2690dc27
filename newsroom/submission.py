"""What intake hands the newsroom for one message: plain data, kept apart from the state machine so that
reading a message (`toasoan inspect`, the sandbox worker) loads no database layer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class FileData:
    filename: str
    content_type: str
    data: bytes
    use: str  # body | image | download | ignored
    ref: str | None = None


@dataclass
class Submission:
    title: str
    body_html: str
    preview_html: str
    preview_text: str
    sender_address: str
    sender_name: str
    category: str
    urgency: str = "normal"
    secrecy: str = "none"
    department: str | None = None
    author: str | None = None
    source: str | None = None
    document: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    files: list[FileData] = field(default_factory=list)
    held_reason: str | None = None
    text: str = ""  # the whole plain text, read for the moments a deadline starts from (intake/events.py)
