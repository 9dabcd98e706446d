"""A backlog replayed through legacy ``track`` calls: per call, in bulk mode, and the official
SDK, against the local Klaviyo with the spec's rate limits enforced (time-scaled). Prints
figures; asserts nothing.

    .venv/bin/pip install klaviyo-api        # once, for the official SDK's row
    .venv/bin/python benchmarks/backfill.py [--events 100000] [--time-scale 0.1] [--threads 8]

1. Wall time for ``--events`` legacy track calls, each event distinct:
   - per call: ``track`` → ``POST /api/events``, paced, from ``--threads`` threads;
   - bulk mode: the same calls under ``batching()``, from one thread;
   - the official ``klaviyo-api`` SDK: ``Events.create_event`` from ``--threads`` threads,
     its retry waits scaled like the windows (``max_delay``), each event with its own
     ``unique_id`` (without one, events of a profile in the same second collapse into one);
   with the requests sent, 429s received, and events stored and lost. The time scale shrinks
   every rate-limit window; at Klaviyo's real limits (scale 1) the rate-bound rows take
   1/scale times longer, the CPU-bound ones no longer. So the ratio depends on the scale:
   ``--time-scale 1`` measures it at the real limits (about an hour with the SDK's row).
2. Requests sent against the fewest possible, ⌈n / cap⌉: events and identify calls in bulk
   mode, and one large legacy subscribe (its property upserts and its subscribe jobs).
"""

from __future__ import annotations

import argparse
import math
import threading
import time
from collections import Counter
from typing import Any, Callable, Optional

from _child import Server, local_klaviyo  # benchmarks/ is on the path of a script

import klaviyo_legacy_compat as klaviyo
from klaviyo_legacy_compat import CompatClient
from klaviyo_legacy_compat.testing import LocalKlaviyo

PROFILES = 1000  # events are spread over this many people

# The local Klaviyo runs in a process of its own, as Klaviyo runs elsewhere: its work must
# not compete with the client's for one interpreter lock.
#: The figures the local Klaviyo reports (see _child.local_klaviyo).
_STATS = """{
            "events": len(server.store.events),
            "requests": len(served),
            "operations": Counter(r.operation for r in served),
            "statuses": Counter(str(r.status) for r in served),
        }"""


def _track_args(i: int) -> tuple[str, dict[str, Any], dict[str, Any]]:
    return (
        "Placed Order",
        {"$email": f"u{i % PROFILES}@example.com", "$first_name": f"U{i % PROFILES}"},
        {"$value": 10 + i % 90, "OrderId": f"O-{i}", "Items": ["B-1", "B-2"]},
    )


