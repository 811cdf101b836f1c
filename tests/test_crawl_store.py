"""The crawl store's contract, on both real databases: SQLite and PostgreSQL.

Each test runs once per backend. SQLite's clock is injected (leases and retry times
move without sleeping); PostgreSQL uses its server's clock, so lease expiry there is
tested with a lease that is already over when it is written (``lease=-1``).
"""

from __future__ import annotations

import contextlib
import random
import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import anyio
import orjson
import pytest

from soundcloud_async.crawl import (
    CrawlStore,
    CrawlStoreError,
    Job,
    PostgresStore,
    SQLiteStore,
    StoreFormatError,
    StoreMismatch,
    StoreUnavailable,
    open_store,
)
from soundcloud_async.crawl._store import Claim, Delivery, StoredItem, WorkerInfo

DEFINITION = {"strategy": "test", "seed": "soundcloud:users:1", "depth": 2}
KINDS = ["user", "followings", "tracks"]
LEVEL = frozenset({"followings"})


class Clock:
    """Epoch seconds that move only when told."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def make_store(
    backend: str, tmp_path: Path, clock: Clock, request: pytest.FixtureRequest
) -> Callable[..., CrawlStore]:
    """New store objects on one database (a file, or a PostgreSQL schema) per test."""
    if backend == "sqlite":
        path = tmp_path / "crawl.sqlite"

        def sqlite(**options: Any) -> CrawlStore:
            options.setdefault("clock", clock)
            return SQLiteStore(path, **options)

        return sqlite
    url = request.getfixturevalue("pg_schema_url")

    def postgres(**options: Any) -> CrawlStore:
        return PostgresStore(url, **options)

    return postgres


@pytest.fixture
async def store(make_store: Callable[..., CrawlStore]) -> AsyncIterator[CrawlStore]:
    """A connected store holding a fresh crawl with one seed, worker ``w1`` started."""
    s = make_store()
    await s.connect(create=True)
    await s.start(DEFINITION, [Job("user", "soundcloud:users:1", 0)], WorkerInfo("w1"))
    try:
        yield s
    finally:
        await s.close()


def item(urn: str, kind: str = "user", jobs: tuple[Job, ...] = ()) -> StoredItem:
    """A stored item whose JSON names its URN."""
    return StoredItem(kind, urn, orjson.dumps({"urn": urn, "kind": kind}).decode(), jobs)


def page(
    claim: Claim, items: list[StoredItem], position: str | None, *, done: bool = False
) -> Delivery:
    """A page delivery of ``claim``."""
    return Delivery(claim, items, position, 0, done, 1, 0, items[0].kind if items else "user")


async def one(store: CrawlStore, worker: str = "w1", lease: float = 30.0) -> Claim:
    """Claim exactly one job."""
    claims = await store.claim(worker, 1, kinds=KINDS, level_ordered=LEVEL, lease=lease)
    assert 1 == len(claims)
    return claims[0]


async def recount(store: CrawlStore) -> dict[str, int]:
    """Objects and jobs counted row by row (to check the tallies)."""
    counts: dict[str, int] = {}
    async for batch in store.iter_objects():
        for kind, _, _ in batch:
            counts[f"objects:{kind}"] = counts.get(f"objects:{kind}", 0) + 1
    status = await store.status(problems=0)
    for state, n in status.jobs.items():
        counts[f"jobs:{state}"] = n
    return counts


def tallied(tallies: dict[str, int]) -> dict[str, int]:
    return {k: v for k, v in tallies.items() if v and k.startswith(("objects:", "jobs:"))}


class TestStart:
    """A store holds one crawl: created once, joined after, another crawl refused."""

    async def test_fresh_then_joined(self, make_store: Callable[..., CrawlStore]) -> None:
        """The first start creates the crawl with its seeds; the next one joins it."""
        s = make_store()
        with pytest.raises(StoreUnavailable, match="no crawl"):
            await s.connect()  # reading (status, export) needs a crawl to be there
        s = make_store()
        await s.connect(create=True)
        assert await s.start(DEFINITION, [Job("user", "soundcloud:users:1")], WorkerInfo("a"))
        assert not await s.start(DEFINITION, [Job("user", "soundcloud:users:1")], WorkerInfo("b"))
        assert {"jobs:pending": 1} == tallied(await s.tallies())
        await s.close()

    async def test_another_crawl_is_refused(self, store: CrawlStore) -> None:
        """A different definition is refused with a message naming both."""
        with pytest.raises(StoreMismatch) as info:
            await store.start({**DEFINITION, "depth": 3}, [], WorkerInfo("w2"))
        assert '"depth":3' in str(info.value)
        assert '"depth":2' in str(info.value)

    async def test_overwrite_starts_afresh(self, store: CrawlStore) -> None:
        """``overwrite`` drops the old crawl, its objects and jobs."""
        claim = await one(store)
        await store.commit(
            "w1", [page(claim, [item("soundcloud:users:1")], None, done=True)], lease=30
        )
        fresh = await store.start(
            {**DEFINITION, "depth": 3},
            [Job("user", "soundcloud:users:9")],
            WorkerInfo("w2"),
            overwrite=True,
        )
        assert fresh
        assert {"jobs:pending": 1} == tallied(await store.tallies())
        assert [] == [b async for b in store.iter_objects()]


class TestClaim:
    """Jobs are leased shallowest first, breadth-first per level-ordered kind, once."""

    async def test_shallowest_first_then_creation_order(self, store: CrawlStore) -> None:
        """Claims come back by depth, then in the order the jobs were created."""
        seed = await one(store)
        jobs = (
            Job("tracks", "soundcloud:users:5", 2),
            Job("tracks", "soundcloud:users:3", 1),
            Job("tracks", "soundcloud:users:4", 1),
        )
        await store.commit(
            "w1", [page(seed, [item("soundcloud:users:1", jobs=jobs)], None, done=True)], lease=30
        )
        claims = await store.claim("w1", 10, kinds=KINDS, level_ordered=LEVEL, lease=30)
        assert ["soundcloud:users:3", "soundcloud:users:4", "soundcloud:users:5"] == [
            c.job.urn for c in claims
        ]

    async def test_level_order_holds_deeper_followings(self, store: CrawlStore) -> None:
        """A depth-2 followings job waits while one at depth 1 is running; tracks do not."""
        seed = await one(store)
        jobs = (
            Job("followings", "soundcloud:users:2", 1),
            Job("followings", "soundcloud:users:3", 2),
            Job("tracks", "soundcloud:users:4", 2),
        )
        await store.commit(
            "w1", [page(seed, [item("soundcloud:users:1", jobs=jobs)], None, done=True)], lease=30
        )
        first = await store.claim("w1", 10, kinds=KINDS, level_ordered=LEVEL, lease=30)
        assert {"soundcloud:users:2", "soundcloud:users:4"} == {c.job.urn for c in first}
        assert [] == await store.claim("w1", 10, kinds=KINDS, level_ordered=LEVEL, lease=30)
        shallow = next(c for c in first if c.job.kind == "followings")
        await store.end_job(
            "w1", shallow, "set_aside", "boom", max_attempts=3, retry_base=60, retry_cap=60
        )
        assert [] == await store.claim("w1", 10, kinds=KINDS, level_ordered=LEVEL, lease=30), (
            "a set-aside shallower job still holds the deeper level back"
        )

    async def test_a_job_is_held_by_one_worker(
        self, store: CrawlStore, make_store: Callable[..., CrawlStore]
    ) -> None:
        """Two workers claiming at once never get the same job."""
        seed = await one(store)
        jobs = tuple(Job("tracks", f"soundcloud:users:{i}", 1) for i in range(2, 42))
        await store.commit(
            "w1", [page(seed, [item("soundcloud:users:1", jobs=jobs)], None, done=True)], lease=30
        )
        other = make_store()
        await other.connect()
        await other.start(DEFINITION, [], WorkerInfo("w2"))
        import anyio

        got: dict[str, list[Claim]] = {}

        async def grab(s: CrawlStore, worker: str) -> None:
            got[worker] = []
            for _ in range(5):
                got[worker] += await s.claim(worker, 5, kinds=KINDS, level_ordered=LEVEL, lease=30)

        async with anyio.create_task_group() as tg:
            tg.start_soon(grab, store, "w1")
            tg.start_soon(grab, other, "w2")
        await other.close()
        ids = [c.id for c in got["w1"] + got["w2"]]
        assert 40 == len(ids) == len(set(ids))

    async def test_expired_lease_is_taken_over_at_its_position(self, store: CrawlStore) -> None:
        """A job whose lease ran out goes to the next claimer, from its committed position."""
        seed = await one(store)
        jobs = (Job("tracks", "soundcloud:users:2", 1),)
        await store.commit(
            "w1", [page(seed, [item("soundcloud:users:1", jobs=jobs)], None, done=True)], lease=30
        )
        claim = await one(store, lease=-1)  # a lease that is already over
        await store.commit(
            "w1", [page(claim, [item("soundcloud:tracks:1", "track")], "/next?c=1")], lease=-1
        )
        again = await one(store, worker="w2")
        assert (claim.id, "/next?c=1") == (again.id, again.position)
        assert again.token != claim.token
        lost = await store.commit(
            "w1", [page(claim, [item("soundcloud:tracks:2", "track")], "/next?c=2")], lease=30
        )
        assert lost[0].lost
        urns = {u for b in [b async for b in store.iter_objects()] for _, u, _ in b}
        assert "soundcloud:tracks:2" not in urns


class TestCommit:
    """A page, its new jobs and its position are one transaction; URNs are stored once."""

    async def test_objects_once_and_nodes_expanded_once(self, store: CrawlStore) -> None:
        """A URN delivered twice is stored and expanded once; tallies match the rows."""
        seed = await one(store)
        a = item("soundcloud:users:2", jobs=(Job("tracks", "soundcloud:users:2", 1),))
        first = await store.commit(
            "w1", [page(seed, [item("soundcloud:users:1"), a, a], "/p?c=1")], lease=30
        )
        assert {"user": 2} == dict(first[0].new)
        assert 1 == first[0].jobs_added
        again = await store.commit("w1", [page(seed, [a], None, done=True)], lease=30)
        assert ({}, 0) == (dict(again[0].new), again[0].jobs_added)
        assert tallied(await store.tallies()) == await recount(store)
        assert {"objects:user": 2, "jobs:done": 1, "jobs:pending": 1} == tallied(
            await store.tallies()
        )

    async def test_position_is_kept_for_the_next_claim(self, store: CrawlStore) -> None:
        """A released job comes back with the position of its last committed page."""
        seed = await one(store)
        await store.commit(
            "w1", [page(seed, [item("soundcloud:users:1")], "/users/1/x?cursor=5")], lease=30
        )
        await store.release("w1")
        again = await one(store)
        assert ("/users/1/x?cursor=5", 0) == (again.position, again.skip)

    async def test_group_commit_keeps_each_job_apart(self, store: CrawlStore) -> None:
        """Several pages in one transaction: each job gets its own position and end."""
        seed = await one(store)
        jobs = (Job("tracks", "soundcloud:users:2", 1), Job("tracks", "soundcloud:users:3", 1))
        await store.commit(
            "w1", [page(seed, [item("soundcloud:users:1", jobs=jobs)], None, done=True)], lease=30
        )
        a, b = await store.claim("w1", 2, kinds=KINDS, level_ordered=LEVEL, lease=30)
        results = await store.commit(
            "w1",
            [
                page(a, [item("soundcloud:tracks:1", "track")], "/a?c=1"),
                page(b, [item("soundcloud:tracks:2", "track")], None, done=True),
            ],
            lease=30,
        )
        assert [False, False] == [r.lost for r in results]
        status = await store.status()
        assert {"done": 2, "running": 1} == dict(status.jobs)
        assert {"user": 1, "track": 2} == dict(status.objects)


class TestEndJob:
    """Jobs that cannot go on are set aside, retried with backoff, then failed."""

    async def test_set_aside_then_failed(
        self, store: CrawlStore, backend: str, clock: Clock
    ) -> None:
        """A set-aside job waits for its retry time; after max_attempts it is failed."""
        claim = await one(store)
        state = await store.end_job(
            "w1",
            claim,
            "set_aside",
            "PaginationError: loop",
            max_attempts=2,
            retry_base=-1 if backend == "postgres" else 60,
            retry_cap=60,
        )
        assert "set_aside" == state
        if backend == "sqlite":
            assert [] == await store.claim("w1", 1, kinds=KINDS, level_ordered=LEVEL, lease=30)
            clock.now += 61
        again = await one(store)
        assert (claim.id, 1) == (again.id, again.attempts)
        assert "failed" == await store.end_job(
            "w1",
            again,
            "set_aside",
            "PaginationError: loop",
            max_attempts=2,
            retry_base=1,
            retry_cap=60,
        )
        status = await store.status()
        assert {"failed": 1} == dict(status.jobs)
        assert [("failed", "PaginationError: loop", 2)] == [
            (p.state, p.error, p.attempts) for p in status.problems
        ]
        assert status.done

    async def test_gone_and_a_lost_lease(self, store: CrawlStore) -> None:
        """A 404 is recorded as gone; a job whose lease is gone cannot be ended."""
        claim = await one(store, lease=-1)
        taken = await one(store, worker="w2")
        assert None is await store.end_job(
            "w1", claim, "gone", "NotFound", max_attempts=3, retry_base=1, retry_cap=1
        )
        assert "gone" == await store.end_job(
            "w2", taken, "gone", "NotFound: 404", max_attempts=3, retry_base=1, retry_cap=1
        )
        assert {"gone": 1} == dict((await store.status()).jobs)


class TestLeases:
    """Heartbeats keep jobs; dead workers on this host give theirs back at once."""

    async def test_heartbeat_renews_and_reports_what_is_held(self, store: CrawlStore) -> None:
        """Held tokens come back; a lease renewed by a heartbeat is not taken over."""
        claim = await one(store, lease=-1)
        assert {claim.token} == await store.heartbeat("w1", lease=30)
        assert [] == await store.claim("w2", 1, kinds=KINDS, level_ordered=LEVEL, lease=30)

    async def test_dead_local_worker_released_at_start(
        self, make_store: Callable[..., CrawlStore]
    ) -> None:
        """A worker on this host whose process is gone loses its jobs when another starts."""
        first = make_store()
        await first.connect(create=True)
        await first.start(
            DEFINITION, [Job("user", "soundcloud:users:1")], WorkerInfo("dead", "h", 111)
        )
        claim = await one(first, worker="dead")
        await first.close()
        alive = make_store(pid_alive=lambda pid: pid != 111)
        await alive.connect()
        await alive.start(DEFINITION, [], WorkerInfo("new", "h", 222))
        again = await one(alive, worker="new")
        assert claim.id == again.id
        workers = {w.id: w.state for w in (await alive.status()).workers}
        assert {"dead": "dead", "new": "running"} == workers
        await alive.close()

    async def test_other_hosts_wait_for_the_lease(
        self, make_store: Callable[..., CrawlStore]
    ) -> None:
        """A worker on another machine cannot be checked: its jobs wait for the lease."""
        first = make_store()
        await first.connect(create=True)
        await first.start(
            DEFINITION, [Job("user", "soundcloud:users:1")], WorkerInfo("far", "h1", 111)
        )
        await one(first, worker="far")
        await first.close()
        here = make_store(pid_alive=lambda pid: False)
        await here.connect()
        await here.start(DEFINITION, [], WorkerInfo("near", "h2", 222))
        assert [] == await here.claim("near", 1, kinds=KINDS, level_ordered=LEVEL, lease=30)
        await here.close()


class TestTallies:
    """The tallies that status reads always equal the rows, whatever the operations."""

    async def test_random_operations(
        self, store: CrawlStore, make_store: Callable[..., CrawlStore]
    ) -> None:
        """Claims, commits, ends, releases and takeovers in a seeded random order."""
        rng = random.Random(7)
        other = make_store()
        await other.connect()
        await other.start(DEFINITION, [], WorkerInfo("w2"))
        held: list[tuple[CrawlStore, str, Claim]] = []
        for step in range(120):
            action = rng.random()
            if action < 0.35 or not held:
                s, w = rng.choice([(store, "w1"), (other, "w2")])
                lease = -1 if rng.random() < 0.2 else 30
                for c in await s.claim(
                    w, rng.randint(1, 3), kinds=KINDS, level_ordered=LEVEL, lease=lease
                ):
                    held.append((s, w, c))
            elif action < 0.75:
                s, w, c = held.pop(rng.randrange(len(held)))
                n = rng.randint(0, 4)
                items = [
                    item(
                        f"soundcloud:users:{rng.randint(1, 40)}",
                        jobs=(
                            Job(
                                rng.choice(["tracks", "followings"]),
                                f"soundcloud:users:{step}-{i}",
                                c.job.depth + 1,
                            ),
                        ),
                    )
                    for i in range(n)
                ]
                done = rng.random() < 0.5
                await s.commit(
                    w, [page(c, items, None if done else f"/p?s={step}", done=done)], lease=30
                )
                if not done:
                    held.append((s, w, c))
            elif action < 0.9:
                s, w, c = held.pop(rng.randrange(len(held)))
                await s.end_job(
                    w,
                    c,
                    rng.choice(["set_aside", "gone", "forbidden"]),
                    "x",
                    max_attempts=2,
                    retry_base=-5,
                    retry_cap=1,
                )
            else:
                s, w = rng.choice([(store, "w1"), (other, "w2")])
                await s.release(w)
                held = [h for h in held if h[1] != w]
        assert tallied(await store.tallies()) == await recount(store)
        await other.close()


class TestRead:
    """Status and the object stream read a store without holding the crawl up."""

    async def test_iter_objects_in_batches_and_by_kind(self, store: CrawlStore) -> None:
        """Every object once, in batches of the size asked, filtered by kind."""
        seed = await one(store)
        items = [item(f"soundcloud:users:{i}") for i in range(1, 8)]
        items += [item(f"soundcloud:tracks:{i}", "track") for i in range(5)]
        await store.commit("w1", [page(seed, items, None, done=True)], lease=30)
        batches = [b async for b in store.iter_objects(batch=3)]
        assert all(len(b) <= 3 for b in batches)
        assert 12 == sum(len(b) for b in batches)
        tracks = [u for b in [b async for b in store.iter_objects(["track"])] for _, u, _ in b]
        assert sorted(f"soundcloud:tracks:{i}" for i in range(5)) == sorted(tracks)
        _, urn, data = batches[0][0]
        assert urn == orjson.loads(data)["urn"]

    async def test_status(self, store: CrawlStore) -> None:
        """Status names the crawl, its counts, workers and what was set aside."""
        claim = await one(store)
        await store.end_job(
            "w1",
            claim,
            "set_aside",
            "ServerError: 503",
            max_attempts=5,
            retry_base=60,
            retry_cap=60,
        )
        status = await store.status()
        assert DEFINITION == status.definition
        assert {"set_aside": 1} == dict(status.jobs)
        assert not status.done
        assert ["w1"] == [w.id for w in status.workers]
        assert [("user", "soundcloud:users:1", "ServerError: 503")] == [
            (p.kind, p.urn, p.error) for p in status.problems
        ]
        assert status.problems[0].retry_at is not None
        assert "set_aside" in orjson.dumps(status.to_json()).decode()


class TestHostileData:
    """What the API sends is data: quotes, NULs, huge text and odd positions store cleanly."""

    async def test_odd_objects_and_positions(self, store: CrawlStore) -> None:
        """Stored and read back exactly, on both databases."""
        from soundcloud_async.crawl._decisions import relative_position
        from soundcloud_async.crawl._engine import to_json_text

        odd = {"urn": "soundcloud:users:'; DROP TABLE crawl_jobs;--", "text": "a\x00b\u2028c",
               "big": 2**80, "nan": float("nan"), "long": "x" * 100_000}  # fmt: skip
        claim = await one(store)
        position = relative_position("https://api.soundcloud.com/u?c=\x00\n%00'", BASE)
        assert position is not None
        assert "\x00" not in position
        assert "\n" not in position
        data = to_json_text(odd)
        item = StoredItem("user", str(odd["urn"]), data)
        await store.commit("w1", [page(claim, [item], position)], lease=30)
        await store.release("w1")
        again = await one(store)
        assert position == again.position
        ((kind, urn, back),) = [row async for b in store.iter_objects() for row in b]
        assert (kind, urn) == ("user", odd["urn"])
        assert orjson.loads(back) == {**odd, "big": str(2**80), "nan": None}


BASE = "https://api.soundcloud.com"


def other_database(path: Path) -> None:
    """An SQLite file that is not a crawl store (closed: Python 3.13 warns otherwise)."""
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute("CREATE TABLE track (urn TEXT)")
        db.commit()


class TestBadStores:
    """A store that cannot be used says why, and is never damaged."""

    async def test_missing_store_for_reading(self, tmp_path: Path) -> None:
        """status/export on a path with no store: StoreUnavailable, no file created."""
        with pytest.raises(StoreUnavailable, match="no crawl store at"):
            await SQLiteStore(tmp_path / "nope.sqlite").connect()
        assert not (tmp_path / "nope.sqlite").exists()

    @pytest.mark.parametrize(
        ("make", "error", "words"),
        [
            (lambda p: p.mkdir(), StoreUnavailable, "is a directory"),
            (
                lambda p: p.write_text('{"format": "soundcloud_async.crawl/1"}'),
                StoreFormatError,
                "JSON checkpoint",
            ),
            (
                lambda p: p.write_bytes(b"hello, not a database"),
                StoreFormatError,
                "not a crawl store",
            ),
            (
                other_database,
                StoreFormatError,
                "not a crawl store",
            ),
        ],
        ids=["directory", "old-checkpoint", "garbage", "other-sqlite"],
    )
    async def test_not_a_store(
        self, tmp_path: Path, make: Callable[[Path], Any], error: type[Exception], words: str
    ) -> None:
        """Directories, old checkpoints, other files and other databases are refused."""
        path = tmp_path / "store.sqlite"
        make(path)
        before = path.read_bytes() if path.is_file() else None
        with pytest.raises(error, match=words):
            await SQLiteStore(path).connect(create=True)
        assert before == (path.read_bytes() if path.is_file() else None)

    async def test_missing_directory(self, tmp_path: Path) -> None:
        """A store in a directory that does not exist is refused before anything is written."""
        with pytest.raises(StoreUnavailable, match="no directory"):
            await SQLiteStore(tmp_path / "no" / "where.sqlite").connect(create=True)

    async def test_older_format_is_refused(self, tmp_path: Path) -> None:
        """A store of another format version is refused, not reused."""
        path = tmp_path / "old.sqlite"
        db = sqlite3.connect(path)
        db.execute("CREATE TABLE crawl_meta (key TEXT PRIMARY KEY, value TEXT)")
        db.execute("INSERT INTO crawl_meta VALUES ('format', 'soundcloud_async.crawl/1')")
        db.commit()
        db.close()
        with pytest.raises(StoreFormatError, match="another format"):
            await SQLiteStore(path).connect(create=True)

    async def test_full_disk_keeps_the_store_whole(self, tmp_path: Path) -> None:
        """A commit that does not fit fails cleanly; what was committed before is intact."""
        path = tmp_path / "full.sqlite"
        s = SQLiteStore(path)
        await s.connect(create=True)
        async with s:
            await s.start(DEFINITION, [Job("user", "soundcloud:users:1")], WorkerInfo("w1"))
            claim = await one(s)
            await s.commit("w1", [page(claim, [item("soundcloud:users:1")], "/p?c=1")], lease=30)
            pages = await s._run(lambda db: db.execute("PRAGMA page_count").fetchone()[0])  # type: ignore[attr-defined]
            await s._run(lambda db: db.execute(f"PRAGMA max_page_count = {pages + 1}"))  # type: ignore[attr-defined]
            big = [
                StoredItem("user", f"soundcloud:users:{i}", '{"x":"' + "y" * 4000 + '"}')
                for i in range(2, 60)
            ]
            with pytest.raises(CrawlStoreError, match="full"):
                await s.commit("w1", [page(claim, big, "/p?c=2")], lease=30)
            status = await s.status()
        assert {"user": 1} == dict(status.objects)
        async with SQLiteStore(path) as s:
            again = await s.claim("w1", 1, kinds=KINDS, level_ordered=LEVEL, lease=30)
            assert [] == again  # still held by w1, whose lease has not run out
            ok = await s._run(lambda db: db.execute("PRAGMA integrity_check").fetchone()[0])  # type: ignore[attr-defined]
        assert "ok" == ok

    async def test_workers_starting_together(self, pg_url: str) -> None:
        """Six workers on a new schema at once: one creates it, every one joins the crawl."""
        import uuid

        import anyio

        url = f"{pg_url}?schema=t_{uuid.uuid4().hex[:12]}"
        fresh: list[bool] = []

        async def join(i: int) -> None:
            s = PostgresStore(url)
            await s.connect(create=True)
            try:
                fresh.append(await s.start(DEFINITION, [Job("user", "u")], WorkerInfo(f"w{i}")))
            finally:
                await s.close()

        async with anyio.create_task_group() as tg:
            for i in range(6):
                tg.start_soon(join, i)
        assert [True, False, False, False, False, False] == sorted(fresh, reverse=True)

    async def test_a_stalled_transaction_does_not_hold_jobs(self, pg_schema_url: str) -> None:
        """A worker frozen inside a transaction keeps its locks only until the server ends
        its idle session: then the job it held is claimed by another worker."""
        import anyio

        stalled = PostgresStore(pg_schema_url, idle_in_transaction_timeout=0.5)
        await stalled.connect(create=True)
        await stalled.start(DEFINITION, [Job("user", "soundcloud:users:1")], WorkerInfo("w1"))
        claim = await one(stalled, lease=-1)  # its lease is over: anyone may take it
        other = PostgresStore(pg_schema_url)
        await other.connect()
        await other.start(DEFINITION, [], WorkerInfo("w2"))
        pool = stalled._pool  # the test freezes one of its sessions mid-transaction
        assert pool is not None
        async with pool.acquire() as conn:
            frozen = conn.transaction()
            await frozen.start()
            await conn.execute("SELECT 1 FROM crawl_jobs WHERE id = $1 FOR UPDATE", claim.id)
            assert [] == await other.claim("w2", 1, kinds=KINDS, level_ordered=LEVEL, lease=30)
            await anyio.sleep(1.5)  # the server's idle-in-transaction timeout passes
            taken = await other.claim("w2", 1, kinds=KINDS, level_ordered=LEVEL, lease=30)
            assert [claim.id] == [c.id for c in taken]
            with pytest.raises(Exception):  # noqa: B017, PT011 - the session is gone
                await conn.execute("SELECT 1")
        assert set() == await stalled.heartbeat("w1", lease=30), "a fresh session answers"
        await stalled.close()
        await other.close()

    async def test_unreachable_postgres(self) -> None:
        """A PostgreSQL URL nobody answers: StoreUnavailable naming the host, no password."""
        from tests.redis_server import free_port

        store = open_store(f"postgresql://u:hunter2@127.0.0.1:{free_port()}/db", connect_timeout=2)
        with pytest.raises(StoreUnavailable) as info:
            await store.connect()
        assert "127.0.0.1" in str(info.value)
        assert "hunter2" not in str(info.value) + repr(store)

    async def test_missing_postgres_database(self, pg_url: str) -> None:
        """A database that does not exist is named in the error."""
        with pytest.raises(StoreUnavailable, match="no such PostgreSQL database"):
            await open_store(pg_url.rsplit("/", 1)[0] + "/nosuchdb").connect()

    @pytest.mark.parametrize("url", ["mysql://h/db", "postgresql:///nohost"])
    def test_bad_urls(self, url: str) -> None:
        """Other databases and URLs without a host are refused by name."""
        with pytest.raises(StoreUnavailable):
            open_store(url)


class TestPostgresSessionEnds:
    """A session the server ends mid-call (a stalled worker, a restart) is retried."""

    @pytest.fixture
    async def pg_store(self, pg_schema_url: str) -> AsyncIterator[PostgresStore]:
        s = PostgresStore(pg_schema_url)
        await s.connect(create=True)
        try:
            yield s
        finally:
            await s.close()

    async def test_ended_before_the_transaction_ends(self, pg_store: PostgresStore) -> None:
        """asyncpg noticed the end first: "the underlying connection is closed", retried."""
        import asyncpg

        pool = pg_store._pool
        assert pool is not None
        calls = []

        async def work(conn: Any) -> int:
            pid = int(await conn.fetchval("SELECT pg_backend_pid()"))
            calls.append(pid)
            if len(calls) == 1:
                ended = anyio.Event()
                conn.add_termination_listener(lambda _: ended.set())
                async with pool.acquire() as other:
                    await other.execute("SELECT pg_terminate_backend($1)", pid)
                with anyio.fail_after(10):
                    await ended.wait()  # the server's goodbye reached asyncpg
            return pid

        async def outside_the_store() -> None:
            async with pool.acquire() as conn, conn.transaction():
                await work(conn)

        # What the store used to let through: the same end, outside _with.
        with pytest.raises(asyncpg.InterfaceError, match="connection is closed"):
            await outside_the_store()
        calls.clear()
        pid = await pg_store._with(work)
        assert len(calls) == 2
        assert pid == calls[1] != calls[0]

    async def test_a_misuse_is_not_retried(self, pg_store: PostgresStore) -> None:
        """An InterfaceError on an open connection is a bug, reported at once."""
        import asyncpg

        calls = 0

        async def misuse(conn: Any) -> None:
            nonlocal calls
            calls += 1
            raise asyncpg.InterfaceError("cannot perform operation: another one is in progress")

        with pytest.raises(CrawlStoreError, match="another one is in progress"):
            await pg_store._with(misuse)
        assert calls == 1
