"""Adding members (``_translate.members``) in bulk, against the local Klaviyo: import jobs
and id lookups instead of one upsert each, on every surface, with failures handing back what
was not added; each job's body built once. (Its fixture rows are in
fixtures/translate/lists.json, run by test_lists.py.)"""

from __future__ import annotations

from typing import Any

import pytest

from klaviyo_legacy_compat import CompatClient, Klaviyo, PreparedRequest, RawResponse, exceptions
from klaviyo_legacy_compat._core.translate import members
from klaviyo_legacy_compat._core.translate.batches import Batch, pack
from klaviyo_legacy_compat._core.translate.members import ListMembersAddCall
from klaviyo_legacy_compat._transports.transport import RequestsTransport
from klaviyo_legacy_compat.sdk import Client
from klaviyo_legacy_compat.testing import LocalKlaviyo, RecordingTransport, default_answer
from tests.conftest import PRIVATE_KEY


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


def test_each_import_job_s_body_is_built_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # The job packing builds each body with its list relationship; the request sent is that
    # very body, not a copy rebuilt around it.
    packed: list[Batch] = []
    real = pack

    def recording(*args: Any, **kwargs: Any) -> list[Batch]:
        packed.extend(real(*args, **kwargs))
        return packed

    monkeypatch.setattr(members, "pack", recording)
    transport = RecordingTransport(default_answer)
    client = CompatClient(private_key=PRIVATE_KEY, transport=transport, member_ids=False)
    client.call(ListMembersAddCall("XyZ123", tuple(_members(12))))
    sent = [r for r in transport.requests if r.operation == "bulk_import_profiles"]
    assert len(packed) == len(sent) == 1
    assert sent[0].json is packed[0].request.json
    body: Any = sent[0].json
    assert body["data"]["relationships"] == {"lists": {"data": [{"type": "list", "id": "XyZ123"}]}}
