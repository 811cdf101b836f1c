"""The fake's media: stream URLs on the API host, signed audio on a CDN host.

Two rooms, like SoundCloud's:

* **The API host** answers a track's stream URLs (``/media/{id}/{variant}/{name}``,
  which ``GET /tracks/{urn}/streams`` hands out). They need ``Authorization`` and count
  in the ``plays`` budget; each answers **302** to a signed URL on the CDN, issued now
  and valid :attr:`FakeMedia.link_lifetime` seconds (5 minutes by default, as observed).
* **The CDN** is the *other* loopback host name (``localhost`` <-> ``127.0.0.1``, same
  port): another origin, so a client that leaks ``Authorization`` across origins is
  caught. It serves ``/cdn/{id}/{variant}/{name}`` without authentication, checks the
  CloudFront-style signature (``Policy``, ``Signature``, ``Key-Pair-Id``) and answers
  **403** (CloudFront's XML) to a missing, wrong or expired one. Every request to either
  room is logged in ``app[MEDIA_LOG_KEY]`` with whether it carried ``Authorization``.

What each variant is (``FORMATS``):

==================  ==========================================================
``hls_aac_160``     fMP4: ``init.mp4`` then ``.m4s`` fragments of AAC-LC; for one
                    track in three the URL leads to a **master playlist** naming
                    this variant and ``hls_aac_96``
``hls_mp3_128``     MP3 segments (``.mp3``), 128 kbit/s
``hls_aac_96``      MPEG-TS segments (``.ts``) of ADTS AAC-LC
``http_mp3_128``    progressive: the ``hls_mp3_128`` segments as one file
``preview_mp3_128`` the first 30 seconds, progressive MP3
==================  ==========================================================

The audio is valid and silent (see ``_audio``), deterministic, and as long as the
track's ``duration`` to within one frame: a first segment of about 2 seconds, then
about 10 seconds each. :meth:`FakeMedia.expected_audio` gives the bytes a correct
client must end up with, for any variant.

Knobs for tests: :meth:`FakeMedia.expire_links` (every link issued so far answers
403 from now on, as after 5 minutes), the injected ``wall_clock`` (links expire when
it passes their time), and :meth:`FakeMedia.refuse_full_length` (the full-length
formats answer 403 while the preview works, soundcloud/api#534). The fault
injector's kinds apply here as on any route (``route="/cdn/*"``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Final

import orjson
from aiohttp import web

from soundcloud_async.testing import _audio
from soundcloud_async.testing._shared import PRINCIPAL_KEY, Principal, json_error
from soundcloud_async.testing._world import World

__all__ = [
    "DEFAULT_LINK_LIFETIME",
    "FORMATS",
    "MEDIA_KEY",
    "MEDIA_LOG_KEY",
    "PREVIEW_SECONDS",
    "FakeMedia",
    "Format",
    "MediaHit",
    "Segment",
    "add_media_routes",
    "other_host",
]

#: Seconds of audio in a preview.
PREVIEW_SECONDS: Final = 30.0
#: Seconds a signed CDN link stays valid (2025 observation; 30 minutes in 2019).
DEFAULT_LINK_LIFETIME: Final = 300.0
_FIRST_SEGMENT: Final = 2.0
_SEGMENT: Final = 10.0
_KEY_PAIR_ID: Final = "APKAFAKESOUNDCLOUD00"
_MASTER_EVERY: Final = 3


@dataclass(frozen=True, slots=True)
class Format:
    """One audio variant the fake serves."""

    variant: str
    container: str  # "mp4" | "mpegts" | "mp3"
    kbps: int
    frame_samples: int
    segment_ext: str
    content_type: str

    @property
    def frame_seconds(self) -> float:
        return self.frame_samples / _audio.SAMPLE_RATE


FORMATS: Final[dict[str, Format]] = {
    "hls_aac_160": Format("hls_aac_160", "mp4", 160, 1024, "m4s", "audio/mp4"),
    "hls_mp3_128": Format("hls_mp3_128", "mp3", 128, 1152, "mp3", "audio/mpeg"),
    "hls_aac_96": Format("hls_aac_96", "mpegts", 96, 1024, "ts", "video/mp2t"),
}
_PROGRESSIVE: Final = {"http_mp3_128": "hls_mp3_128", "preview_mp3_128": "hls_mp3_128"}


@dataclass(frozen=True, slots=True)
class Segment:
    """One segment of a media playlist: its frames and its length in seconds."""

    index: int
    first_frame: int
    frames: int
    seconds: float


@dataclass(frozen=True, slots=True)
class MediaHit:
    """One request to a media or CDN route, and whether it carried ``Authorization``."""

    path: str
    host: str
    authorization: bool


#: ``app[MEDIA_LOG_KEY]``: every media/CDN request, in order.
MEDIA_LOG_KEY: Final = web.AppKey("soundcloud_async.testing.media_log", list[MediaHit])

_EXPIRED_XML: Final = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>"
)
_DENIED_XML: Final = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    "<Error><Code>AccessDenied</Code><Message>Access denied</Message></Error>"
)


def other_host(request: web.Request) -> str:
    """The request's host with the other loopback name (``localhost`` <-> ``127.0.0.1``)."""
    host = request.host
    name, _, port = host.rpartition(":") if ":" in host else (host, "", "")
    if not name:
        name, port = host, ""
    other = "127.0.0.1" if name == "localhost" else "localhost"
    return f"{other}:{port}" if port else other


