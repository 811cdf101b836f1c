"""Unit tests for OAuth 2.1 in the client: a stub transport and an injected clock."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import logging
import os
import re
import stat
from collections import deque
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import attrs
import orjson
import pytest

from soundcloud_async._auth import (
    DEFAULT_AUTHORIZE_URL,
    DEFAULT_TOKEN_URL,
    Auth,
    AuthorizationCodeFlow,
    ClientCredentials,
    JSONFileTokenStore,
    MemoryTokenStore,
    RefreshingToken,
    StaticToken,
    TokenStore,
    attach_auth,
    detach_auth,
    notify_sign_out,
)
from soundcloud_async._clock import ManualClock
from soundcloud_async._errors import (
    AuthError,
    ClientStateError,
    ConnectionLost,
    InvalidArgument,
    RateLimited,
    error_for_status,
)
from soundcloud_async._http import Response
from soundcloud_async.models.auth import OAuthToken

TOKEN_URL = "https://auth.example/oauth/token"
CLIENT_ID = "app-id"
CLIENT_SECRET = "SECRET-client-secret"


@attrs.frozen
class Call:
    method: str
    url: str
    form: dict[str, str]
    headers: dict[str, str]
    authenticate: bool
    retry_429: bool


class StubTransport:
    """Answers token requests from a script (default: a fresh token each time)."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.script: deque[Any] = deque()
        self.gate: asyncio.Event | None = None
        self._n = itertools.count(1)

    async def request(
        self,
        method: str,
        path_or_url: str,
        *,
        data: Any = None,
        headers: Any = None,
        authenticate: bool = True,
        retry_429: bool = True,
        **_: Any,
    ) -> Response:
        self.calls.append(
            Call(method, path_or_url, dict(data), dict(headers), authenticate, retry_429)
        )
        if self.gate is not None:
            await self.gate.wait()
        item = self.script.popleft() if self.script else self.token_body()
        if isinstance(item, BaseException):
            raise item
        return Response(200, {}, path_or_url, item)

    def token_body(self, expires_in: int = 3600) -> dict[str, Any]:
        n = next(self._n)
        return {
            "access_token": f"SECRET-at-{n}",
            "refresh_token": f"SECRET-rt-{n}",
            "expires_in": expires_in,
            "scope": "*",
            "token_type": "bearer",
        }


class UnlockedStore:
    """A plain :class:`TokenStore` (no ``lock()``), as an application might write one."""

    def __init__(self) -> None:
        self.inner = MemoryTokenStore()

    async def load(self) -> OAuthToken | None:
        return await self.inner.load()

    async def save(self, token: OAuthToken) -> None:
        await self.inner.save(token)


def oauth_rejection(status: int, error: str, description: str) -> Exception:
    """The error the transport raises for an OAuth error answer."""
    body = orjson.dumps(
        {"error": error, "error_description": description, "code": status, "message": error}
    )
    return error_for_status(
        status,
        {"Content-Type": "application/json"},
        body,
        method="POST",
        url=TOKEN_URL,
        now_wall=0.0,
    )


def rate_limited(retry_after: float | None = 120.0) -> RateLimited:
    return RateLimited(
        "rate_limit_exceeded",
        retry_after=retry_after,
        group="client-credentials-exchange",
        status=429,
        method="POST",
        url=TOKEN_URL,
    )


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1000.0)


@pytest.fixture
def transport() -> StubTransport:
    return StubTransport()


def credentials(transport: StubTransport, clock: ManualClock, **kwargs: Any) -> ClientCredentials:
    auth = ClientCredentials(
        CLIENT_ID, CLIENT_SECRET, token_url=TOKEN_URL, clock=clock.now, **kwargs
    )
    attach_auth(auth, transport)  # type: ignore[arg-type]
    return auth


def user_token(
    transport: StubTransport,
    clock: ManualClock,
    token: OAuthToken | str | None = None,
    **kwargs: Any,
) -> RefreshingToken:
    if token is None and "store" not in kwargs:
        token = OAuthToken(access_token="SECRET-at-0", refresh_token="SECRET-rt-0", expires_in=3600)
    auth = RefreshingToken(
        token,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        token_url=TOKEN_URL,
        clock=clock.now,
        **kwargs,
    )
    attach_auth(auth, transport)  # type: ignore[arg-type]
    return auth


