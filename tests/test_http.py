"""The transport: one request path with auth, limiter, retries and error mapping."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses

from soundcloud_async import (
    ConnectError,
    ConnectionLost,
    DecodeError,
    EventHooks,
    Forbidden,
    NotFound,
    RateLimited,
    RequestTimeout,
    RetryPolicy,
    ServerError,
    SoundCloud,
    TransportError,
    Unauthorized,
)
from soundcloud_async._http import map_aiohttp_error
from soundcloud_async._ratelimit import Unlimited
from tests.conftest import BASE, AutoClock

TRACK_URL = f"{BASE}/tracks/soundcloud:tracks:1"
TRACK = {"kind": "track", "urn": "soundcloud:tracks:1", "id": 1, "title": "t"}

# The seven 429 bodies of docs/background/api-facts.md (body 1 and 2 carry a reset_time).
RATE_LIMIT_BODIES: list[tuple[str, str]] = [
    (
        "plays",
        '{"errors":[{"meta":{"rate_limit":{"group":"plays","max_nr_of_requests":15000,'
        '"time_window":"PT24H"},"remaining_requests":0,'
        '"reset_time":"2015/06/01 09:13:25 +0000"}}]}',
    ),
    (
        "by-ip",
        '{"errors":[{"meta":{"rate_limit":{"bucket":"by-ip","name":"client-credentials-exchange",'
        '"max_nr_of_requests":30,"time_window":"PT1H"},"remaining_requests":0,'
        '"reset_time":"2015/06/01 09:13:22 +0000"}}]}',
    ),
    (
        "full",
        '{"code":429,"message":"rate_limit_exceeded","link":"https://developers.soundcloud.com",'
        '"status":"429 - Too Many Requests","errors":[{"error_message":"rate_limit_exceeded"}],'
        '"error":null,"error_code":"rate_limit_exceeded"}',
    ),
    ("error-code", '{"error":"rate_limit_exceeded"}'),
    ("error-text", '{"error": "Rate Limit Exceeded"}'),
    ("plain", "Please slow down."),
    (
        "spam",
        '{"code":429,"message":"spam","link":"https://developers.soundcloud.com",'
        '"spam_warning_urn":"soundcloud:spam-warnings:1"}',
    ),
]
# 1_433_150_000 is 2015/06/01 09:13:20 +0000 (the wall clock of the `sc` fixture).
WALL = 1_433_150_000.0


class RecordingLimiter(Unlimited):
    """An unlimited limiter that records what the transport tells it."""

    def __init__(self) -> None:
        self.acquired = 0
        self.feedbacks: list[tuple[bool, float | None]] = []

    async def acquire(self, cost: float = 1.0) -> None:
        self.acquired += 1

    async def feedback(self, *, throttled: bool, pause: float | None = None) -> None:
        self.feedbacks.append((throttled, pause))


def make_client(clock: AutoClock, **kwargs: Any) -> SoundCloud:
    options: dict[str, Any] = {
        "rate_limiter": Unlimited(),
        "retry": RetryPolicy(random=lambda: 0.5),
        "clock": clock,
        "sleep": clock.sleep,
        "wall_clock": lambda: WALL,
    }
    options.update(kwargs)
    return SoundCloud("secret-token-value", **options)


def headers_of(mocked: aioresponses, method: str, url: str) -> list[dict[str, str]]:
    from yarl import URL

    calls = mocked.requests.get((method, URL(url)), [])
    return [dict(call.kwargs.get("headers") or {}) for call in calls]


class TestRateLimitRetries:
    """429s are retried (except spam blocks) and parse from every body shape."""

    @pytest.mark.parametrize(("name", "body"), RATE_LIMIT_BODIES[:6])
    async def test_429_then_200_for_every_body(
        self, name: str, body: str, mocked: aioresponses, auto_clock: AutoClock
    ) -> None:
        """Each non-spam 429 body is retried and the next 200 is returned."""
        mocked.get(TRACK_URL, status=429, body=body)
        mocked.get(TRACK_URL, payload=TRACK)
        async with make_client(auto_clock) as sc:
            response = await sc._transport.request("GET", "/tracks/soundcloud:tracks:1")
        assert TRACK == response.data
        assert 1 == sc.stats.retries
        assert 1 == sc.stats.rate_limited
        assert 2 == sc.stats.requests

    async def test_reset_time_sets_the_wait(
        self, mocked: aioresponses, auto_clock: AutoClock
    ) -> None:
        """Without Retry-After, the wait is reset_time minus now."""
        mocked.get(TRACK_URL, status=429, body=RATE_LIMIT_BODIES[0][1])
        mocked.get(TRACK_URL, payload=TRACK)
        async with make_client(auto_clock) as sc:
            await sc._transport.request("GET", TRACK_URL)
        assert [5.0] == auto_clock.sleeps

    async def test_retry_after_header_wins(
        self, mocked: aioresponses, auto_clock: AutoClock
    ) -> None:
        """A Retry-After header is honoured before the body's reset_time."""
        mocked.get(
            TRACK_URL, status=429, body=RATE_LIMIT_BODIES[0][1], headers={"Retry-After": "2"}
        )
        mocked.get(TRACK_URL, payload=TRACK)
        async with make_client(auto_clock) as sc:
            await sc._transport.request("GET", TRACK_URL)
        assert [2.0] == auto_clock.sleeps

    async def test_unknown_wait_backs_off_with_jitter(
        self, mocked: aioresponses, auto_clock: AutoClock
    ) -> None:
        """A 429 that says nothing of when backs off exponentially with full jitter."""
        for _ in range(3):
            mocked.get(TRACK_URL, status=429, body="Please slow down.")
        mocked.get(TRACK_URL, payload=TRACK)
        async with make_client(auto_clock) as sc:
            await sc._transport.request("GET", TRACK_URL)
        assert [0.25, 0.5, 1.0] == auto_clock.sleeps

    async def test_long_wait_raises_at_once(
        self, mocked: aioresponses, auto_clock: AutoClock
    ) -> None:
        """A wait above max_wait is not slept: RateLimited carries it to the caller."""
        mocked.get(
            TRACK_URL, status=429, body=RATE_LIMIT_BODIES[0][1], headers={"Retry-After": "7200"}
        )
        async with make_client(auto_clock) as sc:
            with pytest.raises(RateLimited) as info:
                await sc._transport.request("GET", TRACK_URL)
        assert 7200.0 == info.value.retry_after
        assert "plays" == info.value.group
        assert [] == auto_clock.sleeps
        assert 1 == sc.stats.requests

    async def test_post_429_is_retried(self, mocked: aioresponses, auto_clock: AutoClock) -> None:
        """A 429 proves the request was not processed, so a POST is retried."""
        url = f"{BASE}/likes/tracks/soundcloud:tracks:1"
        mocked.post(url, status=429, body='{"error":"rate_limit_exceeded"}')
        mocked.post(url, status=200, payload={"status": "ok"})
        async with make_client(auto_clock) as sc:
            response = await sc._transport.request("POST", url)
        assert {"status": "ok"} == response.data

    async def test_spam_block_is_never_retried(
        self, mocked: aioresponses, auto_clock: AutoClock
    ) -> None:
        """A 429 with spam_warning_urn surfaces at once."""
        url = f"{BASE}/tracks/soundcloud:tracks:1/comments"
        mocked.post(url, status=429, body=RATE_LIMIT_BODIES[6][1])
        async with make_client(auto_clock) as sc:
            with pytest.raises(RateLimited) as info:
                await sc._transport.request("POST", url, json={"comment": {"body": "hi"}})
        assert "soundcloud:spam-warnings:1" == info.value.spam_warning_urn
        assert 1 == sc.stats.requests

    async def test_429_pauses_the_limiter(
        self, mocked: aioresponses, auto_clock: AutoClock
    ) -> None:
        """A retried 429 pauses the shared limiter for the wait, then reports success."""
        limiter = RecordingLimiter()
        mocked.get(TRACK_URL, status=429, body="", headers={"Retry-After": "3"})
        mocked.get(TRACK_URL, payload=TRACK)
        async with make_client(auto_clock, rate_limiter=limiter) as sc:
            await sc._transport.request("GET", TRACK_URL)
        assert [(True, 3.0), (False, None)] == limiter.feedbacks
        assert 2 == limiter.acquired

    async def test_no_retry_429_flag(self, mocked: aioresponses, auto_clock: AutoClock) -> None:
        """retry_429=False (the token endpoint) surfaces the 429."""
        mocked.post(f"{BASE}/oauth/token", status=429, body=RATE_LIMIT_BODIES[1][1])
        async with make_client(auto_clock) as sc:
            with pytest.raises(RateLimited):
                await sc._transport.request("POST", "/oauth/token", retry_429=False)
        assert 1 == sc.stats.requests


