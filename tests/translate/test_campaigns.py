"""Legacy v1 campaigns → the campaigns API: fixtures/translate/campaigns.json, one row per
quirk, and the legacy pagination loops run the legacy way against a scripted Klaviyo."""

from __future__ import annotations

from typing import Any, Optional

import pytest

from klaviyo_legacy_compat import CompatClient, PreparedRequest, RawResponse
from klaviyo_legacy_compat._translate.campaigns import (
    STATUS_MAP,
    CampaignsCall,
    campaign_object,
)
from klaviyo_legacy_compat._wire import call_for
from klaviyo_legacy_compat.testing import RecordingTransport, json_response
from tests import cases
from tests.conftest import NOW, PRIVATE_KEY


@pytest.mark.parametrize("row", cases.load("campaigns"))
def test_campaigns(row: dict[str, Any]) -> None:
    cases.check(row)


def _client(handler: Any) -> tuple[CompatClient, RecordingTransport]:
    transport = RecordingTransport(handler)
    return CompatClient(transport=transport, private_key=PRIVATE_KEY, clock=lambda: NOW), transport


def _cursor(request: PreparedRequest) -> Optional[str]:
    return dict(request.params).get("page[cursor]")


def _page(items: list[Any], request: PreparedRequest, size: int, path: str) -> RawResponse:
    """Klaviyo's cursor pages over ``items``: the cursor is the offset of the page."""
    start = int(_cursor(request) or 0)
    following = start + size
    link = (
        f"https://a.klaviyo.com{path}?page%5Bcursor%5D={following}"
        if following < len(items)
        else None
    )
    return json_response(200, {"data": items[start:following], "links": {"next": link}})


CAMPAIGNS = [
    {
        "type": "campaign",
        "id": f"C{i}",
        "attributes": {"name": f"Campaign {i}", "status": "Sent"},
    }
    for i in range(7)
]


def test_a_legacy_page_loop_ends_and_sees_each_campaign_once() -> None:
    client, transport = _client(lambda request: _page(CAMPAIGNS, request, 3, "/api/campaigns"))
    seen: list[str] = []
    page, count = 0, 2
    while True:  # the legacy loop: for page in ...: until page * count >= total
        answer = client.call(call_for("GET", "/v1/campaigns", {"page": page, "count": count}))
        seen.extend(item["id"] for item in answer["data"])
        page += 1
        if page * count >= answer["total"]:
            break
    assert seen == [f"C{i}" for i in range(7)]
    assert answer["total"] == 7
    assert {r.operation for r in transport.requests} == {"get_campaigns"}


def test_a_page_past_the_end_is_empty() -> None:
    client, _ = _client(lambda request: _page(CAMPAIGNS, request, 3, "/api/campaigns"))
    answer = client.call(CampaignsCall(page=5, count=2))
    assert answer["data"] == [] and answer["total"] == 7 and answer["start"] == 10


EVENTS = [
    {
        "type": "event",
        "id": f"E{i}",
        "attributes": {"event_properties": {"$message": "C1" if i % 3 else "OTHER"}},
        "relationships": {"profile": {"data": {"type": "profile", "id": f"P{i}"}}},
    }
    for i in range(20)
]


def _klaviyo(request: PreparedRequest) -> RawResponse:
    if request.operation == "get_campaign":
        return json_response(
            200,
            {
                "data": {
                    "type": "campaign",
                    "id": "C1",
                    "attributes": {"status": "Sent", "send_time": "2024-04-03T09:00:00+00:00"},
                }
            },
        )
    if request.operation == "get_metrics":
        metric = {"type": "metric", "id": "RcvE", "attributes": {"name": "Received Email"}}
        return json_response(200, {"data": [metric], "links": {}})
    assert request.operation == "get_events"
    return _page(EVENTS, request, 4, "/api/events")


def test_a_legacy_next_offset_loop_ends_and_sees_each_recipient_once() -> None:
    client, transport = _client(_klaviyo)
    seen: list[str] = []
    offset = ""
    calls = 0
    while True:  # the legacy loop: while next_offset
        params = {"count": 3, "sort": "asc", "offset": offset}
        answer = client.call(call_for("GET", "/v1/campaign/C1/recipients", params))
        seen.extend(item["customer_id"] for item in answer["data"])
        calls += 1
        assert calls < 20
        offset = answer.get("next_offset")
        if not offset:
            break
    wanted = [f"P{i}" for i in range(20) if i % 3]
    assert seen == wanted
    # The lookups happen once, on the first call; later calls read events only.
    assert [r.operation for r in transport.requests[:2]] == ["get_campaign", "get_metrics"]
    assert {r.operation for r in transport.requests[2:]} == {"get_events"}


def test_every_new_status_has_a_legacy_status() -> None:
    legacy = {status for status, _ in STATUS_MAP.values()}
    assert legacy <= {"draft", "scheduled", "sending", "sent", "cancelled", None}
    assert len(STATUS_MAP) == 18  # every status of the spec's enum


def test_a_field_without_a_source_is_left_out() -> None:
    assert campaign_object({"id": "C1", "attributes": {}}, []) == {"object": "campaign", "id": "C1"}
