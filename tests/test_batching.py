"""Bulk mode live (``_batching.py``): legacy calls held and delivered as bulk jobs.

Against the local Klaviyo over sockets where delivery matters (flushes on size, age, exit and
request; jobs followed; crash safety with the spool), and against a scripted transport where
an exact answer is needed (an item rejected with or without a pointer, a batch that fails).
"""

from __future__ import annotations

import base64
import io
import json
import logging
import math
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable

import pytest
import requests

import klaviyo_legacy_compat as klaviyo
from klaviyo_legacy_compat import (
    Batcher,
    CompatClient,
    FlushReport,
    PartialDeliveryError,
    Plan,
    PreparedRequest,
    RawResponse,
    Rejected,
    SpoolError,
    cli,
)
from klaviyo_legacy_compat.legacy_http import mount
from klaviyo_legacy_compat.sdk import Client
from klaviyo_legacy_compat.testing import LocalKlaviyo, RecordingTransport, json_response

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def server() -> Iterator[LocalKlaviyo]:
    with LocalKlaviyo(enforce_rate_limits=False) as running:
        yield running


def client_for(server: LocalKlaviyo, **options: Any) -> CompatClient:
    options.setdefault("batch_max_age", 3600)
    return CompatClient(
        private_key=server.private_key, base_url=server.base_url, batching=True, **options
    )


def sent(server: LocalKlaviyo, operation: str) -> int:
    return sum(1 for r in server.requests if r.operation == operation)


