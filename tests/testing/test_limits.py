"""Rate limits on the fake: per-client budgets by group, the 429 shapes, the spam rule."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from soundcloud_async.testing import Budget, FakeSoundCloud, ManualClock
from soundcloud_async.testing._limits import (
    DEFAULT_BUDGETS,
    RateLimiter,
    format_reset_time,
    group_of,
    iso_duration,
    too_many_requests,
)
from soundcloud_async.testing._shared import Principal

from .conftest import WALL_OFFSET, basic, bearer

CC = {"grant_type": "client_credentials"}


async def hit(
    http: aiohttp.ClientSession, url: str, token: str, method: str = "GET"
) -> tuple[int, str, dict[str, str]]:
    async with http.request(method, url, headers=bearer(token), allow_redirects=False) as resp:
        return resp.status, await resp.text(), dict(resp.headers)


class TestShapes:
    def test_shape_1_has_rate_limit_metadata(self) -> None:
        """Shape 1 names the group, its budget and window, and the reset time."""
        resp = too_many_requests(1, group="plays", max_requests=15000, window=86400, reset_time="R")
        expected = (
            b'{"errors":[{"meta":{"rate_limit":{"group":"plays","max_nr_of_requests":15000,'
            b'"time_window":"PT24H"},"remaining_requests":0,"reset_time":"R"}}]}'
        )
        assert expected == resp.body

    def test_shape_2_names_the_bucket(self) -> None:
        """Shape 2 carries bucket and name, like the token-exchange 429."""
        resp = too_many_requests(
            2, group="client-credentials-exchange", bucket="by-ip", max_requests=30, window=3600
        )
        assert b'"bucket":"by-ip"' in resp.body  # type: ignore[operator]
        assert b'"name":"client-credentials-exchange"' in resp.body  # type: ignore[operator]
        assert b'"time_window":"PT1H"' in resp.body  # type: ignore[operator]

    @pytest.mark.parametrize(
        ("shape", "body"),
        [
            (4, b'{"error":"rate_limit_exceeded"}'),
            (5, b'{"error":"Rate Limit Exceeded"}'),
            (6, b"Please slow down."),
        ],
    )
    def test_short_shapes(self, shape: Any, body: bytes) -> None:
        """Shapes 4-6 are the bare error strings and the plain-text one."""
        assert (429, body) == (too_many_requests(shape).status, too_many_requests(shape).body)

    def test_shape_7_is_a_spam_warning(self) -> None:
        """Shape 7 carries spam_warning_urn."""
        assert b'"spam_warning_urn":"soundcloud:spam-warnings:1"' in too_many_requests(7).body  # type: ignore[operator]

    def test_retry_after_is_whole_seconds(self) -> None:
        """Retry-After is rounded up to whole seconds, at least 1."""
        assert "3" == too_many_requests(3, retry_after=2.1).headers["Retry-After"]

    def test_no_retry_after_by_default(self) -> None:
        """Like the real API, no Retry-After header unless asked for."""
        assert "Retry-After" not in too_many_requests(3).headers

    def test_helpers(self) -> None:
        """Durations are ISO 8601 and reset times use SoundCloud's date format."""
        assert ("PT24H", "PT12H", "PT1H", "PT1S") == tuple(
            iso_duration(s) for s in (86400, 43200, 3600, 1)
        )
        assert "2015/06/01 09:49:40 +0000" == format_reset_time(1433152180)


