"""The fast path: response bytes decoded straight into the read models, strictly.

The tolerant path (``orjson.loads`` to dicts, :func:`~soundcloud_async._errors.classify`,
then the generated structure functions of :mod:`soundcloud_async._converters`) accepts
anything and repairs what it can; it costs about 2.5x the JSON decode alone, because
every field of every object is handled by Python code twice (once to build the dict,
once to read it). This module decodes the bytes once, in C, with msgspec, into
generated :class:`msgspec.Struct` mirrors of the models whose field types are exactly
what a well-formed SoundCloud body holds (``int``, ``str``, ``bool``, ``float`` or
``null``; dates and enum values as strings), then copies each mirror into the real
attrs model. The copy is done in C by the optional extension ``_speedups.c`` (both
classes are slotted: a field is an offset into the instance; it parses SoundCloud's date
format itself and hands any other date string to :func:`~soundcloud_async._dates.parse_date`),
or, where the extension is not built or ``SOUNDCLOUD_ASYNC_NO_EXTENSIONS`` is set, by a
generated straight-line Python function that parses the dates and looks up the enum
members with the very code templates of the tolerant path. Either way the result is the
model the tolerant path builds (``tests/test_fastpath.py`` proves it with hypothesis, for
both copies); with the C copy, decode + map costs about what ``orjson.loads`` alone costs
(benchmarks/RESULTS.md).

Whatever the strict decode refuses (a wrong type, a number out of range, a non-object
item, malformed JSON, anything unusual) is handed back as :data:`REJECT`, and the
caller takes the tolerant path, which produces exactly what it always did:

* :func:`object_decoder` (one object, e.g. ``GET /tracks/{urn}``): a rejected body goes
  through ``classify`` + ``structure`` unchanged. A result whose fields are all ``None``
  is rejected too, so that an error object sent with a 200 (``{"errors": [...]}``, all
  of whose keys the model ignores) still becomes a :class:`DecodeError` there.
* :func:`page_decoder` (a ``{collection, next_href}`` page): when the page as a whole is
  refused, its items are decoded one by one (as :class:`msgspec.Raw` slices of the same
  bytes) and only the refused items take the tolerant structure function; anything
  stranger (an item that is not an object, a page that is not one) rejects the page.

Two checks keep "accepted by the strict path" inside "accepted by ``orjson``": the
body must be valid UTF-8 (msgspec does not validate the bytes of fields it skips), and
integer fields take only int64 values (``orjson`` returns larger ones as floats).
One difference remains, on purpose: a number beyond the range of a double (``1e400``)
in a field the model does not have is skipped here, where ``orjson`` refuses the whole
body; finding such numbers would cost a scan of every body.

Only models the generator fully understands get a fast path (scalars, dates, enums,
nested models and lists of them, built without ``__init__``); the others (the
``Track | Playlist`` union of activities, error bodies, models whose JSON keys are
error keys) return ``None`` from the two factories and always take the tolerant path.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import threading
import typing
from collections.abc import Callable, Iterator
from typing import Annotated, Any, Final

import attrs
import msgspec
import orjson

from soundcloud_async._converters import (
    _FIELD_TEMPLATES,
    INT_MAX,
    INT_MIN,
    _can_bypass_init,
    _classify,
    _is_model,
    _json_key,
    _structure_ref,
)
from soundcloud_async._dates import _UTC, _fromisoformat, _parse_date_py310, _to_utc, parse_date
from soundcloud_async._errors import _ERROR_ONLY_KEYS

if typing.TYPE_CHECKING:
    from types import ModuleType

__all__ = ["REJECT", "object_decoder", "page_decoder"]


class _Reject:
    __slots__ = ()

    def __repr__(self) -> str:
        return "REJECT"


#: Returned by a fast decoder for a body it does not take: use the tolerant path.
REJECT: Final = _Reject()

# orjson returns integers in -2**63 .. 2**64-1 as int and others as float; the tolerant
# path treats the two differently, so the strict path takes only ints, and only within
# the converter's int64 bounds (outside them the tolerant path drops the value).
_Int = Annotated[int, msgspec.Meta(ge=INT_MIN, le=INT_MAX)]
_SCALARS: Final[dict[str, Any]] = {
    "str": str,
    "int": _Int,
    "float": float,
    "bool": bool,
    "number": _Int | float,
    "int_list": list[_Int],
}

_lock = threading.RLock()
_counter = itertools.count()


def _load_speedups() -> ModuleType | None:
    """The C copy (``_speedups.c``), unless not built or ``SOUNDCLOUD_ASYNC_NO_EXTENSIONS``."""
    if os.environ.get("SOUNDCLOUD_ASYNC_NO_EXTENSIONS"):
        return None
    try:
        from soundcloud_async import _speedups
    except ImportError:  # installed without a C compiler: the generated Python copy
        return None
    return _speedups


#: The C extension doing the copy, or ``None`` for the generated Python copy (same result).
_speedups = _load_speedups()


@attrs.frozen
class _Plan:
    """A model's mirror struct and the function copying a decoded mirror into the model."""

    struct: type[msgspec.Struct]
    copy: Callable[[Any], Any]
    copy_list: Callable[[list[Any]], list[Any]]
    all_none: Callable[[Any], bool]
    #: What a nested field's copy calls: the C Copier itself (called without a Python
    #: frame), else the generated function.
    nested: Any


