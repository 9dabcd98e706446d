"""Bulk mode's packing, answers and job follow-up (``_translate/batches.py``), pure.

The table runs legacy calls in dry-run under bulk mode and checks the bulk requests a flush
would send, one row per quirk; every request is also validated against the spec. Then
``settle`` (what an answer means for a batch) and ``follow_job`` are driven with scripted
answers.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Callable, Optional

import attrs
import pytest

from klaviyo_legacy_compat import BadRequestError, CompatClient, Plan, RawResponse
from klaviyo_legacy_compat._core.convert import encode_json
from klaviyo_legacy_compat._core.endpoints import Endpoint, endpoint
from klaviyo_legacy_compat._core.errors import error_from_response
from klaviyo_legacy_compat._core.flow import Notice, Pause, Reply, Step, run
from klaviyo_legacy_compat._core.models import PlannedRequest
from klaviyo_legacy_compat._core.translate.batches import (
    EVENT,
    PROFILE,
    Batch,
    Item,
    Pending,
    caps,
    follow_job,
    pack,
    settle,
)
from klaviyo_legacy_compat._transports.transport import TransportError
from klaviyo_legacy_compat.testing import json_response
from tests.conftest import NOW, PRIVATE_KEY
from tests.spec import SpecValidator

Calls = Callable[[CompatClient], object]


def tracks(n: int, **each: Any) -> Calls:
    """``n`` track calls; ``{i}`` in the email and ``$event_id`` is the call's index."""

    def make(client: CompatClient) -> None:
        for i in range(n):
            email = str(each.get("email", "u{i}@example.com")).format(i=i)
            properties = {k: str(v).format(i=i) for k, v in each.get("properties", {}).items()}
            customer = {"$email": email, **each.get("customer", {})}
            client.track(each.get("event", "Viewed"), customer, properties, each.get("time"))

    return make


def calls(*steps: Calls) -> Calls:
    def make(client: CompatClient) -> None:
        for one in steps:
            one(client)

    return make


def track(event: str, customer: dict[str, Any], properties: dict[str, Any], **kw: Any) -> Calls:
    return lambda client: client.track(event, customer, properties, **kw)


def identify(properties: dict[str, Any]) -> Calls:
    return lambda client: client.identify(properties)


def events_of(request: dict[str, Any]) -> list[tuple[str, list[Any]]]:
    """(profile email or phone, [unique_id, ...]) per entry of a bulk event request."""
    entries = request["json"]["data"]["attributes"]["events-bulk-create"]["data"]
    out = []
    for entry in entries:
        profile = entry["attributes"]["profile"]["data"]["attributes"]
        who = profile.get("email") or profile.get("phone_number")
        out.append(
            (who, [e["attributes"].get("unique_id") for e in entry["attributes"]["events"]["data"]])
        )
    return out


def profiles_of(request: dict[str, Any]) -> list[dict[str, Any]]:
    return [p["attributes"] for p in request["json"]["data"]["attributes"]["profiles"]["data"]]


BIG = "x" * 90_000  # under the 100 KB string limit; about 11 of these make 1 MB

