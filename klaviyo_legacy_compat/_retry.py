"""The retry policy: a pure decision over one failed attempt (urllib3 ``Retry.is_retry``,
stripe ``_should_retry`` style), tested as a table without sleeping.

Why retrying writes is safe here: every write this library sends has a stable identity.
Events carry ``unique_id`` (from ``$event_id``, or derived from the call) and the call-time
``time``, and Klaviyo records one event per profile, metric and ``unique_id`` (spec
``EventCreateQueryV2.unique_id``); profile writes are upserts; subscribe, unsubscribe,
suppress and import jobs are idempotent in effect. An operation not in
:data:`REPLAY_SAFE` (creating a list, say) is retried only when Klaviyo certainly did not
act on it: a 429, or a connection that was never made.
"""

from __future__ import annotations

from typing import Optional, Union

import attrs

from ._errors import retry_after_seconds
from ._models import RawResponse

__all__ = ["REPLAY_SAFE", "RETRY_STATUSES", "Failure", "RetryPolicy"]

#: Statuses worth another attempt: throttling and server-side failures (new-api.md §4, §6.4).
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504, 520, 522, 524})

#: Writes that may be replayed after an ambiguous failure (a timeout, a reset, a 5xx):
#: applying them twice has the effect of applying them once. Reads are always safe.
REPLAY_SAFE = frozenset(
    {
        "create_event",
        "create_client_event",
        "bulk_create_events",
        "bulk_create_client_events",
        "create_or_update_profile",
        "create_profile",  # a replay answers 409 duplicate_profile, which identify handles
        "update_profile",
        "create_client_profile",
        "bulk_import_profiles",
        "bulk_subscribe_profiles",
        "bulk_unsubscribe_profiles",
        "bulk_suppress_profiles",
        "bulk_unsuppress_profiles",
        "create_client_subscription",
        "add_profiles_to_list",
        "remove_profiles_from_list",
        "update_list",
        "request_profile_deletion",
        "query_metric_aggregates",
        "render_template",
    }
)


@attrs.frozen
class Failure:
    """An attempt that got no response. ``sent`` is ``False`` when the request certainly never
    reached Klaviyo (the connection was refused or never made), ``None`` when it may have."""

    error: BaseException
    sent: Optional[bool] = None


Outcome = Union[RawResponse, Failure]


@attrs.frozen
class RetryPolicy:
    """When to try again, and how long to wait first.

    - ``budget``: seconds one request may spend in total, waits included; a wait that would
      overrun it is not taken and the last outcome stands.
    - ``max_attempts``: attempts in all, the first included.
    - ``base_delay``/``max_delay``: the exponential backoff (doubling per attempt), used when
      Klaviyo names no wait; ``jitter`` in [0, 1) spreads it over [½, 1] of its value.
    """

    budget: float = 120.0
    max_attempts: int = 10
    base_delay: float = 0.5
    max_delay: float = 30.0

    @classmethod
    def scaled(cls, time_scale: float, *, budget: float, max_attempts: int) -> RetryPolicy:
        """The default backoff shrunk by ``time_scale`` (as the pacing windows are), for a
        time-scaled local Klaviyo; Klaviyo's own named waits are always taken as given."""
        default = cls()
        return cls(
            budget=budget,
            max_attempts=max_attempts,
            base_delay=default.base_delay * time_scale,
            max_delay=default.max_delay * time_scale,
        )

    def backoff(self, attempt: int, jitter: float) -> float:
        """The wait after failed attempt ``attempt`` (1-based) when Klaviyo gave none."""
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        return float(ceiling * (0.5 + jitter / 2))

    def decide(
        self,
        *,
        operation: str,
        method: str,
        attempt: int,
        outcome: Outcome,
        elapsed: float,
        jitter: float,
    ) -> Optional[float]:
        """Seconds to wait before attempt ``attempt + 1``, or ``None`` to stop here.

        On a 429: ``Retry-After`` if present, else the "Expected available in N seconds" of
        the error detail, else backoff (new-api.md §6.4). On a 5xx or a failed connection:
        backoff, and only if the request is safe to replay or certainly was not sent.
        """
        if attempt >= self.max_attempts:
            return None
        replayable = method == "GET" or operation in REPLAY_SAFE
        if isinstance(outcome, Failure):
            if not (replayable or outcome.sent is False):
                return None
            wait = self.backoff(attempt, jitter)
        elif outcome.status not in RETRY_STATUSES:
            return None
        elif outcome.status == 429:
            # Throttled requests are not processed: always safe to send again.
            # "Expected available in 0 seconds" happens (klaviyo-api-python#15): back off a
            # little rather than hammering.
            named = retry_after_seconds(outcome)
            wait = named if named else self.backoff(attempt, jitter)
        else:
            if not replayable:
                return None
            named = retry_after_seconds(outcome) if outcome.status == 503 else None
            wait = self.backoff(attempt, jitter) if named is None else named
        if elapsed + wait > self.budget:
            return None
        return wait
