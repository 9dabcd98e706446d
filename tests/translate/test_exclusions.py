"""Exclusions (``_translate.exclusions``): excluding addresses, fixtures/translate/
exclude_email.json, one row per quirk; the legacy ``while marker:`` loop over a list's
exclusions and the ``page``/``total`` loop over global exclusions, run against fake Klaviyos;
the legacy reasons. (The rows of the two reads are in fixtures/translate/lists.json, run by
test_lists.py.)"""

from __future__ import annotations

import logging
from typing import Any, Optional

import pytest

from klaviyo_legacy_compat import PreparedRequest, RawResponse
from klaviyo_legacy_compat._core.translate.exclusions import LEGACY_REASONS
from klaviyo_legacy_compat._core.wire import parse_legacy_request
from klaviyo_legacy_compat.cli import request_from_json
from klaviyo_legacy_compat.testing import json_response
from tests import cases
from tests.translate.fakes import BASE, FakeGroups, client_for, legacy_get


@pytest.mark.parametrize("row", cases.load("exclude_email"))
def test_exclude_email(row: dict[str, Any]) -> None:
    cases.check(row)


def test_a_legacy_exclusions_loop_ends_and_sees_each_exclusion_once() -> None:
    client, _ = client_for(FakeGroups(lists={"LiSt1": 230}, segments={}))
    seen: list[str] = []
    marker: Optional[str] = None
    for _ in range(10):
        answer = legacy_get(client, f"{BASE}/v2/list/LiSt1/exclusions/all", {"marker": marker})
        seen.extend(record["email"] for record in answer["records"])
        assert {record["reason"] for record in answer["records"]} <= {"unsubscribed"}
        marker = answer.get("marker")
        if marker is None:
            break
    assert seen == [f"LiSt1{i}@example.com" for i in range(230)]
    assert marker is None


def _suppressed(count: int) -> Any:
    def answer(request: PreparedRequest) -> RawResponse:
        start = int(dict(request.params).get("page[cursor]") or 0)
        data = [
            {
                "type": "profile",
                "id": f"X{i}",
                "attributes": {
                    "email": f"x{i}@example.com",
                    "subscriptions": {
                        "email": {
                            "marketing": {
                                "can_receive_email_marketing": False,
                                "consent": "UNSUBSCRIBED",
                                "suppression": [
                                    {"reason": "UNSUBSCRIBE", "timestamp": "2024-01-01T00:00:00Z"}
                                ],
                            }
                        }
                    },
                },
            }
            for i in range(start, min(start + 100, count))
        ]
        links = {"self": "https://a.klaviyo.com/api/profiles"}
        if start + 100 < count:
            links["next"] = f"https://a.klaviyo.com/api/profiles?page%5Bcursor%5D={start + 100}"
        return json_response(200, {"data": data, "links": links})

    return answer


def test_a_legacy_page_loop_over_global_exclusions_sees_each_once() -> None:
    client, _ = client_for(_suppressed(1234))
    seen: list[str] = []
    page = 0
    while True:  # the loop legacy code wrote: pages of `count` until past `total`
        url = f"{BASE}/v1/people/exclusions?api_key=k&count=500&page={page}"
        answer = client.run(parse_legacy_request(request_from_json({"method": "GET", "url": url})))
        assert answer["total"] == 1234
        assert answer["page_size"] == 500 and answer["start"] == page * 500
        seen.extend(row["email"] for row in answer["data"])
        page += 1
        if page * answer["page_size"] >= answer["total"]:
            break
    assert seen == [f"x{i}@example.com" for i in range(1234)]
    assert page == 3


def test_global_exclusions_past_max_pages_say_the_total_is_unknown(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client, transport = client_for(_suppressed(100_000))
    url = f"{BASE}/v1/people/exclusions?api_key=k&count=10&page=2"
    with caplog.at_level(logging.WARNING):
        answer = client.run(parse_legacy_request(request_from_json({"method": "GET", "url": url})))
    assert answer["total"] is None
    assert [row["email"] for row in answer["data"]] == [f"x{i}@example.com" for i in range(20, 30)]
    assert transport.count == 50
    assert "total is unknown" in caplog.text


def test_every_legacy_reason_has_a_distinct_new_one() -> None:
    assert sorted(LEGACY_REASONS) == sorted(
        ["unsubscribed", "bounced", "invalid_email", "reported_spam", "manually_excluded"]
    )
    assert len(set(LEGACY_REASONS.values())) == len(LEGACY_REASONS)
