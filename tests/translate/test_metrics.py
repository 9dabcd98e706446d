"""Legacy v1 metrics, timelines and exports: fixtures/translate/metrics.json, one row per
quirk, plus the legacy timeline loop (``while next: since = next``) over three pages."""

from __future__ import annotations

from typing import Any, Optional
from urllib.parse import urlencode

import pytest

from klaviyo_legacy_compat import CompatClient, PreparedRequest, RawResponse
from klaviyo_legacy_compat._core.translate.metrics import AGGREGATE_DIMENSIONS
from klaviyo_legacy_compat._core.wire import LegacyHTTPRequest, parse_legacy_request
from klaviyo_legacy_compat.testing import RecordingTransport, json_response
from tests import cases
from tests.conftest import PRIVATE_KEY
from tests.spec import SpecValidator


@pytest.mark.parametrize("row", cases.load("metrics"))
def test_metrics(row: dict[str, Any]) -> None:
    cases.check(row)


def _event(number: int) -> dict[str, Any]:
    return {
        "type": "event",
        "id": f"EV{number}",
        "attributes": {
            "timestamp": 1714521600 + number,
            "event_properties": {"n": number},
            "datetime": f"2024-05-01T00:00:{number:02d}+00:00",
            "uuid": f"uuid-{number}",
        },
        "relationships": {
            "profile": {"data": {"type": "profile", "id": "01HANN"}},
            "metric": {"data": {"type": "metric", "id": "M1"}},
        },
    }


#: The three pages Klaviyo answers: cursor → (event numbers, next cursor).
PAGES: dict[Optional[str], tuple[list[int], Optional[str]]] = {
    None: ([1, 2], "C2"),
    "C2": ([3, 4], "C3"),
    "C3": ([5], None),
}


def _answer(request: PreparedRequest) -> RawResponse:
    params = dict(request.params)
    # Every page is the same query: the token carries the since and sort of the first call.
    assert params["filter"] == 'equals(metric_id,"M1"),greater-or-equal(timestamp,1714521600)'
    assert (params["sort"], params["page[size]"]) == ("datetime", "2")
    numbers, following = PAGES[params.get("page[cursor]")]
    links = {"self": "https://a.klaviyo.com/api/events"}
    if following is not None:
        links["next"] = f"https://a.klaviyo.com/api/events?page%5Bcursor%5D={following}"
    included = [
        {"type": "metric", "id": "M1", "attributes": {"name": "Placed Order"}},
        {"type": "profile", "id": "01HANN", "attributes": {"email": "ann@example.com"}},
    ]
    return json_response(
        200, {"data": [_event(n) for n in numbers], "included": included, "links": links}
    )


def _timeline(client: CompatClient, **query: Any) -> Any:
    url = "https://a.klaviyo.com/api/v1/metric/M1/timeline?" + urlencode(
        {**query, "api_key": PRIVATE_KEY}
    )
    return client.run(parse_legacy_request(LegacyHTTPRequest("GET", url)))


@pytest.mark.parametrize("later_sort", ["asc", None], ids=["same_sort", "sort_dropped"])
def test_a_legacy_timeline_loop_ends_and_sees_every_event_once(later_sort: Any) -> None:
    transport = RecordingTransport(_answer)
    client = CompatClient(transport=transport, private_key=PRIVATE_KEY)
    response = _timeline(client, since=1714521600, count=2, sort="asc")
    seen = [event["id"] for event in response["data"]]
    calls = 1
    while response["next"]:
        more = {"sort": later_sort} if later_sort else {}
        response = _timeline(client, since=response["next"], count=2, **more)
        seen += [event["id"] for event in response["data"]]
        calls += 1
        assert calls <= 3, "the loop must end"
    assert seen == ["EV1", "EV2", "EV3", "EV4", "EV5"]
    assert transport.count == 3
    assert response["count"] == 1
    assert response["data"][0]["event_name"] == "Placed Order"
    assert response["data"][0]["person"] == {
        "object": "person",
        "id": "01HANN",
        "$email": "ann@example.com",
    }


def test_the_dimension_table_is_the_specs(spec: SpecValidator) -> None:
    # AGGREGATE_DIMENSIONS is copied from the spec's enum; it must not drift.
    schema = spec.spec["components"]["schemas"]["MetricAggregateQueryResourceObject"]
    enum = schema["properties"]["attributes"]["properties"]["by"]["items"]["enum"]
    assert set(enum) == AGGREGATE_DIMENSIONS
