"""How fast the fake SoundCloud serves pages, how fast its worlds start, how much memory.

Run: ``.venv/bin/python benchmarks/bench_fake_server.py [--app product|routes]
[--size tiny|small|large|huge] [--collection tracks|followers] [--seconds 5]
[--connections 4] [--limit 200] [--first-pass-pages N]``

Start-up: each size's ``World.generate`` in a fresh interpreter (best of 3) and the
RSS the world adds to it; ``huge`` also reports what a breadth-first crawl of
followings from the test user reaches by depth (``World.follow_reach``).

The server runs in a separate, single-threaded process (one core; ``--pin`` pins it
to core 0 and the client to core 1). The client crawls a collection with raw aiohttp
and orjson over a few connections, following ``next_href`` and starting over at the
end, and prints pages/s, items/s and the server's CPU time per page (its one-core
capacity): ``--collection tracks`` is ``GET /tracks?limit=200&linked_partitioning=true``,
``followers`` the most followed user's followers (``large``: 40k, 200 pages; ``huge``:
400k, 2000 pages). A first pass (cold caches: every item serialised for the first
time; at most ``--first-pass-pages``) is timed separately. The server's RSS is read
after start-up, after the first pass and at the end (Linux ``/proc``; the ``huge``
world's caches are bounded, so it stays flat however much is served).
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
from typing import Any, get_args

import aiohttp
import orjson
from aiohttp import web

from soundcloud_async.testing._api import add_api_routes
from soundcloud_async.testing._shared import PRINCIPAL_KEY, Principal
from soundcloud_async.testing._world import World, WorldSize

SIZES = get_args(WorldSize)
#: The first key of each collection's items (counts items without decoding pages).
ITEM_MARKERS = {"tracks": b'{"access":', "followers": b'{"avatar_url":'}


def rss_mb() -> tuple[float, float]:
    """This process's resident set size and its peak so far, in MB."""
    try:
        with open("/proc/self/status") as f:
            fields = dict(line.split(":", 1) for line in f if ":" in line)
        return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024
    except (OSError, KeyError, ValueError):  # not Linux: the peak is all there is
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return peak, peak


def _startup(conn: Connection, size: str, repeat: int, reach: int) -> None:
    """In a fresh interpreter: best build time, the RSS the world adds, its reach."""
    before, _ = rss_mb()
    best = float("inf")
    world = None
    for _ in range(repeat):
        world = None  # free the previous world before building the next
        t0 = time.perf_counter()
        world = World.generate(seed=0, size=size)
        best = min(best, time.perf_counter() - t0)
    assert world is not None
    after, _ = rss_mb()
    top = world.most_followed(3)
    levels = world.follow_reach(reach) if reach >= 0 else []
    conn.send((best, after - before, after, top, levels))


def startup(size: str, repeat: int = 3, reach: int = -1) -> tuple[Any, ...]:
    """``(seconds, world MB, process MB, most_followed(3), follow_reach(reach))``."""
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_startup, args=(child, size, repeat, reach), daemon=True)
    proc.start()
    try:
        result: tuple[Any, ...] = parent.recv()
    finally:
        proc.join(timeout=60)
    return result


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
    top = world.most_followed(1)[0][0]
    if app_kind == "product":
        from soundcloud_async.testing import FakeSoundCloud

        fake = FakeSoundCloud(world=world, max_records=1000)
        await fake.start()
        conn.send((fake.base_url, f"OAuth {fake.issue_token()}", world.default_user_urn, top))
        await _answer_queries(conn)
        await fake.close()
        return
    app = web.Application(middlewares=[_trust_all])
    add_api_routes(app, world)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    conn.send((f"http://{host}:{port}", "", world.default_user_urn, top))
    await _answer_queries(conn)
    await runner.cleanup()


async def _answer_queries(conn: Connection) -> None:
    """Answer ``"cpu"`` (CPU seconds) and ``"rss"`` (MB now, peak) until ``"stop"``."""
    loop = asyncio.get_running_loop()
    while (query := await loop.run_in_executor(None, conn.recv)) != "stop":
        conn.send(time.process_time() if query == "cpu" else rss_mb())


def _next_href(body: bytes, full: bool, marker: bytes) -> tuple[str | None, int]:
    """``next_href`` and the item count; ``full=False`` decodes only the tail."""
    if full:
        page = orjson.loads(body)
        return page["next_href"], len(page["collection"])
    tail = body.rfind(b'],"next_href":')
    href: str | None = orjson.loads(body[tail + 14 : -1])
    return href, body.count(marker)


