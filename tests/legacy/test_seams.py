"""The seams of ``klaviyo`` 3.1.7 that legacy code and tests patch or override.

Every public method builds the legacy wire request and hands it to exactly one
``_request``; ``_request`` calls ``requests.<method>`` (looked up when called) and gives the
answer to ``_handle_response``, which maps statuses to the legacy exceptions. A subclass
overriding one of them still runs against the translation core.
"""

from __future__ import annotations

import base64
import inspect
import json
import logging
import threading
from collections.abc import Iterator, Mapping
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, ClassVar, Optional
from unittest import mock
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

import klaviyo_legacy_compat as klaviyo
from klaviyo_legacy_compat import exceptions
from klaviyo_legacy_compat.legacy.api_helper import KlaviyoAPI, KlaviyoAPIResponse
from klaviyo_legacy_compat.legacy.campaigns import Campaigns
from klaviyo_legacy_compat.legacy.data_privacy import DataPrivacy
from klaviyo_legacy_compat.legacy.lists import Lists
from klaviyo_legacy_compat.legacy.metrics import Metrics
from klaviyo_legacy_compat.legacy.profiles import Profiles
from klaviyo_legacy_compat.legacy.public import Public
from klaviyo_legacy_compat.testing import RecordingTransport, json_response
from tests.conftest import NOW, PRIVATE_KEY, PUBLIC_KEY

SERVER = "http://127.0.0.1:8765/api"
EMAILS = ["a@example.com", "b@example.com"]
PROFILE = [{"email": "a@example.com", "plan": "gold"}]


def _tokens(cls: type[KlaviyoAPI], **options: Any) -> Any:
    return cls(public_token=PUBLIC_KEY, private_token=PRIVATE_KEY, api_server=SERVER, **options)


def _pixel(payload: dict[str, Any]) -> dict[str, Any]:
    return {"token": PUBLIC_KEY, **payload}


