"""A CMS that is a folder of static HTML pages: for trying the product, previews, and sites with no CMS.

Each post is a standalone page (``<uid>.html``) and a record (``posts/<uid>.json``) from which the local
website (publisher/site.py) renders it with the site's templates. With ``url`` (the address the local
website is served at) a post's URL is its page there; otherwise the page's file: URL."""

from __future__ import annotations

import fcntl
import hashlib
import html
import json
from pathlib import Path

from publisher.cms import Media, Post, PostContent


class FolderCms:
    def __init__(self, root: Path, url: str = ""):
        self.root, self.url = root, url.rstrip("/")
        (root / "media").mkdir(parents=True, exist_ok=True)
        (root / "posts").mkdir(exist_ok=True)

    def _url(self, page: Path) -> str:
        return f"{self.url}/{page.name}" if self.url else page.as_uri()

    async def aclose(self) -> None:
        return None

    async def check(self) -> str:
        return f"ghi vào thư mục {self.root}"

    async def find_post(self, uid: str) -> Post | None:
        page = self.root / f"{uid}.html"
        return Post(uid, self._url(page)) if page.exists() else None

    async def upload_media(self, filename: str, content_type: str, data: bytes, alt: str) -> Media:
        name = f"{hashlib.sha256(data).hexdigest()[:16]}-{filename}"
        (self.root / "media" / name).write_bytes(data)
        return Media(name, f"media/{name}")

    async def create_post(self, content: PostContent) -> Post:
        post = self._write(content)
        index = self.root / "index.json"
        # Two daemons may publish to one folder at once: the read-append-write of the index is locked, or
        # one of two posts made together would be missing from it.
        with open(self.root / ".index.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            entries = json.loads(index.read_text("utf-8")) if index.exists() else []
            entries.append({**self._record(content), "page": f"{content.uid}.html"})
            tmp = index.with_suffix(".tmp")
            tmp.write_text(json.dumps(entries, ensure_ascii=False, indent=1), encoding="utf-8")
            tmp.replace(index)
        return post

    async def update_post(self, post_id: str, content: PostContent) -> Post:
        return self._write(content)

    def _write(self, content: PostContent) -> Post:
        page = self.root / f"{content.uid}.html"
        tmp = page.with_suffix(".tmp")
        tmp.write_text(
            f'<!DOCTYPE html>\n<html lang="vi"><head><meta charset="utf-8"><title>{html.escape(content.title)}'
            f"</title></head><body><article><h1>{html.escape(content.title)}</h1>"
            f'<p class="category">{html.escape(content.category)}</p>{content.html}</article></body></html>\n',
            encoding="utf-8",
        )
        tmp.replace(page)
        (self.root / "posts" / f"{content.uid}.json").write_text(
            json.dumps({**self._record(content), "html": content.html, "excerpt": content.excerpt}, ensure_ascii=False),
            encoding="utf-8",
        )
        return Post(content.uid, self._url(page))

    @staticmethod
    def _record(content: PostContent) -> dict:
        return {"key": content.key, "uid": content.uid, "title": content.title, "category": content.category}

    async def remove_post(self, post_id: str) -> None:
        (self.root / f"{post_id}.html").unlink(missing_ok=True)
        (self.root / "posts" / f"{post_id}.json").unlink(missing_ok=True)
