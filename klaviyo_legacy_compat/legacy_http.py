"""Raw legacy HTTP in, legacy-shaped HTTP out: a ``requests`` adapter and a WSGI gateway.

Code that called v1/v2 over HTTP keeps its request lines:

- **In Python**, mount the adapter on the session the code uses (:func:`mount`); its
  ``session.post("https://a.klaviyo.com/api/v2/list/ID/subscribe", json={...})`` then goes
  through the translation core and gets a legacy-shaped ``requests.Response`` back. Only the
  legacy prefixes are mounted (``/api/v1/``, ``/api/v2/``, ``/api/track``,
  ``/api/identify``): new-API requests on the same session are untouched.
- **In any language**, point the legacy base URL at the gateway
  (``klaviyo-legacy-compat serve``, or :func:`make_app` under any WSGI server). It binds
  127.0.0.1 by default and forwards only requests that carry their own key (``token`` in a
  track/identify payload, ``api_key`` elsewhere): it never lends its own.

Both use :func:`respond`: one legacy request → one legacy response. Track and identify
answer ``1`` (``0`` for an undecodable payload, as the legacy API did; a transparent GIF
for ``i=1``); v2 updates and deletes an empty body; everything else its legacy JSON. Errors
are legacy-style JSON (``{"status", "message", "detail", "errors"}``), an unknown path a 404
naming it.
"""

from __future__ import annotations

import base64
import io
import json
import socketserver
from collections.abc import Iterable, Mapping
from typing import Any, Callable, Optional
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import attrs
import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from klaviyo_legacy_compat._client import CompatClient
from klaviyo_legacy_compat._errors import (
    APIError,
    ConfigurationError,
    KlaviyoCompatError,
    PartialDeliveryError,
    TranslationError,
)
from klaviyo_legacy_compat._facade import default_client
from klaviyo_legacy_compat._plan import Plan
from klaviyo_legacy_compat._translate import legacy_body
from klaviyo_legacy_compat._transport import TransportError
from klaviyo_legacy_compat._wire import (
    LegacyHTTPRequest,
    UnknownLegacyPathError,
    parse_legacy_request,
)
from klaviyo_legacy_compat.sdk.rest import legacy_error_body, reason_phrase

__all__ = [
    "LEGACY_PREFIXES",
    "LegacyAdapter",
    "LegacyHTTPResponse",
    "make_app",
    "mount",
    "respond",
    "serve",
]

#: The legacy URL prefixes the adapter serves, under the legacy base ``.../api``.
LEGACY_PREFIXES = ("/v1/", "/v2/", "/track", "/identify")

#: A 1x1 transparent GIF: what the legacy pixel endpoints answered to ``i=1``.
_PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


