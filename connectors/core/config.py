"""The sources file (TOML) and the secrets it refers to.

The file lists sources under ``[sources.<name>]``; see ``config/sources.example.toml`` and
docs/connectors.md. It never holds a secret: a source names where its token lives, either an
environment variable (``token_env``) or a dotted key of ``.streamlit/secrets.toml``
(``token_secret``). The environment wins when both are set. Resolved tokens are registered
with :mod:`connectors.core.redact` so they cannot leak into output, logs or the warehouse.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from connectors.core import redact
from connectors.core.errors import ConfigError
from connectors.core.http.client import HttpSettings
from connectors.core.linking import LinkSettings
from connectors.core.schedule import Schedule, parse_duration, parse_schedule
from i18n import _

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CONFIG = REPO_ROOT / "config" / "sources.toml"
EXAMPLE_CONFIG = REPO_ROOT / "config" / "sources.example.toml"
DEFAULT_SECRETS = REPO_ROOT / ".streamlit" / "secrets.toml"
CONFIG_ENV = "TECHPULSE_SOURCES"
SECRETS_ENV = "TECHPULSE_SECRETS"

AUTH_MODES = ("none", "bearer", "basic")
COMMON_KEYS = frozenset(
    {
        "type",
        "url",
        "auth",
        "username",
        "token_env",
        "token_secret",
        "concurrency",
        "enabled",
        "every",
        "cron",
    }
)
_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")
_SETTINGS = {
    "connect_timeout": "connect_timeout",
    "read_timeout": "read_timeout",
    "max_attempts": "max_attempts",
    "backoff_seconds": "backoff_seconds",
    "backoff_max_seconds": "backoff_max_seconds",
    "max_retry_after_seconds": "max_retry_after_seconds",
}


@dataclass(frozen=True, repr=False)
class Secret:
    """A resolved secret; printing it shows where it came from, never its value."""

    value: str
    origin: str

    def __repr__(self) -> str:
        return f"Secret(from {self.origin})"

    __str__ = __repr__


@dataclass(frozen=True)
class SourceConfig:
    """One ``[sources.<name>]`` table: the common keys parsed, the rest in ``options``."""

    name: str
    type: str
    url: str
    auth: str = "none"
    username: str | None = None
    token: Secret | None = None
    token_origin: str = ""
    concurrency: int = 8
    enabled: bool = True
    options: Mapping[str, Any] = field(default_factory=dict)
    schedule: Schedule | None = None  # the worker's; None: [worker] every

    def require_token(self) -> Secret:
        """The token, or a ConfigError saying where it should have come from."""
        if self.token is None:
            raise ConfigError(
                _("no token for source '{name}': {value}").format(
                    name=self.name, value=self.token_origin or _("none configured")
                ),
                _(
                    "create a token and export it (or add it to {secrets}); see "
                    "[sources.{source}] in the sources file"
                ).format(secrets=DEFAULT_SECRETS.name, source=self.name),
            )
        return self.token


@dataclass(frozen=True)
class WorkerSettings:
    """``[worker]``: the default schedule, how often it says it is alive, how it backs off."""

    every: Schedule = field(default_factory=lambda: Schedule(every=timedelta(hours=1)))
    heartbeat: timedelta = timedelta(seconds=15)
    max_backoff: timedelta = timedelta(hours=6)
    warn_after_failures: int = 3
    maintenance: timedelta = timedelta(hours=6)  # DuckLake only: compact, expire snapshots
    keep_snapshots: timedelta = timedelta(hours=1)

    def schedule_of(self, source: SourceConfig) -> Schedule:
        return source.schedule or self.every


@dataclass(frozen=True)
class SyncConfig:
    """The whole sources file."""

    path: Path
    http: HttpSettings
    sources: tuple[SourceConfig, ...]
    linking: LinkSettings = field(default_factory=LinkSettings)
    worker: WorkerSettings = field(default_factory=WorkerSettings)

    def select(self, names: list[str] | None) -> list[SourceConfig]:
        """The enabled sources, or exactly ``names`` (in the file's order)."""
        if not names:
            return [s for s in self.sources if s.enabled]
        known = {s.name for s in self.sources}
        unknown = [n for n in names if n not in known]
        if unknown:
            raise ConfigError(
                _("unknown source {value} in {path}").format(
                    value=", ".join(unknown), path=self.path
                ),
                _("choose from: {value}").format(
                    value=", ".join(sorted(known)) or "(none configured)"
                ),
            )
        return [s for s in self.sources if s.name in names]


def config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The sources file: the argument, else $TECHPULSE_SOURCES, else config/sources.toml."""
    return Path(explicit or os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG).expanduser()


def secrets_path() -> Path:
    return Path(os.environ.get(SECRETS_ENV) or DEFAULT_SECRETS).expanduser()


def _secrets_label() -> str:
    """The secrets file as shown in messages: relative to the repository when inside it."""
    path = secrets_path()
    try:
        return str(path.resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def _read_toml(path: Path, what: str) -> dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            _("{what} {path} is not valid TOML ({exc})").format(what=what, path=path, exc=exc),
            _("fix the syntax"),
        ) from None
    except OSError as exc:
        raise ConfigError(
            _("cannot read {what} {path} ({strerror})").format(
                what=what, path=path, strerror=exc.strerror
            ),
            _("check the path and permissions"),
        ) from None


def load_config(path: str | os.PathLike[str] | None = None) -> SyncConfig:
    """Parse and validate the sources file; tokens are resolved but never printed."""
    target = config_path(path)
    if not target.exists():
        raise ConfigError(  # the first thing a new organisation reads: in its language
            _("no sources file at {path}").format(path=target),
            _("copy {example} to {config} and edit it, or pass --config PATH").format(
                example=EXAMPLE_CONFIG.relative_to(REPO_ROOT),
                config=DEFAULT_CONFIG.relative_to(REPO_ROOT),
            ),
        )
    data = _read_toml(target, "sources file")
    unknown = set(data) - {"settings", "sources", "linking", "worker"}
    if unknown:
        raise ConfigError(
            _("unknown top-level table {value} in {target}").format(
                value=", ".join(sorted(unknown)), target=target
            ),
            _("only [settings], [linking], [worker] and [sources.<name>] are allowed"),
        )
    http = _settings(data.get("settings", {}), target)
    linking = _linking(data.get("linking", {}), target)
    sources_table = data.get("sources", {})
    if not isinstance(sources_table, dict):
        raise ConfigError(
            _("[sources] in {target} must be a table").format(target=target),
            _("see the example file"),
        )
    secrets = _load_secrets()
    sources = tuple(_source(name, table, target, secrets) for name, table in sources_table.items())
    worker = _worker(data.get("worker", {}), target)
    return SyncConfig(path=target, http=http, sources=sources, linking=linking, worker=worker)


_WORKER_KEYS = (
    "every",
    "cron",
    "heartbeat",
    "max_backoff",
    "warn_after_failures",
    "maintenance",
    "keep_snapshots",
)


def _worker(table: Any, path: Path) -> WorkerSettings:
    """``[worker]``: defaults documented in docs/worker.md."""
    where = f"[worker] in {path}"
    if not isinstance(table, dict):
        raise ConfigError(
            _("{where} must be a table").format(where=where), _("see the example file")
        )
    unknown = set(table) - set(_WORKER_KEYS)
    if unknown:
        raise ConfigError(
            _("unknown key {value} in {where}").format(
                value=", ".join(sorted(unknown)), where=where
            ),
            _("known keys: {value}").format(value=", ".join(_WORKER_KEYS)),
        )
    defaults = WorkerSettings()
    every = parse_schedule(table.get("every"), table.get("cron"), where) or defaults.every
    heartbeat = parse_duration(str(table.get("heartbeat", "15s")), f"{where} heartbeat")
    backoff = parse_duration(str(table.get("max_backoff", "6h")), f"{where} max_backoff")
    failures = table.get("warn_after_failures", defaults.warn_after_failures)
    if isinstance(failures, bool) or not isinstance(failures, int) or not 1 <= failures <= 100:
        raise ConfigError(
            _("{where}: warn_after_failures must be 1-100").format(where=where), _("fix the value")
        )
    upkeep = parse_duration(str(table.get("maintenance", "6h")), f"{where} maintenance")
    keep = parse_duration(str(table.get("keep_snapshots", "1h")), f"{where} keep_snapshots")
    return WorkerSettings(every, heartbeat, backoff, failures, upkeep, keep)


def _linking(table: Any, path: Path) -> LinkSettings:
    """``[linking]``: which environments are production, and the incident window."""
    if not isinstance(table, dict):
        raise ConfigError(
            _("[linking] in {path} must be a table").format(path=path), _("see the example file")
        )
    unknown = set(table) - {"production_environments", "incident_window_hours"}
    if unknown:
        raise ConfigError(
            _("unknown key {value} in [linking] of {path}").format(
                value=", ".join(sorted(unknown)), path=path
            ),
            _("known keys: production_environments, incident_window_hours"),
        )
    defaults = LinkSettings()
    environments = table.get("production_environments", list(defaults.production_environments))
    if (
        not isinstance(environments, list)
        or not environments
        or not all(isinstance(e, str) and e.strip() for e in environments)
    ):
        raise ConfigError(
            _("[linking] production_environments in {path} must be a list of names").format(
                path=path
            ),
            _('e.g. production_environments = ["production", "prod"]'),
        )
    window = table.get("incident_window_hours", defaults.incident_window_hours)
    if isinstance(window, bool) or not isinstance(window, int | float) or not 0 <= window <= 720:
        raise ConfigError(
            _("[linking] incident_window_hours in {path} must be a number of hours, 0-720").format(
                path=path
            ),
            _("0 turns linking by time window off"),
        )
    # stored environments are lower case (connectors.core.records.environment_name); so are these
    names = tuple(dict.fromkeys(e.strip().lower() for e in environments))
    return LinkSettings(names, float(window))


def _settings(table: Any, path: Path) -> HttpSettings:
    if not isinstance(table, dict):
        raise ConfigError(
            _("[settings] in {path} must be a table").format(path=path), _("see the example file")
        )
    unknown = set(table) - set(_SETTINGS)
    if unknown:
        raise ConfigError(
            _("unknown setting {value} in {path}").format(
                value=", ".join(sorted(unknown)), path=path
            ),
            _("known settings: {value}").format(value=", ".join(_SETTINGS)),
        )
    values: dict[str, Any] = {}
    for key, attr in _SETTINGS.items():
        if key in table:
            value = table[key]
            if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
                raise ConfigError(
                    _("[settings] {key} in {path} must be a positive number").format(
                        key=key, path=path
                    ),
                    _("fix the value"),
                )
            values[attr] = int(value) if key == "max_attempts" else float(value)
    return HttpSettings(**values)


def _load_secrets() -> dict[str, Any]:
    path = secrets_path()
    return _read_toml(path, "secrets file") if path.exists() else {}


def _lookup(secrets: Mapping[str, Any], dotted: str) -> str | None:
    node: Any = secrets
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node if isinstance(node, str) and node else None


def _resolve_token(table: Mapping[str, Any], secrets: Mapping[str, Any]) -> Secret | None:
    env_name = table.get("token_env")
    secret_key = table.get("token_secret")
    if env_name:
        value = os.environ.get(str(env_name))
        if value:
            redact.register(value)
            return Secret(value, f"${env_name}")
    if secret_key:
        value = _lookup(secrets, str(secret_key))
        if value:
            redact.register(value)
            return Secret(value, _secret_place(str(secret_key)))
    return None


def _origin(table: Mapping[str, Any]) -> str:
    places = []
    if table.get("token_env"):
        places.append(f"${table['token_env']}")
    if table.get("token_secret"):
        places.append(_secret_place(str(table["token_secret"])))
    return _(" or ").join(places)


def _secret_place(key: str) -> str:
    """Where a token_secret is looked up: ".streamlit/secrets.toml key github.token"."""
    return _("{file} key {key}").format(file=_secrets_label(), key=key)


def _source(name: str, table: Any, path: Path, secrets: Mapping[str, Any]) -> SourceConfig:
    where = _("[sources.{name}] in {path}").format(name=name, path=path)
    if not _NAME.match(name):
        raise ConfigError(
            _("source name '{name}' in {path} is not a lower-case identifier").format(
                name=name, path=path
            ),
            _("use letters, digits, - and _, starting with a letter"),
        )
    if not isinstance(table, dict):
        raise ConfigError(
            _("{where} must be a table").format(where=where), _("see the example file")
        )
    kind = table.get("type")
    if not isinstance(kind, str) or not kind:
        raise ConfigError(
            _("{where} has no type").format(where=where),
            _('add type = "prometheus" or "sonarqube"'),
        )
    auth = table.get("auth", "none")
    if auth not in AUTH_MODES:
        raise ConfigError(
            _("{where}: auth = {auth}").format(where=where, auth=repr(auth)),
            _("use one of {value}").format(value=", ".join(AUTH_MODES)),
        )
    for key in ("token_env", "token_secret", "url", "username"):
        if key in table and not isinstance(table[key], str):
            raise ConfigError(
                _("{where}: {key} must be a string").format(where=where, key=key),
                _("quote the value"),
            )
    if "token" in table or "password" in table:
        raise ConfigError(
            _("{where} contains a secret value").format(where=where),
            _(
                "remove it: name an environment variable with token_env, or a {name} "
                "key with token_secret"
            ).format(name=DEFAULT_SECRETS.name),
        )
    if auth != "none" and not (table.get("token_env") or table.get("token_secret")):
        raise ConfigError(
            _("{where} uses auth = {auth} but says nowhere where the token is").format(
                where=where, auth=repr(auth)
            ),
            _('add token_env = "NAME_OF_ENV_VAR" and/or token_secret = "section.key"'),
        )
    concurrency = table.get("concurrency", 8)
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ConfigError(
            _("{where}: concurrency must be 1..64").format(where=where), _("fix the value")
        )
    if concurrency > 64:
        raise ConfigError(
            _("{where}: concurrency must be 1..64").format(where=where), _("fix the value")
        )
    enabled = table.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ConfigError(
            _("{where}: enabled must be true or false").format(where=where), _("fix the value")
        )
    options = {k: v for k, v in table.items() if k not in COMMON_KEYS}
    return SourceConfig(
        name=name,
        type=kind,
        url=str(table.get("url", "")).rstrip("/"),
        auth=auth,
        username=table.get("username"),
        token=_resolve_token(table, secrets) if auth != "none" else None,
        token_origin=_origin(table),
        concurrency=concurrency,
        enabled=enabled,
        options=options,
        schedule=parse_schedule(table.get("every"), table.get("cron"), where),
    )


def check_options(source: SourceConfig, allowed: frozenset[str]) -> None:
    """Reject keys a connector does not know (typos would otherwise be silently ignored)."""
    unknown = set(source.options) - allowed
    if unknown:
        raise ConfigError(
            _("[sources.{name}] has unknown key {value}").format(
                name=source.name, value=", ".join(sorted(unknown))
            ),
            _("known keys for type {type}: {value}").format(
                type=source.type, value=", ".join(sorted(allowed | COMMON_KEYS))
            ),
        )
