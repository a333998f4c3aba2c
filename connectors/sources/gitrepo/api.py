"""Reading a local git repository through the ``git`` binary, for
:mod:`connectors.sources.gitrepo.streams`.

Every call runs ``git -C <path>`` with a clean environment: no system or user configuration
(``GIT_CONFIG_NOSYSTEM``, ``GIT_CONFIG_GLOBAL=/dev/null``), ``-c safe.directory=*`` so a
checkout owned by another user (a CI workspace, a mirror) is readable, ``LC_ALL=C``, no pager,
no prompt, no optional locks (the repository is never written), and a timeout. Output is
NUL-separated and parsed here. Dates are read as epoch seconds (``%at``, ``%ct``,
``taggerdate:unix``): the offset git prints beside them can be anything a tool once wrote, such as
``+051800`` that ``%aI`` renders as the unparseable ``+518:00``, and UTC needs no offset.

A sync costs a handful of processes whatever the size of the history: ``rev-parse`` (is it a
repository, bare, shallow), ``symbolic-ref HEAD`` when the main branch is not configured, one
``for-each-ref`` for tags and branches, a ``cat-file`` to peel tags of tags (if any), and
one ``git log`` over every commit reachable from the main branch and the deployments.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from connectors.core.errors import ConnectorError
from i18n import _

REF_FIELDS = (
    "%(refname)",
    "%(objecttype)",
    "%(objectname)",
    "%(*objecttype)",
    "%(*objectname)",
    "%(taggerdate:unix)",
)
LOG_FORMAT = "%H%x00%P%x00%at%x00%ct"
LOG_FIELDS = 4


@dataclass(frozen=True)
class Commit:
    """One commit: parents in order (the first is the first parent), dates in epoch seconds (git's
    text when it is not a number, so the connector can name what it skipped)."""

    sha: str
    parents: tuple[str, ...]
    authored: int | str
    committed: int | str


@dataclass(frozen=True)
class Ref:
    """A tag or branch as ``for-each-ref`` reports it; ``commit`` is filled in once peeled."""

    name: str
    kind: str
    target: str
    peeled_kind: str | None
    peeled: str | None
    tagger_date: int | str | None

    @property
    def commit(self) -> str | None:
        """The commit this ref names, when one level of peeling reaches it."""
        if self.kind == "commit":
            return self.target
        if self.kind == "tag" and self.peeled_kind == "commit":
            return self.peeled
        return None


@dataclass(frozen=True)
class RepoInfo:
    git_dir: str
    bare: bool
    shallow: bool
    up_to_top: str  # "../" when path is a sub-folder of a work tree, "" at its top


def clean_environment() -> dict[str, str]:
    """The environment git runs in: nothing of the user's configuration, C locale, no pager."""
    return {
        "PATH": os.environ.get("PATH") or "/usr/local/bin:/usr/bin:/bin",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_ATTR_NOSYSTEM": "1",
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_OPTIONAL_LOCKS": "0",
        "GIT_PAGER": "cat",
        "PAGER": "cat",
        "LC_ALL": "C",
        "LANG": "C",
    }


def epoch(text: str) -> int | str:
    """Epoch seconds as git prints them, or the text itself when it is not a whole number."""
    try:
        return int(text)
    except ValueError:
        return text


