"""Every word an AppTest run puts in front of a reader, and the English words among them.

Used by the every-page language test: in Chinese, English may remain only as proper names,
acronyms, code, paths and the organisation's own data (team names, ids, titles)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from streamlit.testing.v1 import AppTest

# Names and codes shown as they are in every language (docs/glossary.md "Names")
KEPT = {
    *("TechPulse", "DORA", "MTTR", "MTTA", "SRE", "Workbook", "SonarQube", "Prometheus"),
    *("VictoriaMetrics", "GitHub", "GitLab", "Jenkins", "PagerDuty", "Opsgenie", "Jira", "CSV"),
    *("UTC", "ISO", "UTF", "BOM", "Excel", "HTML", "Markdown", "URL", "SEV", "KPI", "ROI"),
    *("PDCA", "OK", "WARN", "ERROR", "pid", "cto", "admin", "executive", "analyst", "CPU", "HTTP"),
    *("Plan", "Do", "Check", "Act", "git", "EUR", "USD", "CNY", "ms", "id", "ids", "Authlib"),
    *(
        "YYYY",
        "Qn",
        "PATH",
        "DevOps",
        "OIDC",
        "DuckDB",
        "DuckLake",
        "PostgreSQL",
        "SQLite",
        "Language",
        "English",
        "TOML",
    ),
}
# code, paths and ids, plotly templates and the HTML tags Plotly renders
# and titles of publications (《…》)
CODE = re.compile(r"`[^`]*`|--[!-~]+|[!-~]*[/_.@=][!-~]*|%?\{[^}]*\}|<[^>]+>|《[^》]*》")


WORD = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2,}(?![A-Za-z0-9])")  # "个rows" counts, "5xx" not


SHOWN_KEYS = ("text", "title", "hovertemplate", "hovertext", "name", "annotation_text")


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            if key in SHOWN_KEYS or isinstance(item, (dict, list)):
                yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def shown_text(app: AppTest) -> list[str]:
    """Titles, captions, alerts, labels, options, help, table headers and chart texts."""
    texts: list[str] = []
    for kind in ("title", "header", "subheader", "caption", "markdown", "info", "warning"):
        texts += [e.value for e in app.get(kind)]
    texts += [e.value for e in app.get("error")] + [e.value for e in app.get("success")]
    for metric in app.metric:
        texts += [metric.label, metric.help or ""]
    for kind in ("button", "selectbox", "radio", "checkbox", "number_input", "text_input"):
        for widget in app.get(kind):
            texts += [widget.label or "", getattr(widget, "help", None) or ""]
    for kind in ("selectbox", "radio"):
        for widget in app.get(kind):
            texts += [str(o) for o in widget.options]
    for expander in app.get("expander"):
        texts.append(expander.label)
    for frame in app.dataframe:
        config = json.loads(frame.proto.columns or "{}")
        for column in config.values():
            texts += [column.get("label") or "", column.get("help") or ""]
    for chart in app.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        texts += list(_strings(spec.get("layout", {})))
        for trace in spec.get("data", []):
            texts += list(_strings({k: trace.get(k) for k in ("hovertemplate", "name")}))
    return [t for t in texts if t]


def english_words(texts: list[str], data_words: set[str]) -> set[str]:
    """English words in ``texts`` other than kept names, code and the organisation's data."""
    found: set[str] = set()
    for text in texts:
        for word in WORD.findall(CODE.sub(" ", text.replace("\\", ""))):  # no Markdown escapes
            if word not in KEPT and word.lower() not in data_words:
                found.add(word)
    return found
