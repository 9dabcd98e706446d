"""A local Klaviyo: a real HTTP server on 127.0.0.1 that speaks the part of Klaviyo's new
JSON:API (revision ``2026-07-15``) this library uses, for integration tests.

    with LocalKlaviyo(time_scale=0.05) as server:
        client = klaviyo.CompatClient(private_key=server.private_key, base_url=server.base_url)
        client.track("Viewed", {"$email": "ann@example.com"})
        assert server.store.events_for("ann@example.com")

What it does, and where each rule comes from (``new-api.md`` is ``../shared/reference``):

- **Routing** through the package's endpoint table (:func:`match_path`), so paths, methods,
  success statuses, rate limits and per-call caps are the spec's. Implemented operations are
  the rows of ``_operations.ROUTES`` (operationId → handler): every operation a translator
  emits (``tests/testing/test_every_operation.py`` enumerates them from the code); other
  known paths answer 501.
- **Auth** (new-api.md §1): ``/api/*`` needs ``Authorization: Klaviyo-API-Key <private key>``
  (none → 401 ``not_authenticated``, another key → 403 ``permission_denied``); ``/client/*``
  needs ``company_id=<public key>`` and no ``Authorization``; every request needs ``revision``.
- **Errors** as JSON:API documents (new-api.md §4), ``application/vnd.api+json``.
- **Rate limits** (new-api.md §6): per operation, fixed burst (1 s) and steady (60 s) windows,
  both multiplied by ``time_scale``, plus the daily window where the spec sets one; 429
  ``throttled`` with ``Retry-After``; ``RateLimit-*`` headers on every other answer.
- **Faults** on request (``server.faults``, a ``_faults.Faults``): throttling, server errors,
  connection resets, and answers that are slow or lost *after* the write was stored.
- **State** in an :class:`~klaviyo_legacy_compat.testing._store_messages.Account`
  (``server.store``): the profiles, events, metrics, lists and segments of ``_store.Store``
  plus templates, campaigns and flows.

This module is the HTTP side: the socket server and the connections, auth and revision, and
each request's way through fault, meter and handler to the answer and the request log. The
rest is a module per concern, each depending only on the ones below it:

- ``_operations`` (the ROUTES table; the handlers by resource in ``_profiles``,
  ``_consent``, ``_lists``, ``_metrics``, ``_campaigns``, ``_templates``);
- ``_rate_limits`` (the limiter and its answers), ``_faults`` (the fault table and queue);
- ``_validation`` (request bodies), ``_filters`` (the ``filter`` and ``sort`` parameters),
  ``_protocol`` (calls, answers, errors, resources, pages);
- the store: ``_store_messages`` over ``_store`` over ``_store_events`` over
  ``_store_profiles``, their records in ``_store_records``.

Stdlib only: :class:`http.server.ThreadingHTTPServer`, one daemon thread per connection,
HTTP/1.1 keep-alive, nothing written to stderr.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import socketserver
import struct
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple, Optional
from urllib.parse import parse_qsl, unquote, urlsplit

import attrs

from klaviyo_legacy_compat._core.endpoints import Endpoint, match_path
from klaviyo_legacy_compat.testing._faults import Faults
from klaviyo_legacy_compat.testing._operations import ROUTES, Handler, Operations
from klaviyo_legacy_compat.testing._protocol import Call, Reply, error, store_error
from klaviyo_legacy_compat.testing._rate_limits import RateLimiter, rate_limit_headers, throttled
from klaviyo_legacy_compat.testing._store_messages import Account
from klaviyo_legacy_compat.testing._store_records import StoreError

__all__ = ["LocalKlaviyo", "ServedRequest"]

MEDIA_TYPE = "application/vnd.api+json"

#: The ``revision`` header every request carries (new-api.md §1).
_REVISION = re.compile(r"^\d{4}-\d{2}-\d{2}(\.[A-Za-z0-9]+)?$")


class ServedRequest(NamedTuple):
    """One request as the server saw it. ``operation`` is ``None`` for an unknown path;
    ``status`` is ``None`` when the connection was dropped without an answer (the faults
    ``reset`` and ``reset_after_store``)."""

    method: str
    path: str
    query: dict[str, str]
    operation: Optional[str]
    status: Optional[int]


_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _path_params(template: str, path: str) -> dict[str, str]:
    """``{"id": "Y6nRLr"}`` for template ``/api/lists/{id}`` and path ``/api/lists/Y6nRLr``."""
    return {
        pattern[1:-1]: unquote(value)
        for pattern, value in zip(template.split("/"), path.split("/"))
        if pattern.startswith("{") and pattern.endswith("}")
    }


class _Handler(BaseHTTPRequestHandler):
    """One connection: reads requests, hands each to :meth:`LocalKlaviyo._serve`, and
    writes answers (or drops the connection) as told."""

    protocol_version = "HTTP/1.1"  # keep-alive, so pooled clients reuse connections
    server_version = "LocalKlaviyo"
    server: _HTTPServer
    #: The request being served, logged (with its status) just before the answer goes out,
    #: so a client that has its answer always finds the request in the log.
    entry: Optional[ServedRequest] = None
    logged = False

    def setup(self) -> None:
        super().setup()
        # Header and body go out in separate writes; without TCP_NODELAY, Nagle's algorithm
        # and the client's delayed ACK stall every keep-alive answer by ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection, alive=True)

    def finish(self) -> None:
        try:
            super().finish()
        except (OSError, ValueError):
            pass  # the connection was reset, by a fault or by the peer
        finally:
            self.server.track(self.connection, alive=False)

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: a test server writes nothing to stderr."""

    def _serve(self) -> None:
        self.server.local._serve(self)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def read_body(self) -> bytes:
        """The request body (``Content-Length`` or chunked); ``ValueError`` when malformed."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline(65537).split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0:
            raise ValueError("negative Content-Length")
        return self.rfile.read(length) if length else b""

    def respond(self, reply: Reply) -> None:
        """Write an answer; always framed by ``Content-Length`` (none for 204, which has no
        body by definition: RFC 9110 §8.6), so keep-alive clients never wait for a close."""
        body = b"" if reply.body is None else json.dumps(reply.body).encode()
        self.send_response(reply.status)
        if reply.status != 204:
            self.send_header("Content-Length", str(len(body)))
        if body:
            self.send_header("Content-Type", MEDIA_TYPE)
        for name, value in reply.headers:
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if body:
            self.wfile.write(body)

    def reset(self) -> None:
        """Drop the connection without an answer: SO_LINGER 0 makes close() send a TCP RST,
        so the client sees a connection error rather than a clean end of stream."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.rfile.close()  # the makefile() reference, or close() would not close yet
            self.connection.close()
        except OSError:
            pass


