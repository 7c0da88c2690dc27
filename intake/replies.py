"""A board member's decision from the text of a reply: what they wrote above the quote and signature."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bs4 import BeautifulSoup

from intake.classify import fold

QUOTE_HEADER = re.compile(
    r"^(>|On .+ wrote:?$|Vào .+ đã viết:?$|.+ đã viết:$|.+ wrote:$|-{2,}\s*(Original Message|Thư gốc|Forwarded message|"
    r"Tin nhắn gốc)\s*-{2,}|_{10,}|(From|Từ|Sent|Đã gửi)\s*:\s)",
    re.IGNORECASE,
)
WRAPPED_HEADER = re.compile(r"^(On|Vào) .+ (wrote|đã viết):$", re.IGNORECASE)
SIGNATURE = re.compile(r"^(--\s*$|Sent from my |Gửi từ |Được gửi từ |Get Outlook for )", re.IGNORECASE)
ACKNOWLEDGE = re.compile(r"^(da nhan|nhan duoc|acknowledged?|noted|received)\b")
APPROVE = re.compile(r"^(duyet|dong y|ok|okay|approved?|yes)\b")
REJECT = re.compile(r"^(tu choi|khong duyet|khong dong y|reject(ed)?|declined?)\b")


@dataclass(frozen=True)
class Command:
    action: str  # approve | reject | acknowledge
    reason: str = ""


def reply_text(text: str, html: str) -> str:
    """What the person wrote, above the quoted original and the signature."""
    if not text.strip() and html:
        soup = BeautifulSoup(html, "html.parser")
        for quoted in soup.select("blockquote, div.gmail_quote, div#appendonsend, div#divRplyFwdMsg"):
            quoted.decompose()
        text = soup.get_text("\n")
    kept = []
    lines = [line.strip() for line in text.replace("\r\n", "\n").split("\n")]
    for i, stripped in enumerate(lines):
        wrapped = f"{stripped} {lines[i + 1]}" if i + 1 < len(lines) else stripped  # Gmail wraps long headers
        if QUOTE_HEADER.match(stripped) or SIGNATURE.match(stripped) or WRAPPED_HEADER.match(wrapped):
            break
        kept.append(stripped)
    return "\n".join(kept).strip()


def parse_command(text: str) -> Command | None:
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return None
    first = lines[0].strip()
    folded = fold(first).strip(" .!*")
    if REJECT.match(folded):
        if ":" in first:
            reason = first.split(":", 1)[1]
        else:
            words = REJECT.match(folded)[1].split()
            reason = " ".join(first.split()[len(words) :])
        reason = " ".join([reason.strip(), *(line.strip() for line in lines[1:])]).strip(" :-")
        return Command("reject", reason)
    if ACKNOWLEDGE.match(folded):
        return Command("acknowledge")
    if APPROVE.match(folded):
        return Command("approve")
    return None
