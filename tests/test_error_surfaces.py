"""An HTTP error reads the same on every surface, the way legacy code read it: the legacy
error body as ``e.message`` and ``e.response`` (with every header of Klaviyo's answer) on
``CompatClient``, the ``klaviyo`` 3.1.7 classes and raw HTTP, and as ``ApiException.body``
and ``.headers`` on ``klaviyo-sdk``; the new API's details stay on the exception."""

from __future__ import annotations

import json
from typing import Any, ClassVar

import pytest
import requests

import klaviyo_legacy_compat as klaviyo
from klaviyo_legacy_compat import exceptions
from klaviyo_legacy_compat._core.errors import error_from_answer, error_from_response
from klaviyo_legacy_compat._core.wire import call_for
from klaviyo_legacy_compat.legacy_http import LegacyResponse, mount
from klaviyo_legacy_compat.sdk import ApiException, Client
from klaviyo_legacy_compat.testing import RecordingTransport, json_response
from tests.conftest import DUPLICATE_PROFILE, PRIVATE_KEY, PUBLIC_KEY

THROTTLED = "Request was throttled. Expected available in 7 seconds."
NEW_API_DETAIL = "Request was throttled. Expected available in 6.2 seconds."

#: What every surface shows for Klaviyo's 429 below.
LEGACY_BODY = {
    "status": 429,
    "message": THROTTLED,
    "detail": THROTTLED,
    "errors": [
        {
            "code": "throttled",
            "title": "Request was throttled.",
            "detail": NEW_API_DETAIL,
            "meta": {},
        }
    ],
}


def _throttled(request: klaviyo.PreparedRequest) -> klaviyo.RawResponse:
    body = {
        "errors": [
            {
                "id": "e1",
                "status": 429,
                "code": "throttled",
                "title": "Request was throttled.",
                "detail": NEW_API_DETAIL,
            }
        ]
    }
    return json_response(429, body, (("retry-after", "6.2"), ("x-request-id", "req-42")))


def _client() -> klaviyo.CompatClient:
    return klaviyo.CompatClient(transport=RecordingTransport(_throttled), max_attempts=1)


def _assert_legacy_view(answer: Any) -> None:
    """``answer`` reads like the ``requests.Response`` of a legacy 429."""
    assert answer.status_code == 429
    assert answer.json() == LEGACY_BODY
    assert json.loads(answer.text) == json.loads(answer.content) == LEGACY_BODY
    assert answer.headers["Retry-After"] == "6.2" and answer.headers["retry-after"] == "6.2"
    assert answer.headers["X-Request-Id"] == "req-42"
    assert answer.headers["Content-Type"] == "application/json"


def _assert_error(error: exceptions.APIError) -> None:
    assert isinstance(error, exceptions.KlaviyoRateLimitException)
    assert error.status_code == 429 and error.message == LEGACY_BODY
    _assert_legacy_view(error.response)
    assert error.retry_after == 6.2
    assert [d.code for d in error.errors] == ["throttled"]
    assert error.request is not None and error.request.operation == "get_lists"
    assert error.api_response is not None and error.api_response.status == 429
    assert error.api_response.json()["errors"][0]["id"] == "e1"


def test_compat_client() -> None:
    with pytest.raises(exceptions.RateLimitError) as caught:
        _client().call(call_for("GET", "/v2/lists", {}), private_key=PRIVATE_KEY)
    _assert_error(caught.value)


def test_klaviyo_3_1_7() -> None:
    legacy = klaviyo.Klaviyo(PUBLIC_KEY, PRIVATE_KEY, client=_client())
    with pytest.raises(exceptions.KlaviyoAPIException) as caught:
        legacy.Lists.get_lists()
    _assert_error(caught.value)


def test_klaviyo_sdk() -> None:
    with pytest.raises(ApiException) as caught:
        Client(PRIVATE_KEY, client=_client()).ListsSegments.get_lists()
    error = caught.value
    assert (error.status, error.reason) == (429, "Too Many Requests")
    assert json.loads(error.body or b"") == LEGACY_BODY
    assert error.headers is not None
    assert error.headers["X-Request-Id"] == "req-42" and error.headers["retry-after"] == "6.2"
    assert isinstance(error.__cause__, exceptions.RateLimitError)


def test_raw_http() -> None:
    session = requests.Session()
    mount(session, _client())
    answer = session.get("https://a.klaviyo.com/api/v2/lists", json={"api_key": PRIVATE_KEY})
    session.close()
    _assert_legacy_view(answer)
    assert isinstance(answer, LegacyResponse) and answer.error is not None
    _assert_error(answer.error)  # type: ignore[arg-type]


def test_an_error_rebuilt_from_a_legacy_answer_reads_its_body() -> None:
    # A legacy answer (from this library's gateway, or any server) read by 3.1.7 code.
    conflict = error_from_response(json_response(409, DUPLICATE_PROFILE))
    assert conflict.message["errors"][0]["meta"] == {"duplicate_profile_id": "01DUP"}

    class Answer:
        status_code = 409
        headers: ClassVar[dict[str, str]] = {"Content-Type": "application/json"}
        text = conflict.response.text

        def json(self) -> Any:
            return json.loads(self.text)

    rebuilt = error_from_answer(Answer())
    assert isinstance(rebuilt, exceptions.ConflictError)
    assert rebuilt.duplicate_profile_id == "01DUP" and rebuilt.message == conflict.message


def test_a_partial_delivery_keeps_the_class_of_its_cause_through_3_1_7() -> None:
    jobs = []

    def answer(request: klaviyo.PreparedRequest) -> klaviyo.RawResponse:
        if request.operation == "bulk_subscribe_profiles":
            jobs.append(request)
            if len(jobs) == 2:
                return _throttled(request)
            return json_response(202)
        if request.method == "GET":
            return json_response(200, {"data": [], "links": {}})
        return json_response(202)

    client = klaviyo.CompatClient(
        transport=RecordingTransport(answer), max_attempts=1, subscribe_chunk_size=1
    )
    profiles = [{"email": "a@example.com"}, {"email": "b@example.com"}]
    lists = klaviyo.Klaviyo(PUBLIC_KEY, PRIVATE_KEY, client=client).Lists
    with pytest.raises(exceptions.KlaviyoRateLimitException) as caught:
        lists.add_subscribers_to_list("L1", profiles)
    error = caught.value
    assert isinstance(error, exceptions.PartialDeliveryError)
    assert error.undelivered == [{"email": "b@example.com"}] and len(error.accepted) == 1
    assert error.message == LEGACY_BODY and error.retry_after == 6.2
