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
import errno
import ipaddress
import math
import re
import signal
import socket
import sys
from collections.abc import Callable, Sequence
from typing import get_args

from soundcloud_async.testing._faults import FAULT_KINDS
from soundcloud_async.testing._server import FakeSoundCloud
from soundcloud_async.testing._world import WorldSize

__all__ = [
    "ListenError",
    "build_parser",
    "host",
    "main",
    "parse_fault",
    "port",
    "serve",
]


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


def port(text: str) -> int:
    """A TCP port, 0 (any free one) to 65535 (argparse type)."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 0 to 65535, not {text!r}")
    return value


_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)", re.ASCII)


def host(text: str) -> str:
    """An IP address or a host name to listen on (argparse type).

    A dotted-decimal string must be a valid IPv4 address (``256.1.1.1`` is not a host
    name either); anything with a colon, an IPv6 address.
    """
    try:
        if ":" in text:
            ipaddress.IPv6Address(text.removeprefix("[").removesuffix("]"))
            return text.removeprefix("[").removesuffix("]")
        if re.fullmatch(r"[0-9.]+", text):
            ipaddress.IPv4Address(text)
            return text
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an IP address: {text!r} ({exc})") from None
    labels = text.removesuffix(".").split(".")
    if not text or len(text) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise argparse.ArgumentTypeError(f"not an IP address or host name: {text!r}")
    return text


def _number(minimum: float, *, inclusive: bool) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value < minimum or (value == minimum and not inclusive):
            relation = ">=" if inclusive else ">"
            raise argparse.ArgumentTypeError(
                f"expected a number {relation} {minimum:g}, not {text!r}"
            )
        return value

    return parse


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, not {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``python -m soundcloud_async.testing``."""
    parser = argparse.ArgumentParser(
        prog="python -m soundcloud_async.testing",
        description="Serve a fake SoundCloud API (data, OAuth 2.1, 429s, faults) on loopback.",
    )
    parser.add_argument("--host", type=host, default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=port, default=8080, help="port (0: any free port)")
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
        "--rate",
        type=_number(0, inclusive=False),
        default=None,
        help="general limit: requests per second per client",
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
        "--slow-delay",
        type=_number(0, inclusive=True),
        default=1.0,
        help="seconds a 'slow' fault delays an answer",
    )
    parser.add_argument(
        "--retry-after", action="store_true", help="send Retry-After on 429s (SoundCloud does not)"
    )
    parser.add_argument(
        "--spam-after", type=_count, default=None, help="comment/like POSTs before the spam 429"
    )
    parser.add_argument(
        "--token-lifetime",
        type=_number(0, inclusive=False),
        default=3599.0,
        help="access token lifetime in seconds",
    )
    return parser


class ListenError(OSError):
    """The fake could not listen on the address it was given (a port in use, ...)."""


def _listen_error(exc: OSError, host: str, port: int) -> ListenError:
    where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    if isinstance(exc, socket.gaierror):
        reason = f"unknown host {host!r} ({exc.strerror})"
    elif exc.errno == errno.EADDRINUSE:
        reason = "the port is in use (pick another --port, or 0 for any free one)"
    elif exc.errno == errno.EADDRNOTAVAIL:
        reason = f"{host} is not an address of this machine"
    elif exc.errno == errno.EACCES:
        reason = "permission denied (ports below 1024 need privileges)"
    else:
        reason = exc.strerror or str(exc)
    return ListenError(f"cannot listen on {where}: {reason}")


async def serve(args: argparse.Namespace) -> None:
    """Serve a fake built from ``build_parser()``'s options until SIGINT or SIGTERM.

    Raises:
        ListenError: the address cannot be listened on.
    """
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
        # Nothing outside this process can read the request log: keep only its counts,
        # so a long crawl of a big world does not grow the server by ~1 KB per request.
        max_records=0,
    )
    try:
        await fake.start()
    except OSError as exc:
        # OverflowError (a port out of range) is stopped by the parser's type.
        raise _listen_error(exc, args.host, args.port) from exc
    try:
        stop = asyncio.Event()
        # SIGTERM (and SIGINT, which a background job may have inherited as ignored)
        # stop the server cleanly; Windows has no add_signal_handler. Installed before
        # the ready lines, so that a signal sent on reading them is not the default one.
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(signum, stop.set)
        lines = [
            f"FakeSoundCloud serving on {fake.base_url}",
            f"  client_id:     {fake.client_id}",
            f"  client_secret: {fake.client_secret}",
            f"  access token:  {fake.issue_token()}  (test user "
            f"{fake.oauth.default_user_urn}, {int(args.token_lifetime)} s)",
            "Press Ctrl-C to stop.",
        ]
        print("\n".join(lines), flush=True)
        await stop.wait()
    finally:
        await fake.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the fake until interrupted; the exit status (130 when stopped by a signal)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        asyncio.run(serve(args))
    except KeyboardInterrupt:
        pass
    except ListenError as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:
        parser.error(str(exc))
    print("stopped", file=sys.stderr)
    return 130


if __name__ == "__main__":
    sys.exit(main())
