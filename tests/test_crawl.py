"""The crawl engine and its sinks, against FakeSoundCloud over loopback TCP."""

from __future__ import annotations

import random
import sqlite3
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import orjson
import pytest

from soundcloud_async import (
    Checkpoint,
    InvalidArgument,
    RetryPolicy,
    SoundCloud,
    TokenBucket,
    Unlimited,
)
from soundcloud_async.crawl import (
    Crawler,
    FollowGraph,
    Job,
    JSONLSink,
    SQLiteSink,
)
from soundcloud_async.crawl._state import CrawlState
from soundcloud_async.models import Track, User
from soundcloud_async.testing import FakeSoundCloud

pytestmark = pytest.mark.integration


def reachable(world: Any, depth: int) -> dict[str, set[str]]:
    """What the world says a follow-graph crawl from its test user reaches, by kind."""
    viewer = world.user_index(world.default_user_urn)
    seen = {viewer}
    level = [viewer]
    for _ in range(depth):
        nxt = []
        for u in level:
            for v in world.followings(u).live_keys():
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


def jsonl_records(path: Path) -> list[tuple[str, str]]:
    """(kind, urn) of every line of a JSONL output, in file order."""
    out = []
    for line in path.read_bytes().splitlines():
        record = orjson.loads(line)
        out.append((record["kind"], record["data"]["urn"]))
    return out


def by_kind(records: list[tuple[str, str]]) -> dict[str, set[str]]:
    """Records grouped into a set of URNs per kind."""
    out: dict[str, set[str]] = {}
    for kind, urn in records:
        out.setdefault(kind, set()).add(urn)
    return out


@pytest.fixture
async def fake() -> AsyncIterator[FakeSoundCloud]:
    """The small world, no limits, no faults."""
    async with FakeSoundCloud(seed=5, size="small") as server:
        yield server


def client(fake: FakeSoundCloud) -> SoundCloud:
    """A client as the fake's test user, unlimited, retrying without waiting."""
    return SoundCloud(
        fake.issue_token(),
        base_url=fake.base_url,
        rate_limiter=Unlimited(),
        retry=RetryPolicy(wait=False),
    )


class TestFollowGraph:
    """Breadth-first crawls reach exactly what the world says is reachable."""

    @pytest.mark.parametrize("depth", [0, 1, 2])
    async def test_reaches_exactly_the_reachable_objects(
        self, fake: FakeSoundCloud, tmp_path: Path, depth: int
    ) -> None:
        """Users, tracks and playlists delivered equal the world's, each exactly once."""
        out = tmp_path / "out.jsonl"
        async with client(fake) as sc:
            crawler = Crawler(
                sc,
                FollowGraph(fake.world.default_user_urn, depth=depth),
                sinks=[JSONLSink(out)],
                concurrency=12,
            )
            progress = await crawler.run()
        records = jsonl_records(out)
        expected = reachable(fake.world, depth)
        assert expected == by_kind(records)
        assert [] == [r for r, n in Counter(records).items() if n > 1]
        assert {k: len(v) for k, v in expected.items()} == progress.objects

    async def test_small_page_size_and_one_worker(self, fake: FakeSoundCloud) -> None:
        """Many pages per collection and no concurrency give the same set, streamed."""
        seen: list[tuple[str, str]] = []
        async with client(fake) as sc:
            crawler = Crawler(
                sc, FollowGraph(fake.world.default_user_urn, depth=1, page_size=7), concurrency=1
            )
            async with crawler:
                async for kind, obj in crawler:
                    seen.append((kind, obj.urn))
                    assert isinstance(obj, User if kind == "user" else object)
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

    def test_bad_depth_is_rejected(self) -> None:
        """A negative depth is an InvalidArgument."""
        with pytest.raises(InvalidArgument):
            FollowGraph("soundcloud:users:1", depth=-1)


