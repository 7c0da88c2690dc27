"""A hostile and odd set of messages, generated: what a public address receives from strangers and from
departments' strange mail clients. Each entry: (raw message, what intake must make of it).

Used by tests/test_hostile_set.py (each message through intake) and bench/hostile.py (time and memory
of each). ``heavy=True`` adds the large ones (a 190 MB document.xml, 100 000 paragraphs, 10 000 images).
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Callable
from email.message import EmailMessage

from PIL import Image

FROM, TO = "Phòng Văn hóa <vhtt@kep.gov.vn>", "bbt@kep.gov.vn"
BODY = "Kính gửi Ban biên tập, xin gửi tin bài về hội nghị tổng kết công tác năm của xã."


def mail(subject: str = "Gửi tin hội nghị", body: str = BODY, files=(), headers=None) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = FROM, TO, subject
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    for data, maintype, subtype, name in files:
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return bytes(msg)


def png(width: int = 40, height: int = 30) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (20, 120, 200)).save(out, "PNG")
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims a size it does not hold: decoding would allocate width×height."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack("!I", len(data)) + kind + data + struct.pack("!I", zlib.crc32(kind + data))

    ihdr = struct.pack("!IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 1024)) + chunk(b"IEND", b"")
    )


def jpeg_bomb() -> bytes:
    """A small JPEG whose frame header is patched to 65000×65000."""
    out = io.BytesIO()
    Image.new("RGB", (16, 16)).save(out, "JPEG")
    data = bytearray(out.getvalue())
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack("!HH", 65000, 65000)
    return bytes(data)


def gps_jpeg() -> bytes:
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (21.0, 1.0, 30.0), 3: "E", 4: (105.0, 50.0, 0.0)}
    out = io.BytesIO()
    Image.new("RGB", (30, 20), (200, 50, 50)).save(out, "JPEG", exif=exif)
    return out.getvalue()


def cmyk_tiff() -> bytes:
    out = io.BytesIO()
    Image.new("CMYK", (50, 40), (0, 100, 200, 0)).save(out, "TIFF")
    return out.getvalue()


def docx(paragraphs=("Kế hoạch tổ chức hội nghị tổng kết công tác năm của xã",), image: bytes | None = None) -> bytes:
    from docx import Document

    doc = Document()
    for text in paragraphs:
        doc.add_paragraph(text)
    if image is not None:
        doc.add_picture(io.BytesIO(image))
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def rezip(data: bytes, change: Callable[[str, bytes], bytes | None] = lambda n, d: d, add=()) -> bytes:
    """The package with each member passed through ``change`` (None drops it) and members added."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            new = change(info.filename, src.read(info))
            if new is not None:
                dst.writestr(info.filename, new)
        for name, content in add:
            dst.writestr(name, content)
    return out.getvalue()


def in_body(data: bytes, xml: str) -> bytes:
    """A .docx with ``xml`` inserted at the start of its body."""
    return rezip(
        data, lambda n, d: d.replace(b"<w:body>", b"<w:body>" + xml.encode()) if n == "word/document.xml" else d
    )


def with_rel(data: bytes, rel: str) -> bytes:
    return rezip(
        data,
        lambda n, d: (
            d.replace(b"</Relationships>", rel.encode() + b"</Relationships>")
            if n == "word/_rels/document.xml.rels"
            else d
        ),
    )


RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
W = f'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="{RELS}"'


def docx_with_link(target: str) -> bytes:
    base = with_rel(
        docx(),
        f'<Relationship Id="rIdX1" Type="{RELS}/hyperlink" Target="{target}" TargetMode="External"/>',
    )
    return in_body(base, f'<w:p {W}><w:hyperlink r:id="rIdX1"><w:r><w:t>bấm vào đây</w:t></w:r></w:hyperlink></w:p>')


def docx_remote_image() -> bytes:
    base = with_rel(
        docx(image=png()),
        f'<Relationship Id="rIdX2" Type="{RELS}/image" Target="http://tracker.example/p.png" TargetMode="External"/>',
    )
    return rezip(
        base,
        lambda n, d: d.replace(b'r:embed="rId', b'r:link="rIdX2" r:embed="rIdNone') if n == "word/document.xml" else d,
    )


def docx_renamed_macros() -> bytes:
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64 + "_VBA_PROJECT".encode("utf-16-le") + b"\0" * 400
    return rezip(docx(), add=[("word/media/logo.png", ole)])


