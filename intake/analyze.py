"""What intake makes of one message, without touching a mailbox, the database or the CMS.

The daemon and ``toasoan inspect`` share this, so what inspect prints is what the daemon does.
"""

from __future__ import annotations

import html as htmllib
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import lxml.html

from intake import classify, document, events, forward, media, office, questions, replies, secrecy, vietnamese
from intake.docx_html import docx_to_html
from intake.message import Attachment, Mail, parse, size_text
from intake.sandbox import SANDBOX, ParseLimit
from intake.sanitize import sanitize
from newsroom import replykey, secret_rotation
from newsroom.settings import Settings
from newsroom.submission import FileData, Submission

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".gif", ".webp", ".tif", ".tiff", ".bmp", ".heic"}
REFUSED_TYPES = {
    ".docm",
    ".dotm",
    ".xlsm",
    ".pptm",
    ".exe",
    ".bat",
    ".cmd",
    ".js",
    ".vbs",
    ".scr",
    ".com",
    ".msi",
}
ZIPPED = {".docx", ".xlsx", ".pptx", ".odt", ".ods", ".odp", ".zip", ".epub"}
MAX_UNZIPPED = 200 * 1024 * 1024
MAX_RATIO = 100
REPLY_PREFIX = re.compile(r"^\s*(re|tl|trả lời|aw|sv|antw)\s*:", re.IGNORECASE)
TRACKING_TAG = re.compile(r"\[(TS\d{5,}|HD\d{5,}|Nhắc hạn)\]", re.IGNORECASE)
SUBJECT_PREFIX = re.compile(r"^\s*((re|fw|fwd|tl|trả lời|chuyển tiếp|tl|ct)\s*:\s*)+", re.IGNORECASE)

NOT_A_DEPARTMENT = "người gửi"  # the warning about a sender outside the roster; not said of a citizen
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


