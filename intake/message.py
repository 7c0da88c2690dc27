"""Reading one raw message into the parts intake needs: the standard library's parser, in the sandbox.

A stranger's message is untrusted bytes like any attachment, so its MIME structure and headers are read
in a sandbox worker (intake/sandbox.py) with the same time and memory ceilings as a document, after a
linear check of the header block in the caller (``header_problem``): a 10 MB header line is refused
before any parser sees it. The worker decodes the parts one at a time and drops each part's transfer
encoded text as soon as it is decoded, and hands back only what intake uses: the headers, the texts, the
attachments' bytes. Which parts are bodies and which attachments follows mail-parser's rules, which this
replaced (a named part, a non-text part with a Content-ID, RTF, or Content-Disposition: attachment is an
attachment).

The standard library's parser is loaded by the functions that read, which run in the worker: the caller
imports this module for the types and ``parse``, and loads no part of the email package for them (some
15 ms of `toasoan inspect`, which waits for its own imports more than for its worker).

Headers are decoded here in linear time: raw 8-bit UTF-8 (which many clients send) is read as UTF-8, encoded
words of the same charset are joined before decoding, and a charset Python does not know is reported.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import functools
import importlib.util
import os
import quopri
import re
import sys
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from intake.filenames import safe_filename

if TYPE_CHECKING:
    from email.message import Message

MAX_HEADER_BYTES = 512 * 1024  # the whole header block; a long Received chain is ~20 KB
MAX_HEADER_LINE = 64 * 1024  # one physical line; RFC 5322 allows 998 characters
MAX_PARTS = 1000
MAX_DEPTH = 20
# Payloads kept until the end of ``read``: what bounces are read from (intake/bounces.py).
KEPT_PAYLOADS = {"text/rfc822-headers", "message/rfc822-headers"}
CHARSET_ALIASES = {
    "unicode-1-1-utf-7": "utf-7",
    "x-unknown": "",
    "unknown-8bit": "",
    "unknown": "",
    "x-user-defined": "",
}


class MailRefused(ValueError):
    """The message's structure is over a limit: ``code`` names the refusal (intake/refusals.py)."""

    def __init__(self, code: str, values: dict | None = None):
        super().__init__(code)
        self.code, self.values = code, values or {}


@dataclass
class Attachment:
    filename: str
    content_type: str
    data: bytes
    content_id: str = ""
    original_name: str = ""


@dataclass
class Mail:
    message_id: str | None
    subject: str
    sender_address: str
    sender_name: str
    recipients: list[str]
    in_reply_to: str | None
    references: list[str]
    text: str
    html: str
    attachments: list[Attachment]
    # The top-level headers as (name, value), in order; repeated names repeat (Authentication-Results).
    # Plain strings rather than the parser's Message, which took half the time of handing a message back.
    headers: list[tuple[str, str]]
    content_type: str = "text/plain"
    # A bounce's report (intake/bounces.py): the Message-IDs it returns, and [(recipient, why)].
    returned: tuple[list[str], list[tuple[str, str]]] = field(default_factory=lambda: ([], []))
    date: object = None
    defects: list[str] = field(default_factory=list)
    notes: list[tuple[str, dict]] = field(default_factory=list)  # (warning code, its values) from decoding

    def header(self, name: str) -> str:
        return self._first_headers.get(name.lower(), "")

    def header_values(self, name: str) -> list[str]:
        name = name.lower()
        return [value for key, value in self.headers if key.lower() == name]

    @functools.cached_property
    def _first_headers(self) -> dict[str, str]:
        """Read in one pass: the classifier asks for a dozen headers, most of them absent, each a scan of a
        Received chain."""
        return first_headers(self.headers)


def size_text(size: int) -> str:
    """A size as people read it: "850 KB", "25.0 MB"."""
    return f"{size / 1024:.0f} KB" if size < 1024 * 1024 else f"{size / 1048576:.1f} MB"


