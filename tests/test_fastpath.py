"""The strict fast path builds exactly what the tolerant path builds, or steps aside.

The properties are checked with hypothesis on bodies generated from the models
themselves: right-typed, wrong-typed and missing fields, SoundCloud and ISO dates,
garbage dates, unknown enum values, numbers out of range, unknown keys, error
objects, and arbitrary bytes.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import typing
from typing import Any

import attrs
import msgspec
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from soundcloud_async import _fastpath
from soundcloud_async._converters import _classify, _json_key, structure, structure_many
from soundcloud_async._errors import DecodeError, SoundCloudError, classify
from soundcloud_async._fastpath import REJECT, _plan, object_decoder, page_decoder
from soundcloud_async._pagination import _split_page
from soundcloud_async._resources._base import structure_object
from soundcloud_async.models import (
    Activities,
    Activity,
    Comment,
    Error,
    Me,
    Model,
    Playlist,
    Status,
    Streams,
    Track,
    User,
    WebProfile,
)

FAST_MODELS = [Track, User, Playlist, Comment, Me, WebProfile, Streams]
#: Examples per property; SC_FASTPATH_EXAMPLES=2000 for a thorough run (the suite keeps
#: it short: the strategies build big nested bodies).
EXAMPLES = int(os.environ.get("SC_FASTPATH_EXAMPLES", "30"))
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
URL = "https://api.soundcloud.com/tracks/soundcloud:tracks:1"


@pytest.fixture(scope="module", autouse=True, params=["C copy", "Python copy"])
def copy_implementation(request: pytest.FixtureRequest) -> Any:
    """Every test here runs twice: with the C copy (_speedups.c) and the generated Python one.

    The C extension is built by every install that has a C compiler, and CI requires it
    (``SOUNDCLOUD_ASYNC_REQUIRE_EXTENSIONS``); without it the first run fails here.
    """
    if request.param == "C copy":
        assert _fastpath._speedups is not None, "soundcloud_async._speedups is not built"
        yield
    else:
        with _fastpath._pure_python():
            yield


# --- comparing results exactly (== alone says Sharing.PUBLIC == "public") --------


def fingerprint(value: Any) -> Any:
    """A value that differs whenever two results differ in any type or content."""
    if isinstance(value, Model):
        cls = type(value)
        return cls, tuple(
            (f.name, fingerprint(getattr(value, f.name)))
            for f in attrs.fields(cls)  # type: ignore[misc]
        )
    if isinstance(value, list):
        return list, tuple(fingerprint(item) for item in value)
    if isinstance(value, dt.datetime):
        return dt.datetime, value.isoformat(), repr(value.tzinfo)
    if isinstance(value, float):
        return float, repr(value)
    return type(value), value


def outcome(fn: Any) -> Any:
    """What a caller sees: the result's fingerprint, or the exception's type and text."""
    try:
        return "ok", fingerprint(fn())
    except SoundCloudError as exc:
        return "raised", type(exc), str(exc)


# --- the tolerant path, as the transport and the resource layer run it -----------


def tolerant_object(body: bytes, model: type) -> Any:
    data = classify(200, {}, body, method="GET", url=URL, now_wall=0.0)
    return structure_object(data, model, url=URL, status=200)


def tolerant_page(body: bytes, model: type) -> Any:
    data = classify(200, {}, body, method="GET", url=URL, now_wall=0.0)
    raw, next_href, future_href = _split_page(data, URL, 200)
    try:
        items = structure_many(raw, model)
    except (TypeError, ValueError) as exc:
        raise DecodeError(str(exc), method="GET", url=URL, status=200) from exc
    return [items, next_href, future_href]


def public_object(body: bytes, model: type, *, fast: bool) -> Any:
    decoder = object_decoder(model) if fast else None
    if decoder is not None:
        value = decoder(body)
        if value is not REJECT:
            return value
    return tolerant_object(body, model)


def public_page(body: bytes, model: type, *, fast: bool) -> Any:
    decoder = page_decoder(model) if fast else None
    if decoder is not None:
        value = decoder(body)
        if value is not REJECT:
            return list(value)
    return tolerant_page(body, model)


# --- strategies ----------------------------------------------------------------

BIG = st.integers(min_value=-(2**70), max_value=2**70)
INTS = st.one_of(st.integers(-1000, 10**6), BIG, st.sampled_from([2**63 - 1, 2**63, 2**64]))
FLOATS = st.floats(allow_nan=False, allow_infinity=False)
TEXT = st.text(max_size=12)
JSON_SCALARS = st.one_of(st.none(), st.booleans(), INTS, FLOATS, TEXT)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(TEXT, inner, max_size=3)),
    max_leaves=6,
)

_MOMENTS = st.datetimes(
    min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31, 23, 59, 59)
)


@st.composite
def dates(draw: st.DrawFn, strings_only: bool = False) -> Any:
    """SoundCloud's format mostly, and ISO variants, odd offsets, edge years, garbage."""
    moment = draw(_MOMENTS)
    offset = draw(st.sampled_from(["+0000", "+0000", "+0100", "-0530", "+1400"]))
    options = [
        st.just(f"{moment:%Y/%m/%d %H:%M:%S} {offset}"),
        st.just(f"{moment:%Y/%m/%d %H:%M:%S} +0000"),
        st.just(moment.isoformat() + draw(st.sampled_from(["", "Z", "+00:00", "-08:00"]))),
        st.just(f"{moment:%Y-%m-%dT%H:%M:%S.%f}Z"),
        st.just(f"{moment:%Y/%m/%d %H:%M:%S}"),
        TEXT,
    ]
    return draw(st.one_of(*options, *([] if strings_only else [JSON_SCALARS])))


