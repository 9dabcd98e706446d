"""Pacing shared through a real Redis (``tests/conftest.py`` provides it): one budget for
several pacers (processes), separate accounts, keyless keys, the fallback when Redis is
away, and several processes against a local Klaviyo that enforces the limits. The pacing
arithmetic itself, the same in and out of Redis, is tested on both in ``test_pacing.py``.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import threading
import time
import traceback
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Optional
from urllib.parse import urlsplit

import pytest

import klaviyo_legacy_compat as klaviyo
from klaviyo_legacy_compat._core.config import resolve_settings
from klaviyo_legacy_compat._core.endpoints import endpoint
from klaviyo_legacy_compat._transports.pacing import BURST_MARGIN
from klaviyo_legacy_compat._transports.pacing_redis import DEFAULT_PREFIX, RedisPacer
from klaviyo_legacy_compat.exceptions import ConfigurationError
from klaviyo_legacy_compat.testing import LocalKlaviyo
from tests.conftest import free_port
from tests.test_pacing import max_in_window

ROOT = Path(__file__).resolve().parent.parent


# --- one budget, kept in Redis ------------------------------------------------------------------


def test_two_pacers_on_one_redis_share_one_budget(make_pacer: Callable[..., RedisPacer]) -> None:
    first, second = make_pacer(), make_pacer()
    assert [p.reserve("create_list") for p in (first, second) * 5] == [0.0] * 10
    assert first.reserve("create_list") == pytest.approx(1.0 + BURST_MARGIN, abs=0.05)
    assert second.reserve("create_list") == pytest.approx(1.0 + BURST_MARGIN, abs=0.05)
    # A hold after a 429 in one process holds the other too.
    first.hold("get_lists", 5.0)
    assert second.reserve("get_lists") == pytest.approx(5.0, abs=0.05)


def test_interleaved_pacers_never_overflow_a_window(
    make_pacer: Callable[..., RedisPacer],
) -> None:
    pacers = [make_pacer() for _ in range(4)]
    row = endpoint("bulk_import_profiles")
    times = [p.book("bulk_import_profiles")[1] for _ in range(row.steady) for p in pacers]
    assert max_in_window(times, 1.0) <= row.burst
    assert max_in_window(times, 60.0) <= row.steady


def test_a_disabled_pacer_writes_nothing_to_redis(
    make_pacer: Callable[..., RedisPacer], admin: Any
) -> None:
    pacer = make_pacer(enabled=False)
    assert all(pacer.reserve("create_list") == 0.0 for _ in range(100))
    assert admin.keys(f"{pacer.prefix}:*") == []


def test_accounts_are_paced_separately(make_pacer: Callable[..., RedisPacer]) -> None:
    first, second = make_pacer(), make_pacer()
    for _ in range(10):
        first.reserve("create_list", "a1b2c3")
    assert second.reserve("create_list", "d4e5f6") == 0.0
    assert second.reserve("create_list", "a1b2c3") == pytest.approx(1.0 + BURST_MARGIN, abs=0.05)


def test_keys_expire_after_the_steady_window(
    make_pacer: Callable[..., RedisPacer], admin: Any
) -> None:
    pacer = make_pacer(time_scale=0.01)  # a 0.618 s steady window
    pacer.reserve("create_list")
    keys = pacer.keys("create_list")
    assert all(0 < admin.pttl(key) <= 620 for key in keys if admin.exists(key))
    time.sleep(0.7)
    assert admin.exists(*keys) == 0


def test_redis_holds_no_key_material(redis_url: str, admin: Any) -> None:
    with LocalKlaviyo(time_scale=0.01) as server:
        list_id = server.store.create_list("Newsletter")
        client = klaviyo.CompatClient(
            private_key=server.private_key,
            public_key=server.public_key,
            base_url=server.base_url,
            time_scale=0.01,
            rate_limit_redis_url=redis_url,
        )
        client.track("Viewed", {"$email": "a@example.com"})
        client.identify({"$email": "a@example.com", "plan": "gold"})
        client.subscribe_to_list(list_id, [{"email": "a@example.com"}])
        client.close()
    secrets = (server.private_key, server.public_key)
    assert not any(secret.encode() in key for key in admin.keys("*") for secret in secrets)
    keys = [key.decode() for key in admin.keys(f"{DEFAULT_PREFIX}:*")]
    assert keys
    for key in keys:
        assert re.fullmatch(rf"{DEFAULT_PREFIX}:\{{[0-9a-f]{{16}}:[a-z_]+\}}:\w+", key), key
        stored = {
            "hash": lambda k: repr(admin.hgetall(k)),
            "zset": lambda k: repr(admin.zrange(k, 0, -1, withscores=True)),
        }[admin.type(key).decode()](key)
        assert not any(secret in stored for secret in secrets)


# --- configuration and failures -----------------------------------------------------------------


def test_the_url_comes_from_the_environment_and_its_password_stays_out_of_reprs() -> None:
    url = "redis://pacer:s3cret@redis.internal:6379/2"
    delivery = resolve_settings(environ={"KLAVIYO_RATE_LIMIT_REDIS_URL": url}).delivery
    assert delivery.rate_limit_redis_url == url
    assert "s3cret" not in repr(delivery)
    with pytest.raises(ConfigurationError, match=r"^rate_limit_redis_url: must be a redis://"):
        resolve_settings({"rate_limit_redis_url": "http://user:s3cret@x"}, environ={})
    try:
        resolve_settings({"rate_limit_redis_url": "http://user:s3cret@x"}, environ={})
    except ConfigurationError as exc:
        assert "s3cret" not in str(exc)


def test_a_client_with_a_redis_url_paces_through_redis(redis_url: str) -> None:
    client = klaviyo.CompatClient(private_key="pk_x_0123456789", rate_limit_redis_url=redis_url)
    settings = resolve_settings({"rate_limit_redis_url": redis_url}, environ={})
    pacer = getattr(client.carrier.transport(settings.delivery), "pacer", None)
    assert isinstance(pacer, RedisPacer)
    unpaced = resolve_settings({"rate_limit_redis_url": redis_url, "pacing": False}, environ={})
    assert not isinstance(
        getattr(client.carrier.transport(unpaced.delivery), "pacer", None), RedisPacer
    )
    pacer.close()
    client.close()


def test_without_the_redis_package_the_error_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("redis", "redis.backoff", "redis.retry"):
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(
        ConfigurationError, match=re.escape("pip install klaviyo-legacy-compat[redis]")
    ):
        RedisPacer("redis://127.0.0.1:6379/0")


def test_an_unreachable_redis_falls_back_to_in_process_pacing_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    pacer = RedisPacer(f"redis://:hunter2@127.0.0.1:{free_port()}/0", recheck_after=60)
    with caplog.at_level(logging.WARNING, logger="klaviyo_legacy_compat"):
        assert [pacer.reserve("create_list") for _ in range(10)] == [0.0] * 10
        assert pacer.reserve("create_list") == pytest.approx(1.0 + BURST_MARGIN, abs=0.05)
    assert pacer.degraded
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1  # once per outage, not once per request
    assert "unreachable" in warnings[0] and "in this process only" in warnings[0]
    assert "hunter2" not in warnings[0]
    pacer.close()


def test_redis_pausing_falls_back_then_shares_again(
    make_pacer: Callable[..., RedisPacer], admin: Any, caplog: pytest.LogCaptureFixture
) -> None:
    pacer = make_pacer(recheck_after=0.1)
    pacer.reserve("create_list")  # connected
    admin.client_pause(1500)  # every client's commands wait: the pacer's time out (1 s)
    with caplog.at_level(logging.WARNING, logger="klaviyo_legacy_compat"):
        assert pacer.reserve("create_list") == 0.0  # in-process meanwhile
        assert pacer.degraded
        time.sleep(0.7)
        pacer.reserve("create_list")
    assert not pacer.degraded
    messages = [r.getMessage() for r in caplog.records]
    assert any("unreachable" in m for m in messages)
    assert any("answers again" in m for m in messages)


def test_a_redis_that_refuses_the_script_is_a_loud_configuration_error(
    make_pacer: Callable[..., RedisPacer], admin: Any
) -> None:
    pacer = make_pacer()
    admin.set(pacer.keys("create_list")[0], "not a sorted set")
    with pytest.raises(ConfigurationError, match="refused the pacing script"):
        pacer.reserve("create_list")


def test_a_wrong_redis_password_is_a_configuration_error_not_an_outage(redis_url: str) -> None:
    # A user name too: Redis 6+ lets a password-only AUTH in when the default user has no
    # password (the test Redis), whatever the password. An unknown user is WRONGPASS, which
    # redis-py raises as AuthenticationError, a ConnectionError like a real outage.
    secret = "WRONG-S3CRET-PW"
    parts = urlsplit(redis_url)
    url = parts._replace(netloc=f"nobody:{secret}@{parts.hostname}:{parts.port}").geturl()
    pacer = RedisPacer(url, prefix="test-auth", recheck_after=60)
    with pytest.raises(ConfigurationError, match="rejected the user name or password") as caught:
        pacer.reserve("create_list")
    assert type(caught.value.__cause__).__name__ == "AuthenticationError"
    assert not pacer.degraded  # no quiet fall back to per-process pacing
    error = caught.value
    shown = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    shown += repr(pacer) + str(pacer)
    assert secret not in shown
    # redis-py's own client objects show the password in their reprs before version 8, so
    # what the pacer holds is not checked here: only what it shows.
    pacer.close()


# --- several processes against the enforced limits ----------------------------------------------

#: One worker process: a client pacing through ``KLAVIYO_RATE_LIMIT_REDIS_URL`` (when set)
#: that subscribes ``chunks`` chunks of 10 profiles with properties, i.e. ``chunks`` bulk
#: import jobs. It says "ready" once imported and starts on "go", so all start together.
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
finally:
    client.close()
print("done", flush=True)
"""


