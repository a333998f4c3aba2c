"""Targets from config/targets.toml and the one place where RAG status is decided."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from i18n import _
from metrics.core import tomlfile
from metrics.core.definitions import BY_NAME, Kpi
from metrics.core.formatting import unit_text
from metrics.kpis import dora

DEFAULT_TARGETS = Path(__file__).resolve().parents[2] / "config" / "targets.toml"
ENV_VAR = "TECHPULSE_TARGETS"

GREEN, AMBER, RED, NO_DATA, TRACKED = "green", "amber", "red", "no data", "tracked"


class TargetsError(ValueError):
    """The targets file is missing or malformed; the message names file, line, key and fix."""


@dataclass(frozen=True)
class Target:
    kpi: str
    target: float | None = None
    warn: float | None = None
    tier: str | None = None


@dataclass(frozen=True)
class Targets:
    benchmark_year: int
    defaults: dict[str, Target]
    teams: dict[str, dict[str, Target]]
    services: dict[str, dict[str, Target]]

    def for_scope(self, kpi: str, team: str | None = None, service: str | None = None) -> Target:
        """The service override, else the team override, else the default."""
        if BY_NAME[kpi].target_kind == "none":
            return Target(kpi)
        if service and kpi in self.services.get(service, {}):
            return self.services[service][kpi]
        if team and kpi in self.teams.get(team, {}):
            return self.teams[team][kpi]
        return self.defaults[kpi]


def _target(kpi: Kpi, raw: Any, table: str) -> Target:
    """One KPI's target table; errors carry (message, table, key) for the line lookup."""
    if not isinstance(raw, dict):
        raise TargetsError(
            _("[{table}] must be a table of keys, e.g. target = 99.5").format(table=table),
            table,
            None,
        )
    allowed = {"tier"} if kpi.target_kind == "dora" else {"target", "warn"}
    unknown = set(raw) - allowed
    if unknown:
        key = sorted(unknown)[0]
        raise TargetsError(
            _("[{table}] has unknown key {key}; {kpi} takes {allowed}").format(
                table=table, key=repr(key), kpi=kpi.name, allowed=", ".join(sorted(allowed))
            ),
            table,
            key,
        )
    if kpi.target_kind == "dora":
        tier = raw.get("tier")
        if tier not in dora.TIERS:
            raise TargetsError(
                _("[{table}] tier must be one of {tiers}, got {tier}").format(
                    table=table, tiers=", ".join(dora.TIERS), tier=repr(tier)
                ),
                table,
                "tier",
            )
        return Target(kpi.name, tier=tier)
    values = {}
    for key in ("target", "warn"):
        value = raw.get(key)
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise TargetsError(
                _("[{table}] {key} must be a number ({unit}), got {value}").format(
                    table=table, key=key, unit=kpi.unit, value=repr(value)
                ),
                table,
                key,
            )
        values[key] = float(value)
    if kpi.direction == "higher" and values["warn"] > values["target"]:
        raise TargetsError(
            _("[{table}] warn must be at or below target (higher is better)").format(table=table),
            table,
            "warn",
        )
    if kpi.direction == "lower" and values["warn"] < values["target"]:
        raise TargetsError(
            _("[{table}] warn must be at or above target (lower is better)").format(table=table),
            table,
            "warn",
        )
    return Target(kpi.name, target=values["target"], warn=values["warn"])


def _overrides(raw: Any, kind: str) -> dict[str, dict[str, Target]]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise TargetsError(
            _("[{kind}] must be a table of {kind} ids").format(kind=kind), kind, None
        )
    result: dict[str, dict[str, Target]] = {}
    for scope_id, kpis in raw.items():
        if not isinstance(kpis, dict):
            raise TargetsError(
                _("[{kind}.{scope}] must hold KPI tables").format(kind=kind, scope=scope_id),
                kind,
                scope_id,
            )
        for name, body in kpis.items():
            table = f"{kind}.{scope_id}.{name}"
            if name not in BY_NAME:
                raise TargetsError(
                    _("[{table}]: unknown KPI {name}; known: {known}").format(
                        table=table, name=repr(name), known=", ".join(BY_NAME)
                    ),
                    table,
                    None,
                )
            if BY_NAME[name].target_kind == "none":
                raise TargetsError(
                    _("[{table}]: {name} is tracked without a target").format(
                        table=table, name=name
                    ),
                    table,
                    None,
                )
            result.setdefault(scope_id, {})[name] = _target(BY_NAME[name], body, table)
    return result


