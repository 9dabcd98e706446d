"""``configure()``, ``override()`` and the module-level ``configure()`` validate the would-be
configuration before they store it: a rejected call leaves the configuration as it was."""

from __future__ import annotations

from typing import Any

import pytest

import klaviyo_legacy_compat as klaviyo
from klaviyo_legacy_compat._core.config import OPTIONS
from klaviyo_legacy_compat.exceptions import ConfigurationError
from tests.conftest import PRIVATE_KEY

#: One value each option refuses. Every option has a row (checked below), so a new option
#: is covered as soon as it exists.
BAD: dict[str, Any] = {
    "private_key": 12345,
    "public_key": ["AbC123"],
    "base_url": "http://a.klaviyo.com",
    "revision": "2026/07/15",
    "dry_run": "maybe",
    "timeout": -1,
    "subscribe_chunk_size": 1001,
    "bulk_import_threshold": 0,
    "naive_datetime": "berlin",
    "identify_mode": "merge",
    "identify_conflict": "ignore",
    "test_calls": "drop",
    "return_members": "sometimes",
    "member_ids": 2,
    "unsubscribe_globally": "everyone",
    "derive_unique_id": "please",
    "strict": "very",
    "default_phone_region": "XX",
    "max_concurrency": "lots",
    "pacing": "gently",
    "retry_budget": -1,
    "connect_retry_budget": -1,
    "max_attempts": 0,
    "time_scale": 0,
    "rate_limit_redis_url": "http://redis.internal",
    "batching": "bulk",
    "batch_max_age": 0,
    "spool_path": 12345,
    "wait_for_jobs": "yes please",
    "shutdown_timeout": -1,
    "audit_log": 12345,
}

#: A configuration that sets several options, so a rejected call has something to disturb.
CONFIGURED: dict[str, Any] = {
    "private_key": PRIVATE_KEY,
    "base_url": "http://127.0.0.1:9",
    "subscribe_chunk_size": 50,
    "batching": True,
    "dry_run": True,
}


def test_every_option_has_a_bad_value() -> None:
    assert sorted(BAD) == sorted(OPTIONS)


@pytest.mark.parametrize("name", sorted(BAD))
def test_a_rejected_configure_changes_nothing(name: str) -> None:
    client = klaviyo.CompatClient(**CONFIGURED)
    before = client.settings()
    with pytest.raises(ConfigurationError, match=f"^{name}: "):
        # Alongside a good change, which must not be stored either.
        client.configure(**{"subscribe_chunk_size": 7, name: BAD[name]})
    assert client.settings() == before
    assert client._options == CONFIGURED


@pytest.mark.parametrize("name", sorted(BAD))
def test_a_rejected_override_changes_nothing(name: str) -> None:
    client = klaviyo.CompatClient(**CONFIGURED)
    before = client.settings()
    with pytest.raises(ConfigurationError, match=f"^{name}: "):
        client.override(**{"batch_max_age": 9, name: BAD[name]})
    assert client.settings() == before
    assert client._options == CONFIGURED


def test_the_module_level_configure_changes_nothing_when_rejected() -> None:
    client = klaviyo.default_client()
    before, options = client.settings(), dict(client._options)
    with pytest.raises(ConfigurationError, match=r"^subscribe_chunk_size: "):
        klaviyo.configure(dry_run=True, subscribe_chunk_size=0)
    assert client.settings() == before
    assert client._options == options


def test_an_option_only_invalid_with_the_environment_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Removing base_url would let the environment's plain-http URL through: the next call
    # would fail, so configure() refuses now and keeps the URL it has.
    monkeypatch.setenv("KLAVIYO_API_BASE_URL", "http://a.klaviyo.com")
    client = klaviyo.CompatClient(**CONFIGURED)
    before = client.settings()
    with pytest.raises(ConfigurationError, match=r"^KLAVIYO_API_BASE_URL: must be an https:// URL"):
        client.configure(base_url=None)
    assert client.settings() == before
    assert client._options == CONFIGURED


def test_the_environment_a_client_ignores_is_not_held_against_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A gateway's client reads no keys from the environment: a bad one there is no reason
    # to refuse its configuration.
    monkeypatch.setenv("KLAVIYO_PRIVATE_API_KEY", "   ")
    client = klaviyo.CompatClient(environment_keys=False)
    client.configure(dry_run=True)
    assert client.settings().dry_run is True


def test_an_accepted_configure_stores_and_override_hands_back_what_it_replaced() -> None:
    client = klaviyo.CompatClient(**CONFIGURED)
    previous = client.override(subscribe_chunk_size=10, batch_max_age=2)
    assert previous == {"subscribe_chunk_size": 50, "batch_max_age": None}
    assert client.settings().options.subscribe_chunk_size == 10
    client.configure(**previous)
    assert client._options == CONFIGURED


def test_leaving_a_batching_block_restores_even_if_the_environment_went_bad(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # What the block replaced was valid when it was set: it goes back whatever the
    # environment says now (the next call reports the environment's problem).
    client = klaviyo.CompatClient(**CONFIGURED)
    with klaviyo.batching(client, batch_max_age=2):
        monkeypatch.setenv("KLAVIYO_LEGACY_COMPAT_TIMEOUT", "soon")
    assert client._options == CONFIGURED
    with pytest.raises(ConfigurationError, match=r"^KLAVIYO_LEGACY_COMPAT_TIMEOUT: "):
        client.settings()
