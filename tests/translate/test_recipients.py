"""Campaign recipients (``_translate.recipients``): the legacy ``while next_offset:`` loop run
against a scripted Klaviyo. (Its fixture rows are in fixtures/translate/campaigns.json, run by
test_campaigns.py.)"""

from __future__ import annotations

from klaviyo_legacy_compat import PreparedRequest, RawResponse
from klaviyo_legacy_compat._core.wire import call_for
from klaviyo_legacy_compat.testing import json_response
from tests.translate.fakes import client_for, cursor_page

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
    return cursor_page(EVENTS, request, 4, "/api/events")


def test_a_legacy_next_offset_loop_ends_and_sees_each_recipient_once() -> None:
    client, transport = client_for(_klaviyo)
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
