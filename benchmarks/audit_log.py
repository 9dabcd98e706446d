"""What the runtime audit log (``audit_log``) costs per call. Prints figures; asserts nothing.

    .venv/bin/python benchmarks/audit_log.py [--quick]

Microseconds per call, without and with ``audit_log`` (a file in a temporary folder), for:

1. ``track`` in dry-run (translated into a Plan);
2. ``track`` live, sent to a transport that discards what it receives (live mode minus the
   network: what a real call costs besides its round trip, tens of milliseconds);
3. ``klaviyo`` 3.1.7 ``Public.track`` live with the discarding transport, the deepest stack a
   call site is looked for through (the class, ``requests.get``, the legacy adapter).

Each figure is the median of 5 runs; the runs without and with the log alternate, so a
machine shared with other work slows both alike.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from typing import Any, Callable

from klaviyo_legacy_compat import CompatClient, Klaviyo
from klaviyo_legacy_compat.testing import RecordingTransport, json_response

KEY = "pk_benchmark_0123456789abcdef0123456789"


def _track(client: CompatClient) -> Callable[[], Any]:
    return lambda: client.track(
        "Placed Order",
        {"$email": "ann@example.com", "$first_name": "Ann", "$city": "Paris"},
        {"$event_id": "1001", "$value": 42.5, "items": ["Boots", "Socks"]},
        1714564800,
    )


def _public_track(client: CompatClient) -> Callable[[], Any]:
    legacy = Klaviyo(public_token="AbC123", private_token=KEY, client=client)
    return lambda: legacy.Public.track(
        "Placed Order", email="ann@example.com", properties={"$value": 42.5}, timestamp=1714564800
    )


CASES: dict[str, tuple[dict[str, Any], Callable[[CompatClient], Callable[[], Any]]]] = {
    "track, dry-run": ({"dry_run": True}, _track),
    "track, live (discarding transport)": ({}, _track),
    "klaviyo 3.1.7 Public.track, live (discarding)": ({}, _public_track),
}


def _client(options: dict[str, Any], log: str | None) -> CompatClient:
    transport = RecordingTransport(lambda request: json_response(202), keep=False)
    return CompatClient(
        private_key=KEY, transport=transport, pacing=False, audit_log=log, **options
    )


def _run(call: Callable[[], Any], rounds: int) -> float:
    start = time.perf_counter()
    for _ in range(rounds):
        call()
    return (time.perf_counter() - start) / rounds * 1e6


def measure(rounds: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        log = os.path.join(folder, "audit.jsonl")
        print(f"{'case':<48} {'without':>10} {'with':>10} {'difference':>12}")
        for name, (options, make) in CASES.items():
            without, with_log = make(_client(options, None)), make(_client(options, log))
            for call in (without, with_log):  # warm up: caches, the log's descriptor
                _run(call, min(rounds, 200))
            samples: dict[bool, list[float]] = {False: [], True: []}
            for _ in range(5):
                samples[False].append(_run(without, rounds))
                samples[True].append(_run(with_log, rounds))
            off, on = statistics.median(samples[False]), statistics.median(samples[True])
            print(
                f"{name:<48} {off:>8.1f}us {on:>8.1f}us {on - off:>+9.1f}us"
                f" ({(on - off) / off:+.0%})"
            )
        with open(log, encoding="utf-8") as written:
            lines = sum(1 for _ in written)
        size = os.path.getsize(log)
        print(f"\n{lines} lines written, {size / lines:.0f} bytes each")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    args = parser.parse_args()
    measure(500 if args.quick else 3000)


if __name__ == "__main__":
    main()
