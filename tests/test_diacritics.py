"""Vietnamese typed without diacritics is noticed from about eight words, and accented text never is."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from intake.vietnamese import has_no_diacritics

CORPORA = Path(__file__).resolve().parent.parent.parent / "shared" / "corpora" / "vietnamese"
SEEDS = [
    "Ủy ban nhân dân xã Đắk Mar thông báo về việc tổ chức hội nghị tổng kết công tác năm 2026 của các ban ngành "
    "đoàn thể trong xã. Thời gian: ngày 25 tháng 11 năm 2026 tại hội trường Ủy ban nhân dân xã.",
    "Sáng nay, Đoàn thanh niên xã phối hợp với Hội Liên hiệp phụ nữ ra quân chiến dịch mùa hè xanh, dọn vệ sinh "
    "đường làng, trồng cây xanh và tuyên truyền phòng chống dịch bệnh cho bà con trong thôn.",
    "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015; theo đề nghị của Chánh Văn phòng, "
    "Chủ tịch Ủy ban nhân dân huyện quyết định ban hành kế hoạch tuyên truyền phổ biến giáo dục pháp luật.",
    "Kính gửi Ban biên tập, phòng Văn hóa Thông tin xin gửi bài viết về lễ hội truyền thống của đồng bào các dân "
    "tộc thiểu số trên địa bàn huyện để đăng trên trang thông tin điện tử.",
]


def _corpus_text() -> list[str]:
    sample = CORPORA / "duydev-vietnamese-conversion" / "sample-unicode.txt"
    return (
        [line for line in sample.read_text("utf-8").splitlines() if len(line.split()) >= 8] if sample.exists() else []
    )


TEXTS = SEEDS + _corpus_text()
WORDS = [re.findall(r"[^\W\d_]+", unicodedata.normalize("NFC", text)) for text in TEXTS]


def strip_marks(text: str) -> str:
    """What a keyboard without a Vietnamese input method types: the same letters, no marks."""
    plain = "".join(ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch))
    return plain.replace("đ", "d").replace("Đ", "D")


@st.composite
def passages(draw) -> str:
    """A run of at least eight consecutive words of real accented text."""
    words = draw(st.sampled_from([w for w in WORDS if len(w) >= 8]))
    length = draw(st.integers(min_value=8, max_value=len(words)))
    start = draw(st.integers(min_value=0, max_value=len(words) - length))
    return " ".join(words[start : start + length])


@settings(max_examples=200, deadline=None)
@given(passages())
def test_accented_text_is_never_warned(passage):
    assert not has_no_diacritics(passage)


@settings(max_examples=200, deadline=None)
@given(passages())
def test_the_same_text_without_marks_is_always_warned(passage):
    assert has_no_diacritics(strip_marks(passage))


def test_a_short_notice_without_marks_is_warned():
    assert has_no_diacritics("Thong bao lich hop giao ban thang 12 nam 2026")
    assert has_no_diacritics("Kinh gui Ban bien tap, xin gui tin hoi nghi")


def test_english_and_very_short_text_are_not():
    assert not has_no_diacritics("Meeting notice for the board members tomorrow at ten sharp, please come early")
    assert not has_no_diacritics("Short note")
    assert not has_no_diacritics("Gui anh")  # two words: too little to judge
