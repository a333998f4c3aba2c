"""User and source text is text: no Markdown links or images, no Plotly links (issue 13)."""

from __future__ import annotations

import pandas as pd

from metrics.core.definitions import BY_NAME
from ui.components.charts import plotly_text, trend_chart
from ui.components.plain import md_literal

HOSTILE = "Fix [login](https://evil.example) ![x](https://t.example/p.png) https://evil.example"


def test_md_literal_escapes_every_markdown_construct() -> None:
    text = md_literal(HOSTILE)
    # every [ ] ( ) ! is escaped, so no link or image parses; escapes alone do not stop GFM's
    # autolinks (tests/ui/test_browser_plain_text.py), so a WORD JOINER sits inside every "://"
    assert "\\[login\\]\\(https\\:\u2060\\/\\/evil\\.example\\)" in text
    assert "\\!\\[x\\]" in text and "://" not in text.replace("\\", "")
    assert md_literal("www.a.org b@c.org") == "www\u2060\\.a\\.org b\u2060\\@c\\.org"
    assert md_literal("a\nb\r\nc") == "a b c"  # a label stays on one line
    assert md_literal(":red[alert] :material/lock:") == "\\:red\\[alert\\] \\:material\\/lock\\:"


def test_annotation_text_reaches_plotly_escaped() -> None:
    frame = pd.DataFrame(
        {"bucket": pd.to_datetime(["2026-01-05", "2026-01-12"]), "value": [1.0, 2.0], "n": [3, 4]}
    )
    notes = pd.DataFrame(
        {
            "occurred_on": [pd.Timestamp("2026-01-06")],
            "kind": ["release"],
            "text": ['<a href="https://evil.example">x</a>'],
        }
    )
    fig = trend_chart(frame, BY_NAME["deployment_frequency"], annotations=notes)
    texts = [a.text for a in fig.layout.annotations] + [a.hovertext for a in fig.layout.annotations]
    assert all("<a" not in (t or "") for t in texts), texts
    assert (
        "&lt;a href=&quot;https://evil.example&quot;&gt;x&lt;/a&gt;"
        in fig.layout.annotations[0].hovertext
    )
    assert plotly_text("R&D <b>") == "R&amp;D &lt;b&gt;"
