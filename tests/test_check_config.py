"""`toasoan check-config` logs in to the real servers and says what works."""

from __future__ import annotations

import pytest

from toasoan.cli import main

pytestmark = pytest.mark.timeout(60)


def test_everything_works(site_factory, capsys):
    site = site_factory()
    assert main(["check-config", "--config", str(site.config)]) == 0
    out = capsys.readouterr().out
    assert "✓ cấu hình hợp lệ: Cổng thông tin điện tử thị trấn Kép (preset kep)" in out
    assert f"✓ IMAP: đăng nhập {site.board_box}@127.0.0.1" in out
    assert "✓ SMTP: kết nối 127.0.0.1" in out and "✓ CMS: ghi vào thư mục" in out


def test_wrong_password_and_missing_secret_are_reported(site_factory, capsys):
    site = site_factory()
    (site.config.parent / "secrets" / "imap").write_text("wrong")
    (site.config.parent / "secrets" / "smtp").unlink()
    assert main(["check-config", "--config", str(site.config)]) == 1
    out = capsys.readouterr().out
    assert "✗ IMAP:" in out and "AUTHENTICATIONFAILED" in out.upper().replace(" ", "")
    assert "✗ SMTP: smtp.password_file: không đọc được" in out


@pytest.mark.wordpress
def test_wordpress_login(site_factory, wordpress, capsys):
    site = site_factory(
        cms={"kind": "wordpress", "url": wordpress.url, "username": wordpress.user, "password": wordpress.password}
    )
    assert main(["check-config", "--config", str(site.config)]) == 0
    assert "✓ CMS: đăng nhập WordPress là Ban biên tập (editor)" in capsys.readouterr().out


def test_invalid_configuration_exits_2(tmp_path, capsys):
    bad = tmp_path / "site.toml"
    bad.write_text('preset = "kep"\nsite_name = "x"\n')
    assert main(["check-config", "--config", str(bad)]) == 2
    assert "secret: thiếu secret_env hoặc secret_file" in capsys.readouterr().err