class Git:
    """``git`` run against one repository; every failure becomes a :class:`ConnectorError`."""

    def __init__(self, path: Path, *, binary: str = "git", timeout: float = 300.0) -> None:
        self.path = path
        self.binary = binary
        self.timeout = timeout
        self.where = "[sources]"

    def _command(self, args: Sequence[str]) -> list[str]:
        return [
            self.binary,
            "-C",
            str(self.path),
            "-c",
            "safe.directory=*",
            "-c",
            "core.fsmonitor=false",
            "--no-pager",
            *args,
        ]

    def run(self, *args: str, stdin: bytes | None = None, check: bool = True) -> bytes:
        """stdout of ``git <args>``; with ``check=False`` a failure returns b"" instead."""
        try:
            done = subprocess.run(
                self._command(args),
                input=stdin if stdin is not None else b"",
                capture_output=True,
                env=clean_environment(),
                timeout=self.timeout,
                check=False,
            )
        except FileNotFoundError:
            raise ConnectorError(
                _("the git executable {binary} was not found").format(binary=repr(self.binary)),
                _(
                    "install git (e.g. `apt-get install git`) or set git_binary to its full"
                    " path in {where}"
                ).format(where=self.where),
            ) from None
        except PermissionError:
            raise ConnectorError(
                _("the git executable {binary} cannot be run (permission denied)").format(
                    binary=repr(self.binary)
                ),
                _("point git_binary in {where} at an executable git").format(where=self.where),
            ) from None
        except subprocess.TimeoutExpired:
            raise ConnectorError(
                _("git {value} took longer than {timeout} s in {path}").format(
                    value=args[0], timeout=f"{self.timeout:g}", path=self.path
                ),
                _(
                    "raise timeout_seconds in {where}, or check that the disk is not "
                    "stalled (a network file system?)"
                ).format(where=self.where),
            ) from None
        if done.returncode != 0:
            if not check:
                return b""
            raise self._failure(args[0], done.stderr)
        return done.stdout

    def _failure(self, command: str, stderr: bytes) -> ConnectorError:
        text = stderr.decode("utf-8", "replace").strip()
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        first = next((line for line in lines if line.startswith(("fatal:", "error:"))), None)
        first = (first or (lines[0] if lines else "no error output")).removeprefix("fatal: ")
        if "not a git repository" in text:
            return ConnectorError(
                _("{path} is not a git repository").format(path=self.path),
                _(
                    "set path in {where} to a clone (the folder that contains .git) or a "
                    "bare repository"
                ).format(where=self.where),
            )
        return ConnectorError(
            _("git {command} failed in {path}: {value}").format(
                command=command, path=self.path, value=first[:300]
            ),
            _("run `git -C {path} fsck` to check the repository, or fix path in {where}").format(
                path=self.path, where=self.where
            ),
        )

    # -- queries --------------------------------------------------------------------------

    def info(self) -> RepoInfo:
        out = self.run(
            "rev-parse",
            "--git-dir",
            "--is-bare-repository",
            "--is-shallow-repository",
            "--show-cdup",  # prints nothing at all outside a work tree (bare, inside .git)
        )
        lines = out.decode("utf-8", "replace").split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        if len(lines) not in (3, 4) or lines[1] not in ("true", "false"):
            raise ConnectorError(
                _("git rev-parse gave an unexpected answer in {path}").format(path=self.path),
                _("check that {binary} is git 2.15 or newer").format(binary=self.binary),
            )
        cdup = lines[3] if len(lines) == 4 else ""
        return RepoInfo(lines[0], lines[1] == "true", lines[2] == "true", cdup)

    def head_branch(self) -> str | None:
        """The branch HEAD points at (``refs/heads/main``), or None when HEAD is detached."""
        out = self.run("symbolic-ref", "-q", "HEAD", check=False)
        name = out.decode("utf-8", "replace").strip()
        return name or None

    def refs(self, prefixes: Iterable[str]) -> list[Ref]:
        """Every ref under ``prefixes`` (e.g. ``refs/tags/``), as for-each-ref reports it."""
        out = self.run("for-each-ref", "--format=" + "%00".join(REF_FIELDS), *prefixes)
        found: list[Ref] = []
        for line in out.decode("utf-8", "replace").split("\n"):
            if not line:
                continue
            fields = line.split("\0")
            if len(fields) != len(REF_FIELDS):
                raise ConnectorError(
                    _("git for-each-ref gave an unexpected line in {path}: {value}").format(
                        path=self.path, value=repr(line[:80])
                    ),
                    _("check that {binary} is a standard git").format(binary=self.binary),
                )
            name, kind, target, peeled_kind, peeled, tagger = fields
            found.append(
                Ref(
                    name,
                    kind,
                    target,
                    peeled_kind or None,
                    peeled or None,
                    epoch(tagger) if tagger else None,
                )
            )
        return found

    def peel(self, names: Sequence[str]) -> dict[str, str | None]:
        """``{ref: commit}`` for refs whose chain of tags ends in a commit (None otherwise),
        in one ``cat-file --batch-check`` call."""
        if not names:
            return {}
        out = self.run(
            "cat-file",
            "--batch-check=%(objectname) %(objecttype)",
            stdin="".join(f"{name}^{{commit}}\n" for name in names).encode("utf-8"),
        )
        lines = out.decode("utf-8", "replace").split("\n")
        peeled: dict[str, str | None] = {}
        for name, line in zip(names, lines, strict=False):
            sha, _sep, kind = line.partition(" ")
            peeled[name] = sha if kind == "commit" else None
        return peeled

    def commits(self, heads: Iterable[str]) -> dict[str, Commit]:
        """Every commit reachable from ``heads`` (full SHAs), in one ``git log`` pass."""
        revs = sorted(set(heads))
        if not revs:
            return {}
        out = self.run(
            "log",
            "--stdin",
            "-z",
            "--no-color",
            "--no-show-signature",
            f"--format={LOG_FORMAT}",
            stdin=("\n".join(revs) + "\n").encode("ascii"),
        )
        pieces = out.decode("utf-8", "replace").split("\0")
        if pieces and pieces[-1] == "":
            pieces.pop()
        if len(pieces) % LOG_FIELDS:
            raise ConnectorError(
                _("git log gave {len} fields in {path}, not a multiple of {log_fields}").format(
                    len=len(pieces), path=self.path, log_fields=LOG_FIELDS
                ),
                _("check that {binary} is a standard git").format(binary=self.binary),
            )
        found: dict[str, Commit] = {}
        for i in range(0, len(pieces), LOG_FIELDS):
            sha, parents, authored, committed = pieces[i : i + LOG_FIELDS]
            found[sha] = Commit(sha, tuple(parents.split()), epoch(authored), epoch(committed))
        return found
