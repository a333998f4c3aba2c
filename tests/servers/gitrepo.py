"""Real git repositories for the git connector's tests, built with the ``git`` binary.

There is no API to fake: :class:`GitRepo` drives ``/usr/bin/git`` in a temporary folder with
fixed author and committer dates (``GIT_AUTHOR_DATE``/``GIT_COMMITTER_DATE``), so every SHA
and time is reproducible, and no user or system configuration is read.
:func:`build_example` is the hand-computed history the tests and the contract source share;
:func:`fast_history` writes a 10,000-commit history through ``git fast-import`` in well
under a second.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

GIT = "/usr/bin/git"
ZONE = "+02:00"  # the fixture's commits are made in UTC+2, to test the conversion to UTC


def when(day: int, hour: int, minute: int = 0, zone: str = ZONE) -> str:
    """A git date in January 2026: ``2026-01-<day>T<hour>:<minute>:00<zone>``."""
    return f"2026-01-{day:02d}T{hour:02d}:{minute:02d}:00{zone}"


def git_environment(author: str | None = None, committer: str | None = None) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_AUTHOR_NAME": "Ada Author",
        "GIT_AUTHOR_EMAIL": "ada@example.com",
        "GIT_COMMITTER_NAME": "Carl Committer",
        "GIT_COMMITTER_EMAIL": "carl@example.com",
        "LC_ALL": "C",
    }
    if author:
        env["GIT_AUTHOR_DATE"] = author
    if committer:
        env["GIT_COMMITTER_DATE"] = committer
    return env


class GitRepo:
    """A repository in ``path``; every method is one or two ``git`` calls."""

    def __init__(self, path: Path, *, branch: str = "main", create: bool = True) -> None:
        self.path = path
        if create:
            path.mkdir(parents=True, exist_ok=True)
            self.git("init", "-q", "-b", branch)
            self.git("config", "commit.gpgsign", "false")
            self.git("config", "tag.gpgsign", "false")

    def git(self, *args: str, date: str | None = None, author: str | None = None) -> str:
        done = subprocess.run(
            [GIT, "-C", str(self.path), *args],
            env=git_environment(author or date, date),
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode:
            raise RuntimeError(f"git {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout.strip()

    def commit(self, message: str, date: str, author: str | None = None) -> str:
        """A commit on the current branch (a file named after the message changes)."""
        name = "".join(c if c.isalnum() else "-" for c in message)[:40] + ".txt"
        (self.path / name).write_text(message + "\n", encoding="utf-8")
        self.git("add", "--", name)
        self.git("commit", "-q", "-m", message, date=date, author=author)
        return self.rev("HEAD")

    def rev(self, rev: str) -> str:
        return self.git("rev-parse", "--verify", f"{rev}^{{commit}}")

    def switch(self, branch: str, create_at: str | None = None) -> None:
        if create_at is None:
            self.git("switch", "-q", branch)
        else:
            self.git("switch", "-q", "-c", branch, create_at)

    def merge(self, branch: str, date: str, message: str | None = None) -> str:
        """A --no-ff merge of ``branch`` into the current branch."""
        self.git("merge", "-q", "--no-ff", "-m", message or f"Merge {branch}", branch, date=date)
        return self.rev("HEAD")

    def tag(self, name: str, target: str = "HEAD", *, annotated_at: str | None = None) -> None:
        """A lightweight tag, or an annotated one dated ``annotated_at``."""
        if annotated_at is None:
            self.git("tag", name, target)
        else:
            self.git("tag", "-a", "-m", f"release {name}", name, target, date=annotated_at)


@dataclass(frozen=True)
class Example:
    """The SHAs of :func:`build_example`'s commits."""

    repo: GitRepo
    c1: str
    c2: str
    h1: str
    f1: str
    f2: str
    c3: str
    m1: str
    c4: str
    c5: str


