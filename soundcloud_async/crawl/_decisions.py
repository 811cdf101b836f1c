"""The crawl's decisions, as plain functions: no database, no I/O, time passed in.

Both stores (SQLite and PostgreSQL) and the engine call these, so the rules are written
and tested once:

- what a job's stored position looks like (relative to the API base, secret-free);
- which jobs may start now (breadth-first order across every worker);
- what a failed job becomes (gone, forbidden, set aside for a retry, failed for good,
  or the end of the crawl);
- when a set-aside job is retried, and when a worker is dead (an expired lease is
  checked by the claim queries themselves);
- how each state change moves the per-worker tallies that ``status`` sums.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Mapping
from typing import Final

from yarl import URL

from soundcloud_async._errors import (
    SECRET_PARAMS,
    AuthError,
    ClientStateError,
    Forbidden,
    InvalidArgument,
    NotFound,
    SoundCloudError,
    Unauthorized,
)

__all__ = [
    "ACTIVE_STATES",
    "JobState",
    "Outcome",
    "allowed_depth",
    "claim_order",
    "outcome_for",
    "relative_position",
    "retry_delay",
    "set_aside_plan",
    "transition",
]


class JobState(str, enum.Enum):
    """Where a job stands. ``pending`` / ``running`` / ``set_aside`` are still to do."""

    PENDING = "pending"
    RUNNING = "running"
    SET_ASIDE = "set_aside"
    DONE = "done"
    GONE = "gone"
    FORBIDDEN = "forbidden"
    FAILED = "failed"


#: States of a job the crawl still has to finish (the crawl is done when none is left).
ACTIVE_STATES: Final = frozenset({"pending", "running", "set_aside"})

#: What a claim may take, as ``(state, the time column that must have passed or None)``:
#: pending jobs, running jobs whose lease ran out, set-aside jobs whose retry time came.
#: The stores query each separately, so that each walks its own range of the
#: ``(state, kind, depth, id)`` index.
CLAIMABLE: Final = (("pending", None), ("running", "lease_until"), ("set_aside", "retry_at"))

#: The ``crawl_jobs`` columns a claim reads, in the order the stores unpack them.
CLAIM_COLUMNS: Final = "id, kind, urn, depth, state, position, skip, attempts"


# -- positions ----------------------------------------------------------------------------


def relative_position(url: str | None, base_url: str) -> str | None:
    """The part of a paginator position worth storing: path and query, no secret.

    A position relative to the API base lets a crawl continue against another base URL
    (a fake server on a new port, a proxy); secret query parameters (a legacy
    ``consumer_key``) are dropped: the paginator puts its own back on resume.

    >>> relative_position("https://api.soundcloud.com/users/x/tracks?cursor=9", "https://api.soundcloud.com")
    '/users/x/tracks?cursor=9'
    """
    if url is None:
        return None
    base = base_url.rstrip("/")
    if url.startswith(base + "/"):
        url = url[len(base) :]
    parsed = URL(url, encoded=True)
    query = [(k, v) for k, v in parsed.query.items() if k.lower() not in SECRET_PARAMS]
    path = parsed.raw_path or "/"
    if not path.startswith("/"):
        path = "/" + path
    text = path if not query else str(URL(path, encoded=True).with_query(query))
    # A hostile next_href may carry raw control characters: stored percent-encoded.
    return "".join(f"%{ord(c):02X}" if ord(c) < 0x20 or ord(c) == 0x7F else c for c in text)


# -- scheduling ---------------------------------------------------------------------------


def allowed_depth(kind: str, floors: Mapping[str, int], level_ordered: Iterable[str]) -> float:
    """The deepest job of ``kind`` that may start now.

    A job of a level-ordered kind (the one that discovers the next level of a
    breadth-first crawl) waits while a job of the same kind at a smaller depth is still
    pending, running or set aside anywhere in the crawl, so every node is reached at its
    true (smallest) depth whatever the number of workers. ``floors`` maps each kind to
    the smallest depth among its active jobs.
    """
    if kind in level_ordered and kind in floors:
        return floors[kind]
    return math.inf


def claim_order(depth: int, job_id: int) -> tuple[int, int]:
    """Jobs start shallowest first, then in creation order."""
    return depth, job_id


def owner_is_dead(owner_host: str, owner_pid: int, my_host: str, alive: bool | None) -> bool:
    """Whether a worker can be declared dead without waiting for its leases to expire.

    Only a worker on this host can be checked (``alive``: whether its pid runs); one on
    another machine is dead only when its leases run out.
    """
    return owner_host == my_host and alive is False


# -- failures -----------------------------------------------------------------------------


class Outcome(str, enum.Enum):
    """What a job's failure means for the crawl."""

    GONE = "gone"  # a real 404: nothing to fetch, recorded
    FORBIDDEN = "forbidden"  # a real 403 (SoundCloud's own answer): recorded
    SET_ASIDE = "set_aside"  # anything else the client gave up on: retried later
    FATAL = "fatal"  # the crawl cannot go on (credentials refused, a bug, a closed client)


def outcome_for(exc: BaseException) -> Outcome:
    """Sort a job's exception into gone / forbidden / set aside / fatal.

    A 403 or 401 that is not SoundCloud's own JSON answer (a CloudFront HTML page, an
    empty body) is a gateway refusal, often transient: the job is set aside and retried,
    never recorded as forbidden. A real 401 means the credentials are refused: every
    other job would fail the same way, so the crawl stops.
    """
    if isinstance(exc, (Unauthorized, Forbidden)) and exc.from_gateway:
        return Outcome.SET_ASIDE
    if isinstance(exc, NotFound):
        return Outcome.GONE
    if isinstance(exc, Forbidden):
        return Outcome.FORBIDDEN
    if isinstance(exc, (Unauthorized, AuthError, ClientStateError, InvalidArgument)):
        return Outcome.FATAL
    if isinstance(exc, SoundCloudError):
        return Outcome.SET_ASIDE
    return Outcome.FATAL


def retry_delay(attempts: int, base: float, cap: float) -> float:
    """Seconds before a job set aside ``attempts`` times is tried again (exponential)."""
    return min(cap, base * 3.0 ** max(0, min(attempts - 1, 60)))


def set_aside_plan(
    attempts: int, max_attempts: int, now: float, base: float, cap: float
) -> tuple[str, float | None]:
    """The state and retry time of a job that just failed for the ``attempts``-th time.

    Returns ``("set_aside", retry_at)`` while attempts remain, else ``("failed", None)``.
    """
    if attempts >= max_attempts:
        return JobState.FAILED.value, None
    return JobState.SET_ASIDE.value, now + retry_delay(attempts, base, cap)


# -- tallies ------------------------------------------------------------------------------


def transition(old: str, new: str) -> dict[str, int]:
    """The tally deltas of one job moving from state ``old`` to ``new``."""
    if old == new:
        return {}
    return {f"jobs:{old}": -1, f"jobs:{new}": 1}


def merge_deltas(*deltas: Mapping[str, int]) -> dict[str, int]:
    """Sum tally deltas, dropping zeros."""
    out: dict[str, int] = {}
    for d in deltas:
        for k, v in d.items():
            out[k] = out.get(k, 0) + v
    return {k: v for k, v in out.items() if v}
