"""How fast JSON pages become objects: our converter against the alternatives.

A deterministic 200-track page (about 45 fields per track plus a 17-field nested
user, SoundCloud-format dates, nulls and tag lists; ~390 KB of JSON) is decoded
and mapped by each contender, in the same process and run:

* ``orjson.loads`` to dicts: the baseline every other figure is a ratio of;
* ours, the fast path: ``page_decoder(Track)(page)``, msgspec straight from the bytes
  into the models (what a ``Paginator`` runs);
* ours, the fast path on a page where every tenth track has a wrong-typed field
  (``"playback_count": "123"``): those items take the tolerant path (the fallback cost);
* ours, the tolerant path: ``structure_many(orjson.loads(page)["collection"], Track)``
  (what every page cost before the fast path);
* dacite into equivalent dataclasses with a ``strptime`` date hook (what the most
  used sync client does);
* pydantic v2: ``TypeAdapter(list[Model]).validate_python`` on equivalent models
  (dates through a before-validator using our fast parser: pydantic's own
  parser rejects SoundCloud's format);
* cattrs out of the box: ``cattrs.Converter()`` on our attrs classes with a
  ``strptime`` date hook.

Every contender includes ``orjson.loads`` of the bytes, so ratios compare whole
decode-and-map costs. Run as a script for a table::

    .venv/bin/python benchmarks/bench_converter.py [--pages N] [--repeat R]

or under pytest-benchmark (the file is collected because it is named on the
command line)::

    .venv/bin/pytest benchmarks/bench_converter.py --benchmark-only
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import enum
import gc
import random
import sys
import time
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Optional

import attrs
import cattrs
import dacite
import orjson
import pydantic
import pytest

try:
    import soundcloud_async  # noqa: F401
except ModuleNotFoundError:  # run from a checkout without installing the package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import _harness

from soundcloud_async import _fastpath
from soundcloud_async._converters import parse_date, structure_many
from soundcloud_async._fastpath import REJECT, page_decoder
from soundcloud_async.models import Track

PAGE_SIZE = 200
FAST = "soundcloud_async fast path"
FALLBACK = "  fast path, every 10th item tolerant"
PYTHON_COPY = "  fast path without the C extension"
TARGET = 0.8
SC_DATE = "%Y/%m/%d %H:%M:%S %z"

_GENRES = ["Electronic", "Hip-hop & Rap", "Rock", "Ambient", "Techno", "House", "Pop", "Jazz"]
_WORDS = [
    "night",
    "drive",
    "summer",
    "mix",
    "live",
    "session",
    "remix",
    "demo",
    "bass",
    "deep",
    "echo",
    "lost",
    "found",
    "city",
    "rain",
    "neon",
    "dream",
    "sound",
    "wave",
    "field",
    "tape",
    "loop",
    "glass",
    "fire",
    "ocean",
    "slow",
    "fast",
]
_TAGS = ["lofi", '"deep house"', "soundcloud:source=iphone-record", "geo:lat=43.555", "chill"]


def _date(rng: random.Random) -> str:
    stamp = dt.datetime(2012, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(
        seconds=rng.randrange(400_000_000)
    )
    return f"{stamp:%Y/%m/%d %H:%M:%S} +0000"


def _text(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(rng.randint(low, high)))


def make_user(rng: random.Random, user_id: int) -> dict[str, Any]:
    """A mini user as nested in tracks: 17 fields."""
    name = f"{rng.choice(_WORDS)}_{rng.choice(_WORDS)}_{user_id}"
    return {
        "avatar_url": f"https://i1.sndcdn.com/avatars-{user_id:012d}-abcdef-large.jpg",
        "city": rng.choice(["Berlin", "London", None, "New York", "Paris"]),
        "country": rng.choice(["Germany", "United Kingdom", None, "United States"]),
        "first_name": rng.choice(["Alex", "Sam", None, "Kim"]),
        "followers_count": rng.randrange(100_000),
        "followings_count": rng.randrange(2_000),
        "full_name": rng.choice(["Alex Doe", "", "Sam Roe"]),
        "urn": f"soundcloud:users:{user_id}",
        "kind": "user",
        "last_modified": _date(rng),
        "last_name": rng.choice(["Doe", None, "Roe"]),
        "permalink": name,
        "permalink_url": f"https://soundcloud.com/{name}",
        "uri": f"https://api.soundcloud.com/users/soundcloud:users:{user_id}",
        "username": name.replace("_", " "),
        "created_at": _date(rng),
        "track_count": rng.randrange(500),
    }


def make_track(rng: random.Random, track_id: int) -> dict[str, Any]:
    """A track as the API sends it: 45 fields plus the nested user."""
    user_id = rng.randrange(1, 900_000_000)
    title = _text(rng, 2, 6)
    permalink = title.replace(" ", "-")
    user = make_user(rng, user_id)
    downloadable = rng.random() < 0.3
    base = f"https://api.soundcloud.com/tracks/soundcloud:tracks:{track_id}"
    return {
        "kind": "track",
        "urn": f"soundcloud:tracks:{track_id}",
        "title": title,
        "artwork_url": f"https://i1.sndcdn.com/artworks-{track_id:012d}-0-large.jpg",
        "bpm": rng.choice([None, 120.0, 128, 96.5]),
        "comment_count": rng.randrange(500),
        "commentable": True,
        "created_at": _date(rng),
        "description": rng.choice([None, "", _text(rng, 15, 60)]),
        "download_count": rng.randrange(1_000),
        "downloadable": downloadable,
        "download_url": f"{base}/download" if downloadable else None,
        "duration": rng.randrange(30_000, 600_000),
        "embeddable_by": "all",
        "favoritings_count": rng.randrange(50_000),
        "genre": rng.choice(_GENRES),
        "isrc": rng.choice([None, f"QZ{track_id % 100000:05d}1234567"]),
        "key_signature": rng.choice([None, "", "C#m"]),
        "label_name": rng.choice([None, "Some Label"]),
        "license": rng.choice(["all-rights-reserved", "cc-by", "cc-by-nc-sa"]),
        "metadata_artist": rng.choice([None, user["username"]]),
        "permalink": permalink,
        "permalink_url": f"{user['permalink_url']}/{permalink}",
        "playback_count": rng.randrange(5_000_000),
        "purchase_title": None,
        "purchase_url": rng.choice([None, "https://example.com/buy"]),
        "release": None,
        "release_day": rng.choice([None, rng.randint(1, 28)]),
        "release_month": rng.choice([None, rng.randint(1, 12)]),
        "release_year": rng.choice([None, rng.randint(2000, 2025)]),
        "reposts_count": rng.randrange(5_000),
        "secret_uri": None,
        "sharing": "public",
        "stream_url": f"{base}/stream",
        "streamable": True,
        "tag_list": " ".join(rng.sample(_TAGS, rng.randint(0, 4))),
        "uri": base,
        "user": user,
        "user_favorite": False,
        "user_playback_count": None,
        "waveform_url": f"https://wave.sndcdn.com/{track_id:012d}_m.png",
        "available_country_codes": None,
        "access": rng.choice(["playable", "playable", "preview", "blocked"]),
        "reveal_stats": True,
        "reveal_comments": True,
        "last_modified": _date(rng),
    }


def make_page(size: int = PAGE_SIZE, seed: int = 2026, dirty_every: int = 0) -> bytes:
    """The page as the wire carries it: ``{collection, next_href}`` as JSON bytes.

    ``dirty_every=10`` gives every tenth track a count sent as a string, which the
    strict decoder refuses and the tolerant path repairs.
    """
    rng = random.Random(seed)
    collection = [make_track(rng, 100_000_000 + i * 7919) for i in range(size)]
    if dirty_every:
        for track in collection[::dirty_every]:
            track["playback_count"] = str(track["playback_count"])
    return orjson.dumps(
        {
            "collection": collection,
            "next_href": "https://api.soundcloud.com/tracks?linked_partitioning=true&cursor=abc",
        }
    )


# --- equivalent classes for the other libraries -------------------------------


def _resolved_fields(cls: type) -> list[tuple[str, Any]]:
    hints = typing.get_type_hints(cls)
    return [(f.name, hints[f.name]) for f in attrs.fields(cls)]


def _plain(tp: Any, mapping: dict[type, type]) -> Any:
    """``Sharing | str | None`` -> ``Optional[str]``; nested models -> ``mapping``'s class."""
    args = [a for a in typing.get_args(tp) if a is not type(None)] or [tp]
    if len(args) > 1:  # enum | str: the others keep the raw string
        return Optional[str]  # noqa: UP045 - built at runtime for 3.10 compatibility
    (arg,) = args
    if typing.get_origin(arg) is list:
        (item,) = typing.get_args(arg)
        return Optional[list[mapping.get(item, item)]]  # type: ignore[misc]  # noqa: UP045
    return Optional[mapping.get(arg, arg)]  # noqa: UP045


