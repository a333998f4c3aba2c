"""User and source text shown through Streamlit's Markdown-rendering elements, as text.

Labels (expanders, buttons), captions and messages render GitHub-flavoured Markdown: a title
like ``[login](https://evil)`` or ``![](https://tracker/x.png)`` would become a link or a remote
fetch. Every ASCII punctuation character may be backslash-escaped in CommonMark, so escaping
all of them leaves only literal text (bare-URL autolinks included: ``https\\://`` no longer
matches).
"""

from __future__ import annotations

import re

_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def md_literal(text: object) -> str:
    """``text`` as Markdown that renders exactly as written, on one line."""
    one_line = " ".join(str(text).split())
    return _PUNCTUATION.sub(r"\\\1", one_line)
