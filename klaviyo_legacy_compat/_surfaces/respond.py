"""One legacy HTTP request in, its legacy answer out: :func:`respond`, shared by every way
raw legacy HTTP arrives (the ``requests`` adapter of :mod:`klaviyo_legacy_compat.legacy_http`,
the ``klaviyo`` 3.1.7 classes routed there, and the WSGI gateway).

It is a module of its own so that the gateway and the adapter both build on it without
importing each other: ``legacy_http.make_app``/``serve`` hand over to the gateway, and the
gateway answers with :func:`respond`.

Track and identify answer ``1`` (``0`` for an undecodable payload, as the legacy API did; a
transparent GIF for ``i=1``); v2 updates and deletes an empty body; everything else its legacy
JSON. Errors are the legacy error body (``{"status", "message", "detail", "errors"}``,
``_errors.legacy_error_body``) with every header of Klaviyo's answer, an unknown path a 404
naming it. For Python callers the answer also carries the :class:`Plan` of a dry-run
(``response.plan``) and the exception behind an error (``response.error``).
"""

from __future__ import annotations

import base64
import json
import logging
import re
from http import HTTPStatus
from typing import Any, Optional

import attrs

from klaviyo_legacy_compat._core.calls import PayloadCall, Request
from klaviyo_legacy_compat._core.errors import (
    APIError,
    ConfigurationError,
    KlaviyoCompatError,
    LegacyErrorResponse,
    PartialDeliveryError,
    TranslationError,
    legacy_error_body,
)
from klaviyo_legacy_compat._core.plan import Plan
from klaviyo_legacy_compat._core.translate import legacy_body
from klaviyo_legacy_compat._core.wire import (
    LegacyHTTPRequest,
    UnknownLegacyPathError,
    parse_legacy_request,
)
from klaviyo_legacy_compat._surfaces.client import CompatClient
from klaviyo_legacy_compat._surfaces.facade import default_client
from klaviyo_legacy_compat._transports.transport import TransportError

__all__ = ["LegacyHTTPResponse", "reason_phrase", "respond"]

logger = logging.getLogger("klaviyo_legacy_compat")


def reason_phrase(status: int) -> str:
    """The standard reason phrase of ``status`` (``Not Found``), or ``""``."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


#: A 1x1 transparent GIF: what the legacy pixel endpoints answered to ``i=1``.
_PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


@attrs.frozen
class LegacyHTTPResponse:
    """A legacy answer: status, headers and body bytes. For Python callers, ``plan`` is the
    :class:`Plan` of a dry-run (whose ``to_dict()`` is the body, as JSON) and ``error`` the
    exception an error answer stands for."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    plan: Optional[Plan] = attrs.field(default=None, eq=False, repr=False)
    error: Optional[KlaviyoCompatError] = attrs.field(default=None, eq=False, repr=False)


def _jsonable(value: Any) -> Any:
    # What JSON cannot hold as it is: a report (attrs) as its fields, anything else as text.
    if attrs.has(type(value)):
        return attrs.asdict(value)
    return str(value)


def _json(status: int, body: Any, extra: tuple[tuple[str, str], ...] = ()) -> LegacyHTTPResponse:
    data = json.dumps(body, ensure_ascii=False, default=_jsonable).encode()
    return LegacyHTTPResponse(status, (("Content-Type", "application/json"), *extra), data)


def _failure(status: int, message: str, **extra: Any) -> LegacyHTTPResponse:
    # The legacy v1/v2 error shape (users-and-peers.md §4.3): status and message.
    return _json(status, {"status": status, "message": message, "detail": message, **extra})


def _carries_key(parsed: Request) -> bool:
    """The request carried a key of its own: ``api_key``, or a payload's ``token``."""
    if parsed.api_key is not None:
        return True
    call = parsed.call
    return isinstance(call, PayloadCall) and bool(call.payload.get("token"))


