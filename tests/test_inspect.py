"""`toasoan inspect --json`: what intake makes of a message, as the contract in architecture.md says."""

from __future__ import annotations

import json
import re
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests import hostile_set, samples
from toasoan.cli import main

CONTRACT_KEYS = {
    "kind",
    "reason",
    "sender",
    "title",
    "category",
    "urgency",
    "secrecy",
    "author",
    "source",
    "document",
    "deadline",
    "body_html",
    "attachments",
    "command",
    "warnings",
}
CORPORA = Path(__file__).parent.parent.parent / "shared" / "corpora" / "email"


def inspect(tmp_path, raw: bytes, *args: str, capsys) -> dict:
    path = tmp_path / "message.eml"
    path.write_bytes(raw)
    assert main(["inspect", str(path), "--json", *args]) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result) >= CONTRACT_KEYS
    return result


def plain(sender: str, subject: str, body: str, **headers: str) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, "bbt@kep.gov.vn", subject
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return bytes(msg)


def test_department_news_with_table_and_photo(tmp_path, capsys):
    raw = samples.submission(
        "vhxh@kep.gov.vn",
        "bbt@kep.gov.vn",
        "Tin bài: Hội nghị tổng kết công tác văn hóa năm 2026",
        docx=samples.news_docx(),
        extra=[(samples.jpeg(), "image", "jpeg", "IMG_0012.JPG")],
    )
    result = inspect(tmp_path, raw, "--preset", "kep", "--received", "2026-11-20T16:00:00+07:00", capsys=capsys)
    assert result["kind"] == "submission"
    assert result["title"] == "Hội nghị tổng kết công tác văn hóa năm 2026"
    assert result["category"] == "event_report" and result["urgency"] == "normal" and result["secrecy"] == "none"
    # 2 working days (Đ9.3) from the conference the text dates ("Sáng ngày 20/11/2026"): Mon 23, Wed 25
    assert result["deadline"]["due_at"] == "2026-11-26T00:00:00+07:00"
    assert result["deadline"]["rule"] == "event_report" and result["deadline"]["start_event"] == "event"
    assert result["deadline"]["note"] == "thời điểm kết thúc hội nghị, sự kiện: “Sáng ngày 20/11/2026”"
    assert "<table>" in result["body_html"] and '<img src="cid:docx-image-1"' in result["body_html"]
    assert "<script" not in result["body_html"]
    uses = {a["filename"]: a["use"] for a in result["attachments"]}
    assert uses == {"anh-1.png": "image", "Tin hội nghị tổng kết.docx": "body", "IMG_0012.jpg": "image"}
    assert result["author"] == "Nguyễn Thị Hoa"
    assert result["command"] is None


def test_urgent_dispatch_counts_wall_clock_hours(tmp_path, capsys):
    raw = plain(
        "vanthu@daklak.gov.vn",
        "CÔNG ĐIỆN HỎA TỐC về ứng phó bão số 15",
        "HỎA TỐC\nCÔNG ĐIỆN\nChủ tịch UBND tỉnh điện: ...",
    )
    result = inspect(tmp_path, raw, "--preset", "dak-mar", "--received", "2026-11-21T23:00:00+07:00", capsys=capsys)
    assert (result["category"], result["urgency"]) == ("urgent_dispatch", "hoa_toc")
    assert result["deadline"]["due_at"] == "2026-11-22T01:00:00+07:00"
    assert result["deadline"]["rule"] == "urgent_dispatch"


def test_secret_document_is_held(tmp_path, capsys):
    raw = plain("vp@kep.gov.vn", "Báo cáo tình hình an ninh", "MẬT\nBÁO CÁO\nTình hình an ninh quý IV...")
    result = inspect(tmp_path, raw, "--preset", "kep", capsys=capsys)
    assert result["kind"] == "submission" and result["secrecy"] == "mat"
    assert "MẬT" in result["held"]


