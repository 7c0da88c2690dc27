"""Every refusal and every warning intake can give, as data: one table, code → Vietnamese template (and
English), whether and how often the sender is answered, and how it is logged.

Intake returns codes with their values (Analysis.code, Analysis.warning_codes); the texts the sender and
the board read, and the README's list of refusals, come from here. Modelled on Discourse's
lib/email/processor.rb, where one map from error to template decides every rejection mail, and a silent
entry (answer = "never") prevents mail loops.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass


@dataclass(frozen=True)
class Notice:
    vi: str
    en: str
    answer: str = "hourly"  # refusals: "hourly" (one explanation an hour per sender), "never", or "each" (a
    #                          board member's command that changes nothing is answered every time)
    level: int = logging.WARNING


REFUSALS: dict[str, Notice] = {
    "message_too_large": Notice(
        "thư quá lớn ({size}; tối đa {limit}); xin gửi tệp nhỏ hơn hoặc chia thành nhiều thư",
        "the message is too large ({size}; at most {limit}); please send smaller files or several messages",
    ),
    "no_sender": Notice(
        "thư không có địa chỉ người gửi hợp lệ (From)",
        "the message has no valid sender address (From)",
        answer="never",
    ),
    "empty": Notice("thư không có nội dung và không có tệp đính kèm", "the message has no text and no attachment"),
    "too_many_attachments": Notice(
        "quá nhiều tệp đính kèm ({count}; tối đa {limit})", "too many attachments ({count}; at most {limit})"
    ),
    "attachment_too_large": Notice(
        "tệp {name} quá lớn ({size}; tối đa {limit})", "the file {name} is too large ({size}; at most {limit})"
    ),
    "forbidden_type": Notice(
        "tệp {name} thuộc loại không được tiếp nhận ({what})", "the file {name} is of a type we do not accept ({what})"
    ),
    "macros": Notice(
        "{name}: tệp có macro, không được tiếp nhận; xin lưu thành .docx thường rồi gửi lại",
        "{name}: the file contains macros; please save it as a plain .docx and send it again",
    ),
    "archive_broken": Notice("{name}: tệp nén bị hỏng, không mở được", "{name}: the archive is damaged"),
    "archive_bomb": Notice(
        "{name}: tệp nén giãn ra quá lớn (nghi là tệp độc hại)",
        "{name}: the archive expands too far (suspected to be malicious)",
    ),
    "nested_archive": Notice(
        "{name}: tệp nén chứa tệp nén khác ({inner}); xin gửi trực tiếp các tệp",
        "{name}: the archive contains another archive ({inner}); please send the files themselves",
    ),
    "xml_doctype": Notice(
        "{name}: tài liệu chứa khai báo DOCTYPE/ENTITY ({part}), tài liệu Word bình thường không có",
        "{name}: the document declares a DOCTYPE or entity ({part}), which no ordinary Word file does",
    ),
    "header_too_large": Notice(
        "phần đầu thư quá lớn ({size}; tối đa {limit})", "the message's header is too large ({size}; at most {limit})"
    ),
    "header_line_too_long": Notice(
        "một dòng tiêu đề thư quá dài ({size}; tối đa {limit})", "a header line is too long ({size}; at most {limit})"
    ),
    "too_many_parts": Notice("thư có quá nhiều phần (hơn {limit})", "the message has too many parts (over {limit})"),
    "too_deep": Notice(
        "cấu trúc thư lồng nhau quá sâu (hơn {limit} cấp)", "the message is nested too deeply (over {limit} levels)"
    ),
    "reply_no_draft": Notice(
        "thư có dạng trả lời nhưng không ứng với bài hay câu hỏi nào của Ban biên tập; nếu muốn gửi tin bài, "
        "xin gửi một thư mới kèm nội dung hoặc tệp",
        "the message reads as a reply but answers none of the board's items; to send an article, please "
        "write a new message with its text or file",
    ),
    "assign_not_allowed": Notice(
        "Vai trò “{role}” không được giao bài; theo {article}, việc phân công do {roles} thực hiện",
        "the role “{role}” may not assign items; under {article}, assignments are made by {roles}",
        answer="each",
    ),
    "assign_unknown_member": Notice(
        "Không tìm thấy thành viên “{name}” trong Ban biên tập; xin trả lời “Giao: <họ tên, địa chỉ thư hoặc tên "
        "đăng nhập>” với một trong: {members}",
        "no board member “{name}”; please reply “Assign: <name, address or user name>” with one of: {members}",
        answer="each",
    ),
    "assign_closed": Notice(
        "Bài {key} đang ở trạng thái “{status}”; chỉ giao được bài chưa được quyết định",
        "item {key} is “{status}”; only items not yet decided can be assigned",
        answer="each",
    ),
    "reply_no_draft_board": Notice(
        "không tìm thấy bản thảo nào ứng với thư trả lời này; để quyết định, xin bấm Trả lời ngay trên thư "
        "“Cần duyệt” của bài (giữ địa chỉ trả lời bbt+… hoặc mã [TS…] trong tiêu đề)",
        "no draft matches this reply; to decide, please press Reply on the item's “Cần duyệt” mail (keep the "
        "bbt+… reply address or the [TS…] code in the subject)",
    ),
    "unreadable_message": Notice(
        "không đọc được thư ({reason})", "the message could not be read ({reason})", level=logging.ERROR
    ),
}

WARNINGS: dict[str, Notice] = {
    "forwarded": Notice(
        "thư chuyển tiếp; bản gốc của {who}{note}", "forwarded message; the original is from {who}{note}"
    ),
    "office_unavailable": Notice(
        "{name}: {reason}; tệp được đính kèm để tải về", "{name}: {reason}; the file is attached for download"
    ),
    "document_unreadable": Notice(
        "không đọc được nội dung {name} ({reason}); tệp được đính kèm",
        "the content of {name} could not be read ({reason}); the file is attached",
    ),
    "document_note": Notice("{text}", "{text}"),
    "document_object_removed": Notice(
        "{name}: đã bỏ {count} đối tượng nhúng (OLE) trong tài liệu; chỉ giữ ảnh xem trước",
        "{name}: {count} embedded (OLE) objects removed; only their preview pictures are kept",
    ),
    "document_altchunk_removed": Notice(
        "{name}: đã bỏ {count} đoạn HTML/RTF nhúng (altChunk) trong tài liệu",
        "{name}: {count} embedded HTML/RTF chunks (altChunk) removed",
    ),
    "document_remote_image_removed": Notice(
        "{name}: đã bỏ {count} ảnh lấy từ máy chủ bên ngoài (liên kết ngoài)",
        "{name}: {count} images loaded from outside servers removed",
    ),
    "document_link_removed": Notice(
        "{name}: đã bỏ {count} liên kết không an toàn ({schemes}); giữ lại chữ",
        "{name}: {count} unsafe links removed ({schemes}); their text is kept",
    ),
    "document_embedded_removed": Notice(
        "{name}: đã bỏ {count} tệp nhúng trong tài liệu ({parts})",
        "{name}: {count} files embedded in the document removed ({parts})",
    ),
    "image_converted": Notice(
        "ảnh {name} đã được chuyển sang {format} để trình duyệt hiển thị được",
        "the picture {name} was converted to {format} so that browsers can show it",
    ),
    "image_metadata_removed": Notice(
        "ảnh {name}: đã xóa thông tin kèm theo (EXIF{gps})", "picture {name}: its metadata (EXIF{gps}) was removed"
    ),
    "image_dropped": Notice("đã bỏ ảnh {name}: {reason}", "the picture {name} was dropped: {reason}"),
    "images_over_limit": Notice(
        "tài liệu có {count} ảnh; chỉ giữ {limit} ảnh đầu",
        "the document has {count} pictures; the first {limit} are kept",
    ),
    "pdf_unreadable": Notice(
        "{name}: không đọc được chữ trong PDF ({reason})", "{name}: the PDF's text could not be read ({reason})"
    ),
    "pdf_scanned": Notice(
        "{name} là bản quét (không có chữ): người đọc chỉ tải được tệp",
        "{name} is a scan (no text): readers can only download it",
    ),
    "pdf_active": Notice(
        "{name}: PDF có nội dung chủ động ({what}); không đăng tệp lên trang, chỉ giữ chữ",
        "{name}: the PDF has active content ({what}); the file is not published, only its text",
    ),
    "active_dropped": Notice(
        "đã bỏ tệp {name}: {what} có thể chứa mã chạy được, không đăng lên trang",
        "the file {name} was dropped: {what} can carry code, it is not published",
    ),
    "not_published_type": Notice(
        "tệp {name} ({what}) không thuộc loại được đăng để tải về; chỉ lưu trong hồ sơ",
        "the file {name} ({what}) is not a type offered for download; kept in the record only",
    ),
    "filename_changed": Notice(
        "tên tệp “{original}” đã được đổi thành “{name}” cho an toàn",
        "the file name “{original}” was changed to “{name}” to be safe",
    ),
    "html_removed": Notice("nội dung thư: đã bỏ {what} không an toàn", "the message's content: unsafe {what} removed"),
    "unknown_charset": Notice(
        "thư khai báo bảng mã không biết ({charset}); đã đọc như UTF-8/Windows-1258, xin kiểm tra chữ",
        "the message declares an unknown charset ({charset}); read as UTF-8/Windows-1258, please check the text",
    ),
    "utf7_decoded": Notice(
        "thư viết bằng bảng mã UTF-7 (cũ) đã được giải mã", "the message's UTF-7 text (an old charset) was decoded"
    ),
    "time_budget": Notice(
        "đã hết thời gian xử lý dành cho thư; {name} không được đọc",
        "the time for this message ran out; {name} was not read",
    ),
    "no_diacritics": Notice(
        "văn bản viết tiếng Việt không dấu; quy chế yêu cầu tiếng Việt có dấu (Unicode TCVN 6909:2001)",
        "the text is Vietnamese typed without diacritics; the rules require accented Vietnamese (TCVN 6909:2001)",
    ),
    "unknown_sender": Notice(
        "người gửi {address} không có trong danh sách đơn vị của trang",
        "the sender {address} is not in the site's list of departments",
    ),
    "late_on_arrival": Notice(
        "đã quá hạn đăng theo quy chế ngay khi nhận (hạn {due})", "already past its deadline on arrival (due {due})"
    ),
    "website_not_a_recipient": Notice(
        "văn bản do đơn vị ban hành nhưng mục Nơi nhận không ghi “- Website” ({article})",
        "a document of the site's own issuer whose recipients do not include “- Website” ({article})",
    ),
}


def text(code: str, values: dict | None = None, language: str = "vi") -> str:
    notice = REFUSALS.get(code) or WARNINGS[code]
    return (notice.en if language == "en" else notice.vi).format(**(values or {}))


def readme_table() -> str:
    """The README's list of refusals, generated from the table (tests/test_refusals.py keeps them equal)."""
    rows = ["| code | lý do (gửi người gửi) | reason | answered |", "|---|---|---|---|"]
    for code, notice in REFUSALS.items():
        answered = {"hourly": "once an hour", "each": "each time (board members)"}.get(notice.answer, "never")
        rows.append(f"| `{code}` | {notice.vi} | {notice.en} | {answered} |")
    return "\n".join(rows)
