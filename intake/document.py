"""The facts of an administrative document (Nghị định 30/2020/NĐ-CP): type, number and symbol, issuing body,
place and date, summary, signer and authority, recipients, effective date.

A date left blank in a draft (``ngày   tháng   năm``) stays unknown, never guessed. The type comes from the
type line (QUYẾT ĐỊNH …) or, failing that, from the abbreviation in the number (Phụ lục III); a number with
no type abbreviation (``123/UBND-VP``) is a công văn.
"""

from __future__ import annotations

import re
from datetime import date

# Phụ lục III, Nghị định 30/2020: abbreviations of document types
ABBREVIATIONS = {
    "NQ": "NGHỊ QUYẾT",
    "QĐ": "QUYẾT ĐỊNH",
    "CT": "CHỈ THỊ",
    "QC": "QUY CHẾ",
    "QYĐ": "QUY ĐỊNH",
    "TC": "THÔNG CÁO",
    "TB": "THÔNG BÁO",
    "HD": "HƯỚNG DẪN",
    "CTR": "CHƯƠNG TRÌNH",
    "KH": "KẾ HOẠCH",
    "PA": "PHƯƠNG ÁN",
    "ĐA": "ĐỀ ÁN",
    "DA": "DỰ ÁN",
    "BC": "BÁO CÁO",
    "BB": "BIÊN BẢN",
    "TTR": "TỜ TRÌNH",
    "HĐ": "HỢP ĐỒNG",
    "CĐ": "CÔNG ĐIỆN",
    "BGN": "BẢN GHI NHỚ",
    "BTT": "BẢN THỎA THUẬN",
    "GUQ": "GIẤY ỦY QUYỀN",
    "GM": "GIẤY MỜI",
    "GGT": "GIẤY GIỚI THIỆU",
    "GNP": "GIẤY NGHỈ PHÉP",
    "PG": "PHIẾU GỬI",
    "PC": "PHIẾU CHUYỂN",
    "PB": "PHIẾU BÁO",
    "NĐ": "NGHỊ ĐỊNH",
    "TT": "THÔNG TƯ",
    "L": "LUẬT",
    "PL": "PHÁP LỆNH",
}
TYPES = sorted(set(ABBREVIATIONS.values()) | {"CÔNG VĂN"}, key=len, reverse=True)
NUMBER = re.compile(r"Số\s*:\s*([0-9]+(?:/[0-9]{4})?/[\wĐđ.\-]+)", re.IGNORECASE)
# Blanks and filler taken whole (*+), never shared between two quantifiers: "Số:" and 160 000 blanks took 36 s.
BLANK_NUMBER = re.compile(r"Số\s*:\s*+[ .…_\d]*+/\s*+([A-Za-zĐđ]+)?", re.IGNORECASE)
# The place before a date ("Hà Nội, ngày …"): a letter, then letters, digits and spaces, with the marks of
# text typed decomposed. Only the words are case-blind: a case-blind class such as [A-ZÀ-Ỹ] is folded one
# code point at a time (7 700 of them, 4 ms a pattern in every process that loads this module).
PLACE = r"(?:([^\W\d_][\w\u0300-\u036f ]{1,40}),\s*)?"
DATE = re.compile(PLACE + r"(?i:ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4}))")
BLANK_DATE = re.compile(PLACE + r"(?i:ngày\s*+[ .…_]*+\s*+tháng)")
AUTHORITY = re.compile(r"^(TM\.|KT\.|Q\.|TL\.|TUQ\.)\s*(.+)$")
MOTTO = re.compile(r"CỘNG H[ÒO]A XÃ HỘI|ĐỘC LẬP|Độc lập", re.IGNORECASE)
RULE = re.compile(r"^[_\-=.…]{3,}$")
EFFECTIVE = re.compile(
    r"có hiệu lực(?: thi hành)?(?: kể)? từ ngày (?:(ký)|(\d{1,2})/(\d{1,2})/(\d{4})|"
    r"(\d{1,2}) tháng (\d{1,2}) năm (\d{4}))",
    re.IGNORECASE,
)
# "bãi bỏ Quyết định số 15/2020/QĐ-UBND", "thay thế Quyết định số …", "… hết hiệu lực": what the document
# repeals or replaces (Long Xuyên Đ21.2: posts about repealed policies are taken down)
# Searched in lower-cased sentences: with IGNORECASE, this search was a tenth of a long decree's analysis.
REPEALS = re.compile(r"(bãi bỏ|thay thế|hết hiệu lực|hủy bỏ|huỷ bỏ|bai bo|thay the|het hieu luc)")
SENTENCE_END = re.compile(r"(?<=[.;:])\s+")
CITED_NUMBER = re.compile(r"(?:số|so)\s*+:?\s*+(\d++(?:/\d{4})?/[A-ZĐ][\wĐđ.\-]*[\wĐđ])", re.IGNORECASE)
WEBSITE = re.compile(r"website|trang thông tin điện tử|cổng thông tin điện tử|trang ttđt|cổng ttđt", re.IGNORECASE)


