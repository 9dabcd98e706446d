"""Typed legacy calls: what a v1/v2 call asked for, checked for shape, free of keys.

Every way in (module functions, the legacy SDK classes, raw HTTP) produces one of these
values, as a :class:`Request` with the ``api_key`` its legacy request carried; translators
take nothing else. A whole track or identify payload is a :class:`PayloadCall` until the
call runs (:func:`parse_payload`), and its ``token`` is split off there: keys become
:class:`~._credentials.Credentials` in the client and never reach a translator.
The values inside are read by the parsers of :mod:`klaviyo_legacy_compat._core.parse`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Optional, Union

import attrs

from .credentials import Key
from .errors import TranslationError
from .flow import Notice
from .leniency import LEGACY_TIME_PROPERTY, normalised
from .parse import legacy_object
from .values import as_time, iso_utc

__all__ = [
    "ExcludeEmailCall",
    "IdentifyCall",
    "LegacyCall",
    "PayloadCall",
    "Request",
    "SubscribeCall",
    "TrackCall",
    "UnsubscribeCall",
    "is_identify_payload",
    "parse_identify",
    "parse_payload",
    "parse_track",
]

#: The keys of a legacy track payload (v1-2 track reference; legacy-surface.md A.6).
TRACK_PAYLOAD_KEYS = ("token", "event", "customer_properties", "properties", "time", "ip")
IDENTIFY_PAYLOAD_KEYS = ("token", "properties")


@attrs.frozen
class TrackCall:
    """``/api/track``: an event for a profile. ``time`` is already an aware UTC datetime
    (the call time when the caller gave none, so a retried event keeps its identity)."""

    event: str
    customer_properties: Mapping[str, Any]
    properties: Mapping[str, Any]
    time: datetime
    ip: Optional[str] = None
    is_test: bool = False
    ignored_keys: tuple[str, ...] = ()
    #: What the leniency policy did while parsing (``_leniency``), reported by the translator.
    notes: tuple[Notice, ...] = ()


@attrs.frozen
class IdentifyCall:
    """``/api/identify``: create or update a profile from legacy special and custom keys."""

    properties: Mapping[str, Any]
    is_test: bool = False
    ignored_keys: tuple[str, ...] = ()
    notes: tuple[Notice, ...] = ()


@attrs.frozen
class SubscribeCall:
    """``POST /v2/list/{id}/subscribe``: v2 profile dicts, any iterable of any length
    (read lazily, never materialised unless it already is a sequence)."""

    list_id: str
    profiles: Iterable[Mapping[str, Any]] = attrs.field(eq=False)


@attrs.frozen
class UnsubscribeCall:
    """``DELETE /v2/list/{id}/subscribe``."""

    list_id: str
    emails: tuple[str, ...] = ()
    phone_numbers: tuple[str, ...] = ()
    push_tokens: tuple[str, ...] = ()


@attrs.frozen
class ExcludeEmailCall:
    """``POST /v1/people/exclusions``: suppress email addresses globally."""

    emails: tuple[str, ...]


LegacyCall = Union[TrackCall, IdentifyCall, SubscribeCall, UnsubscribeCall, ExcludeEmailCall]


@attrs.frozen
class PayloadCall:
    """A whole legacy track or identify payload as a way in received it (``kind``:
    ``"track"`` or ``"identify"``): ``{"token", "event", "customer_properties", "properties",
    "time", "ip"}`` or ``{"token", "properties"}``, from a raw ``/api/track`` or
    ``/api/identify`` request or ``track({...})``. Typed when the call runs
    (:func:`parse_payload`): reading it takes the call time and the options. ``notes``: what
    the leniency policy did to read the wire form (a repaired base64 ``data=``). The payload
    is not shown in the repr: its ``token`` may be a private key."""

    kind: str
    payload: Mapping[str, Any] = attrs.field(repr=False)
    is_test: bool = False
    notes: tuple[Notice, ...] = ()


@attrs.frozen
class Request:
    """A legacy call as a way in parsed it, ready to run: ``call`` (a typed call of this
    module or of ``_translate/<resource>.py``, or a :class:`PayloadCall`) and ``api_key``,
    the key the legacy request carried in its query, body or ``api-key`` header (the call's
    private key, unless the caller named one). The key is never shown."""

    call: Any
    api_key: Optional[Key] = None


def parse_track(
    event: Any,
    customer_properties: Any,
    properties: Any,
    time: Any,
    ip: Any,
    *,
    is_test: bool,
    naive: str,
    now: datetime,
    ignored_keys: tuple[str, ...] = (),
    strict: bool = False,
    notes: tuple[Notice, ...] = (),
) -> TrackCall:
    """Check the shape of a track call; the time is resolved here (``now`` when absent).

    Under the leniency policy (``strict=False``) a ``[]`` stands for an empty object, a
    ``time`` in milliseconds is read as such, and a time the new API refuses (before 1990,
    more than a year ahead, unreadable) is replaced by ``now`` and kept in the event property
    ``legacy_time``. ``notes`` are findings of an earlier stage (a repaired ``data=``).
    """
    if not isinstance(event, str) or not event.strip():
        raise TranslationError(
            "event", f"must be a non-empty string (the metric name), got {event!r}"
        )
    if ip is not None and not isinstance(ip, str):
        raise TranslationError("ip", f"must be an IP address string, got {type(ip).__name__}")
    found = list(notes)
    customer, more = legacy_object(customer_properties, "customer_properties", strict)
    found += more
    event_properties, more = legacy_object(properties, "properties", strict)
    found += more
    moment = now
    if time is not None:
        moment, kept, more = _event_time(time, naive=naive, now=now, strict=strict)
        found += more
        if kept is not None:
            event_properties = {**event_properties, LEGACY_TIME_PROPERTY: kept}
    return TrackCall(
        event=event,
        customer_properties=customer,
        properties=event_properties,
        time=moment,
        ip=ip or None,
        is_test=is_test,
        ignored_keys=ignored_keys,
        notes=tuple(found),
    )


def _event_time(
    value: Any, *, naive: str, now: datetime, strict: bool
) -> tuple[datetime, Any, list[Notice]]:
    """A track ``time`` under the leniency policy: (the time to send, the value to keep in
    ``legacy_time`` or ``None``, the notices)."""
    try:
        return as_time(value, "time", naive=naive, now=now), None, []
    except TranslationError:
        if strict:
            raise
    if _is_milliseconds(value):
        try:
            moment = as_time(float(value) / 1000, "time", naive=naive, now=now)
        except TranslationError:
            pass
        else:
            detail = f"{value!r} read as milliseconds: {iso_utc(moment)}"
            return moment, None, [normalised("time_milliseconds", "time", detail)]
    detail = (
        f"{value!r} is not a time the new API takes (after 1990, at most a year ahead): the "
        f"event is sent at the call time and the value kept as {LEGACY_TIME_PROPERTY!r}"
    )
    kept = value if isinstance(value, (str, int, float)) else str(value)
    return now, kept, [normalised("time_out_of_range", "time", detail)]


def _is_milliseconds(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return False
    return isinstance(value, (int, float)) and 1e11 < value < 1e14


def parse_identify(
    properties: Any,
    *,
    is_test: bool,
    ignored_keys: tuple[str, ...] = (),
    strict: bool = False,
    notes: tuple[Notice, ...] = (),
) -> IdentifyCall:
    """Check the shape of an identify call (``[]`` is an empty object under the leniency
    policy)."""
    values, more = legacy_object(properties, "properties", strict)
    return IdentifyCall(
        properties=values,
        is_test=is_test,
        ignored_keys=ignored_keys,
        notes=(*notes, *more),
    )


def is_identify_payload(value: Any) -> bool:
    """``value`` is a whole identify payload (``{"token", "properties"}``), not a profile dict.

    A whole payload has "token" or only "properties" (a dict); a profile dict with a custom
    property literally named "properties" and other keys is still a profile dict."""
    return isinstance(value, Mapping) and (
        "token" in value
        or (set(value) == {"properties"} and isinstance(value["properties"], Mapping))
    )


def parse_payload(
    call: PayloadCall, *, naive: str, strict: bool, now: datetime
) -> tuple[Union[TrackCall, IdentifyCall], Optional[str]]:
    """The typed call of a whole payload, and the ``token`` it carried (``None``: none).

    ``naive``, ``strict`` and ``now`` as for :func:`parse_track`. An identify payload that is
    a profile dict rather than a whole payload (:func:`is_identify_payload`) is read as the
    profile, as legacy identify read it."""
    if call.kind == "track":
        values, token, ignored = split_payload(call.payload, TRACK_PAYLOAD_KEYS)
        track = parse_track(
            values["event"],
            values["customer_properties"],
            values["properties"],
            values["time"],
            values["ip"],
            is_test=call.is_test,
            naive=naive,
            now=now,
            ignored_keys=ignored,
            strict=strict,
            notes=call.notes,
        )
        return track, token
    properties: Any = call.payload
    token, ignored = None, ()
    if is_identify_payload(properties):
        values, token, ignored = split_payload(properties, IDENTIFY_PAYLOAD_KEYS)
        properties = values["properties"]
    identify = parse_identify(
        properties, is_test=call.is_test, ignored_keys=ignored, strict=strict, notes=call.notes
    )
    return identify, token


def split_payload(
    payload: Mapping[str, Any], known: tuple[str, ...], field: str = "payload"
) -> tuple[dict[str, Any], Optional[str], tuple[str, ...]]:
    """A whole legacy payload → (its known keys, its ``token``, the keys it ignores)."""
    if not isinstance(payload, Mapping):
        raise TranslationError(field, f"must be a JSON object, got {type(payload).__name__}")
    token = payload.get("token")
    if token is not None and not isinstance(token, str):
        raise TranslationError(f"{field}.token", "must be the public API key string")
    values = {key: payload.get(key) for key in known if key != "token"}
    ignored = tuple(sorted(str(key) for key in payload if key not in known))
    return values, token or None, ignored
