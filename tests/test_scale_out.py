"""The tested scale-out topology (issue 16, docs/deploy.md): DuckLake on a real PostgreSQL
catalog, one worker, two app servers (`streamlit run`, separate processes).

* The worker syncs the SonarQube fake every 4 s while both apps serve every page in headless
  chromium: no exception box anywhere, and both show each new DuckLake snapshot (the Data
  sources caption names it) within one schedule tick.
* ``kill -9`` of the worker at 10 seeded moments: after each, the catalog opens at the latest
  schema, ``sync_runs`` never goes back, and every committed run is whole (the two analyses of
  the fake land together or not at all). The next worker starts at once: the kernel dropped
  the dead one's lock.
"""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from tests.appserver import REPO, app_server
from tests.connectors.test_worker import TOKEN, organisation_catalog, sonar_fake, sonar_table
from tests.connectors.test_worker import sources_file as worker_sources
from tests.servers.postgres import postgres_server
from tests.servers.warehouse import query
from tools.screenshots import PAGES, wait_rendered

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    folder = tmp_path_factory.mktemp("scale-out")
    with postgres_server() as dsn, pytest.MonkeyPatch.context() as env:
        settings = {
            "TECHPULSE_DATA_PATH": str(folder / "files"),
            "TECHPULSE_STATE_DIR": str(folder),
            "WORKER_TOKEN": TOKEN,
            "TECHPULSE_SECRETS": "/nonexistent/secrets.toml",
        }
        for key, value in settings.items():
            env.setenv(key, value)
        db = Path(f"ducklake:postgres:{dsn}")
        organisation_catalog(db, folder)
        yield db, settings


def start_worker(config: Path, db: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "connectors", "worker", "--config", str(config), "--db", str(db)],
        cwd=REPO,
        env={**os.environ, **env, "PYTHONPATH": str(REPO)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def shown_snapshot(page: Page, url: str) -> int:
    page.goto(f"{url}/data-sources")
    wait_rendered(page)
    assert page.locator('[data-testid="stException"]').count() == 0
    match = re.search(r"snapshot lake-(\d+)", page.inner_text("body"))
    assert match, "the Data sources caption names the DuckLake snapshot"
    return int(match.group(1))


def latest(db: Path) -> int:
    return int(query(db, "SELECT max(snapshot_id) FROM ducklake_snapshots('warehouse')")[0][0])


def test_one_worker_two_apps_every_page_and_each_new_snapshot(
    lake: tuple[Path, dict[str, str]], browser: Browser, tmp_path: Path
) -> None:
    db, env = lake
    with sonar_fake().running() as sonar:
        config = worker_sources(tmp_path, {"sonar": sonar_table(sonar.url, "4s")})
        worker = start_worker(config, db, env)
        try:
            with app_server(db, **env) as first, app_server(db, **env) as second:
                context = browser.new_context(viewport={"width": 1440, "height": 1200})
                page, other = context.new_page(), context.new_page()
                for name, path in PAGES.items():
                    # both apps render the page at once (one tab each), as two replicas would
                    for tab, url in ((page, first), (other, second)):
                        tab.goto(f"{url}/{path}", wait_until="commit")
                    for tab, url in ((page, first), (other, second)):
                        wait_rendered(tab)
                        boxes = tab.locator('[data-testid="stException"]').count()
                        assert boxes == 0, (url, name)
                for _ in range(2):  # two ticks: each app shows the newest snapshot in time
                    committed = latest(db)
                    deadline = time.monotonic() + 60  # a tick, however loaded the machine
                    while latest(db) == committed and time.monotonic() < deadline:
                        time.sleep(0.2)
                    newer = latest(db)
                    assert newer > committed, "the worker committed within its schedule"
                    for url in (first, second):
                        assert shown_snapshot(page, url) >= newer
        finally:
            worker.send_signal(signal.SIGTERM)
            _out, err = worker.communicate(timeout=60)
    assert worker.returncode == 0, err
    assert query(db, "SELECT count(*) FROM sync_runs WHERE status = 'failed'") == [(0,)], err


def test_kill_9_of_the_worker_leaves_old_or_new_data_only(
    lake: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    db, env = lake
    rng = random.Random(16)
    with sonar_fake(delay=0.05).running() as sonar:
        config = worker_sources(tmp_path, {"sonar": sonar_table(sonar.url, "1s")})
        runs_before = query(db, "SELECT count(*) FROM sync_runs")[0][0]
        for kill in range(10):
            worker = start_worker(config, db, env)
            time.sleep(rng.uniform(1.0, 4.0))  # seeded: before, during and after commits
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=30)
            runs = query(db, "SELECT count(*) FROM sync_runs")[0][0]
            analyses = query(db, "SELECT count(*) FROM quality_snapshots")[0][0]
            assert runs >= runs_before, (kill, runs, runs_before)  # never goes back
            assert analyses in (0, 2), (kill, analyses)  # a run lands whole or not at all
            assert query(db, "SELECT max(version) FROM schema_migrations")[0][0] >= 9
            runs_before = runs
    assert runs_before > 0, "at least one run committed between the kills"
