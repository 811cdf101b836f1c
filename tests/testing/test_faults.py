"""Fault injection on the fake: every kind, scripting by route and method, seeded randomness."""

from __future__ import annotations

import re
import time
from typing import Any

import aiohttp
import orjson
import pytest

from soundcloud_async.testing import FAULT_KINDS, FakeSoundCloud
from soundcloud_async.testing._faults import FaultInjector

from .conftest import WRITES, bearer


async def fetch(
    http: aiohttp.ClientSession,
    fake: FakeSoundCloud,
    token: str,
    path: str = "/_stub/echo",
    method: str = "GET",
) -> tuple[int, str, bytes]:
    url = fake.url(path)
    async with http.request(method, url, headers=bearer(token), allow_redirects=False) as resp:
        return resp.status, resp.content_type, await resp.read()


class TestErrorKinds:
    @pytest.mark.parametrize(
        ("kind", "status", "content_type"),
        [
            ("server_error", 500, "application/json"),
            ("plain_503", 503, "text/plain"),
            ("cloudfront_403", 403, "text/html"),
            ("error_200", 200, "application/json"),
            ("newline_401", 401, "text/plain"),
            ("rate_limit", 429, "application/json"),
        ],
    )
    async def test_kind_answers_instead_of_the_route(
        self,
        fake: FakeSoundCloud,
        http: aiohttp.ClientSession,
        token: str,
        kind: str,
        status: int,
        content_type: str,
    ) -> None:
        """Each error kind answers its status and content type once, then the route answers."""
        fake.faults.add(kind)
        first = await fetch(http, fake, token)
        second = await fetch(http, fake, token)
        assert (status, content_type) == first[:2]
        assert 200 == second[0]

    async def test_server_error_502(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession, token: str
    ) -> None:
        """server_error takes status=502 for a JSON Bad Gateway."""
        fake.faults.add("server_error", status=502)
        status, _, body = await fetch(http, fake, token)
        assert (502, "Bad Gateway") == (status, orjson.loads(body)["message"])

    async def test_cloudfront_page(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession, token: str
    ) -> None:
        """cloudfront_403 serves CloudFront's HTML error page."""
        fake.faults.add("cloudfront_403")
        _, _, body = await fetch(http, fake, token)
        assert b"The request could not be satisfied" in body

    async def test_empty_401(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession, token: str
    ) -> None:
        """empty_401 answers 401 with no body, even for a valid token."""
        fake.faults.add("empty_401")
        status, _, body = await fetch(http, fake, token)
        assert (401, b"") == (status, body)

    async def test_newline_401_body(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession, token: str
    ) -> None:
        """newline_401 answers a lone newline."""
        fake.faults.add("newline_401")
        assert b"\n" == (await fetch(http, fake, token))[2]

    async def test_error_200_body_is_an_error_object(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession, token: str
    ) -> None:
        """error_200 is HTTP 200 whose body is the gateway's error object (soundcloud/api#307)."""
        fake.faults.add("error_200")
        _, _, body = await fetch(http, fake, token)
        data = orjson.loads(body)
        assert {
            "code": 200,
            "message": "unable to decode response",
            "status": "200 - unable to decode response",
            "errors": [],
            "error": None,
        } == {k: v for k, v in data.items() if k != "link"}
        assert data["link"].startswith("https://developers.soundcloud.com/")

    @pytest.mark.parametrize("shape", [1, 2, 3, 4, 5, 6, 7])
    async def test_rate_limit_shapes(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession, token: str, shape: Any
    ) -> None:
        """rate_limit serves the 429 shape asked for."""
        fake.faults.add("rate_limit", shape=shape)
        status, _, body = await fetch(http, fake, token)
        assert 429 == status
        assert (b"spam_warning_urn" in body) == (shape == 7)

    async def test_rate_limit_retry_after(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession, token: str
    ) -> None:
        """A scripted rate_limit can carry a Retry-After header."""
        fake.faults.add("rate_limit", retry_after=2)
        async with http.get(fake.url("/_stub/echo"), headers=bearer(token)) as resp:
            assert "2" == resp.headers["Retry-After"]


