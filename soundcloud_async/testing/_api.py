"""The fake SoundCloud's API routes: every operation of the official spec and the legacy seeds.

:func:`add_api_routes` registers the handlers on an :class:`aiohttp.web.Application`.
Authentication is not done here: the harness's middleware sets
``request[PRINCIPAL_KEY]`` (a :class:`Principal`); a request without one is answered 401.
``POST /sign-out`` and the OAuth routes belong to the harness too.

Conventions (see the module docstring of ``_world`` for cursors):

* Path parameters are URNs (``soundcloud:tracks:123``) or deprecated numeric ids;
  malformed: 400, unknown or not visible to the caller: 404.
* Collections: ``limit`` (or its synonym ``page_size``) defaults to 50; values above 200
  are clamped to 200 (as the real API does), below 1 or non-numeric: 400. With
  ``linked_partitioning=true|1`` the body is ``{collection, next_href}`` (``next_href``
  ``null`` at the end); without it, endpoints whose spec response allows a bare array
  (tracks and playlists lists, legacy ``.json`` lists) answer one, the others answer
  the same object. Paging happens *before* visibility/``access`` filtering, as on the
  real API: pages can be short or empty and still carry a ``next_href``.
* Self-links (``next_href``, ``future_href``, ``Location``, stream URLs) use the serving
  origin; ``uri`` fields keep ``https://api.soundcloud.com``.
* ``request[PAGE_FAULT_KEY]`` (set by the fault injector) bends one collection response:
  ``repeat_next`` (``next_href`` = the URL requested: a loop), ``foreign_next``
  (``next_href`` on ``https://api-internal.soundcloud.local``), ``empty_page`` (no items,
  ``next_href`` resumes where this page would have started: nothing is lost).
* Media (``/media/...`` stream URLs, the signed ``/cdn/...`` host, HLS) lives in
  ``_media``; ``add_api_routes`` registers its routes too.
"""

from __future__ import annotations

import calendar
import contextlib
import re
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Final, NoReturn
from urllib.parse import urlencode, urlsplit

import orjson
from aiohttp import BodyPartReader, web
from multidict import MultiDictProxy, MultiMapping

from soundcloud_async.testing._media import MEDIA_LOG_KEY, FakeMedia, MediaHit, add_media_routes
from soundcloud_async.testing._shared import (
    API_HOST_URL,
    MALFORMED_BODY_ERRORS,
    PAGE_FAULT_KEY,
    PRINCIPAL_KEY,
    Principal,
    error_body,
    json_response,
)
from soundcloud_async.testing._world import (
    STOREFRONT_TYPES,
    Collection,
    Cursor,
    InvalidCursor,
    InvalidUrn,
    Page,
    World,
    decode_cursor,
    encode_cursor,
    format_date,
    parse_urn,
)

__all__ = [
    "FOREIGN_HOST",
    "MAX_LIMIT",
    "MEDIA_LOG_KEY",
    "PUBLIC_PATH_PREFIXES",
    "WORLD_KEY",
    "MediaHit",
    "add_api_routes",
]

#: ``app[WORLD_KEY]``: the :class:`World` the routes serve.
WORLD_KEY: Final = web.AppKey("soundcloud_async.testing.world", World)


#: Paths served without authentication (the fake CDN): the auth middleware must let
#: them through, like the real CDN does.
PUBLIC_PATH_PREFIXES: Final = ("/cdn/",)
#: Host of ``next_href`` under the ``foreign_next`` fault.
FOREIGN_HOST: Final = "https://api-internal.soundcloud.local"
MAX_LIMIT: Final = 200
DEFAULT_LIMIT: Final = 50
#: Search scans at most this many items per page before answering a short page.
_SEARCH_SCAN: Final = 5000
_MAX_FOLLOWINGS: Final = 2000

_ACCESS_ALL: Final = frozenset({"playable", "preview", "blocked"})
_ACCESS_DEFAULT: Final = frozenset({"playable", "preview"})
_ACCESS_NAMES: Final = ("playable", "preview", "blocked")
_PAGING_PARAMS: Final = frozenset(
    {"cursor", "offset", "limit", "page_size", "linked_partitioning", "client_id"}
)
_LEGACY_RANGE: Final = re.compile(r"(bpm|duration|created_at)(?:\[(from|to)\]|-(from|to))")
_SOUNDCLOUD_HOSTS: Final = frozenset(
    {"soundcloud.com", "www.soundcloud.com", "m.soundcloud.com", "on.soundcloud.com"}
)
_SHARING: Final = frozenset({"public", "private"})
_LICENSES: Final = frozenset(
    {
        "no-rights-reserved",
        "all-rights-reserved",
        "cc-by",
        "cc-by-nc",
        "cc-by-nd",
        "cc-by-sa",
        "cc-by-nc-nd",
        "cc-by-nc-sa",
    }
)
_EMBEDDABLE: Final = frozenset({"all", "me", "none"})

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
#: Renders a page of keys into comma-separated JSON pieces (filtering as it goes).
Batch = Callable[[list[int]], list[bytes]]

_ERRORS: Final[dict[int, type[web.HTTPError]]] = {
    400: web.HTTPBadRequest,
    401: web.HTTPUnauthorized,
    403: web.HTTPForbidden,
    404: web.HTTPNotFound,
    406: web.HTTPNotAcceptable,
    422: web.HTTPUnprocessableEntity,
}
_CODES: Final = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    406: "not_acceptable",
    422: "unprocessable_entity",
}


def _fail(status: int, message: str | None = None) -> NoReturn:
    """Raise the HTTP error ``status`` with SoundCloud's error body."""
    text = message or f"{status} - {HTTPStatus(status).phrase}"
    body = orjson.dumps(error_body(status, text, code=_CODES[status])).decode()
    # text=, not body=: aiohttp deprecates body= on HTTP exceptions, and a warning
    # turned into an error (pytest's filterwarnings=error) would become a 500.
    raise _ERRORS[status](text=body, content_type="application/json")


def _status(text: str, status: int = 200) -> web.Response:
    return json_response({"status": text}, status=status)


# ------------------------------------------------------------------------------- requests


def _principal(request: web.Request) -> Principal:
    p = request.get(PRINCIPAL_KEY)
    if not isinstance(p, Principal):
        _fail(401, "401 - Unauthorized")
    return p


def _ident(value: str, kind: str) -> int:
    try:
        return parse_urn(value, kind)
    except InvalidUrn:
        _fail(400, f"invalid {kind[:-1]} urn: {value!r}")


def _flag(value: str | None, *, default: bool) -> bool:
    if value is None or value == "":
        return default
    low = value.lower()
    if low in ("true", "1", "yes"):
        return True
    if low in ("false", "0", "no"):
        return False
    _fail(400, f"invalid boolean: {value!r}")


def _int_param(q: MultiMapping[str], name: str) -> int | None:
    v = q.get(name)
    if v is None or v == "":
        return None
    try:
        return int(v)
    except ValueError:
        _fail(400, f"{name} must be an integer")


def _access(q: MultiMapping[str], default: frozenset[str]) -> frozenset[str]:
    raw = q.getall("access", [])
    if not raw:
        return default
    values = frozenset(v.strip() for item in raw for v in item.split(",") if v.strip())
    if not values or not values <= _ACCESS_ALL:
        _fail(400, "access must be a comma separated list of playable, preview, blocked")
    return values


@dataclass(frozen=True, slots=True)
class _Paging:
    limit: int
    offset: int
    cursor: Cursor | None
    linked: bool


def _paging(request: web.Request) -> _Paging:
    q = request.query
    limit = _int_param(q, "limit")
    if limit is None:
        limit = _int_param(q, "page_size")
    if limit is None:
        limit = DEFAULT_LIMIT
    if limit < 1:
        _fail(400, "limit must be between 1 and 200")
    limit = min(limit, MAX_LIMIT)
    offset = _int_param(q, "offset") or 0
    if offset < 0:
        _fail(400, "offset must not be negative")
    token = q.get("cursor")
    cursor = None
    if token:
        try:
            cursor = decode_cursor(token)
        except InvalidCursor:
            _fail(400, "invalid cursor")
    linked = _flag(q.get("linked_partitioning"), default=False)
    return _Paging(limit, offset, cursor, linked)


