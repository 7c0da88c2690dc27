"""Which mails are citizens' questions, with no roster (``toasoan inspect --preset``), and what the public
page hides; the lifecycle tables refuse what they do not list."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from newsroom.lifecycle import DRAFT, QUESTION, TransitionRefused
from newsroom.privacy import initials, redact
from tests import samples
from tests.test_inspect import inspect

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def ask(sender: str, subject: str, body: str, name: str = "Tran Van Hung", date=samples.WRITTEN, **headers) -> bytes:
    raw = samples.submission(sender, "bbt@longxuyen.angiang.gov.vn", subject, body, name=name, date=date)
    if not headers:
        return raw
    from email import message_from_bytes, policy

    msg = message_from_bytes(raw, policy=policy.default)
    for key, value in headers.items():
        msg[key.replace("_", "-")] = value
    return bytes(msg)


def test_a_gmail_question_without_roster(tmp_path, capsys):
    raw = ask(
        "hung.tran88@gmail.com",
        "Hỏi về thủ tục đăng ký khai sinh",
        "Chào anh chị, cho tôi hỏi đăng ký khai sinh cho con cần giấy tờ gì? Cảm ơn.",
    )
    result = inspect(tmp_path, raw, "--preset", "long-xuyen", capsys=capsys)
    assert (result["kind"], result["category"], result["sender"]["role"]) == ("question", "qa", "citizen")
    assert result["question"]["asker"] == "hung.tran88@gmail.com"
    assert (result["question"]["topic"], result["question"]["unit"]) == ("ho_tich", "Phòng Tư pháp")
    assert result["deadline"]["due_at"] == "2026-12-16T00:00:00+07:00"  # 24/11 is a holiday
    assert result["deadline"]["article"] == "Đ10.1d"


def test_without_diacritics_and_on_a_tet_holiday(tmp_path, capsys):
    tet = datetime(2027, 2, 8, 10, 0, tzinfo=VN)  # the third day of Tết
    raw = ask(
        "nguoidan.kep@yahoo.com",
        "phan anh rac thai",
        "Kinh gui ban bien tap, rac thai o bai rac gay o nhiem, mui hoi. De nghi xem xet giai quyet.",
        date=tet,
    )
    result = inspect(tmp_path, raw, "--preset", "kep", "--received", tet.isoformat(), capsys=capsys)
    assert (result["kind"], result["question"]["topic"]) == ("question", "moi_truong")
    # Counted from 11/2 (9-10/2 are still Tết): 15 working days end on Wednesday 3/3/2027.
    assert result["deadline"]["due_at"] == "2027-03-04T00:00:00+07:00"
    assert result["deadline"]["article"] == "Đ9.5"


def test_contact_form_gives_the_citizen_from_reply_to(tmp_path, capsys, monkeypatch):
    config = tmp_path / "site.toml"
    (tmp_path / "key").write_text("k" * 32)
    config.write_text(
        """
