"""The cattrs converter for SoundCloud JSON, with generated per-class structure functions.

Public surface (used by the transport and the paginator)::

    structure(data, Track) -> Track
    structure_many(page["collection"], Track) -> list[Track]
    unstructure(obj) -> JSON-ready data (write models give exactly the API's body)
    make_converter() / configure_converter(c)   a cattrs.Converter wired the same way

Why generated code
------------------
Crawlers map millions of objects, and mapping, not HTTP, bounds their throughput
(see ``docs/background/performance.md``). Out of the box, cattrs dispatches every field of every
object through its hook machinery (``Optional[str]`` -> union hook -> str hook...),
builds frozen classes through ``__init__`` keyword calls, and parses dates with
``strptime``; that reaches about 0.1x the rate of ``orjson.loads`` alone.

So for every read model (an attrs subclass of :class:`~soundcloud_async.models.Model`)
we generate, once and lazily on first use, one straight-line Python function
with ``compile``/``exec``. For ``Track`` it looks like::

    def structure_Track(d):
        if d.__class__ is not dict:
            d = _as_dict(d, _cls)          # raises StructureError on a non-object
        g = d.get
        o = _new(_cls)                   # no __init__ call: slots are set directly
        x = g('title')
        if x.__class__ is not str and x is not None:
            x = _to_str(x)               # int/float -> str, anything else -> None
        o.title = x
        x = g('created_at')              # "2019/01/15 15:40:49 +0000"
        if x is not None:                # -> "2019-01-15 15:40:49+0000" for the C parser
            try:                         # (strptime costs ~20x as much); 3.10 calls a
                x = _fromisoformat(x.replace('/', '-').replace(' +', '+'))  # slicer
            except (ValueError, TypeError, AttributeError):
                x = _parse_date(x)       # other offsets, ISO variants; garbage -> None
            else:
                if x.tzinfo is not _UTC:
                    x = _to_utc(x)
        o.created_at = x
        x = g('user')
        if x is not None:
            x = _r5(x) if x.__class__ is dict else None   # nested: User's own function
        o.user = x
        ...
        return o

JSON-native fields cost a ``dict.get``, a class check and a slot store; the rare
wrong-typed value goes to a small coercion helper (numeric strings -> ``int``,
otherwise ``None``), so the happy path has no per-field dispatch at all. Missing
and ``null`` fields become ``None``; unknown keys are never looked at. Values no
writer could store back become ``None`` too: integers outside the signed 64-bit
range, and dates whose UTC time falls outside years 1..9999. ``__init__``
is bypassed (``object.__new__`` plus slot stores is ~3x cheaper than a 45-keyword
call) only for classes without validators, converters or ``__attrs_post_init__``;
others are built through ``__init__``.

Types are resolved with :func:`typing.get_type_hints`, so models may use
``from __future__ import annotations``. The same functions are registered as the
structure hooks of :func:`make_converter`'s converter, so
``make_converter().structure(data, Track)`` takes the same fast path (plus one
wrapper call). They do not consult other hooks registered on that converter.

Errors: a non-object where an object is expected at the top level raises
:class:`StructureError` (a ``TypeError`` and ``ValueError``); the transport turns
it into :class:`~soundcloud_async.DecodeError`. Inside an object, a wrong-typed
field becomes ``None`` instead: SoundCloud adding, dropping or retyping a field
must never crash a user's program.
"""

from __future__ import annotations

import datetime as dt
import enum
import itertools
import re
import sys
import threading
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, Final, TypeVar

import attrs
import cattrs

from soundcloud_async._dates import (
    _UTC,
    _fromisoformat,
    _parse_date_py310,
    _to_utc,
    format_date,
    parse_date,
)
from soundcloud_async.models.common import Model, WriteModel

__all__ = [
    "StructureError",
    "configure_converter",
    "format_date",
    "make_converter",
    "parse_date",
    "structure",
    "structure_many",
    "unstructure",
]

T = TypeVar("T")


class StructureError(TypeError, ValueError):
    """JSON could not be turned into the requested type (e.g. a list where an object belongs)."""


# --- cheap coercions for wrong-typed values (the rare path) ------------------

_INT_RE: Final = re.compile(r"[+-]?[0-9]{1,19}", re.ASCII)


