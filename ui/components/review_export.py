"""The quarterly review as one self-contained HTML file (charts embedded, no network needed),
written in the language of the person who exports it."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

from i18n import _, current
from metrics.reports.review import COLUMN_TEXT, kpi_text, stage_text, status_text
from ui.components.charts import rag_text

# Chinese needs a CJK face: the reader's own (PingFang, YaHei) or Noto CJK where it is installed
STYLE = """
body{font-family:Helvetica,Arial,"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;
color:#1B2430;margin:32px;max-width:1200px}
h1{margin-bottom:0}table{border-collapse:collapse;width:100%;margin:12px 0 24px}
th,td{border:1px solid #DDE2E8;padding:6px 8px;text-align:left;font-size:14px}
th{background:#F3F5F8}.green{color:#1B873F}.amber{color:#C77C02}.red{color:#C62828}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:16px}.muted{color:#6B7280;font-size:13px}
"""
SCORECARD_COLUMNS = ("KPI", "Target", "This quarter", "Last quarter", "Change", "RAG", "Owner")


def _text(value: object) -> str:
    return html.escape(str(value))


def _scorecard(table: pd.DataFrame) -> str:
    header = "".join(f"<th>{_text(_(COLUMN_TEXT[c]))}</th>" for c in SCORECARD_COLUMNS)
    rows = "".join(
        "<tr>"
        + "".join(
            f'<td class="{_text(r["RAG"])}">{_text(rag_text(r["RAG"]))}</td>'
            if c == "RAG"
            else f"<td>{_text(r[c])}</td>"
            for c in SCORECARD_COLUMNS
        )
        + "</tr>"
        for _index, r in table.iterrows()
    )
    return f"<table><tr>{header}</tr>{rows}</table>"


def _status(status: str, carried: bool) -> str:
    shown = status_text(status)
    return _("{status} (carried)").format(status=shown) if carried else shown


def _actions(actions: pd.DataFrame) -> str:
    header = "".join(
        f"<th>{_text(h)}</th>"
        for h in (_("Action"), _("KPI"), _("Owner team"), _("Stage"), _("Status"), _("Note"))
    )
    rows = "".join(
        f"<tr><td>{_text(a.title)}</td><td>{_text(kpi_text(a.kpi))}</td>"
        f"<td>{_text(a.owner_team or '—')}</td><td>{_text(stage_text(a.pdca_stage))}</td>"
        f"<td>{_text(_status(a.status, a.carried))}</td>"
        f"<td>{_text(a.note or '')}</td></tr>"
        for a in actions.itertuples(index=False)
    )
    return f"<table><tr>{header}</tr>{rows}</table>"


def review_html(
    *,
    title: str,
    scope: str,
    data_as_of: str,
    table: pd.DataFrame,
    figures: Sequence[go.Figure],
    actions: pd.DataFrame,
) -> str:
    """A complete HTML document; plotly's script is inlined once so the file works offline."""
    charts = "".join(
        f"<div>{fig.to_html(full_html=False, include_plotlyjs='inline' if i == 0 else False)}</div>"
        for i, fig in enumerate(figures)
    )
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    byline = _("{scope} · data as of {as_of} · exported {stamp}").format(
        scope=scope, as_of=data_as_of, stamp=stamp
    )
    # the words are looked up outside the f-string: Babel does not extract inside one
    scorecard, trends, action_items = _("Scorecard"), _("Trends"), _("PDCA action items")
    footer = _('TechPulse · definitions: README "KPI definitions"')
    return f"""<!DOCTYPE html><html lang="{current()}"><head><meta charset="utf-8">
<title>{_text(title)}</title><style>{STYLE}</style></head><body>
<h1>{_text(title)}</h1>
<p class="muted">{_text(byline)}</p>
<h2>{_text(scorecard)}</h2>{_scorecard(table)}
<h2>{_text(trends)}</h2><div class="grid">{charts}</div>
<h2>{_text(action_items)}</h2>{_actions(actions)}
<p class="muted">{_text(footer)}</p>
</body></html>"""