class TestGroups:
    @pytest.mark.parametrize(
        ("method", "path", "group"),
        [
            ("GET", "/tracks/soundcloud:tracks:1/streams", "plays"),
            ("GET", "/tracks/soundcloud:tracks:1/preview", "plays"),
            ("GET", "/media/soundcloud:tracks:1/stream.mp3", "plays"),
            ("GET", "/tracks/soundcloud:tracks:1", None),
            ("POST", "/tracks/soundcloud:tracks:1/comments", "comments"),
            ("GET", "/tracks/soundcloud:tracks:1/comments", None),
            ("POST", "/likes/tracks/soundcloud:tracks:1", "likes"),
            ("PUT", "/me/favorites/1.json", "likes"),
            ("DELETE", "/reposts/playlists/soundcloud:playlists:1", "reposts"),
        ],
    )
    def test_group_of(self, method: str, path: str, group: str | None) -> None:
        """Requests fall into SoundCloud's budget groups by route."""
        assert group == group_of(method, path)

    def test_documented_defaults(self) -> None:
        """Plays and token exchanges have the documented budgets by default."""
        assert Budget(15000, 86400.0) == DEFAULT_BUDGETS["plays"]
        assert Budget(50, 43200.0) == DEFAULT_BUDGETS["client-credentials-exchange"]
        assert Budget(30, 3600.0) == DEFAULT_BUDGETS["client-credentials-exchange/by-ip"]

    @pytest.mark.parametrize(
        ("rate", "window", "expected"),
        [(5, 1.0, Budget(5, 1.0)), (2, 10.0, Budget(20, 10.0)), (0.5, 1.0, Budget(1, 2.0))],
    )
    def test_general_rate_becomes_a_budget(
        self, rate: float, window: float, expected: Budget
    ) -> None:
        """general_rate req/s over general_window; slower rates widen the window."""
        limiter = RateLimiter.create(general_rate=rate, general_window=window)
        assert expected == limiter.budgets["general"]

    def test_window_rolls_by_the_clock(self) -> None:
        """A fixed window starts with its first request and resets when it has passed."""
        now = [0.0]
        limiter = RateLimiter.create(budgets={"plays": Budget(1, 10)}, clock=lambda: now[0])
        p = Principal("c", "u")
        path = "/tracks/x/streams"
        results = [limiter.check("GET", path, p) is None, limiter.check("GET", path, p) is None]
        now[0] = 10.0
        results.append(limiter.check("GET", path, p) is None)
        assert [True, False, True] == results


class TestGeneralBudget:
    @pytest.fixture
    def fake_options(self) -> dict[str, Any]:
        return {"general_rate": 2}

    async def test_third_request_in_a_second_is_429(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession, token: str
    ) -> None:
        """With general_rate=2, the third request within one second answers 429."""
        url = fake.url("/_stub/echo")
        statuses = [(await hit(http, url, token))[0] for _ in range(3)]
        assert [200, 200, 429] == statuses
        assert 1 == fake.counters.rate_limited

    async def test_window_rolls_with_the_clock(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession, token: str, clock: ManualClock
    ) -> None:
        """After the window passes, requests go through again."""
        url = fake.url("/_stub/echo")
        for _ in range(3):
            await hit(http, url, token)
        await clock.advance(1.0)
        assert 200 == (await hit(http, url, token))[0]

    async def test_shapes_rotate_through_3_to_6(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession, token: str
    ) -> None:
        """The general budget's 429s rotate through shapes 3, 4, 5 and 6."""
        url = fake.url("/_stub/echo")
        await hit(http, url, token)
        await hit(http, url, token)
        bodies = [(await hit(http, url, token))[1] for _ in range(4)]
        assert '"message":"rate_limit_exceeded"' in bodies[0]
        assert ['{"error":"rate_limit_exceeded"}', '{"error":"Rate Limit Exceeded"}'] == bodies[1:3]
        assert "Please slow down." == bodies[3]

    async def test_budgets_are_per_client(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession, token: str
    ) -> None:
        """Another client's requests do not use this client's budget."""
        url = fake.url("/_stub/echo")
        other = fake.oauth.issue(client_id="other", user_urn=None)["access_token"]
        for _ in range(2):
            await hit(http, url, token)
        assert 200 == (await hit(http, url, other))[0]

    async def test_unauthenticated_requests_cost_nothing(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession, token: str
    ) -> None:
        """A 401 does not count against the budget."""
        url = fake.url("/_stub/echo")
        for _ in range(3):
            await hit(http, url, "bad-token")
        assert 200 == (await hit(http, url, token))[0]


class TestPlays:
    @pytest.fixture
    def fake_options(self) -> dict[str, Any]:
        return {"rate_limits": {"plays": Budget(2, 86400)}}

    async def test_plays_429_has_a_real_reset_time(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession, token: str, clock: ManualClock
    ) -> None:
        """The plays 429 is shape 1 with the reset time of the window, by the wall clock."""
        url = fake.url("/tracks/soundcloud:tracks:1/streams")
        start = clock()
        await hit(http, url, token)
        await clock.advance(100)
        await hit(http, url, token)
        status, body, headers = await hit(http, url, token)
        assert 429 == status
        assert '"group":"plays"' in body
        assert f'"reset_time":"{format_reset_time(WALL_OFFSET + start + 86400)}"' in body
        assert "Retry-After" not in headers
        assert {"plays": 1} == fake.counters.rate_limited_by_group

    async def test_other_routes_are_not_plays(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession, token: str
    ) -> None:
        """Requests outside the plays group do not use its budget."""
        for _ in range(3):
            await hit(http, fake.url("/_stub/echo"), token)
        status, _, _ = await hit(http, fake.url("/tracks/soundcloud:tracks:1/preview"), token)
        assert 429 != status

    async def test_set_budget_at_run_time(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession, token: str
    ) -> None:
        """Tests can lift a budget while the fake runs."""
        url = fake.url("/media/x.mp3")
        fake.limits.set_budget("plays", None)
        statuses = {(await hit(http, url, token))[0] for _ in range(4)}
        assert 429 not in statuses


