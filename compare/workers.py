"""Both cores: pure per-item work (an event's diverge, a report page, a chunk of documents) in a
pool of processes, results back in input order.

One worker runs the work in this process; more run it in fresh (`spawn`ed) processes, so no
DuckDB connection, model or thread is inherited. The store is only ever touched by the calling
process: workers get frames in and give frames (or text) back. Each worker does numpy's linear
algebra on one thread (`one_blas_thread`), as the calling process does around the same work, so
1 or N workers give the same bits.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import AbstractContextManager
from typing import TypeVar

from threadpoolctl import threadpool_limits

T = TypeVar("T")
R = TypeVar("R")

AHEAD = 2  # items in flight per worker: enough to keep a worker busy, bounded memory


def default_workers() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0))


def one_blas_thread() -> AbstractContextManager:
    """numpy's BLAS on one thread: a matrix product's bits do not depend on the thread count."""
    return threadpool_limits(limits=1, user_api="blas")


def _start_worker() -> None:
    # Ctrl-C reaches the whole process group: the calling process alone handles it (it stops
    # submitting, and the pool finishes the items it runs and shuts down).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = "1"
    threadpool_limits(limits=1)


def _pool(workers: int) -> ProcessPoolExecutor:
    context = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker)


def imap(fn: Callable[[T], R], items: Iterable[T], workers: int = 1) -> Iterator[R]:
    """`map(fn, items)` on `workers` processes, in input order, at most `AHEAD` items per
    worker submitted ahead of the one being returned. `fn` must be a module-level function; an
    exception in a worker is raised here, and the pool is shut down (pending items cancelled)
    when the caller stops iterating. A list of at most one item runs in this process."""
    if workers <= 1 or (isinstance(items, list) and len(items) <= 1):
        yield from map(fn, items)
        return
    with _pool(workers) as pool:
        pending: deque[Future[R]] = deque()
        try:
            for item in items:
                pending.append(pool.submit(fn, item))
                if len(pending) >= workers * AHEAD:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()


def imap_unordered(
    fn: Callable[[T], R],
    items: Iterable[T],
    workers: int = 1,
    *,
    ahead: int = AHEAD,
    weight: Callable[[T], int] | None = None,
    budget: int = 0,
) -> Iterator[R]:
    """`imap`, each result as soon as it is done: a long item holds back no other, so a worker
    that finishes takes the next item while the other still works on its long one (in input
    order, the window fills up behind the long item and the other worker waits).

    `workers * AHEAD` items are always allowed in flight, as in `imap`; up to `workers * ahead`
    while their `weight` adds up to at most `budget`, so that many small items keep the workers
    busy while the caller is away (writing), and large ones (large results) are not held more
    than `imap` holds. One process (`workers <= 1`) returns the results in input order."""
    if workers <= 1 or (isinstance(items, list) and len(items) <= 1):
        yield from map(fn, items)
        return

    def full(running: dict[Future[R], int]) -> bool:
        return len(running) >= workers * max(ahead, AHEAD) or (
            len(running) >= workers * AHEAD and sum(running.values()) > budget
        )

    with _pool(workers) as pool:
        running: dict[Future[R], int] = {}
        try:
            for item in items:
                running[pool.submit(fn, item)] = weight(item) if weight else 0
                while full(running):
                    yield from _done(running)
            while running:
                yield from _done(running)
        finally:
            for future in running:
                future.cancel()


def _done(running: dict[Future[R], int]) -> Iterator[R]:
    """The results of the items of `running` done next (at least one), taken out of it."""
    done, _ = wait(running, return_when=FIRST_COMPLETED)
    for future in done:
        del running[future]
        yield future.result()
