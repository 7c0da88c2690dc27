"""Mail that looks like a reply but names no draft (issue 12, item 7): recognised as a reply, never a junk
draft; unless it carries a document, an article or a citizen's question of its own."""

from __future__ import annotations

import json
from email.message import EmailMessage
from email.utils import make_msgid

import pytest

from tests import samples
from toasoan.cli import main

GMAIL_QUOTE = "\n\nVào Th 6, 20 thg 11, 2026 lúc 08:15 Phòng Văn hóa <vh@kep.gov.vn> đã viết:\n> Lịch họp tuần\n"
OUTLOOK_QUOTE = (
    "\n\n________________________________\nTừ: Phòng Văn hóa <vh@kep.gov.vn>\nĐã gửi: Thứ Sáu, 20 tháng 11, 2026\n"
    "Chủ đề: Lịch họp\n\nLịch họp tuần\n"
)
ARTICLE = (
    "Sáng 21/11, Đoàn thanh niên thị trấn Kép phối hợp với Hội Liên hiệp phụ nữ tổ chức ra quân dọn vệ sinh "
    "môi trường tại các tuyến đường chính, thu gom hơn hai tấn rác thải, trồng mới 300 cây xanh dọc kênh "
    "mương và tuyên truyền người dân phân loại rác tại nguồn. Hoạt động thu hút hơn 200 đoàn viên, hội viên "
    "tham gia và được nhân dân đồng tình hưởng ứng."
)


def mail(subject: str, body: str, sender: str = "vhxh@kep.gov.vn", attach: bytes | None = None, **headers) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, "bbt@kep.gov.vn", subject
    msg["Message-ID"] = make_msgid(domain="kep.gov.vn")
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    if attach is not None:
        msg.add_attachment(attach, maintype=samples.DOCX_TYPE[0], subtype=samples.DOCX_TYPE[1], filename="tin.docx")
    return bytes(msg)


def inspect(tmp_path, capsys, raw: bytes) -> dict:
    path = tmp_path / "m.eml"
    path.write_bytes(raw)
    assert main(["inspect", str(path), "--preset", "kep", "--received", "2026-11-23T09:00:00+07:00", "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize(
    ("raw", "signals", "action"),
    [
        (mail("Re: Lịch họp tuần", "Duyệt" + GMAIL_QUOTE), ["subject", "quote", "command"], "approve"),
        (mail("Lịch họp", "Đồng ý." + OUTLOOK_QUOTE), ["quote", "command"], "approve"),
        (
            mail("TL: Lịch họp", "Cảm ơn, đã nhận được.", In_Reply_To="<x@elsewhere.vn>"),
            ["subject", "in_reply_to"],
            None,
        ),
        (mail("Re: Kế hoạch", "Từ chối: chưa đủ số liệu\n\n> Kế hoạch tháng 12\n> gửi các đơn vị"), None, "reject"),
        (mail("OK", "Duyệt"), ["command"], "approve"),
    ],
)
def test_a_reply_that_names_no_draft_is_a_reply(tmp_path, capsys, raw, signals, action):
    result = inspect(tmp_path, capsys, raw)
    assert result["kind"] == "reply" and result["command"]["draft_key"] is None and result["title"] is None
    assert signals is None or result["reply_signals"] == signals
    assert result["command"]["action"] == action


@pytest.mark.parametrize(
    ("raw", "kind", "own"),
    [
        (mail("Re: Lịch họp", "Gửi tin mới." + GMAIL_QUOTE, attach=samples.news_docx()), "submission", "own:document"),
        (mail("Re: Tin tuần trước", ARTICLE + GMAIL_QUOTE), "submission", "own:article"),
        (
            mail("Re: Thông báo", "Xin hỏi thủ tục đăng ký khai sinh cần giấy tờ gì?" + GMAIL_QUOTE, "an@gmail.com"),
            "question",
            "own:question",
        ),
    ],
)  # fmt: skip
def test_a_reply_shaped_mail_with_content_of_its_own_is_still_new_content(tmp_path, capsys, raw, kind, own):
    result = inspect(tmp_path, capsys, raw)
    assert result["kind"] == kind and result["reply_signals"][-1] == own


def test_a_forward_and_a_plain_notice_are_not_replies(tmp_path, capsys):
    forward = mail("Fwd: Lịch tiếp dân", "---------- Forwarded message ---------\nTừ: UBND <ub@kep.gov.vn>\n\nLịch")
    assert inspect(tmp_path, capsys, forward)["reply_signals"] == []
    notice = mail("Thông báo lịch tiếp công dân tháng 12", "Ngày 05/12/2026, Chủ tịch UBND thị trấn tiếp công dân.")
    result = inspect(tmp_path, capsys, notice)
    assert result["kind"] == "submission" and result["reply_signals"] == []


@pytest.mark.timeout(120)
def test_the_daemon_explains_instead_of_drafting(site_factory, capsys):
    site = site_factory()
    site.start()
    board_member = site.address("truongban")
    site.deliver(mail("Re: Lịch họp tuần", "Duyệt" + GMAIL_QUOTE, sender=board_member))
    [answer] = site.wait_mail(board_member, "Không tiếp nhận")
    body = text_of(answer)
    assert "không tìm thấy bản thảo nào ứng với thư trả lời này" in body and "Cần duyệt" in body
    stranger = "ai.do@example.com"
    site.dovecot.add_user(stranger)
    for n in range(2):  # a second within the hour gets nothing
        site.deliver(mail(f"Re: Lịch họp ({n})", "Ok, cảm ơn." + GMAIL_QUOTE, sender=stranger))
    site.settle()
    assert len(site.wait_mail(stranger, "Không tiếp nhận")) == 1
    assert len(site.dovecot.messages(site.board_box, "Toasoan/Processed")) == 3
    assert site.dovecot.messages(site.address("phoban")) == []  # no "Cần duyệt" for anyone
    assert main(["drafts", "list", "--config", str(site.config)]) == 0
    assert capsys.readouterr().out == ""  # and no draft was made


def text_of(raw: bytes) -> str:
    from email import message_from_bytes, policy

    return message_from_bytes(raw, policy=policy.default).get_body(("plain",)).get_content()
