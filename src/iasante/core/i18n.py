"""Translations: English source strings, French by default; Babel ``.po`` catalogs per package.

Catalogs live in ``web/locale/<lang>.po`` and ``<system>/locale/<lang>.po``; all are merged at first use.
The active language is a context variable set per request (header switch, cookie or the user's choice).
"""

from __future__ import annotations

from contextvars import ContextVar
from functools import lru_cache

from babel.messages.pofile import read_po

from iasante.core.config import PACKAGE_DIR, get_settings

LANGUAGES = {"fr": "Français", "en": "English"}
current_locale: ContextVar[str] = ContextVar("iasante_locale", default="fr")


@lru_cache(maxsize=4)
def _catalog(locale: str) -> dict[str, str]:
    messages: dict[str, str] = {}
    for po_file in sorted(PACKAGE_DIR.glob(f"*/locale/{locale}.po")):
        with po_file.open("rb") as handle:
            for message in read_po(handle, locale=locale):
                if message.id and message.string and isinstance(message.id, str):
                    messages[message.id] = str(message.string)
    return messages


def gettext(message: str) -> str:
    """Translate ``message`` into the active language (English strings are their own translation)."""
    locale = current_locale.get()
    if locale == "en":
        return message
    return _catalog(locale).get(message, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return gettext(singular if n == 1 else plural)


def pick_locale(requested: str | None) -> str:
    return requested if requested in LANGUAGES else get_settings().default_locale


_ = gettext
