"""What offices really attach, and what a hostile sender might: photos, scans, bombs, oversized mail."""

from __future__ import annotations

import io
import zipfile
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from msgspec.structs import replace
from PIL import Image

from intake.analyze import analyze
from intake.media import clean_image, pdf_text
from intake.message import size_text
from tests import hostile_set, samples
from toasoan.cli import preset_settings

SETTINGS = preset_settings("kep")
DOCX_TYPE = "/".join(hostile_set.DOCX)


def phone_photo() -> bytes:
    """A 40×20 JPEG stored sideways (orientation 6) with a GPS position, as phones write them."""
    image = Image.new("RGB", (40, 20), (200, 50, 50))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° when shown
    exif[0x8825] = {1: "N", 2: (21.0, 1.0, 30.0), 3: "E", 4: (105.0, 50.0, 0.0)}  # GPS
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_photo_is_turned_upright_and_loses_its_location():
    cleaned = clean_image(phone_photo(), "IMG_0001.JPG")
    with Image.open(io.BytesIO(cleaned.data)) as image:
        assert image.size == (20, 40)
        assert not image.getexif()
    assert cleaned.content_type == "image/jpeg"


def test_tiff_becomes_png():
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, "TIFF")
    cleaned = clean_image(out.getvalue(), "scan.tif")
    assert (cleaned.content_type, cleaned.filename) == ("image/png", "scan.png")
    assert cleaned.notes == [("image_converted", {"name": "scan.tif", "format": "PNG"})]


def test_animated_gif_keeps_every_frame_as_it_was_seen():
    frames = []
    for i in range(4):  # one palette for all frames, as most animations have
        frame = Image.new("RGB", (30, 20), (40 * i, 120, 200 - 40 * i))
        frame.paste((255, 255, 0), (5 * i, 2, 5 * i + 8, 10))
        frames.append(frame.quantize(colors=16))
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], loop=0, duration=80)

    def seen(data: bytes) -> list[bytes]:
        with Image.open(io.BytesIO(data)) as image:
            return [image.seek(i) or image.convert("RGB").tobytes() for i in range(image.n_frames)]

    cleaned = clean_image(out.getvalue(), "nhay.gif")
    assert cleaned.content_type == "image/gif"
    assert seen(cleaned.data) == seen(out.getvalue())


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_pixel_bomb_is_refused():
    out = io.BytesIO()
    Image.new("1", (9000, 9000)).save(out, "PNG")  # 81 megapixels in a few kilobytes
    with pytest.raises(ValueError, match="quá lớn"):
        clean_image(out.getvalue(), "bomb.png")


def text_pdf(text: str) -> bytes:
    """The smallest PDF with one line of text (Helvetica), written by hand."""
    return hostile_set.pdf(stream=f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode())


def scanned_pdf() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (100, 100), (255, 255, 255)).save(out, "PDF")
    return out.getvalue()


def test_pdf_text_and_scans():
    assert pdf_text(text_pdf("Ke hoach to chuc hoi nghi")) == "Ke hoach to chuc hoi nghi"
    assert pdf_text(scanned_pdf()) == ""
    with pytest.raises(ValueError):
        pdf_text(b"%PDF-1.4 garbage")


def mail_with(*attachments: tuple[bytes, str, str, str], body: str = "Kính gửi Ban biên tập") -> bytes:
    return samples.submission("vp@kep.gov.vn", "bbt@kep.gov.vn", "Gửi kế hoạch", body=body, extra=list(attachments))


def test_pdf_submission_shows_its_text_and_is_attached():
    result = analyze(
        mail_with((text_pdf("Ke hoach to chuc hoi nghi"), "application", "pdf", "ke-hoach.pdf")),
        SETTINGS,
        samples_now(),
    )
    assert "Ke hoach to chuc hoi nghi" in result.submission.body_html
    assert [(f.filename, f.use) for f in result.submission.files] == [("ke-hoach.pdf", "download")]


def test_scanned_pdf_is_flagged():
    result = analyze(mail_with((scanned_pdf(), "application", "pdf", "cong-van.pdf")), SETTINGS, samples_now())
    assert any("bản quét" in w for w in result.warnings)


