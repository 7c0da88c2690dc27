"""What kind of mail this is, and what category and urgency a submission has (secrecy: intake/secrecy.py).

Signals are the words offices really use (see the design's domain notes); a keyword match on the subject
counts before one in the body, because the subject is what the sender chose to say about the item.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from intake.message import Mail

AUTO_SUBJECT = re.compile(
    r"^(out of (the )?office|automatic reply|auto[- ]?reply|autoreply|vacation|trả lời tự động|"
    r"thư trả lời tự động|vắng mặt|tự động trả lời|tra loi tu dong)\b",
    re.IGNORECASE,
)
BOUNCE_SENDER = re.compile(r"^\s*(mailer-daemon|postmaster)\b", re.IGNORECASE)

CATEGORY_WORDS = [  # first match wins; order matters. A word, or a regular expression where it has syntax.
    ("urgent_dispatch", ("công điện", "hỏa tốc", "hoả tốc", "điện khẩn", "thượng khẩn")),
    ("invitation", ("giấy mời",)),
    ("schedule", ("lịch công tác", "lịch làm việc")),
    ("event_report", ("hội nghị", "tổng kết", "sơ kết", "hội thảo")),
    # a number such as 12/2026/QĐ-UBND (or a draft's "Số:   /2026/QĐ-UBND"), looked for from its "/": a
    # pattern starting with the digits tried every digit of the text, twenty times slower
    ("legal_document", (r"/\d{4}/(?:QĐ|NQ|TT|NĐ)-", "quyết định", "nghị quyết")),
    ("direction", ("công văn", "chỉ thị", "kế hoạch", "thông báo", "chỉ đạo")),
    ("propaganda", ("tuyên truyền", "phổ biến", "giáo dục pháp luật")),
    ("procedure", ("thủ tục hành chính", "dịch vụ công")),
    ("statistics", ("thống kê",)),
    ("science", ("đề tài", "khoa học")),
    ("qa", ("hỏi đáp", "góp ý", "phản ánh", "kiến nghị", "xin hỏi", "cho hỏi")),
]
URGENCY = [("hoa_toc", ("HỎA TỐC", "HOẢ TỐC")), ("thuong_khan", ("THƯỢNG KHẨN",)), ("khan", ("KHẨN",))]
REGEX_SYNTAX = re.compile(r"[\\.^$*+?{}\[\]()|]")


def finder(choices: tuple[str, ...]) -> Callable[[str], bool]:
    """What finds any of ``choices`` in a text: plain words as substrings, five times faster than one
    regular expression of them all, whose scan stops at every "c", "h" or "t" of a Vietnamese page to try
    each word; a choice with any other syntax as a regular expression."""
    words = tuple(choice for choice in choices if not REGEX_SYNTAX.search(choice))
    patterns = tuple(re.compile(choice) for choice in choices if REGEX_SYNTAX.search(choice))
    return lambda text: any(word in text for word in words) or any(p.search(text) for p in patterns)


_CATEGORY_FINDERS = [(key, finder(tuple(map(str.lower, choices)))) for key, choices in CATEGORY_WORDS]


def lower_as_ignorecase(text: str) -> str:
    """The text in lower case such that a lower-case pattern finds in it what the pattern finds ignoring
    case (re.IGNORECASE, four times slower): "İ" is one letter "i", and the dotless "ı" and long "ſ",
    which IGNORECASE takes for "i" and "s", become them."""
    return text.replace("İ", "i").lower().replace("ı", "i").replace("ſ", "s")


class _Marks(dict):
    """For ``str.translate``: combining marks (category Mn) removed, every other character kept; filled as
    characters are met, and only for the scripts letters come from, so a stranger's text cannot grow it."""

    def __missing__(self, code: int) -> int | None:
        kept = None if unicodedata.category(chr(code)) == "Mn" else code
        if code < 0x2000:
            self[code] = kept
        return kept


_MARKS = _Marks()


def fold(text: str) -> str:
    """Lower case without diacritics, for matching what people type without marks."""
    text = unicodedata.normalize("NFD", text).replace("đ", "d").replace("Đ", "D")
    return text.translate(_MARKS).lower()


def automatic(mail: Mail) -> tuple[str, str] | None:
    """('bounce' | 'auto_reply', reason) for mail no person wrote, which we never answer."""
    if mail.content_type == "multipart/report" or BOUNCE_SENDER.match(mail.header("From")):
        return "bounce", "thư báo lỗi chuyển phát (bounce)"
    auto = mail.header("Auto-Submitted").lower()
    if auto and auto != "no":
        return "auto_reply", f"Auto-Submitted: {auto}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress-Reply"):
        if mail.header(name):
            return "auto_reply", f"{name}: {mail.header(name)}"
    precedence = mail.header("Precedence").lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return "auto_reply", f"Precedence: {precedence}"
    if mail.header("List-Id") or mail.header("List-Unsubscribe"):
        return "auto_reply", "thư của danh sách thư (List-Id)"
    if AUTO_SUBJECT.search(mail.subject or ""):
        return "auto_reply", f"tiêu đề thư tự động: {mail.subject}"
    return None


def category_of(subject: str, text: str, default: str = "news") -> str:
    for where in (lower_as_ignorecase(subject), lower_as_ignorecase(text[:3000])):
        for key, found in _CATEGORY_FINDERS:
            if found(where):
                return key
    return default


def _stamp_lines(text: str) -> list[str]:
    return [line.strip().strip("*").strip() for line in text.splitlines()[:60] if line.strip()]


_URGENCY_PATTERNS = [
    (key, finder(words), re.compile(rf"(?:^|\| )(?:{'|'.join(words)})(?: \||$)")) for key, words in URGENCY
]


def urgency_of(subject: str, text: str) -> str:
    """A stamp on a line of its own in the text, or the word anywhere in the subject (in capitals)."""
    lines, upper = " | ".join(_stamp_lines(text)), subject.upper()
    for key, found, on_a_line in _URGENCY_PATTERNS:
        if (found(lines) and on_a_line.search(lines)) or found(upper):
            return key
    return "normal"
