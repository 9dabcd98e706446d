"""The production gateway over real sockets: framing and size errors answered in the legacy
JSON shape (raw bytes on a socket, one table row each), on waitress and on the stdlib
fallback; the access and upstream logs; the deadline; a client's retry recognised; the
refusal of bulk mode without a spool."""

from __future__ import annotations

import base64
import contextlib
import io
import json
import logging
import os
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest

import klaviyo_legacy_compat as klaviyo
from klaviyo_legacy_compat._core.errors import ConfigurationError
from klaviyo_legacy_compat.gateway import GatewayServer, make_app, serve
from klaviyo_legacy_compat.gateway import _server as gateway_server
from klaviyo_legacy_compat.testing import LocalKlaviyo

LIMITS = {
    "idle_timeout": 1,
    "max_body_size": 1024,
    "max_uri_size": 1024,
    "max_header_size": 4096,
}


@pytest.fixture
def server() -> Iterator[LocalKlaviyo]:
    with LocalKlaviyo(enforce_rate_limits=False) as running:
        yield running


def start(
    server: LocalKlaviyo, *, kind: str = "waitress", client_options: Any = None, **settings: Any
) -> GatewayServer:
    client = klaviyo.CompatClient(
        base_url=server.base_url, environment_keys=False, **(client_options or {})
    )
    running = serve("127.0.0.1", 0, client, server=kind, **{**LIMITS, **settings})
    threading.Thread(target=running.serve_forever, daemon=True).start()
    return running


def stop(running: GatewayServer) -> None:
    running.shutdown()
    running.server_close()
    running.gateway.client.close()


@pytest.fixture
def waitress_gateway(server: LocalKlaviyo) -> Iterator[GatewayServer]:
    running = start(server)
    yield running
    stop(running)


@pytest.fixture
def stdlib_gateway(server: LocalKlaviyo) -> Iterator[GatewayServer]:
    running = start(server, kind="stdlib")
    yield running
    stop(running)


def exchange(address: tuple[str, int], raw: bytes, wait: float = 8.0) -> tuple[int, bytes]:
    """Send ``raw`` on a fresh connection; the status and body of the answer. A server that
    says nothing within ``wait`` seconds fails the test (a hang)."""
    with socket.create_connection(address, timeout=wait) as sock:
        with contextlib.suppress(OSError):  # answered and closed before reading it all (413)
            sock.sendall(raw)
        data = b""
        began = time.monotonic()
        while True:
            try:
                chunk = sock.recv(65536)
            except socket.timeout:
                pytest.fail(f"no answer within {wait} s (a hang)")
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            length = [
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            ]
            if length and len(body) >= length[0]:
                break
            assert time.monotonic() - began < wait
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1."), data[:200]
    return int(head.split(b" ")[1]), body


def pixel(payload: dict[str, Any]) -> str:
    return urllib.parse.quote(base64.b64encode(json.dumps(payload).encode()).decode())


def deep(depth: int) -> str:
    return "[" * depth + "]" * depth


def subscribe_body(profile: str = '{"email": "ann@example.com"}') -> bytes:
    return ('{"api_key": "pk_x_0123456789abcdef", "profiles": [' + profile + "]}").encode()


def post(path: str, body: bytes, *headers: str) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: gateway", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