def _dataclass_of(cls: type, mapping: dict[type, type]) -> type:
    fields = [(name, _plain(tp, mapping), None) for name, tp in _resolved_fields(cls)]
    made = dataclasses.make_dataclass(f"D{cls.__name__}", fields, slots=True)
    mapping[cls] = made
    return made


def _pydantic_of(cls: type, mapping: dict[type, type]) -> type[pydantic.BaseModel]:
    fields: dict[str, Any] = {}
    for name, tp in _resolved_fields(cls):
        plain = _plain(tp, mapping)
        if dt.datetime in typing.get_args(plain):
            plain = Annotated[Optional[dt.datetime], pydantic.BeforeValidator(parse_date)]  # noqa: UP045
        fields[name] = (plain, None)
    made: type[pydantic.BaseModel] = pydantic.create_model(f"P{cls.__name__}", **fields)
    mapping[cls] = made
    return made


def _strptime(value: Any, _: Any = None) -> dt.datetime:
    return dt.datetime.strptime(value, SC_DATE)


def _is_enum_or_str(tp: Any) -> bool:
    args = typing.get_args(tp)
    return str in args and any(isinstance(a, type) and issubclass(a, enum.Enum) for a in args)


def _enum_or_str(value: Any, tp: Any) -> Any:
    if value is None:
        return None
    (enum_cls,) = (
        a for a in typing.get_args(tp) if isinstance(a, type) and issubclass(a, enum.Enum)
    )
    return enum_cls._value2member_map_.get(value, value)


