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
