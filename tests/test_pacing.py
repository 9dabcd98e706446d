"""The pacer's arithmetic: burst and steady windows, server hints, holds, released slots.

One suite for both pacers, since they run one algorithm: the in-process :class:`Pacer` on a
fake clock (nothing sleeps), and :class:`RedisPacer` on a real Redis (``conftest.py``), whose
clock is Redis's own and cannot be faked. So the window tests book slots without sleeping
and check the times handed out, which queue into the future; answers are compared to within
the few milliseconds a Redis round trip takes.
"""

from __future__ import annotations

import bisect
import time
from typing import Any, Callable

import attrs
import pytest

from klaviyo_legacy_compat._core.endpoints import endpoint
from klaviyo_legacy_compat._core.models import RawResponse
from klaviyo_legacy_compat._transports.pacing import BURST_MARGIN, MARGIN, NO_PACING, Pacer

#: How far apart two readings of Redis's clock may be within one test step.
NEAR = 0.05


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@attrs.frozen
class Pacers:
    """How a test makes pacers of one kind, and lets time pass for them."""

    make: Callable[..., Pacer]
    wait: Callable[[float], None]


@pytest.fixture(params=["in_process", "redis"])
def pacers(request: pytest.FixtureRequest) -> Pacers:
    if request.param == "redis":
        return Pacers(request.getfixturevalue("make_pacer"), time.sleep)
    clock = Clock()

    def advance(seconds: float) -> None:
        clock.now += seconds

    def make(**kwargs: Any) -> Pacer:
        return Pacer(clock=clock, **kwargs)

    return Pacers(make, advance)


def book_all(pacer: Pacer, operation: str, count: int, account: str = "") -> list[float]:
    """Book ``count`` slots at once; returns their times."""
    return [pacer.book(operation, account)[1] for _ in range(count)]


def max_in_window(times: list[float], window: float) -> int:
    """The most times in any interval [t, t + window)."""
    ordered = sorted(times)
    return max(bisect.bisect_left(ordered, t + window) - i for i, t in enumerate(ordered))


@pytest.mark.parametrize(
    "operation", ["create_event", "bulk_subscribe_profiles", "create_list", "get_lists_for_profile"]
)
def test_no_window_of_either_length_ever_overflows(pacers: Pacers, operation: str) -> None:
    row = endpoint(operation)
    times = book_all(pacers.make(), operation, row.steady * 2 + 7)
    assert max_in_window(times, 1.0) <= row.burst
    assert max_in_window(times, 60.0) <= row.steady


def test_sustained_rate_is_the_steady_limit_less_the_margin(pacers: Pacers) -> None:
    steady = endpoint("bulk_subscribe_profiles").steady  # 750/min
    times = book_all(pacers.make(), "bulk_subscribe_profiles", steady * 4 + 1)
    # Whole cycles after the first minute: two windows' worth of requests over two windows.
    rate = 2 * steady / (times[3 * steady] - times[steady]) * 60
    assert steady / (1 + MARGIN) * 0.95 < rate <= steady


def test_a_first_burst_goes_out_at_once_up_to_the_burst_limit(pacers: Pacers) -> None:
    pacer = pacers.make()
    assert [pacer.reserve("create_list") for _ in range(10)] == [0.0] * 10
    assert pacer.reserve("create_list") == pytest.approx(1.0 + BURST_MARGIN, abs=NEAR)


def test_time_scale_shrinks_the_windows(pacers: Pacers) -> None:
    pacer = pacers.make(time_scale=0.1)
    for _ in range(10):
        pacer.reserve("create_list")
    assert pacer.reserve("create_list") == pytest.approx(0.1 * (1 + BURST_MARGIN), abs=NEAR / 2)


def test_endpoints_and_accounts_are_paced_separately(pacers: Pacers) -> None:
    pacer = pacers.make()
    for _ in range(10):
        pacer.reserve("create_list", "a1b2c3")
    assert pacer.reserve("create_event", "a1b2c3") == 0.0
    assert pacer.reserve("create_list", "d4e5f6") == 0.0
    assert pacer.reserve("create_list", "a1b2c3") == pytest.approx(1.0 + BURST_MARGIN, abs=NEAR)


def test_server_hint_slows_down_before_a_429(pacers: Pacers) -> None:
    pacer = pacers.make()
    pacer.observe(
        "create_event",
        RawResponse(
            202,
            (("ratelimit-limit", "3500"), ("ratelimit-remaining", "2"), ("ratelimit-reset", "20")),
        ),
    )
    assert pacer.reserve("create_event") == 0.0
    assert pacer.reserve("create_event") == 0.0
    assert pacer.reserve("create_event") == pytest.approx(20.0, abs=NEAR)


def test_hold_after_a_429(pacers: Pacers) -> None:
    pacer = pacers.make()
    pacer.hold("create_event", 7.5)
    assert pacer.reserve("create_event") == pytest.approx(7.5, abs=NEAR)
    assert pacer.reserve("create_event") == pytest.approx(7.5, abs=NEAR)  # queued, same slot
    pacer.hold("get_lists", 0.2)
    pacers.wait(0.25)
    assert pacer.reserve("get_lists") == 0.0


def test_malformed_hints_are_ignored(pacers: Pacers) -> None:
    pacer = pacers.make()
    pacer.observe(
        "create_event", RawResponse(202, (("ratelimit-remaining", "x"), ("ratelimit-reset", "1")))
    )
    assert pacer.reserve("create_event") == 0.0


def test_a_disabled_pacer_lets_everything_through(pacers: Pacers) -> None:
    pacer = pacers.make(enabled=False)
    assert all(pacer.reserve("create_list") == 0.0 for _ in range(100))
    assert all(NO_PACING.reserve("create_list") == 0.0 for _ in range(100))


def test_a_released_slot_is_free_again(pacers: Pacers) -> None:
    pacer = pacers.make()
    slots = [pacer.book("create_list") for _ in range(10)]
    assert all(wait == 0.0 for wait, _ in slots)
    pacer.release("create_list", slots[3][1])  # that attempt was answered 429
    assert pacer.reserve("create_list") == 0.0
    assert pacer.reserve("create_list") == pytest.approx(1.0 + BURST_MARGIN, abs=NEAR)
