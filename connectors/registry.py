"""The explicit list of connector types: no plugin discovery, one line per type."""

from __future__ import annotations

from collections.abc import Callable

from connectors.core.base import Connector
from connectors.core.config import SourceConfig
from connectors.core.errors import ConfigError
from connectors.sources.github.streams import GitHubConnector
from connectors.sources.gitlab.streams import GitLabConnector
from connectors.sources.gitrepo.streams import GitRepoConnector
from connectors.sources.jenkins.streams import JenkinsConnector
from connectors.sources.jira.streams import JiraConnector
from connectors.sources.oncall.opsgenie import OpsgenieConnector
from connectors.sources.oncall.pagerduty import PagerDutyConnector
from connectors.sources.prometheus.streams import PrometheusConnector
from connectors.sources.sonarqube.streams import SonarQubeConnector

CONNECTOR_TYPES: dict[str, Callable[[SourceConfig], Connector]] = {
    "prometheus": PrometheusConnector.from_config,
    "sonarqube": SonarQubeConnector.from_config,
    "sonarcloud": SonarQubeConnector.from_config,
    "jira": JiraConnector.from_config,
    "jenkins": JenkinsConnector.from_config,
    "github": GitHubConnector.from_config,
    "gitlab": GitLabConnector.from_config,
    "git": GitRepoConnector.from_config,
    "pagerduty": PagerDutyConnector.from_config,
    "opsgenie": OpsgenieConnector.from_config,
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
