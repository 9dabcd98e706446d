"""The legacy HTTP gateway under load, against the local Klaviyo in a process of its own.
Prints figures; asserts nothing.

    .venv/bin/python benchmarks/gateway.py [--quick] [--requests 3000]

1. Throughput and p50/p99 latency at 8, 32 and 128 concurrent legacy clients sending raw
   v1/v2 HTTP (three ``GET /api/track?data=...`` pixels to one
   ``POST /api/v2/list/ID/subscribe``), each on its own keep-alive connection, through the
   gateway (a process of its own, as deployed); and the same calls from as many threads
   through the in-process API (``CompatClient.track`` and ``subscribe_to_list``), with the
   ratio of the two. Rate limits are off on both sides: the figures are the gateway's cost.
2. Fault run: track calls through the gateway from 8 clients, with faults injected upstream
   (throttling, 5xx, resets, answers that come after the client gave up); a client that gets
   no ``1`` in time sends the very same request again, up to 4 times in all, as legacy
   clients retried. Counts the events stored once, duplicated, handed back (the client
   never got a ``1``) and silently lost.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from typing import Any, Callable

import requests
from requests.adapters import HTTPAdapter

from klaviyo_legacy_compat import CompatClient

# The local Klaviyo, in a process of its own: one JSON command per line on stdin, one JSON
# answer per line on stdout.
_KLAVIYO = """
import json, sys
from collections import Counter
from klaviyo_legacy_compat.testing import LocalKlaviyo
with LocalKlaviyo(**json.loads(sys.argv[1])) as server:
    print(json.dumps({"base_url": server.base_url, "private_key": server.private_key,
                      "public_key": server.public_key}))
    sys.stdout.flush()
    for line in sys.stdin:
        command = json.loads(line)
        if command["op"] == "list":
            answer = server.store.create_list(command["name"])
        elif command["op"] == "fault":
            server.faults.add(command["kind"], operation=command["operation"],
                              delay=command["delay"])
            answer = None
        else:
            answer = {
                "stored": Counter(str(e.properties.get("n")) for e in server.store.events),
                "statuses": Counter(str(r.status) for r in server.requests),
            }
        print(json.dumps(answer))
        sys.stdout.flush()
"""

# The gateway, as `klaviyo-legacy-compat serve` runs it; its options as JSON in argv[1].
_GATEWAY = """
import inspect, json, logging, sys, threading
from klaviyo_legacy_compat import CompatClient
logging.basicConfig(level=logging.WARNING)  # the access log would cost time and fill the screen
logging.getLogger("klaviyo_legacy_compat.gateway").setLevel(logging.WARNING)
logging.getLogger("klaviyo_legacy_compat.upstream").setLevel(logging.WARNING)
from klaviyo_legacy_compat.legacy_http import serve
settings = json.loads(sys.argv[1])
if "timeout" in settings:
    settings["timeout"] = tuple(settings["timeout"])
accepted = inspect.signature(serve).parameters
any_keyword = any(p.kind is p.VAR_KEYWORD for p in accepted.values())
extra = {k: v for k, v in settings.pop("gateway").items() if any_keyword or k in accepted}
try:  # as `klaviyo-legacy-compat serve` builds its client: a pool for every thread
    from klaviyo_legacy_compat.gateway import GatewaySettings, pooled_session
    threads = extra.get("threads", GatewaySettings().threads)
    settings["session"] = pooled_session(threads + 4)
except ImportError:  # before the gateway module: requests' default pool
    pass
