"""Plan.to_dict(): the contract §3 shape, redaction, repeated parameters."""

from __future__ import annotations

import json

import klaviyo_legacy_compat as klaviyo
from klaviyo_legacy_compat import Plan, PlannedRequest
from klaviyo_legacy_compat._core.credentials import Credentials, redact
from klaviyo_legacy_compat._core.endpoints import endpoint
from klaviyo_legacy_compat._core.prepare import RequestContext
from klaviyo_legacy_compat.testing import RecordingTransport
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
    # The public key is public: company_id shows as it will be sent. The private key never.
    assert second["params"] == {"company_id": PUBLIC_KEY}
    assert "Authorization" not in second["headers"]
    assert (second["depends_on"], second["note"]) == (0, "n")
    assert data["warnings"] == ["a warning"]
    assert PRIVATE_KEY not in json.dumps(data) + repr(plan) + repr(plan.prepared())
    assert PUBLIC_KEY not in repr(plan) + repr(plan.prepared())  # reprs hide both


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


# --- what each planned request costs: its rate limit and the key scopes it needs ---------------


def _dry_client() -> klaviyo.CompatClient:
    # A transport that would record anything sent: dry-run must send nothing.
    return klaviyo.CompatClient(
        transport=RecordingTransport(), private_key=PRIVATE_KEY, public_key=PUBLIC_KEY
    )


def test_a_planned_event_carries_its_rate_limit_and_scopes() -> None:
    plan = _dry_client().track("Viewed", {"$email": "a@example.com"}, dry_run=True)
    assert isinstance(plan, Plan)
    (request,) = plan.to_dict()["requests"]
    assert request["operation"] == "create_event"
    # The spec's create_event: "Burst: `350/s` Steady: `3500/m`", scope `events:write`.
    assert request["rate_limit"] == {"burst_per_second": 350, "steady_per_minute": 3500}
    assert request["scopes"] == ["events:write"]
    # JSON-serialisable as they are: an object of ints and a list of strings.
    again = json.loads(json.dumps(plan.to_dict()))["requests"][0]
    assert (again["rate_limit"], again["scopes"]) == (request["rate_limit"], request["scopes"])


def test_a_planned_subscribe_job_carries_every_scope_it_needs() -> None:
    plan = _dry_client().subscribe_to_list(
        "XyZ", [{"email": "a@example.com"}], dry_run=True, return_members=False
    )
    assert isinstance(plan, Plan)
    (request,) = plan.to_dict()["requests"]
    assert request["operation"] == "bulk_subscribe_profiles"
    assert request["rate_limit"] == {"burst_per_second": 75, "steady_per_minute": 750}
    assert request["scopes"] == ["lists:write", "profiles:write", "subscriptions:write"]


def _plans() -> list[Plan]:
    client = _dry_client()
    data_profiles = [
        {"email": f"u{i}@example.com", "first_name": f"U{i}", "plan": "gold"} for i in range(12)
    ]
    plans = [
        client.track("Viewed", {"$email": "a@example.com"}, dry_run=True),
        client.identify({"$email": "a@example.com", "$first_name": "A"}, dry_run=True),
        client.subscribe_to_list(
            "XyZ",
            [*data_profiles, {"phone_number": "+15005550006"}, {"email": "one@example.com"}],
            dry_run=True,
        ),
        client.unsubscribe("XyZ", ["a@example.com"], dry_run=True),
        client.exclude_email("a@example.com", dry_run=True),
    ]
    assert all(isinstance(plan, Plan) for plan in plans)
    return plans


def test_every_planned_request_carries_its_endpoints_rate_limit_and_scopes() -> None:
    operations = set()
    for plan in _plans():
        for request in plan.to_dict()["requests"]:
            row = endpoint(request["operation"])
            operations.add(request["operation"])
            assert request["rate_limit"] == row.rate_limit(), request["operation"]
            assert request["scopes"] == list(row.scopes), request["operation"]
            assert request["rate_limit"]["burst_per_second"] > 0
            assert request["rate_limit"]["steady_per_minute"] > 0
            assert request["scopes"], request["operation"]
    # The plans cover reads, upserts, imports and jobs, not just one endpoint.
    assert {
        "create_event",
        "create_or_update_profile",
        "get_list",
        "bulk_import_profiles",
        "bulk_subscribe_profiles",
        "get_profiles_for_list",
        "get_profiles",
    } <= operations