class TestProtocols:
    """Every auth object is an ``Auth``; the stores are ``TokenStore``s."""

    def test_auth_objects_implement_auth(self, transport: StubTransport) -> None:
        """ClientCredentials, RefreshingToken and StaticToken satisfy the protocol."""
        clock = ManualClock()
        objects = [credentials(transport, clock), user_token(transport, clock), StaticToken("t")]
        assert [True, True, True] == [isinstance(o, Auth) for o in objects]

    def test_stores_implement_token_store(self, tmp_path: Path) -> None:
        """Both built-in stores satisfy the TokenStore protocol."""
        stores = [MemoryTokenStore(), JSONFileTokenStore(tmp_path / "t.json")]
        assert [True, True] == [isinstance(s, TokenStore) for s in stores]

    def test_default_urls(self) -> None:
        """The defaults point at SoundCloud's auth server."""
        assert (
            "https://secure.soundcloud.com/oauth/token",
            "https://secure.soundcloud.com/authorize",
        ) == (
            DEFAULT_TOKEN_URL,
            DEFAULT_AUTHORIZE_URL,
        )


class TestClientCredentials:
    """The app token: exchanged once, reused, replaced near expiry, one exchange at a time."""

    async def test_exchange_request(self, transport: StubTransport, clock: ManualClock) -> None:
        """The exchange is a client_credentials POST with Basic auth, no API auth, no 429 retry."""
        auth = credentials(transport, clock)
        header = await auth.authorization()
        basic = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        call = transport.calls[0]
        assert "OAuth SECRET-at-1" == header
        assert ("POST", TOKEN_URL, False, False) == (
            call.method,
            call.url,
            call.authenticate,
            call.retry_429,
        )
        assert {"grant_type": "client_credentials"} == call.form
        assert basic == call.headers["Authorization"]

    async def test_token_reused(self, transport: StubTransport, clock: ManualClock) -> None:
        """Many requests share one exchange while the token is fresh."""
        auth = credentials(transport, clock)
        headers = {await auth.authorization() for _ in range(50)}
        assert ({"OAuth SECRET-at-1"}, 1) == (headers, len(transport.calls))

    async def test_replaced_near_expiry(self, transport: StubTransport, clock: ManualClock) -> None:
        """The token is replaced refresh_margin seconds before expires_in runs out."""
        auth = credentials(transport, clock, refresh_margin=60)
        await auth.authorization()
        await clock.advance(3600 - 61)
        before = await auth.authorization()
        await clock.advance(1)
        after = await auth.authorization()
        assert ("OAuth SECRET-at-1", "OAuth SECRET-at-2", 2) == (
            before,
            after,
            len(transport.calls),
        )

    async def test_short_lived_token_replaced_halfway(
        self, transport: StubTransport, clock: ManualClock
    ) -> None:
        """A token shorter-lived than twice the margin is replaced halfway, not per request."""
        transport.script.append(transport.token_body(expires_in=30))
        auth = credentials(transport, clock, refresh_margin=60)
        await auth.authorization()
        await clock.advance(14)
        await auth.authorization()
        assert 1 == len(transport.calls)
        await clock.advance(1)
        await auth.authorization()
        assert 2 == len(transport.calls)

    async def test_concurrent_first_requests_share_one_exchange(
        self, transport: StubTransport, clock: ManualClock
    ) -> None:
        """100 concurrent callers await the same exchange."""
        transport.gate = asyncio.Event()
        auth = credentials(transport, clock)
        tasks = [asyncio.create_task(auth.authorization()) for _ in range(100)]
        await asyncio.sleep(0)
        transport.gate.set()
        headers = await asyncio.gather(*tasks)
        assert ({"OAuth SECRET-at-1"}, 1) == (set(headers), len(transport.calls))

    async def test_cancelled_caller_does_not_cancel_the_exchange(
        self, transport: StubTransport, clock: ManualClock
    ) -> None:
        """The first caller's cancellation leaves the exchange running for the others."""
        transport.gate = asyncio.Event()
        auth = credentials(transport, clock)
        first = asyncio.create_task(auth.authorization())
        second = asyncio.create_task(auth.authorization())
        await asyncio.sleep(0)
        first.cancel()
        await asyncio.sleep(0)
        transport.gate.set()
        assert ("OAuth SECRET-at-1", 1) == (await second, len(transport.calls))
        assert first.cancelled()

    async def test_429_surfaces_at_once_and_holds_exchanges_off(
        self, transport: StubTransport, clock: ManualClock
    ) -> None:
        """A 429 raises RateLimited; no new exchange is tried before its reset time."""
        transport.script.append(rate_limited(retry_after=120.0))
        auth = credentials(transport, clock)
        with pytest.raises(RateLimited):
            await auth.authorization()
        with pytest.raises(RateLimited):
            await auth.authorization()
        assert 1 == len(transport.calls)
        await clock.advance(120)
        assert "OAuth SECRET-at-1" == await auth.authorization()
        assert 2 == len(transport.calls)

    async def test_429_without_reset_time_holds_off_a_minute(
        self, transport: StubTransport, clock: ManualClock
    ) -> None:
        """A 429 that names no reset time holds exchanges off for the default cooldown."""
        transport.script.append(rate_limited(retry_after=None))
        auth = credentials(transport, clock)
        with pytest.raises(RateLimited):
            await auth.authorization()
        await clock.advance(59)
        with pytest.raises(RateLimited):
            await auth.authorization()
        await clock.advance(1)
        await auth.authorization()
        assert 2 == len(transport.calls)

    async def test_old_token_kept_while_unexpired(
        self, transport: StubTransport, clock: ManualClock
    ) -> None:
        """A failed early replacement keeps the old token until it really expires."""
        auth = credentials(transport, clock)
        await auth.authorization()
        transport.script.append(rate_limited(retry_after=600.0))
        await clock.advance(3600 - 30)
        assert "OAuth SECRET-at-1" == await auth.authorization()
        await clock.advance(30)
        with pytest.raises(RateLimited):
            await auth.authorization()
        assert 2 == len(transport.calls)

    async def test_on_unauthorized_replaces_the_used_token(
        self, transport: StubTransport, clock: ManualClock
    ) -> None:
        """A 401 with the current token drops it and fetches a new one."""
        auth = credentials(transport, clock)
        used = await auth.authorization()
        assert (True, "OAuth SECRET-at-2") == (
            await auth.on_unauthorized(used),
            await auth.authorization(),
        )

    async def test_concurrent_401s_one_exchange(
        self, transport: StubTransport, clock: ManualClock
    ) -> None:
        """Many 401s for the same token lead to one new exchange."""
        auth = credentials(transport, clock)
        used = await auth.authorization()
        transport.gate = asyncio.Event()
        tasks = [asyncio.create_task(auth.on_unauthorized(used)) for _ in range(20)]
        await asyncio.sleep(0)
        transport.gate.set()
        late = await auth.on_unauthorized(used)
        assert ([True] * 20, True, 2) == (await asyncio.gather(*tasks), late, len(transport.calls))

    async def test_rejected_credentials(self, transport: StubTransport, clock: ManualClock) -> None:
        """invalid_client becomes an AuthError naming the OAuth error, not the secret."""
        transport.script.append(oauth_rejection(401, "invalid_client", "wrong secret"))
        auth = credentials(transport, clock)
        with pytest.raises(AuthError, match="invalid_client: wrong secret") as info:
            await auth.authorization()
        assert CLIENT_SECRET not in str(info.value)

    async def test_store_reused_after_restart(
        self, transport: StubTransport, clock: ManualClock
    ) -> None:
        """A token in the store is used instead of a new exchange; new tokens are saved."""
        saved = OAuthToken(access_token="SECRET-stored", expires_in=3000)
        store = MemoryTokenStore(saved, wall_clock=clock.now)
        auth = credentials(transport, clock, store=store)
        assert ("OAuth SECRET-stored", 0) == (await auth.authorization(), len(transport.calls))
        await clock.advance(3000)
        await auth.authorization()
        assert (1, "SECRET-at-1") == (
            len(transport.calls),
            store.token and store.token.access_token,
        )

    async def test_needs_an_open_client(self, clock: ManualClock) -> None:
        """Without a client's transport, the error says how to use it."""
        auth = ClientCredentials(CLIENT_ID, CLIENT_SECRET, clock=clock.now)
        with pytest.raises(ClientStateError, match="SoundCloud"):
            await auth.authorization()

    async def test_detach(self, transport: StubTransport, clock: ManualClock) -> None:
        """A detached transport is no longer used."""
        auth = credentials(transport, clock)
        detach_auth(auth, transport)  # type: ignore[arg-type]
        with pytest.raises(ClientStateError):
            await auth.authorization()

    async def test_sign_out_drops_the_token(
        self, transport: StubTransport, clock: ManualClock
    ) -> None:
        """After sign-out the next request exchanges a new app token."""
        auth = credentials(transport, clock)
        await auth.authorization()
        notify_sign_out(auth)
        assert "OAuth SECRET-at-2" == await auth.authorization()

    def test_validation(self) -> None:
        """Missing credentials, a negative margin and a relative URL are rejected."""
        with pytest.raises(InvalidArgument):
            ClientCredentials("", CLIENT_SECRET)
        with pytest.raises(InvalidArgument):
            ClientCredentials(CLIENT_ID, CLIENT_SECRET, refresh_margin=-1)
        with pytest.raises(InvalidArgument):
            ClientCredentials(CLIENT_ID, CLIENT_SECRET, token_url="/oauth/token")


