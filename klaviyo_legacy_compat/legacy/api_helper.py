"""``klaviyo.api_helper`` of ``klaviyo`` 3.1.7: the base class of every resource and the
``KlaviyoAPIResponse`` it returns (legacy-surface.md A.2-A.5).

The seams are 3.1.7's own, so code and tests that patch or override them keep working. Every
public method builds the legacy wire request as 3.1.7 did (``_v1_request``: ``api_key`` in
the query; ``_v2_request``: ``api_key`` in a JSON body; ``_track_identify_request``: the
public GET ``?data=<base64 JSON>&test=0|1`` of ``_build_query_string``, or the form POST of
``_build_data_string``) and funnels it through exactly one ``self._request(method, url,
params, data, request_type, headers)``, which checks the token, calls
``requests.<method>(...)`` (looked up at call time, so a patched ``requests.get`` is the one
called) and hands the answer to ``self._handle_response``: 200 and 202 are successes
(``KlaviyoAPIResponse``), any other status raises the legacy exception of its status. The
HTTP method and path of a v1/v2 call are those of the catalogue endpoint that names the
method (``_endpoint_request``); 3.1.7's path constants (``Lists.LIST``, ``Lists.MEMBERS``,
...) stay class attributes, for code that reads them.

Live, nothing reaches the retired API: while a request of these classes runs,
``legacy_http.routing`` answers its legacy URL (under ``api_server``) on this thread with the
``LegacyAdapter``, which translates it into the new API through the ``CompatClient`` (the
``client=`` given, else the module-level one) with the constructor's options. A subclass
that overrides ``_request`` (to add a timeout, to log) and calls ``requests`` itself is
answered the same way. Errors found before anything is sent (bad input, configuration) and
lost connections are raised from the ``requests`` call, as 3.1.7 raised its own and
``requests``' ones; error statuses come back as answers, for ``_handle_response``.

Differences from 3.1.7: the caller's dicts are never mutated (3.1.7 added ``email``/``id``
and ``api_key`` to them in place); the public POST goes to ``api_server`` (3.1.7 hard-coded
``https://a.klaviyo.com/api``); bodies are encoded leniently (datetimes, dates and Decimals
as ``_values.json_safe`` converts them, any iterable as a list, where 3.1.7's ``json.dumps``
raised ``TypeError``); an object or a nested list as a v1 query value travels as JSON text
(``requests`` would have sent only a dict's keys); a non-JSON 200 body raises
``KlaviyoAPIException`` (3.1.7 raised ``TypeError`` there by mistake); in dry-run every
method returns the :class:`Plan` instead of a ``KlaviyoAPIResponse``.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Callable, ClassVar, Optional
from urllib.parse import quote, urlencode

import requests

from klaviyo_legacy_compat._core.catalogue import KLAVIYO_ENDPOINTS
from klaviyo_legacy_compat._core.credentials import Key
from klaviyo_legacy_compat._core.errors import (
    KlaviyoAPIException,
    KlaviyoConfigurationException,
    error_from_answer,
)
from klaviyo_legacy_compat._core.plan import Plan
from klaviyo_legacy_compat._core.values import json_safe
from klaviyo_legacy_compat._surfaces.client import CompatClient
from klaviyo_legacy_compat.legacy_http import LegacyAdapter, routing

__all__ = ["KlaviyoAPI", "KlaviyoAPIResponse", "base_url_of"]

LEGACY_API_SERVER = "https://a.klaviyo.com/api"


class KlaviyoAPIResponse:
    """What every ``klaviyo`` 3.1.7 method returned: ``status_code`` and ``data`` (the parsed
    body: ``1`` for track/identify, ``''`` for v2 updates and deletes, dicts and lists
    otherwise). Successes are reported as ``200``, as the legacy API answered them."""

    def __init__(self, status_code: int, data: Any) -> None:
        self.status_code = status_code
        self.data = data

    def __repr__(self) -> str:
        return f"KlaviyoAPIResponse(status_code={self.status_code!r}, data={self.data!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, KlaviyoAPIResponse):
            return NotImplemented
        return (self.status_code, self.data) == (other.status_code, other.data)

    __hash__ = None  # type: ignore[assignment]  # mutable, like the legacy object


def base_url_of(api_server: str) -> Optional[str]:
    """The new API's base URL for a legacy ``api_server`` (``https://a.klaviyo.com/api`` →
    the default; ``http://127.0.0.1:8080/api`` → ``http://127.0.0.1:8080``, so a local
    Klaviyo or a test server can stand behind legacy code unchanged)."""
    server = api_server.rstrip("/")
    if server == LEGACY_API_SERVER:
        return None
    return server[: -len("/api")] if server.endswith("/api") else server


def _wire_json(value: Any, field: str) -> Any:
    """``value`` as JSON can carry it: datetimes, dates and Decimals as ``json_safe``
    converts them (a naive datetime stays naive ISO-8601 text, so the ``naive_datetime``
    option reads it), any other iterable (a generator of profiles, a set) as a list."""
    if value is None or isinstance(value, (str, int, float)):
        return value
    if isinstance(value, Mapping):
        return {key: _wire_json(item, f"{field}.{key}") for key, item in value.items()}
    if isinstance(value, (datetime, date, Decimal)):
        return json_safe(value, field)
    if isinstance(value, Iterable) and not isinstance(value, (bytes, bytearray)):
        return [_wire_json(item, f"{field}[{i}]") for i, item in enumerate(value)]
    # Refused with its path, as the translators refuse it (3.1.7: TypeError).
    return json_safe(value, field)


def _query_value(value: Any, field: str) -> Any:
    """A v1 query value as ``requests`` sends it, except what a query cannot carry (an
    object, a list holding lists or objects), which goes as JSON text: the form the v1 API
    read structured parameters in (``measurement``, ``where``, ``$unset``)."""
    structured = (Mapping, list, tuple)
    if isinstance(value, Mapping) or (
        isinstance(value, (list, tuple)) and any(isinstance(item, structured) for item in value)
    ):
        return json.dumps(_wire_json(value, field))
    return value


class KlaviyoAPI:
    """The base of ``Public``, ``Lists``, ``Profiles``, ``Metrics``, ``Campaigns`` and
    ``DataPrivacy``: ``KlaviyoAPI(public_token=None, private_token=None, api_server=...)``.

    Beyond the legacy signature: ``client`` (the :class:`CompatClient` to translate with;
    by default the module-level one) and keyword ``options`` of
    :func:`klaviyo_legacy_compat.configure` (``dry_run=True`` makes every method return the
    :class:`Plan`).
    """

    KLAVIYO_API_SERVER = LEGACY_API_SERVER
    KLAVIYO_DATA_VARIABLE = "data"
    V1_API = "v1"
    V2_API = "v2"
    EMPTY_RESPONSE = ""
    API_KEY = "api_key"

    HTTP_DELETE = "delete"
    HTTP_GET = "get"
    HTTP_POST = "post"
    HTTP_PUT = "put"

    PUBLIC_API_RESPONSES = ("0", "1")

    PRIVATE = "private"
    PUBLIC = "public"

    METRIC = "metric"
    METRICS = "metrics"
    TIMELINE = "timeline"

    COUNT = "count"
    PAGE = "page"
    SORT = "sort"
    PROFILES = "profiles"
    EMAILS = "emails"
    EMAIL = "email"
    SINCE = "since"
    MARKER = "marker"

    SORT_ASC = "asc"
    SORT_DESC = "desc"

    BASE_HEADERS: ClassVar[dict[str, str]] = {
        "Content-Type": "application/json",
        "User-Agent": "Klaviyo-Python/3.1.7",
    }
    POST_HEADERS: ClassVar[dict[str, str]] = {
        "Accept": "text/html",
        "Content-Type": "application/x-www-form-urlencoded",
    }

    def __init__(
        self,
        public_token: Optional[str] = None,
        private_token: Optional[str] = None,
        api_server: str = LEGACY_API_SERVER,
        *,
        client: Optional[CompatClient] = None,
        **options: Any,
    ) -> None:
        self.public_token = public_token
        self.private_token = private_token
        self.api_server = api_server
        if not public_token and not private_token:
            raise KlaviyoConfigurationException("You must provide a public or private api token")
        self._client = client
        self._options = dict(options)
        base_url = base_url_of(api_server)
        if base_url is not None:
            self._options.setdefault("base_url", base_url)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(api_server={self.api_server!r})"

    # --- helpers ----------------------------------------------------------------------------

    @staticmethod
    def _normalize_timestamp(timestamp: Any) -> Any:
        """A datetime as unix seconds read as local time (``time.mktime``), as 3.1.7 did.
        ``Public.track`` no longer uses it: it sends datetimes as ISO-8601 text, so aware
        ones keep their offset and naive ones follow the ``naive_datetime`` option."""
        if isinstance(timestamp, datetime):
            return time.mktime(timestamp.timetuple())
        return timestamp

    @staticmethod
    def _filter_params(params: Mapping[str, Any]) -> dict[str, Any]:
        """``params`` without the ``None`` values."""
        return {key: value for key, value in params.items() if value is not None}

    def _build_marker_param(self, marker: Any) -> dict[str, Any]:
        """``{"marker": marker}``, or ``{}`` for no marker."""
        return {self.MARKER: marker} if marker else {}

    @staticmethod
    def _dumps(payload: Any) -> str:
        """``payload`` as JSON text, encoded leniently (:func:`_wire_json`)."""
        return json.dumps(_wire_json(payload, "payload"))

    def _build_query_string(self, params: Any, is_test: bool) -> str:
        """The public GET query: ``data=<base64 of the JSON payload>&test=0`` (or ``1``)."""
        encoded = base64.b64encode(self._dumps(params).encode("utf-8")).decode("ascii")
        return urlencode({self.KLAVIYO_DATA_VARIABLE: encoded, "test": 1 if is_test else 0})

    def _build_data_string(self, params: Any) -> str:
        """The public POST form body: ``data=<percent-quoted JSON payload>``."""
        return f"{self.KLAVIYO_DATA_VARIABLE}={quote(self._dumps(params))}"

    def _is_valid_request_option(self, request_type: str = PRIVATE) -> None:
        """Legacy token checks: the messages are those of 3.1.7."""
        if request_type == self.PUBLIC and not self.public_token:
            raise KlaviyoConfigurationException("Public token is not defined")
        if request_type == self.PRIVATE and not self.private_token:
            raise KlaviyoConfigurationException("Private token is not defined")

    def _is_valid_public_method(self, method: str) -> None:
        """Only ``get`` and ``post`` for track and identify (sic: "of", as in 3.1.7)."""
        if method not in (self.HTTP_GET, self.HTTP_POST):
            raise KlaviyoConfigurationException(
                "Invalid HTTP method for public request: must be 'get' of 'post'"
            )

    # --- the legacy requests ----------------------------------------------------------------

    def _routed(self) -> AbstractContextManager[LegacyAdapter]:
        """Legacy URLs under ``api_server`` (and under 3.1.7's own host, which code copied
        from its ``_track_identify_request`` still names) requested on this thread go to the
        translation core, with this object's tokens (the keys its requests carry) and
        options."""
        options = dict(self._options)
        if self.private_token:
            options["private_key"] = Key("private_token", self.private_token)
        if self.public_token:
            options["public_key"] = Key("public_token", self.public_token)
        bases = (self.api_server, self.KLAVIYO_API_SERVER)
        return routing(bases, self._client, raise_local=True, **options)

    def _url(self, *parts: str) -> str:
        """``{api_server}/{part}/...`` (a trailing slash of ``api_server`` not doubled)."""
        return "/".join((self.api_server.rstrip("/"), *parts))

    def _v2_request(self, path: str, method: str, data: Optional[Mapping[str, Any]] = None) -> Any:
        """A v2 call: ``{api_server}/v2/{path}``, ``api_key`` and ``data`` in a JSON body
        (even for GET and DELETE)."""
        url = self._url(self.V2_API, path)
        body = {**dict(data or {}), self.API_KEY: self.private_token}
        with self._routed():
            return self._request(method, url, data=self._dumps(body))

    def _v1_request(
        self, path: str, method: str, params: Optional[Mapping[str, Any]] = None
    ) -> Any:
        """A v1 call: ``{api_server}/v1/{path}``, ``api_key`` and ``params`` in the query
        (even for PUT)."""
        url = self._url(self.V1_API, path)
        query = {key: _query_value(value, key) for key, value in dict(params or {}).items()}
        query[self.API_KEY] = self.private_token
        with self._routed():
            return self._request(method, url, query)

    def _endpoint_request(
        self, method: Callable[..., Any], path: Mapping[str, Any], *data: Any
    ) -> Any:
        """The request of the 3.1.7 ``method`` (``Lists.get_list_by_id``): the HTTP method and
        path of the catalogue endpoint that names it (``_catalogue.KLAVIYO_ENDPOINTS``), its
        path parameters filled from ``path``, sent with :meth:`_v2_request` (``data``: the
        JSON body) or :meth:`_v1_request` (``data``: the query) as the path's version says.
        ``data`` is passed on only when given, as 3.1.7 passed it."""
        endpoint = KLAVIYO_ENDPOINTS[method.__qualname__]
        version, relative = endpoint.fill(path).removeprefix("/api/").split("/", 1)
        send = {self.V1_API: self._v1_request, self.V2_API: self._v2_request}[version]
        return send(relative, endpoint.method.lower(), *data)

    def _public_request(self, path: str, querystring: str) -> Any:
        """A public GET: ``{api_server}/{path}?{querystring}``."""
        url = f"{self._url(path)}?{querystring}"
        with self._routed():
            return self._request(self.HTTP_GET, url, request_type=self.PUBLIC)

    def _track_identify_request(
        self,
        method: str = HTTP_GET,
        params: Optional[Mapping[str, Any]] = None,
        resource: Optional[str] = None,
        is_test: bool = False,
    ) -> Any:
        """Track or identify (``resource``): a GET carries ``is_test`` as ``test=1``; a POST
        is a form and drops it, so a POST "test" call was real (legacy-surface.md A.3)."""
        method = str(method).lower()
        self._is_valid_public_method(method)
        if method == self.HTTP_POST:
            url = self._url(str(resource))
            with self._routed():
                return self._request(
                    method,
                    url,
                    data=self._build_data_string(params),
                    request_type=self.PUBLIC,
                    headers=self.POST_HEADERS,
                )
        return self._public_request(str(resource), self._build_query_string(params, is_test))

    def _request(
        self,
        method: str,
        url: str,
        params: Any = None,
        data: Any = None,
        request_type: str = PRIVATE,
        headers: Optional[Mapping[str, str]] = None,
    ) -> Any:
        """Send one legacy request with ``requests.<method>`` and handle its answer."""
        self._is_valid_request_option(request_type=request_type)
        request_headers = {**self.BASE_HEADERS, **(headers or {})}
        with self._routed():
            response = getattr(requests, method.lower())(
                url, headers=request_headers, params=params, data=data
            )
        return self._handle_response(response)

    def _handle_response(self, response: Any) -> Any:
        """200 and 202 are successes; any other status raises: 403 (and 401)
        ``KlaviyoAuthenticationError``, 429 ``KlaviyoRateLimitException``, 5xx
        ``KlaviyoServerError``, 400/404/409 their subclasses of ``KlaviyoAPIException``,
        anything else ``KlaviyoAPIException`` (``_errors.error_from_answer``)."""
        status_code = response.status_code
        if status_code not in (200, 202):
            raise error_from_answer(response)
        return self._handle_successful_response(response, status_code)

    def _handle_successful_response(self, response: Any, status_code: int) -> Any:
        """The ``KlaviyoAPIResponse`` of the parsed body (``''``, ``'0'`` and ``'1'`` as
        text when they are not JSON); in dry-run the :class:`Plan` the answer carries."""
        plan = getattr(response, "plan", None)
        if isinstance(plan, Plan):
            return plan
        try:
            return KlaviyoAPIResponse(status_code, response.json())
        except ValueError as error:
            text = response.text
            if text == self.EMPTY_RESPONSE or text in self.PUBLIC_API_RESPONSES:
                return KlaviyoAPIResponse(status_code, text)
            raise KlaviyoAPIException(
                status_code, response, message=f"Request did not return json: {error}"
            ) from None
