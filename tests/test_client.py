"""CompatClient in live mode over a RecordingTransport: routing, keys, flows, logging."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

import klaviyo_legacy_compat as klaviyo
from klaviyo_legacy_compat import exceptions
from klaviyo_legacy_compat._core.flow import Step
from klaviyo_legacy_compat._core.translate import batches
from klaviyo_legacy_compat.testing import RecordingTransport, default_answer, json_response
from tests.conftest import DUPLICATE_PROFILE, NOW, PRIVATE_KEY, PUBLIC_KEY


def make(handler: Any = None, **options: Any) -> tuple[klaviyo.CompatClient, RecordingTransport]:
    transport = RecordingTransport(handler)
    options = {"private_key": PRIVATE_KEY, **options}
    return (
        klaviyo.CompatClient(
            transport=transport,
            clock=lambda: NOW,
            **{k: v for k, v in options.items() if v is not None},
        ),
        transport,
    )


def test_split_identify_patches_the_duplicate_named_by_the_409() -> None:
    def answer(request: klaviyo.PreparedRequest) -> klaviyo.RawResponse:
        if request.operation == "create_profile":
            return json_response(409, DUPLICATE_PROFILE)
        return json_response(200, {"data": {"id": "01DUP"}})

    client, transport = make(answer, identify_mode="split")
    assert client.identify({"$email": "a@example.com", "$first_name": "Ann"}) == 1
    assert transport.operations() == ["create_profile", "update_profile"]
    patch = transport.requests[1]
    assert patch.url == "https://a.klaviyo.com/api/profiles/01DUP"
    assert patch.json == {
        "data": {
            "type": "profile",
            "id": "01DUP",
            "attributes": {"email": "a@example.com", "first_name": "Ann"},
        }
    }


def test_split_identify_without_a_duplicate_id_raises_the_conflict() -> None:
    client, transport = make(
        lambda r: json_response(409, {"errors": [{"code": "conflict"}]}), identify_mode="split"
    )
    with pytest.raises(exceptions.ConflictError):
        client.identify({"$email": "a@example.com"})
    assert transport.count == 1


def test_conflict_policy_raise() -> None:
    client, transport = make(
        lambda r: json_response(409, DUPLICATE_PROFILE), identify_conflict="raise"
    )
    with pytest.raises(exceptions.ConflictError) as caught:
        client.identify({"$email": "a@example.com", "$phone_number": "+15005550006"})
    assert caught.value.duplicate_profile_id == "01DUP"
    assert caught.value.request is not None
    assert caught.value.request.operation == "create_or_update_profile"
    assert transport.count == 1


def test_a_409_with_only_one_identifier_is_not_retried() -> None:
    client, transport = make(lambda r: json_response(409, DUPLICATE_PROFILE))
    with pytest.raises(exceptions.ConflictError):
        client.identify({"$email": "a@example.com"})
    assert transport.count == 1


def test_a_server_call_without_a_private_key_sends_nothing() -> None:
    client, transport = make(private_key=None)
    with pytest.raises(exceptions.ConfigurationError) as caught:
        client.subscribe_to_list("XyZ", [{"email": "a@example.com"}])
    assert isinstance(caught.value, exceptions.KlaviyoConfigurationException)
    assert isinstance(caught.value, exceptions.KlaviyoException)
    assert transport.count == 0


def test_the_key_a_legacy_payload_carries_is_used() -> None:
    client, transport = make(private_key=None)
    payload = {
        "token": PUBLIC_KEY,
        "event": "Viewed",
        "customer_properties": {"$email": "a@example.com"},
    }
    assert client.track(payload) == 1
    assert transport.requests[0].params == (("company_id", PUBLIC_KEY),)
    assert transport.requests[0].header("Authorization") is None


def test_the_environment_supplies_keys_and_arguments_win(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KLAVIYO_PRIVATE_API_KEY", "pk_from_environment_0123456789")
    transport = RecordingTransport()
    client = klaviyo.CompatClient(transport=transport, clock=lambda: NOW)
    client.track("Viewed", {"$email": "a@example.com"})
    client.track("Viewed", {"$email": "a@example.com"}, private_key=PRIVATE_KEY)
    assert [r.header("Authorization") for r in transport.requests] == [
        "Klaviyo-API-Key pk_from_environment_0123456789",
        f"Klaviyo-API-Key {PRIVATE_KEY}",
    ]


def test_dry_run_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KLAVIYO_LEGACY_COMPAT_DRY_RUN", "1")
    client, transport = make()
    plan = client.track("Viewed", {"$email": "a@example.com"})
    assert isinstance(plan, klaviyo.Plan)
    assert transport.count == 0
    assert PRIVATE_KEY not in repr(plan) + str(plan.to_dict())


def test_behaviour_differences_are_logged_in_live_mode(caplog: pytest.LogCaptureFixture) -> None:
    client, _ = make()
    with caplog.at_level(logging.INFO, logger="klaviyo_legacy_compat"):
        client.track(
            "Trial", {"$email": "a@example.com", "email": "b@example.com"}, {"__track_once__": True}
        )
    messages = [r.getMessage() for r in caplog.records]
    assert any("track_once: emulated" in m for m in messages)
    assert any("$email and email differ" in m for m in messages)


def _stream(count: int) -> Iterator[dict[str, Any]]:
    for i in range(count):
        yield {"email": f"u{i}@example.com"}


def test_a_streamed_subscribe_holds_one_chunk_at_a_time() -> None:
    transport = RecordingTransport(keep=False)
    client = klaviyo.CompatClient(
        transport=transport, private_key=PRIVATE_KEY, return_members=False
    )
    report = client.subscribe_to_list("XyZ", _stream(1050))
    assert report == klaviyo.SubscribeReport("XyZ", 1050, 11, 11)
    assert transport.count == 11


def test_a_streamed_subscribe_hands_back_the_unread_rest() -> None:
    calls = {"n": 0}

    def answer(request: klaviyo.PreparedRequest) -> klaviyo.RawResponse:
        calls["n"] += 1
        return (
            json_response(503, {"errors": [{"code": "error"}]})
            if calls["n"] == 2
            else default_answer(request)
        )

    client, _ = make(answer, return_members=False, max_concurrency=1)
    stream = _stream(250)
    with pytest.raises(exceptions.PartialDeliveryError) as caught:
        client.subscribe_to_list("XyZ", stream)
    error = caught.value
    assert error.accepted == ("profiles[0:100]",)
    assert error.undelivered == [{"email": f"u{i}@example.com"} for i in range(100, 200)]
    assert error.remaining is not None
    assert list(error.remaining) == [{"email": f"u{i}@example.com"} for i in range(200, 250)]
    assert isinstance(error.cause, exceptions.ServerError)
    assert isinstance(error, exceptions.KlaviyoAPIException)  # legacy except blocks see it
    assert error.status_code == 503


def test_a_bad_profile_in_a_later_chunk_of_a_stream_is_a_partial_failure() -> None:
    def stream() -> Iterator[dict[str, Any]]:
        yield from _stream(150)
        yield {"email": "broken"}
        yield {"email": "after@example.com"}

    client, transport = make(return_members=False)
    with pytest.raises(exceptions.PartialDeliveryError) as caught:
        client.subscribe_to_list("XyZ", stream())
    assert transport.count == 1  # chunk 1 only
    assert isinstance(caught.value.cause, exceptions.TranslationError)
    assert "profiles[150].email" in str(caught.value)
    assert len(caught.value.undelivered) == 52


def test_a_failed_unsubscribe_chunk_hands_back_the_rest() -> None:
    def answer(request: klaviyo.PreparedRequest) -> klaviyo.RawResponse:
        if request.operation == "get_profiles_for_list":
            emails = [f"u{i}@example.com" for i in range(150)]
            return json_response(200, {"data": [{"attributes": {"email": e}} for e in emails]})
        if "u100@" in str(request.json):
            return json_response(500, {"errors": [{"code": "error"}]})
        return default_answer(request)

    client, _ = make(answer)
    with pytest.raises(exceptions.PartialDeliveryError) as caught:
        client.unsubscribe("XyZ", [f"u{i}@example.com" for i in range(150)])
    assert caught.value.accepted == ("chunk 1: 100 unsubscribed",)
    assert caught.value.undelivered == [f"u{i}@example.com" for i in range(100, 150)]


def test_module_level_functions_use_the_configured_defaults(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    transport = RecordingTransport()
    monkeypatch.setattr(klaviyo.default_client().carrier, "_transport", transport)
    klaviyo.configure(private_key=PRIVATE_KEY)
    try:
        assert klaviyo.track("Viewed", {"$email": "a@example.com"}) == 1
        assert klaviyo.identify({"$email": "a@example.com"}) == 1
        assert isinstance(klaviyo.unsubscribe("XyZ", ["a@example.com"]), klaviyo.UnsubscribeReport)
        assert klaviyo.exclude_email("a@example.com") == {
            "already_excluded": False,
            "num_excluded": 1,
        }
        plan = klaviyo.subscribe_to_list("XyZ", [{"email": "a@example.com"}], dry_run=True)
        assert isinstance(plan, klaviyo.Plan)
    finally:
        klaviyo.configure(private_key=None)
    assert transport.operations() == [
        "create_event",
        "create_or_update_profile",
        "get_profiles_for_list",
        "get_profiles",
        "bulk_suppress_profiles",
    ]


def test_configure_refuses_bad_values_at_once() -> None:
    client = klaviyo.CompatClient()
    with pytest.raises(exceptions.ConfigurationError, match="subscribe_chunk_size"):
        client.configure(subscribe_chunk_size=0)
    with pytest.raises(TypeError, match="chunk_size"):
        client.configure(chunk_size=10)


def test_the_client_repr_shows_no_key() -> None:
    client = klaviyo.CompatClient(private_key=PRIVATE_KEY, public_key=PUBLIC_KEY)
    assert PRIVATE_KEY not in repr(client)
    assert PUBLIC_KEY not in repr(client)
    assert PRIVATE_KEY not in repr(client.settings())


# --- the client's shared resources ------------------------------------------------------------


def test_a_bigger_pool_leaves_the_smaller_one_usable_by_flows_that_took_it() -> None:
    client, _ = make()
    plan = client.track("Viewed", {"$email": "a@example.com"}, dry_run=True)
    assert isinstance(plan, klaviyo.Plan)
    step = Step(plan.requests[0])
    first = client.carrier.sender(2)  # what a flow with max_concurrency=2 captured
    bigger = client.carrier.sender(4)  # another call asks for more workers meanwhile
    assert first is not None and bigger is not None
    outcomes = first([step, step, step], 0, lambda s: json_response(202, {}))
    assert [getattr(o, "index", o) for o in outcomes] == [0, 1, 2]
    assert len(bigger([step], 0, lambda s: json_response(202, {}))) == 1
    client.close()


def test_a_per_call_spool_path_holds_the_item_in_that_spool(tmp_path: Path) -> None:
    path = tmp_path / "call-spool.db"
    client, transport = make(batching=True, batch_max_age=3600)
    assert client.track("Viewed", {"$email": "a@example.com"}, spool_path=str(path)) == 1
    with sqlite3.connect(path) as db:
        held = db.execute("SELECT kind, state FROM items").fetchall()
    db.close()
    # Kinds are stored per account ("event@<account digest>").
    assert [(kind.partition("@")[0], state) for kind, state in held] == [(batches.EVENT, "pending")]
    assert transport.operations() == []
    client.close()  # flushes that spool: the item is sent from there
    assert transport.operations() == ["bulk_create_events"]
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT COUNT(*) FROM items").fetchone() == (0,)
    db.close()


def test_the_dry_run_warning_names_the_bulk_request_of_any_captured_operation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client, _ = make(batching=True, dry_run=True)
    plan = client.identify({"$email": "a@example.com"})
    assert isinstance(plan, klaviyo.Plan) and plan.requests == ()
    assert [w for w in plan.warnings if w.startswith("batching:")] == [
        "batching: create_or_update_profile is held and sent with the next bulk request "
        "(POST /api/profile-bulk-import-jobs); flush() shows it"
    ]
    # An operation newly captured by batches is named from its items' kind, not a copy here.
    monkeypatch.setitem(
        batches.CAPTURED, "create_profile", batches.CAPTURED["create_or_update_profile"]
    )
    plan = client.identify({"$email": "b@example.com"}, identify_mode="split")
    assert isinstance(plan, klaviyo.Plan)
    assert any(
        w.startswith("batching: create_profile is held")
        and "POST /api/profile-bulk-import-jobs" in w
        for w in plan.warnings
    )
    client.close()


# --- large subscribes: streamed, and sent with bounded concurrency ------------------------------


@pytest.mark.parametrize(("chunk_size", "concurrency"), [(50, 1), (50, 3), (20, 4)])
def test_a_streamed_subscribe_reads_only_the_chunks_it_is_sending(
    chunk_size: int, concurrency: int
) -> None:
    total = 1000
    read = {"n": 0}

    def counted() -> Iterator[dict[str, Any]]:
        for profile in _stream(total):
            read["n"] += 1
            yield profile

    seen_at_send: list[int] = []

    def answer(request: klaviyo.PreparedRequest) -> klaviyo.RawResponse:
        assert request.operation == "bulk_subscribe_profiles"  # email-only: one job a chunk
        seen_at_send.append(read["n"])  # groups are sent one after the other
        return default_answer(request)

    client, transport = make(
        answer,
        return_members=False,
        subscribe_chunk_size=chunk_size,
        max_concurrency=concurrency,
    )
    try:
        report = client.subscribe_to_list("XyZ", counted())
    finally:
        client.close()
    chunks = total // chunk_size
    assert report == klaviyo.SubscribeReport("XyZ", total, chunks, chunks)
    assert transport.count == chunks
    # Chunks go out in groups of max_concurrency, each group read just before it is sent (no
    # slack needed: `chunked` takes exactly chunk_size items per chunk and the group stops at
    # max_concurrency chunks). So the first job is sent having read one group, and the job of
    # send i has at most the groups up to its own read, never the whole list.
    group = chunk_size * max(1, concurrency)
    assert seen_at_send[0] <= group
    for i, seen in enumerate(seen_at_send):
        assert seen <= (i // max(1, concurrency) + 1) * group, (i, seen)
    assert seen_at_send[-1] == total


def test_a_large_subscribe_overlaps_at_most_max_concurrency_chunks() -> None:
    concurrency = 4
    # Every send waits for max_concurrency sends to be in flight together; if sends come one
    # at a time the barrier times out (the test fails, it does not hang) and, once broken,
    # lets every later send through at once.
    barrier = threading.Barrier(concurrency, timeout=10)
    lock = threading.Lock()
    state = {"in_flight": 0, "peak": 0, "broken": 0}

    def answer(request: klaviyo.PreparedRequest) -> klaviyo.RawResponse:
        with lock:
            state["in_flight"] += 1
            state["peak"] = max(state["peak"], state["in_flight"])
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            with lock:
                state["broken"] += 1
        finally:
            with lock:
                state["in_flight"] -= 1
        return default_answer(request)

    # 20 chunks of 10 email-only profiles: 5 groups of exactly max_concurrency subscribe jobs.
    client, transport = make(
        answer, return_members=False, subscribe_chunk_size=10, max_concurrency=concurrency
    )
    try:
        report = client.subscribe_to_list("XyZ", _stream(200))
    finally:
        client.close()
    assert report == klaviyo.SubscribeReport("XyZ", 200, 20, 20)
    assert transport.operations() == ["bulk_subscribe_profiles"] * 20
    assert state["broken"] == 0, "sends never overlapped max_concurrency-wide"
    assert 1 < state["peak"] <= concurrency


def test_call_scope_sets_the_call_time_and_collects_the_operations() -> None:
    from datetime import datetime, timedelta, timezone

    client = klaviyo.CompatClient(dry_run=True, public_key="AbC123")
    moment = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
    stamp = moment.isoformat()

    def event(plan: Any) -> Any:
        return plan.requests[0].json["data"]["attributes"]

    with client.call_scope(at=moment) as scope:
        first = event(client.track("Viewed", {"$email": "ann@example.com"}))
        # Another client's calls keep their own clock.
        other = klaviyo.CompatClient(dry_run=True, public_key="AbC123")
        assert event(other.track("Viewed", {"$email": "ann@example.com"}))["time"] != stamp
    assert scope.operations == ["create_client_event"]
    with client.call_scope(at=moment + timedelta(0)):
        again = event(client.track("Viewed", {"$email": "ann@example.com"}))
    assert first["time"] == again["time"] == stamp
    assert first["unique_id"] == again["unique_id"]  # the same event: Klaviyo keeps one
    later = event(client.track("Viewed", {"$email": "ann@example.com"}))
    assert later["unique_id"] != first["unique_id"]
    naive = moment.replace(tzinfo=None)
    with pytest.raises(ValueError, match="aware"), client.call_scope(at=naive):
        pass


# --- the one entry path -----------------------------------------------------------------------

OTHER_KEY = "pk_other_0123456789abcdef0123456789ab"


def test_per_call_settings_are_resolved_once_per_configuration() -> None:
    client = klaviyo.CompatClient(private_key=PRIVATE_KEY)
    first = client.settings(dry_run=True, retry_budget=30)
    # A legacy SDK object, a gateway pass the same options on every call: resolved once.
    assert client.settings(retry_budget=30, dry_run=True) is first
    assert client.settings(dry_run=True, retry_budget=31) is not first
    client.configure(timeout=5)  # another configuration: resolved again, with it
    again = client.settings(dry_run=True, retry_budget=30)
    assert again is not first and again.timeout == 5.0
    assert client.settings(dry_run=True, retry_budget=30) is again


def test_the_settings_of_per_call_options_tell_values_of_other_types_apart() -> None:
    client = klaviyo.CompatClient()
    assert client.settings(max_attempts=1).delivery.max_attempts == 1
    # True == 1 in Python, but only the number is a number of attempts.
    with pytest.raises(exceptions.ConfigurationError, match="max_attempts"):
        client.settings(max_attempts=True)
    # A value no cache key can hold is resolved (here: refused) each time, not a TypeError.
    for _ in range(2):
        with pytest.raises(exceptions.ConfigurationError, match="timeout"):
            client.settings(timeout=[1, 2])


def authorization(plan: Any) -> Any:
    return dict(plan.prepared()[0].headers).get("Authorization")


def test_a_requests_api_key_is_its_private_key_unless_the_caller_names_one() -> None:
    from klaviyo_legacy_compat._core.calls import ExcludeEmailCall, Request
    from klaviyo_legacy_compat._core.credentials import Key

    client = klaviyo.CompatClient(private_key=PRIVATE_KEY, dry_run=True)
    call = ExcludeEmailCall(("a@example.com",))
    carried = Request(call, Key("api_key", OTHER_KEY))
    assert authorization(client.run(Request(call))) == "Klaviyo-API-Key pk_…cdef"
    assert authorization(client.run(carried)) == "Klaviyo-API-Key pk_…89ab"
    assert authorization(client.run(carried, private_key=PRIVATE_KEY)) == "Klaviyo-API-Key pk_…cdef"
    with pytest.raises(exceptions.ConfigurationError, match=r"^api_key: holds a public key"):
        client.run(Request(call, Key("api_key", PUBLIC_KEY)))


def test_a_whole_payload_is_typed_when_the_call_runs() -> None:
    from klaviyo_legacy_compat._core.calls import PayloadCall, Request

    client = klaviyo.CompatClient(dry_run=True, clock=lambda: NOW)
    # Its token is the call's key: only a public one, so the client endpoint.
    whole = PayloadCall("identify", {"token": PUBLIC_KEY, "properties": {"$email": "a@b.co"}})
    plan = client.run(Request(whole))
    assert [r.operation for r in plan.requests] == ["create_client_profile"]
    assert plan.prepared()[0].params == (("company_id", PUBLIC_KEY),)
    # A profile dict where the payload belongs is the profile, as legacy identify read it.
    bare = client.run(Request(PayloadCall("identify", {"$email": "a@b.co"})), private_key=OTHER_KEY)
    assert bare.requests[0].json["data"]["attributes"]["email"] == "a@b.co"
    # A track payload's time defaults to the call time: the client's clock, or the scope's.
    track = PayloadCall("track", {"event": "Viewed", "customer_properties": {"$email": "a@b.co"}})
    assert (
        client.run(Request(track), private_key=OTHER_KEY)
        .requests[0]
        .json["data"]["attributes"]["time"]
        == NOW.isoformat()
    )
    assert "a@b.co" not in repr(track)  # nor a token: the payload is never shown


def test_execute_is_the_one_path_and_the_carrier_carries() -> None:
    from klaviyo_legacy_compat._core.calls import ExcludeEmailCall
    from klaviyo_legacy_compat._core.config import resolve_settings
    from klaviyo_legacy_compat._surfaces.execute import CallScope, execute
    from klaviyo_legacy_compat._transports.carrier import Carrier

    transport = RecordingTransport()
    carrier = Carrier(transport)
    settings = resolve_settings({"private_key": PRIVATE_KEY}, environ={})
    scope = CallScope()
    answer = execute(
        ExcludeEmailCall(("a@example.com",)),
        settings.credentials,
        settings,
        carrier,
        clock=lambda: NOW,
        scope=scope,
    )
    assert answer == {"already_excluded": False, "num_excluded": 1}
    assert transport.operations() == scope.operations == ["get_profiles", "bulk_suppress_profiles"]
    assert carrier.transport(settings.delivery) is transport
    dry = attrs.evolve(settings, dry_run=True)
    plan = execute(
        ExcludeEmailCall(("b@example.com",)), dry.credentials, dry, carrier, clock=lambda: NOW
    )
    assert isinstance(plan, klaviyo.Plan) and transport.count == 2
