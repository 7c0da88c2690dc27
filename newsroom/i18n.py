"""The languages mails, refusals and answers are written in: gettext catalogs, one translations object
per language, never a global ``_`` (two sites of one process may speak different languages).

Vietnamese is the source language: the msgids are the Vietnamese texts, so "vi" needs no catalog. Other
languages have ``newsroom/locale/<lang>/LC_MESSAGES/toasoan.po`` (extracted and updated with Babel, see
the README's "Languages"). The .po is what is committed; when its compiled .mo is missing or older (a
fresh clone, an editable install), the catalog is compiled in memory from the .po, so every way of
running the code reads the same texts. Babel is imported only when a language other than Vietnamese is
asked for, so a Vietnamese site (and `toasoan inspect`) does not pay for it.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import cache
from gettext import GNUTranslations, NullTranslations
from pathlib import Path

SOURCE = "vi"
DOMAIN = "toasoan"
LOCALE_DIR = Path(__file__).parent / "locale"


def N_(message: str) -> str:
    """Marks a text in a table for extraction; it is translated where it is shown."""
    return message


def catalog_path(language: str, suffix: str = ".po") -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}{suffix}"


@cache
def translations(language: str) -> NullTranslations:
    """The translations of one language; Vietnamese, the source, translates to itself."""
    if language == SOURCE:
        return NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    po, mo = catalog_path(language), catalog_path(language, ".mo")
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as f:
            return GNUTranslations(f)
    with po.open("rb") as f:
        catalog = read_po(f, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return GNUTranslations(compiled)


def gettext(language: str) -> Callable[[str], str]:
    """The ``_`` of one language: ``_ = i18n.gettext(settings.language)`` at the top of a function."""
    return translations(language).gettext
