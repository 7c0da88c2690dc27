"""What intake makes of one message, without touching a mailbox, the database or the CMS.

The daemon and ``toasoan inspect`` share this, so what inspect prints is what the daemon does.
"""

from __future__ import annotations

import html as htmllib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePath
from typing import Any
from zoneinfo import ZoneInfo

from lxml import etree

from intake import (
    active_content,
    classify,
    document,
    docx_safe,
    events,
    filenames,
    forward,
    media,
    office,
    questions,
    refusals,
    replies,
    secrecy,
    vietnamese,
)
from intake.message import Attachment, Mail, MailRefused, header_end, header_problem, parse, size_text
from intake.sandbox import SANDBOX, ReadAhead, SandboxFailure
from intake.sanitize import CONTROL, removed_kinds, sanitize
from newsroom import replykey, secret_rotation
from newsroom.i18n import gettext
from newsroom.settings import Settings
from newsroom.submission import FileData, Submission

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".gif", ".webp", ".tif", ".tiff", ".bmp", ".heic"}
ZIPPED = {".docx", ".xlsx", ".pptx", ".odt", ".ods", ".odp", ".zip", ".epub"}
BUDGET_SECONDS = 8.0  # all decoding of one message: every message is answered within ~10 s
REPLY_PREFIX = re.compile(r"^\s*(re|tl|trả lời|aw|sv|antw)\s*:", re.IGNORECASE)
# the tags our subjects carry, in every language the mails are written in ("[Nhắc hạn]", "[Reminder]")
TRACKING_TAG = re.compile(r"\[(TS\d{5,}|HD\d{5,}|Nhắc hạn|Reminder)\]", re.IGNORECASE)
FORWARD_SUBJECT = re.compile(r"^\s*(fw|fwd|tr|chuyển tiếp|ct)\s*:", re.IGNORECASE)
OWN_DOCUMENTS = {".docx", ".doc", ".odt", ".rtf", ".pdf"}  # a reply carrying one is new content
OWN_ARTICLE_WORDS = 40  # ... and so is a reply whose own text is an article, not a line or two
SUBJECT_PREFIX = re.compile(r"^\s*((re|fw|fwd|tl|trả lời|chuyển tiếp|tl|ct)\s*:\s*)+", re.IGNORECASE)

# category, received, document facts, own issuer, the moments read from the text (intake/events.py)
DeadlineFn = Callable[[str, datetime, dict, bool, dict], Any]


@dataclass
class Analysis:
    kind: str  # submission | question | reply | auto_reply | bounce | refused
    mail: Mail
    reason: str = ""
    role: str = "unknown"
    submission: Submission | None = None
    question: questions.QuestionInfo | None = None
    command: replies.Command | None = None
    key: replykey.ReplyKey | None = None
    key_valid: bool = False
    draft_key: str | None = None  # from the key, or only from the subject's [TS00042] tag (not proof)
    deadline: Any = None
    attachments: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    code: str | None = None  # the refusal's code in intake/refusals.py
    warning_codes: list[str] = field(default_factory=list)
    reply_signals: list[str] = field(default_factory=list)  # why it looks like a reply (see reply_shape)

    def refuse(self, code: str, language: str = "vi", **values: Any) -> None:
        self.kind, self.code, self.reason = "refused", code, refusals.text(code, values, language)


class Notes(list):
    """The warnings the board reads (a list of texts, as Submission.warnings always was) with their codes."""

    def __init__(self, language: str):
        super().__init__()
        self.language, self.codes = language, []

    def add(self, code: str, **values: Any) -> None:
        self.append(refusals.text(code, values, self.language))
        self.codes.append(code)

    def discard(self, code: str) -> None:
        kept = [(text, c) for text, c in zip(self, self.codes, strict=True) if c != code]
        self[:], self.codes = [text for text, _ in kept], [c for _, c in kept]

    def extend_notes(self, notes: list[tuple[str, dict]]) -> None:
        for code, values in notes:
            self.add(code, **values)


class Budget:
    """What is left of a message's decoding time (time.monotonic: a duration, not a date)."""

    def __init__(self, seconds: float = BUDGET_SECONDS):
        self.until = time.monotonic() + seconds

    def left(self) -> float:
        return self.until - time.monotonic()


def sender_role(settings: Settings, address: str) -> str:
    if settings.board_member(address) or address == settings.office_head.address:
        return "board"
    if settings.department_of(address):
        return "department"
    return "unknown"


