"""Typed models of SoundCloud's JSON: read models (tolerant) and write bodies (exact).

Read models are slotted, mutable attrs classes; every field is optional and
``None`` when SoundCloud leaves it out or sends ``null``. Build them with
:func:`soundcloud_async._converters.structure`. Write models (``TrackMetadata``,
``PlaylistCreate``, ``PlaylistUpdate``, ``CommentCreate``, ``StorefrontUpdate``)
send only the fields you set.
"""

from __future__ import annotations

from soundcloud_async.models.activity import Activities, Activity
from soundcloud_async.models.auth import OAuthToken
from soundcloud_async.models.comment import Comment, CommentCreate, Comments
from soundcloud_async.models.common import (
    UNSET,
    Error,
    ErrorDetail,
    ErrorMeta,
    Found,
    Model,
    RateLimitInfo,
    Status,
    TooManyRequests,
    UnsetType,
    WriteModel,
    format_tags,
    parse_tags,
)
from soundcloud_async.models.enums import (
    Access,
    ActivityType,
    EmbeddableBy,
    License,
    PlaylistType,
    Sharing,
    StorefrontType,
)
from soundcloud_async.models.media import Streams
from soundcloud_async.models.playlist import Playlist, PlaylistCreate, Playlists, PlaylistUpdate
from soundcloud_async.models.track import (
    Storefront,
    StorefrontUpdate,
    Track,
    TrackMetadata,
    Tracks,
)
from soundcloud_async.models.user import (
    Me,
    Quota,
    Subscription,
    SubscriptionProduct,
    User,
    Users,
    WebProfile,
)

__all__ = [
    "UNSET",
    "Access",
    "Activities",
    "Activity",
    "ActivityType",
    "Comment",
    "CommentCreate",
    "Comments",
    "EmbeddableBy",
    "Error",
    "ErrorDetail",
    "ErrorMeta",
    "Found",
    "License",
    "Me",
    "Model",
    "OAuthToken",
    "Playlist",
    "PlaylistCreate",
    "PlaylistType",
    "PlaylistUpdate",
    "Playlists",
    "Quota",
    "RateLimitInfo",
    "Sharing",
    "Status",
    "Storefront",
    "StorefrontType",
    "StorefrontUpdate",
    "Streams",
    "Subscription",
    "SubscriptionProduct",
    "TooManyRequests",
    "Track",
    "TrackMetadata",
    "Tracks",
    "UnsetType",
    "User",
    "Users",
    "WebProfile",
    "WriteModel",
    "format_tags",
    "parse_tags",
]
