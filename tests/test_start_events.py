"""Deadlines started at the moment the regulation names, read from the text: the activity (Kép Đ9.1), a
conference's end (Kép Đ9.3), a programme's approval or acceptance (Long Xuyên Đ10.1đ), the signing hour
(Đắk Mar Đ8.1b), and documents effective from signing (Đắk Mar Đ11.2)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from intake import events
from tests.test_inspect import inspect, plain

VN = ZoneInfo("Asia/Ho_Chi_Minh")
RECEIVED = datetime(2026, 11, 23, 9, 0, tzinfo=VN)


def test_every_phrase_in_the_table_reads_its_own_example():
    for phrase in events.PHRASES:
        assert events.activity(phrase.example, RECEIVED) is not None, phrase.name


PARTS = {"Sáng": time(7), "sáng": time(7), "Chiều": time(13), "chieu": time(13), "Tối": time(18), "Trưa": time(11)}


@given(
    day=st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 11, 23)),
    part=st.sampled_from(sorted(PARTS)),
    year=st.booleans(),
    padded=st.booleans(),
    ngay=st.booleans(),
)
def test_part_of_the_day_and_date(day, part, year, padded, ngay):
    """ "sáng 21/11", "Chiều ngày 05/03/2026", "chieu 5/3": the day, at the start of that part of the day;
    a date without its year is the one before the receipt."""
    d, m = (f"{day.day:02d}", f"{day.month:02d}") if padded else (str(day.day), str(day.month))
    words = f"{part} {'ngày ' if ngay else ''}{d}/{m}{f'/{day.year}' if year else ''}"
    moment = events.activity(f"{words}, UBND thị trấn tổ chức ra quân.", RECEIVED)
    assert moment.at == datetime.combine(day, PARTS[part], VN)
    assert moment.phrase == words and not moment.time_known


@given(first=st.integers(1, 25), length=st.integers(1, 3), month=st.integers(1, 11))
def test_a_range_of_days_ends_on_its_last_day(first, length, month):
    text = f"Trong hai ngày {first}-{first + length}/{month}/2026, hội nghị tổng kết diễn ra tại hội trường."
    assert events.activity(text, RECEIVED).at.date() == date(2026, month, first)
    assert events.activity(text, RECEIVED, end=True).at.date() == date(2026, month, first + length)


@given(hour=st.integers(7, 21), minute=st.integers(0, 59), back=st.integers(0, 300))
def test_clock_time_and_date(hour, minute, back):
    day = RECEIVED.date() - timedelta(days=back)
    text = f"Vào lúc {hour} giờ {minute:02d} ngày {day:%d/%m/%Y}, tại hội trường UBND."
    moment = events.activity(text, RECEIVED)
    assert moment.at == datetime.combine(day, time(hour, minute), VN) and moment.time_known


@given(word=st.sampled_from(["nay", "qua", "hôm nay", "hôm qua"]), part=st.sampled_from(["Sáng", "Chiều", "Tối"]))
def test_relative_days_count_from_the_receipt(word, part):
    moment = events.activity(f"{part} {word}, đoàn công tác làm việc tại thôn 3.", RECEIVED)
    expected = RECEIVED.date() - timedelta(days=1 if word.endswith("qua") else 0)
    assert moment.at == datetime.combine(expected, PARTS[part], VN)


def test_another_documents_date_is_not_the_event():
    text = "Thực hiện Kế hoạch số 12/KH-UBND ngày 02/10/2026 của UBND huyện. Sáng 21/11, đoàn viên ra quân."
    assert events.activity(text, RECEIVED).phrase == "Sáng 21/11"


def test_news_counts_from_the_activity_read_from_the_text(tmp_path, capsys):
    raw = plain("vhxh@kep.gov.vn", "Tin: ra quân mùa hè xanh", "Chiều 20/11, 80 đoàn viên ra quân làm sạch đường.")
    result = inspect(tmp_path, raw, "--preset", "kep", "--received", "2026-11-23T09:00:00+07:00", capsys=capsys)
    deadline = result["deadline"]
    assert deadline["rule"] == "news" and deadline["article"] == "Đ9.1"
    assert deadline["start"] == "2026-11-20T13:00:00+07:00"
    assert deadline["due_at"] == "2026-11-24T00:00:00+07:00"  # 1 working day after Friday 20/11: Monday 23
    assert deadline["note"] == "thời điểm diễn ra hoạt động: “Chiều 20/11”"


def test_without_a_date_in_the_text_the_receipt_is_used_and_said(tmp_path, capsys):
    raw = plain("vhxh@kep.gov.vn", "Tin: ra quân", "Đoàn viên ra quân làm sạch đường làng.")
    result = inspect(tmp_path, raw, "--preset", "kep", "--received", "2026-11-23T09:00:00+07:00", capsys=capsys)
    assert result["deadline"]["start"] == "2026-11-23T09:00:00+07:00"
    assert "không đọc được thời điểm diễn ra hoạt động trong văn bản" in result["deadline"]["note"]


def test_conference_counts_from_its_last_day(tmp_path, capsys):
    body = "Trong hai ngày 19-20/11/2026, Hội nghị tổng kết công tác văn hóa được tổ chức tại hội trường."
    raw = plain("vhxh@kep.gov.vn", "Hội nghị tổng kết", body)
    result = inspect(tmp_path, raw, "--preset", "kep", "--received", "2026-11-23T09:00:00+07:00", capsys=capsys)
    assert result["category"] == "event_report"
    assert result["deadline"]["start"] == "2026-11-20T00:00:00+07:00"
    assert "kết thúc hội nghị" in result["deadline"]["note"] and "19-20/11/2026" in result["deadline"]["note"]


def test_science_counts_from_the_programmes_acceptance(tmp_path, capsys):
    body = (
        "Đề tài khoa học cấp thành phố được phê duyệt tại Quyết định số 45/QĐ-UBND ngày 02/03/2026.\n"
        "Ngày 10/11/2026, Hội đồng khoa học thành phố đã nghiệm thu đề tài, xếp loại khá."
    )
    raw = plain("khcn@longxuyen.gov.vn", "Kết quả đề tài khoa học", body)
    result = inspect(tmp_path, raw, "--preset", "long-xuyen", "--received", "2026-11-23T09:00:00+07:00", capsys=capsys)
    deadline = result["deadline"]
    assert deadline["rule"] == "science" and deadline["start"] == "2026-11-10T00:00:00+07:00"
    assert deadline["due_at"] == "2026-12-10T00:00:00+07:00"  # 20 working days from 11/11; 24/11 a holiday
    assert "ngày phê duyệt hoặc nghiệm thu" in deadline["note"] and "Ngày 10/11/2026" in deadline["note"]


OWN_DOCUMENT = """ỦY BAN NHÂN DÂN
XÃ ĐẮK MAR
Số: 21/CĐ-UBND
Đắk Mar, ngày 23 tháng 11 năm 2026
CÔNG ĐIỆN
Về việc ứng phó bão số 15
Chủ tịch UBND xã điện: các thôn triển khai ngay.
TM. ỦY BAN NHÂN DÂN
CHỦ TỊCH
Nguyễn Văn Hùng
{signature}"""


def test_own_document_signed_the_same_day_counts_from_its_arrival(tmp_path, capsys):
    raw = plain("vp@dakmar.gov.vn", "Công điện ứng phó bão", OWN_DOCUMENT.format(signature=""))
    result = inspect(tmp_path, raw, "--preset", "dak-mar", "--received", "2026-11-23T14:00:00+07:00", capsys=capsys)
    deadline = result["deadline"]
    assert deadline["rule"] == "own_urgent_dispatch" and deadline["start"] == "2026-11-23T14:00:00+07:00"
    assert deadline["due_at"] == "2026-11-23T19:00:00+07:00"  # 5 hours (Đ8.1b), not late on arrival
    assert "ký cùng ngày nhận" in deadline["note"]
    assert not any("quá hạn" in w for w in result["warnings"])


def test_own_document_with_its_signing_hour(tmp_path, capsys):
    signature = "Ký bởi: Ủy ban nhân dân xã Đắk Mar\nThời gian ký: 23.11.2026 10:15:30 +07:00"
    raw = plain("vp@dakmar.gov.vn", "Công điện ứng phó bão", OWN_DOCUMENT.format(signature=signature))
    result = inspect(tmp_path, raw, "--preset", "dak-mar", "--received", "2026-11-23T14:00:00+07:00", capsys=capsys)
    assert result["deadline"]["start"] == "2026-11-23T10:15:00+07:00"
    assert result["deadline"]["due_at"] == "2026-11-23T15:15:00+07:00"
    assert "giờ ký đọc từ văn bản" in result["deadline"]["note"]


def test_effective_from_signing_is_not_late_on_arrival(tmp_path, capsys):
    body = """ỦY BAN NHÂN DÂN