def test_photo_attachment_is_cleaned_in_intake():
    result = analyze(mail_with((phone_photo(), "image", "jpeg", "IMG_0001.JPG")), SETTINGS, samples_now())
    [photo] = result.submission.files
    with Image.open(io.BytesIO(photo.data)) as image:
        assert image.size == (20, 40) and not image.getexif()


def test_pictures_are_read_only_in_the_formats_intake_takes_as_pictures():
    """An icon (or a Word file's WMF logo) is a format Pillow has a decoder for, but not one intake takes as a
    picture: it is refused without that decoder being tried on a stranger's bytes."""
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 0, 0)).save(out, "ICO")
    with pytest.raises(ValueError, match="không nhận ra định dạng ảnh"):
        clean_image(out.getvalue(), "logo.png")


def test_a_picture_that_is_not_one_is_dropped_with_a_warning_the_board_can_read():
    result = analyze(mail_with((b"GIF89a but not really" * 20, "image", "png", "anh.png")), SETTINGS, samples_now())
    assert result.submission.files == []
    [warning] = [w for w in result.warnings if "anh.png" in w]
    assert "không nhận ra định dạng ảnh" in warning and "0x" not in warning and "object" not in warning


def news_with_photos_and_pdfs() -> bytes:
    return mail_with(
        (phone_photo(), "image", "jpeg", "IMG_0001.JPG"),
        (scanned_pdf(), "application", "pdf", "cong-van.pdf"),
        (b"GIF89a but not really" * 20, "image", "png", "anh-hong.png"),
        (phone_photo(), "image", "jpeg", "IMG_0002.JPG"),
        (text_pdf("Ke hoach to chuc hoi nghi"), "application", "pdf", "ke-hoach.pdf"),
        (samples.png(), "image", "png", "so-do.png"),
    )


def test_pictures_and_pdfs_read_side_by_side_come_out_in_the_order_they_were_attached(monkeypatch):
    """With the daemon's two workers the pictures and PDFs are read together (intake/analyze.py
    ``_read_ahead``); the draft, its files and the board's warnings are what one worker gives, one by one."""
    from intake import analyze as analyzing
    from intake.analyze import as_json
    from intake.sandbox import SANDBOX, Sandbox

    SANDBOX.start(SANDBOX.size)
    raw = news_with_photos_and_pdfs()
    together = analyze(raw, SETTINGS, samples_now())
    assert [(f.filename, f.use) for f in together.submission.files] == [
        ("IMG_0001.jpg", "image"),
        ("cong-van.pdf", "download"),
        ("IMG_0002.jpg", "image"),
        ("ke-hoach.pdf", "download"),
        ("so-do.png", "image"),
    ]
    assert [c for c in together.warning_codes if c in ("image_metadata_removed", "image_dropped", "pdf_scanned")] == [
        "image_metadata_removed",
        "pdf_scanned",
        "image_dropped",
        "image_metadata_removed",
    ]
    assert "Ke hoach to chuc hoi nghi" in together.submission.body_html
    monkeypatch.setattr(analyzing, "SANDBOX", Sandbox(size=1))
    one_by_one = analyze(raw, SETTINGS, samples_now())
    assert as_json(together) == as_json(one_by_one)
    assert [f.data for f in together.submission.files] == [f.data for f in one_by_one.submission.files]


@pytest.mark.timeout(120)
def test_the_daemons_mailbox_threads_share_the_two_workers_without_waiting_on_each_other():
    """The hub runs four mailboxes at once (``--imap-workers``), each message handing its pictures to the
    same two workers while it asks them for its text: every one finishes, with the draft it has alone."""
    from concurrent.futures import ThreadPoolExecutor

    from intake.analyze import as_json
    from intake.sandbox import SANDBOX

    SANDBOX.start(SANDBOX.size)
    raw = news_with_photos_and_pdfs()
    alone = as_json(analyze(raw, SETTINGS, samples_now()))
    with ThreadPoolExecutor(4) as hub:
        drafts = list(hub.map(lambda _: as_json(analyze(raw, SETTINGS, samples_now())), range(12)))
    assert drafts == [alone] * 12


