"""Crawls killed at random instants, on both stores: nothing lost, nothing twice.

Real processes over real TCP: a ``soundcloud-async fake-server`` subprocess serves the
world, and ``soundcloud-async crawl`` subprocesses are SIGKILLed (no cleanup at all: no
lease handed back, no transaction finished) and started again. The result must be
exactly the set the world says an uninterrupted crawl reaches, every job done once.
"""

from __future__ import annotations

import asyncio
import math
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest

from soundcloud_async.testing._world import World
from tests.fake_process import fake_server_process

pytestmark = pytest.mark.integration

CLI = [sys.executable, "-m", "soundcloud_async"]


@dataclass(frozen=True)
class Server:
    """A fake-server subprocess: its URL, a token, and the world it serves."""

    url: str
    token: str
    world: World


def _serve(size: str, seed: int) -> Iterator[Server]:
    options = ("--size", size, "--seed", str(seed), "--rate", "100000")
    with fake_server_process(*options) as fake:
        yield Server(fake.url, fake.token, World.generate(seed=seed, size=size))


@pytest.fixture(scope="module")
def small() -> Iterator[Server]:
    """The small world (300 users)."""
    yield from _serve("small", 3)


@pytest.fixture(scope="module")
def large() -> Iterator[Server]:
    """The large world: 50k users, a few with thousands of followers."""
    yield from _serve("large", 0)


def crawl_argv(server: Server, store: str, seed: str, *extra: str) -> list[str]:
    """A quiet crawl command against ``server``."""
    return [
        *CLI, "crawl", "-q", "--base-url", server.url, "--access-token", server.token,
        "--seed-user", seed, "--store", store, *extra,
    ]  # fmt: skip


def start(argv: list[str], log: Path) -> subprocess.Popen[bytes]:
    """A worker process, its output in ``log``."""
    with log.open("ab") as out:
        return subprocess.Popen(argv, stdout=out, stderr=out)


def expected(world: World, seed: str, depth: int, direction: str, **kinds: bool) -> set[str]:
    """The URNs an uninterrupted follow-graph crawl stores, from the world itself."""
    viewer = world.user_index(world.default_user_urn)
    start_at = world.user_index(seed)
    assert start_at is not None
    assert viewer is not None
    seen, level = {start_at}, [start_at]
    for _ in range(depth):
        nxt = []
        for u in level:
            hops = world.followers(u) if direction == "followers" else world.followings(u)
            for v in hops.live_keys():
                if v not in seen:
                    seen.add(v)
                    nxt.append(v)
        level = nxt
    urns = {world.user_urn(u) for u in seen}
    if kinds.get("tracks", True):
        urns |= {
            world.track_urn(t)
            for u in seen
            for t in world.user_tracks(u).live_keys()
            if world.track_visible(t, viewer)
        }
    if kinds.get("playlists", True):
        urns |= {
            world.playlist_urn(p)
            for u in seen
            for p in world.user_playlists(u).live_keys()
            if world.playlist_visible(p, viewer)
        }
    return urns


def finish(store: str, tmp_path: Path) -> tuple[list[str], dict[str, Any]]:
    """The exported URNs (in file order, duplicates kept) and the store's status."""
    out = tmp_path / "export.jsonl"
    subprocess.run([*CLI, "export", store, "--out", str(out)], check=True, timeout=120)
    urns = [orjson.loads(line)["data"]["urn"] for line in out.read_bytes().splitlines()]
    done = subprocess.run(
        [*CLI, "status", store, "--json"], capture_output=True, check=True, timeout=60
    )
    return urns, orjson.loads(done.stdout)


def logs(tmp_path: Path) -> str:
    """Every worker's output, for a failing assertion's message."""
    return "\n".join(p.read_text(errors="replace")[-3000:] for p in tmp_path.glob("*.log"))


class TestSQLiteKilled:
    """A SQLite crawl SIGKILLed at five random points and started again each time."""

    def test_five_kills(self, small: Server, tmp_path: Path) -> None:
        """The store ends with exactly the uninterrupted set; no URN twice; every job done."""
        rng = random.Random(int(os.environ.get("KILL_SEED", "20261201")))
        store = str(tmp_path / "crawl.sqlite")
        seed = small.world.default_user_urn
        argv = crawl_argv(small, store, seed, "--depth", "2", "--page-size", "20",
                          "--concurrency", "8", "--rate", "250")  # fmt: skip
        log = tmp_path / "worker.log"
        kills = 0
        pages = 0
        while kills < 5:
            proc = start(argv, log)
            # A random point measured in progress, not in time: on a quiet machine the
            # whole crawl fitted in five timed waits of about a second.
            pages += rng.randint(2, 8)
            wait_for_pages(store, pages, proc)
            time.sleep(rng.uniform(0.0, 0.1))
            if proc.poll() is not None:
                break  # finished before this kill: the rest of the kills come too late
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
            kills += 1
        assert kills == 5, "the crawl ended before five kills: make it longer"
        final = subprocess.run(argv, capture_output=True, text=True, timeout=300)
        assert 0 == final.returncode, final.stderr + logs(tmp_path)
        urns, status = finish(store, tmp_path)
        assert expected(small.world, seed, 2, "followings") == set(urns)
        assert len(urns) == len(set(urns))
        assert sum(status["objects"].values()) == len(urns)
        assert status["done"]
        assert set(status["jobs"]) == {"done"}, status["jobs"]


