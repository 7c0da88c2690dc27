"""The table of refusals and warnings: every code renders in both languages, and the README lists every
refusal as the table says."""

from __future__ import annotations

import logging
import string
from pathlib import Path

import pytest

from intake import refusals

README = Path(__file__).resolve().parent.parent / "README.md"
CODES = [*refusals.REFUSALS, *refusals.WARNINGS]


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("code", CODES)
def test_every_code_renders_in_vietnamese_and_english(code):
    notice = refusals.REFUSALS.get(code) or refusals.WARNINGS[code]
    assert placeholders(notice.vi) == placeholders(notice.en), "both languages take the same values"
    values = {name: f"<{name}>" for name in placeholders(notice.vi)}
    vi, en = refusals.text(code, values), refusals.text(code, values, "en")
    assert (vi and en and vi != en) or code == "document_note"
    assert all(f"<{name}>" in vi and f"<{name}>" in en for name in values)
    assert notice.answer in ("hourly", "never", "each") and notice.level in (
        logging.WARNING,
        logging.ERROR,
        logging.INFO,
    )


def test_no_code_is_both_a_refusal_and_a_warning():
    assert not set(refusals.REFUSALS) & set(refusals.WARNINGS)


def test_the_readme_lists_every_refusal_from_the_table():
    text = README.read_text("utf-8")
    start, end = "<!-- refusals: generated from intake/refusals.py -->\n", "\n<!-- /refusals -->"
    assert start in text and end in text
    assert text.split(start, 1)[1].split(end, 1)[0] == refusals.readme_table()