def find_keys(mail: Mail) -> list[replykey.ReplyKey]:
    """Every reply key the message carries: in a plus-address it was sent to, and in its subject."""
    keys = [key for address in mail.recipients if "+" in address.partition("@")[0] if (key := replykey.find(address))]
    if key := replykey.find(mail.subject):
        keys.append(key)
    return keys


def _is_docx(att: Attachment) -> bool:
    return att.filename.lower().endswith(".docx") or att.content_type == DOCX


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]


def _text_to_html(text: str) -> str:
    return "".join("<p>" + htmllib.escape(p).replace("\n", "<br>") + "</p>" for p in _paragraphs(text))


def _sanitized_text_html(text: str) -> str:
    """``sanitize(_text_to_html(text))`` without the sanitiser's parse: the text escaped the way it writes
    text (only &, <, > and the no-break space; a CR becomes a line feed, NUL is dropped, another control
    character a blank), so that a plain text body, most of what offices send, is not read again by the
    sanitiser."""
    return CONTROL.sub(
        " ",
        "".join(
            "<p>"
            + htmllib.escape(p, quote=False)
            .replace("\xa0", "&nbsp;")
            .replace("\x00", "")
            .replace("\n", "<br>")
            .replace("\r", "\n")
            + "</p>"
            for p in _paragraphs(text)
        ),
    )


def _title(mail: Mail, headings: list[str], text: str) -> str:
    subject = SUBJECT_PREFIX.sub("", mail.subject).strip()
    subject = re.sub(r"^\[[^\]]{1,30}\]\s*", "", subject)
    subject = re.sub(r"^(tin bài|tin|bài|gửi tin|gửi bài|v/v)\s*[:\-–]\s*", "", subject, flags=re.IGNORECASE)
    if subject:
        return subject[:300]
    for line in [*headings, *text.splitlines()]:
        if line.strip():
            return line.strip()[:300]
    return "(không có tiêu đề)"


# Plain elements: lxml.html's element classes are looked up by a Python call for every element read, a
# tenth of a warm decree's analysis, and nothing here uses their methods.
_PLAIN_HTML = etree.HTMLParser()


def _fragment(html: str) -> etree._Element:
    """The sanitised body as one tree (lxml's HTML parser, in C), read for its text, its emptiness and
    the preview. The wrapping <div> is the parser's own, and so is the text before the first element:
    lxml's API refuses to set text holding a control character, which the parser keeps as it does in
    every other text of the body."""
    root = etree.fromstring(f"<html><body><div>{html}</div></body></html>", _PLAIN_HTML)[0][0]
    if root.text and not root.text.strip():  # blanks before the first element, as lxml.html drops them
        root.text = None
    return root


def _inner_html(tree: etree._Element) -> str:
    """What the wrapping <div> holds, written in one call (one per child was a few milliseconds of a decree)."""
    return etree.tostring(tree, method="html", encoding="unicode").removeprefix("<div>").removesuffix("</div>")


# A line's start is written "\n" and looked for in the text after a newline (``_line_search``): the
# regular expression engine then jumps from newline to newline instead of trying every position, ten
# times faster on a megabyte of text. What they find is what "^\s*" finds.
BYLINE = re.compile(
    r"\n[^\S\n]*(tác giả|tin,? ảnh|tin và ảnh|bài,? ảnh|bài và ảnh|tin|bài|ảnh)\s*:\s*(.{2,80})$",
    re.IGNORECASE | re.MULTILINE,
)
SOURCE = re.compile(r"\n[^\S\n]*nguồn\s*:\s*(.{2,120})$", re.IGNORECASE | re.MULTILINE)


def _line_search(pattern: re.Pattern, text: str) -> re.Match | None:
    return pattern.search("\n" + text)


def _refuse_attachment(att: Attachment, settings: Settings, analysis: Analysis) -> bool:
    """Refusals by name and content, before anything is decoded: programs, scripts, macro files."""
    kind = active_content.sniff(att.data)
    last = active_content.extension(att.filename)
    if kind in ("executable", "script") or last in active_content.EXECUTABLE_EXTENSIONS:
        _ = gettext(settings.language)
        what = (
            last
            if last in active_content.EXECUTABLE_EXTENSIONS
            else (_("chương trình") if kind == "executable" else _("tệp lệnh"))
        )
        analysis.refuse("forbidden_type", settings.language, name=att.filename, what=what)
        return True
    return False


