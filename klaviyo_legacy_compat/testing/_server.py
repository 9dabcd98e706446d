"""A local Klaviyo: a real HTTP server on 127.0.0.1 that speaks the part of Klaviyo's new
JSON:API (revision ``2026-07-15``) this library uses, for integration tests.

    with LocalKlaviyo(time_scale=0.05) as server:
        client = klaviyo.CompatClient(private_key=server.private_key, base_url=server.base_url)
        client.track("Viewed", {"$email": "ann@example.com"})
        assert server.store.events_for("ann@example.com")

What it does, and where each rule comes from (``new-api.md`` is ``../shared/reference``):

- **Routing** through the package's endpoint table (:func:`match_path`), so paths, methods,
  success statuses, rate limits and per-call caps are the spec's. Implemented operations are
  the rows of :data:`ROUTES` (operationId → handler); other known paths answer 501.
- **Auth** (new-api.md §1): ``/api/*`` needs ``Authorization: Klaviyo-API-Key <private key>``
  (none → 401 ``not_authenticated``, another key → 403 ``permission_denied``); ``/client/*``
  needs ``company_id=<public key>`` and no ``Authorization``; every request needs ``revision``.
- **Errors** as JSON:API documents (new-api.md §4), ``application/vnd.api+json``.
- **Rate limits** (new-api.md §6): per operation, fixed burst (1 s) and steady (60 s) windows,
  both multiplied by ``time_scale``, plus the daily window where the spec sets one; 429
  ``throttled`` with ``Retry-After``; ``RateLimit-*`` headers on every other answer.
- **Faults** on request (:class:`Faults`): throttling, server errors, connection resets,
  and answers that are slow or lost *after* the write was stored.
- **State** in a :class:`~klaviyo_legacy_compat.testing._store.Store` (``server.store``).

Stdlib only: :class:`http.server.ThreadingHTTPServer`, one daemon thread per connection,
HTTP/1.1 keep-alive, nothing written to stderr.
"""

from __future__ import annotations

import base64
import contextlib
import json
import math
import re
import socket
import socketserver
import struct
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, NamedTuple, Optional, TypeVar
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

import attrs

from klaviyo_legacy_compat._endpoints import Endpoint, endpoint, match_path
from klaviyo_legacy_compat.testing._store import (
    IDENTIFIERS,
    DuplicateProfile,
    EventEntry,
    Invalid,
    Job,
    ListRecord,
    NewEvent,
    NotFound,
    Profile,
    ProfileRef,
    Store,
    StoreError,
    SubscriptionItem,
    Suppression,
    iso,
    utc_now,
)

__all__ = ["FAULT_KINDS", "ROUTES", "FaultKind", "Faults", "LocalKlaviyo", "ServedRequest"]

T = TypeVar("T")

MEDIA_TYPE = "application/vnd.api+json"

# --- errors -----------------------------------------------------------------------------------

#: Status → (default code, title) of the JSON:API errors this server writes (new-api.md §4;
#: codes and titles as seen in Klaviyo's answers where known).
_ERROR_TEXT: dict[int, tuple[str, str]] = {
    400: ("invalid", "Invalid input."),
    401: ("not_authenticated", "Authentication credentials were not provided."),
    403: ("permission_denied", "You do not have permission to perform this action."),
    404: ("not_found", "Not found."),
    405: ("method_not_allowed", "Method not allowed."),
    409: ("conflict", "Conflict."),
    429: ("throttled", "Request was throttled."),
    500: ("error", "A server error occurred."),
    501: ("not_implemented", "Not implemented."),
    503: ("service_unavailable", "Service temporarily unavailable."),
}


class NotImplementedHere(StoreError):
    """A request the spec allows but this server does not implement yet (501), so a failing
    test points at LocalKlaviyo rather than at the request."""


#: Store failure → (status, code).
_STORE_ERRORS: dict[type[StoreError], tuple[int, str]] = {
    Invalid: (400, "invalid"),
    NotImplementedHere: (501, "not_implemented"),
    NotFound: (404, "not_found"),
    DuplicateProfile: (409, "duplicate_profile"),
}


@attrs.frozen
class _Reply:
    """An answer: status, JSON body (``None`` for none) and extra headers."""

    status: int
    body: Any = None
    headers: tuple[tuple[str, str], ...] = ()


def _error(
    status: int,
    detail: str,
    *,
    code: Optional[str] = None,
    pointer: Optional[str] = None,
    parameter: Optional[str] = None,
    meta: Optional[Mapping[str, Any]] = None,
    headers: tuple[tuple[str, str], ...] = (),
) -> _Reply:
    default_code, title = _ERROR_TEXT.get(status, ("error", "Error."))
    source: dict[str, str] = {}
    if pointer is not None:
        source["pointer"] = pointer
    if parameter is not None:
        source["parameter"] = parameter
    item: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "status": status,
        "code": code or default_code,
        "title": title,
        "detail": detail,
        "source": source,
    }
    if meta:
        item["meta"] = dict(meta)
    return _Reply(status, {"errors": [item]}, headers)


def _store_error(exc: StoreError) -> _Reply:
    status, code = _STORE_ERRORS.get(type(exc), (400, "invalid"))
    meta = {"duplicate_profile_id": exc.profile_id} if isinstance(exc, DuplicateProfile) else None
    return _error(
        status, exc.detail, code=code, pointer=exc.pointer, parameter=exc.parameter, meta=meta
    )


# --- rate limits --------------------------------------------------------------------------------

#: Stricter limits some parameters trigger, from operation descriptions only (new-api.md
#: §6.3): (operation, parameter, value, burst/s, steady/min). Metered in a bucket of their own.
STRICTER_LIMITS: tuple[tuple[str, str, str, int, int], ...] = (
    ("get_list", "additional-fields[list]", "profile_count", 1, 15),
    ("get_profile", "include", "lists", 1, 15),
    ("get_profile", "include", "segments", 1, 15),
    ("get_profiles", "additional-fields[profile]", "predictive_analytics", 10, 150),
    ("get_profiles_for_list", "additional-fields[profile]", "predictive_analytics", 10, 150),
)

#: Window name → length in seconds, and whether ``time_scale`` applies (new-api.md §6.1:
#: burst = 1-second window, steady = 1-minute window; the daily cap is a plain counter).
_WINDOWS: dict[str, tuple[float, bool]] = {
    "burst": (1.0, True),
    "steady": (60.0, True),
    "daily": (86400.0, False),
}


@attrs.define
class _Window:
    start: float
    count: int = 0