# ------------------------------------------------------------------------------- responses

_JSON: Final = "application/json"


def _bytes_response(body: bytes, status: int = 200) -> web.Response:
    return web.Response(body=body, status=status, content_type=_JSON)


def _join_items(items: Iterable[list[bytes] | tuple[bytes, ...] | bytes]) -> list[bytes]:
    out: list[bytes] = []
    first = True
    for item in items:
        if not first:
            out.append(b",")
        first = False
        if isinstance(item, bytes):
            out.append(item)
        else:
            out.extend(item)
    return out


class _Api:
    """The handlers, bound to one world."""

    def __init__(self, world: World) -> None:
        self.world = world

    # --------------------------------------------------------------------- helpers

    def viewer(self, request: web.Request) -> int | None:
        """The caller's user index (``None`` for client credentials)."""
        p = _principal(request)
        if p.user_urn is None:
            return None
        try:
            return self.world.user_index(p.user_urn)
        except InvalidUrn:
            return None

    def me(self, request: web.Request) -> int:
        """The caller's user index; 401 for client-credentials tokens."""
        u = self.viewer(request)
        if u is None:
            _fail(401, "401 - Unauthorized: this endpoint needs a user's access token")
        return u

    def user_param(self, request: web.Request, name: str = "user_urn") -> int:
        u = self.world.user_index(_ident(request.match_info[name], "users"))
        if u is None:
            _fail(404, "404 - Not Found")
        return u

    def track_param(self, request: web.Request, viewer: int | None, name: str = "track_urn") -> int:
        t = self.world.track_index(_ident(request.match_info[name], "tracks"))
        token = request.query.get("secret_token")
        if t is None or not self.world.track_visible(t, viewer, token):
            _fail(404, "404 - Not Found")
        return t

    def playlist_param(
        self, request: web.Request, viewer: int | None, name: str = "playlist_urn"
    ) -> int:
        p = self.world.playlist_index(_ident(request.match_info[name], "playlists"))
        token = request.query.get("secret_token")
        if p is None or not self.world.playlist_visible(p, viewer, token):
            _fail(404, "404 - Not Found")
        return p

    def own_track(self, request: web.Request, u: int, name: str = "track_urn") -> int:
        t = self.track_param(request, u, name)
        if self.world.track_meta(t).owner != u:
            _fail(403, "403 - Forbidden: only the track's owner may do this")
        return t

    def own_playlist(self, request: web.Request, u: int) -> int:
        p = self.playlist_param(request, u)
        if self.world.playlist_meta(p).owner != u:
            _fail(403, "403 - Forbidden: only the playlist's owner may do this")
        return p

    def track_filter(
        self, viewer: int | None, access: frozenset[str] | None
    ) -> Callable[[int], bool]:
        w = self.world
        allowed = (
            None if access is None else {i for i, n in enumerate(_ACCESS_NAMES) if n in access}
        )

        def ok(t: int) -> bool:
            if not w.track_visible(t, viewer):
                return False
            return allowed is None or w.track_meta(t).access in allowed

        return ok

    def page_response(
        self,
        request: web.Request,
        coll: Collection,
        render: Callable[[int], list[bytes] | tuple[bytes, ...] | bytes],
        *,
        newest_first: bool = True,
        keep: Callable[[int], bool] | None = None,
        array_ok: bool = False,
        size_param: str = "limit",
        accept: Callable[[int], bool] | None = None,
        scan_budget: int | None = None,
        paging: _Paging | None = None,
        batch: Batch | None = None,
    ) -> web.Response:
        """A collection page: paging, then filtering (``keep``), faults, links, body.

        ``batch`` (the fast path) renders and filters a whole page of keys at once.
        """
        pg = paging or _paging(request)
        start = Cursor(1 << 62) if newest_first else Cursor(0)
        page = coll.page(
            pg.cursor,
            pg.limit,
            newest_first=newest_first,
            offset=pg.offset if pg.cursor is None else 0,
            accept=accept,
            scan_budget=scan_budget,
        )
        return self.render_page(
            request, pg, page, render, keep, array_ok, size_param, start=start, batch=batch
        )

    def render_page(
        self,
        request: web.Request,
        pg: _Paging,
        page: Page,
        render: Callable[[int], list[bytes] | tuple[bytes, ...] | bytes],
        keep: Callable[[int], bool] | None,
        array_ok: bool,
        size_param: str,
        *,
        future: Cursor | None = None,
        start: Cursor | None = None,
        batch: Batch | None = None,
    ) -> web.Response:
        fault = request.get(PAGE_FAULT_KEY)
        keys = page.keys
        nxt = page.next
        if fault == "empty_page":
            keys = []
            here = pg.cursor or start or Cursor(-1)
            nxt = Cursor(here.position, here.floor, here.variant + 1)
        if batch is not None:
            pieces = batch(keys)
        else:
            pieces = _join_items([render(k) for k in keys if keep is None or keep(k)])
        next_href = None if nxt is None else self.href(request, nxt, pg.limit, size_param)
        if fault == "repeat_next":
            next_href = str(request.url)
        elif fault == "foreign_next" and next_href is not None:
            parts = urlsplit(next_href)
            next_href = f"{FOREIGN_HOST}{parts.path}?{parts.query}"
        if not pg.linked and array_ok:
            return _bytes_response(b"".join([b"[", *pieces, b"]"]))
        body = [b'{"collection":[', *pieces, b'],"next_href":', orjson.dumps(next_href)]
        if future is not None:
            body += [
                b',"future_href":',
                orjson.dumps(self.href(request, future, pg.limit, "limit")),
            ]
        body.append(b"}")
        return _bytes_response(b"".join(body))

    def href(self, request: web.Request, cursor: Cursor, limit: int, size_param: str) -> str:
        """A self-link on the serving origin keeping the request's own parameters."""
        params = [(k, v) for k, v in request.query.items() if k not in _PAGING_PARAMS]
        params += [
            (size_param, str(limit)),
            ("cursor", encode_cursor(cursor)),
            ("linked_partitioning", "true"),
        ]
        return f"{request.url.origin()}{request.path}?{urlencode(params)}"

    # --------------------------------------------------------------------- renderers

    def tracks_renderer(
        self, viewer: int | None, *, favorites: bool = False
    ) -> Callable[[int], tuple[bytes, ...]]:
        w = self.world
        liked: set[int] = set()
        if favorites and viewer is not None:
            liked = set(w.liked_tracks(viewer).live_keys())

        def render(t: int) -> tuple[bytes, ...]:
            return w.track_parts(t, t in liked)

        return render

    def playlists_renderer(
        self, viewer: int | None, request: web.Request
    ) -> Callable[[int], list[bytes]]:
        show = _flag(request.query.get("show_tracks"), default=True)
        w = self.world

        def render(p: int) -> list[bytes]:
            return w.playlist_parts(p, viewer, show_tracks=show)

        return render

    def playlist_keep(self, viewer: int | None) -> Callable[[int], bool]:
        w = self.world
        return lambda p: w.playlist_visible(p, viewer)

    def tracks_page(
        self,
        request: web.Request,
        coll: Collection,
        viewer: int | None,
        *,
        access_default: frozenset[str] = _ACCESS_DEFAULT,
        newest_first: bool = True,
        array_ok: bool = True,
    ) -> web.Response:
        access = _access(request.query, access_default)
        return self.page_response(
            request,
            coll,
            self.tracks_renderer(viewer),
            newest_first=newest_first,
            array_ok=array_ok,
            batch=self.tracks_batch(viewer, access),
        )

    def tracks_batch(
        self,
        viewer: int | None,
        access: frozenset[str],
        *,
        favorites: bool = False,
        extra: Callable[[int], bool] | None = None,
    ) -> Batch:
        """The hot path: filter (visibility, ``access``) and join cached track JSON."""
        w = self.world
        allowed = frozenset(i for i, n in enumerate(_ACCESS_NAMES) if n in access)
        liked: set[int] = set()
        if favorites and viewer is not None:
            liked = set(w.liked_tracks(viewer).live_keys())
        meta, visible, json = w.track_meta, w.track_visible, w.track_bytes

        def batch(keys: list[int]) -> list[bytes]:
            out: list[bytes] = []
            for t in keys:
                m = meta(t)
                if m.access not in allowed or (not m.public and not visible(t, viewer)):
                    continue
                if extra is not None and not extra(t):
                    continue
                out.append(json(t, t in liked) if liked else json(t))
                out.append(b",")
            if out:
                out.pop()
            return out

        return batch

    def users_page(
        self, request: web.Request, coll: Collection, *, size_param: str = "limit"
    ) -> web.Response:
        return self.page_response(request, coll, self.world.user_bytes, size_param=size_param)

    def playlists_page(
        self, request: web.Request, coll: Collection, viewer: int | None
    ) -> web.Response:
        return self.page_response(
            request,
            coll,
            self.playlists_renderer(viewer, request),
            keep=self.playlist_keep(viewer),
            array_ok=True,
        )

    # --------------------------------------------------------------------- /me

    async def get_me(self, request: web.Request) -> web.Response:
        return json_response(self.world.me_dict(self.me(request)))

    async def me_activities(self, request: web.Request) -> web.Response:
        return self.activities(request, tracks_only=False, own=False)

    async def me_activities_own(self, request: web.Request) -> web.Response:
        return self.activities(request, tracks_only=False, own=True)

    async def me_activities_tracks(self, request: web.Request) -> web.Response:
        return self.activities(request, tracks_only=True, own=False)

    def activities(self, request: web.Request, *, tracks_only: bool, own: bool) -> web.Response:
        u = self.me(request)
        w = self.world
        pg = _paging(request)
        access = _access(request.query, _ACCESS_DEFAULT)
        before = None if pg.cursor is None or pg.cursor.position < 0 else pg.cursor.position
        after = -1 if pg.cursor is None else pg.cursor.floor
        items, more = w.activities(
            u, before=before, after=after, limit=pg.limit, tracks_only=tracks_only, own=own
        )
        by_key = {k: (typ, obj, reposter) for k, typ, obj, reposter in items}
        page = Page([k for k, *_ in items], None if more is None else Cursor(more, after), None)
        top = items[0][0] if items else (before if before is not None else None)
        keep_track = self.track_filter(u, access)

        def keep(k: int) -> bool:
            typ, obj, _ = by_key[k]
            if typ.startswith("playlist"):
                return w.playlist_visible(obj, u)
            return keep_track(obj)

        def render(k: int) -> list[bytes]:
            typ, obj, reposter = by_key[k]
            created = orjson.dumps(format_date(k >> 42))
            head = [b'{"type":', orjson.dumps(typ), b',"created_at":', created, b',"origin":']
            if typ.startswith("playlist"):
                head += w.playlist_parts(obj, u)
            else:
                head += w.track_parts(obj)
            if reposter is not None:
                head += [b',"reposter":', orjson.dumps(w.user_urn(reposter))]
            head.append(b"}")
            return head

        now_key = ((w.clock + 1) << 42) - 1
        future_floor = top if top is not None else (after if after >= 0 else now_key)
        return self.render_page(
            request,
            pg,
            page,
            render,
            keep,
            False,
            "limit",
            future=Cursor(-1, future_floor),
            start=Cursor(-1 if before is None else before, after),
        )

    async def me_recently_played(self, request: web.Request) -> web.Response:
        u = self.me(request)
        access = _access(request.query, _ACCESS_ALL)
        ok = self.track_filter(u, access)
        render = self.tracks_renderer(u)
        items = [render(t) for t in self.world.recently_played(u) if ok(t)]
        return _bytes_response(b"".join([b'{"collection":[', *_join_items(items), b"]}"]))

    async def me_likes_tracks(self, request: web.Request) -> web.Response:
        u = self.me(request)
        coll = self.world.liked_tracks(u)
        return self.tracks_page(request, coll, u, access_default=_ACCESS_ALL)

    async def me_likes_playlists(self, request: web.Request) -> web.Response:
        u = self.me(request)
        return self.playlists_page(request, self.world.liked_playlists(u), u)

    async def me_followings(self, request: web.Request) -> web.Response:
        u = self.me(request)
        return self.users_page(request, self.world.followings(u), size_param="page_size")

    async def me_followings_tracks(self, request: web.Request) -> web.Response:
        u = self.me(request)
        w = self.world
        pg = _paging(request)
        access = _access(request.query, _ACCESS_DEFAULT)
        before = None if pg.cursor is None or pg.cursor.position < 0 else pg.cursor.position
        items, more = w.activities(
            u, before=before, after=-1, limit=pg.limit, tracks_only=True, reposts=False
        )
        obj = {k: t for k, _, t, _ in items}
        page = Page(list(obj), None if more is None else Cursor(more), None)
        keep_track = self.track_filter(u, access)
        render = self.tracks_renderer(u)
        return self.render_page(
            request,
            pg,
            page,
            lambda k: render(obj[k]),
            lambda k: keep_track(obj[k]),
            True,
            "limit",
            start=Cursor(-1 if before is None else before),
        )

    async def me_following(self, request: web.Request) -> web.Response:
        u = self.me(request)
        v = self.user_param(request)
        if not self.world.is_following(u, v):
            _fail(404, "404 - Not Found")
        return _bytes_response(self.world.user_bytes(v))

    async def me_follow(self, request: web.Request) -> web.Response:
        u = self.me(request)
        v = self.user_param(request)
        w = self.world
        if u == v:
            _fail(422, "You cannot follow yourself")
        if w.is_following(u, v):
            return _status("200 - Successful")
        if w.followings(u).count() >= _MAX_FOLLOWINGS:
            _fail(422, f"You have reached the maximum of {_MAX_FOLLOWINGS} followings")
        w.follow(u, v)
        return _bytes_response(w.user_bytes(v), status=201)

    async def me_unfollow(self, request: web.Request) -> web.Response:
        u = self.me(request)
        v = self.user_param(request)
        if u == v:
            _fail(422, "You cannot unfollow yourself")
        if not self.world.unfollow(u, v):
            _fail(404, "404 - Not Found")
        return _status("Status(200) - OK")

    async def me_followers(self, request: web.Request) -> web.Response:
        u = self.me(request)
        return self.users_page(request, self.world.followers(u), size_param="page_size")

    async def me_follower(self, request: web.Request) -> web.Response:
        u = self.me(request)
        v = self.user_param(request, "follower_urn")
        if not self.world.is_following(v, u):
            _fail(404, "404 - Not Found")
        return _bytes_response(self.world.user_bytes(v))

    async def me_playlists(self, request: web.Request) -> web.Response:
        u = self.me(request)
        return self.playlists_page(request, self.world.user_playlists(u), u)

    async def me_tracks(self, request: web.Request) -> web.Response:
        u = self.me(request)
        return self.tracks_page(
            request,
            self.world.user_tracks(u),
            u,
            access_default=_ACCESS_ALL,
            newest_first=_sort_desc(request),
        )

    async def me_reposts_tracks(self, request: web.Request) -> web.Response:
        u = self.me(request)
        coll = self.world.reposted_tracks(u)
        return self.tracks_page(request, coll, u, access_default=_ACCESS_ALL)

    async def me_reposts_playlists(self, request: web.Request) -> web.Response:
        u = self.me(request)
        return self.playlists_page(request, self.world.reposted_playlists(u), u)

    # --------------------------------------------------------------------- search

    async def search_tracks(self, request: web.Request) -> web.Response:
        viewer = self.viewer(request)
        w = self.world
        q = request.query
        access = _access(q, _ACCESS_DEFAULT)
        ids = self.ids_param(request, "tracks")
        if ids is not None:
            idx = [w.track_index(i) for i in ids]
            keep = self.track_filter(viewer, access)
            render = self.tracks_renderer(viewer, favorites=True)
            items = [render(t) for t in idx if t is not None and keep(t)]
            return self.plain_list(request, items)
        ranges = _ranges(q)
        genres = _csv_set(q.get("genres"))
        tags = _csv_set(q.get("tags"))
        text = q.get("q") or None
        flt = q.get("filter")
        if flt is not None and flt not in (
            "all",
            "public",
            "private",
            "streamable",
            "downloadable",
        ):
            _fail(400, "filter must be one of all, public, private, streamable, downloadable")
        searching = text or genres or tags or any(v != (None, None) for v in ranges.values())
        accept = None
        if searching:

            def accept(t: int) -> bool:
                return w.track_matches(
                    t,
                    q=text,
                    genres=genres,
                    tags=tags,
                    bpm=ranges["bpm"],
                    duration=ranges["duration"],
                    created=ranges["created_at"],
                )

        extra = None
        if flt in ("streamable", "downloadable"):
            prop = flt

            def extra(t: int) -> bool:
                return bool(w.track_dict(t)[prop])

        elif flt != "private":

            def extra(t: int) -> bool:
                return w.track_meta(t).public  # search lists public tracks only

        return self.page_response(
            request,
            w.all_tracks(),
            self.tracks_renderer(viewer, favorites=True),
            array_ok=True,
            accept=accept,
            scan_budget=_SEARCH_SCAN if accept is not None else None,
            batch=self.tracks_batch(viewer, access, favorites=True, extra=extra),
        )

    async def search_users(self, request: web.Request) -> web.Response:
        self.viewer(request)
        w = self.world
        ids = self.ids_param(request, "users")
        if ids is not None:
            found = [w.user_index(i) for i in ids]
            items = [w.user_bytes(u) for u in found if u is not None]
            return _bytes_response(
                b"".join([b'{"collection":[', *_join_items(items), b'],"next_href":null}'])
            )
        text = request.query.get("q") or None
        accept = None if text is None else (lambda u: w.user_matches(u, text))
        return self.page_response(
            request,
            w.all_users(),
            w.user_bytes,
            accept=accept,
            scan_budget=_SEARCH_SCAN if accept else None,
        )

    async def search_playlists(self, request: web.Request) -> web.Response:
        viewer = self.viewer(request)
        w = self.world
        ids = self.ids_param(request, "playlists")
        render = self.playlists_renderer(viewer, request)
        if ids is not None:
            found = [w.playlist_index(i) for i in ids]
            items = [render(p) for p in found if p is not None and w.playlist_visible(p, viewer)]
            return self.plain_list(request, items)
        text = request.query.get("q") or None
        _access(request.query, _ACCESS_DEFAULT)
        return self.page_response(
            request,
            w.all_playlists(),
            render,
            keep=lambda p: w.playlist_matches(p, None),
            array_ok=True,
            accept=None if text is None else (lambda p: w.playlist_matches(p, text)),
            scan_budget=_SEARCH_SCAN if text else None,
        )

    def ids_param(self, request: web.Request, kind: str) -> list[int] | None:
        q = request.query
        raw = q.get("urns") or q.get("ids")
        if raw is None:
            return None
        values = [v.strip() for v in raw.split(",") if v.strip()]
        if len(values) > MAX_LIMIT:
            _fail(400, f"at most {MAX_LIMIT} urns")
        return [_ident(v, kind) for v in values]

    def plain_list(self, request: web.Request, items: list[Any]) -> web.Response:
        if _flag(request.query.get("linked_partitioning"), default=False):
            body = [b'{"collection":[', *_join_items(items), b'],"next_href":null}']
        else:
            body = [b"[", *_join_items(items), b"]"]
        return _bytes_response(b"".join(body))

    # --------------------------------------------------------------------- tracks

    async def get_track(self, request: web.Request) -> web.Response:
        viewer = self.viewer(request)
        t = self.track_param(request, viewer)
        fav = viewer is not None and self.world.likes_track(viewer, t)
        return _bytes_response(self.world.track_bytes(t, fav))

    async def upload_track(self, request: web.Request) -> web.Response:
        u = self.me(request)
        fields: dict[str, Any] = {}
        asset = 0
        has_asset = False
        ctype = request.content_type
        if ctype.startswith("multipart/form-data"):
            with _malformed_body_is_400():
                reader = await request.multipart()
                while (part := await reader.next()) is not None:
                    if not isinstance(part, BodyPartReader):
                        continue
                    name = _field_name(part.name or "", "track")
                    if name in ("asset_data", "artwork_data"):
                        # Streamed: a 500 MB upload is counted, never held in memory.
                        size = 0
                        while chunk := await part.read_chunk(1 << 16):
                            size += len(chunk)
                        if name == "asset_data":
                            asset, has_asset = size, True
                    else:
                        fields[name] = await part.text()
        else:
            form = await _post(request)
            for k, v in form.items():
                name = _field_name(k, "track")
                if name == "asset_data":
                    data = v.file.read() if isinstance(v, web.FileField) else str(v).encode()
                    asset, has_asset = len(data), True
                elif isinstance(v, str):
                    fields[name] = v
        for k in ("title", "asset_data"):
            if k in request.query and k not in fields:
                if k == "asset_data":
                    has_asset = True
                    asset = len(request.query[k])
                else:
                    fields[k] = request.query[k]
        if not fields.get("title"):
            _fail(422, "track[title] is required")
        if not has_asset:
            _fail(422, "track[asset_data] is required")
        self.validate_track_fields(fields, 422)
        t = self.world.create_track(u, _coerce_track(fields), asset_bytes=asset)
        resp = _bytes_response(self.world.track_bytes(t), status=201)
        resp.headers["Location"] = f"{request.url.origin()}/tracks/{self.world.track_urn(t)}"
        return resp

    def validate_track_fields(self, fields: dict[str, Any], status: int) -> None:
        for name, allowed in (
            ("sharing", _SHARING),
            ("license", _LICENSES),
            ("embeddable_by", _EMBEDDABLE),
        ):
            v = fields.get(name)
            if v is not None and v not in allowed:
                _fail(status, f"track[{name}] must be one of {', '.join(sorted(allowed))}")
        if "title" in fields and not str(fields["title"] or "").strip():
            _fail(status, "track[title] must not be blank")

    async def update_track(self, request: web.Request) -> web.Response:
        u = self.me(request)
        t = self.own_track(request, u)
        fields = await _read_resource(request, "track")
        self.validate_track_fields(fields, 400)
        self.world.update_track(t, _coerce_track(fields))
        return _bytes_response(self.world.track_bytes(t))

    async def delete_track(self, request: web.Request) -> web.Response:
        u = self.me(request)
        t = self.own_track(request, u)
        self.world.delete_track(t)
        return _status("200 - OK")

    async def put_storefront(self, request: web.Request) -> web.Response:
        u = self.me(request)
        t = self.track_param(request, u)
        w = self.world
        if w.track_meta(t).owner != u:
            _fail(403, "403 - Forbidden: only the track's owner may set its storefront")
        if not w.can_have_storefront(u):
            _fail(403, "403 - Forbidden: a creator subscription is needed for a storefront")
        body = await _json_body(request)
        for name, limit in (("title", 100), ("type", 40), ("link", 255)):
            v = body.get(name)
            if not isinstance(v, str) or not v:
                _fail(400, f"{name} is required")
            if len(v) > limit:
                _fail(400, f"{name} is longer than {limit} characters")
        for name, limit in (("link_title", 50), ("description", 500), ("price", 20)):
            v = body.get(name)
            if v is not None and (not isinstance(v, str) or len(v) > limit):
                _fail(400, f"{name} must be a string of at most {limit} characters")
        if body["type"] not in STOREFRONT_TYPES:
            _fail(400, "type must be one of " + ", ".join(sorted(STOREFRONT_TYPES)))
        if not re.match(r"https?://", body["link"]):
            _fail(400, "link must be an http(s) URL")
        return json_response(w.set_storefront(t, body))

    async def track_preview(self, request: web.Request) -> web.Response:
        viewer = self.viewer(request)
        t = self.track_param(request, viewer)
        if self.world.track_meta(t).access == 2:
            _fail(404, "404 - Not Found: no preview for this track")
        loc = self.media_url(request, t, "preview_mp3_128")
        return json_response(
            {"status": "302 - Found", "location": loc}, status=302, headers={"Location": loc}
        )

    async def track_streams(self, request: web.Request) -> web.Response:
        viewer = self.viewer(request)
        t = self.track_param(request, viewer)
        access = self.world.track_meta(t).access
        if access == 2:
            _fail(404, "404 - Not Found: this track cannot be streamed")
        out = {"preview_mp3_128_url": self.media_url(request, t, "preview_mp3_128")}
        if access == 0:
            out = {
                "hls_aac_160_url": self.media_url(request, t, "hls_aac_160"),
                "hls_aac_96_url": self.media_url(request, t, "hls_aac_96"),
                "hls_mp3_128_url": self.media_url(request, t, "hls_mp3_128"),
                "http_mp3_128_url": self.media_url(request, t, "http_mp3_128"),
                **out,
            }
        if viewer is not None:
            self.world.play(viewer, t)
        return json_response(out)

    def media_url(self, request: web.Request, t: int, variant: str) -> str:
        name = {
            "hls_aac_160": "playlist.m3u8",
            "hls_aac_96": "playlist.m3u8",
            "hls_mp3_128": "playlist.m3u8",
            "http_mp3_128": "stream.mp3",
            "preview_mp3_128": "preview.mp3",
        }[variant]
        return f"{request.url.origin()}/media/{self.world.track_id(t)}/{variant}/{name}"

    async def track_comments(self, request: web.Request) -> web.Response:
        viewer = self.viewer(request)
        t = self.track_param(request, viewer)
        w = self.world
        return self.page_response(
            request,
            w.comments(t),
            lambda k: orjson.dumps(w.comment_dict(k)),
            size_param="page_size",
        )

    async def post_comment(self, request: web.Request) -> web.Response:
        u = self.me(request)
        t = self.track_param(request, u)
        body = await _read_resource(request, "comment")
        text = body.get("body")
        if not isinstance(text, str) or not text.strip():
            _fail(422, "comment[body] is required")
        if len(text) > 2000:
            _fail(422, "comment[body] is too long")
        ts_raw = body.get("timestamp")
        ts: int | None = None
        if ts_raw is not None and ts_raw != "":
            try:
                ts = int(float(ts_raw))
            except (TypeError, ValueError):
                _fail(422, "comment[timestamp] must be a number of milliseconds")
            if ts < 0:
                _fail(422, "comment[timestamp] must not be negative")
        if not self.world.track_dict(t)["commentable"]:
            _fail(422, "comments are disabled on this track")
        return json_response(self.world.add_comment(t, u, text, ts), status=201)

    async def track_favoriters(self, request: web.Request) -> web.Response:
        t = self.track_param(request, self.viewer(request))
        return self.users_page(request, self.world.favoriters(t))

    async def track_reposters(self, request: web.Request) -> web.Response:
        t = self.track_param(request, self.viewer(request))
        return self.users_page(request, self.world.track_reposters(t), size_param="page_size")

    async def track_related(self, request: web.Request) -> web.Response:
        viewer = self.viewer(request)
        t = self.track_param(request, viewer)
        return self.tracks_page(request, self.world.related_tracks(t), viewer, newest_first=False)

    # --------------------------------------------------------------------- playlists

    async def get_playlist(self, request: web.Request) -> web.Response:
        viewer = self.viewer(request)
        p = self.playlist_param(request, viewer)
        show = _flag(request.query.get("show_tracks"), default=True)
        _access(request.query, _ACCESS_DEFAULT)
        return _bytes_response(b"".join(self.world.playlist_parts(p, viewer, show_tracks=show)))

    async def playlist_tracks(self, request: web.Request) -> web.Response:
        viewer = self.viewer(request)
        p = self.playlist_param(request, viewer)
        tracks = self.world.playlist_track_list(p)
        coll = Collection(len(tracks), tracks.__getitem__, len(tracks))
        return self.tracks_page(request, coll, viewer, newest_first=False)

    async def playlist_reposters(self, request: web.Request) -> web.Response:
        p = self.playlist_param(request, self.viewer(request))
        return self.users_page(request, self.world.playlist_reposters(p))

    async def create_playlist(self, request: web.Request) -> web.Response:
        u = self.me(request)
        fields = await _read_resource(request, "playlist")
        tracks = self.playlist_track_refs(fields, u)
        if not str(fields.get("title") or "").strip():
            _fail(422, "playlist[title] is required")
        self.validate_playlist(fields)
        p = self.world.create_playlist(u, fields, tracks or [])
        resp = _bytes_response(b"".join(self.world.playlist_parts(p, u)), status=201)
        resp.headers["Location"] = f"{request.url.origin()}/playlists/{self.world.playlist_urn(p)}"
        return resp

    async def update_playlist(self, request: web.Request) -> web.Response:
        u = self.me(request)
        p = self.own_playlist(request, u)
        fields = await _read_resource(request, "playlist")
        tracks = self.playlist_track_refs(fields, u)
        self.validate_playlist(fields)
        self.world.update_playlist(p, fields, tracks)
        return _bytes_response(b"".join(self.world.playlist_parts(p, u)))

    async def delete_playlist(self, request: web.Request) -> web.Response:
        u = self.me(request)
        p = self.own_playlist(request, u)
        self.world.delete_playlist(p)
        return _status("200 - OK")

    def validate_playlist(self, fields: dict[str, Any]) -> None:
        sharing = fields.get("sharing")
        if sharing is not None and sharing not in _SHARING:
            _fail(422, "playlist[sharing] must be public or private")
        st = fields.get("set_type")
        if st is not None and st not in ("album", "playlist", ""):
            _fail(422, "playlist[set_type] must be album or playlist")

    def playlist_track_refs(self, fields: dict[str, Any], viewer: int) -> list[int] | None:
        raw = fields.pop("tracks", None)
        if raw is None:
            return None
        refs: list[str] = []
        if isinstance(raw, list):
            for item in raw:
                if isinstance(item, dict):
                    ref = item.get("urn") if item.get("urn") is not None else item.get("id")
                    refs.append(str(ref))
                else:
                    refs.extend(str(item).split(","))
        else:
            refs.extend(str(raw).split(","))
        out: list[int] = []
        for ref in (r.strip() for r in refs):
            if not ref:
                continue
            t = self.world.track_index(_ident(ref, "tracks"))
            if t is None or not self.world.track_visible(t, viewer):
                _fail(404, f"404 - Not Found: track {ref}")
            out.append(t)
        return out

    # --------------------------------------------------------------------- users

    async def get_user(self, request: web.Request) -> web.Response:
        self.viewer(request)
        return _bytes_response(self.world.user_bytes(self.user_param(request)))

    async def user_related(self, request: web.Request) -> web.Response:
        self.viewer(request)
        u = self.user_param(request)
        return self.users_page(request, self.world.related_users(u))

    async def user_favorites(self, request: web.Request) -> web.Response:
        viewer = self.viewer(request)
        u = self.user_param(request)
        return self.tracks_page(request, self.world.liked_tracks(u), viewer)

    async def user_followers(self, request: web.Request) -> web.Response:
        self.viewer(request)
        u = self.user_param(request)
        return self.users_page(request, self.world.followers(u), size_param="page_size")

    async def user_followings(self, request: web.Request) -> web.Response:
        self.viewer(request)
        u = self.user_param(request)
        return self.users_page(request, self.world.followings(u), size_param="page_size")

    async def user_following(self, request: web.Request) -> web.Response:
        self.viewer(request)
        u = self.user_param(request)
        v = self.user_param(request, "following_urn")
        if not self.world.is_following(u, v):
            _fail(404, "404 - Not Found")
        return _bytes_response(self.world.user_bytes(v))

    async def user_playlists(self, request: web.Request) -> web.Response:
        viewer = self.viewer(request)
        u = self.user_param(request)
        _access(request.query, _ACCESS_DEFAULT)
        return self.playlists_page(request, self.world.user_playlists(u), viewer)

    async def user_tracks(self, request: web.Request) -> web.Response:
        viewer = self.viewer(request)
        u = self.user_param(request)
        return self.tracks_page(
            request, self.world.user_tracks(u), viewer, newest_first=_sort_desc(request)
        )

    async def user_web_profiles(self, request: web.Request) -> web.Response:
        self.viewer(request)
        u = self.user_param(request)
        limit = min(_int_param(request.query, "limit") or DEFAULT_LIMIT, MAX_LIMIT)
        return json_response(self.world.web_profiles(u)[:limit])

    async def user_likes_tracks(self, request: web.Request) -> web.Response:
        viewer = self.viewer(request)
        u = self.user_param(request)
        return self.tracks_page(request, self.world.liked_tracks(u), viewer)

    async def user_likes_playlists(self, request: web.Request) -> web.Response:
        viewer = self.viewer(request)
        u = self.user_param(request)
        return self.playlists_page(request, self.world.liked_playlists(u), viewer)

    async def user_reposts_tracks(self, request: web.Request) -> web.Response:
        viewer = self.viewer(request)
        u = self.user_param(request)
        return self.tracks_page(request, self.world.reposted_tracks(u), viewer)

    async def user_reposts_playlists(self, request: web.Request) -> web.Response:
        viewer = self.viewer(request)
        u = self.user_param(request)
        return self.playlists_page(request, self.world.reposted_playlists(u), viewer)

    # --------------------------------------------------------------------- likes, reposts

    async def like_track(self, request: web.Request) -> web.Response:
        u = self.me(request)
        t = self.track_param(request, u)
        self.world.like_track(u, t)
        return _status("200 - OK")

    async def unlike_track(self, request: web.Request) -> web.Response:
        u = self.me(request)
        t = self.track_param(request, u)
        if not self.world.unlike_track(u, t):
            _fail(404, "404 - Not Found: the track is not liked")
        return _status("200 - OK")

    async def like_playlist(self, request: web.Request) -> web.Response:
        u = self.me(request)
        p = self.playlist_param(request, u)
        self.world.like_playlist(u, p)
        return _status("200 - OK")

    async def unlike_playlist(self, request: web.Request) -> web.Response:
        u = self.me(request)
        p = self.playlist_param(request, u)
        if not self.world.unlike_playlist(u, p):
            _fail(404, "404 - Not Found: the playlist is not liked")
        return _status("200 - OK")

    async def repost_track(self, request: web.Request) -> web.Response:
        u = self.me(request)
        t = self.track_param(request, u)
        self.world.repost_track(u, t)
        return _status("201 - Created", 201)

    async def unrepost_track(self, request: web.Request) -> web.Response:
        u = self.me(request)
        t = self.track_param(request, u)
        if not self.world.unrepost_track(u, t):
            _fail(404, "404 - Not Found: the track is not reposted")
        return _status("200 - OK")

    async def repost_playlist(self, request: web.Request) -> web.Response:
        u = self.me(request)
        p = self.playlist_param(request, u)
        self.world.repost_playlist(u, p)
        return _status("201 - Created", 201)

    async def unrepost_playlist(self, request: web.Request) -> web.Response:
        u = self.me(request)
        p = self.playlist_param(request, u)
        if not self.world.unrepost_playlist(u, p):
            _fail(404, "404 - Not Found: the playlist is not reposted")
        return _status("200 - OK")

    # --------------------------------------------------------------------- resolve

    async def resolve(self, request: web.Request) -> web.Response:
        viewer = self.viewer(request)
        url = request.query.get("url")
        if not url:
            _fail(400, "url is required")
        path = self.resolve_path(url.strip(), viewer)
        if path is None:
            _fail(404, "404 - Not Found")
        loc = f"{request.url.origin()}{path}"
        return json_response(
            {"status": "302 - Found", "location": loc}, status=302, headers={"Location": loc}
        )

    def resolve_path(self, url: str, viewer: int | None) -> str | None:
        w = self.world
        if "://" not in url:
            url = "https://" + url
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        segs = [s for s in parts.path.split("/") if s]
        if host == "api.soundcloud.com":
            if len(segs) != 2 or segs[0] not in ("users", "tracks", "playlists"):
                return None
            kind = segs[0]
            try:
                ident = parse_urn(segs[1], kind)
            except InvalidUrn:
                return None
            if kind == "users":
                idx = w.user_index(ident)
                ok = idx is not None
            elif kind == "tracks":
                idx = w.track_index(ident)
                ok = idx is not None and w.track_visible(idx, viewer)
            else:
                idx = w.playlist_index(ident)
                ok = idx is not None and w.playlist_visible(idx, viewer)
            if not ok:
                return None
            return f"/{kind}/{segs[1]}"
        if host not in _SOUNDCLOUD_HOSTS:
            return None
        if host == "on.soundcloud.com":
            t = w.track_by_short_code(segs[0]) if len(segs) == 1 else None
            if t is None or not w.track_visible(t, viewer):
                return None
            return f"/tracks/{w.track_urn(t)}"
        if not segs:
            return None
        u = w.user_by_permalink(segs[0])
        if u is None:
            return None
        if len(segs) == 1:
            return f"/users/{w.user_urn(u)}"
        if segs[1] == "sets" and len(segs) in (3, 4):
            token = segs[3] if len(segs) == 4 and segs[3].startswith("s-") else None
            if len(segs) == 4 and token is None:
                return None
            for p in w.user_playlists(u).live_keys():
                if w.playlist_permalink(p) == segs[2] and w.playlist_visible(p, viewer, token):
                    return f"/playlists/{w.playlist_urn(p)}" + (
                        f"?secret_token={token}" if token else ""
                    )
            return None
        if len(segs) in (2, 3) and segs[1] not in ("sets", "tracks", "likes", "reposts"):
            token = segs[2] if len(segs) == 3 and segs[2].startswith("s-") else None
            if len(segs) == 3 and token is None:
                return None
            for t in w.user_tracks(u).live_keys(newest_first=True):
                if w.track_permalink(t) == segs[1] and w.track_visible(t, viewer, token):
                    return f"/tracks/{w.track_urn(t)}" + (f"?secret_token={token}" if token else "")
            return None
        if len(segs) == 2 and segs[1] in ("tracks", "sets", "likes", "reposts"):
            return f"/users/{w.user_urn(u)}/{'playlists' if segs[1] == 'sets' else segs[1]}"
        return None

    # --------------------------------------------------------------------- legacy

    async def legacy_tracks(self, request: web.Request) -> web.Response:
        _format(request)
        return await self.search_tracks(request)

    async def legacy_upload(self, request: web.Request) -> web.Response:
        _format(request)
        return await self.upload_track(request)

    async def legacy_track(self, request: web.Request) -> web.Response:
        _format(request)
        method = request.method
        if method == "GET":
            return await self.get_track(request)
        if method == "PUT":
            return await self.update_track(request)
        return await self.delete_track(request)

    async def legacy_comments(self, request: web.Request) -> web.Response:
        _format(request)
        if request.method == "POST":
            return await self.post_comment(request)
        viewer = self.viewer(request)
        t = self.track_param(request, viewer)
        w = self.world
        return self.page_response(
            request,
            w.comments(t),
            lambda k: orjson.dumps(w.comment_dict(k)),
            array_ok=True,
            size_param="page_size",
        )

    async def legacy_permissions(self, request: web.Request) -> web.Response:
        _format(request)
        u = self.me(request)
        t = self.own_track(request, u)
        w = self.world
        if request.method == "PUT":
            users: list[int] = []
            for ref in await _permission_refs(request):
                v = w.user_index(_ident(ref, "users"))
                if v is None:
                    _fail(404, f"404 - Not Found: user {ref}")
                users.append(v)
            w.set_permissions(t, users)
        items = [w.user_bytes(v) for v in w.permissions(t)]
        return _bytes_response(b"".join([b"[", *_join_items(items), b"]"]))

    async def legacy_secret_token(self, request: web.Request) -> web.Response:
        _format(request)
        u = self.me(request)
        t = self.own_track(request, u)
        w = self.world
        token = w.reset_secret_token(t) if request.method == "PUT" else w.secret_token(t)
        urn = w.track_urn(t)
        return json_response(
            {
                "kind": "secret-token",
                "token": token,
                "uri": f"{API_HOST_URL}/tracks/{urn}/secret-token",
                "resource_uri": f"{API_HOST_URL}/tracks/{urn}",
            }
        )

    async def legacy_me_favorite(self, request: web.Request) -> web.Response:
        _format(request)
        u = self.me(request)
        return self.favorite(request, u)

    async def legacy_user_favorite(self, request: web.Request) -> web.Response:
        _format(request)
        u = self.me(request)
        if self.user_param(request, "user_id") != u:
            _fail(403, "403 - Forbidden: only your own favorites can be changed")
        return self.favorite(request, u)

    def favorite(self, request: web.Request, u: int) -> web.Response:
        t = self.track_param(request, u, "track_id")
        if request.method == "PUT":
            created = self.world.like_track(u, t)
            return _status("201 - Created", 201) if created else _status("200 - OK")
        if not self.world.unlike_track(u, t):
            _fail(404, "404 - Not Found: the track is not a favorite")
        return _status("200 - OK")

    async def legacy_user_tracks(self, request: web.Request) -> web.Response:
        _format(request)
        viewer = self.viewer(request)
        u = self.user_param(request, "user_id")
        return self.tracks_page(
            request, self.world.user_tracks(u), viewer, access_default=_ACCESS_ALL
        )

    async def legacy_me_tracks(self, request: web.Request) -> web.Response:
        _format(request)
        u = self.me(request)
        return self.tracks_page(request, self.world.user_tracks(u), u, access_default=_ACCESS_ALL)

    async def legacy_group_tracks(self, request: web.Request) -> web.Response:
        _format(request)
        viewer = self.viewer(request)
        raw = request.match_info["group_id"]
        if not raw.isdigit():
            _fail(400, f"invalid group id: {raw!r}")
        g = int(raw) - self.world.group_id(0)
        if not 0 <= g < self.world.n_groups:
            _fail(404, "404 - Not Found")
        return self.tracks_page(
            request, self.world.group_tracks(g), viewer, access_default=_ACCESS_ALL
        )


