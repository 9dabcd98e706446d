"""Configuration: arguments, then environment, then defaults; every value checked."""

from __future__ import annotations

from typing import Any

import pytest

from klaviyo_legacy_compat._core.config import OPTIONS, Delivery, resolve_settings
from klaviyo_legacy_compat.exceptions import ConfigurationError


def test_defaults() -> None:
    settings = resolve_settings(environ={})
    assert settings.base_url == "https://a.klaviyo.com"
    assert settings.revision == "2026-07-15"
    assert settings.dry_run is False
    assert settings.credentials.private_key is None
    assert settings.options.subscribe_chunk_size == 100


def test_arguments_win_over_environment_which_wins_over_defaults(another_revision: str) -> None:
    environ = {
        "KLAVIYO_API_REVISION": another_revision,
        "KLAVIYO_PRIVATE_API_KEY": "pk_env_0123456789",
    }
    from_env = resolve_settings(environ=environ)
    assert from_env.revision == another_revision
    assert from_env.credentials.private_key == "pk_env_0123456789"
    call, client = (
        {"revision": "2026-07-15"},
        {"revision": another_revision, "private_key": "pk_arg_0123456789"},
    )
    chosen = resolve_settings(call, client, environ=environ)
    assert chosen.revision == "2026-07-15"  # the most specific layer
    assert chosen.credentials.private_key == "pk_arg_0123456789"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("base_url", "http://a.klaviyo.com", "plain http:// only for loopback"),
        ("base_url", "ftp://127.0.0.1", "must be an https:// URL"),
        ("base_url", "https://a.klaviyo.com/api", "bare origin"),
        ("revision", "2026/07/15", "YYYY-MM-DD"),
        ("subscribe_chunk_size", 1001, "between 1 and 1000"),
        ("subscribe_chunk_size", "many", "must be an integer"),
        ("bulk_import_threshold", 0, "at least 1"),
        ("dry_run", "maybe", "must be a boolean"),
        ("timeout", -1, "seconds > 0"),
        ("naive_datetime", "berlin", "must be one of local, utc"),
        ("identify_mode", "merge", "must be one of upsert, split"),
        ("identify_conflict", "ignore", "drop_phone, drop_email, raise"),
        ("private_key", 12345, "must be a string"),
        ("time_scale", 0, "number > 0"),
        ("retry_budget", -1, "number > 0"),
        ("connect_retry_budget", "soon", "number > 0"),
        ("max_attempts", 0, "at least 1"),
        ("max_concurrency", "lots", "must be an integer"),
    ],
)
def test_bad_values_name_the_option_and_the_rule(name: str, value: Any, message: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        resolve_settings({name: value}, environ={})
    assert str(caught.value).startswith(f"{name}: ")
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("KLAVIYO_PRIVATE_API_KEY", "AbC123", "holds a public key"),
        ("KLAVIYO_PUBLIC_API_KEY", "Ab\x01123", "control characters"),
        ("KLAVIYO_LEGACY_COMPAT_TIMEOUT", "soon", "seconds > 0"),
    ],
)
def test_a_bad_environment_value_names_the_variable(
    variable: str, value: str, message: str
) -> None:
    # The variable is where the value must be mended, not the option it sets.
    with pytest.raises(ConfigurationError) as caught:
        resolve_settings(environ={variable: value})
    assert str(caught.value).startswith(f"{variable}: ") and message in str(caught.value)


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8080", "http://localhost", "http://[::1]:9000", "https://eu.example.com"],
)
def test_accepted_base_urls(url: str) -> None:
    assert resolve_settings({"base_url": url + "/"}, environ={}).base_url == url


@pytest.mark.parametrize(
    ("text", "expected"), [("1", True), ("true", True), ("0", False), ("off", False)]
)
def test_dry_run_from_the_environment(text: str, expected: bool) -> None:
    assert resolve_settings(environ={"KLAVIYO_LEGACY_COMPAT_DRY_RUN": text}).dry_run is expected


def test_timeouts_from_arguments_and_environment() -> None:
    assert resolve_settings({"timeout": (1, 2)}, environ={}).timeout == (1.0, 2.0)
    assert resolve_settings(environ={"KLAVIYO_LEGACY_COMPAT_TIMEOUT": "4.5"}).timeout == 4.5


def test_every_contract_environment_variable_is_honoured(another_revision: str) -> None:
    # contract §1: the table of options and their environment variables
    settings = resolve_settings(
        environ={
            "KLAVIYO_PRIVATE_API_KEY": "pk_env_0123456789",
            "KLAVIYO_PUBLIC_API_KEY": "AbC123",
            "KLAVIYO_API_BASE_URL": "http://127.0.0.1:9999",
            "KLAVIYO_API_REVISION": another_revision,
            "KLAVIYO_LEGACY_COMPAT_DRY_RUN": "1",
        }
    )
    assert settings.credentials.private_key == "pk_env_0123456789"
    assert settings.credentials.public_key == "AbC123"
    assert settings.base_url == "http://127.0.0.1:9999"
    assert settings.revision == another_revision
    assert settings.dry_run is True
    assert {o.env for o in OPTIONS.values() if o.env} >= {"KLAVIYO_LEGACY_COMPAT_TIMEOUT"}


def test_delivery_options() -> None:
    settings = resolve_settings(
        {"retry_budget": 0, "time_scale": "0.1"},
        environ={"KLAVIYO_LEGACY_COMPAT_PACING": "0", "KLAVIYO_LEGACY_COMPAT_MAX_ATTEMPTS": "3"},
    )
    assert settings.delivery == Delivery(
        pacing=False, retry_budget=0.0, max_attempts=3, time_scale=0.1
    )
    assert resolve_settings(environ={}).delivery == Delivery()
    assert Delivery().connect_retry_budget == 30.0


def test_the_connect_retry_budget_from_arguments_and_environment() -> None:
    environ = {"KLAVIYO_LEGACY_COMPAT_CONNECT_RETRY_BUDGET": "12.5"}
    assert resolve_settings(environ=environ).delivery.connect_retry_budget == 12.5
    chosen = resolve_settings({"connect_retry_budget": 0}, environ=environ).delivery
    assert chosen.connect_retry_budget == 0.0  # no retry after a connection failure
    assert resolve_settings({"max_concurrency": 8}, environ={}).options.max_concurrency == 8
