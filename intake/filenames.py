"""Attachment names made safe for any disk, URL and reader, whatever the sender's client wrote.

A name is data from a stranger: it may carry folders ("../../etc/passwd"), control characters, bidi
controls that show "tin-bai‮fdp.exe" as "tin-baiexe.pdf", Windows device names (CON, AUX.pdf) that no
Windows machine can save, or a thousand characters. What is kept: NFC text, no directory, no control or
format character, no reserved device name, at most MAX_STEM characters before an extension of at most
MAX_EXTENSION letters. The original name stays on the attachment for the record.
"""

from __future__ import annotations

import re
import unicodedata

MAX_STEM = 120
MAX_EXTENSION = 10
FALLBACK = "tep-dinh-kem"
WINDOWS_DEVICES = re.compile(r"^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)$", re.IGNORECASE)


def _visible(ch: str) -> bool:
    """Controls (Cc), format characters (Cf: bidi overrides, zero-width joiners), unassigned and private
    code points go; everything a person can read stays."""
    return unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn") and ch not in '<>:"|?*'


def safe_filename(name: str, fallback: str = FALLBACK) -> str:
    """A name that is safe on any disk and in any URL path segment: no folders, controls or odd marks."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if _visible(ch))
    name = re.sub(r"\s+", " ", name).strip(" .")
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    stem = stem.strip(" .")[:MAX_STEM].strip(" .") or fallback
    if WINDOWS_DEVICES.match(stem.split(".")[0].strip()):
        stem = f"{fallback}-{stem}"
    ext = re.sub(r"[^A-Za-z0-9]", "", ext)[:MAX_EXTENSION].lower()
    return f"{stem}.{ext}" if ext else stem


def changed(original: str, safe: str) -> bool:
    """Whether making the name safe changed more than the folder a client put in front of it."""
    base = unicodedata.normalize("NFC", original or "").replace("\\", "/").rsplit("/", 1)[-1]
    return bool(original) and base.strip() != safe and base.lower() != safe.lower()
