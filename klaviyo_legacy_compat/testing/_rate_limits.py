"""LocalKlaviyo's rate limits (new-api.md §6): which bucket and limits a request is metered
against, the fixed windows that count it, and the answers that report them (429
``throttled`` with ``Retry-After``; ``RateLimit-*`` headers on every other answer).

The limits themselves are the endpoint table's (``burst``, ``steady``, ``daily`` of each
operation) plus :data:`STRICTER_LIMITS`, the parameters the spec's prose meters more
strictly. Kept apart from the HTTP side so the model can be read, and tested, as one piece:
the server asks :class:`RateLimiter` and writes what it says.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Mapping
from typing import Callable, Optional

import attrs

from klaviyo_legacy_compat._core.endpoints import Endpoint
from klaviyo_legacy_compat.testing._protocol import Reply, error

__all__ = [
    "STRICTER_LIMITS",
    "RateLimiter",
    "rate_limit_headers",
    "throttled",
    "throttled_detail",
    "wait_text",
]

#: Stricter limits some parameters trigger, from operation descriptions only (new-api.md
#: §6.3): (operation, parameter, value, burst/s, steady/min). Metered in a bucket of their own.
STRICTER_LIMITS: tuple[tuple[str, str, str, int, int], ...] = (
    ("get_list", "additional-fields[list]", "profile_count", 1, 15),
    ("get_profile", "include", "lists", 1, 15),
    ("get_profile", "include", "segments", 1, 15),
    ("get_profiles", "additional-fields[profile]", "predictive_analytics", 10, 150),
    ("get_profiles_for_list", "additional-fields[profile]", "predictive_analytics", 10, 150),
)

#: Window name → length in seconds, and whether ``time_scale`` applies (new-api.md §6.1:
#: burst = 1-second window, steady = 1-minute window; the daily cap is a plain counter).
_WINDOWS: dict[str, tuple[float, bool]] = {
    "burst": (1.0, True),
    "steady": (60.0, True),
    "daily": (86400.0, False),
}


@attrs.define
class _Window:
    start: float
    count: int = 0


class RateLimiter:
    """Klaviyo's model (new-api.md §6.1): per operation, fixed windows counted at once;
    exceeding any one throttles. A window opens at the first request after the previous one
    closed. Throttled requests consume nothing."""

    def __init__(self, time_scale: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.time_scale = time_scale
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[tuple[str, str], _Window] = {}

    def limits(self, row: Endpoint, query: Mapping[str, str]) -> tuple[str, dict[str, int]]:
        """The bucket and its limits (window name → count) for a request."""
        for operation, parameter, value, burst, steady in STRICTER_LIMITS:
            if operation == row.operation and value in query.get(parameter, "").split(","):
                return f"{operation} {parameter}={value}", {"burst": burst, "steady": steady}
        limits = {"burst": row.burst, "steady": row.steady}
        if row.daily is not None:
            limits["daily"] = row.daily
        return row.operation, limits

    def length(self, name: str) -> float:
        """The length in seconds of window ``name``, scaled where the window scales."""
        seconds, scaled = _WINDOWS[name]
        return seconds * self.time_scale if scaled else seconds

    def _current(self, bucket: str, name: str, now: float) -> _Window:
        window = self._windows.get((bucket, name))
        if window is None or now >= window.start + self.length(name):
            window = _Window(now)
            self._windows[(bucket, name)] = window
        return window

    def acquire(self, bucket: str, limits: Mapping[str, int]) -> Optional[float]:
        """Count one request; or, when a window is full, count nothing and return the seconds
        until the last blocking window closes."""
        with self._lock:
            now = self._clock()
            windows = {name: self._current(bucket, name, now) for name in limits}
            waits = [
                window.start + self.length(name) - now
                for name, window in windows.items()
                if window.count >= limits[name]
            ]
            if waits:
                return max(max(waits), 1e-3)
            for window in windows.values():
                window.count += 1
            return None

    def steady(self, bucket: str, limits: Mapping[str, int]) -> tuple[int, int, float]:
        """(limit, remaining, seconds to reset) of the steady window, counting nothing."""
        with self._lock:
            now = self._clock()
            window = self._windows.get((bucket, "steady"))
            length = self.length("steady")
            if window is None or now >= window.start + length:
                return limits["steady"], limits["steady"], length
            return (
                limits["steady"],
                max(0, limits["steady"] - window.count),
                window.start + length - now,
            )

    def reset(self) -> None:
        """Forget every window."""
        with self._lock:
            self._windows.clear()


def throttled_detail(seconds: float) -> str:
    """The ``detail`` of a 429 (the observed text, new-api.md §6.4); N is whole seconds, at
    least 1 while waiting."""
    wait = max(1, math.ceil(seconds)) if seconds > 0 else 0
    return f"Request was throttled. Expected available in {wait} seconds."


def wait_text(seconds: float, time_scale: float) -> str:
    """A wait as a header value: whole seconds at real speed, milliseconds when scaled down
    (a 50 ms window cannot be expressed in whole seconds)."""
    if time_scale >= 1:
        return str(max(1, math.ceil(seconds)))
    return f"{math.ceil(seconds * 1000) / 1000:.3f}"


def throttled(wait: float, *, retry_after: bool, time_scale: float) -> Reply:
    """The 429 ``throttled`` answer, with ``Retry-After`` unless ``retry_after`` is false (as
    some real 429s come: new-api.md §6.4)."""
    headers = (("Retry-After", wait_text(wait, time_scale)),) if retry_after else ()
    return error(429, throttled_detail(wait), pointer="/data", headers=headers)


def rate_limit_headers(
    limiter: RateLimiter, bucket: str, limits: Mapping[str, int], time_scale: float
) -> tuple[tuple[str, str], ...]:
    """The ``RateLimit-*`` headers of a non-429 answer: the steady window's state (new-api.md
    §6.4)."""
    limit, remaining, reset = limiter.steady(bucket, limits)
    return (
        ("RateLimit-Limit", str(limit)),
        ("RateLimit-Remaining", str(remaining)),
        ("RateLimit-Reset", wait_text(reset, time_scale)),
    )