def _to_str(value: Any) -> str | None:
    cls = value.__class__
    if cls is float:
        return str(value)
    if cls is int:
        # An int of more than 4,300 digits has no str() (CVE-2020-10735 limits).
        return str(value) if INT_MIN <= value <= INT_MAX else None
    if isinstance(value, enum.Enum) and isinstance(value.value, str):
        return value.value
    if isinstance(value, str):
        return str.__str__(value)
    return None


#: Integers are kept only within a signed 64-bit range: what SQLite, PostgreSQL's
#: ``bigint`` and orjson can write back. ``1e300`` or ``18446744073709551616`` in an
#: id or count field is garbage, and kept it would crash whoever stores it later.
INT_MIN: Final = -(2**63)
INT_MAX: Final = 2**63 - 1


def _to_int(value: Any) -> int | None:
    cls = value.__class__
    if cls is str:
        text = value.strip()
        result = int(text) if _INT_RE.fullmatch(text) else None
    elif cls is float:
        result = int(value) if value.is_integer() else None  # nan/inf: not is_integer()
    elif isinstance(value, int) and not isinstance(value, bool):
        result = int(value)
    else:
        return None
    return result if result is not None and INT_MIN <= result <= INT_MAX else None


def _to_float(value: Any) -> float | None:
    cls = value.__class__
    if cls is int and INT_MIN <= value <= INT_MAX:
        return float(value)
    if cls is str and len(value) < 40:
        try:
            result = float(value)
        except ValueError:
            return None
        return result if result - result == 0.0 else None  # rejects nan and inf
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return float(value)
        except OverflowError:  # an int past 1.8e308
            return None
    return None


def _to_number(value: Any) -> int | float | None:
    """An ``int | float`` field: a whole-number string -> ``int``, a decimal one -> ``float``."""
    cls = value.__class__
    if cls is str:
        text = value.strip()
        if not _INT_RE.fullmatch(text):
            return _to_float(text)
        result: int | float = int(text)
    elif isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    else:
        result = value
        if result - result != 0:  # rejects nan and inf
            return None
    if isinstance(result, int) and not INT_MIN <= result <= INT_MAX:
        return None  # like an int field: no writer could store it
    return result


_TRUE: Final = frozenset({"true", "1"})
_FALSE: Final = frozenset({"false", "0"})


def _to_bool(value: Any) -> bool | None:
    cls = value.__class__
    if cls is int and value in (0, 1):
        return bool(value)
    if cls is str:
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    return None


def _to_enum(value: Any) -> Any:
    return value if isinstance(value, enum.Enum) else None


def _as_dict(value: Any, cls: type) -> dict[str, Any]:
    if isinstance(value, Mapping):
        return dict(value)
    raise StructureError(f"expected a JSON object for {cls.__name__}, got {type(value).__name__}")


def _dispatch_union(
    value: Any, parent: dict[str, Any], table: dict[str, Callable[[Any], Any]]
) -> Any:
    """Pick the model of a ``Track | Playlist`` field by ``kind``, else the parent's ``type``."""
    if not isinstance(value, dict):
        return None
    kind = value.get("kind")
    # Only a string can name a kind: a dict or list there is unhashable.
    fn = table.get(kind) if isinstance(kind, str) else None
    if fn is None:
        hint = parent.get("type")
        if isinstance(hint, str):
            fn = table.get(re.split(r"[:-]", hint, maxsplit=1)[0])
    return fn(value) if fn is not None else None


# --- type classification ----------------------------------------------------


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, Model) and attrs.has(tp)


def _is_write_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, WriteModel) and attrs.has(tp)


def _strip_optional(tp: Any) -> tuple[Any, ...]:
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        return tuple(a for a in typing.get_args(tp) if a is not type(None))
    return (tp,)


_SCALARS: Final[dict[Any, str]] = {
    str: "str",
    int: "int",
    float: "float",
    bool: "bool",
    dt.datetime: "date",
}


def _classify(tp: Any) -> tuple[str, Any]:
    """Return (how to structure, detail) for a field type."""
    args = _strip_optional(tp)
    if len(args) == 1:
        (arg,) = args
        if arg in _SCALARS:
            return _SCALARS[arg], None
        if arg is Any:
            return "any", None
        if _is_model(arg):
            return "model", arg
        origin = typing.get_origin(arg)
        if origin is list:
            (item,) = typing.get_args(arg) or (Any,)
            if _is_model(item):
                return "model_list", item
            if item is int:
                return "int_list", None
            if item in (str, float, bool):
                return "scalar_list", item
        if arg is dict or origin is dict:
            return "dict", None
    elif set(args) == {int, float}:
        return "number", None
    elif len(args) == 2 and str in args:
        (other,) = (a for a in args if a is not str)
        if isinstance(other, type) and issubclass(other, enum.Enum):
            return "enum", other
    elif args and all(_is_model(a) for a in args):
        return "model_union", args
    return "fallback", tp