class TestRefreshingToken:
    """A user's token: refreshed before expiry and after a 401, with single-use rotation."""

    async def test_fresh_token_used_as_is(
        self, transport: StubTransport, clock: ManualClock
    ) -> None:
        """A fresh token is sent without any refresh."""
        auth = user_token(transport, clock)
        assert ("OAuth SECRET-at-0", 0) == (await auth.authorization(), len(transport.calls))

    async def test_refresh_before_expiry(
        self, transport: StubTransport, clock: ManualClock
    ) -> None:
        """Near expiry, a refresh_token grant is sent with the current refresh token."""
        auth = user_token(transport, clock)
        await clock.advance(3600 - 60)
        header = await auth.authorization()
        assert "OAuth SECRET-at-1" == header
        assert {
            "grant_type": "refresh_token",
            "refresh_token": "SECRET-rt-0",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        } == transport.calls[0].form
        assert (False, False) == (transport.calls[0].authenticate, transport.calls[0].retry_429)

    async def test_refresh_sends_the_redirect_uri(
        self, transport: StubTransport, clock: ManualClock
    ) -> None:
        """With a redirect_uri, the refresh_token grant carries it, as the spec lists it."""
        auth = user_token(transport, clock, redirect_uri="https://app.example/callback")
        await clock.advance(3600 - 60)
        await auth.authorization()
        assert {
            "grant_type": "refresh_token",
            "refresh_token": "SECRET-rt-0",
            "redirect_uri": "https://app.example/callback",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        } == transport.calls[0].form

    @pytest.mark.parametrize("bad", ["", "   ", 5])
    def test_blank_redirect_uri_refused(
        self, transport: StubTransport, clock: ManualClock, bad: Any
    ) -> None:
        """A blank or non-string redirect_uri is an InvalidArgument at construction."""
        with pytest.raises(InvalidArgument, match="redirect_uri"):
            user_token(transport, clock, redirect_uri=bad)

    async def test_rotation_uses_the_new_refresh_token(
        self, transport: StubTransport, clock: ManualClock
    ) -> None:
        """Each refresh sends the refresh token the previous one returned."""
        auth = user_token(transport, clock)
        for _ in range(3):
            await clock.advance(3600)
            await auth.authorization()
        sent = [c.form["refresh_token"] for c in transport.calls]
        assert ["SECRET-rt-0", "SECRET-rt-1", "SECRET-rt-2"] == sent

    async def test_rotated_token_handed_over_before_use(
        self, transport: StubTransport, clock: ManualClock
    ) -> None:
        """on_refresh (sync or async) and the store get the new token before the refresh ends."""
        seen: list[str | None] = []
        store = MemoryTokenStore()

        async def on_refresh(token: OAuthToken) -> None:
            await asyncio.sleep(0)
            seen.append(token.refresh_token)

        auth = user_token(transport, clock, on_refresh=on_refresh)
        auth.store = store
        await clock.advance(3600)
        await auth.authorization()
        assert (["SECRET-rt-1"], "SECRET-rt-1", 1) == (
            seen,
            store.token and store.token.refresh_token,
            store.saves,
        )
        sync_seen: list[OAuthToken] = []
        auth.on_refresh = sync_seen.append
        await clock.advance(3600)
        await auth.authorization()
        assert ["SECRET-rt-2"] == [t.refresh_token for t in sync_seen]

    async def test_concurrent_expiries_one_refresh(
        self, transport: StubTransport, clock: ManualClock
    ) -> None:
        """Many tasks finding the token expired await one refresh."""
        auth = user_token(transport, clock)
        await clock.advance(3600)
        transport.gate = asyncio.Event()
        tasks = [asyncio.create_task(auth.authorization()) for _ in range(50)]
        await asyncio.sleep(0)
        transport.gate.set()
        headers = await asyncio.gather(*tasks)
        assert ({"OAuth SECRET-at-1"}, 1) == (set(headers), len(transport.calls))

    async def test_concurrent_401s_one_refresh(
        self, transport: StubTransport, clock: ManualClock
    ) -> None:
        """401s for the same token, early and late, lead to one refresh; all may retry."""
        auth = user_token(transport, clock)
        used = await auth.authorization()
        transport.gate = asyncio.Event()
        tasks = [asyncio.create_task(auth.on_unauthorized(used)) for _ in range(20)]
        await asyncio.sleep(0)
        transport.gate.set()
        results = await asyncio.gather(*tasks)
        late = await auth.on_unauthorized(used)
        assert ([True] * 20, True, 1) == (results, late, len(transport.calls))
        assert "OAuth SECRET-at-1" == await auth.authorization()

    async def test_invalid_grant_is_final(
        self, transport: StubTransport, clock: ManualClock
    ) -> None:
        """A rejected refresh raises AuthError once and never asks the server again."""
        transport.script.append(
            oauth_rejection(
                400, "invalid_grant", "the refresh token is invalid, expired or already used"
            )
        )
        auth = user_token(transport, clock)
        used = await auth.authorization()
        with pytest.raises(AuthError, match="log in again") as info:
            await auth.on_unauthorized(used)
        with pytest.raises(AuthError, match="invalid_grant"):
            await auth.authorization()
        assert (False, 1) == (await auth.on_unauthorized(used), len(transport.calls))
        assert "SECRET" not in str(info.value)

    async def test_rotated_elsewhere_adopted_from_store(
        self, transport: StubTransport, clock: ManualClock
    ) -> None:
        """After invalid_grant, a newer token another process saved in the store is used
        (a store without a lock: nothing coordinated the refresh beforehand)."""
        store = UnlockedStore()
        auth = user_token(transport, clock, store=store, token=None)
        await store.save(
            OAuthToken(access_token="SECRET-at-0", refresh_token="SECRET-rt-0", expires_in=3600)
        )
        await auth.authorization()
        await store.save(
            OAuthToken(
                access_token="SECRET-other", refresh_token="SECRET-rt-other", expires_in=3600
            )
        )
        transport.script.append(oauth_rejection(400, "invalid_grant", "already used"))
        assert True is await auth.on_unauthorized("OAuth SECRET-at-0")
        assert ("OAuth SECRET-other", 1) == (await auth.authorization(), len(transport.calls))

    async def test_transient_failure_keeps_unexpired_token(
        self, transport: StubTransport, clock: ManualClock
    ) -> None:
        """A connection error during an early refresh keeps the old token; the next call retries."""
        auth = user_token(transport, clock)
        transport.script.append(ConnectionLost("broken", method="POST", url=TOKEN_URL))
        await clock.advance(3600 - 30)
        assert "OAuth SECRET-at-0" == await auth.authorization()
        assert "OAuth SECRET-at-1" == await auth.authorization()
        assert ["SECRET-rt-0", "SECRET-rt-0"] == [c.form["refresh_token"] for c in transport.calls]

    async def test_without_refresh_token(
        self, transport: StubTransport, clock: ManualClock
    ) -> None:
        """A token without a refresh token is used until the server refuses it."""
        auth = user_token(transport, clock, token="SECRET-plain", expires_in=10)
        await clock.advance(100)
        used = await auth.authorization()
        assert ("OAuth SECRET-plain", False, 0) == (
            used,
            await auth.on_unauthorized(used),
            len(transport.calls),
        )

    async def test_kept_refresh_token_when_not_rotated(
        self, transport: StubTransport, clock: ManualClock
    ) -> None:
        """A refresh answer without a refresh token keeps the old one."""
        transport.script.append({"access_token": "SECRET-at-9", "expires_in": 3600})
        auth = user_token(transport, clock)
        await clock.advance(3600)
        await auth.authorization()
        assert "SECRET-rt-0" == (auth.token and auth.token.refresh_token)

    async def test_loaded_from_store(self, transport: StubTransport, clock: ManualClock) -> None:
        """With no token given, the store's token is loaded once, on first use."""
        store = MemoryTokenStore(
            OAuthToken(access_token="SECRET-stored", refresh_token="SECRET-rt-s", expires_in=3600)
        )
        auth = user_token(transport, clock, store=store, token=None)
        assert "OAuth SECRET-stored" == await auth.authorization()

    async def test_empty_store(self, transport: StubTransport, clock: ManualClock) -> None:
        """An empty store means the user must log in."""
        auth = user_token(transport, clock, store=MemoryTokenStore(), token=None)
        with pytest.raises(AuthError, match="log in"):
            await auth.authorization()

    async def test_signed_out_never_refreshes(
        self, transport: StubTransport, clock: ManualClock
    ) -> None:
        """After sign-out a 401 is final."""
        auth = user_token(transport, clock)
        used = await auth.authorization()
        notify_sign_out(auth)
        assert (False, 0) == (await auth.on_unauthorized(used), len(transport.calls))

    def test_validation(self) -> None:
        """Contradictory or missing arguments are rejected before any request."""
        token = OAuthToken(access_token="a", refresh_token="r")
        with pytest.raises(InvalidArgument):
            RefreshingToken(client_id=CLIENT_ID)
        with pytest.raises(InvalidArgument):
            RefreshingToken(token, "r", client_id=CLIENT_ID)
        with pytest.raises(InvalidArgument):
            RefreshingToken(" ", client_id=CLIENT_ID)
        with pytest.raises(InvalidArgument):
            RefreshingToken(OAuthToken(refresh_token="r"), client_id=CLIENT_ID)
        with pytest.raises(InvalidArgument):
            RefreshingToken(token, client_id="")