# One row per way a request can be malformed: the raw bytes and the legacy status answered.
# Every answer is the legacy JSON error body (never a 500, a traceback or a hang).
FRAMING: list[Any] = [
    pytest.param(
        post("/api/v2/list/XyZ/subscribe", b"{}", "Content-Length: 2x"), 400, id="cl_not_a_number"
    ),
    pytest.param(
        post("/api/v2/list/XyZ/subscribe", b"{}", "Content-Length: -2"), 400, id="cl_negative"
    ),
    pytest.param(
        post("/api/v2/list/XyZ/subscribe", b"{}", "Content-Length: 2", "Content-Length: 3"),
        400,
        id="cl_twice",
    ),
    pytest.param(
        post("/api/v2/list/XyZ/subscribe", b'{"api_k', "Content-Length: 500"),
        400,
        id="cl_lying_body_stops_short",
    ),
    pytest.param(
        post(
            "/api/v2/list/XyZ/subscribe",
            b"2\r\n{}\r\n0\r\n\r\n",
            "Content-Length: 2",
            "Transfer-Encoding: chunked",
        ),
        400,
        id="cl_and_te",
    ),
    pytest.param(
        b"POST /api/track HTTP/1.0\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n{}",
        400,
        id="te_in_http_1_0",
    ),
    pytest.param(
        post("/api/track", b"zz\r\n{}\r\n0\r\n\r\n", "Transfer-Encoding: chunked"),
        400,
        id="chunked_garbage",
    ),
    pytest.param(post("/api/track", b"{}", "Transfer-Encoding: gzip"), 501, id="te_not_chunked"),
    pytest.param(post("/api/track", b"", "Content-Length: 5000"), 413, id="cl_over_the_limit"),
    pytest.param(
        post("/api/track", b"400\r\n" + b"x" * 1024 + b"\r\n" * 2, "Transfer-Encoding: chunked"),
        413,
        id="chunked_over_the_limit",
    ),
    pytest.param(
        f"GET /api/track?data={'A' * 2000} HTTP/1.1\r\nHost: g\r\n\r\n".encode(),
        414,
        id="uri_too_long",
    ),
    pytest.param(
        b"GET /api/track HTTP/1.1\r\n" + b"X-Big: " + b"y" * 5000 + b"\r\n\r\n",
        431,
        id="headers_too_large",
    ),
    pytest.param(
        post(
            "/api/v2/list/XyZ/subscribe",
            subscribe_body(deep(100_000)),
            "Content-Length: 200071",
        ),
        413,
        id="deep_json_over_the_limit",
    ),
    pytest.param(b"GET /api/v2/\xff\xfe HTTP/1.1\r\nHost: g\r\n\r\n", 400, id="path_not_utf8"),
    pytest.param(
        b"GET /api/v2/lists?api_key=pk_\xff HTTP/1.1\r\nHost: g\r\n\r\n", 400, id="query_not_utf8"
    ),
]


def body_rows(limit: int) -> list[Any]:
    """Rows whose bodies fit the size limit and are still unreadable."""
    nested = subscribe_body(deep(400))
    latin = subscribe_body('{"email": "\xe9@example.com"}'.encode("latin-1").decode("latin-1"))
    latin = latin.replace("é".encode(), b"\xe9")
    assert len(nested) <= limit
    return [
        pytest.param(
            post(
                "/api/v2/list/XyZ/subscribe",
                nested,
                "Content-Type: application/json",
                f"Content-Length: {len(nested)}",
            ),
            400,
            id="json_nested_too_deeply",
        ),
        pytest.param(
            post(
                "/api/v2/list/XyZ/subscribe",
                latin,
                "Content-Type: application/json",
                f"Content-Length: {len(latin)}",
            ),
            400,
            id="json_not_utf8",
        ),
    ]


def legacy_error(status: int, body: bytes, expected: int) -> None:
    assert status == expected, body
    answer = json.loads(body)
    assert answer["status"] == expected and answer["message"] == answer["detail"]
    assert b"Traceback" not in body


@pytest.mark.parametrize(("raw", "expected"), FRAMING + body_rows(1024))
def test_framing_errors_are_legacy_json_on_waitress(
    waitress_gateway: GatewayServer, raw: bytes, expected: int
) -> None:
    assert waitress_gateway.kind == "waitress"
    status, body = exchange(waitress_gateway.server_address, raw)
    legacy_error(status, body, expected)


#: The stdlib server frames less (HTTP/1.0, no chunked bodies): what it answers itself.
STDLIB: list[Any] = [
    pytest.param(
        post("/api/v2/list/XyZ/subscribe", b"{}", "Content-Length: 2x"), 400, id="cl_not_a_number"
    ),
    pytest.param(
        post("/api/v2/list/XyZ/subscribe", b"{}", "Content-Length: -2"), 400, id="cl_negative"
    ),
    pytest.param(
        post("/api/v2/list/XyZ/subscribe", b'{"api_k', "Content-Length: 500"),
        400,
        id="cl_lying_body_stops_short",
    ),
    pytest.param(
        post(
            "/api/track", b"2\r\n{}\r\n0\r\n\r\n", "Content-Length: 2", "Transfer-Encoding: chunked"
        ),
        400,
        id="cl_and_te",
    ),
    pytest.param(
        post("/api/track", b"2\r\n{}\r\n0\r\n\r\n", "Transfer-Encoding: chunked"),
        411,
        id="chunked_unread",
    ),
    pytest.param(post("/api/track", b"", "Content-Length: 5000"), 413, id="cl_over_the_limit"),
    pytest.param(
        f"GET /api/track?data={'A' * 2000} HTTP/1.1\r\nHost: g\r\n\r\n".encode(),
        414,
        id="uri_too_long",
    ),
    pytest.param(b"GARBAGE\r\n\r\n", 400, id="request_line_garbage"),
]


