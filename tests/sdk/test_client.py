"""``klaviyo-sdk`` 1.0.9 specifics: the generated code's calling conventions, the wrapper's
track/identify data forms, return objects and ``ApiException``."""

from __future__ import annotations

import base64
import json
from multiprocessing.pool import ApplyResult
from typing import Any

import pytest

import klaviyo_legacy_compat as klaviyo
from klaviyo_legacy_compat.sdk import ApiException, Client, InlineResponse2001
from klaviyo_legacy_compat.sdk.rest import RESTResponse
from klaviyo_legacy_compat.testing import RecordingTransport, json_response
from tests.conftest import NOW, PRIVATE_KEY, PUBLIC_KEY

TRACK = {"token": PUBLIC_KEY, "event": "Viewed", "customer_properties": {"$email": "a@example.com"}}


def body(request: klaviyo.PreparedRequest) -> Any:
    """The JSON body sent (typed loosely, for indexing)."""
    return request.json


def sdk(handler: object = None, **options: object) -> tuple[Client, RecordingTransport]:
    transport = RecordingTransport(handler)  # type: ignore[arg-type]
    client = klaviyo.CompatClient(transport=transport, clock=lambda: NOW, max_attempts=1)
    return Client(PRIVATE_KEY, client=client, **options), transport  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "data",
    [
        TRACK,
        json.dumps(TRACK),
        json.dumps(TRACK).encode(),
        base64.b64encode(json.dumps(TRACK).encode()),
    ],
    ids=["dict", "json_text", "json_bytes", "base64_bytes"],
)
def test_track_get_accepts_every_data_form(data: object) -> None:
    client, transport = sdk()
    assert client.TrackIdentify.track_get(data) == "1"
    assert transport.operations() == ["create_event"]


def test_undecodable_data_answers_0_and_other_types_raise() -> None:
    client, transport = sdk()
    assert client.TrackIdentify.track_get("{not json") == "0"
    assert client.TrackIdentify.identify_post(data="[1, 2]") == "0"
    with pytest.raises(TypeError, match="data must be a dict, str, or bytes"):
        client.TrackIdentify.track_get(42)
    with pytest.raises(TypeError):
        client.TrackIdentify.track_get(TRACK, async_req=True)
    assert transport.count == 0


def test_generated_method_conventions() -> None:
    client, transport = sdk()
    with pytest.raises(
        TypeError, match="Got an unexpected keyword argument 'colour' to method get_list_info"
    ):
        client.ListsSegments.get_list_info("LIST1", colour="red")
    with pytest.raises(
        ValueError, match="Missing the required parameter `list_id` when calling `get_list_info`"
    ):
        client.ListsSegments.get_list_info(None)
    with pytest.raises(TypeError, match="takes 1 positional argument"):
        client.ListsSegments.get_list_info("LIST1", "extra")
    assert client.ListsSegments.get_list_info(list_id="LIST1") is not None  # keyword works too
    assert transport.operations() == ["get_list"]


def test_async_req_returns_an_apply_result() -> None:
    client, _ = sdk()
    pending = client.ListsSegments.get_lists(async_req=True)
    assert isinstance(pending, ApplyResult)
    assert pending.get(timeout=10) == []


def test_with_http_info_preload_content_and_request_timeout() -> None:
    client, transport = sdk()
    assert client.ListsSegments.get_lists_with_http_info() == ([], 200, {})
    raw = client.ListsSegments.get_lists(_preload_content=False)
    assert isinstance(raw, RESTResponse) and raw.status == 200 and json.loads(raw.data) == []
    client.ListsSegments.get_lists(_request_timeout=(2, 5))
    assert transport.requests[-1].timeout == (2.0, 5.0)


def test_update_profile_stringifies_values_as_the_override_did() -> None:
    def answer(request: klaviyo.PreparedRequest) -> klaviyo.RawResponse:
        return json_response(
            200, {"data": {"type": "profile", "id": "P1", "attributes": {"properties": {}}}}
        )

    client, transport = sdk(answer)
    client.Profiles.update_profile("P1", params={"vip": True, "tags": ["a", "b"]})
    sent = body(transport.requests[0])["data"]["attributes"]["properties"]
    assert sent == {"vip": "True", "tags": "['a', 'b']"}


def test_get_profile_id_returns_an_object_with_id() -> None:
    def answer(request: klaviyo.PreparedRequest) -> klaviyo.RawResponse:
        return json_response(200, {"data": [{"type": "profile", "id": "01ABC"}], "links": {}})

    client, _ = sdk(answer)
    found = client.Profiles.get_profile_id(email="a+b@example.com")
    assert isinstance(found, InlineResponse2001)
    assert found.id == "01ABC" and found.to_dict() == {"id": "01ABC"}
    with pytest.raises(TypeError):
        found["id"]  # type: ignore[index]  # legacy: not subscriptable


def test_api_exception_carries_status_reason_body_headers() -> None:
    def answer(request: klaviyo.PreparedRequest) -> klaviyo.RawResponse:
        return json_response(
            429,
            {
                "errors": [
                    {
                        "code": "throttled",
                        "detail": "Request was throttled. Expected available in 3 seconds.",
                    }
                ]
            },
            (("retry-after", "3"),),
        )

    client, _ = sdk(answer)
    with pytest.raises(ApiException) as caught:
        client.ListsSegments.get_lists()
    error = caught.value
    assert (error.status, error.reason) == (429, "Too Many Requests")
    assert error.headers is not None and error.headers["Retry-After"] == "3"
    body = json.loads(error.body or b"")
    assert body["status"] == 429 and "Expected available in 3 seconds" in body["detail"]
    assert str(error).startswith("(429)\nReason: Too Many Requests\n")


def test_transport_failures_are_status_0() -> None:
    client = Client(PRIVATE_KEY, test_host="http://127.0.0.1:9", retry_budget=0)
    with pytest.raises(ApiException) as caught:
        client.ListsSegments.get_lists()
    assert caught.value.status == 0
    assert PRIVATE_KEY not in str(caught.value)


def test_client_repr_hides_the_key_and_test_host_sets_the_base_url() -> None:
    client = Client(PRIVATE_KEY, test_host="http://localhost:8080/api", dry_run=True)
    assert PRIVATE_KEY not in repr(client)
    plan = client.ListsSegments.get_lists()
    assert plan.to_dict()["requests"][0]["url"] == "http://localhost:8080/api/lists"
