"""``klaviyo_sdk.Client`` of ``klaviyo-sdk`` 1.0.9, over the new API.

``Client(api_key, max_delay=60, max_retries=3, test_host=None)`` with the namespaces
``TrackIdentify``, ``ListsSegments``, ``Profiles``, ``Metrics``, ``Campaigns``, ``Templates``
and ``DataPrivacy``: all 47 methods of ``_methods.METHODS``, with the generated code's
conventions (legacy-surface.md B.3), which ``inspect.signature`` and ``help()`` show as the
generated methods' docstrings did (both written from the table): path parameters positional,
everything else by keyword (the track/identify overrides take ``data`` positionally too, and
``update_profile`` its ``params``, as the wrapper's overrides did);
an unknown keyword raises ``TypeError``, a missing required parameter ``ValueError``, both
before anything is sent; ``async_req=True`` returns an ``ApplyResult``; ``_request_timeout``
sets the timeout; ``_preload_content=False`` returns the raw ``RESTResponse``; each method
but the four track/identify overrides (which take ``data`` alone) has a
``<name>_with_http_info`` twin answering ``(data, status, headers)`` (only the data with
``_return_http_data_only=True``), synchronously or through ``async_req``. Return types
are the legacy ones (B.5); every HTTP error is an ``ApiException``. Every other method
builds its call with the raw-HTTP path's builder (``_wire.call_for``), so a subscribe without
``profiles`` or an exclusion without ``email`` raises the same ``TranslationError`` before
anything is sent (the legacy server answered 400).

``max_retries`` (attempts in all, as in the legacy SDK) and ``max_delay`` bound the retries;
waits follow Klaviyo's ``Retry-After`` instead of the legacy blind backoff. ``test_host``
replaced the legacy host (``.../api`` included); here it becomes the new API's base URL.
"""

from __future__ import annotations

import atexit
import inspect
import json
import logging
import threading
from collections.abc import Mapping
from multiprocessing.pool import ApplyResult, ThreadPool
from typing import Any, Callable, Optional

from klaviyo_legacy_compat._core.credentials import Key
from klaviyo_legacy_compat._core.errors import APIError, TranslationError
from klaviyo_legacy_compat._core.plan import Plan
from klaviyo_legacy_compat._core.translate import legacy_body
from klaviyo_legacy_compat._core.wire import call_for, decode_data
from klaviyo_legacy_compat._surfaces.audit_log import LEGACY_METHOD
from klaviyo_legacy_compat._surfaces.client import CompatClient
from klaviyo_legacy_compat._surfaces.facade import default_client
from klaviyo_legacy_compat._transports.transport import TransportError
from klaviyo_legacy_compat.legacy.api_helper import base_url_of
from klaviyo_legacy_compat.sdk._methods import (
    DEFAULTS,
    GENERATED_EXTRAS,
    METHODS,
    PARAMETERS,
    RETURNS,
    SdkMethod,
)
from klaviyo_legacy_compat.sdk.models import InlineResponse2001, serialize
from klaviyo_legacy_compat.sdk.rest import ApiException, RESTResponse

__all__ = ["Client", "InlineResponse2001"]

logger = logging.getLogger("klaviyo_legacy_compat")

#: The status and headers of every successful answer (``_preload_content=False``,
#: ``*_with_http_info``): the legacy API answered 200 with JSON (legacy-surface.md B.4).
_STATUS = 200
_HEADERS = {"Content-Type": "application/json"}

_POOL: Optional[ThreadPool] = None
_POOL_LOCK = threading.Lock()


