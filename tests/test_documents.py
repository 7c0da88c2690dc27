"""Documents to safe HTML: the structure a reader needs, nothing a browser could be attacked with."""

from __future__ import annotations

import gc
import io
import re
import time
import zipfile
from pathlib import Path

import pytest
from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from hypothesis import example, given
from hypothesis import strategies as st
from PIL import Image

from intake import docx_html
from intake.analyze import _sanitized_text_html, _text_to_html, analyze
from intake.docx_html import docx_to_html
from intake.docx_safe import check_zip, convert_docx
from intake.filenames import safe_filename
from intake.sanitize import _has_event_attribute, _has_remote_image, removed_kinds, sanitize
from tests import samples
from toasoan.cli import preset_settings


def test_news_document_keeps_its_structure():
    converted = docx_to_html(samples.news_docx())
    html = converted.html
    assert html.startswith("<h1>Hội nghị tổng kết công tác văn hóa năm 2026</h1>")
    assert "<strong>UBND thị trấn Kép</strong>" in html and "<em>tổng kết</em>" in html
    assert "<ul><li>Xây dựng 12 khu dân cư văn hóa</li><li>Tổ chức 5 giải thể thao</li></ul>" in html
    assert "<ol><li>Đánh giá kết quả</li><li>Khen thưởng tập thể</li></ol>" in html
    assert "<thead><tr><th>Chỉ tiêu</th><th>Kết quả</th></tr></thead>" in html
    assert '<img src="cid:docx-image-1" alt="Quang cảnh hội nghị">' in html
    ref, name, ctype, data = converted.images[0]
    assert (ref, name, ctype) == ("docx-image-1", "anh-1.png", "image/png") and data.startswith(b"\x89PNG")
    assert converted.headings == ["Hội nghị tổng kết công tác văn hóa năm 2026", "Kết quả nổi bật"]


def _doc_bytes(doc) -> bytes:
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def test_nested_lists_merged_cells_links_and_centred_titles():
    doc = Document()
    title = doc.add_paragraph("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    title.alignment = 1
    doc.add_paragraph("Mục một", style="List Bullet")
    doc.add_paragraph("Mục con", style="List Bullet 2")
    doc.add_paragraph("Mục hai", style="List Bullet")
    table = doc.add_table(rows=2, cols=3)
    merged = table.cell(0, 0).merge(table.cell(0, 1))
    merged.text = "Gộp ngang"
    tall = table.cell(0, 2).merge(table.cell(1, 2))
    tall.text = "Gộp dọc"
    table.cell(1, 0).text, table.cell(1, 1).text = "a", "b"
    para = doc.add_paragraph("Xem ")
    rel = doc.part.relate_to(
        "https://kep.gov.vn/van-ban",
        "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink",
        is_external=True,
    )
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), rel)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "văn bản"
    run.append(text)
    link.append(run)
    para._p.append(link)
    html = docx_to_html(_doc_bytes(doc)).html
    assert '<p class="has-text-align-center">CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</p>' in html
    assert "<ul><li>Mục một<ul><li>Mục con</li></ul></li><li>Mục hai</li></ul>" in html
    assert '<td colspan="2">Gộp ngang</td><td rowspan="2">Gộp dọc</td>' in html
    assert "<tr><td>a</td><td>b</td></tr>" in html
    assert '<a href="https://kep.gov.vn/van-ban">văn bản</a>' in html


def test_hostile_html_is_made_harmless():
    hostile = (
        '<p onclick="steal()">Tin<script>alert(1)</script></p><iframe src="https://evil.example"></iframe>'
        '<a href="javascript:alert(1)">bấm</a><img src="https://tracker.example/p.gif"><form><input></form>'
        '<p style="background:url(https://evil.example)">x</p><a href="https://kep.gov.vn">ok</a>'
    )
    clean = sanitize(hostile)
    for bad in ("onclick", "script", "iframe", "javascript:", "tracker.example", "<img", "<form", "<input", "style="):
        assert bad not in clean
    assert '<a href="https://kep.gov.vn" rel="noopener noreferrer">ok</a>' in clean


def test_what_a_mail_client_does_not_show_is_not_in_the_draft():
    outlook = (
        "<html><head><title>Tin hội nghị</title><style>p{margin:0}</style></head>"
        "<body><template><p>mẫu</p></template><p>Nội dung</p><script>x()</script></body></html>"
    )
    assert sanitize(outlook) == "<p>Nội dung</p>"


