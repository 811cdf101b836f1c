"""The :class:`SoundCloud` client: lifecycle, configuration and resource groups."""

from __future__ import annotations

import enum
import time
from types import TracebackType
from typing import Any, Literal, overload

import aiohttp
import orjson
from yarl import URL

from soundcloud_async._auth import Auth, StaticToken, attach_auth, detach_auth, notify_sign_out
from soundcloud_async._backoff import RetryPolicy
from soundcloud_async._clock import Clock, Sleep, monotonic, real_sleep
from soundcloud_async._errors import ClientStateError, DecodeError, InvalidArgument, redact_url
from soundcloud_async._events import EventHooks, Stats
from soundcloud_async._http import Transport
from soundcloud_async._pagination import ForeignPolicy
from soundcloud_async._ratelimit import RateLimiter, TokenBucket
from soundcloud_async._resources._base import structure_object
from soundcloud_async._resources._registry import operation
from soundcloud_async._resources.legacy import Legacy
from soundcloud_async._resources.likes import Likes
from soundcloud_async._resources.me import MeResource
from soundcloud_async._resources.playlists import Playlists
from soundcloud_async._resources.reposts import Reposts
from soundcloud_async._resources.tracks import Tracks
from soundcloud_async._resources.users import Users
from soundcloud_async._urls import check_secure_url
from soundcloud_async._urn import URN, to_urn
from soundcloud_async._version import __version__
from soundcloud_async.models import Playlist, Track, User

__all__ = ["DEFAULT_BASE_URL", "SoundCloud"]

DEFAULT_BASE_URL = "https://api.soundcloud.com"
#: A polite default: SoundCloud publishes no numbers; the adaptive bucket learns lower.
DEFAULT_RATE = 25.0
DEFAULT_USER_AGENT = f"soundcloud-async/{__version__} (+aiohttp)"

_RESOLVE_HOSTS = ("soundcloud.com", "on.soundcloud.com", "soundcloud.app.goo.gl")
_KIND_MODELS: dict[str, type[Track] | type[User] | type[Playlist]] = {
    "tracks": Track,
    "users": User,
    "playlists": Playlist,
}
_SINGULAR_KINDS = {"track": "tracks", "user": "users", "playlist": "playlists"}


class _State(enum.Enum):
    UNOPENED = "unopened"
    OPEN = "open"
    CLOSED = "closed"


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


