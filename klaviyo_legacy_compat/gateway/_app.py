"""The gateway as a WSGI application (:class:`Gateway`, :func:`make_app`): each request read
within the limits, a client's retry of a write recognised, the call run within the
deadline, and the legacy answer with one access-log line."""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import datetime, timezone
from typing import Any, Callable, Optional

import attrs

from klaviyo_legacy_compat._core.errors import ConfigurationError
from klaviyo_legacy_compat._core.wire import LegacyHTTPRequest
from klaviyo_legacy_compat._surfaces.client import CompatClient
from klaviyo_legacy_compat._surfaces.respond import LegacyHTTPResponse, reason_phrase, respond
from klaviyo_legacy_compat.gateway._settings import (
    GatewayCancelledError,
    GatewaySettings,
    pooled_session,
)

__all__ = ["Gateway", "make_app"]

logger = logging.getLogger("klaviyo_legacy_compat.gateway")


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
