"""Tests for the retry decisions and the shared retry budget: pure, randomness injected."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from soundcloud_async._backoff import IDEMPOTENT_METHODS, RetryBudget, RetryPolicy
from soundcloud_async._errors import (
    APIError,
    AuthError,
    BadRequest,
    ConnectError,
    ConnectionLost,
    DecodeError,
    Forbidden,
    InvalidArgument,
    NotFound,
    PaginationError,
    RateLimited,
    RequestTimeout,
    ServerError,
    SoundCloudError,
    Unauthorized,
)

URL = "https://api.soundcloud.com/tracks/soundcloud:tracks:1"
IDEMPOTENT = ["GET", "HEAD", "PUT", "DELETE", "OPTIONS"]
NON_IDEMPOTENT = ["POST", "PATCH"]
ALL_METHODS = IDEMPOTENT + NON_IDEMPOTENT


def policy(**kwargs: object) -> RetryPolicy:
    """A policy with fixed jitter (half the ceiling) and no budget unless one is given."""
    options: dict[str, object] = {"random": lambda: 0.5, "budget": None}
    options.update(kwargs)
    return RetryPolicy(**options)  # type: ignore[arg-type]


def rate_limited(
    retry_after: float | None = None, *, spam: str | None = None, method: str = "GET"
) -> RateLimited:
    return RateLimited(
        "slow",
        retry_after=retry_after,
        spam_warning_urn=spam,
        status=429,
        method=method,
        url=URL,
    )


def server_error(status: int = 503, method: str = "GET") -> ServerError:
    return ServerError("boom", status=status, method=method, url=URL)


def timeout(method: str = "GET") -> RequestTimeout:
    return RequestTimeout("no answer", method=method, url=URL)


def lost(method: str = "GET") -> ConnectionLost:
    return ConnectionLost("reset by peer", method=method, url=URL)


def refused(method: str = "POST") -> ConnectError:
    return ConnectError("refused", method=method, url=URL)


def decode(status: int = 200, method: str = "GET") -> DecodeError:
    return DecodeError("malformed JSON", method=method, url=URL, status=status)


class TestRateLimited:
    """429s are retried for every method, after the wait the server asked for."""

    @pytest.mark.parametrize("method", ALL_METHODS)
    def test_retried_for_every_method(self, method: str) -> None:
        """A 429 with a known wait is retried after exactly that wait, POST included."""
        assert 3.0 == policy().decide(
            rate_limited(3.0, method=method), method=method, attempt=1, elapsed=0.0
        )

    @pytest.mark.parametrize("method", ["GET", "POST"])
    def test_spam_block_never_retried(self, method: str) -> None:
        """A 429 carrying spam_warning_urn is an account block: raised at once."""
        error = rate_limited(1.0, spam="soundcloud:spam-warnings:1", method=method)
        assert policy().decide(error, method=method, attempt=1, elapsed=0.0) is None

    def test_spam_block_without_retry_after(self) -> None:
        """A spam block is raised at once even when no wait is known."""
        error = rate_limited(spam="soundcloud:spam-warnings:1", method="POST")
        assert policy().decide(error, method="POST", attempt=1, elapsed=0.0) is None

    @pytest.mark.parametrize("retry_after", [None, 0.0, 3.0])
    def test_not_retried_when_caller_forbids(self, retry_after: float | None) -> None:
        """retry_429=False (the token endpoint) makes every 429 surface at once."""
        error = rate_limited(retry_after, method="POST")
        assert (
            policy().decide(error, method="POST", attempt=1, elapsed=0.0, retry_429=False) is None
        )

    def test_zero_retry_after(self) -> None:
        """A zero wait is a wait too: retried at once, not with backoff."""
        assert 0.0 == policy(random=lambda: 1.0).decide(
            rate_limited(0.0), method="GET", attempt=1, elapsed=0.0
        )

    def test_retry_after_above_max_wait_raises(self) -> None:
        """A server wait longer than max_wait (a plays window) is not slept."""
        assert (
            policy(max_wait=120.0).decide(rate_limited(120.5), method="GET", attempt=1, elapsed=0)
            is None
        )

    def test_retry_after_equal_to_max_wait_is_slept(self) -> None:
        """A wait of exactly max_wait is still slept."""
        assert 120.0 == policy(max_wait=120.0).decide(
            rate_limited(120.0), method="GET", attempt=1, elapsed=0.0
        )

    def test_retry_after_hours_away(self) -> None:
        """A reset hours away (default max_wait) raises at once."""
        assert policy().decide(rate_limited(2980.0), method="GET", attempt=1, elapsed=0) is None

    @pytest.mark.parametrize(
        ("attempt", "expected"),
        [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (5, 8.0), (6, 16.0), (7, 30.0), (8, 30.0)],
    )
    def test_unknown_wait_uses_exponential_ceiling(self, attempt: int, expected: float) -> None:
        """Without retry_after the ceiling doubles per attempt up to backoff_max."""
        retry = policy(random=lambda: 1.0, max_attempts=100, deadline=None)
        assert expected == retry.decide(rate_limited(), method="GET", attempt=attempt, elapsed=0)

    @pytest.mark.parametrize("attempt", [1, 2, 5])
    def test_unknown_wait_zero_jitter(self, attempt: int) -> None:
        """Full jitter with random()=0 waits nothing."""
        retry = policy(random=lambda: 0.0, max_attempts=10)
        assert 0.0 == retry.decide(rate_limited(), method="POST", attempt=attempt, elapsed=0)

    def test_unknown_wait_half_jitter(self) -> None:
        """Full jitter scales the ceiling by random()."""
        retry = policy(random=lambda: 0.5, backoff_base=2.0)
        assert 2.0 == retry.decide(rate_limited(), method="GET", attempt=2, elapsed=0.0)

    def test_deadline_applies_to_server_wait(self) -> None:
        """A server wait that would end past the deadline is not slept."""
        retry = policy(deadline=300.0)
        assert retry.decide(rate_limited(20.0), method="GET", attempt=1, elapsed=290.0) is None
        assert 20.0 == retry.decide(rate_limited(20.0), method="GET", attempt=1, elapsed=280.0)


class TestWhichFailures:
    """Only failures that are safe to repeat are retried."""

    @pytest.mark.parametrize(
        "make",
        [
            lambda m: server_error(500, m),
            lambda m: server_error(502, m),
            lambda m: server_error(503, m),
            lambda m: server_error(504, m),
            timeout,
            lost,
        ],
        ids=["500", "502", "503", "504", "timeout", "lost"],
    )
    @pytest.mark.parametrize("method", IDEMPOTENT + [m.lower() for m in IDEMPOTENT])
    def test_retried_for_idempotent(
        self, make: Callable[[str], SoundCloudError], method: str
    ) -> None:
        """5xx, timeouts and broken connections are retried for idempotent methods."""
        assert 0.25 == policy().decide(make(method), method=method, attempt=1, elapsed=0.0)

    @pytest.mark.parametrize(
        "make",
        [lambda m: server_error(500, m), lambda m: server_error(503, m), timeout, lost],
        ids=["500", "503", "timeout", "lost"],
    )
    @pytest.mark.parametrize("method", [*NON_IDEMPOTENT, "post"])
    def test_not_retried_for_post(
        self, make: Callable[[str], SoundCloudError], method: str
    ) -> None:
        """5xx, timeouts and broken connections are never retried for POST (it may have run)."""
        assert policy().decide(make(method), method=method, attempt=1, elapsed=0.0) is None

    @pytest.mark.parametrize("method", [*ALL_METHODS, "post"])
    def test_connect_error_retried_for_every_method(self, method: str) -> None:
        """A connection never made proves nothing was sent, so even POST is retried."""
        assert 0.25 == policy().decide(refused(method), method=method, attempt=1, elapsed=0.0)

    @pytest.mark.parametrize(
        "error",
        [
            BadRequest("bad", status=400, method="GET", url=URL),
            BadRequest("bad", status=422, method="GET", url=URL),
            Unauthorized("expired", status=401, method="GET", url=URL, body=b'{"code":401}'),
            Forbidden("no", status=403, method="GET", url=URL, body=b'{"code":403}'),
            NotFound("gone", status=404, method="GET", url=URL),
            APIError("conflict", status=409, method="GET", url=URL),
        ],
        ids=["400", "422", "401", "403", "404", "409"],
    )
    @pytest.mark.parametrize("method", ["GET", "POST"])
    def test_client_errors_never_retried(self, error: APIError, method: str) -> None:
        """4xx answers will not change on a retry."""
        assert policy().decide(error, method=method, attempt=1, elapsed=0.0) is None

    @pytest.mark.parametrize(
        "error",
        [
            Forbidden("blocked", status=403, method="GET", url=URL, body=b"<HTML><BODY>x"),
            Forbidden("empty", status=403, method="GET", url=URL, body=b""),
            Unauthorized("empty", status=401, method="GET", url=URL, body=b""),
            Unauthorized("blank", status=401, method="GET", url=URL, body=b"\n"),
        ],
        ids=["cloudfront-403", "empty-403", "empty-401", "newline-401"],
    )
    def test_gateway_refusals_retried_for_get_only(self, error: APIError) -> None:
        """A gateway's HTML or empty 401/403 is transient: retried for GET, never for POST."""
        assert error.from_gateway
        assert 0.25 == policy().decide(error, method="GET", attempt=1, elapsed=0.0)
        assert policy().decide(error, method="POST", attempt=1, elapsed=0.0) is None

    @pytest.mark.parametrize("status", [200, 201, 204])
    def test_decode_error_with_success_retried_for_get(self, status: int) -> None:
        """An undecodable success body (a proxy hiccup) is retried for GET."""
        assert 0.25 == policy().decide(decode(status), method="GET", attempt=1, elapsed=0.0)

    def test_decode_error_not_retried_for_post(self) -> None:
        """An undecodable success body for POST is not retried: the POST did run."""
        assert policy().decide(decode(200, "POST"), method="POST", attempt=1, elapsed=0) is None

    @pytest.mark.parametrize("status", [302, 404, 500])
    def test_decode_error_without_success_not_retried(self, status: int) -> None:
        """A DecodeError without a success status is not retried."""
        assert policy().decide(decode(status), method="GET", attempt=1, elapsed=0.0) is None

    @pytest.mark.parametrize(
        "error",
        [PaginationError("loop"), AuthError("state mismatch"), InvalidArgument("bad")],
        ids=["pagination", "auth", "argument"],
    )
    def test_other_errors_never_retried(self, error: SoundCloudError) -> None:
        """Errors of our own making are never retried."""
        assert policy().decide(error, method="GET", attempt=1, elapsed=0.0) is None

    def test_idempotent_methods(self) -> None:
        """The idempotent methods are those of RFC 9110 that SoundCloud uses."""
        assert frozenset(IDEMPOTENT) == IDEMPOTENT_METHODS


