"""Corpus-mutation fuzzing of intake's entry point: whatever bytes arrive, analyze() answers with a kind
and a JSON-able result, never an exception. Bounded in the normal run (FUZZ_EXAMPLES raises it)."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intake.analyze import analyze, as_json
from tests import hostile_set
from toasoan.cli import preset_settings

SETTINGS = preset_settings("kep")
RECEIVED = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
CORPORA = Path(__file__).resolve().parent.parent.parent / "shared" / "corpora" / "email"
SEEDS = [
    hostile_set.mail(),
    hostile_set.mail(files=[(hostile_set.docx(image=hostile_set.png()), *hostile_set.DOCX, "tin.docx")]),
    hostile_set.mail(files=[(hostile_set.pdf(), *hostile_set.PDF, "a.pdf")]),
    hostile_set.deep_mail(3),
    hostile_set.raw_mail(
        b"Subject: =?utf-8?B?VGjDtG5nIGLDoW8=?=\r\nContent-Type: text/plain; charset=utf-7", b"+AF8-x"
    ),
] + [path.read_bytes() for path in sorted(CORPORA.rglob("*.eml"))[:40] if path.stat().st_size < 200_000]
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))
KINDS = {"submission", "question", "reply", "auto_reply", "bounce", "refused"}


def mutate(raw: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    data = bytearray(raw)
    for position, delete, insert in edits:
        at = position % (len(data) + 1)
        data[at : at + delete] = insert
    return bytes(data)


TOKENS = st.sampled_from(
    [b"\r\n", b"\r\n\r\n", b"--", b"=?utf-8?q?", b"?=", b"Content-Type: multipart/mixed; boundary=x\r\n", b"\xff\xfe",
     b"charset=utf-7", b"Content-Transfer-Encoding: base64\r\n", b"PK\x03\x04", b"%PDF-", b"\x00", b"<script>"]
)  # fmt: skip


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.sampled_from(SEEDS),
    st.lists(
        st.tuples(st.integers(0, 1 << 20), st.integers(0, 64), st.one_of(TOKENS, st.binary(max_size=16))), max_size=8
    ),
)
def test_intake_answers_whatever_arrives(seed, edits):
    result = analyze(mutate(seed, edits), SETTINGS, RECEIVED)
    assert result.kind in KINDS
    json.dumps(as_json(result), ensure_ascii=False)
