"""Results out of a crawl store: JSON lines or CSV, streamed in constant memory.

A JSON line is ``{"kind": "track", "data": {...}}`` (the object as SoundCloud's JSON),
the format the crawler's JSONL output always had. A CSV has one column per top-level
field of each kind's model (nested objects and lists as JSON text), after ``kind`` and
``urn``; fields no column holds go to a last ``extra`` column as JSON, so nothing is lost.

Exporting to a path writes a temporary file beside it and renames it into place at the
end: an export cut short never looks complete.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import sys
import tempfile
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import IO, Any, Literal

import orjson

from soundcloud_async._converters import unstructure
from soundcloud_async._errors import InvalidArgument
from soundcloud_async.crawl._store import CrawlStore, CrawlStoreError, open_store
from soundcloud_async.models import Comment, Playlist, Track, User

__all__ = ["ExportFormat", "csv_columns", "export", "export_rows", "format_for"]

ExportFormat = Literal["jsonl", "csv"]

#: The model of each kind a crawl stores, for CSV columns.
_MODELS: dict[str, Any] = {"user": User, "track": Track, "playlist": Playlist, "comment": Comment}


def format_for(path: str | os.PathLike[str] | None) -> ExportFormat:
    """The export format a file name implies (JSON lines unless it ends in ``.csv``).

    Raises:
        InvalidArgument: a name that implies neither (``.sqlite``, ``.db``).
    """
    if path is None:
        return "jsonl"
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".jsonl", ".ndjson", ".json", ""):
        return "jsonl"
    raise InvalidArgument(
        f"cannot tell the export format of {os.fspath(path)!r}: name it .jsonl or .csv, "
        "or say which with format="
    )


def csv_columns(kinds: Sequence[str]) -> list[str]:
    """The CSV header for these kinds: ``kind``, ``urn``, every model field, ``extra``."""
    columns = ["kind", "urn"]
    seen = set(columns)
    for kind in kinds:
        model = _MODELS.get(kind)
        if model is None:
            continue
        for key in unstructure(model()):
            if key not in seen:
                seen.add(key)
                columns.append(key)
    columns.append("extra")
    return columns


async def export_rows(
    store: CrawlStore | str | os.PathLike[str],
    kinds: Sequence[str] | None = None,
) -> AsyncIterator[tuple[str, str, Any]]:
    """Every stored object as ``(kind, urn, json_data)``, in constant memory."""
    async with _opened(store) as opened:
        async for batch in opened.iter_objects(kinds):
            for kind, urn, data in batch:
                yield kind, urn, orjson.loads(data)


class _opened:
    """Connect a store given by location (and close it), or use the caller's as it is."""

    def __init__(self, store: CrawlStore | str | os.PathLike[str]) -> None:
        self._given = isinstance(store, CrawlStore)
        self.store: CrawlStore = store if isinstance(store, CrawlStore) else open_store(store)

    async def __aenter__(self) -> CrawlStore:
        await self.store.connect(create=False)
        return self.store

    async def __aexit__(self, *exc: object) -> None:
        if not self._given:
            await self.store.close()


async def export(
    store: CrawlStore | str | os.PathLike[str],
    out: str | os.PathLike[str] | IO[bytes] | None = None,
    *,
    format: ExportFormat | None = None,
    kinds: Sequence[str] | None = None,
) -> int:
    """Write a store's objects to ``out`` (a path, a binary file, or ``None`` for stdout).

    Args:
        store: a crawl store, or its path or URL.
        out: where to write; a path is written atomically (temporary file, rename).
        format: ``"jsonl"`` or ``"csv"`` (default: from ``out``'s name, else JSON lines).
        kinds: only these kinds of object (``["user"]``); default all.

    Returns:
        How many objects were written.

    Raises:
        InvalidArgument: an unknown format, or an output path that cannot be written.
        CrawlStoreError: the store cannot be read.
    """
    path = None if out is None or not isinstance(out, (str, os.PathLike)) else Path(out)
    fmt = format or format_for(path)
    if fmt not in ("jsonl", "csv"):
        raise InvalidArgument(f"export format must be 'jsonl' or 'csv', not {fmt!r}")
    kind_list = list(kinds) if kinds else None
    async with _opened(store) as opened:
        if path is None:
            target = out if out is not None else sys.stdout.buffer
            assert not isinstance(target, (str, os.PathLike))
            return await _write(opened, target, fmt, kind_list)
        directory = path.parent
        if not directory.is_dir():
            raise InvalidArgument(f"cannot write {path}: no directory {directory}")
        if path.is_dir():
            raise InvalidArgument(f"cannot write {path}: it is a directory")
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=directory)
        except OSError as exc:
            raise InvalidArgument(f"cannot write {path}: {exc.strerror or exc}") from exc
        try:
            with os.fdopen(fd, "wb") as f:
                count = await _write(opened, f, fmt, kind_list)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        return count


async def _write(
    store: CrawlStore, target: IO[bytes], fmt: ExportFormat, kinds: list[str] | None
) -> int:
    count = 0
    try:
        if fmt == "jsonl":
            async for batch in store.iter_objects(kinds):
                target.write(
                    b"".join(
                        b'{"kind":' + orjson.dumps(kind) + b',"data":' + data.encode() + b"}\n"
                        for kind, _, data in batch
                    )
                )
                count += len(batch)
            return count
        columns = csv_columns(kinds or list(_MODELS))
        known = set(columns)
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(columns)
        async for batch in store.iter_objects(kinds):
            for kind, urn, data in batch:
                obj = _parse(data)
                row = {"kind": kind, "urn": urn}
                extra = {}
                if isinstance(obj, dict):
                    for key, value in obj.items():
                        if key in known and key not in ("kind", "urn", "extra"):
                            row[key] = _cell(value)
                        elif key not in ("kind", "urn"):
                            extra[key] = value
                writer.writerow([row.get(c, "") for c in columns[:-1]] + [_cell(extra or None)])
            target.write(text.getvalue().encode())
            text.seek(0)
            text.truncate()
            count += len(batch)
        target.write(text.getvalue().encode())
        return count
    except OSError as exc:
        raise CrawlStoreError(f"writing the export failed: {exc.strerror or exc}") from exc


def _parse(data: str) -> Any:
    """Stored JSON; a row another writer put there that orjson refuses is read by the
    standard library, and one nothing reads is kept whole (in ``extra``)."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        try:
            return json.loads(data)
        except ValueError:
            return {"unreadable": data}


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # numbers past 64 bits, from the standard library's reading
        return json.dumps(value)
