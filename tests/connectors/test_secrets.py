"""A planted token appears in no output, no log line, no exception text and no warehouse row.

The fake server is hostile on purpose: its error bodies echo the Authorization header, the
way a misconfigured proxy might, so the redaction safety net is exercised, not just the
"we never print it" discipline.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors.core.config import load_config
from connectors.sync import sync
from data.warehouse import open_reader
from metrics.core.filters import Filters
from metrics.core.targets import load_targets
from metrics.reports import export
from tests.appserver import REPO
from tests.connector_helpers import warehouse_of, write_sources
from tests.servers.sonar import Analysis, FakeSonar, Project
from tests.servers.warehouse import contents

PLANTED = "tp-PLANTED-7f3a9c1e5b2d48aa"
FORMS = (
    PLANTED,
    base64.b64encode(f"{PLANTED}:".encode()).decode(),  # Basic auth with the token as login
    base64.b64encode(PLANTED.encode()).decode(),
)


def leaks(text: str) -> list[str]:
    return [form for form in FORMS if form in text]


def projects() -> list[Project]:
    values = {"lines_to_cover": "10", "uncovered_lines": "1", "alert_status": "OK"}
    when = datetime(2026, 1, 3, 9, tzinfo=UTC)
    return [Project("acme:a1", [Analysis(when, values)]), Project("acme:b1", [])]


def config(tmp_path: Path, url: str, auth: str, extra_project: bool) -> Path:
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f'[sonar]\ntoken = "{PLANTED}"\n', encoding="utf-8")
    mapping = '"acme:gone" = "b1"' if extra_project else ""
    return write_sources(
        tmp_path / "sources.toml",
        f"""[sources.sonar]
type = "sonarqube"
url = "{url}"
auth = "{auth}"
token_secret = "sonar.token"
[sources.sonar.projects]
{mapping}
""",
    )


@pytest.mark.parametrize("auth", ["bearer", "basic"])
def test_planted_token_never_leaks(
    auth: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("TECHPULSE_SECRETS", str(tmp_path / "secrets.toml"))
    db = warehouse_of(tmp_path / "w.duckdb", ("a1", "acme:a1", None), "b1")
    fake = FakeSonar(projects(), tokens={PLANTED}, echo_auth_in_errors=True)
    with fake.running():
        good = config(tmp_path, fake.url, auth, extra_project=False)
        caplog.set_level(logging.DEBUG)
        assert sync(load_config(good), db=db).ok
        # The mapped key "acme:gone" answers 404 with the Authorization header echoed back.
        bad = config(tmp_path, fake.url, auth, extra_project=True)
        summary = sync(load_config(bad), db=db)
        assert not summary.ok
        error = summary.results[0].error or ""
        assert "404 Not Found" in error and "rejected" in error and "***" in error
        env = {"PATH": "/usr/bin:/bin", "TECHPULSE_SECRETS": str(tmp_path / "secrets.toml")}
        outputs = []
        for progress in ("json", "plain"):
            done = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "connectors",
                    "sync",
                    "--config",
                    str(bad),
                    "--db",
                    str(db),
                    "--progress",
                    progress,
                    "-vv",
                ],
                cwd=REPO,
                capture_output=True,
                text=True,
                env=env,
            )
            assert done.returncode == 1
            outputs += [done.stdout, done.stderr]
    assert any(f"rejected {auth.title()} ***" in text for text in outputs)
    for text in [error, repr(summary), caplog.text, *outputs]:
        assert leaks(text) == [], text
    for table, rows in contents(db, exclude=()).items():
        assert leaks(repr(rows)) == [], table
    assert [r.getMessage() for r in caplog.records if leaks(r.getMessage())] == []
    # The app and the exports built on the same warehouse and sources file show no trace either.
    monkeypatch.setenv("TECHPULSE_SOURCES", str(bad))
    shown = app_text(db, monkeypatch)
    assert "(sonar)" in shown  # the page did show the synced source
    assert leaks(shown) == []
    for dataset in export.DATASETS:
        frame = export.export_frame(
            open_reader(db),
            dataset,
            Filters(dt.date(2024, 1, 1), dt.date(2026, 12, 31)),
            load_targets(),
        )
        assert leaks(export.to_csv_bytes(frame).decode("utf-8")) == [], dataset


def app_text(db: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every text the Data sources page and the scorecard show, tables included."""
    from streamlit.testing.v1 import AppTest, app_test

    from tests.ui.test_app import APP, _NavigationPagesManager

    monkeypatch.setattr(app_test, "PagesManager", _NavigationPagesManager)
    monkeypatch.setenv("TECHPULSE_DB", str(db))
    app = AppTest.from_file(APP, default_timeout=60)
    app.run()
    texts = [repr(app)]
    app.switch_page("pages/data-sources.py").run()
    assert not app.exception, [e.value for e in app.exception]
    texts.append(repr(app))
    texts += [frame.value.to_csv() for frame in app.dataframe]
    for kind in ("markdown", "caption", "error", "warning", "info", "code", "text"):
        texts += [str(element.value) for element in getattr(app, kind)]
    return "\n".join(texts)
