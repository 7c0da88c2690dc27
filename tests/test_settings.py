"""Configuration: the example loads, presets apply, and every error names the key to fix."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from newsroom.settings import ConfigError, load_settings, preset_names, settings_from_dict

EXAMPLE = Path(__file__).parent.parent / "config" / "example.toml"


def example() -> dict:
    return tomllib.loads(EXAMPLE.read_text("utf-8"))


def test_example_configuration_loads_over_its_preset():
    settings = settings_from_dict(example(), EXAMPLE.parent)
    assert settings.preset == "kep"
    assert settings.rules["news"].article == "Đ9.1"
    assert settings.roles["truong_ban"].may_approve and not settings.roles["thanh_vien"].may_approve
    assert settings.data_dir == EXAMPLE.parent.parent / "data"
    assert settings.database.startswith("sqlite:///") and settings.database.endswith("toasoan.db")
    assert settings.board_member("TruongBan@kep.gov.vn").role == "truong_ban"
    assert settings.department_of("hieutruong@thcskep.edu.vn").name == "Trường THCS thị trấn Kép"


def test_every_preset_loads_and_cites_articles():
    assert preset_names() == ["dak-mar", "hiep-hoa", "kep", "kon-tum", "long-xuyen"]
    for name in preset_names():
        raw = example() | {"preset": name}
        raw["board"] = [{"name": "A", "address": "a@x.vn", "role": next(iter(_preset_roles(name)))}]
        settings = settings_from_dict(raw, EXAMPLE.parent)
        assert settings.rules, name
        assert all(rule.article.startswith("Đ") for rule in settings.rules.values()), name


def _preset_roles(name: str):
    from newsroom.settings import load_preset

    return load_preset(name)["roles"]


def test_site_overrides_preset_values():
    raw = example()
    raw["rules"] = {"news": {"amount": 4, "unit": "working_hours"}}
    settings = settings_from_dict(raw, EXAMPLE.parent)
    assert (settings.rules["news"].amount, settings.rules["news"].unit) == (4, "working_hours")
    assert settings.rules["news"].article == "Đ9.1"  # the rest comes from the preset


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r["imap"].pop("host"), "imap.host: thiếu khóa bắt buộc"),
        (lambda r: r["imap"].update(port="abc"), "imap.port:"),
        (lambda r: r["imap"].update(password="hunter2"), "imap.password: không ghi bí mật trong tệp cấu hình"),
        (lambda r: r["imap"].pop("password_file"), "imap.password: thiếu imap.password_env hoặc imap.password_file"),
        (lambda r: r.update(preset="ha-noi"), "preset: không có preset 'ha-noi'"),
        (lambda r: r["board"][0].update(role="chu_tich"), "board[0].role: vai trò 'chu_tich' không có trong roles"),
        (lambda r: r["board"][1].update(address="not-an-address"), "board[1].address: Value error, địa chỉ thư"),
        (lambda r: r["calendar"].update(office_hours="7h30-11h30"), "calendar.office_hours: Value error, khoảng giờ"),
        (lambda r: r["imap"].update(colour="blue"), "imap.colour: khóa không có ở đây"),
        (lambda r: r["cms"].update(kind="wordpress"), "cms: Value error, kind = 'wordpress' cần url"),
        # a table's own key, which msgspec writes as "[...]", and a check of a model inside such a table
        (
            lambda r: r.update(rules={"tin-moi": {"unit": "weeks"}}),
            "rules.tin-moi.unit: giá trị 'weeks' không được phép",
        ),
        (lambda r: r.update(rules={"news": {"amount": 0}}), "rules.news.amount: cần số > 0"),
        (
            lambda r: r.update(notices={"silence": {"lich-tuan": {"kind": "weekly", "article": "Đ9", "time": "8h"}}}),
            "notices.silence.lich-tuan.time: giờ không hợp lệ (viết như 08:00)",
        ),
        (lambda r: r.update(data_dir=5), "data_dir: cần một đường dẫn"),
        (lambda r: r.update(site_id="Xã Kép"), "site_id: chỉ chữ thường không dấu"),
    ],
)
def test_errors_name_the_key(change, message):
    raw = example()
    change(raw)
    with pytest.raises(ConfigError) as error:
        settings_from_dict(raw, EXAMPLE.parent)
    assert message.replace("Value error, ", "") in str(error.value)


def test_secrets_come_from_environment_or_file(tmp_path, monkeypatch):
    raw = example()
    raw.pop("secret_file")
    raw["secret_env"] = "TOASOAN_TEST_SECRET"
    settings = settings_from_dict(raw, EXAMPLE.parent)
    monkeypatch.delenv("TOASOAN_TEST_SECRET", raising=False)
    with pytest.raises(ConfigError, match="secret_env: biến môi trường TOASOAN_TEST_SECRET chưa được đặt"):
        settings.secret.resolve()
    monkeypatch.setenv("TOASOAN_TEST_SECRET", "s3cret")
    assert settings.secret.resolve() == "s3cret"
    (tmp_path / "pw").write_text("from-file\n")
    raw["imap"]["password_file"] = str(tmp_path / "pw")
    assert settings_from_dict(raw, EXAMPLE.parent).imap.password.resolve() == "from-file"
    assert "from-file" not in repr(settings_from_dict(raw, EXAMPLE.parent))


def test_unreadable_file_and_bad_toml(tmp_path):
    with pytest.raises(ConfigError, match="không đọc được tệp cấu hình"):
        load_settings(tmp_path / "missing.toml")
    (tmp_path / "bad.toml").write_text("preset = \n")
    with pytest.raises(ConfigError, match="TOML không hợp lệ"):
        load_settings(tmp_path / "bad.toml")