def nfc(text: str) -> str:
    """NFC (TCVN 6909:2001), after undoing mislabelled charsets: UTF-8 declared as Latin-1 or Windows-1252
    reads "Kính gá»\xadi"; ftfy recognises that and decodes it again. Only the sandbox worker reads
    messages, so only it loads ftfy's test, and the rest of ftfy only for text that fails it. Text with NUL
    characters is a binary file sent as text, not mislabelled prose: ftfy would spend a quarter of a second
    per 100 KB on it."""
    text = text or ""
    if text.isascii():  # most headers and many bodies: nothing to undo or compose
        return text
    if "\x00" not in text and mojibake_possible(text):
        import ftfy

        text = ftfy.fix_encoding(text)
    return unicodedata.normalize("NFC", text)


NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")
MOJIBAKE_REACH = 7  # the longest text ftfy's test for mojibake matches; each match holds a non-ASCII character


def mojibake_possible(text: str) -> bool:
    """ftfy's test for mojibake (``is_bad``, what ``fix_encoding`` changes nothing without), run on the
    non-ASCII characters and a few characters around each rather than on the whole text: an English
    page of 50 KB with eight typographic quotes took 14 ms, the probe takes a tenth of that. False only
    where ``is_bad`` is false (a match lies within its reach of a non-ASCII character it holds); the
    probe's joins may say true where it is not, and then ftfy looks at the whole text. Text written
    with non-ASCII letters throughout (Vietnamese) is tested whole at once."""
    is_bad = mojibake_test()
    pieces: list[str] = []
    for run in NON_ASCII_RUN.finditer(text):
        if len(pieces) > len(text) // 100:
            return is_bad(text)
        pieces.append(text[max(0, run.start() - MOJIBAKE_REACH) : run.end() + MOJIBAKE_REACH])
    return is_bad("\n".join(pieces))


@functools.cache
def mojibake_test() -> Callable[[str], bool]:
    """ftfy's ``is_bad`` without the rest of ftfy: importing the package compiles its codecs, tables and
    fixers (45-75 ms in the worker, on the path of every `toasoan inspect` of a Vietnamese message), which
    only text that fails this test needs. ftfy/badness.py imports nothing of its package; loaded under its
    own name, it is the very module the package takes once a text needs ``fix_encoding``."""
    if "ftfy.badness" not in sys.modules:
        package = importlib.util.find_spec("ftfy")
        where = os.path.join(os.path.dirname(package.origin), "badness.py")
        spec = importlib.util.spec_from_file_location("ftfy.badness", where)
        module = importlib.util.module_from_spec(spec)
        sys.modules["ftfy.badness"] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules["ftfy.badness"]
            raise
    return sys.modules["ftfy.badness"].is_bad


def header_problem(raw: bytes) -> tuple[str, dict] | None:
    """A header block over its limits, found with bytes operations only (linear, no parser)."""
    start = LEADING_NEWLINES.match(raw).end()
    end = header_end(raw, start)
    if end - start > MAX_HEADER_BYTES:
        return "header_too_large", {"size": size_text(end - start), "limit": size_text(MAX_HEADER_BYTES)}
    if too_long := next((n for n in map(len, raw[start:end].split(b"\n")) if n > MAX_HEADER_LINE), None):
        return "header_line_too_long", {"size": size_text(too_long), "limit": size_text(MAX_HEADER_LINE)}
    return None


LEADING_NEWLINES = re.compile(rb"[\r\n]*")
BLANK_LINE = re.compile(rb"\n\n|\r\n\r\n")


def header_end(raw: bytes, start: int = 0) -> int:
    """Where the header block ends (its blank line), or the message's length. One search that stops there:
    looking for "\n\n" and "\r\n\r\n" in turn read the whole of a message that has only one kind."""
    found = BLANK_LINE.search(raw, start)
    return found.start() if found else len(raw)


