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
     │    ├── Unauthorized            401 (from_gateway: an empty or HTML body, not SoundCloud's)
     │    ├── Forbidden               403 (from_gateway: CloudFront's HTML page, an empty body)
     │    │    └── PreviewOnly         only the 30 s preview of a track can be had
     │    ├── NotFound                404
     │    ├── RateLimited             429 (retry_after, reset_time, group, spam_warning_urn)
     │    └── ServerError             5xx
     ├── DecodeError                 a body that is not what the status promised
     ├── PaginationError             a next_href loop, a foreign host, too many empty pages
     ├── AuthError                   OAuth flow failures (state mismatch, no refresh token)
     ├── RateLimiterUnavailable      RedisTokenBucket cannot reach Redis (on_unavailable="raise")
     └── CrawlStoreError             soundcloud_async.crawl: the crawl store failed
          ├── StoreUnavailable        it cannot be opened (bad path or URL, no server, no access)
          ├── StoreMismatch           it holds a different crawl
          └── StoreFormatError        it is not a crawl store of this format

Secrets (access tokens, refresh tokens, client secrets) never reach a message
or a repr: URLs are passed through :func:`redact_url` before they are stored.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import orjson

from soundcloud_async._dates import parse_date

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
    "PreviewOnly",
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
        # CloudFront-signed media URLs: the signature is a bearer credential for minutes.
        "signature",
        "policy",
    }
)
_MASK = "***"
#: A private share link's token: ``soundcloud.com/<user>/<track>/s-<token>`` (or
#: ``/<user>/sets/<set>/s-<token>``). Only from the third path segment on, where no
#: permalink can be: ``soundcloud.com/<user>/s-bahn`` is a public track.
_SHARE_TOKEN = re.compile(r"(/[^/]+/[^/]+(?:/[^/]+)*?/)s-[A-Za-z0-9_-]+(?=/|$)")


#: Without one of these, a URL has nothing to mask and parses cleanly ("[": IPv6).
_REDACT_MARKS: Final = ("?", "#", "@", "/s-", "[")


def redact_url(url: str) -> str:
    """Return ``url`` with user info, secret query values and share tokens masked.

    Masks the values of :data:`SECRET_PARAMS` (``consumer_key``, ``secret_token``,
    tokens, codes...), a private share link's ``s-…`` path segment, and the same in a
    URL carried in a query value (``/resolve?url=…``).
    """
    if not any(mark in url for mark in _REDACT_MARKS):
        return url  # nothing to mask: the common case, kept cheap
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparsable URL>"
    netloc = parts.netloc
    if "@" in netloc:
        netloc = _MASK + "@" + netloc.rpartition("@")[2]
    path = parts.path
    if "/s-" in path:
        path = _SHARE_TOKEN.sub(rf"\1s-{_MASK}", path)
    return urlunsplit(
        (
            parts.scheme,
            netloc,
            path,
            _redact_query(parts.query),
            _redact_query(parts.fragment),
        )
    )


def _redact_query(query: str) -> str:
    """Mask secret values in a query string (or an OAuth-style fragment), recursing into
    values that are themselves URLs (``/resolve?url=…%3Fsecret_token%3D…``)."""
    if "=" not in query:
        return query
    pairs = parse_qsl(query, keep_blank_values=True)
    changed = False
    masked: list[tuple[str, str]] = []
    for key, value in pairs:
        if key.lower() in SECRET_PARAMS:
            new_value = _MASK
        elif "?" in value or "#" in value or "://" in value:
            new_value = redact_url(value)
        else:
            new_value = value
        changed = changed or new_value != value
        masked.append((key, new_value))
    return urlencode(masked, safe=":/*") if changed else query


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
        # A pasted private share link carries its s-token: never repeat it.
        shown = repr(redact_url(value) if isinstance(value, str) and "://" in value else value)
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
        # SoundCloud's own messages often start with the status ("404 - Not Found"):
        # do not say it twice.
        said = message.split(None, 1)[0] == str(status) if message else False
        super().__init__(f"{message if said else f'{status} {message}'} ({method} {self.url})")

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status}, "
            f"message={self.message!r}, url={self.url!r})"
        )

    @property
    def from_gateway(self) -> bool:
        """Whether the answer came from a gateway in front of the API, not from SoundCloud.

        An HTML page (CloudFront's "The request could not be satisfied") or an empty or
        blank body is not SoundCloud's JSON error: a 401 or 403 like that is usually a
        transient refusal, retried for idempotent requests and never taken as "this
        object is forbidden".
        """
        body = self.body.strip()
        return not body or _looks_like_html(body)


