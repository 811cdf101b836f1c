"""``sc.tracks``: tracks and what hangs off them."""

from __future__ import annotations

from soundcloud_async._pagination import DEFAULT_LIMIT, Checkpoint, Paginator
from soundcloud_async._resources._base import Resource
from soundcloud_async._resources._registry import operation
from soundcloud_async._urn import URNLike, to_urn
from soundcloud_async.models import Comment, Track

__all__ = ["Tracks"]


class Tracks(Resource):
    """Operations on tracks (``/tracks``)."""

    __slots__ = ()

    @operation("GET", "/tracks/{track_urn}")
    async def get(self, track: URNLike, *, secret_token: str | None = None) -> Track:
        """``GET /tracks/{track_urn}``: one track.

        Args:
            track: a track URN, numeric id or API URL.
            secret_token: the secret token of a private track shared by link.

        Raises:
            InvalidURN: ``track`` is not a track URN.
            NotFound: no such track, or not visible to this token.
        """
        urn = to_urn(track, "tracks")
        return await self._get_model(f"/tracks/{urn}", Track, params={"secret_token": secret_token})

    @operation("GET", "/tracks/{track_urn}/comments")
    def iter_comments(
        self,
        track: URNLike,
        *,
        limit: int = DEFAULT_LIMIT,
        max_items: int | None = None,
        resume_from: Checkpoint | str | None = None,
    ) -> Paginator[Comment]:
        """``GET /tracks/{track_urn}/comments``: the track's comments, newest first.

        Args:
            track: a track URN, numeric id or API URL.
            limit: items per page (1..200).
            max_items: stop after this many comments.
            resume_from: a checkpoint of an earlier paginator over the same collection.
        """
        urn = to_urn(track, "tracks")
        return self._paginate(
            f"/tracks/{urn}/comments",
            Comment,
            limit=limit,
            max_items=max_items,
            resume_from=resume_from,
        )
