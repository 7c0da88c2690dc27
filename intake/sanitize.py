"""The HTML allow-list every draft passes before it is stored (nh3, the Ammonia sanitiser).

No scripts, event handlers, frames, forms or styles; links only to http(s) and mailto; images only
from the message itself (cid:), never a remote resource that would track the reader.
"""

from __future__ import annotations

import re

import nh3

from newsroom.i18n import N_

TAGS = {
    "p",
    "br",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "strong",
    "b",
    "em",
    "i",
    "u",
    "s",
    "sub",
    "sup",
    "ul",
    "ol",
    "li",
    "table",
    "thead",
    "tbody",
    "tfoot",
    "tr",
    "th",
    "td",
    "caption",
    "a",
    "img",
    "blockquote",
    "pre",
    "code",
    "hr",
    "span",
    "div",
    "figure",
    "figcaption",
}
ATTRIBUTES = {
    "a": {"href", "title", "id"},
    "li": {"id"},
    "img": {"src", "alt", "title", "width", "height"},
    "th": {"colspan", "rowspan", "scope"},
    "td": {"colspan", "rowspan"},
    "p": {"class"},
    "ol": {"start", "class"},
}


NOTE_ID = re.compile(r"^(fn|en|fnref|enref)-\d{1,4}$")
CLASSES = {"p": {"has-text-align-center"}, "ol": {"footnotes", "endnotes"}}


def _allowed_class(tag: str, attr: str, value: str) -> str | None:
    """Only the classes and note ids the converter writes: no id can clobber the page's own elements."""
    if attr == "class":
        return value if value in CLASSES.get(tag, ()) else None
    if attr == "id":
        return value if NOTE_ID.match(value) else None
    if tag == "a" and attr == "href":  # the web, mail, or a note of this page; nothing relative
        if value.startswith("#"):
            return value if NOTE_ID.match(value[1:]) else None
        return value if value.lower().startswith(("http://", "https://", "mailto:")) else None
    if tag == "img" and attr == "src":
        return value if value.startswith("cid:") else None
    return value


# An attribute's name starting "on" after a blank (HTML separates attributes by ASCII blanks alone): the
# fixed "on" is what the regular expression engine scans for, the blank is checked behind it, and the
# name's letters are never given back (an "onon…" body was once read again from every "on": 14 s for
# 64 KB).
EVENT_NAME = re.compile(r"on(?<=[ \t\n\r\f]on)[a-z]++\s*+=")


def _has_event_attribute(lower: str) -> bool:
    """What ``<[^<>]*[^>][ \\t\\n\\r\\f]on[a-z]+\\s*=`` finds (an on… attribute inside a tag), ten times
    faster: that pattern starts at every "<" of the body; this looks for the names and then at what lies
    before each, every stretch of the body read once."""
    last_open = last_close = -1
    scanned = 0
    for match in EVENT_NAME.finditer(lower):
        end = match.start() - 2  # the character before the blank
        if end < 0 or lower[end] == ">":
            continue
        last_open = max(last_open, lower.rfind("<", scanned, end))
        last_close = max(last_close, lower.rfind(">", scanned, end))
        scanned = end
        if last_open > last_close:  # inside a tag opened before it
            return True
    return False


IMAGE_START = re.compile(r"<img\b")
REMOTE_SOURCE = re.compile(r"\ssrc\s*+=\s*+[\"']?\s*+(https?:)?//")


def _has_remote_image(lower: str) -> bool:
    """What ``<img\\b[^>]*\\ssrc\\s*=\\s*["']?\\s*(https?:)?//`` finds (an image from another server), in
    linear time: that pattern read from every "<img" to the next ">", so a body of "<img <img …" without one
    was read again from each (1.2 s for 40 KB, in the daemon's own process). The stretch before a ">" is
    searched once, from the first "<img" in it; a later one in the same stretch sees a part of it."""
    searched_to = -1
    for match in IMAGE_START.finditer(lower):
        if match.end() <= searched_to:  # within a stretch searched from an earlier "<img"
            continue
        searched_to = lower.find(">", match.end())
        searched_to = len(lower) if searched_to < 0 else searched_to
        if REMOTE_SOURCE.search(lower, match.end(), searched_to):
            return True
    return False


# Matched against the body in lower case: one str.lower() costs less than case-insensitive matching of a
# megabyte seven times over. A kind is found by any of its patterns; a pattern that starts with a fixed
# text is searched for that text first, ten times faster than one that starts with a choice ("href|src");
# where no pattern is fast, a function of the lower-case body stands for one.
ACTIVE_MARKUP = {
    N_("mã script"): (r"<script\b",),
    N_("khung nhúng (iframe/object/embed)"): (r"<(iframe|frame|object|embed|applet)\b",),
    N_("biểu mẫu"): (r"<form\b",),
    N_("thuộc tính sự kiện (on…)"): (_has_event_attribute,),
    N_("liên kết javascript:/vbscript:/data:"): (
        r"href\s*+=\s*+[\"']?\s*+(javascript|vbscript|data):",
        r"src\s*+=\s*+[\"']?\s*+(javascript|vbscript|data):",
    ),
    N_("ảnh lấy từ máy chủ bên ngoài"): (_has_remote_image,),
    N_("ảnh SVG"): (r"<svg\b",),
}
_FINDERS = {
    what: [re.compile(pattern).search if isinstance(pattern, str) else pattern for pattern in patterns]
    for what, patterns in ACTIVE_MARKUP.items()
}


def removed_kinds(html: str) -> list[str]:
    """What the sanitiser will take out of a body that the board should hear about: active content and
    remote resources (styles and classes, which every mail client writes, go without a word)."""
    lower = html.lower()
    return [what for what, finders in _FINDERS.items() if any(find(lower) for find in finders)]


IMAGE_WITHOUT_SOURCE = re.compile(r"<img(?![^>]*\ssrc=)[^>]*>")
# Control characters other than tab and line breaks: nothing a reader sees, and not allowed in XML (a site's
# RSS feed holding one is refused by feed readers). Each becomes a blank: a vertical tab between two words,
# as some editors write a line break, must not join them.
CONTROL = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f]")


def sanitize(html: str) -> str:
    """Allowed markup only; an image whose remote source was dropped is dropped whole."""
    return CONTROL.sub(" ", IMAGE_WITHOUT_SOURCE.sub("", _clean(html)))


# Elements whose text no reader sees, dropped with it: a mail client never shows the <title> that Outlook
# writes in the head (kept, it opened the draft with the mail's subject), nor a <template>.
HIDDEN_CONTENT = {"script", "style", "title", "template"}


def _clean(html: str) -> str:
    return nh3.clean(
        html,
        tags=TAGS,
        clean_content_tags=HIDDEN_CONTENT,
        attributes=ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "cid"},
        link_rel="noopener noreferrer",
        attribute_filter=_allowed_class,
        strip_comments=True,
    )
