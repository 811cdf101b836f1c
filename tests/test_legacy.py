"""``sc.legacy``: the .json seed routes, numeric ids, consumer_key, filters, format."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aioresponses import aioresponses

from soundcloud_async import (
    Comment,
    InvalidArgument,
    InvalidURN,
    NotFound,
    Paginator,
    SoundCloud,
    Track,
    User,
)
from soundcloud_async._resources._params import Range
from soundcloud_async.models import TrackMetadata
from tests.test_users import ANY, paging, sent

KEY = "app-consumer-key"
T = "soundcloud:tracks:5"


class TestReads:
    """Reads go to the seed's .json path with numeric ids and the consumer_key."""

    async def test_track(self, sc: SoundCloud, mocked: aioresponses) -> None:
        """A URN becomes its numeric id; the key rides in the query string."""
        sc.legacy.consumer_key = KEY
        mocked.get(ANY, payload={"urn": T, "title": "x"})
        track = await sc.legacy.get_track(T)
        assert isinstance(track, Track)
        assert [("GET", "/tracks/5.json", {"consumer_key": KEY})] == sent(mocked)

    async def test_per_call_key(self, sc: SoundCloud, mocked: aioresponses) -> None:
        """A consumer_key argument overrides the group's key for one call."""
        sc.legacy.consumer_key = KEY
        mocked.get(ANY, payload={"collection": [{"body": "hi"}]})
        comments = await sc.legacy.iter_comments(5, consumer_key="other").collect()
        assert [Comment] == [type(c) for c in comments]
        assert [("GET", "/tracks/5/comments.json", paging(consumer_key="other"))] == sent(mocked)

    async def test_no_key_by_default(self, sc: SoundCloud, mocked: aioresponses) -> None:
        """Without a key nothing extra is sent (the access token authenticates)."""
        mocked.get(ANY, payload=[], repeat=True)
        await sc.legacy.iter_user_tracks("https://api.soundcloud.com/users/3").collect()
        await sc.legacy.iter_my_tracks().collect()
        await sc.legacy.iter_group_tracks("soundcloud:groups:12").collect()
        assert [
            ("GET", "/users/3/tracks.json", paging()),
            ("GET", "/me/tracks.json", paging()),
            ("GET", "/groups/12/tracks.json", paging()),
        ] == sent(mocked)

    async def test_search_filters(self, sc: SoundCloud, mocked: aioresponses) -> None:
        """The legacy filters are typed keywords sent in the legacy spelling."""
        mocked.get(ANY, payload={"collection": [], "next_href": None})
        when = dt.datetime(2020, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
        await sc.legacy.iter_tracks(
            q="piano",
            tags=["chill", "lo fi"],
            genres=["jazz"],
            filter="streamable",
            order="hotness",
            ids=[1, "soundcloud:tracks:2"],
            bpm=(120, 130),
            duration=Range(low=60_000),
            created_at=(None, when),
            consumer_key=KEY,
        ).collect()
        expected = paging(
            consumer_key=KEY,
            q="piano",
            tags="chill,lo fi",
            genres="jazz",
            filter="streamable",
            order="hotness",
            ids="1,2",
            **{
                "bpm-from": "120",
                "bpm-to": "130",
                "duration-from": "60000",
                "created_at-to": "2020-01-02 03:04:05",
            },
        )
        assert [("GET", "/tracks.json", expected)] == sent(mocked)

    async def test_permissions_and_secret_token(self, sc: SoundCloud, mocked: aioresponses) -> None:
        """Permissions are a list of users; the secret token is the decoded JSON."""
        mocked.get(ANY, payload=[{"urn": "soundcloud:users:1"}])
        mocked.get(ANY, payload={"kind": "secret-token", "token": "s-abc"})
        mocked.put(ANY, payload={"kind": "secret-token", "token": "s-new"})
        users = await sc.legacy.permissions(5)
        token = await sc.legacy.secret_token(5)
        reset = await sc.legacy.reset_secret_token(5)
        assert [User] == [type(u) for u in users]
        assert ("s-abc", "s-new") == (token["token"], reset["token"])
        assert [
            ("GET", "/tracks/5/permissions.json", {}),
            ("GET", "/tracks/5/secret-token.json", {}),
            ("PUT", "/tracks/5/secret-token.json", {}),
        ] == sent(mocked)


class TestWrites:
    """Writes send the legacy bodies to the .json paths."""

    async def test_update_delete_comment(self, sc: SoundCloud, mocked: aioresponses) -> None:
        """PUT/DELETE the track, POST a comment, PUT permissions."""
        mocked.put(ANY, payload={"urn": T, "title": "new"})
        mocked.delete(ANY, payload={"status": "200 - OK"})
        mocked.post(ANY, status=201, payload={"body": "nice", "timestamp": 1000})
        mocked.put(ANY, payload=[{"urn": "soundcloud:users:2"}])
        track = await sc.legacy.update_track(5, TrackMetadata(title="new"))
        await sc.legacy.delete_track(5)
        comment = await sc.legacy.create_comment(5, "nice", timestamp=1000)
        users = await sc.legacy.set_permissions(5, ["soundcloud:users:2"])
        assert ("new", 1000, 1) == (track.title, comment.timestamp, len(users))
        assert [
            ("PUT", "/tracks/5.json", {}),
            ("DELETE", "/tracks/5.json", {}),
            ("POST", "/tracks/5/comments.json", {}),
            ("PUT", "/tracks/5/permissions.json", {}),
        ] == sent(mocked)
        bodies = [call.kwargs.get("json") for calls in mocked.requests.values() for call in calls]
        assert {"track": {"title": "new"}} in bodies
        assert {"comment": {"body": "nice", "timestamp": 1000}} in bodies
        assert {"permissions": [{"user_id": 2}]} in bodies

    async def test_favorites(self, sc: SoundCloud, mocked: aioresponses) -> None:
        """Favorites for me and for a user, added and removed."""
        mocked.put(ANY, status=201, payload={"status": "201 - Created"}, repeat=True)
        mocked.delete(ANY, payload={"status": "200 - OK"}, repeat=True)
        await sc.legacy.add_favorite(5)
        await sc.legacy.remove_favorite(5)
        await sc.legacy.add_user_favorite(3, 5)
        await sc.legacy.remove_user_favorite(3, 5)
        assert [
            ("DELETE", "/me/favorites/5.json"),
            ("DELETE", "/users/3/favorites/5.json"),
            ("PUT", "/me/favorites/5.json"),
            ("PUT", "/users/3/favorites/5.json"),
        ] == sorted((method, path) for method, path, _ in sent(mocked))

    async def test_upload(self, sc: SoundCloud, mocked: aioresponses) -> None:
        """The upload is multipart with track[title] and track[asset_data]."""
        mocked.post(ANY, status=201, payload={"urn": T, "title": "demo"})
        track = await sc.legacy.upload_track(
            "demo", b"ID3" + b"\0" * 64, metadata=TrackMetadata(genre="Jazz")
        )
        assert "demo" == track.title
        [[call]] = mocked.requests.values()
        data = call.kwargs["data"]
        assert {"track[title]", "track[genre]", "track[asset_data]"} == set(data)


Coro = Callable[[SoundCloud], Awaitable[Any] | Paginator[Any]]


async def invoke(call: Coro, sc: SoundCloud) -> object:
    """Call, and await the result unless it is a (lazy) paginator."""
    result = call(sc)
    if isinstance(result, Paginator):
        return result
    return await result


class TestFormat:
    """The .{format} variants accept only json, with a clear error, before sending."""

    @pytest.mark.parametrize(
        "call",
        [
            pytest.param(lambda sc: sc.legacy.iter_tracks(format="xml"), id="tracks"),
            pytest.param(lambda sc: sc.legacy.get_track(1, format="xml"), id="track"),
            pytest.param(lambda sc: sc.legacy.delete_track(1, format="XML"), id="delete"),
            pytest.param(lambda sc: sc.legacy.iter_comments(1, format="js"), id="comments"),
            pytest.param(lambda sc: sc.legacy.permissions(1, format=""), id="permissions"),
            pytest.param(lambda sc: sc.legacy.secret_token(1, format="yaml"), id="secret"),
            pytest.param(lambda sc: sc.legacy.add_favorite(1, format="xml"), id="favorite"),
            pytest.param(
                lambda sc: sc.legacy.remove_user_favorite(1, 2, format="xml"), id="user-fav"
            ),
        ],
    )
    async def test_only_json(self, sc: SoundCloud, mocked: aioresponses, call: Coro) -> None:
        """InvalidArgument names the one accepted format."""
        with pytest.raises(InvalidArgument, match="format must be 'json'"):
            await invoke(call, sc)
        assert [] == sent(mocked)

    async def test_json_explicit(self, sc: SoundCloud, mocked: aioresponses) -> None:
        """format='json' is the .json path."""
        mocked.get(ANY, payload={"urn": T})
        await sc.legacy.get_track(5, format="json")
        assert [("GET", "/tracks/5.json", {})] == sent(mocked)


class TestValidation:
    """Bad arguments raise before any request is sent."""

    @pytest.mark.parametrize(
        ("call", "error"),
        [
            pytest.param(lambda sc: sc.legacy.iter_tracks(filter="hot"), InvalidArgument, id="f"),
            pytest.param(lambda sc: sc.legacy.iter_tracks(order="new"), InvalidArgument, id="o"),
            pytest.param(lambda sc: sc.legacy.iter_tracks(tags="a"), InvalidArgument, id="tags"),
            pytest.param(lambda sc: sc.legacy.iter_tracks(tags=["a,b"]), InvalidArgument, id="t,"),
            pytest.param(lambda sc: sc.legacy.iter_tracks(ids=[]), InvalidArgument, id="ids"),
            pytest.param(lambda sc: sc.legacy.iter_tracks(ids=[P]), InvalidURN, id="ids-kind"),
            pytest.param(lambda sc: sc.legacy.iter_tracks(bpm=(130, 120)), InvalidArgument, id="b"),
            pytest.param(lambda sc: sc.legacy.iter_tracks(q=""), InvalidArgument, id="q"),
            pytest.param(
                lambda sc: sc.legacy.iter_tracks(consumer_key=""), InvalidArgument, id="key"
            ),
            pytest.param(lambda sc: sc.legacy.iter_group_tracks("abc"), InvalidArgument, id="g"),
            pytest.param(lambda sc: sc.legacy.iter_group_tracks(True), InvalidArgument, id="gb"),
            pytest.param(lambda sc: sc.legacy.iter_user_tracks(T), InvalidURN, id="user-kind"),
            pytest.param(lambda sc: sc.legacy.get_track("x"), InvalidURN, id="track-id"),
            pytest.param(lambda sc: sc.legacy.create_comment(1, " "), InvalidArgument, id="body"),
            pytest.param(
                lambda sc: sc.legacy.create_comment(1, "x", timestamp=-1), InvalidArgument, id="ts"
            ),
            pytest.param(
                lambda sc: sc.legacy.set_permissions(1, "soundcloud:users:1"),
                InvalidArgument,
                id="perm-str",
            ),
            pytest.param(lambda sc: sc.legacy.upload_track("t", b""), InvalidArgument, id="asset"),
            pytest.param(
                lambda sc: sc.legacy.update_track(1, {"title": "x"}), InvalidArgument, id="meta"
            ),
        ],
    )
    async def test_rejected(
        self, sc: SoundCloud, mocked: aioresponses, call: Coro, error: type[Exception]
    ) -> None:
        """The error is raised and nothing is sent."""
        with pytest.raises(error):
            await invoke(call, sc)
        assert [] == sent(mocked)

    def test_bad_key_setting(self, sc: SoundCloud) -> None:
        """Setting an unusable key fails without echoing it."""
        with pytest.raises(InvalidArgument) as info:
            sc.legacy.consumer_key = "has space"
        assert "has space" not in str(info.value)


P = "soundcloud:playlists:1"


class TestRedaction:
    """The consumer_key never appears in errors or logs."""

    async def test_error_message(self, sc: SoundCloud, mocked: aioresponses) -> None:
        """A 404's message and url mask the key."""
        sc.legacy.consumer_key = KEY
        mocked.get(ANY, status=404, payload={"code": 404, "message": "404 - Not Found"})
        with pytest.raises(NotFound) as info:
            await sc.legacy.get_track(5)
        assert KEY not in str(info.value)
        assert KEY not in repr(info.value)
        assert "consumer_key=***" in info.value.url

    async def test_debug_log(
        self, sc: SoundCloud, mocked: aioresponses, caplog: pytest.LogCaptureFixture
    ) -> None:
        """The transport's debug line shows the masked key."""
        mocked.get(ANY, payload={"urn": T})
        with caplog.at_level(logging.DEBUG, logger="soundcloud_async"):
            await sc.legacy.get_track(5, consumer_key=KEY)
        assert KEY not in caplog.text
        assert "consumer_key=***" in caplog.text

    def test_repr(self, sc: SoundCloud) -> None:
        """The group's repr does not show the key."""
        sc.legacy.consumer_key = KEY
        assert "<Legacy>" == repr(sc.legacy)
