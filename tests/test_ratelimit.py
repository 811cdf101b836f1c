"""Tests for the rate limiters: nothing sleeps for real, time moves by ManualClock."""

from __future__ import annotations

import asyncio
import math
from collections import Counter

import pytest

from soundcloud_async._clock import ManualClock
from soundcloud_async._ratelimit import RateLimiter, TokenBucket, Unlimited


def make_bucket(
    rate: float, burst: float | None = None, **kwargs: object
) -> tuple[ManualClock, TokenBucket]:
    clock = ManualClock()
    bucket = TokenBucket(rate, burst, clock=clock, sleep=clock.sleep, **kwargs)  # type: ignore[arg-type]
    return clock, bucket


async def drain(bucket: TokenBucket) -> None:
    for _ in range(int(bucket.burst)):
        await bucket.acquire()


async def timed(
    bucket: TokenBucket,
    clock: ManualClock,
    log: list[tuple[str, float]],
    name: str,
    cost: float = 1.0,
) -> None:
    await bucket.acquire(cost)
    log.append((name, clock.now()))


def rounded(log: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """Names and completion times, rounded off float noise for exact comparison."""
    return [(name, round(t, 9)) for name, t in log]


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


async def cancel_all(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


class TestValidation:
    @pytest.mark.parametrize("rate", [0, -1, math.nan, math.inf])
    def test_rate_must_be_positive_and_finite(self, rate: float) -> None:
        """A rate that is not a positive finite number is refused."""
        with pytest.raises(ValueError, match="rate must be"):
            TokenBucket(rate)

    @pytest.mark.parametrize("burst", [0, 0.5, -1, math.nan, math.inf])
    def test_burst_must_be_at_least_one(self, burst: float) -> None:
        """A burst below one token (or not finite) is refused."""
        with pytest.raises(ValueError, match="burst must be"):
            TokenBucket(10, burst)

    @pytest.mark.parametrize("min_rate", [0, -1, 11])
    def test_min_rate_must_be_within_zero_and_rate(self, min_rate: float) -> None:
        """A min_rate outside (0, rate] is refused."""
        with pytest.raises(ValueError, match="min_rate must be"):
            TokenBucket(10, min_rate=min_rate)

    @pytest.mark.parametrize("cost", [0, -1, 10.5, math.nan])
    async def test_cost_must_fit_the_bucket(self, cost: float) -> None:
        """A cost that is not positive or exceeds the burst is refused, not queued forever."""
        _, bucket = make_bucket(10)
        with pytest.raises(ValueError, match="cost must be"):
            await bucket.acquire(cost)
        assert 0 == bucket.acquired
        assert 0 == bucket.waiting

    @pytest.mark.parametrize("pause", [-1, math.nan, math.inf])
    async def test_pause_must_be_finite_and_not_negative(self, pause: float) -> None:
        """A negative or non-finite pause is refused."""
        _, bucket = make_bucket(10)
        with pytest.raises(ValueError, match="pause must be"):
            await bucket.feedback(throttled=True, pause=pause)

    @pytest.mark.parametrize(("rate", "burst"), [(0.5, 1.0), (1, 1.0), (50, 50.0), (2.5, 2.5)])
    def test_default_burst_is_one_second_of_rate_but_at_least_one(
        self, rate: float, burst: float
    ) -> None:
        """The default burst is max(1, rate)."""
        assert burst == TokenBucket(rate).burst

    def test_default_min_rate_is_a_hundredth_of_rate(self) -> None:
        """The default floor of the adaptive rate is rate / 100."""
        assert 0.5 == TokenBucket(50, adaptive=True).min_rate


class TestFastPath:
    async def test_non_waiting_acquire_never_suspends(self) -> None:
        """An acquire that finds tokens completes on its first step, without yielding."""
        clock, bucket = make_bucket(10)
        coro = bucket.acquire()
        with pytest.raises(StopIteration):
            coro.send(None)
        assert 1 == bucket.acquired
        assert [] == clock.sleeps

    async def test_burst_is_admitted_at_once_then_waits(self) -> None:
        """A full bucket admits `burst` units immediately, and the next one waits 1/rate."""
        clock, bucket = make_bucket(10, burst=3)
        for _ in range(3):
            await bucket.acquire()
        assert [] == clock.sleeps
        log: list[tuple[str, float]] = []
        task = asyncio.create_task(timed(bucket, clock, log, "x"))
        await settle()
        assert [] == log
        await clock.run_until_idle()
        await task
        assert [("x", 0.1)] == rounded(log)

    async def test_idle_refills_only_up_to_burst(self) -> None:
        """After a long idle period the bucket holds `burst` tokens, not more."""
        clock, bucket = make_bucket(5, burst=4)
        await drain(bucket)
        await clock.advance(1000)
        for _ in range(4):
            await bucket.acquire()
        assert [] == clock.sleeps
        task = asyncio.create_task(bucket.acquire())
        await settle()
        assert not task.done()
        await clock.run_until_idle()
        await task
        assert pytest.approx(1000.2) == clock.now()


class TestRate:
    async def test_long_window_admits_rate_times_seconds_plus_burst(self) -> None:
        """Over 10 simulated seconds at 50/s, 50 busy tasks get 50 * 10 + burst admissions."""
        clock, bucket = make_bucket(50)
        times: list[float] = []

        async def worker() -> None:
            while True:
                await bucket.acquire()
                times.append(clock.now())

        tasks = [asyncio.create_task(worker()) for _ in range(50)]
        await settle()
        await clock.advance_to(10.0)
        await cancel_all(tasks)
        admitted = sum(1 for t in times if t <= 10.0)
        assert abs(50 * 10 + 50 - admitted) <= 1

    async def test_no_window_exceeds_burst_plus_rate(self) -> None:
        """In any window of w seconds, at most burst + rate * w units are admitted."""
        clock, bucket = make_bucket(20, burst=5)
        times: list[float] = []

        async def worker() -> None:
            while True:
                await bucket.acquire()
                times.append(clock.now())

        tasks = [asyncio.create_task(worker()) for _ in range(10)]
        await settle()
        await clock.advance_to(5.0)
        await cancel_all(tasks)
        for w in (0.0, 0.1, 1.0):
            j = 0
            worst = 0
            for i, t in enumerate(times):
                while times[j] < t - w - 1e-9:
                    j += 1
                worst = max(worst, i - j + 1)
            assert worst <= 5 + 20 * w + 1e-6

    async def test_costs_are_charged_in_tokens(self) -> None:
        """A request of cost 3 takes three tokens' worth of time at the rate."""
        clock, bucket = make_bucket(10, burst=3)
        await bucket.acquire(3)
        log: list[tuple[str, float]] = []
        task = asyncio.create_task(timed(bucket, clock, log, "big", 3))
        await clock.run_until_idle()
        await task
        assert [("big", 0.3)] == rounded(log)


class TestFifo:
    async def test_mixed_costs_are_served_in_arrival_order(self) -> None:
        """A small request never overtakes an earlier big one, even when it would fit."""
        clock, bucket = make_bucket(1, burst=5)
        await drain(bucket)
        log: list[tuple[str, float]] = []
        tasks = [
            asyncio.create_task(timed(bucket, clock, log, name, cost))
            for name, cost in [("a", 5), ("b", 1), ("c", 2), ("d", 1)]
        ]
        await settle()
        await clock.advance_to(1.5)  # one token is there: "b" would fit but must wait
        assert [] == log
        await clock.run_until_idle()
        await asyncio.gather(*tasks)
        assert [("a", 5.0), ("b", 6.0), ("c", 8.0), ("d", 9.0)] == rounded(log)

    async def test_new_arrival_queues_behind_waiters(self) -> None:
        """An acquire arriving while others wait joins the queue instead of taking tokens."""
        clock, bucket = make_bucket(2, burst=2)
        await drain(bucket)
        log: list[tuple[str, float]] = []
        first = asyncio.create_task(timed(bucket, clock, log, "first", 2))
        await settle()
        await clock.advance_to(0.75)  # 1.5 tokens: enough for a cost-1 newcomer
        late = asyncio.create_task(timed(bucket, clock, log, "late"))
        await settle()
        assert not late.done()
        await clock.run_until_idle()
        await asyncio.gather(first, late)
        assert ["first", "late"] == [n for n, _ in log]
        assert [pytest.approx(1.0), pytest.approx(1.5)] == [t for _, t in log]


class TestWakeOne:
    async def test_only_the_head_sleeps_on_the_clock(self) -> None:
        """However many waiters are queued, exactly one of them sleeps on the clock."""
        clock, bucket = make_bucket(10)
        await drain(bucket)
        tasks = [asyncio.create_task(bucket.acquire()) for _ in range(100)]
        await settle()
        assert 1 == clock.sleepers
        assert 100 == bucket.waiting
        await cancel_all(tasks)

    async def test_waiters_are_released_one_per_token_interval(self) -> None:
        """Stepping the clock by 1/rate completes exactly one waiter per step."""
        clock, bucket = make_bucket(10)
        await drain(bucket)
        done: list[float] = []

        async def waiter() -> None:
            await bucket.acquire()
            done.append(clock.now())

        tasks = [asyncio.create_task(waiter()) for _ in range(30)]
        await settle()
        per_step = []
        for step in range(1, 31):
            before = len(done)
            await clock.advance_to(step / 10 + 1e-9)  # deadlines carry float rounding
            per_step.append(len(done) - before)
            assert clock.sleepers <= 1
        await asyncio.gather(*tasks)
        assert [1] * 30 == per_step

    async def test_after_a_long_pause_waiters_do_not_wake_as_a_herd(self) -> None:
        """Jumping far past a pause releases waiters one by one at their own deadlines."""
        clock, bucket = make_bucket(10)
        done: list[float] = []

        async def waiter() -> None:
            await bucket.acquire()
            done.append(clock.now())

        await bucket.feedback(throttled=True, pause=60)
        tasks = [asyncio.create_task(waiter()) for _ in range(20)]
        await settle()
        await clock.advance_to(1000)
        await asyncio.gather(*tasks)
        assert [pytest.approx(60 + k / 10) for k in range(1, 21)] == done


class TestCancellation:
    async def test_cancelled_head_takes_no_token_and_next_becomes_head(self) -> None:
        """Cancelling the sleeping head hands its place to the next waiter at once."""
        clock, bucket = make_bucket(1)
        await drain(bucket)
        log: list[tuple[str, float]] = []
        head = asyncio.create_task(timed(bucket, clock, log, "head"))
        second = asyncio.create_task(timed(bucket, clock, log, "second"))
        await settle()
        await clock.advance_to(0.5)
        head.cancel()
        await settle()
        assert head.cancelled()
        assert 1 == clock.sleepers  # the second waiter now sleeps as head
        await clock.run_until_idle()
        await second
        assert [("second", 1.0)] == rounded(log)
        assert 1 + 1 == bucket.acquired  # the drain plus "second"
        assert 0 == bucket.waiting

    async def test_cancelled_queued_waiter_takes_no_token(self) -> None:
        """Cancelling a waiter in the middle of the queue leaves the others' times intact."""
        clock, bucket = make_bucket(1)
        await drain(bucket)
        log: list[tuple[str, float]] = []
        tasks = [asyncio.create_task(timed(bucket, clock, log, n)) for n in "abcd"]
        await settle()
        tasks[1].cancel()
        tasks[2].cancel()
        await settle()
        assert 2 == bucket.waiting
        await clock.run_until_idle()
        await asyncio.gather(*tasks, return_exceptions=True)
        assert [("a", 1.0), ("d", 2.0)] == rounded(log)
        assert 0 == bucket.waiting

    async def test_waiter_cancelled_just_after_promotion_passes_the_head_on(self) -> None:
        """A waiter cancelled after being made head, before it ran, promotes the next one."""
        clock, bucket = make_bucket(1)
        await drain(bucket)
        log: list[tuple[str, float]] = []
        a, b, c = (asyncio.create_task(timed(bucket, clock, log, n)) for n in "abc")
        await settle()
        loop = asyncio.get_running_loop()
        a.cancel()  # a's finally runs first in the next loop turn and promotes b ...
        loop.call_soon(b.cancel)  # ... then b is cancelled before it gets to run
        await settle()
        assert (True, True) == (a.cancelled(), b.cancelled())
        assert 1 == clock.sleepers
        await clock.run_until_idle()
        await c
        assert [("c", 1.0)] == rounded(log)
        assert 0 == bucket.waiting

    async def test_all_waiters_cancelled_leaves_the_bucket_usable(self) -> None:
        """After every waiter is cancelled, the next acquire takes the fast path again."""
        clock, bucket = make_bucket(1)
        await drain(bucket)
        tasks = [asyncio.create_task(bucket.acquire()) for _ in range(50)]
        await settle()
        await cancel_all(tasks)
        assert 0 == bucket.waiting
        assert 0 == clock.sleepers
        await clock.advance(1)
        coro = bucket.acquire()
        with pytest.raises(StopIteration):
            coro.send(None)

    async def test_wait_for_timeout_takes_no_token(self) -> None:
        """An acquire abandoned by asyncio.wait_for leaves the queue and its timing intact."""
        clock, bucket = make_bucket(1)
        await drain(bucket)
        log: list[tuple[str, float]] = []
        head = asyncio.create_task(timed(bucket, clock, log, "head"))
        await settle()
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(bucket.acquire(), timeout=0)
        await settle()
        assert 1 == bucket.waiting
        await clock.run_until_idle()
        await head
        tail = asyncio.create_task(timed(bucket, clock, log, "tail"))
        await clock.run_until_idle()
        await tail
        assert [("head", 1.0), ("tail", 2.0)] == rounded(log)


class TestPause:
    async def test_pause_holds_everyone_then_resumes_at_the_rate(self) -> None:
        """A pause holds waiters and later arrivals alike, then releases them at the rate."""
        clock, bucket = make_bucket(10)  # full bucket: 10 tokens
        done: list[float] = []

        async def waiter() -> None:
            await bucket.acquire()
            done.append(clock.now())

        await bucket.feedback(throttled=True, pause=5)
        assert 5.0 == bucket.paused_until
        early = [asyncio.create_task(waiter()) for _ in range(5)]
        await clock.advance_to(2.5)
        late = [asyncio.create_task(waiter()) for _ in range(5)]
        await clock.advance_to(4.999)
        assert [] == done
        await clock.run_until_idle()
        await asyncio.gather(*early, *late)
        assert [pytest.approx(5 + k / 10) for k in range(1, 11)] == done

    async def test_pause_holds_a_head_about_to_take_its_token(self) -> None:
        """A head that went to sleep before the pause re-checks and waits it out."""
        clock, bucket = make_bucket(10)
        await drain(bucket)
        log: list[tuple[str, float]] = []
        head = asyncio.create_task(timed(bucket, clock, log, "head"))
        await settle()
        await clock.advance_to(0.05)
        await bucket.feedback(throttled=True, pause=1)
        await clock.run_until_idle()
        await head
        assert [("head", 1.15)] == rounded(log)

    async def test_shorter_pause_does_not_shorten_a_longer_one(self) -> None:
        """paused_until is the max of the existing pause and now + pause."""
        clock, bucket = make_bucket(10)
        await bucket.feedback(throttled=True, pause=10)
        await clock.advance_to(5)
        await bucket.feedback(throttled=True, pause=2)
        assert 10.0 == bucket.paused_until
        await bucket.feedback(throttled=True, pause=7)
        assert 12.0 == bucket.paused_until
        assert 3 == bucket.throttles

    async def test_throttle_without_pause_empties_the_bucket(self) -> None:
        """A 429 without a pause drops the saved-up burst but holds nobody."""
        clock, bucket = make_bucket(10)
        await bucket.feedback(throttled=True)
        assert -math.inf == bucket.paused_until
        task = asyncio.create_task(bucket.acquire())
        await settle()
        assert not task.done()
        await clock.run_until_idle()
        await task
        assert pytest.approx(0.1) == clock.now()

    async def test_unthrottled_feedback_changes_nothing_without_adaptive(self) -> None:
        """Success feedback on a fixed-rate bucket leaves rate and tokens alone."""
        clock, bucket = make_bucket(10)
        await bucket.feedback(throttled=False)
        await bucket.feedback(throttled=True, pause=None)
        assert (10.0, 1) == (bucket.rate, bucket.throttles)
        assert [] == clock.sleeps


class TestAdaptive:
    async def test_throttle_multiplies_the_rate_by_point_seven(self) -> None:
        """Each throttle, a second apart, lowers the rate by 30%."""
        clock, bucket = make_bucket(50, adaptive=True)
        await bucket.feedback(throttled=True)
        assert pytest.approx(35.0) == bucket.rate
        await clock.advance(1)
        await bucket.feedback(throttled=True)
        assert pytest.approx(24.5) == bucket.rate

    async def test_throttles_of_one_burst_count_as_one_decrease(self) -> None:
        """Many 429s reported within a second (in-flight requests) decrease only once."""
        clock, bucket = make_bucket(50, adaptive=True)
        for _ in range(100):
            await bucket.feedback(throttled=True)
            await clock.advance(0.005)
        assert pytest.approx(35.0) == bucket.rate
        assert 100 == bucket.throttles

    async def test_rate_never_drops_below_min_rate(self) -> None:
        """Repeated throttles stop at min_rate."""
        clock, bucket = make_bucket(50, adaptive=True, min_rate=5)
        for _ in range(20):
            await bucket.feedback(throttled=True)
            await clock.advance(1)
        assert 5.0 == bucket.rate

    async def test_recovers_to_the_ceiling_and_never_above(self) -> None:
        """Successes bring the rate back up over time, monotonically, capped at max_rate."""
        clock, bucket = make_bucket(50, adaptive=True)
        await bucket.feedback(throttled=True)
        rates = []
        for _ in range(60):
            await clock.advance(0.25)
            await bucket.feedback(throttled=False)
            rates.append(bucket.rate)
        assert sorted(rates) == rates
        assert 35.0 < rates[0] < 50.0
        assert 50.0 == max(rates)
        assert 50.0 == bucket.max_rate

    async def test_back_at_the_previous_rate_after_k_seconds(self) -> None:
        """The cubic returns to the rate before the decrease after K = cbrt(W_max*0.3/0.4)."""
        clock, bucket = make_bucket(100, adaptive=True, initial_rate=50)
        await bucket.feedback(throttled=True)
        k = (50 * 0.3 / 0.4) ** (1 / 3)
        await clock.advance(k)
        await bucket.feedback(throttled=False)
        assert pytest.approx(50.0) == bucket.rate

    async def test_rate_rises_only_on_success_feedback(self) -> None:
        """Time alone does not raise the rate; a success report does."""
        clock, bucket = make_bucket(50, adaptive=True)
        await bucket.feedback(throttled=True)
        await clock.advance(100)
        assert pytest.approx(35.0) == bucket.rate
        await bucket.feedback(throttled=False)
        assert 50.0 == bucket.rate

    async def test_lower_rate_slows_the_waiters(self) -> None:
        """After a decrease, waiters are spaced at the new rate."""
        clock, bucket = make_bucket(10, adaptive=True)
        await drain(bucket)
        await bucket.feedback(throttled=True)  # rate 7
        done: list[float] = []

        async def waiter() -> None:
            await bucket.acquire()
            done.append(clock.now())

        tasks = [asyncio.create_task(waiter()) for _ in range(3)]
        await clock.run_until_idle()
        await asyncio.gather(*tasks)
        assert [pytest.approx(k / 7) for k in (1, 2, 3)] == done

    async def test_non_adaptive_rate_ignores_throttles(self) -> None:
        """Without adaptive mode, a throttle does not change the rate."""
        _, bucket = make_bucket(50)
        await bucket.feedback(throttled=True)
        assert 50.0 == bucket.rate


class TestSetRate:
    @pytest.mark.parametrize(("asked", "got"), [(1000, 50.0), (20, 20.0), (0, 0.5), (-3, 0.5)])
    def test_set_rate_is_clamped(self, asked: float, got: float) -> None:
        """set_rate clamps to [min_rate, max_rate]."""
        _, bucket = make_bucket(50, adaptive=True)
        bucket.set_rate(asked)
        assert got == bucket.rate

    @pytest.mark.parametrize(("asked", "got"), [(1000, 50.0), (20, 20.0), (0.01, 2.0)])
    def test_initial_rate_is_clamped(self, asked: float, got: float) -> None:
        """initial_rate clamps to [min_rate, rate] like set_rate."""
        _, bucket = make_bucket(50, initial_rate=asked, min_rate=2)
        assert (got, 50.0) == (bucket.rate, bucket.max_rate)

    def test_nan_rate_is_refused(self) -> None:
        """set_rate(NaN) is an error, not a silent clamp."""
        _, bucket = make_bucket(50)
        with pytest.raises(ValueError, match="NaN"):
            bucket.set_rate(math.nan)

    async def test_initial_rate_probes_up_on_successes(self) -> None:
        """An adaptive bucket started below its ceiling climbs back up as requests succeed."""
        clock, bucket = make_bucket(50, adaptive=True, initial_rate=10)
        await clock.advance(1)
        await bucket.feedback(throttled=False)
        assert pytest.approx(10.4) == bucket.rate
        await clock.advance(10)
        await bucket.feedback(throttled=False)
        assert 50.0 == bucket.rate

    async def test_set_rate_changes_the_pace(self) -> None:
        """Tokens earned before set_rate count at the old rate, later ones at the new."""
        clock, bucket = make_bucket(10, burst=1)
        await drain(bucket)
        await clock.advance(0.05)  # half a token at 10/s
        bucket.set_rate(1)
        task = asyncio.create_task(bucket.acquire())
        await clock.run_until_idle()
        await task
        assert pytest.approx(0.55) == clock.now()


class TestCounters:
    async def test_acquired_waited_and_throttles(self) -> None:
        """The counters report completed acquires, seconds spent waiting and 429s."""
        clock, bucket = make_bucket(2, burst=2)
        await drain(bucket)
        tasks = [asyncio.create_task(bucket.acquire()) for _ in range(2)]
        await clock.run_until_idle()
        await asyncio.gather(*tasks)
        await bucket.feedback(throttled=True)
        assert 4 == bucket.acquired
        assert pytest.approx(0.5 + 1.0) == bucket.waited
        assert 1 == bucket.throttles

    def test_repr_shows_the_configuration(self) -> None:
        """repr names the rate, ceiling, burst and mode."""
        _, bucket = make_bucket(50, burst=10, adaptive=True)
        assert "TokenBucket(rate=50, max_rate=50, burst=10, adaptive=True, waiting=0)" == repr(
            bucket
        )


class TestSharing:
    async def test_thousand_tasks_share_one_bucket_in_order(self) -> None:
        """1,000 tasks on one bucket are admitted in arrival order, at the rate."""
        clock, bucket = make_bucket(100, burst=10)
        order: list[int] = []
        times: list[float] = []

        async def one(i: int) -> None:
            await bucket.acquire()
            order.append(i)
            times.append(clock.now())

        tasks = [asyncio.create_task(one(i)) for i in range(1000)]
        await settle()
        assert 10 == len(order)  # the burst went through at once
        assert 1 == clock.sleepers
        await clock.run_until_idle()
        await asyncio.gather(*tasks)
        assert list(range(1000)) == order
        assert pytest.approx(9.9) == times[-1]
        per_second = Counter(math.floor(t + 1e-9) for t in times)
        assert max(per_second.values()) <= 10 + 100
        assert 1000 == bucket.acquired

    async def test_many_clients_see_one_pause(self) -> None:
        """A pause reported by one user of a shared bucket holds all the others."""
        clock, bucket = make_bucket(100)
        await drain(bucket)
        tasks = [asyncio.create_task(bucket.acquire()) for _ in range(200)]
        await settle()
        await bucket.feedback(throttled=True, pause=30)
        await clock.advance_to(29.99)
        assert 0 == sum(t.done() for t in tasks)
        await clock.run_until_idle()
        await asyncio.gather(*tasks)
        assert pytest.approx(30 + 200 / 100) == clock.now()


class TestLoopBinding:
    def test_bucket_needs_no_loop_and_serves_successive_loops(self) -> None:
        """A bucket built outside any loop works in one event loop after another."""
        clock = ManualClock()
        bucket = TokenBucket(1, clock=clock, sleep=clock.sleep)

        async def use() -> None:
            await clock.advance(1)
            await bucket.acquire()
            task = asyncio.create_task(bucket.acquire())
            await clock.run_until_idle()
            await task

        asyncio.run(use())
        asyncio.run(use())
        assert 4 == bucket.acquired


class TestProtocol:
    def test_both_limiters_satisfy_the_protocol(self) -> None:
        """TokenBucket and Unlimited are RateLimiters."""
        assert isinstance(TokenBucket(1), RateLimiter)
        assert isinstance(Unlimited(), RateLimiter)

    async def test_unlimited_never_waits_and_ignores_feedback(self) -> None:
        """Unlimited admits everything at once, whatever the feedback."""
        limiter = Unlimited()
        await limiter.feedback(throttled=True, pause=3600)
        for _ in range(10_000):
            coro = limiter.acquire(1e9)
            with pytest.raises(StopIteration):
                coro.send(None)
        assert "Unlimited()" == repr(limiter)


class TestRememberedLimit:
    async def test_second_throttle_recovers_to_below_the_lowest_throttled_rate(self) -> None:
        """A throttle soon after another recovers to 0.95x the rate that drew it, not above."""
        clock, bucket = make_bucket(100, adaptive=True)
        await bucket.feedback(throttled=True)  # at 100 -> 70
        await clock.advance(1)
        await bucket.feedback(throttled=True)  # at 70 -> 49; the limit is below 70
        assert pytest.approx(49.0) == bucket.rate
        plateau = 0.95 * 70
        k = (plateau * 0.3 / 0.4) ** (1 / 3)
        await clock.advance(k)
        await bucket.feedback(throttled=False)
        assert pytest.approx(plateau) == bucket.rate

    async def test_plateau_holds_then_probes_above(self) -> None:
        """After the remembered limit is reached, the rate stays there 30 s, then probes up."""
        clock, bucket = make_bucket(100, adaptive=True)
        await bucket.feedback(throttled=True)
        await clock.advance(1)
        await bucket.feedback(throttled=True)
        plateau = 0.95 * 70
        k = (plateau * 0.3 / 0.4) ** (1 / 3)
        rates = []
        for _ in range(int(k + 29)):
            await clock.advance(1)
            await bucket.feedback(throttled=False)
            rates.append(bucket.rate)
        assert pytest.approx(plateau) == max(rates)
        await clock.advance(5)
        await bucket.feedback(throttled=False)
        assert plateau + 1 < bucket.rate

    async def test_limit_is_the_lowest_rate_throttled_lately(self) -> None:
        """Each throttle within a minute lowers the remembered limit to the lowest rate seen."""
        clock, bucket = make_bucket(100, adaptive=True)
        await bucket.feedback(throttled=True)  # 100 -> 70
        await clock.advance(1)
        await bucket.feedback(throttled=True)  # 70 -> 49, plateau 66.5
        await clock.advance(2)
        await bucket.feedback(throttled=False)
        climbed = bucket.rate
        assert 49 < climbed < 66.5
        await bucket.feedback(throttled=True)  # at `climbed`: the plateau drops below it
        await clock.advance(10)  # past K, within the 30 s hold
        await bucket.feedback(throttled=False)
        assert pytest.approx(0.95 * climbed) == bucket.rate

    async def test_throttles_a_minute_apart_are_plain_cubic(self) -> None:
        """A throttle more than 60 s after the last one forgets the limit: back to W_max at K."""
        clock, bucket = make_bucket(100, adaptive=True, initial_rate=50)
        await bucket.feedback(throttled=True)  # at 50 -> 35
        await clock.advance(61)
        await bucket.feedback(throttled=False)  # back to 100 by now
        await bucket.feedback(throttled=True)  # at 100 -> 70, nothing remembered
        k = (100 * 0.3 / 0.4) ** (1 / 3)
        await clock.advance(k)
        await bucket.feedback(throttled=False)
        assert pytest.approx(100.0) == bucket.rate

    async def test_set_rate_ends_the_plateau(self) -> None:
        """set_rate restarts the probe from the given rate, with no hold."""
        clock, bucket = make_bucket(100, adaptive=True)
        await bucket.feedback(throttled=True)
        await clock.advance(1)
        await bucket.feedback(throttled=True)
        bucket.set_rate(40)
        await clock.advance(5)
        await bucket.feedback(throttled=False)
        assert pytest.approx(40 + 0.4 * 5**3) == bucket.rate


class TestPoliteAtTwiceTheLimit:
    async def test_converges_below_a_fixed_window_limit(self) -> None:
        """Set to 2R against a server allowing R per second, 3,000 requests finish within
        1.10x N/R and draw at most 2% 429s (16 tasks, retried 429s pause the bucket)."""
        limit, n, clock = 50, 3000, ManualClock(start=1000.0)
        bucket = TokenBucket(2 * limit, burst=1, adaptive=True, clock=clock, sleep=clock.sleep)
        jitter = iter([0.5, 0.9, 0.1, 0.7, 0.3] * n)
        windows: Counter[int] = Counter()
        todo = iter(range(n))
        throttled = 0

        async def worker() -> None:
            nonlocal throttled
            for _ in todo:
                attempt = 0
                while True:
                    attempt += 1
                    await bucket.acquire()
                    await clock.sleep(0.01)  # the request's round trip
                    windows[math.floor(clock.now())] += 1
                    if windows[math.floor(clock.now())] <= limit:
                        await bucket.feedback(throttled=False)
                        break
                    throttled += 1
                    delay = next(jitter) * min(30.0, 0.5 * 2 ** (attempt - 1))
                    await bucket.feedback(throttled=True, pause=delay)
                    await clock.sleep(delay)

        start = clock.now()
        tasks = [asyncio.create_task(worker()) for _ in range(16)]
        await clock.run_until_idle()
        await asyncio.gather(*tasks)
        assert (clock.now() - start) / (n / limit) <= 1.10
        assert throttled <= 0.02 * n
