"""``soundcloud-async resolve``: print the object behind a soundcloud.com URL."""

from __future__ import annotations

import argparse

from soundcloud_async._client import _check_resolve_url
from soundcloud_async.cli._common import EXIT_OK, Common, Subparsers, client, print_json

__all__ = ["add_parser", "resolve_url", "run"]


def add_parser(subparsers: Subparsers, common: Common) -> argparse.ArgumentParser:
    """Add ``resolve``."""
    resolve = subparsers.add_parser(
        "resolve",
        parents=[common.connection],
        help="print the object behind a soundcloud.com URL as JSON",
        description="Resolve a soundcloud.com or on.soundcloud.com URL and print the object.",
    )
    resolve.add_argument("url", metavar="URL")
    resolve.add_argument(
        "--urn-only", action="store_true", help="print just the URN, as plain text"
    )
    return resolve


async def run(args: argparse.Namespace) -> int:
    """Resolve ``args.url`` and print the object (or its URN)."""
    return await resolve_url(args, args.url, urn_only=args.urn_only)


async def resolve_url(args: argparse.Namespace, url: str, *, urn_only: bool = False) -> int:
    """Resolve ``url`` with a client from ``args`` and print the result; the exit code."""
    _check_resolve_url(url)  # a bad URL is a usage error, before credentials
    async with client(args) as sc:
        if urn_only:
            # The bare URN, not a JSON string: it goes into shell variables and scripts.
            print(await sc.resolve(url, urn_only=True), flush=True)
        else:
            print_json(await sc.resolve(url))
    return EXIT_OK
