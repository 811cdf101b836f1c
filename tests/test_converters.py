"""Tests for the converter: tolerance to SoundCloud's drift, dates, errors, hooks, round trips."""

from __future__ import annotations

import datetime as dt
import types
from collections import OrderedDict
from typing import Any

import attrs
import orjson
import pytest

from soundcloud_async import _converters, _dates
from soundcloud_async._converters import (
    StructureError,
    format_date,
    make_converter,
    parse_date,
    structure,
    structure_many,
    unstructure,
)
from soundcloud_async.models import (
    Activities,
    Activity,
    Error,
    Me,
    Model,
    Playlist,
    Quota,
    Sharing,
    TooManyRequests,
    Track,
    TrackMetadata,
    User,
)

UTC = dt.timezone.utc
WHEN = dt.datetime(2019, 1, 15, 15, 40, 49, tzinfo=UTC)

#: Both date parsers: the one this Python uses and the 3.10 one, so both are tested.
PARSERS = [
    pytest.param(_dates._parse_date_py310, id="py310"),
    pytest.param(_dates._parse_date_py311, id="py311"),
]


def _track_json() -> dict[str, Any]:
    return {
        "kind": "track",
        "urn": "soundcloud:tracks:1",
        "title": "t",
        "created_at": "2019/01/15 15:40:49 +0000",
        "duration": 40000,
        "bpm": 120.5,
        "streamable": True,
        "sharing": "public",
        "tag_list": 'a "b c"',
        "user": {"urn": "soundcloud:users:2", "username": "u", "followers_count": 3},
    }