class TestAuthorizationCodeFlow:
    """Code + PKCE: the authorize URL, the state check and the code exchange."""

    def flow(self) -> AuthorizationCodeFlow:
        return AuthorizationCodeFlow(
            CLIENT_ID,
            CLIENT_SECRET,
            "https://app.example/callback",
            authorize_url="https://auth.example/authorize",
            token_url=TOKEN_URL,
        )

    def test_authorize_url(self) -> None:
        """The URL carries response_type=code, the state and an S256 challenge of the verifier."""
        request = self.flow().start(scope="*")
        parts = urlsplit(request.url)
        query = dict(parse_qsl(parts.query))
        digest = hashlib.sha256(request.code_verifier.encode()).digest()
        challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        assert "https://auth.example/authorize" == f"{parts.scheme}://{parts.netloc}{parts.path}"
        assert {
            "client_id": CLIENT_ID,
            "redirect_uri": "https://app.example/callback",
            "response_type": "code",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "state": request.state,
            "scope": "*",
        } == query

    def test_verifier_and_state(self) -> None:
        """The verifier is 43-128 unreserved characters; state and verifier are fresh each time."""
        first, second = self.flow().start(), self.flow().start()
        assert re.fullmatch(r"[A-Za-z0-9\-._~]{43,128}", first.code_verifier)
        assert (True, True) == (
            first.state != second.state,
            first.code_verifier != second.code_verifier,
        )
        assert "scope" not in dict(parse_qsl(urlsplit(first.url).query))

    async def test_exchange(self, transport: StubTransport) -> None:
        """A matching state leads to an authorization_code grant with the verifier."""
        request = self.flow().start()
        token = await self.flow().exchange(
            transport,  # type: ignore[arg-type]
            code="SECRET-code",
            state=request.state,
            expected_state=request.state,
            code_verifier=request.code_verifier,
        )
        assert ("SECRET-at-1", "SECRET-rt-1") == (token.access_token, token.refresh_token)
        assert {
            "grant_type": "authorization_code",
            "code": "SECRET-code",
            "redirect_uri": "https://app.example/callback",
            "code_verifier": request.code_verifier,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        } == transport.calls[0].form

    @pytest.mark.parametrize("state", [None, "", "wrong"])
    async def test_state_mismatch(self, transport: StubTransport, state: str | None) -> None:
        """A missing or wrong state is an AuthError and nothing is sent."""
        request = self.flow().start()
        with pytest.raises(AuthError, match="state"):
            await self.flow().exchange(
                transport,  # type: ignore[arg-type]
                code="SECRET-code",
                state=state,
                expected_state=request.state,
                code_verifier=request.code_verifier,
            )
        assert [] == transport.calls

    async def test_missing_code(self, transport: StubTransport) -> None:
        """A callback without a code is an AuthError."""
        with pytest.raises(AuthError, match="no authorization code"):
            await self.flow().exchange(
                transport,  # type: ignore[arg-type]
                code=None,
                state="s",
                expected_state="s",
                code_verifier="v" * 43,
            )

    async def test_rejected_code(self, transport: StubTransport) -> None:
        """The server's invalid_grant becomes an AuthError with its description."""
        transport.script.append(
            oauth_rejection(400, "invalid_grant", "code_verifier does not match the challenge")
        )
        with pytest.raises(AuthError, match="code_verifier does not match"):
            await self.flow().exchange(
                transport,  # type: ignore[arg-type]
                code="SECRET-code",
                state="s",
                expected_state="s",
                code_verifier="v" * 43,
            )

    async def test_answer_without_access_token(self, transport: StubTransport) -> None:
        """A token answer without an access_token is an AuthError."""
        transport.script.append({"error": None})
        with pytest.raises(AuthError, match="without an access_token"):
            await self.flow().exchange(
                transport,  # type: ignore[arg-type]
                code="c",
                state="s",
                expected_state="s",
                code_verifier="v" * 43,
            )

    def test_refreshing(self) -> None:
        """refreshing() builds a RefreshingToken with the flow's app, token URL and
        redirect_uri."""
        token = OAuthToken(access_token="a", refresh_token="r", expires_in=3600)
        auth = self.flow().refreshing(token)
        assert (TOKEN_URL, token, "https://app.example/callback") == (
            auth.token_url,
            auth.token,
            auth.redirect_uri,
        )