def pg_argv(server: Server, store: str, seed: str, *extra: str) -> list[str]:
    """A worker of the followers crawl the PostgreSQL tests share."""
    return crawl_argv(server, store, seed, "--direction", "followers", "--depth", "1",
                      "--concurrency", "4", "--lease", "2", *extra)  # fmt: skip


def wait_for_pages(store: str, pages: int, worker: subprocess.Popen[bytes]) -> float:
    """Wait until ``pages`` pages are committed (the worker is mid-job); when that was."""
    from soundcloud_async.crawl import StoreUnavailable, open_store

    async def committed() -> int:
        try:
            async with open_store(store) as opened:
                return (await opened.status(problems=0)).pages
        except StoreUnavailable:  # no crawl there yet
            return 0

    deadline = time.monotonic() + 120
    while asyncio.run(committed()) < pages:
        assert worker.poll() is None, "the worker ended before it got that far"
        assert time.monotonic() < deadline
        time.sleep(0.1)
    return time.monotonic()


class TestPostgresWorkers:
    """Several workers on one PostgreSQL store, killed and started again, share one crawl."""

    def test_three_workers_two_killed_five_times(
        self, large: Server, pg_schema_url: str, tmp_path: Path
    ) -> None:
        """Three workers; two SIGKILLed at random and restarted, five rounds: the exact set."""
        rng = random.Random(int(os.environ.get("KILL_SEED", "7")))
        world = large.world
        seed = world.most_followed(130)[120][0]  # about 500 followers
        argv = pg_argv(large, pg_schema_url, seed, "--no-playlists", "--page-size", "20",
                       "--rate", "60")  # fmt: skip
        workers = [start(argv, tmp_path / f"w{i}.log") for i in range(3)]
        killed_alive = 0
        for _ in range(5):
            time.sleep(rng.uniform(0.4, 1.2))
            for i in rng.sample(range(3), 2):
                if workers[i].poll() is None:
                    killed_alive += 1
                    workers[i].send_signal(signal.SIGKILL)
                    workers[i].wait(timeout=10)
                workers[i] = start(argv, tmp_path / f"w{i}.log")
        codes = [w.wait(timeout=300) for w in workers]
        assert [0, 0, 0] == codes, logs(tmp_path)
        assert killed_alive == 10, "every kill hit a working process"
        urns, status = finish(pg_schema_url, tmp_path)
        assert expected(world, seed, 1, "followers", playlists=False) == set(urns)
        assert len(urns) == len(set(urns))
        assert sum(status["objects"].values()) == len(urns)
        assert set(status["jobs"]) == {"done"}, status["jobs"]

    def test_a_frozen_worker_is_taken_over_mid_job(
        self, large: Server, pg_schema_url: str, tmp_path: Path
    ) -> None:
        """A long job outlives its lease while its worker is frozen: another continues it
        from the last committed page, and the frozen one, thawed, writes nothing more."""
        world = large.world
        seed, followers = world.most_followed(11)[10]  # thousands of followers
        page = 25
        argv = pg_argv(large, pg_schema_url, seed, "--no-tracks", "--no-playlists",
                       "--page-size", str(page), "--rate", "25")  # fmt: skip
        first = start(argv, tmp_path / "first.log")
        began = wait_for_pages(pg_schema_url, 1, first)
        wait_for_pages(pg_schema_url, 20, first)
        # The lease (2 s) was renewed meanwhile: the job has outlived it.
        time.sleep(max(0.0, began + 2.5 - time.monotonic()))
        assert first.poll() is None
        first.send_signal(signal.SIGSTOP)
        try:
            taken = subprocess.run(
                [*argv[:-2], "--rate", "400"], capture_output=True, text=True, timeout=300
            )
        finally:
            first.send_signal(signal.SIGCONT)
        assert 0 == taken.returncode, taken.stderr
        assert 0 == first.wait(timeout=60), logs(tmp_path)
        assert "taken over by another worker" in (tmp_path / "first.log").read_text()
        urns, status = finish(pg_schema_url, tmp_path)
        assert expected(world, seed, 1, "followers", tracks=False, playlists=False) == set(urns)
        assert len(urns) == len(set(urns)) == followers + 1
        # Every page was committed once: the second worker went on from the committed
        # position, not from the start, and the thawed one committed nothing after it.
        assert math.ceil(followers / page) == status["pages"]