class TestServerErrorsAndConnections:
    """5xx and broken connections are retried only where that is safe."""

    async def test_5xx_on_get_is_retried(self, mocked: aioresponses, auto_clock: AutoClock) -> None:
        """A 503 on GET is retried."""
        mocked.get(TRACK_URL, status=503, body="Service Unavailable", content_type="text/plain")
        mocked.get(TRACK_URL, payload=TRACK)
        async with make_client(auto_clock) as sc:
            response = await sc._transport.request("GET", TRACK_URL)
        assert TRACK == response.data

    async def test_5xx_on_post_is_not_retried(
        self, mocked: aioresponses, auto_clock: AutoClock
    ) -> None:
        """A 500 on POST surfaces: the request may have been processed."""
        url = f"{BASE}/playlists"
        mocked.post(url, status=500, payload={"code": 500, "message": "oops"})
        async with make_client(auto_clock) as sc:
            with pytest.raises(ServerError) as info:
                await sc._transport.request("POST", url, json={"playlist": {"title": "x"}})
        assert 500 == info.value.status
        assert "oops" == info.value.message
        assert 1 == sc.stats.requests

    async def test_5xx_gives_up_after_max_attempts(
        self, mocked: aioresponses, auto_clock: AutoClock
    ) -> None:
        """Retries stop at max_attempts and the last error is raised."""
        for _ in range(3):
            mocked.get(TRACK_URL, status=502, body="<html><title>502 Bad Gateway</title></html>")
        async with make_client(auto_clock, retry=RetryPolicy(max_attempts=3)) as sc:
            with pytest.raises(ServerError) as info:
                await sc._transport.request("GET", TRACK_URL)
        assert 3 == sc.stats.requests
        assert "502 Bad Gateway" in info.value.message

    async def test_connection_reset_on_get_is_retried(
        self, mocked: aioresponses, auto_clock: AutoClock
    ) -> None:
        """A body cut off mid-way is retried for a GET."""
        mocked.get(TRACK_URL, exception=aiohttp.ClientPayloadError("cut"))
        mocked.get(TRACK_URL, payload=TRACK)
        async with make_client(auto_clock) as sc:
            response = await sc._transport.request("GET", TRACK_URL)
        assert TRACK == response.data

    async def test_connection_reset_on_post_is_not_retried(
        self, mocked: aioresponses, auto_clock: AutoClock
    ) -> None:
        """A connection lost after a POST was sent surfaces as ConnectionLost."""
        url = f"{BASE}/playlists"
        mocked.post(url, exception=aiohttp.ServerDisconnectedError())
        async with make_client(auto_clock) as sc:
            with pytest.raises(ConnectionLost) as info:
                await sc._transport.request("POST", url)
        assert isinstance(info.value.__cause__, aiohttp.ServerDisconnectedError)

    async def test_refused_connection_retries_a_post(
        self, mocked: aioresponses, auto_clock: AutoClock
    ) -> None:
        """A refused connection proves the POST was never sent, so it is retried."""
        url = f"{BASE}/playlists"
        key = aiohttp.client_reqrep.ConnectionKey(
            "api.soundcloud.com", 443, True, None, None, None, None
        )
        mocked.post(url, exception=aiohttp.ClientConnectorError(key, ConnectionRefusedError()))
        mocked.post(url, status=201, payload={"urn": "soundcloud:playlists:9"})
        async with make_client(auto_clock) as sc:
            response = await sc._transport.request("POST", url)
        assert 201 == response.status

    async def test_timeout_is_mapped(self, mocked: aioresponses, auto_clock: AutoClock) -> None:
        """A timeout becomes RequestTimeout after the retries are spent."""
        mocked.get(TRACK_URL, exception=asyncio.TimeoutError())
        mocked.get(TRACK_URL, exception=asyncio.TimeoutError())
        async with make_client(auto_clock, retry=RetryPolicy(max_attempts=2)) as sc:
            with pytest.raises(RequestTimeout):
                await sc._transport.request("GET", TRACK_URL)