class BadRequest(APIError):
    """400 or 422: the request was malformed or semantically invalid."""


class Unauthorized(APIError):
    """401: the token is missing, expired or revoked."""


class Forbidden(APIError):
    """403: not allowed (also CloudFront's HTML block pages)."""


class PreviewOnly(Forbidden):
    """Only the 30-second preview of a track can be had.

    The track offers no full-length format, or every one it offers answered 403 while
    its preview works (soundcloud/api#534). Download the preview on purpose with
    ``format="preview_mp3_128_url"``. Its message is the reason alone, without the status
    and URL of the request that found it out.
    """

    def __str__(self) -> str:
        return self.message


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


# ---------------------------------------------------------------------------
# Classification: (status, headers, body) -> data or raise. Pure: no I/O, the
# wall clock is passed in so that Retry-After dates and reset_time are testable.
# ---------------------------------------------------------------------------

_ERROR_ONLY_KEYS = frozenset(
    {
        "code",
        "message",
        "link",
        "status",
        "errors",
        "error",
        "error_code",
        "error_message",
        "error_description",
    }
)
#: Beside ``code`` and ``message``, any of these marks the spec's ``Error`` envelope.
_ENVELOPE_KEYS = frozenset({"link", "errors", "error"})
_HTML_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_HTML_H1 = re.compile(rb"<h1[^>]*>(.*?)</h1>", re.IGNORECASE | re.DOTALL)
_TAGS = re.compile(r"<[^>]+>")
_REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def parse_sc_datetime(value: object) -> dt.datetime | None:
    """Parse SoundCloud's ``yyyy/MM/dd HH:mm:ss +0000`` (or ISO 8601); ``None`` if neither."""
    return parse_date(value)


def _looks_like_html(body: bytes) -> bool:
    head = body[:256].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<?xml", b"<head", b"<body")) or (
        head.startswith(b"<") and b"<html" in body[:2048].lower()
    )


def _html_summary(body: bytes) -> str:
    # CloudFront's <h1> only repeats the status ("403 ERROR"); its <title> says why.
    for pattern in (_HTML_TITLE, _HTML_H1):
        match = pattern.search(body)
        if match:
            text = _TAGS.sub(" ", match.group(1).decode("utf-8", "replace"))
            text = " ".join(text.split())
            if text:
                return f"HTML error page: {text[:160]}"
    return "HTML error page"


def _text_summary(body: bytes) -> str:
    decoded = body.decode("utf-8", "replace")
    text = " ".join("".join(c if c.isprintable() else " " for c in decoded).split())
    if not text:
        return ""
    return text[:200] + ("..." if len(text) > 200 else "")


def _decode_json(body: bytes) -> tuple[bool, Any]:
    try:
        return True, orjson.loads(body)
    except orjson.JSONDecodeError:
        return False, None


def _first_error_entry(data: Mapping[str, Any]) -> Mapping[str, Any] | None:
    errors = data.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], Mapping):
        return errors[0]
    return None


def _message_from_json(data: Any) -> tuple[str | None, str | None, str | None]:
    """Extract (message, code, link) from any of SoundCloud's error body shapes."""
    if not isinstance(data, Mapping):
        return None, None, None
    message: str | None = None
    entry = _first_error_entry(data)
    for candidate in (
        data.get("message"),
        entry.get("error_message") if entry else None,
        data.get("error_description"),
        data.get("error"),
        data.get("error_message"),
    ):
        if isinstance(candidate, str) and candidate.strip():
            message = candidate.strip()
            break
    code: str | None = None
    for candidate in (data.get("error_code"), data.get("error")):
        if isinstance(candidate, str) and candidate.strip():
            code = candidate.strip()
            break
    if code is None and isinstance(data.get("code"), (int, str)):
        code = str(data["code"])
    if message is None and entry and isinstance(entry.get("meta"), Mapping):
        message = "rate limit exceeded"
    link = data.get("link") if isinstance(data.get("link"), str) else None
    return message, code, link


