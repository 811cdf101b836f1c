"""Serve the fake SoundCloud until Ctrl-C: ``python -m soundcloud_async.testing``.

Example::

    python -m soundcloud_async.testing --port 8080 --rate 10 \\
        --fault server_error=0.05 --fault slow=0.01 --retry-after

It prints the base URL, the test client's credentials and a ready access token of
the test user (all fake: they open nothing but this server).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Sequence
from typing import get_args

from soundcloud_async.testing._faults import FAULT_KINDS
from soundcloud_async.testing._server import FakeSoundCloud
from soundcloud_async.testing._world import WorldSize

__all__ = ["build_parser", "main", "parse_fault", "serve"]


def parse_fault(text: str) -> tuple[str, float]:
    """``kind=probability`` → ``(kind, probability)`` (argparse type)."""
    kind, sep, value = text.partition("=")
    if kind not in FAULT_KINDS:
        raise argparse.ArgumentTypeError(
            f"unknown fault kind {kind!r}; choose from {', '.join(FAULT_KINDS)}"
        )
    try:
        probability = float(value) if sep else 0.0
    except ValueError:
        probability = -1.0
    if not sep or not 0.0 <= probability <= 1.0:
        raise argparse.ArgumentTypeError(f"expected {kind}=PROBABILITY in [0, 1], not {text!r}")
    return kind, probability


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``python -m soundcloud_async.testing``."""
    parser = argparse.ArgumentParser(
        prog="python -m soundcloud_async.testing",
        description="Serve a fake SoundCloud API (data, OAuth 2.1, 429s, faults) on loopback.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8080, help="port (0: any free port)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated world")
    parser.add_argument(
        "--size",
        default="small",
        choices=get_args(WorldSize),
        help="world size: tiny (8 users), small (300, default), large (50k users, "
        "celebrities with up to 40k followers), huge (500k users, 1.7M tracks, up to 400k "
        "followers; 1.3M objects within 3 follow hops of the test user; ~1.5 s to start)",
    )
    parser.add_argument(
        "--rate", type=float, default=None, help="general limit: requests per second per client"
    )
    parser.add_argument(
        "--fault",
        type=parse_fault,
        action="append",
        default=[],
        metavar="KIND=PROB",
        help=f"random fault per request (repeatable); kinds: {', '.join(FAULT_KINDS)}",
    )
    parser.add_argument("--fault-seed", type=int, default=0, help="seed of the random faults")
    parser.add_argument(
        "--slow-delay", type=float, default=1.0, help="seconds a 'slow' fault delays an answer"
    )
    parser.add_argument(
        "--retry-after", action="store_true", help="send Retry-After on 429s (SoundCloud does not)"
    )
    parser.add_argument(
        "--spam-after", type=int, default=None, help="comment/like POSTs before the spam 429"
    )
    parser.add_argument(
        "--token-lifetime", type=float, default=3599.0, help="access token lifetime in seconds"
    )
    return parser


async def serve(args: argparse.Namespace) -> None:
    """Serve a fake built from ``build_parser()``'s options until SIGINT or SIGTERM."""
    fake = FakeSoundCloud(
        seed=args.seed,
        size=args.size,
        token_lifetime=args.token_lifetime,
        general_rate=args.rate,
        spam_after=args.spam_after,
        random_faults=dict(args.fault),
        fault_seed=args.fault_seed,
        slow_delay=args.slow_delay,
        retry_after_header=args.retry_after,
        host=args.host,
        port=args.port,
    )
    async with fake:
        lines = [
            f"FakeSoundCloud serving on {fake.base_url}",
            f"  client_id:     {fake.client_id}",
            f"  client_secret: {fake.client_secret}",
            f"  access token:  {fake.issue_token()}  (test user "
            f"{fake.oauth.default_user_urn}, {int(args.token_lifetime)} s)",
            "Press Ctrl-C to stop.",
        ]
        print("\n".join(lines), flush=True)
        stop = asyncio.Event()
        # SIGTERM (and SIGINT, which a background job may have inherited as ignored)
        # stop the server cleanly; Windows has no add_signal_handler.
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(signum, stop.set)
        await stop.wait()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the fake until interrupted; the exit status."""
    args = build_parser().parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args))
    print("stopped", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
