"""In-process fan-out of chat events to everyone watching a chat.

Each open connection subscribes to a chat and gets its own queue; publishing puts the event on
every queue of that chat. The store stays the record (every message is written before it is
published), so a reconnecting client reloads the transcript and misses nothing.

This hub lives in one process: run the web app with one worker per database when live chat is
used, or put a broker (PostgreSQL ``LISTEN/NOTIFY``, Redis) behind the same two methods.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

Event = dict[str, Any]


class ChatHub:
    def __init__(self) -> None:
        self._subscribers: dict[int, set[asyncio.Queue[Event]]] = defaultdict(set)

    @asynccontextmanager
    async def subscribe(self, chat_id: int) -> AsyncIterator[asyncio.Queue[Event]]:
        queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=1000)
        self._subscribers[chat_id].add(queue)
        try:
            yield queue
        finally:
            subs = self._subscribers.get(chat_id)
            if subs is not None:
                subs.discard(queue)
                if not subs:
                    del self._subscribers[chat_id]

    def publish(self, chat_id: int, event: Event) -> int:
        """Queue ``event`` for every subscriber of ``chat_id``; returns how many got it."""
        delivered = 0
        for queue in list(self._subscribers.get(chat_id, ())):
            try:
                queue.put_nowait(event)
                delivered += 1
            except asyncio.QueueFull:
                # A client that stopped reading loses live events, not the transcript.
                continue
        return delivered

    def watchers(self, chat_id: int) -> int:
        return len(self._subscribers.get(chat_id, ()))