_PLANS: dict[type, _Plan | None] = {}
_building: set[type] = set()


def _plan(cls: type) -> _Plan | None:
    plan = _PLANS.get(cls, REJECT)
    if plan is not REJECT:
        return plan  # type: ignore[return-value]
    with _lock:
        if cls in _PLANS:
            return _PLANS[cls]
        if cls in _building:  # a recursive model: not supported, tolerant path
            return None
        _building.add(cls)
        try:
            built = _build_plan(cls)
        finally:
            _building.discard(cls)
        _PLANS[cls] = built
        return built


def _build_plan(cls: type) -> _Plan | None:
    if not _is_model(cls) or not _can_bypass_init(cls):
        return None
    hints = typing.get_type_hints(cls)
    ns: dict[str, Any] = {
        "_cls": cls,
        "_new": object.__new__,
        "_parse_date": _parse_date_py310,
        "_fromisoformat": _fromisoformat,
        "_UTC": _UTC,
        "_to_utc": _to_utc,
    }
    name = f"fast_{cls.__name__}"
    lines = [f"def {name}(s):", "    o = _new(_cls)"]
    fields: list[tuple[str, Any, None]] = []
    rename: dict[str, str] = {}
    names = []
    # What the C copy does per field: (name, kind, argument); see _speedups.c.
    c_fields: list[tuple[str, str, Any]] = []
    for i, field in enumerate(attrs.fields(cls)):
        how, detail = _classify(hints[field.name])
        key = _json_key(field)
        if key != field.name:
            rename[field.name] = key
        names.append(field.name)
        ref = f"_r{i}"
        if how in _SCALARS:
            wire: Any = _SCALARS[how]
            lines.append(f"    o.{field.name} = s.{field.name}")
            c_fields.append((field.name, "COPY", None))
        elif how in ("date", "enum"):
            wire = str
            if how == "enum":
                ns[ref] = detail._value2member_map_
                c_fields.append((field.name, "ENUM", ns[ref]))
            else:
                c_fields.append((field.name, "DATE", parse_date))
            lines.append(f"    x = s.{field.name}")
            lines.append(_FIELD_TEMPLATES[how].format(ref=ref).rstrip("\n"))
            lines.append(f"    o.{field.name} = x")
        elif how in ("model", "model_list"):
            nested = _plan(detail)
            if nested is None:
                return None
            ns[ref] = nested.copy
            lines.append(f"    x = s.{field.name}")
            if how == "model":
                wire = nested.struct
                lines.append(f"    o.{field.name} = x if x is None else {ref}(x)")
                c_fields.append((field.name, "MODEL", nested.nested))
            else:
                wire = list[nested.struct]  # type: ignore[name-defined]
                lines.append(f"    o.{field.name} = x if x is None else [{ref}(i) for i in x]")
                c_fields.append((field.name, "MODEL_LIST", nested.nested))
        else:  # unions of models, Any, dicts, scalar lists: the tolerant path's job
            return None
        fields.append((field.name, wire | None, None))
    lines.append("    return o")
    check = " and ".join(f"o.{n} is None" for n in names) or "True"
    all_none = _compile([f"def all_none_{cls.__name__}(o):", f"    return {check}"], {})
    struct = msgspec.defstruct(
        f"_Wire{cls.__name__}",
        fields,
        rename=rename or None,
        kw_only=True,
        gc=False,  # short-lived and acyclic: skip the GC bookkeeping
    )
    if _speedups is not None:
        try:
            copier = _speedups.Copier(
                struct,
                cls,
                tuple(
                    (_slot(struct, n), _slot(cls, n), getattr(_speedups, kind), arg)
                    for n, kind, arg in c_fields
                ),
            )
        except TypeError:  # a model without __slots__ (slots=False): the Python copy
            pass
        else:
            return _Plan(struct, copier.copy, copier.copy_list, all_none, copier)
    copy = _compile(lines, ns)
    return _Plan(struct, copy, lambda items: [copy(i) for i in items], all_none, copy)


def _slot(cls: type, name: str) -> Any:
    """What ``cls`` holds under ``name``: a member descriptor when it is slotted.

    The C copy refuses anything else with ``TypeError``.
    """
    for klass in cls.__mro__:
        if name in vars(klass):
            return vars(klass)[name]
    return None


def _compile(lines: list[str], ns: dict[str, Any]) -> Callable[[Any], Any]:
    source = "\n".join(line for line in lines if line) + "\n"
    fn_name = lines[0][4 : lines[0].index("(")]
    exec(compile(source, f"<soundcloud_async fast {fn_name} #{next(_counter)}>", "exec"), ns)
    fn: Callable[[Any], Any] = ns[fn_name]
    fn.__doc__ = f"Generated by soundcloud_async._fastpath.\n\n{source}"
    return fn


