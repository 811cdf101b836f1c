"""The public surface is pinned: adding or removing a name is a deliberate act."""

from __future__ import annotations

import soundcloud_async


class TestExports:
    """`soundcloud_async.__all__` is exact and importable."""

    def test_no_duplicates(self) -> None:
        """Each name is exported once (ruff's RUF022 keeps the list sorted)."""
        assert len(set(soundcloud_async.__all__)) == len(soundcloud_async.__all__)

    def test_every_name_resolves(self) -> None:
        """Every exported name is an attribute of the package."""
        missing = [name for name in soundcloud_async.__all__ if not hasattr(soundcloud_async, name)]
        assert [] == missing

    def test_public_members_come_from_the_package(self) -> None:
        """Exported classes and functions claim the public module, not a private one."""
        for name in soundcloud_async.__all__:
            member = getattr(soundcloud_async, name)
            if isinstance(member, type) or (callable(member) and hasattr(member, "__code__")):
                assert member.__module__.startswith("soundcloud_async"), name

    def test_surface(self) -> None:
        """The exact public surface."""
        expected = {
            "APIError", "Activities", "Activity", "Auth", "AuthError", "AuthorizationCodeFlow",
            "AuthorizationRequest", "BadRequest", "Checkpoint", "ClientCredentials",
            "ClientStateError", "Comment", "CommentCreate", "ConnectError", "ConnectionLost",
            "DEFAULT_BASE_URL", "DateRange", "DecodeError", "DownloadProgress",
            "DownloadResult", "EventHooks", "Forbidden",
            "IntRange", "InvalidArgument", "InvalidURN", "JSONFileTokenStore",
            "LockingTokenStore", "Me", "MemoryTokenStore", "NotFound", "OAuthToken", "Page",
            "PaginationError", "Paginator", "Playlist", "PlaylistCreate", "PlaylistUpdate",
            "PreviewOnly", "Range", "RateLimitWait", "RateLimited", "RateLimiter",
            "RateLimiterUnavailable",
            "RedisTokenBucket", "RedisTokenStore", "RefreshingToken", "RequestSent",
            "RequestTimeout", "ResponseReceived", "RetryBudget", "RetryPolicy",
            "RetryScheduled", "ServerError", "SoundCloud", "SoundCloudError", "StaticToken",
            "Stats", "Storefront", "StorefrontUpdate", "Streams", "TokenBucket", "TokenStore",
            "Track", "TrackMetadata", "TransportError", "URN", "URNLike", "Unauthorized",
            "Unlimited", "User", "WebProfile", "__version__",
        }  # fmt: skip
        assert expected == set(soundcloud_async.__all__)
        assert len(expected) == len(soundcloud_async.__all__)
