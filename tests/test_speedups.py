"""The optional C extension (``soundcloud_async/_speedups.c``) on its own.

``tests/test_fastpath.py`` runs every fast-path property with the C copy and with the
generated Python copy; here are the parts only C has: its date parser against the Python
one, the checks that keep it from writing where it must not, reference counts, and the
switch that turns it off.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import subprocess
import sys
from typing import Any

import attrs
import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from soundcloud_async import _fastpath, _speedups
from soundcloud_async._dates import parse_date
from soundcloud_async.models import Model, Sharing, Track
from tests.fake_process import clean_env

# --- dates: the C parser gives exactly what the Python one gives ------------------


def same_date(value: Any) -> tuple[Any, Any]:
    """(C result, Python result), each as (repr, tzinfo) so that types and zones count."""
    c = _speedups.parse_date(value, parse_date)
    py = parse_date(value)
    return (repr(c), getattr(c, "tzinfo", None)), (repr(py), getattr(py, "tzinfo", None))


def two(lo: int, hi: int) -> st.SearchStrategy[str]:
    return st.integers(lo, hi).map(lambda n: f"{n:02d}")


#: SoundCloud's shape with numbers in and out of range (month 13, 31 April, hour 24,
#: second 60, year 0000): the C parser takes the valid ones, the Python parser the rest.
CANONICAL = st.builds(
    lambda y, mo, d, h, mi, s, tz: f"{y:04d}/{mo}/{d} {h}:{mi}:{s} {tz}",
    st.integers(0, 9999),
    two(0, 13),
    two(0, 32),
    two(0, 25),
    two(0, 60),
    two(0, 61),
    st.sampled_from(["+0000", "+0000", "+0100", "-0000", "+000"]),
)


@settings(max_examples=400, deadline=None)
@given(CANONICAL)
def test_canonical_dates_match_python(value: str) -> None:
    c, py = same_date(value)
    assert c == py


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        st.text(max_size=30),
        st.text(alphabet="0123456789/: +-TZ", min_size=20, max_size=30),
        st.datetimes().map(lambda m: m.isoformat()),
    )
)
def test_any_string_matches_python(value: str) -> None:
    c, py = same_date(value)
    assert c == py


UTC = dt.timezone.utc
#: Full-width digits: digits to str.isdigit(), not to the C parser.
FULLWIDTH = "\uff12\uff10\uff11\uff13/03/05 19:56:42 +0000"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2013/03/05 19:56:42 +0000", dt.datetime(2013, 3, 5, 19, 56, 42, tzinfo=UTC)),
        ("2012/02/29 00:00:00 +0000", dt.datetime(2012, 2, 29, tzinfo=UTC)),
        (
            "9999/12/31 23:59:59 +0000",
            dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.timezone.utc),
        ),
        ("2013/02/29 00:00:00 +0000", None),
        ("0000/01/01 00:00:00 +0000", None),
        ("2013/03/05 19:56:60 +0000", None),
        # Not the canonical form: the Python parser's answer (an offset, ISO, full-width digits).
        ("2013/03/05 19:56:42 +0100", dt.datetime(2013, 3, 5, 18, 56, 42, tzinfo=UTC)),
        ("2013-03-05T19:56:42Z", dt.datetime(2013, 3, 5, 19, 56, 42, tzinfo=UTC)),
        (FULLWIDTH, parse_date(FULLWIDTH)),
        (None, None),
    ],
)
def test_dates(value: Any, expected: Any) -> None:
    got = _speedups.parse_date(value, parse_date)
    assert got == expected
    if expected is not None:
        assert got.tzinfo is dt.timezone.utc


def test_date_fallback_is_called_for_other_strings() -> None:
    seen: list[Any] = []

    def fallback(value: Any) -> str:
        seen.append(value)
        return "parsed elsewhere"

    assert _speedups.parse_date("2013-03-05T19:56:42Z", fallback) == "parsed elsewhere"
    assert _speedups.parse_date("2013/03/05 19:56:42 +0000", fallback).year == 2013
    assert seen == ["2013-03-05T19:56:42Z"]


# --- a Copier refuses what would make it write out of bounds -----------------------


class Mirror(msgspec.Struct, gc=False):
    a: Any = None
    b: Any = None


class OtherMirror(msgspec.Struct):
    a: Any = None


@attrs.define
class Target:
    a: Any = None
    b: Any = None


@attrs.define
class Unrelated:
    a: Any = None


M_A, T_A = Mirror.__dict__["a"], Target.__dict__["a"]


def copier(kind_a: int = _speedups.COPY, arg_a: Any = None, **kw: Any) -> Any:
    fields = (
        (Mirror.__dict__["a"], Target.__dict__["a"], kind_a, arg_a),
        (Mirror.__dict__["b"], Target.__dict__["b"], _speedups.COPY, None),
    )
    return _speedups.Copier(kw.get("src", Mirror), kw.get("dst", Target), fields)


def test_copies_fields() -> None:
    out = copier().copy(Mirror(a=[1], b="x"))
    assert type(out) is Target
    assert out == Target(a=[1], b="x")
    assert repr(copier()).startswith("<Copier ")


@pytest.mark.parametrize(
    ("fields", "error", "match"),
    [
        (((property(), Target.__dict__["a"], 0, None),), TypeError, "not a member descriptor"),
        ((("a", Target.__dict__["a"], 0, None),), TypeError, "not a member descriptor"),
        (((slice.__dict__["start"], Target.__dict__["a"], 0, None),), TypeError, "writable"),
        (((Mirror.__dict__["a"], Unrelated.__dict__["a"], 0, None),), TypeError, "another class"),
        (((OtherMirror.__dict__["a"], Target.__dict__["a"], 0, None),), TypeError, "another class"),
        (((Mirror.__dict__["a"], Target.__dict__["a"], 9, None),), ValueError, "kind"),
        (((Mirror.__dict__["a"], Target.__dict__["a"], _speedups.ENUM, []),), TypeError, "dict"),
        (((Mirror.__dict__["a"], Target.__dict__["a"], _speedups.DATE, 1),), TypeError, "callable"),
        (
            ((Mirror.__dict__["a"], Target.__dict__["a"], _speedups.MODEL, 1),),
            TypeError,
            "callable",
        ),
        ((("not", "a", "field"),), TypeError, "Copier field"),
        ((1,), TypeError, "tuple"),
    ],
)
def test_refuses_bad_fields(fields: Any, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        _speedups.Copier(Mirror, Target, fields)


def test_refuses_another_source_type() -> None:
    with pytest.raises(TypeError, match="expected a Mirror, got a OtherMirror"):
        copier().copy(OtherMirror())
    with pytest.raises(TypeError, match="takes a list"):
        copier().copy_list((Mirror(),))
    with pytest.raises(TypeError, match="keyword"):
        copier()(mirror=Mirror())


def test_enum_model_and_list_fields() -> None:
    enum = copier(_speedups.ENUM, Sharing._value2member_map_)
    assert enum.copy(Mirror(a="public")).a is Sharing.PUBLIC
    assert enum.copy(Mirror(a="brand-new")).a == "brand-new"
    assert enum.copy(Mirror(a=None)).a is None
    inner = copier()
    nested = copier(_speedups.MODEL, inner)
    assert nested.copy(Mirror(a=Mirror(a=1, b=2))).a == Target(a=1, b=2)
    as_list = copier(_speedups.MODEL_LIST, inner.copy)  # a plain callable works too
    assert as_list.copy(Mirror(a=[Mirror(a=1), Mirror(b=2)])).a == [Target(a=1), Target(b=2)]
    assert as_list.copy(Mirror(a=None)).a is None
    with pytest.raises(TypeError, match="non-list"):
        as_list.copy(Mirror(a=(1,)))


def test_callables_that_meddle_do_not_crash() -> None:
    """A Python callable may shrink the list or rebind the mirror's field mid-copy."""
    items: list[Any] = [Mirror(a=1), Mirror(a=2), Mirror(a=3)]

    def shrink(item: Any) -> Any:
        items.clear()
        return item.a

    as_list = copier(_speedups.MODEL_LIST, shrink)
    with pytest.raises(RuntimeError, match="changed size"):
        as_list.copy(Mirror(a=items))
    mirror = Mirror(a=[object()], b=None)

    def rebind(value: Any) -> Any:
        mirror.a = None  # drops the mirror's reference to the value being converted
        gc.collect()
        return len(value)

    assert copier(_speedups.MODEL, rebind).copy(mirror).a == 1


