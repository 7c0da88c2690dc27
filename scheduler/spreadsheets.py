"""The royalty list and the period report as .xlsx (openpyxl), the way an office's accountant expects them:
Vietnamese headers, dates as dates, money as numbers in a đồng format, totals as formulas (so a corrected
coefficient in the sheet updates the sums), frozen headers and set column widths.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from newsroom.mails import STATUS_NAMES
from newsroom.royalties import RoyaltyList
from scheduler.period_report import PeriodReport

MONEY = '#,##0" đ"'
DATE = "DD/MM/YYYY"
PERCENT = "0.0%"
COEFFICIENT = "General"
BOLD = Font(bold=True)
ROYALTY_SHEET = "Nhuận bút"
ROYALTY_HEADER_ROW = 4  # title, basis, unit value, then the header
ROYALTY_COLUMNS = (  # header, width, number format
    ("STT", 6, None),
    ("Mã bài", 10, None),
    ("Tiêu đề", 48, None),
    ("Tác giả", 24, None),
    ("Đơn vị", 28, None),
    ("Ngày đăng", 12, DATE),
    ("Thể loại", 22, None),
    ("Hệ số", 8, COEFFICIENT),
    ("Số ảnh", 8, "0"),
    ("Hệ số ảnh", 10, COEFFICIENT),
    ("Tổng hệ số", 11, COEFFICIENT),
    ("Thành tiền", 16, MONEY),
    ("Người đặt hệ số", 30, None),
    ("Ghi chú", 30, None),
)


def _header(ws: Worksheet, row: int, columns: Sequence[tuple[str, int, str | None]]) -> None:
    for col, (title, width, _) in enumerate(columns, start=1):
        cell = ws.cell(row=row, column=col, value=title)
        cell.font = BOLD
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = ws.cell(row=row + 1, column=1)


def _formats(ws: Worksheet, row: int, columns: Sequence[tuple[str, int, str | None]]) -> None:
    for col, (_, _, fmt) in enumerate(columns, start=1):
        if fmt:
            ws.cell(row=row, column=col).number_format = fmt


def royalty_sheet(ws: Worksheet, royalties: RoyaltyList, title: str) -> None:
    """One row per published item; total coefficient and amount are formulas over the unit value in D3."""
    ws.title = ROYALTY_SHEET
    ws["A1"] = title
    ws["A1"].font = Font(bold=True, size=13)
    ws["A2"] = f"Căn cứ: {royalties.article}"
    ws["A3"] = "Giá trị một hệ số"
    ws["D3"] = royalties.unit_value
    ws["D3"].number_format = MONEY
    _header(ws, ROYALTY_HEADER_ROW, ROYALTY_COLUMNS)
    first = ROYALTY_HEADER_ROW + 1
    for i, item in enumerate(royalties.rows):
        r = first + i
        values = (
            i + 1,
            item.key,
            item.title,
            item.author,
            item.unit,
            item.published_on,
            item.genre or "—",
            item.coefficient,
            item.photos,
            item.photo_coefficient,
            f"=H{r}+I{r}*J{r}",
            f"=ROUND(K{r}*$D$3,0)",
            item.set_by,
            item.note,
        )
        for col, value in enumerate(values, start=1):
            ws.cell(row=r, column=col, value=value)
        _formats(ws, r, ROYALTY_COLUMNS)
    total = first + len(royalties.rows)
    last = max(total - 1, first)
    ws.cell(row=total, column=3, value="Tổng cộng").font = BOLD
    ws.cell(row=total, column=2, value=f"=COUNTA(B{first}:B{last})" if royalties.rows else 0)
    ws.cell(row=total, column=11, value=f"=SUM(K{first}:K{last})")
    ws.cell(row=total, column=12, value=f"=SUM(L{first}:L{last})")
    _formats(ws, total, ROYALTY_COLUMNS)
    for col in (11, 12):
        ws.cell(row=total, column=col).font = BOLD


def author_sheet(ws: Worksheet, royalties: RoyaltyList) -> None:
    """Per author and unit: items and amount, as formulas over the royalty sheet."""
    ws.title = "Theo tác giả"
    columns = (("Tác giả", 28, None), ("Đơn vị", 30, None), ("Số bài", 8, "0"), ("Thành tiền", 16, MONEY))
    _header(ws, 1, columns)
    first, last = ROYALTY_HEADER_ROW + 1, ROYALTY_HEADER_ROW + max(len(royalties.rows), 1)
    sheet = f"'{ROYALTY_SHEET}'"
    totals = royalties.by_author()
    for i, total in enumerate(totals):
        r = i + 2
        match = f"{sheet}!D{first}:D{last},A{r},{sheet}!E{first}:E{last},B{r}"
        ws.cell(row=r, column=1, value=total.author)
        ws.cell(row=r, column=2, value=total.unit)
        ws.cell(row=r, column=3, value=f"=COUNTIFS({match})")
        ws.cell(row=r, column=4, value=f"=SUMIFS({sheet}!L{first}:L{last},{match})")
        _formats(ws, r, columns)
    r = len(totals) + 2
    ws.cell(row=r, column=1, value="Tổng cộng").font = BOLD
    ws.cell(row=r, column=3, value=f"=SUM(C2:C{max(r - 1, 2)})")
    ws.cell(row=r, column=4, value=f"=SUM(D2:D{max(r - 1, 2)})")
    _formats(ws, r, columns)


def _save(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def royalty_workbook(royalties: RoyaltyList, title: str) -> bytes:
    wb = Workbook()
    royalty_sheet(wb.active, royalties, title)
    author_sheet(wb.create_sheet(), royalties)
    return _save(wb)


def _table(wb: Workbook, title: str, columns, rows: list[Sequence], total: Sequence | None = None) -> Worksheet:
    ws = wb.create_sheet(title)
    _header(ws, 1, columns)
    for i, values in enumerate([*rows, *([total] if total else [])]):
        for col, value in enumerate(values, start=1):
            ws.cell(row=i + 2, column=col, value=value)
        _formats(ws, i + 2, columns)
    if total:
        ws.cell(row=len(rows) + 2, column=1).font = BOLD
    return ws


ON_TIME_COLUMNS = (
    ("Nhóm", 46, None),
    ("Số bài", 8, "0"),
    ("Đúng hạn", 10, "0"),
    ("Trễ hạn", 9, "0"),
    ("Chưa đến hạn", 12, "0"),
    ("Tỉ lệ đúng hạn", 14, PERCENT),
    ("Trễ trung vị (giờ)", 16, "0.0"),
)


def _on_time_rows(rows) -> tuple[list[Sequence], Sequence]:
    out = [
        (
            r.group,
            r.items,
            r.on_time,
            r.late,
            r.pending,
            f'=IF(C{i + 2}+D{i + 2}=0,"",C{i + 2}/(C{i + 2}+D{i + 2}))',
            r.median_delay_hours,
        )
        for i, r in enumerate(rows)
    ]
    n = len(rows) + 1
    t = n + 1
    total = (
        "Tổng cộng",
        *(f"=SUM({c}2:{c}{max(n, 2)})" for c in "BCDE"),
        f'=IF(C{t}+D{t}=0,"",C{t}/(C{t}+D{t}))',
        None,
    )
    return out, total


def period_workbook(report: PeriodReport, title: str) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Tổng hợp"
    ws["A1"] = title
    ws["A1"].font = Font(bold=True, size=13)
    ws["A2"] = f"Căn cứ: {report.article}" if report.article else ""
    ws["A3"] = "Số liệu tính đến"
    ws["B3"] = report.as_of.replace(tzinfo=None)
    ws["B3"].number_format = "DD/MM/YYYY HH:MM"
    summary = [
        ("Bài nhận", report.received, "0"),
        ("Bài đã đăng", report.published, "0"),
        ("Bài bị từ chối", report.rejected, "0"),
        ("Bài tạm giữ (có dấu mật)", report.held, "0"),
        ("Tỉ lệ đăng đúng hạn", "='Đúng hạn theo quy tắc'!F" + str(len(report.by_rule) + 2), PERCENT),
        ("Câu hỏi của công dân nhận", report.questions, "0"),
        ("Câu hỏi trả lời đúng hạn", report.questions_on_time, "0"),
        ("Bài quá hạn chưa đăng", len(report.overdue), "0"),
    ]
    if report.royalties is not None:
        summary.append(
            ("Tổng nhuận bút", f"='{ROYALTY_SHEET}'!L{ROYALTY_HEADER_ROW + 1 + len(report.royalties.rows)}", MONEY)
        )
    _header(ws, 5, (("Chỉ tiêu", 36, None), ("Số liệu", 16, None)))
    for i, (label, value, fmt) in enumerate(summary):
        ws.cell(row=6 + i, column=1, value=label)
        ws.cell(row=6 + i, column=2, value=value).number_format = fmt
    for name, rows in (
        ("Đúng hạn theo quy tắc", report.by_rule),
        ("Đúng hạn theo đơn vị", report.by_unit),
        ("Đúng hạn theo người được giao", report.by_assignee),
    ):
        body, total = _on_time_rows(rows)
        _table(wb, name, ON_TIME_COLUMNS, body, total)
    week_columns = (
        ("Tuần từ", 12, DATE),
        ("Bài đăng", 10, "0"),
        ("Đúng hạn", 10, "0"),
        ("Trễ hạn", 10, "0"),
        ("Tỉ lệ đúng hạn", 14, PERCENT),
    )
    week_rows = [
        (w.monday, w.published, w.on_time, w.late, f'=IF(C{i + 2}+D{i + 2}=0,"",C{i + 2}/(C{i + 2}+D{i + 2}))')
        for i, w in enumerate(report.weeks)
    ]
    n = len(week_rows) + 1
    _table(wb, "Theo tuần", week_columns, week_rows, ("Tổng cộng", *(f"=SUM({c}2:{c}{n})" for c in "BCD"), None))
    if report.quota:
        quota_columns = (
            ("Thành viên", 26, None),
            ("Vai trò", 22, None),
            *((f"Tháng {m.first:%m/%Y}", 12, "0") for m in report.months),
            ("Tổng", 8, "0"),
            ("Định mức", 10, "0"),
            ("Đạt", 8, None),
        )
        last_month = get_column_letter(2 + len(report.months))
        quota_rows = [
            (
                q.name,
                q.role,
                *q.per_month,
                f"=SUM(C{i + 2}:{last_month}{i + 2})",
                q.required,
                "đạt" if q.met else "chưa đạt",
            )
            for i, q in enumerate(report.quota)
        ]
        _table(wb, "Định mức viết bài", quota_columns, quota_rows)
    overdue_columns = (
        ("Mã bài", 10, None),
        ("Tiêu đề", 48, None),
        ("Đơn vị", 28, None),
        ("Hạn", 12, DATE),
        ("Quá hạn (ngày)", 14, "0.0"),
        ("Trạng thái", 16, None),
    )
    overdue_rows = [
        (
            o.key,
            o.title,
            o.unit,
            o.deadline_at.astimezone(report.as_of.tzinfo).date(),
            o.days_late,
            STATUS_NAMES.get(o.status, o.status),
        )
        for o in report.overdue
    ]
    _table(wb, "Quá hạn", overdue_columns, overdue_rows)
    if report.royalties is not None:
        royalty_sheet(wb.create_sheet(), report.royalties, f"Nhuận bút {report.period.name}")
    return _save(wb)
