"""The crawl engine on its store, against FakeSoundCloud over loopback TCP."""

from __future__ import annotations

import random
import sqlite3
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any

import anyio
import orjson
import pytest

from soundcloud_async import (
    InvalidArgument,
    RetryPolicy,
    SoundCloud,
    TokenBucket,
    Unauthorized,
    Unlimited,
)
from soundcloud_async.crawl import (
    Crawler,
    FollowGraph,
    Job,
    JobKind,
    SQLiteStore,
    export,
    open_store,
)
from soundcloud_async.crawl._engine import to_json_text
from soundcloud_async.models import Track, User
from soundcloud_async.testing import FakeSoundCloud

pytestmark = pytest.mark.integration


def reachable(
    world: Any, depth: int, *, direction: str = "followings", seed: str | None = None
) -> dict[str, set[str]]:
    """What the world says a follow-graph crawl from ``seed`` reaches, by kind."""
    viewer = world.user_index(world.default_user_urn)
    start = viewer if seed is None else world.user_index(seed)
    seen = {start}
    level = [start]
    for _ in range(depth):
        nxt = []
        for u in level:
            hops: list[int] = []
            if direction in ("followings", "both"):
                hops += world.followings(u).live_keys()
            if direction in ("followers", "both"):
                hops += world.followers(u).live_keys()
            for v in hops:
                if v not in seen:
                    seen.add(v)
                    nxt.append(v)
        level = nxt
    return {
        "user": {world.user_urn(u) for u in seen},
        "track": {
            world.track_urn(t)
            for u in seen
            for t in world.user_tracks(u).live_keys()
            if world.track_visible(t, viewer)
        },
        "playlist": {
            world.playlist_urn(p)
            for u in seen
            for p in world.user_playlists(u).live_keys()
            if world.playlist_visible(p, viewer)
        },
    }


def by_kind(records: Iterable[tuple[str, str]]) -> dict[str, set[str]]:
    """Records grouped into a set of URNs per kind."""
    out: dict[str, set[str]] = {}
    for kind, urn in records:
        out.setdefault(kind, set()).add(urn)
    return out


async def stored(path: Path | str) -> list[tuple[str, str]]:
    """(kind, urn) of every object a store holds."""
    out: list[tuple[str, str]] = []
    async with open_store(path) as store:
        async for batch in store.iter_objects():
            out += [(kind, urn) for kind, urn, _ in batch]
    return out


@pytest.fixture
async def fake() -> AsyncIterator[FakeSoundCloud]:
    """The small world, no limits, no faults."""
    async with FakeSoundCloud(seed=5, size="small") as server:
        yield server


def client(fake: FakeSoundCloud, **options: Any) -> SoundCloud:
    """A client as the fake's test user, unlimited, retrying without waiting."""
    options.setdefault("retry", RetryPolicy(wait=False))
    return SoundCloud(
        fake.issue_token(), base_url=fake.base_url, rate_limiter=Unlimited(), **options
    )


class TestFollowGraph:
    """Breadth-first crawls store exactly what the world says is reachable."""

    @pytest.mark.parametrize("depth", [0, 1, 2])
    async def test_reaches_exactly_the_reachable_objects(
        self, fake: FakeSoundCloud, tmp_path: Path, depth: int
    ) -> None:
        """Users, tracks and playlists stored equal the world's, each exactly once."""
        path = tmp_path / "crawl.sqlite"
        async with client(fake) as sc:
            crawler = Crawler(
                sc, FollowGraph(fake.world.default_user_urn, depth=depth), store=path,
                concurrency=12,
            )  # fmt: skip
            progress = await crawler.run()
        records = await stored(path)
        expected = reachable(fake.world, depth)
        assert expected == by_kind(records)
        assert len(records) == len(set(records))
        assert {k: len(v) for k, v in expected.items()} == progress.objects
        assert (0, 0, 0) == (progress.pending, progress.set_aside, progress.not_fetched)

    @pytest.mark.parametrize("direction", ["followers", "both"])
    async def test_directions(self, fake: FakeSoundCloud, direction: str) -> None:
        """Hopping to followers (or both ways) reaches what the world says."""
        seen: list[tuple[str, str]] = []
        async with client(fake) as sc:
            strategy = FollowGraph(fake.world.default_user_urn, depth=1, direction=direction)  # type: ignore[arg-type]
            crawler = Crawler(sc, strategy, concurrency=8)
            async with crawler:
                seen += [(kind, obj.urn) async for kind, obj in crawler]
        assert reachable(fake.world, 1, direction=direction) == by_kind(seen)
        assert len(seen) == len(set(seen))

    async def test_small_pages_one_worker_streamed(self, fake: FakeSoundCloud) -> None:
        """Many pages per collection and no concurrency: each object yielded once."""
        seen: list[tuple[str, str]] = []
        async with client(fake) as sc:
            crawler = Crawler(
                sc, FollowGraph(fake.world.default_user_urn, depth=1, page_size=7), concurrency=1
            )
            async with crawler:
                async for kind, obj in crawler:
                    seen.append((kind, obj.urn))
                    assert isinstance(obj, User if kind == "user" else (Track, object))
        assert reachable(fake.world, 1) == by_kind(seen)
        assert len(seen) == len(set(seen))

    async def test_models_are_streamed(self, fake: FakeSoundCloud) -> None:
        """The iterator hands out models: a User first (the seed), Tracks among the rest."""
        async with client(fake) as sc:
            crawler = Crawler(sc, FollowGraph(fake.world.default_user_urn, depth=0))
            async with crawler:
                items = [item async for item in crawler]
        assert ("user", fake.world.default_user_urn) == (items[0][0], items[0][1].urn)
        assert all(isinstance(obj, Track) for kind, obj in items if kind == "track")

    @pytest.mark.parametrize(
        "options",
        [{"depth": -1}, {"direction": "sideways"}, {"page_size": 500}],
        ids=["depth", "direction", "page_size"],
    )
    def test_bad_parameters_are_rejected(self, options: dict[str, Any]) -> None:
        """A negative depth, an unknown direction, a page too big: InvalidArgument."""
        with pytest.raises(InvalidArgument):
            FollowGraph("soundcloud:users:1", **options)


