"""The CSV import's kinds: the columns of each file, their types, and the rules between them.

One :class:`Kind` per importable table. Every column names its warehouse column (same name),
its :data:`TYPES` entry, whether it is required, an example and a meaning; docs/csv-import.md
and the Data sources page are written from these specs, so what is documented is what is
checked. Rules between columns (:class:`Order`, :class:`AtMost`, :class:`Fails`) and references
to the warehouse (:class:`Exists`, :class:`SameSourceDeployment`) are data too; the SQL that
checks them lives in connectors/csv/importer.py.

Choices (statuses, severities, …) are normalised by plain functions, reusing
connectors/core/records.py where a connector would normalise the same field, so a CSV row and a
synced row of the same event are stored alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from connectors.core import records
from i18n import N_, _

# type name → what the docs say about its values
TYPES = {
    "id": N_("identifier: text up to 200 characters, no line breaks"),
    "text": N_("text up to 2,000 characters"),
    "url": N_("an http:// or https:// URL"),
    "sha": N_("commit SHA: 7 to 64 hexadecimal digits (stored in lower case)"),
    "timestamp": (
        N_(
            "ISO-8601 date and time with Z or an offset, e.g. 2026-01-31T14:05:00Z or "
            "2026-01-31 15:05+01:00; without an offset only with --timezone"
        )
    ),
    "date": N_("date YYYY-MM-DD"),
    "count": N_("whole number ≥ 0"),
    "amount": N_(
        "amount ≥ 0 with at most 2 decimals, a dot as decimal mark, no thousands separator"
    ),
    "percent": N_("number from 0 to 100"),
    "choice": N_("one of the listed words (case does not matter)"),
}
MAX_ID = 200
MAX_TEXT = 2000
INT32_MAX = 2_147_483_647
COUNT_MAX = 10**15


def _choice(field_name: str, allowed: dict[str, str]) -> Callable[[str], str]:
    shown = ", ".join(dict.fromkeys(allowed.values()))

    def normalise(value: str) -> str:
        found = allowed.get(value.strip().lower())
        if found is None:
            raise ValueError(
                _("{field_name} {show} is not one of {shown}").format(
                    field_name=field_name, show=_show(value), shown=shown
                )
            )
        return found

    return normalise


def _show(value: str) -> str:
    text = " ".join(value.split())
    return repr(text if len(text) <= 40 else text[:40] + "…")


def _status(value: str) -> str:
    try:
        return records.status(value)
    except records.RowError:
        raise ValueError(
            _(
                "status {show} is not one of success, failure, cancelled (or succeeded,"
                " ok, failed, error, canceled, aborted, skipped …)"
            ).format(show=_show(value))
        ) from None


UNKNOWN_SEVERITY = "unknown"  # a tool with no severity field: stored as such, never guessed


def _severity(value: str) -> str:
    if value.strip().lower() == UNKNOWN_SEVERITY:
        return UNKNOWN_SEVERITY
    try:
        return records.severity(value)
    except records.RowError:
        raise ValueError(
            _("severity {show} is not SEV1-SEV4, P1-P5 or critical/high/medium/low").format(
                show=_show(value)
            )
        ) from None


def _currency(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z]{3}", value.strip()):
        raise ValueError(
            _("currency {show} is not an ISO 4217 code such as EUR or USD").format(
                show=_show(value)
            )
        )
    return value.strip().upper()


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool
    example: str
    meaning: str
    normalise: Callable[[str], str] | None = None  # for choices: raw word → stored value
    choices: tuple[str, ...] = ()  # stored values, for the docs
    default: str | None = None  # stored when the cell is empty
    maximum: int | None = None  # for counts

    def describe(self) -> str:
        """What values the column takes, in the reader's language."""
        if self.choices:
            words = ", ".join(self.choices)
            if self.default:
                return _("one of {words} (default {default})").format(
                    words=words, default=self.default
                )
            return _("one of {words}").format(words=words)
        return _(TYPES[self.type])


