"""The ``klaviyo`` 2.x flat surface on ``Klaviyo`` (legacy-surface.md A.9): 2.0.4's exact
signatures, the legacy request each method sends (the ``api_key`` where 2.0.4 put it), the
same translation as that raw request, 2.0.4's results (bools, raw JSON, ``'1'``, error bodies
returned and not raised), its refusals, and the 2.0.4 bugs not copied."""

from __future__ import annotations

import base64
import inspect
import json
import logging
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Optional

import pytest
import requests

import klaviyo_legacy_compat as klaviyo
from klaviyo_legacy_compat import exceptions
from klaviyo_legacy_compat._core.wire import LegacyHTTPRequest, parse_legacy_request
from klaviyo_legacy_compat.cli import request_from_json
from klaviyo_legacy_compat.legacy import flat
from klaviyo_legacy_compat.legacy.api import Klaviyo
from klaviyo_legacy_compat.legacy_http import LegacyHTTPResponse
from klaviyo_legacy_compat.testing import LocalKlaviyo, RecordingTransport, json_response
from tests.conftest import NOW, PRIVATE_KEY, PUBLIC_KEY

E = inspect.Parameter.empty
BASE = "https://a.klaviyo.com/api"
Call = Callable[[Klaviyo], Any]

TRACK = (
    ("event", E),
    ("email", None),
    ("id", None),
    ("properties", None),
    ("customer_properties", None),
    ("timestamp", None),
    ("ip_address", None),
    ("is_test", False),
)
TIMELINE = (("since", None), ("count", 100), ("sort", "desc"))

#: 2.0.4's methods → ((name, default), ...) after ``self``; ``E``: no default.
SIGNATURES: dict[str, tuple[tuple[str, Any], ...]] = {
    "track": TRACK,
    "track_once": TRACK,
    "identify": (("email", None), ("id", None), ("properties", None), ("is_test", False)),
    "metrics": (("page", 0), ("count", 50)),
    "metric_timeline": (("metric_id", None), *TIMELINE),
    "metric_export": (
        ("metric_id", E),
        ("start_date", None),
        ("end_date", None),
        ("unit", None),
        ("measurement", None),
        ("where", None),
        ("by", None),
        ("count", None),
    ),
    "lists": (("list_name", None), ("method", "GET")),
    "list": (("list_id", E), ("list_name", None), ("method", "GET")),
    "list_subscription": (
        ("list_id", E),
        ("data", E),
        ("subscription_type", "subscribe"),
        ("method", "GET"),
    ),
    "unsubscribe_from_list": (("list_id", E), ("emails", E), ("subscription_type", "subscribe")),
    "list_exclusions": (("list_id", E), ("marker", None)),
    "all_members": (("group_id", E), ("marker", None)),
    "get_profile": (("profile_id", E),),
    "get_profile_metrics_timeline": (("profile_id", E), *TIMELINE),
    "get_profile_metric_timeline": (("profile_id", E), ("metric_id", E), *TIMELINE),
}


def recording(
    handler: Optional[Callable[[Any], Any]] = None, **options: Any
) -> tuple[klaviyo.CompatClient, RecordingTransport]:
    transport = RecordingTransport(handler)
    return klaviyo.CompatClient(transport=transport, clock=lambda: NOW, **options), transport


# --- the surface ---------------------------------------------------------------------------


def test_the_fifteen_methods_of_2_0_4_are_on_klaviyo() -> None:
    public = {
        name
        for name, value in vars(flat.FlatAPI).items()
        if callable(value) and not name.startswith("_")
    }
    assert public == set(SIGNATURES) and len(public) == 15
    assert issubclass(Klaviyo, flat.FlatAPI)


@pytest.mark.parametrize("name", list(SIGNATURES))
def test_signature(name: str) -> None:
    parameters = list(inspect.signature(getattr(Klaviyo, name)).parameters.values())[1:]
    assert tuple((p.name, p.default) for p in parameters) == SIGNATURES[name]
    assert all(p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD for p in parameters)