class TestPlainHttp:
    """Token, authorize and redirect URLs refuse plain http to another machine (issue 11)."""

    INSECURE = "http://auth.example/oauth/token"

    def test_client_credentials(self) -> None:
        """The client secret never goes to a plain-http token endpoint unasked."""
        with pytest.raises(InvalidArgument, match=r"token_url.*allow_insecure_http"):
            ClientCredentials(CLIENT_ID, CLIENT_SECRET, token_url=self.INSECURE)
        cc = ClientCredentials(
            CLIENT_ID, CLIENT_SECRET, token_url=self.INSECURE, allow_insecure_http=True
        )
        assert self.INSECURE == cc.token_url

    def test_refreshing_token(self) -> None:
        """Nor does a refresh token."""
        with pytest.raises(InvalidArgument, match="token_url"):
            RefreshingToken("at", "rt", client_id=CLIENT_ID, token_url=self.INSECURE)
        ok = RefreshingToken(
            "at", "rt", client_id=CLIENT_ID, token_url=self.INSECURE, allow_insecure_http=True
        )
        assert self.INSECURE == ok.token_url

    @pytest.mark.parametrize(
        ("name", "kwargs"),
        [
            ("token_url", {"token_url": "http://auth.example/oauth/token"}),
            ("authorize_url", {"authorize_url": "http://auth.example/authorize"}),
            ("redirect_uri", {"redirect_uri": "http://app.example/callback"}),
        ],
    )
    def test_authorization_code_flow(self, name: str, kwargs: dict[str, str]) -> None:
        """Each URL of the code flow is checked; the opt-in carries to refreshing()."""
        args: dict[str, Any] = {"redirect_uri": "https://app.example/callback", **kwargs}
        with pytest.raises(InvalidArgument, match=name):
            AuthorizationCodeFlow(CLIENT_ID, CLIENT_SECRET, **args)
        flow = AuthorizationCodeFlow(CLIENT_ID, CLIENT_SECRET, allow_insecure_http=True, **args)
        token = OAuthToken(access_token="at", refresh_token="rt", expires_in=3600)
        assert flow.token_url == flow.refreshing(token).token_url

    @pytest.mark.parametrize(
        "url",
        [
            "http://127.0.0.1:8080/oauth/token",
            "http://localhost/oauth/token",
            "http://[::1]:9/oauth/token",
            "https://auth.example/oauth/token",
        ],
    )
    def test_loopback_and_https(self, url: str) -> None:
        """A local fake auth server or https needs no opt-in."""
        flow = AuthorizationCodeFlow(
            CLIENT_ID, None, "http://localhost:8000/cb", authorize_url=url, token_url=url
        )
        assert url == flow.token_url
        assert url == ClientCredentials(CLIENT_ID, CLIENT_SECRET, token_url=url).token_url

    def test_custom_scheme_redirect(self) -> None:
        """A native app's custom-scheme redirect_uri is not http: accepted."""
        assert AuthorizationCodeFlow(CLIENT_ID, None, "myapp://callback").redirect_uri


