"""The languages TechPulse speaks, and how a preference ("zh-Hans", "zh_CN.UTF-8") maps to one."""

from __future__ import annotations

import os
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
