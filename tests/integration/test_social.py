"""``sc.likes`` and ``sc.reposts`` over TCP against FakeSoundCloud, with state changes."""

from __future__ import annotations

import pytest

from soundcloud_async import (
    URN,
    InvalidURN,
    NotFound,
    RateLimited,
    RetryPolicy,
    SoundCloud,
    Unlimited,
)
from soundcloud_async.testing import FakeSoundCloud

pytestmark = pytest.mark.integration


async def unliked_track(sc: SoundCloud) -> URN:
    """A public track of someone I follow that I have not liked."""
    liked = {t.urn async for t in sc.me.iter_liked_tracks(limit=200)}
    async for track in sc.me.iter_followings_tracks(limit=50):
        if track.urn not in liked and track.sharing == "public":
            return URN(track.urn)
    pytest.fail("no unliked track")


async def some_playlist(sc: SoundCloud, fake: FakeSoundCloud) -> URN:
    """A public playlist of someone else that I have neither liked nor reposted."""
    liked = {p.urn async for p in sc.me.iter_liked_playlists(limit=200)}
    reposted = {p.urn async for p in sc.me.iter_reposted_playlists(limit=200)}
    async for user in sc.me.iter_followings(limit=50):
        async for playlist in sc.users.iter_playlists(user.urn or "", show_tracks=False):
            if playlist.urn not in liked | reposted and playlist.sharing == "public":
                return URN(playlist.urn)
    pytest.fail("no playlist")


class TestLikes:
    """Like then unlike: the liked lists follow."""

    async def test_track(self, sc: SoundCloud, fake: FakeSoundCloud) -> None:
        """A liked track is first in my likes and in the user likes; unliking removes it."""
        track = await unliked_track(sc)
        await sc.likes.like_track(track)
        mine = await sc.me.iter_liked_tracks(limit=5).collect()
        assert track == mine[0].urn
        theirs = await sc.users.iter_liked_tracks(fake.world.default_user_urn, limit=5).collect()
        assert track in {t.urn for t in theirs}
        await sc.likes.unlike_track(track)
        assert track not in {t.urn async for t in sc.me.iter_liked_tracks(limit=200)}
        with pytest.raises(NotFound):
            await sc.likes.unlike_track(track)

    async def test_playlist(self, sc: SoundCloud, fake: FakeSoundCloud) -> None:
        """A liked playlist appears in my liked playlists until unliked."""
        playlist = await some_playlist(sc, fake)
        await sc.likes.like_playlist(playlist)
        assert playlist in {p.urn async for p in sc.me.iter_liked_playlists(limit=200)}
        await sc.likes.unlike_playlist(playlist)
        assert playlist not in {p.urn async for p in sc.me.iter_liked_playlists(limit=200)}


class TestReposts:
    """Repost then unrepost: the reposted lists follow."""

    async def test_track(self, sc: SoundCloud, fake: FakeSoundCloud) -> None:
        """A reposted track shows in my reposts; the deprecated unrepost warns and removes it."""
        track = await unliked_track(sc)
        await sc.reposts.repost_track(track)
        assert track in {t.urn async for t in sc.me.iter_reposted_tracks(limit=200)}
        me = fake.world.default_user_urn
        assert track in {t.urn async for t in sc.users.iter_reposted_tracks(me, limit=200)}
        with pytest.warns(DeprecationWarning, match="names no replacement"):
            await sc.reposts.unrepost_track(track)
        assert track not in {t.urn async for t in sc.me.iter_reposted_tracks(limit=200)}

    async def test_playlist(self, sc: SoundCloud, fake: FakeSoundCloud) -> None:
        """A reposted playlist shows in my reposted playlists until unreposted."""
        playlist = await some_playlist(sc, fake)
        await sc.reposts.repost_playlist(playlist)
        assert playlist in {p.urn async for p in sc.me.iter_reposted_playlists(limit=200)}
        await sc.reposts.unrepost_playlist(playlist)
        assert playlist not in {p.urn async for p in sc.me.iter_reposted_playlists(limit=200)}
        with pytest.raises(NotFound):
            await sc.reposts.unrepost_playlist(playlist)


class TestSpam:
    """A spam 429 is raised at once and never retried."""

    async def test_like_spam_block(self) -> None:
        """After the spam threshold, a like raises RateLimited with a spam_warning_urn,
        after exactly one request."""
        async with (
            FakeSoundCloud(seed=1, spam_after=1) as fake,
            SoundCloud(
                fake.issue_token(),
                base_url=fake.base_url,
                rate_limiter=Unlimited(),
                retry=RetryPolicy(wait=False),
            ) as sc,
        ):
            tracks = await sc.me.iter_followings_tracks(limit=10, max_items=2).collect()
            await sc.likes.like_track(tracks[0].urn or "")
            fake.reset_log()
            with pytest.raises(RateLimited) as info:
                await sc.likes.like_track(tracks[1].urn or "")
        assert info.value.spam_warning_urn
        assert 1 == fake.count("POST", "/likes/tracks/*")


class TestValidation:
    """Wrong kinds never reach the server."""

    async def test_nothing_sent(self, sc: SoundCloud, fake: FakeSoundCloud) -> None:
        """InvalidURN for a playlist URN where a track is expected, and vice versa."""
        fake.reset_log()
        with pytest.raises(InvalidURN):
            await sc.likes.like_track("soundcloud:playlists:1")
        with pytest.raises(InvalidURN):
            await sc.reposts.repost_playlist("soundcloud:tracks:1")
        assert [] == fake.requests
