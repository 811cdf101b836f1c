"""A test app of the fake's API routes only, served on loopback, and a tiny client for it.

The harness's auth middleware is replaced by one that trusts two headers:
``X-Test-User`` (a user URN, or empty for a client-credentials caller; absent: no
principal at all) and ``X-Test-Fault`` (a page fault for this response).
"""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson
import pytest
from aiohttp import web
from aiohttp.web_exceptions import NotAppKeyWarning

from soundcloud_async.testing._api import add_api_routes
from soundcloud_async.testing._shared import PAGE_FAULT_KEY, PRINCIPAL_KEY, Principal
from soundcloud_async.testing._world import World

USER_HEADER = "X-Test-User"
FAULT_HEADER = "X-Test-Fault"
#: Pass as ``user=`` to call without any principal (the middleware sets none).
ANONYMOUS = "<anonymous>"
#: Pass as ``user=`` to call as a client-credentials principal.
CLIENT = ""


@web.middleware
async def principal_from_header(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Set the principal (and a page fault) from test headers."""
    with warnings.catch_warnings():
        # The shared contract uses str keys; aiohttp recommends RequestKey and warns.
        warnings.simplefilter("ignore", NotAppKeyWarning)
        user = request.headers.get(USER_HEADER)
        if user is not None:
            request[PRINCIPAL_KEY] = Principal("test-client", user or None)
        fault = request.headers.get(FAULT_HEADER)
        if fault:
            request[PAGE_FAULT_KEY] = fault
    return await handler(request)


@dataclass
class Reply:
    """A response read fully: status, headers, raw body and JSON (if any)."""

    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return orjson.loads(self.body)


@dataclass
class FakeApi:
    """The served app: its world, base URL and a session to call it with."""

    world: World
    base: str
    session: aiohttp.ClientSession
    app: web.Application

    async def call(
        self,
        method: str,
        path_or_url: str,
        *,
        user: str | None = None,
        fault: str | None = None,
        **kwargs: Any,
    ) -> Reply:
        """Call the app as ``user`` (default: the world's default user)."""
        headers = dict(kwargs.pop("headers", {}))
        who = self.world.default_user_urn if user is None else user
        if who != ANONYMOUS:
            headers[USER_HEADER] = who
        if fault:
            headers[FAULT_HEADER] = fault
        url = path_or_url if path_or_url.startswith("http") else self.base + path_or_url
        kwargs.setdefault("allow_redirects", False)
        async with self.session.request(method, url, headers=headers, **kwargs) as resp:
            body = await resp.read()
            return Reply(resp.status, dict(resp.headers), body)

    async def get(self, path: str, **kwargs: Any) -> Reply:
        return await self.call("GET", path, **kwargs)

    async def crawl(self, path: str, **kwargs: Any) -> list[dict[str, Any]]:
        """Every item of a linked-partitioning collection, following ``next_href``."""
        items: list[dict[str, Any]] = []
        url: str | None = path
        for _ in range(10_000):
            if url is None:
                return items
            reply = await self.get(url, **kwargs)
            assert reply.status == 200, reply.body
            page = reply.json
            items.extend(page["collection"])
            url = page.get("next_href")
        raise AssertionError("crawl did not end")


async def serve(world: World) -> AsyncIterator[FakeApi]:
    """Serve the routes for ``world`` on 127.0.0.1 (port 0) and yield a client for them."""
    app = web.Application(middlewares=[principal_from_header])
    add_api_routes(app, world)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        async with aiohttp.ClientSession() as session:
            yield FakeApi(world, f"http://{host}:{port}", session, app)
    finally:
        await runner.cleanup()


@pytest.fixture
def world() -> World:
    """A fresh small world (seed 0): tests may mutate it."""
    return World.generate(seed=0, size="small")


@pytest.fixture
async def api(world: World) -> AsyncIterator[FakeApi]:
    """The routes for ``world`` served on loopback."""
    async for served in serve(world):
        yield served