XÃ ĐẮK MAR
Số: 20/2026/QĐ-UBND
Đắk Mar, ngày 23 tháng 11 năm 2026
QUYẾT ĐỊNH
Về việc ban hành quy định hỗ trợ
Điều 3. Quyết định này có hiệu lực kể từ ngày ký.
TM. ỦY BAN NHÂN DÂN
CHỦ TỊCH
Nguyễn Văn Hùng"""
    raw = plain("vp@dakmar.gov.vn", "Quyết định hỗ trợ", body)
    result = inspect(tmp_path, raw, "--preset", "dak-mar", "--received", "2026-11-23T14:00:00+07:00", capsys=capsys)
    assert result["document"]["effective_from_signing"] is True
    assert result["deadline"]["rule"] == "legal_document"
    assert result["deadline"]["due_at"] == "2026-11-23T14:00:00+07:00"
    assert result["deadline"]["note"].startswith("văn bản có hiệu lực kể từ ngày ký")
    assert not any("quá hạn" in w for w in result["warnings"])


def test_own_document_without_the_website_among_its_recipients_is_warned(tmp_path, capsys):
    """Đắk Mar Đ11.3: the commune's non-secret documents list "- Website xã" among their recipients."""
    body = OWN_DOCUMENT.format(signature="") + "\nNơi nhận:\n- Các thôn;\n- Lưu: VT."
    raw = plain("vp@dakmar.gov.vn", "Công điện ứng phó bão", body)
    result = inspect(tmp_path, raw, "--preset", "dak-mar", capsys=capsys)
    assert "mục Nơi nhận không ghi “- Website” (Đ11.3)" in " ".join(result["warnings"])
    listed = body.replace("- Các thôn;", "- Các thôn;\n- Website xã;")
    result = inspect(
        tmp_path, plain("vp@dakmar.gov.vn", "Công điện ứng phó bão", listed), "--preset", "dak-mar", capsys=capsys
    )
    assert result["document"]["for_website"] and not any("Nơi nhận" in w for w in result["warnings"])
