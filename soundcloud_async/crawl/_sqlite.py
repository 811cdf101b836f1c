"""The embedded crawl store: one SQLite file per crawl (the default).

Every database call runs on a worker thread (``anyio.to_thread``, one at a time), so the
event loop never waits on the disk; a call in flight when the crawl is cancelled runs to
its end, so a transaction is either committed whole or rolled back, never cut.

The file uses WAL journaling: readers (``status``, ``export``) never block the crawl.
``synchronous="normal"`` (the default) makes every commit survive the process being
killed at any instant; ``"full"`` also survives a power cut, at the price of an fsync per
commit. Several processes on one machine may share one file (writes take turns under
SQLite's lock); for many machines use :class:`~soundcloud_async.crawl.PostgresStore`.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sqlite3
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, TypeVar

import anyio
import anyio.to_thread

from soundcloud_async.crawl import _decisions as decide
from soundcloud_async.crawl._store import (
    FORMAT,
    Claim,
    Committed,
    CrawlStoreError,
    Delivery,
    Job,
    JobProblem,
    StoreFormatError,
    StoreLifecycle,
    StoreStatus,
    StoreUnavailable,
    WorkerInfo,
    WorkerStatus,
    build_status,
    canonical_definition,
    check_meta,
    schema_sql,
)

__all__ = ["SQLiteStore", "pid_alive"]

T = TypeVar("T")

#: Rows per multi-row statement: 3-4 parameters each stays far below SQLite's limit.
_CHUNK = 200
_DEPTH_MAX = 2**31 - 1  # "no bound" for an INTEGER depth column
_PROBLEMS = ("set_aside", "failed", "forbidden", "gone")
_MIN_SQLITE = (3, 35, 0)  # RETURNING


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid runs on this machine."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def _chunks(rows: Sequence[T], size: int = _CHUNK) -> Iterator[Sequence[T]]:
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


def _values(n_rows: int, n_cols: int) -> str:
    row = "(" + ",".join("?" * n_cols) + ")"
    return ",".join([row] * n_rows)


class SQLiteStore(StoreLifecycle):
    """A crawl's state in one SQLite file.

    Args:
        path: the database file (created by a crawl; ``status``/``export`` need it to
            exist). ``":memory:"`` keeps it in memory (tests).
        synchronous: ``"normal"`` (every commit survives a killed process) or ``"full"``
            (also a power cut; an fsync per commit).
        cache_mb: SQLite's page cache, the store's memory bound.
        clock: epoch seconds (leases, retry times), injectable for tests.
        pid_alive: whether a pid runs on this host (to release dead workers' jobs at once).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        synchronous: Literal["normal", "full"] = "normal",
        cache_mb: int = 32,
        clock: Callable[[], float] = time.time,
        pid_alive: Callable[[int], bool] = pid_alive,
    ) -> None:
        if synchronous not in ("normal", "full"):
            raise ValueError("synchronous must be 'normal' or 'full'")
        self.path = os.fspath(path)
        self._synchronous = synchronous
        self._cache_kib = max(1, int(cache_mb)) * 1024
        self._clock = clock
        self._pid_alive = pid_alive
        self._db: sqlite3.Connection | None = None
        self._limiter = anyio.CapacityLimiter(1)
        self._host: str | None = None

    @property
    def location(self) -> str:
        """The file's path."""
        return self.path

    # -- plumbing ------------------------------------------------------------------------

    async def _run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        def call() -> T:
            db = self._db
            if db is None:
                raise CrawlStoreError(f"the crawl store {self.path} is not open")
            try:
                return fn(db)
            except sqlite3.Error as exc:
                raise self._translate(exc) from exc

        return await anyio.to_thread.run_sync(call, limiter=self._limiter)

    async def _tx(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` in one write transaction (``BEGIN IMMEDIATE``: writers take turns)."""

        def transaction(db: sqlite3.Connection) -> T:
            db.execute("BEGIN IMMEDIATE")
            try:
                result = fn(db)
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
            return result

        return await self._run(transaction)

    def _translate(self, exc: sqlite3.Error) -> CrawlStoreError:
        text = str(exc)
        lowered = text.lower()
        if "readonly" in lowered or "read-only" in lowered:
            return StoreUnavailable(f"the crawl store {self.path} is read-only ({text})")
        if "disk is full" in lowered or "database or disk is full" in lowered:
            return CrawlStoreError(
                f"the crawl store {self.path} cannot grow: the disk (or its size limit) is "
                f"full; nothing of the failed write was kept ({text})"
            )
        if "not a database" in lowered or "malformed" in lowered:
            return StoreFormatError(f"{self.path} is not a crawl store ({text})")
        if "unable to open" in lowered:
            return StoreUnavailable(f"cannot open the crawl store {self.path} ({text})")
        if "locked" in lowered or "busy" in lowered:
            return CrawlStoreError(
                f"the crawl store {self.path} stayed locked by another process ({text})"
            )
        return CrawlStoreError(f"the crawl store {self.path} failed: {text}")

    # -- opening -------------------------------------------------------------------------

    async def connect(self, *, create: bool = False) -> None:
        """Open the file (creating it only with ``create``) and check what it holds."""
        if self._db is not None:
            return
        if sqlite3.sqlite_version_info < _MIN_SQLITE:
            raise StoreUnavailable(
                f"the SQLite crawl store needs SQLite 3.35 or newer; this Python has "
                f"{sqlite3.sqlite_version}"
            )
        memory = self.path == ":memory:"
        if not memory:
            _check_path(Path(self.path), create=create)

        def open_db() -> sqlite3.Connection:
            try:
                db = sqlite3.connect(
                    self.path, isolation_level=None, check_same_thread=False, timeout=30.0
                )
            except sqlite3.Error as exc:
                raise self._translate(exc) from exc
            try:
                db.execute("PRAGMA busy_timeout = 30000")
                # Before anything writes (WAL mode changes the header): is it ours?
                _check_format(db, self.path)
                if not create and not _has_tables(db):
                    raise StoreUnavailable(f"no crawl in {self.path} yet")
                if not memory:
                    # A read-only file keeps its journal mode: reading it still works,
                    # and a write says clearly that the file is read-only.
                    with contextlib.suppress(sqlite3.OperationalError):
                        db.execute("PRAGMA journal_mode = WAL")
                db.execute(f"PRAGMA synchronous = {self._synchronous.upper()}")
                db.execute(f"PRAGMA cache_size = -{self._cache_kib}")
            except sqlite3.Error as exc:
                db.close()
                raise self._translate(exc) from exc
            except BaseException:
                db.close()
                raise
            return db

        # Shielded: a caller cancelled while the thread opens the file would otherwise
        # drop the connection unclosed (Python 3.13 reports it as a ResourceWarning);
        # kept, it is closed by close() like any other.
        with anyio.CancelScope(shield=True):
            self._db = await anyio.to_thread.run_sync(open_db, limiter=self._limiter)

    async def close(self) -> None:
        """Close the file (idempotent; completes even in a cancelled task)."""
        db, self._db = self._db, None
        if db is not None:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(db.close, limiter=self._limiter)

    async def start(
        self,
        definition: Mapping[str, Any],
        seeds: Sequence[Job],
        worker: WorkerInfo,
        *,
        overwrite: bool = False,
    ) -> bool:
        """Create or join the crawl; register ``worker``; release dead local workers' jobs."""
        wanted = canonical_definition(definition)
        now = self._clock()
        self._host = worker.host

        def go(db: sqlite3.Connection) -> bool:
            if overwrite:
                for table in (
                    "crawl_meta",
                    "crawl_jobs",
                    "crawl_objects",
                    "crawl_workers",
                    "crawl_tallies",
                ):
                    db.execute(f"DROP TABLE IF EXISTS {table}")
            for statement in schema_sql(
                id_type="INTEGER PRIMARY KEY", json_type="TEXT", float_type="REAL"
            ):
                db.execute(statement)
            meta = dict(db.execute("SELECT key, value FROM crawl_meta").fetchall())
            fresh = not meta
            if fresh:
                db.executemany(
                    "INSERT INTO crawl_meta (key, value) VALUES (?, ?)",
                    [("format", FORMAT), ("definition", wanted), ("created_at", repr(now))],
                )
            else:
                check_meta(meta, wanted, self.path)
            db.execute(
                "INSERT INTO crawl_workers (id, host, pid, started_at, heartbeat_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (worker.id, worker.host, worker.pid, now, now),
            )
            deltas: dict[str, int] = {}
            if fresh:
                added = _insert_jobs(db, seeds)
                deltas["jobs:pending"] = added
            else:
                deltas = self._release_dead(db, worker)
            _add_tallies(db, worker.id, deltas)
            return fresh

        return await self._tx(go)

    def _release_dead(self, db: sqlite3.Connection, me: WorkerInfo) -> dict[str, int]:
        """Release the running jobs of workers on this host whose process is gone."""
        deltas: dict[str, int] = {}
        rows = db.execute(
            "SELECT id, host, pid FROM crawl_workers WHERE state = 'running' AND id != ?",
            (me.id,),
        ).fetchall()
        for wid, host, pid in rows:
            alive = self._pid_alive(int(pid)) if host == me.host else None
            if not decide.owner_is_dead(str(host), int(pid), me.host, alive):
                continue
            n = db.execute(
                "UPDATE crawl_jobs SET state = 'pending', lease_owner = NULL, "
                "lease_token = NULL, lease_until = NULL WHERE state = 'running' "
                "AND lease_owner = ?",
                (wid,),
            ).rowcount
            db.execute("UPDATE crawl_workers SET state = 'dead' WHERE id = ?", (wid,))
            deltas = decide.merge_deltas(deltas, {"jobs:running": -n, "jobs:pending": n})
        return deltas

    # -- claiming ------------------------------------------------------------------------

    async def claim(
        self,
        worker: str,
        limit: int,
        *,
        kinds: Sequence[str],
        level_ordered: frozenset[str],
        lease: float,
    ) -> list[Claim]:
        """Lease up to ``limit`` startable jobs, shallowest first."""
        if limit <= 0:
            return []
        now = self._clock()

        def go(db: sqlite3.Connection) -> list[Claim]:
            floors = _floors(db, level_ordered)
            found: list[tuple[Any, ...]] = []
            for kind in kinds:
                bound = decide.allowed_depth(kind, floors, level_ordered)
                depth_max = int(min(bound, _DEPTH_MAX))
                for state, due in decide.CLAIMABLE:
                    found += db.execute(
                        f"SELECT {decide.CLAIM_COLUMNS} FROM crawl_jobs WHERE state = '{state}' "
                        "AND kind = ? AND depth <= ? "
                        + (f"AND {due} <= ? " if due else "")
                        + "ORDER BY depth, id LIMIT ?",
                        (kind, depth_max, now, limit) if due else (kind, depth_max, limit),
                    ).fetchall()
            found.sort(key=lambda r: decide.claim_order(r[3], r[0]))
            claims: list[Claim] = []
            deltas: dict[str, int] = {}
            for jid, kind, urn, depth, state, position, skip, attempts in found[:limit]:
                token = uuid.uuid4().hex
                db.execute(
                    "UPDATE crawl_jobs SET state = 'running', lease_owner = ?, lease_token = ?,"
                    " lease_until = ? WHERE id = ?",
                    (worker, token, now + lease, jid),
                )
                deltas = decide.merge_deltas(deltas, decide.transition(state, "running"))
                claims.append(Claim(jid, Job(kind, urn, depth), token, position, skip, attempts))
            _add_tallies(db, worker, deltas)
            return claims

        return await self._tx(go)

    async def unseen(self, urns: Sequence[str]) -> set[str]:
        """The URNs with no stored object yet."""
        wanted = list(dict.fromkeys(urns))

        def go(db: sqlite3.Connection) -> set[str]:
            seen: set[str] = set()
            for part in _chunks(wanted, 500):
                marks = ",".join("?" * len(part))
                seen.update(
                    r[0]
                    for r in db.execute(
                        f"SELECT urn FROM crawl_objects WHERE urn IN ({marks})", part
                    )
                )
            return set(wanted) - seen

        return await self._run(go)

    # -- committing ----------------------------------------------------------------------

    async def commit(
        self, worker: str, deliveries: Sequence[Delivery], *, lease: float
    ) -> list[Committed]:
        """Store pages, new jobs and positions in one transaction."""
        if not deliveries:
            return []
        now = self._clock()

        def go(db: sqlite3.Connection) -> list[Committed]:
            held = _held(db, [d.claim for d in deliveries])
            results: list[Committed] = []
            deltas: dict[str, int] = {}
            for d in deliveries:
                if d.claim.id not in held:
                    results.append(Committed(lost=True))
                    continue
                new_urns = _insert_objects(db, d)
                new: dict[str, int] = {}
                jobs: list[Job] = []
                for item in d.items:
                    if item.urn in new_urns:
                        new[item.kind] = new.get(item.kind, 0) + 1
                        jobs.extend(item.jobs)
                        new_urns.discard(item.urn)  # a URN twice in one page counts once
                added = _insert_jobs(db, jobs)
                state = "done" if d.done else "running"
                if d.done:
                    db.execute(
                        "UPDATE crawl_jobs SET state = 'done', position = NULL, skip = 0, "
                        "pages = pages + ?, lease_owner = NULL, lease_token = NULL, "
                        "lease_until = NULL, error = NULL WHERE id = ?",
                        (d.pages, d.claim.id),
                    )
                else:
                    db.execute(
                        "UPDATE crawl_jobs SET position = ?, skip = ?, pages = pages + ?, "
                        "lease_until = ? WHERE id = ?",
                        (d.position, d.skip, d.pages, now + lease, d.claim.id),
                    )
                deltas = decide.merge_deltas(
                    deltas,
                    {f"objects:{k}": n for k, n in new.items()},
                    {"jobs:pending": added, "pages": d.pages},
                    {f"invalid:{d.kind}": d.invalid} if d.invalid else {},
                    decide.transition("running", state),
                )
                results.append(
                    Committed(
                        lost=False,
                        new=new,
                        jobs_added=added,
                        new_urns=frozenset(i.urn for i in d.items if i.kind in new),
                    )
                )
            _add_tallies(db, worker, deltas)
            return results

        return await self._tx(go)

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
        """Record a job's end (gone/forbidden) or set it aside for a retry."""
        now = self._clock()

        def go(db: sqlite3.Connection) -> str | None:
            if claim.id not in _held(db, [claim]):
                return None
            retry_at: float | None = None
            attempts = claim.attempts
            new_state = state
            if state == "set_aside":
                attempts += 1
                new_state, retry_at = decide.set_aside_plan(
                    attempts, max_attempts, now, retry_base, retry_cap
                )
            db.execute(
                "UPDATE crawl_jobs SET state = ?, attempts = ?, retry_at = ?, error = ?, "
                "lease_owner = NULL, lease_token = NULL, lease_until = NULL WHERE id = ?",
                (new_state, attempts, retry_at, error[:2000], claim.id),
            )
            _add_tallies(db, worker, decide.transition("running", new_state))
            return new_state

        return await self._tx(go)

    async def heartbeat(self, worker: str, *, lease: float) -> set[str]:
        """Renew this worker's leases; release dead local workers; the tokens still held."""
        now = self._clock()

        def go(db: sqlite3.Connection) -> set[str]:
            db.execute(
                "UPDATE crawl_jobs SET lease_until = ? WHERE state = 'running' AND lease_owner = ?",
                (now + lease, worker),
            )
            db.execute(
                "UPDATE crawl_workers SET heartbeat_at = ?, state = 'running' WHERE id = ?",
                (now, worker),
            )
            if self._host is not None:
                me = WorkerInfo(worker, self._host, os.getpid())
                _add_tallies(db, worker, self._release_dead(db, me))
            return {
                r[0]
                for r in db.execute(
                    "SELECT lease_token FROM crawl_jobs WHERE state = 'running' "
                    "AND lease_owner = ?",
                    (worker,),
                )
            }

        return await self._tx(go)

    async def release(self, worker: str) -> None:
        """Hand this worker's running jobs back and mark it stopped."""

        def go(db: sqlite3.Connection) -> None:
            n = db.execute(
                "UPDATE crawl_jobs SET state = 'pending', lease_owner = NULL, "
                "lease_token = NULL, lease_until = NULL WHERE state = 'running' "
                "AND lease_owner = ?",
                (worker,),
            ).rowcount
            db.execute("UPDATE crawl_workers SET state = 'stopped' WHERE id = ?", (worker,))
            _add_tallies(db, worker, {"jobs:running": -n, "jobs:pending": n})

        await self._tx(go)

    # -- reading -------------------------------------------------------------------------

    async def outstanding(self) -> tuple[bool, float | None]:
        """Whether any job is left, and the soonest set-aside retry time."""

        def go(db: sqlite3.Connection) -> tuple[bool, float | None]:
            left = any(
                db.execute("SELECT 1 FROM crawl_jobs WHERE state = ? LIMIT 1", (state,)).fetchone()
                for state in decide.ACTIVE_STATES
            )
            row = db.execute(
                "SELECT MIN(retry_at) FROM crawl_jobs WHERE state = 'set_aside'"
            ).fetchone()
            return left, (None if row is None or row[0] is None else float(row[0]))

        return await self._run(go)

    async def mark_finished(self) -> None:
        """Record the crawl's end."""
        now = self._clock()
        await self._tx(
            lambda db: db.execute(
                "INSERT INTO crawl_meta (key, value) VALUES ('finished_at', ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (repr(now),),
            )
        )

    async def tallies(self) -> dict[str, int]:
        """Tallies summed over workers."""
        return await self._run(_sum_tallies)

    async def status(self, *, problems: int = 20) -> StoreStatus:
        """The store's counts, workers and problem jobs."""
        now = self._clock()

        def go(db: sqlite3.Connection) -> StoreStatus:
            if not _has_tables(db):
                raise StoreFormatError(f"{self.path} holds no crawl yet")
            meta = dict(db.execute("SELECT key, value FROM crawl_meta").fetchall())
            totals = _sum_tallies(db)
            workers = [
                WorkerStatus(
                    wid,
                    host,
                    int(pid),
                    float(started),
                    float(beat),
                    state,
                    alive=state == "running"
                    and (self._pid_alive(int(pid)) if host == socket.gethostname() else True),
                )
                for wid, host, pid, started, beat, state in db.execute(
                    "SELECT id, host, pid, started_at, heartbeat_at, state FROM crawl_workers "
                    "ORDER BY started_at"
                )
            ]
            listed: list[JobProblem] = []
            for state in _PROBLEMS:
                listed += [
                    JobProblem(kind, urn, st, int(att), err, pos, None if ra is None else float(ra))
                    for kind, urn, st, att, err, pos, ra in db.execute(
                        "SELECT kind, urn, state, attempts, error, position, retry_at FROM "
                        "crawl_jobs WHERE state = ? ORDER BY id LIMIT ?",
                        (state, problems),
                    )
                ]
            return build_status(self.path, meta, totals, workers, listed[:problems], now)

        return await self._run(go)

    async def iter_objects(
        self, kinds: Sequence[str] | None = None, *, batch: int = 1000
    ) -> AsyncIterator[list[tuple[str, str, str]]]:
        """Stored objects in insertion order, ``batch`` at a time."""
        last = 0
        where = ""
        params: list[Any] = []
        if kinds:
            where = f" AND kind IN ({','.join('?' * len(kinds))})"
            params = list(kinds)
        while True:

            def page(db: sqlite3.Connection, after: int = last) -> list[tuple[Any, ...]]:
                return db.execute(
                    "SELECT rowid, kind, urn, data FROM crawl_objects WHERE rowid > ?"
                    f"{where} ORDER BY rowid LIMIT ?",
                    (after, *params, batch),
                ).fetchall()

            rows = await self._run(page)
            if not rows:
                return
            last = int(rows[-1][0])
            yield [(str(k), str(u), str(d)) for _, k, u, d in rows]


# -- statements shared by the methods above ----------------------------------------------


def _check_path(path: Path, *, create: bool) -> None:
    if path.is_dir():
        raise StoreUnavailable(f"the crawl store {path} is a directory, not a file")
    if path.exists():
        with path.open("rb") as f:
            head = f.read(16)
        if head and not head.startswith(b"SQLite format 3"):
            hint = ""
            if head.lstrip().startswith(b"{"):
                hint = (
                    " (it looks like a JSON checkpoint of an older soundcloud_async: crawls "
                    "now keep their whole state in a store, so a checkpoint cannot be "
                    "continued; start the crawl again with a new store file)"
                )
            raise StoreFormatError(f"{path} is not a crawl store{hint}")
        return
    if not create:
        raise StoreUnavailable(f"no crawl store at {path}")
    parent = path.parent
    if not parent.exists():
        raise StoreUnavailable(f"cannot create the crawl store {path}: no directory {parent}")
    if not parent.is_dir():
        raise StoreUnavailable(f"cannot create the crawl store {path}: {parent} is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise StoreUnavailable(
            f"cannot create the crawl store {path}: the directory {parent} is not writable"
        )


def _has_tables(db: sqlite3.Connection) -> bool:
    return (
        db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'crawl_meta'"
        ).fetchone()
        is not None
    )


def _check_format(db: sqlite3.Connection, where: str) -> None:
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not tables:
        return
    if "crawl_meta" not in tables:
        raise StoreFormatError(
            f"{where} is an SQLite database but not a crawl store (tables: "
            f"{', '.join(sorted(tables)[:5])}); it may be the output of an older "
            "soundcloud_async's SQLiteSink: give the crawl a new --store file"
        )
    row = db.execute("SELECT value FROM crawl_meta WHERE key = 'format'").fetchone()
    if row is None or row[0] != FORMAT:
        found = None if row is None else row[0]
        raise StoreFormatError(
            f"{where} is a crawl store of another format ({found!r}, this version "
            f"reads {FORMAT!r}); start a new store, or pass --overwrite to replace it"
        )


def _held(db: sqlite3.Connection, claims: Sequence[Claim]) -> set[int]:
    """The claims whose lease this transaction can still prove."""
    held: set[int] = set()
    for claim in claims:
        row = db.execute(
            "SELECT lease_token, state FROM crawl_jobs WHERE id = ?", (claim.id,)
        ).fetchone()
        if row is not None and row[0] == claim.token and row[1] == "running":
            held.add(claim.id)
    return held


def _insert_objects(db: sqlite3.Connection, d: Delivery) -> set[str]:
    rows: dict[str, tuple[str, str, str]] = {}
    for item in d.items:
        rows.setdefault(item.urn, (item.urn, item.kind, item.data))
    new: set[str] = set()
    ordered = sorted(rows.values())
    for part in _chunks(ordered):
        flat = [v for row in part for v in row]
        new.update(
            r[0]
            for r in db.execute(
                "INSERT INTO crawl_objects (urn, kind, data) VALUES "
                f"{_values(len(part), 3)} ON CONFLICT(urn) DO NOTHING RETURNING urn",
                flat,
            ).fetchall()
        )
    return new


def _insert_jobs(db: sqlite3.Connection, jobs: Iterable[Job]) -> int:
    unique = sorted({(j.kind, j.urn): j.depth for j in jobs}.items())
    added = 0
    for part in _chunks(unique):
        flat = [v for (kind, urn), depth in part for v in (kind, urn, depth)]
        added += len(
            db.execute(
                "INSERT INTO crawl_jobs (kind, urn, depth) VALUES "
                f"{_values(len(part), 3)} ON CONFLICT(kind, urn) DO NOTHING RETURNING id",
                flat,
            ).fetchall()
        )
    return added


def _floors(db: sqlite3.Connection, level_ordered: Iterable[str]) -> dict[str, int]:
    floors: dict[str, int] = {}
    for kind in level_ordered:
        for state in decide.ACTIVE_STATES:
            row = db.execute(
                "SELECT MIN(depth) FROM crawl_jobs WHERE state = ? AND kind = ?",
                (state, kind),
            ).fetchone()
            if row is not None and row[0] is not None:
                floors[kind] = min(floors.get(kind, int(row[0])), int(row[0]))
    return floors


def _add_tallies(db: sqlite3.Connection, worker: str, deltas: Mapping[str, int]) -> None:
    rows = [(worker, k, v) for k, v in deltas.items() if v]
    if rows:
        db.executemany(
            "INSERT INTO crawl_tallies (worker, key, n) VALUES (?, ?, ?) "
            "ON CONFLICT(worker, key) DO UPDATE SET n = n + excluded.n",
            rows,
        )


def _sum_tallies(db: sqlite3.Connection) -> dict[str, int]:
    if not _has_tables(db):
        return {}
    return {
        str(k): int(n) for k, n in db.execute("SELECT key, SUM(n) FROM crawl_tallies GROUP BY key")
    }
