"""Writing prepared files on several database connections at once (PostgreSQL ingest).

The server's share of an ingest (COPY, index upkeep, ANALYZE) is most of its CPU, and one
connection is one server process: on two cores a second connection writing other files lets
the server use both. Files that name the same key (a force-month) always go to the same
connection, in their order, so "already loaded", "changed" and ``--replace`` decide exactly
as they do one file at a time; other files go to the connection with the fewest rows waiting.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Generic, TypeVar

from sqlalchemy import Connection

T = TypeVar("T")

QUEUED_PER_WRITER = 2  # prepared files waiting per connection (bounds memory)


class FanOut(Generic[T]):
    """Hands items to one writer thread per connection; ``write`` runs on that thread.

    ``done`` is called under a lock as each item is written (in the order of writing, which
    between connections differs from the input's); the first error a writer raises stops the
    run and is raised again by :meth:`run` once every writer has stopped.
    """

    def __init__(
        self,
        conns: Sequence[Connection],
        write: Callable[[Connection, T], None],
        done: Callable[[int, T], None],
    ) -> None:
        self._conns = conns
        self._write = write
        self._done = done
        self._queues: list[queue.Queue[tuple[int, int, T] | None]] = [
            queue.Queue(QUEUED_PER_WRITER) for _ in conns
        ]
        self._waiting = [0] * len(conns)  # rows queued or being written, per connection
        self._owner: dict[Hashable, int] = {}
        self._lock = threading.Lock()
        self._error: BaseException | None = None

    def run(self, items: Iterable[tuple[Hashable | None, int, T]]) -> None:
        """Write every ``(key, rows, item)``; a None key may go to any connection."""
        threads = [
            threading.Thread(target=self._work, args=(k,), name=f"ingest-writer-{k}", daemon=True)
            for k in range(len(self._conns))
        ]
        for t in threads:
            t.start()
        try:
            for index, (key, rows, item) in enumerate(items):
                if self._error is not None:
                    break
                self._queues[self._writer_for(key, rows)].put((index, rows, item))
        finally:
            for q in self._queues:
                q.put(None)
            for t in threads:
                t.join()
        if self._error is not None:
            raise self._error

    def _writer_for(self, key: Hashable | None, rows: int) -> int:
        with self._lock:
            k = self._owner.get(key) if key is not None else None
            if k is None:
                k = min(range(len(self._conns)), key=self._waiting.__getitem__)
                if key is not None:
                    self._owner[key] = k
            self._waiting[k] += rows
            return k

    def _work(self, k: int) -> None:
        conn, q = self._conns[k], self._queues[k]
        while (entry := q.get()) is not None:
            index, rows, item = entry
            if self._error is not None:
                continue  # keep taking items so that the producer never blocks on a full queue
            try:
                self._write(conn, item)
                with self._lock:
                    self._waiting[k] -= rows
                    self._done(index, item)
            except BaseException as exc:  # any error: run() raises it again
                self._error = self._error or exc
