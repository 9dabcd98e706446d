"""The legacy HTTP gateway for production: ``klaviyo-legacy-compat serve``, :func:`make_app`.

Code in any language keeps its v1/v2 request lines and points its legacy base URL at the
gateway (``http://HOST:PORT/api``). The WSGI application (:class:`Gateway`) runs under any
WSGI server; :func:`serve` runs it on waitress, from the ``[gateway]`` extra
(``pip install klaviyo-legacy-compat[gateway]``), and falls back to the threaded stdlib
server, with a WARNING, when waitress is not installed.

**Why waitress** (and not gunicorn): it is pure Python and runs wherever this library does,
Windows included (gunicorn is POSIX only, and a pre-fork master would not run inside
``serve`` or a test); it frames HTTP/1.1 itself, chunked request bodies included, and
exposes every limit a gateway needs (``max_request_body_size``, ``channel_timeout``,
``backlog``, ``connection_limit``, ``threads``) plus ``waitress.client_disconnected``, which
lets the gateway stop work for a client that went away. Its channel, parser and error task
are subclassed here so that every answer it makes itself (a framing error, a body or header
too large) is in the legacy JSON shape too. The stdlib server is HTTP/1.0 only, reads no
chunked body and makes one thread per connection: a fallback, not a production server.

What the gateway guarantees, and its options (:class:`GatewaySettings`, with defaults):

- **Framing** (nginx's rules): a non-numeric or negative ``Content-Length``, both
  ``Content-Length`` and ``Transfer-Encoding``, a transfer coding other than ``chunked``,
  invalid chunked encoding, a body that stops before its ``Content-Length`` (answered once
  the connection has been idle ``idle_timeout`` seconds), a path or query that is not
  UTF-8: a legacy ``400`` JSON answer, never a 500, a traceback or a hang. A body over
  ``max_body_size`` is a ``413`` (before it is read when ``Content-Length`` says so, while
  reading a chunked one), a URI over ``max_uri_size`` a ``414``, headers over
  ``max_header_size`` a ``431``, all in the legacy JSON shape.
- **Bounded time**: each request has a ``deadline`` (25 s by default, under the 29-30 s at
  which API gateways and load balancers commonly give up: AWS API Gateway 29 s, Heroku's
  router and Google Cloud's load balancer 30 s; many HTTP clients wait 30 or 60 s). The
  call's retries and read timeout are bounded by it, and when it passes the client gets a
  ``504`` (the call is still running) or ``503`` (it never started: the gateway is busy)
  with ``Retry-After``. A call whose client went away, or whose deadline passed, is stopped
  before its first request; once something was sent it runs to its end, so nothing is left
  half done (``CompatClient.call_scope``'s ``should_stop``).
- **Retries are recognised**: a legacy client that times out and sends the same write
  again (same method, path, query, key header and body: a SHA-256 digest of them, never the
  key itself) within ``retry_window`` seconds gets the same call: the same call time (so a
  track's ``time`` and derived ``unique_id`` are identical and Klaviyo keeps one event), the
  running call's answer if the first is still running, the first answer if it succeeded.
  A failed call is tried again, with that same identity. The window holds at most
  ``retry_window_size`` requests (the oldest are forgotten first). A write repeated byte for
  byte within the window is one call: give events that must stay distinct a ``time`` or
  ``$event_id``, or set ``retry_window=0``.
- **No in-memory bulk mode**: answering ``1`` for an item held only in memory would lose it
  on a crash, so the gateway refuses to start with ``batching`` on and no ``spool_path``.
- **Logs** (``klaviyo_legacy_compat.gateway``): one INFO line per request, its method, the
  legacy path (never the query string, where keys travel), the status, the new-API
  operations it became and the time taken. Each upstream failure is a line of
  ``klaviyo_legacy_compat.upstream`` (operation, status or transport error, attempt).
  :func:`serve` shows both on standard error unless logging is configured.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import json
import logging
import socketserver
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import datetime, timezone
from typing import Any, Callable, Optional
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

import attrs
import requests
from requests.adapters import HTTPAdapter

from ._client import CompatClient
from ._errors import ConfigurationError
from ._transport import TransportError
from ._wire import LegacyHTTPRequest
from .legacy_http import LegacyHTTPResponse, reason_phrase, respond

__all__ = [
    "Gateway",
    "GatewayCancelledError",
    "GatewayServer",
    "GatewaySettings",
    "make_app",
    "pooled_session",
    "serve",
]

logger = logging.getLogger("klaviyo_legacy_compat.gateway")

_MIB = 1024 * 1024


def _at_least(minimum: float, kind: type = int) -> Callable[[Any, attrs.Attribute[Any], Any], None]:
    kinds = (int,) if kind is int else (int, float)
    what = "a whole number" if kind is int else "a number"

    def check(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, kinds) or value < minimum:
            raise ConfigurationError(f"{attribute.name}: must be {what} of at least {minimum:g}")

    return check


@attrs.frozen
class GatewaySettings:
    """The gateway's own options (``klaviyo-legacy-compat serve --help`` names the same).

    - ``threads`` (32): requests served at once; the upstream connection pool is sized to
      match (:func:`pooled_session`).
    - ``backlog`` (1024, at least 128): connections the kernel queues before accepting.
    - ``connection_limit`` (1000): open connections at once; past it, new ones wait in the
      backlog.
    - ``idle_timeout`` (30 s): a connection idle this long is closed; one that stopped part
      way through a body is answered ``400`` first.
    - ``max_body_size`` (5 MiB: Klaviyo's own limit for one event), ``max_uri_size``
      (16 KiB), ``max_header_size`` (64 KiB, the request line included): ``413``, ``414``
      and ``431`` past them.
    - ``deadline`` (25 s): the longest a client waits for its answer.
    - ``retry_window`` (600 s; 0: off) and ``retry_window_size`` (100,000 requests): how
      long and how many recent writes are remembered to recognise a client's retry.
    """

    threads: int = attrs.field(default=32, validator=_at_least(1))
    backlog: int = attrs.field(default=1024, validator=_at_least(128))
    connection_limit: int = attrs.field(default=1000, validator=_at_least(1))
    idle_timeout: int = attrs.field(default=30, validator=_at_least(1))
    max_body_size: int = attrs.field(default=5 * _MIB, validator=_at_least(0))
    max_uri_size: int = attrs.field(default=16 * 1024, validator=_at_least(256))
    max_header_size: int = attrs.field(default=64 * 1024, validator=_at_least(1024))
    deadline: float = attrs.field(default=25.0, validator=_at_least(0.1, float))
    retry_window: float = attrs.field(default=600.0, validator=_at_least(0, float))
    retry_window_size: int = attrs.field(default=100_000, validator=_at_least(1))


def pooled_session(size: int) -> requests.Session:
    """A ``requests.Session`` whose connection pool keeps ``size`` connections per host:
    one per gateway thread, so none is opened and dropped per request under load
    (``requests`` keeps 10 by default)."""
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=size)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


class GatewayCancelledError(TransportError):
    """The gateway stopped a call before its first request: its client went away, or its
    deadline passed. Nothing was sent (``sent`` is False)."""


# --- answers --------------------------------------------------------------------------------


def _legacy_json(status: int, message: str, *headers: tuple[str, str]) -> LegacyHTTPResponse:
    # The legacy v1/v2 error shape (users-and-peers.md §4.3), as legacy_http answers it.
    body = {"status": status, "message": message, "detail": message}
    return LegacyHTTPResponse(
        status, (("Content-Type", "application/json"), *headers), json.dumps(body).encode()
    )


class _Refused(Exception):
    """A request refused before it reached the translation core."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.answer = _legacy_json(status, message)


# --- the request, read within the limits ----------------------------------------------------


def _text(value: str, what: str) -> str:
    """A WSGI string (the raw bytes as latin-1) read as the UTF-8 it must be."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        raise _Refused(400, f"{what}: must be UTF-8") from None


def _read_body(environ: Mapping[str, Any], limit: int) -> bytes:
    """The request body, within ``limit`` bytes, by the framing rules (nginx's): a
    ``Content-Length`` that is not a plain number, or one beside ``Transfer-Encoding``, is a
    400; a chunked body the server did not decode is a 411; one over ``limit`` a 413."""
    length = environ.get("CONTENT_LENGTH") or ""
    coding = environ.get("HTTP_TRANSFER_ENCODING")
    if coding is not None and length:
        raise _Refused(400, "a request may not carry both Content-Length and Transfer-Encoding")
    if coding is not None and not environ.get("wsgi.input_terminated"):
        # The server passed the chunked body on undecoded (the stdlib server does).
        raise _Refused(411, "this server reads no chunked body: send a Content-Length")
    stream = environ["wsgi.input"]
    if length:
        if not length.isdigit() or not length.isascii():
            raise _Refused(400, "Content-Length: must be a number of bytes")
        size = int(length)
        if size > limit:
            raise _Refused(413, f"the body may be at most {limit} bytes")
        return _read_exactly(stream, size)
    if environ.get("wsgi.input_terminated"):
        body = _read_exactly(stream, limit + 1, to_end=True)
        if len(body) > limit:
            raise _Refused(413, f"the body may be at most {limit} bytes")
        return body
    return b""


def _read_exactly(stream: Any, size: int, *, to_end: bool = False) -> bytes:
    parts: list[bytes] = []
    left = size
    try:
        while left > 0:
            part = stream.read(min(left, 65536))
            if not part:
                break
            parts.append(part)
            left -= len(part)
    except OSError:  # the connection timed out or broke part way
        pass
    body = b"".join(parts)
    if left > 0 and not to_end:
        raise _Refused(
            400, f"the body ended after {len(body)} of its {size} bytes (Content-Length)"
        )
    return body


def _request(environ: Mapping[str, Any], settings: GatewaySettings) -> LegacyHTTPRequest:
    """The legacy request of ``environ``, within the gateway's limits."""
    path = _text(environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""), "path")
    query = _text(environ.get("QUERY_STRING", ""), "query string")
    if len(path) + len(query) + 1 > settings.max_uri_size:
        raise _Refused(414, f"the URI may be at most {settings.max_uri_size} bytes")
    headers = {
        key[5:].replace("_", "-").title(): value
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    if environ.get("CONTENT_TYPE"):
        headers["Content-Type"] = environ["CONTENT_TYPE"]
    if sum(len(k) + len(v) + 4 for k, v in headers.items()) > settings.max_header_size:
        raise _Refused(431, f"the headers may be at most {settings.max_header_size} bytes")
    body = _read_body(environ, settings.max_body_size)
    method = environ.get("REQUEST_METHOD", "GET")
    return LegacyHTTPRequest(method, path + (f"?{query}" if query else ""), headers, body)


# --- recognising a client's retry -----------------------------------------------------------

#: Legacy paths whose GET writes (the track and identify pixels).
_PIXEL_PATHS = ("/api/track", "/api/identify")


def _is_write(request: LegacyHTTPRequest) -> bool:
    return request.method.upper() != "GET" or request.path.rstrip("/") in _PIXEL_PATHS


def _digest(request: LegacyHTTPRequest) -> bytes:
    """What makes two requests the same: method, path, query, the key header and the body.
    The key a request carries is in them; only this digest is kept."""
    digest = hashlib.sha256()
    for part in (request.method.upper(), request.url, request.header("api-key") or ""):
        digest.update(part.encode("utf-8", "surrogateescape") + b"\0")
    digest.update(request.body)
    return digest.digest()


#: What a call answered and the operations it became.
_Result = tuple[LegacyHTTPResponse, tuple[str, ...]]


@attrs.define
class _Seen:
    """One recent write: its call time, its running call, and its answer once it succeeded."""

    at: datetime
    expires: float
    running: Optional[Future[_Result]] = None
    answer: Optional[_Result] = None


class _RetryWindow:
    """The recent writes by digest, oldest first, at most ``size`` of them."""

    def __init__(self, window: float, size: int, clock: Callable[[], float]) -> None:
        self.window = window
        self.size = size
        self._clock = clock
        self._seen: OrderedDict[bytes, _Seen] = OrderedDict()
        self.lock = threading.Lock()

    def claim(self, digest: bytes) -> _Seen:
        """The entry of ``digest``, new if it was not seen within the window (call with
        ``lock`` held)."""
        now = self._clock()
        while self._seen:
            oldest = next(iter(self._seen.values()))
            if oldest.expires > now and len(self._seen) < self.size:
                break
            self._seen.popitem(last=False)
        seen = self._seen.get(digest)
        if seen is None:
            seen = _Seen(datetime.now(timezone.utc), now + self.window)
            self._seen[digest] = seen
        return seen

    def __len__(self) -> int:
        return len(self._seen)


# --- the WSGI application -------------------------------------------------------------------


class Gateway:
    """The gateway as a WSGI application (see the module docstring). It forwards only
    requests that carry their own key, with ``client`` (by default one that ignores the
    environment's keys, pooled for ``settings.threads``) and the per-call ``options``.
    :meth:`close` stops its worker threads (and the client it built)."""

    def __init__(
        self,
        client: Optional[CompatClient] = None,
        settings: Optional[GatewaySettings] = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        **options: Any,
    ) -> None:
        self.settings = settings or GatewaySettings()
        self._own_client = client is None
        self.client = client or CompatClient(
            environment_keys=False, session=pooled_session(self.settings.threads + 4)
        )
        resolved = self.client.settings(**options)
        if resolved.batch.batching and resolved.batch.spool_path is None:
            raise ConfigurationError(
                "the gateway answers 1 for what bulk mode holds, so it must survive a crash: "
                "set spool_path (KLAVIYO_LEGACY_COMPAT_SPOOL) or turn batching off "
                "(KLAVIYO_LEGACY_COMPAT_BATCHING)"
            )
        self.options = {**options, **_bounded_by(resolved, self.settings.deadline)}
        self._clock = clock
        self._recent = _RetryWindow(
            self.settings.retry_window, self.settings.retry_window_size, clock
        )
        self._pool = ThreadPoolExecutor(
            max_workers=self.settings.threads, thread_name_prefix="klaviyo-legacy-gateway"
        )
        for name in (logger.name, "klaviyo_legacy_compat.upstream"):
            # One access line per request and one per upstream failure, by default.
            if logging.getLogger(name).level == logging.NOTSET:
                logging.getLogger(name).setLevel(logging.INFO)

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        if self._own_client:
            self.client.close()

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        began = self._clock()
        method = str(environ.get("REQUEST_METHOD", "GET"))
        path = str(environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""))
        note = ""
        operations: tuple[str, ...] = ()
        try:
            answer, operations, note = self._answer(environ, began)
        except _Refused as refused:
            answer = refused.answer
        except Exception:
            # A fault of ours: logged with its traceback, never sent to the client.
            logger.exception("%s %s: the gateway failed", method, _printable(path))
            answer = _legacy_json(500, "the gateway failed to answer this request")
        logger.info(
            "%s %s %d %s %.1f ms%s",
            method,
            _printable(path),
            answer.status,
            ",".join(operations) or "-",
            (self._clock() - began) * 1000,
            note,
        )
        status = f"{answer.status} {reason_phrase(answer.status) or 'Unknown'}"
        start_response(status, [*answer.headers, ("Content-Length", str(len(answer.body)))])
        return [answer.body]

    def _answer(
        self, environ: Mapping[str, Any], began: float
    ) -> tuple[LegacyHTTPResponse, tuple[str, ...], str]:
        request = _request(environ, self.settings)
        disconnected = environ.get("waitress.client_disconnected")
        deadline = began + self.settings.deadline
        gone: list[str] = []

        def should_stop(sent: int) -> Optional[BaseException]:
            # Only before the first request: once one was sent, the call runs to its end,
            # so what it started is finished and its answer is there for a retry.
            if sent:
                return None
            if callable(disconnected) and disconnected():
                gone.append("client went away")
                return GatewayCancelledError("stopped: the client went away", sent=False)
            if self._clock() > deadline:
                gone.append("deadline passed")
                return GatewayCancelledError("stopped: the deadline passed", sent=False)
            return None

        def call(at: Optional[datetime]) -> _Result:
            with self.client.call_scope(at=at, should_stop=should_stop) as scope:
                try:
                    answer = respond(request, self.client, require_key=True, **self.options)
                except Exception:
                    logger.exception("%s %s: the call failed", request.method, request.path)
                    answer = _legacy_json(500, "the gateway failed to answer this request")
            return answer, tuple(scope.operations)

        if not (_is_write(request) and self.settings.retry_window > 0):
            future = self._pool.submit(call, None)
            answer, operations = self._wait(future, deadline)
            return answer, operations, _note(gone)
        with self._recent.lock:
            seen = self._recent.claim(_digest(request))
            if seen.answer is not None:
                answer, operations = seen.answer
                return answer, operations, " (a retry: answered as the first)"
            joined = seen.running is not None and not seen.running.done()
            if seen.running is None or not joined:
                seen.running = self._pool.submit(self._remember, seen, call)
            future = seen.running
        answer, operations = self._wait(future, deadline)
        return answer, operations, " (a retry: joined the first)" if joined else _note(gone)

    @staticmethod
    def _remember(seen: _Seen, call: Callable[[Optional[datetime]], _Result]) -> _Result:
        """Run ``call`` at ``seen``'s call time; keep a successful answer for a retry."""
        result = call(seen.at)
        if result[0].status == 200:
            seen.answer = result
        return result

    def _wait(self, future: Future[_Result], deadline: float) -> _Result:
        try:
            return future.result(timeout=max(0.0, deadline - self._clock()))
        except FutureTimeout:
            pass
        if future.cancel():
            return _busy(self.settings.deadline), ()
        return _late(self.settings.deadline), ()


def _note(gone: list[str]) -> str:
    return f" (stopped: {gone[0]})" if gone else ""


def _printable(path: str) -> str:
    # The raw path as the log shows it: undecodable bytes escaped, nothing else.
    return path.encode("latin-1", "replace").decode("ascii", "backslashreplace")


#: What the client is told to wait before sending the same request again.
_RETRY_AFTER = "5"


def _late(deadline: float) -> LegacyHTTPResponse:
    return _legacy_json(
        504,
        f"Klaviyo has not answered within the gateway's {deadline:g} s deadline; the call "
        "goes on. Send the same request again: it is recognised and answered once",
        ("Retry-After", _RETRY_AFTER),
    )


def _busy(deadline: float) -> LegacyHTTPResponse:
    return _legacy_json(
        503,
        f"the gateway is busy: this request did not start within {deadline:g} s; nothing "
        "was sent. Send it again later",
        ("Retry-After", _RETRY_AFTER),
    )


def _bounded_by(settings: Any, deadline: float) -> dict[str, Any]:
    """Per-call options that keep one request's retries and read timeout within
    ``deadline`` (constant for a gateway, so the client keeps one transport for them)."""
    timeout = settings.timeout
    connect, read = timeout if isinstance(timeout, tuple) else (timeout, timeout)
    return {
        "timeout": (min(connect, deadline), min(read, deadline)),
        "retry_budget": min(settings.delivery.retry_budget, deadline),
    }


def make_app(
    client: Optional[CompatClient] = None,
    *,
    settings: Optional[GatewaySettings] = None,
    **options: Any,
) -> Gateway:
    """The gateway as a WSGI application for any WSGI server (see :class:`Gateway`).
    ``options`` are per-call options (``dry_run``, ``strict``, ...). Raises
    :class:`ConfigurationError` for bulk mode without a spool."""
    return Gateway(client, settings, **options)


# --- waitress, answering in the legacy shape ------------------------------------------------


def _waitress_server(settings: GatewaySettings) -> Optional[type[Any]]:
    """waitress's TCP server, with its channel, parser and error task subclassed to answer
    in the legacy JSON shape; ``None`` when waitress is not installed."""
    try:
        from waitress.channel import HTTPChannel
        from waitress.parser import HTTPRequestParser, ParsingError
        from waitress.server import TcpWSGIServer
        from waitress.task import ErrorTask
        from waitress.utilities import BadRequest
    except ImportError:
        return None

    class URITooLong(BadRequest):  # type: ignore[misc]
        code = 414
        reason = "URI Too Long"

    max_uri = settings.max_uri_size

    class Parser(HTTPRequestParser):  # type: ignore[misc]
        """waitress's parser with nginx's framing rules added: a URI over the limit is a
        414 (before more of it is read); ``Content-Length`` beside ``Transfer-Encoding``, or
        ``Transfer-Encoding`` in HTTP/1.0, a 400 (the two readings request smuggling plays
        on)."""

        completed: bool  # waitress's attributes, set by its parser

        def received(self, data: bytes) -> int:
            if self.body_rcv is None and not self.completed:
                pending = (self.header_plus + data).lstrip()
                end = pending.find(b"\n")
                line = pending if end < 0 else pending[:end]
                words = line.split(b" ")
                uri = words[1] if len(words) > 1 else b""
                if len(uri) > max_uri or (end < 0 and len(line) > max_uri + 32):
                    self.parse_header(b"GET / HTTP/1.0\r\n")
                    self.error = URITooLong(f"the URI may be at most {max_uri} bytes")
                    self.completed = True
                    return len(data)
            return int(super().received(data))

        def parse_header(self, header_plus: bytes) -> None:
            super().parse_header(header_plus)
            if self.chunked and "CONTENT_LENGTH" in self.headers:
                raise ParsingError(
                    "a request may not carry both Content-Length and Transfer-Encoding"
                )
            if "TRANSFER_ENCODING" in self.headers:  # waitress keeps it for HTTP/1.0 only
                raise ParsingError("Transfer-Encoding is not allowed in HTTP/1.0")

    class LegacyErrorTask(ErrorTask):  # type: ignore[misc]
        """waitress's own answers (framing, sizes, a failure) in the legacy JSON shape."""

        def execute(self) -> None:
            error = self.request.error
            answer = _legacy_json(error.code, f"{error.reason}: {error.body}")
            self.status = f"{answer.status} {error.reason}"
            self.response_headers.extend(answer.headers)
            self.set_close_on_finish()
            self.content_length = len(answer.body)
            self.write(answer.body)
            logger.info(
                "%s %s %d - (refused by the server)",
                getattr(self.request, "command", None) or "-",
                _printable(getattr(self.request, "path", None) or "-"),
                answer.status,
            )

    class Channel(HTTPChannel):  # type: ignore[misc]
        parser_class = Parser
        error_task_class = LegacyErrorTask
        request: Any  # the request being read, as waitress keeps it

        def expire_unfinished(self, cutoff: float) -> None:
            """A body that stopped part way and has been idle since before ``cutoff``:
            answer 400 (a lying ``Content-Length``) rather than close without a word."""
            with self.requests_lock:
                request = self.request
                if (
                    request is None
                    or self.requests
                    or not request.headers_finished
                    or request.completed
                    or self.last_activity >= cutoff
                ):
                    return
                framing = (
                    "chunked" if request.chunked else f"Content-Length {request.content_length}"
                )
                request.error = BadRequest(f"the body stopped before its end ({framing})")
                request.completed = True
                self.request = None
                self.requests.append(request)
                self.server.add_task(self)

    class Server(TcpWSGIServer):  # type: ignore[misc]
        channel_class = Channel

        def maintenance(self, now: float) -> None:
            cutoff = now - self.adj.channel_timeout
            for channel in list(self.active_channels.values()):
                if isinstance(channel, Channel):
                    channel.expire_unfinished(cutoff)
            super().maintenance(now)

    return Server


# --- the stdlib fallback ----------------------------------------------------------------------


class _StdlibServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _StdlibHandler(WSGIRequestHandler):
    """Legacy JSON for the errors the stdlib server answers itself, no access log of its own
    (it would print query strings, keys included), and a socket timeout so that a body that
    never comes ends in a 400, not a hung thread."""

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the gateway logs each request itself, without its query string."""

    def send_error(
        self, code: int, message: Optional[str] = None, explain: Optional[str] = None
    ) -> None:
        answer = _legacy_json(code, message or reason_phrase(code) or "error")
        # An unreadable request line leaves HTTP/0.9, which has no status line or headers.
        self.request_version = "HTTP/1.0"
        with contextlib.suppress(OSError):
            self.send_response(code, message)
            for name, value in answer.headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD" and code >= 200 and code not in (204, 304):
                self.wfile.write(answer.body)
        self.close_connection = True


# --- serving --------------------------------------------------------------------------------


class GatewayServer:
    """A bound gateway: :meth:`serve_forever` serves until :meth:`shutdown` (from another
    thread); :meth:`server_close` releases the socket and the gateway's threads.
    ``server_address`` is the (host, port) bound; ``kind`` is ``"waitress"`` or
    ``"stdlib"``."""

    def __init__(self, gateway: Gateway, host: str, port: int, server: str = "auto") -> None:
        if server not in ("auto", "waitress", "stdlib"):
            raise ConfigurationError("server: must be 'auto', 'waitress' or 'stdlib'")
        self.gateway = gateway
        settings = gateway.settings
        waitress = _waitress_server(settings) if server != "stdlib" else None
        if waitress is None and server == "waitress":
            raise ConfigurationError(
                "waitress is not installed: pip install klaviyo-legacy-compat[gateway]"
            )
        self._stopped = threading.Event()
        self._stopped.set()
        self._closed = False
        if waitress is not None:
            self.kind = "waitress"
            self._start_waitress(waitress, host, port)
        else:
            if server == "auto":
                logger.warning(
                    "waitress is not installed: serving with the stdlib server (HTTP/1.0, no "
                    "chunked request bodies, one thread per connection); for production: pip "
                    "install klaviyo-legacy-compat[gateway]"
                )
            self.kind = "stdlib"
            # StreamRequestHandler's socket timeout: a body that never comes ends in a 400.
            handler = type("Handler", (_StdlibHandler,), {"timeout": settings.idle_timeout})
            server_class = type(
                "Server", (_StdlibServer,), {"request_queue_size": settings.backlog}
            )
            self._stdlib = server_class((host, port), handler)
            self._stdlib.set_app(gateway)
            address = self._stdlib.server_address
            self.server_address = (str(address[0]), int(address[1]))

    def _start_waitress(self, server_class: type[Any], host: str, port: int) -> None:
        from waitress.adjustments import Adjustments
        from waitress.task import ThreadedTaskDispatcher

        settings = self.gateway.settings
        adjustments = Adjustments(
            host=host,
            port=port,
            threads=settings.threads,
            backlog=settings.backlog,
            connection_limit=settings.connection_limit,
            channel_timeout=settings.idle_timeout,
            cleanup_interval=max(1, settings.idle_timeout // 4),
            # waitress refuses a body of max_request_body_size bytes or more.
            max_request_body_size=settings.max_body_size + 1,
            max_request_header_size=settings.max_header_size,
            # Keeps a busy connection readable, so a client that goes away is noticed
            # (waitress.client_disconnected).
            channel_request_lookahead=1,
            asyncore_use_poll=True,  # select() stops at 1024 descriptors
            ident="klaviyo-legacy-compat",
        )
        self._map: dict[int, Any] = {}
        self._dispatcher = ThreadedTaskDispatcher()
        self._dispatcher.set_thread_count(settings.threads)
        self._servers = [
            server_class(
                self.gateway,
                self._map,
                dispatcher=self._dispatcher,
                adj=adjustments,
                sockinfo=info,
            )
            for info in adjustments.listen
        ]
        first = self._servers[0]
        self.server_address = (str(first.effective_host), int(first.effective_port))
        queue = logging.getLogger("waitress.queue")
        if queue.level == logging.NOTSET:
            # A WARNING each time a request waits for a thread is noise under load; the
            # access log's durations show the waits.
            queue.setLevel(logging.ERROR)

    def serve_forever(self) -> None:
        """Serve until :meth:`shutdown`."""
        self._stopped.clear()
        try:
            if self.kind == "waitress":
                self._servers[0].run()
            else:
                self._stdlib.serve_forever()
        finally:
            self._stopped.set()

    def shutdown(self, timeout: float = 10.0) -> None:
        """Stop :meth:`serve_forever` (running in another thread) and wait for it."""
        if self.kind == "stdlib":
            if not self._stopped.is_set():
                self._stdlib.shutdown()
            return
        self._servers[0].trigger.pull_trigger(self._close_all)
        self._stopped.wait(timeout)
        self._dispatcher.shutdown(timeout=timeout)

    def _close_all(self) -> None:
        for dispatcher in list(self._map.values()):
            with contextlib.suppress(Exception):
                dispatcher.close()

    def server_close(self) -> None:
        """Release the listening socket, the gateway's worker threads and its own client."""
        if self._closed:
            return
        self._closed = True
        if self.kind == "stdlib":
            self._stdlib.server_close()
        else:
            if self._stopped.is_set():
                self._close_all()
            self._dispatcher.shutdown(timeout=1.0)
        self.gateway.close()


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _show_logs() -> None:
    """The access log and the upstream failures on standard error, unless the application
    configured logging itself."""
    if logging.getLogger().handlers or logging.getLogger("klaviyo_legacy_compat").handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.getLogger("klaviyo_legacy_compat").addHandler(handler)


def serve(
    host: str = "127.0.0.1",
    port: int = 8080,
    client: Optional[CompatClient] = None,
    *,
    server: str = "auto",
    options: Optional[Mapping[str, Any]] = None,
    **settings: Any,
) -> GatewayServer:
    """The gateway bound to ``host:port`` (0: any free port), on waitress when installed
    (``server="auto"``; ``"waitress"`` requires it, ``"stdlib"`` forces the fallback).
    ``settings`` are :class:`GatewaySettings` fields, ``options`` per-call options. Call
    ``serve_forever()``. Binding anything but a loopback address logs a WARNING: legacy
    requests carry their keys in the query or the body."""
    try:
        gateway_settings = GatewaySettings(**settings)
    except TypeError as exc:
        raise ConfigurationError(f"serve: {exc}") from None
    if not _is_loopback(host):
        logger.warning(
            "the gateway listens on %s, not a loopback address: legacy requests carry API keys "
            "in their query strings and bodies, so reach it only over a trusted network or "
            "behind TLS",
            host,
        )
    gateway = Gateway(client, gateway_settings, **(options or {}))
    try:
        running = GatewayServer(gateway, host, port, server)
    except BaseException:
        gateway.close()
        raise
    _show_logs()
    return running
