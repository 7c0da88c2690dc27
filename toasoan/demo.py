"""`toasoan demo`: the whole story in under a minute, against the local site, each step checked.

A department mails a .docx with a photo; the acknowledgement and the board's notification arrive; a board
member replies "Duyệt" and the post appears on the local website; a second item is refused with a reason;
a citizen's question goes to the unit, is answered and published; then the demo moves its own clock past
the deadline of an item nobody decided, and the office head is warned. The people's mail goes through the
local SMTP server and is read from their IMAP mailboxes, as a mail client would; the daemon is the real one,
run here on a clock the demo moves, and every step waits for what it expects (a mail, a page) and fails
loudly when it does not come. So the demo also tells whether an installation works. What it leaves (drafts,
mail, posts) stays, so `toasoan drafts list`, `toasoan report deadlines` and the website show it afterwards.
"""

from __future__ import annotations

import asyncio
import io
import re
import smtplib
import threading
import time
import urllib.request
from collections.abc import Callable
from datetime import date, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from zoneinfo import ZoneInfo

from msgspec.structs import replace

from newsroom import i18n
from newsroom.clock import ManualClock, SystemClock
from newsroom.settings import Settings
from toasoan.local.site import CITIZEN

TITLE = "Ngày hội Đại đoàn kết toàn dân tộc ở khu phố Tân Mỹ"
REFUSED = "Thông báo lịch cắt điện tháng 12"
UNDECIDED = "Kế hoạch tổ chức giải bóng đá thiếu niên dịp hè"
REASON = "Lịch này Điện lực đã đăng, đề nghị không đăng lại."
QUESTION = "Hỏi về thủ tục đăng ký khai sinh"
ANSWER = (
    "Hồ sơ gồm tờ khai đăng ký khai sinh, giấy chứng sinh và giấy tờ tùy thân của cha, mẹ; nộp tại Bộ phận "
    "một cửa UBND thị trấn Kép trong giờ hành chính, hoặc trực tuyến trên Cổng dịch vụ công."
)


class DemoFailed(Exception):
    """A step did not happen in time: the installation does not work as it should."""


