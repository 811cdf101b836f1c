"""``sc.users``: users and their collections."""

from __future__ import annotations

from collections.abc import Iterable

from soundcloud_async._errors import InvalidArgument, NotFound
from soundcloud_async._pagination import DEFAULT_LIMIT, Checkpoint, Paginator
from soundcloud_async._resources._base import Resource
from soundcloud_async._resources._params import (
    AccessFilter,
    SortOrder,
    access_param,
    bool_param,
    sort_param,
    urns_param,
)
from soundcloud_async._resources._registry import operation
from soundcloud_async._urn import URNLike, to_urn
from soundcloud_async.models import Playlist, Track, User, WebProfile

__all__ = ["Users"]

#: The replacement SoundCloud names for the per-user lookups it deprecated.
_USE_USERS_GET = "use sc.users.get(user) instead (and sc.users.iter_followings() to list)"


def query_param(q: str | None) -> str | None:
    """A free-text search query: a non-empty string or ``None``."""
    if q is None:
        return None
    if not isinstance(q, str):
        raise InvalidArgument(f"q must be a string, not {type(q).__name__}")
    if not q.strip():
        raise InvalidArgument("q must not be empty or blank")
    return q


class Users(Resource):
    """Operations on users (``/users``)."""

    __slots__ = ()

    @operation("GET", "/users")
    def iter_search(
        self,
        *,
        q: str | None = None,
        urns: Iterable[URNLike] | None = None,
        limit: int = DEFAULT_LIMIT,
        max_items: int | None = None,
        resume_from: Checkpoint | str | None = None,
    ) -> Paginator[User]:
        """``GET /users``: users matching a text query, or the users named by ``urns``.

        Args:
            q: free text matched against names and permalinks.
            urns: up to 200 user URNs (or numeric ids) to fetch in one request.
            limit: items per page (1..200).
            max_items: stop after this many users.
            resume_from: a checkpoint of an earlier paginator over the same search.

        Raises:
            InvalidArgument: a blank ``q``, an empty or too long ``urns``, a bad ``limit``.
            InvalidURN: an entry of ``urns`` is not a user URN.
        """
        params = {"q": query_param(q), "urns": urns_param(urns, "users")}
        return self._paginate(
            "/users", User, params=params, limit=limit, max_items=max_items, resume_from=resume_from
        )

    @operation("GET", "/users/{user_urn}")
    async def get(self, user: URNLike) -> User:
        """``GET /users/{user_urn}``: one user.

        Raises:
            InvalidURN: ``user`` is not a user URN.
            NotFound: no such user.
        """
        urn = to_urn(user, "users")
        return await self._get_model(f"/users/{urn}", User)

    @operation("GET", "/users/{user_urn}/related")
    def iter_related(
        self,
        user: URNLike,
        *,
        limit: int = DEFAULT_LIMIT,
        max_items: int | None = None,
        resume_from: Checkpoint | str | None = None,
    ) -> Paginator[User]:
        """``GET /users/{user_urn}/related``: users SoundCloud considers similar to ``user``."""
        urn = to_urn(user, "users")
        return self._paginate(
            f"/users/{urn}/related",
            User,
            limit=limit,
            max_items=max_items,
            resume_from=resume_from,
        )

    @operation("GET", "/users/{user_urn}/followers")
    def iter_followers(
        self,
        user: URNLike,
        *,
        limit: int = DEFAULT_LIMIT,
        max_items: int | None = None,
        resume_from: Checkpoint | str | None = None,
    ) -> Paginator[User]:
        """``GET /users/{user_urn}/followers``: the users who follow ``user``."""
        urn = to_urn(user, "users")
        return self._paginate(
            f"/users/{urn}/followers",
            User,
            limit=limit,
            max_items=max_items,
            resume_from=resume_from,
        )

    @operation("GET", "/users/{user_urn}/followings")
    def iter_followings(
        self,
        user: URNLike,
        *,
        limit: int = DEFAULT_LIMIT,
        max_items: int | None = None,
        resume_from: Checkpoint | str | None = None,
    ) -> Paginator[User]:
        """``GET /users/{user_urn}/followings``: the users ``user`` follows."""
        urn = to_urn(user, "users")
        return self._paginate(
            f"/users/{urn}/followings",
            User,
            limit=limit,
            max_items=max_items,
            resume_from=resume_from,
        )

    @operation(
        "GET",
        "/users/{user_urn}/followings/{following_urn}",
        deprecated=_USE_USERS_GET,
    )
    async def is_following(self, user: URNLike, following: URNLike) -> bool:
        """``GET /users/{user_urn}/followings/{following_urn}``: whether ``user`` follows
        ``following`` (deprecated by SoundCloud).

        SoundCloud answers the followed user, or 404 when ``user`` does not follow
        ``following``; a 404 is reported as ``False``.

        Raises:
            InvalidURN: either argument is not a user URN.
        """
        urn = to_urn(user, "users")
        other = to_urn(following, "users")
        try:
            await self._request("GET", f"/users/{urn}/followings/{other}")
        except NotFound:
            return False
        return True

    @operation(
        "GET",
        "/users/{user_urn}/favorites",
        deprecated="use sc.users.iter_liked_tracks() instead",
    )
    def iter_favorites(
        self,
        user: URNLike,
        *,
        limit: int = DEFAULT_LIMIT,
        max_items: int | None = None,
        resume_from: Checkpoint | str | None = None,
    ) -> Paginator[Track]:
        """``GET /users/{user_urn}/favorites``: the tracks ``user`` liked (deprecated by
        SoundCloud; use :meth:`iter_liked_tracks`)."""
        urn = to_urn(user, "users")
        return self._paginate(
            f"/users/{urn}/favorites",
            Track,
            limit=limit,
            max_items=max_items,
            resume_from=resume_from,
        )

    @operation("GET", "/users/{user_urn}/playlists")
    def iter_playlists(
        self,
        user: URNLike,
        *,
        access: AccessFilter | None = None,
        show_tracks: bool | None = None,
        limit: int = DEFAULT_LIMIT,
        max_items: int | None = None,
        resume_from: Checkpoint | str | None = None,
    ) -> Paginator[Playlist]:
        """``GET /users/{user_urn}/playlists``: the user's playlists.

        Args:
            access: which playlists' tracks to include by access (``Access`` values or
                ``"playable"``, ``"preview"``, ``"blocked"``).
            show_tracks: ``False`` to leave the tracks out of each playlist (smaller pages).
        """
        urn = to_urn(user, "users")
        params = {
            "access": access_param(access),
            "show_tracks": bool_param(show_tracks, "show_tracks"),
        }
        return self._paginate(
            f"/users/{urn}/playlists",
            Playlist,
            params=params,
            limit=limit,
            max_items=max_items,
            resume_from=resume_from,
        )

    @operation("GET", "/users/{user_urn}/tracks")
    def iter_tracks(
        self,
        user: URNLike,
        *,
        access: AccessFilter | None = None,
        sort: SortOrder | None = None,
        limit: int = DEFAULT_LIMIT,
        max_items: int | None = None,
        resume_from: Checkpoint | str | None = None,
    ) -> Paginator[Track]:
        """``GET /users/{user_urn}/tracks``: the user's tracks.

        Args:
            access: which tracks to include by access: ``Access`` values or strings
                (``"playable"``, ``"preview"``, ``"blocked"``), one or several.
            sort: ``"asc"`` or ``"desc"`` by creation date.
        """
        urn = to_urn(user, "users")
        return self._paginate(
            f"/users/{urn}/tracks",
            Track,
            params={"access": access_param(access), "sort": sort_param(sort)},
            limit=limit,
            max_items=max_items,
            resume_from=resume_from,
        )

    @operation("GET", "/users/{user_urn}/web-profiles")
    def iter_web_profiles(
        self,
        user: URNLike,
        *,
        limit: int = DEFAULT_LIMIT,
        max_items: int | None = None,
    ) -> Paginator[WebProfile]:
        """``GET /users/{user_urn}/web-profiles``: the links on the user's profile.

        SoundCloud answers a plain list (one page).
        """
        urn = to_urn(user, "users")
        return self._paginate(
            f"/users/{urn}/web-profiles",
            WebProfile,
            limit=limit,
            max_items=max_items,
            resume_from=None,
        )

    @operation("GET", "/users/{user_urn}/likes/tracks")
    def iter_liked_tracks(
        self,
        user: URNLike,
        *,
        access: AccessFilter | None = None,
        limit: int = DEFAULT_LIMIT,
        max_items: int | None = None,
        resume_from: Checkpoint | str | None = None,
    ) -> Paginator[Track]:
        """``GET /users/{user_urn}/likes/tracks``: the tracks ``user`` liked, newest first.

        Args:
            access: which tracks to include by access (see :meth:`iter_tracks`).
        """
        urn = to_urn(user, "users")
        return self._paginate(
            f"/users/{urn}/likes/tracks",
            Track,
            params={"access": access_param(access)},
            limit=limit,
            max_items=max_items,
            resume_from=resume_from,
        )

    @operation("GET", "/users/{user_urn}/likes/playlists")
    def iter_liked_playlists(
        self,
        user: URNLike,
        *,
        limit: int = DEFAULT_LIMIT,
        max_items: int | None = None,
        resume_from: Checkpoint | str | None = None,
    ) -> Paginator[Playlist]:
        """``GET /users/{user_urn}/likes/playlists``: the playlists ``user`` liked."""
        urn = to_urn(user, "users")
        return self._paginate(
            f"/users/{urn}/likes/playlists",
            Playlist,
            limit=limit,
            max_items=max_items,
            resume_from=resume_from,
        )

    @operation("GET", "/users/{user_urn}/reposts/tracks")
    def iter_reposted_tracks(
        self,
        user: URNLike,
        *,
        access: AccessFilter | None = None,
        limit: int = DEFAULT_LIMIT,
        max_items: int | None = None,
        resume_from: Checkpoint | str | None = None,
    ) -> Paginator[Track]:
        """``GET /users/{user_urn}/reposts/tracks``: the tracks ``user`` reposted.

        Args:
            access: which tracks to include by access (see :meth:`iter_tracks`).
        """
        urn = to_urn(user, "users")
        return self._paginate(
            f"/users/{urn}/reposts/tracks",
            Track,
            params={"access": access_param(access)},
            limit=limit,
            max_items=max_items,
            resume_from=resume_from,
        )

    @operation("GET", "/users/{user_urn}/reposts/playlists")
    def iter_reposted_playlists(
        self,
        user: URNLike,
        *,
        limit: int = DEFAULT_LIMIT,
        max_items: int | None = None,
        resume_from: Checkpoint | str | None = None,
    ) -> Paginator[Playlist]:
        """``GET /users/{user_urn}/reposts/playlists``: the playlists ``user`` reposted."""
        urn = to_urn(user, "users")
        return self._paginate(
            f"/users/{urn}/reposts/playlists",
            Playlist,
            limit=limit,
            max_items=max_items,
            resume_from=resume_from,
        )
