"""FakeSoundCloud itself: lifecycle, ready tokens, the request log and counters."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

import soundcloud_async
from soundcloud_async.testing import FakeSoundCloud, create_app
from soundcloud_async.testing.__main__ import build_parser, parse_fault
from soundcloud_async.testing._server import STATE_KEY

from .conftest import bearer, get_json

REPO_ROOT = Path(soundcloud_async.__file__).resolve().parents[1]


class TestLifecycle:
    async def test_listens_on_loopback_with_a_real_port(self, fake: FakeSoundCloud) -> None:
        """Port 0 becomes a real port, shown in base_url."""
        assert fake.port > 0
        assert f"http://127.0.0.1:{fake.port}" == fake.base_url

    async def test_base_url_before_start_raises(self) -> None:
        """base_url is only known while the fake runs."""
        with pytest.raises(RuntimeError, match="not running"):
            _ = FakeSoundCloud(size="tiny").base_url

    async def test_close_is_idempotent_and_final(self) -> None:
        """close() may be called twice; a closed fake does not restart."""
        server = FakeSoundCloud(size="tiny")
        await server.start()
        await server.close()
        await server.close()
        with pytest.raises(RuntimeError, match="closed"):
            await server.start()

    async def test_stops_serving_after_close(self, http: aiohttp.ClientSession) -> None:
        """After the async with block, the port refuses connections."""
        async with FakeSoundCloud(size="tiny") as server:
            url = server.url("/_stub/echo")
        with pytest.raises(aiohttp.ClientConnectionError):
            await http.get(url)

    def test_create_app_builds_an_app(self) -> None:
        """create_app returns an unstarted aiohttp app with the fake's parts."""
        app = create_app(size="tiny", clients={"id": "secret"})
        assert isinstance(app, web.Application)
        assert "id" == app[STATE_KEY].client_id

    def test_repr_hides_the_secret(self) -> None:
        """The repr names the client but never its secret."""
        server = FakeSoundCloud(size="tiny", clients={"my-id": "my-secret"})
        assert "my-id" in repr(server)
        assert "my-secret" not in repr(server) + repr(server.app[STATE_KEY])


class TestIssueToken:
    async def test_default_token_is_the_test_users(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession
    ) -> None:
        """issue_token() gives a token of the world's test user."""
        _, body = await get_json(http, fake.url("/_stub/echo"), headers=bearer(fake.issue_token()))
        assert (fake.client_id, fake.oauth.default_user_urn) == (
            body["client_id"],
            body["user_urn"],
        )

    async def test_user_none_is_client_credentials(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession
    ) -> None:
        """issue_token(user_urn=None) gives a user-less token."""
        token = fake.issue_token(user_urn=None, scope="non-expiring")
        _, body = await get_json(http, fake.url("/_stub/echo"), headers=bearer(token))
        assert (None, "non-expiring") == (body["user_urn"], body["scope"])


class TestRequestLog:
    async def test_records_method_path_query_and_auth_scheme(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession, token: str
    ) -> None:
        """Each request is recorded with its route, status and who called."""
        await get_json(http, fake.url("/_stub/echo"), params={"q": "x"}, headers=bearer(token))
        record = fake.requests[-1]
        assert ("GET", "/_stub/echo", {"q": "x"}) == (record.method, record.path, record.query)
        assert (True, "OAuth", 200) == (record.had_authorization, record.auth_scheme, record.status)
        assert fake.client_id == record.client_id

    async def test_secrets_never_reach_the_log(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession, token: str
    ) -> None:
        """Tokens in headers or query strings do not appear in the records."""
        await get_json(http, fake.url("/_stub/echo"), headers=bearer(token))
        await get_json(http, fake.url("/_stub/echo"), params={"oauth_token": token})
        assert token not in repr(fake.requests)
        assert {"oauth_token": "***"} == fake.requests[-1].query
        secret = {"consumer_key": "ck-SECRET-1", "secret_token": "s-SECRET2"}
        await get_json(http, fake.url("/_stub/echo"), params=secret, headers=bearer(token))
        assert {"consumer_key": "***", "secret_token": "***"} == fake.requests[-1].query

    async def test_unmatched_paths_are_logged_too(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession, token: str
    ) -> None:
        """A 404 is recorded with its path."""
        await get_json(http, fake.url("/no/such/route"), headers=bearer(token))
        assert (404, "/no/such/route") == (fake.requests[-1].status, fake.requests[-1].route)

    async def test_count_and_assert_called(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession, token: str
    ) -> None:
        """count() and assert_called() match a method and a path glob."""
        for _ in range(2):
            await get_json(http, fake.url("/_stub/echo"), headers=bearer(token))
        await get_json(http, fake.url("/_stub/page"), headers=bearer(token))
        assert (3, 2, 0) == (
            fake.count("GET", "/_stub/*"),
            fake.count("get", "/_stub/echo"),
            fake.count("POST"),
        )
        assert 2 == len(fake.assert_called("GET", "/_stub/echo", times=2))
        with pytest.raises(AssertionError, match="expected POST /_stub/echo"):
            fake.assert_called("POST", "/_stub/echo")

    async def test_counters_and_reset_log(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession, token: str
    ) -> None:
        """counters group requests by route pattern and status; reset_log clears them."""
        await get_json(http, fake.url("/_stub/echo"), headers=bearer(token))
        await get_json(http, fake.url("/_stub/echo"))
        counters = fake.counters
        assert {"GET /_stub/echo": 2} == counters.by_route
        assert (1, 2) == (counters.unauthorized, counters.requests)
        fake.reset_log()
        assert (0, []) == (fake.counters.requests, fake.requests)

    async def test_log_keeps_the_newest_records_and_counts_all(
        self, http: aiohttp.ClientSession
    ) -> None:
        """With max_records, old records drop out but the counters count every request."""
        async with FakeSoundCloud(size="tiny", max_records=2) as server:
            for path in ("/a", "/b", "/c"):
                async with http.get(server.url(path)) as resp:
                    await resp.read()
            assert (["/b", "/c"], 3) == (
                [r.path for r in server.requests],
                server.counters.requests,
            )


