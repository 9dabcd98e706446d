"""SIGTERM during in-memory bulk mode: how many calls were acknowledged (the legacy ``1``
returned), how many of those Klaviyo stored, how many were logged at ERROR, how many were
lost (neither), and the time from the signal to the end of the process. Prints figures;
asserts nothing.

    .venv/bin/python benchmarks/shutdown.py [--rate 3000] [--seconds 10] [--time-scale 1]

A producer process makes legacy ``track`` calls in bulk mode without a spool, at ``--rate``
calls a second (each event distinct, spread over 1,000 people), writing the number of each
call that returned ``1`` to its standard output as it returns. After ``--seconds`` it is sent
SIGTERM, with Python's default handler underneath (so it ends as SIGTERM ends a process), and
``shutdown_timeout`` at its default (5 s). The local Klaviyo runs in a process of its own with
the spec's rate limits enforced (``event-bulk-create-jobs``: 10 a second, 150 a minute, 1,000
events each; time-scaled by ``--time-scale``). Scenarios:

- Klaviyo up, the producer within its steady limit (2,500 events a second);
- Klaviyo up, the producer as fast as it goes (bulk mode slows it to delivery once 16
  requests' worth wait, so thousands are held at the signal);
- Klaviyo unreachable (connections refused): everything acknowledged is held;
- Klaviyo never answers (connections taken, no response): requests hang past the bound.
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Optional

from _child import Server, local_klaviyo  # benchmarks/ is on the path of a script

from klaviyo_legacy_compat.testing import LocalKlaviyo

#: The figures the local Klaviyo reports (see _child.local_klaviyo).
_STATS = """{
            "unique_ids": [event.unique_id for event in server.store.events],
            "repeats": server.store.repeated_events,
            "requests": len(served),
            "throttled": sum(1 for r in served if r.status == 429),
        }"""

_PRODUCER = """
import logging, sys, time
import klaviyo_legacy_compat as klaviyo
key, base_url, rate, scale = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(message)s")
klaviyo.configure(private_key=key, base_url=base_url, batching=True, time_scale=scale)
start = time.perf_counter()
i = 0
while True:
    if rate:
        ahead = start + i / rate - time.perf_counter()
        if ahead > 0:
            time.sleep(ahead)
    klaviyo.track(
        "Placed Order",
        {"$email": f"u{i % 1000}@example.com", "$first_name": f"U{i % 1000}"},
        {"$value": 10 + i % 90, "OrderId": f"O-{i}", "$event_id": f"ev-{i}"},
    )
    print(i, flush=True)  # acknowledged: track returned 1
    i += 1
"""

#: An ERROR line of an undelivered item: its payload is the JSON at the end.
_LOGGED = re.compile(r"^ERROR undelivered .*?: (\{.*\})$")


@contextmanager
def unreachable() -> Iterator[str]:
    stopped = LocalKlaviyo(enforce_rate_limits=False).start()
    stopped.stop()
    yield stopped.base_url


@contextmanager
def never_answering() -> Iterator[str]:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(128)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


def _collect(stream: Any, into: list[str]) -> threading.Thread:
    """Read ``stream`` to its end in a thread (a full pipe would stall the producer)."""

    def read() -> None:
        for line in stream:
            into.append(line.rstrip("\n"))

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread


def scenario(
    name: str,
    base_url: str,
    key: str,
    *,
    rate: float,
    seconds: float,
    scale: float,
    server: Optional[Server],
) -> None:
    producer = subprocess.Popen(
        [sys.executable, "-c", _PRODUCER, key, base_url, str(rate), str(scale)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    acks: list[str] = []
    errors: list[str] = []
    readers = [_collect(producer.stdout, acks), _collect(producer.stderr, errors)]
    time.sleep(seconds)
    acked_at_signal = len(acks)
    stored_at_signal = len(server.stats()["unique_ids"]) if server is not None else 0
    signalled = time.monotonic()
    producer.send_signal(signal.SIGTERM)
    status = producer.wait(timeout=300)
    took = time.monotonic() - signalled
    for reader in readers:
        reader.join(timeout=30)
    acknowledged = {f"ev-{line}" for line in acks if line.isdigit()}
    stats = server.stats() if server is not None else {"unique_ids": [], "repeats": 0}
    stored = set(stats["unique_ids"])
    logged: set[str] = set()
    for line in errors:
        match = _LOGGED.match(line)
        if match:
            logged.add(json.loads(match.group(1))["event"]["attributes"]["unique_id"])
    lost = acknowledged - stored - logged
    print(
        f"   {name:34} {len(acknowledged):8,d} {acked_at_signal - stored_at_signal:8,d} "
        f"{len(acknowledged & stored):8,d} {len(acknowledged & logged):8,d} "
        f"{len(acknowledged & stored & logged):6,d} {len(lost):6,d} {took:8.2f} s  {status}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=2000, help="calls a second (2000)")
    parser.add_argument("--seconds", type=float, default=10, help="until SIGTERM (10)")
    parser.add_argument(
        "--time-scale", type=float, default=1.0, help="rate-limit windows x this (1: Klaviyo's)"
    )
    args = parser.parse_args()
    scale = args.time_scale
    print(
        f"SIGTERM after {args.seconds:g} s of legacy track calls in bulk mode, in memory "
        f"(shutdown_timeout 5 s; rate limits x{scale:g})"
    )
    print(
        f"   {'':34} {'acked':>8} {'held':>8} {'stored':>8} {'logged':>8} {'both':>6} "
        f"{'lost':>6} {'to exit':>10}  status"
    )
    with local_klaviyo(_STATS, time_scale=scale) as server:
        scenario(
            f"Klaviyo up, {args.rate:,.0f} calls/s",
            server.base_url,
            server.private_key,
            rate=args.rate,
            seconds=args.seconds,
            scale=scale,
            server=server,
        )
    with local_klaviyo(_STATS, time_scale=scale) as server:
        scenario(
            "Klaviyo up, as fast as it goes",
            server.base_url,
            server.private_key,
            rate=0,
            seconds=args.seconds,
            scale=scale,
            server=server,
        )
    key = "pk_bench_0123456789abcdef0123456789ab"
    with unreachable() as base_url:
        scenario(
            "Klaviyo unreachable",
            base_url,
            key,
            rate=args.rate,
            seconds=args.seconds,
            scale=scale,
            server=None,
        )
    with never_answering() as base_url:
        scenario(
            "Klaviyo never answers",
            base_url,
            key,
            rate=args.rate,
            seconds=args.seconds,
            scale=scale,
            server=None,
        )
    print(
        "   acked: calls that returned 1; held: acked at the signal, less stored by then (in "
        "memory, or in flight);\n   stored/logged: acknowledged events Klaviyo stored, or "
        "logged at ERROR with their payload (both: in flight at the end,\n   so logged, and "
        "stored after all); lost: neither; to exit: from SIGTERM to the process's end "
        "(status -15: SIGTERM's)"
    )


if __name__ == "__main__":
    main()
