"""Legacy v1 campaigns → the campaigns API: fixtures/translate/campaigns.json, one row per
quirk (recipients' included), and the legacy page loop run the legacy way against a scripted
Klaviyo."""

from __future__ import annotations

from typing import Any

import pytest

from klaviyo_legacy_compat._core.translate.campaigns import CampaignsCall
from klaviyo_legacy_compat._core.wire import call_for
from tests import cases
from tests.translate.fakes import client_for, cursor_page


@pytest.mark.parametrize("row", cases.load("campaigns"))
def test_campaigns(row: dict[str, Any]) -> None:
    cases.check(row)


CAMPAIGNS = [
    {
        "type": "campaign",
        "id": f"C{i}",
        "attributes": {"name": f"Campaign {i}", "status": "Sent"},
    }
    for i in range(7)
]


def test_a_legacy_page_loop_ends_and_sees_each_campaign_once() -> None:
    client, transport = client_for(
        lambda request: cursor_page(CAMPAIGNS, request, 3, "/api/campaigns")
    )
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
    client, _ = client_for(lambda request: cursor_page(CAMPAIGNS, request, 3, "/api/campaigns"))
    answer = client.call(CampaignsCall(page=5, count=2))
    assert answer["data"] == [] and answer["total"] == 7 and answer["start"] == 10
