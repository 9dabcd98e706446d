"""Raw legacy HTTP: the adapter on a real requests.Session and the WSGI gateway over a real
socket, both against a local Klaviyo."""

from __future__ import annotations

import base64
import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
import requests

import klaviyo_legacy_compat as klaviyo
from klaviyo_legacy_compat.legacy_http import mount, serve
from klaviyo_legacy_compat.testing import LocalKlaviyo

LEGACY = "https://a.klaviyo.com/api"


@pytest.fixture
def server() -> Iterator[LocalKlaviyo]:
    with LocalKlaviyo(enforce_rate_limits=False) as running:
        yield running


def pixel(payload: dict[str, Any]) -> str:
    return base64.b64encode(json.dumps(payload).encode()).decode()


def test_the_adapter_answers_legacy_calls_on_an_unchanged_session(server: LocalKlaviyo) -> None:
    list_id = server.store.create_list("Newsletter")
    session = requests.Session()
    mount(session, klaviyo.CompatClient(base_url=server.base_url))
    # The caller's lines, as they were written for the v2 API:
    answer = session.post(
        f"{LEGACY}/v2/list/{list_id}/subscribe",
        json={"api_key": server.private_key, "profiles": [{"email": "ann@example.com"}]},
    )
    ann = server.store.profile_by_email("ann@example.com")
    assert ann is not None
    assert answer.status_code == 200
    assert answer.json() == [{"id": ann.id, "email": "ann@example.com"}]
    tracked = session.get(
        f"{LEGACY}/track",
        params={
            "data": pixel(
                {
                    "token": server.public_key,
                    "event": "Viewed",
                    "customer_properties": {"$email": "ann@example.com"},
                }
            )
        },
    )
    assert (tracked.status_code, tracked.text) == (200, "1")
    removed = session.delete(
        f"{LEGACY}/v2/list/{list_id}/subscribe",
        json={"api_key": server.private_key, "emails": ["ann@example.com"]},
    )
    assert (removed.status_code, removed.content) == (200, b"")
    missing = session.get(f"{LEGACY}/v2/nowhere", json={"api_key": server.private_key})
    assert missing.status_code == 404 and "/api/v2/nowhere" in missing.json()["message"]
    assert server.store.list_members(list_id) == []
    assert len(server.store.events_for("ann@example.com")) == 1
    session.close()


def test_new_api_requests_on_the_same_session_pass_through(server: LocalKlaviyo) -> None:
    session = requests.Session()
    mount(session, klaviyo.CompatClient(base_url=server.base_url), base=server.base_url + "/api")
    answer = session.get(
        server.base_url + "/api/lists",
        headers={
            "Authorization": f"Klaviyo-API-Key {server.private_key}",
            "revision": "2026-07-15",
        },
    )
    assert answer.status_code == 200 and answer.json()["data"] == []  # served by Klaviyo, not us
    session.close()


@pytest.fixture
def gateway(server: LocalKlaviyo) -> Iterator[str]:
    running = serve(
        port=0, client=klaviyo.CompatClient(base_url=server.base_url, environment_keys=False)
    )
    thread = threading.Thread(target=running.serve_forever, daemon=True)
    thread.start()
    host, port = running.server_address[:2]
    yield f"http://{host!s}:{port}/api"
    running.shutdown()
    running.server_close()


