"""``soundcloud-async fake-server``: ``python -m soundcloud_async.testing`` as a subcommand."""

from __future__ import annotations

import argparse
import sys

from soundcloud_async.cli._common import EXIT_INTERRUPTED, Common, Subparsers, UsageError
from soundcloud_async.testing.__main__ import build_parser, serve

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Subparsers, common: Common) -> argparse.ArgumentParser:
    """Add ``fake-server`` (the options of ``python -m soundcloud_async.testing``)."""
    return subparsers.add_parser(
        "fake-server",
        parents=[build_parser()],
        conflict_handler="resolve",
        help="serve a fake SoundCloud API on loopback",
        description="Serve FakeSoundCloud (data, OAuth 2.1, 429s, faults) until Ctrl-C.",
    )


async def run(args: argparse.Namespace) -> int:
    """Serve until SIGINT or SIGTERM: exit code 130, as for any interrupted command.

    A port in use and the like raise ``ListenError`` (an ``OSError``: exit code 1).
    """
    try:
        await serve(args)
    except ValueError as exc:  # an option the parser's types let through
        raise UsageError(str(exc)) from exc
    print("stopped", file=sys.stderr)
    return EXIT_INTERRUPTED
