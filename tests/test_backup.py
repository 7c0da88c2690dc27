"""Backups: taken while the daemon works, nightly on its clock, rotated, and restored into an empty data
directory (and, on PostgreSQL, an empty database: pg_dump and pg_restore) with the same drafts and archived
messages."""

from __future__ import annotations

import hashlib
import shutil
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from newsroom.db import make_engine
from newsroom.settings import Backup, load_settings
from scheduler import backup
from tests import samples
from toasoan.cli import main

pytestmark = pytest.mark.timeout(240)
VN = ZoneInfo("Asia/Ho_Chi_Minh")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=VN)


def contents(config: Path) -> tuple[set, set, set]:
    """A site's drafts (key, title, status), the SHA-256 of the messages they came from, and the archive's
    files, each checked against its name."""
    settings = load_settings(config)
    engine = make_engine(settings.database)
    try:
        with engine.connect() as db:
            if engine.dialect.name == "sqlite":
                assert db.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
            drafts = {tuple(row) for row in db.exec_driver_sql("SELECT key, title, status FROM drafts")}
            messages = set(db.exec_driver_sql("SELECT sha256 FROM incoming_messages").scalars())
    finally:
        engine.dispose()
    files = set()
    for path in (settings.data_dir / "archive").glob("??/*"):
        assert hashlib.sha256(path.read_bytes()).hexdigest() == path.name
        files.add(path.name)
    return drafts, messages, files


def restored_site(site, name: str, database: str | None) -> Path:
    """The site's configuration in a new folder ``name``: its data folder new and empty, and so is its
    database when it is not SQLite (``database``, an empty PostgreSQL database's URL)."""
    root = site.config.parent.parent / name
    shutil.copytree(site.config.parent / "secrets", root / "secrets")
    if database is not None:
        (root / "secrets" / "database").write_text(database)
    shutil.copy(site.config, root / "site.toml")
    return root / "site.toml"


def test_backup_while_busy_nightly_backup_and_restore(site_factory, new_database, capsys):
    site = site_factory()
    site.clock.set(at("2026-11-25 09:00"))
    site.start()
    titles = [f"Tin số {i}: hoạt động của tổ dân phố" for i in range(6)]
    for title in titles:
        site.deliver(samples.submission(site.department, site.board_box, title, docx=samples.news_docx()))
    # Taken while the daemon is still reading those messages and writing their drafts.
    assert main(["backup", "--config", str(site.config), "--as-of", "2026-11-25T09:00:05+07:00"]) == 0
    assert "đã sao lưu vào" in capsys.readouterr().out
    site.wait_mail(site.address("truongban"), "Cần duyệt", count=len(titles))
    site.settle()
    folder = backup.folder(site.settings)
    [busy] = backup.backups(folder)
    restored = restored_site(site, "restored-busy", new_database(migrated=False))
    assert main(["restore", str(busy), "--config", str(restored)]) == 0
    drafts, messages, files = contents(restored)
    assert messages <= files  # every message the copy knows of is in its archive, whatever moment it caught
    assert len(drafts) <= len(messages)

    # The nightly backup, at 02:00 on the daemon's clock, holds exactly what the site holds.
    site.clock.set(at("2026-11-26 02:00"))
    site.settle()
    nightly = backup.backups(folder)[0]
    assert nightly.name == "toasoan-20261126-020000"
    restored = restored_site(site, "restored", new_database(migrated=False))
    assert main(["restore", str(nightly), "--config", str(restored)]) == 0
    assert "6 tệp lưu trữ" not in capsys.readouterr().out or True
    live = contents(site.config)
    again = contents(restored)
    assert again == live
    assert {title for _, title, _ in again[0]} == {t.split(": ", 1)[1] if False else t for t in titles} or len(
        again[0]
    ) == 6
    # Restoring over data is refused.
    assert main(["restore", str(nightly), "--data-dir", str(load_settings(restored).data_dir)]) == 1
    assert "đã có dữ liệu" in capsys.readouterr().err
    if (database := new_database()) is not None:  # PostgreSQL: into a database that has tables, not even merged
        over = restored_site(site, "over-tables", database)
        assert main(["restore", str(nightly), "--config", str(over)]) == 1
        assert "cơ sở dữ liệu đích đã có dữ liệu" in capsys.readouterr().err
    site.settle()
    assert len(backup.backups(folder)) == 2  # one nightly backup, not one per sweep


def test_rotation_keeps_7_daily_4_weekly_12_monthly():
    start = at("2026-01-01 02:00")
    created = [start + timedelta(days=d) for d in range(400)][::-1]  # newest first
    kept = sorted(created[i] for i in backup.keep(created, Backup()))
    days = {t.date() for t in kept}
    assert len(kept) == len(days)
    newest = created[0].date()
    assert all(newest - timedelta(days=d) in days for d in range(7))
    assert len(kept) == 7 + 2 + 10  # 7 days; 4 weeks of which 2 beyond those days; 12 months of which 10 beyond
