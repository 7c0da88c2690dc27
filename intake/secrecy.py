"""State-secret stamps (MẬT, TỐI MẬT, TUYỆT MẬT) wherever a sender puts them, as stamps and never as words.

The five regulations forbid publishing state secrets (Kép Đ5.1, Đ7.4; Hiệp Hòa Đ4.1; Đắk Mar Đ5.1; Kon Tum
Đ3.1b). A stamp is recognised where an office puts one: on a line of its own in the mail or the document
(the stamp box of Nghị định 30/2020 becomes such a line, as does a text box or a table cell), in brackets
or set off by a dash or colon at either end of the subject, or as the field "Độ mật: Mật". The same word
inside a sentence ("giữ bí mật", "mật khẩu", "tài liệu mật phải…") is not a stamp. The table below is the
data; each row says where the stamp stood, so the hold can tell the board where it was found.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from intake.classify import fold

LEVELS = [("tuyet_mat", "TUYỆT MẬT"), ("toi_mat", "TỐI MẬT"), ("mat", "MẬT")]  # the strongest first
_WORD = {key: rf"{stamp}|{fold(stamp).upper()}" for key, stamp in LEVELS}
_DECOR = r"[\s\[\](){}«»<>*_\"'“”|:.\-–—=#]*"
ANY_WORD = re.compile("|".join(_WORD.values()), re.IGNORECASE)  # what every line pattern needs


@dataclass(frozen=True)
class Place:
    """Where a stamp may stand, and how it is written there."""

    name: str  # said to the board: "tiêu đề thư", "nội dung thư", "tệp …"
    pattern: str  # with {stamp} for the level's words; matched on the whole subject or on each line


SUBJECT_PLACES = [
    Place("trong ngoặc ở tiêu đề thư", r"[\[(]\s*(?:{stamp})\s*[\])]"),
    Place("đầu tiêu đề thư", r"^\s*(?:(?:re|fw|fwd|tl|v/v)\s*:\s*)*(?:{stamp})\s*(?:[:\-–—|/]|$)"),
    Place("cuối tiêu đề thư", r"(?:[:\-–—|/]|^)\s*(?:{stamp})\s*$"),
    Place("chữ in hoa giữa tiêu đề thư", r"(?<!BÍ )(?<!BI )(?<!\w)(?:{stamp})(?!\w)"),  # only in a mixed-case subject
]
LINE_PLACES = [
    Place("dòng riêng", rf"^{_DECOR}(?:{{stamp}}){_DECOR}$"),
    Place("ô “Độ mật”", r"^\s*(?:độ mật|do mat)\s*:\s*(?:{stamp})\s*\.?$"),
]


@functools.cache  # a few patterns, asked for thousands of times a corpus
def _compiled(place: Place, key: str, flags: int = 0) -> re.Pattern:
    return re.compile(place.pattern.replace("{stamp}", _WORD[key]), flags)


def stamp(subject: str, texts: dict[str, str]) -> tuple[str, str]:
    """(level, where it was found) or ("none", ""). ``texts`` names each text read ("nội dung thư",
    "tệp báo cáo.docx"). A stamp on a line of its own counts in any case (``Mật``); in the subject it must
    be written in capitals, the way offices write a stamp there, so that "Mật độ dân số" is never one."""
    subject = subject or ""
    short = {  # a stamp is a short line that has a stamp's word: a 100-page document has a few of them
        name: [line for line in map(str.strip, text.splitlines()) if 0 < len(line) < 40 and ANY_WORD.search(line)]
        for name, text in _distinct(texts).items()
    }
    places = (SUBJECT_PLACES if subject != subject.upper() else SUBJECT_PLACES[:3]) if ANY_WORD.search(subject) else []
    for key, _ in LEVELS:
        for place in places:
            if _compiled(place, key).search(subject):
                return key, place.name
        for name, lines in short.items():
            for place in LINE_PLACES:
                pattern = _compiled(place, key, re.IGNORECASE)
                if any(pattern.match(line) for line in lines):
                    return key, f"{place.name} trong {name}"
    return "none", ""


def _distinct(texts: dict[str, str]) -> dict[str, str]:
    """Each text once, under the first name it has: a plain mail's text is also the submission's."""
    seen: set[str] = set()
    return {name: text for name, text in texts.items() if not (text in seen or seen.add(text))}


def name_of(level: str) -> str:
    return dict(LEVELS).get(level, "")