#: (class, method, args, kwargs) → (HTTP method, path under api_server, where the arguments
#: travel: "query" (v1), "json" (v2 body), "pixel" (public GET) or "form" (public POST), and
#: what travels there besides the key).
WIRE: list[tuple[type[KlaviyoAPI], str, tuple[Any, ...], dict[str, Any], str, str, str, Any]] = [
    (
        Public,
        "track",
        ("Viewed",),
        {"email": "a@example.com", "properties": {"n": 1}},
        "get",
        "/track",
        "pixel",
        _pixel(
            {
                "event": "Viewed",
                "properties": {"n": 1},
                "customer_properties": {"email": "a@example.com"},
                "time": None,
            }
        ),
    ),
    (
        Public,
        "track",
        ("Ordered",),
        {"external_id": 7, "ip_address": "10.0.0.1", "timestamp": 1714560000, "method": "POST"},
        "post",
        "/track",
        "form",
        _pixel(
            {
                "event": "Ordered",
                "properties": {},
                "customer_properties": {"id": 7},
                "time": 1714560000,
                "ip": "10.0.0.1",
            }
        ),
    ),
    (
        Public,
        "track_once",
        ("Started",),
        {"email": "a@example.com"},
        "get",
        "/track",
        "pixel",
        _pixel(
            {
                "event": "Started",
                "properties": {"__track_once__": True},
                "customer_properties": {"email": "a@example.com"},
                "time": None,
            }
        ),
    ),
    (
        Public,
        "identify",
        ("a@example.com",),
        {"properties": {"plan": "gold"}},
        "get",
        "/identify",
        "pixel",
        _pixel({"properties": {"plan": "gold", "email": "a@example.com"}}),
    ),
    (
        Public,
        "identify",
        (),
        {"external_id": "X1", "method": "post"},
        "post",
        "/identify",
        "form",
        _pixel({"properties": {"id": "X1"}}),
    ),
    (Lists, "get_lists", (), {}, "get", "/v2/lists", "json", {}),
    (Lists, "create_list", ("News",), {}, "post", "/v2/lists", "json", {"list_name": "News"}),
    (Lists, "get_list_by_id", ("L1",), {}, "get", "/v2/list/L1", "json", {}),
    (
        Lists,
        "update_list_name_by_id",
        ("L1", "Renamed"),
        {},
        "put",
        "/v2/list/L1",
        "json",
        {"list_name": "Renamed"},
    ),
    (Lists, "delete_list", ("L1",), {}, "delete", "/v2/list/L1", "json", {}),
    (
        Lists,
        "add_subscribers_to_list",
        ("L1", PROFILE),
        {},
        "post",
        "/v2/list/L1/subscribe",
        "json",
        {"profiles": PROFILE},
    ),
    (
        Lists,
        "get_subscribers_from_list",
        ("L1", EMAILS),
        {},
        "get",
        "/v2/list/L1/subscribe",
        "json",
        {"emails": EMAILS},
    ),
    (
        Lists,
        "delete_subscribers_from_list",
        ("L1", EMAILS),
        {},
        "delete",
        "/v2/list/L1/subscribe",
        "json",
        {"emails": EMAILS},
    ),
    (
        Lists,
        "add_members_to_list",
        ("L1", PROFILE),
        {},
        "post",
        "/v2/list/L1/members",
        "json",
        {"profiles": PROFILE},
    ),
    (
        Lists,
        "get_members_from_list",
        ("L1", EMAILS),
        {},
        "get",
        "/v2/list/L1/members",
        "json",
        {"emails": EMAILS},
    ),
    (
        Lists,
        "remove_members_from_list",
        ("L1", EMAILS),
        {},
        "delete",
        "/v2/list/L1/members",
        "json",
        {"emails": EMAILS},
    ),
    (Lists, "get_list_exclusions", ("L1",), {}, "get", "/v2/list/L1/exclusions/all", "json", {}),
    (
        Lists,
        "get_all_members",
        ("G1",),
        {"marker": 2000},
        "get",
        "/v2/group/G1/members/all",
        "json",
        {"marker": 2000},
    ),
    (
        Lists,
        "get_members_from_segment",
        ("S1", EMAILS),
        {},
        "get",
        "/v1/segment/S1/members",
        "query",
        {"email": "a@example.com,b@example.com"},
    ),
    (Profiles, "get_profile", ("P1",), {}, "get", "/v1/person/P1", "query", {}),
    (
        Profiles,
        "update_profile",
        ("P1", {"$first_name": "Ann", "vip": True}),
        {},
        "put",
        "/v1/person/P1",
        "query",
        {"$first_name": "Ann", "vip": True},
    ),
    (
        Profiles,
        "get_profile_metrics_timeline",
        ("P1",),
        {},
        "get",
        "/v1/person/P1/metrics/timeline",
        "query",
        {"count": 100, "sort": "desc"},
    ),
    (
        Profiles,
        "get_profile_metrics_timeline_by_id",
        ("P1", "M1"),
        {"since": 1714560000},
        "get",
        "/v1/person/P1/metric/M1/timeline",
        "query",
        {"count": 100, "sort": "desc", "since": 1714560000},
    ),
    (
        Profiles,
        "get_profile_id_by_email",
        ("a@example.com",),
        {},
        "get",
        "/v2/people/search",
        "json",
        {"email": "a@example.com"},
    ),
    (
        Profiles,
        "unset_profile_properties",
        ("P1", ["plan"]),
        {},
        "put",
        "/v1/person/P1",
        "query",
        {"$unset": '["plan"]'},
    ),
    (Metrics, "get_metrics", (), {}, "get", "/v1/metrics", "query", {"page": 0, "count": 50}),
    (
        Metrics,
        "get_metrics_timeline",
        (),
        {"sort": "asc"},
        "get",
        "/v1/metrics/timeline",
        "query",
        {"count": 100, "sort": "asc"},
    ),
    (
        Metrics,
        "get_metric_timeline_by_id",
        ("M1",),
        {"count": 10},
        "get",
        "/v1/metric/M1/timeline",
        "query",
        {"count": 10, "sort": "desc"},
    ),
    (
        Metrics,
        "get_metric_export",
        ("M1",),
        {"unit": "day", "measurement": "count"},
        "get",
        "/v1/metric/M1/export",
        "query",
        {"metric_id": "M1", "unit": "day", "measurement": "count"},
    ),
    (
        Campaigns,
        "get_campaigns",
        (),
        {"page": 2},
        "get",
        "/v1/campaigns",
        "query",
        {"page": 2, "count": 50},
    ),
    (
        Campaigns,
        "get_campaign_recipients",
        ("C1",),
        {},
        "get",
        "/v1/campaign/C1/recipients",
        "query",
        {"count": 5000, "sort": "asc", "offset": ""},
    ),
    (
        DataPrivacy,
        "request_profile_deletion",
        ("+15005550006",),
        {"id_type": "phone_number"},
        "post",
        "/v2/data-privacy/deletion-request",
        "json",
        {"phone_number": "+15005550006"},
    ),
]


