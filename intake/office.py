"""Older and open document formats (.doc, .odt, .rtf) read through LibreOffice in headless mode.

LibreOffice is large and optional: where it is not installed, the file is attached for download and the
board is told why its content is not in the draft.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

CONVERTIBLE = {".doc", ".odt", ".rtf"}
TIMEOUT_SECONDS = 120


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def to_docx(data: bytes, filename: str) -> bytes:
    """The document as .docx; raises RuntimeError saying why not."""
    binary = soffice()
    if binary is None:
        raise RuntimeError("máy chủ chưa cài LibreOffice (apt-get install libreoffice-writer-nogui) để đọc tệp này")
    suffix = Path(filename).suffix.lower()
    with tempfile.TemporaryDirectory(prefix="toasoan-office-") as work:
        source = Path(work) / f"input{suffix}"
        source.write_bytes(data)
        try:
            subprocess.run(
                [
                    binary,
                    "--headless",
                    "--norestore",
                    f"-env:UserInstallation=file://{work}/profile",
                    "--convert-to",
                    "docx",
                    "--outdir",
                    work,
                    str(source),
                ],
                capture_output=True,
                timeout=TIMEOUT_SECONDS,
                check=True,
            )
        except subprocess.TimeoutExpired as exc:
            raise RuntimeError(f"LibreOffice không đọc xong sau {TIMEOUT_SECONDS} giây") from exc
        except subprocess.CalledProcessError as exc:
            raise RuntimeError(f"LibreOffice không đọc được tệp ({exc.stderr.decode(errors='replace')[:200]})") from exc
        result = Path(work) / "input.docx"
        if not result.exists():
            raise RuntimeError("LibreOffice không tạo được bản .docx")
        return result.read_bytes()
