"""Injected time: every component that waits takes a ``clock`` and a ``sleep``.

Production code uses :func:`time.monotonic` and :func:`asyncio.sleep`; tests pass a
:class:`ManualClock` so that nothing sleeps for real and time moves only when the
test says so.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Awaitable, Callable

__all__ = ["Clock", "ManualClock", "Sleep", "monotonic", "real_sleep"]

#: Returns monotonic seconds.
Clock = Callable[[], float]
#: Waits the given number of seconds.
Sleep = Callable[[float], Awaitable[None]]

monotonic: Clock = time.monotonic
real_sleep: Sleep = asyncio.sleep


class ManualClock:
    """A clock that only moves when told, with a ``sleep`` that waits for it.

    ``clock.now()`` is the ``Clock``; ``clock.sleep`` is the ``Sleep``. A sleeper wakes
    when :meth:`advance` (or :meth:`advance_to`) moves the time to or past its deadline.
    ``sleeps`` records every requested duration, so tests can assert on waits.
    """

    def __init__(self, start: float = 0.0) -> None:
        self._now = start
        self._heap: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self._now

    __call__ = now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._heap, (self._now + seconds, next(self._seq), fut))
        await fut

    @property
    def sleepers(self) -> int:
        """How many sleeps are pending (not yet woken or cancelled)."""
        return sum(1 for _, _, f in self._heap if not f.done())

    def next_deadline(self) -> float | None:
        """The earliest pending deadline, if any."""
        while self._heap and self._heap[0][2].done():
            heapq.heappop(self._heap)
        return self._heap[0][0] if self._heap else None

    async def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds``, waking sleepers in deadline order."""
        await self.advance_to(self._now + seconds)

    async def advance_to(self, when: float) -> None:
        """Move time to ``when``, waking each due sleeper at its own deadline."""
        while True:
            deadline = self.next_deadline()
            if deadline is None or deadline > when:
                break
            self._now = max(self._now, deadline)
            _, _, fut = heapq.heappop(self._heap)
            fut.set_result(None)
            await _settle()
        self._now = max(self._now, when)
        await _settle()

    async def run_until_idle(self, limit: float = 1e9) -> None:
        """Jump from deadline to deadline until nobody sleeps (or ``limit`` is reached)."""
        while True:
            await _settle()
            deadline = self.next_deadline()
            if deadline is None or deadline > limit:
                return
            await self.advance_to(deadline)


async def _settle() -> None:
    # Let woken tasks run until they block again; a few loop turns cover chains of
    # futures (a woken waiter waking the next one).
    for _ in range(10):
        await asyncio.sleep(0)
