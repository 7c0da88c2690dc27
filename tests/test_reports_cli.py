"""`toasoan report royalties` and `report period` on a month written straight into the database, the chart's
Vietnamese glyphs, coefficient commands and the period arithmetic."""

from __future__ import annotations

import io
import json
import warnings
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from PIL import Image, ImageChops

from intake.replies import parse_command
from newsroom.db import make_engine, migrate, session_factory
from newsroom.records import Draft, Revision, RoyaltyCoefficient, StoredFile
from newsroom.settings import load_settings
from scheduler import charts
from scheduler.periods import Period
from tests.spreadsheet import xlsx_as_csv
from tests.test_report import site_config
from toasoan.cli import main

VN = ZoneInfo("Asia/Ho_Chi_Minh")
H = timedelta(hours=1)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=VN)


def add(
    session,
    n,
    *,
    received,
    due,
    published=None,
    status="published",
    category="news",
    author="Trần Thị Bình",
    photos=0,
    unit="Văn hóa - Xã hội",
):
    draft = Draft(
        key=f"TS{n:05d}",
        status=status,
        category=category,
        title=f"Bài {n}",
        sender_address="vhxh@kep.gov.vn",
        sender_name="Công chức VH-XH",
        department=unit,
        author=author,
        created_at=received,
        updated_at=received,
        deadline_at=due,
        deadline_rule=category if due else None,
        published_at=published,
        decided_at=published or (received + H if status == "rejected" else None),
    )
    draft.revisions.append(Revision(number=1, title=draft.title, body_html="<p>x</p>", created_at=received))
    draft.revisions[0].files.extend(
        StoredFile(sha256=f"{i:064x}", filename=f"a{i}.jpg", content_type="image/jpeg", size=1, use="image")
        for i in range(photos)
    )
    session.add(draft)
    session.flush()
    return draft


@pytest.fixture
def month(tmp_path, new_database):
    """November 2026 on Kép: 24/11 is a holiday, so items of Monday 23/11 are due at 24:00 on the 25th."""
    config = site_config(tmp_path, new_database())
    engine = make_engine(load_settings(config).database)
    migrate(engine)
    due_23 = at("2026-11-26 00:00")
    with session_factory(engine).begin() as session:
        add(session, 1, received=at("2026-11-23 09:00"), due=due_23, published=at("2026-11-25 10:00"), photos=2)
        b = add(
            session,
            2,
            received=at("2026-11-23 09:00"),
            due=due_23,
            published=at("2026-11-26 10:00"),
            author="Nguyễn Văn An",
        )
        session.add(
            RoyaltyCoefficient(
                draft_id=b.id,
                coefficient=1.5,
                set_by_address="phoban@kep.gov.vn",
                set_by_name="Trần Thị Bình",
                set_by_role="pho_ban",
                set_at=at("2026-11-26 11:00"),
            )
        )
        add(
            session,
            3,
            received=at("2026-11-02 09:00"),
            due=at("2026-11-04 00:00"),
            published=at("2026-11-03 09:00"),
            category="legal_document",
            author=None,
        )
        add(session, 4, received=at("2026-11-25 09:00"), due=at("2026-11-27 00:00"), status="in_review", author=None)
        add(session, 5, received=at("2026-11-10 09:00"), due=None, status="held", author=None)
        add(session, 6, received=at("2026-11-10 09:00"), due=at("2026-11-12 00:00"), status="rejected", author=None)
        add(
            session,
            7,
            received=at("2026-10-30 09:00"),
            due=at("2026-11-03 00:00"),
            published=at("2026-11-02 08:00"),
            category="event_report",
            unit="Trường THCS",
        )
    engine.dispose()
    return config


