"""``sc.legacy``: the old ``.json`` API described by the legacy seed documents.

Paths end in ``.json`` (or ``.{format}``, of which only ``json`` is served), path
parameters are numeric ids (URNs and API URLs are accepted and turned into their
ids), and public reads can authenticate with a ``consumer_key`` query parameter
instead of an access token. The key is sent on legacy routes only, and is masked
(``consumer_key=***``) in every error message and log line.

Set the key once with ``sc.legacy.consumer_key = "…"`` or pass ``consumer_key=`` to
a call. Without an access token the client sends no ``Authorization`` header, so
``SoundCloud(base_url=…)`` plus a consumer key reads the public legacy routes.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal

from soundcloud_async._converters import structure_many
from soundcloud_async._errors import DecodeError, InvalidArgument
from soundcloud_async._pagination import DEFAULT_LIMIT, Checkpoint, Paginator
from soundcloud_async._resources._base import Resource
from soundcloud_async._resources._params import DateRange, IntRange, merge, range_params
from soundcloud_async._resources._registry import operation
from soundcloud_async._urn import URNLike, to_urn
from soundcloud_async.models import Comment, CommentCreate, Track, TrackMetadata, User

if TYPE_CHECKING:
    from soundcloud_async._client import SoundCloud

__all__ = ["Legacy", "LegacyFilter", "LegacyOrder"]

#: ``filter`` of the legacy track search.
LegacyFilter = Literal["all", "public", "private", "streamable", "downloadable"]
#: ``order`` of the legacy track search.
LegacyOrder = Literal["created_at", "hotness"]

_FILTERS = frozenset({"all", "public", "private", "streamable", "downloadable"})
_ORDERS = frozenset({"created_at", "hotness"})
#: The seed documents (000-002) spell range filters ``bpm-from``, not ``bpm[from]``.
_LEGACY_RANGE = "{name}-{end}"
_MAX_IDS = 200


def _suffix(format: str) -> str:
    """The path suffix for ``format``: the legacy routes serve JSON only."""
    if format != "json":
        raise InvalidArgument(
            f"the legacy API is used here in JSON only: format must be 'json', not {format!r:.20}"
        )
    return format


def _id(value: URNLike, kind: str) -> str:
    """The numeric id the legacy paths take, from a URN, an id or an API URL."""
    return to_urn(value, kind).id


def _group_id(value: object) -> str:
    if isinstance(value, bool):
        raise InvalidArgument("group must be a numeric id, not a bool")
    if isinstance(value, int):
        if value < 0:
            raise InvalidArgument(f"group ids are never negative, not {value}")
        return str(value)
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("soundcloud:groups:"):
            text = text[len("soundcloud:groups:") :]
        if text.isascii() and text.isdigit():
            return text.lstrip("0") or "0"
    raise InvalidArgument(f"group must be a numeric group id, not {value!r:.60}")


def _check_key(value: object) -> str:
    if not isinstance(value, str) or not value.strip() or any(c.isspace() for c in value):
        # Never echo the value: it is a credential.
        raise InvalidArgument("consumer_key must be a non-empty string without whitespace")
    return value


def _choice(name: str, value: str | None, allowed: frozenset[str]) -> str | None:
    if value is None:
        return None
    if value not in allowed:
        raise InvalidArgument(f"{name} must be one of {sorted(allowed)}, not {value!r:.40}")
    return value


def _words(name: str, values: Iterable[str] | None) -> str | None:
    """A comma-separated list of words (``tags``, ``genres``)."""
    if values is None:
        return None
    if isinstance(values, str):
        raise InvalidArgument(f"{name} must be a sequence of strings, not a single string")
    words = []
    for value in values:
        if not isinstance(value, str) or not value.strip() or "," in value:
            raise InvalidArgument(f"each of {name} must be a non-empty string without commas")
        words.append(value.strip())
    if not words:
        raise InvalidArgument(f"{name} must not be empty")
    return ",".join(words)


def _ids(values: Iterable[URNLike] | None) -> str | None:
    if values is None:
        return None
    if isinstance(values, (str, int)):
        raise InvalidArgument("ids must be a sequence of track ids, not a single value")
    ids = [_id(value, "tracks") for value in values]
    if not ids:
        raise InvalidArgument("ids must not be empty")
    if len(ids) > _MAX_IDS:
        raise InvalidArgument(f"at most {_MAX_IDS} ids per request, not {len(ids)}")
    return ",".join(ids)


def _text(name: str, value: str | None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InvalidArgument(f"{name} must be a non-empty string")
    return value


class Legacy(Resource):
    """The legacy ``.json`` routes of the seed documents (``000``, ``001``, ``002``).

    Args:
        client: the client.
        consumer_key: the app's key for ``consumer_key`` authentication (public reads).
    """

    __slots__ = ("_consumer_key",)

    def __init__(self, client: SoundCloud, *, consumer_key: str | None = None) -> None:
        super().__init__(client)
        self._consumer_key = None if consumer_key is None else _check_key(consumer_key)

    @property
    def consumer_key(self) -> str | None:
        """The key sent as ``consumer_key`` on every legacy request (``None``: not sent)."""
        return self._consumer_key

    @consumer_key.setter
    def consumer_key(self, value: str | None) -> None:
        self._consumer_key = None if value is None else _check_key(value)

    def _key(self, consumer_key: str | None) -> dict[str, str]:
        key = self._consumer_key if consumer_key is None else _check_key(consumer_key)
        return {} if key is None else {"consumer_key": key}

    def _list(
        self,
        path: str,
        model: type[Any],
        params: Mapping[str, Any] | None,
        consumer_key: str | None,
        limit: int,
        max_items: int | None,
        resume_from: Checkpoint | str | None,
    ) -> Paginator[Any]:
        return self._paginate(
            path,
            model,
            params=merge(self._key(consumer_key), params),
            limit=limit,
            max_items=max_items,
            resume_from=resume_from,
        )

    # -- tracks ------------------------------------------------------------------------

    @operation("GET", "/tracks.json", api="legacy")
    @operation("GET", "/tracks.{format}", api="legacy")
    def iter_tracks(
        self,
        *,
        q: str | None = None,
        tags: Iterable[str] | None = None,
        genres: Iterable[str] | None = None,
        filter: LegacyFilter | None = None,
        order: LegacyOrder | None = None,
        ids: Iterable[URNLike] | None = None,
        bpm: IntRange | None = None,
        duration: IntRange | None = None,
        created_at: DateRange | None = None,
        consumer_key: str | None = None,
        format: str = "json",
        limit: int = DEFAULT_LIMIT,
        max_items: int | None = None,
        resume_from: Checkpoint | str | None = None,
    ) -> Paginator[Track]:
        """``GET /tracks.json``: search tracks with the legacy filters.

        Args:
            q: free text.
            tags: tags, any of which must match (sent comma-separated).
            genres: genres, any of which must match.
            filter: ``"all"``, ``"public"``, ``"private"``, ``"streamable"`` or
                ``"downloadable"``.
            order: ``"created_at"`` or ``"hotness"``.
            ids: track ids (or URNs) to fetch, up to 200.
            bpm: a ``Range`` or ``(low, high)`` pair, sent as ``bpm-from``/``bpm-to``
                (the seed documents' spelling; the old public reference wrote
                ``bpm[from]``).
            duration: a range in milliseconds (``duration-from``/``duration-to``).
            created_at: a range of datetimes (``created_at-from``/``created_at-to``,
                ``yyyy-mm-dd hh:mm:ss`` UTC).
            consumer_key: overrides :attr:`consumer_key` for this call.
            format: ``"json"`` (the only format served).

        Raises:
            InvalidArgument: an argument is out of its range or set, before any request.
        """
        suffix = _suffix(format)
        params: dict[str, Any] = {
            "q": _text("q", q),
            "tags": _words("tags", tags),
            "genres": _words("genres", genres),
            "filter": _choice("filter", filter, _FILTERS),
            "order": _choice("order", order, _ORDERS),
            "ids": _ids(ids),
            **range_params("bpm", bpm, spelling=_LEGACY_RANGE),
            **range_params("duration", duration, spelling=_LEGACY_RANGE),
            **range_params("created_at", created_at, spelling=_LEGACY_RANGE),
        }
        return self._list(
            f"/tracks.{suffix}", Track, params, consumer_key, limit, max_items, resume_from
        )

    @operation("POST", "/tracks.json", api="legacy")
    @operation("POST", "/tracks.{format}", api="legacy")
    async def upload_track(
        self,
        title: str,
        asset_data: bytes,
        *,
        metadata: TrackMetadata | None = None,
        filename: str = "track.mp3",
        format: str = "json",
    ) -> Track:
        """``POST /tracks.json``: upload a track (multipart ``track[title]``,
        ``track[asset_data]``).

        The legacy route takes the audio as bytes held in memory; use
        ``sc.tracks.upload()`` to stream a large file.

        Args:
            title: the track's title.
            asset_data: the audio file's bytes.
            metadata: further fields (its ``title``, if set, is overridden by ``title``).
            filename: the file name sent with the audio.
            format: ``"json"``.
        """
        suffix = _suffix(format)
        title = _text("title", title) or ""
        if not isinstance(asset_data, (bytes, bytearray, memoryview)) or not asset_data:
            raise InvalidArgument("asset_data must be the audio file's bytes (not empty)")
        fields = metadata.to_form() if metadata is not None else {}
        fields["track[title]"] = title
        data = bytes(asset_data)

        def body() -> dict[str, Any]:
            audio = io.BytesIO(data)
            audio.name = filename
            return {**fields, "track[asset_data]": audio}

        response = await self._request("POST", f"/tracks.{suffix}", body_factory=body)
        return self._structure(response, Track, "POST")

    @operation("GET", "/tracks/{track_id}.json", api="legacy")
    @operation("GET", "/tracks/{track_id}.{format}", api="legacy")
    async def get_track(
        self,
        track: URNLike,
        *,
        secret_token: str | None = None,
        consumer_key: str | None = None,
        format: str = "json",
    ) -> Track:
        """``GET /tracks/{track_id}.json``: one track.

        Raises:
            InvalidURN: ``track`` is not a track id, URN or API URL.
            NotFound: no such track, or not visible.
        """
        path = f"/tracks/{_id(track, 'tracks')}.{_suffix(format)}"
        params = merge(self._key(consumer_key), {"secret_token": secret_token})
        return await self._get_model(path, Track, params=params)

    @operation("PUT", "/tracks/{track_id}.json", api="legacy")
    @operation("PUT", "/tracks/{track_id}.{format}", api="legacy")
    async def update_track(
        self, track: URNLike, metadata: TrackMetadata, *, format: str = "json"
    ) -> Track:
        """``PUT /tracks/{track_id}.json``: change a track's metadata (owner only).

        Raises:
            InvalidArgument: ``metadata`` is not a :class:`TrackMetadata`.
            Forbidden: you do not own the track.
        """
        path = f"/tracks/{_id(track, 'tracks')}.{_suffix(format)}"
        if not isinstance(metadata, TrackMetadata):
            raise InvalidArgument("metadata must be a TrackMetadata")
        return await self._call("PUT", path, Track, params=self._key(None), json=metadata.to_json())

    @operation("DELETE", "/tracks/{track_id}.json", api="legacy")
    @operation("DELETE", "/tracks/{track_id}.{format}", api="legacy")
    async def delete_track(self, track: URNLike, *, format: str = "json") -> None:
        """``DELETE /tracks/{track_id}.json``: delete a track (owner only)."""
        path = f"/tracks/{_id(track, 'tracks')}.{_suffix(format)}"
        await self._request("DELETE", path, params=self._key(None))

    # -- comments ----------------------------------------------------------------------

    @operation("GET", "/tracks/{track_id}/comments.json", api="legacy")
    @operation("GET", "/tracks/{track_id}/comments.{format}", api="legacy")
    def iter_comments(
        self,
        track: URNLike,
        *,
        consumer_key: str | None = None,
        format: str = "json",
        limit: int = DEFAULT_LIMIT,
        max_items: int | None = None,
        resume_from: Checkpoint | str | None = None,
    ) -> Paginator[Comment]:
        """``GET /tracks/{track_id}/comments.json``: a track's comments."""
        path = f"/tracks/{_id(track, 'tracks')}/comments.{_suffix(format)}"
        return self._list(path, Comment, None, consumer_key, limit, max_items, resume_from)

    @operation("POST", "/tracks/{track_id}/comments.json", api="legacy")
    @operation("POST", "/tracks/{track_id}/comments.{format}", api="legacy")
    async def create_comment(
        self,
        track: URNLike,
        body: str,
        *,
        timestamp: int | None = None,
        format: str = "json",
    ) -> Comment:
        """``POST /tracks/{track_id}/comments.json``: comment on a track.

        Args:
            body: the comment's text.
            timestamp: the position in the track, in milliseconds.

        Raises:
            InvalidArgument: an empty body or a negative timestamp.
        """
        path = f"/tracks/{_id(track, 'tracks')}/comments.{_suffix(format)}"
        text = _text("body", body) or ""
        if timestamp is not None and (
            isinstance(timestamp, bool) or not isinstance(timestamp, int) or timestamp < 0
        ):
            raise InvalidArgument("timestamp must be a non-negative number of milliseconds")
        comment = (
            CommentCreate(body=text)
            if timestamp is None
            else CommentCreate(body=text, timestamp=timestamp)
        )
        return await self._call(
            "POST", path, Comment, params=self._key(None), json=comment.to_json()
        )

    # -- permissions and secret token ----------------------------------------------------

    async def _users(self, method: str, path: str, **kwargs: Any) -> list[User]:
        response = await self._request(method, path, params=self._key(None), **kwargs)
        data = response.data
        if isinstance(data, dict) and isinstance(data.get("collection"), list):
            data = data["collection"]
        if not isinstance(data, list):
            raise DecodeError(
                f"expected a list of users, got {type(data).__name__}",
                method=method,
                url=response.url,
                status=response.status,
            )
        try:
            return structure_many(data, User)
        except (TypeError, ValueError) as exc:
            raise DecodeError(
                f"a user does not fit User: {exc}",
                method=method,
                url=response.url,
                status=response.status,
            ) from exc

    @operation("GET", "/tracks/{track_id}/permissions.json", api="legacy")
    @operation("GET", "/tracks/{track_id}/permissions.{format}", api="legacy")
    async def permissions(self, track: URNLike, *, format: str = "json") -> list[User]:
        """``GET /tracks/{track_id}/permissions.json``: the users allowed to hear a private
        track (owner only)."""
        path = f"/tracks/{_id(track, 'tracks')}/permissions.{_suffix(format)}"
        return await self._users("GET", path)

    @operation("PUT", "/tracks/{track_id}/permissions.json", api="legacy")
    @operation("PUT", "/tracks/{track_id}/permissions.{format}", api="legacy")
    async def set_permissions(
        self, track: URNLike, users: Iterable[URNLike], *, format: str = "json"
    ) -> list[User]:
        """``PUT /tracks/{track_id}/permissions.json``: replace the users allowed to hear a
        private track (owner only); an empty ``users`` removes them all.

        Returns:
            the permitted users afterwards.
        """
        path = f"/tracks/{_id(track, 'tracks')}/permissions.{_suffix(format)}"
        if isinstance(users, (str, int)):
            raise InvalidArgument("users must be a sequence of user ids, not a single value")
        entries = [{"user_id": int(_id(user, "users"))} for user in users]
        return await self._users("PUT", path, json={"permissions": entries})

    @operation("GET", "/tracks/{track_id}/secret-token.json", api="legacy")
    @operation("GET", "/tracks/{track_id}/secret-token.{format}", api="legacy")
    async def secret_token(self, track: URNLike, *, format: str = "json") -> dict[str, Any]:
        """``GET /tracks/{track_id}/secret-token.json``: a private track's secret token
        (owner only).

        Returns:
            the decoded JSON, e.g. ``{"kind": "secret-token", "token": "s-…", "uri": …}``.
        """
        path = f"/tracks/{_id(track, 'tracks')}/secret-token.{_suffix(format)}"
        return await self._object("GET", path)

    @operation("PUT", "/tracks/{track_id}/secret-token.json", api="legacy")
    @operation("PUT", "/tracks/{track_id}/secret-token.{format}", api="legacy")
    async def reset_secret_token(self, track: URNLike, *, format: str = "json") -> dict[str, Any]:
        """``PUT /tracks/{track_id}/secret-token.json``: replace a private track's secret
        token with a new random one (owner only); links with the old one stop working.

        Returns:
            the decoded JSON with the new ``token``.
        """
        path = f"/tracks/{_id(track, 'tracks')}/secret-token.{_suffix(format)}"
        return await self._object("PUT", path)

    async def _object(self, method: str, path: str) -> dict[str, Any]:
        response = await self._request(method, path, params=self._key(None))
        if not isinstance(response.data, dict):
            raise DecodeError(
                f"expected a JSON object, got {type(response.data).__name__}",
                method=method,
                url=response.url,
                status=response.status,
            )
        return dict(response.data)

    # -- favorites ---------------------------------------------------------------------

    @operation("PUT", "/me/favorites/{track_id}.json", api="legacy")
    @operation("PUT", "/me/favorites/{track_id}.{format}", api="legacy")
    async def add_favorite(self, track: URNLike, *, format: str = "json") -> None:
        """``PUT /me/favorites/{track_id}.json``: add a track to your favorites (a like)."""
        path = f"/me/favorites/{_id(track, 'tracks')}.{_suffix(format)}"
        await self._request("PUT", path, params=self._key(None))

    @operation("DELETE", "/me/favorites/{track_id}.json", api="legacy")
    @operation("DELETE", "/me/favorites/{track_id}.{format}", api="legacy")
    async def remove_favorite(self, track: URNLike, *, format: str = "json") -> None:
        """``DELETE /me/favorites/{track_id}.json``: remove a track from your favorites.

        Raises:
            NotFound: the track is not among your favorites.
        """
        path = f"/me/favorites/{_id(track, 'tracks')}.{_suffix(format)}"
        await self._request("DELETE", path, params=self._key(None))

    @operation("PUT", "/users/{user_id}/favorites/{track_id}.json", api="legacy")
    @operation("PUT", "/users/{user_id}/favorites/{track_id}.{format}", api="legacy")
    async def add_user_favorite(
        self, user: URNLike, track: URNLike, *, format: str = "json"
    ) -> None:
        """``PUT /users/{user_id}/favorites/{track_id}.json``: add a track to ``user``'s
        favorites (only your own user is allowed).

        Raises:
            Forbidden: ``user`` is not you.
        """
        path = f"/users/{_id(user, 'users')}/favorites/{_id(track, 'tracks')}.{_suffix(format)}"
        await self._request("PUT", path, params=self._key(None))

    @operation("DELETE", "/users/{user_id}/favorites/{track_id}.json", api="legacy")
    @operation("DELETE", "/users/{user_id}/favorites/{track_id}.{format}", api="legacy")
    async def remove_user_favorite(
        self, user: URNLike, track: URNLike, *, format: str = "json"
    ) -> None:
        """``DELETE /users/{user_id}/favorites/{track_id}.json``: remove a track from
        ``user``'s favorites (only your own user is allowed)."""
        path = f"/users/{_id(user, 'users')}/favorites/{_id(track, 'tracks')}.{_suffix(format)}"
        await self._request("DELETE", path, params=self._key(None))

    # -- track lists -------------------------------------------------------------------

    @operation("GET", "/users/{user_id}/tracks.json", api="legacy")
    def iter_user_tracks(
        self,
        user: URNLike,
        *,
        consumer_key: str | None = None,
        format: str = "json",
        limit: int = DEFAULT_LIMIT,
        max_items: int | None = None,
        resume_from: Checkpoint | str | None = None,
    ) -> Paginator[Track]:
        """``GET /users/{user_id}/tracks.json``: the tracks ``user`` uploaded."""
        path = f"/users/{_id(user, 'users')}/tracks.{_suffix(format)}"
        return self._list(path, Track, None, consumer_key, limit, max_items, resume_from)

    @operation("GET", "/me/tracks.json", api="legacy")
    def iter_my_tracks(
        self,
        *,
        format: str = "json",
        limit: int = DEFAULT_LIMIT,
        max_items: int | None = None,
        resume_from: Checkpoint | str | None = None,
    ) -> Paginator[Track]:
        """``GET /me/tracks.json``: the tracks you uploaded (needs a user token)."""
        path = f"/me/tracks.{_suffix(format)}"
        return self._list(path, Track, None, None, limit, max_items, resume_from)

    @operation("GET", "/groups/{group_id}/tracks.json", api="legacy")
    def iter_group_tracks(
        self,
        group: int | str,
        *,
        consumer_key: str | None = None,
        format: str = "json",
        limit: int = DEFAULT_LIMIT,
        max_items: int | None = None,
        resume_from: Checkpoint | str | None = None,
    ) -> Paginator[Track]:
        """``GET /groups/{group_id}/tracks.json``: the tracks contributed to a group.

        Args:
            group: the group's numeric id (groups have no URNs in today's API).
        """
        path = f"/groups/{_group_id(group)}/tracks.{_suffix(format)}"
        return self._list(path, Track, None, consumer_key, limit, max_items, resume_from)
