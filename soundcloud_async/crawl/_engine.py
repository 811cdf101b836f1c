"""The crawl engine: many collections at once, under one budget, on a crawl store.

A :class:`Crawler` runs *jobs* (a kind, a URN, a depth) that it claims from a
:class:`~soundcloud_async.crawl.CrawlStore`, with ``concurrency`` workers on an anyio task
group. Each worker opens the job's paginator from the job's committed position (or
fetches its one object) and passes every page, whole, through a bounded channel to the
*delivery* side, which commits it::

    store.claim ──> workers (paginators, through the client: one budget, retries)
                        │ pages
                        ▼
                    delivery ──> ONE transaction per page (or per group of pages):
                                 new objects + the jobs their new nodes add
                                 + the job's new position + tallies

Why nothing is lost and nothing is stored twice: a page's objects and the job's position
after it are committed together, so a worker killed at any instant leaves either both or
neither; whoever continues the job (this process after a restart, or another worker once
the lease runs out) starts from the committed position. Objects are inserted once per URN
and a graph node is expanded only by the transaction that inserted it. Saving progress
costs O(page), never O(crawl), and memory depends on ``concurrency`` and the page size,
not on how much the crawl has seen: the frontier and the visited set live in the store.

A job that cannot go on (a pagination loop, a page that will not decode, retries
exhausted, a gateway's refusal) is *set aside* with its error and position, retried later
with backoff (``max_attempts`` times in all), and reported; every other job continues. A
real 404 or 403 from SoundCloud is recorded as ``gone`` or ``forbidden``. Only what no
job can get past stops the crawl: refused credentials, a closed client, the store failing.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import socket
import tempfile
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final

import anyio
import anyio.abc
import anyio.to_thread
import attrs
import orjson
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from soundcloud_async._converters import unstructure
from soundcloud_async._errors import InvalidArgument, SoundCloudError
from soundcloud_async._pagination import Checkpoint
from soundcloud_async.crawl import _decisions as decide
from soundcloud_async.crawl._store import (
    Claim,
    Committed,
    CrawlStore,
    Delivery,
    StoredItem,
    StoreStatus,
    WorkerInfo,
    open_store,
)
from soundcloud_async.crawl._strategy import JobKind, Strategy, object_urn
from soundcloud_async.models.common import Model

if TYPE_CHECKING:
    from soundcloud_async._client import SoundCloud

__all__ = ["CrawlProgress", "Crawler", "to_json_text"]

logger = logging.getLogger("soundcloud_async.crawl")

_UNSET: Final[Any] = object()
_REMOVED = {
    "sinks": "results now live in the crawl store: pass store= (a path or URL) and export "
    "them with soundcloud_async.crawl.export() or `soundcloud-async export`",
    "checkpoint": "checkpoint files are gone: the crawl store (store=) holds the crawl's "
    "progress and is saved with every page",
    "resume": "a crawl always continues from its store now: pass the same store= again "
    "(overwrite=True starts afresh)",
    "checkpoint_interval": "there are no periodic checkpoints any more: every page is "
    "committed to the store as it is delivered",
}


@attrs.define
class CrawlProgress:
    """Live counters of a crawl (read them any time: ``crawler.progress``).

    Counts of objects, pages and jobs are the whole crawl's (every worker, every run),
    refreshed from the store's tallies; the rest are this process's.

    Attributes:
        objects: objects stored, by kind.
        pages: pages committed.
        pending: jobs waiting in the frontier.
        running: jobs this process holds.
        visited: users (graph nodes) reached.
        jobs_done: jobs finished (whole crawl).
        set_aside: jobs set aside, waiting for a retry.
        failed: jobs that failed for good (set aside ``max_attempts`` times).
        gone: jobs whose object is gone (404).
        forbidden: jobs SoundCloud refused (a real 403).
        invalid: items dropped for having no URN.
        commits: transactions this process committed.
        lost_leases: jobs this process lost to another worker (its lease ran out).
    """

    objects: dict[str, int] = attrs.Factory(dict)
    pages: int = 0
    pending: int = 0
    running: int = 0
    visited: int = 0
    jobs_done: int = 0
    set_aside: int = 0
    failed: int = 0
    gone: int = 0
    forbidden: int = 0
    invalid: int = 0
    commits: int = 0
    lost_leases: int = 0

    @property
    def total(self) -> int:
        """Objects stored, all kinds."""
        return sum(self.objects.values())

    @property
    def not_fetched(self) -> int:
        """Jobs that ended without their objects (failed, gone, forbidden)."""
        return self.failed + self.gone + self.forbidden

    def absorb(self, tallies: dict[str, int]) -> None:
        """Take the store-wide counts from summed tallies."""
        self.objects = {
            k.removeprefix("objects:"): v
            for k, v in tallies.items()
            if k.startswith("objects:") and v
        }
        self.pages = tallies.get("pages", 0)
        self.visited = self.objects.get("user", 0)
        self.pending = tallies.get("jobs:pending", 0)
        self.jobs_done = tallies.get("jobs:done", 0)
        self.set_aside = tallies.get("jobs:set_aside", 0)
        self.failed = tallies.get("jobs:failed", 0)
        self.gone = tallies.get("jobs:gone", 0)
        self.forbidden = tallies.get("jobs:forbidden", 0)
        self.invalid = sum(v for k, v in tallies.items() if k.startswith("invalid:"))


@attrs.define(eq=False)
class _Running:
    """A job this process holds."""

    claim: Claim
    seq: int
    lost: bool = False


@attrs.define(eq=False)
class _Batch:
    """One page (or one object) of a job on its way to delivery, or the job's end."""

    run: _Running
    kind: str
    items: Sequence[Any] = ()
    position: str | None = None
    skip: int = 0
    done: bool = False
    pages: int = 1
    end: tuple[str, str] | None = None  # (gone | forbidden | set_aside, error)


