"""User and source text shown through Streamlit's Markdown-rendering elements, as text.

Labels (expanders, buttons), captions and messages render GitHub-flavoured Markdown: a title
like ``[login](https://evil)`` or ``![](https://tracker/x.png)`` would become a link or a remote
fetch. Every ASCII punctuation character may be backslash-escaped in CommonMark, so escaping
all of them stops every construct that is parsed. Bare URLs and e-mail addresses are different:
GFM autolinks them in the parsed *text* (after escapes are resolved), so a WORD JOINER (U+2060,
invisible) goes inside ``://``, after ``www`` and before ``@``, where no autolink can match.
"""

from __future__ import annotations

import re

_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
_AUTOLINK = re.compile(r"(?i)(?<=:)(?=//)|(?<=www)(?=\.)|(?=@)")
WORD_JOINER = "\u2060"


def md_literal(text: object) -> str:
    """``text`` as Markdown that renders exactly as written (autolinks broken), on one line."""
    one_line = " ".join(str(text).split())
    return _PUNCTUATION.sub(r"\\\1", _AUTOLINK.sub(WORD_JOINER, one_line))