class TestDates:
    """SoundCloud's format, ISO 8601, nulls and garbage."""

    @pytest.mark.parametrize("parse", PARSERS)
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("2019/01/15 15:40:49 +0000", WHEN),
            ("2019/01/15 17:40:49 +0200", WHEN),
            ("2019/01/15 10:40:49 -0500", WHEN),
            ("2019-01-15T15:40:49Z", WHEN),
            ("2019-01-15T15:40:49z", WHEN),
            ("2019-01-15T15:40:49+00:00", WHEN),
            ("2019-01-15T16:40:49+01:00", WHEN),
            ("2019-01-15T15:40:49", WHEN),
            ("2019-01-15 15:40:49", WHEN),
            ("2019/01/15 15:40:49", WHEN),
            ("2019-01-15T15:40:49.250000Z", WHEN.replace(microsecond=250000)),
            ("  2019-01-15T15:40:49Z ", WHEN),
            ("2019-01-15", dt.datetime(2019, 1, 15, tzinfo=UTC)),
        ],
    )
    def test_parses(self, parse: Any, text: str, expected: dt.datetime) -> None:
        """Every accepted spelling becomes the same aware UTC datetime."""
        actual = parse(text)
        assert expected == actual
        assert UTC == actual.tzinfo

    @pytest.mark.parametrize("parse", PARSERS)
    @pytest.mark.parametrize(
        "value",
        [
            "",
            "   ",
            "garbage",
            "2019/13/45 99:99:99 +0000",
            "2019/01/15 15:40:49 +zzzz",
            "0000/00/00 00:00:00 +0000",
            "yesterday",
            "2019-02-30T00:00:00Z",
            "x" * 1000,
            1547566849,
            15.5,
            True,
            b"2019/01/15 15:40:49 +0000",
            {"date": "2019/01/15 15:40:49 +0000"},
            ["2019/01/15 15:40:49 +0000"],
        ],
    )
    def test_garbage_is_none(self, parse: Any, value: Any) -> None:
        """Unparsable values give ``None``, never an exception."""
        assert None is parse(value)

    def test_public_parser_is_one_of_them(self) -> None:
        """``parse_date`` is the parser for this Python."""
        assert parse_date in (_dates._parse_date_py310, _dates._parse_date_py311)

    @pytest.mark.parametrize("field", ["created_at", "last_modified"])
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("2019/01/15 15:40:49 +0000", WHEN),
            ("2019-01-15T15:40:49Z", WHEN),
            ("2019/01/15 16:40:49 +0100", WHEN),
            (None, None),
            ("not a date", None),
            (12345, None),
            ({"nested": 1}, None),
        ],
    )
    def test_in_models(self, field: str, value: Any, expected: dt.datetime | None) -> None:
        """Date fields of models go through the same rules (the inlined fast path too)."""
        assert expected == getattr(structure({field: value}, Track), field)

    def test_str_subclass_date(self) -> None:
        """A ``str`` subclass holding a date parses."""

        class Text(str):
            pass

        assert (
            WHEN == structure({"created_at": Text("2019/01/15 15:40:49 +0000")}, Track).created_at
        )

    @pytest.mark.parametrize("parse", PARSERS)
    @pytest.mark.parametrize(
        "text",
        [
            "0001/01/01 00:00:00 +0100",
            "9999/12/31 23:59:59 -0100",
            "0001-01-01T00:00:00+01:00",
            "9999-12-31T23:59:59-01:00",
            "0001-01-01 00:30:00+23:59",
        ],
    )
    def test_out_of_range_in_utc_is_none(self, parse: Any, text: str) -> None:
        """A date whose UTC time falls before year 1 or after 9999 gives ``None``, no error."""
        assert None is parse(text)

    @pytest.mark.parametrize("field", ["created_at", "last_modified"])
    @pytest.mark.parametrize(
        "text", ["0001/01/01 00:00:00 +0100", "9999/12/31 23:59:59 -0100", "9999-12-31T23:30-01:00"]
    )
    def test_out_of_range_in_models(self, field: str, text: str) -> None:
        """Model date fields (the inlined fast path) turn such a date into ``None``."""
        user = structure({field: text, "username": "kept"}, User)
        assert (None, "kept") == (getattr(user, field), user.username)

    def test_extreme_dates_in_range(self) -> None:
        """The first and last representable UTC seconds still parse."""
        assert dt.datetime(1, 1, 1, tzinfo=UTC) == parse_date("0001/01/01 00:00:00 +0000")
        last = dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
        assert last == parse_date("9999/12/31 23:59:59 +0000")

    def test_format(self) -> None:
        """``format_date`` writes SoundCloud's format, converting to UTC."""
        plus_two = dt.timezone(dt.timedelta(hours=2))
        assert "2019/01/15 15:40:49 +0000" == format_date(WHEN)
        assert "2019/01/15 15:40:49 +0000" == format_date(WHEN.astimezone(plus_two))
        assert "2019/01/15 15:40:49 +0000" == format_date(WHEN.replace(tzinfo=None))