def photo() -> bytes:
    """A photo for the article: a festival scene drawn here (the demo ships no image file)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (960, 600), (120, 180, 230))
    draw = ImageDraw.Draw(image)
    for y in range(320):  # sky fading to the horizon
        draw.line([(0, y), (960, y)], fill=(120 + y // 4, 180 + y // 8, 235))
    draw.ellipse((760, 60, 860, 160), fill=(255, 214, 90))
    draw.polygon([(0, 360), (220, 230), (430, 350), (650, 240), (960, 370), (960, 600), (0, 600)], fill=(70, 140, 80))
    draw.rectangle((180, 250, 780, 330), fill=(200, 30, 30))  # the banner over the stage
    draw.rectangle((200, 330, 760, 430), fill=(240, 236, 225))
    for i in range(60):  # the crowd
        x, y = 60 + (i * 137) % 860, 450 + (i * 53) % 120
        draw.ellipse((x, y, x + 26, y + 26), fill=((i * 40) % 200 + 40, 60, (i * 90) % 200 + 40))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def article(day: date) -> bytes:
    """The department's .docx: title, text, a list, the photo with its description, the author's line. The
    festival took place on ``day`` (the demo's today): a news item's deadline counts from its event, and an
    event long past would have the office head warned before anyone could read the item."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm

    doc = Document()
    doc.add_heading(TITLE, level=1)
    p = doc.add_paragraph(f"Sáng ngày {day.day}/{day.month}, ")
    p.add_run("khu phố Tân Mỹ").bold = True
    p.add_run(" tổ chức Ngày hội Đại đoàn kết toàn dân tộc với sự tham gia của hơn 300 người dân.")
    doc.add_paragraph("Tại ngày hội, Ban công tác Mặt trận khu phố đã:")
    doc.add_paragraph("Biểu dương 25 gia đình văn hóa tiêu biểu", style="List Bullet")
    doc.add_paragraph("Trao 10 suất quà cho hộ có hoàn cảnh khó khăn", style="List Bullet")
    doc.add_picture(io.BytesIO(photo()), width=Cm(15))
    doc.inline_shapes[0]._inline.docPr.set("descr", "Quang cảnh Ngày hội Đại đoàn kết")
    doc.add_paragraph("Ngày hội là dịp để người dân gặp gỡ, chia sẻ và cùng nhau xây dựng nếp sống văn minh.")
    end = doc.add_paragraph("Tin, ảnh: Nguyễn Thị Hoa")
    end.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def parsed(raw: bytes) -> EmailMessage:
    return message_from_bytes(raw, policy=policy.default)


def text_of(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


class Story:
    """The people of the site, the daemon on the demo's clock, and the steps between them."""

    def __init__(self, settings: Settings, config: str, fast: bool, say: Callable[[str], None], timeout: float = 30):
        self.settings, self.config, self.say, self.timeout = settings, config, say, timeout
        self.pause = 0.0 if fast else 1.2
        self.password = settings.imap.password.resolve()
        self.clock = ManualClock(SystemClock()().astimezone(ZoneInfo(settings.timezone)))
        self.started = time.monotonic()
        self.department = next(a for d in settings.departments for a in d.addresses)
        self.approver, self.other = settings.board[0], settings.board[1]
        self.daemon = None

    def subject(self, msgid: str) -> str:
        """What the site's subjects say, in its language: the catalog's text up to its first placeholder
        ("Đã đăng: {title}" → "Đã đăng" or "Published"). The demo speaks Vietnamese; the mails, the site's."""
        return i18n.gettext(self.settings.language)(msgid).partition("{")[0].rstrip(": ")

    def command(self, msgid: str) -> str:
        """A command as the site's mails teach it ("Từ chối: <lý do>" → "Từ chối" or "Reject")."""
        return i18n.gettext(self.settings.language)(msgid).partition(":")[0]

    def step(self, text: str) -> None:
        self.say(f"[{time.monotonic() - self.started:5.1f} s] {text}")
        time.sleep(self.pause)

    # the daemon, in a thread of this process, on the demo's clock

    def start_daemon(self) -> None:
        from scheduler.daemon import Daemon

        ready = threading.Event()
        # the inbox re-read every second too, not only on IDLE: a message that lands while the watcher is
        # still connecting is not left for the configured minute; and the demo's citizen may ask as often as
        # the demo is played (the daily limit per asker would refuse the fourth run of a day)
        imap = replace(self.settings.imap, poll_seconds=1)
        questions = replace(self.settings.questions, daily_limit=10_000)
        settings = replace(self.settings, imap=imap, questions=questions)

        def run() -> None:
            async def main() -> None:
                self.daemon = Daemon(settings, clock=self.clock, sweep_seconds=0.3)
                self.loop = asyncio.get_running_loop()
                ready.set()
                await self.daemon.run()

            asyncio.run(main())

        self.thread = threading.Thread(target=run, name="demo-daemon", daemon=True)
        self.thread.start()
        if not ready.wait(30):
            raise DemoFailed("tiến trình nền không khởi động được")

    def stop_daemon(self) -> None:
        if self.daemon is not None and self.thread.is_alive():
            self.loop.call_soon_threadsafe(self.daemon.stopping.set)
            self.thread.join(30)

    def until(self, what: str, found: Callable[[], object]):
        """``found()``'s answer once it has one, or DemoFailed naming what did not happen."""
        deadline = time.monotonic() + self.timeout
        while True:
            answer = found()
            if answer:
                return answer
            if time.monotonic() > deadline:
                raise DemoFailed(f"sau {self.timeout:.0f} giây vẫn chưa thấy: {what}")
            time.sleep(0.1)

    # people: mail sent through the local SMTP server, read from their IMAP mailboxes

    def send(self, sender: str, name: str, message: EmailMessage) -> str:
        message["From"] = f"{name} <{sender}>"
        message["Date"] = format_datetime(self.clock())
        message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2])
        with smtplib.SMTP("127.0.0.1", self.settings.smtp.port, timeout=30) as smtp:
            smtp.login(sender, self.password)
            smtp.send_message(message)
        return str(message["Message-ID"])

    def submit(self, subject: str, body: str, docx: bytes | None = None) -> str:
        message = EmailMessage()
        message["To"] = self.settings.smtp.from_address
        message["Subject"] = subject
        message.set_content(f"Kính gửi Ban biên tập,\n{body}\nTrân trọng,\nCông chức Văn hóa - Xã hội\n")
        if docx:
            kind = "vnd.openxmlformats-officedocument.wordprocessingml.document"
            message.add_attachment(docx, maintype="application", subtype=kind, filename=f"{subject}.docx")
        return self.send(self.department, "Công chức VH-XH", message)

    def reply(self, original: EmailMessage, sender: str, name: str, text: str) -> None:
        """A reply as a mail client writes it: the command on top, the original quoted below."""
        message = EmailMessage()
        message["To"] = str(original["Reply-To"] or original["From"])
        message["Subject"] = "Re: " + str(original["Subject"])
        message["In-Reply-To"] = str(original["Message-ID"])
        message["References"] = f"{original.get('References', '')} {original['Message-ID']}".strip()
        quoted = "\n".join("> " + line for line in text_of(original).splitlines())
        message.set_content(f"{text}\n\nVào {original['Date']}, {original['From']} đã viết:\n{quoted}\n")
        self.send(sender, name, message)

    def inbox(self, address: str, criteria: list) -> list[EmailMessage]:
        from imapclient import IMAPClient

        with IMAPClient("127.0.0.1", port=self.settings.imap.port, ssl=False, timeout=10) as client:
            client.login(address, self.password)
            client.select_folder("INBOX", readonly=True)
            uids = client.search(criteria)
            fetched = client.fetch(uids, ["RFC822"]) if uids else {}
            return [parsed(data[b"RFC822"]) for _, data in sorted(fetched.items())]

    def mail(self, address: str, what: str, criteria: list, wanted: Callable = lambda m: True) -> EmailMessage:
        """The first message of ``address``'s inbox that the server's search and ``wanted`` both select."""
        return self.until(
            f"{what} trong hộp thư {address}", lambda: next(filter(wanted, self.inbox(address, criteria)), None)
        )

    def about(self, address: str, key: str, subject_has: str, what: str) -> EmailMessage:
        return self.mail(address, what, ["SUBJECT", f"[{key}]"], lambda m: subject_has in str(m["Subject"]))

    def answer_to(self, address: str, message_id: str, what: str) -> tuple[EmailMessage, str]:
        message = self.mail(address, what, ["HEADER", "In-Reply-To", message_id])
        key = re.search(r"\[([A-Z]{2}\d+)\]", str(message["Subject"]))
        if key is None:
            raise DemoFailed(f"{what}: thư trả lời “{message['Subject']}” không có mã theo dõi")
        return message, key[1]

    def page(self, url: str, must_contain: str) -> str:
        def found():
            try:
                with urllib.request.urlopen(url, timeout=10) as response:
                    body = response.read().decode()
            except OSError:
                return None
            return body if must_contain in body else None

        return self.until(f"trang {url} có “{must_contain}”", found)

    def database(self, read: Callable):
        from newsroom.db import session_factory

        with session_factory(self.daemon.engine, self.settings.site_id)() as session:
            return read(session)

    # the story

    def play(self) -> None:
        s = self.settings
        month = f"{self.clock():%Y-%m}"
        self.step(f"Đồng hồ của demo: {self.clock():%H:%M %d/%m/%Y}; tiến trình nền chạy trên đồng hồ đó.")
        self.start_daemon()
        try:
            key = self.approved()
            self.refused()
            late = self.undecided()
            self.question()
            self.deadline_passes(late)
            self.until("tiến trình nền xong mọi việc đến hạn", self.daemon.idle)
        finally:
            self.stop_daemon()
        self.say(f"Xong trong {time.monotonic() - self.started:.0f} giây. Dữ liệu vẫn còn:")
        self.say(f"  trang web: {s.cms.url}")
        self.say(f"  .venv/bin/toasoan drafts show {key} --config {self.config}")
        self.say(f"  .venv/bin/toasoan drafts list --config {self.config}")
        self.say(f"  .venv/bin/toasoan report deadlines --month {month} --config {self.config}")

    def approved(self) -> str:
        s = self.settings
        self.step(f"{self.department} gửi bài “{TITLE}” (.docx có ảnh) đến {s.smtp.from_address}")
        text = "Xin gửi tin về Ngày hội Đại đoàn kết ở khu phố Tân Mỹ."
        sent = self.submit(f"Tin bài: {TITLE}", text, article(self.clock().date()))
        ack, key = self.answer_to(self.department, sent, "thư báo đã nhận bài")
        self.step(f"Người gửi nhận: “{ack['Subject']}”")
        notice = self.about(self.approver.address, key, self.subject("Cần duyệt"), "thư Cần duyệt")
        self.step(f"{self.approver.name} ({self.approver.address}) nhận: “{notice['Subject']}”")
        self.reply(notice, self.approver.address, self.approver.name, self.command("Duyệt"))
        self.step(f"{self.approver.name} trả lời “{self.command('Duyệt')}”")
        published = self.about(self.department, key, self.subject("Đã đăng: {title}"), "thư Đã đăng")
        url = re.search(r"https?://\S+", text_of(published))[0]
        self.page(url, TITLE)
        self.step(f"Bài đã lên trang: {url}")
        return key

    def refused(self) -> None:
        self.step(f"{self.department} gửi bài thứ hai: “{REFUSED}”")
        sent = self.submit(REFUSED, "Xin đăng lịch cắt điện tháng 12 trên địa bàn thị trấn.")
        _, key = self.answer_to(self.department, sent, "thư báo đã nhận bài thứ hai")
        notice = self.about(self.other.address, key, self.subject("Cần duyệt"), "thư Cần duyệt bài thứ hai")
        reject = f"{self.command('Từ chối: <lý do>')}: {REASON}"
        self.reply(notice, self.other.address, self.other.name, reject)
        self.step(f"{self.other.name} trả lời “{reject}”")
        refusal = self.about(self.department, key, self.subject("Không duyệt"), "thư Không duyệt")
        if REASON not in text_of(refusal):
            raise DemoFailed("thư Không duyệt không nêu lý do")
        self.step(f"Người gửi nhận “{refusal['Subject']}” kèm lý do")

    def undecided(self):
        self.step(f"{self.department} gửi bài thứ ba: “{UNDECIDED}”; không ai trả lời")
        sent = self.submit(UNDECIDED, "Xin đăng kế hoạch tổ chức giải bóng đá thiếu niên dịp hè năm sau.")
        _, key = self.answer_to(self.department, sent, "thư báo đã nhận bài thứ ba")
        self.about(self.approver.address, key, self.subject("Cần duyệt"), "thư Cần duyệt bài thứ ba")
        return key

    def question(self) -> None:
        from sqlalchemy import select

        from newsroom.records import Draft, Question

        s = self.settings
        to = s.questions.addresses[0] if s.questions.addresses else s.smtp.from_address
        self.step(f"Công dân {CITIZEN[1]} gửi câu hỏi “{QUESTION}” đến {to}")
        message = EmailMessage()
        message["To"] = to
        message["Subject"] = QUESTION
        message.set_content(
            "Kính gửi Ban biên tập,\nCon tôi sinh ngày 10/11 tại bệnh viện huyện. Xin hỏi thủ tục đăng ký khai "
            f"sinh cần những giấy tờ gì và nộp ở đâu?\nXin cảm ơn.\n{CITIZEN[0]}\n"
        )
        sent = self.send(CITIZEN[1], CITIZEN[0], message)
        _, key = self.answer_to(CITIZEN[1], sent, "thư báo đã nhận câu hỏi")
        notice = self.about(self.approver.address, key, self.subject("Câu hỏi mới"), "thư Câu hỏi mới")
        self.step(f"Công dân nhận mã {key}; Ban biên tập nhận “{notice['Subject']}”")
        self.reply(notice, self.approver.address, self.approver.name, self.command("Chuyển"))
        unit = self.database(lambda db: db.scalar(select(Question).where(Question.key == key)).unit_address)
        forwarded = self.about(
            unit, key, self.subject("Đề nghị trả lời câu hỏi của công dân: {title}"), "câu hỏi chuyển đến đơn vị"
        )
        self.step(f"{self.approver.name} trả lời “{self.command('Chuyển')}”; đơn vị {unit} nhận câu hỏi và trả lời")
        self.reply(forwarded, unit, "Đơn vị trả lời", ANSWER)
        to_approve = self.about(
            self.approver.address, key, self.subject("Đơn vị đã trả lời, cần duyệt"), "câu trả lời chờ duyệt"
        )
        self.reply(to_approve, self.approver.address, self.approver.name, self.command("Duyệt, đăng"))
        self.about(CITIZEN[1], key, self.subject("Trả lời câu hỏi: {title}"), "câu trả lời gửi công dân")
        self.step(f"{self.approver.name} trả lời “{self.command('Duyệt, đăng')}”; công dân nhận câu trả lời")

        def post_url():
            def read(db):
                question = db.scalar(select(Question).where(Question.key == key))
                draft = db.get(Draft, question.draft_id) if question.draft_id else None
                return draft.post_url if draft else None

            return self.database(read)

        url = self.until("hỏi đáp được đăng", post_url)
        self.page(url, "khai sinh")
        self.step(f"Hỏi đáp đã lên trang: {url}")

    def deadline_passes(self, key: str) -> None:
        from sqlalchemy import select

        from newsroom.mails import when
        from newsroom.records import Draft
        from scheduler.calendar import WorkingCalendar

        due = self.database(lambda db: db.scalar(select(Draft.deadline_at).where(Draft.key == key)))
        calendar = WorkingCalendar(self.settings.calendar, self.settings.timezone)
        moment = due + timedelta(minutes=1)
        while not calendar.in_office_hours(moment):  # escalations go out in office hours
            moment += timedelta(minutes=15)
        self.clock.set(max(moment, self.clock()))
        tz = self.settings.timezone
        self.step(f"Hạn đăng bài {key} là {when(due, tz)}; demo dời đồng hồ tới {when(self.clock(), tz)}")
        head = self.settings.office_head

        def about_late(message: EmailMessage) -> bool:
            return self.subject("QUÁ HẠN") in str(message["Subject"]) and key in text_of(message)

        warning = self.mail(head.address, f"thư QUÁ HẠN về {key}", ["ALL"], about_late)
        self.step(f"{head.name} ({head.address}) nhận cảnh báo: “{warning['Subject']}”")


def play(settings: Settings, config: str, fast: bool = False, say: Callable[[str], None] = print) -> None:
    """The story against the local site of ``settings``, starting its servers here when none run."""
    from toasoan.local.handoff import DaemonLock
    from toasoan.local.site import LocalSite, check, running

    check(settings)
    servers = None
    if not running(settings):
        say("Máy chủ thư và trang web chưa chạy: demo tự khởi động chúng (dừng khi demo xong).")
        servers = LocalSite(settings).start()
    try:
        with DaemonLock(settings).for_demo():
            Story(settings, config, fast, say).play()
    finally:
        if servers is not None:
            servers.stop()
