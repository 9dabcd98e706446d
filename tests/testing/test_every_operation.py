"""Every operation a translator can emit is served by LocalKlaviyo (issue 9).

The operations are enumerated from the code: every string literal in a module of
``klaviyo_legacy_compat/_translate/`` that names an operation of the endpoint table. Each
must have a row in LocalKlaviyo's ``ROUTES``; then every example request of the catalogue
(MIGRATION.md's rows) is run through the raw legacy HTTP path (``legacy_http.mount``)
against a seeded LocalKlaviyo, and, for an operation no example reaches, an explicit legacy
call. No request may be answered 501, and every enumerated operation must have been served.
A translator that starts emitting an operation LocalKlaviyo lacks fails this file.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

import pytest
import requests

import klaviyo_legacy_compat
from klaviyo_legacy_compat._core.catalogue import CATALOGUE
from klaviyo_legacy_compat._core.endpoints import ENDPOINTS
from klaviyo_legacy_compat._core.legacy_endpoint import EXAMPLE_KEY, LegacyEndpoint
from klaviyo_legacy_compat.legacy_http import mount
from klaviyo_legacy_compat.testing import LocalKlaviyo
from klaviyo_legacy_compat.testing._operations import ROUTES
from klaviyo_legacy_compat.testing._store_messages import Account

TRANSLATORS = Path(klaviyo_legacy_compat.__file__).parent / "_core" / "translate"
PUBLIC_KEY = "AbC123"  # the catalogue's example public token


def emitted_operations() -> dict[str, set[str]]:
    """Operation → the translator modules whose code names it."""
    known = {row.operation for row in ENDPOINTS}
    found: dict[str, set[str]] = {}
    for module in sorted(TRANSLATORS.glob("*.py")):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and node.value in known:
                found.setdefault(str(node.value), set()).add(module.name)
    return found


def test_the_enumeration_finds_the_operations_of_each_translator() -> None:
    found = emitted_operations()
    # A sample from each module: the walk sees string literals wherever they stand.
    assert {"get_metrics", "get_events", "query_metric_aggregates"} <= set(found)
    assert {"create_campaign", "send_campaign", "assign_template_to_campaign_message"} <= set(found)
    assert {"render_template", "get_profiles_for_segment", "request_profile_deletion"} <= set(found)
    assert "metrics.py" in found["get_events"] and "recipients.py" in found["get_events"]


def missing_handlers() -> dict[str, list[str]]:
    """Operation a translator emits that LocalKlaviyo's ROUTES lacks → the modules."""
    return {op: sorted(mods) for op, mods in emitted_operations().items() if op not in ROUTES}


def test_every_operation_a_translator_emits_has_a_handler() -> None:
    missing = missing_handlers()
    assert not missing, f"LocalKlaviyo lacks operations translators emit: {missing}"


