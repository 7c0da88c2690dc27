"""Citizens' questions through the running daemon, real mailboxes and WordPress: the citizen asks, the board
is told, the unit answers by replying, the board approves, the citizen gets the answer and the Q&A is
published without personal data; out of scope, extensions, reminders and escalations in working time."""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from email import message_from_bytes, policy
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from newsroom.db import make_engine, session_factory
from newsroom.records import AuditEvent, Draft, Question
from tests import samples

pytestmark = pytest.mark.timeout(240)
VN = ZoneInfo("Asia/Ho_Chi_Minh")
QUESTION_TEXT = (
    "Kính gửi Ban biên tập,\n"
    "Con tôi sinh ngày 10/11/2026 tại bệnh viện. Xin hỏi thủ tục đăng ký khai sinh cần những giấy tờ gì "
    "và nộp ở đâu?\n"
    "Số điện thoại của tôi: 0912 345 678, CCCD 089123456789.\n"
    "Xin cảm ơn.\nNguyễn Thị Mai"
)
ANSWER = "Hồ sơ gồm tờ khai, giấy chứng sinh và giấy tờ tùy thân; nộp tại bộ phận một cửa của phường."


def parsed(raw: bytes):
    return message_from_bytes(raw, policy=policy.default)


def text_of(raw: bytes) -> str:
    return parsed(raw).get_body(("plain",)).get_content()


class People:
    """A citizen, a unit and a Q&A address of their own for each test (the mail server is shared)."""

    def __init__(self, site_factory, cms: dict | None = None, questions: str = "", preset: str = "long-xuyen"):
        tag = secrets.token_hex(3)
        self.citizen = f"mai.{tag}@gmail.com"
        self.unit = f"tuphap.{tag}@longxuyen.gov.vn"
        self.qa = f"hoidap.{tag}@longxuyen.gov.vn"
        self.site = site_factory(
            cms=cms,
            preset=preset,
            extra=f"""
[roles.pho_ban]
name = "Phó Trưởng ban"
may_approve = true

[questions]
addresses = ["{self.qa}"]
forward_after_hours = 2
{questions}

[questions.units.ho_tich]
name = "Công chức Tư pháp - Hộ tịch"
address = "{self.unit}"
""",
        )
        for address in (self.citizen, self.unit):
            self.site.dovecot.add_user(address)

    def ask(self, subject="Hỏi về thủ tục đăng ký khai sinh", body=QUESTION_TEXT, sender=None, to=None, name=None):
        site = self.site
        site.deliver(
            samples.submission(
                sender or self.citizen, to or site.board_box, subject, body, name=name or "Nguyễn Thị Mai"
            )
        )

    def question(self) -> Question:
        return self.questions()[0]

    def questions(self) -> list[Question]:
        engine = make_engine(self.site.settings.database)
        try:
            with session_factory(engine)() as session:
                return list(session.scalars(select(Question).order_by(Question.id)))
        finally:
            engine.dispose()

    def audit(self) -> list[AuditEvent]:
        engine = make_engine(self.site.settings.database)
        try:
            with session_factory(engine)() as session:
                return list(session.scalars(select(AuditEvent).where(AuditEvent.question_id.is_not(None))))
        finally:
            engine.dispose()


