"""``sc.me``: the authenticated user, its feed, collections and followings."""

from __future__ import annotations

from soundcloud_async._errors import NotFound
from soundcloud_async._pagination import DEFAULT_LIMIT, Checkpoint, Paginator
from soundcloud_async._resources._base import Resource
from soundcloud_async._resources._params import (
    AccessFilter,
    SortOrder,
    access_param,
    bool_param,
    sort_param,
)
from soundcloud_async._resources._registry import operation
from soundcloud_async._urn import URNLike, to_urn
from soundcloud_async.models import Activity, Me, Playlist, Track, User

__all__ = ["MeResource"]


class MeResource(Resource):
    """Operations on the authenticated user (``/me``); they need a user's token
    (a client-credentials token answers 401)."""

    __slots__ = ()

    @operation("GET", "/me")
    async def get(self) -> Me:
        """``GET /me``: the authenticated user's profile, with plan and upload quota.

        Raises:
            Unauthorized: no user token (client-credentials tokens have no ``/me``).
        """
        return await self._get_model("/me", Me)

    # -- the feed ----------------------------------------------------------------------

    def _activities(
        self,
        path: str,
        access: AccessFilter | None,
        limit: int,
        max_items: int | None,
        resume_from: Checkpoint | str | None,
    ) -> Paginator[Activity]:
        return self._paginate(
            path,
            Activity,
            params={"access": access_param(access)},
            limit=limit,
            max_items=max_items,
            resume_from=resume_from,
        )

    @operation("GET", "/me/feed")
    def iter_feed(
        self,
        *,
        access: AccessFilter | None = None,
        limit: int = DEFAULT_LIMIT,
        max_items: int | None = None,
        resume_from: Checkpoint | str | None = None,
    ) -> Paginator[Activity]:
        """``GET /me/feed``: tracks and playlists posted or reposted by the users you
        follow, newest first.

        Each :class:`Activity` has a ``type`` (``track``, ``track:repost``, ``playlist``,
        ``playlist:repost``) and an ``origin`` (a :class:`Track` or :class:`Playlist`).

        Args:
            access: which tracks to include by access (``Access`` values or strings).
            limit: items per page (1..200).
            max_items: stop after this many activities.
            resume_from: a checkpoint of an earlier paginator over the feed.
        """
        return self._activities("/me/feed", access, limit, max_items, resume_from)

    @operation("GET", "/me/feed/tracks")
    def iter_feed_tracks(
        self,
        *,
        access: AccessFilter | None = None,
        limit: int = DEFAULT_LIMIT,
        max_items: int | None = None,
        resume_from: Checkpoint | str | None = None,
    ) -> Paginator[Activity]:
        """``GET /me/feed/tracks``: the track entries of :meth:`iter_feed`."""
        return self._activities("/me/feed/tracks", access, limit, max_items, resume_from)

    @operation("GET", "/me/activities", deprecated="use sc.me.iter_feed() instead")
    def iter_activities(
        self,
        *,
        access: AccessFilter | None = None,
        limit: int = DEFAULT_LIMIT,
        max_items: int | None = None,
        resume_from: Checkpoint | str | None = None,
    ) -> Paginator[Activity]:
        """``GET /me/activities``: the feed (deprecated by SoundCloud; use :meth:`iter_feed`)."""
        return self._activities("/me/activities", access, limit, max_items, resume_from)

    @operation(
        "GET",
        "/me/activities/all/own",
        deprecated="use sc.me.iter_tracks() and sc.me.iter_playlists() instead",
    )
    def iter_activities_own(
        self,
        *,
        access: AccessFilter | None = None,
        limit: int = DEFAULT_LIMIT,
        max_items: int | None = None,
        resume_from: Checkpoint | str | None = None,
    ) -> Paginator[Activity]:
        """``GET /me/activities/all/own``: your own activities (deprecated by SoundCloud)."""
        return self._activities("/me/activities/all/own", access, limit, max_items, resume_from)

    @operation("GET", "/me/activities/tracks", deprecated="use sc.me.iter_feed_tracks() instead")
    def iter_activities_tracks(
        self,
        *,
        access: AccessFilter | None = None,
        limit: int = DEFAULT_LIMIT,
        max_items: int | None = None,
        resume_from: Checkpoint | str | None = None,
    ) -> Paginator[Activity]:
        """``GET /me/activities/tracks``: the track feed (deprecated by SoundCloud; use
        :meth:`iter_feed_tracks`)."""
        return self._activities("/me/activities/tracks", access, limit, max_items, resume_from)

    # -- what you played, liked, posted and reposted ------------------------------------

    @operation("GET", "/me/recently-played/tracks")
    def iter_recently_played(
        self,
        *,
        access: AccessFilter | None = None,
        max_items: int | None = None,
    ) -> Paginator[Track]:
        """``GET /me/recently-played/tracks``: up to 25 tracks you played, most recent
        first, without duplicates (one page).

        Args:
            access: which tracks to include by access (all three by default).
        """
        return self._paginate(
            "/me/recently-played/tracks",
            Track,
            params={"access": access_param(access)},
            limit=DEFAULT_LIMIT,
            max_items=max_items,
            resume_from=None,
        )

    @operation("GET", "/me/likes/tracks")
    def iter_liked_tracks(
        self,
        *,
        access: AccessFilter | None = None,
        limit: int = DEFAULT_LIMIT,
        max_items: int | None = None,
        resume_from: Checkpoint | str | None = None,
    ) -> Paginator[Track]:
        """``GET /me/likes/tracks``: the tracks you liked, newest like first.

        Args:
            access: which tracks to include by access (all three by default).
        """
        return self._paginate(
            "/me/likes/tracks",
            Track,
            params={"access": access_param(access)},
            limit=limit,
            max_items=max_items,
            resume_from=resume_from,
        )

    @operation("GET", "/me/likes/playlists")
    def iter_liked_playlists(
        self,
        *,
        limit: int = DEFAULT_LIMIT,
        max_items: int | None = None,
        resume_from: Checkpoint | str | None = None,
    ) -> Paginator[Playlist]:
        """``GET /me/likes/playlists``: the playlists you liked."""
        return self._paginate(
            "/me/likes/playlists",
            Playlist,
            limit=limit,
            max_items=max_items,
            resume_from=resume_from,
        )

    @operation("GET", "/me/playlists")
    def iter_playlists(
        self,
        *,
        show_tracks: bool | None = None,
        limit: int = DEFAULT_LIMIT,
        max_items: int | None = None,
        resume_from: Checkpoint | str | None = None,
    ) -> Paginator[Playlist]:
        """``GET /me/playlists``: your playlists, private ones included.

        Args:
            show_tracks: ``False`` to leave the tracks out of each playlist.
        """
        return self._paginate(
            "/me/playlists",
            Playlist,
            params={"show_tracks": bool_param(show_tracks, "show_tracks")},
            limit=limit,
            max_items=max_items,
            resume_from=resume_from,
        )

    @operation("GET", "/me/tracks")
    def iter_tracks(
        self,
        *,
        sort: SortOrder | None = None,
        limit: int = DEFAULT_LIMIT,
        max_items: int | None = None,
        resume_from: Checkpoint | str | None = None,
    ) -> Paginator[Track]:
        """``GET /me/tracks``: your tracks, private ones included.

        Args:
            sort: ``"asc"`` or ``"desc"`` (default) by upload date.
        """
        return self._paginate(
            "/me/tracks",
            Track,
            params={"sort": sort_param(sort)},
            limit=limit,
            max_items=max_items,
            resume_from=resume_from,
        )

    @operation("GET", "/me/reposts/tracks")
    def iter_reposted_tracks(
        self,
        *,
        access: AccessFilter | None = None,
        limit: int = DEFAULT_LIMIT,
        max_items: int | None = None,
        resume_from: Checkpoint | str | None = None,
    ) -> Paginator[Track]:
        """``GET /me/reposts/tracks``: the tracks you reposted.

        Args:
            access: which tracks to include by access (all three by default).
        """
        return self._paginate(
            "/me/reposts/tracks",
            Track,
            params={"access": access_param(access)},
            limit=limit,
            max_items=max_items,
            resume_from=resume_from,
        )

    @operation("GET", "/me/reposts/playlists")
    def iter_reposted_playlists(
        self,
        *,
        limit: int = DEFAULT_LIMIT,
        max_items: int | None = None,
        resume_from: Checkpoint | str | None = None,
    ) -> Paginator[Playlist]:
        """``GET /me/reposts/playlists``: the playlists you reposted."""
        return self._paginate(
            "/me/reposts/playlists",
            Playlist,
            limit=limit,
            max_items=max_items,
            resume_from=resume_from,
        )

    # -- followings and followers -------------------------------------------------------

    @operation("GET", "/me/followings")
    def iter_followings(
        self,
        *,
        limit: int = DEFAULT_LIMIT,
        max_items: int | None = None,
        resume_from: Checkpoint | str | None = None,
    ) -> Paginator[User]:
        """``GET /me/followings``: the users you follow."""
        return self._paginate(
            "/me/followings", User, limit=limit, max_items=max_items, resume_from=resume_from
        )

    @operation("GET", "/me/followings/tracks")
    def iter_followings_tracks(
        self,
        *,
        access: AccessFilter | None = None,
        limit: int = DEFAULT_LIMIT,
        max_items: int | None = None,
        resume_from: Checkpoint | str | None = None,
    ) -> Paginator[Track]:
        """``GET /me/followings/tracks``: recent tracks of the users you follow.

        Args:
            access: which tracks to include by access (``Access`` values or strings).
        """
        return self._paginate(
            "/me/followings/tracks",
            Track,
            params={"access": access_param(access)},
            limit=limit,
            max_items=max_items,
            resume_from=resume_from,
        )

    @operation("PUT", "/me/followings/{user_urn}")
    async def follow(self, user: URNLike) -> None:
        """``PUT /me/followings/{user_urn}``: follow ``user`` (following twice is a no-op).

        Raises:
            InvalidURN: ``user`` is not a user URN.
            NotFound: no such user.
            BadRequest: 422, the user cannot be followed (yourself, or the followings
                limit is reached); the message says why.
        """
        urn = to_urn(user, "users")
        await self._request("PUT", f"/me/followings/{urn}")

    @operation("DELETE", "/me/followings/{user_urn}")
    async def unfollow(self, user: URNLike) -> None:
        """``DELETE /me/followings/{user_urn}``: stop following ``user``.

        Raises:
            InvalidURN: ``user`` is not a user URN.
            NotFound: no such user, or you do not follow them.
        """
        urn = to_urn(user, "users")
        await self._request("DELETE", f"/me/followings/{urn}")

    @operation(
        "GET",
        "/me/followings/{user_urn}",
        deprecated="use sc.users.get(user) instead (and sc.me.iter_followings() to list)",
    )
    async def is_following(self, user: URNLike) -> bool:
        """``GET /me/followings/{user_urn}``: whether you follow ``user`` (deprecated by
        SoundCloud). A 404 is reported as ``False``.

        Raises:
            InvalidURN: ``user`` is not a user URN.
        """
        urn = to_urn(user, "users")
        try:
            await self._request("GET", f"/me/followings/{urn}")
        except NotFound:
            return False
        return True

    @operation("GET", "/me/followers")
    def iter_followers(
        self,
        *,
        limit: int = DEFAULT_LIMIT,
        max_items: int | None = None,
        resume_from: Checkpoint | str | None = None,
    ) -> Paginator[User]:
        """``GET /me/followers``: the users who follow you."""
        return self._paginate(
            "/me/followers", User, limit=limit, max_items=max_items, resume_from=resume_from
        )

    @operation(
        "GET",
        "/me/followers/{follower_urn}",
        deprecated="use sc.users.get(user) instead (and sc.me.iter_followers() to list)",
    )
    async def follower(self, user: URNLike) -> User:
        """``GET /me/followers/{follower_urn}``: ``user``, if they follow you (deprecated
        by SoundCloud).

        Raises:
            InvalidURN: ``user`` is not a user URN.
            NotFound: ``user`` does not follow you (or does not exist).
        """
        urn = to_urn(user, "users")
        return await self._get_model(f"/me/followers/{urn}", User)
