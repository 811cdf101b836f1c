"""The shape of the fake's follow graph: power-law followers in the big worlds.

``large`` and ``huge`` add celebrities (a few followed by most users, then a long
tail) on top of the near-uniform follow layers; ``tiny`` and ``small`` are unchanged.
"""

from __future__ import annotations

import hashlib
import random
import statistics
import tracemalloc
from collections.abc import AsyncIterator, Iterator

import pytest

from soundcloud_async import RetryPolicy, SoundCloud, Unlimited
from soundcloud_async.crawl import Crawler, FollowGraph
from soundcloud_async.testing import FakeSoundCloud
from soundcloud_async.testing._world import Collection, Cursor, World, _Cache, _Stars
from tests.testing._api_fixtures import FakeApi, serve

#: The API's page size limit: a followers job is ``ceil(count / 200)`` pages.
PAGE = 200
#: SoundCloud refuses a follow beyond this many followings (so does the fake).
MAX_FOLLOWINGS = 2000


def digest(world: World) -> str:
    """A hash of every user's followings and followers (sequence by sequence, holes
    included: cursors are sequence positions), every user's JSON and 500 tracks' JSON."""
    h = hashlib.sha256()
    for u in range(world.n_users):
        for c in (world.followings(u), world.followers(u)):
            h.update(repr([c.at(s) for s in range(len(c))]).encode())
        h.update(world.user_bytes(u))
    for t in range(min(world.n_tracks, 500)):
        h.update(world.track_bytes(t))
    return h.hexdigest()


def page_all(c: Collection, limit: int = PAGE) -> Iterator[list[int]]:
    """Every page of ``c``, newest first, following the cursors."""
    cursor: Cursor | None = None
    while True:
        page = c.page(cursor, limit, newest_first=True)
        yield page.keys
        if page.next is None:
            return
        cursor = page.next


def index(world: World, urn: str) -> int:
    u = world.user_index(urn)
    assert u is not None
    return u


@pytest.fixture(scope="module")
def large() -> World:
    """The large world, seed 0 (tests here only read it)."""
    return World.generate(seed=0, size="large")


@pytest.fixture(scope="module")
def huge() -> World:
    """The huge world, seed 0 (tests here only read it)."""
    return World.generate(seed=0, size="huge")


@pytest.fixture
async def large_api() -> AsyncIterator[FakeApi]:
    """A fresh large world's routes on loopback (tests may mutate it)."""
    async for served in serve(World.generate(seed=0, size="large")):
        yield served


def stars_of(world: World) -> _Stars:
    """The celebrity construction under a big world's follows (white-box tests)."""
    edges = world._follows.layers
    assert isinstance(edges, _Stars)
    return edges


def star_follower(world: World, star: int) -> int:
    """The newest follower of ``star`` through the celebrity's own edges (not a layer's)."""
    followers = world.followers(star)
    return next(u for s in range(len(followers) - 1, -1, -1) if (u := followers.at(s)) >= 0)


class TestSmallWorldsUnchanged:
    @pytest.mark.parametrize(
        ("size", "seed", "expected"),
        [
            ("tiny", 0, "54a922e733feb0c58fff65257a403701bd7d09402838c14c5e00d504c97625be"),
            ("tiny", 7, "7e4a71a7920606886da265e2b3f60d1702802aae096cce457e4c05d4a3999bbe"),
            ("small", 0, "043d60a0b395731fb887f56754767f197bd6dde7c7abd07d9c52f6c08ccd3c4b"),
            ("small", 7, "8a1daae12b342394f0666b27b2518891acb02c64ccf9759146cea37e0c21f404"),
        ],
    )
    def test_graph_and_json_are_pinned(self, size: str, seed: int, expected: str) -> None:
        """Tiny and small keep their follow graph, users and tracks byte for byte.

        The digests were computed before the big worlds got celebrities.
        """
        assert expected == digest(World.generate(seed=seed, size=size))


