"""The everyday commands load only what they use: no database layer, scheduler, HTTP or mail client.

`toasoan inspect`, `convert` and `deadline` are what an officer and the test suite run most; each of
those libraries costs tenths of a second at start-up and none of them is needed there.
"""

from __future__ import annotations

import json
import subprocess
import sys

from tests import samples

UNUSED = ("sqlalchemy", "alembic", "apscheduler", "httpx", "aiosmtplib", "imapclient")
# What inspect's own process leaves to its sandbox worker (ftfy, pypdf, Pillow) or to its tables (holidays).
DECODERS = ("holidays", "ftfy", "bs4", "pypdf", "PIL")
RUN = (
    "import contextlib, io, sys\n"
    "from toasoan.cli import main\n"
    "with contextlib.redirect_stdout(io.StringIO()):\n"
    "    code = main(sys.argv[1:])\n"
    f"print(code, sorted(m for m in {UNUSED!r} if m in sys.modules))\n"
)


def loaded(*args: str, modules: tuple[str, ...] = UNUSED) -> str:
    run = RUN.replace(repr(UNUSED), repr(modules))
    out = subprocess.run([sys.executable, "-c", run, *args], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_inspect_of_a_docx_submission(tmp_path):
    path = tmp_path / "message.eml"
    path.write_bytes(samples.submission("vhxh@kep.gov.vn", "bbt@kep.gov.vn", "Tin bài", docx=samples.news_docx()))
    assert loaded("inspect", str(path), "--preset", "kep", "--received", "2026-11-20T16:00:00+07:00") == "0 []"


def test_inspect_leaves_decoding_to_its_worker_and_holidays_to_the_table(tmp_path):
    path = tmp_path / "message.eml"
    path.write_bytes(samples.submission("vhxh@kep.gov.vn", "bbt@kep.gov.vn", "Tin bài", docx=samples.news_docx()))
    args = ("inspect", str(path), "--preset", "kep", "--received", "2026-11-20T16:00:00+07:00")
    assert loaded(*args, modules=DECODERS) == "0 []"


def test_convert(tmp_path):
    path = tmp_path / "tin.docx"
    path.write_bytes(samples.news_docx())
    assert loaded("convert", str(path)) == "0 []"


def test_deadline():
    args = ("deadline", "--preset", "kep", "--category", "news", "--start", "2026-11-20T16:00:00+07:00")
    assert loaded(*args) == "0 []"


def test_inspect_starts_its_worker_before_loading_the_command_line(tmp_path):
    """The `toasoan` program starts inspect's worker first: it loads the converters on the other core while
    this process loads the command line, the settings and the analysis. The answer is whole although the
    program ends without tidying its heap."""
    path = tmp_path / "message.eml"
    path.write_bytes(samples.submission("vhxh@kep.gov.vn", "bbt@kep.gov.vn", "Tin bài", docx=samples.news_docx()))
    run = (
        "import sys\n"
        "from intake.sandbox import Sandbox\n"
        "spawn = Sandbox._spawn\n"
        "def watched(self):\n"
        "    names = ('toasoan.cli', 'newsroom.settings', 'intake.analyze')\n"
        "    print('loaded at start:', [name for name in names if name in sys.modules], flush=True)\n"
        "    return spawn(self)\n"
        "Sandbox._spawn = watched\n"
        "from toasoan.program import main\n"
        "main()\n"
    )
    args = ("inspect", str(path), "--preset", "kep", "--received", "2026-11-20T16:00:00+07:00", "--json")
    out = subprocess.run([sys.executable, "-c", run, *args], capture_output=True, text=True, check=True)
    first, _, answer = out.stdout.partition("\n")
    assert first == "loaded at start: []"
    assert json.loads(answer)["kind"] == "submission"
    assert json.loads(answer)["title"] == "Tin bài"


def test_python_dash_m_toasoan_is_the_same_program(tmp_path):
    """A checkout whose venv's scripts are not on the PATH runs `python -m toasoan`: the same entry point,
    its answer and its exit status."""
    path = tmp_path / "message.eml"
    path.write_bytes(samples.submission("vhxh@kep.gov.vn", "bbt@kep.gov.vn", "Tin bài", docx=samples.news_docx()))
    args = ("inspect", str(path), "--preset", "kep", "--received", "2026-11-20T16:00:00+07:00", "--json")
    out = subprocess.run([sys.executable, "-m", "toasoan", *args], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout)["title"] == "Tin bài"
    wrong = subprocess.run(
        [
            sys.executable,
            "-m",
            "toasoan",
            "deadline",
            "--preset",
            "kep",
            "--category",
            "tin",
            "--start",
            "2026-11-20T16:00:00+07:00",
        ],
        capture_output=True,
        text=True,
    )
    assert wrong.returncode != 0 and "tin" in wrong.stderr
