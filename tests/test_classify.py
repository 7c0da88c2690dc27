"""A submission's category from the words offices use, in any case, the subject before the text."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from intake.classify import _CATEGORY_FINDERS, CATEGORY_WORDS, category_of, lower_as_ignorecase


@pytest.mark.parametrize(
    ("subject", "text", "category"),
    [
        ("CÔNG ĐIỆN HỎA TỐC về phòng chống bão", "", "urgent_dispatch"),
        ("Tin", "Kính gửi: Ban biên tập\nGIẤY MỜI dự hội nghị", "invitation"),
        ("Tin bài", "Căn cứ 12/2026/QĐ-UBND ngày 20/11/2026", "legal_document"),
        ("Lịch công tác tuần 48", "Hội nghị tổng kết", "schedule"),  # the subject counts first
        ("Tin", "Một bài viết về lễ hội", "news"),
    ],
)
def test_category_from_the_words_offices_use(subject, text, category):
    assert category_of(subject, text) == category


WORDS = [word for _, choices in CATEGORY_WORDS for word in choices if "\\" not in word]


@example("ĐỀ TÀı")  # a dotless i is an i when case is ignored
@example("ſơ kết năm")  # ... and a long s an s
@example("HỘİ NGHỊ")
@given(
    st.lists(
        st.one_of(
            st.sampled_from(WORDS).map(str.upper),
            st.sampled_from(WORDS).map(str.title),
            st.sampled_from([*"İıſKÅẞΣ\u0307 /-0123456789", "QĐ-", "NĐ-"]),
            st.characters(exclude_categories=("Cs",)),
        ),
        max_size=12,
    ).map("".join)
)
def test_lower_case_matching_finds_what_ignoring_case_finds(text):
    lowered = lower_as_ignorecase(text)
    for (_, words), (_, found) in zip(CATEGORY_WORDS, _CATEGORY_FINDERS, strict=True):
        assert bool(re.search("|".join(words), text, re.IGNORECASE)) == bool(found(lowered))
