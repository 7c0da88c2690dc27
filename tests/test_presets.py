"""Every rule of every preset, computed by hand from the regulation and the Civil Code.

All start on Monday 16/11/2026 at 09:00 (Hà Nội); 24/11/2026 (Vietnam Culture Day) is a day off.
"""

from __future__ import annotations

import json
import re

import pytest

from newsroom.settings import preset_names
from toasoan.cli import main, preset_settings

START = "2026-11-16T09:00:00+07:00"
CASES = {
    ("dak-mar", "urgent_dispatch", False): ("2026-11-16T11:00:00+07:00", "Đ8.1b"),  # 2 h, wall clock
    ("dak-mar", "urgent_dispatch", True): ("2026-11-16T14:00:00+07:00", "Đ8.1b"),  # the commune's own: 5 h
    ("dak-mar", "legal_document", False): ("2026-11-16T09:00:00+07:00", "Đ11.2"),  # by the effective moment
    ("dak-mar", "direction", False): ("2026-11-17T15:00:00+07:00", "Đ8.1c, Đ6.5"),  # 6 h Mon + 6 h Tue
    ("dak-mar", "propaganda", False): ("2026-11-17T15:00:00+07:00", "Đ8.1c, Đ6.6"),
    ("dak-mar", "news", False): ("2026-11-17T15:00:00+07:00", "Đ8.1c, Đ6.7"),
    ("hiep-hoa", "news", False): ("2026-11-18T00:00:00+07:00", "Đ9.1"),
    # Citizens' questions where the regulation sets no number: the 15 working days of Long Xuyên and Kép.
    ("dak-mar", "qa", False): ("2026-12-09T00:00:00+07:00", "Đ6.10, Đ7.5"),
    ("hiep-hoa", "qa", False): ("2026-12-09T00:00:00+07:00", "Đ6.10, Đ10"),
    ("kon-tum", "qa", False): ("2026-12-09T00:00:00+07:00", "Đ2.3, Đ10.7"),
    ("kep", "news", False): ("2026-11-18T00:00:00+07:00", "Đ9.1"),
    ("kep", "direction", False): ("2026-11-18T00:00:00+07:00", "Đ9.2"),
    ("kep", "legal_document", False): ("2026-11-18T00:00:00+07:00", "Đ9.2"),
    ("kep", "event_report", False): ("2026-11-19T00:00:00+07:00", "Đ9.3"),
    ("kep", "statistics", False): ("2026-11-17T00:00:00+07:00", "Đ9.4"),
    ("kep", "qa", False): ("2026-12-09T00:00:00+07:00", "Đ9.5"),  # 15th working day is 8/12 (24/11 off)
    ("kon-tum", "direction", False): ("2026-11-18T00:00:00+07:00", "Đ11.1a"),  # 1 day, from the next day
    ("kon-tum", "news", False): ("2026-11-17T00:00:00+07:00", "Đ11.1b"),
    ("kon-tum", "invitation", False): ("2026-11-17T00:00:00+07:00", "Đ11.1c"),
    ("long-xuyen", "propaganda", False): ("2026-12-09T00:00:00+07:00", "Đ10.1b"),
    ("long-xuyen", "legal_document", True): ("2026-11-19T00:00:00+07:00", "Đ10.1c"),  # the city's own: 2
    ("long-xuyen", "legal_document", False): ("2026-12-02T00:00:00+07:00", "Đ10.1c"),  # others: 10
    ("long-xuyen", "direction", True): ("2026-11-19T00:00:00+07:00", "Đ10.1c"),
    ("long-xuyen", "direction", False): ("2026-12-02T00:00:00+07:00", "Đ10.1c"),
    ("long-xuyen", "qa", False): ("2026-12-09T00:00:00+07:00", "Đ10.1d"),
    ("long-xuyen", "science", False): ("2026-12-16T00:00:00+07:00", "Đ10.1đ"),
    ("long-xuyen", "statistics", False): ("2026-12-02T00:00:00+07:00", "Đ10.1e"),
    ("long-xuyen", "news", False): ("2026-11-18T00:00:00+07:00", "Đ10.1a"),
}


@pytest.mark.parametrize(("preset", "category", "own"), list(CASES))
def test_rule(preset, category, own, capsys):
    args = ["deadline", "--preset", preset, "--category", category, "--start", START, "--json"]
    assert main([*args, "--own-issuer"] if own else args) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["due_at"], result["article"]) == CASES[preset, category, own]


def test_every_rule_is_covered():
    covered = set()
    for name in preset_names():
        for rule_id, rule in preset_settings(name).rules.items():
            covered.add((name, rule_id))
            assert (name, rule.category, rule.own_issuer) in CASES, (name, rule_id)
    assert len(covered) == len(CASES)


def test_site_office_hours_change_working_hour_rules(capsys):
    args = ["deadline", "--preset", "dak-mar", "--category", "news", "--start", START, "--json"]
    assert main([*args, "--office-hours", "07:30-11:30,13:30-17:00"]) == 0
    assert json.loads(capsys.readouterr().out)["due_at"] == "2026-11-17T15:30:00+07:00"  # 6 h Mon, 4 h + 2 h Tue


def test_no_rule_for_category(capsys):
    assert main(["deadline", "--preset", "hiep-hoa", "--category", "science", "--start", START]) == 1
    told = capsys.readouterr().err
    assert "không có quy tắc cho hạng mục 'science'" in told
    assert re.search(r"các hạng mục: [^;]*\bnews\b[^;]*\bqa\b", told)  # what it could have been
