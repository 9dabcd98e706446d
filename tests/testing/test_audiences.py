"""LocalKlaviyo's segment members and deletion jobs: request → answer tables (answers checked
against the spec's response schemas), the 400s, and the legacy segment and data-privacy
calls run live (the klaviyo 3.1.7 surface and raw legacy HTTP)."""

from __future__ import annotations

from typing import Any

import pytest
import requests

import klaviyo_legacy_compat
from klaviyo_legacy_compat.legacy.data_privacy import DataPrivacy
from klaviyo_legacy_compat.legacy.lists import Lists
from klaviyo_legacy_compat.legacy_http import mount
from klaviyo_legacy_compat.testing import LocalKlaviyo
from tests.testing.jsonapi import Api


def people(server: LocalKlaviyo) -> dict[str, str]:
    """ann, bob and cy (each with an email; bob with a phone), in that order."""
    store = server.store
    return {
        "ann": store.add_profile(email="ann@example.com", first_name="Ann"),
        "bob": store.add_profile(email="bob@example.com", phone_number="+15005550006"),
        "cy": store.add_profile(email="cy@example.com"),
    }


# --- segment members --------------------------------------------------------------------------


def test_get_profiles_for_segment_rows(api: Api, server: LocalKlaviyo) -> None:
    ids = people(server)
    segment = server.store.create_segment("Engaged", [ids["ann"], ids["bob"]])
    server.store.add_to_segment(segment, [ids["cy"]])
    joined = {p.id: at for p, at in server.store.segment_members(segment)}
    path = f"/api/segments/{segment}/profiles"
    rows: list[tuple[dict[str, str], list[str]]] = [
        ({}, ["ann", "bob", "cy"]),
        ({"filter": "any(email,['bob@example.com','nobody@example.com'])"}, ["bob"]),
        ({"filter": "equals(phone_number,['+15005550006'])"}, ["bob"]),
        ({"filter": f"any(profile_id,['{ids['ann']}','{ids['cy']}'])"}, ["ann", "cy"]),
        ({"filter": f"greater-or-equal(joined_group_at,{joined[ids['cy']]})"}, ["cy"]),
        ({"sort": "-joined_group_at"}, ["cy", "bob", "ann"]),
        ({"page[size]": "2"}, ["ann", "bob"]),
    ]
    names = {v: k for k, v in ids.items()}
    for params, expected in rows:
        answer = api.get(path, **params)
        assert [names[p["id"]] for p in answer.data] == expected, params
    fields = api.get(path, **{"fields[profile]": "email,joined_group_at"})
    assert fields.data[0]["attributes"] == {
        "email": "ann@example.com",
        "joined_group_at": joined[ids["ann"]],
    }


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"filter": "any(push_token,['t'])"}, 501),
        ({"filter": "equals(id,'x')"}, 400),
        ({"filter": "contains(email,'ann')"}, 400),
        ({"sort": "email"}, 400),
        ({"page[size]": "101"}, 400),
    ],
)
def test_get_profiles_for_segment_refuses(
    api: Api, server: LocalKlaviyo, params: dict[str, str], status: int
) -> None:
    segment = server.store.create_segment("S")
    assert api.get(f"/api/segments/{segment}/profiles", **params).status == status


def test_an_unknown_segment_is_a_404(api: Api) -> None:
    assert api.get("/api/segments/NoSuch/profiles").status == 404


def test_legacy_segment_reads_run_live(server: LocalKlaviyo) -> None:
    ids = people(server)
    segment = server.store.create_segment("Engaged", [ids["ann"], ids["bob"]])
    lists = Lists(private_token=server.private_key, api_server=server.base_url + "/api")
    found = lists.get_members_from_segment(segment, ["ann@example.com", "cy@example.com"]).data
    assert [(m["id"], m["email"]) for m in found] == [(ids["ann"], "ann@example.com")]
    session = requests.Session()
    mount(session, klaviyo_legacy_compat.CompatClient(base_url=server.base_url))
    try:
        # Not a list: read as a segment once Klaviyo answers 404 for the list.
        everyone = session.get(
            f"https://a.klaviyo.com/api/v2/group/{segment}/members/all",
            json={"api_key": server.private_key},
        ).json()
    finally:
        session.close()
    assert [r["email"] for r in everyone["records"]] == ["ann@example.com", "bob@example.com"]
    assert [r.operation for r in server.requests[-2:]] == [
        "get_profiles_for_list",
        "get_profiles_for_segment",
    ]


# --- deletion jobs ----------------------------------------------------------------------------


def deletion(**profile: Any) -> Any:
    profile.setdefault("type", "profile")
    profile.setdefault("attributes", {})
    return {
        "data": {
            "type": "data-privacy-deletion-job",
            "attributes": {"profile": {"data": profile}},
        }
    }


