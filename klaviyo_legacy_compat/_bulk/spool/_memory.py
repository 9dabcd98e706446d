"""The in-memory store of bulk mode, and the :class:`Store` protocol it shares with the
on-disk :class:`~._sqlite.Spool`.

Without ``spool_path`` the batcher keeps its items in a :class:`MemorySpool`: the spool's
life cycle (pending → in flight → done or failed) in memory, lost with the process as any
in-memory buffer. So at shutdown (``_shutdown``) it is sealed: it hands over what is left,
for the log, and takes nothing more.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any, Optional, Protocol

from klaviyo_legacy_compat._core.convert import encode_json

__all__ = ["MemorySpool", "Sealed", "Store"]


class Store(Protocol):
    """What the batcher needs of a spool; :class:`~._spool.Spool` on disk, or
    :class:`MemorySpool`."""

    def add_many(self, kind: str, items: Iterable[Any]) -> list[int]: ...
    def take(self, kind: str, limit: int) -> list[tuple[int, dict[str, Any]]]: ...
    def done(self, ids: Iterable[int]) -> None: ...
    def release(self, ids: Iterable[int]) -> None: ...
    def fail(self, ids: Iterable[int], reason: str) -> None: ...
    def failed(self, kind: Optional[str] = None) -> list[tuple[int, str, dict[str, Any], str]]: ...
    def pending_kinds(self) -> list[str]: ...
    def pending_by_kind(self) -> dict[str, tuple[int, int]]: ...
    def retry_failed(self, ids: Optional[Iterable[int]] = None) -> int: ...
    def close(self) -> None: ...


class Sealed(Exception):
    """A :class:`MemorySpool` takes nothing more: its items went to the log at shutdown."""


class MemorySpool:
    """The spool's life cycle (pending → in flight → done or failed) in memory: what the
    batcher uses without ``spool_path``. Lost with the process, as any in-memory buffer:
    so at shutdown :meth:`seal` hands over what is left, for the log."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._next = 1
        self._pending: dict[str, dict[int, dict[str, Any]]] = {}
        self._in_flight: dict[int, tuple[str, dict[str, Any]]] = {}
        self._failed: dict[int, tuple[str, dict[str, Any], str]] = {}
        self._sealed = False

    def add_many(self, kind: str, items: Iterable[Any]) -> list[int]:
        with self._lock:
            if self._sealed:
                raise Sealed
            queue = self._pending.setdefault(kind, {})
            ids = []
            for item in items:
                ids.append(self._next)
                queue[self._next] = item
                self._next += 1
            return ids

    def take(self, kind: str, limit: int) -> list[tuple[int, dict[str, Any]]]:
        with self._lock:
            queue = self._pending.get(kind, {})
            taken = []
            for key in sorted(queue)[:limit]:
                item = queue.pop(key)
                self._in_flight[key] = (kind, item)
                taken.append((key, item))
            return taken

    def done(self, ids: Iterable[int]) -> None:
        with self._lock:
            for key in self._settling(ids):
                del self._in_flight[key]

    def release(self, ids: Iterable[int]) -> None:
        with self._lock:
            for key in self._settling(ids):
                kind, item = self._in_flight.pop(key)
                self._pending.setdefault(kind, {})[key] = item

    def fail(self, ids: Iterable[int], reason: str) -> None:
        with self._lock:
            for key in self._settling(ids):
                kind, item = self._in_flight.pop(key)
                self._failed[key] = (kind, item, reason)

    def seal(self) -> list[tuple[str, str, dict[str, Any]]]:
        """Hand over every item not settled, as ``(kind, state, item)`` in arrival order
        (``state``: ``"pending"``, or ``"in flight"`` when its answer has not come), and take
        nothing more. An answer that comes later for a handed-over item changes nothing."""
        with self._lock:
            self._sealed = True
            left = [
                (key, kind, "pending", item)
                for kind, queue in self._pending.items()
                for key, item in queue.items()
            ]
            left += [
                (key, kind, "in flight", item) for key, (kind, item) in self._in_flight.items()
            ]
            self._pending.clear()
            self._in_flight.clear()
        return [(kind, state, item) for _, kind, state, item in sorted(left, key=lambda r: r[0])]

    def _settling(self, ids: Iterable[int]) -> Iterable[int]:
        # Once sealed, what was in flight is in the log: a late answer settles nothing.
        return [key for key in ids if key in self._in_flight] if self._sealed else ids

    def failed(self, kind: Optional[str] = None) -> list[tuple[int, str, dict[str, Any], str]]:
        with self._lock:
            return [
                (key, k, item, reason)
                for key, (k, item, reason) in sorted(self._failed.items())
                if kind is None or k == kind
            ]

    def pending_kinds(self) -> list[str]:
        with self._lock:
            ready = [(min(q), kind) for kind, q in self._pending.items() if q]
            return [kind for _, kind in sorted(ready)]

    def retry_failed(self, ids: Optional[Iterable[int]] = None) -> int:
        with self._lock:
            keys = sorted(self._failed) if ids is None else sorted(ids)
            for key in keys:
                kind, item, _ = self._failed.pop(key)
                self._pending.setdefault(kind, {})[key] = item
            return len(keys)

    def pending_by_kind(self) -> dict[str, tuple[int, int]]:
        with self._lock:
            return {
                kind: (len(q), sum(len(encode_json(item)) for item in q.values()))
                for kind, q in self._pending.items()
                if q
            }

    def close(self) -> None:
        pass
