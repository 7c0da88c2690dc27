"""Publishing to a real WordPress exactly once, even when the daemon dies after the post was made."""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from newsroom.archive import Archive
from newsroom.clock import ManualClock
from newsroom.db import make_engine, migrate, session_factory
from newsroom.records import Draft, IncomingMessage, Revision, StoredFile
from publisher.service import Publisher
from publisher.wordpress import WordPress
from tests import samples

pytestmark = [pytest.mark.wordpress, pytest.mark.timeout(120)]


NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def approved_draft(factory, archive, image_name: str) -> int:
    now = NOW
    with factory.begin() as session:
        incoming = IncomingMessage(
            mailbox="INBOX", uidvalidity=1, uid=1, sha256="0" * 64, kind="submission", received_at=now, processed_at=now
        )
        session.add(incoming)
        session.flush()
        draft = Draft(
            key="TS00001",
            status="approved",
            category="news",
            title="Tin thử nghiệm đăng một lần",
            sender_address="vhxh@kep.gov.vn",
            author="Nguyễn Thị Hoa",
            source="Văn hóa - Xã hội",
            publish_next_at=now,
            created_at=now,
            updated_at=now,
        )
        revision = Revision(
            number=1,
            title=draft.title,
            body_html='<p>Nội dung</p><img src="cid:p1" alt="ảnh">',
            incoming_id=incoming.id,
            created_at=now,
        )
        revision.files.append(
            StoredFile(
                sha256=archive.put(samples.png()),
                filename=f"{image_name}.png",
                content_type="image/png",
                size=10,
                use="image",
                ref="p1",
            )
        )
        draft.revisions.append(revision)
        session.add(draft)
        session.flush()
        return draft.id


def test_retry_after_a_crash_finds_the_post_instead_of_making_a_second(tmp_path, wordpress, new_database):
    engine = make_engine(new_database() or f"sqlite:///{tmp_path / 'db.sqlite'}")
    migrate(engine)
    factory = session_factory(engine)
    archive = Archive(tmp_path / "archive")
    image_name = f"ảnh hội nghị {secrets.token_hex(4)}"  # WordPress is shared by the session's tests
    draft_id = approved_draft(factory, archive, image_name)

    from newsroom.settings import settings_from_dict
    from tests.test_settings import EXAMPLE, example

    settings = settings_from_dict(example(), EXAMPLE.parent)

    async def publish_twice():
        cms = WordPress(wordpress.url, wordpress.user, wordpress.password)
        try:
            publisher = Publisher(settings, factory, archive, cms, ManualClock(NOW), "test:publisher")
            await publisher.publish(draft_id)
            # The daemon died after WordPress made the post but before the database recorded it:
            with factory.begin() as session:
                draft = session.get(Draft, draft_id)
                draft.status, draft.post_id, draft.post_url = "approved", None, None
            await publisher.publish(draft_id)
        finally:
            await cms.aclose()

    asyncio.run(publish_twice())
    with factory() as session:
        draft = session.get(Draft, draft_id)
        image = session.scalars(select(StoredFile)).one()
    tag = wordpress.get("tags", slug=f"toasoan-{draft.uid}")[0]
    posts = wordpress.posts(tags=tag["id"])
    assert len(posts) == 1
    assert draft.status == "published" and draft.post_url == posts[0]["link"]
    assert f'<img src="{image.cms_url}" alt="ảnh">' in posts[0]["content"]["raw"]
    assert len(wordpress.get("media", search=image_name)) == 1  # the image was uploaded once
    assert "Tác giả:</strong> Nguyễn Thị Hoa" in posts[0]["content"]["raw"]
