"""Tests for URN parsing: what is accepted, how it is normalised, what is rejected."""

from __future__ import annotations

import copy
import pickle
from typing import Any

import pytest

from soundcloud_async._errors import InvalidArgument, InvalidURN
from soundcloud_async._urn import URN, to_urn

_ACCEPT: list[tuple[object, str | None, str]] = [
    ("soundcloud:tracks:123", None, "soundcloud:tracks:123"),
    ("soundcloud:tracks:123", "tracks", "soundcloud:tracks:123"),
    ("soundcloud:users:9", "users", "soundcloud:users:9"),
    ("soundcloud:playlists:77", None, "soundcloud:playlists:77"),
    ("soundcloud:comments:1234", None, "soundcloud:comments:1234"),
    ("soundcloud:spam-warnings:1", None, "soundcloud:spam-warnings:1"),
    ("soundcloud:web-profiles:42", None, "soundcloud:web-profiles:42"),
    ("SoundCloud:Tracks:123", None, "soundcloud:tracks:123"),
    ("  soundcloud:tracks:5\n", None, "soundcloud:tracks:5"),
    (123, "tracks", "soundcloud:tracks:123"),
    (0, "users", "soundcloud:users:0"),
    ("123", "tracks", "soundcloud:tracks:123"),
    ("00123", "tracks", "soundcloud:tracks:123"),
    (" 7 ", "playlists", "soundcloud:playlists:7"),
    ("https://api.soundcloud.com/tracks/123", None, "soundcloud:tracks:123"),
    ("https://api.soundcloud.com/tracks/123", "tracks", "soundcloud:tracks:123"),
    ("http://api.soundcloud.com/users/55/", None, "soundcloud:users:55"),
    ("https://api.soundcloud.com/tracks/123?secret_token=s-x", None, "soundcloud:tracks:123"),
    (
        "https://api.soundcloud.com/tracks/soundcloud:tracks:123",
        "tracks",
        "soundcloud:tracks:123",
    ),
    (
        "https://api.soundcloud.com/playlists/soundcloud:playlists:8/?a=b#c",
        None,
        "soundcloud:playlists:8",
    ),
    ("HTTPS://API.SOUNDCLOUD.COM/tracks/1", None, "soundcloud:tracks:1"),
]

_REJECT: list[tuple[Any, str | None]] = [
    ("", None),
    ("", "tracks"),
    ("   ", "tracks"),
    ("soundcloud:tracks:", None),
    ("soundcloud::123", None),
    ("soundcloud:tracks", None),
    ("soundcloud:tracks:abc", None),
    ("soundcloud:tracks:-5", None),
    ("soundcloud:tracks:1:2", None),
    ("soundcloud:tracks:12 34", None),
    ("sc:tracks:1", None),
    ("tracks:1", None),
    (-1, "tracks"),
    ("-1", "tracks"),
    ("12a", "tracks"),
    ("1.5", "tracks"),
    ("\u0661\u0662", "tracks"),
    (True, "tracks"),
    (False, "tracks"),
    (1.0, "tracks"),
    (None, "tracks"),
    (None, None),
    (b"soundcloud:tracks:1", None),
    (["soundcloud:tracks:1"], None),
    (123, None),
    ("123", None),
    (123, "Tracks!"),
    ("soundcloud:users:1", "tracks"),
    ("https://api.soundcloud.com/users/1", "tracks"),
    ("https://api.soundcloud.com/tracks/soundcloud:users:1", None),
    ("https://api.soundcloud.com/tracks/1/comments", None),
    ("https://api.soundcloud.com/tracks/", None),
    ("https://api.soundcloud.com/tracks/abc", None),
    ("https://soundcloud.com/artist/track", None),
    ("https://soundcloud.com/artist/track", "tracks"),
    ("https://on.soundcloud.com/AbCd", None),
    ("https://m.soundcloud.com/artist/track", None),
    ("soundcloud.com/artist", None),
    ("https://example.com/tracks/1", "tracks"),
    ("https://api.soundcloud.com.evil.com/tracks/1", None),
    ("ftp://api.soundcloud.com/tracks/1", None),
]


