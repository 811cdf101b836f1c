"""The crawl engine: many collections at once, under one budget, resumable.

A :class:`Crawler` runs *jobs* (:class:`Job`: a kind, a URN and a depth) from a frontier
with ``concurrency`` workers on an anyio task group. Each worker opens the job's
paginator (or fetches its one object) and passes every page, whole, through a bounded
channel to the *delivery* side, which writes the items to the sinks, hands them to the
consumer (``async for kind, obj in crawler``), dedupes nodes by URN (the visited set) and
asks the :class:`Strategy` which jobs each new object adds to the frontier.

Why resume is exact: positions advance only on the delivery side, one item at a time,
in synchronous code. A job's position is the paginator :class:`Checkpoint` *of the
items delivered so far* (``Checkpoint(page_url, skip + i)`` inside a page, the page's
``next_href`` after it), not of what the worker has fetched ahead. A snapshot reads the
sinks' positions, every started job's position, the frontier and the visited set in
one synchronous step, so they describe the same instant; pages fetched but not yet
delivered are simply fetched again after a resume. Requests all go through the client,
so its rate limiter (the shared budget) and retry policy apply to the whole crawl.

Memory is bounded by the frontier and the visited set plus at most
``concurrency + buffer`` pages in flight: results are never accumulated.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol

import anyio
import anyio.abc
import attrs
import orjson
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from soundcloud_async._errors import Forbidden, InvalidArgument, NotFound, SoundCloudError
from soundcloud_async._pagination import Checkpoint, Paginator
from soundcloud_async._urn import to_urn
from soundcloud_async.crawl._sinks import Sink, object_urn
from soundcloud_async.crawl._state import CrawlState, Job, Running, read_checkpoint, write_atomic

if TYPE_CHECKING:
    from soundcloud_async._client import SoundCloud

__all__ = ["CrawlProgress", "Crawler", "FollowGraph", "JobKind", "Strategy"]

logger = logging.getLogger("soundcloud_async.crawl")

_DONE = Checkpoint(None)


@attrs.frozen
class JobKind:
    """How to run jobs of one kind.

    Exactly one of ``paginate`` (a collection: return its paginator, resuming from the
    checkpoint when one is given) and ``fetch`` (one object) is set.

    Args:
        name: the job kind (``"tracks"``).
        emits: the kind of object its items are (``"track"``): the sinks' table/kind.
        paginate: ``(client, urn, resume_from) -> Paginator``.
        fetch: ``async (client, urn) -> object``.
        level_ordered: run these jobs depth by depth (no job of this kind at depth
            ``d + 1`` starts while one at depth ``d`` runs). Set it on the kind that
            discovers the next level of a breadth-first crawl.
    """

    name: str
    emits: str
    paginate: Callable[[SoundCloud, str, Checkpoint | None], Paginator[Any]] | None = None
    fetch: Callable[[SoundCloud, str], Awaitable[Any]] | None = None
    level_ordered: bool = False

    def __attrs_post_init__(self) -> None:
        if (self.paginate is None) == (self.fetch is None):
            raise InvalidArgument(f"job kind {self.name!r} needs exactly one of paginate, fetch")


class Strategy(Protocol):
    """What to crawl: the job kinds, the seeds, and the jobs each new object adds."""

    @property
    def job_kinds(self) -> Mapping[str, JobKind]:
        """Job kinds by name."""
        ...

    @property
    def dedupe(self) -> frozenset[str]:
        """Object kinds that are graph nodes: delivered and expanded once per URN."""
        ...

    def describe(self) -> dict[str, Any]:
        """JSON-ready parameters; a checkpoint resumes only the crawl it describes."""
        ...

    def seeds(self) -> Iterable[Job]:
        """The first jobs of a fresh crawl."""
        ...

    def expand(self, job: Job, kind: str, obj: Any) -> Iterable[Job]:
        """New jobs for ``obj`` (of ``kind``), delivered by ``job``."""
        ...


class FollowGraph:
    """Breadth-first over the follow graph from ``seed`` to ``depth``, with every reached
    user's tracks and playlists.

    Depth 0 is the seed alone; depth ``n`` adds the users ``n`` follow-hops away. Each
    reached user is delivered once (``"user"``), with all of their tracks
    (``"track"``, every access level the token may see) and playlists (``"playlist"``).

    Args:
        seed: the seed user's URN (or id, or API URL).
        depth: follow hops from the seed, ``>= 0``.
        tracks: crawl each user's tracks.
        playlists: crawl each user's playlists.
        playlist_tracks: include each playlist's track list (bigger pages).
        page_size: items per page, 1..200.
    """

    dedupe = frozenset({"user"})

    def __init__(
        self,
        seed: str,
        *,
        depth: int = 1,
        tracks: bool = True,
        playlists: bool = True,
        playlist_tracks: bool = False,
        page_size: int = 200,
    ) -> None:
        if isinstance(depth, bool) or not isinstance(depth, int) or depth < 0:
            raise InvalidArgument(f"depth must be a non-negative integer, not {depth!r}")
        self.seed = str(to_urn(seed, "users"))
        self.depth = depth
        self.tracks = tracks
        self.playlists = playlists
        self.playlist_tracks = playlist_tracks
        self.page_size = page_size
        size = page_size
        show = playlist_tracks
        kinds = [
            JobKind("user", "user", fetch=lambda sc, urn: sc.users.get(urn)),
            JobKind(
                "followings",
                "user",
                paginate=lambda sc, urn, cp: sc.users.iter_followings(
                    urn, limit=size, resume_from=cp
                ),
                level_ordered=True,
            ),
            JobKind(
                "tracks",
                "track",
                paginate=lambda sc, urn, cp: sc.users.iter_tracks(
                    urn, access=["playable", "preview", "blocked"], limit=size, resume_from=cp
                ),
            ),
            JobKind(
                "playlists",
                "playlist",
                paginate=lambda sc, urn, cp: sc.users.iter_playlists(
                    urn, show_tracks=show, limit=size, resume_from=cp
                ),
            ),
        ]
        self.job_kinds: Mapping[str, JobKind] = {k.name: k for k in kinds}

    def __repr__(self) -> str:
        return f"FollowGraph({self.seed!r}, depth={self.depth})"

    def describe(self) -> dict[str, Any]:
        """The crawl's parameters."""
        return {
            "strategy": "follow-graph",
            "seed": self.seed,
            "depth": self.depth,
            "tracks": self.tracks,
            "playlists": self.playlists,
            "playlist_tracks": self.playlist_tracks,
            "page_size": self.page_size,
        }

    def seeds(self) -> list[Job]:
        """The seed user's profile."""
        return [Job("user", self.seed, 0)]

    def expand(self, job: Job, kind: str, obj: Any) -> list[Job]:
        """A newly reached user's tracks, playlists and (above ``depth``) followings."""
        if kind != "user":
            return []
        depth = job.depth if job.kind == "user" else job.depth + 1
        urn = object_urn("user", obj)
        jobs = []
        if self.tracks:
            jobs.append(Job("tracks", urn, depth))
        if self.playlists:
            jobs.append(Job("playlists", urn, depth))
        if depth < self.depth:
            jobs.append(Job("followings", urn, depth))
        return jobs


