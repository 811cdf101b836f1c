"""A pytest plugin serving a fake SoundCloud to your tests.

Turn it on with one line in your ``conftest.py``::

    pytest_plugins = ["soundcloud_async.testing.pytest_plugin"]

It needs ``pytest-asyncio`` (in ``asyncio_mode = "auto"``, or mark your tests
``@pytest.mark.asyncio``). Then::

    async def test_my_bot(soundcloud_fake, soundcloud_fake_token):
        async with SoundCloud(soundcloud_fake_token, base_url=soundcloud_fake.base_url) as sc:
            me = await sc.me.get()
        soundcloud_fake.assert_called("GET", "/me", times=1)

Fixtures:

* ``soundcloud_fake``: a started :class:`~soundcloud_async.testing.FakeSoundCloud` on
  loopback (a ``tiny`` world by default), closed after the test.
* ``soundcloud_fake_token``: a ready access token of the fake's test user.
* ``soundcloud_fake_options``: the keyword options the fake is built with (``{}``);
  override this fixture in your ``conftest.py`` to change them for a whole directory.

Marker: ``@pytest.mark.soundcloud_fake(**options)`` sets options for one test, over
``soundcloud_fake_options``, e.g.
``@pytest.mark.soundcloud_fake(general_rate=5, random_faults={"server_error": 0.1})``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from soundcloud_async.testing._server import FakeSoundCloud

__all__ = ["soundcloud_fake", "soundcloud_fake_options", "soundcloud_fake_token"]

#: Options used unless the test says otherwise: a small world starts fast.
DEFAULT_OPTIONS: dict[str, Any] = {"size": "tiny"}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "soundcloud_fake(**options): FakeSoundCloud options for the soundcloud_fake fixture",
    )


@pytest.fixture
def soundcloud_fake_options() -> dict[str, Any]:
    """FakeSoundCloud keyword options; override in a conftest.py to change them."""
    return {}


@pytest_asyncio.fixture
async def soundcloud_fake(
    request: pytest.FixtureRequest, soundcloud_fake_options: dict[str, Any]
) -> AsyncIterator[FakeSoundCloud]:
    """A started FakeSoundCloud, closed after the test."""
    options = {**DEFAULT_OPTIONS, **soundcloud_fake_options}
    marker = request.node.get_closest_marker("soundcloud_fake")
    if marker is not None:
        options.update(marker.kwargs)
    async with FakeSoundCloud(**options) as fake:
        yield fake


@pytest.fixture
def soundcloud_fake_token(soundcloud_fake: FakeSoundCloud) -> str:
    """A ready access token of the fake's test user."""
    return soundcloud_fake.issue_token()
