"""WordPress through its REST API, authenticated with an application password.

Routes go through ``?rest_route=``, which works whether or not the site has pretty permalinks.
A post carries the draft's unique id as a tag (``toasoan-<uid>``): the REST API cannot query post meta, but
it can list posts by tag, which is how a retry after a crash finds the post it already made.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

from publisher.cms import CmsError, Media, Post, PostContent


class PasswordAuth(httpx.Auth):
    """Basic authentication whose password is read at each request (from its secret file): a password
    changed after a leak is used from the next request on, without restarting the daemon."""

    def __init__(self, username: str, password: Callable[[], str]):
        self.username, self.password = username, password

    def auth_flow(self, request: httpx.Request):
        yield httpx.BasicAuth(self.username, self.password()).auth_flow(request).__next__()


class WordPress:
    def __init__(self, url: str, username: str, password: str | Callable[[], str], timeout: float = 60):
        self.client = httpx.AsyncClient(
            base_url=url.rstrip("/") + "/",
            auth=PasswordAuth(username, password if callable(password) else lambda: password),
            timeout=timeout,
            headers={"User-Agent": "toasoan"},
            follow_redirects=True,
        )
        self._tags: dict[str, int] = {}
        self._categories: dict[str, int] = {}

    async def aclose(self) -> None:
        await self.client.aclose()

    async def _call(self, method: str, path: str, params: dict | None = None, **kw) -> httpx.Response:
        try:
            response = await self.client.request(
                method, "", params={"rest_route": f"/wp/v2/{path}", **(params or {})}, **kw
            )
        except httpx.HTTPError as exc:
            raise CmsError(f"WordPress {method} {path}: {type(exc).__name__}: {exc}") from exc
        if response.status_code >= 400:
            try:
                detail = response.json().get("message", "")
            except ValueError:
                detail = response.text[:200]
            raise CmsError(f"WordPress {method} {path}: HTTP {response.status_code} {detail}")
        return response

    async def check(self) -> str:
        me = (await self._call("GET", "users/me", params={"context": "edit"})).json()
        roles = ", ".join(me.get("roles", []))
        return f"đăng nhập WordPress là {me.get('name')} ({roles})"

    async def _term(self, kind: str, cache: dict[str, int], name: str, slug: str | None = None) -> int:
        if name in cache:
            return cache[name]
        params = {"slug": slug} if slug else {"search": name, "per_page": 100}
        for term in (await self._call("GET", kind, params=params)).json():
            if slug or term["name"].strip().lower() == name.strip().lower():
                cache[name] = term["id"]
                return term["id"]
        body = {"name": name, **({"slug": slug} if slug else {})}
        response = await self.client.post("", params={"rest_route": f"/wp/v2/{kind}"}, json=body)
        if response.status_code == 400 and response.json().get("code") == "term_exists":
            term_id = response.json()["data"]["term_id"]
        elif response.status_code >= 400:
            raise CmsError(f"WordPress POST {kind}: HTTP {response.status_code} {response.text[:200]}")
        else:
            term_id = response.json()["id"]
        cache[name] = term_id
        return term_id

    async def _key_tag(self, uid: str) -> int:
        return await self._term("tags", self._tags, f"toasoan-{uid}", slug=f"toasoan-{uid}")

    async def find_post(self, uid: str) -> Post | None:
        tag = await self._key_tag(uid)
        posts = (
            await self._call(
                "GET",
                "posts",
                params={"tags": tag, "status": "publish,future,draft,pending,private", "context": "edit"},
            )
        ).json()
        return Post(str(posts[0]["id"]), posts[0]["link"]) if posts else None

    async def upload_media(self, filename: str, content_type: str, data: bytes, alt: str) -> Media:
        response = await self._call(
            "POST",
            "media",
            files={"file": (filename, data, content_type)},
            data={"alt_text": alt},
        )
        body = response.json()
        return Media(str(body["id"]), body["source_url"])

    async def create_post(self, content: PostContent) -> Post:
        body = {
            "title": content.title,
            "content": content.html,
            "status": "publish",
            "excerpt": content.excerpt,
            "tags": [await self._key_tag(content.uid)],
        }
        if content.category:
            body["categories"] = [await self._term("categories", self._categories, content.category)]
        created = (await self._call("POST", "posts", json=body)).json()
        return Post(str(created["id"]), created["link"])

    async def update_post(self, post_id: str, content: PostContent) -> Post:
        """The same post, its title and content replaced: its id, address, tags and category stay."""
        body = {"title": content.title, "content": content.html}
        if content.excerpt:
            body["excerpt"] = content.excerpt
        updated = (await self._call("POST", f"posts/{int(post_id)}", json=body)).json()
        return Post(str(updated["id"]), updated["link"])

    async def remove_post(self, post_id: str) -> None:
        """To the trash, where an administrator can still restore it; an already removed post is fine."""
        try:
            await self._call("DELETE", f"posts/{int(post_id)}")
        except CmsError as exc:
            if "HTTP 410" not in str(exc) and "HTTP 404" not in str(exc):
                raise