@pytest.mark.parametrize(("raw", "expected"), STDLIB + body_rows(1024))
def test_framing_errors_are_legacy_json_on_the_stdlib_fallback(
    stdlib_gateway: GatewayServer, raw: bytes, expected: int
) -> None:
    assert stdlib_gateway.kind == "stdlib"
    status, body = exchange(stdlib_gateway.server_address, raw)
    legacy_error(status, body, expected)


def test_a_chunked_body_is_read_and_a_deep_pixel_answers_0(
    waitress_gateway: GatewayServer, server: LocalKlaviyo
) -> None:
    payload = json.dumps(
        {"token": server.public_key, "event": "Viewed", "customer_properties": {"$email": "c@x.co"}}
    ).encode()
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (payload[:10], payload[10:]))
    raw = post("/api/track", chunked + b"0\r\n\r\n", "Transfer-Encoding: chunked")
    assert exchange(waitress_gateway.server_address, raw) == (200, b"1")
    assert len(server.store.events_for("c@x.co")) == 1
    # Properties nested too deeply: what legacy track answered a payload it refused, "0".
    nested = json.dumps(
        {
            "token": server.public_key,
            "event": "Viewed",
            "customer_properties": {"$email": "c@x.co"},
            "properties": {"p": "DEEP"},
        }
    ).replace('"DEEP"', deep(400))
    raw = post("/api/track", nested.encode(), f"Content-Length: {len(nested)}")
    assert exchange(waitress_gateway.server_address, raw) == (200, b"0")


def test_without_waitress_the_stdlib_server_runs_with_a_warning(
    server: LocalKlaviyo, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(gateway_server, "_waitress_server", lambda settings: None)
    with caplog.at_level(logging.WARNING, logger="klaviyo_legacy_compat.gateway"):
        running = start(server, kind="auto")
    try:
        assert running.kind == "stdlib"
        assert any("waitress is not installed" in r.getMessage() for r in caplog.records)
    finally:
        stop(running)
    with pytest.raises(ConfigurationError, match=r"klaviyo-legacy-compat\[gateway\]"):
        start(server, kind="waitress")


def test_binding_a_non_loopback_address_warns(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="klaviyo_legacy_compat.gateway"):
        running = serve("0.0.0.0", 0, klaviyo.CompatClient(environment_keys=False))
    running.server_close()
    running.gateway.client.close()
    warned = [r.getMessage() for r in caplog.records if "not a loopback" in r.getMessage()]
    assert warned and "keys" in warned[0]
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="klaviyo_legacy_compat.gateway"):
        running = serve("127.0.0.1", 0, klaviyo.CompatClient(environment_keys=False))
    running.server_close()
    running.gateway.client.close()
    assert not [r for r in caplog.records if "not a loopback" in r.getMessage()]


@pytest.mark.parametrize(
    "settings",
    [{"backlog": 64}, {"threads": 0}, {"deadline": 0}, {"threads": 2.5}, {"no_such": 1}],
)
def test_bad_settings_are_refused_naming_them(settings: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError, match=next(iter(settings))):
        serve("127.0.0.1", 0, klaviyo.CompatClient(environment_keys=False), **settings)


def test_bulk_mode_without_a_spool_is_refused(tmp_path: Any) -> None:
    client = klaviyo.CompatClient(environment_keys=False, batching=True)
    with pytest.raises(ConfigurationError, match="spool_path"):
        make_app(client)
    with pytest.raises(ConfigurationError, match="spool_path"):
        serve("127.0.0.1", 0, client)
    spooled = make_app(client, spool_path=str(tmp_path / "spool.db"))
    spooled.close()
    client.close()


