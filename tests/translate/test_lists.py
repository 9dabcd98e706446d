"""Legacy Lists & Segments: fixtures/translate/lists.json, one row per quirk (every endpoint
of the resource: lists, membership, members, exclusions), plus the v1 ``page``/``total`` loop
over lists and segments run against a fake Klaviyo."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from klaviyo_legacy_compat import CompatClient, PreparedRequest, RawResponse
from klaviyo_legacy_compat._core.wire import parse_legacy_request
from klaviyo_legacy_compat.cli import request_from_json
from klaviyo_legacy_compat.testing import json_response
from tests import cases
from tests.translate.fakes import BASE, client_for


@pytest.mark.parametrize("row", cases.load("lists"))
def test_lists(row: dict[str, Any]) -> None:
    cases.check(row)


def _groups(lists: int, segments: int) -> Any:
    """A fake Klaviyo serving ``lists`` lists and ``segments`` segments, 10 a page, oldest
    first: list i was created at minute 2i and segment i at minute 2i + 1, so v1's
    oldest-first listing interleaves them."""

    def answer(request: PreparedRequest) -> RawResponse:
        kind, count, offset = (
            ("list", lists, 0) if request.operation == "get_lists" else ("segment", segments, 1)
        )
        start = int(dict(request.params).get("page[cursor]") or 0)
        data = [
            {
                "type": kind,
                "id": f"{kind}{i}",
                "attributes": {
                    "name": f"{kind} {i}",
                    "created": (EPOCH + timedelta(minutes=2 * i + offset)).isoformat(),
                },
            }
            for i in range(start, min(start + 10, count))
        ]
        links = {"self": f"https://a.klaviyo.com/api/{kind}s"}
        if start + 10 < count:
            links["next"] = f"https://a.klaviyo.com/api/{kind}s?page%5Bcursor%5D={start + 10}"
        return json_response(200, {"data": data, "links": links})

    return answer


EPOCH = datetime(2024, 1, 1, tzinfo=timezone.utc)


def _v1_lists(client: CompatClient, query: str) -> Any:
    url = f"{BASE}/v1/lists?api_key=k&{query}"
    return client.run(parse_legacy_request(request_from_json({"method": "GET", "url": url})))


def test_a_v1_page_loop_over_lists_sees_every_list_and_segment_once() -> None:
    client, transport = client_for(_groups(lists=23, segments=17))
    seen: list[str] = []
    page = 0
    while True:  # the loop data taps wrote: the next page while end < total - 1
        answer = _v1_lists(client, f"page={page}&count=15")
        assert answer["total"] == 40 and answer["page_size"] == 15
        seen.extend(row["id"] for row in answer["data"])
        if answer["end"] >= answer["total"] - 1:
            break
        page += 1
    interleaved = [f"{kind}{i}" for i in range(17) for kind in ("list", "segment")]
    assert seen == interleaved + [f"list{i}" for i in range(17, 23)]
    assert page == 2
    assert transport.count == 3 * (3 + 2)  # every call reads both collections to the end


def test_v1_lists_past_max_pages_say_the_total_is_unknown(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client, transport = client_for(_groups(lists=1000, segments=3))
    with caplog.at_level(logging.WARNING):
        answer = _v1_lists(client, "page=2&count=10")
    assert answer["total"] is None
    # The first 30 of the merge are among the first 30 of each: the page is still exact.
    expected = [f"{kind}{i}" for i in range(3) for kind in ("list", "segment")]
    expected += [f"list{i}" for i in range(3, 27)]
    assert [row["id"] for row in answer["data"]] == expected[20:30]
    assert transport.operations() == ["get_lists"] * 50 + ["get_segments"]
    assert "total is None" in caplog.text
