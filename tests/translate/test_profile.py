"""The identifier rules every translator shares (``_translate._profile``): one checker per
identifier, one comparison key, one dry-run lookup page."""

from __future__ import annotations

from typing import Any

import pytest

from klaviyo_legacy_compat._errors import TranslationError
from klaviyo_legacy_compat._legacy_keys import IDENTIFIER_KINDS
from klaviyo_legacy_compat._translate._profile import (
    IDENTIFIER_CHECKS,
    dry_found_profiles,
    identifier_key,
)

# (attribute, given value, checked value, or None when the check must refuse it)
CHECKS: list[tuple[str, Any, Any]] = [
    ("email", " Ann@Example.com ", "Ann@Example.com"),
    ("email", "not-an-email", None),
    ("phone_number", "+1 (500) 555-0006", "+15005550006"),
    ("phone_number", 15005550006, None),
    ("phone_number", "5005550006", None),
    ("external_id", 123, "123"),
    ("external_id", " ", None),
    ("push_token", " abc ", "abc"),
    ("push_token", "  ", None),
]


@pytest.mark.parametrize(("attribute", "given", "checked"), CHECKS)
def test_identifier_checks(attribute: str, given: Any, checked: Any) -> None:
    check = IDENTIFIER_CHECKS[attribute]
    if checked is None:
        with pytest.raises(TranslationError):
            check(given, attribute)
    else:
        assert check(given, attribute) == checked


def test_every_identifier_kind_has_a_checker() -> None:
    assert {attribute for _, attribute, _ in IDENTIFIER_KINDS} <= set(IDENTIFIER_CHECKS)


# (attribute, a, b, whether a and b name the same profile)
SAME: list[tuple[str, object, object, bool]] = [
    ("email", "Ann@Example.com", "ann@example.COM", True),
    ("email", "ann@example.com", "bob@example.com", False),
    ("email", None, "ann@example.com", False),
    ("phone_number", "+15005550006", "+15005550006", True),
    ("external_id", "Ann", "ann", False),
    ("push_token", "ABC", "abc", False),
    ("first_name", "Ann", "ANN", False),
    ("location.latitude", 40.7, 40.7, True),
]


@pytest.mark.parametrize(("attribute", "a", "b", "same"), SAME)
def test_identifier_key(attribute: str, a: object, b: object, same: bool) -> None:
    assert (identifier_key(attribute, a) == identifier_key(attribute, b)) is same


@pytest.mark.parametrize(
    ("attribute", "attributes"),
    [("email", {"email": "ann@example.com"}), ("push_token", {})],
)
def test_dry_found_profiles(attribute: str, attributes: dict[str, str]) -> None:
    value = "ann@example.com"
    assert dry_found_profiles(attribute, [value]) == [
        {
            "type": "profile",
            "id": f"{{{{profile id of {attribute} {value}}}}}",
            "attributes": attributes,
        }
    ]
