"""``soundcloud-async crawl``, and the crawl runner ``demo`` shares with it."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path
from urllib.parse import urlsplit

import anyio

from soundcloud_async._client import SoundCloud
from soundcloud_async._errors import InvalidArgument, SoundCloudError, redact_url
from soundcloud_async._ratelimit import RateLimiter
from soundcloud_async._ratelimit_redis import RateLimiterUnavailable
from soundcloud_async._urn import URN
from soundcloud_async.cli._common import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    Common,
    Failure,
    Subparsers,
    UsageError,
    client,
    depth,
    positive_float,
    positive_int,
)
from soundcloud_async.cli._progress import Progress
from soundcloud_async.crawl import Crawler, FollowGraph, JSONLSink, Sink, SQLiteSink

__all__ = ["add_parser", "check_output", "crawl", "crawl_options", "redis_url", "run"]


def crawl_options(*, demo: bool) -> argparse.ArgumentParser:
    """The options of a crawl: depth, concurrency, output, checkpoint, progress."""
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("crawl")
    g.add_argument(
        "--depth",
        type=depth,
        default=2 if demo else 1,
        help="follow hops from the seed user (default: %(default)s)",
    )
    g.add_argument(
        "--concurrency",
        type=positive_int,
        default=16 if demo else 8,
        help="requests in flight at once (default: %(default)s)",
    )
    g.add_argument(
        "--out",
        default="soundcloud-demo.jsonl" if demo else "crawl.jsonl",
        help="output file, .jsonl or .sqlite/.db (default: %(default)s)",
    )
    g.add_argument(
        "--format",
        choices=("jsonl", "sqlite"),
        default=None,
        help="output format (default: by --out's extension)",
    )
    g.add_argument(
        "--checkpoint", default=None, help="checkpoint file (default: OUT.checkpoint.json)"
    )
    g.add_argument(
        "--resume", action="store_true", help="continue from the checkpoint if there is one"
    )
    g.add_argument(
        "--checkpoint-interval",
        type=positive_float,
        default=5.0,
        help="seconds between checkpoints (default: %(default)s)",
    )
    g.add_argument(
        "--playlist-tracks", action="store_true", help="include each playlist's track list"
    )
    g.add_argument("--quiet", "-q", action="store_true", help="no progress display")
    return p


def add_parser(subparsers: Subparsers, common: Common) -> argparse.ArgumentParser:
    """Add ``crawl``."""
    crawl_parser = subparsers.add_parser(
        "crawl",
        parents=[common.connection, crawl_options(demo=False)],
        help="crawl the follow graph from a user: users, tracks, playlists",
        description="Breadth-first over the follow graph from --seed-user to --depth, "
        "writing every reached user and their tracks and playlists to --out. "
        "Ctrl-C stops cleanly and saves the checkpoint; --resume continues.",
    )
    crawl_parser.add_argument(
        "--seed-user", required=True, help="URN, id or soundcloud.com URL of the seed user"
    )
    crawl_parser.add_argument(
        "--overwrite", action="store_true", help="replace --out if it exists (without --resume)"
    )
    crawl_parser.add_argument(
        "--redis-url",
        type=redis_url,
        default=None,
        help="share the rate budget across processes through Redis (needs the redis extra)",
    )
    return crawl_parser


def redis_url(text: str) -> str:
    """A ``redis://``, ``rediss://`` or ``unix://`` URL (argparse type).

    Checked here because redis-py's own errors do not say which option was wrong.
    """
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a URL: {redact_url(text)!r} ({exc})") from None
    if parts.scheme not in ("redis", "rediss", "unix") or not (parts.netloc or parts.path):
        raise argparse.ArgumentTypeError(
            f"expected a redis://, rediss:// or unix:// URL, not {redact_url(text)!r}"
        )
    return text


async def run(args: argparse.Namespace) -> int:
    """Crawl from ``--seed-user``."""
    check_output(args, demo=False)
    limiter = None
    if args.redis_url:
        limiter = _redis_limiter(args)
    sc = client(args, limiter)
    try:
        async with sc:
            seed = await _seed_urn(sc, args.seed_user)
            return await crawl(sc, args, seed, title="Crawling")
    except RateLimiterUnavailable as exc:
        # The library's hint (on_unavailable='local') names a Python argument, not an option.
        raise Failure(
            f"cannot reach Redis at {redact_url(args.redis_url)} ({exc.__cause__ or exc}): "
            "start it, or crawl without --redis-url"
        ) from exc
    finally:
        if limiter is not None and hasattr(limiter, "aclose"):
            await limiter.aclose()


def _redis_limiter(args: argparse.Namespace) -> RateLimiter:
    try:
        from soundcloud_async._ratelimit_redis import RedisTokenBucket
    except ImportError as exc:  # pragma: no cover - the module ships with the package
        raise UsageError(f"--redis-url is not available: {exc}") from exc
    client_id = args.client_id or os.environ.get("SOUNDCLOUD_CLIENT_ID") or "default"
    try:
        return RedisTokenBucket(
            args.redis_url, rate=args.rate, burst=args.burst, client_id=client_id
        )
    except (ImportError, ValueError) as exc:
        raise UsageError(f"--redis-url: {exc}") from exc


async def _seed_urn(sc: SoundCloud, text: str) -> str:
    if "soundcloud.com" in text and "api.soundcloud.com" not in text:
        urn = await sc.resolve(text, urn_only=True)
        if urn.kind != "users":
            raise InvalidArgument(f"{redact_url(text)!r} is a {urn.kind[:-1]}, not a user")
        return str(urn)
    return str(URN.parse(text, "users"))


# -- the runner crawl and demo share ----------------------------------------------------


def _sink(args: argparse.Namespace) -> tuple[Sink, str]:
    fmt = args.format
    if fmt is None:
        suffix = Path(args.out).suffix.lower()
        if suffix in (".jsonl", ".ndjson", ".json"):
            fmt = "jsonl"
        elif suffix in (".sqlite", ".sqlite3", ".db"):
            fmt = "sqlite"
        else:
            raise UsageError(
                f"cannot tell the format of {args.out!r}: name it .jsonl or .sqlite, "
                "or pass --format"
            )
    return (JSONLSink(args.out) if fmt == "jsonl" else SQLiteSink(args.out)), fmt


def _checkpoint_path(args: argparse.Namespace) -> str:
    return args.checkpoint or f"{args.out}.checkpoint.json"


def check_output(args: argparse.Namespace, *, demo: bool) -> None:
    """Before any I/O: the output format is known, and nothing is overwritten unasked.

    Raises:
        UsageError: an unknown format, or an output file in the way.
    """
    _sink(args)
    checkpoint = _checkpoint_path(args)
    args.resumable = bool(args.resume and Path(checkpoint).exists())
    if args.resume and not args.resumable:
        print(f"no checkpoint at {checkpoint}: starting afresh", file=sys.stderr)
    if not demo and not args.resume and not args.overwrite and Path(args.out).exists():
        raise UsageError(f"{args.out} exists: pass --resume to continue its crawl, or --overwrite")


async def crawl(sc: SoundCloud, args: argparse.Namespace, seed: str, *, title: str) -> int:
    """Run a FollowGraph crawl with progress, Ctrl-C handling and a summary; the exit code."""
    sink, _ = _sink(args)
    checkpoint = _checkpoint_path(args)
    resumable = args.resumable
    crawler = Crawler(
        sc,
        FollowGraph(seed, depth=args.depth, playlist_tracks=args.playlist_tracks),
        sinks=[sink],
        checkpoint=checkpoint,
        resume=resumable,
        concurrency=args.concurrency,
        checkpoint_interval=args.checkpoint_interval,
    )
    progress = Progress(sc, crawler, sys.stderr)
    print(
        f"{title}: {seed}, depth {args.depth}, concurrency {args.concurrency}"
        f"{' (resuming)' if resumable else ''}",
        file=sys.stderr,
        flush=True,
    )
    interrupted = False
    try:
        interrupted = await _run_with_signals(crawler, progress, quiet=args.quiet)
    finally:
        progress.finish()
    outcome = "Interrupted" if interrupted else "Done"

    print(progress.summary(outcome=outcome, out=args.out, checkpoint=checkpoint), file=sys.stderr)
    if interrupted:
        print(
            "checkpoint saved; run the same command with --resume to continue",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    return EXIT_OK


async def _run_with_signals(crawler: Crawler, progress: Progress, *, quiet: bool) -> bool:
    """Run the crawl until it ends or SIGINT/SIGTERM arrives; whether it was interrupted."""
    interrupted = False
    failure: SoundCloudError | None = None
    with anyio.CancelScope() as scope:
        async with anyio.create_task_group() as tg:

            async def watch_signals() -> None:
                nonlocal interrupted
                with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
                    async for _ in signals:
                        interrupted = True
                        scope.cancel()
                        return

            if sys.platform != "win32":
                tg.start_soon(watch_signals)
            if not quiet:
                tg.start_soon(progress.run)
            try:
                await crawler.run()
            except SoundCloudError as exc:
                # Raised out of the task group it would come wrapped in an ExceptionGroup.
                failure = exc
            tg.cancel_scope.cancel()
    if failure is not None:
        raise failure
    return interrupted
