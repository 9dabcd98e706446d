"""``klaviyo-legacy-compat eject``: the native code generated for a legacy call leaves the
same store as the shim's own call, run against two identically seeded LocalKlaviyos."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable, Optional

import pytest

from klaviyo_legacy_compat import cli
from klaviyo_legacy_compat._core.catalogue import CATALOGUE
from klaviyo_legacy_compat._core.endpoints import endpoint
from klaviyo_legacy_compat._core.legacy_endpoint import LegacyEndpoint
from klaviyo_legacy_compat._core.models import PlannedRequest
from klaviyo_legacy_compat._core.plan import Plan
from klaviyo_legacy_compat._core.wire import parse_legacy_request
from klaviyo_legacy_compat._surfaces.client import CompatClient
from klaviyo_legacy_compat._toolkit.eject import SDK_GROUPS, eject_code
from klaviyo_legacy_compat.testing import LocalKlaviyo
from klaviyo_legacy_compat.testing._store_messages import Account

#: The private key the catalogue's examples carry (never a real key).
EXAMPLE_KEY = "pk_0123456789abcdef0123456789abcdef"
LIST = "XyZ123"


def example(method: str, path: str) -> dict[str, Any]:
    found: list[LegacyEndpoint] = [e for e in CATALOGUE if (e.method, e.path) == (method, path)]
    copied: dict[str, Any] = json.loads(json.dumps(dict(found[0].example)))
    return copied


MISSION = {
    "track": example("GET", "/api/track"),
    "identify": example("POST", "/api/identify"),
    "subscribe": example("POST", "/api/v2/list/{list_id}/subscribe"),
    "unsubscribe": example("DELETE", "/api/v2/list/{list_id}/subscribe"),
    "exclusion": example("POST", "/api/v1/people/exclusions"),
}

#: Identify with an email and a phone number held by two different profiles: Klaviyo answers
#: 409 and the shim (identify_conflict="drop_phone") re-sends without the phone number.
CONFLICT = {
    "method": "POST",
    "url": "https://a.klaviyo.com/api/identify",
    "form": {
        "data": json.dumps(
            {
                "token": "AbC123",
                "properties": {
                    "$email": "a@example.com",
                    "$phone_number": "+15005550006",
                    "$first_name": "Ann",
                },
            }
        )
    },
}


def eject(item: dict[str, Any], *extra: str, capsys: pytest.CaptureFixture[str]) -> str:
    status = cli.main(["eject", "--call", json.dumps(item), *extra])
    out, err = capsys.readouterr()
    assert (status, err) == (0, "")
    return out


# --- seeding: the same state in both stores -------------------------------------------------


def seed_nothing(store: Account) -> None:
    return None


def seed_profile(store: Account) -> None:
    store.add_profile(email="a@example.com", first_name="Old", properties={"plan": "silver"})


def seed_list(store: Account) -> None:
    store.create_list("Newsletter")


def seed_members(store: Account) -> None:
    # a@example.com is on the list and subscribed; the phone number's profile is not on it,
    # so legacy (and the shim) leave it alone.
    list_id = store.create_list("Newsletter")
    member = store.add_profile(email="a@example.com")
    store.add_member(list_id, member)
    store.add_profile(phone_number="+15005550006")


def seed_both_members(store: Account) -> None:
    # Both identifiers are on the list: the phone number's lookup must match by phone number.
    list_id = store.create_list("Newsletter")
    store.add_member(list_id, store.add_profile(email="a@example.com"))
    store.add_member(list_id, store.add_profile(phone_number="+15005550006"))


def seed_two_profiles(store: Account) -> None:
    store.add_profile(email="a@example.com")
    store.add_profile(phone_number="+15005550006")


def seed_suppressed(store: Account) -> None:
    store.add_suppression("a@example.com", reason="USER_SUPPRESSED")


#: Members added by their identifiers: one Klaviyo knows (its id looked up), one it does not
#: (created first, as the shim does).
ADD_MEMBERS = {
    "method": "POST",
    "url": f"https://a.klaviyo.com/api/v2/list/{LIST}/members",
    "json": {
        "api_key": EXAMPLE_KEY,
        "profiles": [{"email": "A@example.com"}, {"phone_number": "+15005550006"}],
    },
}


def seed_list_and_profile(store: Account) -> None:
    store.create_list("Newsletter")
    store.add_profile(email="a@example.com")


CASES: dict[str, tuple[dict[str, Any], Callable[[Account], None]]] = {
    "track": (MISSION["track"], seed_nothing),
    "track-existing-profile": (MISSION["track"], seed_profile),
    "identify": (MISSION["identify"], seed_profile),
    "identify-409": (CONFLICT, seed_two_profiles),
    "subscribe": (MISSION["subscribe"], seed_list),
    "unsubscribe": (MISSION["unsubscribe"], seed_members),
    "unsubscribe-both": (MISSION["unsubscribe"], seed_both_members),
    "exclusion": (MISSION["exclusion"], seed_nothing),
    "exclusion-already": (MISSION["exclusion"], seed_suppressed),
    "add-members": (ADD_MEMBERS, seed_list_and_profile),
    "remove-members": (example("DELETE", "/api/v2/list/{list_id}/members"), seed_members),
    "remove-both": (example("DELETE", "/api/v2/list/{list_id}/members"), seed_both_members),
}


# --- the store, without ids and times -------------------------------------------------------


def snapshot(store: Account) -> dict[str, Any]:
    lists = store.lists
    names = {list_id: record.name for list_id, record in lists.items()}

    def who(profile_id: str) -> str:
        found = store.profile(profile_id)
        assert found is not None
        return json.dumps(
            {k: v for k, v in found.attributes.items() if k in ("email", "phone_number")},
            sort_keys=True,
        )

    profiles = []
    for profile in store.profiles.values():
        profiles.append(
            {
                "attributes": profile.attributes,
                "email_consent": profile.email_consent,
                "sms_consent": profile.sms_consent,
                "suppressions": sorted(
                    (s.reason, names.get(s.list_id or "", "")) for s in profile.suppressions
                ),
                "lists": sorted(
                    record.name for record in lists.values() if profile.id in record.members
                ),
                "pending": sorted(
                    record.name for record in lists.values() if profile.id in record.pending
                ),
            }
        )
    events = [
        {
            "metric": event.metric,
            "profile": who(event.profile_id),
            "properties": event.properties,
            "value": event.value,
        }
        for event in store.events
    ]
    key = json.dumps
    return {
        "profiles": sorted(profiles, key=lambda p: key(p, sort_keys=True)),
        "events": sorted(events, key=lambda e: key(e, sort_keys=True)),
        "lists": sorted(record.name for record in lists.values()),
    }


@pytest.fixture
def pair() -> Iterator[tuple[LocalKlaviyo, LocalKlaviyo]]:
    with (
        LocalKlaviyo(enforce_rate_limits=False) as shim,
        LocalKlaviyo(enforce_rate_limits=False) as native,
    ):
        yield shim, native


def with_list(item: dict[str, Any], store: Account) -> dict[str, Any]:
    """The call, aimed at the store's list (its id is the store's own)."""
    ids = list(store.lists)
    text = json.dumps(item)
    return json.loads(text.replace(LIST, ids[0])) if ids else item


@pytest.mark.parametrize("style", ["requests", "sdk"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_ejected_code_leaves_the_store_the_shims_call_leaves(
    case: str,
    style: str,
    pair: tuple[LocalKlaviyo, LocalKlaviyo],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    item, seed = CASES[case]
    shim, native = pair
    seed(shim.store)
    seed(native.store)
    before = snapshot(shim.store)
    assert snapshot(native.store) == before

    client = CompatClient(
        base_url=shim.base_url, private_key=shim.private_key, environment_keys=False
    )
    call = parse_legacy_request(cli.request_from_json(with_list(item, shim.store)))
    client.run(call, private_key=shim.private_key)
    client.close()

    # --style sdk: the official klaviyo-api SDK (a test extra), pointed at LocalKlaviyo by
    # its test_host.
    code = eject(with_list(item, native.store), "--style", style, capsys=capsys)
    assert EXAMPLE_KEY not in code and native.private_key not in code
    monkeypatch.setenv("KLAVIYO_BASE_URL", native.base_url)
    monkeypatch.setenv("KLAVIYO_PRIVATE_API_KEY", native.private_key)
    exec(compile(code, f"<eject {case} {style}>", "exec"), {"__name__": "ejected"})

    after = snapshot(shim.store)
    assert snapshot(native.store) == after

    def writes(server: LocalKlaviyo) -> list[tuple[Optional[str], Optional[int]]]:
        return [(r.operation, r.status) for r in server.requests if r.method != "GET"]

    assert writes(native) == writes(shim)
    if case != "exclusion-already":
        assert after != before  # the call did something to compare


def test_unsubscribe_code_looks_the_members_up_and_sends_only_them(
    pair: tuple[LocalKlaviyo, LocalKlaviyo],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, native = pair
    seed_members(native.store)
    code = eject(with_list(MISSION["unsubscribe"], native.store), capsys=capsys)
    # The lookup is code: a loop over pages, not the dry-run's assumption that all are members.
    assert "while True:" in code and "on_list.add(" in code
    monkeypatch.setenv("KLAVIYO_BASE_URL", native.base_url)
    monkeypatch.setenv("KLAVIYO_PRIVATE_API_KEY", native.private_key)
    exec(compile(code, "<eject>", "exec"), {"__name__": "ejected"})
    phone = native.store.profile_by("phone_number", "+15005550006")
    email = native.store.profile_by_email("a@example.com")
    assert phone is not None and email is not None
    # The member left the list (a list-scoped suppression); the profile that was not on it
    # would have been unsubscribed globally by a job holding it.
    (record,) = native.store.lists.values()
    assert record.members == {}
    assert [(s.reason, s.list_id) for s in email.suppressions] == [("UNSUBSCRIBE", record.id)]
    assert (phone.sms_consent, phone.suppressions) == ("NEVER_SUBSCRIBED", [])
    jobs = [r for r in native.requests if r.operation == "bulk_unsubscribe_profiles"]
    assert len(jobs) == 1


@pytest.mark.parametrize("name", sorted(MISSION))
def test_every_mission_call_compiles_in_both_styles_without_a_key(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for style in ("requests", "sdk"):
        code = eject(MISSION[name], "--style", style, capsys=capsys)
        compile(code, f"<eject {name} {style}>", "exec")
        assert EXAMPLE_KEY not in code and "pk_eject" not in code
        assert 'os.environ["KLAVIYO_PRIVATE_API_KEY"]' in code
        assert "Differs from legacy" in code  # the behaviour differences, as comments
        assert all(len(line) <= 88 for line in code.splitlines())


@pytest.mark.parametrize("style", ["requests", "sdk"])
def test_generated_code_is_as_ruff_formats_and_lints_it(
    style: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, item in [*MISSION.items(), ("conflict", CONFLICT)]:
        (tmp_path / f"{name}.py").write_text(eject(item, "--style", style, capsys=capsys))
    ruff = [sys.executable, "-m", "ruff"]
    for command in (["format", "--check"], ["check"]):
        done = subprocess.run(
            [*ruff, *command, "--isolated", "--no-cache", str(tmp_path)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("name", sorted(MISSION))
def test_sdk_code_names_real_operations_of_the_sdk(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = eject(MISSION[name], "--style", "sdk", capsys=capsys)
    called = re.findall(r"klaviyo\.(\w+)\.(\w+)\(", code)
    assert called
    for group, operation in called:
        assert endpoint(operation).operation == operation  # an operationId of the spec
        assert SDK_GROUPS[operation] == group
    assert "from klaviyo_api import KlaviyoAPI" in code and "test_host=" in code


def test_plan_warnings_become_comments(capsys: pytest.CaptureFixture[str]) -> None:
    code = eject(MISSION["unsubscribe"], capsys=capsys)
    assert "# Behaviour differences from the legacy call:" in code
    assert "# - unsubscribe: legacy DELETE /v2/list/XyZ123/subscribe" in code


def test_a_call_needing_ids_only_answers_supply_is_refused(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # A new campaign's message id, a member upserted with its properties: the code would
    # have to read them from answers it does not parse yet. Never code sending a "{{...}}".
    for item in (
        example("POST", "/api/v1/campaigns"),
        example("POST", "/api/v2/list/{list_id}/members"),
    ):
        assert cli.main(["eject", "--call", json.dumps(item)]) == 2
        out, err = capsys.readouterr()
        assert out == "" and "keep this call on the shim" in err and "{{" in err


def test_sdk_style_refuses_client_endpoints() -> None:
    plan = Plan((PlannedRequest("POST", "/client/events", "create_client_event", json={}),))
    with pytest.raises(ValueError, match="create_client_event"):
        eject_code(plan, legacy="GET /api/track", style="sdk")
    with pytest.raises(ValueError, match="style"):
        eject_code(plan, legacy="GET /api/track", style="curl")


@pytest.mark.parametrize(
    ("argv", "stdin", "reason"),
    [
        (["--call", "{"], "", "not JSON"),
        (["--call", '{"method": "GET", "url": "/api/track"}'], "", "data"),
        ([], "", "exactly one"),
        (["/nonexistent/call.json"], "", "No such file"),
    ],
)
def test_bad_input_exits_2_with_a_reason(
    argv: list[str],
    stdin: str,
    reason: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO(stdin))
    assert cli.main(["eject", *argv]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("klaviyo-legacy-compat eject: ") and reason in err


def test_reads_the_call_from_a_file(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "call.json"
    path.write_text(json.dumps(MISSION["exclusion"]), encoding="utf-8")
    from_file = eject_file(str(path), capsys)
    assert from_file == eject(MISSION["exclusion"], capsys=capsys)


def eject_file(path: str, capsys: pytest.CaptureFixture[str]) -> Optional[str]:
    assert cli.main(["eject", path]) == 0
    return capsys.readouterr().out


def test_subscribe_code_collects_the_member_ids_of_every_lookup(
    pair: tuple[LocalKlaviyo, LocalKlaviyo],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, native = pair
    seed_list(native.store)
    item = {
        "method": "POST",
        "url": f"https://a.klaviyo.com/api/v2/list/{LIST}/subscribe",
        "json": {
            "api_key": EXAMPLE_KEY,
            "profiles": [{"email": "a@example.com"}, {"phone_number": "+15005550006"}],
        },
    }
    code = eject(with_list(item, native.store), capsys=capsys)
    monkeypatch.setenv("KLAVIYO_BASE_URL", native.base_url)
    monkeypatch.setenv("KLAVIYO_PRIVATE_API_KEY", native.private_key)
    namespace: dict[str, Any] = {"__name__": "ejected"}
    exec(compile(code, "<eject>", "exec"), namespace)
    email = native.store.profile_by_email("a@example.com")
    phone = native.store.profile_by("phone_number", "+15005550006")
    assert email is not None and phone is not None
    assert namespace["member_ids"] == {"a@example.com": email.id, "+15005550006": phone.id}