def fetch(
    url: str, *, method: str = "GET", body: bytes = b"", headers: dict[str, str] | None = None
) -> tuple[int, str, bytes]:
    request = urllib.request.Request(url, data=body or None, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers.get("Content-Type", ""), error.read()


def test_the_gateway_over_a_real_socket(gateway: str, server: LocalKlaviyo) -> None:
    assert gateway.startswith("http://127.0.0.1:")  # loopback by default
    list_id = server.store.create_list("Newsletter")
    payload = {
        "token": server.public_key,
        "event": "Viewed",
        "customer_properties": {"$email": "bob@example.com"},
    }
    assert fetch(f"{gateway}/track?data={urllib.parse.quote(pixel(payload))}")[::2] == (200, b"1")
    status, kind, body = fetch(f"{gateway}/track?data={urllib.parse.quote(pixel(payload))}&i=1")
    assert (status, kind) == (200, "image/gif") and body.startswith(b"GIF89a")
    status, _, body = fetch(
        f"{gateway}/v2/list/{list_id}/subscribe",
        method="POST",
        body=json.dumps(
            {"api_key": server.private_key, "profiles": [{"email": "bob@example.com"}]}
        ).encode(),
        headers={"Content-Type": "application/json"},
    )
    bob = server.store.profile_by_email("bob@example.com")
    assert bob is not None
    assert (status, json.loads(body)) == (200, [{"id": bob.id, "email": "bob@example.com"}])
    status, _, body = fetch(
        f"{gateway}/v1/people/exclusions?api_key={server.private_key}",
        method="POST",
        body=b"email=carol%40example.com",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert (status, json.loads(body)) == (200, {"already_excluded": False, "num_excluded": 1})
    assert fetch(f"{gateway}/track?data=not-base64!")[::2] == (200, b"0")  # as legacy did


def test_the_gateway_refuses_keyless_requests_and_never_lends_its_own(
    gateway: str, server: LocalKlaviyo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KLAVIYO_PRIVATE_API_KEY", server.private_key)
    status, _, body = fetch(
        f"{gateway}/v1/people/exclusions",
        method="POST",
        body=b"email=dave%40example.com",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 403 and "carry their own key" in json.loads(body)["message"]
    assert server.store.suppressions("dave@example.com") == []


def test_the_gateway_answers_unknown_paths_and_klaviyo_errors_the_legacy_way(
    gateway: str, server: LocalKlaviyo
) -> None:
    status, _, body = fetch(f"{gateway}/v2/unknown/thing?api_key=pk_x")
    assert status == 404 and json.loads(body)["message"].endswith(
        "GET /api/v2/unknown/thing is known to klaviyo_legacy_compat"
    )
    status, _, body = fetch(
        f"{gateway}/v2/list/NoSuch/subscribe",
        method="POST",
        body=json.dumps(
            {"api_key": server.private_key, "profiles": [{"email": "e@example.com"}]}
        ).encode(),
        headers={"Content-Type": "application/json"},
    )
    answer = json.loads(body)
    assert status == 404 and answer["status"] == 404 and answer["errors"]
    status, _, body = fetch(
        f"{gateway}/v2/list/XyZ/subscribe",
        method="POST",
        body=json.dumps(
            {"api_key": server.private_key, "profiles": [{"email": "not-an-email"}]}
        ).encode(),
        headers={"Content-Type": "application/json"},
    )
    assert status == 400 and "profiles[0].email" in json.loads(body)["message"]


def test_dry_run_through_the_adapter_answers_the_plan_as_json() -> None:
    # No server: a dry-run sends nothing, and the legacy caller reads the plan as JSON.
    session = requests.Session()
    mount(session, klaviyo.CompatClient(dry_run=True))
    answer = session.post(
        f"{LEGACY}/v2/list/XyZ/subscribe",
        json={"api_key": "pk_dry_0123456789abcdef", "profiles": [{"email": "ann@example.com"}]},
    )
    plan = answer.json()
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "application/json"
    assert set(plan) == {"requests", "warnings"}
    assert [r["operation"] for r in plan["requests"]][-2:] == [
        "bulk_subscribe_profiles",
        "get_profiles",  # the members' ids, looked up after the job
    ]
    assert "pk_dry_0123456789abcdef" not in answer.text
    session.close()


def test_the_adapter_answers_unreadable_bodies_and_raises_only_requests_exceptions() -> None:
    from klaviyo_legacy_compat.legacy_http import LegacyAdapterError

    session = requests.Session()
    mount(session, klaviyo.CompatClient(dry_run=True))
    key = "pk_dry_0123456789abcdef"
    deep = "[" * 100_000 + "]" * 100_000
    # What the legacy API answered a body it could not read: a legacy 400 (0 from track).
    answer = session.post(
        f"{LEGACY}/v2/list/XyZ/subscribe",
        data='{"api_key": "' + key + '", "profiles": ' + deep + "}",
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 400 and "nested too deeply" in answer.json()["message"]
    tracked = session.post(
        f"{LEGACY}/track",
        data='{"token": "AbC", "event": ' + deep + "}",
        headers={"Content-Type": "application/json"},
    )
    assert (tracked.status_code, tracked.text) == (200, "0")
    # A streamed body is read whole, text as UTF-8.
    chunks: list[Any] = ['{"api_key": "' + key + '", ', b'"profiles": [{"email": "a@x.co"}]}']
    streamed = session.post(
        f"{LEGACY}/v2/list/XyZ/subscribe",
        data=iter(chunks),
        headers={"Content-Type": "application/json"},
    )
    assert streamed.status_code == 200
    # A body that cannot be read at all is a requests exception, as from any adapter.
    with pytest.raises(requests.RequestException) as raised:
        session.post(f"{LEGACY}/v2/list/XyZ/subscribe", data=iter([1, 2]))  # type: ignore[arg-type]
    assert isinstance(raised.value, LegacyAdapterError)
    session.close()


def test_an_unexpected_failure_in_the_adapter_is_a_requests_exception(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from klaviyo_legacy_compat import legacy_http

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise KeyError("a fault of ours")

    monkeypatch.setattr(legacy_http, "respond", broken)
    session = requests.Session()
    mount(session, klaviyo.CompatClient(dry_run=True))
    with pytest.raises(requests.RequestException) as raised:
        session.get(f"{LEGACY}/v2/lists", params={"api_key": "pk_x"})
    assert isinstance(raised.value.__cause__, KeyError)
    session.close()
