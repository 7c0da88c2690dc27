"""Every reply command, refusal and revision through the running daemon and real mailboxes."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from newsroom.db import make_engine, session_factory
from newsroom.records import Draft
from tests import samples
from tests.conftest import wait_until

pytestmark = pytest.mark.timeout(180)
VN = ZoneInfo("Asia/Ho_Chi_Minh")
DOCX = ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document")


def parsed(raw: bytes):
    return message_from_bytes(raw, policy=policy.default)


def text_of(raw: bytes) -> str:
    return parsed(raw).get_body(("plain",)).get_content()


def send(site, raw: bytes) -> None:
    """A reply arriving in the board's mailbox at the scenario's present moment (its plus-address lands in
    the same mailbox); when it arrives matters here: "Đăng lúc 10:00 23/11" is read against it.
    (tests/test_end_to_end.py delivers replies over LMTP, as the board's mail server does.)"""
    site.deliver(raw)


def submit(site, body="Sáng 18/11, Đoàn thanh niên thị trấn ra quân chiến dịch mùa hè xanh.") -> bytes:
    site.deliver(samples.submission(site.department, site.board_box, "Tin: Ra quân mùa hè xanh", body=body))
    return site.wait_mail(site.address("truongban"), "Cần duyệt")[0]


def draft(site) -> Draft:
    engine = make_engine(site.settings.database)
    try:
        with session_factory(engine)() as session:
            return session.scalars(select(Draft).options(selectinload(Draft.decisions))).one()
    finally:
        engine.dispose()


def corrected_docx() -> bytes:
    import io

    from docx import Document

    doc = Document()
    doc.add_paragraph("Sáng 18/11, Đoàn thanh niên thị trấn ra quân chiến dịch mùa hè xanh.")
    doc.add_paragraph("Tham gia có 120 đoàn viên của 14 chi đoàn.")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def test_change_request_pauses_the_clock_and_the_revision_is_decided_on(site_factory):
    site = site_factory()
    site.clock.set(datetime(2026, 11, 23, 9, 0, tzinfo=VN))
    site.start()
    notice = submit(site)
    due_before = draft(site).deadline_at
    send(site, samples.reply(notice, site.address("phoban"), "Trần Thị Bình", "Sửa: Bổ sung số đoàn viên tham gia."))
    request = site.wait_mail(site.department, "Đề nghị sửa")[0]
    assert "Bổ sung số đoàn viên tham gia." in text_of(request)
    assert "Thời hạn xử lý tạm dừng" in text_of(request)
    assert re.match(r"bbt\+ts00001-1-[0-9a-f]{16}@", parsed(request)["Reply-To"].addresses[0].addr_spec)
    assert "ĐỀ NGHỊ SỬA" in text_of(site.wait_mail(site.address("truongban"), "Đề nghị sửa")[0])
    wait_until(lambda: draft(site).clock_paused_at is not None)

    site.clock.advance(hours=3)  # the department takes three hours
    send(
        site,
        samples.reply(
            request,
            site.department,
            "Công chức VH-XH",
            "Gửi lại bản đã sửa ạ.",
            attachments=[(corrected_docx(), *DOCX, "tin-da-sua.docx")],
        ),
    )
    second = site.wait_mail(site.address("truongban"), "Bản 2 cần duyệt")[0]
    body = text_of(second)
    assert "Thay đổi so với bản trước:" in body and "1 đoạn mới hoặc sửa" in body and "tin-da-sua.docx" in body
    assert "Tham gia có 120 đoàn viên" in body
    moved = draft(site).deadline_at - due_before
    assert timedelta(hours=3) <= moved < timedelta(hours=3, minutes=1)

    # Approving the first revision now is refused with an explanation; the second is published.
    send(site, samples.reply(notice, site.address("truongban"), "Nguyễn Văn An", "Duyệt"))
    answer = site.wait_mail(site.address("truongban"), "chưa được thực hiện")[0]
    assert "thuộc bản 1, nhưng bài TS00001 đã có bản 2" in text_of(answer)
    send(site, samples.reply(second, site.address("truongban"), "Nguyễn Văn An", "Duyệt", style="outlook"))
    site.wait_mail(site.department, "Đã đăng")
    [page] = site.settings.cms.folder.glob("*.html")
    assert "Tham gia có 120 đoàn viên" in page.read_text("utf-8")


def test_two_approvals_when_the_preset_asks_for_them(site_factory):
    site = site_factory(extra="[approval.news]\ncount = 2\n")
    site.start()
    notice = submit(site)
    send(site, samples.reply(notice, site.address("truongban"), "Nguyễn Văn An", "Duyệt"))
    partial = site.wait_mail(site.address("phoban"), "Đã duyệt 1/2")[0]
    assert "cần thêm 1 người" in text_of(partial)
    send(site, samples.reply(notice, site.address("truongban"), "Nguyễn Văn An", "OK", style="iphone"))
    assert "cần người khác duyệt thêm" in text_of(site.wait_mail(site.address("truongban"), "chưa được thực hiện")[0])
    assert list(site.settings.cms.folder.glob("*.html")) == []
    send(site, samples.reply(notice, site.address("phoban"), "Trần Thị Bình", "Đồng ý", style="zimbra"))
    site.wait_mail(site.department, "Đã đăng")
    history = [d.actor_address for d in draft(site).decisions]
    assert history == [site.address("truongban"), site.address("phoban")]


def test_scheduled_publication_then_takedown(site_factory):
    site = site_factory()
    site.clock.set(datetime(2026, 11, 23, 9, 0, tzinfo=VN))
    site.start()
    notice = submit(site)
    send(
        site,
        samples.reply(notice, site.address("phoban"), "Trần Thị Bình", "Đăng lúc 10:00 23/11", style="thunderbird"),
    )
    scheduled = site.wait_mail(site.department, "Hẹn giờ đăng")[0]
    assert "sẽ được đăng lúc 10:00 ngày 23/11/2026" in text_of(scheduled)
    site.clock.set(datetime(2026, 11, 23, 9, 59, 59, tzinfo=VN))  # a second before: nothing yet
    site.settle()
    assert list(site.settings.cms.folder.glob("*.html")) == []
    assert draft(site).status == "approved"
    site.clock.set(datetime(2026, 11, 23, 10, 0, tzinfo=VN))  # on the minute
    published = site.wait_mail(site.address("truongban"), "Đã đăng")[0]
    assert len(list(site.settings.cms.folder.glob("*.html"))) == 1
    assert draft(site).published_at == datetime(2026, 11, 23, 10, 0, tzinfo=VN)

    send(
        site,
        samples.reply(
            published,
            site.address("truongban"),
            "Nguyễn Văn An",
            "Gỡ: thông tin đã cũ, thay bằng thông báo mới",
            style="apple",
        ),
    )
    removed = site.wait_mail(site.department, "Đã gỡ")[0]
    assert "theo yêu cầu của Nguyễn Văn An" in text_of(removed) and "thông tin đã cũ" in text_of(removed)
    assert list(site.settings.cms.folder.glob("*.html")) == []
    assert draft(site).status == "unpublished"


def test_a_publication_time_past_or_over_a_year_ahead_is_asked_again(site_factory):
    site = site_factory()
    site.clock.set(datetime(2026, 11, 23, 9, 0, tzinfo=VN))
    site.start()
    notice = submit(site)
    send(site, samples.reply(notice, site.address("phoban"), "Trần Thị Bình", "Đăng lúc 08:30 23/11"))
    answer = text_of(site.wait_mail(site.address("phoban"), "chưa được thực hiện")[0])
    assert "Thời điểm đăng 08:30 ngày 23/11/2026 đã qua" in answer and "bài chưa được hẹn giờ" in answer
    send(site, samples.reply(notice, site.address("phoban"), "Trần Thị Bình", "Đăng lúc 07:00 24/11/2027"))
    answers = site.wait_mail(site.address("phoban"), "chưa được thực hiện", count=2)
    assert any("07:00 ngày 24/11/2027 cách hôm nay hơn một năm" in text_of(a) for a in answers)
    site.settle()
    assert (draft(site).status, draft(site).decisions, draft(site).publish_at) == ("in_review", [], None)
    send(site, samples.reply(notice, site.address("phoban"), "Trần Thị Bình", "Đăng lúc 07:00 23/11/2027"))
    site.wait_mail(site.department, "Hẹn giờ đăng")  # a year to the day is still accepted
    assert draft(site).publish_at == datetime(2027, 11, 23, 7, 0, tzinfo=VN)


def test_unclear_reply_gets_the_list_of_commands_and_automatic_replies_get_nothing(site_factory):
    site = site_factory()
    site.start()
    notice = submit(site)
    send(site, samples.reply(notice, site.address("truongban"), "Nguyễn Văn An", "Cảm ơn, để tôi xem lại."))
    help_mail = site.wait_mail(site.address("truongban"), "chưa được thực hiện")[0]
    assert "Sửa: <yêu cầu>" in text_of(help_mail) and "Đăng lúc 07:00 25/11" in text_of(help_mail)
    send(
        site,
        samples.reply(
            notice,
            site.address("truongban"),
            "Nguyễn Văn An",
            "Tôi đang nghỉ phép đến 30/11.",
            headers={"Auto-Submitted": "auto-replied"},
        ),
    )
    vacation = parsed(samples.reply(notice, site.address("phoban"), "Trần Thị Bình", "Tôi vắng mặt đến 30/11."))
    vacation.replace_header("Subject", "Trả lời tự động: " + str(parsed(notice)["Subject"]))
    send(site, bytes(vacation))
    site.settle()
    assert len(site.dovecot.messages(site.board_box, "Toasoan/Processed")) == 4
    assert len(site.wait_mail(site.address("truongban"), "chưa được thực hiện")) == 1
    assert [
        m for m in site.dovecot.messages(site.address("phoban")) if "chưa được thực hiện" in str(parsed(m)["Subject"])
    ] == []


def test_a_later_decision_is_told_who_decided_first(site_factory):
    site = site_factory()
    site.start()
    notice = submit(site)
    send(site, samples.reply(notice, site.address("truongban"), "Nguyễn Văn An", "Từ chối: trùng với tin hôm qua"))
    site.wait_mail(site.department, "Không duyệt")
    send(site, samples.reply(notice, site.address("phoban"), "Trần Thị Bình", "Duyệt", style="html"))
    answer = text_of(site.wait_mail(site.address("phoban"), "chưa được thực hiện")[0])
    assert re.search(r"đã được Nguyễn Văn An \(truongban@\S+\) từ chối lúc \d\d:\d\d ngày", answer)
    assert draft(site).status == "rejected"


def test_spoofed_approval_changes_nothing_where_the_server_authenticates(site_factory):
    site = site_factory(top='trusted_authserv_id = "mx.kep.test"')
    site.start()
    notice = submit(site)
    domain = site.domain
    forged_below = f"mx.kep.test; dmarc=pass header.from={domain}"
    spoof = samples.reply(
        notice,
        site.address("truongban"),
        "Nguyễn Văn An",
        "Duyệt",
        headers={
            "Authentication-Results": f"mx.kep.test; dkim=none; spf=fail smtp.mailfrom={domain}; dmarc=fail "
            f"header.from={domain}"
        },
    )
    spoof = spoof.replace(b"\nFrom:", f"\nAuthentication-Results: {forged_below}\nFrom:".encode(), 1)
    send(site, spoof)
    no_results = samples.reply(notice, site.address("truongban"), "Nguyễn Văn An", "Duyệt")
    send(site, no_results)
    site.settle()
    assert len(site.dovecot.messages(site.board_box, "Toasoan/Processed")) == 3
    assert draft(site).status == "in_review"
    assert [
        m
        for m in site.dovecot.messages(site.address("truongban"))
        if "chưa được thực hiện" in str(parsed(m)["Subject"])
    ] == []  # a spoof is never answered
    genuine = samples.reply(
        notice,
        site.address("truongban"),
        "Nguyễn Văn An",
        "Duyệt",
        headers={
            "Authentication-Results": f"mx.kep.test; dkim=pass header.d={domain}; dmarc=pass header.from={domain}"
        },
    )
    send(site, genuine)
    site.wait_mail(site.department, "Đã đăng")
    assert "dmarc=pass" in draft(site).decisions[0].authentication


def test_a_bounced_notification_marks_the_address_and_tells_the_office_once(site_factory):
    """No server here writes delivery reports, so the test writes one as Postfix does (RFC 3464)."""
    site = site_factory()
    site.start()
    notice = submit(site)
    report = (
        f"From: Mail Delivery System <MAILER-DAEMON@mx.{site.domain}>\r\nTo: {site.board_box}\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        f"--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.{site.domain}\r\n\r\n"
        f"Final-Recipient: rfc822; {site.address('thanhvien')}\r\nAction: failed\r\nStatus: 5.2.2\r\n"
        "Diagnostic-Code: smtp; 552 5.2.2 Mailbox full\r\n"
        f"--B\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {parsed(notice)['Message-ID']}\r\n"
        "Subject: x\r\n--B--\r\n"
    ).encode()
    for n in range(2):
        site.deliver(report.replace(b"Subject: Undelivered", f"Subject: ({n}) Undelivered".encode()))
    warning = site.wait_mail(site.head, "Thư không gửi được tới")[0]
    assert site.address("thanhvien") in text_of(warning) and "Mailbox full" in text_of(warning)
    site.settle()
    assert len(site.dovecot.messages(site.board_box, "Toasoan/Processed")) == 3
    assert len(site.wait_mail(site.head, "Thư không gửi được tới")) == 1


def test_an_editor_replies_with_the_edited_document_and_approves_it(site_factory):
    site = site_factory()
    site.start()
    notice = submit(site)
    send(
        site,
        samples.reply(
            notice,
            site.address("truongban"),
            "Nguyễn Văn An",
            "Duyệt (đã sửa lỗi chính tả)",
            attachments=[(corrected_docx(), *DOCX, "ban-bien-tap-sua.docx")],
        ),
    )
    second = site.wait_mail(site.address("phoban"), "Bản 2 cần duyệt")[0]
    assert "tệp thêm: ban-bien-tap-sua.docx" in text_of(second)
    site.wait_mail(site.department, "Đã đăng")
    [page] = site.settings.cms.folder.glob("*.html")
    assert "Tham gia có 120 đoàn viên" in page.read_text("utf-8")
    decision = draft(site).decisions[0]
    assert (decision.revision_number, decision.actor_address) == (2, site.address("truongban"))


def test_only_the_roles_the_preset_names_may_decide_a_category(site_factory):
    site = site_factory(extra='[approval.news]\nroles = ["truong_ban"]\n')
    site.start()
    notice = submit(site)
    send(site, samples.reply(notice, site.address("phoban"), "Trần Thị Bình", "Duyệt"))
    answer = text_of(site.wait_mail(site.address("phoban"), "chưa được thực hiện")[0])
    assert "“Phó Trưởng ban” không được quyết định đăng bài thuộc hạng mục “Tin tức, sự kiện”" in answer
    send(site, samples.reply(notice, site.address("truongban"), "Nguyễn Văn An", "Duyệt"))
    site.wait_mail(site.department, "Đã đăng")
