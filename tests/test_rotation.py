"""Changing the product's own secrets (Kép Đ7.3, Đắk Mar Đ10.2, Hiệp Hòa Đ12.4) without breaking a reply in
flight or restarting the daemon."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from newsroom.db import make_engine, session_factory
from newsroom.records import AuditEvent, Draft
from tests import samples
from tests.conftest import wait_until
from toasoan.cli import main

pytestmark = pytest.mark.timeout(240)


def status(site, key: str) -> str:
    engine = make_engine(site.settings.database)
    try:
        with session_factory(engine)() as session:
            return session.scalars(select(Draft.status).where(Draft.key == key)).one()
    finally:
        engine.dispose()


def events(site, name: str) -> int:
    engine = make_engine(site.settings.database)
    try:
        with session_factory(engine)() as session:
            return len(list(session.scalars(select(AuditEvent).where(AuditEvent.event == name))))
    finally:
        engine.dispose()


def submit(site, subject: str) -> bytes:
    site.deliver(samples.submission(site.department, site.board_box, subject, body="Sáng 21/11, ra quân."))
    return site.wait_mail(site.address("truongban"), subject.removeprefix("Tin: "))[0]


def test_rotation_keeps_replies_in_flight_valid_for_the_grace_period(site_factory, capsys):
    site = site_factory()
    site.start()
    before = submit(site, "Tin: Ra quân mùa hè xanh")
    key_file = site.config.parent / "secrets" / "reply-key"
    old = key_file.read_text()
    as_of = site.clock().isoformat()
    assert main(["rotate-secret", "--config", str(site.config), "--grace-days", "7", "--as-of", as_of]) == 0
    assert "mã trả lời cũ còn hiệu lực đến 2026-11-30T09:00:00+07:00" in capsys.readouterr().out
    assert key_file.read_text() != old and (key_file.stat().st_mode & 0o777) == 0o600
    after = submit(site, "Tin: Hội thi văn nghệ")
    site.deliver(samples.reply(before, site.address("truongban"), "Nguyễn Văn An", "Duyệt"))
    site.deliver(samples.reply(after, site.address("truongban"), "Nguyễn Văn An", "Duyệt"))
    site.wait_mail(site.department, "Đã đăng", count=2)
    assert status(site, "TS00001") == status(site, "TS00002") == "published"


def test_after_a_leak_the_old_secret_stops_at_once(site_factory, capsys):
    site = site_factory()
    site.start()
    before = submit(site, "Tin: Ra quân mùa hè xanh")
    assert main(["rotate-secret", "--config", str(site.config), "--grace-days", "0"]) == 0
    assert "hết hiệu lực ngay" in capsys.readouterr().out
    site.deliver(samples.reply(before, site.address("truongban"), "Nguyễn Văn An", "Duyệt"))
    site.settle()
    assert status(site, "TS00001") == "in_review" and events(site, "reply_ignored") == 1


@pytest.mark.wordpress
def test_a_changed_cms_password_is_used_without_a_restart(site_factory, wordpress):
    site = site_factory(
        cms={"kind": "wordpress", "url": wordpress.url, "username": wordpress.user, "password": "sai mat khau"}
    )
    site.start()
    notice = submit(site, "Tin: Ra quân mùa hè xanh")
    site.deliver(samples.reply(notice, site.address("truongban"), "Nguyễn Văn An", "Duyệt"))
    wait_until(lambda: events(site, "publish_failed") >= 1, 60)
    (site.config.parent / "secrets" / "cms").write_text(wordpress.password)  # the new password, as after a leak
    site.clock.advance(minutes=5)
    site.wait_mail(site.department, "Đã đăng", timeout=60)
    assert status(site, "TS00001") == "published"