class TestStandalone:
    def test_parse_fault(self) -> None:
        """--fault takes kind=probability and rejects unknown kinds and bad numbers."""
        assert ("server_error", 0.25) == parse_fault("server_error=0.25")
        for bad in ("meteor=0.1", "reset", "reset=2", "reset=x"):
            with pytest.raises(argparse.ArgumentTypeError):
                parse_fault(bad)

    def test_parser_maps_options(self) -> None:
        """The command line turns into FakeSoundCloud options."""
        args = build_parser().parse_args(
            ["--port", "0", "--rate", "5", "--fault", "slow=0.1", "--retry-after"]
        )
        assert (0, 5.0, [("slow", 0.1)], True) == (
            args.port,
            args.rate,
            args.fault,
            args.retry_after,
        )

    def test_size_is_one_of_the_worlds(self, capsys: pytest.CaptureFixture[str]) -> None:
        """--size accepts every world size and rejects others with a usage error."""
        sizes = [build_parser().parse_args(["--size", s]).size for s in ("tiny", "huge")]
        with pytest.raises(SystemExit) as exc:
            build_parser().parse_args(["--size", "gigantic"])
        assert (["tiny", "huge"], 2) == (sizes, exc.value.code)
        assert "invalid choice: 'gigantic'" in capsys.readouterr().err

    async def test_serves_until_interrupted(self, http: aiohttp.ClientSession) -> None:
        """python -m soundcloud_async.testing prints its URL and token, serves, stops on SIGINT.

        Stopped by a signal, it exits 130 like the soundcloud-async command.
        """
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "soundcloud_async.testing",
            "--port",
            "0",
            "--size",
            "tiny",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        )
        try:
            assert proc.stdout is not None
            lines = [
                (await asyncio.wait_for(proc.stdout.readline(), 30)).decode() for _ in range(4)
            ]
            base_url = lines[0].split()[-1]
            token = lines[3].split()[2]
            async with http.post(base_url + "/sign-out", headers=bearer(token)) as resp:
                assert 200 == resp.status
        finally:
            proc.send_signal(signal.SIGINT)
            await asyncio.wait_for(proc.communicate(), 30)
        assert 130 == proc.returncode


class TestPublicSurface:
    def test_all_is_sorted_and_importable(self) -> None:
        """soundcloud_async.testing exports the harness, the clock and the fault kinds."""
        import soundcloud_async.testing as testing

        expected = {
            "FAULT_KINDS",
            "FakeSoundCloud",
            "ManualClock",
            "Principal",
            "World",
            "create_app",
        }
        assert expected <= set(testing.__all__)
        assert all(hasattr(testing, name) for name in testing.__all__)


class TestWiredRoutes:
    async def test_me_is_the_token_owner(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession, token: str
    ) -> None:
        """GET /me answers the world's test user for an issued token."""
        status, body = await get_json(http, fake.url("/me"), headers=bearer(token))
        assert (200, fake.world.default_user_urn) == (status, body["urn"])

    async def test_legacy_route_with_consumer_key(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession
    ) -> None:
        """A legacy /tracks/{id}.json answers with only consumer_key."""
        track_id = next(iter(fake.world.track_urns())).rsplit(":", 1)[1]
        url = fake.url(f"/tracks/{track_id}.json")
        status, _ = await get_json(http, url, params={"consumer_key": fake.client_id})
        assert 200 == status

    async def test_media_needs_auth_but_the_cdn_does_not(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession, token: str
    ) -> None:
        """Stream URLs need the token; the CDN they redirect to is public."""
        track = next(iter(fake.world.track_urns()))
        _, streams = await get_json(
            http, fake.url(f"/tracks/{track}/streams"), headers=bearer(token)
        )
        media = streams["http_mp3_128_url"]
        async with http.get(media, allow_redirects=False) as resp:
            anonymous = resp.status
        async with http.get(media, headers=bearer(token), allow_redirects=False) as resp:
            location = resp.headers["Location"]
        async with http.get(location) as resp:
            cdn = resp.status
        assert (401, 200) == (anonymous, cdn)
        assert 2 == fake.count("GET", "/media/*")

    async def test_page_fault_reaches_a_real_collection(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession, token: str
    ) -> None:
        """A scripted repeat_next makes a real collection's next_href point at itself."""
        fake.faults.add("repeat_next", route="/me/followings")
        url = fake.url("/me/followings?linked_partitioning=true&limit=1")
        _, body = await get_json(http, url, headers=bearer(token))
        assert url == body["next_href"]