def build_example(path: Path) -> Example:
    """The history the tests compute by hand (all times +02:00; UTC in brackets).

    main: C1 01-02 09:00 (07:00Z) ─ C2 01-03 10:00 (08:00Z) ─ C3 01-05 08:00 (06:00Z) ─
          M1 01-06 14:00 (12:00Z, --no-ff merge of feature) ─ C4 committed 01-08 09:00
          (07:00Z), authored 01-07 20:00 (18:00Z) ─ C5 01-10 10:00 (08:00Z)
    feature (from C2): F1 01-04 09:00 (07:00Z) ─ F2 01-05 11:00 (09:00Z)
    hotfix (from C2, never merged): H1 01-04 15:00 (13:00Z)

    tags: v1.0.0 lightweight on C2; v1.0.1 lightweight on H1; v1.1.0 annotated on M1 at
    01-07 10:00 (08:00Z); v1.2.0 annotated on C4 at 01-09 16:00 (14:00Z); nightly-0107
    lightweight on M1 and release-candidate annotated on C5 (neither matches v*).
    """
    repo = GitRepo(path)
    c1 = repo.commit("C1 initial", when(2, 9))
    c2 = repo.commit("C2 direct on main", when(3, 10))
    repo.tag("v1.0.0")
    repo.switch("hotfix", c2)
    h1 = repo.commit("H1 hotfix", when(4, 15))
    repo.tag("v1.0.1")
    repo.switch("feature", c2)
    f1 = repo.commit("F1 feature part 1", when(4, 9))
    f2 = repo.commit("F2 feature part 2", when(5, 11))
    repo.switch("main")
    c3 = repo.commit("C3 direct on main", when(5, 8))
    m1 = repo.merge("feature", when(6, 14))
    repo.tag("v1.1.0", annotated_at=when(7, 10))
    repo.tag("nightly-0107")
    c4 = repo.commit("C4 rebased", when(8, 9), author=when(7, 20))
    repo.tag("v1.2.0", annotated_at=when(9, 16))
    c5 = repo.commit("C5 not released", when(10, 10))
    repo.tag("release-candidate", annotated_at=when(10, 12))
    return Example(repo, c1, c2, h1, f1, f2, c3, m1, c4, c5)


def fast_history(path: Path, rounds: int, tag_every: int, start: int) -> GitRepo:
    """A ``main`` of ``rounds`` rounds, written with ``git fast-import``.

    Round i (at ``start + 3600·i`` seconds, UTC): a direct commit D_i (+0 s), a topic branch
    from it with T_i1 (+600 s) and T_i2 (+1200 s), and a --no-ff merge M_i (+1800 s; first
    parent D_i, second T_i2). Round i with (i + 1) % tag_every == 0 gets the lightweight tag
    ``v0.<i>`` on M_i. Marks: D_i = 4i+1, T_i1 = 4i+2, T_i2 = 4i+3, M_i = 4i+4.
    """
    repo = GitRepo(path)
    lines: list[str] = []

    def commit(ref: str, mark: int, moment: int, parents: list[int]) -> None:
        message = f"commit {mark}"
        lines.extend(
            [
                f"commit {ref}",
                f"mark :{mark}",
                f"author Ada <ada@example.com> {moment} +0000",
                f"committer Carl <carl@example.com> {moment} +0000",
                f"data {len(message)}",
                message,
            ]
        )
        if parents:
            lines.append(f"from :{parents[0]}")
        lines.extend(f"merge :{p}" for p in parents[1:])
        lines.append("")

    for i in range(rounds):
        base = start + 3600 * i
        d, t1, t2, m = 4 * i + 1, 4 * i + 2, 4 * i + 3, 4 * i + 4
        commit("refs/heads/main", d, base, [4 * i] if i else [])
        commit("refs/heads/topic", t1, base + 600, [d])
        commit("refs/heads/topic", t2, base + 1200, [t1])
        commit("refs/heads/main", m, base + 1800, [d, t2])
        if (i + 1) % tag_every == 0:
            lines.extend([f"reset refs/tags/v0.{i}", f"from :{m}", ""])
    subprocess.run(
        [GIT, "-C", str(path), "fast-import", "--quiet"],
        input="\n".join(lines).encode(),
        env=git_environment(),
        check=True,
    )
    return repo


@contextmanager
def contract_source(kind: str, populated: bool) -> Iterator[dict[str, Any]]:
    """The git source for tests/connectors/test_connector_contract.py.

    Empty: a freshly ``git init``-ed repository (no commits, no refs). Populated:
    :func:`build_example` (January 2026) for service a1."""
    with tempfile.TemporaryDirectory(prefix="techpulse-git-") as folder:
        path = Path(folder) / "a1"
        if populated:
            build_example(path)
        else:
            GitRepo(path)
        yield {
            "type": kind,
            "url": "",
            "auth": "none",
            "token_env": "CONTRACT_TOKEN",
            "path": str(path),
            "service_id": "a1",
        }