#: id → (quirk, calls, client options, check of the batched plan's requests).
ROWS: dict[str, tuple[str, Calls, dict[str, Any], Callable[[list[dict[str, Any]]], bool]]] = {
    "events-of-one-profile-share-an-entry": (
        "the bulk format groups events per profile: one entry, three events",
        tracks(3, email="a@example.com", properties={"$event_id": "e{i}"}),
        {},
        lambda rs: (
            [r["operation"] for r in rs] == ["bulk_create_events"]
            and events_of(rs[0]) == [("a@example.com", ["e0", "e1", "e2"])]
        ),
    ),
    "different-profiles-different-entries": (
        "one entry per distinct profile block, in call order",
        tracks(3, properties={"$event_id": "e{i}"}),
        {},
        lambda rs: (
            events_of(rs[0])
            == [("u0@example.com", ["e0"]), ("u1@example.com", ["e1"]), ("u2@example.com", ["e2"])]
        ),
    ),
    "same-email-other-attributes-separate-entries": (
        "a profile block that differs (a first name) is its own entry: nothing is merged away",
        calls(
            track("Viewed", {"$email": "a@example.com"}, {"$event_id": "1"}),
            track("Viewed", {"$email": "a@example.com", "$first_name": "A"}, {"$event_id": "2"}),
        ),
        {},
        lambda rs: events_of(rs[0]) == [("a@example.com", ["1"]), ("a@example.com", ["2"])],
    ),
    "1001-events-two-requests": (
        "at most 1,000 events per request (endpoint table, spec description)",
        tracks(1001),
        {},
        lambda rs: [sum(len(u) for _, u in events_of(r)) for r in rs] == [1000, 1],
    ),
    "repeated-event-id-goes-to-a-later-request": (
        "a unique_id repeated for one profile and metric fails a whole request: deferred",
        tracks(3, email="a@example.com", properties={"$event_id": "same"}),
        {},
        lambda rs: [events_of(r) for r in rs] == [[("a@example.com", ["same"])]] * 3,
    ),
    "repeated-event-id-other-metric-same-request": (
        "the rule is per profile *and metric*: another metric may repeat the id",
        calls(
            track("Viewed", {"$email": "a@example.com"}, {"$event_id": "1"}),
            track("Ordered", {"$email": "a@example.com"}, {"$event_id": "1"}),
        ),
        {},
        lambda rs: len(rs) == 1,
    ),
    "repeated-event-id-shared-identifier-deferred": (
        "profiles sharing an identifier may be one profile: deferred, never risked",
        calls(
            track("Viewed", {"$email": "a@example.com"}, {"$event_id": "1"}),
            track(
                "Viewed",
                {"$email": "a@example.com", "$phone_number": "+15555550100"},
                {"$event_id": "1"},
            ),
        ),
        {},
        lambda rs: len(rs) == 2,
    ),
    "no-unique-id-same-second-deferred": (
        "without a unique_id Klaviyo uses the time to the second: same second, deferred",
        tracks(2, email="a@example.com", time=1714564800),
        {"derive_unique_id": False},
        lambda rs: len(rs) == 2 and events_of(rs[0]) == [("a@example.com", [None])],
    ),
    "no-unique-id-other-seconds-same-request": (
        "different seconds are different default ids",
        calls(
            track("Viewed", {"$email": "a@example.com"}, {}, time=1714564800),
            track("Viewed", {"$email": "a@example.com"}, {}, time=1714564801),
        ),
        {"derive_unique_id": False},
        lambda rs: len(rs) == 1,
    ),
    "five-megabytes-per-request": (
        "payload at most 5 MB: 70 events of 90 KB go in two requests",
        tracks(70, email="a@example.com", properties={"blob": BIG, "$event_id": "{i}"}),
        {},
        lambda rs: len(rs) == 2 and all(len(encode_json(r["json"])) <= 5 * 1024 * 1024 for r in rs),
    ),
    "identify-calls-merge-in-order": (
        "identify calls with the same identifiers become one profile: later values win, "
        "properties key by key (what applying them in turn did)",
        calls(
            identify({"$email": "a@example.com", "$first_name": "A", "plan": "free", "x": 1}),
            identify({"$email": "a@example.com", "$first_name": "B", "plan": "gold"}),
        ),
        {},
        lambda rs: (
            [r["operation"] for r in rs] == ["bulk_import_profiles"]
            and profiles_of(rs[0])
            == [
                {
                    "email": "a@example.com",
                    "first_name": "B",
                    "properties": {"plan": "gold", "x": 1},
                }
            ]
        ),
    ),
    "identify-order-kept-across-identifier-sets": (
        "email only, email + phone, email only: three requests in call order, never merged "
        "across the call that named the phone",
        calls(
            identify({"$email": "a@example.com", "plan": "1"}),
            identify({"$email": "a@example.com", "$phone_number": "+15555550100", "plan": "2"}),
            identify({"$email": "a@example.com", "plan": "3"}),
        ),
        {},
        lambda rs: [profiles_of(r)[0]["properties"]["plan"] for r in rs] == ["1", "2", "3"],
    ),
    "10001-profiles-two-requests": (
        "at most 10,000 profiles per import job",
        calls(*[identify({"$email": f"u{i}@example.com"}) for i in range(10_001)]),
        {},
        lambda rs: [len(profiles_of(r)) for r in rs] == [10_000, 1],
    ),
    "subscribe-upserts-join-the-profile-batch": (
        "a large subscribe's property upserts go out as a profile import job",
        lambda client: (
            client.subscribe_to_list(
                "XyZ123",
                [{"email": f"u{i}@example.com", "first_name": f"U{i}"} for i in range(12)],
            )
            and None
        ),
        {},
        lambda rs: (
            [r["operation"] for r in rs] == ["bulk_import_profiles"]
            and len(profiles_of(rs[0])) == 12
        ),
    ),
    "wait-for-jobs-shows-the-follow-up": (
        "wait_for_jobs polls the job, then reads its import errors if it reports failures",
        identify({"$email": "a@example.com", "plan": "gold"}),
        {"wait_for_jobs": True},
        lambda rs: (
            [(r["operation"], r["depends_on"]) for r in rs]
            == [
                ("bulk_import_profiles", None),
                ("get_bulk_import_profiles_job", 0),
                ("get_errors_for_bulk_import_profiles_job", 0),
            ]
            and "failed profiles" in (rs[2]["note"] or "")
        ),
    ),
}