def test_one_access_line_per_request_and_one_per_upstream_failure_without_keys(
    waitress_gateway: GatewayServer, server: LocalKlaviyo, caplog: pytest.LogCaptureFixture
) -> None:
    address = waitress_gateway.server_address
    list_id = server.store.create_list("Newsletter")
    server.faults.add("503", operation="bulk_subscribe_profiles")
    caplog.set_level(logging.DEBUG, logger="klaviyo_legacy_compat")
    track = pixel(
        {"token": server.public_key, "event": "Viewed", "customer_properties": {"$email": "a@x.co"}}
    )
    assert exchange(address, f"GET /api/track?data={track} HTTP/1.1\r\n\r\n".encode()) == (
        200,
        b"1",
    )
    body = json.dumps({"api_key": server.private_key, "profiles": [{"email": "a@x.co"}]}).encode()
    status, _ = exchange(
        address,
        post(f"/api/v2/list/{list_id}/subscribe", body, f"Content-Length: {len(body)}"),
    )
    assert status == 200
    status, _ = exchange(
        address, f"GET /api/v2/lists?api_key={server.private_key} HTTP/1.1\r\n\r\n".encode()
    )
    assert status == 200
    access = [r.getMessage() for r in caplog.records if r.name == "klaviyo_legacy_compat.gateway"]
    assert [line.split(" ms")[0].rsplit(" ", 1)[0] for line in access] == [
        "GET /api/track 200 create_client_event",
        f"POST /api/v2/list/{list_id}/subscribe 200 get_list,bulk_subscribe_profiles,get_profiles",
        "GET /api/v2/lists 200 get_lists",
    ]
    upstream = [r for r in caplog.records if r.name == "klaviyo_legacy_compat.upstream"]
    assert [r.getMessage().split(": ", 1)[1] for r in upstream] == [
        "status 503; " + upstream[0].getMessage().rsplit("; ", 1)[1]
    ]
    assert "bulk_subscribe_profiles" in upstream[0].getMessage()
    for record in caplog.records:
        text = record.getMessage()
        assert server.private_key not in text and server.public_key not in text
        assert "?" not in text and "data=" not in text and "api_key" not in text


def same_track(server: LocalKlaviyo, email: str) -> bytes:
    data = pixel(
        {"token": server.public_key, "event": "Ordered", "customer_properties": {"$email": email}}
    )
    return f"GET /api/track?data={data} HTTP/1.1\r\nHost: g\r\n\r\n".encode()


def test_a_retried_track_is_stored_once(server: LocalKlaviyo) -> None:
    running = start(server)
    try:
        request = same_track(server, "r@x.co")
        assert exchange(running.server_address, request) == (200, b"1")
        time.sleep(1.1)  # a later call time: without the window, a second event
        assert exchange(running.server_address, request) == (200, b"1")
    finally:
        stop(running)
    assert len(server.store.events_for("r@x.co")) == 1
    # Without the window each request is a call of its own (what the window prevents).
    running = start(server, retry_window=0)
    try:
        request = same_track(server, "w@x.co")
        assert exchange(running.server_address, request) == (200, b"1")
        time.sleep(1.1)
        assert exchange(running.server_address, request) == (200, b"1")
    finally:
        stop(running)
    assert len(server.store.events_for("w@x.co")) == 2


def test_a_retry_while_the_first_is_slow_joins_it(server: LocalKlaviyo) -> None:
    running = start(server, client_options={"timeout": (1.0, 5.0)})
    try:
        server.faults.add("slow_after_store", operation="create_client_event", delay=1.5)
        request = same_track(server, "s@x.co")
        # The legacy client gives up after 0.5 s (the event is stored, its answer is late)
        # and sends the very same request again.
        with socket.create_connection(running.server_address, timeout=0.5) as first:
            first.sendall(request)
            with pytest.raises(socket.timeout):
                first.recv(100)
        assert exchange(running.server_address, request) == (200, b"1")
    finally:
        stop(running)
    assert len(server.store.events_for("s@x.co")) == 1
    assert len([r for r in server.requests if r.operation == "create_client_event"]) == 1


