"""Backups of the system's data (Hiệp Hòa Đ6.5c: "định kỳ sao chép, lưu trữ dữ liệu"): the database and the
archive of raw messages and media, taken while the daemon runs, rotated, and restorable into an empty data
directory.

A backup is a folder ``toasoan-YYYYMMDD-HHMMSS`` holding ``toasoan.db`` (SQLite's online backup API: a
consistent copy even while the daemon writes) or ``toasoan.pgdump`` (``pg_dump`` custom format), and
``manifest.json`` listing the archive files it needs. The archive files themselves are content-addressed
and never change, so they are kept once in the backups' shared ``archive/`` and each backup only lists
them: a nightly backup copies just the day's new files. Rotation keeps the newest backup of each of the
last ``daily`` days, ``weekly`` ISO weeks and ``monthly`` months, and drops archive files no kept backup
lists. The folder is written under a temporary name and renamed when complete, so a crash leaves no
half backup under a valid name.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.engine import make_url

from newsroom.archive import Archive
from newsroom.settings import Backup, Settings

PREFIX = "toasoan-"
MANIFEST = "manifest.json"


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why."""


def folder(settings: Settings) -> Path:
    return settings.backup.folder or settings.data_dir / "backups"


@dataclass
class Written:
    path: Path
    archive_files: int
    copied: int
    removed: list[str]


def _archive_files(root: Path) -> list[str]:
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.glob("??/*") if p.is_file() and not p.name.startswith(".tmp-"))


def _copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".tmp-{target.name}")
    shutil.copyfile(source, tmp)
    os.replace(tmp, target)


def _keep_site(copy: sqlite3.Connection, site_id: str) -> None:
    """A database shared by several sites: the site's backup holds its own rows only."""
    from newsroom.records import Base

    with copy:
        copy.execute("PRAGMA foreign_keys=OFF")
        for table in reversed(Base.metadata.sorted_tables):
            if "site_id" in table.c:
                copy.execute(f"DELETE FROM {table.name} WHERE site_id <> ?", (site_id,))
    copy.execute("VACUUM")


def _libpq(database_url: str) -> tuple[str, dict[str, str]]:
    """pg_dump's and pg_restore's connection: the URL without its password, which goes in PGPASSWORD (a
    command line is readable by every local user)."""
    url = make_url(database_url).set(drivername="postgresql")
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    return url.set(password=None).render_as_string(hide_password=False), env


def _empty(database_url: str) -> bool:
    from sqlalchemy import create_engine, inspect

    engine = create_engine(database_url)
    try:
        return not inspect(engine).get_table_names()
    finally:
        engine.dispose()


def _database(settings: Settings, into: Path) -> str:
    url = make_url(settings.database)
    if url.get_backend_name() == "sqlite":
        source = sqlite3.connect(f"file:{url.database}?mode=ro", uri=True)
        target = sqlite3.connect(into / "toasoan.db")
        try:
            with target:
                source.backup(target)
            _keep_site(target, settings.site_id)
        finally:
            target.close()
            source.close()
        return "sqlite"
    if url.get_backend_name() == "postgresql":
        plain, env = _libpq(settings.database)
        try:
            subprocess.run(
                ["pg_dump", "--format=custom", "--no-owner", f"--file={into / 'toasoan.pgdump'}", plain],
                check=True,
                capture_output=True,
                timeout=3600,
                env=env,
            )
        except FileNotFoundError:
            raise BackupError("không có pg_dump (cài postgresql-client)") from None
        except subprocess.CalledProcessError as exc:
            raise BackupError(f"pg_dump lỗi: {exc.stderr.decode(errors='replace')[-500:]}") from None
        return "postgresql"
    raise BackupError(f"không sao lưu được cơ sở dữ liệu loại {url.get_backend_name()}")


