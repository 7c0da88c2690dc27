"""Pictures and PDFs as offices (and strangers) send them: decoded in the sandbox, made safe and viewable.

Every picture, attached or inside a document, is decoded and written again: its size, frame count and
pixel count are checked before it is decoded (a 30000×30000 PNG or a JPEG bomb is refused from its
header), the orientation tag is applied, EXIF (GPS included) is dropped, CMYK, 16-bit, palette and
animated images are converted to what a browser shows, TIFF and BMP become PNG. A PDF gives its text for
the preview (one without text is a scan, flagged) and is searched for active content (JavaScript, launch
actions, embedded files), which keeps it off the website. Each change is reported as a code with values
(intake/refusals.py).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

from newsroom.i18n import N_

BROWSER_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}
# The formats a picture is read as (those of intake's picture extensions; TIFF and BMP become PNG). Pillow is
# given these alone: a file none of them recognises is refused without its forty other decoders being
# loaded (a tenth of a second for a Word file's WMF logo) or tried on a stranger's bytes.
READABLE = (*BROWSER_FORMATS, "TIFF", "BMP")
# Pictures drawn as vector commands (a Word file's WMF or EMF logo, SVG): no decoder of ours reads them, so a
# document's converter drops them without loading Pillow, having told the board of their format.
VECTOR_TYPES = {"image/x-wmf", "image/x-emf", "image/wmf", "image/emf", "image/svg+xml"}
MAX_PIXELS = 60_000_000  # a 60-megapixel photo is plenty; larger is a decompression bomb or a mistake
MAX_SIDE = 20_000
MAX_FRAMES = 100
MAX_FRAME_PIXELS = 100_000_000  # all frames of an animation together
PDF_ACTIVE = re.compile(rb"/(JavaScript|JS|Launch|EmbeddedFiles?|RichMedia|SubmitForm|ImportData|GoToE)\b")
_PDF_HYPHENS = {0x02: "-", 0xFFFE: "-"}
PDF_ACTIVE_NAMES = {
    "JavaScript": "JavaScript",
    "JS": "JavaScript",
    "Launch": N_("lệnh chạy chương trình"),
    "EmbeddedFiles": N_("tệp nhúng"),
    "EmbeddedFile": N_("tệp nhúng"),
    "RichMedia": N_("nội dung đa phương tiện"),
    "SubmitForm": N_("biểu mẫu gửi đi"),
    "ImportData": N_("nhập dữ liệu"),
    "GoToE": N_("tệp nhúng"),
}


@dataclass
class Cleaned:
    data: bytes
    content_type: str
    filename: str
    notes: list[tuple[str, dict]] = field(default_factory=list)


def _browser_mode(image, fmt: str):
    """CMYK, 16-bit, float, palette-with-alpha and the rest, as a mode the target format writes."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        image = image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    elif image.mode == "F":
        image = image.convert("L")
    if fmt == "JPEG":
        return image.convert("RGB") if image.mode not in ("RGB", "L") else image
    if image.mode in ("CMYK", "YCbCr", "LAB", "HSV"):
        return image.convert("RGB")
    if image.mode in ("LA", "PA", "RGBa", "La"):
        return image.convert("RGBA")
    return image


def clean_image(data: bytes, filename: str) -> Cleaned:
    """Orientation applied, metadata (GPS included) dropped; raises ValueError for what is not a picture
    or is too large to decode."""
    # Pillow is loaded only for messages with pictures. Image.open's first step registers JPEG, PNG, GIF and
    # BMP; these two register the rest of READABLE.
    from PIL import GifImagePlugin, Image, ImageOps, TiffImagePlugin, WebPImagePlugin  # noqa: F401

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    # A GIF's later frames stay in their palette when it is the first's: written again without being
    # quantised anew (the same pixels, in a third of the time).
    GifImagePlugin.LOADING_STRATEGY = GifImagePlugin.LoadingStrategy.RGB_AFTER_DIFFERENT_PALETTE_ONLY
    notes: list[tuple[str, dict]] = []
    try:
        opened = Image.open(io.BytesIO(data), formats=READABLE)  # from bytes: no file for Pillow to close
        width, height = opened.size
        frames = getattr(opened, "n_frames", 1)
        if width * height > MAX_PIXELS or max(width, height) > MAX_SIDE:
            raise ValueError(f"ảnh {filename} quá lớn ({width}×{height} điểm ảnh)")
        if frames > MAX_FRAMES or frames * width * height > MAX_FRAME_PIXELS:
            raise ValueError(f"ảnh động {filename} quá lớn ({frames} khung hình)")
        fmt = opened.format or ""
        exif = opened.getexif()
        if len(exif) and (fmt != "TIFF" or any(tag in exif for tag in (0x8825, 0x8769, 0x010F, 0x0110))):
            gps = ", " + N_("cả vị trí GPS") if 0x8825 in exif else ""
            notes.append(("image_metadata_removed", {"name": filename, "gps": gps}))
        animated = frames > 1 and fmt in ("GIF", "PNG", "WEBP")
        if animated:
            sequence = [frame.copy() for frame in _frames(opened)]
            image = sequence[0]
        else:
            # in place: a photo without an orientation tag is not copied (the copy was half of its cleaning:
            # fresh pages are slow to fault in on a virtual machine), and a turned one's decoded pixels are
            # freed once turned, not held until the picture is written
            ImageOps.exif_transpose(opened, in_place=True)
            image = opened
    except Image.UnidentifiedImageError as exc:  # its text names a Python object, nothing for the board
        raise ValueError(f"{filename} không phải ảnh đọc được (không nhận ra định dạng ảnh)") from exc
    except (Image.DecompressionBombError, OSError, SyntaxError, EOFError) as exc:
        raise ValueError(f"{filename} không phải ảnh đọc được ({exc})") from exc
    if fmt not in BROWSER_FORMATS:
        fmt = "PNG"
        notes.append(("image_converted", {"name": filename, "format": "PNG"}))  # the name the board sent
        filename = re.sub(r"\.[^.]*$", "", filename) + ".png"
    out = io.BytesIO()
    if animated:
        frames_out = [_browser_mode(frame, fmt) for frame in sequence]
        frames_out[0].save(out, fmt, save_all=True, append_images=frames_out[1:], loop=0)
    elif fmt == "JPEG":
        _browser_mode(image, fmt).save(out, "JPEG", quality=90, optimize=True)
    else:
        _browser_mode(image, fmt).save(out, fmt)
    return Cleaned(out.getvalue(), BROWSER_FORMATS[fmt], filename, notes)


