"""The fake SoundCloud's world: users, tracks, playlists and their graph, in memory.

Everything is derived from a seed, lazily: an entity is an integer index, and its
fields are computed from a hash of ``(seed, field, index)`` when first asked for, then
serialised once to orjson bytes and cached. Relations that would cost a loop over every
edge at start-up (followings/followers, likes/favoriters, reposts/reposters) are built
from *layers of shifts*: user ``u`` follows ``(u + offset[k]) % n_users`` for every layer
``k < degree(u)``, with distinct non-zero offsets (no self-follow, no duplicates) and a
non-increasing degree sequence, so that

* ``u``'s followings are ``degree(u)`` values computed on demand,
* ``v``'s followers are ``{w = v - offset[k] : w < n_layer[k]}`` (one test per layer),
* every follower count comes from one difference array (``O(users + layers)``).

So even the ``"large"`` world (100k+ tracks, 1M+ follow edges) starts in well under a
second. The layers give every user about the same number of followers; the ``"large"``
and ``"huge"`` worlds add celebrities with power-law follower counts on top
(:class:`_Stars`: a user follows the celebrities whose follower quota its rank under a
fixed bijection falls below, so both directions stay computable page by page).
Mutations (follow, like, upload, delete, ...) are an overlay on top of the generated
base, kept in :class:`Collection` objects.

Collections and cursors: every collection is append-ordered; item ``i`` has sequence
number ``i`` (generated items first, appended ones after; removed ones leave a hole).
A cursor is an opaque token holding a sequence *position*, so a crawl that pages
newest-first (descending sequence) never sees items appended during the crawl, and one
that pages oldest-first sees them at the end: no item is skipped or repeated while a
collection grows. The feed (activities) is ordered by a time key instead, with the same
property. See :func:`encode_cursor`.
"""

from __future__ import annotations

import base64
import bisect
import heapq
import itertools
import math
import random
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final, Literal, TypeVar

import orjson

from soundcloud_async.testing._shared import API_HOST_URL

__all__ = [
    "Collection",
    "Cursor",
    "InvalidCursor",
    "InvalidUrn",
    "Page",
    "World",
    "WorldSize",
    "decode_cursor",
    "encode_cursor",
    "format_date",
    "parse_urn",
]

WorldSize = Literal["tiny", "small", "large", "huge"]

#: The world's "now": generated content is older; mutations tick forward from here.
NOW_EPOCH: Final = 1_748_736_000  # 2025/06/01 00:00:00 +0000
_EARLIEST: Final = 1_230_768_000  # 2009/01/01

_M64: Final = (1 << 64) - 1

USER_ID_BASE: Final = 10_000_000
TRACK_ID_BASE: Final = 100_000_000
PLAYLIST_ID_BASE: Final = 1_000_000
COMMENT_ID_BASE: Final = 2_000_000_000
CREATED_COMMENT_ID_BASE: Final = 3_000_000_000
_USER_STRIDE: Final = 97
_TRACK_STRIDE: Final = 13
_PLAYLIST_STRIDE: Final = 31
_MAX_BASE_COMMENTS: Final = 1000

_SHORT_ALPHABET: Final = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_SHORT_MOD: Final = 62**6
_SHORT_MUL: Final = 1_234_567_891  # coprime with 62**6
_SHORT_INV: Final = pow(_SHORT_MUL, -1, _SHORT_MOD)


_V = TypeVar("_V")