@pytest.mark.parametrize(
    ("who", "deleted"),
    [
        ({"attributes": {"email": "BOB@example.com"}}, "bob"),
        ({"attributes": {"phone_number": "+15005550006"}}, "bob"),
        ({"id": "ann"}, "ann"),
        ({"attributes": {"email": "nobody@example.com"}}, None),
    ],
)
def test_request_profile_deletion_rows(
    api: Api, server: LocalKlaviyo, who: dict[str, Any], deleted: Any
) -> None:
    ids = people(server)
    store = server.store
    list_id = store.create_list("News")
    segment = store.create_segment("S", list(ids.values()))
    for profile_id in ids.values():
        store.add_member(list_id, profile_id)
    metric = store.add_metric("Viewed")
    for profile_id in ids.values():
        store.add_event(metric, profile_id, {"n": 1})
    if "id" in who:
        who = {**who, "id": ids[who["id"]]}
    answer = api.post("/api/data-privacy-deletion-jobs", deletion(**who))
    assert (answer.status, answer.body) == (202, None)
    left = {name for name, pid in ids.items() if pid in store.profiles}
    gone = {deleted} if deleted else set()
    assert left == set(ids) - gone
    assert {e.profile_id for e in store.events} == {ids[name] for name in left}
    assert set(store.list_members(list_id)) == {ids[name] for name in left}
    assert {p.id for p, _ in store.segment_members(segment)} == {ids[name] for name in left}
    assert store.deletions[-1].profile_ids == tuple(ids[name] for name in gone)
    if deleted == "bob":  # the identifiers are free again
        assert store.add_profile(email="bob@example.com", phone_number="+15005550006")


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        (deletion(attributes={}), "/data/attributes/profile/data"),
        (
            deletion(attributes={"email": "a@example.com", "phone_number": "+15005550006"}),
            "/data/attributes/profile/data",
        ),
        (deletion(id="x", attributes={"email": "a@example.com"}), "/data/attributes/profile/data"),
        (
            deletion(attributes={"email": "not-an-email"}),
            "/data/attributes/profile/data/attributes/email",
        ),
        (
            deletion(attributes={"external_id": "x"}),
            "/data/attributes/profile/data/attributes/external_id",
        ),
        (deletion(type="list"), "/data/attributes/profile/data/type"),
        (
            {"data": {"type": "data-privacy-deletion-job", "attributes": {}}},
            "/data/attributes/profile",
        ),
    ],
)
def test_request_profile_deletion_refuses(api: Api, body: Any, pointer: str) -> None:
    answer = api.post("/api/data-privacy-deletion-jobs", body)
    assert (answer.status, answer.error["source"]) == (400, {"pointer": pointer}), answer.text


def test_legacy_deletion_requests_run_live(server: LocalKlaviyo) -> None:
    ids = people(server)
    privacy = DataPrivacy(private_token=server.private_key, api_server=server.base_url + "/api")
    answer = privacy.request_profile_deletion("ann@example.com")
    assert answer.data == {"message": "Submitted new deletion task for customer."}
    assert ids["ann"] not in server.store.profiles
    session = requests.Session()
    mount(session, klaviyo_legacy_compat.CompatClient(base_url=server.base_url))
    try:
        raw = session.post(
            "https://a.klaviyo.com/api/v2/data-privacy/deletion-request",
            json={"api_key": server.private_key, "person_id": ids["bob"]},
        )
    finally:
        session.close()
    assert raw.status_code == 200
    assert set(server.store.profiles) == {ids["cy"]}


# --- segments, and the legacy v1 list of lists and flows ---------------------------------------


def test_get_segments_rows(api: Api, server: LocalKlaviyo) -> None:
    store = server.store
    made = [store.create_segment(name) for name in ("Engaged", "Big spenders", "Lapsed")]
    names = {segment: name for segment, name in zip(made, ("Engaged", "Big spenders", "Lapsed"))}
    rows: list[tuple[dict[str, str], list[str]]] = [
        ({}, ["Engaged", "Big spenders", "Lapsed"]),
        ({"sort": "name"}, ["Big spenders", "Engaged", "Lapsed"]),
        ({"sort": "-name"}, ["Lapsed", "Engaged", "Big spenders"]),
        ({"filter": "equals(name,'Lapsed')"}, ["Lapsed"]),
        ({"filter": f"any(id,['{made[0]}','{made[2]}'])"}, ["Engaged", "Lapsed"]),
        ({"page[size]": "2"}, ["Engaged", "Big spenders"]),
    ]
    for params, expected in rows:
        answer = api.get("/api/segments", **params)
        assert [names[s["id"]] for s in answer.data] == expected, params
    sparse = api.get("/api/segments", **{"fields[segment]": "name,created"})
    assert set(sparse.data[0]["attributes"]) == {"name", "created"}
    refused = api.call("GET", "/api/segments", params={"sort": "size"})
    assert refused.status == 400
    assert refused.body["errors"][0]["source"] == {"parameter": "sort"}


def test_legacy_v1_lists_and_flows_run_live(server: LocalKlaviyo) -> None:
    store = server.store
    store.create_list("Newsletter")
    store.create_segment("Engaged")
    store.create_list("VIP")
    for name in ("Welcome", "Abandoned cart", "Winback"):
        store.add_flow(name)
    session = requests.Session()
    mount(session, klaviyo_legacy_compat.CompatClient(base_url=server.base_url))
    key = {"api_key": server.private_key}
    groups = session.get("https://a.klaviyo.com/api/v1/lists", params=key).json()
    # Oldest first (the merge order is pinned by the translator table; here the three may
    # share a second), lists and segments both, each with its v1 list_type.
    assert sorted((g["name"], g["list_type"]) for g in groups["data"]) == [
        ("Engaged", "segment"),
        ("Newsletter", "list"),
        ("VIP", "list"),
    ]
    assert groups["total"] == 3
    only = session.get("https://a.klaviyo.com/api/v1/lists", params={**key, "type": "list"})
    assert [g["name"] for g in only.json()["data"]] == ["Newsletter", "VIP"]
    # The loop production code wrote around v1 pages: count=1 until end reaches total.
    seen, page = [], 0
    while True:
        flows = session.get(
            "https://a.klaviyo.com/api/v1/flows", params={**key, "page": str(page), "count": "1"}
        ).json()
        seen += [flow["name"] for flow in flows["data"]]
        if flows["end"] >= flows["total"] - 1:
            break
        page += 1
    assert sorted(seen) == ["Abandoned cart", "Welcome", "Winback"]
    session.close()
