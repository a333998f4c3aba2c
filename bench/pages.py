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
    "data-sources": "pages/data_sources.py",
}
WARM_TARGET_S, COLD_TARGET_S = 0.5, 2.0
EMPTY_PAGE = 'import streamlit as st\n\nst.title("Empty page")\n'


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
    from tests.test_app import _NavigationPagesManager

    app_test.PagesManager = _NavigationPagesManager  # type: ignore[misc]
    if page is None:
        with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as handle:
            handle.write(EMPTY_PAGE)
        app = AppTest.from_file(handle.name, default_timeout=300)
    else:
        # AppTest finds pages with their own url_path (data-sources) only after a first run;
        # make that run on an empty warehouse, so nothing of the real one is read or cached.
        empty = Path(tempfile.mkdtemp()) / "empty.duckdb"
        with write_snapshot(empty):
            pass
        os.environ["TECHPULSE_DB"] = str(empty)
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
        f"targets: warm <= {WARM_TARGET_S * 1000:.0f} ms and cold <= {COLD_TARGET_S:.0f} s per "
        f"page; {'all met' if not missed else 'missed by ' + ', '.join(missed)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