def to_json_text(obj: Any) -> str:
    """An object as the JSON text stored for it: a model unstructured to SoundCloud's shape.

    Never raises on odd values, and what it writes every JSON reader can read back:
    integers beyond 64 bits are written as strings, non-finite floats as ``null``, other
    types as their ``str()``; values of secret parameters are masked.
    """
    data = unstructure(obj) if isinstance(obj, Model) else obj
    try:
        text = orjson.dumps(data).decode()
    except TypeError:
        text = json.dumps(_plain(data), ensure_ascii=False, allow_nan=False)
    # A private track's secret_uri carries its share token: never written to a file.
    return scrub(text)


_INT64: Final = -(2**63)
_SECRET_NAMES: Final = (
    "secret_token",
    "consumer_key",
    "client_secret",
    "oauth_token",
    "access_token",
)
_SECRET_VALUE: Final = re.compile(
    r"(?i)((?:secret_token|consumer_key|client_secret|oauth_token|access_token)(?:=|%3D))"
    r"[^&\"#\\\s]*"
)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, int) and not isinstance(value, bool) and not _INT64 <= value < 2**64:
        # JSON readers (orjson, JavaScript, many databases) lose or refuse such numbers.
        # The bounds are orjson's, so this fallback (taken when another value of the
        # object is out of range) writes an in-range number as orjson itself would.
        return str(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def scrub(text: str) -> str:
    """``text`` with the values of secret parameters (``secret_token=…``) masked."""
    # Plain substring tests first (SoundCloud spells its parameters in lower case): a
    # case-insensitive regex search costs ~0.2 ms on a 2 KB track, and almost no object
    # holds a secret.
    if any(name in text for name in _SECRET_NAMES):
        return _SECRET_VALUE.sub(r"\1***", text)
    return text


def _error_text(exc: BaseException) -> str:
    """A failure as stored and reported: the type and the (secret-free) message.

    Characters a database column or a terminal should not get are escaped.
    """
    text = scrub(f"{type(exc).__name__}: {exc}")[:2000]
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class Crawler:
    """Run a :class:`~soundcloud_async.crawl.Strategy` on a crawl store.

    Use it as an async context manager and iterate it, or just ``await run()``::

        async with SoundCloud(token) as sc:
            crawler = Crawler(sc, FollowGraph("soundcloud:users:1", depth=2),
                              store="crawl.sqlite")
            await crawler.run()            # or: async with crawler:
                                           #         async for kind, obj in crawler: ...

    Running it again with the same store continues the crawl where it stood (after a
    crash too: nothing lost, nothing twice); running it on many processes or machines
    with one PostgreSQL store shares the crawl between them. Iterating yields each object
    not yet stored; a page is committed once you have handled its last object, so after
    a crash you see at most one page per job again, never less.

    Args:
        client: an open :class:`~soundcloud_async.SoundCloud`; its rate limiter is the
            crawl's budget (a :class:`~soundcloud_async.RedisTokenBucket` shares it
            across processes).
        strategy: what to crawl, e.g. :class:`~soundcloud_async.crawl.FollowGraph`.
        store: a :class:`~soundcloud_async.crawl.CrawlStore`, or a path (SQLite) or
            ``postgresql://`` URL for :func:`~soundcloud_async.crawl.open_store`;
            ``None`` keeps the crawl in a temporary SQLite file removed at the end.
        overwrite: start afresh even if the store holds a crawl (of any definition).
        concurrency: jobs (so requests) in flight at once in this process.
        lease: seconds a claimed job stays this worker's without a sign of life; renewed
            every ``lease / 3`` s. A dead worker's jobs are taken over after this long.
        max_attempts: times a job is tried before it is recorded as failed.
        retry_delay: seconds before a set-aside job is first retried (tripled after each
            further failure, up to ``retry_delay_max``).
        poll_interval: seconds between looks at the store for work while none is
            claimable here (other workers may add some).
        group_commit: pages committed together at most when several are waiting.
        worker_id: this worker's id in the store (default: host, pid and a random part).
    """

    def __init__(
        self,
        client: SoundCloud,
        strategy: Strategy,
        *,
        store: CrawlStore | str | os.PathLike[str] | None = None,
        overwrite: bool = False,
        concurrency: int = 8,
        lease: float = 30.0,
        max_attempts: int = 5,
        retry_delay: float = 30.0,
        retry_delay_max: float = 1800.0,
        poll_interval: float = 1.0,
        group_commit: int = 16,
        worker_id: str | None = None,
        buffer: int | None = None,
        sinks: Any = _UNSET,
        checkpoint: Any = _UNSET,
        resume: Any = _UNSET,
        checkpoint_interval: Any = _UNSET,
    ) -> None:
        for name, value in (
            ("sinks", sinks),
            ("checkpoint", checkpoint),
            ("resume", resume),
            ("checkpoint_interval", checkpoint_interval),
        ):
            if value is not _UNSET:
                raise InvalidArgument(f"Crawler({name}=...) is gone: {_REMOVED[name]}")
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise InvalidArgument(f"concurrency must be a positive integer, not {concurrency!r}")
        for name, number in (
            ("lease", lease),
            ("retry_delay", retry_delay),
            ("retry_delay_max", retry_delay_max),
            ("poll_interval", poll_interval),
        ):
            if not (isinstance(number, (int, float)) and number > 0 and math.isfinite(number)):
                raise InvalidArgument(f"{name} must be a positive number of seconds")
        if isinstance(max_attempts, bool) or not isinstance(max_attempts, int) or max_attempts < 1:
            raise InvalidArgument("max_attempts must be a positive integer")
        self.client = client
        self.strategy = strategy
        self.concurrency = concurrency
        self.overwrite = overwrite
        self.lease = float(lease)
        self.max_attempts = max_attempts
        self.retry_delay = float(retry_delay)
        self.retry_delay_max = float(retry_delay_max)
        self.poll_interval = float(poll_interval)
        self.group_commit = max(1, int(group_commit))
        self.progress = CrawlProgress()
        #: Whether this run joined a crawl the store already held.
        self.resumed = False
        self.worker = WorkerInfo(
            worker_id or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        )
        self._temp_dir: tempfile.TemporaryDirectory[str] | None = None
        if store is None:
            self._temp_dir = tempfile.TemporaryDirectory(prefix="soundcloud-crawl-")
            store = Path(self._temp_dir.name) / "crawl.sqlite"
        self._owns_store = not isinstance(store, CrawlStore)
        self.store: CrawlStore = store if isinstance(store, CrawlStore) else open_store(store)
        self._kinds: dict[str, JobKind] = dict(strategy.job_kinds)
        self._level_ordered = frozenset(k.name for k in self._kinds.values() if k.level_ordered)
        self._buffer = concurrency if buffer is None else max(1, buffer)
        self._queue: deque[Claim] = deque()
        self._running: dict[int, _Running] = {}
        self._claim_seq = 0
        self._claim_lock = anyio.Lock()
        self._idle_until = 0.0
        self._wake = anyio.Event()
        self._complete = False
        self._failure: BaseException | None = None
        self._tg: anyio.abc.TaskGroup | None = None
        self._receive: MemoryObjectReceiveStream[_Batch] | None = None
        self._yielding: deque[tuple[str, Any]] = deque()
        self._uncommitted: _Batch | None = None
        self._entered = False
        self._started = False

    def __repr__(self) -> str:
        return f"<Crawler {self.strategy!r} on {self.store.location} {self.progress.total} objects>"

    # -- lifecycle ---------------------------------------------------------------------

    async def run(self) -> CrawlProgress:
        """Crawl to the end (or until cancelled); the final counts."""
        async with self:
            await self._drain()
        return self.progress

    async def __aenter__(self) -> Crawler:
        if self._entered:
            raise InvalidArgument("a Crawler runs once; make a new one to crawl again")
        self._entered = True
        try:
            await self.store.connect(create=True)
            fresh = await self.store.start(
                self.strategy.describe(),
                list(self.strategy.seeds()),
                self.worker,
                overwrite=self.overwrite,
            )
            self._started = True
            self.resumed = not fresh
            self.progress.absorb(await self.store.tallies())
        except BaseException:
            # Cancelled or failed before 'async with' took over (even while reading the
            # tallies): __aexit__ will not run, so hand back and close here, shielded, or
            # the store's connection is left open (Python 3.13 warns of it).
            with anyio.CancelScope(shield=True):
                await self._finish(failing=True)
            raise
        self._tg = anyio.create_task_group()
        await self._tg.__aenter__()
        send, self._receive = anyio.create_memory_object_stream[_Batch](self._buffer)
        with send:
            for _ in range(self.concurrency):
                self._tg.start_soon(self._worker, send.clone())
        self._tg.start_soon(self._heartbeat)
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
            if exc_type is None and self._uncommitted is not None and not self._yielding:
                # The consumer handled the whole page and left: it is delivered.
                batch, self._uncommitted = self._uncommitted, None
                await self._commit([batch])
            if tg is not None:
                tg.cancel_scope.cancel()
                try:
                    suppress = await tg.__aexit__(exc_type, exc, tb)
                finally:
                    if self._receive is not None:
                        self._receive.close()
        finally:
            with anyio.CancelScope(shield=True):
                await self._finish(failing=exc_type is not None or self._failure is not None)
        if self._failure is not None:
            failure, self._failure = self._failure, None
            raise failure
        return suppress

    async def _finish(self, *, failing: bool) -> None:
        """Hand unfinished jobs back, record a completed crawl, close the store.

        A store that fails here is reported only when nothing else already is.
        """
        try:
            if self._started:
                with anyio.move_on_after(max(10.0, self.lease)):
                    await self.store.release(self.worker.id)
                    if self._complete:
                        await self.store.mark_finished()
                    self.progress.absorb(await self.store.tallies())
                self.progress.running = 0
        except SoundCloudError as exc:
            # The store failing here must not hide why the crawl stopped; leases expire.
            logger.warning("could not hand the crawl's jobs back to the store: %s", exc)
            if not failing and not self._complete:
                self._failure = exc
        finally:
            await self._close_store()

    async def _close_store(self) -> None:
        try:
            if self._owns_store:
                await self.store.close()
        finally:
            if self._temp_dir is not None:
                self._temp_dir.cleanup()
                self._temp_dir = None

    @property
    def complete(self) -> bool:
        """Whether this worker found no job left in the whole crawl."""
        return self._complete

    async def status(self, *, problems: int = 20) -> StoreStatus:
        """The store's status (counts, workers, problem jobs), while the crawl runs."""
        return await self.store.status(problems=problems)

    # -- delivery ----------------------------------------------------------------------

    def __aiter__(self) -> AsyncIterator[tuple[str, Any]]:
        return self

    async def __anext__(self) -> tuple[str, Any]:
        if self._receive is None:
            raise InvalidArgument("iterate a Crawler inside `async with crawler:`")
        while True:
            if self._yielding:
                return self._yielding.popleft()
            if self._uncommitted is not None:
                batch, self._uncommitted = self._uncommitted, None
                await self._commit([batch])
            try:
                batch = await self._receive.receive()
            except anyio.EndOfStream:
                self._raise_failure()
                raise StopAsyncIteration from None
            if batch.run.lost:
                continue
            if batch.end is not None:
                await self._end_job(batch)
                continue
            if not batch.items:
                await self._commit([batch])
                continue
            keyed = [(object_urn(batch.kind, obj), obj) for obj in batch.items]
            new = await self.store.unseen([urn for urn, _ in keyed if urn is not None])
            self._yielding.extend((batch.kind, obj) for urn, obj in keyed if urn in new)
            self._uncommitted = batch

    async def _drain(self) -> None:
        """Commit everything the workers deliver (``run()``: no consumer)."""
        assert self._receive is not None
        receive = self._receive
        while True:
            try:
                batches = [await receive.receive()]
            except anyio.EndOfStream:
                self._raise_failure()
                return
            while len(batches) < self.group_commit:
                try:
                    batches.append(receive.receive_nowait())
                except (anyio.WouldBlock, anyio.EndOfStream):
                    break
            pages: list[_Batch] = []
            for batch in batches:
                if batch.end is None:
                    pages.append(batch)
                    continue
                await self._commit(pages)
                pages = []
                await self._end_job(batch)
            await self._commit(pages)

    def _raise_failure(self) -> None:
        if self._failure is not None:
            failure, self._failure = self._failure, None
            raise failure

    def _deliverables(self, batches: Sequence[_Batch]) -> list[Delivery]:
        return [self._deliverable(b) for b in batches]

    def _deliverable(self, batch: _Batch) -> Delivery:
        items: list[StoredItem] = []
        invalid = 0
        job = batch.run.claim.job
        for obj in batch.items:
            urn = object_urn(batch.kind, obj)
            if urn is None:
                invalid += 1
                continue
            jobs = tuple(self.strategy.expand(job, batch.kind, obj))
            items.append(StoredItem(batch.kind, urn, to_json_text(obj), jobs))
        if invalid:
            logger.warning(
                "%s %s: %d %s item(s) without a URN were not stored",
                job.kind,
                job.urn,
                invalid,
                batch.kind,
            )
        return Delivery(
            batch.run.claim,
            items,
            batch.position,
            batch.skip,
            batch.done,
            batch.pages,
            invalid,
            batch.kind,
        )

    async def _commit(self, batches: Sequence[_Batch]) -> None:
        live = [b for b in batches if not b.run.lost]
        if not live:
            return
        # Turning a page of models into JSON costs milliseconds of pure Python: done on a
        # worker thread, the event loop keeps serving every few milliseconds meanwhile.
        deliveries = await anyio.to_thread.run_sync(self._deliverables, live)
        results = await self.store.commit(self.worker.id, deliveries, lease=self.lease)
        self.progress.commits += 1
        changed = False
        for batch, delivery, result in zip(live, deliveries, results, strict=True):
            changed |= self._account(batch, delivery, result)
        if changed:
            self._signal()

    def _account(self, batch: _Batch, delivery: Delivery, result: Committed) -> bool:
        run = batch.run
        if result.lost:
            self._lose(run)
            return True
        p = self.progress
        for kind, n in result.new.items():
            p.objects[kind] = p.objects.get(kind, 0) + n
        p.visited = p.objects.get("user", 0)
        p.pages += batch.pages
        p.pending += result.jobs_added
        p.invalid += delivery.invalid
        if batch.done:
            self._running.pop(run.claim.id, None)
            p.jobs_done += 1
            p.running = len(self._running)
            return True
        return result.jobs_added > 0

    async def _end_job(self, batch: _Batch) -> None:
        run = batch.run
        assert batch.end is not None
        state, error = batch.end
        written = await self.store.end_job(
            self.worker.id,
            run.claim,
            state,
            error,
            max_attempts=self.max_attempts,
            retry_base=self.retry_delay,
            retry_cap=self.retry_delay_max,
        )
        self._running.pop(run.claim.id, None)
        p = self.progress
        p.running = len(self._running)
        if written is None:
            self._lose(run)
        else:
            setattr(p, written, getattr(p, written) + 1)
            job = run.claim.job
            logger.warning("%s %s %s: %s", job.kind, job.urn, written.replace("_", " "), error)
        self._signal()

    def _lose(self, run: _Running) -> None:
        if not run.lost:
            run.lost = True
            self.progress.lost_leases += 1
            logger.warning(
                "%s %s was taken over by another worker (its lease ran out here); "
                "it continues there from its last committed page",
                run.claim.job.kind,
                run.claim.job.urn,
            )
        self._running.pop(run.claim.id, None)
        self.progress.running = len(self._running)

    def _signal(self) -> None:
        self._wake.set()
        self._wake = anyio.Event()

    # -- workers -----------------------------------------------------------------------

    async def _next_claim(self) -> Claim | None:
        """The next job for an idle worker, claimed from the store; ``None``: all done."""
        while True:
            if self._queue:
                return self._queue.popleft()
            if self._complete:
                return None
            wake = self._wake
            delay = self.poll_interval
            async with self._claim_lock:
                if self._queue:
                    continue
                if self.complete:  # another worker found the crawl done meanwhile
                    return None
                if time.monotonic() >= self._idle_until:
                    want = self.concurrency - len(self._running) - len(self._queue)
                    claims = await self.store.claim(
                        self.worker.id,
                        max(1, want),
                        kinds=list(self._kinds),
                        level_ordered=self._level_ordered,
                        lease=self.lease,
                    )
                    if claims:
                        self._claim_seq += 1
                        self._queue.extend(claims)
                        continue
                    left, retry_at = await self.store.outstanding()
                    if not left:
                        self._complete = True
                        self._signal()
                        return None
                    if retry_at is not None:
                        delay = min(delay, max(0.05, retry_at - time.time()))
                    self._idle_until = time.monotonic() + delay
                else:
                    delay = max(0.01, self._idle_until - time.monotonic())
            with anyio.move_on_after(delay):
                await wake.wait()
            if wake.is_set():
                self._idle_until = 0.0

    async def _worker(self, send: MemoryObjectSendStream[_Batch]) -> None:
        with send:
            while True:
                claim = await self._next_claim()
                if claim is None:
                    return
                run = _Running(claim, self._claim_seq)
                self._running[claim.id] = run
                self.progress.running = len(self._running)
                try:
                    await self._run_job(run, send)
                except Exception as exc:
                    outcome = decide.outcome_for(exc)
                    if outcome is decide.Outcome.FATAL:
                        self._fail(exc)
                        return
                    if not run.lost:
                        await send.send(_Batch(run, "", end=(outcome.value, _error_text(exc))))

    def _fail(self, exc: BaseException) -> None:
        """Stop the crawl with ``exc`` (raised from ``run()`` / the iteration)."""
        if self._failure is None:
            self._failure = exc
        if self._tg is not None:
            self._tg.cancel_scope.cancel()

    async def _run_job(self, run: _Running, send: MemoryObjectSendStream[_Batch]) -> None:
        claim = run.claim
        job = claim.job
        spec = self._kinds.get(job.kind)
        if spec is None:
            raise InvalidArgument(f"unknown job kind {job.kind!r} (not in the strategy)")
        if spec.fetch is not None:
            obj = await spec.fetch(self.client, job.urn)
            if not run.lost:
                await send.send(_Batch(run, spec.emits, (obj,), done=True, pages=0))
            return
        assert spec.paginate is not None
        resume = None
        if claim.position is not None:
            resume = Checkpoint(claim.position, claim.skip)
        paginator = spec.paginate(self.client, job.urn, resume)
        base = self.client.base_url
        ended = False
        async for page in paginator.pages():
            after = paginator.checkpoint
            if run.lost:
                return
            ended = after.done
            await send.send(
                _Batch(
                    run,
                    spec.emits,
                    page.items,
                    decide.relative_position(after.url, base),
                    after.skip,
                    ended,
                )
            )
        if not ended and not run.lost:
            await send.send(_Batch(run, spec.emits, (), None, 0, True, pages=0))

    async def _heartbeat(self) -> None:
        """Renew this worker's leases; notice the ones lost; refresh the counters."""
        while True:
            await anyio.sleep(self.lease / 3)
            seq = self._claim_seq
            try:
                held = await self.store.heartbeat(self.worker.id, lease=self.lease)
                tallies = await self.store.tallies()
            except SoundCloudError as exc:
                logger.warning("crawl store heartbeat failed: %s", exc)
                continue
            for run in list(self._running.values()):
                if run.seq < seq and run.claim.token not in held:
                    self._lose(run)
            running = len(self._running)
            self.progress.absorb(tallies)
            self.progress.running = running
