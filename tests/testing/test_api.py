"""The fake's API routes over loopback TCP: auth, ids, pagination, faults, resolve, media,
writes and the legacy ``.json`` routes."""

from __future__ import annotations

import io
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest

from soundcloud_async.testing._api import FOREIGN_HOST, MEDIA_LOG_KEY
from soundcloud_async.testing._media import MEDIA_KEY
from soundcloud_async.testing._world import World
from tests.testing._api_fixtures import ANONYMOUS, CLIENT, FakeApi, api, world

__all__ = ["api", "world"]  # fixtures, re-exported for pytest


def public_track(world: World, *, owner_not: int = 1, access: int = 0) -> int:
    return next(
        t
        for t in world.all_tracks().live_keys()
        if world.track_meta(t).owner != owner_not
        and not world.track_meta(t).private
        and world.track_meta(t).access == access
    )


def private_track_of_me(world: World) -> int:
    return next(t for t in world.user_tracks(1).live_keys() if world.track_meta(t).private)


class TestAuth:
    async def test_no_principal_is_401(self, api: FakeApi) -> None:
        """A request the auth layer let through without a principal gets 401."""
        reply = await api.get("/tracks?limit=1", user=ANONYMOUS)
        assert (401, 401) == (reply.status, reply.json["code"])

    async def test_client_credentials_cannot_use_me(self, api: FakeApi) -> None:
        """A token without a user gets 401 on /me."""
        assert 401 == (await api.get("/me", user=CLIENT)).status

    async def test_client_credentials_cannot_write(self, api: FakeApi) -> None:
        """A token without a user gets 401 on writes."""
        t = api.world.track_urn(public_track(api.world))
        assert 401 == (await api.call("POST", f"/likes/tracks/{t}", user=CLIENT)).status

    async def test_client_credentials_read_public(self, api: FakeApi) -> None:
        """A token without a user reads public resources."""
        t = api.world.track_urn(public_track(api.world))
        assert 200 == (await api.get(f"/tracks/{t}", user=CLIENT)).status

    async def test_private_track_only_for_its_owner(self, api: FakeApi) -> None:
        """A private track is 404 for others, 200 for its owner and with its secret token."""
        t = private_track_of_me(api.world)
        urn = api.world.track_urn(t)
        other = api.world.user_urn(2)
        token = api.world.secret_token(t)
        assert (200, 404, 200) == (
            (await api.get(f"/tracks/{urn}")).status,
            (await api.get(f"/tracks/{urn}", user=other)).status,
            (await api.get(f"/tracks/{urn}?secret_token={token}", user=other)).status,
        )


class TestIdentifiers:
    async def test_numeric_ids_still_work(self, api: FakeApi) -> None:
        """A deprecated numeric id finds the same track as its URN."""
        t = public_track(api.world)
        urn = api.world.track_urn(t)
        by_urn = (await api.get(f"/tracks/{urn}")).json
        by_id = (await api.get(f"/tracks/{urn.rsplit(':', 1)[1]}")).json
        assert by_urn == by_id

    @pytest.mark.parametrize(
        ("path", "status"),
        [
            ("/tracks/soundcloud:tracks:42", 404),
            ("/tracks/soundcloud:playlists:42", 400),
            ("/tracks/nope", 400),
            ("/users/soundcloud:users:99", 404),
            ("/playlists/soundcloud:tracks:1", 400),
        ],
    )
    async def test_unknown_and_malformed(self, api: FakeApi, path: str, status: int) -> None:
        """Unknown ids are 404, malformed or wrong-kind URNs 400, with the error body."""
        reply = await api.get(path)
        assert (status, status) == (reply.status, reply.json["code"])

    async def test_urns_query(self, api: FakeApi) -> None:
        """``urns`` fetches several tracks at once, skipping unknown ones."""
        w = api.world
        ts = [public_track(w), public_track(w, access=1)]
        urns = ",".join([*(w.track_urn(t) for t in ts), "soundcloud:tracks:1"])
        reply = await api.get(f"/tracks?urns={urns}&linked_partitioning=true")
        assert [w.track_urn(t) for t in ts] == [t["urn"] for t in reply.json["collection"]]

    async def test_ids_query_on_users(self, api: FakeApi) -> None:
        """The legacy ``ids`` parameter works on /users."""
        w = api.world
        ids = f"{w.user_id(3)},{w.user_id(4)}"
        reply = await api.get(f"/users?ids={ids}")
        assert [w.user_urn(3), w.user_urn(4)] == [u["urn"] for u in reply.json["collection"]]


