"""History questions the git connector asks, answered in memory from one ``git log`` pass.

All three are linear in the size of the history (each commit is visited once), so a repository
with 100,000 commits costs well under a second here, and no process is started per commit.

* :func:`first_parents` — the first-parent line of a branch (its mainline).
* :func:`claim` — given heads in order, the commits each one adds to what the earlier ones
  already reach: for mainline commits oldest first, the commits a merge brought in (what
  ``git rev-list m^1..m`` lists); for deployments in time order, the commits each one shipped
  first (``git rev-list D --not <every earlier deployment>``).
* :func:`branch_line` — the first-parent line of a release branch back to where it forked
  from the mainline (the fork commit included: cutting the branch is its first release).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence

from connectors.sources.gitrepo.api import Commit


def first_parents(commits: Mapping[str, Commit], head: str) -> list[str]:
    """``head`` and its first parents, newest first, as far as the history goes."""
    line: list[str] = []
    seen: set[str] = set()
    current: str | None = head
    while current is not None and current in commits and current not in seen:
        seen.add(current)
        line.append(current)
        parents = commits[current].parents
        current = parents[0] if parents else None
    return line


def claim(commits: Mapping[str, Commit], heads: Sequence[str]) -> list[list[str]]:
    """For each head in order, the commits it reaches that no earlier head reaches.

    The set of claimed commits stays closed under "parent of" (a claimed commit's ancestors
    were claimed with it or before it), so a walk stops at the first claimed commit it meets.
    Commits outside ``commits`` (beyond a shallow boundary) are skipped."""
    claimed: set[str] = set()
    found: list[list[str]] = []
    for head in heads:
        added: list[str] = []
        stack = [head]
        while stack:
            sha = stack.pop()
            if sha in claimed or sha not in commits:
                continue
            claimed.add(sha)
            added.append(sha)
            stack.extend(commits[sha].parents)
        found.append(added)
    return found


def branch_line(
    commits: Mapping[str, Commit], head: str, mainline: Collection[str], taken: Collection[str]
) -> list[str]:
    """A release branch's own first-parent commits, newest first, ending with its fork point.

    The walk stops at the first commit on the ``mainline`` (included: the branch was cut
    there) or one already ``taken`` by another release branch (excluded)."""
    line: list[str] = []
    seen: set[str] = set()
    current: str | None = head
    while current is not None and current in commits and current not in seen:
        if current in taken:
            break
        seen.add(current)
        line.append(current)
        if current in mainline:
            break
        parents = commits[current].parents
        current = parents[0] if parents else None
    return line


def non_merges(commits: Mapping[str, Commit], shas: Iterable[str]) -> list[str]:
    return [s for s in shas if len(commits[s].parents) <= 1]
