"""LocalKlaviyo's metrics, events and metric aggregates: request → answer tables (answers
checked against the spec's response schemas), the 400s of invalid requests, and the legacy
metric calls run live through the library against what the store holds."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest

from klaviyo_legacy_compat.legacy.metrics import Metrics
from klaviyo_legacy_compat.sdk import Client
from klaviyo_legacy_compat.testing import LocalKlaviyo
from tests.spec import SpecValidator
from tests.testing.jsonapi import Api

# ann: Placed Order on Apr 10 (10, $flow F1), Apr 13 (13, F2), Apr 22 23:30 UTC (22, F1);
# bob: Placed Order on Apr 19 (19, F1), Viewed on May 2. 2024-04-10 is a Wednesday.
EVENTS: list[tuple[str, str, str, float, dict[str, Any]]] = [
    ("ann@example.com", "Placed Order", "2024-04-10T12:00:00+00:00", 10, {"$flow": "F1"}),
    ("ann@example.com", "Placed Order", "2024-04-13T12:00:00+00:00", 13, {"$flow": "F2"}),
    ("bob@example.com", "Placed Order", "2024-04-19T12:00:00+00:00", 19, {"$flow": "F1"}),
    ("ann@example.com", "Placed Order", "2024-04-22T23:30:00+00:00", 22, {"$flow": "F1"}),
    ("bob@example.com", "Viewed", "2024-05-02T08:00:00+00:00", 0, {"Item": "Book"}),
]


def event_body(email: str, metric: str, time: str, value: float, properties: Any) -> Any:
    attributes: dict[str, Any] = {
        "properties": properties,
        "time": time,
        "metric": {"data": {"type": "metric", "attributes": {"name": metric}}},
        "profile": {"data": {"type": "profile", "attributes": {"email": email}}},
    }
    if value:
        attributes["value"] = value
    return {"data": {"type": "event", "attributes": attributes}}


@pytest.fixture(scope="module")
def server() -> Iterator[LocalKlaviyo]:
    with LocalKlaviyo(enforce_rate_limits=False) as running:
        yield running


@pytest.fixture(scope="module")
def api(server: LocalKlaviyo, spec: SpecValidator) -> Iterator[Api]:
    client = Api(server, spec)
    for row in EVENTS:
        assert client.post("/api/events", event_body(*row)).status == 202
    yield client
    client.close()


def metric_id(server: LocalKlaviyo, name: str) -> str:
    (found,) = [m.id for m in server.store.metrics if m.name == name]
    return found


# --- metrics ----------------------------------------------------------------------------------


def test_an_event_makes_its_metric_by_name_once(api: Api, server: LocalKlaviyo) -> None:
    assert [m.name for m in server.store.metrics] == ["Placed Order", "Viewed"]
    answer = api.get("/api/metrics")
    assert [(m["id"], m["attributes"]["name"]) for m in answer.data] == [
        (metric_id(server, "Placed Order"), "Placed Order"),
        (metric_id(server, "Viewed"), "Viewed"),
    ]
    integration = answer.data[0]["attributes"]["integration"]
    assert (integration["name"], integration["category"]) == ("API", "API")
    assert "next" not in answer.body["links"]


@pytest.mark.parametrize(
    ("params", "names"),
    [
        ({"filter": "equals(integration.name,'API')"}, ["Placed Order", "Viewed"]),
        ({"filter": 'equals(integration.name,"Shopify")'}, []),
        ({"filter": "equals(integration.category,'API')"}, ["Placed Order", "Viewed"]),
        ({"fields[metric]": "name"}, ["Placed Order", "Viewed"]),
    ],
)
def test_get_metrics_rows(api: Api, params: dict[str, str], names: list[str]) -> None:
    answer = api.get("/api/metrics", **params)
    assert [m["attributes"]["name"] for m in answer.data] == names
    if "fields[metric]" in params:
        assert all(set(m["attributes"]) == {"name"} for m in answer.data)


def test_get_metric_and_its_404(api: Api, server: LocalKlaviyo) -> None:
    found = api.get(f"/api/metrics/{metric_id(server, 'Viewed')}")
    assert found.data["attributes"]["name"] == "Viewed"
    missing = api.get("/api/metrics/NoSuch")
    assert (missing.status, missing.error["code"]) == (404, "not_found")


def test_a_recorded_metric_of_another_integration_is_its_own(server: LocalKlaviyo) -> None:
    with LocalKlaviyo() as other:
        own = other.store.add_metric("Received Email", "Klaviyo", "Internal")
        api_made = other.store.add_metric("Received Email")
        assert own != api_made and other.store.add_metric("Received Email", "Klaviyo") == own


# --- events -----------------------------------------------------------------------------------


def times(answer: Any) -> list[str]:
    return [e["attributes"]["datetime"][:10] for e in answer.data]


@pytest.mark.parametrize(
    ("params", "days"),
    [
        ({}, ["2024-04-10", "2024-04-13", "2024-04-19", "2024-04-22", "2024-05-02"]),
        (
            {"sort": "-datetime"},
            ["2024-05-02", "2024-04-22", "2024-04-19", "2024-04-13", "2024-04-10"],
        ),
        (
            {"sort": "timestamp", "filter": "greater-than(datetime,2024-04-15T00:00:00Z)"},
            ["2024-04-19", "2024-04-22", "2024-05-02"],
        ),
        ({"filter": "less-or-equal(timestamp,1713009600)"}, ["2024-04-10", "2024-04-13"]),
        (
            {"filter": "greater-or-equal(timestamp,1713009600),less-than(timestamp,1713528000)"},
            ["2024-04-13"],
        ),
        ({"filter": "has(profile),has(metric),less-than(datetime,2024-04-11)"}, ["2024-04-10"]),
    ],
)
def test_get_events_filters_and_sorts(api: Api, params: dict[str, str], days: list[str]) -> None:
    assert times(api.get("/api/events", **params)) == days


def test_get_events_by_metric_and_profile(api: Api, server: LocalKlaviyo) -> None:
    placed = metric_id(server, "Placed Order")
    bob = server.store.profile_by_email("bob@example.com")
    assert bob is not None
    by_metric = api.get("/api/events", filter=f'equals(metric_id,"{placed}")')
    assert times(by_metric) == ["2024-04-10", "2024-04-13", "2024-04-19", "2024-04-22"]
    listed = api.get("/api/events", filter=f'equals(metric_id,["{placed}","nope"])')
    assert len(listed.data) == 4
    both = api.get(
        "/api/events", filter=f'equals(metric_id,"{placed}"),equals(profile_id,"{bob.id}")'
    )
    assert times(both) == ["2024-04-19"]
    relationships = both.data[0]["relationships"]
    assert relationships["metric"]["data"] == {"type": "metric", "id": placed}
    assert relationships["profile"]["data"] == {"type": "profile", "id": bob.id}


def test_get_events_includes_fields_and_properties(api: Api, server: LocalKlaviyo) -> None:
    answer = api.get(
        "/api/events",
        include="profile,metric",
        sort="-datetime",
        **{"fields[event]": "datetime,event_properties", "fields[profile]": "email"},
    )
    latest = answer.data[0]
    assert set(latest["attributes"]) == {"datetime", "event_properties"}
    assert latest["attributes"]["event_properties"] == {"Item": "Book"}
    included = {(r["type"], r["id"]): r for r in answer.body["included"]}
    assert {kind for kind, _ in included} == {"metric", "profile"}
    profiles = [r for (kind, _), r in included.items() if kind == "profile"]
    assert sorted(p["attributes"]["email"] for p in profiles) == [
        "ann@example.com",
        "bob@example.com",
    ]
    assert all(set(p["attributes"]) == {"email"} for p in profiles)
    first = api.get("/api/events").data[0]["attributes"]
    # The value sent beside the properties reads back among them, where v1 had it.
    assert first["event_properties"] == {"$flow": "F1", "$value": 10.0}
    assert first["timestamp"] == int(datetime(2024, 4, 10, 12, tzinfo=timezone.utc).timestamp())


def test_get_events_pages(api: Api) -> None:
    first = api.get("/api/events", **{"page[size]": "2"})
    assert times(first) == ["2024-04-10", "2024-04-13"]
    following = api.session.get(
        first.body["links"]["next"],
        headers={
            "revision": "2026-07-15",
            "Authorization": f"Klaviyo-API-Key {api.server.private_key}",
        },
        timeout=10,
    ).json()
    assert [e["attributes"]["datetime"][:10] for e in following["data"]] == [
        "2024-04-19",
        "2024-04-22",
    ]


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"sort": "name"}, "sort"),
        ({"include": "tags"}, "include"),
        ({"filter": 'greater-than(datetime,"2024-04-01")'}, "filter"),
        ({"filter": "greater-than(timestamp,soon)"}, "filter"),
        ({"filter": "equals(email,'ann@example.com')"}, "filter"),
        ({"filter": "any(metric_id,['x'])"}, "filter"),
        ({"filter": "has(profile,'x')"}, "filter"),
        ({"page[size]": "1001"}, "page[size]"),
    ],
)
def test_get_events_refuses_invalid_requests(
    api: Api, params: dict[str, str], parameter: str
) -> None:
    answer = api.get("/api/events", **params)
    assert answer.status == 400
    assert answer.error["source"] == {"parameter": parameter}


# --- metric aggregates ---------------------------------------------------------------------------

APRIL = ["greater-or-equal(datetime,2024-04-01T00:00:00+00:00)", "less-than(datetime,2024-05-01)"]


def aggregate(server: LocalKlaviyo, **attributes: Any) -> Any:
    attributes.setdefault("metric_id", metric_id(server, "Placed Order"))
    attributes.setdefault("measurements", ["count"])
    attributes.setdefault("filter", APRIL)
    return {"data": {"type": "metric-aggregate", "attributes": attributes}}


def series(answer: Any, measurement: str = "count") -> dict[tuple[str, ...], list[float]]:
    return {
        tuple(row["dimensions"]): row["measurements"][measurement]
        for row in answer.data["attributes"]["data"]
    }


def test_aggregates_count_by_week_from_monday(api: Api, server: LocalKlaviyo) -> None:
    answer = api.post("/api/metric-aggregates", aggregate(server, interval="week"))
    assert answer.status == 200
    assert answer.data["attributes"]["dates"] == [
        "2024-04-01T00:00:00+00:00",
        "2024-04-08T00:00:00+00:00",
        "2024-04-15T00:00:00+00:00",
        "2024-04-22T00:00:00+00:00",
        "2024-04-29T00:00:00+00:00",
    ]
    assert series(answer) == {(): [0, 2, 1, 1, 0]}


@pytest.mark.parametrize(
    ("attributes", "measurement", "expected"),
    [
        ({"interval": "month"}, "count", {(): [4]}),
        ({"interval": "month", "measurements": ["unique"]}, "unique", {(): [2]}),
        ({"interval": "month", "measurements": ["sum_value"]}, "sum_value", {(): [64.0]}),
        ({"interval": "month", "by": ["$flow"]}, "count", {("F1",): [3], ("F2",): [1]}),
        (
            {"interval": "month", "by": ["$flow"], "filter": [*APRIL, 'equals($flow,"F2")']},
            "count",
            {("F2",): [1]},
        ),
        (
            {
                "interval": "month",
                "filter": [*APRIL, "any($flow,['F1'])"],
                "measurements": ["unique"],
            },
            "unique",
            {(): [2]},
        ),
        # In New York the 23:30 UTC event of Apr 22 falls on Apr 22 evening, not Apr 23.
        (
            {
                "interval": "day",
                "timezone": "America/New_York",
                "filter": [
                    "greater-or-equal(datetime,2024-04-22T00:00:00)",
                    "less-than(datetime,2024-04-24T00:00:00)",
                ],
            },
            "count",
            {(): [1, 0]},
        ),
        (
            {"interval": "month", "by": ["$flow"], "sort": "-count", "page_size": 1},
            "count",
            {("F1",): [3]},
        ),
        (
            {"interval": "month", "by": ["$flow"], "sort": "-$flow", "page_size": 1},
            "count",
            {("F2",): [1]},
        ),
    ],
)
def test_aggregate_rows(
    api: Api,
    server: LocalKlaviyo,
    attributes: dict[str, Any],
    measurement: str,
    expected: dict[tuple[str, ...], list[float]],
) -> None:
    answer = api.post("/api/metric-aggregates", aggregate(server, **attributes))
    assert answer.status == 200, answer.text
    assert series(answer, measurement) == expected


def test_aggregate_dates_are_the_local_bucket_starts(api: Api, server: LocalKlaviyo) -> None:
    answer = api.post(
        "/api/metric-aggregates",
        aggregate(
            server,
            interval="day",
            timezone="America/New_York",
            filter=[
                "greater-or-equal(datetime,2024-04-22T00:00:00)",
                "less-than(datetime,2024-04-23T00:00:00)",
            ],
        ),
    )
    assert answer.data["attributes"]["dates"] == ["2024-04-22T04:00:00+00:00"]


@pytest.mark.parametrize(
    ("attributes", "pointer"),
    [
        ({"filter": APRIL[:1]}, "/data/attributes/filter"),
        (
            {"filter": ["less-than(datetime,2024-04-01)", "greater-or-equal(datetime,2024-05-01)"]},
            "/data/attributes/filter",
        ),
        ({"filter": [*APRIL, 'equals(Colour,"red")']}, "/data/attributes/filter/2"),
        ({"filter": [*APRIL, "greater-than($flow,1)"]}, "/data/attributes/filter/2"),
        ({"filter": [*APRIL, "equals($flow"]}, "/data/attributes/filter/2"),
        ({"measurements": ["average"]}, "/data/attributes/measurements/0"),
        ({"measurements": []}, "/data/attributes/measurements"),
        ({"interval": "year"}, "/data/attributes/interval"),
        ({"timezone": "Mars/Olympus"}, "/data/attributes/timezone"),
        ({"by": ["Colour"]}, "/data/attributes/by/0"),
        ({"page_size": 0}, "/data/attributes/page_size"),
        ({"page_cursor": "abc"}, "/data/attributes/page_cursor"),
        ({"sort": "Colour"}, "/data/attributes/sort"),
        ({"metric_id": 5}, "/data/attributes/metric_id"),
    ],
)
def test_aggregates_refuse_invalid_queries(
    api: Api, server: LocalKlaviyo, attributes: dict[str, Any], pointer: str
) -> None:
    answer = api.post("/api/metric-aggregates", aggregate(server, **attributes))
    assert answer.status == 400, answer.text
    assert answer.error["source"] == {"pointer": pointer}


def test_aggregates_of_an_unknown_metric_and_unimplemented_fields(
    api: Api, server: LocalKlaviyo
) -> None:
    assert api.post("/api/metric-aggregates", aggregate(server, metric_id="NoSuch")).status == 404
    answer = api.post("/api/metric-aggregates", aggregate(server, return_fields=["count"]))
    assert (answer.status, answer.error["code"]) == (501, "not_implemented")
    wrong_type = api.post("/api/metric-aggregates", {"data": {"type": "metric", "attributes": {}}})
    assert wrong_type.error["source"] == {"pointer": "/data/type"}


# --- the legacy calls, live -----------------------------------------------------------------------


def test_legacy_metrics_calls_read_what_the_store_holds(api: Api, server: LocalKlaviyo) -> None:
    metrics = Metrics(private_token=server.private_key, api_server=server.base_url + "/api")
    listed = metrics.get_metrics(count=1).data
    assert (listed["total"], listed["data"][0]["name"]) == (2, "Placed Order")
    assert listed["data"][0]["id"] == metric_id(server, "Placed Order")
    assert listed["data"][0]["integration"]["name"] == "API"
    placed = metric_id(server, "Placed Order")
    timeline = metrics.get_metric_timeline_by_id(placed, since=1713528000, count=2).data
    # Newest first from since (Apr 19 12:00 UTC) back, two per page, then the rest.
    assert [e["datetime"] for e in timeline["data"]] == [
        "2024-04-19 12:00:00+00:00",
        "2024-04-13 12:00:00+00:00",
    ]
    assert timeline["data"][0]["person"]["$email"] == "bob@example.com"
    assert timeline["data"][0]["event_name"] == "Placed Order"
    assert timeline["data"][0]["statistic_id"] == placed
    rest = metrics.get_metric_timeline_by_id(placed, since=timeline["next"], count=2).data
    assert [e["datetime"] for e in rest["data"]] == ["2024-04-10 12:00:00+00:00"]
    assert rest["next"] is None
    export = metrics.get_metric_export(
        placed, start_date="2024-04-01", end_date="2024-04-30", unit="month", measurement="value"
    ).data
    assert export["results"] == [
        {"segment": "Everyone", "data": [{"date": "2024-04-01 00:00:00", "values": [64.0]}]}
    ]


def test_legacy_sdk_export_by_flow_and_person_timeline(api: Api, server: LocalKlaviyo) -> None:
    client = Client(server.private_key, base_url=server.base_url)
    placed = metric_id(server, "Placed Order")
    export = client.Metrics.metric_export(
        placed, start_date="2024-04-01", end_date="2024-04-30", unit="week", by="$flow"
    )
    assert [(r["segment"], [d["values"][0] for d in r["data"]]) for r in export["results"]] == [
        ("F1", [0, 1, 1, 1, 0]),
        ("F2", [0, 1, 0, 0, 0]),
    ]
    ann = server.store.profile_by_email("ann@example.com")
    assert ann is not None
    timeline = client.Profiles.profile_metrics_timeline(ann.id, since=1714521600, sort="desc")
    assert [e["event_name"] for e in timeline["data"]] == ["Placed Order"] * 3


def test_a_bulk_job_makes_its_metrics_by_name(spec: SpecValidator) -> None:
    with LocalKlaviyo(enforce_rate_limits=False) as fresh:
        client = Api(fresh, spec)
        entry = {
            "type": "event-bulk-create",
            "attributes": {
                "profile": {"data": {"type": "profile", "attributes": {"email": "a@example.com"}}},
                "events": {
                    "data": [
                        {
                            "type": "event",
                            "attributes": {
                                "properties": {},
                                "unique_id": f"u{i}",
                                "metric": {
                                    "data": {"type": "metric", "attributes": {"name": name}}
                                },
                            },
                        }
                        for i, name in enumerate(("Started Checkout", "Viewed", "Viewed"))
                    ]
                },
            },
        }
        body = {
            "data": {
                "type": "event-bulk-create-job",
                "attributes": {"events-bulk-create": {"data": [entry]}},
            }
        }
        assert client.post("/api/event-bulk-create-jobs", body).status == 202
        listed = client.get("/api/metrics")
        client.close()
    assert [m["attributes"]["name"] for m in listed.data] == ["Started Checkout", "Viewed"]
    assert {e.metric_id for e in fresh.store.events} == {m["id"] for m in listed.data}
