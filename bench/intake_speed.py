"""Intake's speed and memory against mail-parser alone on the same messages, in the same run.

- messages per second: every email of ../shared/corpora/email through intake's analysis (parsing,
  classification, documents to HTML in the sandbox worker, sanitising, deadline) and through mail-parser
  alone; again without the messages that go through LibreOffice (.doc, .odt, .rtf: a separate program,
  seconds each); the ten slowest messages with their times; what an empty call to the sandbox worker
  costs (the round trip every message pays once). The corpus is read --runs times (3), each message by
  mail-parser and then by intake, so that both meet the machine as it is at that moment, and each
  message counts its fastest run, for both: the steady state of a daemon (modules, regular expressions
  and its two workers warm), and on a shared machine the run least disturbed by other processes;
- a department's news with ten 12-megapixel phone photos (26 MB), the kind of mail a commune's website
  lives on, and the same news as a .docx with the photos pasted in: each message's time with one document
  worker, and with the daemon's two cleaning the photos side by side;
- peak memory (maximum resident set of the process, each in a fresh process; the sandbox worker that
  reads the PDF is a process of its own and not counted) for one message with a 25 MB attachment.

    python bench/intake_speed.py [--runs 3]
"""

from __future__ import annotations

import argparse
import io
import logging
import subprocess
import sys
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import docx
import mailparser
from PIL import Image

from intake import analyze as analyzing
from intake import office
from intake.analyze import analyze
from intake.message import parse
from intake.sandbox import SANDBOX, Sandbox
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


def phone_photo(seed: int) -> bytes:
    """4000×3000, about 2 MB, stored sideways with a maker's tag, as a phone writes it."""
    width, height = 4000, 3000
    light = Image.linear_gradient("L").resize((width, height))
    photo = Image.merge("RGB", (light, Image.effect_noise((width, height), 6 + seed % 3), light.rotate(180)))
    exif = Image.Exif()
    exif[0x0112], exif[0x010F] = 6, "Samsung"
    out = io.BytesIO()
    photo.save(out, "JPEG", quality=88, exif=exif)
    return out.getvalue()


def photo_news() -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "vhxh@kep.gov.vn", "bbt@kep.gov.vn", "Tin: Ngày hội đại đoàn kết"
    msg.set_content("Sáng nay, xã tổ chức Ngày hội đại đoàn kết toàn dân tộc. Xin gửi tin và ảnh.")
    for i in range(10):
        msg.add_attachment(phone_photo(i), maintype="image", subtype="jpeg", filename=f"IMG_{i:04d}.jpg")
    return bytes(msg)


def photo_document() -> bytes:
    """The same news written in Word with its ten photos pasted in: Word keeps them at 220 pixels an inch
    of the page (its default), 1320×990 for a photo across the page."""
    document = docx.Document()
    document.add_paragraph("Sáng nay, xã tổ chức Ngày hội đại đoàn kết toàn dân tộc.")
    for i in range(10):
        with Image.open(io.BytesIO(phone_photo(i))) as photo:
            out = io.BytesIO()
            photo.resize((1320, 990)).save(out, "JPEG", quality=88)
        document.add_picture(out)
        document.add_paragraph(f"Ảnh {i + 1}")
    out = io.BytesIO()
    document.save(out)
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "vhxh@kep.gov.vn", "bbt@kep.gov.vn", "Tin: Ngày hội đại đoàn kết"
    msg.set_content("Kính gửi Ban biên tập, xin gửi tin.")
    msg.add_attachment(
        out.getvalue(),
        maintype="application",
        subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
        filename="tin.docx",
    )
    return bytes(msg)


def photos() -> None:
    settings = preset_settings("kep")
    for label, raw in (
        ("news with ten 12-megapixel photos", photo_news()),
        ("a .docx with ten photos as Word keeps them", photo_document()),
    ):
        seconds = {}
        for workers in (1, 2):
            analyzing.SANDBOX = pool = Sandbox(size=workers)
            pool.start(workers)
            analyze(raw, settings, RECEIVED)  # the workers loaded
            best = float("inf")
            for _ in range(3):
                started = time.perf_counter()
                analysis = analyze(raw, settings, RECEIVED)
                best = min(best, time.perf_counter() - started)
            assert sum(f["use"] == "image" for f in analysis.attachments) == 10, analysis.warnings
            seconds[workers] = best
        analyzing.SANDBOX = SANDBOX
        print(
            f"{label} ({len(raw) / 1048576:.1f} MB), fastest of 3: one document worker {seconds[1]:.2f} s, "
            f"the daemon's two {seconds[2]:.2f} s (×{seconds[1] / seconds[2]:.2f})"
        )


