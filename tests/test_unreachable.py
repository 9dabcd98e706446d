"""Klaviyo cannot be reached: each way a connection fails, made for real on 127.0.0.1, is
named (``connect_failure``) so the policy can give it the connect budget or none; a client
call gives up within ``connect_retry_budget`` and says so in the log.

Name resolution is replaced by a stand-in answering as the resolver would (tests never ask
a real resolver); everything else goes over real sockets.
"""

from __future__ import annotations

import logging
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Callable, Optional

import pytest
import requests
import urllib3

import klaviyo_legacy_compat as klaviyo
from klaviyo_legacy_compat import PreparedRequest
from klaviyo_legacy_compat._transports.retry import CONNECT_FAILURES
from klaviyo_legacy_compat._transports.transport import (
    RequestsTransport,
    TransportError,
    connect_failure,
    map_requests_exceptions,
)


def closed_port() -> int:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port: int = probe.getsockname()[1]
    probe.close()
    return port


@contextmanager
def listening(backlog: int = 5) -> Iterator[socket.socket]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(backlog)
    try:
        yield server
    finally:
        server.close()


@contextmanager
def serving(answer: Callable[[socket.socket], None]) -> Iterator[int]:
    """A one-connection server: accepts, then lets ``answer`` do what it will."""
    with listening() as server:

        def run() -> None:
            connection, _ = server.accept()
            with connection:
                answer(connection)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        yield server.getsockname()[1]
        thread.join(timeout=5)


def resolver(code: int) -> Callable[..., Any]:
    def getaddrinfo(host: str, *args: Any, **kwargs: Any) -> Any:
        raise socket.gaierror(code, "stand-in resolver")

    return getaddrinfo


def fail(url: str, timeout: Any = (1.0, 1.0), **params: str) -> TransportError:
    sent = PreparedRequest(
        "POST", url, tuple(params.items()), (), {"data": {}}, "create_event", timeout
    )
    transport = RequestsTransport()
    try:
        with pytest.raises(TransportError) as caught:
            transport.send(sent)
    finally:
        transport.close()
    return caught.value


# --- each failure, made for real ------------------------------------------------------------


def refused(monkeypatch: pytest.MonkeyPatch) -> TransportError:
    return fail(f"http://127.0.0.1:{closed_port()}/api/events")


def refused_with_a_key_in_the_query(monkeypatch: pytest.MonkeyPatch) -> TransportError:
    # The message quotes the URL, so the cause is retold without it (_keyless): the chain
    # must still be read through the original (__context__).
    error = fail(f"http://127.0.0.1:{closed_port()}/client/events", company_id="AbC123")
    assert "AbC123" not in str(error) and "AbC123" not in str(error.__cause__)
    return error


def name_not_found(monkeypatch: pytest.MonkeyPatch) -> TransportError:
    monkeypatch.setattr(socket, "getaddrinfo", resolver(socket.EAI_NONAME))
    return fail("https://a.klaviyo.invalid/api/events")


def resolver_not_answering(monkeypatch: pytest.MonkeyPatch) -> TransportError:
    monkeypatch.setattr(socket, "getaddrinfo", resolver(socket.EAI_AGAIN))
    return fail("https://a.klaviyo.invalid/api/events")


def connect_timeout(monkeypatch: pytest.MonkeyPatch) -> TransportError:
    # A listener whose accept queue is full drops the SYN, as a firewalled host does.
    with listening(backlog=0) as server:
        filler = socket.create_connection(server.getsockname())
        try:
            return fail(f"http://127.0.0.1:{server.getsockname()[1]}/api/events", (0.2, 1.0))
        finally:
            filler.close()


def tls_handshake(monkeypatch: pytest.MonkeyPatch) -> TransportError:
    # TLS spoken to a plain HTTP server: its answer is not a TLS record.
    def plain_http(connection: socket.socket) -> None:
        connection.recv(4096)
        connection.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")

    with serving(plain_http) as port:
        return fail(f"https://127.0.0.1:{port}/api/events")


def certificate_refused(monkeypatch: pytest.MonkeyPatch) -> TransportError:
    # As requests raises it for a certificate that does not verify (no TLS server here can
    # present one: the test environment has no certificate tooling).
    sent = PreparedRequest("POST", "https://a.klaviyo.com/api/events", (), (), None, "x")
    verify = ssl.SSLCertVerificationError(1, "certificate verify failed: self-signed")
    pool = urllib3.HTTPSConnectionPool("a.klaviyo.com")
    wrapped = urllib3.exceptions.MaxRetryError(
        pool, "/api/events", urllib3.exceptions.SSLError(verify)
    )
    with pytest.raises(TransportError) as caught, map_requests_exceptions(sent):
        raise requests.exceptions.SSLError(wrapped)
    return caught.value


