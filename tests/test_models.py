"""Tests for the models: spec coverage and examples, tags, write bodies, secrets in reprs."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import pytest

from soundcloud_async._converters import structure, structure_many, unstructure
from soundcloud_async._errors import InvalidURN
from soundcloud_async.models import (
    UNSET,
    Access,
    Activities,
    Activity,
    ActivityType,
    Comment,
    CommentCreate,
    Comments,
    EmbeddableBy,
    Error,
    Found,
    License,
    Me,
    Model,
    OAuthToken,
    Playlist,
    PlaylistCreate,
    Playlists,
    PlaylistType,
    PlaylistUpdate,
    Sharing,
    Status,
    Storefront,
    StorefrontType,
    StorefrontUpdate,
    Streams,
    TooManyRequests,
    Track,
    TrackMetadata,
    Tracks,
    User,
    Users,
    WebProfile,
    format_tags,
    parse_tags,
)
from tests.spec_data import load_spec

UTC = dt.timezone.utc


def _resolve(node: Any, root: dict[str, Any]) -> Any:
    """Inline ``$ref``s of the spec's examples (JSON pointers into the document)."""
    if isinstance(node, dict):
        if set(node) == {"$ref"}:
            target: Any = root
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            return _resolve(target, root)
        return {key: _resolve(value, root) for key, value in node.items()}
    if isinstance(node, list):
        return [_resolve(item, root) for item in node]
    return node


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    """The official OpenAPI document (``tests/data/openapi/api.yaml``)."""
    return load_spec()


