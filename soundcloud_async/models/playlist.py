"""Playlists (sets and albums): the playlist object, pages, and write bodies."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, ClassVar

import attrs

from soundcloud_async._urn import URN, URNLike, to_urn
from soundcloud_async.models.common import (
    UNSET,
    Model,
    UnsetType,
    WriteModel,
    parse_tags,
    tags_to_str,
)
from soundcloud_async.models.enums import EmbeddableBy, License, PlaylistType, Sharing
from soundcloud_async.models.track import Track
from soundcloud_async.models.user import User

__all__ = ["Playlist", "PlaylistCreate", "PlaylistUpdate", "Playlists"]


@attrs.define(kw_only=True)
class Playlist(Model):
    """A playlist, album or set; ``tracks`` is present unless ``show_tracks=false``.

    The API's ``tags`` string (a duplicate of ``tag_list``) is kept as ``raw_tags``
    so that :attr:`tags` can give the parsed list, as on :class:`Track`.
    """

    _sc_kind: ClassVar[str] = "playlist"

    id: int | None = None
    urn: str | None = None
    kind: str | None = None
    title: str | None = None
    description: str | None = None
    user: User | None = None
    user_id: int | None = None
    user_urn: str | None = None
    created_at: dt.datetime | None = None
    last_modified: dt.datetime | None = None
    duration: int | None = None
    track_count: int | None = None
    tracks: list[Track] | None = None
    tracks_uri: str | None = None
    genre: str | None = None
    tag_list: str | None = None
    raw_tags: str | None = attrs.field(default=None, metadata={"json": "tags"})
    permalink: str | None = None
    permalink_url: str | None = None
    uri: str | None = None
    secret_uri: str | None = None
    artwork_url: str | None = None
    sharing: Sharing | str | None = None
    embeddable_by: EmbeddableBy | str | None = None
    license: License | str | None = None
    playlist_type: PlaylistType | str | None = None
    set_type: PlaylistType | str | None = None
    type: PlaylistType | str | None = None
    streamable: bool | None = None
    downloadable: bool | None = None
    likes_count: int | None = None
    reposts_count: int | None = None
    ean: str | None = None
    label: User | None = None
    label_id: int | None = None
    label_name: str | None = None
    release: str | None = None
    release_day: int | None = None
    release_month: int | None = None
    release_year: int | None = None
    purchase_title: str | None = None
    purchase_url: str | None = None

    @property
    def tags(self) -> list[str]:
        """``tag_list`` parsed into tags (multi-word and machine tags kept whole)."""
        return parse_tags(self.tag_list if self.tag_list is not None else self.raw_tags)


@attrs.define(kw_only=True)
class Playlists(Model):
    """A page of playlists (``{collection, next_href}``)."""

    collection: list[Playlist] | None = None
    next_href: str | None = None


def _track_urns(
    value: Iterable[URNLike | Track] | UnsetType | None,
) -> list[URN] | UnsetType | None:
    """Field converter: validate the tracks of a playlist body as track URNs, early."""
    if value is None or value is UNSET:
        return value
    if isinstance(value, (str, bytes)):
        raise TypeError("tracks must be a list of track URNs, not a single string")
    urns = []
    for item in value:
        if isinstance(item, Track):
            if item.urn is None and item.id is None:
                raise TypeError("a Track without urn or id cannot be added to a playlist")
            urns.append(to_urn(item.urn if item.urn is not None else item.id, "tracks"))  # type: ignore[arg-type]
        else:
            urns.append(to_urn(item, "tracks"))
    return urns


class _PlaylistBody(WriteModel):
    """Shared encoding of the playlist write bodies."""

    __slots__ = ()
    _wrapper: ClassVar[str | None] = "playlist"

    def _encode_json(self, name: str, value: Any) -> Any:
        if name == "tracks" and value is not None:
            return [{"urn": str(urn)} for urn in value]
        return super()._encode_json(name, value)

    def _encode_form(self, name: str, value: Any) -> tuple[str, str]:
        if name == "tracks" and value is not None:
            return "playlist[tracks][][urn]", ",".join(value)
        return super()._encode_form(name, value)


@attrs.define(kw_only=True)
class PlaylistUpdate(_PlaylistBody):
    """The body of ``PUT /playlists/{urn}``: only the fields you set are sent.

    ``tracks`` (URNs, ids or :class:`Track` objects, validated at construction)
    replaces the playlist's track list; ``tracks=[]`` empties it. ``tag_list``
    also accepts a list of tags, ``release_date`` a ``date``.
    """

    title: str | UnsetType | None = UNSET
    description: str | UnsetType | None = UNSET
    sharing: Sharing | str | UnsetType | None = UNSET
    tracks: list[URN] | UnsetType | None = attrs.field(default=UNSET, converter=_track_urns)
    ean: str | UnsetType | None = UNSET
    genre: str | UnsetType | None = UNSET
    label_name: str | UnsetType | None = UNSET
    license: License | str | UnsetType | None = UNSET
    permalink: str | UnsetType | None = UNSET
    permalink_url: str | UnsetType | None = UNSET
    purchase_title: str | UnsetType | None = UNSET
    purchase_url: str | UnsetType | None = UNSET
    release: str | UnsetType | None = UNSET
    release_date: dt.date | str | UnsetType | None = UNSET
    set_type: PlaylistType | str | UnsetType | None = UNSET
    tag_list: str | UnsetType | None = attrs.field(default=UNSET, converter=tags_to_str)


@attrs.define(kw_only=True)
class PlaylistCreate(PlaylistUpdate):
    """The body of ``POST /playlists``: like :class:`PlaylistUpdate`, with a title.

    Artwork (``playlist[artwork_data]``) is a file part, added by the upload call.
    """

    title: str
