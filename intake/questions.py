"""Is this mail a citizen's question or feedback, about which field, for which unit?

A message is a question when it arrives at one of the site's Q&A addresses (whoever sends it, a board
member included), when it comes from the site's contact form (the citizen in Reply-To or in the form's
fields), or when its sender is outside the roster and it asks or complains. Without a roster (``toasoan
inspect --preset``) the message alone decides: a sender at the board's own domain or at a government
domain is an office, not a citizen; a department's leaflet written as questions and answers ("Hỏi: …
Đáp: …") is material to publish, not a question to answer. The field (lĩnh vực) comes from the preset's
keyword table, the unit from the site's routing table.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from intake.classify import fold
from intake.message import Mail, addresses
from newsroom.settings import Settings

ASKS = re.compile(
    r"\b(xin hoi|cho (toi |em |chau )?hoi|toi muon hoi|hoi ve|thac mac|giai dap|xin huong dan|huong dan giup|"
    r"lam the nao|nhu the nao|bao gio|bao lau|o dau|co duoc khong|co phai|phai lam gi|can nhung gi|"
    r"phan anh|kien nghi|khieu nai|gop y|de nghi (xem xet|giai quyet|kiem tra|cho biet)|buc xuc|"
    r"xin cam on|kinh mong)\b"
)
# A line's own blanks only ([^\S\n]), and blanks taken whole (*+): "^\s*" ran on across empty lines from each
# line start, so a body of 32 000 line breaks took 37 s to search; linear now (tests/test_hostile_text.py).
LEAFLET_Q = re.compile(r"(?im)^[^\S\n]*+(?:câu\s*hỏi(?:\s*\d+)?|hỏi|hoi)\s*[:.\-–]")
LEAFLET_A = re.compile(r"(?im)^[^\S\n]*+(?:trả\s*lời|đáp|dap|tra\s*loi)\s*[:.\-–]")
FORM_FIELD = re.compile(
    r"(?im)^[^\S\n]*+(họ\s*(?:và\s*)?tên|ho\s*ten|email|e-mail|thư\s*điện\s*tử|điện\s*thoại|số\s*điện\s*thoại|sđt|"
    r"địa\s*chỉ|tiêu\s*đề|chủ\s*đề|nội\s*dung|lĩnh\s*vực)\s*:"
)
# The domain is one run that holds a dot neither first nor last, read once: split at each of its dots in turn,
# "a@b.b.b.…" was quadratic.
FIELD_EMAIL = re.compile(
    r"(?im)^[^\S\n]*+(?:email|e-mail|thư\s*điện\s*tử)\s*:\s*+"
    r"<?([^\s<>@]++@(?=[^\s<>@]+\.[^\s<>@])[^\s<>@]++)>?\s*$"
)
# A name of 2 to 80 characters, on the label's line or, when that is empty, on a line below it.
FIELD_NAME = re.compile(r"(?im)^[^\S\n]*+(?:họ\s*(?:và\s*)?tên|ho\s*ten)\s*:\s*+(\S.{1,79}?)\s*$")
GOVERNMENT = (".gov.vn", ".dcs.vn", ".org.vn")  # offices, party and mass organisations: not citizens


@dataclass(frozen=True)
class QuestionInfo:
    asker: str  # where answers go
    asker_name: str
    via: str  # qa_address | form | mail
    topic: str | None
    topic_name: str
    unit: str | None  # the competent unit's name: the site's routing, or the preset's usual office
    unit_address: str | None  # only when the site's routing names one
    signals: list[str] = field(default_factory=list)  # why it was taken for a question

    def as_json(self) -> dict:
        return {
            "asker": self.asker,
            "asker_name": self.asker_name or None,
            "via": self.via,
            "topic": self.topic,
            "topic_name": self.topic_name,
            "unit": self.unit,
            "unit_address": self.unit_address,
            "signals": self.signals,
        }


@functools.lru_cache(maxsize=256)
def _keyword_patterns(keywords: tuple[str, ...]) -> tuple[tuple[str, re.Pattern], ...]:
    """A topic's keywords folded and compiled once, not at every question; each with its folded text,
    looked for first as a plain substring (most keywords are absent, and a substring test costs a
    hundredth of a regular expression's scan)."""
    return tuple((folded, re.compile(rf"\b{re.escape(folded)}\b")) for folded in map(fold, keywords))


def topic_of(settings: Settings, subject: str, text: str) -> str | None:
    """The field whose keywords the subject (three times over) and the text name most; first in the preset's
    order on a tie; None when no keyword matches."""
    subject, text = fold(subject), fold(text[:5000])
    best, best_score = None, 0
    for topic_id, topic in settings.questions.topics.items():
        score = 0
        for word, pattern in _keyword_patterns(tuple(topic.keywords)):
            if word in subject:
                score += 3 * len(pattern.findall(subject))
            if word in text:
                score += len(pattern.findall(text))
        if score > best_score:
            best, best_score = topic_id, score
    return best


def _office_domain(settings: Settings, address: str) -> bool:
    domain = address.rpartition("@")[2].lower()
    ours = settings.smtp.from_address.rpartition("@")[2].lower()
    return domain == ours or domain.endswith("." + ours) or domain.endswith(GOVERNMENT)


def is_leaflet(text: str) -> bool:
    """Questions already answered ("Hỏi: … Đáp: …"): a department's Q&A material, not a question to us."""
    return bool(LEAFLET_Q.search(text)) and bool(LEAFLET_A.search(text))


def _form_asker(mail: Mail, text: str) -> tuple[str, str]:
    reply_to = [(n, a.lower()) for n, a in addresses([mail.header("Reply-To")]) if "@" in a]
    name = m[1].strip() if (m := FIELD_NAME.search(text)) else ""
    if reply_to:
        return reply_to[0][1], name or reply_to[0][0]
    if m := FIELD_EMAIL.search(text):
        return m[1].lower(), name
    return mail.sender_address, name or mail.sender_name


def recognize(settings: Settings, mail: Mail, text: str, role: str) -> QuestionInfo | None:
    """The question this mail asks, or None when it is something else (a submission)."""
    config = settings.questions
    sender = mail.sender_address
    signals: list[str] = []
    if any(r in config.addresses for r in mail.recipients):
        via, signals = "qa_address", ["gửi tới địa chỉ hỏi đáp"]
    elif sender in config.form_senders:
        via, signals = "form", ["gửi qua mẫu liên hệ của trang"]
    else:
        if role != "unknown" or _office_domain(settings, sender) or is_leaflet(text):
            return None
        folded = fold(f"{mail.subject}\n{text[:3000]}")
        if ASKS.search(folded):
            signals.append("nội dung hỏi hoặc phản ánh")
        if "?" in text[:3000]:
            signals.append("có câu hỏi (?)")
        if len(FORM_FIELD.findall(text)) >= 2:
            signals.append("bố cục mẫu liên hệ")
        if not signals:
            return None
        via = "mail"
    asker, name = _form_asker(mail, text) if via == "form" else (sender, mail.sender_name)
    topic = topic_of(settings, mail.subject, text)
    configured = config.unit_for(topic)
    usual = config.topics[topic].unit if topic else ""
    return QuestionInfo(
        asker=asker,
        asker_name=name,
        via=via,
        topic=topic,
        topic_name=config.topics[topic].name if topic else "chưa xác định",
        unit=configured.name if configured else (usual or None),
        unit_address=configured.address if configured else None,
        signals=signals,
    )