def charset_codec(name: str | None) -> str | None:
    """The Python codec for a declared charset, or None when Python has no such codec."""
    label = (name or "").strip().strip('"').lower().split("*", 1)[0]
    label = CHARSET_ALIASES.get(label, label)
    if not label:
        return None
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def decode_bytes(data: bytes, declared: str | None, notes: list[tuple[str, dict]]) -> str:
    """Text from bytes in the declared charset; UTF-8, then Windows-1258 when the declaration fails."""
    codec = charset_codec(declared)
    if declared and codec is None and (declared or "").strip().lower() not in CHARSET_ALIASES:
        notes.append(("unknown_charset", {"charset": declared.strip()[:40]}))
    if codec == "utf-7":
        notes.append(("utf7_decoded", {}))
    for attempt in filter(None, (codec, "utf-8")):
        try:
            return data.decode(attempt)
        except (UnicodeError, LookupError):
            continue
    return data.decode("cp1258", errors="replace")


ENCODED_WORD = re.compile(r"=\?([^?\s]{1,64})\?([QqBb])\?([^?\s]*)\?=")


def _word_bytes(encoding: str, text: str) -> bytes:
    if encoding in "Bb":
        clean = re.sub(r"[^A-Za-z0-9+/]", "", text)
        clean = clean[: len(clean) - len(clean) % 4] if len(clean) % 4 == 1 else clean + "=" * (-len(clean) % 4)
        try:
            return base64.b64decode(clean)
        except binascii.Error:
            return text.encode("ascii", "replace")
    return quopri.decodestring(text.replace("_", " ").encode("ascii", "replace"), header=True)


FOLD = re.compile(r"\r?\n(?=[ \t])")
RAW_BYTE = re.compile("[\udc80-\udcff]")  # a byte of 8-bit header text, as the parser carries it


def decode_header_value(value: str, notes: list[tuple[str, dict]]) -> str:
    """An unfolded header value with its encoded words decoded, in one pass. Raw 8-bit bytes (carried by
    the parser as surrogate escapes) are read as UTF-8, else Windows-1258."""
    if value.isascii() and "=?" not in value and "\n" not in value:  # most headers: nothing to undo
        return value
    value = FOLD.sub("", value)
    if RAW_BYTE.search(value):
        value = decode_bytes(value.encode("ascii", "surrogateescape"), "utf-8", notes)
    out: list[str] = []
    pending: tuple[str | None, bytearray] | None = None  # consecutive words of one charset, decoded together
    position = 0
    for match in ENCODED_WORD.finditer(value):
        gap = value[position : match.start()]
        if gap and not (pending and gap.isspace()):
            if pending:
                out.append(decode_bytes(bytes(pending[1]), pending[0], notes))
                pending = None
            out.append(gap)
        charset = match[1]
        if pending and pending[0] != charset:
            out.append(decode_bytes(bytes(pending[1]), pending[0], notes))
            pending = None
        pending = pending or (charset, bytearray())
        pending[1].extend(_word_bytes(match[2], match[3]))
        position = match.end()
    if pending:
        out.append(decode_bytes(bytes(pending[1]), pending[0], notes))
    out.append(value[position:])
    return "".join(out)