def _bound(call: Any) -> dict[str, Any]:
    """The arguments of one recorded ``_request(self, ...)`` call, by name, defaults filled."""
    bound = inspect.signature(KlaviyoAPI._request).bind(*call.args, **call.kwargs)
    bound.apply_defaults()
    return dict(bound.arguments)


def _decoded(value: str) -> Any:
    return json.loads(base64.b64decode(value))


def test_the_table_covers_every_method() -> None:
    covered = {(cls, name) for cls, name, *_ in WIRE}
    public = {
        (cls, name)
        for cls in (Public, Lists, Profiles, Metrics, Campaigns, DataPrivacy)
        for name, value in vars(cls).items()
        if callable(value) and not name.startswith("_")
    }
    assert covered == public and len(public) == 30


@pytest.mark.parametrize(
    ("cls", "name", "args", "kwargs", "method", "path", "where", "sent"),
    WIRE,
    ids=[f"{row[0].__name__}.{row[1]}-{i}" for i, row in enumerate(WIRE)],
)
def test_each_method_makes_one_legacy_request_through_request(
    cls: type[KlaviyoAPI],
    name: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    method: str,
    path: str,
    where: str,
    sent: Any,
) -> None:
    answer = object()
    with mock.patch.object(KlaviyoAPI, "_request", autospec=True, return_value=answer) as seam:
        assert getattr(_tokens(cls), name)(*args, **kwargs) is answer
    assert seam.call_count == 1
    call = _bound(seam.call_args)
    assert call["method"].lower() == method
    url = urlsplit(call["url"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == SERVER + path
    if where == "query":  # v1: the private key and the arguments in the query
        assert call["params"] == {**sent, "api_key": PRIVATE_KEY} and call["data"] is None
    elif where == "json":  # v2: in a JSON body, even for GET and DELETE
        assert call["params"] is None and call["request_type"] == KlaviyoAPI.PRIVATE
        assert json.loads(call["data"]) == {**sent, "api_key": PRIVATE_KEY}
    elif where == "pixel":  # public GET: base64 JSON in data=, test=0
        query = parse_qs(url.query)
        assert query["test"] == ["0"] and _decoded(query["data"][0]) == sent
        assert call["request_type"] == KlaviyoAPI.PUBLIC and call["data"] is None
    else:  # public POST: a form with the percent-quoted JSON in data=
        assert call["request_type"] == KlaviyoAPI.PUBLIC and not url.query
        assert json.loads(parse_qs(call["data"])["data"][0]) == sent
        assert call["headers"] == KlaviyoAPI.POST_HEADERS


def test_the_callers_arguments_are_not_changed() -> None:
    profiles = [{"email": "a@example.com"}]
    properties = {"plan": "gold"}
    with mock.patch.object(KlaviyoAPI, "_request", autospec=True):
        _tokens(Lists).add_subscribers_to_list("L1", profiles)
        _tokens(Profiles).update_profile("P1", properties)
        _tokens(Public).identify("a@example.com", properties=properties)
    assert profiles == [{"email": "a@example.com"}] and properties == {"plan": "gold"}


def test_a_query_value_requests_would_garble_travels_as_json_text() -> None:
    with mock.patch.object(KlaviyoAPI, "_request", autospec=True) as seam:
        _tokens(Metrics).get_metric_export("M1", where=[["$value", ">", 10]])
        _tokens(Profiles).update_profile("P1", {"address": {"city": "Oslo"}, "tags": ["a", "b"]})
    export, update = (_bound(call)["params"] for call in seam.call_args_list)
    assert export["where"] == '[["$value", ">", 10]]'  # requests would send "['$value', ...]"
    assert update["address"] == '{"city": "Oslo"}'  # requests would send "city"
    assert update["tags"] == ["a", "b"]  # repeated keys, as requests sent them


class _Answer:
    """A stand-in for a ``requests.Response``: status, text, JSON."""

    def __init__(self, status_code: int, text: str = "", headers: Optional[dict[str, str]] = None):
        self.status_code = status_code
        self.text = text
        self.headers = headers or {}

    def json(self) -> Any:
        return json.loads(self.text)


@pytest.mark.parametrize("method", ["get", "post", "put", "delete", "GET"])
def test_request_calls_the_requests_function_of_its_method_once(method: str) -> None:
    lists = _tokens(Lists)
    handled = object()
    function = mock.MagicMock(name=f"requests.{method.lower()}")
    handle = mock.MagicMock(return_value=handled)
    with (
        mock.patch.object(requests, method.lower(), function),
        mock.patch.object(KlaviyoAPI, "_handle_response", handle),
    ):
        result = lists._request(
            method, f"{SERVER}/v2/lists", params={"a": 1}, data="{}", headers={"X-Trace": "t"}
        )
    assert result is handled
    function.assert_called_once_with(
        f"{SERVER}/v2/lists",
        headers={**KlaviyoAPI.BASE_HEADERS, "X-Trace": "t"},
        params={"a": 1},
        data="{}",
    )
    handle.assert_called_once_with(function.return_value)


def test_request_checks_the_token_of_its_kind_before_sending() -> None:
    with mock.patch.object(requests, "get") as function:
        with pytest.raises(exceptions.KlaviyoConfigurationException, match="Private token"):
            Lists(public_token=PUBLIC_KEY)._request("get", f"{SERVER}/v2/lists")
        with pytest.raises(exceptions.KlaviyoConfigurationException, match="Public token"):
            Lists(private_token=PRIVATE_KEY)._request(
                "get", f"{SERVER}/track", request_type=KlaviyoAPI.PUBLIC
            )
    function.assert_not_called()


def test_a_patched_requests_function_answers_a_whole_call() -> None:
    with mock.patch.object(requests, "get", return_value=_Answer(200, '[{"list_id": "L1"}]')):
        assert _tokens(Lists).get_lists() == KlaviyoAPIResponse(200, [{"list_id": "L1"}])


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (403, exceptions.KlaviyoAuthenticationError),
        (401, exceptions.KlaviyoAuthenticationError),  # a KlaviyoAPIException, as in 3.1.7
        (429, exceptions.KlaviyoRateLimitException),
        (500, exceptions.KlaviyoServerError),
        (503, exceptions.KlaviyoServerError),
        (502, exceptions.KlaviyoServerError),
        (400, exceptions.BadRequestError),
        (404, exceptions.NotFoundError),
        (410, exceptions.KlaviyoAPIException),
        (201, exceptions.KlaviyoAPIException),  # 3.1.7 took only 200 and 202 for success
        (204, exceptions.KlaviyoAPIException),
    ],
)
def test_handle_response_raises_the_legacy_exception_of_the_status(
    status: int, error: type[Exception]
) -> None:
    answer = _Answer(status, json.dumps({"status": status, "message": "no"}))
    with pytest.raises(error) as caught:
        _tokens(Lists)._handle_response(answer)
    raised = caught.value
    assert type(raised) is error  # first: mypy 1.19 (Python 3.9's) narrows to Exception here
    assert isinstance(raised, exceptions.KlaviyoAPIException)
    assert not isinstance(raised, exceptions.KlaviyoException)
    assert (raised.status_code, raised.response, raised.message) == (
        status,
        answer,
        {"status": status, "message": "no"},
    )
    assert str(raised) == f"Failed with status code: {status}"


