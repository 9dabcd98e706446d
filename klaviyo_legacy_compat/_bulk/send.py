"""How bulk mode sends what it holds, and settles each item by Klaviyo's answer.

The :class:`~._batching.Batcher` decides when to send (a request's worth waiting, the age
limit, a flush, a shutdown); this module is what one sending does. :func:`deliver` is the
flow of one delivery (``_translate/batches.py`` packs, splits and reads the answers, purely);
a :class:`Ledger` settles each of its items in the store and in the batcher's
:class:`Tally` as its answer comes: delivered, rejected (handed back with Klaviyo's reason)
or kept pending for the next flush. Nothing is dropped: what no spool keeps is logged with
its payload (:func:`log_lost`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Sequence
from typing import Any, Optional

import attrs

from klaviyo_legacy_compat._core.config import BatchMode, Delivery
from klaviyo_legacy_compat._core.convert import encode_json
from klaviyo_legacy_compat._core.errors import APIError
from klaviyo_legacy_compat._core.flow import Flow, Reply, notice, send_all
from klaviyo_legacy_compat._core.prepare import RequestContext
from klaviyo_legacy_compat._core.translate.batches import (
    Batch,
    Item,
    Pending,
    Rejected,
    follow_job,
    settle,
    step,
)
from klaviyo_legacy_compat._transports.retry import RETRY_STATUSES

from .spool import Store

__all__ = [
    "Account",
    "FlushReport",
    "Ledger",
    "Queue",
    "Tally",
    "deliver",
    "final",
    "kind_of",
    "log_lost",
    "pending_items",
]

logger = logging.getLogger("klaviyo_legacy_compat")


def kind_of(spool_kind: str) -> tuple[str, str]:
    """A spool kind (``<item kind>@<account label>``) as ``(item kind, account label)``."""
    kind, _, account = spool_kind.partition("@")
    return kind, account


@attrs.frozen
class Account:
    """Where the items of one account go: the context of its latest call (keys live here, in
    memory only), how to deliver, and the bulk-mode settings."""

    context: RequestContext = attrs.field(repr=False)
    delivery: Delivery
    mode: BatchMode
    concurrency: int


@attrs.define
class Queue:
    """Counters of one spool kind (``<item kind>@<account>``), kept beside the spool so a
    call can tell cheaply whether a request's worth is waiting."""

    count: int = 0
    size: int = 0
    in_flight: int = 0
    since: Optional[float] = None  # monotonic time the oldest pending item arrived
    retry_at: float = 0.0  # after a failed attempt, no automatic flush before this
    backoff: float = 0.0
    # When each item held by this process and not taken yet arrived, oldest first: after a
    # send, ``since`` is the arrival of the oldest one left (items a spool left behind have
    # none: they count from when it was opened).
    arrived: OrderedDict[int, float] = attrs.field(factory=OrderedDict)


@attrs.frozen
class FlushReport:
    """What a flush did: ``requests`` accepted by Klaviyo, ``delivered`` items in them,
    ``rejected`` items handed back with Klaviyo's reasons, ``pending`` items still held
    (their batch failed for now and goes again at the next flush: ``error`` says why)."""

    requests: int = 0
    delivered: int = 0
    rejected: tuple[Rejected, ...] = ()
    pending: int = 0
    error: Optional[BaseException] = None

    @property
    def ok(self) -> bool:
        """Everything held was delivered."""
        return not self.rejected and not self.pending


@attrs.define
class Tally:
    """What one batcher's deliveries came to, guarded by the batcher's lock: ``requests``
    Klaviyo accepted and ``delivered`` items since it started, the ``rejected`` items and the
    last ``error`` since its last report, and ``sizes``, the encoded size of each pending
    item by store key (so an item kept pending is sized as when it was added)."""

    requests: int = 0
    delivered: int = 0
    rejected: list[Rejected] = attrs.field(factory=list)
    error: Optional[BaseException] = None
    reported: tuple[int, int] = (0, 0)
    sizes: dict[int, int] = attrs.field(factory=dict)

    def report(self, pending: int) -> FlushReport:
        """What happened since the last report, with ``pending`` items held; the rejected
        items and the error are reported once (call with the lock held)."""
        report = FlushReport(
            requests=self.requests - self.reported[0],
            delivered=self.delivered - self.reported[1],
            rejected=tuple(self.rejected),
            pending=pending,
            error=self.error,
        )
        self.reported = (self.requests, self.delivered)
        self.rejected = []
        self.error = None
        return report


