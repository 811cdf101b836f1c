"""The SoundCloud client: lifecycle, session ownership, configuration and resolve()."""

from __future__ import annotations

import re
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses

from soundcloud_async import (
    URN,
    ClientStateError,
    DecodeError,
    InvalidArgument,
    InvalidURN,
    NotFound,
    Playlist,
    RetryPolicy,
    ServerError,
    SoundCloud,
    StaticToken,
    Track,
    User,
)
from soundcloud_async._ratelimit import TokenBucket, Unlimited
from tests.conftest import BASE, AutoClock

TRACK = {
    "kind": "track",
    "urn": "soundcloud:tracks:123",
    "id": 123,
    "title": "Flickermood",
    "created_at": "2019/01/15 15:40:49 +0000",
    "user": {"kind": "user", "urn": "soundcloud:users:3", "username": "forss"},
}


def client(clock: AutoClock, **kwargs: Any) -> SoundCloud:
    return SoundCloud("tok", rate_limiter=Unlimited(), clock=clock, sleep=clock.sleep, **kwargs)


class TestLifecycle:
    """Unopened, open, closed: no reuse, clear errors, no leaked sessions."""

    async def test_use_before_open(self, auto_clock: AutoClock) -> None:
        """Calling an endpoint before `async with` raises ClientStateError."""
        sc = client(auto_clock)
        with pytest.raises(ClientStateError, match="not open"):
            await sc.tracks.get(123)

    async def test_use_after_close(self, auto_clock: AutoClock) -> None:
        """Calling an endpoint after close raises ClientStateError."""
        async with client(auto_clock) as sc:
            pass
        assert sc.closed
        with pytest.raises(ClientStateError, match="closed"):
            await sc.users.get(1)

    async def test_no_reopen(self, auto_clock: AutoClock) -> None:
        """A closed client cannot be entered again."""
        sc = client(auto_clock)
        async with sc:
            pass
        with pytest.raises(ClientStateError, match="reopened"):
            await sc.__aenter__()

    async def test_no_double_open(self, auto_clock: AutoClock) -> None:
        """An open client cannot be entered twice."""
        async with client(auto_clock) as sc:
            with pytest.raises(ClientStateError, match="already open"):
                await sc.__aenter__()

    async def test_owned_session_closed(self, auto_clock: AutoClock) -> None:
        """The session the client created is closed with it."""
        async with client(auto_clock) as sc:
            session = sc._transport.session
            assert not session.closed
        assert session.closed

    async def test_borrowed_session_left_open(self, auto_clock: AutoClock) -> None:
        """A caller's session is used and never closed by the client."""
        async with aiohttp.ClientSession() as session:
            async with client(auto_clock, session=session) as sc:
                assert sc._transport.session is session
            assert not session.closed

    async def test_closed_borrowed_session(self, auto_clock: AutoClock) -> None:
        """A closed borrowed session is refused at open."""
        session = aiohttp.ClientSession()
        await session.close()
        with pytest.raises(ClientStateError, match="session"):
            await client(auto_clock, session=session).__aenter__()

    async def test_aclose_idempotent(self, auto_clock: AutoClock) -> None:
        """aclose() may be called more than once."""
        sc = client(auto_clock)
        await sc.__aenter__()
        await sc.aclose()
        await sc.aclose()
        assert sc.closed


