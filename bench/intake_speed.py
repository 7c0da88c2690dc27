"""Intake's speed and memory against mail-parser alone on the same messages, in the same run.

- messages per second: every email of ../shared/corpora/email through intake's analysis (parsing,
  classification, documents to HTML, sanitising) and through mail-parser alone;
- peak memory (maximum resident set, each in a fresh process) for one message with a 25 MB attachment.

    python bench/intake_speed.py
"""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import mailparser

from intake.analyze import analyze
from toasoan.cli import preset_settings

CORPORA = Path(__file__).resolve().parent.parent.parent / "shared" / "corpora" / "email"
RECEIVED = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def big_message(path: Path) -> None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "vp@kep.gov.vn", "bbt@kep.gov.vn", "Tài liệu hội nghị"
    msg.set_content("Kính gửi Ban biên tập, xin gửi tài liệu.")
    msg.add_attachment(
        bytes(range(256)) * (25 * 1024 * 1024 // 256), maintype="application", subtype="pdf", filename="tai-lieu.pdf"
    )
    path.write_bytes(bytes(msg))


def peak(mode: str, path: Path) -> float:
    """Peak resident memory (VmHWM) of a fresh process that reads the message one way, in MiB. Not
    ru_maxrss: Linux carries that over from the parent across exec."""
    code = (
        "import sys, logging\nlogging.disable(logging.WARNING)\n"
        "raw = open(sys.argv[2], 'rb').read()\n"
        "if sys.argv[1] == 'mailparser':\n    import mailparser; mailparser.parse_from_bytes(raw)\n"
        "elif sys.argv[1] == 'intake':\n"
        "    from datetime import UTC, datetime\n    from intake.analyze import analyze\n"
        "    from toasoan.cli import preset_settings\n"
        "    s = preset_settings('kep').model_copy(update={'max_message_bytes': 10**9,"
        " 'max_attachment_bytes': 10**9})\n"
        "    analyze(raw, s, datetime.now(UTC))\n"
        "print(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code, mode, str(path)], capture_output=True, text=True, check=True)
    return int(out.stdout.strip()) / 1024


def main() -> int:
    logging.disable(logging.WARNING)
    if CORPORA.exists():
        raws = [
            p.read_bytes()
            for p in sorted(CORPORA.rglob("*"))
            if p.is_file() and p.name != "MANIFEST.md" and p.suffix.lower() in (".eml", ".txt", "")
        ]
        settings = preset_settings("kep")
        started = time.perf_counter()
        for raw in raws:
            mailparser.parse_from_bytes(raw)
        bare = time.perf_counter() - started
        started = time.perf_counter()
        for raw in raws:
            analyze(raw, settings, RECEIVED)
        full = time.perf_counter() - started
        print(
            f"{len(raws)} messages: mail-parser alone {len(raws) / bare:.0f}/s, intake {len(raws) / full:.0f}/s "
            f"(intake costs {full / bare:.2f}× the bare parse)"
        )
    else:
        print(f"no corpora at {CORPORA}: speed not measured")
    path = Path("/tmp/toasoan-bench-25mb.eml")
    big_message(path)
    base = peak("none", path)
    parser = peak("mailparser", path)
    intake = peak("intake", path)
    print(
        f"25 MB attachment ({path.stat().st_size / 1048576:.1f} MiB message): peak memory: python reading the file "
        f"{base:.0f} MiB, mail-parser {parser:.0f} MiB, intake {intake:.0f} MiB "
        f"(intake / mail-parser: {intake / parser:.2f})"
    )
    path.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
