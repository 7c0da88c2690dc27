"""What the publisher needs of a CMS: find a post by the draft's key, upload media, create a post, update
it in place (a correction keeps the post and its address), take it down."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass
class Post:
    id: str
    url: str


@dataclass
class Media:
    id: str
    url: str


@dataclass
class PostContent:
    key: str  # the draft's tracking code (TS00042)
    uid: str  # globally unique: the CMS must find the post by it, so a retry finds it even after a reinstall
    title: str
    html: str
    category: str  # the CMS's category name
    excerpt: str = ""


class Cms(Protocol):
    async def find_post(self, uid: str) -> Post | None: ...
    async def upload_media(self, filename: str, content_type: str, data: bytes, alt: str) -> Media: ...
    async def create_post(self, content: PostContent) -> Post: ...
    async def update_post(self, post_id: str, content: PostContent) -> Post: ...
    async def remove_post(self, post_id: str) -> None: ...
    async def check(self) -> str: ...
    async def aclose(self) -> None: ...


class CmsError(Exception):
    """The CMS refused or failed; the message is safe to log (no credentials)."""