def _attachment_limits(settings: Settings, mail: Mail, analysis: Analysis) -> bool:
    """Count and size limits, the same for a reply as for a submission."""
    if len(mail.attachments) > settings.max_attachments:
        analysis.refuse(
            "too_many_attachments", settings.language, count=len(mail.attachments), limit=settings.max_attachments
        )
        return True
    for att in mail.attachments:
        if len(att.data) > settings.max_attachment_bytes:
            limit = size_text(settings.max_attachment_bytes)
            analysis.refuse(
                "attachment_too_large", settings.language, name=att.filename, size=size_text(len(att.data)), limit=limit
            )
            return True
        if att.content_type != "message/rfc822" and _refuse_attachment(att, settings, analysis):
            return True
    return False


def _downloadable(att: Attachment, kind: str) -> bool:
    return active_content.DOWNLOADABLE.get(active_content.extension(att.filename)) == kind


def _is_active(kind: str, ext: str) -> bool:
    return kind in active_content.ACTIVE_KINDS or ext in active_content.ACTIVE_EXTENSIONS


def _is_document(att: Attachment, ext: str) -> bool:
    """A .docx, or what LibreOffice converts to one: the message's body when it is the first."""
    return _is_docx(att) or ext in office.CONVERTIBLE


def _is_image(att: Attachment, kind: str, ext: str) -> bool:
    return kind == "image" or att.content_type.startswith("image/") or ext in IMAGE_EXTENSIONS


def _read_ahead(mail: Mail, budget: Budget) -> ReadAhead:
    """The pictures and PDFs of a message, handed to the document workers two at a time (intake/sandbox.py
    ``ReadAhead``, where the daemon has started both) and taken in their turn by ``_submission``: a dozen
    12-megapixel photos, a quarter of a second each, are cleaned two at a time. Only what no document
    converter may claim first (a .docx, or what LibreOffice converts)."""
    jobs = {}
    for index, att in enumerate(mail.attachments):
        ext, kind = active_content.extension(att.filename), active_content.sniff(att.data)
        if att.content_type == "message/rfc822" or _is_active(kind, ext) or _is_document(att, ext):
            continue
        if _is_image(att, kind, ext):
            jobs[index] = (media.clean_image, att.data, att.filename)
        elif kind == "pdf":
            jobs[index] = (media.inspect_pdf, att.data)
    return ReadAhead(SANDBOX, jobs, budget.left)


def _cleaned_pictures(safe: docx_safe.SafeDocument, budget: Budget) -> list[media.Cleaned | str | None]:
    """A converted document's pictures, each cleaned in a sandbox call of its own: its cleaned form, why
    it could not be, or None when the message's time ran out first. Side by side where the pool has
    started two workers, one by one otherwise; together no larger than one answer of the worker's (what
    they were when the document was converted with its pictures in one call)."""
    jobs = {i: (media.clean_image, blob, name) for i, (_, name, _, blob) in enumerate(safe.converted.images)}
    ahead, outcomes, total = ReadAhead(SANDBOX, jobs, budget.left), [], 0
    too_large = f"các ảnh của tài liệu đã quá {SANDBOX.output_bytes // 1048576} MB"
    try:
        for i, job in jobs.items():
            if total > SANDBOX.output_bytes:
                outcomes.append(too_large)
                continue
            try:
                cleaned = ahead.take(i, *job)
            except SandboxFailure as failure:
                outcomes.append(None if failure.code == "time" else failure.reason)
                continue
            total += len(cleaned.data)
            outcomes.append(cleaned if total <= SANDBOX.output_bytes else too_large)
    finally:
        ahead.close()
    return outcomes


