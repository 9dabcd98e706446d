"""Typed legacy calls: what a v1/v2 call asked for, checked for shape, free of keys.

Every way in (module functions, the legacy SDK classes, raw HTTP) produces one of these
values; translators take nothing else. Keys found in a legacy payload (``token``,
``api_key``) are split off here into :class:`Credentials` and never reach a translator.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Optional, Union

import attrs

from ._errors import TranslationError
from ._values import as_time

__all__ = [
    "ExcludeEmailCall",
    "IdentifyCall",
    "LegacyCall",
    "SubscribeCall",
    "TrackCall",
    "UnsubscribeCall",
    "mapping_or_empty",
    "parse_identify",
    "parse_list_id",
    "parse_track",
    "string_list",
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


@attrs.frozen
class IdentifyCall:
    """``/api/identify``: create or update a profile from legacy special and custom keys."""

    properties: Mapping[str, Any]
    is_test: bool = False
    ignored_keys: tuple[str, ...] = ()


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


def mapping_or_empty(value: Any, field: str) -> Mapping[str, Any]:
    """A legacy dict argument: ``None`` means empty (the legacy payloads allowed ``null``)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise TranslationError(field, f"must be an object (dict), got {type(value).__name__}")
    return value


def string_list(value: Any, field: str) -> tuple[str, ...]:
    """A list of strings; a single string counts as a list of one."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, Iterable) or isinstance(value, (bytes, Mapping)):
        raise TranslationError(field, f"must be a list of strings, got {type(value).__name__}")
    items = tuple(value)
    for index, item in enumerate(items):
        if not isinstance(item, str):
            raise TranslationError(
                f"{field}[{index}]", f"must be a string, got {type(item).__name__}"
            )
    return items


def parse_list_id(value: Any, field: str = "list_id") -> str:
    """A list id: a non-empty string that can stand in a URL path segment."""
    if not isinstance(value, str) or not value.strip() or "/" in value:
        raise TranslationError(field, f"must be a non-empty list id without '/', got {value!r}")
    return value.strip()


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
) -> TrackCall:
    """Check the shape of a track call; the time is resolved here (``now`` when absent)."""
    if not isinstance(event, str) or not event.strip():
        raise TranslationError(
            "event", f"must be a non-empty string (the metric name), got {event!r}"
        )
    if ip is not None and not isinstance(ip, str):
        raise TranslationError("ip", f"must be an IP address string, got {type(ip).__name__}")
    return TrackCall(
        event=event,
        customer_properties=mapping_or_empty(customer_properties, "customer_properties"),
        properties=mapping_or_empty(properties, "properties"),
        time=now if time is None else as_time(time, "time", naive=naive, now=now),
        ip=ip or None,
        is_test=is_test,
        ignored_keys=ignored_keys,
    )


def parse_identify(
    properties: Any, *, is_test: bool, ignored_keys: tuple[str, ...] = ()
) -> IdentifyCall:
    """Check the shape of an identify call."""
    return IdentifyCall(
        properties=mapping_or_empty(properties, "properties"),
        is_test=is_test,
        ignored_keys=ignored_keys,
    )


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
