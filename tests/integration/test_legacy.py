"""``sc.legacy`` over TCP against FakeSoundCloud: every seed operation, consumer_key auth."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from soundcloud_async import (
    URN,
    Comment,
    Forbidden,
    InvalidArgument,
    NotFound,
    RetryPolicy,
    SoundCloud,
    Track,
    Unauthorized,
    Unlimited,
    User,
)
from soundcloud_async.models import TrackMetadata
from soundcloud_async.testing import FakeSoundCloud

pytestmark = pytest.mark.integration


@pytest.fixture
async def public(fake: FakeSoundCloud) -> AsyncIterator[SoundCloud]:
    """A client with no access token: the consumer_key is its only credential."""
    async with SoundCloud(
        base_url=fake.base_url, rate_limiter=Unlimited(), retry=RetryPolicy(wait=False)
    ) as client:
        client.legacy.consumer_key = fake.client_id
        yield client


async def my_track(sc: SoundCloud) -> URN:
    """One of my own tracks."""
    tracks = await sc.me.iter_tracks(limit=1, max_items=1).collect()
    return URN(tracks[0].urn)


class TestConsumerKey:
    """Public legacy reads authenticate with consumer_key alone."""

    async def test_key_is_the_only_credential(
        self, public: SoundCloud, fake: FakeSoundCloud
    ) -> None:
        """The request carries consumer_key and no Authorization header."""
        tracks = await public.legacy.iter_tracks(limit=3, max_items=3).collect()
        assert 3 == len(tracks)
        record = fake.requests[-1]
        assert (False, fake.client_id) == (record.had_authorization, record.client_id)
        assert "consumer_key" in record.query

    async def test_unknown_key_is_401_and_masked(
        self, public: SoundCloud, fake: FakeSoundCloud
    ) -> None:
        """A wrong key is refused; the error message masks it."""
        with pytest.raises(Unauthorized) as info:
            await public.legacy.get_track(1, consumer_key="wrong-key-123")
        assert "wrong-key-123" not in str(info.value)
        assert "consumer_key=***" in str(info.value)

    async def test_official_routes_ignore_the_key(self, public: SoundCloud) -> None:
        """The key is sent on legacy routes only: official ones still need a token."""
        with pytest.raises(Unauthorized):
            await public.users.get(1)

    async def test_search_filters_page(self, public: SoundCloud, fake: FakeSoundCloud) -> None:
        """bpm, duration and created_at ranges filter, across pages, key kept on next_href."""
        paginator = public.legacy.iter_tracks(bpm=(120, 128), duration=(60_000, None), limit=5)
        tracks = await paginator.collect()
        assert tracks
        assert paginator.pages_fetched > 1
        assert all(120 <= (t.bpm or 0) <= 128 for t in tracks)
        assert all((t.duration or 0) >= 60_000 for t in tracks)
        first = fake.assert_called("GET", "/tracks.json")[0]
        ranges = {k: v for k, v in first.query.items() if k.startswith(("bpm", "duration"))}
        assert {"bpm-from": "120", "bpm-to": "128", "duration-from": "60000"} == ranges

    async def test_search_by_ids(self, public: SoundCloud) -> None:
        """ids= returns exactly those tracks."""
        some = await public.legacy.iter_tracks(limit=3, max_items=3).collect()
        ids = [t.urn or "" for t in some]
        found = await public.legacy.iter_tracks(ids=ids).collect()
        assert {*ids} == {t.urn for t in found}

    async def test_track_comments_user_and_group_lists(
        self, public: SoundCloud, fake: FakeSoundCloud
    ) -> None:
        """Read routes with numeric ids return the known models."""
        track = (await public.legacy.iter_tracks(limit=1, max_items=1).collect())[0]
        again = await public.legacy.get_track(URN(track.urn).id)
        assert track.urn == again.urn
        comments = await public.legacy.iter_comments(again.urn or "", max_items=3).collect()
        assert all(isinstance(c, Comment) for c in comments)
        user_id = URN(again.user.urn if again.user else "").id
        user_tracks = await public.legacy.iter_user_tracks(int(user_id)).collect()
        assert again.urn in {t.urn for t in user_tracks}
        group = await public.legacy.iter_group_tracks(
            fake.world.group_id(0), limit=5, max_items=10
        ).collect()
        assert 10 == len(group)
        assert all(isinstance(t, Track) for t in group)


class TestOwnerRoutes:
    """Routes that need my token: secret token, permissions, favorites, writes."""

    async def test_secret_token_get_and_reset(self, sc: SoundCloud) -> None:
        """A reset changes the token that GET returns."""
        track = await my_track(sc)
        before = await sc.legacy.secret_token(track)
        reset = await sc.legacy.reset_secret_token(track)
        after = await sc.legacy.secret_token(track)
        assert before["token"] != reset["token"]
        assert reset["token"] == after["token"]

    async def test_permissions(self, sc: SoundCloud) -> None:
        """Setting permissions replaces the permitted users."""
        track = await my_track(sc)
        followers = await sc.me.iter_followers(limit=2, max_items=2).collect()
        urns = [u.urn or "" for u in followers]
        updated = await sc.legacy.set_permissions(track, urns)
        assert sorted(urns) == sorted(u.urn or "" for u in updated)
        assert sorted(urns) == sorted(u.urn or "" for u in await sc.legacy.permissions(track))
        assert [] == await sc.legacy.set_permissions(track, [])
        assert all(isinstance(u, User) for u in updated)

    async def test_permissions_of_someone_elses_track(self, sc: SoundCloud) -> None:
        """Only the owner may read permissions."""
        other = (await sc.me.iter_followings_tracks(limit=1, max_items=1).collect())[0]
        with pytest.raises(Forbidden):
            await sc.legacy.permissions(other.urn or "")

    async def test_favorites_me_and_user(self, sc: SoundCloud, fake: FakeSoundCloud) -> None:
        """Favorites are likes: adding shows in my likes, removing takes it out."""
        liked = {t.urn async for t in sc.me.iter_liked_tracks(limit=200)}
        candidates = await sc.me.iter_followings_tracks(limit=50).collect()
        track = next(URN(t.urn) for t in candidates if t.urn not in liked)
        await sc.legacy.add_favorite(track.id)
        assert track in {t.urn async for t in sc.me.iter_liked_tracks(limit=200)}
        await sc.legacy.remove_favorite(track)
        assert track not in {t.urn async for t in sc.me.iter_liked_tracks(limit=200)}
        me = fake.world.default_user_urn
        await sc.legacy.add_user_favorite(me, track)
        assert track in {t.urn async for t in sc.me.iter_liked_tracks(limit=200)}
        await sc.legacy.remove_user_favorite(me, track)
        with pytest.raises(NotFound):
            await sc.legacy.remove_favorite(track)
        other = (await sc.me.iter_followings(limit=1, max_items=1).collect())[0]
        with pytest.raises(Forbidden):
            await sc.legacy.add_user_favorite(other.urn or "", track)

    async def test_upload_update_comment_delete(self, sc: SoundCloud) -> None:
        """A track uploaded through the legacy route can be updated, commented, deleted."""
        track = await sc.legacy.upload_track(
            "Legacy demo", b"ID3" + b"\0" * 2048, metadata=TrackMetadata(genre="Jazz")
        )
        assert ("Legacy demo", "Jazz") == (track.title, track.genre)
        mine = {t.urn async for t in sc.legacy.iter_my_tracks(limit=200)}
        assert track.urn in mine
        updated = await sc.legacy.update_track(track.urn or "", TrackMetadata(title="Renamed"))
        assert "Renamed" == updated.title
        comment = await sc.legacy.create_comment(track.urn or "", "first!", timestamp=1500)
        assert ("first!", 1500) == (comment.body, comment.timestamp)
        comments = await sc.legacy.iter_comments(track.urn or "").collect()
        assert ["first!"] == [c.body for c in comments]
        await sc.legacy.delete_track(track.urn or "")
        with pytest.raises(NotFound):
            await sc.legacy.get_track(track.urn or "")


class TestValidation:
    """Invalid arguments never reach the server."""

    async def test_nothing_sent(self, sc: SoundCloud, fake: FakeSoundCloud) -> None:
        """A non-json format, a bad filter, a bad group id raise before a request."""
        fake.reset_log()
        with pytest.raises(InvalidArgument, match="format must be 'json'"):
            await sc.legacy.get_track(1, format="xml")
        with pytest.raises(InvalidArgument, match="filter"):
            sc.legacy.iter_tracks(filter="everything")  # type: ignore[arg-type]
        with pytest.raises(InvalidArgument):
            sc.legacy.iter_group_tracks("soundcloud:users:1")
        assert [] == fake.requests
