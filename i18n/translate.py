"""gettext lookups in the current context's language, from Babel-read catalogs."""

from __future__ import annotations

import contextlib
import contextvars
import gettext
import io
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from babel.messages import mofile, pofile

from i18n.languages import DEFAULT, LANGUAGES, Language

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
_language: contextvars.ContextVar[Language] = contextvars.ContextVar("language", default=DEFAULT)


def catalog_path(language: Language) -> Path:
    return LOCALE_DIR / language.replace("-", "_") / "LC_MESSAGES" / "messages.po"


@cache
def translations(language: Language) -> gettext.NullTranslations:
    """The language's catalog, read once per process (English is the source text)."""
    if language == DEFAULT:
        return gettext.NullTranslations()
    with catalog_path(language).open("rb") as handle:
        catalog = pofile.read_po(handle, locale=language.replace("-", "_"))
    compiled = io.BytesIO()
    mofile.write_mo(compiled, catalog, use_fuzzy=False)  # fuzzy entries are not translations
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def use(language: Language) -> None:
    """Speak ``language`` in this context from now on (a page run, a CLI)."""
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}; supported: {', '.join(LANGUAGES)}")
    _language.set(language)


@contextlib.contextmanager
def using(language: Language) -> Iterator[None]:
    """Speak ``language`` inside the block only (an export in the exporter's language)."""
    token = _language.set(language)
    try:
        yield
    finally:
        _language.reset(token)


def current() -> Language:
    return _language.get()


def _(message: str) -> str:
    """``message`` in the current language (itself when no translation exists)."""
    return translations(_language.get()).gettext(message) if message else message


def N_(message: str) -> str:
    """Marks ``message`` for extraction without translating it (translate with ``_`` later)."""
    return message
