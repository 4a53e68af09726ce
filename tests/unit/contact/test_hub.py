"""The chat hub fans events out to every subscriber of a chat, from any thread."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

from asbhub.contact.hub import ChatHub


def test_publish_reaches_every_subscriber_of_that_chat_only() -> None:
    async def scenario() -> None:
        hub = ChatHub()
        async with hub.subscribe(1) as a, hub.subscribe(1) as b, hub.subscribe(2) as other:
            assert hub.watchers(1) == 2
            assert hub.publish(1, {"n": 1}) == 2
            assert await a.get() == {"n": 1} and await b.get() == {"n": 1}
            assert other.empty()
            # From another thread (a sync route in the thread pool), delivery still arrives.
            t = threading.Thread(target=hub.publish, args=(2, {"n": 2}))
            t.start()
            t.join()
            assert await asyncio.wait_for(other.get(), timeout=5) == {"n": 2}
        assert hub.watchers(1) == 0 and hub.publish(1, {"n": 3}) == 0

    # Playwright's sync API keeps an event loop running on the main thread for the whole
    # session when browser tests run first, so the scenario gets a thread of its own.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, scenario()).result(timeout=30)