class TestLimits:
    """max_attempts and deadline bound every retry; wait=False only zeroes the waits."""

    @pytest.mark.parametrize(
        ("error", "method"),
        [(server_error(), "GET"), (rate_limited(1.0), "POST"), (refused(), "POST")],
        ids=["5xx", "429", "connect"],
    )
    @pytest.mark.parametrize(
        ("attempt", "retried"), [(1, True), (4, True), (5, False), (6, False), (50, False)]
    )
    def test_max_attempts(
        self, error: SoundCloudError, method: str, attempt: int, retried: bool
    ) -> None:
        """The failure of attempt max_attempts (or later) is raised."""
        decision = policy(max_attempts=5).decide(error, method=method, attempt=attempt, elapsed=0)
        assert retried == (decision is not None)

    def test_max_attempts_one_disables_retries(self) -> None:
        """max_attempts=1 raises the first failure."""
        retry = policy(max_attempts=1)
        assert retry.decide(rate_limited(0.0), method="GET", attempt=1, elapsed=0.0) is None
        assert retry.decide(refused(), method="POST", attempt=1, elapsed=0.0) is None

    @pytest.mark.parametrize(
        ("elapsed", "expected"), [(0.0, 0.5), (9.0, 0.5), (9.5, 0.5), (9.6, None), (11.0, None)]
    )
    def test_deadline(self, elapsed: float, expected: float | None) -> None:
        """A retry whose wait would end past the deadline is not made."""
        retry = policy(random=lambda: 1.0, deadline=10.0)
        assert expected == retry.decide(server_error(), method="GET", attempt=1, elapsed=elapsed)

    def test_no_deadline(self) -> None:
        """deadline=None means retries are bounded by max_attempts only."""
        retry = policy(deadline=None)
        assert 0.25 == retry.decide(server_error(), method="GET", attempt=1, elapsed=1e9)

    def test_default_deadline(self) -> None:
        """The default deadline is five minutes."""
        assert 300.0 == RetryPolicy().deadline
        assert RetryPolicy().decide(server_error(), method="GET", attempt=1, elapsed=301) is None

    def test_timedelta_durations(self) -> None:
        """Durations are accepted as timedelta and stored as seconds."""
        retry = RetryPolicy(
            deadline=dt.timedelta(seconds=10),
            backoff_base=dt.timedelta(milliseconds=500),
            backoff_max=dt.timedelta(seconds=4),
            max_wait=dt.timedelta(minutes=2),
            random=lambda: 1.0,
            budget=None,
        )
        assert (10.0, 0.5, 4.0, 120.0) == (
            retry.deadline,
            retry.backoff_base,
            retry.backoff_max,
            retry.max_wait,
        )
        assert 2.0 == retry.decide(server_error(), method="GET", attempt=3, elapsed=0.0)
        assert 4.0 == retry.decide(server_error(), method="GET", attempt=4, elapsed=0.0)
        assert retry.decide(server_error(), method="GET", attempt=4, elapsed=6.5) is None
        assert retry.decide(rate_limited(121.0), method="GET", attempt=1, elapsed=0) is None

    def test_wait_false_zeroes_delays(self) -> None:
        """wait=False makes every delay zero."""
        retry = policy(wait=False, random=lambda: 1.0)
        assert 0.0 == retry.decide(rate_limited(3.0), method="GET", attempt=1, elapsed=0.0)
        assert 0.0 == retry.decide(rate_limited(), method="GET", attempt=3, elapsed=0.0)
        assert 0.0 == retry.decide(server_error(), method="GET", attempt=4, elapsed=0.0)
        assert 0.0 == retry.decide(refused(), method="POST", attempt=1, elapsed=0.0)

    def test_wait_false_keeps_decisions(self) -> None:
        """wait=False changes no decision: what was raised is still raised."""
        retry = policy(wait=False, max_attempts=3, max_wait=60.0, deadline=300.0)
        assert retry.decide(server_error(), method="POST", attempt=1, elapsed=0.0) is None
        assert retry.decide(rate_limited(61.0), method="GET", attempt=1, elapsed=0.0) is None
        assert retry.decide(rate_limited(3.0), method="GET", attempt=3, elapsed=0.0) is None
        assert retry.decide(rate_limited(3.0), method="GET", attempt=1, elapsed=299.0) is None
        assert (
            retry.decide(
                rate_limited(1.0, spam="soundcloud:spam-warnings:1"),
                method="POST",
                attempt=1,
                elapsed=0.0,
            )
            is None
        )
        assert (
            retry.decide(
                NotFound("x", status=404, method="GET", url=URL),
                method="GET",
                attempt=1,
                elapsed=0.0,
            )
            is None
        )

    def test_never(self) -> None:
        """RetryPolicy.never() raises every failure at once and has no budget."""
        retry = RetryPolicy.never()
        assert 1 == retry.max_attempts
        assert retry.budget is None
        for error in (rate_limited(0.0), server_error(), refused(), timeout(), decode()):
            assert retry.decide(error, method="GET", attempt=1, elapsed=0.0) is None
        retry.record_success()

    def test_backoff_ceiling_stays_capped_for_huge_attempts(self) -> None:
        """A very late attempt (many attempts, no deadline) still waits backoff_max."""
        retry = policy(random=lambda: 1.0, max_attempts=1_000_000, deadline=None)
        assert 30.0 == retry.backoff(64)
        assert 30.0 == retry.decide(rate_limited(), method="GET", attempt=2000, elapsed=0.0)

    @pytest.mark.parametrize(
        ("kwargs", "match"),
        [
            ({"max_attempts": 0}, "max_attempts"),
            ({"max_attempts": -1}, "max_attempts"),
            ({"backoff_base": -0.1}, "backoff_base"),
            ({"backoff_max": -1.0}, "backoff_max"),
            ({"max_wait": dt.timedelta(seconds=-1)}, "max_wait"),
            ({"deadline": -1.0}, "deadline"),
        ],
    )
    def test_validation(self, kwargs: dict[str, object], match: str) -> None:
        """Impossible settings are rejected when the policy is made."""
        with pytest.raises(ValueError, match=match):
            RetryPolicy(**kwargs)  # type: ignore[arg-type]