server = serve("127.0.0.1", 0, CompatClient(environment_keys=False, **settings), **extra)
kind = getattr(server, "kind", "stdlib")
print(json.dumps({"port": int(server.server_address[1]), "server": kind, "options": extra}))
sys.stdout.flush()
threading.Thread(target=server.serve_forever, daemon=True).start()
sys.stdin.read()
server.shutdown()
server.server_close()
"""


class Process:
    """A Python helper process speaking JSON lines."""

    def __init__(self, script: str, argument: Any) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", script, json.dumps(argument)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.lock = threading.Lock()
        self.hello = self.read()

    def read(self) -> Any:
        assert self.process.stdout is not None
        return json.loads(self.process.stdout.readline())

    def ask(self, **command: Any) -> Any:
        assert self.process.stdin is not None
        with self.lock:
            self.process.stdin.write(json.dumps(command) + "\n")
            self.process.stdin.flush()
            return self.read()

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)


def pixel(payload: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()


class Calls:
    """The legacy calls of the load: track pixels and one-profile subscribes."""

    def __init__(self, klaviyo: dict[str, Any], list_id: str) -> None:
        self.private_key = klaviyo["private_key"]
        self.public_key = klaviyo["public_key"]
        self.list_id = list_id

    def track_payload(self, n: int) -> dict[str, Any]:
        return {
            "token": self.public_key,
            "event": "Viewed Product",
            "customer_properties": {"$email": f"p{n % 500}@example.com"},
            "properties": {"n": n, "sku": "B-1"},
        }

    def profile(self, n: int) -> dict[str, Any]:
        return {"email": f"s{n}@example.com"}

    def http(self, n: int) -> tuple[str, str, bytes, dict[str, str]]:
        if n % 4 == 3:
            body = json.dumps({"api_key": self.private_key, "profiles": [self.profile(n)]})
            path = f"/api/v2/list/{self.list_id}/subscribe"
            return "POST", path, body.encode(), {"Content-Type": "application/json"}
        return "GET", f"/api/track?data={pixel(self.track_payload(n))}", b"", {}

    def in_process(self, client: CompatClient, n: int) -> Any:
        if n % 4 == 3:
            return client.subscribe_to_list(
                self.list_id, [self.profile(n)], private_key=self.private_key
            )
        return client.track(self.track_payload(n))


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def drive(
    clients: int,
    numbers: range,
    one: Callable[[Any, int], bool],
    connect: Callable[[], Any],
):
    """The calls ``numbers`` from ``clients`` threads; (elapsed, latencies, failures). Each
    call is distinct: the gateway would recognise a repeat as a client's retry."""
    numbers = iter(numbers)
    lock = threading.Lock()
    latencies: list[float] = []
    failures = Counter[str]()
    start_line = threading.Barrier(clients + 1)

    def worker() -> None:
        connection = connect()
        mine: list[float] = []
        start_line.wait()
        while True:
            with lock:
                n = next(numbers, None)
            if n is None:
                break
            began = time.perf_counter()
            try:
                ok = one(connection, n)
            except Exception as exc:
                ok = False
                with lock:
                    failures[type(exc).__name__] += 1
            mine.append(time.perf_counter() - began)
            if not ok:
                with lock:
                    failures["not ok"] += 1
        with lock:
            latencies.extend(mine)
        close = getattr(connection, "close", None)
        if callable(close):
            close()

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for thread in threads:
        thread.start()
    start_line.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - began, latencies, failures


def load(total: int, gateway_options: dict[str, Any]) -> None:
    print(f"1. {total} legacy calls (3 track : 1 subscribe) at each level, rate limits off")
    klaviyo = Process(_KLAVIYO, {"enforce_rate_limits": False})
    list_id = klaviyo.ask(op="list", name="Load")
    calls = Calls(klaviyo.hello, list_id)
    settings = {"base_url": klaviyo.hello["base_url"], "pacing": False}
    gateway = Process(_GATEWAY, {**settings, "gateway": gateway_options})
    port = gateway.hello["port"]
    print(f"   gateway: {gateway.hello['server']} server, options {gateway.hello['options']}")
    # The in-process client keeps a connection for each of the 128 threads too.
    session = requests.Session()
    session.mount("http://", HTTPAdapter(pool_maxsize=132))
    client = CompatClient(environment_keys=False, session=session, **settings)

    def over_http(connection: http.client.HTTPConnection, n: int) -> bool:
        method, path, body, headers = calls.http(n)
        connection.request(method, path, body=body or None, headers=headers)
        answer = connection.getresponse()
        answer.read()
        return answer.status == 200

    print(f"   {'clients':>7} {'':10} {'calls/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'failed':>7}")
    first = 0
    for clients in (8, 32, 128):
        rows = {}
        for name, one, connect in (
            ("in-process", lambda c, n: calls.in_process(client, n) is not None, lambda: None),
            (
                "gateway",
                over_http,
                lambda: http.client.HTTPConnection("127.0.0.1", port, timeout=60),
            ),
        ):
            elapsed, latencies, failures = drive(clients, range(first, first + total), one, connect)
            first += total
            rows[name] = total / elapsed
            print(
                f"   {clients:7} {name:10} {total / elapsed:8.0f} "
                f"{percentile(latencies, 0.5) * 1e3:8.1f} {percentile(latencies, 0.99) * 1e3:8.1f} "
                f"{sum(failures.values()):7}{'  ' + str(dict(failures)) if failures else ''}"
            )
        print(f"   {'':7} {'ratio':10} {rows['gateway'] / rows['in-process']:8.2f}")
    client.close()
    gateway.close()
    klaviyo.close()


