"""The retry policy as a table: (operation, status/failure, attempt, time spent) → wait, or
why it stops. Pure: nothing sleeps."""

from __future__ import annotations

from typing import Any, Optional, Union

import attrs
import pytest

from klaviyo_legacy_compat._core.models import RawResponse
from klaviyo_legacy_compat._transports.retry import CONNECT_FAILURES, STOPS, Failure, RetryPolicy
from klaviyo_legacy_compat.testing import json_response

POLICY = RetryPolicy(
    budget=60.0, max_attempts=5, base_delay=0.5, max_delay=8.0, connect_budget=30.0
)
#: The same policy with a ``max_delay`` that the doubling reaches by attempt 3.
CAPPED = attrs.evolve(POLICY, max_delay=1.0)


def throttled(
    detail: str = "Request was throttled.", retry_after: Optional[str] = None
) -> RawResponse:
    headers = (("retry-after", retry_after),) if retry_after is not None else ()
    return json_response(429, {"errors": [{"code": "throttled", "detail": detail}]}, headers)


TIMEOUT = Failure(TimeoutError("read timed out"), sent=None)
REFUSED = Failure(ConnectionRefusedError("refused"), sent=False, kind="refused")


def unsent(kind: str) -> Failure:
    return Failure(OSError(kind), sent=False, kind=kind)


@attrs.frozen
class Row:
    """One decision: the outcome of attempt ``attempt`` and the time spent, and what the
    policy must answer: a wait (float) or why it stops (a key of ``STOPS``); ``budget``, when
    given, is the budget that must govern."""

    id: str
    operation: str
    method: str
    attempt: int
    outcome: Union[RawResponse, Failure]
    expected: Union[float, str]
    elapsed: float = 0.0
    unreachable_for: float = 0.0
    next_attempt: float = 0.0
    budget: Optional[str] = None
    policy: RetryPolicy = POLICY


ROWS = [
    Row("success_is_final", "create_event", "POST", 1, RawResponse(202), "final"),
    Row("client_error_is_final", "create_event", "POST", 1, RawResponse(400), "final"),
    Row("conflict_is_final", "create_profile", "POST", 1, RawResponse(409), "final"),
    Row("429_waits_retry_after", "create_event", "POST", 1, throttled(retry_after="3"), 3.0),
    Row(
        "429_reads_the_detail",
        "create_event",
        "POST",
        1,
        throttled("Expected available in 12 seconds."),
        12.0,
    ),
    Row("429_else_backs_off", "create_event", "POST", 3, throttled(), 1.5),  # 0.5*2^2 * 0.75
    Row("429_zero_backs_off", "create_event", "POST", 1, throttled(retry_after="0"), 0.375),
    Row("429_even_for_unsafe_writes", "create_list", "POST", 1, throttled(retry_after="2"), 2.0),
    Row("503_backs_off_for_safe_writes", "create_event", "POST", 2, RawResponse(503), 0.75),
    Row(
        "503_honours_retry_after",
        "bulk_subscribe_profiles",
        "POST",
        1,
        json_response(503, None, (("retry-after", "4"),)),
        4.0,
    ),
    Row("500_not_for_unsafe_writes", "create_list", "POST", 1, RawResponse(500), "unsafe"),
    Row("500_always_for_reads", "get_lists", "GET", 1, RawResponse(500), 0.375),
    Row("timeout_retried_for_safe_writes", "create_or_update_profile", "POST", 1, TIMEOUT, 0.375),
    Row("timeout_not_for_unsafe_writes", "create_list", "POST", 1, TIMEOUT, "unsafe"),
    Row("refused_retried_even_unsafe", "create_list", "POST", 1, REFUSED, 0.375),
    Row("backoff_doubles_below_the_cap", "create_event", "POST", 4, RawResponse(502), 3.0),
    # CAPPED: min(1.0, 0.5*2^3) * 0.75, where uncapped it would be 3.0 as in the row above
    Row("backoff_cap_max_delay", "create_event", "POST", 4, RawResponse(502), 0.75, policy=CAPPED),
    Row(
        "budget_exhausted",
        "create_event",
        "POST",
        1,
        throttled(retry_after="30"),
        "budget",
        elapsed=45,
        budget="retry_budget",
    ),
    Row("budget_just_enough", "create_event", "POST", 1, throttled(retry_after="30"), 30.0, 30),
    Row("attempts_exhausted", "create_event", "POST", 5, RawResponse(503), "attempts"),
    # The next attempt must fit as well as the wait: a read that timed out after 30 s may
    # take 30 s again, and 20 s are left.
    Row(
        "budget_counts_the_next_attempt",
        "create_event",
        "POST",
        2,
        TIMEOUT,
        "budget",
        elapsed=40,
        next_attempt=30,
    ),
    Row("budget_fits_the_next_attempt", "create_event", "POST", 2, TIMEOUT, 0.75, 20, 0, 30),
    # --- connection failures: the request never reached Klaviyo (CONNECT_FAILURES) ---------
    Row("connect_timeout_retried", "create_event", "POST", 1, unsent("connect_timeout"), 0.375),
    Row("unreachable_retried", "create_event", "POST", 1, unsent("unreachable"), 0.375),
    Row("dns_no_answer_retried", "create_event", "POST", 1, unsent("dns"), 0.375),
    Row("tls_handshake_retried", "create_event", "POST", 1, unsent("tls"), 0.375),
    Row(
        "name_not_found_is_final", "create_event", "POST", 1, unsent("name_not_found"), "permanent"
    ),
    Row(
        "bad_certificate_is_final",
        "get_lists",
        "GET",
        1,
        unsent("certificate_refused"),
        "permanent",
    ),
    # An outage of 25 s: a wait of 3 s (attempt 4: 0.5*2^3 * 0.75) and a connect timeout
    # of 3.05 s would end past the 30 s of the connect budget, though the retry budget
    # (60 s here) has 35 s left.
    Row(
        "connect_budget_counts_the_connect_timeout",
        "create_event",
        "POST",
        4,
        REFUSED,
        "budget",
        elapsed=25,
        unreachable_for=25,
        next_attempt=3.05,
        budget="connect_retry_budget",
    ),
    Row(
        "connect_budget_just_enough",
        "create_event",
        "POST",
        4,
        REFUSED,
        3.0,
        elapsed=23.9,
        unreachable_for=23.9,
        next_attempt=3.05,
        budget="connect_retry_budget",
    ),
    # Throttled for 55 s, then refused: the outage is 1 s old, so the connect budget has 29 s
    # left, but the call has only 5 s of its retry budget, less than the wait: the smaller
    # governs. (Counted from the call's start, the connect budget would already be spent in
    # the row below; counted from the refusal, it has 29.9 s left.)
    Row(
        "429_then_refused_the_call_budget_still_bounds",
        "create_event",
        "POST",
        5,
        REFUSED,
        "budget",
        elapsed=55,
        unreachable_for=1,
        budget="retry_budget",
        policy=RetryPolicy(budget=60.0, max_attempts=10),
    ),
    Row(
        "429_then_refused_the_outage_counts_from_the_refusal",
        "create_event",
        "POST",
        3,
        REFUSED,
        1.5,
        elapsed=40,
        unreachable_for=0.1,
        next_attempt=3.05,
        budget="connect_retry_budget",
        policy=RetryPolicy(budget=120.0, max_attempts=10),
    ),
    # A 429 or a 5xx spends the retry budget only: the connect budget is for outages.
    Row(
        "429_ignores_the_connect_budget",
        "create_event",
        "POST",
        1,
        throttled(retry_after="40"),
        40.0,
        elapsed=5,
        budget="retry_budget",
    ),
    Row(
        "timeout_after_sending_spends_the_retry_budget",
        "create_event",
        "POST",
        1,
        TIMEOUT,
        0.375,
        elapsed=35,
        next_attempt=1,
        budget="retry_budget",
    ),
    Row(
        "connect_budget_zero_no_retry",
        "create_event",
        "POST",
        1,
        REFUSED,
        "budget",
        policy=RetryPolicy(budget=60.0, connect_budget=0.0),
    ),
]