def _effective_on(m: re.Match | None, issued_on: str | None) -> str | None:
    """The effective date when the document states it ("có hiệu lực từ ngày ký" / "… từ ngày 01/12/2026"),
    from EFFECTIVE's match."""
    if not m:
        return None
    if m[1]:
        return issued_on
    day, month, year = (m[2], m[3], m[4]) if m[2] else (m[5], m[6], m[7])
    try:
        return date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None


def normal_number(number: str) -> str:
    """A document number as compared: upper case, no spaces ("15/2020/qđ-ubnd" is 15/2020/QĐ-UBND)."""
    return re.sub(r"\s+", "", number).upper()


def _replaces(text: str, own: str | None) -> list[str]:
    """The numbers the document repeals or replaces: those cited in a sentence that says so, after the
    verb or shortly before it ("Quyết định số 15/2020/QĐ-UBND … hết hiệu lực"); never its own number."""
    found: list[str] = []
    for line in text.split("\n"):
        if not REPEALS.search(line.lower()):
            continue  # most lines repeal nothing: only those that do are cut into sentences
        for sentence in SENTENCE_END.split(line):
            verb = REPEALS.search(sentence.lower())
            if not verb or re.search(r"\bcăn cứ\b", sentence[: verb.start()], re.IGNORECASE):
                continue
            for m in CITED_NUMBER.finditer(sentence):
                number = normal_number(m[1])
                if number != normal_number(own or "") and number not in found:
                    found.append(number)
    return found


SUMMARY_START = re.compile(r"^(V/v|Về việc)\b", re.IGNORECASE | re.MULTILINE)  # a line "V/v: …"
SUMMARY = re.compile(r"^(V/v|Về việc)\s*:?\s*(.+)$", re.IGNORECASE | re.MULTILINE)


def _type_of(head: list[str], number: str | None) -> tuple[str | None, int | None]:
    """(type, index of its line) from a type line, or from the number's abbreviation, or a "V/v" summary."""
    for i, line in enumerate(head):
        if line == line.upper() and line.rstrip(":") in TYPES:
            return line.rstrip(":"), i
    symbol = None
    if number:
        symbol = number.split("/")[-1].split("-")[0]
    elif m := BLANK_NUMBER.search("\n".join(head)):  # a draft: "Số:      /NQ-HĐND"
        symbol = m[1]
    if symbol and symbol.upper() in ABBREVIATIONS:
        return ABBREVIATIONS[symbol.upper()], None
    if SUMMARY_START.search("\n".join(head)):
        return "CÔNG VĂN", None  # 123/UBND-VP, and a summary under the number: a công văn
    return None, None