def test_a_message_refused_after_its_pictures_were_handed_out_leaves_the_workers_free():
    """The .docx comes first and is refused (macros) while its pictures are being cleaned: what was not
    taken is dropped, and the next message finds every worker."""
    from intake.sandbox import SANDBOX

    SANDBOX.start(SANDBOX.size)
    refused = mail_with(
        (hostile_set.docx_renamed_macros(), *hostile_set.DOCX, "tin.docx"),
        *[(phone_photo(), "image", "jpeg", f"IMG_{i:04d}.JPG") for i in range(6)],
    )
    assert analyze(refused, SETTINGS, samples_now()).code == "macros"
    after = analyze(news_with_photos_and_pdfs(), SETTINGS, samples_now())
    assert len(after.submission.files) == 5
    SANDBOX._callers.shutdown(wait=True)  # what was handed out has finished: every worker is back
    SANDBOX._callers = None
    assert len(SANDBOX._idle) == SANDBOX._count == SANDBOX.size


def test_a_control_character_before_an_html_bodys_first_element_is_read_like_any_other():
    """Found by tests/test_fuzz.py: text before the first element holding a control character stopped the
    analysis (lxml refuses to set such text through its API); it is read as text anywhere else is."""
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "vp@kep.gov.vn", "bbt@kep.gov.vn", "Tin hội nghị"
    msg.set_content("Kính gửi\x01 Ban biên tập<p>Sáng nay xã tổ chức hội nghị tổng kết.</p>", subtype="html")
    result = analyze(bytes(msg), SETTINGS, samples_now())
    assert result.kind == "submission"
    assert "Ban biên tập" in result.submission.preview_text and "hội nghị tổng kết" in result.submission.preview_text


@pytest.mark.parametrize("subtype", ["plain", "html"])
def test_control_characters_never_reach_the_draft_and_never_join_two_words(subtype):
    """Not allowed in XML (a site's RSS feed with one is refused by feed readers), and nothing a reader
    sees: each becomes a blank, so that a vertical tab written for a line break keeps its words apart."""
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "vp@kep.gov.vn", "bbt@kep.gov.vn", "Tin hội nghị"
    text = "Sáng nay\x0bxã tổ chức\x01hội nghị\x1ftổng kết\x0ccông tác năm."
    msg.set_content(f"<p>{text}</p>" if subtype == "html" else text, subtype=subtype)
    sub = analyze(bytes(msg), SETTINGS, samples_now()).submission
    assert "Sáng nay xã tổ chức hội nghị tổng kết công tác năm." in sub.body_html
    drawn = sub.body_html + sub.preview_html + sub.preview_text  # what the site and the board are shown
    assert not any(chr(c) in drawn for c in [*range(1, 9), 11, 12, *range(14, 32)])


def document_with_pictures(*pictures: bytes) -> bytes:
    from docx import Document

    document = Document()
    document.add_paragraph("Kế hoạch tổ chức hội nghị tổng kết công tác năm của xã")
    for n, picture in enumerate(pictures):
        document.add_picture(io.BytesIO(picture))
        document.add_paragraph(f"Ảnh {n + 1}")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def scan_as_jpeg_tiff() -> bytes:
    """A 1500×1500 scan in a JPEG-compressed TIFF (2 MB): written again as a lossless PNG it is 6 MB."""
    grain = Image.effect_noise((1500, 1500), 30)
    out = io.BytesIO()
    Image.merge("RGB", (grain, grain.rotate(90), grain.rotate(180))).save(out, "TIFF", compression="jpeg", quality=60)
    return out.getvalue()


