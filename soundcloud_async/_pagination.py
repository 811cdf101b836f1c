"""Linked partitioning: lazy, resumable iteration over SoundCloud collections.

A :class:`Paginator` is an async iterator of items; :meth:`Paginator.pages` iterates
whole pages. Both are plain classes with ``__anext__``, not async generators: each
page is fetched (body read, response released), structured, and only then are its
items handed out, so nothing is held across a ``yield`` and a consumer that stops
early leaves nothing open and needs no ``aclose()``.

The first page and every ``next_href`` go through the same transport path. Faults
SoundCloud is known to produce are handled here:

- a ``next_href`` that repeats a recent page (a loop) raises :class:`PaginationError`;
- a ``next_href`` on a foreign host is rewritten onto the API host (with a warning)
  or, with ``foreign_next_href="raise"``, raises; the token never leaves the API host;
- original query parameters dropped from a ``next_href`` are put back;
- an empty page with a ``next_href`` is followed, up to ``max_empty_pages`` in a row;
- a bare JSON array is accepted as a last page.

Progress is a :class:`Checkpoint`: read :attr:`Paginator.checkpoint` after handling
the last item (or page) you received, store it, and pass it as ``resume_from`` to
continue after a restart with no gap and no duplicate.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

import attrs
import orjson
from yarl import URL

from soundcloud_async._errors import (
    SECRET_PARAMS,
    DecodeError,
    InvalidArgument,
    PaginationError,
    redact_url,
)
from soundcloud_async._fastpath import REJECT

if TYPE_CHECKING:
    from soundcloud_async._http import Transport

__all__ = ["Checkpoint", "Page", "Paginator"]

logger = logging.getLogger("soundcloud_async")

T = TypeVar("T")
ForeignPolicy = Literal["rewrite", "raise"]

MAX_LIMIT = 200
DEFAULT_LIMIT = 50
_LOOP_WINDOW = 1024
#: Parameters that carry position; never copied from the first request to a next_href.
_POSITION_PARAMS = frozenset({"offset", "cursor", "page_size", "limit"})


@attrs.frozen
class Checkpoint:
    """Where a paginator stands: fetch ``url`` and skip its first ``skip`` items.

    ``url`` is ``None`` once the collection is exhausted. Serialise with
    :meth:`dumps` and restore with :meth:`loads`.
    """

    url: str | None
    skip: int = 0

    @property
    def done(self) -> bool:
        """Whether the collection has been read to the end."""
        return self.url is None

    def dumps(self) -> str:
        """A JSON string for storage."""
        return orjson.dumps({"url": self.url, "skip": self.skip}).decode()

    @classmethod
    def loads(cls, text: str | bytes) -> Checkpoint:
        """Restore a checkpoint from :meth:`dumps` output."""
        try:
            raw = orjson.loads(text)
            url, skip = raw["url"], raw.get("skip", 0)
        except (orjson.JSONDecodeError, TypeError, KeyError) as exc:
            raise InvalidArgument(f"not a paginator checkpoint: {text!r:.80}") from exc
        if (url is not None and not isinstance(url, str)) or not isinstance(skip, int) or skip < 0:
            raise InvalidArgument(f"not a paginator checkpoint: {text!r:.80}")
        return cls(url, skip)


@attrs.frozen
class Page(Generic[T]):
    """One page of a collection: its items, where it came from, and what follows.

    The URLs hold no secrets: a legacy ``consumer_key`` or a ``secret_token`` is left
    out of them (the paginator keeps the real URLs to itself), as in a
    :class:`Checkpoint`.
    """

    items: list[T]
    url: str
    next_href: str | None
    #: ``/me/activities``-style pages link to newer items for polling.
    future_href: str | None = None


def validate_limit(limit: int) -> int:
    """Check a page size against the API's 1..200."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise InvalidArgument(f"limit must be an integer from 1 to {MAX_LIMIT}, not {limit!r}")
    return limit


