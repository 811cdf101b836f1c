"""Users: the (mini) user nested in tracks and comments, ``/me``, web profiles."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

import attrs

from soundcloud_async.models.common import Model

__all__ = ["Me", "Quota", "Subscription", "SubscriptionProduct", "User", "Users", "WebProfile"]


@attrs.define(kw_only=True)
class SubscriptionProduct(Model):
    """The product of a subscription (``id`` like ``free``, ``creator-pro``)."""

    id: str | None = None
    name: str | None = None


@attrs.define(kw_only=True)
class Subscription(Model):
    """A subscription of a user (deprecated by SoundCloud)."""

    product: SubscriptionProduct | None = None
    recurring: bool | None = None


@attrs.define(kw_only=True)
class User(Model):
    """A SoundCloud user; also the smaller user object nested in tracks and comments."""

    _sc_kind: ClassVar[str] = "user"

    id: int | None = None
    urn: str | None = None
    kind: str | None = None
    username: str | None = None
    permalink: str | None = None
    permalink_url: str | None = None
    uri: str | None = None
    avatar_url: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    full_name: str | None = None
    description: str | None = None
    city: str | None = None
    country: str | None = None
    created_at: dt.datetime | None = None
    last_modified: dt.datetime | None = None
    followers_count: int | None = None
    followings_count: int | None = None
    playlist_count: int | None = None
    public_favorites_count: int | None = None
    reposts_count: int | None = None
    track_count: int | None = None
    likes_count: int | None = None
    comments_count: int | None = None
    plan: str | None = None
    website: str | None = None
    website_title: str | None = None
    discogs_name: str | None = None
    myspace_name: str | None = None
    upload_seconds_left: int | None = None
    subscriptions: list[Subscription] | None = None


@attrs.define(kw_only=True)
class Quota(Model):
    """The authenticated user's upload quota."""

    unlimited_upload_quota: bool | None = None
    upload_seconds_used: int | None = None
    upload_seconds_left: int | None = None


@attrs.define(kw_only=True)
class Me(User):
    """The authenticated user (``GET /me``): a :class:`User` plus private account fields."""

    locale: str | None = None
    online: bool | None = None
    primary_email_confirmed: bool | None = None
    private_playlists_count: int | None = None
    private_tracks_count: int | None = None
    quota: Quota | None = None


@attrs.define(kw_only=True)
class Users(Model):
    """A page of users (``{collection, next_href}``)."""

    collection: list[User] | None = None
    next_href: str | None = None


@attrs.define(kw_only=True)
class WebProfile(Model):
    """A link on a user's profile (``GET /users/{urn}/web-profiles``)."""

    id: int | None = None
    urn: str | None = None
    kind: str | None = None
    service: str | None = None
    title: str | None = None
    url: str | None = None
    username: str | None = None
    created_at: dt.datetime | None = None