def test_administrative_document_with_blank_date(tmp_path, capsys):
    text = (
        "ỦY BAN NHÂN DÂN\nTHỊ TRẤN KÉP\nSố: 15/2026/QĐ-UBND\nKép, ngày     tháng     năm 2026\n"
        "QUYẾT ĐỊNH\nBan hành Quy chế quản lý Cổng thông tin điện tử\nTM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH\nĐặng Minh Khôi\n"
    )
    result = inspect(
        tmp_path,
        plain("vp@kep.gov.vn", "", text),
        "--preset",
        "kep",
        "--received",
        "2026-11-23T09:00:00+07:00",
        capsys=capsys,
    )
    assert result["category"] == "legal_document"
    assert result["document"]["number"] == "15/2026/QĐ-UBND"
    assert result["document"]["type"] == "QUYẾT ĐỊNH"
    assert result["document"]["issued_on"] is None
    assert result["deadline"]["due_at"] == "2026-11-26T00:00:00+07:00"
    assert "ngày ký không rõ" in result["deadline"]["note"]


def test_vietnamese_gmail_and_outlook_replies(tmp_path, capsys):
    notice = plain(
        "bbt@kep.gov.vn",
        "[TS00007] Cần duyệt: Tin hội nghị [ts00007-1-0123456789abcdef]",
        "Cần duyệt",
        Reply_To="bbt+ts00007-1-0123456789abcdef@kep.gov.vn",
        Message_ID="<n1@kep.gov.vn>",
    )
    gmail = inspect(
        tmp_path,
        samples.reply(notice, "truongban@kep.gov.vn", "Nguyễn Văn An", "Duyệt"),
        "--preset",
        "kep",
        capsys=capsys,
    )
    assert gmail["kind"] == "reply"
    assert gmail["command"]["action"] == "approve" and gmail["command"]["draft_key"] == "TS00007"
    assert gmail["command"]["key_valid"] is False  # signed with another site's secret
    outlook = inspect(
        tmp_path,
        samples.reply(notice, "phoban@kep.gov.vn", "Trần Thị Bình", "Không duyệt vì thiếu ảnh", style="outlook"),
        "--preset",
        "kep",
        capsys=capsys,
    )
    assert outlook["command"]["action"] == "reject" and outlook["command"]["reason"] == "vì thiếu ảnh"


def test_reply_key_is_valid_under_the_site_secret(tmp_path, capsys):
    from newsroom import replykey

    config = Path(__file__).parent.parent / "config" / "example.toml"
    secret = tmp_path / "secrets"
    secret.mkdir()
    (secret / "reply-key").write_text("k" * 64)
    site = tmp_path / "config"
    site.mkdir()
    (site / "site.toml").write_text(config.read_text("utf-8"), encoding="utf-8")
    key = replykey.make("k" * 64, "default", "TS00003", 2)
    notice = plain(
        "bbt@kep.gov.vn",
        f"[TS00003] Cần duyệt [{key.token}]",
        "x",
        Reply_To=replykey.plus_address("bbt@kep.gov.vn", key),
    )
    result = inspect(
        tmp_path,
        samples.reply(notice, "truongban@kep.gov.vn", "An", "Từ chối: trùng tin"),
        "--config",
        str(site / "site.toml"),
        capsys=capsys,
    )
    assert result["command"] == {
        "action": "reject",
        "reason": "trùng tin",
        "draft_key": "TS00003",
        "revision": 2,
        "key_valid": True,
        "at": None,
    }
    assert result["sender"]["role"] == "board"


@pytest.mark.parametrize(
    ("headers", "subject", "kind"),
    [
        ({"Auto_Submitted": "auto-replied"}, "Re: [TS00001] Cần duyệt", "auto_reply"),
        ({"X_Autoreply": "yes"}, "Vắng mặt", "auto_reply"),
        ({"Precedence": "bulk"}, "Bản tin", "auto_reply"),
        ({}, "Trả lời tự động: Tôi đang đi công tác", "auto_reply"),
        ({}, "Automatic reply: Out of office", "auto_reply"),
    ],
)
def test_automatic_mail_is_recognised(tmp_path, capsys, headers, subject, kind):
    result = inspect(
        tmp_path, plain("a@kep.gov.vn", subject, "Tôi vắng mặt đến 30/11.", **headers), "--preset", "kep", capsys=capsys
    )
    assert result["kind"] == kind and result["reason"]


def test_bounce_is_recognised(tmp_path, capsys):
    raw = (
        b"From: Mail Delivery System <MAILER-DAEMON@mx.kep.gov.vn>\r\nTo: bbt@kep.gov.vn\r\n"
        b"Subject: Undelivered Mail Returned to Sender\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nUser unknown\r\n"
        b"--b\r\nContent-Type: message/delivery-status\r\n\r\nStatus: 5.1.1\r\n--b--\r\n"
    )
    assert inspect(tmp_path, raw, "--preset", "kep", capsys=capsys)["kind"] == "bounce"


