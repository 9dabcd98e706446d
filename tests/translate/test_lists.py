"""Legacy Lists & Segments: fixtures/translate/lists.json, one row per quirk, plus the legacy
pagination loops (``while marker:`` and ``page``/``total``) run against a fake Klaviyo, and
members added in bulk against the local Klaviyo."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import Any, Optional

import pytest

from klaviyo_legacy_compat import CompatClient, Klaviyo, PreparedRequest, RawResponse, exceptions
from klaviyo_legacy_compat._translate.lists import LEGACY_REASONS
from klaviyo_legacy_compat._transport import RequestsTransport
from klaviyo_legacy_compat._wire import parse_legacy_request
from klaviyo_legacy_compat.cli import request_from_json
from klaviyo_legacy_compat.sdk import Client
from klaviyo_legacy_compat.testing import LocalKlaviyo, RecordingTransport, json_response
from tests import cases
from tests.conftest import NOW, PRIVATE_KEY

BASE = "https://a.klaviyo.com/api"


@pytest.mark.parametrize("row", cases.load("lists"))
def test_lists(row: dict[str, Any]) -> None:
    cases.check(row)


class FakeGroups:
    """A fake Klaviyo serving list and segment members (and list suppressions) 100 a page,
    with ``links.next`` cursors; unknown list ids answer 404, as Klaviyo does."""

    def __init__(self, lists: dict[str, int], segments: dict[str, int]) -> None:
        self.lists = lists
        self.segments = segments

    def profiles(self, group: str, count: int, cursor: Optional[str], path: str) -> RawResponse:
        start = int(cursor or 0)
        data = [
            {
                "type": "profile",
                "id": f"{group}-{i}",
                "attributes": {
                    "email": f"{group}{i}@example.com",
                    "phone_number": None,
                    "subscriptions": {
                        "email": {
                            "marketing": {
                                "can_receive_email_marketing": False,
                                "consent": "UNSUBSCRIBED",
                                "list_suppressions": [
                                    {
                                        "list_id": group,
                                        "reason": "UNSUBSCRIBE",
                                        "timestamp": "2024-01-01T00:00:00+00:00",
                                    }
                                ],
                            }
                        }
                    },
                },
            }
            for i in range(start, min(start + 100, count))
        ]
        links = {"self": f"https://a.klaviyo.com{path}"}
        if start + 100 < count:
            links["next"] = f"https://a.klaviyo.com{path}?page%5Bcursor%5D={start + 100}"
        return json_response(200, {"data": data, "links": links})

    def __call__(self, request: PreparedRequest) -> RawResponse:
        params = dict(request.params)
        cursor = params.get("page[cursor]")
        path = "/" + request.url.split("://", 1)[1].split("/", 1)[1]
        parts = path.strip("/").split("/")  # api, lists|segments|profiles, id, profiles
        if request.operation == "get_profiles":  # list exclusions: filtered by list id
            group = params["filter"].split('"')[1]
            return self.profiles(group, self.lists.get(group, 0), cursor, path)
        table = self.lists if parts[1] == "lists" else self.segments
        if parts[2] not in table:
            return json_response(404, {"errors": [{"id": "e", "code": "not_found"}]})
        return self.profiles(parts[2], table[parts[2]], cursor, path)


def _client(handler: Any) -> tuple[CompatClient, RecordingTransport]:
    transport = RecordingTransport(handler)
    return CompatClient(transport=transport, private_key=PRIVATE_KEY, clock=lambda: NOW), transport


def _legacy(client: CompatClient, url: str, body: dict[str, Any]) -> Any:
    """One legacy v2 request as klaviyo 3.1.7 sent it: GET with a JSON body and the key."""
    request = request_from_json({"method": "GET", "url": url, "json": {"api_key": "k", **body}})
    return client.run(parse_legacy_request(request))


@pytest.mark.parametrize(
    ("group", "count", "per_call"),
    [("LiSt1", 250, [1, 1, 1]), ("SeG1", 120, [2, 1]), ("LiSt0", 0, [1])],
    ids=["list_three_pages", "segment_after_404", "empty_list"],
)
def test_a_legacy_marker_loop_ends_and_sees_each_member_once(
    group: str, count: int, per_call: list[int]
) -> None:
    fake = FakeGroups(lists={"LiSt1": 250, "LiSt0": 0}, segments={"SeG1": 120})
    client, transport = _client(fake)
    seen: list[str] = []
    sent: list[int] = []
    marker: Optional[str] = None
    while True:  # the loop legacy code wrote around get_all_members
        before = transport.count
        body = {"marker": marker} if marker else {}
        answer = _legacy(client, f"{BASE}/v2/group/{group}/members/all", body)
        sent.append(transport.count - before)
        seen.extend(record["id"] for record in answer["records"])
        marker = answer.get("marker")
        if not marker:
            break
        assert len(sent) < 10, "the loop does not end"
    assert seen == [f"{group}-{i}" for i in range(count)]
    assert sent == per_call  # the segment fallback costs one 404, on the first call only
    if group.startswith("SeG"):
        assert transport.operations()[2:] == ["get_profiles_for_segment"]


def test_a_legacy_exclusions_loop_ends_and_sees_each_exclusion_once() -> None:
    client, _ = _client(FakeGroups(lists={"LiSt1": 230}, segments={}))
    seen: list[str] = []
    marker: Optional[str] = None
    for _ in range(10):
        answer = _legacy(client, f"{BASE}/v2/list/LiSt1/exclusions/all", {"marker": marker})
        seen.extend(record["email"] for record in answer["records"])
        assert {record["reason"] for record in answer["records"]} <= {"unsubscribed"}
        marker = answer.get("marker")
        if marker is None:
            break
    assert seen == [f"LiSt1{i}@example.com" for i in range(230)]
    assert marker is None


def test_a_marker_edited_by_hand_is_refused_before_anything_is_sent() -> None:
    client, transport = _client(FakeGroups(lists={"LiSt1": 250}, segments={}))
    answer = _legacy(client, f"{BASE}/v2/group/LiSt1/members/all", {})
    sent = transport.count
    with pytest.raises(exceptions.TranslationError) as caught:
        _legacy(client, f"{BASE}/v2/group/LiSt1/members/all", {"marker": answer["marker"][:-3]})
    assert caught.value.field == "marker"
    with pytest.raises(exceptions.TranslationError, match="another list or segment"):
        _legacy(client, f"{BASE}/v2/group/LiSt2/members/all", {"marker": answer["marker"]})
    assert transport.count == sent


def _suppressed(count: int) -> Any:
    def answer(request: PreparedRequest) -> RawResponse:
        start = int(dict(request.params).get("page[cursor]") or 0)
        data = [
            {
                "type": "profile",
                "id": f"X{i}",
                "attributes": {
                    "email": f"x{i}@example.com",
                    "subscriptions": {
                        "email": {
                            "marketing": {
                                "can_receive_email_marketing": False,
                                "consent": "UNSUBSCRIBED",
                                "suppression": [
                                    {"reason": "UNSUBSCRIBE", "timestamp": "2024-01-01T00:00:00Z"}
                                ],
                            }
                        }
                    },
                },
            }
            for i in range(start, min(start + 100, count))
        ]
        links = {"self": "https://a.klaviyo.com/api/profiles"}
        if start + 100 < count:
            links["next"] = f"https://a.klaviyo.com/api/profiles?page%5Bcursor%5D={start + 100}"
        return json_response(200, {"data": data, "links": links})

    return answer


def test_a_legacy_page_loop_over_global_exclusions_sees_each_once() -> None:
    client, _ = _client(_suppressed(1234))
    seen: list[str] = []
    page = 0
    while True:  # the loop legacy code wrote: pages of `count` until past `total`
        url = f"{BASE}/v1/people/exclusions?api_key=k&count=500&page={page}"
        answer = client.run(parse_legacy_request(request_from_json({"method": "GET", "url": url})))
        assert answer["total"] == 1234
        assert answer["page_size"] == 500 and answer["start"] == page * 500
        seen.extend(row["email"] for row in answer["data"])
        page += 1
        if page * answer["page_size"] >= answer["total"]:
            break
    assert seen == [f"x{i}@example.com" for i in range(1234)]
    assert page == 3


def test_global_exclusions_past_max_pages_say_the_total_is_unknown(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client, transport = _client(_suppressed(100_000))
    url = f"{BASE}/v1/people/exclusions?api_key=k&count=10&page=2"
    with caplog.at_level(logging.WARNING):
        answer = client.run(parse_legacy_request(request_from_json({"method": "GET", "url": url})))
    assert answer["total"] is None
    assert [row["email"] for row in answer["data"]] == [f"x{i}@example.com" for i in range(20, 30)]
    assert transport.count == 50
    assert "total is unknown" in caplog.text


def test_remove_members_warns_about_identifiers_not_on_the_list(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def answer(request: PreparedRequest) -> RawResponse:
        if request.method == "GET":
            profile = {"type": "profile", "id": "P1", "attributes": {"email": "ANN@example.com"}}
            return json_response(200, {"data": [profile], "links": {}})
        return RawResponse(204)

    client, transport = _client(answer)
    with caplog.at_level(logging.WARNING):
        result = client.run(
            parse_legacy_request(
                request_from_json(
                    {
                        "method": "DELETE",
                        "url": f"{BASE}/v2/list/LiSt1/members",
                        "json": {"api_key": "k", "emails": ["ann@example.com", "gone@example.com"]},
                    }
                )
            )
        )
    assert result == ""
    assert transport.operations() == ["get_profiles_for_list", "remove_profiles_from_list"]
    assert "gone@example.com" in caplog.text and "ann@example.com" not in caplog.text


def test_every_legacy_reason_has_a_distinct_new_one() -> None:
    assert sorted(LEGACY_REASONS) == sorted(
        ["unsubscribed", "bounced", "invalid_email", "reported_spam", "manually_excluded"]
    )
    assert len(set(LEGACY_REASONS.values())) == len(LEGACY_REASONS)


def _groups(lists: int, segments: int) -> Any:
    """A fake Klaviyo serving ``lists`` lists and ``segments`` segments, 10 a page, oldest
    first: list i was created at minute 2i and segment i at minute 2i + 1, so v1's
    oldest-first listing interleaves them."""

    def answer(request: PreparedRequest) -> RawResponse:
        kind, count, offset = (
            ("list", lists, 0) if request.operation == "get_lists" else ("segment", segments, 1)
        )
        start = int(dict(request.params).get("page[cursor]") or 0)
        data = [
            {
                "type": kind,
                "id": f"{kind}{i}",
                "attributes": {
                    "name": f"{kind} {i}",
                    "created": (EPOCH + timedelta(minutes=2 * i + offset)).isoformat(),
                },
            }
            for i in range(start, min(start + 10, count))
        ]
        links = {"self": f"https://a.klaviyo.com/api/{kind}s"}
        if start + 10 < count:
            links["next"] = f"https://a.klaviyo.com/api/{kind}s?page%5Bcursor%5D={start + 10}"
        return json_response(200, {"data": data, "links": links})

    return answer


EPOCH = datetime(2024, 1, 1, tzinfo=timezone.utc)


def _v1_lists(client: CompatClient, query: str) -> Any:
    url = f"{BASE}/v1/lists?api_key=k&{query}"
    return client.run(parse_legacy_request(request_from_json({"method": "GET", "url": url})))


def test_a_v1_page_loop_over_lists_sees_every_list_and_segment_once() -> None:
    client, transport = _client(_groups(lists=23, segments=17))
    seen: list[str] = []
    page = 0
    while True:  # the loop data taps wrote: the next page while end < total - 1
        answer = _v1_lists(client, f"page={page}&count=15")
        assert answer["total"] == 40 and answer["page_size"] == 15
        seen.extend(row["id"] for row in answer["data"])
        if answer["end"] >= answer["total"] - 1:
            break
        page += 1
    interleaved = [f"{kind}{i}" for i in range(17) for kind in ("list", "segment")]
    assert seen == interleaved + [f"list{i}" for i in range(17, 23)]
    assert page == 2
    assert transport.count == 3 * (3 + 2)  # every call reads both collections to the end


def test_v1_lists_past_max_pages_say_the_total_is_unknown(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client, transport = _client(_groups(lists=1000, segments=3))
    with caplog.at_level(logging.WARNING):
        answer = _v1_lists(client, "page=2&count=10")
    assert answer["total"] is None
    # The first 30 of the merge are among the first 30 of each: the page is still exact.
    expected = [f"{kind}{i}" for i in range(3) for kind in ("list", "segment")]
    expected += [f"list{i}" for i in range(3, 27)]
    assert [row["id"] for row in answer["data"]] == expected[20:30]
    assert transport.operations() == ["get_lists"] * 50 + ["get_segments"]
    assert "total is None" in caplog.text


# --- adding members in bulk, against the local Klaviyo ---------------------------------------


def _members(n: int) -> list[dict[str, Any]]:
    """v2 members profiles of every kind: bare emails, emails with properties, bare phones."""
    out: list[dict[str, Any]] = []
    for i in range(n):
        if i % 3 == 0:
            out.append({"email": f"user{i}@example.com"})
        elif i % 3 == 1:
            out.append({"email": f"user{i}@example.com", "$first_name": f"U{i}", "plan": "gold"})
        else:
            out.append({"phone_number": f"+1415{i:07d}"})
    return out


def _live(server: LocalKlaviyo, **options: Any) -> tuple[CompatClient, Klaviyo]:
    client = CompatClient(
        private_key=server.private_key, base_url=server.base_url, pacing=False, **options
    )
    return client, Klaviyo(private_token=server.private_key, client=client)


def test_adding_20000_members_takes_two_import_jobs_and_the_id_lookups() -> None:
    n = 20_000
    with LocalKlaviyo(enforce_rate_limits=False) as server:
        list_id = server.store.create_list("Customers")
        known = server.store.add_profile(email="user3@example.com", first_name="Known")
        client, legacy = _live(server)
        profiles = _members(n)
        try:
            answer = legacy.Lists.add_members_to_list(list_id, profiles)
        finally:
            client.close()
        members = answer.data
        on_list = set(server.store.list_members(list_id))
        expected = []
        for source in profiles:
            attribute = "email" if "email" in source else "phone_number"
            profile = server.store.profile_by(attribute, source[attribute])
            assert profile is not None and profile.id in on_list
            assert profile.sms_consent == profile.email_consent == "NEVER_SUBSCRIBED"
            if "plan" in source:
                assert profile.attributes["properties"] == {"plan": "gold"}
            expected.append({"id": profile.id, attribute: source[attribute]})
        operations = server.operations()
    assert answer.status_code == 200
    assert members == expected  # in input order, every id the store's
    assert members[3]["id"] == known
    assert len(on_list) == n
    emails = sum("email" in p for p in profiles)
    # ⌈n/10,000⌉ jobs, then one lookup per 100 identifiers of each kind; not 20,000 upserts.
    assert operations.count("bulk_import_profiles") == 2
    assert operations.count("get_profiles") == -(-emails // 100) + -(-(n - emails) // 100)
    assert len(operations) == 2 + 134 + 67


@pytest.mark.parametrize("surface", ["klaviyo_3", "klaviyo_sdk", "klaviyo_2"])
def test_every_surface_adds_members_in_bulk(surface: str) -> None:
    with LocalKlaviyo(enforce_rate_limits=False) as server:
        list_id = server.store.create_list("Customers")
        client, legacy = _live(server)
        profiles = _members(12)
        try:
            if surface == "klaviyo_3":
                members = legacy.Lists.add_members_to_list(list_id, profiles).data
            elif surface == "klaviyo_2":
                members = legacy.list_subscription(list_id, profiles, "members", "POST")
            else:
                sdk = Client(server.private_key, client=client)
                members = sdk.ListsSegments.add_members(list_id, body={"profiles": profiles})
        finally:
            client.close()
        ids = [m["id"] for m in members]
        assert set(ids) == set(server.store.list_members(list_id)) and len(ids) == 12
        assert server.operations() == ["bulk_import_profiles"] + ["get_profiles"] * 2


class _FailingLaterJobs:
    """A transport to the local Klaviyo that, once an import job was answered, has the
    server fail every later one (500). Given as the client's own transport: no retries."""

    def __init__(self, server: LocalKlaviyo) -> None:
        self.server = server
        self.inner = RequestsTransport()

    def send(self, request: PreparedRequest) -> RawResponse:
        response = self.inner.send(request)
        if request.operation == "bulk_import_profiles":
            self.server.faults.add("500", operation="bulk_import_profiles")
        return response

    def close(self) -> None:
        self.inner.close()


