"""``klaviyo`` 3.1.7 specifics: token checks, legacy validation messages, argument handling,
``api_server``, the response object."""

from __future__ import annotations

from typing import Any

import pytest

import klaviyo_legacy_compat as klaviyo
from klaviyo_legacy_compat import exceptions
from klaviyo_legacy_compat.legacy.api_helper import KlaviyoAPIResponse, base_url_of
from klaviyo_legacy_compat.legacy.lists import Lists
from klaviyo_legacy_compat.legacy.public import Public
from klaviyo_legacy_compat.testing import RecordingTransport
from tests.conftest import NOW, PRIVATE_KEY, PUBLIC_KEY


def body(request: klaviyo.PreparedRequest) -> Any:
    """The JSON body sent (typed loosely, for indexing)."""
    return request.json


def recording() -> tuple[klaviyo.CompatClient, RecordingTransport]:
    transport = RecordingTransport()
    return klaviyo.CompatClient(transport=transport, clock=lambda: NOW), transport


def test_klaviyo_never_raises_but_a_namespace_without_tokens_does() -> None:
    client = klaviyo.Klaviyo()
    with pytest.raises(
        exceptions.KlaviyoConfigurationException,
        match="You must provide a public or private api token",
    ):
        _ = client.Public
    with pytest.raises(AttributeError):
        _ = klaviyo.Klaviyo(PUBLIC_KEY).Segments  # type: ignore[attr-defined]  # not in 3.1.7


@pytest.mark.parametrize(
    ("tokens", "call", "message"),
    [
        (
            {"private_token": PRIVATE_KEY},
            lambda k: k.Public.track("E", email="a@example.com"),
            "Public token is not defined",
        ),
        (
            {"public_token": PUBLIC_KEY},
            lambda k: k.Lists.get_lists(),
            "Private token is not defined",
        ),
        (
            {"public_token": PUBLIC_KEY},
            lambda k: k.Public.track("E"),
            "You must identify a user by email or ID.",
        ),
        (
            {"public_token": PUBLIC_KEY},
            lambda k: k.Public.identify(method="put", email="a@example.com"),
            "Invalid HTTP method for public request: must be 'get' of 'post'",
        ),
        (
            {"private_token": PRIVATE_KEY},
            lambda k: k.Profiles.unset_profile_properties("P1", "plan"),
            'Argument "properties" must be a list.',
        ),
        (
            {"private_token": PRIVATE_KEY},
            lambda k: k.DataPrivacy.request_profile_deletion("a@example.com", id_type="pizza"),
            "Invalid id_type provided, must be one of: ['email', 'phone_number', 'person_id']",
        ),
    ],
)
def test_legacy_validation_errors_keep_their_messages(
    tokens: dict[str, str], call: Any, message: str
) -> None:
    client, transport = recording()
    with pytest.raises(exceptions.KlaviyoException) as caught:
        call(klaviyo.Klaviyo(client=client, **tokens))
    assert str(caught.value) == message == caught.value.message
    assert transport.count == 0


def test_callers_dicts_are_not_mutated_and_email_id_are_added() -> None:
    client, transport = recording()
    properties = {"n": 1}
    customer = {"$first_name": "Ann"}
    response = klaviyo.Klaviyo(PUBLIC_KEY, PRIVATE_KEY, client=client).Public.track(
        "Viewed",
        email="a@example.com",
        external_id=12,
        properties=properties,
        customer_properties=customer,
    )
    assert response == KlaviyoAPIResponse(200, 1)
    assert properties == {"n": 1} and customer == {"$first_name": "Ann"}
    profile = body(transport.requests[0])["data"]["attributes"]["profile"]["data"]["attributes"]
    assert profile["email"] == "a@example.com" and profile["external_id"] == "12"


def test_identify_replaces_non_dict_properties_as_3_1_7_did() -> None:
    client, transport = recording()
    public = Public(public_token=PUBLIC_KEY, private_token=PRIVATE_KEY, client=client)
    assert public.identify(email="a@example.com", properties=["not", "a", "dict"]).data == 1  # type: ignore[arg-type]
    assert body(transport.requests[0])["data"]["attributes"] == {"email": "a@example.com"}


