"""Personal data kept off the published Q&A (Decree 13/2023/NĐ-CP): the asker's email, phone numbers, ID
numbers (CCCD 12 digits, CMND 9) and street address are removed, and their name shrinks to initials.

What was removed is counted by kind, so the board's notification can say what the public page will not
show and an editor can check it before approving.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from newsroom.i18n import N_, gettext

_LABEL = r"(?:họ\s*(?:và\s*)?tên|ho\s*(?:va\s*)?ten|người\s*gửi|nguoi\s*gui)"
PATTERNS: list[tuple[str, str, re.Pattern]] = [  # (kind, what the page shows instead, pattern); order matters
    (N_("địa chỉ thư"), "(đã ẩn: thư điện tử)", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    (
        N_("địa chỉ nơi ở"),
        "(đã ẩn: chỗ ở)",
        re.compile(
            r"(?im)\b(?:địa\s*chỉ(?:\s*liên\s*hệ)?|dia\s*chi|nơi\s*ở|noi\s*o|thường\s*trú\s*tại|trú\s*tại|ngụ\s*tại)"
            r"\s*:?\s*[^\n]+"
        ),
    ),
    (
        N_("địa chỉ nơi ở"),
        "(đã ẩn: chỗ ở)",
        re.compile(
            r"(?i)\b(?:số\s*nhà|nhà\s*số|so\s*nha|số|so)\s*\d+[\w/]*\s*,?\s*"
            r"(?:đường|phố|ngõ|hẻm|ngách|kiệt|duong|pho|ngo|hem)\s+[^\n,.;:()]+"
        ),
    ),
    (
        N_("địa chỉ nơi ở"),
        "(đã ẩn: chỗ ở)",
        re.compile(
            r"(?i)\b(?:số\s*nhà|nhà\s*số|ngõ|hẻm|ngách|kiệt)\s*\d+[\w/]*(?:\s*,?\s*(?:đường|phố)\s+[^\n,.;:()]+)?"
        ),
    ),
    (N_("số định danh (CCCD/CMND)"), "(đã ẩn: số giấy tờ)", re.compile(r"(?<![\d.+])(?:\d{12}|\d{9})(?![\d])")),
    (
        N_("số điện thoại"),
        "(đã ẩn: số điện thoại)",
        re.compile(r"(?<![\w+])(?:\+\s?84|\(?0\d{2,3}\)?)(?:[\s.\-]?\d){6,9}(?![\d])"),
    ),
]
NAME_KIND = N_("họ tên (thành chữ viết tắt)")
NAME_FIELD = re.compile(rf"(?im)^([^\S\n]*+{_LABEL}\s*:\s*+)(.+)$")


@dataclass
class Redacted:
    text: str
    removed: dict[str, int] = field(default_factory=dict)

    def summary(self, language: str = "vi") -> list[str]:
        """What was taken out, as the board reads it: ["2 số điện thoại", "1 địa chỉ thư"]."""
        _ = gettext(language)
        return [f"{n} {_(kind)}" for kind, n in self.removed.items()]


def initials(name: str) -> str:
    """ "Nguyễn Văn An" → "N.V.A."; nothing for a missing name."""
    return "".join(part[0].upper() + "." for part in name.split() if part[:1].isalpha())


def redact(text: str, asker_name: str = "", show_name: bool = False) -> Redacted:
    """``text`` without personal data; the asker's name (when known) becomes initials unless ``show_name``."""
    removed: dict[str, int] = {}
    for kind, replacement, pattern in PATTERNS:
        text, n = pattern.subn(replacement, text)
        if n:
            removed[kind] = removed.get(kind, 0) + n
    if not show_name:
        names = [m[2].strip() for m in NAME_FIELD.finditer(text)]
        for name in sorted({n for n in [asker_name.strip(), *names] if len(n.split()) >= 2}, key=len, reverse=True):
            text, n = re.subn(re.escape(name), initials(name), text, flags=re.IGNORECASE)
            if n:
                removed[NAME_KIND] = removed.get(NAME_KIND, 0) + n
    return Redacted(text, removed)