@pytest.fixture(scope="module")
def examples(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec's ``components/examples`` values with ``$ref``s inlined."""
    return {
        name: _resolve(example.get("value"), spec)
        for name, example in spec["components"]["examples"].items()
    }


def _json_keys(cls: type) -> set[str]:
    return {f.metadata.get("json", f.name) for f in attrs.fields(cls)}


def _properties(schema: dict[str, Any], spec: dict[str, Any]) -> set[str]:
    """Property names of a schema, following ``$ref``, ``allOf`` and arrays."""
    schema = _resolve(schema, spec)
    props = set(schema.get("properties", {}))
    for part in schema.get("allOf", []):
        props |= _properties(part, spec)
    if schema.get("type") == "array":
        props |= _properties(schema["items"], spec)
    return props


#: Every schema of the spec, and the model that reads it (or writes it).
SCHEMA_MODELS: dict[str, type] = {
    "OAuthToken": OAuthToken,
    "TrackMetadataRequest": TrackMetadata,
    "Storefront": Storefront,
    "StorefrontUpdateRequest": StorefrontUpdate,
    "CreateUpdatePlaylistRequest": PlaylistCreate,
    "CreateUpdatePlaylistFormRequest": PlaylistCreate,
    "TrackDataRequest": TrackMetadata,
    "TrackUpdateFormRequest": TrackMetadata,
    "Found": Found,
    "Error": Error,
    "TooManyRequests": TooManyRequests,
    "User": User,
    "Me": Me,
    "Users": Users,
    "Track": Track,
    "Tracks": Tracks,
    "TracksList": Track,
    "Playlist": Playlist,
    "Playlists": Playlists,
    "PlaylistsArray": Playlist,
    "Activities": Activities,
    "WebProfiles": WebProfile,
    "Comment": Comment,
    "Comments": Comments,
    "Streams": Streams,
}

#: Binary parts of form bodies: files, added by the upload calls, not metadata.
FILE_PARTS = {"asset_data", "artwork_data"}


class TestSpecCoverage:
    """Every schema of the spec has a model with every one of its properties."""

    def test_every_schema_has_a_model(self, spec: dict[str, Any]) -> None:
        """No schema of the spec is left without a model."""
        assert sorted(spec["components"]["schemas"]) == sorted(SCHEMA_MODELS)

    @pytest.mark.parametrize(
        "name",
        [
            "Storefront",
            "Found",
            "Error",
            "TooManyRequests",
            "User",
            "Me",
            "Users",
            "Track",
            "Tracks",
            "Playlist",
            "Playlists",
            "Activities",
            "WebProfiles",
            "Comment",
            "Comments",
            "Streams",
            "StorefrontUpdateRequest",
        ],
    )
    def test_read_schema_properties(self, spec: dict[str, Any], name: str) -> None:
        """Each property of a response schema is a field (by its JSON name)."""
        schema = spec["components"]["schemas"][name]
        missing = _properties(schema, spec) - _json_keys(SCHEMA_MODELS[name])
        assert set() == missing

    def test_activity_properties(self, spec: dict[str, Any]) -> None:
        """Each property of an activity entry is a field of ``Activity``."""
        schema = spec["components"]["schemas"]["Activities"]["properties"]["collection"]
        assert set() == _properties(schema, spec) - _json_keys(Activity)

    @pytest.mark.parametrize(
        ("name", "wrapper"),
        [("TrackMetadataRequest", "track"), ("CreateUpdatePlaylistRequest", "playlist")],
    )
    def test_json_write_schema_properties(
        self, spec: dict[str, Any], name: str, wrapper: str
    ) -> None:
        """Each property of a JSON request body is a field of its write model."""
        inner = spec["components"]["schemas"][name]["properties"][wrapper]
        expected = _properties(inner, spec) - FILE_PARTS
        assert set() == expected - _json_keys(SCHEMA_MODELS[name])

    @pytest.mark.parametrize(
        "name", ["CreateUpdatePlaylistFormRequest", "TrackDataRequest", "TrackUpdateFormRequest"]
    )
    def test_form_write_schema_properties(self, spec: dict[str, Any], name: str) -> None:
        """Each form field of a multipart request is a field of its write model."""
        fields = {
            key.split("[")[1].rstrip("]")
            for key in _properties(spec["components"]["schemas"][name], spec)
        }
        assert set() == fields - FILE_PARTS - _json_keys(SCHEMA_MODELS[name])


class TestSpecExamples:
    """The spec's own examples structure into the right values."""

    def test_track(self, examples: dict[str, Any]) -> None:
        """The Track example, with its nested user, dates and enums."""
        track = structure(examples["Track"], Track)
        assert "soundcloud:tracks:1234" == track.urn
        assert "Some title" == track.title
        assert dt.datetime(2019, 1, 15, 15, 40, 49, tzinfo=UTC) == track.created_at
        assert Sharing.PUBLIC is track.sharing
        assert Access.PLAYABLE is track.access
        assert EmbeddableBy.ALL is track.embeddable_by
        assert License.ALL_RIGHTS_RESERVED is track.license
        assert (40000, 8027, None) == (track.duration, track.playback_count, track.bpm)
        assert [] == track.tags
        assert track.user is not None
        assert "some.user" == track.user.username
        assert dt.datetime(2020, 1, 3, 12, 8, 25, tzinfo=UTC) == track.user.last_modified
        assert track.user.subscriptions is not None
        assert "some-id" == track.user.subscriptions[0].product.id  # type: ignore[union-attr]

    def test_tracks_list(self, examples: dict[str, Any]) -> None:
        """The deprecated TracksList example (a single track here) is a Track."""
        assert "Some title" == structure(examples["TracksList"], Track).title

    def test_tracks_page(self, examples: dict[str, Any]) -> None:
        """The Tracks example's ``collection`` is one object, not a list: it becomes ``None``."""
        page = structure(examples["Tracks"], Tracks)
        assert None is page.collection
        assert examples["Tracks"]["next_href"] == page.next_href

    def test_user_and_me(self, examples: dict[str, Any]) -> None:
        """The User example reads as a User and as Me."""
        user = structure(examples["User"], User)
        me = structure(examples["User"], Me)
        assert ("soundcloud:users:12345", 10800) == (user.urn, user.upload_seconds_left)
        assert (user.username, user.plan, None) == (me.username, me.plan, me.quota)
        assert isinstance(me, User)

    def test_users_page(self, examples: dict[str, Any]) -> None:
        """The Users example keeps its next_href."""
        assert examples["Users"]["next_href"] == structure(examples["Users"], Users).next_href

    def test_playlist(self, examples: dict[str, Any]) -> None:
        """The Playlist example: enums, empty strings kept, ``tracks`` (an allOf) is ``None``."""
        playlist = structure(examples["Playlist"], Playlist)
        assert "soundcloud:playlists:12345" == playlist.urn
        assert (2, 11000, 1234) == (playlist.track_count, playlist.duration, playlist.user_id)
        assert "" == playlist.playlist_type
        assert "" == playlist.raw_tags
        assert None is playlist.tracks
        assert None is playlist.label
        assert playlist.user is not None
        assert "some.user" == playlist.user.username
        assert dt.datetime(2020, 9, 8, 9, 13, tzinfo=UTC) == playlist.last_modified

    def test_playlists(self, examples: dict[str, Any]) -> None:
        """The PlaylistsArray example is a Playlist; Playlists keeps its next_href."""
        assert "permalink" == structure(examples["PlaylistsArray"], Playlist).title
        page = structure(examples["Playlists"], Playlists)
        assert examples["Playlists"]["next_href"] == page.next_href

    def test_activities(self, examples: dict[str, Any]) -> None:
        """Activities: origins become a Track and a Playlist by ``type``/``kind``."""
        page = structure(examples["Activities"], Activities)
        assert page.collection is not None
        first, second = page.collection
        assert ActivityType.TRACK is first.type
        assert isinstance(first.origin, Track)
        assert isinstance(second.origin, Playlist)
        assert dt.datetime(2020, 10, 12, 12, 2, 44, tzinfo=UTC) == second.created_at
        assert examples["Activities"]["future_href"] == page.future_href
        assert examples["Activities"]["next_href"] == page.next_href

    def test_comment(self, examples: dict[str, Any]) -> None:
        """The Comment example, with its mini user and integer timestamp."""
        comment = structure(examples["Comment"], Comment)
        assert ("comment body", 4960) == (comment.body, comment.timestamp)
        assert "soundcloud:tracks:123456" == comment.track_urn
        assert comment.user is not None
        assert (138, "souncloud:users:12345") == (comment.user.followers_count, comment.user.urn)
        assert None is structure(examples["Comments"], Comments).collection

    def test_web_profiles(self, examples: dict[str, Any]) -> None:
        """The WebProfiles example is a list of WebProfile."""
        (profile,) = structure_many(examples["WebProfiles"], WebProfile)
        assert (1234, "facebook", "http://facebook.com") == (
            profile.id,
            profile.service,
            profile.url,
        )
        assert dt.datetime(1995, 10, 20, 12, 10, 39, tzinfo=UTC) == profile.created_at

    def test_streams(self, examples: dict[str, Any]) -> None:
        """The Streams example fills the URL fields it has."""
        streams = structure(examples["Streams"], Streams)
        assert examples["Streams"]["hls_aac_160_url"] == streams.hls_aac_160_url
        assert None is streams.hls_aac_96_url

    def test_token(self, examples: dict[str, Any]) -> None:
        """The ExpiringToken example reads as an OAuthToken."""
        token = structure(examples["ExpiringToken"], OAuthToken)
        assert (3599, "", "bearer") == (token.expires_in, token.scope, token.token_type)

    @pytest.mark.parametrize("name", ["Success", "Successful", "Accepted", "Created", "OK"])
    def test_status(self, examples: dict[str, Any], name: str) -> None:
        """Bare status bodies read as Status."""
        assert examples[name]["status"] == structure(examples[name], Status).status

    @pytest.mark.parametrize(
        "name",
        [
            "ErrorUnsupportedGrant",
            "BadRequest",
            "ErrorInvalidGrant",
            "Unauthorized",
            "ErrorInvalidScope",
            "ErrorInvalidClient",
            "ErrorUnauthorizedClient",
            "Forbidden",
            "NotFound",
            "UnprocessableEntity",
        ],
    )
    def test_errors(self, examples: dict[str, Any], name: str) -> None:
        """Error examples read as Error."""
        error = structure(examples[name], Error)
        expected = (examples[name]["code"], examples[name]["message"], examples[name]["link"])
        assert expected == (error.code, error.message, error.link)

    def test_too_many_requests(self, examples: dict[str, Any]) -> None:
        """The 429 example keeps its spam warning URN."""
        error = structure(examples["TooManyRequests"], TooManyRequests)
        assert (429, "soundcloud:spam-warnings:1") == (error.code, error.spam_warning_urn)

    def test_create_playlist_json(self, examples: dict[str, Any]) -> None:
        """PlaylistCreate gives exactly the CreateUpdatePlaylistRequest example."""
        body = PlaylistCreate(
            title="Test Auto-created Playlist",
            description="Playlist for test purposes",
            sharing=Sharing.PRIVATE,
            tracks=["soundcloud:tracks:219787221", 783019264, "soundcloud:tracks:870073492"],
        )
        assert examples["CreateUpdatePlaylistRequest"] == body.to_json()
        assert examples["CreateUpdatePlaylistRequest"] == unstructure(body)

    def test_create_playlist_form(self, examples: dict[str, Any]) -> None:
        """PlaylistCreate's form is exactly the CreateUpdatePlaylistFormRequest example."""
        body = PlaylistCreate(
            title="Test drum sample",
            sharing="private",
            description="Public-api test sample upload",
        )
        assert examples["CreateUpdatePlaylistFormRequest"] == body.to_form()

    def test_track_metadata_form(self, examples: dict[str, Any]) -> None:
        """TrackMetadata's form matches the TrackDataRequest example (files aside)."""
        body = TrackMetadata(
            title="Test drum sample",
            permalink="test-drum-sample",
            sharing=Sharing.PRIVATE,
            embeddable_by=EmbeddableBy.ME,
            purchase_url=None,
            description="Public-api test sample upload",
            genre="Pop",
            tag_list=None,
            label_name=None,
            release=None,
            release_date=dt.date(2021, 2, 18),
            streamable=True,
            downloadable=False,
            license=License.NO_RIGHTS_RESERVED,
            commentable=True,
            isrc=None,
        )
        example = examples["TrackDataRequest"]
        expected = {
            key: "" if value is None else str(value).lower() if isinstance(value, bool) else value
            for key, value in example.items()
            if key not in ("track[asset_data]", "track[artwork_data]")
        }
        expected["track[release_date]"] = "2021-02-18"
        assert expected == body.to_form()

    def test_track_metadata_request(self, examples: dict[str, Any]) -> None:
        """TrackMetadata with only a title gives the TrackMetadataRequest example."""
        assert (
            examples["TrackMetadataRequest"] == TrackMetadata(title="Updated Test Track").to_form()
        )


class TestTags:
    """Parsing and formatting ``tag_list``."""

    @pytest.mark.parametrize(
        ("tag_list", "expected"),
        [
            (None, []),
            ("", []),
            ("   ", []),
            ("rock", ["rock"]),
            ("rock  pop\tjazz\n", ["rock", "pop", "jazz"]),
            ('"hip hop" rock', ["hip hop", "rock"]),
            ("soundcloud:source=iphone-record", ["soundcloud:source=iphone-record"]),
            (
                'geo:lat=43.555 camel:size=medium "machine:tag=with space"',
                ["geo:lat=43.555", "camel:size=medium", "machine:tag=with space"],
            ),
            ("a \u201cmachine:tag=with space\u201d b", ["a", "machine:tag=with space", "b"]),
            ('"unterminated tag', ["unterminated", "tag"]),
            ('"" x', ["x"]),
            ('"  padded  "', ["padded"]),
        ],
    )
    def test_parse(self, tag_list: str | None, expected: list[str]) -> None:
        """Tags split on blanks; quoted tags and machine tags stay whole."""
        assert expected == parse_tags(tag_list)

    def test_track_tags_property(self) -> None:
        """``Track.tags`` parses ``tag_list``; the raw string is kept."""
        track = Track(tag_list='"deep house" soundcloud:source=iphone-record')
        assert ["deep house", "soundcloud:source=iphone-record"] == track.tags
        assert '"deep house" soundcloud:source=iphone-record' == track.tag_list

    def test_playlist_tags_fall_back_to_raw_tags(self) -> None:
        """``Playlist.tags`` uses ``tag_list``, else the API's duplicate ``tags`` string."""
        assert ["a", "b c"] == Playlist(raw_tags='a "b c"').tags
        assert ["x"] == Playlist(tag_list="x", raw_tags="y").tags

    def test_format_round_trip(self) -> None:
        """Formatting quotes multi-word tags and parses back to the same list."""
        tags = ["rock", "hip hop", "soundcloud:source=iphone-record"]
        assert 'rock "hip hop" soundcloud:source=iphone-record' == format_tags(tags)
        assert tags == parse_tags(format_tags(tags))

    def test_format_drops_quotes_and_blanks(self) -> None:
        """Embedded quotes and empty tags cannot break the list."""
        assert 'a "b c"' == format_tags(["a", "", '"b c"', "  "])


class TestEnums:
    """Enums compare as strings; unknown API values stay raw strings."""

    def test_str_behaviour(self) -> None:
        """A member equals its value and formats as it on every Python."""
        member: str = Sharing.PUBLIC
        assert "public" == member
        assert "public" == str(Sharing.PUBLIC)
        assert "cc-by" == f"{License.CC_BY}"

    def test_unknown_values_kept(self) -> None:
        """A value SoundCloud adds later is kept as the raw string."""
        track = structure({"sharing": "unlisted", "access": "geo-blocked", "license": "cc0"}, Track)
        assert ("unlisted", "geo-blocked", "cc0") == (track.sharing, track.access, track.license)
        assert not isinstance(track.sharing, Sharing)

    def test_known_values_are_members(self) -> None:
        """Known values become the enum members."""
        playlist = structure({"set_type": "album", "sharing": "private"}, Playlist)
        assert PlaylistType.ALBUM is playlist.set_type
        assert Sharing.PRIVATE is playlist.sharing

    def test_legacy_activity_type(self) -> None:
        """``track-repost`` (older data) stays raw and still counts as a repost."""
        activity = structure({"type": "track-repost", "origin": {"title": "t"}}, Activity)
        assert "track-repost" == activity.type
        assert activity.is_repost
        assert isinstance(activity.origin, Track)


class TestReadModels:
    """Read models: construction, defaults, slots, secrets."""

    @pytest.mark.parametrize("cls", [Track, User, Me, Playlist, Comment, Activity, OAuthToken])
    def test_all_fields_optional(self, cls: type[Model]) -> None:
        """Every field defaults to ``None``: a model builds from nothing."""
        instance = cls()
        assert all(getattr(instance, f.name) is None for f in attrs.fields(cls))  # type: ignore[arg-type]

    def test_keyword_only_and_mutable(self) -> None:
        """Models are keyword-only, mutable and slotted."""
        track = Track(title="a")
        track.title = "b"
        assert "b" == track.title
        assert not hasattr(track, "__dict__")
        positional: Any = Track
        with pytest.raises(TypeError):
            positional("a")

    def test_token_repr_hides_secrets(self) -> None:
        """``OAuthToken``'s repr and str never show the tokens."""
        token = OAuthToken(
            access_token="at-secret-123", refresh_token="rt-secret-456", expires_in=3599
        )
        for text in (repr(token), str(token), f"{token}", repr([token])):
            assert "at-secret-123" not in text
            assert "rt-secret-456" not in text
        assert "access_token='***'" in repr(token)
        assert "expires_in=3599" in repr(token)

    def test_token_repr_shows_absence(self) -> None:
        """A missing refresh token shows as ``None``, so the repr still helps debugging."""
        assert "refresh_token=None" in repr(OAuthToken(access_token="x"))

    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            (4960, 4960),
            ("4960", 4960),
            (" 61500 ", 61500),
            ("4960.5", 4960.5),
            (4960.5, 4960.5),
            (0, 0),
            ("abc", None),
            ("nan", None),
            ("inf", None),
            (True, None),
            ([4960], None),
            (None, None),
        ],
        ids=repr,
    )
    def test_comment_timestamp_keeps_the_value(self, raw: Any, expected: Any) -> None:
        """``Comment.timestamp`` reads the spec's string form and the int form alike:
        whole numbers as ``int``, fractions as ``float`` milliseconds, the rest ``None``."""
        comment = structure({"kind": "comment", "timestamp": raw}, Comment)
        assert (expected, type(expected)) == (comment.timestamp, type(comment.timestamp))

    def test_comment_timestamp_round_trips(self) -> None:
        """A fractional timestamp survives unstructuring (a crawl's output keeps it)."""
        comment = structure({"timestamp": "4960.5"}, Comment)
        assert 4960.5 == unstructure(comment)["timestamp"]

    def test_storefront(self) -> None:
        """A storefront response reads with its type enum."""
        storefront = structure({"type": "vinyl", "price": "0", "link_title": None}, Storefront)
        assert (StorefrontType.VINYL, "0", None) == (
            storefront.type,
            storefront.price,
            storefront.link_title,
        )


