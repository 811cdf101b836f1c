"""soundcloud_async: an asyncio client for the official SoundCloud API."""

from __future__ import annotations

from soundcloud_async._version import __version__

__all__ = ["__version__"]
