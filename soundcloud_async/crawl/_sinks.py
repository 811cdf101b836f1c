"""Where crawl results go: a JSONL file or an SQLite database, both safe to resume into.

A sink is written synchronously by the crawler, one object at a time, and made
durable at checkpoints: :meth:`Sink.position` (flush to the OS, say how far the output
goes) is read in the same synchronous step as every job's position, then
:meth:`Sink.sync` makes that much durable before the checkpoint file that names it is
written. On resume the sink is reopened at the recorded position, so the output and the
checkpoint always agree:

* :class:`JSONLSink` truncates the file to the recorded byte offset (lines written
  after the last checkpoint are dropped, then fetched and written again);
* :class:`SQLiteSink` commits at checkpoints and upserts by URN: an uncommitted
  transaction is rolled back by SQLite itself after a crash, and an object written
  twice is one row.

SQLite calls run inline on the event loop: an upsert into SQLite's page cache takes a
few microseconds, less than a hop to a worker thread would cost, and the one slow call,
the commit's fsync, happens once per checkpoint interval (like the JSONL fsync).
"""

from __future__ import annotations

import os
import re
import sqlite3
from pathlib import Path
from typing import IO, Any, Protocol, runtime_checkable

import orjson

from soundcloud_async._converters import unstructure
from soundcloud_async._errors import InvalidArgument
from soundcloud_async.models.common import Model

__all__ = ["JSONLSink", "SQLiteSink", "Sink", "object_urn", "to_json_data"]

_KIND_RE = re.compile(r"[a-z][a-z0-9_]{0,62}")


@runtime_checkable
class Sink(Protocol):
    """What the crawler writes to. Every method is synchronous and quick."""

    def open(self, position: Any) -> None:
        """Open for writing: ``None`` starts afresh, else resume at a :meth:`position`."""

    def write(self, kind: str, obj: Any) -> None:
        """Record one object of ``kind`` (``"user"``, ``"track"``, ...)."""

    def position(self) -> Any:
        """Hand buffered output to the OS; a JSON-ready marker of how far it goes."""

    def sync(self) -> None:
        """Make everything up to the last :meth:`position` durable."""

    def close(self) -> None:
        """Sync and close. Idempotent."""


def to_json_data(obj: Any) -> Any:
    """A model unstructured to SoundCloud's JSON shape; other values as they are."""
    return unstructure(obj) if isinstance(obj, Model) else obj


def object_urn(kind: str, obj: Any) -> str:
    """The URN of a model or a JSON object (from ``urn``, else ``kind`` and ``id``).

    Raises:
        InvalidArgument: the object has neither.
    """
    if isinstance(obj, dict):
        urn, ident = obj.get("urn"), obj.get("id")
    else:
        urn, ident = getattr(obj, "urn", None), getattr(obj, "id", None)
    if isinstance(urn, str) and urn:
        return urn
    if ident is None:
        raise InvalidArgument(f"a {kind} without urn or id cannot be stored by URN")
    return f"soundcloud:{kind}s:{ident}"


class JSONLSink:
    """One JSON object per line: ``{"kind": "track", "data": {...}}``.

    The position is the byte offset of the end of the last complete line; a resumed
    crawl truncates the file to it. Lines are written through a 64 KiB buffer.

    Args:
        path: the output file (created or, when starting afresh, truncated).
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._file: IO[bytes] | None = None

    def __repr__(self) -> str:
        return f"JSONLSink({os.fspath(self.path)!r})"

    def open(self, position: Any) -> None:
        """Create or truncate the file (``position`` ``None``) or cut it back to ``position``.

        Raises:
            InvalidArgument: ``position`` is not a byte offset, or the file is shorter
                than the checkpoint says (it was replaced or cut since).
        """
        if position is None:
            self._file = open(self.path, "wb", buffering=1 << 16)  # noqa: SIM115
            return
        if isinstance(position, bool) or not isinstance(position, int) or position < 0:
            raise InvalidArgument(f"not a JSONL position: {position!r}")
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            size = -1
        if size < position:
            raise InvalidArgument(
                f"{os.fspath(self.path)!r} is shorter than the checkpoint says "
                f"({max(size, 0)} < {position} bytes): was it replaced?"
            )
        f = open(self.path, "r+b", buffering=1 << 16)  # noqa: SIM115
        f.truncate(position)
        f.seek(position)
        self._file = f

    def write(self, kind: str, obj: Any) -> None:
        """Append one line."""
        f = self._file
        if f is None:
            raise InvalidArgument("JSONLSink is not open")
        f.write(orjson.dumps({"kind": kind, "data": to_json_data(obj)}) + b"\n")

    def position(self) -> int:
        """Flush the buffer; the byte offset of the end of the output."""
        f = self._file
        if f is None:
            raise InvalidArgument("JSONLSink is not open")
        f.flush()
        return f.tell()

    def sync(self) -> None:
        """fsync the file."""
        if self._file is not None:
            self._file.flush()
            os.fsync(self._file.fileno())

    def close(self) -> None:
        """Flush, fsync and close."""
        f, self._file = self._file, None
        if f is not None:
            try:
                f.flush()
                os.fsync(f.fileno())
            finally:
                f.close()


class SQLiteSink:
    """A table per kind (``user``, ``track``, ``playlist``, ...): ``urn`` PRIMARY KEY, ``json``.

    Objects are upserted by URN, so a row is never duplicated, and committed at every
    checkpoint. Starting afresh keeps existing rows (they are updated as the crawl meets
    them again). The database uses WAL journaling with ``synchronous=FULL``: a commit is
    durable before the checkpoint that relies on it is written.

    Args:
        path: the database file.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._db: sqlite3.Connection | None = None
        self._tables: set[str] = set()
        self._written = 0

    def __repr__(self) -> str:
        return f"SQLiteSink({os.fspath(self.path)!r})"

    def open(self, position: Any) -> None:
        """Open (creating) the database; ``position`` is not needed: upserts are idempotent."""
        db = sqlite3.connect(self.path, isolation_level="DEFERRED")
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        self._db = db
        self._tables = {
            row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }

    def _table(self, kind: str) -> str:
        if kind not in self._tables:
            if not _KIND_RE.fullmatch(kind):
                raise InvalidArgument(f"not a usable table name for a kind: {kind!r}")
            assert self._db is not None
            self._db.execute(
                f'CREATE TABLE IF NOT EXISTS "{kind}" (urn TEXT PRIMARY KEY, json TEXT NOT NULL)'
            )
            self._tables.add(kind)
        return kind

    def write(self, kind: str, obj: Any) -> None:
        """Insert or replace the row of ``obj``'s URN."""
        db = self._db
        if db is None:
            raise InvalidArgument("SQLiteSink is not open")
        table = self._table(kind)
        db.execute(
            f'INSERT INTO "{table}" (urn, json) VALUES (?, ?) '
            "ON CONFLICT(urn) DO UPDATE SET json = excluded.json",
            (object_urn(kind, obj), orjson.dumps(to_json_data(obj)).decode()),
        )
        self._written += 1

    def position(self) -> int:
        """Rows written in this session (informational: resume needs no position)."""
        return self._written

    def sync(self) -> None:
        """Commit."""
        if self._db is not None:
            self._db.commit()

    def close(self) -> None:
        """Commit and close."""
        db, self._db = self._db, None
        if db is not None:
            try:
                db.commit()
            finally:
                db.close()
