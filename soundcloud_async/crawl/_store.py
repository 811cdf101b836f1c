"""The crawl store: one small interface over a crawl's state, on a real database.

A store holds one crawl: its definition, every job (the frontier, the jobs workers hold,
the history), the objects delivered (which double as the visited set), the workers, and
per-worker tallies. ``schema.sql`` beside this module is the schema, shared by both
implementations:

- :class:`~soundcloud_async.crawl.SQLiteStore`, the embedded default: one file per crawl,
  WAL mode, every call on a worker thread so the event loop never waits on the disk;
- :class:`~soundcloud_async.crawl.PostgresStore` (extra ``soundcloud-async[postgres]``):
  many workers on many machines claim jobs with ``FOR UPDATE SKIP LOCKED`` and leases.

:func:`open_store` picks one from a path or URL. The engine
(:class:`~soundcloud_async.crawl.Crawler`) is the only writer; ``export`` and ``status``
read. What is stored never holds a secret: positions are paths relative to the API base
with secret parameters removed, errors are the client's secret-free messages.
"""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, Protocol, runtime_checkable

import attrs
import orjson

from soundcloud_async._errors import SoundCloudError
from soundcloud_async.crawl._decisions import ACTIVE_STATES

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = [
    "FORMAT",
    "Claim",
    "Committed",
    "CrawlStore",
    "CrawlStoreError",
    "Delivery",
    "Job",
    "JobProblem",
    "StoreFormatError",
    "StoreLifecycle",
    "StoreMismatch",
    "StoreStatus",
    "StoreUnavailable",
    "StoredItem",
    "WorkerInfo",
    "WorkerStatus",
    "build_status",
    "canonical_definition",
    "check_meta",
    "open_store",
    "schema_sql",
]

#: The store format; a store of any other format is refused (never silently reused).
FORMAT: Final = "soundcloud_async.crawl/2"


# -- errors ---------------------------------------------------------------------------------


class CrawlStoreError(SoundCloudError):
    """The crawl store failed (a write refused, the disk full, the server gone).

    Messages name the store without its password.
    """


class StoreUnavailable(CrawlStoreError):
    """The store cannot be opened: a bad path or URL, no such file, no server, no access."""


class StoreMismatch(CrawlStoreError):
    """The store holds a different crawl (pass ``overwrite=True`` to start afresh)."""


class StoreFormatError(CrawlStoreError):
    """The file or database is not a crawl store of this format."""


# -- what flows between the engine and a store ----------------------------------------------


@attrs.frozen
class Job:
    """A unit of crawl work: one object or one collection of ``urn`` (``kind`` names it).

    ``depth`` is the distance from the seed in the strategy's graph; jobs run
    shallowest first.
    """

    kind: str
    urn: str
    depth: int = 0


@attrs.frozen
class Claim:
    """A job a worker holds, with the lease token that proves it still does.

    ``position`` (a path and query relative to the API base, ``None`` for the start) and
    ``skip`` say where the job continues: its last committed position.
    """

    id: int
    job: Job
    token: str = attrs.field(repr=False)
    position: str | None = None
    skip: int = 0
    attempts: int = 0


@attrs.frozen
class StoredItem:
    """One delivered object, ready to store.

    ``data`` is its JSON text. ``jobs`` are the jobs it adds to the crawl if this
    delivery is the first of its URN (graph nodes only; empty for other objects).
    """

    kind: str
    urn: str
    data: str = attrs.field(repr=False)
    jobs: tuple[Job, ...] = ()


@attrs.frozen
class Delivery:
    """One page of a job (or its one object), committed in one transaction.

    ``position``/``skip`` are where the job continues after this page; ``done`` ends
    it; ``pages`` is 1 for a page of a collection, 0 for a single object; ``invalid``
    counts items dropped for having no URN.
    """

    claim: Claim
    items: Sequence[StoredItem]
    position: str | None
    skip: int = 0
    done: bool = False
    pages: int = 1
    invalid: int = 0
    kind: str = ""


@attrs.frozen
class Committed:
    """What a commit did for one delivery (``lost``: the lease was gone; nothing written)."""

    lost: bool
    new: Mapping[str, int] = attrs.field(factory=dict)
    jobs_added: int = 0
    new_urns: frozenset[str] = frozenset()


@attrs.frozen
class WorkerInfo:
    """Who is working: a unique id, this host and process."""

    id: str
    host: str = attrs.field(factory=socket.gethostname)
    pid: int = attrs.field(factory=os.getpid)


