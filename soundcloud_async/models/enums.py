"""String enums for the API's closed value sets.

Every enum mixes in ``str``, so a member compares equal to its value
(``Sharing.PUBLIC == "public"``) and ``str()``/f-strings give the value. Read
models type these fields ``Enum | str | None``: a value SoundCloud adds later is
kept as the raw string rather than crashing the caller.
"""

from __future__ import annotations

import enum

__all__ = [
    "Access",
    "ActivityType",
    "EmbeddableBy",
    "License",
    "PlaylistType",
    "Sharing",
    "StorefrontType",
]


class _StrEnum(str, enum.Enum):
    """A ``str`` enum whose ``str()`` and ``format()`` are the value on every Python."""

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, format_spec: str) -> str:
        return format(str(self.value), format_spec)


class Sharing(_StrEnum):
    """Who can see a track or playlist."""

    PUBLIC = "public"
    PRIVATE = "private"


class Access(_StrEnum):
    """What the caller may do with a track: play it fully, preview it, or only see it."""

    PLAYABLE = "playable"
    PREVIEW = "preview"
    BLOCKED = "blocked"


class EmbeddableBy(_StrEnum):
    """Who can embed a track (deprecated by SoundCloud, still sent)."""

    ALL = "all"
    ME = "me"
    NONE = "none"


class License(_StrEnum):
    """A track's or playlist's license."""

    NO_RIGHTS_RESERVED = "no-rights-reserved"
    ALL_RIGHTS_RESERVED = "all-rights-reserved"
    CC_BY = "cc-by"
    CC_BY_NC = "cc-by-nc"
    CC_BY_ND = "cc-by-nd"
    CC_BY_SA = "cc-by-sa"
    CC_BY_NC_ND = "cc-by-nc-nd"
    CC_BY_NC_SA = "cc-by-nc-sa"


class PlaylistType(_StrEnum):
    """A playlist's ``set_type`` / ``playlist_type``: a plain playlist or an album."""

    ALBUM = "album"
    PLAYLIST = "playlist"


class ActivityType(_StrEnum):
    """The kind of an activity-feed entry (older data uses ``track-repost``: kept raw)."""

    TRACK = "track"
    TRACK_REPOST = "track:repost"
    PLAYLIST = "playlist"
    PLAYLIST_REPOST = "playlist:repost"


class StorefrontType(_StrEnum):
    """The kind of item a track's storefront offers."""

    DIGITAL = "digital"
    VINYL = "vinyl"
    CD = "cd"
    CASSETTE = "cassette"
    APPAREL = "apparel"
    SAMPLE_PACK = "sample_pack"
    SUBSCRIPTION = "subscription"
    LIVE_EVENT = "live_event"
    LIVE_STREAM = "live_stream"
    OTHER = "other"