class TestTolerance:
    """Missing, null, extra and wrong-typed fields never crash."""

    def test_missing_fields_are_none(self) -> None:
        """An empty object gives a model full of ``None``."""
        assert Track() == structure({}, Track)

    def test_nulls_are_none(self) -> None:
        """``null`` everywhere gives ``None`` everywhere."""
        data = {f.name: None for f in attrs.fields(Track)}
        assert Track() == structure(data, Track)

    def test_extra_fields_ignored(self) -> None:
        """Unknown keys are ignored."""
        data = _track_json() | {"brand_new_field": {"x": [1, 2]}, "monetization_model": "AD"}
        assert structure(_track_json(), Track) == structure(data, Track)

    @pytest.mark.parametrize(
        ("field", "value", "expected"),
        [
            ("duration", "40000", 40000),
            ("duration", " 40000 ", 40000),
            ("duration", "-3", -3),
            ("duration", 40000.0, 40000),
            ("duration", 1.5, None),
            ("duration", float("nan"), None),
            ("duration", float("inf"), None),
            ("duration", "forty", None),
            ("duration", "1e3", None),
            ("duration", "9" * 30, None),
            ("duration", True, None),
            ("duration", [1], None),
            ("duration", {"ms": 1}, None),
            ("title", 123, "123"),
            ("title", 1.5, "1.5"),
            ("title", True, None),
            ("title", {"text": "x"}, None),
            ("title", ["x"], None),
            ("bpm", 120, 120.0),
            ("bpm", "120.5", 120.5),
            ("bpm", "nan", None),
            ("bpm", "inf", None),
            ("bpm", "fast", None),
            ("bpm", False, None),
            ("bpm", {}, None),
            ("streamable", "true", True),
            ("streamable", "False", False),
            ("streamable", 1, True),
            ("streamable", 0, False),
            ("streamable", 2, None),
            ("streamable", "yes", None),
            ("streamable", [], None),
            ("sharing", 5, None),
            ("sharing", {"x": 1}, None),
            ("sharing", Sharing.PRIVATE, Sharing.PRIVATE),
            ("user", "soundcloud:users:1", None),
            ("user", [{"username": "x"}], None),
            ("user", 7, None),
        ],
    )
    def test_wrong_types(self, field: str, value: Any, expected: Any) -> None:
        """Obvious coercions happen; anything else becomes ``None``."""
        assert expected == getattr(structure({field: value}, Track), field)

    def test_wrong_types_keep_other_fields(self) -> None:
        """A bad field does not affect its neighbours."""
        track = structure(_track_json() | {"duration": {"oops": 1}}, Track)
        assert (None, "t") == (track.duration, track.title)

    def test_nested_list_skips_non_objects(self) -> None:
        """Non-object entries of a nested list are dropped."""
        playlist = structure({"tracks": [{"title": "a"}, None, 3, "x", {"title": "b"}]}, Playlist)
        assert ["a", "b"] == [t.title for t in playlist.tracks or []]

    @pytest.mark.parametrize("value", ["x", 3, {"0": {"title": "a"}}])
    def test_nested_list_wrong_type(self, value: Any) -> None:
        """A nested list that is not a list becomes ``None``."""
        assert None is structure({"tracks": value}, Playlist).tracks

    def test_nested_user(self) -> None:
        """Nested objects are structured with their own rules."""
        track = structure(_track_json() | {"user": {"followers_count": "12", "bogus": 1}}, Track)
        assert User(followers_count=12) == track.user

    def test_me_quota(self) -> None:
        """``Me`` adds the quota object and private counters."""
        me = structure(
            {
                "username": "me",
                "quota": {"unlimited_upload_quota": False, "upload_seconds_left": None},
            },
            Me,
        )
        assert Quota(unlimited_upload_quota=False) == me.quota

    def test_activity_origin_dispatch(self) -> None:
        """An origin's ``kind`` wins; without one the activity ``type`` decides."""
        cases = [
            ({"type": "track", "origin": {"kind": "playlist"}}, Playlist),
            ({"type": "playlist:repost", "origin": {}}, Playlist),
            ({"type": "track:repost", "origin": {}}, Track),
            ({"type": "playlist-repost", "origin": {}}, Playlist),
        ]
        for data, expected in cases:
            assert expected is type(structure(data, Activity).origin)

    @pytest.mark.parametrize(
        "data",
        [
            {"type": "mystery", "origin": {}},
            {"type": None, "origin": {"kind": "station"}},
            {"type": 5, "origin": {}},
            {"type": "track", "origin": "soundcloud:tracks:1"},
            {"type": "track", "origin": None},
        ],
    )
    def test_activity_unknown_origin(self, data: dict[str, Any]) -> None:
        """An origin of unknown kind becomes ``None``; the entry still loads."""
        assert None is structure(data, Activity).origin

    def test_activities_page(self) -> None:
        """An activities page with next and future hrefs."""
        page = structure(
            {"collection": [{"type": "track", "origin": {"title": "x"}}], "future_href": "f"},
            Activities,
        )
        assert ("f", None, 1) == (page.future_href, page.next_href, len(page.collection or []))

    @pytest.mark.parametrize(
        "body",
        [
            {"errors": [{"meta": {"rate_limit": {"group": "plays", "max_nr_of_requests": 15000,
                                                  "time_window": "PT24H"},
                                   "remaining_requests": 0,
                                   "reset_time": "2015/06/01 09:49:40 +0000"}}]},
            {"errors": [{"meta": {"rate_limit": {"bucket": "by-ip",
                                                  "name": "client-credentials-exchange",
                                                  "group": "plays", "time_window": "PT1H"},
                                   "reset_time": "2015/06/01 09:49:40 +0000"}}]},
        ],
    )  # fmt: skip
    def test_rate_limit_bodies(self, body: dict[str, Any]) -> None:
        """The 429 bodies seen in the wild read into ``TooManyRequests``."""
        error = structure(body, TooManyRequests)
        (detail,) = error.errors or []
        assert detail.meta is not None
        assert detail.meta.rate_limit is not None
        assert "PT" == (detail.meta.rate_limit.time_window or "")[:2]
        assert dt.datetime(2015, 6, 1, 9, 49, 40, tzinfo=UTC) == detail.meta.reset_time

    @pytest.mark.parametrize(
        "body",
        [
            {"code": 429, "message": "rate_limit_exceeded", "link": "l",
             "status": "429 - Too Many Requests",
             "errors": [{"error_message": "rate_limit_exceeded"}], "error": None,
             "error_code": "rate_limit_exceeded"},
            {"error": "rate_limit_exceeded"},
            {"error": "Rate Limit Exceeded"},
            {"code": "429", "errors": "nope"},
        ],
    )  # fmt: skip
    def test_error_bodies(self, body: dict[str, Any]) -> None:
        """Error bodies of every shape load; the message fields survive."""
        error = structure(body, Error)
        assert body.get("error") == error.error
        assert (429 if "code" in body else None) == error.code