def _pool() -> ThreadPool:
    """The threads behind ``async_req=True`` (created on first use, closed at exit)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPool(4)
            atexit.register(_close_pool)
        return _POOL


def _close_pool() -> None:
    global _POOL
    with _POOL_LOCK:
        if _POOL is not None:
            _POOL.close()
            _POOL.join()
            _POOL = None


def _as_dict(value: Any, field: str) -> dict[str, Any]:
    """A ``body``: a dict, or a swagger model instance (``to_dict()``), B.7. Models, also
    inside a dict, become what the generated ``sanitize_for_serialization`` sent: keyed by
    ``attribute_map``, ``None`` attributes left out (``models.serialize``)."""
    if value is None:
        return {}
    if isinstance(value, Mapping) or hasattr(value, "attribute_map"):
        sent = serialize(value)
        if isinstance(sent, Mapping):
            return dict(sent)
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return dict(to_dict())
    raise TypeError(f"{field} must be a dict or a model with to_dict(), got {type(value).__name__}")


def _payload(data: Any, encoded: bool, strict: bool) -> tuple[Optional[dict[str, Any]], list[Any]]:
    """A track/identify ``data`` as the legacy overrides read it (B.6), and what the leniency
    policy did to read it; ``None`` for what the legacy API answered ``0`` to (not decodable
    JSON)."""
    found: list[Any] = []
    if isinstance(data, Mapping):
        return dict(data), found
    if isinstance(data, bytes):
        if b"{" in data or not encoded:
            text = data.decode("utf-8", "replace")
        else:
            try:
                value, found = decode_data(data.decode("ascii"), "data", strict)
            except (TranslationError, UnicodeDecodeError):
                return None, found
            return (value if isinstance(value, dict) else None), found
    elif isinstance(data, str):
        text = data
    elif encoded:
        raise TypeError("data must be a dict, str, or bytes")
    else:
        text = json.dumps(data)
    try:
        value = json.loads(text)
    except ValueError:
        return None, found
    return (value if isinstance(value, dict) else None), found


class Client:
    """``Client(api_key, max_delay=60, max_retries=3, test_host=None)``.

    Beyond the legacy signature: ``client`` (the :class:`CompatClient` to run on) and keyword
    options of :func:`klaviyo_legacy_compat.configure` (``dry_run=True``: every method
    returns the plan). ``api_key=None`` (what ``swagger_client.ApiClient`` passes for a
    configuration without a key) falls back to the configured ``KLAVIYO_PRIVATE_API_KEY``.
    """

    # The namespaces, built from the method table (their methods are generated).
    Campaigns: Any
    DataPrivacy: Any
    ListsSegments: Any
    Metrics: Any
    Profiles: Any
    Templates: Any
    TrackIdentify: Any

    def __init__(
        self,
        api_key: Optional[str],
        max_delay: float = 60,
        max_retries: int = 3,
        test_host: Optional[str] = None,
        *,
        client: Optional[CompatClient] = None,
        **options: Any,
    ) -> None:
        self.api_key = api_key
        self.max_delay = max_delay
        self.max_retries = max_retries
        self.test_host = test_host
        self._client = client
        self._options = dict(options)
        # Legacy: max_retries was the number of attempts in all (0 still meant one); the
        # budget lets a throttled call wait out Klaviyo's window instead of giving up.
        self._options.setdefault("max_attempts", max(1, int(max_retries)))
        self._options.setdefault(
            "retry_budget", max(120.0, float(max_delay) * max(1, int(max_retries)))
        )
        if test_host:
            self._options.setdefault("base_url", base_url_of(test_host) or test_host)
        for name, cls in _NAMESPACES.items():
            setattr(self, name, cls(self))

    def __repr__(self) -> str:
        limits = f"max_delay={self.max_delay!r}, max_retries={self.max_retries!r}"
        return f"Client(api_key=<redacted>, {limits})"

    # --- running ------------------------------------------------------------------------

    def _run(
        self,
        spec: SdkMethod,
        path: Mapping[str, Any],
        values: Mapping[str, Any],
        extras: Mapping[str, Any],
    ) -> Any:
        options = dict(self._options)
        options["private_key"] = None if self.api_key is None else Key("api_key", self.api_key)
        if extras.get("_request_timeout") is not None:
            options["timeout"] = extras["_request_timeout"]
        client = self._client or default_client()
        # The audit log names the method the program called (these methods are built from a
        # table, so their frames cannot say); a method calling another keeps the outer one.
        label = f"{spec.namespace}.{spec.name}"
        token = None if LEGACY_METHOD.get() else LEGACY_METHOD.set(label)
        try:
            result = legacy_body(_dispatch(client, spec, path, values, options))
        except (APIError, TransportError) as error:
            raise ApiException.from_error(error) from error
        finally:
            if token is not None:
                LEGACY_METHOD.reset(token)
        if isinstance(result, Plan):
            return result
        # As the generated ApiClient.__call_api did, in the code the ``async_req`` thread
        # runs too (legacy-surface.md B.3): ``_preload_content`` falsy → the raw response
        # instead of the data; ``_return_http_data_only`` falsy → ``(data, status, headers)``.
        if extras.get("_preload_content", True):
            data = _shape(spec, result)
        else:
            data = RESTResponse(_STATUS, _raw(spec, result), _HEADERS)
        if extras.get("_return_http_data_only"):
            return data
        return data, _STATUS, dict(_HEADERS)

    def _invoke(
        self,
        spec: SdkMethod,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        *,
        http_info: bool = False,
    ) -> Any:
        extras = {k: kwargs.pop(k) for k in GENERATED_EXTRAS if k in kwargs}
        if not spec.extras and extras:
            # The wrapper's track/identify overrides take ``data`` alone (B.6).
            raise TypeError(
                f"{spec.name}() got an unexpected keyword argument {next(iter(extras))!r}"
            )
        if not http_info:
            # The generated plain method set ``kwargs['_return_http_data_only'] = True``
            # before calling its ``_with_http_info`` twin, whatever the caller passed (B.3).
            extras["_return_http_data_only"] = True
        path, values = _bind(spec, args, kwargs)
        if extras.get("async_req"):
            result: ApplyResult[Any] = _pool().apply_async(self._run, (spec, path, values, extras))
            return result
        return self._run(spec, path, values, extras)


def _bind(
    spec: SdkMethod, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Path and keyword values, checked the way the generated code checked them."""
    positional = spec.positional
    if len(args) > len(positional):
        given = f"{len(args)} were given"
        raise TypeError(f"{spec.name}() takes {len(positional)} positional argument(s) but {given}")
    bound = dict(zip(positional, args))
    allowed = set(spec.positional) | set(spec.keywords)
    for key, value in kwargs.items():
        if key not in allowed:
            raise TypeError(f"Got an unexpected keyword argument '{key}' to method {spec.name}")
        if key in bound:
            raise TypeError(f"{spec.name}() got multiple values for argument '{key}'")
        bound[key] = value
    for name in spec.path_parameters:
        if bound.get(name) is None:
            raise ValueError(f"Missing the required parameter `{name}` when calling `{spec.name}`")
    path = {name: bound.pop(name) for name in spec.path_parameters}
    return path, bound


