"""The crawl store at scale: commit latency and memory, a 1M-object crawl, many workers.

Three measurements (``--part``; default all three, short sizes unless ``--full``):

``store``
    Drive a store the way a crawl does (pages of 200 new users committed through the
    real :class:`CrawlStore` API, half of them adding a job) to ``--visited`` URNs and
    half as many pending jobs. Reports the p50/p99/max time to commit a 200-item page per
    window as the store grows, the time to claim from the big frontier, and this
    process's RSS growth. Targets: RSS growth < 150 MB; commit p99 flat as it grows.

``crawl``
    An end-to-end crawl against the fake server's ``huge`` world (in its own process)
    until ``--objects`` objects are stored: RSS sampled as it goes (flat after warm-up is
    the target) and the longest event-loop stall (a monitor task that asks for 10 ms
    sleeps; target < 100 ms).

``workers``
    1, 2 and 4 worker processes (``soundcloud-async crawl``) on one PostgreSQL store,
    against one prewarmed fake server: objects per second per worker count, with the
    server's CPU use (is it the bottleneck?).

    .venv/bin/python benchmarks/bench_crawl_store.py                   # short, ~2 min
    .venv/bin/python benchmarks/bench_crawl_store.py --full            # RESULTS.md sizes
    .venv/bin/python benchmarks/bench_crawl_store.py --part store --visited 10000000 \\
        --backend sqlite postgres

PostgreSQL: ``--postgres URL``, or ``auto`` (the default) to start a throwaway cluster
the way the tests do (``tests/pg_server.py``). Nothing leaves loopback.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import orjson
from _harness import ROOT, machine, rss_bytes, start_fake

from soundcloud_async import RetryPolicy, SoundCloud, Unlimited
from soundcloud_async.crawl import Crawler, FollowGraph, open_store
from soundcloud_async.crawl._store import Delivery, Job, StoredItem, WorkerInfo

USER_JSON = (
    '{{"id":{id},"urn":"soundcloud:users:{id}","kind":"user","username":"user-{id}",'
    '"permalink":"user-{id}","permalink_url":"https://soundcloud.com/user-{id}",'
    '"avatar_url":"https://i1.sndcdn.com/avatars-000-large.jpg","city":"Berlin",'
    '"country":"Germany","followers_count":{f},"followings_count":12,"track_count":3,'
    '"created_at":"2019/01/15 15:40:49 +0000"}}'
)


def percentile(values: list[float], p: float) -> float:
    """The ``p``-th percentile (nearest rank) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


@contextmanager
def postgres(url: str | None) -> Iterator[str | None]:
    """A PostgreSQL URL: the given one, a throwaway cluster (``auto``), or None."""
    if url != "auto":
        yield url
        return
    sys.path.insert(0, str(ROOT))
    from tests.pg_server import find_pg_bin, pg_cluster

    if find_pg_bin() is None:
        print("  (PostgreSQL is not installed: skipping its rows)")
        yield None
        return
    with pg_cluster(durable=True) as cluster:  # fsync on: every commit reaches the disk
        yield cluster


def schema_url(base: str) -> str:
    """``base`` with a fresh schema of its own."""
    return f"{base}?schema=bench_{uuid.uuid4().hex[:10]}"


# -- store --------------------------------------------------------------------------------