def build_contenders() -> dict[str, Callable[[bytes], list[Any]]]:
    """Each contender decodes page bytes and maps the collection."""
    from soundcloud_async.models import Subscription, SubscriptionProduct, User

    nested = [SubscriptionProduct, Subscription, User, Track]
    dc_map: dict[type, type] = {}
    pd_map: dict[type, type] = {}
    for cls in nested:
        _dataclass_of(cls, dc_map)
        _pydantic_of(cls, pd_map)
    d_track = dc_map[Track]
    dacite_config = dacite.Config(type_hooks={dt.datetime: _strptime}, check_types=False)
    adapter = pydantic.TypeAdapter(list[pd_map[Track]])  # type: ignore[valid-type]

    ootb = cattrs.Converter()
    ootb.register_structure_hook(dt.datetime, _strptime)
    # Out of the box, cattrs has no hook for ``Sharing | str | None``: the least it needs.
    ootb.register_structure_hook_func(_is_enum_or_str, _enum_or_str)

    loads = orjson.loads

    def orjson_dicts(page: bytes) -> list[Any]:
        result: list[Any] = loads(page)["collection"]
        return result

    def soundcloud_async(page: bytes) -> list[Any]:
        return structure_many(loads(page)["collection"], Track)

    def fast(decoder: Callable[[bytes], Any] | None) -> Callable[[bytes], list[Any]]:
        assert decoder is not None

        def soundcloud_async_fast(page: bytes) -> list[Any]:
            result = decoder(page)
            if result is REJECT:
                raise AssertionError("the fast path refused the page")
            items: list[Any] = result[0]
            return items

        return soundcloud_async_fast

    with _fastpath._pure_python():  # the same decoder with the generated Python copy
        python_copy = fast(page_decoder(Track))

    decoded: dict[bytes, list[Any]] = {}

    def soundcloud_async_mapping_only(page: bytes) -> list[Any]:
        if page not in decoded:
            decoded.clear()
            decoded[page] = loads(page)["collection"]
        return structure_many(decoded[page], Track)

    def dacite_dataclasses(page: bytes) -> list[Any]:
        return [
            dacite.from_dict(d_track, item, config=dacite_config)
            for item in loads(page)["collection"]
        ]

    def pydantic_v2(page: bytes) -> list[Any]:
        result: list[Any] = adapter.validate_python(loads(page)["collection"])
        return result

    def cattrs_default(page: bytes) -> list[Any]:
        return ootb.structure(loads(page)["collection"], list[Track])

    return {
        "orjson.loads (dicts)": orjson_dicts,
        FAST: fast(page_decoder(Track)),
        PYTHON_COPY: python_copy,
        "soundcloud_async tolerant path": soundcloud_async,
        "  mapping only (pre-decoded)": soundcloud_async_mapping_only,
        "pydantic v2 TypeAdapter": pydantic_v2,
        "dacite dataclasses": dacite_dataclasses,
        "cattrs out of the box": cattrs_default,
    }


