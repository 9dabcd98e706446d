"""The ``swagger_client`` half of ``klaviyo-sdk`` 1.0.9 and ``klaviyo_sdk.custom_retry``
(legacy-surface.md B.1, B.2, B.7): the names legacy code imports, the generated ``*Api``
classes over ``Configuration``/``ApiClient``, model bodies, and the retry predicate."""

from __future__ import annotations

import base64
import importlib
import json
import sys
from collections.abc import Iterator
from concurrent.futures import Future
from types import ModuleType, SimpleNamespace
from typing import Any, Optional

import pytest

import klaviyo_legacy_compat as klaviyo
from klaviyo_legacy_compat._surfaces.install import ALIASES
from klaviyo_legacy_compat.sdk import ApiException, Client, InlineResponse2001, models
from klaviyo_legacy_compat.sdk.api import API_CLASSES
from klaviyo_legacy_compat.sdk.custom_retry import retry_if_qualifies
from klaviyo_legacy_compat.sdk.swagger import (
    ApiClient,
    Configuration,
    ListsSegmentsApi,
    TrackIdentifyApi,
)
from klaviyo_legacy_compat.testing import LocalKlaviyo, RecordingTransport, json_response
from tests.conftest import NOW, PRIVATE_KEY, PUBLIC_KEY

API_NAMES = (
    "CampaignsApi",
    "DataPrivacyApi",
    "ListsSegmentsApi",
    "MetricsApi",
    "ProfilesApi",
    "TemplatesApi",
    "TrackIdentifyApi",
)

#: B.1: legacy module → the names code imports from it.
IMPORTABLE: dict[str, tuple[str, ...]] = {
    "klaviyo_sdk": ("Client",),
    "klaviyo_sdk.wrapper": ("Client",),
    "klaviyo_sdk.custom_retry": ("retry_if_qualifies",),
    "swagger_client": (
        "ApiClient",
        "Configuration",
        *API_NAMES,
        "ListIdSubscribeBody",
        "ListIdMembersBody",
        "PeopleExchangeBody",
        "PrivacyEmail",
        "InlineResponse2001",
        "models",
        "rest",
    ),
    "swagger_client.api": API_NAMES,
    "swagger_client.api_client": ("ApiClient",),
    "swagger_client.configuration": ("Configuration",),
    "swagger_client.models": models.KNOWN,
    "swagger_client.rest": ("ApiException", "RESTResponse"),
}


@pytest.fixture
def installed() -> Iterator[None]:
    """``install()`` for the test, and the previous ``sys.modules`` entries back after."""
    saved = {name: sys.modules.get(name) for name in ALIASES}
    klaviyo.install()
    yield
    klaviyo.uninstall()
    for name, module in saved.items():
        if module is not None:
            sys.modules[name] = module


@pytest.mark.usefixtures("installed")
@pytest.mark.parametrize(("module", "names"), IMPORTABLE.items(), ids=list(IMPORTABLE))
def test_legacy_names_import_after_install(module: str, names: tuple[str, ...]) -> None:
    imported = importlib.import_module(module)
    for name in names:
        namespace: dict[str, Any] = {}
        exec(f"from {module} import {name}", namespace)  # the statement legacy code runs
        assert namespace[name] is getattr(imported, name), (module, name)


@pytest.mark.usefixtures("installed")
def test_every_generated_model_is_one_class_in_both_places() -> None:
    import swagger_client  # type: ignore[import-not-found]
    import swagger_client.models  # type: ignore[import-not-found]

    assert len(models.KNOWN) == 95
    for name in models.KNOWN:
        cls = getattr(swagger_client.models, name)
        assert getattr(swagger_client, name) is cls and issubclass(cls, models.Model)
        assert name in dir(swagger_client) and name in dir(swagger_client.models)
    assert swagger_client.models.InlineResponse2001 is InlineResponse2001
    assert swagger_client.ListsSegmentsApi is ListsSegmentsApi
    assert isinstance(sys.modules["klaviyo_sdk.custom_retry"], ModuleType)


def test_unknown_camelcase_names_give_one_generic_model_and_others_raise() -> None:
    other = models.model_class("InlineResponse20011Data")
    assert models.InlineResponse20011Data is other
    assert other(data=[1]).to_dict() == {"data": [1]}
    for name in ("inline_response", "__path__", "_Private", "Has-Dash"):
        with pytest.raises(AttributeError):
            getattr(models, name)


