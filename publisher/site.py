"""The local website: what the folder CMS published, as pages a person reads in a browser or on a phone.

A small WSGI app (the standard library's wsgiref serves it) renders the folder's post records with Jinja
templates on every request, so a post appears as soon as the publisher writes it: the home page with the
newest posts, one page per category (the Q&A section is the category of answered questions), each post
with its images and attachments, and the media files themselves.
"""

from __future__ import annotations

import json
import logging
import mimetypes
import re
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from jinja2 import Environment, PackageLoader, select_autoescape

log = logging.getLogger("toasoan.site")


def slug(name: str) -> str:
    """A category's address: "Hỏi đáp" → "hoi-dap"."""
    plain = unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(c for c in plain if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")


@dataclass
class Entry:
    uid: str
    key: str
    title: str
    category: str
    html: str
    excerpt: str

    @property
    def body(self) -> str:
        """The post's HTML without the heading that repeats its title (a .docx usually starts with it)."""
        first = re.match(r"\s*<h1>(.*?)</h1>", self.html, re.S)
        if first and re.sub(r"<[^>]+>", "", first[1]).strip() == self.title.strip():
            return self.html[first.end() :]
        return self.html

    @property
    def image(self) -> str | None:
        """The post's first image, addressed from the site's root (pages link media relatively)."""
        found = re.search(r'<img src="([^"]+)"', self.html)
        if found is None:
            return None
        return found[1] if found[1].startswith(("/", "http")) else "/" + found[1]

    @property
    def summary(self) -> str:
        text = self.excerpt or re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", self.body)).strip()
        return text if len(text) <= 220 else text[:220].rsplit(" ", 1)[0] + "…"


class Site:
    """The folder's posts, newest first, and the pages made of them."""

    def __init__(self, folder: Path, site_name: str, qa_category: str = ""):
        self.folder, self.site_name, self.qa_category = folder, site_name, qa_category
        self.templates = Environment(
            loader=PackageLoader("publisher", "templates"), autoescape=select_autoescape(["html"])
        )

    def posts(self) -> list[Entry]:
        """Every post still on the site, in the order the publisher made them, newest first."""
        index = self.folder / "index.json"
        listed = json.loads(index.read_text("utf-8")) if index.exists() else []
        order = [e.get("uid") or Path(e["page"]).stem for e in listed]
        entries = []
        for uid in reversed(dict.fromkeys(order)):
            record = self.folder / "posts" / f"{uid}.json"
            if record.exists():
                data = json.loads(record.read_text("utf-8"))
                entries.append(Entry(uid, data["key"], data["title"], data["category"], data["html"], data["excerpt"]))
        return entries

    def page(self, template: str, **context) -> bytes:
        posts = self.posts()
        categories = sorted({p.category for p in posts if p.category} - {self.qa_category})
        return (
            self.templates.get_template(template)
            .render(
                site_name=self.site_name,
                categories=[(c, slug(c)) for c in categories],
                qa=(self.qa_category, slug(self.qa_category)) if self.qa_category else None,
                slug=slug,
                posts=posts,
                **context,
            )
            .encode()
        )

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "/")
        status, ctype, body = "200 OK", "text/html; charset=utf-8", b""
        if path == "/":
            body = self.page("home.html")
        elif path.startswith("/media/") and "/" not in path[7:] and (self.folder / "media" / path[7:]).is_file():
            name = path[7:]
            body = (self.folder / "media" / name).read_bytes()
            ctype = mimetypes.guess_type(name)[0] or "application/octet-stream"
        elif path.startswith("/chuyen-muc/") and (found := self._category(path[12:])):
            body = self.page("category.html", category=found)
        elif (post := self._post(path)) is not None:
            body = self.page("post.html", post=post)
        else:
            status, body = "404 Not Found", self.page("not_found.html")
        start_response(status, [("Content-Type", ctype), ("Content-Length", str(len(body)))])
        return [body]

    def _category(self, wanted: str) -> str | None:
        names = {p.category for p in self.posts()} | ({self.qa_category} if self.qa_category else set())
        return next((name for name in names if name and slug(name) == wanted.strip("/")), None)

    def _post(self, path: str) -> Entry | None:
        found = re.fullmatch(r"/([0-9a-f]{32})\.html", path)
        return next((p for p in self.posts() if found and p.uid == found[1]), None)


class _Quiet(WSGIRequestHandler):
    def log_message(self, format, *args) -> None:
        log.debug("web: " + format, *args)


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class WebServer:
    """The site served on 127.0.0.1:``port`` from a thread of this process."""

    def __init__(self, site: Site, port: int):
        self.port = port
        self.server = make_server("127.0.0.1", port, site, server_class=_Server, handler_class=_Quiet)
        self.thread = threading.Thread(target=self.server.serve_forever, name="web", daemon=True)

    def start(self) -> WebServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
