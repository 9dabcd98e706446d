"""A local Klaviyo in a child process, for the benchmarks that must not share a CPU-bound
interpreter with it (``backfill.py``, ``shutdown.py``): ``with local_klaviyo(STATS,
**options) as server`` starts it, ``server.stats()`` asks it for the figures ``STATS``
computes (a Python expression over ``server``, the running ``LocalKlaviyo``)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_SCRIPT = """
import json, sys
from collections import Counter
from klaviyo_legacy_compat.testing import LocalKlaviyo
with LocalKlaviyo(**json.loads(sys.argv[1])) as server:
    print(json.dumps({"base_url": server.base_url, "private_key": server.private_key}))
    sys.stdout.flush()
    for line in sys.stdin:
        served = server.requests
        print(json.dumps(%s))
        sys.stdout.flush()
"""


class Server:
    """A local Klaviyo in a child process: ``base_url``, ``private_key``, ``stats()``."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        assert process.stdin is not None and process.stdout is not None
        self.process = process
        self.stdin, self.stdout = process.stdin, process.stdout
        started = json.loads(self.stdout.readline())
        self.base_url: str = started["base_url"]
        self.private_key: str = started["private_key"]

    def stats(self) -> dict[str, Any]:
        self.stdin.write("stats\n")
        self.stdin.flush()
        found: dict[str, Any] = json.loads(self.stdout.readline())
        return found


@contextmanager
def local_klaviyo(stats: str, **options: Any) -> Iterator[Server]:
    """A child process serving a ``LocalKlaviyo(**options)``; ``stats`` is the expression
    (over ``server`` and ``served``, its requests) that ``Server.stats()`` answers."""
    process = subprocess.Popen(
        [sys.executable, "-c", _SCRIPT % stats, json.dumps(options)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        yield Server(process)
    finally:
        assert process.stdin is not None and process.stdout is not None
        process.stdin.close()
        process.wait(timeout=30)
        process.stdout.close()
