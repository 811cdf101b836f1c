"""Authentication: the seam the transport asks before each request, and OAuth 2.1.

The transport calls :meth:`Auth.authorization` for the ``Authorization`` header value
before every attempt, and :meth:`Auth.on_unauthorized` after a 401, retrying the
request once when it answers ``True`` (a fresh token is available).

The OAuth 2.1 pieces (auth server ``https://secure.soundcloud.com``, configurable):

* :class:`ClientCredentials`: an app token, exchanged once and reused until shortly
  before it expires; one exchange in flight at a time; a 429 from the token endpoint
  surfaces as :class:`~soundcloud_async.RateLimited` and holds further exchanges off.
* :class:`AuthorizationCodeFlow`: the authorize URL with ``state`` and an S256 PKCE
  challenge, then the state check and the code exchange.
* :class:`RefreshingToken`: a user's token that refreshes itself before expiry and
  after a 401. Refresh tokens are single-use and rotate: one refresh in flight across
  all tasks, and the rotated token is handed to ``on_refresh`` and the
  :class:`TokenStore` before anything can use it again.

Every token request goes through the client's :class:`~soundcloud_async._http.Transport`
(the one way out to the network) without the ``Authorization`` header of the API and
with ``retry_429=False``. A :class:`~soundcloud_async.SoundCloud` client attaches its
transport to the auth object when it opens (:func:`attach_auth`).

Secrets (access and refresh tokens, client secrets, codes, verifiers) never appear in
a repr, a log line or an exception message; token response bodies are never logged.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import inspect
import logging
import math
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar, runtime_checkable
from urllib.parse import urlencode, urlsplit, urlunsplit

import attrs
import orjson

from soundcloud_async._clock import Clock, monotonic
from soundcloud_async._errors import (
    APIError,
    AuthError,
    BadRequest,
    ClientStateError,
    Forbidden,
    InvalidArgument,
    RateLimited,
    SoundCloudError,
    Unauthorized,
    redact_url,
)
from soundcloud_async._token_stores import (
    JSONFileTokenStore,
    LockingTokenStore,
    MemoryTokenStore,
    TokenStore,
    token_from_json,
)
from soundcloud_async._urls import check_secure_url
from soundcloud_async.models.auth import OAuthToken

if TYPE_CHECKING:
    from soundcloud_async._client import SoundCloud
    from soundcloud_async._http import Transport

__all__ = [
    "DEFAULT_AUTHORIZE_URL",
    "DEFAULT_TOKEN_URL",
    "Auth",
    "AuthorizationCodeFlow",
    "AuthorizationRequest",
    "ClientCredentials",
    "JSONFileTokenStore",
    "MemoryTokenStore",
    "RefreshingToken",
    "StaticToken",
    "TokenStore",
    "attach_auth",
    "detach_auth",
    "notify_sign_out",
]

DEFAULT_TOKEN_URL = "https://secure.soundcloud.com/oauth/token"
DEFAULT_AUTHORIZE_URL = "https://secure.soundcloud.com/authorize"
#: Seconds before ``expires_in`` runs out at which a token is replaced.
DEFAULT_REFRESH_MARGIN = 60.0
#: How long token exchanges are held off after a 429 that named no reset time.
DEFAULT_EXCHANGE_COOLDOWN = 60.0

logger = logging.getLogger("soundcloud_async")

T = TypeVar("T")
OnRefresh = Callable[[OAuthToken], "Awaitable[None] | None"]


@runtime_checkable
class Auth(Protocol):
    """What the transport needs from an authentication scheme."""

    async def authorization(self) -> str | None:
        """The ``Authorization`` header value for the next request, or ``None`` for none."""
        ...

    async def on_unauthorized(self, used: str | None) -> bool:
        """A request sent with ``used`` got a 401: return ``True`` if a retry may succeed."""
        ...


class StaticToken:
    """A fixed OAuth access token (``Authorization: OAuth <token>``); never refreshed."""

    __slots__ = ("_header",)

    def __init__(self, access_token: str) -> None:
        if not isinstance(access_token, str) or not access_token.strip():
            raise ValueError("access_token must be a non-empty string")
        if any(c in access_token for c in "\r\n"):
            raise ValueError("access_token must not contain line breaks")
        self._header = f"OAuth {access_token.strip()}"

    async def authorization(self) -> str | None:
        return self._header

    async def on_unauthorized(self, used: str | None) -> bool:
        return False

    def __repr__(self) -> str:
        return "StaticToken(access_token=***)"


# -- the token endpoint -------------------------------------------------------------------


def _basic(client_id: str, client_secret: str) -> str:
    raw = f"{client_id}:{client_secret}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


def _check_token_url(
    url: str, name: str = "token_url", *, allow_insecure_http: bool = False
) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidArgument(f"{name} must be an absolute http(s) URL, not {redact_url(url)!r}")
    check_secure_url(url, name=name, allow_insecure_http=allow_insecure_http)
    return url


def _oauth_error(exc: APIError) -> tuple[str, str]:
    """The OAuth ``error`` and ``error_description`` of a rejection (short, no secrets)."""
    error, description = "", ""
    try:
        data = orjson.loads(exc.body) if exc.body else None
    except orjson.JSONDecodeError:
        data = None
    if isinstance(data, dict):
        if isinstance(data.get("error"), str):
            error = data["error"]
        if isinstance(data.get("error_description"), str):
            description = data["error_description"]
    if not error:
        error = exc.code or exc.message or str(exc.status)
    return error[:60], description[:200]


def _rejection(what: str, exc: APIError) -> str:
    error, description = _oauth_error(exc)
    detail = f"{error}: {description}" if description else error
    return f"the authorization server rejected the {what} ({exc.status} {detail})"


_REJECTED = (BadRequest, Unauthorized, Forbidden)


async def _request_token(
    transport: Transport,
    token_url: str,
    form: dict[str, str],
    *,
    client_id: str,
    client_secret: str | None,
    basic: bool,
) -> OAuthToken:
    """POST ``form`` to the token endpoint through the transport; the parsed token.

    Client authentication: ``Authorization: Basic`` when ``basic`` (client credentials,
    as SoundCloud documents it), else ``client_id``/``client_secret`` form fields.
    Raises the transport's errors as they are (a 429 at once: ``retry_429=False``).
    """
    headers = {"Accept": "application/json; charset=utf-8"}
    body = dict(form)
    if basic and client_secret is not None:
        headers["Authorization"] = _basic(client_id, client_secret)
    else:
        body["client_id"] = client_id
        if client_secret is not None:
            body["client_secret"] = client_secret
    response = await transport.request(
        "POST", token_url, data=body, headers=headers, authenticate=False, retry_429=False
    )
    data = response.data
    token = token_from_json(data) if isinstance(data, dict) else None
    if token is None:
        raise AuthError(
            f"the token endpoint answered {response.status} without an access_token "
            f"({redact_url(response.url)})"
        )
    return token


# -- single flight --------------------------------------------------------------------------


def _retrieve(task: asyncio.Task[Any]) -> None:
    # A flight whose callers were all cancelled still finishes; mark its error seen.
    if not task.cancelled():
        task.exception()


class _SingleFlight(Generic[T]):
    """At most one run of an operation at a time; concurrent callers share its outcome.

    The run is a task of its own, so a caller that is cancelled does not cancel it for
    the others, and a refresh that reached the server always gets to store its result.
    """

    __slots__ = ("_task",)

    def __init__(self) -> None:
        self._task: asyncio.Task[T] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def run(self, factory: Callable[[], Awaitable[T]]) -> T:
        task = self._task
        if task is None or task.done():

            async def flight() -> T:
                return await factory()

            task = asyncio.get_running_loop().create_task(flight())
            task.add_done_callback(_retrieve)
            self._task = task
        return await asyncio.shield(task)


@contextlib.asynccontextmanager
async def _store_lock(store: TokenStore | None) -> AsyncIterator[bool]:
    """Hold ``store``'s refresh lock if it has one (a :class:`LockingTokenStore`).

    Yields whether the lock is held. A lock not had within the store's timeout (its
    holder hangs) is given up with a warning: the refresh goes ahead without it, and
    a rejection still falls back to the token the store holds.
    """
    if store is None or not isinstance(store, LockingTokenStore):
        yield False
        return
    async with contextlib.AsyncExitStack() as stack:
        try:
            await stack.enter_async_context(store.lock())
        except TimeoutError:
            logger.warning(
                "waited too long for the token store's refresh lock; going ahead without it"
            )
            yield False
            return
        yield True


def _same_token(a: OAuthToken, b: OAuthToken) -> bool:
    return secrets.compare_digest(
        (a.access_token or "").encode(), (b.access_token or "").encode()
    ) and secrets.compare_digest((a.refresh_token or "").encode(), (b.refresh_token or "").encode())


@attrs.frozen(slots=True, repr=False)
class _Held:
    """A token in hand: its header and when to replace it (by the injected clock)."""

    token: OAuthToken
    header: str
    refresh_at: float
    expires_at: float

    @classmethod
    def of(cls, token: OAuthToken, obtained_at: float, margin: float) -> _Held:
        access = token.access_token or ""
        if any(c in access for c in "\r\n"):
            raise AuthError("the token endpoint answered an access_token with a line break")
        if token.expires_in is None:
            return cls(token, f"OAuth {access}", math.inf, math.inf)
        lifetime = float(token.expires_in)
        # A short-lived token is replaced halfway, never on every request.
        margin = min(margin, lifetime / 2)
        return cls(
            token, f"OAuth {access}", obtained_at + lifetime - margin, obtained_at + lifetime
        )

    def __repr__(self) -> str:
        return f"_Held(refresh_at={self.refresh_at!r}, expires_at={self.expires_at!r})"


class _TransportHolder:
    """The transports of the open clients using this auth object (the newest is used)."""

    __slots__ = ("_transports",)

    def __init__(self) -> None:
        self._transports: list[Transport] = []

    def attach(self, transport: Transport) -> None:
        """Use ``transport`` for token requests (called by a client as it opens)."""
        self._transports.append(transport)

    def detach(self, transport: Transport) -> None:
        """Stop using ``transport`` (called by a client as it closes)."""
        with contextlib.suppress(ValueError):
            self._transports.remove(transport)

    def _transport(self) -> Transport:
        if not self._transports:
            raise ClientStateError(
                f"{type(self).__name__} needs an open SoundCloud client to reach the token "
                "endpoint: pass it as SoundCloud(auth=...) and use the client inside "
                "`async with`"
            )
        return self._transports[-1]


def attach_auth(auth: object, transport: Transport) -> None:
    """Give ``auth`` the transport of a client that just opened (if it needs one)."""
    if isinstance(auth, _TransportHolder):
        auth.attach(transport)


def detach_auth(auth: object, transport: Transport) -> None:
    """Take back the transport of a client that is closing."""
    if isinstance(auth, _TransportHolder):
        auth.detach(transport)


def notify_sign_out(auth: object) -> None:
    """Tell ``auth`` that ``POST /sign-out`` ended its session."""
    if isinstance(auth, (ClientCredentials, RefreshingToken)):
        auth._signed_out()


# -- client credentials ---------------------------------------------------------------------


class ClientCredentials(_TransportHolder):
    """The app's own token (client credentials grant): public resources only.

    The token is exchanged once (``POST /oauth/token``, ``grant_type=client_credentials``,
    ``Authorization: Basic base64(id:secret)``) and reused until ``refresh_margin``
    seconds before ``expires_in`` runs out. SoundCloud allows few exchanges (50 per 12 h
    per app, 30 per hour per IP), so:

    * one exchange is in flight at a time; concurrent requests await the same one;
    * a 429 from the token endpoint raises :class:`~soundcloud_async.RateLimited` at
      once and holds further exchanges off until its reset time (60 s if it named none);
      while the old token has not expired yet, it keeps being used;
    * with a ``store``, a token saved by an earlier run is reused after a restart.

    Args:
        client_id: the app's client id.
        client_secret: the app's client secret.
        token_url: the token endpoint.
        store: where to persist the token between runs.
        refresh_margin: seconds before expiry at which the token is replaced.
        clock: monotonic seconds (injected in tests).
        allow_insecure_http: accept a plain-``http`` ``token_url`` on a host that is
            not loopback (the client secret would travel in clear).

    Raises:
        InvalidArgument: a missing credential, or a plain-``http`` ``token_url`` to
            another machine without ``allow_insecure_http=True``.
    """

    __slots__ = (
        "_blocked",
        "_client_id",
        "_client_secret",
        "_clock",
        "_flight",
        "_held",
        "_loaded",
        "_margin",
        "exchanges",
        "store",
        "token_url",
    )

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        token_url: str = DEFAULT_TOKEN_URL,
        store: TokenStore | None = None,
        refresh_margin: float = DEFAULT_REFRESH_MARGIN,
        clock: Clock = monotonic,
        allow_insecure_http: bool = False,
    ) -> None:
        super().__init__()
        if not client_id or not client_secret:
            raise InvalidArgument("ClientCredentials needs a client_id and a client_secret")
        if refresh_margin < 0:
            raise InvalidArgument("refresh_margin must not be negative")
        self._client_id = client_id
        self._client_secret = client_secret
        self.token_url = _check_token_url(token_url, allow_insecure_http=allow_insecure_http)
        self.store = store
        self._margin = float(refresh_margin)
        self._clock = clock
        self._held: _Held | None = None
        self._loaded = store is None
        self._blocked: tuple[float, RateLimited] | None = None
        self._flight: _SingleFlight[_Held] = _SingleFlight()
        #: How many exchanges this object sent to the token endpoint.
        self.exchanges = 0

    def __repr__(self) -> str:
        return (
            f"ClientCredentials(client_id={self._client_id!r}, client_secret=***, "
            f"token_url={redact_url(self.token_url)!r}, "
            f"token={'held' if self._held else 'none'})"
        )

    @property
    def token(self) -> OAuthToken | None:
        """The token in hand, if any."""
        return self._held.token if self._held else None

    async def authorization(self) -> str | None:
        held = self._held
        now = self._clock()
        if held is not None and now < held.refresh_at:
            return held.header
        try:
            return (await self._flight.run(self._obtain)).header
        except SoundCloudError:
            if held is not None and self._clock() < held.expires_at:
                logger.warning(
                    "could not replace the client-credentials token yet; "
                    "using the current one until it expires"
                )
                return held.header
            raise

    async def on_unauthorized(self, used: str | None) -> bool:
        held = self._held
        if held is not None and used is not None and held.header != used:
            return True  # already replaced by another task: retry with the new one
        # The token the server refused is dropped, so every caller waits for a new one,
        # and a store still holding it is not believed.
        self._held = None
        refused = held.token if held is not None else None
        await self._flight.run(lambda: self._obtain(refused))
        return True

    def _signed_out(self) -> None:
        self._held = None

    async def _obtain(self, refused: OAuthToken | None = None) -> _Held:
        store = self.store
        if isinstance(store, LockingTokenStore):
            # One exchange for all the processes sharing the store: under its lock,
            # a token another process obtained meanwhile is taken instead.
            async with _store_lock(store):
                self._loaded = True
                held = await self._stored(store, refused)
                if held is not None:
                    return held
                return await self._exchange()
        if not self._loaded:
            self._loaded = True
            assert store is not None
            held = await self._stored(store, refused)
            if held is not None:
                return held
        return await self._exchange()

    async def _stored(self, store: TokenStore, refused: OAuthToken | None) -> _Held | None:
        """The store's token if it is usable for a while yet (and not the refused one)."""
        stored = await store.load()
        if stored is None or not stored.access_token:
            return None
        if refused is not None and _same_token(stored, refused):
            return None
        held = _Held.of(stored, self._clock(), self._margin)
        if self._clock() >= held.refresh_at:
            return None
        self._held = held
        return held

    async def _exchange(self) -> _Held:
        blocked = self._blocked
        if blocked is not None:
            until, error = blocked
            if self._clock() < until:
                raise error
            self._blocked = None
        transport = self._transport()
        sent_at = self._clock()
        self.exchanges += 1
        try:
            token = await _request_token(
                transport,
                self.token_url,
                {"grant_type": "client_credentials"},
                client_id=self._client_id,
                client_secret=self._client_secret,
                basic=True,
            )
        except RateLimited as exc:
            hold = exc.retry_after if exc.retry_after is not None else DEFAULT_EXCHANGE_COOLDOWN
            self._blocked = (self._clock() + max(hold, 1.0), exc)
            logger.warning(
                "the token endpoint answered 429; no new client-credentials exchange for %.0fs",
                hold,
            )
            raise
        except _REJECTED as exc:
            raise AuthError(_rejection("client credentials", exc)) from exc
        held = _Held.of(token, sent_at, self._margin)
        self._held = held
        logger.debug("obtained a client-credentials token (expires_in=%s)", token.expires_in)
        if self.store is not None:
            await self.store.save(token)
        return held