def test_macro_document_is_refused(tmp_path, capsys):
    raw = samples.submission(
        "vhxh@kep.gov.vn", "bbt@kep.gov.vn", "Tin bài", docx=samples.news_docx(), filename="tin.docm"
    )
    result = inspect(tmp_path, raw, "--preset", "kep", capsys=capsys)
    assert result["kind"] == "refused" and ".docm" in result["reason"]


def test_html_body_is_sanitised(tmp_path, capsys):
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "doan@kep.gov.vn", "bbt@kep.gov.vn", "Tin: Ra quân mùa hè xanh"
    msg.set_content("Ra quân mùa hè xanh")
    msg.add_alternative('<p onmouseover="x()">Ra quân <b>mùa hè xanh</b></p><script>steal()</script>', subtype="html")
    result = inspect(tmp_path, bytes(msg), "--preset", "kep", capsys=capsys)
    assert result["body_html"] == "<p>Ra quân <b>mùa hè xanh</b></p>"
    assert result["category"] == "news"
    # a preset alone has no list of departments to compare with; what the sanitiser removed is reported
    assert result["warning_codes"] == ["html_removed"] and "mã script" in result["warnings"][0]


def test_unknown_sender_is_warned_about_where_the_site_lists_departments(tmp_path, capsys):
    config = tmp_path / "site.toml"
    text = (Path(__file__).parent.parent / "config" / "example.toml").read_text("utf-8")
    config.write_text(text.replace('secret_file = "../secrets/reply-key"', 'secret_env = "UNUSED"'), "utf-8")
    raw = plain("la@example.com", "Tin: Ra quân mùa hè xanh", "Ra quân mùa hè xanh")
    result = inspect(tmp_path, raw, "--config", str(config), capsys=capsys)
    assert result["warnings"] == ["người gửi la@example.com không có trong danh sách đơn vị của trang"]
    known = inspect(
        tmp_path, plain("vhxh@kep.gov.vn", "Tin: Ra quân", "Ra quân"), "--config", str(config), capsys=capsys
    )
    assert known["warnings"] == [] and known["sender"]["role"] == "department"
    assert known["source"] == "Công chức Văn hóa - Xã hội"


@pytest.mark.skipif(not CORPORA.exists(), reason="../shared/corpora is not beside this checkout")
def test_every_corpus_email_is_inspected_without_error():
    from datetime import UTC, datetime

    from intake.analyze import analyze, as_json
    from toasoan.cli import preset_settings

    settings = preset_settings("kep")
    files = [
        p
        for p in CORPORA.rglob("*")
        if p.is_file() and p.suffix.lower() in (".eml", ".txt", "") and p.name != "MANIFEST.md"
    ]
    assert len(files) > 100
    kinds = {}
    for path in files:
        result = as_json(analyze(path.read_bytes(), settings, datetime(2026, 11, 23, tzinfo=UTC)))
        kinds[result["kind"]] = kinds.get(result["kind"], 0) + 1
    assert kinds.get("submission", 0) > 50, kinds


def test_reply_with_only_the_tracking_tag(tmp_path, capsys):
    msg = EmailMessage()
    msg["From"], msg["To"] = "Nguyễn Văn An <truongban@kep.gov.vn>", "bbt@kep.gov.vn"
    msg["Subject"] = "TL: [TS00007] Cần duyệt: Tin hội nghị"
    msg["In-Reply-To"] = "<n1@kep.gov.vn>"
    msg.set_content("Đồng ý\n\nGửi từ điện thoại Samsung Galaxy của tôi\n")
    result = inspect(tmp_path, bytes(msg), "--preset", "kep", capsys=capsys)
    assert result["kind"] == "reply"
    assert result["command"] == {
        "action": "approve",
        "reason": None,
        "draft_key": "TS00007",
        "revision": None,
        "key_valid": False,
        "at": None,
    }


