"""Administrative document facts, on Nghị định 30/2020 itself and on its own templates (Phụ lục III)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from intake.document import extract
from intake.docx_html import docx_to_html

ND30 = Path(__file__).parent.parent.parent / "shared" / "corpora" / "vietnamese" / "nd30-2020-van-ban-plus" / "docx"
needs_corpora = pytest.mark.skipif(not ND30.exists(), reason="../shared/corpora is not beside this checkout")


@needs_corpora
def test_the_decree_itself():
    facts = extract(docx_to_html((ND30 / "30_2020_ND_CP.docx").read_bytes()).text)
    assert {
        k: facts[k]
        for k in (
            "type",
            "number",
            "issuer",
            "place",
            "issued_on",
            "summary",
            "authority",
            "signer_title",
            "signer",
            "effective_on",
        )
    } == {
        "type": "NGHỊ ĐỊNH",
        "number": "30/2020/NĐ-CP",
        "issuer": "CHÍNH PHỦ",
        "place": "Hà Nội",
        "issued_on": "2020-03-05",
        "summary": "Về công tác văn thư",
        "authority": "TM. CHÍNH PHỦ",
        "signer_title": "THỦ TƯỚNG",
        "signer": "Nguyễn Xuân Phúc",
        "effective_on": "2020-03-05",
    }
    assert facts["recipients"][:3] == [
        "Ban Bí thư Trung ương Đảng",
        "Thủ tướng, các Phó Thủ tướng Chính phủ",
        "Các bộ, cơ quan ngang bộ, cơ quan thuộc Chính phủ",
    ]
    assert len(facts["recipients"]) == 20 and not any(r.startswith("Lưu") for r in facts["recipients"])


def templates() -> dict[str, str]:
    text = docx_to_html((ND30 / "Phuluc3.docx").read_bytes()).text
    parts = re.split(r"^(Mẫu \d\.\d+) - .*$", text, flags=re.MULTILINE)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts) - 1, 2)}


@needs_corpora
@pytest.mark.parametrize(
    ("template", "kind"),
    [
        ("Mẫu 1.1", "NGHỊ QUYẾT"),
        ("Mẫu 1.2", "QUYẾT ĐỊNH"),
        ("Mẫu 1.3", "QUYẾT ĐỊNH"),
        ("Mẫu 1.5", "CÔNG VĂN"),
        ("Mẫu 1.6", "CÔNG ĐIỆN"),
        ("Mẫu 1.7", "GIẤY MỜI"),
        ("Mẫu 1.8", "GIẤY GIỚI THIỆU"),
        ("Mẫu 1.9", "BIÊN BẢN"),
        ("Mẫu 1.10", "GIẤY NGHỈ PHÉP"),
    ],
)
def test_the_decree_templates_have_blank_dates_that_stay_unknown(template, kind):
    facts = extract(templates()[template])
    assert facts["type"] == kind
    assert facts["issued_on"] is None and facts["number"] is None


def test_a_commune_document_meant_for_the_website():
    text = (
        "ỦY BAN NHÂN DÂN\nXÃ ĐẮK MAR\nSố: 45/KH-UBND\nCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
        "Độc lập - Tự do - Hạnh phúc\nĐắk Mar, ngày 02 tháng 11 năm 2026\nKẾ HOẠCH\n"
        "Tổ chức Ngày hội Đại đoàn kết toàn dân tộc năm 2026\n...\nNơi nhận:\n- UBND huyện Đắk Hà;\n"
        "- Các ban, ngành, đoàn thể xã;\n- Website xã;\n- Lưu: VT.\nKT. CHỦ TỊCH\nPHÓ CHỦ TỊCH\n(Đã ký)\n"
        "Trần Văn Bình\n"
    )
    facts = extract(text)
    assert (facts["type"], facts["number"], facts["issuer"]) == ("KẾ HOẠCH", "45/KH-UBND", "ỦY BAN NHÂN DÂN XÃ ĐẮK MAR")
    assert (facts["place"], facts["issued_on"]) == ("Đắk Mar", "2026-11-02")
    assert (facts["authority"], facts["signer_title"], facts["signer"]) == (
        "KT. CHỦ TỊCH",
        "PHÓ CHỦ TỊCH",
        "Trần Văn Bình",
    )
    assert facts["recipients"] == ["UBND huyện Đắk Hà", "Các ban, ngành, đoàn thể xã", "Website xã"]
    assert facts["for_website"] is True


def test_cong_van_number_without_a_type():
    facts = extract("UBND XÃ\nSố: 123/UBND-VP\nV/v tuyên truyền phòng chống dịch\nKính gửi: các thôn")
    assert (facts["type"], facts["summary"]) == ("CÔNG VĂN", "V/v tuyên truyền phòng chống dịch")


def test_ordinary_news_is_not_a_document():
    assert extract("Sáng nay, Đoàn thanh niên xã ra quân chiến dịch mùa hè xanh.") == {}
