"""docs/migrate-from-devlake.md's worked example, imported from the page itself into a
warehouse made with `data init` and a catalog: the page's figures, computed by hand there."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from connectors.__main__ import main
from data.catalog.apply import apply
from data.catalog.tomlfile import parse_catalog
from data.warehouse import init_warehouse, open_reader
from metrics.core.filters import Filters
from metrics.core.scorecard import records, scorecard
from metrics.core.targets import load_targets
from tests.servers.warehouse import query

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "migrate-from-devlake.md"
CATALOG = (
    '[[teams]]\nid = "payments"\nname = "Payments"\n\n'
    '[[services]]\nid = "checkout"\nname = "Checkout"\nteam = "payments"\n'
)


def files() -> dict[str, str]:
    """name.csv → its block, as the page shows them."""
    text = GUIDE.read_text(encoding="utf-8")
    return dict(re.findall(r"^(\w+)\.csv:\n\n```csv\n(.*?)```", text, flags=re.M | re.S))


def test_the_guides_example_gives_the_guides_figures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocks = files()
    assert list(blocks) == ["deployments", "deployment_commits", "changes", "incidents"]
    db = tmp_path / "w.duckdb"
    init_warehouse(db)
    apply(parse_catalog(CATALOG), db)
    for kind, text in blocks.items():
        path = tmp_path / f"{kind}.csv"
        path.write_text(text, encoding="utf-8")
        zone = [] if kind == "deployment_commits" else ["--timezone", "UTC"]
        assert main(["import", kind, str(path), "--db", str(db), "--source", "devlake", *zone]) == 0
    capsys.readouterr()
    assert query(db, "SELECT DISTINCT environment FROM deployments") == [("production",)]
    assert query(
        db, "SELECT external_id, deployment_external_id, link_method FROM changes ORDER BY 1"
    ) == [
        ("pr1", "d1", "commit"),
        ("pr2", "d2", "commit"),
        ("pr3", "d4", "commit"),
    ]
    assert query(db, "SELECT severity, caused_by_deployment_external_id FROM incidents") == [
        ("unknown", "d2")
    ]
    card = {
        r["kpi"]: r["value"]
        for r in records(
            scorecard(
                open_reader(db), Filters(dt.date(2026, 1, 5), dt.date(2026, 1, 18)), load_targets()
            )
        )
    }
    assert card["deployment_frequency"] == pytest.approx(1.5)
    assert card["lead_time"] == pytest.approx(24.0)
    assert card["change_failure_rate"] == pytest.approx(100 / 3)
    assert card["time_to_restore"] == pytest.approx(2.5)