class TestAccept:
    """Inputs that parse, and the canonical URN each gives."""

    @pytest.mark.parametrize(("value", "kind", "expected"), _ACCEPT, ids=[repr(c) for c in _ACCEPT])
    def test_parse(self, value: object, kind: str | None, expected: str) -> None:
        """Each accepted input becomes the canonical ``soundcloud:<kind>:<id>`` string."""
        urn = URN.parse(value, kind)
        assert expected == urn
        assert URN is type(urn)

    def test_big_int(self) -> None:
        """Ids beyond 64 bits still parse, as ints and as digit strings."""
        big = 10**30
        assert f"soundcloud:tracks:{big}" == URN.parse(big, "tracks")
        assert f"soundcloud:tracks:{'9' * 5000}" == URN.parse("9" * 5000, "tracks")

    def test_int_subclass(self) -> None:
        """An int subclass (not bool) is treated as an id."""

        class MyInt(int):
            pass

        assert "soundcloud:users:4" == URN.parse(MyInt(4), "users")

    def test_urn_passes_through(self) -> None:
        """An existing URN of the right kind is returned as the same object."""
        urn = URN.parse("soundcloud:tracks:1")
        assert urn is URN.parse(urn, "tracks")
        assert urn is to_urn(urn, "tracks")

    def test_constructor_validates(self) -> None:
        """``URN(value, kind)`` is ``URN.parse``: no instance skips validation."""
        assert "soundcloud:tracks:3" == URN(3, "tracks")
        with pytest.raises(InvalidURN):
            URN("nope")

    def test_to_urn(self) -> None:
        """``to_urn`` accepts every URN-like input for the given kind."""
        expected = ["soundcloud:tracks:1"] * 4
        actual = [
            to_urn(value, "tracks")
            for value in (1, "1", "soundcloud:tracks:1", "https://api.soundcloud.com/tracks/1")
        ]
        assert expected == actual


class TestProperties:
    """The parts of a URN and its behaviour as a string."""

    def test_kind_and_id(self) -> None:
        """``kind`` and ``id`` split the canonical form."""
        urn = URN.parse("soundcloud:spam-warnings:17")
        assert ("spam-warnings", "17") == (urn.kind, urn.id)

    def test_is_a_str(self) -> None:
        """A URN is a str: equal to its text, usable in paths and as a dict key."""
        urn = URN.parse(5, "tracks")
        assert isinstance(urn, str)
        assert "/tracks/soundcloud:tracks:5" == f"/tracks/{urn}"
        assert {"soundcloud:tracks:5": 1}[urn] == 1
        assert "URN('soundcloud:tracks:5')" == repr(urn)

    def test_no_instance_dict(self) -> None:
        """URNs are slotted: no per-instance ``__dict__``."""
        assert not hasattr(URN.parse(5, "tracks"), "__dict__")

    def test_pickle_and_copy(self) -> None:
        """Pickling and copying keep the type and value."""
        urn = URN.parse(5, "tracks")
        for clone in (pickle.loads(pickle.dumps(urn)), copy.copy(urn), copy.deepcopy(urn)):
            assert urn == clone
            assert URN is type(clone)


class TestReject:
    """Inputs that raise ``InvalidURN``, which names the bad value."""

    @pytest.mark.parametrize(("value", "kind"), _REJECT, ids=[repr(c) for c in _REJECT])
    def test_rejected(self, value: Any, kind: str | None) -> None:
        """The value is not a URN, id or API URL of the expected kind."""
        with pytest.raises(InvalidURN) as info:
            URN.parse(value, kind)
        assert value == info.value.value
        assert repr(value)[:100] in str(info.value)

    def test_permalink_hint(self) -> None:
        """A soundcloud.com page URL points the user at ``resolve()``."""
        with pytest.raises(InvalidURN, match=r"resolve"):
            URN.parse("https://soundcloud.com/artist/track", "tracks")

    def test_wrong_kind_message(self) -> None:
        """A URN of another kind says which kind was expected and which was given."""
        with pytest.raises(InvalidURN, match="expected a tracks URN, got a users one"):
            to_urn(URN.parse("soundcloud:users:1"), "tracks")

    def test_is_value_error(self) -> None:
        """``InvalidURN`` is an ``InvalidArgument`` and a ``ValueError``."""
        with pytest.raises(ValueError):  # noqa: PT011 - the base class is the point
            URN.parse("nope")
        assert issubclass(InvalidURN, InvalidArgument)

    def test_long_value_truncated(self) -> None:
        """A huge bad input is shortened in the message."""
        with pytest.raises(InvalidURN) as info:
            URN.parse("x" * 10_000)
        assert len(str(info.value)) < 300


def _outcome(fn: Any) -> Any:
    try:
        urn = fn()
    except InvalidURN as exc:
        return "invalid", str(exc)
    return type(urn), str(urn)


class TestToUrnShortcut:
    @pytest.mark.parametrize(
        "value",
        [
            "soundcloud:tracks:123",
            "soundcloud:tracks:0123",
            "soundcloud:users:1",
            "soundcloud:tracks:",
            "soundcloud:tracks:12a",
            "soundcloud:tracks:\u0661\u0662",
            "soundcloud:tracks:12 ",
            " soundcloud:tracks:12",
            "SoundCloud:Tracks:12",
            "soundcloud:trackss:12",
            "soundcloud:track:12",
            "soundcloud:tracks::12",
        ],
    )
    @pytest.mark.parametrize("kind", ["tracks", "users", "playlists"])
    def test_same_as_parse(self, value: str, kind: str) -> None:
        """The canonical-form shortcut of to_urn gives what URN.parse gives, or its error."""
        assert _outcome(lambda: URN.parse(value, kind)) == _outcome(lambda: to_urn(value, kind))
