"""Benchmark the in-process token bucket: fast-path cost and achieved rate in real time.

Usage::

    .venv/bin/python benchmarks/bench_ratelimit.py            # 5 s per rate
    .venv/bin/python benchmarks/bench_ratelimit.py --seconds 20

(a) The cost of an ``acquire()`` that does not wait, against an empty ``await`` measured
    in the same run (compare the ratio, not the absolute figures, between machines).
(b) For 50 and 500 requests/s, many tasks loop ``acquire()`` + a simulated request for
    ``--seconds`` of real time. Checks that the steady rate is within +-1% of the
    configured one and that no sliding window of ``w`` seconds admits more than
    ``burst + rate * w`` requests.

Exits with status 1 if a check fails.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness

from soundcloud_async._ratelimit import TokenBucket

WINDOWS = (0.02, 0.1, 1.0)


async def _noop() -> None:
    return None


async def fast_path(n: int, repeats: int) -> tuple[float, float]:
    """Best-of-``repeats`` seconds per call: (empty await, non-waiting acquire)."""
    bucket = TokenBucket(1e15, burst=1e15)
    acquire = bucket.acquire
    best_base = best_acq = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(n):
            await _noop()
        t1 = time.perf_counter()
        for _ in range(n):
            await acquire()
        t2 = time.perf_counter()
        best_base = min(best_base, (t1 - t0) / n)
        best_acq = min(best_acq, (t2 - t1) / n)
    assert bucket.waited == 0.0, "the fast-path benchmark must never wait"
    return best_base, best_acq


async def feedback_cost(n: int, repeats: int) -> float:
    """Best-of-``repeats`` seconds per ``feedback(throttled=False)`` (adaptive, at ceiling)."""
    bucket = TokenBucket(100.0, adaptive=True)
    feedback = bucket.feedback
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(n):
            await feedback(throttled=False)
        best = min(best, (time.perf_counter() - t0) / n)
    return best


def worst_window(stamps: list[float], width: float) -> int:
    """The most stamps falling in any closed window ``[t, t + width]``."""
    worst = 0
    j = 0
    for i, t in enumerate(stamps):
        while stamps[j] < t - width:
            j += 1
        worst = max(worst, i - j + 1)
    return worst


async def achieved_rate(
    rate: float, tasks: int, seconds: float, latency: float
) -> tuple[bool, float, float]:
    """Saturate a bucket with ``tasks`` workers for ``seconds``; print and check figures."""
    bucket = TokenBucket(rate)
    start = time.monotonic()
    stamps: list[float] = []

    async def worker() -> None:
        rnd = random.Random()
        while True:
            await bucket.acquire()
            stamps.append(time.monotonic())
            # A request in flight: the worker comes back for a token afterwards.
            await asyncio.sleep(rnd.uniform(0, 2 * latency))

    workers = [asyncio.create_task(worker()) for _ in range(tasks)]
    await asyncio.sleep(seconds)
    end = time.monotonic()
    for w in workers:
        w.cancel()
    await asyncio.gather(*workers, return_exceptions=True)

    stamps = [t for t in stamps if t <= end]
    elapsed = end - start
    burst = bucket.burst
    admitted = len(stamps)
    bound = burst + rate * elapsed
    # The steady rate: everything after the initial burst, over the time it took.
    steady = (admitted - burst) / (stamps[-1] - start)
    ok = abs(steady / rate - 1) <= 0.01 and admitted <= bound + 1
    print(
        f"  rate {rate:>5g}/s  tasks {tasks:>5}  {elapsed:5.2f}s  admitted {admitted:>6}"
        f"  bound burst+rate*t {bound:8.1f}  admitted/bound {admitted / bound:.4f}"
        f"  steady {steady:8.2f}/s  steady/rate {steady / rate:.4f}"
        f"  waited {bucket.waited:.0f} task-s"
    )
    worst_ratio = 0.0
    for width in WINDOWS:
        worst = worst_window(stamps, width)
        limit = burst + rate * width
        within = worst <= limit + 1e-6
        ok = ok and within
        worst_ratio = max(worst_ratio, worst / limit)
        print(
            f"      worst {width:>4g}s window: {worst:>5} admitted, limit {limit:7.1f}"
            f"  ratio {worst / limit:.3f}  {'ok' if within else 'EXCEEDED'}"
        )
    return ok, steady / rate, worst_ratio


async def main(seconds: float) -> int:
    n, repeats = 200_000, 5
    base, acq = await fast_path(n, repeats)
    print(f"(a) non-waiting acquire(), best of {repeats} x {n:,} calls")
    print(f"  empty await        {base * 1e6:6.3f} us")
    print(f"  bucket.acquire()   {acq * 1e6:6.3f} us   ratio to empty await {acq / base:.2f}")
    print(f"  acquire overhead   {(acq - base) * 1e6:6.3f} us over the empty await")
    fb = await feedback_cost(n, repeats)
    print(f"  feedback(ok)       {fb * 1e6:6.3f} us   (adaptive bucket at its ceiling)")
    print(f"(b) achieved rate over {seconds:g} s of real time, simulated 50 ms requests")
    ok = True
    accuracy = []
    for rate, tasks in ((50.0, 200), (500.0, 2000)):
        good, steady, worst = await achieved_rate(rate, tasks, seconds, latency=0.05)
        ok = ok and good
        accuracy.append(f"{rate:g}/s: steady {steady:.4f}x, worst window {worst:.3f}x")
    _harness.summary(
        "limiter accuracy (real time)",
        "; ".join(accuracy),
        "steady within 1%, windows <= burst + rate*t",
        ok,
    )
    _harness.summary(
        "limiter acquire() cost (not waiting)",
        f"{acq * 1e6:.3f} us ({acq / base:.2f}x an empty await); feedback(ok) {fb * 1e6:.3f} us",
        "< 2 us",
        acq < 2e-6,
    )
    ok = ok and acq < 2e-6
    print("all checks passed" if ok else "SOME CHECKS FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="real seconds per rate")
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.seconds)))
