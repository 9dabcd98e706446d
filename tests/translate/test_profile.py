"""The identifier rules every translator shares (``_translate._profile``): one comparison
key, one dry-run lookup page. (The checker of each identifier is a parser: tests/test_parse.py.)"""

from __future__ import annotations

import pytest

from klaviyo_legacy_compat._translate._profile import dry_found_profiles, identifier_key

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
