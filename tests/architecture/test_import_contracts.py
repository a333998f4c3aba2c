"""The architecture's import contracts (pyproject.toml, `lint-imports` in `make lint`) hold on
the code, and break on a copy of it given one forbidden import: a source importing another
source, metrics importing a connector, the core importing a source, data importing metrics."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("ui", "metrics", "connectors", "data", "i18n")
LINT = Path(sys.executable).with_name("lint-imports")


def lint(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT), "--no-cache", str(root / "pyproject.toml")],
        cwd=root,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_code_keeps_every_contract() -> None:
    done = lint(REPO)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 kept, 0 broken" in done.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        (
            "connectors/sources/github/streams.py",
            "import connectors.sources.gitlab.api",
            "independent",
        ),
        ("metrics/core/scorecard.py", "import connectors.core.records", "Layers"),
        ("connectors/core/records.py", "import connectors.sources.github.api", "imports no source"),
        ("data/schema.py", "import metrics.core.filters", "Layers"),
        ("i18n/formats.py", "import data.schema", "Layers"),  # i18n sits under everything
    ],
)
def test_a_forbidden_import_breaks_its_contract(
    tmp_path: Path, module: str, line: str, contract: str
) -> None:
    for package in PACKAGES:
        shutil.copytree(
            REPO / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{line}  # noqa\n", encoding="utf-8")
    done = lint(tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    broken = [row for row in done.stdout.splitlines() if row.endswith("BROKEN")]
    # the core importing a source also joins every source to it: both contracts break
    assert any(contract in row for row in broken), done.stdout


SQL_CALLS = {"execute", "executemany", "sql", "query", "read_csv", "from_query"}


def sql_calls(path: Path) -> list[str]:
    """Calls that would run SQL (``con.execute(…)``, ``duckdb.sql(…)``) in one file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    shown = path.relative_to(REPO) if path.is_relative_to(REPO) else path
    return [
        f"{shown}:{node.lineno} .{node.func.attr}()"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in SQL_CALLS
    ]


def test_pages_and_ui_write_no_sql() -> None:
    """SQL lives in metrics/ (reads) and the writers; a page or a ui piece only calls them."""
    files = [
        REPO / "app.py",
        *sorted((REPO / "pages").glob("*.py")),
        *sorted((REPO / "ui").rglob("*.py")),
    ]
    assert len(files) > 20
    assert [hit for path in files for hit in sql_calls(path)] == []


def test_the_sql_check_sees_a_query(tmp_path: Path) -> None:
    page = tmp_path / "page.py"
    page.write_text("import duckdb\n\nduckdb.connect().execute('SELECT 1')\n", encoding="utf-8")
    assert sql_calls(page) == [f"{page}:3 .execute()"]
