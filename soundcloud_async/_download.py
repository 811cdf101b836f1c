"""Downloads and streams of a track's audio: files that survive, resumes without gaps.

:func:`download` and :func:`iter_audio` take the stream URLs to try, best first (a
403 or 404 when opening moves on to the next; when all refuse and the preview works,
:class:`PreviewOnly`). An HLS URL is streamed by :class:`_hls.HLSStream`; anything
else is a progressive body, copied as it comes.

A download to a path writes ``DEST.part``, renamed over ``DEST`` when complete. For
HLS, ``DEST.part.json`` records the segments and bytes the part file holds: rewritten
at most every half second, and always when the download stops on something it sees
(an error, a cancellation, Ctrl-C), each time after an fsync of the part file, so it
never claims bytes that are not on disk. With ``resume=True`` a later call truncates
the part file to what the sidecar records and goes on from the next segment: never
from scratch, never with a gap (a process killed outright re-fetches at most the last
half second's segments). The sidecar holds no secret and no URL: the track's URN
(or a hash of the URL), the format, the container, the playlist's fingerprint (its
segment durations) and the counts; a playlist that no longer matches (the track was
re-uploaded) starts the file over. Without ``resume``, a failed download removes its
part file. A second download into the same path at the same time is refused (POSIX
``flock``). Progressive downloads do not resume: they start over.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import time
from collections.abc import AsyncGenerator, Callable, Sequence
from typing import IO, Any, Final, TypeAlias, TypeVar

import attrs
import orjson
from yarl import URL

from soundcloud_async import _media
from soundcloud_async._errors import (
    Forbidden,
    InvalidArgument,
    NotFound,
    SoundCloudError,
)
from soundcloud_async._hls import (
    DEFAULT_CONCURRENCY,
    HLSStream,
    Source,
    open_source,
    preview_only,
    sniff_container,
)
from soundcloud_async._http import Transport
from soundcloud_async._media import DOWNLOAD_CHUNK_SIZE, Destination

__all__ = [
    "DownloadProgress",
    "DownloadProgressCallback",
    "DownloadResult",
    "check_destination",
    "download",
    "iter_audio",
]

logger = logging.getLogger("soundcloud_async")

_EXTENSIONS: Final = {
    "mp4": "m4a",
    "mpegts": "ts",
    "mp3": "mp3",
    "adts": "aac",
    "ogg": "ogg",
    "unknown": "bin",
}
_SIDECAR_KIND: Final = "soundcloud_async/hls-progress"
_SIDECAR_VERSION: Final = 1
#: Seconds between checkpoints of a download to a path (fsync, then the sidecar).
SYNC_INTERVAL: Final = 0.5
T = TypeVar("T")


@attrs.frozen(slots=True)
class DownloadProgress:
    """How far a download is; passed to ``progress`` after every segment (or chunk).

    Attributes:
        bytes_done: bytes written so far (a resumed download counts what it kept).
        bytes_total: the size when known in advance (progressive downloads with a
            ``Content-Length``); ``None`` for HLS, whose segment sizes are not listed.
        segments_done: segments written (the init segment not counted); ``None`` for
            a progressive download.
        segments_total: segments in the playlist; ``None`` for a progressive download.
        resumed_from: the segment a resumed download started at (0: from the start).
    """

    bytes_done: int
    bytes_total: int | None = None
    segments_done: int | None = None
    segments_total: int | None = None
    resumed_from: int = 0

    @property
    def fraction(self) -> float | None:
        """Done, from 0.0 to 1.0, by segments (HLS) or bytes; ``None`` if unknown."""
        if self.segments_total:
            return (self.segments_done or 0) / self.segments_total
        if self.bytes_total:
            return self.bytes_done / self.bytes_total
        return None


#: ``progress(DownloadProgress)``: called after every segment (HLS) or chunk.
DownloadProgressCallback: TypeAlias = Callable[[DownloadProgress], Any]


@attrs.frozen(slots=True)
class DownloadResult:
    """What a download wrote.

    Attributes:
        size: bytes in the file (or written to the file object).
        format: the :class:`Streams` field downloaded (``None`` for a bare URL).
        container: ``"mp4"``, ``"mpegts"``, ``"mp3"``, ``"adts"``, ``"ogg"`` or
            ``"unknown"``.
        segments: HLS segments in the file (0 for a progressive download).
        resumed_from: the segment this call started at (0: from the start).
        refreshes: times the playlist was fetched again after its links expired.
    """

    size: int
    format: str | None
    container: str
    segments: int = 0
    resumed_from: int = 0
    refreshes: int = 0

    @property
    def extension(self) -> str:
        """The usual file extension of the container (``m4a``, ``ts``, ``mp3`` ...)."""
        return _EXTENSIONS.get(self.container, "bin")


# -- iter_audio -----------------------------------------------------------------------------


async def iter_audio(
    transport: Transport,
    sources: Sequence[tuple[str | None, str]],
    *,
    chunk_size: int = DOWNLOAD_CHUNK_SIZE,
    concurrency: int = DEFAULT_CONCURRENCY,
    preview_url: str | None = None,
) -> AsyncGenerator[bytes, None]:
    """The audio of the first source that opens, in chunks of at most ``chunk_size``.

    HLS: the init segment, then each segment as it arrives, in order. Progressive:
    the body. Close it with ``contextlib.aclosing()`` to stop early: the prefetch
    tasks are cancelled and every connection released.
    """
    async with contextlib.AsyncExitStack() as stack:
        _, source = await _open_first(transport, stack, sources, preview_url)
        if source.playlist is None:
            async with contextlib.aclosing(_progressive_body(source, chunk_size)) as body:
                async for chunk in body:
                    yield chunk
            return
        session = HLSStream(transport, source.url, source.playlist, concurrency)
        first = await session.probe()
        if source.playlist.init_url:
            for piece in _chunks(await session.fetch(-1), chunk_size):
                yield piece
        stream = session.segments(0, first)
        try:
            async for data in stream:
                for piece in _chunks(data, chunk_size):
                    yield piece
        finally:
            await stream.aclose()


def _chunks(data: bytes, size: int) -> list[bytes]:
    if len(data) <= size:
        return [data] if data else []
    view = memoryview(data)
    return [bytes(view[i : i + size]) for i in range(0, len(data), size)]


async def _progressive_body(source: Source, chunk_size: int) -> AsyncGenerator[bytes, None]:
    """A progressive body: the chunk :func:`open_source` read to sniff it, then the rest."""
    assert source.response is not None
    for piece in _chunks(source.first, chunk_size):
        yield piece
    async for chunk in source.response.iter_chunks(chunk_size):
        yield chunk


async def _open_first(
    transport: Transport,
    stack: contextlib.AsyncExitStack,
    sources: Sequence[tuple[str | None, str]],
    preview_url: str | None,
) -> tuple[str | None, Source]:
    """Open the first source that does not answer 403 or 404 (the preview-only rule)."""
    refused: Forbidden | None = None
    missing: NotFound | None = None
    for format, url in sources:
        try:
            source = await stack.enter_async_context(open_source(transport, url))
        except Forbidden as exc:
            refused = exc
        except NotFound as exc:
            missing = exc
        else:
            return format, source
        logger.info("format %s refused; trying the next one", format)
    if refused is not None:
        if preview_url is not None:
            try:
                async with open_source(transport, preview_url):
                    pass
            except SoundCloudError:
                raise refused from None
            raise preview_only(
                "every full-length format answered 403 while the preview works", refused
            ) from refused
        raise refused
    if missing is not None:
        raise missing
    raise InvalidArgument("no format to download")


# -- download -------------------------------------------------------------------------------


@attrs.define(slots=True)
class _Sidecar:
    """What ``DEST.part.json`` records: no URL, no secret."""

    source: str
    format: str | None
    container: str
    segments: int
    fingerprint: str
    done: int = 0
    size: int = 0

    def to_json(self) -> bytes:
        return orjson.dumps(
            {
                "kind": _SIDECAR_KIND,
                "version": _SIDECAR_VERSION,
                **attrs.asdict(self),
            }
        )

    @classmethod
    def load(cls, path: str) -> _Sidecar | None:
        try:
            with open(path, "rb") as f:
                data = orjson.loads(f.read())
            if data.get("kind") != _SIDECAR_KIND or data.get("version") != _SIDECAR_VERSION:
                return None
            fields = {a.name for a in attrs.fields(cls)}
            return cls(**{k: v for k, v in data.items() if k in fields})
        except (OSError, ValueError, TypeError):
            return None

    def matches(self, other: _Sidecar) -> bool:
        return (self.source, self.format, self.container, self.segments, self.fingerprint) == (
            other.source,
            other.format,
            other.container,
            other.segments,
            other.fingerprint,
        )


def source_id(text: str) -> str:
    """An identity of a download's source for the sidecar: a URN, else a hash."""
    if text.startswith("soundcloud:"):
        return text
    bare = str(URL(text, encoded=True).with_query(None).with_fragment(None))
    return "sha256:" + hashlib.sha256(bare.encode()).hexdigest()[:32]