def _dispatch(
    client: CompatClient,
    spec: SdkMethod,
    path: Mapping[str, Any],
    values: Mapping[str, Any],
    options: dict[str, Any],
) -> Any:
    special = _SPECIAL.get(spec.name)
    if special is not None:
        return special(client, spec, path, values, options)
    params: dict[str, Any] = {}
    for key, value in values.items():
        if key == "body":
            params.update(_as_dict(value, "body"))
        elif value is not None:
            params[key] = value
    return client.call(call_for(spec.http, spec.legacy_path(path), params), **options)


def _track_identify(
    client: CompatClient,
    spec: SdkMethod,
    path: Mapping[str, Any],
    values: Mapping[str, Any],
    options: dict[str, Any],
) -> Any:
    """The four track/identify overrides (B.6): ``data`` goes to the client method of the
    endpoint (``track`` or ``identify``); the GET ones sent it base64-encoded, so bytes are
    read as base64 there, the POST ones as a form field."""
    kind = spec.endpoint.payload
    strict = client.settings(**options).options.strict
    payload, found = _payload(values.get("data", {}), spec.http == "GET", strict)
    if payload is None:
        return 0  # the legacy API's answer to data it could not decode
    call = client.track if kind == "track" else client.identify
    try:
        return call(payload, normalised=tuple(found), **options)
    except TranslationError as error:
        # The legacy API's answer to a payload it did not accept; never silent.
        logger.warning("legacy %s answered 0: %s", kind, error)
        return 0


def _update_profile(
    client: CompatClient,
    spec: SdkMethod,
    path: Mapping[str, Any],
    values: Mapping[str, Any],
    options: dict[str, Any],
) -> Any:
    # The legacy override str()-ed every value (True → "True", lists → their repr), B.6.
    params = {key: str(value) for key, value in _as_dict(values.get("params"), "params").items()}
    return client.call(call_for(spec.http, spec.legacy_path(path), params), **options)


#: Methods that are not a plain legacy request: the wrapper's own overrides (B.6).
_SPECIAL: dict[str, Callable[..., Any]] = {
    "track_get": _track_identify,
    "track_post": _track_identify,
    "identify_get": _track_identify,
    "identify_post": _track_identify,
    "update_profile": _update_profile,
}


def _shape(spec: SdkMethod, result: Any) -> Any:
    """The legacy return type (B.5)."""
    if spec.returns == "string":
        return str(result)
    if spec.returns == "none":
        return None
    if spec.returns == "object_id":
        return InlineResponse2001(result.get("id") if isinstance(result, Mapping) else None)
    if spec.returns == "str_dict":
        return str(result)
    return result


def _raw(spec: SdkMethod, result: Any) -> bytes:
    if spec.returns in ("none",):
        return b""
    return json.dumps(result, default=str).encode()


