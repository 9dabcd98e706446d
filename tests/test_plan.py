"""Plan.to_dict(): the contract §3 shape, redaction, repeated parameters."""

from __future__ import annotations

import json

from klaviyo_legacy_compat import Plan, PlannedRequest
from klaviyo_legacy_compat._credentials import Credentials, redact
from klaviyo_legacy_compat._prepare import RequestContext
from tests.conftest import PRIVATE_KEY, PUBLIC_KEY


def test_the_contract_keys_and_redaction() -> None:
    plan = Plan(
        (
            PlannedRequest(
                "GET",
                "/api/profiles",
                "get_profiles",
                params=(
                    ("filter", 'any(email,["a@example.com"])'),
                    ("fields[profile]", "email,subscriptions"),
                ),
            ),
            PlannedRequest(
                "POST",
                "/client/events",
                "create_client_event",
                json={"data": {}},
                depends_on=0,
                note="n",
            ),
        ),
        ("a warning",),
        RequestContext(credentials=Credentials(PRIVATE_KEY, PUBLIC_KEY)),
    )
    data = plan.to_dict()
    json.dumps(data)  # serialisable
    first, second = data["requests"]
    assert set(first) >= {"method", "url", "params", "headers", "json", "operation", "depends_on"}
    assert first["url"] == "https://a.klaviyo.com/api/profiles"
    assert first["params"]["fields[profile]"] == "email,subscriptions"  # comma-joined, one string
    assert first["headers"]["Authorization"] == "Klaviyo-API-Key pk_…cdef"
    assert first["json"] is None and "Content-Type" not in first["headers"]
    assert second["params"] == {"company_id": "…23"} and "Authorization" not in second["headers"]
    assert (second["depends_on"], second["note"]) == (0, "n")
    assert data["warnings"] == ["a warning"]
    text = json.dumps(data) + repr(plan)
    assert PRIVATE_KEY not in text and PUBLIC_KEY not in text


def test_repeated_parameters_become_lists() -> None:
    plan = Plan(
        (
            PlannedRequest(
                "GET", "/api/profiles", "get_profiles", params=(("a", "1"), ("a", "2"), ("a", "3"))
            ),
        )
    )
    assert plan.to_dict()["requests"][0]["params"] == {"a": ["1", "2", "3"]}


def test_redact() -> None:
    assert redact(PRIVATE_KEY) == "pk_…cdef"
    assert redact("AbC123") == "…23"
    assert redact("abc") == "…"
    assert (
        repr(Credentials(PRIVATE_KEY, PUBLIC_KEY))
        == "Credentials(private_key='pk_…cdef', public_key='…23')"
    )
