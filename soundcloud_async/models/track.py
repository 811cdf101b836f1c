"""Tracks: the track object, pages of tracks, write bodies and the storefront."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

import attrs

from soundcloud_async.models.common import (
    UNSET,
    Model,
    UnsetType,
    WriteModel,
    parse_tags,
    tags_to_str,
)
from soundcloud_async.models.enums import Access, EmbeddableBy, License, Sharing, StorefrontType
from soundcloud_async.models.user import User

__all__ = ["Storefront", "StorefrontUpdate", "Track", "TrackMetadata", "Tracks"]


@attrs.define(kw_only=True)
class Track(Model):
    """A SoundCloud track, with its uploader as a nested :class:`User`."""

    _sc_kind: ClassVar[str] = "track"

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
    full_duration: int | None = None
    genre: str | None = None
    tag_list: str | None = None
    permalink: str | None = None
    permalink_url: str | None = None
    uri: str | None = None
    secret_uri: str | None = None
    artwork_url: str | None = None
    waveform_url: str | None = None
    stream_url: str | None = None
    download_url: str | None = None
    sharing: Sharing | str | None = None
    access: Access | str | None = None
    embeddable_by: EmbeddableBy | str | None = None
    license: License | str | None = None
    streamable: bool | None = None
    downloadable: bool | None = None
    commentable: bool | None = None
    reveal_stats: bool | None = None
    reveal_comments: bool | None = None
    playback_count: int | None = None
    download_count: int | None = None
    favoritings_count: int | None = None
    likes_count: int | None = None
    comment_count: int | None = None
    reposts_count: int | None = None
    user_favorite: bool | None = None
    user_playback_count: int | None = None
    bpm: float | None = None
    key_signature: str | None = None
    isrc: str | None = None
    label_name: str | None = None
    metadata_artist: str | None = None
    release: str | None = None
    release_day: int | None = None
    release_month: int | None = None
    release_year: int | None = None
    purchase_title: str | None = None
    purchase_url: str | None = None
    available_country_codes: str | None = None

    @property
    def tags(self) -> list[str]:
        """``tag_list`` parsed into tags (multi-word and machine tags kept whole)."""
        return parse_tags(self.tag_list)


@attrs.define(kw_only=True)
class Tracks(Model):
    """A page of tracks (``{collection, next_href}``)."""

    collection: list[Track] | None = None
    next_href: str | None = None


@attrs.define(kw_only=True)
class TrackMetadata(WriteModel):
    """A track's metadata for upload (``POST /tracks``) or update (``PUT /tracks/{urn}``).

    Only the fields you set are sent; ``None`` sends an explicit ``null``.
    ``tag_list`` also accepts a list of tags; ``release_date`` a ``date``.
    :meth:`to_json` gives ``{"track": {...}}``; :meth:`to_form` gives
    ``{"track[title]": ...}`` for the multipart and urlencoded endpoints (the
    upload adds ``track[asset_data]`` itself).
    """

    _wrapper: ClassVar[str | None] = "track"

    title: str | UnsetType | None = UNSET
    permalink: str | UnsetType | None = UNSET
    sharing: Sharing | str | UnsetType | None = UNSET
    embeddable_by: EmbeddableBy | str | UnsetType | None = UNSET
    purchase_url: str | UnsetType | None = UNSET
    description: str | UnsetType | None = UNSET
    genre: str | UnsetType | None = UNSET
    tag_list: str | UnsetType | None = attrs.field(default=UNSET, converter=tags_to_str)
    label_name: str | UnsetType | None = UNSET
    release: str | UnsetType | None = UNSET
    release_date: dt.date | str | UnsetType | None = UNSET
    streamable: bool | UnsetType | None = UNSET
    downloadable: bool | UnsetType | None = UNSET
    license: License | str | UnsetType | None = UNSET
    commentable: bool | UnsetType | None = UNSET
    reveal_stats: bool | UnsetType | None = UNSET
    reveal_comments: bool | UnsetType | None = UNSET
    isrc: str | UnsetType | None = UNSET


@attrs.define(kw_only=True)
class Storefront(Model):
    """A track's storefront (Artist Storefront / buy module)."""

    track_urn: str | None = None
    title: str | None = None
    type: StorefrontType | str | None = None
    link: str | None = None
    link_title: str | None = None
    description: str | None = None
    image_url: str | None = None
    price: str | None = None


@attrs.define(kw_only=True)
class StorefrontUpdate(WriteModel):
    """The body of ``PUT /tracks/{urn}/storefront``.

    The request replaces the whole storefront: optional fields left ``None`` are
    omitted, which clears them on SoundCloud's side.
    """

    title: str
    type: StorefrontType | str
    link: str
    link_title: str | None = None
    description: str | None = None
    price: str | None = None

    def _items(self) -> list[tuple[str, Any]]:
        return [(name, value) for name, value in super()._items() if value is not None]
