"""A chat bot's core: someone pastes a SoundCloud link, the bot answers with the track.

Resolve the URL, fetch the track's stream URLs, and (optionally) like it and leave a
comment at a position. Polite under 429s: a spam block or a long plays-window wait is
reported to the user instead of retried.
"""

from __future__ import annotations

import os
import sys

import anyio

from soundcloud_async import (
    InvalidArgument,
    NotFound,
    Playlist,
    RateLimited,
    SoundCloud,
    Track,
    User,
)


async def answer(sc: SoundCloud, pasted: str, *, like: bool = False) -> str:
    """The bot's reply to a pasted link."""
    try:
        found = await sc.resolve(pasted)
    except InvalidArgument:
        return "That doesn't look like a SoundCloud link."
    except NotFound:
        return "SoundCloud doesn't know that link."
    if isinstance(found, User):
        return f"{found.username}: {found.followers_count or 0} followers"
    if isinstance(found, Playlist):
        return f"playlist {found.title!r}, {found.track_count or 0} tracks"
    assert isinstance(found, Track)
    try:
        streams = await sc.tracks.streams(found.urn or "")
        if like:
            await sc.likes.like_track(found.urn or "")
            await sc.tracks.comment(found.urn or "", "shared in chat", timestamp_ms=30_000)
    except RateLimited as exc:
        if exc.spam_warning_urn:
            return "SoundCloud thinks I'm spamming; I'll stay quiet for a while."
        return f"SoundCloud asks me to slow down (retry in {exc.retry_after or 0:.0f} s)."
    artist = found.user.username if found.user else "?"
    link = streams.hls_aac_160_url or streams.http_mp3_128_url or "no stream"
    return f"{found.title} by {artist} ({(found.duration or 0) // 1000} s): {link}"


USAGE = """usage: python examples/bot.py LINK

Answer a pasted SoundCloud link as the bot would. Needs SOUNDCLOUD_ACCESS_TOKEN (and
SOUNDCLOUD_API=http://127.0.0.1:8080 to try it against python -m soundcloud_async.testing)."""


async def main(pasted: str, token: str) -> None:
    async with SoundCloud(
        token, base_url=os.environ.get("SOUNDCLOUD_API", "https://api.soundcloud.com")
    ) as sc:
        print(await answer(sc, pasted))


if __name__ == "__main__":
    if sys.argv[1:] in (["-h"], ["--help"]):
        print(USAGE)
        sys.exit(0)
    if len(sys.argv) != 2:
        print(USAGE, file=sys.stderr)
        sys.exit(2)
    token = os.environ.get("SOUNDCLOUD_ACCESS_TOKEN", "")
    if not token:
        print("error: set SOUNDCLOUD_ACCESS_TOKEN to an access token", file=sys.stderr)
        sys.exit(2)
    anyio.run(main, sys.argv[1], token)
