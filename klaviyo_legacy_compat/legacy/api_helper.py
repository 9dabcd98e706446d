"""``klaviyo.api_helper`` of ``klaviyo`` 3.1.7: the base class of every resource and the
``KlaviyoAPIResponse`` it returns (legacy-surface.md A.2-A.5).

Where the legacy base class built a v1/v2 request and sent it with ``requests``, this one
builds the same call the legacy wire request stood for and runs it through the translation
core (``CompatClient``): same names, same signatures, same results, the new API behind.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Callable, Optional

from klaviyo_legacy_compat._client import CompatClient
from klaviyo_legacy_compat._errors import KlaviyoConfigurationException
from klaviyo_legacy_compat._facade import default_client
from klaviyo_legacy_compat._plan import Plan
from klaviyo_legacy_compat._translate import legacy_body
from klaviyo_legacy_compat._wire import call_for

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


class KlaviyoAPI:
    """The base of ``Public``, ``Lists``, ``Profiles``, ``Metrics``, ``Campaigns`` and
    ``DataPrivacy``: ``KlaviyoAPI(public_token=None, private_token=None, api_server=...)``.

    Beyond the legacy signature, keyword ``options`` of :func:`klaviyo_legacy_compat.configure`
    may be given (``dry_run=True`` makes every method return the :class:`Plan`).
    """

    KLAVIYO_API_SERVER = LEGACY_API_SERVER
    V1_API = "v1"
    V2_API = "v2"
    HTTP_GET = "get"
    HTTP_POST = "post"
    HTTP_PUT = "put"
    HTTP_DELETE = "delete"
    SORT_ASC = "asc"
    SORT_DESC = "desc"
    COUNT = "count"
    PAGE = "page"
    SORT = "sort"
    MARKER = "marker"
    PRIVATE = "private"
    PUBLIC = "public"
    EMAILS = "emails"

    def __init__(
        self,
        public_token: Optional[str] = None,
        private_token: Optional[str] = None,
        api_server: str = LEGACY_API_SERVER,
        *,
        client: Optional[CompatClient] = None,
        **options: Any,
    ) -> None:
        if not public_token and not private_token:
            raise KlaviyoConfigurationException("You must provide a public or private api token")
        self.public_token = public_token
        self.private_token = private_token
        self.api_server = api_server
        self._client = client
        self._options = dict(options)
        base_url = base_url_of(api_server)
        if base_url is not None:
            self._options.setdefault("base_url", base_url)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(api_server={self.api_server!r})"

    # --- the legacy helpers (kept: subclasses and user code call some of them) -------------

    @staticmethod
    def _normalize_timestamp(timestamp: Any) -> Any:
        """A datetime as unix seconds, read as local time (``time.mktime``, as 3.1.7 did)."""
        if isinstance(timestamp, datetime):
            return time.mktime(timestamp.timetuple())
        return timestamp

    @staticmethod
    def _filter_params(params: Mapping[str, Any]) -> dict[str, Any]:
        """``params`` without the ``None`` values."""
        return {key: value for key, value in params.items() if value is not None}

    def _build_marker_param(self, marker: Any) -> dict[str, Any]:
        return {self.MARKER: marker} if marker else {}

    def _is_valid_request_option(self, request_type: str = PRIVATE) -> None:
        """Legacy token checks: the messages are those of 3.1.7."""
        if request_type == self.PUBLIC and not self.public_token:
            raise KlaviyoConfigurationException("Public token is not defined")
        if request_type == self.PRIVATE and not self.private_token:
            raise KlaviyoConfigurationException("Private token is not defined")

    # --- running ----------------------------------------------------------------------------

    def _options_for_call(self) -> dict[str, Any]:
        options = dict(self._options)
        if self.private_token:
            options["private_key"] = self.private_token
        if self.public_token:
            options["public_key"] = self.public_token
        return options

    def _respond(self, run: Callable[[CompatClient, dict[str, Any]], Any]) -> Any:
        """Run a translation and wrap its legacy body; a :class:`Plan` in dry-run."""
        result = run(self._client or default_client(), self._options_for_call())
        if isinstance(result, Plan):
            return result
        return KlaviyoAPIResponse(200, legacy_body(result))

    def _v1_request(
        self, path: str, method: str, params: Optional[Mapping[str, Any]] = None
    ) -> Any:
        """A v1 call (``api_key`` in the query, legacy-surface.md A.3)."""
        return self._private("/v1/" + path, method, params or {})

    def _timeline(self, path: str, since: Any, count: int, sort: str) -> Any:
        """A v1 timeline page (metrics and profiles): ``{"data", "next"}``; a ``None``
        ``since`` is left out, as every ``None`` parameter is."""
        return self._v1_request(path, self.HTTP_GET, {"since": since, "count": count, "sort": sort})

    def _v2_request(self, path: str, method: str, data: Optional[Mapping[str, Any]] = None) -> Any:
        """A v2 call (``api_key`` in a JSON body, legacy-surface.md A.3)."""
        return self._private("/v2/" + path, method, data or {})

    def _private(self, path: str, method: str, params: Mapping[str, Any]) -> Any:
        self._is_valid_request_option(self.PRIVATE)
        call = call_for(method.upper(), path, self._filter_params(params))
        return self._respond(lambda client, options: client.call(call, **options))


def json_list(value: Any) -> str:
    """A list parameter as the legacy SDK sent it in a query: JSON text."""
    return json.dumps(value)
