"""The fake's world: deterministic generation, realistic fields, relations, collections."""

from __future__ import annotations

import itertools
import re
import time
from typing import Any

import pytest

from soundcloud_async.testing._world import (
    Collection,
    Cursor,
    InvalidCursor,
    InvalidUrn,
    World,
    decode_cursor,
    encode_cursor,
    format_date,
    parse_urn,
)

DATE = re.compile(r"\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2} \+0000")


@pytest.fixture
def world() -> World:
    return World.generate(seed=0, size="small")


def sample_tracks(world: World, n: int = 400) -> list[dict[str, Any]]:
    return [world.track_dict(t) for t in itertools.islice(world.all_tracks().live_keys(), n)]


class TestGenerate:
    def test_same_seed_same_world(self) -> None:
        """Two worlds from one seed serialise identically."""
        a, b = World.generate(seed=7, size="tiny"), World.generate(seed=7, size="tiny")
        assert [a.track_bytes(t) for t in range(a.n_tracks)] == [
            b.track_bytes(t) for t in range(b.n_tracks)
        ]

    def test_other_seed_other_world(self) -> None:
        """Another seed gives other data."""
        a, b = World.generate(seed=1, size="tiny"), World.generate(seed=2, size="tiny")
        assert a.user_dict(3) != b.user_dict(3)

    def test_sizes(self) -> None:
        """Tiny is a handful, small a few hundred users and thousands of tracks."""
        tiny, small = World.generate(size="tiny"), World.generate(size="small")
        assert (8, True) == (tiny.n_users, tiny.n_tracks < 100)
        assert (300, True) == (small.n_users, 2000 <= small.n_tracks <= 10_000)

    def test_large_is_large_and_starts_fast(self) -> None:
        """Large has 100k+ tracks and 1M+ follow edges and starts in well under 5 s."""
        t0 = time.perf_counter()
        w = World.generate(size="large")
        elapsed = time.perf_counter() - t0
        assert (True, True, True) == (
            w.n_tracks >= 100_000,
            w.n_follow_edges >= 1_000_000,
            elapsed < 5.0,
        )

    def test_unknown_size_is_rejected(self) -> None:
        """An unknown size raises ValueError."""
        with pytest.raises(ValueError, match="size"):
            World.generate(size="gigantic")

    def test_default_user(self, world: World) -> None:
        """The default test user exists, has tracks (one private) and playlists."""
        me = world.me(world.default_user_urn)
        assert me is not None
        assert ("test-user", True, True) == (
            me["permalink"],
            me["track_count"] > 0,
            me["private_tracks_count"] >= 1,
        )


class TestFields:
    def test_dates_use_soundclouds_format(self, world: World) -> None:
        """Every date is ``yyyy/MM/dd HH:mm:ss +0000``."""
        dates = [t["created_at"] for t in sample_tracks(world)] + [
            world.user_dict(u)["last_modified"] for u in range(50)
        ]
        assert [] == [d for d in dates if not DATE.fullmatch(d)]

    def test_urn_and_id_agree(self, world: World) -> None:
        """``urn`` and the numeric ``id`` name the same object."""
        for t in sample_tracks(world, 50):
            assert f"soundcloud:tracks:{t['id']}" == t["urn"]
            assert f"soundcloud:users:{t['user']['id']}" == t["user"]["urn"]

    def test_uri_comes_in_both_forms(self, world: World) -> None:
        """Some ``uri`` fields are URN-style, others numeric."""
        uris = {t["uri"].rsplit("/", 1)[-1].startswith("soundcloud:") for t in sample_tracks(world)}
        assert {True, False} == uris

    def test_uris_point_at_the_api_host(self, world: World) -> None:
        """``uri`` fields keep https://api.soundcloud.com."""
        assert all(
            t["uri"].startswith("https://api.soundcloud.com/tracks/") for t in sample_tracks(world)
        )

    def test_tag_lists_have_quoted_and_machine_tags(self, world: World) -> None:
        """Multi-word tags are double-quoted; machine tags appear."""
        tags = " ".join(t["tag_list"] for t in sample_tracks(world))
        assert (True, True) == ('"' in tags, "soundcloud:source=" in tags)

    def test_access_and_sharing_vary(self, world: World) -> None:
        """All three access values and both sharing values occur."""
        tracks = sample_tracks(world, 2000)
        assert {"playable", "preview", "blocked"} == {t["access"] for t in tracks}
        assert {"public", "private"} == {t["sharing"] for t in tracks}

    def test_nulls_where_the_api_has_them(self, world: World) -> None:
        """Fields such as ``bpm`` and ``description`` are sometimes null."""
        tracks = sample_tracks(world)
        assert (True, True) == (
            any(t["bpm"] is None for t in tracks),
            any(t["description"] is None for t in tracks),
        )

    def test_counts_match_relations(self, world: World) -> None:
        """followers/followings counts equal the relations' sizes."""
        for u in range(0, 300, 37):
            d = world.user_dict(u)
            assert (len(list(world.followers(u).live_keys())), d["followings_count"]) == (
                d["followers_count"],
                len(list(world.followings(u).live_keys())),
            )

    def test_private_track_has_a_secret_uri(self, world: World) -> None:
        """A private track's ``secret_uri`` carries its secret token."""
        t = next(t for t in world.user_tracks(1).live_keys() if world.track_meta(t).private)
        d = world.track_dict(t)
        assert d["secret_uri"].endswith(f"secret_token={world.secret_token(t)}")

    def test_me_has_quota(self, world: World) -> None:
        """``Me`` carries the upload quota."""
        me = world.me_dict(1)
        assert {"unlimited_upload_quota", "upload_seconds_used", "upload_seconds_left"} == set(
            me["quota"]
        )


