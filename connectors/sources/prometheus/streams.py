"""Prometheus (and Prometheus-compatible engines) → ``service_level_samples``.

For every service with a selector (``services.prometheus_selector``, or a
``[[sources.<name>.services]]`` entry) the connector runs range queries through
``prometheus-api-client`` on the shared :class:`~connectors.core.http.client.HttpClient`, and
yields one row per service, environment and hour.

**Which hour a sample lands in.** Queries are ``increase(x[$window])`` (window = step, 1 h by
default) evaluated at whole multiples of the step since the Unix epoch (UTC). The value
evaluated at ``T`` covers ``(T − step, T]`` and is stored with ``bucket_start = T − step``:
the sample evaluated at 10:00 is the bucket 09:00–10:00. Only buckets that ended at least
``settle_minutes`` (default 5) before ``--until``/now are fetched, so late scrapes are in.
(Prometheus 2.x range selectors include a sample lying exactly on ``T − step`` in both
neighbouring windows; scrapes are rarely aligned to the second, and increase() is immune.)

**Incremental.** Cursor per service and environment (``service_level_samples/<id>/<env>``) =
end of the last bucket fetched. The next run starts there; with no new complete bucket it
sends no query at all. ``--since`` re-fetches from that date; a new service starts at
midnight UTC ``lookback_days`` back, so its first day is whole. The fetched window of each
service replaces what the warehouse had for it (delete-then-insert), so re-runs never
duplicate rows.

**Query size.** Windows are split so that no query asks for more than
``max_points_per_query`` (default 11,000, Prometheus's limit) points per series. Start and end
are always explicit. Nothing here is Prometheus-specific beyond the HTTP API, so Thanos,
Mimir and VictoriaMetrics work unchanged (``[sources.<name>.headers]`` adds e.g. Mimir's
``X-Scope-OrgID``).

Latency buckets are converted by :mod:`connectors.sources.prometheus.histogram`; see it for
bounds and rounding.
"""

from __future__ import annotations

import math
import re
import string
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from prometheus_api_client.exceptions import PrometheusApiClientException
from prometheus_api_client.prometheus_connect import PrometheusConnect
from urllib3.util.retry import Retry

from connectors.core.base import (
    CursorUpdate,
    Found,
    Record,
    ReplaceWindow,
    Row,
    SourceContext,
    Stream,
)
from connectors.core.config import SourceConfig, check_options
from connectors.core.errors import (
    ConfigError,
    ConnectorError,
    HttpStatusError,
    MalformedResponseError,
    UnreachableError,
)
from connectors.core.http.client import ClientPool, HttpClient
from connectors.core.http.clients import client_pool, token_auth
from connectors.core.http.pool import bounded_map
from connectors.sources.prometheus.histogram import COLUMNS, MODES, parse_le, to_warehouse_buckets
from i18n import _

STREAM = Stream(
    name="service_level_samples",
    table="service_level_samples",
    primary_key=("service_id", "environment", "bucket_start"),
    cursor_field="bucket_start",
)
MAX_POINTS = 11_000

DEFAULT_QUERIES: dict[str, str] = {
    "requests": "sum(increase(http_requests_total{$matchers}[$window]))",
    "errors": 'sum(increase(http_requests_total{$matchers,code=~"5.."}[$window]))',
    "latency": "sum by (le) (increase(http_request_duration_seconds_bucket{$matchers}[$window]))",
    "probes_total": "sum(count_over_time(up{$matchers}[$window]))",
    "probes_ok": "sum(sum_over_time(up{$matchers}[$window]))",
    "cpu": "avg(rate(process_cpu_seconds_total{$matchers}[$window])) / $cpu_cores",
    "memory": (
        "avg(avg_over_time(process_resident_memory_bytes{$matchers}[$window]))"
        " / $memory_limit_bytes"
    ),
}
QUERY_NAMES = tuple(DEFAULT_QUERIES)
OPTIONS = frozenset(
    {
        "step",
        "lookback_days",
        "settle_minutes",
        "max_points_per_query",
        "latency_bounds",
        "latency_unit",
        "environment",
        "cpu_cores",
        "memory_limit_bytes",
        "queries",
        "services",
        "headers",
    }
)
SERVICE_KEYS = frozenset(
    {
        "service_id",
        "environment",
        "selector",
        "queries",
        "cpu_cores",
        "memory_limit_bytes",
        "latency_unit",
        "latency_bounds",
    }
)
UNITS = {"seconds": 1.0, "milliseconds": 0.001}
_DURATION = re.compile(r"^(\d+)([smhd]?)$")
_SELECTOR = re.compile(r"^\s*\{(?P<inner>.*)\}\s*$", re.DOTALL)