def docx_ole_object() -> bytes:
    ole = '<o:OLEObject xmlns:o="urn:schemas-microsoft-com:office:office" ProgID="Package"/>'
    obj = f"<w:p {W}><w:r><w:object>{ole}</w:object></w:r></w:p>"
    return rezip(in_body(docx(), obj), add=[("word/embeddings/oleObject1.bin", b"\xd0\xcf\x11\xe0" + b"\0" * 500)])


def docx_altchunk() -> bytes:
    return rezip(
        in_body(docx(), f'<w:altChunk {W} r:id="rIdX3"/>'), add=[("word/chunk.html", b"<script>alert(1)</script>")]
    )


def docx_doctype() -> bytes:
    return rezip(
        docx(),
        lambda n, d: d.replace(b"?>", b'?><!DOCTYPE x [<!ENTITY a "aaaa">]>', 1) if n == "word/document.xml" else d,
    )


def docx_many_images(count: int) -> bytes:
    base = docx(image=png())

    def repeat(name: str, data: bytes) -> bytes:
        if name != "word/document.xml":
            return data
        start = data.index(b"<w:p><w:r><w:drawing>") if b"<w:p><w:r><w:drawing>" in data else data.rindex(b"<w:p>")
        end = data.index(b"</w:p>", start) + 6
        return data[:end] + data[start:end] * (count - 1) + data[end:]

    return rezip(base, repeat)


def docx_paragraphs(count: int) -> bytes:
    paragraphs = "".join(
        f"<w:p><w:r><w:t>Đoạn văn số {i} của báo cáo tổng kết.</w:t></w:r></w:p>" for i in range(count)
    )
    return rezip(
        docx(),
        lambda n, d: d.replace(b"<w:body>", b"<w:body>" + paragraphs.encode()) if n == "word/document.xml" else d,
    )


