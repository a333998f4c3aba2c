"""Which service a source's repository, job, project or on-call service belongs to.

Every delivery and incident connector maps its own keys (``acme/checkout`` on GitHub, a
Jenkins job, a PagerDuty service id, a Jira component) to ``services.service_id``:

1. ``[sources.<name>.services]`` in the sources file, ``"source key" = "service_id"``; wins;
2. the catalog's key for this kind of source (``gitlab_project``, ``jenkins_job``,
   ``pagerduty_service``, ``jira_component``; case ignored);
3. for repositories, ``services.repo_url``: a key ``owner/name`` matches a URL ending in
   ``/owner/name`` (``.git`` and case ignored), so the demo's and most real service catalogues
   need no mapping at all.

A mapped service that is not in the warehouse fails the run (a typo must not drop data
silently); one the catalog retired is dropped with a warning (its history stays, nothing new
is added); keys that map to nothing are skipped and counted in one warning.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from connectors.core.base import ServiceInfo, SourceContext
from connectors.core.config import SourceConfig
from connectors.core.errors import ConfigError
from i18n import _

OPTION = "services"


def _repo_key(url: str) -> str:
    text = url.strip().rstrip("/").lower()
    if text.endswith(".git"):
        text = text[:-4]
    parts = [p for p in text.replace(":", "/").split("/") if p]
    return "/".join(parts[-2:]) if len(parts) >= 2 else text


def configured(source: SourceConfig) -> dict[str, str]:
    """The ``[sources.<name>.services]`` table, validated."""
    table = source.options.get(OPTION, {})
    if not isinstance(table, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) and v for k, v in table.items()
    ):
        raise ConfigError(
            _("[sources.{name}.{option}] must map source keys to service ids").format(
                name=source.name, option=OPTION
            ),
            _(
                'write lines such as "acme/checkout" = "checkout-api" under '
                "[sources.{name}.{option}]"
            ).format(name=source.name, option=OPTION),
        )
    return dict(table)


class ServiceMap:
    """Source key → service_id for one source run."""

    def __init__(
        self,
        source: str,
        explicit: Mapping[str, str],
        services: Sequence[ServiceInfo],
        *,
        by_repo_url: bool = False,
        catalog_field: str | None = None,
        retired: frozenset[str] = frozenset(),
    ) -> None:
        known = {s.service_id for s in services}
        self.retired_keys = sorted(k for k, v in explicit.items() if v in retired)
        explicit = {k: v for k, v in explicit.items() if v not in retired}
        missing = sorted({v for v in explicit.values() if v not in known})
        if missing:
            raise ConfigError(
                _(
                    "[sources.{source}.{option}] maps to service {value}, which the "
                    "warehouse does not have"
                ).format(source=source, option=OPTION, value=", ".join(missing)),
                _("fix the service id, or add the service to the warehouse first"),
            )
        self.source = source
        self._explicit = dict(explicit)
        self._repos: dict[str, str] = {}
        if by_repo_url:
            for service in services:
                if service.repo_url:
                    self._repos.setdefault(_repo_key(service.repo_url), service.service_id)
        self._catalog: dict[str, str] = {}
        if catalog_field:
            for service in services:
                value = service.key(catalog_field)
                if value:
                    self._catalog.setdefault(value.lower(), service.service_id)
        self._lower = {k.lower(): v for k, v in self._explicit.items()}
        self.unmapped: set[str] = set()

    @classmethod
    def for_source(
        cls,
        source: SourceConfig,
        ctx: SourceContext,
        *,
        by_repo_url: bool = False,
        catalog_field: str | None = None,
    ) -> ServiceMap:
        smap = cls(
            source.name,
            configured(source),
            ctx.services,
            by_repo_url=by_repo_url,
            catalog_field=catalog_field,
            retired=ctx.retired,
        )
        if smap.retired_keys:
            sample = ", ".join(smap.retired_keys[:5])
            ctx.warn(
                f"[sources.{source.name}.{OPTION}] maps {sample} to retired services: not "
                "synced (their history stays); remove the lines or return the services"
            )
        return smap

    def keys(self) -> list[str]:
        """Every key mapped explicitly, in the file's order."""
        return list(self._explicit)

    def catalog_keys(self) -> list[str]:
        """Every key the catalog declares for this source (lower case)."""
        return list(self._catalog)

    def _lookup(self, key: str) -> str | None:
        lowered = key.lower()
        found = self._explicit.get(key) or self._lower.get(lowered) or self._catalog.get(lowered)
        if found is None and self._repos:
            found = self._repos.get(_repo_key(key))
        return found

    def repositories(self) -> list[str]:
        """Every repository key known: explicit ones first, then from services.repo_url."""
        return list(dict.fromkeys([*self._explicit, *self._repos]))

    def get(self, key: str | None) -> str | None:
        """The service of ``key``, or None (remembered for :meth:`warn_unmapped`)."""
        if not key:
            return None
        found = self._lookup(key)
        if found is None:
            self.unmapped.add(key)
        return found

    def first(self, keys: Iterable[str | None]) -> str | None:
        """The service of the first key that maps (a Jira issue's components, say)."""
        candidates = [k for k in keys if k]
        for key in candidates:
            found = self._lookup(key)
            if found is not None:
                return found
        self.unmapped.update(candidates)
        return None

    def warn_unmapped(self, ctx: SourceContext, what: str) -> None:
        if not self.unmapped:
            return
        sample = ", ".join(sorted(self.unmapped)[:5])
        more = f" and {len(self.unmapped) - 5} more" if len(self.unmapped) > 5 else ""
        ctx.warn(
            f"{len(self.unmapped)} {what} map to no service and were skipped ({sample}{more}); "
            f"map them under [sources.{self.source}.{OPTION}]"
        )


def as_strings(value: Any, field: str, source: str) -> list[str]:
    """A TOML string or list of strings option as a list."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) and v for v in value):
        return list(value)
    raise ConfigError(
        _("[sources.{source}] {field} must be a string or a list of strings").format(
            source=source, field=field
        ),
        _("fix the value"),
    )
