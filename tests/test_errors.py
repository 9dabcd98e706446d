"""The exception tree, its legacy aliases, and the pure status → exception table."""

from __future__ import annotations

import pytest

from klaviyo_legacy_compat import exceptions
from klaviyo_legacy_compat._core.errors import (
    ERROR_BY_STATUS,
    error_from_response,
    retry_after_seconds,
)
from klaviyo_legacy_compat._core.models import PlannedRequest, RawResponse
from klaviyo_legacy_compat.testing import json_response


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (400, exceptions.BadRequestError),
        (401, exceptions.AuthenticationError),
        (403, exceptions.AuthenticationError),
        (404, exceptions.NotFoundError),
        (409, exceptions.ConflictError),
        (410, exceptions.APIError),
        (422, exceptions.APIError),
        (429, exceptions.RateLimitError),
        (500, exceptions.ServerError),
        (502, exceptions.ServerError),
        (524, exceptions.ServerError),
    ],
)
def test_status_table(status: int, expected: type[exceptions.APIError]) -> None:
    request = PlannedRequest("POST", "/api/events", "create_event")
    error = error_from_response(RawResponse(status, body=b"not json"), request)
    assert type(error) is expected
    assert error.status_code == status
    assert error.request is request
    described = f"Failed with status code: {status} [POST /api/events]"
    assert str(error) == described
    if status == 429:
        described = "Request was throttled."  # as the legacy throttle said it
    # The legacy error body (the new API's text stays on the new API's answer).
    assert error.message == {
        "status": status,
        "message": described,
        "detail": described,
        "errors": [],
    }
    assert error.response.json() == error.message and error.response.status_code == status
    assert error.api_response is not None and error.api_response.text == "not json"


def test_the_table_holds_only_what_the_5xx_rule_does_not_cover() -> None:
    assert all(status < 500 for status in ERROR_BY_STATUS)


def test_legacy_names_are_the_same_objects() -> None:
    assert exceptions.KlaviyoException is exceptions.LegacySDKError
    assert exceptions.KlaviyoConfigurationException is exceptions.ConfigurationError
    assert exceptions.KlaviyoAPIException is exceptions.APIError
    assert exceptions.KlaviyoApiException is exceptions.APIError
    assert exceptions.KlaviyoAuthenticationError is exceptions.AuthenticationError
    assert exceptions.KlaviyoRateLimitException is exceptions.RateLimitError
    assert exceptions.KlaviyoServerError is exceptions.ServerError
    assert exceptions.UnsupportedLegacyFeature is exceptions.UnsupportedLegacyFeatureError


def test_the_legacy_split_is_kept() -> None:
    # klaviyo 3.1.7: KlaviyoAPIException(Exception) is not a KlaviyoException.
    assert not issubclass(exceptions.KlaviyoAPIException, exceptions.KlaviyoException)
    assert issubclass(exceptions.KlaviyoConfigurationException, exceptions.KlaviyoException)
    assert issubclass(exceptions.TranslationError, exceptions.KlaviyoException)
    assert issubclass(exceptions.TranslationError, ValueError)
    for cls in (
        exceptions.KlaviyoException,
        exceptions.KlaviyoAPIException,
        exceptions.TransportError,
    ):
        assert issubclass(cls, exceptions.KlaviyoCompatError)


def test_error_details_are_structured_tolerantly() -> None:
    body = {
        "errors": [
            {
                "id": "abc",
                "status": 409,
                "code": "duplicate_profile",
                "title": "Conflict.",
                "detail": "A profile already exists.",
                "source": {"pointer": "/data/attributes/email"},
                "meta": {"duplicate_profile_id": "01X"},
                "links": {"type": "https://developers.klaviyo.com"},
            },
            {"code": "other"},
            "not an object",
        ]
    }
    error = error_from_response(json_response(409, body))
    assert isinstance(error, exceptions.ConflictError)
    first, second = error.errors
    assert (first.code, first.status, first.source_pointer) == (
        "duplicate_profile",
        409,
        "/data/attributes/email",
    )
    assert error.duplicate_profile_id == "01X"
    assert second.code == "other" and second.detail == ""
    assert "duplicate_profile: A profile already exists." in str(error)


@pytest.mark.parametrize(
    ("headers", "detail", "expected"),
    [
        ((("retry-after", "3"),), "Request was throttled. Expected available in 9 seconds.", 3.0),
        ((), "Request was throttled. Expected available in 9 seconds.", 9.0),
        ((), "Request was throttled. Expected available in 1 second.", 1.0),
        ((), "Request was throttled.", None),
        ((("retry-after", "soon"),), "no number here", None),
    ],
)
def test_retry_after(headers: tuple[tuple[str, str], ...], detail: str, expected: float) -> None:
    response = json_response(429, {"errors": [{"code": "throttled", "detail": detail}]}, headers)
    assert retry_after_seconds(response) == expected


def test_partial_delivery_describes_what_was_accepted() -> None:
    cause = error_from_response(json_response(503, {"errors": [{"code": "x", "detail": "down"}]}))
    error = exceptions.PartialDeliveryError(
        accepted=["chunk 1: profiles[0:100]"],
        undelivered=[{"email": "a@example.com"}],
        cause=cause,
        what="profiles",
    )
    assert error.status_code == 503
    assert "Accepted: chunk 1: profiles[0:100]" in str(error)
    assert "1 profiles not delivered" in str(error)
    local = exceptions.PartialDeliveryError(accepted=[], undelivered=[], cause=ValueError("bad"))
    assert local.status_code is None and "Accepted: none" in str(local)


def test_unsupported_feature_says_what_to_do_instead() -> None:
    error = exceptions.UnsupportedLegacyFeatureError("by", "no equivalent", "use a fixed dimension")
    assert str(error) == "by: no equivalent. Instead: use a fixed dimension"
    assert error.instead == "use a fixed dimension"


def test_a_partial_delivery_is_also_an_instance_of_its_cause() -> None:
    import requests

    from klaviyo_legacy_compat._transports.transport import TransportError

    throttled = error_from_response(json_response(429, {"errors": [{"code": "throttled"}]}))
    partial = exceptions.PartialDeliveryError(
        accepted=["profiles[0:100]"], undelivered=[], cause=throttled
    )
    assert isinstance(partial, exceptions.KlaviyoRateLimitException)  # legacy except clauses
    assert isinstance(partial, exceptions.PartialDeliveryError)
    assert partial.retry_after is None and partial.status_code == 429
    lost = exceptions.PartialDeliveryError(
        accepted=[], undelivered=[1], cause=TransportError("reset", sent=False)
    )
    assert isinstance(lost, requests.exceptions.ConnectionError)
    assert lost.sent is False
    assert str(lost).startswith("delivery stopped part way")
    local = exceptions.PartialDeliveryError(accepted=[], undelivered=[], cause=ValueError("bad"))
    assert type(local) is exceptions.PartialDeliveryError