class TestTransportKinds:
    async def test_reset_breaks_the_body_after_the_write(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession, token: str
    ) -> None:
        """reset sends the headers and half the body, then drops the connection."""
        fake.faults.add("reset", route="/_stub/write")
        with pytest.raises(aiohttp.ClientPayloadError):
            await fetch(http, fake, token, "/_stub/write", "POST")
        assert ["/_stub/write"] == fake.app[WRITES]

    async def test_truncated_json_keeps_the_status(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession, token: str
    ) -> None:
        """truncated_json answers the route's status with a body cut mid-JSON."""
        fake.faults.add("truncated_json", route="/_stub/write")
        status, content_type, body = await fetch(http, fake, token, "/_stub/write", "POST")
        assert (201, "application/json") == (status, content_type)
        with pytest.raises(orjson.JSONDecodeError):
            orjson.loads(body)

    async def test_slow_delays_the_answer(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession, token: str
    ) -> None:
        """slow answers normally, after the delay."""
        fake.faults.add("slow", delay=0.02)
        started = time.monotonic()
        status, _, _ = await fetch(http, fake, token)
        assert 200 == status
        assert time.monotonic() - started >= 0.02


class TestPageFaults:
    @pytest.mark.parametrize("kind", ["repeat_next", "foreign_next", "empty_page"])
    async def test_page_fault_is_handed_to_the_route(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession, token: str, kind: str
    ) -> None:
        """A page fault sets request[PAGE_FAULT_KEY] for the collection handler."""
        fake.faults.add(kind)
        _, _, body = await fetch(http, fake, token, "/_stub/page")
        assert kind == orjson.loads(body)["page_fault"]

    async def test_page_fault_waits_for_a_collection(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession, token: str
    ) -> None:
        """A page fault is not used up by a response without a collection."""
        fault = fake.faults.add("repeat_next")
        await fetch(http, fake, token)
        before = fault.hits
        _, _, body = await fetch(http, fake, token, "/_stub/page")
        assert (0, 1, "repeat_next") == (before, fault.hits, orjson.loads(body)["page_fault"])


class TestScripting:
    async def test_route_glob_and_method(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession, token: str
    ) -> None:
        """A fault applies only to its route glob and method."""
        fake.faults.add("plain_503", route="/_stub/w*", method="post")
        get_status = (await fetch(http, fake, token))[0]
        post_status = (await fetch(http, fake, token, "/_stub/write", "POST"))[0]
        assert (200, 503) == (get_status, post_status)

    @pytest.mark.parametrize("route", [re.compile(r"echo$"), r"^/_stub/e.*"])
    async def test_route_regex(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession, token: str, route: Any
    ) -> None:
        """A compiled pattern, or a string starting with ^, is a regular expression."""
        fake.faults.add("plain_503", route=route)
        assert 503 == (await fetch(http, fake, token))[0]

    async def test_times(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession, token: str
    ) -> None:
        """times=2 spoils two requests; times=None would spoil all."""
        fake.faults.add("server_error", times=2)
        statuses = [(await fetch(http, fake, token))[0] for _ in range(3)]
        assert [500, 500, 200] == statuses
        assert [] == fake.faults.pending

    async def test_faults_are_logged_and_counted(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession, token: str
    ) -> None:
        """The request log names the injected fault and the counters count it."""
        fake.faults.add("server_error")
        await fetch(http, fake, token)
        assert ("server_error", 500) == (fake.requests[-1].fault, fake.requests[-1].status)
        assert {"server_error": 1} == fake.counters.faults

    def test_unknown_kind_is_rejected(self) -> None:
        """An unknown fault kind raises ValueError at once."""
        with pytest.raises(ValueError, match="unknown fault kind"):
            FaultInjector().add("meteor_strike")

    def test_bad_probability_is_rejected(self) -> None:
        """A probability outside [0, 1] raises ValueError."""
        with pytest.raises(ValueError, match="probability"):
            FaultInjector.create(random_faults={"reset": 1.5})

    def test_all_kinds_are_listed(self) -> None:
        """FAULT_KINDS lists the thirteen kinds."""
        assert 13 == len(set(FAULT_KINDS))


class TestRandomFaults:
    @pytest.fixture
    def fake_options(self) -> dict[str, Any]:
        return {"random_faults": {"plain_503": 0.5}, "fault_seed": 7}

    async def test_random_faults_replay_with_the_seed(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession, token: str
    ) -> None:
        """The same seed gives the same faults on the same request sequence."""
        first = [(await fetch(http, fake, token))[0] for _ in range(20)]
        fake.faults.set_random({"plain_503": 0.5}, seed=7)
        second = [(await fetch(http, fake, token))[0] for _ in range(20)]
        assert first == second
        assert {200, 503} == set(first)