def read_timeout(monkeypatch: pytest.MonkeyPatch) -> TransportError:
    # Connected (the kernel completes the handshake) and sent, but never answered.
    with listening() as server:
        return fail(f"http://127.0.0.1:{server.getsockname()[1]}/api/events", (1.0, 0.2))


def reset_after_sending(monkeypatch: pytest.MonkeyPatch) -> TransportError:
    def reset(connection: socket.socket) -> None:
        connection.recv(4096)
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00" * 2)

    with serving(reset) as port:
        return fail(f"http://127.0.0.1:{port}/api/events")


FAILURES: list[tuple[Callable[[pytest.MonkeyPatch], TransportError], Optional[str]]] = [
    (refused, "refused"),
    (refused_with_a_key_in_the_query, "refused"),
    (name_not_found, "name_not_found"),
    (resolver_not_answering, "dns"),
    (connect_timeout, "connect_timeout"),
    (tls_handshake, "tls"),
    (certificate_refused, "certificate_refused"),
    (read_timeout, None),  # it may have been stored: the retry budget, as a 5xx
    (reset_after_sending, None),
]


@pytest.mark.parametrize(
    ("make", "kind"), [pytest.param(*row, id=row[0].__name__) for row in FAILURES]
)
def test_each_connection_failure_is_named(
    make: Callable[[pytest.MonkeyPatch], TransportError],
    kind: Optional[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert connect_failure(make(monkeypatch)) == kind


def test_every_kind_the_policy_knows_is_made_here() -> None:
    # "unreachable" (ENETUNREACH, EHOSTUNREACH) needs a routing table to fail; it is the
    # NewConnectionError that no more specific row claims.
    made = {kind for _, kind in FAILURES if kind is not None} | {"unreachable"}
    assert made == set(CONNECT_FAILURES)


def test_what_is_not_a_transport_error_is_not_a_connection_failure() -> None:
    assert connect_failure(TransportError("refused", sent=False)) is None
    assert connect_failure(ValueError("no")) is None


# --- a client call -----------------------------------------------------------------------------


def messages(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str]]:
    return [
        (r.levelno, r.getMessage())
        for r in caplog.records
        if r.name == "klaviyo_legacy_compat.upstream"
    ]


def test_a_call_to_a_closed_port_gives_up_within_its_connect_budget(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="klaviyo_legacy_compat")
    client = klaviyo.CompatClient(
        private_key="pk_test_0123456789abcdef",
        base_url=f"http://127.0.0.1:{closed_port()}",
        time_scale=0.01,  # backoff from 5 ms
    )
    with pytest.raises(TransportError):
        # A per-call budget, as the gateway passes it. A retry must leave room for the
        # next attempt's connect timeout, so that is short too.
        client.track(
            "Viewed", {"$email": "a@example.com"}, connect_retry_budget=0.5, timeout=(0.1, 1)
        )
    client.close()
    logged = messages(caplog)
    first, last = logged[0], logged[-1]
    assert first[0] == logging.WARNING
    assert first[1].startswith("create_event (POST /api/events): TransportError (refused); ")
    assert "of connect_retry_budget left" in first[1]
    assert len(logged) > 2  # retried
    assert {level for level, _ in logged[1:-1]} == {logging.INFO}
    assert last[0] == logging.ERROR
    assert "overrun connect_retry_budget; nothing was delivered" in last[1]
    assert "pk_test" not in "".join(text for _, text in logged)


def test_a_name_that_does_not_exist_fails_at_once(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.DEBUG, logger="klaviyo_legacy_compat")
    monkeypatch.setattr(socket, "getaddrinfo", resolver(socket.EAI_NONAME))
    client = klaviyo.CompatClient(
        private_key="pk_test_0123456789abcdef", base_url="https://a.klaviyo.invalid"
    )
    with pytest.raises(TransportError):
        client.track("Viewed", {"$email": "a@example.com"})
    client.close()
    [(level, message)] = messages(caplog)
    assert level == logging.ERROR
    assert message.startswith("create_event (POST /api/events): giving up after 1 attempt in ")
    assert "TransportError (name_not_found)" in message
    assert "not retried: every attempt would get the same answer" in message
