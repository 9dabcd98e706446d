"""Sending: the transport (the only network I/O), its retries and its pacing (in-process, or
shared across processes through Redis), and a client's ``Carrier``: its transports, pacers and
thread pool, the one delivery machinery that live calls and bulk mode both receive. Built on
``_core`` alone.
"""

__all__: list[str] = []
