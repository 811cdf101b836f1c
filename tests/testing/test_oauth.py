"""OAuth 2.1 on the fake: token grants, PKCE, rotation, expiry, sign-out, the auth middleware."""

from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest

from soundcloud_async.testing import FakeSoundCloud, ManualClock

from .conftest import basic, bearer, get_json

REDIRECT = "https://app.example/callback"


def pkce() -> tuple[str, str]:
    """A fresh ``(verifier, S256 challenge)`` pair."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


async def post_token(
    http: aiohttp.ClientSession,
    fake: FakeSoundCloud,
    form: dict[str, str],
    *,
    basic_auth: bool = True,
) -> tuple[int, dict[str, object]]:
    headers = basic(fake.client_id, fake.client_secret) if basic_auth else {}
    async with http.post(fake.url("/oauth/token"), data=form, headers=headers) as resp:
        return resp.status, await resp.json()


async def authorize(
    http: aiohttp.ClientSession, fake: FakeSoundCloud, challenge: str, **extra: str
) -> aiohttp.ClientResponse:
    params = {
        "client_id": fake.client_id,
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "state": "st-1",
        **extra,
    }
    params = {k: v for k, v in params.items() if v}
    async with http.get(fake.url("/authorize"), params=params, allow_redirects=False) as resp:
        await resp.read()
        return resp


async def code_flow(http: aiohttp.ClientSession, fake: FakeSoundCloud) -> dict[str, object]:
    verifier, challenge = pkce()
    resp = await authorize(http, fake, challenge)
    code = parse_qs(urlsplit(resp.headers["Location"]).query)["code"][0]
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "code_verifier": verifier,
    }
    status, body = await post_token(http, fake, form)
    assert 200 == status
    return body


class TestClientCredentials:
    async def test_basic_auth_exchange_returns_a_full_token_response(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession
    ) -> None:
        """A client-credentials exchange answers every field of the real token response."""
        status, body = await post_token(http, fake, {"grant_type": "client_credentials"})
        assert 200 == status
        expected = {"access_token", "expires_in", "refresh_token", "scope", "token_type"}
        assert expected == set(body)
        assert 3599 == body["expires_in"]

    async def test_token_has_no_user(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession
    ) -> None:
        """A client-credentials token authenticates the app, not a user."""
        _, body = await post_token(http, fake, {"grant_type": "client_credentials"})
        status, me = await get_json(
            http, fake.url("/_stub/echo"), headers=bearer(str(body["access_token"]))
        )
        assert (200, None) == (status, me["user_urn"])

    async def test_form_credentials_are_accepted(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession
    ) -> None:
        """client_id and client_secret may come in the form instead of Basic auth."""
        form = {
            "grant_type": "client_credentials",
            "client_id": fake.client_id,
            "client_secret": fake.client_secret,
        }
        status, _ = await post_token(http, fake, form, basic_auth=False)
        assert 200 == status

    async def test_wrong_secret_is_invalid_client(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession
    ) -> None:
        """A wrong secret answers 401 invalid_client."""
        headers = basic(fake.client_id, "nope")
        data = {"grant_type": "client_credentials"}
        async with http.post(fake.url("/oauth/token"), data=data, headers=headers) as resp:
            assert (401, "invalid_client") == (resp.status, (await resp.json())["error"])

    async def test_unknown_grant_is_unsupported(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession
    ) -> None:
        """An unknown grant type answers 400 unsupported_grant_type."""
        status, body = await post_token(http, fake, {"grant_type": "password"})
        assert (400, "unsupported_grant_type") == (status, body["error"])

    async def test_undecodable_form_is_invalid_request(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession
    ) -> None:
        """A form body that is not UTF-8 answers 400 invalid_request, not a 500."""
        headers = {
            **basic(fake.client_id, fake.client_secret),
            "Content-Type": "application/x-www-form-urlencoded",
        }
        body = b"grant_type=client_credentials&x=\xff\xfe"
        async with http.post(fake.url("/oauth/token"), data=body, headers=headers) as resp:
            assert (400, "invalid_request") == (resp.status, (await resp.json())["error"])

    async def test_secret_is_not_in_repr(self, fake: FakeSoundCloud) -> None:
        """Neither the fake's nor its auth server's repr shows the client secret."""
        assert fake.client_secret not in repr(fake) + repr(fake.oauth)


class TestAuthorizationCode:
    async def test_authorize_redirects_with_code_and_state(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession
    ) -> None:
        """/authorize answers 302 to the redirect URI with a code and the state."""
        resp = await authorize(http, fake, pkce()[1])
        location = urlsplit(resp.headers["Location"])
        query = parse_qs(location.query)
        assert 302 == resp.status
        assert (
            "https://app.example/callback"
            == f"{location.scheme}://{location.netloc}{location.path}"
        )
        assert ["st-1"] == query["state"]
        assert 1 == len(query["code"])

    @pytest.mark.parametrize(
        "override",
        [{"state": ""}, {"code_challenge_method": "plain"}, {"code_challenge": ""}],
    )
    async def test_authorize_requires_pkce_and_state(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession, override: dict[str, str]
    ) -> None:
        """Without S256 PKCE or state, /authorize answers 400."""
        resp = await authorize(http, fake, pkce()[1], **override)
        assert 400 == resp.status

    async def test_code_flow_gives_a_user_token(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession
    ) -> None:
        """The code + verifier exchange gives a token of the test user."""
        body = await code_flow(http, fake)
        _, me = await get_json(
            http, fake.url("/_stub/echo"), headers=bearer(str(body["access_token"]))
        )
        assert fake.oauth.default_user_urn == me["user_urn"]

    async def test_wrong_verifier_is_invalid_grant(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession
    ) -> None:
        """A verifier that does not hash to the challenge answers invalid_grant."""
        _, challenge = pkce()
        resp = await authorize(http, fake, challenge)
        code = parse_qs(urlsplit(resp.headers["Location"]).query)["code"][0]
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": pkce()[0],
        }
        status, body = await post_token(http, fake, form)
        assert (400, "invalid_grant") == (status, body["error"])

    async def test_redirect_uri_must_match(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession
    ) -> None:
        """The token request's redirect_uri must be the one given to /authorize."""
        verifier, challenge = pkce()
        resp = await authorize(http, fake, challenge)
        code = parse_qs(urlsplit(resp.headers["Location"]).query)["code"][0]
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": "https://elsewhere.example/cb",
            "code_verifier": verifier,
        }
        status, body = await post_token(http, fake, form)
        assert (400, "invalid_grant") == (status, body["error"])

    async def test_code_is_single_use(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession
    ) -> None:
        """A code exchanged once cannot be exchanged again."""
        verifier, challenge = pkce()
        resp = await authorize(http, fake, challenge)
        code = parse_qs(urlsplit(resp.headers["Location"]).query)["code"][0]
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        }
        first, _ = await post_token(http, fake, form)
        second, body = await post_token(http, fake, form)
        assert (200, 400, "invalid_grant") == (first, second, body["error"])


