"""Raw legacy HTTP → a typed legacy call and its key (pure): one parser for every v1/v2
wire form.

A legacy request is a method, a URL with its query, headers and a raw body. Where the
key is depends on the form (legacy-surface.md D): ``token`` inside a track/identify payload,
``api_key`` in the query (v1, ``klaviyo-sdk``), in the JSON body (v2, ``klaviyo`` 3.x), in a
form body, or an ``api-key`` header. :data:`ROUTES`, one route per endpoint of the catalogue
(``_catalogue.CATALOGUE``), maps each method and path to a handler that returns the
:class:`~._calls.Request` the client runs (``CompatClient.run``): the typed call (a
:class:`~._calls.PayloadCall` for track and identify) and the ``api_key``, a
``_credentials.Key`` named by its slot (``api_key``, ``api-key header``), which never
reaches a translator.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, Callable, Optional, TypeVar
from urllib.parse import parse_qs, urlsplit

import attrs

from .calls import PayloadCall, Request
from .catalogue import CATALOGUE
from .credentials import Key
from .errors import TranslationError
from .flow import Notice
from .legacy_endpoint import Builder, LegacyEndpoint
from .leniency import normalised, permits

T = TypeVar("T")

__all__ = [
    "ROUTES",
    "LegacyHTTPRequest",
    "UnknownLegacyPathError",
    "call_for",
    "decode_data",
    "legacy_params",
    "parse_legacy_request",
]


class UnknownLegacyPathError(TranslationError):
    """No v1/v2 endpoint has this method and path."""


@attrs.frozen
class LegacyHTTPRequest:
    """A legacy request as it was sent: ``url`` may be absolute or a path, with its query."""

    method: str
    url: str
    headers: Mapping[str, str] = attrs.field(factory=dict, repr=False)
    body: bytes = attrs.field(default=b"", repr=False)

    @property
    def path(self) -> str:
        path = urlsplit(self.url).path or "/"
        # Legacy clients were configured with ".../api" as the server; accept paths without it.
        return path if path.startswith("/api/") else "/api" + path

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.url).query, keep_blank_values=True)

    def header(self, name: str) -> Optional[str]:
        wanted = name.lower()
        for key, value in self.headers.items():
            if key.lower() == wanted:
                return value
        return None


# --- body forms ---------------------------------------------------------------------------

#: Python's JSON reader recurses once per level and stops at the interpreter's recursion
#: limit (about 1000 levels); no legacy payload comes near it.
_TOO_DEEP = "JSON nested too deeply to read"


def decode_data(value: str, field: str, strict: bool = False) -> tuple[Any, list[Notice]]:
    """A ``data`` value: base64 of JSON (GET pixel form) or JSON itself (form POST), and
    what the leniency policy did to read it.

    Base64 as legacy clients really sent it is read: the URL-safe alphabet and missing
    ``=`` padding (``base64_alphabet``), line breaks and spaces (``base64_whitespace``: a
    ``+`` arrives as a space when the query string was not escaped). Under ``strict`` the
    spaces and line breaks are refused, as before the policy.
    """
    text = value.strip()
    found: list[Notice] = []
    if not text.startswith("{"):
        compact = text.replace("\r", "").replace("\n", "").replace("\t", "")
        compact = compact.replace(" ", "+")
        if compact != text:
            if not permits(strict, "base64_whitespace"):
                raise TranslationError(field, "must be base64-encoded JSON or JSON")
            found.append(
                normalised("base64_whitespace", field, "line breaks dropped and spaces read as '+'")
            )
        standard = compact.replace("-", "+").replace("_", "/")
        padded = standard + "=" * (-len(standard) % 4)
        if padded != compact:
            found.append(
                normalised("base64_alphabet", field, "URL-safe alphabet or missing padding decoded")
            )
        try:
            text = base64.b64decode(padded, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise TranslationError(field, "must be base64-encoded JSON or JSON") from None
    try:
        return json.loads(text), found
    except RecursionError:
        raise TranslationError(field, _TOO_DEEP) from None
    except ValueError:
        raise TranslationError(field, "must decode to a JSON object") from None


def _json_body(request: LegacyHTTPRequest) -> dict[str, Any]:
    if not request.body.strip():
        return {}
    try:
        body = json.loads(request.body)
    except RecursionError:
        raise TranslationError("body", _TOO_DEEP) from None
    except ValueError:
        raise TranslationError("body", "must be a JSON object") from None
    if not isinstance(body, dict):
        raise TranslationError("body", "must be a JSON object")
    return body


def _form_body(request: LegacyHTTPRequest) -> dict[str, list[str]]:
    try:
        return parse_qs(request.body.decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError:
        raise TranslationError("body", "must be UTF-8 form data") from None


def _is_json(request: LegacyHTTPRequest) -> bool:
    content_type = (request.header("content-type") or "").lower()
    return "json" in content_type or request.body.lstrip().startswith(b"{")


def _payload(request: LegacyHTTPRequest, strict: bool) -> tuple[Any, bool, list[Notice]]:
    """The track/identify payload, the ``test`` flag and the leniency notices, from any of
    the public forms."""
    query = request.query
    test = query.get("test", ["0"])[0] in ("1", "true", "True")
    if "data" in query:
        payload, found = decode_data(query["data"][0], "data", strict)
        return payload, test, found
    if request.method == "POST" and request.body:
        if _is_json(request):
            return _json_body(request), test, []
        form = _form_body(request)
        if "data" in form:
            payload, found = decode_data(form["data"][0], "data", strict)
            return payload, test, found
    raise TranslationError("data", "a track/identify request carries its payload in data=")


def _private_key(request: LegacyHTTPRequest, *sources: Mapping[str, Any]) -> Optional[Key]:
    """The ``api_key`` wherever this legacy form put it, named by its slot (checked with the
    call's other keys when the call runs, ``_credentials.credentials``, and named in any
    error)."""
    for source in (*sources, request.query):
        value = source.get("api_key")
        if isinstance(value, list):
            value = value[0] if value else None
        if isinstance(value, str) and value:
            return Key("api_key", value)
    header = request.header("api-key")
    return Key("api-key header", header) if header else None


def _body(request: LegacyHTTPRequest) -> dict[str, Any]:
    """The fields of the body: a JSON object, or form data (a key given once is a string, a
    repeated one a list); ``{}`` for no body."""
    if not request.body.strip():
        return {}
    if _is_json(request):
        return _json_body(request)
    return {k: _single(v) for k, v in _form_body(request).items()}


def legacy_params(request: LegacyHTTPRequest) -> dict[str, Any]:
    """Every parameter of a legacy request, wherever its SDK put it: the query string (v1,
    and every ``klaviyo-sdk`` call), a form body (``klaviyo-sdk`` writes) or a JSON body
    (``klaviyo`` 3.x v2 calls, even on GET and DELETE). A key given once is a string, a
    repeated one a list; the JSON body wins over the form, which wins over the query.
    ``api_key`` is left out: it is a credential, not a parameter."""
    return _params(request, _body(request))


def _params(request: LegacyHTTPRequest, body: Mapping[str, Any]) -> dict[str, Any]:
    merged: dict[str, Any] = {k: _single(v) for k, v in request.query.items()}
    merged.update(body)
    merged.pop("api_key", None)
    return merged


def _single(values: list[str]) -> Any:
    return values[0] if len(values) == 1 else values


# --- handlers -----------------------------------------------------------------------------


Handler = Callable[[LegacyHTTPRequest, Mapping[str, str], bool], Request]


def _payload_call(name: str) -> Handler:
    """The handler of ``track`` or ``identify`` (``name``): the payload of any of the public
    forms, and what the leniency policy did to read it, as a :class:`PayloadCall` (its
    ``token`` is split off when the call runs)."""

    def handle(request: LegacyHTTPRequest, _: Mapping[str, str], strict: bool) -> Request:
        payload, test, found = _payload(request, strict)
        if not isinstance(payload, dict):
            raise TranslationError("data", "must decode to a JSON object")
        return Request(PayloadCall(name, payload, test, tuple(found)))

    return handle


def _typed(builder: Builder) -> Handler:
    def handle(request: LegacyHTTPRequest, path: Mapping[str, str], strict: bool) -> Request:
        del strict  # the typed calls' translators apply the policy under the call's options
        body = _body(request)
        call = builder(_params(request, body), path)
        return Request(call, _private_key(request, body))

    return handle


def _handler(endpoint: LegacyEndpoint) -> Handler:
    """The handler of ``endpoint``'s requests: its payload read from any of the public forms
    (track, identify), else its builder's typed call."""
    if endpoint.payload is not None:
        return _payload_call(endpoint.payload)
    assert endpoint.builder is not None  # a LegacyEndpoint has one or the other
    return _typed(endpoint.builder)