def test_every_row_is_named_once() -> None:
    assert len({row.id for row in ROWS}) == len(ROWS)


@pytest.mark.parametrize("row", [pytest.param(row, id=row.id) for row in ROWS])
def test_decide(row: Row) -> None:
    got = row.policy.decide(
        operation=row.operation,
        method=row.method,
        attempt=row.attempt,
        outcome=row.outcome,
        elapsed=row.elapsed,
        jitter=0.5,
        unreachable_for=row.unreachable_for,
        next_attempt=row.next_attempt,
    )
    if isinstance(row.expected, str):
        assert (got.wait, got.stop) == (None, row.expected)
        assert row.expected in STOPS
    else:
        assert (got.wait, got.stop) == (row.expected, None)
    if row.budget is not None:
        assert got.budget == row.budget


def test_the_budget_left_is_the_smaller_of_the_two() -> None:
    policy = RetryPolicy(budget=120.0, connect_budget=30.0)

    def left(outcome: Union[RawResponse, Failure], elapsed: float, unreachable_for: float) -> Any:
        got = policy.decide(
            operation="create_event",
            method="POST",
            attempt=1,
            outcome=outcome,
            elapsed=elapsed,
            jitter=0.5,
            unreachable_for=unreachable_for,
        )
        return got.budget, got.left

    assert left(REFUSED, 12.0, 10.0) == ("connect_retry_budget", 20.0)
    assert left(REFUSED, 100.0, 10.0) == ("retry_budget", 20.0)
    assert left(RawResponse(503), 12.0, 0.0) == ("retry_budget", 108.0)


def test_every_connect_failure_kind_decides() -> None:
    # A kind added to the table is decided by it: retried or final, never an error.
    for kind, retried in CONNECT_FAILURES.items():
        got = POLICY.decide(
            operation="create_event",
            method="POST",
            attempt=1,
            outcome=unsent(kind),
            elapsed=0,
            jitter=0.5,
        )
        assert (got.wait is not None) is retried, kind


@pytest.mark.parametrize("jitter", [0.0, 0.25, 0.999])
def test_jitter_spreads_the_backoff_over_half_to_full(jitter: float) -> None:
    for attempt in range(1, 8):
        ceiling = min(8.0, 0.5 * 2 ** (attempt - 1))
        assert ceiling / 2 <= POLICY.backoff(attempt, jitter) <= ceiling
