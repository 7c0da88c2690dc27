"""How often the reply trimmer keeps exactly what the person wrote, on other projects' reply corpora.

Corpora (../shared/corpora/email/): mailgun-talon standard replies, discourse email_reply_trimmer, and
crisp email-reply-parser. The baseline is email-reply-parser (the Python port of GitHub's trimmer), run on
the same messages in the same run. Texts are compared with white space folded.

    python bench/reply_trimming.py
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Callable
from email import message_from_bytes, policy
from pathlib import Path

from intake.replies import reply_text

CORPORA = Path(__file__).resolve().parent.parent.parent / "shared" / "corpora" / "email"


def fold(text: str) -> str:
    return " ".join(text.split())


def talon() -> list[tuple[str, str]]:
    folder = CORPORA / "mailgun-talon" / "standard_replies"
    cases = []
    for eml in sorted(folder.glob("*.eml")):
        message = message_from_bytes(eml.read_bytes(), policy=policy.default)
        body = message.get_body(("plain",))
        if body is None:
            continue
        expected = folder / f"{eml.stem}_reply_text"
        cases.append((body.get_content(), expected.read_text("utf-8").strip() if expected.exists() else "Hello"))
    return cases


def discourse() -> list[tuple[str, str]]:
    folder = CORPORA / "discourse-email_reply_trimmer"
    return [
        (email.read_text("utf-8").strip(), (folder / "trimmed" / email.name).read_text("utf-8").strip())
        for email in sorted((folder / "emails").glob("*.txt"))
        if (folder / "trimmed" / email.name).exists()
    ]


def crisp() -> list[tuple[str, str]]:
    folder = CORPORA / "crisp-email-reply-parser"
    expectations = json.loads((folder / "test_expectations.json").read_text("utf-8"))
    common = expectations.pop("_COMMON_FIRST_FRAGMENT")
    cases = []
    for name, tests in expectations.items():
        expected = None
        for assertion in (a for t in tests for a in t["assertions"]):
            if "COMMON_FIRST_FRAGMENT" in assertion and "fragments[0]" in assertion:
                expected = common
            elif m := re.match(
                r'test\.equal\(("(?:[^"\\]|\\.)*"), (?:reply\.fragments\[0\]|email)\.'
                r"(?:toString|getVisibleText)\(\)",
                assertion,
            ):
                expected = json.loads(m[1])
            if expected is not None:
                break
        if expected is not None and (folder / name).exists():
            cases.append(((folder / name).read_text("utf-8"), expected))
    return cases


def measure(trim: Callable[[str], str], cases: list[tuple[str, str]]) -> tuple[int, float]:
    started = time.perf_counter()
    matched = sum(fold(trim(text)) == fold(expected) for text, expected in cases)
    return matched, (time.perf_counter() - started) / max(len(cases), 1) * 1e6


def main() -> int:
    if not CORPORA.exists():
        print(f"no corpora at {CORPORA}: nothing to measure")
        return 0
    try:
        from email_reply_parser import EmailReplyParser

        baseline: Callable[[str], str] | None = EmailReplyParser.parse_reply
    except ImportError:
        baseline = None
        print("email-reply-parser is not installed (pip install -e '.[bench]'): baseline left out")

    def ours(text: str) -> str:
        return reply_text(text, "")

    print(f"{'corpus':28} {'cases':>5} {'toasoan':>14} {'baseline':>14} {'µs/msg':>8} {'baseline µs':>12}")
    totals = [0, 0, 0]
    for name, load in (
        ("mailgun-talon", talon),
        ("discourse-email_reply_trimmer", discourse),
        ("crisp-email-reply-parser", crisp),
    ):
        cases = load()
        matched, speed = measure(ours, cases)
        base, base_speed = measure(baseline, cases) if baseline else (0, 0.0)
        totals[0] += len(cases)
        totals[1] += matched
        totals[2] += base
        print(
            f"{name:28} {len(cases):5} {matched:5} ({matched / len(cases):5.1%}) "
            f"{base:5} ({base / len(cases):5.1%}) {speed:8.0f} {base_speed:12.0f}"
        )
    n, ours_total, base_total = totals
    print(f"{'all':28} {n:5} {ours_total:5} ({ours_total / n:5.1%}) {base_total:5} ({base_total / n:5.1%})")
    if base_total:
        print(f"ratio toasoan / baseline (matches): {ours_total / base_total:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
