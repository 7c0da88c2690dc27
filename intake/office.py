"""Older and open document formats (.doc, .odt, .rtf) read through LibreOffice in headless mode.

LibreOffice is large and optional: where it is not installed, the file is attached for download and the
board is told why its content is not in the draft. It reads untrusted bytes, so it runs under the same
kind of ceilings as the sandbox's workers (address space, CPU time, size of what it writes), set with
util-linux's prlimit on the process it starts rather than by code run between fork and exec.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

CONVERTIBLE = {".doc", ".odt", ".rtf"}
TIMEOUT_SECONDS = 120
MEMORY_BYTES = 1024 * 1024 * 1024  # a converted office document needs ~220 MB resident
CPU_SECONDS = 60
OUTPUT_BYTES = 200 * 1024 * 1024


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def _ceilings() -> list[str]:
    prlimit = shutil.which("prlimit")
    if prlimit is None:  # util-linux is on every Debian and Ubuntu; elsewhere only the timeout holds
        return []
    return [prlimit, f"--as={MEMORY_BYTES}", f"--cpu={CPU_SECONDS}", f"--fsize={OUTPUT_BYTES}", "--"]


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
                    *_ceilings(),
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