class TestFollowerDistribution:
    def test_large_is_heavy_tailed(self, large: World) -> None:
        """A few users are followed by most of the large world; the median user by a few dozen."""
        counts = sorted((large.followers(u).count() for u in range(large.n_users)), reverse=True)
        n = large.n_users
        assert counts[0] >= 0.75 * n  # the top job: 200+ pages of 200
        assert counts[1] >= 20_000  # tens of thousands: 100+ pages
        assert statistics.median(counts) <= 50
        assert sum(1 for c in counts if c >= 1000) >= 40  # a long tail of mid-size stars
        assert sum(counts[: n // 100]) >= 0.2 * sum(counts)  # uniform: 1%

    def test_huge_has_jobs_of_thousands_of_pages(self, huge: World) -> None:
        """The huge world's top followers job runs to thousands of pages of 200."""
        top = huge.most_followed(3)
        assert top[0][1] >= 0.75 * huge.n_users
        assert -(-top[0][1] // PAGE) >= 1800
        assert top[0][1] > top[1][1] > top[2][1] >= 100_000

    def test_huge_reaches_a_million_objects_by_depth_3(self, huge: World) -> None:
        """From the default user, 3 follow hops span 250k+ users and 1.2M+ objects.

        (A crawl sees all but the ~8% private tracks and ~10% private playlists of
        those; ``World.follow_reach`` counts them exactly, see the benchmark.)
        """
        start = index(huge, huge.default_user_urn)
        seen, level = {start}, [start]
        for _ in range(3):
            nxt = []
            for u in level:
                for v in huge.followings(u).live_keys():
                    if v not in seen:
                        seen.add(v)
                        nxt.append(v)
            level = nxt
        objects = sum(
            1 + huge.user_tracks(u).count() + huge.user_playlists(u).count() for u in seen
        )
        assert (True, True) == (len(seen) >= 250_000, objects >= 1_200_000)

    def test_nobody_follows_more_than_the_api_allows(self, large: World, huge: World) -> None:
        """No generated user follows more than 2000 (the API's cap)."""
        assert max(large.followings(u).count() for u in range(large.n_users)) <= MAX_FOLLOWINGS
        # In huge, the heaviest followers: the first users (most layers) and those of
        # lowest rank (most celebrities).
        rank_order = stars_of(huge)
        sample = set(range(200)) | {rank_order.unrank(r) for r in range(200)}
        assert max(huge.followings(u).count() for u in sample) <= MAX_FOLLOWINGS

    def test_same_seed_same_shape(self, large: World) -> None:
        """The celebrities, their counts and their pages depend on the seed alone."""
        again = World.generate(seed=0, size="large")
        other = World.generate(seed=1, size="large")
        top = large.most_followed(20)
        assert top == again.most_followed(20)
        star = index(large, top[0][0])
        assert next(page_all(large.followers(star))) == next(page_all(again.followers(star)))
        assert top != other.most_followed(20)


class TestMostFollowed:
    def test_matches_every_users_count(self, large: World) -> None:
        """most_followed(n) is the n largest follower counts, ties to the older user."""
        brute = sorted((-large.followers(u).count(), u) for u in range(large.n_users))[:30]
        assert [(large.user_urn(u), -c) for c, u in brute] == large.most_followed(30)

    def test_counts_agree_with_the_user_json(self, large: World) -> None:
        """Each count is the user's ``followers_count``."""
        for urn, count in large.most_followed(5):
            user = large.user(urn)
            assert user is not None
            assert count == user["followers_count"]

    def test_sees_mutations(self) -> None:
        """Follows made after generation count, for generated and added users alike."""
        w = World.generate(seed=0, size="small")
        fresh = index(w, w.add_user("Rising Star")["urn"])
        for u in range(40):
            w.follow(u, fresh)
        assert (w.user_urn(fresh), 40) == w.most_followed(1)[0]
        top = index(w, w.most_followed(2)[1][0])
        fans = [u for u in range(w.n_users) if u != top and not w.is_following(u, top)][:50]
        for u in fans:
            w.follow(u, top)
        assert [top, fresh] == [index(w, urn) for urn, _ in w.most_followed(2)]

    def test_small_and_large_n(self, large: World) -> None:
        """n=0 gives nothing, n past the users gives them all; a negative n is a ValueError."""
        assert [] == large.most_followed(0)
        tiny = World.generate(size="tiny")
        loner = tiny.add_user("Nobody Follows Me")["urn"]
        assert (9, (loner, 0)) == (len(tiny.most_followed(100)), tiny.most_followed(100)[-1])
        with pytest.raises(ValueError, match="negative"):
            large.most_followed(-1)


class TestBothDirections:
    def test_followings_and_followers_agree_on_a_sample(self, large: World) -> None:
        """v is among u's followings exactly when u is among v's followers."""
        rng = random.Random(3)
        stars = [index(large, urn) for urn, _ in large.most_followed(5)]
        users = rng.sample(range(large.n_users), 150) + stars
        follower_sets: dict[int, set[int]] = {}
        for u in users:
            followings = list(large.followings(u).live_keys())
            assert (len(followings), False) == (len(set(followings)), u in followings)
            for v in followings:
                if v not in follower_sets:
                    follower_sets[v] = set(large.followers(v).live_keys())
                assert (True, True) == (large.is_following(u, v), u in follower_sets[v])
        for star in stars:
            followers = list(large.followers(star).live_keys())
            for u in followers[:200] + followers[-200:]:
                assert star in set(large.followings(u).live_keys())

    def test_an_edge_both_constructions_make_counts_once(self) -> None:
        """A follow of a celebrity made by the layers and by its rank is one edge."""
        w = World.generate(seed=0, size="large")
        edges = stars_of(w)
        star = index(w, w.most_followed(1)[0][0])
        size = edges.sizes[edges.star_of[star]]
        both = [u for u in edges.base.into(star).live_keys() if edges.rank(u) < size]
        assert len(both) >= 5
        fan = both[0]
        followers = list(w.followers(star).live_keys())
        followings = list(w.followings(fan).live_keys())
        assert (1, 1) == (followers.count(fan), followings.count(star))
        assert (len(followers), len(followings)) == (
            w.user_dict(star)["followers_count"],
            w.user_dict(fan)["followings_count"],
        )
        assert w.unfollow(fan, star)
        assert (False, False, False, len(followers) - 1, len(followings) - 1) == (
            w.is_following(fan, star),
            fan in set(w.followers(star).live_keys()),
            star in set(w.followings(fan).live_keys()),
            w.user_dict(star)["followers_count"],
            w.user_dict(fan)["followings_count"],
        )

    def test_counts_equal_what_paging_yields(self, large: World) -> None:
        """followers/followings counts in the user JSON equal the keys paged through."""
        rng = random.Random(5)
        stars = [index(large, urn) for urn, _ in large.most_followed(3)]
        for u in stars + rng.sample(range(large.n_users), 40):
            d = large.user_dict(u)
            followers = [k for page in page_all(large.followers(u)) for k in page]
            followings = [k for page in page_all(large.followings(u)) for k in page]
            assert (d["followers_count"], d["followings_count"]) == (
                len(followers),
                len(followings),
            )
            assert followers == list(large.followers(u).live_keys(newest_first=True))
        top_pages = list(page_all(large.followers(stars[0])))
        assert len(top_pages) >= 200
        assert all(len(p) == PAGE for p in top_pages[:-1])


class TestCaches:
    def test_a_full_cache_evicts_its_oldest_entries(self) -> None:
        """Past its cap a cache drops the oldest-inserted eighth and keeps the rest."""
        cache: _Cache[str] = _Cache(16)
        for k in range(17):
            cache.put(k, str(k))
        assert (list(range(2, 17)), "16") == (list(cache), cache.get(16))

    def test_huge_world_caches_stay_bounded(self, huge: World) -> None:
        """Serialising more users and tracks than the cap keeps each cache at the cap."""
        cap = huge._user_cache.cap
        for u in range(cap + 500):
            huge.user_bytes(u)
        for t in range(cap + 500):
            huge.track_bytes(t)
        sizes = [len(c) for c in (huge._user_cache, huge._track_json, huge._track_meta)]
        assert (True, True) == (cap <= 10_000, all(n <= cap for n in sizes))

    def test_cached_users_take_about_their_length(self) -> None:
        """A cached user's JSON costs about its own size (orjson over-allocates ~14x)."""
        w = World.generate(seed=0, size="large")
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            length = sum(len(w.user_bytes(u)) for u in range(2000))
            grown = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
        # The cached bytes plus the cache's own slots and the users' track metadata.
        assert grown < 2.5 * length


class TestOverTheApi:
    async def test_a_celebritys_followers_page_by_cursor(self, large_api: FakeApi) -> None:
        """Paging a celebrity's followers over HTTP yields each follower once, count-many."""
        w = large_api.world
        urn, count = w.most_followed(40)[-1]
        items = await large_api.crawl(f"/users/{urn}/followers?limit=200&linked_partitioning=1")
        urns = [item["urn"] for item in items]
        expected = [w.user_urn(v) for v in w.followers(index(w, urn)).live_keys(newest_first=True)]
        user = (await large_api.get(f"/users/{urn}")).json
        assert (urns, len(set(urns)), count) == (expected, len(urns), user["followers_count"])
        assert count > 5 * PAGE

    async def test_followings_of_a_fan_include_the_celebrities(self, large_api: FakeApi) -> None:
        """A fan's followings pages list every celebrity it follows, count-many."""
        w = large_api.world
        stars = {urn for urn, _ in w.most_followed(500)}
        fan = w.user_urn(stars_of(w).unrank(0))  # the lowest rank follows every celebrity
        items = await large_api.crawl(f"/users/{fan}/followings?limit=200&linked_partitioning=1")
        urns = [item["urn"] for item in items]
        user = (await large_api.get(f"/users/{fan}")).json
        assert (len(urns), len(set(urns))) == (user["followings_count"], len(urns))
        assert stars - {fan} <= set(urns)
        for star in list(stars)[:20]:
            if star != fan:
                reply = await large_api.get(f"/users/{fan}/followings/{star}")
                assert 200 == reply.status

    async def test_unfollow_and_follow_a_celebrity(self, large_api: FakeApi) -> None:
        """A generated celebrity edge can be removed and made again, on both sides."""
        w = large_api.world
        urn, count = w.most_followed(40)[-1]
        star = index(w, urn)
        fan = w.user_urn(star_follower(w, star))
        fan_count = (await large_api.get(f"/users/{fan}")).json["followings_count"]
        path = f"/users/{urn}/followers?limit=200&linked_partitioning=1"

        assert 200 == (await large_api.call("DELETE", f"/me/followings/{urn}", user=fan)).status
        followers = {item["urn"] for item in await large_api.crawl(path)}
        assert (False, count - 1, fan_count - 1) == (
            fan in followers,
            (await large_api.get(f"/users/{urn}")).json["followers_count"],
            (await large_api.get(f"/users/{fan}")).json["followings_count"],
        )
        assert 404 == (await large_api.get(f"/users/{fan}/followings/{urn}")).status
        assert len(followers) == count - 1

        assert 201 == (await large_api.call("PUT", f"/me/followings/{urn}", user=fan)).status
        first = (await large_api.get(path)).json["collection"][0]["urn"]
        assert (fan, count) == (
            first,
            (await large_api.get(f"/users/{urn}")).json["followers_count"],
        )

        newcomer = next(
            w.user_urn(u) for u in range(2, w.n_users) if u != star and not w.is_following(u, star)
        )
        assert 201 == (await large_api.call("PUT", f"/me/followings/{urn}", user=newcomer)).status
        followers_after = [item["urn"] for item in await large_api.crawl(path)]
        assert (newcomer, count + 1, count + 1) == (
            followers_after[0],
            len(followers_after),
            (await large_api.get(f"/users/{urn}")).json["followers_count"],
        )


@pytest.mark.integration
class TestFollowReach:
    async def test_matches_a_crawl_over_tcp(self) -> None:
        """follow_reach(d) counts what a FollowGraph crawl of depth d delivers, by kind."""
        async with FakeSoundCloud(seed=0, size="large") as fake:
            w = fake.world
            stars = {index(w, urn) for urn, _ in w.most_followed(500)}
            start = next(
                u
                for u in range(w.n_users - 1, 0, -1)
                if 3 <= sum(1 for v in w.followings(u).live_keys() if v in stars) <= 10
            )
            reach = w.follow_reach(1, start=w.user_urn(start))
            async with SoundCloud(
                fake.issue_token(),
                base_url=fake.base_url,
                rate_limiter=Unlimited(),
                retry=RetryPolicy(wait=False),
            ) as sc:
                progress = await Crawler(
                    sc, FollowGraph(w.user_urn(start), depth=1), concurrency=8
                ).run()
        users, tracks, playlists = reach[1]
        assert {"user": users, "track": tracks, "playlist": playlists} == progress.objects
        assert reach[0][0] == 1

    def test_bad_arguments(self, large: World) -> None:
        """A negative depth or an unknown user is a ValueError."""
        with pytest.raises(ValueError, match="depth"):
            large.follow_reach(-1)
        with pytest.raises(ValueError, match="no such user"):
            large.follow_reach(1, start="soundcloud:users:1")
