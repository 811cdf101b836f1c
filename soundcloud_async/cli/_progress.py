"""The crawl's live progress line and its summary, on stderr."""

from __future__ import annotations

import collections
import time
from collections.abc import Callable
from typing import TextIO

import anyio

from soundcloud_async._client import SoundCloud
from soundcloud_async._errors import (
    ConnectionLost,
    RateLimited,
    RequestTimeout,
    ServerError,
    TransportError,
)
from soundcloud_async._events import RetryScheduled
from soundcloud_async.crawl import Crawler, StoreStatus

__all__ = ["Progress"]

_KIND_ORDER = ("user", "track", "playlist")


def _reason(error: BaseException) -> str:
    if isinstance(error, RateLimited):
        return "429"
    if isinstance(error, ServerError):
        return "5xx"
    if isinstance(error, ConnectionLost):
        return "connection lost"
    if isinstance(error, RequestTimeout):
        return "timeout"
    if isinstance(error, TransportError):
        return "connect"
    return type(error).__name__


def _plural(kind: str, n: int) -> str:
    return f"{n:,} {kind}{'' if n == 1 else 's'}"


class Progress:
    """Draws ``crawler.progress`` and ``sc.stats`` on ``stream`` while a crawl runs.

    On a terminal: one line redrawn in place every ``tty_interval`` seconds. Otherwise
    (a pipe, a log file, CI): a plain line every ``line_interval`` seconds.
    """

    def __init__(
        self,
        sc: SoundCloud,
        crawler: Crawler,
        stream: TextIO,
        *,
        tty_interval: float = 0.25,
        line_interval: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sc = sc
        self.crawler = crawler
        self.stream = stream
        self.tty = stream.isatty()
        self.interval = tty_interval if self.tty else line_interval
        self.clock = clock
        self.started = clock()
        self.retry_reasons: collections.Counter[str] = collections.Counter()
        self._samples: collections.deque[tuple[float, int]] = collections.deque(maxlen=64)
        self._samples.append((self.started, sc.stats.requests))
        self._drawn = False
        sc.hooks.retry_scheduled.append(self._on_retry)

    def _on_retry(self, event: RetryScheduled) -> None:
        self.retry_reasons[_reason(event.error)] += 1

    def _objects(self) -> str:
        objects = self.crawler.progress.objects
        kinds = [k for k in _KIND_ORDER if k in objects] + sorted(
            k for k in objects if k not in _KIND_ORDER
        )
        if not kinds:
            return "0 objects"
        return "  ".join(_plural(k, objects[k]) for k in kinds)

    def rate(self) -> float:
        """Requests per second over the last few seconds."""
        now, requests = self.clock(), self.sc.stats.requests
        self._samples.append((now, requests))
        while len(self._samples) > 2 and now - self._samples[0][0] > 3.0:
            self._samples.popleft()
        t0, r0 = self._samples[0]
        return (requests - r0) / (now - t0) if now > t0 else 0.0

    def line(self) -> str:
        """The progress line."""
        p, s = self.crawler.progress, self.sc.stats
        elapsed = int(self.clock() - self.started)
        return (
            f"{self._objects()} | {p.pages:,} pages | {self.rate():5.1f} req/s"
            f" | 429s absorbed {s.rate_limited} | retries {s.retries}"
            f" | frontier {p.pending + p.running:,} | {elapsed // 60}:{elapsed % 60:02d}"
        )

    def draw(self) -> None:
        """Write the line once (redrawn in place on a terminal)."""
        if self.tty:
            self.stream.write("\r" + self.line() + "\x1b[K")
            self._drawn = True
        else:
            self.stream.write(self.line() + "\n")
        self.stream.flush()

    async def run(self) -> None:
        """Draw until cancelled."""
        while True:
            await anyio.sleep(self.interval)
            self.draw()

    def finish(self) -> None:
        """End the in-place line, if one was drawn."""
        if self._drawn:
            self.stream.write("\r" + self.line() + "\x1b[K\n")
            self.stream.flush()
            self._drawn = False

    def summary(
        self,
        *,
        outcome: str,
        status: StoreStatus,
        out: str | None = None,
        exported: int | None = None,
    ) -> str:
        """The closing report: what the crawl holds, how polite it was, what is missing."""
        p, s = self.crawler.progress, self.sc.stats
        elapsed = max(self.clock() - self.started, 1e-9)
        reasons = ", ".join(f"{k} x{n}" for k, n in self.retry_reasons.most_common())
        jobs = status.jobs
        lines = [
            f"{outcome}: {self._objects()} in {elapsed:.1f} s",
            f"  {p.pages:,} pages, {s.requests:,} requests ({s.requests / elapsed:.1f} req/s),"
            f" {p.visited:,} users visited",
            f"  politeness: {s.rate_limited} rate-limit answers (429) absorbed,"
            f" {s.retries} retries{f' ({reasons})' if reasons else ''}",
            # Summed over requests that wait side by side, so the total can exceed the
            # run's length many times over: the average per request is the telling figure.
            f"  waiting: {s.waited / max(s.requests, 1):.2f} s per request on average, for the"
            f" rate limiter or a retry ({s.waited:.1f} s summed over {s.requests:,} requests"
            " that wait side by side)",
        ]
        left = sum(jobs.get(k, 0) for k in ("pending", "running", "set_aside"))
        if left:
            lines.append(
                f"  to do: {jobs.get('pending', 0):,} jobs pending, "
                f"{jobs.get('running', 0):,} running, {jobs.get('set_aside', 0):,} set aside"
            )
        missing = [
            f"{jobs[k]:,} {label}"
            for k, label in (
                ("failed", "failed after every retry"),
                ("forbidden", "forbidden (403)"),
                ("gone", "gone (404)"),
            )
            if jobs.get(k)
        ]
        missing += [f"{n:,} {kind} item(s) without a URN" for kind, n in status.invalid.items()]
        if missing:
            lines.append("  not fetched: " + ", ".join(missing))
            for problem in status.problems:
                if problem.state == "set_aside":
                    continue
                lines.append(
                    f"    {problem.state}: {problem.kind} {problem.urn}: {problem.error or ''}"
                )
        elif jobs.get("set_aside"):
            lines.append(f"  set aside (to be retried): {jobs['set_aside']:,} jobs")
        lines.append(f"  store: {status.location}")
        if out is not None and exported is not None:
            lines.append(f"  exported {exported:,} objects to {out}")
        return "\n".join(lines)