def test_the_board_is_told_what_active_markup_was_removed():
    hostile = '<p onclick="steal()">Tin</p><iframe src="x"></iframe><a href="javascript:alert(1)">bấm</a>'
    assert removed_kinds(hostile) == [
        "khung nhúng (iframe/object/embed)",
        "thuộc tính sự kiện (on…)",
        "liên kết javascript:/vbscript:/data:",
    ]
    assert removed_kinds("<p>Nhân dịp mùa màng, online=1 và bấm <b>onclick= ở đây</b></p>") == []


@example("<a< onclick=")  # a tag name holds "<" as the browser reads it
@example("<a> onx= <b\u2003onload =")  # only ASCII blanks separate attributes
@example("<a\fonx\t\n=")
@given(st.text(alphabet="<> =onclabx\n\t\f\u2003", max_size=40))
def test_event_attributes_are_found_where_the_plain_pattern_finds_them(text):
    assert _has_event_attribute(text) == bool(re.search(r"<[^<>]*[^>][ \t\n\r\f]on[a-z]+\s*=", text))


@example("<img alt='<b>' src='//x'>")  # a "<" in a value does not end the tag
@example("<img <img src=//x")
@given(st.text(alphabet="<>imgsrc =/:'\"hp\t", max_size=40))
def test_remote_images_are_found_where_the_plain_pattern_finds_them(text):
    plain = r"<img\b[^>]*\ssrc\s*=\s*[\"']?\s*(https?:)?//"
    assert _has_remote_image(text) == bool(re.search(plain, text))


HOSTILE_BODIES = {
    "<img without an end": "<img ",
    "<img src without an end": "<img src",
    "on, on, on": "on",
    "<": "<",
    "blanks after href=": " ",
    "on… attributes": " onx",
}


@pytest.mark.parametrize("unit", HOSTILE_BODIES.values(), ids=HOSTILE_BODIES.keys())
def test_hostile_markup_is_checked_in_linear_time(unit):
    """In the daemon's own process, before the sanitiser: 16 times the text must not take 256 times as long
    ("<img <img …" once took 1.2 s for 40 KB, "onon…" 14 s for 64 KB). A ratio of two sizes, which a
    machine's speed does not move."""
    prefix = "<p href=" if unit == " " else "<p "

    def seconds(count: int) -> float:
        body, best = prefix + unit * count, float("inf")
        for _ in range(3):
            started = time.perf_counter()
            removed_kinds(body)
            best = min(best, time.perf_counter() - started)
        return best

    assert seconds(48_000) < 40 * seconds(3_000)


@example("Tin \"a\" & 'b' <i>\xa0x</i>\r\ny\rz\x00\n\n\r\n  đoạn 2")
@given(st.text())
def test_a_plain_text_body_is_written_as_the_sanitiser_writes_it(text):
    assert _sanitized_text_html(text) == sanitize(_text_to_html(text)).strip()


def test_attachment_names_are_made_safe():
    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename("C:\\Users\\x\\Tin bài.DOCX") == "Tin bài.docx"
    assert safe_filename('a<b>:"|?*.pdf') == "ab.pdf"
    assert safe_filename("") == "tep-dinh-kem"
    assert safe_filename("bao-cao.p\x00df") == "bao-cao.pdf"


MAMMOTH = Path(__file__).parent.parent.parent / "shared" / "corpora" / "docx" / "python-mammoth"


@pytest.mark.skipif(not MAMMOTH.exists(), reason="../shared/corpora is not beside this checkout")
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("footnotes.docx", '<p>Ouch<sup><a href="#fn-1" id="fnref-1" rel="noopener noreferrer">[1]</a></sup>.'),
        (
            "footnotes.docx",
            '<li id="fn-1"><p>A tachyon walks into a bar. <a href="#fnref-1" rel="noopener noreferrer">↑</a>',
        ),
        ("endnotes.docx", '<ol class="endnotes"><li id="en-1"><p>A tachyon walks into a bar.'),
        ("footnote-hyperlink.docx", '<a href="http://www.example.com" rel="noopener noreferrer">Example</a>'),
        ("text-box.docx", "<p>Datum plane</p>"),
        ("strikethrough.docx", "<p><s>Today's Special: Salmon</s> Sold out</p>"),
        ("comments.docx", "<p>Ouch.</p>"),  # comments dropped
        ("tables.docx", "<p>Above</p><table><tbody><tr><td>Top left</td><td>Top right</td></tr>"),
    ],
)
def test_notes_text_boxes_strike_and_comments(name, expected):
    assert expected in sanitize(docx_to_html((MAMMOTH / name).read_bytes()).html)


