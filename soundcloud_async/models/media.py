"""Media: a track's stream URLs."""

from __future__ import annotations

import attrs

from soundcloud_async.models.common import Model

__all__ = ["Streams"]


@attrs.define(kw_only=True)
class Streams(Model):
    """Stream URLs of a track (``GET /tracks/{urn}/streams``).

    The URLs still need the ``Authorization`` header, and may redirect to a CDN.
    """

    hls_aac_160_url: str | None = None
    hls_aac_96_url: str | None = None
    hls_mp3_128_url: str | None = None
    hls_opus_64_url: str | None = None
    http_mp3_128_url: str | None = None
    preview_mp3_128_url: str | None = None
