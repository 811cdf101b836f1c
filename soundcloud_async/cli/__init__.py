"""The ``soundcloud-async`` command: crawl, get, resolve, a fake server and a demo.

Built on stdlib :mod:`argparse`: five subcommands with plain options need nothing more,
and the library keeps its dependency list short.

Exit codes: 0 done; 1 the API or the network failed (a message, never a traceback);
2 a usage error (bad option, bad URN or URL, missing credentials, output in the way);
130 interrupted (Ctrl-C; a crawl saves its checkpoint first).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import anyio
import orjson

from soundcloud_async._auth import Auth
from soundcloud_async._backoff import RetryPolicy
from soundcloud_async._client import DEFAULT_BASE_URL, DEFAULT_RATE, SoundCloud
from soundcloud_async._converters import unstructure
from soundcloud_async._errors import (
    InvalidArgument,
    NotFound,
    SoundCloudError,
    TransportError,
    Unauthorized,
)
from soundcloud_async._ratelimit import RateLimiter, TokenBucket
from soundcloud_async._urn import URN
from soundcloud_async._version import __version__
from soundcloud_async.cli._progress import Progress
from soundcloud_async.crawl import Crawler, FollowGraph, JSONLSink, Sink, SQLiteSink

__all__ = ["build_parser", "main"]

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

_DEMO_OUT = "soundcloud-demo.jsonl"
_CREDENTIALS_HELP = (
    "credentials: SOUNDCLOUD_ACCESS_TOKEN (a user's or app's token), or "
    "SOUNDCLOUD_CLIENT_ID and SOUNDCLOUD_CLIENT_SECRET (client credentials); "
    "the --access-token / --client-id / --client-secret flags override them"
)


class UsageError(Exception):
    """A mistake in the command line: message, exit code 2."""


# -- the parser -------------------------------------------------------------------------


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, not {text!r}")
    return value


def _depth(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a depth >= 0, not {text!r}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number, not {text!r}")
    return value


def _connection_options() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("connection", _CREDENTIALS_HELP)
    g.add_argument(
        "--base-url", default=DEFAULT_BASE_URL, help="API base URL (default: %(default)s)"
    )
    g.add_argument(
        "--token-url",
        default=None,
        help="OAuth token endpoint for client credentials (default: SoundCloud's, "
        "or BASE_URL/oauth/token when --base-url is not the real API)",
    )
    g.add_argument("--access-token", default=None, help="an OAuth access token")
    g.add_argument("--client-id", default=None, help="the app's client id")
    g.add_argument("--client-secret", default=None, help="the app's client secret")
    g.add_argument(
        "--rate",
        type=_positive_float,
        default=DEFAULT_RATE,
        help="requests per second, at most (default: %(default)s; adapts down on 429s)",
    )
    g.add_argument("--burst", type=_positive_float, default=None, help="token bucket burst")
    g.add_argument(
        "--max-attempts",
        type=_positive_int,
        default=5,
        help="attempts per request, retries included (default: %(default)s)",
    )
    return p


def _crawl_options(*, demo: bool) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("crawl")
    g.add_argument(
        "--depth",
        type=_depth,
        default=2 if demo else 1,
        help="follow hops from the seed user (default: %(default)s)",
    )
    g.add_argument(
        "--concurrency",
        type=_positive_int,
        default=16 if demo else 8,
        help="requests in flight at once (default: %(default)s)",
    )
    g.add_argument(
        "--out",
        default=_DEMO_OUT if demo else "crawl.jsonl",
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
        type=_positive_float,
        default=5.0,
        help="seconds between checkpoints (default: %(default)s)",
    )
    g.add_argument(
        "--playlist-tracks", action="store_true", help="include each playlist's track list"
    )
    g.add_argument("--quiet", "-q", action="store_true", help="no progress display")
    return p


def build_parser() -> argparse.ArgumentParser:
    """The whole command line."""
    parser = argparse.ArgumentParser(
        prog="soundcloud-async",
        description="Crawl, fetch and resolve SoundCloud objects; serve a fake SoundCloud.",
        epilog="Run 'soundcloud-async demo' to see a crawl against a local fake server.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    conn = _connection_options()

    demo = sub.add_parser(
        "demo",
        parents=[_crawl_options(demo=True)],
        help="crawl a local fake SoundCloud, with live progress",
        description="Start FakeSoundCloud in-process and crawl it breadth-first from its "
        "test user: users, tracks and playlists, under a rate limit the server "
        "enforces a little below the client's, with a few injected faults.",
    )
    g = demo.add_argument_group("fake server")
    g.add_argument("--size", default="small", help="world size: tiny, small, large")
    g.add_argument("--seed", type=int, default=0, help="seed of the world (default: 0)")
    g.add_argument(
        "--rate", type=_positive_float, default=60.0, help="client requests/s (default: 60)"
    )
    g.add_argument("--burst", type=_positive_float, default=None, help="client token bucket burst")
    g.add_argument(
        "--server-rate",
        type=_positive_float,
        default=50.0,
        help="the fake's limit in requests/s (default: 50)",
    )
    g.add_argument(
        "--fault",
        type=_fault,
        action="append",
        default=None,
        metavar="KIND=PROB",
        help="random fault (repeatable; default: server_error=0.02 reset=0.01)",
    )

    crawl = sub.add_parser(
        "crawl",
        parents=[conn, _crawl_options(demo=False)],
        help="crawl the follow graph from a user: users, tracks, playlists",
        description="Breadth-first over the follow graph from --seed-user to --depth, "
        "writing every reached user and their tracks and playlists to --out. "
        "Ctrl-C stops cleanly and saves the checkpoint; --resume continues.",
    )
    crawl.add_argument(
        "--seed-user", required=True, help="URN, id or soundcloud.com URL of the seed user"
    )
    crawl.add_argument(
        "--overwrite", action="store_true", help="replace --out if it exists (without --resume)"
    )
    crawl.add_argument(
        "--redis-url",
        default=None,
        help="share the rate budget across processes through Redis (needs the redis extra)",
    )

    get = sub.add_parser(
        "get",
        parents=[conn],
        help="print one track, user or playlist as JSON",
        description="Print one object as JSON: a URN (soundcloud:tracks:123), an "
        "api.soundcloud.com URL, or a soundcloud.com URL (resolved first).",
    )
    get.add_argument("target", metavar="URN|URL")

    resolve = sub.add_parser(
        "resolve",
        parents=[conn],
        help="print the object behind a soundcloud.com URL as JSON",
        description="Resolve a soundcloud.com or on.soundcloud.com URL and print the object.",
    )
    resolve.add_argument("url", metavar="URL")
    resolve.add_argument("--urn-only", action="store_true", help="print just the URN")

    from soundcloud_async.testing.__main__ import build_parser as fake_parser

    sub.add_parser(
        "fake-server",
        parents=[fake_parser()],
        conflict_handler="resolve",
        help="serve a fake SoundCloud API on loopback",
        description="Serve FakeSoundCloud (data, OAuth 2.1, 429s, faults) until Ctrl-C.",
    )
    return parser


def _fault(text: str) -> tuple[str, float]:
    from soundcloud_async.testing.__main__ import parse_fault

    return parse_fault(text)


# -- shared pieces ----------------------------------------------------------------------


def _auth(args: argparse.Namespace) -> tuple[str | None, Auth | None]:
    token = args.access_token or os.environ.get("SOUNDCLOUD_ACCESS_TOKEN")
    if token:
        return token, None
    client_id = args.client_id or os.environ.get("SOUNDCLOUD_CLIENT_ID")
    secret = args.client_secret or os.environ.get("SOUNDCLOUD_CLIENT_SECRET")
    if not (client_id and secret):
        raise UsageError(
            "no credentials: set SOUNDCLOUD_ACCESS_TOKEN, or SOUNDCLOUD_CLIENT_ID and "
            "SOUNDCLOUD_CLIENT_SECRET (or pass --access-token, or --client-id and "
            "--client-secret)"
        )
    from soundcloud_async._auth import DEFAULT_TOKEN_URL, ClientCredentials

    token_url = args.token_url
    if token_url is None:
        base = args.base_url.rstrip("/")
        token_url = DEFAULT_TOKEN_URL if base == DEFAULT_BASE_URL else f"{base}/oauth/token"
    return None, ClientCredentials(client_id, secret, token_url=token_url)


def _client(args: argparse.Namespace, limiter: RateLimiter | None = None) -> SoundCloud:
    token, auth = _auth(args)
    return SoundCloud(
        token,
        auth=auth,
        base_url=args.base_url,
        rate_limiter=limiter or TokenBucket(args.rate, args.burst, adaptive=True),
        retry=RetryPolicy(max_attempts=args.max_attempts),
    )


def _print_json(value: Any) -> None:
    data = unstructure(value) if not isinstance(value, str) else value
    sys.stdout.write(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n")
    sys.stdout.flush()


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


async def _seed_urn(sc: SoundCloud, text: str) -> str:
    if "soundcloud.com" in text and "api.soundcloud.com" not in text:
        urn = await sc.resolve(text, urn_only=True)
        if urn.kind != "users":
            raise InvalidArgument(f"{text!r} is a {urn.kind[:-1]}, not a user")
        return str(urn)
    return str(URN.parse(text, "users"))


async def _crawl(sc: SoundCloud, args: argparse.Namespace, seed: str, *, title: str) -> int:
    """Run a FollowGraph crawl with progress, Ctrl-C handling and a summary."""
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


# -- commands ---------------------------------------------------------------------------


async def _cmd_crawl(args: argparse.Namespace) -> int:
    limiter = None
    if args.redis_url:
        limiter = _redis_limiter(args)
    sc = _client(args, limiter)
    try:
        async with sc:
            seed = await _seed_urn(sc, args.seed_user)
            return await _crawl(sc, args, seed, title="Crawling")
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
    except ImportError as exc:
        raise UsageError(str(exc)) from exc


async def _cmd_demo(args: argparse.Namespace) -> int:
    from soundcloud_async.testing import FakeSoundCloud

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
        async with SoundCloud(
            fake.issue_token(),
            base_url=fake.base_url,
            rate_limiter=TokenBucket(args.rate, args.burst, adaptive=True),
        ) as sc:
            return await _crawl(sc, args, world.default_user_urn, title="Demo crawl")


async def _cmd_get(args: argparse.Namespace) -> int:
    target = args.target.strip()
    if "soundcloud.com" in target and "api.soundcloud.com" not in target:
        return await _cmd_resolve_url(args, target)
    urn = URN.parse(target)
    getters: dict[str, Callable[[SoundCloud], Awaitable[Any]]] = {
        "tracks": lambda sc: sc.tracks.get(urn),
        "users": lambda sc: sc.users.get(urn),
        "playlists": lambda sc: sc.playlists.get(urn),
    }
    getter = getters.get(urn.kind)
    if getter is None:
        raise InvalidArgument(f"get takes a track, user or playlist, not a {urn.kind[:-1]} URN")
    async with _client(args) as sc:
        _print_json(await getter(sc))
    return EXIT_OK


async def _cmd_resolve_url(args: argparse.Namespace, url: str, *, urn_only: bool = False) -> int:
    from soundcloud_async._client import _check_resolve_url

    _check_resolve_url(url)  # a bad URL is a usage error, before credentials
    async with _client(args) as sc:
        if urn_only:
            _print_json(str(await sc.resolve(url, urn_only=True)))
        else:
            _print_json(await sc.resolve(url))
    return EXIT_OK


async def _cmd_resolve(args: argparse.Namespace) -> int:
    return await _cmd_resolve_url(args, args.url, urn_only=args.urn_only)


_COMMANDS: dict[str, Callable[[argparse.Namespace], Awaitable[int]]] = {
    "crawl": _cmd_crawl,
    "demo": _cmd_demo,
    "get": _cmd_get,
    "resolve": _cmd_resolve,
}


def _check_output(args: argparse.Namespace, *, demo: bool) -> None:
    """Before any I/O: the output format is known, and nothing is overwritten unasked."""
    _sink(args)
    checkpoint = _checkpoint_path(args)
    args.resumable = bool(args.resume and Path(checkpoint).exists())
    if args.resume and not args.resumable:
        print(f"no checkpoint at {checkpoint}: starting afresh", file=sys.stderr)
    if not demo and not args.resume and not args.overwrite and Path(args.out).exists():
        raise UsageError(f"{args.out} exists: pass --resume to continue its crawl, or --overwrite")


def _error(message: str) -> None:
    print(f"soundcloud-async: error: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit status (the console script exits with it)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    if args.command == "fake-server":
        from soundcloud_async.testing.__main__ import main as fake_main

        return fake_main(argv[argv.index("fake-server") + 1 :])
    try:
        if args.command in ("crawl", "demo"):
            _check_output(args, demo=args.command == "demo")
        return anyio.run(_COMMANDS[args.command], args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except UsageError as exc:
        _error(str(exc))
        return EXIT_USAGE
    except InvalidArgument as exc:
        _error(str(exc))
        return EXIT_USAGE
    except TransportError as exc:
        _error(f"cannot reach {args.base_url if 'base_url' in args else 'the server'}: {exc}")
        return EXIT_ERROR
    except Unauthorized as exc:
        _error(f"the credentials were refused: {exc}")
        return EXIT_ERROR
    except NotFound as exc:
        _error(f"not found: {exc}")
        return EXIT_ERROR
    except SoundCloudError as exc:
        _error(str(exc))
        return EXIT_ERROR
    except OSError as exc:
        _error(str(exc))
        return EXIT_ERROR
