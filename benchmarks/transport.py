"""Transport figures against the local Klaviyo. Prints figures; asserts nothing.

    .venv/bin/pip install klaviyo-api        # once, for the official SDK's column
    .venv/bin/python benchmarks/transport.py [--quick]

1. Per-call overhead, interleaved in one run: our ``track`` against a bare
   ``requests.Session.post`` of the same body and headers, and the official ``klaviyo-api``
   SDK's ``Events.create_event`` for reference (if installed).
2. Throughput under an enforced rate limit, as a fraction of the theoretical maximum, with
   the number of 429s received and events lost.
3. Fault injection: thousands of events with faults injected; stored once, duplicates,
   handed back.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import threading
import time
from collections import Counter
from typing import Any, Callable, Optional

import requests

from klaviyo_legacy_compat import CompatClient, exceptions
from klaviyo_legacy_compat._core.endpoints import endpoint
from klaviyo_legacy_compat._transports.pacing import MARGIN
from klaviyo_legacy_compat.testing import LocalKlaviyo

NOW_ISO = "2024-05-01T12:00:00+00:00"


def _event_body(n: int) -> dict[str, Any]:
    return {
        "data": {
            "type": "event",
            "attributes": {
                "properties": {"sku": "B-1", "n": n},
                "metric": {"data": {"type": "metric", "attributes": {"name": "Viewed"}}},
                "profile": {
                    "data": {"type": "profile", "attributes": {"email": "ann@example.com"}}
                },
                "time": NOW_ISO,
            },
        }
    }


def overhead(rounds: int) -> None:
    print(f"1. Per-call time against the local Klaviyo ({rounds} interleaved rounds), microseconds")
    with LocalKlaviyo(enforce_rate_limits=False) as server:
        headers = {
            "Authorization": f"Klaviyo-API-Key {server.private_key}",
            "revision": "2026-07-15",
            "Accept": "application/vnd.api+json",
            "Content-Type": "application/vnd.api+json",
        }
        url = server.base_url + "/api/events"
        plain = requests.Session()
        no_env = requests.Session()
        no_env.trust_env = False
        ours = CompatClient(private_key=server.private_key, base_url=server.base_url, pacing=False)
        paced = CompatClient(private_key=server.private_key, base_url=server.base_url)
        sdk: Optional[Any] = None
        try:
            from klaviyo_api import KlaviyoAPI

            sdk = KlaviyoAPI(server.private_key, test_host=server.base_url, max_retries=1)
        except ImportError:
            print("   (klaviyo-api is not installed: pip install klaviyo-api for its column)")
        counter = iter(range(10**9))

        def bare(session: requests.Session) -> Callable[[], Any]:
            def post() -> Any:
                body = json.dumps(_event_body(next(counter)), separators=(",", ":")).encode()
                return session.post(url, data=body, headers=headers, timeout=(3.05, 30)).close()

            return post

        candidates: dict[str, Callable[[], Any]] = {
            "requests.Session.post (bare)": bare(plain),
            "requests.Session.post, trust_env=False": bare(no_env),
            "klaviyo_legacy_compat track": lambda: ours.track(
                "Viewed", {"$email": "ann@example.com"}, {"sku": "B-1", "n": next(counter)}
            ),
            "klaviyo_legacy_compat track, paced": lambda: paced.track(
                "Viewed", {"$email": "ann@example.com"}, {"sku": "B-1", "n": next(counter)}
            ),
        }
        if sdk is not None:
            candidates["klaviyo-api Events.create_event"] = lambda: sdk.Events.create_event(
                _event_body(next(counter))
            )
        samples: dict[str, list[float]] = {name: [] for name in candidates}
        names = list(candidates)
        for _ in range(50):  # warm up connections and caches
            for name in names:
                candidates[name]()
        for round_number in range(rounds):
            order = names[round_number % len(names) :] + names[: round_number % len(names)]
            for name in order:
                start = time.perf_counter()
                candidates[name]()
                samples[name].append((time.perf_counter() - start) * 1e6)
        base = statistics.median(samples["requests.Session.post (bare)"])
        print(f"   {'':42} {'median':>8} {'mean':>8} {'ratio to bare':>14}")
        for name in names:
            median, mean = statistics.median(samples[name]), statistics.fmean(samples[name])
            print(f"   {name:42} {median:8.0f} {mean:8.0f} {median / base:14.2f}")
        plain.close()
        no_env.close()
        ours.close()
        paced.close()


def throughput(windows: int) -> None:
    operation, scale = "bulk_subscribe_profiles", 0.1
    row = endpoint(operation)
    total = row.steady * windows
    print(
        f"\n2. Throughput at the limit: {total} {operation} requests, limits {row.burst}/s and "
        f"{row.steady}/min enforced, time scale {scale}"
    )
    with LocalKlaviyo(time_scale=scale) as server:
        list_id = server.store.create_list("Throughput")
        client = CompatClient(
            private_key=server.private_key,
            base_url=server.base_url,
            time_scale=scale,
            return_members=False,
            subscribe_chunk_size=1,
        )
        numbers = iter(range(total))
        lock = threading.Lock()

        def worker() -> None:
            while True:
                with lock:
                    n = next(numbers, None)
                if n is None:
                    return
                client.subscribe_to_list(list_id, [{"email": f"t{n}@example.com"}])

        start = time.perf_counter()
        threads = [threading.Thread(target=worker) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - start
        served = Counter(e.status for e in server.requests if e.operation == operation)
        members = len(server.store.list_members(list_id))
        client.close()
    window = 60 * scale
    # The fastest any client may go: a full window at once (burst-limited), then one window
    # per steady period.
    fastest = (windows - 1) * window + row.steady / row.burst * scale
    print(f"   elapsed {elapsed:.2f} s; theoretical minimum {fastest:.2f} s")
    print(f"   fraction of the theoretical maximum rate: {fastest / elapsed:.3f}")
    print(f"   (the pacer keeps a {MARGIN:.0%} safety margin on each window)")
    print(f"   429s received: {served[429]}; accepted: {served[202]}; lost: {total - members}")


def faults(total: int) -> None:
    kinds = ["429", "429_no_retry_after", "503", "reset", "slow_after_store", "reset_after_store"]
    rng = random.Random(7)
    plan = [rng.choice(kinds) if rng.random() < 0.15 else None for _ in range(total)]
    faulty = sum(1 for p in plan if p)
    print(f"\n3. Fault injection: {total} track calls from 8 threads, faults on {faulty}")
    handed_back: list[int] = []
    lock = threading.Lock()
    with LocalKlaviyo(enforce_rate_limits=False, time_scale=0.01) as server:
        client = CompatClient(
            private_key=server.private_key,
            base_url=server.base_url,
            time_scale=0.01,
            timeout=(1.0, 0.25),
            retry_budget=20,
        )

        def worker(numbers: range) -> None:
            for n in numbers:
                if plan[n]:
                    server.faults.add(plan[n], operation="create_event", delay=0.4)
                try:
                    client.track("Ordered", {"$email": f"b{n % 25}@example.com"}, {"n": n})
                except (exceptions.APIError, exceptions.TransportError):
                    with lock:
                        handed_back.append(n)

        start = time.perf_counter()
        threads = [threading.Thread(target=worker, args=(range(i, total, 8),)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - start
        stored = Counter(e.properties["n"] for e in server.store.events)
        served = Counter(e.status for e in server.requests if e.operation == "create_event")
        client.close()
    once = sum(1 for n in range(total) if stored[n] == 1)
    duplicates = sum(1 for count in stored.values() if count > 1)
    lost = sum(1 for n in range(total) if n not in stored and n not in handed_back)
    print(f"   faults by kind: {dict(Counter(p for p in plan if p))}")
    print(f"   answers seen by the server: {dict(served)} (None: connection reset)")
    print(
        f"   stored once: {once}; duplicates: {duplicates}; handed back: {len(handed_back)}; "
        f"silently lost: {lost}; {elapsed:.1f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs")
    args = parser.parse_args()
    overhead(300 if args.quick else 2000)
    throughput(2 if args.quick else 3)
    faults(500 if args.quick else 3000)


if __name__ == "__main__":
    main()