def test_failure_midway_releases_what_was_copied() -> None:
    kept = object()

    def boom(_: Any) -> Any:
        raise RuntimeError("nested failed")

    failing = _speedups.Copier(
        Mirror,
        Target,
        (
            (Mirror.__dict__["b"], Target.__dict__["b"], _speedups.COPY, None),
            (Mirror.__dict__["a"], Target.__dict__["a"], _speedups.MODEL, boom),
        ),
    )
    mirror = Mirror(a=1, b=kept)
    before = sys.getrefcount(kept)
    for _ in range(100):
        with pytest.raises(RuntimeError, match="nested failed"):
            failing.copy(mirror)
    gc.collect()
    assert sys.getrefcount(kept) == before


def test_copies_hold_exactly_one_reference_each() -> None:
    value = object()
    mirror = Mirror(a=value, b=value)
    before = sys.getrefcount(value)
    copies = copier().copy_list([mirror] * 50)
    assert sys.getrefcount(value) == before + 100
    del copies
    assert sys.getrefcount(value) == before


# --- in the library ------------------------------------------------------------------


def test_fast_path_uses_the_copier() -> None:
    plan = _fastpath._plan(Track)
    assert plan is not None
    assert isinstance(plan.nested, _speedups.Copier)
    with _fastpath._pure_python():
        python_plan = _fastpath._plan(Track)
    assert python_plan is not None
    assert not isinstance(python_plan.nested, _speedups.Copier)
    assert _fastpath._plan(Track) is plan  # the block restored the cache


