"""The core path end to end: the real client over TCP against FakeSoundCloud, faults included."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from soundcloud_async import (
    URN,
    Comment,
    DecodeError,
    Me,
    NotFound,
    PaginationError,
    RateLimited,
    RetryPolicy,
    ServerError,
    SoundCloud,
    TokenBucket,
    Track,
    Unauthorized,
    Unlimited,
    User,
)
from soundcloud_async.testing import FakeSoundCloud


async def first_user_with_followers(sc: SoundCloud, fake: FakeSoundCloud, minimum: int) -> URN:
    """A user of the fake's world with at least `minimum` followers."""
    async for user in sc.users.iter_followers(fake.world.default_user_urn, limit=200):
        if (user.followers_count or 0) >= minimum:
            return URN(user.urn)
    pytest.fail(f"no user with {minimum} followers in the world")


class TestEndpoints:
    """Each core endpoint returns typed objects from the fake's world."""

    async def test_me_and_users_get(self, sc: SoundCloud, fake: FakeSoundCloud) -> None:
        """me.get and users.get agree on the logged-in user."""
        me = await sc.me.get()
        assert isinstance(me, Me)
        assert fake.world.default_user_urn == me.urn
        user = await sc.users.get(me.urn)
        assert isinstance(user, User)
        assert (me.urn, me.username) == (user.urn, user.username)

    async def test_tracks_and_comments(self, sc: SoundCloud, fake: FakeSoundCloud) -> None:
        """users.iter_tracks, tracks.get and tracks.iter_comments agree with each other."""
        tracks = await sc.users.iter_tracks(fake.world.default_user_urn).collect()
        assert tracks
        assert all(isinstance(t, Track) and t.created_at is not None for t in tracks)
        commented = next((t for t in tracks if (t.comment_count or 0) > 0), None)
        if commented is None:
            pytest.fail("the default user has no commented track in this world")
        again = await sc.tracks.get(commented.urn or "")
        assert commented.title == again.title
        comments = await sc.tracks.iter_comments(again.urn or "", limit=2).collect()
        assert all(isinstance(c, Comment) for c in comments)
        assert commented.comment_count == len(comments)

    async def test_followers_across_pages(self, sc: SoundCloud, fake: FakeSoundCloud) -> None:
        """Small pages and one big page list the same followers, each once."""
        urn = await first_user_with_followers(sc, fake, 5)
        small = [u.urn async for u in sc.users.iter_followers(urn, limit=2)]
        big = [u.urn async for u in sc.users.iter_followers(urn, limit=200)]
        assert big == small
        assert len(set(small)) == len(small)

    async def test_resolve(self, sc: SoundCloud) -> None:
        """A permalink resolves to the same track, by object and by URN."""
        me = await sc.me.get()
        (track,) = await sc.users.iter_tracks(me.urn or "", max_items=1).collect()
        assert track.permalink_url
        found = await sc.resolve(track.permalink_url)
        assert isinstance(found, Track)
        assert track.urn == found.urn
        assert track.urn == await sc.resolve(track.permalink_url, urn_only=True)

    async def test_unknown_track(self, sc: SoundCloud) -> None:
        """A track that does not exist is NotFound."""
        with pytest.raises(NotFound):
            await sc.tracks.get("soundcloud:tracks:999999999")

    async def test_bad_token(self, fake: FakeSoundCloud) -> None:
        """A token the server does not know is Unauthorized, with no secret in the error."""
        async with SoundCloud(
            "not-a-real-token", base_url=fake.base_url, rate_limiter=Unlimited()
        ) as sc:
            with pytest.raises(Unauthorized) as info:
                await sc.me.get()
        assert "not-a-real-token" not in str(info.value) + repr(info.value)


class TestCheckpointOverTCP:
    """A crawl stopped mid-collection resumes with no gap and no duplicate."""

    async def test_resume(self, sc: SoundCloud, fake: FakeSoundCloud) -> None:
        """Stopping after 3 followers and resuming yields exactly the rest."""
        urn = await first_user_with_followers(sc, fake, 5)
        everyone = [u.urn async for u in sc.users.iter_followers(urn, limit=2)]
        first = sc.users.iter_followers(urn, limit=2)
        head = [(await first.__anext__()).urn for _ in range(3)]
        saved = first.checkpoint.dumps()
        rest = [u.urn async for u in sc.users.iter_followers(urn, resume_from=saved)]
        assert everyone == head + rest


@pytest.fixture
async def faulty() -> AsyncIterator[FakeSoundCloud]:
    async with FakeSoundCloud(seed=3) as server:
        yield server


async def client_for(fake: FakeSoundCloud, **kwargs: object) -> SoundCloud:
    options: dict[str, object] = {
        "base_url": fake.base_url,
        "rate_limiter": Unlimited(),
        "retry": RetryPolicy(wait=False),
    }
    options.update(kwargs)
    return SoundCloud(fake.issue_token(), **options)  # type: ignore[arg-type]


