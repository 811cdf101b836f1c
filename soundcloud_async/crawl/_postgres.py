"""The crawl store for many workers on many machines: PostgreSQL, through asyncpg.

Why asyncpg (not psycopg 3): the store's hot path is one transaction per page that
sends a few hundred values as arrays (``unnest``), and asyncpg's binary protocol and
prepared-statement cache do that with the least client CPU, natively on asyncio (the
loop aiohttp already needs). psycopg 3 would also do; nothing here depends on asyncpg
beyond this module.

How workers share one crawl:

- a worker *claims* jobs with ``SELECT … FOR UPDATE SKIP LOCKED`` and writes a lease (its
  id, a token for this claim, an expiry on the database's clock) in the same transaction,
  so two workers never hold one job;
- it renews its leases with every commit and with heartbeats; a worker that dies stops
  renewing, and once its leases run out any worker claims its jobs and continues each
  from its last committed position (a dead worker on the claimer's own host is detected
  at once, by its pid);
- a page is committed in one transaction that first locks the job row and checks the
  lease token: a worker that lost its lease writes nothing;
- rows are written in a fixed order (URNs sorted) so concurrent commits cannot deadlock,
  and a transaction that still meets a deadlock or serialization failure is retried.

Time (leases, retry times) comes from the database server's clock, so workers on
machines whose clocks disagree still agree on when a lease has run out.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
from yarl import URL

from soundcloud_async.crawl import _decisions as decide
from soundcloud_async.crawl._sqlite import pid_alive
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

if TYPE_CHECKING:
    import asyncpg

__all__ = ["PostgresStore"]

T = TypeVar("T")

_NOW = "extract(epoch from clock_timestamp())::float8"
_DEPTH_MAX = 2**31 - 1  # "no bound" for an INTEGER depth column
_PROBLEMS = ("set_aside", "failed", "forbidden", "gone")
_TABLES = ("crawl_meta", "crawl_jobs", "crawl_objects", "crawl_workers", "crawl_tallies")
_RETRIES = 5


class _SessionEnded(ConnectionError):
    """The server ended the session while a call was using it (see ``_with``)."""


def _closed(conn: Any) -> bool:
    """Whether a pooled connection has closed under its holder."""
    asyncpg = _import_asyncpg()
    try:
        return bool(conn.is_closed())
    except asyncpg.InterfaceError:  # the pool detaches a connection that closed
        return True


def _import_asyncpg() -> Any:
    try:
        import asyncpg
    except ImportError as exc:
        raise StoreUnavailable(
            "a PostgreSQL crawl store needs asyncpg: pip install 'soundcloud-async[postgres]'"
        ) from exc
    return asyncpg


class PostgresStore(StoreLifecycle):
    """A crawl's state in a PostgreSQL database, shared by any number of workers.

    Args:
        url: ``postgresql://user[:password]@host[:port]/database``; an optional
            ``schema=name`` query parameter keeps the crawl's tables in that schema (one
            crawl per schema), other parameters go to the server as settings.
        pool_size: connections this process opens at most.
        connect_timeout: seconds to wait for the server.
        pid_alive: whether a pid runs on this host (to release dead workers' jobs at once).
        idle_in_transaction_timeout: seconds the server lets a session of ours sit idle
            inside a transaction before ending it (a stalled worker's locks are released;
            our transactions take milliseconds).
    """

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 4,
        connect_timeout: float = 10.0,
        pid_alive: Callable[[int], bool] = pid_alive,
        idle_in_transaction_timeout: float = 5.0,
    ) -> None:
        self._idle_timeout = max(0.1, float(idle_in_transaction_timeout))
        try:
            parsed = URL(url)
        except (ValueError, TypeError) as exc:
            raise StoreUnavailable(f"not a PostgreSQL URL: {exc}") from None
        if parsed.scheme not in ("postgresql", "postgres") or not parsed.host:
            raise StoreUnavailable(
                "a PostgreSQL store URL looks like postgresql://user@host[:port]/database"
            )
        query = dict(parsed.query)
        self.schema = query.pop("schema", None)
        if self.schema is not None and not self.schema.replace("_", "a").isalnum():
            raise StoreUnavailable(f"not a usable schema name: {self.schema!r}")
        self._dsn = str(parsed.with_query(query))
        self._location = str(parsed.with_password(None).with_query(query)) + (
            f" (schema {self.schema})" if self.schema else ""
        )
        self._pool_size = max(2, int(pool_size))
        self._connect_timeout = connect_timeout
        self._pid_alive = pid_alive
        self._pool: asyncpg.Pool | None = None
        self._host: str | None = None

    @property
    def location(self) -> str:
        """The URL without its password."""
        return self._location

    # -- plumbing ------------------------------------------------------------------------

    def _translate(self, exc: BaseException) -> CrawlStoreError:
        asyncpg = _import_asyncpg()
        where = self._location
        if isinstance(exc, CrawlStoreError):
            return exc
        if isinstance(exc, (OSError, TimeoutError)):
            return StoreUnavailable(f"cannot reach PostgreSQL at {where}: {exc}")
        if isinstance(exc, asyncpg.InvalidPasswordError):
            return StoreUnavailable(f"PostgreSQL refused the credentials for {where}")
        if isinstance(exc, asyncpg.InvalidCatalogNameError):
            return StoreUnavailable(f"no such PostgreSQL database: {where}")
        if isinstance(exc, asyncpg.InsufficientPrivilegeError):
            return StoreUnavailable(f"not allowed to use {where}: {exc}")
        if isinstance(exc, asyncpg.DiskFullError):
            return CrawlStoreError(
                f"the PostgreSQL server of {where} is out of disk; nothing of the failed "
                f"write was kept ({exc})"
            )
        if isinstance(exc, asyncpg.ReadOnlySQLTransactionError):
            return StoreUnavailable(f"the PostgreSQL store {where} is read-only ({exc})")
        if isinstance(exc, (asyncpg.PostgresError, asyncpg.InterfaceError)):
            return CrawlStoreError(f"the PostgreSQL store {where} failed: {exc}")
        return CrawlStoreError(f"the PostgreSQL store {where} failed: {exc!r}")

    async def _with(
        self, fn: Callable[[asyncpg.Connection], Awaitable[T]], *, transaction: bool = True
    ) -> T:
        """Run ``fn`` on a pooled connection, in a transaction, retrying deadlocks."""
        asyncpg = _import_asyncpg()
        pool = self._pool
        if pool is None:
            raise CrawlStoreError(f"the crawl store {self._location} is not open")
        attempt = 0
        while True:
            attempt += 1
            try:
                async with pool.acquire() as conn:
                    try:
                        if not transaction:
                            return await fn(conn)
                        async with conn.transaction():
                            return await fn(conn)
                    except asyncpg.InterfaceError as exc:
                        # asyncpg saw the session end before the transaction did, and
                        # says "the underlying connection is closed" (an InterfaceError,
                        # which otherwise means a misuse): the same as a session ending.
                        if _closed(conn):
                            raise _SessionEnded(str(exc)) from exc
                        raise
            except CrawlStoreError:
                raise
            except (
                asyncpg.DeadlockDetectedError,
                asyncpg.SerializationError,
                # The session ended under us (this process stalled past the server's
                # idle-in-transaction timeout, a restart, a cut connection): the
                # transaction was rolled back, or it committed and the retry finds the
                # rows there and the lease in the state it left.
                asyncpg.ConnectionDoesNotExistError,
                asyncpg.IdleInTransactionSessionTimeoutError,
                asyncpg.AdminShutdownError,
                ConnectionError,  # and _SessionEnded
            ) as exc:
                if attempt >= _RETRIES:
                    raise self._translate(exc) from exc
                await anyio.sleep(0.05 * 2**attempt)
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                raise self._translate(exc) from exc

    # -- opening -------------------------------------------------------------------------

    async def connect(self, *, create: bool = False) -> None:
        """Connect (a pool) and check what the database holds."""
        if self._pool is not None:
            return
        asyncpg = _import_asyncpg()
        settings = {
            "application_name": "soundcloud_async crawl",
            # A worker that stalls inside a transaction (frozen, swapped out, cut off) would
            # hold its row locks, and SKIP LOCKED claims would pass its jobs by for as long:
            # the server ends such a session instead, and its locks with it.
            "idle_in_transaction_session_timeout": f"{int(self._idle_timeout * 1000)}",
        }
        if self.schema:
            settings["search_path"] = self.schema
        try:
            if self.schema:
                conn = await asyncpg.connect(self._dsn, timeout=self._connect_timeout)
                try:
                    # Workers starting together race on IF NOT EXISTS (it is not atomic in
                    # PostgreSQL): they take turns under an advisory lock.
                    async with conn.transaction():
                        await conn.execute("SELECT pg_advisory_xact_lock(72210332)")
                        await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
                finally:
                    await conn.close()
            self._pool = await asyncpg.create_pool(
                self._dsn,
                min_size=1,
                max_size=self._pool_size,
                timeout=self._connect_timeout,
                server_settings=settings,
            )
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            raise self._translate(exc) from exc
        try:
            await self._with(self._check_format, transaction=False)
            if not create and not await self._with(_has_tables, transaction=False):
                raise StoreUnavailable(f"no crawl in the PostgreSQL store {self._location}")
        except BaseException:
            await self.close()
            raise

    async def _check_format(self, conn: asyncpg.Connection) -> None:
        if not await _has_tables(conn):
            return
        row = await conn.fetchval("SELECT value FROM crawl_meta WHERE key = 'format'")
        if row != FORMAT:
            raise StoreFormatError(
                f"{self._location} holds a crawl store of another format ({row!r}, this "
                f"version reads {FORMAT!r}); use another database or --overwrite"
            )

    async def close(self) -> None:
        """Close the pool (idempotent)."""
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()

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
        self._host = worker.host

        async def go(conn: asyncpg.Connection) -> bool:
            # One creator at a time: workers starting together wait for the schema.
            await conn.execute("SELECT pg_advisory_xact_lock(72210331)")
            if overwrite:
                for table in _TABLES:
                    await conn.execute(f"DROP TABLE IF EXISTS {table}")
            for statement in schema_sql(
                id_type="BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
                json_type="JSON",
                float_type="DOUBLE PRECISION",
            ):
                await conn.execute(statement)
            meta = await _meta(conn)
            fresh = not meta
            now = float(await conn.fetchval(f"SELECT {_NOW}"))
            if fresh:
                await conn.executemany(
                    "INSERT INTO crawl_meta (key, value) VALUES ($1, $2)",
                    [("format", FORMAT), ("definition", wanted), ("created_at", repr(now))],
                )
            else:
                check_meta(meta, wanted, self._location)
            await conn.execute(
                "INSERT INTO crawl_workers (id, host, pid, started_at, heartbeat_at) "
                "VALUES ($1, $2, $3, $4, $4)",
                worker.id,
                worker.host,
                worker.pid,
                now,
            )
            if fresh:
                deltas = {"jobs:pending": await _insert_jobs(conn, seeds)}
            else:
                deltas = await self._release_dead(conn, worker)
            await _add_tallies(conn, worker.id, deltas)
            return fresh

        return await self._with(go)

    async def _release_dead(self, conn: asyncpg.Connection, me: WorkerInfo) -> dict[str, int]:
        deltas: dict[str, int] = {}
        rows = await conn.fetch(
            "SELECT id, host, pid FROM crawl_workers WHERE state = 'running' AND id <> $1",
            me.id,
        )
        for row in rows:
            host, pid = str(row["host"]), int(row["pid"])
            alive = self._pid_alive(pid) if host == me.host else None
            if not decide.owner_is_dead(host, pid, me.host, alive):
                continue
            released = await conn.fetch(
                "UPDATE crawl_jobs SET state = 'pending', lease_owner = NULL, "
                "lease_token = NULL, lease_until = NULL WHERE state = 'running' "
                "AND lease_owner = $1 RETURNING id",
                row["id"],
            )
            await conn.execute("UPDATE crawl_workers SET state = 'dead' WHERE id = $1", row["id"])
            n = len(released)
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
        """Lease up to ``limit`` startable jobs, shallowest first (``SKIP LOCKED``)."""
        if limit <= 0:
            return []

        async def go(conn: asyncpg.Connection) -> list[Claim]:
            now = float(await conn.fetchval(f"SELECT {_NOW}"))
            floors: dict[str, int] = {}
            for kind in level_ordered:
                row = await conn.fetchrow(
                    "SELECT (SELECT min(depth) FROM crawl_jobs WHERE state = 'pending' "
                    "AND kind = $1), (SELECT min(depth) FROM crawl_jobs WHERE state = "
                    "'running' AND kind = $1), (SELECT min(depth) FROM crawl_jobs WHERE "
                    "state = 'set_aside' AND kind = $1)",
                    kind,
                )
                depths = [int(v) for v in (row or ()) if v is not None]
                if depths:
                    floors[kind] = min(depths)
            found: list[Any] = []
            for kind in kinds:
                bound = int(min(decide.allowed_depth(kind, floors, level_ordered), _DEPTH_MAX))
                for state, due in decide.CLAIMABLE:
                    found += await conn.fetch(
                        f"SELECT {decide.CLAIM_COLUMNS} FROM crawl_jobs WHERE state = '{state}' "
                        "AND kind = $1 AND depth <= $2 "
                        + (f"AND {due} <= $4 " if due else "")
                        + "ORDER BY depth, id LIMIT $3 FOR UPDATE SKIP LOCKED",
                        *((kind, bound, limit, now) if due else (kind, bound, limit)),
                    )
            found.sort(key=lambda r: decide.claim_order(r["depth"], r["id"]))
            chosen = found[:limit]
            if not chosen:
                return []
            tokens = [uuid.uuid4().hex for _ in chosen]
            await conn.execute(
                "UPDATE crawl_jobs SET state = 'running', lease_owner = $1, "
                "lease_token = t.token, lease_until = $2 FROM unnest($3::bigint[], "
                "$4::text[]) AS t(id, token) WHERE crawl_jobs.id = t.id",
                worker,
                now + lease,
                [r["id"] for r in chosen],
                tokens,
            )
            deltas: dict[str, int] = {}
            for r in chosen:
                deltas = decide.merge_deltas(deltas, decide.transition(r["state"], "running"))
            await _add_tallies(conn, worker, deltas)
            return [
                Claim(
                    int(r["id"]),
                    Job(r["kind"], r["urn"], int(r["depth"])),
                    token,
                    r["position"],
                    int(r["skip"]),
                    int(r["attempts"]),
                )
                for r, token in zip(chosen, tokens, strict=True)
            ]

        return await self._with(go)

    async def unseen(self, urns: Sequence[str]) -> set[str]:
        """The URNs with no stored object yet."""
        wanted = list(dict.fromkeys(urns))

        async def go(conn: asyncpg.Connection) -> set[str]:
            rows = await conn.fetch(
                "SELECT urn FROM crawl_objects WHERE urn = ANY($1::text[])", wanted
            )
            return set(wanted) - {r["urn"] for r in rows}

        return await self._with(go, transaction=False)

    # -- committing ----------------------------------------------------------------------

    async def commit(
        self, worker: str, deliveries: Sequence[Delivery], *, lease: float
    ) -> list[Committed]:
        """Store pages, new jobs and positions in one transaction."""
        if not deliveries:
            return []

        async def go(conn: asyncpg.Connection) -> list[Committed]:
            held = await _held(conn, [d.claim for d in deliveries])
            live = [d for d in deliveries if d.claim.id in held]
            rows: dict[str, tuple[str, str]] = {}
            for d in live:
                for item in d.items:
                    rows.setdefault(item.urn, (item.kind, item.data))
            new_urns: set[str] = set()
            if rows:
                ordered = sorted(rows)
                inserted = await conn.fetch(
                    "INSERT INTO crawl_objects (urn, kind, data) SELECT u, k, d::json FROM "
                    "unnest($1::text[], $2::text[], $3::text[]) AS t(u, k, d) ORDER BY u "
                    "ON CONFLICT (urn) DO NOTHING RETURNING urn",
                    ordered,
                    [rows[u][0] for u in ordered],
                    [rows[u][1] for u in ordered],
                )
                new_urns = {r["urn"] for r in inserted}
            results: dict[int, Committed] = {}
            deltas: dict[str, int] = {}
            all_jobs: list[Job] = []
            claimed_new: set[str] = set()
            per_delivery: list[tuple[Delivery, dict[str, int], list[Job]]] = []
            for d in live:
                new: dict[str, int] = {}
                jobs: list[Job] = []
                for item in d.items:
                    if item.urn in new_urns and item.urn not in claimed_new:
                        claimed_new.add(item.urn)
                        new[item.kind] = new.get(item.kind, 0) + 1
                        jobs.extend(item.jobs)
                all_jobs += jobs
                per_delivery.append((d, new, jobs))
            added_keys = await _insert_job_keys(conn, all_jobs)
            done = [d for d in live if d.done]
            going = [d for d in live if not d.done]
            if done:
                await conn.execute(
                    "UPDATE crawl_jobs SET state = 'done', position = NULL, skip = 0, "
                    "pages = crawl_jobs.pages + t.pages, lease_owner = NULL, lease_token = NULL, "
                    "lease_until = NULL, error = NULL FROM unnest($1::bigint[], $2::int[]) "
                    "AS t(id, pages) WHERE crawl_jobs.id = t.id",
                    [d.claim.id for d in done],
                    [d.pages for d in done],
                )
            if going:
                await conn.execute(
                    "UPDATE crawl_jobs SET position = t.position, skip = t.skip, "
                    f"pages = crawl_jobs.pages + t.pages, lease_until = {_NOW} + $5 FROM "
                    "unnest($1::bigint[], $2::text[], $3::int[], $4::int[]) AS "
                    "t(id, position, skip, pages) WHERE crawl_jobs.id = t.id",
                    [d.claim.id for d in going],
                    [d.position for d in going],
                    [d.skip for d in going],
                    [d.pages for d in going],
                    lease,
                )
            for d, new, jobs in per_delivery:
                added = sum(1 for j in jobs if (j.kind, j.urn) in added_keys)
                added_keys.difference_update((j.kind, j.urn) for j in jobs)
                deltas = decide.merge_deltas(
                    deltas,
                    {f"objects:{k}": n for k, n in new.items()},
                    {"jobs:pending": added, "pages": d.pages},
                    {f"invalid:{d.kind}": d.invalid} if d.invalid else {},
                    decide.transition("running", "done" if d.done else "running"),
                )
                results[d.claim.id] = Committed(
                    lost=False,
                    new=new,
                    jobs_added=added,
                    new_urns=frozenset(i.urn for i in d.items if i.urn in claimed_new),
                )
            await _add_tallies(conn, worker, deltas)
            return [results.get(d.claim.id, Committed(lost=True)) for d in deliveries]

        return await self._with(go)

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

        async def go(conn: asyncpg.Connection) -> str | None:
            if claim.id not in await _held(conn, [claim]):
                return None
            now = float(await conn.fetchval(f"SELECT {_NOW}"))
            attempts = claim.attempts
            new_state, retry_at = state, None
            if state == "set_aside":
                attempts += 1
                new_state, retry_at = decide.set_aside_plan(
                    attempts, max_attempts, now, retry_base, retry_cap
                )
            await conn.execute(
                "UPDATE crawl_jobs SET state = $1, attempts = $2, retry_at = $3, error = $4, "
                "lease_owner = NULL, lease_token = NULL, lease_until = NULL WHERE id = $5",
                new_state,
                attempts,
                retry_at,
                error[:2000],
                claim.id,
            )
            await _add_tallies(conn, worker, decide.transition("running", new_state))
            return new_state

        return await self._with(go)

    async def heartbeat(self, worker: str, *, lease: float) -> set[str]:
        """Renew this worker's leases; release dead local workers; the tokens still held."""

        async def go(conn: asyncpg.Connection) -> set[str]:
            rows = await conn.fetch(
                f"UPDATE crawl_jobs SET lease_until = {_NOW} + $1 WHERE state = 'running' "
                "AND lease_owner = $2 RETURNING lease_token",
                lease,
                worker,
            )
            await conn.execute(
                f"UPDATE crawl_workers SET heartbeat_at = {_NOW}, state = 'running' WHERE id = $1",
                worker,
            )
            if self._host is not None:
                me = WorkerInfo(worker, self._host, os.getpid())
                await _add_tallies(conn, worker, await self._release_dead(conn, me))
            return {r["lease_token"] for r in rows}

        return await self._with(go)

    async def release(self, worker: str) -> None:
        """Hand this worker's running jobs back and mark it stopped."""

        async def go(conn: asyncpg.Connection) -> None:
            rows = await conn.fetch(
                "UPDATE crawl_jobs SET state = 'pending', lease_owner = NULL, "
                "lease_token = NULL, lease_until = NULL WHERE state = 'running' "
                "AND lease_owner = $1 RETURNING id",
                worker,
            )
            await conn.execute("UPDATE crawl_workers SET state = 'stopped' WHERE id = $1", worker)
            n = len(rows)
            await _add_tallies(conn, worker, {"jobs:running": -n, "jobs:pending": n})

        await self._with(go)

    # -- reading -------------------------------------------------------------------------

    async def outstanding(self) -> tuple[bool, float | None]:
        """Whether any job is left, and the soonest set-aside retry time."""

        async def go(conn: asyncpg.Connection) -> tuple[bool, float | None]:
            row = await conn.fetchrow(
                "SELECT EXISTS (SELECT 1 FROM crawl_jobs WHERE state = 'pending') "
                "OR EXISTS (SELECT 1 FROM crawl_jobs WHERE state = 'running') "
                "OR EXISTS (SELECT 1 FROM crawl_jobs WHERE state = 'set_aside'), "
                "(SELECT min(retry_at) FROM crawl_jobs WHERE state = 'set_aside')"
            )
            assert row is not None
            retry = row[1]
            return bool(row[0]), (None if retry is None else float(retry))

        return await self._with(go, transaction=False)

    async def mark_finished(self) -> None:
        """Record the crawl's end."""

        async def go(conn: asyncpg.Connection) -> None:
            await conn.execute(
                f"INSERT INTO crawl_meta (key, value) VALUES ('finished_at', {_NOW}::text) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
            )

        await self._with(go)

    async def tallies(self) -> dict[str, int]:
        """Tallies summed over workers."""

        async def go(conn: asyncpg.Connection) -> dict[str, int]:
            if not await _has_tables(conn):
                return {}
            return await _totals(conn)

        return await self._with(go, transaction=False)

    async def status(self, *, problems: int = 20) -> StoreStatus:
        """The store's counts, workers and problem jobs."""

        async def go(conn: asyncpg.Connection) -> StoreStatus:
            if not await _has_tables(conn):
                raise StoreFormatError(f"{self._location} holds no crawl yet")
            now = float(await conn.fetchval(f"SELECT {_NOW}"))
            meta = await _meta(conn)
            totals = await _totals(conn)
            host = socket.gethostname()
            workers = [
                WorkerStatus(
                    r["id"],
                    r["host"],
                    int(r["pid"]),
                    float(r["started_at"]),
                    float(r["heartbeat_at"]),
                    r["state"],
                    alive=r["state"] == "running"
                    and (self._pid_alive(int(r["pid"])) if r["host"] == host else True),
                )
                for r in await conn.fetch(
                    "SELECT id, host, pid, started_at, heartbeat_at, state FROM crawl_workers "
                    "ORDER BY started_at"
                )
            ]
            listed: list[JobProblem] = []
            for state in _PROBLEMS:
                listed += [
                    JobProblem(
                        r["kind"],
                        r["urn"],
                        r["state"],
                        int(r["attempts"]),
                        r["error"],
                        r["position"],
                        None if r["retry_at"] is None else float(r["retry_at"]),
                    )
                    for r in await conn.fetch(
                        "SELECT kind, urn, state, attempts, error, position, retry_at FROM "
                        "crawl_jobs WHERE state = $1 ORDER BY id LIMIT $2",
                        state,
                        problems,
                    )
                ]
            return build_status(self._location, meta, totals, workers, listed[:problems], now)

        return await self._with(go, transaction=False)

    async def iter_objects(
        self, kinds: Sequence[str] | None = None, *, batch: int = 1000
    ) -> AsyncIterator[list[tuple[str, str, str]]]:
        """Stored objects, ``batch`` at a time, read by URN order in constant memory."""
        last = ""
        while True:

            async def page(conn: asyncpg.Connection, after: str = last) -> list[Any]:
                if kinds:
                    return list(
                        await conn.fetch(
                            "SELECT kind, urn, data::text AS data FROM crawl_objects WHERE "
                            "urn > $1 AND kind = ANY($2::text[]) ORDER BY urn LIMIT $3",
                            after,
                            list(kinds),
                            batch,
                        )
                    )
                return list(
                    await conn.fetch(
                        "SELECT kind, urn, data::text AS data FROM crawl_objects WHERE "
                        "urn > $1 ORDER BY urn LIMIT $2",
                        after,
                        batch,
                    )
                )

            rows = await self._with(page, transaction=False)
            if not rows:
                return
            last = rows[-1]["urn"]
            yield [(r["kind"], r["urn"], r["data"]) for r in rows]


# -- statements shared by the methods above ----------------------------------------------


async def _has_tables(conn: asyncpg.Connection) -> bool:
    return bool(await conn.fetchval("SELECT to_regclass('crawl_meta') IS NOT NULL"))


async def _meta(conn: asyncpg.Connection) -> dict[str, str]:
    return {r["key"]: r["value"] for r in await conn.fetch("SELECT key, value FROM crawl_meta")}


async def _totals(conn: asyncpg.Connection) -> dict[str, int]:
    rows = await conn.fetch("SELECT key, sum(n)::bigint AS n FROM crawl_tallies GROUP BY key")
    return {r["key"]: int(r["n"]) for r in rows}


async def _held(conn: asyncpg.Connection, claims: Sequence[Claim]) -> set[int]:
    """Lock the claimed job rows (in id order) and keep those whose lease is still ours."""
    tokens = {c.id: c.token for c in claims}
    rows = await conn.fetch(
        "SELECT id, lease_token, state FROM crawl_jobs WHERE id = ANY($1::bigint[]) "
        "ORDER BY id FOR UPDATE",
        sorted(tokens),
    )
    return {
        int(r["id"])
        for r in rows
        if r["state"] == "running" and r["lease_token"] == tokens.get(int(r["id"]))
    }


async def _insert_job_keys(conn: asyncpg.Connection, jobs: Iterable[Job]) -> set[tuple[str, str]]:
    unique = sorted({(j.kind, j.urn): j.depth for j in jobs}.items())
    if not unique:
        return set()
    rows = await conn.fetch(
        "INSERT INTO crawl_jobs (kind, urn, depth) SELECT k, u, d FROM unnest($1::text[], "
        "$2::text[], $3::int[]) AS t(k, u, d) ORDER BY k, u ON CONFLICT (kind, urn) "
        "DO NOTHING RETURNING kind, urn",
        [k for (k, _), _ in unique],
        [u for (_, u), _ in unique],
        [d for _, d in unique],
    )
    return {(r["kind"], r["urn"]) for r in rows}


async def _insert_jobs(conn: asyncpg.Connection, jobs: Iterable[Job]) -> int:
    return len(await _insert_job_keys(conn, jobs))


async def _add_tallies(conn: asyncpg.Connection, worker: str, deltas: Mapping[str, int]) -> None:
    keys = [k for k, v in deltas.items() if v]
    if not keys:
        return
    await conn.execute(
        "INSERT INTO crawl_tallies (worker, key, n) SELECT $1, k, n FROM unnest($2::text[], "
        "$3::bigint[]) AS t(k, n) ORDER BY k ON CONFLICT (worker, key) DO UPDATE "
        "SET n = crawl_tallies.n + excluded.n",
        worker,
        keys,
        [deltas[k] for k in keys],
    )
