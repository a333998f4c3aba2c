"""The git connector against real repositories built with /usr/bin/git (tests/servers/gitrepo.py).

The example history (build_example; made in +02:00, UTC below):

    C1 01-02 07:00Z ─ C2 01-03 08:00Z ─ C3 01-05 06:00Z ─ M1 01-06 12:00Z ─ C4 ─ C5 01-10 08:00Z
                        │╲                               ╱ (--no-ff merge)   C4: authored 01-07
                        │ F1 01-04 07:00Z ─ F2 01-05 09:00Z                  18:00Z, committed
                        H1 01-04 13:00Z (hotfix, never merged)               01-08 07:00Z

Tags: v1.0.0 (lightweight, C2) → commit date 01-03 08:00Z; v1.0.1 (lightweight, H1) →
01-04 13:00Z; v1.1.0 (annotated on M1) → tagger date 01-07 08:00Z; v1.2.0 (annotated on C4) →
01-09 14:00Z; nightly-0107 and release-candidate do not match v*.

Deployments in time order, each shipping what no earlier one reaches:
    v1.0.0: C1, C2 (first: everything reachable) · v1.0.1: H1 · v1.1.0: C3, F1, F2, M1 · v1.2.0: C4
Changes = non-merge commits reachable from main (H1 is not): C1 C2 C3 F1 F2 C4 C5, with
merged_at = own committer date on main (C1 C2 C3 C4 C5) or M1's (F1, F2 → 01-06 12:00Z).

Lead time (first commit → deployment), hours: C1 01-02 07:00 → 01-03 08:00 = 25; C2 0;
C3 01-05 06:00 → 01-07 08:00 = 50; F1 01-04 07:00 → 01-07 08:00 = 73; F2 01-05 09:00 → 47;
C4 01-07 18:00 → 01-09 14:00 = 44. Sorted 0 25 44 47 50 73: median (44 + 47)/2 = 45.5,
P90 at 0.9 × 5 = 4.5 → 50 + 0.5 × 23 = 61.5. Merge → deploy: C1 25, C2 0, C3 50, F1 20, F2 20,
C4 01-08 07:00 → 01-09 14:00 = 31 → median (20 + 25)/2 = 22.5. C5 is not shipped.
Deployment frequency: 4 deployments of a1 in 2026-01-01..14 (2 weeks) = 2.0 per week.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from connectors.core.results import SourceResult
from data.warehouse import open_reader
from metrics.core.filters import Filters
from metrics.core.scorecard import records, scorecard
from metrics.core.targets import load_targets
from tests.connector_helpers import (
    NO_SECRETS,
    cursors,
    sync_source,
    toml_source,
    warehouse_of,
)
from tests.servers.gitrepo import GIT, Example, GitRepo, build_example, fast_history, when
from tests.servers.warehouse import contents, query

UNTIL = datetime(2026, 1, 15, tzinfo=UTC)


def z(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 1, day, hour, minute, tzinfo=UTC)


def run(
    tmp_path: Path, db: Path, path: Path | str, *, until: datetime = UNTIL, **options: Any
) -> SourceResult:
    table = {"type": "git", "path": str(path), "service_id": "a1", **options}
    config = tmp_path / "sources.toml"
    config.write_text(toml_source("git", table), encoding="utf-8")
    return sync_source(config, db, until=until)


@pytest.fixture(autouse=True)
def _no_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TECHPULSE_SECRETS", NO_SECRETS)


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Example]:
    """A warehouse with services a1, b1 and the example repository, built once and copied."""
    folder = tmp_path_factory.mktemp("git-templates")
    warehouse = warehouse_of(folder / "w.duckdb", "a1", "b1")
    return warehouse, build_example(folder / "repo")


@pytest.fixture
def db(tmp_path: Path, templates: tuple[Path, Example]) -> Path:
    return Path(shutil.copy(templates[0], tmp_path / "w.duckdb"))


@pytest.fixture
def example(tmp_path: Path, templates: tuple[Path, Example]) -> Example:
    """A private copy of the example repository (same SHAs), free to change."""
    path = Path(shutil.copytree(templates[1].repo.path, tmp_path / "repo", symlinks=True))
    return replace(templates[1], repo=GitRepo(path, create=False))


def deployments(db: Path) -> list[tuple[Any, ...]]:
    return query(
        db,
        "SELECT external_id, service_id, environment, started_at, finished_at, status,"
        " commit_sha FROM deployments ORDER BY started_at, external_id",
    )


def shipped(db: Path) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for dep, sha in query(db, "SELECT deployment_external_id, commit_sha FROM deployment_commits"):
        found.setdefault(dep, set()).add(sha)
    return found


def changes(db: Path) -> dict[str, tuple[Any, ...]]:
    rows = query(
        db,
        "SELECT external_id, service_id, commit_sha, first_commit_at, opened_at, merged_at,"
        " deployment_source, deployment_external_id, link_method FROM changes",
    )
    return {r[0]: r[1:] for r in rows}


def test_first_sync_rows_links_and_cursors(tmp_path: Path, db: Path, example: Example) -> None:
    e = example
    result = run(tmp_path, db, e.repo.path)
    assert result.ok, result.error
    assert result.rows == {"deployments": 4, "deployment_commits": 8, "changes": 7}
    assert result.warnings == []
    assert deployments(db) == [
        ("tag:v1.0.0", "a1", "production", z(3, 8), z(3, 8), "success", e.c2),
        ("tag:v1.0.1", "a1", "production", z(4, 13), z(4, 13), "success", e.h1),
        ("tag:v1.1.0", "a1", "production", z(7, 8), z(7, 8), "success", e.m1),
        ("tag:v1.2.0", "a1", "production", z(9, 14), z(9, 14), "success", e.c4),
    ]
    assert shipped(db) == {
        "tag:v1.0.0": {e.c1, e.c2},
        "tag:v1.0.1": {e.h1},
        "tag:v1.1.0": {e.c3, e.f1, e.f2, e.m1},
        "tag:v1.2.0": {e.c4},
    }

    def linked(sha: str, first: datetime, merged: datetime, dep: str | None) -> tuple[Any, ...]:
        src, method = ("git", "commit") if dep else (None, None)
        return ("a1", sha, first, None, merged, src, dep, method)

    assert changes(db) == {
        e.c1: linked(e.c1, z(2, 7), z(2, 7), "tag:v1.0.0"),
        e.c2: linked(e.c2, z(3, 8), z(3, 8), "tag:v1.0.0"),
        e.c3: linked(e.c3, z(5, 6), z(5, 6), "tag:v1.1.0"),
        e.f1: linked(e.f1, z(4, 7), z(6, 12), "tag:v1.1.0"),
        e.f2: linked(e.f2, z(5, 9), z(6, 12), "tag:v1.1.0"),
        e.c4: linked(e.c4, z(7, 18), z(8, 7), "tag:v1.2.0"),
        e.c5: linked(e.c5, z(10, 8), z(10, 8), None),
    }
    assert cursors(db) == [
        ("changes/refs/heads/main", "2026-01-10T08:00:00Z"),
        ("deployments/tags:v*", "2026-01-09T14:00:00Z"),
    ]


def test_lead_time_through_the_scorecard(
    tmp_path: Path, db: Path, example: Example, targets_file: Path
) -> None:
    assert run(tmp_path, db, example.repo.path).ok
    frame = scorecard(
        open_reader(db),
        Filters(start=z(1, 0).date(), end=z(14, 0).date(), service="a1"),
        load_targets(targets_file),
    )
    rows = {row["kpi"]: row for row in records(frame)}
    assert rows["lead_time"]["value"] == pytest.approx(45.5)
    assert rows["lead_time_p90"]["value"] == pytest.approx(61.5)
    assert rows["merge_to_deploy"]["value"] == pytest.approx(22.5)
    assert rows["deployment_frequency"]["value"] == pytest.approx(2.0)


def test_incremental_resync_writes_the_overlap_only(
    tmp_path: Path, db: Path, example: Example
) -> None:
    """With overlap_hours = 24 the re-sync starts a day before each cursor.

    Unchanged repository: deployments from 01-08 14:00Z (v1.2.0 and its commit C4), changes
    merged from 01-09 08:00Z (C5) → 3 rows, the warehouse identical.
    Then C6 (01-20 10:00+02) and annotated v1.3.0 (01-21 09:00+02 = 07:00Z) on it: deployments
    v1.2.0 + v1.3.0, commits C4 + (C5, C6), changes C5 + C6 → 7 rows; totals 5 / 10 / 8."""
    path = example.repo.path
    assert run(tmp_path, db, path, overlap_hours=24).ok
    before = contents(db, exclude=("sync_runs", "sync_cursors"))
    again = run(tmp_path, db, path, overlap_hours=24)
    assert again.ok and again.rows == {"deployments": 1, "deployment_commits": 1, "changes": 1}
    assert contents(db, exclude=("sync_runs", "sync_cursors")) == before

    c6 = example.repo.commit("C6 after the first sync", when(20, 10))
    example.repo.tag("v1.3.0", annotated_at=when(21, 9))
    later = run(tmp_path, db, path, until=datetime(2026, 2, 1, tzinfo=UTC), overlap_hours=24)
    assert later.ok, later.error
    assert later.rows == {"deployments": 2, "deployment_commits": 3, "changes": 2}
    counts = query(
        db,
        "SELECT (SELECT count(*) FROM deployments), (SELECT count(*) FROM deployment_commits),"
        " (SELECT count(*) FROM changes)",
    )
    assert counts == [(5, 10, 8)]
    assert shipped(db)["tag:v1.3.0"] == {example.c5, c6}
    assert changes(db)[example.c5][-2:] == ("tag:v1.3.0", "commit")
    assert changes(db)[c6][4] == z(20, 8)
    assert dict(cursors(db)) == {
        "changes/refs/heads/main": "2026-01-20T08:00:00Z",
        "deployments/tags:v*": "2026-01-21T07:00:00Z",
    }


def test_until_and_since_days_bound_what_is_written(
    tmp_path: Path, db: Path, example: Example
) -> None:
    """until 01-08 00:00Z, since_days 3 → window [01-05 00:00Z, 01-08 00:00Z):
    deployments v1.1.0 (01-07 08:00Z) only, with its 4 commits; changes merged in the window:
    C3 (01-05 06:00Z), F1 and F2 (01-06 12:00Z). C4 (merged 01-08 07:00Z) waits.
    Cursors: the newest before until — 01-07 08:00Z and 01-06 12:00Z."""
    result = run(tmp_path, db, example.repo.path, until=z(8, 0), since_days=3)
    assert result.ok, result.error
    assert result.rows == {"deployments": 1, "deployment_commits": 4, "changes": 3}
    assert [r[0] for r in deployments(db)] == ["tag:v1.1.0"]
    assert set(changes(db)) == {example.c3, example.f1, example.f2}
    assert dict(cursors(db)) == {
        "changes/refs/heads/main": "2026-01-06T12:00:00Z",
        "deployments/tags:v*": "2026-01-07T08:00:00Z",
    }


def test_tag_patterns_nested_tags_and_tags_of_trees(
    tmp_path: Path, db: Path, example: Example
) -> None:
    """tag_pattern ["v1.2.*", "release-*"]: v1.2.0 (01-09 14:00Z, first: C1 C2 C3 F1 F2 M1 C4
    = 7 commits) and release-candidate (annotated on C5 at 01-10 12:00+02 = 10:00Z: C5).
    A tag of the tag v1.2.0 named release-nested, made 01-11 10:00Z, peels to C4 and ships
    nothing new; release-tree (a tag of a tree) names no commit: skipped with a warning."""
    repo = example.repo
    repo.git(
        "-c", "advice.nestedTag=false", "tag", "-a", "-m", "n", "release-nested", "v1.2.0",
        date=when(11, 12),
    )  # fmt: skip
    repo.git("tag", "-a", "-m", "t", "release-tree", "HEAD^{tree}", date=when(11, 12))
    result = run(tmp_path, db, repo.path, tag_pattern=["v1.2.*", "release-*"])
    assert result.ok, result.error
    assert [(r[0], r[3], r[6]) for r in deployments(db)] == [
        ("tag:v1.2.0", z(9, 14), example.c4),
        ("tag:release-candidate", z(10, 10), example.c5),
        ("tag:release-nested", z(11, 10), example.c4),
    ]
    e = example
    assert shipped(db) == {
        "tag:v1.2.0": {e.c1, e.c2, e.c3, e.f1, e.f2, e.m1, e.c4},
        "tag:release-candidate": {e.c5},
    }
    assert len(result.warnings) == 1 and "release-tree" in result.warnings[0]


def test_no_matching_tag_warns(tmp_path: Path, db: Path, example: Example) -> None:
    result = run(tmp_path, db, example.repo.path, tag_pattern="prod-*")
    assert result.ok
    assert result.rows == {"changes": 7}
    assert len(result.warnings) == 1
    assert "no tag matches tag_pattern 'prod-*'" in result.warnings[0]
    assert "nightly-0107" in result.warnings[0]


def test_release_branches(tmp_path: Path, db: Path) -> None:
    """deployments_from = "branches", branch_pattern "release/*" (UTC times):

    main: A 01-02 08:00 ─ B 01-03 08:00 ─ C 01-05 08:00 ─ R 01-06 08:00 (merge of release/1.0)
    release/1.0 cut at B: X1 01-04 08:00 (hotfix), merged back into main by R
    release/1.1 cut at C, no commits of its own; feature/y (01-05 10:00) does not match.

    Deployments (each release branch's first-parent line back to its fork, fork included):
    release/1.0@B 01-03 08:00 ships A, B; release/1.0@X1 01-04 08:00 ships X1;
    release/1.1@C 01-05 08:00 ships C. Changes A B C X1 (R is a merge): X1 merged at R 01-06."""
    repo = GitRepo(tmp_path / "rel")
    a = repo.commit("A", "2026-01-02T08:00:00Z")
    b = repo.commit("B", "2026-01-03T08:00:00Z")
    repo.switch("release/1.0", b)
    x1 = repo.commit("X1 hotfix", "2026-01-04T08:00:00Z")
    repo.switch("main")
    c = repo.commit("C", "2026-01-05T08:00:00Z")
    repo.git("branch", "release/1.1", c)
    repo.switch("feature/y", c)
    repo.commit("Y", "2026-01-05T10:00:00Z")
    repo.switch("main")
    repo.merge("release/1.0", "2026-01-06T08:00:00Z")
    result = run(tmp_path, db, repo.path, deployments_from="branches")
    assert result.ok, result.error
    assert [(r[0], r[3], r[6]) for r in deployments(db)] == [
        (f"branch:release/1.0@{b}", z(3, 8), b),
        (f"branch:release/1.0@{x1}", z(4, 8), x1),
        (f"branch:release/1.1@{c}", z(5, 8), c),
    ]
    assert shipped(db) == {
        f"branch:release/1.0@{b}": {a, b},
        f"branch:release/1.0@{x1}": {x1},
        f"branch:release/1.1@{c}": {c},
    }
    found = changes(db)
    assert set(found) == {a, b, c, x1}
    assert found[x1][4] == z(6, 8) and found[x1][6] == f"branch:release/1.0@{x1}"


def test_remote_tracking_branch_is_preferred(tmp_path: Path, db: Path, example: Example) -> None:
    """A clone whose origin gained C6 (01-11 10:00Z) since: `git fetch` moves origin/main, not
    main. The default reads origin/main (8 changes); main_branch = "refs/heads/main" the
    stale local branch (7)."""
    clone = tmp_path / "clone"
    subprocess.run([GIT, "clone", "-q", str(example.repo.path), str(clone)], check=True)
    example.repo.commit("C6 upstream", "2026-01-11T10:00:00Z")
    subprocess.run([GIT, "-C", str(clone), "fetch", "-q"], check=True)
    result = run(tmp_path, db, clone)
    assert result.ok and result.rows["changes"] == 8
    assert query(db, "SELECT stream FROM sync_cursors WHERE stream LIKE 'changes/%'") == [
        ("changes/refs/remotes/origin/main",)
    ]
    local = run(tmp_path, db, clone, main_branch="refs/heads/main")
    assert local.ok and local.rows["changes"] == 7


def test_shallow_clone_warns_and_syncs(tmp_path: Path, db: Path, example: Example) -> None:
    """--depth 2 of main keeps C5 and C4 (the branch tips' tags are not fetched):
    changes C4, C5 only; the warning names the fix."""
    clone = tmp_path / "shallow"
    source = f"file://{example.repo.path}"
    subprocess.run(
        [GIT, "clone", "-q", "--depth", "2", "--no-tags", source, str(clone)], check=True
    )
    result = run(tmp_path, db, clone)
    assert result.ok, result.error
    assert set(changes(db)) == {example.c4, example.c5}
    assert any("shallow clone" in w and "fetch --unshallow" in w for w in result.warnings)


def test_empty_repository(tmp_path: Path, db: Path) -> None:
    repo = GitRepo(tmp_path / "empty")
    result = run(tmp_path, db, repo.path)
    assert result.ok and result.rows_written == 0
    assert result.warnings == [f"{repo.path} has no commits yet; nothing to sync"]


def _fails(tmp_path: Path, db: Path, path: Path | str, **options: Any) -> str:
    before = contents(db)
    result = run(tmp_path, db, path, **options)
    assert not result.ok
    assert result.error is not None and "\n" not in result.error
    assert contents(db) == before
    assert query(db, "SELECT status, error FROM sync_runs ORDER BY started_at")[-1] == (
        "failed",
        result.error,
    )
    return result.error


def test_missing_path(tmp_path: Path, db: Path) -> None:
    error = _fails(tmp_path, db, tmp_path / "nowhere")
    assert error.startswith(f"git: path {tmp_path / 'nowhere'} in [sources.git] does not exist")
    assert "git clone" in error


def test_not_a_repository(tmp_path: Path, db: Path) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    error = _fails(tmp_path, db, folder)
    assert error.startswith(f"git: {folder} is not a git repository — set path")


def test_sub_folder_of_a_repository(tmp_path: Path, db: Path, example: Example) -> None:
    sub = example.repo.path / "docs"
    sub.mkdir()
    error = _fails(tmp_path, db, sub)
    assert "is a sub-folder of a repository" in error
    assert str(example.repo.path) in error


def test_git_binary_missing(tmp_path: Path, db: Path, example: Example) -> None:
    error = _fails(tmp_path, db, example.repo.path, git_binary="/nonexistent/git")
    assert "the git executable '/nonexistent/git' was not found" in error
    assert "apt-get install git" in error


def test_main_branch_missing(tmp_path: Path, db: Path, example: Example) -> None:
    error = _fails(tmp_path, db, example.repo.path, main_branch="trunk")
    assert "main branch 'trunk' not found" in error
    assert "feature, hotfix, main" in error


def test_detached_head_needs_main_branch(tmp_path: Path, db: Path, example: Example) -> None:
    example.repo.git("switch", "-q", "--detach", "HEAD~1")
    error = _fails(tmp_path, db, example.repo.path)
    assert "HEAD is detached" in error and 'set main_branch = "main"' in error
    assert run(tmp_path, db, example.repo.path, main_branch="main").rows["changes"] == 7


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"tag_pattern": "v[0-9"}, "has an unclosed ["),
        ({"tag_pattern": "refs/tags/v*"}, 'drop the refs/… prefix, e.g. tag_pattern = "v*"'),
        ({"tag_pattern": ""}, "is empty or has spaces"),
        ({"branch_pattern": "release/*"}, "does not use — remove it, or set deployments_from"),
        ({"deployments_from": "releases"}, 'use "tags" or "branches"'),
        ({"service_id": "zz"}, "service_id = 'zz' is not in the warehouse"),
        ({"since_days": 0}, "since_days must be a number ≥ 1"),
        ({"colour": "blue"}, "unknown key colour"),
    ],
)
def test_invalid_options(
    tmp_path: Path, db: Path, example: Example, options: dict[str, Any], expected: str
) -> None:
    assert expected in _fails(tmp_path, db, example.repo.path, **options)


def test_ten_thousand_commits_in_one_git_log(
    tmp_path: Path, db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """2500 rounds × (D, T1, T2, M) = 10,000 commits, from 2025-10-01 00:00Z hourly; a tag on
    every 100th round's merge (rounds 99, 199, … 2499 → 25 tags).

    changes: 3 × 2500 = 7500 (merges excluded); deployment_commits: every commit once, as the
    last tag reaches all 10,000; the first tag v0.99 ships rounds 0-99 = 400 commits.
    T_1500,1 (sha of mark 6002) merged by M_1500 at start + 1500 h + 30 min, shipped by v0.1599.
    The sync starts 4 git processes, whatever the history's size: rev-parse (repository,
    bare, shallow), for-each-ref, symbolic-ref HEAD, log."""
    start = int(datetime(2025, 10, 1, tzinfo=UTC).timestamp())
    repo = fast_history(tmp_path / "big", rounds=2500, tag_every=100, start=start)
    calls: list[list[str]] = []
    real = subprocess.run

    def counting(args: list[str], **kwargs: Any) -> Any:
        calls.append(list(args))
        return real(args, **kwargs)

    monkeypatch.setattr("connectors.sources.gitrepo.api.subprocess.run", counting)
    clock = time.monotonic()
    result = run(tmp_path, db, repo.path, until=datetime(2026, 2, 1, tzinfo=UTC))
    seconds = time.monotonic() - clock
    assert result.ok, result.error
    assert result.rows == {"deployments": 25, "deployment_commits": 10_000, "changes": 7500}
    assert [c[8] for c in calls] == ["rev-parse", "for-each-ref", "symbolic-ref", "log"]
    assert seconds < 15
    t1 = repo.git(
        "rev-parse", "main~1998^2~1"
    )  # main~2k = M_(2499-k); M_1500's second parent is T_1500,2
    assert repo.git("log", "-1", "--format=%s", t1) == "commit 6002"
    merged = datetime.fromtimestamp(start + 1500 * 3600 + 1800, UTC)
    assert changes(db)[t1][4:7] == (merged, "git", "tag:v0.1599")
    assert len(shipped(db)["tag:v0.99"]) == 400


def _raw_commit(repo: GitRepo, parent: str, stamp: str, message: str) -> str:
    """A commit object written as-is (``hash-object --literally``), on top of ``parent`` with the
    same tree, carrying the author/committer date text ``stamp`` that git itself would refuse."""
    tree = repo.git("rev-parse", f"{parent}^{{tree}}")
    body = (
        f"tree {tree}\nparent {parent}\nauthor Ada <ada@example.com> {stamp}\n"
        f"committer Carl <carl@example.com> {stamp}\n\n{message}\n"
    )
    done = subprocess.run(
        [GIT, "-C", str(repo.path), "hash-object", "-t", "commit", "-w", "--literally", "--stdin"],
        input=body.encode(),
        capture_output=True,
        check=True,
    )
    sha = done.stdout.decode().strip()
    repo.git("update-ref", "refs/heads/main", sha)
    return sha


def test_an_odd_author_time_zone_keeps_the_commit(tmp_path: Path, db: Path) -> None:
    """``+051800`` (written by old tools; ``%aI`` prints it as ``+518:00``) is only an offset:
    the epoch seconds 1767348000 are 2026-01-02 10:00 UTC (1767225600 is 01-01 00:00, + 34 h)."""
    repo = GitRepo(tmp_path / "repo")
    first = repo.commit("first", when(1, 9))
    odd = _raw_commit(repo, first, "1767348000 +051800", "odd zone")
    repo.tag("v1", odd)
    result = run(tmp_path, db, repo.path)
    assert result.ok, result.error
    assert result.warnings == []
    assert changes(db)[odd] == ("a1", odd, z(2, 10), None, z(2, 10), "git", "tag:v1", "commit")
    assert deployments(db)[-1][0] == "tag:v1" and deployments(db)[-1][3] == z(2, 10)


def test_a_commit_with_an_impossible_date_is_named(tmp_path: Path, db: Path) -> None:
    """Epoch 99999999999999 is past year 9999: that commit is skipped, and named."""
    repo = GitRepo(tmp_path / "repo")
    first = repo.commit("first", when(1, 9))
    bad = _raw_commit(repo, first, "99999999999999 +0000", "far future")
    result = run(tmp_path, db, repo.path, tag_pattern="none-*")
    assert result.ok, result.error
    assert result.rows == {"changes": 1}
    skipped = [w for w in result.warnings if "cannot be read" in w]
    assert skipped == [f"1 commit(s) with a date that cannot be read were skipped ({bad[:12]})"]
