"""The whole story through real servers: a department mails a .docx, the board is told, a board member
replies, the post appears on WordPress (or the sender learns why not), and an undecided draft reaches
the office head at its deadline."""

from __future__ import annotations

import re
import smtplib
from email import message_from_bytes, policy

import pytest

from tests import samples
from toasoan.cli import main

pytestmark = pytest.mark.timeout(180)


def parsed(raw: bytes):
    return message_from_bytes(raw, policy=policy.default)


def text_of(raw: bytes) -> str:
    return parsed(raw).get_body(("plain",)).get_content()


def html_of(raw: bytes) -> str:
    return parsed(raw).get_body(("html",)).get_content()


def send_reply(site, raw_reply: bytes) -> None:
    """Deliver a reply the way the board's mail server would: over LMTP to the plus-address it names."""
    to = parsed(raw_reply)["To"].addresses[0].addr_spec
    with smtplib.LMTP("127.0.0.1", site.dovecot.lmtp_port) as lmtp:
        lmtp.sendmail(parsed(raw_reply)["From"].addresses[0].addr_spec, [to], raw_reply)


def submit_news(site) -> str:
    """Mail the department's article to the board; returns its Message-ID."""
    raw = samples.submission(
        site.department,
        site.board_box,
        "Tin bài: Hội nghị tổng kết công tác văn hóa năm 2026",
        docx=samples.news_docx(),
    )
    site.deliver(raw)
    return parsed(raw)["Message-ID"]


@pytest.mark.wordpress
def test_approval_by_reply_publishes_the_document_on_wordpress(site_factory, wordpress, capsys):
    site = site_factory(
        cms={
            "kind": "wordpress",
            "url": wordpress.url,
            "username": wordpress.user,
            "password": wordpress.password,
        }
    )
    site.start()
    submitted_id = submit_news(site)

    ack = site.wait_mail(site.department, "Đã nhận")[0]
    assert "Mã theo dõi: TS00001" in text_of(ack)
    assert parsed(ack)["Auto-Submitted"] == "auto-generated"
    assert parsed(ack)["In-Reply-To"] == submitted_id  # the sender sees one conversation

    notice = site.wait_mail(site.address("truongban"), "Cần duyệt")[0]
    site.wait_mail(site.address("phoban"), "Cần duyệt")
    message = parsed(notice)
    body = text_of(notice)
    assert "Hội nghị tổng kết công tác văn hóa năm 2026" in message["Subject"]
    assert "Hạng mục:    Hội nghị, sơ kết, tổng kết" in body
    # 2 working days after the conference the text dates ("Sáng ngày 20/11/2026", a Friday): Mon 23, Wed 25
    assert "Hạn đăng:    24:00 ngày 25/11/2026 (Đ9.3" in body
    assert "Duyệt" in body and "Từ chối: <lý do>" in body
    assert "Gia đình văn hóa" in html_of(notice)  # the preview shows the table
    assert re.fullmatch(
        rf"bbt\+ts00001-1-[0-9a-f]{{16}}@{re.escape(site.domain)}", message["Reply-To"].addresses[0].addr_spec
    )
    assert message["Auto-Submitted"] == "auto-generated"

    send_reply(site, samples.reply(notice, site.address("truongban"), "Nguyễn Văn An", "Duyệt"))

    published = site.wait_mail(site.department, "Đã đăng", timeout=60)[0]
    url = re.search(r"http://\S+", text_of(published))[0]
    board_copy = site.wait_mail(site.address("phoban"), "Đã đăng")[0]
    assert message["Message-ID"] in parsed(board_copy)["References"]  # the board sees one thread per draft
    assert url in text_of(board_copy)
    posts = [p for p in wordpress.posts() if p["link"] == url]
    assert len(posts) == 1, f"no post at {url}"
    post = posts[0]
    assert post["status"] == "publish"
    assert post["title"]["raw"] == "Hội nghị tổng kết công tác văn hóa năm 2026"
    html = post["content"]["raw"]
    assert "<h1>Hội nghị tổng kết công tác văn hóa năm 2026</h1>" in html
    assert "<h2>Kết quả nổi bật</h2>" in html
    assert "<strong>UBND thị trấn Kép</strong>" in html and "<em>tổng kết</em>" in html
    assert re.search(r"<ul><li>Xây dựng 12 khu dân cư văn hóa</li><li>Tổ chức 5 giải thể thao</li></ul>", html)
    assert re.search(r"<ol><li>Đánh giá kết quả</li><li>Khen thưởng tập thể</li></ol>", html)
    assert "<thead><tr><th>Chỉ tiêu</th><th>Kết quả</th></tr></thead>" in html
    image = re.search(r'<img src="([^"]+)" alt="Quang cảnh hội nghị"', html)
    assert image and image[1].startswith(wordpress.url + "/wp-content/uploads/")
    assert "Tác giả:</strong> Nguyễn Thị Hoa" in html and "Nguồn:</strong> Công chức Văn hóa - Xã hội" in html
    categories = {c["id"]: c["name"] for c in wordpress.get("categories")}
    assert [categories[c] for c in post["categories"]] == ["Tin tức - Sự kiện"]

    # Both messages were moved out of the inbox once processed.
    assert site.dovecot.messages(site.board_box) == []
    assert len(site.dovecot.messages(site.board_box, "Toasoan/Processed")) == 2

    # Who approved this, and when: the draft's history names the person and the message.
    assert main(["drafts", "show", "TS00001", "--config", str(site.config)]) == 0
    history = capsys.readouterr().out
    assert "trạng thái đã đăng" in history and url in history
    assert re.search(r"approve +bởi Nguyễn Văn An <truongban@\S+> \(truong_ban\) bản 1, thư <", history)
    assert re.search(r"board_new +→ truongban@", history) and "đã gửi" in history
    assert main(["drafts", "list", "--config", str(site.config)]) == 0
    assert "TS00001  đã đăng" in capsys.readouterr().out