def peak(mode: str, path: Path) -> float:
    """Peak resident memory (VmHWM) of a fresh process that reads the message one way, in MiB. Not
    ru_maxrss: Linux carries that over from the parent across exec."""
    code = (
        "import sys, logging\nlogging.disable(logging.WARNING)\n"
        "raw = open(sys.argv[2], 'rb').read()\n"
        "if sys.argv[1] == 'mailparser':\n    import mailparser; mailparser.parse_from_bytes(raw)\n"
        "elif sys.argv[1] == 'intake':\n"
        "    from datetime import UTC, datetime\n    from intake.analyze import analyze\n"
        "    from msgspec.structs import replace\n    from toasoan.cli import preset_settings\n"
        "    s = replace(preset_settings('kep'), max_message_bytes=10**9, max_attachment_bytes=10**9)\n"
        "    analyze(raw, s, datetime(2026, 11, 23, 2, 0, tzinfo=UTC))\n"
        "print(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code, mode, str(path)], capture_output=True, text=True, check=True)
    return int(out.stdout.strip()) / 1024


def uses_libreoffice(raw: bytes) -> bool:
    return any("." + a.filename.rsplit(".", 1)[-1].lower() in office.CONVERTIBLE for a in parse(raw).attachments)


def speed(runs: int) -> None:
    paths = [
        p
        for p in sorted(CORPORA.rglob("*"))
        if p.is_file() and p.name != "MANIFEST.md" and p.suffix.lower() in (".eml", ".txt", "")
    ]
    raws = {p.relative_to(CORPORA): p.read_bytes() for p in paths}
    settings = preset_settings("kep")
    SANDBOX.start(SANDBOX.size)  # as the daemon does
    analyze(next(iter(raws.values())), settings, RECEIVED)  # imports and the workers paid before timing
    bare: dict = {}
    times: dict = {}
    for _ in range(runs):
        for name, raw in raws.items():  # each message by both, one after the other: the same moment's machine
            started = time.perf_counter()
            mailparser.parse_from_bytes(raw)
            bare[name] = min(bare.get(name, float("inf")), time.perf_counter() - started)
            started = time.perf_counter()
            analyze(raw, settings, RECEIVED)
            times[name] = min(times.get(name, float("inf")), time.perf_counter() - started)
    office_cases = {name for name, raw in raws.items() if uses_libreoffice(raw)}
    for label, names in (("all", list(raws)), (f"without the {len(office_cases)} LibreOffice cases", None)):
        names = names or [name for name in raws if name not in office_cases]
        ours, theirs = sum(times[n] for n in names), sum(bare[n] for n in names)
        print(
            f"{label}, {len(names)} messages (fastest of {runs} runs each): "
            f"mail-parser alone {len(names) / theirs:.0f}/s, "
            f"intake {len(names) / ours:.0f}/s; intake / mail-parser rate {theirs / ours:.2f} (goal ≥ 0.5)"
        )
    waits = []
    for _ in range(1000):
        started = time.perf_counter()
        SANDBOX.run(len, b"")
        waits.append(time.perf_counter() - started)
    waits.sort()
    print(f"an empty call to the document worker (1000): min {waits[0] * 1e6:.0f} µs, median {waits[500] * 1e6:.0f} µs")
    print("slowest ten:")
    for name, seconds in sorted(times.items(), key=lambda item: -item[1])[:10]:
        print(f"  {seconds * 1000:8.1f} ms  {name}{'  (LibreOffice)' if name in office_cases else ''}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    logging.disable(logging.WARNING)
    if CORPORA.exists():
        speed(runs)
    else:
        print(f"no corpora at {CORPORA}: speed not measured")
    photos()
    path = Path("/tmp/toasoan-bench-25mb.eml")
    big_message(path)
    base = peak("none", path)
    parser = peak("mailparser", path)
    intake = peak("intake", path)
    print(
        f"25 MB attachment ({path.stat().st_size / 1048576:.1f} MiB message): peak memory: python reading the file "
        f"{base:.0f} MiB, mail-parser {parser:.0f} MiB, intake {intake:.0f} MiB "
        f"(intake / mail-parser: {intake / parser:.2f}; goal ≤ 250 MiB)"
    )
    path.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
