"""Comments: the comment object, pages of comments, and the body to post one."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

import attrs

from soundcloud_async.models.common import UNSET, Model, UnsetType, WriteModel
from soundcloud_async.models.user import User

__all__ = ["Comment", "CommentCreate", "Comments"]


@attrs.define(kw_only=True)
class Comment(Model):
    """A comment on a track.

    ``timestamp`` is the comment's position in the track, in milliseconds: an ``int``
    when the API sends a whole number (``4960`` or ``"4960"``), a ``float`` when it has a
    fraction (``"4960.5"``; the spec types the field as a string and accepts decimals
    when posting), ``None`` when missing or not a number.
    """

    _sc_kind: ClassVar[str] = "comment"

    id: int | None = None
    urn: str | None = None
    kind: str | None = None
    body: str | None = None
    timestamp: int | float | None = None
    created_at: dt.datetime | None = None
    uri: str | None = None
    track_id: int | None = None
    track_urn: str | None = None
    user_id: int | None = None
    user_urn: str | None = None
    user: User | None = None


@attrs.define(kw_only=True)
class Comments(Model):
    """A page of comments (``{collection, next_href}``)."""

    collection: list[Comment] | None = None
    next_href: str | None = None


@attrs.define(kw_only=True)
class CommentCreate(WriteModel):
    """The body of ``POST /tracks/{urn}/comments``: ``{"comment": {"body", "timestamp"}}``.

    ``timestamp`` is the position in the track, in milliseconds.
    """

    _wrapper: ClassVar[str | None] = "comment"

    body: str
    timestamp: int | float | str | UnsetType = UNSET