# --- code generation --------------------------------------------------------

if sys.version_info >= (3, 11):
    # _parse_date_py311 inlined: saves a call per date on the hot path.
    _DATE_TEMPLATE = (
        "    if x is not None:\n"
        "        try:\n"
        "            x = _fromisoformat(x.replace('/', '-').replace(' +', '+'))\n"
        "        except (ValueError, TypeError, AttributeError):\n"
        "            x = _parse_date(x)\n"
        "        else:\n"
        "            if x.tzinfo is not _UTC:\n"
        "                x = _to_utc(x)\n"
    )
else:
    _DATE_TEMPLATE = "    if x is not None:\n        x = _parse_date(x)\n"

_FIELD_TEMPLATES: Final = {
    "str": "    if x.__class__ is not str and x is not None:\n        x = _to_str(x)\n",
    "int": (
        "    if x.__class__ is not int:\n"
        "        if x is not None:\n"
        "            x = _to_int(x)\n"
        f"    elif not {INT_MIN} <= x <= {INT_MAX}:\n"
        "        x = None\n"
    ),
    "float": "    if x.__class__ is not float and x is not None:\n        x = _to_float(x)\n",
    "number": (
        "    if x.__class__ is not float:\n"
        "        if x.__class__ is not int:\n"
        "            if x is not None:\n"
        "                x = _to_number(x)\n"
        f"        elif not {INT_MIN} <= x <= {INT_MAX}:\n"
        "            x = None\n"
    ),
    "bool": "    if x.__class__ is not bool and x is not None:\n        x = _to_bool(x)\n",
    "date": _DATE_TEMPLATE,
    "any": "",
    "dict": "    if x.__class__ is not dict:\n        x = x if isinstance(x, dict) else None\n",
    "enum": (
        "    if x.__class__ is str:\n        x = {ref}.get(x, x)\n"
        "    elif x is not None:\n        x = _to_enum(x)\n"
    ),
    "model": ("    if x is not None:\n        x = {ref}(x) if x.__class__ is dict else None\n"),
    "model_list": (
        "    x = [{ref}(i) for i in x if i.__class__ is dict] if x.__class__ is list else None\n"
    ),
    "scalar_list": (
        "    x = [i for i in x if i.__class__ is {ref}] if x.__class__ is list else None\n"
    ),
    "int_list": (
        "    x = [i for i in x if i.__class__ is int and "
        f"{INT_MIN} <= i <= {INT_MAX}] if x.__class__ is list else None\n"
    ),
    "model_union": "    if x is not None:\n        x = _dispatch_union(x, d, {ref})\n",
    "fallback": "    if x is not None:\n        x = {ref}(x)\n",
}

_lock = threading.RLock()
_STRUCTURE_FNS: dict[Any, Callable[[Any], Any]] = {}
_UNSTRUCTURE_FNS: dict[Any, Callable[[Any], Any]] = {}
_structuring: set[type] = set()
_unstructuring: set[type] = set()
_counter = itertools.count()


def _json_key(field: attrs.Attribute[Any]) -> str:
    return str(field.metadata.get("json", field.alias or field.name))


def _can_bypass_init(cls: type) -> bool:
    return not hasattr(cls, "__attrs_post_init__") and all(
        f.validator is None and f.converter is None and f.init for f in attrs.fields(cls)
    )


def _structure_ref(cls: type) -> Callable[[Any], Any]:
    """The structure function of a model, or a trampoline while it is being generated."""
    fn = _STRUCTURE_FNS.get(cls)
    if fn is not None:
        return fn
    return _generate_structure(cls)


def _generate_structure(cls: type) -> Callable[[Any], Any]:
    with _lock:
        if cls in _STRUCTURE_FNS:
            return _STRUCTURE_FNS[cls]
        if cls in _structuring:  # a recursive model: look it up at call time
            return lambda value: _STRUCTURE_FNS[cls](value)
        _structuring.add(cls)
        try:
            fn = _build_structure(cls)
        finally:
            _structuring.discard(cls)
        _STRUCTURE_FNS[cls] = fn
        return fn


