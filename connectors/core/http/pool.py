"""Bounded concurrency for connectors: a thread pool that stops at the first failure."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def bounded_map(fn: Callable[[T], R], items: Sequence[T], workers: int) -> Iterator[R]:
    """Yield ``fn(item)`` for every item, in completion order, with at most ``workers`` threads.

    At most ``2 × workers`` calls are queued at a time, so a failure stops the run quickly:
    the first exception cancels everything not yet started and is re-raised here (after the
    calls already running have finished, so no thread outlives the sync).
    """
    if workers <= 1:
        for item in items:
            yield fn(item)
        return
    pending: set[Future[R]] = set()
    queue = iter(items)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="connector") as pool:
        try:
            for item in queue:
                pending.add(pool.submit(fn, item))
                if len(pending) >= 2 * workers:
                    break
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield future.result()
                    following = next(queue, None)
                    if following is not None:
                        pending.add(pool.submit(fn, following))
        finally:
            for future in pending:
                future.cancel()
