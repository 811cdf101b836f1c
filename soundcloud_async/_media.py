"""Upload bodies and download helpers: audio moves in chunks and is never held whole.

Uploads (``POST /tracks``, artwork on ``PUT /tracks/{urn}`` and ``POST /playlists``)
are ``multipart/form-data`` bodies built by :func:`multipart_factory`. Each file part
is an :class:`UploadFile` read chunk by chunk while aiohttp writes the request, so a
500 MB upload costs one chunk of memory. A source is one of:

* a path (``str`` or ``os.PathLike``): re-opened for every attempt, so it can be retried;
* a binary file object: a seekable one is rewound to where it stood for every attempt
  (retried like a path); an unseekable one (a pipe, a socket) is read once;
* ``bytes``: already in memory, re-sent as is;
* an async iterable of ``bytes``: read once.

A source that is read once cannot be replayed: once its first chunk has been sent, the
upload is not retried (a failed attempt raises :class:`TransportError` saying so), and a
``429`` is surfaced at once rather than retried. An attempt that fails before sending
any bytes (the connection could not be made) is still retried.

Downloads (HLS and progressive) are in ``_download`` and ``_hls``; this module keeps
the checks and timeouts they share with uploads.

This module imports aiohttp for its payload classes only; every request still goes
through the transport.
"""

from __future__ import annotations

import asyncio
import io
import os
from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Callable,
    Mapping,
    Sequence,
)
from typing import IO, Any, TypeAlias

import aiohttp
from aiohttp.abc import AbstractStreamWriter
from aiohttp.payload import Payload

from soundcloud_async._errors import InvalidArgument, TransportError, redact_url

__all__ = [
    "CHUNK_SIZE",
    "DOWNLOAD_CHUNK_SIZE",
    "Destination",
    "Progress",
    "UploadFile",
    "UploadSource",
    "check_chunk_size",
    "check_destination",
    "check_progress",
    "check_url",
    "media_timeout",
    "multipart_factory",
    "upload_timeout",
]

#: Bytes read from an upload source per chunk.
CHUNK_SIZE = 256 * 1024
#: Bytes per chunk of a download.
DOWNLOAD_CHUNK_SIZE = 64 * 1024
#: Seconds to wait for the answer once an upload's body is sent (SoundCloud
#: processes the audio before it answers).
UPLOAD_ANSWER_TIMEOUT = 300.0

#: ``progress(bytes_done, total_or_None)``: called after every chunk.
Progress: TypeAlias = Callable[[int, "int | None"], None]
#: What an upload reads its bytes from; see the module docstring.
UploadSource: TypeAlias = (
    "str | os.PathLike[str] | bytes | bytearray | memoryview | IO[bytes] | AsyncIterable[bytes]"
)
#: Where a download goes: a path (written to a temporary file, then renamed) or a
#: binary file object (written in place).
Destination: TypeAlias = "str | os.PathLike[str] | IO[bytes]"


def check_progress(progress: object) -> None:
    if progress is not None and not callable(progress):
        raise InvalidArgument(f"progress must be a callable, not {progress!r:.40}")


class _Counter:
    """Bytes done across the file parts of one attempt, reported to ``progress``."""

    __slots__ = ("callback", "done", "total")

    def __init__(self, callback: Progress | None, total: int | None) -> None:
        self.callback = callback
        self.total = total
        self.done = 0

    def advance(self, n: int) -> None:
        self.done += n
        if self.callback is not None:
            self.callback(self.done, self.total)


