"""Test documents and mails built the way departments and editors really send them."""

from __future__ import annotations

import io
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from zoneinfo import ZoneInfo

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


def docx_with(text: str) -> bytes:
    """A document with one paragraph per line of ``text``."""
    doc = Document()
    for line in text.splitlines():
        doc.add_paragraph(line)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


# When the sample mails say they were written (their Date header); the daemon counts from the server's
# arrival time instead, which the tests set from their clock.
WRITTEN = datetime(2026, 11, 23, 8, 15, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))


def submission(
    sender: str,
    to: str,
    subject: str,
    body: str = "Kính gửi Ban biên tập,\nXin gửi tin bài.",
    docx: bytes | None = None,
    filename: str = "Tin hội nghị tổng kết.docx",
    name: str = "Công chức VH-XH",
    extra: list[tuple[bytes, str, str, str]] = (),
    date: datetime = WRITTEN,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"{name} <{sender}>"
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2])
    msg.set_content(body)
    if docx is not None:
        msg.add_attachment(docx, maintype=DOCX_TYPE[0], subtype=DOCX_TYPE[1], filename=filename)
    for data, maintype, subtype, fname in extra:
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=fname)
    return bytes(msg)


QUOTE_STYLES = {
    "gmail": "{text}\n\nVào Th 2, 23 thg 11, 2026 lúc 08:15 Ban biên tập <{frm}> đã viết:\n{quoted}\n",
    "gmail_en": "{text}\n\nOn Mon, Nov 23, 2026 at 8:15 AM Ban biên tập <{frm}> wrote:\n{quoted}\n",
    "outlook": "{text}\n\n________________________________\nTừ: Ban biên tập <{frm}>\n"
    "Đã gửi: Thứ Hai, 23 tháng 11, 2026 8:15 SA\nĐến: {to}\nChủ đề: {subject}\n\n{body}\n",
    "outlook_en": "{text}\n\n-----Original Message-----\nFrom: Ban biên tập <{frm}>\n"
    "Sent: Monday, November 23, 2026 8:15 AM\nSubject: {subject}\n\n{body}\n",
    "zimbra": '{text}\n\n----- Thư gốc -----\nTừ: "Ban biên tập" <{frm}>\nGửi: Thứ Hai, 23 Tháng 11 2026 8:15:00\n'
    "Chủ đề: {subject}\n\n{body}\n",
    "thunderbird": "{text}\n\nVào lúc 08:15 Ngày 23/11/2026, Ban biên tập đã viết:\n{quoted}\n",
    "apple": "{text}\n\n> On 23 Nov 2026, at 08:15, Ban biên tập <{frm}> wrote:\n>\n{quoted}\n",
    "iphone": "{text}\n\nGửi từ iPhone của tôi\n\n"
    "> Vào 08:15, 23 thg 11, 2026, Ban biên tập <{frm}> đã viết:\n{quoted}\n",
}


def reply(
    original: bytes,
    sender: str,
    name: str,
    text: str,
    style: str = "gmail",
    attachments: list[tuple[bytes, str, str, str]] = (),
    headers: dict[str, str] | None = None,
    date: datetime = WRITTEN,
) -> bytes:
    """A reply to one of our mails, quoting it the way a given mail client does (Vietnamese or English)."""
    from email import message_from_bytes, policy

    orig = message_from_bytes(original, policy=policy.default)
    body = orig.get_body(("plain",)).get_content()
    quoted = "\n".join("> " + line for line in body.splitlines())
    msg = EmailMessage()
    msg["From"] = f"{name} <{sender}>"
    msg["To"] = str(orig["Reply-To"] or orig["From"])
    msg["Subject"] = ("TL: " if style.startswith("outlook") else "Re: ") + str(orig["Subject"])
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2])
    msg["In-Reply-To"] = str(orig["Message-ID"])
    msg["References"] = " ".join(filter(None, [str(orig.get("References") or ""), str(orig["Message-ID"])])).strip()
    for key, value in (headers or {}).items():
        msg[key] = value
    frm = orig["From"].addresses[0].addr_spec
    if style == "html":  # Outlook on the web: HTML only, original below a rule
        msg.set_content(
            f'<html><body><div>{text}</div><div id="appendonsend"></div><hr><div id="divRplyFwdMsg">'
            f"<b>Từ:</b> Ban biên tập &lt;{frm}&gt;</div><div>{body}</div></body></html>",
            subtype="html",
        )
    else:
        msg.set_content(
            QUOTE_STYLES[style].format(
                text=text, frm=frm, quoted=quoted, body=body, to=orig["To"], subject=orig["Subject"]
            )
        )
    for data, maintype, subtype, fname in attachments:
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=fname)
    return bytes(msg)
