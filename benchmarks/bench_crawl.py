"""Crawl throughput: typed ``Track`` items/s through a ``Paginator`` against raw aiohttp.

Both sides fetch the same 200-track pages of the same server process (the fake
SoundCloud's ``GET /tracks`` collection in its ``large`` world, or ``_endless.py`` with
``--server endless``), starting at ``/tracks?linked_partitioning=true&limit=200`` and
following ``next_href``:

* **ours**: a ``Paginator`` over ``/tracks`` (the library's own resource path,
  ``structure_many(..., Track)``) through ``SoundCloud`` with an ``Unlimited`` limiter;
* **raw**: ``aiohttp`` GET + ``orjson.loads`` to dicts, following ``next_href`` by hand.

At concurrency 1 one crawler reads ``--pages`` pages; at concurrency 16, 16 crawlers
each read ``--pages`` pages in parallel. Rounds alternate ours/raw and the best of
each is kept. Printed: items/s and ours/raw (target >= 0.75), and the client's CPU per
page (``time.process_time`` of this process) with raw/ours: when the server is the
bottleneck the wall ratio flatters the client, the CPU ratio does not.

    .venv/bin/python benchmarks/bench_crawl.py                    # ~10 s
    .venv/bin/python benchmarks/bench_crawl.py --pages 200 --rounds 5
    .venv/bin/python benchmarks/bench_crawl.py --server endless --pin
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
from dataclasses import dataclass

import _harness
import aiohttp
import orjson

from soundcloud_async import SoundCloud, Track, Unlimited

FIRST = "/tracks?linked_partitioning=true&limit=200"
TARGET = 0.75


@dataclass
class Run:
    items: int
    pages: int
    wall: float
    cpu: float

    @property
    def rate(self) -> float:
        return self.items / self.wall

    @property
    def cpu_per_page(self) -> float:
        return self.cpu / self.pages


async def ours(base_url: str, token: str, workers: int, pages: int, items: int) -> Run:
    async with SoundCloud(
        token, base_url=base_url, rate_limiter=Unlimited(), connection_limit=workers
    ) as sc:

        async def crawl(n_items: int) -> tuple[int, int]:
            # The resource layer's own path: what sc.tracks.iter_<collection>() returns.
            paginator = sc.tracks._paginate(
                "/tracks", Track, limit=200, max_items=n_items, resume_from=None
            )
            count = 0
            async for _track in paginator:
                count += 1
            return count, paginator.pages_fetched

        await asyncio.gather(*(crawl(1) for _ in range(workers)))  # warm the pool
        gc.collect()
        with _harness.timed() as t:
            done = await asyncio.gather(*(crawl(items) for _ in range(workers)))
    if any(d[1] != pages for d in done):
        raise RuntimeError(f"ours fetched {[d[1] for d in done]} pages, not {pages} each")
    return Run(sum(d[0] for d in done), sum(d[1] for d in done), t.wall, t.cpu)


async def raw(base_url: str, token: str, workers: int, pages: int) -> Run:
    headers = {"Authorization": f"OAuth {token}", "Accept": "application/json"}
    connector = aiohttp.TCPConnector(limit=workers)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def crawl(n_pages: int) -> tuple[int, int]:
            url: str | None = base_url + FIRST
            count = fetched = 0
            while url and fetched < n_pages:
                async with session.get(url, headers=headers) as resp:
                    if resp.status != 200:
                        raise RuntimeError(f"{resp.status} from {url}")
                    body = await resp.read()
                data = orjson.loads(body)
                fetched += 1
                count += len(data["collection"])
                url = data["next_href"]
            return count, fetched

        await asyncio.gather(*(crawl(1) for _ in range(workers)))
        gc.collect()
        with _harness.timed() as t:
            done = await asyncio.gather(*(crawl(pages) for _ in range(workers)))
    return Run(sum(d[0] for d in done), sum(d[1] for d in done), t.wall, t.cpu)


def best(runs: list[Run]) -> Run:
    return max(runs, key=lambda r: r.rate)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=40, help="pages per crawler per run")
    parser.add_argument(
        "--server", choices=("fake", "endless"), default="fake", help="which server process"
    )
    parser.add_argument(
        "--concurrency", type=int, nargs="+", default=[1, 16], help="crawlers in parallel"
    )
    _harness.add_common_args(parser)
    args = parser.parse_args(argv)
    _harness.install_loop(args.loop)
    server_cpu, client_cpu = (0, 1) if args.pin else (None, None)
    if args.server == "fake":
        server = _harness.start_fake(size="large", cpu=server_cpu)
    else:
        server = _harness.start_endless(items=10**9, cpu=server_cpu)
    _harness.pin(client_cpu)
    print(f"machine: {_harness.machine()}; loop: {args.loop}; pinned: {args.pin}")
    print(f"server: {args.server} ({server.base_url}), {args.pages} pages x 200 per crawler")
    ok = True
    with server:
        print(
            f"{'conc':>4} {'ours items/s':>13} {'raw items/s':>12} {'ours/raw':>9} "
            f"{'ours ms CPU/pg':>15} {'raw ms CPU/pg':>14} {'CPU raw/ours':>13}"
        )
        for workers in args.concurrency:
            mine: list[Run] = []
            theirs: list[Run] = []
            # The fake's pages may be short (filtered items): count what N pages hold.
            items = asyncio.run(raw(server.base_url, server.token, 1, args.pages)).items
            for _ in range(args.rounds):
                mine.append(
                    asyncio.run(ours(server.base_url, server.token, workers, args.pages, items))
                )
                theirs.append(asyncio.run(raw(server.base_url, server.token, workers, args.pages)))
            a, b = best(mine), best(theirs)
            if a.items != b.items:
                raise RuntimeError(f"ours read {a.items} items, raw {b.items}: not the same pages")
            ratio = a.rate / b.rate
            cpu_ratio = b.cpu_per_page / a.cpu_per_page
            ok = ok and ratio >= TARGET
            print(
                f"{workers:>4} {a.rate:>13,.0f} {b.rate:>12,.0f} {ratio:>8.2f} "
                f"{a.cpu_per_page * 1e3:>15.2f} {b.cpu_per_page * 1e3:>14.2f} "
                f"{cpu_ratio:>13.2f}  {_harness.verdict(ratio, TARGET)} (target >= {TARGET})"
            )
            bound = "client-bound" if args.server == "endless" else "fake server"
            _harness.summary(
                f"crawl ({bound}) vs raw aiohttp + orjson, c={workers}, {args.loop}",
                f"{ratio:.2f}x ({a.rate:,.0f} vs {b.rate:,.0f} items/s); CPU {cpu_ratio:.2f}x",
                f">= {TARGET}x",
                ratio >= TARGET,
            )
    return 0 if ok else 3  # 3: ran, but missed a target (run_all.py)


if __name__ == "__main__":
    sys.exit(main())
