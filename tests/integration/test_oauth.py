"""OAuth 2.1 end to end: the real client over TCP against FakeSoundCloud's auth server."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import aiohttp
import pytest

from soundcloud_async import (
    RetryPolicy,
    SoundCloud,
    StaticToken,
    TokenBucket,
    Unauthorized,
    Unlimited,
)
from soundcloud_async._auth import (
    AuthorizationCodeFlow,
    AuthorizationRequest,
    ClientCredentials,
    MemoryTokenStore,
    RefreshingToken,
)
from soundcloud_async._errors import AuthError, ClientStateError, RateLimited
from soundcloud_async.models.auth import OAuthToken
from soundcloud_async.testing import Budget, FakeSoundCloud, ManualClock

pytestmark = pytest.mark.integration

REDIRECT_URI = "https://app.example/callback"
LIFETIME = 600


@pytest.fixture
def clock() -> ManualClock:
    """One injected clock for the fake's token expiry and the client's auth."""
    return ManualClock(1000.0)


@pytest.fixture
async def timed_fake(clock: ManualClock) -> AsyncIterator[FakeSoundCloud]:
    """A fake whose tokens live LIFETIME seconds by the injected clock."""
    async with FakeSoundCloud(seed=1, token_lifetime=LIFETIME, clock=clock.now) as server:
        yield server


def client(fake: FakeSoundCloud, auth: Any = None, **kwargs: Any) -> SoundCloud:
    kwargs.setdefault("rate_limiter", Unlimited())
    if isinstance(auth, str):
        auth = StaticToken(auth)
    return SoundCloud(auth=auth, base_url=fake.base_url, retry=RetryPolicy(wait=False), **kwargs)


def app_auth(fake: FakeSoundCloud, clock: ManualClock | None = None) -> ClientCredentials:
    if clock is None:
        return ClientCredentials(
            fake.client_id, fake.client_secret, token_url=fake.url("/oauth/token")
        )
    return ClientCredentials(
        fake.client_id, fake.client_secret, token_url=fake.url("/oauth/token"), clock=clock.now
    )


def code_flow(fake: FakeSoundCloud) -> AuthorizationCodeFlow:
    return AuthorizationCodeFlow(
        fake.client_id,
        fake.client_secret,
        REDIRECT_URI,
        authorize_url=fake.url("/authorize"),
        token_url=fake.url("/oauth/token"),
    )


async def authorize(request: AuthorizationRequest) -> dict[str, str]:
    """Play the browser: GET the authorize URL and read code and state from its 302."""
    async with (
        aiohttp.ClientSession() as session,
        session.get(request.url, allow_redirects=False) as resp,
    ):
        assert 302 == resp.status
        location = resp.headers["Location"]
    assert location.startswith(REDIRECT_URI)
    return dict(parse_qsl(urlsplit(location).query))


def user_auth(
    fake: FakeSoundCloud, tokens: dict[str, Any], clock: ManualClock, **kwargs: Any
) -> RefreshingToken:
    return RefreshingToken(
        OAuthToken(
            access_token=tokens["access_token"],
            refresh_token=tokens["refresh_token"],
            expires_in=tokens["expires_in"],
        ),
        client_id=fake.client_id,
        client_secret=fake.client_secret,
        token_url=fake.url("/oauth/token"),
        clock=clock.now,
        **kwargs,
    )


class TestClientCredentials:
    """The app token against the fake's client_credentials grant."""

    async def test_one_exchange_for_many_requests(self, fake: FakeSoundCloud) -> None:
        """Twenty requests, one token exchange."""
        async with client(fake, app_auth(fake)) as sc:
            for _ in range(20):
                await sc.users.get(fake.world.user_urn(0))
        assert (1, 20) == (fake.count("POST", "/oauth/token"), fake.count("GET", "/users/*"))

    async def test_replaced_near_expiry(
        self, timed_fake: FakeSoundCloud, clock: ManualClock
    ) -> None:
        """Shortly before expires_in runs out, a new token is exchanged; no request fails."""
        async with client(timed_fake, app_auth(timed_fake, clock)) as sc:
            await sc.users.get(timed_fake.world.user_urn(0))
            await clock.advance(LIFETIME - 61)
            await sc.users.get(timed_fake.world.user_urn(0))
            assert 1 == timed_fake.count("POST", "/oauth/token")
            await clock.advance(1)
            await sc.users.get(timed_fake.world.user_urn(0))
        assert (2, 0) == (
            timed_fake.count("POST", "/oauth/token"),
            timed_fake.counters.unauthorized,
        )

    async def test_100_concurrent_first_requests(self, fake: FakeSoundCloud) -> None:
        """100 concurrent first requests share exactly one exchange."""
        async with client(fake, app_auth(fake)) as sc:
            users = await asyncio.gather(
                *(sc.users.get(fake.world.user_urn(i % 10)) for i in range(100))
            )
        assert (100, 1) == (len(users), fake.count("POST", "/oauth/token"))

    async def test_429_from_token_endpoint_surfaces_at_once(self, clock: ManualClock) -> None:
        """A 429 on the exchange raises RateLimited after one request, and is not hammered."""
        budget = Budget(1, 3600.0)
        async with FakeSoundCloud(
            seed=1,
            token_lifetime=LIFETIME,
            clock=clock.now,
            rate_limits={"client-credentials-exchange": budget},
        ) as fake:
            async with client(fake, app_auth(fake, clock)) as sc:
                await sc.users.get(fake.world.user_urn(0))
                await clock.advance(LIFETIME)
                with pytest.raises(RateLimited) as info:
                    await sc.users.get(fake.world.user_urn(0))
                with pytest.raises(RateLimited):
                    await sc.users.get(fake.world.user_urn(0))
            assert ("client-credentials-exchange", 2, 1) == (
                info.value.group,
                fake.count("POST", "/oauth/token"),
                fake.counters.rate_limited,
            )

    async def test_401_exchanges_once_and_retries_once(self, fake: FakeSoundCloud) -> None:
        """A revoked app token is replaced after the 401 and the request retried once."""
        auth = app_auth(fake)
        async with client(fake, auth) as sc:
            await sc.users.get(fake.world.user_urn(0))
            assert auth.token is not None
            assert auth.token.access_token is not None
            fake.oauth.revoke(auth.token.access_token)
            await sc.users.get(fake.world.user_urn(0))
        assert (2, 1, 3) == (
            fake.count("POST", "/oauth/token"),
            fake.counters.unauthorized,
            fake.count("GET", "/users/*"),
        )

    async def test_wrong_secret(self, fake: FakeSoundCloud) -> None:
        """A wrong client secret is an AuthError naming invalid_client."""
        auth = ClientCredentials(fake.client_id, "SECRET-wrong", token_url=fake.url("/oauth/token"))
        async with client(fake, auth) as sc:
            with pytest.raises(AuthError, match="invalid_client") as info:
                await sc.users.get(fake.world.user_urn(0))
        assert "SECRET-wrong" not in str(info.value)