def test_a_job_that_fails_hands_back_every_profile_not_in_an_accepted_job() -> None:
    with LocalKlaviyo(enforce_rate_limits=False) as server:
        list_id = server.store.create_list("Customers")
        client = CompatClient(
            private_key=server.private_key,
            base_url=server.base_url,
            transport=_FailingLaterJobs(server),
        )
        profiles = [{"email": f"user{i}@example.com"} for i in range(10_005)]
        try:
            with pytest.raises(exceptions.PartialDeliveryError) as caught:
                Klaviyo(private_token=server.private_key, client=client).Lists.add_members_to_list(
                    list_id, profiles
                )
        finally:
            client.close()
        assert len(server.store.list_members(list_id)) == 10_000
        assert server.store.profile_by("email", "user10000@example.com") is None
        assert server.operations() == ["bulk_import_profiles"] * 2  # no lookups after it
    error = caught.value
    assert isinstance(error, exceptions.ServerError)  # the cause's class, for legacy excepts
    assert len(error.accepted) == 1 and error.accepted[0].endswith(": profiles[0:10000]")
    assert error.undelivered == profiles[10_000:]


def test_wait_for_jobs_hands_back_the_profiles_a_job_could_not_import() -> None:
    with LocalKlaviyo(enforce_rate_limits=False) as server:
        list_id = server.store.create_list("Customers")
        server.store.add_profile(email="cy@example.com")
        server.store.add_profile(phone_number="+15005550007")
        client, legacy = _live(server, wait_for_jobs=True)
        clash = {"email": "cy@example.com", "phone_number": "+15005550007", "plan": "gold"}
        profiles = [*_members(20), clash, *_members(25)[20:]]
        try:
            with pytest.raises(exceptions.PartialDeliveryError) as caught:
                legacy.Lists.add_members_to_list(list_id, profiles)
        finally:
            client.close()
        on_list = server.store.list_members(list_id)
        operations = server.operations()
    error = caught.value
    assert error.undelivered == [clash]
    assert "profiles[20:21]: duplicate_profile" in str(error)
    assert len(on_list) == 25  # every other profile was imported and added
    assert operations == [
        "bulk_import_profiles",
        "get_bulk_import_profiles_job",
        "get_errors_for_bulk_import_profiles_job",
    ]


def test_jobs_packed_to_the_byte_cap_are_taken_whole() -> None:
    with LocalKlaviyo(enforce_rate_limits=False) as server:
        list_id = server.store.create_list("Customers")
        client, legacy = _live(server)
        # 60 profiles of 90 kB: more than the 5 MB one job may hold (the server refuses more).
        profiles = [{"email": f"user{i}@example.com", "note": "x" * 90_000} for i in range(60)]
        try:
            members = legacy.Lists.add_members_to_list(list_id, profiles).data
        finally:
            client.close()
        assert [m["id"] for m in members] == server.store.list_members(list_id)
        assert server.operations() == ["bulk_import_profiles"] * 2 + ["get_profiles"]
