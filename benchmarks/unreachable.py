"""How long a call takes to fail when Klaviyo cannot be reached, and what it logs. Prints
figures; asserts nothing.

    .venv/bin/python benchmarks/unreachable.py [--runs 3] [--option name=value ...]

One ``track`` call per run, with the default delivery options (or those given), against:

- ``refused``: ``http://127.0.0.1:<port>`` where nothing listens (connection refused at once);
- ``dns``: ``https://nonexistent.invalid`` (a name that cannot exist, RFC 6761 §6.4);
- ``connect timeout``: a listener on 127.0.0.1 whose accept queue is full, so the SYN goes
  unanswered and each attempt waits out the connect timeout (as a firewalled host does).

The three kinds run at once, each on its own client. Figures per kind: seconds to fail
(min, median, max over the runs), attempts made, what was raised, and the log records at
WARNING and above on ``klaviyo_legacy_compat`` (the first and the last shown).
"""

from __future__ import annotations

import argparse
import logging
import socket
import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from klaviyo_legacy_compat import CompatClient


class CountingAdapter(HTTPAdapter):
    """Counts the attempts that reach ``requests`` (each one a connection attempt here)."""

    def __init__(self) -> None:
        super().__init__()
        self.attempts = 0
        self._lock = threading.Lock()

    def send(self, *args: Any, **kwargs: Any) -> requests.Response:
        with self._lock:
            self.attempts += 1
        return super().send(*args, **kwargs)


class Records(logging.Handler):
    """Keeps the records of one thread (each kind runs on its own thread)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.by_thread: dict[int, list[logging.LogRecord]] = {}

    def emit(self, record: logging.LogRecord) -> None:
        self.by_thread.setdefault(record.thread or 0, []).append(record)


def closed_port() -> int:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port: int = probe.getsockname()[1]
    probe.close()
    return port


@contextmanager
def full_listener() -> Iterator[int]:
    """A port whose accept queue is full: a new SYN is dropped, so connecting times out."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port: int = server.getsockname()[1]
    filler = socket.socket()
    filler.connect(("127.0.0.1", port))  # takes the one place in the queue
    try:
        yield port
    finally:
        filler.close()
        server.close()


def fail_once(base_url: str, options: dict[str, Any]) -> tuple[float, int, str]:
    session = requests.Session()
    adapter = CountingAdapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    client = CompatClient(
        private_key="pk_benchmark_0123456789", base_url=base_url, session=session, **options
    )
    start = time.perf_counter()
    try:
        client.track("Viewed", {"$email": "ann@example.com"})
        raised = "nothing (delivered?)"
    except Exception as exc:  # the figure is what was raised
        raised = type(exc).__name__
    elapsed = time.perf_counter() - start
    client.close()
    return elapsed, adapter.attempts, raised


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="calls per kind")
    parser.add_argument(
        "--option", action="append", default=[], help="a call option, name=value (repeatable)"
    )
    args = parser.parse_args()
    options: dict[str, Any] = dict(item.split("=", 1) for item in args.option)
    records = Records()
    log = logging.getLogger("klaviyo_legacy_compat")
    log.addHandler(records)
    log.setLevel(logging.DEBUG)
    log.propagate = False
    results: dict[str, list[tuple[float, int, str]]] = {}
    threads_of: dict[str, int] = {}

    def run(kind: str, base_url: str) -> None:
        threads_of[kind] = threading.get_ident()
        results[kind] = [fail_once(base_url, options) for _ in range(args.runs)]

    print(f"A track call against an unreachable Klaviyo, {args.runs} run(s) per kind")
    print(f"options: {options or 'the defaults'}")
    with full_listener() as blackhole:
        kinds = {
            "refused": f"http://127.0.0.1:{closed_port()}",
            "dns": "https://nonexistent.invalid",
            "connect timeout": f"http://127.0.0.1:{blackhole}",
        }
        threads = [threading.Thread(target=run, args=item) for item in kinds.items()]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    print(f"   {'':16} {'min s':>7} {'median s':>9} {'max s':>7} {'attempts':>9}  raised")
    for kind in kinds:
        times = [r[0] for r in results[kind]]
        attempts = sorted({r[1] for r in results[kind]})
        raised = sorted({r[2] for r in results[kind]})
        print(
            f"   {kind:16} {min(times):7.2f} {statistics.median(times):9.2f} {max(times):7.2f} "
            f"{'/'.join(map(str, attempts)):>9}  {', '.join(raised)}"
        )
    for kind in kinds:
        mine = records.by_thread.get(threads_of[kind], [])
        loud = [r for r in mine if r.levelno >= logging.WARNING]
        print(f"\n   {kind}: {len(loud)} record(s) at WARNING or above, {len(mine)} in all")
        for record in loud[:1] + loud[-1:] if len(loud) > 1 else loud:
            print(f"     {record.levelname}: {record.getMessage()}")


if __name__ == "__main__":
    main()
