"""How faithfully .docx files become HTML, measured against other projects' goldens, beside mammoth.

For each golden (python-mammoth's expected HTML, pydocx's HTML pairs, pandoc's reader ASTs and HTML command
tests, docxjs' rendered pages) we take the words it contains and the structures it has (headings, lists,
tables, emphasis, images), and ask of our output and of mammoth's output on the same file, in the same run:
- text kept: every word of the golden is there (as many times);
- structure kept: every kind of structure the golden has is there.
docxjs renders pages rather than semantic HTML, so only its text, tables and images are compared.

    python bench/docx_fidelity.py
"""

from __future__ import annotations

import io
import json
import re
import sys
import time
import unicodedata
from collections import Counter
from pathlib import Path

from bs4 import BeautifulSoup

from intake.docx_html import docx_to_html
from intake.sanitize import sanitize

CORPORA = Path(__file__).resolve().parent.parent.parent / "shared" / "corpora" / "docx"
FEATURES = ("headings", "lists", "tables", "emphasis", "images")


def words(text: str) -> Counter:
    return Counter(re.findall(r"\w+", unicodedata.normalize("NFC", text).casefold()))


def from_html(html: str) -> tuple[Counter, set[str]]:
    soup = BeautifulSoup(html, "html.parser")
    for hidden in soup(["style", "script", "head"]):
        hidden.decompose()
    found = {
        "headings": bool(soup.find(re.compile(r"^h[1-6]$"))),
        "lists": bool(soup.find(["ul", "ol"])),
        "tables": bool(soup.find("table")),
        "emphasis": bool(soup.find(["strong", "b", "em", "i", "u", "s", "del"])),
        "images": bool(soup.find("img")),
    }
    return words(soup.get_text(" ")), {k for k, v in found.items() if v}


def from_native(native: str) -> tuple[Counter, set[str]]:
    """Pandoc's AST as Haskell `show` prints it: enough to read its words and which structures it has."""
    strings = re.findall(r'Str "((?:[^"\\]|\\.)*)"', native)
    text = " ".join(re.sub(r"\\(\d+)", lambda m: chr(int(m[1])), s).replace('\\"', '"') for s in strings)
    found = {
        "headings": "Header " in native,
        "lists": "BulletList" in native or "OrderedList" in native,
        "tables": "Table " in native,
        "emphasis": any(k in native for k in ("Strong ", "Emph ", "Underline ", "Strikeout ")),
        "images": "Image " in native,
    }
    return words(text), {k for k, v in found.items() if v}


def goldens() -> dict[str, list[tuple[Path, Counter, set[str], set[str]]]]:
    """corpus -> [(docx, golden words, golden structures, structures compared)]"""
    out: dict[str, list] = {}
    mammoth_dir = CORPORA / "python-mammoth"
    cases = json.loads((mammoth_dir / "expected_outputs.json").read_text("utf-8"))["cases"]
    seen = set()
    for case in cases:
        if case.get("options") or "expected_value" not in case or not case["expected_value"].startswith("<"):
            continue
        if case["docx"] in seen:
            continue
        seen.add(case["docx"])
        text, found = from_html(case["expected_value"])
        out.setdefault("python-mammoth", []).append((mammoth_dir / case["docx"], text, found, set(FEATURES)))
    pydocx = CORPORA / "pydocx"
    for pair in json.loads((pydocx / "test_mapping.json").read_text("utf-8"))["golden_pairs"]:
        text, found = from_html((pydocx / pair["expected_body_html"]).read_text("utf-8"))
        out.setdefault("pydocx", []).append((pydocx / pair["docx"], text, found, set(FEATURES)))
    pandoc = CORPORA / "pandoc-docx-reader"
    for test in json.loads((pandoc / "test_mapping.json").read_text("utf-8"))["tests"]:
        native = test.get("expected_native")
        if test.get("kind") != "testCompare" or not native or "defopts" not in test.get("reader_options", ""):
            continue
        text, found = from_native((pandoc / native).read_text("utf-8"))
        out.setdefault("pandoc-docx-reader", []).append((pandoc / test["input_docx"], text, found, set(FEATURES)))
    docxjs = CORPORA / "docxjs-render-tests"
    for pair in json.loads((docxjs / "test_mapping.json").read_text("utf-8"))["golden_pairs"]:
        text, found = from_html((docxjs / pair["expected_html"]).read_text("utf-8"))
        out.setdefault("docxjs-render-tests", []).append(
            (docxjs / pair["docx"], text, found & {"tables", "images"}, {"tables", "images"})
        )
    return out


def ours(data: bytes) -> str:
    return sanitize(docx_to_html(data).html).replace('src="cid:', 'src="x:')


def theirs(data: bytes) -> str:
    import mammoth

    return mammoth.convert_to_html(io.BytesIO(data)).value


def judge(convert, path: Path, golden: Counter, structure: set[str], compared: set[str]) -> tuple[bool, bool, bool]:
    """(converted without error, text kept, structure kept)"""
    try:
        text, found = from_html(convert(path.read_bytes()))
    except Exception:
        return False, False, False
    return True, not (golden - text), structure <= (found & compared)


def main() -> int:
    if not CORPORA.exists():
        print(f"no corpora at {CORPORA}: nothing to measure")
        return 0
    try:
        import mammoth  # noqa: F401

        baseline = True
    except ImportError:
        baseline = False
        print("mammoth is not installed (pip install -e '.[bench]'): baseline left out")
    print(f"{'corpus':22} {'docs':>4}  {'toasoan: text structure errors':>32}  {'mammoth: text structure errors':>32}")
    totals = Counter()
    timings = Counter()
    for corpus, cases in goldens().items():
        row = Counter()
        for path, golden, structure, compared in cases:
            for name, convert in (("ours", ours), ("mammoth", theirs if baseline else None)):
                if convert is None:
                    continue
                started = time.perf_counter()
                ok, text, struct = judge(convert, path, golden, structure, compared)
                timings[name] += time.perf_counter() - started
                row[f"{name}_error"] += not ok
                row[f"{name}_text"] += text
                row[f"{name}_structure"] += struct
        totals.update(row)
        totals["docs"] += len(cases)
        print(
            f"{corpus:22} {len(cases):4}  {row['ours_text']:14} {row['ours_structure']:9} {row['ours_error']:6}"
            f"  {row['mammoth_text']:14} {row['mammoth_structure']:9} {row['mammoth_error']:6}"
        )
    print(
        f"{'all':22} {totals['docs']:4}  {totals['ours_text']:14} {totals['ours_structure']:9} "
        f"{totals['ours_error']:6}  {totals['mammoth_text']:14} {totals['mammoth_structure']:9} "
        f"{totals['mammoth_error']:6}"
    )
    if baseline and totals["mammoth_structure"]:
        print(
            f"structure kept, toasoan / mammoth: {totals['ours_structure'] / totals['mammoth_structure']:.2f}; "
            f"text kept: {totals['ours_text'] / max(totals['mammoth_text'], 1):.2f}; "
            f"time: {timings['ours']:.2f} s / {timings['mammoth']:.2f} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
