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
from soundcloud_async._errors import InvalidArgument, NotFound, SoundCloudError, redact_url
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
from soundcloud_async.crawl import (
    Crawler,
    CrawlStore,
    CrawlStoreError,
    FollowGraph,
    StoreMismatch,
    export,
    open_store,
)
from soundcloud_async.crawl._export import format_for

__all__ = ["add_parser", "check_paths", "crawl", "crawl_options", "redis_url", "run"]

EXIT_INCOMPLETE = 3

_LEGACY = {
    "checkpoint": "--checkpoint is gone: the crawl's progress lives in its store (--store), "
    "saved with every page; run the same command again to continue",
    "checkpoint_interval": "--checkpoint-interval is gone: every page is committed to the "
    "store as it arrives",
    "format": "--format is gone: the crawl's results live in its store (--store); --out "
    "FILE.jsonl or FILE.csv exports them when the crawl ends",
}


def page_size(text: str) -> int:
    """An integer from 1 to 200 (argparse type)."""
    value = positive_int(text)
    if value > 200:
        raise argparse.ArgumentTypeError(f"expected 1 to 200 items per page, not {text!r}")
    return value


def crawl_options(*, demo: bool) -> argparse.ArgumentParser:
    """The options of a crawl: depth, direction, store, export, concurrency, progress."""
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("crawl")
    g.add_argument(
        "--depth",
        type=depth,
        default=2 if demo else 1,
        help="follow hops from the seed user (default: %(default)s)",
    )
    g.add_argument(
        "--direction",
        choices=("followings", "followers", "both"),
        default="followings",
        help="hop to whom a user follows, who follows them, or both (default: %(default)s)",
    )
    g.add_argument(
        "--concurrency",
        type=positive_int,
        default=16 if demo else 8,
        help="requests in flight at once in this process (default: %(default)s)",
    )
    g.add_argument(
        "--store",
        default="soundcloud-demo.sqlite" if demo else "crawl.sqlite",
        help="where the crawl's state and results live: a SQLite file, or "
        "postgresql://user@host/db for many workers (default: %(default)s)",
    )
    g.add_argument(
        "--out",
        default=None,
        help="when the crawl ends, export its results to this .jsonl or .csv file",
    )
    g.add_argument(
        "--resume",
        action="store_true",
        help="continue the crawl the store holds"
        + (
            " (without it the demo starts afresh)"
            if demo
            else " (always done; kept for old scripts)"
        ),
    )
    g.add_argument(
        "--lease",
        type=positive_float,
        default=30.0,
        help="seconds a worker holds a job without a sign of life before another may take "
        "it over (default: %(default)s)",
    )
    g.add_argument(
        "--job-attempts",
        type=positive_int,
        default=5,
        help="times a job that cannot go on is tried before it is recorded as failed "
        "(default: %(default)s)",
    )
    g.add_argument(
        "--retry-delay",
        type=positive_float,
        default=30.0,
        help="seconds before a set-aside job is first tried again; tripled each time "
        "(default: %(default)s)",
    )
    g.add_argument(
        "--playlist-tracks", action="store_true", help="include each playlist's track list"
    )
    g.add_argument(
        "--no-tracks", dest="tracks", action="store_false", help="do not crawl users' tracks"
    )
    g.add_argument(
        "--no-playlists",
        dest="playlists",
        action="store_false",
        help="do not crawl users' playlists",
    )
    g.add_argument(
        "--page-size",
        type=page_size,
        default=200,
        help="items per page, 1 to 200 (default: %(default)s)",
    )
    g.add_argument("--quiet", "-q", action="store_true", help="no progress display")
    for name in ("--checkpoint", "--checkpoint-interval", "--format"):
        g.add_argument(name, default=None, help=argparse.SUPPRESS)
    return p