def test_a_documents_pictures_read_side_by_side_come_out_as_one_by_one(monkeypatch):
    """A .docx's pictures are cleaned in sandbox calls of their own, together on the daemon's two workers
    (intake/analyze.py ``_cleaned_pictures``): the draft, its pictures and the board's warnings are what
    one worker gives, one by one."""
    from intake import analyze as analyzing
    from intake.analyze import as_json
    from intake.sandbox import SANDBOX, Sandbox

    SANDBOX.start(SANDBOX.size)
    pictures = (phone_photo(), hostile_set.png_claiming(30000, 30000), samples.png(), phone_photo())
    raw = mail_with((document_with_pictures(*pictures), *hostile_set.DOCX, "ke-hoach.docx"))
    handed, submit = [], SANDBOX.submit
    monkeypatch.setattr(SANDBOX, "submit", lambda *args, **kw: handed.append(args[0].__name__) or submit(*args, **kw))
    together = analyze(raw, SETTINGS, samples_now())
    assert handed == ["clean_image"] * 4  # side by side, not one by one
    files = together.submission.files
    assert [(f.filename, f.use) for f in files] == [
        ("anh-1.jpg", "image"),
        ("anh-3.png", "image"),
        ("anh-4.jpg", "image"),
        ("ke-hoach.docx", "body"),
    ]
    assert [c for c in together.warning_codes if c.startswith("image_")] == [
        "image_metadata_removed",
        "image_dropped",
        "image_metadata_removed",
    ]
    body = together.submission.body_html
    assert [f'src="cid:{f.ref}"' in body for f in files[:3]] == [True] * 3 and body.count("<img") == 3
    monkeypatch.setattr(analyzing, "SANDBOX", Sandbox(size=1))
    one_by_one = analyze(raw, SETTINGS, samples_now())
    assert as_json(together) == as_json(one_by_one)
    assert [f.data for f in files] == [f.data for f in one_by_one.submission.files]


def test_pictures_left_unread_when_the_time_ran_out_are_one_note_not_one_each():
    from intake.docx_safe import convert_docx, settle_pictures
    from intake.media import Cleaned

    safe = convert_docx(document_with_pictures(samples.png(), samples.png(), samples.png()), "ke-hoach.docx")
    settle_pictures(safe, [None, Cleaned(samples.png(), "image/png", "anh-2.png"), None], "ke-hoach.docx")
    assert [f"{code} {values}" for code, values in safe.notes] == [
        "pictures_time_budget {'count': 2, 'name': 'ke-hoach.docx'}"
    ]
    assert [name for _, name, _, _ in safe.converted.images] == ["anh-2.png"]
    assert safe.converted.html.count("<img") == 1 and 'src="cid:' + safe.converted.images[0][0] in safe.converted.html


def test_a_picture_over_a_limit_costs_the_picture_not_the_document(monkeypatch):
    """A picture whose cleaned form is over the worker's answer ceiling (4 MB here, in place of 96 MB) is
    left out with a note; the document's text and its other picture make the draft. When the document's
    pictures were cleaned in the call that converted it, the whole document was lost with it."""
    from intake import analyze as analyzing
    from intake.sandbox import Sandbox

    monkeypatch.setattr(analyzing, "SANDBOX", Sandbox(output_bytes=4 * 1024 * 1024))
    raw = mail_with((document_with_pictures(scan_as_jpeg_tiff(), samples.png()), *hostile_set.DOCX, "ke-hoach.docx"))
    result = analyze(raw, SETTINGS, samples_now())
    assert result.kind == "submission"
    assert "Kế hoạch tổ chức hội nghị" in result.submission.body_html
    assert [(f.filename, f.use) for f in result.submission.files] == [("anh-2.png", "image"), ("ke-hoach.docx", "body")]
    [dropped] = [w for w, c in zip(result.warnings, result.warning_codes, strict=True) if c == "image_dropped"]
    assert "anh-1.tiff" in dropped and "quá lớn (6 MB)" in dropped
    assert result.submission.body_html.count("<img") == 1


def test_a_document_whose_pictures_are_larger_as_stored_than_an_answer_still_converts(monkeypatch):
    """The pictures come back from the conversion as the document holds them: a BMP of 5 MB (4 MB answer
    ceiling here, in place of 96 MB) is not the document's loss; written again as a PNG it is small."""
    from intake import analyze as analyzing
    from intake.sandbox import Sandbox

    out = io.BytesIO()
    Image.new("RGB", (1400, 1300), (0, 90, 160)).save(out, "BMP")
    assert len(out.getvalue()) > 5_000_000
    monkeypatch.setattr(analyzing, "SANDBOX", Sandbox(output_bytes=4 * 1024 * 1024))
    raw = mail_with((document_with_pictures(out.getvalue()), *hostile_set.DOCX, "ke-hoach.docx"))
    result = analyze(raw, SETTINGS, samples_now())
    assert [(f.filename, f.content_type, f.use) for f in result.submission.files] == [
        ("anh-1.png", "image/png", "image"),
        ("ke-hoach.docx", DOCX_TYPE, "body"),
    ]
    assert "image_converted" in result.warning_codes and "document_unreadable" not in result.warning_codes


