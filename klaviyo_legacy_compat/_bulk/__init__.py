"""Bulk mode: what is held and when it goes (``batching``), one sending and its settling
(``send``), where it is held (``spool``: SQLite on disk, or memory) and the shutdown that
flushes it. Built on ``_core`` and ``_transports`` (it sends through the client's
``Carrier``), never on the surfaces.
"""

__all__: list[str] = []