def _issuer(head: list[str]) -> str | None:
    """The capitalised lines that open the document, before the number and apart from the national motto."""
    lines = []
    for line in head[:8]:
        if RULE.match(line) or NUMBER.match(line) or BLANK_NUMBER.match(line) or line.startswith("Số"):
            break
        if MOTTO.search(line):
            if lines:
                break
            continue
        if line == line.upper() and any(ch.isalpha() for ch in line):
            lines.append(line)
        elif lines:
            break
    return " ".join(lines) or None


def _recipients(lines: list[str], start: int) -> list[str]:
    items: list[str] = []
    for line in lines[start + 1 : start + 60]:
        if AUTHORITY.match(line) or (line == line.upper() and any(ch.isalpha() for ch in line) and len(line) > 3):
            break
        if line.startswith(("-", "+", "•", "–")):
            items.append(line.lstrip("-+•– ").rstrip(";."))
        elif items:
            items[-1] = f"{items[-1]} {line.rstrip(';.')}".strip()
        else:
            break
    return [item.rstrip(",;. ") for item in items if not item.lower().startswith("lưu")]


def _signature(lines: list[str]) -> tuple[str | None, str | None, str | None]:
    """(authority, title, signer) from the signature block: 'TM. ỦY BAN NHÂN DÂN', 'CHỦ TỊCH', the name."""
    for i in range(len(lines) - 1, -1, -1):
        m = AUTHORITY.match(lines[i])
        if not m:
            continue
        block = [x for x in lines[i + 1 : i + 8] if not re.match(r"^[\[(]|\(?đã ký\)?|^\(ký|^ký tên", x, re.IGNORECASE)]
        title = block[0] if block and block[0] == block[0].upper() else None
        names = [
            x for x in block[1 if title else 0 :] if re.fullmatch(r"[A-ZÀ-Ỹ][\wÀ-ỹ]*(?: [A-ZÀ-Ỹ][\wÀ-ỹ]*){1,5}", x)
        ]
        return lines[i], title, names[0] if names else None
    return None, None, None


def extract(text: str) -> dict:
    """The document's facts, or {} when the text is not an administrative document."""
    lines = [line.strip().strip("*").strip() for line in text.splitlines() if line.strip()]
    head = lines[:40]
    number = m[1] if (m := NUMBER.search("\n".join(head))) else None
    doc_type, type_line = _type_of(head, number)
    if not doc_type and not number:
        return {}
    doc: dict = {
        "type": doc_type,
        "number": number,
        "issuer": _issuer(head),
        "place": None,
        "issued_on": None,
        "summary": None,
        "authority": None,
        "signer_title": None,
        "signer": None,
        "recipients": [],
        "for_website": False,
        "effective_on": None,
        "effective_from_signing": False,
        "replaces": [],
    }
    if type_line is not None and type_line + 1 < len(head) and not RULE.match(head[type_line + 1]):
        doc["summary"] = head[type_line + 1]
    elif m := SUMMARY.search("\n".join(head)):
        doc["summary"] = m[0].strip()
    if m := DATE.search("\n".join(head)):
        try:
            doc["issued_on"] = date(int(m[4]), int(m[3]), int(m[2])).isoformat()
        except ValueError:
            doc["issued_on"] = None
        doc["place"] = m[1].strip() if m[1] else None
    elif m := BLANK_DATE.search("\n".join(head)):
        doc["place"] = m[1].strip() if m[1] else None  # the date is left blank: unknown, not guessed
    for i, line in enumerate(lines):
        if line.lower().startswith("nơi nhận"):
            doc["recipients"] = _recipients(lines, i)
            break
    doc["for_website"] = any(WEBSITE.search(r) for r in doc["recipients"])
    doc["authority"], doc["signer_title"], doc["signer"] = _signature(lines)
    joined = " ".join(lines)
    effective = EFFECTIVE.search(joined)
    doc["effective_on"] = _effective_on(effective, doc["issued_on"])
    doc["effective_from_signing"] = bool(effective and effective[1])
    doc["replaces"] = _replaces("\n".join(lines), number)
    return doc
