"""Several processes, one account: pacing alone versus one budget shared through Redis.
Prints figures; asserts nothing.

    .venv/bin/python benchmarks/shared_budget.py [--quick] [--scale 0.1] [--chunks 75]

Each of P worker processes (1, 2, 4) subscribes ``chunks`` chunks of 10 profiles with
properties to one list: ``chunks`` ``bulk_import_profiles`` jobs per process, an endpoint
of 10/s and 150/min (new-api.md §6.1), against a ``LocalKlaviyo(time_scale=scale)`` that
enforces those limits. Rows with Redis pace through ``KLAVIYO_RATE_LIMIT_REDIS_URL``: the
Redis at ``KLAVIYO_TEST_REDIS_URL``, else a ``redis-server`` from PATH started here (the
Redis rows are skipped, with a message, when there is neither). Figures: import requests
sent and 429s received; jobs accepted, and in the busiest sliding steady window (the limit
is 150 per window; Klaviyo's own windows are fixed, so without pacing a sliding one can see
more); requests sent in the busiest steady window (what the account was asked for); profiles
lost (not on the list at the end, because a worker gave up); seconds taken, next to the
fewest the limits allow.
"""

from __future__ import annotations

import argparse
import bisect
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Optional

from klaviyo_legacy_compat._core.endpoints import endpoint
from klaviyo_legacy_compat._transports.pacing_redis import DEFAULT_PREFIX
from klaviyo_legacy_compat.testing import LocalKlaviyo

ROOT = Path(__file__).resolve().parent.parent
OPERATION = "bulk_import_profiles"

