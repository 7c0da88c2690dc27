"""The local site and the demo, as a newcomer runs them: `toasoan local` in one window (mail servers, the
website and the daemon), `toasoan demo` twice in another, the demo's post opened in a real browser, then
Ctrl-C; and the demo alone, starting the servers itself."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from tests.conftest import wait_until
from tests.servers.common import CHECKOUT, free_port, missing, spawn, stop, temp_folder, wait_for_port
from toasoan.cli import main

pytestmark = [pytest.mark.imap, pytest.mark.timeout(240)]


def local_site(language: str = "vi", secrets: bool = True) -> tuple[Path, dict[str, int]]:
    """config/example.toml on free ports, with its data and secrets in a folder of its own that Dovecot's
    account can reach (the mailboxes live under data_dir), its mails in ``language``; without ``secrets``,
    as a new checkout has it (no secrets/ folder)."""
    root = temp_folder("demo")
    os.chmod(root, 0o755)
    (root / "config").mkdir()
    if secrets:
        (root / "secrets").mkdir()
        (root / "secrets" / "reply-key").write_text("k" * 64)
        (root / "secrets" / "imap-password").write_text("thu-nghiem")
    ports = {"imap": free_port(), "smtp": free_port(), "web": free_port()}
    text = (CHECKOUT / "config" / "example.toml").read_text("utf-8")
    text = text.replace("port = 1143", f"port = {ports['imap']}").replace("port = 1025", f"port = {ports['smtp']}")
    text = text.replace("127.0.0.1:8080", f"127.0.0.1:{ports['web']}").replace(
        'language = "vi"', f'language = "{language}"'
    )
    (root / "config" / "site.toml").write_text(text, encoding="utf-8")
    return root / "config" / "site.toml", ports


def demo(config: Path, capsys) -> str:
    assert main(["demo", "--fast", "--config", str(config)]) == 0
    return capsys.readouterr().out


def test_local_site_serves_the_demo_twice_and_stops_on_ctrl_c(capsys, tmp_path):
    if not shutil.which("dovecot") and not Path("/usr/sbin/dovecot").exists():
        missing("Dovecot", "apt-get install -y dovecot-imapd dovecot-lmtpd")
    config, ports = local_site()
    local = spawn(
        [sys.executable, "-m", "toasoan.cli", "local", "--config", str(config)],
        stdout=(tmp_path / "local.out").open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        for port in ports.values():
            wait_for_port(port, 30, local)
        wait_until(lambda: "toasoan đang chạy" in (tmp_path / "local.out").read_text(), 30)
        first = demo(config, capsys)
        second = demo(config, capsys)  # twice in a row: new drafts, the same site
    finally:
        local.send_signal(signal.SIGINT)  # Ctrl-C stops the daemon, the website, the relay and Dovecot
        try:
            local.wait(30)
        finally:
            stop(local)
    guide = (tmp_path / "local.out").read_text()
    assert local.returncode == 0, guide
    assert f"IMAP 127.0.0.1:{ports['imap']}, SMTP 127.0.0.1:{ports['smtp']}" in guide
    assert f"Trang web: http://127.0.0.1:{ports['web']}" in guide and "toasoan demo" in guide
    assert "tạm nhường hộp thư cho demo" in guide
    for port in ports.values():
        with pytest.raises(TimeoutError):
            wait_for_port(port, 0.3)

    for out, first_key in ((first, "TS00001"), (second, "TS00005")):
        assert "demo tự khởi động" not in out  # the servers of `toasoan local` were used
        assert f"Người gửi nhận: “[{first_key}] Đã nhận: Ngày hội Đại đoàn kết" in out
        assert "Bài đã lên trang: http://127.0.0.1:" in out and "Không duyệt" in out
        assert "Hỏi đáp đã lên trang" in out and "nhận cảnh báo: “[Nhắc hạn] QUÁ HẠN" in out
    assert main(["drafts", "list", "--config", str(config)]) == 0
    listed = capsys.readouterr().out
    assert len(re.findall(r"TS0000\d  đã đăng", listed)) == 4  # two articles and two answers
    assert len(re.findall(r"bị từ chối", listed)) == 2


def test_demo_alone_starts_the_servers_and_the_post_shows_in_a_browser(capsys, tmp_path):
    if not shutil.which("dovecot") and not Path("/usr/sbin/dovecot").exists():
        missing("Dovecot", "apt-get install -y dovecot-imapd dovecot-lmtpd")
    config, ports = local_site(secrets=False)  # a new checkout: the demo makes the local site's secrets
    out = demo(config, capsys)
    assert "demo tự khởi động" in out
    made = config.parent.parent / "secrets"
    assert sorted(p.name for p in made.iterdir()) == ["imap-password", "reply-key"]
    assert {oct(p.stat().st_mode & 0o777) for p in made.iterdir()} == {"0o600"}
    # the festival took place on the demo's day: its news item is in time, only the undecided one escalates
    today = datetime.strptime(re.search(r"Đồng hồ của demo: \S+ (\d\d/\d\d/\d{4})", out)[1], "%d/%m/%Y").date()
    assert main(["drafts", "show", "TS00001", "--config", str(config)]) == 0
    shown = capsys.readouterr().out
    deadline = datetime.strptime(
        re.search(r"hạn 24:00 ngày (\S+) \(quy tắc news, tính từ event\)", shown)[1], "%d/%m/%Y"
    )
    assert deadline.date() > today and "escalated" not in shown
    url = re.search(r"Bài đã lên trang: (\S+)", out)[1]
    for port in ports.values():  # stopped with the demo
        with pytest.raises(TimeoutError):
            wait_for_port(port, 0.3)

    browser = shutil.which("chromium")
    if browser is None:
        missing("chromium", "apt-get install -y chromium")
    from publisher.site import Site, WebServer

    # the site again, as `toasoan local` serves it, for the browser
    folder = config.parent.parent / "data" / "site"
    web = WebServer(Site(folder, "Cổng thông tin điện tử thị trấn Kép", "Hỏi đáp"), ports["web"]).start()
    try:
        flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=420,1100"]
        dom = subprocess.run([browser, *flags, "--dump-dom", url], capture_output=True, text=True, timeout=60).stdout
        shot = tmp_path / "post.png"
        subprocess.run([browser, *flags, f"--screenshot={shot}", url], capture_output=True, timeout=60)
    finally:
        web.stop()
    assert re.search(r"<h1>Ngày hội Đại đoàn kết toàn dân tộc ở khu phố Tân Mỹ</h1>", dom)
    image = re.search(r'<img src="(media/[^"]+\.jpe?g)" alt="Quang cảnh Ngày hội Đại đoàn kết"', dom)
    assert image and (folder / image[1]).stat().st_size > 10_000
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 30_000


def test_demo_on_an_english_site(capsys):
    """`language = "en"`: the same story, its mails in English and the editors answering in English."""
    if not shutil.which("dovecot") and not Path("/usr/sbin/dovecot").exists():
        missing("Dovecot", "apt-get install -y dovecot-imapd dovecot-lmtpd")
    config, _ports = local_site("en")
    out = demo(config, capsys)
    assert "Người gửi nhận: “[TS00001] Received: Ngày hội Đại đoàn kết" in out
    assert "trả lời “Approve”" in out and "trả lời “Reject: " in out and "Bài đã lên trang: http://" in out
    assert "trả lời “Approve and publish”" in out and "Hỏi đáp đã lên trang" in out
    assert "nhận cảnh báo: “[Reminder] 1 item OVERDUE: action needed" in out


def test_the_local_sites_secrets_are_made_once_and_only_for_servers_on_this_machine(tmp_path):
    """`toasoan local` and `toasoan demo` make the secret files config/example.toml names when they are
    missing, readable by their owner alone; a file that exists is never rewritten, and a configuration
    whose mail servers are elsewhere gets nothing made."""
    from newsroom.settings import load_settings
    from toasoan.local.site import make_secrets

    (tmp_path / "config").mkdir()
    config = tmp_path / "config" / "site.toml"
    text = (CHECKOUT / "config" / "example.toml").read_text("utf-8")
    config.write_text(text, encoding="utf-8")
    made = make_secrets(load_settings(config))
    secrets = tmp_path / "secrets"
    assert made == [secrets / "reply-key", secrets / "imap-password"]
    assert oct(secrets.stat().st_mode & 0o777) == "0o700"
    assert all(oct(p.stat().st_mode & 0o777) == "0o600" for p in made)
    key, password = (p.read_text().strip() for p in made)
    assert len(key) == 64 and len(password) >= 12 and key != password
    settings = load_settings(config)
    assert settings.imap.password.resolve() == settings.smtp.password.resolve() == password
    assert make_secrets(settings) == [] and (secrets / "imap-password").read_text().strip() == password

    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "config").mkdir(parents=True)
    remote = elsewhere / "config" / "site.toml"
    remote.write_text(text.replace('host = "127.0.0.1"', 'host = "mail.kep.gov.vn"'), encoding="utf-8")
    assert make_secrets(load_settings(remote)) == [] and not (elsewhere / "secrets").exists()


def test_two_local_mail_servers_run_side_by_side():
    """A local site's Dovecot listens on its configured ports alone: two checkouts (or a site and the test
    suite) each run one at once. Left to its default, Dovecot also took IMAPS's 993, and the second stopped
    with "listen(127.0.0.1, 993) failed: Address already in use"."""
    from tests.servers.common import need_binary, remove_folder
    from toasoan.local import dovecot

    need_binary("dovecot", dovecot.PACKAGES)
    servers = [
        dovecot.Dovecot(temp_folder("dc"), port=free_port(), lmtp_port=free_port(), spawn=spawn, stop=stop)
        for _ in range(2)
    ]
    try:
        for server in servers:
            server.add_user("bbt@kep.gov.vn", "thu-nghiem")
            server.start()
        for server in servers:
            with server.client("bbt@kep.gov.vn") as imap:
                assert imap.select_folder("INBOX")[b"EXISTS"] == 0
    finally:
        for server in servers:
            server.stop()
            remove_folder(server.root)
