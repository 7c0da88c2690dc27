"""A board member's decision from the text of a reply: what they wrote above the quote and signature.

Editors answer from Gmail, Outlook, Zimbra, Thunderbird, Apple Mail and phones, in Vietnamese or English,
with or without diacritics; the first line they wrote is the command, what follows it is its reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import lxml.etree
import lxml.html

from intake.classify import fold
from intake.sanitize import HIDDEN_CONTENT

WROTE = (  # "wrote" in the languages mail clients write it in
    r"(wrote|đã viết|a écrit|ha scritto|schreef|schrieb|escribió|escreveu|skrev|kirjoitti|napisał|написал|написала)"
)
QUOTE_HEADER = re.compile(
    rf"^(>|(?=.*:\s*$).+\b{WROTE}\s*:$|"
    r"-{2,}\s*(Original Message|Thư gốc|Forwarded message|Tin nhắn gốc|Thông điệp gốc|Thư chuyển tiếp)\s*-{2,}|"
    r"-{5,}|_{2,}|"
    r"\*?(From|Từ|Sent|Đã gửi|Gửi lúc|Người gửi|Da|Von|De|Van|Från|Fra|Od|От|Expéditeur)\*?\s*:\*?\s*\S|"
    r"\d{4}-\d{2}-\d{2}[ T]\d{1,2}:\d{2}|\d{1,2}[./]\d{1,2}[./]\d{2,4},? \d{1,2}:\d{2})",
    re.IGNORECASE,
)
# A header that the client wrapped: it starts like one and ends, up to three lines later, with "wrote:".
HEADER_START = re.compile(r"^(On|Vào|Le|Il|Am|El|Em|Op|Den|W dniu|Dne|\d)\b", re.IGNORECASE)
WRAPPED_END = re.compile(rf"\b{WROTE}\s*:$", re.IGNORECASE)


def _wrote(text: str) -> bool:
    """Ends with "… wrote:"; the ending is looked at first, so a long line costs one comparison."""
    return text.rstrip().endswith(":") and bool(WRAPPED_END.search(text))


INVISIBLE = "\u1427\u200b\u200c\u200d\u2060\ufeff"
SIGNATURE = re.compile(
    r"^(--\s*$|Sent from my |Sent from Mail for |Sent from Outlook|Gửi từ |Được gửi từ |Get Outlook for |"
    r"Tải Outlook cho )",
    re.IGNORECASE,
)


def _has_class(name: str) -> str:
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


# The quoted original as mail clients mark it: Gmail, Outlook, Thunderbird, Zimbra, Apple Mail.
QUOTE_BLOCKS = (
    f"//blockquote | //div[{_has_class('gmail_quote')}] | //div[{_has_class('gmail_signature')}]"
    " | //div[@id='appendonsend'] | //div[@id='divRplyFwdMsg']"
    f" | //div[{_has_class('moz-cite-prefix')}] | //div[{_has_class('zmail_extra')}]"
)
# Outlook mobile puts what the person wrote in a body section and the original in a reply section; a
# message with the reply section alone is all new text.
EXCHANGE_BODY, EXCHANGE_QUOTE = "//div[@name='messageBodySection']", "//div[@name='messageReplySection']"
# Outlook and Word start the quoted original with a rule drawn as a top border, not an <hr>.
RULES = (
    "//hr | //div[contains(@style, 'border-top:solid #E1E1E1')] | //div[contains(@style, 'border-top:solid #B5C4DF')]"
)
# What a reader sees: not what the sanitiser drops with its content, scripts, styles, the head's <title>
# (the quoted blocks are emptied before).
TEXT_NODES = "//text()[not(" + " or ".join(f"ancestor::{tag}" for tag in sorted(HIDDEN_CONTENT)) + ")]"

# Folded (lower case, no diacritics) first words of each command; the order matters ("khong duyet" first,
# "duyet, dang" before "duyet"). The last four answer citizens' questions (newsroom/questions.py).
COMMANDS = [
    ("approve_publish", re.compile(r"^(duyet\W*(va\W*)?dang|approve and publish)\b")),
    ("extend", re.compile(r"^(gia han|xin gia han|extend)\b")),
    ("out_of_scope", re.compile(r"^(ngoai pham vi|khong thuoc pham vi|khong thuoc tham quyen|out of scope)\b")),
    ("forward", re.compile(r"^(chuyen don vi|chuyen cho|chuyen|forward)\b")),
    ("reject", re.compile(r"^(tu choi|khong duyet|khong dong y|reject(ed)?|declined?)\b")),
    ("request_changes", re.compile(r"^(sua|yeu cau sua|can sua|changes?|revise|edit)\b")),
    ("assign", re.compile(r"^(giao viec|giao bai|giao cho|giao|phan cong|assign(?:ed)? to|assign)\b")),
    ("unpublish", re.compile(r"^(go bai|go|ha bai|unpublish|take down)\b")),
    ("acknowledge", re.compile(r"^(da nhan|nhan duoc|acknowledged?|noted|received)\b")),
    ("schedule", re.compile(r"^(dang luc|dang vao luc|hen gio dang|publish at|schedule)\b")),
    ("set_coefficient", re.compile(r"^(dat he so|he so|coefficient)\b")),
    ("approve", re.compile(r"^(duyet|dong y|ok|okay|approved?|yes)\b")),
]
# Actions that may carry a royalty coefficient: "Duyệt, hệ số 8", "Hệ số 6", "Hệ số: 1,5".
WITH_COEFFICIENT = ("approve", "set_coefficient")
COEFFICIENT = re.compile(r"\b(?:he so|coefficient)\s*(?:la\b)?\s*[:=]?\s*(\d+(?:[.,]\d+)?)?")
DATE = re.compile(r"\b(\d{1,2})\s*/\s*(\d{1,2})(?:\s*/\s*(\d{4}))?\b")
TIME = re.compile(r"\b(\d{1,2})\s*[:hg]\s*(\d{2})?\b", re.IGNORECASE)


@dataclass(frozen=True)
class Command:
    action: str  # approve | reject | request_changes | unpublish | acknowledge | schedule | approve_publish |
    #             extend | out_of_scope | forward | assign (reason: the member, then a note)
    reason: str = ""
    at: datetime | None = None  # schedule: when to publish; extend: the new deadline (end of the day named)
    coefficient: float | None = None  # the royalty coefficient given with it


def _boundary(lines: list[str], i: int) -> bool:
    """Does the quoted original (or the signature) start at line i?"""
    line = lines[i]
    if QUOTE_HEADER.match(line) or SIGNATURE.match(line):
        return True
    return bool(HEADER_START.match(line)) and any(_wrote(" ".join(lines[i:end])) for end in (i + 2, i + 3))


# What only a quoted earlier mail looks like (narrower than QUOTE_HEADER, whose separators and dates also
# occur in articles): "… wrote:", two ">" lines, an Outlook "From:" block, a client's quote container.
OUTLOOK_FROM = re.compile(r"^\*?(From|Từ|Người gửi|De|Von)\*?\s*:\s*\S", re.IGNORECASE)
OUTLOOK_SENT = re.compile(r"^\*?(Sent|Đã gửi|Gửi lúc|Date|Ngày|Envoyé|Gesendet)\*?\s*:\s*\S", re.IGNORECASE)
HTML_QUOTE = ("gmail_quote", "divrplyfwdmsg", "moz-cite-prefix", "zmail_extra", "messagereplysection", "<blockquote")


def _lines(text: str) -> list[str]:
    """The text's lines, stripped, without invisible characters (looked for in the whole text at once, each
    with a plain substring search, and rarely there)."""
    text = text.replace("\r\n", "\n")
    for invisible in INVISIBLE:
        if invisible in text:
            text = text.replace(invisible, "")
    return [line.strip() for line in text.split("\n")]


def quotes_earlier(text: str, html: str) -> bool:
    """Does the message carry a quoted earlier mail, as a reply does?"""
    lower = (html or "").lower()  # lower case once, then plain substring searches: a megabyte in a millisecond
    if any(marker in lower for marker in HTML_QUOTE):
        return True
    lines = _lines(text)
    for i, line in enumerate(lines):
        if _wrote(line) or (HEADER_START.match(line) and _wrote(" ".join(lines[i : i + 3]))):
            return True
        if line.startswith(">") and i + 1 < len(lines) and lines[i + 1].startswith(">"):
            return True
        if OUTLOOK_FROM.match(line) and any(OUTLOOK_SENT.match(later) for later in lines[i + 1 : i + 4]):
            return True
    return False


def reply_text(text: str, html: str) -> str:
    """What the person wrote, above the quoted original and the signature (or below it, for the few
    who answer under the quote)."""
    if not text.strip() and html:
        text = _html_reply(html)
    lines = _lines(text)
    cut = next((i for i in range(len(lines)) if _boundary(lines, i)), len(lines))
    kept = "\n".join(lines[:cut]).strip()
    if kept or cut == len(lines):
        return kept
    below = [line for line in lines[cut + 1 :] if not line.startswith(">")]  # bottom-posting
    end = next((i for i in range(len(below)) if _boundary(below, i)), len(below))
    return "\n".join(below[:end]).strip()


# Plain elements: lxml.html's classes cost a Python call for every element read, and none of their
# methods is used here.
_PLAIN_HTML = lxml.etree.HTMLParser()


def _html_reply(html: str) -> str:
    """The text of a reply written in HTML alone, each text node on its line, without the blocks that hold
    the quoted original and the elements below a rule; text outside them stays, as a reader sees it (a
    block is emptied, the text after it is kept). lxml's HTML parser and XPath, in C: a megabyte of HTML
    takes milliseconds."""
    try:
        root = lxml.html.document_fromstring(html, parser=_PLAIN_HTML)
    except (lxml.etree.ParserError, ValueError):  # nothing but blanks or comments: no text
        return ""
    quotes = root.xpath(QUOTE_BLOCKS) + (root.xpath(EXCHANGE_QUOTE) if root.xpath(EXCHANGE_BODY) else [])
    if rules := root.xpath(RULES):  # the first rule is enough: a later one lies after it or inside it
        # what follows the rule: the siblings after it and after each of its ancestors
        quotes += [
            rules[0],
            *(after for above in (rules[0], *rules[0].iterancestors()) for after in above.itersiblings()),
        ]
    for quoted in quotes:
        quoted.clear(keep_tail=True)
    return "\n".join(root.xpath(TEXT_NODES, smart_strings=False))


def _when(text: str, now: datetime, tz: str) -> datetime | None:
    """'07:00 25/11', '7h 25/11/2026', '25/11 lúc 7:30': that moment in the site's zone, next year if the
    day and month without a year have already passed by more than a month."""
    date_m = DATE.search(text)
    if not date_m:
        return None
    time_m = TIME.search(text[: date_m.start()] + " " + text[date_m.end() :])
    if not time_m:
        return None
    zone = ZoneInfo(tz)
    local_now = now.astimezone(zone)
    day, month, year = int(date_m[1]), int(date_m[2]), int(date_m[3] or local_now.year)
    try:
        clock = time(int(time_m[1]), int(time_m[2] or 0))
        moment = datetime(year, month, day, clock.hour, clock.minute, tzinfo=zone)
    except ValueError:
        return None
    if date_m[3] is None and (local_now - moment).days > 31:
        moment = moment.replace(year=year + 1)  # "05/01" written in December means next January
    return moment


QUESTION_ACTIONS = ("extend", "out_of_scope", "forward")


def for_drafts(command: Command | None) -> Command | None:
    """A command read on a draft: "Duyệt, đăng" is "Duyệt" there, and the question commands mean nothing."""
    if command is None or command.action in QUESTION_ACTIONS:
        return None
    return Command("approve") if command.action == "approve_publish" else command


def _day(text: str, now: datetime, tz: str) -> datetime | None:
    """'20/12/2026' or '20/12': the end of that day (24:00, as the law counts a day) in the site's zone."""
    date_m = DATE.search(text)
    if not date_m:
        return None
    local_now = now.astimezone(ZoneInfo(tz))
    try:
        day = datetime(int(date_m[3] or local_now.year), int(date_m[2]), int(date_m[1]), tzinfo=ZoneInfo(tz))
    except ValueError:
        return None
    if date_m[3] is None and day.date() < local_now.date():
        day = day.replace(year=day.year + 1)
    return day + timedelta(days=1)