class TestDecoding:
    """Bodies that do not match their status become DecodeError."""

    @pytest.mark.parametrize(
        "body",
        ['{"kind": "track", "title": ', "<!DOCTYPE html><html><title>Oops</title></html>"],
    )
    async def test_bad_200_bodies(
        self, body: str, mocked: aioresponses, auto_clock: AutoClock
    ) -> None:
        """Malformed JSON and HTML on a 200 raise DecodeError after retrying a GET."""
        for _ in range(2):
            mocked.get(TRACK_URL, status=200, body=body)
        async with make_client(auto_clock, retry=RetryPolicy(max_attempts=2)) as sc:
            with pytest.raises(DecodeError) as info:
                await sc._transport.request("GET", TRACK_URL)
        assert 200 == info.value.status

    async def test_200_error_object(self, mocked: aioresponses, auto_clock: AutoClock) -> None:
        """An HTTP 200 whose body is an error object is not returned as data."""
        mocked.get(TRACK_URL, status=200, payload={"errors": [{"error_message": "boom"}]})
        async with make_client(auto_clock, retry=RetryPolicy.never()) as sc:
            with pytest.raises(DecodeError) as info:
                await sc._transport.request("GET", TRACK_URL)
        assert "boom" in str(info.value)

    @pytest.mark.parametrize(
        ("status", "body", "exc_type"),
        [
            (404, "Not Found", NotFound),
            (
                403,
                "<html><head><title>ERROR: The request could not be satisfied</title>",
                Forbidden,
            ),
            (401, "", Unauthorized),
            (401, "\n", Unauthorized),
        ],
    )
    async def test_error_pages(
        self,
        status: int,
        body: str,
        exc_type: type[Exception],
        mocked: aioresponses,
        auto_clock: AutoClock,
    ) -> None:
        """Plain-text, HTML and empty error bodies map to the status's exception."""
        mocked.get(TRACK_URL, status=status, body=body)
        async with make_client(auto_clock, retry=RetryPolicy.never()) as sc:
            with pytest.raises(exc_type) as info:
                await sc._transport.request("GET", TRACK_URL)
        assert str(info.value)
        assert "secret-token-value" not in str(info.value) + repr(info.value)

    @pytest.mark.parametrize(
        ("status", "body"),
        [
            (403, "<html><head><title>ERROR: The request could not be satisfied</title>"),
            (401, ""),
            (403, ""),
        ],
    )
    async def test_gateway_refusal_is_retried(
        self, status: int, body: str, mocked: aioresponses, auto_clock: AutoClock
    ) -> None:
        """A CloudFront page or an empty 401/403 is a transient refusal: the GET is retried."""
        mocked.get(TRACK_URL, status=status, body=body)
        mocked.get(TRACK_URL, status=200, payload={"urn": "soundcloud:tracks:1"})
        async with make_client(auto_clock) as sc:
            response = await sc._transport.request("GET", TRACK_URL)
        assert {"urn": "soundcloud:tracks:1"} == response.data