class TestTokenStores:
    """The built-in stores: expiry counts down across save and load."""

    async def test_memory_store_counts_down(self) -> None:
        """A token loaded later has less time left."""
        now = [100.0]
        store = MemoryTokenStore(wall_clock=lambda: now[0])
        assert None is await store.load()
        await store.save(OAuthToken(access_token="a", expires_in=3600))
        now[0] += 600
        loaded = await store.load()
        assert 3000 == (loaded and loaded.expires_in)

    async def test_json_file_round_trip(self, tmp_path: Path) -> None:
        """The file store writes mode 0600 and loads what it saved, with expiry counted down."""
        now = [1_000_000.0]
        path = tmp_path / "sub" / "token.json"
        store = JSONFileTokenStore(path, wall_clock=lambda: now[0])
        assert None is await store.load()
        token = OAuthToken(
            access_token="SECRET-a",
            refresh_token="SECRET-r",
            expires_in=3599,
            scope="*",
            token_type="bearer",
        )
        await store.save(token)
        now[0] += 599
        loaded = await store.load()
        assert attrs.evolve(token, expires_in=3000) == loaded
        assert 0o600 == stat.S_IMODE(path.stat().st_mode)
        assert [path.name] == os.listdir(path.parent)

    async def test_json_file_replaces_atomically(self, tmp_path: Path) -> None:
        """A second save replaces the file; no temporary file is left behind."""
        path = tmp_path / "token.json"
        store = JSONFileTokenStore(path)
        await store.save(OAuthToken(access_token="one"))
        await store.save(OAuthToken(access_token="two", refresh_token="r"))
        loaded = await store.load()
        assert ("two", ["token.json"]) == (loaded and loaded.access_token, os.listdir(tmp_path))

    async def test_json_file_corrupt(self, tmp_path: Path) -> None:
        """A corrupt file is an AuthError that names the file, not its content."""
        path = tmp_path / "token.json"
        path.write_text('{"access_token": "SECRET-half')
        with pytest.raises(AuthError, match="not valid JSON") as info:
            await JSONFileTokenStore(path).load()
        assert "SECRET" not in str(info.value)


