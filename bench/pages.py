"""Every page's server-side work at enterprise scale, against an empty page in the same run.

Issue "Performance at enterprise scale", benchmark 2. Each page runs through the real app frame
(``app.py`` with its sidebar filters, default period = the last 90 days) in Streamlit's AppTest,
so what is timed is exactly what the server does for a visitor: every metrics/ call the page
makes plus building its elements, without a browser.

* cold: the page's first run in a fresh process (new warehouse reader, empty caches);
* warm: the median of --repeat runs after ``st.cache_data.clear()``: every data function
  recomputes, on warm DuckDB and OS caches (target ≤ 500 ms; cold target ≤ 2 s);
* cached: a rerun that the page's ``st.cache_data`` answers (what a revisit costs).

The baseline is the same three numbers for a page that only writes a title, run the same way.

    python -m bench.pages --db /tmp/enterprise.duckdb [--repeat 3] [--page delivery]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PAGES = {
    "scorecard": "pages/scorecard.py",
    "executive": "pages/executive.py",
    "review": "pages/review.py",
    "delivery": "pages/delivery.py",
    "reliability": "pages/reliability.py",
    "quality": "pages/quality.py",
    "incidents": "pages/incidents.py",
    "export": "pages/export.py",
    "data-sources": "pages/data-sources.py",
}
WARM_TARGET_S, COLD_TARGET_S = 0.5, 2.0
EMPTY_PAGE = 'import streamlit as st\n\nst.title("Empty page")\n'


def data_functions(filters: Any, targets: Any) -> dict[str, Any]:
    """Every metrics/ call the pages make for the default view, by page (what the UI caches)."""
    from metrics.core import catalog, trends
    from metrics.core.definitions import BY_NAME, HEADLINE, KPIS
    from metrics.core.scorecard import scorecard
    from metrics.kpis import delivery, incident_list, incidents, quality, reliability, slo
    from metrics.reports import export, review, roi

    def card(names: Any, sparklines: bool = True) -> Any:
        kpis = tuple(BY_NAME[n] for n in names)
        return lambda con: scorecard(con, filters, targets, kpis, sparklines=sparklines)

    def trend(name: str, grain: str = "week") -> Any:
        return lambda con: trends.trend(con, name, filters, grain, 500.0)

    quarter = review.quarter_filters("2026-Q3", filters)
    assumptions = roi.load_assumptions()
    return {
        "frame: filter choices": lambda con: (catalog.teams(con), catalog.environments(con)),
        "scorecard: 9 headline KPIs": card([k.name for k in HEADLINE]),
        "scorecard: 21 other KPIs (table)": card(
            [k.name for k in KPIS if not k.headline], sparklines=False
        ),
        "executive: ROI report": lambda con: roi.roi_report(con, filters, "2025-Q4", assumptions),
        "executive: sensitivity": lambda con: roi.sensitivity(con, filters, "2025-Q4", assumptions),
        "review: quarter table": lambda con: review.review_table(
            con, quarter, targets, review.actions_for(con, "2026-Q3", None)
        ),
        "review: 9 monthly trends": lambda con: [
            trends.trend(con, k.name, quarter, "month", 500.0) for k in HEADLINE
        ],
        "delivery: 5 cards": card([k.name for k in delivery.DORA_KPIS]),
        "delivery: 5 weekly trends": lambda con: [trend(k.name)(con) for k in delivery.DORA_KPIS],
        "delivery: by team (200)": lambda con: delivery.by_scope(con, filters, targets, "team"),
        "delivery: recent deployments": lambda con: delivery.recent_deployments(con, filters),
        "reliability: 5 cards": card(
            ["availability", "p95_latency", "error_rate", "cpu_mean", "memory_mean"]
        ),
        "reliability: per service (2,000)": lambda con: reliability.per_service(
            con, filters, targets
        ),
        "reliability: error budgets": lambda con: slo.error_budgets(con, filters, targets),
        "reliability: CPU P95 trend": trend("cpu_p95"),
        "quality: projects (2,000)": lambda con: quality.projects(con, filters, targets),
        "quality: coverage by project": lambda con: quality.coverage_by_project(
            con, filters, "week"
        ),
        "incidents: by severity, service, list": lambda con: (
            incidents.by_severity(con, filters),
            incident_list.by_service(con, filters),
            incident_list.incident_list(con, filters),
        ),
        "export: KPI series (30 KPIs, weekly)": lambda con: export.export_frame(
            con, "kpis", filters, targets, "week"
        ),
    }


def measure_functions(db: str, repeat: int) -> list[tuple[str, float, float]]:
    """(name, cold, warm) per data function: cold on a fresh reader, warm = median of repeat."""
    from bench import app_cursor
    from metrics.core import catalog
    from metrics.core.filters import Filters
    from metrics.core.targets import load_targets

    probe = app_cursor(db)
    end = catalog.latest_data_day(probe)
    probe.close()
    assert end is not None, "the warehouse holds no data"
    filters = Filters(end - dt.timedelta(days=89), end)
    results = []
    for name, call in data_functions(filters, load_targets()).items():
        con = app_cursor(db)
        clock = time.perf_counter()
        call(con)
        cold = time.perf_counter() - clock
        warm = []
        for _ in range(repeat):
            clock = time.perf_counter()
            call(con)
            warm.append(time.perf_counter() - clock)
        con.close()
        results.append((name, cold, statistics.median(warm)))
    return results


TINY_ORGANISATION = """
INSERT INTO teams (team_id, name) VALUES ('t', 'T');
INSERT INTO services (service_id, team_id, name) VALUES ('s', 't', 'S');
INSERT INTO deployments (source, external_id, service_id, environment, started_at, status)
VALUES ('bench', 'd', 's', 'production', TIMESTAMPTZ '2026-01-01 00:00:00+00', 'success');
"""


def _run_once(app: Any) -> float:
    clock = time.perf_counter()
    app.run()
    seconds = time.perf_counter() - clock
    if app.exception:
        raise RuntimeError(f"page raised: {[e.value for e in app.exception]}")
    problems = [e.value for e in app.error if "cannot be opened" in str(e.value)]
    if problems:
        raise RuntimeError(f"the app could not open the warehouse: {problems[0]}")
    return seconds


def measure_page(db: str, page: str | None, repeat: int) -> dict[str, Any]:
    # AppTest keeps every element of the last run; "charts" and "cards" show the page drew.
    """cold, warm and cached seconds for one page (None: the empty baseline page)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest, app_test

    from data.warehouse import write_snapshot
    from tests.ui.test_app import _NavigationPagesManager

    app_test.PagesManager = _NavigationPagesManager  # type: ignore[misc]
    if page is None:
        with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as handle:
            handle.write(EMPTY_PAGE)
        app = AppTest.from_file(handle.name, default_timeout=300)
    else:
        # AppTest finds pages with their own url_path (data-sources) only after a first run;
        # make that run on a one-fact warehouse (an empty one shows only Get started), so
        # nothing of the real one is read or cached.
        tiny = Path(tempfile.mkdtemp()) / "tiny.duckdb"
        with write_snapshot(tiny) as con:
            con.execute(TINY_ORGANISATION)
        os.environ["TECHPULSE_DB"] = str(tiny)
        app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
        app.run()
        app.switch_page(PAGES[page])
    os.environ["TECHPULSE_DB"] = db
    cold = _run_once(app)
    warm = []
    for _ in range(repeat):
        st.cache_data.clear()
        warm.append(_run_once(app))
    cached = statistics.median(_run_once(app) for _ in range(repeat))
    return {
        "cold": cold,
        "warm": statistics.median(warm),
        "cached": cached,
        "charts": len(app.get("plotly_chart")),
        "cards": len(app.metric),
        "title": app.title[0].value if app.title else "",
    }


