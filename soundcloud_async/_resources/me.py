"""``sc.me``: the authenticated user."""

from __future__ import annotations

from soundcloud_async._resources._base import Resource
from soundcloud_async._resources._registry import operation
from soundcloud_async.models import Me

__all__ = ["MeResource"]


class MeResource(Resource):
    """Operations on the authenticated user (``/me``)."""

    __slots__ = ()

    @operation("GET", "/me")
    async def get(self) -> Me:
        """``GET /me``: the authenticated user's profile, with plan and upload quota.

        Raises:
            Unauthorized: no user token (client-credentials tokens have no ``/me``).
        """
        return await self._get_model("/me", Me)
