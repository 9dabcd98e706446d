"""Phone numbers as legacy code wrote them → E.164 (``_phone``), and ``$value`` amounts
(``_values.as_money``): one row per form real payloads used."""

from __future__ import annotations

from typing import Optional

import pytest

from klaviyo_legacy_compat._core.config import resolve_settings
from klaviyo_legacy_compat._core.phone import E164, REGIONS, PhoneResult, to_e164
from klaviyo_legacy_compat._core.values import as_money
from klaviyo_legacy_compat.exceptions import ConfigurationError, TranslationError


@pytest.mark.parametrize(
    ("written", "region", "expected"),
    [
        ("+15005550006", None, PhoneResult("+15005550006")),
        ("+1 (415) 555-0123", None, PhoneResult("+14155550123", "spaces and punctuation removed")),
        ("+1.415.555.0123", None, PhoneResult("+14155550123", "spaces and punctuation removed")),
        (
            "+44 (0)20 7946 0958",
            None,
            PhoneResult("+442079460958", "the trunk prefix (0) after the country code removed"),
        ),
        (
            "+44 020 7946 0958",
            None,
            PhoneResult("+442079460958", "the trunk prefix after the country code removed"),
        ),
        (
            "+33 06 12 34 56 78",
            None,
            PhoneResult("+33612345678", "the trunk prefix after the country code removed"),
        ),
        ("+39 06 1234 5678", None, PhoneResult("+390612345678", "spaces and punctuation removed")),
        (
            "0044 20 7946 0958",
            None,
            PhoneResult("+442079460958", "the international prefix 00 written as +"),
        ),
        (
            "011 44 20 7946 0958",
            "US",
            PhoneResult("+442079460958", "the international prefix 011 written as +"),
        ),
        ("(415) 555-0123", "US", PhoneResult("+14155550123", "read as a national number of US")),
        ("1-415-555-0123", "CA", PhoneResult("+14155550123", "read as a national number of CA")),
        ("020 7946 0958", "GB", PhoneResult("+442079460958", "read as a national number of GB")),
        ("06 12 34 56 78", "FR", PhoneResult("+33612345678", "read as a national number of FR")),
        ("8 912 345-67-89", "RU", PhoneResult("+79123456789", "read as a national number of RU")),
        ("06 1 234 5678", "HU", PhoneResult("+3612345678", "read as a national number of HU")),
        ("612 345 678", "ES", PhoneResult("+34612345678", "read as a national number of ES")),
        # Never guessed:
        ("020 7946 0958", None, None),  # national, no region
        ("555-1234", "US", None),  # too short for the plan
        ("44 20 7946 0958", "GB", None),  # a country code without + or 00
        ("+1 415 555 0123 ext 5", None, None),  # an extension
        ("call me", None, None),
        ("+1+415", None, None),
        ("", None, None),
    ],
)
def test_to_e164(written: str, region: Optional[str], expected: Optional[PhoneResult]) -> None:
    assert to_e164(written, region) == expected


def test_the_region_table_is_sound() -> None:
    for name, plan in REGIONS.items():
        assert len(name) == 2 and name.isupper(), name
        assert plan.code.isdigit() and not plan.code.startswith("0"), name
        assert plan.trunk is None or plan.trunk.isdigit(), name
        assert 1 <= plan.shortest <= plan.longest <= 14, name
        # Every national number the plan accepts is a valid E.164 number.
        assert E164.fullmatch(f"+{plan.code}{'5' * plan.longest}"), name


def test_default_phone_region_is_checked_by_the_configuration() -> None:
    settings = resolve_settings({"default_phone_region": "gb"}, environ={})
    assert settings.options.default_phone_region == "GB"
    with pytest.raises(ConfigurationError, match="default_phone_region: must be a region"):
        resolve_settings({"default_phone_region": "AR"}, environ={})
    environ = {"KLAVIYO_LEGACY_COMPAT_DEFAULT_PHONE_REGION": "US"}
    assert resolve_settings(environ=environ).options.default_phone_region == "US"


@pytest.mark.parametrize(
    ("given", "amount", "kind"),
    [
        (19.99, 19.99, None),
        ("19.99", 19.99, "value_text"),
        ("42", 42, "value_text"),
        ("$1,234.50", 1234.5, "value_formatted"),
        ("1.234,50 €", 1234.5, "value_formatted"),
        ("USD 12", 12, "value_formatted"),
        ("12 EUR", 12, "value_formatted"),
        ("12,50", 12.5, "value_formatted"),
        ("1,234,567.89", 1234567.89, "value_formatted"),
        ("CHF 1'234.50", 1234.5, "value_formatted"),
        ("-$5", -5, "value_formatted"),
        ("£ 0.99", 0.99, "value_formatted"),
    ],
)
def test_money_amounts(given: object, amount: float, kind: Optional[str]) -> None:
    assert as_money(given, "properties.$value") == (amount, kind)


@pytest.mark.parametrize("given", ["free", "1,234", "€ 1.234", "1,23,4", "12.5.6", "$", ""])
def test_amounts_that_are_not_certain_are_refused(given: str) -> None:
    with pytest.raises(TranslationError, match=r"properties\.\$value: must be a number"):
        as_money(given, "properties.$value")