@pytest.mark.wordpress
def test_citizen_board_unit_board_citizen_and_the_published_qa(site_factory, wordpress):
    p = People(
        site_factory,
        cms={"kind": "wordpress", "url": wordpress.url, "username": wordpress.user, "password": wordpress.password},
    )
    site = p.site
    site.start()
    p.ask()

    ack = site.wait_mail(p.citizen, "Đã nhận câu hỏi")[0]
    body = text_of(ack)
    assert "Mã theo dõi: HD00001" in body
    assert "chậm nhất 24:00 ngày 15/12/2026" in body  # 15 working days from Mon 23/11; 24/11 is a holiday
    assert "(Đ10.1d)" in body
    assert re.fullmatch(
        rf"bbt\+hd00001-1-[0-9a-f]{{16}}@{re.escape(site.domain)}", parsed(ack)["Reply-To"].addresses[0].addr_spec
    )
    assert parsed(ack)["Auto-Submitted"] == "auto-generated"

    notice = text_of(site.wait_mail(site.address("truongban"), "Câu hỏi mới")[0])
    assert "Lĩnh vực:    Hộ tịch" in notice
    assert f"Đơn vị đề xuất trả lời: Công chức Tư pháp - Hộ tịch <{p.unit}>" in notice
    assert "sẽ được chuyển cho đơn vị trên lúc 11:00 ngày 23/11/2026" in notice  # 2 office hours (07:00-11:00)
    assert "1 số điện thoại" in notice and "1 số định danh (CCCD/CMND)" in notice
    question = p.question()
    assert (question.status, question.topic) == ("received", "ho_tich")
    assert question.due_at == datetime(2026, 12, 16, 0, 0, tzinfo=VN)

    site.clock.advance(hours=2)  # the board let the proposed routing stand
    forwarded = site.wait_mail(p.unit, "Đề nghị trả lời câu hỏi")[0]
    assert "Xin hỏi thủ tục đăng ký khai sinh" in text_of(forwarded)
    assert p.citizen not in text_of(forwarded)
    assert re.match(r"bbt\+hd00001-2-[0-9a-f]{16}@", parsed(forwarded)["Reply-To"].addresses[0].addr_spec)

    site.deliver(samples.reply(forwarded, p.unit, "Tư pháp - Hộ tịch", ANSWER, style="outlook"))
    to_approve = site.wait_mail(site.address("truongban"), "Đơn vị đã trả lời, cần duyệt")[0]
    assert ANSWER in text_of(to_approve) and "Duyệt, đăng" in text_of(to_approve)
    assert p.question().status == "answer_pending"

    site.deliver(samples.reply(to_approve, site.address("truongban"), "Nguyễn Văn An", "Duyệt, đăng"))
    answer = site.wait_mail(p.citizen, "Trả lời câu hỏi")[0]
    assert ANSWER in text_of(answer)
    assert parsed(answer)["In-Reply-To"] == parsed(ack)["In-Reply-To"]  # the citizen sees one conversation
    published = site.wait_mail(site.address("phoban"), "Đã đăng", timeout=60)[0]
    url = re.search(r"http://\S+", text_of(published))[0]
    [post] = [post for post in wordpress.posts() if post["link"] == url]
    html = post["content"]["raw"]
    assert post["title"]["raw"] == "Hỏi đáp: Hỏi về thủ tục đăng ký khai sinh"
    assert "Xin hỏi thủ tục đăng ký khai sinh" in html and ANSWER in html
    assert "0912" not in html and "089123456789" not in html and p.citizen not in html
    assert "Nguyễn Thị Mai" not in html and "N.T.M." in html
    assert p.question().status == "published"
    moves = [(e.detail["from"], e.detail["to"]) for e in p.audit() if e.event == "state"]
    assert moves == [("received", "forwarded"), ("forwarded", "answer_pending"), ("answer_pending", "published")]


def test_out_of_scope_is_told_to_the_citizen_at_once(site_factory):
    p = People(site_factory)
    site = p.site
    site.start()
    p.ask("Phản ánh giá thuốc ở bệnh viện tỉnh", "Xin hỏi vì sao giá thuốc ở bệnh viện tỉnh tăng?")
    notice = site.wait_mail(site.address("truongban"), "Câu hỏi mới")[0]
    site.deliver(
        samples.reply(notice, site.address("phoban"), "Trần Thị Bình", "Ngoài phạm vi: thuộc thẩm quyền Sở Y tế tỉnh")
    )
    told = text_of(site.wait_mail(p.citizen, "Về câu hỏi của anh/chị")[0])
    assert "không thuộc phạm vi" in told and "thuộc thẩm quyền Sở Y tế tỉnh" in told
    assert p.question().status == "out_of_scope"
    site.clock.advance(hours=3)
    site.settle()
    assert site.dovecot.messages(p.unit) == []  # never forwarded