async def drive_store(location: str, visited: int, page: int, windows: int) -> dict[str, Any]:
    """Commit pages of new users to ``visited`` URNs; latency per window, claim, RSS."""
    store = open_store(location)
    await store.connect(create=True)
    worker = WorkerInfo("bench")
    await store.start({"strategy": "bench"}, [Job("followers", "soundcloud:users:0", 0)], worker)
    (carrier,) = await store.claim(
        "bench", 1, kinds=["followers"], level_ordered=frozenset(), lease=1e9
    )
    rss0 = rss_bytes()
    rss_max = rss0
    window = max(1, visited // page // windows)
    latencies: list[float] = []
    rows: list[tuple[int, float, float, float, float]] = []
    started = time.perf_counter()
    n = 0
    for page_no in range(math.ceil(visited / page)):
        items = []
        for i in range(page):
            ident = ((n + i) * 2654435761) % (1 << 40)  # scattered, like real ids
            urn = f"soundcloud:users:{ident}"
            jobs = (Job("tracks", urn, 1),) if (n + i) % 2 == 0 else ()
            items.append(StoredItem("user", urn, USER_JSON.format(id=ident, f=i), jobs))
        delivery = Delivery(carrier, items, f"/users/0/followers?cursor={page_no}", 0, False)
        t0 = time.perf_counter()
        (result,) = await store.commit("bench", [delivery], lease=1e9)
        latencies.append(time.perf_counter() - t0)
        assert not result.lost
        assert result.jobs_added == page // 2
        n += page
        if len(latencies) == window:
            rss_max = max(rss_max, rss_bytes())
            rows.append(
                (
                    n,
                    statistics.median(latencies) * 1e3,
                    percentile(latencies, 99) * 1e3,
                    max(latencies) * 1e3,
                    time.perf_counter() - started,
                )
            )
            print(
                f"    {n:>11,} visited: commit p50 {rows[-1][1]:6.2f} ms  p99 {rows[-1][2]:6.2f}"
                f" ms  max {rows[-1][3]:7.2f} ms  RSS +{(rss_max - rss0) / 2**20:5.1f} MB"
                f"  ({rows[-1][4]:6.0f} s)",
                flush=True,
            )
            latencies = []
    claims = []
    for _ in range(20):
        t0 = time.perf_counter()
        got = await store.claim("bench", 16, kinds=["tracks"], level_ordered=frozenset(), lease=1e9)
        claims.append(time.perf_counter() - t0)
        assert len(got) == 16
    t0 = time.perf_counter()
    status = await store.status()
    status_s = time.perf_counter() - t0
    rss_max = max(rss_max, rss_bytes())
    await store.close()
    return {
        "rows": rows,
        "claim_ms": statistics.median(claims) * 1e3,
        "status_s": status_s,
        "rss_growth_mb": (rss_max - rss0) / 2**20,
        "pending": status.jobs.get("pending", 0),
        "objects": sum(status.objects.values()),
        "wall": time.perf_counter() - started,
    }


def part_store(args: argparse.Namespace, pg: str | None) -> None:
    print(f"\n== store: {args.visited:,} visited URNs, pages of {args.page}")
    for backend in args.backend:
        if backend == "postgres" and pg is None:
            continue
        with tempfile.TemporaryDirectory(prefix="bench-store-", dir=args.tmp) as tmp:
            location = (
                str(Path(tmp) / "store.sqlite") if backend == "sqlite" else schema_url(pg or "")
            )
            print(f"  {backend}:")
            r = asyncio.run(drive_store(location, args.visited, args.page, args.windows))
            size = ""
            if backend == "sqlite":
                total = sum(p.stat().st_size for p in Path(tmp).iterdir())
                size = f", file {total / 2**30:.2f} GiB"
            p99s = [row[2] for row in r["rows"]]
            print(
                f"  {backend}: {r['objects']:,} objects, {r['pending']:,} pending jobs in "
                f"{r['wall']:.0f} s{size}; commit p99 first window {p99s[0]:.2f} ms, last "
                f"{p99s[-1]:.2f} ms, worst {max(p99s):.2f} ms; claim 16 of the frontier "
                f"{r['claim_ms']:.2f} ms; status {r['status_s'] * 1e3:.1f} ms; RSS growth "
                f"{r['rss_growth_mb']:.1f} MB (target < 150: "
                f"{'ok' if r['rss_growth_mb'] < 150 else 'MISSED'})"
            )


# -- an end-to-end crawl ------------------------------------------------------------------


async def crawl_to(
    base_url: str, token: str, target: int, store: str, depth: int
) -> dict[str, Any]:
    """Crawl the fake's world from its test user until ``target`` objects are stored."""
    samples: list[tuple[float, int, int]] = []
    max_lag = 0.0
    async with SoundCloud(
        token, base_url=base_url, rate_limiter=Unlimited(), retry=RetryPolicy(max_attempts=5)
    ) as sc:
        seed = (await sc.me.get()).urn
        assert seed is not None
        crawler = Crawler(sc, FollowGraph(seed, depth=depth), store=store, concurrency=16)
        started = time.perf_counter()

        async def monitor() -> None:
            nonlocal max_lag
            while True:
                t0 = time.perf_counter()
                await asyncio.sleep(0.01)
                max_lag = max(max_lag, time.perf_counter() - t0 - 0.01)

        async def sample(task: asyncio.Task[Any]) -> None:
            while True:
                await asyncio.sleep(1.0)
                total = crawler.progress.total
                samples.append((time.perf_counter() - started, total, rss_bytes()))
                if total >= target:
                    task.cancel()
                    return

        run = asyncio.ensure_future(crawler.run())
        watchers = [asyncio.ensure_future(monitor()), asyncio.ensure_future(sample(run))]
        try:
            await run
        except asyncio.CancelledError:
            pass
        finally:
            for w in watchers:
                w.cancel()
        wall = time.perf_counter() - started
        requests = sc.stats.requests
    async with open_store(store) as opened:
        stored = sum((await opened.status()).objects.values())
    return {"samples": samples, "max_lag": max_lag, "wall": wall, "stored": stored,
            "requests": requests}  # fmt: skip


def part_crawl(args: argparse.Namespace) -> None:
    print(f"\n== crawl: {args.objects:,} objects from the fake's {args.size} world (SQLite)")
    with start_fake(size=args.size) as server, tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
        store = str(Path(tmp) / "crawl.sqlite")
        r = asyncio.run(crawl_to(server.base_url, server.token, args.objects, store, 3))
    samples = r["samples"]
    warm = [s for s in samples if s[1] >= args.objects * 0.2]
    print("  objects      RSS")
    step = max(1, len(samples) // 8)
    for t, total, rss in samples[::step] + samples[-1:]:
        print(f"  {total:>9,}  {rss / 2**20:7.1f} MB   ({t:5.0f} s)")
    growth = (max(s[2] for s in warm) - min(s[2] for s in warm)) / 2**20 if warm else float("nan")
    print(
        f"  {r['stored']:,} objects stored in {r['wall']:.0f} s "
        f"({r['stored'] / r['wall']:,.0f} objects/s, {r['requests']:,} requests); RSS after "
        f"warm-up (20%) varies by {growth:.1f} MB; longest event-loop stall "
        f"{r['max_lag'] * 1e3:.1f} ms (target < 100: {'ok' if r['max_lag'] < 0.1 else 'MISSED'})"
    )


# -- many workers on PostgreSQL -------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process, from /proc."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def part_workers(args: argparse.Namespace, pg: str | None) -> None:
    if pg is None:
        return
    print(f"\n== workers on one PostgreSQL store: depth {args.workers_depth} from the "
          f"{args.size_workers} world's test user (prewarmed server)")  # fmt: skip
    script = Path(__file__).resolve()
    port_file = Path(tempfile.mkdtemp(dir=args.tmp)) / "port"
    server = subprocess.Popen(
        [sys.executable, str(script), "_serve", "--size", args.size_workers,
         "--port-file", str(port_file)],
        cwd=ROOT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 600
        while not port_file.exists() or not port_file.read_text().strip():
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the benchmark's fake server did not start")
            time.sleep(0.1)
        base_url, token, seed = port_file.read_text().split()
        baseline: float | None = None
        for n in args.workers:
            store = schema_url(pg)
            argv = [sys.executable, "-m", "soundcloud_async", "crawl", "-q", "--base-url",
                    base_url, "--access-token", token, "--seed-user", seed, "--depth",
                    str(args.workers_depth), "--store", store, "--rate", "1000000",
                    "--concurrency", "16"]  # fmt: skip
            server_cpu0 = cpu_seconds(server.pid)
            t0 = time.perf_counter()
            procs = [subprocess.Popen(argv, cwd=ROOT) for _ in range(n)]
            codes = [p.wait() for p in procs]
            wall = time.perf_counter() - t0
            server_cpu = cpu_seconds(server.pid) - server_cpu0
            status = subprocess.run(
                [sys.executable, "-m", "soundcloud_async", "status", store, "--json"],
                capture_output=True, check=True,
            )  # fmt: skip
            objects = sum(orjson.loads(status.stdout)["objects"].values())
            rate = objects / wall
            baseline = baseline or rate
            print(
                f"  {n} worker(s): {objects:,} objects in {wall:5.1f} s = {rate:8,.0f} objects/s"
                f" ({rate / baseline:4.2f}x of 1 worker); server CPU {server_cpu / wall:4.0%}"
                f" of a core; exit codes {codes}"
            )
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(port_file.parent, ignore_errors=True)


def serve(size: str, port_file: Path) -> None:
    """A fake server with its world serialised ahead of time (so it is not the bottleneck)."""
    from soundcloud_async.testing import FakeSoundCloud

    async def main() -> None:
        async with FakeSoundCloud(size=size) as fake:  # type: ignore[arg-type]
            fake.world.prewarm()
            token = fake.issue_token()
            line = f"{fake.base_url} {token} {fake.world.default_user_urn}\n"
            await asyncio.to_thread(port_file.write_text, line)
            await asyncio.Event().wait()

    asyncio.run(main())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("part_or_serve", nargs="?", default="", help=argparse.SUPPRESS)
    parser.add_argument("--part", action="append", choices=("store", "crawl", "workers"))
    parser.add_argument("--full", action="store_true", help="the sizes RESULTS.md records")
    parser.add_argument("--visited", type=int, default=None, help="store: URNs to reach")
    parser.add_argument("--page", type=int, default=200, help="store: items per commit")
    parser.add_argument("--windows", type=int, default=10, help="store: report windows")
    parser.add_argument("--backend", nargs="+", default=["sqlite", "postgres"])
    parser.add_argument("--objects", type=int, default=None, help="crawl: objects to reach")
    parser.add_argument("--size", default=None, help="crawl: the fake world's size")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--workers-depth", type=int, default=None)
    parser.add_argument("--size-workers", default=None)
    parser.add_argument("--postgres", default="auto", help="a PostgreSQL URL, or auto")
    parser.add_argument("--tmp", default=None, help="where stores are written")
    parser.add_argument("--port-file", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.part_or_serve == "_serve":
        serve(args.size or "large", Path(args.port_file))
        return 0
    full = args.full
    args.visited = args.visited or (10_000_000 if full else 200_000)
    args.objects = args.objects or (1_000_000 if full else 60_000)
    args.size = args.size or ("huge" if full else "large")
    args.size_workers = args.size_workers or "large"
    args.workers_depth = args.workers_depth or (2 if full else 1)
    parts = args.part or ["store", "crawl", "workers"]
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.2f}")
    with ExitStack() as stack:
        pg = None
        if "postgres" in args.backend or "workers" in parts:
            pg = stack.enter_context(postgres(args.postgres))
        if "store" in parts:
            part_store(args, pg)
        if "crawl" in parts:
            part_crawl(args)
        if "workers" in parts:
            part_workers(args, pg)
    return 0


if __name__ == "__main__":
    sys.exit(main())
