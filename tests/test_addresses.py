"""Who a message is from and to: the common header forms are read by one regular expression, and must give
exactly what the standard library's address parser gives for any header, common or not."""

from __future__ import annotations

import time
from email.utils import getaddresses

from hypothesis import example, given, settings
from hypothesis import strategies as st

from intake.message import addresses, parse

NAME = st.text(alphabet="aAbĐđễ Nguyễn xyz.-'_\x1f\xa0\t\n", max_size=12)
ADDRESS = st.builds(
    "{}@{}".format,
    st.text(alphabet="ab.c-_+{|}~`'\x1f\xa0", min_size=1, max_size=6),
    st.text(alphabet="ab.c-\x1f", min_size=1, max_size=6),
)
VALUE = st.one_of(
    st.just(""),
    ADDRESS,
    st.builds("{} <{}>".format, NAME, ADDRESS),
    st.builds(" {}<{}>\t".format, NAME, ADDRESS),
    st.text(alphabet='<>@,;:" \t\x1fab.()\\', max_size=15),
    st.text(max_size=15),
)


@example(["Nguyễn  Văn An <an.nv@kep.gov.vn>", "", "vhxh@kep.gov.vn"])
@example(["J. Smith <a@b>"])  # a dot in the name: the library's parser
@example(["\x1f@0"])  # a control character: the library drops it
@settings(max_examples=2000)
@given(st.lists(VALUE, max_size=4))
def test_the_common_forms_read_as_the_standard_library_reads_them(values):
    assert [(n, a) for n, a in addresses(values) if a] == [(n, a) for n, a in getaddresses(values) if a]


def test_a_message_says_who_sent_it_and_to_whom():
    raw = (
        b"From: =?utf-8?b?Tmd1eeG7hW4gVsSDbiBBbg==?= <an.nv@kep.gov.vn>\r\n"
        b"To: Ban bien tap <bbt@kep.gov.vn>, hoidap@kep.gov.vn\r\nCc: \r\nSubject: x\r\n\r\nNoi dung\r\n"
    )
    mail = parse(raw)
    assert (mail.sender_name, mail.sender_address) == ("Nguyễn Văn An", "an.nv@kep.gov.vn")
    assert mail.recipients == ["bbt@kep.gov.vn", "hoidap@kep.gov.vn"]


def test_a_hostile_header_of_blanks_is_read_in_linear_time():
    """A name's blanks and those before "<" could once be shared two ways: 16 times the blanks took 256 times
    as long (0.3 s for 16 000). Compared as a ratio of two sizes, which a machine's speed does not move."""

    def seconds(blanks: int) -> float:
        value = "a" + " " * blanks + "x"
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            addresses([value])
            best = min(best, time.perf_counter() - started)
        return best

    assert seconds(64_000) < 40 * seconds(4_000)
