"""Photos and PDFs as offices send them: made safe and viewable before anyone sees them.

Photos from phones carry their GPS position in EXIF and are often stored sideways with an orientation
tag; we apply the orientation and write the picture again without metadata. Formats a browser cannot
show (TIFF, BMP) become PNG. A PDF gives its text for the preview; one without text is a scan, flagged.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

BROWSER_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}
MAX_PIXELS = 60_000_000  # a 60-megapixel photo is plenty; larger is a decompression bomb or a mistake


@dataclass
class Cleaned:
    data: bytes
    content_type: str
    filename: str
    warnings: list[str] = field(default_factory=list)


def clean_image(data: bytes, filename: str) -> Cleaned:
    """Orientation applied, metadata (GPS included) dropped; raises ValueError for what is not a picture."""
    from PIL import Image, ImageOps  # Pillow is loaded only for messages with pictures

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with Image.open(io.BytesIO(data)) as opened:
            if opened.width * opened.height > MAX_PIXELS:
                raise ValueError(f"ảnh {filename} quá lớn ({opened.width}×{opened.height} điểm ảnh)")
            fmt = opened.format or ""
            image = ImageOps.exif_transpose(opened)
            image.load()
    except (Image.DecompressionBombError, OSError, SyntaxError) as exc:
        raise ValueError(f"{filename} không phải ảnh đọc được ({exc})") from exc
    warnings = []
    if fmt not in BROWSER_FORMATS:
        fmt = "PNG"
        filename = re.sub(r"\.[^.]*$", "", filename) + ".png"
        warnings.append(f"ảnh {filename} đã được chuyển sang PNG để trình duyệt hiển thị được")
    out = io.BytesIO()
    if fmt == "JPEG":
        image.convert("RGB").save(out, "JPEG", quality=90, optimize=True)
    elif fmt == "GIF":
        image.save(out, "GIF", save_all=getattr(image, "is_animated", False))
    else:
        image.save(out, fmt)
    return Cleaned(out.getvalue(), BROWSER_FORMATS[fmt], filename, warnings)


def pdf_text(data: bytes, max_pages: int = 50) -> str:
    """The text of the first pages; empty for a scan. Raises ValueError for a PDF that cannot be read."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise ValueError("tệp PDF có mật khẩu")
        pages = reader.pages[:max_pages]
        return "\n".join((page.extract_text() or "").strip() for page in pages).strip()
    except (PdfReadError, KeyError, TypeError) as exc:
        raise ValueError(f"tệp PDF hỏng ({exc})") from exc