class TestWriteModels:
    """Write models send only the fields set, in the API's exact shape."""

    def test_track_metadata_json(self) -> None:
        """Only set fields are sent; ``None`` is an explicit null; enums become values."""
        body = TrackMetadata(
            title="t", sharing=Sharing.PRIVATE, purchase_url=None, tag_list=["a b", "c"]
        )
        expected = {
            "track": {
                "title": "t",
                "sharing": "private",
                "purchase_url": None,
                "tag_list": '"a b" c',
            }
        }
        assert expected == body.to_json()
        assert expected == unstructure(body)

    def test_empty_metadata(self) -> None:
        """Nothing set sends an empty object."""
        assert {"track": {}} == TrackMetadata().to_json()
        assert {} == TrackMetadata().to_form()

    def test_unset_is_distinct_from_none(self) -> None:
        """UNSET is falsy, reprs as UNSET, and is not None."""
        assert UNSET is not None
        assert not UNSET
        assert "UNSET" == repr(UNSET)
        assert UNSET is TrackMetadata().title

    def test_track_metadata_form(self) -> None:
        """Form fields are ``track[...]`` strings; booleans are ``true``/``false``."""
        body = TrackMetadata(
            title="t",
            streamable=False,
            downloadable=True,
            release_date=dt.datetime(2024, 5, 6, 7, 8, tzinfo=UTC),
            license="cc-by",
            isrc=None,
        )
        expected = {
            "track[title]": "t",
            "track[release_date]": "2024-05-06",
            "track[streamable]": "false",
            "track[downloadable]": "true",
            "track[license]": "cc-by",
            "track[isrc]": "",
        }
        assert expected == body.to_form()

    def test_release_date_string_passes_through(self) -> None:
        """A release date given as a string is sent as it is."""
        assert {"track": {"release_date": "2021-02-18"}} == TrackMetadata(
            release_date="2021-02-18"
        ).to_json()

    def test_playlist_update_tracks(self) -> None:
        """Tracks become ``[{"urn": ...}]``; an empty list empties the playlist."""
        body = PlaylistUpdate(tracks=[1, Track(urn="soundcloud:tracks:2"), Track(id=3)])
        expected = {
            "playlist": {
                "tracks": [
                    {"urn": "soundcloud:tracks:1"},
                    {"urn": "soundcloud:tracks:2"},
                    {"urn": "soundcloud:tracks:3"},
                ]
            }
        }
        assert expected == body.to_json()
        assert {"playlist": {"tracks": []}} == PlaylistUpdate(tracks=[]).to_json()
        assert {"playlist": {}} == PlaylistUpdate().to_json()

    def test_playlist_form_tracks(self) -> None:
        """The form sends the track URNs comma-separated in one field."""
        body = PlaylistUpdate(tracks=[1, 2], set_type=PlaylistType.ALBUM)
        expected = {
            "playlist[tracks][][urn]": "soundcloud:tracks:1,soundcloud:tracks:2",
            "playlist[set_type]": "album",
        }
        assert expected == body.to_form()

    @pytest.mark.parametrize(
        "tracks", [["soundcloud:users:1"], ["https://soundcloud.com/a/b"], [-1], [True]]
    )
    def test_playlist_bad_tracks(self, tracks: list[Any]) -> None:
        """Bad track references fail at construction, before any request."""
        with pytest.raises(InvalidURN):
            PlaylistUpdate(tracks=tracks)

    def test_playlist_tracks_not_a_string(self) -> None:
        """A single string is not a list of tracks."""
        with pytest.raises(TypeError):
            PlaylistUpdate(tracks="soundcloud:tracks:1")

    def test_playlist_create_needs_title(self) -> None:
        """Creating a playlist requires a title."""
        with pytest.raises(TypeError):
            PlaylistCreate()  # type: ignore[call-arg]

    def test_comment_create(self) -> None:
        """A comment body with and without a timestamp."""
        assert {"comment": {"body": "hi"}} == CommentCreate(body="hi").to_json()
        assert {"comment": {"body": "hi", "timestamp": 1500}} == CommentCreate(
            body="hi", timestamp=1500
        ).to_json()

    def test_storefront_update(self) -> None:
        """The storefront body is unwrapped; unset optional fields are omitted (cleared)."""
        body = StorefrontUpdate(
            title="Download now", type=StorefrontType.DIGITAL, link="https://x.test", price="0"
        )
        expected = {
            "title": "Download now",
            "type": "digital",
            "link": "https://x.test",
            "price": "0",
        }
        assert expected == body.to_json()
        assert expected == unstructure(body)
