"""``klaviyo-sdk`` 1.0.9 specifics: the generated code's calling conventions, the wrapper's
track/identify data forms, return objects and ``ApiException``."""

from __future__ import annotations

import base64
import inspect
import json
import pydoc
from multiprocessing.pool import ApplyResult
from typing import Any

import pytest

import klaviyo_legacy_compat as klaviyo
from klaviyo_legacy_compat._core.wire import parse_legacy_request
from klaviyo_legacy_compat.cli import request_from_json
from klaviyo_legacy_compat.exceptions import TranslationError
from klaviyo_legacy_compat.sdk import ApiException, Client, InlineResponse2001
from klaviyo_legacy_compat.sdk._methods import METHODS
from klaviyo_legacy_compat.sdk.api import TrackIdentifyApi
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
        compat.run(parse_legacy_request(request_from_json(legacy_request)))
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
    # The override took ``params`` positionally too: update_profile(person_id, params).
    client.Profiles.update_profile("P1", {"plan": "gold"})
    assert body(transport.requests[1])["data"]["attributes"]["properties"] == {"plan": "gold"}
    with pytest.raises(TypeError, match="takes 2 positional argument"):
        client.Profiles.update_profile("P1", {"plan": "gold"}, "extra")
    assert transport.count == 2


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


# --- what inspect.signature() and help() show ---------------------------------------------

_TIMELINE = ("since", "count", "sort")
_CAMPAIGN = (
    "list_id",
    "template_id",
    "from_email",
    "from_name",
    "subject",
    "name",
    "use_smart_sending",
    "add_google_analytics",
)
_EXTRAS = ("async_req", "_return_http_data_only", "_preload_content", "_request_timeout")

#: Each legacy method's parameters, read off klaviyo-sdk 1.0.9 (the generated methods'
#: ``(path..., **kwargs)`` with their ``all_params``; the wrapper's overrides, B.6): the ones
#: taken positionally, then the keyword-only ones (the generated extras come after them).
LEGACY_PARAMETERS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "track_get": (("data",), ()),
    "track_post": (("data",), ()),
    "identify_get": (("data",), ()),
    "identify_post": (("data",), ()),
    "get_lists": ((), ()),
    "create_list": ((), ("list_name",)),
    "get_list_info": (("list_id",), ()),
    "update_list_name": (("list_id",), ("list_name",)),
    "delete_list": (("list_id",), ()),
    "subscribe": (("list_id",), ("body",)),
    "unsubscribe": (("list_id",), ("body",)),
    "get_list_subscriptions": (("list_id",), ("body",)),
    "add_members": (("list_id",), ("body",)),
    "remove_members": (("list_id",), ("body",)),
    "get_list_members": (("list_id",), ("body",)),
    "get_segment_members": (("segment_id",), ("body",)),
    "get_list_exclusions": (("list_id",), ("marker",)),
    "get_members": (("list_or_segment_id",), ("marker",)),
    "get_global_exclusions": ((), ("reason", "sort", "count", "page")),
    "exclude_globally": ((), ("email",)),
    "get_profile": (("person_id",), ()),
    "update_profile": (("person_id", "params"), ()),
    "get_profile_id": ((), ("email", "phone_number", "external_id")),
    "exchange": ((), ("body",)),
    "profile_metrics_timeline": (("person_id",), _TIMELINE),
    "profile_metric_timeline": (("person_id", "metric_id"), _TIMELINE),
    "get_metrics": ((), ("page", "count")),
    "metrics_timeline": ((), _TIMELINE),
    "metric_timeline": (("metric_id",), _TIMELINE),
    "metric_export": (
        ("metric_id",),
        ("start_date", "end_date", "unit", "measurement", "where", "by", "count"),
    ),
    "get_campaigns": ((), ("page", "count")),
    "get_campaign_info": (("campaign_id",), ()),
    "create_campaign": ((), _CAMPAIGN),
    "update_campaign": (("campaign_id",), _CAMPAIGN),
    "clone_campaign": (("campaign_id",), ("name", "list_id")),
    "schedule_campaign": (("campaign_id",), ("send_time",)),
    "send_campaign": (("campaign_id",), ()),
    "cancel_campaign": (("campaign_id",), ()),
    "get_campaign_recipients": (("campaign_id",), ("count", "sort", "offset")),
    "get_templates": ((), ("page", "count")),
    "create_template": ((), ("name", "html")),
    "update_template": (("template_id",), ("name", "html")),
    "delete_template": (("template_id",), ()),
    "clone_template": (("template_id",), ("name",)),
    "render_template": (("template_id",), ("context",)),
    "send_template": (("template_id",), ("from_email", "from_name", "subject", "to", "context")),
    "request_deletion": ((), ("body",)),
}