def test_rejection_by_outlook_reply_tells_the_sender_why(site_factory):
    site = site_factory()
    site.start()
    submit_news(site)
    notice = site.wait_mail(site.address("phoban"), "Cần duyệt")[0]
    send_reply(
        site,
        samples.reply(
            notice,
            site.address("phoban"),
            "Trần Thị Bình",
            "Từ chối: Ảnh chưa rõ nét, đề nghị gửi ảnh gốc.",
            style="outlook",
        ),
    )
    refusal = site.wait_mail(site.department, "Không duyệt")[0]
    assert "Lý do: Ảnh chưa rõ nét, đề nghị gửi ảnh gốc." in text_of(refusal)
    assert "Trần Thị Bình" in text_of(site.wait_mail(site.address("truongban"), "Không duyệt")[0])
    assert list(site.settings.cms.folder.glob("*.html")) == []


def test_replies_that_may_not_decide_change_nothing(site_factory):
    site = site_factory()
    site.start()
    submit_news(site)
    notice = site.wait_mail(site.address("thanhvien"), "Cần duyệt")[0]
    # A member without the right to approve is told so; an outsider's copy of the reply is ignored.
    send_reply(site, samples.reply(notice, site.address("thanhvien"), "Lê Văn Cường", "Duyệt"))
    answer = site.wait_mail(site.address("thanhvien"), "chưa được thực hiện")[0]
    assert "không được quyết định" in text_of(answer)
    send_reply(site, samples.reply(notice, "ke.gia.mao@example.com", "Kẻ giả mạo", "Duyệt"))
    # A forged key from a board member is ignored too.
    forged = (
        samples.reply(notice, site.address("truongban"), "Nguyễn Văn An", "Duyệt")
        .replace(b"bbt+ts00001-1-", b"bbt+ts00001-1-0")
        .replace(b"[ts00001-1-", b"[ts00001-1-0")
    )
    send_reply(site, re.sub(rb"ts00001-1-0[0-9a-f]{16}", b"ts00001-1-0123456789abcdef", forged))
    site.settle()
    assert len(site.dovecot.messages(site.board_box, "Toasoan/Processed")) == 4
    department = [str(parsed(r)["Subject"]) for r in site.dovecot.messages(site.department)]
    assert len(department) == 1 and department[0].startswith("[TS00001] Đã nhận")  # the acknowledgement only
    assert list(site.settings.cms.folder.glob("*.html")) == []
    # The head of the board then approves: only now is it published.
    send_reply(site, samples.reply(notice, site.address("truongban"), "Nguyễn Văn An", "duyet"))
    site.wait_mail(site.department, "Đã đăng", timeout=30)
    assert len(list(site.settings.cms.folder.glob("*.html"))) == 1


def test_reply_found_by_in_reply_to_when_the_client_drops_address_and_subject(site_factory):
    site = site_factory()
    site.start()
    submit_news(site)
    notice = site.wait_mail(site.address("truongban"), "Cần duyệt")[0]
    raw = samples.reply(notice, site.address("truongban"), "Nguyễn Văn An", "Đồng ý")
    stripped = parsed(raw)
    stripped.replace_header("To", site.board_box)
    stripped.replace_header("Subject", "Re: bài hội nghị")
    send_reply(site, bytes(stripped))
    site.wait_mail(site.department, "Đã đăng", timeout=30)