def test_handle_response_reads_a_text_error_and_a_legacy_throttle() -> None:
    with pytest.raises(exceptions.KlaviyoServerError) as caught:
        _tokens(Lists)._handle_response(_Answer(503, "<html>busy</html>"))
    assert caught.value.message == "<html>busy</html>"  # not JSON: the text, as 3.1.7
    throttle = '{"detail": "Request was throttled. Expected available in 56.0 seconds."}'
    with pytest.raises(exceptions.KlaviyoRateLimitException) as throttled:
        _tokens(Lists)._handle_response(_Answer(429, throttle))
    assert throttled.value.retry_after == 56.0


@pytest.mark.parametrize(
    ("status", "text", "data"),
    [
        (200, '{"list_id": "L1"}', {"list_id": "L1"}),
        (202, "[]", []),
        (200, "1", 1),  # track and identify: JSON, so the int
        (200, "", ""),  # v2 updates and deletes
    ],
)
def test_handle_response_answers_successes(status: int, text: str, data: Any) -> None:
    assert _tokens(Lists)._handle_response(_Answer(status, text)) == KlaviyoAPIResponse(
        status, data
    )


def test_handle_response_refuses_a_body_that_is_not_json() -> None:
    # 3.1.7 meant to raise this, and raised a TypeError by mistake (legacy-surface.md A.4).
    with pytest.raises(exceptions.KlaviyoAPIException) as caught:
        _tokens(Lists)._handle_response(_Answer(200, "<html>"))
    assert caught.value.message.startswith("Request did not return json")