class TestPagination:
    async def test_crawl_yields_the_whole_collection(self, api: FakeApi) -> None:
        """Following next_href yields every follower once, newest first."""
        w = api.world
        u = 5
        items = await api.crawl(f"/users/{w.user_urn(u)}/followers?limit=3&linked_partitioning=1")
        assert [w.user_urn(v) for v in w.followers(u).live_keys(newest_first=True)] == [
            i["urn"] for i in items
        ]

    async def test_next_href_is_on_the_serving_origin(self, api: FakeApi) -> None:
        """next_href points back at the fake and keeps the request's own parameters."""
        reply = await api.get("/tracks?q=the&limit=2&linked_partitioning=true")
        nxt = urlsplit(reply.json["next_href"])
        assert (api.base, ["the"], ["2"]) == (
            f"{nxt.scheme}://{nxt.netloc}",
            parse_qs(nxt.query)["q"],
            parse_qs(nxt.query)["limit"],
        )

    async def test_followers_next_href_uses_page_size(self, api: FakeApi) -> None:
        """Some collections spell the page size ``page_size`` in next_href."""
        me = api.world.default_user_urn
        reply = await api.get(f"/users/{me}/followings?limit=2")
        assert ["2"] == parse_qs(urlsplit(reply.json["next_href"]).query)["page_size"]

    async def test_page_size_is_a_synonym_of_limit(self, api: FakeApi) -> None:
        """``page_size`` sets the page size like ``limit``."""
        me = api.world.default_user_urn
        reply = await api.get(f"/users/{me}/followings?page_size=4")
        assert 4 == len(reply.json["collection"])

    async def test_limit_is_clamped_to_200(self, api: FakeApi) -> None:
        """A limit above 200 gives 200 items."""
        reply = await api.get("/users?limit=500&linked_partitioning=true")
        assert 200 == len(reply.json["collection"])

    @pytest.mark.parametrize("query", ["limit=0", "limit=x", "offset=-1", "cursor=bogus"])
    async def test_bad_paging_parameters_are_400(self, api: FakeApi, query: str) -> None:
        """Bad limit, offset or cursor values are 400."""
        assert 400 == (await api.get(f"/users?{query}")).status

    async def test_without_linked_partitioning_tracks_are_a_bare_array(self, api: FakeApi) -> None:
        """Old list endpoints answer a bare array (the first page)."""
        me = api.world.default_user_urn
        reply = await api.get(f"/users/{me}/tracks?limit=3")
        assert (list, 3) == (type(reply.json), len(reply.json))

    async def test_last_page_has_null_next_href(self, api: FakeApi) -> None:
        """The end of a collection is a null next_href."""
        me = api.world.default_user_urn
        reply = await api.get(f"/users/{me}/web-profiles")
        page = await api.get(f"/users/{me}/tracks?limit=200&linked_partitioning=true")
        assert (list, None) == (type(reply.json), page.json["next_href"])

    async def test_offset_skips_items(self, api: FakeApi) -> None:
        """The deprecated ``offset`` skips items."""
        me = api.world.default_user_urn
        all_ = (await api.get(f"/users/{me}/followings?limit=6")).json["collection"]
        later = (await api.get(f"/users/{me}/followings?limit=3&offset=3")).json["collection"]
        assert [u["urn"] for u in all_[3:]] == [u["urn"] for u in later]

    async def test_cursor_is_stable_while_the_collection_grows(self, api: FakeApi) -> None:
        """New followers arriving during a crawl cause no skip and no repeat."""
        w = api.world
        target = 7
        expected = [w.user_urn(v) for v in w.followers(target).live_keys(newest_first=True)]
        newcomers = [u for u in range(10, 300) if not w.is_following(u, target)][:20]
        url: str | None = f"/users/{w.user_urn(target)}/followers?limit=2&linked_partitioning=1"
        seen: list[str] = []
        while url is not None:
            page = (await api.get(url)).json
            seen += [u["urn"] for u in page["collection"]]
            for _ in range(2):
                if newcomers:
                    w.follow(newcomers.pop(), target)
            url = page["next_href"]
        assert expected == seen

    async def test_oldest_first_crawl_sees_new_uploads_once(self, api: FakeApi) -> None:
        """``sort=asc`` crawls reach tracks uploaded meanwhile, each exactly once."""
        w = api.world
        me = w.default_user_urn
        url: str | None = "/me/tracks?sort=asc&limit=3&linked_partitioning=true"
        seen: list[str] = []
        uploads = 0
        while url is not None:
            page = (await api.get(url)).json
            seen += [t["urn"] for t in page["collection"]]
            if uploads < 3:
                w.create_track(1, {"title": f"during crawl {uploads}"})
                uploads += 1
            url = page["next_href"]
        expected = [w.track_urn(t) for t in w.user_tracks(1).live_keys()]
        assert (expected, me) == (seen, w.default_user_urn)

    async def test_access_filter_gives_short_and_empty_pages(self, api: FakeApi) -> None:
        """Items the access filter drops leave short or empty pages that still go on."""
        w = api.world
        user = w.add_user("Filter Test")
        tracks = [w.add_track(user["urn"], f"t{i}") for i in range(4)]
        for t in tracks[2:]:
            w.set_access(w.track_index(t["urn"]) or 0, "blocked")
        url = f"/users/{user['urn']}/tracks?limit=2&linked_partitioning=true&access=playable"
        first = (await api.get(url)).json
        second = (await api.get(first["next_href"])).json
        assert ([], True) == (first["collection"], first["next_href"] is not None)
        assert ([tracks[1]["urn"], tracks[0]["urn"]], None) == (
            [t["urn"] for t in second["collection"]],
            second["next_href"],
        )

    async def test_access_all_values_shows_blocked(self, api: FakeApi) -> None:
        """``access=playable,preview,blocked`` includes blocked tracks."""
        w = api.world
        user = w.add_user("Blocked Test")
        t = w.add_track(user["urn"], "blocked one")
        w.set_access(w.track_index(t["urn"]) or 0, "blocked")
        base = f"/users/{user['urn']}/tracks?linked_partitioning=true"
        default = (await api.get(base)).json["collection"]
        everything = (await api.get(base + "&access=playable,preview,blocked")).json["collection"]
        assert (0, 1) == (len(default), len(everything))

    async def test_bad_access_value_is_400(self, api: FakeApi) -> None:
        """Unknown access values are 400."""
        assert 400 == (await api.get("/tracks?access=playable,free")).status