def _check_path(dest: str | os.PathLike[str]) -> str:
    path = os.fspath(dest)
    if not isinstance(path, str):
        raise InvalidArgument("a download path must be a str path, not bytes")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise InvalidArgument(f"no such directory for the download: {directory!r}")
    if os.path.isdir(path):
        raise InvalidArgument(f"the download destination {path!r} is a directory")
    return path


class _PartFile:
    """``DEST.part`` and its sidecar: opened, locked, resumed, checkpointed.

    Segments are appended as they come; at most every :data:`SYNC_INTERVAL` seconds
    (and when the download stops for any reason it sees: an error, a cancellation,
    Ctrl-C) the part file is fsynced and only then the sidecar rewritten, so the
    sidecar never claims bytes that are not on disk. A process killed outright loses at
    most the segments of the last interval: they are fetched again on resume. (An fsync
    per segment cost more than the whole download on loopback; see
    ``benchmarks/bench_hls.py``.)
    """

    def __init__(self, path: str, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.path = path
        self.part = path + ".part"
        self.sidecar_path = path + ".part.json"
        self.file: IO[bytes] | None = None
        self.state: _Sidecar | None = None
        self._synced: _Sidecar | None = None
        self._clock = clock
        self._synced_at = clock()

    def open(self, wanted: _Sidecar, resume: bool) -> _Sidecar:
        """Open (and lock) the part file; the state to go on from."""
        kept = _Sidecar.load(self.sidecar_path) if resume else None
        # Not truncated before the lock is held: it may be another download's file.
        f = os.fdopen(os.open(self.part, os.O_RDWR | os.O_CREAT, 0o666), "r+b")
        self.file = f
        _lock(f, self.path)
        state = attrs.evolve(wanted, done=0, size=0)
        if kept is not None and kept.matches(wanted) and 0 < kept.done <= wanted.segments:
            size = os.fstat(f.fileno()).st_size
            if size >= kept.size:
                state = kept
        f.truncate(state.size)
        f.seek(state.size)
        self.state = self._synced = state
        self._synced_at = self._clock()
        return state

    def commit(self, data: bytes, state: _Sidecar) -> None:
        """Append a segment; checkpoint if the last checkpoint is old enough."""
        f = self.file
        assert f is not None
        f.write(data)
        self.state = state
        if self._clock() - self._synced_at >= SYNC_INTERVAL:
            self.sync()

    def sync(self) -> None:
        """Make the part file durable, then record what it holds in the sidecar."""
        f, state = self.file, self.state
        assert f is not None
        assert state is not None
        f.flush()
        os.fsync(f.fileno())
        if state != self._synced and state.done > 0:
            tmp = self.sidecar_path + ".tmp"
            with open(tmp, "wb") as side:
                side.write(state.to_json())
            os.replace(tmp, self.sidecar_path)
            self._synced = state
        self._synced_at = self._clock()

    def write_init(self, data: bytes) -> None:
        assert self.file is not None
        self.file.write(data)

    def finish(self) -> None:
        f = self.file
        assert f is not None
        f.flush()
        os.fsync(f.fileno())
        f.close()
        os.replace(self.part, self.path)
        with contextlib.suppress(OSError):
            os.unlink(self.sidecar_path)

    def abandon(self, keep: bool) -> None:
        """Stop: checkpoint what was written (``keep``) or remove it all."""
        if self.file is not None:
            if keep and self.state is not None:
                with contextlib.suppress(OSError, ValueError):
                    self.sync()
            with contextlib.suppress(OSError):
                self.file.close()
        if not keep:
            for leftover in (self.part, self.sidecar_path):
                with contextlib.suppress(OSError):
                    os.unlink(leftover)


def _lock(f: IO[bytes], path: str) -> None:
    """Refuse a second download into the same file at the same time (POSIX)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        return
    try:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        f.close()
        raise InvalidArgument(f"another download is writing {path!r}") from exc


async def download(
    transport: Transport,
    sources: Sequence[tuple[str | None, str]],
    dest: Destination,
    *,
    identity: str,
    progress: DownloadProgressCallback | None = None,
    resume: bool = False,
    concurrency: int = DEFAULT_CONCURRENCY,
    preview_url: str | None = None,
) -> DownloadResult:
    """Download the first source that opens to ``dest``; see the module docstring.

    Args:
        sources: ``(format, stream URL)`` pairs, best first; a 403 (or 404) at opening
            moves on to the next.
        identity: the source's identity for the sidecar (a URN, or a URL to hash).
        preview_url: when every source answers 403 and this opens, raise
            :class:`PreviewOnly`.
    """
    loop = asyncio.get_running_loop()
    path = _check_path(dest) if isinstance(dest, (str, os.PathLike)) else None
    async with contextlib.AsyncExitStack() as stack:
        format, source = await _open_first(transport, stack, sources, preview_url)
        if source.playlist is None:
            return await _download_progressive(source, dest, path, format, progress, loop)
        session = HLSStream(transport, source.url, source.playlist, concurrency)
        first = await session.probe()
        playlist = source.playlist
        total = len(playlist.segments)
        if path is None:
            assert not isinstance(dest, (str, os.PathLike))
            init = await session.fetch(-1) if playlist.init_url else b""
            return await _to_file(session, dest, init, first, format, progress, loop)
        wanted = _Sidecar(
            source=source_id(identity),
            format=format,
            container=session.kind,
            segments=total,
            fingerprint=playlist.fingerprint,
        )
        part = _PartFile(path)
        state = await _blocking(loop, part.open, wanted, resume)
        resumed_from = state.done
        try:
            if resumed_from == 0 and playlist.init_url:
                init = await session.fetch(-1)
                await _blocking(loop, part.write_init, init)
                state = attrs.evolve(state, size=len(init))
            if progress is not None and resumed_from:
                progress(_progress(state, total, resumed_from))
            stream = session.segments(state.done, first if resumed_from == 0 else None)
            try:
                async for data in stream:
                    state = attrs.evolve(state, done=state.done + 1, size=state.size + len(data))
                    await _blocking(loop, part.commit, data, state)
                    if progress is not None:
                        progress(_progress(state, total, resumed_from))
            finally:
                await stream.aclose()
            await _blocking(loop, part.finish)
        except BaseException:
            part.abandon(keep=resume)
            raise
        return DownloadResult(
            size=state.size,
            format=format,
            container=session.kind,
            segments=total,
            resumed_from=resumed_from,
            refreshes=session.refreshes,
        )


async def _blocking(loop: asyncio.AbstractEventLoop, fn: Callable[..., T], *args: Any) -> T:
    """Run file I/O in a thread, and let it finish even if the caller is cancelled.

    A cancelled ``await`` does not stop the thread: returning early would let the
    cleanup close the file (or read the sidecar) while the thread still writes it.
    """
    future = loop.run_in_executor(None, fn, *args)
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        await asyncio.wait([future])
        raise


def _progress(state: _Sidecar, total: int, resumed_from: int) -> DownloadProgress:
    return DownloadProgress(
        bytes_done=state.size,
        segments_done=state.done,
        segments_total=total,
        resumed_from=resumed_from,
    )


async def _to_file(
    session: HLSStream,
    f: IO[bytes],
    init: bytes,
    first: bytes,
    format: str | None,
    progress: DownloadProgressCallback | None,
    loop: asyncio.AbstractEventLoop,
) -> DownloadResult:
    """HLS into a file object, in place (no resume)."""
    total = len(session.playlist.segments)
    written = 0
    if init:
        await _blocking(loop, f.write, init)
        written += len(init)
    done = 0
    stream = session.segments(0, first)
    try:
        async for data in stream:
            await _blocking(loop, f.write, data)
            written += len(data)
            done += 1
            if progress is not None:
                progress(DownloadProgress(written, None, done, total))
    finally:
        await stream.aclose()
    return DownloadResult(written, format, session.kind, total, 0, session.refreshes)


async def _download_progressive(
    source: Source,
    dest: Destination,
    path: str | None,
    format: str | None,
    progress: DownloadProgressCallback | None,
    loop: asyncio.AbstractEventLoop,
) -> DownloadResult:
    """A progressive body to ``dest`` (a path: ``DEST.part`` renamed when complete)."""
    assert source.response is not None
    total = source.response.content_length
    container = sniff_container(source.first)

    async def copy(f: IO[bytes]) -> int:
        written = 0
        async for chunk in _progressive_body(source, DOWNLOAD_CHUNK_SIZE):
            await _blocking(loop, f.write, chunk)
            written += len(chunk)
            if progress is not None:
                progress(DownloadProgress(written, total))
        return written

    if path is None:
        assert not isinstance(dest, (str, os.PathLike))
        written = await copy(dest)
        return DownloadResult(written, format, container)
    part = path + ".part"
    f = await _blocking(loop, _open_write, part)
    try:
        written = await copy(f)
        await _blocking(loop, f.close)
        await _blocking(loop, os.replace, part, path)
    except BaseException:
        f.close()
        with contextlib.suppress(OSError):
            os.unlink(part)
        raise
    return DownloadResult(written, format, container)


def _open_write(path: str) -> IO[bytes]:
    return open(path, "wb")


def check_destination(dest: object, resume: bool) -> None:
    """Reject a destination that cannot be written (before any request).

    Neither a path nor a binary file, a path in a missing directory or naming a
    directory, or ``resume`` without a path.
    """
    _media.check_destination(dest)
    if isinstance(dest, (str, os.PathLike)):
        _check_path(dest)
    elif resume:
        raise InvalidArgument("resume=True needs a path destination, not a file object")
