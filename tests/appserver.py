"""Start `streamlit run app.py` on a free loopback port for browser tests and screenshots.

Fails loudly with the server's log when it does not become healthy.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Server:
    url: str
    pid: int


@contextlib.contextmanager
def app_server(db: Path, timeout: float = 60.0, **extra_env: str) -> Iterator[str]:
    """Yield the base URL of a running app on ``db``; stop it afterwards."""
    with streamlit_server(db, timeout=timeout, **extra_env) as server:
        yield server.url


@contextlib.contextmanager
def streamlit_server(
    db: Path, script: str = "app.py", timeout: float = 60.0, **extra_env: str
) -> Iterator[Server]:
    """Yield the URL and process id of `streamlit run SCRIPT` on ``db``; stop it afterwards."""
    port = free_port()
    env = {
        **os.environ,
        "TECHPULSE_DB": str(db),
        "STREAMLIT_SERVER_PORT": str(port),
        "STREAMLIT_SERVER_HEADLESS": "true",
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
        **extra_env,
    }
    with tempfile.TemporaryFile(mode="w+") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", script],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_healthy(url, process, timeout)
            yield Server(url, process.pid)
        except BaseException:
            log.seek(0)
            sys.stderr.write(f"--- streamlit log ({url}) ---\n{log.read()}\n--- end ---\n")
            raise
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


def _wait_healthy(url: str, process: subprocess.Popen[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"streamlit did not become healthy at {url} within {timeout:.0f} s")