class TestFaults:
    async def test_repeat_next_loops(self, api: FakeApi) -> None:
        """``repeat_next`` returns the URL requested as next_href."""
        path = "/users?limit=2&linked_partitioning=true"
        reply = await api.get(path, fault="repeat_next")
        assert api.base + path == reply.json["next_href"]

    async def test_foreign_next_moves_host(self, api: FakeApi) -> None:
        """``foreign_next`` puts next_href on an internal host, path and query kept."""
        normal = (await api.get("/users?limit=2&linked_partitioning=true")).json["next_href"]
        faulty = await api.get("/users?limit=2&linked_partitioning=true", fault="foreign_next")
        got = urlsplit(faulty.json["next_href"])
        want = urlsplit(normal)
        assert (FOREIGN_HOST, want.path, want.query) == (
            f"{got.scheme}://{got.netloc}",
            got.path,
            got.query,
        )

    async def test_empty_page_loses_nothing(self, api: FakeApi) -> None:
        """``empty_page`` answers no items and a next_href that resumes at the same place."""
        path = "/users?limit=3&linked_partitioning=true"
        normal = (await api.get(path)).json
        empty = (await api.get(path, fault="empty_page")).json
        resumed = (await api.get(empty["next_href"])).json
        assert ([], True) == (empty["collection"], empty["next_href"] != api.base + path)
        assert normal["collection"] == resumed["collection"]

    async def test_empty_page_mid_crawl(self, api: FakeApi) -> None:
        """An empty page in the middle of a crawl still leads to every item."""
        w = api.world
        u = 5
        url: str | None = f"/users/{w.user_urn(u)}/followers?limit=2&linked_partitioning=1"
        seen: list[str] = []
        n = 0
        while url is not None:
            page = (await api.get(url, fault="empty_page" if n == 1 else None)).json
            seen += [x["urn"] for x in page["collection"]]
            url = page["next_href"]
            n += 1
        assert [w.user_urn(v) for v in w.followers(u).live_keys(newest_first=True)] == seen


