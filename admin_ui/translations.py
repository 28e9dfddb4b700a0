"""UI translations: Babel catalogs compiled in memory at start-up, and the request's locale.

The ``.po`` files are the only committed form of a catalog (no ``.mo`` files): they are read with
``babel.messages.pofile.read_po`` and compiled with ``write_mo`` into memory when the app starts,
so a broken catalog fails the start-up rather than a page. Besides the shell's own catalog
(``admin_ui/i18n``), a component that contributes templates from ``<pkg>/templates`` may ship
``<pkg>/i18n/<locale>/LC_MESSAGES/messages.po``; its messages are merged in (see docs/admin-ui.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from io import BytesIO
from pathlib import Path
from typing import Any, Final

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from pawpay.platform.settings import get_settings

LOCALES: Final = ("zh_CN", "en")
LOCALE_NAMES: Final = {"zh_CN": "中文", "en": "English"}
LOCALE_COOKIE: Final = "pawpay_locale"
CATALOG_DIR: Final = Path(__file__).parent / "i18n"
DOMAIN: Final = "messages"


def compile_po(path: Path, locale: str) -> Translations:
    """Compile one ``.po`` file into an in-memory :class:`Translations` (fuzzy entries skipped)."""
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=locale, domain=DOMAIN)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer, domain=DOMAIN)


class Catalogs:
    """Every locale's merged translations, compiled once."""

    def __init__(self, directories: Iterable[Path]) -> None:
        self.directories = [CATALOG_DIR, *(d for d in directories if d != CATALOG_DIR)]
        self._by_locale: dict[str, Translations] = {}
        for locale in LOCALES:
            merged: Translations | None = None
            for directory in self.directories:
                po = directory / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
                if po.is_file():
                    compiled = compile_po(po, locale)
                    # The first catalog is the base: it carries the locale's plural rule (an
                    # empty Translations would keep the English one and break ngettext).
                    merged = compiled if merged is None else merged.merge(compiled)
            self._by_locale[locale] = merged if merged is not None else Translations(domain=DOMAIN)

    def get(self, locale: str) -> Translations:
        return self._by_locale.get(locale) or self._by_locale[default_locale()]


def catalog_directories(template_directories: Iterable[str]) -> list[Path]:
    """The ``i18n`` directories that sit next to contributed template directories."""
    found = []
    for directory in template_directories:
        candidate = Path(directory).parent / "i18n"
        if candidate.is_dir() and candidate not in found:
            found.append(candidate)
    return found


def default_locale() -> str:
    return get_settings().default_locale


def normalise_locale(value: str | None) -> str | None:
    """``zh_CN``/``zh-CN``/``zh`` -> ``zh_CN``, ``en``/``en-US`` -> ``en``; anything else None."""
    if not value:
        return None
    value = value.strip().replace("-", "_")
    if value in LOCALES:
        return value
    language = value.split("_", 1)[0].lower()
    return {"zh": "zh_CN", "en": "en"}.get(language)


def request_locale(request: Any) -> str:
    """The locale of a request: the ``pawpay_locale`` cookie (the language switch), else the
    signed-in account's ``locale``, else ``PAWPAY_DEFAULT_LOCALE`` (zh_CN)."""
    chosen = normalise_locale(request.cookies.get(LOCALE_COOKIE))
    if chosen:
        return chosen
    principal = request.scope.get("user")
    account_locale = normalise_locale(getattr(principal, "locale", None))
    return account_locale or default_locale()


def html_lang(locale: str) -> str:
    return locale.replace("_", "-")