@dataclass(frozen=True)
class Order:
    """``later`` must not be before ``earlier`` when both are given."""

    earlier: str
    later: str
    message: str


@dataclass(frozen=True)
class AtMost:
    """``part`` must not exceed ``whole``, and needs ``whole`` when given."""

    part: str
    whole: str


@dataclass(frozen=True)
class Fails:
    """A row where the SQL ``condition`` (over the typed columns) holds is an error."""

    condition: str
    message: str


@dataclass(frozen=True)
class Exists:
    """Values of ``column`` must be in ``table.target`` (only rows where ``when`` holds)."""

    column: str
    table: str
    target: str
    label: str  # "service" / "team"
    when: str | None = None


@dataclass(frozen=True)
class SameSourceDeployment:
    """``column`` names a deployment of the same source: in the warehouse, or (``in_file``)
    in this very file."""

    column: str
    in_file: bool = False


Rule = Order | AtMost | Fails


@dataclass(frozen=True)
class Kind:
    name: str  # what the CLI and the page call it
    table: str
    key: tuple[str, ...]  # natural key within one source (columns of the file)
    columns: tuple[Column, ...]
    rules: tuple[Rule, ...] = ()
    references: tuple[Exists | SameSourceDeployment, ...] = ()
    has_source: bool = True  # the table has a ``source`` column (annotations do not)
    extras: dict[str, str] = field(default_factory=dict)  # table column → SQL over the row
    compare: dict[tuple[str, ...], str] = field(default_factory=dict)  # columns → "changed" SQL
    summary: str = ""

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def sample(self) -> str:
        """A small valid file (header and the examples), for the docs and the page."""
        return (
            ",".join(c.name for c in self.columns)
            + "\n"
            + ",".join(_csv_cell(c.example) for c in self.columns)
            + "\n"
        )


