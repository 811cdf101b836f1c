"""What every subcommand shares: exit codes, option groups, the client, JSON output, errors.

A subcommand module (``_crawl``, ``_get``, ...) exposes ``add_parser(subparsers, common)``
and an async ``run(args) -> int``; ``cli/__init__.py`` lists the modules, and
:func:`run_command` is the one place an exception becomes a message and an exit code.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from typing import Any, NoReturn, TypeAlias
from urllib.parse import urlsplit

import anyio
import orjson

from soundcloud_async._auth import DEFAULT_TOKEN_URL, Auth, ClientCredentials
from soundcloud_async._backoff import RetryPolicy
from soundcloud_async._client import DEFAULT_BASE_URL, DEFAULT_RATE, SoundCloud
from soundcloud_async._converters import unstructure
from soundcloud_async._errors import (
    InvalidArgument,
    SoundCloudError,
    TransportError,
    Unauthorized,
    redact_url,
)
from soundcloud_async._ratelimit import RateLimiter, TokenBucket

__all__ = [
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "ArgumentParser",
    "Common",
    "Failure",
    "Subparsers",
    "UsageError",
    "client",
    "depth",
    "error",
    "positive_float",
    "positive_int",
    "print_json",
    "run_command",
]

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

PROG = "soundcloud-async"

_CREDENTIALS_HELP = (
    "credentials: SOUNDCLOUD_ACCESS_TOKEN (a user's or app's token), or "
    "SOUNDCLOUD_CLIENT_ID and SOUNDCLOUD_CLIENT_SECRET (client credentials); "
    "the --access-token / --client-id / --client-secret flags override them"
)


class UsageError(Exception):
    """A mistake in the command line: message, exit code 2."""


class Failure(Exception):
    """A failure while running that is not a bug (a port in use, Redis down): exit code 1."""


class ArgumentParser(argparse.ArgumentParser):
    """argparse, with a two-line error instead of the whole usage text before it."""

    def error(self, message: str) -> NoReturn:
        """Print the mistake and where to read about the options; exit 2."""
        self.exit(
            EXIT_USAGE,
            f"{self.prog}: error: {message}\n(see '{self.prog} --help' for the options)\n",
        )


#: What a subcommand's ``add_parser`` receives: ``subparsers.add_parser(name, ...)``
#: (it makes :class:`ArgumentParser` instances; typed as argparse's so that any parser,
#: such as ``python -m soundcloud_async.testing``'s, can be a parent).
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


# -- argparse types ---------------------------------------------------------------------


def positive_int(text: str) -> int:
    """An integer >= 1 (argparse type)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, not {text!r}")
    return value


def depth(text: str) -> int:
    """An integer >= 0 (argparse type)."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a depth >= 0, not {text!r}")
    return value


def positive_float(text: str) -> float:
    """A finite number > 0 (argparse type)."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number, not {text!r}")
    return value


# -- option groups ----------------------------------------------------------------------


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
        type=positive_float,
        default=DEFAULT_RATE,
        help="requests per second, at most (default: %(default)s; adapts down on 429s)",
    )
    g.add_argument("--burst", type=positive_float, default=None, help="token bucket burst")
    g.add_argument(
        "--max-attempts",
        type=positive_int,
        default=5,
        help="attempts per request, retries included (default: %(default)s)",
    )
    g.add_argument(
        "--allow-insecure-http",
        action="store_true",
        help="accept a plain-http --base-url/--token-url on a host that is not loopback "
        "(the token and client secret then travel in clear)",
    )
    return p


class Common:
    """Parent parsers a subcommand can inherit: ``parents=[common.connection]``.

    Attributes:
        connection: ``--base-url``, ``--token-url``, the credentials, ``--rate``,
            ``--burst`` and ``--max-attempts``.
    """

    def __init__(self) -> None:
        self.connection = _connection_options()


# -- the client -------------------------------------------------------------------------


def _auth(args: argparse.Namespace) -> tuple[str | None, Auth | None]:
    token = args.access_token or os.environ.get("SOUNDCLOUD_ACCESS_TOKEN")
    if token:
        return token, None
    client_id = args.client_id or os.environ.get("SOUNDCLOUD_CLIENT_ID")
    secret = args.client_secret or os.environ.get("SOUNDCLOUD_CLIENT_SECRET")
    if not (client_id or secret):
        raise UsageError(
            "no credentials: set SOUNDCLOUD_ACCESS_TOKEN, or SOUNDCLOUD_CLIENT_ID and "
            "SOUNDCLOUD_CLIENT_SECRET (or pass --access-token, or --client-id and "
            "--client-secret)"
        )
    if not secret:
        given = "--client-id" if args.client_id else "SOUNDCLOUD_CLIENT_ID"
        raise UsageError(
            f"{given} is set but the client secret is missing: pass --client-secret or "
            "set SOUNDCLOUD_CLIENT_SECRET (or use an access token instead)"
        )
    if not client_id:
        given = "--client-secret" if args.client_secret else "SOUNDCLOUD_CLIENT_SECRET"
        raise UsageError(
            f"{given} is set but the client id is missing: pass --client-id or "
            "set SOUNDCLOUD_CLIENT_ID (or use an access token instead)"
        )
    token_url = args.token_url
    if token_url is None:
        base = args.base_url.rstrip("/")
        token_url = DEFAULT_TOKEN_URL if base == DEFAULT_BASE_URL else f"{base}/oauth/token"
    # Resolved in place, so that a failure to reach it can be reported as the token
    # endpoint's rather than the API's.
    args.token_url = token_url
    return None, ClientCredentials(
        client_id, secret, token_url=token_url, allow_insecure_http=args.allow_insecure_http
    )


