"""Shared fixtures: a clean environment, the spec validator, a fixed clock, a real Redis."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timezone
from typing import Any, Callable

import pytest

from klaviyo_legacy_compat._core import revision
from klaviyo_legacy_compat._surfaces import lifecycle
from klaviyo_legacy_compat._transports.pacing_redis import DEFAULT_PREFIX, RedisPacer
from tests.spec import SpecValidator, spec_path

#: The clock of every translated call in the tests.
NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=timezone.utc)

PRIVATE_KEY = "pk_test_0123456789abcdef0123456789abcdef"

#: Klaviyo's 409 when a profile with one of the identifiers exists (klaviyo-api-node#75).
DUPLICATE_PROFILE = {
    "errors": [
        {
            "id": "e",
            "status": 409,
            "code": "duplicate_profile",
            "title": "Conflict.",
            "detail": "A profile already exists with one of these identifiers.",
            "meta": {"duplicate_profile_id": "01DUP"},
        }
    ]
}
PUBLIC_KEY = "AbC123"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test sees the developer's Klaviyo settings."""
    for name in list(os.environ):
        if name.startswith(
            (
                "KLAVIYO_API",
                "KLAVIYO_PRIVATE",
                "KLAVIYO_PUBLIC",
                "KLAVIYO_LEGACY",
                "KLAVIYO_RATE_LIMIT",
            )
        ):
            monkeypatch.delenv(name)
    yield


#: The day the revision lifecycle is judged on in the tests: inside the pinned revision's
#: stable year, so the suite does not start failing (warnings are errors) the day Klaviyo
#: deprecates it. tests/test_revision.py judges other days, and asserts the warning.
TODAY = date(2026, 12, 5)


@pytest.fixture(autouse=True)
def stable_revision(monkeypatch: pytest.MonkeyPatch) -> None:
    """Revisions are judged on :data:`TODAY`, and none has been warned about yet."""
    monkeypatch.setattr(lifecycle, "today", lambda: TODAY)
    monkeypatch.setattr(lifecycle, "_JUDGED", {})
    monkeypatch.setattr(lifecycle, "_WARNED", set())


#: A revision newer than the pinned one, which the tests that choose a revision add to the
#: table of tested revisions (:func:`another_revision`).
NEWER_REVISION = "2026-10-15"


@pytest.fixture
def another_revision(monkeypatch: pytest.MonkeyPatch) -> str:
    """:data:`NEWER_REVISION`, accepted as if the translators were tested against it."""
    monkeypatch.setattr(revision, "TESTED", {**revision.TESTED, NEWER_REVISION: date(2026, 10, 15)})
    return NEWER_REVISION


@pytest.fixture(scope="session")
def spec() -> SpecValidator:
    """The OpenAPI spec; skipped with a reason where it is absent, failed under CI."""
    path = spec_path()
    if not path.is_file():
        reason = (
            f"Klaviyo's OpenAPI spec not found at {path}: set KLAVIYO_OPENAPI_SPEC to "
            "stable.json from https://github.com/klaviyo/openapi to run the contract tests"
        )
        if os.environ.get("KLAVIYO_REQUIRE_SPEC") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return SpecValidator.load(path)


# --- a real Redis, for the shared-pacing tests ---------------------------------------------------
# From ``KLAVIYO_TEST_REDIS_URL`` (set by ``.ci/run``), else a ``redis-server`` from PATH
# started here on a free port; without either the tests that need it skip, unless
# ``KLAVIYO_REQUIRE_REDIS=1`` (set by ``.ci/run``) makes that a failure.


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _no_redis(reason: str) -> None:
    if os.environ.get("KLAVIYO_REQUIRE_REDIS") == "1":
        pytest.fail(reason + " (KLAVIYO_REQUIRE_REDIS=1)")
    pytest.skip(reason)


def _redis_module() -> Any:
    try:
        import redis
    except ImportError:  # redis is a test dependency: only a partial install lacks it
        _no_redis("the redis package is not installed: pip install klaviyo-legacy-compat[redis]")
    return redis


def _wait_for(url: str, seconds: float) -> None:
    redis = _redis_module()
    client = redis.Redis.from_url(url, socket_connect_timeout=0.5)
    deadline = time.monotonic() + seconds
    try:
        while True:
            try:
                client.ping()
                return
            except redis.exceptions.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
    finally:
        client.close()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Redis for these tests: the one CI started, else one started here."""
    _redis_module()
    given = os.environ.get("KLAVIYO_TEST_REDIS_URL", "")
    if given:
        _wait_for(given, 5)
        yield given
        return
    binary = shutil.which("redis-server")
    if binary is None:
        _no_redis(
            "no Redis: set KLAVIYO_TEST_REDIS_URL, or put redis-server on PATH "
            "(Debian: apt-get install redis-server), to run the shared-pacing tests"
        )
    assert binary is not None
    port = free_port()
    directory = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=directory,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        _wait_for(url, 10)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


#: The keys these tests write: pacers made here, and clients under the default prefix.
PATTERNS = ("test-*", f"{DEFAULT_PREFIX}:*")


def _clear(client: Any) -> None:
    # Only the keys these tests write, never FLUSHDB: KLAVIYO_TEST_REDIS_URL may name a
    # Redis that holds other data.
    for pattern in PATTERNS:
        for key in list(client.scan_iter(match=pattern, count=1000)):
            client.delete(key)


@pytest.fixture
def admin(redis_url: str) -> Iterator[Any]:
    """A plain client on the test Redis; the tests' keys are cleared before and after."""
    client = _redis_module().Redis.from_url(redis_url)
    _clear(client)
    yield client
    _clear(client)
    client.close()


@pytest.fixture
def make_pacer(redis_url: str, admin: Any) -> Iterator[Callable[..., RedisPacer]]:
    """Pacers under one key prefix of their own (as if in separate processes)."""
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    made: list[RedisPacer] = []

    def make(**kwargs: Any) -> RedisPacer:
        kwargs.setdefault("prefix", prefix)
        pacer = RedisPacer(redis_url, **kwargs)
        made.append(pacer)
        return pacer

    yield make
    for pacer in made:
        assert not pacer.degraded  # a test passing on the fallback would prove nothing
        pacer.close()
