"""In-process fan-out of chat events to everyone watching a chat.

Each open connection subscribes to a chat and gets its own queue; publishing puts the event on
every queue of that chat. The store stays the record (every message is written before it is
published), so a reconnecting client reloads the transcript and misses nothing.

A hub serves one process. :class:`~asbhub.contact.relay.ChatRelay` carries events between the
processes of ``asbhub serve --workers N``; the same event can then reach a hub twice (published
here and read back from the store), so the hub passes each message id and each status on once.
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
        # What each watched chat's subscribers were already sent: message ids, last status.
        self._sent: dict[int, set[int]] = {}
        self._status: dict[int, Event] = {}
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
                        self._sent.pop(chat_id, None)
                        self._status.pop(chat_id, None)

    def _first_time(self, chat_id: int, event: Event) -> bool:
        kind = event.get("type")
        if kind == "message" and isinstance(event.get("id"), int):
            sent = self._sent.setdefault(chat_id, set())
            if event["id"] in sent:
                return False
            sent.add(event["id"])
        elif kind == "status":
            if self._status.get(chat_id) == event:
                return False
            self._status[chat_id] = event
        return True

    def publish(self, chat_id: int, event: Event) -> int:
        """Queue ``event`` for every subscriber of ``chat_id``; returns how many were sent it
        (none when it is a message or status they were already sent)."""
        with self._lock:
            entries = list(self._subscribers.get(chat_id, ()))
            if not entries or not self._first_time(chat_id, event):
                return 0
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

    def watched(self) -> list[int]:
        """The chats somebody in this process is watching."""
        with self._lock:
            return list(self._subscribers)
