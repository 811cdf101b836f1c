"""soundcloud_async: an asyncio client for the official SoundCloud API.

The public surface is re-exported here; everything in ``_modules`` is private.
"""

from __future__ import annotations

from soundcloud_async._auth import (
    Auth,
    AuthorizationCodeFlow,
    AuthorizationRequest,
    ClientCredentials,
    JSONFileTokenStore,
    MemoryTokenStore,
    RefreshingToken,
    StaticToken,
    TokenStore,
)
from soundcloud_async._backoff import RetryBudget, RetryPolicy
from soundcloud_async._client import DEFAULT_BASE_URL, SoundCloud
from soundcloud_async._errors import (
    APIError,
    AuthError,
    BadRequest,
    ClientStateError,
    ConnectError,
    ConnectionLost,
    DecodeError,
    Forbidden,
    InvalidArgument,
    InvalidURN,
    NotFound,
    PaginationError,
    RateLimited,
    RequestTimeout,
    ServerError,
    SoundCloudError,
    TransportError,
    Unauthorized,
)
from soundcloud_async._events import (
    EventHooks,
    RateLimitWait,
    RequestSent,
    ResponseReceived,
    RetryScheduled,
    Stats,
)
from soundcloud_async._pagination import Checkpoint, Page, Paginator
from soundcloud_async._ratelimit import RateLimiter, TokenBucket, Unlimited
from soundcloud_async._resources._params import Range
from soundcloud_async._urn import URN, URNLike
from soundcloud_async._version import __version__
from soundcloud_async.models import (
    Activities,
    Activity,
    Comment,
    Me,
    OAuthToken,
    Playlist,
    Streams,
    Track,
    User,
    WebProfile,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "URN",
    "APIError",
    "Activities",
    "Activity",
    "Auth",
    "AuthError",
    "AuthorizationCodeFlow",
    "AuthorizationRequest",
    "BadRequest",
    "Checkpoint",
    "ClientCredentials",
    "ClientStateError",
    "Comment",
    "ConnectError",
    "ConnectionLost",
    "DecodeError",
    "EventHooks",
    "Forbidden",
    "InvalidArgument",
    "InvalidURN",
    "JSONFileTokenStore",
    "Me",
    "MemoryTokenStore",
    "NotFound",
    "OAuthToken",
    "Page",
    "PaginationError",
    "Paginator",
    "Playlist",
    "Range",
    "RateLimitWait",
    "RateLimited",
    "RateLimiter",
    "RefreshingToken",
    "RequestSent",
    "RequestTimeout",
    "ResponseReceived",
    "RetryBudget",
    "RetryPolicy",
    "RetryScheduled",
    "ServerError",
    "SoundCloud",
    "SoundCloudError",
    "StaticToken",
    "Stats",
    "Streams",
    "TokenBucket",
    "TokenStore",
    "Track",
    "TransportError",
    "URNLike",
    "Unauthorized",
    "Unlimited",
    "User",
    "WebProfile",
    "__version__",
]
