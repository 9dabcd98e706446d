"""The retry policy as a table: (operation, status/failure, headers, attempt) → wait or stop.
Pure: nothing sleeps."""

from __future__ import annotations

from typing import Optional, Union

import pytest

from klaviyo_legacy_compat._models import RawResponse
from klaviyo_legacy_compat._retry import Failure, RetryPolicy
from klaviyo_legacy_compat.testing import json_response

POLICY = RetryPolicy(budget=60.0, max_attempts=5, base_delay=0.5, max_delay=8.0)
#: The same policy with a ``max_delay`` that the doubling reaches by attempt 3.
CAPPED = RetryPolicy(budget=60.0, max_attempts=5, base_delay=0.5, max_delay=1.0)


def throttled(
    detail: str = "Request was throttled.", retry_after: Optional[str] = None
) -> RawResponse:
    headers = (("retry-after", retry_after),) if retry_after is not None else ()
    return json_response(429, {"errors": [{"code": "throttled", "detail": detail}]}, headers)


TIMEOUT = Failure(TimeoutError("read timed out"), sent=None)
REFUSED = Failure(ConnectionRefusedError("refused"), sent=False)

ROWS: list[tuple[str, str, str, int, Union[RawResponse, Failure], float, Optional[float]]] = [
    # id, operation, method, attempt, outcome, elapsed, expected wait (policy: POLICIES)
    ("success_is_final", "create_event", "POST", 1, RawResponse(202), 0, None),
    ("client_error_is_final", "create_event", "POST", 1, RawResponse(400), 0, None),
    ("conflict_is_final", "create_profile", "POST", 1, RawResponse(409), 0, None),
    ("429_waits_retry_after", "create_event", "POST", 1, throttled(retry_after="3"), 0, 3.0),
    (
        "429_reads_the_detail",
        "create_event",
        "POST",
        1,
        throttled("Expected available in 12 seconds."),
        0,
        12.0,
    ),
    ("429_else_backs_off", "create_event", "POST", 3, throttled(), 0, 1.5),  # 0.5*2^2 * 0.75
    ("429_zero_backs_off", "create_event", "POST", 1, throttled(retry_after="0"), 0, 0.375),
    ("429_even_for_unsafe_writes", "create_list", "POST", 1, throttled(retry_after="2"), 0, 2.0),
    ("503_backs_off_for_safe_writes", "create_event", "POST", 2, RawResponse(503), 0, 0.75),
    (
        "503_honours_retry_after",
        "bulk_subscribe_profiles",
        "POST",
        1,
        json_response(503, None, (("retry-after", "4"),)),
        0,
        4.0,
    ),
    ("500_not_for_unsafe_writes", "create_list", "POST", 1, RawResponse(500), 0, None),
    ("500_always_for_reads", "get_lists", "GET", 1, RawResponse(500), 0, 0.375),
    ("timeout_retried_for_safe_writes", "create_or_update_profile", "POST", 1, TIMEOUT, 0, 0.375),
    ("timeout_not_for_unsafe_writes", "create_list", "POST", 1, TIMEOUT, 0, None),
    ("refused_retried_even_unsafe", "create_list", "POST", 1, REFUSED, 0, 0.375),
    ("backoff_doubles_below_the_cap", "create_event", "POST", 4, RawResponse(502), 0, 3.0),
    # CAPPED: min(1.0, 0.5*2^3) * 0.75, where uncapped it would be 3.0 as in the row above
    ("backoff_cap_max_delay", "create_event", "POST", 4, RawResponse(502), 0, 0.75),
    ("budget_exhausted", "create_event", "POST", 1, throttled(retry_after="30"), 45, None),
    ("budget_just_enough", "create_event", "POST", 1, throttled(retry_after="30"), 30, 30.0),
    ("attempts_exhausted", "create_event", "POST", 5, RawResponse(503), 0, None),
]

#: Rows decided by another policy than :data:`POLICY`.
POLICIES = {"backoff_cap_max_delay": CAPPED}


def test_every_policy_row_exists() -> None:
    assert set(POLICIES) <= {row[0] for row in ROWS}


@pytest.mark.parametrize(
    ("policy", "operation", "method", "attempt", "outcome", "elapsed", "expected"),
    [pytest.param(POLICIES.get(row[0], POLICY), *row[1:], id=row[0]) for row in ROWS],
)
def test_decide(
    policy: RetryPolicy,
    operation: str,
    method: str,
    attempt: int,
    outcome: Union[RawResponse, Failure],
    elapsed: float,
    expected: Optional[float],
) -> None:
    got = policy.decide(
        operation=operation,
        method=method,
        attempt=attempt,
        outcome=outcome,
        elapsed=elapsed,
        jitter=0.5,
    )
    assert got == expected


@pytest.mark.parametrize("jitter", [0.0, 0.25, 0.999])
def test_jitter_spreads_the_backoff_over_half_to_full(jitter: float) -> None:
    for attempt in range(1, 8):
        ceiling = min(8.0, 0.5 * 2 ** (attempt - 1))
        assert ceiling / 2 <= POLICY.backoff(attempt, jitter) <= ceiling