def test_a_documents_pictures_together_are_held_to_one_answers_ceiling(monkeypatch):
    """Each picture is its own call, but together they are no larger than the one answer they made when the
    document was converted with them (8 MB here): the scan that goes over is left out, and said."""
    from intake import analyze as analyzing
    from intake.sandbox import Sandbox

    monkeypatch.setattr(analyzing, "SANDBOX", Sandbox(output_bytes=8 * 1024 * 1024))
    scans = document_with_pictures(scan_as_jpeg_tiff(), scan_as_jpeg_tiff(), samples.png())
    result = analyze(mail_with((scans, *hostile_set.DOCX, "ke-hoach.docx")), SETTINGS, samples_now())
    assert [f.filename for f in result.submission.files] == ["anh-1.png", "ke-hoach.docx"]
    dropped = [w for w, c in zip(result.warnings, result.warning_codes, strict=True) if c == "image_dropped"]
    assert len(dropped) == 2 and all("các ảnh của tài liệu đã quá 8 MB" in w for w in dropped)
    assert result.submission.body_html.count("<img") == 1


@pytest.mark.parametrize("name", ["bang-tinh.xlsx", "tai-lieu.odt", "anh.zip"])
def test_archive_bombs_in_any_office_format_are_refused(name):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("content.xml", b"\0" * (30 * 1024 * 1024))
    result = analyze(mail_with((out.getvalue(), "application", "octet-stream", name)), SETTINGS, samples_now())
    assert result.kind == "refused" and "giãn ra quá lớn" in result.reason


def test_macros_in_an_innocent_name_are_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
        archive.writestr("word/vbaProject.bin", b"macro")
    result = analyze(
        mail_with((out.getvalue(), "application", "octet-stream", "tin-bai.docx")), SETTINGS, samples_now()
    )
    assert result.kind == "refused" and "macro" in result.reason


def test_attachment_over_the_limit_is_refused():
    settings = replace(SETTINGS, max_attachment_bytes=1000)
    result = analyze(mail_with((b"x" * 5000, "application", "octet-stream", "du-lieu.bin")), settings, samples_now())
    assert result.kind == "refused" and "quá lớn" in result.reason


def samples_now():
    from datetime import UTC, datetime

    return datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


@pytest.mark.timeout(60)
def test_oversized_message_is_not_downloaded_and_its_sender_is_told(site_factory):
    site = site_factory(top="max_message_bytes = 20000")
    site.start()
    big = EmailMessage()
    big["From"], big["To"], big["Subject"] = f"Phòng VH <{site.department}>", site.board_box, "Ảnh hội nghị"
    big.set_content("Gửi ảnh")
    big.add_attachment(b"\xff" * 60000, maintype="application", subtype="octet-stream", filename="anh.raw")
    raw = bytes(big)
    site.deliver(raw)
    [answer] = site.wait_mail(site.department, "Không tiếp nhận")
    from email import message_from_bytes, policy

    body = message_from_bytes(answer, policy=policy.default).get_body(("plain",)).get_content()
    size = size_text(len(raw.replace(b"\n", b"\r\n")))  # the server's RFC822.SIZE counts CRLF line ends
    assert f"thư quá lớn ({size}; tối đa 20 KB)" in body and size == "81 KB"
    assert len(site.dovecot.messages(site.board_box, "Toasoan/Processed")) == 1  # kept whole on the server


