"""SoundCloud URNs: parsing and validation of resource identifiers.

Every path parameter of the API is a URN (``soundcloud:tracks:123``); numeric ids
are deprecated. :class:`URN` is a ``str`` subclass, always in canonical form, so it
drops into paths, query strings and comparisons as it is. :meth:`URN.parse` turns
what users have at hand (a URN, a numeric id, an ``api.soundcloud.com`` resource
URL such as a model's ``uri``) into a URN, and rejects everything else with
:class:`~soundcloud_async.InvalidURN` before a request is sent.

Parsing runs on every resource call, so the common inputs (an existing ``URN``, a
URN string, an ``int``) take a fast path: a type check, a dict lookup or one
compiled regular expression.
"""

from __future__ import annotations

import re
from typing import Final, TypeAlias

from soundcloud_async._errors import InvalidURN

__all__ = ["URN", "URNLike", "to_urn"]

_PREFIX: Final = "soundcloud:"

# Kinds whose ids are always decimal digits; other kinds (``spam-warnings``,
# ``web-profiles``, ...) get the more permissive ``_OTHER_ID`` pattern.
_NUMERIC_KINDS: Final = frozenset({"tracks", "users", "playlists", "comments"})

_KIND = r"[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*"
_OTHER_ID = r"[A-Za-z0-9][A-Za-z0-9._-]*"
_URN_RE: Final = re.compile(rf"soundcloud:({_KIND}):({_OTHER_ID})", re.ASCII | re.IGNORECASE)
_DIGITS_RE: Final = re.compile(r"[0-9]+", re.ASCII)
_API_URL_RE: Final = re.compile(
    rf"https?://api\.soundcloud\.com/({_KIND})/([^/?#]+)/?(?:[?#].*)?",
    re.ASCII | re.IGNORECASE | re.DOTALL,
)
_WEB_HOST_RE: Final = re.compile(
    r"(?:https?://)?(?:www\.|m\.|on\.)?soundcloud\.com(?:[/?#]|$)", re.ASCII | re.IGNORECASE
)


class URN(str):
    """A SoundCloud URN such as ``soundcloud:tracks:123``, in canonical form.

    ``URN(value, kind)`` is the same as :meth:`URN.parse`: the invariant holds for
    every instance. Being a ``str``, a URN compares equal to its text and can be
    used wherever a string is expected.
    """

    __slots__ = ()

    def __new__(cls, value: object, kind: str | None = None) -> URN:
        return cls.parse(value, kind)

    @classmethod
    def parse(cls, value: object, kind: str | None = None) -> URN:
        """Parse a URN, a numeric id or an ``api.soundcloud.com`` resource URL.

        Args:
            value: ``soundcloud:tracks:123``, ``123``, ``"123"``,
                ``https://api.soundcloud.com/tracks/123`` or
                ``https://api.soundcloud.com/tracks/soundcloud:tracks:123``.
                Surrounding whitespace is ignored.
            kind: the expected kind (``"tracks"``, ``"users"``, ...). Required for
                bare numeric ids; a URN or URL of another kind is rejected.

        Raises:
            InvalidURN: anything else, including ``soundcloud.com`` permalinks
                (resolve those with ``sc.resolve()``).
        """
        cls_ = type(value)
        if cls_ is URN:
            urn: URN = value  # type: ignore[assignment]
            if kind is None or urn.kind == kind:
                return urn
            raise InvalidURN(value, f"expected a {kind} URN, got a {urn.kind} one", kind=kind)
        if cls_ is int:
            return _from_id(value, str(value), kind)
        if isinstance(value, str):
            return _parse_str(value, kind)
        if isinstance(value, int) and not isinstance(value, bool):
            return _from_id(value, str(int(value)), kind)
        raise InvalidURN(value, f"expected a URN, id or API URL, not {cls_.__name__}", kind=kind)

    @property
    def kind(self) -> str:
        """The resource kind: ``tracks``, ``users``, ``playlists``, ``comments``, ..."""
        return self[11 : self.rindex(":")]

    @property
    def id(self) -> str:
        """The identifier after the last colon (a string: not every kind is numeric)."""
        return self[self.rindex(":") + 1 :]

    def __repr__(self) -> str:
        return f"URN({str.__repr__(self)})"


