"""The pacer's arithmetic with a fake clock: burst and steady windows, server hints, holds.
Nothing sleeps: the tests advance the clock by the waits the pacer returns."""

from __future__ import annotations

import pytest

from klaviyo_legacy_compat._endpoints import endpoint
from klaviyo_legacy_compat._models import RawResponse
from klaviyo_legacy_compat._pacing import BURST_MARGIN, MARGIN, NO_PACING, Pacer


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def drive(pacer: Pacer, clock: Clock, operation: str, count: int) -> list[float]:
    """Send ``count`` requests as fast as the pacer allows; returns their send times."""
    times = []
    for _ in range(count):
        wait = pacer.reserve(operation)
        clock.now += wait
        times.append(clock.now)
    return times


def max_in_window(times: list[float], window: float) -> int:
    return max(sum(1 for t in times if start <= t < start + window) for start in times)


@pytest.mark.parametrize(
    "operation", ["create_event", "bulk_subscribe_profiles", "create_list", "get_lists_for_profile"]
)
def test_no_window_of_either_length_ever_overflows(operation: str) -> None:
    clock = Clock()
    pacer = Pacer(clock=clock)
    row = endpoint(operation)
    times = drive(pacer, clock, operation, row.steady * 2 + 7)
    assert max_in_window(times, 1.0) <= row.burst
    assert max_in_window(times, 60.0) <= row.steady


def test_sustained_rate_is_the_steady_limit_less_the_margin() -> None:
    clock = Clock()
    pacer = Pacer(clock=clock)
    steady = endpoint("bulk_subscribe_profiles").steady  # 750/min
    times = drive(pacer, clock, "bulk_subscribe_profiles", steady * 4 + 1)
    # Whole cycles after the first minute: two windows' worth of requests over two windows.
    rate = 2 * steady / (times[3 * steady] - times[steady]) * 60 if len(times) > 3 * steady else 0.0
    assert steady / (1 + MARGIN) * 0.95 < rate <= steady


def test_a_first_burst_goes_out_at_once_up_to_the_burst_limit() -> None:
    clock = Clock()
    pacer = Pacer(clock=clock)
    assert [pacer.reserve("create_list") for _ in range(10)] == [0.0] * 10
    assert pacer.reserve("create_list") == pytest.approx(1.0 + BURST_MARGIN)


def test_time_scale_shrinks_the_windows() -> None:
    clock = Clock()
    pacer = Pacer(clock=clock, time_scale=0.01)
    for _ in range(10):
        pacer.reserve("create_list")
    assert pacer.reserve("create_list") == pytest.approx(0.01 * (1 + BURST_MARGIN))


def test_endpoints_are_paced_separately() -> None:
    clock = Clock()
    pacer = Pacer(clock=clock)
    for _ in range(10):
        pacer.reserve("create_list")
    assert pacer.reserve("create_event") == 0.0


def test_server_hint_slows_down_before_a_429() -> None:
    clock = Clock()
    pacer = Pacer(clock=clock)
    pacer.observe(
        "create_event",
        RawResponse(
            202,
            (("ratelimit-limit", "3500"), ("ratelimit-remaining", "2"), ("ratelimit-reset", "20")),
        ),
    )
    assert pacer.reserve("create_event") == 0.0
    assert pacer.reserve("create_event") == 0.0
    assert pacer.reserve("create_event") == pytest.approx(20.0)


def test_hold_after_a_429() -> None:
    clock = Clock()
    pacer = Pacer(clock=clock)
    pacer.hold("create_event", 7.5)
    assert pacer.reserve("create_event") == pytest.approx(7.5)
    assert pacer.reserve("create_event") == pytest.approx(7.5)  # queued behind, same slot
    clock.now += 8
    assert pacer.reserve("create_event") == 0.0


def test_malformed_hints_are_ignored() -> None:
    clock = Clock()
    pacer = Pacer(clock=clock)
    pacer.observe(
        "create_event", RawResponse(202, (("ratelimit-remaining", "x"), ("ratelimit-reset", "1")))
    )
    assert pacer.reserve("create_event") == 0.0


def test_no_pacing() -> None:
    assert all(NO_PACING.reserve("create_list") == 0.0 for _ in range(100))


def test_a_released_slot_is_free_again() -> None:
    clock = Clock()
    pacer = Pacer(clock=clock)
    slots = [pacer.book("create_list") for _ in range(10)]
    assert all(wait == 0.0 for wait, _ in slots)
    pacer.release("create_list", slots[3][1])  # that attempt was answered 429
    assert pacer.reserve("create_list") == 0.0
    assert pacer.reserve("create_list") == pytest.approx(1.0 + BURST_MARGIN)