class Paginator(Generic[T]):
    """An async iterator over every item of a collection, fetched page by page.

    Args:
        transport: returns the client's transport (raising if the client is closed).
        path: the collection's path, e.g. ``/users/soundcloud:users:1/followers``.
        structure: turns a page's raw ``collection`` list into items.
        fast: a strict page decoder (:func:`~soundcloud_async._fastpath.page_decoder`)
            tried first on each page's bytes; pages it rejects use ``structure``.
        params: extra query parameters of the first request.
        limit: items per page, 1..200.
        max_items: stop after this many items.
        resume_from: a :class:`Checkpoint` (or its :meth:`~Checkpoint.dumps` string).
        max_empty_pages: empty pages with a ``next_href`` tolerated in a row.
        foreign_next_href: ``"rewrite"`` a foreign-host ``next_href`` onto the API host
            (with a warning) or ``"raise"`` :class:`PaginationError`.
    """

    def __init__(
        self,
        transport: Callable[[], Transport],
        path: str,
        structure: Callable[[list[Any]], list[T]],
        *,
        fast: Callable[[bytes], Any] | None = None,
        params: Mapping[str, Any] | None = None,
        limit: int = DEFAULT_LIMIT,
        max_items: int | None = None,
        resume_from: Checkpoint | str | None = None,
        max_empty_pages: int = 20,
        foreign_next_href: ForeignPolicy = "rewrite",
    ) -> None:
        validate_limit(limit)
        if max_items is not None and (isinstance(max_items, bool) or max_items < 0):
            raise InvalidArgument(f"max_items must be a non-negative integer, not {max_items!r}")
        if foreign_next_href not in ("rewrite", "raise"):
            raise InvalidArgument("foreign_next_href must be 'rewrite' or 'raise'")
        self._transport = transport
        self._structure = structure
        self._fast = fast
        # For the repr: the path alone (a query could carry consumer_key or
        # secret_token), with a private share link's s-token masked.
        self._path = redact_url(URL(path).path)
        first: dict[str, str] = {k: _param(v) for k, v in (params or {}).items() if v is not None}
        first["linked_partitioning"] = "true"
        first["limit"] = str(limit)
        self._first_params = first
        self._max_items = max_items
        self._max_empty = max_empty_pages
        self._foreign = foreign_next_href
        if isinstance(resume_from, str):
            resume_from = Checkpoint.loads(resume_from)
        if resume_from is None:
            self._next_url: str | None = str(URL(path).update_query(first))
            skip = 0
        else:
            # Checkpoints hold no secrets (consumer_key…): the first request's
            # parameters are put back, as for a next_href that dropped them.
            try:
                self._next_url = (
                    None
                    if resume_from.url is None
                    else self._restore(URL(resume_from.url, encoded=True))
                )
            except (ValueError, TypeError) as exc:
                raise InvalidArgument(
                    f"the checkpoint's URL is not usable: {redact_url(str(resume_from.url))!r:.80}"
                ) from exc
            skip = resume_from.skip
        self._skip = skip
        self._buffer: list[T] = []
        self._index = 0
        self._page_url: str | None = None
        # How many items of the current page were skipped before the buffer (a resume).
        self._page_offset = 0
        self._fetched_offset = 0
        self._yielded = 0
        self._pages_fetched = 0
        self._recent: deque[str] = deque(maxlen=_LOOP_WINDOW)
        self._recent_set: set[str] = set()
        self._mode: Literal["items", "pages"] | None = None
        self._pending_error: PaginationError | None = None

    def __repr__(self) -> str:
        done = self._next_url is None and self._index >= len(self._buffer)
        return (
            f"<Paginator {self._path} items={self._yielded} pages={self._pages_fetched}"
            f"{' done' if done else ''}>"
        )

    # -- progress ---------------------------------------------------------------------

    @property
    def checkpoint(self) -> Checkpoint:
        """The resume point after everything handed out so far."""
        if self._index < len(self._buffer) and self._page_url is not None:
            # Positions count from the page's start, skipped items included.
            return Checkpoint(_without_secrets(self._page_url), self._page_offset + self._index)
        return Checkpoint(_without_secrets(self._next_url), self._skip)

    @property
    def pages_fetched(self) -> int:
        """How many pages this paginator has fetched."""
        return self._pages_fetched

    @property
    def items_yielded(self) -> int:
        """How many items this paginator has handed out."""
        return self._yielded

    # -- item iteration ---------------------------------------------------------------

    def __aiter__(self) -> Paginator[T]:
        self._claim("items")
        return self

    async def __anext__(self) -> T:
        if self._max_items is not None and self._yielded >= self._max_items:
            raise StopAsyncIteration
        while self._index >= len(self._buffer):
            page = await self._fetch_page()
            if page is None:
                raise StopAsyncIteration
            self._buffer, self._index, self._page_url = page.items, 0, page.url
            self._page_offset = self._fetched_offset
        item = self._buffer[self._index]
        self._index += 1
        self._yielded += 1
        return item

    async def collect(self) -> list[T]:
        """Read every remaining item into a list (bound it with ``max_items``)."""
        return [item async for item in self]

    # -- page iteration ---------------------------------------------------------------

    def pages(self) -> _PageIterator[T]:
        """Iterate whole pages instead of items (``max_items`` trims the last page)."""
        self._claim("pages")
        return _PageIterator(self)

    def _claim(self, mode: Literal["items", "pages"]) -> None:
        if self._mode is not None and self._mode != mode:
            raise InvalidArgument("iterate a Paginator either by items or by pages, not both")
        self._mode = mode

    async def _next_page_trimmed(self) -> Page[T] | None:
        if self._max_items is not None and self._yielded >= self._max_items:
            return None
        page = await self._fetch_page()
        if page is None:
            return None
        if self._max_items is not None:
            room = self._max_items - self._yielded
            if len(page.items) > room:
                # Keep the checkpoint exact: the rest of this page is still to come.
                self._buffer, self._index, self._page_url = page.items, room, page.url
                self._page_offset = self._fetched_offset
                page = Page(page.items[:room], page.url, page.next_href, page.future_href)
        self._yielded += len(page.items)
        return page

    # -- fetching ---------------------------------------------------------------------

    async def _fetch_page(self) -> Page[T] | None:
        empty_in_a_row = 0
        while self._next_url is not None:
            if self._pending_error is not None:
                raise self._pending_error
            url = self._next_url
            transport = self._transport()
            response = await transport.request("GET", url, fast=self._fast)
            self._pages_fetched += 1
            fast_page = response.value
            if fast_page is not REJECT:
                items, next_href, future_href = fast_page
                page_length = len(items)
            else:
                raw_items, next_href, future_href = _split_page(
                    response.data, response.url, response.status
                )
                page_length = len(raw_items)
            self._remember(response.url)
            try:
                next_url = self._follow(next_href, transport) if next_href else None
            except PaginationError as exc:
                # Hand out this page's items first; the error surfaces on the next fetch,
                # and a checkpoint taken meanwhile points just past this page.
                self._pending_error = exc
                next_url = url
            if fast_page is REJECT:
                try:
                    items = self._structure(raw_items)
                except (TypeError, ValueError) as exc:
                    raise DecodeError(
                        f"a page item does not fit its model: {exc}",
                        method="GET",
                        url=response.url,
                        status=response.status,
                    ) from exc
            self._fetched_offset = self._skip
            if self._skip:
                items = items[self._skip :]
                self._skip = 0
            self._next_url = next_url
            if self._pending_error is not None:
                self._skip = page_length
            if items:
                return _page(items, url, next_url, future_href)
            if next_url is not None:
                empty_in_a_row += 1
                if empty_in_a_row > self._max_empty:
                    raise PaginationError(
                        f"{empty_in_a_row} empty pages in a row with a next_href; giving up"
                        f" (raise max_empty_pages to allow more)"
                    )
            elif self._mode == "pages":
                return _page(items, url, None, future_href)
        return None

    def _remember(self, url: str) -> None:
        key = _loop_key(url)
        if len(self._recent) == self._recent.maxlen:
            self._recent_set.discard(self._recent[0])
        self._recent.append(key)
        self._recent_set.add(key)

    def _follow(self, next_href: str, transport: Transport) -> str:
        try:
            text = self._on_api_host(next_href, transport)
            key = _loop_key(text)
        except (ValueError, TypeError) as exc:
            # yarl refuses some URLs only when a part is used (a port of "A", a host
            # that is not ASCII, a scheme on a relative URL): all of them are unusable.
            raise PaginationError(
                f"next_href is not a usable URL: {redact_url(next_href)!r:.120}"
            ) from exc
        if key in self._recent_set:
            raise PaginationError(
                "next_href repeats a page already fetched (a pagination loop); stopping"
            )
        return text

    def _on_api_host(self, next_href: str, transport: Transport) -> str:
        """``next_href`` as an absolute URL on the API host, parameters restored."""
        url = URL(next_href, encoded=True)
        if not url.is_absolute():
            url = transport.base.join(url)
        if url.scheme not in ("http", "https"):
            raise PaginationError(
                f"next_href is not an http(s) URL: {redact_url(next_href)!r:.120}"
            )
        if not transport.same_origin(url):
            # The origin with its port: a different port is a different server.
            shown = _origin(url)
            if self._foreign == "raise":
                raise PaginationError(f"next_href points at a foreign host {shown}; not followed")
            logger.warning(
                "next_href points at foreign host %s; rewriting it onto %s",
                shown,
                _origin(transport.base),
            )
            base = transport.base
            url = url.with_scheme(base.scheme).with_host(base.host or "").with_port(base.port)
        return self._restore(url)

    def _restore(self, url: URL) -> str:
        """``url`` with the first request's parameters it lacks put back."""
        query = url.query
        missing = {
            k: v
            for k, v in self._first_params.items()
            if k not in query and k not in _POSITION_PARAMS
        }
        if "limit" not in query and "page_size" not in query:
            missing["limit"] = self._first_params["limit"]
        if missing:
            url = url.extend_query(missing)
        return str(url)


