"""What to crawl: job kinds, the :class:`Strategy` protocol, and :class:`FollowGraph`."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal, Protocol

import attrs

from soundcloud_async._errors import InvalidArgument
from soundcloud_async._pagination import Checkpoint, Paginator, validate_limit
from soundcloud_async._urn import to_urn
from soundcloud_async.crawl._store import Job

if TYPE_CHECKING:
    from soundcloud_async._client import SoundCloud

__all__ = ["Direction", "FollowGraph", "JobKind", "Strategy", "object_urn"]

Direction = Literal["followings", "followers", "both"]


@attrs.frozen
class JobKind:
    """How to run jobs of one kind.

    Exactly one of ``paginate`` (a collection: return its paginator, resuming from the
    checkpoint when one is given) and ``fetch`` (one object) is set.

    Attributes:
        name: the job kind (``"tracks"``).
        emits: the kind of object its items are (``"track"``), as stored and exported.
        paginate: ``(client, urn, resume_from) -> Paginator``.
        fetch: ``async (client, urn) -> object``.
        level_ordered: run these jobs depth by depth (no job of this kind at depth
            ``d + 1`` starts while one at depth ``d`` is pending, running or set aside,
            in any worker). Set it on the kind that discovers the next level of a
            breadth-first crawl.
    """

    name: str
    emits: str
    paginate: Callable[[SoundCloud, str, Checkpoint | None], Paginator[Any]] | None = None
    fetch: Callable[[SoundCloud, str], Awaitable[Any]] | None = None
    level_ordered: bool = False

    def __attrs_post_init__(self) -> None:
        if (self.paginate is None) == (self.fetch is None):
            raise InvalidArgument(f"job kind {self.name!r} needs exactly one of paginate, fetch")


class Strategy(Protocol):
    """What to crawl: the job kinds, the seeds, and the jobs each new object adds."""

    @property
    def job_kinds(self) -> Mapping[str, JobKind]:
        """Job kinds by name."""
        ...

    @property
    def dedupe(self) -> frozenset[str]:
        """Object kinds that are graph nodes: expanded once per URN (the first delivery)."""
        ...

    def describe(self) -> dict[str, Any]:
        """JSON-ready parameters; a store continues only the crawl it describes."""
        ...

    def seeds(self) -> Iterable[Job]:
        """The first jobs of a fresh crawl."""
        ...

    def expand(self, job: Job, kind: str, obj: Any) -> Iterable[Job]:
        """New jobs for ``obj`` (of ``kind``), delivered by ``job``."""
        ...


_URN_CHARS = re.compile(r"[!-~]{1,300}")  # printable ASCII, no space: every real URN


def object_urn(kind: str, obj: Any) -> str | None:
    """The URN of a model or a JSON object (from ``urn``, else ``kind`` and ``id``).

    ``None`` when the object has neither, or only one no store should key a row by
    (control characters, spaces, non-ASCII, over 300 characters): it cannot be stored.
    """
    if isinstance(obj, dict):
        urn, ident = obj.get("urn"), obj.get("id")
    else:
        urn, ident = getattr(obj, "urn", None), getattr(obj, "id", None)
    if isinstance(urn, str) and urn:
        return urn if _URN_CHARS.fullmatch(urn) else None
    if isinstance(ident, bool) or not isinstance(ident, (int, str)) or ident in ("", None):
        return None
    made = f"soundcloud:{kind}s:{ident}"
    return made if _URN_CHARS.fullmatch(made) else None


class FollowGraph:
    """Breadth-first over the follow graph from ``seed`` to ``depth``, with every reached
    user's tracks and playlists.

    Depth 0 is the seed alone; depth ``n`` adds the users ``n`` follow-hops away. Each
    reached user is stored once (``"user"``), with all of their tracks (``"track"``,
    every access level the token may see) and playlists (``"playlist"``).

    Args:
        seed: the seed user's URN (or id, or API URL).
        depth: follow hops from the seed, ``>= 0``.
        direction: hop along whom users follow (``"followings"``, the default), who
            follows them (``"followers"``: popular accounts make long jobs), or both.
        tracks: crawl each user's tracks.
        playlists: crawl each user's playlists.
        playlist_tracks: include each playlist's track list (bigger pages).
        page_size: items per page, 1..200.
    """

    dedupe = frozenset({"user"})

    def __init__(
        self,
        seed: str,
        *,
        depth: int = 1,
        direction: Direction = "followings",
        tracks: bool = True,
        playlists: bool = True,
        playlist_tracks: bool = False,
        page_size: int = 200,
    ) -> None:
        if isinstance(depth, bool) or not isinstance(depth, int) or depth < 0:
            raise InvalidArgument(f"depth must be a non-negative integer, not {depth!r}")
        if direction not in ("followings", "followers", "both"):
            raise InvalidArgument(
                f"direction must be 'followings', 'followers' or 'both', not {direction!r}"
            )
        validate_limit(page_size)
        self.seed = str(to_urn(seed, "users"))
        self.depth = depth
        self.direction: Direction = direction
        self.tracks = tracks
        self.playlists = playlists
        self.playlist_tracks = playlist_tracks
        self.page_size = page_size
        size = page_size
        show = playlist_tracks
        kinds = [
            JobKind("user", "user", fetch=lambda sc, urn: sc.users.get(urn)),
            JobKind(
                "followings",
                "user",
                paginate=lambda sc, urn, cp: sc.users.iter_followings(
                    urn, limit=size, resume_from=cp
                ),
                level_ordered=True,
            ),
            JobKind(
                "followers",
                "user",
                paginate=lambda sc, urn, cp: sc.users.iter_followers(
                    urn, limit=size, resume_from=cp
                ),
                level_ordered=True,
            ),
            JobKind(
                "tracks",
                "track",
                paginate=lambda sc, urn, cp: sc.users.iter_tracks(
                    urn, access=["playable", "preview", "blocked"], limit=size, resume_from=cp
                ),
            ),
            JobKind(
                "playlists",
                "playlist",
                paginate=lambda sc, urn, cp: sc.users.iter_playlists(
                    urn, show_tracks=show, limit=size, resume_from=cp
                ),
            ),
        ]
        self.job_kinds: Mapping[str, JobKind] = {k.name: k for k in kinds}
        self._hops = ("followings", "followers") if direction == "both" else (direction,)

    def __repr__(self) -> str:
        return f"FollowGraph({self.seed!r}, depth={self.depth}, direction={self.direction!r})"

    def describe(self) -> dict[str, Any]:
        """The crawl's parameters."""
        described: dict[str, Any] = {
            "strategy": "follow-graph",
            "seed": self.seed,
            "depth": self.depth,
            "tracks": self.tracks,
            "playlists": self.playlists,
            "playlist_tracks": self.playlist_tracks,
            "page_size": self.page_size,
        }
        if self.direction != "followings":
            # Only named when not the default, so stores of earlier crawls still match.
            described["direction"] = self.direction
        return described

    def seeds(self) -> list[Job]:
        """The seed user's profile."""
        return [Job("user", self.seed, 0)]

    def expand(self, job: Job, kind: str, obj: Any) -> list[Job]:
        """A newly reached user's tracks, playlists and (above ``depth``) next hops."""
        if kind != "user":
            return []
        urn = object_urn("user", obj)
        if urn is None:
            return []
        depth = job.depth if job.kind == "user" else job.depth + 1
        jobs = []
        if self.tracks:
            jobs.append(Job("tracks", urn, depth))
        if self.playlists:
            jobs.append(Job("playlists", urn, depth))
        if depth < self.depth:
            jobs.extend(Job(hop, urn, depth) for hop in self._hops)
        return jobs
