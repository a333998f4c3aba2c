"""A Babel extractor for the schema's table descriptions (``COMMENT ON TABLE t IS '…'`` in
data/migrations/*.sql), so the Data sources page shows "what it holds" in the reader's
language from the one source of truth. Column comments stay English: they feed the data
dictionary, whose "unit | meaning" format tools read."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping
from typing import IO, Any

TABLE_COMMENT = re.compile(r"COMMENT ON TABLE \w+ IS '((?:[^']|'')*)'", re.IGNORECASE)


def extract(
    fileobj: IO[bytes],
    keywords: Mapping[str, Any],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[tuple[int, str | None, str, list[str]]]:
    """(line, function, message, comments) per table comment, as Babel's extractors yield."""
    text = fileobj.read().decode("utf-8")
    for match in TABLE_COMMENT.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        yield line, None, match.group(1).replace("''", "'"), []
