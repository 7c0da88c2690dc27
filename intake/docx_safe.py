"""A Word document from a stranger, in one sandbox call: its package checked and converted.

The zip is read member by member with our own ceilings on the bytes really inflated (the sizes a zip
declares may lie), so a bomb stops at the ceiling instead of in the converter. A macro project is refused
wherever it sits and whatever it is called (Office's content types and relationships name it, and an OLE
file carries its "_VBA_PROJECT" stream); a DOCTYPE or entity declaration in any XML part refuses the
document (OOXML never needs one, and entity tricks are how XML bombs and external fetches start).
Embedded files, OLE objects, altChunk parts, remote pictures and unsafe links never reach the draft, and
each kind removed is reported. Every picture then goes through intake/media.clean_image in a sandbox call of
its own, like an attached photo (``settle_pictures`` takes the outcomes): a picture that crashes its
decoder or runs over a limit costs that picture, not the document, and the daemon's two workers clean a
document's photos side by side.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from intake import media
from intake.docx_html import Converted, docx_to_html
from intake.message import MailRefused

if TYPE_CHECKING:
    from intake.sandbox import Sandbox

MAX_MEMBERS = 3000
MAX_DECLARED = 200 * 1024 * 1024
MAX_RATIO = 100
MAX_INFLATED = 120 * 1024 * 1024  # all members, really inflated
MAX_XML_PART = 40 * 1024 * 1024  # one XML part: a 1000-page document.xml is ~10 MB
MAX_IMAGES = 100
MAX_HTML = 3 * 1024 * 1024  # a 120-page decree is ~0.5 MB of HTML; the draft's later steps are not sandboxed
MACRO_MARKS = (b"vbaProject", b"vbaData", b"application/vnd.ms-office.activeX", b"macroEnabled")
VBA_STREAM = "_VBA_PROJECT".encode("utf-16-le")
DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
NESTED = (".zip", ".rar", ".7z", ".gz", ".tgz", ".bz2", ".xz", ".tar", ".cab", ".iso")


@dataclass
class SafeDocument:
    converted: Converted | None
    notes: list[tuple[str, dict]] = field(default_factory=list)
    refusal: tuple[str, dict] | None = None  # (code, values) when the package must be refused


def check_zip(
    data: bytes, name: str, office: bool, xml_parts: dict[str, bytes] | None = None
) -> list[tuple[str, dict]]:
    """Raises MailRefused (archive_broken, archive_bomb, macros, xml_doctype, nested_archive) or
    ValueError (too large to read); returns what an Office package embeds (reported, never used).
    ``xml_parts``, when given, receives each XML part's bytes: read here anyway, they need not be inflated
    a second time by the converter (pictures, read only when the body shows them, are left in the zip)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError):
        raise MailRefused("archive_broken", {"name": name}) from None
    declared = sum(i.file_size for i in infos)
    if (
        len(infos) > MAX_MEMBERS
        or declared > MAX_DECLARED
        or (declared > MAX_RATIO * max(len(data), 1) and declared > 10 * 1024 * 1024)
    ):
        raise MailRefused("archive_bomb", {"name": name})
    inflated, embedded = 0, []
    for info in infos:
        lower = info.filename.lower()
        if lower.endswith("vbaproject.bin") or lower.startswith("basic/") or lower.endswith("vbadata.xml"):
            raise MailRefused("macros", {"name": name})
        if not office and lower.endswith((*NESTED, ".docx", ".xlsx", ".pptx", ".odt", ".jar", ".apk")):
            raise MailRefused("nested_archive", {"name": name, "inner": info.filename[-80:]})
        xml = lower.endswith((".xml", ".rels")) or "." not in lower.rsplit("/", 1)[-1]
        limit = MAX_XML_PART if xml else MAX_INFLATED
        head, size, chunks = b"", 0, []
        try:
            with archive.open(info) as member:
                while chunk := member.read(1 << 20):
                    if size < 65536:
                        head += chunk[: 65536 - size]
                    if xml and xml_parts is not None:
                        chunks.append(chunk)
                    size += len(chunk)
                    inflated += len(chunk)
                    if inflated > MAX_INFLATED:
                        raise MailRefused("archive_bomb", {"name": name})
                    if size > limit:
                        raise ValueError(f"phần {info.filename[-60:]} của tài liệu quá lớn để đọc")
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, NotImplementedError, RuntimeError):
            raise MailRefused("archive_broken", {"name": name}) from None
        if office and xml and DOCTYPE.search(head):
            raise MailRefused("xml_doctype", {"name": name, "part": info.filename[-60:]})
        if chunks:
            xml_parts[info.filename] = b"".join(chunks)
        if (
            office
            and (lower.endswith(".rels") or lower == "[content_types].xml")
            and any(m in head for m in MACRO_MARKS)
        ):
            raise MailRefused("macros", {"name": name})
        if head.startswith(b"\xd0\xcf\x11\xe0") and VBA_STREAM in head:
            raise MailRefused("macros", {"name": name})
        if office and ("/embeddings/" in lower or "/activex/" in lower):
            embedded.append(info.filename.rsplit("/", 1)[-1])
        if office and head.startswith(b"\xd0\xcf\x11\xe0") and embedded[-1:] != [info.filename.rsplit("/", 1)[-1]]:
            embedded.append(info.filename.rsplit("/", 1)[-1])  # an OLE file outside embeddings: never used
    notes = []
    if embedded:
        notes.append(
            ("document_embedded_removed", {"name": name, "count": len(embedded), "parts": ", ".join(embedded[:5])})
        )
    return notes