def parse_step(value: object) -> int:
    """A step such as ``"1h"``, ``"30m"`` or ``3600`` in seconds; must divide a day."""
    match = _DURATION.match(str(value).strip())
    if not match:
        raise ConfigError(
            _("step = {value} is not a duration").format(value=repr(value)),
            _('use e.g. "1h", "30m", "900s"'),
        )
    seconds = int(match[1]) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[match[2]]
    if seconds < 60 or 86400 % seconds:
        raise ConfigError(
            _("step = {value} ({seconds} s)").format(value=repr(value), seconds=seconds),
            _("use at least 60 s and a divisor of a day (e.g. 5m, 15m, 1h) so buckets align"),
        )
    return seconds


def matchers(selector: str) -> str:
    """``{job="x", env="prod"}`` → ``job="x", env="prod"`` (braces optional)."""
    match = _SELECTOR.match(selector)
    inner = (match["inner"] if match else selector).strip().rstrip(",").strip()
    if not inner or "{" in inner or "}" in inner:
        raise ConfigError(
            _("Prometheus selector {selector} is not a label selector").format(
                selector=repr(selector)
            ),
            _('write it as {job="checkout-api"} (labels only, no metric name)'),
        )
    return inner


@dataclass(frozen=True)
class Target:
    """One service and environment to query, with its fully resolved queries."""

    service_id: str
    environment: str
    matchers: str
    queries: Mapping[str, str]
    cpu_cores: float = 1.0
    memory_limit_bytes: float | None = None
    latency_unit: float = 1.0
    latency_bounds: str = "interpolate"

    def render(self, name: str, step: int) -> str | None:
        """The PromQL of query ``name``, or None when disabled or not configurable."""
        template = self.queries.get(name, "")
        if not template.strip():
            return None
        values: dict[str, object] = {
            "matchers": self.matchers,
            "window": f"{step}s",
            "cpu_cores": f"{self.cpu_cores:g}",
        }
        if self.memory_limit_bytes is not None:
            values["memory_limit_bytes"] = f"{self.memory_limit_bytes:g}"
        elif "$memory_limit_bytes" in template:
            return None  # no limit known: memory utilisation cannot be computed
        return string.Template(template).safe_substitute(values)


@dataclass(frozen=True)
class Options:
    step: int = 3600
    lookback_days: int = 30
    settle_minutes: int = 5
    max_points: int = MAX_POINTS
    environment: str = "production"
    defaults: Target = field(
        default_factory=lambda: Target("", "production", "", dict(DEFAULT_QUERIES))
    )
    services: tuple[Mapping[str, Any], ...] = ()
    headers: Mapping[str, str] = field(default_factory=dict)


def _number(where: str, key: str, value: object, *, minimum: float = 0) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or value <= minimum:
        raise ConfigError(
            _("{where}: {key} must be a number above {minimum}").format(
                where=where, key=key, minimum=f"{minimum:g}"
            ),
            _("fix the value"),
        )
    return float(value)


def _queries(where: str, table: object, base: Mapping[str, str]) -> dict[str, str]:
    if table is None:
        return dict(base)
    if not isinstance(table, dict):
        raise ConfigError(
            _("{where}: queries must be a table").format(where=where), _("see the example file")
        )
    unknown = set(table) - set(QUERY_NAMES)
    if unknown:
        raise ConfigError(
            _("{where}: unknown query {value}").format(
                where=where, value=", ".join(sorted(unknown))
            ),
            _("known queries: {value}").format(value=", ".join(QUERY_NAMES)),
        )
    if any(not isinstance(v, str) for v in table.values()):
        raise ConfigError(
            _("{where}: queries must be strings").format(where=where), _('use "" to disable one')
        )
    return {**base, **table}