class UploadFile:
    """One file part of a multipart upload, and how to read it again for a retry.

    Built (and validated) before any request: a missing path or a text-mode file
    raises :class:`InvalidArgument` at once.
    """

    __slots__ = ("_aiter", "_kind", "_source", "_start", "filename", "size", "started")

    def __init__(self, source: UploadSource, *, filename: str | None = None) -> None:
        self._source: Any = source
        self._aiter: AsyncIterator[Any] | None = None
        self._start = 0
        self.started = False
        self.size: int | None
        if isinstance(source, (str, os.PathLike)):
            path = os.fspath(source)
            if not isinstance(path, str):
                raise InvalidArgument("an upload path must be a str path, not bytes")
            try:
                st = os.stat(path)
            except OSError as exc:
                raise InvalidArgument(f"cannot read {path!r}: {exc.strerror}") from exc
            if not os.path.isfile(path):
                raise InvalidArgument(f"{path!r} is not a regular file")
            self._kind = "path"
            self._source = path
            self.size = st.st_size
            default_name = os.path.basename(path)
        elif isinstance(source, (bytes, bytearray, memoryview)):
            self._kind = "bytes"
            self._source = memoryview(source).cast("B")
            self.size = self._source.nbytes
            default_name = "upload"
        elif isinstance(source, io.TextIOBase):
            raise InvalidArgument("an upload file must be opened in binary mode ('rb')")
        elif callable(getattr(source, "read", None)):
            if isinstance(getattr(source, "mode", "rb"), str) and "b" not in getattr(
                source, "mode", "rb"
            ):
                raise InvalidArgument("an upload file must be opened in binary mode ('rb')")
            self._kind = "seekable" if _seekable(source) else "stream"
            self.size = None
            if self._kind == "seekable":
                src: Any = source
                self._start = src.tell()
                self.size = _remaining_size(src, self._start)
            name = getattr(source, "name", None)
            default_name = os.path.basename(name) if isinstance(name, str) else "upload"
        elif isinstance(source, AsyncIterable):
            self._kind = "aiter"
            self.size = None
            default_name = "upload"
        else:
            raise InvalidArgument(
                "an upload source must be a path, bytes, a binary file or an async "
                f"iterable of bytes, not {type(source).__name__}"
            )
        if filename is not None and (not isinstance(filename, str) or not filename.strip()):
            raise InvalidArgument(f"filename must be a non-empty string, not {filename!r:.40}")
        self.filename = filename or default_name or "upload"

    def __repr__(self) -> str:
        return f"<UploadFile {self._kind} {self.filename!r} size={self.size}>"

    @property
    def replayable(self) -> bool:
        """Whether the bytes can be sent again for a retried attempt."""
        return self._kind in ("path", "bytes", "seekable")

    def check_replay(self) -> None:
        """Raise if a read-once source already gave bytes to an earlier attempt."""
        if self.started and not self.replayable:
            raise TransportError(
                f"the upload of {self.filename!r} failed after part of it was sent, and "
                "its source (an async iterable or an unseekable file) cannot be read "
                "again; pass a path or a seekable file to let the client retry",
                method="POST",
                url="(upload)",
            )

    def reader(self) -> _Reader:
        """A reader of the bytes from the start (for replayable sources).

        A path is opened here, synchronously (opening is quick), so that the handle
        exists only inside the ``try`` that closes it: a write cancelled or abandoned
        mid-way (the server answered early) still closes the file.
        """
        if self._kind == "path":
            return _Reader(self, _open_binary(self._source))
        if self._kind == "seekable":
            self._source.seek(self._start)
        if self._kind == "aiter" and self._aiter is None:
            self._aiter = aiter(self._source)
        return _Reader(self, None)

    def payload(self, counter: _Counter) -> _FilePayload:
        """A fresh aiohttp payload reading this file and counting into ``counter``."""
        return _FilePayload(self, counter)


def _open_binary(path: str) -> IO[bytes]:
    return open(path, "rb")


class _Reader:
    """Reads one attempt's bytes of an :class:`UploadFile`; ``b""`` at the end."""

    __slots__ = ("_file", "_offset", "_upload")

    def __init__(self, upload: UploadFile, file: IO[bytes] | None) -> None:
        self._upload = upload
        self._file = file
        self._offset = 0

    async def read(self) -> bytes:
        upload = self._upload
        kind = upload._kind
        if kind == "bytes":
            view: memoryview = upload._source
            chunk = bytes(view[self._offset : self._offset + CHUNK_SIZE])
            self._offset += len(chunk)
            return chunk
        loop = asyncio.get_running_loop()
        if kind == "path":
            assert self._file is not None
            return await loop.run_in_executor(None, self._file.read, CHUNK_SIZE)
        if kind in ("seekable", "stream"):
            chunk = _as_bytes(await loop.run_in_executor(None, upload._source.read, CHUNK_SIZE))
        else:
            assert upload._aiter is not None
            chunk = b""
            async for item in upload._aiter:
                chunk = _as_bytes(item)
                if chunk:
                    break
        if chunk:
            upload.started = True
        return chunk

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


def _as_bytes(chunk: object) -> bytes:
    if isinstance(chunk, bytes):
        return chunk
    if isinstance(chunk, (bytearray, memoryview)):
        return bytes(chunk)
    raise TypeError(f"an upload chunk must be bytes, not {type(chunk).__name__}")


