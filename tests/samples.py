"""Test documents and mails built the way departments and editors really send them."""

from __future__ import annotations

import io
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm
from PIL import Image

DOCX_TYPE = ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document")


def png(width: int = 64, height: int = 48, color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "PNG")
    return out.getvalue()


def jpeg(width: int = 64, height: int = 48) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (20, 120, 40)).save(out, "JPEG")
    return out.getvalue()


def news_docx() -> bytes:
    """A department's news article: heading, emphasis, lists, a table with a header row, and a photo."""
    doc = Document()
    doc.add_heading("Hội nghị tổng kết công tác văn hóa năm 2026", level=1)
    p = doc.add_paragraph("Sáng ngày 20/11/2026, ")
    p.add_run("UBND thị trấn Kép").bold = True
    p.add_run(" tổ chức hội nghị ")
    p.add_run("tổng kết").italic = True
    p.add_run(" công tác văn hóa - xã hội.")
    doc.add_heading("Kết quả nổi bật", level=2)
    doc.add_paragraph("Xây dựng 12 khu dân cư văn hóa", style="List Bullet")
    doc.add_paragraph("Tổ chức 5 giải thể thao", style="List Bullet")
    doc.add_paragraph("Đánh giá kết quả", style="List Number")
    doc.add_paragraph("Khen thưởng tập thể", style="List Number")
    table = doc.add_table(rows=3, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "Chỉ tiêu", "Kết quả"
    table.rows[1].cells[0].text, table.rows[1].cells[1].text = "Gia đình văn hóa", "95%"
    table.rows[2].cells[0].text, table.rows[2].cells[1].text = "Khu dân cư văn hóa", "12/14"
    tr_pr = table.rows[0]._tr.get_or_add_trPr()
    from docx.oxml import OxmlElement

    tr_pr.append(OxmlElement("w:tblHeader"))
    doc.add_picture(io.BytesIO(png()), width=Cm(4))
    doc.inline_shapes[0]._inline.docPr.set("descr", "Quang cảnh hội nghị")
    end = doc.add_paragraph("Tin, ảnh: Nguyễn Thị Hoa")
    end.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def submission(
    sender: str,
    to: str,
    subject: str,
    body: str = "Kính gửi Ban biên tập,\nXin gửi tin bài.",
    docx: bytes | None = None,
    filename: str = "Tin hội nghị tổng kết.docx",
    name: str = "Công chức VH-XH",
    extra: list[tuple[bytes, str, str, str]] = (),
) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"{name} <{sender}>"
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime.now().astimezone())
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2])
    msg.set_content(body)
    if docx is not None:
        msg.add_attachment(docx, maintype=DOCX_TYPE[0], subtype=DOCX_TYPE[1], filename=filename)
    for data, maintype, subtype, fname in extra:
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=fname)
    return bytes(msg)


def reply(original: bytes, sender: str, name: str, text: str, style: str = "gmail") -> bytes:
    """A reply to one of our notifications, quoting it the way Gmail or Outlook does in Vietnamese."""
    from email import message_from_bytes, policy

    orig = message_from_bytes(original, policy=policy.default)
    body = orig.get_body(("plain",)).get_content()
    quoted = "\n".join("> " + line for line in body.splitlines())
    msg = EmailMessage()
    msg["From"] = f"{name} <{sender}>"
    msg["To"] = str(orig["Reply-To"] or orig["From"])
    msg["Subject"] = ("Re: " if style == "gmail" else "TL: ") + str(orig["Subject"])
    msg["Date"] = format_datetime(datetime.now().astimezone())
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2])
    msg["In-Reply-To"] = str(orig["Message-ID"])
    msg["References"] = " ".join(filter(None, [str(orig.get("References") or ""), str(orig["Message-ID"])])).strip()
    if style == "gmail":
        msg.set_content(
            f"{text}\n\nVào Th 2, 23 thg 11, 2026 lúc 08:15 Ban biên tập "
            f"<{orig['From'].addresses[0].addr_spec}> đã viết:\n{quoted}\n"
        )
    else:
        msg.set_content(
            f"{text}\n\n________________________________\nTừ: {orig['From']}\n"
            "Đã gửi: Thứ Hai, 23 tháng 11, 2026 8:15 SA\n"
            f"Đến: {orig['To']}\nChủ đề: {orig['Subject']}\n\n{body}\n"
        )
    return bytes(msg)
