"""Fixtures for the fake server's tests: a started fake on a manual clock, a plain session.

The fake gets a few stub routes of its own (``/_stub/...``) so these tests do not
depend on the data routes: ``echo`` answers the principal, ``page`` a collection page
that reports the page fault it was asked for, ``write`` counts the writes it did.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from soundcloud_async.testing import FakeSoundCloud, ManualClock
from soundcloud_async.testing._shared import PAGE_FAULT_KEY, PRINCIPAL_KEY, json_response

#: The wall clock reads this much more than the manual monotonic clock.
WALL_OFFSET = 1_700_000_000.0
WRITES = web.AppKey("stub_writes", list)


def add_stub_routes(app: web.Application) -> None:
    """Register the ``/_stub/...`` routes on a fake's app (before it starts)."""
    writes: list[str] = []
    app[WRITES] = writes

    async def echo(request: web.Request) -> web.Response:
        p = request[PRINCIPAL_KEY]
        return json_response({"client_id": p.client_id, "user_urn": p.user_urn, "scope": p.scope})

    async def page(request: web.Request) -> web.Response:
        return json_response(
            {"collection": [{"n": 1}, {"n": 2}], "page_fault": request.get(PAGE_FAULT_KEY)}
        )

    async def write(request: web.Request) -> web.Response:
        writes.append(request.path)
        return json_response({"status": "created", "padding": "x" * 64}, status=201)

    app.router.add_get("/_stub/echo", echo)
    app.router.add_get("/_stub/legacy.json", echo)
    app.router.add_get("/_stub/page", page)
    app.router.add_post("/_stub/write", write)


def bearer(token: str, scheme: str = "OAuth") -> dict[str, str]:
    """The Authorization header for an access token."""
    return {"Authorization": f"{scheme} {token}"}


def basic(client_id: str, secret: str) -> dict[str, str]:
    """The Authorization header for client authentication."""
    raw = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


async def get_json(http: aiohttp.ClientSession, url: str, **kwargs: Any) -> tuple[int, Any]:
    """GET ``url`` and return ``(status, decoded JSON body)``."""
    async with http.get(url, allow_redirects=False, **kwargs) as resp:
        return resp.status, await resp.json(content_type=None)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1000.0)


@pytest.fixture
def fake_options() -> dict[str, Any]:
    """Extra FakeSoundCloud options; tests override it with a parametrised fixture."""
    return {}


@pytest.fixture
async def fake(clock: ManualClock, fake_options: dict[str, Any]) -> AsyncIterator[FakeSoundCloud]:
    server = FakeSoundCloud(
        size="tiny", clock=clock, wall_clock=lambda: WALL_OFFSET + clock(), **fake_options
    )
    add_stub_routes(server.app)
    async with server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def token(fake: FakeSoundCloud) -> str:
    """A ready access token of the test user."""
    return fake.issue_token()