def test_the_constructor_takes_api_server_third_and_never_raises() -> None:
    parameters = list(inspect.signature(Klaviyo).parameters.values())
    assert [(p.name, p.default) for p in parameters[:3]] == [
        ("public_token", None),
        ("private_token", None),
        ("api_server", "https://a.klaviyo.com/api"),
    ]
    legacy = Klaviyo()  # 2.0.4 raised here; 3.1.7's Klaviyo() never does, and neither does this
    with pytest.raises(exceptions.KlaviyoConfigurationException):
        legacy.metrics()
    assert Klaviyo(PUBLIC_KEY, PRIVATE_KEY, "http://127.0.0.1:1/api").api_server == (
        "http://127.0.0.1:1/api"
    )


# --- the legacy request each method sends --------------------------------------------------


class Sent:
    """Stands in for ``legacy_http.respond``: records each request and its options."""

    def __init__(self) -> None:
        self.calls: list[tuple[LegacyHTTPRequest, dict[str, Any]]] = []

    def __call__(self, request: LegacyHTTPRequest, client: Any, **options: Any) -> Any:
        self.calls.append((request, options))
        return LegacyHTTPResponse(200, (), b"1" if "/track" in request.url else b"{}")

    @property
    def request(self) -> LegacyHTTPRequest:
        assert len(self.calls) == 1
        return self.calls[0][0]


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> Sent:
    recorder = Sent()
    monkeypatch.setattr(flat, "respond", recorder)
    return recorder


K = PRIVATE_KEY
EMAILS = ["a@example.com", "b@example.com"]
PROFILES = [{"email": "a@example.com", "$first_name": "Ann"}]


def v1(query: dict[str, str]) -> dict[str, list[str]]:
    return {key: [value] for key, value in {**query, "api_key": K}.items()}


WIRE = [
    pytest.param(
        lambda k: k.metrics(),
        "GET",
        "/api/v1/metrics",
        v1({"page": "0", "count": "50"}),
        None,
        id="metrics",
    ),
    pytest.param(
        lambda k: k.metrics(page=2, count=10),
        "GET",
        "/api/v1/metrics",
        v1({"page": "2", "count": "10"}),
        None,
        id="metrics_page",
    ),
    pytest.param(
        lambda k: k.metric_timeline(),
        "GET",
        "/api/v1/metrics/timeline",
        v1({"count": "100", "sort": "desc"}),
        None,
        id="metrics_timeline",
    ),
    pytest.param(
        lambda k: k.metric_timeline("AbC123", since=1714521600, sort="asc"),
        "GET",
        "/api/v1/metric/AbC123/timeline",
        v1({"count": "100", "sort": "asc", "since": "1714521600"}),
        None,
        id="metric_timeline",
    ),
    pytest.param(
        lambda k: k.metric_export(
            "AbC123", "2024-04-01", "2024-04-30", "week", "unique", [["$value", "=", 5]]
        ),
        "GET",
        "/api/v1/metric/AbC123/export",
        v1(
            {
                "metric_id": "AbC123",
                "start_date": "2024-04-01",
                "end_date": "2024-04-30",
                "unit": "week",
                "measurement": "unique",
                "where": '[["$value", "=", 5]]',
            }
        ),
        None,
        id="metric_export_where_list_as_json",
    ),
    pytest.param(lambda k: k.lists(), "GET", "/api/v2/lists", {}, {"api_key": K}, id="lists"),
    pytest.param(
        lambda k: k.lists("VIP", method="post"),
        "POST",
        "/api/v2/lists",
        {},
        {"list_name": "VIP", "api_key": K},
        id="lists_create",
    ),
    pytest.param(lambda k: k.list("XyZ"), "GET", "/api/v2/list/XyZ", {}, {"api_key": K}, id="list"),
    pytest.param(
        lambda k: k.list("XyZ", "VIP", "PUT"),
        "PUT",
        "/api/v2/list/XyZ",
        {},
        {"list_name": "VIP", "api_key": K},
        id="list_rename",
    ),
    pytest.param(
        lambda k: k.list("XyZ", method="delete"),
        "DELETE",
        "/api/v2/list/XyZ",
        {},
        {"api_key": K},
        id="list_delete",
    ),
    pytest.param(
        lambda k: k.list_subscription("XyZ", EMAILS),
        "GET",
        "/api/v2/list/XyZ/subscribe",
        {},
        {"emails": EMAILS, "api_key": K},
        id="subscription_check",
    ),
    pytest.param(
        lambda k: k.list_subscription("XyZ", EMAILS, "members"),
        "GET",
        "/api/v2/list/XyZ/members",
        {},
        {"emails": EMAILS, "api_key": K},
        id="membership_check",
    ),
    pytest.param(
        lambda k: k.list_subscription("XyZ", PROFILES, method="POST"),
        "POST",
        "/api/v2/list/XyZ/subscribe",
        {},
        {"profiles": PROFILES, "api_key": K},
        id="subscribe",
    ),
    pytest.param(
        lambda k: k.list_subscription("XyZ", PROFILES, "members", "post"),
        "POST",
        "/api/v2/list/XyZ/members",
        {},
        {"profiles": PROFILES, "api_key": K},
        id="add_members",
    ),
    pytest.param(
        lambda k: k.unsubscribe_from_list("XyZ", EMAILS),
        "DELETE",
        "/api/v2/list/XyZ/subscribe",
        {},
        {"emails": EMAILS, "api_key": K},
        id="unsubscribe",
    ),
    pytest.param(
        lambda k: k.unsubscribe_from_list("XyZ", EMAILS, "members"),
        "DELETE",
        "/api/v2/list/XyZ/members",
        {},
        {"emails": EMAILS, "api_key": K},
        id="remove_members",
    ),
    # 2.0.4 sent "list/{}/exclusions/all" without the id (a bug): the id is sent.
    pytest.param(
        lambda k: k.list_exclusions("XyZ"),
        "GET",
        "/api/v2/list/XyZ/exclusions/all",
        {},
        {"api_key": K},
        id="list_exclusions",
    ),
    pytest.param(
        lambda k: k.list_exclusions("XyZ", marker="lc.abc"),
        "GET",
        "/api/v2/list/XyZ/exclusions/all",
        {},
        {"marker": "lc.abc", "api_key": K},
        id="list_exclusions_marker",
    ),
    pytest.param(
        lambda k: k.all_members("SeG456"),
        "GET",
        "/api/v2/group/SeG456/members/all",
        {},
        {"api_key": K},
        id="all_members",
    ),
    pytest.param(
        lambda k: k.get_profile("01HPERSON"),
        "GET",
        "/api/v1/person/01HPERSON",
        v1({}),
        None,
        id="get_profile",
    ),
    pytest.param(
        lambda k: k.get_profile_metrics_timeline("01HPERSON", count=5),
        "GET",
        "/api/v1/person/01HPERSON/metrics/timeline",
        v1({"count": "5", "sort": "desc"}),
        None,
        id="profile_timeline",
    ),
    pytest.param(
        lambda k: k.get_profile_metric_timeline("01HPERSON", "AbC123", since="lc.next"),
        "GET",
        "/api/v1/person/01HPERSON/metric/AbC123/timeline",
        v1({"since": "lc.next", "count": "100", "sort": "desc"}),
        None,
        id="profile_metric_timeline",
    ),
]


