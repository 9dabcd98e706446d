"""Legacy subscribe and unsubscribe: fixtures/translate/{subscribe_to_list,unsubscribe}.json,
one row per quirk; member ids against the local Klaviyo; each chunk's requests built once."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from klaviyo_legacy_compat import CompatClient, PreparedRequest, RawResponse, exceptions
from klaviyo_legacy_compat._core.translate import subscriptions
from klaviyo_legacy_compat.testing import (
    LocalKlaviyo,
    RecordingTransport,
    default_answer,
    json_response,
)
from tests import cases
from tests.conftest import PRIVATE_KEY


@pytest.mark.parametrize("row", cases.load("subscribe_to_list"))
def test_subscribe_to_list(row: dict[str, Any]) -> None:
    cases.check(row)


@pytest.mark.parametrize("row", cases.load("unsubscribe"))
def test_unsubscribe(row: dict[str, Any]) -> None:
    cases.check(row)


# --- member ids against the local Klaviyo ---------------------------------------------------


def _profiles(n: int) -> list[dict[str, Any]]:
    """Every kind of v2 subscribe profile: bare emails, emails with properties (single
    upserts), phones with SMS consent, phones without consent (a bulk import job adds them),
    and an email given twice in another case."""
    out: list[dict[str, Any]] = []
    for i in range(n):
        kind = i % 4
        if kind == 0:
            out.append({"email": f"user{i}@example.com"})
        elif kind == 1:
            out.append({"email": f"user{i}@example.com", "$first_name": f"U{i}"})
        elif kind == 2:
            out.append({"phone_number": f"+1500555{i:04d}", "sms_consent": True})
        else:
            out.append({"phone_number": f"+1500555{i:04d}"})
    out.append({"email": "USER0@example.com"})
    return out


@pytest.mark.parametrize("member_ids", [True, False], ids=["looked_up", "skipped"])
def test_subscribe_answers_the_store_s_profile_ids(member_ids: bool) -> None:
    with LocalKlaviyo(enforce_rate_limits=False) as server:
        list_id = server.store.create_list("News")
        existing = server.store.add_profile(email="user4@example.com")
        client = CompatClient(
            private_key=server.private_key,
            base_url=server.base_url,
            subscribe_chunk_size=30,
            max_concurrency=2,
            member_ids=member_ids,
        )
        profiles = _profiles(150)
        try:
            members = client.subscribe_to_list(list_id, profiles)
        finally:
            client.close()
        lookups = server.operations().count("get_profiles")
        expected = []
        for source in profiles:
            attribute = "email" if "email" in source else "phone_number"
            profile = server.store.profile_by(attribute, source[attribute])
            assert profile is not None
            upserted = "$first_name" in source
            shown = {"id": profile.id if member_ids or upserted else None, **source}
            shown.pop("$first_name", None)
            shown.pop("sms_consent", None)
            if attribute == "email":
                shown["email"] = source["email"]
            expected.append(shown)
    assert members == expected  # in input order, {"id", "email"?, "phone_number"?}
    assert members[4]["id"] == (existing if member_ids else None)
    # 150 profiles in groups of 2 chunks of 30: 3 groups, each one lookup of its bare emails
    # and one of its phones (the upserts answered the others' ids).
    assert lookups == (6 if member_ids else 0)


# --- each chunk built once ------------------------------------------------------------------


def _counting(monkeypatch: pytest.MonkeyPatch, name: str, counts: Counter[Any], key: Any) -> None:
    """Count the calls of ``subscriptions.<name>`` by ``key(*args)``."""
    real = getattr(subscriptions, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        counts[key(*args)] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(subscriptions, name, counted)


def _failing_second_job(request: PreparedRequest) -> RawResponse:
    # The subscribe job of profiles[100:200] fails: its chunk is handed back, not rebuilt.
    body = request.json if isinstance(request.json, dict) else {}
    first = str(body.get("data", {}).get("attributes", {}).get("profiles", {}).get("data", [{}])[0])
    if request.operation == "bulk_subscribe_profiles" and "user100@" in first:
        return json_response(500, {"errors": [{"status": 500, "code": "error"}]})
    return default_answer(request)


@pytest.mark.parametrize("mode", ["dry_run", "live", "live_failing"])
def test_each_chunk_s_requests_are_built_once(monkeypatch: pytest.MonkeyPatch, mode: str) -> None:
    # The bodies of a chunk (upserts, list additions, subscribe job) are built once, by one
    # _chunk_requests call, for the plan, the sending and any hand-back alike.
    built: Counter[Any] = Counter()
    jobs: Counter[Any] = Counter()
    _counting(monkeypatch, "_chunk_requests", built, lambda list_id, chunk, options: chunk.start)
    _counting(
        monkeypatch, "_subscribe_job", jobs, lambda list_id, entries: entries[0].source["email"]
    )
    profiles = [{"email": f"user{i}@example.com", "plan": "gold"} for i in range(250)]
    options: dict[str, Any] = {"member_ids": False, "max_concurrency": 2}
    if mode == "dry_run":
        CompatClient(private_key=PRIVATE_KEY, dry_run=True, **options).subscribe_to_list(
            "XyZ123", profiles
        )
    else:
        handler = _failing_second_job if mode == "live_failing" else default_answer
        client = CompatClient(
            private_key=PRIVATE_KEY, transport=RecordingTransport(handler), **options
        )
        if mode == "live":
            client.subscribe_to_list("XyZ123", profiles)
        else:
            with pytest.raises(exceptions.PartialDeliveryError) as caught:
                client.subscribe_to_list("XyZ123", profiles)
            assert caught.value.undelivered == profiles[100:]
    expected = {0: 1, 100: 1} if mode == "live_failing" else {0: 1, 100: 1, 200: 1}
    assert dict(built) == expected
    assert set(jobs.values()) == {1} and len(jobs) == len(expected)