@pytest.mark.parametrize(
    "style", ["gmail", "gmail_en", "outlook", "outlook_en", "zimbra", "thunderbird", "apple", "iphone", "html"]
)
@pytest.mark.parametrize(
    ("typed", "action", "reason"),
    [
        ("Duyệt", "approve", None),
        ("Từ chối: Ảnh mờ, đề nghị gửi ảnh gốc", "reject", "Ảnh mờ, đề nghị gửi ảnh gốc"),
        ("sua: bo sung nguon tin", "request_changes", "bo sung nguon tin"),
    ],
)
def test_reply_from_each_client_style(tmp_path, capsys, style, typed, action, reason):
    notice = plain(
        "bbt@kep.gov.vn",
        "[TS00007] Cần duyệt: Tin hội nghị [ts00007-1-0123456789abcdef]",
        "Có bài mới cần duyệt.\nDuyệt  để đăng bài\nTừ chối: <lý do>",
        Reply_To="bbt+ts00007-1-0123456789abcdef@kep.gov.vn",
        Message_ID="<n1@kep.gov.vn>",
    )
    result = inspect(
        tmp_path,
        samples.reply(notice, "truongban@kep.gov.vn", "An", typed, style=style),
        "--preset",
        "kep",
        capsys=capsys,
    )
    assert (result["kind"], result["command"]["action"], result["command"]["reason"]) == ("reply", action, reason)


def test_keys_for_two_drafts_in_one_reply_are_a_forgery(tmp_path, capsys):
    from newsroom import replykey

    config = tmp_path / "site.toml"
    (tmp_path / "key").write_text("k" * 64)
    text = (Path(__file__).parent.parent / "config" / "example.toml").read_text("utf-8")
    config.write_text(text.replace('secret_file = "../secrets/reply-key"', f'secret_file = "{tmp_path}/key"'), "utf-8")
    one, two = replykey.make("k" * 64, "default", "TS00001", 1), replykey.make("k" * 64, "default", "TS00002", 1)
    msg = EmailMessage()
    msg["From"], msg["To"] = "truongban@kep.gov.vn", replykey.plus_address("bbt@kep.gov.vn", one)
    msg["Subject"] = f"Re: [TS00002] Cần duyệt [{two.token}]"
    msg.set_content("Duyệt")
    result = inspect(tmp_path, bytes(msg), "--config", str(config), capsys=capsys)
    assert result["command"]["action"] == "approve" and result["command"]["key_valid"] is False
    msg.replace_header("Subject", f"Re: [TS00001] Cần duyệt [{one.token}]")
    assert inspect(tmp_path, bytes(msg), "--config", str(config), capsys=capsys)["command"]["key_valid"] is True


def test_schedule_command_carries_its_time(tmp_path, capsys):
    notice = plain(
        "bbt@kep.gov.vn", "[TS00007] Cần duyệt [ts00007-1-0123456789abcdef]", "x", Message_ID="<n1@kep.gov.vn>"
    )
    result = inspect(
        tmp_path,
        samples.reply(notice, "truongban@kep.gov.vn", "An", "Đăng lúc 07:00 25/11"),
        "--preset",
        "kep",
        "--received",
        "2026-11-23T09:00:00+07:00",
        capsys=capsys,
    )
    assert result["command"]["action"] == "schedule" and result["command"]["at"] == "2026-11-25T07:00:00+07:00"


def test_forwarded_message_attached_is_the_submission(tmp_path, capsys):
    from email import message_from_bytes, policy

    inner = samples.submission(
        "vanthu@daklak.gov.vn",
        "phong@x.vn",
        "Công văn 123/UBND-VX",
        body="Xem tệp",
        docx=samples.news_docx(),
        name="Văn thư UBND tỉnh",
    )
    outer = EmailMessage()
    outer["From"], outer["To"] = "Phòng VH <vhxh@kep.gov.vn>", "bbt@kep.gov.vn"
    outer["Subject"] = "Fwd: Công văn 123/UBND-VX"
    outer.set_content("Chuyển Ban biên tập đăng.")
    outer.add_attachment(message_from_bytes(inner, policy=policy.default))
    result = inspect(tmp_path, bytes(outer), "--preset", "kep", capsys=capsys)
    assert result["title"] == "Công văn 123/UBND-VX" and result["source"] == "Văn thư UBND tỉnh"
    assert "<h1>Hội nghị tổng kết công tác văn hóa năm 2026</h1>" in result["body_html"]
    assert [a["use"] for a in result["attachments"]] == ["image", "body"]  # no stray .eml attachment
    assert result["warnings"] == [
        "thư chuyển tiếp; bản gốc của Văn thư UBND tỉnh; lời nhắn: “Chuyển Ban biên tập đăng.”"
    ]