def _cf_b64(data: bytes) -> str:
    """CloudFront's URL-safe base64 (``+`` -> ``-``, ``=`` -> ``_``, ``/`` -> ``~``)."""
    text = base64.b64encode(data).decode("ascii")
    return text.replace("+", "-").replace("=", "_").replace("/", "~")


def _cf_unb64(text: str) -> bytes:
    return base64.b64decode(text.replace("-", "+").replace("_", "=").replace("~", "/"))


@dataclass(slots=True, eq=False)
class FakeMedia:
    """The media rooms of one fake; ``app[MEDIA_KEY]`` and ``FakeSoundCloud.media``.

    Args:
        world: the world whose tracks are served.
        wall_clock: epoch seconds; links expire against it (a ``ManualClock`` in tests).
        link_lifetime: seconds a signed CDN link stays valid.
    """

    world: World
    wall_clock: Callable[[], float] = time.time
    link_lifetime: float = DEFAULT_LINK_LIFETIME
    #: Track indexes whose full-length formats answer 403.
    refused: set[int] = field(default_factory=set)
    #: CDN requests answered 403 for an expired or invalid signature.
    denied: int = 0
    _epoch: int = 0
    _secret: bytes = b"fake-cloudfront-signing-key"

    # -- knobs --------------------------------------------------------------------------

    def expire_links(self) -> None:
        """Make every CDN link issued so far answer 403, as if 5 minutes had passed."""
        self._epoch += 1

    def refuse_full_length(self, track: str | int, refused: bool = True) -> None:
        """Make a track's full-length formats answer 403 while its preview works."""
        t = self._index(track)
        if refused:
            self.refused.add(t)
        else:
            self.refused.discard(t)

    # -- the oracle -----------------------------------------------------------------------

    def duration(self, track: str | int) -> float:
        """The track's ``duration`` in seconds (what the audio lasts, to one frame)."""
        return self._seconds(self._index(track))

    def segments(self, track: str | int, variant: str) -> list[Segment]:
        """The media playlist's segments of an HLS variant."""
        return list(self._plan(self._index(track), FORMATS[variant]))

    def segment_bytes(self, track: str | int, variant: str, index: int) -> bytes:
        """The bytes of one segment of an HLS variant."""
        t = self._index(track)
        fmt = FORMATS[variant]
        plan = list(self._plan(t, fmt))
        return self._segment(t, fmt, plan[index])

    def init_bytes(self, variant: str) -> bytes | None:
        """The init segment of an fMP4 variant (``None`` for the others)."""
        fmt = FORMATS[variant]
        return _audio.mp4_init(fmt.kbps) if fmt.container == "mp4" else None

    def expected_audio(self, track: str | int, variant: str) -> bytes:
        """The whole file a correct client writes for a variant (init, then segments).

        ``variant`` is an HLS variant, ``http_mp3_128`` or ``preview_mp3_128`` (a
        ``_url`` suffix, as in ``Streams`` field names, is accepted).
        """
        variant = variant.removesuffix("_url")
        t = self._index(track)
        return b"".join(self._body(t, variant))

    def has_master(self, track: str | int) -> bool:
        """Whether the track's ``hls_aac_160`` URL leads to a master playlist."""
        return self._master_t(self._index(track))

    def _master_t(self, t: int) -> bool:
        return self.world.track_id(t) % _MASTER_EVERY == 0

    # -- internals -------------------------------------------------------------------------

    def _index(self, track: str | int) -> int:
        """The world's index of a track URN or numeric id."""
        t = self.world.track_index(track)
        if t is None:
            raise KeyError(f"no such track: {track!r}")
        return t

    def _seconds(self, t: int) -> float:
        return int(self.world.track_dict(t)["duration"]) / 1000

    def _frames_total(self, t: int, fmt: Format, seconds: float | None = None) -> int:
        d = self._seconds(t) if seconds is None else seconds
        return max(1, round(d / fmt.frame_seconds))

    def _plan(self, t: int, fmt: Format, seconds: float | None = None) -> Iterator[Segment]:
        total = self._frames_total(t, fmt, seconds)
        first = round(_FIRST_SEGMENT / fmt.frame_seconds)
        rest = round(_SEGMENT / fmt.frame_seconds)
        done = 0
        index = 0
        while done < total:
            n = min(first if index == 0 else rest, total - done)
            yield Segment(index, done, n, n * fmt.frame_seconds)
            done += n
            index += 1

    def _marker(self, t: int, variant: str, index: int) -> bytes:
        return f"SCFAKE {self.world.track_id(t)} {variant} {index}|".encode()

    def _segment(self, t: int, fmt: Format, seg: Segment) -> bytes:
        marker = self._marker(t, fmt.variant, seg.index)
        if fmt.container == "mp3":
            return _audio.mp3_frame(fmt.kbps, marker) * seg.frames
        size = _audio.aac_frame_size(fmt.kbps)
        if fmt.container == "mp4":
            raw = _audio.aac_raw_frame(size - 7, marker)
            return _audio.mp4_fragment(
                index=seg.index, first_frame=seg.first_frame, frames=seg.frames, frame=raw
            )
        per_segment = _audio.ts_packets_per_segment(round(_SEGMENT / fmt.frame_seconds), size)
        first = _audio.ts_packets_per_segment(round(_FIRST_SEGMENT / fmt.frame_seconds), size)
        before = 0 if seg.index == 0 else first + (seg.index - 1) * per_segment
        return _audio.ts_segment(
            index=seg.index,
            first_frame=seg.first_frame,
            frames=seg.frames,
            frame=_audio.adts_frame(size, marker),
            audio_cc=before & 0x0F,
        )

    def _body(self, t: int, variant: str) -> Iterator[bytes]:
        """The bytes of a whole variant, piece by piece (never all in memory)."""
        if variant in _PROGRESSIVE:
            fmt = FORMATS[_PROGRESSIVE[variant]]
            seconds = None
            if variant == "preview_mp3_128":
                seconds = min(PREVIEW_SECONDS, self._seconds(t))
            for seg in self._plan(t, fmt, seconds):
                yield self._segment(t, fmt, seg)
            return
        fmt = FORMATS[variant]
        init = self.init_bytes(variant)
        if init is not None:
            yield init
        for seg in self._plan(t, fmt):
            yield self._segment(t, fmt, seg)

    # -- signing ---------------------------------------------------------------------------

    def _signature(self, policy: str) -> str:
        key = self._secret + self._epoch.to_bytes(8, "big")
        return _cf_b64(hmac.new(key, policy.encode("ascii"), hashlib.sha256).digest())

    def _signed(self, request: web.Request, tid: int, variant: str, name: str) -> str:
        expires = int(self.wall_clock() + self.link_lifetime)
        resource = f"http*://*/cdn/{tid}/{variant}/*"
        statement = {
            "Statement": [
                {"Resource": resource, "Condition": {"DateLessThan": {"AWS:EpochTime": expires}}}
            ]
        }
        policy = _cf_b64(orjson.dumps(statement))
        query = f"Policy={policy}&Signature={self._signature(policy)}&Key-Pair-Id={_KEY_PAIR_ID}"
        return f"{request.scheme}://{other_host(request)}/cdn/{tid}/{variant}/{name}?{query}"

    def _check(self, request: web.Request, tid: int, variant: str) -> str | None:
        """Why a CDN request is refused (``None``: it is not)."""
        q = request.query
        policy, signature = q.get("Policy"), q.get("Signature")
        if not policy or not signature or q.get("Key-Pair-Id") != _KEY_PAIR_ID:
            return _DENIED_XML
        if not hmac.compare_digest(signature, self._signature(policy)):
            return _EXPIRED_XML  # only an expire_links() makes a signature of ours wrong
        try:
            (statement,) = orjson.loads(_cf_unb64(policy))["Statement"]
            resource = statement["Resource"]
            expires = statement["Condition"]["DateLessThan"]["AWS:EpochTime"]
        except (ValueError, KeyError, TypeError):
            return _DENIED_XML
        if resource != f"http*://*/cdn/{tid}/{variant}/*":
            return _DENIED_XML
        if self.wall_clock() >= expires:
            return _EXPIRED_XML
        return None

    # -- handlers --------------------------------------------------------------------------

    def _record(self, request: web.Request) -> None:
        hit = MediaHit(request.path, request.host, "Authorization" in request.headers)
        request.app[MEDIA_LOG_KEY].append(hit)

    async def api_media(self, request: web.Request) -> web.StreamResponse:
        """``/media/{id}/{variant}/{name}`` on the API host: 302 to a fresh CDN link."""
        self._record(request)
        if not isinstance(request.get(PRINCIPAL_KEY), Principal):
            return json_error(401, "401 - Unauthorized")
        tid = int(request.match_info["track_id"])
        t = self.world.track_index(tid)
        variant = request.match_info["variant"]
        if t is None or (variant not in FORMATS and variant not in _PROGRESSIVE):
            return json_error(404, "404 - Not Found")
        if variant != "preview_mp3_128" and t in self.refused:
            return json_error(403, "403 - Forbidden: this track can only be previewed")
        if variant in _PROGRESSIVE:
            name = "preview.mp3" if variant == "preview_mp3_128" else "stream.mp3"
        elif variant == "hls_aac_160" and self._master_t(t):
            name = "master.m3u8"
        else:
            name = "playlist.m3u8"
        raise web.HTTPFound(self._signed(request, tid, variant, name))

    async def cdn(self, request: web.Request) -> web.StreamResponse:
        """``/cdn/{id}/{variant}/{name}``: playlists, init and segments, signed."""
        self._record(request)
        tid = int(request.match_info["track_id"])
        variant = request.match_info["variant"]
        name = request.match_info["name"]
        t = self.world.track_index(tid)
        if t is None or (variant not in FORMATS and variant not in _PROGRESSIVE):
            return web.Response(status=404, text="Not Found")
        refusal = self._check(request, tid, variant)
        if refusal is not None:
            self.denied += 1
            return _tagged(
                request,
                web.Response(
                    status=403,
                    text=refusal,
                    content_type="text/xml",
                    headers={"Server": "CloudFront", "X-Cache": "Error from cloudfront"},
                ),
            )
        if variant in _PROGRESSIVE:
            return await self._progressive(request, t, variant)
        fmt = FORMATS[variant]
        if name == "master.m3u8" and variant == "hls_aac_160":
            return _tagged(request, _playlist(self._master(request, tid)))
        if name == "playlist.m3u8":
            return _tagged(request, _playlist(self._media_playlist(request, t, fmt)))
        if name == "init.mp4" and fmt.container == "mp4":
            return _tagged(
                request, web.Response(body=_audio.mp4_init(fmt.kbps), content_type="audio/mp4")
            )
        m = re.fullmatch(r"(\d+)\." + re.escape(fmt.segment_ext), name)
        plan = list(self._plan(t, fmt))
        if m is None or int(m.group(1)) >= len(plan):
            return web.Response(status=404, text="Not Found")
        body = self._segment(t, fmt, plan[int(m.group(1))])
        return _tagged(request, web.Response(body=body, content_type=fmt.content_type))

    async def _progressive(self, request: web.Request, t: int, variant: str) -> web.StreamResponse:
        """A whole MP3, streamed segment by segment (a long mix is never held whole)."""
        if variant == "preview_mp3_128":
            resp = web.Response(body=b"".join(self._body(t, variant)), content_type="audio/mpeg")
            return _tagged(request, resp)
        stream = web.StreamResponse(headers={"Content-Type": "audio/mpeg"})
        fmt = FORMATS[_PROGRESSIVE[variant]]
        frame = len(_audio.mp3_frame(fmt.kbps, b""))
        stream.content_length = frame * self._frames_total(t, fmt)
        _tagged(request, stream)
        await stream.prepare(request)
        for piece in self._body(t, variant):
            await stream.write(piece)
        await stream.write_eof()
        return stream

    def _master(self, request: web.Request, tid: int) -> str:
        lines = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-INDEPENDENT-SEGMENTS"]
        for variant, bandwidth in (("hls_aac_96", 100_000), ("hls_aac_160", 170_000)):
            url = self._signed(request, tid, variant, "playlist.m3u8")
            relative = "../" + url.split(f"/cdn/{tid}/", 1)[1]
            lines += [f'#EXT-X-STREAM-INF:BANDWIDTH={bandwidth},CODECS="mp4a.40.2"', relative]
        return "\n".join(lines) + "\n"

    def _media_playlist(self, request: web.Request, t: int, fmt: Format) -> str:
        tid = self.world.track_id(t)
        plan = list(self._plan(t, fmt))
        longest = max(s.seconds for s in plan)
        version = 7 if fmt.container == "mp4" else 3
        lines = [
            "#EXTM3U",
            f"#EXT-X-VERSION:{version}",
            "#EXT-X-PLAYLIST-TYPE:VOD",
            f"#EXT-X-TARGETDURATION:{int(longest + 0.999)}",
            "#EXT-X-MEDIA-SEQUENCE:0",
        ]
        if fmt.container == "mp4":
            lines.append(f'#EXT-X-MAP:URI="{self._signed(request, tid, fmt.variant, "init.mp4")}"')
        for seg in plan:
            name = f"{seg.index}.{fmt.segment_ext}"
            lines += [f"#EXTINF:{seg.seconds:.6f},", self._signed(request, tid, fmt.variant, name)]
        lines.append("#EXT-X-ENDLIST")
        return "\n".join(lines) + "\n"


def _playlist(text: str) -> web.Response:
    return web.Response(text=text, content_type="application/vnd.apple.mpegurl")


def _tagged(request: web.Request, resp: web.StreamResponse) -> web.StreamResponse:
    present = "Authorization" in request.headers
    resp.headers["X-Fake-Authorization"] = "present" if present else "absent"
    return resp


#: ``app[MEDIA_KEY]``: the app's :class:`FakeMedia`.
MEDIA_KEY: Final = web.AppKey("soundcloud_async.testing.media", FakeMedia)


def add_media_routes(app: web.Application, media: FakeMedia) -> None:
    """Register the stream-URL and CDN routes of ``media`` on ``app``."""
    app[MEDIA_KEY] = media
    app.setdefault(MEDIA_LOG_KEY, [])
    app.router.add_get(r"/media/{track_id:\d+}/{variant:[a-z0-9_]+}/{name}", media.api_media)
    app.router.add_get(r"/cdn/{track_id:\d+}/{variant:[a-z0-9_]+}/{name}", media.cdn)
