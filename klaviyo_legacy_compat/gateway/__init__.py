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

from klaviyo_legacy_compat.gateway._app import Gateway, make_app
from klaviyo_legacy_compat.gateway._server import GatewayServer, serve
from klaviyo_legacy_compat.gateway._settings import (
    GatewayCancelledError,
    GatewaySettings,
    pooled_session,
)

__all__ = [
    "Gateway",
    "GatewayCancelledError",
    "GatewayServer",
    "GatewaySettings",
    "make_app",
    "pooled_session",
    "serve",
]
