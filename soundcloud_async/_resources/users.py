"""``sc.users``: users and their collections."""

from __future__ import annotations

from soundcloud_async._pagination import DEFAULT_LIMIT, Checkpoint, Paginator
from soundcloud_async._resources._base import Resource
from soundcloud_async._urn import URNLike, to_urn
from soundcloud_async.models import Track, User

__all__ = ["Users"]


class Users(Resource):
    """Operations on users (``/users``)."""

    __slots__ = ()

    async def get(self, user: URNLike) -> User:
        """``GET /users/{user_urn}``: one user.

        Raises:
            InvalidURN: ``user`` is not a user URN.
            NotFound: no such user.
        """
        urn = to_urn(user, "users")
        return await self._get_model(f"/users/{urn}", User)

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

    def iter_tracks(
        self,
        user: URNLike,
        *,
        access: str | None = None,
        limit: int = DEFAULT_LIMIT,
        max_items: int | None = None,
        resume_from: Checkpoint | str | None = None,
    ) -> Paginator[Track]:
        """``GET /users/{user_urn}/tracks``: the user's tracks.

        Args:
            access: ``"playable,preview,blocked"``-style filter on track access.
        """
        urn = to_urn(user, "users")
        return self._paginate(
            f"/users/{urn}/tracks",
            Track,
            params={"access": access},
            limit=limit,
            max_items=max_items,
            resume_from=resume_from,
        )