def run_workers(
    server: LocalKlaviyo, list_id: str, processes: int, chunks: int, redis_url: str
) -> list[tuple[float, str, Optional[int]]]:
    """Runs the workers together; returns (time, operation, status) of every request, the
    time being when the test first saw the server's log entry."""
    environ = {
        **os.environ,
        "KLAVIYO_PRIVATE_API_KEY": server.private_key,
        "KLAVIYO_PUBLIC_API_KEY": server.public_key,
        "KLAVIYO_RATE_LIMIT_REDIS_URL": redis_url,
        "PYTHONPATH": str(ROOT),
    }
    scale = str(server.time_scale)
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(k), str(chunks), list_id, server.base_url, scale],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=environ,
            cwd=ROOT,
        )
        for k in range(processes)
    ]
    seen: list[tuple[float, str, Optional[int]]] = []
    stop = threading.Event()

    def watch() -> None:
        while True:
            done = stop.is_set()
            now = time.monotonic()
            log = server.requests
            seen.extend((now, r.operation or "", r.status) for r in log[len(seen) :])
            if done:
                return
            time.sleep(0.001)

    watcher = threading.Thread(target=watch)
    try:
        for worker in workers:
            assert worker.stdout is not None and worker.stdout.readline().strip() == "ready"
        watcher.start()
        for worker in workers:
            assert worker.stdin is not None
            worker.stdin.write("go\n")
            worker.stdin.flush()
        for worker in workers:
            output, _ = worker.communicate(timeout=60)
            assert worker.returncode == 0 and output.strip() == "done"
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
        stop.set()
        if watcher.is_alive():
            watcher.join()
    return seen