async def crawl_in_pieces(
    fake: FakeSoundCloud, path: Path, rng: random.Random, *, interruptions: int, iterate: bool
) -> tuple[int, list[tuple[str, str]]]:
    """Crawl, cancelling at ``interruptions`` random points and starting again.

    Returns the runs made and what the consumer saw (``iterate``) over all of them.
    """
    runs = 0
    seen: list[tuple[str, str]] = []
    while True:
        runs += 1
        # Interruptions are placed by progress, not time (a fast machine would finish the
        # crawl before a timed one): at most ~250 of the world's 1,284 objects per run.
        stop_after = rng.randrange(1, 150) if runs <= interruptions else None
        async with client(fake) as sc:
            crawler = Crawler(
                sc,
                FollowGraph(fake.world.default_user_urn, depth=1, page_size=20),
                store=path,
                concurrency=rng.choice([1, 4, 16]),
                group_commit=rng.choice([1, 4]),
            )
            delivered = 0
            with anyio.CancelScope() as scope:
                if iterate:
                    async with crawler:
                        async for kind, obj in crawler:
                            seen.append((kind, obj.urn))
                            delivered += 1
                            if delivered == stop_after:
                                scope.cancel()
                else:
                    async with anyio.create_task_group() as tg:
                        if stop_after is not None:
                            tg.start_soon(cancel_after, crawler, stop_after, scope)
                        await crawler.run()
                        tg.cancel_scope.cancel()
            if not scope.cancelled_caught:
                return runs, seen


async def cancel_after(crawler: Crawler, objects: int, scope: anyio.CancelScope) -> None:
    """Cancel ``scope`` once this run of ``crawler`` has stored ``objects`` objects."""
    base: int | None = None
    while True:
        await anyio.sleep(0.001)  # polled: progress has no event to wait on
        progress = crawler.progress
        if base is None:
            if progress.commits:  # counted from this run's first commit
                base = progress.total
        elif progress.total - base >= objects:
            scope.cancel()
            return


