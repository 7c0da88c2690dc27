"""The escalation ladder through the running daemon and real mailboxes, on a clock the test moves.

Messages arrive with the scenario's time as their INTERNALDATE (delivered into the Maildir with that
mtime), and the daemon's clock is moved forward from there; the machine's own date plays no part.
"""

from __future__ import annotations

import re
from datetime import datetime
from email import message_from_bytes, policy
from zoneinfo import ZoneInfo

import pytest

from tests import samples

pytestmark = pytest.mark.timeout(240)
VN = ZoneInfo("Asia/Ho_Chi_Minh")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=VN)


def subjects(site, address: str) -> list[str]:
    return [str(message_from_bytes(r, policy=policy.default)["Subject"]) for r in site.dovecot.messages(address)]


def digests(site, address: str) -> list[str]:
    return [s for s in subjects(site, address) if s.startswith("[Nhắc hạn]")]


def test_ladder_board_then_approvers_then_office_head(site_factory):
    site = site_factory()
    site.clock.set(at("2026-11-18 08:00"))  # Wednesday; news: 1 working day (Kép Đ9.1) → 24:00 Thursday
    raw = samples.submission(
        site.department,
        site.board_box,
        "Tin: Ra quân mùa hè xanh",
        body="Đoàn thanh niên thị trấn ra quân chiến dịch mùa hè xanh.",  # no date: counted from the arrival
    )
    site.deliver(raw, at("2026-11-18 08:00"))
    site.start()
    notice = site.wait_mail(site.address("truongban"), "Cần duyệt")[0]
    assert (
        "Hạn đăng:    24:00 ngày 19/11/2026 (Đ9.1"
        in message_from_bytes(notice, policy=policy.default).get_body(("plain",)).get_content()
    )

    site.clock.set(at("2026-11-18 15:00"))  # 5 of 14.5 office hours: nothing yet
    site.settle()
    assert digests(site, site.address("thanhvien")) == []

    site.clock.set(at("2026-11-19 08:00"))  # 7.5 of 14.5 office hours: half the time
    for who in ("truongban", "phoban", "thanhvien"):
        [digest] = site.wait_mail(site.address(who), "[Nhắc hạn] Sắp đến hạn 1 bài")
    text = message_from_bytes(digest, policy=policy.default).get_body(("plain",)).get_content()
    assert "[TS00001] Ra quân mùa hè xanh" in text and re.search(r"đã qua 5\d% thời gian", text)

    site.stop()
    site.start()  # a restart sends nothing twice
    site.clock.set(at("2026-11-19 14:30"))  # 12 of 14.5 office hours: 83 %
    site.wait_mail(site.address("truongban"), "[Nhắc hạn]", count=2)
    site.wait_mail(site.address("phoban"), "[Nhắc hạn]", count=2)
    site.settle()
    assert len(digests(site, site.address("thanhvien"))) == 1  # a member who may not approve is not told again
    assert digests(site, site.head) == []

    site.clock.set(at("2026-11-20 06:30"))  # overdue, but ordinary items wait for office hours
    site.settle()
    assert digests(site, site.head) == []
    site.clock.set(at("2026-11-20 07:45"))
    [overdue] = site.wait_mail(site.head, "[Nhắc hạn] QUÁ HẠN 1 bài")
    body = message_from_bytes(overdue, policy=policy.default).get_body(("plain",)).get_content()
    assert "Kính gửi Đặng Minh Khôi" in body and "24:00 ngày 19/11/2026 (Đ9.1) — QUÁ HẠN" in body

    site.clock.set(at("2026-11-23 08:00"))  # the next working day: repeated once
    site.wait_mail(site.head, "[Nhắc hạn] QUÁ HẠN", count=2)
    site.settle()
    assert len(digests(site, site.head)) == 2

    # The office head acknowledges: no more daily repeats to them.
    reply = samples.reply(site.wait_mail(site.head, "QUÁ HẠN", count=2)[-1], site.head, "Đặng Minh Khôi", "Đã nhận")
    site.deliver(reply)
    site.settle()
    site.clock.set(at("2026-11-25 08:00"))  # 24/11 is a holiday
    site.settle()
    assert len(digests(site, site.head)) == 2


def test_urgent_dispatch_escalates_at_night(site_factory):
    site = site_factory(preset="dak-mar")
    site.clock.set(at("2026-11-21 23:00"))  # Saturday night; 2 hours around the clock (Đắk Mar Đ8.1b)
    raw = samples.submission(
        site.department,
        site.board_box,
        "CÔNG ĐIỆN HỎA TỐC về ứng phó bão",
        body="HỎA TỐC\nCÔNG ĐIỆN\nChủ tịch UBND tỉnh điện...",
    )
    site.deliver(raw, at("2026-11-21 23:00"))
    site.start()
    site.wait_mail(site.address("truongban"), "Cần duyệt")
    site.clock.set(at("2026-11-22 00:05"))
    site.wait_mail(site.address("thanhvien"), "[Nhắc hạn] Sắp đến hạn 1 bài")
    site.clock.set(at("2026-11-22 01:01"))
    site.wait_mail(site.head, "[Nhắc hạn] QUÁ HẠN 1 bài")


def test_item_already_late_at_intake_is_flagged(site_factory):
    site = site_factory()
    site.clock.set(at("2026-11-20 09:00"))
    text = (
        "ỦY BAN NHÂN DÂN\nTHỊ TRẤN KÉP\nSố: 45/QĐ-UBND\nKép, ngày 16 tháng 11 năm 2026\nQUYẾT ĐỊNH\n"
        "Về việc kiện toàn Ban biên tập\nTM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH\nĐặng Minh Khôi\n"
    )
    raw = samples.submission(site.department, site.board_box, "Gửi Quyết định kiện toàn Ban biên tập", body=text)
    site.deliver(raw, at("2026-11-20 09:00"))
    site.start()
    notice = site.wait_mail(site.address("truongban"), "Cần duyệt")[0]
    body = message_from_bytes(notice, policy=policy.default).get_body(("plain",)).get_content()
    assert "24:00 ngày 17/11/2026 (Đ9.2" in body and "đã quá hạn đăng theo quy chế ngay khi nhận" in body
    site.wait_mail(site.head, "[Nhắc hạn] QUÁ HẠN 1 bài")
