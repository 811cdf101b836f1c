"""Building blocks shared by every model, and the API's status and error bodies.

Read models subclass :class:`Model` and are ``@attrs.define(kw_only=True)``: slotted,
mutable (frozen attrs classes cost about twice as much to build, see
``docs/background/performance.md``), every field optional and ``None`` by default. The
converter (:mod:`soundcloud_async._converters`) builds them from JSON tolerantly.

Write models subclass :class:`WriteModel`: their fields default to :data:`UNSET`,
which is distinct from ``None`` (``None`` is sent as an explicit ``null``), and
they serialise to exactly the body the API takes with :meth:`WriteModel.to_json`
or :meth:`WriteModel.to_form`.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Iterable
from typing import Any, ClassVar, Final, Literal, TypeAlias

import attrs

__all__ = [
    "UNSET",
    "Error",
    "ErrorDetail",
    "ErrorMeta",
    "Found",
    "Model",
    "RateLimitInfo",
    "Status",
    "TooManyRequests",
    "UnsetType",
    "WriteModel",
    "format_tags",
    "parse_tags",
]


class _Unset(enum.Enum):
    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


#: "Not given": the field is left out of the request body (``None`` sends ``null``).
UNSET: Final = _Unset.UNSET
UnsetType: TypeAlias = Literal[_Unset.UNSET]


class Model:
    """Base class of every read model (marks classes the fast converter builds)."""

    __slots__ = ()


# --- tags --------------------------------------------------------------------

# A double-quoted tag (straight or typographic quotes, as in the spec's own example)
# or a run of non-blank characters.
_TAG_RE: Final = re.compile(r'"([^"]*)"|\u201c([^\u201d]*)\u201d|(\S+)')


def parse_tags(tag_list: str | None) -> list[str]:
    """Split a ``tag_list`` into tags.

    Tags are separated by blanks; multi-word tags are double-quoted; machine tags
    (``soundcloud:source=iphone-record``, ``geo:lat=43.555``) are kept whole.
    Stray quotes around an unterminated tag are dropped.

    >>> parse_tags('rock "hip hop" soundcloud:source=iphone-record')
    ['rock', 'hip hop', 'soundcloud:source=iphone-record']
    """
    if not tag_list:
        return []
    tags = []
    for quoted, curly, bare in _TAG_RE.findall(tag_list):
        tag = (quoted or curly or bare.strip('"\u201c\u201d')).strip()
        if tag:
            tags.append(tag)
    return tags


def format_tags(tags: Iterable[str]) -> str:
    """Join tags into a ``tag_list`` string, double-quoting multi-word tags."""
    out = []
    for tag in tags:
        tag = tag.replace('"', "").strip()
        if tag:
            out.append(f'"{tag}"' if any(c.isspace() for c in tag) else tag)
    return " ".join(out)


def tags_to_str(value: str | Iterable[str] | UnsetType | None) -> str | UnsetType | None:
    """Field converter: accept a ``tag_list`` string or an iterable of tags."""
    if value is None or value is UNSET or isinstance(value, str):
        return value
    return format_tags(value)


# --- write models ------------------------------------------------------------


def _json_value(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _form_value(value: Any) -> str:
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(_json_value(value))


class WriteModel:
    """Base class of request bodies: only the fields the caller set are sent.

    Subclasses name their JSON wrapper key in ``_wrapper`` (``"track"`` gives
    ``{"track": {...}}`` and form keys ``track[title]``); ``None`` means unwrapped.
    """

    __slots__ = ()
    _wrapper: ClassVar[str | None] = None

    def _items(self) -> list[tuple[str, Any]]:
        return [
            (a.name, v)
            for a in attrs.fields(type(self))  # type: ignore[arg-type]
            if (v := getattr(self, a.name)) is not UNSET
        ]

    def _encode_json(self, name: str, value: Any) -> Any:
        return _json_value(value)

    def _encode_form(self, name: str, value: Any) -> tuple[str, str]:
        return f"{self._wrapper}[{name}]" if self._wrapper else name, _form_value(value)

    def to_json(self) -> dict[str, Any]:
        """The JSON body: the set fields, wrapped in ``_wrapper`` if the API wants it."""
        body = {name: self._encode_json(name, value) for name, value in self._items()}
        return {self._wrapper: body} if self._wrapper else body

    def to_form(self) -> dict[str, str]:
        """The form fields (``track[title]=...``) for multipart or urlencoded bodies.

        Booleans become ``true``/``false``; an explicit ``None`` becomes ``""``.
        """
        return dict(self._encode_form(name, value) for name, value in self._items())


# --- status and error bodies -------------------------------------------------


@attrs.define(kw_only=True)
class Status(Model):
    """A bare status body such as ``{"status": "200 - OK"}`` or ``201 - Created``."""

    status: str | None = None


@attrs.define(kw_only=True)
class Found(Model):
    """The body of a 302 from ``/resolve`` or ``/preview``: where the resource lives."""

    status: str | None = None
    location: str | None = None


@attrs.define(kw_only=True)
class RateLimitInfo(Model):
    """The ``rate_limit`` object inside a 429's ``errors[].meta``."""

    group: str | None = None
    max_nr_of_requests: int | None = None
    time_window: str | None = None
    bucket: str | None = None
    name: str | None = None


@attrs.define(kw_only=True)
class ErrorMeta(Model):
    """The ``meta`` of an error entry: which limit was hit and when it resets."""

    rate_limit: RateLimitInfo | None = None
    remaining_requests: int | None = None
    reset_time: dt.datetime | None = None


@attrs.define(kw_only=True)
class ErrorDetail(Model):
    """One entry of the deprecated ``errors`` list of an error body."""

    error_message: str | None = None
    meta: ErrorMeta | None = None


@attrs.define(kw_only=True)
class Error(Model):
    """SoundCloud's error body: ``code``, ``message``, ``link`` and deprecated extras."""

    code: int | None = None
    message: str | None = None
    link: str | None = None
    error: str | None = None
    error_code: str | None = None
    errors: list[ErrorDetail] | None = None
    status: str | None = None


@attrs.define(kw_only=True)
class TooManyRequests(Error):
    """A 429 body; ``spam_warning_urn`` set means an account spam block (never retry)."""

    spam_warning_urn: str | None = None