@pytest.mark.parametrize(("call", "method", "path", "query", "body"), WIRE)
def test_each_method_sends_the_legacy_request_of_2_0_4(
    sent: Sent, call: Call, method: str, path: str, query: dict[str, Any], body: Any
) -> None:
    call(Klaviyo(PUBLIC_KEY, PRIVATE_KEY))
    request = sent.request
    assert (request.method, request.path, request.query) == (method, path, query)
    assert (json.loads(request.body) if request.body else None) == body
    # Input the translation refuses and no connection are raised, never answered.
    options = sent.calls[0][1]
    assert options["raise_local"] is True


def payload(request: LegacyHTTPRequest) -> tuple[Any, list[str]]:
    """The base64 ``data=`` payload of a track/identify request, and its ``test``."""
    return json.loads(base64.b64decode(request.query["data"][0])), request.query["test"]


def test_track_sends_the_payload_of_2_0_4_and_leaves_the_callers_dicts_alone(sent: Sent) -> None:
    properties = {"$value": 5}
    customer = {"$first_name": "Ann"}
    Klaviyo(PUBLIC_KEY).track(
        "Placed Order", "a@example.com", 7, properties, customer, 1714521600, "1.2.3.4", True
    )
    assert (sent.request.method, sent.request.path) == ("GET", "/api/track")
    assert payload(sent.request) == (
        {
            "token": PUBLIC_KEY,
            "event": "Placed Order",
            "properties": {"$value": 5},
            "customer_properties": {"$first_name": "Ann", "email": "a@example.com", "id": 7},
            "time": 1714521600,
            "ip": "1.2.3.4",
        },
        ["1"],
    )
    assert properties == {"$value": 5} and customer == {"$first_name": "Ann"}


