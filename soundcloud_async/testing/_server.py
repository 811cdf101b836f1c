"""``FakeSoundCloud``: the fake API on loopback, and :func:`create_app` that builds it.

One :class:`aiohttp.web.Application` serves the API routes (``_api``), the auth
server's routes (``_oauth``) and ``/media/…``, behind four middlewares, outermost
first::

    request log  →  faults  →  auth  →  rate limits  →  route handler

* The **request log** sees everything, the final status included, even of requests a
  fault or the auth layer answered.
* **Faults** come before auth because the failures they imitate (CloudFront pages,
  502s from a load balancer, resets) happen in front of the application, whatever the
  token; the 401 faults imitate the odd 401 bodies of the real API.
* **Auth** comes before the **limits** because limits are per ``client_id``: the limiter
  needs the principal. A request with a bad token gets 401 and costs no budget. The
  token endpoint counts client-credentials exchanges itself (per app and per IP).
"""

from __future__ import annotations

import collections
import fnmatch
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Final

from aiohttp import web
from aiohttp.typedefs import Handler

from soundcloud_async.testing._api import add_api_routes
from soundcloud_async.testing._faults import FAULT_KEY, FaultInjector
from soundcloud_async.testing._limits import Budget, RateLimiter
from soundcloud_async.testing._media import DEFAULT_LINK_LIFETIME, FakeMedia
from soundcloud_async.testing._oauth import OAuthServer
from soundcloud_async.testing._shared import PRINCIPAL_KEY, Principal, json_error
from soundcloud_async.testing._world import World

__all__ = [
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "STATE_KEY",
    "Counters",
    "FakeSoundCloud",
    "FakeState",
    "RequestLog",
    "RequestRecord",
    "create_app",
]

DEFAULT_CLIENT_ID: Final = "fake-client-id"
DEFAULT_CLIENT_SECRET: Final = "fake-client-secret"
_MASKED: Final = frozenset(
    {
        "oauth_token",
        "access_token",
        "refresh_token",
        "client_secret",
        "code",
        "code_verifier",
        "consumer_key",
        "secret_token",
    }
)


class _Unset:
    """The "not given" sentinel: ``None`` is a meaningful ``user_urn``."""

    def __repr__(self) -> str:
        return "<default user>"


_UNSET: Final = _Unset()


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One request the fake served. Holds no secret: tokens and secrets are masked.

    ``route`` is the matched route pattern (``/tracks/{track_urn}``), or the path when
    no route matched; ``fault`` the injected fault kind, if any.
    """

    method: str
    path: str
    query: Mapping[str, str]
    had_authorization: bool
    auth_scheme: str | None
    client_id: str | None
    user_urn: str | None
    route: str
    status: int
    fault: str | None
    at: float


@dataclass(frozen=True, slots=True)
class Counters:
    """A snapshot of what the fake did since it started (or since ``reset_log``)."""

    requests: int
    by_route: Mapping[str, int]
    by_status: Mapping[int, int]
    rate_limited: int
    rate_limited_by_group: Mapping[str, int]
    tokens_issued: int
    refreshes: int
    unauthorized: int
    faults: Mapping[str, int]


@dataclass(slots=True, eq=False)
class RequestLog:
    """The request log middleware, its records and its running counts.

    ``records`` keeps the last ``max_records`` requests (all if ``None``); the counts
    cover every request, so a long crawl does not grow the fake without bound.
    """

    clock: Callable[[], float] = time.monotonic
    max_records: int | None = 100_000
    records: collections.deque[RequestRecord] = field(init=False)
    total: int = 0
    by_route: collections.Counter[str] = field(default_factory=collections.Counter)
    by_status: collections.Counter[int] = field(default_factory=collections.Counter)

    def __post_init__(self) -> None:
        self.records = collections.deque(maxlen=self.max_records)

    def clear(self) -> None:
        """Forget the records and the counts."""
        self.records.clear()
        self.total = 0
        self.by_route.clear()
        self.by_status.clear()

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Record every request with its final status."""
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as exc:
            status = exc.status
            if request.match_info.http_exception is not None:
                # No route matched: answer SoundCloud's JSON error, not aiohttp's text.
                return json_error(exc.status, exc.reason)
            raise
        finally:
            record = _record(request, status, self.clock())
            self.records.append(record)
            self.total += 1
            self.by_route[f"{record.method} {record.route}"] += 1
            self.by_status[status] += 1