class TestAuthorizationCode:
    """Code + PKCE through the fake's /authorize and /oauth/token."""

    async def test_end_to_end(self, fake: FakeSoundCloud) -> None:
        """start, authorize, verify state, exchange: the token acts as the user."""
        flow = code_flow(fake)
        request = flow.start()
        callback = await authorize(request)
        async with client(fake) as sc:
            token = await flow.exchange(
                sc,
                code=callback["code"],
                state=callback["state"],
                expected_state=request.state,
                code_verifier=request.code_verifier,
            )
            async with sc.with_auth(flow.refreshing(token)) as user_sc:
                me = await user_sc.me.get()
        assert (fake.oauth.default_user_urn, True) == (me.urn, bool(token.refresh_token))

    async def test_refresh_carries_the_flows_redirect_uri(
        self, timed_fake: FakeSoundCloud, clock: ManualClock
    ) -> None:
        """The flow's refresh sends its redirect_uri (the fake checks it): a token bound
        to another redirect_uri is refused, the flow's own refreshes."""
        flow = code_flow(timed_fake)
        request = flow.start()
        callback = await authorize(request)
        async with client(timed_fake) as sc:
            token = await flow.exchange(
                sc,
                code=callback["code"],
                state=callback["state"],
                expected_state=request.state,
                code_verifier=request.code_verifier,
            )
            elsewhere = RefreshingToken(
                token,
                client_id=timed_fake.client_id,
                client_secret=timed_fake.client_secret,
                token_url=timed_fake.url("/oauth/token"),
                redirect_uri="https://elsewhere.example/callback",
                clock=clock.now,
            )
            await clock.advance(LIFETIME)
            async with sc.with_auth(elsewhere) as wrong_sc:
                with pytest.raises(AuthError, match="redirect_uri does not match"):
                    await wrong_sc.me.get()
            async with sc.with_auth(flow.refreshing(token, clock=clock.now)) as user_sc:
                me = await user_sc.me.get()
        assert (timed_fake.oauth.default_user_urn, 1) == (me.urn, timed_fake.counters.refreshes)

    async def test_wrong_state_rejected(self, fake: FakeSoundCloud) -> None:
        """A callback whose state is not ours is refused before any token request."""
        flow = code_flow(fake)
        request, other = flow.start(), flow.start()
        callback = await authorize(other)
        async with client(fake) as sc:
            with pytest.raises(AuthError, match="state"):
                await flow.exchange(
                    sc,
                    code=callback["code"],
                    state=callback["state"],
                    expected_state=request.state,
                    code_verifier=request.code_verifier,
                )
        assert 0 == fake.count("POST", "/oauth/token")

    async def test_wrong_verifier_rejected_by_server(self, fake: FakeSoundCloud) -> None:
        """The server refuses a verifier that does not match the challenge: a clear AuthError."""
        flow = code_flow(fake)
        request, other = flow.start(), flow.start()
        callback = await authorize(request)
        async with client(fake) as sc:
            with pytest.raises(AuthError, match="code_verifier does not match") as info:
                await flow.exchange(
                    sc,
                    code=callback["code"],
                    state=callback["state"],
                    expected_state=request.state,
                    code_verifier=other.code_verifier,
                )
        assert callback["code"] not in str(info.value)
        assert other.code_verifier not in str(info.value)

    async def test_code_is_single_use(self, fake: FakeSoundCloud) -> None:
        """Exchanging the same code twice fails the second time."""
        flow = code_flow(fake)
        request = flow.start()
        callback = await authorize(request)
        async with client(fake) as sc:
            kwargs = {
                "code": callback["code"],
                "state": callback["state"],
                "expected_state": request.state,
                "code_verifier": request.code_verifier,
            }
            await flow.exchange(sc, **kwargs)
            with pytest.raises(AuthError, match="invalid_grant"):
                await flow.exchange(sc, **kwargs)

    async def test_exchange_needs_an_open_client(self, fake: FakeSoundCloud) -> None:
        """An unopened client is a ClientStateError, not a hang."""
        with pytest.raises(ClientStateError):
            await code_flow(fake).exchange(
                client(fake), code="c", state="s", expected_state="s", code_verifier="v" * 43
            )