def _target_settings(where: str, table: Mapping[str, Any], base: Target) -> Target:
    target = replace(base, queries=_queries(where, table.get("queries"), base.queries))
    if "cpu_cores" in table:
        target = replace(target, cpu_cores=_number(where, "cpu_cores", table["cpu_cores"]))
    if "memory_limit_bytes" in table:
        limit = _number(where, "memory_limit_bytes", table["memory_limit_bytes"])
        target = replace(target, memory_limit_bytes=limit)
    if "latency_unit" in table:
        unit = table["latency_unit"]
        if unit not in UNITS:
            raise ConfigError(
                _("{where}: latency_unit = {unit}").format(where=where, unit=repr(unit)),
                _("use one of {list}").format(list=list(UNITS)),
            )
        target = replace(target, latency_unit=UNITS[unit])
    if "latency_bounds" in table:
        mode = table["latency_bounds"]
        if mode not in MODES:
            raise ConfigError(
                _("{where}: latency_bounds = {mode}").format(where=where, mode=repr(mode)),
                _("use one of {modes}").format(modes=MODES),
            )
        target = replace(target, latency_bounds=mode)
    return target


def parse_options(source: SourceConfig) -> Options:
    check_options(source, OPTIONS)
    where = f"[sources.{source.name}]"
    table = source.options
    environment = table.get("environment", "production")
    if not isinstance(environment, str) or not environment.strip():
        raise ConfigError(
            _("{where}: environment must be a non-empty string").format(where=where),
            _("fix the value"),
        )
    environment = environment.strip().lower()  # as deployments store it
    defaults = _target_settings(where, table, Target("", environment, "", dict(DEFAULT_QUERIES)))
    services = table.get("services", [])
    if not isinstance(services, list) or not all(isinstance(s, dict) for s in services):
        raise ConfigError(
            _("{where}: services must be an array of tables").format(where=where),
            _("write each as [[sources.{name}.services]]").format(name=source.name),
        )
    headers = table.get("headers", {})
    if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
        raise ConfigError(
            _("{where}: headers must be a table of strings").format(where=where),
            _('e.g. [sources.{name}.headers] "X-Scope-OrgID" = "tenant-1" (Mimir)').format(
                name=source.name
            ),
        )
    if any(k.lower() == "authorization" for k in headers):
        raise ConfigError(
            _("{where}: headers must not carry credentials").format(where=where),
            _('use auth = "bearer" or "basic" with token_env / token_secret'),
        )
    for entry in services:
        unknown = set(entry) - SERVICE_KEYS
        if unknown or not isinstance(entry.get("service_id"), str):
            raise ConfigError(
                _("{where}: a services entry has unknown key(s) {sorted} or no service_id").format(
                    where=where, sorted=sorted(unknown)
                ),
                _("allowed keys: {value}").format(value=", ".join(sorted(SERVICE_KEYS))),
            )
    return Options(
        step=parse_step(table.get("step", "1h")),
        lookback_days=int(_number(where, "lookback_days", table.get("lookback_days", 30))),
        settle_minutes=int(
            _number(where, "settle_minutes", table.get("settle_minutes", 5), minimum=-1)
        ),
        max_points=int(
            _number(where, "max_points_per_query", table.get("max_points_per_query", MAX_POINTS))
        ),
        environment=environment,
        defaults=defaults,
        services=tuple(services),
        headers=dict(headers),
    )


def _floor(moment: datetime, step: int) -> int:
    seconds = int(moment.timestamp())
    return seconds - seconds % step


def _iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat()


def _epoch(text: str) -> int:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


@dataclass(frozen=True)
class Window:
    """Evaluation times ``first, first + step, …, last`` (inclusive) of one target."""

    first: int
    last: int
    step: int

    def chunks(self, max_points: int) -> Iterator[Window]:
        span = max(1, max_points) * self.step
        start = self.first
        while start <= self.last:
            end = min(self.last, start + span - self.step)
            yield Window(start, end, self.step)
            start = end + self.step


