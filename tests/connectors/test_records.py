"""The canonical row builders and the service mapping every delivery/incident connector shares."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from connectors.core import records
from connectors.core.base import ServiceInfo
from connectors.core.errors import ConfigError
from connectors.core.mapping import ServiceMap
from connectors.core.records import RowError


def test_times_become_utc_and_naive_ones_are_refused() -> None:
    noon = datetime(2026, 1, 5, 12, tzinfo=UTC)
    assert records.utc("2026-01-05T12:00:00Z", "t") == noon
    assert records.utc("2026-01-05T21:00:00.000+0900", "t") == noon  # Jira/Java style offset
    assert records.utc("2026-01-05T13:00:00+01:00", "t") == noon
    assert records.utc(noon.timestamp(), "t") == noon
    with pytest.raises(RowError, match="no time zone"):
        records.utc("2026-01-05T12:00:00", "started_at")
    zone = timezone(timedelta(hours=-5))
    assert records.utc("2026-01-05T07:00:00", "t", assume=zone) == noon
    with pytest.raises(RowError, match="started_at 'soon' is not an ISO-8601 time"):
        records.utc("soon", "started_at")
    assert records.optional_utc("", "t") is None and records.optional_utc(None, "t") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("P1", "SEV1"),
        ("sev-2", "SEV2"),
        ("SEV3", "SEV3"),
        ("4", "SEV4"),
        ("P5", "SEV4"),
        ("Highest", "SEV1"),
        ("critical", "SEV1"),
        ("High", "SEV2"),
        ("Medium", "SEV3"),
        ("low", "SEV4"),
        (None, "SEV3"),
    ],
)
def test_severities(text: str | None, expected: str) -> None:
    assert records.severity(text) == expected


def test_unknown_words_are_refused() -> None:
    with pytest.raises(RowError, match="severity 'urgent-ish'"):
        records.severity("urgent-ish")
    with pytest.raises(RowError, match="status 'maybe'"):
        records.status("maybe")
    assert [records.status(w) for w in ("SUCCESS", "failed", "UNSTABLE", "canceled")] == [
        "success",
        "failure",
        "failure",
        "cancelled",
    ]


def test_impossible_rows_name_the_problem() -> None:
    start = datetime(2026, 1, 5, tzinfo=UTC)
    with pytest.raises(RowError, match="resolved before started"):
        records.incident(
            source="s",
            external_id="1",
            service_id="a1",
            severity="SEV1",
            title=None,
            started_at=start,
            acknowledged_at=None,
            resolved_at=start - timedelta(hours=1),
        )
    with pytest.raises(RowError, match="finished before it started"):
        records.deployment(
            source="s",
            external_id="1",
            service_id="a1",
            environment="p",
            started_at=start,
            finished_at=start - timedelta(seconds=1),
            status="success",
        )
    with pytest.raises(RowError, match="external_id is missing"):
        records.deployment(
            source="s",
            external_id=" ",
            service_id="a1",
            environment="p",
            started_at=start,
            finished_at=None,
            status="success",
        )


def test_link_methods_say_who_linked() -> None:
    start = datetime(2026, 1, 5, tzinfo=UTC)
    base = dict(
        source="pd",
        external_id="1",
        service_id="a1",
        severity="SEV2",
        title="t",
        started_at=start,
        acknowledged_at=None,
        resolved_at=None,
    )
    assert records.incident(**base)["link_method"] == "window"
    assert records.incident(**base, link_to_deployments=False)["link_method"] is None
    ref = records.incident(**base, deployment_ref="abc1234")
    assert (ref["link_method"], ref["deployment_ref"]) == ("reference", "abc1234")
    own = records.incident(**base, caused_by_source="gh", caused_by_external_id="9")
    assert own["link_method"] == "source" and own["caused_by_deployment_source"] == "gh"
    change = records.change(
        source="gh",
        external_id="a/b#1",
        service_id="a1",
        commit_sha="x",
        first_commit_at=start + timedelta(hours=2),
        opened_at=None,
        merged_at=start,
    )
    # an author date after the merge (rebase) starts the lead time at the merge
    assert change["first_commit_at"] == start and change["link_method"] is None
    # acknowledgement clamped into [start, resolved]
    late = records.incident(
        **{
            **base,
            "acknowledged_at": start + timedelta(hours=3),
            "resolved_at": start + timedelta(hours=1),
        }
    )
    assert late["acknowledged_at"] == start + timedelta(hours=1)


def test_service_map_explicit_first_then_repo_urls() -> None:
    services = [
        ServiceInfo("a1", "t", None, None, "https://github.com/Acme/a1.git"),
        ServiceInfo("b1", "t", None, None, "git@github.com:acme/b1"),
        ServiceInfo("c1", "t", None, None, None),
    ]
    mapping = ServiceMap("gh", {"acme/legacy": "c1", "acme/a1": "b1"}, services, by_repo_url=True)
    assert mapping.get("acme/legacy") == "c1"
    assert mapping.get("acme/a1") == "b1"  # the sources file wins over repo_url
    assert mapping.get("ACME/B1") == "b1"  # case and URL shape ignored
    assert mapping.get("acme/unknown") is None and mapping.unmapped == {"acme/unknown"}
    assert mapping.repositories() == ["acme/legacy", "acme/a1", "acme/b1"]
    with pytest.raises(ConfigError, match="maps to service zz"):
        ServiceMap("gh", {"x": "zz"}, services)


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("https://ci.example.com/job/7", "https://ci.example.com/job/7"),
        ("HTTP://ci.example.com/x", "HTTP://ci.example.com/x"),
        ("javascript:alert(1)", None),
        ("JavaScript://%0Aalert(1)", None),
        ("data:text/html,<script>x</script>", None),
        ("file:///etc/passwd", None),
        ("//evil.example/x", None),
        ("https:///nohost", None),
        ("https://ok.example/a b", None),
        ("", None),
        (None, None),
    ],
)
def test_only_http_links_are_stored_for_every_source(given: object, stored: str | None) -> None:
    """records.web_url is what deployment(), change() and incident() store as url."""
    row = records.deployment(
        source="s",
        external_id="1",
        service_id="web",
        environment="production",
        started_at=datetime(2026, 1, 5, 9, tzinfo=UTC),
        finished_at=None,
        status="success",
        url=given,  # type: ignore[arg-type]
    )
    assert row["url"] == stored