def test_build_query_string_is_base64_json_and_the_test_flag() -> None:
    public = _tokens(Public)
    payload = {"token": PUBLIC_KEY, "event": "Viewed ü", "properties": {"n": 1}}
    for is_test, flag in ((False, "0"), (True, "1")):
        text = public._build_query_string(payload, is_test)
        assert isinstance(text, str) and text.startswith("data=") and f"&test={flag}" in text
        query = parse_qs(text)
        assert _decoded(query["data"][0]) == payload and query["test"] == [flag]
    form = public._build_data_string(payload)
    assert form.startswith("data=") and json.loads(parse_qs(form)["data"][0]) == payload


# --- live, through the translation core -----------------------------------------------------


@pytest.fixture(autouse=True)
def _no_internet() -> Iterator[None]:
    """A legacy request that escaped the translation core fails here, never goes out."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as network:
        network.add_passthru("http://127.0.0.1")
        yield


def _recording(**options: Any) -> tuple[klaviyo.CompatClient, RecordingTransport]:
    transport = RecordingTransport()
    return klaviyo.CompatClient(transport=transport, clock=lambda: NOW, **options), transport


class _TimedLists(Lists):
    """A subclass as users wrote them: its own ``_request`` with a timeout and a log line."""

    def _request(
        self,
        method: str,
        url: str,
        params: Any = None,
        data: Any = None,
        request_type: str = KlaviyoAPI.PRIVATE,
        headers: Optional[Mapping[str, str]] = None,
    ) -> Any:
        self._is_valid_request_option(request_type)
        logging.getLogger("app").info("klaviyo %s %s", method, urlsplit(url).path)
        response = getattr(requests, method)(
            url,
            headers={**self.BASE_HEADERS, **(headers or {})},
            params=params,
            data=data,
            timeout=(2, 7),
        )
        return self._handle_response(response)


class _LoggedPublic(Public):
    """A subclass that wraps the seam and calls the original."""

    seen: ClassVar[list[str]] = []

    def _request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        self.seen.append(f"{method} {urlsplit(url).path}")
        return super()._request(method, url, *args, **kwargs)


def test_a_subclass_with_its_own_request_runs_live(caplog: pytest.LogCaptureFixture) -> None:
    client, transport = _recording()
    lists = _TimedLists(private_token=PRIVATE_KEY, client=client)
    with caplog.at_level(logging.INFO, logger="app"):
        assert lists.create_list("News") == KlaviyoAPIResponse(200, {"list_id": None})
    assert transport.operations() == ["create_list"]
    assert transport.requests[0].timeout == (2, 7)  # its timeout reached the new API's request
    assert transport.requests[0].json == {"data": {"type": "list", "attributes": {"name": "News"}}}
    assert "klaviyo post /api/v2/lists" in caplog.text


def test_a_subclass_wrapping_request_runs_live() -> None:
    client, transport = _recording()
    public = _LoggedPublic(public_token=PUBLIC_KEY, private_token=PRIVATE_KEY, client=client)
    assert public.identify("a@example.com", method="post") == KlaviyoAPIResponse(200, 1)
    assert public.seen == ["post /api/identify"]
    assert transport.operations() == ["create_or_update_profile"]


def test_code_copied_from_3_1_7_that_names_its_host_runs_live() -> None:
    # 3.1.7 posted track/identify to KLAVIYO_API_SERVER whatever api_server was.
    client, transport = _recording()
    public = Public(public_token=PUBLIC_KEY, api_server=SERVER, client=client)
    url = f"{public.KLAVIYO_API_SERVER}/{public.TRACK}"
    data = public._build_data_string(
        {"token": PUBLIC_KEY, "event": "Viewed", "customer_properties": {"$email": "a@x.io"}}
    )
    answer = public._request(
        "post", url, data=data, request_type=public.PUBLIC, headers=public.POST_HEADERS
    )
    assert answer == KlaviyoAPIResponse(200, 1)
    assert transport.operations() == ["create_client_event"]
    assert transport.requests[0].url == "http://127.0.0.1:8765/client/events"


def test_threads_each_run_on_their_own_client() -> None:
    # The routing is per thread: concurrent calls of objects on different clients (one in
    # dry-run) never answer each other's requests.
    clients = [_recording() for _ in range(4)]
    dry = Lists(private_token=PRIVATE_KEY, dry_run=True)
    start = threading.Barrier(len(clients) + 1)
    results: dict[int, list[Any]] = {i: [] for i in range(len(clients) + 1)}

    def work(index: int, lists: Lists) -> None:
        start.wait()
        for number in range(20):
            results[index].append(lists.create_list(f"L{index}-{number}"))

    threads = [
        threading.Thread(target=work, args=(i, Lists(private_token=PRIVATE_KEY, client=client)))
        for i, (client, _) in enumerate(clients)
    ]
    threads.append(threading.Thread(target=work, args=(len(clients), dry)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for index, (_, transport) in enumerate(clients):
        names = [_body(r)["data"]["attributes"]["name"] for r in transport.requests]
        assert names == [f"L{index}-{number}" for number in range(20)]
        assert all(isinstance(r, KlaviyoAPIResponse) for r in results[index])
    assert all(isinstance(r, klaviyo.Plan) for r in results[len(clients)])


def test_local_errors_are_raised_from_the_requests_call() -> None:
    client, transport = _recording()
    lists = Lists(private_token=PRIVATE_KEY, client=client)
    with pytest.raises(exceptions.TranslationError) as caught:
        lists.add_subscribers_to_list("L1", [{"email": "not-an-email"}])
    # The only identifier is invalid (the leniency policy keeps it, but cannot subscribe it).
    assert caught.value.field == "profiles[0]"
    assert "not-an-email" in str(caught.value)
    assert transport.count == 0
    down = Lists(private_token=PRIVATE_KEY, api_server="http://127.0.0.1:9/api", retry_budget=0)
    with pytest.raises(requests.exceptions.ConnectionError):  # as requests raised it
        down.get_lists()


def test_dry_run_answers_the_plan() -> None:
    plan = Public(public_token=PUBLIC_KEY, dry_run=True).track("Viewed", email="a@example.com")
    assert isinstance(plan, klaviyo.Plan)
    assert [r.operation for r in plan.requests] == ["create_client_event"]


NAIVE = datetime(2024, 4, 30, 9, 0)  # noqa: DTZ001 - legacy code passed naive datetimes


def _body(request: klaviyo.PreparedRequest) -> Any:
    """The JSON body sent (typed loosely, for indexing)."""
    return request.json


def _generated() -> Iterator[dict[str, Any]]:
    yield {"email": "a@example.com", "signed_up": date(2024, 4, 1)}
    yield {"email": "b@example.com", "credit": Decimal("12.50")}


def test_bodies_carry_dates_decimals_and_any_iterable() -> None:
    client, transport = _recording()
    legacy = klaviyo.Klaviyo(PUBLIC_KEY, PRIVATE_KEY, client=client)
    aware = datetime(2024, 4, 30, 9, 0, tzinfo=timezone(timedelta(hours=2)))
    response = legacy.Public.track(
        "Ordered",
        email="a@example.com",
        properties={"at": aware, "on": date(2024, 4, 30), "total": Decimal("9.99")},
    )
    assert response == KlaviyoAPIResponse(200, 1)
    attributes = _body(transport.requests[0])["data"]["attributes"]
    assert attributes["properties"] == {
        "at": "2024-04-30T07:00:00+00:00",
        "on": "2024-04-30",
        "total": 9.99,
    }
    assert legacy.Lists.add_members_to_list("L1", _generated()).status_code == 200
    upserts = [_body(r) for r in transport.requests if r.operation == "create_or_update_profile"]
    assert [u["data"]["attributes"] for u in upserts] == [
        {"email": "a@example.com", "properties": {"signed_up": "2024-04-01"}},
        {"email": "b@example.com", "properties": {"credit": 12.5}},
    ]


@pytest.mark.parametrize(
    ("options", "timestamp", "expected"),
    [
        # Naive datetimes, deliberately: legacy code passed them.
        ({"naive_datetime": "utc"}, NAIVE, "2024-04-30T09:00:00+00:00"),
        ({"naive_datetime": "local"}, NAIVE, NAIVE.astimezone(timezone.utc).isoformat()),
        (
            {"naive_datetime": "utc"},
            datetime(2024, 4, 30, 9, 0, tzinfo=timezone(timedelta(hours=-5))),
            "2024-04-30T14:00:00+00:00",
        ),
        ({}, 1714467600, "2024-04-30T09:00:00+00:00"),
    ],
)
def test_timestamps_keep_the_naive_datetime_option(
    options: dict[str, Any], timestamp: Any, expected: str
) -> None:
    client, transport = _recording()
    public = Public(public_token=PUBLIC_KEY, client=client, **options)
    public.track("Viewed", email="a@example.com", timestamp=timestamp, method="post")
    assert _body(transport.requests[0])["data"]["attributes"]["time"] == expected


def test_a_live_error_keeps_the_new_apis_details() -> None:
    def answer(request: klaviyo.PreparedRequest) -> klaviyo.RawResponse:
        body = {"errors": [{"code": "not_found", "title": "Not found.", "detail": "No list."}]}
        return json_response(404, body, (("x-request-id", "r-1"),))

    transport = RecordingTransport(answer)
    client = klaviyo.CompatClient(transport=transport, max_attempts=1)
    with pytest.raises(exceptions.KlaviyoAPIException) as caught:
        Lists(private_token=PRIVATE_KEY, client=client).get_list_by_id("L404")
    error = caught.value
    assert isinstance(error, exceptions.NotFoundError)
    assert error.request is not None and error.request.operation == "get_list"
    assert error.errors[0].code == "not_found"
    assert error.message["detail"] == "No list." and error.response.json() == error.message
    assert error.response.headers["X-Request-Id"] == "r-1"
    assert error.api_response is not None and error.api_response.status == 404
