"""The retry policy: a pure decision over one failed attempt (urllib3 ``Retry.is_retry``,
stripe ``_should_retry`` style), tested as a table without sleeping.

Why retrying writes is safe here: every write this library sends has a stable identity.
Events carry ``unique_id`` (from ``$event_id``, or derived from the call) and the call-time
``time``, and Klaviyo records one event per profile, metric and ``unique_id`` (spec
``EventCreateQueryV2.unique_id``); profile writes are upserts; subscribe, unsubscribe,
suppress and import jobs are idempotent in effect. An operation not in
:data:`REPLAY_SAFE` (creating a list, say) is retried only when Klaviyo certainly did not
act on it: a 429, or a connection that was never made.

Two budgets. Klaviyo answering 429 or 5xx is reachable and will recover on its own clock
(a rate-limit window, a deploy): those retries spend ``budget`` (``retry_budget``, 120 s).
A request that never reached Klaviyo (refused, DNS, connect timeout, TLS handshake) is more
likely an outage or a misconfiguration, and a caller waiting minutes on it learns nothing:
those spend ``connect_budget`` (``connect_retry_budget``, 30 s), counted from the first of
the consecutive connection failures, attempts included; ``budget`` still bounds the call.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Optional, Union

import attrs

from klaviyo_legacy_compat._core.errors import retry_after_seconds
from klaviyo_legacy_compat._core.models import RawResponse

__all__ = [
    "CONNECT_FAILURES",
    "REPLAY_SAFE",
    "RETRY_STATUSES",
    "STOPS",
    "Decision",
    "Failure",
    "RetryPolicy",
]

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


#: The ways a connection can fail before the request reaches Klaviyo (the transport names
#: them, ``_transport.connect_failure``), and whether another attempt can help: a timeout or
#: a refusal may clear in seconds; a definite answer (the name does not exist, the
#: certificate is refused) is given again to every attempt, so retrying only hides it.
CONNECT_FAILURES: Mapping[str, bool] = {
    "refused": True,  # ECONNREFUSED: nothing listens (yet): a restart, a proxy coming up
    "unreachable": True,  # another connect error (ENETUNREACH, EHOSTUNREACH): a network blip
    "connect_timeout": True,  # the SYN went unanswered: a firewall, a congested path
    "dns": True,  # the resolver did not answer (EAI_AGAIN "temporary failure", EAI_FAIL)
    # EAI_NONAME/EAI_NODATA: the resolver answered that the name has no address (a typo in
    # base_url; an offline macOS also answers this). Asking again gets the same answer.
    "name_not_found": False,
    "tls": True,  # the TLS handshake failed (an alert, a protocol mismatch mid-rotation)
    "certificate_refused": False,  # the certificate did not verify: configuration, not weather
}


@attrs.frozen
class Failure:
    """An attempt that got no response. ``sent`` is ``False`` when the request certainly never
    reached Klaviyo (a connection failure), ``None`` when it may have (a read timeout, a
    reset). ``kind`` names the connection failure (a key of :data:`CONNECT_FAILURES`), when
    the transport could tell."""

    error: BaseException
    sent: Optional[bool] = None
    kind: Optional[str] = None


#: Why a policy stops, each with what the transport's give-up log says about it.
STOPS: Mapping[str, str] = {
    "final": "",  # a success or a 4xx: nothing to retry, nothing to log
    "unsafe": "not retried: it may have been applied, and repeating it is not safe",
    "permanent": "not retried: every attempt would get the same answer",
    "attempts": "max_attempts reached",
    "budget": "the next wait and attempt would overrun {budget}",
}


@attrs.frozen
class Decision:
    """What :meth:`RetryPolicy.decide` decided: ``wait`` seconds before the next attempt, or
    ``None`` and why not (``stop``, a key of :data:`STOPS`). ``budget`` names the option whose
    budget governs this outcome (``retry_budget`` or ``connect_retry_budget``, the one with
    less left) and ``left`` the seconds of it left now."""

    wait: Optional[float]
    stop: Optional[str] = None
    budget: str = "retry_budget"
    left: float = 0.0


Outcome = Union[RawResponse, Failure]


@attrs.frozen
class RetryPolicy:
    """When to try again, and how long to wait first.

    - ``budget``: seconds one request may take in all, attempts and waits included; a retry
      whose wait and next attempt would overrun it is not taken and the last outcome stands.
    - ``connect_budget``: the same for a run of consecutive connection failures (nothing
      reached Klaviyo), counted from the start of its first attempt; ``budget`` still bounds
      the whole call.
    - ``max_attempts``: attempts in all, the first included.
    - ``base_delay``/``max_delay``: the exponential backoff (doubling per attempt), used when
      Klaviyo names no wait; ``jitter`` in [0, 1) spreads it over [½, 1] of its value.
    """

    budget: float = 120.0
    max_attempts: int = 10
    base_delay: float = 0.5
    max_delay: float = 30.0
    connect_budget: float = 30.0

    @classmethod
    def scaled(
        cls, time_scale: float, *, budget: float, max_attempts: int, connect_budget: float = 30.0
    ) -> RetryPolicy:
        """The default backoff shrunk by ``time_scale`` (as the pacing windows are), for a
        time-scaled local Klaviyo; Klaviyo's own named waits are always taken as given, and
        the budgets are the caller's seconds, never scaled."""
        default = cls()
        return cls(
            budget=budget,
            max_attempts=max_attempts,
            base_delay=default.base_delay * time_scale,
            max_delay=default.max_delay * time_scale,
            connect_budget=connect_budget,
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
        unreachable_for: float = 0.0,
        next_attempt: float = 0.0,
    ) -> Decision:
        """Whether to try again after attempt ``attempt``, and after how long.

        ``elapsed``: seconds since the call began; ``unreachable_for``: since the first
        attempt of the connection failures that end with this one (for a connection failure);
        ``next_attempt``: what the next attempt may take to fail again (the transport's
        estimate), which must fit in the budget with the wait.

        On a 429: ``Retry-After`` if present, else the "Expected available in N seconds" of
        the error detail, else backoff (new-api.md §6.4). On a 5xx or a failed connection:
        backoff, and only if the request is safe to replay or certainly was not sent; a
        connection failure another attempt cannot change is not retried.
        """
        connecting = isinstance(outcome, Failure) and outcome.sent is False
        budget, left = "retry_budget", self.budget - elapsed
        if connecting and self.connect_budget - unreachable_for < left:
            budget, left = "connect_retry_budget", self.connect_budget - unreachable_for
        replayable = method == "GET" or operation in REPLAY_SAFE
        wait: Optional[float] = None
        stop: Optional[str] = None
        if isinstance(outcome, Failure):
            if not CONNECT_FAILURES.get(outcome.kind or "", True):
                stop = "permanent"
            elif not (replayable or connecting):
                stop = "unsafe"
            else:
                wait = self.backoff(attempt, jitter)
        elif outcome.status not in RETRY_STATUSES:
            stop = "final"
        elif outcome.status == 429:
            # Throttled requests are not processed: always safe to send again.
            # "Expected available in 0 seconds" happens (klaviyo-api-python#15): back off a
            # little rather than hammering.
            named = retry_after_seconds(outcome)
            wait = named if named else self.backoff(attempt, jitter)
        elif not replayable:
            stop = "unsafe"
        else:
            named = retry_after_seconds(outcome) if outcome.status == 503 else None
            wait = self.backoff(attempt, jitter) if named is None else named
        if wait is not None and attempt >= self.max_attempts:
            wait, stop = None, "attempts"
        elif wait is not None and wait + next_attempt > left:
            wait, stop = None, "budget"
        return Decision(wait, stop, budget, left)