# ------------------------------------------------------------------------------- helpers


def _sort_desc(request: web.Request) -> bool:
    q = request.query
    value = q.get("sort") or q.get("direction") or q.get("order") or "desc"
    if value in ("desc", "created_at", "hotness"):
        return True
    if value == "asc":
        return False
    _fail(400, "sort must be asc or desc")


def _csv_set(value: str | None) -> frozenset[str] | None:
    if not value:
        return None
    return frozenset(v.strip().lower() for v in value.split(",") if v.strip())


def _ranges(q: MultiMapping[str]) -> dict[str, tuple[Any, Any]]:
    out: dict[str, list[Any]] = {
        "bpm": [None, None],
        "duration": [None, None],
        "created_at": [None, None],
    }
    for key, value in q.items():
        m = _LEGACY_RANGE.fullmatch(key)
        if m is None or value == "":
            continue
        name, side = m.group(1), m.group(2) or m.group(3)
        i = 0 if side == "from" else 1
        if name == "created_at":
            out[name][i] = _parse_when(value)
        else:
            try:
                out[name][i] = float(value) if name == "bpm" else int(value)
            except ValueError:
                _fail(400, f"{key} must be a number")
    return {k: (v[0], v[1]) for k, v in out.items()}


def _parse_when(value: str) -> int:
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d", "%Y/%m/%d %H:%M:%S +0000", "%Y-%m-%dT%H:%M:%SZ"):
        try:
            return calendar.timegm(time.strptime(value, fmt))
        except ValueError:
            continue
    _fail(400, f"invalid date: {value!r} (use yyyy-mm-dd hh:mm:ss)")


