"""A Babel extractor for the schema's comments in data/migrations/*.sql, so the Data sources
page and the data dictionary download read in the reader's language from the one source of
truth: ``COMMENT ON TABLE t IS '…'`` gives the table's description, and
``COMMENT ON COLUMN t.c IS 'unit | meaning'`` gives its unit and its meaning as two messages
(the committed docs/data-dictionary.md stays English, the format tools read)."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping
from typing import IO, Any

COMMENT = re.compile(
    r"COMMENT ON (?P<kind>TABLE|COLUMN) (?P<name>[\w.]+) IS '(?P<text>(?:[^']|'')*)'",
    re.IGNORECASE,
)


def column_parts(comment: str) -> tuple[str, str]:
    """A column comment's (unit, meaning); the schema writes them as "unit | meaning"."""
    unit, _, meaning = comment.partition(" | ")
    return unit.strip(), meaning.strip()


def extract(
    fileobj: IO[bytes],
    keywords: Mapping[str, Any],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[tuple[int, str | None, str, list[str]]]:
    """(line, function, message, comments) per table description, column unit and column
    meaning, as Babel's extractors yield; the translator's comment names the column."""
    text = fileobj.read().decode("utf-8")
    for match in COMMENT.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        comment = match.group("text").replace("''", "'")
        if match.group("kind").upper() == "TABLE":
            yield line, None, comment, []
            continue
        name = match.group("name")
        for part, role in zip(column_parts(comment), ("unit", "meaning"), strict=True):
            if part:
                yield line, None, part, [f"{role} of column {name}"]