def first_headers(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Each header's first occurrence, by its name in lower case (repeated headers do happen in the wild)."""
    first: dict[str, str] = {}
    for key, value in pairs:
        first.setdefault(key.lower(), value)
    return first


def _ids(value: str) -> list[str]:
    """The Message-IDs in a header; one holding a NUL or undecodable bytes, which no database can even
    compare, is none."""
    return [i for i in re.findall(r"<[^<>\s]+>", value or "") if i.isprintable()]


_WS = " \t\r\n"  # the blanks of RFC 5322, which alone the standard library's address parser skips
_ADDRESS = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.\-]+@[A-Za-z0-9!#$%&'*+/=?^_`{|}~.\-]+"
_SPECIALS = r'()<>\[\]:;@\\,."'
_NAME_END = rf"[^\x00-\x1f\x7f{_SPECIALS}{_WS}]"  # a name's first and last characters: not blank
_NAME_INSIDE = rf"[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f{_SPECIALS}]"
# "address" or "Name <address>" with a plain ASCII address and a name without RFC 5322's specials. The name
# ends on a character that is not blank, so that its blanks and those before "<" cannot be shared two ways
# (a header of 16 000 blanks took 0.3 s when they could; linear now, tests/test_addresses.py).
SIMPLE_ADDRESS = re.compile(
    rf"[{_WS}]*(?:({_NAME_END}(?:{_NAME_INSIDE}*{_NAME_END})?)[{_WS}]*<({_ADDRESS})>|({_ADDRESS}))[{_WS}]*"
)


def addresses(values: list[str]) -> list[tuple[str, str]]:
    """``email.utils.getaddresses``, with the forms nearly every header holds read by one regular
    expression: the library's parser, in Python, took a seventh of a short message's reading. Anything
    else (quotes, comments, groups, several addresses) goes to the library as before."""
    found = []
    for value in values:
        if not value.strip(_WS):
            continue
        match = SIMPLE_ADDRESS.fullmatch(value)
        if match is None:
            from email.utils import getaddresses

            return getaddresses(values)
        found.append((" ".join(re.split(f"[{_WS}]+", match[1])), match[2]) if match[2] else ("", match[3]))
    return found


def _checked_walk(msg: Message):
    """Every part with its depth, refusing a structure deeper or larger than mail ever needs."""
    from email.message import Message

    stack, count = [(msg, 0)], 0
    while stack:
        part, depth = stack.pop()
        count += 1
        if count > MAX_PARTS:
            raise MailRefused("too_many_parts", {"limit": MAX_PARTS})
        if depth > MAX_DEPTH:
            raise MailRefused("too_deep", {"limit": MAX_DEPTH})
        yield part
        payload = part.get_payload()
        if isinstance(payload, list):
            stack.extend((child, depth + 1) for child in reversed(payload) if isinstance(child, Message))


def _payload_bytes(part: Message, keep: bool) -> bytes:
    """A leaf's decoded bytes; its transfer-encoded text is dropped at once (a 25 MB attachment is held
    once, not three times)."""
    try:
        data = part.get_payload(decode=True) or b""
    except (ValueError, LookupError, UnicodeError, binascii.Error):
        payload = part.get_payload()
        data = payload.encode("ascii", "surrogateescape") if isinstance(payload, str) else b""
    if not keep:
        part.set_payload("")
    return data


def _attachment_name(part: Message, notes: list[tuple[str, dict]]) -> str:
    try:
        name = part.get_filename() or ""
    except (ValueError, LookupError, UnicodeError):
        name = ""
    return decode_header_value(str(name), notes) if name else ""


def load_reader() -> None:
    """What ``read`` loads at its first call, loaded ahead: a worker does this before it says it is ready, so
    that the first message's time is its own."""
    for module in ("email.parser", "email.utils", "intake.bounces"):
        importlib.import_module(module)
    mojibake_test()


def read(raw: bytes) -> Mail:
    """The message's parts; what runs in the sandbox worker (``parse`` calls it there)."""
    import email
    from email.message import Message
    from email.utils import parsedate_to_datetime

    from intake import bounces

    msg = email.message_from_bytes(raw.lstrip(b"\r\n"))  # some senders put a blank line before headers
    del raw
    notes: list[tuple[str, dict]] = []
    attachments: list[Attachment] = []
    plain: list[str] = []
    html: list[str] = []
    inside_attachment: set[int] = set()
    parts: list[tuple[Message, str]] = []  # each part with its type, for the bounce report and the defects
    for index, part in enumerate(_checked_walk(msg)):
        ctype = part.get_content_type()
        parts.append((part, ctype))
        disposition = (part.get_content_disposition() or "").lower()
        if part.is_multipart():
            # RFC 2183 2.9: a disposition applies to the whole container (mail-parser's rule, kept).
            if (
                id(part) in inside_attachment
                or disposition not in ("", "inline")
                or (disposition != "inline" and part.get_filename())
            ):
                inside_attachment.update(id(child) for child in part.get_payload() if isinstance(child, Message))
            if disposition != "attachment":
                continue
        filename = _attachment_name(part, notes)
        content_id = str(part.get("content-id") or "").strip()
        subtype = ctype.partition("/")[2]
        is_attachment = True
        if not filename:
            if content_id and subtype not in ("html", "plain"):
                filename = content_id.strip("<>")
            elif subtype == "rtf":
                filename = f"tep-dinh-kem-{index}.rtf"
            elif disposition == "attachment":
                filename = f"tep-dinh-kem-{index}.txt"
            else:
                is_attachment = False
        inline_body = (
            id(part) not in inside_attachment
            and not part.is_multipart()
            and disposition == "inline"
            and ctype in ("text/plain", "text/html")
        )
        if part.is_multipart():
            data = b"".join(child.as_bytes() for child in part.get_payload() if isinstance(child, Message))
        else:
            data = _payload_bytes(part, keep=ctype in KEPT_PAYLOADS)
        if is_attachment:
            attachments.append(
                Attachment(
                    filename=safe_filename(filename),
                    content_type=ctype.lower(),
                    data=data,
                    content_id=content_id.strip("<>"),
                    original_name=filename,
                )
            )
        if (not is_attachment or inline_body) and data and subtype in ("plain", "html"):
            text = decode_bytes(data, part.get_content_charset(), notes)
            (html if subtype == "html" else plain).append(text)
    first = first_headers((key, str(value)) for key, value in msg.raw_items())  # as they came
    name, address = "", ""
    senders = addresses([decode_header_value(first.get("from", ""), notes)])
    if senders:
        name, address = senders[0]
    recipients = [
        a.lower()
        for _, a in addresses(
            [decode_header_value(first.get(h, ""), []) for h in ("to", "cc", "delivered-to", "x-original-to")]
        )
        if a
    ]
    try:
        date = parsedate_to_datetime(first["date"]) if first.get("date") else None
    except (TypeError, ValueError, IndexError):
        date = None
    return Mail(
        message_id=(_ids(first.get("message-id", "")) or [None])[0],
        subject=nfc(decode_header_value(first.get("subject", ""), notes)).strip(),
        sender_address=address.lower() if re.fullmatch(r"[^@\s]+@[^@\s]+", address or "") else "",
        sender_name=nfc(name).strip(),
        recipients=recipients,
        in_reply_to=(_ids(first.get("in-reply-to", "")) or [None])[0],
        references=_ids(first.get("references", "")),
        text=nfc("\n".join(plain)),
        html=nfc("\n".join(html)),
        attachments=attachments,
        headers=[(key, str(value).strip()) for key, value in msg.items()],  # as Message.get gives them
        content_type=msg.get_content_type(),
        returned=bounces.parse(parts),
        date=date,
        defects=[str(d) for part, _ in parts for d in part.defects],  # decoding adds some: read last
        notes=[note for i, note in enumerate(notes) if note not in notes[:i]],
    )


def parse(raw: bytes, timeout: float | None = None) -> Mail:
    """The message read in the sandbox; MailRefused for a structure over a limit, SandboxFailure when the
    worker could not read it."""
    from intake.sandbox import SANDBOX, SandboxFailure

    if problem := header_problem(raw):
        raise MailRefused(*problem)
    try:
        return SANDBOX.run(read, raw, timeout=timeout)
    except SandboxFailure as failure:
        if failure.code == "too_many_parts":
            raise MailRefused(failure.code, {"limit": MAX_PARTS}) from None
        if failure.code == "too_deep":
            raise MailRefused(failure.code, {"limit": MAX_DEPTH}) from None
        raise