def test_track_without_a_time_sends_null_as_2_0_4_did(sent: Sent) -> None:
    Klaviyo(PUBLIC_KEY).track("Viewed", id="u-1")
    assert payload(sent.request) == (
        {
            "token": PUBLIC_KEY,
            "event": "Viewed",
            "properties": {},
            "customer_properties": {"id": "u-1"},
            "time": None,
        },
        ["0"],
    )


def test_track_once_keeps_the_timestamp_2_0_4_dropped(sent: Sent) -> None:
    Klaviyo(PUBLIC_KEY).track_once("Started", email="a@example.com", timestamp=1714521600)
    sent_payload, _ = payload(sent.request)
    assert sent_payload["properties"] == {"__track_once__": True}
    assert sent_payload["time"] == 1714521600


@pytest.mark.parametrize(
    ("timestamp", "sent_time"),
    [
        # Naive, as legacy code wrote it: read as local time by the translation.
        (NOW.replace(tzinfo=None), "2024-05-01T12:00:00"),
        (
            datetime(2024, 5, 1, 12, 0, tzinfo=timezone(timedelta(hours=2))),
            "2024-05-01T12:00:00+02:00",
        ),
    ],
    ids=["naive", "aware"],
)
def test_datetimes_travel_as_iso_8601(sent: Sent, timestamp: datetime, sent_time: str) -> None:
    Klaviyo(PUBLIC_KEY).track("Viewed", email="a@example.com", timestamp=timestamp)
    assert payload(sent.request)[0]["time"] == sent_time


def test_identify_sends_email_and_id_and_leaks_nothing_between_calls(sent: Sent) -> None:
    legacy = Klaviyo(PUBLIC_KEY)
    legacy.identify(email="a@example.com", properties={"Plan": "Gold"})
    legacy.identify(id=42)  # 2.0.4's mutable defaults could carry the first call's values
    assert [(r.path, payload(r)) for r, _ in sent.calls] == [
        (
            "/api/identify",
            (
                {"token": PUBLIC_KEY, "properties": {"Plan": "Gold", "email": "a@example.com"}},
                ["0"],
            ),
        ),
        ("/api/identify", ({"token": PUBLIC_KEY, "properties": {"id": 42}}, ["0"])),
    ]


# --- the same translation as the raw request -----------------------------------------------

SAME = [
    pytest.param(
        lambda k: k.track("Placed Order", email="a@example.com", properties={"$value": 5}),
        {
            "method": "GET",
            "url": f"{BASE}/track?data="
            + base64.b64encode(
                json.dumps(
                    {
                        "token": PUBLIC_KEY,
                        "event": "Placed Order",
                        "properties": {"$value": 5},
                        "customer_properties": {"email": "a@example.com"},
                        "time": None,
                    }
                ).encode()
            ).decode()
            + "&test=0",
        },
        id="track",
    ),
    pytest.param(
        lambda k: k.metrics(page=1),
        {"method": "GET", "url": f"{BASE}/v1/metrics?page=1&count=50&api_key={K}"},
        id="metrics",
    ),
    pytest.param(
        lambda k: k.list_subscription("XyZ", PROFILES, method="POST"),
        {
            "method": "POST",
            "url": f"{BASE}/v2/list/XyZ/subscribe",
            "json": {"profiles": PROFILES, "api_key": K},
        },
        id="subscribe",
    ),
    pytest.param(
        lambda k: k.unsubscribe_from_list("XyZ", EMAILS),
        {
            "method": "DELETE",
            "url": f"{BASE}/v2/list/XyZ/subscribe",
            "json": {"emails": EMAILS, "api_key": K},
        },
        id="unsubscribe",
    ),
    pytest.param(
        lambda k: k.get_profile_metrics_timeline("01HPERSON", since=1714521600),
        {
            "method": "GET",
            "url": f"{BASE}/v1/person/01HPERSON/metrics/timeline"
            f"?since=1714521600&count=100&sort=desc&api_key={K}",
        },
        id="profile_timeline",
    ),
]