class TestResolve:
    async def resolve(self, api: FakeApi, url: str, **kw: str) -> tuple[int, str | None]:
        reply = await api.get("/resolve", params={"url": url}, **kw)  # type: ignore[arg-type]
        if reply.status != 302:
            return reply.status, None
        assert reply.headers["Location"] == reply.json["location"]
        assert "302 - Found" == reply.json["status"]
        return reply.status, reply.headers["Location"].removeprefix(api.base)

    async def test_user(self, api: FakeApi) -> None:
        """A profile URL resolves to the user."""
        w = api.world
        assert (302, f"/users/{w.user_urn(17)}") == await self.resolve(
            api, f"https://soundcloud.com/{w.user_permalink(17)}"
        )

    async def test_track(self, api: FakeApi) -> None:
        """A track page URL (query string and trailing slash ignored) resolves to the track."""
        w = api.world
        t = public_track(w)
        url = w.track_dict(t)["permalink_url"] + "/?si=abc&utm_source=x"
        assert (302, f"/tracks/{w.track_urn(t)}") == await self.resolve(api, url)

    async def test_playlist(self, api: FakeApi) -> None:
        """A set URL resolves to the playlist."""
        w = api.world
        p = next(p for p in w.all_playlists().live_keys() if not w.playlist_meta(p).private)
        url = w.playlist_dict(p)["permalink_url"]
        assert (302, f"/playlists/{w.playlist_urn(p)}") == await self.resolve(api, url)

    async def test_private_track_with_secret_link(self, api: FakeApi) -> None:
        """A private track's secret link resolves for anyone; without the token, 404."""
        w = api.world
        t = private_track_of_me(w)
        url = w.track_dict(t)["permalink_url"]
        token = w.secret_token(t)
        other = w.user_urn(2)
        assert (302, f"/tracks/{w.track_urn(t)}?secret_token={token}") == await self.resolve(
            api, f"{url}/{token}", user=other
        )
        assert (404, None) == await self.resolve(api, url, user=other)

    async def test_short_link(self, api: FakeApi) -> None:
        """An on.soundcloud.com short link resolves to its track."""
        w = api.world
        urn = next(u for u in w.tracks_with_short_links() if w.track(u)["sharing"] == "public")  # type: ignore[index]
        link = w.short_link(urn)
        assert link is not None
        assert (302, f"/tracks/{urn}") == await self.resolve(api, link)

    @pytest.mark.parametrize("form", ["urn", "numeric"])
    async def test_api_urls(self, api: FakeApi, form: str) -> None:
        """api.soundcloud.com URLs resolve, keeping their id form."""
        w = api.world
        ident = w.user_urn(9) if form == "urn" else str(w.user_id(9))
        assert (302, f"/users/{ident}") == await self.resolve(
            api, f"https://api.soundcloud.com/users/{ident}"
        )

    @pytest.mark.parametrize(
        "url",
        [
            "https://soundcloud.com/no-such-user-anywhere",
            "https://example.com/test-user",
            "https://on.soundcloud.com/zzzzzz",
            "https://soundcloud.com/test-user/no-such-track",
        ],
    )
    async def test_unknown_is_404_with_error_body(self, api: FakeApi, url: str) -> None:
        """Unknown URLs are 404 with the error body."""
        reply = await api.get("/resolve", params={"url": url})
        assert (404, 404) == (reply.status, reply.json["code"])


class TestMedia:
    async def test_preview_redirects(self, api: FakeApi) -> None:
        """``/preview`` is a 302 to a media URL on the serving origin."""
        t = api.world.track_urn(public_track(api.world))
        reply = await api.get(f"/tracks/{t}/preview")
        assert (302, True) == (reply.status, reply.headers["Location"].startswith(api.base))

    async def test_streams_are_served(self, api: FakeApi) -> None:
        """Every stream URL answers 302 to a signed CDN URL that serves audio."""
        t = public_track(api.world)
        urn = api.world.track_urn(t)
        streams = (await api.get(f"/tracks/{urn}/streams")).json
        hops = {name: await api.get(url) for name, url in streams.items()}
        served = {name: await api.get(hop.headers["Location"]) for name, hop in hops.items()}
        assert {302} == {hop.status for hop in hops.values()}
        assert {200} == {reply.status for reply in served.values()}
        assert all("Signature=" in hop.headers["Location"] for hop in hops.values())
        assert served["hls_mp3_128_url"].body.startswith(b"#EXTM3U")
        assert api.app[MEDIA_KEY].expected_audio(urn, "preview_mp3_128") == (
            served["preview_mp3_128_url"].body
        )

    async def test_preview_only_track_has_only_a_preview_stream(self, api: FakeApi) -> None:
        """A ``preview`` track offers only the preview URL; a blocked one none."""
        w = api.world
        preview = w.track_urn(public_track(w, access=1))
        blocked = w.track_urn(public_track(w, access=2))
        assert (["preview_mp3_128_url"], 404) == (
            sorted((await api.get(f"/tracks/{preview}/streams")).json),
            (await api.get(f"/tracks/{blocked}/streams")).status,
        )

    async def test_mp3_redirects_to_the_other_host_name(self, api: FakeApi) -> None:
        """The mp3 stream redirects to the CDN on the other loopback host name."""
        t = api.world.track_urn(public_track(api.world))
        streams = (await api.get(f"/tracks/{t}/streams")).json
        reply = await api.get(streams["http_mp3_128_url"])
        loc = urlsplit(reply.headers["Location"])
        assert (302, "localhost", urlsplit(api.base).port) == (
            reply.status,
            loc.hostname,
            loc.port,
        )

    async def test_cdn_records_whether_authorization_arrived(self, api: FakeApi) -> None:
        """The CDN serves without auth and records whether Authorization came along."""
        t = api.world.track_urn(public_track(api.world))
        streams = (await api.get(f"/tracks/{t}/streams")).json
        url = (await api.get(streams["http_mp3_128_url"])).headers["Location"]
        async with aiohttp.ClientSession() as plain:
            async with plain.get(url) as bare:
                bare_header = bare.headers["X-Fake-Authorization"]
            async with plain.get(url, headers={"Authorization": "OAuth x"}) as authed:
                authed_header = authed.headers["X-Fake-Authorization"]
        log = api.app[MEDIA_LOG_KEY]
        assert ("absent", "present", [False, True]) == (
            bare_header,
            authed_header,
            [hit.authorization for hit in log[-2:]],
        )

    async def test_media_needs_a_principal(self, api: FakeApi) -> None:
        """Stream URLs need authentication."""
        tid = api.world.track_id(public_track(api.world))
        reply = await api.get(f"/media/{tid}/preview_mp3_128/preview.mp3", user=ANONYMOUS)
        assert 401 == reply.status


