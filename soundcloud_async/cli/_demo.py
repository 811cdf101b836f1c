"""``soundcloud-async demo``: crawl an in-process fake SoundCloud, with live progress."""

from __future__ import annotations

import argparse
import sys
from typing import get_args

from soundcloud_async._client import SoundCloud
from soundcloud_async._ratelimit import TokenBucket
from soundcloud_async.cli._common import Common, Subparsers, UsageError, positive_float
from soundcloud_async.cli._crawl import check_paths, crawl, crawl_options, open_checked_store
from soundcloud_async.testing import FakeSoundCloud
from soundcloud_async.testing.__main__ import parse_fault
from soundcloud_async.testing._world import WorldSize

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Subparsers, common: Common) -> argparse.ArgumentParser:
    """Add ``demo``."""
    demo = subparsers.add_parser(
        "demo",
        parents=[crawl_options(demo=True)],
        help="crawl a local fake SoundCloud, with live progress",
        description="Start FakeSoundCloud in-process and crawl it breadth-first from its "
        "test user: users, tracks and playlists, under a rate limit the server "
        "enforces a little below the client's, with a few injected faults.",
    )
    g = demo.add_argument_group("fake server")
    g.add_argument(
        "--size",
        choices=get_args(WorldSize),
        default="small",
        help="world size: tiny, small, large, huge (default: small)",
    )
    g.add_argument("--seed", type=int, default=0, help="seed of the world (default: 0)")
    g.add_argument(
        "--rate", type=positive_float, default=60.0, help="client requests/s (default: 60)"
    )
    g.add_argument("--burst", type=positive_float, default=None, help="client token bucket burst")
    g.add_argument(
        "--server-rate",
        type=positive_float,
        default=50.0,
        help="the fake's limit in requests/s (default: 50)",
    )
    g.add_argument(
        "--fault",
        type=parse_fault,
        action="append",
        default=None,
        metavar="KIND=PROB",
        help="random fault (repeatable; default: server_error=0.02 reset=0.01)",
    )
    return demo


async def run(args: argparse.Namespace) -> int:
    """Serve a fake in-process and crawl it from its test user."""
    check_paths(args)
    faults = dict(args.fault) if args.fault is not None else {"server_error": 0.02, "reset": 0.01}
    try:
        fake = FakeSoundCloud(
            seed=args.seed,
            size=args.size,
            general_rate=args.server_rate,
            random_faults=faults,
            fault_seed=args.seed,
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    async with fake:
        world = fake.world
        print(
            f"FakeSoundCloud on {fake.base_url}: {world.n_users:,} users, "
            f"{world.n_tracks:,} tracks, {world.n_playlists:,} playlists; limit "
            f"{args.server_rate:g} req/s (client: {args.rate:g} req/s); faults "
            + (", ".join(f"{k}={v:g}" for k, v in faults.items()) or "none"),
            file=sys.stderr,
        )
        store = await open_checked_store(args.store)
        try:
            async with SoundCloud(
                fake.issue_token(),
                base_url=fake.base_url,
                rate_limiter=TokenBucket(args.rate, args.burst, adaptive=True),
            ) as sc:
                # A new run of the demo starts afresh; --resume continues the last one (the
                # store keeps positions relative to the API, so the new port is no matter).
                return await crawl(
                    sc,
                    args,
                    world.default_user_urn,
                    store,
                    title="Demo crawl",
                    overwrite=not args.resume,
                )
        finally:
            await store.close()
