"""A crawl's progress: jobs, the frontier, the visited set, and the checkpoint file.

The checkpoint is one JSON document, written atomically (a temporary file in the same
directory, fsynced, then renamed over the old one), so a crash leaves either the old
checkpoint or the new one, never half of one::

    {
      "format": "soundcloud_async.crawl/1",
      "crawl": {...},            # what the strategy was asked to do (checked on resume)
      "done": false,             # true once nothing is left to visit
      "seq": 1234,               # the next job's sequence number
      "sinks": [4096, null],     # each sink's position (JSONL: a byte offset)
      "visited": ["soundcloud:users:1", ...],
      "jobs": [                  # the frontier: started jobs first, then pending ones
        {"kind": "tracks", "urn": "soundcloud:users:7", "depth": 1, "seq": 12,
         "resume": {"url": "https://.../users/.../tracks?cursor=...", "skip": 17}},
        {"kind": "followings", "urn": "soundcloud:users:9", "depth": 1, "seq": 15,
         "resume": null},
        ...
      ],
      "counts": {"user": 10, "track": 120},
      "pages": 57
    }

``resume`` is the paginator :class:`~soundcloud_async.Checkpoint` of the items *delivered*
so far (written to the sinks or handed to the consumer), so a resumed job continues with
the first item not yet delivered.
"""

from __future__ import annotations

import heapq
import os
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs
import orjson

from soundcloud_async._errors import InvalidArgument
from soundcloud_async._pagination import Checkpoint

__all__ = ["FORMAT", "CrawlState", "Job", "Running", "read_checkpoint", "write_atomic"]

FORMAT = "soundcloud_async.crawl/1"


@attrs.frozen
class Job:
    """A unit of crawl work: one object or one collection of ``urn`` (``kind`` names it).

    ``depth`` is the distance from the seed in the strategy's graph; jobs run
    shallowest first.
    """

    kind: str
    urn: str
    depth: int = 0


@attrs.define(eq=False)
class Running:
    """A job taken from the frontier, and how far its results have been delivered.

    ``position`` is ``None`` until the first item is delivered (start from scratch, or
    from ``resume`` if the job was restored from a checkpoint).
    """

    job: Job
    seq: int
    position: Checkpoint | None = None


@attrs.define(eq=False)
class CrawlState:
    """The frontier (pending jobs), the started jobs, and the visited set.

    Everything here changes only in synchronous code, so it is consistent whenever
    another task runs: a snapshot needs no lock.
    """

    pending: dict[str, list[tuple[int, int, Job, Checkpoint | None]]] = attrs.Factory(dict)
    running: dict[int, Running] = attrs.Factory(dict)
    running_depths: Counter[tuple[str, int]] = attrs.Factory(Counter)
    visited: set[str] = attrs.Factory(set)
    seq: int = 0
    counts: Counter[str] = attrs.Factory(Counter)
    pages: int = 0
    jobs_done: int = 0

    # -- the frontier -------------------------------------------------------------------

    def push(self, job: Job, resume: Checkpoint | None = None, *, seq: int | None = None) -> None:
        """Add a job to the frontier (``resume``: where a restored job stood)."""
        if seq is None:
            seq = self.seq
            self.seq += 1
        heapq.heappush(self.pending.setdefault(job.kind, []), (job.depth, seq, job, resume))

    @property
    def pending_count(self) -> int:
        """Jobs waiting in the frontier."""
        return sum(len(h) for h in self.pending.values())

    @property
    def finished(self) -> bool:
        """Nothing pending and nothing running: the crawl is complete."""
        return not self.running and not any(self.pending.values())

    def take(self, level_ordered: frozenset[str]) -> Running | None:
        """The shallowest job that may start now, or ``None``.

        A job of a ``level_ordered`` kind at depth ``d`` waits until no job of that kind
        at a smaller depth is running: a breadth-first crawl then reaches every node at
        its true (smallest) depth, whatever the concurrency.
        """
        best: tuple[int, int, Job, Checkpoint | None] | None = None
        for kind, heap in self.pending.items():
            if not heap:
                continue
            head = heap[0]
            if kind in level_ordered and any(
                n and k == kind and d < head[0] for (k, d), n in self.running_depths.items()
            ):
                continue
            if best is None or head[:2] < best[:2]:
                best = head
        if best is None:
            return None
        depth, seq, job, resume = heapq.heappop(self.pending[best[2].kind])
        running = Running(job, seq, resume)
        self.running[seq] = running
        self.running_depths[(job.kind, depth)] += 1
        return running

    def finish(self, running: Running) -> None:
        """A started job delivered everything (or was given up)."""
        if self.running.pop(running.seq, None) is not None:
            key = (running.job.kind, running.job.depth)
            self.running_depths[key] -= 1
            if self.running_depths[key] <= 0:
                del self.running_depths[key]
            self.jobs_done += 1

    # -- serialisation ------------------------------------------------------------------

    def _frontier(self) -> Iterator[tuple[int, Job, Checkpoint | None]]:
        for running in sorted(self.running.values(), key=lambda r: r.seq):
            yield running.seq, running.job, running.position
        for heap in self.pending.values():
            for _, seq, job, resume in sorted(heap):
                yield seq, job, resume

    def snapshot(self, crawl: Mapping[str, Any], sinks: Iterable[Any]) -> dict[str, Any]:
        """The checkpoint document for the current state (synchronous: take it whole)."""
        return {
            "format": FORMAT,
            "crawl": dict(crawl),
            "done": self.finished,
            "seq": self.seq,
            "sinks": list(sinks),
            "visited": sorted(self.visited),
            "jobs": [
                {
                    "kind": job.kind,
                    "urn": job.urn,
                    "depth": job.depth,
                    "seq": seq,
                    "resume": None if resume is None else {"url": resume.url, "skip": resume.skip},
                }
                for seq, job, resume in self._frontier()
            ],
            "counts": dict(self.counts),
            "pages": self.pages,
        }

    @classmethod
    def restore(cls, doc: Mapping[str, Any]) -> CrawlState:
        """A state from :meth:`snapshot` output: every job goes back to the frontier.

        Raises:
            InvalidArgument: not a checkpoint of this format.
        """
        if not isinstance(doc, Mapping) or doc.get("format") != FORMAT:
            raise InvalidArgument(f"not a crawl checkpoint (expected format {FORMAT!r})")
        try:
            state = cls(
                visited=set(doc["visited"]),
                seq=int(doc["seq"]),
                counts=Counter({str(k): int(v) for k, v in doc.get("counts", {}).items()}),
                pages=int(doc.get("pages", 0)),
            )
            for raw in doc["jobs"]:
                job = Job(str(raw["kind"]), str(raw["urn"]), int(raw["depth"]))
                r = raw.get("resume")
                resume = None if r is None else Checkpoint(r["url"], int(r.get("skip", 0)))
                state.push(job, resume, seq=int(raw["seq"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidArgument(f"a damaged crawl checkpoint: {exc!r}") from exc
        return state


def write_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically and durably (temp file, fsync, rename)."""
    target = Path(path)
    directory = target.parent
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if hasattr(os, "O_DIRECTORY"):
        # The rename itself is durable only once the directory entry is.
        dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def read_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The checkpoint document at ``path``, or ``None`` if there is no file.

    Raises:
        InvalidArgument: the file is not JSON.
    """
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return None
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise InvalidArgument(f"{os.fspath(path)!r} is not a crawl checkpoint") from exc
    if not isinstance(doc, dict):
        raise InvalidArgument(f"{os.fspath(path)!r} is not a crawl checkpoint")
    return doc