def _build_structure(cls: type) -> Callable[[Any], Any]:
    hints = typing.get_type_hints(cls)
    fields = attrs.fields(cls)
    bypass = _can_bypass_init(cls)
    ns: dict[str, Any] = {
        "_cls": cls,
        "_new": object.__new__,
        "_as_dict": _as_dict,
        "_to_str": _to_str,
        "_to_int": _to_int,
        "_to_float": _to_float,
        "_to_number": _to_number,
        "_to_bool": _to_bool,
        "_to_enum": _to_enum,
        "_parse_date": _parse_date_py310,
        "_fromisoformat": _fromisoformat,
        "_UTC": _UTC,
        "_to_utc": _to_utc,
        "_dispatch_union": _dispatch_union,
    }
    name = f"structure_{cls.__name__}"
    lines = [
        f"def {name}(d):",
        "    if d.__class__ is not dict:",
        "        d = _as_dict(d, _cls)",
        "    g = d.get",
    ]
    if bypass:
        lines.append("    o = _new(_cls)")
    kwargs = []
    for i, field in enumerate(fields):
        how, detail = _classify(hints[field.name])
        ref = f"_r{i}"
        if how == "enum":
            ns[ref] = detail._value2member_map_
        elif how in ("model", "model_list"):
            ns[ref] = _structure_ref(detail)
        elif how == "scalar_list":
            ns[ref] = detail
        elif how == "model_union":
            ns[ref] = {m._sc_kind: _structure_ref(m) for m in detail if hasattr(m, "_sc_kind")}
        elif how == "fallback":
            ns[ref] = _fallback_structure(detail)
        lines.append(f"    x = g({_json_key(field)!r})")
        lines.append(_FIELD_TEMPLATES[how].format(ref=ref).rstrip("\n"))
        if bypass:
            lines.append(f"    o.{field.name} = x")
        else:
            lines.append(f"    v{i} = x")
            kwargs.append(f"{field.alias}=v{i}")
    lines.append("    return o" if bypass else f"    return _cls({', '.join(kwargs)})")
    source = "\n".join(line for line in lines if line) + "\n"
    return _compile(source, name, ns, cls)


def _compile(source: str, name: str, ns: dict[str, Any], cls: type) -> Callable[[Any], Any]:
    filename = f"<soundcloud_async generated {name} #{next(_counter)}>"
    exec(compile(source, filename, "exec"), ns)
    fn: Callable[[Any], Any] = ns[name]
    fn.__qualname__ = name
    fn.__doc__ = f"Structure a {cls.__name__} from JSON (generated).\n\n{source}"
    return fn


def _fallback_structure(tp: Any) -> Callable[[Any], Any]:
    def structure_other(value: Any) -> Any:
        try:
            return _CONVERTER.structure(value, tp)
        except Exception:
            return None

    return structure_other


# --- unstructuring ----------------------------------------------------------


