"""``soundcloud-async get``: print one track, user or playlist as JSON."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from typing import Any

from soundcloud_async._client import SoundCloud
from soundcloud_async._urn import URN
from soundcloud_async.cli._common import EXIT_OK, Common, Subparsers, UsageError, client, print_json
from soundcloud_async.cli._resolve import resolve_url

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Subparsers, common: Common) -> argparse.ArgumentParser:
    """Add ``get``."""
    get = subparsers.add_parser(
        "get",
        parents=[common.connection],
        help="print one track, user or playlist as JSON",
        description="Print one object as JSON: a URN (soundcloud:tracks:123), an "
        "api.soundcloud.com URL, or a soundcloud.com URL (resolved first).",
    )
    get.add_argument("target", metavar="URN|URL")
    return get


async def run(args: argparse.Namespace) -> int:
    """Fetch the object behind a URN or URL and print it."""
    target = args.target.strip()
    if "soundcloud.com" in target and "api.soundcloud.com" not in target:
        return await resolve_url(args, target)
    if target.isdigit():
        # URN.parse's own hint (kind='tracks') is written for Python callers.
        raise UsageError(
            f"{target!r} is a bare id, which does not say what it is: write its URN, "
            f"soundcloud:tracks:{target}, soundcloud:users:{target} or "
            f"soundcloud:playlists:{target}"
        )
    urn = URN.parse(target)
    getters: dict[str, Callable[[SoundCloud], Awaitable[Any]]] = {
        "tracks": lambda sc: sc.tracks.get(urn),
        "users": lambda sc: sc.users.get(urn),
        "playlists": lambda sc: sc.playlists.get(urn),
    }
    getter = getters.get(urn.kind)
    if getter is None:
        raise UsageError(
            f"get takes a track, user or playlist URN (soundcloud:tracks:ID, "
            f"soundcloud:users:ID, soundcloud:playlists:ID), not a {urn.kind!r} one: {urn}"
        )
    async with client(args) as sc:
        print_json(await getter(sc))
    return EXIT_OK
