"""A tiny HTTP server in a thread whose answers come from a Python function (no mocks)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from tests.servers.fake import FakeApi, Incoming, Reply

# (path, query parameters, request headers) -> (status, response headers, body)
Route = Callable[[str, dict[str, str], dict[str, str]], tuple[int, dict[str, str], str]]


class _Scripted(FakeApi):
    def __init__(self, route: Route) -> None:
        super().__init__()
        self.route = route
        self.log: list[tuple[str, dict[str, str]]] = []

    def reply(self, incoming: Incoming) -> Reply:
        return self.route(incoming.path, incoming.params(), dict(incoming.headers.items()))


@contextmanager
def scripted_server(route: Route) -> Iterator[tuple[str, list[tuple[str, dict[str, str]]]]]:
    """Yield (base URL, request log) of a server answering with ``route``."""
    fake = _Scripted(route)
    with fake.running():
        yield fake.url, fake.log
