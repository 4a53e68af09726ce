"""In-process fan-out of chat events to everyone watching a chat.

Each open connection subscribes to a chat and gets its own queue; publishing puts the event on
every queue of that chat. The store stays the record (every message is written before it is
published), so a reconnecting client reloads the transcript and misses nothing.

This hub lives in one process: run the web app with one worker per database when live chat is
used, or put a broker (PostgreSQL ``LISTEN/NOTIFY``, Redis) behind the same two methods.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

Event = dict[str, Any]


def _offer(queue: asyncio.Queue[Event], event: Event) -> None:
    # A client that stopped reading loses live events, not the transcript.
    with contextlib.suppress(asyncio.QueueFull):
        queue.put_nowait(event)


class ChatHub:
    """Subscribers are (event loop, queue) pairs, so publishing is safe from any thread."""

    def __init__(self) -> None:
        self._subscribers: dict[int, set[tuple[asyncio.AbstractEventLoop, asyncio.Queue[Event]]]]
        self._subscribers = defaultdict(set)
        self._lock = threading.Lock()

    @asynccontextmanager
    async def subscribe(self, chat_id: int) -> AsyncIterator[asyncio.Queue[Event]]:
        queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=1000)
        entry = (asyncio.get_running_loop(), queue)
        with self._lock:
            self._subscribers[chat_id].add(entry)
        try:
            yield queue
        finally:
            with self._lock:
                subs = self._subscribers.get(chat_id)
                if subs is not None:
                    subs.discard(entry)
                    if not subs:
                        del self._subscribers[chat_id]

    def publish(self, chat_id: int, event: Event) -> int:
        """Queue ``event`` for every subscriber of ``chat_id``; returns how many were sent it."""
        with self._lock:
            entries = list(self._subscribers.get(chat_id, ()))
        try:
            current: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            current = None
        for loop, queue in entries:
            if loop is current:
                _offer(queue, event)
            else:
                with contextlib.suppress(RuntimeError):  # that loop has already closed
                    loop.call_soon_threadsafe(_offer, queue, event)
        return len(entries)

    def watchers(self, chat_id: int) -> int:
        with self._lock:
            return len(self._subscribers.get(chat_id, ()))