class TestLevelOrder:
    """Jobs of a level-ordered kind run depth by depth."""

    def test_deeper_job_waits_for_the_shallower_one(self) -> None:
        """followings at depth 2 does not start while followings at depth 1 runs."""
        state = CrawlState()
        state.push(Job("followings", "soundcloud:users:1", 1))
        state.push(Job("followings", "soundcloud:users:2", 2))
        state.push(Job("tracks", "soundcloud:users:3", 2))
        ordered = frozenset({"followings"})
        first = state.take(ordered)
        assert first is not None
        second = state.take(ordered)
        assert second is not None
        assert [("followings", 1), ("tracks", 2)] == [
            (r.job.kind, r.job.depth) for r in (first, second)
        ]
        assert None is state.take(ordered)
        state.finish(first)
        third = state.take(ordered)
        assert third is not None
        assert ("followings", 2) == (third.job.kind, third.job.depth)

    def test_snapshot_round_trips(self) -> None:
        """A restored state has the same jobs, positions and visited set."""
        state = CrawlState()
        state.push(Job("tracks", "soundcloud:users:1", 0))
        state.push(Job("followings", "soundcloud:users:1", 0))
        running = state.take(frozenset())
        assert running is not None
        running.position = Checkpoint("http://x/users/1/tracks?cursor=a", 3)
        state.visited.add("soundcloud:users:1")
        doc = orjson.loads(orjson.dumps(state.snapshot({"a": 1}, [10])))
        restored = CrawlState.restore(doc)
        assert doc["jobs"] == restored.snapshot({"a": 1}, [10])["jobs"]
        assert {"soundcloud:users:1"} == restored.visited


class TestJSONLSink:
    """One line per object; positions are byte offsets; resume truncates."""

    def test_lines_and_position(self, tmp_path: Path) -> None:
        """Each line is {"kind", "data"}, and the position is the file's size."""
        sink = JSONLSink(tmp_path / "o.jsonl")
        sink.open(None)
        sink.write("user", {"urn": "soundcloud:users:1", "username": "a"})
        position = sink.position()
        sink.close()
        data = (tmp_path / "o.jsonl").read_bytes()
        assert len(data) == position
        assert {"kind": "user", "data": {"urn": "soundcloud:users:1", "username": "a"}} == (
            orjson.loads(data)
        )

    def test_resume_truncates_to_the_position(self, tmp_path: Path) -> None:
        """Lines written after the recorded position are dropped on reopen."""
        sink = JSONLSink(tmp_path / "o.jsonl")
        sink.open(None)
        sink.write("user", {"urn": "soundcloud:users:1"})
        position = sink.position()
        sink.write("user", {"urn": "soundcloud:users:2"})
        sink.close()
        again = JSONLSink(tmp_path / "o.jsonl")
        again.open(position)
        again.write("user", {"urn": "soundcloud:users:3"})
        again.close()
        assert [("user", "soundcloud:users:1"), ("user", "soundcloud:users:3")] == jsonl_records(
            tmp_path / "o.jsonl"
        )

    def test_a_shorter_file_is_refused(self, tmp_path: Path) -> None:
        """A file shorter than the checkpoint's offset was replaced: InvalidArgument."""
        (tmp_path / "o.jsonl").write_bytes(b"")
        with pytest.raises(InvalidArgument, match="shorter"):
            JSONLSink(tmp_path / "o.jsonl").open(10)


class TestSQLiteSink:
    """A table per kind, upserts by URN."""

    def test_upserts_by_urn(self, tmp_path: Path) -> None:
        """Writing the same URN twice leaves one row with the latest JSON."""
        sink = SQLiteSink(tmp_path / "o.sqlite")
        sink.open(None)
        sink.write("track", {"urn": "soundcloud:tracks:1", "title": "a"})
        sink.write("track", {"urn": "soundcloud:tracks:1", "title": "b"})
        sink.write("user", {"id": 7})
        sink.close()
        db = sqlite3.connect(tmp_path / "o.sqlite")
        try:
            rows = db.execute("SELECT urn, json FROM track").fetchall()
            users = db.execute("SELECT urn FROM user").fetchall()
        finally:
            db.close()
        assert [("soundcloud:tracks:1", '{"urn":"soundcloud:tracks:1","title":"b"}')] == rows
        assert [("soundcloud:users:7",)] == users

    def test_odd_kind_names_are_refused(self, tmp_path: Path) -> None:
        """A kind that is not a plain identifier never reaches SQL."""
        sink = SQLiteSink(tmp_path / "o.sqlite")
        sink.open(None)
        try:
            with pytest.raises(InvalidArgument):
                sink.write('x"; DROP TABLE y; --', {"urn": "u"})
        finally:
            sink.close()


