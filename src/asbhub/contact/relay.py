"""Live chat events between the processes of one app (``asbhub serve --workers N``).

The public and the call handler of one chat may be connected to different worker processes,
each with its own :class:`~asbhub.contact.hub.ChatHub`. The relay carries what one process
publishes to the others, through the database every worker already shares:

- PostgreSQL: ``NOTIFY asbhub_chat`` with the event, sent after the line is committed; each
  process ``LISTEN``\\ s on its own connection (reconnecting if the server restarts) and hands
  what other processes sent to its hub.
- SQLite has no notifications: each process reads the store every ``poll_seconds`` for new
  lines and status changes of the chats somebody in it is watching. SQLite has one writer, so
  message ids are committed in order and "ids above the last one read" misses none.

Events published in this process reach its own subscribers at once, whatever the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import queue
import threading
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import psycopg
from sqlalchemy import Engine, func, select

from asbhub.contact.hub import ChatHub, Event
from asbhub.contact.models import Chat, ChatMessage, ChatSender
from asbhub.store.engine import session_scope

CHANNEL = "asbhub_chat"
# PostgreSQL refuses a NOTIFY payload of 8,000 bytes or more: a longer line is sent as its id
# and read back from the store by the receiving processes.
PAYLOAD_LIMIT = 7_900

log = logging.getLogger("asbhub.contact")


def message_event(msg: ChatMessage, chat: Chat) -> Event:
    names = {
        ChatSender.PUBLIC: chat.display_name or "Member of the public",
        ChatSender.HANDLER: chat.handler_name or "Call handler",
        ChatSender.SYSTEM: "Essex Police",
    }
    return {
        "type": "message",
        "id": msg.id,
        "sender": msg.sender.value,
        "name": names[msg.sender],
        "body": msg.body,
        "sent_at": msg.sent_at.isoformat(timespec="seconds"),
    }


def status_event(chat: Chat) -> Event:
    return {
        "type": "status",
        "status": chat.status.value,
        "handler_name": chat.handler_name,
        "incident_id": chat.incident_id,
    }


class ChatRelay:
    """The process's hub, and the link to the other processes' hubs (see the module)."""

    def __init__(self, engine: Engine, *, poll_seconds: float = 0.5) -> None:
        self.hub = ChatHub()
        self.engine = engine
        self.poll_seconds = poll_seconds
        self.origin = uuid.uuid4().hex
        self._postgres = engine.dialect.name == "postgresql"
        # SQLite: per watched chat, its force and the last message id read from the store.
        self._marks: dict[int, tuple[str, int]] = {}
        self._lock = threading.Lock()
        self._outbox: queue.SimpleQueue[str | None] | None = None
        self._stop = threading.Event()
        self._users = 0
        self._tasks: list[asyncio.Task[None]] = []
        self._threads: list[threading.Thread] = []

    # --- publishing ------------------------------------------------------------------------

    def publish(self, chat_id: int, event: Event) -> None:
        """Send ``event`` (already stored) to everyone watching ``chat_id``, in any process."""
        self.hub.publish(chat_id, event)
        if self._outbox is not None:
            self._outbox.put(self._payload(chat_id, event))

    def _payload(self, chat_id: int, event: Event) -> str:
        payload = json.dumps({"o": self.origin, "c": chat_id, "e": event}, ensure_ascii=False)
        if len(payload.encode()) <= PAYLOAD_LIMIT:
            return payload
        return json.dumps({"o": self.origin, "c": chat_id, "m": event.get("id")})

    def watching(self, chat_id: int, *, force_code: str, last_id: int) -> None:
        """A connection read the transcript of ``chat_id`` up to ``last_id``: lines after it
        still have to reach it."""
        with self._lock:
            mark = self._marks.get(chat_id)
            self._marks[chat_id] = (force_code, last_id if mark is None else min(mark[1], last_id))

    # --- running -----------------------------------------------------------------------------

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Link this process to the others while the app runs (its lifespan; entered again by
        a second test client of the same app, which shares the first one's link)."""
        with self._lock:
            self._users += 1
            first = self._users == 1
        if first:
            self._start()
        try:
            yield
        finally:
            with self._lock:
                self._users -= 1
                last = self._users == 0
            if last:
                await self._finish()

    def _start(self) -> None:
        if not self._postgres:
            self._tasks = [asyncio.create_task(self._poll())]
            return
        self._stop.clear()
        self._outbox = queue.SimpleQueue()
        self._threads = [
            threading.Thread(target=self._send, args=(self._outbox,), daemon=True),
            threading.Thread(target=self._listen, daemon=True),
        ]
        for t in self._threads:
            t.start()

    async def _finish(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        if self._outbox is not None:
            self._stop.set()
            self._outbox.put(None)
            self._outbox = None
            await asyncio.to_thread(self._wake_listener)
        for t in self._threads:
            await asyncio.to_thread(t.join, 5)
        self._threads = []

    # --- PostgreSQL ----------------------------------------------------------------------------

    def _dsn(self) -> str:
        return self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)

    def _send(self, outbox: queue.SimpleQueue[str | None]) -> None:
        done = False
        while not done:
            batch = [outbox.get()]
            with contextlib.suppress(queue.Empty):
                while batch[-1] is not None:
                    batch.append(outbox.get_nowait())
            if batch[-1] is None:
                done = True
                batch.pop()
            if not batch:
                continue
            try:
                with self.engine.connect() as conn:
                    for payload in batch:
                        conn.execute(select(func.pg_notify(CHANNEL, payload)))
                    conn.commit()
            except Exception as exc:  # the database is down: the transcript still has the lines
                log.warning("chat.relay_send_failed", extra={"type": type(exc).__name__})

    @property
    def _wake_channel(self) -> str:
        return f"{CHANNEL}_wake_{self.origin}"

    def _wake_listener(self) -> None:
        """End the listener's wait for notifications now rather than at its next timeout (a
        second at each app shutdown, which every PostgreSQL test client paid)."""
        try:
            with self.engine.connect() as conn:
                conn.execute(select(func.pg_notify(self._wake_channel, "")))
                conn.commit()
        except Exception as exc:  # the database is down: the listener's timeout ends it
            log.warning("chat.relay_wake_failed", extra={"type": type(exc).__name__})

    def _listen(self) -> None:
        while not self._stop.is_set():
            try:
                with psycopg.connect(self._dsn(), autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    conn.execute(f"LISTEN {self._wake_channel}")
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=1.0):
                            if note.channel != CHANNEL:
                                break
                            self._received(note.payload)
            except psycopg.Error as exc:
                # The server restarted or is down: listen again once it is back.
                log.warning("chat.relay_listen_failed", extra={"type": type(exc).__name__})
                self._stop.wait(1.0)

    def _received(self, payload: str) -> None:
        try:
            data = json.loads(payload)
            if data["o"] == self.origin:
                return
            chat_id = int(data["c"])
            event = data.get("e")
            if event is None and self.hub.watchers(chat_id):
                event = self._stored_message(chat_id, int(data["m"]))
        except (ValueError, KeyError, TypeError):
            log.warning("chat.relay_bad_payload")
            return
        if event is not None:
            self.hub.publish(chat_id, event)

    def _stored_message(self, chat_id: int, message_id: int) -> Event | None:
        with session_scope(self.engine) as session:
            row = session.execute(
                select(ChatMessage, Chat)
                .join(
                    Chat,
                    (Chat.id == ChatMessage.chat_id) & (Chat.force_code == ChatMessage.force_code),
                )
                .where(ChatMessage.id == message_id, ChatMessage.chat_id == chat_id)
            ).first()
            return message_event(row[0], row[1]) if row is not None else None

    # --- SQLite --------------------------------------------------------------------------------

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.poll_seconds)
            watched = set(self.hub.watched())
            with self._lock:
                for gone in set(self._marks) - watched:
                    del self._marks[gone]
                marks = dict(self._marks)
            if not marks:
                continue
            try:
                found = await asyncio.to_thread(self._changes, marks)
            except Exception as exc:  # locked or unreadable for now: the next round tries again
                log.warning("chat.relay_poll_failed", extra={"type": type(exc).__name__})
                continue
            for chat_id, events in found.items():
                for event in events:
                    self.hub.publish(chat_id, event)

    def _changes(self, marks: dict[int, tuple[str, int]]) -> dict[int, list[Event]]:
        """New lines after each chat's mark, then its status; moves the marks on."""
        found: dict[int, list[Event]] = {}
        with session_scope(self.engine) as session:
            for chat_id, (force_code, after) in marks.items():
                chat = session.scalar(
                    select(Chat).where(Chat.id == chat_id, Chat.force_code == force_code)
                )
                if chat is None:
                    continue
                lines = list(
                    session.scalars(
                        select(ChatMessage)
                        .where(
                            ChatMessage.chat_id == chat_id,
                            ChatMessage.force_code == force_code,
                            ChatMessage.id > after,
                        )
                        .order_by(ChatMessage.id)
                    )
                )
                found[chat_id] = [*(message_event(m, chat) for m in lines), status_event(chat)]
                if lines:
                    with self._lock:
                        mark = self._marks.get(chat_id)
                        if mark is not None:
                            self._marks[chat_id] = (force_code, max(mark[1], lines[-1].id))
        return found