@contextlib.contextmanager
def _pure_python() -> Iterator[None]:
    """Build plans and decoders with the generated Python copy inside (tests, benchmarks).

    Decoders made inside keep the Python copy after the block; the ones cached before it
    are restored as they were.
    """
    global _speedups, _PLANS, _OBJECT_DECODERS, _PAGE_DECODERS
    with _lock:
        saved = _speedups, _PLANS, _OBJECT_DECODERS, _PAGE_DECODERS
        _speedups, _PLANS, _OBJECT_DECODERS, _PAGE_DECODERS = None, {}, {}, {}
    try:
        yield
    finally:
        with _lock:
            _speedups, _PLANS, _OBJECT_DECODERS, _PAGE_DECODERS = saved


def _valid_utf8(body: bytes) -> bool:
    """msgspec skips unknown fields without validating their bytes; orjson does not."""
    if body.isascii():
        return True
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


_DECODE_ERRORS: Final = (msgspec.DecodeError, RecursionError)

_OBJECT_DECODERS: dict[type, Callable[[bytes], Any] | None] = {}
_PAGE_DECODERS: dict[type, Callable[[bytes], Any] | None] = {}


def object_decoder(cls: type) -> Callable[[bytes], Any] | None:
    """A strict decoder of one JSON object into ``cls``, or ``None`` if ``cls`` has none.

    The decoder returns the model, or :data:`REJECT` for a body it does not take (the
    caller then classifies and structures it the tolerant way).
    """
    try:
        return _OBJECT_DECODERS[cls]
    except KeyError:
        pass
    plan = _plan(cls)
    decoder: Callable[[bytes], Any] | None = None
    if plan is not None and not any(_json_key(f) in _ERROR_ONLY_KEYS for f in attrs.fields(cls)):
        decoder = _make_object_decoder(plan)
    _OBJECT_DECODERS[cls] = decoder
    return decoder


def _make_object_decoder(plan: _Plan) -> Callable[[bytes], Any]:
    decode = msgspec.json.Decoder(plan.struct).decode
    copy, all_none = plan.copy, plan.all_none

    def decode_object(body: bytes) -> Any:
        try:
            wire = decode(body)
        except _DECODE_ERRORS:
            return REJECT
        if not _valid_utf8(body):
            return REJECT
        obj = copy(wire)
        # All fields None: perhaps an error object the model has no fields of.
        return REJECT if all_none(obj) else obj

    return decode_object


def page_decoder(cls: type) -> Callable[[bytes], Any] | None:
    """A strict decoder of a ``{collection, next_href, future_href}`` page of ``cls``.

    The decoder returns ``(items, next_href, future_href)`` (hrefs ``None`` unless a
    non-empty string), or :data:`REJECT`. ``None`` if ``cls`` has no fast path.
    """
    try:
        return _PAGE_DECODERS[cls]
    except KeyError:
        pass
    plan = _plan(cls)
    decoder = None if plan is None else _make_page_decoder(cls, plan)
    _PAGE_DECODERS[cls] = decoder
    return decoder


def _make_page_decoder(cls: type, plan: _Plan) -> Callable[[bytes], Any]:
    def page_struct(item: Any, name: str) -> Any:
        return msgspec.defstruct(
            name,
            [
                ("collection", list[item]),  # required: a page without one is not a page
                ("next_href", str | None, None),
                ("future_href", str | None, None),
            ],
            kw_only=True,
            gc=False,
        )

    decode_page = msgspec.json.Decoder(page_struct(plan.struct, f"_Page{cls.__name__}")).decode
    decode_raw = msgspec.json.Decoder(page_struct(msgspec.Raw, "_RawPage")).decode
    decode_item = msgspec.json.Decoder(plan.struct).decode
    copy, copy_list = plan.copy, plan.copy_list
    tolerant = _structure_ref(cls)
    loads = orjson.loads

    def per_item(body: bytes) -> Any:
        try:
            page = decode_raw(body)
        except _DECODE_ERRORS:
            return REJECT
        items = []
        for raw in page.collection:
            try:
                wire = decode_item(raw)
            except _DECODE_ERRORS:
                try:
                    data = loads(memoryview(raw))
                except orjson.JSONDecodeError:
                    return REJECT
                if data.__class__ is not dict:
                    return REJECT  # the tolerant path raises the page's DecodeError
                try:
                    items.append(tolerant(data))
                except (TypeError, ValueError):
                    return REJECT
            else:
                items.append(copy(wire))
        return items, page.next_href or None, page.future_href or None

    def decode(body: bytes) -> Any:
        if not _valid_utf8(body):
            return REJECT
        try:
            page = decode_page(body)
        except _DECODE_ERRORS:
            return per_item(body)
        return copy_list(page.collection), page.next_href or None, page.future_href or None

    return decode