#: What resource methods accept where a URN is expected.
URNLike: TypeAlias = URN | str | int

_new_urn = str.__new__


def _make(kind: str, id_: str) -> URN:
    return _new_urn(URN, f"{_PREFIX}{kind}:{id_}")


def _from_id(value: object, digits: str, kind: str | None) -> URN:
    if kind is None:
        raise InvalidURN(value, "a numeric id needs a kind (e.g. kind='tracks')")
    if digits.startswith("-"):
        raise InvalidURN(value, "ids are never negative", kind=kind)
    if not _KIND_ONLY_RE.fullmatch(kind):
        raise InvalidURN(value, f"{kind!r} is not a URN kind", kind=kind)
    return _make(kind, digits)


_KIND_ONLY_RE: Final = re.compile(_KIND, re.ASCII)


def _check(value: object, urn_kind: str, id_: str, kind: str | None) -> URN:
    """Validate a parsed (kind, id) pair and build the canonical URN."""
    urn_kind = urn_kind.lower()
    if kind is not None and urn_kind != kind:
        raise InvalidURN(value, f"expected a {kind} URN, got a {urn_kind} one", kind=kind)
    if urn_kind in _NUMERIC_KINDS and not _DIGITS_RE.fullmatch(id_):
        raise InvalidURN(value, f"{urn_kind} ids are decimal digits", kind=kind)
    return _make(urn_kind, id_)


def _parse_str(value: str, kind: str | None) -> URN:
    text = value.strip()
    if not text:
        raise InvalidURN(value, "empty", kind=kind)
    m = _URN_RE.fullmatch(text)
    if m is not None:
        return _check(value, m[1], m[2], kind)
    if _DIGITS_RE.fullmatch(text):
        # Normalise "0123" to "123" without int(): huge digit strings are
        # rejected by int() on Python 3.11+ (CVE-2020-10735 limits).
        return _from_id(value, text.lstrip("0") or "0", kind)
    m = _API_URL_RE.fullmatch(text)
    if m is not None:
        url_kind, tail = m[1].lower(), m[2]
        if _DIGITS_RE.fullmatch(tail):
            return _check(value, url_kind, tail, kind)
        inner = _URN_RE.fullmatch(tail)
        if inner is not None and inner[1].lower() == url_kind:
            return _check(value, url_kind, inner[2], kind)
        raise InvalidURN(value, "not an API resource URL", kind=kind)
    if _WEB_HOST_RE.match(text):
        raise InvalidURN(
            value, "a soundcloud.com page URL is not a URN: use sc.resolve(url)", kind=kind
        )
    if text.lower().startswith(_PREFIX):
        raise InvalidURN(value, "expected soundcloud:<kind>:<id>", kind=kind)
    if text.startswith("-") and _DIGITS_RE.fullmatch(text[1:]):
        raise InvalidURN(value, "ids are never negative", kind=kind)
    raise InvalidURN(value, "expected a URN, a numeric id or an API URL", kind=kind)


def to_urn(value: URNLike, kind: str) -> URN:
    """Return ``value`` as a URN of ``kind``, for resource methods.

    Raises:
        InvalidURN: ``value`` is not a URN, id or API URL of ``kind``.
    """
    if type(value) is URN and value.kind == kind:
        return value
    if type(value) is str and kind in _NUMERIC_KINDS:
        # The canonical form ("soundcloud:tracks:123") without a regular expression:
        # the same URN that parse() builds for it, for a fraction of the cost.
        text: str = value
        start = 12 + len(kind)
        id_ = text[start:]
        if (
            text.startswith(_PREFIX)
            and text[11 : start - 1] == kind
            and text[start - 1 : start] == ":"
            and id_.isdigit()
            and id_.isascii()
        ):
            return _make(kind, id_)
    return URN.parse(value, kind)