def measure(fn: Callable[[bytes], list[Any]], page: bytes, pages: int, repeat: int) -> float:
    """Best-of-``repeat`` items per second over ``pages`` pages (GC on, as in real life)."""
    items = len(fn(page))
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        for _ in range(pages):
            fn(page)
        best = min(best, time.perf_counter() - start)
    return items * pages / best


def breakdown(page: bytes, pages: int, repeat: int) -> None:
    """Where the fast path's time goes: each step alone, in ms per page."""
    import msgspec

    from soundcloud_async._dates import _fromisoformat, _parse_date_py310
    from soundcloud_async._fastpath import _plan, _valid_utf8

    plan = _plan(Track)
    assert plan is not None
    decode = msgspec.json.Decoder(list[plan.struct]).decode  # type: ignore[name-defined]
    items = orjson.dumps(orjson.loads(page)["collection"])
    mirrors = decode(items)
    copy = plan.copy
    dates = [getattr(m, f) for m in mirrors for f in ("created_at", "last_modified")] + [
        getattr(m.user, f) for m in mirrors for f in ("created_at", "last_modified")
    ]

    def parse_dates(_: bytes) -> list[Any]:
        out: list[Any] = []
        for x in dates:
            try:
                out.append(_fromisoformat(x.replace("/", "-").replace(" +", "+")))
            except ValueError:
                out.append(_parse_date_py310(x))
        return out

    with _fastpath._pure_python():
        python_plan = _plan(Track)
    assert python_plan is not None
    python_copy = python_plan.copy
    python_struct: Any = python_plan.struct
    python_mirrors = msgspec.json.Decoder(list[python_struct]).decode(items)

    steps: dict[str, Callable[[bytes], Any]] = {
        "orjson.loads (baseline)": orjson.loads,
        "msgspec decode into the mirrors": lambda _: decode(items),
        "copy mirrors into models (w/ dates, C)": lambda _: [copy(m) for m in mirrors],
        "copy without the C extension (w/ dates)": lambda _: [
            python_copy(m) for m in python_mirrors
        ],
        f"  of which {len(dates)} dates (Python)": parse_dates,
        "UTF-8 check of the body": lambda body: [_valid_utf8(body)],
    }
    print("fast path, step by step (ms per page):")
    for name, fn in steps.items():
        best = float("inf")
        for _ in range(repeat):
            start = time.perf_counter()
            for _ in range(pages):
                fn(page)
            best = min(best, time.perf_counter() - start)
        print(f"  {name:38} {best / pages * 1000:8.3f}")