class TestConfiguration:
    """Arguments are checked up front, and secrets stay out of reprs."""

    def test_token_and_auth_conflict(self) -> None:
        """access_token and auth are mutually exclusive."""
        with pytest.raises(InvalidArgument):
            SoundCloud("tok", auth=StaticToken("other"))

    @pytest.mark.parametrize("base_url", ["api.soundcloud.com", "ftp://x", "/relative"])
    def test_bad_base_url(self, base_url: str) -> None:
        """base_url must be an absolute http(s) URL."""
        with pytest.raises(InvalidArgument, match="base_url"):
            SoundCloud("tok", base_url=base_url)

    @pytest.mark.parametrize(
        "base_url",
        ["http://api.soundcloud.com", "http://10.0.0.5:8080", "HTTP://example.com/api"],
    )
    def test_plain_http_refused(self, base_url: str) -> None:
        """Plain http to another machine is refused: the token would travel in clear."""
        with pytest.raises(InvalidArgument, match="allow_insecure_http=True"):
            SoundCloud("tok", base_url=base_url)

    @pytest.mark.parametrize(
        "base_url",
        [
            "http://127.0.0.1:8080",
            "http://127.3.4.5",
            "http://localhost:1234",
            "http://LOCALHOST.",
            "http://[::1]:8080",
            "https://api.soundcloud.com",
            "https://10.0.0.5:8443",
        ],
    )
    def test_https_and_loopback_accepted(self, base_url: str) -> None:
        """https anywhere, and plain http on loopback (a local fake server), need no opt-in."""
        assert SoundCloud("tok", base_url=base_url).base_url

    async def test_opt_in_by_name(self, auto_clock: AutoClock) -> None:
        """allow_insecure_http=True accepts plain http, and with_auth() views keep it."""
        sc = SoundCloud("tok", base_url="http://api.internal:8080", allow_insecure_http=True)
        async with sc:
            assert "http://api.internal:8080" == sc._transport.base_url
            assert sc.with_auth("other").allow_insecure_http

    def test_transport_checks_too(self) -> None:
        """The transport refuses plain http on its own (it is the one way out)."""
        from soundcloud_async._http import Transport

        with pytest.raises(InvalidArgument, match="plain http"):
            Transport(
                None,  # type: ignore[arg-type]
                base_url="http://api.soundcloud.com",
                auth=None,
                limiter=Unlimited(),
                retry=RetryPolicy(),
                user_agent="x",
                timeout=None,  # type: ignore[arg-type]
                clock=lambda: 0.0,
                sleep=None,  # type: ignore[arg-type]
            )

    def test_bad_timeout(self) -> None:
        """A non-positive timeout is rejected."""
        with pytest.raises(InvalidArgument, match="timeout"):
            SoundCloud("tok", timeout=0)

    @pytest.mark.parametrize("token", ["", "  ", "a\nb"])
    def test_bad_token(self, token: str) -> None:
        """An empty or multi-line token is rejected before any request."""
        with pytest.raises(ValueError, match="access_token"):
            SoundCloud(token)

    def test_repr_hides_token(self) -> None:
        """Neither the client nor its auth shows the token."""
        sc = SoundCloud("very-secret-token")
        assert "very-secret-token" not in repr(sc) + repr(sc.auth)

    def test_default_limiter_is_adaptive_bucket(self) -> None:
        """By default each client gets a polite adaptive token bucket."""
        sc = SoundCloud("tok")
        assert isinstance(sc.rate_limiter, TokenBucket)
        assert sc.rate_limiter.adaptive

    def test_shared_limiter(self) -> None:
        """Two clients given one limiter share it."""
        bucket = TokenBucket(10)
        assert (
            SoundCloud("a", rate_limiter=bucket).rate_limiter
            is SoundCloud("b", rate_limiter=bucket).rate_limiter
        )


