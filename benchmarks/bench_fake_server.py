"""How fast the fake SoundCloud serves pages, and how fast its worlds start.

Run: ``.venv/bin/python benchmarks/bench_fake_server.py [--app product|routes]
[--size small|large] [--seconds 5] [--connections 4] [--limit 200]``

The server runs in a separate, single-threaded process (one core; ``--pin`` pins it
to core 0 and the client to core 1). The client crawls
``GET /tracks?limit=200&linked_partitioning=true`` with raw aiohttp and orjson over a
few connections, following ``next_href`` and starting over at the end, and prints
pages/s, items/s and the server's CPU time per page (its one-core capacity). A first
pass (cold caches: every item serialised for the first time) is timed separately.
``--decode tail`` reads only ``next_href`` so that the client is not the bottleneck.
``--app product`` serves the whole ``FakeSoundCloud`` (request log, faults, auth and
limits middlewares; a real token), ``--app routes`` only the API routes behind a
trivial principal middleware.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import time
from collections.abc import Awaitable, Callable
from multiprocessing.connection import Connection
from typing import Any

import aiohttp
import orjson
from aiohttp import web

from soundcloud_async.testing._api import add_api_routes
from soundcloud_async.testing._shared import PRINCIPAL_KEY, Principal
from soundcloud_async.testing._world import World

SIZES = ("tiny", "small", "large")


def startup_times(repeat: int = 3) -> dict[str, float]:
    """Best-of-``repeat`` seconds of ``World.generate`` per size."""
    out = {}
    for size in SIZES:
        best = float("inf")
        for _ in range(repeat):
            t0 = time.perf_counter()
            World.generate(seed=0, size=size)
            best = min(best, time.perf_counter() - t0)
        out[size] = best
    return out


def _pin(cpu: int) -> None:
    if not os.environ.get("BENCH_PIN"):
        return
    if hasattr(os, "sched_setaffinity") and cpu < (os.cpu_count() or 1):
        os.sched_setaffinity(0, {cpu})


@web.middleware
async def _trust_all(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    request[PRINCIPAL_KEY] = Principal("bench", request.headers.get("X-User"))
    return await handler(request)


def _server(conn: Connection, app_kind: str, size: str) -> None:
    _pin(0)
    asyncio.run(_serve(conn, app_kind, size))


async def _serve(conn: Connection, app_kind: str, size: str) -> None:
    world = World.generate(seed=0, size=size)
    if app_kind == "product":
        from soundcloud_async.testing import FakeSoundCloud

        fake = FakeSoundCloud(world=world, max_records=1000)
        await fake.start()
        conn.send((fake.base_url, f"OAuth {fake.issue_token()}", world.default_user_urn))
        await _answer_cpu_queries(conn)
        await fake.close()
        return
    app = web.Application(middlewares=[_trust_all])
    add_api_routes(app, world)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    conn.send((f"http://{host}:{port}", "", world.default_user_urn))
    await _answer_cpu_queries(conn)
    await runner.cleanup()


async def _answer_cpu_queries(conn: Connection) -> None:
    """Answer ``"cpu"`` with this process's CPU seconds until ``"stop"``."""
    loop = asyncio.get_running_loop()
    while (await loop.run_in_executor(None, conn.recv)) == "cpu":
        conn.send(time.process_time())


def _next_href(body: bytes, full: bool) -> tuple[str | None, int]:
    """``next_href`` and the item count; ``full=False`` decodes only the tail."""
    if full:
        page = orjson.loads(body)
        return page["next_href"], len(page["collection"])
    tail = body.rfind(b'],"next_href":')
    href: str | None = orjson.loads(body[tail + 14 : -1])
    return href, body.count(b'{"access":')


