"""Delivery against a real local Klaviyo over sockets: retries without duplicates, fault
injection with thousands of events, sustained load at an endpoint's steady limit.

The guarantee under test: every call is delivered exactly once, or handed back (raised)
undelivered; there are no duplicates and nothing is lost silently.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any, Callable

import pytest

import klaviyo_legacy_compat as klaviyo
import klaviyo_legacy_compat._transports.carrier as _carrier
from klaviyo_legacy_compat import exceptions
from klaviyo_legacy_compat._transports.pacing import Pacer
from klaviyo_legacy_compat._transports.transport import ReliableTransport
from klaviyo_legacy_compat.testing import LocalKlaviyo


@pytest.fixture
def server() -> Iterator[LocalKlaviyo]:
    with LocalKlaviyo(enforce_rate_limits=False) as running:
        yield running


def client_for(server: LocalKlaviyo, **options: Any) -> klaviyo.CompatClient:
    return klaviyo.CompatClient(
        private_key=server.private_key,
        public_key=server.public_key,
        base_url=server.base_url,
        **options,
    )


def statuses(server: LocalKlaviyo, operation: str) -> Counter[Any]:
    return Counter(entry.status for entry in server.requests if entry.operation == operation)


CALLS: dict[str, Callable[[klaviyo.CompatClient, str], Any]] = {
    "create_event": lambda c, _: c.track("Viewed", {"$email": "a@example.com"}, {"sku": "B-1"}),
    "create_or_update_profile": lambda c, _: c.identify(
        {"$email": "a@example.com", "plan": "gold"}
    ),
    "bulk_subscribe_profiles": lambda c, list_id: c.subscribe_to_list(
        list_id, [{"email": "a@example.com"}], return_members=False
    ),
}


@pytest.mark.parametrize("operation", list(CALLS))
@pytest.mark.parametrize("fault", ["slow_after_store", "reset_after_store"])
def test_a_write_that_reached_the_server_is_retried_without_a_duplicate(
    server: LocalKlaviyo, operation: str, fault: str
) -> None:
    list_id = server.store.create_list("Newsletter")
    server.faults.add(fault, operation=operation, delay=1.0)
    client = client_for(server, timeout=(1.0, 0.3), time_scale=0.01)
    CALLS[operation](client, list_id)
    # The server logs a request when it answers: the slow one answers after its delay.
    deadline = time.monotonic() + 3
    while sum(statuses(server, operation).values()) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sum(statuses(server, operation).values()) == 2  # the lost answer, then the retry
    if operation == "create_event":
        assert len(server.store.events) == 1
    profiles = [p for p in server.store.profiles.values() if p.email == "a@example.com"]
    assert len(profiles) == 1
    if operation == "bulk_subscribe_profiles":
        assert server.store.list_members(list_id) == [profiles[0].id]
    client.close()


def test_thousands_of_events_with_faults_are_each_stored_once_or_handed_back() -> None:
    total, threads = 2000, 8
    kinds = ["429", "429_no_retry_after", "503", "reset", "slow_after_store", "reset_after_store"]
    rng = random.Random(20261122)
    plan = [rng.choice(kinds) if rng.random() < 0.15 else None for _ in range(total)]
    handed_back: list[int] = []
    lock = threading.Lock()
    with LocalKlaviyo(enforce_rate_limits=False, time_scale=0.01) as server:
        client = client_for(server, time_scale=0.01, timeout=(1.0, 0.25), retry_budget=20)

        def worker(numbers: range) -> None:
            for n in numbers:
                fault = plan[n]
                if fault is not None:
                    server.faults.add(fault, operation="create_event", delay=0.4)
                try:
                    result = client.track(
                        "Ordered Product", {"$email": f"buyer{n % 25}@example.com"}, {"n": n}
                    )
                    assert result == 1
                except (exceptions.APIError, exceptions.TransportError):
                    with lock:
                        handed_back.append(n)

        workers = [
            threading.Thread(target=worker, args=(range(i, total, threads),))
            for i in range(threads)
        ]
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join()
        stored = Counter(event.properties["n"] for event in server.store.events)
        served = statuses(server, "create_event")
        client.close()
    duplicates = {n: count for n, count in stored.items() if count > 1}
    lost = [n for n in range(total) if n not in stored and n not in handed_back]
    assert duplicates == {}
    assert lost == []
    assert len(stored) + len(set(handed_back) - set(stored)) == total
    assert sum(1 for f in plan if f) > 200  # the run really was faulty
    assert served[429] > 0 and served[503] > 0 and served[None] > 0  # resets show as None
    # With a 20 s budget every fault is survivable: all are delivered, none handed back.
    assert handed_back == []


def test_a_gave_up_event_is_handed_back_with_the_reason() -> None:
    with LocalKlaviyo(enforce_rate_limits=False) as server:
        server.faults.add("503", operation="create_event", times=50)
        client = client_for(server, retry_budget=0.5, time_scale=0.01)
        with pytest.raises(exceptions.ServerError) as caught:
            client.track("Viewed", {"$email": "a@example.com"})
        assert caught.value.status_code == 503
        assert server.store.events == []
        client.close()


def test_sustained_load_at_the_steady_limit_is_paced_with_few_429s() -> None:
    # bulk_import_profiles: 10/s and 150/min; at time_scale 0.05 that is 10 per 50 ms and
    # 150 per 3 s. Three subscribes of 1000 profiles in chunks of 10, every chunk carrying
    # properties, make 300 import jobs: two steady windows' worth, from three threads.
    scale = 0.05
    with LocalKlaviyo(time_scale=scale) as server:
        list_id = server.store.create_list("Imports")
        client = client_for(
            server,
            time_scale=scale,
            subscribe_chunk_size=10,
            bulk_import_threshold=10,
            return_members=False,
            max_concurrency=4,
        )
        threads = [
            threading.Thread(
                target=lambda k=k: client.subscribe_to_list(
                    list_id,
                    [{"email": f"p{k}-{i}@example.com", "tier": "gold"} for i in range(1000)],
                )
            )
            for k in range(3)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        imports = statuses(server, "bulk_import_profiles")
        members = server.store.list_members(list_id)
        client.close()
    assert imports[202] == 300
    # "Few": at this time scale a burst window is 50 ms, and thread scheduling on a loaded
    # machine can delay a request into the next one; each such 429 is retried, not lost.
    assert imports[429] <= 15
    assert len(members) == 3000


# --- pacers: one per pacing configuration, closed with the client -----------------------------


def pacer_of(client: klaviyo.CompatClient, **options: Any) -> Pacer:
    transport = client.carrier.transport(client.settings(**options).delivery)
    assert isinstance(transport, ReliableTransport)
    return transport.pacer


def test_calls_with_other_retry_options_pace_against_one_budget() -> None:
    client = klaviyo.CompatClient(private_key="pk_test_0123456789abcdef")
    paced = pacer_of(client)
    assert pacer_of(client, retry_budget=30) is paced
    assert pacer_of(client, max_attempts=2, retry_budget=5) is paced
    assert pacer_of(client, time_scale=0.1) is not paced  # other windows: another pacer
    client.close()


def test_close_closes_the_pacers_the_client_built(
    server: LocalKlaviyo, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[ClosingPacer] = []

    class ClosingPacer(Pacer):
        """Paces in process, as RedisPacer falls back to, and records close()."""

        def __init__(self, url: str, *, time_scale: float = 1.0) -> None:
            super().__init__(time_scale=time_scale)
            self.closed = 0
            built.append(self)

        def close(self) -> None:
            self.closed += 1

    monkeypatch.setattr(_carrier, "RedisPacer", ClosingPacer)
    client = client_for(server, rate_limit_redis_url="redis://127.0.0.1:1/0")
    client.track("Viewed", {"$email": "a@example.com"})
    client.track("Viewed", {"$email": "b@example.com"}, retry_budget=30)
    assert [p.closed for p in built] == [0]  # one pacer for both calls
    client.close()
    assert [p.closed for p in built] == [1]