preset = "long-xuyen"
site_name = "Trang TTĐT TP. Long Xuyên"
data_dir = "data"
secret_file = "key"
[imap]
host = "localhost"
username = "bbt@longxuyen.angiang.gov.vn"
password_file = "key"
[smtp]
host = "localhost"
from_address = "bbt@longxuyen.angiang.gov.vn"
[cms]
kind = "folder"
folder = "site"
[office_head]
name = "Chánh Văn phòng"
address = "cvp@longxuyen.angiang.gov.vn"
[[board]]
name = "Trưởng ban"
address = "tb@longxuyen.angiang.gov.vn"
role = "truong_ban"
[questions]
form_senders = ["wordpress@longxuyen.angiang.gov.vn"]
[questions.units.dat_dai]
name = "Phòng Tài nguyên và Môi trường"
address = "tnmt@longxuyen.angiang.gov.vn"
""",
        encoding="utf-8",
    )
    raw = ask(
        "wordpress@longxuyen.angiang.gov.vn",
        "[Liên hệ] Góp ý",
        "Họ tên: Lê Thị Hoa\nEmail: hoa.le@gmail.com\nĐiện thoại: 0987654321\n"
        "Nội dung: Thửa đất của gia đình tôi đã nộp hồ sơ cấp giấy chứng nhận quyền sử dụng đất 3 tháng chưa có.",
        name="WordPress",
        Reply_To="Lê Thị Hoa <hoa.le@gmail.com>",
    )
    result = inspect(tmp_path, raw, "--config", str(config), capsys=capsys)
    question = result["question"]
    assert (result["kind"], question["via"], question["asker"], question["asker_name"]) == (
        "question",
        "form",
        "hoa.le@gmail.com",
        "Lê Thị Hoa",
    )
    assert (question["topic"], question["unit"], question["unit_address"]) == (
        "dat_dai",
        "Phòng Tài nguyên và Môi trường",
        "tnmt@longxuyen.angiang.gov.vn",
    )


@pytest.mark.parametrize(
    ("sender", "subject", "body"),
    [
        (  # a department's leaflet in questions and answers is material to publish
            "tuphap@longxuyen.angiang.gov.vn",
            "Hỏi đáp pháp luật về hộ tịch",
            "Hỏi: Đăng ký khai sinh ở đâu?\nĐáp: Tại UBND cấp xã nơi cư trú của cha hoặc mẹ.\n"
            "Hỏi: Có mất phí không?\nĐáp: Đăng ký khai sinh đúng hạn được miễn lệ phí.",
        ),
        (  # an office at a government domain asking the board something is not a citizen
            "vanphong@angiang.gov.vn",
            "Tin hội nghị",
            "Xin hỏi Ban biên tập đã nhận được tin hội nghị chưa?",
        ),
        (  # a citizen's news-like mail that neither asks nor complains
            "an.nguyen@gmail.com",
            "Ảnh lễ hội",
            "Gửi Ban biên tập ảnh lễ hội đua bò năm nay.",
        ),
    ],
)
def test_not_questions(tmp_path, capsys, sender, subject, body):
    result = inspect(tmp_path, ask(sender, subject, body), "--preset", "long-xuyen", capsys=capsys)
    assert result["kind"] == "submission" and result["question"] is None


def test_personal_data_is_removed_and_counted():
    text = (
        "Họ tên: Nguyễn Thị Mai\nĐịa chỉ: số 12 đường Trần Hưng Đạo, phường Mỹ Bình\n"
        "Tôi hỏi về khai sinh. Gọi 0912.345.678 hoặc +84 912 345 678, email mai@gmail.com, "
        "CCCD 089123456789, CMND 123456789. Nhà ở hẻm 5 đường Lý Thái Tổ. Ngày 23/11/2026, lệ phí 50.000 đồng."
    )
    result = redact(text, "Nguyễn Thị Mai")
    for secret in ("0912", "912 345", "mai@gmail.com", "089123456789", "123456789", "Trần Hưng Đạo", "hẻm 5"):
        assert secret not in result.text
    assert "Nguyễn Thị Mai" not in result.text and "N.T.M." in result.text
    assert "23/11/2026" in result.text and "50.000 đồng" in result.text
    assert result.removed["số điện thoại"] == 2 and result.removed["số định danh (CCCD/CMND)"] == 2
    assert initials("Lê Thị Hoa") == "L.T.H." and redact("Lê Thị Hoa hỏi", "Lê Thị Hoa", show_name=True).text == (
        "Lê Thị Hoa hỏi"
    )


def test_lifecycles_refuse_what_their_tables_do_not_list():
    class Item:
        status = "published"

    with pytest.raises(TransitionRefused):
        QUESTION.move(Item(), "answer")
    item = Item()
    item.status = "answer_pending"
    assert QUESTION.move(item, "approve_publish") == ("answer_pending", "published")
    assert DRAFT.next("in_review", "approve") == "approved"
    with pytest.raises(TransitionRefused):
        DRAFT.next("rejected", "approve")
    assert set(QUESTION.states) == {
        "received",
        "forwarded",
        "extended",
        "answer_pending",
        "answered",
        "published",
        "out_of_scope",
        "closed",
    }