class TestRelations:
    def test_follow_edges_agree_both_ways(self, world: World) -> None:
        """v is in u's followings exactly when u is in v's followers."""
        for u in range(0, 300, 13):
            for v in world.followings(u).live_keys():
                assert u in set(world.followers(v).live_keys())
            assert u not in set(world.followings(u).live_keys())

    def test_no_duplicate_followings(self, world: World) -> None:
        """A user follows another at most once."""
        for u in range(0, 300, 7):
            keys = list(world.followings(u).live_keys())
            assert len(keys) == len(set(keys))

    def test_likes_agree_both_ways(self, world: World) -> None:
        """t is in u's likes exactly when u is among t's favoriters."""
        for u in range(0, 300, 29):
            for t in world.liked_tracks(u).live_keys():
                assert u in set(world.favoriters(t).live_keys())

    def test_large_world_relations_are_consistent(self) -> None:
        """In the large world too, a follower's followings contain the user."""
        w = World.generate(size="large")
        v = 12_345
        followers = list(w.followers(v).live_keys())
        assert len(followers) == w.followers(v).count()
        assert all(w.is_following(u, v) for u in followers[:50])


class TestCursor:
    def test_round_trip(self) -> None:
        """A cursor survives encoding."""
        c = Cursor(123, 45, 1)
        assert c == decode_cursor(encode_cursor(c))

    @pytest.mark.parametrize("token", ["", "!!!", "c2MxfGF8Yg", "Zm9vfDF8Mg"])
    def test_invalid_tokens_are_rejected(self, token: str) -> None:
        """Tokens we did not issue raise InvalidCursor."""
        with pytest.raises(InvalidCursor):
            decode_cursor(token)


def crawl(c: Collection, limit: int, *, newest_first: bool, grow: int = 0) -> list[int]:
    """Page through ``c``, appending ``grow`` new keys after every page."""
    out: list[int] = []
    cursor = None
    fresh = itertools.count(10_000)
    while True:
        page = c.page(cursor, limit, newest_first=newest_first)
        out += page.keys
        if page.next is None:
            return out
        for _ in range(grow):
            c.append(next(fresh))
        cursor = page.next


class TestCollection:
    def test_pages_cover_everything_once(self) -> None:
        """Paging newest-first yields every key once, newest first."""
        c = Collection(10, lambda i: i, 10)
        assert list(range(9, -1, -1)) == crawl(c, 3, newest_first=True)

    def test_newest_first_crawl_is_stable_while_growing(self) -> None:
        """Items appended during a newest-first crawl are neither seen nor shift pages."""
        c = Collection(10, lambda i: i, 10)
        assert list(range(9, -1, -1)) == crawl(c, 3, newest_first=True, grow=2)

    def test_oldest_first_crawl_sees_appended_items_once(self) -> None:
        """An oldest-first crawl reaches items appended meanwhile, each once."""
        c = Collection(4, lambda i: i, 4)
        seen = crawl(c, 2, newest_first=False, grow=1)
        assert seen == list(c.live_keys())
        assert len(seen) == len(set(seen))

    def test_holes_and_removals_are_skipped(self) -> None:
        """Holes (-1) and removed items do not appear; pages stay full."""
        c = Collection(10, lambda i: -1 if i % 3 == 0 else i, 6)
        c.remove_seq(4)
        assert ([8, 7, 5, 2, 1], 5) == (crawl(c, 2, newest_first=True), c.count())

    def test_offset(self) -> None:
        """``offset`` skips live items."""
        c = Collection(10, lambda i: i, 10)
        assert [6, 5] == c.page(None, 2, newest_first=True, offset=3).keys

    def test_scan_budget_gives_short_pages(self) -> None:
        """A filter that rejects most items yields short pages that still go on."""
        c = Collection(100, lambda i: i, 100)
        page = c.page(None, 5, newest_first=True, accept=lambda k: k % 50 == 0, scan_budget=10)
        assert ([], True) == (page.keys, page.next is not None)


