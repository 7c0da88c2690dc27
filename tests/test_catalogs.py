"""The gettext catalogs: every Vietnamese text people read has its English translation, with the same
placeholders and markup, and the catalog is extracted from the sources as they are now, so a new
untranslated sentence fails here rather than reaching an English-speaking site in Vietnamese."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from intake.replies import parse_command
from newsroom import i18n, mails

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ["newsroom", "intake", "scheduler", "publisher"]
LANGUAGES = ["en"]
PYTHON_FORMAT = re.compile(r"%\((\w+)\)[sd]|%%")
BRACE_FORMAT = re.compile(r"\{(\w*)\}")
MARKUP = re.compile(r"</?(?:a|b|br|code|em|i|li|p|span|strong|ul)\b[^>]*>|&\w+;")


def catalog(language: str):
    with i18n.catalog_path(language).open("rb") as f:
        return read_po(f, locale=language)


def messages(language: str):
    return [m for m in catalog(language) if m.id]


def placeholders(text: str) -> tuple:
    """Python-format and brace-format placeholders (Jinja's trans variables are %(name)s), and markup."""
    return (
        sorted(PYTHON_FORMAT.findall(text)),
        sorted(BRACE_FORMAT.findall(text)),
        sorted(re.sub(r"\s.*", ">", tag) for tag in MARKUP.findall(text)),
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated_not_fuzzy_with_the_same_placeholders(language):
    problems = []
    for m in messages(language):
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        if m.fuzzy:
            problems.append(f"fuzzy: {ids[0]!r}")
        for string in strings:
            if not string:
                problems.append(f"untranslated: {ids[0]!r}")
            elif placeholders(string) != placeholders(ids[0]):
                problems.append(f"placeholders differ: {ids[0]!r} → {string!r}")
    assert not problems, "\n".join(problems)


def test_the_catalog_holds_exactly_what_the_sources_ask_for(tmp_path):
    """Re-extracts with babel.cfg (as the README says) and compares msgids both ways."""
    pot = tmp_path / "toasoan.pot"
    CommandLineInterface().run(
        ["pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"), "-k", "N_", "-o", str(pot)]
        + [str(ROOT / s) for s in SOURCES]
    )
    with pot.open("rb") as f:
        wanted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}
    assert len(wanted) > 400  # the extraction found the templates and the Python sources
    for language in LANGUAGES:
        have = {m.id if isinstance(m.id, str) else m.id[0] for m in messages(language)}
        assert not wanted - have, f"new texts missing from {language}: run the README's pybabel update"
        assert not have - wanted, f"texts no source uses any more in {language}: pybabel update drops them"


def test_a_fresh_clone_without_compiled_catalogs_reads_the_po(tmp_path, monkeypatch):
    """No .mo is committed: the catalog is compiled in memory from the .po, and a compiled .mo (as
    `pybabel compile` leaves in an installed package) gives the same texts."""
    i18n.translations.cache_clear()
    from_po = i18n.translations("en").gettext("Kính gửi Ban biên tập,")
    assert from_po == "Dear editorial board,"
    locale = tmp_path / "locale"
    (locale / "en" / "LC_MESSAGES").mkdir(parents=True)
    (locale / "en" / "LC_MESSAGES" / "toasoan.po").write_bytes(i18n.catalog_path("en").read_bytes())
    CommandLineInterface().run(["pybabel", "-q", "compile", "-d", str(locale), "-D", "toasoan"])
    assert (locale / "en" / "LC_MESSAGES" / "toasoan.mo").exists()
    monkeypatch.setattr(i18n, "LOCALE_DIR", locale)
    i18n.translations.cache_clear()
    try:
        assert i18n.translations("en").gettext("Kính gửi Ban biên tập,") == from_po
    finally:
        i18n.translations.cache_clear()


def test_two_languages_in_one_process_do_not_leak(tmp_path):
    """Each language has its own Jinja environment; rendering one never changes the other."""
    moment = datetime(2026, 11, 25, 2, 30, tzinfo=UTC)
    for _ in range(2):
        vi = mails.render("_footer.txt", {"site": {"site_name": "Trang Kép"}}, "vi")
        en = mails.render("_footer.txt", {"site": {"site_name": "Trang Kép"}}, "en")
        assert vi == "--\nThư tự động của Ban biên tập Trang Kép (toasoan).\n"
        assert en == "--\nAutomatic message from the editorial board of Trang Kép (toasoan).\n"
    assert mails.when(moment, "Asia/Ho_Chi_Minh") == "09:30 ngày 25/11/2026"
    assert mails.when(moment, "Asia/Ho_Chi_Minh", "en") == "25 November 2026, 09:30"
    midnight = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
    assert mails.when(midnight, "Asia/Ho_Chi_Minh") == "24:00 ngày 25/11/2026"
    assert mails.when(midnight, "Asia/Ho_Chi_Minh", "en") == "25 November 2026, 24:00"
    assert (mails.dong(12_500_000), mails.dong(12_500_000, "en")) == ("12.500.000 đ", "12,500,000 VND")
    assert (mails.number(1.5), mails.number(1.5, "en")) == ("1,5", "1.5")


# Every command the board may write, in both languages: the same action whichever language is used.
COMMANDS = [
    ("Duyệt", "Approve", "approve"),
    ("Từ chối: ảnh mờ", "Reject: the photo is blurred", "reject"),
    ("Sửa: thêm nguồn", "Revise: add the source", "request_changes"),
    ("Gỡ: văn bản đã bị thay thế", "Unpublish: the document was replaced", "unpublish"),
    ("Đã nhận", "Acknowledged", "acknowledge"),
    ("Đăng lúc 07:00 25/11", "Publish at 07:00 25/11", "schedule"),
    ("Hệ số 2", "Coefficient 2", "set_coefficient"),
    ("Giao: Trần Thị Bình", "Assign: Trần Thị Bình", "assign"),
    ("Duyệt, đăng", "Approve and publish", "approve_publish"),
    ("Chuyển: hộ tịch", "Forward: civil status", "forward"),
    ("Ngoài phạm vi: thuộc Sở Y tế", "Out of scope: for the Department of Health", "out_of_scope"),
    ("Gia hạn: 20/12/2026 - cần xác minh", "Extend: 20/12/2026 - site visit needed", "extend"),
]


@pytest.mark.parametrize(("vietnamese", "english", "action"), COMMANDS)
def test_commands_are_accepted_in_both_languages(vietnamese, english, action):
    now = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    assert parse_command(vietnamese, now).action == action
    assert parse_command(english, now).action == action


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_commands_a_mail_teaches_are_the_commands_understood(language):
    """The command column of the reply help, in each language, parses to a command."""
    site = {"royalties": True}
    text = mails.render("_commands.txt", {"site": site}, language)
    commands = [re.split(r"\s{2,}", line.strip())[0] for line in text.splitlines() if line.startswith("  ")]
    assert len(commands) == 9
    now = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    for command in commands:
        assert parse_command(command.replace("<", "").replace(">", ""), now) is not None, command
