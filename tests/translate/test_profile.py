"""The identifier rules every translator shares (``_translate._profile``): one comparison
key, one dry-run lookup page. (The checker of each identifier is a parser: tests/test_parse.py.)"""

from __future__ import annotations

import pytest

from klaviyo_legacy_compat._core.translate._profile import (
    LOOKUP_SIZE,
    dry_found_profiles,
    identifier_key,
)
from tests import cases

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


#: The profile collections: every lookup of profiles by identifier, and every walk of them.
PROFILE_COLLECTIONS = {"get_profiles", "get_profiles_for_list", "get_profiles_for_segment"}


# (People search reads one profile by identifier, page[size]=1: not a lookup of several.)
@pytest.mark.parametrize("table", ["lists", "subscribe_to_list", "unsubscribe", "exclude_email"])
def test_every_profile_lookup_reads_lookup_size_profiles_a_page(table: str) -> None:
    # One constant sizes them all: a lookup of more identifiers than a page holds could not
    # be read in one page (the spec's page[size] maximum of these collections).
    sizes = []
    for param in cases.load(table):
        row = param.values[0]
        if "error" in row or "replies" in row:
            continue
        for request in cases.plan_for(row).to_dict()["requests"]:
            if request["operation"] in PROFILE_COLLECTIONS:
                sizes.append(dict(request["params"]).get("page[size]"))
    assert sizes and set(sizes) == {str(LOOKUP_SIZE)}