@attrs.define
class CrawlProgress:
    """Live counters of a crawl (read them any time: ``crawler.progress``).

    Attributes:
        objects: objects delivered, by kind (across resumes).
        pages: pages delivered (across resumes).
        jobs_done: jobs finished in this run.
        pending: jobs waiting in the frontier.
        running: jobs started and not finished.
        visited: nodes (users) reached.
        skipped: jobs given up because their object is gone or forbidden (404/403).
        checkpoints: checkpoints written in this run.
    """

    objects: dict[str, int] = attrs.Factory(dict)
    pages: int = 0
    jobs_done: int = 0
    pending: int = 0
    running: int = 0
    visited: int = 0
    skipped: int = 0
    checkpoints: int = 0

    @property
    def total(self) -> int:
        """Objects delivered, all kinds."""
        return sum(self.objects.values())


@attrs.define(eq=False)
class _Batch:
    """One page (or one object, or the end of a job) on its way to delivery."""

    running: Running
    kind: str
    items: Sequence[Any]
    page_url: str | None
    base: int
    after: Checkpoint
    done: bool


class Crawler:
    """Run a :class:`Strategy` with bounded concurrency, sinks and checkpoints.

    Use it as an async context manager and iterate it, or just ``await run()``::

        async with SoundCloud(token) as sc:
            crawler = Crawler(
                sc, FollowGraph("soundcloud:users:1", depth=2),
                sinks=[JSONLSink("out.jsonl")], checkpoint="out.checkpoint", resume=True,
            )
            await crawler.run()            # or: async with crawler:
                                           #         async for kind, obj in crawler: ...

    A checkpoint is written every ``checkpoint_interval`` seconds, when the crawl ends,
    and when it is cancelled (Ctrl-C) or fails; ``resume=True`` continues from it with
    no gap and no duplicate. When iterating, an item counts as handled once the next one
    is asked for (or the ``async with`` block exits), like
    :attr:`Paginator.checkpoint <soundcloud_async.Paginator.checkpoint>`.

    Jobs whose object is gone or forbidden (404/403) are skipped and counted; any other
    error, once the client's retries are exhausted, stops the crawl (checkpoint saved)
    and is raised.

    Args:
        client: an open :class:`~soundcloud_async.SoundCloud`; its rate limiter is the
            crawl's budget.
        strategy: what to crawl, e.g. :class:`FollowGraph`.
        sinks: where results go (:class:`JSONLSink`, :class:`SQLiteSink`, ...).
        checkpoint: the checkpoint file (``None``: no checkpoints).
        resume: continue from ``checkpoint`` if that file exists (else start afresh).
        concurrency: jobs (so requests) in flight at once.
        checkpoint_interval: seconds between periodic checkpoints.
        buffer: pages fetched ahead of delivery.
        clock: monotonic seconds, injectable for tests.
    """

    def __init__(
        self,
        client: SoundCloud,
        strategy: Strategy,
        *,
        sinks: Sequence[Sink] = (),
        checkpoint: str | os.PathLike[str] | None = None,
        resume: bool = False,
        concurrency: int = 8,
        checkpoint_interval: float = 5.0,
        buffer: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise InvalidArgument(f"concurrency must be a positive integer, not {concurrency!r}")
        if not (checkpoint_interval > 0 and math.isfinite(checkpoint_interval)):
            raise InvalidArgument("checkpoint_interval must be a positive number of seconds")
        if resume and checkpoint is None:
            raise InvalidArgument("resume=True needs a checkpoint file")
        self.client = client
        self.strategy = strategy
        self.sinks = list(sinks)
        self.checkpoint_path = None if checkpoint is None else Path(checkpoint)
        self.resume = resume
        self.concurrency = concurrency
        self.checkpoint_interval = float(checkpoint_interval)
        self.progress = CrawlProgress()
        #: Whether this run continued from a checkpoint.
        self.resumed = False
        self._buffer = concurrency if buffer is None else buffer
        self._clock = clock
        self._kinds = dict(strategy.job_kinds)
        self._level_ordered = frozenset(k.name for k in self._kinds.values() if k.level_ordered)
        self._dedupe = strategy.dedupe
        self._state = CrawlState()
        self._changed = anyio.Event()
        self._failure: BaseException | None = None
        self._tg: anyio.abc.TaskGroup | None = None
        self._receive: MemoryObjectReceiveStream[_Batch] | None = None
        self._batch: _Batch | None = None
        self._index = 0
        self._last_checkpoint = 0.0
        self._entered = False
        self._sinks_open = False

    def __repr__(self) -> str:
        return f"<Crawler {self.strategy!r} {self.progress.total} objects>"

    # -- lifecycle ---------------------------------------------------------------------

    async def run(self) -> CrawlProgress:
        """Crawl to the end (or until cancelled), writing to the sinks; the final counts."""
        async with self:
            async for _ in self:
                pass
        return self.progress

    async def __aenter__(self) -> Crawler:
        if self._entered:
            raise InvalidArgument("a Crawler runs once; make a new one to crawl again")
        self._entered = True
        self._load()
        self._tg = anyio.create_task_group()
        await self._tg.__aenter__()
        send, self._receive = anyio.create_memory_object_stream[_Batch](self._buffer)
        with send:
            for _ in range(self.concurrency):
                self._tg.start_soon(self._worker, send.clone())
        self._last_checkpoint = self._clock()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        tg, self._tg = self._tg, None
        suppress: bool | None = None
        try:
            if tg is not None:
                tg.cancel_scope.cancel()
                try:
                    suppress = await tg.__aexit__(exc_type, exc, tb)
                finally:
                    if self._receive is not None:
                        self._receive.close()
        finally:
            # Nothing changes state any more: this checkpoint agrees with the sinks.
            try:
                self.save_checkpoint()
            finally:
                self._close_sinks()
        if self._failure is not None:
            failure, self._failure = self._failure, None
            raise failure
        return suppress

    def _load(self) -> None:
        doc = None
        if self.resume and self.checkpoint_path is not None:
            doc = read_checkpoint(self.checkpoint_path)
        positions: list[Any] = [None] * len(self.sinks)
        if doc is None:
            for job in self.strategy.seeds():
                self._state.push(job)
        else:
            wanted = orjson.loads(orjson.dumps(self.strategy.describe()))
            if doc.get("crawl") != wanted:
                raise InvalidArgument(
                    f"the checkpoint {os.fspath(self.checkpoint_path or '')!r} is of another "
                    f"crawl ({doc.get('crawl')!r}, not {wanted!r})"
                )
            self._state = CrawlState.restore(doc)
            saved = doc.get("sinks", [])
            if not isinstance(saved, list) or len(saved) != len(self.sinks):
                raise InvalidArgument(
                    f"the checkpoint has {len(saved)} sink positions for {len(self.sinks)} sinks"
                )
            positions = saved
            self.resumed = True
        self._sync_progress()
        opened: list[Sink] = []
        try:
            for sink, position in zip(self.sinks, positions, strict=True):
                sink.open(position)
                opened.append(sink)
        except BaseException:
            for sink in opened:
                sink.close()
            raise
        self._sinks_open = True

    def _close_sinks(self) -> None:
        if not self._sinks_open:
            return
        self._sinks_open = False
        errors: list[BaseException] = []
        for sink in self.sinks:
            try:
                sink.close()
            except Exception as exc:
                errors.append(exc)
        if errors:
            raise errors[0]

    # -- checkpoints -------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """The checkpoint document of this instant (flushes the sinks to the OS)."""
        positions = [sink.position() for sink in self.sinks]
        return self._state.snapshot(self.strategy.describe(), positions)

    def save_checkpoint(self) -> None:
        """Write a checkpoint now: snapshot, make the sinks durable, replace the file."""
        if self.checkpoint_path is None or not self._sinks_open:
            return
        doc = self.snapshot()
        for sink in self.sinks:
            sink.sync()
        write_atomic(self.checkpoint_path, orjson.dumps(doc))
        self.progress.checkpoints += 1
        self._last_checkpoint = self._clock()

    # -- delivery (the consumer's side) ------------------------------------------------

    def __aiter__(self) -> AsyncIterator[tuple[str, Any]]:
        return self

    async def __anext__(self) -> tuple[str, Any]:
        if self._receive is None:
            raise InvalidArgument("iterate a Crawler inside `async with crawler:`")
        if self._clock() - self._last_checkpoint >= self.checkpoint_interval:
            self.save_checkpoint()
        while True:
            batch = self._batch
            if batch is None or self._index >= len(batch.items):
                if batch is not None:
                    self._end_batch(batch)
                    self._batch = None
                try:
                    self._batch = await self._receive.receive()
                except anyio.EndOfStream:
                    if self._failure is not None:
                        raise self._failure from None
                    raise StopAsyncIteration from None
                self._index = 0
                continue
            item = self._deliver(batch, self._index)
            self._index += 1
            if item is not None:
                return item

    def _deliver(self, batch: _Batch, i: int) -> tuple[str, Any] | None:
        running = batch.running
        if i + 1 >= len(batch.items):
            running.position = batch.after
        else:
            running.position = Checkpoint(batch.page_url, batch.base + i + 1)
        kind, obj = batch.kind, batch.items[i]
        state = self._state
        if kind in self._dedupe:
            urn = object_urn(kind, obj)
            if urn in state.visited:
                return None
            state.visited.add(urn)
        for sink in self.sinks:
            sink.write(kind, obj)
        state.counts[kind] += 1
        pushed = False
        for job in self.strategy.expand(running.job, kind, obj):
            state.push(job)
            pushed = True
        self._sync_progress()
        if pushed:
            self._signal()
        return kind, obj

    def _end_batch(self, batch: _Batch) -> None:
        batch.running.position = batch.after
        if batch.page_url is not None:
            self._state.pages += 1
        if batch.done:
            self._state.finish(batch.running)
        self._sync_progress()
        self._signal()

    def _sync_progress(self) -> None:
        p, s = self.progress, self._state
        p.objects = dict(s.counts)
        p.pages = s.pages
        p.jobs_done = s.jobs_done
        p.pending = s.pending_count
        p.running = len(s.running)
        p.visited = len(s.visited)

    def _signal(self) -> None:
        self._changed.set()
        self._changed = anyio.Event()

    # -- workers -----------------------------------------------------------------------

    async def _worker(self, send: MemoryObjectSendStream[_Batch]) -> None:
        with send:
            while True:
                running = self._state.take(self._level_ordered)
                if running is None:
                    if self._state.finished:
                        self._signal()
                        return
                    await self._changed.wait()
                    continue
                self._sync_progress()
                try:
                    await self._run_job(running, send)
                except (NotFound, Forbidden) as exc:
                    logger.warning("skipping %s %s: %s", running.job.kind, running.job.urn, exc)
                    self.progress.skipped += 1
                    await send.send(_Batch(running, "", (), None, 0, _DONE, True))
                except SoundCloudError as exc:
                    # Stop the crawl; __aexit__ saves the checkpoint and raises it.
                    if self._failure is None:
                        self._failure = exc
                    if self._tg is not None:
                        self._tg.cancel_scope.cancel()
                    return

    async def _run_job(self, running: Running, send: MemoryObjectSendStream[_Batch]) -> None:
        job = running.job
        spec = self._kinds.get(job.kind)
        if spec is None:
            raise InvalidArgument(f"unknown job kind {job.kind!r} (not in the strategy)")
        if spec.fetch is not None:
            obj = await spec.fetch(self.client, job.urn)
            await send.send(_Batch(running, spec.emits, (obj,), None, 0, _DONE, True))
            return
        assert spec.paginate is not None
        paginator = spec.paginate(self.client, job.urn, running.position)
        before = paginator.checkpoint
        async for page in paginator.pages():
            # A resumed first page comes with its first `skip` items already cut off.
            base = before.skip if page.url == before.url else 0
            after = paginator.checkpoint
            await send.send(_Batch(running, spec.emits, page.items, page.url, base, after, False))
            before = after
        await send.send(_Batch(running, spec.emits, (), None, 0, _DONE, True))
