"""The flat surface of ``klaviyo`` 2.x (up to 2.0.4), on the same ``Klaviyo`` class as 3.1.7.

Code written for 2.x calls ``client.track(...)``, ``client.metrics()``, ``client.lists()``
on ``Klaviyo(public_token, private_token, api_server)`` (legacy-surface.md A.9). Those
lower-case names never collide with 3.1.7's namespaces (``client.Public``, ``client.Lists``),
so one class serves both; :class:`FlatAPI` holds the 2.x methods and ``Klaviyo`` inherits it.

Each method builds the legacy HTTP request 2.0.4 sent (method, URL, query or JSON body, the
``api_key`` in the query for v1 and in the JSON body for v2, the track/identify payload as
base64 in ``data=``) and runs it through :func:`klaviyo_legacy_compat.legacy_http.respond`,
so every 2.x call is translated exactly as the same raw request is (MIGRATION.md lists what
each path becomes). Results are what 2.0.4 returned:

- ``track``, ``track_once`` and ``identify``: ``True`` when the legacy answer is ``1``, else
  ``False`` (2.0.4 compared the body with ``'1'``).
- every other call: the parsed JSON body, for error statuses too (2.0.4 raised no HTTP
  errors: the legacy error body, ``{"status", "message", ...}``, comes back as the value), and
  ``'1'`` for a write (``DELETE``, ``POST``, ``PUT``) answered with an empty body.
- in dry-run (``Klaviyo(..., dry_run=True)``), the :class:`~klaviyo_legacy_compat.Plan`.

2.0.4's own refusals are kept, raised before anything is sent and with its messages, as this
library's ``KlaviyoException`` family: no identifier (``'You must identify a user by email or
ID.'``), no token (``'Public token is not defined'``, ``'Private token is not defined'``,
``KlaviyoConfigurationException``), ``list_subscription``'s ``'Data must be a list of
strings'`` / ``'Data must be a list of objects'``, and ``list()``'s refusal of ``POST``.
Input the translation refuses (a :class:`~klaviyo_legacy_compat.TranslationError`, naming the
field) and a Klaviyo that cannot be reached (``TransportError``, a ``requests``
``ConnectionError`` as 2.0.4's was) are raised too: neither is an answer from Klaviyo.

2.0.4's bugs are not copied; each method says what it does instead: ``list_exclusions``
never put its list id in the path, ``track_once`` dropped the timestamp, ``_request`` had a
mutable default (parameters leaked from call to call), and the caller's dicts were changed in
place. A method called with an HTTP method 2.0.4 did not handle (``lists(method='PUT')``)
sends nothing and returns ``None``, as 2.0.4 did, and logs a warning saying so.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, Optional
from urllib.parse import urlencode

from klaviyo_legacy_compat._core.credentials import Key
from klaviyo_legacy_compat._core.errors import (
    KlaviyoConfigurationException,
    KlaviyoException,
    TranslationError,
)
from klaviyo_legacy_compat._core.wire import LegacyHTTPRequest
from klaviyo_legacy_compat._surfaces.client import CompatClient
from klaviyo_legacy_compat._surfaces.facade import default_client
from klaviyo_legacy_compat.legacy._payloads import identified, track_payload
from klaviyo_legacy_compat.legacy.api_helper import LEGACY_API_SERVER
from klaviyo_legacy_compat.legacy_http import LegacyHTTPResponse, respond

__all__ = ["FlatAPI"]

logger = logging.getLogger("klaviyo_legacy_compat")

_IDENTIFY_MESSAGE = "You must identify a user by email or ID."
_TRACK_ONCE_KEY = "__track_once__"

#: The methods whose empty (non-JSON) answer 2.0.4 reported as ``'1'``.
_WRITES = ("DELETE", "POST", "PUT")


def _jsonable(value: Any) -> Any:
    # 2.0.4 json.dumps'ed its payloads, which refused datetimes; they are sent as ISO-8601
    # text instead (a naive one read as the ``naive_datetime`` option says).
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _json(value: Any, field: str) -> str:
    try:
        return json.dumps(value, default=_jsonable)
    except (TypeError, ValueError) as error:
        raise TranslationError(field, f"must be JSON data: {error}") from None


def _query_value(value: Any, field: str) -> str:
    # 2.0.4 urlencode'd str(value): a list became its Python repr, which no server could
    # read; lists and dicts (``where=[...]``) are sent as the JSON the caller meant.
    if isinstance(value, (list, tuple, dict)):
        return _json(value, field)
    return str(value)


def _segment(value: Any, field: str) -> str:
    """An id as a URL path segment (2.0.4 formatted it in as it was): one that would reach
    another path is refused, naming the field."""
    text = str(value).strip()
    if not text or any(c in text for c in "/?#"):
        raise TranslationError(
            field, f"must be a non-empty id without '/', '?' or '#', got {value!r}"
        )
    return text


#: ``subscription_type``: the v2 list endpoints 2.x reached with it (the 2.0.4 README's
#: https://www.klaviyo.com/docs/api/v2/lists#post-subscribe and #post-members).
_SUBSCRIPTION_TYPES = ("subscribe", "members")


def _list_path(list_id: Any, subscription_type: Any) -> str:
    """``list/{id}/subscribe`` or ``list/{id}/members``. Another ``subscription_type`` named
    no endpoint (2.0.4 sent it and got the API's 404), so it is refused before sending; the
    2.0.4 README showed ``unsubscribe_from_list(list_id, subscription_type, emails)``, an
    order the signature does not have, and the message says so."""
    if subscription_type not in _SUBSCRIPTION_TYPES:
        raise TranslationError(
            "subscription_type",
            f"must be 'subscribe' or 'members', got {subscription_type!r} (the arguments are "
            "list_id, emails or data, then subscription_type)",
        )
    return f"list/{_segment(list_id, 'list_id')}/{subscription_type}"


def _object(value: Any, field: str) -> dict[str, Any]:
    """A copy of a dict argument (``None`` is empty): the caller's dict is never changed."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise TranslationError(field, f"must be an object (a dict), got {type(value).__name__}")
    return dict(value)


class FlatAPI:
    """The ``klaviyo`` 2.x methods (see the module docstring)."""

    public_token: Optional[str]
    private_token: Optional[str]
    api_server: str
    _client: Optional[CompatClient]
    _options: dict[str, Any]

    # --- public: track and identify (the public token, ``token`` in the payload) ---------

    def track(
        self,
        event: str,
        email: Optional[str] = None,
        id: Any = None,
        properties: Optional[Mapping[str, Any]] = None,
        customer_properties: Optional[Mapping[str, Any]] = None,
        timestamp: Any = None,
        ip_address: Optional[str] = None,
        is_test: bool = False,
    ) -> Any:
        """``GET /track?data=<base64 payload>&test=0|1`` → ``True`` when accepted.

        ``email`` and ``id`` go into ``customer_properties`` as ``email``/``id``. A datetime
        ``timestamp`` is sent as ISO-8601 (naive = local time, as 2.0.4's ``time.mktime``
        read it; an aware one is now converted correctly). ``is_test=True`` sent ``test=1``:
        the new API has no test mode, so it is not sent (option ``test_calls``).
        """
        if email is None and id is None:
            raise KlaviyoException(_IDENTIFY_MESSAGE)
        customer = identified(_object(customer_properties, "customer_properties"), email, id)
        properties = _object(properties, "properties")
        payload = track_payload(
            self.public_token, event, properties, customer, timestamp, ip_address
        )
        return self._public("track", payload, is_test)

    def track_once(
        self,
        event: str,
        email: Optional[str] = None,
        id: Any = None,
        properties: Optional[Mapping[str, Any]] = None,
        customer_properties: Optional[Mapping[str, Any]] = None,
        timestamp: Any = None,
        ip_address: Optional[str] = None,
        is_test: bool = False,
    ) -> Any:
        """:meth:`track` with ``__track_once__`` set (emulated with a constant ``unique_id``,
        see MIGRATION.md). 2.0.4 dropped ``timestamp`` here; it is sent."""
        once = _object(properties, "properties")
        once[_TRACK_ONCE_KEY] = True
        return self.track(
            event, email, id, once, customer_properties, timestamp, ip_address, is_test
        )

    def identify(
        self,
        email: Optional[str] = None,
        id: Any = None,
        properties: Optional[Mapping[str, Any]] = None,
        is_test: bool = False,
    ) -> Any:
        """``GET /identify?data=<base64 payload>&test=0|1`` → ``True`` when accepted;
        ``email`` and ``id`` go into ``properties`` as ``email``/``id``."""
        if email is None and id is None:
            raise KlaviyoException(_IDENTIFY_MESSAGE)
        values = identified(_object(properties, "properties"), email, id)
        return self._public("identify", {"token": self.public_token, "properties": values}, is_test)

    # --- metrics (v1: ``api_key`` in the query) --------------------------------------------

    def metrics(self, page: int = 0, count: int = 50) -> Any:
        """``GET /v1/metrics?page&count``: one v1 page of metrics."""
        return self._v1("metrics", {"page": page, "count": count})

    def metric_timeline(
        self,
        metric_id: Optional[str] = None,
        since: Any = None,
        count: int = 100,
        sort: str = "desc",
    ) -> Any:
        """``GET /v1/metric/{id}/timeline``, or ``/v1/metrics/timeline`` without a
        ``metric_id``: one timeline batch (``since`` ← the previous answer's ``next``)."""
        path = (
            f"metric/{_segment(metric_id, 'metric_id')}/timeline"
            if metric_id
            else "metrics/timeline"
        )
        return self._v1(path, {"count": count, "sort": sort, "since": since})

    def metric_export(
        self,
        metric_id: str,
        start_date: Any = None,
        end_date: Any = None,
        unit: Optional[str] = None,
        measurement: Any = None,
        where: Any = None,
        by: Optional[str] = None,
        count: Optional[int] = None,
    ) -> Any:
        """``GET /v1/metric/{id}/export`` (``metric_id`` also in the query, as 2.0.4 sent
        it); a ``measurement`` or ``where`` given as a list is sent as its JSON text."""
        params = {
            "metric_id": metric_id,
            "start_date": start_date,
            "end_date": end_date,
            "unit": unit,
            "measurement": measurement,
            "where": where,
            "by": by,
            "count": count,
        }
        return self._v1(f"metric/{_segment(metric_id, 'metric_id')}/export", params)

    # --- lists (v2: ``api_key`` in a JSON body) -------------------------------------------

    def lists(self, list_name: Optional[str] = None, method: str = "GET") -> Any:
        """``GET /v2/lists`` (every list, ``[{"list_id", "list_name"}]``) or, with
        ``method='POST'``, ``POST /v2/lists`` creating ``list_name`` (``{"list_id"}``)."""
        verb = str(method).upper()
        if verb == "GET":
            return self._v2("GET", "lists", {})
        if verb == "POST":
            return self._v2("POST", "lists", {"list_name": list_name})
        return self._unsent("lists", method)

    def list(self, list_id: str, list_name: Optional[str] = None, method: str = "GET") -> Any:
        """``GET``, ``PUT`` (rename to ``list_name``; ``'1'``) or ``DELETE`` (``'1'``)
        ``/v2/list/{id}``. ``POST`` is refused, as 2.0.4 refused it (any case here: 2.0.4
        let ``'post'`` through to a request the API refused)."""
        verb = str(method).upper()
        if verb == "POST":
            raise KlaviyoException("The list endpoint only accepts GET, PUT, and DELETE methods")
        if verb not in ("GET", "PUT", "DELETE"):
            return self._unsent("list", method)
        data = {} if list_name is None else {"list_name": list_name}
        return self._v2(verb, f"list/{_segment(list_id, 'list_id')}", data)

    def list_subscription(
        self, list_id: str, data: Any, subscription_type: str = "subscribe", method: str = "GET"
    ) -> Any:
        """``subscription_type`` ``'subscribe'`` or ``'members'``, on ``/v2/list/{id}/...``.

        ``GET``: which of the emails in ``data`` (a list of strings) are subscribed / members.
        ``POST``: subscribe (honouring the list's double opt-in) or add the profiles in
        ``data`` (a list of dicts); the members, ``[]`` for a double opt-in subscribe.
        """
        verb = str(method).upper()
        if verb == "GET":
            if not isinstance(data, list) or not all(isinstance(s, str) for s in data):
                raise KlaviyoException("Data must be a list of strings")
            body: dict[str, Any] = {"emails": data}
        elif verb == "POST":
            # 2.0.4 looked at the first entry only (and failed with IndexError on []);
            # an empty list goes to the translation, which says what it needs.
            if not isinstance(data, list) or (data and not isinstance(data[0], Mapping)):
                raise KlaviyoException("Data must be a list of objects")
            body = {"profiles": data}
        else:
            return self._unsent("list_subscription", method)
        return self._v2(verb, _list_path(list_id, subscription_type), body)

    def unsubscribe_from_list(
        self, list_id: str, emails: Any, subscription_type: str = "subscribe"
    ) -> Any:
        """``DELETE /v2/list/{id}/subscribe`` (unsubscribe the list members among
        ``emails``) or ``.../members`` (remove them); ``'1'``."""
        return self._v2("DELETE", _list_path(list_id, subscription_type), {"emails": emails})

    def list_exclusions(self, list_id: str, marker: Any = None) -> Any:
        """``GET /v2/list/{id}/exclusions/all``: one batch of the list's exclusions
        (``marker`` ← the previous answer's). 2.0.4 sent the path without the list id, which
        the API could only refuse; the id is sent."""
        data = {"marker": marker} if marker else {}
        return self._v2("GET", f"list/{_segment(list_id, 'list_id')}/exclusions/all", data)

    def all_members(self, group_id: str, marker: Any = None) -> Any:
        """``GET /v2/group/{id}/members/all``: one batch of a list's or segment's members."""
        data = {"marker": marker} if marker else {}
        return self._v2("GET", f"group/{_segment(group_id, 'group_id')}/members/all", data)

    # --- profiles (v1) -------------------------------------------------------------------

    def get_profile(self, profile_id: str) -> Any:
        """``GET /v1/person/{id}``: the v1 person."""
        return self._v1(f"person/{_segment(profile_id, 'profile_id')}", {})

    def get_profile_metrics_timeline(
        self, profile_id: str, since: Any = None, count: int = 100, sort: str = "desc"
    ) -> Any:
        """``GET /v1/person/{id}/metrics/timeline``: one batch of the person's events."""
        path = f"person/{_segment(profile_id, 'profile_id')}/metrics/timeline"
        return self._v1(path, {"since": since, "count": count, "sort": sort})

    def get_profile_metric_timeline(
        self,
        profile_id: str,
        metric_id: str,
        since: Any = None,
        count: int = 100,
        sort: str = "desc",
    ) -> Any:
        """``GET /v1/person/{id}/metric/{metric_id}/timeline``: one batch of the person's
        events of one metric."""
        path = (
            f"person/{_segment(profile_id, 'profile_id')}"
            f"/metric/{_segment(metric_id, 'metric_id')}/timeline"
        )
        return self._v1(path, {"since": since, "count": count, "sort": sort})

    # --- the legacy requests -------------------------------------------------------------

    def _public(self, path: str, payload: Mapping[str, Any], is_test: bool) -> Any:
        if not self.public_token:
            raise KlaviyoConfigurationException("Public token is not defined")
        data = base64.b64encode(_json(payload, "data").encode()).decode()
        query = urlencode({"data": data, "test": 1 if is_test else 0})
        answer = self._send(LegacyHTTPRequest("GET", f"{LEGACY_API_SERVER}/{path}?{query}"))
        if answer.plan is not None:
            return answer.plan
        return answer.body == b"1"

    def _private_key(self) -> str:
        if not self.private_token:
            raise KlaviyoConfigurationException("Private token is not defined")
        return self.private_token

    def _v1(self, path: str, params: Mapping[str, Any]) -> Any:
        """A v1 GET: the parameters that are not ``None`` and ``api_key`` in the query."""
        query = {k: _query_value(v, k) for k, v in params.items() if v is not None}
        query["api_key"] = self._private_key()
        url = f"{LEGACY_API_SERVER}/v1/{path}?{urlencode(query)}"
        return self._result("GET", LegacyHTTPRequest("GET", url))

    def _v2(self, method: str, path: str, data: Mapping[str, Any]) -> Any:
        """A v2 call: ``data`` and ``api_key`` in a JSON body, on every method (GET too)."""
        body = _json({**data, "api_key": self._private_key()}, "body").encode()
        request = LegacyHTTPRequest(
            method,
            f"{LEGACY_API_SERVER}/v2/{path}",
            {"Content-Type": "application/json"},
            body,
        )
        return self._result(method, request)

    def _result(self, method: str, request: LegacyHTTPRequest) -> Any:
        answer = self._send(request)
        if answer.plan is not None:
            return answer.plan
        try:
            return json.loads(answer.body)
        except ValueError:
            if method in _WRITES:
                return "1"  # 2.0.4: "errors will always be json"
            raise

    def _send(self, request: LegacyHTTPRequest) -> LegacyHTTPResponse:
        # The object's tokens are its configuration, as for the 3.1.7 namespaces: with a
        # private token, track and identify take the server endpoints (contract §1).
        options = dict(self._options)
        if self.private_token:
            options["private_key"] = Key("private_token", self.private_token)
        if self.public_token:
            options["public_key"] = Key("public_token", self.public_token)
        # What no Klaviyo answer stands for (input refused before sending, a configuration
        # error, no connection) is raised rather than returned.
        return respond(request, self._client or default_client(), raise_local=True, **options)

    @staticmethod
    def _unsent(name: str, method: Any) -> None:
        logger.warning(
            "klaviyo 2.x %s(method=%r): nothing sent, as klaviyo 2.0.4 sent nothing for that "
            "method",
            name,
            method,
        )