class _PageIterator(Generic[T]):
    __slots__ = ("_paginator",)

    def __init__(self, paginator: Paginator[T]) -> None:
        self._paginator = paginator

    def __aiter__(self) -> _PageIterator[T]:
        return self

    async def __anext__(self) -> Page[T]:
        page = await self._paginator._next_page_trimmed()
        if page is None:
            raise StopAsyncIteration
        return page


def _param(value: Any) -> str:
    if value is True or value is False:
        return "true" if value else "false"
    return str(value)


def _loop_key(url: str) -> str:
    parsed = URL(url, encoded=True)
    return f"{parsed.path}?{'&'.join(sorted(parsed.raw_query_string.split('&')))}"


def _split_page(data: Any, url: str, status: int) -> tuple[list[Any], str | None, str | None]:
    if isinstance(data, list):
        return data, None, None
    if isinstance(data, Mapping):
        collection = data.get("collection")
        if collection is None:
            collection = []
        if not isinstance(collection, list):
            raise DecodeError(
                "a page's collection is not a list", method="GET", url=url, status=status
            )
        return collection, _href(data, "next_href"), _href(data, "future_href")
    raise DecodeError(
        f"expected a page (an object with a collection), got {type(data).__name__}",
        method="GET",
        url=url,
        status=status,
    )


def _href(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) and value else None


def _origin(url: URL) -> str:
    """``scheme://host:port`` (the port always shown), without user info or path."""
    host = url.host or ""
    if ":" in host:
        host = f"[{host}]"
    port = url.port
    return f"{url.scheme}://{host}" + (f":{port}" if port is not None else "")


def _page(items: list[T], url: str, next_href: str | None, future_href: str | None) -> Page[T]:
    return Page(items, _strip(url), _without_secrets(next_href), _without_secrets(future_href))


def _strip(url: str) -> str:
    stripped = _without_secrets(url)
    assert stripped is not None
    return stripped


def _without_secrets(url: str | None) -> str | None:
    """Drop secret query parameters (a legacy ``consumer_key``) from a stored URL."""
    if url is None or "?" not in url:
        return url
    parsed = URL(url, encoded=True)
    if not any(key.lower() in SECRET_PARAMS for key in parsed.query):
        return url
    kept = [(k, v) for k, v in parsed.query.items() if k.lower() not in SECRET_PARAMS]
    return str(parsed.with_query(kept))