def docx_huge_xml(megabytes: int) -> bytes:
    """A document.xml of ``megabytes`` MB made of varied text, so that it compresses under the ratio limit."""
    import random

    rng = random.Random(7)
    words = ["hội", "nghị", "tổng", "kết", "công", "tác", "năm", "xã", "huyện", "tỉnh", "ban", "ngành", "đoàn", "thể"]
    paragraphs = []
    while sum(map(len, paragraphs)) < 8_000:  # repeated, with a fresh paragraph each time: ~1:50, under 1:100
        paragraphs.append(
            "<w:p><w:r><w:t>"
            + " ".join(rng.choice(words) + str(rng.randrange(10**6)) for _ in range(12))
            + "</w:t></w:r></w:p>"
        )
    chunk = "".join(paragraphs).encode()
    fresh = [f"<w:p><w:r><w:t>{rng.getrandbits(400):x}</w:t></w:r></w:p>".encode() for _ in range(64)]
    body = b"".join(chunk + fresh[i % 64] + str(i).encode() for i in range(megabytes * 1024 * 1024 // len(chunk)))
    return rezip(docx(), lambda n, d: d.replace(b"<w:body>", b"<w:body>" + body) if n == "word/document.xml" else d)


def lying_zip() -> bytes:
    """A zip whose headers declare 1 KB for a member that inflates to 150 MB."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.txt", b"\0" * (150 * 1024 * 1024))
    data = bytearray(out.getvalue())
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.index(signature)
        data[at + offset : at + offset + 4] = struct.pack("<I", 1024)
    return bytes(data)


def nested_zip() -> bytes:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        archive.writestr("virus.txt", b"x")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("tai-lieu/ben-trong.zip", inner.getvalue())
    return out.getvalue()


def pdf(extra_catalog: bytes = b"", stream: bytes | None = None, flate: bool = False) -> bytes:
    content = stream if stream is not None else b"BT /F1 12 Tf 72 720 Td (Ke hoach to chuc hoi nghi) Tj ET"
    filters = b" /Filter /FlateDecode" if flate else b""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R " + extra_catalog + b" >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d%s >>\nstream\n" % (len(content), filters) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    return out + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)


def pdf_bomb(megabytes: int = 90) -> bytes:
    packer = zlib.compressobj(9)
    zeros = b" " * (1024 * 1024)
    stream = b"".join(packer.compress(zeros) for _ in range(megabytes)) + packer.flush()
    return pdf(stream=stream, flate=True)


def raw_mail(headers: bytes, body: bytes) -> bytes:
    return b"From: vhtt@kep.gov.vn\r\nTo: bbt@kep.gov.vn\r\nMIME-Version: 1.0\r\n" + headers + b"\r\n\r\n" + body


DOCX = ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document")
PDF = ("application", "pdf")


def hostile_set(heavy: bool = False) -> dict[str, tuple[bytes, dict]]:
    """name → (message, expectation): kind, and the refusal code or a warning code it must carry."""
    cases: dict[str, tuple[bytes, dict]] = {
        "cmyk-tiff": (
            mail(files=[(cmyk_tiff(), "image", "tiff", "scan.tif")]),
            {"kind": "submission", "warning": "image_converted"},
        ),
        "pdf-bomb": (mail(files=[(pdf_bomb(), *PDF, "bom.pdf")]), {"kind": "submission", "warning": "pdf_unreadable"}),
        "header-line-10mb": (
            raw_mail(b"X-Junk: " + b"a " * (5 * 1024 * 1024), BODY.encode()),
            {"kind": "refused", "code": "header_too_large"},
        ),
        "reply-with-3000-images": (
            mail(
                "Re: Tin hội nghị",
                "Duyệt\n\n> bài cũ",
                files=[(png(), "image", "png", f"anh-{i}.png") for i in range(3000)],
            ),
            {"kind": "refused", "code": "too_many_parts"},
        ),
        "long-header-line": (
            raw_mail(b"Subject: " + b"a" * (100 * 1024), BODY.encode()),
            {"kind": "refused", "code": "header_line_too_long"},
        ),
        "reply-with-40-images": (
            mail(
                "Re: Tin hội nghị",
                "Duyệt\n\n> bài cũ",
                files=[(png(), "image", "png", f"anh-{i}.png") for i in range(40)],
            ),
            {"kind": "refused", "code": "too_many_attachments"},
        ),
        "lying-zip": (mail(files=[(lying_zip(), "application", "zip", "du-lieu.zip")]), {"kind": "refused"}),
        "nested-zip": (
            mail(files=[(nested_zip(), "application", "zip", "ho-so.zip")]),
            {"kind": "refused", "code": "nested_archive"},
        ),
        "svg-with-script": (
            mail(
                files=[
                    (
                        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
                        "image",
                        "svg+xml",
                        "logo.svg",
                    )
                ]
            ),
            {"kind": "submission", "warning": "active_dropped"},
        ),
        "svg-in-docx": (
            mail(
                files=[
                    (
                        rezip(
                            docx(image=png()),
                            lambda n, d: (
                                b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
                                if n.startswith("word/media/")
                                else d
                            ),
                        ),
                        *DOCX,
                        "tin.docx",
                    )
                ]
            ),
            {"kind": "submission", "warning": "image_dropped"},
        ),
        "php": (
            mail(files=[(b"<?php system($_GET['c']); ?>", "application", "octet-stream", "anh.php")]),
            {"kind": "submission", "warning": "active_dropped"},
        ),
        "html": (
            mail(files=[(b"<html><body><script>x()</script></body></html>", "text", "html", "trang.html")]),
            {"kind": "submission", "warning": "active_dropped"},
        ),
        "pdf-html": (
            mail(files=[(b"<!DOCTYPE html><html><script>x()</script></html>", *PDF, "bao-cao.pdf.html")]),
            {"kind": "submission", "warning": "active_dropped"},
        ),
        "html-named-pdf": (
            mail(files=[(b"<html><script>x()</script></html>", *PDF, "bao-cao.pdf")]),
            {"kind": "submission", "warning": "active_dropped"},
        ),
        "renamed-vba": (
            mail(files=[(docx_renamed_macros(), *DOCX, "tin.docx")]),
            {"kind": "refused", "code": "macros"},
        ),
        "ole-object": (
            mail(files=[(docx_ole_object(), *DOCX, "tin.docx")]),
            {"kind": "submission", "warning": "document_object_removed"},
        ),
        "altchunk": (
            mail(files=[(docx_altchunk(), *DOCX, "tin.docx")]),
            {"kind": "submission", "warning": "document_altchunk_removed"},
        ),
        "javascript-link": (
            mail(files=[(docx_with_link("javascript:alert(1)"), *DOCX, "tin.docx")]),
            {"kind": "submission", "warning": "document_link_removed"},
        ),
        "unc-link": (
            mail(files=[(docx_with_link("\\\\evil\\share\\x"), *DOCX, "tin.docx")]),
            {"kind": "submission", "warning": "document_link_removed"},
        ),
        "remote-image": (
            mail(files=[(docx_remote_image(), *DOCX, "tin.docx")]),
            {"kind": "submission", "warning": "document_remote_image_removed"},
        ),
        "doctype": (mail(files=[(docx_doctype(), *DOCX, "tin.docx")]), {"kind": "refused", "code": "xml_doctype"}),
        "pdf-javascript": (
            mail(files=[(pdf(b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>"), *PDF, "a.pdf")]),
            {"kind": "submission", "warning": "pdf_active"},
        ),
        "pdf-launch": (
            mail(files=[(pdf(b"/OpenAction << /S /Launch /F (cmd.exe) >>"), *PDF, "a.pdf")]),
            {"kind": "submission", "warning": "pdf_active"},
        ),
        "pdf-embedded": (
            mail(files=[(pdf(b"/Names << /EmbeddedFiles << /Names [(x.exe) 6 0 R] >> >>"), *PDF, "a.pdf")]),
            {"kind": "submission", "warning": "pdf_active"},
        ),
        "rtl-override": (
            mail(files=[(b"MZ\x90\x00", "application", "octet-stream", "hoa-don\u202efdp.exe")]),
            {"kind": "refused", "code": "forbidden_type"},
        ),
        "con-aux": (
            mail(files=[(pdf(), *PDF, "AUX.pdf"), (pdf(), *PDF, "CON")]),
            {"kind": "submission", "warning": "filename_changed"},
        ),
        "long-name": (
            mail(files=[(pdf(), *PDF, "a" * 1000 + ".pdf")]),
            {"kind": "submission", "warning": "filename_changed"},
        ),
        "png-30000-in-docx": (
            mail(files=[(docx(image=png_claiming(30000, 30000)), *DOCX, "tin.docx")]),
            {"kind": "submission", "warning": "image_dropped"},
        ),
        "jpeg-bomb": (
            mail(files=[(jpeg_bomb(), "image", "jpeg", "anh.jpg")]),
            {"kind": "submission", "warning": "image_dropped"},
        ),
        "gps-in-docx": (
            mail(files=[(docx(image=gps_jpeg()), *DOCX, "tin.docx")]),
            {"kind": "submission", "warning": "image_metadata_removed"},
        ),
        "raw-utf8-subject": (
            raw_mail(
                "Subject: Thông báo lịch họp giao ban".encode() + b"\r\nContent-Type: text/plain; charset=utf-8",
                BODY.encode(),
            ),
            {"kind": "submission", "subject": "Thông báo lịch họp giao ban"},
        ),
        "utf7-body": (
            raw_mail(b"Subject: Tin\r\nContent-Type: text/plain; charset=utf-7", BODY.encode("utf-7")),
            {"kind": "submission", "warning": "utf7_decoded", "text": "Kính gửi Ban biên tập"},
        ),
        "unknown-charset": (
            raw_mail(b"Subject: Tin\r\nContent-Type: text/plain; charset=x-vn-unknown", BODY.encode()),
            {"kind": "submission", "warning": "unknown_charset"},
        ),
        "short-unaccented": (
            mail("Thong bao", "Thong bao lich hop giao ban thang 12 tai hoi truong xa"),
            {"kind": "submission", "warning": "no_diacritics"},
        ),
        "deep-nesting": (deep_mail(40), {"kind": "refused", "code": "too_deep"}),
        # A document's blanks that a pattern could share between its quantifiers: 200 000 took minutes
        "draft-number-of-blanks": (
            mail(files=[(docx(("UỶ BAN NHÂN DÂN", "Số:" + " " * 200_000 + "x", "KẾ HOẠCH")), *DOCX, "kh.docx")]),
            {"kind": "submission"},
        ),
        "draft-date-of-blanks": (
            mail(files=[(docx(("UBND XÃ KÉP", "Số: 12/KH-UBND", "ngày" + " " * 50_000 + "x")), *DOCX, "kh.docx")]),
            {"kind": "submission"},
        ),
    }
    if heavy:
        cases["docx-100k-paragraphs"] = (
            mail(files=[(docx_paragraphs(100_000), *DOCX, "tin.docx")]),
            {"kind": "submission"},
        )
        cases["docx-190mb-xml"] = (mail(files=[(docx_huge_xml(190), *DOCX, "tin.docx")]), {"kind": "submission"})
        cases["docx-10000-images"] = (
            mail(files=[(docx_many_images(10_000), *DOCX, "tin.docx")]),
            {"kind": "submission", "warning": "images_over_limit"},
        )
    return cases


def deep_mail(depth: int) -> bytes:
    body = b"Content-Type: text/plain\r\n\r\nhello\r\n"
    for level in range(depth):
        boundary = b"b%d" % level
        body = (
            b"Content-Type: multipart/mixed; boundary="
            + boundary
            + b"\r\n\r\n--"
            + boundary
            + b"\r\n"
            + body
            + b"\r\n--"
            + boundary
            + b"--\r\n"
        )
    return b"From: vhtt@kep.gov.vn\r\nTo: bbt@kep.gov.vn\r\nSubject: Tin\r\nMIME-Version: 1.0\r\n" + body
