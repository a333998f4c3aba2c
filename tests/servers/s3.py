"""An S3-compatible object store on 127.0.0.1: moto's server, which answers S3's REST API.

S3 itself cannot run here; moto implements the API (buckets, objects, multipart uploads, list
pagination, signed requests) in a local HTTP server, which is what DuckDB's ``httpfs`` talks to.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import boto3
from moto.server import ThreadedMotoServer

from tests.appserver import free_port


@dataclass(frozen=True)
class S3:
    endpoint: str  # host:port, as TECHPULSE_S3_ENDPOINT takes it
    bucket: str
    key_id: str
    secret: str

    def keys(self, prefix: str = "") -> list[str]:
        client = boto3.client(
            "s3",
            endpoint_url=f"http://{self.endpoint}",
            aws_access_key_id=self.key_id,
            aws_secret_access_key=self.secret,
            region_name="us-east-1",
        )
        pages = client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
        return [item["Key"] for page in pages for item in page.get("Contents", [])]


@contextmanager
def s3_server(bucket: str = "techpulse") -> Iterator[S3]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        store = S3(f"127.0.0.1:{port}", bucket, "AKIATECHPULSETEST", "s3-secret-never-shown-42")
        boto3.client(
            "s3",
            endpoint_url=f"http://{store.endpoint}",
            aws_access_key_id=store.key_id,
            aws_secret_access_key=store.secret,
            region_name="us-east-1",
        ).create_bucket(Bucket=bucket)
        yield store
    finally:
        server.stop()
