"""``soundcloud-async export``: stream a crawl store's results out as JSON lines or CSV."""

from __future__ import annotations

import argparse
import sys

from soundcloud_async._errors import InvalidArgument
from soundcloud_async.cli._common import EXIT_OK, Common, UsageError
from soundcloud_async.cli._crawl import open_checked_store
from soundcloud_async.crawl import export
from soundcloud_async.crawl._export import format_for

__all__ = ["add_parser", "run"]


def add_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], common: Common
) -> argparse.ArgumentParser:
    """Add ``export``."""
    parser = subparsers.add_parser(
        "export",
        help="write a crawl store's objects as JSON lines or CSV",
        description="Stream the objects a crawl stored to --out (or stdout), in constant "
        'memory: JSON lines ({"kind": ..., "data": {...}}) or CSV (one column per '
        "field; nested values as JSON). Works while the crawl runs.",
    )
    parser.add_argument("store", metavar="STORE", help="a SQLite file or postgresql:// URL")
    parser.add_argument(
        "--format",
        choices=("jsonl", "csv"),
        default=None,
        help="output format (default: by --out's extension, else jsonl)",
    )
    parser.add_argument("--out", default=None, help="output file (default: stdout)")
    parser.add_argument(
        "--kind",
        action="append",
        choices=("user", "track", "playlist"),
        default=None,
        help="only objects of this kind (repeatable; default: all)",
    )
    return parser


async def run(args: argparse.Namespace) -> int:
    """Export the store."""
    fmt = args.format
    if fmt is None:
        try:
            fmt = format_for(args.out)
        except InvalidArgument as exc:
            raise UsageError(str(exc)) from None
    store = await open_checked_store(args.store, create=False)
    try:
        count = await export(store, args.out, format=fmt, kinds=args.kind)
    finally:
        await store.close()
    if args.out is not None:
        print(f"exported {count:,} objects to {args.out}", file=sys.stderr)
    else:
        sys.stdout.flush()
    return EXIT_OK
