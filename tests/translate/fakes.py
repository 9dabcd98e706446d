"""Scripted Klaviyos for the translator tests: a client over a recording transport, cursor
pages over a list of resources, a fake serving list and segment members and list
suppressions, and the way legacy code called the v2 batch reads."""

from __future__ import annotations

from typing import Any, Optional

from klaviyo_legacy_compat import CompatClient, PreparedRequest, RawResponse
from klaviyo_legacy_compat._core.wire import parse_legacy_request
from klaviyo_legacy_compat.cli import request_from_json
from klaviyo_legacy_compat.testing import RecordingTransport, json_response
from tests.conftest import NOW, PRIVATE_KEY

BASE = "https://a.klaviyo.com/api"


class FakeGroups:
    """A fake Klaviyo serving list and segment members (and list suppressions) 100 a page,
    with ``links.next`` cursors; unknown list ids answer 404, as Klaviyo does."""

    def __init__(self, lists: dict[str, int], segments: dict[str, int]) -> None:
        self.lists = lists
        self.segments = segments

    def profiles(self, group: str, count: int, cursor: Optional[str], path: str) -> RawResponse:
        start = int(cursor or 0)
        data = [
            {
                "type": "profile",
                "id": f"{group}-{i}",
                "attributes": {
                    "email": f"{group}{i}@example.com",
                    "phone_number": None,
                    "subscriptions": {
                        "email": {
                            "marketing": {
                                "can_receive_email_marketing": False,
                                "consent": "UNSUBSCRIBED",
                                "list_suppressions": [
                                    {
                                        "list_id": group,
                                        "reason": "UNSUBSCRIBE",
                                        "timestamp": "2024-01-01T00:00:00+00:00",
                                    }
                                ],
                            }
                        }
                    },
                },
            }
            for i in range(start, min(start + 100, count))
        ]
        links = {"self": f"https://a.klaviyo.com{path}"}
        if start + 100 < count:
            links["next"] = f"https://a.klaviyo.com{path}?page%5Bcursor%5D={start + 100}"
        return json_response(200, {"data": data, "links": links})

    def __call__(self, request: PreparedRequest) -> RawResponse:
        params = dict(request.params)
        cursor = params.get("page[cursor]")
        path = "/" + request.url.split("://", 1)[1].split("/", 1)[1]
        parts = path.strip("/").split("/")  # api, lists|segments|profiles, id, profiles
        if request.operation == "get_profiles":  # list exclusions: filtered by list id
            group = params["filter"].split('"')[1]
            return self.profiles(group, self.lists.get(group, 0), cursor, path)
        table = self.lists if parts[1] == "lists" else self.segments
        if parts[2] not in table:
            return json_response(404, {"errors": [{"id": "e", "code": "not_found"}]})
        return self.profiles(parts[2], table[parts[2]], cursor, path)


def client_for(handler: Any) -> tuple[CompatClient, RecordingTransport]:
    transport = RecordingTransport(handler)
    return CompatClient(transport=transport, private_key=PRIVATE_KEY, clock=lambda: NOW), transport


def legacy_get(client: CompatClient, url: str, body: dict[str, Any]) -> Any:
    """One legacy v2 request as klaviyo 3.1.7 sent it: GET with a JSON body and the key."""
    request = request_from_json({"method": "GET", "url": url, "json": {"api_key": "k", **body}})
    return client.run(parse_legacy_request(request))


def cursor_of(request: PreparedRequest) -> Optional[str]:
    return dict(request.params).get("page[cursor]")


def cursor_page(items: list[Any], request: PreparedRequest, size: int, path: str) -> RawResponse:
    """Klaviyo's cursor pages over ``items``: the cursor is the offset of the page."""
    start = int(cursor_of(request) or 0)
    following = start + size
    link = (
        f"https://a.klaviyo.com{path}?page%5Bcursor%5D={following}"
        if following < len(items)
        else None
    )
    return json_response(200, {"data": items[start:following], "links": {"next": link}})
