"""HLS as SoundCloud serves it: playlists, segments, signed links that expire.

One HLS stream, end to end::

    stream URL (API host: Authorization, one token of the API budget)    Transport.stream
      └─ 302 → signed playlist on the CDN (valid ~5 minutes)
           ├─ a master playlist? take its highest-bandwidth variant    Transport.fetch_media
           └─ the media playlist: [init segment] + segments
    segments: up to `concurrency` fetches in flight, used strictly in order
      ├─ a transient failure (5xx, 429, reset, timeout, a body that is not the
      │  container it should be) → retried under the client's RetryPolicy
      └─ 403 → the signed links expired: the playlist is fetched again from the
         stream URL and the stream goes on from the same segment

**Budget and politeness.** Only the stream URL is an API request: it goes through the
transport (limiter, auth, retries) like any other. Playlists and segments live on the
CDN: they take no token from the API rate limiter and never carry ``Authorization``.
They are bounded instead by ``concurrency`` (requests in flight per download, default
4) and by the client's :class:`RetryPolicy` (attempts, backoff with jitter,
``Retry-After``, deadline) applied per segment, without spending the shared
:class:`RetryBudget`, which guards the API. A 403 leads to at most one playlist refresh
per segment completed since the previous one, so a CDN that refuses everything is
reported (:class:`Forbidden`), never hammered.

**Checks.** Segments are checked against their container before they are used (TS
sync bytes, MP4 box sizes, MP3/ADTS frame lengths), so an error page or a truncated
body is retried, never written; a segment of no known container is refused.

**Memory.** A stream holds at most ``concurrency`` segments (10 seconds of audio
each, about 200 KB) at once. Files, resume and the public entry points are in
``_download``.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import hashlib
import logging
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any, Final

import attrs
import m3u8
from yarl import URL

from soundcloud_async._errors import (
    DecodeError,
    Forbidden,
    InvalidArgument,
    PreviewOnly,
    SoundCloudError,
    redact_url,
)
from soundcloud_async._events import RetryScheduled
from soundcloud_async._http import StreamResponse, Transport
from soundcloud_async._media import DOWNLOAD_CHUNK_SIZE, media_timeout

__all__ = [
    "DEFAULT_CONCURRENCY",
    "FORMAT_PREFERENCE",
    "MAX_CONCURRENCY",
    "HLSStream",
    "MasterPlaylist",
    "MediaPlaylist",
    "SegmentRef",
    "Source",
    "audio_seconds",
    "candidates",
    "check_concurrency",
    "check_segment",
    "open_source",
    "parse_playlist",
    "preview_only",
    "sniff_container",
]

logger = logging.getLogger("soundcloud_async")

#: Segment fetches in flight per download (and segments held in memory at most).
DEFAULT_CONCURRENCY: Final = 4
MAX_CONCURRENCY: Final = 16
#: The full-length formats tried when none is asked for, best first. The deprecated
#: progressive ``http_mp3_128_url`` is never picked unless asked for.
FORMAT_PREFERENCE: Final = ("hls_aac_160_url", "hls_mp3_128_url", "hls_aac_96_url")
PLAYLIST_MAX_BYTES: Final = 4 * 1024 * 1024
SEGMENT_MAX_BYTES: Final = 64 * 1024 * 1024
_PLAYLIST_TYPES: Final = frozenset(
    {
        "application/vnd.apple.mpegurl",
        "application/x-mpegurl",
        "audio/mpegurl",
        "audio/x-mpegurl",
    }
)


# -- playlists (pure) ---------------------------------------------------------------------


@attrs.frozen(slots=True)
class SegmentRef:
    """One segment of a media playlist: its absolute URL and length in seconds."""

    url: str = attrs.field(repr=False)
    duration: float


@attrs.frozen(slots=True)
class MediaPlaylist:
    """A VOD media playlist: the init segment (fMP4) and the segments, in order."""

    url: str = attrs.field(repr=False)
    segments: tuple[SegmentRef, ...]
    init_url: str | None = attrs.field(default=None, repr=False)

    @property
    def fingerprint(self) -> str:
        """Identifies the audio, not the links: equal for a refreshed playlist."""
        h = hashlib.sha256(b"init" if self.init_url else b"-")
        for seg in self.segments:
            h.update(f"{seg.duration:.3f};".encode())
        return h.hexdigest()[:32]


@attrs.frozen(slots=True)
class MasterPlaylist:
    """A master playlist: its variants as ``(bandwidth, absolute URL)``."""

    url: str = attrs.field(repr=False)
    variants: tuple[tuple[int, str], ...] = attrs.field(repr=False)

    def best(self) -> str:
        """The URL of the highest-bandwidth variant."""
        return max(self.variants, key=lambda v: v[0])[1]


def _join(base: str, ref: str) -> str:
    return str(URL(base, encoded=True).join(URL(ref, encoded=True)))


def _bad(message: str, url: str) -> DecodeError:
    return DecodeError(message, method="GET", url=url, status=200)


def parse_playlist(text: str, url: str) -> MediaPlaylist | MasterPlaylist:
    """Parse an HLS playlist fetched from ``url`` (relative URIs resolve against it).

    Raises:
        DecodeError: not a playlist, an empty or live (no ``#EXT-X-ENDLIST``) media
            playlist, encrypted segments, or byte-range segments (not served by
            SoundCloud, so not supported).
    """
    body = text.lstrip("\ufeff \t\r\n")
    if not body.startswith("#EXTM3U"):
        raise _bad("not an HLS playlist (no #EXTM3U)", url)
    try:
        data = m3u8.parse(body)
    except Exception as exc:  # m3u8 raises ParseError, ValueError, IndexError ...
        raise _bad(f"unreadable HLS playlist: {type(exc).__name__}", url) from exc
    if data.get("is_variant"):
        variants = []
        for entry in data.get("playlists") or []:
            uri = entry.get("uri")
            if not uri:
                continue
            bandwidth = int((entry.get("stream_info") or {}).get("bandwidth") or 0)
            variants.append((bandwidth, _join(url, uri)))
        if not variants:
            raise _bad("a master playlist without variants", url)
        return MasterPlaylist(url, tuple(variants))
    segments = data.get("segments") or []
    if not segments:
        raise _bad("a media playlist without segments", url)
    if not data.get("is_endlist"):
        raise _bad("a live playlist (no #EXT-X-ENDLIST): only complete tracks download", url)
    init_url: str | None = None
    refs = []
    for seg in segments:
        key = seg.get("key")
        if key and str(key.get("method", "NONE")).upper() != "NONE":
            raise _bad("encrypted HLS segments are not supported", url)
        if seg.get("byterange"):
            raise _bad("byte-range HLS segments are not supported", url)
        section = seg.get("init_section")
        if section and section.get("uri"):
            this_init = _join(url, section["uri"])
            if init_url is not None and this_init != init_url:
                raise _bad("more than one init segment (EXT-X-MAP)", url)
            init_url = this_init
        refs.append(SegmentRef(_join(url, seg["uri"]), float(seg.get("duration") or 0.0)))
    return MediaPlaylist(url, tuple(refs), init_url)


# -- containers (pure) --------------------------------------------------------------------

_MP3_BITRATES: Final = {
    # (version bits, layer bits) -> kbps by index; version 3 = MPEG-1, else 2/2.5
    (3, 1): (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (3, 2): (0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (3, 3): (0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (2, 1): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    (2, 2): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    (2, 3): (0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
}
_MP3_RATES: Final = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def _skip_id3(data: bytes) -> int:
    """The offset after leading ID3v2 tags (HLS packed audio starts with one)."""
    offset = 0
    while data[offset : offset + 3] == b"ID3" and len(data) >= offset + 10:
        size = 0
        for b in data[offset + 6 : offset + 10]:
            size = (size << 7) | (b & 0x7F)
        footer = 10 if data[offset + 5] & 0x10 else 0
        offset += 10 + size + footer
    return offset


def sniff_container(data: bytes) -> str:
    """The container of a segment (or file) from its first bytes."""
    if data[4:8] in (b"ftyp", b"styp", b"moof", b"moov", b"sidx", b"emsg"):
        return "mp4"
    if data[:1] == b"\x47" and (len(data) <= 188 or data[188:189] == b"\x47"):
        return "mpegts"
    if data[:4] == b"OggS":
        return "ogg"
    at = _skip_id3(data)
    head = data[at : at + 2]
    if len(head) == 2 and head[0] == 0xFF:
        if head[1] & 0xF6 == 0xF0:
            return "adts"
        if head[1] & 0xE0 == 0xE0:
            return "mp3"
    return "unknown"


def _mp3_frame(header: bytes) -> tuple[int, float]:
    """``(length in bytes, seconds)`` of the MPEG audio frame ``header`` starts (0: not one)."""
    version = (header[1] >> 3) & 0x3
    layer = (header[1] >> 1) & 0x3
    index = header[2] >> 4
    rate_index = (header[2] >> 2) & 0x3
    if version == 1 or layer == 0 or index in (0, 15) or rate_index == 3:
        return 0, 0.0
    kbps = _MP3_BITRATES[(3 if version == 3 else 2, layer)][index]
    rate = _MP3_RATES[version if version != 1 else 0][rate_index]
    padding = (header[2] >> 1) & 1
    if layer == 3:  # Layer I
        return (12 * kbps * 1000 // rate + padding) * 4, 384 / rate
    lsf_layer3 = layer == 1 and version != 3
    samples = 576 if lsf_layer3 else 1152
    factor = 72 if lsf_layer3 else 144
    return factor * kbps * 1000 // rate + padding, samples / rate


_ADTS_RATES: Final = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000)


def _frame_header(header: bytes, container: str) -> tuple[int, float]:
    """``(length, seconds)`` of the MP3 or ADTS frame whose header starts ``header``."""
    if len(header) < 7 or header[0] != 0xFF:
        return 0, 0.0
    if container == "adts":
        rate_index = (header[2] >> 2) & 0xF
        if header[1] & 0xF6 != 0xF0 or rate_index >= len(_ADTS_RATES):
            return 0, 0.0
        length = ((header[3] & 0x3) << 11) | (header[4] << 3) | (header[5] >> 5)
        return length, 1024 * ((header[6] & 0x3) + 1) / _ADTS_RATES[rate_index]
    if header[1] & 0xE0 != 0xE0:
        return 0, 0.0
    return _mp3_frame(header)


def _frames_seconds(data: bytes, container: str) -> float | None:
    """Seconds of audio in whole MP3 or ADTS frames, end to end (``None``: not whole).

    A segment repeats a handful of distinct headers: each is decoded once.
    """
    offset = _skip_id3(data)
    end = len(data)
    if offset >= end:
        return None
    seconds = 0.0
    known: dict[bytes, tuple[int, float]] = {}
    while offset < end:
        header = data[offset : offset + 7]
        frame = known.get(header)
        if frame is None:
            frame = known[header] = _frame_header(header, container)
        length, frame_seconds = frame
        if length < 7:
            return None
        seconds += frame_seconds
        offset += length
    return seconds if offset == end else None


def _ts_elementary(data: bytes) -> bytes | None:
    """The payload of the first PES stream of a transport stream, PES headers removed.

    ``None`` when a PES packet is cut short (its announced length is not all there).
    """
    pid: int | None = None
    out = bytearray()
    expected = 0  # bytes the current PES packet still announces (0: unbounded)
    for offset in range(0, len(data), 188):
        packet = data[offset : offset + 188]
        this_pid = ((packet[1] & 0x1F) << 8) | packet[2]
        start = bool(packet[1] & 0x40)
        control = (packet[3] >> 4) & 0x3
        at = 4 + (1 + packet[4] if control & 0x2 else 0)
        if not control & 0x1 or at >= 188:
            continue
        payload = packet[at:]
        if pid is None and start and payload[:3] == b"\x00\x00\x01":
            pid = this_pid
        if this_pid != pid:
            continue
        if start:
            if expected > 0:
                return None
            if payload[:3] != b"\x00\x00\x01" or len(payload) < 9:
                return None
            length = int.from_bytes(payload[4:6], "big")
            header = 9 + payload[8]
            expected = length - (header - 6) if length else 0
            payload = payload[header:]
        out += payload
        if expected:
            expected -= len(payload)
            if expected < 0:
                return None
    return None if expected > 0 else bytes(out)


def _boxes(data: bytes) -> list[bytes] | None:
    """The top-level ISO BMFF box types of ``data`` (``None``: not whole boxes)."""
    kinds = []
    offset = 0
    end = len(data)
    while offset < end:
        if end - offset < 8:
            return None
        size = int.from_bytes(data[offset : offset + 4], "big")
        if size == 1:
            if end - offset < 16:
                return None
            size = int.from_bytes(data[offset + 8 : offset + 16], "big")
        elif size == 0:
            size = end - offset
        if size < 8:
            return None
        kinds.append(data[offset + 4 : offset + 8])
        offset += size
    return kinds if offset == end else None


def _boxes_ok(data: bytes) -> bool:
    return _boxes(data) is not None


def audio_seconds(container: str, data: bytes) -> float | None:
    """Seconds of audio in a whole MP3, ADTS or MPEG-TS segment; ``None`` if not whole.

    MP4 segments answer ``0.0`` when they are whole boxes with samples (``mdat``): their
    duration is not read. Other containers answer ``0.0`` unchecked.
    """
    if container in ("mp3", "adts"):
        return _frames_seconds(data, container)
    if container == "mpegts":
        if len(data) % 188 or data[::188] != b"\x47" * (len(data) // 188):
            return None
        stream = _ts_elementary(data)
        if not stream:
            return None
        kind = sniff_container(stream)
        return _frames_seconds(stream, kind) if kind in ("mp3", "adts") else 0.0
    if container == "mp4":
        kinds = _boxes(data)
        return 0.0 if kinds is not None and b"mdat" in kinds else None
    return 0.0


def check_segment(container: str, data: bytes, duration: float = 0.0) -> bool:
    """Whether a segment is whole, of its container, and lasts what the playlist says.

    Cheap structural checks: TS packets and PES lengths, MP4 boxes, MP3/ADTS frame
    lengths; for MP3, ADTS and TS the audio must last at least 3/4 of ``duration``
    (the ``#EXTINF``), so a body cut on a frame or packet boundary is caught too.
    """
    if not data or sniff_container(data) != container:
        return False
    seconds = audio_seconds(container, data)
    if seconds is None:
        return False
    return not (seconds and duration > 1.0 and seconds < 0.75 * duration)


# -- choosing a format (pure) ---------------------------------------------------------------


def candidates(streams: Any, format: str | None) -> list[tuple[str, str]]:
    """The ``(format, URL)`` pairs to try, best first.

    With a ``format``, only that one. Without, the full-length HLS formats the track
    offers, in :data:`FORMAT_PREFERENCE` order.

    Raises:
        PreviewOnly: no ``format`` asked, and the track offers only its preview.
        InvalidArgument: the format asked for is not offered; or no ``format`` asked
            and the track offers only the deprecated progressive format.
    """
    offered = {
        name: getattr(streams, name)
        for name in (
            *FORMAT_PREFERENCE,
            "hls_opus_64_url",
            "http_mp3_128_url",
            "preview_mp3_128_url",
        )
        if getattr(streams, name, None)
    }
    if format is not None:
        url = offered.get(format)
        if not url:
            raise InvalidArgument(f"the track offers no {format} (it offers {sorted(offered)})")
        return [(format, str(url))]
    found: list[tuple[str, str]] = [
        (name, str(offered[name])) for name in FORMAT_PREFERENCE if name in offered
    ]
    if found:
        return found
    if "http_mp3_128_url" in offered:
        raise InvalidArgument(
            "the track offers only the deprecated progressive http_mp3_128_url; "
            "pass format='http_mp3_128_url' to download it"
        )
    if "preview_mp3_128_url" in offered:
        raise preview_only("the track offers only its 30-second preview")
    raise InvalidArgument(f"the track offers no audio format (it offers {sorted(offered)})")


def preview_only(reason: str, cause: Forbidden | None = None) -> PreviewOnly:
    return PreviewOnly(
        f"{reason}; pass format='preview_mp3_128_url' to download the preview",
        status=403,
        method="GET",
        url=cause.url if cause is not None else "(streams)",
        body=b"",
    )


# -- opening a stream URL -------------------------------------------------------------------


@attrs.define(slots=True)
class Source:
    """An opened stream URL: an HLS playlist (read whole) or a progressive body (open).

    ``url`` is the stream URL as given (the API URL to fetch a fresh playlist from),
    not the CDN URL it redirected to.
    """

    url: str = attrs.field(repr=False)
    playlist: MediaPlaylist | None = None
    response: StreamResponse | None = attrs.field(default=None, repr=False)
    first: bytes = attrs.field(default=b"", repr=False)


def _is_playlist(resp: StreamResponse, first: bytes) -> bool:
    content_type = resp.headers.get("Content-Type", "").split(";")[0].strip().lower()
    return content_type in _PLAYLIST_TYPES or first.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(
        b"#EXTM3U"
    )


async def _media_playlist(transport: Transport, text: str, url: str) -> MediaPlaylist:
    """The media playlist of ``text``, following a master playlist to its best variant."""
    parsed = parse_playlist(text, url)
    if isinstance(parsed, MediaPlaylist):
        return parsed
    variant_url = parsed.best()
    resp = await transport.fetch_media(
        variant_url, max_bytes=PLAYLIST_MAX_BYTES, timeout=media_timeout(transport.timeout)
    )
    variant = parse_playlist(_text(resp.data, resp.url), resp.url)
    if not isinstance(variant, MediaPlaylist):
        raise _bad("a master playlist names another master playlist", resp.url)
    return variant


def _text(data: bytes, url: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _bad("an HLS playlist that is not UTF-8", url) from exc


@contextlib.asynccontextmanager
async def open_source(transport: Transport, url: str) -> AsyncIterator[Source]:
    """Open a stream URL through the transport (auth on the API host only).

    An HLS playlist is read whole (a master one followed to its best variant) and
    its response released; a progressive body stays open inside the block.
    """
    async with transport.stream(url, timeout=media_timeout(transport.timeout)) as resp:
        chunks = resp.iter_chunks(DOWNLOAD_CHUNK_SIZE)
        first = b""
        async for chunk in chunks:
            first = chunk
            break
        if not _is_playlist(resp, first):
            await chunks.aclose()
            yield Source(url, response=resp, first=first)
            return
        body = bytearray(first)
        async for chunk in chunks:
            body += chunk
            if len(body) > PLAYLIST_MAX_BYTES:
                raise _bad(f"an HLS playlist over {PLAYLIST_MAX_BYTES} bytes", resp.url)
        final = resp.url
    playlist = await _media_playlist(transport, _text(bytes(body), final), final)
    yield Source(url, playlist=playlist)


# -- fetching segments ------------------------------------------------------------------------


class HLSStream:
    """The segments of one HLS download: fetched in order, retried, links refreshed."""

    def __init__(
        self,
        transport: Transport,
        source_url: str,
        playlist: MediaPlaylist,
        concurrency: int,
    ) -> None:
        self.transport = transport
        self.source_url = source_url
        self.playlist = playlist
        self.concurrency = concurrency
        self.policy = attrs.evolve(transport.retry, budget=None)
        self.container: str | None = None
        self.generation = 0
        self.refreshes = 0
        self.done_since_refresh = 0
        self._lock = asyncio.Lock()
        self._timeout = media_timeout(transport.timeout)

    async def _refresh(self, generation: int, error: Forbidden) -> None:
        """Fetch the playlist again (once for all the fetches that saw ``generation``)."""
        async with self._lock:
            if self.generation != generation:
                return  # another fetch refreshed it already
            if self.refreshes and not self.done_since_refresh:
                raise error  # fresh links are refused too: not an expiry
            # error.url was redacted when the error was made (APIError.__init__).
            logger.info("HLS links expired (%s); fetching the playlist again", error.url)
            async with open_source(self.transport, self.source_url) as source:
                fresh = source.playlist
            if fresh is None:
                raise _bad("the stream URL no longer answers an HLS playlist", self.source_url)
            if fresh.fingerprint != self.playlist.fingerprint:
                raise _bad(
                    "the track's playlist changed during the download (re-uploaded?)",
                    self.source_url,
                )
            self.playlist = fresh
            self.generation += 1
            self.refreshes += 1
            self.done_since_refresh = 0

    async def fetch(self, index: int) -> bytes:
        """Segment ``index`` (``-1``: the init segment), checked, with retries."""
        transport = self.transport
        clock = transport.clock
        start = clock()
        attempt = 0
        while True:
            attempt += 1
            generation = self.generation
            playlist = self.playlist
            url = playlist.init_url if index < 0 else playlist.segments[index].url
            assert url is not None
            try:
                resp = await transport.fetch_media(
                    url, max_bytes=SEGMENT_MAX_BYTES, timeout=self._timeout
                )
                data: bytes = resp.data
                problem = self._problem(index, data)
                if problem:
                    raise DecodeError(problem, method="GET", url=url, status=resp.status)
            except Forbidden as exc:
                await self._refresh(generation, exc)
                attempt -= 1  # an expired link is not a failed attempt
                continue
            except SoundCloudError as exc:
                delay = self.policy.decide(
                    exc, method="GET", attempt=attempt, elapsed=clock() - start
                )
                if delay is None:
                    raise
                hooks = transport.hooks
                if hooks.retry_scheduled:
                    hooks.emit(
                        hooks.retry_scheduled,
                        RetryScheduled("GET", redact_url(url), attempt, delay, exc),
                    )
                logger.info(
                    "retrying HLS segment %d in %.2fs after attempt %d: %s",
                    index,
                    delay,
                    attempt,
                    exc,
                )
                if delay > 0:
                    await transport.sleep(delay)
                continue
            self.done_since_refresh += 1
            return data

    @property
    def kind(self) -> str:
        """The segments' container (known once :meth:`probe` has run)."""
        return self.container or "unknown"

    def _problem(self, index: int, data: bytes) -> str | None:
        """Why a fetched segment is not usable (``None``: it is)."""
        if index < 0:
            return None if _boxes_ok(data) else "the init segment is not whole MP4 boxes"
        container = self.container or sniff_container(data)
        if container == "unknown":
            return f"segment {index} is not audio of a known container ({len(data)} bytes)"
        duration = self.playlist.segments[index].duration
        if not check_segment(container, data, duration):
            return f"segment {index} is not a whole {container} segment ({len(data)} bytes)"
        return None

    async def probe(self) -> bytes:
        """Fetch segment 0 to learn the container (its bytes are then reused)."""
        data = await self.fetch(0)
        self.container = sniff_container(data)
        return data

    async def segments(self, start: int, first: bytes | None) -> AsyncGenerator[bytes, None]:
        """Segments ``start..`` in order, with up to ``concurrency`` fetched ahead.

        The prefetch tasks outlive a ``yield``: closing the iterator cancels them.
        """
        total = len(self.playlist.segments)
        pending: collections.deque[asyncio.Future[bytes]] = collections.deque()
        next_index = start
        if first is not None and start == 0:
            done: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
            done.set_result(first)
            pending.append(done)
            next_index = 1
        try:
            while next_index < total or pending:
                while next_index < total and len(pending) < self.concurrency:
                    pending.append(asyncio.ensure_future(self.fetch(next_index)))
                    next_index += 1
                head = pending.popleft()
                data = await head
                yield data
        finally:
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)


def check_concurrency(concurrency: object) -> int:
    if (
        isinstance(concurrency, bool)
        or not isinstance(concurrency, int)
        or not 1 <= concurrency <= MAX_CONCURRENCY
    ):
        raise InvalidArgument(
            f"concurrency must be an int from 1 to {MAX_CONCURRENCY}, not {concurrency!r:.40}"
        )
    return concurrency
