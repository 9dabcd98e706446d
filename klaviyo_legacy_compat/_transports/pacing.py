"""Client-side pacing: stay inside each endpoint's burst and steady limits before Klaviyo has
to say 429.

Klaviyo limits every endpoint twice, per second (burst) and per minute (steady), in fixed
windows per account (new-api.md §6.1; numbers from the endpoint table). The pacer keeps,
per endpoint, the times of the last requests it let through and holds a request back until
both sliding windows have room: a sliding window never admits more than the limit in any
interval of its length, so no fixed window on the server can overflow. Windows are a few
percent longer than Klaviyo's (``MARGIN``) to absorb network jitter.

It also listens: ``RateLimit-Remaining``/``RateLimit-Reset`` on a response say how much of
the steady window is left for the whole account (other processes included), and after a
429 the endpoint is held until the wait Klaviyo named has passed.

Reservations are first come, first served and shared by every thread using one client.
Klaviyo counts per account, so lanes are per ``account`` (an opaque label derived from the
key, never the key) and per operation.
Time comes from an injected clock, so the arithmetic is tested without sleeping; the caller
sleeps for the wait :meth:`Pacer.reserve` returns.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from typing import Callable, Optional

import attrs

from klaviyo_legacy_compat._core.endpoints import endpoint
from klaviyo_legacy_compat._core.models import RawResponse

__all__ = ["BURST_MARGIN", "MARGIN", "NO_PACING", "Pacer", "rate_limit_hint"]

#: Extra length of each window, as a fraction, so requests that travel at different speeds
#: still land inside Klaviyo's windows. The one-second burst window needs more than the
#: one-minute steady window: the same jitter is a larger share of it. The steady margin is
#: what sustained throughput pays.
MARGIN = 0.03
BURST_MARGIN = 0.10

BURST_SECONDS = 1.0
STEADY_SECONDS = 60.0


@attrs.define
class _Lane:
    """The pacing state of one endpoint."""

    burst: int
    steady: int
    recent_burst: deque[float]
    recent_steady: deque[float]
    last: float = float("-inf")
    held_until: float = float("-inf")
    # Klaviyo's own count for the steady window: requests left, and until when.
    server_remaining: Optional[int] = None
    server_until: float = float("-inf")


def rate_limit_hint(response: RawResponse) -> Optional[tuple[int, float]]:
    """Klaviyo's ``RateLimit-Remaining`` and ``RateLimit-Reset`` (requests left in the steady
    window, seconds until it resets), or ``None`` when absent or unreadable."""
    remaining = response.header("ratelimit-remaining")
    reset = response.header("ratelimit-reset")
    if remaining is None or reset is None:
        return None
    try:
        return int(float(remaining)), float(reset)
    except ValueError:
        return None


class Pacer:
    """Per-endpoint sliding windows, shared by every thread of one client.

    ``time_scale`` shrinks both windows (and the server's named waits are taken as given):
    ``time_scale=0.1`` paces against a :class:`~klaviyo_legacy_compat.testing.LocalKlaviyo`
    started with the same scale. ``clock`` is monotonic seconds.
    """

    def __init__(
        self,
        *,
        time_scale: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        enabled: bool = True,
    ) -> None:
        self.enabled = enabled
        self.time_scale = time_scale
        self.clock = clock
        self._burst_window = BURST_SECONDS * time_scale * (1 + BURST_MARGIN)
        self._steady_window = STEADY_SECONDS * time_scale * (1 + MARGIN)
        self._lanes: dict[tuple[str, str], _Lane] = {}
        self._lock = threading.Lock()

    def _lane(self, operation: str, account: str) -> _Lane:
        lane = self._lanes.get((account, operation))
        if lane is None:
            row = endpoint(operation)
            lane = _Lane(row.burst, row.steady, deque(maxlen=row.burst), deque(maxlen=row.steady))
            self._lanes[(account, operation)] = lane
        return lane

    def reserve(self, operation: str, account: str = "") -> float:
        """Book the next slot for ``operation``; returns the seconds to wait before sending."""
        return self.book(operation, account)[0]

    def book(self, operation: str, account: str = "") -> tuple[float, float]:
        """Book the next slot for ``operation``: (seconds to wait, the slot's time), the time
        being what :meth:`release` takes back."""
        if not self.enabled:
            return 0.0, self.clock()
        with self._lock:
            now = self.clock()
            lane = self._lane(operation, account)
            slot = max(now, lane.last, lane.held_until)
            if len(lane.recent_burst) == lane.burst:
                slot = max(slot, lane.recent_burst[0] + self._burst_window)
            if len(lane.recent_steady) == lane.steady:
                slot = max(slot, lane.recent_steady[0] + self._steady_window)
            if lane.server_remaining is not None and slot < lane.server_until:
                if lane.server_remaining <= 0:
                    slot = lane.server_until
                    lane.server_remaining = None
                else:
                    lane.server_remaining -= 1
            lane.recent_burst.append(slot)
            lane.recent_steady.append(slot)
            lane.last = slot
            return slot - now, slot

    def observe(self, operation: str, response: RawResponse, account: str = "") -> None:
        """Learn from a response: Klaviyo's count of what is left in the steady window."""
        hint = rate_limit_hint(response) if self.enabled else None
        if hint is None:
            return
        left, seconds = hint
        with self._lock:
            lane = self._lane(operation, account)
            lane.server_remaining = left
            lane.server_until = self.clock() + max(0.0, seconds)

    def release(self, operation: str, slot: float, account: str = "") -> None:
        """Give back a slot Klaviyo did not count: the attempt was throttled (a 429 is not
        counted against the limits) or never reached it. Otherwise every 429 would push a
        later request into the next window."""
        if not self.enabled:
            return
        with self._lock:
            lane = self._lane(operation, account)
            for recent in (lane.recent_burst, lane.recent_steady):
                with contextlib.suppress(ValueError):
                    recent.remove(slot)

    def hold(self, operation: str, seconds: float, account: str = "") -> None:
        """Let nothing through for ``operation`` for ``seconds`` (after a 429)."""
        if not self.enabled:
            return
        with self._lock:
            lane = self._lane(operation, account)
            lane.held_until = max(lane.held_until, self.clock() + seconds)


#: A pacer that lets everything through at once (option ``pacing=False``).
NO_PACING = Pacer(enabled=False)