def _record(request: web.Request, status: int, at: float) -> RequestRecord:
    header = request.headers.get("Authorization")
    scheme = header.strip().partition(" ")[0] if header else None
    principal = request.get(PRINCIPAL_KEY)
    resource = request.match_info.route.resource
    fault = request.get(FAULT_KEY)
    return RequestRecord(
        method=request.method,
        path=request.path,
        query={k: ("***" if k in _MASKED else v) for k, v in request.query.items()},
        had_authorization=header is not None,
        auth_scheme=scheme or None,
        client_id=principal.client_id if isinstance(principal, Principal) else None,
        user_urn=principal.user_urn if isinstance(principal, Principal) else None,
        route=resource.canonical if resource is not None else request.path,
        status=status,
        fault=fault if isinstance(fault, str) else None,
        at=at,
    )


@dataclass(slots=True, eq=False)
class FakeState:
    """The parts of one fake app; ``app[STATE_KEY]``."""

    world: World
    oauth: OAuthServer
    limits: RateLimiter
    faults: FaultInjector
    log: RequestLog
    client_id: str
    client_secret: str = field(repr=False)
    media: FakeMedia


STATE_KEY: Final = web.AppKey("soundcloud_async.fake", FakeState)


def create_app(
    *,
    seed: int = 0,
    size: str = "small",
    world: World | None = None,
    clients: Mapping[str, str] | None = None,
    token_lifetime: float = 3599.0,
    general_rate: float | None = None,
    general_window: float = 1.0,
    rate_limits: Mapping[str, Budget | None] | None = None,
    spam_after: int | None = None,
    random_faults: Mapping[str, float] | None = None,
    fault_seed: int = 0,
    slow_delay: float = 1.0,
    retry_after_header: bool = False,
    clock: Callable[[], float] = time.monotonic,
    wall_clock: Callable[[], float] = time.time,
    max_records: int | None = 100_000,
    media_link_lifetime: float = DEFAULT_LINK_LIFETIME,
) -> web.Application:
    """Build the fake SoundCloud app (not started); :class:`FakeSoundCloud` documents
    the options. ``app[STATE_KEY]`` holds its parts.
    """
    if world is None:
        world = World.generate(seed=seed, size=size)
    clients = dict(clients) if clients else {DEFAULT_CLIENT_ID: DEFAULT_CLIENT_SECRET}
    client_id, client_secret = next(iter(clients.items()))
    limits = RateLimiter.create(
        general_rate=general_rate,
        general_window=general_window,
        budgets=rate_limits,
        spam_after=spam_after,
        retry_after_header=retry_after_header,
        clock=clock,
        wall_clock=wall_clock,
    )
    oauth = OAuthServer(
        clients=clients,
        default_user_urn=world.default_user_urn,
        token_lifetime=token_lifetime,
        clock=clock,
        limiter=limits,
    )
    faults = FaultInjector.create(
        random_faults=random_faults,
        fault_seed=fault_seed,
        slow_delay=slow_delay,
        retry_after_header=retry_after_header,
    )
    log = RequestLog(clock=clock, max_records=max_records)
    media = FakeMedia(world, wall_clock=wall_clock, link_lifetime=media_link_lifetime)
    state = FakeState(world, oauth, limits, faults, log, client_id, client_secret, media)

    app = web.Application(
        middlewares=[log.middleware, faults.middleware, oauth.middleware, limits.middleware]
    )
    app[STATE_KEY] = state
    oauth.add_routes(app)
    add_api_routes(app, world, media)
    return app