def faults(total: int, gateway_options: dict[str, Any]) -> None:
    kinds = ["429", "503", "reset", "slow_after_store", "reset_after_store"]
    rng = random.Random(7)
    plan = [rng.choice(kinds) if rng.random() < 0.15 else None for _ in range(total)]
    print(
        f"\n2. Fault run: {total} track calls through the gateway, faults on {sum(map(bool, plan))}"
    )
    print(f"   faults by kind: {dict(Counter(p for p in plan if p))}")
    klaviyo = Process(_KLAVIYO, {"enforce_rate_limits": False, "time_scale": 0.01})
    calls = Calls(klaviyo.hello, "")
    settings = {
        "base_url": klaviyo.hello["base_url"],
        "time_scale": 0.01,
        "timeout": [1.0, 3.0],
        "retry_budget": 20,
    }
    gateway = Process(_GATEWAY, {**settings, "gateway": gateway_options})
    port = gateway.hello["port"]
    handed_back: list[int] = []
    lock = threading.Lock()

    def worker(numbers: range) -> None:
        for n in numbers:
            if plan[n]:
                # Klaviyo's answer (or reset) 1.5 s late: after the legacy client's 1 s
                # timeout, within the gateway's 3 s one.
                klaviyo.ask(op="fault", kind=plan[n], operation="create_client_event", delay=1.5)
            target = f"/api/track?data={pixel(calls.track_payload(n))}"
            for _ in range(4):  # the legacy client sends the same request again
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1.0)
                try:
                    connection.request("GET", target)
                    answer = connection.getresponse()
                    if answer.status == 200 and answer.read() == b"1":
                        break
                except OSError:
                    pass
                finally:
                    connection.close()
            else:
                with lock:
                    handed_back.append(n)

    began = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(range(i, total, 8),)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    time.sleep(2.0)  # let answers that come late land
    state = klaviyo.ask(op="state")
    stored = Counter({int(k): v for k, v in state["stored"].items()})
    gateway.close()
    klaviyo.close()
    once = sum(1 for n in range(total) if stored[n] == 1)
    duplicates = sum(1 for n in range(total) if stored[n] > 1)
    lost = sum(1 for n in range(total) if not stored[n] and n not in handed_back)
    print(f"   answers seen by the local Klaviyo: {state['statuses']} (None: connection reset)")
    print(
        f"   stored once: {once}; duplicates: {duplicates}; handed back: {len(handed_back)}; "
        f"silently lost: {lost}; {elapsed:.1f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs")
    parser.add_argument("--requests", type=int, help="calls per level (3000; --quick 600)")
    parser.add_argument("--threads", type=int, default=None, help="gateway threads (its default)")
    parser.add_argument("--part", choices=("all", "load", "faults"), default="all")
    args = parser.parse_args()
    options: dict[str, Any] = {}
    if args.threads is not None:
        options["threads"] = args.threads
    total = args.requests or (600 if args.quick else 3000)
    if args.part in ("all", "load"):
        load(total, options)
    if args.part in ("all", "faults"):
        faults(200 if args.quick else 600, options)


if __name__ == "__main__":
    main()