_RIGHT: dict[str, st.SearchStrategy[Any]] = {
    "str": TEXT,
    "int": st.one_of(st.integers(-1000, 10**6), st.integers(-(2**63), 2**63 - 1)),
    "float": st.one_of(FLOATS, INTS),
    "bool": st.booleans(),
    "number": st.one_of(INTS, FLOATS),
    "int_list": st.lists(INTS, max_size=3),
}


def _scalar_strategy(how: str, sloppy: bool) -> st.SearchStrategy[Any]:
    right = _RIGHT[how]
    if not sloppy:
        return st.one_of(right, right, st.none())
    wrong = st.one_of(
        JSON_SCALARS,
        st.sampled_from(["12", " 7 ", "1.5", "true", "0", "false", "1e3"]),
        st.lists(JSON_SCALARS, max_size=2),
        st.dictionaries(TEXT, JSON_SCALARS, max_size=2),
    )
    return st.one_of(right, right, right, st.none(), wrong)


def body_of(model: type, depth: int = 0, sloppy: bool = True) -> st.SearchStrategy[dict[str, Any]]:
    """A JSON object for ``model``: any subset of its keys, values, unknown keys.

    ``sloppy=False`` keeps every value of the right JSON type (dates and enums any
    string), the bodies the fast path takes; ``sloppy=True`` mixes in wrong types.
    """
    hints = typing.get_type_hints(model)
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for field in attrs.fields(model):
        how, detail = _classify(hints[field.name])
        if how in _RIGHT:
            strategy = _scalar_strategy(how, sloppy)
        elif how == "date":
            strategy = st.one_of(dates(strings_only=not sloppy), st.none())
        elif how == "enum":
            values = [member.value for member in detail]
            strategy = st.one_of(st.sampled_from(values), TEXT, JSON_SCALARS if sloppy else TEXT)
        elif how == "model" and depth < 2:
            nested = body_of(detail, depth + 1, sloppy)
            strategy = st.one_of(nested, JSON_SCALARS) if sloppy else st.one_of(nested, st.none())
        elif how == "model_list" and depth < 1:
            nested = body_of(detail, depth + 1, sloppy)
            strategy = st.lists(nested, max_size=2)
            if sloppy:
                strategy = st.one_of(
                    strategy, st.lists(st.one_of(nested, JSON_SCALARS), max_size=2), JSON_SCALARS
                )
        else:
            strategy = st.none() if not sloppy else JSON_VALUES
        fields[_json_key(field)] = strategy
    known = st.fixed_dictionaries({}, optional=fields)
    unknown = st.dictionaries(st.sampled_from(["extra", "policy", "state", "x"]), JSON_VALUES)
    return st.builds(lambda a, b: {**b, **a}, known, unknown)


def any_body_of(model: type) -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(body_of(model, sloppy=False), body_of(model, sloppy=True))


def encode(value: Any, ascii_only: bool) -> bytes:
    # The stdlib encoder writes integers of any size (orjson stops at 64 bits).
    return json.dumps(value, ensure_ascii=ascii_only, allow_nan=False).encode()


