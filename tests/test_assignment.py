"""Assignment by reply (issue 15, item 6; Đắk Mar Đ10.3, Kon Tum Đ7.3): the head replies "Giao: <member>" to the
board's notification; the assignee is told by mail and gets the deadline reminders; `drafts list` and the
reports show the assignee. Through real mail: replies delivered to the board's mailbox, mails read at the sink."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from newsroom.assignment import find_member
from newsroom.settings import Person
from tests import samples
from tests.test_deadlines_daemon import digests
from tests.test_decisions import text_of
from toasoan.cli import main

pytestmark = pytest.mark.timeout(300)
VN = ZoneInfo("Asia/Ho_Chi_Minh")
BOARD = [
    Person(name="Nguyễn Văn An", address="truongban@kep.gov.vn", role="truong_ban"),
    Person(name="Trần Thị Bình", address="phoban@kep.gov.vn", role="pho_ban"),
    Person(name="Lê Văn Cường", address="thanhvien@kep.gov.vn", role="thanh_vien"),
    Person(name="Phạm Thị An", address="an.pt@kep.gov.vn", role="thanh_vien"),
]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=VN)


@pytest.mark.parametrize(
    ("text", "address", "note"),
    [
        ("Trần Thị Bình", "phoban@kep.gov.vn", ""),
        ("tran thi binh - viết lại phần mở đầu", "phoban@kep.gov.vn", "viết lại phần mở đầu"),
        ("TRẦN THỊ BÌNH, gấp", "phoban@kep.gov.vn", "gấp"),
        ("<thanhvien@kep.gov.vn>", "thanhvien@kep.gov.vn", ""),
        ("thanhvien", "thanhvien@kep.gov.vn", ""),
        ("Cường: trong ngày", "thanhvien@kep.gov.vn", "trong ngày"),
        ("cuong", "thanhvien@kep.gov.vn", ""),
        ("Phạm Thị An", "an.pt@kep.gov.vn", ""),
        ("an.pt", "an.pt@kep.gov.vn", ""),
    ],
)
def test_a_member_is_found_by_name_address_or_local_part_with_or_without_marks(text, address, note):
    member, rest = find_member(BOARD, text)
    assert member is not None and member.address == address and rest == note


@pytest.mark.parametrize("text", ["An", "an", "Nguyễn Văn Xoài", "thanhvienx", "Bìnhx", ""])
def test_an_ambiguous_or_unknown_name_finds_nobody(text):
    """Two members are called An; nobody is called Xoài; a longer word is not a name's prefix."""
    assert find_member(BOARD, text)[0] is None


def submit(site, subject: str, received: datetime | None = None) -> bytes:
    raw = samples.submission(site.department, site.board_box, subject, body="Đoàn thanh niên ra quân.")
    site.deliver(raw, received)
    return site.wait_mail(site.address("truongban"), "Cần duyệt")[-1]


def answers(site, who: str, count: int) -> list[str]:
    return [
        text_of(r) for r in site.wait_mail(site.address(who), "Trả lời của đồng chí chưa được thực hiện", count=count)
    ]


