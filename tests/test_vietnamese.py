"""Vietnamese text: legacy fonts converted (and only where they really are legacy), windows-1258 mail, NFC."""

from __future__ import annotations

import io
import json
import unicodedata
from email.message import EmailMessage
from pathlib import Path

import pytest
from docx import Document
from ftfy.badness import is_bad
from hypothesis import example, given
from hypothesis import strategies as st

from intake.docx_html import docx_to_html
from intake.message import mojibake_possible, parse
from intake.sandbox import Sandbox
from intake.vietnamese import TCVN3, convert, font_encoding, has_no_diacritics, looks_legacy

CORPORA = Path(__file__).parent.parent.parent / "shared" / "corpora" / "vietnamese"
needs_corpora = pytest.mark.skipif(not CORPORA.exists(), reason="../shared/corpora is not beside this checkout")


@pytest.mark.parametrize(
    ("legacy", "encoding", "unicode"),
    [
        ("Uû ban nh©n d©n x· §¾k Mar", "tcvn3", "Uỷ ban nhân dân xã Đắk Mar"),
        ("QUYÕT §ÞNH", "tcvn3_caps", "QUYẾT ĐỊNH"),
        ("Céng hßa x· héi chñ nghÜa ViÖt Nam", "tcvn3", "Cộng hòa xã hội chủ nghĩa Việt Nam"),
        ("Toâi ñi hoïc", "vni", "Tôi đi học"),
        ("ÖÙNG PHOÙ BAÕO", "vni", "ỨNG PHÓ BÃO"),
        ("Thöôøng tröïc", "vni", "Thường trực"),
    ],
)
def test_conversions(legacy, encoding, unicode):
    assert convert(legacy, encoding) == unicode


@pytest.mark.parametrize(
    ("font", "encoding"),
    [
        (".VnTime", "tcvn3"),
        (".VnTimeH", "tcvn3_caps"),
        (".VnArial", "tcvn3"),
        (".VnArialH", "tcvn3_caps"),
        ("VNI-Times", "vni"),
        ("VNI-Helve", "vni"),
        ("Times New Roman", None),
        (None, None),
    ],
)
def test_fonts(font, encoding):
    assert font_encoding(font) == encoding


def test_unicode_text_is_never_taken_for_legacy():
    assert not looks_legacy("Hà Nội, ngày 05 tháng 6 năm 2020")  # ộ exists only in Unicode
    assert looks_legacy("Hµ Néi, ngµy 05 th¸ng 6 n¨m 2020")
    assert not looks_legacy("Ha Noi")


@needs_corpora
def test_duydev_parallel_phrases():
    phrases = json.loads((CORPORA / "duydev-vietnamese-conversion" / "test_phrases.json").read_text("utf-8"))
    checked = 0
    for phrase in phrases["phrases"].values():
        for encoding in ("tcvn3", "vni"):
            if encoding in phrase:
                assert convert(phrase[encoding], encoding) == phrase["unicode"]
                checked += 1
    assert checked >= 4


@needs_corpora
def test_tcvn3_table_agrees_with_libiconv():
    rows = [
        line.split()[:2]
        for line in (CORPORA / "libiconv-charset-tables" / "TCVN.TXT").read_text().splitlines()
        if line.startswith("0x")
    ]
    letters = {int(b, 16): chr(int(u, 16)) for b, u in rows if 0xA1 <= int(b, 16) <= 0xFE}
    assert len(letters) == 94
    assert {ord(k): v for k, v in TCVN3.items()} == {k: v for k, v in letters.items() if chr(k) in TCVN3}
    assert all(chr(code) in TCVN3 for code, letter in letters.items() if letter != chr(code))


def _docx(*runs: tuple[str, str]) -> bytes:
    doc = Document()
    for text, font in runs:
        doc.add_paragraph().add_run(text).font.name = font
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def test_legacy_document_is_converted_and_flagged():
    converted = docx_to_html(
        _docx(
            ("ñy ban nh©n d©n", ".VnTime"),
            ("QUYÕT §ÞNH", ".VnTimeH"),
            ("Toâi ñi hoïc", "VNI-Times"),
            ("Hà Nội", "Times New Roman"),
        )
    )
    assert "<p>ủy ban nhân dân</p><h2>QUYẾT ĐỊNH</h2><p>Tôi đi học</p><p>Hà Nội</p>" in converted.html
    assert any("phông cũ (TCVN3/ABC, VNI)" in w for w in converted.warnings)


@pytest.mark.parametrize("where", ["paragraph style", "character style", "Normal style"])
def test_legacy_font_inherited_from_a_style_is_converted(where):
    """A run that names no font takes its style's: the legacy text is found through each way Word passes a
    font down, and a run in the same paragraph that names a Unicode font is left as it is."""
    from docx.enum.style import WD_STYLE_TYPE

    doc = Document()
    kind = WD_STYLE_TYPE.CHARACTER if where == "character style" else WD_STYLE_TYPE.PARAGRAPH
    style = doc.styles["Normal"] if where == "Normal style" else doc.styles.add_style("Cu", kind)
    style.font.name = ".VnTime"
    doc.add_paragraph().add_run("Kính gửi Ban biên tập").font.name = "Times New Roman"
    paragraph = doc.add_paragraph(style="Cu" if where == "paragraph style" else None)
    run = paragraph.add_run("ñy ban nh©n d©n")
    if where == "character style":
        run.style = "Cu"
    paragraph.add_run(" Hà Nội").font.name = "Times New Roman"
    out = io.BytesIO()
    doc.save(out)
    converted = docx_to_html(out.getvalue())
    assert "ủy ban nhân dân Hà Nội" in converted.text
    assert any("phông cũ (TCVN3/ABC)" in w for w in converted.warnings)


