"""The languages TechPulse speaks, and how a preference ("zh-Hans", "zh_CN.UTF-8") maps to one."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from typing import Literal

Language = Literal["en", "zh-CN"]
LANGUAGES: tuple[Language, ...] = ("en", "zh-CN")
DEFAULT: Language = "en"
NATIVE_NAMES: dict[Language, str] = {"en": "English", "zh-CN": "中文"}  # each in its own language


def negotiate(preference: str | None) -> Language | None:
    """The supported language a BCP 47 tag or POSIX locale asks for, or None.

    Any Chinese (zh, zh-CN, zh-Hans, zh_CN.UTF-8, even zh-TW) reads Simplified Chinese: it is the
    only Chinese catalog, and closer than English for every Chinese reader.
    """
    if not preference:
        return None
    tag = preference.split(".")[0].split("@")[0].replace("_", "-").strip().lower()
    if tag == "zh" or tag.startswith("zh-"):
        return "zh-CN"
    if tag == "en" or tag.startswith("en-"):
        return "en"
    return None


def from_environment(explicit: str | None = None) -> Language:
    """A CLI's language: ``--lang`` if given, else ``LC_ALL``, ``LC_MESSAGES``, ``LANG``."""
    for value in (explicit, *(os.environ.get(k) for k in ("LC_ALL", "LC_MESSAGES", "LANG"))):
        found = negotiate(value)
        if found:
            return found
    return DEFAULT


def babel_locale(language: Language) -> str:
    """The CLDR locale identifier Babel uses for a language ("zh-CN" → "zh_Hans_CN")."""
    return "zh_Hans_CN" if language == "zh-CN" else "en_US"


def take_cli_language(argv: list[str]) -> tuple[list[str], Language]:
    """Remove ``--lang X`` / ``--lang=X`` from a command line (it may stand anywhere in it)
    and return the rest with the language it asks for, else the environment's.

    An unsupported value raises ValueError naming the choices.
    """
    rest: list[str] = []
    asked: str | None = None
    words = iter(argv)
    for word in words:
        if word == "--lang":
            asked = next(words, "")
        elif word.startswith("--lang="):
            asked = word.removeprefix("--lang=")
        else:
            rest.append(word)
    if asked is not None and negotiate(asked) is None:
        raise ValueError(f"--lang {asked!r} is not supported; use one of: {', '.join(LANGUAGES)}")
    return rest, from_environment(asked)


def run_cli(run: Callable[[list[str]], int], argv: Sequence[str] | None = None) -> int:
    """Run a command line in the language of its ``--lang`` or of the environment; the
    language lasts for this call only. A bad ``--lang`` exits 2 with one line."""
    from i18n.translate import using  # here: translate imports this module

    try:
        words, language = take_cli_language(list(sys.argv[1:] if argv is None else argv))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    with using(language):
        return run(words)