class TestIntegerRange:
    """Integers outside a signed 64-bit range become ``None``: no writer can store them."""

    @pytest.mark.parametrize(
        "value",
        [
            1e300,
            18446744073709551616,
            2**63,
            -(2**63) - 1,
            1.5e19,
            "9999999999999999999",
            pytest.param(10**5000, id="5001-digits"),
        ],
    )
    @pytest.mark.parametrize("field", ["id", "followers_count", "track_count"])
    def test_out_of_range_is_none(self, value: Any, field: str) -> None:
        """Id and count fields holding a number past 64 bits give ``None``; others stay."""
        user = structure({field: value, "username": "kept"}, User)
        assert (None, "kept") == (getattr(user, field), user.username)

    def test_orjson_huge_number(self) -> None:
        """orjson decodes 2**64 to a float; that float is no id either."""
        data = orjson.loads(b'{"id": 18446744073709551616, "playback_count": 1e300}')
        track = structure(data, Track)
        assert (None, None) == (track.id, track.playback_count)

    @pytest.mark.parametrize(
        "value", [2**63 - 1, -(2**63), 0, "-9223372036854775808"], ids=["max", "min", "0", "str"]
    )
    def test_in_range_is_kept(self, value: Any) -> None:
        """The 64-bit extremes are kept as they are."""
        assert int(value) == structure({"id": value}, User).id

    def test_structured_models_can_be_written(self) -> None:
        """What the converter keeps, orjson and SQLite can write."""
        import sqlite3

        data = {
            "id": 18446744073709551616,
            "playback_count": 1e300,
            "likes_count": 2**63 - 1,
            "bpm": 10**400,
            "title": 10**5000,
            "user": {"id": 2**64 - 1, "followers_count": -(2**63) - 1},
        }
        track = structure(data, Track)
        assert b'"likes_count":9223372036854775807' in orjson.dumps(unstructure(track))
        db = sqlite3.connect(":memory:")
        try:
            db.execute("CREATE TABLE t (a, b, c, d, e)")
            assert track.user is not None
            row = (track.id, track.playback_count, track.likes_count, track.user.id, track.bpm)
            db.execute("INSERT INTO t VALUES (?, ?, ?, ?, ?)", row)
        finally:
            db.close()
        assert (None, None, None, None) == (track.id, track.playback_count, track.bpm, track.title)

    @pytest.mark.parametrize(
        "value", [2**63, -(2**63) - 1, "9999999999999999999", pytest.param(10**400, id="huge")]
    )
    def test_int_or_float_field(self, value: Any) -> None:
        """An ``int | float`` field (a comment's timestamp) drops 64-bit overflows too
        (found by tests/test_fuzz.py)."""
        from soundcloud_async.models import Comment

        comment = structure({"timestamp": value, "body": "kept"}, Comment)
        assert (None, "kept") == (comment.timestamp, comment.body)
        assert 4960.5 == structure({"timestamp": "4960.5"}, Comment).timestamp
        assert 2**63 - 1 == structure({"timestamp": 2**63 - 1}, Comment).timestamp

    def test_huge_int_in_float_and_str_fields(self) -> None:
        """An int too big for ``float()`` or ``str()`` gives ``None``, not an exception."""
        track = structure({"bpm": 10**400, "title": 10**5000, "genre": 12}, Track)
        assert (None, None, "12") == (track.bpm, track.title, track.genre)


