"""Progress reporting: a bar for people, JSON lines for programs (the Streamlit app).

``--progress json`` prints one JSON object per line on stdout, so the app can run the CLI as a
subprocess and draw its own bar without ever calling a source API. Events, in order::

    {"event": "start", "sources": ["prometheus", "sonarqube"]}
    {"event": "source_start", "source": "prometheus", "type": "prometheus"}
    {"event": "progress", "source": "prometheus", "done": 3, "total": 12, "unit": "services"}
    {"event": "source_end", "source": "prometheus", "status": "success", "rows": {...}, ...}
    {"event": "summary", "ok": true, "seconds": 1.9, "rows": {...}, "sources": [...]}

A failed source's ``source_end`` carries ``"error"``: the same one line printed on stderr.
Every text passes through :func:`connectors.core.redact.redact` before it is written.
"""

from __future__ import annotations

import json
import sys
import threading
import time
import unicodedata
from typing import Any, Protocol, TextIO

from connectors.core.redact import redact
from connectors.core.results import SourceResult, SyncSummary
from i18n import _


class Reporter(Protocol):
    def run_start(self, sources: list[str]) -> None: ...

    def source_start(self, source: str, kind: str) -> None: ...

    def progress(self, source: str, done: int, total: int, unit: str) -> None: ...

    def warning(self, source: str, message: str) -> None: ...

    def source_end(self, result: SourceResult) -> None: ...

    def summary(self, summary: SyncSummary) -> None: ...


class SourceProgress:
    """The :class:`~connectors.core.base.ProgressSink` handed to one connector run (thread-safe)."""

    def __init__(self, reporter: Reporter, source: str) -> None:
        self._reporter, self._source = reporter, source
        self._lock = threading.Lock()
        self.total, self.done, self.unit = 0, 0, "items"

    def start(self, total: int, unit: str) -> None:
        with self._lock:
            self.total, self.done, self.unit = total, 0, unit
            self._reporter.progress(self._source, 0, total, unit)

    def advance(self, done: int = 1) -> None:
        with self._lock:
            self.done += done
            self._reporter.progress(self._source, self.done, self.total, self.unit)


def _write(stream: TextIO, text: str) -> None:
    stream.write(redact(text))
    stream.flush()


