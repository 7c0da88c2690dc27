"""A published post corrected in place (Đắk Mar Đ8.1d): the department's new version or an editor's edited
document goes through the same approval, then updates the same WordPress post with a dated correction line."""

from __future__ import annotations

import io
import re
from email import message_from_bytes, policy

import pytest
from docx import Document
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from newsroom.db import make_engine, session_factory
from newsroom.records import AuditEvent, Draft
from tests import samples

pytestmark = [pytest.mark.wordpress, pytest.mark.timeout(240)]
DOCX = ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document")


def text_of(raw: bytes) -> str:
    return message_from_bytes(raw, policy=policy.default).get_body(("plain",)).get_content()


def docx(*paragraphs: str) -> bytes:
    doc = Document()
    for p in paragraphs:
        doc.add_paragraph(p)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def history(site) -> tuple[Draft, list[str]]:
    engine = make_engine(site.settings.database)
    try:
        with session_factory(engine)() as session:
            draft = session.scalars(select(Draft).options(selectinload(Draft.revisions))).one()
            events = [e.event for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
            _ = [r.body_html for r in draft.revisions]
            return draft, events
    finally:
        engine.dispose()


def test_a_correction_updates_the_same_wordpress_post_after_approval(site_factory, wordpress):
    site = site_factory(
        cms={"kind": "wordpress", "url": wordpress.url, "username": wordpress.user, "password": wordpress.password}
    )
    site.start()
    site.deliver(
        samples.submission(
            site.department,
            site.board_box,
            "Tin: Ra quân mùa hè xanh",
            docx=docx("Sáng 21/11, 80 đoàn viên ra quân chiến dịch mùa hè xanh."),
        )
    )
    notice = site.wait_mail(site.address("truongban"), "Cần duyệt")[0]
    site.deliver(samples.reply(notice, site.address("truongban"), "Nguyễn Văn An", "Duyệt"))
    published = site.wait_mail(site.department, "Đã đăng", timeout=60)[0]
    url = re.search(r"http://\S+", text_of(published))[0]
    [post] = [p for p in wordpress.posts() if p["link"] == url]
    assert "80 đoàn viên" in post["content"]["raw"]

    # The department sends the corrected figure by replying to "Đã đăng".
    site.clock.advance(days=1)
    site.deliver(
        samples.reply(
            published,
            site.department,
            "Công chức VH-XH",
            "Xin đính chính số đoàn viên.",
            attachments=[(docx("Sáng 21/11, 120 đoàn viên ra quân chiến dịch mùa hè xanh."), *DOCX, "dinh-chinh.docx")],
        )
    )
    correction = site.wait_mail(site.address("truongban"), "Đính chính bài đã đăng (bản 2) cần duyệt")[0]
    assert "nội dung: 1 đoạn mới hoặc sửa, 1 đoạn bỏ hoặc thay" in text_of(correction)
    site.settle()
    assert history(site)[0].status == "correcting"
    [post] = [p for p in wordpress.posts() if p["link"] == url]
    assert "80 đoàn viên" in post["content"]["raw"]  # nothing changes on the site before the approval

    site.deliver(samples.reply(correction, site.address("phoban"), "Trần Thị Bình", "Duyệt"))
    done = site.wait_mail(site.department, "Đã đính chính", timeout=60)[0]
    assert url in text_of(done)
    [post] = [p for p in wordpress.posts() if p["link"] == url]
    html = post["content"]["raw"]
    assert post["id"] == int(history(site)[0].post_id)
    assert "120 đoàn viên" in html and "80 đoàn viên" not in html
    assert "Bài đăng ngày 23/11/2026; đính chính, cập nhật ngày 24/11/2026." in html
    draft, events = history(site)
    assert draft.status == "published" and draft.post_url == url
    assert [r.number for r in draft.revisions] == [1, 2]  # the history keeps every version
    assert "80 đoàn viên" in draft.revisions[0].body_html
    assert events.count("published") == 1 and events.count("corrected") == 1


def test_a_refused_correction_leaves_the_post_as_it_was(site_factory):
    site = site_factory()
    site.start()
    site.deliver(samples.submission(site.department, site.board_box, "Tin: Ra quân", body="Sáng 21/11, ra quân."))
    notice = site.wait_mail(site.address("truongban"), "Cần duyệt")[0]
    site.deliver(samples.reply(notice, site.address("truongban"), "Nguyễn Văn An", "Duyệt"))
    published = site.wait_mail(site.address("truongban"), "Đã đăng")[0]
    site.deliver(
        samples.reply(
            published,
            site.address("thanhvien"),
            "Lê Văn Cường",
            "Bản biên tập lại.",
            attachments=[(docx("Sáng 21/11, thị trấn ra quân."), *DOCX, "bien-tap.docx")],
        )
    )
    correction = site.wait_mail(site.address("truongban"), "Đính chính bài đã đăng")[0]
    site.deliver(samples.reply(correction, site.address("truongban"), "Nguyễn Văn An", "Từ chối: giữ bản cũ"))
    site.wait_mail(site.address("phoban"), "Không duyệt")
    site.settle()
    draft, events = history(site)
    assert draft.status == "published" and "corrected" not in events