def test_track_once_marks_the_event() -> None:
    client, transport = recording()
    klaviyo.Klaviyo(PUBLIC_KEY, PRIVATE_KEY, client=client).Public.track_once(
        "Started", email="a@example.com"
    )
    attributes = body(transport.requests[0])["data"]["attributes"]
    assert attributes["unique_id"] == "__track_once__"
    assert attributes["properties"] == {"__track_once__": True}


def _track(public: Public, method: str) -> Any:
    return public.track("Viewed", email="a@example.com", is_test=True, method=method)


def _identify(public: Public, method: str) -> Any:
    return public.identify(email="a@example.com", is_test=True, method=method)


@pytest.mark.parametrize(
    ("call", "method", "sent"),
    [
        # GET sent test=1, a test mode the new API lacks: not sent (test_calls="skip").
        (_track, "get", []),
        (_identify, "GET", []),
        # POST dropped is_test (legacy-surface.md A.3, E.5): the call was real, so it is sent.
        (_track, "post", ["create_event"]),
        (_track, "POST", ["create_event"]),
        (_identify, "Post", ["create_or_update_profile"]),
    ],
)
def test_is_test_is_kept_on_get_and_dropped_on_post_as_3_1_7_did(
    call: Any, method: str, sent: list[str]
) -> None:
    client, transport = recording()
    public = Public(public_token=PUBLIC_KEY, private_token=PRIVATE_KEY, client=client)
    assert call(public, method) == KlaviyoAPIResponse(200, 1)
    assert transport.operations() == sent


@pytest.mark.parametrize(
    ("server", "expected"),
    [
        ("https://a.klaviyo.com/api", None),
        ("https://a.klaviyo.com/api/", None),
        ("http://127.0.0.1:8080/api", "http://127.0.0.1:8080"),
        ("http://localhost:9000", "http://localhost:9000"),
    ],
)
def test_api_server_becomes_the_base_url(server: str, expected: Any) -> None:
    assert base_url_of(server) == expected


def test_resources_take_api_server() -> None:
    client, transport = recording()
    lists = Lists(private_token=PRIVATE_KEY, api_server="http://127.0.0.1:8765/api", client=client)
    assert lists.get_lists() == KlaviyoAPIResponse(200, [])
    assert transport.requests[0].url == "http://127.0.0.1:8765/api/lists"


def test_dry_run_from_the_constructor_and_no_key_in_reprs() -> None:
    legacy = klaviyo.Klaviyo(PUBLIC_KEY, PRIVATE_KEY, dry_run=True)
    plan = legacy.Lists.get_lists()
    assert isinstance(plan, klaviyo.Plan)
    assert PRIVATE_KEY not in repr(legacy) + repr(legacy.Lists) and PUBLIC_KEY not in repr(legacy)
    assert repr(KlaviyoAPIResponse(200, 1)) == "KlaviyoAPIResponse(status_code=200, data=1)"


def test_legacy_helpers() -> None:
    lists = Lists(private_token=PRIVATE_KEY)
    assert lists._filter_params({"a": 1, "b": None}) == {"a": 1}
    assert lists._build_marker_param(2000) == {"marker": 2000}
    assert lists._build_marker_param(None) == {}
    with pytest.raises(exceptions.KlaviyoConfigurationException):
        Lists(public_token=PUBLIC_KEY)._is_valid_request_option()


def test_subscriptions_take_the_raw_http_routes() -> None:
    client, transport = recording()
    lists = Lists(private_token=PRIVATE_KEY, client=client)
    with pytest.raises(exceptions.TranslationError) as caught:
        lists.add_subscribers_to_list("XyZ", None)  # type: ignore[arg-type]
    assert caught.value.field == "profiles" and "is required" in str(caught.value)
    with pytest.raises(exceptions.TranslationError, match="at least one email"):
        lists.delete_subscribers_from_list("XyZ", [])
    assert transport.count == 0
    plan = klaviyo.Klaviyo(
        PUBLIC_KEY, PRIVATE_KEY, dry_run=True
    ).Lists.delete_subscribers_from_list("XyZ", ["a@example.com"])
    assert isinstance(plan, klaviyo.Plan)