class TestEndpoints:
    """The endpoints of the core path, against aioresponses."""

    async def test_tracks_get(self, mocked: aioresponses, auto_clock: AutoClock) -> None:
        """tracks.get accepts an id and returns a typed Track with an aware date."""
        mocked.get(f"{BASE}/tracks/soundcloud:tracks:123", payload=TRACK)
        async with client(auto_clock) as sc:
            track = await sc.tracks.get(123)
        assert isinstance(track, Track)
        assert ("soundcloud:tracks:123", "Flickermood") == (track.urn, track.title)
        assert track.created_at is not None
        assert 2019 == track.created_at.year
        assert track.created_at.tzinfo is not None
        assert track.user is not None
        assert "forss" == track.user.username

    async def test_wrong_kind_rejected(self, auto_clock: AutoClock) -> None:
        """A user URN passed to tracks.get is rejected before any request."""
        async with client(auto_clock) as sc:
            with pytest.raises(InvalidURN, match="soundcloud:users:1"):
                await sc.tracks.get("soundcloud:users:1")
            assert 0 == sc.stats.requests

    async def test_not_found(self, mocked: aioresponses, auto_clock: AutoClock) -> None:
        """A 404 becomes NotFound."""
        mocked.get(f"{BASE}/users/soundcloud:users:9", status=404, payload={"code": 404})
        async with client(auto_clock) as sc:
            with pytest.raises(NotFound):
                await sc.users.get("soundcloud:users:9")

    async def test_non_object_body(self, mocked: aioresponses, auto_clock: AutoClock) -> None:
        """A JSON array where an object was expected is a DecodeError."""
        mocked.get(f"{BASE}/me", payload=[1, 2])
        async with client(auto_clock) as sc:
            with pytest.raises(DecodeError, match="Me"):
                await sc.me.get()

    async def test_me(self, mocked: aioresponses, auto_clock: AutoClock) -> None:
        """me.get returns the Me model with its quota."""
        mocked.get(
            f"{BASE}/me",
            payload={
                "urn": "soundcloud:users:7",
                "username": "me",
                "quota": {"unlimited_upload_quota": False, "upload_seconds_left": 100},
            },
        )
        async with client(auto_clock) as sc:
            me = await sc.me.get()
        assert "soundcloud:users:7" == me.urn
        assert me.quota is not None
        assert 100 == me.quota.upload_seconds_left

    async def test_iter_tracks_and_comments(
        self, mocked: aioresponses, auto_clock: AutoClock
    ) -> None:
        """users.iter_tracks and tracks.iter_comments page through typed items."""
        mocked.get(
            re.compile(rf"^{re.escape(BASE)}/users/soundcloud:users:3/tracks\?.*access=playable"),
            payload={"collection": [TRACK], "next_href": None},
        )
        mocked.get(
            re.compile(rf"^{re.escape(BASE)}/tracks/soundcloud:tracks:123/comments\?.*"),
            payload={
                "collection": [{"urn": "soundcloud:comments:1", "body": "nice", "timestamp": 1000}]
            },
        )
        async with client(auto_clock) as sc:
            tracks = await sc.users.iter_tracks(3, access="playable").collect()
            comments = await sc.tracks.iter_comments(123).collect()
        assert ["Flickermood"] == [t.title for t in tracks]
        assert [("nice", 1000)] == [(c.body, c.timestamp) for c in comments]

    async def test_iter_followers_resume(self, mocked: aioresponses, auto_clock: AutoClock) -> None:
        """users.iter_followers takes a checkpoint and resumes from it."""
        page2 = f"{BASE}/users/soundcloud:users:3/followers?cursor=abc&limit=1"
        mocked.get(
            re.compile(rf"^{re.escape(BASE)}/users/soundcloud:users:3/followers\?limit=1.*"),
            payload={"collection": [{"urn": "soundcloud:users:10"}], "next_href": page2},
        )
        mocked.get(
            re.compile(r".*cursor=abc.*"),
            payload={"collection": [{"urn": "soundcloud:users:11"}], "next_href": None},
        )
        async with client(auto_clock) as sc:
            followers = sc.users.iter_followers(3, limit=1)
            first = await followers.__anext__()
            saved = followers.checkpoint.dumps()
            rest = await sc.users.iter_followers(3, resume_from=saved).collect()
        assert ["soundcloud:users:10", "soundcloud:users:11"] == [u.urn for u in [first, *rest]]


