"""A resumable crawler: two follow-hops around a user, into a SQLite store, under one budget.

Every page is committed to the store as it arrives: after Ctrl-C (or a crash), run the
same command again to continue with no gap and no duplicate. For many workers on many
machines, give them all one ``postgresql://`` store. Against the real API set
SOUNDCLOUD_ACCESS_TOKEN; to try it locally::

    python -m soundcloud_async.testing &      # port 8080; prints a token and its user
    SOUNDCLOUD_API=http://127.0.0.1:8080 SOUNDCLOUD_ACCESS_TOKEN=<token> \\
        python examples/crawler.py soundcloud:users:10000104

Without a seed argument it starts from the user the token belongs to
(``soundcloud:users:10000104`` is that user in the fake's default world).
"""

from __future__ import annotations

import os
import sys

import anyio

from soundcloud_async import SoundCloud, TokenBucket
from soundcloud_async.crawl import Crawler, FollowGraph


async def crawl(
    seed: str | None = None, *, out: str = "crawl.sqlite", depth: int = 2, rate: float = 20
) -> dict[str, int]:
    """Crawl `depth` follow-hops from `seed` (default: the token's user); return the
    objects stored, by kind."""
    bucket = TokenBucket(rate, burst=5, adaptive=True)  # learns a lower rate on 429s
    async with SoundCloud(
        os.environ["SOUNDCLOUD_ACCESS_TOKEN"],
        base_url=os.environ.get("SOUNDCLOUD_API", "https://api.soundcloud.com"),
        rate_limiter=bucket,
    ) as sc:
        if seed is None:
            seed = str((await sc.me.get()).urn)
        crawler = Crawler(
            sc,
            FollowGraph(seed, depth=depth),
            store=out,  # a SQLite file, or "postgresql://user@host/db"
            concurrency=16,
        )
        progress = await crawler.run()
        print(
            f"{progress.total} objects, {sc.stats.requests} requests, "
            f"{sc.stats.rate_limited} 429s absorbed; learned rate {bucket.rate:.1f}/s; "
            f"{progress.not_fetched} jobs not fetched (soundcloud-async status {out})"
        )
        return dict(progress.objects)


if __name__ == "__main__":
    anyio.run(crawl, sys.argv[1] if len(sys.argv) > 1 else None)