class TestFaults:
    """The documented faults, served by the fake, are survived or reported clearly."""

    @pytest.mark.parametrize("kind", ["server_error", "plain_503", "reset", "truncated_json"])
    async def test_transient_faults_are_retried(self, faulty: FakeSoundCloud, kind: str) -> None:
        """A transient failure on a GET is retried and the call succeeds."""
        faulty.faults.add(kind, route="/me", times=2)
        async with await client_for(faulty) as sc:
            me = await sc.me.get()
        assert faulty.world.default_user_urn == me.urn
        assert 2 == sc.stats.retries

    async def test_error_200_raises_on_a_get(self, faulty: FakeSoundCloud) -> None:
        """A 200 carrying the gateway's error object raises, never an empty Track."""
        async with await client_for(faulty) as sc:
            track = (await sc.me.iter_tracks(limit=1).collect())[0]
            faulty.faults.add("error_200", route="/tracks/*", times=None)
            with pytest.raises(DecodeError, match="unable to decode response"):
                await sc.tracks.get(track.urn or "")
        assert sc.stats.retries > 0

    async def test_error_200_once_is_retried(self, faulty: FakeSoundCloud) -> None:
        """A GET that met the gateway's error object once is retried and gets the track."""
        async with await client_for(faulty) as sc:
            track = (await sc.me.iter_tracks(limit=1).collect())[0]
            faulty.faults.add("error_200", route="/tracks/*", times=1)
            again = await sc.tracks.get(track.urn or "")
        assert (track.urn, track.title, 1) == (again.urn, again.title, sc.stats.retries)

    async def test_error_200_raises_in_a_collection(self, faulty: FakeSoundCloud) -> None:
        """A page that is the gateway's error object raises, never an empty collection."""
        async with await client_for(faulty) as sc:
            urn = await first_user_with_followers(sc, faulty, 1)
            faulty.faults.add("error_200", route="*/followers", times=None)
            with pytest.raises(DecodeError, match="unable to decode response"):
                await sc.users.iter_followers(urn).collect()

    async def test_post_5xx_not_retried(self, faulty: FakeSoundCloud) -> None:
        """A 5xx on POST surfaces: the write may have happened."""
        faulty.faults.add("server_error", method="POST", times=1)
        async with await client_for(faulty) as sc:
            with pytest.raises(ServerError):
                await sc._transport.request("POST", "/playlists", json={"playlist": {}})
        assert 0 == sc.stats.retries

    @pytest.mark.parametrize("shape", [1, 3, 4, 5, 6])
    async def test_429_absorbed(self, faulty: FakeSoundCloud, shape: int) -> None:
        """A 429 of each shape is waited out and retried."""
        faulty.faults.add("rate_limit", route="/me", times=1, shape=shape)
        async with await client_for(faulty, retry=RetryPolicy(wait=False, max_wait=1e9)) as sc:
            await sc.me.get()
        assert (1, 1) == (sc.stats.rate_limited, sc.stats.retries)

    async def test_spam_block_surfaces(self, faulty: FakeSoundCloud) -> None:
        """A spam-warning 429 is raised at once, never retried."""
        faulty.faults.add("rate_limit", route="/me", times=1, shape=7)
        async with await client_for(faulty) as sc:
            with pytest.raises(RateLimited) as info:
                await sc.me.get()
        assert info.value.spam_warning_urn
        assert 0 == sc.stats.retries

    async def test_repeated_next_href(self, faulty: FakeSoundCloud) -> None:
        """A next_href loop raises PaginationError instead of spinning."""
        async with await client_for(faulty) as sc:
            urn = await first_user_with_followers(sc, faulty, 5)
            faulty.faults.add("repeat_next", route="*/followers", times=None)
            with pytest.raises(PaginationError, match="loop"):
                await sc.users.iter_followers(urn, limit=2).collect()

    async def test_foreign_next_href(self, faulty: FakeSoundCloud) -> None:
        """A foreign-host next_href is brought home; every request hits the fake."""
        async with await client_for(faulty) as sc:
            urn = await first_user_with_followers(sc, faulty, 5)
            expected = [u.urn async for u in sc.users.iter_followers(urn, limit=200)]
            faulty.faults.add("foreign_next", route="*/followers", times=1)
            got = [u.urn async for u in sc.users.iter_followers(urn, limit=2)]
        assert expected == got

    async def test_empty_page(self, faulty: FakeSoundCloud) -> None:
        """An empty page with a next_href is followed to the items after it."""
        async with await client_for(faulty) as sc:
            urn = await first_user_with_followers(sc, faulty, 5)
            expected = [u.urn async for u in sc.users.iter_followers(urn, limit=200)]
            faulty.faults.add("empty_page", route="*/followers", times=1)
            got = [u.urn async for u in sc.users.iter_followers(urn, limit=2)]
        assert expected == got


class TestPolite:
    """Under the fake's rate limit, a client at that rate draws no 429."""

    async def test_budget_respected(self) -> None:
        """A client limited to the server's budget gets every answer without a 429."""
        async with FakeSoundCloud(seed=2, size="tiny", general_rate=50) as fake:
            bucket = TokenBucket(40, burst=5)
            async with SoundCloud(
                fake.issue_token(), base_url=fake.base_url, rate_limiter=bucket
            ) as sc:
                for _ in range(30):
                    await sc.me.get()
            assert 0 == sc.stats.rate_limited
            assert 30 == bucket.acquired