def load_targets(path: str | os.PathLike[str] | None = None) -> Targets:
    """Parse and validate the targets file ($TECHPULSE_TARGETS or config/targets.toml)."""
    chosen = Path(path or os.environ.get(ENV_VAR) or DEFAULT_TARGETS)
    restore = _("restore config/targets.toml or set {variable}").format(variable=ENV_VAR)
    return tomlfile.load(chosen, _("targets file"), restore, _parse, TargetsError)


def _parse(raw: dict[str, Any]) -> Targets:
    """Validate the parsed TOML; errors carry (message, table, key) for the line lookup."""
    unknown_tables = set(raw) - {"dora", "kpi", "team", "service"}
    if unknown_tables:
        name = sorted(unknown_tables)[0]
        raise TargetsError(
            _("unknown table [{name}]; allowed: [dora], [kpi.*], [team.*], [service.*]").format(
                name=name
            ),
            name,
            None,
        )
    year = raw.get("dora", {}).get("benchmark_year", 2023)
    if year not in dora.BENCHMARKS:
        raise TargetsError(
            _("[dora] benchmark_year must be one of {years}, got {year}").format(
                years=sorted(dora.BENCHMARKS), year=repr(year)
            ),
            "dora",
            "benchmark_year",
        )
    kpis = raw.get("kpi", {})
    for name in kpis:
        if name not in BY_NAME:
            raise TargetsError(
                _("[kpi.{name}]: unknown KPI {quoted}; known: {known}").format(
                    name=name, quoted=repr(name), known=", ".join(BY_NAME)
                ),
                f"kpi.{name}",
                None,
            )
    defaults = {}
    for kpi in BY_NAME.values():
        if kpi.target_kind == "none":
            if kpi.name in kpis:
                raise TargetsError(
                    _("[kpi.{name}]: {name} is tracked without a target; remove the table").format(
                        name=kpi.name
                    ),
                    f"kpi.{kpi.name}",
                    None,
                )
            continue
        if kpi.name not in kpis:
            raise TargetsError(
                _("[kpi.{name}] is missing; add its target").format(name=kpi.name), "kpi", None
            )
        defaults[kpi.name] = _target(kpi, kpis[kpi.name], f"kpi.{kpi.name}")
    return Targets(
        benchmark_year=int(year),
        defaults=defaults,
        teams=_overrides(raw.get("team"), "team"),
        services=_overrides(raw.get("service"), "service"),
    )


def status(kpi: Kpi, value: float | None, target: Target, year: int) -> tuple[str, str | None]:
    """(RAG status, DORA tier or None) for a value against its target."""
    if value is None:
        return NO_DATA, None
    if kpi.target_kind == "none":
        return TRACKED, None
    if kpi.target_kind == "dora":
        reached = dora.tier(kpi.name, value, year)
        assert reached is not None and target.tier is not None
        gap = dora.tier_rank(reached) - dora.tier_rank(target.tier)
        return (GREEN if gap <= 0 else AMBER if gap == 1 else RED), reached
    assert target.target is not None and target.warn is not None
    if kpi.direction == "higher":
        rag = GREEN if value >= target.target else AMBER if value >= target.warn else RED
    else:
        rag = GREEN if value <= target.target else AMBER if value <= target.warn else RED
    return rag, None


def describe(kpi: Kpi, target: Target, year: int) -> str:
    """Human text for a target, e.g. '≥ 99.5 %' or 'high tier or better (DORA 2023)'."""
    if kpi.target_kind == "none":
        return _("none, tracked only")
    if kpi.target_kind == "dora":
        return _("{tier} tier or better (DORA {year})").format(
            tier=dora.tier_name(str(target.tier)), year=year
        )
    sign = "≥" if kpi.direction == "higher" else "≤"
    unit = unit_text(kpi.unit) if kpi.unit != "count" else ""
    return f"{sign} {target.target:g} {unit}".rstrip()
