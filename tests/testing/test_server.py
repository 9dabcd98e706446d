"""LocalKlaviyo over real sockets, with ``requests``: auth, every operation's happy path and
documented failure, event dedup, the unsubscribe trap, double opt-in, pagination, rate
limits on a time scale, and every fault kind."""

from __future__ import annotations

import http.client
import math
import threading
import time
from collections.abc import Iterator
from typing import Any, Optional

import pytest
import requests

from klaviyo_legacy_compat.testing import LocalKlaviyo
from klaviyo_legacy_compat.testing._faults import FAULT_KINDS
from klaviyo_legacy_compat.testing._filters import parse_filter
from klaviyo_legacy_compat.testing._operations import ROUTES
from klaviyo_legacy_compat.testing._store_records import DuplicateProfile

REVISION = "2026-07-15"
FAST = 0.05  # time_scale of the rate-limit tests: 50 ms burst window, 3 s steady window


class Api:
    """A tiny client: the documented headers, the server's keys, one pooled session."""

    def __init__(self, server: LocalKlaviyo) -> None:
        self.server = server
        self.session = requests.Session()

    def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Optional[dict[str, str]] = None,
        key: Optional[str] = "default",
        revision: Optional[str] = REVISION,
        timeout: float = 5.0,
        headers: Optional[dict[str, str]] = None,
    ) -> requests.Response:
        sent = {"Accept": "application/vnd.api+json", **(headers or {})}
        if revision is not None:
            sent["revision"] = revision
        if path.startswith("/client/"):
            params = {"company_id": self.server.public_key, **(params or {})}
        elif key is not None:
            sent["Authorization"] = (
                f"Klaviyo-API-Key {self.server.private_key if key == 'default' else key}"
            )
        return self.session.request(
            method,
            self.server.base_url + path,
            json=json,
            params=params,
            headers=sent,
            timeout=timeout,
        )

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, body: Any, **kwargs: Any) -> requests.Response:
        return self.call("POST", path, json=body, **kwargs)


@pytest.fixture
def server() -> Iterator[LocalKlaviyo]:
    with LocalKlaviyo() as running:
        yield running


@pytest.fixture
def fast() -> Iterator[LocalKlaviyo]:
    with LocalKlaviyo(time_scale=FAST) as running:
        yield running


@pytest.fixture
def api(server: LocalKlaviyo) -> Iterator[Api]:
    client = Api(server)
    yield client
    client.session.close()


@pytest.fixture
def fast_api(fast: LocalKlaviyo) -> Iterator[Api]:
    client = Api(fast)
    yield client
    client.session.close()


# --- bodies ---------------------------------------------------------------------------------


def profile_data(**attributes: Any) -> dict[str, Any]:
    return {"data": {"type": "profile", "attributes": attributes}}


def event(metric: str = "Placed Order", email: str = "ann@example.com", **fields: Any) -> Any:
    attributes = {
        "properties": fields.pop("properties", {}),
        "metric": {"data": {"type": "metric", "attributes": {"name": metric}}},
        "profile": profile_data(email=email, **fields.pop("profile", {})),
        **fields,
    }
    return {"data": {"type": "event", "attributes": attributes}}


def bulk_events(*entries: tuple[dict[str, Any], list[dict[str, Any]]]) -> Any:
    data = [
        {
            "type": "event-bulk-create",
            "attributes": {
                "profile": {"data": {"type": "profile", "attributes": profile}},
                "events": {
                    "data": [
                        {
                            "type": "event",
                            "attributes": {
                                "properties": {},
                                "metric": {
                                    "data": {"type": "metric", "attributes": {"name": e["metric"]}}
                                },
                                **{k: v for k, v in e.items() if k != "metric"},
                            },
                        }
                        for e in events
                    ]
                },
            },
        }
        for profile, events in entries
    ]
    return {
        "data": {
            "type": "event-bulk-create-job",
            "attributes": {"events-bulk-create": {"data": data}},
        }
    }


def consent_job(
    kind: str, profiles: list[dict[str, Any]], list_id: Optional[str] = None, **attributes: Any
) -> Any:
    data: dict[str, Any] = {
        "type": f"profile-subscription-bulk-{kind}-job",
        "attributes": {
            "profiles": {"data": [{"type": "profile", "attributes": p} for p in profiles]},
            **attributes,
        },
    }
    if list_id is not None:
        data["relationships"] = {"list": {"data": {"type": "list", "id": list_id}}}
    return {"data": data}


SUBSCRIBED = {"marketing": {"consent": "SUBSCRIBED"}}
UNSUBSCRIBED = {"marketing": {"consent": "UNSUBSCRIBED"}}


def suppress_job(emails: list[str]) -> Any:
    profiles = [{"type": "profile", "attributes": {"email": e}} for e in emails]
    return {
        "data": {
            "type": "profile-suppression-bulk-create-job",
            "attributes": {"profiles": {"data": profiles}},
        }
    }


