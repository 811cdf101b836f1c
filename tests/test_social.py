"""``sc.likes`` and ``sc.reposts``: routes, validation, and spam blocks never retried."""

from __future__ import annotations

import pytest
from aioresponses import aioresponses

from soundcloud_async import InvalidURN, NotFound, RateLimited, SoundCloud
from tests.test_users import ANY, sent

T = "soundcloud:tracks:5"
P = "soundcloud:playlists:6"
SPAM = {
    "code": 429,
    "message": "You are sending too many requests",
    "link": "https://developers.soundcloud.com/docs/api/rate-limits",
    "spam_warning_urn": "soundcloud:spam-warnings:1",
}

WRITES = [
    ("likes", "like_track", 5, "POST", f"/likes/tracks/{T}"),
    ("likes", "unlike_track", T, "DELETE", f"/likes/tracks/{T}"),
    ("likes", "like_playlist", 6, "POST", f"/likes/playlists/{P}"),
    ("likes", "unlike_playlist", P, "DELETE", f"/likes/playlists/{P}"),
    ("reposts", "repost_track", T, "POST", f"/reposts/tracks/{T}"),
    ("reposts", "repost_playlist", "6", "POST", f"/reposts/playlists/{P}"),
    ("reposts", "unrepost_playlist", P, "DELETE", f"/reposts/playlists/{P}"),
]


class TestWrites:
    """Each like/repost method sends one request to its route and returns None."""

    @pytest.mark.parametrize(
        ("group", "name", "arg", "method", "path"), WRITES, ids=[w[1] for w in WRITES]
    )
    async def test_route(
        self,
        sc: SoundCloud,
        mocked: aioresponses,
        group: str,
        name: str,
        arg: object,
        method: str,
        path: str,
    ) -> None:
        """The URN goes into the spec's path as it is."""
        mocked.add(ANY, method=method, payload={"status": "200 - OK"})
        assert None is await getattr(getattr(sc, group), name)(arg)
        assert [(method, path, {})] == sent(mocked)

    async def test_unrepost_track_is_deprecated(self, sc: SoundCloud, mocked: aioresponses) -> None:
        """DELETE /reposts/tracks warns (no replacement named by SoundCloud) and still works."""
        mocked.delete(ANY, payload={"status": "200 - OK"})
        with pytest.warns(DeprecationWarning, match="names no replacement"):
            await sc.reposts.unrepost_track(T)
        assert [("DELETE", f"/reposts/tracks/{T}", {})] == sent(mocked)

    async def test_unlike_not_liked(self, sc: SoundCloud, mocked: aioresponses) -> None:
        """Unliking a track that is not liked raises NotFound."""
        mocked.delete(ANY, status=404, payload={"code": 404, "message": "not liked"})
        with pytest.raises(NotFound):
            await sc.likes.unlike_track(T)


class TestSpam:
    """A 429 with a spam_warning_urn is an account block: raised at once, never retried."""

    @pytest.mark.parametrize(
        ("group", "name", "arg"),
        [("likes", "like_track", T), ("likes", "like_playlist", P), ("reposts", "repost_track", T)],
    )
    async def test_not_retried(
        self, sc: SoundCloud, mocked: aioresponses, group: str, name: str, arg: str
    ) -> None:
        """One request, then RateLimited carrying the spam warning URN."""
        mocked.post(ANY, status=429, payload=SPAM, repeat=True)
        with pytest.raises(RateLimited) as info:
            await getattr(getattr(sc, group), name)(arg)
        assert "soundcloud:spam-warnings:1" == info.value.spam_warning_urn
        assert 1 == len(sent(mocked))


class TestValidation:
    """A URN of the wrong kind raises before any request is sent."""

    @pytest.mark.parametrize(
        ("group", "name", "arg"),
        [
            ("likes", "like_track", P),
            ("likes", "unlike_track", "soundcloud:users:1"),
            ("likes", "like_playlist", T),
            ("likes", "unlike_playlist", "https://soundcloud.com/a/sets/b"),
            ("reposts", "repost_track", ""),
            ("reposts", "repost_playlist", -3),
            ("reposts", "unrepost_playlist", None),
        ],
    )
    async def test_rejected(
        self, sc: SoundCloud, mocked: aioresponses, group: str, name: str, arg: object
    ) -> None:
        """InvalidURN, and nothing sent."""
        with pytest.raises(InvalidURN):
            await getattr(getattr(sc, group), name)(arg)
        assert [] == sent(mocked)
