"""``klaviyo-sdk`` 1.0.9 specifics: the generated code's calling conventions, the wrapper's
track/identify data forms, return objects and ``ApiException``."""

from __future__ import annotations

import base64
import json
from multiprocessing.pool import ApplyResult
from typing import Any

import pytest

import klaviyo_legacy_compat as klaviyo
from klaviyo_legacy_compat._wire import parse_legacy_request
from klaviyo_legacy_compat.cli import request_from_json
from klaviyo_legacy_compat.exceptions import TranslationError
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
    assert client.ListsSegments.get_lists_with_http_info() == ([], 200, JSON_HEADERS)
    raw = client.ListsSegments.get_lists(_preload_content=False)
    assert isinstance(raw, RESTResponse) and raw.status == 200 and json.loads(raw.data) == []
    client.ListsSegments.get_lists(_request_timeout=(2, 5))
    assert transport.requests[-1].timeout == (2.0, 5.0)


JSON_HEADERS = {"Content-Type": "application/json"}


@pytest.mark.parametrize("async_req", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize(
    ("method", "extras", "expected"),
    [
        # The generated ApiClient.__call_api built the answer the same way in both paths
        # (legacy-surface.md B.3): data only when _return_http_data_only is truthy, else the
        # (data, status, headers) tuple; the plain method always forced data only.
        ("get_lists_with_http_info", {}, ([], 200, JSON_HEADERS)),
        ("get_lists_with_http_info", {"_return_http_data_only": True}, []),
        ("get_lists_with_http_info", {"_return_http_data_only": False}, ([], 200, JSON_HEADERS)),
        ("get_lists", {}, []),
        ("get_lists", {"_return_http_data_only": False}, []),
    ],
)
def test_with_http_info_answers_as_the_generated_code_did(
    method: str, extras: dict[str, Any], expected: Any, async_req: bool
) -> None:
    client, transport = sdk()
    call = getattr(client.ListsSegments, method)
    if async_req:
        pending = call(async_req=True, **extras)
        assert isinstance(pending, ApplyResult)
        assert pending.get(timeout=10) == expected
    else:
        assert call(**extras) == expected
    assert transport.operations() == ["get_lists"]


@pytest.mark.parametrize("async_req", [False, True], ids=["sync", "async"])
def test_with_http_info_without_preloading_gives_the_raw_response(async_req: bool) -> None:
    client, _ = sdk()
    answer = client.ListsSegments.get_lists_with_http_info(
        _preload_content=False, async_req=async_req
    )
    raw, status, headers = answer.get(timeout=10) if async_req else answer
    assert isinstance(raw, RESTResponse) and json.loads(raw.data) == []
    assert (status, headers) == (200, JSON_HEADERS)
    data_only = client.ListsSegments.get_lists_with_http_info(
        _preload_content=False, _return_http_data_only=True
    )
    assert isinstance(data_only, RESTResponse)


LIST_URL = "https://a.klaviyo.com/api/v2/list/L1/subscribe"
EXCLUDE_URL = "https://a.klaviyo.com/api/v1/people/exclusions"


@pytest.mark.parametrize(
    ("call", "legacy_request"),
    [
        (
            lambda c: c.ListsSegments.subscribe("L1", body={}),
            {"method": "POST", "url": LIST_URL, "json": {}},
        ),
        (  # no body: the generated code still sent {} (legacy-surface.md B.4)
            lambda c: c.ListsSegments.subscribe("L1"),
            {"method": "POST", "url": LIST_URL, "json": {}},
        ),
        (
            lambda c: c.ListsSegments.subscribe("L1", body={"profile": [{"email": "a@x.com"}]}),
            {"method": "POST", "url": LIST_URL, "json": {"profile": [{"email": "a@x.com"}]}},
        ),
        (
            lambda c: c.ListsSegments.subscribe("L1", body={}, async_req=True).get(timeout=10),
            {"method": "POST", "url": LIST_URL, "json": {}},
        ),
        (
            lambda c: c.ListsSegments.unsubscribe("L1", body={}),
            {"method": "DELETE", "url": LIST_URL, "json": {}},
        ),
        (
            lambda c: c.ListsSegments.exclude_globally(),
            {"method": "POST", "url": EXCLUDE_URL, "form": {}},
        ),
        (
            lambda c: c.ListsSegments.exclude_globally(email=""),
            {"method": "POST", "url": EXCLUDE_URL, "form": {"email": ""}},
        ),
    ],
    ids=["empty_body", "no_body", "misspelt", "async", "unsubscribe", "exclude", "exclude_blank"],
)
def test_a_missing_required_field_raises_the_raw_paths_error_before_sending(
    call: Any, legacy_request: dict[str, Any]
) -> None:
    # The legacy SDK sent these and the server answered 400; the raw-HTTP path names the
    # missing field, and so must we, instead of reporting success having done nothing.
    raw_transport = RecordingTransport()
    compat = klaviyo.CompatClient(transport=raw_transport, private_key=PRIVATE_KEY)
    with pytest.raises(TranslationError) as raw:
        compat.invoke(parse_legacy_request(request_from_json(legacy_request)))
    client, transport = sdk()
    with pytest.raises(TranslationError) as ours:
        call(client)
    assert (ours.value.field, str(ours.value)) == (raw.value.field, str(raw.value))
    assert transport.count == 0 == raw_transport.count


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
