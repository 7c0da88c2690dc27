"""A scripted November on the Kép preset, through the running daemon and real mailboxes: coefficients set by
reply, the royalty list and the monthly report mailed on 1 December with their spreadsheet and chart, each
sent once across a restart, then the quarterly and yearly reports and a mid-month quota reminder.

24/11/2026 is a public holiday (Ngày Văn hóa Việt Nam), so an item received on Monday the 23rd is due at
24:00 on Wednesday the 25th (Kép Đ9.1: 1 working day).
"""

from __future__ import annotations

from datetime import datetime
from email import message_from_bytes, policy
from zoneinfo import ZoneInfo

import pytest

from tests import samples
from tests.spreadsheet import xlsx_as_csv

pytestmark = pytest.mark.timeout(300)
VN = ZoneInfo("Asia/Ho_Chi_Minh")
REPORTS = """
[[reports]]
every = "month"
article = "quy định riêng của trang"

[[reports]]
every = "quarter"
article = "Đ4.6"

[[reports]]
every = "year"
article = "Đ4.6"
"""


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=VN)


def parsed(raw: bytes):
    return message_from_bytes(raw, policy=policy.default)


def text_of(raw: bytes) -> str:
    return parsed(raw).get_body(("plain",)).get_content()


def attachments(raw: bytes) -> dict[str, bytes]:
    return {part.get_filename(): part.get_content() for part in parsed(raw).iter_attachments()}


def subjects(site, address: str, part: str) -> list[str]:
    return [s for s in (str(parsed(r)["Subject"]) for r in site.dovecot.messages(address)) if part in s]


def submit(site, subject: str, byline: str, photos: int = 0, stamp: str = "") -> bytes:
    body = f"{stamp}\nKính gửi Ban biên tập,\n{subject} diễn ra tại nhà văn hóa tổ dân phố.\n{byline}"
    extra = [(samples.jpeg(), "image", "jpeg", f"anh{i}.jpg") for i in range(photos)]
    site.deliver(samples.submission(site.department, site.board_box, f"Tin: {subject}", body=body, extra=extra))
    # a secret document's title is in no mail (Kép Đ5.1): the head of the board is told it is held
    return site.wait_mail(site.address("truongban"), "Tài liệu mật" if stamp else subject)[-1]


def reply(site, original: bytes, who: str, text: str) -> None:
    address, name, _ = site.people[who]
    site.deliver(samples.reply(original, address, name, text))


@pytest.fixture
def november(site_factory, tmp_path):
    """The month as it happened; returns the site with its daemon running, on 30/11."""
    site = site_factory(extra=REPORTS)
    site.clock.set(at("2026-11-23 09:00"))
    site.start()
    a = submit(site, "Hội thi nấu ăn", "Tin, ảnh: Trần Thị Bình", photos=1)
    b = submit(site, "Ra quân làm sạch đường làng", "Tin: Nguyễn Văn An")

    site.clock.set(at("2026-11-23 09:30"))
    reply(site, a, "phoban", "Duyệt, hệ số 8")
    refused = site.wait_mail(site.address("phoban"), "chưa được thực hiện")[0]
    assert "Hệ số 8 nằm ngoài khung của thể loại “Tin”: từ 1 đến 3" in text_of(refused)
    reply(site, a, "phoban", "Duyệt, hệ số 3")
    site.wait_mail(site.department, "Đã đăng: Hội thi nấu ăn")

    site.clock.set(at("2026-11-25 10:00"))  # after the holiday, within the deadline
    reply(site, b, "truongban", "Duyệt")
    published_b = site.wait_mail(site.address("phoban"), "Đã đăng: Ra quân")[0]
    assert 'Trả lời thư này bằng "Hệ số N"' in text_of(published_b)
    site.clock.set(at("2026-11-25 11:00"))
    reply(site, published_b, "thanhvien", "Hệ số 2")
    assert "không được đặt hệ số nhuận bút" in text_of(site.wait_mail(site.address("thanhvien"), "chưa được thực")[0])
    reply(site, published_b, "phoban", "Hệ số 2,5")
    confirmed = site.wait_mail(site.address("phoban"), "Đã đặt hệ số 2,5")[0]
    assert "bài được 250.000 đ" in text_of(confirmed)

    site.clock.set(at("2026-11-25 14:00"))
    c = submit(site, "Tập huấn phòng cháy", "Tin: Trần Thị Bình")
    site.clock.set(at("2026-11-26 09:00"))
    d = submit(site, "Giải bóng đá thiếu niên", "Tin: Lê Văn Cường")
    submit(site, "Kế hoạch bảo vệ", "Tin: Phòng Nội vụ", stamp="MẬT")
    submit(site, "Họp tổ dân phố số 3", "Tin: Tổ dân phố số 3")
    reply(site, d, "truongban", "Từ chối: trùng với tin đã đăng")
    site.wait_mail(site.department, "Không duyệt")

    site.clock.set(at("2026-11-27 09:00"))  # C is a day late
    reply(site, c, "truongban", "Duyệt")
    site.wait_mail(site.department, "Đã đăng: Tập huấn")
    site.clock.set(at("2026-11-30 16:00"))
    site.settle()
    return site


