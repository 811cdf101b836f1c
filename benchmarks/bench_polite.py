"""Polite under a budget: no 429s at the server's rate, few and harmless ones above it.

The fake SoundCloud runs in its own process with ``--rate R``: it answers 429 to a
client (app) that sends more than R requests in a fixed one-second window (429 bodies
rotate through SoundCloud's shapes, no ``Retry-After``, as the real API). A client
then makes N ``sc.tracks.get()`` calls from ``--tasks`` concurrent tasks, twice:

1. configured at R: ``TokenBucket(R, burst=1)``. Target: all N done, zero 429s.
   (``burst=1``: a bucket that starts full would send its burst on top of the first
   window's R and draw 429s from a fixed-window server by construction.)
2. configured at 2R: ``TokenBucket(2R, burst=1, adaptive=True)``. Target: all N
   done, at most 2% 429s (printed, with the adaptive rate it settled at) and a total
   time within 10% of N/R: the server's budget, not the client, sets the pace.

    .venv/bin/python benchmarks/bench_polite.py                 # R=50, N=250: ~12 s
    .venv/bin/python benchmarks/bench_polite.py --rate 50 --requests 3000
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

import _harness
import aiohttp
import orjson

from soundcloud_async import SoundCloud, TokenBucket


async def first_urns(base_url: str, token: str) -> list[str]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            base_url + "/tracks?limit=50", headers={"Authorization": f"OAuth {token}"}
        ) as resp,
    ):
        data = orjson.loads(await resp.read())
    items = data["collection"] if isinstance(data, dict) else data
    return [item["urn"] for item in items]


async def run(
    base_url: str, token: str, urns: list[str], bucket: TokenBucket, n: int, tasks: int
) -> tuple[int, int, int, float]:
    """(done, failed, 429s drawn, seconds)."""
    async with SoundCloud(token, base_url=base_url, rate_limiter=bucket) as sc:
        todo = iter(range(n))
        done = failed = 0

        async def worker() -> None:
            nonlocal done, failed
            for i in todo:
                try:
                    await sc.tracks.get(urns[i % len(urns)])
                except Exception as exc:
                    failed += 1
                    print(f"  failed: {type(exc).__name__}: {exc}")
                else:
                    done += 1

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(tasks)))
        elapsed = time.perf_counter() - start
        return done, failed, sc.stats.rate_limited, elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=50.0, help="server budget R, req/s")
    parser.add_argument("--requests", type=int, default=250, help="N requests per run")
    parser.add_argument("--tasks", type=int, default=16, help="concurrent tasks")
    args = parser.parse_args(argv)
    r, n = args.rate, args.requests
    print(f"machine: {_harness.machine()}")
    print(f"server budget R = {r:g} req/s (fixed 1 s windows); N = {n}; {args.tasks} tasks")
    print(f"ideal time N/R = {n / r:.2f} s")
    ok = True
    for label, bucket in (
        (f"client at R ({r:g}/s)", TokenBucket(r, burst=1)),
        (f"client at 2R ({2 * r:g}/s, adaptive)", TokenBucket(2 * r, burst=1, adaptive=True)),
    ):
        # A fresh server per run: its windows and counters start clean.
        with _harness.start_fake(size="small", rate=r) as server:
            urns = asyncio.run(first_urns(server.base_url, server.token))
            done, failed, throttled, elapsed = asyncio.run(
                run(server.base_url, server.token, urns, bucket, n, args.tasks)
            )
        ratio = elapsed / (n / r)
        line = (
            f"{label:34} done {done}/{n}, failed {failed}, 429s {throttled} "
            f"({throttled / n:.1%} of N), {elapsed:.2f} s = {ratio:.3f} x N/R, "
            f"rate now {bucket.rate:.1f}/s"
        )
        if bucket.adaptive:
            good = done == n and ratio <= 1.10 and throttled <= max(2, n * 0.02)
            line += "  " + ("ok" if good else "MISSED") + " (all N, <= 1.10 x N/R, 429s <= 2%)"
            _harness.summary(
                "adaptive limiter set to 2R, time vs N/R and 429s",
                f"{ratio:.3f}x N/R, {throttled / n:.1%} 429s ({throttled} of {n}), {done}/{n} done",
                "<= 1.10x, <= 2%",
                good,
            )
        else:
            good = done == n and throttled == 0
            line += "  " + ("ok" if good else "MISSED") + " (all N, zero 429s)"
            _harness.summary(
                "limiter set to R, time vs N/R and 429s",
                f"{ratio:.3f}x N/R, {throttled} 429s, {done}/{n} done",
                "zero 429s",
                good,
            )
        ok = ok and good
        print(line)
    return 0 if ok else 3  # 3: ran, but missed a target (run_all.py)


if __name__ == "__main__":
    sys.exit(main())