def eventually(check: Any, timeout: float = 2.0) -> None:
    """Wait until ``check()`` is true: the server stores a write before it answers, but a
    client that gave up early may look before the store is done."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def error_of(response: requests.Response) -> dict[str, Any]:
    assert response.headers["Content-Type"] == "application/vnd.api+json"
    body = response.json()
    (error,) = body["errors"]
    assert {"id", "status", "code", "title", "detail", "source"} <= set(error)
    assert error["status"] == response.status_code
    return dict(error)


# --- auth and routing ---------------------------------------------------------------------------


def test_api_endpoints_need_the_private_key(api: Api) -> None:
    missing = api.get("/api/lists", key=None)
    assert missing.status_code == 401
    assert error_of(missing)["code"] == "not_authenticated"
    bearer = api.get("/api/lists", headers={"Authorization": "Bearer x"}, key=None)
    assert bearer.status_code == 401
    wrong = api.get("/api/lists", key="pk_wrong")
    assert wrong.status_code == 403
    assert error_of(wrong)["code"] == "permission_denied"
    assert api.get("/api/lists").status_code == 200


def test_every_request_needs_a_revision(api: Api) -> None:
    response = api.get("/api/lists", revision=None)
    assert response.status_code == 400
    assert "revision" in error_of(response)["detail"]
    assert api.get("/api/lists", revision="yesterday").status_code == 400
    assert api.get("/api/lists", revision="2026-07-15.pre").status_code == 200


def test_client_endpoints_take_company_id_and_refuse_authorization(
    api: Api, server: LocalKlaviyo
) -> None:
    body = event()
    url = server.base_url + "/client/events"
    headers = {"revision": REVISION}
    no_company = api.session.post(url, json=body, headers=headers)
    assert no_company.status_code == 400
    assert error_of(no_company)["source"] == {"parameter": "company_id"}
    wrong = api.session.post(url, json=body, headers=headers, params={"company_id": "nope"})
    assert wrong.status_code == 400
    with_key = api.session.post(
        url,
        json=body,
        params={"company_id": server.public_key},
        headers={**headers, "Authorization": f"Klaviyo-API-Key {server.private_key}"},
    )
    assert with_key.status_code == 400
    assert "Authorization" in error_of(with_key)["detail"]
    assert not server.store.events
    assert api.post("/client/events", body).status_code == 202
    assert len(server.store.events) == 1


def test_unknown_paths_methods_and_operations(api: Api) -> None:
    unknown = api.get("/api/nothing-here")
    assert unknown.status_code == 404
    assert error_of(unknown)["code"] == "not_found"
    wrong_method = api.call("PUT", "/api/lists")
    assert wrong_method.status_code == 405
    assert wrong_method.headers["Allow"] == "GET, POST"
    not_built = api.get("/api/tags")
    assert not_built.status_code == 501
    assert "get_tags" in error_of(not_built)["detail"]


def test_malformed_json_is_a_400(api: Api, server: LocalKlaviyo) -> None:
    response = api.session.post(
        server.base_url + "/api/events",
        data=b"{not json",
        headers={
            "Authorization": f"Klaviyo-API-Key {server.private_key}",
            "revision": REVISION,
            "Content-Type": "application/vnd.api+json",
        },
    )
    assert response.status_code == 400
    assert error_of(response)["source"] == {"pointer": "/"}


def test_wrong_resource_type_is_a_400_with_a_pointer(api: Api) -> None:
    body = event()
    body["data"]["type"] = "profile"
    response = api.post("/api/events", body)
    assert response.status_code == 400
    assert error_of(response)["source"] == {"pointer": "/data/type"}


def test_the_request_log(api: Api, server: LocalKlaviyo) -> None:
    api.get("/api/lists", params={"page[size]": "5"})
    api.get("/api/nowhere")
    first, second = server.requests
    assert first == ("GET", "/api/lists", {"page[size]": "5"}, "get_lists", 200)
    assert second.operation is None
    assert second.status == 404
    assert server.operations() == ["get_lists", None]


# --- events ---------------------------------------------------------------------------------


def test_create_event_stores_the_event_and_creates_the_profile(
    api: Api, server: LocalKlaviyo
) -> None:
    body = event(
        properties={"sku": "A1"},
        value=42.5,
        value_currency="USD",
        unique_id="order-1",
        time="2024-05-01T12:00:00.700Z",
        profile={"first_name": "Ann", "properties": {"tier": "gold"}},
    )
    response = api.post("/api/events", body)
    assert response.status_code == 202
    assert response.content == b""
    (stored,) = server.store.events
    assert (stored.metric, stored.properties, stored.value, stored.value_currency) == (
        "Placed Order",
        {"sku": "A1"},
        42.5,
        "USD",
    )
    assert stored.unique_id == "order-1"
    assert stored.time == "2024-05-01T12:00:00+00:00"  # truncated to the second
    profile = server.store.profile_by_email("ann@example.com")
    assert profile is not None
    assert stored.profile_id == profile.id
    assert profile.attributes["first_name"] == "Ann"
    assert profile.properties == {"tier": "gold"}
    assert profile.last_event_date is not None
    assert len(profile.id) == 26
    assert profile.id.isupper()


def test_an_event_with_a_repeated_unique_id_is_stored_once(api: Api, server: LocalKlaviyo) -> None:
    for _ in range(3):
        assert api.post("/api/events", event(unique_id="order-1")).status_code == 202
    assert api.post("/api/events", event(unique_id="order-2")).status_code == 202
    assert api.post("/api/events", event("Other", unique_id="order-1")).status_code == 202
    assert api.post("/api/events", event(email="bob@example.com", unique_id="order-1"))
    assert [(e.metric, e.unique_id) for e in server.store.events] == [
        ("Placed Order", "order-1"),
        ("Placed Order", "order-2"),
        ("Other", "order-1"),
        ("Placed Order", "order-1"),
    ]


def test_without_unique_id_the_time_to_the_second_dedupes(api: Api, server: LocalKlaviyo) -> None:
    api.post("/api/events", event(time="2024-05-01T12:00:00.100000+00:00"))
    api.post("/api/events", event(time="2024-05-01T12:00:00.900000+00:00"))
    api.post("/api/events", event(time="2024-05-01T12:00:01+00:00"))
    assert [e.unique_id for e in server.store.events] == [
        "2024-05-01T12:00:00+00:00",
        "2024-05-01T12:00:01+00:00",
    ]


def test_without_time_the_receipt_time_is_the_default_unique_id(
    api: Api, server: LocalKlaviyo
) -> None:
    for _ in range(5):  # retried only if the two posts straddle a second boundary
        server.store.clear()
        before = time.time()
        api.post("/api/events", event())
        api.post("/api/events", event())
        if math.floor(before) == math.floor(time.time()):
            break
    (stored,) = server.store.events
    assert stored.time == stored.unique_id
    assert stored.time.startswith(stored.received[:19])


def test_events_refuse_bad_input(api: Api) -> None:
    nameless = event(metric="")
    assert error_of(api.post("/api/events", nameless))["source"] == {
        "pointer": "/data/attributes/metric/data/attributes/name"
    }
    anonymous = event()
    anonymous["data"]["attributes"]["profile"] = profile_data(first_name="Ann")
    assert api.post("/api/events", anonymous).status_code == 400
    long_name = event(metric="x" * 128)
    assert api.post("/api/events", long_name).status_code == 400
    ancient = event(time="1989-12-31T00:00:00Z")
    assert api.post("/api/events", ancient).status_code == 400
    unknown_field = event(profile={"favourite_colour": "red"})
    assert "favourite_colour" in error_of(api.post("/api/events", unknown_field))["detail"]


def test_events_update_the_profile_but_client_events_keep_its_identifiers(
    api: Api, server: LocalKlaviyo
) -> None:
    ann = server.store.add_profile(email="ann@example.com", external_id="X1")
    api.post("/api/events", event(profile={"phone_number": "+15005550006", "title": "CEO"}))
    profile = server.store.profile(ann)
    assert profile is not None
    assert (profile.phone_number, profile.attributes["title"]) == ("+15005550006", "CEO")
    client_body = event(email="new@example.com", profile={"external_id": "X1", "title": "CTO"})
    assert api.post("/client/events", client_body).status_code == 202
    profile = server.store.profile(ann)
    assert profile is not None
    # Resolved by external_id; the email is not changed from a client endpoint (spec).
    assert profile.email == "ann@example.com"
    assert profile.attributes["title"] == "CTO"
    assert server.store.profile_by_email("new@example.com") is None
    assert server.store.events[-1].profile_id == ann


def test_bulk_create_events_stores_every_event(api: Api, server: LocalKlaviyo) -> None:
    body = bulk_events(
        (
            {"email": "ann@example.com"},
            [
                {"metric": "Viewed", "unique_id": "1"},
                {"metric": "Viewed", "unique_id": "2"},
            ],
        ),
        (
            {"email": "bob@example.com", "first_name": "Bob"},
            [{"metric": "Viewed", "unique_id": "1"}],
        ),
    )
    response = api.post("/api/event-bulk-create-jobs", body)
    assert response.status_code == 202
    assert len(server.store.events) == 3
    bob = server.store.profile_by_email("bob@example.com")
    assert bob is not None
    assert bob.attributes["first_name"] == "Bob"
    # Already stored events are dropped one by one, as for a single create.
    again = bulk_events(
        ({"email": "ann@example.com"}, [{"metric": "Viewed", "unique_id": "2"}]),
        ({"email": "ann@example.com"}, [{"metric": "Viewed", "unique_id": "3"}]),
    )
    assert api.post("/api/event-bulk-create-jobs", again).status_code == 202
    assert [e.unique_id for e in server.store.events_for("ann@example.com")] == ["1", "2", "3"]


def test_bulk_create_events_fails_whole_on_a_unique_id_repeated_in_the_request(
    api: Api, server: LocalKlaviyo
) -> None:
    body = bulk_events(
        ({"email": "carol@example.com"}, [{"metric": "Viewed", "unique_id": "u"}]),
        ({"email": "dave@example.com"}, [{"metric": "Viewed", "unique_id": "ok"}]),
        ({"email": "CAROL@example.com"}, [{"metric": "Viewed", "unique_id": "u"}]),
    )
    response = api.post("/api/event-bulk-create-jobs", body)
    assert response.status_code == 400
    assert "unique_id" in error_of(response)["source"]["pointer"]
    assert server.store.events == []
    assert server.store.profiles == {}


def test_bulk_create_events_caps_the_events(api: Api, server: LocalKlaviyo) -> None:
    events = [{"metric": "Viewed", "unique_id": str(i)} for i in range(1001)]
    response = api.post("/api/event-bulk-create-jobs", bulk_events(({"email": "a@b.co"}, events)))
    assert response.status_code == 400
    assert "1000" in error_of(response)["detail"]
    assert server.store.events == []


def test_bulk_create_client_events(api: Api, server: LocalKlaviyo) -> None:
    entry = bulk_events(({"email": "ann@example.com"}, [{"metric": "Viewed"}]))["data"][
        "attributes"
    ]["events-bulk-create"]["data"][0]
    assert api.post("/client/event-bulk-create", {"data": entry}).status_code == 202
    assert len(server.store.events) == 1


# --- profiles ---------------------------------------------------------------------------------


def test_profile_import_creates_then_updates(api: Api, server: LocalKlaviyo) -> None:
    created = api.post(
        "/api/profile-import",
        profile_data(
            email="ann@example.com",
            first_name="Ann",
            last_name="Lee",
            location={"city": "Boston", "zip": "02110"},
            properties={"a": 1, "b": 2},
        ),
    )
    assert created.status_code == 201
    data = created.json()["data"]
    assert data["type"] == "profile"
    assert data["attributes"]["email"] == "ann@example.com"
    assert data["attributes"]["location"]["city"] == "Boston"
    updated = api.post(
        "/api/profile-import",
        profile_data(
            email="ANN@example.com",
            last_name=None,
            location={"zip": None},
            properties={"b": 3},
        ),
    )
    assert updated.status_code == 200
    attributes = updated.json()["data"]["attributes"]
    assert updated.json()["data"]["id"] == data["id"]
    assert attributes["first_name"] == "Ann"  # omitted: unchanged
    assert attributes["last_name"] is None  # null: cleared
    assert attributes["location"]["city"] == "Boston"
    assert attributes["location"]["zip"] is None
    assert attributes["properties"] == {"a": 1, "b": 3}
    assert len(server.store.profiles) == 1


def test_profile_import_by_id_and_patch_properties(api: Api, server: LocalKlaviyo) -> None:
    ann = server.store.add_profile(email="ann@example.com", properties={"tags": ["a"], "x": 1})
    body = profile_data(first_name="Ann")
    body["data"]["id"] = ann
    body["data"]["meta"] = {"patch_properties": {"append": {"tags": "b"}, "unset": "x"}}
    response = api.post("/api/profile-import", body)
    assert response.status_code == 200
    assert response.json()["data"]["attributes"]["properties"] == {"tags": ["a", "b"]}
    body["data"]["id"] = "01UNKNOWN"
    assert api.post("/api/profile-import", body).status_code == 404


def test_profile_import_with_identifiers_of_two_profiles_is_a_409(
    api: Api, server: LocalKlaviyo
) -> None:
    ann = server.store.add_profile(email="ann@example.com")
    phone_owner = server.store.add_profile(phone_number="+15005550006")
    response = api.post(
        "/api/profile-import", profile_data(email="ann@example.com", phone_number="+15005550006")
    )
    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "duplicate_profile"
    assert error["meta"] == {"duplicate_profile_id": phone_owner}
    # Without the phone number (the library's drop_phone policy) the upsert goes through.
    retry = api.post("/api/profile-import", profile_data(email="ann@example.com", title="Dr"))
    assert retry.status_code == 200
    assert retry.json()["data"]["id"] == ann


def test_create_profile_and_its_409(api: Api, server: LocalKlaviyo) -> None:
    created = api.post("/api/profiles", profile_data(email="ann@example.com", first_name="Ann"))
    assert created.status_code == 201
    ann = created.json()["data"]["id"]
    again = api.post("/api/profiles", profile_data(email="Ann@Example.com"))
    assert again.status_code == 409
    assert error_of(again)["meta"]["duplicate_profile_id"] == ann
    assert api.post("/api/profiles", profile_data(first_name="Nobody")).status_code == 400
    assert api.post("/api/profiles", profile_data(email="not-an-email")).status_code == 400
    assert api.post("/api/profiles", profile_data(phone_number="555-1234")).status_code == 400


def test_update_profile(api: Api, server: LocalKlaviyo) -> None:
    ann = server.store.add_profile(email="ann@example.com", first_name="Ann")
    bob = server.store.add_profile(email="bob@example.com")

    def patch(profile_id: str, path_id: str, **attributes: Any) -> requests.Response:
        body = {"data": {"type": "profile", "id": profile_id, "attributes": attributes}}
        return api.call("PATCH", f"/api/profiles/{path_id}", json=body)

    ok = patch(ann, ann, external_id="X1", first_name=None)
    assert ok.status_code == 200
    assert ok.json()["data"]["attributes"]["external_id"] == "X1"
    assert ok.json()["data"]["attributes"]["first_name"] is None
    assert patch(ann, bob, title="Dr").status_code == 409
    assert patch("01UNKNOWN", "01UNKNOWN", title="Dr").status_code == 404
    clash = patch(ann, ann, email="bob@example.com")
    assert clash.status_code == 409
    assert error_of(clash)["meta"] == {"duplicate_profile_id": bob}
    profile = server.store.profile(ann)
    assert profile is not None
    assert profile.email == "ann@example.com"


def test_get_profile(api: Api, server: LocalKlaviyo) -> None:
    ann = server.store.add_profile(email="ann@example.com")
    found = api.get(f"/api/profiles/{ann}")
    assert found.status_code == 200
    assert found.json()["data"]["id"] == ann
    assert api.get(found.json()["data"]["links"]["self"][len(server.base_url) :]).ok
    assert api.get("/api/profiles/01UNKNOWN").status_code == 404


def test_get_profiles_filters(api: Api, server: LocalKlaviyo) -> None:
    ann = server.store.add_profile(email="ann@example.com", phone_number="+15005550006")
    bob = server.store.add_profile(email="bob@example.com", external_id="B")
    server.store.add_profile(email="carol@example.com")

    def ids(expression: str) -> list[str]:
        response = api.get("/api/profiles", params={"filter": expression})
        assert response.status_code == 200, response.text
        return [p["id"] for p in response.json()["data"]]

    assert ids('equals(email,"ANN@example.com")') == [ann]
    assert ids('any(email,["ann@example.com","bob@example.com","zed@example.com"])') == [ann, bob]
    assert ids("equals(email,['bob@example.com'])") == [bob]
    assert ids('equals(phone_number,"+15005550006")') == [ann]
    assert ids('any(external_id,["B"])') == [bob]
    assert ids(f'equals(id,"{bob}")') == [bob]
    assert ids('equals(email,"ann@example.com"),equals(external_id,"B")') == []
    bad = api.get("/api/profiles", params={"filter": 'contains(email,"ann")'})
    assert bad.status_code == 400
    assert error_of(bad)["source"] == {"parameter": "filter"}
    assert api.get("/api/profiles", params={"filter": "equals(email"}).status_code == 400


def test_get_profiles_subscriptions_and_sparse_fields(api: Api, server: LocalKlaviyo) -> None:
    server.store.add_profile(email="ann@example.com", first_name="Ann")
    server.store.add_suppression("ann@example.com")
    response = api.get(
        "/api/profiles",
        params={
            "filter": 'equals(email,"ann@example.com")',
            "additional-fields[profile]": "subscriptions",
            "fields[profile]": "email,location.city",
        },
    )
    (profile,) = response.json()["data"]
    attributes = profile["attributes"]
    assert set(attributes) == {"email", "location", "subscriptions"}
    assert attributes["location"] == {"city": None}
    marketing = attributes["subscriptions"]["email"]["marketing"]
    assert marketing["consent"] == "NEVER_SUBSCRIBED"
    assert marketing["can_receive_email_marketing"] is False
    assert [s["reason"] for s in marketing["suppression"]] == ["USER_SUPPRESSED"]
    assert marketing["list_suppressions"] == []
    sms = attributes["subscriptions"]["sms"]["marketing"]
    assert sms == {
        "can_receive_sms_marketing": False,
        "consent": "NEVER_SUBSCRIBED",
        "consent_timestamp": None,
        "last_updated": None,
    }


def test_get_profiles_pages_with_a_cursor(api: Api, server: LocalKlaviyo) -> None:
    made = [server.store.add_profile(email=f"p{i}@example.com") for i in range(45)]
    seen: list[str] = []
    response = api.get("/api/profiles")
    pages = 1
    while True:
        assert response.status_code == 200
        body = response.json()
        seen.extend(p["id"] for p in body["data"])
        following = body["links"].get("next")
        if following is None:
            break
        assert "page%5Bcursor%5D=" in following
        assert following.startswith(server.base_url + "/api/profiles?")
        response = api.session.get(
            following,
            headers={
                "Authorization": f"Klaviyo-API-Key {server.private_key}",
                "revision": REVISION,
            },
        )
        pages += 1
    assert (pages, seen) == (3, made)
    big = api.get("/api/profiles", params={"page[size]": "100"})
    assert len(big.json()["data"]) == 45
    assert "next" not in big.json()["links"]
    assert api.get("/api/profiles", params={"page[size]": "101"}).status_code == 400
    assert api.get("/api/profiles", params={"page[cursor]": "garbage"}).status_code == 400


def test_create_client_profile(api: Api, server: LocalKlaviyo) -> None:
    ann = server.store.add_profile(email="ann@example.com", external_id="X1")
    body = profile_data(external_id="X1", email="other@example.com", first_name="Ann")
    assert api.post("/client/profiles", body).status_code == 202
    profile = server.store.profile(ann)
    assert profile is not None
    assert (profile.email, profile.attributes["first_name"]) == ("ann@example.com", "Ann")
    assert api.post("/client/profiles", profile_data(email="new@example.com")).status_code == 202
    assert server.store.profile_by_email("new@example.com") is not None


def test_bulk_import_profiles_upserts_and_adds_to_lists(api: Api, server: LocalKlaviyo) -> None:
    list_id = server.store.create_list("Imported")
    server.store.add_profile(email="ann@example.com", first_name="Old")
    body: dict[str, Any] = {
        "data": {
            "type": "profile-bulk-import-job",
            "attributes": {
                "profiles": {
                    "data": [
                        {
                            "type": "profile",
                            "attributes": {"email": "ann@example.com", "first_name": "Ann"},
                        },
                        {"type": "profile", "attributes": {"email": "bob@example.com"}},
                    ]
                }
            },
            "relationships": {"lists": {"data": [{"type": "list", "id": list_id}]}},
        }
    }
    response = api.post("/api/profile-bulk-import-jobs", body)
    assert response.status_code == 202
    job = response.json()["data"]
    assert job["type"] == "profile-bulk-import-job"
    assert {
        k: job["attributes"][k]
        for k in ("status", "total_count", "completed_count", "failed_count")
    } == {
        "status": "complete",
        "total_count": 2,
        "completed_count": 2,
        "failed_count": 0,
    }
    assert job["attributes"]["created_at"] and job["attributes"]["completed_at"]
    ann = server.store.profile_by_email("ann@example.com")
    assert ann is not None
    assert ann.attributes["first_name"] == "Ann"
    assert len(server.store.list_members(list_id)) == 2
    fetched = api.get(f"/api/profile-bulk-import-jobs/{job['id']}")
    assert fetched.status_code == 200
    assert fetched.json()["data"]["attributes"] == job["attributes"]
    assert api.get("/api/profile-bulk-import-jobs/01UNKNOWN").status_code == 404
    body["data"]["relationships"]["lists"]["data"][0]["id"] = "NoSuch"
    assert api.post("/api/profile-bulk-import-jobs", body).status_code == 404


# --- consent --------------------------------------------------------------------------------


def test_subscribe_to_a_single_opt_in_list(api: Api, server: LocalKlaviyo) -> None:
    list_id = server.store.create_list("Newsletter")
    server.store.add_profile(email="ann@example.com")
    server.store.add_suppression("ann@example.com", "UNSUBSCRIBE")
    server.store.add_suppression("ann@example.com", "HARD_BOUNCE")
    body = consent_job(
        "create",
        [
            {"email": "ann@example.com", "subscriptions": {"email": SUBSCRIBED}},
            {
                "email": "bob@example.com",
                "phone_number": "+15005550006",
                "subscriptions": {"email": SUBSCRIBED, "sms": SUBSCRIBED},
            },
        ],
        list_id,
    )
    response = api.post("/api/profile-subscription-bulk-create-jobs", body)
    assert response.status_code == 202
    assert response.content == b""
    ann = server.store.profile_by_email("ann@example.com")
    bob = server.store.profile_by_email("bob@example.com")
    assert ann is not None and bob is not None
    assert server.store.list_members(list_id) == [ann.id, bob.id]
    assert ann.email_consent == "SUBSCRIBED"
    # UNSUBSCRIBE is lifted by a subscribe; a hard bounce is not (spec description).
    assert [s.reason for s in ann.suppressions] == ["HARD_BOUNCE"]
    assert (bob.email_consent, bob.sms_consent) == ("SUBSCRIBED", "SUBSCRIBED")


def test_subscribe_to_a_double_opt_in_list_waits_for_confirmation(
    api: Api, server: LocalKlaviyo
) -> None:
    list_id = server.store.create_list("Double", opt_in_process="double_opt_in")
    body = consent_job(
        "create", [{"email": "ann@example.com", "subscriptions": {"email": SUBSCRIBED}}], list_id
    )
    assert api.post("/api/profile-subscription-bulk-create-jobs", body).status_code == 202
    ann = server.store.profile_by_email("ann@example.com")
    assert ann is not None
    assert server.store.list_members(list_id) == []
    assert server.store.pending_double_opt_in(list_id) == [ann.id]
    assert ann.email_consent == "NEVER_SUBSCRIBED"
    server.store.confirm_double_opt_in(list_id, "ann@example.com")
    confirmed = server.store.profile_by_email("ann@example.com")
    assert confirmed is not None
    assert confirmed.email_consent == "SUBSCRIBED"
    assert server.store.list_members(list_id) == [ann.id]
    with pytest.raises(KeyError):
        server.store.confirm_double_opt_in(list_id, "ann@example.com")
    historical = consent_job(
        "create",
        [{"email": "bob@example.com", "subscriptions": {"email": SUBSCRIBED}}],
        list_id,
        historical_import=True,
    )
    assert api.post("/api/profile-subscription-bulk-create-jobs", historical).status_code == 202
    assert len(server.store.list_members(list_id)) == 2


def test_subscribe_refuses_bad_jobs(api: Api, server: LocalKlaviyo) -> None:
    list_id = server.store.create_list("Newsletter")
    path = "/api/profile-subscription-bulk-create-jobs"
    too_many = [
        {"email": f"p{i}@example.com", "subscriptions": {"email": SUBSCRIBED}} for i in range(1001)
    ]
    capped = api.post(path, consent_job("create", too_many, list_id))
    assert capped.status_code == 400
    assert error_of(capped)["source"] == {"pointer": "/data/attributes/profiles/data"}
    one = [{"email": "ann@example.com", "subscriptions": {"email": SUBSCRIBED}}]
    assert api.post(path, consent_job("create", one, "NoSuch")).status_code == 404
    wrong = [{"email": "ann@example.com", "subscriptions": {"email": UNSUBSCRIBED}}]
    assert api.post(path, consent_job("create", wrong, list_id)).status_code == 400
    sms_without_phone = [{"email": "ann@example.com", "subscriptions": {"sms": SUBSCRIBED}}]
    assert api.post(path, consent_job("create", sms_without_phone, list_id)).status_code == 400
    assert server.store.profiles == {}


def test_unsubscribe_a_member_only_leaves_the_list(api: Api, server: LocalKlaviyo) -> None:
    list_id = server.store.create_list("Newsletter")
    ann = server.store.add_profile(email="ann@example.com")
    server.store.add_member(list_id, ann)
    body = consent_job(
        "delete", [{"email": "ann@example.com", "subscriptions": {"email": UNSUBSCRIBED}}], list_id
    )
    assert api.post("/api/profile-subscription-bulk-delete-jobs", body).status_code == 202
    assert server.store.list_members(list_id) == []
    profile = server.store.profile(ann)
    assert profile is not None
    assert profile.email_consent == "NEVER_SUBSCRIBED"
    assert profile.global_suppressions == []
    assert [(s.reason, s.list_id) for s in profile.suppressions] == [("UNSUBSCRIBE", list_id)]


def test_unsubscribe_of_a_non_member_is_global(api: Api, server: LocalKlaviyo) -> None:
    list_id = server.store.create_list("Newsletter")
    other = server.store.create_list("Other")
    bob = server.store.add_profile(email="bob@example.com", phone_number="+15005550006")
    server.store.add_member(other, bob)
    body = consent_job(
        "delete",
        [
            {
                "email": "bob@example.com",
                "phone_number": "+15005550006",
                "subscriptions": {"email": UNSUBSCRIBED, "sms": UNSUBSCRIBED},
            }
        ],
        list_id,
    )
    assert api.post("/api/profile-subscription-bulk-delete-jobs", body).status_code == 202
    profile = server.store.profile(bob)
    assert profile is not None
    # Klaviyo's trap: not on the given list, so unsubscribed from ALL email marketing.
    assert (profile.email_consent, profile.sms_consent) == ("UNSUBSCRIBED", "UNSUBSCRIBED")
    assert [s.reason for s in server.store.suppressions("bob@example.com")] == ["UNSUBSCRIBE"]
    assert server.store.suppressions("bob@example.com")[0].list_id is None
    assert server.store.list_members(other) == [bob]  # membership elsewhere is untouched
    shown = api.get(
        "/api/profiles",
        params={
            "filter": 'equals(email,"bob@example.com")',
            "additional-fields[profile]": "subscriptions",
        },
    ).json()["data"][0]["attributes"]["subscriptions"]["email"]["marketing"]
    assert shown["consent"] == "UNSUBSCRIBED"
    assert shown["can_receive_email_marketing"] is False


def test_unsubscribe_without_a_list_is_global_and_capped_at_100(
    api: Api, server: LocalKlaviyo
) -> None:
    path = "/api/profile-subscription-bulk-delete-jobs"
    one = [{"email": "ann@example.com", "subscriptions": {"email": UNSUBSCRIBED}}]
    assert api.post(path, consent_job("delete", one)).status_code == 202
    assert [s.reason for s in server.store.suppressions("ann@example.com")] == ["UNSUBSCRIBE"]
    many = [
        {"email": f"p{i}@example.com", "subscriptions": {"email": UNSUBSCRIBED}} for i in range(101)
    ]
    assert api.post(path, consent_job("delete", many)).status_code == 400


def test_bulk_suppress_profiles(api: Api, server: LocalKlaviyo) -> None:
    server.store.add_profile(email="ann@example.com")
    server.store.add_suppression("bob@example.com")
    response = api.post(
        "/api/profile-suppression-bulk-create-jobs",
        suppress_job(["ann@example.com", "bob@example.com", "new@example.com"]),
    )
    assert response.status_code == 202
    job = response.json()["data"]
    assert job["type"] == "profile-suppression-bulk-create-job"
    assert job["attributes"]["status"] == "complete"
    assert (job["attributes"]["total_count"], job["attributes"]["skipped_count"]) == (3, 1)
    for email in ("ann@example.com", "bob@example.com", "new@example.com"):
        assert [s.reason for s in server.store.suppressions(email)] == ["USER_SUPPRESSED"]
    fetched = api.get(f"/api/profile-suppression-bulk-create-jobs/{job['id']}")
    assert fetched.json()["data"]["id"] == job["id"]
    too_many = suppress_job([f"p{i}@example.com" for i in range(101)])
    assert api.post("/api/profile-suppression-bulk-create-jobs", too_many).status_code == 400


# --- lists ----------------------------------------------------------------------------------


def test_list_life_cycle(api: Api, server: LocalKlaviyo) -> None:
    created = api.post("/api/lists", {"data": {"type": "list", "attributes": {"name": "VIP"}}})
    assert created.status_code == 201
    data = created.json()["data"]
    list_id = data["id"]
    assert data["attributes"]["opt_in_process"] == "single_opt_in"
    assert len(list_id) == 6
    only = api.get(f"/api/lists/{list_id}", params={"fields[list]": "opt_in_process"})
    assert only.json()["data"]["attributes"] == {"opt_in_process": "single_opt_in"}
    server.store.add_member(list_id, server.store.add_profile(email="ann@example.com"))
    counted = api.get(f"/api/lists/{list_id}", params={"additional-fields[list]": "profile_count"})
    assert counted.json()["data"]["attributes"]["profile_count"] == 1
    patch = {
        "data": {
            "type": "list",
            "id": list_id,
            "attributes": {"name": "VIPs", "opt_in_process": "double_opt_in"},
        }
    }
    updated = api.call("PATCH", f"/api/lists/{list_id}", json=patch)
    assert updated.status_code == 200
    assert updated.json()["data"]["attributes"]["name"] == "VIPs"
    assert server.store.get_list(list_id).opt_in_process == "double_opt_in"
    deleted = api.call("DELETE", f"/api/lists/{list_id}")
    assert (deleted.status_code, deleted.content) == (204, b"")
    for method in ("GET", "PATCH", "DELETE"):
        assert api.call(method, f"/api/lists/{list_id}", json=patch).status_code == 404
    assert api.get(f"/api/lists/{list_id}/profiles").status_code == 404


def test_create_list_refuses_bad_input(api: Api) -> None:
    assert api.post("/api/lists", {"data": {"type": "list", "attributes": {}}}).status_code == 400
    bad = {"data": {"type": "list", "attributes": {"name": "x", "opt_in_process": "maybe"}}}
    assert api.post("/api/lists", bad).status_code == 400


def test_get_lists_pages_ten_at_most(api: Api, server: LocalKlaviyo) -> None:
    made = [server.store.create_list(f"List {i}") for i in range(25)]
    seen: list[str] = []
    params: dict[str, str] = {}
    while True:
        body = api.get("/api/lists", params=params).json()
        assert len(body["data"]) <= 10
        seen.extend(item["id"] for item in body["data"])
        if "next" not in body["links"]:
            break
        params = {"page[cursor]": body["links"]["next"].split("page%5Bcursor%5D=")[1]}
    assert seen == made
    assert api.get("/api/lists", params={"page[size]": "11"}).status_code == 400
    named = api.get("/api/lists", params={"filter": 'equals(name,"List 3")'}).json()["data"]
    assert [item["id"] for item in named] == [made[3]]


def test_list_members_filters_and_pages(api: Api, server: LocalKlaviyo) -> None:
    list_id = server.store.create_list("Members")
    people = [server.store.add_profile(email=f"p{i}@example.com") for i in range(30)]
    outsider = server.store.add_profile(email="out@example.com")
    body = {"data": [{"type": "profile", "id": p} for p in people]}
    assert api.post(f"/api/lists/{list_id}/relationships/profiles", body).status_code == 204
    first = api.get(f"/api/lists/{list_id}/profiles", params={"page[size]": "25"}).json()
    assert len(first["data"]) == 25
    assert first["data"][0]["attributes"]["joined_group_at"]
    assert "page%5Bcursor%5D=" in first["links"]["next"]
    found = api.get(
        f"/api/lists/{list_id}/profiles",
        params={
            "filter": 'any(email,["p3@example.com","out@example.com"])',
            "fields[profile]": "email",
        },
    ).json()["data"]
    assert [(p["id"], p["attributes"]) for p in found] == [(people[3], {"email": "p3@example.com"})]
    ids = api.get(
        f"/api/lists/{list_id}/relationships/profiles", params={"page[size]": "100"}
    ).json()["data"]
    assert ids == [{"type": "profile", "id": p} for p in people]
    assert outsider not in server.store.list_members(list_id)
    removed = {"data": [{"type": "profile", "id": p} for p in people[:10]]}
    assert (
        api.call("DELETE", f"/api/lists/{list_id}/relationships/profiles", json=removed).status_code
        == 204
    )
    assert server.store.list_members(list_id) == people[10:]


def test_list_membership_writes_refuse_bad_input(api: Api, server: LocalKlaviyo) -> None:
    list_id = server.store.create_list("Members")
    path = f"/api/lists/{list_id}/relationships/profiles"
    too_many = {"data": [{"type": "profile", "id": f"P{i}"} for i in range(1001)]}
    assert api.post(path, too_many).status_code == 400
    unknown = {"data": [{"type": "profile", "id": "01UNKNOWN"}]}
    assert api.post(path, unknown).status_code == 404
    assert api.post("/api/lists/NoSuch/relationships/profiles", unknown).status_code == 404
    assert server.store.list_members(list_id) == []


# --- rate limits --------------------------------------------------------------------------------

THROTTLED = "Request was throttled. Expected available in 1 seconds."
PROFILE_COUNT = {"additional-fields[list]": "profile_count"}  # 1/s, 15/m (new-api.md §6.3)


def test_successes_carry_the_steady_window_headers(fast_api: Api, fast: LocalKlaviyo) -> None:
    first = fast_api.get("/api/lists")
    second = fast_api.get("/api/lists")
    assert first.headers["RateLimit-Limit"] == "750"
    assert (first.headers["RateLimit-Remaining"], second.headers["RateLimit-Remaining"]) == (
        "749",
        "748",
    )
    assert 0 < float(second.headers["RateLimit-Reset"]) <= 60 * FAST
    errors_too = fast_api.get("/api/lists/NoSuch")
    assert errors_too.status_code == 404
    assert "RateLimit-Remaining" in errors_too.headers


def test_burst_exceeded_is_a_429_with_retry_after(fast_api: Api, fast: LocalKlaviyo) -> None:
    list_id = fast.store.create_list("Counted")
    path = f"/api/lists/{list_id}"
    served = 0
    for _ in range(50):  # two calls ~2 ms apart share a 50 ms window; a slow machine retries
        throttled = fast_api.get(path, params=PROFILE_COUNT)
        if throttled.status_code == 429:
            break
        served += 1
    assert throttled.status_code == 429
    error = error_of(throttled)
    assert (error["code"], error["title"], error["detail"]) == (
        "throttled",
        "Request was throttled.",
        THROTTLED,
    )
    wait = float(throttled.headers["Retry-After"])
    assert 0 < wait <= FAST
    assert "." in throttled.headers["Retry-After"]
    assert "RateLimit-Limit" not in throttled.headers
    # The same operation without the costly parameter is metered in its own bucket.
    assert fast_api.get(path).status_code == 200
    time.sleep(wait)
    restored = fast_api.get(path, params=PROFILE_COUNT)
    assert restored.status_code == 200
    # 429s consumed nothing: only the answered calls count against the steady window.
    assert restored.headers["RateLimit-Remaining"] == str(15 - served - 1)


def test_burst_without_retry_after() -> None:
    with LocalKlaviyo(time_scale=FAST, retry_after_header=False) as server:
        client = Api(server)
        try:
            list_id = server.store.create_list("Counted")
            for _ in range(50):
                throttled = client.get(f"/api/lists/{list_id}", params=PROFILE_COUNT)
                if throttled.status_code == 429:
                    break
        finally:
            client.session.close()
    assert throttled.status_code == 429
    assert "Retry-After" not in throttled.headers
    assert error_of(throttled)["detail"] == THROTTLED


def test_a_spec_burst_of_ten_per_second(fast_api: Api) -> None:
    body = {"data": {"type": "list", "attributes": {"name": "L"}}}
    statuses = []
    for _ in range(200):  # stops at the first 429; at ~2 ms a call, 11 fit in one 50 ms window
        statuses.append(fast_api.post("/api/lists", body).status_code)
        if statuses[-1] == 429:
            break
    assert statuses[-1] == 429
    assert statuses.count(201) >= 10


def test_steady_window_exhausted(fast_api: Api, fast: LocalKlaviyo) -> None:
    list_id = fast.store.create_list("Counted")
    path = f"/api/lists/{list_id}"
    served = 0
    while served < 15:
        response = fast_api.get(path, params=PROFILE_COUNT)
        if response.status_code == 429:
            time.sleep(float(response.headers["Retry-After"]))
            continue
        served += 1
    assert response.headers["RateLimit-Remaining"] == "0"
    time.sleep(FAST)  # the burst window is free again; the steady one is not
    throttled = fast_api.get(path, params=PROFILE_COUNT)
    assert throttled.status_code == 429
    assert float(throttled.headers["Retry-After"]) > FAST
    assert error_of(throttled)["detail"] == (
        f"Request was throttled. Expected available in "
        f"{math.ceil(float(throttled.headers['Retry-After']))} seconds."
    )


def test_create_list_daily_cap(fast_api: Api, fast: LocalKlaviyo) -> None:
    body = {"data": {"type": "list", "attributes": {"name": "L"}}}
    created = 0
    while created < 150:
        response = fast_api.post("/api/lists", body)
        if response.status_code == 429:
            time.sleep(float(response.headers["Retry-After"]))
            continue
        assert response.status_code == 201
        created += 1
    capped = fast_api.post("/api/lists", body)
    assert capped.status_code == 429
    assert float(capped.headers["Retry-After"]) > 86000  # the daily window is not scaled
    assert len(fast.store.lists) == 150
    fast.reset_rate_limits()
    assert fast_api.post("/api/lists", body).status_code == 201


def test_rate_limits_can_be_off() -> None:
    with LocalKlaviyo(time_scale=FAST, enforce_rate_limits=False) as server:
        client = Api(server)
        try:
            list_id = server.store.create_list("Counted")
            answers = [client.get(f"/api/lists/{list_id}", params=PROFILE_COUNT) for _ in range(5)]
        finally:
            client.session.close()
    assert [a.status_code for a in answers] == [200] * 5
    assert "RateLimit-Limit" not in answers[0].headers


# --- faults ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "status", "retry_after"),
    [
        ("429", 429, True),
        ("429_no_retry_after", 429, False),
        ("503", 503, False),
        ("500", 500, False),
    ],
)
def test_answering_faults(
    api: Api, server: LocalKlaviyo, kind: str, status: int, retry_after: bool
) -> None:
    server.faults.add(kind, operation="create_event")
    assert api.get("/api/lists").status_code == 200  # another operation: no fault
    faulted = api.post("/api/events", event())
    assert faulted.status_code == status
    assert ("Retry-After" in faulted.headers) is retry_after
    if status == 429:
        assert error_of(faulted)["detail"] == THROTTLED
    else:
        assert error_of(faulted)["status"] == status
    assert server.store.events == []  # not processed
    assert api.post("/api/events", event()).status_code == 202
    assert server.faults.pending() == 0


def test_faults_fire_times_then_disappear(api: Api, server: LocalKlaviyo) -> None:
    server.faults.add("503", times=2, status=504)
    server.faults.add("429")
    assert server.faults.pending() == 3
    assert [api.get("/api/lists").status_code for _ in range(4)] == [504, 504, 429, 200]
    server.faults.add("503", times=5)
    server.faults.clear()
    assert server.faults.pending() == 0
    assert api.get("/api/lists").status_code == 200


def test_fault_arguments_are_checked(server: LocalKlaviyo) -> None:
    with pytest.raises(ValueError, match="unknown fault kind"):
        server.faults.add("teapot")
    with pytest.raises(ValueError, match="no_such_operation"):
        server.faults.add("503", operation="no_such_operation")
    with pytest.raises(ValueError, match="takes no status"):
        server.faults.add("reset", status=500)
    with pytest.raises(ValueError):
        server.faults.add("503", times=0)


def test_reset_drops_the_connection_before_processing(
    api: Api, server: LocalKlaviyo, capfd: pytest.CaptureFixture[str]
) -> None:
    server.faults.add("reset", operation="create_event")
    with pytest.raises(requests.exceptions.ConnectionError):
        api.post("/api/events", event())
    assert server.store.events == []
    assert server.requests[-1].status is None
    assert api.post("/api/events", event()).status_code == 202  # the session recovers
    assert capfd.readouterr() == ("", "")  # quiet


def test_slow_after_store_times_the_client_out_after_the_write(
    api: Api, server: LocalKlaviyo
) -> None:
    server.faults.add("slow_after_store", operation="create_event", delay=1.0)
    with pytest.raises(requests.exceptions.ReadTimeout):
        api.post("/api/events", event(unique_id="once"), timeout=0.2)
    eventually(lambda: server.store.events)
    assert [e.unique_id for e in server.store.events] == ["once"]
    # A retry of the same event is deduplicated: exactly once.
    assert api.post("/api/events", event(unique_id="once")).status_code == 202
    assert len(server.store.events) == 1


def test_reset_after_store_loses_the_answer_not_the_write(api: Api, server: LocalKlaviyo) -> None:
    server.faults.add("reset_after_store", operation="create_or_update_profile")
    with pytest.raises(requests.exceptions.ConnectionError):
        api.post("/api/profile-import", profile_data(email="ann@example.com"))
    assert server.store.profile_by_email("ann@example.com") is not None  # stored, then dropped
    retried = api.post("/api/profile-import", profile_data(email="ann@example.com"))
    assert retried.status_code == 200  # the retry finds the stored profile


def test_a_delayed_fault_does_not_hold_up_stop() -> None:
    server = LocalKlaviyo().start()
    server.faults.add("slow_after_store", delay=30)
    client = Api(server)
    outcome: list[BaseException] = []

    def call() -> None:
        try:
            client.post("/api/events", event(), timeout=10)
        except requests.exceptions.RequestException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=call)
    worker.start()
    eventually(lambda: server.store.events)
    started = time.monotonic()
    server.stop()
    worker.join(5)
    client.session.close()
    assert time.monotonic() - started < 2
    assert not worker.is_alive()
    assert outcome and isinstance(outcome[0], requests.exceptions.ConnectionError)


# --- the library against it ----------------------------------------------------------------


def test_the_library_runs_its_legacy_calls_against_the_local_klaviyo(server: LocalKlaviyo) -> None:
    import klaviyo_legacy_compat as klaviyo

    client = klaviyo.CompatClient(private_key=server.private_key, base_url=server.base_url)
    try:
        person = {"$email": "ann@example.com", "$first_name": "Ann"}
        assert client.track("Placed Order", person, {"$event_id": "o1", "$value": 5}) == 1
        assert client.track("Placed Order", person, {"$event_id": "o1", "$value": 5}) == 1
        assert len(server.store.events) == 1  # a resend is deduplicated by Klaviyo's rule
        server.store.add_profile(phone_number="+15005550007")
        identify = {"$email": "ann@example.com", "$phone_number": "+15005550007", "plan": "gold"}
        assert client.identify(identify) == 1  # 409, then re-sent without the phone number
        list_id = server.store.create_list("News")
        members = client.subscribe_to_list(list_id, [{"email": "ann@example.com"}])
        subscribed = server.store.profile_by_email("ann@example.com")
        assert subscribed is not None
        assert members == [{"id": subscribed.id, "email": "ann@example.com"}]
        report = client.unsubscribe(list_id, emails=["ann@example.com", "zed@example.com"])
        assert (report.unsubscribed, report.skipped) == (("ann@example.com",), ("zed@example.com",))
        assert client.exclude_email("bob@example.com") == {
            "already_excluded": False,
            "num_excluded": 1,
        }
    finally:
        client.close()
    ann = server.store.profile_by_email("ann@example.com")
    assert ann is not None
    assert ann.properties == {"plan": "gold"}
    assert server.store.profile_by_email("zed@example.com") is None  # never globally unsubscribed
    assert "create_or_update_profile" in server.operations()


# --- the server itself ------------------------------------------------------------------------


def test_keep_alive_serves_many_requests_on_one_connection(server: LocalKlaviyo) -> None:
    host, port = server.base_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    headers = {"Authorization": f"Klaviyo-API-Key {server.private_key}", "revision": REVISION}
    try:
        connection.request("GET", "/api/lists", headers=headers)
        first = connection.getresponse()
        first.read()
        sock = connection.sock
        connection.request("DELETE", "/api/lists/NoSuch", headers=headers)
        second = connection.getresponse()
        assert int(second.headers["Content-Length"]) == len(second.read())
        assert (first.status, second.status, connection.sock) == (200, 404, sock)
    finally:
        connection.close()


def test_stop_releases_the_port() -> None:
    with LocalKlaviyo() as first:
        port = int(first.base_url.rsplit(":", 1)[1])
        session = requests.Session()
        try:
            session.get(first.base_url + "/api/lists", headers={"revision": REVISION})
        finally:
            session.close()
    first.stop()  # a second stop is harmless
    with LocalKlaviyo(port=port) as second:
        assert second.base_url == f"http://127.0.0.1:{port}"


def test_concurrent_writes_are_all_stored(server: LocalKlaviyo) -> None:
    def post(i: int) -> None:
        client = Api(server)
        try:
            for j in range(5):
                client.post("/api/events", event(email=f"p{i}@example.com", unique_id=str(j)))
        finally:
            client.session.close()

    workers = [threading.Thread(target=post, args=(i,)) for i in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(server.store.events) == 40
    assert len(server.store.profiles) == 8


def test_store_helpers() -> None:
    with LocalKlaviyo() as server:
        store = server.store
        ann = store.add_profile(email="ann@example.com")
        with pytest.raises(DuplicateProfile):
            store.add_profile(email="ANN@example.com")
        list_id = store.create_list("L", opt_in_process="double_opt_in")
        store.add_member(list_id, ann)
        assert store.list_members(list_id) == [ann]
        assert store.profiles[ann].email == "ann@example.com"
        store.profiles[ann].attributes["email"] = "mutated@example.com"  # a copy
        assert store.profile_by_email("ann@example.com") is not None
        with pytest.raises(KeyError):
            store.list_members("NoSuch")
        store.clear()
        assert (store.profiles, store.events, store.lists) == ({}, [], {})


def test_tables() -> None:
    assert set(FAULT_KINDS) == {
        "429",
        "429_no_retry_after",
        "500",
        "503",
        "reset",
        "slow_after_store",
        "reset_after_store",
    }
    assert {"create_event", "bulk_subscribe_profiles", "get_profiles_for_list"} <= set(ROUTES)
    assert parse_filter("equals(email,'a\\'b'),any(id,[\"x\", 'y'])") == [
        ("equals", "email", "a'b"),
        ("any", "id", ["x", "y"]),
    ]