def _field_name(key: str, resource: str) -> str:
    """``track[title]`` -> ``title``; ``playlist[tracks][][urn]`` -> ``tracks``."""
    prefix = resource + "["
    if key.startswith(prefix):
        inner = key[len(prefix) :]
        return inner.split("]", 1)[0]
    return key


async def _json_body(request: web.Request) -> dict[str, Any]:
    data = await _json_any(request)
    if not isinstance(data, dict):
        _fail(400, "the body must be a JSON object")
    return data


async def _permission_refs(request: web.Request) -> list[str]:
    """User refs of a legacy permissions PUT.

    JSON ``{"permissions": [{"user_urn"|"user_id": …}, …]}`` (or a bare list), or form
    fields ``permissions[][user_id]`` / ``permissions[][user_urn]`` repeated.
    """
    keys = ("user_urn", "urn", "user_id", "id")
    if request.content_type == "application/json":
        data: Any = await _json_any(request)
        entries = data.get("permissions") if isinstance(data, dict) else data
        if not isinstance(entries, list):
            _fail(422, "permissions must be a list")
        refs = []
        for e in entries:
            ref = e if not isinstance(e, dict) else next((e[k] for k in keys if k in e), None)
            if ref is None:
                _fail(422, "each permission needs a user_urn or user_id")
            refs.append(str(ref))
        return refs
    form = await _post(request)
    return [str(v) for k, v in form.items() if k.startswith("permissions[]")]


