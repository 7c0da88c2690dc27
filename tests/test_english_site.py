"""A site with ``language = "en"`` through the real servers: every mail its people receive is English,
subject and body, in the main flows (acknowledgement, board notification, approval and publication,
rejection, a refusal, a deadline warning, a citizen's question), and editors answer in English.

What may stay Vietnamese in an English mail is data: names, titles, the regulation's own wording of a
rule, the document's preview. Those are taken out first; any Vietnamese letter left is a sentence the
catalog did not translate."""

from __future__ import annotations

import re
import secrets
import unicodedata
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests import samples
from tests.test_end_to_end import html_of, parsed, text_of

pytestmark = pytest.mark.timeout(240)
VN = ZoneInfo("Asia/Ho_Chi_Minh")
QUESTION = "Con tôi sinh ngày 10/11/2026. Xin hỏi thủ tục đăng ký khai sinh?"


def vietnamese_left(text: str, data: list[str]) -> list[str]:
    """The lines still holding a Vietnamese letter once the data is taken out."""
    text = re.sub(r"(?s)----- Preview -----.*?\n-{10,}", "", text)  # the document itself
    text = re.sub(r'(?s)<div style="border: 1px solid #ccc.*?</div>', "", text)
    for item in sorted(data, key=len, reverse=True):
        text = text.replace(item, "")
    return [
        line
        for line in text.splitlines()
        if any(c in "đĐ" or unicodedata.normalize("NFD", c) != c for c in line if c.isalpha())
    ]


def english(raw: bytes, data: list[str]) -> str:
    """The plain text of an English mail, after checking that subject, text and HTML have no Vietnamese."""
    message = parsed(raw)
    for part in (str(message["Subject"]), text_of(raw), html_of(raw)):
        left = vietnamese_left(part, data)
        assert left == [], left
    assert message["Content-Language"] == "en"
    return text_of(raw)


