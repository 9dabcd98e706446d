"""Legacy v1 flows: fixtures/translate/flows.json, one row per quirk, plus the page loops
production code wrote around ``GET /api/v1/flows`` run against a fake Klaviyo."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from klaviyo_legacy_compat import CompatClient, PreparedRequest, RawResponse
from klaviyo_legacy_compat._core.wire import parse_legacy_request
from klaviyo_legacy_compat.cli import request_from_json
from klaviyo_legacy_compat.testing import RecordingTransport, json_response
from tests import cases
from tests.conftest import NOW, PRIVATE_KEY


@pytest.mark.parametrize("row", cases.load("flows"))
def test_flows(row: dict[str, Any]) -> None:
    cases.check(row)


def _flows(count: int) -> Any:
    """A fake Klaviyo serving ``count`` flows, 50 a page; every third one metric-triggered."""

    def answer(request: PreparedRequest) -> RawResponse:
        assert request.operation == "get_flows"
        start = int(dict(request.params).get("page[cursor]") or 0)
        data = [
            {
                "type": "flow",
                "id": f"F{i}",
                "attributes": {
                    "name": f"Flow {i}",
                    "status": "live",
                    "trigger_type": "Metric" if i % 3 == 0 else "Added to List",
                    "created": "2024-01-01T00:00:00+00:00",
                },
            }
            for i in range(start, min(start + 50, count))
        ]
        links = {"self": "https://a.klaviyo.com/api/flows"}
        if start + 50 < count:
            links["next"] = f"https://a.klaviyo.com/api/flows?page%5Bcursor%5D={start + 50}"
        return json_response(200, {"data": data, "links": links})

    return answer


def _client(handler: Any) -> tuple[CompatClient, RecordingTransport]:
    transport = RecordingTransport(handler)
    return CompatClient(transport=transport, private_key=PRIVATE_KEY, clock=lambda: NOW), transport


def _v1_flows(client: CompatClient, query: str) -> Any:
    url = f"https://a.klaviyo.com/api/v1/flows?api_key=k&{query}"
    return client.run(parse_legacy_request(request_from_json({"method": "GET", "url": url})))


def test_the_v1_loop_learns_the_total_then_sees_every_flow_once() -> None:
    client, transport = _client(_flows(230))
    total = _v1_flows(client, "count=1")["total"]  # as callers asked it
    assert total == 230
    seen: list[str] = []
    metric_triggered = 0
    for page in range(-(-total // 100)):
        answer = _v1_flows(client, f"page={page}&count=100")
        for flow in answer["data"]:
            seen.append(flow["id"])
            metric_triggered += flow["trigger"]["type"] == "Metric"
    assert seen == [f"F{i}" for i in range(230)]
    assert metric_triggered == 77
    assert transport.count == 4 * 5  # each call reads the 5 cursor pages


def test_flows_past_max_pages_say_the_total_is_unknown(caplog: pytest.LogCaptureFixture) -> None:
    client, transport = _client(_flows(3000))
    with caplog.at_level(logging.WARNING):
        answer = _v1_flows(client, "page=1&count=10")
    assert answer["total"] is None
    assert [flow["id"] for flow in answer["data"]] == [f"F{i}" for i in range(10, 20)]
    assert transport.count == 50
    assert "total is None" in caplog.text


def test_a_page_beyond_max_pages_is_read_as_far_as_it_lies() -> None:
    client, transport = _client(_flows(3000))
    answer = _v1_flows(client, "page=26&count=100")  # flows 2600-2699: pages 53 and 54
    assert [flow["id"] for flow in answer["data"]] == [f"F{i}" for i in range(2600, 2700)]
    assert answer["total"] is None
    assert transport.count == 54