class TestUnhashableKind:
    """An object or array where a ``kind`` string belongs never raises."""

    @pytest.mark.parametrize("kind", [{}, [], {"a": 1}, [1, 2]])
    def test_activity_origin_kind(self, kind: Any) -> None:
        """The origin cannot be told: that one field is ``None``, the rest is kept."""
        activity = structure(
            {"origin": {"kind": kind}, "created_at": "2019/01/15 15:40:49 +0000"}, Activity
        )
        assert (None, WHEN) == (activity.origin, activity.created_at)

    def test_falls_back_to_type(self) -> None:
        """With a usable ``type``, the origin is still built from it."""
        activity = structure({"type": "track", "origin": {"kind": {}, "title": "t"}}, Activity)
        assert isinstance(activity.origin, Track)
        assert ("t", None) == (activity.origin.title, activity.origin.kind)

    @pytest.mark.parametrize("value", [{}, [], 3])
    def test_activity_type(self, value: Any) -> None:
        """A non-string ``type`` is ``None`` too."""
        activity = structure({"type": value, "origin": {"kind": "playlist"}}, Activity)
        assert None is activity.type
        assert isinstance(activity.origin, Playlist)

    def test_page(self) -> None:
        """In a page, only the bad field is lost: every item is still there."""
        items = [{"origin": {"kind": {}}}, {"origin": {"kind": "track", "title": "ok"}}]
        activities = structure_many(items, Activity)
        assert 2 == len(activities)
        assert None is activities[0].origin
        assert isinstance(activities[1].origin, Track)


class TestTopLevel:
    """``structure`` / ``structure_many`` on their input as a whole."""

    @pytest.mark.parametrize("data", [None, "x", 3, [], [{"title": "a"}], b"{}"])
    def test_non_object_raises(self, data: Any) -> None:
        """A non-object where an object is expected raises StructureError (a TypeError)."""
        with pytest.raises(StructureError, match="expected a JSON object for Track"):
            structure(data, Track)

    def test_structure_error_is_type_and_value_error(self) -> None:
        """The transport can catch either base class."""
        assert issubclass(StructureError, TypeError)
        assert issubclass(StructureError, ValueError)

    def test_mapping_accepted(self) -> None:
        """Any Mapping, not only dict, is accepted at the top level."""
        assert "a" == structure(OrderedDict(title="a"), Track).title
        assert "a" == structure(types.MappingProxyType({"title": "a"}), Track).title

    def test_many(self) -> None:
        """``structure_many`` maps a whole collection in order."""
        tracks = structure_many([{"title": "a"}, {"title": "b"}, {}], Track)
        assert ["a", "b", None] == [t.title for t in tracks]
        assert [] == structure_many([], Track)

    def test_many_bad_item_names_index(self) -> None:
        """A non-object item raises with its index."""
        with pytest.raises(StructureError, match=r"item 2: expected a JSON object for Track"):
            structure_many([{}, {}, "oops", {}], Track)

    @pytest.mark.parametrize("items", [None, {"collection": []}, "abc", 5])
    def test_many_not_a_list(self, items: Any) -> None:
        """A collection that is not a list raises."""
        with pytest.raises(StructureError, match="expected a JSON array of Track"):
            structure_many(items, Track)

    def test_many_tuple(self) -> None:
        """A tuple of objects is accepted too."""
        items: Any = ({"title": "a"},)
        assert ["a"] == [t.title for t in structure_many(items, Track)]

    def test_non_model_types_use_cattrs(self) -> None:
        """Other types go through the cattrs converter, errors as StructureError."""
        assert [1, 2] == structure(["1", 2], list[int])
        assert [Track(title="a")] == structure([{"title": "a"}], list[Track])
        with pytest.raises(StructureError):
            structure("x", list[int])

    def test_from_orjson(self) -> None:
        """A page decoded by orjson structures as expected."""
        page = orjson.dumps({"collection": [_track_json()] * 3})
        tracks = structure_many(orjson.loads(page)["collection"], Track)
        assert 3 == len(tracks)
        assert ["a", "b c"] == tracks[0].tags