# -- a user's token, refreshed with rotation --------------------------------------------------


class RefreshingToken(_TransportHolder):
    """A user's token that refreshes itself (``grant_type=refresh_token``).

    It refreshes ``refresh_margin`` seconds before ``expires_in`` runs out and after a
    401 (the request is then retried once). SoundCloud's refresh tokens are single-use
    and rotate, so:

    * one refresh is in flight at a time across all tasks; concurrent expiries and
      401s await the same refresh;
    * each new token (with its new refresh token) is handed to ``on_refresh`` and saved
      to ``store`` *before* the refresh completes, so it is persisted before it can be
      used again; if either raises, the error reaches the callers, the token stays in
      memory;
    * a rejected refresh (``invalid_grant``: used already, revoked, expired) raises
      :class:`~soundcloud_async.AuthError` and the object stays dead: the user must log
      in again. No retry loop. With a ``store``, a token another process rotated in
      the meantime is picked up from it instead.
    * with a :class:`~soundcloud_async.LockingTokenStore` (``JSONFileTokenStore``,
      ``RedisTokenStore``), refreshes are coordinated across processes: under the
      store's lock, a token another process has rotated in is adopted instead of
      refreshing again, so all the workers of a web backend make one refresh per expiry.

    Keep **one** object per user per process (a dict in a web backend); objects that
    share the same refresh token must share a locking store.

    Args:
        token: the token response (:class:`OAuthToken`), or the access token as a string;
            ``None`` to load it from ``store``.
        refresh_token: the refresh token, when ``token`` is a string.
        client_id: the app's client id.
        client_secret: the app's client secret (``None`` for a public client).
        token_url: the token endpoint.
        redirect_uri: the app's registered callback URL, sent with every refresh (the
            spec's ``OAuthToken`` schema lists it for ``grant_type=refresh_token``);
            :meth:`AuthorizationCodeFlow.refreshing` passes the flow's.
        expires_in: seconds the access token has left, when ``token`` is a string.
        store: a :class:`TokenStore` that every new token is saved to.
        on_refresh: called (or awaited) with every new token.
        refresh_margin: seconds before expiry at which the token is refreshed.
        clock: monotonic seconds (injected in tests).
        allow_insecure_http: accept a plain-``http`` ``token_url`` on a host that is
            not loopback (refresh tokens would travel in clear).
    """

    __slots__ = (
        "_client_id",
        "_client_secret",
        "_clock",
        "_dead",
        "_flight",
        "_held",
        "_margin",
        "_signed_out_flag",
        "on_refresh",
        "redirect_uri",
        "refreshes",
        "store",
        "token_url",
    )

    def __init__(
        self,
        token: OAuthToken | str | None = None,
        refresh_token: str | None = None,
        *,
        client_id: str,
        client_secret: str | None = None,
        token_url: str = DEFAULT_TOKEN_URL,
        redirect_uri: str | None = None,
        expires_in: float | None = None,
        store: TokenStore | None = None,
        on_refresh: OnRefresh | None = None,
        refresh_margin: float = DEFAULT_REFRESH_MARGIN,
        clock: Clock = monotonic,
        allow_insecure_http: bool = False,
    ) -> None:
        super().__init__()
        if not client_id:
            raise InvalidArgument("RefreshingToken needs the app's client_id")
        if redirect_uri is not None and not (
            isinstance(redirect_uri, str) and redirect_uri.strip()
        ):
            raise InvalidArgument("redirect_uri must be a non-empty URL (or None)")
        if refresh_margin < 0:
            raise InvalidArgument("refresh_margin must not be negative")
        if isinstance(token, str):
            if not token.strip():
                raise InvalidArgument("the access token must be a non-empty string")
            token = OAuthToken(
                access_token=token.strip(),
                refresh_token=refresh_token,
                expires_in=None if expires_in is None else math.floor(expires_in),
            )
        elif refresh_token is not None or expires_in is not None:
            raise InvalidArgument(
                "refresh_token and expires_in go with a string access token; "
                "an OAuthToken carries its own"
            )
        if token is None and store is None:
            raise InvalidArgument("RefreshingToken needs a token or a store to load it from")
        if token is not None and not token.access_token:
            raise InvalidArgument("the OAuthToken has no access_token")
        self._client_id = client_id
        self._client_secret = client_secret
        self.token_url = _check_token_url(token_url, allow_insecure_http=allow_insecure_http)
        #: Sent as ``redirect_uri`` with each refresh when set.
        self.redirect_uri = redirect_uri
        self.store = store
        self.on_refresh = on_refresh
        self._margin = float(refresh_margin)
        self._clock = clock
        self._held = _Held.of(token, clock(), self._margin) if token is not None else None
        self._dead: str | None = None
        self._signed_out_flag = False
        self._flight: _SingleFlight[_Held] = _SingleFlight()
        #: How many refreshes this object sent to the token endpoint.
        self.refreshes = 0

    def __repr__(self) -> str:
        state = "dead" if self._dead else "signed out" if self._signed_out_flag else "live"
        return (
            f"RefreshingToken(client_id={self._client_id!r}, access_token=***, "
            f"refresh_token=***, {state})"
        )

    @property
    def token(self) -> OAuthToken | None:
        """The current token (after the last refresh), if one is loaded."""
        return self._held.token if self._held else None

    async def authorization(self) -> str | None:
        if self._dead is not None:
            raise AuthError(self._dead)
        held = self._held
        if held is None:
            held = await self._flight.run(self._load)
        if self._clock() < held.refresh_at or not self._can_refresh(held):
            return held.header
        try:
            return (await self._flight.run(lambda: self._refresh(held))).header
        except AuthError:
            raise
        except SoundCloudError:
            if self._clock() < held.expires_at:
                logger.warning("could not refresh the token yet; using the current one")
                return held.header
            raise

    async def on_unauthorized(self, used: str | None) -> bool:
        if self._signed_out_flag or self._dead is not None:
            return False
        held = self._held
        if held is None:
            return False
        if used is not None and held.header != used:
            return True  # another task refreshed already: retry with the new token
        if not self._can_refresh(held):
            return False
        await self._flight.run(lambda: self._refresh(held))
        return True

    def _can_refresh(self, held: _Held) -> bool:
        return bool(held.token.refresh_token) and not self._signed_out_flag

    def _signed_out(self) -> None:
        self._signed_out_flag = True

    async def _load(self) -> _Held:
        if self._held is not None:
            return self._held
        assert self.store is not None
        stored = await self.store.load()
        if stored is None or not stored.access_token:
            raise AuthError("the token store holds no token: the user must log in")
        held = _Held.of(stored, self._clock(), self._margin)
        self._held = held
        return held

    async def _refresh(self, seen: _Held) -> _Held:
        current = self._held
        if current is not None and current is not seen:
            return current  # refreshed while this caller was on its way
        if self._dead is not None:
            raise AuthError(self._dead)
        async with _store_lock(self.store) as locked:
            if locked:
                # Under the store's lock: another process may have refreshed already.
                assert self.store is not None
                stored = await self.store.load()
                if (
                    stored is not None
                    and stored.access_token
                    and stored.refresh_token
                    and not _same_token(stored, seen.token)
                ):
                    newer = _Held.of(stored, self._clock(), self._margin)
                    self._held = newer
                    if self._clock() < newer.refresh_at:
                        logger.debug("adopted a user token refreshed by another process")
                        return newer
                    seen = newer  # stale too, but its refresh token is the live one
            return await self._refresh_now(seen)

    async def _refresh_now(self, seen: _Held) -> _Held:
        """Refresh ``seen`` at the token endpoint, hand the new token over, keep it."""
        refresh_token = seen.token.refresh_token
        assert refresh_token is not None
        transport = self._transport()
        sent_at = self._clock()
        self.refreshes += 1
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        if self.redirect_uri is not None:
            form["redirect_uri"] = self.redirect_uri
        try:
            token = await _request_token(
                transport,
                self.token_url,
                form,
                client_id=self._client_id,
                client_secret=self._client_secret,
                basic=False,
            )
        except _REJECTED as exc:
            adopted = await self._adopt_stored(refresh_token)
            if adopted is not None:
                return adopted
            self._dead = (
                _rejection("refresh token", exc)
                + "; refresh tokens are single-use, so it was used already, revoked or "
                "expired: the user must log in again"
            )
            logger.warning("token refresh rejected; the user must log in again")
            raise AuthError(self._dead) from exc
        if not token.refresh_token:
            # No rotation this time: the old refresh token stays valid.
            token = attrs.evolve(token, refresh_token=refresh_token)
        held = _Held.of(token, sent_at, self._margin)
        self._held = held
        logger.debug("refreshed a user token (expires_in=%s)", token.expires_in)
        await self._hand_over(token)
        return held

    async def _adopt_stored(self, dead_refresh_token: str) -> _Held | None:
        """A token another process rotated into the store, if there is one."""
        if self.store is None:
            return None
        try:
            stored = await self.store.load()
        except Exception:
            logger.warning("could not read the token store after a rejected refresh")
            return None
        if (
            stored is None
            or not stored.access_token
            or not stored.refresh_token
            or secrets.compare_digest(stored.refresh_token, dead_refresh_token)
        ):
            return None
        held = _Held.of(stored, self._clock(), self._margin)
        self._held = held
        return held

    async def _hand_over(self, token: OAuthToken) -> None:
        if self.on_refresh is not None:
            result = self.on_refresh(token)
            if inspect.isawaitable(result):
                await result
        if self.store is not None:
            await self.store.save(token)