OVERRIDES = {"track_get", "track_post", "identify_get", "identify_post"}


def _methods() -> list[Any]:
    client = Client(PRIVATE_KEY, dry_run=True)  # a call that got through would send nothing
    out = []
    for spec in METHODS:
        namespace = getattr(client, spec.namespace)
        out.append(pytest.param(getattr(namespace, spec.name), id=spec.name))
        twin = getattr(namespace, f"{spec.name}_with_http_info", None)
        if spec.name not in OVERRIDES:
            assert twin is not None, spec.name
            out.append(pytest.param(twin, id=f"{spec.name}_with_http_info"))
    return out


def test_the_signature_table_covers_every_method() -> None:
    assert set(LEGACY_PARAMETERS) == {spec.name for spec in METHODS}


@pytest.mark.parametrize("method", _methods())
def test_each_method_shows_its_legacy_parameters(method: Any) -> None:
    name = method.__name__.removesuffix("_with_http_info")
    positional, keywords = LEGACY_PARAMETERS[name]
    parameters = inspect.signature(method).parameters.values()
    shown_positional = [p.name for p in parameters if p.kind is p.POSITIONAL_OR_KEYWORD]
    shown_keywords = [p.name for p in parameters if p.kind is p.KEYWORD_ONLY]
    assert [p.kind for p in parameters if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)] == []
    assert tuple(shown_positional) == positional
    extras = () if name in OVERRIDES else _EXTRAS
    assert tuple(shown_keywords) == keywords + extras
    # help() shows the same, and the docstring names each parameter with its type.
    text = pydoc.plain(pydoc.render_doc(method))
    assert f"{method.__name__}{inspect.signature(method)}" in text
    for parameter in (*positional, *keywords, *extras):
        assert f" {parameter}:" in method.__doc__, parameter
    required = [p.name for p in parameters if p.default is p.empty]
    for parameter in required:
        assert f"{parameter}: (required)" in method.__doc__
    assert ":return: " in method.__doc__


def test_signatures_read_as_the_generated_ones() -> None:
    client = Client(PRIVATE_KEY, dry_run=True)
    extras = "async_req=None, _return_http_data_only=None, _preload_content=True, "
    extras += "_request_timeout=None"
    shown = {
        client.ListsSegments.subscribe: f"(list_id, *, body=None, {extras})",
        client.ListsSegments.subscribe_with_http_info: f"(list_id, *, body=None, {extras})",
        client.ListsSegments.get_lists: f"(*, {extras})",
        client.Profiles.profile_metric_timeline: (
            f"(person_id, metric_id, *, since=None, count=None, sort=None, {extras})"
        ),
        client.Profiles.update_profile: f"(person_id, params=None, *, {extras})",
        client.TrackIdentify.track_get: "(data={})",
        client.TrackIdentify.identify_post: "(data={})",
    }
    for method, signature in shown.items():
        assert str(inspect.signature(method)) == signature, method.__name__
    assert inspect.signature(TrackIdentifyApi().track_get) == inspect.signature(
        client.TrackIdentify.track_get
    )
    doc = client.ListsSegments.subscribe.__doc__ or ""
    assert ":param str list_id: (required) id of the list" in doc
    assert ":param ListIdSubscribeBody body: " in doc
    assert ":param bool async_req: " in doc
    assert ":return: list of dicts" in doc
    assert "POST /api/v2/list/{list_id}/subscribe" in doc


@pytest.mark.parametrize("method", _methods())
def test_calls_that_bind_to_the_signature_are_accepted(method: Any) -> None:
    # The signature is what the methods check: path parameters given positionally bind, an
    # unknown keyword does not, and both are answered before anything is sent.
    signature = inspect.signature(method)
    required = [p.name for p in signature.parameters.values() if p.default is p.empty]
    signature.bind(*["X1"] * len(required))
    with pytest.raises(TypeError):
        signature.bind(*["X1"] * len(required), colour="red")
    with pytest.raises(TypeError):
        method(*["X1"] * len(required), colour="red")
