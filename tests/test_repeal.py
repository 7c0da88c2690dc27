"""A new document that repeals or replaces one whose post is online (Long Xuyên Đ21.2): the board is asked
to take the post down, and only a reply "Gỡ" removes it."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest
from sqlalchemy import select

from newsroom.db import make_engine, session_factory
from newsroom.records import Draft
from tests import samples
from tests.test_inspect import inspect, plain

pytestmark = pytest.mark.timeout(180)

OLD = """ỦY BAN NHÂN DÂN
THÀNH PHỐ LONG XUYÊN
Số: 15/2020/QĐ-UBND
Long Xuyên, ngày 10 tháng 3 năm 2020
QUYẾT ĐỊNH
Về việc hỗ trợ hộ nghèo
Điều 1. Hỗ trợ mỗi hộ nghèo 500.000 đồng mỗi tháng."""

NEW = """ỦY BAN NHÂN DÂN
THÀNH PHỐ LONG XUYÊN
Số: 20/2026/QĐ-UBND
Long Xuyên, ngày 20 tháng 11 năm 2026
QUYẾT ĐỊNH
Về việc hỗ trợ hộ nghèo, hộ cận nghèo
Điều 3. Quyết định này có hiệu lực từ ngày 01/12/2026 và thay thế Quyết định số 15/2020/QĐ-UBND ngày 10/3/2020
của UBND thành phố."""


def text_of(raw: bytes) -> str:
    return message_from_bytes(raw, policy=policy.default).get_body(("plain",)).get_content()


def statuses(site) -> dict[str, str]:
    engine = make_engine(site.settings.database)
    try:
        with session_factory(engine)() as session:
            return {d.key: d.status for d in session.scalars(select(Draft))}
    finally:
        engine.dispose()


def test_inspect_lists_what_a_document_replaces(tmp_path, capsys):
    result = inspect(
        tmp_path, plain("vp@longxuyen.gov.vn", "Quyết định hỗ trợ", NEW), "--preset", "long-xuyen", capsys=capsys
    )
    assert result["document"]["replaces"] == ["15/2020/QĐ-UBND"]


def test_the_board_is_asked_and_only_gỡ_takes_the_post_down(site_factory):
    site = site_factory(extra='[notices]\nrepeal_article = "Long Xuyên Đ21.2"')
    site.start()
    site.deliver(samples.submission(site.department, site.board_box, "Quyết định hỗ trợ hộ nghèo", body=OLD))
    notice = site.wait_mail(site.address("truongban"), "Cần duyệt")[0]
    site.deliver(samples.reply(notice, site.address("truongban"), "Nguyễn Văn An", "Duyệt"))
    site.wait_mail(site.department, "Đã đăng")

    site.deliver(samples.submission(site.department, site.board_box, "Quyết định hỗ trợ hộ nghèo 2026", body=NEW))
    second = site.wait_mail(site.address("truongban"), "[TS00002] Cần duyệt")[0]
    assert "15/2020/QĐ-UBND: bài TS00001" in text_of(second)
    proposal = site.wait_mail(site.address("phoban"), "[TS00001] Đề nghị gỡ bài")[0]
    assert "Theo Long Xuyên Đ21.2" in text_of(proposal) and "TS00002" in text_of(proposal)
    site.settle()
    assert statuses(site)["TS00001"] == "published"  # nothing is removed without a decision

    site.deliver(samples.reply(proposal, site.address("truongban"), "Nguyễn Văn An", "Gỡ"))
    site.wait_mail(site.department, "Đã gỡ")
    assert statuses(site) == {"TS00001": "unpublished", "TS00002": "in_review"}