def test_models_to_dict_and_the_body_they_send() -> None:
    inner = models.ListIdMembersBody(email="a@example.com", phone_number=None)
    body = models.ListIdSubscribeBody(profiles=[inner], note={"by": inner})
    body.extra = "set later"
    assert body.profiles == [inner]
    # to_dict() keeps None attributes (generated to_dict); the sent body drops them
    # (generated sanitize_for_serialization), B.7.
    assert body.to_dict() == {
        "profiles": [{"email": "a@example.com", "phone_number": None}],
        "note": {"by": {"email": "a@example.com", "phone_number": None}},
        "extra": "set later",
    }
    assert models.serialize(body) == {
        "profiles": [{"email": "a@example.com"}],
        "note": {"by": {"email": "a@example.com"}},
        "extra": "set later",
    }
    assert body.attribute_map == {"profiles": "profiles", "note": "note", "extra": "extra"}
    assert body == models.ListIdSubscribeBody(
        profiles=[inner], note={"by": inner}, extra="set later"
    )
    assert body != models.ListIdMembersBody(profiles=[inner])
    assert repr(InlineResponse2001("X1")) == "{'id': 'X1'}"
    with pytest.raises(TypeError):
        InlineResponse2001("X1")["id"]  # type: ignore[index]  # not subscriptable (B.5)


def recording() -> tuple[ApiClient, RecordingTransport]:
    transport = RecordingTransport()
    client = klaviyo.CompatClient(transport=transport, clock=lambda: NOW)
    config = Configuration()
    config.api_key["api_key"] = PRIVATE_KEY
    return ApiClient(config, client=client), transport


def test_add_members_with_a_model_body_sends_the_configured_key_and_the_models_body() -> None:
    api_client, transport = recording()
    api = ListsSegmentsApi(api_client)
    body = models.ListIdMembersBody(
        profiles=[{"email": "a@example.com"}, {"email": "b@example.com", "$source": None}]
    )
    api.add_members("L1", body=body)
    assert transport.operations()[-1] == "add_profiles_to_list"
    assert {r.header("Authorization") for r in transport.requests} == {
        f"Klaviyo-API-Key {PRIVATE_KEY}"
    }
    assert all(r.url.startswith("https://a.klaviyo.com/api/") for r in transport.requests)
    imported = [
        r.json["data"]["attributes"]  # type: ignore[call-overload,index]
        for r in transport.requests
        if r.operation == "create_or_update_profile"
    ]
    assert imported == [{"email": "a@example.com"}, {"email": "b@example.com"}]
    assert transport.requests[-1].url == "https://a.klaviyo.com/api/lists/L1/relationships/profiles"


def test_key_and_host_are_read_per_request() -> None:
    api_client, transport = recording()
    api = ListsSegmentsApi(api_client)
    api_client.configuration.api_key["api_key"] = "pk_later"
    api_client.configuration.host = "http://localhost:8080/api"
    api.get_lists()
    assert transport.requests[-1].header("Authorization") == "Klaviyo-API-Key pk_later"
    assert transport.requests[-1].url == "http://localhost:8080/api/lists"


def test_against_a_local_klaviyo_the_member_is_added_and_another_key_is_refused() -> None:
    with LocalKlaviyo(enforce_rate_limits=False) as server:
        list_id = server.store.create_list("Newsletter")
        config = Configuration()
        config.host = f"{server.base_url}/api"
        config.api_key["api_key"] = server.private_key
        api = ListsSegmentsApi(ApiClient(config))
        body = models.ListIdMembersBody(profiles=[{"email": "ada@example.com"}])
        added = api.add_members(list_id, body=body)
        assert [member["email"] for member in added] == ["ada@example.com"]
        members = [server.store.profile(pid) for pid in server.store.list_members(list_id)]
        assert [m.email for m in members if m is not None] == ["ada@example.com"]
        config.api_key["api_key"] = "pk_someone_else_0123456789abcdef012"
        with pytest.raises(ApiException) as raised:
            api.get_list_info(list_id)
        assert raised.value.status == 403


@pytest.mark.parametrize("namespace", sorted(API_CLASSES))
def test_each_api_class_has_its_client_namespaces_methods(namespace: str) -> None:
    def public(obj: object) -> set[str]:
        return {
            name for name in dir(obj) if not name.startswith("_") and callable(getattr(obj, name))
        }

    api = API_CLASSES[namespace](ApiClient())
    assert type(api).__name__ == f"{namespace}Api"
    assert public(api) == public(getattr(Client(PRIVATE_KEY), namespace))
    assert isinstance(api, type(getattr(Client(PRIVATE_KEY), namespace)))