def _child(db: str, page: str | None, repeat: int) -> dict[str, Any]:
    """Measure in a fresh process, so 'cold' means cold for every page alike."""
    command = [sys.executable, "-m", "bench.pages", "--db", db, "--repeat", str(repeat)]
    command += ["--child", page or "-"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{page or 'empty page'} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pages", description=__doc__)
    parser.add_argument("--db", required=True, help="warehouse file (the enterprise one)")
    parser.add_argument("--repeat", type=int, default=3, help="warm and cached runs (median)")
    parser.add_argument("--page", action="append", choices=list(PAGES), help="only these")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    repeat = max(1, args.repeat)
    if args.child is not None:
        page = None if args.child == "-" else args.child
        print(json.dumps(measure_page(args.db, page, repeat)))
        return 0

    base = _child(args.db, None, repeat)
    print(f"Pages benchmark on {args.db}: AppTest through app.py, warm = median of {repeat}")
    print(
        f"  {'page':14} {'cold s':>7} {'warm s':>7} {'cached s':>8}  {'warm/empty':>10}"
        "  charts cards  title drawn         targets"
    )
    print(
        f"  {'(empty page)':14} {base['cold']:7.3f} {base['warm']:7.3f} {base['cached']:8.3f}"
        f"  {1.0:10.1f}"
    )
    missed = []
    for page in args.page or list(PAGES):
        got = _child(args.db, page, repeat)
        ok = got["warm"] <= WARM_TARGET_S and got["cold"] <= COLD_TARGET_S
        if not ok:
            missed.append(page)
        ratio = got["warm"] / base["warm"] if base["warm"] else float("inf")
        print(
            f"  {page:14} {got['cold']:7.3f} {got['warm']:7.3f} {got['cached']:8.3f}"
            f"  {ratio:10.1f}  {got['charts']:6.0f} {got['cards']:5.0f}  {got['title'][:20]:20}"
            f"  {'met' if ok else 'MISSED'}"
        )
    print(
        f"pages (all their data functions + building the elements, uncached): warm <= "
        f"{WARM_TARGET_S * 1000:.0f} ms and cold <= {COLD_TARGET_S:.0f} s "
        f"{'all met' if not missed else 'missed by ' + ', '.join(missed)}"
    )
    print("\nData functions, called directly (cold: fresh reader; warm: median of repeat)")
    print(f"  {'function':40} {'cold s':>7} {'warm s':>7}  targets")
    slow = []
    for name, cold, warm in measure_functions(args.db, repeat):
        ok = warm <= WARM_TARGET_S and cold <= COLD_TARGET_S
        if not ok:
            slow.append(name)
        print(f"  {name:40} {cold:7.3f} {warm:7.3f}  {'met' if ok else 'MISSED'}")
    print(f"data functions: {'all met' if not slow else 'missed by ' + '; '.join(slow)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
