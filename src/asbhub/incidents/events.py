"""The "incident recorded" event: how later capabilities learn of new incidents.

:func:`asbhub.incidents.service.record_incident` and its bulk form emit one
:class:`IncidentsRecorded` per call, inside the transaction that wrote the incidents, after the
rows and their audit event are written. A subscriber (triage scores new incidents) receives the
same connection, so what it writes commits or rolls back with the incidents themselves; an
exception in a subscriber aborts the whole recording.

The registry is in-process and ordered: subscribers run in the order they subscribed. A package
subscribes once at import (``subscribe(on_recorded)`` at module level); tests use
:func:`subscribed` to add one for a block.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Connection


@dataclass(frozen=True)
class IncidentsRecorded:
    """Incidents just stored, all of one force and one recording call.

    ``source`` says which writer recorded them: ``online`` (the public form), ``live_chat``
    (a chat conversion), ``import`` (``asbhub ingest incidents``) or ``generated`` (the demo
    generator, whose incidents are historical and already closed).
    """

    force_code: str
    incident_ids: tuple[int, ...]
    source: str
    # When the writer has them at hand (one incident), the incidents' received_at in the
    # order of incident_ids, so a subscriber need not read them back.
    received_at: tuple[dt.datetime, ...] = ()

    @property
    def bulk(self) -> bool:
        return self.source in ("import", "generated")


Subscriber = Callable[[Connection, IncidentsRecorded], None]

_subscribers: list[Subscriber] = []
_lock = threading.Lock()


def subscribe(fn: Subscriber) -> Subscriber:
    """Call ``fn(connection, event)`` for every recording from now on; usable as a decorator."""
    with _lock:
        if fn not in _subscribers:
            _subscribers.append(fn)
    return fn


def unsubscribe(fn: Subscriber) -> None:
    with _lock:
        if fn in _subscribers:
            _subscribers.remove(fn)


@contextmanager
def subscribed(fn: Subscriber) -> Iterator[Subscriber]:
    """Subscribe ``fn`` for the duration of a ``with`` block."""
    subscribe(fn)
    try:
        yield fn
    finally:
        unsubscribe(fn)


def emit(conn: Connection, event: IncidentsRecorded) -> None:
    """Hand ``event`` to every subscriber, in order, on the recording's connection."""
    if not event.incident_ids:
        return
    with _lock:
        current = list(_subscribers)
    for fn in current:
        fn(conn, event)
