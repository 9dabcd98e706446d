"""Legacy v1 email templates → the templates API: fixtures/translate/templates.json, one row
per quirk, and the legacy page loop run the legacy way against a scripted Klaviyo."""

from __future__ import annotations

from typing import Any

import pytest

from klaviyo_legacy_compat import CompatClient, PreparedRequest, RawResponse, exceptions
from klaviyo_legacy_compat._core.translate.templates import TEMPLATE_MAX_PAGES, TemplatesCall
from klaviyo_legacy_compat._core.wire import call_for
from klaviyo_legacy_compat.testing import RecordingTransport, json_response
from tests import cases
from tests.conftest import NOW, PRIVATE_KEY


@pytest.mark.parametrize("row", cases.load("templates"))
def test_templates(row: dict[str, Any]) -> None:
    cases.check(row)


TEMPLATES = [
    {"type": "template", "id": f"T{i:02}", "attributes": {"name": f"Template {i:02}", "html": "x"}}
    for i in range(23)
]


def _pages(request: PreparedRequest) -> RawResponse:
    start = int(dict(request.params).get("page[cursor]") or 0)
    following = start + 10
    link = (
        f"https://a.klaviyo.com/api/templates?page%5Bcursor%5D={following}"
        if following < len(TEMPLATES)
        else None
    )
    return json_response(200, {"data": TEMPLATES[start:following], "links": {"next": link}})


def _client(handler: Any) -> tuple[CompatClient, RecordingTransport]:
    transport = RecordingTransport(handler)
    return CompatClient(transport=transport, private_key=PRIVATE_KEY, clock=lambda: NOW), transport


def test_a_legacy_page_loop_ends_and_sees_each_template_once() -> None:
    client, _ = _client(_pages)
    seen: list[str] = []
    page, count = 0, 5
    while True:
        answer = client.call(call_for("GET", "/v1/email-templates", {"page": page, "count": count}))
        seen.extend(item["id"] for item in answer["data"])
        page += 1
        if page * count >= answer["total"]:
            break
    assert seen == [f"T{i:02}" for i in range(23)]


def test_the_total_is_unknown_past_the_page_limit() -> None:
    def endless(request: PreparedRequest) -> RawResponse:
        cursor = int(dict(request.params).get("page[cursor]") or 0)
        link = f"https://a.klaviyo.com/api/templates?page%5Bcursor%5D={cursor + 1}"
        return json_response(200, {"data": [TEMPLATES[0]], "links": {"next": link}})

    client, transport = _client(endless)
    answer = client.call(TemplatesCall(page=0, count=1))
    assert answer["total"] is None
    assert len(answer["data"]) == 1
    assert transport.count == TEMPLATE_MAX_PAGES


def test_send_template_is_refused_before_anything_is_sent() -> None:
    client, transport = _client(_pages)
    call = call_for("POST", "/v1/email-template/T1/send", {"to": "ann@example.com"})
    with pytest.raises(exceptions.UnsupportedLegacyFeatureError) as caught:
        client.call(call)
    assert transport.count == 0
    assert "flow" in caught.value.instead
