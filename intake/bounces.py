"""Delivery status notifications (RFC 3464): which of our messages bounced, for which recipients, why.

Read in the sandbox worker with the rest of the message (intake/message.py), from the parts it parsed."""

from __future__ import annotations

import re
from collections.abc import Iterable
from email.message import Message

MESSAGE_ID = re.compile(r"^Message-ID:\s*(<[^>]+>)", re.IGNORECASE | re.MULTILINE)


def _status_blocks(part: Message) -> list[Message]:
    payload = part.get_payload()
    return payload if isinstance(payload, list) else []


def parse(parts: Iterable[tuple[Message, str]]) -> tuple[list[str], list[tuple[str, str]]]:
    """(Message-IDs of the returned messages, [(failed recipient, reason)]) from a message's parts and their
    content types, as ``read`` walked them; both empty for other mail."""
    ids: list[str] = []
    failed: list[tuple[str, str]] = []
    for part, ctype in parts:
        if ctype == "message/delivery-status":
            for block in _status_blocks(part):
                action = str(block.get("Action", "")).strip().lower()
                recipient = str(block.get("Final-Recipient") or block.get("Original-Recipient") or "")
                address = recipient.split(";", 1)[-1].strip().strip("<>").lower()
                if address and action in ("failed", ""):
                    reason = " ".join(str(block.get("Diagnostic-Code") or block.get("Status") or "").split())
                    failed.append((address, reason or "không gửi được"))
        elif ctype in ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers"):
            inner = part.get_payload()
            if isinstance(inner, list) and inner:
                if inner[0].get("Message-ID"):
                    ids.append(str(inner[0]["Message-ID"]).strip())
            elif isinstance(inner, str):
                ids += MESSAGE_ID.findall(inner)
    return list(dict.fromkeys(ids)), failed
