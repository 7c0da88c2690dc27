"""Publishing that keeps failing is mailed to the office once, and once again when the post goes out (issue 15,
item 5; Kép Đ3.2): counted at the SMTP sink, against the real WordPress made to fail by a wrong password."""

from __future__ import annotations

import pytest

from tests import samples
from tests.conftest import wait_until
from tests.test_decisions import text_of
from tests.test_rotation import events, status, submit

pytestmark = [pytest.mark.timeout(300), pytest.mark.wordpress]


def sent(smtp_server, site, subject_part: str) -> list:
    """The mails the SMTP sink accepted for this site's office head with this subject."""
    return [m for m in smtp_server.relay.messages() if subject_part in str(m["Subject"]) and site.head in str(m["To"])]


def test_failing_publication_is_told_once_and_its_recovery_once(site_factory, wordpress, smtp_server):
    site = site_factory(
        cms={"kind": "wordpress", "url": wordpress.url, "username": wordpress.user, "password": "sai mat khau"}
    )
    site.start()
    notice = submit(site, "Tin: Ra quân mùa hè xanh")
    site.deliver(samples.reply(notice, site.address("truongban"), "Nguyễn Văn An", "Duyệt"))
    wait_until(lambda: events(site, "publish_failed") == 1, 60)
    site.settle()
    for delay, failures in ((1, 2), (2, 3)):  # the back-off: 1 and 2 minutes; the 3rd failure is the preset's
        assert not sent(smtp_server, site, "[Sự cố đăng bài]")
        site.clock.advance(minutes=delay)
        wait_until(lambda n=failures: events(site, "publish_failed") == n, 60)
        site.settle()
    failing = site.wait_mail(site.head, "[Sự cố đăng bài] [TS00001] chưa đăng được sau 3 lần thử")
    assert len(failing) == 1
    site.wait_mail(site.address("truongban"), "[Sự cố đăng bài] [TS00001]")
    text = text_of(failing[0])
    assert "Số lần thử:      3, từ 09:00 ngày 23/11/2026 đến 09:03 ngày 23/11/2026" in text
    assert "Thử lại lúc:     09:07 ngày 23/11/2026" in text and "Kép Đ3.2" in text
    assert "sai mat khau" not in text  # the error is redacted of secrets
    site.clock.advance(minutes=4)  # a 4th failure: no second mail
    wait_until(lambda: events(site, "publish_failed") == 4, 60)
    site.settle()
    (site.config.parent / "secrets" / "cms").write_text(wordpress.password)
    site.clock.advance(minutes=8)
    site.wait_mail(site.department, "Đã đăng", timeout=60)
    site.settle()
    recovered = site.wait_mail(site.head, "[Đã khắc phục] [TS00001] đã đăng được sau 4 lần thử thất bại")
    assert "đã được đăng lúc 09:15 ngày 23/11/2026, sau 4 lần thử thất bại từ 09:00 ngày 23/11/2026" in (
        text_of(recovered[0])
    )
    assert status(site, "TS00001") == "published"
    # at the sink: one failure mail and one recovery mail, each to the office head and the Trưởng ban together
    failure_mails, recovery_mails = (
        sent(smtp_server, site, "[Sự cố đăng bài]"),
        sent(smtp_server, site, "[Đã khắc phục]"),
    )
    assert len(failure_mails) == 1 and len(recovery_mails) == 1
    assert str(failure_mails[0]["To"]) == str(recovery_mails[0]["To"]) == f"{site.head}, {site.address('truongban')}"


def test_failing_for_the_presets_minutes_is_told_once_even_below_the_count(site_factory, wordpress, smtp_server):
    """With ten failures allowed, the 30 minutes of the preset decide: failures at 0, 1, 3, 7, 15 and 31 minutes
    (the back-off), the office is told at the sixth, at 09:31, once; nothing at the fifth (15 minutes)."""
    site = site_factory(
        cms={"kind": "wordpress", "url": wordpress.url, "username": wordpress.user, "password": "sai mat khau"},
        extra="[notices.publishing]\nafter_failures = 10\n",
    )
    site.start()
    notice = submit(site, "Tin: Hội thi văn nghệ")
    site.deliver(samples.reply(notice, site.address("truongban"), "Nguyễn Văn An", "Duyệt"))
    wait_until(lambda: events(site, "publish_failed") == 1, 60)
    for failures, delay in enumerate((1, 2, 4, 8, 16), start=2):
        site.settle()
        assert not sent(smtp_server, site, "[Sự cố đăng bài]")
        site.clock.advance(minutes=delay)
        wait_until(lambda n=failures: events(site, "publish_failed") == n, 60)
    [mail] = site.wait_mail(site.head, "[Sự cố đăng bài] [TS00001] chưa đăng được sau 6 lần thử")
    assert "Số lần thử:      6, từ 09:00 ngày 23/11/2026 đến 09:31 ngày 23/11/2026" in text_of(mail)
    site.clock.advance(minutes=32)
    wait_until(lambda: events(site, "publish_failed") == 7, 60)
    site.settle()
    assert len(sent(smtp_server, site, "[Sự cố đăng bài]")) == 1 and not sent(smtp_server, site, "[Đã khắc phục]")