class TestAuthorization:
    """The token goes to the API host only, and a 401 may refresh it once."""

    async def test_header_sent_to_api(self, mocked: aioresponses, auto_clock: AutoClock) -> None:
        """Requests to the API origin carry the OAuth header."""
        mocked.get(TRACK_URL, payload=TRACK)
        async with make_client(auto_clock) as sc:
            await sc._transport.request("GET", TRACK_URL)
        (headers,) = headers_of(mocked, "GET", TRACK_URL)
        assert "OAuth secret-token-value" == headers["Authorization"]

    async def test_header_not_sent_elsewhere(
        self, mocked: aioresponses, auto_clock: AutoClock
    ) -> None:
        """An absolute URL on another host never receives the token."""
        url = "https://cdn.example.net/media/1.mp3"
        mocked.get(url, payload={})
        async with make_client(auto_clock) as sc:
            await sc._transport.request("GET", url)
        (headers,) = headers_of(mocked, "GET", url)
        assert "Authorization" not in headers

    async def test_401_refreshes_once(self, mocked: aioresponses, auto_clock: AutoClock) -> None:
        """On a 401 the auth object is asked once; a True answer retries with the new header."""

        class Rotating:
            def __init__(self) -> None:
                self.token = "old"
                self.asked: list[str | None] = []

            async def authorization(self) -> str | None:
                return f"OAuth {self.token}"

            async def on_unauthorized(self, used: str | None) -> bool:
                self.asked.append(used)
                self.token = "new"
                return True

        auth = Rotating()
        mocked.get(TRACK_URL, status=401, payload={"code": 401, "message": "invalid_token"})
        mocked.get(TRACK_URL, status=401, payload={"code": 401, "message": "invalid_token"})
        options = {"rate_limiter": Unlimited(), "clock": auto_clock, "sleep": auto_clock.sleep}
        async with SoundCloud(auth=auth, **options) as sc:  # type: ignore[arg-type]
            with pytest.raises(Unauthorized):
                await sc._transport.request("GET", TRACK_URL)
        assert ["OAuth old"] == auth.asked
        sent = [h["Authorization"] for h in headers_of(mocked, "GET", TRACK_URL)]
        assert ["OAuth old", "OAuth new"] == sent


