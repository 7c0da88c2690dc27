"""Every refusal and every warning intake can give, as data: one table, code → Vietnamese template (a
msgid of the catalogs, translated per site by newsroom/i18n.py), whether and how often the sender is
answered, and how it is logged.

Intake returns codes with their values (Analysis.code, Analysis.warning_codes); the texts the sender and
the board read, and the README's list of refusals, come from here. Modelled on Discourse's
lib/email/processor.rb, where one map from error to template decides every rejection mail, and a silent
entry (answer = "never") prevents mail loops.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from newsroom.i18n import N_, gettext


@dataclass(frozen=True)
class Notice:
    message: str  # Vietnamese, with {placeholders}; the catalogs translate it
    terms: tuple[str, ...] = ()  # values that are catalog texts themselves (or lists of them, joined by ", ")
    answer: str = "hourly"  # refusals: "hourly" (one explanation an hour per sender), "never", or "each" (a
    #                          board member's command that changes nothing is answered every time)
    level: int = logging.WARNING


REFUSALS: dict[str, Notice] = {
    "message_too_large": Notice(
        N_("thư quá lớn ({size}; tối đa {limit}); xin gửi tệp nhỏ hơn hoặc chia thành nhiều thư"),
    ),
    "no_sender": Notice(
        N_("thư không có địa chỉ người gửi hợp lệ (From)"),
        answer="never",
    ),
    "empty": Notice(N_("thư không có nội dung và không có tệp đính kèm")),
    "too_many_attachments": Notice(N_("quá nhiều tệp đính kèm ({count}; tối đa {limit})")),
    "attachment_too_large": Notice(N_("tệp {name} quá lớn ({size}; tối đa {limit})")),
    "forbidden_type": Notice(N_("tệp {name} thuộc loại không được tiếp nhận ({what})")),
    "macros": Notice(
        N_("{name}: tệp có macro, không được tiếp nhận; xin lưu thành .docx thường rồi gửi lại"),
    ),
    "archive_broken": Notice(N_("{name}: tệp nén bị hỏng, không mở được")),
    "archive_bomb": Notice(
        N_("{name}: tệp nén giãn ra quá lớn (nghi là tệp độc hại)"),
    ),
    "nested_archive": Notice(
        N_("{name}: tệp nén chứa tệp nén khác ({inner}); xin gửi trực tiếp các tệp"),
    ),
    "xml_doctype": Notice(
        N_("{name}: tài liệu chứa khai báo DOCTYPE/ENTITY ({part}), tài liệu Word bình thường không có"),
    ),
    "header_too_large": Notice(N_("phần đầu thư quá lớn ({size}; tối đa {limit})")),
    "header_line_too_long": Notice(N_("một dòng tiêu đề thư quá dài ({size}; tối đa {limit})")),
    "too_many_parts": Notice(N_("thư có quá nhiều phần (hơn {limit})")),
    "too_deep": Notice(N_("cấu trúc thư lồng nhau quá sâu (hơn {limit} cấp)")),
    "reply_no_draft": Notice(
        N_(
            "thư có dạng trả lời nhưng không ứng với bài hay câu hỏi nào của Ban biên tập; nếu muốn gửi tin bài, "
            "xin gửi một thư mới kèm nội dung hoặc tệp"
        ),
    ),
    "assign_not_allowed": Notice(
        N_("Vai trò “{role}” không được giao bài; theo {article}, việc phân công do {roles} thực hiện"),
        answer="each",
    ),
    "assign_unknown_member": Notice(
        N_(
            "Không tìm thấy thành viên “{name}” trong Ban biên tập; xin trả lời “Giao: <họ tên, địa chỉ thư hoặc "
            "tên đăng nhập>” với một trong: {members}"
        ),
        answer="each",
    ),
    "assign_closed": Notice(
        N_("Bài {key} đang ở trạng thái “{status}”; chỉ giao được bài chưa được quyết định"),
        answer="each",
    ),
    "reply_no_draft_board": Notice(
        N_(
            "không tìm thấy bản thảo nào ứng với thư trả lời này; để quyết định, xin bấm Trả lời ngay trên thư "
            "“Cần duyệt” của bài (giữ địa chỉ trả lời bbt+… hoặc mã [TS…] trong tiêu đề)"
        ),
    ),
    "unreadable_message": Notice(N_("không đọc được thư ({reason})"), level=logging.ERROR),
}

WARNINGS: dict[str, Notice] = {
    "forwarded": Notice(N_("thư chuyển tiếp; bản gốc của {who}{note}")),
    "office_unavailable": Notice(N_("{name}: {reason}; tệp được đính kèm để tải về")),
    "document_unreadable": Notice(
        N_("không đọc được nội dung {name} ({reason}); tệp được đính kèm"),
    ),
    "legacy_font": Notice(
        N_("văn bản gõ bằng phông cũ ({fonts}) đã được chuyển sang Unicode; xin kiểm tra lại chính tả")
    ),
    "image_format": Notice(N_("ảnh {number} ở định dạng {type}, trình duyệt không hiển thị được")),
    "document_object_removed": Notice(
        N_("{name}: đã bỏ {count} đối tượng nhúng (OLE) trong tài liệu; chỉ giữ ảnh xem trước"),
    ),
    "document_altchunk_removed": Notice(
        N_("{name}: đã bỏ {count} đoạn HTML/RTF nhúng (altChunk) trong tài liệu"),
    ),
    "document_remote_image_removed": Notice(
        N_("{name}: đã bỏ {count} ảnh lấy từ máy chủ bên ngoài (liên kết ngoài)"),
    ),
    "document_link_removed": Notice(
        N_("{name}: đã bỏ {count} liên kết không an toàn ({schemes}); giữ lại chữ"),
    ),
    "document_embedded_removed": Notice(
        N_("{name}: đã bỏ {count} tệp nhúng trong tài liệu ({parts})"),
    ),
    "image_converted": Notice(
        N_("ảnh {name} đã được chuyển sang {format} để trình duyệt hiển thị được"),
    ),
    "image_metadata_removed": Notice(N_("ảnh {name}: đã xóa thông tin kèm theo (EXIF{gps})"), terms=("gps",)),
    "image_dropped": Notice(N_("đã bỏ ảnh {name}: {reason}")),
    "images_over_limit": Notice(
        N_("tài liệu có {count} ảnh; chỉ giữ {limit} ảnh đầu"),
    ),
    "pdf_unreadable": Notice(N_("{name}: không đọc được chữ trong PDF ({reason})")),
    "pdf_scanned": Notice(
        N_("{name} là bản quét (không có chữ): người đọc chỉ tải được tệp"),
    ),
    "pdf_active": Notice(
        N_("{name}: PDF có nội dung chủ động ({what}); không đăng tệp lên trang, chỉ giữ chữ"),
        terms=("what",),
    ),
    "active_dropped": Notice(
        N_("đã bỏ tệp {name}: {what} có thể chứa mã chạy được, không đăng lên trang"),
        terms=("what",),
    ),
    "not_published_type": Notice(
        N_("tệp {name} ({what}) không thuộc loại được đăng để tải về; chỉ lưu trong hồ sơ"),
    ),
    "filename_changed": Notice(
        N_("tên tệp “{original}” đã được đổi thành “{name}” cho an toàn"),
    ),
    "html_removed": Notice(N_("nội dung thư: đã bỏ {what} không an toàn"), terms=("what",)),
    "unknown_charset": Notice(
        N_("thư khai báo bảng mã không biết ({charset}); đã đọc như UTF-8/Windows-1258, xin kiểm tra chữ"),
    ),
    "utf7_decoded": Notice(N_("thư viết bằng bảng mã UTF-7 (cũ) đã được giải mã")),
    "time_budget": Notice(
        N_("đã hết thời gian xử lý dành cho thư; {name} không được đọc"),
    ),
    "pictures_time_budget": Notice(
        N_("đã hết thời gian xử lý dành cho thư; {count} ảnh trong {name} không được đọc"),
    ),
    "no_diacritics": Notice(
        N_("văn bản viết tiếng Việt không dấu; quy chế yêu cầu tiếng Việt có dấu (Unicode TCVN 6909:2001)"),
    ),
    "unknown_sender": Notice(
        N_("người gửi {address} không có trong danh sách đơn vị của trang"),
    ),
    "late_on_arrival": Notice(N_("đã quá hạn đăng theo quy chế ngay khi nhận (hạn {due})")),
    "website_not_a_recipient": Notice(
        N_("văn bản do đơn vị ban hành nhưng mục Nơi nhận không ghi “- Website” ({article})"),
    ),
}


def text(code: str, values: dict | None = None, language: str = "vi") -> str:
    notice = REFUSALS.get(code) or WARNINGS[code]
    _ = gettext(language)
    values = dict(values or {})
    for name in notice.terms:  # "biểu mẫu, ảnh SVG", ", cả vị trí GPS": each part is a msgid
        values[name] = ", ".join(_(part) if part else part for part in str(values.get(name, "")).split(", "))
    return _(notice.message).format(**values)


def readme_table() -> str:
    """The README's list of refusals, generated from the table (tests/test_refusals.py keeps them equal)."""
    rows = ["| code | lý do (gửi người gửi) | reason | answered |", "|---|---|---|---|"]
    for code, notice in REFUSALS.items():
        answered = {"hourly": "once an hour", "each": "each time (board members)"}.get(notice.answer, "never")
        rows.append(f"| `{code}` | {notice.message} | {gettext('en')(notice.message)} | {answered} |")
    return "\n".join(rows)