@pytest.mark.parametrize(("call", "raw"), SAME)
def test_dry_run_plans_what_the_same_raw_request_plans(call: Call, raw: dict[str, Any]) -> None:
    client = klaviyo.CompatClient(clock=lambda: NOW)
    plan = call(Klaviyo(PUBLIC_KEY, PRIVATE_KEY, client=client, dry_run=True))
    assert isinstance(plan, klaviyo.Plan)
    expected = client.run(
        parse_legacy_request(request_from_json(raw)),
        dry_run=True,
        private_key=PRIVATE_KEY,
        public_key=PUBLIC_KEY,
    )
    assert plan.to_dict() == expected.to_dict()
    assert PRIVATE_KEY not in json.dumps(plan.to_dict())


# --- results -------------------------------------------------------------------------------


def test_results_are_what_2_0_4_returned() -> None:
    client, transport = recording()
    legacy = Klaviyo(PUBLIC_KEY, PRIVATE_KEY, client=client)
    assert legacy.track("Viewed", email="a@example.com") is True
    assert legacy.identify(email="a@example.com") is True
    assert legacy.lists() == []
    assert legacy.list("XyZ", "VIP", "PUT") == "1"  # an empty write answer
    assert legacy.list("XyZ", method="DELETE") == "1"
    assert legacy.unsubscribe_from_list("XyZ", EMAILS) == "1"
    subscribed = legacy.list_subscription("XyZ", PROFILES, method="POST")
    assert subscribed == [{"id": None, "email": "a@example.com"}]  # no profile in the recording
    assert legacy.metrics()["object"] == "$list"
    assert transport.operations() == [
        # With a private token, track and identify take the server endpoints, as 3.1.7 did.
        "create_event",
        "create_or_update_profile",
        "get_lists",
        "update_list",
        "delete_list",
        "get_profiles_for_list",  # unsubscribe: list members only, none here
        "get_list",  # subscribe: the list's opt-in process
        "create_or_update_profile",
        "bulk_subscribe_profiles",
        "get_profiles",  # subscribe: the members' Klaviyo ids
        "get_metrics",
    ]


def test_with_only_a_public_token_track_takes_the_client_endpoint() -> None:
    client, transport = recording()
    assert Klaviyo(PUBLIC_KEY, client=client).track("Viewed", email="a@example.com") is True
    assert transport.operations() == ["create_client_event"]
    assert dict(transport.requests[0].params) == {"company_id": PUBLIC_KEY}


def _refused(request: Any) -> Any:
    error = {"id": "e1", "status": 403, "code": "permission_denied", "title": "Denied"}
    return json_response(403, {"errors": [{**error, "detail": "bad key"}]})


def test_http_errors_come_back_as_the_legacy_error_body_and_are_never_raised() -> None:
    client, _ = recording(_refused)
    legacy = Klaviyo(PUBLIC_KEY, PRIVATE_KEY, client=client)
    assert legacy.track("Viewed", email="a@example.com") is False
    answer = legacy.metrics()
    assert (answer["status"], answer["message"]) == (403, "bad key")
    assert legacy.list("XyZ", method="DELETE")["status"] == 403  # an error write is JSON, not '1'


def test_no_connection_is_raised_like_2_0_4s_requests_error() -> None:
    def down(request: Any) -> Any:
        raise klaviyo.TransportError("connection refused", request, sent=False)

    client, _ = recording(down, max_attempts=1)
    legacy = Klaviyo(PUBLIC_KEY, PRIVATE_KEY, client=client)
    with pytest.raises(requests.exceptions.ConnectionError):
        legacy.metrics()
    with pytest.raises(klaviyo.TransportError):
        legacy.track("Viewed", email="a@example.com")


def test_dry_run_returns_the_plan_for_public_and_private_calls() -> None:
    legacy = Klaviyo(PUBLIC_KEY, PRIVATE_KEY, dry_run=True)
    track = legacy.track("Viewed", email="a@example.com")
    assert isinstance(track, klaviyo.Plan)
    assert [r.operation for r in track.requests] == ["create_event"]
    lists = legacy.lists("VIP", "POST")
    assert [r.operation for r in lists.requests] == ["create_list"]


def test_api_server_is_where_the_new_requests_go_for_both_surfaces() -> None:
    client, transport = recording()
    legacy = Klaviyo(PUBLIC_KEY, PRIVATE_KEY, "http://127.0.0.1:8765/api", client=client)
    legacy.lists()
    legacy.Lists.get_lists()
    assert [r.url for r in transport.requests] == ["http://127.0.0.1:8765/api/lists"] * 2