class TestRefresh:
    """Refresh with single-use rotation against the fake."""

    async def test_concurrent_expiries_one_refresh(
        self, timed_fake: FakeSoundCloud, clock: ManualClock
    ) -> None:
        """Fifty requests after expiry trigger one refresh; the rotated token reaches the app."""
        handed: list[OAuthToken] = []
        store = MemoryTokenStore()
        tokens = timed_fake.issue_tokens()
        auth = user_auth(timed_fake, tokens, clock, on_refresh=handed.append, store=store)
        async with client(timed_fake, auth) as sc:
            await clock.advance(LIFETIME)
            results = await asyncio.gather(*(sc.me.get() for _ in range(50)))
        assert (50, 1, 0) == (
            len(results),
            timed_fake.counters.refreshes,
            timed_fake.counters.unauthorized,
        )
        assert 1 == len(handed)
        new_refresh = handed[0].refresh_token
        assert (True, new_refresh) == (
            new_refresh not in (None, tokens["refresh_token"]),
            store.token and store.token.refresh_token,
        )

    async def test_concurrent_401s_one_refresh_and_one_retry(
        self, timed_fake: FakeSoundCloud, clock: ManualClock
    ) -> None:
        """When the server refuses a token the client thought fresh, 401s collapse into one
        refresh and each request is retried once."""
        tokens = timed_fake.issue_tokens(expires_in=10)
        auth = RefreshingToken(
            tokens["access_token"],
            tokens["refresh_token"],  # no expires_in: the client cannot see it coming
            client_id=timed_fake.client_id,
            client_secret=timed_fake.client_secret,
            token_url=timed_fake.url("/oauth/token"),
            clock=clock.now,
        )
        async with client(timed_fake, auth) as sc:
            await clock.advance(10)
            results = await asyncio.gather(*(sc.me.get() for _ in range(20)))
        assert (20, 1, 20, 40) == (
            len(results),
            timed_fake.counters.refreshes,
            timed_fake.counters.unauthorized,
            timed_fake.count("GET", "/me"),
        )

    async def test_reused_refresh_token_fails(
        self, timed_fake: FakeSoundCloud, clock: ManualClock
    ) -> None:
        """A second holder of an already rotated refresh token gets AuthError, once."""
        tokens = timed_fake.issue_tokens()
        first = user_auth(timed_fake, tokens, clock)
        stale = user_auth(timed_fake, tokens, clock)
        async with client(timed_fake, first) as sc, sc.with_auth(stale) as stale_sc:
            await clock.advance(LIFETIME)
            await sc.me.get()
            with pytest.raises(AuthError, match="log in again"):
                await stale_sc.me.get()
            with pytest.raises(AuthError, match="log in again"):
                await stale_sc.me.get()
        assert (2, 1) == (
            timed_fake.count("POST", "/oauth/token"),
            timed_fake.counters.refreshes,
        )

    async def test_store_token_survives_restart(
        self, timed_fake: FakeSoundCloud, clock: ManualClock
    ) -> None:
        """A new process loading the store after a rotation uses the rotated tokens."""
        store = MemoryTokenStore(wall_clock=clock.now)
        await store.save(OAuthToken(**timed_fake.issue_tokens()))
        common = {
            "client_id": timed_fake.client_id,
            "client_secret": timed_fake.client_secret,
            "token_url": timed_fake.url("/oauth/token"),
            "store": store,
            "clock": clock.now,
        }
        async with client(timed_fake, RefreshingToken(**common)) as sc:
            await clock.advance(LIFETIME)
            await sc.me.get()
        async with client(timed_fake, RefreshingToken(**common)) as sc:
            await clock.advance(LIFETIME)
            await sc.me.get()
        assert (2, 0) == (timed_fake.counters.refreshes, timed_fake.counters.unauthorized)


