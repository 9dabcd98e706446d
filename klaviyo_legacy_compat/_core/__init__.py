"""The pure core: legacy input → typed calls → translators → a ``Plan`` of requests.

Nothing in this folder does I/O: no network, no sockets, no files, no clocks or sleeps, no
threads, no environment (``tests/test_core_no_io.py`` holds every module here to that, and
ruff bans ``requests``, ``socket`` and ``time.sleep``). Time reaches a translator only as a
value (``_flow.now``), keys never (``prepare`` is where a key meets a request). It imports
nothing from the other layers.
"""

__all__: list[str] = []