# --- refusals ------------------------------------------------------------------------------

PUBLIC_ONLY = {"public_token": PUBLIC_KEY}
PRIVATE_ONLY = {"private_token": PRIVATE_KEY}
IDENTIFY = "You must identify a user by email or ID."
LIST_POST = "The list endpoint only accepts GET, PUT, and DELETE methods"

REFUSALS = [
    pytest.param(
        PUBLIC_ONLY,
        lambda k: k.track("Viewed"),
        exceptions.KlaviyoException,
        IDENTIFY,
        id="track_no_identifier",
    ),
    pytest.param(
        PUBLIC_ONLY,
        lambda k: k.track_once("Viewed"),
        exceptions.KlaviyoException,
        IDENTIFY,
        id="track_once_no_identifier",
    ),
    pytest.param(
        PUBLIC_ONLY,
        lambda k: k.identify(),
        exceptions.KlaviyoException,
        IDENTIFY,
        id="identify_no_identifier",
    ),
    pytest.param(
        PRIVATE_ONLY,
        lambda k: k.track("E", email="a@example.com"),
        exceptions.KlaviyoConfigurationException,
        "Public token is not defined",
        id="no_public_token",
    ),
    pytest.param(
        PRIVATE_ONLY,
        lambda k: k.identify(id=1),
        exceptions.KlaviyoConfigurationException,
        "Public token is not defined",
        id="identify_no_public_token",
    ),
    pytest.param(
        PUBLIC_ONLY,
        lambda k: k.metrics(),
        exceptions.KlaviyoConfigurationException,
        "Private token is not defined",
        id="no_private_token_v1",
    ),
    pytest.param(
        PUBLIC_ONLY,
        lambda k: k.lists(),
        exceptions.KlaviyoConfigurationException,
        "Private token is not defined",
        id="no_private_token_v2",
    ),
    pytest.param(
        PRIVATE_ONLY,
        lambda k: k.list_subscription("XyZ", "a@example.com"),
        exceptions.KlaviyoException,
        "Data must be a list of strings",
        id="check_not_a_list",
    ),
    pytest.param(
        PRIVATE_ONLY,
        lambda k: k.list_subscription("XyZ", ["a@example.com", 5]),
        exceptions.KlaviyoException,
        "Data must be a list of strings",
        id="check_not_strings",
    ),
    pytest.param(
        PRIVATE_ONLY,
        lambda k: k.list_subscription("XyZ", ["a@example.com"], method="POST"),
        exceptions.KlaviyoException,
        "Data must be a list of objects",
        id="subscribe_not_objects",
    ),
    pytest.param(
        PRIVATE_ONLY,
        lambda k: k.list_subscription("XyZ", {"email": "a@example.com"}, method="POST"),
        exceptions.KlaviyoException,
        "Data must be a list of objects",
        id="subscribe_not_a_list",
    ),
    pytest.param(
        PRIVATE_ONLY,
        lambda k: k.list("XyZ", "VIP", "POST"),
        exceptions.KlaviyoException,
        LIST_POST,
        id="list_post",
    ),
    pytest.param(
        PRIVATE_ONLY,
        lambda k: k.list("XyZ", "VIP", "post"),
        exceptions.KlaviyoException,
        LIST_POST,
        id="list_post_any_case",
    ),
]


@pytest.mark.parametrize(("tokens", "call", "error", "message"), REFUSALS)
def test_2_0_4s_refusals_keep_their_messages_and_send_nothing(
    tokens: dict[str, str], call: Call, error: type[Exception], message: str
) -> None:
    client, transport = recording()
    with pytest.raises(exceptions.KlaviyoException) as caught:
        call(Klaviyo(client=client, **tokens))
    assert type(caught.value) is error
    assert str(caught.value) == message == caught.value.message
    assert transport.count == 0


