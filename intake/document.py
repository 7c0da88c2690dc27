"""The facts of an administrative document (Nghị định 30/2020/NĐ-CP): type, number, issuer, place, date,
signer and recipients. A date left blank in a draft (``ngày   tháng   năm``) stays unknown, never guessed.
"""

from __future__ import annotations

import re
from datetime import date

TYPES = [
    "QUYẾT ĐỊNH",
    "NGHỊ QUYẾT",
    "CHỈ THỊ",
    "CÔNG ĐIỆN",
    "CÔNG VĂN",
    "THÔNG BÁO",
    "KẾ HOẠCH",
    "HƯỚNG DẪN",
    "BÁO CÁO",
    "TỜ TRÌNH",
    "GIẤY MỜI",
    "CHƯƠNG TRÌNH",
    "PHƯƠNG ÁN",
    "ĐỀ ÁN",
    "QUY CHẾ",
    "QUY ĐỊNH",
    "BIÊN BẢN",
]
NUMBER = re.compile(r"Số\s*:\s*([0-9]+(?:/[0-9]{4})?/[\wĐđ.\-]+)", re.IGNORECASE)
DATE = re.compile(
    r"(?:([A-ZÀ-Ỹ][\wÀ-ỹ ]{1,40}),\s*)?ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})", re.IGNORECASE
)
AUTHORITY = re.compile(r"^(TM\.|KT\.|Q\.|TL\.|TUQ\.)\s*(.+)$")
EFFECTIVE = re.compile(
    r"có hiệu lực(?: thi hành)?(?: kể)? từ ngày (?:(ký)|(\d{1,2})/(\d{1,2})/(\d{4})|"
    r"(\d{1,2}) tháng (\d{1,2}) năm (\d{4}))",
    re.IGNORECASE,
)


def _effective_on(text: str, issued_on: str | None) -> str | None:
    """The effective date when the document states it ("có hiệu lực từ ngày ký" / "… từ ngày 01/12/2026")."""
    m = EFFECTIVE.search(text)
    if not m:
        return None
    if m[1]:
        return issued_on
    day, month, year = (m[2], m[3], m[4]) if m[2] else (m[5], m[6], m[7])
    try:
        return date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None


def extract(text: str) -> dict:
    lines = [line.strip().strip("*").strip() for line in text.splitlines() if line.strip()]
    head = lines[:40]
    doc: dict = {
        "type": None,
        "number": None,
        "issuer": None,
        "place": None,
        "issued_on": None,
        "signer": None,
        "summary": None,
        "recipients": [],
    }
    if m := NUMBER.search("\n".join(head)):
        doc["number"] = m[1]
    for i, line in enumerate(head):
        upper = line.upper()
        if doc["type"] is None and upper in TYPES and line == upper:
            doc["type"] = line
            if i + 1 < len(head):
                doc["summary"] = head[i + 1]
    if m := DATE.search("\n".join(head)):
        try:
            doc["issued_on"] = date(int(m[4]), int(m[3]), int(m[2])).isoformat()
        except ValueError:
            doc["issued_on"] = None
        doc["place"] = m[1].strip() if m[1] else None
    for line in head[:6]:
        if (
            line == line.upper()
            and re.search(r"ỦY BAN|UỶ BAN|UBND|SỞ|PHÒNG|BAN |HỘI ĐỒNG|VĂN PHÒNG|ĐẢNG ỦY", line)
            and "CỘNG HÒA" not in line
            and "CỘNG HOÀ" not in line
        ):
            doc["issuer"] = line
            break
    for i, line in enumerate(lines):
        if line.lower().startswith("nơi nhận"):
            for rec in lines[i + 1 : i + 20]:
                if not rec.startswith(("-", "+", "•")):
                    break
                doc["recipients"].append(rec.lstrip("-+• ").rstrip(";,."))
        if m := AUTHORITY.match(line):
            tail = [x for x in lines[i + 1 : i + 6] if x and not x.startswith(("-", "Nơi nhận"))]
            if tail:
                doc["signer"] = tail[-1] if len(tail) > 1 else tail[0]
    if not any(doc[k] for k in ("type", "number")):
        return {}
    doc["effective_on"] = _effective_on(" ".join(lines), doc["issued_on"])
    return doc
