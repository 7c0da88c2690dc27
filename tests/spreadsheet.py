"""Reading a workbook the way an office does: LibreOffice Calc opens it, computes its formulas, and writes
one sheet as CSV with the cells as shown (dates, money and percentages formatted)."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from pathlib import Path

from tests.servers.common import missing


def xlsx_as_csv(data: bytes, folder: Path, sheet: int = 1) -> list[list[str]]:
    soffice = shutil.which("soffice")
    if soffice is None:
        missing("LibreOffice Calc", "apt-get install libreoffice-calc-nogui")
    source = folder / "book.xlsx"
    source.write_bytes(data)
    # CSV filter options: comma, double quote, UTF-8, from line 1, …, cells as shown, the given sheet.
    options = f"44,34,76,1,,0,false,true,true,false,false,{sheet}"
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{folder / 'lo-profile'}",
            "--headless",
            "--convert-to",
            f"csv:Text - txt - csv (StarCalc):{options}",
            "--outdir",
            str(folder),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    produced = sorted(folder.glob("book*.csv"))
    if not produced:
        missing("LibreOffice Calc", "apt-get install libreoffice-calc-nogui (only Writer is installed)")
    rows = list(csv.reader(io.StringIO(produced[-1].read_text("utf-8"))))
    for path in produced:
        path.unlink()
    return rows
