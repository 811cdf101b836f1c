"""Typed query parameters: access filters, ranges, URN lists, sort orders.

Resource methods take these as keyword arguments and turn them into the query
parameters the API expects, validating before any request is sent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Generic, Literal, TypeAlias, TypeVar

import attrs

from soundcloud_async._errors import InvalidArgument
from soundcloud_async._urn import URNLike, to_urn
from soundcloud_async.models.enums import Access

__all__ = [
    "AccessFilter",
    "DateRange",
    "IntRange",
    "Range",
    "SortOrder",
    "access_param",
    "bool_param",
    "range_params",
    "urns_param",
]

AccessFilter: TypeAlias = Access | str | Sequence[Access | str]
SortOrder = Literal["asc", "desc"]
_ACCESS_VALUES = frozenset(a.value for a in Access)

N = TypeVar("N", int, dt.datetime)


@attrs.frozen
class Range(Generic[N]):
    """An inclusive range for a deepObject filter: ``bpm[from]``/``bpm[to]``.

    Either end may be open (``None``). Build one with ``Range(120, 130)``,
    ``Range(low=120)`` or pass a ``(low, high)`` tuple where a range is expected.
    """

    low: N | None = None
    high: N | None = None

    def __attrs_post_init__(self) -> None:
        _check_order(self.low, self.high)


def _check_order(low: Any, high: Any) -> None:
    if low is None and high is None:
        raise InvalidArgument("a range needs at least one end")
    if low is not None and high is not None:
        try:
            backwards = low > high
        except TypeError as exc:
            raise InvalidArgument(f"range ends {low!r} and {high!r} are not comparable") from exc
        if backwards:
            raise InvalidArgument(f"range low {low!r} is above high {high!r}")


IntRange: TypeAlias = Range[int] | tuple[int | None, int | None]
DateRange: TypeAlias = Range[dt.datetime] | tuple[dt.datetime | None, dt.datetime | None]


def _format_range_end(name: str, value: object) -> str:
    if isinstance(value, bool):
        raise InvalidArgument(f"{name} must be a number or a datetime, not a bool")
    if isinstance(value, int):
        if value < 0:
            raise InvalidArgument(f"{name} must not be negative, not {value}")
        return str(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return value.strftime("%Y-%m-%d %H:%M:%S")
    raise InvalidArgument(f"{name} must be an int or a datetime, not {value!r:.60}")


def range_params(
    name: str, value: IntRange | DateRange | None, *, spelling: str = "{name}[{end}]"
) -> dict[str, str]:
    """``{name[from]: …, name[to]: …}`` for a range (datetimes as ``yyyy-mm-dd hh:mm:ss``
    in UTC).

    ``spelling`` formats each parameter's name from ``name`` and ``end`` (``from`` or
    ``to``): the official API's deepObject ``bpm[from]`` by default; the legacy API's
    seed documents spell it ``{name}-{end}`` (``bpm-from``).
    """
    if value is None:
        return {}
    low: object
    high: object
    if isinstance(value, tuple):
        if len(value) != 2:
            raise InvalidArgument(f"{name} must be a (low, high) pair")
        low, high = value
        _check_order(low, high)
    elif isinstance(value, Range):
        low, high = value.low, value.high
    else:
        raise InvalidArgument(f"{name} must be a Range or a (low, high) pair, not {value!r:.60}")
    params: dict[str, str] = {}
    if low is not None:
        params[spelling.format(name=name, end="from")] = _format_range_end(name, low)
    if high is not None:
        params[spelling.format(name=name, end="to")] = _format_range_end(name, high)
    return params


def access_param(access: AccessFilter | None) -> str | None:
    """The ``access`` filter as the API takes it: a comma-separated list."""
    if access is None:
        return None
    values: Iterable[Access | str] = (
        [part.strip() for part in access.split(",")] if isinstance(access, str) else access
    )
    result: list[str] = []
    for value in values:
        text = value.value if isinstance(value, Access) else value
        if text not in _ACCESS_VALUES:
            raise InvalidArgument(
                f"access must be among {sorted(_ACCESS_VALUES)}, not {text!r:.40}"
            )
        if text not in result:
            result.append(text)
    if not result:
        raise InvalidArgument("access must name at least one of playable, preview, blocked")
    return ",".join(result)


def urns_param(values: Iterable[URNLike] | None, kind: str, *, limit: int = 200) -> str | None:
    """A comma-separated ``urns`` list, each checked to be of ``kind``."""
    if values is None:
        return None
    if isinstance(values, (str, int)):
        raise InvalidArgument("urns must be a sequence of URNs, not a single value")
    urns = [to_urn(value, kind) for value in values]
    if not urns:
        raise InvalidArgument("urns must not be empty")
    if len(urns) > limit:
        raise InvalidArgument(f"at most {limit} urns per request, not {len(urns)}")
    return ",".join(urns)


def bool_param(value: bool | None, name: str) -> str | None:
    """A boolean query value (``true``/``false``)."""
    if value is None:
        return None
    if not isinstance(value, bool):
        raise InvalidArgument(f"{name} must be a bool, not {value!r:.40}")
    return "true" if value else "false"


def sort_param(value: SortOrder | None) -> str | None:
    """The ``sort`` order: ``asc`` or ``desc``."""
    if value is None:
        return None
    if value not in ("asc", "desc"):
        raise InvalidArgument(f"sort must be 'asc' or 'desc', not {value!r:.40}")
    return value


def merge(*parts: Mapping[str, Any] | None) -> dict[str, Any]:
    """Merge parameter mappings, dropping ``None`` values."""
    merged: dict[str, Any] = {}
    for part in parts:
        if part:
            merged.update((k, v) for k, v in part.items() if v is not None)
    return merged
