"""Raw legacy HTTP → a client invocation (pure): one parser for every v1/v2 wire form.

A legacy request is a method, a URL with its query, headers and a raw body. Where the
key is depends on the form (legacy-surface.md D): ``token`` inside a track/identify payload,
``api_key`` in the query (v1, ``klaviyo-sdk``), in the JSON body (v2, ``klaviyo`` 3.x), in a
form body, or an ``api-key`` header. :data:`ROUTES` maps each method and path to a handler
that returns the :class:`Invocation` of a client method with those arguments; the key is
passed as the per-call ``private_key``/``public_key`` option and never reaches a translator.
"""

from __future__ import annotations

import base64
import binascii
import functools
import importlib
import json
import re
from collections.abc import Mapping
from typing import Any, Callable, Optional
from urllib.parse import parse_qs, urlsplit

import attrs

from ._credentials import redact
from ._errors import TranslationError

__all__ = [
    "PUBLIC_ROUTES",
    "ROUTE_MODULES",
    "CallRoute",
    "Invocation",
    "LegacyHTTPRequest",
    "UnknownLegacyPathError",
    "call_for",
    "legacy_params",
    "parse_legacy_request",
    "routes",
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


def _redacted_options(options: Mapping[str, Any]) -> str:
    shown = {
        k: redact(v) if k.endswith("_key") and isinstance(v, str) else v for k, v in options.items()
    }
    return repr(shown)


@attrs.frozen
class Invocation:
    """``client.<method>(*args, **kwargs, **options)``; ``options`` hold the carried key.
    For the typed legacy calls of the resource modules, ``method`` is ``"call"`` and
    ``args`` holds the call value."""

    method: str
    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = attrs.field(factory=dict)
    options: Mapping[str, Any] = attrs.field(factory=dict, repr=_redacted_options)


# --- body forms ---------------------------------------------------------------------------


def _decode_data(value: str, field: str) -> Any:
    """A ``data`` value: base64 of JSON (GET pixel form) or JSON itself (form POST)."""
    text = value.strip()
    if not text.startswith("{"):
        try:
            padded = text + "=" * (-len(text) % 4)
            text = base64.b64decode(
                padded.replace("-", "+").replace("_", "/"), validate=True
            ).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise TranslationError(field, "must be base64-encoded JSON or JSON") from None
    try:
        return json.loads(text)
    except ValueError:
        raise TranslationError(field, "must decode to a JSON object") from None


def _json_body(request: LegacyHTTPRequest) -> dict[str, Any]:
    if not request.body.strip():
        return {}
    try:
        body = json.loads(request.body)
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


def _payload(request: LegacyHTTPRequest) -> tuple[Any, bool]:
    """The track/identify payload and the ``test`` flag, from any of the public forms."""
    query = request.query
    test = query.get("test", ["0"])[0] in ("1", "true", "True")
    if "data" in query:
        return _decode_data(query["data"][0], "data"), test
    if request.method == "POST" and request.body:
        if _is_json(request):
            return _json_body(request), test
        form = _form_body(request)
        if "data" in form:
            return _decode_data(form["data"][0], "data"), test
    raise TranslationError("data", "a track/identify request carries its payload in data=")


def _private_key(request: LegacyHTTPRequest, *sources: Mapping[str, Any]) -> dict[str, str]:
    """The ``api_key`` wherever this legacy form put it, as the ``private_key`` option."""
    for source in (*sources, request.query):
        value = source.get("api_key")
        if isinstance(value, list):
            value = value[0] if value else None
        if isinstance(value, str) and value:
            return {"private_key": value}
    header = request.header("api-key")
    return {"private_key": header} if header else {}


def legacy_params(request: LegacyHTTPRequest) -> dict[str, Any]:
    """Every parameter of a legacy request, wherever its SDK put it: the query string (v1,
    and every ``klaviyo-sdk`` call), a form body (``klaviyo-sdk`` writes) or a JSON body
    (``klaviyo`` 3.x v2 calls, even on GET and DELETE). A key given once is a string, a
    repeated one a list; the JSON body wins over the form, which wins over the query.
    ``api_key`` is left out: it is a credential, not a parameter."""
    merged: dict[str, Any] = {k: _single(v) for k, v in request.query.items()}
    if request.body.strip():
        if _is_json(request):
            merged.update(_json_body(request))
        else:
            merged.update({k: _single(v) for k, v in _form_body(request).items()})
    merged.pop("api_key", None)
    return merged


def _single(values: list[str]) -> Any:
    return values[0] if len(values) == 1 else values


# --- handlers -----------------------------------------------------------------------------


def _track(request: LegacyHTTPRequest, _: Mapping[str, str]) -> Invocation:
    payload, test = _payload(request)
    if not isinstance(payload, dict):
        raise TranslationError("data", "must decode to a JSON object")
    return Invocation("track", (payload,), {"is_test": test})


def _identify(request: LegacyHTTPRequest, _: Mapping[str, str]) -> Invocation:
    payload, test = _payload(request)
    if not isinstance(payload, dict):
        raise TranslationError("data", "must decode to a JSON object")
    return Invocation("identify", (payload,), {"is_test": test})


def _subscribe(request: LegacyHTTPRequest, match: Mapping[str, str]) -> Invocation:
    body = _json_body(request)
    if "profiles" not in body:
        raise TranslationError("profiles", "is required: a list of profile objects")
    return Invocation(
        "subscribe_to_list", (match["list_id"], body["profiles"]), {}, _private_key(request, body)
    )


def _unsubscribe(request: LegacyHTTPRequest, match: Mapping[str, str]) -> Invocation:
    body = _json_body(request)
    return Invocation(
        "unsubscribe",
        (match["list_id"],),
        {
            "emails": body.get("emails") or (),
            "phone_numbers": body.get("phone_numbers") or (),
            "push_tokens": body.get("push_tokens") or (),
        },
        _private_key(request, body),
    )


def _exclude(request: LegacyHTTPRequest, _: Mapping[str, str]) -> Invocation:
    form: Mapping[str, Any] = _json_body(request) if _is_json(request) else _form_body(request)
    email = form.get("email")
    if isinstance(email, list):
        email = email[0] if email else None
    if not email and request.query.get("email"):
        email = request.query["email"][0]
    if not email:
        raise TranslationError("email", "is required: the address to exclude")
    return Invocation("exclude_email", (email,), {}, _private_key(request, form))


Handler = Callable[[LegacyHTTPRequest, Mapping[str, str]], Invocation]

#: A resource module's route: (method, path pattern with named groups, builder). The builder
#: turns the request's :func:`legacy_params` and path groups into a typed legacy call.
CallRoute = tuple[str, str, Callable[[Mapping[str, Any], Mapping[str, str]], Any]]

#: The routes of the five calls whose wire forms need more than parameters (payloads,
#: base64 pixels, legacy result shapes of their own).
PUBLIC_ROUTES: tuple[tuple[str, str, Handler], ...] = (
    ("GET", r"/api/track", _track),
    ("POST", r"/api/track", _track),
    ("GET", r"/api/identify", _identify),
    ("POST", r"/api/identify", _identify),
    ("POST", r"/api/v2/list/(?P<list_id>[^/]+)/subscribe", _subscribe),
    ("DELETE", r"/api/v2/list/(?P<list_id>[^/]+)/subscribe", _unsubscribe),
    ("POST", r"/api/v1/people/exclusions", _exclude),
)

#: The translator modules that declare ``ROUTES`` (a tuple of :data:`CallRoute`).
ROUTE_MODULES = (
    "klaviyo_legacy_compat._translate.lists",
    "klaviyo_legacy_compat._translate.profiles",
    "klaviyo_legacy_compat._translate.metrics",
    "klaviyo_legacy_compat._translate.campaigns",
    "klaviyo_legacy_compat._translate.templates",
    "klaviyo_legacy_compat._translate.privacy",
)


def _typed(builder: Callable[[Mapping[str, Any], Mapping[str, str]], Any]) -> Handler:
    def handle(request: LegacyHTTPRequest, path: Mapping[str, str]) -> Invocation:
        params = legacy_params(request)
        body = _json_body(request) if request.body.strip() and _is_json(request) else {}
        return Invocation("call", (builder(params, path),), {}, _private_key(request, body))

    return handle


@functools.lru_cache(maxsize=1)
def _call_routes() -> tuple[tuple[str, re.Pattern[str], Any], ...]:
    table = []
    for name in ROUTE_MODULES:
        module = importlib.import_module(name)
        for method, pattern, builder in getattr(module, "ROUTES", ()):
            table.append((method, re.compile(pattern), builder))
    return tuple(table)


@functools.lru_cache(maxsize=1)
def routes() -> tuple[tuple[str, re.Pattern[str], Handler], ...]:
    """Every route: the public ones, then each resource module's (loaded on first use)."""
    public = [(method, re.compile(pattern), handler) for method, pattern, handler in PUBLIC_ROUTES]
    typed = [(method, pattern, _typed(builder)) for method, pattern, builder in _call_routes()]
    return tuple(public + typed)


def call_for(method: str, path: str, params: Mapping[str, Any]) -> Any:
    """The typed legacy call for ``method path`` (a legacy path such as ``/v2/lists`` or
    ``/api/v2/lists``) with ``params`` as a legacy SDK sent them: how the legacy SDK classes
    reach the same builders as raw HTTP, so both parse parameters identically."""
    full = path if path.startswith("/api/") else "/api" + path
    for route_method, pattern, builder in _call_routes():
        found = pattern.fullmatch(full)
        if found and route_method == method:
            return builder({k: v for k, v in params.items() if k != "api_key"}, found.groupdict())
    raise UnknownLegacyPathError(
        "url", f"no legacy v1/v2 endpoint {method} {full} is known to klaviyo_legacy_compat"
    )


def parse_legacy_request(request: LegacyHTTPRequest) -> Invocation:
    """The client invocation that ``request`` stands for; a :class:`TranslationError` names
    what is wrong, and :class:`UnknownLegacyPathError` an unknown method and path."""
    method = request.method.upper()
    path = request.path.rstrip("/") or "/"
    for route_method, pattern, handler in routes():
        found = pattern.fullmatch(path)
        if found and route_method == method:
            return handler(attrs.evolve(request, method=method), found.groupdict())
    raise UnknownLegacyPathError(
        "url", f"no legacy v1/v2 endpoint {method} {path} is known to klaviyo_legacy_compat"
    )