class TestRefresh:
    async def test_refresh_rotates_the_refresh_token(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession
    ) -> None:
        """A refresh returns a new access token and a new refresh token."""
        old = await code_flow(http, fake)
        form = {"grant_type": "refresh_token", "refresh_token": str(old["refresh_token"])}
        status, new = await post_token(http, fake, form)
        assert 200 == status
        assert old["refresh_token"] != new["refresh_token"]
        assert old["access_token"] != new["access_token"]
        assert 1 == fake.counters.refreshes

    async def test_reusing_a_refresh_token_is_invalid_grant(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession
    ) -> None:
        """A refresh token works once; reusing it answers 400 invalid_grant like the spec."""
        old = await code_flow(http, fake)
        form = {"grant_type": "refresh_token", "refresh_token": str(old["refresh_token"])}
        await post_token(http, fake, form)
        status, body = await post_token(http, fake, form)
        assert (400, "invalid_grant", "invalid_grant") == (status, body["error"], body["message"])

    async def test_new_refresh_token_keeps_working(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession
    ) -> None:
        """The rotated refresh token can itself be used once."""
        tokens = fake.issue_tokens()
        for _ in range(3):
            form = {"grant_type": "refresh_token", "refresh_token": str(tokens["refresh_token"])}
            status, tokens = await post_token(http, fake, form)
            assert 200 == status

    async def test_refresh_token_of_another_client_is_rejected(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession
    ) -> None:
        """A refresh token is bound to the client it was issued to."""
        tokens = fake.oauth.issue(client_id="someone-else", user_urn=None)
        form = {"grant_type": "refresh_token", "refresh_token": str(tokens["refresh_token"])}
        status, body = await post_token(http, fake, form)
        assert (400, "invalid_grant") == (status, body["error"])