@attrs.frozen
class LegacyHTTPResponse:
    """A legacy answer: status, headers and body bytes. In dry-run the body is the plan's
    ``to_dict()`` as JSON, and ``plan`` the :class:`Plan` itself (for Python callers)."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    plan: Optional[Plan] = attrs.field(default=None, eq=False, repr=False)


def _json(status: int, body: Any, extra: tuple[tuple[str, str], ...] = ()) -> LegacyHTTPResponse:
    data = json.dumps(body, ensure_ascii=False, default=str).encode()
    return LegacyHTTPResponse(status, (("Content-Type", "application/json"), *extra), data)


def _failure(status: int, message: str, **extra: Any) -> LegacyHTTPResponse:
    # The legacy v1/v2 error shape (users-and-peers.md §4.3): status and message.
    return _json(status, {"status": status, "message": message, "detail": message, **extra})


def _carries_key(request: LegacyHTTPRequest, invocation: Any) -> bool:
    if invocation.options.get("private_key"):
        return True
    payload = invocation.args[0] if invocation.args else None
    return isinstance(payload, Mapping) and bool(payload.get("token"))


def _success(method: str, result: Any, request: LegacyHTTPRequest) -> LegacyHTTPResponse:
    if isinstance(result, Plan):
        # Dry-run: what would be sent, as JSON a legacy client (or curl) can read.
        return attrs.evolve(_json(200, result.to_dict()), plan=result)
    if method in ("track", "identify"):
        if request.query.get("i") == ["1"]:
            return LegacyHTTPResponse(200, (("Content-Type", "image/gif"),), _PIXEL)
        return LegacyHTTPResponse(200, (("Content-Type", "text/html; charset=utf-8"),), b"1")
    body = legacy_body(result)
    if body == "" or body is None:
        return LegacyHTTPResponse(200, (("Content-Type", "application/json"),), b"")
    return _json(200, body)


def _error(error: BaseException) -> LegacyHTTPResponse:
    if isinstance(error, UnknownLegacyPathError):
        return _failure(404, error.rule)
    if isinstance(error, PartialDeliveryError):
        status = error.status_code or 502
        return _failure(
            status, str(error), accepted=list(error.accepted), undelivered=error.undelivered
        )
    if isinstance(error, APIError):
        extra: tuple[tuple[str, str], ...] = ()
        retry_after = error.response.header("retry-after") if error.response else None
        if retry_after is not None:
            extra = (("Retry-After", retry_after),)
        return _json(error.status_code or 502, legacy_error_body(error), extra)
    if isinstance(error, ConfigurationError):
        return _failure(403, error.message)
    if isinstance(error, TranslationError):
        return _failure(400, str(error))
    if isinstance(error, TransportError):
        return _failure(502, f"Klaviyo could not be reached: {error}")
    raise error


def respond(
    request: LegacyHTTPRequest,
    client: Optional[CompatClient] = None,
    *,
    require_key: bool = False,
    raise_errors: tuple[type[KlaviyoCompatError], ...] = (),
    **options: Any,
) -> LegacyHTTPResponse:
    """Translate and run one legacy request; its legacy answer. ``require_key`` refuses a
    request that carries no key of its own (403). Errors of the types in ``raise_errors``
    are raised instead of answered (the ``klaviyo`` 2.x methods raise what no Klaviyo
    answer stands for: input refused before sending, no connection)."""
    client = client or default_client()
    try:
        invocation = parse_legacy_request(request)
    except TranslationError as error:
        if isinstance(error, raise_errors):
            raise
        if error.field == "data" and request.path.rstrip("/") in ("/api/track", "/api/identify"):
            # The legacy API answered 0 to a payload it could not decode.
            return LegacyHTTPResponse(200, (("Content-Type", "text/html"),), b"0")
        return _error(error)
    if require_key and not _carries_key(request, invocation):
        return _failure(
            403, "this gateway forwards only requests that carry their own key (token or api_key)"
        )
    try:
        result = client.invoke(invocation, **options)
    except KlaviyoCompatError as error:
        if isinstance(error, raise_errors):
            raise
        return _error(error)
    return _success(invocation.method, result, request)


class LegacyAdapter(BaseAdapter):
    """A ``requests`` transport adapter that answers legacy v1/v2 requests through the
    translation core (see :func:`mount`)."""

    def __init__(self, client: Optional[CompatClient] = None, **options: Any) -> None:
        super().__init__()
        self.client = client
        self.options = options

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Optional[Mapping[str, str]] = None,
    ) -> requests.Response:
        body = request.body
        raw = body.encode() if isinstance(body, str) else (body or b"")
        if not isinstance(raw, bytes):
            raw = b"".join(raw)  # a streamed body
        options = dict(self.options)
        if timeout is not None:
            options["timeout"] = timeout
        answer = respond(
            LegacyHTTPRequest(
                request.method or "GET", request.url or "", dict(request.headers), raw
            ),
            self.client,
            **options,
        )
        response = requests.Response()
        response.status_code = answer.status
        response.reason = reason_phrase(answer.status)
        response.headers = CaseInsensitiveDict(dict(answer.headers))
        response._content = answer.body
        response.raw = io.BytesIO(answer.body)
        response.encoding = "utf-8"
        response.url = request.url or ""
        response.request = request
        return response

    def close(self) -> None:
        """Nothing to release: the client owns the connections."""


def mount(
    session: requests.Session,
    client: Optional[CompatClient] = None,
    *,
    base: str = "https://a.klaviyo.com/api",
    **options: Any,
) -> LegacyAdapter:
    """Mount one :class:`LegacyAdapter` on ``session`` for the legacy prefixes under
    ``base``; returns it."""
    adapter = LegacyAdapter(client, **options)
    for prefix in LEGACY_PREFIXES:
        session.mount(base.rstrip("/") + prefix, adapter)
    return adapter


WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def make_app(client: Optional[CompatClient] = None, **options: Any) -> WSGIApp:
    """The gateway as a WSGI application. It uses only the keys requests carry."""
    gateway_client = client or CompatClient(environment_keys=False)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        headers = {
            key[5:].replace("_", "-").title(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
        query = environ.get("QUERY_STRING", "")
        request = LegacyHTTPRequest(
            environ.get("REQUEST_METHOD", "GET"),
            path + (f"?{query}" if query else ""),
            headers,
            body,
        )
        answer = respond(request, gateway_client, require_key=True, **options)
        status = f"{answer.status} {reason_phrase(answer.status) or 'Unknown'}"
        start_response(status, [*answer.headers, ("Content-Length", str(len(answer.body)))])
        return [answer.body]

    return app


class _ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Access logs would print legacy query strings, keys included: keep them out."""


def serve(
    host: str = "127.0.0.1", port: int = 8080, client: Optional[CompatClient] = None
) -> WSGIServer:
    """A threaded stdlib WSGI server running the gateway (call ``serve_forever()``)."""
    return make_server(
        host, port, make_app(client), server_class=_ThreadingServer, handler_class=_QuietHandler
    )