def _submission(settings: Settings, mail: Mail, analysis: Analysis, budget: Budget) -> Submission | None:
    body_html, text, headings, files = "", "", [], []
    warnings = Notes(settings.language)
    _ = gettext(settings.language)
    warnings.extend_notes(mail.notes)
    docx_done = text_from_body = sanitized = False
    pdf_texts: list[str] = []
    try:
        forwarded = forward.unwrap(mail, budget.left())
    except (MailRefused, SandboxFailure):
        forwarded = None
    if forwarded is not None:
        who = forwarded.sender_name or forwarded.sender_address or _("không rõ")
        note = _("; lời nhắn: “{note}”").format(note=forwarded.note[:200]) if forwarded.note else ""
        warnings.add("forwarded", who=who, note=note)
    ahead = _read_ahead(mail, budget)
    try:
        for index, att in enumerate(mail.attachments):
            if att.content_type == "message/rfc822":
                continue  # its document and text are read from the forward itself
            if filenames.changed(att.original_name, att.filename):
                warnings.add("filename_changed", original=att.original_name[:100], name=att.filename)
            ext = active_content.extension(att.filename)
            kind = active_content.sniff(att.data)
            use = "download"
            if _is_active(kind, ext):
                warnings.add("active_dropped", name=att.filename, what=active_content.ACTIVE_KINDS.get(kind, ext))
                continue
            if budget.left() <= 0:
                warnings.add("time_budget", name=att.filename)
                files.append(FileData(att.filename, att.content_type, att.data, "ignored", att.content_id or None))
                continue
            docx_like = _is_document(att, ext) and not docx_done
            if kind == "zip" and not (docx_like and _is_docx(att)):
                try:
                    checked = SANDBOX.run(
                        docx_safe.check_archive, att.data, att.filename, ext != ".zip", timeout=budget.left()
                    )
                except SandboxFailure as failure:
                    warnings.add("document_unreadable", name=att.filename, reason=failure.reason)
                    files.append(FileData(att.filename, att.content_type, att.data, "ignored", att.content_id or None))
                    continue
                if checked.refusal:
                    analysis.refuse(checked.refusal[0], settings.language, **checked.refusal[1])
                    return None
                warnings.extend_notes(checked.notes)
            document_data = att.data
            if ext in office.CONVERTIBLE and not docx_done:
                try:
                    document_data = office.to_docx(att.data, att.filename)
                except RuntimeError as exc:
                    warnings.add("office_unavailable", name=att.filename, reason=str(exc))
                    document_data = att.data
                    docx_like = False
            if docx_like and (_is_docx(att) or document_data is not att.data):
                try:
                    safe = docx_safe.convert_in(SANDBOX, document_data, att.filename, budget.left())
                except SandboxFailure as failure:  # unreadable, or over the limits: passed on, for download
                    warnings.add("document_unreadable", name=att.filename, reason=failure.reason)
                    use = "download" if _downloadable(att, kind) else "ignored"
                    files.append(FileData(att.filename, att.content_type, att.data, use, att.content_id or None))
                    continue
                if safe.refusal:
                    analysis.refuse(safe.refusal[0], settings.language, **safe.refusal[1])
                    return None
                docx_safe.settle_pictures(safe, _cleaned_pictures(safe, budget), att.filename)
                conv = safe.converted
                body_html, text, headings = conv.html, conv.text, conv.headings
                warnings.extend_notes(safe.notes)
                warnings.extend_notes(conv.notes)
                for ref, name, ctype, data in conv.images:
                    files.append(FileData(name, ctype, data, "image", ref))
                docx_done, use = True, "body"
            elif _is_image(att, kind, ext):
                try:
                    cleaned = ahead.take(index, media.clean_image, att.data, att.filename)
                except SandboxFailure as failure:
                    warnings.add("image_dropped", name=att.filename, reason=failure.reason)
                    continue
                warnings.extend_notes(cleaned.notes)
                files.append(
                    FileData(cleaned.filename, cleaned.content_type, cleaned.data, "image", att.content_id or None)
                )
                continue
            elif kind == "pdf":
                try:
                    text_of_pdf, active = ahead.take(index, media.inspect_pdf, att.data)
                except SandboxFailure as failure:
                    warnings.add("pdf_unreadable", name=att.filename, reason=failure.reason)
                    use = "ignored"  # what it holds is unknown: never offered to the website's readers
                else:
                    if active:
                        warnings.add("pdf_active", name=att.filename, what=", ".join(active))
                        use = "ignored"
                    if not text_of_pdf:
                        warnings.add("pdf_scanned", name=att.filename)
                    pdf_texts.append(text_of_pdf)
            if use == "download" and not _downloadable(att, kind):
                what = ext or kind
                warnings.add("not_published_type", name=att.filename, what=what)
                use = "ignored"
            files.append(FileData(att.filename, att.content_type, att.data, use, att.content_id or None))
    finally:
        ahead.close()
    if not docx_done and forwarded is not None and forwarded.text:
        text = "\n\n".join(filter(None, [forwarded.text, *pdf_texts]))
        body_html, sanitized = _sanitized_text_html(text), True
    elif not docx_done:
        if (not mail.text.strip() and not mail.html.strip()) or (len(mail.text.strip()) < 200 and any(pdf_texts)):
            text = "\n\n".join([mail.text.strip(), *filter(None, pdf_texts)]).strip()
            body_html, sanitized = _sanitized_text_html(text), True
        elif mail.html.strip():
            body_html, text_from_body = mail.html, True  # its text is read from the sanitised tree below
        else:
            text = mail.text
            body_html, sanitized = _sanitized_text_html(mail.text), True
    referenced = set() if sanitized else set(re.findall(r'src="cid:([^"]+)"', body_html))  # text has no <img>
    for f in files:
        if f.use == "image" and f.ref not in referenced:
            body_html += f'<figure><img src="cid:{f.ref or f.filename}" alt="{htmllib.escape(f.filename)}"></figure>'
            sanitized = False
            f.ref = f.ref or f.filename
    if text_from_body and (removed := removed_kinds(body_html)):
        warnings.add("html_removed", what=", ".join(removed))
    body_html = (body_html if sanitized else sanitize(body_html)).strip()
    tree = _fragment(body_html)
    if text_from_body:
        text = "\n".join(tree.itertext())
    if not files and not any(piece.strip() for piece in tree.itertext()):  # stops at the first word
        analysis.refuse("empty", settings.language)
        return None
    if vietnamese.has_no_diacritics(f"{SUBJECT_PREFIX.sub('', mail.subject)}\n{text}"):
        warnings.add("no_diacritics")
    subject_and_text = f"{mail.subject}\n{text}"
    category = classify.category_of(mail.subject, text, settings.default_category)
    read = {"thư": mail.text, "tài liệu": text, **{f"tệp PDF {i + 1}": t for i, t in enumerate(pdf_texts)}}
    level, stamp_place = secrecy.stamp(mail.subject, read)
    urgency = classify.urgency_of(mail.subject, text)
    doc = document.extract(text)
    department = settings.department_of(mail.sender_address)
    if analysis.role == "unknown" and settings.departments:
        warnings.add("unknown_sender", address=mail.sender_address)
    original = (forwarded.sender_name or forwarded.sender_address) if forwarded else None
    author = m[2].strip() if (m := _line_search(BYLINE, text)) else (original or mail.sender_name or None)
    source = (
        m[1].strip()
        if (m := _line_search(SOURCE, subject_and_text))
        else (original or (department.name if department else (mail.sender_name or None)))
    )
    held = None
    if level != "none":
        held = (
            f"tài liệu có dấu {secrecy.name_of(level)} ({stamp_place}): không được đăng lên trang, không được "
            f"chuyển nội dung qua thư (quy chế cấm đăng, cung cấp bí mật nhà nước)"
        )
    for img in list(tree.iter("img")):  # the preview says where a picture is; mail clients block cid: images
        label = etree.Element("span")
        label.text = "[" + _("ảnh: {alt}").format(alt=img.get("alt") or _("không có mô tả")) + "]"
        label.tail = img.tail
        img.getparent().replace(img, label)
    preview_text = re.sub(r"\n\n\n+", "\n\n", "\n".join(tree.itertext())).strip()[:3000]  # a fixed start: fast
    return Submission(
        title=_title(mail, headings, text),
        body_html=body_html,
        preview_html=_inner_html(tree),
        preview_text=preview_text,
        sender_address=mail.sender_address,
        sender_name=mail.sender_name,
        category=category,
        urgency=urgency,
        secrecy=level,
        department=department.name if department else None,
        author=author,
        source=source,
        document=doc,
        warnings=warnings,
        files=files,
        held_reason=held,
        text=text,
    )