def test_forwarded_message_quoted_inline(tmp_path, capsys):
    body = (
        "Chuyển BBT.\n\n---------- Forwarded message ---------\nFrom: Văn thư <vanthu@daklak.gov.vn>\n"
        "Date: Mon, 23 Nov 2026 08:00\nSubject: Tin hội nghị\nTo: <vhxh@kep.gov.vn>\n\n"
        "Sáng 23/11, UBND tỉnh tổ chức hội nghị tổng kết.\n"
    )
    result = inspect(tmp_path, plain("vhxh@kep.gov.vn", "Fwd: Tin hội nghị", body), "--preset", "kep", capsys=capsys)
    assert result["body_html"] == "<p>Sáng 23/11, UBND tỉnh tổ chức hội nghị tổng kết.</p>"
    assert result["source"] == "Văn thư" and result["title"] == "Tin hội nghị"


def test_a_message_without_date_arrives_as_of_the_moment_given(tmp_path, capsys):
    raw = plain("vhxh@kep.gov.vn", "Tin: Ra quân mùa hè xanh", "Đoàn thanh niên thị trấn ra quân chiến dịch.")
    friday = inspect(tmp_path, raw, "--preset", "kep", "--as-of", "2026-11-20T16:00:00+07:00", capsys=capsys)
    assert friday["deadline"]["start"] == "2026-11-20T16:00:00+07:00"
    assert friday["deadline"]["due_at"] == "2026-11-24T00:00:00+07:00"  # 1 working day: Monday, to 24:00
    monday = inspect(tmp_path, raw, "--preset", "kep", "--as-of", "2026-11-23T10:00:00+07:00", capsys=capsys)
    assert monday["deadline"]["due_at"] == "2026-11-26T00:00:00+07:00"  # Tuesday 24/11 is a holiday


def test_message_refused_by_its_headers_is_reported_without_received(tmp_path, capsys):
    """Without --received, inspect takes the moment from the message it reads once: a header block over
    its limits is a refusal to report, as the daemon reports it, not a failure of the command."""
    raw = b"From: vp@kep.gov.vn\r\nSubject: " + b"x" * (70 * 1024) + b"\r\n\r\nNoi dung\r\n"
    result = inspect(tmp_path, raw, "--preset", "kep", capsys=capsys)
    assert result["kind"] == "refused" and result["code"] == "header_line_too_long"


@pytest.mark.parametrize("command", [["inspect", "--preset", "kep"], ["convert"]])
def test_a_file_that_cannot_be_read_is_said_in_a_sentence(tmp_path, command):
    """Not a traceback: the officer typed a wrong name, or gave a folder."""
    for missing, why in ((tmp_path / "khong-co.docx", "No such file"), (tmp_path, "Is a directory")):
        args = [command[0], str(missing), *command[1:]]
        if command[0] == "convert" and missing == tmp_path:
            continue  # convert refuses a name that is not a .docx before reading it
        with pytest.raises(SystemExit, match=re.escape(f"không đọc được tệp {missing}: {why}")):
            main(args)


def test_convert_refuses_in_words_what_a_draft_would_refuse(tmp_path):
    """`toasoan convert` reads a document as the daemon reads an attachment, in a document worker."""
    broken = tmp_path / "hong.docx"
    broken.write_bytes(b"PK\x03\x04 not a whole archive")
    with pytest.raises(SystemExit, match=r"^hong\.docx: tệp nén bị hỏng"):
        main(["convert", str(broken)])
    macros = tmp_path / "macro.docx"
    macros.write_bytes(hostile_set.docx_renamed_macros())
    with pytest.raises(SystemExit, match=r"^macro\.docx: tệp có macro"):
        main(["convert", str(macros)])


def test_convert_shows_a_drafts_html_and_pictures(tmp_path, capsys):
    path = tmp_path / "tin.docx"
    path.write_bytes(samples.news_docx())
    assert main(["convert", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert "<strong>UBND thị trấn Kép</strong>" in out["html"]
    assert '<img src="cid:docx-image-1" alt="Quang cảnh hội nghị">' in out["html"]
    assert [(i["ref"], i["content_type"]) for i in out["images"]] == [("docx-image-1", "image/png")]
