"""`toasoan report deadlines`: items, on time, late and the median delay, per category and department."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from newsroom.db import make_engine, migrate, session_factory
from newsroom.records import Draft
from newsroom.settings import load_settings
from tests.conftest import database_table
from tests.test_settings import EXAMPLE
from toasoan.cli import main

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def site_config(tmp_path, database: str | None = None):
    """The example configuration with its data, key and (a URL: not SQLite) database in ``tmp_path``."""
    text = EXAMPLE.read_text("utf-8").replace('data_dir = "../data"', f'data_dir = "{tmp_path / "data"}"')
    text = text.replace('secret_file = "../secrets/reply-key"', f'secret_file = "{tmp_path / "key"}"')
    (tmp_path / "key").write_text("k" * 64)
    config = tmp_path / "site.toml"
    config.write_text(text + database_table(tmp_path, database), encoding="utf-8")
    return config


def add(session, n, category, department, received, due, published=None, status="published"):
    session.add(
        Draft(
            key=f"TS{n:05d}",
            status=status,
            category=category,
            title=f"bài {n}",
            sender_address="x@kep.gov.vn",
            department=department,
            created_at=received,
            updated_at=received,
            deadline_at=due,
            published_at=published,
        )
    )


def test_monthly_on_time_record(tmp_path, capsys, new_database):
    config = site_config(tmp_path, new_database())
    engine = make_engine(load_settings(config).database)
    migrate(engine)
    t = datetime(2026, 11, 10, 9, 0, tzinfo=VN)
    h = timedelta(hours=1)
    with session_factory(engine).begin() as session:
        add(session, 1, "news", "Văn hóa - Xã hội", t, t + 24 * h, t + 2 * h)  # on time
        add(session, 2, "news", "Văn hóa - Xã hội", t, t + 24 * h, t + 30 * h)  # 6 h late
        add(session, 3, "news", "Trường THCS", t, t + 24 * h, t + 34 * h)  # 10 h late
        add(session, 4, "qa", "Trường THCS", t, t + 24 * h, None, status="in_review")  # open, long overdue
        add(session, 5, "news", "Trường THCS", t, t + 24 * h, None, status="rejected")  # not counted
        add(session, 6, "news", "Văn hóa - Xã hội", t - 30 * 24 * h, t, t)  # received in October
        add(
            session,
            7,
            "qa",
            "Văn hóa - Xã hội",
            datetime(2099, 11, 1, tzinfo=VN),
            datetime(2099, 11, 30, tzinfo=VN),
            None,
            status="in_review",
        )

    def report(as_of: str) -> dict:
        args = ["report", "deadlines", "--month", "2026-11", "--config", str(config), "--as-of", as_of, "--json"]
        assert main(args) == 0
        return json.loads(capsys.readouterr().out)

    def news_counts(as_of: str) -> tuple:
        news = next(r for r in report(as_of)["category"] if r["group"] == "Tin tức, sự kiện")
        return news["items"], news["on_time"], news["late"], news["pending"], news["median_delay_hours"]

    # As it stood on the 10th at noon, the 11th at noon (3 h past two deadlines), and after the month:
    assert news_counts("2026-11-10T12:00:00+07:00") == (3, 1, 0, 2, None)
    assert news_counts("2026-11-11T12:00:00+07:00") == (3, 1, 2, 0, 3.0)
    assert report("2026-11-10T08:00:00+07:00")["category"] == []  # nothing received yet that month
    report = report("2026-12-01T00:00:00+07:00")
    news = next(r for r in report["category"] if r["group"] == "Tin tức, sự kiện")
    assert (news["items"], news["on_time"], news["late"], news["pending"]) == (3, 1, 2, 0)
    assert news["median_delay_hours"] == 8.0
    school = next(r for r in report["department"] if r["group"] == "Trường THCS")
    assert (school["items"], school["late"]) == (2, 2)
    assert (
        main(
            ["report", "deadlines", "--month", "2026-11", "--config", str(config), "--as-of", "2026-12-01T00:00+07:00"]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert "Báo cáo đúng hạn tháng 11/2026" in text and "Tin tức, sự kiện" in text and "8.0 giờ" in text


def test_bad_month(tmp_path):
    config = site_config(tmp_path)
    with pytest.raises(SystemExit, match="--month: viết như 2026-11"):
        main(["report", "deadlines", "--month", "11/2026", "--config", str(config)])
