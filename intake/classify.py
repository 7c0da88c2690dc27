"""What kind of mail this is, and what category and urgency a submission has (secrecy: intake/secrecy.py).

Signals are the words offices really use (see the design's domain notes); a keyword match on the subject
counts before one in the body, because the subject is what the sender chose to say about the item.
"""

from __future__ import annotations

import re
import unicodedata

from intake.message import Mail

AUTO_SUBJECT = re.compile(
    r"^(out of (the )?office|automatic reply|auto[- ]?reply|autoreply|vacation|trả lời tự động|"
    r"thư trả lời tự động|vắng mặt|tự động trả lời|tra loi tu dong)\b",
    re.IGNORECASE,
)
BOUNCE_SENDER = re.compile(r"^\s*(mailer-daemon|postmaster)\b", re.IGNORECASE)

CATEGORY_WORDS = [  # first match wins; order matters
    ("urgent_dispatch", r"công điện|hỏa tốc|hoả tốc|điện khẩn|thượng khẩn"),
    ("invitation", r"giấy mời"),
    ("schedule", r"lịch công tác|lịch làm việc"),
    ("event_report", r"hội nghị|tổng kết|sơ kết|hội thảo"),
    ("legal_document", r"\d+/\d{4}/(?:QĐ|NQ|TT|NĐ)-|quyết định|nghị quyết"),
    ("direction", r"công văn|chỉ thị|kế hoạch|thông báo|chỉ đạo"),
    ("propaganda", r"tuyên truyền|phổ biến|giáo dục pháp luật"),
    ("procedure", r"thủ tục hành chính|dịch vụ công"),
    ("statistics", r"thống kê"),
    ("science", r"đề tài|khoa học"),
    ("qa", r"hỏi đáp|góp ý|phản ánh|kiến nghị|xin hỏi|cho hỏi"),
]
URGENCY = [("hoa_toc", r"HỎA TỐC|HOẢ TỐC"), ("thuong_khan", r"THƯỢNG KHẨN"), ("khan", r"KHẨN")]
_CATEGORY_PATTERNS = [(key, re.compile(pattern.lower())) for key, pattern in CATEGORY_WORDS]


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
        for key, pattern in _CATEGORY_PATTERNS:
            if pattern.search(where):
                return key
    return default


def _stamp_lines(text: str) -> list[str]:
    return [line.strip().strip("*").strip() for line in text.splitlines()[:60] if line.strip()]


_URGENCY_PATTERNS = [
    (key, re.compile(rf"(?:^|\| )(?:{pattern})(?: \||$)"), re.compile(pattern)) for key, pattern in URGENCY
]


def urgency_of(subject: str, text: str) -> str:
    lines = " | ".join(_stamp_lines(text))
    for key, on_a_line, anywhere in _URGENCY_PATTERNS:
        if on_a_line.search(lines) or anywhere.search(subject.upper()):
            return key
    return "normal"