def test_a_missing_handler_is_named_with_its_translators(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(ROUTES, "get_events")
    assert missing_handlers() == {"get_events": ["metrics.py", "recipients.py"]}


# --- the seeded account ---------------------------------------------------------------------

#: The key of the seeded metric id in :func:`seed`'s answer ("AbC123" is also the example
#: public token, so it is replaced in metric paths only).
METRIC = "metric id"
APRIL = datetime(2024, 4, 10, 12, tzinfo=timezone.utc)


def seed(store: Account) -> dict[str, str]:
    """An account the catalogue's examples find their ids in: Ann on a list and a segment,
    her "Placed Order" events in April 2024 (with ``$flow``), a template, a draft campaign
    to that list with the template, and a flow. Returns example id → seeded id."""
    ann = store.add_profile(email="ann@example.com", first_name="Ann", _kx="Zm9vYmFy.AbC123")
    store.add_profile(email="ann+news@example.com")
    bob = store.add_profile(email="b@example.com", phone_number="+15005550006")
    list_id = store.create_list("Newsletter")
    store.add_member(list_id, ann)
    store.add_member(list_id, bob)
    segment_id = store.create_segment("Engaged", [ann, bob])
    metric_id = store.add_metric("Placed Order")
    for day, flow in ((0, "F1"), (3, "F2"), (9, "F1")):
        store.add_event(
            metric_id,
            ann,
            {"$flow": flow, "Items": ["Book"]},
            time=APRIL + timedelta(days=day),
            value=10.0 + day,
        )
    template = store.create_template("Welcome", "CODE", "<p>Hi {{ first_name }}</p>")
    campaign = store.create_campaign(
        "May newsletter",
        {"included": [list_id]},
        [{"channel": "email", "label": "May", "content": {"subject": "Hello"}}],
    )
    store.assign_template(campaign.message_ids[0], template.id)
    store.add_flow("Welcome series", trigger_type="Added to List")
    return {
        "XyZ123": list_id,
        "SeG456": segment_id,
        "01HPERSON": ann,
        "01HCAMPAIGN": campaign.id,
        "TmPl01": template.id,
        METRIC: metric_id,
    }


def _sent(store: Account, campaign_id: str) -> None:
    store.send_campaign(campaign_id)
    store.finish_send(campaign_id)


def _scheduled(store: Account, campaign_id: str) -> None:
    later = (datetime.now(timezone.utc) + timedelta(days=7)).isoformat()
    store.update_campaign(campaign_id, {"send_strategy": {"method": "static", "datetime": later}})
    store.send_campaign(campaign_id)


#: Catalogue path → what the account needs beyond the seed for its example to succeed.
PREPARE: dict[str, Callable[[Account, str], None]] = {
    "/api/v1/campaign/{campaign_id}/recipients": _sent,
    "/api/v1/campaign/{campaign_id}/cancel": _scheduled,
}

#: Examples answered with an error on purpose: no new-API equivalent.
REFUSED = {("POST", "/api/v1/email-template/{template_id}/send")}


def _substitute(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {k: _substitute(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, ids) for v in value]
    if not isinstance(value, str):
        return value
    # "AbC123" is the example public token too: only metric ids are replaced.
    value = re.sub(r"(?<=/metric/)AbC123|(?<=metric_id=)AbC123", ids[METRIC], value)
    for example, seeded in ids.items():
        if example != METRIC:
            value = value.replace(example, seeded)
    return value


@pytest.fixture(scope="module")
def server() -> Iterator[LocalKlaviyo]:
    with LocalKlaviyo(
        private_key=EXAMPLE_KEY, public_key=PUBLIC_KEY, enforce_rate_limits=False
    ) as running:
        yield running


def run_example(server: LocalKlaviyo, row: LegacyEndpoint) -> requests.Response:
    """The row's example request, sent as its caller would, against a freshly seeded
    account; returns the legacy answer."""
    store = server.store
    store.clear()
    ids = seed(store)
    prepare = PREPARE.get(row.path)
    if prepare is not None:
        prepare(store, ids["01HCAMPAIGN"])
    example = _substitute(dict(row.example), ids)
    session = requests.Session()
    mount(session, klaviyo_legacy_compat.CompatClient(base_url=server.base_url))
    try:
        return session.request(
            example["method"],
            example["url"],
            json=example.get("json"),
            data=example.get("form"),
            timeout=30,
        )
    finally:
        session.close()


def _explicit_get_flows(server: LocalKlaviyo) -> None:
    """``get_flows``, as the flows translator being written elsewhere sends it: no catalogue
    example reaches it on this branch yet."""
    answer = requests.get(
        f"{server.base_url}/api/flows",
        params={"page[size]": "50"},
        headers={
            "Authorization": f"Klaviyo-API-Key {server.private_key}",
            "revision": "2026-07-15",
        },
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    assert [f["attributes"]["name"] for f in answer.json()["data"]] == ["Welcome series"]


def _server_side_track_and_split_identify(server: LocalKlaviyo) -> None:
    """``create_event`` (a track with the private key) and ``create_profile``
    (``identify_mode="split"``): options of calls whose examples take other paths."""
    client = klaviyo_legacy_compat.CompatClient(
        private_key=server.private_key, base_url=server.base_url
    )
    try:
        assert client.track("Viewed", {"$email": "cy@example.com"}) == 1
        assert client.identify({"$email": "dee@example.com"}, identify_mode="split") == 1
    finally:
        client.close()
    assert server.store.events_for("cy@example.com")
    assert server.store.profile_by_email("dee@example.com") is not None


def _bulk_mode(server: LocalKlaviyo) -> None:
    """Bulk mode's jobs, their status and their import errors: a batched track and two
    batched identifies, one naming the email and phone of two existing profiles."""
    client = klaviyo_legacy_compat.CompatClient(
        private_key=server.private_key,
        base_url=server.base_url,
        batching=True,
        batch_max_age=3600,
        wait_for_jobs=True,
    )
    try:
        client.identify({"$phone_number": "+15555550100"}, batching=False)
        client.track("Viewed", {"$email": "cy@example.com"})
        client.identify({"$email": "ann@example.com", "$phone_number": "+15555550100"})
        client.identify({"$email": "eve@example.com"})
        with pytest.raises(klaviyo_legacy_compat.PartialDeliveryError) as caught:
            client.flush()
    finally:
        client.close()
    (rejected,) = caught.value.undelivered
    assert rejected.reason.startswith("duplicate_profile:")
    assert server.store.profile_by_email("eve@example.com") is not None


#: Operations no catalogue example reaches (options and bulk mode) → a live call of each.
EXPLICIT: tuple[tuple[frozenset[str], Callable[[LocalKlaviyo], None]], ...] = (
    (frozenset({"get_flows"}), _explicit_get_flows),
    (frozenset({"create_event", "create_profile"}), _server_side_track_and_split_identify),
    (
        frozenset(
            {
                "bulk_create_events",
                "bulk_import_profiles",
                "get_bulk_import_profiles_job",
                "get_errors_for_bulk_import_profiles_job",
            }
        ),
        _bulk_mode,
    ),
)


def test_every_example_runs_live_and_every_emitted_operation_is_served(
    server: LocalKlaviyo,
) -> None:
    served: dict[str, set[int]] = {}
    failures = []
    for row in CATALOGUE:
        before = len(server.requests)
        answer = run_example(server, row)
        for request in server.requests[before:]:
            if request.operation is not None and request.status is not None:
                served.setdefault(request.operation, set()).add(request.status)
        refused = (row.method, row.path) in REFUSED
        if (answer.status_code >= 400) != refused:
            failures.append(f"{row.method} {row.path}: {answer.status_code} {answer.text[:300]}")
    emitted = set(emitted_operations())
    for operations, call in EXPLICIT:
        if operations & (emitted - set(served)):
            before = len(server.requests)
            server.store.clear()
            seed(server.store)
            call(server)
            for request in server.requests[before:]:
                if request.operation is not None and request.status is not None:
                    served.setdefault(request.operation, set()).add(request.status)
    assert not failures, "\n".join(failures)
    not_implemented = sorted(op for op, statuses in served.items() if 501 in statuses)
    assert not not_implemented, f"answered 501: {not_implemented}"
    unserved = sorted(emitted - set(served))
    assert not unserved, f"emitted by a translator, never served live: {unserved}"
