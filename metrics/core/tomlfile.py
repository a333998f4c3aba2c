"""Reading a TOML settings file so that every error names the file, the line and the key.

Validators raise their error class with ``(message, table, key)``; :func:`load` turns that into
``"path:line: message"`` by finding the key in the text (tomllib keeps no line numbers).
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from i18n import _

T = TypeVar("T")


def line_of(text: str, table: str, key: str | None = None) -> int | None:
    """1-based line of ``key`` inside ``[table]`` (or of the header itself)."""
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        if line.split("#", 1)[0].strip().replace(" ", "") != f"[{table}]".replace(" ", ""):
            continue
        if key is None:
            return number
        for offset, inner in enumerate(lines[number:], start=number + 1):
            stripped = inner.strip()
            if stripped.startswith("["):
                break
            if stripped.split("=", 1)[0].strip() == key:
                return offset
        return number
    return None


def load(
    path: Path,
    what: str,
    restore: str,
    parse: Callable[[dict[str, Any]], T],
    error: type[Exception],
) -> T:
    """Read, parse and validate ``path``; every failure becomes ``error`` naming file:line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(
            _("{what} {path} not found; {restore}").format(what=what, path=path, restore=restore)
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(
            _("{what} {path} cannot be read as UTF-8 text: {reason}").format(
                what=what, path=path, reason=exc
            )
        ) from None
    try:
        return parse(tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        raise error(_("{path}: not valid TOML: {reason}").format(path=path, reason=exc)) from None
    except error as exc:
        table, key = exc.args[1:3] if len(exc.args) == 3 else (None, None)
        line = line_of(text, table, key) if table else None
        where = f"{path}:{line}" if line else str(path)
        raise error(f"{where}: {exc.args[0]}") from None
