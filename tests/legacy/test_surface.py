"""Every method of ``klaviyo`` 3.1.7 and ``klaviyo-sdk`` 1.0.9: its dry-run translation is
valid against the spec, a live call returns the legacy type, and HTTP errors raise the
legacy exceptions.

Live calls run against spec-shaped example answers (``tests.spec.ExampleAnswers``: a fake
Klaviyo built from the response schemas), so every translator is exercised on the shapes
Klaviyo documents.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Optional

import pytest

import klaviyo_legacy_compat as klaviyo
from klaviyo_legacy_compat import exceptions
from klaviyo_legacy_compat.legacy.api_helper import KlaviyoAPIResponse
from klaviyo_legacy_compat.sdk import ApiException, Client, InlineResponse2001
from klaviyo_legacy_compat.sdk._methods import METHODS
from klaviyo_legacy_compat.testing import RecordingTransport, json_response
from tests.conftest import NOW, PRIVATE_KEY, PUBLIC_KEY
from tests.spec import ExampleAnswers, SpecValidator

TRACK = {"token": PUBLIC_KEY, "event": "Viewed", "customer_properties": {"$email": "a@example.com"}}
IDENTIFY = {"token": PUBLIC_KEY, "properties": {"$email": "a@example.com"}}
EMAILS = ["a@example.com", "b+x@example.com"]
EXPORT = {
    "start_date": "2024-04-01",
    "end_date": "2024-04-30",
    "unit": "day",
    "measurement": "count",
}
CAMPAIGN = {
    "list_id": "LIST1",
    "template_id": "TMPL1",
    "from_email": "shop@example.com",
    "from_name": "Shop",
    "subject": "Hello",
    "name": "Spring",
}

#: klaviyo 3.1.7: (namespace, method, args, kwargs, type of ``data``).
KLAVIYO: list[tuple[str, str, tuple[Any, ...], dict[str, Any], type]] = [
    ("Public", "track", ("Viewed",), {"email": "a@example.com", "properties": {"n": 1}}, int),
    ("Public", "track", ("Viewed",), {"external_id": 7, "method": "post"}, int),
    ("Public", "track_once", ("Started",), {"email": "a@example.com"}, int),
    ("Public", "identify", ("a@example.com",), {"properties": {"plan": "gold"}}, int),
    ("Lists", "get_lists", (), {}, list),
    ("Lists", "create_list", ("Newsletter",), {}, dict),
    ("Lists", "get_list_by_id", ("LIST1",), {}, dict),
    ("Lists", "update_list_name_by_id", ("LIST1", "Renamed"), {}, str),
    ("Lists", "delete_list", ("LIST1",), {}, str),
    ("Lists", "add_subscribers_to_list", ("LIST1", [{"email": "a@example.com"}]), {}, list),
    ("Lists", "get_subscribers_from_list", ("LIST1", EMAILS), {}, list),
    ("Lists", "delete_subscribers_from_list", ("LIST1", EMAILS), {}, str),
    ("Lists", "add_members_to_list", ("LIST1", [{"email": "a@example.com"}]), {}, list),
    ("Lists", "get_members_from_list", ("LIST1", EMAILS), {}, list),
    ("Lists", "remove_members_from_list", ("LIST1", EMAILS), {}, str),
    ("Lists", "get_list_exclusions", ("LIST1",), {}, dict),
    ("Lists", "get_all_members", ("LIST1",), {}, dict),
    ("Lists", "get_members_from_segment", ("SEG1", EMAILS), {}, list),
    ("Profiles", "get_profile", ("01PROFILE",), {}, dict),
    ("Profiles", "update_profile", ("01PROFILE", {"$first_name": "Ann", "plan": "gold"}), {}, dict),
    ("Profiles", "get_profile_metrics_timeline", ("01PROFILE",), {}, dict),
    ("Profiles", "get_profile_metrics_timeline_by_id", ("01PROFILE", "MET1"), {}, dict),
    ("Profiles", "get_profile_id_by_email", ("a+b@example.com",), {}, dict),
    ("Profiles", "unset_profile_properties", ("01PROFILE", ["plan"]), {}, dict),
    ("Metrics", "get_metrics", (), {}, dict),
    ("Metrics", "get_metrics_timeline", (), {"since": 1714000000}, dict),
    ("Metrics", "get_metric_timeline_by_id", ("MET1",), {}, dict),
    ("Metrics", "get_metric_export", ("MET1",), EXPORT, dict),
    ("Campaigns", "get_campaigns", (), {}, dict),
    ("Campaigns", "get_campaign_recipients", ("CMP1",), {}, dict),
    ("DataPrivacy", "request_profile_deletion", ("a@example.com",), {}, dict),
]

#: Rows of :data:`KLAVIYO` whose live ``data`` is a fixed legacy body, not just a type.
KLAVIYO_DATA: dict[tuple[str, str], Any] = {
    ("DataPrivacy", "request_profile_deletion"): {
        "message": "Submitted new deletion task for customer."
    },
}

#: klaviyo-sdk 1.0.9: method → (args, kwargs, the legacy return check).
SDK: dict[str, tuple[tuple[Any, ...], dict[str, Any], Callable[[Any], bool]]] = {
    "track_get": ((TRACK,), {}, lambda r: r == "1"),
    "track_post": ((), {"data": TRACK}, lambda r: r == "1"),
    "identify_get": ((IDENTIFY,), {}, lambda r: r == "1"),
    "identify_post": ((), {"data": json.dumps(IDENTIFY)}, lambda r: r == "1"),
    "get_lists": ((), {}, lambda r: isinstance(r, list)),
    "create_list": ((), {"list_name": "Newsletter"}, lambda r: isinstance(r, dict)),
    "get_list_info": (("LIST1",), {}, lambda r: isinstance(r, dict)),
    "update_list_name": (("LIST1",), {"list_name": "Renamed"}, lambda r: r is None),
    "delete_list": (("LIST1",), {}, lambda r: r is None),
    "subscribe": (
        ("LIST1",),
        {"body": {"profiles": [{"email": "a@example.com"}]}},
        lambda r: isinstance(r, list),
    ),
    "unsubscribe": (("LIST1",), {"body": {"emails": EMAILS}}, lambda r: r is None),
    "get_list_subscriptions": (
        ("LIST1",),
        {"body": {"emails": EMAILS}},
        lambda r: isinstance(r, list),
    ),
    "add_members": (
        ("LIST1",),
        {"body": {"profiles": [{"email": "a@example.com"}]}},
        lambda r: isinstance(r, list),
    ),
    "remove_members": (("LIST1",), {"body": {"emails": EMAILS}}, lambda r: r is None),
    "get_list_members": (("LIST1",), {"body": {"emails": EMAILS}}, lambda r: isinstance(r, list)),
    "get_segment_members": (("SEG1",), {"body": {"emails": EMAILS}}, lambda r: isinstance(r, list)),
    "get_list_exclusions": (("LIST1",), {}, lambda r: isinstance(r, dict)),
    "get_members": (("LIST1",), {}, lambda r: isinstance(r, dict)),
    "get_global_exclusions": ((), {"count": 100}, lambda r: isinstance(r, dict)),
    "exclude_globally": ((), {"email": "a@example.com"}, lambda r: isinstance(r, dict)),
    "get_profile": (("01PROFILE",), {}, lambda r: isinstance(r, dict)),
    "update_profile": (
        ("01PROFILE",),
        {"params": {"plan": "gold", "vip": True}},
        lambda r: isinstance(r, dict),
    ),
    "get_profile_id": (
        (),
        {"email": "a@example.com"},
        lambda r: isinstance(r, InlineResponse2001) and bool(r.id),
    ),
    "exchange": ((), {"body": {"exchange_id": "kx1.AbC123"}}, lambda r: isinstance(r, dict)),
    "profile_metrics_timeline": (("01PROFILE",), {"count": 10}, lambda r: isinstance(r, dict)),
    "profile_metric_timeline": (("01PROFILE", "MET1"), {}, lambda r: isinstance(r, dict)),
    "get_metrics": ((), {"page": 0, "count": 50}, lambda r: isinstance(r, dict)),
    "metrics_timeline": ((), {"sort": "asc"}, lambda r: isinstance(r, dict)),
    "metric_timeline": (("MET1",), {}, lambda r: isinstance(r, dict)),
    "metric_export": (("MET1",), dict(EXPORT), lambda r: isinstance(r, dict)),
    "get_campaigns": ((), {}, lambda r: isinstance(r, dict)),
    "get_campaign_info": (("CMP1",), {}, lambda r: isinstance(r, dict)),
    "create_campaign": ((), dict(CAMPAIGN), lambda r: isinstance(r, dict)),
    "update_campaign": (
        ("CMP1",),
        {"subject": "Hi", "use_smart_sending": "False"},
        lambda r: isinstance(r, dict),
    ),
    "clone_campaign": (
        ("CMP1",),
        {"name": "Copy", "list_id": "LIST1"},
        lambda r: isinstance(r, dict),
    ),
    "schedule_campaign": (
        ("CMP1",),
        {"send_time": "2030-01-01 12:00:00"},
        lambda r: isinstance(r, dict),
    ),
    "send_campaign": (("CMP1",), {}, lambda r: isinstance(r, dict)),
    "cancel_campaign": (("CMP1",), {}, lambda r: isinstance(r, dict)),
    "get_campaign_recipients": (("CMP1",), {"count": 100}, lambda r: isinstance(r, dict)),
    "get_templates": ((), {}, lambda r: isinstance(r, dict)),
    "create_template": ((), {"name": "T", "html": "<p>hi</p>"}, lambda r: isinstance(r, dict)),
    "update_template": (("TMPL1",), {"html": "<p>bye</p>"}, lambda r: isinstance(r, dict)),
    "delete_template": (("TMPL1",), {}, lambda r: isinstance(r, dict)),
    "clone_template": (("TMPL1",), {"name": "Copy"}, lambda r: isinstance(r, dict)),
    "render_template": (
        ("TMPL1",),
        {"context": json.dumps({"name": "Ann"})},
        lambda r: isinstance(r, dict),
    ),
    "request_deletion": (
        (),
        {"body": {"email": "a@example.com"}},
        lambda r: isinstance(r, str) and r.startswith("{"),
    ),
}

#: Legacy methods with no new-API equivalent: they raise UnsupportedLegacyFeatureError, in
#: dry-run too, and are tested for that instead.
SDK_UNSUPPORTED = {
    "send_template": (("TMPL1",), {"from_email": "s@example.com", "to": "a@example.com"})
}

SDK_BY_NAME = {spec.name: spec for spec in METHODS}


def test_the_tables_cover_every_method() -> None:
    assert set(SDK) | set(SDK_UNSUPPORTED) == set(SDK_BY_NAME)
    assert len(SDK_BY_NAME) == 47
    legacy_methods = {(ns, name) for ns, name, *_ in KLAVIYO}
    assert len(legacy_methods) == 30
    assert set(KLAVIYO_DATA) <= legacy_methods


def _answers(
    spec: SpecValidator, fail: Optional[int] = None
) -> Callable[[klaviyo.PreparedRequest], klaviyo.RawResponse]:
    examples = ExampleAnswers(spec)

    def answer(request: klaviyo.PreparedRequest) -> klaviyo.RawResponse:
        if fail is not None:
            return json_response(
                fail, {"errors": [{"id": "e", "code": "x", "title": "T", "detail": "Failed."}]}
            )
        status, body = examples.answer(request.operation)
        return json_response(status, body)

    return answer


def _client(
    spec: SpecValidator, fail: Optional[int] = None
) -> tuple[klaviyo.CompatClient, RecordingTransport]:
    transport = RecordingTransport(_answers(spec, fail))
    return klaviyo.CompatClient(transport=transport, clock=lambda: NOW, max_attempts=1), transport


def _klaviyo(client: Optional[klaviyo.CompatClient] = None, **options: Any) -> klaviyo.Klaviyo:
    return klaviyo.Klaviyo(
        public_token=PUBLIC_KEY, private_token=PRIVATE_KEY, client=client, **options
    )


@pytest.mark.parametrize(
    ("namespace", "method", "args", "kwargs", "kind"),
    KLAVIYO,
    ids=[f"{r[0]}.{r[1]}-{i}" for i, r in enumerate(KLAVIYO)],
)
def test_klaviyo_dry_run_is_valid(
    spec: SpecValidator, namespace: str, method: str, args: Any, kwargs: Any, kind: type
) -> None:
    plan = getattr(getattr(_klaviyo(dry_run=True), namespace), method)(*args, **kwargs)
    assert isinstance(plan, klaviyo.Plan)
    assert plan.requests
    for request in plan.to_dict()["requests"]:
        spec.assert_valid(request)


@pytest.mark.parametrize(
    ("namespace", "method", "args", "kwargs", "kind"),
    KLAVIYO,
    ids=[f"{r[0]}.{r[1]}-{i}" for i, r in enumerate(KLAVIYO)],
)
def test_klaviyo_live_call_returns_the_legacy_response(
    spec: SpecValidator, namespace: str, method: str, args: Any, kwargs: Any, kind: type
) -> None:
    client, transport = _client(spec)
    response = getattr(getattr(_klaviyo(client), namespace), method)(*args, **kwargs)
    assert isinstance(response, KlaviyoAPIResponse)
    assert response.status_code == 200
    assert isinstance(response.data, kind), response.data
    if (namespace, method) in KLAVIYO_DATA:
        assert response.data == KLAVIYO_DATA[namespace, method]
    assert transport.count >= 1


LEGACY_ERRORS = [
    (403, exceptions.KlaviyoAuthenticationError),
    (429, exceptions.KlaviyoRateLimitException),
    (500, exceptions.KlaviyoServerError),
    (404, exceptions.KlaviyoAPIException),
]


@pytest.mark.parametrize(("status", "error"), LEGACY_ERRORS)
@pytest.mark.parametrize(
    ("namespace", "method", "args", "kwargs", "kind"),
    KLAVIYO[4:],
    ids=[f"{r[0]}.{r[1]}" for r in KLAVIYO[4:]],
)
def test_klaviyo_http_errors_raise_the_legacy_exceptions(
    spec: SpecValidator,
    namespace: str,
    method: str,
    args: Any,
    kwargs: Any,
    kind: type,
    status: int,
    error: type,
) -> None:
    client, _ = _client(spec, fail=status)
    with pytest.raises(error) as caught:
        getattr(getattr(_klaviyo(client), namespace), method)(*args, **kwargs)
    assert isinstance(caught.value, exceptions.KlaviyoAPIException)
    assert not isinstance(caught.value, exceptions.KlaviyoException)
    assert caught.value.status_code == status


@pytest.mark.parametrize("method", sorted(SDK))
def test_sdk_dry_run_is_valid(spec: SpecValidator, method: str) -> None:
    args, kwargs, _ = SDK[method]
    namespace = getattr(Client(PRIVATE_KEY, dry_run=True), SDK_BY_NAME[method].namespace)
    plan = getattr(namespace, method)(*args, **kwargs)
    assert isinstance(plan, klaviyo.Plan)
    for request in plan.to_dict()["requests"]:
        spec.assert_valid(request)


@pytest.mark.parametrize("method", sorted(SDK))
def test_sdk_live_call_returns_the_legacy_type(spec: SpecValidator, method: str) -> None:
    args, kwargs, check = SDK[method]
    client, _ = _client(spec)
    namespace = getattr(Client(PRIVATE_KEY, client=client), SDK_BY_NAME[method].namespace)
    result = getattr(namespace, method)(*args, **kwargs)
    assert check(result), result


@pytest.mark.parametrize(
    "method", sorted(set(SDK) - {"track_get", "track_post", "identify_get", "identify_post"})
)
def test_sdk_http_errors_raise_api_exception(spec: SpecValidator, method: str) -> None:
    args, kwargs, _ = SDK[method]
    client, _ = _client(spec, fail=404)
    namespace = getattr(Client(PRIVATE_KEY, client=client), SDK_BY_NAME[method].namespace)
    with pytest.raises(ApiException) as caught:
        getattr(namespace, method)(*args, **kwargs)
    assert caught.value.status == 404
    assert caught.value.reason == "Not Found"
    assert json.loads(caught.value.body or b"{}")["status"] == 404
    assert PRIVATE_KEY not in str(caught.value)


@pytest.mark.parametrize("method", sorted(SDK_UNSUPPORTED))
def test_sdk_unsupported_methods_say_what_to_do_instead(method: str) -> None:
    args, kwargs = SDK_UNSUPPORTED[method]
    modes: list[dict[str, Any]] = [{"dry_run": True}, {}]
    for options in modes:
        transport = RecordingTransport()
        client = klaviyo.CompatClient(transport=transport)
        namespace = getattr(
            Client(PRIVATE_KEY, client=client, **options), SDK_BY_NAME[method].namespace
        )
        with pytest.raises(exceptions.UnsupportedLegacyFeatureError) as caught:
            getattr(namespace, method)(*args, **kwargs)
        assert caught.value.instead
        assert transport.count == 0