class TestObservability:
    """Hooks and counters see every attempt."""

    async def test_hooks_and_stats(self, mocked: aioresponses, auto_clock: AutoClock) -> None:
        """request_sent, response_received and retry_scheduled fire in order."""
        events: list[str] = []
        hooks = EventHooks()
        hooks.request_sent.append(lambda e: events.append(f"sent {e.attempt}"))
        hooks.response_received.append(lambda e: events.append(f"got {e.status}"))
        hooks.retry_scheduled.append(lambda e: events.append(f"retry {e.delay}"))
        mocked.get(TRACK_URL, status=500, body="")
        mocked.get(TRACK_URL, payload=TRACK)
        async with make_client(auto_clock, hooks=hooks) as sc:
            await sc._transport.request("GET", TRACK_URL)
        assert ["sent 1", "got 500", "retry 0.25", "sent 2", "got 200"] == events
        assert (2, 2, 1, 0, 0.25) == (
            sc.stats.requests,
            sc.stats.responses,
            sc.stats.retries,
            sc.stats.rate_limited,
            sc.stats.waited,
        )

    async def test_failing_hook_does_not_break_requests(
        self, mocked: aioresponses, auto_clock: AutoClock, caplog: pytest.LogCaptureFixture
    ) -> None:
        """An exception in a hook is logged, and the request completes."""
        hooks = EventHooks()
        hooks.request_sent.append(lambda e: 1 / 0)
        mocked.get(TRACK_URL, payload=TRACK)
        async with make_client(auto_clock, hooks=hooks) as sc:
            response = await sc._transport.request("GET", TRACK_URL)
        assert TRACK == response.data
        assert "event hook" in caplog.text

    async def test_logs_never_show_secrets(
        self, mocked: aioresponses, auto_clock: AutoClock, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Debug and retry logs mask the token and secret query parameters."""
        url = f"{BASE}/resolve?url=x&client_secret=hunter2"
        mocked.get(re.compile(r".*/resolve.*"), status=503, body="")
        mocked.get(re.compile(r".*/resolve.*"), payload={})
        caplog.set_level("DEBUG", logger="soundcloud_async")
        async with make_client(auto_clock) as sc:
            await sc._transport.request("GET", url)
        assert "hunter2" not in caplog.text
        assert "secret-token-value" not in caplog.text
        assert "retrying" in caplog.text


class TestEventsAreRedacted:
    """Every event's URL has consumer_key, secret_token and share tokens masked (issue 11)."""

    async def test_every_event(self, mocked: aioresponses, auto_clock: AutoClock) -> None:
        """RequestSent, ResponseReceived, RetryScheduled and RateLimitWait carry no secret."""
        events: list[Any] = []
        hooks = EventHooks()
        for hook in (
            hooks.request_sent,
            hooks.response_received,
            hooks.retry_scheduled,
            hooks.rate_limit_wait,
        ):
            hook.append(events.append)

        class SlowLimiter(Unlimited):
            async def acquire(self, cost: float = 1.0) -> None:
                auto_clock.now += 0.5  # a noticeable wait, so RateLimitWait fires

        legacy = re.compile(r".*/tracks/1\.json.*")
        mocked.get(legacy, status=503, body="")
        mocked.get(legacy, payload=TRACK)
        async with make_client(auto_clock, hooks=hooks, rate_limiter=SlowLimiter()) as sc:
            await sc._transport.request(
                "GET",
                "/tracks/1.json",
                params={"consumer_key": "ck-SECRET-1", "secret_token": "s-SECRET2"},
            )
        kinds = [type(e).__name__ for e in events]
        assert {"RequestSent", "ResponseReceived", "RetryScheduled", "RateLimitWait"} == set(kinds)
        for event in events:
            assert "SECRET" not in event.url, event
            assert "SECRET" not in repr(event), event
            assert "consumer_key=***" in event.url
        sent = [str(url) for (_, url) in mocked.requests]
        assert all("consumer_key=ck-SECRET-1" in u for u in sent)  # the server still got it

    async def test_share_link_in_resolve(
        self, mocked: aioresponses, auto_clock: AutoClock, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A private share link's s-token is masked in events and the debug log."""
        events: list[Any] = []
        hooks = EventHooks()
        hooks.request_sent.append(events.append)
        caplog.set_level("DEBUG", logger="soundcloud_async")
        mocked.get(re.compile(r".*/resolve\?url=.*"), status=404, body="")
        async with make_client(auto_clock, hooks=hooks) as sc:
            with pytest.raises(NotFound) as caught:
                await sc.resolve("https://soundcloud.com/u/track/s-PRIVATEtok")
        assert 1 == len(events)
        for text in (events[0].url, caplog.text, str(caught.value), repr(caught.value)):
            assert "PRIVATEtok" not in text
        assert "s-***" in events[0].url


class TestErrorMapping:
    """Every aiohttp failure we expect maps into our tree, in one place."""

    @pytest.mark.parametrize(
        ("exc", "expected"),
        [
            (
                aiohttp.ClientConnectorError(
                    aiohttp.client_reqrep.ConnectionKey("h", 443, True, None, None, None, None),
                    OSError(111, "refused"),
                ),
                ConnectError,
            ),
            (aiohttp.ConnectionTimeoutError(), ConnectError),
            (aiohttp.SocketTimeoutError(), RequestTimeout),
            (aiohttp.ServerTimeoutError(), RequestTimeout),
            (asyncio.TimeoutError(), RequestTimeout),
            (aiohttp.ClientPayloadError("cut"), ConnectionLost),
            (aiohttp.ServerDisconnectedError(), ConnectionLost),
            (aiohttp.ClientOSError(104, "reset"), ConnectionLost),
            (ConnectionResetError(), ConnectionLost),
            (aiohttp.ClientResponseError(None, (), status=400, message="bad"), TransportError),  # type: ignore[arg-type]
            (aiohttp.ClientError("other"), TransportError),
        ],
    )
    def test_mapping(self, exc: BaseException, expected: type[Exception]) -> None:
        """The aiohttp exception becomes the expected SoundCloudError subclass."""
        mapped = map_aiohttp_error(exc, method="GET", url=f"{BASE}/x?client_secret=s3")
        assert expected is type(mapped)
        assert "s3" not in str(mapped)


class TestStream:
    """Media streams follow redirects by hand and keep the token at home."""

    async def test_cdn_redirect_drops_authorization(
        self, mocked: aioresponses, auto_clock: AutoClock
    ) -> None:
        """The API hop carries the token; the CDN hop after a redirect does not."""
        media = f"{BASE}/tracks/soundcloud:tracks:1/stream"
        cdn = "https://cf-media.sndcdn.example/abc.mp3"
        mocked.get(media, status=302, headers={"Location": cdn})
        mocked.get(cdn, status=200, body=b"ID3" + b"\x00" * 100)
        async with make_client(auto_clock) as sc, sc._transport.stream(media) as stream:
            body = b"".join([chunk async for chunk in stream.iter_chunks(16)])
        assert b"ID3" + b"\x00" * 100 == body
        assert "Authorization" in headers_of(mocked, "GET", media)[0]
        assert "Authorization" not in headers_of(mocked, "GET", cdn)[0]

    async def test_error_before_body_is_retried(
        self, mocked: aioresponses, auto_clock: AutoClock
    ) -> None:
        """A 503 before any byte is retried; a 404 surfaces as NotFound."""
        media = f"{BASE}/media/1"
        mocked.get(media, status=503, body="")
        mocked.get(media, status=200, body=b"abc")
        mocked.get(f"{BASE}/media/2", status=404, body="")
        async with make_client(auto_clock) as sc:
            async with sc._transport.stream(media) as stream:
                assert b"abc" == b"".join([c async for c in stream.iter_chunks()])
            with pytest.raises(NotFound):
                async with sc._transport.stream(f"{BASE}/media/2"):
                    pass