def test_royalty_list_and_monthly_report_mailed_once_with_their_files(november, tmp_path):
    site = november
    head = site.head  # no [operator]: the office head receives the royalty list too
    assert subjects(site, head, "nhuận bút") == [] and subjects(site, head, "Báo cáo hoạt động") == []

    site.clock.set(at("2026-12-01 08:00"))
    [royalty_mail] = site.wait_mail(head, "Danh sách nhuận bút tháng 11/2026")
    assert str(parsed(royalty_mail)["Subject"]).endswith("3 bài, 850.000 đ")
    body = text_of(royalty_mail)
    assert "Trần Thị Bình (Công chức Văn hóa - Xã hội): 2 bài, 600.000 đ" in body
    assert "Nguyễn Văn An (Công chức Văn hóa - Xã hội): 1 bài, 250.000 đ" in body
    rows = xlsx_as_csv(attachments(royalty_mail)["nhuan-but-2026-11.xlsx"], tmp_path)
    header = rows[3]
    assert header[:6] == ["STT", "Mã bài", "Tiêu đề", "Tác giả", "Đơn vị", "Ngày đăng"]
    items = {row[1]: dict(zip(header, row, strict=False)) for row in rows[4:7]}
    assert items["TS00001"]["Hệ số"] == "3" and items["TS00001"]["Số ảnh"] == "1"
    assert items["TS00001"]["Thành tiền"] == "400.000 đ" or items["TS00001"]["Thành tiền"].replace(",", ".") in (
        "400.000 đ",
    )
    assert items["TS00001"]["Người đặt hệ số"] == "Trần Thị Bình (Phó Trưởng ban)"
    assert items["TS00002"]["Hệ số"] == "2.5" or items["TS00002"]["Hệ số"] == "2,5"
    assert items["TS00003"]["Người đặt hệ số"] == "mặc định"
    assert items["TS00001"]["Ngày đăng"] == "23/11/2026" and items["TS00002"]["Ngày đăng"] == "25/11/2026"
    total = rows[7]
    assert total[2] == "Tổng cộng" and total[1] == "3"
    assert total[11].replace(",", ".").replace("\xa0", " ") == "850.000 đ"

    [report] = site.wait_mail(head, "Báo cáo hoạt động tháng 11/2026")
    assert "3 bài đăng, đúng hạn 50,0 %" in str(parsed(report)["Subject"])
    text = text_of(report)
    assert "Nhận: 6; đã đăng: 3; từ chối: 1; tạm giữ (có dấu mật): 1" in text
    assert "news (Đ9.1: 1 ngày làm việc): 4 bài, đúng hạn 2, trễ 2, chưa đến hạn 0" in text
    assert "Bài quá hạn chưa đăng: 1" in text and "Họp tổ dân phố số 3" in text
    assert "Trần Thị Bình (Phó Trưởng ban): 2/2 đạt" in text
    assert "Nguyễn Văn An (Trưởng ban Biên tập): 1/2 chưa đạt" in text
    assert "Nhuận bút tháng 11/2026: 3 bài, tổng 850.000 đ" in text
    files = attachments(report)
    assert files["bieu-do-2026-11.png"].startswith(b"\x89PNG")
    html = parsed(report).get_body(("html",))
    cid = next(p["Content-ID"] for p in parsed(report).walk() if p["Content-ID"])
    assert f'src="cid:{cid.strip().strip("<>")}"' in html.get_content()
    summary = xlsx_as_csv(files["bao-cao-2026-11.xlsx"], tmp_path)
    values = {row[0]: row[1] for row in summary if len(row) > 1}
    assert values["Bài nhận"] == "6" and values["Bài đã đăng"] == "3" and values["Bài tạm giữ (có dấu mật)"] == "1"
    assert values["Tỉ lệ đăng đúng hạn"] in ("50.0%", "50,0%")
    assert values["Tổng nhuận bút"].replace(",", ".") == "850.000 đ"

    # A restart the same morning sends nothing again.
    site.stop()
    site.clock.set(at("2026-12-01 09:00"))
    site.start()
    site.settle()
    assert len(subjects(site, head, "Danh sách nhuận bút tháng 11/2026")) == 1
    assert len(subjects(site, head, "Báo cáo hoạt động tháng 11/2026")) == 1

    # Mid-December, those behind their quota get one reminder; then the year ends (1/1 is a holiday: the
    # reports go out all the same) after a stop over New Year: each period's mail once.
    site.clock.set(at("2026-12-15 08:00"))
    [reminder] = site.wait_mail(site.address("truongban"), "Nhắc định mức viết bài tháng 12/2026")
    assert "đồng chí có 0 tin, bài đã đăng" in text_of(reminder) and "(Đ6.1)" in text_of(reminder)
    site.clock.set(at("2026-12-15 10:00"))
    site.settle()
    assert len(subjects(site, site.address("truongban"), "Nhắc định mức")) == 1
    site.stop()
    site.clock.set(at("2027-01-02 10:00"))
    site.start()
    for part in (
        "Danh sách nhuận bút tháng 12/2026",
        "Báo cáo hoạt động tháng 12/2026",
        "Báo cáo hoạt động quý IV/2026",
        "Báo cáo hoạt động năm 2026",
    ):
        site.wait_mail(head, part)
    site.settle()
    assert len(subjects(site, head, "Báo cáo hoạt động")) == 4
    assert len(subjects(site, head, "Danh sách nhuận bút")) == 2