def parse_command(text: str, now: datetime, tz: str = "Asia/Ho_Chi_Minh") -> Command | None:
    """The command on the first line; ``now`` (when the reply was received) completes a date written
    without its year."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return None
    first = lines[0].strip()
    folded = fold(first).strip(" .!*")
    for action, pattern in COMMANDS:
        m = pattern.match(folded)
        if not m:
            continue
        if action in WITH_COEFFICIENT:
            given = COEFFICIENT.search(folded)
            if given is None:
                return Command(action)
            if given[1] is None and action == "approve":
                return None  # "Duyệt, hệ số cao": a coefficient meant but not written; asked again
            return Command(action, coefficient=float(given[1].replace(",", ".")) if given[1] else None)
        if action in ("acknowledge", "approve_publish"):
            return Command(action)
        if action == "extend":  # "Gia hạn: 20/12/2026 - lý do": the answer is due by the end of that day
            rest = " ".join(first.split()[len(m[1].split()) :]).lstrip(": ")
            day = _day(rest, now, tz)
            reason = DATE.sub("", rest, count=1).strip(" :-–,.")
            reason = " ".join([reason, *(line.strip() for line in lines[1:])]).strip()
            return Command(action, reason, day) if day else None
        if action == "schedule":  # "Đăng lúc 07:00 25/11": the colon belongs to the time
            rest = " ".join(first.split()[len(m[1].split()) :]).lstrip(": ")
            at = _when(rest, now, tz)
            return Command(action, rest.strip(), at) if at else None
        rest = first.split(":", 1)[1] if ":" in first else " ".join(first.split()[len(m[1].split()) :])
        reason = " ".join([rest.strip(), *(line.strip() for line in lines[1:])]).strip(" :-")
        return Command(action, reason)
    return None