class TestRetryAfter:
    @pytest.fixture
    def fake_options(self) -> dict[str, Any]:
        return {"general_rate": 0.1, "general_window": 10, "retry_after_header": True}

    async def test_retry_after_counts_down_the_window(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession, token: str, clock: ManualClock
    ) -> None:
        """With retry_after_header=True, the 429 says how long until the window resets."""
        url = fake.url("/_stub/echo")
        await hit(http, url, token)
        await clock.advance(3.5)
        _, _, headers = await hit(http, url, token)
        assert "7" == headers["Retry-After"]


class TestTokenExchange:
    @pytest.fixture
    def fake_options(self) -> dict[str, Any]:
        return {"rate_limits": {"client-credentials-exchange": Budget(2, 43200)}}

    async def test_exchange_limit_per_app(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession
    ) -> None:
        """Past the app's exchange budget /oauth/token answers shape 2, bucket by-app."""
        headers = basic(fake.client_id, fake.client_secret)
        results = []
        for _ in range(3):
            async with http.post(fake.url("/oauth/token"), data=CC, headers=headers) as resp:
                results.append((resp.status, await resp.text()))
        assert [200, 200, 429] == [s for s, _ in results]
        assert '"bucket":"by-app"' in results[2][1]
        assert '"name":"client-credentials-exchange"' in results[2][1]
        assert '"time_window":"PT12H"' in results[2][1]

    async def test_exchange_limit_per_ip(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession
    ) -> None:
        """The per-IP bucket counts exchanges of all apps from one address."""
        fake.limits.set_budget("client-credentials-exchange", None)
        fake.limits.set_budget("client-credentials-exchange/by-ip", Budget(1, 3600))
        headers = basic(fake.client_id, fake.client_secret)
        await http.post(fake.url("/oauth/token"), data=CC, headers=headers)
        async with http.post(fake.url("/oauth/token"), data=CC, headers=headers) as resp:
            assert (429, True) == (resp.status, '"bucket":"by-ip"' in await resp.text())

    async def test_refresh_is_not_an_exchange(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession
    ) -> None:
        """Refreshing a token does not use the client-credentials budget."""
        tokens = fake.issue_tokens(user_urn=None)
        headers = basic(fake.client_id, fake.client_secret)
        for _ in range(3):
            form = {"grant_type": "refresh_token", "refresh_token": str(tokens["refresh_token"])}
            async with http.post(fake.url("/oauth/token"), data=form, headers=headers) as resp:
                assert 200 == resp.status
                tokens = await resp.json()


class TestSpam:
    @pytest.fixture
    def fake_options(self) -> dict[str, Any]:
        return {"spam_after": 2}

    async def test_spam_rule_answers_shape_7(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession, token: str
    ) -> None:
        """After spam_after comments and likes, the next one is a spam-warning 429."""
        comment = fake.url("/tracks/soundcloud:tracks:1/comments")
        like = fake.url("/likes/tracks/soundcloud:tracks:1")
        await hit(http, comment, token, "POST")
        await hit(http, like, token, "POST")
        status, body, _ = await hit(http, comment, token, "POST")
        assert 429 == status
        assert '"spam_warning_urn":"soundcloud:spam-warnings:1"' in body

    async def test_reads_and_unlikes_are_not_spam(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession, token: str
    ) -> None:
        """Reading comments and removing likes never trip the spam rule."""
        comment = fake.url("/tracks/soundcloud:tracks:1/comments")
        like = fake.url("/likes/tracks/soundcloud:tracks:1")
        statuses = [(await hit(http, comment, token))[0] for _ in range(3)]
        statuses += [(await hit(http, like, token, "DELETE"))[0] for _ in range(3)]
        assert 429 not in statuses