class PrometheusConnector:
    """Range queries per service → hourly ``service_level_samples`` rows."""

    streams: tuple[Stream, ...] = (STREAM,)

    def __init__(self, source: SourceConfig) -> None:
        if not source.url:
            raise ConfigError(
                _("[sources.{name}] has no url").format(name=source.name),
                _('add url = "http://prometheus:9090"'),
            )
        self.source = source
        self.name = source.name
        self.options = parse_options(source)
        self._local = threading.local()

    @classmethod
    def from_config(cls, source: SourceConfig) -> PrometheusConnector:
        return cls(source)

    # -- planning -------------------------------------------------------------------------

    def targets(self, ctx: SourceContext) -> list[Target]:
        base = self.options.defaults
        found: dict[tuple[str, str], Target] = {}
        for service in ctx.services:
            if service.prometheus_selector:
                key = (service.service_id, self.options.environment)
                found[key] = replace(
                    base,
                    service_id=service.service_id,
                    matchers=matchers(service.prometheus_selector),
                )
        known = {s.service_id: s for s in ctx.services}
        for index, entry in enumerate(self.options.services):
            service_id = str(entry["service_id"])
            environment = str(entry.get("environment", self.options.environment)).strip().lower()
            where = f"[sources.{self.name}.services] entry {index + 1} ({service_id})"
            if service_id in ctx.retired:
                ctx.warn(f"{where}: service '{service_id}' is retired; skipped (its history stays)")
                continue
            if service_id not in known:
                ctx.warn(
                    f"{where}: no service '{service_id}' in the warehouse; skipped "
                    "(add it to the services table first)"
                )
                continue
            current = found.get((service_id, environment))
            selector = entry.get("selector") or known[service_id].prometheus_selector
            if not selector:
                ctx.warn(f"{where}: no selector here nor in services; skipped")
                continue
            start = current or replace(base, service_id=service_id)
            target = _target_settings(where, entry, start)
            found[(service_id, environment)] = replace(
                target, environment=environment, matchers=matchers(str(selector))
            )
        if not found:  # nothing would be synced because of configuration: a failure, not "ok"
            if self.options.services:
                raise ConfigError(
                    _(
                        "every [[sources.{name}.services]] entry was skipped (no such service "
                        "in the warehouse, or no selector): nothing to sync"
                    ).format(name=self.name),
                    _(
                        "declare the services in config/catalog.toml and apply it (`python -m "
                        "data catalog apply config/catalog.toml --yes`), or fix their "
                        "service_id"
                    ),
                )
            raise ConfigError(
                _(
                    "[sources.{name}]: no service has a prometheus_selector and the source "
                    "lists no services entries: nothing to sync"
                ).format(name=self.name),
                _(
                    "set prometheus_selector for your services in config/catalog.toml and "
                    "apply it, or add [[sources.{name}.services]] entries with a selector"
                ).format(name=self.name),
            )
        return [found[k] for k in sorted(found)]

    def window(self, target: Target, ctx: SourceContext) -> Window | None:
        step = self.options.step
        last = _floor(ctx.until - timedelta(minutes=self.options.settle_minutes), step)
        cursor = ctx.cursors.get(STREAM.cursor_key(target.service_id, target.environment))
        if ctx.since is not None:
            first = _floor(ctx.since, step) + step
        elif cursor:
            first = _epoch(cursor) + step
        else:  # a new service: whole UTC days, so its first day is not a partial one
            back = last - self.options.lookback_days * 86400
            first = back - back % 86400 + step
        return Window(first, last, step) if first <= last else None

    # -- extraction -----------------------------------------------------------------------

    def extract(self, ctx: SourceContext) -> Iterator[Record]:
        plan = [(t, w) for t in self.targets(ctx) if (w := self.window(t, ctx)) is not None]
        ctx.progress.start(len(plan), "services")
        if not plan:
            return
        pool = client_pool(ctx, token_auth(self.source), self.options.headers)
        try:
            work = lambda item: self._fetch_target(pool, ctx, *item)  # noqa: E731
            for records in bounded_map(work, plan, self.source.concurrency):
                yield from records
                ctx.progress.advance()
        finally:
            pool.close()

    def _client(self, pool: ClientPool) -> PrometheusConnect:
        prom: PrometheusConnect | None = getattr(self._local, "prom", None)
        client: HttpClient = pool.client()
        if prom is None or getattr(self._local, "client", None) is not client:
            # Retries are the HttpClient's job: the library's own urllib3 retry is switched off.
            prom = PrometheusConnect(
                url=self.source.url, session=client, retry=Retry(total=0, read=False)
            )
            self._local.prom, self._local.client = prom, client
        return prom

    def _fetch_target(
        self, pool: ClientPool, ctx: SourceContext, target: Target, window: Window
    ) -> list[Record]:
        records: list[Record] = []
        for chunk in window.chunks(self.options.max_points):
            values = {
                name: self._query(pool, target, name, query, chunk)
                for name in QUERY_NAMES
                if (query := target.render(name, chunk.step)) is not None
            }
            rows = self._rows(target, values, chunk)
            records.append(
                ReplaceWindow(
                    table=STREAM.table,
                    match={"service_id": target.service_id, "environment": target.environment},
                    time_column="bucket_start",
                    start=datetime.fromtimestamp(chunk.first - chunk.step, UTC),
                    end=datetime.fromtimestamp(chunk.last, UTC),
                    rows=rows,
                )
            )
        if not any(isinstance(r, ReplaceWindow) and r.rows for r in records):
            ctx.warn(
                f"service {target.service_id} ({target.environment}): no query returned data "
                f"between {_iso(window.first - window.step)} and {_iso(window.last)}; check its "
                "selector and the metric names"
            )
        cursor_key = STREAM.cursor_key(target.service_id, target.environment)
        previous = ctx.cursors.get(cursor_key)
        newest = max(window.last, _epoch(previous)) if previous else window.last
        records.append(CursorUpdate({cursor_key: _iso(newest)}))
        return records

    def discover(self, ctx: SourceContext) -> Iterator[Found]:
        """Values of the ``job`` label that no service's selector names (``connectors
        discover``): each would be the service's ``prometheus_selector = '{job="…"}'``."""
        selectors = [s.prometheus_selector or "" for s in ctx.services]
        selectors += [str(e.get("selector") or "") for e in self.options.services]
        url = f"{self.source.url.rstrip('/')}/api/v1/label/job/values"
        pool = client_pool(ctx, token_auth(self.source), self.options.headers)
        try:
            body = pool.client().get_json(url)
        except UnreachableError as exc:
            raise exc.with_fix(
                f"check url = {self.source.url} in [sources.{self.name}] and that the server "
                "is running and reachable from this machine"
            ) from None
        finally:
            pool.close()
        values = body.get("data") if isinstance(body, dict) else None
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise MalformedResponseError(url, _("expected data to be a list of label values"))
        for job in values:
            if not any(re.search(rf'job\s*=~?\s*"{re.escape(job)}"', s) for s in selectors):
                yield Found(
                    self.name, "Prometheus job", job, job, "prometheus_selector", f'{{job="{job}"}}'
                )

    def _query(self, pool: ClientPool, target: Target, name: str, query: str, chunk: Window) -> Any:
        where = f"query '{name}' for service {target.service_id} ({target.environment})"
        try:
            result = self._client(pool).custom_query_range(
                query,
                start_time=datetime.fromtimestamp(chunk.first, UTC),
                end_time=datetime.fromtimestamp(chunk.last, UTC),
                step=str(chunk.step),
            )
        except HttpStatusError as exc:
            raise self._explain(exc, where, name, query) from None
        except UnreachableError as exc:
            raise exc.with_fix(
                f"check url = {self.source.url} in [sources.{self.name}] and that the server "
                "is running and reachable from this machine"
            ) from None
        except (ValueError, KeyError, TypeError, PrometheusApiClientException):
            raise MalformedResponseError(
                _("{url}/api/v1/query_range").format(url=self.source.url),
                _("{where}: not a Prometheus answer").format(where=where),
            ) from None
        if not isinstance(result, list):
            raise MalformedResponseError(
                _("{url}/api/v1/query_range").format(url=self.source.url), where
            )
        return self._parse(result, target, name, where)

    def _explain(self, exc: HttpStatusError, where: str, name: str, query: str) -> ConnectorError:
        section = f"[sources.{self.name}]"
        if exc.status in (400, 422):
            return ConnectorError(
                _("PromQL error in {where}: {value} (query: {value2})").format(
                    where=where, value=exc.detail or exc.problem, value2=query[:200]
                ),
                _(
                    "fix queries.{name} in {section} or in the service's entry; try it in "
                    "the Prometheus UI first"
                ).format(name=name, section=section),
            )
        if exc.status in (401, 403):
            if self.source.auth == "none":
                return exc.with_fix(
                    f'the server wants credentials: set auth = "bearer" (or "basic") and '
                    f"token_env in {section}"
                )
            verb = "is missing, wrong or expired" if exc.status == 401 else "lacks permission"
            return exc.with_fix(
                f"the token in {self.source.token_origin} {verb}; create a valid one and export it"
            )
        if exc.status == 503 or exc.detail.startswith("timeout"):
            return exc.with_fix(
                "the query timed out or the server is overloaded; lower max_points_per_query "
                f"or concurrency in {section}, or retry later"
            )
        return exc

    @staticmethod
    def _parse(result: list[Any], target: Target, name: str, where: str) -> Any:
        if name == "latency":
            by_time: dict[int, dict[float, float]] = {}
            for series in result:
                le = series.get("metric", {}).get("le")
                if le is None:
                    raise ConnectorError(
                        _("{where} returned a series without an 'le' label").format(where=where),
                        _(
                            "the latency query must keep le, e.g. sum by (le) "
                            "(increase(..._bucket))"
                        ),
                    )
                bound = parse_le(str(le), target.latency_unit)
                for stamp, value in series["values"]:
                    number = float(value)
                    if math.isfinite(number):
                        by_time.setdefault(int(float(stamp)), {})[bound] = number
            return by_time
        if len(result) > 1:
            raise ConnectorError(
                _("{where} returned {len} series; it must return one").format(
                    where=where, len=len(result)
                ),
                _("aggregate it, e.g. wrap it in sum(...) or avg(...)"),
            )
        values: dict[int, float] = {}
        for series in result:
            for stamp, value in series["values"]:
                number = float(value)
                if math.isfinite(number):
                    values[int(float(stamp))] = number
        return values

    def _rows(self, target: Target, values: Mapping[str, Any], chunk: Window) -> list[Row]:
        stamps: set[int] = set()
        for series in values.values():
            stamps.update(series)
        rows: list[Row] = []
        for stamp in sorted(s for s in stamps if chunk.first <= s <= chunk.last):
            requests = _count(values.get("requests", {}).get(stamp))
            histogram = values.get("latency", {}).get(stamp)
            try:
                buckets = (
                    to_warehouse_buckets(histogram, requests, target.latency_bounds)
                    if histogram
                    else [0] * len(COLUMNS)
                )
            except ConnectorError as exc:
                raise ConnectorError(
                    _("service {service_id}: {problem}").format(
                        service_id=target.service_id, problem=exc.problem
                    ),
                    exc.fix,
                ) from None
            if requests is None:
                requests = sum(buckets)
            row: dict[str, object] = {
                "service_id": target.service_id,
                "environment": target.environment,
                "bucket_start": datetime.fromtimestamp(stamp - chunk.step, UTC),
                "bucket_seconds": chunk.step,
                "requests": requests,
                "errors": _count(values.get("errors", {}).get(stamp)) or 0,
                "probes_total": _count(values.get("probes_total", {}).get(stamp)),
                "probes_ok": _count(values.get("probes_ok", {}).get(stamp)),
                "cpu_utilisation": values.get("cpu", {}).get(stamp),
                "memory_utilisation": values.get("memory", {}).get(stamp),
            }
            row.update(zip(COLUMNS, buckets, strict=True))
            rows.append(row)
        return rows


def _count(value: float | None) -> int | None:
    """Counts are rounded half up; tiny negative noise from extrapolation becomes 0."""
    return None if value is None else max(0, math.floor(value + 0.5))
