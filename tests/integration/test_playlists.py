"""``sc.playlists`` over real TCP against FakeSoundCloud: every operation, state changes."""

from __future__ import annotations

from typing import Any

import pytest

from soundcloud_async import InvalidArgument, NotFound, SoundCloud
from soundcloud_async.models import PlaylistCreate, PlaylistUpdate
from soundcloud_async.testing import FakeSoundCloud

pytestmark = pytest.mark.integration


async def track_urns(sc: SoundCloud, n: int) -> list[str]:
    """URNs of ``n`` public tracks."""
    return [str(t.urn) async for t in sc.tracks.iter_search(max_items=n)]


def stored_tracks(fake: FakeSoundCloud, urn: str) -> list[str]:
    """The fake's own track list of a playlist."""
    w = fake.world
    return [str(w.track_urn(t)) for t in w.playlist_track_list(w.playlist_index(urn))]


class TestReads:
    """Search, get and the playlist's collections."""

    async def test_search(self, sc: SoundCloud) -> None:
        """A search without tracks returns playlists without track lists."""
        found = await sc.playlists.iter_search(show_tracks=False, max_items=3).collect()
        assert 3 == len(found)
        assert all(p.urn and p.urn.startswith("soundcloud:playlists:") for p in found)

    async def test_get_and_tracks(self, sc: SoundCloud) -> None:
        """``get`` and ``iter_tracks`` agree on the track list."""
        (first,) = await sc.playlists.iter_search(max_items=1).collect()
        assert first.urn is not None
        got = await sc.playlists.get(first.urn, access=["playable", "preview", "blocked"])
        paged = await sc.playlists.iter_tracks(
            first.urn, access="playable,preview,blocked", limit=2
        ).collect()
        assert [t.urn for t in got.tracks or []] == [t.urn for t in paged]

    async def test_get_without_tracks(self, sc: SoundCloud) -> None:
        """``show_tracks=False`` leaves the list out."""
        (first,) = await sc.playlists.iter_search(max_items=1).collect()
        assert first.urn is not None
        assert not (await sc.playlists.get(first.urn, show_tracks=False)).tracks

    async def test_reposters(self, fake: FakeSoundCloud, sc: SoundCloud) -> None:
        """``iter_reposters`` pages its route."""
        (first,) = await sc.playlists.iter_search(max_items=1).collect()
        await sc.playlists.iter_reposters(str(first.urn), max_items=3).collect()
        assert 1 <= fake.count("GET", f"/playlists/{first.urn}/reposters")


class TestLifecycle:
    """Create, update, add, remove and delete change the fake's state."""

    async def test_create_update_add_remove_delete(
        self, fake: FakeSoundCloud, sc: SoundCloud
    ) -> None:
        """A playlist's whole life, checked against the fake's world at each step."""
        a, b, c = await track_urns(sc, 3)
        created = await sc.playlists.create(
            PlaylistCreate(title="Road trip", sharing="private", tracks=[a, b])
        )
        urn = str(created.urn)
        assert [a, b] == stored_tracks(fake, urn)
        assert "Road trip" == fake.world.playlist(urn)["title"]

        updated = await sc.playlists.update(urn, PlaylistUpdate(title="Long road trip"))
        assert "Long road trip" == updated.title == fake.world.playlist(urn)["title"]

        added = await sc.playlists.add_tracks(urn, [c, a])
        assert [a, b, c] == stored_tracks(fake, urn) == [t.urn for t in added.tracks or []]

        await sc.playlists.remove_tracks(urn, [a])
        assert [b, c] == stored_tracks(fake, urn)

        await sc.playlists.update(urn, {"tracks": []})
        assert [] == stored_tracks(fake, urn)

        await sc.playlists.delete(urn)
        assert None is fake.world.playlist(urn)
        with pytest.raises(NotFound):
            await sc.playlists.get(urn)

    async def test_create_form_with_artwork(self, fake: FakeSoundCloud, sc: SoundCloud) -> None:
        """The form variant, with artwork, creates the playlist with its tracks."""
        a, b = await track_urns(sc, 2)
        seen: list[tuple[int, int | None]] = []
        created = await sc.playlists.create(
            {"title": "Form", "tracks": [a, b], "set_type": "album"},
            artwork=b"\xff\xd8jpeg",
            artwork_filename="cover.jpg",
            progress=lambda d, t: seen.append((d, t)),
        )
        assert [a, b] == stored_tracks(fake, str(created.urn))
        assert "Form" == fake.world.playlist(str(created.urn))["title"]
        assert (6, 6) == seen[-1]

    @pytest.mark.parametrize("form", [False, True])
    async def test_free_form_license(
        self, fake: FakeSoundCloud, sc: SoundCloud, form: bool
    ) -> None:
        """A playlist license outside the track list is sent and stored as given."""
        created = await sc.playlists.create({"title": "Licensed", "license": "cc0-1.0"}, form=form)
        assert ("cc0-1.0", "cc0-1.0") == (
            created.license,
            fake.world.playlist(str(created.urn))["license"],
        )

    async def test_create_form_plain(self, fake: FakeSoundCloud, sc: SoundCloud) -> None:
        """``form=True`` without artwork is a multipart create too."""
        created = await sc.playlists.create({"title": "Plain form"}, form=True)
        assert "Plain form" == fake.world.playlist(str(created.urn))["title"]


class TestValidation:
    """Invalid arguments fail before any request reaches the fake."""

    @pytest.mark.parametrize(
        ("method", "args", "kwargs"),
        [
            ("get", ("soundcloud:tracks:1",), {}),
            ("get", (1,), {"show_tracks": "no"}),
            ("create", ({"sharing": "public"},), {}),
            ("create", ({"title": "t", "tracks": ["soundcloud:users:1"]},), {}),
            ("update", (1, {}), {}),
            ("update", (1, {"set_type": "ep"}), {}),
            ("delete", ("soundcloud:users:1",), {}),
            ("add_tracks", (1, "soundcloud:tracks:1"), {}),
            ("remove_tracks", (1, ["x"]), {}),
        ],
    )
    async def test_nothing_sent(
        self,
        fake: FakeSoundCloud,
        sc: SoundCloud,
        method: str,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> None:
        """Each bad call raises InvalidArgument and the fake sees no request."""
        with pytest.raises(InvalidArgument):
            await getattr(sc.playlists, method)(*args, **kwargs)
        assert [] == fake.requests

    async def test_search_nothing_sent(self, fake: FakeSoundCloud, sc: SoundCloud) -> None:
        """A bad search parameter raises before the first page."""
        with pytest.raises(InvalidArgument):
            await sc.playlists.iter_search(access="none").collect()
        assert [] == fake.requests
