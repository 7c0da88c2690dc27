"""Reading a board member's decision from what they typed above the quote."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intake.replies import COMMANDS, Command, parse_command, reply_text

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))  # when the reply was received


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
    assert parse_command(typed, NOW) == expected


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
    command = parse_command(reply_text(text, ""), NOW)
    assert command.action == action
    if action == "reject":
        assert command.reason == "trùng bài hôm qua"


def test_html_only_reply():
    html = (
        '<div dir="ltr">Từ chối: ảnh mờ</div><div class="gmail_quote"><div>Vào Th 2 ... đã viết:</div>'
        "<blockquote>Duyệt để đăng bài</blockquote></div>"
    )
    assert parse_command(reply_text("", html), NOW) == Command("reject", "ảnh mờ")


def test_an_outlook_reply_in_html_alone_is_read_without_its_head():
    """Outlook writes the subject in the head's <title>, which no reader sees: it is not the first line."""
    html = (
        "<html><head><title>RE: Bài chờ duyệt: Hội nghị</title><style>p{margin:0}</style></head>"
        "<body><p>Duyệt</p><div id='divRplyFwdMsg'><b>Từ:</b> Ban biên tập</div></body></html>"
    )
    assert reply_text("", html) == "Duyệt"


def test_html_reply_above_a_rule_keeps_only_what_was_written_above():
    html = (
        "<div><p>Duyệt</p>thêm ảnh<hr><p>Từ chối bản cũ</p><div style='border-top:solid #E1E1E1'>"
        "<p>Gửi lúc</p></div><hr><p>Sửa</p></div><p>Hết</p>"
    )
    assert reply_text("", html) == "Duyệt\nthêm ảnh"
    assert parse_command(reply_text("", html), NOW).action == "approve"


@given(st.text())
def test_any_text_parses_without_error(text):
    command = parse_command(reply_text(text, ""), NOW)
    assert command is None or command.action in {action for action, _ in COMMANDS}  # the table, whole


@given(st.sampled_from(["Duyệt", "duyet", "DUYỆT", "Đồng ý", "dong y", "ok"]), st.text(alphabet=" .!\n", max_size=5))
def test_approval_words_with_any_case_and_trailing_marks(word, tail):
    assert parse_command(word + tail, NOW) == Command("approve")


@given(st.text(min_size=1, max_size=80).filter(lambda s: s.splitlines() == [s] and ":" not in s))
def test_reject_keeps_the_reason_as_written(reason):
    command = parse_command(f"Từ chối: {reason}", NOW)
    assert command.action == "reject"
    assert command.reason == reason.strip().strip(" :-")


def test_gmail_header_wrapped_over_two_lines_is_not_part_of_the_reason():
    text = (
        "Từ chối: số liệu chưa khớp\nđề nghị phòng kiểm tra lại.\n\n"
        "Vào Th 2, 23 thg 11, 2026 lúc 08:15 Ban biên tập Cổng thông tin điện tử <\n"
        "bbt@kep.gov.vn> đã viết:\n> Cần duyệt\n"
    )
    expected = Command("reject", "số liệu chưa khớp đề nghị phòng kiểm tra lại.")
    assert parse_command(reply_text(text, ""), NOW) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Sửa: Bổ sung ảnh", Command("request_changes", "Bổ sung ảnh")),
        ("sua bo sung nguon", Command("request_changes", "bo sung nguon")),
        ("Gỡ: văn bản đã hết hiệu lực", Command("unpublish", "văn bản đã hết hiệu lực")),
        ("go bai: sai thong tin", Command("unpublish", "sai thong tin")),
        ("Đã nhận", Command("acknowledge")),
        ("da nhan, cam on", Command("acknowledge")),
        ("Không duyệt", Command("reject", "")),
    ],
)
def test_more_commands(typed, expected):
    assert parse_command(typed, NOW) == expected


@pytest.mark.parametrize(
    ("typed", "at"),
    [
        ("Đăng lúc 07:00 25/11", "2026-11-25T07:00:00+07:00"),
        ("dang luc 7h 25/11/2026", "2026-11-25T07:00:00+07:00"),
        ("Đăng lúc 25/11 lúc 7:30", "2026-11-25T07:30:00+07:00"),
        ("Đăng lúc 07:00 05/01", "2027-01-05T07:00:00+07:00"),  # written in November: next January
        ("Publish at 14:30 1/12", "2026-12-01T14:30:00+07:00"),
    ],
)
def test_schedule_times(typed, at):
    assert parse_command(typed, NOW).at.isoformat() == at


@pytest.mark.parametrize("typed", ["Đăng lúc 25/11", "Đăng lúc 31/02 7:00", "Đăng lúc mai", "Đăng lúc 25:00 25/11"])
def test_schedule_without_a_valid_moment_is_not_understood(typed):
    assert parse_command(typed, NOW) is None


@given(st.integers(0, 23), st.integers(0, 59), st.dates(min_value=date(2026, 11, 24), max_value=date(2027, 6, 30)))
def test_any_valid_future_moment_round_trips(hour, minute, day):
    command = parse_command(f"Đăng lúc {hour:02d}:{minute:02d} {day.day:02d}/{day.month:02d}/{day.year}", NOW)
    assert command.at == datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Duyệt bài viết này\n\nVào Th 2 ... đã viết:\n> x", Command("approve")),
        ("Từ chối: bài viết sai số liệu\n-----\nTừ: bbt", Command("reject", "bài viết sai số liệu")),
        (
            "Vào Th 2, 23 thg 11, 2026 lúc 08:15 Ban biên tập <bbt@kep.gov.vn> đã viết:\n> Cần duyệt\n\nDuyệt",
            Command("approve"),
        ),  # answered below the quote
        ("OK\u1427\n\nIl giovedì 8 dicembre 2016, Ban <bbt@kep.gov.vn> ha scritto:\n> x", Command("approve")),
    ],
)
def test_reply_text_edge_cases(text, expected):
    assert parse_command(reply_text(text, ""), NOW) == expected


@pytest.mark.parametrize(
    "html",
    [
        '<div name="messageBodySection"><p>Duyệt</p></div><div name="messageReplySection"><p>Cần duyệt TS1</p></div>',
        '<div dir="auto"><p>Duyệt</p></div><div class="gmail_signature"><p>Trần Thị Bình</p></div>',
        '<div class="WordSection1"><p class="MsoNormal">Duyệt</p><div style="border:none;border-top:solid #E1E1E1 '
        '1.0pt;padding:3.0pt 0in 0in 0in"><p class="MsoNormal">Từ: Ban biên tập</p></div><p>Cần duyệt TS1</p></div>',
    ],
)
def test_html_only_replies_from_outlook_mobile_gmail_and_word_are_trimmed(html):
    assert reply_text("", html) == "Duyệt"


def test_outlook_mobile_reply_section_alone_is_what_was_written():
    assert reply_text("", '<div name="messageReplySection"><p>Từ chối: thiếu ảnh</p></div>') == "Từ chối: thiếu ảnh"