def _header_block(raw: bytes) -> bytes:
    """The headers of a message too large to read whole: enough to know and answer its sender."""
    end = header_end(raw)
    return raw[:end] + b"\r\n\r\n" if end < len(raw) else raw[:65536]


def _minimal_mail(raw: bytes) -> Mail:
    """Who sent a message whose headers cannot be parsed safely: From and Subject found with bounded
    searches in the first 64 KB, so that the sender can still be answered."""
    from email.utils import parseaddr

    head = raw[:65536].decode("utf-8", errors="replace")
    sender = re.search(r"^From:[ \t]*([^\r\n]{0,500})", head, re.IGNORECASE | re.MULTILINE)
    subject = re.search(r"^Subject:[ \t]*([^\r\n]{0,300})", head, re.IGNORECASE | re.MULTILINE)
    name, address = parseaddr(sender[1]) if sender else ("", "")
    address = address.lower() if re.fullmatch(r"[^@\s]+@[^@\s]+", address or "") else ""
    subject_text = subject[1].strip() if subject else ""
    return Mail(None, subject_text, address, name, [], None, [], "", "", [], [])


def _word_count(text: str, enough: int) -> int:
    """The number of words, counted up to ``enough``: a reply without a quote is the whole text, and
    splitting a megabyte into words to learn that it has more than twelve took milliseconds."""
    return len(text.split(maxsplit=enough - 1))