class TestPerUserClients:
    """Many users through one app client: one pool, one budget."""

    async def test_one_pool_one_budget(self, fake: FakeSoundCloud, clock: ManualClock) -> None:
        """Each user's view acts as that user, on the parent's session and limiter."""
        bucket = TokenBucket(10_000.0, burst=10_000.0)
        urns = [fake.world.user_urn(i) for i in range(5)]
        auths = {urn: user_auth(fake, fake.issue_tokens(user_urn=urn), clock) for urn in urns}
        async with client(fake, app_auth(fake), rate_limiter=bucket) as sc:
            await sc.users.get(urns[0])

            async def act(urn: str) -> tuple[str | None, bool, bool]:
                async with sc.with_auth(auths[urn]) as user_sc:
                    me = await user_sc.me.get()
                    await user_sc.users.get(urns[0])
                    return (
                        me.urn,
                        user_sc._transport.session is sc._transport.session,
                        user_sc.rate_limiter is sc.rate_limiter,
                    )

            seen = await asyncio.gather(*(act(urn) for urn in urns for _ in range(3)))
            parent_stats = sc.stats.requests
        assert [(urn, True, True) for urn in urns for _ in range(3)] == seen
        # 1 exchange + 1 app request + 15 views x 2 requests, all on one bucket and one tally.
        assert (32, 32, 32) == (bucket.acquired, parent_stats, fake.counters.requests)

    async def test_view_needs_an_open_parent(self, fake: FakeSoundCloud) -> None:
        """with_auth() on an unopened client is a ClientStateError."""
        with pytest.raises(ClientStateError):
            client(fake).with_auth("token")

    async def test_closing_a_view_keeps_the_pool(self, fake: FakeSoundCloud) -> None:
        """The parent keeps working after a view closes."""
        async with client(fake, fake.issue_token()) as sc:
            async with sc.with_auth(fake.issue_token()) as view:
                await view.me.get()
            await sc.me.get()
            assert False is sc._transport.session.closed