def _signature(spec: SdkMethod) -> inspect.Signature:
    """The parameters the legacy method showed (B.3, B.6): ``self``, the path parameters
    (required), the override's positional ones, the rest keyword-only (``None``: not sent),
    then the generated extras. The function itself takes ``*args, **kwargs`` and checks them
    the generated code's way (:func:`_bind`), so this is what ``inspect`` and ``help()`` show."""
    kinds = inspect.Parameter
    parameters = [kinds("self", kinds.POSITIONAL_OR_KEYWORD)]
    parameters += [kinds(name, kinds.POSITIONAL_OR_KEYWORD) for name in spec.path_parameters]
    parameters += [
        kinds(name, kinds.POSITIONAL_OR_KEYWORD, default=DEFAULTS.get(name))
        for name in spec.also_positional
    ]
    parameters += [
        kinds(name, kinds.KEYWORD_ONLY, default=DEFAULTS.get(name))
        for name in spec.keywords
        if name not in spec.also_positional
    ]
    if spec.extras:
        parameters += [
            kinds(name, kinds.KEYWORD_ONLY, default=default)
            for name, (_, default, _, _) in GENERATED_EXTRAS.items()
        ]
    return inspect.Signature(parameters)


def _param(kind: str, name: str, text: str) -> str:
    return f":param {kind} {name}: {text}" if kind else f":param {name}: {text}"


def _doc(spec: SdkMethod, http_info: bool) -> str:
    """The docstring of ``spec``'s method (or its ``_with_http_info`` twin), in the
    generated code's field-list form, written from the method table."""
    name = spec.name + ("_with_http_info" if http_info else "")
    lines = [
        f"{spec.summary}.",
        "",
        f"Legacy ``{spec.http} /api{spec.path}``; MIGRATION.md says what it becomes.",
        "",
    ]
    if spec.extras:
        example = ", ".join([*spec.path_parameters, "async_req=True"])
        lines += [
            "Waits for the answer, unless ``async_req=True``: then it returns a",
            f"``multiprocessing.pool.ApplyResult`` (``api.{name}({example}).get()``).",
            "",
        ]
    for parameter in (*spec.positional, *(k for k in spec.keywords if k not in spec.positional)):
        kind, text = PARAMETERS[parameter]
        if parameter == "body":
            kind = spec.body
        if parameter in spec.path_parameters:
            text = f"(required) {text}"
        lines.append(_param(kind, parameter, text))
    if spec.extras:
        lines += [
            _param(kind, extra, twin_text if http_info else text)
            for extra, (kind, _, text, twin_text) in GENERATED_EXTRAS.items()
        ]
    data = RETURNS[spec.returns]
    if http_info:
        data = (
            f"(data, status, headers), data being {data}; the data alone with "
            "_return_http_data_only=True"
        )
    lines.append(f":return: {data}")
    if spec.extras:
        lines.append("         (with async_req=True, an ApplyResult whose get() returns it)")
    return "\n".join(lines)


def _namespace(name: str) -> type:
    members: dict[str, Any] = {"__doc__": f"``client.{name}`` of klaviyo-sdk 1.0.9."}
    for spec in METHODS:
        if spec.namespace != name:
            continue

        def method(self: Any, *args: Any, _spec: SdkMethod = spec, **kwargs: Any) -> Any:
            return self._client._invoke(_spec, args, dict(kwargs))

        def with_http_info(self: Any, *args: Any, _spec: SdkMethod = spec, **kwargs: Any) -> Any:
            return self._client._invoke(_spec, args, dict(kwargs), http_info=True)

        shown = _signature(spec)
        for function, twin in ((method, False), (with_http_info, True)):
            function.__name__ = spec.name + ("_with_http_info" if twin else "")
            function.__qualname__ = f"{name}.{function.__name__}"
            function.__doc__ = _doc(spec, twin)
            # inspect.signature() and help() read __signature__ (PEP 362), which plain
            # functions do not declare to type checkers.
            function.__signature__ = shown  # type: ignore[attr-defined]
        members[spec.name] = method
        if spec.extras:  # not the track/identify overrides (data alone); see the module docstring
            members[with_http_info.__name__] = with_http_info

    def __init__(self: Any, client: Client) -> None:
        self._client = client

    members["__init__"] = __init__
    return type(name, (), members)


_NAMESPACES: dict[str, type] = {
    name: _namespace(name)
    for name in (
        "Campaigns",
        "DataPrivacy",
        "ListsSegments",
        "Metrics",
        "Profiles",
        "Templates",
        "TrackIdentify",
    )
}
