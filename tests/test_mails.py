"""The mail we send arrives with its Vietnamese intact, whatever the subject."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy

from hypothesis import given, settings
from hypothesis import strategies as st

from newsroom import mails
from toasoan.cli import preset_settings

SITE = preset_settings("kep")
PHRASE = (
    "Hội nghị tổng kết công tác văn hóa năm 2026 của Ủy ban nhân dân thị trấn Kép về việc tổ chức chức hội "
    "Đắk Mar ĐỀ NGHỊ SỬA [TS00001] QUÁ HẠN: — “trích dẫn”"
)
WORDS = st.sampled_from(PHRASE.split(" "))


@settings(max_examples=300, deadline=None)
@given(st.lists(WORDS, min_size=1, max_size=60).map(" ".join))
def test_subject_survives_encoding_and_folding(subject):
    msg = mails.compose(
        SITE,
        "refused",
        ["a@kep.gov.vn"],
        subject,
        {"address": "a@kep.gov.vn", "name": "", "subject": "x", "reason": "y"},
        now=datetime(2026, 11, 23, 2, 0, tzinfo=UTC),
    )
    raw = mails.to_bytes(msg)
    assert message_from_bytes(raw, policy=policy.default)["Subject"] == subject
    assert all(len(line) <= 78 for line in raw.split(b"\r\n\r\n")[0].split(b"\r\n"))
    assert b"\r\n\r\n" in raw and message_from_bytes(raw, policy=policy.default)["Auto-Submitted"] == "auto-generated"
