"""The pytest plugin: one line in a user's conftest.py gives them a started fake."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import soundcloud_async

REPO_ROOT = Path(soundcloud_async.__file__).resolve().parents[1]

CONFTEST = 'pytest_plugins = ["soundcloud_async.testing.pytest_plugin"]\n'

INI = """\
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
filterwarnings = error
addopts = --strict-markers
"""

USER_TESTS = """
import aiohttp
import pytest

from soundcloud_async.testing import FakeSoundCloud


async def test_fake_is_running(soundcloud_fake):
    assert isinstance(soundcloud_fake, FakeSoundCloud)
    form = {
        "grant_type": "client_credentials",
        "client_id": soundcloud_fake.client_id,
        "client_secret": soundcloud_fake.client_secret,
    }
    async with aiohttp.ClientSession() as http:
        async with http.post(soundcloud_fake.url("/oauth/token"), data=form) as resp:
            assert 200 == resp.status
            assert 3599 == (await resp.json())["expires_in"]
    soundcloud_fake.assert_called("POST", "/oauth/token", times=1)


async def test_token_fixture(soundcloud_fake, soundcloud_fake_token):
    headers = {"Authorization": f"OAuth {soundcloud_fake_token}"}
    async with aiohttp.ClientSession() as http:
        async with http.get(soundcloud_fake.url("/me"), headers=headers) as resp:
            assert soundcloud_fake.world.default_user_urn == (await resp.json())["urn"]
        async with http.post(soundcloud_fake.url("/sign-out"), headers=headers) as resp:
            assert 200 == resp.status


@pytest.mark.soundcloud_fake(token_lifetime=10)
async def test_marker_sets_options(soundcloud_fake):
    assert 10 == soundcloud_fake.issue_tokens()["expires_in"]
"""


def run_pytest(tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


class TestPlugin:
    def test_one_line_in_conftest_enables_the_fixtures(self, tmp_path: Path) -> None:
        """A project with only the pytest_plugins line gets soundcloud_fake and its marker."""
        (tmp_path / "pytest.ini").write_text(INI)
        (tmp_path / "conftest.py").write_text(CONFTEST)
        (tmp_path / "test_user.py").write_text(textwrap.dedent(USER_TESTS))
        result = run_pytest(tmp_path)
        assert 0 == result.returncode, result.stdout + result.stderr
        assert "3 passed" in result.stdout