def test_no_extensions_switch() -> None:
    """``SOUNDCLOUD_ASYNC_NO_EXTENSIONS=1`` runs the generated Python copy, same models."""
    body = json.dumps(
        {"collection": [{"id": 1, "title": "t", "created_at": "2013/03/05 19:56:42 +0000"}]}
    )
    script = (
        "import sys\n"
        "from soundcloud_async import _fastpath\n"
        "from soundcloud_async.models import Track\n"
        "items, _, _ = _fastpath.page_decoder(Track)(sys.stdin.buffer.read())\n"
        "print(_fastpath._speedups is None, repr(items[0].created_at), items[0].title)\n"
    )
    for env, built in (({"SOUNDCLOUD_ASYNC_NO_EXTENSIONS": "1"}, "True"), ({}, "False")):
        out = subprocess.run(
            [sys.executable, "-c", script],
            input=body.encode(),
            capture_output=True,
            check=True,
            env={**clean_env(), **env},
        ).stdout.decode()
        assert out.split(" ", 1)[0] == built
        assert "datetime.datetime(2013, 3, 5, 19, 56, 42, tzinfo=datetime.timezone.utc) t" in out


@attrs.define(kw_only=True, slots=False)
class DictModel(Model):
    """A model without ``__slots__``: its fields are no offsets, so no C copy."""

    id: int | None = None
    created_at: dt.datetime | None = None


def test_a_model_without_slots_gets_the_python_copy() -> None:
    plan = _fastpath._plan(DictModel)
    assert plan is not None
    assert not isinstance(plan.nested, _speedups.Copier)
    decoder = _fastpath.page_decoder(DictModel)
    assert decoder is not None
    items, _, _ = decoder(b'{"collection": [{"id": 7, "created_at": "2013/03/05 19:56:42 +0000"}]}')
    assert items == [DictModel(id=7, created_at=dt.datetime(2013, 3, 5, 19, 56, 42, tzinfo=UTC))]