class TestWrites:
    async def test_upload_streams_and_counts_bytes(self, api: FakeApi) -> None:
        """A multipart upload creates a track; the asset is counted, not kept."""
        form = aiohttp.FormData()
        form.add_field("track[title]", "Big Upload")
        form.add_field("track[tag_list]", 'live "field recording"')
        form.add_field("track[asset_data]", io.BytesIO(b"\x00" * 3_000_000), filename="big.wav")
        form.add_field("track[artwork_data]", b"\x89PNG" * 10, filename="a.png")
        reply = await api.call("POST", "/tracks", data=form)
        assert 201 == reply.status
        t = api.world.track_index(reply.json["urn"])
        assert t is not None
        assert ("Big Upload", 3_000_000, reply.headers["Location"]) == (
            reply.json["title"],
            api.world.upload_size(t),
            f"{api.base}/tracks/{reply.json['urn']}",
        )

    @pytest.mark.parametrize("missing", ["track[title]", "track[asset_data]"])
    async def test_upload_requires_title_and_asset(self, api: FakeApi, missing: str) -> None:
        """Without a title or an asset the upload is 422."""
        form = aiohttp.FormData()
        if missing != "track[title]":
            form.add_field("track[title]", "x")
        if missing != "track[asset_data]":
            form.add_field("track[asset_data]", b"abc", filename="a.mp3")
        assert 422 == (await api.call("POST", "/tracks", data=form)).status

    async def test_update_track_json_and_form(self, api: FakeApi) -> None:
        """PUT /tracks takes JSON ``{"track": …}`` and form ``track[…]`` fields."""
        w = api.world
        urn = w.track_urn(next(w.user_tracks(1).live_keys()))
        a = await api.call("PUT", f"/tracks/{urn}", json={"track": {"title": "From JSON"}})
        b = await api.call("PUT", f"/tracks/{urn}", data={"track[genre]": "Ambient"})
        got = (await api.get(f"/tracks/{urn}")).json
        assert (200, 200, "From JSON", "Ambient") == (
            a.status,
            b.status,
            got["title"],
            got["genre"],
        )

    async def test_update_validates(self, api: FakeApi) -> None:
        """Invalid values are 400; others' tracks 403."""
        w = api.world
        mine = w.track_urn(next(w.user_tracks(1).live_keys()))
        theirs = w.track_urn(public_track(w))
        bad = await api.call("PUT", f"/tracks/{mine}", json={"track": {"sharing": "friends"}})
        other = await api.call("PUT", f"/tracks/{theirs}", json={"track": {"title": "x"}})
        assert (400, 403) == (bad.status, other.status)

    async def test_delete_track(self, api: FakeApi) -> None:
        """A deleted track is 404 afterwards."""
        urn = api.world.track_urn(next(api.world.user_tracks(1).live_keys()))
        assert 200 == (await api.call("DELETE", f"/tracks/{urn}")).status
        assert 404 == (await api.get(f"/tracks/{urn}")).status

    async def test_playlist_lifecycle_json(self, api: FakeApi) -> None:
        """Create, update and delete a playlist with JSON bodies."""
        w = api.world
        t1, t2 = (w.track_urn(t) for t in list(w.user_tracks(1).live_keys())[:2])
        created = await api.call(
            "POST", "/playlists", json={"playlist": {"title": "Mine", "tracks": [{"urn": t1}]}}
        )
        urn = created.json["urn"]
        updated = await api.call(
            "PUT",
            f"/playlists/{urn}",
            json={"playlist": {"tracks": [{"urn": t2}, {"urn": t1}], "sharing": "private"}},
        )
        deleted = await api.call("DELETE", f"/playlists/{urn}")
        assert (201, [t1], [t2, t1], "private", 200, 404) == (
            created.status,
            [t["urn"] for t in created.json["tracks"]],
            [t["urn"] for t in updated.json["tracks"]],
            updated.json["sharing"],
            deleted.status,
            (await api.get(f"/playlists/{urn}")).status,
        )

    async def test_playlist_form_with_comma_separated_tracks(self, api: FakeApi) -> None:
        """The form variant takes ``playlist[tracks][][urn]`` as a comma separated list."""
        w = api.world
        t1, t2 = (w.track_urn(t) for t in list(w.user_tracks(1).live_keys())[:2])
        form = aiohttp.FormData()
        form.add_field("playlist[title]", "Form Set")
        form.add_field("playlist[tracks][][urn]", f"{t1},{t2}")
        reply = await api.call("POST", "/playlists", data=form)
        assert (201, [t1, t2]) == (reply.status, [t["urn"] for t in reply.json["tracks"]])

    async def test_playlist_with_unknown_track_is_404(self, api: FakeApi) -> None:
        """A playlist naming an unknown track is 404."""
        body = {"playlist": {"title": "x", "tracks": [{"urn": "soundcloud:tracks:1"}]}}
        assert 404 == (await api.call("POST", "/playlists", json=body)).status

    async def test_comment_with_timestamp(self, api: FakeApi) -> None:
        """A posted comment appears first in the track's comments, with its timestamp."""
        w = api.world
        t = next(t for t in range(200) if w.track_dict(t)["commentable"] and w.track_visible(t, 1))
        urn = w.track_urn(t)
        posted = await api.call(
            "POST", f"/tracks/{urn}/comments", json={"comment": {"body": "hi", "timestamp": "1500"}}
        )
        listed = (await api.get(f"/tracks/{urn}/comments?limit=1")).json["collection"]
        assert (201, 1500, posted.json["urn"]) == (
            posted.status,
            posted.json["timestamp"],
            listed[0]["urn"],
        )

    async def test_empty_comment_is_422(self, api: FakeApi) -> None:
        """A comment without a body is 422."""
        urn = api.world.track_urn(public_track(api.world))
        reply = await api.call("POST", f"/tracks/{urn}/comments", json={"comment": {"body": ""}})
        assert 422 == reply.status

    async def test_like_and_unlike(self, api: FakeApi) -> None:
        """A liked track leads /me/likes/tracks; unliking removes it; unliking again 404."""
        w = api.world
        t = next(t for t in range(500) if not w.likes_track(1, t) and w.track_visible(t, 1))
        urn = w.track_urn(t)
        liked = await api.call("POST", f"/likes/tracks/{urn}")
        first = (await api.get("/me/likes/tracks?limit=1&linked_partitioning=1")).json
        unliked = await api.call("DELETE", f"/likes/tracks/{urn}")
        again = await api.call("DELETE", f"/likes/tracks/{urn}")
        assert (200, urn, 200, 404) == (
            liked.status,
            first["collection"][0]["urn"],
            unliked.status,
            again.status,
        )

    async def test_user_favorite_flag_on_single_track(self, api: FakeApi) -> None:
        """``user_favorite`` is true on a track the caller likes."""
        w = api.world
        t = next(t for t in w.liked_tracks(1).live_keys() if w.track_visible(t, 1))
        assert (await api.get(f"/tracks/{w.track_urn(t)}")).json["user_favorite"]

    async def test_repost_and_unrepost(self, api: FakeApi) -> None:
        """Reposting shows in /me/reposts/tracks; removing it too."""
        w = api.world
        t = next(
            t
            for t in range(500)
            if w.track_visible(t, 1) and t not in set(w.reposted_tracks(1).live_keys())
        )
        urn = w.track_urn(t)
        posted = await api.call("POST", f"/reposts/tracks/{urn}")
        first = (await api.get("/me/reposts/tracks?limit=1&linked_partitioning=1")).json
        removed = await api.call("DELETE", f"/reposts/tracks/{urn}")
        assert (201, urn, 200) == (posted.status, first["collection"][0]["urn"], removed.status)

    async def test_follow_unfollow(self, api: FakeApi) -> None:
        """PUT follows (201 with the user), again is 200; DELETE unfollows."""
        w = api.world
        v = next(v for v in range(2, 300) if not w.is_following(1, v))
        urn = w.user_urn(v)
        first = await api.call("PUT", f"/me/followings/{urn}")
        second = await api.call("PUT", f"/me/followings/{urn}")
        check = await api.get(f"/me/followings/{urn}")
        gone = await api.call("DELETE", f"/me/followings/{urn}")
        assert (201, urn, 200, 200, 200, 404) == (
            first.status,
            first.json["urn"],
            second.status,
            check.status,
            gone.status,
            (await api.get(f"/me/followings/{urn}")).status,
        )

    async def test_cannot_follow_yourself(self, api: FakeApi) -> None:
        """Following yourself is 422."""
        me = api.world.default_user_urn
        assert 422 == (await api.call("PUT", f"/me/followings/{me}")).status

    async def test_storefront_rules(self, api: FakeApi) -> None:
        """Storefront: 403 for others' tracks, 400 for a bad type, 200 otherwise."""
        w = api.world
        mine = w.track_urn(next(w.user_tracks(1).live_keys()))
        theirs = w.track_urn(public_track(w))
        good = {"title": "Buy", "type": "vinyl", "link": "https://shop.example.com"}
        assert (403, 400, 200) == (
            (await api.call("PUT", f"/tracks/{theirs}/storefront", json=good)).status,
            (
                await api.call("PUT", f"/tracks/{mine}/storefront", json={**good, "type": "nft"})
            ).status,
            (await api.call("PUT", f"/tracks/{mine}/storefront", json=good)).status,
        )

    async def test_feed_future_href_shows_new_uploads(self, api: FakeApi) -> None:
        """After a followed user uploads, the feed's future_href returns the new track."""
        w = api.world
        page = (await api.get("/me/activities?limit=5")).json
        followed = next(w.followings(1).live_keys())
        t = w.create_track(followed, {"title": "Fresh"})
        newer = (await api.get(page["future_href"])).json
        assert [w.track_urn(t)] == [a["origin"]["urn"] for a in newer["collection"]]


