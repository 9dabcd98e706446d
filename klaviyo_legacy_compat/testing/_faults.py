"""The faults a :class:`~klaviyo_legacy_compat.testing.LocalKlaviyo` injects on request
(``server.faults``): throttling, server errors, connection resets, and answers that are slow
or lost *after* the write was stored, for the retry and exactly-once tests.

:data:`FAULT_KINDS` is the table of what each kind does; :class:`Faults` the thread-safe
queue a test fills and the server takes from, one fault per matching request. How a fault
acts on the wire (an error answer, a dropped connection, a delay) is the server's part.
"""

from __future__ import annotations

import threading
from typing import Optional

import attrs

from klaviyo_legacy_compat._core.endpoints import endpoint

__all__ = ["FAULT_KINDS", "FaultKind", "Faults"]


@attrs.frozen
class FaultKind:
    """What a fault does. ``after_store``: the request is processed and stored first.
    ``status``: the error answer (``None``: no error answer). ``reset``: the connection is
    dropped without an answer. ``retry_after``: a 429 carries ``Retry-After``."""

    after_store: bool
    status: Optional[int] = None
    reset: bool = False
    retry_after: bool = False


#: Fault kinds by name. ``delay`` (see :meth:`Faults.add`) is slept before the fault acts; for
#: ``slow_after_store`` it is the whole point: the write is stored, the answer comes late.
FAULT_KINDS: dict[str, FaultKind] = {
    "429": FaultKind(after_store=False, status=429, retry_after=True),
    "429_no_retry_after": FaultKind(after_store=False, status=429),
    "500": FaultKind(after_store=False, status=500),
    "503": FaultKind(after_store=False, status=503),
    "reset": FaultKind(after_store=False, reset=True),
    "slow_after_store": FaultKind(after_store=True),
    "reset_after_store": FaultKind(after_store=True, reset=True),
}


@attrs.define
class _Fault:
    name: str
    kind: FaultKind
    operation: Optional[str]
    remaining: int
    delay: float
    status: Optional[int]


class Faults:
    """The queue of faults a :class:`LocalKlaviyo` injects. Each incoming request takes the
    first queued fault whose operation matches (``None`` matches any); a fault fires
    ``times`` times, then disappears. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: list[_Fault] = []

    def add(
        self,
        kind: str,
        *,
        operation: Optional[str] = None,
        times: int = 1,
        delay: float = 0.0,
        status: Optional[int] = None,
    ) -> None:
        """Queue a fault. ``kind`` is a key of :data:`FAULT_KINDS`; ``operation`` an
        operationId (``None``: any request); ``delay`` seconds slept before the fault acts;
        ``status`` replaces the error status of an answering kind (``"503"`` with
        ``status=504``)."""
        found = FAULT_KINDS.get(kind)
        if found is None:
            raise ValueError(f"unknown fault kind {kind!r}; known: {sorted(FAULT_KINDS)}")
        if operation is not None:
            try:
                endpoint(operation)
            except KeyError as exc:
                raise ValueError(str(exc)) from None
        if times < 1 or delay < 0:
            raise ValueError("times must be at least 1 and delay not negative")
        if status is not None and found.status is None:
            raise ValueError(f"fault {kind!r} does not answer, so it takes no status")
        with self._lock:
            self._queue.append(_Fault(kind, found, operation, times, delay, status))

    def clear(self) -> None:
        """Drop every queued fault."""
        with self._lock:
            self._queue.clear()

    def pending(self) -> int:
        """How many firings are left, over all queued faults."""
        with self._lock:
            return sum(f.remaining for f in self._queue)

    def _take(self, operation: str) -> Optional[_Fault]:
        """The fault for a request to ``operation``, counted as fired; ``None`` if none."""
        with self._lock:
            for fault in self._queue:
                if fault.operation in (None, operation):
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._queue.remove(fault)
                    return fault
            return None