def take(settings: Settings, now: datetime) -> Written:
    """One backup now, then rotation."""
    root = folder(settings)
    root.mkdir(parents=True, exist_ok=True)
    for leftover in root.glob(f".tmp-{PREFIX}*"):
        shutil.rmtree(leftover, ignore_errors=True)
    stamp = now.astimezone(ZoneInfo(settings.timezone))
    name = f"{PREFIX}{stamp:%Y%m%d-%H%M%S}"
    tmp = root / f".tmp-{name}"
    tmp.mkdir()
    engine = _database(settings, tmp)
    source = Archive(settings.data_dir / "archive")
    shared = Archive(root / "archive")
    files, copied = _archive_files(source.root), 0
    for sha in files:
        if not shared.path(sha).exists():
            _copy(source.path(sha), shared.path(sha))
            copied += 1
    manifest = {"created": stamp.isoformat(), "database": engine, "site": settings.site_name, "archive": files}
    (tmp / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    target = root / name
    if target.exists():  # two backups in the same second: the later replaces the earlier
        shutil.rmtree(target)
    os.replace(tmp, target)
    return Written(target, len(files), copied, rotate(root, settings.backup))


def backups(root: Path) -> list[Path]:
    """Complete backups, newest first."""
    return sorted((p for p in root.glob(f"{PREFIX}*") if (p / MANIFEST).is_file()), reverse=True)


def _created(path: Path) -> datetime:
    return datetime.fromisoformat(json.loads((path / MANIFEST).read_text("utf-8"))["created"])


def keep(created: list[datetime], policy: Backup) -> set[int]:
    """Indices (into ``created``, newest first) of the backups rotation keeps: the newest of each of the
    last ``daily`` days, ``weekly`` ISO weeks and ``monthly`` months."""
    kept: set[int] = set()
    for count, bucket in (
        (policy.daily, lambda t: t.date()),
        (policy.weekly, lambda t: t.isocalendar()[:2]),
        (policy.monthly, lambda t: (t.year, t.month)),
    ):
        seen: list = []
        for i, moment in enumerate(created):
            key = bucket(moment)
            if key not in seen:
                if len(seen) == count:
                    break
                seen.append(key)
                kept.add(i)
    return kept


def rotate(root: Path, policy: Backup) -> list[str]:
    """Remove the backups rotation does not keep, then archive files no kept backup lists."""
    found = backups(root)
    kept = keep([_created(p) for p in found], policy)
    removed = []
    for i, path in enumerate(found):
        if i not in kept:
            shutil.rmtree(path)
            removed.append(path.name)
    if removed:
        needed = set()
        for path in backups(root):
            needed.update(json.loads((path / MANIFEST).read_text("utf-8"))["archive"])
        shared = root / "archive"
        for sha in _archive_files(shared):
            if sha not in needed:
                Archive(shared).path(sha).unlink()
    return removed


def restore(backup: Path, data_dir: Path, database_url: str | None = None) -> dict:
    """Put a backup back into an empty data directory (or, for PostgreSQL, into the empty database the
    URL names); every archive file is checked against its SHA-256 on the way."""
    manifest_path = backup / MANIFEST
    if not manifest_path.is_file():
        raise BackupError(f"{backup}: không phải bản sao lưu của toasoan (thiếu {MANIFEST})")
    manifest = json.loads(manifest_path.read_text("utf-8"))
    if (data_dir / "toasoan.db").exists() or any((data_dir / "archive").glob("??/*")):
        raise BackupError(f"{data_dir} đã có dữ liệu; khôi phục vào một thư mục trống")
    data_dir.mkdir(parents=True, exist_ok=True)
    if manifest["database"] == "sqlite":
        _copy(backup / "toasoan.db", data_dir / "toasoan.db")
    else:
        if not database_url:
            raise BackupError("bản sao lưu PostgreSQL: cần URL cơ sở dữ liệu đích ([database] url_env)")
        if not _empty(database_url):
            raise BackupError("cơ sở dữ liệu đích đã có dữ liệu; khôi phục vào một cơ sở dữ liệu trống")
        plain, env = _libpq(database_url)
        try:  # one transaction: a restore that fails leaves the database as empty as it was
            subprocess.run(
                [
                    "pg_restore",
                    "--no-owner",
                    "--single-transaction",
                    f"--dbname={plain}",
                    str(backup / "toasoan.pgdump"),
                ],
                check=True,
                capture_output=True,
                timeout=3600,
                env=env,
            )
        except FileNotFoundError:
            raise BackupError("không có pg_restore (cài postgresql-client)") from None
        except subprocess.CalledProcessError as exc:
            raise BackupError(f"pg_restore lỗi: {exc.stderr.decode(errors='replace')[-500:]}") from None
    shared, target = Archive(backup.parent / "archive"), Archive(data_dir / "archive")
    for sha in manifest["archive"]:
        data = shared.get(sha)
        if hashlib.sha256(data).hexdigest() != sha:
            raise BackupError(f"tệp lưu trữ {sha} trong bản sao lưu bị hỏng")
        target.put(data)
    return {"database": manifest["database"], "archive": len(manifest["archive"]), "created": manifest["created"]}