class Ledger:
    """Settles the ``items`` of one delivery from ``queue`` in ``store`` and ``tally`` (under
    ``lock``, the batcher's), each as its answer comes: delivered or rejected, it leaves in
    flight for good; kept, it is pending again. The delivery settles every item; when it
    raises, the batcher keeps what it had not settled. ``spooled``: a spool keeps what
    Klaviyo rejects (said in the log)."""

    def __init__(
        self,
        store: Store,
        tally: Tally,
        lock: threading.Condition,
        queue: Queue,
        items: Sequence[Pending],
        *,
        spooled: bool,
    ) -> None:
        self.store = store
        self.tally = tally
        self.lock = lock
        self.queue = queue
        self.spooled = spooled
        self.sizes = {p.key: p.size for p in items}
        self.left: set[int] = set()  # kept pending
        self.settled: set[int] = set()  # delivered, rejected or kept

    def unsettled(self) -> list[int]:
        """The items no answer has settled yet."""
        return [key for key in self.sizes if key not in self.settled]

    def settle(
        self, delivered: Sequence[int], rejected: Sequence[Rejected], *, accepted: bool
    ) -> None:
        """Klaviyo refused ``rejected`` and (in a request it ``accepted``) took ``delivered``."""
        gone = [*delivered, *(key for item in rejected for key in item.keys)]
        self.settled.update(gone)
        if delivered:
            self.store.done(delivered)
        for item in rejected:
            self.store.fail(item.keys, item.reason)
            logger.error(
                "Klaviyo rejected a buffered %s (%s); flush() hands it back%s",
                item.kind,
                item.reason,
                ", and the spool keeps it" if self.spooled else "",
            )
        with self.lock:
            self.tally.delivered += len(delivered)
            self.tally.requests += accepted
            self.tally.rejected.extend(rejected)
            self.queue.in_flight -= len(gone)

    def keep(self, keys: Sequence[int], error: BaseException) -> None:
        """These items were not delivered, for now: pending again. The one place an item goes
        back: it is counted, sized and remembered as when it was added, so ``pending()``,
        the flush report and the size and age triggers see it."""
        if not keys:
            return
        queue = self.queue
        self.store.release(keys)
        self.left.update(keys)
        self.settled.update(keys)
        with self.lock:
            self.tally.error = error
            self.tally.sizes.update((key, self.sizes[key]) for key in keys)
            queue.in_flight -= len(keys)
            queue.count += len(keys)
            queue.size += sum(self.sizes[key] for key in keys)
            if queue.since is None:
                queue.since = time.monotonic()
        logger.warning(
            "a bulk request failed (%s); %d items stay pending and go again at the next flush",
            error,
            len(keys),
        )


def deliver(batches: Sequence[Batch], account: Account, ledger: Optional[Ledger]) -> Flow[None]:
    """Send ``batches``, up to ``concurrency`` at once, and settle each answer: delivered,
    split and re-sent, handed back, or kept pending; follow profile import jobs when
    ``wait_for_jobs``. After a batch that failed whole, what was not sent yet stays pending
    too. ``ledger`` (live only) settles the items in the store."""
    queue = deque(batches)
    scale = account.delivery.time_scale
    while queue:
        group = [queue.popleft() for _ in range(min(max(1, account.concurrency), len(queue)))]
        outcomes = yield from send_all([step(batch) for batch in group])
        failure: Optional[BaseException] = None
        for batch, outcome in zip(group, outcomes):
            settled = settle(batch, outcome)
            if settled.failed is not None:
                failure = settled.failed
                if ledger is not None:
                    ledger.keep(batch.keys, failure)
                continue
            rejected = list(settled.rejected)
            if settled.job_id is not None and account.mode.wait_for_jobs:
                try:
                    rejected += yield from follow_job(
                        batch,
                        settled.job_id,
                        depends_on=outcome.index if isinstance(outcome, Reply) else None,
                        interval=1.0 * scale,
                        max_wait=600.0 * scale,
                    )
                except Exception as exc:  # the job was accepted: only following it failed
                    yield from notice(
                        f"profile import job {settled.job_id} was accepted, but following "
                        f"it failed ({exc}); profiles it could not import are not reported"
                    )
            if ledger is not None:
                handed_back = {key for item in rejected for key in item.keys}
                ledger.settle(
                    [k for k in settled.delivered if k not in handed_back],
                    rejected,
                    accepted=bool(settled.delivered),
                )
            queue.extendleft(reversed(settled.resend))
        if failure is not None:
            if ledger is not None:
                ledger.keep([key for batch in queue for key in batch.keys], failure)
            return


def final(error: Optional[BaseException]) -> bool:
    """A batch failed with an answer that sending it again cannot change: a refused key, a
    missing scope, a 4xx that is not throttling (the transport retries what may pass)."""
    return (
        isinstance(error, APIError)
        and error.status_code is not None
        and error.status_code not in RETRY_STATUSES
    )


def log_lost(
    rejected: Sequence[Rejected],
    left: Sequence[tuple[str, str, dict[str, Any]]],
    error: Optional[BaseException],
) -> None:
    """What bulk mode could not deliver and no spool keeps, one ERROR line per item with its
    payload (the only place left to recover it from; an account label, never a key):
    ``rejected`` items with Klaviyo's reasons, and ``left`` as ``(spool kind, state,
    payload)``, ``state`` being ``"pending"`` or ``"in flight"`` (sent, its answer not come:
    Klaviyo may have it, and its ``unique_id`` makes sending it again safe)."""
    for item in rejected:
        logger.error(
            "undelivered %s, rejected (%s): %s",
            item.kind,
            item.reason,
            encode_json(item.payload).decode(),
        )
    for spool_kind, state, payload in left:
        kind, label = kind_of(spool_kind)
        logger.error(
            "undelivered buffered %s of account %s, %s: %s",
            kind,
            label,
            f"still pending ({error or 'not sent in time'})"
            if state == "pending"
            else "in flight (no answer yet: Klaviyo may have it)",
            encode_json(payload).decode(),
        )


def pending_items(
    kind: str, taken: Sequence[tuple[int, dict[str, Any]]], sizes: dict[int, int]
) -> list[Pending]:
    """Items taken from a store, as packing wants them. Each size comes out of ``sizes`` (the
    record of pending items: these are pending no more), or is measured when not recorded
    (an item a spool left)."""
    return [
        Pending(key, Item(kind, payload), sizes.pop(key, 0) or len(encode_json(payload)))
        for key, payload in taken
    ]