def add_parser(subparsers: Subparsers, common: Common) -> argparse.ArgumentParser:
    """Add ``crawl``."""
    crawl_parser = subparsers.add_parser(
        "crawl",
        parents=[common.connection, crawl_options(demo=False)],
        help="crawl the follow graph from a user: users, tracks, playlists",
        description="Breadth-first over the follow graph from --seed-user to --depth: "
        "every reached user and their tracks and playlists, kept in --store (a SQLite "
        "file, or PostgreSQL). Every page is committed as it arrives: Ctrl-C, a crash or "
        "a kill loses nothing, and running the same command again continues the crawl. "
        "The same command on other processes or machines with one PostgreSQL --store "
        "works on the same crawl. Exit status 3: the crawl ended, but some objects could "
        "not be fetched (see `soundcloud-async status STORE`).",
    )
    crawl_parser.add_argument(
        "--seed-user", required=True, help="URN, id or soundcloud.com URL of the seed user"
    )
    crawl_parser.add_argument(
        "--overwrite",
        action="store_true",
        help="start afresh even if --store holds a crawl (its contents are dropped)",
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
    check_paths(args)
    if not _is_web_url(args.seed_user):
        URN.parse(args.seed_user, "users")  # a bad seed is refused before anything is made
    limiter = None
    try:
        if args.redis_url:
            limiter = _redis_limiter(args)
            await _reach_redis(args, limiter)  # before a store is made or a request sent
        store = await open_checked_store(args.store)
        try:
            async with client(args, limiter) as sc:
                seed = await _seed_urn(sc, args.seed_user)
                return await crawl(sc, args, seed, store, title="Crawling")
        except RateLimiterUnavailable as exc:
            raise _redis_failure(args, exc) from exc
        finally:
            await store.close()
    finally:
        if limiter is not None and hasattr(limiter, "aclose"):
            await limiter.aclose()


def _redis_failure(args: argparse.Namespace, exc: BaseException) -> Failure:
    # The library's hint (on_unavailable='local') names a Python argument, not an option.
    return Failure(
        f"cannot reach Redis at {redact_url(args.redis_url)} ({exc.__cause__ or exc}): "
        "start it, or crawl without --redis-url"
    )


async def _reach_redis(args: argparse.Namespace, limiter: RateLimiter) -> None:
    state = getattr(limiter, "state", None)
    if state is None:  # pragma: no cover - the Redis bucket has it
        return
    try:
        await state()
    except Exception as exc:  # redis-py's connection errors, whichever its version raises
        raise _redis_failure(args, exc) from exc


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


def _is_web_url(text: str) -> bool:
    return "soundcloud.com" in text and "api.soundcloud.com" not in text


async def _seed_urn(sc: SoundCloud, text: str) -> str:
    if _is_web_url(text):
        urn = await sc.resolve(text, urn_only=True)
        if urn.kind != "users":
            raise InvalidArgument(f"{redact_url(text)!r} is a {urn.kind[:-1]}, not a user")
        return str(urn)
    return str(URN.parse(text, "users"))


# -- what crawl and demo share ----------------------------------------------------------


def check_paths(args: argparse.Namespace) -> None:
    """Before any request: retired options, and an export path that can be written.

    Raises:
        UsageError: a retired option, or an --out that cannot be written.
    """
    for name, message in _LEGACY.items():
        if getattr(args, name, None) is not None:
            raise UsageError(message)
    out = args.out
    if out is None:
        return
    if Path(out).suffix.lower() in (".sqlite", ".sqlite3", ".db"):
        raise UsageError(
            f"--out {out}: the crawl's SQLite file is its --store now; --out exports the "
            "results at the end as .jsonl or .csv"
        )
    try:
        format_for(out)
    except InvalidArgument as exc:
        raise UsageError(str(exc)) from None
    target = Path(out)
    if target.is_dir():
        raise UsageError(f"--out {out} is a directory; name a file")
    parent = target.parent
    if not parent.is_dir():
        raise UsageError(f"--out {out}: no directory {parent}")
    if not os.access(parent, os.W_OK | os.X_OK) or (
        target.exists() and not os.access(target, os.W_OK)
    ):
        raise UsageError(f"--out {out}: not writable")


async def open_checked_store(location: str, *, create: bool = True) -> CrawlStore:
    """A crawl store, connected (created if new and ``create``) before any request.

    Raises:
        UsageError: it cannot be opened, or holds something else (exit status 2); a
            store failing later, while the crawl runs, is a failure (exit status 1).
    """
    try:
        store = open_store(location)
        await store.connect(create=create)
    except CrawlStoreError as exc:
        raise UsageError(str(exc)) from None
    return store


async def crawl(
    sc: SoundCloud,
    args: argparse.Namespace,
    seed: str,
    store: CrawlStore,
    *,
    title: str,
    overwrite: bool | None = None,
) -> int:
    """Run a FollowGraph crawl with progress, Ctrl-C handling and a summary; the exit code."""
    try:
        await sc.users.get(seed)
    except NotFound:
        raise UsageError(f"the seed user {seed} does not exist (404)") from None
    crawler = Crawler(
        sc,
        FollowGraph(
            seed,
            depth=args.depth,
            direction=args.direction,
            tracks=args.tracks,
            playlists=args.playlists,
            playlist_tracks=args.playlist_tracks,
            page_size=args.page_size,
        ),
        store=store,
        overwrite=args.overwrite if overwrite is None else overwrite,
        concurrency=args.concurrency,
        lease=args.lease,
        max_attempts=args.job_attempts,
        retry_delay=args.retry_delay,
    )
    progress = Progress(sc, crawler, sys.stderr)
    print(
        f"{title}: {seed}, depth {args.depth}, concurrency {args.concurrency}, "
        f"store {store.location}",
        file=sys.stderr,
        flush=True,
    )
    interrupted = False
    try:
        interrupted = await _run_with_signals(crawler, progress, quiet=args.quiet)
    except StoreMismatch as exc:
        raise UsageError(str(exc)) from None
    finally:
        progress.finish()
    status = await store.status(problems=10)
    if interrupted:
        print(progress.summary(outcome="Interrupted", status=status), file=sys.stderr)
        if overwrite:  # the demo: a plain run starts afresh
            again = "it again with --resume"
        elif args.overwrite:
            again = "the same command again without --overwrite"
        else:
            again = "the same command again"
        print(
            f"every page so far is saved in {store.location}; run {again} to continue",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    exported = None
    if args.out is not None:
        exported = await export(store, args.out)
    incomplete = status.not_fetched > 0 or bool(status.invalid)
    outcome = "Done, with objects not fetched" if incomplete else "Done"
    print(
        progress.summary(outcome=outcome, status=status, out=args.out, exported=exported),
        file=sys.stderr,
    )
    return EXIT_INCOMPLETE if incomplete else EXIT_OK


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
