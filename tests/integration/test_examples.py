"""The examples in examples/ run end to end against FakeSoundCloud."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
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
                    assert (302, "/") == (resp.status, resp.headers["Location"])
                async with browser.get(app_url / "logout") as resp:  # where it leads
                    assert (200, True) == (resp.status, "log in" in await resp.text())
                async with browser.get(app_url / "me", allow_redirects=False) as resp:
                    assert (302, "/login") == (resp.status, resp.headers["Location"])
        finally:
            await runner.cleanup()
        assert 1 == fake.count("POST", "/sign-out")
        assert fake.count("GET", "/me") >= 1

    def test_port_differs_from_the_fake_servers(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """The example and the fake server it is tried with do not want the same port."""
        from soundcloud_async.testing.__main__ import build_parser

        monkeypatch.delenv("PORT", raising=False)
        example = load_example("web_backend", monkeypatch, {})
        fake_port = build_parser().parse_args([]).port
        assert (8000, 8080) == (example.PORT, fake_port)
        assert f"http://localhost:{example.PORT}/callback" == example.REDIRECT_URI


class TestCrawlerExample:
    """examples/crawler.py crawls the fake into SQLite and resumes to the same result."""

    @pytest.fixture
    def example(self, fake: FakeSoundCloud, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
        """examples/crawler.py, set up for the fake."""
        return load_example(
            "crawler",
            monkeypatch,
            {"SOUNDCLOUD_ACCESS_TOKEN": fake.issue_token(), "SOUNDCLOUD_API": fake.base_url},
        )

    async def test_crawl(self, fake: FakeSoundCloud, example: ModuleType, tmp_path: Path) -> None:
        """Two follow-hops from the default user store users, tracks and playlists."""
        out = str(tmp_path / "crawl.sqlite")
        objects = await example.crawl(fake.world.default_user_urn, out=out, depth=1, rate=2000)
        assert {"user", "track", "playlist"} <= set(objects)
        again = await example.crawl(fake.world.default_user_urn, out=out, depth=1, rate=2000)
        assert objects == again

    async def test_default_seed_is_the_tokens_user(
        self, example: ModuleType, tmp_path: Path
    ) -> None:
        """Without a seed the crawl starts from the token's own user and finds objects."""
        objects = await example.crawl(out=str(tmp_path / "c.sqlite"), depth=0, rate=2000)
        assert objects.get("user", 0) >= 1

    def test_documented_seed_exists(self) -> None:
        """The seed user the docstring suggests is the test user of the fake's default world."""
        from soundcloud_async.testing import World
        from soundcloud_async.testing.__main__ import build_parser

        doc = (EXAMPLES / "crawler.py").read_text(encoding="utf-8")
        suggested = set(re.findall(r"soundcloud:users:\d+", doc))
        defaults = build_parser().parse_args([])
        world = World.generate(seed=defaults.seed, size=defaults.size)
        assert {world.default_user_urn} == suggested


class TestBotExample:
    """examples/bot.py answers pasted links, and reports spam blocks instead of retrying."""

    @pytest.mark.parametrize(
        ("argv", "env", "code", "says"),
        [
            ([], {"SOUNDCLOUD_ACCESS_TOKEN": "t"}, 2, "usage: python examples/bot.py LINK"),
            (["a", "b"], {"SOUNDCLOUD_ACCESS_TOKEN": "t"}, 2, "usage:"),
            (["https://soundcloud.com/x/y"], {}, 2, "set SOUNDCLOUD_ACCESS_TOKEN"),
            (["--help"], {}, 0, "usage:"),
        ],
    )
    def test_command_line(self, argv: list[str], env: dict[str, str], code: int, says: str) -> None:
        """Run as a script without what it needs, it prints usage and exits 2, no traceback."""
        environ = {k: v for k, v in os.environ.items() if k != "SOUNDCLOUD_ACCESS_TOKEN"}
        done = subprocess.run(
            [sys.executable, str(EXAMPLES / "bot.py"), *argv],
            env={**environ, **env},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        output = done.stdout + done.stderr
        assert (code, True, False) == (done.returncode, says in output, "Traceback" in output)

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
