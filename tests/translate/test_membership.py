"""List and segment membership (``_translate.membership``): the legacy ``while marker:``
loop over a group's members run against a fake Klaviyo, markers checked before anything is
sent, and removal reporting the identifiers not on the list. (Its fixture rows are in
fixtures/translate/lists.json, run by test_lists.py.)"""

from __future__ import annotations

import logging
from typing import Optional

import pytest

from klaviyo_legacy_compat import PreparedRequest, RawResponse, exceptions
from klaviyo_legacy_compat._core.wire import parse_legacy_request
from klaviyo_legacy_compat.cli import request_from_json
from klaviyo_legacy_compat.testing import json_response
from tests.translate.fakes import BASE, FakeGroups, client_for, legacy_get


@pytest.mark.parametrize(
    ("group", "count", "per_call"),
    [("LiSt1", 250, [1, 1, 1]), ("SeG1", 120, [2, 1]), ("LiSt0", 0, [1])],
    ids=["list_three_pages", "segment_after_404", "empty_list"],
)
def test_a_legacy_marker_loop_ends_and_sees_each_member_once(
    group: str, count: int, per_call: list[int]
) -> None:
    fake = FakeGroups(lists={"LiSt1": 250, "LiSt0": 0}, segments={"SeG1": 120})
    client, transport = client_for(fake)
    seen: list[str] = []
    sent: list[int] = []
    marker: Optional[str] = None
    while True:  # the loop legacy code wrote around get_all_members
        before = transport.count
        body = {"marker": marker} if marker else {}
        answer = legacy_get(client, f"{BASE}/v2/group/{group}/members/all", body)
        sent.append(transport.count - before)
        seen.extend(record["id"] for record in answer["records"])
        marker = answer.get("marker")
        if not marker:
            break
        assert len(sent) < 10, "the loop does not end"
    assert seen == [f"{group}-{i}" for i in range(count)]
    assert sent == per_call  # the segment fallback costs one 404, on the first call only
    if group.startswith("SeG"):
        assert transport.operations()[2:] == ["get_profiles_for_segment"]


def test_a_marker_edited_by_hand_is_refused_before_anything_is_sent() -> None:
    client, transport = client_for(FakeGroups(lists={"LiSt1": 250}, segments={}))
    answer = legacy_get(client, f"{BASE}/v2/group/LiSt1/members/all", {})
    sent = transport.count
    with pytest.raises(exceptions.TranslationError) as caught:
        legacy_get(client, f"{BASE}/v2/group/LiSt1/members/all", {"marker": answer["marker"][:-3]})
    assert caught.value.field == "marker"
    with pytest.raises(exceptions.TranslationError, match="another list or segment"):
        legacy_get(client, f"{BASE}/v2/group/LiSt2/members/all", {"marker": answer["marker"]})
    assert transport.count == sent


def test_remove_members_warns_about_identifiers_not_on_the_list(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def answer(request: PreparedRequest) -> RawResponse:
        if request.method == "GET":
            profile = {"type": "profile", "id": "P1", "attributes": {"email": "ANN@example.com"}}
            return json_response(200, {"data": [profile], "links": {}})
        return RawResponse(204)

    client, transport = client_for(answer)
    with caplog.at_level(logging.WARNING):
        result = client.run(
            parse_legacy_request(
                request_from_json(
                    {
                        "method": "DELETE",
                        "url": f"{BASE}/v2/list/LiSt1/members",
                        "json": {"api_key": "k", "emails": ["ann@example.com", "gone@example.com"]},
                    }
                )
            )
        )
    assert result == ""
    assert transport.operations() == ["get_profiles_for_list", "remove_profiles_from_list"]
    assert "gone@example.com" in caplog.text and "ann@example.com" not in caplog.text