#: Bodies aiohttp cannot parse, each with the Content-Type it is sent with.
MALFORMED_BODIES = {
    "no boundary": (
        "multipart/form-data",
        b'--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n--x--\r\n',
    ),
    "bad part header": (
        "multipart/form-data; boundary=x",
        b"--x\r\nthis is not a header\r\n\r\nb\r\n--x--\r\n",
    ),
    "non-UTF-8 field without a filename": (
        "multipart/form-data; boundary=x",
        b'--x\r\nContent-Disposition: form-data; name="f[title]"\r\n\r\n\xff\xfe\r\n--x--\r\n',
    ),
    "unknown charset": (
        "multipart/form-data; boundary=x",
        b'--x\r\nContent-Disposition: form-data; name="f[title]"\r\n'
        b"Content-Type: text/plain; charset=no-such-charset\r\n\r\nabc\r\n--x--\r\n",
    ),
    "no closing boundary": (
        "multipart/form-data; boundary=x",
        b'--x\r\nContent-Disposition: form-data; name="f[title]"\r\n\r\nabc',
    ),
    "not multipart at all": ("multipart/form-data; boundary=x", b"hello"),
    "urlencoded, not UTF-8": ("application/x-www-form-urlencoded", b"f[title]=\xff\xfe"),
}