# -- authorization code with PKCE -------------------------------------------------------------


@attrs.frozen(slots=True, repr=False)
class AuthorizationRequest:
    """What :meth:`AuthorizationCodeFlow.start` made: send the user to :attr:`url`.

    Keep :attr:`state` and :attr:`code_verifier` in the user's session (server side)
    until the callback; both are secrets and are masked in the repr.
    """

    url: str
    state: str
    code_verifier: str

    def __repr__(self) -> str:
        parts = urlsplit(self.url)
        where = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
        return f"AuthorizationRequest(url={where!r}, state=***, code_verifier=***)"


def _code_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class AuthorizationCodeFlow:
    """OAuth 2.1 authorization code with PKCE (S256) and ``state``, for web backends.

    ::

        flow = AuthorizationCodeFlow(CLIENT_ID, CLIENT_SECRET, "https://app.example/callback")
        request = flow.start()            # keep request.state and .code_verifier
        # ... redirect the user to request.url; SoundCloud redirects back with code+state
        token = await flow.exchange(sc, code=code, state=state,
                                    expected_state=saved_state, code_verifier=saved_verifier)
        user_auth = flow.refreshing(token, on_refresh=save_somewhere)

    Args:
        client_id: the app's client id.
        client_secret: the app's client secret (``None`` for a public client).
        redirect_uri: the callback URL registered for the app.
        authorize_url: the auth server's ``/authorize``.
        token_url: the auth server's ``/oauth/token``.
        allow_insecure_http: accept plain-``http`` URLs (``authorize_url``,
            ``token_url``, ``redirect_uri``) on hosts that are not loopback: the user's
            login, the code, the verifier and the tokens would travel in clear.

    Raises:
        InvalidArgument: a missing argument, or a plain-``http`` URL to another machine
            without ``allow_insecure_http=True``.
    """

    __slots__ = (
        "_allow_insecure_http",
        "_client_secret",
        "authorize_url",
        "client_id",
        "redirect_uri",
        "token_url",
    )

    def __init__(
        self,
        client_id: str,
        client_secret: str | None,
        redirect_uri: str,
        *,
        authorize_url: str = DEFAULT_AUTHORIZE_URL,
        token_url: str = DEFAULT_TOKEN_URL,
        allow_insecure_http: bool = False,
    ) -> None:
        if not client_id:
            raise InvalidArgument("AuthorizationCodeFlow needs the app's client_id")
        if not redirect_uri:
            raise InvalidArgument("AuthorizationCodeFlow needs the redirect_uri")
        insecure = bool(allow_insecure_http)
        # The code comes back to redirect_uri: over plain http it could be read on the way.
        check_secure_url(redirect_uri, name="redirect_uri", allow_insecure_http=insecure)
        self.client_id = client_id
        self._client_secret = client_secret
        self._allow_insecure_http = insecure
        self.redirect_uri = redirect_uri
        self.authorize_url = _check_token_url(
            authorize_url, "authorize_url", allow_insecure_http=insecure
        )
        self.token_url = _check_token_url(token_url, allow_insecure_http=insecure)

    def __repr__(self) -> str:
        return (
            f"AuthorizationCodeFlow(client_id={self.client_id!r}, client_secret=***, "
            f"redirect_uri={self.redirect_uri!r})"
        )

    def start(self, scope: str | None = None) -> AuthorizationRequest:
        """A fresh authorize URL with a random ``state`` and an S256 PKCE challenge.

        Args:
            scope: the scope to ask for (SoundCloud's default when ``None``).
        """
        state = secrets.token_urlsafe(32)
        verifier = secrets.token_urlsafe(64)  # 86 characters of [A-Za-z0-9_-]
        query = {
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "response_type": "code",
            "code_challenge": _code_challenge(verifier),
            "code_challenge_method": "S256",
            "state": state,
        }
        if scope:
            query["scope"] = scope
        parts = urlsplit(self.authorize_url)
        joined = "&".join(q for q in (parts.query, urlencode(query)) if q)
        url = urlunsplit((parts.scheme, parts.netloc, parts.path, joined, ""))
        return AuthorizationRequest(url=url, state=state, code_verifier=verifier)

    async def exchange(
        self,
        client: SoundCloud | Transport,
        *,
        code: str | None,
        state: str | None,
        expected_state: str,
        code_verifier: str,
    ) -> OAuthToken:
        """Check the callback's ``state``, then exchange its ``code`` for tokens.

        Args:
            client: an open :class:`~soundcloud_async.SoundCloud` (any auth: the token
                request goes through its transport without the API's Authorization).
            code: the ``code`` query parameter of the callback.
            state: the ``state`` query parameter of the callback.
            expected_state: the ``state`` :meth:`start` returned, kept in the user's
                session.
            code_verifier: the ``code_verifier`` :meth:`start` returned, kept in the
                user's session.

        Raises:
            AuthError: the state does not match (possible CSRF: nothing is sent), the
                code is missing, or the server rejected the exchange (a used or
                expired code, a wrong verifier or redirect_uri).
            RateLimited: the token endpoint answered 429.
        """
        if (
            not state
            or not expected_state
            or not secrets.compare_digest(state.encode(), expected_state.encode())
        ):
            raise AuthError(
                "the state returned by the authorization server does not match the one "
                "sent: the callback was not for this login (possible CSRF); start again"
            )
        if not code:
            raise AuthError("the callback carries no authorization code")
        from soundcloud_async._client import SoundCloud  # a cycle at import time

        transport = client._transport if isinstance(client, SoundCloud) else client
        try:
            return await _request_token(
                transport,
                self.token_url,
                {
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": self.redirect_uri,
                    "code_verifier": code_verifier,
                },
                client_id=self.client_id,
                client_secret=self._client_secret,
                basic=False,
            )
        except _REJECTED as exc:
            raise AuthError(_rejection("authorization code", exc)) from exc

    def refreshing(
        self,
        token: OAuthToken,
        *,
        store: TokenStore | None = None,
        on_refresh: OnRefresh | None = None,
        refresh_margin: float = DEFAULT_REFRESH_MARGIN,
        clock: Clock = monotonic,
    ) -> RefreshingToken:
        """A :class:`RefreshingToken` for ``token`` with this app's credentials and
        ``redirect_uri``."""
        return RefreshingToken(
            token,
            client_id=self.client_id,
            client_secret=self._client_secret,
            token_url=self.token_url,
            redirect_uri=self.redirect_uri,
            store=store,
            on_refresh=on_refresh,
            refresh_margin=refresh_margin,
            clock=clock,
            allow_insecure_http=self._allow_insecure_http,
        )
