"""The ``soundcloud-async`` command: crawl, status, export, get, resolve, download, a fake
server, a demo.

Built on stdlib :mod:`argparse`: a few subcommands with plain options need nothing more,
and the library keeps its dependency list short. Each subcommand is a module here
(``_crawl``, ``_get``, ...) with ``add_parser(subparsers, common)`` and an async
``run(args) -> int``; :data:`SUBCOMMANDS` lists them. ``_common`` holds the shared options,
the client factory and the one place an exception becomes a message and an exit code.

Exit codes: 0 done; 1 the API or the network failed (a message, never a traceback);
2 a usage error (bad option, bad URN or URL, missing credentials, output in the way);
3 a crawl ended but some objects could not be fetched (``status`` lists them);
130 interrupted (Ctrl-C or SIGTERM; every page a crawl delivered is already in its store).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Awaitable, Sequence
from typing import TYPE_CHECKING, Protocol, cast

if TYPE_CHECKING:
    from soundcloud_async.cli._common import Common, Subparsers

__all__ = ["SUBCOMMANDS", "build_parser", "main"]

# The subcommands in --help order: the name of each, and its module under this package.
# Adding one is a module with add_parser() and run(), and a line here.
SUBCOMMANDS: dict[str, str] = {
    "demo": "_demo",
    "crawl": "_crawl",
    "status": "_status",
    "export": "_export",
    "get": "_get",
    "resolve": "_resolve",
    "download": "_download",
    "fake-server": "_fake_server",
}


_EXIT_INTERRUPTED = 130  # _common.EXIT_INTERRUPTED, before _common is imported


class _Subcommand(Protocol):
    """What a subcommand module provides."""

    def add_parser(self, subparsers: Subparsers, common: Common) -> argparse.ArgumentParser: ...

    def run(self, args: argparse.Namespace) -> Awaitable[int]: ...


def build_parser() -> argparse.ArgumentParser:
    """The whole command line; the chosen subcommand's ``run`` is in ``args.run``."""
    from soundcloud_async._version import __version__
    from soundcloud_async.cli._common import PROG, ArgumentParser, Common

    parser = ArgumentParser(
        prog=PROG,
        description="Crawl, fetch and resolve SoundCloud objects; serve a fake SoundCloud.",
        epilog="Run 'soundcloud-async demo' to see a crawl against a local fake server.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = cast(
        "Subparsers", parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    )
    common = Common()
    for module_name in SUBCOMMANDS.values():
        module = cast(_Subcommand, importlib.import_module(f"{__name__}.{module_name}"))
        module.add_parser(subparsers, common).set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit status (the console script exits with it).

    Ctrl-C at any point, even while the subcommands are still being imported, exits 130
    without a traceback.
    """
    try:
        from soundcloud_async.cli._common import run_command

        args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
        return run_command(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return _EXIT_INTERRUPTED