@st.composite
def object_bodies(draw: st.DrawFn, model: type) -> bytes:
    return encode(draw(any_body_of(model)), draw(st.booleans()))


@st.composite
def page_bodies(draw: st.DrawFn, model: type) -> bytes:
    clean = body_of(model, sloppy=False)
    item = st.one_of(clean, clean, clean, body_of(model), JSON_SCALARS)
    items = draw(st.one_of(st.lists(clean, max_size=4), st.lists(item, max_size=4)))
    page: dict[str, Any] = {"collection": items}
    if draw(st.booleans()):
        page["next_href"] = draw(
            st.one_of(st.just("https://api.soundcloud.com/x?cursor=2"), TEXT, JSON_SCALARS)
        )
    if draw(st.booleans()):
        page["future_href"] = draw(st.one_of(TEXT, JSON_SCALARS))
    return encode(page, draw(st.booleans()))


@st.composite
def mangled(draw: st.DrawFn, bodies: st.SearchStrategy[bytes]) -> bytes:
    """Any body: valid ones, cut or corrupted ones, other JSON shapes, error objects."""
    body = draw(bodies)
    choice = draw(st.integers(0, 5))
    if choice == 1 and body:
        return body[: draw(st.integers(0, len(body) - 1))]
    if choice == 2 and body:
        at = draw(st.integers(0, len(body) - 1))
        return body[:at] + draw(st.binary(min_size=1, max_size=3)) + body[at + 1 :]
    if choice == 3:
        return draw(st.binary(max_size=40))
    if choice == 4:
        error = st.fixed_dictionaries(
            {},
            optional={
                "code": st.integers(0, 600),
                "message": TEXT,
                "errors": st.lists(st.dictionaries(TEXT, TEXT, max_size=1), max_size=1),
                "error": st.one_of(TEXT, st.none()),
                "status": TEXT,
            },
        )
        return encode(draw(st.one_of(error, JSON_VALUES)), True)
    if choice == 5:
        # Bytes the fast path would skip without looking: invalid UTF-8 in an unknown key.
        return body.replace(b"{", b'{"junk": "\xff\xfe", ', 1)
    return body


# --- the properties ------------------------------------------------------------


class TestEquivalence:
    @pytest.mark.parametrize("model", FAST_MODELS, ids=lambda m: m.__name__)
    @SETTINGS
    @given(data=st.data())
    def test_accepted_object_equals_tolerant(self, model: type, data: st.DataObject) -> None:
        """Whatever one object the fast path accepts, the tolerant path builds identically."""
        body = data.draw(object_bodies(model))
        decoder = object_decoder(model)
        assert decoder is not None
        fast = decoder(body)
        if fast is not REJECT:
            assert fingerprint(tolerant_object(body, model)) == fingerprint(fast)

    @pytest.mark.parametrize("model", [Track, User, Playlist, WebProfile], ids=lambda m: m.__name__)
    @SETTINGS
    @given(data=st.data())
    def test_any_object_body_same_public_result(self, model: type, data: st.DataObject) -> None:
        """For any body, the caller gets the same model or the same error as without it."""
        body = data.draw(mangled(object_bodies(model)))
        assert outcome(lambda: public_object(body, model, fast=False)) == outcome(
            lambda: public_object(body, model, fast=True)
        )

    @pytest.mark.parametrize("model", [Track, Playlist, Comment], ids=lambda m: m.__name__)
    @SETTINGS
    @given(data=st.data())
    def test_any_page_body_same_public_result(self, model: type, data: st.DataObject) -> None:
        """For any page body, items and links (or the error) are those of the tolerant path."""
        body = data.draw(mangled(page_bodies(model)))
        assert outcome(lambda: public_page(body, model, fast=False)) == outcome(
            lambda: public_page(body, model, fast=True)
        )

    @SETTINGS
    @given(data=st.data())
    def test_clean_track_pages_stay_strict(self, data: st.DataObject) -> None:
        """A page whose tracks all have right-typed fields never needs the tolerant path."""
        track = st.fixed_dictionaries(
            {
                "id": st.integers(0, 2**63 - 1),
                "title": TEXT,
                "created_at": _MOMENTS.map(lambda m: f"{m:%Y/%m/%d %H:%M:%S} +0000"),
                "sharing": st.sampled_from(["public", "private", "something-new"]),
                "bpm": st.one_of(FLOATS, st.integers(0, 300), st.none()),
                "user": st.fixed_dictionaries(
                    {
                        "id": st.integers(0, 10**9),
                        "last_modified": st.just("2019/01/15 15:40:49 +0000"),
                    }
                ),
            }
        )
        body = encode({"collection": data.draw(st.lists(track, max_size=5))}, False)
        plan = _plan(Track)
        assert plan is not None
        strict = msgspec.json.Decoder(list[plan.struct])  # type: ignore[name-defined]
        strict.decode(orjson.dumps(orjson.loads(body)["collection"]))  # raises if refused


