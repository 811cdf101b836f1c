"""The transport: the one way out to the network, and the only module importing aiohttp.

Every request, first page or ``next_href``, upload or token exchange, takes this
path once per attempt::

    Authorization header (same origin only) -> limiter.acquire() -> aiohttp
      -> body read fully, response released -> classify() -> retry decision

aiohttp's exceptions are translated into ours in exactly one place,
:func:`map_aiohttp_error`, with the original chained as ``__cause__``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Mapping
from typing import Any

import aiohttp
import attrs
import orjson
from yarl import URL

from soundcloud_async._auth import Auth
from soundcloud_async._backoff import RetryPolicy
from soundcloud_async._clock import Clock, Sleep
from soundcloud_async._errors import (
    ConnectError,
    ConnectionLost,
    InvalidArgument,
    RateLimited,
    RequestTimeout,
    SoundCloudError,
    TransportError,
    Unauthorized,
    classify,
    error_for_status,
    redact_url,
)
from soundcloud_async._events import (
    EventHooks,
    RateLimitWait,
    RequestSent,
    ResponseReceived,
    RetryScheduled,
    Stats,
)
from soundcloud_async._fastpath import REJECT
from soundcloud_async._ratelimit import RateLimiter, TokenBucket, Unlimited
from soundcloud_async._urls import check_secure_url

__all__ = ["MAX_REDIRECTS", "Response", "StreamResponse", "Transport", "map_aiohttp_error"]

#: Redirects followed by :meth:`Transport.stream` (media URLs hop to CDNs).
MAX_REDIRECTS = 10

logger = logging.getLogger("soundcloud_async")

#: Limiter waits shorter than this are clock noise, not waits worth reporting.
_NOTICEABLE_WAIT = 1e-3

#: Body factories let a retried upload send a fresh body (a stream is consumed once).
BodyFactory = Callable[[], Any]

#: A strict decoder (see :mod:`soundcloud_async._fastpath`): bytes -> value or REJECT.
FastDecoder = Callable[[bytes], Any]

_UNDECODED: Any = object()


class Response:
    """One successful exchange: status, headers, the final URL and the body.

    ``data`` is the decoded JSON body (``None`` for an empty one). When the request
    passed a fast decoder that took the body, ``value`` holds what it built (a model,
    a page) and ``data`` is decoded from ``body`` only if someone asks for it;
    otherwise ``value`` is :data:`~soundcloud_async._fastpath.REJECT`.
    """

    __slots__ = ("_data", "body", "headers", "status", "url", "value")

    def __init__(
        self,
        status: int,
        headers: Mapping[str, str],
        url: str,
        data: Any = _UNDECODED,
        *,
        body: bytes = b"",
        value: Any = REJECT,
    ) -> None:
        self.status = status
        self.headers = headers
        self.url = url
        self._data = data
        self.body = body
        self.value = value

    @property
    def data(self) -> Any:
        """The decoded JSON body."""
        data = self._data
        if data is _UNDECODED:
            # Only fast-decoded responses get here: their body is known-good JSON.
            data = self._data = orjson.loads(self.body)
        return data

    def __repr__(self) -> str:
        return f"Response(status={self.status!r}, url={self.url!r})"

    @property
    def location(self) -> str | None:
        """A redirect's target: the ``Location`` header, else the body's ``location``."""
        value = self.headers.get("Location")
        if value:
            return value
        if isinstance(self.data, Mapping):
            body_location = self.data.get("location")
            if isinstance(body_location, str) and body_location:
                return body_location
        return None


@attrs.frozen(slots=True)
class StreamResponse:
    """An open media response: read it with :meth:`iter_chunks` inside ``stream()``."""

    status: int
    headers: Mapping[str, str] = attrs.field(repr=False)
    url: str
    _response: aiohttp.ClientResponse = attrs.field(repr=False, alias="response")

    @property
    def content_length(self) -> int | None:
        """The announced body size, if any."""
        value = self.headers.get("Content-Length")
        return int(value) if value and value.isdigit() else None

    async def iter_chunks(self, chunk_size: int = 64 * 1024) -> AsyncGenerator[bytes, None]:
        """The body in chunks of at most ``chunk_size`` bytes."""
        try:
            async for chunk in self._response.content.iter_chunked(chunk_size):
                yield chunk
        except _MAPPED as exc:
            raise map_aiohttp_error(exc, method="GET", url=self.url) from exc


def map_aiohttp_error(exc: BaseException, *, method: str, url: str) -> SoundCloudError:
    """Translate an aiohttp (or socket) failure into our exception tree."""
    connection_timeout = getattr(aiohttp, "ConnectionTimeoutError", None)
    if connection_timeout is not None and isinstance(exc, connection_timeout):
        return ConnectError("timed out while connecting", method=method, url=url)
    if isinstance(exc, aiohttp.ClientConnectorError):
        return ConnectError(f"cannot connect: {exc.os_error or exc}", method=method, url=url)
    if isinstance(exc, (aiohttp.ServerTimeoutError, asyncio.TimeoutError)):
        return RequestTimeout("timed out waiting for the server", method=method, url=url)
    if isinstance(exc, aiohttp.ClientPayloadError):
        return ConnectionLost("the response body was cut off", method=method, url=url)
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return ConnectionLost("the server closed the connection", method=method, url=url)
    if isinstance(exc, (aiohttp.ClientOSError, ConnectionError)):
        return ConnectionLost(f"connection error: {exc}", method=method, url=url)
    if isinstance(exc, aiohttp.InvalidURL):
        return InvalidArgument(f"invalid URL: {redact_url(str(exc.url))}")
    if isinstance(exc, aiohttp.ClientResponseError):
        return TransportError(f"invalid HTTP response: {exc.message}", method=method, url=url)
    return TransportError(f"{type(exc).__name__}: {exc}", method=method, url=url)


_MAPPED = (aiohttp.ClientError, asyncio.TimeoutError, OSError)


def _query(params: Mapping[str, Any]) -> dict[str, str]:
    """Query values as the API spells them: ``None`` dropped, booleans lower-case."""
    query: dict[str, str] = {}
    for key, value in params.items():
        if value is None:
            continue
        if value is True or value is False:
            query[key] = "true" if value else "false"
        else:
            query[key] = str(value)
    return query


class Transport:
    """Sends requests for one client; see the module docstring for the path."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        base_url: str,
        auth: Auth | None,
        limiter: RateLimiter,
        retry: RetryPolicy,
        user_agent: str,
        timeout: aiohttp.ClientTimeout,
        clock: Clock,
        sleep: Sleep,
        wall_clock: Clock = time.time,
        hooks: EventHooks | None = None,
        stats: Stats | None = None,
        allow_insecure_http: bool = False,
    ) -> None:
        base = URL(base_url.rstrip("/"))
        if not base.is_absolute() or base.scheme not in ("http", "https"):
            raise InvalidArgument(
                f"base_url must be an absolute http(s) URL, not {redact_url(base_url)!r}"
            )
        # The Authorization header goes to this origin: plain http only on loopback.
        check_secure_url(str(base), name="base_url", allow_insecure_http=allow_insecure_http)
        self.session = session
        self.base_url = str(base)
        self.base = base
        self.auth = auth
        self.limiter = limiter
        self.retry = retry
        self.timeout = timeout
        self.clock = clock
        self.sleep = sleep
        self.wall_clock = wall_clock
        self.hooks = hooks or EventHooks()
        self.stats = stats or Stats()
        self._base_headers = {"User-Agent": user_agent, "Accept": "application/json"}
        # Our own limiters that ignore a success (exact types: a subclass may not) are
        # not awaited for one on every call.
        self._success_feedback = not (
            type(limiter) is Unlimited or (type(limiter) is TokenBucket and not limiter.adaptive)
        )

    def url_for(self, path_or_url: str) -> URL:
        """An absolute URL: a path is joined to the base URL, an absolute URL kept as sent."""
        if path_or_url.startswith(("http://", "https://")):
            return URL(path_or_url, encoded=True)
        if not path_or_url.startswith("/"):
            path_or_url = "/" + path_or_url
        return URL(self.base_url + path_or_url)

    def same_origin(self, url: URL) -> bool:
        """Whether ``url`` is on the API's own scheme, host and port."""
        base = self.base
        return url.host == base.host and url.port == base.port and url.scheme == base.scheme

    async def request(
        self,
        method: str,
        path_or_url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Any = None,
        body_factory: BodyFactory | None = None,
        headers: Mapping[str, str] | None = None,
        authenticate: bool = True,
        retry_429: bool = True,
        cost: float = 1.0,
        timeout: aiohttp.ClientTimeout | None = None,
        fast: FastDecoder | None = None,
    ) -> Response:
        """Send one request (with retries) and return the decoded response.

        Args:
            method: HTTP method.
            path_or_url: a path under the base URL, or an absolute URL (a ``next_href``).
            params: query parameters (``None`` values are dropped).
            json: a JSON body.
            data: a form or multipart body that can be sent more than once.
            body_factory: makes a fresh body per attempt (streams are consumed once).
            headers: extra headers.
            authenticate: send the ``Authorization`` header (only ever to the API origin).
            retry_429: ``False`` to surface a 429 at once (token exchange).
            cost: rate-limiter tokens this request takes.
            timeout: overrides the client's timeout (uploads need longer).
            fast: a strict decoder tried first on a 2xx body; what it builds is the
                response's ``value``. A body it rejects is classified as usual.

        Raises:
            APIError: an error status (after retries).
            TransportError: no usable response (after retries).
            DecodeError: a body that does not match its status.
        """
        method = method.upper()
        url = self.url_for(path_or_url)
        if params:
            query = _query(params)
            if query:  # all-None params (an unset option) leave the URL as it is
                url = url.update_query(query)
        url_text = str(url)
        # What events and logs show: secrets (consumer_key, secret_token...) masked.
        # Computed on first use, as most clients have no hooks.
        shown = ""
        # A path is joined to the base URL, so only an absolute URL needs the origin check.
        send_auth = (
            authenticate
            and self.auth is not None
            and (not path_or_url.startswith(("http://", "https://")) or self.same_origin(url))
        )
        hooks, stats, clock = self.hooks, self.stats, self.clock
        start = clock()
        attempt = 0
        reauthorized = False
        while True:
            attempt += 1
            request_headers = dict(self._base_headers)
            if headers:
                request_headers.update(headers)
            used_auth: str | None = None
            if send_auth:
                assert self.auth is not None
                used_auth = await self.auth.authorization()
                if used_auth:
                    request_headers["Authorization"] = used_auth
            waited_from = clock()
            await self.limiter.acquire(cost)
            waited = clock() - waited_from
            if waited >= _NOTICEABLE_WAIT:
                stats.waited += waited
                if hooks.rate_limit_wait:
                    shown = shown or redact_url(url_text)
                    hooks.emit(hooks.rate_limit_wait, RateLimitWait(method, shown, waited))
            if hooks.request_sent:
                shown = shown or redact_url(url_text)
                hooks.emit(hooks.request_sent, RequestSent(method, shown, attempt))
            if logger.isEnabledFor(logging.DEBUG):
                shown = shown or redact_url(url_text)
                logger.debug("%s %s (attempt %d)", method, shown, attempt)
            stats.requests += 1
            sent_at = clock()
            error: SoundCloudError
            try:
                body_data = body_factory() if body_factory is not None else data
                async with self.session.request(
                    method,
                    url,
                    json=json,
                    data=body_data,
                    headers=request_headers,
                    allow_redirects=False,
                    timeout=timeout or self.timeout,
                ) as resp:
                    body = await resp.read()
                    status = resp.status
                    response_headers = resp.headers
            except _MAPPED as exc:
                error = map_aiohttp_error(exc, method=method, url=url_text)
                error.__cause__ = exc
            else:
                stats.responses += 1
                if hooks.response_received:
                    shown = shown or redact_url(url_text)
                    hooks.emit(
                        hooks.response_received,
                        ResponseReceived(method, shown, status, attempt, clock() - sent_at),
                    )
                if fast is not None and 200 <= status < 300:
                    # A body the strict decoder takes is a JSON object that is not an
                    # error object: classify() would return it (see _fastpath).
                    value = fast(body)
                    if value is not REJECT:
                        if self._success_feedback:
                            await self.limiter.feedback(throttled=False)
                        self.retry.record_success()
                        return Response(status, response_headers, url_text, body=body, value=value)
                try:
                    decoded = classify(
                        status,
                        response_headers,
                        body,
                        method=method,
                        url=url_text,
                        now_wall=self.wall_clock(),
                    )
                except SoundCloudError as exc:
                    error = exc
                else:
                    if self._success_feedback:
                        await self.limiter.feedback(throttled=False)
                    self.retry.record_success()
                    return Response(status, response_headers, url_text, decoded)

            if (
                isinstance(error, Unauthorized)
                and send_auth
                and not reauthorized
                and self.auth is not None
                and await self.auth.on_unauthorized(used_auth)
            ):
                reauthorized = True
                attempt -= 1
                continue
            await self._back_off(
                error,
                method=method,
                url=url_text,
                attempt=attempt,
                start=start,
                retry_429=retry_429,
            )

    async def _back_off(
        self,
        error: SoundCloudError,
        *,
        method: str,
        url: str,
        attempt: int,
        start: float,
        retry_429: bool = True,
    ) -> None:
        """After a failed attempt: raise ``error``, or wait before the next attempt.

        The retry policy decides; a retried 429 first pauses the shared limiter, so the
        other tasks do not each find the 429.
        """
        stats = self.stats
        if isinstance(error, RateLimited):
            stats.rate_limited += 1
        delay = self.retry.decide(
            error,
            method=method,
            attempt=attempt,
            elapsed=self.clock() - start,
            retry_429=retry_429,
        )
        if delay is None:
            stats.errors += 1
            raise error
        if isinstance(error, RateLimited):
            await self.limiter.feedback(throttled=True, pause=delay)
        stats.retries += 1
        shown = redact_url(url)
        if self.hooks.retry_scheduled:
            self.hooks.emit(
                self.hooks.retry_scheduled, RetryScheduled(method, shown, attempt, delay, error)
            )
        logger.info(
            "retrying %s %s in %.2fs after attempt %d: %s",
            method,
            shown,
            delay,
            attempt,
            error,
        )
        if delay > 0:
            stats.waited += delay
            await self.sleep(delay)

    @contextlib.asynccontextmanager
    async def stream(
        self,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        timeout: aiohttp.ClientTimeout | None = None,
    ) -> AsyncIterator[StreamResponse]:
        """Open a media URL for streaming, following redirects by hand.

        The ``Authorization`` header goes only to the API's own origin: when a redirect
        leads to a CDN on another host, the next hop is sent without it. Errors before
        the body starts are retried like any GET (the limiter is asked once per
        attempt); the caller reads the body inside the ``async with`` block.
        """
        target = self.url_for(url)
        if params:
            target = target.update_query(_query(params))
        attempt = 0
        start = self.clock()
        handed_out = False
        while True:
            attempt += 1
            try:
                await self.limiter.acquire(1.0)
                async with contextlib.AsyncExitStack() as stack:
                    resp = await self._open_following_redirects(stack, target, timeout)
                    if resp.status >= 400:
                        body = await resp.read()
                        raise error_for_status(
                            resp.status,
                            resp.headers,
                            body,
                            method="GET",
                            url=str(resp.url),
                            now_wall=self.wall_clock(),
                        )
                    await self.limiter.feedback(throttled=False)
                    self.stats.responses += 1
                    handed_out = True
                    yield StreamResponse(resp.status, resp.headers, str(resp.url), resp)
                    return
            except SoundCloudError as error:
                if handed_out:
                    # Raised while the caller read the body: not ours to retry.
                    raise
                await self._back_off(
                    error, method="GET", url=str(target), attempt=attempt, start=start
                )

    async def fetch_media(
        self,
        url: str,
        *,
        max_bytes: int,
        timeout: aiohttp.ClientTimeout | None = None,
    ) -> Response:
        """One GET of a CDN resource (an HLS playlist or segment), read whole.

        Unlike :meth:`request` and :meth:`stream` this sends no ``Authorization``
        (not even to the API's origin: signed CDN URLs carry their own credentials),
        takes nothing from the rate limiter (CDN fetches are not API calls) and does not
        retry: the HLS downloader retries segments under its own bounds. Redirects are
        followed by hand, like :meth:`stream`.

        Raises:
            APIError: an error status (403 for an expired signed URL).
            TransportError: no usable response, or a body over ``max_bytes``.
        """
        target = URL(url, encoded=True)
        async with contextlib.AsyncExitStack() as stack:
            resp = await self._open_following_redirects(
                stack, target, timeout, authorize=False, count=False
            )
            final = str(resp.url)
            try:
                announced = resp.content_length
                if announced is not None and announced > max_bytes:
                    raise TransportError(
                        f"the response announces {announced} bytes, over {max_bytes}",
                        method="GET",
                        url=final,
                    )
                body = bytearray()
                async for chunk in resp.content.iter_any():
                    body += chunk
                    if len(body) > max_bytes:
                        raise TransportError(
                            f"the response is over {max_bytes} bytes", method="GET", url=final
                        )
            except _MAPPED as exc:
                raise map_aiohttp_error(exc, method="GET", url=final) from exc
            if resp.status >= 400:
                raise error_for_status(
                    resp.status,
                    resp.headers,
                    bytes(body),
                    method="GET",
                    url=final,
                    now_wall=self.wall_clock(),
                )
            return Response(resp.status, resp.headers, final, bytes(body))

    async def _open_following_redirects(
        self,
        stack: contextlib.AsyncExitStack,
        target: URL,
        timeout: aiohttp.ClientTimeout | None,
        *,
        authorize: bool = True,
        count: bool = True,
    ) -> aiohttp.ClientResponse:
        headers = dict(self._base_headers)
        headers["Accept"] = "*/*"
        for _ in range(MAX_REDIRECTS + 1):
            hop_headers = dict(headers)
            if authorize and self.auth is not None and self.same_origin(target):
                value = await self.auth.authorization()
                if value:
                    hop_headers["Authorization"] = value
            if count:
                self.stats.requests += 1
            try:
                resp = await stack.enter_async_context(
                    self.session.get(
                        target,
                        headers=hop_headers,
                        allow_redirects=False,
                        timeout=timeout or self.timeout,
                    )
                )
            except _MAPPED as exc:
                raise map_aiohttp_error(exc, method="GET", url=str(target)) from exc
            location = resp.headers.get("Location")
            if resp.status in (301, 302, 303, 307, 308) and location:
                target = target.join(URL(location, encoded=True))
                if target.scheme not in ("http", "https"):
                    raise InvalidArgument(f"redirect to a non-http URL: {redact_url(str(target))}")
                continue
            return resp
        raise TransportError(f"more than {MAX_REDIRECTS} redirects", method="GET", url=str(target))