def test_several_processes_share_one_budget_through_redis(redis_url: str, admin: Any) -> None:
    # bulk_import_profiles: 10/s and 150/min; at time_scale 0.1, 10 per 100 ms and 150 per
    # 6 s. Four processes of 75 import jobs each: 300 jobs, two steady windows' worth, which
    # each process alone would try to send within one.
    scale, processes, chunks = 0.1, 4, 75
    row = endpoint("bulk_import_profiles")
    with LocalKlaviyo(time_scale=scale) as server:
        list_id = server.store.create_list("Imports")
        started = time.monotonic()
        seen = run_workers(server, list_id, processes, chunks, redis_url)
        elapsed = time.monotonic() - started
        members = server.store.list_members(list_id)
        profiles = [server.store.profile_by_email(f"p0-{i}@example.com") for i in range(10)]
    statuses = Counter(status for _, _, status in seen)
    imports = Counter(status for _, op, status in seen if op == "bulk_import_profiles")
    # Nothing lost: every job went through once, every profile is on the list with its data.
    assert imports[202] == processes * chunks
    assert len(set(members)) == processes * chunks * 10
    assert all(p is not None and p.attributes["properties"]["tier"] == "gold" for p in profiles)
    # Few 429s: only jitter beyond the windows' margins (new-api.md §6.1) can cause one.
    assert statuses[429] <= 0.03 * sum(statuses.values()), statuses
    # Within the steady limit in every (scaled) minute, by the times the requests were seen.
    accepted = [t for t, op, status in seen if op == "bulk_import_profiles" and status == 202]
    assert max_in_window(accepted, 60 * scale) <= row.steady
    # ... and it was paced, not merely lucky: 300 jobs need more than one steady window.
    assert elapsed > 60 * scale
