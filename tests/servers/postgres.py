"""A real PostgreSQL server for tests: Debian's package, a throw-away cluster on 127.0.0.1.

PostgreSQL refuses to run as root, so when the tests run as root the cluster belongs to the
``postgres`` system user (``runuser``); otherwise to the current user. The cluster lives in a
temporary directory, listens on a free port with ``trust`` authentication for 127.0.0.1 only,
runs with fsync off (a test needs no durability) and is removed afterwards.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.appserver import free_port

DATABASE = "techpulse"
USER = "techpulse"


def bin_dir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        pytest.fail(
            "PostgreSQL is not installed: run `make system-deps` (Debian package postgresql)"
        )
    return Path(found[-1]).parent


def _owner() -> tuple[list[str], int | None, int | None]:
    """The command prefix that runs a program as the cluster's owner, and its uid and gid."""
    if os.geteuid() != 0:
        return [], None, None
    entry = pwd.getpwnam("postgres")
    return ["runuser", "-u", "postgres", "--"], entry.pw_uid, entry.pw_gid


@contextmanager
def postgres_server() -> Iterator[str]:
    """Yield a libpq connection string (no password) for an empty database ``techpulse``."""
    tools = bin_dir()
    prefix, uid, gid = _owner()
    root = Path(tempfile.mkdtemp(prefix="techpulse-pg-"))
    data = root / "data"
    if uid is not None and gid is not None:
        os.chown(root, uid, gid)
    port = free_port()

    def run(*argv: str) -> None:
        done = subprocess.run([*prefix, *argv], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            pytest.fail(f"{argv[0]} failed:\n{done.stdout}\n{done.stderr}")

    try:
        run(str(tools / "initdb"), "-D", str(data), "-U", USER, "--auth=trust", "-E", "UTF8",
            "--no-locale", "--no-sync")  # fmt: skip
        options = f"-h 127.0.0.1 -p {port} -k {root} -F -c max_connections=200"
        run(str(tools / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "log"),
            "-w", "-t", "60", "start")  # fmt: skip
        try:
            run(str(tools / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", USER, DATABASE)
            yield f"dbname={DATABASE} host=127.0.0.1 port={port} user={USER}"
        finally:
            run(str(tools / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def create_database(dsn: str, name: str) -> str:
    """A second, empty database on the server of ``dsn``; returns its connection string."""
    fields = dict(part.split("=", 1) for part in dsn.split())
    prefix, _uid, _gid = _owner()
    done = subprocess.run(
        [*prefix, str(bin_dir() / "createdb"), "-h", fields["host"], "-p", fields["port"],
         "-U", fields["user"], name],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        pytest.fail(f"createdb {name} failed: {done.stderr}")
    return " ".join(f"{k}={name if k == 'dbname' else v}" for k, v in fields.items())
