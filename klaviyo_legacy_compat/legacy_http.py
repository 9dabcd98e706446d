"""Raw legacy HTTP in, legacy-shaped HTTP out: a ``requests`` adapter and a WSGI gateway.

Code that called v1/v2 over HTTP keeps its request lines:

- **In Python**, mount the adapter on the session the code uses (:func:`mount`); its
  ``session.post("https://a.klaviyo.com/api/v2/list/ID/subscribe", json={...})`` then goes
  through the translation core and gets a legacy-shaped ``requests.Response`` back. Only the
  legacy prefixes are mounted (``/api/v1/``, ``/api/v2/``, ``/api/track``,
  ``/api/identify``): new-API requests on the same session are untouched.
- **In Python, with no change at all**: ``klaviyo_legacy_compat.install(http=True)`` (or
  :func:`install_http`) routes every legacy v1/v2 URL of ``https://a.klaviyo.com/api`` made
  through ``requests`` (``requests.get/post/put/delete/request`` and every ``Session``,
  existing or new) to a :class:`LegacyAdapter` over the default client; every other URL is
  untouched. :func:`uninstall_http` turns it off again.
- **In any language**, point the legacy base URL at the gateway
  (``klaviyo-legacy-compat serve``, or :func:`make_app` under any WSGI server; both live in
  :mod:`klaviyo_legacy_compat.gateway`, which says how it runs in production). It binds
  127.0.0.1 by default and forwards only requests that carry their own key (``token`` in a
  track/identify payload, ``api_key`` elsewhere): it never lends its own.

All of them use :func:`respond`: one legacy request → one legacy response. Track and
identify answer ``1`` (``0`` for an undecodable payload, as the legacy API did; a
transparent GIF for ``i=1``); v2 updates and deletes an empty body; everything else its
legacy JSON. Errors are the legacy error body (``{"status", "message", "detail",
"errors"}``, ``_errors.legacy_error_body``) with every header of Klaviyo's answer, an
unknown path a 404 naming it. For Python callers the answer also carries the :class:`Plan`
of a dry-run (``response.plan``) and the exception behind an error (``response.error``).

The ``klaviyo`` 3.1.7 classes send their legacy requests with ``requests`` too; while one
runs, :func:`routing` answers them here on its thread (see ``legacy/api_helper.py``).
"""

from __future__ import annotations

import contextlib
import io
import logging
import threading
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Callable, Optional, Union

import attrs
import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from klaviyo_legacy_compat._core.errors import (
    KlaviyoCompatError,
)
from klaviyo_legacy_compat._core.plan import Plan
from klaviyo_legacy_compat._core.wire import (
    LegacyHTTPRequest,
)
from klaviyo_legacy_compat._surfaces.audit_log import HTTP_ENDPOINT, name_requests_by_endpoint
from klaviyo_legacy_compat._surfaces.client import CompatClient
from klaviyo_legacy_compat._surfaces.respond import LegacyHTTPResponse, reason_phrase, respond

if TYPE_CHECKING:
    from klaviyo_legacy_compat.gateway import GatewayServer

__all__ = [
    "LEGACY_BASE",
    "LEGACY_PREFIXES",
    "LegacyAdapter",
    "LegacyAdapterError",
    "LegacyHTTPResponse",
    "LegacyResponse",
    "install_http",
    "make_app",
    "mount",
    "reason_phrase",
    "respond",
    "routing",
    "serve",
    "uninstall_http",
]

logger = logging.getLogger("klaviyo_legacy_compat")

#: Where legacy code sent its v1/v2 requests.
LEGACY_BASE = "https://a.klaviyo.com/api"

#: The legacy URL prefixes the adapter serves, under the legacy base ``.../api``.
LEGACY_PREFIXES = ("/v1/", "/v2/", "/track", "/identify")


class LegacyResponse(requests.Response):
    """The ``requests.Response`` :class:`LegacyAdapter` answers with: a legacy answer, plus
    ``plan`` (the :class:`Plan` of a dry-run) and ``error`` (the exception an error answer
    stands for, with the new API's details) for Python callers."""

    plan: Optional[Plan] = None
    error: Optional[KlaviyoCompatError] = None


class LegacyAdapterError(KlaviyoCompatError, requests.exceptions.RequestException):
    """:class:`LegacyAdapter` could not answer a legacy request at all (a body it cannot
    read, a fault of this library). A ``requests.RequestException``, as everything a
    ``requests`` adapter raises is, so legacy ``except requests.RequestException`` blocks
    keep catching it; what went wrong is its ``__cause__``."""


