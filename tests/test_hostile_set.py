"""The hostile set (tests/hostile_set.py) through intake: no crash, nothing active kept, every removal
warned, every refusal coded."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from intake.analyze import analyze, as_json
from tests.hostile_set import hostile_set
from toasoan.cli import preset_settings

SETTINGS = preset_settings("kep")
RECEIVED = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
CASES = hostile_set()


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_message(name):
    raw, expected = CASES[name]
    result = as_json(analyze(raw, SETTINGS, RECEIVED))
    assert result["kind"] == expected["kind"], (result["reason"], result["warnings"])
    if "code" in expected:
        assert result["code"] == expected["code"], result["reason"]
    if "warning" in expected:
        assert expected["warning"] in result["warning_codes"], result["warnings"]
    if "subject" in expected:
        assert result["subject"] == expected["subject"]
    if "text" in expected:
        assert expected["text"] in result["body_html"]
    body = (result["body_html"] or "").lower()
    assert "<script" not in body and "javascript:" not in body and "http://tracker" not in body
    for attachment in result["attachments"]:
        assert attachment["use"] in ("body", "image", "download", "ignored")
        assert not attachment["filename"].lower().endswith((".html", ".php", ".svg", ".exe"))
        assert len(attachment["filename"]) <= 140 and "\u202e" not in attachment["filename"]