def test_generated_apis_do_not_retry() -> None:
    transport = RecordingTransport(lambda r: json_response(429, {"errors": []}))
    client = klaviyo.CompatClient(transport=transport, clock=lambda: NOW)
    config = Configuration()
    config.api_key["api_key"] = PRIVATE_KEY
    with pytest.raises(ApiException) as raised:
        ListsSegmentsApi(ApiClient(config, client=client)).get_lists()
    assert raised.value.status == 429 and transport.count == 1


def test_without_a_key_in_the_configuration_private_calls_need_the_configured_one() -> None:
    transport = RecordingTransport()
    client = klaviyo.CompatClient(transport=transport, clock=lambda: NOW)
    with pytest.raises(klaviyo.ConfigurationError, match="private API key"):
        ListsSegmentsApi(ApiClient(client=client)).get_lists()
    assert transport.count == 0


TRACK = {"token": PUBLIC_KEY, "event": "Viewed", "customer_properties": {"$email": "a@example.com"}}


@pytest.mark.parametrize(
    "data",
    [base64.b64encode(json.dumps(TRACK).encode()).decode(), json.dumps(TRACK)],
    ids=["base64_text", "json_text"],
)
def test_track_identify_api_get_takes_the_generated_base64_text(data: str) -> None:
    transport = RecordingTransport()
    client = klaviyo.CompatClient(transport=transport, clock=lambda: NOW)
    assert TrackIdentifyApi(ApiClient(client=client)).track_get(data) == "1"
    # No private key in the configuration: the public ``token`` in ``data`` is the key, as
    # on the legacy /track endpoint (B.7), so it goes out as a client event.
    assert transport.operations() == ["create_client_event"]
    assert '"Viewed"' in json.dumps(transport.requests[0].json)
    assert transport.requests[0].header("Authorization") is None


def test_configuration_defaults_copies_and_refresh_hook() -> None:
    fresh = Configuration()
    assert fresh.host == "https://a.klaviyo.com/api" and fresh.api_key == {}
    assert fresh.client_host() is None
    template = Configuration()
    template.api_key["api_key"] = "pk_default"
    template.host = "http://localhost:9000/api"
    Configuration.set_default(template)
    try:
        copied = Configuration()
        copied.api_key["api_key"] = "pk_changed"
        assert Configuration().api_key == {"api_key": "pk_default"}  # not shared
        assert copied.host == "http://localhost:9000/api" == copied.client_host()
    finally:
        Configuration.set_default(None)
    assert Configuration().api_key == {}

    def refresh(config: Configuration) -> None:
        config.api_key["api_key"] = "pk_refreshed"

    hooked = Configuration()
    hooked.refresh_api_key_hook = refresh
    assert hooked.private_key() == "pk_refreshed"
    assert "pk_refreshed" not in repr(ApiClient(hooked))
    with pytest.raises(AttributeError):
        hooked.proxy = "http://proxy:3128"  # type: ignore[attr-defined]  # no effect here


def state(error: Optional[BaseException] = None, result: object = None) -> SimpleNamespace:
    """A stand-in for tenacity's ``RetryCallState``: ``outcome`` is the attempt's future."""
    outcome: Future[object] = Future()
    if error is not None:
        outcome.set_exception(error)
    else:
        outcome.set_result(result)
    return SimpleNamespace(outcome=outcome)


@pytest.mark.parametrize(
    ("retry_state", "retries"),
    [
        (state(ApiException(status=429)), True),
        (state(ApiException(status=503)), True),
        (state(ApiException(status=400)), False),
        (state(ApiException(status=0)), False),
        (state(ValueError("no status")), False),
        (state(result={"status": 429}), False),
        (SimpleNamespace(outcome=None), False),
    ],
    ids=["429", "503", "400", "status_0", "no_status", "returned", "no_outcome"],
)
def test_retry_if_qualifies(retry_state: SimpleNamespace, retries: bool) -> None:
    assert retry_if_qualifies([429, 503, 504])(retry_state) is retries


def test_retry_predicates_combine_like_tenacitys() -> None:
    qualifies = retry_if_qualifies({429})

    def value_error(retry_state: Any) -> bool:
        return isinstance(retry_state.outcome.exception(), ValueError)

    assert (qualifies | value_error)(state(ValueError())) is True
    assert (value_error | qualifies)(state(ApiException(status=429))) is True
    assert (qualifies & value_error)(state(ApiException(status=429))) is False
    assert (value_error & qualifies)(state(ValueError())) is False
    assert repr(qualifies) == "retry_if_qualifies([429])"
