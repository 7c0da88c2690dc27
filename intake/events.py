"""The moments a deadline may start from, read from the text: the activity reported, a conference's end,
the decision approving or accepting a programme, and the hour a document was signed.

Kép Đ9.1 counts news from the activity, Đ9.3 conferences from their end, Long Xuyên Đ10.1đ science from
the programme's approval or acceptance, Đắk Mar Đ8.1b the commune's own special documents from their
signing, Kon Tum Đ11.1b leaders' activities from the meeting. Offices write these moments in a few set
ways ("sáng 21/11", "chiều nay", "14 giờ 30 ngày 20/11/2026", "ngày 20-21/11/2026", "Thời gian ký:
23.11.2026 10:15:30 +07:00"); each way is a row of ``PHRASES`` below. The text is matched folded (lower
case, no diacritics), so mail typed without marks reads the same. A date without its year takes the year
that puts it nearest before the receipt (a date up to a month ahead is an announced event).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from intake.classify import fold

# Part of the day -> the moment it starts (office hours start at 07:00-07:30; a reader of "sáng" cannot know
# more, and for rules in days the hour does not move the deadline)
PARTS = {"sang": time(7, 0), "trua": time(11, 0), "chieu": time(13, 0), "toi": time(18, 0), "dem": time(21, 0)}
_PART = r"(sang|trua|chieu|toi|dem)"
_DM = r"(\d{1,2})\s*[/\-.]\s*(\d{1,2})(?:\s*[/\-.]\s*(\d{4}))?"
_DMY_WORDS = r"(\d{1,2})\s+thang\s+(\d{1,2})(?:\s+nam\s+(\d{4}))?"
_CLOCK = r"(\d{1,2})\s*(?:h|gio|:)\s*(\d{2})?(?:\s*phut)?"
_WEEKDAY = r"(?:(?:thu\s+(?:hai|ba|tu|nam|sau|bay|[2-7])|chu\s+nhat)\s*,?\s*)?"
_DOCUMENT_NUMBER = re.compile(r"(so|so hieu|quyet dinh|ke hoach|cong van|nghi quyet)\s*:?\s*\d+[/\-]", re.I)


@dataclass(frozen=True)
class Moment:
    at: datetime  # in the site's zone
    phrase: str  # the words read, as written
    time_known: bool  # False: the day was read, the hour is the start of the part of the day or of the day

    def describe(self) -> str:
        return f"“{self.phrase}”"


@dataclass(frozen=True)
class Phrase:
    """One way offices write a moment, with an example (the tests read every example back)."""

    name: str
    pattern: re.Pattern
    example: str


def _p(pattern: str) -> re.Pattern:
    """A phrase's pattern, matched against folded text: lower case already, so matched as it is written
    (ignoring case would cost a fifth of a 100-page document's analysis)."""
    return re.compile(pattern)


PHRASES = [
    Phrase(
        "range",
        _p(rf"\b(?:ngay\s+|tu\s+ngay\s+)?(\d{{1,2}})\s*(?:-|–|den|va)\s*(?:ngay\s+)?{_DM}"),
        "ngày 20-21/11/2026",
    ),
    Phrase(
        "clock_date",
        _p(rf"\b(?:luc|vao\s+luc|vao)?\s*{_CLOCK}\s*,?\s*{_PART}?\s*,?\s*{_WEEKDAY}(?:ngay\s+)?{_DM}"),
        "14 giờ 30 ngày 20/11/2026",
    ),
    Phrase("part_date", _p(rf"\b{_PART}\s+{_WEEKDAY}(?:ngay\s+)?(?:{_DM}|{_DMY_WORDS})"), "sáng 21/11"),
    Phrase("part_relative", _p(rf"\b{_PART}\s+(nay|qua|hom nay|hom qua)\b"), "chiều nay"),
    Phrase("relative", _p(r"\b(hom nay|hom qua)\b"), "hôm qua"),
    Phrase("date", _p(rf"\bngay\s+(?:{_DM}|{_DMY_WORDS})"), "ngày 21/11/2026"),
]
SIGNED = _p(rf"\b(?:thoi gian ky|ky ngay|ngay ky|ky luc)\s*:?\s*{_DM}\s*,?\s*(?:luc\s*)?{_CLOCK}")
PROGRAMME = _p(r"\b(phe duyet|nghiem thu)\b")


class _CharFolds(dict):
    """fold() of each character alone, filled as characters are met, for ``str.translate``: a decree's
    200 000 characters are folded in a few milliseconds instead of one normalisation per character. Only
    the scripts letters come from are kept (a stranger's text cannot grow it past a few thousand entries)."""

    def __missing__(self, code: int) -> str:
        folded = fold(chr(code)) or chr(code)
        if code < 0x2000:
            self[code] = folded
        return folded


_CHAR_FOLDS = _CharFolds()


def _folded(text: str) -> str:
    """Fold each character alone, so a position in the folded text is the same position in the original."""
    return text.translate(_CHAR_FOLDS)


def _year(day: int, month: int, year: str | None, received: date) -> date | None:
    try:
        if year:
            return date(int(year), month, day)
        found = date(received.year, month, day)
    except ValueError:
        return None
    if found > received + timedelta(days=31):
        found = found.replace(year=found.year - 1)
    return found


def _dm(groups: tuple, received: date) -> date | None:
    """The first (day, month, year) triple present among ``groups``."""
    values = [g for g in groups]
    for i in range(0, len(values) - 1, 3):
        if values[i] and values[i + 1]:
            return _year(int(values[i]), int(values[i + 1]), values[i + 2], received)
    return None


def _clock(hour: str, minute: str | None, part: str | None) -> time | None:
    h, m = int(hour), int(minute or 0)
    if part in ("chieu", "toi", "dem") and h < 12:
        h += 12
    return time(h, m) if h < 24 and m < 60 else None


def _read(phrase: Phrase, m: re.Match, received: datetime) -> tuple[datetime, datetime, bool] | None:
    """(first moment, last moment, time known) of one match."""
    day0, tz = received.date(), received.tzinfo
    if phrase.name == "range":
        last = _dm(m.groups()[1:4], day0)
        if last is None or not 1 <= int(m[1]) <= 31:
            return None
        try:
            first = last.replace(day=int(m[1]))
        except ValueError:
            return None
        if first > last:
            return None
        return datetime.combine(first, time(0), tz), datetime.combine(last, time(0), tz), False
    if phrase.name == "clock_date":
        day = _dm(m.groups()[3:6], day0)
        clock = _clock(m[1], m[2], m[3])
        if day is None or clock is None:
            return None
        moment = datetime.combine(day, clock, tz)
        return moment, moment, True
    if phrase.name == "part_date":
        day = _dm(m.groups()[1:7], day0)
        if day is None:
            return None
        moment = datetime.combine(day, PARTS[m[1]], tz)
        return moment, moment, False
    if phrase.name in ("part_relative", "relative"):
        part = m[1] if phrase.name == "part_relative" else None
        word = m[2] if part else m[1]
        day = day0 - timedelta(days=1) if word.endswith("qua") else day0
        moment = datetime.combine(day, PARTS[part] if part else time(0), tz)
        return moment, moment, False
    day = _dm(m.groups()[0:6], day0)
    if day is None:
        return None
    moment = datetime.combine(day, time(0), tz)
    return moment, moment, False


def _quoted(text: str, m: re.Match) -> str:
    return " ".join(text[m.start() : m.end()].split()).strip(" ,")


def _is_a_document_date(folded: str, start: int) -> bool:
    """ "Quyết định số 15/2020/QĐ-UBND ngày 15/01/2020": the date of another document, not of the event."""
    sentence = re.split(r"[.;\n]", folded[max(0, start - 60) : start])[-1]
    return bool(_DOCUMENT_NUMBER.search(sentence))


def activity(text: str, received: datetime, end: bool = False, folded: str | None = None) -> Moment | None:
    """The activity the text reports: the first phrase, in the order of ``PHRASES`` (the most precise
    first), within the opening of the text where a report says when; ``end``: the last day of a range.
    ``folded``: the text already folded (``read`` folds it once for every reader)."""
    head = text[:2000]
    folded = folded[:2000] if folded is not None else _folded(head)
    for phrase in PHRASES:
        for m in phrase.pattern.finditer(folded):
            if _is_a_document_date(folded, m.start()):
                continue
            read = _read(phrase, m, received)
            if read is None:
                continue
            first, last, known = read
            return Moment(last if end else first, _quoted(head, m), known)
    return None


def programme(text: str, received: datetime, folded: str | None = None) -> Moment | None:
    """The latest date that a sentence ties to "phê duyệt" or "nghiệm thu" (Long Xuyên Đ10.1đ)."""
    folded = folded[:20000] if folded is not None else _folded(text[:20000])
    found: list[Moment] = []
    for sentence in re.finditer(r"[^.;\n]+", folded):
        words = sentence[0]
        if not PROGRAMME.search(words):
            continue
        for m in PHRASES[-1].pattern.finditer(words):
            day = _dm(m.groups(), received.date())
            if day is not None:
                start = sentence.start()
                original = text[start + m.start() : start + m.end()]
                found.append(Moment(datetime.combine(day, time(0), received.tzinfo), " ".join(original.split()), False))
    return max(found, key=lambda moment: moment.at) if found else None


def signed(text: str, received: datetime, folded: str | None = None) -> Moment | None:
    """The signing moment when the document states the hour (a digital signature's "Thời gian ký")."""
    folded = folded if folded is not None else _folded(text)
    m = SIGNED.search(folded)
    if not m:
        return None
    day = _dm(m.groups()[0:3], received.date())
    clock = _clock(m[4], m[5], None)
    if day is None or clock is None:
        return None
    return Moment(datetime.combine(day, clock, received.tzinfo), _quoted(text, m), True)


def read(text: str, received: datetime) -> dict[str, Moment]:
    """Every moment a rule may start from (``Rule.event_reader`` names which), read once per message."""
    folded = _folded(text)
    found = {
        "activity": activity(text, received, folded=folded),
        "end": activity(text, received, end=True, folded=folded),
        "programme": programme(text, received, folded=folded),
        "signed": signed(text, received, folded=folded),
    }
    return {name: moment for name, moment in found.items() if moment is not None}