def test_head_assigns_by_reply_and_the_assignee_gets_the_reminders(site_factory, capsys):
    site = site_factory()  # Kép: news within 1 working day (Đ9.1); the Trưởng ban assigns
    site.clock.set(at("2026-11-18 08:00"))  # Wednesday → due 24:00 Thursday 19/11
    site.start()
    notice = submit(site, "Tin: Ra quân mùa hè xanh", at("2026-11-18 08:00"))
    site.deliver(
        samples.reply(notice, site.address("truongban"), "Nguyễn Văn An", "Giao: Lê Văn Cường\nViết thêm ảnh.")
    )
    [told] = site.wait_mail(site.address("thanhvien"), "[TS00001] Giao cho Lê Văn Cường: Ra quân mùa hè xanh")
    text = text_of(told)
    assert "Kính gửi Lê Văn Cường," in text and "Nguyễn Văn An (truongban@" in text
    assert "giao cho đồng chí xử lý bài [TS00001] “Ra quân mùa hè xanh” (Kép Đ9" in text
    assert "Ghi chú: Viết thêm ảnh." in text and "Hạn đăng:   24:00 ngày 19/11/2026 (Đ9.1: 1 ngày làm việc)" in text
    site.wait_mail(site.address("truongban"), "[TS00001] Giao cho Lê Văn Cường")  # the head in copy

    site.clock.set(at("2026-11-19 08:00"))  # half the time: the whole board's reminder goes to the assignee alone
    [digest] = site.wait_mail(site.address("thanhvien"), "[Nhắc hạn] Sắp đến hạn 1 bài")
    assert "Được giao:  Lê Văn Cường" in text_of(digest)
    site.settle()
    assert digests(site, site.address("truongban")) == digests(site, site.address("phoban")) == []

    site.clock.set(at("2026-11-19 14:30"))  # 83 %: those who may approve, and the assignee again
    site.wait_mail(site.address("thanhvien"), "[Nhắc hạn]", count=2)
    site.wait_mail(site.address("truongban"), "[Nhắc hạn] Sắp đến hạn 1 bài")
    site.wait_mail(site.address("phoban"), "[Nhắc hạn] Sắp đến hạn 1 bài")
    site.clock.set(at("2026-11-20 07:45"))  # overdue: the office head, and the assignee
    site.wait_mail(site.head, "[Nhắc hạn] QUÁ HẠN 1 bài")
    site.wait_mail(site.address("thanhvien"), "[Nhắc hạn] QUÁ HẠN 1 bài")
    site.settle()
    assert len(digests(site, site.address("truongban"))) == 1

    assert main(["drafts", "list", "--config", str(site.config), "--as-of", "2026-11-20T08:00:00+07:00"]) == 0
    assert "giao Lê Văn Cường" in capsys.readouterr().out
    assert main(["drafts", "show", "TS00001", "--config", str(site.config)]) == 0
    assert f"giao cho Lê Văn Cường <{site.address('thanhvien')}>" in capsys.readouterr().out
    args = ["report", "deadlines", "--month", "2026-11", "--config", str(site.config)]
    assert main([*args, "--as-of", "2026-11-30T00:00:00+07:00", "--json"]) == 0
    [row] = json.loads(capsys.readouterr().out)["assignee"]
    assert (row["group"], row["items"], row["late"]) == ("Lê Văn Cường", 1, 1)
    period = ["report", "period", "--monthly", "2026-11", "--config", str(site.config)]
    assert main([*period, "--as-of", "2026-11-30T00:00:00+07:00"]) == 0
    out = capsys.readouterr().out
    assert "Đúng hạn theo người được giao:" in out
    assert out.split("Đúng hạn theo người được giao:")[1].split("\n")[1].split()[:5] == [
        "Lê",
        "Văn",
        "Cường",
        "1",
        "bài,",
    ]


def test_who_may_assign_whom_and_the_answers(site_factory):
    site = site_factory(preset="dak-mar")  # Đ10.3: the Trưởng ban assigns
    site.start()
    notice = submit(site, "Tin: Hội thi văn nghệ")

    def reply(who: str, name: str, text: str) -> None:
        site.deliver(samples.reply(notice, site.address(who), name, text))

    reply("phoban", "Trần Thị Bình", "Giao: Lê Văn Cường")  # a Phó ban may approve but not assign here
    [refused] = answers(site, "phoban", 1)
    assert (
        "Vai trò “Phó Trưởng ban” không được giao bài; theo Đắk Mar Đ10.3, việc phân công do Trưởng ban Biên tập "
        "thực hiện." in refused
    )
    reply("truongban", "Nguyễn Văn An", "Giao: Nguyễn Văn Xoài")
    unknown = answers(site, "truongban", 1)[0]
    assert "Không tìm thấy thành viên “Nguyễn Văn Xoài” trong Ban biên tập" in unknown
    for person in site.people.values():
        assert f"{person[1]} <{person[0]}>" in unknown  # the board's members, to choose from
    reply("truongban", "Nguyễn Văn An", "giao: tran thi binh - viết lại phần mở đầu")
    [told] = site.wait_mail(site.address("phoban"), "[TS00001] Giao cho Trần Thị Bình")
    assert "Ghi chú: viết lại phần mở đầu" in text_of(told)
    reply("truongban", "Nguyễn Văn An", f"Assign: {site.address('thanhvien')}")  # English, by address: reassigned
    site.wait_mail(site.address("thanhvien"), "[TS00001] Giao cho Lê Văn Cường")
    reply("truongban", "Nguyễn Văn An", "Duyệt")
    site.wait_mail(site.department, "[TS00001] Đã đăng")
    reply("truongban", "Nguyễn Văn An", "Giao: thanhvien")  # published: nothing left to assign
    closed = answers(site, "truongban", 2)
    assert any("Bài TS00001 đang ở trạng thái “đã đăng”; chỉ giao được bài chưa được quyết định." in t for t in closed)
    site.settle()
    assert len(site.wait_mail(site.address("thanhvien"), "Giao cho")) == 1