class TestResolve:
    """resolve(): 302 Location header, falling back to the body."""

    LOCATION = f"{BASE}/tracks/soundcloud:tracks:123"

    async def test_location_header(self, mocked: aioresponses, auto_clock: AutoClock) -> None:
        """The Location header names the resource, which is then fetched."""
        mocked.get(
            re.compile(r".*/resolve\?url=.*"),
            status=302,
            headers={"Location": self.LOCATION},
            payload={"status": "302 - Found", "location": self.LOCATION},
        )
        mocked.get(self.LOCATION, payload=TRACK)
        async with client(auto_clock) as sc:
            found = await sc.resolve("https://soundcloud.com/forss/flickermood")
        assert isinstance(found, Track)
        assert "soundcloud:tracks:123" == found.urn

    async def test_body_fallback_numeric(self, mocked: aioresponses, auto_clock: AutoClock) -> None:
        """Without a Location header the body's numeric location is used."""
        mocked.get(
            re.compile(r".*/resolve\?url=.*"),
            status=302,
            payload={"status": "302 - Found", "location": f"{BASE}/users/3"},
        )
        async with client(auto_clock) as sc:
            urn = await sc.resolve("soundcloud.com/forss", urn_only=True)
        assert URN("soundcloud:users:3") == urn
        assert "users" == urn.kind

    async def test_playlist(self, mocked: aioresponses, auto_clock: AutoClock) -> None:
        """A playlist location yields a Playlist."""
        location = f"{BASE}/playlists/soundcloud:playlists:5"
        mocked.get(re.compile(r".*/resolve\?url=.*"), status=302, headers={"Location": location})
        mocked.get(location, payload={"kind": "playlist", "urn": "soundcloud:playlists:5"})
        async with client(auto_clock) as sc:
            found = await sc.resolve("https://on.soundcloud.com/AbCd")
        assert isinstance(found, Playlist)

    async def test_user_200(self, mocked: aioresponses, auto_clock: AutoClock) -> None:
        """A proxy that followed the redirect hands back the object itself."""
        mocked.get(
            re.compile(r".*/resolve\?url=.*"),
            payload={"kind": "user", "urn": "soundcloud:users:3"},
        )
        async with client(auto_clock) as sc:
            found = await sc.resolve("https://soundcloud.com/forss")
        assert isinstance(found, User)

    async def test_no_location(self, mocked: aioresponses, auto_clock: AutoClock) -> None:
        """A 302 without any location is a DecodeError."""
        mocked.get(re.compile(r".*/resolve\?url=.*"), status=302, body="")
        async with client(auto_clock) as sc:
            with pytest.raises(DecodeError, match="Location"):
                await sc.resolve("https://soundcloud.com/forss")

    @pytest.mark.parametrize(
        "url", ["", "   ", "https://example.com/forss", "ftp://soundcloud.com/x", 42]
    )
    async def test_bad_urls(self, url: Any, auto_clock: AutoClock) -> None:
        """Anything but a soundcloud.com URL is refused before a request."""
        async with client(auto_clock) as sc:
            with pytest.raises(InvalidArgument, match=r"soundcloud\.com") as exc:
                await sc.resolve(url)
            assert 0 == sc.stats.requests
        # Read by people at a command line too: no Python call syntax in it.
        assert "resolve()" not in str(exc.value)

    async def test_share_token_not_in_errors(
        self, mocked: aioresponses, auto_clock: AutoClock, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A private share link's s-token appears in no error message, repr or log line."""
        caplog.set_level("DEBUG")
        mocked.get(re.compile(r".*/resolve\?url=.*"), status=404, payload={"code": 404})
        mocked.get(re.compile(r".*/resolve\?url=.*"), status=503, body="")
        raised: list[BaseException] = []
        async with client(auto_clock, retry=RetryPolicy(max_attempts=1)) as sc:
            for url in (
                "https://soundcloud.com/forss/flickermood/s-TOPsecret1",
                "https://soundcloud.com/forss/sets/album/s-TOPsecret1",
                "https://example.com/forss/flickermood/s-TOPsecret1",
            ):
                with pytest.raises((NotFound, InvalidArgument, ServerError)) as caught:
                    await sc.resolve(url)
                raised.append(caught.value)
            with pytest.raises(InvalidArgument) as not_urn:
                await sc.tracks.get("https://soundcloud.com/forss/flickermood/s-TOPsecret1")
            raised.append(not_urn.value)
        assert [NotFound, ServerError, InvalidArgument, InvalidURN] == [type(e) for e in raised]
        for exc in raised:
            assert "TOPsecret1" not in f"{exc} {exc!r}"
        assert "TOPsecret1" not in caplog.text
        assert "s-***" in str(raised[0])

    async def test_not_found(self, mocked: aioresponses, auto_clock: AutoClock) -> None:
        """An unknown URL is NotFound."""
        mocked.get(re.compile(r".*/resolve\?url=.*"), status=404, payload={"code": 404})
        async with client(auto_clock) as sc:
            with pytest.raises(NotFound):
                await sc.resolve("https://soundcloud.com/nobody-here")


class TestDecodeErrorNamesTheMethod:
    """A write whose answer does not fit its model says which request it was."""

    async def test_put_answer_not_an_object(
        self, mocked: aioresponses, auto_clock: AutoClock
    ) -> None:
        """A PUT answered with a JSON array raises DecodeError naming PUT, not GET."""
        from soundcloud_async import PlaylistUpdate

        mocked.put(f"{BASE}/playlists/soundcloud:playlists:5", payload=[1, 2])
        async with client(auto_clock) as sc:
            with pytest.raises(DecodeError) as info:
                await sc.playlists.update(5, PlaylistUpdate(title="x"))
        assert "PUT" == info.value.method