class _Cache(dict[int, _V]):
    """A cache of serialised items holding at most ``cap`` entries.

    A hit is one plain dict lookup (the routes' hot path; an LRU would reorder on every
    hit). :meth:`put` evicts the oldest-inserted eighth when full, so memory stays
    bounded however much of a big world a crawl walks through.
    """

    __slots__ = ("cap",)

    def __init__(self, cap: int) -> None:
        super().__init__()
        self.cap = cap

    def put(self, key: int, value: _V) -> None:
        """Cache ``value`` under ``key``, first evicting the oldest entries when full."""
        if len(self) >= self.cap:
            for old in list(itertools.islice(self, max(1, self.cap // 8))):
                del self[old]
        self[key] = value


def _mix(x: int) -> int:
    """splitmix64 finaliser: a fast, well-spread 64-bit hash of an integer."""
    x = (x + 0x9E3779B97F4A7C15) & _M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _M64
    return x ^ (x >> 31)


class _Rand:
    """A tiny deterministic generator seeded from one hash (cheaper than random.Random)."""

    __slots__ = ("_s",)

    def __init__(self, state: int) -> None:
        self._s = state

    def next(self) -> int:
        # A 64-bit LCG, high bits only: plenty for fake data and ~4x cheaper than a mix.
        self._s = (self._s * 6364136223846793005 + 1442695040888963407) & _M64
        return self._s >> 11

    def below(self, n: int) -> int:
        return self.next() % n

    def chance(self, p: float) -> bool:
        return self.next() < p * 9007199254740992.0

    def pick(self, seq: Sequence[str]) -> str:
        return seq[self.next() % len(seq)]

    def unit(self) -> float:
        return self.next() / 9007199254740992.0


def format_date(epoch: int) -> str:
    """SoundCloud's date format: ``yyyy/MM/dd HH:mm:ss +0000``."""
    return time.strftime("%Y/%m/%d %H:%M:%S +0000", time.gmtime(epoch))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


# ---------------------------------------------------------------------------------------
# URNs and cursors


class InvalidUrn(ValueError):
    """A path or query identifier that is neither a URN of the right kind nor a number."""


_URN_RE: Final = re.compile(r"soundcloud:(users|tracks|playlists|comments):(\d{1,19})")


def parse_urn(value: str, kind: str) -> int:
    """The numeric id in ``soundcloud:<kind>:<id>`` or a bare (deprecated) numeric id.

    Raises:
        InvalidUrn: malformed, or a URN of another kind.
    """
    if value.isdigit() and len(value) <= 19:
        return int(value)
    m = _URN_RE.fullmatch(value)
    if m is None or m.group(1) != kind:
        raise InvalidUrn(value)
    return int(m.group(2))


class InvalidCursor(ValueError):
    """A cursor that this fake did not issue."""


@dataclass(frozen=True, slots=True)
class Cursor:
    """A decoded cursor: page from ``position`` (exclusive when newest-first).

    ``floor`` bounds a newest-first walk from below (used by ``future_href`` pages):
    only items with a sequence/time key above it are returned.
    """

    position: int
    floor: int = -1
    #: Only changes the spelling of the token (two tokens for the same position).
    variant: int = 0


def encode_cursor(cursor: Cursor) -> str:
    """An opaque, URL-safe token for a cursor."""
    raw = b"sc1|%d|%d" % (cursor.position, cursor.floor)
    if cursor.variant:
        raw += b"|%d" % cursor.variant
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(token: str) -> Cursor:
    """The cursor in a token from :func:`encode_cursor`.

    Raises:
        InvalidCursor: not one of ours.
    """
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        tag, pos, floor, *variant = raw.split(b"|")
        if tag != b"sc1" or len(variant) > 1:
            raise ValueError(tag)
        return Cursor(int(pos), int(floor), int(variant[0]) if variant else 0)
    except (ValueError, TypeError) as exc:
        raise InvalidCursor(token) from exc


# ---------------------------------------------------------------------------------------
# Collections


@dataclass(slots=True)
class Page:
    """One page of a collection: keys in order, the cursor to the next page, if any."""

    keys: list[int]
    next: Cursor | None
    #: Highest sequence (or time key) seen on this page, for ``future_href``.
    top: int | None


@dataclass(slots=True)
class Collection:
    """An append-ordered collection of integer keys; item ``i`` has sequence ``i``.

    The first ``base_len`` items are generated on demand by ``base`` (which returns
    ``-1`` for a hole, e.g. a layer in which a user has no follower); later items are
    ``extra`` (appended by mutations). ``removed`` holds removed sequence numbers.
    """

    base_len: int
    base: Callable[[int], int]
    base_count: int
    extra: list[int] = field(default_factory=list)
    removed: set[int] = field(default_factory=set)
    extra_index: dict[int, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return self.base_len + len(self.extra)

    def count(self) -> int:
        """How many items the collection holds."""
        return self.base_count + len(self.extra) - len(self.removed)

    def at(self, seq: int) -> int:
        """The key at a sequence number, or -1 when there is none (hole or removed)."""
        if seq in self.removed:
            return -1
        if seq < self.base_len:
            return self.base(seq)
        return self.extra[seq - self.base_len]

    def append(self, key: int) -> int:
        seq = len(self)
        self.extra.append(key)
        self.extra_index[key] = seq
        return seq

    def remove_seq(self, seq: int) -> None:
        self.removed.add(seq)
        if seq >= self.base_len:
            self.extra_index.pop(self.extra[seq - self.base_len], None)

    def find(self, key: int, base_seq: int | None = None) -> int | None:
        """The live sequence number of a key (``base_seq``: where it would be in the base)."""
        seq = self.extra_index.get(key)
        if seq is not None and seq not in self.removed:
            return seq
        if base_seq is not None and 0 <= base_seq < self.base_len and base_seq not in self.removed:
            return base_seq if self.base(base_seq) == key else None
        if base_seq is None:
            for s in range(self.base_len):
                if s not in self.removed and self.base(s) == key:
                    return s
        return None

    def live_keys(self, *, newest_first: bool = False) -> Iterator[int]:
        """Every live key, oldest first (or newest first)."""
        seqs: Iterable[int] = range(len(self) - 1, -1, -1) if newest_first else range(len(self))
        for s in seqs:
            k = self.at(s)
            if k >= 0:
                yield k

    def page(
        self,
        cursor: Cursor | None,
        limit: int,
        *,
        newest_first: bool,
        offset: int = 0,
        accept: Callable[[int], bool] | None = None,
        scan_budget: int | None = None,
    ) -> Page:
        """Up to ``limit`` live keys from the cursor on.

        ``accept`` filters items before paging (search filters): items it rejects are
        not counted; at most ``scan_budget`` positions are examined, after which the
        page ends early (short, possibly empty) with a cursor to go on from there.
        """
        total = len(self)
        keys: list[int] = []
        top: int | None = None
        budget = scan_budget if scan_budget is not None else -1
        if newest_first:
            start = total - 1 if cursor is None else min(cursor.position, total) - 1
            floor = -1 if cursor is None else cursor.floor
            s = start
            while s > floor:
                k = self.at(s)
                if k >= 0 and (accept is None or accept(k)):
                    if offset > 0:
                        offset -= 1
                    elif len(keys) == limit:
                        return Page(keys, Cursor(s + 1, floor), top)
                    else:
                        keys.append(k)
                        if top is None:
                            top = s
                s -= 1
                budget -= 1
                if budget == 0 and s > floor:
                    return Page(keys, Cursor(s + 1, floor), top)
            return Page(keys, None, top)
        s = 0 if cursor is None else max(cursor.position, 0)
        while s < total:
            k = self.at(s)
            if k >= 0 and (accept is None or accept(k)):
                if offset > 0:
                    offset -= 1
                elif len(keys) == limit:
                    return Page(keys, Cursor(s), top)
                else:
                    keys.append(k)
                    top = s
            s += 1
            budget -= 1
            if budget == 0 and s < total:
                return Page(keys, Cursor(s), top)
        return Page(keys, None, top)


# ---------------------------------------------------------------------------------------
# Vocabulary


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_FIRST = _words(
    "Ada Alex Amir Ana Ben Bea Cara Chen Dana Diego Eli Emma Finn Freya Gus Hana Ivan Iris "
    "Jade Jonas Kai Kira Leo Lina Luca Maya Milo Nia Noah Nora Omar Pia Quinn Rosa Sam Sara "
    "Tariq Tess Uma Vera Wren Yara Yusuf Zoe Mateo Ines Olu Priya Kenji Astrid Bo Chiara"
)
_LAST = _words(
    "Adeyemi Berg Costa Dubois Eriksen Fischer Garcia Haddad Ito Jansen Kowalski Larsen "
    "Moreau Novak Okafor Petrov Quist Rossi Silva Tanaka Umar Varga Weber Xu Yilmaz Zhang "
    "Lindqvist Mbeki Navarro Oyelaran Park Reyes Schmidt Takahashi Volkov Walsh"
)
_HANDLE = _words(
    "nova echo lunar drift static velvet neon pulse ember hollow tidal azure cobalt "
    "midnight analog bassline sundown wildflower glass paper orbit prism saturn ghost moth "
    "fox crane raven solar rain kite delta"
)
_HANDLE_PREFIX = ("DJ ", "MC ", "", "", "", "the ", "", "")
_HANDLE_SUFFIX = ("", "", " beats", " music", " sound", " collective", " records", "wave")
_GENRES = (
    "Electronic",
    "Hip-hop & Rap",
    "House",
    "Techno",
    "Ambient",
    "Pop",
    "Rock",
    "Indie",
    "Deep House",
    "Drum & Bass",
    "Dubstep",
    "R&B & Soul",
    "Jazz & Blues",
    "Classical",
    "Folk & Singer-Songwriter",
    "Lo-fi",
    "Trap",
    "Podcast",
    "",
)
_TITLE_A = _words(
    "Midnight Golden Broken Silent Electric Falling Distant Neon Paper Velvet Hollow "
    "Endless Lost Burning Frozen Summer Winter Northern Secret Last First Little Slow Wild"
)
_TITLE_B = _words(
    "City Heart Signal Dreams Ocean Lights Echoes Garden Machine Horizon River Skyline "
    "Memory Fever Season Waves Static Ritual Mirror Frequency Satellite Canyon Letters"
)
_TITLE_SUFFIX = (
    "",
    "",
    "",
    " (Original Mix)",
    " (Extended Mix)",
    " (Demo)",
    " [Free Download]",
    " (Live)",
    " feat. Iris",
    " - Radio Edit",
)
_TAGS = (
    "chill",
    "lofi",
    "summer",
    "study",
    "bass",
    "vocal",
    "remix",
    "ambient",
    "dance",
    "night drive",
    "deep house",
    "hip hop",
    "field recording",
    "late night",
    "beats",
    "synth",
)
_MACHINE_TAGS = (
    "soundcloud:source=iphone-record",
    "soundcloud:source=android-record",
    "soundcloud:source=web-record",
    "geo:lat=52.5200",
    "geo:lon=13.4050",
    "dj:bpm=124",
)
_CITIES = (
    ("Berlin", "Germany"),
    ("London", "United Kingdom"),
    ("Lagos", "Nigeria"),
    ("São Paulo", "Brazil"),
    ("Tokyo", "Japan"),
    ("New York", "United States"),
    ("Los Angeles", "United States"),
    ("Paris", "France"),
    ("Stockholm", "Sweden"),
    ("Melbourne", "Australia"),
    ("Toronto", "Canada"),
    ("Mexico City", "Mexico"),
)
_LICENSES = (
    "all-rights-reserved",
    "all-rights-reserved",
    "all-rights-reserved",
    "cc-by",
    "cc-by-nc",
    "cc-by-sa",
    "cc-by-nc-nd",
    "no-rights-reserved",
)
_KEYS = ("C major", "A minor", "F# minor", "D major", "E minor", "Bb major", "G minor")
_LABELS = ("Night Shift Records", "Tidal Audio", "Paper Moon", "Warp Lite", "Self-released")
_COMMENT_BODIES = (
    "🔥🔥🔥",
    "this drop though",
    "on repeat all week",
    "love the vocals here",
    "need this on vinyl",
    "what synth is this?",
    "banger",
    "so good at 2am",
    "the bassline 😍",
    "Where can I download this?",
    "Perfect for my study playlist",
    "underrated",
)
_WEB_SERVICES = (
    ("instagram", "https://instagram.com/{h}"),
    ("twitter", "https://twitter.com/{h}"),
    ("facebook", "https://facebook.com/{h}"),
    ("youtube", "https://youtube.com/@{h}"),
    ("bandcamp", "https://{h}.bandcamp.com"),
    ("personal", "https://{h}.example.com"),
)
_PLANS = ("Free", "Free", "Free", "Free", "Free", "Artist", "Artist Pro")
_STOREFRONT_PLANS: Final = frozenset({"Artist", "Artist Pro"})
_ACCESS = ("playable", "preview", "blocked")
STOREFRONT_TYPES: Final = frozenset(
    _words(
        "digital vinyl cd cassette apparel sample_pack subscription live_event live_stream other"
    )
)


@dataclass(frozen=True, slots=True)
class _Shape:
    users: int
    tracks_per_user: float
    playlists_per_user: float
    follow_min: int
    follow_max: int
    follow_gamma: float
    like_min: int
    like_max: int
    repost_max: int
    playlist_like_max: int
    comments_max: int
    playlist_len_max: int
    #: Celebrities on top of the near-uniform follow layers (0: none; see :class:`_Stars`).
    stars: int = 0
    #: Followers of the most followed celebrity, as a fraction of all users.
    star_top: float = 0.0
    #: Celebrity ``j`` (from 0) has ``star_top * users * (j + 1) ** -star_exponent``.
    star_exponent: float = 1.0
    #: Entries per cache of serialised items (see :class:`_Cache`).
    cache_cap: int = 200_000


_LARGE: Final = _Shape(50_000, 2.5, 0.4, 20, 1000, 0.6, 5, 400, 12, 6, 25, 20)
_SHAPES: Final[dict[str, _Shape]] = {
    "tiny": _Shape(8, 3.0, 1.0, 1, 5, 1.0, 2, 6, 3, 2, 4, 5),
    "small": _Shape(300, 10.0, 1.5, 3, 150, 0.8, 5, 120, 12, 8, 40, 25),
    # Celebrities: the top one is followed by 80% of the users (40k: 200 pages of 200).
    "large": replace(_LARGE, stars=500, star_top=0.8, star_exponent=0.9),
    # A breadth-first crawl of followings from the default user reaches 1M+ objects by
    # depth 3; the top celebrity's followers are 2000 pages. Nobody follows more than
    # 2000 (layers: at most 1030; celebrities: 900). Small caches bound the RSS.
    "huge": replace(
        _LARGE,
        users=500_000,
        follow_min=30,
        stars=900,
        star_top=0.8,
        star_exponent=0.9,
        cache_cap=10_000,
    ),
}


class _Layers:
    """A relation ``src -> (src + offset[k]) % n_dst`` for ``k < degree[src]``.

    ``degree`` is non-increasing in ``src``, so the sources with ``degree > k`` are
    exactly ``range(active[k])``: the inverse relation and all in-degrees are cheap.
    """

    __slots__ = ("active", "degree", "in_count", "n_dst", "offset", "offset_layer")

    def __init__(self, degree: list[int], n_dst: int, rng: random.Random) -> None:
        self.degree = degree
        self.n_dst = n_dst
        width = max(degree, default=0)
        if width >= n_dst:
            raise ValueError("degree must stay below the number of targets")
        self.offset = rng.sample(range(1, n_dst), width)
        self.offset_layer = {o: k for k, o in enumerate(self.offset)}
        hist = [0] * (width + 1)
        for d in degree:
            hist[d] += 1
        active = [0] * width
        acc = 0
        for k in range(width, 0, -1):
            acc += hist[k]
            active[k - 1] = acc
        self.active = active
        diff = [0] * (n_dst + 1)
        for k in range(width):
            lo, n = self.offset[k], active[k]
            hi = lo + n
            if hi <= n_dst:
                diff[lo] += 1
                diff[hi] -= 1
            else:
                diff[lo] += 1
                diff[n_dst] -= 1
                diff[0] += 1
                diff[hi - n_dst] -= 1
        self.in_count = list(itertools.accumulate(diff[:n_dst]))

    def out(self, src: int) -> Collection:
        n, off = self.n_dst, self.offset
        d = self.degree[src] if src < len(self.degree) else 0
        return Collection(d, lambda k: (src + off[k]) % n, d)

    def into(self, dst: int) -> Collection:
        n, off, active = self.n_dst, self.offset, self.active

        def at(k: int) -> int:
            w = dst - off[k]
            if w < 0:
                w += n
            return w if w < active[k] else -1

        count = self.in_count[dst] if dst < n else 0
        return Collection(len(off) if dst < n else 0, at, count)

    def layer_of(self, src: int, dst: int) -> int | None:
        """The layer holding the base edge ``src -> dst``, if there is one."""
        if src >= len(self.degree) or dst >= self.n_dst:
            return None
        k = self.offset_layer.get((dst - src) % self.n_dst)
        return k if k is not None and k < self.degree[src] else None

    # A base edge sits at its layer's sequence number on both sides.
    out_seq = layer_of
    in_seq = layer_of

    def n_edges(self) -> int:
        """Edges in the relation."""
        return sum(self.degree)


def _power_degrees(n: int, lo: int, hi: int, gamma: float) -> list[int]:
    return [lo + int(hi * (i + 1) ** -gamma) for i in range(n)]


def _capped(degrees: list[int], cap: int) -> list[int]:
    """``[min(d, cap) for d in degrees]``, without the copy when nothing exceeds ``cap``."""
    return degrees if max(degrees, default=0) <= cap else [min(d, cap) for d in degrees]


class _Stars:
    """Follow layers plus a few celebrities with power-law follower counts.

    Celebrity ``j`` (user ``stars[j]``) is followed by the ``sizes[j]`` users of lowest
    *rank*, where ``rank(u) = (a * u + b) % n`` is a fixed bijection of user indices
    and ``sizes`` is non-increasing. So the celebrities a user follows are a prefix
    ``stars[:J(u)]`` with ``J(u) = #{j : sizes[j] > rank(u)}`` (one bisection), and
    celebrity ``j``'s followers are ``unrank(0), unrank(1), ...``: both sides are
    computed on demand, in O(page) time.

    Sequence numbers: ``u``'s followings are its layer edges (``0 .. degree(u) - 1``),
    then celebrity ``j`` at ``degree(u) + j``; a celebrity's followers are its layer
    followers (``0 .. width - 1``, as for any user), then the user of rank ``r`` at
    ``width + r``. An edge that the layers already hold, or a celebrity's edge to
    itself, is a hole on the celebrity side, so no edge appears twice.
    """

    __slots__ = (
        "_a_inv",
        "_b_inv",
        "_dups",
        "_neg_sizes",
        "a",
        "b",
        "base",
        "sizes",
        "star_of",
        "stars",
    )

    def __init__(
        self, base: _Layers, n_stars: int, top: float, exponent: float, rng: random.Random
    ) -> None:
        n = base.n_dst
        self.base = base
        n_stars = min(n_stars, n - 2)
        # Users 0 and 1 (the default test user) stay ordinary.
        self.stars = rng.sample(range(2, n), n_stars)
        self.star_of = {u: j for j, u in enumerate(self.stars)}
        self.sizes = [max(1, min(n, int(top * n * (j + 1) ** -exponent))) for j in range(n_stars)]
        self._neg_sizes = [-f for f in self.sizes]
        # A multiplier near n / golden ratio spreads consecutive users' ranks evenly.
        a = int(n * 0.6180339887) + rng.randrange(n // 100 + 1)
        while math.gcd(a, n) != 1:
            a += 1
        self.a, self.b = a, rng.randrange(n)
        # unrank(r) = (r - b) * a^-1 = r * a^-1 + (-b * a^-1)   (mod n)
        self._a_inv = pow(a, -1, n)
        self._b_inv = (-self.b * self._a_inv) % n
        self._dups: dict[int, int] = {}

    def rank(self, u: int) -> int:
        """``u``'s position in the fixed order that decides who follows celebrities."""
        return (self.a * u + self.b) % self.base.n_dst

    def unrank(self, r: int) -> int:
        """The user of rank ``r`` (the inverse of :meth:`rank`)."""
        return (self._a_inv * r + self._b_inv) % self.base.n_dst

    def stars_followed(self, u: int) -> int:
        """How many celebrities (a prefix of ``stars``) user ``u`` follows, holes included."""
        if u >= self.base.n_dst:
            return 0
        return bisect.bisect_left(self._neg_sizes, -self.rank(u))

    def _star_hole(self, u: int, star: int) -> bool:
        return u == star or self.base.layer_of(u, star) is not None

    def out(self, src: int) -> Collection:
        base = self.base.out(src)
        m = self.stars_followed(src)
        if m == 0:
            return base
        d, layer_at, stars = base.base_len, base.base, self.stars
        hole = self._star_hole

        def at(s: int) -> int:
            if s < d:
                return layer_at(s)
            c = stars[s - d]
            return -1 if hole(src, c) else c

        return Collection(d + m, at, d + m - self._out_holes(src, d, m))

    def _out_holes(self, src: int, d: int, m: int) -> int:
        """Holes among ``src``'s ``m`` celebrity followings: O(min(m, layer degree d))."""
        if m <= d:
            return sum(1 for c in self.stars[:m] if self._star_hole(src, c))
        # Walk src's d layer edges instead: those to one of the first m celebrities.
        n, off, star_of = self.base.n_dst, self.base.offset, self.star_of
        holes = int(star_of.get(src, m) < m)
        for k in range(d):
            if star_of.get((src + off[k]) % n, m) < m:
                holes += 1
        return holes

    def into(self, dst: int) -> Collection:
        base = self.base.into(dst)
        j = self.star_of.get(dst)
        if j is None:
            return base
        width, layer_at, unrank, hole = base.base_len, base.base, self.unrank, self._star_hole
        size = self.sizes[j]

        def at(s: int) -> int:
            if s < width:
                return layer_at(s)
            u = unrank(s - width)
            return -1 if hole(u, dst) else u

        return Collection(width + size, at, base.base_count + size - self._star_dups(j))

    def _star_dups(self, j: int) -> int:
        """Holes among celebrity ``j``'s rank-ordered followers (computed once: O(width))."""
        dups = self._dups.get(j)
        if dups is None:
            star, size = self.stars[j], self.sizes[j]
            layer = self.base.into(star)
            dups = sum(
                1
                for k in range(layer.base_len)
                if (w := layer.base(k)) >= 0 and self.rank(w) < size
            )
            dups += self.rank(star) < size
            self._dups[j] = dups
        return dups

    def _star_edge(self, src: int, dst: int) -> int | None:
        """Celebrity ``j`` when ``src -> dst`` is a celebrity edge not held by the layers."""
        j = self.star_of.get(dst)
        if j is None or src >= self.base.n_dst or self.rank(src) >= self.sizes[j]:
            return None
        return None if self._star_hole(src, dst) else j

    def out_seq(self, src: int, dst: int) -> int | None:
        """The sequence number of the base edge ``src -> dst`` among ``src``'s followings."""
        k = self.base.layer_of(src, dst)
        if k is not None:
            return k
        j = self._star_edge(src, dst)
        return None if j is None else self.base.degree[src] + j

    def in_seq(self, src: int, dst: int) -> int | None:
        """The sequence number of the base edge ``src -> dst`` among ``dst``'s followers."""
        k = self.base.layer_of(src, dst)
        if k is not None:
            return k
        j = self._star_edge(src, dst)
        return None if j is None else len(self.base.offset) + self.rank(src)

    def n_edges(self) -> int:
        """Edges in the relation (counts every celebrity's holes once: O(stars x width))."""
        return self.base.n_edges() + sum(
            self.sizes[j] - self._star_dups(j) for j in range(len(self.stars))
        )


class _Relation:
    """A many-to-many relation (follows, likes, reposts) with its overlay of mutations."""

    def __init__(self, layers: _Layers | _Stars) -> None:
        self.layers = layers
        self.out_over: dict[int, Collection] = {}
        self.in_over: dict[int, Collection] = {}
        #: time key of mutated edges (src, dst) -> epoch, for dates of new edges.
        self.when: dict[tuple[int, int], int] = {}

    def out(self, src: int) -> Collection:
        c = self.out_over.get(src)
        return c if c is not None else self.layers.out(src)

    def into(self, dst: int) -> Collection:
        c = self.in_over.get(dst)
        return c if c is not None else self.layers.into(dst)

    def _out_mut(self, src: int) -> Collection:
        c = self.out_over.get(src)
        if c is None:
            c = self.out_over[src] = self.layers.out(src)
        return c

    def _in_mut(self, dst: int) -> Collection:
        c = self.in_over.get(dst)
        if c is None:
            c = self.in_over[dst] = self.layers.into(dst)
        return c

    def has(self, src: int, dst: int) -> bool:
        return self.out(src).find(dst, self._base_seq(src, dst)) is not None

    def _base_seq(self, src: int, dst: int) -> int:
        k = self.layers.out_seq(src, dst)
        return -1 if k is None else k

    def add(self, src: int, dst: int, when: int) -> bool:
        if self.has(src, dst):
            return False
        self._out_mut(src).append(dst)
        self._in_mut(dst).append(src)
        self.when[src, dst] = when
        return True

    def remove(self, src: int, dst: int) -> bool:
        out = self._out_mut(src)
        seq = out.find(dst, self._base_seq(src, dst))
        if seq is None:
            return False
        out.remove_seq(seq)
        inn = self._in_mut(dst)
        base_in = self.layers.in_seq(src, dst) if seq < out.base_len else None
        in_seq = inn.find(src, -1 if base_in is None else base_in)
        if in_seq is not None:
            inn.remove_seq(in_seq)
        return True


@dataclass(slots=True)
class _Meta:
    """What visibility checks need about a track or playlist, cached per item."""

    owner: int
    private: bool
    access: int
    #: Visible to everyone: not private and not deleted.
    public: bool = True


class World:
    """The fake's in-memory SoundCloud: JSON-ready data, relations and mutations.

    Build one with :meth:`generate`. Public identifiers are URNs; lookups take a URN
    (or a bare numeric id) and return JSON-ready dicts (``None`` when unknown). The
    ``*_bytes`` methods return the cached orjson serialisation the routes send.
    """

    # ------------------------------------------------------------------ construction

    def __init__(self, *, seed: int, size: str) -> None:
        if size not in _SHAPES:
            raise ValueError(f"size must be one of {sorted(_SHAPES)}, not {size!r}")
        shape = _SHAPES[size]
        self.seed = seed
        self.size = size
        self._key = _mix(seed * 0x100000001B3 + 0xC0FFEE)
        rng = random.Random(seed)
        n = shape.users
        self._n_users0 = n
        self._shape = shape
        # user -> [first track, first track of the next user) and same for playlists
        tcap, pcap = int(shape.tracks_per_user * 30), max(4, int(shape.playlists_per_user * 20))
        tcounts = self._counts(1, n, shape.tracks_per_user, tcap)
        pcounts = self._counts(2, n, shape.playlists_per_user, pcap)
        tcounts[1] = max(tcounts[1], 8)
        pcounts[1] = max(pcounts[1], 3)
        self._track_start = [0, *itertools.accumulate(tcounts)]
        self._playlist_start = [0, *itertools.accumulate(pcounts)]
        self._n_tracks0 = self._track_start[-1]
        self._n_playlists0 = self._playlist_start[-1]
        fdeg = _power_degrees(n, shape.follow_min, shape.follow_max, shape.follow_gamma)
        fdeg = _capped(fdeg, n - 1)
        fdeg = sorted(fdeg, reverse=True)
        follow_layers = _Layers(fdeg, n, rng)
        self._follows = _Relation(
            _Stars(
                follow_layers,
                shape.stars,
                shape.star_top,
                shape.star_exponent,
                random.Random(_mix(seed ^ 0x57A25)),
            )
            if shape.stars
            else follow_layers
        )
        nt = max(self._n_tracks0, 2)
        ldeg = _capped(_power_degrees(n, shape.like_min, shape.like_max, 0.7), nt - 1)
        self._likes = _Relation(_Layers(ldeg, nt, rng))
        rdeg = _capped(_power_degrees(n, 0, shape.repost_max, 0.5), nt - 1)
        self._reposts = _Relation(_Layers(rdeg, nt, rng))
        np_ = max(self._n_playlists0, 2)
        pl_deg = _capped(_power_degrees(n, 0, shape.playlist_like_max, 0.5), np_ - 1)
        self._playlist_likes = _Relation(_Layers(pl_deg, np_, rng))
        pr_deg = _capped(_power_degrees(n, 0, shape.playlist_like_max // 2, 0.5), np_ - 1)
        self._playlist_reposts = _Relation(_Layers(pr_deg, np_, rng))

        # Overlays (mutations and user fixtures).
        self._users = Collection(n, _identity, n)
        self._tracks = Collection(self._n_tracks0, _identity, self._n_tracks0)
        self._playlists = Collection(self._n_playlists0, _identity, self._n_playlists0)
        self._user_tracks: dict[int, Collection] = {}
        self._user_playlists: dict[int, Collection] = {}
        self._playlist_tracks: dict[int, list[int]] = {}
        self._comments: dict[int, Collection] = {}
        self._created_comments: dict[int, dict[str, Any]] = {}
        self._user_rec: dict[int, dict[str, Any]] = {}
        self._track_rec: dict[int, dict[str, Any]] = {}
        self._playlist_rec: dict[int, dict[str, Any]] = {}
        self._user_over: dict[int, dict[str, Any]] = {}
        self._track_over: dict[int, dict[str, Any]] = {}
        self._playlist_over: dict[int, dict[str, Any]] = {}
        self._user_by_permalink: dict[str, int] = {}
        self._owner_extra: dict[int, int] = {}
        self._playlist_owner_extra: dict[int, int] = {}
        self._deleted_tracks: set[int] = set()
        self._deleted_playlists: set[int] = set()
        self._secret: dict[int, str] = {}
        self._permissions: dict[int, list[int]] = {}
        self._storefronts: dict[int, dict[str, Any]] = {}
        self._uploads: dict[int, int] = {}
        self._recently_played: dict[int, list[int]] = {}
        self._clock = NOW_EPOCH
        # Caches of serialised items.
        cap = shape.cache_cap
        self._user_cache: _Cache[bytes] = _Cache(cap)
        self._permalinks: _Cache[str] = _Cache(cap)
        self._track_cache: _Cache[bytes] = _Cache(cap)
        self._track_json: _Cache[bytes] = _Cache(cap)
        self._playlist_cache: _Cache[bytes] = _Cache(cap)
        self._track_meta: _Cache[_Meta] = _Cache(cap)
        self._playlist_meta: _Cache[_Meta] = _Cache(cap)
        self._version = 0

        self.default_user_urn = self.user_urn(1)

    @classmethod
    def generate(cls, *, seed: int = 0, size: str = "small") -> World:
        """A deterministic world for ``seed``.

        Sizes (start-up on one core of a 2-core machine):

        * ``"tiny"``: 8 users, a few dozen tracks (unit tests).
        * ``"small"`` (default): 300 users, ~3k tracks; followers near uniform.
        * ``"large"``: 50k users, 170k tracks, 1.5M follow edges (0.2 s). Follower
          counts are heavy-tailed: 500 celebrities, the top one followed by 80% of
          all users (40k: a followers job of 200 pages of 200), the next by 21k, 15k,
          ...; the median user has ~23 followers.
        * ``"huge"``: 500k users, 1.7M tracks, 400k playlists (~1.5 s, ~130 MB).
          900 celebrities, the top one followed by 400k users (2000 pages). A
          breadth-first crawl of followings from :attr:`default_user_urn` reaches
          1.3M users, tracks and playlists by depth 3 (:meth:`follow_reach`). Its
          caches of serialised items hold 10k entries each, so a server's memory stays
          bounded however much of it is crawled.

        :meth:`most_followed` lists the celebrities with their follower counts.

        Args:
            seed: the same seed always gives the same world.
            size: ``"tiny"``, ``"small"``, ``"large"`` or ``"huge"``.

        Raises:
            ValueError: an unknown size.
        """
        return cls(seed=seed, size=size)

    # ------------------------------------------------------------------ hashing helpers

    def _h(self, salt: int, i: int) -> int:
        # One mix: salts are spread 2**40 apart, indices stay far below that.
        return _mix((self._key + (salt << 40) + i) & _M64)

    def _r(self, salt: int, i: int) -> _Rand:
        return _Rand(self._h(salt, i))

    def _count(self, salt: int, i: int, mean: float, cap: int) -> int:
        r = self._h(salt, i) / 18446744073709551616.0
        if r < 0.25:
            return 0
        # A heavy tail whose mean is about ``mean`` (a quarter of the users have none).
        x = mean * 0.9 * (1.0 - r) ** -0.5
        return min(cap, max(1, int(x)))

    def _counts(self, salt: int, n: int, mean: float, cap: int) -> list[int]:
        """``[self._count(salt, i, mean, cap) for i in range(n)]``, with the hash inlined.

        Start-up of the huge world spends most of its time here; the values are the
        same bit for bit (same arithmetic, same order).
        """
        out = [0] * n
        start = self._key + (salt << 40) + 0x9E3779B97F4A7C15
        m64 = _M64
        scale = mean * 0.9  # evaluated first in _count too: same float
        for i in range(n):
            x = (start + i) & m64
            x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & m64
            x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & m64
            r = (x ^ (x >> 31)) / 18446744073709551616.0
            if r >= 0.25:
                v = int(scale * (1.0 - r) ** -0.5)
                out[i] = cap if v > cap else (v if v > 1 else 1)
        return out

    def tick(self) -> int:
        """Advance the world's clock by one second and return it (epoch seconds)."""
        self._clock += 1
        self._version += 1
        return self._clock

    @property
    def clock(self) -> int:
        """The world's current time (epoch seconds); every mutation moves it on."""
        return self._clock

    @property
    def version(self) -> int:
        """Incremented by every mutation (lets callers cache derived data)."""
        return self._version

    # ------------------------------------------------------------------ identifiers

    @property
    def n_users(self) -> int:
        return self._users.count()

    @property
    def n_tracks(self) -> int:
        return self._tracks.count()

    @property
    def n_playlists(self) -> int:
        return self._playlists.count()

    @property
    def n_follow_edges(self) -> int:
        """Follow edges in the generated base."""
        return self._follows.layers.n_edges()

    def user_id(self, u: int) -> int:
        return USER_ID_BASE + u * _USER_STRIDE + self._h(10, u) % _USER_STRIDE

    def track_id(self, t: int) -> int:
        return TRACK_ID_BASE + t * _TRACK_STRIDE + self._h(11, t) % _TRACK_STRIDE

    def playlist_id(self, p: int) -> int:
        return PLAYLIST_ID_BASE + p * _PLAYLIST_STRIDE + self._h(12, p) % _PLAYLIST_STRIDE

    def user_urn(self, u: int) -> str:
        return f"soundcloud:users:{self.user_id(u)}"

    def track_urn(self, t: int) -> str:
        return f"soundcloud:tracks:{self.track_id(t)}"

    def playlist_urn(self, p: int) -> str:
        return f"soundcloud:playlists:{self.playlist_id(p)}"

    def user_index(self, ident: str | int) -> int | None:
        """The internal index of a user URN / numeric id, ``None`` if there is none.

        Raises:
            InvalidUrn: malformed identifier.
        """
        i = parse_urn(ident, "users") if isinstance(ident, str) else ident
        q, _ = divmod(i - USER_ID_BASE, _USER_STRIDE)
        if q < 0 or q >= len(self._users) or self._users.at(q) < 0 or self.user_id(q) != i:
            return None
        return q

    def track_index(self, ident: str | int) -> int | None:
        """The internal index of a track URN / numeric id (deleted ones: ``None``)."""
        i = parse_urn(ident, "tracks") if isinstance(ident, str) else ident
        q, _ = divmod(i - TRACK_ID_BASE, _TRACK_STRIDE)
        if q < 0 or q >= len(self._tracks) or q in self._deleted_tracks:
            return None
        return q if self.track_id(q) == i else None

    def playlist_index(self, ident: str | int) -> int | None:
        """The internal index of a playlist URN / numeric id (deleted ones: ``None``)."""
        i = parse_urn(ident, "playlists") if isinstance(ident, str) else ident
        q, _ = divmod(i - PLAYLIST_ID_BASE, _PLAYLIST_STRIDE)
        if q < 0 or q >= len(self._playlists) or q in self._deleted_playlists:
            return None
        return q if self.playlist_id(q) == i else None

    def all_users(self) -> Collection:
        """Every user, in creation order (sequence = index)."""
        return self._users

    def all_tracks(self) -> Collection:
        """Every track, in creation order (deleted ones removed)."""
        return self._tracks

    def all_playlists(self) -> Collection:
        """Every playlist, in creation order (deleted ones removed)."""
        return self._playlists

    def user_urns(self) -> Iterator[str]:
        """Every user's URN, in creation order."""
        return (self.user_urn(u) for u in self._users.live_keys())

    def track_urns(self) -> Iterator[str]:
        """Every live track's URN, in creation order."""
        return (self.track_urn(t) for t in self._tracks.live_keys())

    def playlist_urns(self) -> Iterator[str]:
        """Every live playlist's URN, in creation order."""
        return (self.playlist_urn(p) for p in self._playlists.live_keys())

    # ------------------------------------------------------------------ ownership

    def track_owner(self, t: int) -> int:
        o = self._owner_extra.get(t)
        if o is not None:
            return o
        return bisect.bisect_right(self._track_start, t) - 1

    def playlist_owner(self, p: int) -> int:
        o = self._playlist_owner_extra.get(p)
        if o is not None:
            return o
        return bisect.bisect_right(self._playlist_start, p) - 1

    def user_tracks(self, u: int) -> Collection:
        """``u``'s uploads, oldest first (sequence order)."""
        c = self._user_tracks.get(u)
        if c is not None:
            return c
        if u < self._n_users0:
            lo, hi = self._track_start[u], self._track_start[u + 1]
            return Collection(hi - lo, lambda j: lo + j, hi - lo)
        return Collection(0, _identity, 0)

    def _user_tracks_mut(self, u: int) -> Collection:
        c = self._user_tracks.get(u)
        if c is None:
            c = self._user_tracks[u] = self.user_tracks(u)
        return c

    def user_playlists(self, u: int) -> Collection:
        c = self._user_playlists.get(u)
        if c is not None:
            return c
        if u < self._n_users0:
            lo, hi = self._playlist_start[u], self._playlist_start[u + 1]
            return Collection(hi - lo, lambda j: lo + j, hi - lo)
        return Collection(0, _identity, 0)

    def _user_playlists_mut(self, u: int) -> Collection:
        c = self._user_playlists.get(u)
        if c is None:
            c = self._user_playlists[u] = self.user_playlists(u)
        return c

    # ------------------------------------------------------------------ relations

    def followings(self, u: int) -> Collection:
        return self._follows.out(u)

    def followers(self, u: int) -> Collection:
        return self._follows.into(u)

    def liked_tracks(self, u: int) -> Collection:
        return self._likes.out(u)

    def favoriters(self, t: int) -> Collection:
        return self._likes.into(t)

    def reposted_tracks(self, u: int) -> Collection:
        return self._reposts.out(u)

    def track_reposters(self, t: int) -> Collection:
        return self._reposts.into(t)

    def liked_playlists(self, u: int) -> Collection:
        return self._playlist_likes.out(u)

    def playlist_likers(self, p: int) -> Collection:
        return self._playlist_likes.into(p)

    def reposted_playlists(self, u: int) -> Collection:
        return self._playlist_reposts.out(u)

    def playlist_reposters(self, p: int) -> Collection:
        return self._playlist_reposts.into(p)

    def is_following(self, u: int, v: int) -> bool:
        return self._follows.has(u, v)

    def most_followed(self, n: int = 10) -> list[tuple[str, int]]:
        """The ``n`` users with the most followers, most followed first.

        In the ``large`` and ``huge`` worlds these are celebrities whose followers run to
        hundreds or thousands of pages (tests of long jobs start here). Follows and
        unfollows made through the API count. Ties go to the older user.

        Args:
            n: how many users (fewer when the world has fewer).

        Returns:
            ``(urn, followers_count)`` pairs; the count is what ``followers_count`` says
            and what paging ``/users/{urn}/followers`` yields.

        Raises:
            ValueError: ``n`` is negative.
        """
        if n < 0:
            raise ValueError(f"n must not be negative, not {n}")
        rel = self._follows
        layers = rel.layers.base if isinstance(rel.layers, _Stars) else rel.layers
        stars = rel.layers.stars if isinstance(rel.layers, _Stars) else []
        # Every user outside these candidates has its layer in-degree as follower count,
        # and at least n candidates that are plain users rank above it: the top n is exact.
        extra = len(stars) + len(rel.in_over)
        in_count = layers.in_count
        top = heapq.nlargest(n + extra, range(len(in_count)), key=in_count.__getitem__)
        added = range(self._n_users0, len(self._users))  # users made by add_user
        candidates = {*top, *stars, *rel.in_over, *added}
        ranked = sorted(
            (-self.followers(u).count(), u) for u in candidates if self._users.at(u) >= 0
        )
        return [(self.user_urn(u), -neg) for neg, u in ranked[:n]]

    def follow_reach(
        self, depth: int, *, start: str | None = None, viewer: str | None = None
    ) -> list[tuple[int, int, int]]:
        """What a breadth-first crawl of followings delivers, depth by depth.

        The oracle of ``FollowGraph(start, depth=d)`` (users, with all their tracks and
        playlists): entry ``d`` counts the distinct users within ``d`` follow hops of
        ``start`` and the tracks and playlists of theirs that ``viewer`` may see.

        Args:
            depth: the deepest level, ``>= 0``.
            start: the first user's URN (default: :attr:`default_user_urn`).
            viewer: whose token the crawl uses (default: :attr:`default_user_urn`).

        Returns:
            ``depth + 1`` cumulative ``(users, tracks, playlists)`` counts.

        Raises:
            ValueError: negative ``depth``, or a user that does not exist.
        """
        if depth < 0:
            raise ValueError(f"depth must not be negative, not {depth}")
        first = self.user_index(start or self.default_user_urn)
        seer = self.user_index(viewer or self.default_user_urn)
        if first is None or seer is None:
            raise ValueError(f"no such user: {start if first is None else viewer}")
        seen = {first}
        level = [first]
        users = tracks = playlists = 0
        out: list[tuple[int, int, int]] = []
        for d in range(depth + 1):
            if d:
                nxt = []
                for u in level:
                    for v in self.followings(u).live_keys():
                        if v not in seen:
                            seen.add(v)
                            nxt.append(v)
                level = nxt
            users += len(level)
            for u in level:
                tracks += sum(
                    1 for t in self.user_tracks(u).live_keys() if self.track_visible(t, seer)
                )
                playlists += sum(
                    1 for p in self.user_playlists(u).live_keys() if self.playlist_visible(p, seer)
                )
            out.append((users, tracks, playlists))
        return out

    def likes_track(self, u: int, t: int) -> bool:
        return self._likes.has(u, t)

    def related_tracks(self, t: int) -> Collection:
        n = self._tracks_total_base()
        r = self._h(20, t)
        m = 10 + r % 40
        step = 1 + (r >> 8) % max(1, n - 1)
        return Collection(m, lambda j: (t + (j + 1) * step) % n, m)

    def related_users(self, u: int) -> Collection:
        n = self._n_users0
        r = self._h(21, u)
        m = min(n - 1, 10 + r % 30)
        step = 1 + (r >> 8) % max(1, n - 1)

        def at(j: int) -> int:
            v = (u + (j + 1) * step) % n
            return -1 if v == u else v

        return Collection(m, at, sum(1 for j in range(m) if at(j) >= 0))

    def _tracks_total_base(self) -> int:
        return max(self._n_tracks0, 1)

    def playlist_track_list(self, p: int) -> list[int]:
        """The playlist's tracks in playlist order (deleted tracks left out)."""
        lst = self._playlist_tracks.get(p)
        if lst is None:
            lst = self._base_playlist_tracks(p)
        return [t for t in lst if t not in self._deleted_tracks]

    def _base_playlist_tracks(self, p: int) -> list[int]:
        if p >= self._n_playlists0:
            return []
        r = self._r(30, p)
        u = self.playlist_owner(p)
        own = self.user_tracks(u)
        n = 1 + r.below(self._shape.playlist_len_max)
        out: list[int] = []
        for _ in range(n):
            if own.base_len and r.chance(0.6):
                t = own.base(r.below(own.base_len))
            else:
                t = r.below(self._n_tracks0)
            if t not in out:
                out.append(t)
        return out

    def comments(self, t: int) -> Collection:
        c = self._comments.get(t)
        if c is not None:
            return c
        n = 0 if t >= self._n_tracks0 else self._comment_degree(t)
        base = t * _MAX_BASE_COMMENTS
        return Collection(n, lambda j: base + j, n)

    def _comment_degree(self, t: int) -> int:
        return min(_MAX_BASE_COMMENTS - 1, self._count(40, t, 4.0, self._shape.comments_max))

    def group_tracks(self, g: int) -> Collection:
        """Tracks contributed to legacy group ``g`` (groups are gone; the seeds had them)."""
        n_groups = self.n_groups
        if not 0 <= g < n_groups:
            return Collection(0, _identity, 0)
        n = (self._n_tracks0 - g + n_groups - 1) // n_groups
        return Collection(n, lambda j: g + j * n_groups, n)

    @property
    def n_groups(self) -> int:
        return max(3, self._n_users0 // 50)

    def group_id(self, g: int) -> int:
        return 50_000 + g

    # ------------------------------------------------------------------ visibility

    def track_meta(self, t: int) -> _Meta:
        m = self._track_meta.get(t)
        if m is None:
            over = _merged(self._track_rec.get(t), self._track_over.get(t))
            if t >= self._n_tracks0:  # uploaded: public and playable unless set
                private, access = False, 0
            else:
                r = self._r(50, t)
                private = r.chance(0.08) or (t == self._track_start[1] + 1)
                a = r.unit()
                access = 0 if a < 0.85 else (1 if a < 0.95 else 2)
            if "sharing" in over:
                private = over["sharing"] == "private"
            if "access" in over:
                access = _ACCESS.index(over["access"])
            public = not private and t not in self._deleted_tracks
            m = _Meta(self.track_owner(t), private, access, public)
            self._track_meta.put(t, m)
        return m

    def playlist_meta(self, p: int) -> _Meta:
        m = self._playlist_meta.get(p)
        if m is None:
            over = _merged(self._playlist_rec.get(p), self._playlist_over.get(p))
            private = p < self._n_playlists0 and (
                self._r(51, p).chance(0.1) or p == self._playlist_start[1] + 1
            )
            if "sharing" in over:
                private = over["sharing"] == "private"
            public = not private and p not in self._deleted_playlists
            m = _Meta(self.playlist_owner(p), private, 0, public)
            self._playlist_meta.put(p, m)
        return m

    def track_visible(self, t: int, viewer: int | None, secret_token: str | None = None) -> bool:
        """Whether ``viewer`` may see track ``t`` (private: owner, permitted users, token)."""
        if t in self._deleted_tracks:
            return False
        m = self.track_meta(t)
        if not m.private or m.owner == viewer:
            return True
        if secret_token is not None and secret_token == self.secret_token(t):
            return True
        return viewer is not None and viewer in self._permissions.get(t, ())

    def playlist_visible(self, p: int, viewer: int | None, secret_token: str | None = None) -> bool:
        if p in self._deleted_playlists:
            return False
        m = self.playlist_meta(p)
        if not m.private or m.owner == viewer:
            return True
        return secret_token is not None and secret_token == self.playlist_secret_token(p)

    def secret_token(self, t: int) -> str:
        tok = self._secret.get(t)
        if tok is None:
            tok = "s-" + _code(self._h(60, t), 5)
        return tok

    def playlist_secret_token(self, p: int) -> str:
        return "s-" + _code(self._h(61, p), 5)

    def short_code(self, t: int) -> str | None:
        """The ``on.soundcloud.com/<code>`` short link code of a track (some have one)."""
        if t >= self._n_tracks0 or self._h(62, t) % 3 != 0:
            return None
        return _code((t * _SHORT_MUL) % _SHORT_MOD, 6, raw=True)

    def track_by_short_code(self, code: str) -> int | None:
        if len(code) != 6 or any(c not in _SHORT_ALPHABET for c in code):
            return None
        n = 0
        for c in code:
            n = n * 62 + _SHORT_ALPHABET.index(c)
        t = (n * _SHORT_INV) % _SHORT_MOD
        if t >= self._n_tracks0 or self.short_code(t) != code or t in self._deleted_tracks:
            return None
        return t

    # ------------------------------------------------------------------ users

    def _username(self, u: int) -> tuple[str, str, str]:
        rec = self._user_rec.get(u)
        if rec is not None:
            return rec["username"], rec["first_name"], rec["last_name"]
        r = self._r(100, u)
        first, last = r.pick(_FIRST), r.pick(_LAST)
        style = r.below(4)
        if style == 0:
            name = f"{first} {last}"
        elif style == 1:
            name = f"{r.pick(_HANDLE_PREFIX)}{r.pick(_HANDLE)}{r.pick(_HANDLE_SUFFIX)}".strip()
        elif style == 2:
            name = f"{first.lower()}.{r.pick(_HANDLE)}"
        else:
            name = f"{r.pick(_HANDLE)} {r.pick(_HANDLE)}".title()
        if u == 1:
            name, first, last = "Test User", "Test", "User"
        return name, first, last

    def user_permalink(self, u: int) -> str:
        cached = self._permalinks.get(u)
        if cached is not None:
            return cached
        over = _merged(self._user_rec.get(u), self._user_over.get(u))
        if over and "permalink" in over:
            return str(over["permalink"])
        value = self._generated_user_permalink(u)
        self._permalinks.put(u, value)
        return value

    def _generated_user_permalink(self, u: int) -> str:
        if u == 1:
            return "test-user"
        if self._h(101, u) % 5 == 0:
            return f"user-{self.user_id(u)}"
        return f"{_slug(self._username(u)[0])}-{u}"

    def user_by_permalink(self, permalink: str) -> int | None:
        u = self._user_by_permalink.get(permalink)
        if u is not None:
            return u if self._users.at(u) >= 0 else None
        if permalink == "test-user":
            return 1
        cands: list[int] = []
        head, _, tail = permalink.rpartition("-")
        if tail.isdigit():
            if head == "user":
                q = self.user_index(int(tail))
                if q is not None:
                    cands.append(q)
            cands.append(int(tail))
        for u in cands:
            if 0 <= u < self._n_users0 and self.user_permalink(u) == permalink:
                return u
        return None

    def _user_core(self, u: int) -> dict[str, Any]:
        rec = self._user_rec.get(u)
        r = self._r(110, u)
        username, first, last = self._username(u)
        permalink = self.user_permalink(u)
        uid = self.user_id(u)
        city, country = _CITIES[r.below(len(_CITIES))]
        created = self._user_created(u)
        plan = "Artist Pro" if u == 1 else r.pick(_PLANS)
        has_site = r.chance(0.3)
        avatar_n = r.next() & 0xFFFFFF
        d: dict[str, Any] = {
            "avatar_url": (
                f"https://i1.sndcdn.com/avatars-{avatar_n:06x}{uid % 1000:03d}-large.jpg"
                if r.chance(0.8)
                else "https://a1.sndcdn.com/images/default_avatar_large.png"
            ),
            "city": city if r.chance(0.7) else "",
            "country": country if r.chance(0.75) else "",
            "created_at": format_date(created),
            "description": (
                None
                if r.chance(0.4)
                else f"{r.pick(_GENRES) or 'Music'} from {city}. Bookings: {permalink}@example.com"
            ),
            "discogs_name": None,
            "first_name": first,
            "full_name": f"{first} {last}" if r.chance(0.8) else "",
            "id": uid,
            "kind": "user",
            "last_modified": format_date(created + r.below(86400 * 365)),
            "last_name": last,
            "myspace_name": None,
            "permalink": permalink,
            "permalink_url": f"https://soundcloud.com/{permalink}",
            "plan": plan,
            "subscriptions": []
            if plan == "Free"
            else [{"product": {"id": _slug(plan), "name": plan}, "recurring": True}],
            "uri": (
                f"{API_HOST_URL}/users/{uid}"
                if r.chance(0.3)
                else f"{API_HOST_URL}/users/soundcloud:users:{uid}"
            ),
            "urn": f"soundcloud:users:{uid}",
            "username": username,
            "website": f"https://{_slug(username)}.example.com" if has_site else None,
            "website_title": (username if r.chance(0.5) else None) if has_site else None,
        }
        if rec is not None:
            d.update((k, v) for k, v in rec.items() if not k.startswith("_") and k in d)
        over = self._user_over.get(u)
        if over:
            d.update(over)
        return d

    def _user_created(self, u: int) -> int:
        rec = self._user_rec.get(u)
        if rec is not None:
            return int(rec["_created"])
        return _EARLIEST + self._h(111, u) % (NOW_EPOCH - _EARLIEST - 86400 * 400)

    def _user_counts(self, u: int) -> dict[str, int]:
        tracks = self.user_tracks(u)
        playlists = self.user_playlists(u)
        return {
            "followers_count": self.followers(u).count(),
            "followings_count": self.followings(u).count(),
            "playlist_count": playlists.count() - self._private_count(playlists, "p"),
            "public_favorites_count": self.liked_tracks(u).count(),
            "reposts_count": self.reposted_tracks(u).count() + self.reposted_playlists(u).count(),
            "track_count": tracks.count() - self._private_count(tracks, "t"),
        }

    def _private_count(self, c: Collection, kind: str) -> int:
        meta = self.track_meta if kind == "t" else self.playlist_meta
        return sum(1 for k in c.live_keys() if meta(k).private)

    def user_dict(self, u: int) -> dict[str, Any]:
        """The public ``User`` object of user index ``u``."""
        d = self._user_core(u)
        d.update(self._user_counts(u))
        return dict(sorted(d.items()))

    def user_bytes(self, u: int) -> bytes:
        b = self._user_cache.get(u)
        if b is None:
            # orjson (3.12+) returns a buffer over-allocated ~14x that it never shrinks:
            # a cached user would hold 16 KB. The copy is right-sized (and ~2 us).
            b = bytes(memoryview(orjson.dumps(self.user_dict(u))))
            self._user_cache.put(u, b)
        return b

    def comment_user_bytes(self, u: int) -> bytes:
        """The reduced user object embedded in comments."""
        d = orjson.loads(self.user_bytes(u))
        keep = _words(
            "avatar_url followers_count followings_count id kind last_modified "
            "permalink permalink_url reposts_count uri urn username"
        )
        return orjson.dumps({k: d[k] for k in keep})

    def me_dict(self, u: int) -> dict[str, Any]:
        """The ``Me`` object (the user plus private counts and upload quota)."""
        d = self.user_dict(u)
        tracks = self.user_tracks(u)
        playlists = self.user_playlists(u)
        used = sum(
            self._track_duration(t) // 1000 for t in tracks.live_keys() if t >= self._n_tracks0
        ) + (self._h(120, u) % 7200)
        unlimited = d["plan"] != "Free"
        left = None if unlimited else max(0, 10800 - used)
        d.update(
            {
                "comments_count": 0,
                "likes_count": self.liked_tracks(u).count() + self.liked_playlists(u).count(),
                "locale": None if self._h(121, u) % 2 else "en",
                "online": False,
                "primary_email_confirmed": True,
                "private_playlists_count": self._private_count(playlists, "p"),
                "private_tracks_count": self._private_count(tracks, "t"),
                "quota": {
                    "unlimited_upload_quota": unlimited,
                    "upload_seconds_used": used,
                    "upload_seconds_left": left,
                },
                "upload_seconds_left": left,
            }
        )
        return dict(sorted(d.items()))

    def web_profiles(self, u: int) -> list[dict[str, Any]]:
        r = self._r(130, u)
        handle = _slug(self._username(u)[0]).replace("-", "")
        out = []
        created = _EARLIEST + r.below(NOW_EPOCH - _EARLIEST)
        for i in range(r.below(4) if u != 1 else 3):
            service, url = _WEB_SERVICES[(r.below(len(_WEB_SERVICES)) + i) % len(_WEB_SERVICES)]
            wid = 90_000_000 + u * 4 + i
            out.append(
                {
                    "created_at": format_date(created + i * 86400 * 30),
                    "id": wid,
                    "kind": "web-profile",
                    "service": service,
                    "title": f"{service.title()}",
                    "url": url.format(h=handle),
                    "urn": f"soundcloud:web-profiles:{wid}",
                    "username": handle,
                }
            )
        return out

    # ------------------------------------------------------------------ tracks

    def _track_title(self, t: int) -> str:
        over = _merged(self._track_rec.get(t), self._track_over.get(t))
        if over and "title" in over:
            return str(over["title"])
        return self._generated_track_title(t)

    def _generated_track_title(self, t: int) -> str:
        r = self._r(200, t)
        return f"{r.pick(_TITLE_A)} {r.pick(_TITLE_B)}{r.pick(_TITLE_SUFFIX)}"

    def track_permalink(self, t: int) -> str:
        over = _merged(self._track_rec.get(t), self._track_over.get(t))
        if over and "permalink" in over:
            return str(over["permalink"])
        # Unique per owner, like SoundCloud's "-1", "-2" suffixes on repeated titles.
        j = t - self._track_start[self.track_owner(t)]
        return _slug(self._generated_track_title(t)) + (f"-{j}" if j else "")

    def _track_duration(self, t: int) -> int:
        rec = self._track_rec.get(t)
        if rec is not None:
            return int(rec["duration"])
        r = self._h(203, t)
        return 30_000 + r % 420_000 if r % 10 else 1_800_000 + r % 3_600_000

    def _track_created(self, t: int) -> int:
        rec = self._track_rec.get(t)
        if rec is not None:
            return int(rec["_created"])
        u = self.track_owner(t)
        lo, hi = self._track_start[u], self._track_start[u + 1]
        user_created = self._user_created(u)
        span = NOW_EPOCH - 3600 - user_created
        slot = span // max(1, hi - lo)
        return user_created + (t - lo) * slot + self._h(204, t) % max(1, slot - 1)

    def _track_genre(self, t: int) -> str:
        over = _merged(self._track_rec.get(t), self._track_over.get(t))
        if over and "genre" in over:
            return str(over["genre"] or "")
        return _GENRES[self._h(205, t) % len(_GENRES)]

    def _track_bpm(self, t: int) -> float | None:
        r = self._h(206, t)
        return None if r % 3 == 0 else float(70 + r % 110)

    def _track_tags(self, t: int) -> str:
        over = _merged(self._track_rec.get(t), self._track_over.get(t))
        if over and "tag_list" in over:
            return str(over["tag_list"] or "")
        r = self._r(207, t)
        tags = []
        for _ in range(r.below(5)):
            tag = r.pick(_TAGS)
            tag = f'"{tag}"' if " " in tag else tag
            if tag not in tags:
                tags.append(tag)
        if r.chance(0.3):
            tags.append(r.pick(_MACHINE_TAGS))
        return " ".join(tags)

    def track_core(self, t: int) -> dict[str, Any]:
        """The track's own fields (no ``user``, ``user_favorite``, counts included)."""
        rec = self._track_rec.get(t, {})
        r = self._r(210, t)
        tid = self.track_id(t)
        urn = f"soundcloud:tracks:{tid}"
        meta = self.track_meta(t)
        owner = meta.owner
        created = self._track_created(t)
        title = self._track_title(t)
        permalink = self.track_permalink(t)
        downloadable = r.chance(0.2)
        streamable = r.chance(0.97)
        release_year: int | None = None
        release_month: int | None = None
        release_day: int | None = None
        if r.chance(0.5):
            tm = time.gmtime(created - r.below(86400 * 60))
            release_year, release_month, release_day = tm.tm_year, tm.tm_mon, tm.tm_mday
        art = r.next() & 0xFFFFFFF
        private = meta.private
        d: dict[str, Any] = {
            "access": _ACCESS[meta.access],
            "artwork_url": (
                f"https://i1.sndcdn.com/artworks-{art:07x}{tid % 10000:04d}-large.jpg"
                if r.chance(0.75)
                else None
            ),
            "available_country_codes": None,
            "bpm": self._track_bpm(t),
            "comment_count": self.comments(t).count(),
            "commentable": r.chance(0.9),
            "created_at": format_date(created),
            "description": None
            if r.chance(0.4)
            else f"{title} — recorded in {_CITIES[r.below(len(_CITIES))][0]}. Free DL in bio.",
            "download_count": r.below(500) if downloadable else 0,
            "download_url": f"{API_HOST_URL}/tracks/{urn}/download" if downloadable else None,
            "downloadable": downloadable,
            "duration": self._track_duration(t),
            "embeddable_by": "all" if r.chance(0.9) else "me",
            "favoritings_count": self.favoriters(t).count(),
            "genre": self._track_genre(t),
            "id": tid,
            "isrc": None if r.chance(0.8) else f"QZ{r.below(10**10):010d}",
            "key_signature": None if r.chance(0.7) else r.pick(_KEYS),
            "kind": "track",
            "label_name": None if r.chance(0.6) else r.pick(_LABELS),
            "last_modified": format_date(created + r.below(86400 * 90)),
            "license": r.pick(_LICENSES),
            "metadata_artist": None if r.chance(0.85) else f"{r.pick(_FIRST)} {r.pick(_LAST)}",
            "permalink": permalink,
            "permalink_url": f"https://soundcloud.com/{self.user_permalink(owner)}/{permalink}",
            "playback_count": int(r.unit() ** 3 * 2_000_000),
            "purchase_title": None if r.chance(0.85) else "Buy on Bandcamp",
            "purchase_url": None if r.chance(0.85) else "https://example.bandcamp.com/track/x",
            "release": None,
            "release_day": release_day,
            "release_month": release_month,
            "release_year": release_year,
            "reposts_count": self.track_reposters(t).count(),
            "reveal_comments": True,
            "reveal_stats": r.chance(0.95),
            "secret_uri": (
                f"{API_HOST_URL}/tracks/{urn}?secret_token={self.secret_token(t)}"
                if private
                else None
            ),
            "sharing": "private" if private else "public",
            "stream_url": f"{API_HOST_URL}/tracks/{urn}/stream",
            "streamable": streamable,
            "tag_list": self._track_tags(t),
            "title": title,
            "uri": f"{API_HOST_URL}/tracks/{tid}" if t % 3 == 0 else f"{API_HOST_URL}/tracks/{urn}",
            "urn": urn,
            "user_id": self.user_id(owner),
            "user_playback_count": 0,
            "waveform_url": f"https://wave.sndcdn.com/{_code(self._h(211, t), 12)}_m.png",
        }
        if rec:
            d.update((k, v) for k, v in rec.items() if not k.startswith("_"))
        over = self._track_over.get(t)
        if over:
            d.update(over)
        d["sharing"] = "private" if meta.private else "public"
        d["access"] = _ACCESS[meta.access]
        if d["sharing"] == "public":
            d["secret_uri"] = None
        return d

    def track_core_bytes(self, t: int) -> bytes:
        """The track's fields as a JSON object *without its closing brace*."""
        b = self._track_cache.get(t)
        if b is None:
            b = orjson.dumps(self.track_core(t))[:-1]
            self._track_cache.put(t, b)
        return b

    def track_parts(self, t: int, favorite: bool = False) -> tuple[bytes, bytes, bytes, bytes]:
        """The pieces whose concatenation is the track's JSON (for joining pages)."""
        return (
            self.track_core_bytes(t),
            _FAV_TRUE if favorite else _FAV_FALSE,
            self.user_bytes(self.track_meta(t).owner),
            b"}",
        )

    def prewarm(self, limit: int | None = None) -> int:
        """Serialise users and then tracks ahead of time (up to ``limit`` items).

        Serving a never-seen track costs tens of microseconds; a crawl benchmark on the
        large world can pay that before its clock starts. Returns the items serialised.
        """
        n = 0
        for u in self._users.live_keys():
            if limit is not None and n >= limit:
                return n
            self.user_bytes(u)
            n += 1
        for t in self._tracks.live_keys():
            if limit is not None and n >= limit:
                return n
            self.track_bytes(t)
            n += 1
        return n

    def track_bytes(self, t: int, favorite: bool = False) -> bytes:
        """The track's JSON (``user_favorite`` as given); the common case is cached whole."""
        if favorite:
            return b"".join(self.track_parts(t, favorite))
        b = self._track_json.get(t)
        if b is None:
            b = b"".join(self.track_parts(t))
            self._track_json.put(t, b)
        return b

    def track_dict(self, t: int, favorite: bool = False) -> dict[str, Any]:
        d: dict[str, Any] = orjson.loads(self.track_bytes(t, favorite))
        return d

    def track_matches(
        self,
        t: int,
        *,
        q: str | None = None,
        genres: frozenset[str] | None = None,
        tags: frozenset[str] | None = None,
        bpm: tuple[float | None, float | None] = (None, None),
        duration: tuple[int | None, int | None] = (None, None),
        created: tuple[int | None, int | None] = (None, None),
    ) -> bool:
        """Search filters of ``GET /tracks`` (private tracks never match)."""
        if t in self._deleted_tracks or self.track_meta(t).private:
            return False
        if genres is not None and self._track_genre(t).lower() not in genres:
            return False
        if bpm != (None, None):
            b = self._track_bpm(t)
            if b is None or (bpm[0] is not None and b < bpm[0]):
                return False
            if bpm[1] is not None and b > bpm[1]:
                return False
        if duration != (None, None):
            d = self._track_duration(t)
            if (duration[0] is not None and d < duration[0]) or (
                duration[1] is not None and d > duration[1]
            ):
                return False
        if created != (None, None):
            c = self._track_created(t)
            if (created[0] is not None and c < created[0]) or (
                created[1] is not None and c > created[1]
            ):
                return False
        if tags is not None:
            have = {x.strip('"').lower() for x in _split_tags(self._track_tags(t))}
            if not have & tags:
                return False
        if q:
            hay = f"{self._track_title(t)} {self._username(self.track_owner(t))[0]}".lower()
            hay += " " + self._track_tags(t).lower() + " " + self._track_genre(t).lower()
            if not all(w in hay for w in q.lower().split()):
                return False
        return True

    def user_matches(self, u: int, q: str | None) -> bool:
        if not q:
            return True
        hay = f"{self._username(u)[0]} {self.user_permalink(u)}".lower()
        return all(w in hay for w in q.lower().split())

    def playlist_matches(self, p: int, q: str | None) -> bool:
        if p in self._deleted_playlists or self.playlist_meta(p).private:
            return False
        if not q:
            return True
        hay = self._playlist_title(p).lower()
        return all(w in hay for w in q.lower().split())

    # ------------------------------------------------------------------ playlists

    def _playlist_title(self, p: int) -> str:
        over = _merged(self._playlist_rec.get(p), self._playlist_over.get(p))
        if over and "title" in over:
            return str(over["title"])
        return self._generated_playlist_title(p)

    def _generated_playlist_title(self, p: int) -> str:
        r = self._r(300, p)
        kind = r.below(3)
        if kind == 0:
            return f"{r.pick(_TITLE_A)} {r.pick(_TITLE_B)} EP"
        if kind == 1:
            return f"{r.pick(_TAGS).title()} Mix {2015 + r.below(11)}"
        return f"{r.pick(_TITLE_B)} Sessions"

    def playlist_permalink(self, p: int) -> str:
        over = _merged(self._playlist_rec.get(p), self._playlist_over.get(p))
        if over and "permalink" in over:
            return str(over["permalink"])
        return f"{_slug(self._generated_playlist_title(p))}-{p}"

    def _playlist_created(self, p: int) -> int:
        rec = self._playlist_rec.get(p)
        if rec is not None:
            return int(rec["_created"])
        return _EARLIEST + 86400 * 300 + self._h(311, p) % (NOW_EPOCH - _EARLIEST - 86400 * 301)

    def playlist_core(self, p: int) -> dict[str, Any]:
        """The playlist's fields without ``tracks`` and ``user``."""
        rec = self._playlist_rec.get(p, {})
        r = self._r(310, p)
        pid = self.playlist_id(p)
        urn = f"soundcloud:playlists:{pid}"
        meta = self.playlist_meta(p)
        owner = meta.owner
        created = self._playlist_created(p)
        tracks = self.playlist_track_list(p)
        album = r.chance(0.3)
        tags = self._track_tags(self._n_tracks0 + p) if r.chance(0.5) else ""
        d: dict[str, Any] = {
            "artwork_url": None
            if r.chance(0.3)
            else f"https://i1.sndcdn.com/artworks-p{pid}-large.jpg",
            "created_at": format_date(created),
            "description": None if r.chance(0.5) else "Selected by hand. Updated weekly.",
            "downloadable": r.chance(0.3),
            "duration": sum(self._track_duration(t) for t in tracks),
            "ean": None,
            "embeddable_by": "all",
            "genre": r.pick(_GENRES),
            "id": pid,
            "kind": "playlist",
            "label": None,
            "label_id": None,
            "label_name": None if r.chance(0.7) else r.pick(_LABELS),
            "last_modified": format_date(created + r.below(86400 * 200)),
            "license": r.pick(_LICENSES),
            "likes_count": self.playlist_likers(p).count(),
            "permalink": self.playlist_permalink(p),
            "permalink_url": f"https://soundcloud.com/{self.user_permalink(owner)}/sets/"
            f"{self.playlist_permalink(p)}",
            "playlist_type": "album" if album else "playlist",
            "purchase_title": None,
            "purchase_url": None,
            "release": None,
            "release_day": None,
            "release_month": None,
            "release_year": None,
            "reposts_count": self.playlist_reposters(p).count(),
            "set_type": "album" if album else "",
            "sharing": "private" if meta.private else "public",
            "streamable": True,
            "tag_list": tags,
            "tags": tags or None,
            "title": self._playlist_title(p),
            "track_count": len(tracks),
            "tracks_uri": f"{API_HOST_URL}/playlists/{urn}/tracks",
            "type": "album" if album else "playlist",
            "uri": f"{API_HOST_URL}/playlists/{pid}"
            if p % 2
            else f"{API_HOST_URL}/playlists/{urn}",
            "urn": urn,
            "user_id": self.user_id(owner),
            "user_urn": self.user_urn(owner),
        }
        if rec:
            d.update((k, v) for k, v in rec.items() if not k.startswith("_"))
        over = self._playlist_over.get(p)
        if over:
            d.update(over)
        d["sharing"] = "private" if meta.private else "public"
        return d

    def playlist_core_bytes(self, p: int) -> bytes:
        b = self._playlist_cache.get(p)
        if b is None:
            b = orjson.dumps(self.playlist_core(p))[:-1]
            self._playlist_cache.put(p, b)
        return b

    def playlist_parts(
        self, p: int, viewer: int | None, *, show_tracks: bool = True
    ) -> list[bytes]:
        """Pieces whose concatenation is the playlist's JSON as ``viewer`` sees it."""
        parts = [self.playlist_core_bytes(p)]
        if show_tracks:
            parts.append(b',"tracks":[')
            first = True
            for t in self.playlist_track_list(p):
                if not self.track_visible(t, viewer):
                    continue
                if not first:
                    parts.append(b",")
                first = False
                parts.extend(self.track_parts(t))
            parts.append(b"]")
        parts.append(b',"user":')
        parts.append(self.user_bytes(self.playlist_meta(p).owner))
        parts.append(b"}")
        return parts

    def playlist_dict(
        self, p: int, viewer: int | None = None, *, show_tracks: bool = True
    ) -> dict[str, Any]:
        d: dict[str, Any] = orjson.loads(
            b"".join(self.playlist_parts(p, viewer, show_tracks=show_tracks))
        )
        return d

    # ------------------------------------------------------------------ comments

    def comment_key_for_id(self, cid: int) -> int | None:
        if cid >= CREATED_COMMENT_ID_BASE:
            return cid if cid in self._created_comments else None
        k = cid - COMMENT_ID_BASE
        if k < 0:
            return None
        t, j = divmod(k, _MAX_BASE_COMMENTS)
        if t >= self._n_tracks0 or j >= self._comment_degree(t):
            return None
        return k

    def comment_dict(self, key: int) -> dict[str, Any]:
        """A comment (``key``: base comment key, or a created comment's id)."""
        rec = self._created_comments.get(key)
        if rec is not None:
            t, u, body, ts, created, cid = (
                rec["_track"],
                rec["_user"],
                rec["body"],
                rec["timestamp"],
                rec["_created"],
                key,
            )
        else:
            t, j = divmod(key, _MAX_BASE_COMMENTS)
            r = self._r(400, key)
            u = r.below(self._n_users0)
            body = r.pick(_COMMENT_BODIES)
            ts = r.below(max(1, self._track_duration(t)))
            created = min(self._track_created(t) + 3600 + j * 7200 + r.below(3600), NOW_EPOCH - 1)
            cid = COMMENT_ID_BASE + key
        urn = f"soundcloud:comments:{cid}"
        return {
            "body": body,
            "created_at": format_date(created),
            "id": cid,
            "kind": "comment",
            "timestamp": ts,
            "track_id": self.track_id(t),
            "track_urn": self.track_urn(t),
            "uri": f"{API_HOST_URL}/comments/{cid}"
            if cid % 2
            else f"{API_HOST_URL}/comments/{urn}",
            "urn": urn,
            "user": orjson.loads(self.comment_user_bytes(u)),
            "user_id": self.user_id(u),
            "user_urn": self.user_urn(u),
        }

    # ------------------------------------------------------------------ activities

    def activity_key(self, created: int, kind: int, obj: int) -> int:
        return (created << 42) | (kind << 40) | obj

    def activities(
        self,
        u: int,
        *,
        before: int | None,
        after: int,
        limit: int,
        tracks_only: bool = False,
        own: bool = False,
        reposts: bool = True,
    ) -> tuple[list[tuple[int, str, int, int | None]], int | None]:
        """The feed of ``u`` newest first: ``(key, type, object index, reposter)``.

        Items are those of the users ``u`` follows (``own``: ``u``'s own), keyed by
        ``(created_at, kind, object)`` packed in an int; returns the items with
        ``after < key < before`` and whether more remain (the last key, else ``None``).
        """
        sources = [u] if own else list(self.followings(u).live_keys())[:2000]
        gens = [self._user_activity(s, before, tracks_only, reposts) for s in sources]
        merged = heapq.merge(*gens, reverse=True)
        out: list[tuple[int, str, int, int | None]] = []
        for item in merged:
            if item[0] <= after:
                break
            if len(out) == limit:
                return out, out[-1][0]
            out.append(item)
        return out, None

    def _user_activity(
        self, s: int, before: int | None, tracks_only: bool, reposts: bool
    ) -> Iterator[tuple[int, str, int, int | None]]:
        items: list[tuple[int, str, int, int | None]] = []
        for t in self.user_tracks(s).live_keys():
            items.append((self.activity_key(self._track_created(t), 0, t), "track", t, None))
        if not tracks_only:
            for p in self.user_playlists(s).live_keys():
                key = self.activity_key(self._playlist_created(p), 1, p)
                items.append((key, "playlist", p, None))
        reposted = self.reposted_tracks(s) if reposts else Collection(0, _identity, 0)
        for seq in range(len(reposted)):
            t = reposted.at(seq)
            if t < 0:
                continue
            when = self._reposts.when.get((s, t))
            if when is None:
                when = self._track_created(t) + 600 + self._h(500, s * 7919 + t) % 86400 * 30
                when = min(when, NOW_EPOCH - 60)
            kind = "track-repost" if when < 1_500_000_000 else "track:repost"
            items.append((self.activity_key(when, 2, t), kind, t, s))
        items.sort(reverse=True)
        for item in items:
            if before is None or item[0] < before:
                yield item

    # ------------------------------------------------------------------ mutations

    def _touch_user(self, u: int) -> None:
        self._user_cache.pop(u, None)
        if self._track_json:
            # The user is embedded in their tracks.
            for t in self.user_tracks(u).live_keys():
                self._track_json.pop(t, None)

    def _touch_track(self, t: int) -> None:
        self._track_cache.pop(t, None)
        self._track_json.pop(t, None)
        self._track_meta.pop(t, None)

    def _touch_playlist(self, p: int) -> None:
        self._playlist_cache.pop(p, None)
        self._playlist_meta.pop(p, None)

    def add_user(
        self,
        username: str,
        *,
        permalink: str | None = None,
        plan: str = "Free",
        **fields: Any,
    ) -> dict[str, Any]:
        """Add a user (for tests' own fixtures); returns its ``User`` dict."""
        u = self._users.append(len(self._users))
        first, _, last = username.partition(" ")
        permalink = permalink or f"{_slug(username)}-{u}"
        if self.user_by_permalink(permalink) is not None:
            raise ValueError(f"permalink {permalink!r} is taken")
        self._user_rec[u] = {
            "username": username,
            "first_name": first,
            "last_name": last,
            "permalink": permalink,
            "plan": plan,
            "_created": self.tick(),
            **fields,
        }
        self._user_by_permalink[permalink] = u
        return self.user_dict(u)

    def create_track(self, owner: int, fields: dict[str, Any], *, asset_bytes: int = 0) -> int:
        """Upload a track as ``owner``; returns its index.

        ``fields``: the ``track[...]`` values (``title`` required). ``asset_bytes``: the
        size of the uploaded audio (sets a plausible ``duration``).
        """
        t = self._tracks.append(len(self._tracks))
        created = self.tick()
        duration = max(1000, asset_bytes * 8 // 128) if asset_bytes else 180_000
        rec: dict[str, Any] = {"_created": created, "duration": duration}
        rec.update(_clean_track_fields(fields))
        rec.setdefault("permalink", _slug(str(rec.get("title", "untitled"))))
        self._track_rec[t] = rec
        self._owner_extra[t] = owner
        self._uploads[t] = asset_bytes
        self._user_tracks_mut(owner).append(t)
        self._touch_user(owner)
        return t

    def add_track(self, user_urn: str, title: str, **fields: Any) -> dict[str, Any]:
        """Add a track owned by ``user_urn`` (tests' fixtures); returns its ``Track`` dict."""
        u = self.user_index(user_urn)
        if u is None:
            raise KeyError(user_urn)
        t = self.create_track(u, {"title": title, **fields})
        return self.track_dict(t)

    def update_track(self, t: int, fields: dict[str, Any]) -> None:
        over = self._track_over.setdefault(t, {})
        over.update(_clean_track_fields(fields))
        over["last_modified"] = format_date(self.tick())
        self._touch_track(t)
        self._touch_user(self.track_owner(t))

    def delete_track(self, t: int) -> None:
        owner = self.track_owner(t)
        self._deleted_tracks.add(t)
        seq = self._tracks.find(t, t)
        if seq is not None:
            self._tracks.remove_seq(seq)
        own = self._user_tracks_mut(owner)
        s = own.find(t, t - self._track_start[owner] if owner < self._n_users0 else None)
        if s is not None:
            own.remove_seq(s)
        self.tick()
        self._touch_track(t)
        self._touch_user(owner)

    def set_access(self, t: int, access: str) -> None:
        """Set what callers may do with ``t``: ``playable``, ``preview`` or ``blocked``."""
        if access not in _ACCESS:
            raise ValueError(f"access must be one of {_ACCESS}")
        self._track_over.setdefault(t, {})["access"] = access
        self.tick()
        self._touch_track(t)

    def reset_secret_token(self, t: int) -> str:
        self._secret[t] = "s-" + _code(self._h(61, t * 1_000_003 + self.tick()), 5)
        self._touch_track(t)
        return self._secret[t]

    def permissions(self, t: int) -> list[int]:
        return list(self._permissions.get(t, ()))

    def set_permissions(self, t: int, users: Iterable[int]) -> None:
        self._permissions[t] = list(dict.fromkeys(users))
        self.tick()

    def set_storefront(self, t: int, body: dict[str, Any]) -> dict[str, Any]:
        sf = {
            "track_urn": self.track_urn(t),
            "title": body["title"],
            "type": body["type"],
            "link": body["link"],
            "link_title": body.get("link_title"),
            "description": body.get("description"),
            "image_url": None,
            "price": body.get("price"),
        }
        self._storefronts[t] = sf
        self.tick()
        return dict(sf)

    def storefront(self, t: int) -> dict[str, Any] | None:
        sf = self._storefronts.get(t)
        return None if sf is None else dict(sf)

    def can_have_storefront(self, u: int) -> bool:
        return str(self._user_core(u)["plan"]) in _STOREFRONT_PLANS

    def create_playlist(self, owner: int, fields: dict[str, Any], tracks: list[int]) -> int:
        p = self._playlists.append(len(self._playlists))
        rec = {"_created": self.tick(), **_clean_playlist_fields(fields)}
        rec.setdefault("title", "Untitled playlist")
        rec.setdefault("permalink", _slug(str(rec["title"])))
        self._playlist_rec[p] = rec
        self._playlist_owner_extra[p] = owner
        self._playlist_tracks[p] = list(dict.fromkeys(tracks))
        self._user_playlists_mut(owner).append(p)
        self._touch_user(owner)
        return p

    def update_playlist(self, p: int, fields: dict[str, Any], tracks: list[int] | None) -> None:
        over = self._playlist_over.setdefault(p, {})
        over.update(_clean_playlist_fields(fields))
        over["last_modified"] = format_date(self.tick())
        if tracks is not None:
            self._playlist_tracks[p] = list(dict.fromkeys(tracks))
        self._touch_playlist(p)
        self._touch_user(self.playlist_owner(p))

    def delete_playlist(self, p: int) -> None:
        owner = self.playlist_owner(p)
        self._deleted_playlists.add(p)
        seq = self._playlists.find(p, p)
        if seq is not None:
            self._playlists.remove_seq(seq)
        own = self._user_playlists_mut(owner)
        base = p - self._playlist_start[owner] if owner < self._n_users0 else None
        s = own.find(p, base)
        if s is not None:
            own.remove_seq(s)
        self.tick()
        self._touch_playlist(p)
        self._touch_user(owner)

    def add_comment(self, t: int, u: int, body: str, timestamp: int | None) -> dict[str, Any]:
        cid = CREATED_COMMENT_ID_BASE + len(self._created_comments)
        self._created_comments[cid] = {
            "_track": t,
            "_user": u,
            "_created": self.tick(),
            "body": body,
            "timestamp": timestamp,
        }
        c = self._comments.get(t)
        if c is None:
            c = self._comments[t] = self.comments(t)
        c.append(cid)
        self._touch_track(t)
        return self.comment_dict(cid)

    def _add_edge(self, edges: _Relation, u: int, x: int, touch: Callable[[int], None]) -> bool:
        """``u`` gains an edge to ``x`` (follow, like, repost); ``False`` if it had one."""
        done = edges.add(u, x, self.tick())
        self._touch_user(u)
        touch(x)
        return done

    def _remove_edge(self, edges: _Relation, u: int, x: int, touch: Callable[[int], None]) -> bool:
        """``u`` loses its edge to ``x``; ``False`` if there was none."""
        done = edges.remove(u, x)
        self.tick()
        self._touch_user(u)
        touch(x)
        return done

    def follow(self, u: int, v: int) -> bool:
        """``u`` follows ``v``; ``False`` if already following."""
        return self._add_edge(self._follows, u, v, self._touch_user)

    def unfollow(self, u: int, v: int) -> bool:
        return self._remove_edge(self._follows, u, v, self._touch_user)

    def like_track(self, u: int, t: int) -> bool:
        return self._add_edge(self._likes, u, t, self._touch_track)

    def unlike_track(self, u: int, t: int) -> bool:
        return self._remove_edge(self._likes, u, t, self._touch_track)

    def like_playlist(self, u: int, p: int) -> bool:
        return self._add_edge(self._playlist_likes, u, p, self._touch_playlist)

    def unlike_playlist(self, u: int, p: int) -> bool:
        return self._remove_edge(self._playlist_likes, u, p, self._touch_playlist)

    def repost_track(self, u: int, t: int) -> bool:
        return self._add_edge(self._reposts, u, t, self._touch_track)

    def unrepost_track(self, u: int, t: int) -> bool:
        return self._remove_edge(self._reposts, u, t, self._touch_track)

    def repost_playlist(self, u: int, p: int) -> bool:
        return self._add_edge(self._playlist_reposts, u, p, self._touch_playlist)

    def unrepost_playlist(self, u: int, p: int) -> bool:
        return self._remove_edge(self._playlist_reposts, u, p, self._touch_playlist)

    def play(self, u: int, t: int) -> None:
        """Record that ``u`` played ``t`` (for ``/me/recently-played/tracks``)."""
        lst = self._recently_played.setdefault(u, [])
        if t in lst:
            lst.remove(t)
        lst.insert(0, t)
        del lst[25:]

    def recently_played(self, u: int) -> list[int]:
        lst = self._recently_played.get(u)
        if lst is None:
            liked = list(itertools.islice(self.liked_tracks(u).live_keys(newest_first=True), 25))
            lst = self._recently_played[u] = liked
        return list(lst)

    def upload_size(self, t: int) -> int | None:
        """Bytes received by the upload that created ``t`` (``None``: generated track)."""
        return self._uploads.get(t)

    # ------------------------------------------------------------------ convenience for tests

    def user(self, urn: str) -> dict[str, Any] | None:
        """The ``User`` dict of a URN, ``None`` if unknown."""
        u = self.user_index(urn)
        return None if u is None else self.user_dict(u)

    def track(self, urn: str) -> dict[str, Any] | None:
        t = self.track_index(urn)
        return None if t is None else self.track_dict(t)

    def playlist(self, urn: str) -> dict[str, Any] | None:
        p = self.playlist_index(urn)
        return None if p is None else self.playlist_dict(p)

    def me(self, urn: str) -> dict[str, Any] | None:
        u = self.user_index(urn)
        return None if u is None else self.me_dict(u)

    def short_link(self, track_urn: str) -> str | None:
        """``https://on.soundcloud.com/<code>`` for a track that has a short link."""
        t = self.track_index(track_urn)
        code = None if t is None else self.short_code(t)
        return None if code is None else f"https://on.soundcloud.com/{code}"

    def tracks_with_short_links(self) -> Iterator[str]:
        return (self.track_urn(t) for t in self._tracks.live_keys() if self.short_code(t))


_FAV_FALSE: Final = b',"user_favorite":false,"user":'
_FAV_TRUE: Final = b',"user_favorite":true,"user":'

_TRACK_FIELDS: Final = frozenset(
    _words(
        "title permalink sharing embeddable_by purchase_url description genre tag_list "
        "label_name release release_date streamable downloadable license commentable "
        "reveal_stats reveal_comments isrc purchase_title"
    )
)
_PLAYLIST_FIELDS: Final = frozenset(
    _words(
        "title description sharing ean genre label_name license permalink permalink_url "
        "purchase_title purchase_url release release_date set_type tag_list"
    )
)


def _clean_track_fields(fields: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in fields.items() if k in _TRACK_FIELDS}
    rd = out.pop("release_date", None)
    if isinstance(rd, str) and re.match(r"\d{4}-\d{2}-\d{2}", rd):
        out["release_year"], out["release_month"], out["release_day"] = (
            int(rd[:4]),
            int(rd[5:7]),
            int(rd[8:10]),
        )
    return out


def _clean_playlist_fields(fields: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in fields.items() if k in _PLAYLIST_FIELDS}
    if "set_type" in out:
        out["playlist_type"] = out["type"] = out["set_type"] or "playlist"
    if "tag_list" in out:
        out["tags"] = out["tag_list"] or None
    rd = out.pop("release_date", None)
    if isinstance(rd, str) and re.match(r"\d{4}-\d{2}-\d{2}", rd):
        out["release_year"], out["release_month"], out["release_day"] = (
            int(rd[:4]),
            int(rd[5:7]),
            int(rd[8:10]),
        )
    return out


def _merged(rec: dict[str, Any] | None, over: dict[str, Any] | None) -> dict[str, Any]:
    """Fields set at creation, then by updates (later wins)."""
    if not over:
        return rec or {}
    if not rec:
        return over
    return {**rec, **over}


def _identity(i: int) -> int:
    return i


def _code(n: int, length: int, *, raw: bool = False) -> str:
    out = []
    for _ in range(length):
        n, r = divmod(n, 62)
        out.append(_SHORT_ALPHABET[r])
    return "".join(reversed(out)) if raw else "".join(out)


def _split_tags(tag_list: str) -> list[str]:
    return re.findall(r'"[^"]*"|\S+', tag_list)