class LegacyAdapter(BaseAdapter):
    """A ``requests`` transport adapter that answers legacy v1/v2 requests through the
    translation core (see :func:`mount`, :func:`install_http`). ``options`` are per-call
    options of every request (``dry_run``, ``base_url``, ...); ``raise_local`` as in
    :func:`respond`.

    Like any ``requests`` adapter it answers or raises a ``requests`` exception, nothing
    else: a request the legacy API would have refused (a body that is not JSON, nested too
    deeply, not UTF-8) gets the legacy answer (a ``400``, or ``0`` from track and identify),
    which is what legacy callers check (``status_code``, ``raise_for_status()``); no answer
    from Klaviyo is a :class:`TransportError` (a ``ConnectionError``), and anything else a
    :class:`LegacyAdapterError`. With ``raise_local`` the legacy SDK's own exceptions for
    bad input are raised too, as the ``klaviyo`` 3.1.7 classes expect."""

    def __init__(
        self, client: Optional[CompatClient] = None, *, raise_local: bool = False, **options: Any
    ) -> None:
        super().__init__()
        self.client = client
        self.raise_local = raise_local
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
        options = dict(self.options)
        if timeout is not None:
            options["timeout"] = timeout
        endpoint = None
        try:
            legacy = LegacyHTTPRequest(
                request.method or "GET",
                request.url or "",
                dict(request.headers),
                _body_bytes(request.body),
            )
            # What the audit log names a raw call by: method and path (the query may hold a key).
            endpoint = HTTP_ENDPOINT.set(f"{legacy.method.upper()} {legacy.path}")
            answer = respond(legacy, self.client, raise_local=self.raise_local, **options)
        except requests.exceptions.RequestException:
            raise
        except KlaviyoCompatError as exc:
            if self.raise_local:  # the legacy SDK's own exceptions, raised on purpose
                raise
            raise LegacyAdapterError("the legacy request could not be answered") from exc
        except Exception as exc:
            raise LegacyAdapterError(
                f"the legacy request could not be answered: {type(exc).__name__}"
            ) from exc
        finally:
            if endpoint is not None:
                HTTP_ENDPOINT.reset(endpoint)
        response = LegacyResponse()
        response.plan = answer.plan
        response.error = answer.error
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


#: The audit log names a call that came in through the adapter by its request's method and
#: path (``_surfaces/audit_log``).
name_requests_by_endpoint(LegacyAdapter.send.__code__)


def _body_bytes(body: Any) -> bytes:
    """A prepared request's body as bytes: text is sent as UTF-8 (as ``requests`` does),
    a file or iterable of chunks is read whole."""
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, (bytes, bytearray, memoryview)):
        return bytes(body)
    read = getattr(body, "read", None)
    chunks = [read()] if callable(read) else list(body)
    kinds = {type(chunk).__name__ for chunk in chunks if not isinstance(chunk, (str, bytes))}
    if kinds:
        raise LegacyAdapterError(f"the request body holds {', '.join(sorted(kinds))}, not bytes")
    return b"".join(c.encode("utf-8") if isinstance(c, str) else c for c in chunks)


def mount(
    session: requests.Session,
    client: Optional[CompatClient] = None,
    *,
    base: str = LEGACY_BASE,
    **options: Any,
) -> LegacyAdapter:
    """Mount one :class:`LegacyAdapter` on ``session`` for the legacy prefixes under
    ``base``; returns it."""
    adapter = LegacyAdapter(client, **options)
    for prefix in LEGACY_PREFIXES:
        session.mount(base.rstrip("/") + prefix, adapter)
    return adapter


# --- routing requests made anywhere -------------------------------------------------------
# One hook on ``requests.Session.get_adapter`` (which the module functions reach too, through
# the Session each of them creates), installed once and inert unless a route applies: a
# legacy URL goes to a LegacyAdapter, every other URL to the adapter requests would pick.


@attrs.frozen
class _Route:
    """Legacy URLs under one of ``bases`` (lower-cased, no trailing slash) go to
    ``adapter``."""

    bases: tuple[str, ...]
    adapter: LegacyAdapter

    def serves(self, url: str) -> bool:
        lowered = url.lower()
        return any(
            lowered.startswith(base + prefix) for base in self.bases for prefix in LEGACY_PREFIXES
        )


