"""The delivery machinery of one client: what carries its requests to Klaviyo.

A :class:`Carrier` holds, for one :class:`~._client.CompatClient`, everything that outlives a
call: one pooled ``requests`` session behind a :class:`~._transport.ReliableTransport` per
pacing and retry configuration (:class:`~._config.Delivery`), one pacer per pacing
configuration, and the bounded thread pool the independent requests of a call go out on.
The client's calls (``_execute.execute``) and bulk mode (:class:`~._batching.Batcher`) both
receive it, so neither reaches into the other; it is closed once, with the client.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Callable, Optional

from klaviyo_legacy_compat._core.config import Delivery
from klaviyo_legacy_compat._core.flow import Outcome, Step, sequentially
from klaviyo_legacy_compat._core.models import RawResponse

from .pacing import NO_PACING, Pacer
from .pacing_redis import RedisPacer
from .retry import RetryPolicy
from .transport import ReliableTransport, RequestsTransport, Transport

if TYPE_CHECKING:
    import requests

__all__ = ["Carrier", "SendAll"]

#: How the independent steps of a flow are sent (``_flow.run``'s ``transmit_all``): the
#: steps, the index of the first, and how to send one.
SendAll = Callable[[Sequence[Step], int, Callable[[Step], RawResponse]], list[Outcome]]


class Carrier:
    """The transports, pacers and worker threads of one client (see the module docstring).

    ``transport`` is a caller's own transport, used as given for every delivery (tests use
    :class:`~klaviyo_legacy_compat.testing.RecordingTransport`); else requests go through
    ``session`` (or a pooled session of its own), paced and retried. Safe to share between
    threads.
    """

    def __init__(
        self, transport: Optional[Transport] = None, session: Optional[requests.Session] = None
    ) -> None:
        self._transport = transport
        self._session = session
        self._http: Optional[RequestsTransport] = None
        self._reliable: dict[Delivery, Transport] = {}
        # One pacer per pacing configuration, not per Delivery: calls that differ only in
        # their retry options must still share one budget per account and endpoint.
        self._pacers: dict[tuple[float, Optional[str]], Pacer] = {}
        # The pool new calls use, and every pool created: a flow may still be submitting to
        # an older, smaller pool, so none is shut down before close().
        self._pool: Optional[ThreadPoolExecutor] = None
        self._pool_size = 0
        self._pools: list[ThreadPoolExecutor] = []
        self._lock = threading.Lock()

    def transport(self, delivery: Delivery) -> Transport:
        """The transport for ``delivery``: the caller's own as given, else one pooled session
        behind a :class:`ReliableTransport` per pacing/retry configuration (so the pacing
        state is shared by every call and thread that use it; with a Redis URL, by every
        process using that Redis)."""
        if self._transport is not None:
            return self._transport
        with self._lock:
            reliable = self._reliable.get(delivery)
            if reliable is None:
                if self._http is None:
                    self._http = RequestsTransport(self._session)
                reliable = ReliableTransport(
                    self._http,
                    pacer=self._pacer_for(delivery),
                    policy=RetryPolicy.scaled(
                        delivery.time_scale,
                        budget=delivery.retry_budget,
                        max_attempts=delivery.max_attempts,
                        connect_budget=delivery.connect_retry_budget,
                    ),
                )
                self._reliable[delivery] = reliable
            return reliable

    def _pacer_for(self, delivery: Delivery) -> Pacer:
        """The pacer of ``delivery``'s pacing configuration (called with ``self._lock``
        held). The retry options are not part of the key: they do not change Klaviyo's
        limits, which every call for one account spends together."""
        if not delivery.pacing:
            return NO_PACING
        key = (delivery.time_scale, delivery.rate_limit_redis_url)
        pacer = self._pacers.get(key)
        if pacer is None:
            if delivery.rate_limit_redis_url is not None:
                pacer = RedisPacer(delivery.rate_limit_redis_url, time_scale=delivery.time_scale)
            else:
                pacer = Pacer(time_scale=delivery.time_scale)
            self._pacers[key] = pacer
        return pacer

    def sender(self, concurrency: int) -> Optional[SendAll]:
        """How independent steps are sent: on a bounded thread pool shared by the client
        (``None``, one after the other, for a concurrency of 1).

        A call asking for more workers than the current pool has gets a bigger pool, which
        new calls use from then on; the smaller one is kept, not shut down, as flows that
        took it may still submit to it (its idle threads go at close())."""
        if concurrency <= 1:
            return None
        with self._lock:
            if self._pool is None or self._pool_size < concurrency:
                self._pool = ThreadPoolExecutor(
                    max_workers=concurrency, thread_name_prefix="klaviyo-legacy-compat"
                )
                self._pool_size = concurrency
                self._pools.append(self._pool)
            pool = self._pool

        def send_all(
            steps: Sequence[Step], first: int, transmit: Callable[[Step], RawResponse]
        ) -> list[Outcome]:
            futures = [
                pool.submit(sequentially, (step,), first + i, transmit)
                for i, step in enumerate(steps)
            ]
            return [future.result()[0] for future in futures]

        return send_all

    def close(self) -> None:
        """Release pooled connections, pacers and worker threads. A later call builds fresh
        pacers and pools (never closed ones)."""
        with self._lock:
            for transport in (self._transport, self._http):
                if transport is not None:
                    transport.close()
            pacers = list(self._pacers.values())
            self._pacers.clear()
            self._reliable.clear()
            pools, self._pools = self._pools, []
            self._pool = None
            self._pool_size = 0
        for pacer in pacers:
            # A RedisPacer holds connections to Redis; the in-process Pacer has nothing to
            # release (and no close()).
            close = getattr(pacer, "close", None)
            if callable(close):
                close()
        for pool in pools:
            pool.shutdown(wait=True)
