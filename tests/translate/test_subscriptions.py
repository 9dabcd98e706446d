"""Legacy subscribe, unsubscribe and exclusions: fixtures/translate/{subscribe_to_list,
unsubscribe,exclude_email}.json, one row per quirk."""

from __future__ import annotations

from typing import Any

import pytest

from klaviyo_legacy_compat import CompatClient
from klaviyo_legacy_compat.testing import LocalKlaviyo
from tests import cases


@pytest.mark.parametrize("row", cases.load("subscribe_to_list"))
def test_subscribe_to_list(row: dict[str, Any]) -> None:
    cases.check(row)


@pytest.mark.parametrize("row", cases.load("unsubscribe"))
def test_unsubscribe(row: dict[str, Any]) -> None:
    cases.check(row)


@pytest.mark.parametrize("row", cases.load("exclude_email"))
def test_exclude_email(row: dict[str, Any]) -> None:
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