async def _crawl(
    base: str,
    auth: str,
    user: str,
    *,
    collection: str,
    seconds: float,
    connections: int,
    limit: int,
    full: bool,
    first_pass_pages: int,
    cpu: Callable[[], float],
    rss: Callable[[], tuple[float, float]],
) -> dict[str, Any]:
    headers = {"Authorization": auth} if auth else {"X-User": user}
    marker = ITEM_MARKERS["followers" if collection.startswith("/users/") else "tracks"]
    if collection == "/tracks":
        first = f"{base}/tracks?limit={limit}&linked_partitioning=true"
        first += "&access=playable,preview,blocked"
    else:
        first = f"{base}{collection}?limit={limit}&linked_partitioning=true"
    pages = items = 0
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:

        async def one_pass() -> tuple[int, int]:
            n_pages = n_items = 0
            url: str | None = first
            while url and (first_pass_pages <= 0 or n_pages < first_pass_pages):
                async with session.get(url) as resp:
                    body = await resp.read()
                url, n = _next_href(body, True, marker)
                n_pages += 1
                n_items += n
            return n_pages, n_items

        rss_start = rss()
        t0 = time.perf_counter()
        warm_pages, warm_items = await one_pass()
        warm_s = time.perf_counter() - t0
        rss_first = rss()
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
                url, n = _next_href(body, full, marker)
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
        "rss": (rss_start, rss_first, rss()),
    }


def print_startup(reach_depth: int) -> None:
    """Start-up time, RSS and most followed users of every size; the huge world's reach."""
    print(
        "World.generate in a fresh interpreter (best of 3), the RSS the world adds, "
        "its three most followed users:"
    )
    for size in SIZES:
        depth = reach_depth if size == "huge" else -1
        seconds, world_mb, process_mb, top, levels = startup(size, reach=depth)
        counts = ", ".join(f"{count}" for _, count in top)
        print(
            f"  {size:<6} {seconds * 1000:8.1f} ms {world_mb:7.1f} MB "
            f"(process {process_mb:.0f} MB)  followers: {counts} "
            f"(top job: {-(-top[0][1] // 200)} pages of 200)"
        )
        for d, (users, tracks, playlists) in enumerate(levels):
            total = users + tracks + playlists
            print(
                f"         FollowGraph from the test user, depth {d}: {users} users, "
                f"{tracks} tracks, {playlists} playlists = {total} objects"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app", choices=("product", "routes"), default="product")
    parser.add_argument("--size", choices=SIZES, default="small")
    parser.add_argument(
        "--collection",
        choices=("tracks", "followers"),
        default="tracks",
        help="GET /tracks, or the followers of the world's most followed user",
    )
    parser.add_argument(
        "--first-pass-pages",
        type=int,
        default=0,
        help="stop the cold first pass after this many pages (0: the whole collection)",
    )
    parser.add_argument(
        "--reach-depth",
        type=int,
        default=3,
        help="report the huge world's FollowGraph reach up to this depth (-1: skip)",
    )
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
        print_startup(args.reach_depth)

    if args.pin:
        os.environ["BENCH_PIN"] = "1"  # inherited by the server process
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_server, args=(child, args.app, args.size), daemon=True)
    proc.start()
    try:
        base, auth, user, top = parent.recv()
        _pin(1)

        def server_cpu() -> float:
            parent.send("cpu")
            value: float = parent.recv()
            return value

        def server_rss() -> tuple[float, float]:
            parent.send("rss")
            value: tuple[float, float] = parent.recv()
            return value

        collection = "/tracks" if args.collection == "tracks" else f"/users/{top}/followers"

        result = asyncio.run(
            _crawl(
                base,
                auth,
                user,
                collection=collection,
                seconds=args.seconds,
                connections=args.connections,
                limit=args.limit,
                full=args.decode == "full",
                first_pass_pages=args.first_pass_pages,
                cpu=server_cpu,
                rss=server_rss,
            )
        )
    finally:
        parent.send("stop")
        proc.join(timeout=10)
        if proc.is_alive():
            proc.terminate()
    print(
        f"{args.app} app, {args.size} world, GET {collection}, {args.connections} connections, "
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
    (start, _), (first, _), (end, peak) = result["rss"]
    print(
        f"  server RSS: {start:.0f} MB serving, {first:.0f} MB after the first pass, "
        f"{end:.0f} MB at the end (peak {peak:.0f} MB)"
    )


if __name__ == "__main__":
    main()
