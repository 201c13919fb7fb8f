"""The message catalogue: msgids in English, zh-CN translations in ``locale/zh_CN/*.po``
(and ``locale/en/codes.po`` for the English names of codes such as ``state:closed``).

The .po files are one gettext catalogue split by page area (so that two people editing two
areas do not collide); they are read with Babel and merged at start-up. The current request's
locale lives in a context variable that the Jinja2 ``_()`` and ``gettext`` callables read.
"""
from __future__ import annotations

import gettext as _gettext
from contextvars import ContextVar
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"
LOCALE_DIR = Path(__file__).parent / "locale"

current_locale: ContextVar[str] = ContextVar("cityops_locale", default=DEFAULT_LOCALE)


def catalogue_files(locale: str = "zh_CN") -> list[Path]:
    return sorted((LOCALE_DIR / locale).glob("*.po"))


def read_catalogue(locale: str = "zh_CN") -> Catalog:
    """All the .po files of a locale merged into one Babel catalogue (a msgid twice is an error)."""
    merged = Catalog(locale=locale, domain="messages")
    for path in catalogue_files(locale):
        with path.open("rb") as fh:
            part = read_po(fh, locale=locale)
        for msg in part:
            if not msg.id:
                continue
            if msg.id in merged:
                raise ValueError(f"{path.name}: msgid {msg.id!r} is already in another catalogue file")
            merged.add(msg.id, msg.string, context=msg.context)
    return merged


@lru_cache(maxsize=None)
def translations(locale: str) -> _gettext.NullTranslations:
    """zh_CN: every msgid; en: msgids are English already, only the names of codes ("state:closed")."""
    if not catalogue_files(locale):
        return _gettext.NullTranslations()
    buf = BytesIO()
    write_mo(buf, read_catalogue(locale))
    buf.seek(0)
    return _gettext.GNUTranslations(buf)


def gettext(message: str) -> str:
    return translations(current_locale.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current_locale.get()).ngettext(singular, plural, n)


def pick_locale(cookie: str | None, accept_language: str | None) -> str:
    """The cookie wins; otherwise zh-CN unless the browser asks for English first."""
    if cookie in LOCALES:
        return cookie
    if accept_language and accept_language.strip().lower().startswith("en"):
        return "en"
    return DEFAULT_LOCALE


def N_(message: str) -> str:
    """Marks a msgid for extraction where it is translated later (navigation, column headers)."""
    return message


# Codes shown through a prefix ("state:received"); their msgids are checked from the enums.
def label(prefix: str, code: str | None) -> str:
    """The translation of ``prefix:code``, or the bare code when the catalogue lacks it."""
    if not code:
        return ""
    key = f"{prefix}:{code}"
    text = gettext(key)
    return code if text == key else text


def extracted_msgids() -> dict[str, list[str]]:
    """Every msgid the templates and page modules use → where (for the catalogue check)."""
    from babel.messages.extract import extract_from_dir

    method_map = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
    options = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    found: dict[str, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            str(Path(__file__).parent), method_map=method_map, options_map=options,
            keywords={"_": None, "gettext": None, "N_": None, "ngettext": (1, 2)}):
        for msg in (message if isinstance(message, tuple) else (message,)):
            if msg:
                found.setdefault(msg, []).append(f"{filename}:{lineno}")
    return found


if __name__ == "__main__":  # python -m cityops.entrypoints.web.i18n: msgids without a zh-CN translation
    have = read_catalogue()
    for msgid, where in sorted(extracted_msgids().items()):
        m = have.get(msgid)
        if m is None or not m.string:
            print(f"{msgid!r}\t{where[0]}")