def _seekable(f: Any) -> bool:
    try:
        return bool(f.seekable()) and isinstance(f.tell(), int)
    except (AttributeError, OSError, ValueError):
        return False


def _remaining_size(f: Any, start: int) -> int | None:
    try:
        return os.fstat(f.fileno()).st_size - start
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        pass
    try:
        end = f.seek(0, os.SEEK_END)
        f.seek(start)
    except (OSError, ValueError):
        return None
    return int(end) - start


class _FilePayload(Payload):
    """An aiohttp payload that pulls chunks from an :class:`UploadFile` as it writes."""

    def __init__(self, upload: UploadFile, counter: _Counter) -> None:
        super().__init__(upload, content_type="application/octet-stream")
        self._upload = upload
        self._counter = counter
        self._size = upload.size

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        raise TypeError("an upload payload is streamed, not decoded")

    async def write(self, writer: AbstractStreamWriter) -> None:
        await self.write_with_length(writer, None)

    async def write_with_length(
        self, writer: AbstractStreamWriter, content_length: int | None
    ) -> None:
        remaining = content_length
        reader = self._upload.reader()
        try:
            while chunk := await reader.read():
                if remaining is not None:
                    if remaining <= 0:
                        break
                    chunk = chunk[:remaining]
                    remaining -= len(chunk)
                await writer.write(chunk)
                self._counter.advance(len(chunk))
        finally:
            reader.close()


def multipart_factory(
    fields: Mapping[str, str],
    files: Sequence[tuple[str, UploadFile]],
    progress: Progress | None = None,
) -> Callable[[], aiohttp.MultipartWriter]:
    """A body factory for :meth:`Transport.request`: a fresh multipart body per attempt.

    Args:
        fields: text fields (``track[title]`` ...), sent first, in order.
        files: ``(field name, file)`` parts, sent after the text fields.
        progress: called with ``(bytes sent, total or None)`` after each chunk of the
            file parts; a retried attempt counts again from zero.
    """
    check_progress(progress)
    sizes = [f.size for _, f in files]
    total = None if any(s is None for s in sizes) else sum(s or 0 for s in sizes)

    def make() -> aiohttp.MultipartWriter:
        for _, upload in files:
            upload.check_replay()
        counter = _Counter(progress, total)
        writer = aiohttp.MultipartWriter("form-data")
        for name, value in fields.items():
            part = writer.append(value)
            part.set_content_disposition("form-data", name=name)
        for name, upload in files:
            payload = upload.payload(counter)
            writer.append_payload(payload)
            payload.set_content_disposition("form-data", name=name, filename=upload.filename)
        return writer

    return make


def upload_timeout(base: aiohttp.ClientTimeout) -> aiohttp.ClientTimeout:
    """The client's timeout without its total: an upload takes as long as its bytes do.

    The connect timeouts stay; the answer, once the body is sent, is awaited for
    :data:`UPLOAD_ANSWER_TIMEOUT` seconds (or the client's read timeout if longer).
    """
    answer = max(UPLOAD_ANSWER_TIMEOUT, base.sock_read or 0.0, base.total or 0.0)
    return aiohttp.ClientTimeout(
        total=None, connect=base.connect, sock_connect=base.sock_connect, sock_read=answer
    )


def media_timeout(base: aiohttp.ClientTimeout) -> aiohttp.ClientTimeout:
    """A download takes as long as its bytes do: no total, but a stalled read fails."""
    stall = base.sock_read or base.total or 30.0
    return aiohttp.ClientTimeout(
        total=None, connect=base.connect, sock_connect=base.sock_connect, sock_read=stall
    )


def check_url(url: object) -> str:
    if not isinstance(url, str) or not url.strip():
        raise InvalidArgument(f"a media URL must be a non-empty string, not {url!r:.60}")
    if not url.startswith(("http://", "https://", "/")):
        raise InvalidArgument(
            f"a media URL must be an http(s) URL or an API path, not {redact_url(url)!r:.60}"
        )
    return url


def check_chunk_size(chunk_size: object) -> int:
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise InvalidArgument(f"chunk_size must be a positive int, not {chunk_size!r:.40}")
    return chunk_size


def check_destination(dest: object) -> None:
    """Reject a download destination that is neither a path nor a binary file."""
    if isinstance(dest, (str, os.PathLike)):
        return
    if isinstance(dest, io.TextIOBase) or not callable(getattr(dest, "write", None)):
        raise InvalidArgument(
            f"a download destination must be a path or a binary file, not {type(dest).__name__}"
        )