def test_the_deadline_answers_504_and_the_retry_gets_the_answer(
    server: LocalKlaviyo, caplog: pytest.LogCaptureFixture
) -> None:
    running = start(server, deadline=0.5, client_options={"timeout": (1.0, 5.0)})
    try:
        server.faults.add("slow_after_store", operation="create_client_event", delay=1.5)
        request = same_track(server, "d@x.co")
        began = time.monotonic()
        status, body = exchange(running.server_address, request)
        assert time.monotonic() - began < 1.4
        legacy_error(status, body, 504)
        time.sleep(1.5)  # the call went on and succeeded
        assert exchange(running.server_address, request) == (200, b"1")
    finally:
        stop(running)
    assert len(server.store.events_for("d@x.co")) == 1


def test_a_request_that_cannot_start_in_time_is_503_and_never_sent(server: LocalKlaviyo) -> None:
    running = start(server, threads=1, deadline=0.5, client_options={"timeout": (1.0, 5.0)})
    list_id = server.store.create_list("Newsletter")
    # A subscribe of three requests, each answered 0.45 s late: it holds the one worker
    # past the deadline (each request alone stays within it).
    for operation in ("get_list", "bulk_subscribe_profiles", "get_profiles"):
        server.faults.add("slow_after_store", operation=operation, delay=0.45)
    body = json.dumps({"api_key": server.private_key, "profiles": [{"email": "f@x.co"}]})
    answers: list[tuple[int, bytes]] = []
    try:
        slow = threading.Thread(
            target=lambda: answers.append(
                exchange(
                    running.server_address,
                    post(
                        f"/api/v2/list/{list_id}/subscribe",
                        body.encode(),
                        f"Content-Length: {len(body)}",
                    ),
                )
            )
        )
        slow.start()
        time.sleep(0.2)
        status, answer = exchange(running.server_address, same_track(server, "late@x.co"))
        slow.join()
        time.sleep(1.0)  # the subscribe ends; the track never starts
    finally:
        stop(running)
    legacy_error(*answers[0], 504)  # still running: it finished after the answer
    assert len(server.store.list_members(list_id)) == 1
    legacy_error(status, answer, 503)
    assert server.store.events_for("late@x.co") == []


def test_a_call_whose_client_went_away_is_stopped_before_anything_is_sent(
    server: LocalKlaviyo, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app(klaviyo.CompatClient(base_url=server.base_url, environment_keys=False))
    list_id = server.store.create_list("Newsletter")
    body = json.dumps({"api_key": server.private_key, "profiles": [{"email": "g@x.co"}]}).encode()
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": f"/api/v2/list/{list_id}/subscribe",
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": "application/json",
        "wsgi.input": io.BytesIO(body),
        "waitress.client_disconnected": lambda: True,
    }
    seen: list[str] = []
    with caplog.at_level(logging.INFO, logger="klaviyo_legacy_compat.gateway"):
        b"".join(app(environ, lambda status, headers: seen.append(status)))
    app.close()
    app.client.close()
    assert seen[0].startswith("502")  # nobody reads it: the client is gone
    assert server.requests == []
    assert "(stopped: client went away)" in caplog.records[-1].getMessage()


def test_the_serve_command_refuses_bad_settings(capsys: pytest.CaptureFixture[str]) -> None:
    from klaviyo_legacy_compat import cli

    assert cli.main(["serve", "--port", "0", "--backlog", "10"]) == 2
    assert "backlog" in capsys.readouterr().err


def test_a_worker_waking_a_stopped_waitress_loop_writes_to_no_other_descriptor(
    server: LocalKlaviyo,
) -> None:
    # A worker finishing a response wakes the loop by writing to its pipe; at shutdown the
    # loop may have closed that pipe already, and its descriptor number gone to a new file.
    running = start(server)
    stop(running)
    trigger = running._servers[0].trigger
    stale = trigger.trigger  # the write end's descriptor number, closed by now
    read_end, write_end = os.pipe()  # the lowest free numbers: most likely the stale ones
    try:
        trigger.pull_trigger()  # what a late worker does
        os.set_blocking(read_end, False)
        with contextlib.suppress(BlockingIOError):
            assert os.read(read_end, 1) == b"", f"a write reached descriptor {stale}"
    finally:
        os.close(read_end)
        os.close(write_end)
