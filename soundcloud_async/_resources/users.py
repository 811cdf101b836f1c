"""``sc.users``: users and their collections."""

from __future__ import annotations

from soundcloud_async._pagination import DEFAULT_LIMIT, Checkpoint, Paginator
from soundcloud_async._resources._base import Resource
from soundcloud_async._resources._params import AccessFilter, SortOrder, access_param, sort_param
from soundcloud_async._resources._registry import operation
from soundcloud_async._urn import URNLike, to_urn
from soundcloud_async.models import Track, User

__all__ = ["Users"]


class Users(Resource):
    """Operations on users (``/users``)."""

    __slots__ = ()

    @operation("GET", "/users/{user_urn}")
    async def get(self, user: URNLike) -> User:
        """``GET /users/{user_urn}``: one user.

        Raises:
            InvalidURN: ``user`` is not a user URN.
            NotFound: no such user.
        """
        urn = to_urn(user, "users")
        return await self._get_model(f"/users/{urn}", User)

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
