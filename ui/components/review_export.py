"""The quarterly review as one self-contained HTML file (charts embedded, no network needed)."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

STYLE = """
body{font-family:Helvetica,Arial,sans-serif;color:#1B2430;margin:32px;max-width:1200px}
h1{margin-bottom:0}table{border-collapse:collapse;width:100%;margin:12px 0 24px}
th,td{border:1px solid #DDE2E8;padding:6px 8px;text-align:left;font-size:14px}
th{background:#F3F5F8}.green{color:#1B873F}.amber{color:#C77C02}.red{color:#C62828}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:16px}.muted{color:#6B7280;font-size:13px}
"""


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
    rows = "".join(
        "<tr>"
        + "".join(
            f'<td class="{html.escape(str(r["RAG"]))}">{html.escape(str(r[c]))}</td>'
            if c == "RAG"
            else f"<td>{html.escape(str(r[c]))}</td>"
            for c in ("KPI", "Target", "This quarter", "Last quarter", "Change", "RAG", "Owner")
        )
        + "</tr>"
        for _, r in table.iterrows()
    )
    header = "".join(
        f"<th>{c}</th>"
        for c in ("KPI", "Target", "This quarter", "Last quarter", "Change", "Status", "Owner")
    )
    charts = "".join(
        f"<div>{fig.to_html(full_html=False, include_plotlyjs='inline' if i == 0 else False)}</div>"
        for i, fig in enumerate(figures)
    )
    action_rows = "".join(
        f"<tr><td>{html.escape(str(a.title))}</td><td>{html.escape(str(a.kpi or '—'))}</td>"
        f"<td>{html.escape(str(a.owner_team or '—'))}</td><td>{html.escape(a.pdca_stage)}</td>"
        f"<td>{html.escape(a.status)}{' (carried)' if a.carried else ''}</td>"
        f"<td>{html.escape(str(a.note or ''))}</td></tr>"
        for a in actions.itertuples(index=False)
    )
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>
<h1>{html.escape(title)}</h1>
<p class="muted">{html.escape(scope)} · data as of {html.escape(data_as_of)} · exported {stamp}</p>
<h2>Scorecard</h2><table><tr>{header}</tr>{rows}</table>
<h2>Trends</h2><div class="grid">{charts}</div>
<h2>PDCA actions</h2><table><tr><th>Action</th><th>KPI</th><th>Owner team</th><th>Stage</th>
<th>Status</th><th>Note</th></tr>{action_rows}</table>
<p class="muted">TechPulse · definitions: README "KPI definitions"</p></body></html>"""