def test_extension_reminder_overdue_and_very_overdue_across_holidays(site_factory):
    p = People(site_factory, questions="auto_forward = true")
    site = p.site
    site.start()
    p.ask()
    forwarded = site.wait_mail(p.unit, "Đề nghị trả lời câu hỏi")[0]  # at once: auto_forward

    # 3 working days before the last day (Tue 15/12): Thu 10/12, at the office's opening (07:00).
    site.clock.set(datetime(2026, 12, 10, 6, 59, tzinfo=VN))
    site.settle()
    assert site.wait_mail(p.unit, "Sắp đến hạn", timeout=1, count=0) == []
    site.clock.set(datetime(2026, 12, 10, 7, 0, tzinfo=VN))
    reminder = site.wait_mail(p.unit, "Sắp đến hạn")[0]
    assert "24:00 ngày 15/12/2026" in text_of(reminder)
    site.clock.advance(minutes=30)
    site.settle()
    assert len(site.wait_mail(p.unit, "Sắp đến hạn")) == 1  # once

    site.deliver(
        samples.reply(forwarded, p.unit, "Tư pháp", "Gia hạn: 31/12/2026 - cần xác minh hồ sơ gốc tại bệnh viện")
    )
    progress = text_of(site.wait_mail(p.citizen, "Thông báo gia hạn trả lời")[0])
    assert "chậm nhất 24:00 ngày 31/12/2026" in progress and "cần xác minh hồ sơ gốc tại bệnh viện" in progress
    assert "hạn mới 24:00 ngày 31/12/2026" in text_of(site.wait_mail(site.address("truongban"), "gia hạn")[0])
    site.settle()
    question = p.question()
    assert question.status == "extended" and question.due_at == datetime(2027, 1, 1, 0, 0, tzinfo=VN)
    # 15 working days after Thu 31/12: 1/1 is a holiday, so 4/1 … 22/1.
    assert question.very_overdue_at == datetime(2027, 1, 23, 0, 0, tzinfo=VN)
    [extended] = [e for e in p.audit() if e.event == "extended"]
    assert extended.detail["reason"] == "cần xác minh hồ sơ gốc tại bệnh viện"

    # Friday 1/1/2027 is a holiday and 2-3/1 a weekend: the office head hears on Monday 4/1, when the office opens.
    site.clock.set(datetime(2027, 1, 1, 9, 0, tzinfo=VN))
    site.settle()
    assert site.wait_mail(site.head, "QUÁ HẠN", timeout=1, count=0) == []
    site.clock.set(datetime(2027, 1, 4, 7, 0, tzinfo=VN))
    overdue = text_of(site.wait_mail(site.head, "QUÁ HẠN trả lời")[0])
    assert "HD00001" in overdue and "24:00 ngày 31/12/2026" in overdue
    site.clock.set(datetime(2027, 1, 22, 16, 59, tzinfo=VN))
    site.settle()
    assert len(site.wait_mail(site.head, "QUÁ HẠN")) == 1
    site.clock.set(datetime(2027, 1, 25, 7, 0, tzinfo=VN))
    site.wait_mail(site.head, "QUÁ HẠN NGHIÊM TRỌNG")
    site.clock.advance(days=1)
    site.settle()
    assert len(site.wait_mail(site.head, "QUÁ HẠN", count=2)) == 2  # each once


def test_follow_ups_join_the_question_and_automatic_mail_is_never_answered(site_factory):
    p = People(site_factory)
    site = p.site
    site.start()
    p.ask()
    ack = site.wait_mail(p.citizen, "Đã nhận câu hỏi")[0]
    site.deliver(samples.reply(ack, p.citizen, "Nguyễn Thị Mai", "Bổ sung: cháu sinh tại Bệnh viện Đa khoa An Giang."))
    addition = text_of(site.wait_mail(site.address("truongban"), "Công dân bổ sung thông tin")[0])
    assert "cháu sinh tại Bệnh viện Đa khoa An Giang" in addition
    # The same question again from the same address, without the thread: it joins too.
    p.ask("Re: Hỏi về thủ tục đăng ký khai sinh", "Tôi gửi lại câu hỏi, mong sớm được trả lời.")
    site.wait_mail(site.address("truongban"), "Công dân bổ sung thông tin", count=2)
    # An out-of-office from the citizen gets nothing back.
    auto = samples.reply(
        ack, p.citizen, "Nguyễn Thị Mai", "Tôi đang đi vắng.", headers={"Auto-Submitted": "auto-replied"}
    )
    site.deliver(auto)
    site.settle()
    assert len(p.questions()) == 1
    assert len(site.dovecot.messages(p.citizen)) == 1  # the acknowledgement only
    assert len(site.wait_mail(site.address("truongban"), "Công dân bổ sung thông tin", count=2)) == 2