@pytest.mark.timeout(90)
def test_headers_postgresql_cannot_store_neither_lose_the_mail_nor_stop_the_mailbox(site_factory):
    """SQLite stores a string of any length, with NUL characters; PostgreSQL refuses one longer than its
    column or holding a NUL, which left such a mail retried forever in front of every later one. An
    In-Reply-To holding a NUL byte could not even be looked up, on either database."""
    site = site_factory()
    site.start()
    long = samples.submission(
        site.department,
        site.board_box,
        "Tin hội nghị",
        docx=samples.news_docx(),
        name="Công chức Văn hóa - Xã hội " * 20,
        extra=[(samples.png(), "image", "png" + "x" * 200, "anh.png")],
    ).replace(b"Message-ID: <", b"Message-ID: <" + b"x" * 600, 1)
    site.deliver(long)
    nul = samples.submission(site.department, site.board_box, "Tin NUL", docx=samples.news_docx())
    site.deliver(nul.replace(b"Subject: Tin NUL", b"Subject: =?utf-8?q?Tin_c=00=C3=B3_NUL?="))
    thread = samples.submission(site.department, site.board_box, "Tin chuỗi", docx=samples.news_docx())
    site.deliver(thread.replace(b"Message-ID:", b"In-Reply-To: <a\0b@kep.gov.vn>\r\nMessage-ID:", 1))
    site.deliver(samples.submission(site.department, site.board_box, "Tin sau", docx=samples.news_docx()))
    notified = site.wait_mail(site.address("truongban"), "Cần duyệt", count=4)
    subjects = [str(message_from_bytes(raw, policy=policy.default)["Subject"]) for raw in notified]
    for title in ("Tin hội nghị", "Tin có NUL", "Tin chuỗi", "Tin sau"):
        assert any(title in s for s in subjects), (title, subjects)


def test_word_97_document_without_libreoffice_is_attached_with_a_reason(monkeypatch):
    """Whether or not this machine has LibreOffice, the path without it is the one tested here."""
    import intake.office

    monkeypatch.setattr(intake.office, "soffice", lambda: None)
    result = analyze(
        mail_with((b"\xd0\xcf\x11\xe0" + b"\0" * 512, "application", "msword", "cong-van.doc")), SETTINGS, samples_now()
    )
    assert result.kind == "submission"
    assert [(f.filename, f.use) for f in result.submission.files] == [("cong-van.doc", "download")]
    assert any("chưa cài LibreOffice" in w for w in result.warnings)


@pytest.mark.skipif(not __import__("shutil").which("soffice"), reason="LibreOffice is not installed here")
@pytest.mark.parametrize(("fmt", "ctype"), [("odt", "vnd.oasis.opendocument.text"), ("doc", "msword")])
def test_older_formats_through_libreoffice(fmt, ctype):
    import io as _io

    from docx import Document

    doc = Document()
    doc.add_heading("Kế hoạch tuyên truyền", level=1)
    buffer = _io.BytesIO()
    doc.save(buffer)
    import subprocess
    import tempfile
    from pathlib import Path

    from intake.office import soffice

    with tempfile.TemporaryDirectory() as work:
        (Path(work) / "k.docx").write_bytes(buffer.getvalue())
        subprocess.run(
            [soffice(), "--headless", "--convert-to", "odt", "--outdir", work, f"{work}/k.docx"],
            check=True,
            capture_output=True,
            timeout=120,
        )
        odt = (Path(work) / "k.odt").read_bytes()
    result = analyze(
        mail_with((odt, "application", "vnd.oasis.opendocument.text", "ke-hoach.odt")), SETTINGS, samples_now()
    )
    assert "Kế hoạch tuyên truyền" in result.submission.body_html


@pytest.mark.skipif(not __import__("shutil").which("soffice"), reason="LibreOffice is not installed here")
def test_libreoffice_runs_under_a_memory_ceiling(monkeypatch):
    """No document here can make LibreOffice overrun 1 GB, so the ceiling is lowered until it cannot start:
    the conversion then fails with a reason instead of the process growing."""
    import io as _io

    from docx import Document

    from intake import office

    buffer = _io.BytesIO()
    Document().save(buffer)
    monkeypatch.setattr(office, "MEMORY_BYTES", 32 * 1024 * 1024)
    with pytest.raises(RuntimeError, match="LibreOffice"):
        office.to_docx(buffer.getvalue(), "ke-hoach.doc")
