"""Silence alerts as preset rules, through the daemon on a clock the test moves (issue 15, item 5): no post for a
working day (Hiệp Hòa Đ9.1), no weekly work schedule by Monday 08:00 (Kon Tum Đ10.3, Đ11.1e). Each silence is
told once, to the office head and the board, inside office hours; a post ends it; a new silence is told again."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests import samples
from tests.test_deadlines_daemon import subjects
from tests.test_decisions import text_of

pytestmark = pytest.mark.timeout(300)
VN = ZoneInfo("Asia/Ho_Chi_Minh")
KON_TUM_ROLES = """
[roles.truong_ban]
name = "Tổ trưởng Tổ biên tập"
may_approve = true

[roles.pho_ban]
name = "Tổ phó"
may_approve = true
"""


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=VN)


def alerts(site, address: str) -> list[str]:
    return [s for s in subjects(site, address) if s.startswith("[Cảnh báo]")]


def publish(site, subject: str, n: int) -> None:
    """A department's item, approved by the Trưởng ban, published at the clock's moment."""
    site.deliver(samples.submission(site.department, site.board_box, subject, body="Nội dung kèm theo."))
    [notice] = site.wait_mail(site.address("truongban"), f"[TS{n:05d}] Cần duyệt")
    site.deliver(samples.reply(notice, site.address("truongban"), "Nguyễn Văn An", "Duyệt"))
    site.wait_mail(site.department, f"[TS{n:05d}] Đã đăng")
    site.settle()


def test_no_post_for_a_working_day_is_told_once_per_silence(site_factory):
    site = site_factory(preset="hiep-hoa")
    site.start()
    publish(site, "Tin: Ra quân mùa hè xanh", 1)  # Monday 23/11 09:00; 24/11 is a holiday
    for moment in ("2026-11-25 16:00", "2026-11-26 06:59"):  # Wednesday is the working day; then before office
        site.clock.set(at(moment))
        site.settle()
        assert alerts(site, site.head) == []
    site.clock.set(at("2026-11-26 07:00"))
    [alert] = site.wait_mail(site.head, "[Cảnh báo] Trang chưa có bài mới từ 09:00 ngày 23/11/2026 (Hiệp Hòa Đ9.1)")
    for who in ("truongban", "phoban", "thanhvien"):
        site.wait_mail(site.address(who), "[Cảnh báo] Trang chưa có bài mới")
    text = text_of(alert)
    assert "Từ 09:00 ngày 23/11/2026 đến nay (07:00 ngày 26/11/2026) trang" in text
    assert "Theo Hiệp Hòa Đ9.1 (Website huyện được cập nhật thông tin hằng ngày, hằng tuần)" in text
    assert "trong 1 ngày làm việc: hạn đã hết lúc 24:00 ngày 25/11/2026" in text
    site.clock.set(at("2026-11-26 14:00"))  # the silence goes on: not told again
    site.settle()
    assert len(alerts(site, site.head)) == 1
    publish(site, "Tin: Hội thi văn nghệ", 2)  # Thursday 14:00: the silence ends
    site.clock.set(at("2026-11-27 16:00"))
    site.settle()
    site.clock.set(at("2026-11-28 09:00"))  # Saturday, past the deadline but out of office
    site.settle()
    assert len(alerts(site, site.head)) == 1
    site.clock.set(at("2026-11-30 07:00"))  # Monday: a new silence, told once more
    site.wait_mail(site.head, "[Cảnh báo] Trang chưa có bài mới từ 14:00 ngày 26/11/2026")
    site.clock.set(at("2026-11-30 10:00"))
    site.settle()
    assert len(alerts(site, site.head)) == 2 and len(alerts(site, site.address("thanhvien"))) == 2


def test_weekly_schedule_missing_by_monday_0800_is_told_once_a_week(site_factory):
    site = site_factory(preset="kon-tum", extra=KON_TUM_ROLES)
    site.start()
    publish(site, "Tin: Hội nghị giao ban", 1)  # Monday 23/11: a site with history, but the week was not due yet
    site.clock.set(at("2026-11-27 15:00"))  # Friday: next week's schedule is published
    publish(site, "Lịch làm việc tuần 49 của lãnh đạo UBND tỉnh (từ 30/11 đến 04/12/2026)", 2)
    site.clock.set(at("2026-11-30 08:00"))
    site.settle()
    site.clock.set(at("2026-11-30 10:00"))
    site.settle()
    assert alerts(site, site.head) == []  # the schedule exists: nothing
    site.clock.set(at("2026-12-07 07:30"))  # week 50: a schedule arrives but nobody approves it
    site.deliver(
        samples.submission(
            site.department, site.board_box, "Lịch làm việc tuần 50 của lãnh đạo UBND tỉnh", body="Lịch."
        )
    )
    site.wait_mail(site.address("truongban"), "[TS00003] Cần duyệt")
    site.clock.set(at("2026-12-07 07:59"))
    site.settle()
    assert alerts(site, site.head) == []
    site.clock.set(at("2026-12-07 08:00"))
    subject = (
        "[Cảnh báo] Chưa đăng lịch làm việc hằng tuần của lãnh đạo UBND tỉnh (07/12–13/12/2026; "
        "hạn 08:00 ngày 07/12/2026, Kon Tum Đ10.3, Đ11.1e)"
    )
    [alert] = site.wait_mail(site.head, subject)
    site.wait_mail(site.address("thanhvien"), subject)
    text = text_of(alert)
    assert "Đến 08:00 ngày 07/12/2026 trang" in text and "cho tuần từ 07/12 đến 13/12/2026" in text
    assert "[TS00003] Lịch làm việc tuần 50 của lãnh đạo UBND tỉnh — chờ duyệt" in text
    site.clock.set(at("2026-12-09 10:00"))
    site.settle()
    assert len(alerts(site, site.head)) == 1  # once a week
    site.clock.set(at("2026-12-14 08:00"))  # week 51: nothing published since Thursday 10/12 — told again
    site.wait_mail(site.head, "[Cảnh báo] Chưa đăng lịch làm việc hằng tuần của lãnh đạo UBND tỉnh (14/12–20/12/2026")
    site.settle()
    assert len(alerts(site, site.head)) == 2
