"""A province's directory of site files (one TOML a site, the same keys as a commune's), and how each
site stands, for ``toasoan sites`` and the metrics.

The directory is read again when a file's modification time or size changes: a new file is a new site,
a removed file a site no longer served, and a file that no longer loads is reported by its ConfigError
while its site keeps its last good settings. Every site of a directory shares one database: the
daemon has one engine and the lease rows that share the mailboxes out live there.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from newsroom.records import Draft, OutboxMail
from newsroom.settings import ConfigError, Settings, load_settings
from publisher.service import _due as publish_due
from scheduler.escalation import CLOCK_RUNS
from scheduler.ownership import mailbox_leases

log = logging.getLogger("toasoan.sites")


def shown(url: str) -> str:
    """A database URL fit for a log line: its password hidden."""
    return make_url(url).render_as_string(hide_password=True)


@dataclass
class Changes:
    changed: dict[str, Settings] = field(default_factory=dict)  # new or different settings, by site id
    removed: set[str] = field(default_factory=set)


class SitesDirectory:
    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.stamps: dict[Path, tuple[int, int]] = {}  # file -> (mtime_ns, size) when last read
        self.owner: dict[Path, str] = {}  # file -> the site it last loaded as
        self.sites: dict[str, Settings] = {}
        self.database: str | None = None  # the one URL every site of the directory uses

    def load(self) -> dict[str, Settings]:
        """The first reading: files that do not load are logged and left out; sites that disagree on the
        database stop the daemon here, with the files named (a ConfigError)."""
        if not self.folder.is_dir():
            raise ConfigError(f"--sites: {self.folder} không phải một thư mục")
        loaded: dict[Path, Settings] = {}
        for path, stamp in self._files().items():
            self.stamps[path] = stamp
            try:
                loaded[path] = load_settings(path, site_id=path.stem)
            except ConfigError as exc:
                log.error("%s: %s", path.name, exc)
        urls = {s.database for s in loaded.values()}
        if len(urls) > 1:
            lines = "\n".join(f"  {p.name}: {shown(s.database)}" for p, s in sorted(loaded.items()))
            raise ConfigError(
                f"các trang trong {self.folder} phải dùng chung một cơ sở dữ liệu ([database] url_env/url_file), "
                f"nhưng đang dùng {len(urls)} cơ sở khác nhau:\n{lines}"
            )
        for path, settings in sorted(loaded.items()):
            self._accept(path, settings)
        if not self.sites:
            raise ConfigError(f"{self.folder}: không có tệp cấu hình trang (*.toml) nào dùng được")
        self.database = urls.pop()
        return dict(self.sites)

    def scan(self) -> Changes:
        """Files added, changed or removed since the last look."""
        changes = Changes()
        files = self._files()
        for path in set(self.stamps) - set(files):
            del self.stamps[path]
            site_id = self.owner.pop(path, None)
            if site_id is not None:
                self.sites.pop(site_id, None)
                changes.removed.add(site_id)
                log.info("%s: tệp đã bị xóa; thôi phục vụ trang %s", path.name, site_id)
        for path, stamp in files.items():
            if self.stamps.get(path) == stamp:
                continue
            self.stamps[path] = stamp
            try:
                settings = load_settings(path, site_id=path.stem)
                if settings.database != self.database:
                    raise ConfigError(
                        f"database: {shown(settings.database)} khác cơ sở dữ liệu chung của thư mục "
                        f"({shown(self.database or '')}); mọi trang trong một thư mục dùng chung một cơ sở dữ liệu"
                    )
            except ConfigError as exc:
                kept = self.owner.get(path)
                log.error(
                    "%s: %s%s", path.name, exc, f"\n(trang {kept} giữ cấu hình cũ)" if kept else "\n(chưa phục vụ)"
                )
                continue
            previous = self.owner.get(path)
            if previous is not None and previous != settings.site_id:
                self.sites.pop(previous, None)
                changes.removed.add(previous)
            if self._accept(path, settings) and self.sites.get(settings.site_id) is settings:
                changes.changed[settings.site_id] = settings
                changes.removed.discard(settings.site_id)
        return changes

    def _accept(self, path: Path, settings: Settings) -> bool:
        other = next((p for p, s in self.owner.items() if s == settings.site_id and p != path), None)
        if other is not None:
            log.error("%s: site_id %r đã dùng cho %s; bỏ qua tệp này", path.name, settings.site_id, other.name)
            return False
        if self.sites.get(settings.site_id) == settings:
            return False  # touched, not changed
        self.owner[path] = settings.site_id
        self.sites[settings.site_id] = settings
        return True

    def _files(self) -> dict[Path, tuple[int, int]]:
        files = {}
        for path in sorted(self.folder.glob("*.toml")):
            try:
                stat = path.stat()
            except OSError:
                continue
            files[path] = (stat.st_mtime_ns, stat.st_size)
        return files


@dataclass
class Standing:
    """How one site stands at a moment: its mailbox (from the lease row) and its queues."""

    site_id: str
    holder: str = ""
    state: str = "free"
    error: str = ""
    last_mail_at: datetime | None = None
    outbox_due: int = 0
    publish_due: int = 0
    overdue: int = 0
    oldest_due_seconds: float = 0.0


def standing(session: Session, site_id: str, now: datetime, lease_now: float) -> Standing:
    """The site's mailbox and queues at ``now`` (the business clock; ``lease_now`` is the database's).
    ``session`` is bound to the site (newsroom.db.session_factory), so the counts are the site's own."""
    lease = session.execute(select(mailbox_leases).where(mailbox_leases.c.site_id == site_id)).first()
    found = Standing(site_id)
    if lease is not None:
        alive = lease.holder and lease.expires_at >= lease_now
        found.holder = lease.holder if alive else ""
        found.state = lease.state if alive else "free"
        found.error, found.last_mail_at = lease.error, lease.last_mail_at
    due_mail = (OutboxMail.status == "pending", OutboxMail.next_attempt_at <= now)
    found.outbox_due, oldest_mail = session.execute(
        select(func.count(), func.min(OutboxMail.next_attempt_at)).where(*due_mail)
    ).one()
    found.publish_due, oldest_post = session.execute(
        select(func.count(), func.min(func.coalesce(Draft.publish_next_at, Draft.decided_at))).where(*publish_due(now))
    ).one()
    found.overdue = session.scalar(
        select(func.count()).where(
            Draft.status.in_(CLOCK_RUNS), Draft.deadline_at < now, Draft.clock_paused_at.is_(None)
        )
    )
    oldest = min((_aware(t) for t in (oldest_mail, oldest_post) if t is not None), default=None)
    found.oldest_due_seconds = max(0.0, (now - oldest).total_seconds()) if oldest else 0.0
    return found


def _aware(moment: datetime) -> datetime:
    """Aggregates bypass the column type: SQLite hands back a naive UTC time (or its text)."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
