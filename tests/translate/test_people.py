"""Legacy v1 person and v2 people endpoints: fixtures/translate/profiles.json, one row per
quirk, plus the v1 person object and the facade form of the update's parameters."""

from __future__ import annotations

from typing import Any

import pytest

from klaviyo_legacy_compat._core.errors import TranslationError
from klaviyo_legacy_compat._core.legacy_keys import PROFILE_KEYS
from klaviyo_legacy_compat._core.translate.profiles import (
    ENDPOINTS,
    PersonUpdateCall,
    legacy_person,
)
from tests import cases


@pytest.mark.parametrize("row", cases.load("profiles"))
def test_people(row: dict[str, Any]) -> None:
    cases.check(row)


def _builder(method: str, path: str) -> Any:
    return next(e.builder for e in ENDPOINTS if (e.method, e.path) == (method, path))


def test_every_profile_key_comes_back_under_its_dollar_key() -> None:
    attributes: dict[str, Any] = {"location": {}}
    for attribute, _ in PROFILE_KEYS:
        parent, _, leaf = attribute.rpartition(".")
        name = "_kx" if attribute == "kx" else leaf
        (attributes[parent] if parent else attributes)[name] = f"value of {attribute}"
    person = legacy_person({"type": "profile", "id": "01H", "attributes": attributes})
    assert person == {
        "object": "person",
        "id": "01H",
        **{keys[0]: f"value of {attribute}" for attribute, keys in PROFILE_KEYS},
    }


def test_custom_properties_never_hide_the_person_fields() -> None:
    person = legacy_person(
        {
            "id": "01H",
            "attributes": {"email": "a@example.com", "properties": {"$email": "x", "id": 1}},
        }
    )
    assert person == {"object": "person", "id": "01H", "$email": "a@example.com"}


def test_facade_values_are_stringified_as_the_legacy_query_string_did() -> None:
    # klaviyo 3.1.7 update_profile(id, {...}) passed Python values to requests' params=.
    build = _builder("PUT", "/api/v1/person/{person_id}")
    call = build(
        {"vip": True, "age": 42, "score": 1.5, "tags": ["a", "b"], "one": ["x"], "gone": None},
        {"person_id": "01H"},
    )
    assert call == PersonUpdateCall(
        "01H", {"vip": "True", "age": "42", "score": "1.5", "tags": ["a", "b"], "one": "x"}
    )


@pytest.mark.parametrize(
    "unset", ['["a", "b"]', ["a", "b"], ("a", "b")], ids=["json", "list", "tuple"]
)
def test_unset_is_json_text_or_a_list(unset: Any) -> None:
    build = _builder("PUT", "/api/v1/person/{person_id}")
    assert build({"$unset": unset}, {"person_id": "01H"}).unset == ("a", "b")


def test_nested_objects_cannot_travel_in_a_query_string() -> None:
    build = _builder("PUT", "/api/v1/person/{person_id}")
    with pytest.raises(TranslationError) as caught:
        build({"address": {"city": "Boston"}}, {"person_id": "01H"})
    assert caught.value.field == "properties.address"