def batched_plan(make: Calls, **options: Any) -> tuple[Plan, list[Plan]]:
    client = CompatClient(
        private_key=PRIVATE_KEY, dry_run=True, batching=True, clock=lambda: NOW, **options
    )
    plans: list[Plan] = []
    original = client.execute

    def recording(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        plans.append(result)
        return result

    client.execute = recording  # type: ignore[method-assign]
    make(client)
    return client.batcher().plan(clear=True), plans


@pytest.mark.parametrize("row", list(ROWS), ids=list(ROWS))
def test_batched_plan(row: str, spec: SpecValidator) -> None:
    quirk, make, options, check = ROWS[row]
    plan, _ = batched_plan(make, **options)
    requests = plan.to_dict()["requests"]
    assert check(requests), (quirk, json.dumps(requests)[:2000])
    for request in requests:
        spec.assert_valid(request)


def test_each_call_returns_a_plan_saying_what_was_held() -> None:
    _, plans = batched_plan(
        calls(
            track("Viewed", {"$email": "a@example.com"}, {}),
            identify({"$email": "a@example.com", "plan": "gold"}),
        )
    )
    assert [p.requests for p in plans] == [(), ()]
    assert "POST /api/event-bulk-create-jobs" in plans[0].warnings[0]
    assert "POST /api/profile-bulk-import-jobs" in plans[1].warnings[0]


def table_with(monkeypatch: pytest.MonkeyPatch, operation: str, **changes: Any) -> None:
    """The endpoint table as bulk mode reads it, with ``operation``'s row changed."""

    def changed(name: str) -> Endpoint:
        row = endpoint(name)
        return attrs.evolve(row, **changes) if name == operation else row

    monkeypatch.setattr("klaviyo_legacy_compat._core.translate.batches.endpoint", changed)


def test_caps_are_the_spec_caps_of_the_bulk_operations() -> None:
    assert caps(EVENT) == (1000, 5 * 1024 * 1024)
    assert caps(PROFILE) == (10_000, 5 * 1024 * 1024)


@pytest.mark.parametrize("missing", ["max_items", "max_bytes"])
def test_a_bulk_operation_without_a_cap_in_the_table_is_an_error_not_a_guess(
    monkeypatch: pytest.MonkeyPatch, missing: str
) -> None:
    table_with(monkeypatch, "bulk_create_events", **{missing: None})
    with pytest.raises(LookupError, match="no per-request cap of bulk_create_events"):
        caps(EVENT)
    with pytest.raises(LookupError):
        pack(EVENT, event_items(1))
    assert caps(PROFILE) == (10_000, 5 * 1024 * 1024)


def test_packing_and_the_dry_run_text_follow_the_table(monkeypatch: pytest.MonkeyPatch) -> None:
    table_with(monkeypatch, "bulk_create_events", max_items=2, max_bytes=3 * 1024 * 1024)
    assert [len(b.keys) for b in pack(EVENT, event_items(5))] == [2, 2, 1]
    client = CompatClient(private_key=PRIVATE_KEY, dry_run=True, batching=True)
    tracks(5)(client)
    plan = client.batcher().plan()
    assert len(plan.requests) == 3
    assert "(at most 2 and 3 MB each)" in plan.warnings[0]


def test_what_bulk_mode_does_not_carry_is_planned_as_usual() -> None:
    # Public key only: /client endpoints; split identify: create then PATCH; a subscribe's
    # consent and list membership: its own jobs.
    client = CompatClient(public_key="AbC123", dry_run=True, batching=True, clock=lambda: NOW)
    plan = client.track("Viewed", {"$email": "a@example.com"}, {})
    assert isinstance(plan, Plan)
    assert [r.operation for r in plan.requests] == ["create_client_event"]
    client = CompatClient(
        private_key=PRIVATE_KEY, dry_run=True, batching=True, identify_mode="split"
    )
    plan = client.identify({"$email": "a@example.com"})
    assert isinstance(plan, Plan)
    assert next(r.operation for r in plan.requests) == "create_profile"
    plan = client.subscribe_to_list("XyZ123", [{"email": "a@example.com", "first_name": "A"}])
    # The held upsert answers no profile id, so the member's id is looked up after the job.
    assert [r.operation for r in plan.requests] == [
        "get_list",
        "bulk_subscribe_profiles",
        "get_profiles",
    ]
    assert client.batcher().plan().requests[0].operation == "bulk_import_profiles"


# --- settle: what an answer means -------------------------------------------------------------


def event_items(n: int, emails: Optional[list[str]] = None) -> list[Pending]:
    out = []
    for i in range(n):
        payload = {
            "profile": {
                "type": "profile",
                "attributes": {"email": (emails or [f"u{i}@example.com"] * n)[i]},
            },
            "event": {
                "type": "event",
                "attributes": {
                    "properties": {"i": i},
                    "metric": {"data": {"type": "metric", "attributes": {"name": "Viewed"}}},
                    "unique_id": f"id-{i}",
                },
            },
        }
        out.append(Pending(i, Item(EVENT, payload), len(encode_json(payload))))
    return out


def profile_items(n: int) -> list[Pending]:
    return [
        Pending(i, Item(PROFILE, p), len(encode_json(p)))
        for i, p in enumerate(
            {"type": "profile", "attributes": {"email": f"u{i}@example.com"}} for i in range(n)
        )
    ]


def rejection(
    status: int, pointer: Optional[str] = None, request: Optional[PlannedRequest] = None
) -> BaseException:
    error: dict[str, Any] = {
        "id": "e",
        "status": status,
        "code": "invalid",
        "title": "Invalid input.",
        "detail": "bad value",
    }
    if pointer is not None:
        error["source"] = {"pointer": pointer}
    return error_from_response(json_response(status, {"errors": [error]}), request)


def reply(batch: Batch, status: int = 202, body: Any = None) -> Reply:
    return Reply(0, batch.request, json_response(status, body))


def test_an_accepted_batch_is_delivered_whole() -> None:
    (batch,) = pack(EVENT, event_items(4))
    settled = settle(batch, reply(batch))
    assert settled.delivered == (0, 1, 2, 3) and not settled.rejected and not settled.resend


def test_an_accepted_import_names_its_job() -> None:
    (batch,) = pack(PROFILE, profile_items(2))
    settled = settle(
        batch, reply(batch, 202, {"data": {"type": "profile-bulk-import-job", "id": "J1"}})
    )
    assert settled.job_id == "J1" and settled.delivered == (0, 1)


POINTER = "/data/attributes/events-bulk-create/data/{i}/attributes/events/data/{j}/attributes/time"


@pytest.mark.parametrize(
    ("quirk", "error", "rejected", "resent"),
    [
        (
            "a pointer at one event: it is handed back, the rest re-sent",
            rejection(400, POINTER.format(i=1, j=1)),
            [[2]],
            [[0, 1, 3]],
        ),
        (
            "a pointer at an entry's profile: the entry's events are handed back",
            rejection(
                400,
                "/data/attributes/events-bulk-create/data/1/attributes/profile/data/attributes/email",
            ),
            [[1], [2]],
            [[0, 3]],
        ),
        ("no pointer: halved until the bad item is alone", rejection(400), [], [[0, 1], [2, 3]]),
        (
            "a pointer past the request: halved",
            rejection(400, POINTER.format(i=9, j=0)),
            [],
            [[0, 1], [2, 3]],
        ),
        ("413 too large: halved", rejection(413), [], [[0, 1], [2, 3]]),
    ],
)
def test_a_rejected_batch_is_split(
    quirk: str, error: BaseException, rejected: list[list[int]], resent: list[list[int]]
) -> None:
    emails = ["a@example.com", "b@example.com", "b@example.com", "c@example.com"]
    (batch,) = pack(EVENT, event_items(4, emails))
    settled = settle(batch, error)
    assert [list(r.keys) for r in settled.rejected] == rejected, quirk
    assert [list(b.keys) for b in settled.resend] == resent, quirk
    assert not settled.delivered and settled.failed is None
    for item in settled.rejected:
        assert item.reason.startswith("invalid: bad value")


def test_a_lone_rejected_item_is_handed_back_with_the_reason() -> None:
    (batch,) = pack(PROFILE, profile_items(1))
    settled = settle(batch, rejection(400))
    assert [(r.keys, r.payload["attributes"]["email"], r.reason) for r in settled.rejected] == [
        ((0,), "u0@example.com", "invalid: bad value")
    ]


@pytest.mark.parametrize(
    "error",
    [rejection(429), rejection(503), rejection(401), TransportError("connection refused")],
    ids=["429", "503", "401", "no-answer"],
)
def test_a_batch_that_fails_whole_stays_pending(error: BaseException) -> None:
    (batch,) = pack(EVENT, event_items(3))
    settled = settle(batch, error)
    assert settled.failed is error and not settled.delivered and not settled.rejected


def test_a_resent_half_keeps_identities_and_validates(spec: SpecValidator) -> None:
    (batch,) = pack(EVENT, event_items(5))
    halves = settle(batch, rejection(400)).resend
    ids = [
        uid
        for half in halves
        for _, uids in events_of(Plan((half.request,)).to_dict()["requests"][0])
        for uid in uids
    ]
    assert sorted(ids) == [f"id-{i}" for i in range(5)]
    for half in halves:
        plan = Plan((half.request,))
        spec.assert_valid(plan.to_dict()["requests"][0])


# --- follow_job ---------------------------------------------------------------------------------


def drive(
    flow: Any, answers: Iterator[RawResponse]
) -> tuple[Any, list[str], list[float], list[str]]:
    sent: list[str] = []
    pauses: list[float] = []
    notices: list[str] = []

    def transmit(step: Step) -> RawResponse:
        sent.append(step.request.operation)
        return next(answers)

    def on_notice(item: Notice) -> None:
        notices.append(item.text)

    result = run(flow, transmit, on_notice, sleep=pauses.append)
    return result, sent, pauses, notices


def job(status: str, failed: int = 0) -> RawResponse:
    return json_response(
        200,
        {
            "data": {
                "type": "profile-bulk-import-job",
                "id": "J1",
                "attributes": {"status": status, "failed_count": failed},
            }
        },
    )


def import_error(pointer: Optional[str], payload: Optional[dict[str, Any]]) -> dict[str, Any]:
    return {
        "type": "import-error",
        "id": "x",
        "attributes": {
            "code": "invalid",
            "title": "Invalid",
            "detail": "phone number is not valid",
            "source": {"pointer": pointer} if pointer else {},
            "original_payload": payload,
        },
    }


def test_a_job_is_polled_until_complete_and_its_errors_handed_back() -> None:
    (batch,) = pack(PROFILE, profile_items(3))
    answers = iter(
        [
            job("queued"),
            job("processing"),
            job("complete", failed=2),
            json_response(
                200,
                {
                    "data": [
                        import_error("/data/attributes/profiles/data/2", None),
                        import_error(
                            None, {"type": "profile", "attributes": {"email": "u0@example.com"}}
                        ),
                    ],
                    "links": {},
                },
            ),
        ]
    )
    rejected, sent, pauses, _ = drive(follow_job(batch, "J1", interval=0.5), answers)
    assert sent == ["get_bulk_import_profiles_job"] * 3 + [
        "get_errors_for_bulk_import_profiles_job"
    ]
    assert pauses == [0.5, 1.0]
    assert [(r.keys, r.reason) for r in rejected] == [
        ((2,), "invalid: phone number is not valid"),
        ((0,), "invalid: phone number is not valid"),
    ]


def test_a_complete_job_without_failures_reads_no_errors() -> None:
    (batch,) = pack(PROFILE, profile_items(2))
    rejected, sent, _, _ = drive(follow_job(batch, "J1"), iter([job("complete")]))
    assert rejected == [] and sent == ["get_bulk_import_profiles_job"]


def test_a_cancelled_job_hands_back_everything() -> None:
    (batch,) = pack(PROFILE, profile_items(2))
    rejected, _, _, _ = drive(follow_job(batch, "J1"), iter([job("cancelled")]))
    assert [r.keys for r in rejected] == [(0,), (1,)] and "cancelled" in rejected[0].reason


def test_a_job_that_outlasts_the_wait_is_reported() -> None:
    (batch,) = pack(PROFILE, profile_items(1))
    answers = iter([job("processing")] * 10)
    rejected, _sent, pauses, notices = drive(
        follow_job(batch, "J1", interval=1.0, max_wait=3.0), answers
    )
    assert rejected == [] and pauses == [1.0, 2.0] and "still processing" in notices[0]


def test_dry_run_skips_pauses() -> None:
    # The runner without ``sleep`` (dry-run) passes a Pause by.
    def flow() -> Any:
        yield Pause(5.0)
        return "done"

    assert run(flow(), lambda step: RawResponse(200), lambda n: None) == "done"


def test_bad_request_is_the_split_status() -> None:
    assert isinstance(rejection(400), BadRequestError)
