"""The sources file, secrets resolution and the CLI's own error paths."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from connectors.core.config import EXAMPLE_CONFIG, Secret, load_config
from connectors.core.errors import ConfigError
from connectors.registry import build_connector
from tests.appserver import REPO


@pytest.fixture(autouse=True)
def no_secrets_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TECHPULSE_SECRETS", "/nonexistent/secrets.toml")
    for name in ("SONAR_TOKEN", "SONARCLOUD_TOKEN", "PROMETHEUS_TOKEN"):
        monkeypatch.delenv(name, raising=False)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(text, encoding="utf-8")
    return path


SONAR = """
[sources.sonar]
type = "sonarqube"
url = "https://sonar.example.com/"
auth = "bearer"
token_env = "SONAR_TOKEN"
token_secret = "sonarqube.token"
"""


def test_example_file_is_valid_and_builds_every_connector() -> None:
    config = load_config(EXAMPLE_CONFIG)
    assert [s.name for s in config.sources] == [
        "prometheus",
        "sonarqube",
        "sonarcloud",
        "github",
        "gitlab",
        "jenkins",
        "checkout-git",
        "pagerduty",
        "jira",
        "opsgenie",
    ]
    # SonarCloud and the delivery/incident examples are disabled until enabled
    assert [s.name for s in config.select(None)] == ["prometheus", "sonarqube"]
    assert config.linking.production_environments == ("production",)
    assert config.linking.incident_window_hours == 24
    assert config.http.max_attempts == 4 and config.http.read_timeout == 60
    for source in config.sources:
        build_connector(source)


def test_token_from_environment_wins_over_secrets_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[sonarqube]\ntoken = "from-secrets-file"\n', encoding="utf-8")
    monkeypatch.setenv("TECHPULSE_SECRETS", str(secrets))
    source = load_config(write(tmp_path, SONAR)).sources[0]
    assert source.token == Secret("from-secrets-file", f"{secrets} key sonarqube.token")
    assert source.url == "https://sonar.example.com"
    monkeypatch.setenv("SONAR_TOKEN", "from-environment")
    source = load_config(write(tmp_path, SONAR)).sources[0]
    assert source.token is not None and source.token.value == "from-environment"
    assert "from-environment" not in repr(source) and "from-environment" not in str(source.token)


def test_missing_token_fails_the_source_with_its_origin(tmp_path: Path) -> None:
    source = load_config(write(tmp_path, SONAR)).sources[0]
    assert source.token is None
    with pytest.raises(ConfigError) as caught:
        source.require_token()
    expected = "$SONAR_TOKEN or /nonexistent/secrets.toml key sonarqube.token"
    assert expected in caught.value.problem


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (SONAR + 'token = "abc123"\n', "contains a secret value"),
        (SONAR + "colour = 1\n", "unknown key colour"),
        (
            SONAR.replace('token_env = "SONAR_TOKEN"\ntoken_secret = "sonarqube.token"\n', ""),
            "says nowhere where the token is",
        ),
        ('[sources.x]\ntype = "servicenow"\nurl = "http://x"\n', "unknown type 'servicenow'"),
        ('[sources.x]\nurl = "http://x"\n', "has no type"),
        ('[sources.Bad]\ntype = "prometheus"\n', "not a lower-case identifier"),
        ("[settings]\nread_timeout = -1\n", "must be a positive number"),
        ('[sources.p]\ntype = "prometheus"\nurl = "http://p"\nstep = "7m"\n', "divisor of a day"),
        (
            '[sources.p]\ntype = "prometheus"\nurl = "http://p"\n'
            '[sources.p.queries]\nlatency_p99 = "x"\n',
            "unknown query latency_p99",
        ),
        ("[sources\n", "is not valid TOML"),
    ],
)
def test_invalid_files_say_what_to_fix(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        for source in load_config(write(tmp_path, text)).sources:
            build_connector(source)


def test_unknown_source_name_and_missing_file(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, SONAR))
    with pytest.raises(ConfigError, match="choose from: sonar"):
        config.select(["sonr"])
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "none.toml")
    assert "copy config/sources.example.toml to config/sources.toml" in caught.value.fix


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "TECHPULSE_SECRETS": "/nonexistent/secrets.toml"}
    return subprocess.run(
        [sys.executable, "-m", "connectors", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=env,
    )


def test_cli_start_errors_exit_2_with_one_line(tmp_path: Path) -> None:
    missing = cli("sync", "--config", str(tmp_path / "none.toml"))
    assert missing.returncode == 2
    assert missing.stderr.startswith("error: no sources file at")
    assert len(missing.stderr.strip().splitlines()) == 1
    no_db = cli("sync", "--config", str(EXAMPLE_CONFIG), "--db", str(tmp_path / "none.duckdb"))
    assert no_db.returncode == 2 and "No warehouse at" in no_db.stderr
    bad_date = cli("sync", "--since", "yesterday")
    assert bad_date.returncode == 2 and "is not a date" in bad_date.stderr


def test_cli_lists_sources_without_secrets(tmp_path: Path) -> None:
    listing = cli("sources", "--config", str(EXAMPLE_CONFIG), "--db", str(tmp_path / "none"))
    assert listing.returncode == 0, listing.stderr
    lines = listing.stdout.splitlines()
    assert all(line.endswith("; last success: never") for line in lines), lines
    assert [line.removesuffix("; last success: never") for line in lines] == [
        "prometheus: prometheus at http://prometheus.internal:9090; token: no auth; "
        "streams: service_level_samples",
        "sonarqube: sonarqube at https://sonarqube.internal; token: $SONAR_TOKEN or "
        "/nonexistent/secrets.toml key sonarqube.token; streams: quality_snapshots",
        "sonarcloud (disabled): sonarcloud at https://sonarcloud.io; token: $SONARCLOUD_TOKEN "
        "or /nonexistent/secrets.toml key sonarcloud.token; streams: quality_snapshots",
        "github (disabled): github at https://api.github.com; token: $GITHUB_TOKEN or "
        "/nonexistent/secrets.toml key github.token; streams: deployments, deployment_commits, "
        "changes, incidents",
        "gitlab (disabled): gitlab at https://gitlab.com; token: $GITLAB_TOKEN; streams: "
        "deployments, deployment_commits, changes",
        "jenkins (disabled): jenkins at https://jenkins.internal; token: $JENKINS_API_TOKEN; "
        "streams: deployments, deployment_commits",
        "checkout-git (disabled): git at /srv/git/checkout-api.git; token: no auth; streams: "
        "deployments, deployment_commits, changes",
        "pagerduty (disabled): pagerduty at https://api.pagerduty.com; token: $PAGERDUTY_TOKEN; "
        "streams: incidents",
        "jira (disabled): jira at https://acme.atlassian.net; token: $JIRA_API_TOKEN; streams: "
        "incidents",
        "opsgenie (disabled): opsgenie at https://api.opsgenie.com; token: $OPSGENIE_API_KEY; "
        "streams: incidents",
    ]


def test_every_subcommand_takes_the_common_options(tmp_path: Path) -> None:
    """`sources` used to refuse --db; it now reads each source's last successful run there."""
    from tests.servers.warehouse import build_warehouse

    db = build_warehouse(tmp_path / "w.duckdb", [("a1", None, None)])
    import duckdb

    con = duckdb.connect(str(db))
    con.execute(
        "INSERT INTO sync_runs (run_id, source, started_at, finished_at, status) VALUES"
        " ('r1', 'prometheus', '2026-01-05 09:00:00+00', '2026-01-05 09:01:30+00', 'success'),"
        " ('r2', 'prometheus', '2026-01-06 09:00:00+00', '2026-01-06 09:02:00+00', 'failed')"
    )
    con.close()
    listing = cli("sources", "--config", str(EXAMPLE_CONFIG), "--db", str(db), "-v")
    assert listing.returncode == 0, listing.stderr
    first = listing.stdout.splitlines()[0]
    assert first.endswith("; last success: 2026-01-05T09:01:30Z"), first  # the failed run: not
    for command in ("sync", "import", "sources"):
        done = cli(command, "--help")
        assert all(option in done.stdout for option in ("--config", "--db", "--verbose"))
