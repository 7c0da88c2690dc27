"""Vietnamese text from legacy fonts: TCVN3 (ABC: .VnTime, and the .VnTimeH capitals) and VNI to Unicode.

In a .docx typed with those fonts, each legacy byte is stored as the Latin-1 character of the same code,
with the font named on the run: "Xin chµo" in .VnTime is "Xin chào". We convert only where the font
says legacy *and* the characters look legacy, because many files declare .VnTime over Unicode text.
Everything leaves NFC-normalised (TCVN 6909:2001).
"""

from __future__ import annotations

import collections
import functools
import re
import unicodedata

# TCVN 5712:1993 VN3 ("ABC"), bytes 0xA1-0xFE: the letters with a breve, circumflex, horn or stroke,
# then each vowel with its five tones in the order huyền, hỏi, ngã, sắc, nặng.
_TCVN3_LAYOUT = {
    0xA1: "Ă",
    0xA2: "Â",
    0xA3: "Ê",
    0xA4: "Ô",
    0xA5: "Ơ",
    0xA6: "Ư",
    0xA7: "Đ",
    0xA8: "ă",
    0xA9: "â",
    0xAA: "ê",
    0xAB: "ô",
    0xAC: "ơ",
    0xAD: "ư",
    0xAE: "đ",
    # TCVN 5712 fills gaps between the runs with combining tones and some capitals (VN1).
    0xB0: "\u0300",
    0xB1: "\u0309",
    0xB2: "\u0303",
    0xB3: "\u0301",
    0xB4: "\u0323",
    0xAF: "Ằ",
    0xBA: "Ẳ",
    0xBF: "Ẵ",
    0xC0: "Ắ",
    0xC1: "Ầ",
    0xC2: "Ẩ",
    0xC3: "Ẫ",
    0xC4: "Ấ",
    0xC5: "Ề",
    0xCD: "Ể",
    0xD9: "Ễ",
    0xDA: "Ế",
    0xDB: "Ồ",
    0xE0: "Ổ",
    0xF0: "Ỗ",
}
_TONED = [  # (first byte of each vowel's run, its five toned forms)
    ([0xB5, 0xB6, 0xB7, 0xB8, 0xB9], "àảãáạ"),
    ([0xBB, 0xBC, 0xBD, 0xBE, 0xC6], "ằẳẵắặ"),
    ([0xC7, 0xC8, 0xC9, 0xCA, 0xCB], "ầẩẫấậ"),
    ([0xCC, 0xCE, 0xCF, 0xD0, 0xD1], "èẻẽéẹ"),
    ([0xD2, 0xD3, 0xD4, 0xD5, 0xD6], "ềểễếệ"),
    ([0xD7, 0xD8, 0xDC, 0xDD, 0xDE], "ìỉĩíị"),
    ([0xDF, 0xE1, 0xE2, 0xE3, 0xE4], "òỏõóọ"),
    ([0xE5, 0xE6, 0xE7, 0xE8, 0xE9], "ồổỗốộ"),
    ([0xEA, 0xEB, 0xEC, 0xED, 0xEE], "ờởỡớợ"),
    ([0xEF, 0xF1, 0xF2, 0xF3, 0xF4], "ùủũúụ"),
    ([0xF5, 0xF6, 0xF7, 0xF8, 0xF9], "ừửữứự"),
    ([0xFA, 0xFB, 0xFC, 0xFD, 0xFE], "ỳỷỹýỵ"),
]
TCVN3 = {chr(code): letter for code, letter in _TCVN3_LAYOUT.items()}
for codes, letters in _TONED:
    TCVN3.update({chr(code): letter for code, letter in zip(codes, letters, strict=True)})

# VNI-Windows: a base letter followed by mark characters (read as Latin-1/Windows-1252).
_VNI_TONES = {"ø": "\u0300", "û": "\u0309", "õ": "\u0303", "ù": "\u0301", "ï": "\u0323"}
_VNI_TONES_UPPER = {"Ø": "\u0300", "Û": "\u0309", "Õ": "\u0303", "Ù": "\u0301", "Ï": "\u0323"}
_VNI_CIRCUMFLEX_TONED = {"à": "\u0300", "å": "\u0309", "ã": "\u0303", "á": "\u0301", "ä": "\u0323"}
_VNI_BREVE_TONED = {"è": "\u0300", "ú": "\u0309", "ü": "\u0303", "é": "\u0301", "ë": "\u0323"}
_VNI_SINGLE = {  # whole letters that VNI writes as one character
    "ì": "ì",
    "í": "í",
    "æ": "ỉ",
    "ó": "ĩ",
    "ò": "ị",
    "Ì": "Ì",
    "Í": "Í",
    "Æ": "Ỉ",
    "Ó": "Ĩ",
    "Ò": "Ị",
    "ô": "ơ",
    "Ô": "Ơ",
    "ö": "ư",
    "Ö": "Ư",
    "ñ": "đ",
    "Ñ": "Đ",
    "î": "ỵ",
    "Î": "Ỵ",
}


def _vni_table() -> dict[str, str]:
    table: dict[str, str] = {}
    # plain vowels, and ơ/ư which VNI writes as ô/ö, each followed by a tone
    for raw, base in [*zip("aeouyAEOUY", "aeouyAEOUY", strict=True), ("ô", "ơ"), ("ö", "ư"), ("Ô", "Ơ"), ("Ö", "Ư")]:
        marks = _VNI_TONES_UPPER if base.isupper() else _VNI_TONES
        for mark, combining in marks.items():
            table[raw + mark] = unicodedata.normalize("NFC", base + combining)
    for base in "aeoAEO":
        hat = {"a": "â", "e": "ê", "o": "ô"}[base.lower()]
        hat = hat.upper() if base.isupper() else hat
        table[base + ("Â" if base.isupper() else "â")] = hat
        for mark, combining in _VNI_CIRCUMFLEX_TONED.items():
            upper_mark = mark.upper()
            table[base + (upper_mark if base.isupper() else mark)] = unicodedata.normalize("NFC", hat + combining)
    for base in "aA":
        breve = "Ă" if base.isupper() else "ă"
        table[base + ("Ê" if base.isupper() else "ê")] = breve
        for mark, combining in _VNI_BREVE_TONED.items():
            table[base + (mark.upper() if base.isupper() else mark)] = unicodedata.normalize("NFC", breve + combining)
    return table