def test_board_member_writing_to_the_qa_address_asks_a_question(site_factory):
    p = People(site_factory)
    site = p.site
    site.start()
    member = site.address("thanhvien")
    p.ask("Hỏi về trợ cấp cho người cao tuổi", "Mẹ tôi 80 tuổi, xin hỏi thủ tục hưởng trợ cấp?", sender=member, to=p.qa)
    ack = text_of(site.wait_mail(member, "Đã nhận câu hỏi")[0])
    assert "HD00001" in ack
    question = p.question()
    assert (question.via, question.topic, question.unit_address) == ("qa_address", "an_sinh", None)
    assert "Chưa có đơn vị để chuyển" in text_of(site.wait_mail(site.address("truongban"), "Câu hỏi mới")[0])
    # The same member's ordinary mail to the board is not a question.
    site.deliver(
        samples.submission(member, site.board_box, "Tin: Ra quân mùa hè xanh", "Xin hỏi ý kiến Ban về tin này?")
    )
    site.wait_mail(site.address("truongban"), "Cần duyệt")
    assert len(p.questions()) == 1


def test_board_routes_to_another_unit_and_asks_for_changes(site_factory):
    p = People(site_factory)
    site = p.site
    site.start()
    p.ask()
    notice = site.wait_mail(site.address("truongban"), "Câu hỏi mới")[0]
    site.deliver(samples.reply(notice, site.address("truongban"), "Nguyễn Văn An", "Chuyển: hộ tịch"))
    forwarded = site.wait_mail(p.unit, "Đề nghị trả lời câu hỏi")[0]
    site.deliver(samples.reply(forwarded, p.unit, "Tư pháp", "Đề nghị công dân đến trực tiếp."))
    to_approve = site.wait_mail(site.address("truongban"), "Đơn vị đã trả lời")[0]
    site.deliver(samples.reply(to_approve, site.address("phoban"), "Trần Thị Bình", "Sửa: Nêu rõ thành phần hồ sơ."))
    again = text_of(site.wait_mail(p.unit, "Đề nghị sửa câu trả lời")[0])
    assert "Nêu rõ thành phần hồ sơ." in again
    assert p.question().status == "forwarded"
    # A stranger writing to the unit's reply address changes nothing.
    site.deliver(samples.reply(forwarded, f"la.{secrets.token_hex(2)}@gmail.com", "Người lạ", "Đây là câu trả lời"))
    site.settle()
    assert p.question().status == "forwarded"


def test_daily_limit_gets_one_polite_explanation(site_factory):
    p = People(site_factory, questions="daily_limit = 1")
    site = p.site
    site.start()
    p.ask()
    site.wait_mail(p.citizen, "Đã nhận câu hỏi")
    p.ask("Hỏi về hộ nghèo", "Xin hỏi điều kiện công nhận hộ nghèo?")
    refused = text_of(site.wait_mail(p.citizen, "Không tiếp nhận")[0])
    assert "tối đa 1 câu hỏi mới trong một ngày" in refused
    p.ask("Hỏi về học phí", "Xin hỏi mức học phí mầm non?")
    site.settle()
    assert len(site.wait_mail(p.citizen, "Không tiếp nhận")) == 1
    assert len(p.questions()) == 1


def test_draft_replies_ignore_question_commands(site_factory):
    """ "Duyệt, đăng" on a draft approves it; "Gia hạn" means nothing there."""
    p = People(site_factory, preset="kep")
    site = p.site
    site.start()
    site.deliver(samples.submission(site.department, site.board_box, "Tin: Ra quân mùa hè xanh", "Sáng 18/11 ra quân."))
    notice = site.wait_mail(site.address("truongban"), "Cần duyệt")[0]
    site.deliver(samples.reply(notice, site.address("truongban"), "Nguyễn Văn An", "Gia hạn: 20/12/2026 - bận"))
    site.wait_mail(site.address("truongban"), "chưa được thực hiện")
    site.deliver(samples.reply(notice, site.address("truongban"), "Nguyễn Văn An", "Duyệt, đăng"))
    site.wait_mail(site.department, "Đã đăng")
    engine = make_engine(site.settings.database)
    with session_factory(engine)() as session:
        states = [e.detail["to"] for e in session.scalars(select(AuditEvent).where(AuditEvent.event == "state"))]
        assert session.scalars(select(Draft)).one().status == "published"
    engine.dispose()
    assert states == ["approved", "published"]
