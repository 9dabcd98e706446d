"""Translation speed and subscribe memory. Prints figures; asserts nothing.

    .venv/bin/python benchmarks/translate.py [--quick]

1. Microseconds per call for each of the five legacy calls: translated and sent to a
   transport that discards what it receives (live mode minus the network), and in dry-run
   (translated into a Plan).
2. The same ``track`` through each legacy surface, live with the discarding transport: the
   ``klaviyo`` 3.1.7 classes (which, like 3.1.7, go through ``requests.get`` and are answered
   by the legacy adapter), the ``klaviyo`` 2.x flat method, ``klaviyo-sdk`` and raw legacy
   HTTP through a mounted ``requests.Session``.
3. Peak traced memory of a live ``subscribe_to_list`` over a generator of 10,000 and of
   1,000,000 profiles, sent to a discarding transport: it must stay flat as the count grows,
   because the input is read one chunk at a time and nothing accumulates.
"""

from __future__ import annotations

import argparse
import base64
import gc
import json
import statistics
import time
import tracemalloc
from collections.abc import Iterator
from typing import Any, Callable

import requests

from klaviyo_legacy_compat import CompatClient, Klaviyo
from klaviyo_legacy_compat.legacy_http import mount
from klaviyo_legacy_compat.sdk import Client
from klaviyo_legacy_compat.testing import RecordingTransport, json_response

KEY = "pk_benchmark_0123456789abcdef0123456789"


def _answer(request: Any) -> Any:
    # Lookups answer "everyone is a member / nobody is suppressed" so every call does its
    # full work; writes answer their documented success.
    if request.operation == "get_profiles_for_list":
        return json_response(
            200, {"data": [{"attributes": {"email": "bob@example.com"}}], "links": {}}
        )
    if request.method == "GET":
        return json_response(200, {"data": [], "links": {}})
    return json_response(202)


CALLS: dict[str, Callable[[CompatClient], Any]] = {
    "track": lambda c: c.track(
        "Placed Order",
        {"$email": "ann@example.com", "$first_name": "Ann", "$city": "Paris"},
        {"$event_id": "1001", "$value": 42.5, "items": ["Boots", "Socks"]},
        1714564800,
    ),
    "identify": lambda c: c.identify(
        {"$email": "ann@example.com", "$first_name": "Ann", "plan": "gold"}
    ),
    "subscribe_to_list (1 profile)": lambda c: c.subscribe_to_list(
        "XyZ123",
        [{"email": "ann@example.com", "phone_number": "+15005550006", "sms_consent": True}],
    ),
    "unsubscribe (1 email)": lambda c: c.unsubscribe("XyZ123", ["bob@example.com"]),
    "exclude_email": lambda c: c.exclude_email("bob@example.com"),
}


_PAYLOAD = {
    "token": "AbC123",
    "event": "Placed Order",
    "customer_properties": {"$email": "ann@example.com", "$first_name": "Ann"},
    "properties": {"$event_id": "1001", "$value": 42.5},
    "time": 1714564800,
}


def surfaces(client: CompatClient) -> dict[str, Callable[[], Any]]:
    """One ``track`` per legacy way in, all on ``client``."""
    session = requests.Session()
    mount(session, client)
    legacy = Klaviyo(public_token="AbC123", private_token=KEY, client=client)
    sdk = Client(KEY, client=client)
    pixel = {"data": base64.b64encode(json.dumps(_PAYLOAD).encode()).decode()}
    return {
        "CompatClient.track (payload)": lambda: client.track(dict(_PAYLOAD)),
        "klaviyo 3.1.7 Public.track": lambda: legacy.Public.track(
            "Placed Order",
            email="ann@example.com",
            properties={"$event_id": "1001", "$value": 42.5},
            timestamp=1714564800,
        ),
        "klaviyo 2.x track": lambda: legacy.track(
            "Placed Order", email="ann@example.com", timestamp=1714564800
        ),
        "klaviyo-sdk track_post": lambda: sdk.TrackIdentify.track_post(data=dict(_PAYLOAD)),
        "raw GET /api/track (mounted)": lambda: session.get(
            "https://a.klaviyo.com/api/track", params=pixel
        ),
    }


def timed_us(call: Callable[[], Any], rounds: int) -> float:
    """Median of 5 runs of ``rounds`` calls of ``call``, in microseconds per call."""
    return per_call_us(lambda _: call(), CompatClient(), rounds)


def per_call_us(call: Callable[[CompatClient], Any], client: CompatClient, rounds: int) -> float:
    """Median of 5 runs of ``rounds`` calls, in microseconds per call."""
    for _ in range(min(rounds, 200)):
        call(client)
    samples = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(rounds):
            call(client)
        samples.append((time.perf_counter() - start) / rounds * 1e6)
    return statistics.median(samples)


def profiles(count: int) -> Iterator[dict[str, Any]]:
    for i in range(count):
        profile: dict[str, Any] = {"email": f"customer{i}@example.com"}
        if i % 10 == 0:
            profile["$first_name"] = "Pat"
        yield profile


def subscribe_run(count: int, *, trace: bool) -> tuple[float, float, int]:
    """(peak traced MiB or 0, seconds, requests) of a live streamed subscribe of ``count``.

    Timed runs do not trace: tracemalloc slows every allocation several times over.
    """
    transport = RecordingTransport(_answer, keep=False)
    client = CompatClient(transport=transport, private_key=KEY, return_members=False)
    gc.collect()
    if trace:
        tracemalloc.start()
    start = time.perf_counter()
    report = client.subscribe_to_list("XyZ123", profiles(count))
    elapsed = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] if trace else 0
    tracemalloc.stop()
    if report.profiles != count:
        raise RuntimeError(f"subscribed {report.profiles} of {count}")
    return peak / 2**20, elapsed, transport.count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="fewer rounds, 100,000 instead of 1,000,000"
    )
    args = parser.parse_args()
    rounds = 300 if args.quick else 2000
    live = CompatClient(transport=RecordingTransport(_answer, keep=False), private_key=KEY)
    dry = CompatClient(private_key=KEY, dry_run=True)
    print("Per call, microseconds (median of 5 runs)")
    print(f"  {'call':32} {'live, discarding transport':>28} {'dry-run plan':>14}")
    for name, call in CALLS.items():
        sent, planned = per_call_us(call, live, rounds), per_call_us(call, dry, rounds)
        print(f"  {name:32} {sent:>28.1f} {planned:>14.1f}")
    print()
    print("track through each way in, live with the discarding transport, microseconds")
    for name, call in surfaces(live).items():
        print(f"  {name:32} {timed_us(call, rounds):>10.1f}")
    print()
    print("Live subscribe_to_list over a generator, discarding transport (return_members=False)")
    big = 100_000 if args.quick else 1_000_000
    for count in (10_000, big):
        peak, _, requests = subscribe_run(count, trace=True)
        _, seconds, _ = subscribe_run(count, trace=False)
        print(
            f"  {count:>9,} profiles: peak traced memory {peak:5.2f} MiB; "
            f"{seconds:5.1f} s untraced ({seconds / count * 1e6:.1f} us/profile); "
            f"{requests:,} requests"
        )


if __name__ == "__main__":
    main()