class _RateLimiter:
    """Klaviyo's model (new-api.md §6.1): per operation, fixed windows counted at once;
    exceeding any one throttles. A window opens at the first request after the previous one
    closed. Throttled requests consume nothing."""

    def __init__(self, time_scale: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.time_scale = time_scale
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[tuple[str, str], _Window] = {}

    def limits(self, row: Endpoint, query: Mapping[str, str]) -> tuple[str, dict[str, int]]:
        """The bucket and its limits (window name → count) for a request."""
        for operation, parameter, value, burst, steady in STRICTER_LIMITS:
            if operation == row.operation and value in query.get(parameter, "").split(","):
                return f"{operation} {parameter}={value}", {"burst": burst, "steady": steady}
        limits = {"burst": row.burst, "steady": row.steady}
        if row.daily is not None:
            limits["daily"] = row.daily
        return row.operation, limits

    def length(self, name: str) -> float:
        """The length in seconds of window ``name``, scaled where the window scales."""
        seconds, scaled = _WINDOWS[name]
        return seconds * self.time_scale if scaled else seconds

    def _current(self, bucket: str, name: str, now: float) -> _Window:
        window = self._windows.get((bucket, name))
        if window is None or now >= window.start + self.length(name):
            window = _Window(now)
            self._windows[(bucket, name)] = window
        return window

    def acquire(self, bucket: str, limits: Mapping[str, int]) -> Optional[float]:
        """Count one request; or, when a window is full, count nothing and return the seconds
        until the last blocking window closes."""
        with self._lock:
            now = self._clock()
            windows = {name: self._current(bucket, name, now) for name in limits}
            waits = [
                window.start + self.length(name) - now
                for name, window in windows.items()
                if window.count >= limits[name]
            ]
            if waits:
                return max(max(waits), 1e-3)
            for window in windows.values():
                window.count += 1
            return None

    def steady(self, bucket: str, limits: Mapping[str, int]) -> tuple[int, int, float]:
        """(limit, remaining, seconds to reset) of the steady window, counting nothing."""
        with self._lock:
            now = self._clock()
            window = self._windows.get((bucket, "steady"))
            length = self.length("steady")
            if window is None or now >= window.start + length:
                return limits["steady"], limits["steady"], length
            return (
                limits["steady"],
                max(0, limits["steady"] - window.count),
                window.start + length - now,
            )

    def reset(self) -> None:
        """Forget every window."""
        with self._lock:
            self._windows.clear()


def _throttled_detail(seconds: float) -> str:
    # The observed text (new-api.md §6.4); N is whole seconds, at least 1 while waiting.
    wait = max(1, math.ceil(seconds)) if seconds > 0 else 0
    return f"Request was throttled. Expected available in {wait} seconds."


# --- faults ------------------------------------------------------------------------------------


@attrs.frozen
class FaultKind:
    """What a fault does. ``after_store``: the request is processed and stored first.
    ``status``: the error answer (``None``: no error answer). ``reset``: the connection is
    dropped without an answer. ``retry_after``: a 429 carries ``Retry-After``."""

    after_store: bool
    status: Optional[int] = None
    reset: bool = False
    retry_after: bool = False


#: Fault kinds by name. ``delay`` (see :meth:`Faults.add`) is slept before the fault acts; for
#: ``slow_after_store`` it is the whole point: the write is stored, the answer comes late.
FAULT_KINDS: dict[str, FaultKind] = {
    "429": FaultKind(after_store=False, status=429, retry_after=True),
    "429_no_retry_after": FaultKind(after_store=False, status=429),
    "500": FaultKind(after_store=False, status=500),
    "503": FaultKind(after_store=False, status=503),
    "reset": FaultKind(after_store=False, reset=True),
    "slow_after_store": FaultKind(after_store=True),
    "reset_after_store": FaultKind(after_store=True, reset=True),
}


@attrs.define
class _Fault:
    name: str
    kind: FaultKind
    operation: Optional[str]
    remaining: int
    delay: float
    status: Optional[int]


class Faults:
    """The queue of faults a :class:`LocalKlaviyo` injects. Each incoming request takes the
    first queued fault whose operation matches (``None`` matches any); a fault fires
    ``times`` times, then disappears. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: list[_Fault] = []

    def add(
        self,
        kind: str,
        *,
        operation: Optional[str] = None,
        times: int = 1,
        delay: float = 0.0,
        status: Optional[int] = None,
    ) -> None:
        """Queue a fault. ``kind`` is a key of :data:`FAULT_KINDS`; ``operation`` an
        operationId (``None``: any request); ``delay`` seconds slept before the fault acts;
        ``status`` replaces the error status of an answering kind (``"503"`` with
        ``status=504``)."""
        found = FAULT_KINDS.get(kind)
        if found is None:
            raise ValueError(f"unknown fault kind {kind!r}; known: {sorted(FAULT_KINDS)}")
        if operation is not None:
            try:
                endpoint(operation)
            except KeyError as exc:
                raise ValueError(str(exc)) from None
        if times < 1 or delay < 0:
            raise ValueError("times must be at least 1 and delay not negative")
        if status is not None and found.status is None:
            raise ValueError(f"fault {kind!r} does not answer, so it takes no status")
        with self._lock:
            self._queue.append(_Fault(kind, found, operation, times, delay, status))

    def clear(self) -> None:
        """Drop every queued fault."""
        with self._lock:
            self._queue.clear()

    def pending(self) -> int:
        """How many firings are left, over all queued faults."""
        with self._lock:
            return sum(f.remaining for f in self._queue)

    def _take(self, operation: str) -> Optional[_Fault]:
        """The fault for a request to ``operation``, counted as fired; ``None`` if none."""
        with self._lock:
            for fault in self._queue:
                if fault.operation in (None, operation):
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._queue.remove(fault)
                    return fault
            return None


# --- parsing helpers -------------------------------------------------------------------------

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_REVISION = re.compile(r"^\d{4}-\d{2}-\d{2}(\.[A-Za-z0-9]+)?$")

_LOCATION_FIELDS = frozenset(
    {
        "address1",
        "address2",
        "city",
        "country",
        "latitude",
        "longitude",
        "region",
        "zip",
        "timezone",
        "ip",
    }
)
_PROFILE_FIELDS = frozenset(
    {
        "email",
        "phone_number",
        "external_id",
        "first_name",
        "last_name",
        "organization",
        "locale",
        "title",
        "image",
        "location",
        "properties",
    }
)
#: Profile attributes each write accepts (spec request schemas; new-api.md §3 "PA").
_PROFILE_ATTRIBUTES: dict[str, frozenset[str]] = {
    "create_profile": _PROFILE_FIELDS,
    "update_profile": _PROFILE_FIELDS,
    "create_or_update_profile": _PROFILE_FIELDS | {"_kx"},
    "bulk_import_profiles": _PROFILE_FIELDS | {"_kx"},
    "create_client_profile": _PROFILE_FIELDS | {"_kx", "anonymous_id"},
    "event": _PROFILE_FIELDS | {"_kx", "anonymous_id", "meta"},
    "bulk_event": _PROFILE_FIELDS | {"_kx", "anonymous_id"},
}
_NEEDS_IDENTIFIER = (
    "must identify the profile: give id, email, phone_number, external_id, _kx or anonymous_id"
)


def _object(value: Any, pointer: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Invalid(f"{pointer or '/'} must be an object.", pointer=pointer or "/")
    return value


def _array(value: Any, pointer: str) -> list[Any]:
    if not isinstance(value, list):
        raise Invalid(f"{pointer} must be an array.", pointer=pointer)
    return value


def _required_text(value: Any, pointer: str) -> str:
    if not isinstance(value, str):
        raise Invalid(f"{pointer} must be a string.", pointer=pointer)
    return value


def _text(value: Any, pointer: str, *, nullable: bool = True) -> Optional[str]:
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        raise Invalid(f"{pointer} must be a string.", pointer=pointer)
    return value


def _resource(value: Any, pointer: str, type_: str) -> dict[str, Any]:
    """A resource object ``{"type": type_, ...}``."""
    found = _object(value, pointer)
    if found.get("type") != type_:
        raise Invalid(
            f"Expected type {type_!r}, got {found.get('type')!r}.", pointer=f"{pointer}/type"
        )
    return found


def _document(body: Any, type_: str) -> dict[str, Any]:
    """The ``data`` resource object of a JSON:API request document."""
    return _resource(_object(body, "").get("data"), "/data", type_)


def _capped(count: int, row: Endpoint, pointer: str) -> None:
    # Per-call caps come from the endpoint table (description prose; new-api.md §10.3).
    if count == 0:
        raise Invalid(f"{pointer} must not be empty.", pointer=pointer)
    if row.max_items is not None and count > row.max_items:
        raise Invalid(
            f"At most {row.max_items} items are allowed per request; got {count}.",
            pointer=pointer,
        )


def _data_of(parent: Mapping[str, Any], key: str, pointer: str) -> list[Any]:
    """The ``data`` array of ``parent[key]`` (``{"profiles": {"data": [...]}}``)."""
    return _array(_object(parent.get(key), f"{pointer}/{key}").get("data"), f"{pointer}/{key}/data")


def _capped_data(parent: Mapping[str, Any], key: str, pointer: str, row: Endpoint) -> list[Any]:
    items = _data_of(parent, key, pointer)
    _capped(len(items), row, f"{pointer}/{key}/data")
    return items


def _profile_attributes(value: Any, pointer: str, allowed: frozenset[str]) -> dict[str, Any]:
    """A profile attribute block, checked field by field (spec profile schemas)."""
    attributes = _object(value, pointer)
    for name, item in attributes.items():
        where = f"{pointer}/{name}"
        if name not in allowed:
            raise Invalid(
                f"'{name}' is not a valid field for the resource 'profile'.", pointer=where
            )
        if name in ("location", "properties", "meta", "subscriptions"):
            if item is not None:
                _object(item, where)
            if name == "location" and item:
                unknown = set(item) - _LOCATION_FIELDS
                if unknown:
                    raise Invalid(f"Unknown location field(s): {sorted(unknown)}.", pointer=where)
            continue
        text = _text(item, where)
        if text is not None and name == "email" and not _EMAIL.match(text):
            raise Invalid(f"Invalid email address: {text!r}.", pointer=where)
        if text is not None and name == "phone_number" and not _E164.match(text):
            raise Invalid(f"Invalid phone number, expected E.164: {text!r}.", pointer=where)
    return attributes


def _profile_ref(
    data: Mapping[str, Any], pointer: str, allowed: frozenset[str], *, meta_inside: bool = False
) -> ProfileRef:
    """The profile of a write; ``meta_inside``: events carry ``meta`` inside ``attributes``
    (new-api.md §3.1)."""
    attributes = dict(_profile_attributes(data.get("attributes"), f"{pointer}/attributes", allowed))
    meta = attributes.pop("meta", None) if meta_inside else data.get("meta")
    profile_id = _text(data.get("id"), f"{pointer}/id")
    if profile_id is None and not any(isinstance(attributes.get(k), str) for k in IDENTIFIERS):
        raise Invalid(f"The profile {_NEEDS_IDENTIFIER}.", pointer=f"{pointer}/attributes")
    if meta is not None:
        _object(meta, f"{pointer}/meta")
    return ProfileRef(profile_id, attributes, meta)


def _parse_time(value: Any, pointer: str) -> datetime:
    text = _required_text(value, pointer)
    try:
        # Python 3.9's fromisoformat does not read "Z".
        moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except ValueError:
        raise Invalid(f"Invalid date-time: {text!r}.", pointer=pointer) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    # "The time must be after the year 1990 and can only be up to 1 year in the future" (spec).
    if moment.year < 1990 or moment > utc_now() + timedelta(days=365):
        raise Invalid("time must be after 1990 and at most 1 year in the future.", pointer=pointer)
    return moment


def _new_event(attributes: Mapping[str, Any], pointer: str) -> NewEvent:
    """The event fields of ``create_event`` (spec ``EventCreateQueryV2``) or of one bulk
    event."""
    properties = _object(attributes.get("properties"), f"{pointer}/properties")
    metric = _resource(
        _object(attributes.get("metric"), f"{pointer}/metric").get("data"),
        f"{pointer}/metric/data",
        "metric",
    )
    metric_attributes = _object(metric.get("attributes"), f"{pointer}/metric/data/attributes")
    name_pointer = f"{pointer}/metric/data/attributes/name"
    name = _required_text(metric_attributes.get("name"), name_pointer)
    if not name or len(name) >= 128:  # "< 128 chars" (new-api.md §3.1)
        raise Invalid("The metric name must have 1 to 127 characters.", pointer=name_pointer)
    value = attributes.get("value")
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise Invalid("value must be a number.", pointer=f"{pointer}/value")
    raw_time = attributes.get("time")
    return NewEvent(
        metric=name,
        properties=properties,
        time=None if raw_time is None else _parse_time(raw_time, f"{pointer}/time"),
        value=None if value is None else float(value),
        value_currency=_text(attributes.get("value_currency"), f"{pointer}/value_currency"),
        unique_id=_text(attributes.get("unique_id"), f"{pointer}/unique_id"),
    )


def _relationship_ids(value: Any, pointer: str, type_: str, *, many: bool) -> list[str]:
    """The ids of a relationship ``{"data": {...}}`` or ``{"data": [...]}``."""
    data = _object(value, pointer).get("data")
    items = _array(data, f"{pointer}/data") if many else [data]
    out = []
    for i, item in enumerate(items):
        where = f"{pointer}/data/{i}" if many else f"{pointer}/data"
        found = _resource(item, where, type_)
        out.append(_required_text(found.get("id"), f"{where}/id"))
    return out


# --- filters (new-api.md §7) -----------------------------------------------------------------

_FILTER_HEAD = re.compile(r"\s*([a-z-]+)\(\s*([A-Za-z_][\w.]*)\s*,\s*")
_BARE = re.compile(r"[^,()\[\]\s]+")


class Bare(str):
    """An unquoted filter value (a datetime or a number); compares equal to the same text
    quoted, but datetime fields accept only this form (new-api.md §7.1: a quoted datetime is
    an invalid filter)."""

    __slots__ = ()


def _filter_scalar(text: str, pos: int) -> tuple[Any, int]:
    if text.startswith('"', pos):
        quoted: tuple[Any, int] = json.JSONDecoder().raw_decode(text, pos)
        return quoted
    if text.startswith("'", pos):
        out: list[str] = []
        i = pos + 1
        while i < len(text) and text[i] != "'":
            if text[i] == "\\" and i + 1 < len(text):
                i += 1
            out.append(text[i])
            i += 1
        if i >= len(text):
            raise ValueError("unterminated string")
        return "".join(out), i + 1
    bare = _BARE.match(text, pos)
    if bare is None:
        raise ValueError(f"a value is expected at {pos}")
    token = bare.group()
    return {"true": True, "false": False, "null": None}.get(token, Bare(token)), bare.end()


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos


def _filter_value(text: str, pos: int) -> tuple[Any, int]:
    if not text.startswith("[", pos):
        return _filter_scalar(text, pos)
    items: list[Any] = []
    pos = _skip(text, pos + 1)
    while not text.startswith("]", pos):
        item, pos = _filter_scalar(text, _skip(text, pos))
        items.append(item)
        pos = _skip(text, pos)
        if text.startswith(",", pos):
            pos += 1
        elif not text.startswith("]", pos):
            raise ValueError(f"',' or ']' expected at {pos}")
    return items, pos + 1


def parse_filter(text: str) -> list[tuple[str, str, Any]]:
    """``equals(email,"a@b.c"),any(id,["x","y"])`` → ``[(operator, field, value), ...]``
    (comma-joined expressions are ANDed; strings in double or single quotes; lists in
    brackets: new-api.md §7.1). ``ValueError`` on bad syntax."""
    out: list[tuple[str, str, Any]] = []
    pos = 0
    while True:
        head = _FILTER_HEAD.match(text, pos)
        if head is None:
            raise ValueError(f"an expression like equals(field,value) is expected at {pos}")
        value, pos = _filter_value(text, head.end())
        pos = _skip(text, pos)
        if not text.startswith(")", pos):
            raise ValueError(f"')' expected at {pos}")
        out.append((head.group(1), head.group(2), value))
        pos = _skip(text, pos + 1)
        if pos == len(text):
            return out
        if not text.startswith(",", pos):
            raise ValueError(f"',' expected at {pos}")
        pos += 1


def _when(value: Any) -> datetime:
    """An ISO-8601 time (filters write datetimes unquoted, often with ``Z``: new-api.md §7.1)
    as an aware UTC datetime; a time without an offset is read as UTC. ``ValueError``
    otherwise."""
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not an ISO-8601 datetime")
    moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def _as_is(value: Any) -> Any:
    return value


def _email(value: Any) -> Any:
    # Email addresses are matched without regard to case, like the store's lookups.
    return value.casefold() if isinstance(value, str) else value


#: Value type of a filter field → how filter values and stored values are made comparable.
_KINDS: dict[str, Callable[[Any], Any]] = {"string": _as_is, "email": _email, "datetime": _when}

#: Value types whose filter values must be written unquoted (new-api.md §7.1).
_UNQUOTED_KINDS = frozenset({"datetime"})


@attrs.frozen
class _Operator:
    """A filter operator: which value forms it takes (one value, a bracketed list) and its
    test of a stored value against the filter's values."""

    single: bool
    many: bool
    test: Callable[[Any, Sequence[Any]], bool]


#: The operators the spec uses on the implemented operations (new-api.md §7.2, §7.3).
_OPERATORS: dict[str, _Operator] = {
    "equals": _Operator(True, True, lambda have, want: have in want),
    "any": _Operator(False, True, lambda have, want: have in want),
    "greater-than": _Operator(True, False, lambda have, want: have > want[0]),
    "greater-or-equal": _Operator(True, False, lambda have, want: have >= want[0]),
    "less-than": _Operator(True, False, lambda have, want: have < want[0]),
    "less-or-equal": _Operator(True, False, lambda have, want: have <= want[0]),
}


@attrs.frozen
class _Field:
    """A filterable field: the operators the spec allows on it, its value type (a
    :data:`_KINDS` key), and its values on a record. Several values (a profile's
    suppressions) match when any one does. ``values=None``: the spec allows the field but
    this server does not implement it (501)."""

    operators: frozenset[str]
    kind: str
    values: Optional[Callable[[Any], Sequence[Any]]]


def _attribute(name: str) -> Callable[[Any], Sequence[Any]]:
    return lambda profile: (profile.attributes.get(name),)


def _global(profile: Profile) -> list[Suppression]:
    return profile.global_suppressions


def _listed(profile: Profile) -> list[Suppression]:
    return [s for s in profile.suppressions if s.list_id is not None]


def _earliest(pick: Callable[[Profile], list[Suppression]]) -> Callable[[Profile], Any]:
    return lambda profile: min((_when(s.timestamp) for s in pick(profile)), default=None)


_ANY_EQUALS = frozenset({"any", "equals"})
_EQUALS = frozenset({"equals"})
_RANGE = frozenset({"greater-than", "greater-or-equal", "less-than", "less-or-equal"})
_SUPPRESSION = "subscriptions.email.marketing.suppression."
_LIST_SUPPRESSION = "subscriptions.email.marketing.list_suppressions."

#: ``get_profiles`` filters (spec ``x-klaviyo-filters``; new-api.md §7.3). ``suppression``
#: is the global email suppressions, ``list_suppressions`` the list-scoped ones, as
#: :func:`_subscriptions` renders them.
_PROFILE_FILTERS: dict[str, _Field] = {
    "id": _Field(_ANY_EQUALS, "string", lambda p: (p.id,)),
    "email": _Field(_ANY_EQUALS, "email", _attribute("email")),
    "phone_number": _Field(_ANY_EQUALS, "string", _attribute("phone_number")),
    "external_id": _Field(_ANY_EQUALS, "string", _attribute("external_id")),
    "_kx": _Field(_EQUALS, "string", _attribute("_kx")),
    "created": _Field(frozenset({"greater-than", "less-than"}), "datetime", lambda p: (p.created,)),
    "updated": _Field(frozenset({"greater-than", "less-than"}), "datetime", lambda p: (p.updated,)),
    _SUPPRESSION + "reason": _Field(_EQUALS, "string", lambda p: [s.reason for s in _global(p)]),
    _SUPPRESSION + "timestamp": _Field(
        _RANGE, "datetime", lambda p: [s.timestamp for s in _global(p)]
    ),
    _LIST_SUPPRESSION + "reason": _Field(
        _EQUALS, "string", lambda p: [s.reason for s in _listed(p)]
    ),
    _LIST_SUPPRESSION + "list_id": _Field(
        _EQUALS, "string", lambda p: [s.list_id for s in _listed(p)]
    ),
    _LIST_SUPPRESSION + "timestamp": _Field(
        _RANGE, "datetime", lambda p: [s.timestamp for s in _listed(p)]
    ),
}


def _member(read: Callable[[Profile], Sequence[Any]]) -> Callable[[Any], Sequence[Any]]:
    """A profile getter read on a list member ``(profile, joined_group_at)``."""
    return lambda member: read(member[0])


#: List member filters; records are ``(profile, joined_group_at)``. The store keeps no push
#: tokens, so ``push_token`` is the spec's but not implemented.
_MEMBER_FILTERS: dict[str, _Field] = {
    "email": _Field(_ANY_EQUALS, "email", _member(_attribute("email"))),
    "phone_number": _Field(_ANY_EQUALS, "string", _member(_attribute("phone_number"))),
    "_kx": _Field(_EQUALS, "string", _member(_attribute("_kx"))),
    "push_token": _Field(_ANY_EQUALS, "string", None),
    "joined_group_at": _Field(_RANGE, "datetime", lambda m: (m[1],)),
}

#: Allowed filter fields per operation (spec ``x-klaviyo-filters``; new-api.md §7.3).
FILTERS: dict[str, dict[str, _Field]] = {
    "get_profiles": _PROFILE_FILTERS,
    "get_profiles_for_list": _MEMBER_FILTERS,
    "get_profile_ids_for_list": _MEMBER_FILTERS,
    "get_lists": {
        "id": _Field(_ANY_EQUALS, "string", lambda r: (r.id,)),
        "name": _Field(_ANY_EQUALS, "string", lambda r: (r.name,)),
        "created": _Field(frozenset({"greater-than"}), "datetime", lambda r: (r.created,)),
        "updated": _Field(frozenset({"greater-than"}), "datetime", lambda r: (r.updated,)),
    },
}


def _term(operation: str, operator: str, name: str, value: Any) -> Callable[[Any], bool]:
    """One ``operator(field,value)`` as a predicate over a record: 400 for what the spec does
    not allow on ``operation``, 501 for what it allows but this server does not do."""
    field = FILTERS.get(operation, {}).get(name)
    if field is None or operator not in field.operators:
        raise Invalid(
            f"'{operator}' is not a valid operator for field '{name}' here.", parameter="filter"
        )
    read = field.values
    if read is None:
        raise NotImplementedHere(
            f"LocalKlaviyo does not implement the filter field '{name}' of {operation} yet.",
            parameter="filter",
        )
    spec = _OPERATORS[operator]
    many = isinstance(value, list)
    if not (spec.many if many else spec.single):
        form = "a list of values" if spec.many else "a single value"
        raise Invalid(f"'{operator}' takes {form}.", parameter="filter")
    normal = _KINDS[field.kind]
    given = value if many else [value]
    if field.kind in _UNQUOTED_KINDS and not all(isinstance(v, Bare) for v in given):
        raise Invalid(f"Values of '{name}' are written unquoted.", parameter="filter")
    try:
        wanted = [normal(v) for v in given]
    except ValueError as exc:
        raise Invalid(f"Invalid filter value for '{name}': {exc}.", parameter="filter") from None
    test = spec.test

    def matches(record: Any) -> bool:
        return any(test(normal(v), wanted) for v in read(record) if v is not None)

    return matches


def _matcher(operation: str, text: Optional[str]) -> Callable[[Any], bool]:
    """A predicate over the operation's records (see :data:`FILTERS`) for the ``filter``
    parameter; comma-joined terms are ANDed."""
    if text is None:
        return lambda record: True
    try:
        terms = parse_filter(text)
    except ValueError as exc:
        raise Invalid(f"Invalid filter provided: {exc}.", parameter="filter") from None
    tests = [_term(operation, operator, name, value) for operator, name, value in terms]
    return lambda record: all(test(record) for test in tests)


#: ``get_profiles`` sort keys (spec enum; new-api.md §3.2) → the key on a profile. Profiles
#: without a value (no email, no suppression) come last in ascending order.
PROFILE_SORTS: dict[str, Callable[[Profile], Any]] = {
    "created": lambda p: _when(p.created),
    "updated": lambda p: _when(p.updated),
    "id": lambda p: p.id,
    "email": lambda p: _email(p.email),
    _SUPPRESSION + "timestamp": _earliest(_global),
    _LIST_SUPPRESSION + "timestamp": _earliest(_listed),
}


def _sorted_profiles(found: list[Profile], sort: Optional[str]) -> list[Profile]:
    if sort is None:
        return found
    key = PROFILE_SORTS.get(sort.removeprefix("-"))
    if key is None:
        raise Invalid(f"'{sort}' is not a valid sort for profiles.", parameter="sort")

    descending = sort.startswith("-")

    def ordered(profile: Profile) -> tuple[bool, Any]:
        # Missing values last either way: the flag flips with the direction.
        value = key(profile)
        return ((value is None) != descending, value)

    return sorted(found, key=ordered, reverse=descending)


# --- rendering ------------------------------------------------------------------------------

_RENDERED_PROFILE_FIELDS = (
    "email",
    "phone_number",
    "external_id",
    "first_name",
    "last_name",
    "organization",
    "locale",
    "title",
    "image",
)


def _subscriptions(profile: Profile) -> dict[str, Any]:
    """``attributes.subscriptions`` (spec ``Subscriptions``: ``EmailMarketing``,
    ``SMSMarketing``)."""
    suppressed = profile.global_suppressions
    return {
        "email": {
            "marketing": {
                # "True if it does profile does not have any global suppressions" (spec).
                "can_receive_email_marketing": profile.email is not None and not suppressed,
                "consent": profile.email_consent,
                "consent_timestamp": profile.email_consent_timestamp,
                "last_updated": profile.email_consent_timestamp,
                "suppression": [{"reason": s.reason, "timestamp": s.timestamp} for s in suppressed],
                "list_suppressions": [
                    {"list_id": s.list_id, "reason": s.reason, "timestamp": s.timestamp}
                    for s in profile.suppressions
                    if s.list_id is not None
                ],
            }
        },
        "sms": {
            "marketing": {
                "can_receive_sms_marketing": profile.phone_number is not None
                and profile.sms_consent == "SUBSCRIBED",
                "consent": profile.sms_consent,
                "consent_timestamp": profile.sms_consent_timestamp,
                "last_updated": profile.sms_consent_timestamp,
            }
        },
    }


def _sparse(attributes: dict[str, Any], fields: Optional[str]) -> dict[str, Any]:
    """Sparse fieldsets ``fields[type]=a,b,location.city`` (new-api.md §8)."""
    if not fields:
        return attributes
    out: dict[str, Any] = {}
    for name in (f.strip() for f in fields.split(",")):
        head, _, sub = name.partition(".")
        if head not in attributes:
            continue
        if sub and isinstance(attributes[head], dict):
            out.setdefault(head, {})[sub] = attributes[head].get(sub)
        else:
            out[head] = attributes[head]
    return out


def _additional(query: Mapping[str, str], type_: str) -> set[str]:
    return {f.strip() for f in query.get(f"additional-fields[{type_}]", "").split(",") if f}


# --- the operations -------------------------------------------------------------------------


@attrs.frozen
class _Call:
    """One authenticated request, as a handler sees it."""

    row: Endpoint
    path: str
    path_params: Mapping[str, str]
    query: Mapping[str, str]
    body: Any
    base_url: str

    @property
    def client(self) -> bool:
        return self.row.is_client

    def url(self, query: Optional[Mapping[str, str]] = None) -> str:
        params = self.query if query is None else query
        return self.base_url + self.path + ("?" + urlencode(params) if params else "")


_CURSOR_PREFIX = "lk1:"


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{offset}".encode()).decode().rstrip("=")


def _offset(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not text.startswith(_CURSOR_PREFIX):
            raise ValueError(text)
        return max(0, int(text[len(_CURSOR_PREFIX) :]))
    except ValueError:
        raise Invalid("Invalid page cursor.", parameter="page[cursor]") from None


class Operations:
    """The handlers: one method per operationId, each turning a :class:`_Call` into an
    answer through the store. Add an operation by adding a method and a :data:`ROUTES` row."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # --- shared pieces ------------------------------------------------------------------------

    def _page(
        self, call: _Call, items: Sequence[T], *, default: int, maximum: int
    ) -> tuple[Sequence[T], dict[str, Any]]:
        """One page and its ``links`` (cursor pagination; new-api.md §5: ``links.next`` is a
        full URL carrying ``page[cursor]`` and the original parameters)."""
        raw = call.query.get("page[size]")
        try:
            size = default if raw is None else int(raw)
        except ValueError:
            size = 0
        if not 1 <= size <= maximum:
            raise Invalid(
                f"page[size] must be an integer from 1 to {maximum}.", parameter="page[size]"
            )
        cursor = call.query.get("page[cursor]")
        offset = 0 if cursor is None else _offset(cursor)
        links: dict[str, Any] = {"self": call.url()}
        if offset + size < len(items):
            links["next"] = call.url({**call.query, "page[cursor]": _cursor(offset + size)})
        if offset > 0:
            links["prev"] = call.url({**call.query, "page[cursor]": _cursor(max(0, offset - size))})
        return items[offset : offset + size], links

    def _profile(
        self, call: _Call, profile: Profile, extra: Optional[Mapping[str, Any]] = None
    ) -> dict[str, Any]:
        location = profile.attributes.get("location") or {}
        attributes: dict[str, Any] = {
            name: profile.attributes.get(name) for name in _RENDERED_PROFILE_FIELDS
        }
        attributes.update(
            created=profile.created,
            updated=profile.updated,
            last_event_date=profile.last_event_date,
            location={name: location.get(name) for name in sorted(_LOCATION_FIELDS)},
            properties=dict(profile.properties),
        )
        attributes.update(extra or {})
        attributes = _sparse(attributes, call.query.get("fields[profile]"))
        if "subscriptions" in _additional(call.query, "profile"):
            attributes["subscriptions"] = _subscriptions(profile)
        return {
            "type": "profile",
            "id": profile.id,
            "attributes": attributes,
            "links": {"self": f"{call.base_url}/api/profiles/{profile.id}/"},
        }

    def _list(self, call: _Call, record: ListRecord) -> dict[str, Any]:
        attributes: dict[str, Any] = {
            "name": record.name,
            "created": record.created,
            "updated": record.updated,
            "opt_in_process": record.opt_in_process,
        }
        if "profile_count" in _additional(call.query, "list"):
            attributes["profile_count"] = len(record.members)
        return {
            "type": "list",
            "id": record.id,
            "attributes": _sparse(attributes, call.query.get("fields[list]")),
            "links": {"self": f"{call.base_url}/api/lists/{record.id}/"},
        }

    @staticmethod
    def _job(call: _Call, job: Job, path: str) -> dict[str, Any]:
        return {
            "data": {
                "type": job.type,
                "id": job.id,
                "attributes": dict(job.attributes),
                "links": {"self": f"{call.base_url}{path}/{job.id}/"},
            }
        }

    # --- events -------------------------------------------------------------------------------

    def create_event(self, call: _Call) -> _Reply:
        """``POST /api/events`` and ``POST /client/events``: 202, no body."""
        data = _document(call.body, "event")
        attributes = _object(data.get("attributes"), "/data/attributes")
        event = _new_event(attributes, "/data/attributes")
        pointer = "/data/attributes/profile/data"
        profile = _resource(
            _object(attributes.get("profile"), "/data/attributes/profile").get("data"),
            pointer,
            "profile",
        )
        ref = _profile_ref(profile, pointer, _PROFILE_ATTRIBUTES["event"], meta_inside=True)
        self.store.record_event(ref, event, client=call.client, operation=call.row.operation)
        return _Reply(202)

    def _entry(self, value: Any, pointer: str) -> tuple[EventEntry, int]:
        entry = _resource(value, pointer, "event-bulk-create")
        attributes = _object(entry.get("attributes"), f"{pointer}/attributes")
        profile_pointer = f"{pointer}/attributes/profile/data"
        profile = _resource(
            _object(attributes.get("profile"), f"{pointer}/attributes/profile").get("data"),
            profile_pointer,
            "profile",
        )
        ref = _profile_ref(profile, profile_pointer, _PROFILE_ATTRIBUTES["bulk_event"])
        events_pointer = f"{pointer}/attributes/events/data"
        raw = _data_of(attributes, "events", f"{pointer}/attributes")
        events = []
        for j, item in enumerate(raw):
            where = f"{events_pointer}/{j}"
            found = _resource(item, where, "event")
            events.append(
                _new_event(
                    _object(found.get("attributes"), f"{where}/attributes"), f"{where}/attributes"
                )
            )
        return EventEntry(ref, tuple(events)), len(events)

    def bulk_create_events(self, call: _Call) -> _Reply:
        """``POST /api/event-bulk-create-jobs``: 202, no body; all or nothing."""
        data = _document(call.body, "event-bulk-create-job")
        pointer = "/data/attributes/events-bulk-create/data"
        attributes = _object(data.get("attributes"), "/data/attributes")
        raw = _data_of(attributes, "events-bulk-create", "/data/attributes")
        entries, total = [], 0
        for i, item in enumerate(raw):
            entry, count = self._entry(item, f"{pointer}/{i}")
            entries.append(entry)
            total += count
        _capped(total, call.row, pointer)  # the cap counts events, not entries
        self.store.record_events(entries, operation=call.row.operation)
        return _Reply(202)

    def bulk_create_client_events(self, call: _Call) -> _Reply:
        """``POST /client/event-bulk-create``: one entry as ``data`` (new-api.md §3.1)."""
        entry, count = self._entry(_object(call.body, "").get("data"), "/data")
        _capped(count, call.row, "/data/attributes/events/data")
        self.store.record_events([entry], client=True, operation=call.row.operation)
        return _Reply(202)

    # --- profiles -----------------------------------------------------------------------------

    def _write_ref(self, call: _Call, *, need_id: bool = False) -> ProfileRef:
        data = _document(call.body, "profile")
        ref = _profile_ref(data, "/data", _PROFILE_ATTRIBUTES[call.row.operation])
        if need_id and ref.id is None:
            raise Invalid("data.id is required.", pointer="/data/id")
        return ref

    def create_or_update_profile(self, call: _Call) -> _Reply:
        """``POST /api/profile-import``: 201 created, 200 updated."""
        profile, created = self.store.import_profile(self._write_ref(call))
        return _Reply(201 if created else 200, {"data": self._profile(call, profile)})

    def create_profile(self, call: _Call) -> _Reply:
        """``POST /api/profiles``: 201; 409 ``duplicate_profile`` for a taken identifier."""
        data = _document(call.body, "profile")
        ref = _profile_ref(data, "/data", _PROFILE_ATTRIBUTES["create_profile"])
        profile = self.store.create_profile(attrs.evolve(ref, id=None))
        return _Reply(201, {"data": self._profile(call, profile)})

    def update_profile(self, call: _Call) -> _Reply:
        """``PATCH /api/profiles/{id}``: the body id must be the path id (JSON:API: 409)."""
        ref = self._write_ref(call, need_id=True)
        if ref.id != call.path_params["id"]:
            return _error(
                409, "The id in the body does not match the id in the path.", pointer="/data/id"
            )
        return _Reply(200, {"data": self._profile(call, self.store.update_profile(ref))})

    def get_profile(self, call: _Call) -> _Reply:
        """``GET /api/profiles/{id}``."""
        found = self.store.profile(call.path_params["id"])
        if found is None:
            raise NotFound(f"A profile with id {call.path_params['id']} does not exist.")
        return _Reply(200, {"data": self._profile(call, found), "links": {"self": call.url()}})

    def get_profiles(self, call: _Call) -> _Reply:
        """``GET /api/profiles``: equality filters, 20 per page by default, at most 100."""
        match = _matcher(call.row.operation, call.query.get("filter"))
        found = _sorted_profiles(self.store.profiles_where(match), call.query.get("sort"))
        page, links = self._page(call, found, default=20, maximum=100)
        return _Reply(200, {"data": [self._profile(call, p) for p in page], "links": links})

    def create_client_profile(self, call: _Call) -> _Reply:
        """``POST /client/profiles``: 202; existing identifiers are never changed."""
        self.store.touch_profile(self._write_ref(call), client=True)
        return _Reply(202)

    def bulk_import_profiles(self, call: _Call) -> _Reply:
        """``POST /api/profile-bulk-import-jobs``: processed at once; 202 with the job."""
        data = _document(call.body, "profile-bulk-import-job")
        attributes = _object(data.get("attributes"), "/data/attributes")
        pointer = "/data/attributes/profiles/data"
        raw = _capped_data(attributes, "profiles", "/data/attributes", call.row)
        allowed = _PROFILE_ATTRIBUTES["bulk_import_profiles"]
        refs = [
            _profile_ref(_resource(item, f"{pointer}/{i}", "profile"), f"{pointer}/{i}", allowed)
            for i, item in enumerate(raw)
        ]
        relationships = _object(data.get("relationships") or {}, "/data/relationships")
        list_ids = (
            _relationship_ids(
                relationships["lists"], "/data/relationships/lists", "list", many=True
            )
            if relationships.get("lists") is not None
            else []
        )
        job = self.store.import_profiles(refs, list_ids, raw)
        return _Reply(202, self._job(call, job, "/api/profile-bulk-import-jobs"))

    def get_bulk_import_profiles_job(self, call: _Call) -> _Reply:
        """``GET /api/profile-bulk-import-jobs/{job_id}``."""
        job = self.store.job("profile-bulk-import-job", call.path_params["job_id"])
        return _Reply(200, self._job(call, job, "/api/profile-bulk-import-jobs"))

    def get_errors_for_bulk_import_profiles_job(self, call: _Call) -> _Reply:
        """``GET /api/profile-bulk-import-jobs/{id}/import-errors``: one ``import-error`` per
        profile the job could not import, with its ``original_payload`` (spec schema)."""
        job = self.store.job("profile-bulk-import-job", call.path_params["id"])
        errors = [
            {
                "type": "import-error",
                "id": f"{job.id}-{error['index']}",
                "attributes": {
                    "code": error.get("code") or "invalid",
                    "title": "The profile could not be imported.",
                    "detail": error["detail"],
                    "source": {"pointer": f"/data/attributes/profiles/data/{error['index']}"},
                    "original_payload": error.get("payload"),
                },
            }
            for error in job.errors
        ]
        page, links = self._page(call, errors, default=20, maximum=100)
        return _Reply(200, {"data": list(page), "links": links})

    # --- consent ------------------------------------------------------------------------------

    @staticmethod
    def _list_relationship(data: Mapping[str, Any]) -> Optional[str]:
        relationships = _object(data.get("relationships") or {}, "/data/relationships")
        if relationships.get("list") is None:
            return None
        return _relationship_ids(
            relationships["list"], "/data/relationships/list", "list", many=False
        )[0]

    @staticmethod
    def _items(call: _Call, data: Mapping[str, Any], consent: str) -> list[SubscriptionItem]:
        """The profiles of a subscribe (``consent`` SUBSCRIBED) or unsubscribe
        (UNSUBSCRIBED) job, with the channels each names (new-api.md §3.3)."""
        attributes = _object(data.get("attributes"), "/data/attributes")
        pointer = "/data/attributes/profiles/data"
        raw = _capped_data(attributes, "profiles", "/data/attributes", call.row)
        items = []
        for i, value in enumerate(raw):
            where = f"{pointer}/{i}"
            profile = _resource(value, where, "profile")
            fields = _profile_attributes(
                profile.get("attributes"),
                f"{where}/attributes",
                frozenset({"email", "phone_number", "subscriptions", "age_gated_date_of_birth"}),
            )
            profile_id = _text(profile.get("id"), f"{where}/id")
            subscriptions = _object(
                fields.get("subscriptions"), f"{where}/attributes/subscriptions"
            )
            channels = []
            for channel, identifier in (("email", "email"), ("sms", "phone_number")):
                if subscriptions.get(channel) is None:
                    continue
                channel_pointer = f"{where}/attributes/subscriptions/{channel}"
                marketing_pointer = f"{channel_pointer}/marketing"
                marketing = _object(subscriptions[channel], channel_pointer).get("marketing")
                if marketing is None:
                    continue
                given = _object(marketing, marketing_pointer).get("consent")
                if given != consent:
                    raise Invalid(
                        f"consent must be {consent!r}, got {given!r}.",
                        pointer=f"{marketing_pointer}/consent",
                    )
                if fields.get(identifier) is None and profile_id is None:
                    raise Invalid(
                        f"{identifier} is required to change {channel} consent.",
                        pointer=f"{where}/attributes",
                    )
                channels.append(channel)
            if (
                fields.get("email") is None
                and fields.get("phone_number") is None
                and profile_id is None
            ):
                raise Invalid("Give an email or a phone_number.", pointer=f"{where}/attributes")
            items.append(
                SubscriptionItem(
                    profile_id, fields.get("email"), fields.get("phone_number"), tuple(channels)
                )
            )
        return items

    def bulk_subscribe_profiles(self, call: _Call) -> _Reply:
        """``POST /api/profile-subscription-bulk-create-jobs``: 202, no body."""
        data = _document(call.body, "profile-subscription-bulk-create-job")
        items = self._items(call, data, "SUBSCRIBED")
        attributes = _object(data.get("attributes"), "/data/attributes")
        historical = attributes.get("historical_import", False)
        if not isinstance(historical, bool):
            raise Invalid(
                "historical_import must be a boolean.", pointer="/data/attributes/historical_import"
            )
        self.store.subscribe(self._list_relationship(data), items, historical_import=historical)
        return _Reply(202)

    def bulk_unsubscribe_profiles(self, call: _Call) -> _Reply:
        """``POST /api/profile-subscription-bulk-delete-jobs``: 202, no body. Non-members of
        the list are unsubscribed globally (spec warning)."""
        data = _document(call.body, "profile-subscription-bulk-delete-job")
        items = self._items(call, data, "UNSUBSCRIBED")
        self.store.unsubscribe(self._list_relationship(data), items)
        return _Reply(202)

    def bulk_suppress_profiles(self, call: _Call) -> _Reply:
        """``POST /api/profile-suppression-bulk-create-jobs``: 202 with the job."""
        data = _document(call.body, "profile-suppression-bulk-create-job")
        attributes = _object(data.get("attributes") or {}, "/data/attributes")
        list_id = self._list_relationship(data)
        emails: list[str] = []
        if attributes.get("profiles") is not None or list_id is None:
            pointer = "/data/attributes/profiles/data"
            raw = _capped_data(attributes, "profiles", "/data/attributes", call.row)
            for i, item in enumerate(raw):
                where = f"{pointer}/{i}"
                fields = _profile_attributes(
                    _resource(item, where, "profile").get("attributes"),
                    f"{where}/attributes",
                    frozenset({"email"}),
                )
                emails.append(_required_text(fields.get("email"), f"{where}/attributes/email"))
        started = iso(utc_now())
        total, skipped = self.store.suppress(emails, list_id)
        job = self.store.add_job(
            "profile-suppression-bulk-create-job",
            {
                "status": "complete",
                "created_at": started,
                "total_count": total,
                "completed_count": total - skipped,
                "skipped_count": skipped,
                "completed_at": iso(utc_now()),
            },
        )
        return _Reply(202, self._job(call, job, "/api/profile-suppression-bulk-create-jobs"))

    def get_bulk_suppress_profiles_job(self, call: _Call) -> _Reply:
        """``GET /api/profile-suppression-bulk-create-jobs/{job_id}``."""
        job = self.store.job("profile-suppression-bulk-create-job", call.path_params["job_id"])
        return _Reply(200, self._job(call, job, "/api/profile-suppression-bulk-create-jobs"))

    # --- lists ----------------------------------------------------------------------------------

    @staticmethod
    def _list_fields(
        data: Mapping[str, Any], *, need_name: bool
    ) -> tuple[Optional[str], Optional[str]]:
        attributes = _object(data.get("attributes"), "/data/attributes")
        unknown = set(attributes) - {"name", "opt_in_process"}
        if unknown:
            raise Invalid(f"Unknown list field(s): {sorted(unknown)}.", pointer="/data/attributes")
        name = _text(attributes.get("name"), "/data/attributes/name", nullable=not need_name)
        if need_name and not name:
            raise Invalid("name is required.", pointer="/data/attributes/name")
        opt_in = _text(attributes.get("opt_in_process"), "/data/attributes/opt_in_process")
        if opt_in not in (None, "single_opt_in", "double_opt_in"):
            raise Invalid(
                "opt_in_process must be single_opt_in or double_opt_in.",
                pointer="/data/attributes/opt_in_process",
            )
        return name, opt_in

    def get_lists(self, call: _Call) -> _Reply:
        """``GET /api/lists``: 10 per page at most (new-api.md §5)."""
        match = _matcher(call.row.operation, call.query.get("filter"))
        found = self.store.lists_where(match)
        page, links = self._page(call, found, default=10, maximum=10)
        return _Reply(200, {"data": [self._list(call, r) for r in page], "links": links})

    def create_list(self, call: _Call) -> _Reply:
        """``POST /api/lists``: 201; opt-in process single unless given."""
        name, opt_in = self._list_fields(_document(call.body, "list"), need_name=True)
        assert name is not None
        list_id = self.store.create_list(name, opt_in or "single_opt_in")
        return _Reply(201, {"data": self._list(call, self.store.get_list(list_id))})

    def get_list(self, call: _Call) -> _Reply:
        """``GET /api/lists/{id}``: ``fields[list]``, ``additional-fields[list]``."""
        record = self.store.get_list(call.path_params["id"])
        return _Reply(200, {"data": self._list(call, record), "links": {"self": call.url()}})

    def update_list(self, call: _Call) -> _Reply:
        """``PATCH /api/lists/{id}``."""
        data = _document(call.body, "list")
        if data.get("id") != call.path_params["id"]:
            return _error(
                409, "The id in the body does not match the id in the path.", pointer="/data/id"
            )
        name, opt_in = self._list_fields(data, need_name=False)
        record = self.store.update_list(call.path_params["id"], name=name, opt_in_process=opt_in)
        return _Reply(200, {"data": self._list(call, record)})

    def delete_list(self, call: _Call) -> _Reply:
        """``DELETE /api/lists/{id}``: 204."""
        self.store.delete_list(call.path_params["id"])
        return _Reply(204)

    def _members(self, call: _Call) -> tuple[Sequence[tuple[Profile, str]], dict[str, Any]]:
        match = _matcher(call.row.operation, call.query.get("filter"))
        found = [
            (p, joined)
            for p, joined in self.store.members(call.path_params["id"])
            if match((p, joined))
        ]
        sort = call.query.get("sort")
        if sort not in (None, "joined_group_at", "-joined_group_at"):
            raise Invalid("sort must be joined_group_at or -joined_group_at.", parameter="sort")
        if sort == "-joined_group_at":
            found.reverse()
        return self._page(call, found, default=20, maximum=100)

    def get_profiles_for_list(self, call: _Call) -> _Reply:
        """``GET /api/lists/{id}/profiles``: members with ``joined_group_at``."""
        page, links = self._members(call)
        data = [self._profile(call, p, {"joined_group_at": joined}) for p, joined in page]
        return _Reply(200, {"data": data, "links": links})

    def get_profile_ids_for_list(self, call: _Call) -> _Reply:
        """``GET /api/lists/{id}/relationships/profiles``: member ids only."""
        page, links = self._members(call)
        return _Reply(
            200, {"data": [{"type": "profile", "id": p.id} for p, _ in page], "links": links}
        )

    def _profile_ids(self, call: _Call) -> list[str]:
        data = _array(_object(call.body, "").get("data"), "/data")
        _capped(len(data), call.row, "/data")
        return [
            _required_text(_resource(item, f"/data/{i}", "profile").get("id"), f"/data/{i}/id")
            for i, item in enumerate(data)
        ]

    def add_profiles_to_list(self, call: _Call) -> _Reply:
        """``POST /api/lists/{id}/relationships/profiles``: 204; consent untouched."""
        self.store.add_to_list(call.path_params["id"], self._profile_ids(call))
        return _Reply(204)

    def remove_profiles_from_list(self, call: _Call) -> _Reply:
        """``DELETE /api/lists/{id}/relationships/profiles``: 204; consent untouched."""
        ids = self._profile_ids(call)
        self.store.remove_from_list(call.path_params["id"], ids)
        return _Reply(204)


Handler = Callable[[Operations, _Call], _Reply]

#: operationId → handler. A row here is all it takes to serve a new operation.
ROUTES: dict[str, Handler] = {
    "add_profiles_to_list": Operations.add_profiles_to_list,
    "bulk_create_client_events": Operations.bulk_create_client_events,
    "bulk_create_events": Operations.bulk_create_events,
    "bulk_import_profiles": Operations.bulk_import_profiles,
    "bulk_subscribe_profiles": Operations.bulk_subscribe_profiles,
    "bulk_suppress_profiles": Operations.bulk_suppress_profiles,
    "bulk_unsubscribe_profiles": Operations.bulk_unsubscribe_profiles,
    "create_client_event": Operations.create_event,
    "create_client_profile": Operations.create_client_profile,
    "create_event": Operations.create_event,
    "create_list": Operations.create_list,
    "create_or_update_profile": Operations.create_or_update_profile,
    "create_profile": Operations.create_profile,
    "delete_list": Operations.delete_list,
    "get_bulk_import_profiles_job": Operations.get_bulk_import_profiles_job,
    "get_errors_for_bulk_import_profiles_job": Operations.get_errors_for_bulk_import_profiles_job,
    "get_bulk_suppress_profiles_job": Operations.get_bulk_suppress_profiles_job,
    "get_list": Operations.get_list,
    "get_lists": Operations.get_lists,
    "get_profile": Operations.get_profile,
    "get_profile_ids_for_list": Operations.get_profile_ids_for_list,
    "get_profiles": Operations.get_profiles,
    "get_profiles_for_list": Operations.get_profiles_for_list,
    "remove_profiles_from_list": Operations.remove_profiles_from_list,
    "update_list": Operations.update_list,
    "update_profile": Operations.update_profile,
}


# --- HTTP ------------------------------------------------------------------------------------


class ServedRequest(NamedTuple):
    """One request as the server saw it. ``operation`` is ``None`` for an unknown path;
    ``status`` is ``None`` when the connection was dropped without an answer (the faults
    ``reset`` and ``reset_after_store``)."""

    method: str
    path: str
    query: dict[str, str]
    operation: Optional[str]
    status: Optional[int]


_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _path_params(template: str, path: str) -> dict[str, str]:
    """``{"id": "Y6nRLr"}`` for template ``/api/lists/{id}`` and path ``/api/lists/Y6nRLr``."""
    return {
        pattern[1:-1]: unquote(value)
        for pattern, value in zip(template.split("/"), path.split("/"))
        if pattern.startswith("{") and pattern.endswith("}")
    }


class _Handler(BaseHTTPRequestHandler):
    """One connection: reads requests, hands each to :meth:`LocalKlaviyo._serve`, and
    writes answers (or drops the connection) as told."""

    protocol_version = "HTTP/1.1"  # keep-alive, so pooled clients reuse connections
    server_version = "LocalKlaviyo"
    server: _HTTPServer
    #: The request being served, logged (with its status) just before the answer goes out,
    #: so a client that has its answer always finds the request in the log.
    entry: Optional[ServedRequest] = None
    logged = False

    def setup(self) -> None:
        super().setup()
        # Header and body go out in separate writes; without TCP_NODELAY, Nagle's algorithm
        # and the client's delayed ACK stall every keep-alive answer by ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection, alive=True)

    def finish(self) -> None:
        try:
            super().finish()
        except (OSError, ValueError):
            pass  # the connection was reset, by a fault or by the peer
        finally:
            self.server.track(self.connection, alive=False)

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: a test server writes nothing to stderr."""

    def _serve(self) -> None:
        self.server.local._serve(self)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def read_body(self) -> bytes:
        """The request body (``Content-Length`` or chunked); ``ValueError`` when malformed."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline(65537).split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0:
            raise ValueError("negative Content-Length")
        return self.rfile.read(length) if length else b""

    def respond(self, reply: _Reply) -> None:
        """Write an answer; always framed by ``Content-Length`` (none for 204, which has no
        body by definition: RFC 9110 §8.6), so keep-alive clients never wait for a close."""
        body = b"" if reply.body is None else json.dumps(reply.body).encode()
        self.send_response(reply.status)
        if reply.status != 204:
            self.send_header("Content-Length", str(len(body)))
        if body:
            self.send_header("Content-Type", MEDIA_TYPE)
        for name, value in reply.headers:
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if body:
            self.wfile.write(body)

    def reset(self) -> None:
        """Drop the connection without an answer: SO_LINGER 0 makes close() send a TCP RST,
        so the client sees a connection error rather than a clean end of stream."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.rfile.close()  # the makefile() reference, or close() would not close yet
            self.connection.close()
        except OSError:
            pass


class _HTTPServer(ThreadingHTTPServer):
    """The listening socket; one daemon thread per connection. Tracks open connections so
    :meth:`LocalKlaviyo.stop` can end idle keep-alive ones at once."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], local: LocalKlaviyo) -> None:
        self.local = local
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host's FQDN, a DNS lookup that can take
        # seconds; a loopback test server needs no name.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def track(self, connection: socket.socket, *, alive: bool) -> None:
        with self._connections_lock:
            if alive:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet: a broken connection is a test's business, not stderr's."""


class LocalKlaviyo:
    """A local Klaviyo for integration tests: a real HTTP server on ``host`` (an ephemeral
    port unless ``port`` is given) serving the operations of :data:`ROUTES` from an
    in-memory :class:`~klaviyo_legacy_compat.testing._store.Store`.

    ``time_scale`` multiplies the rate-limit windows (0.05: a 50 ms burst window and a 3 s
    steady one; a daily cap such as create_list's 150/day is a plain count, never scaled);
    ``enforce_rate_limits=False`` turns throttling, daily caps included, and the
    ``RateLimit-*`` headers off; ``retry_after_header=False`` leaves ``Retry-After`` off
    throttled answers, as some real 429s do (new-api.md §6.4).

    Attributes: ``base_url`` (``http://127.0.0.1:<port>`` once started), ``private_key`` and
    ``public_key`` (what requests must carry), ``store`` (the account's state), ``faults``
    (the fault queue) and ``requests`` (the log of requests served).

    Use as a context manager, or call :meth:`start` and :meth:`stop`::

        with LocalKlaviyo() as server:
            requests.post(f"{server.base_url}/api/events", ...)
    """

    def __init__(
        self,
        *,
        private_key: str = "pk_local_0123456789abcdef0123456789ab",
        public_key: str = "LocAL1",
        time_scale: float = 1.0,
        enforce_rate_limits: bool = True,
        retry_after_header: bool = True,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        if not time_scale > 0:
            raise ValueError(f"time_scale must be positive, got {time_scale!r}")
        self.private_key = private_key
        self.public_key = public_key
        self.time_scale = time_scale
        self.enforce_rate_limits = enforce_rate_limits
        self.retry_after_header = retry_after_header
        self.host = host
        self.port = port
        self.base_url = ""
        self.store = Store()
        self.faults = Faults()
        self._operations = Operations(self.store)
        self._limiter = _RateLimiter(time_scale)
        self._log: list[ServedRequest] = []
        self._log_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: Optional[_HTTPServer] = None
        self._thread: Optional[threading.Thread] = None

    # --- life cycle -------------------------------------------------------------------------

    def start(self) -> LocalKlaviyo:
        """Bind and serve in a daemon thread; sets :attr:`base_url`. Returns ``self``."""
        with self._state_lock:
            if self._server is not None:
                raise RuntimeError("LocalKlaviyo is already running")
            self._stopping = threading.Event()
            server = _HTTPServer((self.host, self.port), self)
            self.base_url = f"http://{self.host}:{server.server_address[1]}"
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"LocalKlaviyo {self.base_url}",
                daemon=True,
            )
            self._server, self._thread = server, thread
            thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, release the port and end open connections; requests sleeping in a
        fault's delay wake up at once. Safe to call twice."""
        with self._state_lock:
            server, thread = self._server, self._thread
            self._server = self._thread = None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        server.close_connections()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> LocalKlaviyo:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- inspection -------------------------------------------------------------------------

    @property
    def requests(self) -> list[ServedRequest]:
        """Every request served so far, oldest first (a copy)."""
        with self._log_lock:
            return list(self._log)

    def operations(self) -> list[Optional[str]]:
        """The operationIds of the requests served so far, in order."""
        return [r.operation for r in self.requests]

    def reset_rate_limits(self) -> None:
        """Forget every rate-limit window (and the daily counts)."""
        self._limiter.reset()

    # --- serving ----------------------------------------------------------------------------

    def _seconds(self, seconds: float) -> str:
        """A wait as a header value: whole seconds at real speed, milliseconds when scaled
        down (a 50 ms window cannot be expressed in whole seconds)."""
        if self.time_scale >= 1:
            return str(max(1, math.ceil(seconds)))
        return f"{math.ceil(seconds * 1000) / 1000:.3f}"

    def _throttled(self, wait: float, *, retry_after: bool) -> _Reply:
        headers = (("Retry-After", self._seconds(wait)),) if retry_after else ()
        return _error(429, _throttled_detail(wait), pointer="/data", headers=headers)

    def _refuse(self, headers: Any, row: Endpoint, query: Mapping[str, str]) -> Optional[_Reply]:
        """The auth and revision rules of new-api.md §1; ``None`` when the request passes."""
        authorization = headers.get("Authorization")
        if row.is_client:
            if authorization is not None:
                return _error(
                    400,
                    "Client endpoints take the public key as company_id and must not carry an "
                    "Authorization header.",
                )
            if query.get("company_id") is None:
                return _error(400, "Missing required parameter company_id.", parameter="company_id")
            if query["company_id"] != self.public_key:
                return _error(400, "Invalid company_id.", parameter="company_id")
        else:
            scheme, _, key = (authorization or "").strip().partition(" ")
            if scheme != "Klaviyo-API-Key" or not key.strip():
                return _error(
                    401,
                    "Authentication credentials were not provided: send "
                    "Authorization: Klaviyo-API-Key <private key>.",
                )
            if key.strip() != self.private_key:
                return _error(403, "Incorrect private API key.")
        revision = headers.get("revision")
        if revision is None:
            return _error(400, "Missing required header: revision.", parameter="revision")
        if not _REVISION.match(revision):
            return _error(
                400, f"Invalid revision {revision!r}: YYYY-MM-DD[.suffix].", parameter="revision"
            )
        return None

    def _send(
        self,
        handler: _Handler,
        reply: _Reply,
        metered: Optional[tuple[str, Mapping[str, int]]],
    ) -> int:
        # Every non-429 answer carries the steady window's state (new-api.md §6.4).
        if metered is not None and reply.status != 429:
            limit, remaining, reset = self._limiter.steady(*metered)
            reply = attrs.evolve(
                reply,
                headers=(
                    *reply.headers,
                    ("RateLimit-Limit", str(limit)),
                    ("RateLimit-Remaining", str(remaining)),
                    ("RateLimit-Reset", self._seconds(reset)),
                ),
            )
        self._record(handler, reply.status)
        handler.respond(reply)
        return reply.status

    def _record(self, handler: _Handler, status: Optional[int]) -> None:
        if handler.entry is not None and not handler.logged:
            handler.logged = True
            with self._log_lock:
                self._log.append(handler.entry._replace(status=status))

    def _drop(self, handler: _Handler) -> None:
        self._record(handler, None)
        handler.reset()

    def _run(
        self, route: Handler, row: Endpoint, path: str, query: Mapping[str, str], raw: bytes
    ) -> _Reply:
        if row.max_bytes is not None and len(raw) > row.max_bytes:
            return _error(400, f"The payload may be at most {row.max_bytes} bytes.", pointer="/")
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            return _error(400, "The request body is not valid JSON.", pointer="/")
        call = _Call(row, path, _path_params(row.path, path), query, body, self.base_url)
        try:
            return route(self._operations, call)
        except StoreError as exc:
            return _store_error(exc)

    def _answer(
        self,
        handler: _Handler,
        path: str,
        query: Mapping[str, str],
        row: Optional[Endpoint],
        raw: bytes,
    ) -> Optional[int]:
        """Route, authenticate, inject a fault, meter, run; returns the status sent, or
        ``None`` when the connection was dropped."""
        if row is None:
            allowed = [m for m in _METHODS if match_path(m, path) is not None]
            if allowed:
                reply = _error(
                    405,
                    f"{handler.command} is not allowed on {path}.",
                    headers=(("Allow", ", ".join(allowed)),),
                )
                return self._send(handler, reply, None)
            return self._send(handler, _error(404, f"No endpoint {handler.command} {path}."), None)
        route = ROUTES.get(row.operation)
        if route is None:
            detail = f"LocalKlaviyo does not implement {row.operation} yet."
            return self._send(handler, _error(501, detail), None)
        bucket, limits = self._limiter.limits(row, query)
        metered = (bucket, limits) if self.enforce_rate_limits else None
        refused = self._refuse(handler.headers, row, query)
        if refused is not None:
            return self._send(handler, refused, metered)
        fault = self.faults._take(row.operation)
        if fault is not None and not fault.kind.after_store:
            # A server stopped during the delay answers nothing, like a real one going away.
            if self._stopping.wait(fault.delay) or fault.kind.reset:
                self._drop(handler)
                return None
            status = fault.status or fault.kind.status or 500
            if status == 429:
                wait = self._limiter.length("burst")
                return self._send(
                    handler, self._throttled(wait, retry_after=fault.kind.retry_after), None
                )
            return self._send(handler, _error(status, f"Injected fault {fault.name!r}."), metered)
        if metered is not None:
            wait_for = self._limiter.acquire(*metered)
            if wait_for is not None:
                reply = self._throttled(wait_for, retry_after=self.retry_after_header)
                return self._send(handler, reply, None)
        reply = self._run(route, row, path, query, raw)
        # The write is stored; now the answer is slow, or lost (exactly-once tests). A server
        # stopped during the delay answers nothing, like a real one going away.
        if fault is not None and (self._stopping.wait(fault.delay) or fault.kind.reset):
            self._drop(handler)
            return None
        return self._send(handler, reply, metered)

    def _serve(self, handler: _Handler) -> None:
        split = urlsplit(handler.path)
        # Klaviyo's own links end in "/" (``links.self``); the spec's paths do not.
        path = split.path.rstrip("/") or "/"
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        row = match_path(handler.command, path)
        handler.entry = ServedRequest(
            handler.command, path, query, row.operation if row else None, None
        )
        handler.logged = False
        try:
            try:
                raw = handler.read_body()
            except ValueError:
                handler.close_connection = True  # the stream cannot be resynchronised
                self._send(handler, _error(400, "Malformed request framing."), None)
                return
            self._answer(handler, path, query, row, raw)
        except OSError:
            handler.close_connection = True  # the peer went away mid-answer
        except Exception as exc:  # a bug here: answer 500 rather than drop the connection
            self._send(handler, _error(500, f"LocalKlaviyo failed: {exc!r}"), None)
        finally:
            self._record(handler, None)
