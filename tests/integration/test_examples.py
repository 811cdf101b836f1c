"""The examples in examples/ run end to end against FakeSoundCloud."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import aiohttp
import pytest
from aiohttp import web
from yarl import URL

from soundcloud_async.testing import FakeSoundCloud

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def load_example(name: str, monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> ModuleType:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)
    return module


class TestWebBackend:
    """examples/web_backend.py: login with PKCE, per-user calls, logout."""

    async def test_login_me_logout(
        self, fake: FakeSoundCloud, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A browser's round trip works, on one pool, and sign-out ends the session."""
        example = load_example(
            "web_backend",
            monkeypatch,
            {
                "SOUNDCLOUD_CLIENT_ID": fake.client_id,
                "SOUNDCLOUD_CLIENT_SECRET": fake.client_secret,
                "SOUNDCLOUD_API": fake.base_url,
            },
        )
        runner = web.AppRunner(example.make_app())
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        app_url = URL(f"http://127.0.0.1:{port}")
        try:
            jar = aiohttp.CookieJar(unsafe=True)
            async with aiohttp.ClientSession(cookie_jar=jar) as browser:
                # /login -> the fake's /authorize -> a 302 to the callback with code+state.
                async with browser.get(app_url / "login", allow_redirects=False) as resp:
                    assert 302 == resp.status
                    authorize = resp.headers["Location"]
                async with browser.get(authorize, allow_redirects=False) as resp:
                    assert 302 == resp.status
                    callback = URL(resp.headers["Location"])
                assert "/callback" == callback.path
                local_callback = app_url.with_path("/callback").with_query(callback.query)
                async with browser.get(local_callback, allow_redirects=False) as resp:
                    assert 302 == resp.status
                async with browser.get(app_url / "me") as resp:
                    assert 200 == resp.status
                    body = await resp.json()
                assert "user" in body
                assert isinstance(body["likes"], list)
                async with browser.get(app_url / "logout", allow_redirects=False) as resp:
                    assert 302 == resp.status
        finally:
            await runner.cleanup()
        assert 1 == fake.count("POST", "/sign-out")
        assert fake.count("GET", "/me") >= 1


class TestCrawlerExample:
    """examples/crawler.py crawls the fake into SQLite and resumes to the same result."""

    async def test_crawl(
        self, fake: FakeSoundCloud, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        """Two follow-hops from the default user store users, tracks and playlists."""
        example = load_example(
            "crawler",
            monkeypatch,
            {"SOUNDCLOUD_ACCESS_TOKEN": fake.issue_token(), "SOUNDCLOUD_API": fake.base_url},
        )
        out = str(tmp_path / "crawl.sqlite")
        objects = await example.crawl(fake.world.default_user_urn, out=out, depth=1, rate=2000)
        assert {"user", "track", "playlist"} <= set(objects)
        again = await example.crawl(fake.world.default_user_urn, out=out, depth=1, rate=2000)
        assert objects == again


class TestBotExample:
    """examples/bot.py answers pasted links, and reports spam blocks instead of retrying."""

    async def test_answers(
        self, fake: FakeSoundCloud, sc: object, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A track link gets title and stream; a user link, a profile; junk, a hint."""
        from soundcloud_async import SoundCloud

        assert isinstance(sc, SoundCloud)
        example = load_example("bot", monkeypatch, {})
        me = await sc.me.get()
        (track,) = await sc.users.iter_tracks(
            me.urn or "", access="playable", max_items=1
        ).collect()
        reply = await example.answer(sc, track.permalink_url or "")
        assert reply.startswith(f"{track.title} by {me.username}")
        assert fake.base_url in reply
        assert (await example.answer(sc, me.permalink_url or "")).startswith(me.username or "")
        assert "doesn't look like" in await example.answer(sc, "https://example.com/x")

    async def test_spam_block(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A spam-warning 429 on the like becomes a polite message."""
        from soundcloud_async import RetryPolicy, SoundCloud, Unlimited

        example = load_example("bot", monkeypatch, {})
        async with (
            FakeSoundCloud(seed=1, spam_after=0) as spammy,
            SoundCloud(
                spammy.issue_token(),
                base_url=spammy.base_url,
                rate_limiter=Unlimited(),
                retry=RetryPolicy(wait=False),
            ) as sc,
        ):
            me = await sc.me.get()
            (track,) = await sc.users.iter_tracks(me.urn or "", max_items=1).collect()
            reply = await example.answer(sc, track.permalink_url or "", like=True)
        assert "spamming" in reply
