"""Upload bodies (``_media``), without a network."""

from __future__ import annotations

import io
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from soundcloud_async import InvalidArgument, TransportError
from soundcloud_async._media import (
    CHUNK_SIZE,
    UploadFile,
    multipart_factory,
    upload_timeout,
)


class Sink:
    """A stand-in for aiohttp's stream writer: collects what a payload writes."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.writes = 0

    async def write(self, chunk: bytes) -> None:
        self.data += chunk
        self.writes += 1

    async def write_eof(self, chunk: bytes = b"") -> None:
        self.data += chunk

    async def drain(self) -> None:
        pass

    def enable_compression(self, *args: Any, **kwargs: Any) -> None:
        pass

    def enable_chunking(self) -> None:
        pass

    async def write_headers(self, *args: Any) -> None:
        pass

    def send_headers(self, *args: Any) -> None:
        pass


async def agen(*chunks: bytes) -> AsyncIterator[bytes]:
    """An async iterable of ``chunks``."""
    for chunk in chunks:
        yield chunk


async def body_of(upload: UploadFile, progress: Any = None) -> bytes:
    """What one attempt's file payload writes."""
    sink = Sink()
    factory = multipart_factory({}, [("f", upload)], progress)
    writer = factory()
    ((payload, *_),) = writer._parts
    await payload.write(sink)  # type: ignore[arg-type]
    return bytes(sink.data)


class TestUploadFile:
    """Sources: size, name, replayability, validation."""

    def test_path(self, tmp_path: Path) -> None:
        """A path has its size and name, and can be replayed."""
        path = tmp_path / "song.mp3"
        path.write_bytes(b"x" * 10)
        upload = UploadFile(path)
        assert (10, "song.mp3", True) == (upload.size, upload.filename, upload.replayable)

    def test_seekable_file_from_position(self) -> None:
        """A seekable file counts from where it stands."""
        f = io.BytesIO(b"0123456789")
        f.seek(4)
        assert 6 == UploadFile(f).size

    def test_async_iterable(self) -> None:
        """An async iterable has no size and is read once."""
        upload = UploadFile(agen(b"a"), filename="a.wav")
        assert (None, False, "a.wav") == (upload.size, upload.replayable, upload.filename)

    @pytest.mark.parametrize("source", [42, "/no/such/file", io.StringIO("text"), [b"a"]])
    def test_invalid(self, source: Any) -> None:
        """Unsupported or unreadable sources are refused at once."""
        with pytest.raises(InvalidArgument):
            UploadFile(source)

    def test_directory(self, tmp_path: Path) -> None:
        """A directory is not an upload."""
        with pytest.raises(InvalidArgument):
            UploadFile(tmp_path)


class TestPayload:
    """The streamed payload: bytes, chunking, progress, replay."""

    async def test_path_streams_in_chunks(self, tmp_path: Path) -> None:
        """A file is written in CHUNK_SIZE pieces, and progress counts to the total."""
        path = tmp_path / "big.bin"
        data = os.urandom(CHUNK_SIZE * 2 + 5)
        path.write_bytes(data)
        seen: list[tuple[int, int | None]] = []
        assert data == await body_of(UploadFile(path), lambda d, t: seen.append((d, t)))
        assert [
            (CHUNK_SIZE, len(data)),
            (2 * CHUNK_SIZE, len(data)),
            (len(data), len(data)),
        ] == seen

    async def test_seekable_replays_from_start(self) -> None:
        """A second attempt re-reads a seekable file from its starting position."""
        f = io.BytesIO(b"..payload")
        f.seek(2)
        upload = UploadFile(f)
        assert b"payload" == await body_of(upload)
        assert b"payload" == await body_of(upload)

    async def test_async_iterable_progress_total_unknown(self) -> None:
        """An async iterable reports progress with total None."""
        seen: list[tuple[int, int | None]] = []
        body = await body_of(
            UploadFile(agen(b"ab", bytearray(b"c"))), lambda d, t: seen.append((d, t))
        )
        assert b"abc" == body
        assert [(2, None), (3, None)] == seen

    async def test_async_iterable_not_replayed(self) -> None:
        """Once an async iterable gave bytes, a new attempt's body cannot be made."""
        upload = UploadFile(agen(b"a"))
        factory = multipart_factory({}, [("f", upload)])
        factory()
        assert not upload.started
        factory()  # nothing was read yet: a retry before any byte is fine
        await body_of(upload)
        with pytest.raises(TransportError, match="cannot be read again"):
            factory()

    async def test_non_bytes_chunk(self) -> None:
        """A chunk that is not bytes is a TypeError while writing."""
        with pytest.raises(TypeError):
            await body_of(UploadFile(agen("text")))  # type: ignore[arg-type]

    def test_upload_timeout_has_no_total(self) -> None:
        """The upload timeout keeps connect limits and drops the total."""
        import aiohttp

        timeout = upload_timeout(aiohttp.ClientTimeout(total=30, connect=10))
        assert (None, 10, 300.0) == (timeout.total, timeout.connect, timeout.sock_read)
