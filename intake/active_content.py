"""What an attachment really is, from its first bytes, and what may be done with it.

A name says nothing: "bao-cao.pdf" may be an HTML page and "anh.jpg" an SVG with a script. Intake decides
by content (magic bytes), and by name only to refuse more: an executable or macro extension is refused
whatever the content, and a name whose last extension is a web page or script is dropped even when its
content looks innocent. Only the document types in DOWNLOADABLE ever reach the website as downloads.
"""

from __future__ import annotations

import re

from newsroom.i18n import N_

# Refused outright (the sender is told): programs, scripts and macro-enabled Office files.
EXECUTABLE_EXTENSIONS = {
    ".exe", ".bat", ".cmd", ".com", ".scr", ".msi", ".msp", ".pif", ".cpl", ".dll", ".sys", ".lnk", ".reg",
    ".js", ".jse", ".vbs", ".vbe", ".wsf", ".wsh", ".hta", ".ps1", ".psm1", ".jar", ".apk", ".sh", ".bash",
    ".py", ".pl", ".rb", ".docm", ".dotm", ".xlsm", ".xltm", ".xlam", ".pptm", ".potm", ".ppsm", ".sldm",
}  # fmt: skip
# Dropped with a warning: pages and images that can carry code when a browser or server opens them.
ACTIVE_EXTENSIONS = {
    ".html", ".htm", ".xhtml", ".shtml", ".mht", ".mhtml", ".svg", ".svgz", ".php", ".php3", ".php4", ".php5",
    ".phtml", ".phar", ".asp", ".aspx", ".jsp", ".jspx", ".cgi", ".xml", ".xsl", ".swf",
}  # fmt: skip
ARCHIVE_EXTENSIONS = {".zip", ".rar", ".7z", ".gz", ".tgz", ".bz2", ".xz", ".tar", ".cab", ".iso", ".arj", ".lzh"}
OOXML_EXTENSIONS = {".docx", ".xlsx", ".pptx", ".odt", ".ods", ".odp", ".epub"}
# Offered for download on the website: (extension → the content kind it must have).
DOWNLOADABLE = {
    ".pdf": "pdf", ".doc": "ole", ".xls": "ole", ".ppt": "ole", ".docx": "zip", ".xlsx": "zip", ".pptx": "zip",
    ".odt": "zip", ".ods": "zip", ".odp": "zip", ".rtf": "rtf", ".txt": "text", ".csv": "text",
}  # fmt: skip
ACTIVE_KINDS = {  # catalog texts (intake/refusals.py translates them in the warning)
    "html": N_("trang HTML"),
    "svg": N_("ảnh SVG"),
    "php": N_("mã PHP"),
    "script": N_("tệp lệnh"),
    "xml": N_("tệp XML"),
}
MARKUP = re.compile(rb"^\s*<(!doctype\s+html|html|head|body|script|iframe|frameset|meta|a\s|div|table|p[\s>])", re.I)


def extension(name: str) -> str:
    return "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""


def sniff(data: bytes) -> str:
    """The kind of content: pdf, zip, ole, rtf, image, svg, html, php, xml, executable, script, text, binary."""
    head = data[:4096]
    stripped = head.lstrip(b"\xef\xbb\xbf\r\n\t ")
    lower = stripped.lower()
    if head.startswith((b"MZ", b"\x7fELF", b"\xca\xfe\xba\xbe", b"\xfe\xed\xfa", b"\xcf\xfa\xed\xfe")):
        return "executable"
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        return "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "ole"
    if head.startswith(b"{\\rtf"):
        return "rtf"
    if (
        head.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"II*\x00", b"MM\x00*", b"BM"))
        or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")
        or head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftypavif")
    ):
        return "image"
    if head.startswith(b"#!"):
        return "script"
    if b"<?php" in lower or b"<?=" in lower or b"<%@" in lower:
        return "php"
    if b"<svg" in lower:
        return "svg"
    if MARKUP.match(stripped) or b"<script" in lower:
        return "html"
    if lower.startswith(b"<?xml"):
        return "xml"
    if head.startswith((b"Rar!", b"7z\xbc\xaf", b"\x1f\x8b", b"BZh", b"\xfd7zXZ")):
        return "archive"
    return "binary" if b"\x00" in head else "text"