def test_an_english_site_writes_english_throughout(site_factory):
    tag = secrets.token_hex(3)
    citizen, unit, qa = f"mai.{tag}@gmail.com", f"tuphap.{tag}@kep.gov.vn", f"hoidap.{tag}@kep.gov.vn"
    site = site_factory(
        top='language = "en"',
        extra=f"""
[questions]
addresses = ["{qa}"]

[questions.units.ho_tich]
name = "Công chức Tư pháp - Hộ tịch"
address = "{unit}"
""",
    )
    for address in (citizen, unit):
        site.dovecot.add_user(address)
    settings = site.settings
    data = [
        settings.site_name,
        settings.office_head.name,
        "Công chức VH-XH",
        "Tin hội nghị tổng kết.docx",
        "Hội nghị tổng kết công tác văn hóa năm 2026",
        "Ra quân mùa hè xanh",
        "“Sáng ngày 20/11/2026”",  # the document's own words for its moment
        "Nguyễn Thị Mai",
        "Hỏi về thủ tục đăng ký khai sinh",
        QUESTION,
        *(p.name for p in settings.board),
        *(d.name for d in settings.departments),
        *(rule.description for rule in settings.rules.values()),
        *(rule.article for rule in settings.rules.values()),
        *(topic.name for topic in settings.questions.topics.values()),
        *(u.name for u in settings.questions.units.values()),
        *(role.name for role in settings.roles.values()),
        *(genre.name for genre in (settings.royalties.genres.values() if settings.royalties else ())),
    ]
    site.clock.set(datetime(2026, 11, 23, 8, 0, tzinfo=VN))
    site.start()

    # 1. Submission: the department's acknowledgement and the board's notification.
    site.deliver(
        samples.submission(
            site.department,
            site.board_box,
            "Tin bài: Hội nghị tổng kết công tác văn hóa năm 2026",
            docx=samples.news_docx(),
        )
    )
    ack = english(site.wait_mail(site.department, "Received:")[0], data)
    assert "Dear Công chức VH-XH," in ack and "Tracking code: TS00001" in ack
    assert (
        "The item is awaiting the editorial board's approval; deadline under the rules: 25 November 2026, 24:00." in ack
    )
    notice = site.wait_mail(site.address("truongban"), "For approval")[0]
    body = english(notice, data)
    assert "[TS00001] For approval: Hội nghị tổng kết" in str(parsed(notice)["Subject"])
    assert "Category:    Conferences, reviews and annual summaries" in body
    assert "Deadline:    25 November 2026, 24:00 (Đ9.3" in body
    assert "  Approve                   publishes the item" in body and "  Reject: <reason>" in body
    assert "Automatic message from the editorial board of" in body

    # 2. "Approve", written in English: the item is published and the sender and board are told.
    site.deliver(samples.reply(notice, site.address("truongban"), "Nguyễn Văn An", "Approve", style="gmail_en"))
    published = english(site.wait_mail(site.department, "Published:", timeout=60)[0], data)
    assert re.search(r"was published at 23 November 2026, \d\d:\d\d:\s", published)
    assert "Published on time under the rules." in published
    english(site.wait_mail(site.address("phoban"), "Published:")[0], data)

    # 3. A second item rejected with a reason.
    site.deliver(
        samples.submission(
            site.department, site.board_box, "Tin: Ra quân mùa hè xanh", body="Đoàn thanh niên ra quân mùa hè xanh."
        )
    )
    notice = site.wait_mail(site.address("phoban"), "[TS00002] For approval")[0]
    reason = "The photo is not sharp; please send the original."
    site.deliver(samples.reply(notice, site.address("phoban"), "Trần Thị Bình", f"Reject: {reason}", "outlook_en"))
    rejected = english(site.wait_mail(site.department, "Not approved")[0], [*data, reason])
    assert f"Reason: {reason}" in rejected and "was not approved for publication" in rejected
    board = english(site.wait_mail(site.address("truongban"), "Not approved")[0], [*data, reason])
    assert "REJECTED item TS00002" in board

    # 4. A reply the system cannot act on is answered in English, with the commands.
    site.deliver(samples.reply(notice, site.address("truongban"), "Nguyễn Văn An", "Approve", style="gmail_en"))
    answer = english(site.wait_mail(site.address("truongban"), "was not carried out")[0], data)
    assert "Item TS00002 was already rejected by Trần Thị Bình" in answer
    assert "Reply commands (write them on the first line, above the original message):" in answer

    # 5. A refusal: a program is not accepted.
    site.deliver(
        samples.submission(
            site.department,
            site.board_box,
            "Phần mềm",
            extra=[(b"MZ\x90\x00" + b"\x00" * 60, "application", "octet-stream", "caidat.exe")],
        )
    )
    refused = english(site.wait_mail(site.department, "Not accepted:")[0], [*data, "Phần mềm"])
    assert "the file caidat.exe is of a type we do not accept" in refused

    # 6. A citizen's question: acknowledged with the answer date; the board is told.
    site.deliver(
        samples.submission(
            citizen,
            qa,
            "Hỏi về thủ tục đăng ký khai sinh",
            QUESTION,
            name="Nguyễn Thị Mai",
        )
    )
    question = english(site.wait_mail(citizen, "Question received:")[0], data)
    assert "Dear Nguyễn Thị Mai," in question and "Tracking code: HD00001" in question
    assert "you will receive an answer no later than" in question
    board = english(site.wait_mail(site.address("truongban"), "New question")[0], data)
    assert "New question from a citizen, HD00001 (sent to the Q&A address)." in board

    # 7. A deadline passes on an undecided item: the office head is warned in English.
    site.deliver(
        samples.submission(site.department, site.board_box, "Tin: Ra quân mùa hè xanh", body="Ra quân mùa hè xanh.")
    )
    site.wait_mail(site.address("truongban"), "[TS00003] For approval")
    site.clock.set(datetime(2026, 11, 30, 8, 0, tzinfo=VN))
    overdue = site.wait_mail(site.head, "[Reminder] 1 item OVERDUE: action needed")[0]
    text = english(overdue, data)
    assert "Dear Đặng Minh Khôi," in text and "— OVERDUE" in text and "[TS00003]" in text
    assert "Reply “Acknowledged”" in html_of(overdue)