@attrs.frozen
class WorkerStatus:
    """A worker as :meth:`CrawlStore.status` sees it."""

    id: str
    host: str
    pid: int
    started_at: float
    heartbeat_at: float
    state: str
    alive: bool


@attrs.frozen
class JobProblem:
    """A job that was set aside, failed, or found its object gone or forbidden."""

    kind: str
    urn: str
    state: str
    attempts: int
    error: str | None
    position: str | None
    retry_at: float | None


@attrs.frozen
class StoreStatus:
    """A crawl store's state at one instant (``soundcloud-async status``)."""

    location: str
    definition: Mapping[str, Any] | None
    created_at: float | None
    finished_at: float | None
    objects: Mapping[str, int]
    jobs: Mapping[str, int]
    pages: int
    invalid: Mapping[str, int]
    workers: Sequence[WorkerStatus]
    problems: Sequence[JobProblem]
    now: float

    @property
    def done(self) -> bool:
        """Whether no job is left to do (pending, running or set aside)."""
        return not any(self.jobs.get(s, 0) for s in ACTIVE_STATES)

    @property
    def not_fetched(self) -> int:
        """Jobs that ended without their objects: failed, gone or forbidden."""
        return sum(self.jobs.get(s, 0) for s in ("failed", "gone", "forbidden"))

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return attrs.asdict(self, recurse=True) | {
            "done": self.done,
            "not_fetched": self.not_fetched,
        }


# -- the interface ----------------------------------------------------------------------


@runtime_checkable
class CrawlStore(Protocol):
    """Everything a crawl keeps. Every method is a coroutine; none blocks the loop.

    A crawling process calls :meth:`start` once, then :meth:`claim`, :meth:`commit`,
    :meth:`end_job`, :meth:`heartbeat` while it works, and :meth:`release` when it stops.
    ``status`` and ``export`` only need :meth:`connect`.
    """

    @property
    def location(self) -> str:
        """Where the store is, for messages (a path, or a URL without its password)."""
        ...

    async def connect(self, *, create: bool = False) -> None:
        """Open the database; without ``create``, a missing store is an error.

        Raises:
            StoreUnavailable: it cannot be opened.
            StoreFormatError: it is not a crawl store of this format.
        """
        ...

    async def start(
        self,
        definition: Mapping[str, Any],
        seeds: Sequence[Job],
        worker: WorkerInfo,
        *,
        overwrite: bool = False,
    ) -> bool:
        """Join the crawl ``definition`` describes (create it, with ``seeds``, if new).

        Registers ``worker`` and releases the jobs of dead workers on this host.
        Returns whether the store was fresh.

        Raises:
            StoreMismatch: the store holds another crawl (and not ``overwrite``).
        """
        ...

    async def claim(
        self,
        worker: str,
        limit: int,
        *,
        kinds: Sequence[str],
        level_ordered: frozenset[str],
        lease: float,
    ) -> list[Claim]:
        """Lease up to ``limit`` jobs that may start now, shallowest first."""
        ...

    async def unseen(self, urns: Sequence[str]) -> set[str]:
        """The URNs among ``urns`` that have no object stored yet."""
        ...

    async def commit(
        self, worker: str, deliveries: Sequence[Delivery], *, lease: float
    ) -> list[Committed]:
        """Store pages, the jobs their new nodes add, and the jobs' new positions: one
        transaction. A delivery whose lease is no longer held writes nothing (``lost``).
        """
        ...

    async def end_job(
        self,
        worker: str,
        claim: Claim,
        state: str,
        error: str,
        *,
        max_attempts: int,
        retry_base: float,
        retry_cap: float,
    ) -> str | None:
        """End a held job as ``gone``/``forbidden``, or set it aside (``set_aside``) to be
        retried with backoff, ``failed`` once ``max_attempts`` is reached. Its position
        stays the last committed one. Returns the state written (``None``: lease lost).
        """
        ...

    async def heartbeat(self, worker: str, *, lease: float) -> set[str]:
        """Renew the worker's leases and heartbeat; returns the tokens it still holds."""
        ...

    async def release(self, worker: str) -> None:
        """Hand the worker's running jobs back (pending, from their committed positions)."""
        ...

    async def outstanding(self) -> tuple[bool, float | None]:
        """Whether any job is left to do, and the soonest retry time of a set-aside job."""
        ...

    async def mark_finished(self) -> None:
        """Record that the crawl is complete (no job left)."""
        ...

    async def tallies(self) -> dict[str, int]:
        """The tallies summed over workers (``objects:user``, ``jobs:pending``, ...)."""
        ...

    async def status(self, *, problems: int = 20) -> StoreStatus:
        """Counts, workers and up to ``problems`` jobs that were set aside or not fetched."""
        ...

    def iter_objects(
        self, kinds: Sequence[str] | None = None, *, batch: int = 1000
    ) -> AsyncIterator[list[tuple[str, str, str]]]:
        """The stored objects as batches of ``(kind, urn, json)``, in constant memory."""
        ...

    async def close(self) -> None:
        """Close the connections (idempotent)."""
        ...

    async def __aenter__(self) -> CrawlStore: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class StoreLifecycle:
    """What both stores share: ``async with store:`` connects (to read) and closes it."""

    @property
    def location(self) -> str:
        raise NotImplementedError

    async def connect(self, *, create: bool = False) -> None:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.location!r})"

    async def __aenter__(self) -> Self:
        await self.connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