def test_royalty_list_on_the_command_line_and_as_xlsx(month, tmp_path, capsys):
    xlsx = tmp_path / "nb.xlsx"
    args = ["report", "royalties", "--month", "2026-11", "--config", str(month), "--as-of", "2026-12-01T08:00+07:00"]
    assert main([*args, "--xlsx", str(xlsx), "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    amounts = {row["key"]: (row["genre"], row["coefficient"], row["photos"], row["amount"]) for row in listed["rows"]}
    assert amounts == {
        "TS00007": ("Bài (phản ánh, tường thuật, phỏng vấn, chuyên đề)", 4, 0, 400000),  # received in October
        "TS00003": ("", 0.0, 0, 0),  # a legal document earns no royalty
        "TS00001": ("Tin", 2, 2, 400000),  # default 2 + two photos at 1
        "TS00002": ("Tin", 1.5, 0, 150000),
    }
    assert listed["total"] == 950000
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "TS00002  26/11  Nguyễn Văn An" in text and "Trần Thị Bình (Phó Trưởng ban)" in text
    assert "Tổng: 4 bài, 950.000 đ" in text
    rows = xlsx_as_csv(xlsx.read_bytes(), tmp_path)
    assert rows[0][0].startswith("Danh sách nhuận bút tin, bài tháng 11/2026")
    assert [r[1] for r in rows[4:8]] == ["TS00007", "TS00003", "TS00001", "TS00002"]
    assert rows[6][10] == "4" and rows[8][11].replace(",", ".") == "950.000 đ"
    by_author = {(r[0], r[1]): r for r in xlsx_as_csv(xlsx.read_bytes(), tmp_path, sheet=2)}
    assert by_author[("Trần Thị Bình", "Trường THCS")][2] == "1"  # one line per author and unit
    assert by_author[("Trần Thị Bình", "Văn hóa - Xã hội")][3].replace(",", ".") == "400.000 đ"
    by_author = {key[0]: row for key, row in by_author.items()}
    assert by_author["Tổng cộng"][3].replace(",", ".") == "950.000 đ"


def test_period_report_numbers_across_the_holiday(month, tmp_path, capsys):
    png, xlsx = tmp_path / "chart.png", tmp_path / "report.xlsx"
    args = ["report", "period", "--monthly", "2026-11", "--config", str(month), "--as-of", "2026-12-05T08:00+07:00"]
    assert main([*args, "--png", str(png), "--xlsx", str(xlsx)]) == 0
    text = capsys.readouterr().out
    assert "tính đến 01/12/2026 00:00" in text  # the period's end, not the later moment it was asked at
    assert "nhận 6, đăng 4, từ chối 1, tạm giữ 1; đúng hạn 50,0 %" in text
    assert "news (Đ9.1: 1 ngày làm việc)                          3 bài, đúng hạn 1, trễ 2" in text
    assert "Quá hạn chưa đăng: 1" in text and "TS00004" in text
    assert "Trần Thị Bình" in text and "Nhuận bút: 4 bài, 950.000 đ" in text
    assert "23/11  đăng   2  đúng hạn 50,0 %" in text
    assert Image.open(png).size[0] > 600
    summary = {r[0]: r[1] for r in xlsx_as_csv(xlsx.read_bytes(), tmp_path) if len(r) > 1}
    assert summary["Bài đã đăng"] == "4" and summary["Tỉ lệ đăng đúng hạn"] in ("50.0%", "50,0%")
    quarter = [
        "report",
        "period",
        "--quarterly",
        "2026-Q4",
        "--config",
        str(month),
        "--as-of",
        "2026-11-30T12:00+07:00",
    ]
    assert main(quarter) == 0
    assert "quý IV/2026, tính đến 30/11/2026 12:00" in capsys.readouterr().out
    assert main(["report", "period", "--config", str(month)]) == 2
    with pytest.raises(SystemExit, match="viết như 2026-Q4"):
        main(["report", "period", "--quarterly", "2026-5", "--config", str(month)])


@pytest.mark.filterwarnings("ignore:Glyph 57344")  # the box itself, drawn on purpose
def test_chart_font_draws_every_vietnamese_letter(tmp_path):
    font = charts.vietnamese_font()
    assert charts.missing_glyphs(font) == ""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph … missing from font(s)"
        charts.render_text("Đặng Thị Ảnh viết: “Hội nghị tổng kết năm 2026 — đúng hạn 92,5 %”", font)
    tofu = Image.open(io.BytesIO(charts.render_text("\ue000", font))).convert("L")
    for letter in "ĐặngThịẢnhữỹỵơướệ":
        drawn = Image.open(io.BytesIO(charts.render_text(letter, font))).convert("L")
        assert ImageChops.difference(drawn, tofu).getbbox() is not None, f"{letter} is drawn as a box"
    with pytest.raises(charts.ChartError, match="cài gói fonts-dejavu-core"):
        charts.vietnamese_font(tmp_path / "none.ttf")


@pytest.mark.parametrize(
    ("text", "action", "coefficient"),
    [
        ("Duyệt, hệ số 8", "approve", 8.0),
        ("duyet he so 1,5", "approve", 1.5),
        ("Hệ số 6", "set_coefficient", 6.0),
        ("HE SO: 2.5", "set_coefficient", 2.5),
        ("Hệ số", "set_coefficient", None),  # answered with the range
        ("Duyệt", "approve", None),
    ],
)
def test_coefficient_commands(text, action, coefficient):
    command = parse_command(text, at("2026-11-23 09:00"))
    assert (command.action, command.coefficient) == (action, coefficient)


def test_a_coefficient_meant_but_not_written_is_asked_again():
    assert parse_command("Duyệt, hệ số cao", at("2026-11-23 09:00")) is None


def test_periods():
    assert [
        Period.parse(k, t).name
        for k, t in (("month", "2026-11"), ("quarter", "2026-Q4"), ("half_year", "2026-H1"), ("year", "2026"))
    ] == ["tháng 11/2026", "quý IV/2026", "6 tháng đầu năm 2026", "năm 2026"]
    q = Period.containing("quarter", date(2026, 11, 23))
    assert (q.label, q.last, q.previous().label, [m.label for m in q.months()]) == (
        "2026-Q4",
        date(2026, 12, 31),
        "2026-Q3",
        ["2026-10", "2026-11", "2026-12"],
    )