class TestResume:
    """A crawl cancelled at random points and started again equals an uninterrupted one."""

    @pytest.mark.parametrize("seed", [1, 2, 3])
    async def test_cancelled_and_continued(
        self, fake: FakeSoundCloud, tmp_path: Path, seed: int
    ) -> None:
        """The store ends with exactly the reachable objects: no gap, no duplicate."""
        rng = random.Random(seed)
        path = tmp_path / "pieces.sqlite"
        runs, _ = await crawl_in_pieces(fake, path, rng, interruptions=4, iterate=False)
        assert 5 == runs
        records = await stored(path)
        assert reachable(fake.world, 1) == by_kind(records)
        async with open_store(path) as store:
            status = await store.status()
        assert status.done
        assert {k: len(v) for k, v in by_kind(records).items()} == dict(status.objects)

    @pytest.mark.parametrize("seed", [4, 5])
    async def test_a_consumer_sees_everything_at_least_once(
        self, fake: FakeSoundCloud, tmp_path: Path, seed: int
    ) -> None:
        """Iterating: a page is committed once handled, so a break repeats at most a page."""
        rng = random.Random(seed)
        path = tmp_path / "pieces.sqlite"
        runs, seen = await crawl_in_pieces(fake, path, rng, interruptions=3, iterate=True)
        assert 4 == runs
        expected = reachable(fake.world, 1)
        assert expected == by_kind(seen)
        assert expected == by_kind(await stored(path))
        repeats = sum(n - 1 for n in Counter(seen).values())
        assert repeats <= 3 * 20 * 16, "at most one page per running job per interruption"

    async def test_a_page_handled_whole_before_leaving_is_delivered(
        self, fake: FakeSoundCloud, tmp_path: Path
    ) -> None:
        """Leaving right after a page's last object commits it: it is not seen again."""
        path = tmp_path / "c.sqlite"
        seed = fake.world.default_user_urn
        async with client(fake) as sc:
            crawler = Crawler(sc, FollowGraph(seed, depth=1), store=path, concurrency=1)
            async with crawler:
                async for kind, obj in crawler:
                    assert ("user", seed) == (kind, obj.urn)  # the seed's page holds one
                    break
            again = Crawler(sc, FollowGraph(seed, depth=1), store=path)
            async with again:
                rest = [(kind, obj.urn) async for kind, obj in again]
        assert ("user", seed) not in rest
        assert reachable(fake.world, 1) == by_kind([*rest, ("user", seed)])

    async def test_a_finished_crawl_adds_nothing(
        self, fake: FakeSoundCloud, tmp_path: Path
    ) -> None:
        """Running a completed crawl again sends no request and changes nothing."""
        path = tmp_path / "c.sqlite"
        strategy = FollowGraph(fake.world.default_user_urn, depth=0)
        async with client(fake) as sc:
            await Crawler(sc, strategy, store=path).run()
            before, requests = await stored(path), sc.stats.requests
            crawler = Crawler(sc, strategy, store=path)
            await crawler.run()
            assert crawler.resumed
            assert requests == sc.stats.requests
        assert before == await stored(path)

    async def test_continues_against_another_base_url(self, tmp_path: Path) -> None:
        """Positions are relative to the API base: a crawl moves to a new server and port."""
        path = tmp_path / "moved.sqlite"
        rng = random.Random(11)
        async with FakeSoundCloud(seed=5, size="small") as first:
            world = first.world
            async with client(first) as sc:
                crawler = Crawler(
                    sc, FollowGraph(world.default_user_urn, depth=1, page_size=10), store=path
                )
                with anyio.CancelScope() as scope:
                    async with crawler:
                        async for _ in crawler:
                            if rng.random() < 0.01:
                                scope.cancel()
            async with open_store(path):
                positions = [p for p in await _positions(path) if p]
            assert positions, "some job stood mid-collection"
            assert all(p.startswith("/users/") for p in positions)
            old_port = str(first.port)
        async with FakeSoundCloud(seed=5, size="small") as second:
            assert str(second.port) != old_port
            async with client(second) as sc:
                await Crawler(sc, FollowGraph(world.default_user_urn, depth=1, page_size=10),
                              store=path).run()  # fmt: skip
        assert reachable(world, 1) == by_kind(await stored(path))


def every_byte(directory: Path, suffix: str = "") -> bytes:
    """The contents of every file in ``directory`` (ending in ``suffix``), concatenated."""
    return b"".join(p.read_bytes() for p in sorted(directory.iterdir()) if p.name.endswith(suffix))


async def _positions(path: Path) -> list[str | None]:
    db = sqlite3.connect(path)
    try:
        return [r[0] for r in db.execute("SELECT position FROM crawl_jobs")]
    finally:
        db.close()


class LegacySearch:
    """A custom strategy: one paginated legacy search (authenticated by consumer_key)."""

    def __init__(self) -> None:
        self.job_kinds = {
            "search": JobKind(
                "search",
                "track",
                paginate=lambda sc, urn, cp: sc.legacy.iter_tracks(limit=10, resume_from=cp),
            )
        }

    def describe(self) -> dict[str, Any]:
        return {"strategy": "legacy-search"}

    def seeds(self) -> list[Job]:
        return [Job("search", "soundcloud:users:0", 0)]

    def expand(self, job: Job, kind: str, obj: Any) -> list[Job]:
        return []


