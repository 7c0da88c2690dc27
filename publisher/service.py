"""Publishing approved drafts, exactly once.

A draft is claimed (newsroom/claims.py), its claim renewed while it is published; the publisher first
asks the CMS for a post carrying the draft's key (a retry after a crash finds it), uploads each image
once (its CMS id is committed as soon as it exists), then creates the post and records it. Failures are
retried with backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import html as htmllib
import logging
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from newsroom import claims, workflow
from newsroom.archive import Archive
from newsroom.clock import Clock
from newsroom.records import AuditEvent, Draft, StoredFile
from newsroom.settings import Settings
from publisher.cms import Cms, PostContent

log = logging.getLogger("toasoan.publisher")


def retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=min(60 * 2**attempts, 6 * 3600))


def _due(now: datetime) -> tuple:
    """Approved drafts due for publishing, and unpublished ones whose post is still up."""
    return (
        or_(
            Draft.status == "approved",
            (Draft.status == "unpublished") & Draft.post_id.is_not(None) & Draft.post_removed_at.is_(None),
        ),
        or_(Draft.publish_next_at.is_(None), Draft.publish_next_at <= now),
    )


QUEUE = claims.Queue(
    "publish",
    Draft,
    Draft.publish_lease_until,
    Draft.publish_lease_holder,
    _due,
    wakes=lambda draft: draft.status in ("approved", "unpublished"),
)


def publisher_due(factory: sessionmaker[Session], now: datetime) -> bool:
    """Is a post due to be made or taken down at ``now``, claimed or not?"""
    return claims.pending(factory, QUEUE, now)


class Publisher:
    def __init__(
        self, settings: Settings, factory: sessionmaker[Session], archive: Archive, cms: Cms, clock: Clock, holder: str
    ):
        self.settings, self.factory, self.archive, self.cms, self.clock = settings, factory, archive, cms, clock
        self.holder = holder

    async def run_due(self) -> int:
        published = 0
        claimed = await asyncio.to_thread(claims.claim, self.factory, QUEUE, self.holder, self.clock(), 10)
        async with claims.renewing(self.factory, QUEUE, claimed, self.holder, self.clock):
            for draft_id in claimed:
                try:
                    await self.publish(draft_id)
                    published += 1
                except Exception as exc:
                    if claims.connection_lost(exc):  # not the CMS's failure: the batch is due again at once
                        log.warning("mất kết nối cơ sở dữ liệu khi đăng bài (%s); đăng lại sau", type(exc).__name__)
                        with contextlib.suppress(Exception):
                            release = (claims.release, self.factory, QUEUE, claimed, self.holder)
                            await asyncio.to_thread(claims.durably, *release)
                        break
                    log.warning("đăng bài %s thất bại: %s", draft_id, exc)
                    await asyncio.to_thread(self._failed, draft_id, str(exc))
        return published

    def _failed(self, draft_id: int, error: str) -> None:
        now = self.clock()
        with self.factory.begin() as session:
            draft = session.get(Draft, draft_id)
            workflow.publish_failed(
                session, self.settings, draft, error, now + retry_delay(draft.publish_attempts), now
            )

    def _load(self, draft_id: int) -> tuple[Draft, list[StoredFile]]:
        with self.factory() as session:
            draft = session.get(Draft, draft_id)
            files = list(draft.latest.files)
            _ = draft.latest.body_html
            return draft, files

    def _corrections(self, draft_id: int) -> list[datetime]:
        """When the post was corrected before: each correction line names every date."""
        with self.factory() as session:
            return list(
                session.scalars(
                    select(AuditEvent.at)
                    .where(AuditEvent.draft_id == draft_id, AuditEvent.event == "corrected")
                    .order_by(AuditEvent.id)
                )
            )

    def _corrected(self, draft_id: int, url: str) -> None:
        with self.factory.begin() as session:
            draft = session.get(Draft, draft_id)
            if draft.status == "approved":
                workflow.mark_corrected(session, self.settings, draft, url, self.clock())

    def correction_line(self, draft: Draft, earlier: list[datetime], now: datetime) -> str:
        """ "Bài đăng ngày …; đính chính ngày …" at the top of a corrected post (Đắk Mar Đ8.1d)."""
        tz = ZoneInfo(self.settings.timezone)
        days = ", ".join(f"{moment.astimezone(tz):%d/%m/%Y}" for moment in [*earlier, now])
        first = f"Bài đăng ngày {draft.published_at.astimezone(tz):%d/%m/%Y}; " if draft.published_at else ""
        return f'<p class="toasoan-correction"><em>{first}đính chính, cập nhật ngày {days}.</em></p>'

    def _save_media(self, file_id: int, media_id: str, url: str) -> None:
        with self.factory.begin() as session:
            row = session.get(StoredFile, file_id)
            row.cms_media_id, row.cms_url = media_id, url

    def _done(self, draft_id: int, post_id: str, url: str) -> None:
        with self.factory.begin() as session:
            draft = session.get(Draft, draft_id)
            if draft.status == "approved":
                workflow.mark_published(session, self.settings, draft, post_id, url, self.clock())

    def render(self, draft: Draft, files: list[StoredFile]) -> str:
        """The body with images pointing at their CMS copies, downloads linked, and the source line."""
        body = draft.latest.body_html
        for f in files:
            if f.use == "image" and f.cms_url and f.ref:
                body = body.replace(f'src="cid:{f.ref}"', f'src="{htmllib.escape(f.cms_url)}"')
        body = re.sub(r'<img src="cid:[^"]*"[^>]*>', "", body)
        downloads = [f for f in files if f.use == "download" and f.cms_url]
        if downloads:
            items = "".join(
                f'<li><a href="{htmllib.escape(f.cms_url)}">{htmllib.escape(f.filename)}</a></li>' for f in downloads
            )
            body += f"<p><strong>Tệp đính kèm:</strong></p><ul>{items}</ul>"
        credit = []
        if draft.author:
            credit.append(f"<strong>Tác giả:</strong> {htmllib.escape(draft.author)}")
        if draft.source:
            credit.append(f"<strong>Nguồn:</strong> {htmllib.escape(draft.source)}")
        if credit:
            body += f'<p class="toasoan-source">{" — ".join(credit)}</p>'
        return body

    def _removed(self, draft_id: int) -> None:
        with self.factory.begin() as session:
            workflow.mark_removed(session, self.settings, session.get(Draft, draft_id), self.clock())

    async def _upload(self, draft: Draft, files: list[StoredFile]) -> None:
        """Each image and download once: its CMS id is committed as soon as it exists."""
        for f in files:
            if f.cms_url or f.use not in ("image", "download"):
                continue
            data = await asyncio.to_thread(self.archive.get, f.sha256)
            media = await self.cms.upload_media(f.filename, f.content_type, data, draft.title)
            f.cms_media_id, f.cms_url = media.id, media.url
            await claims.record(self._save_media, f.id, media.id, media.url)

    async def publish(self, draft_id: int) -> None:
        draft, files = await asyncio.to_thread(self._load, draft_id)
        if draft.status == "unpublished":
            await self.cms.remove_post(draft.post_id)
            log.info("đã gỡ bài %s (%s)", draft.key, draft.post_url)
            await claims.record(self._removed, draft_id)
            return
        if draft.post_id is not None:  # an approved correction: the same post, updated in place
            await self._upload(draft, files)
            earlier = await asyncio.to_thread(self._corrections, draft_id)
            html = self.correction_line(draft, earlier, self.clock()) + self.render(draft, files)
            content = PostContent(
                draft.key, draft.uid, draft.title, html, self.settings.cms.categories.get(draft.category, "")
            )
            post = await self.cms.update_post(draft.post_id, content)
            log.info("đã đính chính bài %s tại chỗ (%s)", draft.key, post.url)
            await claims.record(self._corrected, draft_id, post.url)
            return
        existing = await self.cms.find_post(draft.uid)
        if existing is None:
            await self._upload(draft, files)
            category = self.settings.cms.categories.get(draft.category, "")
            content = PostContent(
                key=draft.key,
                uid=draft.uid,
                title=draft.title,
                html=self.render(draft, files),
                category=category,
            )
            existing = await self.cms.create_post(content)
            log.info("đã đăng bài %s: %s", draft.key, existing.url)
        else:
            log.info("bài %s đã có trên trang (%s): ghi nhận, không đăng lần hai", draft.key, existing.url)
        await claims.record(self._done, draft_id, existing.id, existing.url)
