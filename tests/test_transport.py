"""The transport seam with ``responses``: headers, status handling, legacy return values.

These are the only tests that mock ``requests`` itself (aesthetics §3.9).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
import responses
from responses import matchers

import klaviyo_legacy_compat as klaviyo
from klaviyo_legacy_compat import exceptions
from tests.conftest import DUPLICATE_PROFILE, NOW, PRIVATE_KEY, PUBLIC_KEY

API = "https://a.klaviyo.com"


def client(**options: Any) -> klaviyo.CompatClient:
    # One attempt: these tests are about mapping statuses, not about retrying them.
    return klaviyo.CompatClient(
        clock=lambda: NOW, **{"private_key": PRIVATE_KEY, "max_attempts": 1, **options}
    )


@responses.activate(assert_all_requests_are_fired=True)
def test_track_sends_the_documented_headers_and_returns_the_legacy_1() -> None:
    responses.post(
        f"{API}/api/events",
        status=202,
        match=[
            matchers.header_matcher(
                {
                    "Authorization": f"Klaviyo-API-Key {PRIVATE_KEY}",
                    "revision": "2026-07-15",
                    "Accept": "application/vnd.api+json",
                    "Content-Type": "application/vnd.api+json",
                }
            ),
            matchers.query_param_matcher({}),
            matchers.json_params_matcher(
                {
                    "data": {
                        "type": "event",
                        "attributes": {
                            "properties": {},
                            "metric": {
                                "data": {"type": "metric", "attributes": {"name": "Viewed"}}
                            },
                            "profile": {
                                "data": {
                                    "type": "profile",
                                    "attributes": {"email": "ann@example.com"},
                                }
                            },
                            "time": "2024-05-01T12:00:00+00:00",
                            # Pins the derivation: the digest of this metric, profile,
                            # properties and time (a changed derivation would record retried
                            # events twice across versions).
                            "unique_id": "lc-a775abcff6a345fe75cfc9256e3bd891",
                        },
                    }
                }
            ),
        ],
    )
    assert client().track("Viewed", {"$email": "ann@example.com"}) == 1
    assert responses.calls[0].request.headers["User-Agent"].startswith("klaviyo-legacy-compat/")


@responses.activate(assert_all_requests_are_fired=True)
def test_public_key_only_goes_to_the_client_endpoint_without_authorization() -> None:
    responses.post(
        f"{API}/client/events",
        status=202,
        match=[matchers.query_param_matcher({"company_id": PUBLIC_KEY})],
    )
    assert (
        client(private_key=None, public_key=PUBLIC_KEY).track("Viewed", {"$email": "a@example.com"})
        == 1
    )
    sent = responses.calls[0].request
    assert "Authorization" not in sent.headers
    assert PRIVATE_KEY not in (sent.url or "")


@responses.activate(assert_all_requests_are_fired=True)
def test_the_private_key_is_never_in_a_url() -> None:
    responses.get(
        f"{API}/api/lists/XyZ", json={"data": {"attributes": {"opt_in_process": "single_opt_in"}}}
    )
    responses.post(f"{API}/api/profile-subscription-bulk-create-jobs", status=202)
    found = {"data": [{"type": "profile", "id": "01A", "attributes": {"email": "a@example.com"}}]}
    responses.get(f"{API}/api/profiles", json=found)
    members = client().subscribe_to_list("XyZ", [{"email": "a@example.com"}])
    assert members == [{"id": "01A", "email": "a@example.com"}]
    for call in responses.calls:
        assert PRIVATE_KEY not in (call.request.url or "")
        assert call.request.headers["Authorization"] == f"Klaviyo-API-Key {PRIVATE_KEY}"


@pytest.mark.parametrize(
    ("status", "error", "legacy"),
    [
        (400, exceptions.BadRequestError, exceptions.KlaviyoAPIException),
        (401, exceptions.AuthenticationError, exceptions.KlaviyoAuthenticationError),
        (403, exceptions.AuthenticationError, exceptions.KlaviyoAuthenticationError),
        (404, exceptions.NotFoundError, exceptions.KlaviyoAPIException),
        (429, exceptions.RateLimitError, exceptions.KlaviyoRateLimitException),
        (500, exceptions.ServerError, exceptions.KlaviyoServerError),
        (503, exceptions.ServerError, exceptions.KlaviyoServerError),
        (418, exceptions.APIError, exceptions.KlaviyoAPIException),
    ],
)
@responses.activate
def test_error_statuses_raise_the_mapped_exception(
    status: int, error: type[exceptions.APIError], legacy: type[Exception]
) -> None:
    body = {"errors": [{"id": "e", "code": "x", "title": "T", "detail": "Something failed."}]}
    responses.post(f"{API}/api/events", status=status, json=body)
    with pytest.raises(error) as caught:
        client().track("Viewed", {"$email": "a@example.com"})
    assert isinstance(caught.value, legacy)
    assert not isinstance(caught.value, exceptions.KlaviyoException)  # the legacy split
    assert caught.value.status_code == status
    # legacy: the parsed error body, in the legacy shape; Klaviyo's own answer stays reachable
    detail = "Request was throttled." if status == 429 else "Something failed."
    assert caught.value.message == {
        "status": status,
        "message": detail,
        "detail": detail,
        "errors": [{"code": "x", "title": "T", "detail": "Something failed.", "meta": {}}],
    }
    assert caught.value.response.json() == caught.value.message
    assert caught.value.api_response is not None and caught.value.api_response.json() == body
    assert caught.value.errors[0].detail == "Something failed."
    assert str(caught.value).startswith(f"Failed with status code: {status}")
    assert PRIVATE_KEY not in str(caught.value) + repr(caught.value)


@pytest.mark.parametrize("status", [200, 201, 202, 204])
@responses.activate
def test_every_2xx_is_success(status: int) -> None:
    responses.post(f"{API}/api/profile-import", status=status)
    assert client().identify({"$email": "a@example.com"}) == 1


@responses.activate
def test_a_409_on_upsert_is_retried_without_the_phone() -> None:
    responses.post(f"{API}/api/profile-import", status=409, json=DUPLICATE_PROFILE)
    responses.post(f"{API}/api/profile-import", status=200, json={"data": {"id": "01XYZ"}})
    assert client().identify({"$email": "a@example.com", "$phone_number": "+15005550006"}) == 1
    retried = json.loads(responses.calls[1].request.body or b"{}")
    assert retried["data"]["attributes"] == {"email": "a@example.com"}


@responses.activate
def test_rate_limit_error_carries_retry_after() -> None:
    responses.post(
        f"{API}/api/events",
        status=429,
        json={
            "errors": [
                {
                    "code": "throttled",
                    "detail": "Request was throttled. Expected available in 7 seconds.",
                }
            ]
        },
    )
    with pytest.raises(exceptions.RateLimitError) as caught:
        client().track("Viewed", {"$email": "a@example.com"})
    assert caught.value.retry_after == 7.0


@responses.activate
def test_connection_errors_become_transport_errors_without_the_query() -> None:
    responses.post(
        f"{API}/client/events",
        body=requests.exceptions.ConnectionError(f"failed: /client/events?company_id={PUBLIC_KEY}"),
    )
    with pytest.raises(exceptions.TransportError) as caught:
        client(private_key=None, public_key=PUBLIC_KEY).track("Viewed", {"$email": "a@example.com"})
    assert isinstance(caught.value, requests.exceptions.ConnectionError)  # legacy except blocks
    assert PUBLIC_KEY not in str(caught.value)
    assert "POST /client/events" in str(caught.value)


@responses.activate
def test_timeouts_become_request_timeout_errors() -> None:
    responses.post(f"{API}/api/events", body=requests.exceptions.ReadTimeout("read timed out"))
    with pytest.raises(exceptions.RequestTimeoutError):
        client(timeout=0.5).track("Viewed", {"$email": "a@example.com"})


@responses.activate
def test_a_loopback_http_base_url_is_used_as_given() -> None:
    responses.post("http://127.0.0.1:8765/api/events", status=202)
    assert (
        client(base_url="http://127.0.0.1:8765").track("Viewed", {"$email": "a@example.com"}) == 1
    )


@responses.activate
def test_the_configured_revision_is_sent(another_revision: str) -> None:
    responses.post(
        f"{API}/api/events",
        status=202,
        match=[matchers.header_matcher({"revision": another_revision})],
    )
    assert client(revision=another_revision).track("Viewed", {"$email": "a@example.com"}) == 1
