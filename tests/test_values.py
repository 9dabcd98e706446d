"""Legacy value checks, with property-based cases for the rules that matter most."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from klaviyo_legacy_compat._core.phone import PhoneResult
from klaviyo_legacy_compat._core.values import (
    as_email,
    as_number,
    as_phone,
    as_time,
    iso_utc,
    json_safe,
)
from klaviyo_legacy_compat.exceptions import TranslationError

NOW = datetime(2024, 5, 1, tzinfo=timezone.utc)


@given(st.from_regex(r"\+[1-9][0-9]{1,14}", fullmatch=True))
def test_every_e164_number_is_accepted(number: str) -> None:
    # Unchanged, unless a listed country's 0 trunk prefix follows its code (+44 020...).
    result = as_phone(number, "p")
    if result.change is None:
        assert result == PhoneResult(number, None)
    else:
        assert result.change == "the trunk prefix after the country code removed"
        assert 1 <= len(number) - len(result.e164) <= 2 and number.startswith(result.e164[:2])


@given(st.from_regex(r"[1-9][0-9]{2,11}", fullmatch=True))
def test_a_number_without_country_code_is_refused(number: str) -> None:
    # Without default_phone_region a national number is never guessed.
    with pytest.raises(TranslationError, match=r"E\.164"):
        as_phone(number, "p")


@given(
    st.from_regex(r"[a-zA-Z0-9._%+\-]{1,20}", fullmatch=True),
    st.from_regex(r"[a-z0-9\-]{1,15}\.[a-z]{2,6}", fullmatch=True),
)
def test_plain_and_plus_addresses_pass_unchanged(local: str, domain: str) -> None:
    assert as_email(f"{local}@{domain}", "e") == f"{local}@{domain}"


@pytest.mark.parametrize("email", ["jöhn@exämple.com", "a+b+c@sub.example.co.uk", "用户@例子.广告"])
def test_internationalised_addresses(email: str) -> None:
    assert as_email(email, "e") == email


@pytest.mark.parametrize(
    "email", ["", "a@b", "a b@example.com", "@example.com", "a@@example.com", "a@example..com"]
)
def test_bad_addresses(email: str) -> None:
    with pytest.raises(TranslationError):
        as_email(email, "e")


@given(st.integers(min_value=631152000, max_value=int(NOW.timestamp())))
def test_unix_seconds_round_trip(seconds: int) -> None:
    moment = as_time(seconds, "time", naive="local", now=NOW)
    assert moment.timestamp() == seconds
    assert iso_utc(moment).endswith("+00:00")


def test_iso_strings_and_z_suffix() -> None:
    assert (
        iso_utc(as_time("2024-01-02T03:04:05Z", "t", naive="utc", now=NOW))
        == "2024-01-02T03:04:05+00:00"
    )
    assert (
        iso_utc(as_time("2024-01-02T03:04:05", "t", naive="utc", now=NOW))
        == "2024-01-02T03:04:05+00:00"
    )


def test_a_date_is_not_a_time() -> None:
    with pytest.raises(TranslationError, match="not a date"):
        as_time(NOW.date(), "time", naive="utc", now=NOW)


def test_the_future_limit_is_one_year_from_now() -> None:
    as_time(NOW + timedelta(days=364), "t", naive="utc", now=NOW)
    with pytest.raises(TranslationError):
        as_time(NOW + timedelta(days=366), "t", naive="utc", now=NOW)


@pytest.mark.parametrize(("value", "expected"), [(3, 3), ("2.50", 2.5), ("7", 7), (1.5, 1.5)])
def test_numbers(value: object, expected: float) -> None:
    assert as_number(value, "v") == expected


@pytest.mark.parametrize("value", [True, "nan", float("inf"), [1], "ten"])
def test_not_numbers(value: object) -> None:
    with pytest.raises(TranslationError):
        as_number(value, "v")


def test_json_safe_converts_dates_and_decimals_and_refuses_the_rest() -> None:
    from decimal import Decimal

    converted = json_safe(
        {"at": NOW, "day": NOW.date(), "price": Decimal("9.90"), "tags": ("a", "b")}, "p"
    )
    assert converted == {
        "at": "2024-05-01T00:00:00+00:00",
        "day": "2024-05-01",
        "price": 9.9,
        "tags": ["a", "b"],
    }
    with pytest.raises(TranslationError) as caught:
        json_safe({"ok": [1, {"bad": {1, 2}}]}, "properties")
    assert caught.value.field == "properties.ok[1].bad"
    with pytest.raises(TranslationError, match="at most 4000 items"):
        json_safe(list(range(4001)), "p")