class TestUrns:
    @pytest.mark.parametrize(("value", "expected"), [("soundcloud:tracks:12", 12), ("12", 12)])
    def test_parse(self, value: str, expected: int) -> None:
        """URNs and bare numeric ids parse to the id."""
        assert expected == parse_urn(value, "tracks")

    @pytest.mark.parametrize("value", ["soundcloud:users:12", "tracks:12", "abc", "", "-1"])
    def test_malformed(self, value: str) -> None:
        """Other strings raise InvalidUrn."""
        with pytest.raises(InvalidUrn):
            parse_urn(value, "tracks")

    def test_lookups(self, world: World) -> None:
        """URN, numeric id and index agree; unknown ids give None."""
        urn = world.track_urn(42)
        assert (42, 42, None) == (
            world.track_index(urn),
            world.track_index(int(urn.rsplit(":", 1)[1])),
            world.track_index("soundcloud:tracks:1"),
        )

    def test_permalinks_and_short_codes_resolve(self, world: World) -> None:
        """A user's permalink and a track's short code lead back to them."""
        code = next(c for t in range(200) if (c := world.short_code(t)))
        t = world.track_by_short_code(code)
        assert t is not None
        assert code == world.short_code(t)
        for u in range(0, 300, 17):
            assert u == world.user_by_permalink(world.user_permalink(u))

    def test_format_date(self) -> None:
        """Epoch seconds format like SoundCloud."""
        assert "2019/01/15 15:40:49 +0000" == format_date(1547566849)


class TestMutations:
    def test_follow_and_unfollow_update_both_sides(self, world: World) -> None:
        """Following changes both users' counts; unfollowing restores them."""
        u, v = 1, next(v for v in range(2, 300) if not world.is_following(1, v))
        before = (world.user_dict(u)["followings_count"], world.user_dict(v)["followers_count"])
        assert world.follow(u, v)
        assert (before[0] + 1, before[1] + 1) == (
            world.user_dict(u)["followings_count"],
            world.user_dict(v)["followers_count"],
        )
        assert world.unfollow(u, v)
        assert before == (
            world.user_dict(u)["followings_count"],
            world.user_dict(v)["followers_count"],
        )

    def test_unfollow_a_generated_edge(self, world: World) -> None:
        """A generated follow edge can be removed from both sides."""
        v = next(world.followings(1).live_keys())
        assert world.unfollow(1, v)
        assert (False, False) == (
            world.is_following(1, v),
            1 in set(world.followers(v).live_keys()),
        )
        assert not world.unfollow(1, v)

    def test_create_update_delete_track(self, world: World) -> None:
        """A created track is listed, updatable, and gone once deleted."""
        t = world.create_track(1, {"title": "New Song", "sharing": "private"}, asset_bytes=160_000)
        urn = world.track_urn(t)
        assert ("New Song", "private", 10_000) == (
            world.track_dict(t)["title"],
            world.track_dict(t)["sharing"],
            world.track_dict(t)["duration"],
        )
        assert t == next(world.user_tracks(1).live_keys(newest_first=True))
        world.update_track(t, {"title": "Renamed", "bogus": 1})
        assert ("Renamed", "private") == (
            world.track_dict(t)["title"],
            world.track_dict(t)["sharing"],
        )
        world.delete_track(t)
        assert (None, False) == (world.track_index(urn), t in set(world.user_tracks(1).live_keys()))

    def test_comments_likes_reposts(self, world: World) -> None:
        """Mutations show in the counts of the track."""
        t = 5
        before = world.track_dict(t)
        world.add_comment(t, 1, "hello", 1000)
        liked = world.like_track(1, t) if not world.likes_track(1, t) else False
        world.repost_track(1, t)
        after = world.track_dict(t)
        assert (before["comment_count"] + 1, before["favoritings_count"] + int(liked)) == (
            after["comment_count"],
            after["favoritings_count"],
        )
        assert before["reposts_count"] + 1 == after["reposts_count"]

    def test_secret_token_reset(self, world: World) -> None:
        """Resetting the secret token gives a new one."""
        old = world.secret_token(3)
        assert old != world.reset_secret_token(3)

    def test_fixtures(self, world: World) -> None:
        """add_user and add_track build users' own fixtures."""
        user = world.add_user("Fixture Person", permalink="fixture-person")
        track = world.add_track(user["urn"], "Fixture Track", genre="Jazz & Blues")
        assert ("fixture-person", "Fixture Track", "Jazz & Blues", user["urn"]) == (
            world.user_by_permalink("fixture-person") and user["permalink"],
            track["title"],
            track["genre"],
            track["user"]["urn"],
        )
        assert 1 == world.user(user["urn"])["track_count"]  # type: ignore[index]
        with pytest.raises(ValueError, match="taken"):
            world.add_user("Someone", permalink="fixture-person")

    def test_clock_moves_with_mutations(self, world: World) -> None:
        """Every mutation moves the world's clock on."""
        before = world.clock
        world.like_track(1, 9)
        assert world.clock > before