def check_archive(data: bytes, name: str, office: bool) -> SafeDocument:
    """check_zip as data, for the sandbox: a refusal comes back as (code, values)."""
    try:
        return SafeDocument(None, check_zip(data, name, office))
    except MailRefused as refused:
        return SafeDocument(None, refusal=(refused.code, refused.values))


def convert_docx(data: bytes, name: str) -> SafeDocument:
    """What runs in the sandbox for a .docx: checks and conversion, every removal as a note. The pictures
    come back as the document holds them, for ``settle_pictures``."""
    xml_parts: dict[str, bytes] = {}
    try:
        notes = check_zip(data, name, office=True, xml_parts=xml_parts)
    except MailRefused as refused:
        return SafeDocument(None, refusal=(refused.code, refused.values))
    converted = docx_to_html(data, xml_parts)
    if len(converted.html) > MAX_HTML:
        size = len(converted.html) // 1048576
        raise ValueError(f"nội dung quá dài ({size} MB HTML; tối đa {MAX_HTML // 1048576} MB)")
    removed = converted.removed
    if count := len(removed.get("object", [])):
        notes.append(("document_object_removed", {"name": name, "count": count}))
    if count := len(removed.get("altchunk", [])):
        notes.append(("document_altchunk_removed", {"name": name, "count": count}))
    if count := len(removed.get("remote_image", [])):
        notes.append(("document_remote_image_removed", {"name": name, "count": count}))
    if links := removed.get("link", []):
        schemes = ", ".join(sorted(set(links)))
        notes.append(("document_link_removed", {"name": name, "count": len(links), "schemes": schemes}))
    if len(converted.images) > MAX_IMAGES:
        notes.append(("images_over_limit", {"count": len(converted.images), "limit": MAX_IMAGES}))
    pictures = []
    for index, (ref, filename, ctype, blob) in enumerate(converted.images):
        # a vector picture (the converter has told the board of its format, "image_format"), or one over
        # the count ("images_over_limit")
        if ctype in media.VECTOR_TYPES or index >= MAX_IMAGES:
            converted.html = _without_picture(converted.html, ref)
        else:
            pictures.append((ref, filename, ctype, blob))
    converted.images = pictures
    return SafeDocument(converted, notes)


def convert_in(sandbox: Sandbox, data: bytes, name: str, timeout: float | None = None) -> SafeDocument:
    """``convert_docx`` in one of ``sandbox``'s workers (the daemon's analysis, `toasoan convert`): its answer
    may carry the pictures as the document holds them, at most what its archive inflates to, beside the
    sandbox's ceiling. SandboxFailure when the document could not be read."""
    return sandbox.run(convert_docx, data, name, timeout=timeout, output_bytes=sandbox.output_bytes + MAX_INFLATED)


def _without_picture(html: str, ref: str) -> str:
    return re.sub(rf'<img src="cid:{re.escape(ref)}"[^>]*>', "", html)


def settle_pictures(safe: SafeDocument, outcomes: list[media.Cleaned | str | None], name: str) -> None:
    """The converted document with its pictures cleaned: ``outcomes`` holds, for each picture in order, its
    cleaned form, why it could not be read, or None when the message's time ran out first (one note for
    all of those). A picture dropped leaves the draft with a note."""
    converted, images, unread = safe.converted, [], 0
    for (ref, filename, _, _), outcome in zip(converted.images, outcomes, strict=True):
        if isinstance(outcome, media.Cleaned):
            safe.notes += outcome.notes
            images.append((ref, outcome.filename, outcome.content_type, outcome.data))
            continue
        if outcome is None:
            unread += 1
        else:
            safe.notes.append(("image_dropped", {"name": filename, "reason": outcome[:200]}))
        converted.html = _without_picture(converted.html, ref)
    if unread:
        safe.notes.append(("pictures_time_budget", {"count": unread, "name": name}))
    converted.images = images