class FakeSoundCloud:
    """The fake SoundCloud API on loopback: ``async with FakeSoundCloud() as fake:``.

    Args:
        seed: seeds the generated world (same seed, same data).
        size: the world's size (``"tiny"``, ``"small"``, …; see ``World.generate``).
        world: a world to serve instead of generating one.
        clients: client_id → client_secret of the registered apps; the first one is
            :attr:`client_id`/:attr:`client_secret`. Default: one test client.
        token_lifetime: seconds an access token lives (``expires_in``).
        general_rate: the general budget, in requests per second per client over all
            authenticated routes, counted in fixed windows of ``general_window``
            seconds (``rate * window`` requests each); ``None``: no general limit.
        general_window: the general budget's window in seconds.
        rate_limits: budget overrides by key (``plays``, ``general``, ``comments``,
            ``likes``, ``reposts``, ``client-credentials-exchange``,
            ``client-credentials-exchange/by-ip``); ``None`` lifts one.
        spam_after: comment/like POSTs per client and user before the spam 429.
        random_faults: fault kind → probability per request.
        fault_seed: seeds the random faults.
        slow_delay: default delay of ``slow`` faults, in seconds.
        retry_after_header: send ``Retry-After`` on 429s (the real API does not).
        host: the address to listen on.
        port: the port to listen on; 0 picks a free port.
        clock: monotonic seconds for token expiry and rate windows (a ``ManualClock``
            in tests).
        wall_clock: epoch seconds for ``reset_time`` in 429 bodies.
        max_records: how many requests :attr:`requests` keeps (the newest; ``None``:
            all). :attr:`counters` count every request regardless.
        media_link_lifetime: seconds a signed CDN link (HLS playlist, segment,
            progressive file) stays valid, against ``wall_clock`` (default 300).
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        size: str = "small",
        world: World | None = None,
        clients: Mapping[str, str] | None = None,
        token_lifetime: float = 3599.0,
        general_rate: float | None = None,
        general_window: float = 1.0,
        rate_limits: Mapping[str, Budget | None] | None = None,
        spam_after: int | None = None,
        random_faults: Mapping[str, float] | None = None,
        fault_seed: int = 0,
        slow_delay: float = 1.0,
        retry_after_header: bool = False,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        max_records: int | None = 100_000,
        media_link_lifetime: float = DEFAULT_LINK_LIFETIME,
    ) -> None:
        self.app: web.Application = create_app(
            seed=seed,
            size=size,
            world=world,
            clients=clients,
            token_lifetime=token_lifetime,
            general_rate=general_rate,
            general_window=general_window,
            rate_limits=rate_limits,
            spam_after=spam_after,
            random_faults=random_faults,
            fault_seed=fault_seed,
            slow_delay=slow_delay,
            retry_after_header=retry_after_header,
            clock=clock,
            wall_clock=wall_clock,
            max_records=max_records,
            media_link_lifetime=media_link_lifetime,
        )
        state = self.app[STATE_KEY]
        self.world: World = state.world
        self.oauth: OAuthServer = state.oauth
        self.limits: RateLimiter = state.limits
        self.faults: FaultInjector = state.faults
        #: The media rooms: stream URLs, the signed CDN, the audio oracle and its knobs.
        self.media: FakeMedia = state.media
        self.client_id: str = state.client_id
        self.client_secret: str = state.client_secret
        self._log = state.log
        self._host = host
        self._port = port
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None
        self._closed = False

    def __repr__(self) -> str:
        where = self._base_url or ("closed" if self._closed else "not started")
        return f"<FakeSoundCloud {where} client_id={self.client_id!r}>"

    # -- lifecycle ------------------------------------------------------------------

    async def start(self) -> None:
        """Listen on ``host:port`` (once; a closed fake cannot be restarted)."""
        if self._closed:
            raise RuntimeError("this FakeSoundCloud is closed; create a new one")
        if self._runner is not None:
            raise RuntimeError("this FakeSoundCloud is already started")
        # A short shutdown: close() must not wait for a long `slow` fault to finish.
        runner = web.AppRunner(
            self.app, access_log=None, handle_signals=False, shutdown_timeout=0.25
        )
        await runner.setup()
        try:
            site = web.TCPSite(runner, self._host, self._port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        host, port = runner.addresses[0][:2]
        self._port = int(port)
        shown = f"[{host}]" if ":" in str(host) else str(host)
        self._base_url = f"http://{shown}:{self._port}"

    async def close(self) -> None:
        """Stop listening and drop open connections (idempotent)."""
        self._closed = True
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> FakeSoundCloud:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` of the running fake."""
        if self._base_url is None or self._runner is None:
            raise RuntimeError("the FakeSoundCloud is not running")
        return self._base_url

    @property
    def port(self) -> int:
        """The port it listens on (the real one once started)."""
        return self._port

    def url(self, path: str) -> str:
        """``base_url + path``: ``fake.url("/oauth/token")``."""
        return self.base_url + path

    # -- tokens ------------------------------------------------------------------------

    def issue_token(
        self,
        *,
        user_urn: str | _Unset | None = _UNSET,
        scope: str = "*",
        expires_in: float | None = None,
        client_id: str | None = None,
    ) -> str:
        """A ready access token, without an OAuth round trip.

        Args:
            user_urn: whose token; default the world's test user; ``None`` for a
                client-credentials token (public resources only).
            expires_in: lifetime in seconds (default ``token_lifetime``).
            client_id: which app (default :attr:`client_id`).
        """
        tokens = self.issue_tokens(
            user_urn=user_urn, scope=scope, expires_in=expires_in, client_id=client_id
        )
        return str(tokens["access_token"])

    def issue_tokens(
        self,
        *,
        user_urn: str | _Unset | None = _UNSET,
        scope: str = "*",
        expires_in: float | None = None,
        client_id: str | None = None,
    ) -> dict[str, Any]:
        """Like :meth:`issue_token`, but the whole token response (refresh token too)."""
        urn = self.oauth.default_user_urn if isinstance(user_urn, _Unset) else user_urn
        return self.oauth.issue(
            client_id=client_id or self.client_id,
            user_urn=urn,
            scope=scope,
            expires_in=expires_in,
        )

    # -- the request log ------------------------------------------------------------------

    @property
    def requests(self) -> list[RequestRecord]:
        """The requests served since start (or :meth:`reset_log`), oldest first.

        Only the newest ``max_records`` are kept.
        """
        return list(self._log.records)

    @property
    def counters(self) -> Counters:
        """Counts of requests by route and status, 429s, tokens, refreshes, faults."""
        log = self._log
        return Counters(
            requests=log.total,
            by_route=dict(log.by_route),
            by_status=dict(log.by_status),
            rate_limited=log.by_status.get(429, 0),
            rate_limited_by_group=dict(self.limits.served),
            tokens_issued=self.oauth.stats.tokens_issued,
            refreshes=self.oauth.stats.refreshes,
            unauthorized=log.by_status.get(401, 0),
            faults=dict(self.faults.injected),
        )

    def count(self, method: str | None = None, path_glob: str = "*") -> int:
        """How many requests matched ``method`` (``None``/``"*"``: any) and the path glob."""
        return len(self._matching(method, path_glob))

    def assert_called(
        self, method: str | None, path_glob: str, times: int | None = None
    ) -> list[RequestRecord]:
        """Assert ``method path_glob`` was requested (exactly ``times`` times if given).

        Returns the matching records; the assertion message lists the requests seen.
        """
        matching = self._matching(method, path_glob)
        ok = len(matching) == times if times is not None else bool(matching)
        if not ok:
            seen = "\n".join(f"  {r.method} {r.path} -> {r.status}" for r in self._log.records)
            wanted = "at least once" if times is None else f"{times} time(s)"
            raise AssertionError(
                f"expected {method or '*'} {path_glob} {wanted}, got {len(matching)}; "
                f"requests:\n{seen or '  (none)'}"
            )
        return matching

    def reset_log(self) -> None:
        """Forget the requests and counters (tokens, budgets and faults stay)."""
        self._log.clear()
        self.limits.served.clear()
        self.faults.injected.clear()
        self.oauth.stats.tokens_issued = 0
        self.oauth.stats.refreshes = 0
        self.oauth.stats.unauthorized = 0

    def _matching(self, method: str | None, path_glob: str) -> list[RequestRecord]:
        want = None if method is None or method == "*" else method.upper()
        return [
            r
            for r in self._log.records
            if (want is None or r.method == want) and fnmatch.fnmatchcase(r.path, path_glob)
        ]