def _route(bases: Union[str, Iterable[str]], adapter: LegacyAdapter) -> _Route:
    given = (bases,) if isinstance(bases, str) else tuple(bases)
    return _Route(tuple(dict.fromkeys(base.rstrip("/").lower() for base in given)), adapter)


_hook_lock = threading.Lock()
_hooked = False
#: The route of install_http(), for every thread; None when off.
_installed: Optional[_Route] = None
#: The routes of the routing() blocks running on each thread, innermost last.
_local = threading.local()


def _thread_routes() -> list[_Route]:
    routes: Optional[list[_Route]] = getattr(_local, "routes", None)
    if routes is None:
        routes = _local.routes = []
    return routes


def _route_for(url: str) -> Optional[_Route]:
    for route in reversed(_thread_routes()):
        if route.serves(url):
            return route
    installed = _installed
    return installed if installed is not None and installed.serves(url) else None


def _hook() -> None:
    """Patch ``requests.Session.get_adapter`` once (idempotent, thread-safe)."""
    global _hooked
    with _hook_lock:
        if _hooked:
            return
        original = requests.Session.get_adapter

        def get_adapter(session: requests.Session, url: str) -> BaseAdapter:
            route = _route_for(url)
            if route is None:
                return original(session, url)
            lowered = url.lower()
            for prefix, mounted in session.adapters.items():  # longest prefix first
                if lowered.startswith(prefix.lower()):
                    # An adapter mount() put on this session wins: its client and options
                    # were chosen for it.
                    return mounted if isinstance(mounted, LegacyAdapter) else route.adapter
            return route.adapter

        get_adapter.__doc__ = original.__doc__
        requests.Session.get_adapter = get_adapter  # type: ignore[method-assign, assignment]
        _hooked = True


@contextlib.contextmanager
def routing(
    base: Union[str, Iterable[str]] = LEGACY_BASE,
    client: Optional[CompatClient] = None,
    *,
    raise_local: bool = False,
    **options: Any,
) -> Iterator[LegacyAdapter]:
    """For the block, on this thread: legacy URLs under ``base`` (one base URL or several)
    requested through ``requests`` (module functions or any Session) are answered by a
    :class:`LegacyAdapter` over ``client`` with ``options`` (it is what the block yields).
    Blocks nest; the innermost serving a URL wins, then :func:`install_http`. The
    ``klaviyo`` 3.1.7 classes run each request in one."""
    _hook()
    adapter = LegacyAdapter(client, raise_local=raise_local, **options)
    routes = _thread_routes()
    routes.append(_route(base, adapter))
    try:
        yield adapter
    finally:
        routes.pop()


def install_http(client: Optional[CompatClient] = None, **options: Any) -> LegacyAdapter:
    """Route every legacy v1/v2 URL of ``https://a.klaviyo.com/api`` (``/api/v1/``,
    ``/api/v2/``, ``/api/track``, ``/api/identify``) requested through ``requests``, from
    any thread, module function or Session (existing or new), to a :class:`LegacyAdapter`
    over ``client`` (by default the module-level one that :func:`configure` and the
    environment set up) with per-call ``options``; keys a request carries win over
    configured ones. Every other URL is untouched. Calling it again replaces the route;
    :func:`uninstall_http` removes it. ``install(http=True)`` calls it."""
    global _installed
    _hook()
    adapter = LegacyAdapter(client, **options)
    with _hook_lock:
        _installed = _route(LEGACY_BASE, adapter)
    return adapter


def uninstall_http() -> None:
    """Stop routing what :func:`install_http` routed (``routing()`` blocks are unaffected)."""
    global _installed
    with _hook_lock:
        _installed = None


WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def make_app(client: Optional[CompatClient] = None, **options: Any) -> WSGIApp:
    """The gateway as a WSGI application, with per-call ``options``: the same as
    :func:`klaviyo_legacy_compat.gateway.make_app`, where its own settings are."""
    from .gateway import make_app as gateway_app

    return gateway_app(client, **options)


def serve(
    host: str = "127.0.0.1",
    port: int = 8080,
    client: Optional[CompatClient] = None,
    **settings: Any,
) -> GatewayServer:
    """The gateway on waitress (the stdlib server, with a WARNING, without the ``[gateway]``
    extra); call ``serve_forever()``. The same as :func:`klaviyo_legacy_compat.gateway.serve`,
    which documents ``settings``."""
    from .gateway import serve as gateway_serve

    return gateway_serve(host, port, client, **settings)
