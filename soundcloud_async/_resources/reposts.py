"""``sc.reposts``: repost and unrepost tracks and playlists as the authenticated user."""

from __future__ import annotations

from soundcloud_async._resources._base import Resource
from soundcloud_async._resources._registry import operation
from soundcloud_async._urn import URNLike, to_urn

__all__ = ["Reposts"]

_NO_TRACK_UNREPOST = (
    "SoundCloud names no replacement; undo a track repost on soundcloud.com "
    "(sc.me.iter_reposted_tracks() lists them)"
)


class Reposts(Resource):
    """Reposts of the authenticated user (``/reposts``); list them with
    ``sc.me.iter_reposted_tracks()`` and ``sc.me.iter_reposted_playlists()``."""

    __slots__ = ()

    @operation("POST", "/reposts/tracks/{track_urn}")
    async def repost_track(self, track: URNLike) -> None:
        """``POST /reposts/tracks/{track_urn}``: repost a track.

        Raises:
            InvalidURN: ``track`` is not a track URN.
            NotFound: no such track, or not visible to you.
        """
        urn = to_urn(track, "tracks")
        await self._request("POST", f"/reposts/tracks/{urn}")

    @operation("DELETE", "/reposts/tracks/{track_urn}", deprecated=_NO_TRACK_UNREPOST)
    async def unrepost_track(self, track: URNLike) -> None:
        """``DELETE /reposts/tracks/{track_urn}``: remove your repost of a track
        (deprecated by SoundCloud, which names no replacement).

        Raises:
            InvalidURN: ``track`` is not a track URN.
            NotFound: no such track, or you did not repost it.
        """
        urn = to_urn(track, "tracks")
        await self._request("DELETE", f"/reposts/tracks/{urn}")

    @operation("POST", "/reposts/playlists/{playlist_urn}")
    async def repost_playlist(self, playlist: URNLike) -> None:
        """``POST /reposts/playlists/{playlist_urn}``: repost a playlist.

        Raises:
            InvalidURN: ``playlist`` is not a playlist URN.
            NotFound: no such playlist, or not visible to you.
        """
        urn = to_urn(playlist, "playlists")
        await self._request("POST", f"/reposts/playlists/{urn}")

    @operation("DELETE", "/reposts/playlists/{playlist_urn}")
    async def unrepost_playlist(self, playlist: URNLike) -> None:
        """``DELETE /reposts/playlists/{playlist_urn}``: remove your repost of a playlist.

        Raises:
            InvalidURN: ``playlist`` is not a playlist URN.
            NotFound: no such playlist, or you did not repost it.
        """
        urn = to_urn(playlist, "playlists")
        await self._request("DELETE", f"/reposts/playlists/{urn}")
