"""The patterns that read a mail's or a document's text are read in linear time whatever the text holds, and
read what their plain form reads.

Each product pattern is written so that no stretch of text can be shared two ways between its quantifiers
(possessive ``*+``, a line's own blanks, a lookbehind at a run's start). Its plain form, the pattern as one
would first write it, is kept here: Hypothesis holds the two to the same answers, and a hostile text 16 times
as long must not take 256 times as long (it took 37 s for 32 000 line breaks before). Timings are compared as
a ratio of two sizes, which a machine's speed does not move."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intake import document, questions
from newsroom import privacy
from newsroom import questions as routing

LABELS = ["Email", "e-mail", "thư điện tử", "Họ tên", "họ và tên", "ho ten", "Người gửi", "Hỏi", "câu hỏi 2"]
LABELS += ["Đáp", "trả lời", "Địa chỉ", "Số", "số", "so", "ngày", "tháng", "Hà Nội", "QĐ-UBND", "NQ"]
PIECES = [*LABELS, ":", " ", "  ", "\n", "\t", "\r\n", "<", ">", "@", ".", "…", "_", "-", "/", "+", ",", "a", "B"]
PIECES += ["1", "15", "2020", "An", "Nguyễn Văn An", "x@y.vn", "đ"]
TEXT = st.lists(st.sampled_from(PIECES), max_size=30).map("".join)


def first(pattern: re.Pattern, text: str):
    m = pattern.search(text)
    return m and m.groups()


def every(pattern: re.Pattern, text: str):
    return [m.groups() for m in pattern.finditer(text)]


def labels(pattern: re.Pattern, text: str):
    return pattern.findall(text)


def names(pattern: re.Pattern, text: str):
    return [n for m in pattern.finditer(text) if (n := m[2].strip())]


def address(pattern: re.Pattern, text: str):
    m = pattern.search(text)
    return m and m[0]


@dataclass(frozen=True)
class Reader:
    pattern: re.Pattern  # the product's
    plain: str  # as one would first write it
    read: Callable  # what the product takes from it
    hostile: tuple[tuple[str, str, str], ...]  # each: prefix, unit repeated, suffix


READERS = {
    "leaflet question": Reader(
        questions.LEAFLET_Q, r"(?im)^\s*(?:câu\s*hỏi(?:\s*\d+)?|hỏi|hoi)\s*[:.\-–]", first, (("", " \n", ""),)
    ),
    "leaflet answer": Reader(
        questions.LEAFLET_A, r"(?im)^\s*(?:trả\s*lời|đáp|dap|tra\s*loi)\s*[:.\-–]", first, (("", " \n", ""),)
    ),
    "form fields": Reader(
        questions.FORM_FIELD,
        r"(?im)^\s*(họ\s*(?:và\s*)?tên|ho\s*ten|email|e-mail|thư\s*điện\s*tử|điện\s*thoại|số\s*điện\s*thoại|sđt|"
        r"địa\s*chỉ|tiêu\s*đề|chủ\s*đề|nội\s*dung|lĩnh\s*vực)\s*:",
        labels,
        (("", "\n", ""),),
    ),
    "form e-mail": Reader(
        questions.FIELD_EMAIL,
        r"(?im)^\s*(?:email|e-mail|thư\s*điện\s*tử)\s*:\s*<?([^\s<>@]+@[^\s<>@]+\.[^\s<>@]+)>?\s*$",
        first,
        (("", "\n", ""), ("Email: a@", "b.", " x")),
    ),
    "form name": Reader(
        questions.FIELD_NAME,
        r"(?im)^[^\S\n]*(?:họ\s*(?:và\s*)?tên|ho\s*ten)\s*:\s*(\S.{1,79}?)\s*$",
        first,
        (("", " \n", ""), ("Họ tên:", " ", "y" * 100)),
    ),
    "names hidden on the public page": Reader(
        privacy.NAME_FIELD, rf"(?im)^(\s*{privacy._LABEL}\s*:\s*)(.+)$", names, (("", "\n", ""),)
    ),
    "a draft's blank number": Reader(
        document.BLANK_NUMBER, r"Số\s*:\s*[ .…_\d]*/\s*([A-Za-zĐđ]+)?", first, (("Số:", " ", "x"),)
    ),
    "a draft's blank date": Reader(
        document.BLANK_DATE,
        r"(?:([A-ZÀ-Ỹ][\wÀ-ỹ ]{1,40}),\s*)?ngày\s*[ .…_]*\s*tháng",
        first,
        (("ngày", " ", "x"),),
    ),
    "a repealed document's number": Reader(
        document.CITED_NUMBER,
        r"(?:số|so)\s*:?\s*(\d+(?:/\d{4})?/[A-ZĐ][\wĐđ.\-]*[\wĐđ])",
        every,
        (("bãi bỏ số", " ", "x"),),
    ),
    "an address after Chuyển:": Reader(
        routing.ADDRESS_IN_TEXT, r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", address, (("Chuyển: ", "a", ""),)
    ),
}


@pytest.mark.parametrize("reader", READERS.values(), ids=READERS.keys())
@settings(max_examples=600, deadline=None)
@given(text=TEXT)
def test_each_reader_reads_what_its_plain_form_reads(reader, text):
    plain = re.compile(reader.plain, reader.pattern.flags)
    assert reader.read(reader.pattern, text) == reader.read(plain, text)


@pytest.mark.parametrize("reader", READERS.values(), ids=READERS.keys())
def test_each_reader_takes_linear_time_on_hostile_text(reader):
    def seconds(prefix: str, unit: str, suffix: str, count: int) -> float:
        text, best = prefix + unit * count + suffix, float("inf")
        for _ in range(3):
            started = time.perf_counter()
            reader.read(reader.pattern, text)
            best = min(best, time.perf_counter() - started)
        return best

    for hostile in reader.hostile:
        assert seconds(*hostile, 64_000) < 40 * seconds(*hostile, 4_000), hostile