class TestMalformedBodies:
    """A body aiohttp cannot parse is a 400 with SoundCloud's error body, never a 500."""

    @pytest.mark.parametrize("case", sorted(MALFORMED_BODIES))
    @pytest.mark.parametrize(
        "route",
        [
            "POST /playlists",
            "PUT /playlists/{playlist}",
            "POST /tracks",
            "PUT /tracks/{track}",
            "POST /tracks/{track}/comments",
        ],
    )
    async def test_answers_400(self, api: FakeApi, route: str, case: str) -> None:
        """Each write route answers 400 ``bad_request`` for each malformed body."""
        w = api.world
        method, path = route.split(" ")
        path = path.format(
            track=w.track_urn(next(w.user_tracks(1).live_keys())),
            playlist=w.playlist_urn(next(w.user_playlists(1).live_keys())),
        )
        content_type, body = MALFORMED_BODIES[case]
        reply = await api.call(method, path, data=body, headers={"Content-Type": content_type})
        assert (400, 400) == (reply.status, reply.json["code"])
        assert "malformed" in reply.json["message"]


class TestLegacy:
    async def test_track_json(self, api: FakeApi) -> None:
        """``/tracks/{id}.json`` answers the track."""
        t = public_track(api.world)
        reply = await api.get(f"/tracks/{api.world.track_id(t)}.json", user=CLIENT)
        assert (200, api.world.track_urn(t)) == (reply.status, reply.json["urn"])

    async def test_other_formats_are_400(self, api: FakeApi) -> None:
        """Only ``.json`` is served."""
        t = public_track(api.world)
        assert 400 == (await api.get(f"/tracks/{api.world.track_id(t)}.xml")).status

    async def test_track_json_put_and_delete(self, api: FakeApi) -> None:
        """PUT and DELETE work on ``.json`` paths."""
        w = api.world
        tid = w.track_id(next(w.user_tracks(1).live_keys()))
        put = await api.call("PUT", f"/tracks/{tid}.json", data={"track[title]": "Legacy"})
        deleted = await api.call("DELETE", f"/tracks/{tid}.json")
        assert (200, "Legacy", 200) == (put.status, put.json["title"], deleted.status)

    async def test_tracks_json_search_with_dash_ranges(self, api: FakeApi) -> None:
        """``/tracks.json`` takes ``bpm-from``-style ranges and answers an array."""
        reply = await api.get("/tracks.json?bpm-from=100&bpm-to=120&limit=20")
        bpms = [t["bpm"] for t in reply.json]
        assert (True, True) == (len(bpms) > 0, all(100 <= b <= 120 for b in bpms))

    async def test_tracks_json_accepts_both_range_spellings(self, api: FakeApi) -> None:
        """``bpm-from`` (the seeds) and ``bpm[from]`` (the old reference) filter alike."""
        dash = await api.get("/tracks.json?bpm-from=100&bpm-to=120&limit=50")
        bracket = await api.get("/tracks.json?bpm[from]=100&bpm[to]=120&limit=50")
        everything = await api.get("/tracks.json?limit=50")
        urns = [[t["urn"] for t in r.json] for r in (dash, bracket, everything)]
        assert urns[0] == urns[1]
        assert urns[0] != urns[2]

    async def test_comments_json(self, api: FakeApi) -> None:
        """Comments: a bare array; POST adds one."""
        w = api.world
        t = next(t for t in range(200) if w.track_dict(t)["commentable"] and w.track_visible(t, 1))
        posted = await api.call(
            "POST", f"/tracks/{w.track_id(t)}/comments.json", data={"comment[body]": "old api"}
        )
        listed = await api.get(f"/tracks/{w.track_id(t)}/comments.json?limit=1")
        assert (201, "old api") == (posted.status, listed.json[0]["body"])

    async def test_secret_token(self, api: FakeApi) -> None:
        """The owner reads and resets the secret token; the old one stops working."""
        w = api.world
        t = private_track_of_me(w)
        tid = w.track_id(t)
        old = (await api.get(f"/tracks/{tid}/secret-token.json")).json["token"]
        new = (await api.call("PUT", f"/tracks/{tid}/secret-token.json")).json["token"]
        other = w.user_urn(2)
        assert (True, 404, 200) == (
            old != new,
            (await api.get(f"/tracks/{tid}?secret_token={old}", user=other)).status,
            (await api.get(f"/tracks/{tid}?secret_token={new}", user=other)).status,
        )

    async def test_permissions(self, api: FakeApi) -> None:
        """PUT permissions lets a user see a private track."""
        w = api.world
        t = private_track_of_me(w)
        tid = w.track_id(t)
        other = w.user_urn(2)
        put = await api.call(
            "PUT", f"/tracks/{tid}/permissions.json", json={"permissions": [{"user_urn": other}]}
        )
        got = await api.get(f"/tracks/{tid}/permissions.json")
        assert (200, [other], 200) == (
            put.status,
            [u["urn"] for u in got.json],
            (await api.get(f"/tracks/{tid}", user=other)).status,
        )

    async def test_favorites(self, api: FakeApi) -> None:
        """``/me/favorites/{id}.json`` and ``/users/{me}/favorites/{id}.json`` like/unlike."""
        w = api.world
        t = next(t for t in range(500) if not w.likes_track(1, t) and w.track_visible(t, 1))
        tid = w.track_id(t)
        me_id = w.user_id(1)
        assert (201, 200, 200, 403) == (
            (await api.call("PUT", f"/me/favorites/{tid}.json")).status,
            (await api.call("DELETE", f"/users/{me_id}/favorites/{tid}.json")).status,
            (await api.call("PUT", f"/users/{me_id}/favorites/{tid}.json")).status - 1,
            (await api.call("PUT", f"/users/{w.user_id(2)}/favorites/{tid}.json")).status,
        )

    async def test_user_me_and_group_tracks(self, api: FakeApi) -> None:
        """``/users/{id}/tracks.json``, ``/me/tracks.json``, ``/groups/{id}/tracks.json``."""
        w = api.world
        me = await api.get("/me/tracks.json")
        user = await api.get(f"/users/{w.user_id(1)}/tracks.json", user=CLIENT)
        group = await api.get(f"/groups/{w.group_id(0)}/tracks.json?limit=5")
        missing = await api.get("/groups/1/tracks.json")
        assert (200, 200, True, 404) == (
            me.status,
            user.status,
            0 < len(group.json) <= 5,
            missing.status,
        )
        assert len(me.json) > len(user.json)

    async def test_legacy_upload(self, api: FakeApi) -> None:
        """``POST /tracks.json`` uploads too."""
        form = aiohttp.FormData()
        form.add_field("track[title]", "Old upload")
        form.add_field("track[asset_data]", b"123", filename="a.mp3")
        assert 201 == (await api.call("POST", "/tracks.json", data=form)).status
