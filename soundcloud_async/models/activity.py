"""Activities: entries of the ``/me/activities`` feeds."""

from __future__ import annotations

import datetime as dt

import attrs

from soundcloud_async.models.common import Model
from soundcloud_async.models.enums import ActivityType
from soundcloud_async.models.playlist import Playlist
from soundcloud_async.models.track import Track

__all__ = ["Activities", "Activity"]


@attrs.define(kw_only=True)
class Activity(Model):
    """One feed entry: a track or playlist posted or reposted.

    ``origin`` is a :class:`Track` or a :class:`Playlist`, chosen by the origin's
    ``kind`` or else by ``type`` (``track``, ``track:repost``, ``playlist``,
    ``playlist:repost``; older data says ``track-repost``). ``reposter`` is the URN
    of the reposting user on reposts.
    """

    type: ActivityType | str | None = None
    created_at: dt.datetime | None = None
    origin: Track | Playlist | None = None
    reposter: str | None = None

    @property
    def is_repost(self) -> bool:
        """Whether this entry is a repost (any spelling of ``…repost``)."""
        return isinstance(self.type, str) and self.type.endswith("repost")


@attrs.define(kw_only=True)
class Activities(Model):
    """A page of the activity feed; ``future_href`` polls for newer entries."""

    collection: list[Activity] | None = None
    next_href: str | None = None
    future_href: str | None = None
