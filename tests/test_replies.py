"""Reading a board member's decision from what they typed above the quote."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intake.replies import Command, parse_command, reply_text


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Duyệt", Command("approve")),
        ("DUYET", Command("approve")),
        ("duyệt.", Command("approve")),
        ("Đồng ý", Command("approve")),
        ("OK", Command("approve")),
        ("Approved, thanks", Command("approve")),
        ("Từ chối: Ảnh chưa rõ nét", Command("reject", "Ảnh chưa rõ nét")),
        ("tu choi: thieu nguon tin", Command("reject", "thieu nguon tin")),
        ("Không duyệt vì sai số liệu", Command("reject", "vì sai số liệu")),
        ("Từ chối:\nSố liệu chưa khớp với báo cáo.", Command("reject", "Số liệu chưa khớp với báo cáo.")),
        ("Reject: duplicate of last week's post", Command("reject", "duplicate of last week's post")),
        ("Cảm ơn anh", None),
        ("", None),
        ("Duyệtt", None),
    ],
)
def test_commands(typed, expected):
    assert parse_command(typed) == expected


GMAIL = """Duyệt

Vào Th 2, 23 thg 11, 2026 lúc 08:15 Ban biên tập <bbt@kep.gov.vn> đã viết:
> Từ chối: <lý do>      để từ chối
"""
OUTLOOK = """Từ chối: trùng bài hôm qua

________________________________
Từ: Ban biên tập <bbt@kep.gov.vn>
Đã gửi: Thứ Hai, 23 tháng 11, 2026 8:15 SA
Chủ đề: [TS00001] Cần duyệt

Duyệt  để đăng bài
"""
ZIMBRA = "Duyet\n\n----- Thư gốc -----\nTừ: bbt@kep.gov.vn\nDuyệt để đăng bài\n"
PHONE = "Duyệt\n\nGửi từ iPhone của tôi\n\n> Từ chối: <lý do>\n"
ENGLISH = "OK\n\nOn Mon, Nov 23, 2026 at 8:15 AM Ban biên tập <bbt@kep.gov.vn> wrote:\n> Từ chối\n"


@pytest.mark.parametrize(
    ("text", "action"),
    [(GMAIL, "approve"), (OUTLOOK, "reject"), (ZIMBRA, "approve"), (PHONE, "approve"), (ENGLISH, "approve")],
)
def test_quoted_original_is_not_read_as_the_command(text, action):
    command = parse_command(reply_text(text, ""))
    assert command.action == action
    if action == "reject":
        assert command.reason == "trùng bài hôm qua"


def test_html_only_reply():
    html = (
        '<div dir="ltr">Từ chối: ảnh mờ</div><div class="gmail_quote"><div>Vào Th 2 ... đã viết:</div>'
        "<blockquote>Duyệt để đăng bài</blockquote></div>"
    )
    assert parse_command(reply_text("", html)) == Command("reject", "ảnh mờ")


@given(st.text())
def test_any_text_parses_without_error(text):
    command = parse_command(reply_text(text, ""))
    assert command is None or command.action in ("approve", "reject")


@given(st.sampled_from(["Duyệt", "duyet", "DUYỆT", "Đồng ý", "dong y", "ok"]), st.text(alphabet=" .!\n", max_size=5))
def test_approval_words_with_any_case_and_trailing_marks(word, tail):
    assert parse_command(word + tail) == Command("approve")


@given(st.text(min_size=1, max_size=80).filter(lambda s: s.splitlines() == [s] and ":" not in s))
def test_reject_keeps_the_reason_as_written(reason):
    command = parse_command(f"Từ chối: {reason}")
    assert command.action == "reject"
    assert command.reason == reason.strip().strip(" :-")


def test_gmail_header_wrapped_over_two_lines_is_not_part_of_the_reason():
    text = (
        "Từ chối: số liệu chưa khớp\nđề nghị phòng kiểm tra lại.\n\n"
        "Vào Th 2, 23 thg 11, 2026 lúc 08:15 Ban biên tập Cổng thông tin điện tử <\n"
        "bbt@kep.gov.vn> đã viết:\n> Cần duyệt\n"
    )
    assert parse_command(reply_text(text, "")) == Command("reject", "số liệu chưa khớp đề nghị phòng kiểm tra lại.")