def main(argv: list[str] | None = None) -> int:
    """Print items/s per contender with ratios against orjson and pydantic."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=10, help="pages per timing run")
    parser.add_argument("--repeat", type=int, default=5, help="timing runs (best is kept)")
    parser.add_argument(
        "--breakdown", action="store_true", help="also time the fast path's steps one by one"
    )
    args = parser.parse_args(argv)
    page = make_page()
    dirty = make_page(dirty_every=10)
    contenders = build_contenders()
    runs: dict[str, tuple[Callable[[bytes], list[Any]], bytes]] = {
        name: (fn, page) for name, fn in contenders.items()
    }
    runs[FALLBACK] = (contenders[FAST], dirty)
    # Rounds alternate the contenders (best of each is kept), so that a neighbour's load
    # burst on a shared machine hits them all rather than one.
    rates: dict[str, float] = {}
    for _ in range(args.repeat):
        for name, (fn, body) in runs.items():
            rate = measure(fn, body, args.pages, 1)
            rates[name] = max(rates.get(name, 0.0), rate)
    base = rates["orjson.loads (dicts)"]
    pyd = rates["pydantic v2 TypeAdapter"]
    print(f"machine: {_harness.machine()}")
    print(f"page: {PAGE_SIZE} tracks, {len(page) / 1000:.0f} KB; ", end="")
    print(f"best of {args.repeat} runs of {args.pages} pages")
    print(f"{'contender':38} {'items/s':>10} {'ms/page':>8} {'x orjson':>9} {'x pydantic':>10}")
    names = list(contenders)
    names.insert(names.index(FAST) + 1, FALLBACK)
    for name in names:
        rate = rates[name]
        print(
            f"{name:38} {rate:>10,.0f} {PAGE_SIZE / rate * 1000:>8.2f} "
            f"{rate / base:>9.2f} {rate / pyd:>10.2f}"
        )
    if args.breakdown:
        breakdown(page, args.pages, args.repeat)
    fast = rates[FAST] / base
    fallback = rates[FALLBACK] / base
    tolerant = rates["soundcloud_async tolerant path"] / base
    ms = {name: PAGE_SIZE / rate * 1000 for name, rate in rates.items()}
    _harness.summary(
        "decode + map a 200-track page vs orjson.loads",
        f"{fast:.2f}x ({ms[FAST]:.2f} vs {ms['orjson.loads (dicts)']:.2f} ms); "
        f"tolerant path {tolerant:.2f}x",
        f">= {TARGET}x",
        fast >= TARGET,
    )
    _harness.summary(
        "fallback: every 10th item tolerant, vs orjson.loads",
        f"{fallback:.2f}x ({ms[FALLBACK]:.2f} ms)",
        "(shown)",
        None,
    )
    return 0 if fast >= TARGET else 3


# --- pytest-benchmark ---------------------------------------------------------

_PAGE = make_page()


@pytest.fixture(scope="module")
def contenders() -> dict[str, Callable[[bytes], list[Any]]]:
    """The contenders, built once per module."""
    return build_contenders()


@pytest.mark.parametrize(
    "name",
    [
        "orjson.loads (dicts)",
        FAST,
        "soundcloud_async tolerant path",
        "  mapping only (pre-decoded)",
        "pydantic v2 TypeAdapter",
        "dacite dataclasses",
        "cattrs out of the box",
    ],
)
def test_structure_page(
    benchmark: Any, contenders: dict[str, Callable[[bytes], list[Any]]], name: str
) -> None:
    """Decoding and mapping one 200-track page, per contender."""
    benchmark.group = "200-track page"
    benchmark.extra_info["items"] = PAGE_SIZE
    result = benchmark(contenders[name], _PAGE)
    assert PAGE_SIZE == len(result)


def test_page_is_realistic() -> None:
    """The generated page has the size and shape the figures are quoted for."""
    data = orjson.loads(_PAGE)
    track = data["collection"][0]
    assert PAGE_SIZE == len(data["collection"])
    assert 45 == len(track) - 1  # 45 fields plus the nested user
    assert 17 == len(track["user"])
    assert 330_000 < len(_PAGE) < 450_000


def test_contenders_agree(contenders: dict[str, Callable[[bytes], list[Any]]]) -> None:
    """Every contender maps the same titles and dates, so they do comparable work."""
    expected = [item["title"] for item in orjson.loads(_PAGE)["collection"]]
    for name, fn in contenders.items():
        if name.startswith("orjson"):
            continue
        result = fn(_PAGE)
        assert expected == [t.title for t in result], name
        assert isinstance(result[0].created_at, dt.datetime), name
        assert isinstance(result[0].user.last_modified, dt.datetime), name


if __name__ == "__main__":
    sys.exit(main())