class TestSignOut:
    """POST /sign-out ends the token's session."""

    async def test_static_token_unusable(self, sc: SoundCloud) -> None:
        """After sign_out() the next call is Unauthorized."""
        await sc.me.get()
        await sc.sign_out()
        with pytest.raises(Unauthorized):
            await sc.me.get()

    async def test_refreshing_token_does_not_refresh_back_in(
        self, fake: FakeSoundCloud, clock: ManualClock
    ) -> None:
        """A signed-out RefreshingToken surfaces Unauthorized without a refresh."""
        async with client(fake, user_auth(fake, fake.issue_tokens(), clock)) as sc:
            await sc.sign_out()
            with pytest.raises(Unauthorized):
                await sc.me.get()
        assert (0, 1) == (fake.count("POST", "/oauth/token"), fake.count("POST", "/sign-out"))


class TestNoSecrets:
    """Secrets stay out of reprs, errors and DEBUG logs over the whole flow."""

    async def test_flow_logs_and_reprs(
        self,
        timed_fake: FakeSoundCloud,
        clock: ManualClock,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        """Code flow, refresh, a rejected refresh and a 401: no secret anywhere."""
        caplog.set_level(logging.DEBUG)
        flow = code_flow(timed_fake)
        request = flow.start()
        callback = await authorize(request)
        cc = app_auth(timed_fake, clock)
        errors: list[BaseException] = []
        async with client(timed_fake, cc) as sc:
            await sc.users.get(timed_fake.world.user_urn(0))
            token = await flow.exchange(
                sc,
                code=callback["code"],
                state=callback["state"],
                expected_state=request.state,
                code_verifier=request.code_verifier,
            )
            auth = flow.refreshing(token, clock=clock.now)
            stale = flow.refreshing(token, clock=clock.now)
            async with sc.with_auth(auth) as user_sc, sc.with_auth(stale) as stale_sc:
                await clock.advance(LIFETIME)
                await user_sc.me.get()
                try:
                    await stale_sc.me.get()
                except AuthError as exc:
                    errors.append(exc)
                await user_sc.sign_out()
                try:
                    await user_sc.me.get()
                except Unauthorized as exc:
                    errors.append(exc)
            secrets = [
                timed_fake.client_secret,
                request.state,
                request.code_verifier,
                callback["code"],
                token.access_token,
                token.refresh_token,
                auth.token and auth.token.access_token,
                auth.token and auth.token.refresh_token,
                cc.token and cc.token.access_token,
            ]
            shown = [
                repr(o) + str(o) for o in (sc, cc, auth, stale, flow, request, token, auth.token)
            ]
        shown += [repr(e) + str(e) + repr(e.__cause__) + str(e.__cause__) for e in errors]
        assert 2 == len(errors)
        text = caplog.text + " ".join(shown)
        assert [] == [s for s in secrets if s and s in text]