def sqlite_rows(path: Path) -> dict[str, set[str]]:
    """URNs per table of an SQLite output."""
    db = sqlite3.connect(path)
    try:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {t: {r[0] for r in db.execute(f'SELECT urn FROM "{t}"')} for t in tables}
    finally:
        db.close()


async def crawl_in_pieces(
    fake: FakeSoundCloud,
    out: Path,
    sink_type: type[JSONLSink] | type[SQLiteSink],
    rng: random.Random,
    *,
    depth: int,
    interruptions: int,
    stale_checkpoint: bool = False,
) -> int:
    """Crawl, cancelling at ``interruptions`` random points and resuming; the runs made.

    ``stale_checkpoint`` simulates crashes: before each resume, the checkpoint file is
    replaced by an older one written earlier in that run (the sink went further).
    """
    checkpoint = out.with_suffix(".ckpt")
    runs = 0
    while True:
        runs += 1
        saved: list[bytes] = []

        class Recording(Crawler):
            def save_checkpoint(self, saved: list[bytes] = saved) -> None:
                super().save_checkpoint()
                if checkpoint.exists():
                    saved.append(checkpoint.read_bytes())

        async with client(fake) as sc:
            crawler = Recording(
                sc,
                FollowGraph(fake.world.default_user_urn, depth=depth, page_size=20),
                sinks=[sink_type(out)],
                checkpoint=checkpoint,
                resume=runs > 1,
                concurrency=rng.choice([1, 4, 16]),
                checkpoint_interval=0.001,
            )
            stop_after = rng.randrange(1, 400) if runs <= interruptions else None
            delivered = 0
            with anyio.CancelScope() as scope:
                async with crawler:
                    async for _ in crawler:
                        delivered += 1
                        if delivered == stop_after:
                            scope.cancel()
            if not scope.cancelled_caught:
                return runs
        if stale_checkpoint and len(saved) > 2:
            checkpoint.write_bytes(saved[rng.randrange(1, len(saved) - 1)])