class TestSecrets:
    """Nothing secret reaches the store: positions and objects are scrubbed."""

    async def test_legacy_positions_hold_no_consumer_key(self, tmp_path: Path) -> None:
        """A crawl over a consumer_key endpoint stores positions without the key."""
        path = tmp_path / "legacy.sqlite"
        async with (
            FakeSoundCloud(seed=5, size="small") as fake,
            SoundCloud(
                base_url=fake.base_url, rate_limiter=Unlimited(), retry=RetryPolicy(wait=False)
            ) as sc,
        ):
            sc.legacy.consumer_key = fake.client_id
            crawler = Crawler(sc, LegacySearch(), store=path)
            taken = 0
            with anyio.CancelScope() as scope:
                async with crawler:
                    async for _ in crawler:
                        taken += 1
                        if taken == 35:
                            scope.cancel()
            positions = await _positions(path)
            assert any((p and "cursor" in p) or (p and "offset" in p) for p in positions), positions
            await Crawler(sc, LegacySearch(), store=path).run()
        data = every_byte(tmp_path)
        assert fake.client_id.encode() not in data
        assert b"consumer_key" not in data

    def test_objects_are_scrubbed_and_never_refused(self) -> None:
        """Share tokens are masked; numbers orjson cannot write and NaN still store."""
        text = to_json_text(
            {"secret_uri": "https://api.soundcloud.com/tracks/1?secret_token=s-AbC1",
             "big": 2**70, "nan": float("nan"), "when": object()}
        )  # fmt: skip
        data = orjson.loads(text)
        assert "s-AbC1" not in text
        assert data["secret_uri"].endswith("secret_token=***")
        assert (str(2**70), None) == (data["big"], data["nan"])


class TestBadJobs:
    """One bad job is set aside and retried; it never stops the crawl or loses data."""

    async def test_a_pagination_loop_is_set_aside_then_completed(self, tmp_path: Path) -> None:
        """A next_href that repeats sets the job aside; its retry completes the crawl."""
        async with FakeSoundCloud(seed=5, size="small") as fake:
            fake.faults.add("repeat_next", route="/users/*/followings", times=2)
            path = tmp_path / "c.sqlite"
            async with client(fake) as sc:
                crawler = Crawler(
                    sc, FollowGraph(fake.world.default_user_urn, depth=2, page_size=20),
                    store=path, retry_delay=0.01, concurrency=8,
                )  # fmt: skip
                progress = await crawler.run()
            assert reachable(fake.world, 2) == by_kind(await stored(path))
        assert 0 == progress.not_fetched
        async with open_store(path) as store:
            status = await store.status()
        assert status.done
        assert 0 == status.not_fetched

    async def test_a_permanent_loop_fails_alone(self, tmp_path: Path) -> None:
        """A job that loops every time fails after max_attempts; every other job completes."""
        async with FakeSoundCloud(seed=5, size="small") as fake:
            world = fake.world
            victim = world.user_urn(
                world.followings(world.user_index(world.default_user_urn)).at(0)
            )
            fake.faults.add("repeat_next", route=f"/users/{victim}/tracks", times=None)
            path = tmp_path / "c.sqlite"
            async with client(fake) as sc:
                crawler = Crawler(
                    sc, FollowGraph(world.default_user_urn, depth=1, page_size=5),
                    store=path, retry_delay=0.01, max_attempts=2,
                )  # fmt: skip
                progress = await crawler.run()
            async with open_store(path) as store:
                status = await store.status()
        assert 1 == progress.failed == status.jobs.get("failed"), status
        (problem,) = status.problems
        assert ("tracks", victim, 2) == (problem.kind, problem.urn, problem.attempts)
        assert "PaginationError" in (problem.error or "")
        assert problem.position is not None
        assert problem.position.startswith("/users/")
        expected = reachable(world, 1)
        got = by_kind(await stored(path))
        victim_tracks = {
            world.track_urn(t) for t in world.user_tracks(world.user_index(victim)).live_keys()
        }
        assert expected["user"] == got["user"]
        assert expected["track"] - victim_tracks <= got["track"] <= expected["track"]

    @pytest.mark.parametrize("kind", ["cloudfront_403", "empty_401"])
    async def test_gateway_refusals_are_not_forbidden(self, tmp_path: Path, kind: str) -> None:
        """A CloudFront page or an empty 401 is retried, never recorded as forbidden."""
        async with FakeSoundCloud(seed=5, size="small") as fake:
            fake.faults.add(kind, route="/users/*/tracks", times=5)  # type: ignore[arg-type]
            path = tmp_path / "c.sqlite"
            async with client(fake, retry=RetryPolicy(wait=False, max_attempts=2)) as sc:
                progress = await Crawler(
                    sc, FollowGraph(fake.world.default_user_urn, depth=1), store=path,
                    retry_delay=0.01, concurrency=4,
                ).run()  # fmt: skip
            assert reachable(fake.world, 1) == by_kind(await stored(path))
        assert (0, 0) == (progress.forbidden, progress.failed)

    async def test_a_missing_seed_is_recorded_as_gone(self, fake: FakeSoundCloud) -> None:
        """A seed that does not exist is a gone job, not a crash."""
        async with client(fake) as sc:
            progress = await Crawler(sc, FollowGraph("soundcloud:users:1", depth=1)).run()
        assert (1, 0) == (progress.gone, progress.total)

    async def test_refused_credentials_stop_the_crawl(
        self, fake: FakeSoundCloud, tmp_path: Path
    ) -> None:
        """A real 401 (the token is revoked) stops the crawl with Unauthorized."""
        async with SoundCloud(
            "not-a-token", base_url=fake.base_url, rate_limiter=Unlimited(),
            retry=RetryPolicy(wait=False),
        ) as sc:  # fmt: skip
            with pytest.raises(Unauthorized):
                await Crawler(sc, FollowGraph(fake.world.default_user_urn, depth=1),
                              store=tmp_path / "c.sqlite").run()  # fmt: skip
        async with open_store(tmp_path / "c.sqlite") as store:
            assert {"pending": 1} == dict((await store.status()).jobs), "the job was handed back"