def wait_for(condition: Callable[[], bool], seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def unique_ids(server: LocalKlaviyo) -> Counter[str]:
    return Counter(event.unique_id for event in server.store.events)


# --- when a flush happens -------------------------------------------------------------------


def test_a_call_returns_the_legacy_1_and_sends_nothing_yet(server: LocalKlaviyo) -> None:
    client = client_for(server)
    assert client.track("Viewed", {"$email": "a@example.com"}, {}) == 1
    assert client.identify({"$email": "a@example.com", "plan": "gold"}) == 1
    assert server.requests == [] and client.batcher().pending() == 2
    client.close()
    assert len(server.store.events) == 1


def test_a_full_request_goes_out_at_once(server: LocalKlaviyo) -> None:
    client = client_for(server)
    for i in range(999):
        client.track("Viewed", {"$email": f"u{i}@example.com"}, {"i": i})
    assert sent(server, "bulk_create_events") == 0
    client.track("Viewed", {"$email": "last@example.com"}, {})
    # At once (the age limit is an hour), by the background sender.
    assert wait_for(lambda: client.batcher().pending() == 0)
    assert sent(server, "bulk_create_events") == 1 and len(server.store.events) == 1000
    client.close()


def test_four_megabytes_waiting_go_out_at_once(server: LocalKlaviyo) -> None:
    # 50 events of 90 KB: far fewer than 1,000, but 80% of the 5 MB a request may carry.
    client = client_for(server)
    for i in range(50):
        client.track("Viewed", {"$email": f"u{i}@example.com"}, {"blob": "x" * 90_000})
    # Sent without a flush; the few left over wait for their age (an hour), or a flush.
    assert wait_for(lambda: client.batcher().pending() < 10)
    assert len(server.store.events) > 40
    client.flush()
    assert len(server.store.events) == 50
    client.close()


def test_the_oldest_item_goes_out_after_batch_max_age(server: LocalKlaviyo) -> None:
    client = client_for(server, batch_max_age=0.2)
    started = time.monotonic()
    for i in range(3):
        client.track("Viewed", {"$email": f"u{i}@example.com"}, {})
    assert wait_for(lambda: len(server.store.events) == 3)
    assert time.monotonic() - started >= 0.2
    assert sent(server, "bulk_create_events") == 1
    client.close()


def test_the_age_limit_follows_the_oldest_item_still_waiting() -> None:
    # A steady producer fills a request well within batch_max_age: every request goes out
    # full. The items left after one went out are young; counting their age from the first
    # item ever held sent a burst of tiny requests each batch_max_age, each spending a slot
    # of the endpoint's steady limit (150 a minute) on a few events.
    sizes: list[int] = []

    def answer(request: PreparedRequest) -> RawResponse:
        sizes.append(len(events_in(request)))
        return RawResponse(202)

    client, _ = scripted(answer, batch_max_age=1.0)
    started, i = time.monotonic(), 0
    while time.monotonic() - started < 2.5:  # about 5,000 events a second
        for _ in range(25):
            client.track("Viewed", {"$email": f"u{i % 1000}@example.com"}, {"$event_id": f"e{i}"})
            i += 1
        time.sleep(0.005)
    client.close()  # the last, partial request
    assert sum(sizes) == i
    assert sizes[:-1] == [1000] * (len(sizes) - 1), sizes


def test_flush_sends_everything_and_reports(server: LocalKlaviyo) -> None:
    client = client_for(server)
    for i in range(1500):
        client.track("Viewed", {"$email": f"u{i % 7}@example.com"}, {"i": i})
    for i in range(3):
        client.identify({"$email": f"u{i}@example.com", "plan": "gold"})
    report = client.flush()
    assert isinstance(report, FlushReport) and report.ok
    # 1000 went out with the call that completed them; the flush sent the rest.
    assert (report.requests, report.delivered) == (3, 1503)
    assert len(server.store.events) == 1500
    assert all(
        p.properties.get("plan") == "gold"
        for p in server.store.profiles.values()
        if p.email in ("u0@example.com", "u1@example.com", "u2@example.com")
    )
    assert client.flush() == FlushReport()
    client.close()


def test_leaving_the_block_flushes_and_restores_options(server: LocalKlaviyo) -> None:
    client = CompatClient(private_key=server.private_key, base_url=server.base_url)
    with klaviyo.batching(client, batch_max_age=3600) as batch:
        assert client.track("Viewed", {"$email": "a@example.com"}, {}) == 1
        assert batch.pending() == 1 and server.requests == []
    assert len(server.store.events) == 1
    assert client.settings().batch.batching is False
    assert client.settings().batch.batch_max_age == 5.0
    client.track("Viewed", {"$email": "b@example.com"}, {})
    assert [r.operation for r in server.requests] == ["bulk_create_events", "create_event"]
    client.close()


def test_interpreter_exit_flushes(server: LocalKlaviyo) -> None:
    script = textwrap.dedent(
        f"""
        import klaviyo_legacy_compat as klaviyo
        klaviyo.configure(private_key={server.private_key!r}, base_url={server.base_url!r},
                          batching=True, batch_max_age=3600)
        for i in range(5):
            assert klaviyo.track("Viewed", {{"$email": f"u{{i}}@example.com"}}, {{}}) == 1
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert len(server.store.events) == 5 and sent(server, "bulk_create_events") == 1


def test_unchanged_legacy_call_sites_batch(server: LocalKlaviyo) -> None:
    # klaviyo 3.1.7: Klaviyo(public_token, private_token).Public.track(...)
    legacy = klaviyo.Klaviyo(server.public_key, server.private_key, base_url=server.base_url)
    unbatched = legacy.Public.track("Viewed", email="a@example.com", properties={"n": 1})
    with klaviyo.batching(batch_max_age=3600):
        batched = [
            legacy.Public.track("Viewed", email=f"u{i}@example.com", properties={"n": i})
            for i in range(20)
        ]
        legacy.Public.identify(email="a@example.com", properties={"plan": "gold"})
    assert batched == [unbatched] * 20
    assert Counter(r.operation for r in server.requests) == Counter(
        {"create_event": 1, "bulk_create_events": 1, "bulk_import_profiles": 1}
    )
    assert len(server.store.events) == 21


def test_unchanged_klaviyo_sdk_call_sites_batch(server: LocalKlaviyo) -> None:
    # klaviyo-sdk 1.0.9: Client(api_key).TrackIdentify.track_get(data) / track_post / identify_post
    compat = CompatClient(base_url=server.base_url)
    sdk = Client(server.private_key, client=compat)
    data = {
        "token": server.public_key,
        "event": "Viewed",
        "customer_properties": {"$email": "a@example.com"},
    }
    unbatched = sdk.TrackIdentify.track_get(base64.b64encode(json.dumps(data).encode()))
    with klaviyo.batching(compat, batch_max_age=3600):
        batched = [
            sdk.TrackIdentify.track_post(
                data={**data, "customer_properties": {"$email": f"u{i}@example.com"}}
            )
            for i in range(20)
        ]
        identified = sdk.TrackIdentify.identify_post(
            data={"token": server.public_key, "properties": {"$email": "a@example.com", "n": 1}}
        )
        assert [r.operation for r in server.requests] == ["create_event"]
    assert batched == [unbatched] * 20 and identified == "1"
    assert Counter(r.operation for r in server.requests) == Counter(
        {"create_event": 1, "bulk_create_events": 1, "bulk_import_profiles": 1}
    )
    assert len(server.store.events) == 21
    compat.close()


def test_raw_legacy_http_subscribes_batch_their_upserts(server: LocalKlaviyo) -> None:
    # requests.post(".../api/v2/list/ID/subscribe", json={"api_key": ...}) through mount():
    # the membership answers at once, the property upserts wait for the bulk import job.
    list_id = server.store.create_list("Newsletter")
    compat = CompatClient(base_url=server.base_url)
    session = requests.Session()
    mount(session, compat, base=server.base_url + "/api")
    with klaviyo.batching(compat, batch_max_age=3600):
        for i in range(3):
            answer = session.post(
                f"{server.base_url}/api/v2/list/{list_id}/subscribe",
                json={
                    "api_key": server.private_key,
                    "profiles": [{"email": f"u{i}@example.com", "$first_name": f"U{i}"}],
                },
            )
            assert answer.status_code == 200 and answer.json()[0]["email"] == f"u{i}@example.com"
        assert sent(server, "bulk_subscribe_profiles") == 3
        assert sent(server, "bulk_import_profiles") == 0
    assert sent(server, "bulk_import_profiles") == 1
    names = {p.email: p.attributes.get("first_name") for p in server.store.profiles.values()}
    assert names == {f"u{i}@example.com": f"U{i}" for i in range(3)}
    compat.close()


def test_a_large_subscribe_sends_its_upserts_as_an_import_job(server: LocalKlaviyo) -> None:
    list_id = server.store.create_list("Newsletter")
    client = client_for(server)
    profiles = [{"email": f"u{i}@example.com", "$first_name": f"U{i}"} for i in range(30)]
    members = client.subscribe_to_list(list_id, profiles)
    assert len(members) == 30  # the legacy answer, at once
    assert (
        sent(server, "bulk_subscribe_profiles") == 1 and sent(server, "bulk_import_profiles") == 0
    )
    client.flush()
    assert sent(server, "bulk_import_profiles") == 1
    names = {p.email: p.attributes.get("first_name") for p in server.store.profiles.values()}
    assert names["u29@example.com"] == "U29"
    client.close()


def test_requests_sent_are_the_minimum(server: LocalKlaviyo) -> None:
    client = client_for(server)
    events, profiles = 2500, 12_000
    for i in range(events):
        client.track("Viewed", {"$email": f"u{i}@example.com"}, {})
    for i in range(profiles):
        client.identify({"$email": f"p{i}@example.com", "n": i})
    client.flush()
    assert sent(server, "bulk_create_events") == math.ceil(events / 1000)
    assert sent(server, "bulk_import_profiles") == math.ceil(profiles / 10_000)
    assert len(server.store.events) == events
    client.close()


# --- rejections, failures and jobs ------------------------------------------------------------


def scripted(
    answer: Callable[[PreparedRequest], RawResponse], **options: Any
) -> tuple[CompatClient, RecordingTransport]:
    """A bulk-mode client whose requests ``answer`` answers (no pacing, no retries)."""
    transport = RecordingTransport(answer)
    options.setdefault("batch_max_age", 3600)
    client = CompatClient(
        private_key="pk_test_0123456789abcdef0123456789abcdef",
        transport=transport,
        batching=True,
        **options,
    )
    return client, transport


def entries_in(request: PreparedRequest) -> list[Any]:
    body: Any = request.json
    return list(body["data"]["attributes"]["events-bulk-create"]["data"])


def events_in(request: PreparedRequest) -> list[Any]:
    return [e for entry in entries_in(request) for e in entry["attributes"]["events"]["data"]]


def bad_event_answer(with_pointer: bool) -> Callable[[PreparedRequest], RawResponse]:
    """400 when a request holds an event with ``properties.bad``, naming it if asked."""

    def answer(request: PreparedRequest) -> RawResponse:
        for i, entry in enumerate(entries_in(request)):
            for j, event in enumerate(entry["attributes"]["events"]["data"]):
                if event["attributes"]["properties"].get("bad"):
                    error: dict[str, Any] = {
                        "status": 400,
                        "code": "invalid",
                        "title": "Invalid input.",
                        "detail": "'bad' is not allowed.",
                    }
                    if with_pointer:
                        error["source"] = {
                            "pointer": f"/data/attributes/events-bulk-create/data/{i}"
                            f"/attributes/events/data/{j}/attributes/properties"
                        }
                    return json_response(400, {"errors": [error]})
        return RawResponse(202)

    return answer


@pytest.mark.parametrize(
    ("with_pointer", "requests"), [(True, 2), (False, 7)], ids=["pointer", "bisect"]
)
def test_a_bad_item_is_handed_back_and_the_rest_delivered(
    with_pointer: bool, requests: int
) -> None:
    client, transport = scripted(bad_event_answer(with_pointer))
    for i in range(8):
        client.track("Viewed", {"$email": f"u{i}@example.com"}, {"i": i, "bad": i == 5})
    with pytest.raises(PartialDeliveryError) as caught:
        client.flush()
    (rejected,) = caught.value.undelivered
    assert isinstance(rejected, Rejected)
    assert rejected.payload["event"]["attributes"]["properties"]["i"] == 5
    assert rejected.reason.startswith("invalid: 'bad' is not allowed.")
    accepted = [
        r
        for r in transport.requests
        if not any(e["attributes"]["properties"]["bad"] for e in events_in(r))
    ]
    delivered = sorted(e["attributes"]["properties"]["i"] for r in accepted for e in events_in(r))
    assert delivered == [0, 1, 2, 3, 4, 6, 7]
    assert len(transport.requests) == requests
    assert [r.reason for r in client.batcher().failed()] == [rejected.reason]
    assert client.batcher().pending() == 0
    client.close()


def test_rejected_items_can_be_sent_again_once_fixed(tmp_path: Path) -> None:
    accepting = [False]

    def answer(request: PreparedRequest) -> RawResponse:
        return RawResponse(202) if accepting[0] else bad_event_answer(True)(request)

    client, _ = scripted(answer, spool_path=str(tmp_path / "spool.db"))
    client.track("Viewed", {"$email": "a@example.com"}, {"bad": True})
    client.track("Viewed", {"$email": "b@example.com"}, {"bad": False})
    with pytest.raises(PartialDeliveryError):
        client.flush()
    assert [r.payload["profile"]["attributes"]["email"] for r in client.batcher().failed()] == [
        "a@example.com"
    ]
    accepting[0] = True  # say the account was fixed
    assert client.batcher().retry_failed() == 1
    assert client.batcher().flush().delivered == 1
    assert client.batcher().failed() == []
    client.close()


def test_items_of_an_account_this_process_does_not_know_are_kept(
    tmp_path: Path, server: LocalKlaviyo
) -> None:
    path = str(tmp_path / "spool.db")
    other = CompatClient(
        private_key="pk_other_0123456789abcdef0123456789",
        base_url=server.base_url,
        batching=True,
        batch_max_age=3600,
        spool_path=path,
    )
    other.track("Viewed", {"$email": "a@example.com"}, {})
    other.batcher().close(flush=False)
    mine = client_for(server, spool_path=path)
    with pytest.raises(PartialDeliveryError, match="has not been given"):
        mine.flush()
    assert mine.batcher().pending() == 1 and server.requests == []
    mine.close()


def test_a_failed_batch_stays_pending_and_goes_again_whole() -> None:
    failing = [True]

    def answer(request: PreparedRequest) -> RawResponse:
        return (
            json_response(
                503,
                {
                    "errors": [
                        {
                            "status": 503,
                            "code": "unavailable",
                            "title": "Service unavailable.",
                            "detail": "try later",
                        }
                    ]
                },
            )
            if failing[0]
            else RawResponse(202)
        )

    client, transport = scripted(answer)
    for i in range(3):
        client.track("Viewed", {"$email": f"u{i}@example.com"}, {"i": i})
    with pytest.raises(PartialDeliveryError) as caught:
        client.flush()
    assert isinstance(caught.value, klaviyo.ServerError)  # the cause's class, for legacy excepts
    assert [p["event"]["attributes"]["properties"]["i"] for p in caught.value.undelivered] == [
        0,
        1,
        2,
    ]
    assert client.batcher().pending() == 3
    failing[0] = False
    assert client.batcher().flush().delivered == 3
    first, again = transport.requests
    assert first.json == again.json  # the same events, the same unique_id values
    client.close()


class Interrupted(BaseException):
    """What a Ctrl-C is to a flush: not a failure a flow turns into an answer, so it goes
    through the batcher's own exception path."""


def answers(*script: Callable[[], RawResponse]) -> Callable[[PreparedRequest], RawResponse]:
    """Answers the requests one by one from ``script``, accepting once it runs out."""
    left = list(script)
    return lambda request: left.pop(0)() if left else RawResponse(202)


def interrupt() -> RawResponse:
    raise Interrupted


def unavailable() -> RawResponse:
    return RawResponse(503)


def counted(batcher: Batcher) -> dict[str, tuple[int, int]]:
    """The batcher's counters of pending items (what decides that a request's worth is
    waiting, or that a kind is due), to hold against the store's own count."""
    return {kind: (q.count, q.size) for kind, q in batcher._queues.items() if q.count}


def test_items_an_interrupted_flush_leaves_are_counted_and_go_again() -> None:
    client, transport = scripted(answers(interrupt))
    for i in range(3):
        client.track("Viewed", {"$email": f"u{i}@example.com"}, {"i": i})
    with pytest.raises(Interrupted):
        client.flush()
    batcher = client.batcher()
    assert batcher.pending() == 3
    report = batcher.flush()
    assert (report.delivered, report.pending, batcher.pending()) == (3, 0, 0)
    interrupted, again = transport.requests
    assert interrupted.json == again.json  # the same events, the same unique_id values
    client.close()


def test_the_background_sender_takes_up_again_what_a_raising_send_left(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client, transport = scripted(lambda request: RawResponse(202), batch_max_age=0.05)
    batcher = client.batcher()
    send = batcher._send
    calls: list[int] = []

    def raising_once(*args: Any) -> None:
        calls.append(1)
        if len(calls) == 1:  # a shut-down thread pool's error, from outside the flow
            raise RuntimeError("cannot schedule new futures after shutdown")
        send(*args)

    monkeypatch.setattr(batcher, "_send", raising_once)
    for i in range(3):
        client.track("Viewed", {"$email": f"u{i}@example.com"}, {"i": i})
    assert wait_for(lambda: batcher.stats == (1, 3))  # one request, all three items
    assert len(calls) == 2 and len(events_in(transport.requests[0])) == 3
    assert batcher.pending() == 0
    client.close()


def test_counters_agree_with_the_store_after_failed_batches() -> None:
    client, _ = scripted(answers(unavailable, interrupt))
    batcher = client.batcher()
    for i in range(3):
        client.track("Viewed", {"$email": f"u{i}@example.com"}, {"i": "x" * 100})
    added = counted(batcher)
    assert added == batcher._open().pending_by_kind() and len(added) == 1
    report = batcher.flush(raise_errors=False)  # a 503: the batch fails whole
    assert report.pending == 3 and counted(batcher) == added
    with pytest.raises(Interrupted):
        batcher.flush()
    assert counted(batcher) == added
    assert batcher.flush().delivered == 3
    assert counted(batcher) == {} == batcher._open().pending_by_kind()
    client.close()


def test_close_lets_go_of_the_spool_and_says_what_is_left_when_its_flush_raises(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = str(tmp_path / "spool.db")
    client, _ = scripted(answers(interrupt), spool_path=path)
    client.track("Viewed", {"$email": "kept@example.com"}, {})
    caplog.set_level(logging.ERROR, logger="klaviyo_legacy_compat")
    with pytest.raises(Interrupted):
        client.close()
    assert any("1 buffered items are still pending" in r.getMessage() for r in caplog.records)
    client.close()  # the rest of the client's resources
    again, transport = scripted(lambda request: RawResponse(202), spool_path=path)
    assert again.batcher().flush().delivered == 1  # the spool was let go, its item kept
    (entry,) = entries_in(transport.requests[0])
    assert entry["attributes"]["profile"]["data"]["attributes"]["email"] == "kept@example.com"
    again.close()


def test_close_without_a_spool_logs_the_payloads_when_its_flush_raises(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client, _ = scripted(answers(interrupt))
    client.track("Viewed", {"$email": "kept@example.com"}, {"order": "A-1"})
    caplog.set_level(logging.ERROR, logger="klaviyo_legacy_compat")
    with pytest.raises(Interrupted):
        client.close()
    logged = "\n".join(r.getMessage() for r in caplog.records if r.levelno == logging.ERROR)
    assert "kept@example.com" in logged and "A-1" in logged
    client.close()


def test_import_errors_are_handed_back_when_waiting_for_jobs(server: LocalKlaviyo) -> None:
    plain = CompatClient(private_key=server.private_key, base_url=server.base_url)
    plain.identify({"$email": "a@example.com"})
    plain.identify({"$phone_number": "+15555550100"})
    client = client_for(server, wait_for_jobs=True)
    client.identify({"$email": "a@example.com", "$phone_number": "+15555550100", "n": 1})
    client.identify({"$email": "c@example.com", "n": 2})
    with pytest.raises(PartialDeliveryError) as caught:
        client.flush()
    (rejected,) = caught.value.undelivered
    assert rejected.payload["attributes"]["email"] == "a@example.com"
    assert rejected.reason.startswith("duplicate_profile:")
    assert sent(server, "get_bulk_import_profiles_job") == 1
    assert sent(server, "get_errors_for_bulk_import_profiles_job") == 1
    assert any(p.email == "c@example.com" for p in server.store.profiles.values())
    client.close()
    plain.close()


def test_a_job_whose_follow_up_fails_still_counts_as_delivered(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def answer(request: PreparedRequest) -> RawResponse:
        if request.operation == "bulk_import_profiles":
            return json_response(202, {"data": {"type": "profile-bulk-import-job", "id": "J1"}})
        return RawResponse(503)  # the job's status cannot be read

    client, _ = scripted(answer, wait_for_jobs=True)
    client.identify({"$email": "a@example.com", "plan": "gold"})
    with caplog.at_level(logging.WARNING, logger="klaviyo_legacy_compat"):
        report = client.batcher().flush()
    assert report.ok and report.delivered == 1
    assert any("following it failed" in r.getMessage() for r in caplog.records)
    client.close()


def test_dry_run_sends_nothing_and_flush_returns_the_plan() -> None:
    transport = RecordingTransport()
    client = CompatClient(
        private_key="pk_test_0123456789abcdef0123456789abcdef", transport=transport, dry_run=True
    )
    with klaviyo.batching(client) as batch:
        plan = client.track("Viewed", {"$email": "a@example.com"}, {})
        assert isinstance(plan, Plan) and plan.requests == ()
        assert [r.operation for r in batch.plan().requests] == ["bulk_create_events"]
        flushed = client.flush()
        assert isinstance(flushed, Plan) and len(flushed.requests) == 1
        assert client.flush() == Plan(())
    assert transport.requests == []


def snapshot(directory: Path) -> dict[str, tuple[bytes, int]]:
    """Every file of ``directory``: its bytes and its modification time (ns)."""
    return {
        entry.name: (entry.read_bytes(), entry.stat().st_mtime_ns)
        for entry in sorted(directory.iterdir())
    }


def dry_run_ways(path: str) -> Iterator[CompatClient]:
    """A dry-run reaches bulk mode with a spool path in every way there is; each yields its
    client once it has made its calls (and flushed)."""
    key = "pk_test_0123456789abcdef0123456789abcdef"
    # 1. A batching() block in dry-run, its plan asked for inside and flushed on leaving.
    client = CompatClient(private_key=key, transport=RecordingTransport())
    with klaviyo.batching(client, spool_path=path, dry_run=True) as batch:
        client.track("Viewed", {"$email": "a@example.com"}, {})
        assert batch.pending() == 0 and len(batch.plan().requests) == 1
    yield client
    # 2. One dry-run call, with bulk mode and the spool given to the call alone.
    client = CompatClient(private_key=key, transport=RecordingTransport())
    plan = client.track(
        "Viewed", {"$email": "a@example.com"}, {}, dry_run=True, batching=True, spool_path=path
    )
    assert isinstance(plan, Plan) and plan.requests == ()
    yield client
    # 3. A client configured for dry-run bulk mode with a spool: calls, then flush().
    client = CompatClient(
        private_key=key, transport=RecordingTransport(), dry_run=True, batching=True
    )
    client.configure(spool_path=path)
    client.identify({"$email": "a@example.com", "plan": "gold"})
    flushed = client.flush()
    assert isinstance(flushed, Plan) and len(flushed.requests) == 1
    assert client.batcher().pending() == 0
    yield client


def test_a_dry_run_never_creates_a_spool(tmp_path: Path) -> None:
    for where in (tmp_path / "missing" / "spool.db", tmp_path / "spool.db"):
        for client in dry_run_ways(str(where)):
            client.close()  # a live flush of nothing: still no spool
        assert not where.parent.exists() or list(where.parent.iterdir()) == []


def test_the_translate_command_never_creates_the_spool_the_environment_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # translate is a dry run: bulk mode and a spool in the environment change nothing on disk.
    monkeypatch.setenv("KLAVIYO_LEGACY_COMPAT_BATCHING", "1")
    monkeypatch.setenv("KLAVIYO_LEGACY_COMPAT_SPOOL", str(tmp_path / "spool.db"))
    request = {  # a subscribe with a private key: its property upsert is bulk mode's
        "method": "POST",
        "url": "https://a.klaviyo.com/api/v2/list/XyZ123/subscribe",
        "json": {
            "api_key": "pk_test_0123456789abcdef0123456789abcdef",
            "profiles": [{"email": "a@example.com", "plan": "gold"}],
        },
    }
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(request)))
    assert cli.main(["translate"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert any("batching: create_or_update_profile is held" in w for w in plan["warnings"])
    assert list(tmp_path.iterdir()) == []


def test_a_dry_run_needs_no_writable_spool_location(tmp_path: Path) -> None:
    # A path under a regular file can be created by nobody, root included: a dry-run that
    # opened or created the spool would fail here.
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    for client in dry_run_ways(str(blocker / "spool.db")):
        client.close()
    assert blocker.read_text() == "" and list(tmp_path.iterdir()) == [blocker]


def test_a_dry_run_leaves_an_existing_spool_exactly_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "spool.db"
    owner, _ = scripted(lambda request: RawResponse(503), spool_path=str(path))
    owner.track("Viewed", {"$email": "kept@example.com"}, {})
    owner.batcher().close(flush=False)
    owner.close()
    before = snapshot(tmp_path)
    assert "spool.db" in before
    time.sleep(0.01)  # a write now would change a modification time
    for client in dry_run_ways(str(path)):
        client.close()
    assert snapshot(tmp_path) == before
    # ... and its owner-to-be still finds the item it holds.
    again, transport = scripted(lambda request: RawResponse(202), spool_path=str(path))
    assert again.batcher().flush().delivered == 1 and len(transport.requests) == 1
    again.close()


def test_calls_after_close_are_sent_one_by_one(server: LocalKlaviyo) -> None:
    # A closed batcher sends nothing more: an item it took now would never leave.
    client = client_for(server)
    client.track("Viewed", {"$email": "a@example.com"}, {})
    client.batcher().close()
    assert client.track("Viewed", {"$email": "b@example.com"}, {}) == 1
    assert [r.operation for r in server.requests] == ["bulk_create_events", "create_event"]
    assert client.batcher().close() is None  # once is enough
    client.close()


def test_close_without_a_spool_logs_what_it_could_not_deliver(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client, _ = scripted(lambda request: RawResponse(503))
    client.track("Viewed", {"$email": "kept@example.com"}, {"order": "A-1"})
    with caplog.at_level(logging.ERROR, logger="klaviyo_legacy_compat"):
        client.close()
    logged = "\n".join(r.getMessage() for r in caplog.records if r.levelno == logging.ERROR)
    assert "kept@example.com" in logged and "A-1" in logged


# --- the spool ------------------------------------------------------------------------------


def test_a_spool_in_use_is_refused_clearly(tmp_path: Path, server: LocalKlaviyo) -> None:
    path = str(tmp_path / "spool.db")
    first = client_for(server, spool_path=path)
    first.track("Viewed", {"$email": "a@example.com"}, {})
    second = client_for(server, spool_path=path)
    with pytest.raises(SpoolError, match="spool"):
        second.track("Viewed", {"$email": "a@example.com"}, {})
    first.close()


def test_a_spool_survives_close_and_is_drained_by_the_next_client(
    tmp_path: Path, server: LocalKlaviyo
) -> None:
    path = str(tmp_path / "spool.db")
    failing = LocalKlaviyo(enforce_rate_limits=False).start()
    failing.stop()  # nothing listens there: every batch fails and stays in the spool
    client = CompatClient(
        private_key=server.private_key,
        base_url=failing.base_url,
        batching=True,
        spool_path=path,
        batch_max_age=3600,
        retry_budget=0.1,
        max_attempts=1,
    )
    for i in range(3):
        client.track("Viewed", {"$email": f"u{i}@example.com"}, {"$event_id": f"e{i}"})
    client.close()
    again = client_for(server, spool_path=path)
    assert again.batcher().pending() == 3
    assert again.batcher().flush().delivered == 3
    assert sorted(unique_ids(server)) == ["e0", "e1", "e2"]
    again.close()


CHILD = """
import sys
import klaviyo_legacy_compat as klaviyo
klaviyo.configure(private_key=sys.argv[1], base_url=sys.argv[2], batching=True,
                  spool_path=sys.argv[3], batch_max_age=3600, max_concurrency=1)
for i in range(100_000):
    klaviyo.track("Viewed", {"$email": f"u{i % 50}@example.com"}, {"$event_id": f"ev-{i}"})
    print(i, flush=True)
"""


@pytest.mark.parametrize(
    ("acknowledged_at_kill", "slow"),
    [(2600, False), (2999, True)],
    ids=["fast-answers", "mid-request"],
)
def test_a_killed_process_loses_nothing_and_duplicates_nothing(
    tmp_path: Path, server: LocalKlaviyo, acknowledged_at_kill: int, slow: bool
) -> None:
    if slow:
        # Answers come late (Klaviyo stored the events already): the kill lands while
        # requests are in flight, their items neither settled nor lost.
        server.faults.add("slow_after_store", operation="bulk_create_events", times=50, delay=5.0)
    path = tmp_path / "spool.db"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, server.private_key, server.base_url, str(path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    acknowledged = []
    for line in child.stdout:
        acknowledged.append(int(line))
        if len(acknowledged) >= acknowledged_at_kill:
            break
    if slow:
        time.sleep(0.3)
    child.send_signal(signal.SIGKILL)
    child.wait()
    child.stdout.close()
    server.faults.clear()
    assert len(acknowledged) == acknowledged_at_kill
    with sqlite3.connect(path) as db:
        (in_flight,) = db.execute("SELECT COUNT(*) FROM items WHERE state = 'in_flight'").fetchone()
    db.close()
    if slow:
        assert in_flight > 0  # the scenario under test: requests were in flight
    # Klaviyo keeps the first event of a unique_id, so the stored events alone cannot show
    # a re-send: count what the restarted client delivers, and the repeats Klaviyo dropped.
    stored_before, repeats_before = len(server.store.events), server.store.repeated_events
    with sqlite3.connect(path) as db:
        (held,) = db.execute("SELECT COUNT(*) FROM items").fetchone()
    db.close()
    client = client_for(server, spool_path=str(path))
    client.flush()
    stored = unique_ids(server)
    assert {f"ev-{i}" for i in acknowledged} <= set(stored)
    assert max(stored.values()) == 1  # each event once: Klaviyo keeps the first of a unique_id
    repeats = server.store.repeated_events - repeats_before
    # Only what the spool still held went again; of that, only the one request in flight at
    # the kill (max_concurrency=1: at most 1,000 events) can have reached Klaviyo before.
    assert len(stored) - stored_before + repeats == held
    assert repeats <= 1000
    client.close()