def _enum_value(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def _unstructure_ref(cls: type) -> Callable[[Any], Any]:
    fn = _UNSTRUCTURE_FNS.get(cls)
    if fn is not None:
        return fn
    with _lock:
        if cls in _UNSTRUCTURE_FNS:
            return _UNSTRUCTURE_FNS[cls]
        if cls in _unstructuring:
            return lambda value: _UNSTRUCTURE_FNS[cls](value)
        _unstructuring.add(cls)
        try:
            fn = _build_unstructure(cls)
        finally:
            _unstructuring.discard(cls)
        _UNSTRUCTURE_FNS[cls] = fn
        return fn


def _unstructure_any(value: Any) -> Any:
    return unstructure(value)


def _build_unstructure(cls: type) -> Callable[[Any], Any]:
    hints = typing.get_type_hints(cls)
    ns: dict[str, Any] = {
        "_format_date": format_date,
        "_enum_value": _enum_value,
        "_any": _unstructure_any,
    }
    name = f"unstructure_{cls.__name__}"
    lines = [f"def {name}(o):", "    r = {}"]
    for i, field in enumerate(attrs.fields(cls)):
        how, detail = _classify(hints[field.name])
        ref = f"_r{i}"
        lines.append(f"    x = o.{field.name}")
        if how == "date":
            expr = "None if x is None else _format_date(x)"
        elif how == "enum":
            expr = "_enum_value(x)"
        elif how == "model":
            ns[ref] = _unstructure_ref(detail)
            expr = f"None if x is None else {ref}(x)"
        elif how == "model_list":
            ns[ref] = _unstructure_ref(detail)
            expr = f"None if x is None else [{ref}(i) for i in x]"
        elif how in ("model_union", "fallback"):
            expr = "None if x is None else _any(x)"
        else:
            expr = "x"
        lines.append(f"    r[{_json_key(field)!r}] = {expr}")
    lines.append("    return r")
    source = "\n".join(lines) + "\n"
    return _compile(source, name, ns, cls)


# --- public API -------------------------------------------------------------


def _structure_fn(cls: Any) -> Callable[[Any], Any]:
    fn = _STRUCTURE_FNS.get(cls)
    if fn is not None:
        return fn
    if _is_model(cls):
        return _generate_structure(cls)

    def structure_with_cattrs(value: Any) -> Any:
        try:
            return _CONVERTER.structure(value, cls)
        except StructureError:
            raise
        except Exception as exc:
            raise StructureError(f"cannot structure {cls!r}: {exc}") from exc

    return structure_with_cattrs


def structure(data: Any, cls: type[T]) -> T:
    """Build ``cls`` from decoded JSON; read models take the generated fast path.

    Raises:
        StructureError: ``data`` is not an object where ``cls`` needs one.
    """
    fn = _STRUCTURE_FNS.get(cls) or _structure_fn(cls)
    result: T = fn(data)
    return result


def structure_many(items: list[Any], cls: type[T]) -> list[T]:
    """Build a list of ``cls`` from a page's ``collection``.

    Raises:
        StructureError: ``items`` is not a list, or one of them is not an object
            (the message names its index).
    """
    fn = _STRUCTURE_FNS.get(cls) or _structure_fn(cls)
    if items.__class__ is not list and not isinstance(items, (list, tuple)):
        raise StructureError(
            f"expected a JSON array of {getattr(cls, '__name__', cls)}, got {type(items).__name__}"
        )
    try:
        return [fn(item) for item in items]
    except StructureError as exc:
        for index, item in enumerate(items):
            try:
                fn(item)
            except StructureError:
                raise StructureError(f"item {index}: {exc}") from exc
        raise  # pragma: no cover - the failing item always fails again


def unstructure(obj: Any) -> Any:
    """Turn a model into JSON-ready data.

    Write models give exactly the body the API takes (``TrackMetadata`` ->
    ``{"track": {...}}`` with only the set fields); read models give SoundCloud's
    shape back (dates in its format), so ``structure(unstructure(m), M) == m``.
    """
    if isinstance(obj, WriteModel):
        return obj.to_json()
    cls = type(obj)
    fn = _UNSTRUCTURE_FNS.get(cls)
    if fn is None:
        if not _is_model(cls):
            return _CONVERTER.unstructure(obj)
        fn = _unstructure_ref(cls)
    return fn(obj)


def _structure_date_strict(value: Any, _: Any) -> dt.datetime:
    parsed = parse_date(value)
    if parsed is None:
        raise StructureError(f"not a SoundCloud or ISO 8601 date: {value!r}")
    return parsed


def configure_converter(converter: cattrs.Converter) -> None:
    """Configure ``converter`` for SoundCloud JSON.

    Read models get the generated structure functions (tolerant, fast) and an
    unstructure that gives SoundCloud's shape back; write models unstructure to
    exactly their request body; datetimes use SoundCloud's date format.
    """
    converter.register_structure_hook(dt.datetime, _structure_date_strict)
    converter.register_unstructure_hook(dt.datetime, format_date)
    converter.register_structure_hook_factory(_is_model, _model_structure_hook)
    converter.register_unstructure_hook_factory(_is_model, _unstructure_ref)
    converter.register_unstructure_hook_factory(_is_write_model, _write_model_hook)


def _model_structure_hook(cls: Any) -> Callable[[Any, Any], Any]:
    fn = _structure_ref(cls)

    def structure_model(value: Any, _: Any) -> Any:
        return fn(value)

    return structure_model


def _write_model_hook(cls: Any) -> Callable[[Any], Any]:
    def unstructure_write_model(value: Any) -> Any:
        return value.to_json()

    return unstructure_write_model


def make_converter() -> cattrs.Converter:
    """A new :class:`cattrs.Converter` configured by :func:`configure_converter`."""
    converter = cattrs.Converter(forbid_extra_keys=False)
    configure_converter(converter)
    return converter


_CONVERTER: Final = make_converter()