@contextlib.contextmanager
def _malformed_body_is_400() -> Iterator[None]:
    """Answer 400, as SoundCloud does, when aiohttp cannot parse the request body."""
    try:
        yield
    except MALFORMED_BODY_ERRORS as exc:
        _fail(400, f"the request body is malformed ({type(exc).__name__})")


async def _post(request: web.Request) -> MultiDictProxy[Any]:
    """``request.post()``, with a malformed form or multipart body answered 400."""
    with _malformed_body_is_400():
        return await request.post()


async def _json_any(request: web.Request) -> Any:
    try:
        return orjson.loads(await request.read())
    except orjson.JSONDecodeError:
        _fail(400, "the body is not valid JSON")


async def _read_resource(request: web.Request, resource: str) -> dict[str, Any]:
    """The fields of ``{resource: {...}}`` (JSON) or ``resource[field]`` (form)."""
    ctype = request.content_type
    if ctype == "application/json" or ctype.endswith("+json"):
        raw = await request.read()
        if not raw.strip():
            return {}
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError:
            _fail(400, "the body is not valid JSON")
        if isinstance(data, dict) and isinstance(data.get(resource), dict):
            inner: dict[str, Any] = data[resource]
            return dict(inner)
        if isinstance(data, dict):
            return data
        _fail(400, f"expected a JSON object with a {resource!r} key")
    form = await _post(request)
    out: dict[str, Any] = {}
    for key, value in form.items():
        name = _field_name(key, resource)
        if isinstance(value, web.FileField):
            continue
        if name == "tracks":
            out.setdefault("tracks", []).append(value)
        else:
            out[name] = value
    return out


