"""``sc.playlists``: playlists (sets and albums), their tracks and reposters."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from typing import Any

from soundcloud_async import _media
from soundcloud_async._errors import InvalidArgument
from soundcloud_async._media import Progress, UploadFile, UploadSource
from soundcloud_async._pagination import DEFAULT_LIMIT, Checkpoint, Paginator
from soundcloud_async._resources._base import Resource
from soundcloud_async._resources._params import AccessFilter, access_param, bool_param
from soundcloud_async._resources._registry import operation
from soundcloud_async._resources.tracks import check_choices, metadata_from
from soundcloud_async._urn import URN, URNLike, to_urn
from soundcloud_async.models import (
    Playlist,
    PlaylistCreate,
    PlaylistType,
    PlaylistUpdate,
    Sharing,
    Track,
    User,
)

__all__ = ["Playlists"]

#: Fields checked against a fixed set. Not ``license``: the spec types a playlist's
#: license as any string (a track's, by contrast, is one of :class:`License`).
_CHOICES: dict[str, type[enum.Enum]] = {
    "sharing": Sharing,
    "set_type": PlaylistType,
}
#: Every access level: a read-modify-write must see blocked tracks too, or it drops them.
_ALL_ACCESS = "playable,preview,blocked"


def _secret(value: object) -> str | None:
    if value is not None and not isinstance(value, str):
        raise InvalidArgument(f"secret_token must be a string, not {value!r:.40}")
    return value


def _track_refs(tracks: Iterable[URNLike | Track], what: str) -> list[URN]:
    if isinstance(tracks, (str, bytes, int, Track)):
        raise InvalidArgument(f"{what} takes a list of tracks, not a single value")
    try:
        urns = PlaylistUpdate(tracks=tracks).tracks
    except TypeError as exc:
        raise InvalidArgument(str(exc)) from exc
    assert isinstance(urns, list)
    return urns


def _urn_of(track: Track) -> URN | None:
    ident = track.urn if track.urn is not None else track.id
    return None if ident is None else to_urn(ident, "tracks")


class Playlists(Resource):
    """Operations on playlists (``/playlists``)."""

    __slots__ = ()

    @operation("GET", "/playlists")
    def iter_search(
        self,
        *,
        q: str | None = None,
        access: AccessFilter | None = None,
        show_tracks: bool | None = None,
        limit: int = DEFAULT_LIMIT,
        max_items: int | None = None,
        resume_from: Checkpoint | str | None = None,
    ) -> Paginator[Playlist]:
        """``GET /playlists``: search playlists.

        Args:
            q: words to search for.
            access: which tracks to include in each playlist, by access.
            show_tracks: ``False`` to leave the track lists out (smaller pages).
        """
        if q is not None and not isinstance(q, str):
            raise InvalidArgument(f"q must be a string, not {q!r:.40}")
        return self._paginate(
            "/playlists",
            Playlist,
            params={
                "q": q,
                "access": access_param(access),
                "show_tracks": bool_param(show_tracks, "show_tracks"),
            },
            limit=limit,
            max_items=max_items,
            resume_from=resume_from,
        )

    @operation("GET", "/playlists/{playlist_urn}")
    async def get(
        self,
        playlist: URNLike,
        *,
        secret_token: str | None = None,
        access: AccessFilter | None = None,
        show_tracks: bool | None = None,
    ) -> Playlist:
        """``GET /playlists/{playlist_urn}``: one playlist, with its tracks by default.

        Args:
            playlist: a playlist URN, numeric id or API URL.
            secret_token: the secret token of a private playlist shared by link.
            access: which of its tracks to include, by access.
            show_tracks: ``False`` to leave the track list out.

        Raises:
            NotFound: no such playlist, or not visible to this token.
        """
        urn = to_urn(playlist, "playlists")
        params = {
            "secret_token": _secret(secret_token),
            "access": access_param(access),
            "show_tracks": bool_param(show_tracks, "show_tracks"),
        }
        return await self._get_model(f"/playlists/{urn}", Playlist, params=params)

    @operation("GET", "/playlists/{playlist_urn}/tracks")
    def iter_tracks(
        self,
        playlist: URNLike,
        *,
        secret_token: str | None = None,
        access: AccessFilter | None = None,
        limit: int = DEFAULT_LIMIT,
        max_items: int | None = None,
        resume_from: Checkpoint | str | None = None,
    ) -> Paginator[Track]:
        """``GET /playlists/{playlist_urn}/tracks``: the playlist's tracks, in order."""
        urn = to_urn(playlist, "playlists")
        return self._paginate(
            f"/playlists/{urn}/tracks",
            Track,
            params={"secret_token": _secret(secret_token), "access": access_param(access)},
            limit=limit,
            max_items=max_items,
            resume_from=resume_from,
        )

    @operation("GET", "/playlists/{playlist_urn}/reposters")
    def iter_reposters(
        self,
        playlist: URNLike,
        *,
        limit: int = DEFAULT_LIMIT,
        max_items: int | None = None,
        resume_from: Checkpoint | str | None = None,
    ) -> Paginator[User]:
        """``GET /playlists/{playlist_urn}/reposters``: the users who reposted it."""
        urn = to_urn(playlist, "playlists")
        return self._paginate(
            f"/playlists/{urn}/reposters",
            User,
            limit=limit,
            max_items=max_items,
            resume_from=resume_from,
        )

    @operation("POST", "/playlists")
    async def create(
        self,
        playlist: PlaylistCreate | Mapping[str, Any],
        *,
        form: bool = False,
        artwork: UploadSource | None = None,
        artwork_filename: str | None = None,
        progress: Progress | None = None,
    ) -> Playlist:
        """``POST /playlists``: create a playlist.

        Sent as JSON (``{"playlist": {...}}``) by default; as ``multipart/form-data``
        (``playlist[title]``, ``playlist[tracks][][urn]``, ...) with ``form=True`` or
        when ``artwork`` is given (``playlist[artwork_data]``, streamed like an upload).

        Args:
            playlist: a :class:`PlaylistCreate`, or a mapping of its field names
                (``{"title": "Mix", "tracks": [urn, ...]}``).
            form: send the form variant of the request even without artwork.
            artwork: an artwork image: a path, bytes, a binary file or an async iterable.
            progress: ``progress(bytes_sent, total)`` during an artwork upload.

        Raises:
            InvalidArgument: no title, a bad track reference, a field out of its set.
        """
        body = _body(playlist, PlaylistCreate, "playlist")
        if not isinstance(body.title, str) or not body.title.strip():
            raise InvalidArgument("a playlist needs a non-blank title")
        if not isinstance(form, bool):
            raise InvalidArgument(f"form must be a bool, not {form!r:.40}")
        if artwork is None and not form:
            if progress is not None:
                raise InvalidArgument("progress is only for an artwork upload")
            return await self._call("POST", "/playlists", Playlist, json=body.to_json())
        files = []
        if artwork is not None:
            files.append(("playlist[artwork_data]", UploadFile(artwork, filename=artwork_filename)))
        factory = _media.multipart_factory(body.to_form(), files, progress)
        return await self._call(
            "POST",
            "/playlists",
            Playlist,
            body_factory=factory,
            retry_429=all(f.replayable for _, f in files),
            timeout=_media.upload_timeout(self._client._transport.timeout),
        )

    @operation("PUT", "/playlists/{playlist_urn}")
    async def update(
        self, playlist: URNLike, changes: PlaylistUpdate | Mapping[str, Any]
    ) -> Playlist:
        """``PUT /playlists/{playlist_urn}``: change a playlist (JSON body).

        Only the fields set are sent; ``tracks`` replaces the whole track list
        (``tracks=[]`` empties it). To add or remove a few tracks see
        :meth:`add_tracks` and :meth:`remove_tracks`.

        Raises:
            InvalidArgument: nothing to change, a blank title, a field out of its set.
        """
        urn = to_urn(playlist, "playlists")
        body = _body(changes, PlaylistUpdate, "changes")
        if isinstance(body.title, str) and not body.title.strip():
            raise InvalidArgument("title must not be blank")
        json_body = body.to_json()
        if not json_body["playlist"]:
            raise InvalidArgument("update() needs at least one field to change")
        return await self._call("PUT", f"/playlists/{urn}", Playlist, json=json_body)

    @operation("DELETE", "/playlists/{playlist_urn}")
    async def delete(self, playlist: URNLike) -> None:
        """``DELETE /playlists/{playlist_urn}``: delete a playlist the caller owns."""
        urn = to_urn(playlist, "playlists")
        await self._request("DELETE", f"/playlists/{urn}")

    async def add_tracks(self, playlist: URNLike, tracks: Iterable[URNLike | Track]) -> Playlist:
        """Append tracks to a playlist: ``GET``, then ``PUT`` of the new track list.

        This is a read-modify-write: the API has no "add" operation, so the current
        list is read (every access level, so blocked tracks are kept) and written back
        with ``tracks`` appended. A change made by someone else between the two
        requests is lost. Tracks already in the playlist are not added again.

        Returns:
            the playlist as the ``PUT`` answered it (or as read, if nothing changed).
        """
        urn = to_urn(playlist, "playlists")
        adding = _track_refs(tracks, "add_tracks()")
        current_playlist, current = await self._current_tracks(urn)
        present = set(current)
        new = list(current)
        for track_urn in adding:
            if track_urn not in present:
                present.add(track_urn)
                new.append(track_urn)
        if new == current:
            return current_playlist
        return await self.update(urn, PlaylistUpdate(tracks=new))

    async def remove_tracks(self, playlist: URNLike, tracks: Iterable[URNLike | Track]) -> Playlist:
        """Remove tracks from a playlist: ``GET``, then ``PUT`` of the new track list.

        A read-modify-write like :meth:`add_tracks` (a concurrent change made between
        the two requests is lost). Every occurrence of each track is removed; tracks
        not in the playlist are ignored.
        """
        urn = to_urn(playlist, "playlists")
        removing = set(_track_refs(tracks, "remove_tracks()"))
        current_playlist, current = await self._current_tracks(urn)
        new = [t for t in current if t not in removing]
        if new == current:
            return current_playlist
        return await self.update(urn, PlaylistUpdate(tracks=new))

    async def _current_tracks(self, urn: URN) -> tuple[Playlist, list[URN]]:
        current = await self.get(urn, access=_ALL_ACCESS, show_tracks=True)
        listed = current.tracks or []
        urns = [u for u in (_urn_of(t) for t in listed) if u is not None]
        if len(urns) != len(listed) or (
            current.track_count is not None and current.track_count > len(urns)
        ):
            # The embedded list is incomplete: page through the full one.
            urns = []
            async for track in self.iter_tracks(urn, access=_ALL_ACCESS, limit=200):
                track_urn = _urn_of(track)
                if track_urn is None:
                    raise InvalidArgument(
                        f"playlist {urn} lists a track without urn or id; cannot rewrite it"
                    )
                urns.append(track_urn)
        return current, urns


def _body(value: object, model: type[Any], what: str) -> Any:
    try:
        body = metadata_from(value, model, what)
    except InvalidArgument:
        raise
    except (TypeError, ValueError) as exc:
        raise InvalidArgument(f"invalid {what}: {exc}") from exc
    check_choices(body, _CHOICES)
    return body
