"""Sites sharing one database: each sees, decides, publishes, mails and reports on its own drafts only;
a reply key of one site is refused by another; a single-site database of migration 0006 becomes the site
"default" and goes back."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email import message_from_bytes, policy
from importlib import resources

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import inspect, select, text
from sqlalchemy.orm import selectinload

from newsroom import workflow
from newsroom.db import make_engine, migrate, session_factory
from newsroom.records import AuditEvent, Draft, FailingAddress, IncomingMessage, OutboxMail
from tests import samples
from toasoan.cli import main

pytestmark = pytest.mark.timeout(180)


def subject(raw: bytes) -> str:
    return str(message_from_bytes(raw, policy=policy.default)["Subject"])


def rows(site, model, *where):
    """The site's rows of ``model`` (drafts with their decisions), read as the site's daemon reads them."""
    query = select(model).where(*where).order_by(model.id)
    if model is Draft:
        query = query.options(selectinload(Draft.decisions))
    engine = make_engine(site.settings.database)
    try:
        with session_factory(engine, site.settings.site_id)() as session:
            return list(session.scalars(query))
    finally:
        engine.dispose()


def test_two_sites_share_one_database_and_nothing_else(site_factory, capsys):
    a = site_factory(top='site_id = "xa-a"')
    b = site_factory(top='site_id = "xa-b"', database=a.settings.database)
    assert a.settings.database == b.settings.database
    # one secret for the whole province: only the site signed into the key tells A's TS00001 from B's
    b.settings.secret.file.write_text(a.settings.secret.file.read_text())
    a.start()
    b.start()
    a.deliver(samples.submission(a.department, a.board_box, "Tin: Hội nghị tổng kết của xã A"))
    b.deliver(samples.submission(b.department, b.board_box, "Tin: Lễ hội mùa xuân của xã B"))
    [notice_a] = a.wait_mail(a.address("truongban"), "Cần duyệt")
    [notice_b] = b.wait_mail(b.address("truongban"), "Cần duyệt")
    assert "[TS00001]" in subject(notice_a) and "xã A" in subject(notice_a)  # each site numbers its own
    assert "[TS00001]" in subject(notice_b) and "xã B" in subject(notice_b)

    # B's head of board answers "Duyệt" to A's notification, whose key names TS00001: refused in B
    b.deliver(samples.reply(notice_a, b.address("truongban"), "Nguyễn Văn An", "Duyệt"))
    b.settle()
    [draft_b] = rows(b, Draft)
    assert draft_b.status == "in_review" and draft_b.decisions == []
    refused = rows(b, IncomingMessage, IncomingMessage.kind == "reply")
    assert len(refused) == 1 and refused[0].outcome.startswith("khóa trả lời không hợp lệ")
    assert [e.detail["reason"] for e in rows(b, AuditEvent, AuditEvent.event == "reply_ignored")] == ["bad key"]

    # A's own head of board approves with the same key: published on A's site only
    a.deliver(samples.reply(notice_a, a.address("truongban"), "Nguyễn Văn An", "Duyệt"))
    a.wait_mail(a.address("truongban"), "Đã đăng")
    a.settle()
    b.settle()
    assert len(list(a.settings.cms.folder.glob("*.html"))) == 1
    assert list(b.settings.cms.folder.glob("*.html")) == []
    [draft_a] = rows(a, Draft)
    assert draft_a.status == "published" and [d.action for d in draft_a.decisions] == ["approve"]
    assert rows(b, Draft)[0].status == "in_review"
    assert b.dovecot.messages(b.address("truongban")) and not [
        r for r in b.dovecot.messages(b.address("truongban")) if "Đã đăng" in subject(r)
    ]

    # each site's outbox holds its own mail, to its own people
    for site in (a, b):
        recipients = {r for mail in rows(site, OutboxMail) for r in mail.recipients}
        assert recipients and all(r.endswith("@" + site.domain) for r in recipients)
        assert {m.status for m in rows(site, OutboxMail)} == {"sent"}

    # the CLI and the reports read one site each
    capsys.readouterr()
    assert main(["drafts", "list", "--config", str(a.config)]) == 0
    listed = capsys.readouterr().out
    assert "xã A" in listed and "xã B" not in listed and listed.count("TS00001") == 1
    for site in (a, b):
        args = ["report", "deadlines", "--month", "2026-11", "--as-of", "2026-11-30T12:00+07:00", "--json"]
        assert main([*args, "--config", str(site.config)]) == 0
        report = json.loads(capsys.readouterr().out)
        assert sum(row["items"] for row in report["category"]) == 1


def test_a_site_cannot_read_or_write_another_sites_rows(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'shared.db'}")
    migrate(engine)
    now = datetime(2026, 11, 23, 2, tzinfo=UTC)
    one, two = session_factory(engine, "mot"), session_factory(engine, "hai")
    with one.begin() as session:
        session.add(FailingAddress(address="x@example.invalid", first_failed_at=now, last_failed_at=now))
    with two.begin() as session:  # the same address failing for another site is another row
        session.add(FailingAddress(address="x@example.invalid", first_failed_at=now, last_failed_at=now))
        assert len(session.scalars(select(FailingAddress)).all()) == 1
    with one() as session, pytest.raises(ValueError, match="row of site hai written by a session of site mot"):
        session.add(FailingAddress(site_id="hai", address="y@example.invalid", first_failed_at=now, last_failed_at=now))
        session.flush()


def _alembic(engine, step, target: str) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("newsroom.migrations")))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        step(cfg, target)


@pytest.mark.parametrize("engine_name", ["sqlite", "postgresql"])
def test_a_single_site_database_becomes_the_default_site_and_goes_back(engine_name, tmp_path, request):
    url = (
        f"sqlite:///{tmp_path / 'old.db'}"
        if engine_name == "sqlite"
        else request.getfixturevalue("postgres_database")()
    )
    engine = make_engine(url)
    _alembic(engine, command.upgrade, "0006_royalties_reports")
    with engine.begin() as conn:  # a commune's database before sites existed
        conn.execute(
            text(
                "INSERT INTO drafts (key, uid, status, category, urgency, secrecy, title, sender_address, sender_name,"
                " created_at, updated_at, publish_attempts) VALUES ('TS00007', 'u7', 'in_review', 'news', 'normal',"
                " 'none', 'Tin cũ', 'vhxh@kep.gov.vn', '', :at, :at, 0)"
            ),
            {"at": datetime(2026, 11, 2, 2, tzinfo=UTC)},
        )
        conn.execute(
            text(
                "INSERT INTO failing_addresses (address, reason, first_failed_at, last_failed_at, failures)"
                " VALUES ('x@kep.gov.vn', 'hộp thư đầy', :at, :at, 2)"
            ),
            {"at": datetime(2026, 11, 2, 2, tzinfo=UTC)},
        )
    migrate(engine)  # what the daemon does at start
    assert "site_id" in {c["name"] for c in inspect(engine).get_columns("outbox")}
    with session_factory(engine)() as session:  # the commune's settings: site_id "default"
        [draft] = session.scalars(select(Draft)).all()
        assert (draft.key, draft.site_id, draft.title) == ("TS00007", "default", "Tin cũ")
        assert session.scalars(select(FailingAddress.failures)).all() == [2]
        assert workflow.next_key(session, Draft, "TS") == "TS00008"  # numbering goes on where it was
    with session_factory(engine, "xa-khac")() as session:
        assert session.scalars(select(Draft)).all() == []
        assert workflow.next_key(session, Draft, "TS") == "TS00001"

    _alembic(engine, command.downgrade, "0006_royalties_reports")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT key, title FROM drafts")).all() == [("TS00007", "Tin cũ")]
        assert conn.execute(text("SELECT address, failures FROM failing_addresses")).all() == [("x@kep.gov.vn", 2)]
    assert "site_id" not in {c["name"] for c in inspect(engine).get_columns("drafts")}

    migrate(engine)  # and up again; a second site's rows now forbid going back to one site
    now = datetime(2026, 11, 23, 2, tzinfo=UTC)
    with session_factory(engine, "xa-khac").begin() as session:
        session.add(FailingAddress(address="y@kep.gov.vn", first_failed_at=now, last_failed_at=now))
    with pytest.raises(RuntimeError, match="sites other than 'default'"):
        _alembic(engine, command.downgrade, "0006_royalties_reports")
    engine.dispose()