async def _crawl(
    base: str,
    auth: str,
    user: str,
    *,
    seconds: float,
    connections: int,
    limit: int,
    full: bool,
    cpu: Callable[[], float],
) -> dict[str, Any]:
    headers = {"Authorization": auth} if auth else {"X-User": user}
    first = f"{base}/tracks?limit={limit}&linked_partitioning=true&access=playable,preview,blocked"
    pages = items = 0
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:

        async def one_pass() -> tuple[int, int]:
            n_pages = n_items = 0
            url: str | None = first
            while url:
                async with session.get(url) as resp:
                    body = await resp.read()
                url, n = _next_href(body, True)
                n_pages += 1
                n_items += n
            return n_pages, n_items

        t0 = time.perf_counter()
        warm_pages, warm_items = await one_pass()
        warm_s = time.perf_counter() - t0
        deadline = time.perf_counter() + seconds

        async def worker(offset: int) -> None:
            nonlocal pages, items
            url: str | None = first
            # Spread the workers over the collection.
            for _ in range(offset):
                async with session.get(url or first) as resp:
                    url = orjson.loads(await resp.read())["next_href"]
            while time.perf_counter() < deadline:
                async with session.get(url or first) as resp:
                    body = await resp.read()
                url, n = _next_href(body, full)
                pages += 1
                items += n

        cpu0 = cpu()
        start = time.perf_counter()
        await asyncio.gather(*(worker(i * 3) for i in range(connections)))
        elapsed = time.perf_counter() - start
        server_cpu = cpu() - cpu0
    return {
        "pages_per_s": pages / elapsed,
        "items_per_s": items / elapsed,
        "items_per_page": items / max(pages, 1),
        "first_pass_pages": warm_pages,
        "first_pass_pages_per_s": warm_pages / warm_s,
        "first_pass_items_per_s": warm_items / warm_s,
        "server_ms_per_page": server_cpu / max(pages, 1) * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app", choices=("product", "routes"), default="product")
    parser.add_argument("--size", choices=SIZES, default="small")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--limit", type=int, default=200)
    parser.add_argument(
        "--decode",
        choices=("full", "tail"),
        default="full",
        help="client decodes whole pages (a real crawler) or only next_href (server capacity)",
    )
    parser.add_argument("--skip-startup", action="store_true")
    parser.add_argument(
        "--pin",
        action="store_true",
        help="pin server and client to cores 0 and 1 (worse on a shared, busy machine)",
    )
    args = parser.parse_args()

    if not args.skip_startup:
        print("World.generate start-up (best of 3):")
        for size, seconds in startup_times().items():
            print(f"  {size:<6} {seconds * 1000:8.1f} ms")

    if args.pin:
        os.environ["BENCH_PIN"] = "1"  # inherited by the server process
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_server, args=(child, args.app, args.size), daemon=True)
    proc.start()
    try:
        base, auth, user = parent.recv()
        _pin(1)

        def server_cpu() -> float:
            parent.send("cpu")
            value: float = parent.recv()
            return value

        result = asyncio.run(
            _crawl(
                base,
                auth,
                user,
                seconds=args.seconds,
                connections=args.connections,
                limit=args.limit,
                full=args.decode == "full",
                cpu=server_cpu,
            )
        )
    finally:
        parent.send("stop")
        proc.join(timeout=10)
        if proc.is_alive():
            proc.terminate()
    print(
        f"{args.app} app, {args.size} world, {args.connections} connections, "
        f"limit={args.limit}, server on one core:"
    )
    print(
        f"  first (cold) pass: {result['first_pass_pages']} pages, "
        f"{result['first_pass_pages_per_s']:.0f} pages/s, "
        f"{result['first_pass_items_per_s']:.0f} items/s"
    )
    print(
        f"  warm ({args.decode} decode): {result['pages_per_s']:.0f} pages/s, "
        f"{result['items_per_s']:.0f} items/s ({result['items_per_page']:.1f} items/page)"
    )
    ms = result["server_ms_per_page"]
    print(
        f"  server CPU: {ms:.3f} ms/page -> capacity {1000 / ms:.0f} pages/s on one core"
        if ms > 0
        else "  server CPU: not measurable"
    )


if __name__ == "__main__":
    main()