class TestRetryBudget:
    """A shared budget bounds 5xx and transport retries; 429s and successes do not drain it."""

    def test_defaults(self) -> None:
        """The defaults are botocore's standard mode."""
        budget = RetryBudget()
        assert (500.0, 5.0, 10.0, 1.0, 500.0) == (
            budget.capacity,
            budget.retry_cost,
            budget.timeout_cost,
            budget.success_refund,
            budget.tokens,
        )

    @pytest.mark.parametrize(
        ("make", "method", "spent"),
        [
            (lambda: server_error(503), "GET", 5.0),
            (lost, "GET", 5.0),
            (refused, "POST", 5.0),
            (decode, "GET", 5.0),
            (timeout, "GET", 10.0),
        ],
        ids=["5xx", "lost", "connect", "decode", "timeout"],
    )
    def test_retry_spends(
        self, make: Callable[[], SoundCloudError], method: str, spent: float
    ) -> None:
        """A retried 5xx or transport failure spends retry_cost, a timeout timeout_cost."""
        budget = RetryBudget(100, retry_cost=5, timeout_cost=10)
        retry = policy(budget=budget)
        assert retry.decide(make(), method=method, attempt=1, elapsed=0.0) is not None
        assert 100.0 - spent == budget.tokens

    def test_exhausted_budget_raises(self) -> None:
        """Once the budget cannot pay for a retry, the failure is raised."""
        budget = RetryBudget(12, retry_cost=5, timeout_cost=10)
        retry = policy(budget=budget)
        assert retry.decide(server_error(), method="GET", attempt=1, elapsed=0.0) is not None
        assert retry.decide(server_error(), method="GET", attempt=1, elapsed=0.0) is not None
        assert 2.0 == budget.tokens
        assert retry.decide(server_error(), method="GET", attempt=1, elapsed=0.0) is None
        assert retry.decide(timeout(), method="GET", attempt=1, elapsed=0.0) is None
        assert 2.0 == budget.tokens

    def test_timeout_costs_more(self) -> None:
        """A budget that pays for a 5xx retry can be too poor for a timeout retry."""
        budget = RetryBudget(7, retry_cost=5, timeout_cost=10)
        retry = policy(budget=budget)
        assert retry.decide(timeout(), method="GET", attempt=1, elapsed=0.0) is None
        assert retry.decide(server_error(), method="GET", attempt=1, elapsed=0.0) is not None

    def test_rate_limited_does_not_spend(self) -> None:
        """429 retries neither spend the budget nor need it."""
        budget = RetryBudget(5, retry_cost=5)
        retry = policy(budget=budget)
        assert 1.0 == retry.decide(rate_limited(1.0), method="GET", attempt=1, elapsed=0.0)
        assert 0.25 == retry.decide(rate_limited(), method="GET", attempt=1, elapsed=0.0)
        assert 5.0 == budget.tokens
        assert budget.try_spend(5.0)
        assert 1.0 == retry.decide(rate_limited(1.0), method="POST", attempt=1, elapsed=0.0)
        assert 0.0 == budget.tokens

    @pytest.mark.parametrize(
        ("error", "method", "attempt", "elapsed"),
        [
            (server_error(), "POST", 1, 0.0),
            (server_error(), "GET", 5, 0.0),
            (server_error(), "GET", 1, 1000.0),
            (NotFound("x", status=404, method="GET", url=URL), "GET", 1, 0.0),
        ],
        ids=["post", "max-attempts", "deadline", "404"],
    )
    def test_refusals_do_not_spend(
        self, error: SoundCloudError, method: str, attempt: int, elapsed: float
    ) -> None:
        """A failure that is raised anyway costs nothing."""
        budget = RetryBudget(100)
        retry = policy(budget=budget, max_attempts=5, deadline=300.0)
        assert retry.decide(error, method=method, attempt=attempt, elapsed=elapsed) is None
        assert 100.0 == budget.tokens

    def test_record_success_refunds_up_to_capacity(self) -> None:
        """Each success earns success_refund back, never beyond capacity."""
        budget = RetryBudget(10, retry_cost=5, success_refund=2)
        retry = policy(budget=budget)
        retry.record_success()
        assert 10.0 == budget.tokens
        retry.decide(server_error(), method="GET", attempt=1, elapsed=0.0)
        assert 5.0 == budget.tokens
        retry.record_success()
        assert 7.0 == budget.tokens
        for _ in range(5):
            retry.record_success()
        assert 10.0 == budget.tokens

    def test_record_success_without_budget(self) -> None:
        """record_success is harmless when the policy has no budget."""
        policy(budget=None).record_success()

    def test_exhausted_budget_recovers(self) -> None:
        """Successes refill an exhausted budget until retries are paid for again."""
        budget = RetryBudget(5, retry_cost=5, success_refund=1)
        retry = policy(budget=budget)
        assert retry.decide(server_error(), method="GET", attempt=1, elapsed=0.0) is not None
        assert retry.decide(server_error(), method="GET", attempt=1, elapsed=0.0) is None
        for _ in range(5):
            retry.record_success()
        assert retry.decide(server_error(), method="GET", attempt=1, elapsed=0.0) is not None

    def test_shared_between_policies(self) -> None:
        """Two policies given one budget draw from the same tokens."""
        budget = RetryBudget(10, retry_cost=5)
        first, second = policy(budget=budget), policy(budget=budget)
        assert first.decide(server_error(), method="GET", attempt=1, elapsed=0.0) is not None
        assert second.decide(server_error(), method="GET", attempt=1, elapsed=0.0) is not None
        assert first.decide(server_error(), method="GET", attempt=1, elapsed=0.0) is None

    def test_default_policies_have_separate_budgets(self) -> None:
        """Each default RetryPolicy gets its own budget."""
        assert RetryPolicy().budget is not RetryPolicy().budget

    def test_try_spend(self) -> None:
        """try_spend takes the tokens only when there are enough."""
        budget = RetryBudget(3)
        assert not budget.try_spend(4)
        assert 3.0 == budget.tokens
        assert budget.try_spend(3)
        assert 0.0 == budget.tokens

    def test_zero_costs_allowed(self) -> None:
        """Zero costs and refund are valid (a budget that never drains)."""
        budget = RetryBudget(1, retry_cost=0, timeout_cost=0, success_refund=0)
        retry = policy(budget=budget)
        for _ in range(10):
            assert retry.decide(timeout(), method="GET", attempt=1, elapsed=0.0) is not None
        assert 1.0 == budget.tokens

    @pytest.mark.parametrize(
        "kwargs",
        [
            {"capacity": 0},
            {"capacity": -1},
            {"retry_cost": -1},
            {"timeout_cost": -0.5},
            {"success_refund": -1},
        ],
    )
    def test_validation(self, kwargs: dict[str, float]) -> None:
        """A non-positive capacity or a negative cost is rejected."""
        with pytest.raises(ValueError, match="RetryBudget"):
            RetryBudget(**kwargs)

    def test_repr(self) -> None:
        """The repr shows tokens left out of capacity."""
        budget = RetryBudget(10, retry_cost=5)
        budget.try_spend(2.5)
        assert "RetryBudget(tokens=7.5/10)" == repr(budget)