def test_unicode_document_declaring_vntime_is_left_alone():
    converted = docx_to_html(_docx(("Hà Nội, ngày 05 tháng 6 năm 2020", ".VnTime"), ("Hà", ".VnTime")))
    assert "<p>Hà Nội, ngày 05 tháng 6 năm 2020</p><p>Hà</p>" in converted.html and converted.warnings == []


@needs_corpora
def test_decree_files_are_read_as_unicode():
    for path in (CORPORA / "nd30-2020-van-ban-plus" / "docx").glob("*.docx"):
        converted = docx_to_html(path.read_bytes())
        assert not any("phông cũ" in w for w in converted.warnings), path.name
        assert "Nghị định" in converted.text or "NGHỊ ĐỊNH" in converted.text, path.name


def _cp1258(text: str) -> bytes:
    """As Windows writes it: letters with a hat, breve or horn precomposed, the tone a combining mark after."""
    out = b""
    for ch in text:
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            decomposed = unicodedata.normalize("NFD", ch)
            tones = "".join(c for c in decomposed if c in "\u0300\u0301\u0303\u0309\u0323")
            base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in tones))
            out += (base + tones).encode("cp1258")
    return out


def test_windows_1258_mail_is_read_as_nfc():
    text = "Kính gửi Ban biên tập, xin gửi tin hội nghị tổng kết năm 2026 của Ủy ban nhân dân xã."
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "vp@kep.gov.vn", "bbt@kep.gov.vn", "Tin"
    msg.set_payload(_cp1258(text), charset="windows-1258")
    mail = parse(bytes(msg))
    assert mail.text.strip() == text and unicodedata.is_normalized("NFC", mail.text)


@needs_corpora
def test_libiconv_cp1258_snippet():
    folder = CORPORA / "libiconv-charset-tables"
    decoded = unicodedata.normalize("NFC", (folder / "CP1258-snippet").read_bytes().decode("cp1258"))
    assert decoded == unicodedata.normalize("NFC", (folder / "CP1258-snippet.UTF-8").read_text("utf-8"))


def test_text_without_diacritics_is_noticed():
    plain = (
        "Uy ban nhan dan xa Dak Mar thong bao ve viec to chuc hoi nghi tong ket cong tac nam 2026 cua cac "
        "ban nganh doan the trong xa. Thoi gian: ngay 25 thang 11 nam 2026 tai hoi truong uy ban nhan dan xa."
    )
    assert has_no_diacritics(plain)
    assert not has_no_diacritics("Ủy ban nhân dân xã Đắk Mar thông báo về việc tổ chức hội nghị tổng kết " * 3)
    assert not has_no_diacritics("Short note")


def test_mislabelled_charset_is_repaired():
    text = "Kính gửi Ban biên tập, xin gửi tin hội nghị."
    raw = (
        b"From: vp@kep.gov.vn\r\nTo: bbt@kep.gov.vn\r\nSubject: Tin\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        + text.encode("utf-8")
        + b"\r\n"
    )
    assert parse(raw).text.strip() == text


def read_and_list_ftfy(raw: bytes) -> tuple[str, list[str]]:
    """Run in a fresh worker: the text read, and which of ftfy's modules that took."""
    import sys

    from intake.message import read

    return read(raw).text.strip(), sorted(name for name in sys.modules if name.split(".")[0] == "ftfy")


def test_only_text_that_fails_ftfys_test_loads_the_rest_of_ftfy():
    """ftfy's package takes 45-75 ms to load, on the path of every `toasoan inspect` of a Vietnamese
    message: a worker loads its test for mojibake alone, and the rest for text that fails it."""
    text = "Kính gửi Ban biên tập, xin gửi tin hội nghị."
    head = b"From: vp@kep.gov.vn\r\nTo: bbt@kep.gov.vn\r\nSubject: Tin\r\nMIME-Version: 1.0\r\n"
    right = head + b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    wrong = head + b"Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    sandbox = Sandbox(size=1)
    assert sandbox.run(read_and_list_ftfy, right + text.encode()) == (text, ["ftfy.badness"])
    fixed, loaded = sandbox.run(read_and_list_ftfy, wrong + text.encode())
    assert fixed == text
    assert {"ftfy", "ftfy.badness", "ftfy.chardata", "ftfy.fixes"} <= set(loaded)


def test_mislabelled_charset_far_into_a_long_english_text_is_repaired():
    text = "Dear editors, please find the report below. " * 400 + "Kính gửi Ban biên tập."
    raw = (
        b"From: vp@kep.gov.vn\r\nTo: bbt@kep.gov.vn\r\nSubject: Tin\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=windows-1252\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        + text.encode("utf-8")
    )
    assert parse(raw).text.strip() == text


# ASCII letters and spaces, the characters ftfy's test for mojibake is made of (Latin-1, Windows-1252's
# punctuation, Greek, Cyrillic, box drawing) and Vietnamese letters, with long ASCII stretches between.
ASCII_PIECES = st.sampled_from([*"az .,?!\n\t", "x" * 300])
MOJIBAKE_PIECES = st.sampled_from(
    [chr(c) for c in range(0x80, 0x180)] + list("ƒˆ˜–—‘’‚“”„†‡•…‰‹›€™ΒΓΞΟβВГРСЂўạằữ") + ["\u2500", "▀", "ГўВЂВ"]
)


@example("a Ã ")  # ftfy looks two characters before "Ã"
@example("ГўВЂВ.a")  # ... and two after
@given(st.lists(st.one_of(ASCII_PIECES, MOJIBAKE_PIECES), max_size=40).map("".join))
def test_the_mojibake_probe_misses_nothing_ftfy_would_see(text):
    assert mojibake_possible(text) or not is_bad(text)