def _success(call: Any, result: Any, request: LegacyHTTPRequest) -> LegacyHTTPResponse:
    if isinstance(result, Plan):
        # Dry-run: what would be sent, as JSON a legacy client (or curl) can read.
        return attrs.evolve(_json(200, result.to_dict()), plan=result)
    if isinstance(call, PayloadCall):  # track and identify
        if request.query.get("i") == ["1"]:
            return LegacyHTTPResponse(200, (("Content-Type", "image/gif"),), _PIXEL)
        return LegacyHTTPResponse(200, (("Content-Type", "text/html; charset=utf-8"),), b"1")
    body = legacy_body(result)
    if body == "" or body is None:
        return LegacyHTTPResponse(200, (("Content-Type", "application/json"),), b"")
    return _json(200, body)


def _error(error: KlaviyoCompatError) -> LegacyHTTPResponse:
    return attrs.evolve(_error_answer(error), error=error)


def _error_answer(error: KlaviyoCompatError) -> LegacyHTTPResponse:
    if isinstance(error, UnknownLegacyPathError):
        return _failure(404, error.rule)
    if isinstance(error, PartialDeliveryError):
        status = error.status_code or 502
        return _failure(
            status, str(error), accepted=list(error.accepted), undelivered=error.undelivered
        )
    if isinstance(error, APIError):
        # The legacy body and every header of Klaviyo's answer, as e.response holds them.
        status = error.status_code or 502
        answer = error.response
        if not isinstance(answer, LegacyErrorResponse):
            answer = LegacyErrorResponse(status, legacy_error_body(error))
        return LegacyHTTPResponse(status, tuple(answer.headers.items()), answer.content)
    if isinstance(error, ConfigurationError):
        return _failure(403, error.message)
    if isinstance(error, TranslationError):
        return _failure(400, str(error))
    if isinstance(error, TransportError):
        return _failure(502, f"Klaviyo could not be reached: {error}")
    # Any other error of ours (none is left today): a server error, in the legacy shape.
    return _failure(500, str(error))


def respond(
    request: LegacyHTTPRequest,
    client: Optional[CompatClient] = None,
    *,
    require_key: bool = False,
    raise_local: bool = False,
    **options: Any,
) -> LegacyHTTPResponse:
    """Translate and run one legacy request; its legacy answer. ``require_key`` refuses a
    request that carries no key of its own (403). ``raise_local`` raises what is not an
    answer of Klaviyo's (bad input and configuration, found before anything is sent; no
    answer at all) instead of answering it: what the ``klaviyo`` 3.1.7 classes raised, and what
    the 2.x methods raise (nothing Klaviyo answered stands for it)."""
    client = client or default_client()
    public = request.path.rstrip("/") in _PUBLIC_PATHS
    try:
        strict = client.settings(**options).options.strict
        parsed = parse_legacy_request(request, strict=strict)
    except TranslationError as error:
        if raise_local:
            raise
        return _not_accepted(error) if public else _error(error)
    except KlaviyoCompatError as error:
        if raise_local:
            raise
        return _error(error)
    if require_key and not _carries_key(parsed):
        return _failure(
            403, "this gateway forwards only requests that carry their own key (token or api_key)"
        )
    try:
        result = client.run(parsed, **options)
    except TranslationError as error:
        if raise_local:
            raise
        return _not_accepted(error) if public else _error(error)
    except KlaviyoCompatError as error:
        if raise_local and not isinstance(error, APIError):
            raise
        return _error(error)
    return _success(parsed.call, result, request)


#: The legacy paths that answer ``1``/``0`` (track and identify).
_PUBLIC_PATHS = ("/api/track", "/api/identify")

_UNSAFE_IN_HEADER = re.compile(r"[^\x20-\x7e]")


def _not_accepted(error: TranslationError) -> LegacyHTTPResponse:
    """Legacy track and identify answered ``0`` to a payload they did not accept (one they
    could not decode; here also one the legacy SDKs refused before sending, such as a profile
    with no identifier at all). The reason, naming the field and the rule, is logged at
    WARNING and sent in the ``X-Klaviyo-Compat-Error`` header, so it is never silent."""
    reason = str(error)
    logger.warning("legacy track/identify answered 0: %s", reason)
    header = _UNSAFE_IN_HEADER.sub("?", reason)[:512]
    return LegacyHTTPResponse(
        200, (("Content-Type", "text/html"), ("X-Klaviyo-Compat-Error", header)), b"0"
    )