def reply_shape(settings: Settings, mail: Mail, received_at: datetime) -> tuple[list[str], str | None]:
    """Why a message that carries no key of ours looks like an answer to an earlier mail, and what of its
    own it carries. Departments often answer an old thread to send new content, so a document, an article
    of some length, or a citizen's question makes it a submission all the same; a bare "Duyệt" over a
    quote, or "Re: …" with two lines, is a reply that found no draft."""
    if FORWARD_SUBJECT.match(mail.subject) or forward.MARKER.search(mail.text):
        return [], None  # a forward carries someone else's mail on purpose
    written = replies.reply_text(mail.text, mail.html)
    signals = [
        name
        for name, present in (
            ("subject", bool(REPLY_PREFIX.match(mail.subject))),
            ("in_reply_to", bool(mail.in_reply_to or mail.references)),
            ("quote", replies.quotes_earlier(mail.text, mail.html)),
            (
                "command",
                _word_count(written, 13) <= 12
                and replies.parse_command(written, received_at, settings.timezone) is not None,
            ),
        )
        if present
    ]
    if not signals:
        return [], None
    if any(PurePath(att.filename).suffix.lower() in OWN_DOCUMENTS for att in mail.attachments):
        return signals, "document"
    if _word_count(written, OWN_ARTICLE_WORDS) >= OWN_ARTICLE_WORDS:
        return signals, "article"
    if questions.recognize(settings, mail, written, sender_role(settings, mail.sender_address)) is not None:
        return signals, "question"
    return signals, None