class TestExpiryAndSignOut:
    async def test_access_token_expires_by_the_clock(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession, clock: ManualClock
    ) -> None:
        """An access token is accepted until token_lifetime passes, then answers 401."""
        token = fake.issue_token()
        await clock.advance(3598)
        before, _ = await get_json(http, fake.url("/_stub/echo"), headers=bearer(token))
        await clock.advance(2)
        after, body = await get_json(http, fake.url("/_stub/echo"), headers=bearer(token))
        assert (200, 401, 401) == (before, after, body["code"])

    async def test_issue_token_with_custom_lifetime(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession, clock: ManualClock
    ) -> None:
        """issue_token(expires_in=...) sets that token's lifetime."""
        token = fake.issue_token(expires_in=10)
        await clock.advance(10)
        status, _ = await get_json(http, fake.url("/_stub/echo"), headers=bearer(token))
        assert 401 == status

    async def test_sign_out_kills_access_and_refresh_tokens(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession
    ) -> None:
        """POST /sign-out invalidates the session's access token and refresh token."""
        tokens = fake.issue_tokens()
        headers = bearer(str(tokens["access_token"]))
        async with http.post(fake.url("/sign-out"), headers=headers) as resp:
            assert 200 == resp.status
        status, _ = await get_json(http, fake.url("/_stub/echo"), headers=headers)
        form = {"grant_type": "refresh_token", "refresh_token": str(tokens["refresh_token"])}
        refresh_status, _ = await post_token(http, fake, form)
        assert (401, 400) == (status, refresh_status)

    @pytest.mark.parametrize("path", ["/connect", "/oauth2/token"])
    async def test_retired_endpoints_answer_gone(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession, path: str
    ) -> None:
        """The endpoints retired in 2024 answer 410 with an error body."""
        async with http.post(fake.url(path), data={"grant_type": "client_credentials"}) as resp:
            body = await resp.json()
        assert (410, "endpoint_retired") == (resp.status, body["error_code"])


class TestAuthMiddleware:
    async def test_missing_header_is_401_json(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession
    ) -> None:
        """A request without Authorization answers 401 with the JSON error body."""
        status, body = await get_json(http, fake.url("/_stub/echo"))
        assert (401, 401) == (status, body["code"])

    async def test_bearer_scheme_is_accepted(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession, token: str
    ) -> None:
        """``Authorization: Bearer <token>`` works like ``OAuth <token>``."""
        status, body = await get_json(
            http, fake.url("/_stub/echo"), headers=bearer(token, "Bearer")
        )
        assert (200, fake.client_id) == (status, body["client_id"])

    async def test_unknown_token_is_401(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession
    ) -> None:
        """A token the fake never issued answers 401."""
        status, _ = await get_json(http, fake.url("/_stub/echo"), headers=bearer("made-up"))
        assert 401 == status

    @pytest.mark.parametrize("param", ["client_id", "oauth_token"])
    async def test_query_credentials_are_not_accepted(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession, token: str, param: str
    ) -> None:
        """client_id and oauth_token query parameters authenticate nothing since 2021."""
        value = token if param == "oauth_token" else fake.client_id
        status, _ = await get_json(http, fake.url("/_stub/echo"), params={param: value})
        assert 401 == status

    async def test_consumer_key_works_on_legacy_routes(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession
    ) -> None:
        """A legacy .json route accepts consumer_key as public, user-less access."""
        url = fake.url("/_stub/legacy.json")
        status, body = await get_json(http, url, params={"consumer_key": fake.client_id})
        assert (200, fake.client_id, None) == (status, body["client_id"], body["user_urn"])

    async def test_consumer_key_is_ignored_on_new_routes(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession
    ) -> None:
        """consumer_key does not authenticate a non-legacy route."""
        url = fake.url("/_stub/echo")
        status, _ = await get_json(http, url, params={"consumer_key": fake.client_id})
        assert 401 == status

    async def test_unknown_consumer_key_is_401(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession
    ) -> None:
        """An unknown consumer_key answers 401."""
        url = fake.url("/_stub/legacy.json")
        status, _ = await get_json(http, url, params={"consumer_key": "nobody"})
        assert 401 == status