class TestResume:
    """A crawl cancelled at random points and resumed equals an uninterrupted one."""

    @pytest.mark.parametrize("seed", [1, 2, 3])
    async def test_jsonl_cancelled_and_resumed(
        self, fake: FakeSoundCloud, tmp_path: Path, seed: int
    ) -> None:
        """Same lines as an uninterrupted crawl: no gap, no duplicate."""
        rng = random.Random(seed)
        whole = tmp_path / "whole.jsonl"
        async with client(fake) as sc:
            await Crawler(
                sc, FollowGraph(fake.world.default_user_urn, depth=1, page_size=20),
                sinks=[JSONLSink(whole)],
            ).run()  # fmt: skip
        pieces = tmp_path / "pieces.jsonl"
        runs = await crawl_in_pieces(fake, pieces, JSONLSink, rng, depth=1, interruptions=4)
        assert 5 == runs
        assert sorted(whole.read_bytes().splitlines()) == sorted(pieces.read_bytes().splitlines())

    @pytest.mark.parametrize("seed", [4, 5])
    async def test_jsonl_resumed_from_a_stale_checkpoint(
        self, fake: FakeSoundCloud, tmp_path: Path, seed: int
    ) -> None:
        """After a crash the checkpoint lags the file; resume truncates and refills it."""
        rng = random.Random(seed)
        pieces = tmp_path / "pieces.jsonl"
        await crawl_in_pieces(
            fake, pieces, JSONLSink, rng, depth=1, interruptions=3, stale_checkpoint=True
        )
        records = jsonl_records(pieces)
        assert reachable(fake.world, 1) == by_kind(records)
        assert len(records) == len(set(records))

    async def test_sqlite_cancelled_and_resumed(self, fake: FakeSoundCloud, tmp_path: Path) -> None:
        """The database holds exactly the reachable objects after interruptions."""
        rng = random.Random(7)
        out = tmp_path / "pieces.sqlite"
        await crawl_in_pieces(
            fake, out, SQLiteSink, rng, depth=1, interruptions=3, stale_checkpoint=True
        )
        assert reachable(fake.world, 1) == sqlite_rows(out)

    async def test_resuming_a_finished_crawl_adds_nothing(
        self, fake: FakeSoundCloud, tmp_path: Path
    ) -> None:
        """A checkpoint marked done resumes to an immediate end, output untouched."""
        out, checkpoint = tmp_path / "o.jsonl", tmp_path / "o.ckpt"
        strategy = FollowGraph(fake.world.default_user_urn, depth=0)
        async with client(fake) as sc:
            await Crawler(sc, strategy, sinks=[JSONLSink(out)], checkpoint=checkpoint).run()
            before = out.read_bytes()
            assert orjson.loads(checkpoint.read_bytes())["done"]
            requests = sc.stats.requests
            await Crawler(
                sc, strategy, sinks=[JSONLSink(out)], checkpoint=checkpoint, resume=True
            ).run()
            assert requests == sc.stats.requests
        assert before == out.read_bytes()

    async def test_a_checkpoint_of_another_crawl_is_refused(
        self, fake: FakeSoundCloud, tmp_path: Path
    ) -> None:
        """Resuming with a different seed or depth raises InvalidArgument."""
        out, checkpoint = tmp_path / "o.jsonl", tmp_path / "o.ckpt"
        async with client(fake) as sc:
            strategy = FollowGraph(fake.world.default_user_urn, depth=0)
            await Crawler(sc, strategy, sinks=[JSONLSink(out)], checkpoint=checkpoint).run()
            other = FollowGraph(fake.world.default_user_urn, depth=1)
            with pytest.raises(InvalidArgument, match="another crawl"):
                await Crawler(
                    sc, other, sinks=[JSONLSink(out)], checkpoint=checkpoint, resume=True
                ).run()


class TestPoliteness:
    """Rate limits and faults are absorbed: the crawl completes with the same output."""

    async def test_completes_under_429s_and_faults(self, tmp_path: Path) -> None:
        """A server limit below the client's rate and random faults change nothing."""
        async with FakeSoundCloud(
            seed=5,
            size="small",
            general_rate=100,
            random_faults={"server_error": 0.03, "reset": 0.02, "plain_503": 0.02},
            fault_seed=3,
        ) as fake:
            # The server's limit draws 429s only from a fast enough client: script a few
            # so that absorbing them is tested on a slow machine too.
            fake.faults.add("rate_limit", route="/users/*", times=3, shape=4)
            out = tmp_path / "o.jsonl"
            async with SoundCloud(
                fake.issue_token(),
                base_url=fake.base_url,
                rate_limiter=TokenBucket(150, 10, adaptive=True),
                retry=RetryPolicy(max_attempts=8, backoff_base=0.05, backoff_max=0.5),
            ) as sc:
                await Crawler(
                    sc,
                    FollowGraph(fake.world.default_user_urn, depth=1),
                    sinks=[JSONLSink(out)],
                    concurrency=16,
                ).run()
                stats = sc.stats
            records = jsonl_records(out)
            assert reachable(fake.world, 1) == by_kind(records)
            assert len(records) == len(set(records))
            assert stats.retries > 0
            assert stats.rate_limited >= 3

    async def test_a_missing_user_is_skipped(self, fake: FakeSoundCloud) -> None:
        """A seed that does not exist is counted as skipped, not fatal."""
        async with client(fake) as sc:
            crawler = Crawler(sc, FollowGraph("soundcloud:users:1", depth=1))
            progress = await crawler.run()
        assert (1, 0) == (progress.skipped, progress.total)
