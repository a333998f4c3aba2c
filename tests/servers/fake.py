"""The mechanics shared by the fake APIs: a stdlib HTTP server in a thread, a request log and
scripted faults.

A fake subclasses :class:`FakeApi` and implements :meth:`FakeApi.reply` (status, headers, body
text) for one request; the base logs the request (:meth:`FakeApi.log_entry`, a tuple starting
with the path by default), waits :attr:`FakeApi.delay`, serves the next scripted
:class:`Fault` for the path if there is one, and otherwise sends what ``reply`` returns with a
Content-Length.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, Self
from urllib.parse import parse_qs, urlsplit

# (status, response headers, body)
Reply = tuple[int, dict[str, str], str]


@dataclass
class Fault:
    status: int | None  # None: the normal answer, plus these headers
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] | None = None  # only for requests carrying these parameters


@dataclass
class Incoming:
    """One request as the handler received it."""

    method: str
    path: str
    query: str
    headers: Message  # case-insensitive ``get``, as http.server parsed them
    body: bytes = b""

    def multi(self, *, keep_blank: bool = False) -> dict[str, list[str]]:
        return parse_qs(self.query, keep_blank_values=keep_blank)

    def params(self, *, keep_blank: bool = False) -> dict[str, str]:
        """The query parameters, the last value of each."""
        return {k: v[-1] for k, v in self.multi(keep_blank=keep_blank).items()}


class FakeApi:
    """The state every fake shares; use :meth:`running` to serve it."""

    methods: ClassVar[tuple[str, ...]] = ("GET",)
    server_headers: ClassVar[dict[str, str]] = {}  # sent first in every answer, faults too

    def __init__(self, *, delay: float = 0.0) -> None:
        self.delay = delay
        self.log: list[Any] = []
        self._faults: dict[str, list[Fault]] = {}
        self._lock = threading.Lock()
        self.origin = ""

    @property
    def url(self) -> str:
        return self.origin

    def fail(self, path: str, *faults: Fault) -> None:
        """Serve ``faults`` (in order) for the next (matching) requests to ``path``."""
        with self._lock:
            self._faults.setdefault(path, []).extend(faults)

    def _next_fault(self, path: str, params: dict[str, str]) -> Fault | None:
        with self._lock:
            queue = self._faults.get(path, [])
            for index, fault in enumerate(queue):
                wanted = fault.params or {}
                if all(params.get(k) == v for k, v in wanted.items()):
                    return queue.pop(index)
        return None

    def requests(self, path: str | None = None) -> list[Any]:
        """The log entries (of requests to ``path``)."""
        with self._lock:
            return [e for e in self.log if path is None or _path_of(e) == path]

    def paths(self) -> list[str]:
        with self._lock:
            return [_path_of(e) for e in self.log]

    def reset_log(self) -> None:
        with self._lock:
            self.log.clear()

    @contextmanager
    def running(self) -> Iterator[Self]:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        self.origin = f"http://127.0.0.1:{server.server_address[1]}"
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()
            thread.join(5)

    def serve_until_interrupted(self) -> None:
        """Serve until Ctrl-C or a kill; prints the URL on the first line of stdout."""
        with self.running():
            print(self.url, flush=True)
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass

    # -- what a fake overrides ------------------------------------------------------------

    def log_entry(self, incoming: Incoming) -> Any:
        return (incoming.path, incoming.params())

    def record(self, incoming: Incoming) -> None:
        entry = self.log_entry(incoming)
        with self._lock:
            self.log.append(entry)

    def fault_path(self, incoming: Incoming) -> str | None:
        """The path faults are scripted under; None: no fault for this request."""
        return incoming.path

    def fault_reply(self, fault: Fault) -> Reply:
        assert fault.status is not None
        return fault.status, fault.headers, fault.body

    def reply(self, incoming: Incoming) -> Reply:
        raise NotImplementedError

    # -- serving ----------------------------------------------------------------------------

    def handle(self, incoming: Incoming) -> Reply:
        self.record(incoming)
        if self.delay:
            time.sleep(self.delay)
        path = self.fault_path(incoming)
        fault = None if path is None else self._next_fault(path, incoming.params())
        if fault is not None and fault.status is not None:
            return self.fault_reply(fault)
        status, headers, body = self.reply(incoming)
        if fault is not None:
            headers = {**headers, **fault.headers}
        return status, headers, body


def _path_of(entry: Any) -> str:
    """A log entry is a tuple starting with the path, or an object with a ``path``."""
    return entry[0] if isinstance(entry, tuple) else entry.path


def _handler(fake: FakeApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out in separate writes

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def serve(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            incoming = Incoming(method, parts.path, parts.query, self.headers, body)
            self._send(*fake.handle(incoming))

        def _send(self, status: int, headers: dict[str, str], body: str) -> None:
            data = body.encode()
            self.send_response(status)
            for name, value in (*fake.server_headers.items(), *headers.items()):
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    for method in fake.methods:
        setattr(Handler, f"do_{method}", lambda self, method=method: self.serve(method))
    return Handler
