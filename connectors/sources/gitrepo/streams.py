"""A local git repository → ``deployments``, ``deployment_commits`` and ``changes``.

For a team whose only delivery record is its repository: releases are tags (or release
branches), changes are commits, and the linker (connectors/core/linking.py) joins them into lead
times. No HTTP: the repository is read with the ``git`` binary
(:mod:`connectors.sources.gitrepo.api`), one ``git log`` pass for the whole history, answered
in memory (:mod:`connectors.sources.gitrepo.history`). One source is one repository and one service.

**Deployments from tags** (``deployments_from = "tags"``, default): every tag whose name
matches ``tag_pattern`` (a glob, default ``v*``; ``*`` also matches ``/``) and names a commit
is a successful deployment to ``environment`` (default production): ``external_id`` =
``tag:<name>``, ``commit_sha`` = the tagged commit (nested tags peeled), ``started_at`` =
``finished_at`` = the tagger date of an annotated tag, else the committer date of the commit
(git does not record when a lightweight tag was made).

**Deployments from release branches** (``deployments_from = "branches"``): every branch
matching ``branch_pattern`` (default ``release/*``; local branches and ``<remote>/…``
remote-tracking ones, the remote's copy preferred) contributes each commit of its first-parent
line back to where it forked from the main branch's first-parent line; the fork commit is the
branch's first deployment (cutting the branch is its first release). ``external_id`` =
``branch:<name>@<sha>``, time = the commit's committer date. A commit on the lines of two
matching branches counts once, for the branch whose name sorts first.

**Commits each deployment shipped** (``deployment_commits``): deployments are taken in time
order and each gets the commits it reaches that no earlier deployment reaches (``git rev-list
D --not <earlier deployments>``; for a linear history, ``<previous tag>..<tag>``). The first
deployment ships everything reachable from it; ``since_days`` keeps old ones out.

**Changes** (``changes``): every non-merge commit reachable from ``main_branch`` (default: the
branch HEAD names; the remote-tracking ``<remote>/<name>`` is preferred to the local branch
when both exist, since ``git fetch`` keeps it current). ``external_id`` = ``commit_sha`` = the
SHA, ``first_commit_at`` = author date, ``merged_at`` = committer date of the first-parent
commit on the main branch that brought it in: the merge commit for a merge-based flow, the
commit itself for squash and rebase flows; ``opened_at`` NULL.

**Incremental.** Cursors ``deployments/<mode>:<patterns>`` and ``changes/<main ref>`` hold
the newest deployment time and merge time seen before ``--until``. Each run still reads the
whole history (cheap: local), but writes only rows from the cursor minus ``overlap_hours``
(default 168) on, or from ``--since``; rows are upserted on ``(source, external_id)``, so
re-runs never duplicate. A lightweight tag made on a commit older than that is only picked up
with ``--since`` (prefer annotated tags: they carry their own date). Deleted tags, rewritten
history and changed options are not undone in the warehouse.

**Errors.** A missing path, a folder that is not a repository, a missing git binary or main
branch, a detached HEAD without ``main_branch`` and an invalid pattern fail the run with a fix;
a shallow clone only warns (older history is missing). A commit or tag with a date Python
cannot represent is skipped and named in a warning. Dates are read as epoch seconds, so any
offset git recorded (even the odd `+051800` of old tools) is harmless.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from connectors.core.base import CursorUpdate, Record, SourceContext, Stream
from connectors.core.config import SourceConfig, check_options
from connectors.core.errors import ConfigError, ConnectorError
from connectors.core.mapping import as_strings
from connectors.core.records import (
    COMMIT_KEY,
    DEPLOYMENT_KEY,
    RowError,
    change,
    cursor_time,
    deployment,
    deployment_commit,
    overlap,
    upserts,
    utc,
)
from connectors.sources.gitrepo.api import Commit, Git, Ref
from connectors.sources.gitrepo.history import branch_line, claim, first_parents, non_merges
from i18n import _

DEPLOYMENTS = Stream("deployments", "deployments", DEPLOYMENT_KEY, "finished_at")
DEPLOYMENT_COMMITS = Stream("deployment_commits", "deployment_commits", COMMIT_KEY, "")
CHANGES = Stream("changes", "changes", DEPLOYMENT_KEY, "merged_at")
MODES = ("tags", "branches")
OPTIONS = frozenset(
    {
        "path",
        "service_id",
        "deployments_from",
        "tag_pattern",
        "branch_pattern",
        "main_branch",
        "remote",
        "environment",
        "since_days",
        "overlap_hours",
        "timeout_seconds",
        "git_binary",
    }
)
DEFAULT_OVERLAP_HOURS = 168.0
DEFAULT_TIMEOUT = 300.0


def check_glob(pattern: str, option: str, where: str) -> str:
    """A tag or branch glob, refused when it cannot mean what it says."""
    if not pattern.strip() or pattern != pattern.strip():
        raise ConfigError(
            _("{where}: {option} {pattern} is empty or has spaces").format(
                where=where, option=option, pattern=repr(pattern)
            ),
            _("fix it"),
        )
    if any(ord(c) < 32 or c == " " for c in pattern):
        raise ConfigError(
            _("{where}: {option} {pattern} contains a space or control character").format(
                where=where, option=option, pattern=repr(pattern)
            ),
            _("git names cannot contain them; fix the pattern"),
        )
    if pattern.startswith("refs/"):
        raise ConfigError(
            _("{where}: {option} {pattern} names refs, but it matches short names").format(
                where=where, option=option, pattern=repr(pattern)
            ),
            _('drop the refs/… prefix, e.g. {option} = "{value}"').format(
                option=option, value=pattern.split("/", 2)[-1]
            ),
        )
    depth = 0
    for c in pattern:  # fnmatch would silently take an unclosed "[" literally
        if c == "[":
            depth += 1
        elif c == "]" and depth:
            depth = 0
    if depth:
        raise ConfigError(
            _("{where}: {option} {pattern} has an unclosed [").format(
                where=where, option=option, pattern=repr(pattern)
            ),
            _("close the character class (e.g. v[0-9]*) or drop the ["),
        )
    return pattern


def _number(options: Mapping[str, Any], key: str, where: str, *, minimum: float) -> float | None:
    value = options.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        raise ConfigError(
            _("{where}: {key} must be a number ≥ {minimum}").format(
                where=where, key=key, minimum=f"{minimum:g}"
            ),
            _("fix the value"),
        )
    return float(value)


def _text(options: Mapping[str, Any], key: str, where: str, default: str | None) -> str | None:
    value = options.get(key, default)
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise ConfigError(
            _("{where}: {key} must be a non-empty string").format(where=where, key=key),
            _("quote the value"),
        )
    return value.strip() if isinstance(value, str) else None


@dataclass(frozen=True)
class Release:
    """A deployment found in the repository."""

    external_id: str
    sha: str
    time: datetime


class GitRepoConnector:
    """Tags or release branches and commits of one repository (see the module docstring)."""

    streams: tuple[Stream, ...] = (DEPLOYMENTS, DEPLOYMENT_COMMITS, CHANGES)

    def __init__(self, source: SourceConfig) -> None:
        check_options(source, OPTIONS)
        self.source = source
        self.name = source.name
        self.where = where = f"[sources.{source.name}]"
        options = source.options
        path = _text(options, "path", where, None)
        if path is None:
            raise ConfigError(
                _("{where} has no path").format(where=where),
                _('add path = "/srv/git/checkout" (the repository folder)'),
            )
        self.path = Path(path).expanduser()
        self.url = str(self.path)  # what `python -m connectors sources` shows as its location
        service_id = _text(options, "service_id", where, None)
        if service_id is None:
            raise ConfigError(
                _("{where} has no service_id").format(where=where),
                _('add service_id = "<the service this repository builds>"'),
            )
        self.service_id = service_id
        self.mode = options.get("deployments_from", "tags")
        if self.mode not in MODES:
            raise ConfigError(
                _("{where}: deployments_from = {mode}").format(where=where, mode=repr(self.mode)),
                _('use "tags" or "branches"'),
            )
        unused = "branch_pattern" if self.mode == "tags" else "tag_pattern"
        if unused in options:
            raise ConfigError(
                _("{where} sets {unused}, which deployments_from = {mode} does not use").format(
                    where=where, unused=unused, mode=repr(self.mode)
                ),
                _('remove it, or set deployments_from = "{value}"').format(
                    value=MODES[self.mode == "tags"]
                ),
            )
        key = "tag_pattern" if self.mode == "tags" else "branch_pattern"
        default = "v*" if self.mode == "tags" else "release/*"
        self.patterns = [
            check_glob(p, key, where) for p in as_strings(options.get(key, default), key, self.name)
        ]
        self.main_branch = _text(options, "main_branch", where, None)
        if self.main_branch is not None and self.main_branch.startswith("-"):
            raise ConfigError(
                _("{where}: main_branch {main_branch}").format(
                    where=where, main_branch=repr(self.main_branch)
                ),
                _("name a branch"),
            )
        self.remote = _text(options, "remote", where, "origin") or "origin"
        self.environment = _text(options, "environment", where, "production") or "production"
        self.since_days = _number(options, "since_days", where, minimum=1)
        overlap_hours = _number(options, "overlap_hours", where, minimum=0)
        self.overlap_hours = DEFAULT_OVERLAP_HOURS if overlap_hours is None else overlap_hours
        self.timeout = _number(options, "timeout_seconds", where, minimum=1) or DEFAULT_TIMEOUT
        self.git_binary = _text(options, "git_binary", where, "git") or "git"

    @classmethod
    def from_config(cls, source: SourceConfig) -> GitRepoConnector:
        return cls(source)

    # -- the repository -------------------------------------------------------------------

    def _git(self) -> Git:
        if not self.path.exists():
            raise ConfigError(
                _("path {path} in {where} does not exist").format(path=self.path, where=self.where),
                _(
                    "clone the repository there (git clone --mirror URL PATH keeps it "
                    "small) or fix the path"
                ),
            )
        if not self.path.is_dir():
            raise ConfigError(
                _("path {path} in {where} is a file, not a folder").format(
                    path=self.path, where=self.where
                ),
                _("point path at the repository folder"),
            )
        git = Git(self.path, binary=self.git_binary, timeout=self.timeout)
        git.where = self.where
        return git

    def _main(self, git: Git, refs: Mapping[str, Ref]) -> tuple[str, str]:
        """(ref name, commit) of the main branch."""
        name = self.main_branch
        if name is None:
            head = git.head_branch()
            if head is None:
                raise ConnectorError(
                    _("HEAD is detached in {path}, so its main branch is unknown").format(
                        path=self.path
                    ),
                    _('set main_branch = "main" (your default branch) in {where}').format(
                        where=self.where
                    ),
                )
            name = head.removeprefix("refs/heads/")
        if name.startswith("refs/"):
            candidates = [name]
        else:
            candidates = [f"refs/remotes/{self.remote}/{name}", f"refs/heads/{name}"]
            candidates.append(f"refs/remotes/{name}")
        for candidate in candidates:
            ref = refs.get(candidate)
            if ref is not None and ref.commit is not None:
                return candidate, ref.commit
        known = sorted(_short(r) for r in refs if r.startswith(("refs/heads/", "refs/remotes/")))
        shown = ", ".join(known[:8]) + (" …" if len(known) > 8 else "") or "(none)"
        raise ConnectorError(
            _("main branch {name} not found in {path}").format(name=repr(name), path=self.path),
            _("set main_branch in {where} to one of the branches: {shown}").format(
                where=self.where, shown=shown
            ),
        )

    def _tags(self, git: Git, refs: Mapping[str, Ref], ctx: SourceContext) -> dict[str, Ref]:
        """``{tag name: ref}`` of the matching tags that name a commit."""
        matching = {
            name.removeprefix("refs/tags/"): ref
            for name, ref in refs.items()
            if name.startswith("refs/tags/") and self._matches(name.removeprefix("refs/tags/"))
        }
        nested = [r.name for r in matching.values() if r.kind == "tag" and r.commit is None]
        peeled = git.peel(nested) if nested else {}
        found: dict[str, Ref] = {}
        skipped: list[str] = []
        for tag, ref in sorted(matching.items()):
            commit = ref.commit or peeled.get(ref.name)
            if commit is None:
                skipped.append(tag)
                continue
            found[tag] = Ref(ref.name, ref.kind, ref.target, "commit", commit, ref.tagger_date)
        if skipped:
            ctx.warn(
                f"{len(skipped)} tag(s) matching {self._shown()} name no commit and were "
                f"skipped ({', '.join(skipped[:5])})"
            )
        if not matching:
            tags = sorted(n.removeprefix("refs/tags/") for n in refs if n.startswith("refs/tags/"))
            seen = f" (tags found: {', '.join(tags[:5])}{' …' * (len(tags) > 5)})" if tags else ""
            ctx.warn(
                f"no tag matches tag_pattern {self._shown()}{seen}; no deployments recorded — "
                f"set tag_pattern in {self.where}"
            )
        return found

    def _branches(self, refs: Mapping[str, Ref], main_ref: str) -> dict[str, str]:
        """``{branch name: head commit}`` of the matching branches (the remote's copy wins)."""
        found: dict[str, str] = {}
        remote = f"refs/remotes/{self.remote}/"
        for prefix in ("refs/heads/", remote):  # later wins: remote-tracking over local
            for name, ref in refs.items():
                short = name.removeprefix(prefix)
                if not name.startswith(prefix) or short == "HEAD" or ref.commit is None:
                    continue
                if name == main_ref or not self._matches(short):
                    continue
                found[short] = ref.commit
        main_short = _short(main_ref).removeprefix(f"{self.remote}/")
        found.pop(main_short, None)
        return dict(sorted(found.items()))

    def _matches(self, name: str) -> bool:
        return any(fnmatchcase(name, p) for p in self.patterns)

    def _shown(self) -> str:
        return " or ".join(repr(p) for p in self.patterns)

    # -- extraction -----------------------------------------------------------------------

    def extract(self, ctx: SourceContext) -> Iterator[Record]:
        if self.service_id not in ctx.service_ids():
            known = ", ".join(sorted(ctx.service_ids())[:8]) or "(none)"
            raise ConfigError(
                _("{where} service_id = {service_id} is not in the warehouse").format(
                    where=self.where, service_id=repr(self.service_id)
                ),
                _("fix the id (services: {known}) or add the service first").format(known=known),
            )
        git = self._git()
        info = git.info()
        if info.up_to_top:
            raise ConfigError(
                _(
                    "path {path} in {where} is a sub-folder of a repository, whose whole "
                    "history would be read"
                ).format(path=self.path, where=self.where),
                _("set path to its top folder, {resolve}").format(
                    resolve=(self.path / info.up_to_top).resolve()
                ),
            )
        if info.shallow:
            ctx.warn(
                f"{self.path} is a shallow clone: older commits are missing, so the first "
                f"deployment ships too few commits and older changes are absent; run "
                f"`git -C {self.path} fetch --unshallow`, then sync with --since"
            )
        ctx.progress.start(1, "repositories")
        refs = {r.name: r for r in git.refs(["refs/heads/", "refs/remotes/", "refs/tags/"])}
        if not refs:
            ctx.warn(f"{self.path} has no commits yet; nothing to sync")
            ctx.progress.advance()
            return
        main_ref, main_sha = self._main(git, refs)
        if self.mode == "tags":
            tags = self._tags(git, refs, ctx)
            commits = git.commits([main_sha, *(t.peeled for t in tags.values() if t.peeled)])
            releases = self._tag_releases(tags, commits, ctx)
        else:
            branches = self._branches(refs, main_ref)
            commits = git.commits([main_sha, *branches.values()])
            releases = self._branch_releases(branches, commits, main_sha, ctx)
        yield from self._records(ctx, commits, main_ref, main_sha, releases)
        ctx.progress.advance()

    def _tag_releases(
        self, tags: Mapping[str, Ref], commits: Mapping[str, Commit], ctx: SourceContext
    ) -> list[Release]:
        found: list[Release] = []
        bad: list[str] = []
        for tag, ref in tags.items():
            sha = ref.peeled or ""
            if sha not in commits:
                bad.append(tag)
                continue
            try:
                if ref.kind == "tag" and ref.tagger_date is not None:
                    moment = utc(ref.tagger_date, f"tag {tag} date")
                else:
                    moment = utc(commits[sha].committed, f"commit {sha} date")
            except RowError:
                bad.append(tag)
                continue
            found.append(Release(f"tag:{tag}", sha, moment))
        if bad:
            ctx.warn(
                f"{len(bad)} tag(s) were skipped: their commit is missing from the history or "
                f"their date cannot be read ({', '.join(bad[:5])})"
            )
        return found

    def _branch_releases(
        self,
        branches: Mapping[str, str],
        commits: Mapping[str, Commit],
        main_sha: str,
        ctx: SourceContext,
    ) -> list[Release]:
        if not branches:
            ctx.warn(
                f"no branch matches branch_pattern {self._shown()}; no deployments recorded — "
                f"set branch_pattern in {self.where}"
            )
        mainline = set(first_parents(commits, main_sha))
        taken: set[str] = set()
        found: list[Release] = []
        bad: list[str] = []
        for name, head in branches.items():
            line = branch_line(commits, head, mainline, taken)
            taken.update(line)
            for sha in line:
                try:
                    moment = utc(commits[sha].committed, f"commit {sha} date")
                except RowError:
                    bad.append(sha)
                    continue
                found.append(Release(f"branch:{name}@{sha}", sha, moment))
        if bad:
            ctx.warn(
                f"{len(bad)} release-branch commit(s) with an unreadable date were skipped "
                f"({_shas(bad)})"
            )
        return found

    def _window(self, ctx: SourceContext, key: str) -> datetime | None:
        start = overlap(ctx.cursors.get(key), ctx.since, self.overlap_hours)
        if self.since_days is not None:
            bound = ctx.until - timedelta(days=self.since_days)
            start = bound if start is None else max(start, bound)
        return start

    def _records(
        self,
        ctx: SourceContext,
        commits: Mapping[str, Commit],
        main_ref: str,
        main_sha: str,
        releases: list[Release],
    ) -> Iterator[Record]:
        dep_key = DEPLOYMENTS.cursor_key(f"{self.mode}:{','.join(self.patterns)}")
        chg_key = CHANGES.cursor_key(main_ref)
        cursors: dict[str, str] = {}

        # deployments and the commits each shipped first
        releases.sort(key=lambda r: (r.time, r.external_id))
        shipped = claim(commits, [r.sha for r in releases])
        start = self._window(ctx, dep_key)
        deployments: list[dict[str, Any]] = []
        shipped_rows: list[dict[str, Any]] = []
        for release, shas in zip(releases, shipped, strict=True):
            if release.time >= ctx.until or (start is not None and release.time < start):
                continue
            deployments.append(
                deployment(
                    source=self.name,
                    external_id=release.external_id,
                    service_id=self.service_id,
                    environment=self.environment,
                    started_at=release.time,
                    finished_at=release.time,
                    status="success",
                    commit_sha=release.sha,
                )
            )
            shipped_rows += [deployment_commit(self.name, release.external_id, s) for s in shas]
        newest = max((r.time for r in releases if r.time < ctx.until), default=None)
        if newest is not None:
            cursors[dep_key] = _later(ctx.cursors.get(dep_key), newest)

        # changes: what each first-parent commit of the main branch brought in
        line = list(reversed(first_parents(commits, main_sha)))
        start = self._window(ctx, chg_key)
        changes: list[dict[str, Any]] = []
        bad: list[str] = []
        newest = None
        for merge, brought in zip(line, claim(commits, line), strict=True):
            try:
                merged_at = utc(commits[merge].committed, f"commit {merge} date")
            except RowError:
                bad.append(merge)
                continue
            if merged_at >= ctx.until:
                continue
            newest = merged_at if newest is None else max(newest, merged_at)
            if start is not None and merged_at < start:
                continue
            for sha in non_merges(commits, brought):
                try:
                    authored = utc(commits[sha].authored, f"commit {sha} author date")
                except RowError:
                    bad.append(sha)
                    continue
                changes.append(
                    change(
                        source=self.name,
                        external_id=sha,
                        service_id=self.service_id,
                        commit_sha=sha,
                        first_commit_at=authored,
                        opened_at=None,
                        merged_at=merged_at,
                    )
                )
        if bad:
            ctx.warn(
                f"{len(bad)} commit(s) with a date that cannot be read were skipped ({_shas(bad)})"
            )
        if newest is not None:
            cursors[chg_key] = _later(ctx.cursors.get(chg_key), newest)
        yield from upserts(deployments=deployments, changes=changes, commits=shipped_rows)
        if cursors:
            yield CursorUpdate(cursors)


def _short(ref: str) -> str:
    for prefix in ("refs/heads/", "refs/remotes/", "refs/tags/"):
        if ref.startswith(prefix):
            return ref.removeprefix(prefix)
    return ref


def _shas(skipped: list[str], shown: int = 5) -> str:
    """The first few skipped commits, abbreviated as git does, so a user can `git show` them."""
    text = ", ".join(sha[:12] for sha in skipped[:shown])
    return text + (f" and {len(skipped) - shown} more" if len(skipped) > shown else "")


def _later(previous: str | None, moment: datetime) -> str:
    """The cursor: the newer of the stored value and ``moment``."""
    if previous:
        try:
            return cursor_time(max(utc(previous, "cursor"), moment))
        except RowError:
            pass
    return cursor_time(moment)
