"""``sc.likes``: like and unlike tracks and playlists as the authenticated user."""

from __future__ import annotations

from soundcloud_async._resources._base import Resource
from soundcloud_async._resources._registry import operation
from soundcloud_async._urn import URNLike, to_urn

__all__ = ["Likes"]


class Likes(Resource):
    """Likes of the authenticated user (``/likes``); list them with
    ``sc.me.iter_liked_tracks()`` and ``sc.me.iter_liked_playlists()``.

    Likes have their own rate-limit group. A 429 carrying a ``spam_warning_urn`` is
    an account spam block: it raises :class:`~soundcloud_async.RateLimited` at once
    and is never retried.
    """

    __slots__ = ()

    @operation("POST", "/likes/tracks/{track_urn}")
    async def like_track(self, track: URNLike) -> None:
        """``POST /likes/tracks/{track_urn}``: like a track (liking twice is a no-op).

        Raises:
            InvalidURN: ``track`` is not a track URN.
            NotFound: no such track, or not visible to you.
            RateLimited: the likes limit, or a spam block (``spam_warning_urn`` set).
        """
        urn = to_urn(track, "tracks")
        await self._request("POST", f"/likes/tracks/{urn}")

    @operation("DELETE", "/likes/tracks/{track_urn}")
    async def unlike_track(self, track: URNLike) -> None:
        """``DELETE /likes/tracks/{track_urn}``: remove your like of a track.

        Raises:
            InvalidURN: ``track`` is not a track URN.
            NotFound: no such track, or you do not like it.
        """
        urn = to_urn(track, "tracks")
        await self._request("DELETE", f"/likes/tracks/{urn}")

    @operation("POST", "/likes/playlists/{playlist_urn}")
    async def like_playlist(self, playlist: URNLike) -> None:
        """``POST /likes/playlists/{playlist_urn}``: like a playlist.

        Raises:
            InvalidURN: ``playlist`` is not a playlist URN.
            NotFound: no such playlist, or not visible to you.
            RateLimited: the likes limit, or a spam block (``spam_warning_urn`` set).
        """
        urn = to_urn(playlist, "playlists")
        await self._request("POST", f"/likes/playlists/{urn}")

    @operation("DELETE", "/likes/playlists/{playlist_urn}")
    async def unlike_playlist(self, playlist: URNLike) -> None:
        """``DELETE /likes/playlists/{playlist_urn}``: remove your like of a playlist.

        Raises:
            InvalidURN: ``playlist`` is not a playlist URN.
            NotFound: no such playlist, or you do not like it.
        """
        urn = to_urn(playlist, "playlists")
        await self._request("DELETE", f"/likes/playlists/{urn}")