VNI_PAIRS = {**_VNI_SINGLE, **_vni_table()}  # pairs win over singles: "oâ" is ô, a lone "ô" is ơ
_VNI_PATTERN = re.compile("|".join(re.escape(k) for k in sorted(VNI_PAIRS, key=len, reverse=True)))
VIETNAMESE_LETTERS = (
    set("ăâđêôơưĂÂĐÊÔƠƯ")
    | {chr(c) for c in range(0x1EA0, 0x1EFA)}
    | set("àáảãạèéẻẽẹìíỉĩịòóỏõọùúủũụỳýỷỹỵÀÁẢÃẠÈÉẺẼẸÌÍỈĨỊÒÓỎÕỌÙÚỦŨỤỲÝỶỸỴ")
)


def font_encoding(font: str | None) -> str | None:
    """'tcvn3', 'tcvn3_caps' or 'vni' from a font name, e.g. '.VnTime', '.VnTimeH', 'VNI-Times'."""
    if not font:
        return None
    name = font.strip().lower()
    if name.startswith(".vn") or (name.startswith("vn") and not name.startswith("vni")):
        return "tcvn3_caps" if name.rstrip(" ").endswith("h") else "tcvn3"
    if name.startswith("vni"):
        return "vni"
    return None


def looks_legacy(text: str) -> bool:
    """Legacy bytes read as Latin-1, and none of the letters Unicode Vietnamese would have."""
    if any(ch in VIETNAMESE_LETTERS and ch not in "àáãèéêìíòóôõùúýÀÁÃÈÉÊÌÍÒÓÔÕÙÚÝâÂ" for ch in text):
        return False  # ạ, ế, ơ, ư, đ… exist only in Unicode text
    if any(ord(ch) > 0xFF for ch in text):
        return False
    return any(0xA0 < ord(ch) <= 0xFF for ch in text)


def convert(text: str, encoding: str) -> str:
    if encoding in ("tcvn3", "tcvn3_caps"):
        out = "".join(TCVN3.get(ch, ch) for ch in text)
        return unicodedata.normalize("NFC", out.upper() if encoding == "tcvn3_caps" else out)
    if encoding == "vni":
        return unicodedata.normalize("NFC", _VNI_PATTERN.sub(lambda m: VNI_PAIRS[m[0]], text))
    raise ValueError(encoding)


ONSET = "ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|b|c|d|g|h|k|l|m|n|p|r|s|t|v|x"
NUCLEUS = (
    "uye|uya|uyu|uoi|uou|ieu|yeu|oai|oay|oao|oeo|uay|uai|ai|ao|au|ay|eo|eu|ia|ie|iu|oa|oe|oi|oo|ua|ue|ui|uo|uu|uy|"
    "ye|a|e|i|o|u|y"
)
CODA = "ch|ng|nh|c|m|n|p|t"
SYLLABLE = re.compile(rf"(?:{ONSET})?(?:{NUCLEUS})(?:{CODA})?")
MAX_JUDGED = 5_000  # characters (some 1 000 words): the opening of a long text tells how it was typed
MIN_WORDS = 8  # a short notice is enough: "Thong bao lich hop giao ban thang 12"
UNMARKED_SHARE = 0.9  # accented prose leaves ~35-50 % of syllables without a mark; typed without, 100 %
VIETNAMESE_SHARE = 0.7  # English shares only a third of its words with Vietnamese syllable shapes


def _base(word: str) -> str:
    """The letters without any mark: "Đường" → "duong"."""
    stripped = "".join(ch for ch in unicodedata.normalize("NFD", word.lower()) if not unicodedata.combining(ch))
    return stripped.replace("đ", "d")


def has_no_diacritics(text: str) -> bool:
    """Vietnamese typed without its marks ("Uy ban nhan dan xa"): warned about, never changed.

    Judged by syllable structure: a word is a Vietnamese syllable when it is an onset, a vowel nucleus and
    a coda (ng, nh, ch, c, m, n, p, t). When most words of the text are such syllables and (nearly) none
    carries the mark that Vietnamese puts on most syllables, the text was typed without diacritics. Works
    from about eight words; English, which shares few of its words with those shapes, is not flagged.
    """
    words = collections.Counter(re.findall(r"[^\W\d_]+", text[:MAX_JUDGED]))  # a text repeats its words
    total = words.total()
    if total < MIN_WORDS:
        return False
    syllables = unmarked = 0
    for word, count in words.items():
        syllable, bare = _shape(word)
        syllables += count if syllable else 0
        unmarked += count if syllable and bare else 0
    if syllables < VIETNAMESE_SHARE * total:
        return False
    return unmarked >= UNMARKED_SHARE * syllables


@functools.lru_cache(maxsize=65536)
def _shape(word: str) -> tuple[bool, bool]:
    """(a Vietnamese syllable's shape, written without any mark), remembered: a language has a few
    thousand syllables, and the daemon reads one message after another."""
    return bool(SYLLABLE.fullmatch(_base(word))), not any(ch in VIETNAMESE_LETTERS for ch in word)
