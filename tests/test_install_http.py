"""``install(http=True)``: raw legacy HTTP made with ``requests`` (module functions, any
Session, any thread) is answered by the translation core, and every other URL is untouched."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import responses

import klaviyo_legacy_compat as klaviyo
from klaviyo_legacy_compat.legacy_http import (
    LegacyResponse,
    install_http,
    mount,
    routing,
    uninstall_http,
)
from klaviyo_legacy_compat.testing import LocalKlaviyo

LEGACY = "https://a.klaviyo.com/api"
README = Path(__file__).resolve().parent.parent / "README.md"


def pixel(payload: dict[str, Any]) -> str:
    return base64.b64encode(json.dumps(payload).encode()).decode()


@pytest.fixture
def server() -> Iterator[LocalKlaviyo]:
    """A local Klaviyo; any request not routed, and not for it, fails (never the internet)."""
    network = responses.RequestsMock(assert_all_requests_are_fired=False)
    with LocalKlaviyo(enforce_rate_limits=False) as running, network:
        network.add_passthru(running.base_url)
        yield running


@pytest.fixture
def installed(server: LocalKlaviyo) -> Iterator[LocalKlaviyo]:
    """install(http=True) over the default client, pointed at the local Klaviyo."""
    klaviyo.configure(base_url=server.base_url)
    klaviyo.install(http=True)
    try:
        yield server
    finally:
        klaviyo.uninstall()
        klaviyo.configure(base_url=None, private_key=None)


def test_module_level_requests_calls_run_live(installed: LocalKlaviyo) -> None:
    server = installed
    list_id = server.store.create_list("Newsletter")
    subscribed = requests.post(
        f"{LEGACY}/v2/list/{list_id}/subscribe",
        json={"api_key": server.private_key, "profiles": [{"email": "ann@example.com"}]},
    )
    assert subscribed.status_code == 200
    (member,) = server.store.list_members(list_id)
    assert subscribed.json() == [{"id": member, "email": "ann@example.com"}]
    assert isinstance(subscribed, LegacyResponse)
    event = {"token": server.public_key, "event": "Viewed", "customer_properties": {}}
    event["customer_properties"] = {"$email": "ann@example.com"}
    tracked = requests.get(f"{LEGACY}/track", params={"data": pixel(event)})
    assert (tracked.status_code, tracked.text) == (200, "1")
    removed = requests.request(
        "DELETE",
        f"{LEGACY}/v2/list/{list_id}/subscribe",
        json={"api_key": server.private_key, "emails": ["ann@example.com"]},
    )
    assert (removed.status_code, removed.content) == (200, b"")
    assert server.store.list_members(list_id) == []
    assert len(server.store.events_for("ann@example.com")) == 1
    # Not a legacy URL: the new API on the same host is untouched, served by Klaviyo itself.
    lists = requests.get(
        f"{server.base_url}/api/lists",
        headers={
            "Authorization": f"Klaviyo-API-Key {server.private_key}",
            "revision": "2026-07-15",
        },
    )
    assert not isinstance(lists, LegacyResponse)
    assert [item["id"] for item in lists.json()["data"]] == [list_id]


def test_a_session_made_before_install_is_routed_too(server: LocalKlaviyo) -> None:
    session = requests.Session()
    list_id = server.store.create_list("Newsletter")
    klaviyo.configure(base_url=server.base_url)
    klaviyo.install(http=True)
    try:
        answer = session.get(f"{LEGACY}/v2/lists", json={"api_key": server.private_key})
        assert answer.json() == [{"list_id": list_id, "list_name": "Newsletter"}]
    finally:
        klaviyo.uninstall()
        klaviyo.configure(base_url=None)
        session.close()


def test_keys_the_request_carries_win_and_every_thread_is_routed(installed: LocalKlaviyo) -> None:
    server = installed
    klaviyo.configure(private_key="pk_configured_0123456789abcdef0123")  # not the server's
    list_id = server.store.create_list("Newsletter")
    answers: list[Any] = []

    def worker() -> None:
        answers.append(
            requests.get(f"{LEGACY}/v2/list/{list_id}", json={"api_key": server.private_key})
        )

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert answers[0].status_code == 200 and answers[0].json()["list_name"] == "Newsletter"


def test_uninstall_stops_it_and_other_urls_are_never_touched() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as network:
        network.get(f"{LEGACY}/v2/lists", status=410, json={"detail": "Gone"})
        network.get(f"{LEGACY}/lists", status=200, json={"data": []})
        klaviyo.configure(dry_run=True)
        klaviyo.install(http=True)
        try:
            planned = requests.get(f"{LEGACY}/v2/lists", json={"api_key": "pk_dry_0123456789ab"})
            assert planned.status_code == 200 and "requests" in planned.json()
            assert isinstance(planned, LegacyResponse) and planned.plan is not None
            assert requests.get(f"{LEGACY}/lists").json() == {"data": []}  # not legacy
            assert len(network.calls) == 1
        finally:
            klaviyo.uninstall()
            klaviyo.configure(dry_run=None)
        gone = requests.get(f"{LEGACY}/v2/lists", json={"api_key": "pk_dry_0123456789ab"})
        assert gone.status_code == 410 and len(network.calls) == 2


def test_an_adapter_mounted_on_the_session_wins() -> None:
    session = requests.Session()
    mount(session, klaviyo.CompatClient(dry_run=True))
    with responses.RequestsMock(assert_all_requests_are_fired=False) as network:
        install_http(klaviyo.CompatClient(base_url="http://127.0.0.1:9", retry_budget=0))
        try:
            answer = session.get(f"{LEGACY}/v2/lists", json={"api_key": "pk_dry_0123456789ab"})
        finally:
            uninstall_http()
            session.close()
    assert answer.status_code == 200 and isinstance(answer.plan, klaviyo.Plan)  # type: ignore[attr-defined]
    assert not network.calls


def test_routing_blocks_nest_and_end() -> None:
    outer, inner = klaviyo.CompatClient(dry_run=True), klaviyo.CompatClient(dry_run=True)
    with routing(LEGACY, outer) as first:
        with routing(LEGACY, inner) as second:
            assert requests.Session().get_adapter(f"{LEGACY}/v2/lists") is second
        assert requests.Session().get_adapter(f"{LEGACY}/v2/lists") is first
        assert requests.Session().get_adapter(f"{LEGACY}/lists") is not first
    assert requests.Session().get_adapter(f"{LEGACY}/v2/lists") is not first


def test_the_readme_block_runs_as_written() -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
    (block,) = [b for b in blocks if "install(http=True)" in b]
    done = subprocess.run(
        [sys.executable, "-c", block], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("200 ")
