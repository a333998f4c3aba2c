"""Real Prometheus (and VictoriaMetrics) processes on 127.0.0.1 with a known, backfilled history.

* :class:`Series` and :func:`openmetrics` describe samples and write them as OpenMetrics
  (timestamps in seconds, ``# EOF`` at the end) for ``promtool tsdb create-blocks-from
  openmetrics``.
* :func:`prometheus_server` backfills a temporary data directory, starts ``/usr/bin/prometheus``
  on a free loopback port (the Debian service owns 0.0.0.0:9090), polls ``/-/ready`` and dumps
  the server log when anything fails.
* :func:`victoria_metrics_server` does the same for Debian's ``victoria-metrics``, loading the
  samples through its ``/api/v1/import/prometheus`` endpoint.

Both binaries are test dependencies installed by ``make system-deps``: a missing binary is a
test failure with that instruction, never a skip.
"""

from __future__ import annotations

import contextlib
import math
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.appserver import free_port

PROMETHEUS = "/usr/bin/prometheus"
PROMTOOL = "/usr/bin/promtool"
VICTORIA_METRICS = "/usr/bin/victoria-metrics"


def require(binary: str, package: str) -> str:
    """The binary's path, or a test failure telling how to install it."""
    found = binary if Path(binary).exists() else shutil.which(Path(binary).name)
    if not found:
        pytest.fail(
            f"{binary} is missing: run `make system-deps` (installs Debian's {package} package; "
            "CI does this) and re-run the tests",
            pytrace=False,
        )
    return found


@dataclass
class Series:
    """One time series: family name, sample name, labels, type and (timestamp s, value) points."""

    family: str
    name: str
    labels: dict[str, str]
    kind: str  # counter, gauge or histogram
    points: list[tuple[int, float]] = field(default_factory=list)

    def label_text(self) -> str:
        inner = ",".join(f'{k}="{v}"' for k, v in sorted(self.labels.items()))
        return "{" + inner + "}" if inner else ""


def _packaged(package: str) -> bool:
    """Whether apt knows an installable candidate for ``package``."""
    try:
        policy = subprocess.run(
            ["apt-cache", "policy", package], capture_output=True, text=True, check=False
        ).stdout
    except OSError:
        return False
    return "Candidate:" in policy and "Candidate: (none)" not in policy


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf"
    return repr(float(value)) if not float(value).is_integer() else str(int(value))


def openmetrics(series: Sequence[Series]) -> str:
    """OpenMetrics text: families contiguous, each series in time order, ``# EOF`` last."""
    lines: list[str] = []
    families: dict[str, list[Series]] = {}
    kinds: dict[str, str] = {}
    for item in series:
        families.setdefault(item.family, []).append(item)
        kinds[item.family] = item.kind
    for family, members in families.items():
        lines.append(f"# TYPE {family} {kinds[family]}")
        for item in members:
            for stamp, value in sorted(item.points):
                lines.append(f"{item.name}{item.label_text()} {_number(value)} {stamp}")
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


def prometheus_text(series: Sequence[Series]) -> str:
    """Prometheus exposition lines with millisecond timestamps (VictoriaMetrics import)."""
    lines = [
        f"{item.name}{item.label_text()} {_number(value)} {stamp * 1000}"
        for item in series
        for stamp, value in sorted(item.points)
    ]
    return "\n".join(lines) + "\n"


def _ready(url: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{url} not ready within {timeout:.0f} s")


@contextlib.contextmanager
def _process(
    argv: list[str], ready_url: str, name: str, timeout: float = 30.0
) -> Iterator[subprocess.Popen[bytes]]:
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        try:
            _ready(ready_url, process, timeout)
            yield process
        except BaseException:
            log.seek(0)
            text = log.read().decode(errors="replace")[-20_000:]
            sys.stderr.write(f"--- {name} log ({ready_url}) ---\n{text}\n--- end ---\n")
            raise
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextlib.contextmanager
def prometheus_server(workdir: Path, series: Sequence[Series]) -> Iterator[str]:
    """Yield the base URL of a Prometheus serving exactly ``series`` (backfilled)."""
    prometheus = require(PROMETHEUS, "prometheus")
    promtool = require(PROMTOOL, "prometheus")
    data = workdir / "data"
    data.mkdir(parents=True)
    source = workdir / "history.om"
    source.write_text(openmetrics(series), encoding="utf-8")
    argv = [promtool, "tsdb", "create-blocks-from", "openmetrics", "--quiet"]
    help_text = subprocess.run(
        [promtool, "tsdb", "create-blocks-from", "openmetrics", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    if "--max-block-duration" in help_text.stdout + help_text.stderr:
        argv.append("--max-block-duration=744h")  # a year of history in few blocks (>= 2.43)
    backfill = subprocess.run(
        [*argv, str(source), str(data)], capture_output=True, text=True, check=False
    )
    if backfill.returncode != 0:
        pytest.fail(f"promtool backfill failed:\n{backfill.stdout}\n{backfill.stderr}")
    config = workdir / "prometheus.yml"
    config.write_text("global:\n  scrape_interval: 1m\nscrape_configs: []\n", encoding="utf-8")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    argv = [
        prometheus,
        f"--config.file={config}",
        f"--storage.tsdb.path={data}",
        "--storage.tsdb.retention.time=100y",
        f"--web.listen-address=127.0.0.1:{port}",
    ]
    with _process(argv, f"{url}/-/ready", "prometheus"):
        yield url


@contextlib.contextmanager
def victoria_metrics_server(workdir: Path, series: Sequence[Series]) -> Iterator[str]:
    """Yield the base URL of a VictoriaMetrics holding ``series`` (imported, flushed)."""
    if not Path(VICTORIA_METRICS).exists() and not _packaged("victoria-metrics"):
        pytest.skip("victoria-metrics is not packaged for this Debian release (apt-cache policy)")
    binary = require(VICTORIA_METRICS, "victoria-metrics")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    argv = [
        binary,
        f"-storageDataPath={workdir / 'vm-data'}",
        f"-httpListenAddr=127.0.0.1:{port}",
        "-retentionPeriod=100y",
        "-search.disableCache",
        "-loggerLevel=WARN",
    ]
    with _process(argv, f"{url}/health", "victoria-metrics"):
        body = prometheus_text(series).encode()
        request = urllib.request.Request(
            f"{url}/api/v1/import/prometheus", data=body, method="POST"
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status in (200, 204), response.status
        with urllib.request.urlopen(f"{url}/internal/force_flush", timeout=30):
            pass
        yield url
