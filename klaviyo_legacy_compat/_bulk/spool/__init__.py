"""Where bulk mode keeps what it holds until Klaviyo has accepted it: the store side of
``_batching``.

- :class:`Spool` (``_sqlite``): the crash-safe SQLite file of ``spool_path``, one owner
  at a time; a corrupt, foreign or locked file is a :class:`SpoolError`, never overwritten.
- :class:`MemorySpool` (``_memory``): the same life cycle in memory, without
  ``spool_path``; sealed at shutdown (:class:`Sealed`), when what it holds goes to the log.
- :class:`Store`: what the batcher needs of either.
"""

from __future__ import annotations

from ._memory import MemorySpool, Sealed, Store
from ._sqlite import APPLICATION_ID, SCHEMA_VERSION, Spool, SpoolError

__all__ = [
    "APPLICATION_ID",
    "SCHEMA_VERSION",
    "MemorySpool",
    "Sealed",
    "Spool",
    "SpoolError",
    "Store",
]