class TextReporter:
    """Human output on stderr: a redrawn bar on a terminal, a line per 10 % otherwise."""

    WIDTH = 28

    def __init__(self, stream: TextIO | None = None, *, bar: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.bar = self.stream.isatty() if bar is None else bar
        self._last_step: dict[str, int] = {}
        self._open_bar = False
        self._started = 0.0

    def run_start(self, sources: list[str]) -> None:
        self._started = time.monotonic()
        if not sources:
            _write(self.stream, _("no sources to sync") + "\n")

    def source_start(self, source: str, kind: str) -> None:
        _write(
            self.stream, _("{source} ({kind}): syncing…").format(source=source, kind=kind) + "\n"
        )

    def progress(self, source: str, done: int, total: int, unit: str) -> None:
        if total <= 0:
            return
        fraction = min(1.0, done / total)
        if self.bar:
            filled = round(fraction * self.WIDTH)
            bar = "#" * filled + "-" * (self.WIDTH - filled)
            line = f"\r  {source} [{bar}] {fraction:4.0%} {done}/{total} {unit}"
            _write(self.stream, line)
            self._open_bar = True
            return
        step = int(fraction * 10)
        if self._last_step.get(source) != step:
            self._last_step[source] = step
            _write(self.stream, f"  {source}: {done}/{total} {unit} ({fraction:.0%})\n")

    def _close_bar(self) -> None:
        if self._open_bar:
            _write(self.stream, "\n")
            self._open_bar = False

    def warning(self, source: str, message: str) -> None:
        self._close_bar()
        line = _("  warning: {source}: {message}").format(source=source, message=message)
        _write(self.stream, line + "\n")

    def source_end(self, result: SourceResult) -> None:
        self._close_bar()
        if result.ok:
            rows = ", ".join(f"{t} {n}" for t, n in sorted(result.rows.items())) or _("no new rows")
            line = _("  {source}: ok — {rows}; {requests} requests, {seconds} s").format(
                source=result.source,
                rows=rows,
                requests=result.requests,
                seconds=f"{result.seconds:.1f}",
            )
            _write(self.stream, line + "\n")
        else:
            _write(self.stream, f"{result.error}\n")

    def summary(self, summary: SyncSummary) -> None:
        head = [_("source"), _("status"), _("rows"), _("requests"), _("seconds")]
        cells = " ".join(_pad(word, width) for word, width in zip(head, WIDTHS, strict=True))
        lines = ["", cells.rstrip()]
        for r in summary.results:
            lines.append(
                f"{r.source:<16} {r.status:<8} {r.rows_written:>5}  {r.requests:>8}  "
                f"{r.seconds:>7.1f}"
            )
        for table, count in sorted(summary.rows_by_table().items()):
            lines.append(_("  {table}: {count} rows").format(table=table, count=count))
        failed = [r.source for r in summary.results if not r.ok]
        verdict = (
            _("{failed} of {total} failed").format(failed=len(failed), total=len(summary.results))
            if failed
            else _("all ok")
        )
        lines.append(
            _("sync finished in {seconds} s: {verdict}").format(
                seconds=f"{summary.seconds:.1f}", verdict=verdict
            )
        )
        _write(self.stream, "\n".join(lines) + "\n")


WIDTHS = (16, 8, 5, 9, 8)  # the summary table's columns: source, status, rows, requests, seconds


def _pad(text: str, width: int) -> str:
    """``text`` padded to ``width`` terminal columns (a Chinese character takes two)."""
    used = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(0, width - used)


class JsonReporter:
    """JSON lines on stdout (see the module docstring); the error line also goes to stderr."""

    def __init__(self, stream: TextIO | None = None, errors: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout
        self.errors = errors or sys.stderr
        self._lock = threading.Lock()

    def _emit(self, event: str, **fields: Any) -> None:
        text = json.dumps({"event": event, **fields}, ensure_ascii=False, default=str)
        with self._lock:
            _write(self.stream, text + "\n")

    def run_start(self, sources: list[str]) -> None:
        self._emit("start", sources=sources)

    def source_start(self, source: str, kind: str) -> None:
        self._emit("source_start", source=source, type=kind)

    def progress(self, source: str, done: int, total: int, unit: str) -> None:
        self._emit("progress", source=source, done=done, total=total, unit=unit)

    def warning(self, source: str, message: str) -> None:
        self._emit("warning", source=source, message=message)

    def source_end(self, result: SourceResult) -> None:
        self._emit("source_end", **result.as_dict())
        if not result.ok:
            _write(self.errors, f"{result.error}\n")

    def summary(self, summary: SyncSummary) -> None:
        self._emit("summary", **summary.as_dict())


class NullReporter:
    """Silent, except the one error line per failed source on stderr."""

    def __init__(self, errors: TextIO | None = None) -> None:
        self.errors = errors or sys.stderr

    def run_start(self, sources: list[str]) -> None:
        pass

    def source_start(self, source: str, kind: str) -> None:
        pass

    def progress(self, source: str, done: int, total: int, unit: str) -> None:
        pass

    def warning(self, source: str, message: str) -> None:
        pass

    def source_end(self, result: SourceResult) -> None:
        if not result.ok:
            _write(self.errors, f"{result.error}\n")

    def summary(self, summary: SyncSummary) -> None:
        pass


def make_reporter(mode: str) -> Reporter:
    """``auto`` (bar on a terminal, lines otherwise), ``bar``, ``plain``, ``json`` or ``none``."""
    if mode == "json":
        return JsonReporter()
    if mode == "none":
        return NullReporter()
    if mode == "bar":
        return TextReporter(bar=True)
    if mode == "plain":
        return TextReporter(bar=False)
    return TextReporter()