#: One worker: says "ready" once imported, starts on "go", reports "done" or what it gave
#: up with (an undelivered chunk is raised, never dropped; here it is counted as lost).
WORKER = """
import sys
import klaviyo_legacy_compat as klaviyo
k, chunks, list_id, base_url, scale = sys.argv[1:6]
client = klaviyo.CompatClient(
    base_url=base_url,
    time_scale=float(scale),
    subscribe_chunk_size=10,
    bulk_import_threshold=10,
    return_members=False,
)
profiles = [{"email": f"p{k}-{i}@example.com", "tier": "gold"} for i in range(int(chunks) * 10)]
print("ready", flush=True)
sys.stdin.readline()
try:
    client.subscribe_to_list(list_id, profiles)
    print("done", flush=True)
except Exception as exc:
    print(f"gave up: {type(exc).__name__}", flush=True)
finally:
    client.close()
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def redis_server() -> Iterator[Optional[str]]:
    """The URL of a Redis to share the budget through, or ``None`` when there is none."""
    given = os.environ.get("KLAVIYO_TEST_REDIS_URL", "")
    if given:
        yield given
        return
    binary = shutil.which("redis-server")
    if binary is None:
        yield None
        return
    import redis  # the [redis] extra; only needed when a server is started here

    port = _free_port()
    with tempfile.TemporaryDirectory() as directory:
        process = subprocess.Popen(
            [
                binary,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            cwd=directory,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"redis://127.0.0.1:{port}/0"
        try:
            client = redis.Redis.from_url(url)
            for _ in range(200):
                try:
                    client.ping()
                    break
                except redis.exceptions.ConnectionError:
                    time.sleep(0.05)
            client.close()
            yield url
        finally:
            process.terminate()
            process.wait(timeout=10)


def flush(url: str) -> None:
    """Forget the budgets of earlier rows (only this library's keys: the Redis may be
    shared)."""
    import redis

    client = redis.Redis.from_url(url)
    for key in list(client.scan_iter(match=f"{DEFAULT_PREFIX}:*", count=1000)):
        client.delete(key)
    client.close()


def peak(times: list[float], window: float) -> int:
    """The most times in any interval [t, t + window)."""
    ordered = sorted(times)
    return max(
        (bisect.bisect_left(ordered, t + window) - i for i, t in enumerate(ordered)), default=0
    )


def run(processes: int, chunks: int, scale: float, redis_url: Optional[str]) -> None:
    row = endpoint(OPERATION)
    environ = {
        key: value for key, value in os.environ.items() if key != "KLAVIYO_RATE_LIMIT_REDIS_URL"
    }
    if redis_url is not None:
        flush(redis_url)
        environ["KLAVIYO_RATE_LIMIT_REDIS_URL"] = redis_url
    environ["PYTHONPATH"] = str(ROOT)
    with LocalKlaviyo(time_scale=scale) as server:
        list_id = server.store.create_list("Imports")
        environ["KLAVIYO_PRIVATE_API_KEY"] = server.private_key
        environ["KLAVIYO_PUBLIC_API_KEY"] = server.public_key
        workers = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    WORKER,
                    str(k),
                    str(chunks),
                    list_id,
                    server.base_url,
                    str(scale),
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                env=environ,
                cwd=ROOT,
            )
            for k in range(processes)
        ]
        for worker in workers:
            assert worker.stdout is not None
            worker.stdout.readline()
        seen: list[tuple[float, Optional[str], Optional[int]]] = []
        stop = threading.Event()

        def watch() -> None:
            # The server logs no times: note when each entry first appears.
            while True:
                done = stop.is_set()
                now = time.monotonic()
                log = server.requests
                seen.extend((now, r.operation, r.status) for r in log[len(seen) :])
                if done:
                    return
                time.sleep(0.001)

        watcher = threading.Thread(target=watch)
        watcher.start()
        start = time.monotonic()
        for worker in workers:
            assert worker.stdin is not None
            worker.stdin.write("go\n")
            worker.stdin.flush()
        outcomes = Counter(worker.communicate()[0].strip() for worker in workers)
        elapsed = time.monotonic() - start
        stop.set()
        watcher.join()
        members = len(set(server.store.list_members(list_id)))
    imports = [(t, status) for t, operation, status in seen if operation == OPERATION]
    statuses = Counter(status for _, status in imports)
    accepted = sorted(t for t, status in imports if status == 202)
    window = 60 * scale
    lost = processes * chunks * 10 - members
    print(
        f"   {processes:>2} {'yes' if redis_url else 'no':>5} {len(imports):>6} "
        f"{statuses[429]:>5} {statuses[202]:>8} {peak(accepted, window):>6}/{row.steady} "
        f"{peak([t for t, _ in imports], window):>9} {lost:>5} {elapsed:>7.1f} "
        f"{fastest(processes * chunks, scale):>7.1f}  {dict(outcomes)}"
    )


def fastest(jobs: int, scale: float) -> float:
    """The least time the limits allow for ``jobs`` jobs: Klaviyo's windows are fixed, so
    the first steady window's worth goes out at the burst rate, and each later one when its
    window opens (new-api.md §6.1)."""
    row = endpoint(OPERATION)
    full, rest = divmod(jobs - 1, row.steady)
    return (full * 60 + rest // row.burst) * scale


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 and 4 processes only")
    parser.add_argument("--scale", type=float, default=0.1, help="LocalKlaviyo time_scale")
    parser.add_argument("--chunks", type=int, help="import jobs per process (default 150)")
    args = parser.parse_args()
    counts = (1, 4) if args.quick else (1, 2, 4)
    args.chunks = args.chunks or (75 if args.quick else 150)
    row = endpoint(OPERATION)
    print(
        f"{OPERATION}: {row.burst}/s, {row.steady}/min; time_scale {args.scale} "
        f"(a {60 * args.scale:g} s steady window); {args.chunks} jobs per process"
    )
    print(
        "   P  redis   sent   429 accepted  peak/limit  sent-peak  lost       s  fastest  workers"
    )
    with redis_server() as url:
        for processes in counts:
            run(processes, args.chunks, args.scale, None)
            if url is None:
                print(f"   {processes:>2}   yes  skipped: no Redis (no redis-server on PATH)")
            else:
                run(processes, args.chunks, args.scale, url)


if __name__ == "__main__":
    main()
