"""The pytest plugin: one line in a user's conftest.py gives them a started fake."""

from __future__ import annotations

import os
import re
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


def readme_blocks() -> dict[str, str]:
    """The README's code blocks that open with a file name comment (``# conftest.py``)."""
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```(?:python|toml)\n# ([\w.]+)\n(.*?)```", readme, flags=re.S)
    return dict(blocks)


class TestReadmeSnippet:
    """The README's pytest snippet works, as written, in a fresh project."""

    def test_as_written(self, tmp_path: Path) -> None:
        """Only the README's conftest.py and test file, no configuration: it passes."""
        blocks = readme_blocks()
        for name in ("conftest.py", "test_bot.py"):
            (tmp_path / name).write_text(blocks[name])
        result = run_pytest(tmp_path)
        assert (0, True) == (result.returncode, "1 passed" in result.stdout), (
            result.stdout + result.stderr
        )

    def test_with_the_suggested_configuration(self, tmp_path: Path) -> None:
        """With the README's pyproject.toml lines, the unmarked test passes, warning-free."""
        blocks = readme_blocks()
        (tmp_path / "conftest.py").write_text(blocks["conftest.py"])
        unmarked = blocks["test_bot.py"].replace("@pytest.mark.asyncio", "#")
        (tmp_path / "test_bot.py").write_text(unmarked)
        (tmp_path / "pyproject.toml").write_text(blocks["pyproject.toml"])
        result = run_pytest(tmp_path)
        output = result.stdout + result.stderr
        assert (0, True, False) == (
            result.returncode,
            "1 passed" in result.stdout,
            "warning" in output.lower(),
        ), output