# -- helpers shared by the implementations -----------------------------------------------


def canonical_definition(definition: Mapping[str, Any]) -> str:
    """The JSON text two equal crawl definitions share (keys sorted)."""
    return orjson.dumps(dict(definition), option=orjson.OPT_SORT_KEYS).decode()


def schema_sql(*, id_type: str, json_type: str, float_type: str) -> list[str]:
    """The statements of ``schema.sql`` with one dialect's types filled in."""
    text = (Path(__file__).with_name("schema.sql")).read_text(encoding="utf-8")
    lines = [line.split("--", 1)[0].rstrip() for line in text.splitlines()]
    body = "\n".join(line for line in lines if line.strip())
    body = body.replace("{id}", id_type).replace("{json}", json_type)
    body = body.replace("{float}", float_type)
    return [s.strip() for s in body.split(";") if s.strip()]


def open_store(location: str | os.PathLike[str], **options: Any) -> CrawlStore:
    """A store for a path or URL (not yet connected).

    - ``postgresql://user[:password]@host[:port]/db[?schema=name]`` (or ``postgres://``):
      a :class:`~soundcloud_async.crawl.PostgresStore` (needs the ``postgres`` extra);
    - ``sqlite:///path``, or any other path: a :class:`~soundcloud_async.crawl.SQLiteStore`.

    Raises:
        StoreUnavailable: the URL names another database, or the extra is not installed.
    """
    text = os.fspath(location)
    scheme = text.split("://", 1)[0].lower() if "://" in text else ""
    if scheme in ("postgresql", "postgres"):
        from soundcloud_async.crawl._postgres import PostgresStore

        return PostgresStore(text, **options)
    from soundcloud_async.crawl._sqlite import SQLiteStore

    if scheme == "sqlite":
        return SQLiteStore(text.split("://", 1)[1].removeprefix("/") or ":memory:", **options)
    if scheme:
        raise StoreUnavailable(
            f"unsupported store URL scheme {scheme!r}: use a file path (SQLite) or "
            "postgresql://user@host/db"
        )
    return SQLiteStore(text, **options)


def check_meta(meta: Mapping[str, str], wanted: str, where: str) -> None:
    """Refuse a store of another format or holding another crawl."""
    if meta.get("format") != FORMAT:
        raise StoreFormatError(f"{where} is a crawl store of another format")
    held = meta.get("definition", "")
    if held != wanted:
        raise StoreMismatch(
            f"the store {where} holds a different crawl ({held}); this crawl is "
            f"{wanted}: use another store, or --overwrite to start afresh"
        )


def build_status(
    where: str,
    meta: Mapping[str, str],
    totals: Mapping[str, int],
    workers: Sequence[WorkerStatus],
    problems: Sequence[JobProblem],
    now: float,
) -> StoreStatus:
    """Assemble a :class:`StoreStatus` (shared with the PostgreSQL store)."""
    definition = None
    if "definition" in meta:
        try:
            definition = orjson.loads(meta["definition"])
        except orjson.JSONDecodeError:
            definition = None

    def floaty(key: str) -> float | None:
        try:
            return float(meta[key])
        except (KeyError, ValueError):
            return None

    def group(prefix: str) -> dict[str, int]:
        return {k[len(prefix) :]: v for k, v in totals.items() if k.startswith(prefix) and v}

    return StoreStatus(
        location=where,
        definition=definition,
        created_at=floaty("created_at"),
        finished_at=floaty("finished_at"),
        objects=group("objects:"),
        jobs=group("jobs:"),
        pages=int(totals.get("pages", 0)),
        invalid=group("invalid:"),
        workers=list(workers),
        problems=list(problems),
        now=now,
    )