class TestConverter:
    """``make_converter`` / ``configure_converter``: cattrs with the same fast hooks."""

    def test_structure_via_converter(self) -> None:
        """The converter gives the same result as the module-level function."""
        converter = make_converter()
        assert structure(_track_json(), Track) == converter.structure(_track_json(), Track)

    def test_converter_uses_generated_function(self) -> None:
        """The converter's hook for a model calls the generated function."""
        converter = make_converter()
        converter.structure({}, Track)
        assert Track in _converters._STRUCTURE_FNS

    def test_converter_lists_and_dates(self) -> None:
        """Lists of models and bare datetimes work through the converter."""
        converter = make_converter()
        assert ["a"] == [t.title for t in converter.structure([{"title": "a"}], list[Track])]
        assert WHEN == converter.structure("2019/01/15 15:40:49 +0000", dt.datetime)
        assert "2019/01/15 15:40:49 +0000" == converter.unstructure(WHEN)

    def test_converter_strict_date(self) -> None:
        """A bare datetime that does not parse is an error (inside models it is ``None``)."""
        with pytest.raises(StructureError):
            make_converter().structure("garbage", dt.datetime)

    def test_converter_non_object(self) -> None:
        """The converter raises the same StructureError for non-objects."""
        with pytest.raises(StructureError):
            make_converter().structure("x", Track)

    def test_write_model_via_converter(self) -> None:
        """Write models unstructure to their exact body through the converter too."""
        assert {"track": {"title": "t"}} == make_converter().unstructure(TrackMetadata(title="t"))