class TestPoliteness:
    """Rate limits and faults are absorbed: the crawl completes with the same objects."""

    async def test_completes_under_429s_and_faults(self, tmp_path: Path) -> None:
        """A server limit below the client's rate and random faults change nothing."""
        async with FakeSoundCloud(
            seed=5,
            size="small",
            general_rate=100,
            random_faults={"server_error": 0.03, "reset": 0.02, "plain_503": 0.02},
            fault_seed=3,
        ) as fake:
            fake.faults.add("rate_limit", route="/users/*", times=3, shape=4)
            path = tmp_path / "c.sqlite"
            async with SoundCloud(
                fake.issue_token(),
                base_url=fake.base_url,
                rate_limiter=TokenBucket(150, 10, adaptive=True),
                retry=RetryPolicy(max_attempts=8, backoff_base=0.05, backoff_max=0.5),
            ) as sc:
                await Crawler(
                    sc, FollowGraph(fake.world.default_user_urn, depth=1), store=path,
                    concurrency=16,
                ).run()  # fmt: skip
                stats = sc.stats
            records = await stored(path)
            assert reachable(fake.world, 1) == by_kind(records)
            assert stats.retries > 0
            assert stats.rate_limited >= 3


class TestUpgrade:
    """Options of the checkpoint era are refused with what to do instead."""

    @pytest.mark.parametrize("name", ["sinks", "checkpoint", "resume", "checkpoint_interval"])
    async def test_removed_arguments(self, fake: FakeSoundCloud, name: str) -> None:
        """Crawler(sinks=…, checkpoint=…, …) says what replaced it."""
        async with client(fake) as sc:
            with pytest.raises(InvalidArgument, match=f"{name}=...\\) is gone"):
                Crawler(sc, FollowGraph(fake.world.default_user_urn), **{name: None})

    @pytest.mark.parametrize("name", ["JSONLSink", "SQLiteSink", "Sink"])
    def test_removed_names(self, name: str) -> None:
        """The sink classes are gone with a message pointing at the store."""
        import soundcloud_async.crawl as crawl

        with pytest.raises(AttributeError, match="store"):
            getattr(crawl, name)


class TestExport:
    """A store's objects stream out as JSON lines or CSV."""

    async def test_jsonl_and_csv(self, fake: FakeSoundCloud, tmp_path: Path) -> None:
        """Every object once in JSONL; CSV rows by kind with a header of model fields."""
        path = tmp_path / "c.sqlite"
        async with client(fake) as sc:
            await Crawler(sc, FollowGraph(fake.world.default_user_urn, depth=1), store=path).run()
        assert len(await stored(path)) == await export(path, tmp_path / "all.jsonl")
        lines = [orjson.loads(x) for x in (tmp_path / "all.jsonl").read_bytes().splitlines()]
        assert reachable(fake.world, 1) == by_kind((x["kind"], x["data"]["urn"]) for x in lines)
        async with SQLiteStore(path) as store:  # a store of the caller's stays open
            n = await export(store, tmp_path / "users.csv", kinds=["user"])
        rows = (tmp_path / "users.csv").read_text().splitlines()
        assert n == len(rows) - 1 == len(reachable(fake.world, 1)["user"])
        header = rows[0].split(",")
        assert ["kind", "urn", "id"] == header[:3]
        assert "username" in header
        assert "extra" == header[-1]
        assert b"" == every_byte(tmp_path, ".part")