def is_error_object(data: Any) -> bool:
    """True for a JSON object that carries only error fields (e.g. an HTTP 200 error body).

    Only objects made of error fields qualify, so a ``Track`` or ``User`` with a
    ``message`` or ``code`` is never one. Among those, an error is: a non-empty
    ``errors``/``error``/``error_message``; a ``code`` >= 400 with a ``message``; or the
    spec's ``Error`` envelope, ``code`` and ``message`` with a ``link``, ``errors`` or
    ``error`` beside them, whatever its code (SoundCloud's gateway sent one with code 200
    and an empty ``errors``: soundcloud/api#307). Success bodies (``{"status": "200 -
    OK"}``) carry none of these.
    """
    if not isinstance(data, dict) or not data:
        return False
    keys = data.keys()
    if not keys <= _ERROR_ONLY_KEYS:
        return False
    if data.get("errors") or data.get("error") or data.get("error_message"):
        return True
    code = data.get("code")
    message = data.get("message")
    if not isinstance(message, str) or not message.strip():
        return False
    if isinstance(code, int) and not isinstance(code, bool) and code >= 400:
        return True
    has_code = isinstance(code, int) or (isinstance(code, str) and code.strip().isdigit())
    return has_code and not keys.isdisjoint(_ENVELOPE_KEYS)


def _retry_after_header(value: str | None, now_wall: float) -> float | None:
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.timezone.utc)
        return max(0.0, when.timestamp() - now_wall)
    if seconds != seconds or seconds < 0:  # NaN or negative
        return None
    return seconds


def _rate_limit_details(data: Any, headers: Mapping[str, str], now_wall: float) -> dict[str, Any]:
    details: dict[str, Any] = {
        "retry_after": _retry_after_header(headers.get("Retry-After"), now_wall),
        "reset_time": None,
        "group": None,
        "spam_warning_urn": None,
    }
    if not isinstance(data, Mapping):
        return details
    spam = data.get("spam_warning_urn")
    if isinstance(spam, str) and spam:
        details["spam_warning_urn"] = spam
    entry = _first_error_entry(data)
    meta = entry.get("meta") if entry else None
    if isinstance(meta, Mapping):
        reset = parse_sc_datetime(meta.get("reset_time"))
        details["reset_time"] = reset
        if reset is not None and details["retry_after"] is None:
            details["retry_after"] = max(0.0, reset.timestamp() - now_wall)
        limit = meta.get("rate_limit")
        if isinstance(limit, Mapping):
            group = limit.get("group") or limit.get("name")
            if isinstance(group, str):
                details["group"] = group
    return details


_STATUS_CLASSES: dict[int, type[APIError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    422: BadRequest,
    429: RateLimited,
}


def error_for_status(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    method: str,
    url: str,
    now_wall: float,
) -> APIError:
    """Build the :class:`APIError` subclass for an error response (status >= 400)."""
    data: Any = None
    if body.strip():
        if _looks_like_html(body):
            message: str | None = _html_summary(body)
            code = link = None
        else:
            ok, data = _decode_json(body)
            if ok:
                message, code, link = _message_from_json(data)
                if message is None and isinstance(data, str):
                    message = data.strip() or None
            else:
                message, code, link = _text_summary(body), None, None
    else:
        message = code = link = None
    if not message:
        message = _REASONS.get(status, "HTTP error")
    cls = _STATUS_CLASSES.get(status) or (ServerError if status >= 500 else APIError)
    common: dict[str, Any] = {
        "status": status,
        "method": method,
        "url": url,
        "code": code,
        "link": link,
        "body": body,
        "headers": headers,
    }
    if cls is RateLimited:
        return RateLimited(message, **_rate_limit_details(data, headers, now_wall), **common)
    return cls(message, **common)


def classify(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    method: str,
    url: str,
    now_wall: float,
) -> Any:
    """Turn one HTTP exchange into decoded JSON data, or raise.

    - 2xx: the decoded JSON (``None`` for an empty body); :class:`DecodeError` for
      malformed JSON, an HTML page, or an error object sent with a success status.
    - 3xx: the decoded body if it is JSON, else ``None`` (the caller reads ``Location``).
    - >= 400: raises the matching :class:`APIError` subclass.
    """
    if status >= 400:
        raise error_for_status(status, headers, body, method=method, url=url, now_wall=now_wall)
    stripped = body.strip()
    if not stripped:
        return None
    if 300 <= status < 400:
        ok, data = _decode_json(body)
        return data if ok else None
    ok, data = _decode_json(body)
    if not ok:
        if _looks_like_html(body):
            reason = f"expected JSON, got an {_html_summary(body)}"
        else:
            reason = f"malformed JSON: {_text_summary(body)[:80]!r}"
        raise DecodeError(reason, method=method, url=url, status=status, body=body)
    if is_error_object(data):
        message = _message_from_json(data)[0] or "error object"
        raise DecodeError(
            f"HTTP {status} carried an error object: {message}",
            method=method,
            url=url,
            status=status,
            body=body,
        )
    return data