def _zip_problem(data: bytes) -> str | None:
    """Checks an Office file's zip before any parser expands it."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            total = sum(i.file_size for i in zf.infolist())
            names = {i.filename for i in zf.infolist()}
    except zipfile.BadZipFile:
        return "tệp nén bị hỏng, không mở được"
    if total > MAX_UNZIPPED or (total > MAX_RATIO * max(len(data), 1) and total > 10 * 1024 * 1024):
        return "tệp nén giãn ra quá lớn (nghi là tệp độc hại)"
    if any(name.lower().endswith("vbaproject.bin") or name.startswith("Basic/") for name in names):
        return "tệp có macro, không được tiếp nhận"
    return None


def _text_to_html(text: str) -> str:
    paras = [p.strip() for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    return "".join("<p>" + htmllib.escape(p).replace("\n", "<br>") + "</p>" for p in paras)


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


def _fragment(html: str) -> lxml.html.HtmlElement:
    """The sanitised body as one tree (lxml's HTML parser, in C), read for its text, its emptiness and
    the preview."""
    return lxml.html.fragment_fromstring(html, create_parent="div") if html else lxml.html.Element("div")


def _inner_html(tree: lxml.html.HtmlElement) -> str:
    return htmllib.escape(tree.text or "", quote=False) + "".join(
        lxml.html.tostring(child, encoding="unicode") for child in tree
    )


BYLINE = re.compile(
    r"^\s*(tác giả|tin,? ảnh|tin và ảnh|bài,? ảnh|bài và ảnh|tin|bài|ảnh)\s*:\s*(.{2,80})$",
    re.IGNORECASE | re.MULTILINE,
)
SOURCE = re.compile(r"^\s*nguồn\s*:\s*(.{2,120})$", re.IGNORECASE | re.MULTILINE)


def _submission(settings: Settings, mail: Mail, analysis: Analysis) -> Submission | None:
    body_html, text, headings, files, warnings = "", "", [], [], []
    docx_done = text_from_body = False
    pdf_texts: list[str] = []
    forwarded = forward.unwrap(mail)
    if forwarded is not None:
        who = forwarded.sender_name or forwarded.sender_address or "không rõ"
        note = f"; lời nhắn: “{forwarded.note[:200]}”" if forwarded.note else ""
        warnings.append(f"thư chuyển tiếp; bản gốc của {who}{note}")
    for att in mail.attachments:
        if att.content_type == "message/rfc822":
            continue  # its document and text are read from the forward itself
        ext = "." + att.filename.rsplit(".", 1)[-1].lower() if "." in att.filename else ""
        use = "download"
        if ext in REFUSED_TYPES:
            analysis.kind, analysis.reason = (
                "refused",
                f"tệp {att.filename} thuộc loại không được tiếp nhận ({ext})",
            )
            return None
        if len(att.data) > settings.max_attachment_bytes:
            analysis.kind = "refused"
            limit = size_text(settings.max_attachment_bytes)
            analysis.reason = f"tệp {att.filename} quá lớn ({size_text(len(att.data))}; tối đa {limit})"
            return None
        if ext in ZIPPED or att.data[:4] == b"PK\x03\x04":
            problem = _zip_problem(att.data)
            if problem:
                analysis.kind, analysis.reason = "refused", f"{att.filename}: {problem}"
                return None
        document_data = att.data
        if ext in office.CONVERTIBLE and not docx_done:
            try:
                document_data = office.to_docx(att.data, att.filename)
            except RuntimeError as exc:
                warnings.append(f"{att.filename}: {exc}; tệp được đính kèm để tải về")
                files.append(FileData(att.filename, att.content_type, att.data, "download"))
                continue
        if _is_docx(att) or document_data is not att.data:
            if not docx_done:
                try:
                    conv = SANDBOX.run(docx_to_html, document_data)
                except Exception as exc:  # unreadable, or over the time and memory limits: passed on, for download
                    warnings.append(f"không đọc được nội dung {att.filename} ({type(exc).__name__}); tệp được đính kèm")
                    files.append(FileData(att.filename, att.content_type, att.data, "download"))
                    continue
                body_html, text, headings = conv.html, conv.text, conv.headings
                warnings += conv.warnings
                for ref, name, ctype, data in conv.images:
                    files.append(FileData(name, ctype, data, "image", ref))
                docx_done, use = True, "body"
        elif att.content_type.startswith("image/") or ext in IMAGE_EXTENSIONS:
            try:
                cleaned = media.clean_image(att.data, att.filename)
            except ValueError as exc:
                warnings.append(str(exc))
            else:
                warnings += cleaned.warnings
                files.append(
                    FileData(cleaned.filename, cleaned.content_type, cleaned.data, "image", att.content_id or None)
                )
                continue
        elif att.content_type == "application/pdf" or ext == ".pdf":
            try:
                text_of_pdf = SANDBOX.run(media.pdf_text, att.data)
            except (ValueError, ParseLimit) as exc:
                warnings.append(f"{att.filename}: {exc}")
            else:
                if not text_of_pdf:
                    warnings.append(f"{att.filename} là bản quét (không có chữ): người đọc chỉ tải được tệp")
                pdf_texts.append(text_of_pdf)
        files.append(FileData(att.filename, att.content_type, att.data, use, att.content_id or None))
    if not docx_done and forwarded is not None and forwarded.text:
        text = "\n\n".join(filter(None, [forwarded.text, *pdf_texts]))
        body_html = _text_to_html(text)
    elif not docx_done:
        if (not mail.text.strip() and not mail.html.strip()) or (len(mail.text.strip()) < 200 and any(pdf_texts)):
            text = "\n\n".join([mail.text.strip(), *filter(None, pdf_texts)]).strip()
            body_html = _text_to_html(text)
        elif mail.html.strip():
            body_html, text_from_body = mail.html, True  # its text is read from the sanitised tree below
        else:
            text = mail.text
            body_html = _text_to_html(mail.text)
    referenced = set(re.findall(r'src="cid:([^"]+)"', body_html))
    for f in files:
        if f.use == "image" and f.ref not in referenced:
            body_html += f'<figure><img src="cid:{f.ref or f.filename}" alt="{htmllib.escape(f.filename)}"></figure>'
            f.ref = f.ref or f.filename
    body_html = sanitize(body_html).strip()
    tree = _fragment(body_html)
    if text_from_body:
        text = "\n".join(tree.itertext())
    if not "".join(tree.itertext()).strip() and not files:
        analysis.kind, analysis.reason = "refused", "thư không có nội dung và không có tệp đính kèm"
        return None
    if vietnamese.has_no_diacritics(text):
        warnings.append("văn bản viết tiếng Việt không dấu; quy chế yêu cầu tiếng Việt có dấu (Unicode TCVN 6909:2001)")
    subject_and_text = f"{mail.subject}\n{text}"
    category = classify.category_of(mail.subject, text, settings.default_category)
    read = {"thư": mail.text, "tài liệu": text, **{f"tệp PDF {i + 1}": t for i, t in enumerate(pdf_texts)}}
    level, stamp_place = secrecy.stamp(mail.subject, read)
    urgency = classify.urgency_of(mail.subject, text)
    doc = document.extract(text)
    department = settings.department_of(mail.sender_address)
    if analysis.role == "unknown" and settings.departments:
        warnings.append(f"{NOT_A_DEPARTMENT} {mail.sender_address} không có trong danh sách đơn vị của trang")
    original = (forwarded.sender_name or forwarded.sender_address) if forwarded else None
    author = m[2].strip() if (m := BYLINE.search(text)) else (original or mail.sender_name or None)
    source = (
        m[1].strip()
        if (m := SOURCE.search(subject_and_text))
        else (original or (department.name if department else (mail.sender_name or None)))
    )
    held = None
    if level != "none":
        held = (
            f"tài liệu có dấu {secrecy.name_of(level)} ({stamp_place}): không được đăng lên trang, không được "
            f"chuyển nội dung qua thư (quy chế cấm đăng, cung cấp bí mật nhà nước)"
        )
    for img in list(tree.iter("img")):  # the preview says where a picture is; mail clients block cid: images
        label = lxml.html.Element("span")
        label.text, label.tail = f"[ảnh: {img.get('alt') or 'không có mô tả'}]", img.tail
        img.getparent().replace(img, label)
    preview_text = re.sub(r"\n{3,}", "\n\n", "\n".join(tree.itertext())).strip()[:3000]
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


def analyze(
    raw: bytes,
    settings: Settings,
    received_at: datetime,
    deadline_fn: DeadlineFn | None = None,
    thread_ids: Callable[[list[str]], bool] | None = None,
) -> Analysis:
    """``thread_ids`` tells whether any of the given Message-IDs is one we sent (the daemon asks its store)."""
    mail = parse(raw)
    analysis = Analysis(kind="submission", mail=mail, role=sender_role(settings, mail.sender_address))
    if len(raw) > settings.max_message_bytes:
        analysis.kind = "refused"
        analysis.reason = f"thư quá lớn ({size_text(len(raw))}; tối đa {size_text(settings.max_message_bytes)})"
        return analysis
    auto = classify.automatic(mail)
    if not mail.sender_address and not auto:
        analysis.kind, analysis.reason = "refused", "thư không có địa chỉ người gửi hợp lệ (From)"
        return analysis
    if auto:
        analysis.kind, analysis.reason = auto
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
            and all(any(replykey.verify(secret, k) for secret in accepted) for k in keys)
        )
        analysis.command = replies.parse_command(
            replies.reply_text(mail.text, mail.html), received_at, settings.timezone
        )
        if any(_is_docx(att) for att in mail.attachments):  # a corrected document: a new revision
            analysis.submission = _submission(settings, mail, analysis)
            if analysis.kind == "refused":
                return analysis
            analysis.kind = "reply"
        return analysis
    if len(mail.attachments) > settings.max_attachments:
        analysis.kind = "refused"
        analysis.reason = f"quá nhiều tệp đính kèm ({len(mail.attachments)}; tối đa {settings.max_attachments})"
        return analysis
    sub = _submission(settings, mail, analysis)
    if sub is None:
        return analysis
    analysis.submission = sub
    analysis.question = questions.recognize(settings, mail, sub.preview_text, analysis.role)
    if analysis.question is not None:
        analysis.kind, sub.category = "question", "qa"
        if analysis.role == "unknown":
            analysis.role = "citizen"
            sub.warnings = [w for w in sub.warnings if not w.startswith(NOT_A_DEPARTMENT)]
    analysis.warnings = sub.warnings
    analysis.attachments = [
        {"filename": f.filename, "content_type": f.content_type, "size": len(f.data), "use": f.use} for f in sub.files
    ]
    head = classify.fold(" ".join(sub.preview_text.splitlines()[:12]))
    own = any(classify.fold(name) in head for name in settings.issuer_names)
    article = settings.notices.website_recipient_article
    if article and own and sub.secrecy == "none" and sub.document.get("type") and not sub.document["for_website"]:
        sub.warnings.append(f"văn bản do đơn vị ban hành nhưng mục Nơi nhận không ghi “- Website” ({article})")
    if deadline_fn is not None:
        moments = events.read(sub.text, received_at.astimezone(ZoneInfo(settings.timezone)))
        analysis.deadline = deadline_fn(sub.category, received_at, sub.document, own, moments)
        due = analysis.deadline.due_at if analysis.deadline else None
        if due is not None and due < received_at:
            warning = f"đã quá hạn đăng theo quy chế ngay khi nhận (hạn {due.isoformat(timespec='minutes')})"
            sub.warnings.append(warning)
    return analysis


def as_json(a: Analysis) -> dict:
    """The `toasoan inspect` contract (architecture.md): these keys are never renamed."""
    sub, mail = a.submission, a.mail
    doc = sub.document if sub and sub.document else None
    return {
        "kind": a.kind,
        "reason": a.reason or None,
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
    }