def analyze(
    raw: bytes,
    settings: Settings,
    received_at: datetime | Callable[[Mail], datetime],
    deadline_fn: DeadlineFn | None = None,
    thread_ids: Callable[[list[str]], bool] | None = None,
) -> Analysis:
    """``received_at`` is when the message arrived, or how to tell from the message read (inspect without
    --received: its own Date), so that it is read once. ``thread_ids`` tells whether any of the given
    Message-IDs is one we sent (the daemon asks its store)."""
    budget = Budget()
    language = settings.language
    too_large = len(raw) > settings.max_message_bytes
    problem = header_problem(raw) if too_large else None  # parse() checks what it reads itself
    try:
        mail = parse(_header_block(raw) if too_large else raw, timeout=budget.left()) if not problem else None
    except MailRefused as refused:
        problem = (refused.code, refused.values)
        mail = None
    except SandboxFailure as failure:
        analysis = Analysis(kind="refused", mail=_minimal_mail(raw))
        analysis.refuse("unreadable_message", language, reason=failure.reason)
        return analysis
    if mail is None:
        analysis = Analysis(kind="refused", mail=_minimal_mail(raw))
        analysis.refuse(problem[0], language, **problem[1])
        return analysis
    if callable(received_at):
        received_at = received_at(mail)
    analysis = Analysis(kind="submission", mail=mail, role=sender_role(settings, mail.sender_address))
    if too_large:
        analysis.refuse(
            "message_too_large", language, size=size_text(len(raw)), limit=size_text(settings.max_message_bytes)
        )
        return analysis
    auto = classify.automatic(mail)
    if not mail.sender_address and not auto:
        analysis.refuse("no_sender", language)
        return analysis
    if auto:
        analysis.kind, analysis.reason = auto
        return analysis
    if _attachment_limits(settings, mail, analysis):
        return analysis
    keys = find_keys(mail)
    key = keys[0] if keys else None
    ours = thread_ids([i for i in [mail.in_reply_to, *mail.references] if i]) if thread_ids else False
    tag = TRACKING_TAG.search(mail.subject) if REPLY_PREFIX.match(mail.subject) else None
    if key or ours or tag:
        analysis.kind, analysis.key = "reply", key
        tagged = tag[1].upper() if tag and tag[1].upper()[:2] in ("TS", "HD") else None
        analysis.draft_key = key.draft_key if key else tagged
        # Every key must verify, and all must name the same draft and revision: a key copied from another
        # draft's mail next to this one's is a forgery, not a typo.
        accepted = secret_rotation.valid_secrets(settings.secret, received_at)  # the previous one during its grace
        analysis.key_valid = (
            bool(keys)
            and len({(k.draft_key, k.revision) for k in keys}) == 1
            and all(any(replykey.verify(secret, settings.site_id, k) for secret in accepted) for k in keys)
        )
        analysis.command = replies.parse_command(
            replies.reply_text(mail.text, mail.html), received_at, settings.timezone
        )
        if any(_is_docx(att) for att in mail.attachments):  # a corrected document: a new revision
            analysis.submission = _submission(settings, mail, analysis, budget)
            if analysis.kind == "refused":
                return analysis
            analysis.kind = "reply"
        return analysis
    signals, own = reply_shape(settings, mail, received_at)
    if signals and own is None:  # a reply that names no draft: the handler explains, nothing is drafted
        analysis.kind, analysis.reply_signals = "reply", signals
        analysis.command = replies.parse_command(
            replies.reply_text(mail.text, mail.html), received_at, settings.timezone
        )
        return analysis
    analysis.reply_signals = [*signals, f"own:{own}"] if signals else []
    sub = _submission(settings, mail, analysis, budget)
    if sub is None:
        return analysis
    analysis.submission = sub
    analysis.question = questions.recognize(settings, mail, sub.preview_text, analysis.role)
    if analysis.question is not None:
        analysis.kind, sub.category = "question", "qa"
        if analysis.role == "unknown":
            analysis.role = "citizen"
            sub.warnings.discard("unknown_sender")  # a citizen is not expected on the roster of departments
    analysis.warnings = sub.warnings
    analysis.warning_codes = sub.warnings.codes
    analysis.attachments = [
        {"filename": f.filename, "content_type": f.content_type, "size": len(f.data), "use": f.use} for f in sub.files
    ]
    head = classify.fold(" ".join(sub.preview_text.splitlines()[:12]))
    own = any(classify.fold(name) in head for name in settings.issuer_names)
    article = settings.notices.website_recipient_article
    if article and own and sub.secrecy == "none" and sub.document.get("type") and not sub.document["for_website"]:
        sub.warnings.add("website_not_a_recipient", article=article)
    if deadline_fn is not None:
        moments = events.read(sub.text, received_at.astimezone(ZoneInfo(settings.timezone)))
        analysis.deadline = deadline_fn(sub.category, received_at, sub.document, own, moments)
        due = analysis.deadline.due_at if analysis.deadline else None
        if due is not None and due < received_at:
            sub.warnings.add("late_on_arrival", due=due.isoformat(timespec="minutes"))
    return analysis


def as_json(a: Analysis) -> dict:
    """The `toasoan inspect` contract (architecture.md): these keys are never renamed."""
    sub, mail = a.submission, a.mail
    doc = sub.document if sub and sub.document else None
    return {
        "kind": a.kind,
        "reason": a.reason or None,
        "code": a.code,
        "sender": {"address": mail.sender_address, "name": mail.sender_name, "role": a.role},
        "subject": mail.subject,
        "message_id": mail.message_id,
        "title": sub.title if sub else None,
        "category": sub.category if sub else None,
        "urgency": sub.urgency if sub else None,
        "secrecy": sub.secrecy if sub else None,
        "held": sub.held_reason if sub else None,
        "author": sub.author if sub else None,
        "source": sub.source if sub else None,
        "department": sub.department if sub else None,
        "document": doc,
        "question": a.question.as_json() if a.question else None,
        "deadline": a.deadline.as_json() if a.deadline is not None else None,
        "body_html": sub.body_html if sub else None,
        "attachments": a.attachments,
        "command": {
            "action": a.command.action if a.command else None,
            "reason": (a.command.reason or None) if a.command else None,
            "draft_key": a.draft_key,
            "revision": a.key.revision if a.key else None,
            "key_valid": a.key_valid,
            "at": a.command.at.isoformat() if a.command and a.command.at else None,
        }
        if a.kind == "reply"
        else None,
        "warnings": a.warnings,
        "warning_codes": a.warning_codes,
        "reply_signals": a.reply_signals,
    }
