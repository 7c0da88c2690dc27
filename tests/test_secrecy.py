"""Secret-stamped documents (Kép Đ5.1, Đ7.4; Hiệp Hòa Đ4.1; Đắk Mar Đ5.1; Kon Tum Đ3.1b): the stamp is found
wherever it stands as a stamp, and no text, preview or file of the document leaves in any mail."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest

from intake import secrecy
from tests import samples
from tests.test_inspect import inspect, plain

pytestmark = pytest.mark.timeout(180)


@pytest.mark.parametrize(
    ("subject", "text", "level"),
    [
        ("[MẬT] Báo cáo tình hình an ninh", "", "mat"),
        ("MẬT - Báo cáo tình hình an ninh", "", "mat"),
        ("Báo cáo tình hình an ninh quý IV (TỐI MẬT)", "", "toi_mat"),
        ("Báo cáo tình hình: TUYỆT MẬT", "", "tuyet_mat"),
        ("Gửi báo cáo MẬT quý IV", "", "mat"),
        ("Báo cáo", "UBND XÃ\nSố: 12/BC-UBND\n  TỐI MẬT  \nBÁO CÁO", "toi_mat"),
        ("Báo cáo", "*MẬT*", "mat"),
        ("Báo cáo", "Độ mật: Mật", "mat"),
        ("Báo cáo", "[ TUYET MAT ]", "tuyet_mat"),
    ],
)
def test_a_stamp_wherever_it_stands(subject, text, level):
    assert secrecy.stamp(subject, {"thư": text})[0] == level


@pytest.mark.parametrize(
    ("subject", "text"),
    [
        ("Mật độ dân số thị trấn năm 2026", ""),
        ("Hội nghị bảo vệ BÍ MẬT nhà nước", ""),
        ("TẬP HUẤN BẢO VỆ BÍ MẬT NHÀ NƯỚC", ""),
        ("Tin hội nghị", "Cán bộ phải giữ bí mật mật khẩu, không để lộ tài liệu mật."),
        ("Tin hội nghị", "MẬT KHẨU"),
    ],
)
def test_a_word_in_a_sentence_is_not_a_stamp(subject, text):
    assert secrecy.stamp(subject, {"thư": text}) == ("none", "")


def test_inspect_says_where_the_stamp_was(tmp_path, capsys):
    raw = plain("vp@kep.gov.vn", "Báo cáo tình hình an ninh - MẬT", "Kính gửi Ban biên tập, xin gửi báo cáo.")
    result = inspect(tmp_path, raw, "--preset", "kep", capsys=capsys)
    assert result["secrecy"] == "mat" and "cuối tiêu đề thư" in result["held"]


def vietnamese_pdf(*lines: str) -> bytes:
    """A PDF as an office's printer driver writes one: embedded fonts, Vietnamese letters, a line each."""
    import io

    from matplotlib.figure import Figure

    figure = Figure(figsize=(8.27, 11.69))
    for number, line in enumerate(lines):
        figure.text(0.1, 0.9 - number * 0.05, line, fontsize=12)
    out = io.BytesIO()
    figure.savefig(out, format="pdf")
    return out.getvalue()


def test_a_stamp_on_its_own_line_of_a_pdf():
    from intake.media import pdf_text

    stamped = pdf_text(vietnamese_pdf("ỦY BAN NHÂN DÂN XÃ KÉP", "Số: 12/BC-UBND", "TỐI MẬT", "BÁO CÁO"))
    assert secrecy.stamp("Báo cáo", {"tệp PDF 1": stamped}) == ("toi_mat", "dòng riêng trong tệp PDF 1")
    unstamped = pdf_text(vietnamese_pdf("BÁO CÁO", "Cán bộ phải giữ bí mật mật khẩu, không để lộ tài liệu mật."))
    assert secrecy.stamp("Báo cáo", {"tệp PDF 1": unstamped}) == ("none", "")


SECRET_LINE = "Lực lượng công an xã bố trí 14 chốt tại thôn Kon Brập"


def test_no_secret_text_in_any_mail(site_factory):
    site = site_factory(preset="dak-mar")
    site.start()
    doc = samples.docx_with("ỦY BAN NHÂN DÂN\nXÃ ĐẮK MAR\nSố: 45/BC-UBND\nTỐI MẬT\nBÁO CÁO\n" + SECRET_LINE)
    site.deliver(
        samples.submission(site.department, site.board_box, "Báo cáo an ninh quý IV", body=SECRET_LINE, docx=doc)
    )
    held = site.wait_mail(site.address("truongban"), "Tài liệu mật đã nhận và tạm giữ")[0]
    ack = site.wait_mail(site.department, "Tài liệu mật không được gửi tới hộp thư của trang")[0]
    site.settle()
    text = message_from_bytes(held, policy=policy.default).get_body(("plain",)).get_content()
    assert "45/BC-UBND" in text and site.department in text and "TỐI MẬT" in text
    ack_text = message_from_bytes(ack, policy=policy.default).get_body(("plain",)).get_content()
    assert "Tài liệu mật KHÔNG ĐƯỢC gửi tới địa chỉ thư của trang" in ack_text
    # Only the role the preset names is told (Trưởng ban); nobody else got anything about it.
    assert site.dovecot.messages(site.address("phoban")) == []
    assert site.dovecot.messages(site.address("thanhvien")) == []
    everything = [raw for who in (site.address("truongban"), site.department) for raw in site.dovecot.messages(who)]
    for raw in everything:
        message = message_from_bytes(raw, policy=policy.default)
        assert not any(part.get_filename() for part in message.walk())
        for part in message.walk():
            if part.get_content_maintype() == "text":
                body = part.get_content()
                assert "Kon Brập" not in body and "an ninh quý IV" not in body
        assert "an ninh" not in str(message["Subject"])