def _in_threads(total: int, threads: int, one: Callable[[int], None]) -> None:
    def worker(start: int) -> None:
        for i in range(start, total, threads):
            one(i)

    pool = [threading.Thread(target=worker, args=(t,)) for t in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()


def _row(name: str, seconds: float, server: Server, total: int, raised: int) -> None:
    # lost: neither stored nor raised to the caller; raised: handed back as an exception.
    stats = server.stats()
    stored = stats["events"]
    print(
        f"   {name:34} {seconds:9.1f} {stats['requests']:9d} {stats['statuses'].get('429', 0):7d} "
        f"{stored:9d} {raised:7d} {total - stored - raised:6d} {total / seconds:10.0f}"
    )


def per_call(total: int, scale: float, threads: int) -> float:
    with local_klaviyo(_STATS, time_scale=scale) as server:
        client = CompatClient(
            private_key=server.private_key, base_url=server.base_url, time_scale=scale
        )
        lost = [0]

        def one(i: int) -> None:
            try:
                client.track(*_track_args(i))
            except klaviyo.KlaviyoCompatError:
                lost[0] += 1

        start = time.perf_counter()
        _in_threads(total, threads, one)
        seconds = time.perf_counter() - start
        _row(f"per call ({threads} threads)", seconds, server, total, lost[0])
        client.close()
        return seconds


def batched(total: int, scale: float) -> float:
    with local_klaviyo(_STATS, time_scale=scale) as server:
        client = CompatClient(
            private_key=server.private_key, base_url=server.base_url, time_scale=scale
        )
        start = time.perf_counter()
        with klaviyo.batching(client):
            for i in range(total):
                client.track(*_track_args(i))
        seconds = time.perf_counter() - start
        _row("bulk mode (1 thread)", seconds, server, total, 0)
        client.close()
        return seconds


def official_sdk(total: int, scale: float, threads: int) -> Optional[float]:
    try:
        from klaviyo_api import KlaviyoAPI
    except ImportError:
        print("   (klaviyo-api is not installed: pip install klaviyo-api for its row)")
        return None
    # The local Klaviyo's time-scaled Retry-After is fractional, which the SDK cannot read
    # (int("0.4") raises): without the header it backs off exponentially, capped here at
    # max_delay scaled like the windows.
    with local_klaviyo(_STATS, time_scale=scale, retry_after_header=False) as server:
        sdk = KlaviyoAPI(
            server.private_key, test_host=server.base_url, max_delay=60 * scale, max_retries=10
        )
        lost = [0]

        def one(i: int) -> None:
            event, customer, properties = _track_args(i)
            body = {
                "data": {
                    "type": "event",
                    "attributes": {
                        "properties": properties,
                        "metric": {"data": {"type": "metric", "attributes": {"name": event}}},
                        "profile": {
                            "data": {
                                "type": "profile",
                                "attributes": {
                                    "email": customer["$email"],
                                    "first_name": customer["$first_name"],
                                },
                            }
                        },
                        "value": properties["$value"],
                        "unique_id": f"sdk-{i}",
                    },
                }
            }
            try:
                sdk.Events.create_event(body)
            except Exception:  # the SDK raises its own exceptions after its retries
                lost[0] += 1

        start = time.perf_counter()
        _in_threads(total, threads, one)
        seconds = time.perf_counter() - start
        _row(f"klaviyo-api create_event ({threads} thr.)", seconds, server, total, lost[0])
        return seconds


def backfill(total: int, scale: float, threads: int, sdk: bool) -> None:
    print(f"1. {total:,} legacy track calls, rate limits enforced at time scale {scale}")
    print(
        f"   {'':34} {'seconds':>9} {'requests':>9} {'429s':>7} {'stored':>9} {'raised':>7} "
        f"{'lost':>6} "
        f"{'events/s':>10}"
    )
    slow = per_call(total, scale, threads)
    fast = batched(total, scale)
    official = official_sdk(total, scale, threads) if sdk else None
    print(f"   bulk mode is {slow / fast:.1f}x faster than per call", end="")
    if official is not None:
        print(f" and {official / fast:.1f}x faster than the official SDK", end="")
    print()
    if scale < 1:
        # Per call is bound by create_event's steady limit, which the scale shrinks; bulk mode
        # is bound by CPU here. A projection, labelled as one: --time-scale 1 measures it.
        print(
            f"   at the real limits per call would take about {slow / scale:.0f} s "
            f"(projected; run --time-scale 1 to measure)"
        )


def minimum(events: int, profiles: int, subscribers: int) -> None:
    print("2. Requests sent in bulk mode against the fewest possible, ceil(n / cap)")
    print(f"   {'':44} {'n':>8} {'cap':>6} {'sent':>6} {'fewest':>7}")
    with LocalKlaviyo(enforce_rate_limits=False) as server:
        list_id = server.store.create_list("Backfill")
        client = CompatClient(private_key=server.private_key, base_url=server.base_url)
        with klaviyo.batching(client, subscribe_chunk_size=1000):
            for i in range(events):
                client.track(*_track_args(i))
            for i in range(profiles):
                client.identify({"$email": f"p{i}@example.com", "Plan": "gold", "n": i})
        sent = Counter(r.operation for r in server.requests)
        rows = [
            ("track → bulk_create_events", events, 1000, sent["bulk_create_events"]),
            ("identify → bulk_import_profiles", profiles, 10_000, sent["bulk_import_profiles"]),
        ]
        with klaviyo.batching(client, subscribe_chunk_size=1000):
            client.subscribe_to_list(
                list_id,
                [
                    {"email": f"s{i}@example.com", "$first_name": f"S{i}"}
                    for i in range(subscribers)
                ],
                return_members=False,
            )
        sent = Counter(r.operation for r in server.requests) - sent
        rows += [
            (
                "subscribe → bulk_subscribe_profiles",
                subscribers,
                1000,
                sent["bulk_subscribe_profiles"],
            ),
            (
                "subscribe upserts → bulk_import_profiles",
                subscribers,
                10_000,
                sent["bulk_import_profiles"],
            ),
        ]
        for name, n, cap, count in rows:
            print(f"   {name:44} {n:8d} {cap:6d} {count:6d} {math.ceil(n / cap):7d}")
        print(f"   (the subscribe call sent {sum(sent.values())} requests in all)")
        client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--time-scale", type=float, default=0.1)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--no-sdk", action="store_true", help="skip the official SDK's row")
    args = parser.parse_args()
    backfill(args.events, args.time_scale, args.threads, not args.no_sdk)
    minimum(min(args.events, 25_000), 25_000, 25_000)


if __name__ == "__main__":
    main()