def _coerce_track(fields: dict[str, Any]) -> dict[str, Any]:
    out = dict(fields)
    for name in ("streamable", "downloadable", "commentable", "reveal_stats", "reveal_comments"):
        v = out.get(name)
        if isinstance(v, str):
            out[name] = v.lower() in ("true", "1", "yes")
    return out


def _format(request: web.Request) -> None:
    fmt = request.match_info.get("format", "json")
    if fmt != "json":
        _fail(400, f"format {fmt!r} is not supported: only .json is served")


# ------------------------------------------------------------------------------- routing


def add_api_routes(app: web.Application, world: World, media: FakeMedia | None = None) -> None:
    """Register every API route (official spec and legacy seeds) for ``world`` on ``app``.

    Also sets ``app[WORLD_KEY]`` and ``app[MEDIA_LOG_KEY]``, and registers the media
    routes of ``media`` (default: a :class:`FakeMedia` of ``world`` on the real clock).
    Static paths are added before the dynamic ones that could shadow them
    (``/me/followings/tracks``).
    """
    api = _Api(world)
    app[WORLD_KEY] = world
    app[MEDIA_LOG_KEY] = []
    add_media_routes(app, media if media is not None else FakeMedia(world))
    r = app.router
    urn = "[^/.]+"
    routes: list[tuple[str, str, Handler]] = [
        ("GET", "/me", api.get_me),
        ("GET", "/me/activities", api.me_activities),
        ("GET", "/me/activities/all/own", api.me_activities_own),
        ("GET", "/me/activities/tracks", api.me_activities_tracks),
        ("GET", "/me/feed", api.me_activities),
        ("GET", "/me/feed/tracks", api.me_activities_tracks),
        ("GET", "/me/recently-played/tracks", api.me_recently_played),
        ("GET", "/me/likes/tracks", api.me_likes_tracks),
        ("GET", "/me/likes/playlists", api.me_likes_playlists),
        ("GET", "/me/followings", api.me_followings),
        ("GET", "/me/followings/tracks", api.me_followings_tracks),
        ("GET", f"/me/followings/{{user_urn:{urn}}}", api.me_following),
        ("PUT", f"/me/followings/{{user_urn:{urn}}}", api.me_follow),
        ("DELETE", f"/me/followings/{{user_urn:{urn}}}", api.me_unfollow),
        ("GET", "/me/followers", api.me_followers),
        ("GET", f"/me/followers/{{follower_urn:{urn}}}", api.me_follower),
        ("GET", "/me/playlists", api.me_playlists),
        ("GET", "/me/tracks", api.me_tracks),
        ("GET", "/me/reposts/tracks", api.me_reposts_tracks),
        ("GET", "/me/reposts/playlists", api.me_reposts_playlists),
        ("GET", "/tracks", api.search_tracks),
        ("POST", "/tracks", api.upload_track),
        ("GET", "/playlists", api.search_playlists),
        ("POST", "/playlists", api.create_playlist),
        ("GET", "/users", api.search_users),
        ("GET", f"/playlists/{{playlist_urn:{urn}}}", api.get_playlist),
        ("PUT", f"/playlists/{{playlist_urn:{urn}}}", api.update_playlist),
        ("DELETE", f"/playlists/{{playlist_urn:{urn}}}", api.delete_playlist),
        ("GET", f"/playlists/{{playlist_urn:{urn}}}/tracks", api.playlist_tracks),
        ("GET", f"/playlists/{{playlist_urn:{urn}}}/reposters", api.playlist_reposters),
        ("GET", f"/tracks/{{track_urn:{urn}}}", api.get_track),
        ("PUT", f"/tracks/{{track_urn:{urn}}}", api.update_track),
        ("DELETE", f"/tracks/{{track_urn:{urn}}}", api.delete_track),
        ("PUT", f"/tracks/{{track_urn:{urn}}}/storefront", api.put_storefront),
        ("GET", f"/tracks/{{track_urn:{urn}}}/preview", api.track_preview),
        ("GET", f"/tracks/{{track_urn:{urn}}}/streams", api.track_streams),
        ("GET", f"/tracks/{{track_urn:{urn}}}/comments", api.track_comments),
        ("POST", f"/tracks/{{track_urn:{urn}}}/comments", api.post_comment),
        ("GET", f"/tracks/{{track_urn:{urn}}}/favoriters", api.track_favoriters),
        ("GET", f"/tracks/{{track_urn:{urn}}}/reposters", api.track_reposters),
        ("GET", f"/tracks/{{track_urn:{urn}}}/related", api.track_related),
        ("GET", "/resolve", api.resolve),
        ("GET", f"/users/{{user_urn:{urn}}}", api.get_user),
        ("GET", f"/users/{{user_urn:{urn}}}/related", api.user_related),
        ("GET", f"/users/{{user_urn:{urn}}}/favorites", api.user_favorites),
        ("GET", f"/users/{{user_urn:{urn}}}/followers", api.user_followers),
        ("GET", f"/users/{{user_urn:{urn}}}/followings", api.user_followings),
        (
            "GET",
            f"/users/{{user_urn:{urn}}}/followings/{{following_urn:{urn}}}",
            api.user_following,
        ),
        ("GET", f"/users/{{user_urn:{urn}}}/playlists", api.user_playlists),
        ("GET", f"/users/{{user_urn:{urn}}}/tracks", api.user_tracks),
        ("GET", f"/users/{{user_urn:{urn}}}/web-profiles", api.user_web_profiles),
        ("GET", f"/users/{{user_urn:{urn}}}/likes/tracks", api.user_likes_tracks),
        ("GET", f"/users/{{user_urn:{urn}}}/likes/playlists", api.user_likes_playlists),
        ("GET", f"/users/{{user_urn:{urn}}}/reposts/tracks", api.user_reposts_tracks),
        ("GET", f"/users/{{user_urn:{urn}}}/reposts/playlists", api.user_reposts_playlists),
        ("POST", f"/likes/tracks/{{track_urn:{urn}}}", api.like_track),
        ("DELETE", f"/likes/tracks/{{track_urn:{urn}}}", api.unlike_track),
        ("POST", f"/likes/playlists/{{playlist_urn:{urn}}}", api.like_playlist),
        ("DELETE", f"/likes/playlists/{{playlist_urn:{urn}}}", api.unlike_playlist),
        ("POST", f"/reposts/tracks/{{track_urn:{urn}}}", api.repost_track),
        ("DELETE", f"/reposts/tracks/{{track_urn:{urn}}}", api.unrepost_track),
        ("POST", f"/reposts/playlists/{{playlist_urn:{urn}}}", api.repost_playlist),
        ("DELETE", f"/reposts/playlists/{{playlist_urn:{urn}}}", api.unrepost_playlist),
    ]
    fmt = "{format:[A-Za-z0-9]+}"
    legacy: list[tuple[str, str, Handler]] = [
        ("GET", f"/tracks.{fmt}", api.legacy_tracks),
        ("POST", f"/tracks.{fmt}", api.legacy_upload),
        ("GET", f"/me/tracks.{fmt}", api.legacy_me_tracks),
        ("GET", f"/tracks/{{track_urn:{urn}}}.{fmt}", api.legacy_track),
        ("PUT", f"/tracks/{{track_urn:{urn}}}.{fmt}", api.legacy_track),
        ("DELETE", f"/tracks/{{track_urn:{urn}}}.{fmt}", api.legacy_track),
        ("GET", f"/tracks/{{track_urn:{urn}}}/comments.{fmt}", api.legacy_comments),
        ("POST", f"/tracks/{{track_urn:{urn}}}/comments.{fmt}", api.legacy_comments),
        ("GET", f"/tracks/{{track_urn:{urn}}}/permissions.{fmt}", api.legacy_permissions),
        ("PUT", f"/tracks/{{track_urn:{urn}}}/permissions.{fmt}", api.legacy_permissions),
        ("GET", f"/tracks/{{track_urn:{urn}}}/secret-token.{fmt}", api.legacy_secret_token),
        ("PUT", f"/tracks/{{track_urn:{urn}}}/secret-token.{fmt}", api.legacy_secret_token),
        (
            "PUT",
            f"/users/{{user_id:{urn}}}/favorites/{{track_id:{urn}}}.{fmt}",
            api.legacy_user_favorite,
        ),
        (
            "DELETE",
            f"/users/{{user_id:{urn}}}/favorites/{{track_id:{urn}}}.{fmt}",
            api.legacy_user_favorite,
        ),
        ("PUT", f"/me/favorites/{{track_id:{urn}}}.{fmt}", api.legacy_me_favorite),
        ("DELETE", f"/me/favorites/{{track_id:{urn}}}.{fmt}", api.legacy_me_favorite),
        ("GET", f"/users/{{user_id:{urn}}}/tracks.{fmt}", api.legacy_user_tracks),
        ("GET", f"/groups/{{group_id:{urn}}}/tracks.{fmt}", api.legacy_group_tracks),
    ]
    for method, path, handler in legacy + routes:
        r.add_route(method, path, handler)
