"""Contract tests: every request every fixture plans is valid against Klaviyo's OpenAPI spec.

The validator (tests/spec.py) is shown to bite: dropping a required field, misspelling an
attribute, sending an undeclared parameter or leaving out the revision header all fail.
"""

from __future__ import annotations

import copy
from typing import Any, Callable

import pytest

from tests import cases
from tests.spec import SpecValidator


def _requests(row: dict[str, Any]) -> list[dict[str, Any]]:
    requests: list[dict[str, Any]] = cases.plan_for(row).to_dict()["requests"]
    return requests


PLANNED = [
    param
    for param in cases.all_rows()
    if "error" not in param.values[0] and "replies" not in param.values[0]
]


@pytest.mark.parametrize("row", PLANNED)
def test_every_planned_request_is_valid(row: dict[str, Any], spec: SpecValidator) -> None:
    requests = _requests(row)
    for request in requests:
        spec.assert_valid(request)


def test_the_fixtures_cover_every_operation_the_translators_use(spec: SpecValidator) -> None:
    seen = {r["operation"] for param in PLANNED for r in _requests(param.values[0])}
    assert seen >= {
        "create_event",
        "create_client_event",
        "create_or_update_profile",
        "create_profile",
        "update_profile",
        "create_client_profile",
        "get_list",
        "bulk_subscribe_profiles",
        "bulk_import_profiles",
        "bulk_unsubscribe_profiles",
        "get_profiles_for_list",
        "get_profiles",
        "bulk_suppress_profiles",
    }
    assert seen <= set(spec.operations)


def _one(call: str, row_id: str) -> dict[str, Any]:
    """The last request with a body of a row's plan (a subscribe's id lookups follow its job)."""
    row = next(p.values[0] for p in cases.load(call) if p.values[0]["id"] == row_id)
    return [request for request in _requests(row) if request["json"] is not None][-1]


def _drop(path: str) -> Callable[[dict[str, Any]], None]:
    def mutate(request: dict[str, Any]) -> None:
        node = request["json"]
        *parents, last = path.split(".")
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        del node[last]

    return mutate


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(request: dict[str, Any]) -> None:
        node = request["json"]
        *parents, last = path.split(".")
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        node[last] = value

    return mutate


MUTATIONS = [
    ("track", "dollar_email", _drop("data.attributes.metric"), "'metric' is a required property"),
    ("track", "dollar_email", _drop("data.attributes.properties"), "'properties' is a required"),
    ("track", "dollar_email", _drop("data.type"), "'type' is a required property"),
    ("track", "dollar_email", _set("data.type", "events"), "is not one of ['event']"),
    (
        "track",
        "dollar_email",
        _set("data.attributes.profile.data.attributes.$email", "a@example.com"),
        "Additional properties are not allowed ('$email'",
    ),
    ("track", "dollar_email", _set("data.attributes.time", "yesterday"), "date-time"),
    (
        "subscribe_to_list",
        "one_email",
        _drop("data.attributes.profiles.data.0.attributes.subscriptions"),
        "'subscriptions' is a required property",
    ),
    (
        "subscribe_to_list",
        "one_email",
        _set(
            "data.attributes.profiles.data.0.attributes.subscriptions.email.marketing.consent",
            "YES",
        ),
        "is not one of ['SUBSCRIBED']",
    ),
    (
        "subscribe_to_list",
        "one_email",
        _set("data.attributes.profiles.data.0.attributes.plan", "gold"),
        "Additional properties are not allowed ('plan'",
    ),
    (
        "identify",
        "upsert_by_email",
        _drop("data.attributes"),
        "'attributes' is a required property",
    ),
    (
        "exclude_email",
        "one_email",
        _drop("data.attributes.profiles.data.0.attributes.email"),
        "'email' is a required property",
    ),
]


@pytest.mark.parametrize(("call", "row_id", "mutate", "message"), MUTATIONS)
def test_the_validator_rejects_a_broken_body(
    call: str,
    row_id: str,
    mutate: Callable[[dict[str, Any]], None],
    message: str,
    spec: SpecValidator,
) -> None:
    request = copy.deepcopy(_one(call, row_id))
    spec.assert_valid(request)
    mutate(request)
    problems = spec.problems(request)
    assert any(message in problem for problem in problems), problems


def test_the_validator_rejects_missing_revision_and_auth(spec: SpecValidator) -> None:
    request = copy.deepcopy(_one("track", "dollar_email"))
    del request["headers"]["revision"]
    del request["headers"]["Authorization"]
    problems = spec.problems(request)
    assert any("'revision' is missing" in p for p in problems), problems
    assert any("Authorization" in p for p in problems), problems


def test_the_validator_rejects_params_the_operation_does_not_declare(spec: SpecValidator) -> None:
    request = copy.deepcopy(_one("unsubscribe", "members_only_by_default"))
    lookup = _requests(
        next(
            p.values[0]
            for p in cases.load("unsubscribe")
            if p.values[0]["id"] == "members_only_by_default"
        )
    )[0]
    lookup["params"]["fields[profile]"] = "email,favourite_colour"
    lookup["params"]["api_key"] = "pk_x"
    problems = spec.problems(lookup)
    assert any("favourite_colour" in p for p in problems), problems
    assert any("'api_key' is not declared" in p for p in problems), problems
    assert not spec.problems(request)


def test_the_validator_rejects_a_filter_the_endpoint_does_not_allow(spec: SpecValidator) -> None:
    lookup = copy.deepcopy(_one("exclude_email", "one_email"))
    lookup = _requests(
        next(p.values[0] for p in cases.load("exclude_email") if p.values[0]["id"] == "one_email")
    )[0]
    lookup["params"]["filter"] = 'contains(email,"@example.com")'
    assert any("filter contains(email" in p for p in spec.problems(lookup))


def test_the_validator_rejects_the_private_key_on_a_client_endpoint(spec: SpecValidator) -> None:
    request = copy.deepcopy(_one("track", "public_key_only"))
    spec.assert_valid(request)
    request["headers"]["Authorization"] = "Klaviyo-API-Key pk_…abcd"
    assert any("client endpoint" in p for p in spec.problems(request))