def client(args: argparse.Namespace, limiter: RateLimiter | None = None) -> SoundCloud:
    """A client from the connection options (and the environment's credentials).

    Raises:
        UsageError: no credentials.
    """
    token, auth = _auth(args)
    return SoundCloud(
        token,
        auth=auth,
        base_url=args.base_url,
        rate_limiter=limiter or TokenBucket(args.rate, args.burst, adaptive=True),
        retry=RetryPolicy(max_attempts=args.max_attempts),
        allow_insecure_http=args.allow_insecure_http,
    )


# -- output -----------------------------------------------------------------------------


def print_json(value: Any) -> None:
    """Print a model (or plain data) as indented JSON on stdout."""
    data = unstructure(value) if not isinstance(value, str) else value
    sys.stdout.write(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n")
    sys.stdout.flush()


def error(message: str) -> None:
    """Print ``soundcloud-async: error: message`` on stderr."""
    print(f"{PROG}: error: {message}", file=sys.stderr)


# -- the error boundary -----------------------------------------------------------------


def run_command(args: argparse.Namespace) -> int:
    """Run ``args.run(args)`` to its exit code: every expected failure becomes a message.

    ``args.run`` is the chosen subcommand's async ``run`` (set by its parser's defaults).
    A usage error exits 2; a failure while running (the API, the network, a port in use)
    exits 1; Ctrl-C exits 130. Anything else is a bug and keeps its traceback.
    """
    try:
        code: int = anyio.run(args.run, args, backend_options=event_loop_options())
        return code
    except (KeyboardInterrupt, asyncio.CancelledError):
        # On Python 3.10 anyio's runner lets Ctrl-C out as the main task's
        # CancelledError rather than KeyboardInterrupt; nothing else cancels that task.
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BaseException as exc:
        leaves = _leaves(exc)
        if any(isinstance(leaf, KeyboardInterrupt) for leaf in leaves):
            print("interrupted", file=sys.stderr)
            return EXIT_INTERRUPTED
        described = [d for d in (_describe(leaf, args) for leaf in leaves) if d is not None]
        if len(described) < len(leaves):
            raise  # a bug: keep the traceback
        message, code = described[0]
        if len(described) > 1:
            message += f" (and {len(described) - 1} more errors)"
        error(message)
        return code


def event_loop_options() -> dict[str, Any]:
    """anyio's asyncio options for the command: uvloop when it is installed.

    ``pip install 'soundcloud-async[speed]'`` installs uvloop; ``SOUNDCLOUD_ASYNC_LOOP=
    asyncio`` keeps the standard loop anyway.
    """
    if os.environ.get("SOUNDCLOUD_ASYNC_LOOP", "").strip().lower() == "asyncio":
        return {}
    if sys.platform == "win32":  # anyio would look for winloop there
        return {}
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return {}
    return {"use_uvloop": True}


def _leaves(exc: BaseException) -> list[BaseException]:
    """The exceptions inside (nested) exception groups: a task group wraps what it raises.

    Duck-typed: on Python 3.10 the groups are anyio's backport, not a builtin.
    """
    inner = getattr(exc, "exceptions", None)
    if isinstance(inner, tuple) and inner and all(isinstance(e, BaseException) for e in inner):
        return [leaf for e in inner for leaf in _leaves(e)]
    return [exc]


def _describe(exc: BaseException, args: argparse.Namespace) -> tuple[str, int] | None:
    """The message and exit code for an expected failure; None for a bug."""
    if isinstance(exc, (UsageError, InvalidArgument)):
        return str(exc), EXIT_USAGE
    if isinstance(exc, Failure):
        return str(exc), EXIT_ERROR
    if isinstance(exc, TransportError):
        return f"cannot reach {_where(exc, args)}: {exc}", EXIT_ERROR
    if isinstance(exc, Unauthorized):
        return f"the credentials were refused: {exc}", EXIT_ERROR
    if isinstance(exc, (SoundCloudError, OSError)):
        return str(exc), EXIT_ERROR
    return None


def _where(exc: TransportError, args: argparse.Namespace) -> str:
    """Which server a transport error failed to reach: the token endpoint, or a host."""
    url = exc.url.partition("?")[0]
    token_url = getattr(args, "token_url", None)
    if token_url is not None and url.rstrip("/") == redact_url(token_url).rstrip("/"):
        return "the token endpoint"
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else "the server"