class SoundCloud:
    """An asyncio client for the SoundCloud API.

    Use it as an async context manager; it owns an aiohttp session (or borrows
    yours) for its lifetime::

        async with SoundCloud(access_token) as sc:
            track = await sc.tracks.get("soundcloud:tracks:123")
            async for follower in sc.users.iter_followers(track.user.urn):
                ...

    Args:
        access_token: a ready OAuth access token (sent as ``Authorization: OAuth …``).
        auth: an :class:`Auth` object instead of ``access_token`` (OAuth flows).
        base_url: the API's base URL (a :class:`~soundcloud_async.testing.FakeSoundCloud`'s
            ``base_url`` in tests).
        session: an aiohttp session to borrow; the client never closes a borrowed one.
        rate_limiter: the request budget; share one instance between clients to share
            the budget. Default: an adaptive :class:`TokenBucket` at 25 requests/s.
        retry: the :class:`RetryPolicy`. Default: ``RetryPolicy()``.
        user_agent: the ``User-Agent`` header.
        timeout: seconds for a whole attempt (or an ``aiohttp.ClientTimeout``).
        hooks: :class:`EventHooks` called on the request path.
        max_empty_pages: empty pages in a row that a paginator follows.
        foreign_next_href: ``"rewrite"`` or ``"raise"`` for a next_href on another host.
        connection_limit: the pool size of a session the client creates.
        clock: monotonic seconds (injected in tests).
        sleep: waits seconds (injected in tests).
        wall_clock: seconds since the epoch, for ``Retry-After`` dates and
            ``reset_time`` (injected in tests).
        allow_insecure_http: accept a plain-``http`` ``base_url`` on a host that is not
            loopback. Off by default: the token (and a legacy ``consumer_key``) would
            travel in clear. ``http://127.0.0.1:…`` and ``http://localhost:…`` (a local
            fake server) need no opt-in.

    Raises:
        InvalidArgument: a bad option, or a plain-``http`` ``base_url`` to another
            machine without ``allow_insecure_http=True``.
    """

    def __init__(
        self,
        access_token: str | None = None,
        *,
        auth: Auth | None = None,
        base_url: str = DEFAULT_BASE_URL,
        session: aiohttp.ClientSession | None = None,
        rate_limiter: RateLimiter | None = None,
        retry: RetryPolicy | None = None,
        user_agent: str = DEFAULT_USER_AGENT,
        timeout: float | aiohttp.ClientTimeout = 30.0,
        hooks: EventHooks | None = None,
        max_empty_pages: int = 20,
        foreign_next_href: ForeignPolicy = "rewrite",
        connection_limit: int = 100,
        clock: Clock = monotonic,
        sleep: Sleep = real_sleep,
        wall_clock: Clock = time.time,
        allow_insecure_http: bool = False,
    ) -> None:
        if access_token is not None and auth is not None:
            raise InvalidArgument("pass access_token or auth, not both")
        if access_token is not None:
            auth = StaticToken(access_token)
        base = URL(base_url.rstrip("/"))
        if not base.is_absolute() or base.scheme not in ("http", "https"):
            raise InvalidArgument(
                f"base_url must be an absolute http(s) URL, not {redact_url(base_url)!r}"
            )
        check_secure_url(str(base), name="base_url", allow_insecure_http=allow_insecure_http)
        if isinstance(timeout, (int, float)):
            if timeout <= 0:
                raise InvalidArgument("timeout must be positive")
            timeout = aiohttp.ClientTimeout(total=float(timeout), connect=min(10.0, timeout))
        if foreign_next_href not in ("rewrite", "raise"):
            raise InvalidArgument("foreign_next_href must be 'rewrite' or 'raise'")
        if max_empty_pages < 0:
            raise InvalidArgument("max_empty_pages must not be negative")
        self.base_url = str(base)
        self.allow_insecure_http = bool(allow_insecure_http)
        self.auth = auth
        self.rate_limiter: RateLimiter = rate_limiter or TokenBucket(
            DEFAULT_RATE, adaptive=True, clock=clock, sleep=sleep
        )
        self.retry = retry or RetryPolicy()
        self.hooks = hooks or EventHooks()
        self.stats = Stats()
        self.user_agent = user_agent
        self.timeout = timeout
        self.max_empty_pages = max_empty_pages
        self.foreign_next_href: ForeignPolicy = foreign_next_href
        self._connection_limit = connection_limit
        self._clock = clock
        self._sleep = sleep
        self._wall_clock = wall_clock
        self._borrowed_session = session
        self._session: aiohttp.ClientSession | None = None
        self._transport_obj: Transport | None = None
        self._state = _State.UNOPENED

        self.tracks = Tracks(self)
        self.playlists = Playlists(self)
        self.users = Users(self)
        self.me = MeResource(self)
        self.likes = Likes(self)
        self.reposts = Reposts(self)
        self.legacy = Legacy(self)

    def __repr__(self) -> str:
        return f"<SoundCloud {self.base_url} {self._state.value}>"

    # -- lifecycle ---------------------------------------------------------------------

    async def __aenter__(self) -> SoundCloud:
        if self._state is _State.OPEN:
            raise ClientStateError("this SoundCloud client is already open")
        if self._state is _State.CLOSED:
            raise ClientStateError(
                "a closed SoundCloud client cannot be reopened; create a new one"
            )
        if self._borrowed_session is not None:
            if self._borrowed_session.closed:
                raise ClientStateError("the aiohttp session passed to SoundCloud is closed")
            session = self._borrowed_session
        else:
            session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._connection_limit),
                json_serialize=_json_dumps,
                timeout=self.timeout,
            )
        self._session = session
        self._transport_obj = Transport(
            session,
            base_url=self.base_url,
            auth=self.auth,
            limiter=self.rate_limiter,
            retry=self.retry,
            user_agent=self.user_agent,
            timeout=self.timeout,
            clock=self._clock,
            sleep=self._sleep,
            wall_clock=self._wall_clock,
            hooks=self.hooks,
            stats=self.stats,
            allow_insecure_http=self.allow_insecure_http,
        )
        attach_auth(self.auth, self._transport_obj)
        self._state = _State.OPEN
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the client (and its session, if the client created it). Idempotent."""
        if self._state is _State.CLOSED:
            return
        self._state = _State.CLOSED
        transport = self._transport_obj
        session, self._session, self._transport_obj = self._session, None, None
        if transport is not None:
            detach_auth(self.auth, transport)
        if session is not None and session is not self._borrowed_session:
            await session.close()

    @property
    def closed(self) -> bool:
        """Whether :meth:`aclose` has run."""
        return self._state is _State.CLOSED

    @property
    def _transport(self) -> Transport:
        transport = self._transport_obj
        if transport is None:
            if self._state is _State.CLOSED:
                raise ClientStateError("this SoundCloud client is closed")
            raise ClientStateError(
                "this SoundCloud client is not open: use `async with SoundCloud(...) as sc:`"
            )
        return transport

    def with_auth(self, auth: Auth | str) -> SoundCloud:
        """A client acting for someone else (one of your users) on this client's resources.

        The new client borrows this one's connection pool and shares its rate limiter
        (one request budget), retry policy (one retry budget), hooks and stats; only its
        :class:`Auth` differs. It is cheap: make one per web request, and keep one
        long-lived ``RefreshingToken`` per user::

            async with sc.with_auth(user_auth) as user_sc:
                me = await user_sc.me.get()

        Closing it leaves the pool open; this client must stay open while it is used.

        Args:
            auth: an :class:`Auth` (e.g. a ``RefreshingToken``) or an access token.

        Raises:
            ClientStateError: this client is not open.
        """
        session = self._session
        if self._state is not _State.OPEN or session is None:
            raise ClientStateError(
                "with_auth() needs an open client: call it inside `async with SoundCloud(...)`"
            )
        view = SoundCloud(
            auth=StaticToken(auth) if isinstance(auth, str) else auth,
            base_url=self.base_url,
            session=session,
            rate_limiter=self.rate_limiter,
            retry=self.retry,
            user_agent=self.user_agent,
            timeout=self.timeout,
            hooks=self.hooks,
            max_empty_pages=self.max_empty_pages,
            foreign_next_href=self.foreign_next_href,
            clock=self._clock,
            sleep=self._sleep,
            wall_clock=self._wall_clock,
            allow_insecure_http=self.allow_insecure_http,
        )
        view.stats = self.stats
        return view

    # -- top-level operations ----------------------------------------------------------

    @operation("POST", "/sign-out")
    async def sign_out(self) -> None:
        """``POST /sign-out``: end the session of the current access token.

        The access token (and its refresh token) stop working; the client's auth is
        told, so a ``RefreshingToken`` does not try to refresh its way back in: the
        next request raises :class:`Unauthorized`.
        """
        await self._transport.request("POST", "/sign-out")
        notify_sign_out(self.auth)

    @overload
    async def resolve(self, url: str, *, urn_only: Literal[True]) -> URN: ...

    @overload
    async def resolve(
        self, url: str, *, urn_only: Literal[False] = False
    ) -> Track | User | Playlist: ...

    @operation("GET", "/resolve")
    async def resolve(self, url: str, *, urn_only: bool = False) -> Track | User | Playlist | URN:
        """``GET /resolve``: the track, user or playlist behind a soundcloud.com URL.

        Accepts ``https://soundcloud.com/…`` permalinks and ``on.soundcloud.com``
        short links. SoundCloud answers 302; the target is read from the
        ``Location`` header, falling back to the body's ``location``.

        Args:
            url: the URL a user pasted.
            urn_only: return just the target's :class:`URN` (one request, not two).

        Raises:
            InvalidArgument: ``url`` is not a SoundCloud URL.
            NotFound: SoundCloud knows no such URL.
        """
        target = _check_resolve_url(url)
        transport = self._transport
        response = await transport.request("GET", "/resolve", params={"url": target})
        if response.status == 200 and isinstance(response.data, dict):
            # A proxy that follows redirects hands us the object itself.
            kind = _SINGULAR_KINDS.get(str(response.data.get("kind")))
            if kind is not None:
                if urn_only:
                    ident = response.data.get("urn") or response.data.get("id")
                    if isinstance(ident, (str, int)):
                        return to_urn(ident, kind)
                return _structure_kind(kind, response.data, response.url, response.status)
        location = response.location
        if not location:
            raise DecodeError(
                "resolve answered without a Location header or a location in the body",
                method="GET",
                url=response.url,
                status=response.status,
            )
        kind, urn, query = _parse_location(location)
        if urn_only:
            return urn
        secret = query.get("secret_token")
        params = {"secret_token": secret} if secret else None
        found = await transport.request("GET", f"/{kind}/{urn}", params=params)
        return _structure_kind(kind, found.data, found.url, found.status)


def _check_resolve_url(url: object) -> str:
    if not isinstance(url, str) or not url.strip():
        raise InvalidArgument(f"expected a soundcloud.com URL, not {url!r:.80}")
    text = url.strip()
    if "://" not in text:
        text = "https://" + text
    # A private share link's s-token is a secret: messages show the URL without it.
    shown = redact_url(text)
    try:
        parsed = URL(text)
    except ValueError as exc:
        raise InvalidArgument(f"not a URL: {shown!r:.80}") from exc
    host = (parsed.host or "").lower()
    if parsed.scheme not in ("http", "https") or not any(
        host == h or host.endswith("." + h) for h in _RESOLVE_HOSTS
    ):
        raise InvalidArgument(f"not a soundcloud.com or on.soundcloud.com URL: {shown!r:.80}")
    return text


def _parse_location(location: str) -> tuple[str, URN, dict[str, str]]:
    try:
        parsed = URL(location)
    except ValueError as exc:
        raise InvalidArgument(
            f"resolve answered an unparsable location {redact_url(location)!r:.80}"
        ) from exc
    segments = [s for s in parsed.path.split("/") if s]
    if len(segments) < 2 or segments[-2] not in _KIND_MODELS:
        raise InvalidArgument(
            f"resolve answered a location that is not a track, user or playlist: "
            f"{parsed.path!r:.80}"
        )
    kind = segments[-2]
    return kind, to_urn(segments[-1], kind), dict(parsed.query)


def _structure_kind(
    kind: str, data: dict[str, Any], url: str, status: int
) -> Track | User | Playlist:
    return structure_object(data, _KIND_MODELS[kind], url=url, status=status)