#: Every route, one per legacy endpoint in the catalogue's order: (method, path pattern,
#: handler). No two endpoints of one method have overlapping paths (tests/test_endpoints.py),
#: so the order decides nothing.
ROUTES: tuple[tuple[str, re.Pattern[str], Handler], ...] = tuple(
    (endpoint.method, re.compile(endpoint.pattern), _handler(endpoint)) for endpoint in CATALOGUE
)

#: The routes of the typed calls, with their builders (:func:`call_for`).
_BUILDERS: tuple[tuple[str, re.Pattern[str], Builder], ...] = tuple(
    (endpoint.method, re.compile(endpoint.pattern), endpoint.builder)
    for endpoint in CATALOGUE
    if endpoint.builder is not None
)


def _match(
    table: Sequence[tuple[str, re.Pattern[str], T]], method: str, path: str
) -> tuple[T, dict[str, str]]:
    """The target of the first row of ``table`` for ``method path``, and the path groups."""
    for route_method, pattern, target in table:
        found = pattern.fullmatch(path)
        if found and route_method == method:
            return target, found.groupdict()
    raise UnknownLegacyPathError(
        "url", f"no legacy v1/v2 endpoint {method} {path} is known to klaviyo_legacy_compat"
    )


def call_for(method: str, path: str, params: Mapping[str, Any]) -> Any:
    """The typed legacy call for ``method path`` (a legacy path such as ``/v2/lists`` or
    ``/api/v2/lists``) with ``params`` as a legacy SDK sent them: how the legacy SDK classes
    reach the same builders as raw HTTP, so both parse parameters identically."""
    full = path if path.startswith("/api/") else "/api" + path
    builder, groups = _match(_BUILDERS, method, full)
    return builder({k: v for k, v in params.items() if k != "api_key"}, groups)


def parse_legacy_request(request: LegacyHTTPRequest, *, strict: bool = False) -> Request:
    """The legacy call that ``request`` stands for, and the key it carried (run it with
    ``CompatClient.run``); a :class:`TranslationError` names what is wrong, and
    :class:`UnknownLegacyPathError` an unknown method and path.
    ``strict``: refuse what the leniency policy would repair in the wire form itself (a
    ``data=`` with line breaks or spaces)."""
    method = request.method.upper()
    handler, groups = _match(ROUTES, method, request.path.rstrip("/") or "/")
    return handler(attrs.evolve(request, method=method), groups, strict)
