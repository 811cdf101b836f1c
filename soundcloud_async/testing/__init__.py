"""A fake SoundCloud API for tests: ``async with FakeSoundCloud() as fake:``.

:class:`FakeSoundCloud` serves, on loopback, an in-memory world of users, tracks and
playlists through the official API's routes, with SoundCloud's OAuth 2.1 (PKCE,
rotating refresh tokens), its rate limits and 429 bodies, and injectable faults.
It is an independent oracle: it shares no code with the client.

pytest users turn on the ``soundcloud_fake`` fixture with one line in ``conftest.py``::

    pytest_plugins = ["soundcloud_async.testing.pytest_plugin"]

Standalone: ``python -m soundcloud_async.testing --port 8080``.
"""

from __future__ import annotations

from soundcloud_async._clock import ManualClock
from soundcloud_async.testing._faults import FAULT_KINDS, PAGE_FAULT_KINDS, FaultKind, ScriptedFault
from soundcloud_async.testing._limits import Budget, RateLimitShape
from soundcloud_async.testing._server import (
    Counters,
    FakeSoundCloud,
    RequestRecord,
    create_app,
)
from soundcloud_async.testing._shared import Principal
from soundcloud_async.testing._world import World

__all__ = [
    "FAULT_KINDS",
    "PAGE_FAULT_KINDS",
    "Budget",
    "Counters",
    "FakeSoundCloud",
    "FaultKind",
    "ManualClock",
    "Principal",
    "RateLimitShape",
    "RequestRecord",
    "ScriptedFault",
    "World",
    "create_app",
]