TRANSLATION_REFUSALS = [
    # A count above the legacy maximum is clamped (leniency); none at all is refused.
    pytest.param(lambda k: k.metrics(count=0), "count", id="count_below_1"),
    pytest.param(
        lambda k: k.list_subscription("XyZ", [{"email": "nope"}], method="POST"),
        "profiles[0]",
        id="bad_email_found_by_the_translator",
    ),
    pytest.param(
        lambda k: k.list_subscription("XyZ", [], method="POST"), "profiles", id="no_profiles"
    ),
    # The 2.0.4 README's argument order: unsubscribe_from_list(list_id, subscription_type, emails)
    pytest.param(
        lambda k: k.unsubscribe_from_list("XyZ", "subscribe", EMAILS),
        "subscription_type",
        id="readme_argument_order",
    ),
    pytest.param(lambda k: k.list("a/b"), "list_id", id="id_reaching_another_path"),
    pytest.param(
        lambda k: k.list_exclusions("XyZ", marker=2000), "marker", id="pre_migration_marker"
    ),
    pytest.param(
        lambda k: k.track("E", email="a@example.com", properties={"tags": {"a"}}),
        "data",
        id="not_json",
    ),
    pytest.param(
        lambda k: k.identify(email="a@example.com", properties=["Plan"]),
        "properties",
        id="properties_not_a_dict",
    ),
    pytest.param(
        lambda k: k.metric_export("AbC123", "2024-04-01", "2024-04-30", by="Color"),
        "by",
        id="unsupported_feature",
    ),
]


@pytest.mark.parametrize(("call", "field"), TRANSLATION_REFUSALS)
@pytest.mark.parametrize("dry_run", [False, True], ids=["live", "dry_run"])
def test_input_the_translation_refuses_is_raised_before_anything_is_sent(
    call: Call, field: str, dry_run: bool
) -> None:
    client, transport = recording()
    with pytest.raises(exceptions.TranslationError) as caught:
        call(Klaviyo(PUBLIC_KEY, PRIVATE_KEY, client=client, dry_run=dry_run))
    assert caught.value.field == field
    assert transport.count == 0


@pytest.mark.parametrize(
    "call",
    [
        lambda k: k.lists(method="PUT"),
        lambda k: k.list("XyZ", method="PATCH"),
        lambda k: k.list_subscription("XyZ", EMAILS, method="DELETE"),
    ],
    ids=["lists_put", "list_patch", "list_subscription_delete"],
)
def test_methods_2_0_4_did_not_handle_send_nothing_and_say_so(
    call: Call, caplog: pytest.LogCaptureFixture
) -> None:
    client, transport = recording()
    with caplog.at_level(logging.WARNING, logger="klaviyo_legacy_compat"):
        assert call(Klaviyo(PUBLIC_KEY, PRIVATE_KEY, client=client)) is None
    assert transport.count == 0
    assert "nothing sent" in caplog.text


def test_keys_stay_out_of_reprs() -> None:
    legacy = Klaviyo(PUBLIC_KEY, PRIVATE_KEY, "http://127.0.0.1:1/api")
    assert PRIVATE_KEY not in repr(legacy)


# --- a 2.x program, unchanged, after install() ---------------------------------------------

PROGRAM = Path(__file__).parent.parent / "programs" / "klaviyo2_readme.py"


def test_a_2_x_program_runs_unchanged_after_install_against_a_local_klaviyo() -> None:
    with LocalKlaviyo(enforce_rate_limits=False) as server:
        list_id = server.store.create_list("Newsletter")
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("KLAVIYO_")},
            "PUBLIC": server.public_key,
            "PRIVATE": server.private_key,
            "LIST_ID": list_id,
            # Only the program's own api_server says where the server is.
            "API_SERVER": server.base_url + "/api",
        }
        source = PROGRAM.read_text(encoding="utf-8")
        prelude = "import klaviyo_legacy_compat; klaviyo_legacy_compat.install()"
        done = subprocess.run(
            [sys.executable, "-c", f"{prelude}\nexec(compile({source!r}, 'program.py', 'exec'))"],
            capture_output=True,
            text=True,
            env=env,
            check=False,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        results = json.loads(done.stdout)
        assert results == {
            "track": True,
            "identify": True,
            "lists": [{"list_id": list_id, "list_name": "Newsletter"}],
            "list": "VIP",
            "renamed": "1",
            "deleted": "1",
            "subscribed": ["george.washington@example.com", "john.adams@example.com"],
            "unsubscribe": "1",
            "members": ["george.washington@example.com"],
            "person": "george.washington@example.com",
            "local_error": "You must identify a user by email or ID.",
            "api_error": 404,
        }
        assert [e.metric for e in server.store.events_for("someone@example.com")] == [
            "Filled out profile"
        ]
        profile = server.store.profile_by_email("thomas.jefferson@example.com")
        assert profile is not None and profile.properties["Plan"] == "Premium"