def _frames(image):
    for index in range(image.n_frames):
        image.seek(index)
        yield image


def pdf_active(data: bytes, reader=None) -> list[str]:
    """The active content a PDF declares: in its bytes (names with #xx escapes undone) and in its
    catalogue (which may sit in a compressed object stream)."""
    found = {m[1].decode() for m in PDF_ACTIVE.finditer(re.sub(rb"#([0-9A-Fa-f]{2})", _unescape, data))}
    if reader is not None:
        root = reader.trailer.get("/Root", {})
        names = root.get("/Names", {}) if hasattr(root, "get") else {}
        found |= {key[1:] for key in ("/JavaScript", "/EmbeddedFiles") if hasattr(names, "get") and key in names}
        action = root.get("/OpenAction") if hasattr(root, "get") else None
        if hasattr(action, "get") and action.get("/S") in ("/JavaScript", "/Launch"):
            found.add(str(action.get("/S"))[1:])
    return sorted({PDF_ACTIVE_NAMES[name] for name in found})


def _unescape(match: re.Match) -> bytes:
    return bytes([int(match[1], 16)])


def inspect_pdf(data: bytes, max_pages: int = 50) -> tuple[str, list[str]]:
    """(the text of the first pages, empty for a scan; the active content found). ValueError when the PDF
    cannot be read: damaged, encrypted, or a decompression bomb (pypdf's limits).

    pypdf reads the structure (encryption, the catalogue's active content) and PDFium the text: pypdf's
    pure-Python text extraction took seconds for a ten-page leaflet, PDFium's takes a few milliseconds a
    page, with each line of the page on a line of its own as the stamp search needs (intake/secrecy.py)."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise ValueError("tệp PDF có mật khẩu")
        active = pdf_active(data, reader)
        for page in reader.pages[:max_pages]:
            _decode_drawing(page, set())
    except (PyPdfError, KeyError, TypeError, AttributeError, IndexError, ZeroDivisionError, RecursionError) as exc:
        raise ValueError(f"tệp PDF hỏng hoặc quá lớn ({type(exc).__name__})") from exc
    return _pdf_page_text(data, max_pages), active


def _decode_drawing(owner, seen: set[int]) -> None:
    """Decodes what PDFium will read for a page's text, its content streams and forms, under pypdf's limits
    on decompressed size: PDFium itself would inflate a 90 MB bomb of blanks and call it a scan."""
    contents = owner.get("/Contents")
    contents = contents.get_object() if contents is not None else None
    for stream in contents if isinstance(contents, list) else [contents] if contents is not None else []:
        stream.get_object().get_data()
    resources = owner.get("/Resources")
    xobjects = resources.get_object().get("/XObject") if resources is not None else None
    for reference in (xobjects.get_object() if xobjects is not None else {}).values():
        form = reference.get_object()
        if form.get("/Subtype") == "/Form" and id(form) not in seen:
            seen.add(id(form))
            form.get_data()
            _decode_drawing(form, seen)


def _pdf_page_text(data: bytes, max_pages: int) -> str:
    import pypdfium2

    try:
        document = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError as exc:
        raise ValueError(f"tệp PDF hỏng ({exc})") from exc
    pages = []
    try:
        for index in range(min(len(document), max_pages)):
            page = document[index]
            textpage = page.get_textpage()
            pages.append(textpage.get_text_bounded().strip())
            textpage.close()
            page.close()
    finally:
        document.close()
    # PDFium ends lines with CR LF and marks a hyphen that breaks a word at a line's end as U+0002 or U+FFFE.
    return "\n".join(pages).replace("\r\n", "\n").replace("\r", "\n").translate(_PDF_HYPHENS).strip()


def pdf_text(data: bytes, max_pages: int = 50) -> str:
    """The text of the first pages; empty for a scan. Raises ValueError for a PDF that cannot be read."""
    return inspect_pdf(data, max_pages)[0]
