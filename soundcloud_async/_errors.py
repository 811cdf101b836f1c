"""The exceptions soundcloud_async raises.

Every exception a user sees comes from this tree; errors of the libraries below
(aiohttp, orjson, cattrs) are translated in exactly one place each, with the
original chained as ``__cause__``::

    SoundCloudError
     ├── ClientStateError            the client is not open (never opened, or closed)
     ├── InvalidArgument (ValueError)
     │    └── InvalidURN              not a URN, id or API URL of the expected kind
     ├── TransportError              nothing usable came back over the wire
     │    ├── ConnectError            the connection could not be made (request not sent)
     │    ├── ConnectionLost          the connection broke during the exchange
     │    └── RequestTimeout          no answer in time
     ├── APIError                    SoundCloud answered with an error status
     │    ├── BadRequest              400, 422
     │    ├── Unauthorized            401
     │    ├── Forbidden               403
     │    ├── NotFound                404
     │    ├── RateLimited             429 (retry_after, reset_time, group, spam_warning_urn)
     │    └── ServerError             5xx
     ├── DecodeError                 a body that is not what the status promised
     └── PaginationError             a next_href loop, a foreign host, too many empty pages
     └── AuthError                   OAuth flow failures (state mismatch, no refresh token)

Secrets (access tokens, refresh tokens, client secrets) never reach a message
or a repr: URLs are passed through :func:`redact_url` before they are stored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = [
    "APIError",
    "AuthError",
    "BadRequest",
    "ClientStateError",
    "ConnectError",
    "ConnectionLost",
    "DecodeError",
    "Forbidden",
    "InvalidArgument",
    "InvalidURN",
    "NotFound",
    "PaginationError",
    "RateLimited",
    "RequestTimeout",
    "ServerError",
    "SoundCloudError",
    "TransportError",
    "Unauthorized",
]

#: Query parameters whose values are secrets and are masked in every URL we keep.
SECRET_PARAMS = frozenset(
    {
        "access_token",
        "oauth_token",
        "client_secret",
        "refresh_token",
        "code",
        "code_verifier",
        "consumer_key",
        "client_id",
        "secret_token",
        "password",
    }
)
_MASK = "***"


def redact_url(url: str) -> str:
    """Return ``url`` with user info and secret query values masked."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparsable URL>"
    netloc = parts.netloc
    if "@" in netloc:
        netloc = _MASK + "@" + netloc.rpartition("@")[2]
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(k.lower() in SECRET_PARAMS for k, _ in pairs):
            query = urlencode(
                [(k, _MASK if k.lower() in SECRET_PARAMS else v) for k, v in pairs], safe=":/*"
            )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


class SoundCloudError(Exception):
    """Base class of every exception raised by soundcloud_async."""


class ClientStateError(SoundCloudError):
    """The client was used outside its open lifetime (before ``__aenter__`` or after close)."""


class InvalidArgument(SoundCloudError, ValueError):
    """An argument was rejected before any request was sent."""


class InvalidURN(InvalidArgument):
    """A value is not a URN, numeric id or API URL of the expected kind."""

    def __init__(self, value: object, reason: str, *, kind: str | None = None) -> None:
        self.value = value
        self.kind = kind
        shown = repr(value)
        if len(shown) > 120:
            shown = shown[:117] + "..."
        super().__init__(f"invalid {kind + ' ' if kind else ''}URN {shown}: {reason}")


class TransportError(SoundCloudError):
    """No usable HTTP response: the connection failed, broke or timed out."""

    def __init__(self, message: str, *, method: str, url: str) -> None:
        self.method = method
        self.url = redact_url(url)
        super().__init__(f"{message} ({method} {self.url})")


class ConnectError(TransportError):
    """The connection could not be established, so the request was never sent."""


class ConnectionLost(TransportError):
    """The connection broke after the request may have been sent."""


class RequestTimeout(TransportError):
    """The server did not answer in time."""


class APIError(SoundCloudError):
    """SoundCloud answered with an error status.

    Attributes:
        status: the HTTP status code.
        code: the API's machine-readable error code, where it gave one.
        message: the human-readable message extracted from the body.
        link: the documentation link of the error body, if any.
        body: the raw body (bytes), for diagnosis.
        method, url: the request, with secrets removed from the URL.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int,
        method: str,
        url: str,
        code: str | None = None,
        link: str | None = None,
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.link = link
        self.body = body
        self.method = method
        self.url = redact_url(url)
        self.headers: Mapping[str, str] = dict(headers or {})
        super().__init__(f"{status} {message} ({method} {self.url})")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status}, message={self.message!r}, url={self.url!r})"


class BadRequest(APIError):
    """400 or 422: the request was malformed or semantically invalid."""


class Unauthorized(APIError):
    """401: the token is missing, expired or revoked."""


class Forbidden(APIError):
    """403: not allowed (also CloudFront's HTML block pages)."""


class NotFound(APIError):
    """404: the resource does not exist or is not visible to this token."""


class RateLimited(APIError):
    """429: a rate limit was hit.

    Attributes:
        retry_after: seconds to wait, from ``Retry-After`` or the body's ``reset_time``
            (``None`` when SoundCloud said neither).
        reset_time: when the window resets, if the body said.
        group: the rate-limit group (``plays``, ``client-credentials-exchange``, ...).
        spam_warning_urn: set when the 429 is an account spam block: never retried.
    """

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        reset_time: dt.datetime | None = None,
        group: str | None = None,
        spam_warning_urn: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.retry_after = retry_after
        self.reset_time = reset_time
        self.group = group
        self.spam_warning_urn = spam_warning_urn
        super().__init__(message, **kwargs)

    def __repr__(self) -> str:
        return (
            f"RateLimited(message={self.message!r}, retry_after={self.retry_after!r}, "
            f"group={self.group!r}, spam_warning_urn={self.spam_warning_urn!r})"
        )


class ServerError(APIError):
    """5xx: SoundCloud (or a proxy in front of it) failed."""


class DecodeError(SoundCloudError):
    """The body is not what its status promised: malformed JSON, HTML, or a 200 error object."""

    def __init__(
        self, message: str, *, method: str, url: str, status: int, body: bytes = b""
    ) -> None:
        self.method = method
        self.url = redact_url(url)
        self.status = status
        self.body = body
        super().__init__(f"{message} ({status}, {method} {self.url})")


class PaginationError(SoundCloudError):
    """A paginated collection misbehaved: a next_href loop, a foreign host, endless empty pages."""


class AuthError(SoundCloudError):
    """An OAuth flow failed on our side (state mismatch, missing refresh token, ...)."""