class _HTTPServer(ThreadingHTTPServer):
    """The listening socket; one daemon thread per connection. Tracks open connections so
    :meth:`LocalKlaviyo.stop` can end idle keep-alive ones at once."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], local: LocalKlaviyo) -> None:
        self.local = local
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host's FQDN, a DNS lookup that can take
        # seconds; a loopback test server needs no name.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def track(self, connection: socket.socket, *, alive: bool) -> None:
        with self._connections_lock:
            if alive:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet: a broken connection is a test's business, not stderr's."""


class LocalKlaviyo:
    """A local Klaviyo for integration tests: a real HTTP server on ``host`` (an ephemeral
    port unless ``port`` is given) serving the operations of :data:`ROUTES` from an
    in-memory :class:`~klaviyo_legacy_compat.testing._store_messages.Account`.

    ``time_scale`` multiplies the rate-limit windows (0.05: a 50 ms burst window and a 3 s
    steady one; a daily cap such as create_list's 150/day is a plain count, never scaled);
    ``enforce_rate_limits=False`` turns throttling, daily caps included, and the
    ``RateLimit-*`` headers off; ``retry_after_header=False`` leaves ``Retry-After`` off
    throttled answers, as some real 429s do (new-api.md §6.4).

    Attributes: ``base_url`` (``http://127.0.0.1:<port>`` once started), ``private_key`` and
    ``public_key`` (what requests must carry), ``store`` (the account's state), ``faults``
    (the fault queue) and ``requests`` (the log of requests served).

    Use as a context manager, or call :meth:`start` and :meth:`stop`::

        with LocalKlaviyo() as server:
            requests.post(f"{server.base_url}/api/events", ...)
    """

    def __init__(
        self,
        *,
        private_key: str = "pk_local_0123456789abcdef0123456789ab",
        public_key: str = "LocAL1",
        time_scale: float = 1.0,
        enforce_rate_limits: bool = True,
        retry_after_header: bool = True,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        if not time_scale > 0:
            raise ValueError(f"time_scale must be positive, got {time_scale!r}")
        self.private_key = private_key
        self.public_key = public_key
        self.time_scale = time_scale
        self.enforce_rate_limits = enforce_rate_limits
        self.retry_after_header = retry_after_header
        self.host = host
        self.port = port
        self.base_url = ""
        self.store = Account()
        self.faults = Faults()
        self._operations = Operations(self.store)
        self._limiter = RateLimiter(time_scale)
        self._log: list[ServedRequest] = []
        self._log_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: Optional[_HTTPServer] = None
        self._thread: Optional[threading.Thread] = None

    # --- life cycle -------------------------------------------------------------------------

    def start(self) -> LocalKlaviyo:
        """Bind and serve in a daemon thread; sets :attr:`base_url`. Returns ``self``."""
        with self._state_lock:
            if self._server is not None:
                raise RuntimeError("LocalKlaviyo is already running")
            self._stopping = threading.Event()
            server = _HTTPServer((self.host, self.port), self)
            self.base_url = f"http://{self.host}:{server.server_address[1]}"
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"LocalKlaviyo {self.base_url}",
                daemon=True,
            )
            self._server, self._thread = server, thread
            thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, release the port and end open connections; requests sleeping in a
        fault's delay wake up at once. Safe to call twice."""
        with self._state_lock:
            server, thread = self._server, self._thread
            self._server = self._thread = None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        server.close_connections()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> LocalKlaviyo:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- inspection -------------------------------------------------------------------------

    @property
    def requests(self) -> list[ServedRequest]:
        """Every request served so far, oldest first (a copy)."""
        with self._log_lock:
            return list(self._log)

    def operations(self) -> list[Optional[str]]:
        """The operationIds of the requests served so far, in order."""
        return [r.operation for r in self.requests]

    def reset_rate_limits(self) -> None:
        """Forget every rate-limit window (and the daily counts)."""
        self._limiter.reset()

    # --- serving ----------------------------------------------------------------------------

    def _refuse(self, headers: Any, row: Endpoint, query: Mapping[str, str]) -> Optional[Reply]:
        """The auth and revision rules of new-api.md §1; ``None`` when the request passes."""
        authorization = headers.get("Authorization")
        if row.is_client:
            if authorization is not None:
                return error(
                    400,
                    "Client endpoints take the public key as company_id and must not carry an "
                    "Authorization header.",
                )
            if query.get("company_id") is None:
                return error(400, "Missing required parameter company_id.", parameter="company_id")
            if query["company_id"] != self.public_key:
                return error(400, "Invalid company_id.", parameter="company_id")
        else:
            scheme, _, key = (authorization or "").strip().partition(" ")
            if scheme != "Klaviyo-API-Key" or not key.strip():
                return error(
                    401,
                    "Authentication credentials were not provided: send "
                    "Authorization: Klaviyo-API-Key <private key>.",
                )
            if key.strip() != self.private_key:
                return error(403, "Incorrect private API key.")
        revision = headers.get("revision")
        if revision is None:
            return error(400, "Missing required header: revision.", parameter="revision")
        if not _REVISION.match(revision):
            return error(
                400, f"Invalid revision {revision!r}: YYYY-MM-DD[.suffix].", parameter="revision"
            )
        return None

    def _send(
        self,
        handler: _Handler,
        reply: Reply,
        metered: Optional[tuple[str, Mapping[str, int]]],
    ) -> int:
        # Every non-429 answer carries the steady window's state (new-api.md §6.4).
        if metered is not None and reply.status != 429:
            headers = rate_limit_headers(self._limiter, *metered, self.time_scale)
            reply = attrs.evolve(reply, headers=(*reply.headers, *headers))
        self._record(handler, reply.status)
        handler.respond(reply)
        return reply.status

    def _record(self, handler: _Handler, status: Optional[int]) -> None:
        if handler.entry is not None and not handler.logged:
            handler.logged = True
            with self._log_lock:
                self._log.append(handler.entry._replace(status=status))

    def _drop(self, handler: _Handler) -> None:
        self._record(handler, None)
        handler.reset()

    def _run(
        self, route: Handler, row: Endpoint, path: str, query: Mapping[str, str], raw: bytes
    ) -> Reply:
        if row.max_bytes is not None and len(raw) > row.max_bytes:
            return error(400, f"The payload may be at most {row.max_bytes} bytes.", pointer="/")
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            return error(400, "The request body is not valid JSON.", pointer="/")
        call = Call(row, path, _path_params(row.path, path), query, body, self.base_url)
        try:
            return route(self._operations, call)
        except StoreError as exc:
            return store_error(exc)

    def _answer(
        self,
        handler: _Handler,
        path: str,
        query: Mapping[str, str],
        row: Optional[Endpoint],
        raw: bytes,
    ) -> Optional[int]:
        """Route, authenticate, inject a fault, meter, run; returns the status sent, or
        ``None`` when the connection was dropped."""
        if row is None:
            allowed = [m for m in _METHODS if match_path(m, path) is not None]
            if allowed:
                reply = error(
                    405,
                    f"{handler.command} is not allowed on {path}.",
                    headers=(("Allow", ", ".join(allowed)),),
                )
                return self._send(handler, reply, None)
            return self._send(handler, error(404, f"No endpoint {handler.command} {path}."), None)
        route = ROUTES.get(row.operation)
        if route is None:
            detail = f"LocalKlaviyo does not implement {row.operation} yet."
            return self._send(handler, error(501, detail), None)
        bucket, limits = self._limiter.limits(row, query)
        metered = (bucket, limits) if self.enforce_rate_limits else None
        refused = self._refuse(handler.headers, row, query)
        if refused is not None:
            return self._send(handler, refused, metered)
        fault = self.faults._take(row.operation)
        if fault is not None and not fault.kind.after_store:
            # A server stopped during the delay answers nothing, like a real one going away.
            if self._stopping.wait(fault.delay) or fault.kind.reset:
                self._drop(handler)
                return None
            status = fault.status or fault.kind.status or 500
            if status == 429:
                wait = self._limiter.length("burst")
                reply = throttled(
                    wait, retry_after=fault.kind.retry_after, time_scale=self.time_scale
                )
                return self._send(handler, reply, None)
            return self._send(handler, error(status, f"Injected fault {fault.name!r}."), metered)
        if metered is not None:
            wait_for = self._limiter.acquire(*metered)
            if wait_for is not None:
                reply = throttled(
                    wait_for, retry_after=self.retry_after_header, time_scale=self.time_scale
                )
                return self._send(handler, reply, None)
        reply = self._run(route, row, path, query, raw)
        # The write is stored; now the answer is slow, or lost (exactly-once tests). A server
        # stopped during the delay answers nothing, like a real one going away.
        if fault is not None and (self._stopping.wait(fault.delay) or fault.kind.reset):
            self._drop(handler)
            return None
        return self._send(handler, reply, metered)

    def _serve(self, handler: _Handler) -> None:
        split = urlsplit(handler.path)
        # Klaviyo's own links end in "/" (``links.self``); the spec's paths do not.
        path = split.path.rstrip("/") or "/"
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        row = match_path(handler.command, path)
        handler.entry = ServedRequest(
            handler.command, path, query, row.operation if row else None, None
        )
        handler.logged = False
        try:
            try:
                raw = handler.read_body()
            except ValueError:
                handler.close_connection = True  # the stream cannot be resynchronised
                self._send(handler, error(400, "Malformed request framing."), None)
                return
            self._answer(handler, path, query, row, raw)
        except OSError:
            handler.close_connection = True  # the peer went away mid-answer
        except Exception as exc:  # a bug here: answer 500 rather than drop the connection
            self._send(handler, error(500, f"LocalKlaviyo failed: {exc!r}"), None)
        finally:
            self._record(handler, None)