def test_tracked_changes_keep_insertions_and_drop_deletions():
    doc = Document()
    para = doc.add_paragraph("Giữ ")
    for tag, text in (("w:ins", "thêm "), ("w:del", "xóa ")):
        change = OxmlElement(tag)
        change.set(qn("w:id"), "1")
        change.set(qn("w:author"), "A")
        run = OxmlElement("w:r")
        t = OxmlElement("w:delText" if tag == "w:del" else "w:t")
        t.text = text
        run.append(t)
        change.append(run)
        para._p.append(change)
    assert docx_to_html(_doc_bytes(doc)).html == "<p>Giữ thêm</p>"


def test_relative_links_and_foreign_ids_do_not_survive():
    clean = sanitize('<a href="../customXml/item1.xml">x</a><a href="#main" id="header">y</a><p id="fn-1">z</p>')
    assert 'href="../' not in clean and 'href="#main"' not in clean and 'id="header"' not in clean
    assert "id=" not in clean.split("<p")[1]


def test_title_line_of_an_administrative_document_is_a_heading():
    doc = Document()
    for text in (
        "ỦY BAN NHÂN DÂN THỊ TRẤN KÉP",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "QUYẾT ĐỊNH",
        "Về việc kiện toàn Ban biên tập",
    ):
        doc.add_paragraph(text).alignment = 1
    html = docx_to_html(_doc_bytes(doc)).html
    assert "<h2>QUYẾT ĐỊNH</h2>" in html
    assert '<p class="has-text-align-center">CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</p>' in html


def test_the_sandbox_inflates_each_xml_part_once_and_reads_pictures_from_the_zip():
    data = samples.news_docx()
    parts: dict[str, bytes] = {}
    check_zip(data, "tin.docx", office=True, xml_parts=parts)
    assert "word/document.xml" in parts and "word/styles.xml" in parts
    assert not any(name.startswith("word/media/") for name in parts)  # pictures: read when the body shows them
    safe = convert_docx(data, "tin.docx")
    direct = docx_to_html(data)
    assert (safe.converted.html, safe.converted.text) == (direct.html, direct.text)
    assert len(safe.converted.images) == 1 and safe.converted.images[0][3].startswith(b"\x89PNG")


def test_a_vector_logo_is_left_out_with_one_warning_and_without_pillow():
    """Word files from offices carry the national emblem or a logo as WMF/EMF: no decoder of ours reads those,
    so the picture is left out of the draft and the board told its format once."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(samples.news_docx())) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "[Content_Types].xml":
                data = data.replace(
                    b'Extension="png" ContentType="image/png"', b'Extension="png" ContentType="image/x-wmf"'
                )
            elif item.filename.startswith("word/media/"):
                data = b"\xd7\xcd\xc6\x9a" + bytes(60)  # a placeable WMF's header, as Word writes one
            target.writestr(item, data)
    result = convert_docx(out.getvalue(), "tin.docx")
    assert "<img" not in result.converted.html
    warnings = [code for code, _ in result.notes + result.converted.notes if "image" in code]
    assert warnings == ["image_format"]


def test_a_tiff_in_a_document_is_said_to_be_converted_not_unshowable():
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(samples.news_docx())) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "[Content_Types].xml":
                data = data.replace(b'ContentType="image/png"', b'ContentType="image/tiff"')
            elif item.filename.startswith("word/media/"):
                tiff = io.BytesIO()
                Image.new("RGB", (8, 8), (0, 90, 0)).save(tiff, "TIFF")
                data = tiff.getvalue()
            target.writestr(item, data)
    raw = samples.submission("vp@kep.gov.vn", "bbt@kep.gov.vn", "Tin hội nghị", docx=out.getvalue())
    result = analyze(raw, preset_settings("kep"), samples.WRITTEN)
    assert [code for code in result.warning_codes if "image" in code] == ["image_converted"]
    assert [(f.filename, f.content_type) for f in result.submission.files if f.use == "image"] == [
        ("anh-1.png", "image/png")
    ]


def test_a_converted_document_is_freed_when_conversion_returns():
    """No reference cycle keeps a document's tree alive until the cycle collector happens to run: a worker
    converting one long document after another holds one at a time."""
    data = samples.news_docx()
    gc.collect()
    gc.disable()  # what a cycle holds stays among the collector's objects until it runs
    try:
        docx_to_html(data)
        # Counted by the converter's own types, not by gc.collect(): in the whole suite, servers' threads
        # make garbage of their own meanwhile.
        left = [o for o in gc.get_objects() if type(o) in (docx_html._Package, docx_html._Part, docx_html._Converter)]
        assert left == []
    finally:
        gc.enable()
