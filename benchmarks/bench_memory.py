"""Memory: RSS growth while iterating N items through a ``Paginator``, constant in N.

The server is ``_endless.py`` in its own process: one collection of exactly N
realistic 45-field tracks, 200 a page (the fake SoundCloud holds no collection of a
million). The client iterates every item as a typed ``Track`` through
``SoundCloud`` + ``Paginator`` and keeps none of them. RSS (``VmRSS`` from
``/proc/self/status``) is sampled every page; growth = peak - RSS after the client
opened and read one warm-up page. Target: growth under 30 MB at every N, and about
the same at the small and the large N (constant in N).

    .venv/bin/python benchmarks/bench_memory.py                      # 20k and 100k, ~10 s
    .venv/bin/python benchmarks/bench_memory.py --items 100000 1000000
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys

import _harness

from soundcloud_async import SoundCloud, Track, Unlimited

LIMIT_MB = 30.0


async def iterate(base_url: str, items: int) -> tuple[int, int, int, float]:
    """(items seen, RSS before, peak RSS, seconds)."""
    async with SoundCloud(
        "endless-token", base_url=base_url, rate_limiter=Unlimited(), connection_limit=4
    ) as sc:
        warm = sc.tracks._paginate("/tracks", Track, limit=200, max_items=200, resume_from=None)
        async for _ in warm:
            pass
        del warm
        gc.collect()
        before = peak = _harness.rss_bytes()
        paginator = sc.tracks._paginate(
            "/tracks", Track, limit=200, max_items=None, resume_from=None
        )
        seen = 0
        with _harness.timed() as t:
            async for _track in paginator:
                seen += 1
                if seen % 200 == 0:
                    rss = _harness.rss_bytes()
                    if rss > peak:
                        peak = rss
        peak = max(peak, _harness.rss_bytes())
    return seen, before, peak, t.wall


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--items", type=int, nargs="+", default=[20_000, 100_000], help="collection sizes N"
    )
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio")
    args = parser.parse_args(argv)
    _harness.install_loop(args.loop)
    print(f"machine: {_harness.machine()}; loop: {args.loop}")
    print(f"{'items':>10} {'RSS before MB':>14} {'peak MB':>8} {'growth MB':>10} {'items/s':>9}")
    growths = []
    ok = True
    for n in args.items:
        with _harness.start_endless(items=n) as server:
            seen, before, peak, wall = asyncio.run(iterate(server.base_url, n))
        if seen != n:
            raise RuntimeError(f"iterated {seen} items, expected {n}")
        growth = (peak - before) / 1e6
        growths.append(growth)
        ok = ok and growth < LIMIT_MB
        print(
            f"{n:>10,} {before / 1e6:>14.1f} {peak / 1e6:>8.1f} {growth:>10.1f} {n / wall:>9,.0f}"
            f"  {'ok' if growth < LIMIT_MB else 'OVER'} (target < {LIMIT_MB:g} MB)"
        )
    spread = max(growths) - min(growths)
    if len(growths) > 1:
        print(
            f"growth spread across N: {spread:.1f} MB "
            f"({'constant in N' if spread < 5 else 'GROWS WITH N'}; tolerance 5 MB)"
        )
        ok = ok and spread < 5
    _harness.summary(
        f"memory iterating {', '.join(f'{n:,}' for n in args.items)} items, {args.loop}",
        "growth " + " / ".join(f"{g:.1f}" for g in growths) + f" MB (spread {spread:.1f} MB)",
        f"< {LIMIT_MB:g} MB, spread < 5 MB",
        ok,
    )
    return 0 if ok else 3  # 3: ran, but missed a target (run_all.py)


if __name__ == "__main__":
    sys.exit(main())
