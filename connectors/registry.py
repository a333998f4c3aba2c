"""The explicit list of connector types: no plugin discovery, one line per type."""

from __future__ import annotations

from collections.abc import Callable

from connectors.base import Connector
from connectors.config import SourceConfig
from connectors.errors import ConfigError
from connectors.prometheus import PrometheusConnector
from connectors.sonarqube import SonarQubeConnector

CONNECTOR_TYPES: dict[str, Callable[[SourceConfig], Connector]] = {
    "prometheus": PrometheusConnector.from_config,
    "sonarqube": SonarQubeConnector.from_config,
    "sonarcloud": SonarQubeConnector.from_config,
}


def build_connector(source: SourceConfig) -> Connector:
    """The connector for ``source``; its options are validated here."""
    factory = CONNECTOR_TYPES.get(source.type)
    if factory is None:
        raise ConfigError(
            f"[sources.{source.name}] has unknown type {source.type!r}",
            f"use one of: {', '.join(CONNECTOR_TYPES)}",
        )
    return factory(source)
