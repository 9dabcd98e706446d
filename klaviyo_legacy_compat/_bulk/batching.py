"""Bulk mode: unchanged legacy call sites, delivered as Klaviyo's bulk jobs.

Under ``with klaviyo_legacy_compat.batching():`` (or ``configure(batching=True)``) a
server-side ``track`` or ``identify`` is translated exactly as always, but the request its
translator plans is not sent: :func:`~._translate.batches.capture` turns it into an item,
the :class:`Batcher` keeps it, and the call returns the legacy ``1`` ("accepted for
processing", which is what holding it is). So do a large subscribe's property upserts. The
items go out as ``POST /api/event-bulk-create-jobs`` and ``POST
/api/profile-bulk-import-jobs`` requests (``_translate/batches.py`` packs them):

- when one request's worth is waiting (1,000 events, 10,000 profiles, or 5 MB), in the
  thread whose call completed it, which also keeps a fast producer from outrunning delivery;
- when the oldest item has waited ``batch_max_age`` seconds (a background thread);
- on :meth:`Batcher.flush` / :func:`flush`, at the end of a ``batching()`` block, and at
  interpreter exit.

Nothing is lost. With ``spool_path`` the items are committed to a crash-safe SQLite spool
(:class:`~._spool.Spool`) before the call returns, and the next process that opens it sends
what a crash or a ``kill -9`` left behind. A batch that fails (throttled past the retry
budget, a server error, no answer) stays pending and goes again whole, with the same
``unique_id`` values, so Klaviyo records each event once. A batch rejected for one bad item
is split: the good items go through and the bad one is handed back with Klaviyo's reason
(:class:`~._translate.batches.Rejected`, in :class:`FlushReport` and ``failed()``). With
``wait_for_jobs`` each profile import job is followed until complete and its import errors
are handed back the same way. ``flush()`` raises :class:`PartialDeliveryError` when anything
was rejected or is still pending, so a problem is never silent. When the process is stopped
(SIGTERM, SIGINT, or a worker's exit hook calling :func:`~._shutdown.shutdown`), what is held
is sent within ``shutdown_timeout``, and what could not be is logged at ERROR with its
payload, or stays in the spool.

Items are held per account (a digest of the private key, never the key: only that digest
reaches the spool); a request carries the key of the calls it holds. Calls with only a public
key (``/client`` endpoints) and calls that are not track, identify or subscribe are sent as
usual. In dry-run, calls return a plan that says what was buffered, and ``flush()`` returns
the :class:`Plan` of the bulk requests instead of sending them.

This module decides what is held and when it goes; ``_bulk_send`` is what one sending does
(the delivery flow, and the ledger that settles each item), ``_spool`` where items are kept
meanwhile, and the client's :class:`~._carrier.Carrier` what carries the requests.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Callable, Optional

import attrs

from klaviyo_legacy_compat._core.config import BatchMode, Settings
from klaviyo_legacy_compat._core.convert import encode_json
from klaviyo_legacy_compat._core.credentials import account_label
from klaviyo_legacy_compat._core.errors import APIError, ConfigurationError, PartialDeliveryError
from klaviyo_legacy_compat._core.flow import Step, default_reply, run
from klaviyo_legacy_compat._core.models import PlannedRequest, RawResponse
from klaviyo_legacy_compat._core.plan import Plan
from klaviyo_legacy_compat._core.prepare import RequestContext, prepare
from klaviyo_legacy_compat._core.translate.batches import (
    KINDS,
    Batch,
    Item,
    Rejected,
    caps,
    pack,
)

from .send import (
    Account,
    FlushReport,
    Ledger,
    Queue,
    Tally,
    deliver,
    final,
    kind_of,
    log_lost,
    pending_items,
)
from .shutdown import LIVE, arm, memory_closed
from .spool import MemorySpool, Sealed, Spool, Store

if TYPE_CHECKING:
    from klaviyo_legacy_compat._transports.carrier import Carrier

__all__ = ["Batcher", "FlushReport"]

logger = logging.getLogger("klaviyo_legacy_compat")


#: A kind whose waiting items fill this share of a request's byte cap is sent as full.
_FULL = 0.8
#: Requests' worth waiting beyond which the calling thread sends them itself (the
#: background sender has fallen behind): bounds memory, and slows a producer to delivery.
_BACKLOG = 16


class Batcher:
    """The buffer of one :class:`CompatClient` in bulk mode (see the module docstring).
    It sends through ``carrier``, the client's delivery machinery; ``settings`` gives the
    client's current settings (for ``shutdown_timeout``). ``store``: the spool at
    ``spool_path``, opened already (the ``spool`` command drains one it holds the lock of);
    else it is opened at the first live call or flush."""

    def __init__(
        self,
        carrier: Carrier,
        *,
        settings: Callable[[], Settings],
        spool_path: Optional[str] = None,
        store: Optional[Spool] = None,
    ) -> None:
        self._carrier = carrier
        self._settings = settings
        self.spool_path = spool_path
        # Opened by the first live call or flush (see _open): a dry run never opens, creates
        # or locks a spool.
        self._store: Optional[Store] = None
        self._lock = threading.Condition()
        self._flushing = threading.RLock()
        self._queues: dict[str, Queue] = {}
        self._accounts: dict[str, Account] = {}
        self._tally = Tally()  # guarded by self._lock
        self._labels: dict[str, str] = {}  # private key → account label (memory only)
        self._thread: Optional[threading.Thread] = None
        self._closed = False
        # Shutdown (_shutdown.py): hold nothing more, send what is held by the deadline.
        self._stopping = False
        self._deadline = 0.0
        self._hurried: Callable[[], bool] = lambda: False
        self._drained = threading.Event()  # the sender sent what it could
        self._finished = threading.Event()  # what is left is logged, or kept in the spool
        # Dry-run items never reach the spool: they are shown, not kept.
        self._dry = MemorySpool()
        self._dry_accounts: dict[str, Account] = {}
        if store is not None:
            self._adopt(store)
        LIVE.add(self)

    def __repr__(self) -> str:
        return f"<Batcher spool={self.spool_path!r} pending={self.pending()}>"

    # --- adding ---------------------------------------------------------------------------

    def account(self, settings: Settings, context: RequestContext) -> Optional[str]:
        """Register the account of a call about to be captured; its label, or ``None``
        when the call cannot be batched (no private key). A live call opens the store
        (the spool, which may hold what an earlier process left)."""
        if not settings.dry_run:
            if self._stopping:
                # Shutting down: wait for its end (within its bound), then send as it is.
                self._finished.wait(max(0.0, self._deadline - time.monotonic()) + 1.0)
                return None
            if self._closed:
                return None  # nothing is held after close(): the call is sent as it is
            if self._store is None:
                self._open()
        key = context.credentials.private_key
        if key is None:
            if not settings.dry_run:
                return None
            key = ""  # dry-run shows where the key goes without one
        label = self._labels.get(key)
        if label is None:
            label = self._labels.setdefault(key, account_label(key))
        accounts = self._dry_accounts if settings.dry_run else self._accounts
        known = accounts.get(label)
        if (
            known is not None
            and known.context == context
            and known.delivery == settings.delivery
            and known.mode == settings.batch
            and known.concurrency == settings.options.max_concurrency
        ):
            return label  # the common case: nothing changed since the last call
        account = Account(
            context, settings.delivery, settings.batch, settings.options.max_concurrency
        )
        with self._lock:
            accounts[label] = account
            waiting = any(k.endswith("@" + label) and q.count for k, q in self._queues.items())
        if waiting and not settings.dry_run:
            self._start()  # a spool left items for this account: send them
        return label

    def add(self, items: Sequence[Item], account: str, *, dry_run: bool = False) -> bool:
        """Hold ``items`` (durably, with a spool) for ``account``. A request's worth waiting
        wakes the background sender; a backlog of several (delivery falling behind) is sent
        in this thread, which keeps a fast producer from outrunning delivery.

        ``False``, holding nothing, once the batcher holds nothing more (closed, or shutting
        down): the caller sends the items as they are."""
        if dry_run:
            store: Store = self._dry
        elif self._stopping or self._closed:
            return False
        else:
            store = self._open()
            if isinstance(store, MemorySpool):
                if memory_closed():
                    return False  # the process was shut down: nothing more in memory
                if not _SIGNALS_ARMED:
                    _arm_signals()  # held in memory: SIGTERM and SIGINT must not lose it
        by_kind: dict[str, list[dict[str, Any]]] = {}
        for item in items:
            by_kind.setdefault(f"{item.kind}@{account}", []).append(item.payload)
        behind = []
        for spool_kind, payloads in by_kind.items():
            try:
                keys = store.add_many(spool_kind, payloads)
            except Sealed:
                return False  # the shutdown sealed it between the check above and now
            if dry_run:
                continue
            sizes = [len(encode_json(p)) for p in payloads]
            cap, limit = caps(kind_of(spool_kind)[0])
            with self._lock:
                self._tally.sizes.update(zip(keys, sizes))
                queue = self._queues.setdefault(spool_kind, Queue())
                was_full = queue.count >= cap or queue.size >= limit * _FULL
                queue.count += len(payloads)
                queue.size += sum(sizes)
                now = time.monotonic()
                queue.arrived.update((key, now) for key in keys)
                if queue.since is None:
                    queue.since = now
                    self._lock.notify_all()  # a new deadline
                elif not was_full and (queue.count >= cap or queue.size >= limit * _FULL):
                    self._lock.notify_all()  # a request's worth: send it now
                if queue.count >= cap * _BACKLOG and time.monotonic() >= queue.retry_at:
                    behind.append(spool_kind)
        if dry_run:
            return True
        self._start()
        for spool_kind in behind:
            with self._flushing:
                self._drain(spool_kind, full_only=True)
        return True

    # --- flushing ---------------------------------------------------------------------------

    def flush(self, *, raise_errors: bool = True) -> FlushReport:
        """Send everything held now; the report of what happened since the last report.

        Raises :class:`PartialDeliveryError` (``undelivered``: the rejected items and the
        pending payloads) when anything was rejected or stays pending, unless
        ``raise_errors=False``.
        """
        if self._closed:
            return FlushReport()  # closed or shut down: it holds nothing, and said so
        with self._flushing:
            self._open()
            for spool_kind in self._kinds():
                self._drain(spool_kind, full_only=False)
            report = self._report()
        if raise_errors and not report.ok:
            raise self._failure(report)
        return report

    def plan(self, *, clear: bool = False) -> Plan:
        """Dry-run: the bulk requests a flush would send for the calls made in dry-run."""
        requests: list[PlannedRequest] = []
        warnings: list[str] = []
        context: Optional[RequestContext] = None

        def record(one: Step) -> RawResponse:
            requests.append(one.request)
            return one.dry_run_reply or default_reply(one.request)

        with self._flushing:
            for spool_kind in self._dry.pending_kinds():
                kind, label = kind_of(spool_kind)
                account = self._dry_accounts[label]
                context = context or account.context
                taken = self._dry.take(spool_kind, 10**9)
                # Dry-run items have no recorded sizes (their keys are the dry store's).
                batches = pack(kind, pending_items(kind, taken, {}))
                cap, limit = caps(kind)
                warnings.append(
                    f"bulk mode: {len(taken)} held {kind} item(s) in {len(batches)} "
                    f"{KINDS[kind]} request(s) (at most {cap} and {limit / 2**20:g} MB each)"
                )
                flow = deliver(batches, account, None)
                run(flow, record, lambda n: warnings.append(n.text))
                (self._dry.done if clear else self._dry.release)([key for key, _ in taken])
        return Plan(tuple(requests), tuple(warnings), context or RequestContext())

    def pending(self) -> int:
        """Items held and not yet accepted by Klaviyo (in flight included)."""
        with self._lock:
            return sum(q.count + q.in_flight for q in self._queues.values())

    def failed(self) -> list[Rejected]:
        """Every item Klaviyo rejected and the spool still keeps (``retry_failed()`` puts
        them back)."""
        out = []
        for key, spool_kind, payload, reason in self._open().failed():
            out.append(Rejected(kind_of(spool_kind)[0], payload, reason, (key,)))
        return out

    def retry_failed(self) -> int:
        """Put every rejected item back to pending (after fixing what Klaviyo refused);
        the next flush sends them again. Returns how many."""
        store = self._open()
        count = store.retry_failed()
        with self._lock:
            for spool_kind, (pending, size) in store.pending_by_kind().items():
                queue = self._queues.setdefault(spool_kind, Queue())
                queue.count, queue.size = pending, size
                queue.since = queue.since or time.monotonic()
            self._lock.notify_all()
        return count

    @property
    def stats(self) -> tuple[int, int]:
        """``(requests, items)`` Klaviyo accepted since this batcher started."""
        with self._lock:
            return self._tally.requests, self._tally.delivered

    def close(self, *, flush: bool = True) -> Optional[FlushReport]:
        """Flush (by default), stop the background thread and close the spool. Items still
        pending stay in the spool; without one they are logged, payloads included, so that
        they can be recovered from the log. Calls made after are sent one by one; a second
        ``close()`` does nothing."""
        if self._stopping:
            # A shutdown is under way (a signal, a worker's exit hook): it ends within its
            # bound, and says what it could not deliver.
            self._finished.wait(max(0.0, self._deadline - time.monotonic()) + 1.0)
        if self._closed:
            return None
        report = None
        opened = self._store is not None  # else nothing was ever held: nothing to say
        try:
            if flush and opened:
                report = self.flush(raise_errors=False)
        finally:
            # Even when the flush raised (an interrupt, a failing spool): the sender stops,
            # what was not delivered is said, and the spool is let go for the next process.
            with self._lock:
                self._closed = True
                self._lock.notify_all()
            if self._thread is not None and self._thread is not threading.current_thread():
                self._thread.join(timeout=5)
            try:
                if flush and opened:
                    left = report if report is not None else self._report()
                    if not left.ok:
                        self._log_undelivered(left)
            finally:
                if self._store is not None:
                    self._store.close()
                LIVE.discard(self)
        return report

    # --- inside -----------------------------------------------------------------------------

    def _open(self) -> Store:
        """The store of live items, opened at its first use: the spool (whose leftovers,
        from a crash or an earlier process, are counted in), or memory."""
        store = self._store
        if store is not None:
            return store
        with self._lock:
            if self._store is None:
                self._adopt(Spool(self.spool_path) if self.spool_path else MemorySpool())
            assert self._store is not None
            return self._store

    def _adopt(self, store: Store) -> None:
        """Use ``store``, counting in what it holds already: what a crash left in a spool
        goes out with the configured key; items of another account wait until a call
        names that account."""
        with self._lock:
            for spool_kind, (count, size) in store.pending_by_kind().items():
                self._queues[spool_kind] = Queue(count=count, size=size, since=time.monotonic())
            for _, _, _, reason in store.failed()[:1]:
                logger.warning(
                    "the spool %s keeps items Klaviyo rejected earlier (%s); see failed()",
                    self.spool_path,
                    reason,
                )
            self._store = store

    def _kinds(self) -> list[str]:
        with self._lock:
            known = [k for k, q in self._queues.items() if q.count]
        return list(dict.fromkeys([*self._open().pending_kinds(), *known]))

    def _drain(self, spool_kind: str, *, full_only: bool) -> None:
        """Send the pending items of one kind and account: all of them, or (``full_only``)
        only whole requests' worth. Stops at the first batch that fails whole."""
        kind, label = kind_of(spool_kind)
        with self._lock:
            account = self._accounts.get(label)
        if account is None:
            return  # drained from a spool, for an account no call has named yet
        cap, most = caps(kind)
        queue = self._queues.setdefault(spool_kind, Queue())
        while True:
            with self._lock:
                count, size = queue.count, queue.size
            if full_only and count < cap and size < most * _FULL:
                return
            limit = cap * max(1, account.concurrency)
            if full_only and count >= cap:
                limit = min(limit, cap * (count // cap))
            taken = self._open().take(spool_kind, limit)
            if not taken:
                with self._lock:
                    queue.count, queue.size, queue.since = 0, 0, None
                    queue.arrived.clear()
                return
            with self._lock:
                items = pending_items(kind, taken, self._tally.sizes)
                queue.count = max(0, queue.count - len(items))
                queue.size = max(0, queue.size - sum(p.size for p in items))
                queue.in_flight += len(items)
                for p in items:
                    queue.arrived.pop(p.key, None)
                # The age of what is left is its own, not that of the first item ever held
                # (which made every later call look overdue, and sent them in requests of a
                # few events each): none left, no age; else the oldest left; items a spool
                # left behind keep theirs.
                if queue.count == 0:
                    queue.since = None
                elif queue.arrived:
                    queue.since = next(iter(queue.arrived.values()))
            ledger = Ledger(
                self._open(),
                self._tally,
                self._lock,
                queue,
                items,
                spooled=bool(self.spool_path),
            )
            try:
                self._send(pack(kind, items), account, ledger)
            except BaseException as exc:
                # Whatever went wrong, nothing stays in flight: what was not settled is
                # pending again, and the error goes on.
                ledger.keep(ledger.unsettled(), exc)
                raise
            finally:
                if ledger.left:
                    # However the attempt failed, no automatic flush of this kind before the
                    # back-off: a persistent failure is not retried in a tight loop.
                    with self._lock:
                        queue.backoff = min(
                            max(queue.backoff * 2, account.mode.batch_max_age), 60.0
                        )
                        queue.retry_at = time.monotonic() + queue.backoff
            if ledger.left:
                return
            with self._lock:
                queue.backoff = 0.0
                if queue.count == 0:
                    queue.since = None
                    queue.size = 0

    def _send(self, batches: list[Batch], account: Account, ledger: Ledger) -> None:
        """Deliver ``batches``, settling each item in ``ledger``."""
        transport = self._carrier.transport(account.delivery)
        context = account.context

        def transmit(one: Step) -> RawResponse:
            return transport.send(prepare(one.request, context))

        run(
            deliver(batches, account, ledger),
            transmit,
            lambda n: logger.log(n.level, "%s", n.text),
            # At exit the thread pools take no more work: one request after the other.
            None if _EXITING.is_set() else self._carrier.sender(account.concurrency),
            sleep=time.sleep,
        )

    def _report(self) -> FlushReport:
        with self._lock:
            return self._tally.report(sum(q.count for q in self._queues.values()))

    def _failure(self, report: FlushReport) -> PartialDeliveryError:
        """The error a flush raises: every rejected item, then every pending payload."""
        undelivered: list[Any] = [*report.rejected, *(p for _, p in self._peek())]
        cause = report.error
        if cause is None and not report.rejected:
            cause = ConfigurationError(
                f"{report.pending} held items belong to an account whose private key this "
                "process has not been given (a spool left them): configure that key, or "
                "make a call with it, and flush again"
            )
        elif cause is None:
            cause = APIError(
                None,
                description=f"Klaviyo rejected {len(report.rejected)} buffered items; the "
                f"first: {report.rejected[0].reason}",
            )
        return PartialDeliveryError(
            accepted=[f"{report.delivered} items in {report.requests} bulk requests"],
            undelivered=undelivered,
            cause=cause,
            what="buffered items (rejected ones first, with Klaviyo's reasons)",
        )

    def _peek(self) -> list[tuple[str, dict[str, Any]]]:
        """The pending payloads with their spool kinds, for a report (taken and released
        again at once)."""
        out: list[tuple[str, dict[str, Any]]] = []
        store = self._open()
        with self._flushing:
            for spool_kind in store.pending_kinds():
                taken = store.take(spool_kind, 10**9)
                store.release([key for key, _ in taken])
                out.extend((spool_kind, payload) for _, payload in taken)
        return out

    def _log_undelivered(self, report: FlushReport) -> None:
        """At close: what was not delivered, where it is. Without a spool the payloads are
        logged, the only place left to recover them from."""
        if self.spool_path:
            logger.error(
                "%d buffered items are still pending (%s) and %d were rejected; they are kept "
                "in the spool %s",
                report.pending,
                report.error,
                len(report.rejected),
                self.spool_path,
            )
            return
        left = [(spool_kind, "pending", payload) for spool_kind, payload in self._peek()]
        log_lost(report.rejected, left, report.error)

    # --- the background flusher -------------------------------------------------------------

    def _start(self) -> None:
        if self._thread is not None:
            return  # started already (checked again under the lock below)
        with self._lock:
            if self._thread is not None or self._closed:
                return
            self._thread = threading.Thread(
                target=self._run, name="klaviyo-legacy-compat-batcher", daemon=True
            )
            self._thread.start()

    def _due(self) -> tuple[list[tuple[str, bool]], Optional[float]]:
        """What to send now, as ``(kind, whole requests only)``: a kind with a request's
        worth waiting, or whose oldest item is ``batch_max_age`` old (not before the back-off
        after a failure); and how long until the next is due."""
        now = time.monotonic()
        due: list[tuple[str, bool]] = []
        wait: Optional[float] = None
        for spool_kind, queue in self._queues.items():
            account = self._accounts.get(kind_of(spool_kind)[1])
            if not queue.count or queue.since is None or account is None:
                continue
            cap, limit = caps(kind_of(spool_kind)[0])
            full = queue.count >= cap or queue.size >= limit * _FULL
            at = (
                queue.retry_at
                if full
                else max(queue.since + account.mode.batch_max_age, queue.retry_at)
            )
            if at <= now:
                due.append((spool_kind, full))
            else:
                wait = at - now if wait is None else min(wait, at - now)
        return due, wait

    def _run(self) -> None:
        while True:
            with self._lock:
                due, wait = self._due()
                while not due and not self._closed and not self._stopping:
                    self._lock.wait(timeout=wait)
                    due, wait = self._due()
                if self._closed:
                    return
                stopping = self._stopping
            if stopping:
                self._send_before_deadline()
                return
            with self._flushing:
                for spool_kind, full in due:
                    try:
                        self._drain(spool_kind, full_only=full)
                    except Exception:  # pragma: no cover - logged, retried at the next due time
                        logger.exception("bulk mode: an automatic flush failed")

    # --- shutdown (_shutdown.py drives it) ---------------------------------------------------

    def shutdown_timeout(self) -> float:
        """How long a shutdown may spend sending what this batcher holds: its client's
        ``shutdown_timeout``."""
        try:
            return self._settings().batch.shutdown_timeout
        except ConfigurationError:  # the environment went bad since: the default, then
            return BatchMode().shutdown_timeout

    def _begin_shutdown(self, deadline: float, hurried: Callable[[], bool]) -> None:
        """Hold nothing more (calls wait for the end of the shutdown, then are sent one by
        one), and have the sender send everything held until ``deadline`` (monotonic) or
        ``hurried()``; ``_drained`` is set when it is done."""
        with self._lock:
            self._deadline, self._hurried = deadline, hurried
            self._stopping = True
            self._lock.notify_all()
            thread = self._thread
        if self._store is None:
            self._drained.set()  # nothing was ever held
            return
        if thread is None or not thread.is_alive():
            self._thread = None
            try:
                self._start()
            except RuntimeError:
                # No new thread at interpreter exit (Python 3.12+): send from this one.
                self._send_before_deadline()

    def _send_before_deadline(self) -> None:
        """At shutdown: send everything held, each kind in turn, and again after a pause
        while a batch fails, until nothing is left to send, the deadline passes, or the
        operator hurries the shutdown (a second signal)."""
        try:
            with self._flushing:  # after a flush that another thread is making
                while not self._out_of_time():
                    kinds = self._sendable()
                    if not kinds:
                        return
                    for spool_kind in kinds:
                        if self._out_of_time():
                            return
                        self._drain(spool_kind, full_only=False)
                    if not self._sendable():
                        return
                    with self._lock:
                        error = self._tally.error
                    if final(error):
                        return  # a refusal that sending again would only repeat (a bad key)
                    self._pause(_SHUTDOWN_PAUSE)  # a batch failed: once more, shortly
        except Exception:
            logger.exception("bulk mode: sending what was held at shutdown failed")
        finally:
            self._drained.set()

    def _end_shutdown(self, drained: bool) -> FlushReport:
        """After the shutdown's sending (``drained``: all of it was tried): stop, log what is
        left with its payloads (in memory: the log is the only place left for it) or say
        what the spool keeps, and let waiting calls go on, one by one. The report counts as
        ``pending`` what was not delivered."""
        with self._lock:
            self._closed = True
            self._lock.notify_all()
            held = sum(q.count + q.in_flight for q in self._queues.values())
        try:
            report = self._report()
            store = self._store
            if isinstance(store, MemorySpool):
                left = store.seal()
                log_lost(report.rejected, left, report.error)
                held = len(left)
            elif store is not None:
                if held or report.rejected:
                    self._log_undelivered(attrs.evolve(report, pending=held))
                if drained:
                    store.close()  # the sender is done with it: the next process may open it
            return attrs.evolve(report, pending=held)
        finally:
            with self._lock:
                self._queues.clear()
            LIVE.discard(self)
            self._finished.set()

    def _out_of_time(self) -> bool:
        return self._hurried() or time.monotonic() >= self._deadline

    def _sendable(self) -> list[str]:
        """The kinds with items waiting for an account this process knows the key of."""
        with self._lock:
            known = set(self._accounts)
        return [k for k in self._kinds() if kind_of(k)[1] in known]

    def _pause(self, seconds: float) -> None:
        until = min(self._deadline, time.monotonic() + seconds)
        while not self._hurried():
            left = until - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(left, 0.05))


#: At shutdown, the pause before sending again what failed (the transport already retried
#: it within its budget: this only keeps a failing Klaviyo from being asked in a tight loop).
_SHUTDOWN_PAUSE = 0.25

#: Whether SIGTERM and SIGINT are watched (``_shutdown``): every item held in memory asks
#: until they are.
_SIGNALS_ARMED = False


def _arm_signals() -> None:
    """Have ``_shutdown`` watch SIGTERM and SIGINT; it can only from the main thread, so
    until then each item held in memory asks again."""
    global _SIGNALS_ARMED
    _SIGNALS_ARMED = arm()


def _forget_threads() -> None:
    """In a forked child: the parent's threads did not come along; they start again there
    when needed (and the child's own signal watcher when it holds an item)."""
    global _SIGNALS_ARMED
    _SIGNALS_ARMED = False
    for batcher in list(LIVE):
        batcher._thread = None


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_forget_threads)


_EXITING = threading.Event()


@atexit.register
def _flush_at_exit() -> None:
    _EXITING.set()
    for batcher in list(LIVE):
        try:
            batcher.close()
        except Exception:  # pragma: no cover - nothing left to raise to at exit
            logger.exception("bulk mode: the flush at exit failed")