def _csv_cell(value: str) -> str:
    if any(ch in value for ch in ',"\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def _id(name: str, required: bool, example: str, meaning: str) -> Column:
    return Column(name, "id", required, example, meaning)


def _ts(name: str, required: bool, example: str, meaning: str) -> Column:
    return Column(name, "timestamp", required, example, meaning)


def _count(name: str, example: str, meaning: str, maximum: int = COUNT_MAX) -> Column:
    return Column(name, "count", False, example, meaning, maximum=maximum)


def _percent(name: str, example: str, meaning: str) -> Column:
    return Column(name, "percent", False, example, meaning)


SERVICE = _id("service_id", True, "checkout-api", N_("a service of the warehouse (services)"))
SERVICE_EXISTS = Exists("service_id", "services", "service_id", "service")

DEPLOYMENTS = Kind(
    name="deployments",
    table="deployments",
    key=("external_id",),
    summary=N_("One row per deployment attempt of a service to an environment."),
    columns=(
        _id("external_id", True, "d-1042", N_("the deployment's id in your tool; the row's key")),
        SERVICE,
        Column(
            "environment",
            "id",
            True,
            "production",
            N_("target environment (production counts); stored in lower case"),
            normalise=records.environment_name,
        ),
        _ts("started_at", True, "2026-01-14T09:58:00Z", N_("deployment start")),
        _ts("finished_at", False, "2026-01-14T10:03:30Z", N_("when the change went live")),
        Column(
            "status",
            "choice",
            True,
            "success",
            N_("outcome"),
            normalise=_status,
            choices=records.STATUSES,
        ),
        Column(
            "commit_sha", "sha", False, "9fceb02d0ae598e95dc970b74767f19372d61af8", N_("commit")
        ),
        Column("url", "url", False, "https://ci.example.com/deploy/1042", N_("link to it")),
        Column(
            "change_type",
            "choice",
            False,
            "planned",
            N_("hotfix and rollback are unplanned rework"),
            normalise=_choice("change_type", {c: c for c in records.CHANGE_TYPES}),
            choices=records.CHANGE_TYPES,
            default="planned",
        ),
        _id(
            "remediates_external_id",
            False,
            "",
            N_("external_id of the deployment a hotfix or rollback repairs (same source)"),
        ),
    ),
    rules=(
        Order("started_at", "finished_at", N_("finished before started")),
        Fails(
            "remediates_external_id IS NOT NULL AND change_type = 'planned'",
            N_("remediates_external_id is set but change_type is planned; use hotfix or rollback"),
        ),
        Fails(
            "remediates_external_id = external_id",
            N_("a deployment cannot remediate itself (remediates_external_id = external_id)"),
        ),
    ),
    references=(SERVICE_EXISTS, SameSourceDeployment("remediates_external_id", in_file=True)),
)

CHANGES = Kind(
    name="changes",
    table="changes",
    key=("external_id",),
    summary=N_(
        "Pull/merge requests or commits. Leave deployment_external_id empty to let TechPulse "
        "find the deployment that shipped each change (by commit, then by time)."
    ),
    columns=(
        _id("external_id", True, "pr-311", N_("the change's id, e.g. the pull request number")),
        SERVICE,
        Column("commit_sha", "sha", False, "9fceb02d0ae598e95dc970b74767f19372d61af8", N_("merge")),
        _ts("first_commit_at", False, "2026-01-12T16:20:00Z", N_("first commit: lead time start")),
        _ts("opened_at", False, "2026-01-13T08:00:00Z", N_("pull/merge request opened")),
        _ts("merged_at", False, "2026-01-14T09:30:00Z", N_("merged into the main branch")),
        _id(
            "deployment_external_id",
            False,
            "",
            N_("the deployment (same source, already imported) that shipped it"),
        ),
        Column("url", "url", False, "https://git.example.com/acme/checkout/pull/311", N_("link")),
    ),
    rules=(
        Order("first_commit_at", "merged_at", N_("merged before its first commit")),
        Order("opened_at", "merged_at", N_("merged before it was opened")),
    ),
    references=(SERVICE_EXISTS, SameSourceDeployment("deployment_external_id")),
    extras={
        "deployment_source": "CASE WHEN deployment_external_id IS NOT NULL THEN {source} END",
        "link_method": "CASE WHEN deployment_external_id IS NOT NULL THEN 'source' END",
    },
    compare={
        # the linker fills deployment_* for rows the file left open: not a change of the file
        ("deployment_external_id", "deployment_source", "link_method"): (
            "(coalesce(b.link_method = 'source', false) OR coalesce(t.link_method = 'source', "
            "false)) AND (t.deployment_external_id IS DISTINCT FROM b.deployment_external_id "
            "OR t.deployment_source IS DISTINCT FROM b.deployment_source "
            "OR t.link_method IS DISTINCT FROM b.link_method)"
        ),
    },
)

INCIDENTS = Kind(
    name="incidents",
    table="incidents",
    key=("external_id",),
    summary=N_(
        "Production incidents. The cause is caused_by_deployment_external_id if given, else "
        "the deployment or commit named in deployment_ref, else the last production "
        "deployment of the service within the linking window."
    ),
    columns=(
        _id("external_id", True, "INC-88", N_("the incident's id in your tool")),
        SERVICE,
        Column(
            "severity",
            "choice",
            False,
            "SEV2",
            N_(
                "SEV1 (worst) to SEV4; P1-P5, critical/high/medium/low are converted; empty or "
                "missing when your tool has none"
            ),
            normalise=_severity,
            choices=(*records.SEVERITIES, UNKNOWN_SEVERITY),
            default=UNKNOWN_SEVERITY,
        ),
        Column("title", "text", False, "Checkout errors after deploy", N_("short description")),
        _ts("started_at", True, "2026-01-14T10:20:00Z", N_("impact start (or alert time)")),
        _ts("acknowledged_at", False, "2026-01-14T10:24:00Z", N_("first acknowledgement")),
        _ts("resolved_at", False, "2026-01-14T11:05:00Z", N_("service restored; empty while open")),
        _id(
            "caused_by_deployment_external_id",
            False,
            "",
            N_("the deployment (same source, already imported) that caused it"),
        ),
        _id("deployment_ref", False, "d-1042", N_("a deployment id or commit SHA (7+) it names")),
        Column("url", "url", False, "https://status.example.com/incidents/88", N_("link")),
    ),
    rules=(
        Order("started_at", "resolved_at", N_("resolved before started")),
        Order("started_at", "acknowledged_at", N_("acknowledged before started")),
        Order("acknowledged_at", "resolved_at", N_("resolved before acknowledged")),
    ),
    references=(SERVICE_EXISTS, SameSourceDeployment("caused_by_deployment_external_id")),
    extras={
        "caused_by_deployment_source": (
            "CASE WHEN caused_by_deployment_external_id IS NOT NULL THEN {source} END"
        ),
        "link_method": (
            "CASE WHEN caused_by_deployment_external_id IS NOT NULL THEN 'source' "
            "WHEN deployment_ref IS NOT NULL THEN 'reference' ELSE 'window' END"
        ),
    },
    compare={
        # the linker fills caused_by_* for 'reference' and 'window' rows
        ("caused_by_deployment_external_id", "caused_by_deployment_source"): (
            "(b.link_method = 'source' OR t.link_method = 'source') AND "
            "(t.caused_by_deployment_external_id IS DISTINCT FROM "
            "b.caused_by_deployment_external_id OR t.caused_by_deployment_source IS DISTINCT "
            "FROM b.caused_by_deployment_source)"
        ),
    },
)

INVESTMENTS = Kind(
    name="investments",
    table="investments",
    key=("external_id",),
    summary=N_("The investment ledger for ROI: what was spent on tooling, platform, training."),
    columns=(
        _id("external_id", True, "inv-2026-014", N_("ledger entry id")),
        Column("spent_on", "date", True, "2026-01-31", N_("booking date")),
        _id("category", True, "tooling", N_("tooling, platform, training, consulting, …")),
        Column("amount", "amount", True, "12500.00", N_("amount spent, in currency")),
        Column(
            "currency",
            "choice",
            True,
            "EUR",
            N_("ISO 4217 code (3 letters)"),
            normalise=_currency,
        ),
        Column("description", "text", False, "CI runners, January", N_("what was bought")),
        _id("team_id", False, "payments", N_("team that benefits (teams); empty = organisation")),
    ),
    references=(Exists("team_id", "teams", "team_id", "team"),),
)

SCOPES = {"organisation": "organisation", "organization": "organisation", "org": "organisation"}
SCOPES |= {"team": "team", "service": "service"}
ANNOTATION_KINDS = ("adoption", "incident", "organisation", "release")

ANNOTATIONS = Kind(
    name="annotations",
    table="annotations",
    key=("annotation_id",),
    has_source=False,
    summary=N_("Dated events shown as markers on charts. The key is annotation_id alone."),
    columns=(
        _id("annotation_id", True, "adopt-trunk-based", N_("annotation id (the row's key)")),
        Column("occurred_on", "date", True, "2026-01-05", N_("when it happened")),
        Column(
            "scope",
            "choice",
            True,
            "team",
            N_("what it applies to"),
            normalise=_choice("scope", SCOPES),
            choices=("organisation", "team", "service"),
        ),
        _id("scope_id", False, "payments", N_("team_id or service_id; empty for organisation")),
        Column(
            "kind",
            "choice",
            True,
            "adoption",
            N_("what kind of event"),
            normalise=_choice(
                "kind", {k: k for k in ANNOTATION_KINDS} | {"organization": "organisation"}
            ),
            choices=ANNOTATION_KINDS,
        ),
        Column(
            "text", "text", True, "Payments adopts trunk-based development", N_("what happened")
        ),
    ),
    rules=(
        Fails(
            "scope IN ('team', 'service') AND scope_id IS NULL",
            N_("scope_id is missing: scope team or service needs a team_id or service_id"),
        ),
        Fails(
            "scope = 'organisation' AND scope_id IS NOT NULL",
            N_("scope_id must be empty when scope is organisation"),
        ),
    ),
    references=(
        Exists("scope_id", "teams", "team_id", "team", when="scope = 'team'"),
        Exists("scope_id", "services", "service_id", "service", when="scope = 'service'"),
    ),
)

_GATES = {"ok": "OK", "passed": "OK", "warn": "WARN", "error": "ERROR", "failed": "ERROR"}
_RATINGS = {letter.lower(): letter for letter in "ABCDE"}

QUALITY = Kind(
    name="quality",
    table="quality_snapshots",
    key=("project_key", "analysed_at"),
    summary=N_(
        "Code-quality snapshots (SonarQube-like). Coverage is kept as counts so it can be "
        "weighted; the key is project_key with analysed_at."
    ),
    columns=(
        _id("project_key", True, "acme:checkout-api", N_("project key in the analysis tool")),
        SERVICE,
        _ts("analysed_at", True, "2026-01-14T12:00:00Z", N_("analysis date")),
        _count("lines_to_cover", "5400", N_("executable lines")),
        _count("uncovered_lines", "1100", N_("executable lines not run by tests")),
        _count("conditions_to_cover", "900", N_("branch outcomes to cover")),
        _count("uncovered_conditions", "300", N_("branch outcomes not covered")),
        _count("new_lines_to_cover", "240", N_("executable lines in new code")),
        _count("new_uncovered_lines", "30", N_("new-code lines not covered")),
        _count("technical_debt_minutes", "2880", N_("remediation effort; 480 minutes = 1 day")),
        _count("bugs", "3", N_("open bugs"), INT32_MAX),
        _count("vulnerabilities", "0", N_("open vulnerabilities"), INT32_MAX),
        _count("code_smells", "120", N_("open code smells"), INT32_MAX),
        _percent("duplicated_lines_density", "2.5", N_("duplicated lines, percent")),
        Column(
            "quality_gate_status",
            "choice",
            False,
            "OK",
            N_("quality gate"),
            normalise=_choice("quality_gate_status", _GATES),
            choices=("OK", "WARN", "ERROR"),
        ),
        _percent("coverage", "79.6", N_("coverage as the tool reports it, percent")),
        _percent("new_coverage", "87.5", N_("coverage of new code as the tool reports it")),
        Column(
            "reliability_rating",
            "choice",
            False,
            "B",
            N_("A (best) to E"),
            normalise=_choice("reliability_rating", _RATINGS),
            choices=tuple("ABCDE"),
        ),
        Column(
            "security_rating",
            "choice",
            False,
            "A",
            N_("A (best) to E"),
            normalise=_choice("security_rating", _RATINGS),
            choices=tuple("ABCDE"),
        ),
    ),
    rules=(
        AtMost("uncovered_lines", "lines_to_cover"),
        AtMost("uncovered_conditions", "conditions_to_cover"),
        AtMost("new_uncovered_lines", "new_lines_to_cover"),
    ),
    references=(SERVICE_EXISTS,),
)

DEPLOYMENT_COMMITS = Kind(
    name="deployment_commits",
    table="deployment_commits",
    key=("deployment_external_id", "commit_sha"),
    summary=N_(
        "The commits each deployment shipped (new since the previous deployment of its service "
        "and environment), so imported changes link by commit instead of by time. Each row is "
        "its own key: a re-import adds what is new and changes nothing else."
    ),
    columns=(
        _id(
            "deployment_external_id",
            True,
            "d-1042",
            N_("external_id of a deployment of the same source"),
        ),
        Column(
            "commit_sha",
            "sha",
            True,
            "9fceb02d0ae598e95dc970b74767f19372d61af8",
            N_("a commit it shipped"),
        ),
    ),
    references=(SameSourceDeployment("deployment_external_id"),),
)

KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        DEPLOYMENTS,
        DEPLOYMENT_COMMITS,
        CHANGES,
        INCIDENTS,
        INVESTMENTS,
        ANNOTATIONS,
        QUALITY,
    )
}