class TestUnstructure:
    """Read models unstructure to SoundCloud's shape and back."""

    def test_round_trip(self) -> None:
        """``structure(unstructure(m))`` gives ``m`` back."""
        track = structure(_track_json(), Track)
        assert track == structure(unstructure(track), Track)
        assert track == structure(orjson.loads(orjson.dumps(unstructure(track))), Track)

    @pytest.mark.parametrize(
        "when",
        [
            dt.datetime(2019, 1, 15, 15, 40, 49, 123456, tzinfo=UTC),
            dt.datetime(2019, 1, 15, 15, 40, 49, 1, tzinfo=UTC),
            dt.datetime(1, 1, 1, tzinfo=UTC),
            dt.datetime(999, 12, 31, 23, 59, 59, 500000, tzinfo=UTC),
            dt.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        ],
    )
    def test_round_trip_dates(self, when: dt.datetime) -> None:
        """Sub-second and early-year dates survive ``structure(unstructure(m))``."""
        user = User(created_at=when)
        assert user == structure(unstructure(user), User)
        assert user == structure(orjson.loads(orjson.dumps(unstructure(user))), User)

    def test_round_trip_iso_input(self) -> None:
        """A model built from an ISO date with microseconds round-trips exactly."""
        user = structure({"created_at": "2019-01-15T15:40:49.250000Z"}, User)
        assert WHEN.replace(microsecond=250000) == user.created_at
        assert user == structure(unstructure(user), User)

    def test_sub_second_format(self) -> None:
        """Whole seconds keep SoundCloud's format; fractions are written in ISO 8601."""
        assert "2019/01/15 15:40:49 +0000" == format_date(WHEN)
        assert "2019-01-15T15:40:49.000001+00:00" == format_date(WHEN.replace(microsecond=1))
        assert "0001/01/01 00:00:00 +0000" == format_date(dt.datetime(1, 1, 1, tzinfo=UTC))

    def test_shape(self) -> None:
        """Dates go back to SoundCloud's format, enums to values, nested models to dicts."""
        data = unstructure(structure(_track_json(), Track))
        assert "2019/01/15 15:40:49 +0000" == data["created_at"]
        assert "public" == data["sharing"]
        assert "u" == data["user"]["username"]
        assert None is data["last_modified"]

    def test_playlist_raw_tags_key(self) -> None:
        """``Playlist.raw_tags`` goes back out under the API's ``tags`` key."""
        data = unstructure(Playlist(raw_tags="x", tracks=[Track(title="a")]))
        assert ("x", "a") == (data["tags"], data["tracks"][0]["title"])
        assert "raw_tags" not in data

    def test_activity_union(self) -> None:
        """A union-typed origin unstructures by its runtime class."""
        data = unstructure(Activity(type="track", origin=Playlist(title="p")))
        assert "p" == data["origin"]["title"]

    def test_non_model(self) -> None:
        """Other values go through cattrs."""
        assert {"a": [1]} == unstructure({"a": [1]})


@attrs.define(kw_only=True)
class _Node(Model):
    """A recursive model for the generator's cycle handling."""

    name: str | None = None
    child: _Node | None = None
    children: list[_Node] | None = None


def _double(value: int | None) -> int | None:
    return None if value is None else value * 2


@attrs.define(kw_only=True)
class _Checked(Model):
    """A model with a converter and post-init: must be built through ``__init__``."""

    count: int | None = attrs.field(default=None, converter=_double)
    seen: bool | None = None

    def __attrs_post_init__(self) -> None:
        self.seen = True


@attrs.define(kw_only=True)
class _Odd(Model):
    """Field types outside the fast path's cases fall back to cattrs."""

    pair: tuple[int, int] | None = None
    mapping: dict[str, Any] | None = None
    anything: Any = None
    names: list[str] | None = None


class TestGenerator:
    """The code generator on models outside the shipped set."""

    def test_recursive_model(self) -> None:
        """A model that contains itself structures and unstructures."""
        node = structure(
            {"name": "a", "child": {"name": "b", "child": {"name": "c"}}, "children": [{}]}, _Node
        )
        assert "c" == node.child.child.name  # type: ignore[union-attr]
        assert node == structure(unstructure(node), _Node)

    def test_init_path(self) -> None:
        """Converters and ``__attrs_post_init__`` run when a model has them."""
        checked = structure({"count": 2}, _Checked)
        assert (4, True) == (checked.count, checked.seen)

    def test_fallback_types(self) -> None:
        """Tuples go through cattrs (bad values become ``None``); dicts and Any pass through."""
        odd = structure(
            {"pair": [1, "2"], "mapping": {"k": 1}, "anything": [1], "names": ["a", 1, "b"]}, _Odd
        )
        assert ((1, 2), {"k": 1}, [1], ["a", "b"]) == (
            odd.pair,
            odd.mapping,
            odd.anything,
            odd.names,
        )
        bad = structure({"pair": "xy", "mapping": [1], "names": "ab"}, _Odd)
        assert (None, None, None) == (bad.pair, bad.mapping, bad.names)

    def test_generated_source_is_documented(self) -> None:
        """The generated function carries its source in its docstring, for debugging."""
        structure({}, User)
        doc = _converters._STRUCTURE_FNS[User].__doc__ or ""
        assert "def structure_User(d):" in doc
        assert "g('username')" in doc