class TestFastPath:
    def test_soundcloud_dates_are_parsed(self) -> None:
        """SoundCloud's date format is taken by the strict decoder and parsed to UTC."""
        body = b'{"id": 1, "created_at": "2019/01/15 15:40:49 +0000"}'
        track = object_decoder(Track)(body)  # type: ignore[misc]
        assert dt.datetime(2019, 1, 15, 15, 40, 49, tzinfo=dt.timezone.utc) == track.created_at
        assert dt.timezone.utc is track.created_at.tzinfo

    def test_enums_and_unknown_values(self) -> None:
        """Known enum values become members, unknown ones stay strings, as tolerantly."""
        track = object_decoder(Track)(b'{"id": 1, "sharing": "public", "access": "new"}')  # type: ignore[misc]
        assert "Sharing.PUBLIC" == f"{type(track.sharing).__name__}.{track.sharing.name}"
        assert "new" == track.access
        assert type(track.access) is str

    def test_renamed_key(self) -> None:
        """A model field with its own JSON key (Playlist.raw_tags is "tags") reads that key."""
        playlist = object_decoder(Playlist)(b'{"id": 2, "tags": "a b", "raw_tags": "no"}')  # type: ignore[misc]
        assert "a b" == playlist.raw_tags

    @pytest.mark.parametrize(
        "body",
        [
            b'{"errors": [{"error_message": "bad"}]}',
            b'{"code": 401, "message": "no"}',
            b"{}",
            b'{"id": null}',
            b'{"id": "12"}',
            b'{"id": 9223372036854775808}',
            b'{"id": 1, "user": []}',
            b'{"id": 1, "junk": "\xff"}',
            b"[]",
            b"",
            b"<html></html>",
        ],
    )
    def test_rejects(self, body: bytes) -> None:
        """Error objects, empty objects, wrong types, big ints and bad bytes go tolerant."""
        assert REJECT is object_decoder(Track)(body)  # type: ignore[misc]

    def test_per_item_fallback(self) -> None:
        """On a page with one wrong-typed item, only that item takes the tolerant path."""
        items = [{"id": 1, "title": "a"}, {"id": "2", "title": 3}, {"id": 3}]
        body = orjson.dumps({"collection": items, "next_href": "https://x/y?cursor=1"})
        got, next_href, future_href = page_decoder(Track)(body)  # type: ignore[misc]
        assert [1, 2, 3] == [t.id for t in got]
        assert "3" == got[1].title
        assert ("https://x/y?cursor=1", None) == (next_href, future_href)

    def test_non_object_item_rejects_page(self) -> None:
        """A page with an item that is not an object is left to the tolerant path's error."""
        assert REJECT is page_decoder(Track)(b'{"collection": [{"id": 1}, 5]}')  # type: ignore[misc]

    @pytest.mark.parametrize("model", [Activity, Activities, Error, Status])
    def test_models_without_fast_path(self, model: type) -> None:
        """Model unions and models with error-body keys have no strict object decoder."""
        assert object_decoder(model) is None

    def test_number_beyond_double_in_unknown_key(self) -> None:
        """The one documented difference: an unread key's 1e400 is skipped, not refused."""
        body = b'{"id": 1, "unread": 1e400}'
        assert 1 == object_decoder(Track)(body).id  # type: ignore[misc]
        with pytest.raises(DecodeError):
            tolerant_object(body, Track)

    def test_lazy_data(self) -> None:
        """The converter's own structure() of the same JSON agrees with a fast decode."""
        body = orjson.dumps({"id": 5, "user": {"id": 6, "created_at": "2020/02/02 02:02:02 +0000"}})
        assert fingerprint(structure(orjson.loads(body), Track)) == fingerprint(
            object_decoder(Track)(body)  # type: ignore[misc]
        )
