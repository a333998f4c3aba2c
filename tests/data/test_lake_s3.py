"""DuckLake with its files in S3-compatible object storage (issue 16): catalog on a real
PostgreSQL, Parquet files in a bucket served by an S3 API server on 127.0.0.1, through DuckDB's
httpfs extension loaded from its wheel. Credentials come from the environment only."""

from __future__ import annotations

from pathlib import Path

import pytest

from data.__main__ import main as data_main
from data.warehouse import WarehouseError, label, open_reader, write_snapshot
from tests.servers.postgres import create_database, postgres_server
from tests.servers.s3 import s3_server
from tests.servers.warehouse import contents, query

SAMPLES = (
    "INSERT INTO service_level_samples (service_id, environment, bucket_start, bucket_seconds,"
    " requests, errors) SELECT 'a1', 'production',"
    " TIMESTAMPTZ '2027-01-01 00:00:00+00' + to_hours(h), 3600, 100, h % 2 FROM range(48) AS t(h)"
)


def test_a_lake_in_object_storage_keeps_every_row_and_never_shows_the_secret(
    fixture_db: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with postgres_server() as dsn, s3_server() as s3:
        monkeypatch.setenv("TECHPULSE_DATA_PATH", f"s3://{s3.bucket}/lake/")
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3.key_id)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s3.secret)
        monkeypatch.setenv("AWS_REGION", "us-east-1")
        monkeypatch.setenv("TECHPULSE_S3_ENDPOINT", s3.endpoint)
        monkeypatch.setenv("TECHPULSE_S3_URL_STYLE", "path")
        monkeypatch.setenv("TECHPULSE_S3_USE_SSL", "false")
        lake = f"ducklake:postgres:{dsn}"
        assert data_main(["copy", "--from", str(fixture_db), "--to", lake]) == 0
        original = contents(fixture_db, exclude=())
        assert original["deployments"] and original["service_level_samples"]
        assert contents(Path(lake), exclude=()) == original
        # the fixture's tables are small enough for DuckLake to keep in the catalog; 48 new
        # hours of samples (above the inlining limit of 10 rows) go to Parquet files in S3
        with write_snapshot(lake) as con:
            con.execute(SAMPLES)
        stored = s3.keys("lake/")
        assert any(
            k.startswith("lake/main/service_level_samples/") and k.endswith(".parquet")
            for k in stored
        ), stored
        con = open_reader(lake)
        # 48 hours x 100 requests; errors on the 24 odd hours; their 2 days rolled up
        assert con.execute(
            "SELECT count(*), sum(requests), sum(errors) FROM service_level_samples"
            " WHERE bucket_start >= TIMESTAMPTZ '2027-01-01 00:00:00+00'"
        ).fetchone() == (48, 4800, 24)
        assert con.execute(
            "SELECT count(*), sum(samples) FROM service_level_daily WHERE day >= DATE '2027-01-01'"
        ).fetchone() == (2, 48)
        # a bucket that does not exist: the write fails whole, and its error names the
        # storage without the credentials
        monkeypatch.setenv("TECHPULSE_DATA_PATH", "s3://no-such-bucket/lake/")
        other = f"ducklake:postgres:{create_database(dsn, 'lake_missing_bucket')}"
        assert data_main(["init", "--db", other]) == 0  # metadata only: no file yet
        with pytest.raises(WarehouseError) as failed, write_snapshot(other) as con:
            con.execute(SAMPLES)
        message = str(failed.value)
        assert "no-such-bucket" in message or "NoSuchBucket" in message, message
        out, err = capsys.readouterr()
        for text in (out, err, message, label(lake)):
            assert s3.secret not in text and s3.key_id not in text
        assert query(Path(other), "SELECT count(*) FROM service_level_samples") == [(0,)]