class TestSecrets:
    """No secret reaches a repr, a str, an error message or a log line."""

    async def test_reprs(
        self, transport: StubTransport, clock: ManualClock, tmp_path: Path
    ) -> None:
        """Auth objects, tokens, stores and requests mask every secret."""
        cc = credentials(transport, clock)
        await cc.authorization()
        user = user_token(transport, clock)
        request = AuthorizationCodeFlow(CLIENT_ID, CLIENT_SECRET, "https://app.example/cb").start()
        store = MemoryTokenStore(OAuthToken(access_token="SECRET-m"))
        objects: list[object] = [
            cc,
            user,
            request,
            store,
            cc.token,
            user.token,
            StaticToken("SECRET-static"),
            AuthorizationCodeFlow(CLIENT_ID, CLIENT_SECRET, "https://app.example/cb"),
            JSONFileTokenStore(tmp_path / "t.json"),
        ]
        shown = " ".join(repr(o) + str(o) for o in objects)
        assert [] == [s for s in ("SECRET", request.state, request.code_verifier) if s in shown]

    async def test_logs(
        self, transport: StubTransport, clock: ManualClock, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Exchanges, refreshes, 429s and rejections log nothing secret at DEBUG."""
        caplog.set_level(logging.DEBUG, logger="soundcloud_async")
        cc = credentials(transport, clock)
        await cc.authorization()
        user = user_token(transport, clock)
        await clock.advance(3600)
        await user.authorization()
        transport.script.extend(
            [rate_limited(), oauth_rejection(400, "invalid_grant", "already used")]
        )
        with pytest.raises(RateLimited):
            await cc.authorization()
        with pytest.raises(AuthError):
            await user.on_unauthorized(await user.authorization())
        assert caplog.records
        assert "SECRET" not in caplog.text
