"""LocalKlaviyo's ``filter`` and ``sort`` on profile reads: the parser rows, which filters
answer 400 (the spec does not allow them) or 501 (allowed, not implemented here), the
subscription/suppression fields, and suppressions written through the server read back
through the legacy surfaces (new-api.md §7; legacy-surface.md)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any, Optional

import pytest
import requests

import klaviyo_legacy_compat as klaviyo
from klaviyo_legacy_compat.sdk import Client
from klaviyo_legacy_compat.testing import LocalKlaviyo, _store, _store_profiles, _store_records
from klaviyo_legacy_compat.testing._filters import FILTERS, NO_VALUE, PROFILE_SORTS, parse_filter
from klaviyo_legacy_compat.testing._operations import ROUTES
from tests.spec import SpecValidator

REVISION = "2026-07-15"
SUPPRESSION = "subscriptions.email.marketing.suppression"
LIST_SUPPRESSION = "subscriptions.email.marketing.list_suppressions"
START = datetime(2024, 1, 1, tzinfo=timezone.utc)


def headers(server: LocalKlaviyo) -> dict[str, str]:
    return {
        "Accept": "application/vnd.api+json",
        "revision": REVISION,
        "Authorization": f"Klaviyo-API-Key {server.private_key}",
    }


def get(server: LocalKlaviyo, path: str, params: dict[str, str]) -> requests.Response:
    return requests.get(server.base_url + path, params=params, headers=headers(server), timeout=5)


def unsubscribe_globally(server: LocalKlaviyo, email: str) -> None:
    """``POST /api/profile-subscription-bulk-delete-jobs`` without a list: the global
    unsubscribe the legacy surfaces never send (they skip non-members)."""
    profile = {
        "type": "profile",
        "attributes": {
            "email": email,
            "subscriptions": {"email": {"marketing": {"consent": "UNSUBSCRIBED"}}},
        },
    }
    body = {
        "data": {
            "type": "profile-subscription-bulk-delete-job",
            "attributes": {"profiles": {"data": [profile]}},
        }
    }
    sent = requests.post(
        server.base_url + "/api/profile-subscription-bulk-delete-jobs",
        json=body,
        headers={**headers(server), "Content-Type": "application/vnd.api+json"},
        timeout=5,
    )
    assert sent.status_code == 202, sent.text


# --- the parser -----------------------------------------------------------------------------

PARSED: list[tuple[str, list[tuple[str, str, Any]]]] = [
    ('equals(email,"a@b.com")', [("equals", "email", "a@b.com")]),
    ("equals(email,'a@b.com')", [("equals", "email", "a@b.com")]),
    ("equals(email,['a@b.com'])", [("equals", "email", ["a@b.com"])]),
    ('any(email,["a@b.com", "c@d.com"])', [("any", "email", ["a@b.com", "c@d.com"])]),
    (
        f'equals({LIST_SUPPRESSION}.list_id,"AbC123")',
        [("equals", f"{LIST_SUPPRESSION}.list_id", "AbC123")],
    ),
    (
        f"greater-or-equal({SUPPRESSION}.timestamp,1970-01-01T00:00:00Z)",
        [("greater-or-equal", f"{SUPPRESSION}.timestamp", "1970-01-01T00:00:00Z")],
    ),
    (
        f'equals({SUPPRESSION}.reason,"USER_SUPPRESSED"), less-than(created,2024-05-01)',
        [
            ("equals", f"{SUPPRESSION}.reason", "USER_SUPPRESSED"),
            ("less-than", "created", "2024-05-01"),
        ],
    ),
    ("equals(is_active,true)", [("equals", "is_active", True)]),
    # Relationship existence takes no value (new-api.md §7.1).
    ("has(profile), has( metric )", [("has", "profile", NO_VALUE), ("has", "metric", NO_VALUE)]),
    # Metric aggregate dimensions: "$" and spaces in the field name.
    (
        'equals($flow,"F1"),any(Campaign Name,["May"])',
        [("equals", "$flow", "F1"), ("any", "Campaign Name", ["May"])],
    ),
    ("less-than(timestamp,1713009600)", [("less-than", "timestamp", "1713009600")]),
]


@pytest.mark.parametrize(("text", "terms"), PARSED)
def test_parse_filter_rows(text: str, terms: list[tuple[str, str, Any]]) -> None:
    assert parse_filter(text) == terms


@pytest.mark.parametrize(
    "text",
    [
        "equals(email",
        'equals(email,"a")x',
        "equals(email,)",
        '"a"',
        'any(email,["a" "b"])',
        "",
        "has(profile",
        "has()",
    ],
)
def test_parse_filter_refuses_bad_syntax(text: str) -> None:
    with pytest.raises(ValueError):
        parse_filter(text)


# --- what the server accepts ----------------------------------------------------------------

#: (path, filter, status): 200 for what the spec allows and the server does, 400 for what
#: the spec does not allow (or a malformed value), 501 for what it allows but LocalKlaviyo
#: does not implement.
ACCEPTED: list[tuple[str, str, int]] = [
    ("/api/profiles", f'equals({SUPPRESSION}.reason,"UNSUBSCRIBE")', 200),
    ("/api/profiles", f"greater-than({SUPPRESSION}.timestamp,2024-01-01T00:00:00Z)", 200),
    ("/api/profiles", f"greater-or-equal({SUPPRESSION}.timestamp,2024-01-01T00:00:00Z)", 200),
    ("/api/profiles", f"less-than({SUPPRESSION}.timestamp,2024-01-01T00:00:00Z)", 200),
    ("/api/profiles", f"less-or-equal({SUPPRESSION}.timestamp,2024-01-01T00:00:00Z)", 200),
    ("/api/profiles", f'equals({LIST_SUPPRESSION}.list_id,"AbC123")', 200),
    ("/api/profiles", f'equals({LIST_SUPPRESSION}.reason,"UNSUBSCRIBE")', 200),
    ("/api/profiles", f"greater-than({LIST_SUPPRESSION}.timestamp,2024-01-01)", 200),
    ("/api/profiles", f"greater-or-equal({LIST_SUPPRESSION}.timestamp,2024-01-01)", 200),
    ("/api/profiles", f"less-than({LIST_SUPPRESSION}.timestamp,2024-01-01)", 200),
    ("/api/profiles", f"less-or-equal({LIST_SUPPRESSION}.timestamp,2024-01-01)", 200),
    ("/api/profiles", "greater-than(created,2024-01-01T00:00:00Z)", 200),
    ("/api/profiles", "less-than(created,2024-01-01T00:00:00Z)", 200),
    ("/api/profiles", "greater-than(updated,2024-01-01T00:00:00Z)", 200),
    ("/api/profiles", "less-than(updated,2024-01-01T00:00:00Z)", 200),
    ("/api/profiles", 'equals(_kx,"kx")', 200),
    # Not allowed by the spec on get_profiles:
    ("/api/profiles", f'any({SUPPRESSION}.reason,["UNSUBSCRIBE"])', 400),
    ("/api/profiles", f"greater-than({SUPPRESSION}.reason,1)", 400),
    ("/api/profiles", f'equals({SUPPRESSION}.timestamp,"x")', 400),
    ("/api/profiles", "greater-or-equal(created,2024-01-01T00:00:00Z)", 400),
    ("/api/profiles", 'contains(email,"ann")', 400),
    ("/api/profiles", 'equals(first_name,"Ann")', 400),
    ("/api/profiles", 'equals(subscriptions.email.marketing.consent,"SUBSCRIBED")', 400),
    # Malformed values:
    # Datetimes are written unquoted; quoting one is an invalid filter (new-api.md §7.1).
    ("/api/profiles", f'greater-than({SUPPRESSION}.timestamp,"2024-01-01")', 400),
    ("/api/profiles", f"greater-than({SUPPRESSION}.timestamp,yesterday)", 400),
    ("/api/profiles", f"greater-than({SUPPRESSION}.timestamp,[2024-01-01])", 400),
    ("/api/profiles", 'any(email,"a@b.com")', 400),
    ("/api/profiles", "equals(email", 400),
    # List members: push tokens are the spec's, but the store keeps none.
    ("/api/lists/{list}/profiles", 'any(push_token,["t"])', 501),
    ("/api/lists/{list}/relationships/profiles", 'equals(push_token,"t")', 501),
    ("/api/lists/{list}/profiles", "greater-than(joined_group_at,2024-01-01T00:00:00Z)", 200),
    ("/api/lists/{list}/profiles", "less-or-equal(joined_group_at,2024-01-01T00:00:00Z)", 200),
    ("/api/lists/{list}/profiles", 'equals(id,"x")', 400),
    ("/api/lists", "greater-than(created,2024-01-01T00:00:00Z)", 200),
    ("/api/lists", "less-than(created,2024-01-01T00:00:00Z)", 400),
]


@pytest.fixture(scope="module")
def empty() -> Iterator[LocalKlaviyo]:
    with LocalKlaviyo(enforce_rate_limits=False) as running:
        yield running


@pytest.mark.parametrize(("path", "expression", "status"), ACCEPTED)
def test_filter_acceptance(empty: LocalKlaviyo, path: str, expression: str, status: int) -> None:
    list_id = next(iter(empty.store.lists), None) or empty.store.create_list("L")
    response = get(empty, path.format(list=list_id), {"filter": expression})
    assert response.status_code == status, response.text
    if status != 200:
        (error,) = response.json()["errors"]
        assert error["source"] == {"parameter": "filter"}
        assert error["code"] == {400: "invalid", 501: "not_implemented"}[status]


def test_every_spec_operator_of_a_field_is_tested_or_listed() -> None:
    # The table rows cover each implemented (field, operator) of get_profiles.
    tried = {
        (expression.split("(", 1)[0], expression.split("(", 1)[1].split(",", 1)[0])
        for path, expression, status in ACCEPTED
        if path == "/api/profiles" and status == 200
    }
    wanted = {
        (operator, name)
        for name, field in FILTERS["get_profiles"].items()
        for operator in field.operators
        if name not in {"id", "email", "phone_number", "external_id"}  # test_server.py
    }
    assert wanted <= tried


# --- what the subscription fields select ----------------------------------------------------


@pytest.fixture(scope="module")
def suppressed() -> Iterator[tuple[LocalKlaviyo, str, str]]:
    """carol (Jan 2): no suppression; ann: global USER_SUPPRESSED (Jan 5); dan: global
    HARD_BOUNCE (Jan 6); bob: UNSUBSCRIBE scoped to list one (Jan 7); eve: UNSUBSCRIBE scoped
    to list two (Jan 8), then a global one (Jan 9). Each profile is created with its first
    suppression."""
    with LocalKlaviyo(enforce_rate_limits=False) as server:
        # The clock is patched only while the store is filled: later tests in the module
        # need real, increasing times.
        with pytest.MonkeyPatch.context() as patch:
            clock = [START]
            patch.setattr(_store_profiles, "utc_now", lambda: clock[0])
            store = server.store

            def on(day: int) -> None:
                clock[0] = START + timedelta(days=day - 1)  # on(5) is Jan 5

            on(1)
            first, second = store.create_list("One"), store.create_list("Two")
            on(2)
            store.add_profile(email="carol@example.com")
            on(5)
            store.add_suppression("ann@example.com")
            on(6)
            store.add_suppression("dan@example.com", "HARD_BOUNCE")
            on(7)
            store.add_suppression("bob@example.com", "UNSUBSCRIBE", list_id=first)
            on(8)
            store.add_suppression("eve@example.com", "UNSUBSCRIBE", list_id=second)
            on(9)
            store.add_suppression("eve@example.com", "UNSUBSCRIBE")
        yield server, first, second


def emails(server: LocalKlaviyo, params: dict[str, str]) -> list[str]:
    response = get(server, "/api/profiles", params)
    assert response.status_code == 200, response.text
    return [p["attributes"]["email"] for p in response.json()["data"]]


#: (filter, emails selected, in creation order); ``{one}``/``{two}`` are the list ids.
SELECTED: list[tuple[str, list[str]]] = [
    (f'equals({SUPPRESSION}.reason,"USER_SUPPRESSED")', ["ann@example.com"]),
    (f'equals({SUPPRESSION}.reason,"UNSUBSCRIBE")', ["eve@example.com"]),
    (f'equals({SUPPRESSION}.reason,["HARD_BOUNCE"])', ["dan@example.com"]),
    (
        f"greater-or-equal({SUPPRESSION}.timestamp,1970-01-01T00:00:00Z)",
        ["ann@example.com", "dan@example.com", "eve@example.com"],
    ),
    (f"greater-than({SUPPRESSION}.timestamp,2024-01-06T00:00:00Z)", ["eve@example.com"]),
    (
        f"greater-or-equal({SUPPRESSION}.timestamp,2024-01-06)",
        ["dan@example.com", "eve@example.com"],
    ),
    (f"less-than({SUPPRESSION}.timestamp,2024-01-06T00:00:00+00:00)", ["ann@example.com"]),
    (
        f"less-or-equal({SUPPRESSION}.timestamp,2024-01-06T00:00:00Z)",
        ["ann@example.com", "dan@example.com"],
    ),
    (f'equals({LIST_SUPPRESSION}.list_id,"{{one}}")', ["bob@example.com"]),
    (f'equals({LIST_SUPPRESSION}.list_id,"{{two}}")', ["eve@example.com"]),
    (f'equals({LIST_SUPPRESSION}.reason,"UNSUBSCRIBE")', ["bob@example.com", "eve@example.com"]),
    (f'equals({LIST_SUPPRESSION}.reason,"USER_SUPPRESSED")', []),
    (f"greater-than({LIST_SUPPRESSION}.timestamp,2024-01-07T00:00:00Z)", ["eve@example.com"]),
    (
        f'equals({LIST_SUPPRESSION}.list_id,"{{two}}"),equals({SUPPRESSION}.reason,"UNSUBSCRIBE")',
        ["eve@example.com"],
    ),
    (
        f'equals({LIST_SUPPRESSION}.list_id,"{{one}}"),equals({SUPPRESSION}.reason,"UNSUBSCRIBE")',
        [],
    ),
    ("greater-than(created,2024-01-06T12:00:00Z)", ["bob@example.com", "eve@example.com"]),
    ("less-than(created,2024-01-05T12:00:00Z)", ["carol@example.com", "ann@example.com"]),
]


@pytest.mark.parametrize(("expression", "selected"), SELECTED)
def test_subscription_filters_select(
    suppressed: tuple[LocalKlaviyo, str, str], expression: str, selected: list[str]
) -> None:
    server, one, two = suppressed
    assert emails(server, {"filter": expression.format(one=one, two=two)}) == selected


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        (f"{SUPPRESSION}.timestamp", ["ann", "dan", "eve", "carol", "bob"]),
        (f"-{SUPPRESSION}.timestamp", ["eve", "dan", "ann", "carol", "bob"]),
        (f"-{LIST_SUPPRESSION}.timestamp", ["eve", "bob", "carol", "ann", "dan"]),
        ("email", ["ann", "bob", "carol", "dan", "eve"]),
        ("-created", ["eve", "bob", "dan", "ann", "carol"]),
        (None, ["carol", "ann", "dan", "bob", "eve"]),
    ],
)
def test_profile_sorts(
    suppressed: tuple[LocalKlaviyo, str, str], sort: Optional[str], order: list[str]
) -> None:
    params = {} if sort is None else {"sort": sort}
    assert emails(suppressed[0], params) == [f"{name}@example.com" for name in order]


def test_profile_sort_keys_are_the_spec_enum(suppressed: tuple[LocalKlaviyo, str, str]) -> None:
    assert set(PROFILE_SORTS) == {
        "created",
        "email",
        "id",
        "updated",
        f"{SUPPRESSION}.timestamp",
        f"{LIST_SUPPRESSION}.timestamp",
    }
    bad = get(suppressed[0], "/api/profiles", {"sort": "first_name"})
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["source"] == {"parameter": "sort"}


def test_add_suppression_to_an_unknown_list_creates_nothing() -> None:
    store = _store.Store()
    with pytest.raises(_store_records.NotFound):
        store.add_suppression("ann@example.com", list_id="NoSuch")
    assert store.profiles == {}


# --- end to end through the legacy surfaces -------------------------------------------------


@pytest.fixture
def server() -> Iterator[LocalKlaviyo]:
    with LocalKlaviyo(enforce_rate_limits=False) as running:
        yield running


def clients(server: LocalKlaviyo) -> tuple[klaviyo.Klaviyo, Client]:
    """The ``klaviyo`` 3.1.7 client and the ``klaviyo-sdk`` one, on the local server."""
    compat = klaviyo.CompatClient(
        private_key=server.private_key, public_key=server.public_key, base_url=server.base_url
    )
    return (
        klaviyo.Klaviyo(server.public_key, server.private_key, client=compat),
        Client(server.private_key, client=compat),
    )


def test_global_exclusions_read_back_what_was_written(server: LocalKlaviyo) -> None:
    legacy, sdk = clients(server)
    # A suppress job (exclude_globally), a global unsubscribe job and a store-made bounce;
    # carol subscribes and stays out.
    assert sdk.ListsSegments.exclude_globally(email="ann@example.com") == {
        "already_excluded": False,
        "num_excluded": 1,
    }
    assert sdk.ListsSegments.exclude_globally(email="ann@example.com") == {
        "already_excluded": True,
        "num_excluded": 0,
    }
    list_id = legacy.Lists.create_list("News").data["list_id"]
    legacy.Lists.add_subscribers_to_list(list_id, [{"email": "carol@example.com"}])
    unsubscribe_globally(server, "bob@example.com")
    server.store.add_suppression("dan@example.com", "HARD_BOUNCE")

    everyone = sdk.ListsSegments.get_global_exclusions()
    assert {k: v for k, v in everyone.items() if k != "data"} == {
        "object": "$list",
        "page": 0,
        "start": 0,
        "end": 2,
        "page_size": 500,
        "total": 3,
    }
    rows = {row["email"]: row for row in everyone["data"]}
    assert {email: row["reason"] for email, row in rows.items()} == {
        "ann@example.com": "manually_excluded",
        "bob@example.com": "unsubscribed",
        "dan@example.com": "bounced",
    }
    for row in rows.values():
        assert row["object"] == "exclusion"
        # v1 times: "YYYY-MM-DD HH:MM:SS", UTC.
        assert datetime.fromisoformat(row["timestamp"]).tzinfo is None

    bounced = sdk.ListsSegments.get_global_exclusions(reason="bounced")
    assert [row["email"] for row in bounced["data"]] == ["dan@example.com"]
    newest_first = sdk.ListsSegments.get_global_exclusions(sort="desc")
    assert [row["email"] for row in newest_first["data"]] == [
        "dan@example.com",
        "bob@example.com",
        "ann@example.com",
    ]
    assert legacy.Lists.get_list_exclusions(list_id).data == {"records": []}


def test_list_exclusions_read_back_what_was_written(server: LocalKlaviyo) -> None:
    legacy, sdk = clients(server)
    news = legacy.Lists.create_list("News").data["list_id"]
    other = legacy.Lists.create_list("Other").data["list_id"]
    legacy.Lists.add_subscribers_to_list(
        news, [{"email": "bob@example.com"}, {"email": "carol@example.com"}]
    )
    legacy.Lists.add_subscribers_to_list(other, [{"email": "eve@example.com"}])
    # Unsubscribing members from a list leaves a suppression scoped to that list.
    legacy.Lists.delete_subscribers_from_list(news, ["bob@example.com"])
    legacy.Lists.delete_subscribers_from_list(other, ["eve@example.com"])

    answer = legacy.Lists.get_list_exclusions(news)
    assert answer.status_code == 200
    (record,) = answer.data["records"]
    bob = server.store.profile_by_email("bob@example.com")
    assert bob is not None
    assert set(record) == {"id", "email", "reason", "created"}
    assert (record["id"], record["email"], record["reason"]) == (
        bob.id,
        "bob@example.com",
        "unsubscribed",
    )
    assert record["created"].endswith("Z")
    # Python 3.9's fromisoformat does not read "Z".
    created = datetime.fromisoformat(record["created"][:-1] + "+00:00")
    assert created.utcoffset() == timedelta(0)
    assert "marker" not in answer.data
    assert [r["email"] for r in sdk.ListsSegments.get_list_exclusions(other)["records"]] == [
        "eve@example.com"
    ]
    # List-scoped suppressions are not global ones.
    assert sdk.ListsSegments.get_global_exclusions()["data"] == []


# --- the field tables against the spec -------------------------------------------------------


def test_every_filter_table_is_the_specs(spec: SpecValidator) -> None:
    """Each served operation that takes a ``filter`` has a row in ``FILTERS`` naming exactly
    the spec's fields and operators (``x-klaviyo-filters``) and the spec's enums as
    ``choices``; a field this server cannot evaluate is in the row with ``values=None``, so
    it answers 501, never 400."""
    filtered = {
        operation
        for operation in ROUTES
        if spec.operations[operation][2].get("x-klaviyo-filters") is not None
    }
    assert set(FILTERS) == filtered
    for operation, fields in FILTERS.items():
        declared = spec.operations[operation][2]["x-klaviyo-filters"]
        allowed = {
            name: {op for ops in entry["operators"].values() for op in ops}
            for name, entry in declared.items()
        }
        assert {name: set(field.operators) for name, field in fields.items()} == allowed, operation
        for name, field in fields.items():
            enum = (declared[name].get("value") or {}).get("enum")
            assert field.choices == (None if enum is None else frozenset(enum)), (operation, name)
