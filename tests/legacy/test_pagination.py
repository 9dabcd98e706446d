"""Legacy pagination loops, written the way the legacy READMEs wrote them, over multi-page
collections: each must end and see every record exactly once.

The fake Klaviyo here serves collections in cursor pages (``links.next`` with
``page[cursor]``), the way the new API does (new-api.md §5).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Callable

import klaviyo_legacy_compat as klaviyo
from klaviyo_legacy_compat.sdk import Client
from klaviyo_legacy_compat.testing import RecordingTransport, json_response
from tests.conftest import PRIVATE_KEY, PUBLIC_KEY

Collection = Callable[
    [klaviyo.PreparedRequest], tuple[list[dict[str, Any]], list[dict[str, Any]], int]
]


def paged(
    serve: dict[str, Collection], single: dict[str, Any]
) -> Callable[[klaviyo.PreparedRequest], klaviyo.RawResponse]:
    """A handler: for each operation of ``serve``, (items, included, page size) paged by
    cursor; operations of ``single`` answer one fixed body."""

    def answer(request: klaviyo.PreparedRequest) -> klaviyo.RawResponse:
        if request.operation in single:
            return json_response(200, single[request.operation])
        if request.operation not in serve:
            return json_response(202)
        items, included, size = serve[request.operation](request)
        params = dict(request.params)
        size = int(params.get("page[size]", size))
        start = int(params.get("page[cursor]", "0"))
        page = items[start : start + size]
        links: dict[str, Any] = {"self": request.url}
        if start + size < len(items):
            links["next"] = f"{request.url}?page%5Bcursor%5D={start + size}"
        return json_response(200, {"data": page, "included": included, "links": links})

    return answer


def profiles(count: int) -> list[dict[str, Any]]:
    return [
        {
            "type": "profile",
            "id": f"P{i:04d}",
            "attributes": {"email": f"p{i}@example.com", "phone_number": None},
        }
        for i in range(count)
    ]


def legacy_client(
    handler: Callable[[klaviyo.PreparedRequest], klaviyo.RawResponse],
) -> klaviyo.Klaviyo:
    client = klaviyo.CompatClient(transport=RecordingTransport(handler), max_attempts=1)
    return klaviyo.Klaviyo(public_token=PUBLIC_KEY, private_token=PRIVATE_KEY, client=client)


def test_marker_loop_over_group_members() -> None:
    members = profiles(230)
    client = legacy_client(paged({"get_profiles_for_list": lambda r: (members, [], 100)}, {}))
    records: list[dict[str, Any]] = []
    marker = None
    calls = 0
    while True:  # klaviyo 3.x README: "get_all_members(group_id, marker=marker)"
        response = client.Lists.get_all_members("LIST1", marker=marker)
        records += response.data["records"]
        marker = response.data.get("marker")
        calls += 1
        if not marker:
            break
    assert [r["email"] for r in records] == [f"p{i}@example.com" for i in range(230)]
    assert calls == 3


def _events(count: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    events = [
        {
            "type": "event",
            "id": f"E{i:04d}",
            "attributes": {
                "timestamp": 1714000000 + i,
                "datetime": datetime.fromtimestamp(1714000000 + i, timezone.utc).isoformat(),
                "event_properties": {"n": i},
                "uuid": f"uuid-{i}",
            },
            "relationships": {
                "profile": {"data": {"type": "profile", "id": "P0001"}},
                "metric": {"data": {"type": "metric", "id": "MET1"}},
            },
        }
        for i in range(count)
    ]
    included = [
        {"type": "profile", "id": "P0001", "attributes": {"email": "p1@example.com"}},
        {"type": "metric", "id": "MET1", "attributes": {"name": "Placed Order"}},
    ]
    return events, included


def test_since_next_loop_over_a_timeline() -> None:
    events, included = _events(250)
    client = legacy_client(paged({"get_events": lambda r: (events, included, 100)}, {}))
    seen: list[int] = []
    since = None
    while True:  # README: "since=response.data['next']"
        response = client.Metrics.get_metrics_timeline(since=since, count=100)
        seen += [e["event_properties"]["n"] for e in response.data["data"]]
        since = response.data.get("next")
        if not since:
            break
    assert sorted(seen) == list(range(250)) and len(seen) == 250


def test_page_count_loop_over_metrics_with_a_total() -> None:
    metrics = [
        {
            "type": "metric",
            "id": f"M{i:03d}",
            "attributes": {
                "name": f"Metric {i}",
                "created": "2024-01-01T00:00:00+00:00",
                "updated": "2024-01-01T00:00:00+00:00",
                "integration": None,
            },
        }
        for i in range(430)
    ]
    client = legacy_client(paged({"get_metrics": lambda r: (metrics, [], 200)}, {}))
    names: list[str] = []
    page = 0
    while True:  # the v1 page/count loop: stop when the pages cover ``total``
        response = client.Metrics.get_metrics(page=page, count=50)
        names += [m["name"] for m in response.data["data"]]
        assert response.data["total"] == 430
        if (page + 1) * 50 >= response.data["total"]:
            break
        page += 1
    assert names == [f"Metric {i}" for i in range(430)]


def test_page_count_loop_over_campaigns_with_the_sdk() -> None:
    campaigns = [
        {
            "type": "campaign",
            "id": f"C{i:03d}",
            "attributes": {"name": f"Campaign {i}", "status": "Sent"},
        }
        for i in range(130)
    ]
    transport = RecordingTransport(paged({"get_campaigns": lambda r: (campaigns, [], 100)}, {}))
    sdk = Client(PRIVATE_KEY, client=klaviyo.CompatClient(transport=transport, max_attempts=1))
    ids: list[str] = []
    page = 0
    while True:  # the short-page loop: stop on a page shorter than ``count``
        data = sdk.Campaigns.get_campaigns(page=page, count=25)["data"]
        ids += [c["id"] for c in data]
        if len(data) < 25:
            break
        page += 1
    assert ids == [f"C{i:03d}" for i in range(130)]


def test_offset_loop_over_campaign_recipients() -> None:
    campaign = {
        "data": {
            "type": "campaign",
            "id": "CMP1",
            "attributes": {
                "name": "Spring",
                "status": "Sent",
                "send_time": "2024-04-24T00:00:00+00:00",
            },
            "relationships": {
                "campaign-messages": {"data": [{"type": "campaign-message", "id": "MSG1"}]}
            },
        }
    }
    received = [
        {
            "type": "event",
            "id": f"R{i:04d}",
            "attributes": {
                "timestamp": 1713916800 + i,
                "datetime": "2024-04-24T00:00:00+00:00",
                "event_properties": {"$message": "CMP1" if i % 4 else "OTHER"},
            },
            "relationships": {"profile": {"data": {"type": "profile", "id": f"P{i:04d}"}}},
        }
        for i in range(400)
    ]
    people = profiles(400)
    metrics = [{"type": "metric", "id": "RECV", "attributes": {"name": "Received Email"}}]
    handler = paged(
        {
            "get_metrics": lambda r: (metrics, [], 200),
            "get_events": lambda r: (received, people, 100),
        },
        {"get_campaign": campaign},
    )
    client = legacy_client(handler)
    emails: list[str] = []
    offset: Any = ""
    while True:  # README: "offset=response.data['next_offset']"
        response = client.Campaigns.get_campaign_recipients("CMP1", count=100, offset=offset)
        emails += [r["email"] for r in response.data["data"]]
        offset = response.data.get("next_offset")
        if not offset:
            break
    expected = [f"p{i}@example.com" for i in range(400) if i % 4]
    assert sorted(emails) == sorted(expected) and len(emails) == len(expected)


def test_markers_are_opaque_tokens() -> None:
    members = profiles(150)
    client = legacy_client(paged({"get_profiles_for_list": lambda r: (members, [], 100)}, {}))
    marker = client.Lists.get_all_members("LIST1").data["marker"]
    assert isinstance(marker, str) and marker.startswith("lc.")
    assert PRIVATE_KEY not in marker
