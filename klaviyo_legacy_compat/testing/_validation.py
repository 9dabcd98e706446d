"""What LocalKlaviyo checks in a request body before anything is stored: readers of the
JSON:API document that name what is wrong by ``source.pointer`` (an object, an array, a
string, a resource of the right ``type``, a relationship, a per-call cap, a date-time), and
the spec's rules for the profile and event blocks every write shares (new-api.md §3: the
attributes each write accepts, email and E.164 shapes, at least one identifier, the metric
name and value of an event).

Each failure is an :class:`~klaviyo_legacy_compat.testing._store_records.Invalid` (400); the
operations call these readers and hand the store plain values. The rules one operation alone
has (a campaign's send strategy, a template's editor) stay beside its handler.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any, Optional

from klaviyo_legacy_compat._core.endpoints import Endpoint
from klaviyo_legacy_compat.testing._protocol import RENDERED_PROFILE_ATTRIBUTES
from klaviyo_legacy_compat.testing._store_records import (
    IDENTIFIERS,
    LOCATION_FIELDS,
    Invalid,
    NewEvent,
    ProfileRef,
    utc_now,
)

__all__ = [
    "PROFILE_ATTRIBUTES",
    "capped",
    "capped_data",
    "data_of",
    "json_array",
    "json_object",
    "known_fields",
    "new_event",
    "optional_text",
    "parse_time",
    "profile_attributes",
    "profile_ref",
    "relationship_ids",
    "request_data",
    "required_text",
    "resource_object",
    "resource_of",
    "strings",
]

# --- the document ----------------------------------------------------------------------------


def json_object(value: Any, pointer: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Invalid(f"{pointer or '/'} must be an object.", pointer=pointer or "/")
    return value


def json_array(value: Any, pointer: str) -> list[Any]:
    if not isinstance(value, list):
        raise Invalid(f"{pointer} must be an array.", pointer=pointer)
    return value


def required_text(value: Any, pointer: str) -> str:
    if not isinstance(value, str):
        raise Invalid(f"{pointer} must be a string.", pointer=pointer)
    return value


def optional_text(value: Any, pointer: str, *, nullable: bool = True) -> Optional[str]:
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        raise Invalid(f"{pointer} must be a string.", pointer=pointer)
    return value


def resource_object(value: Any, pointer: str, type_: str) -> dict[str, Any]:
    """A resource object ``{"type": type_, ...}``."""
    found = json_object(value, pointer)
    if found.get("type") != type_:
        raise Invalid(
            f"Expected type {type_!r}, got {found.get('type')!r}.", pointer=f"{pointer}/type"
        )
    return found


def request_data(body: Any, type_: str) -> dict[str, Any]:
    """The ``data`` resource object of a JSON:API request document."""
    return resource_object(json_object(body, "").get("data"), "/data", type_)


def capped(count: int, row: Endpoint, pointer: str) -> None:
    # Per-call caps come from the endpoint table (description prose; new-api.md §10.3).
    if count == 0:
        raise Invalid(f"{pointer} must not be empty.", pointer=pointer)
    if row.max_items is not None and count > row.max_items:
        raise Invalid(
            f"At most {row.max_items} items are allowed per request; got {count}.",
            pointer=pointer,
        )


def resource_of(parent: Mapping[str, Any], key: str, pointer: str, type_: str) -> dict[str, Any]:
    """The resource object ``parent[key].data`` of type ``type_`` (``{"profile": {"data":
    {"type": "profile", ...}}}``)."""
    return resource_object(
        json_object(parent.get(key), f"{pointer}/{key}").get("data"), f"{pointer}/{key}/data", type_
    )


def data_of(parent: Mapping[str, Any], key: str, pointer: str) -> list[Any]:
    """The ``data`` array of ``parent[key]`` (``{"profiles": {"data": [...]}}``)."""
    return json_array(
        json_object(parent.get(key), f"{pointer}/{key}").get("data"), f"{pointer}/{key}/data"
    )


def capped_data(parent: Mapping[str, Any], key: str, pointer: str, row: Endpoint) -> list[Any]:
    items = data_of(parent, key, pointer)
    capped(len(items), row, f"{pointer}/{key}/data")
    return items


def parse_time(value: Any, pointer: str) -> datetime:
    text = required_text(value, pointer)
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


def strings(value: Any, pointer: str, allowed: Optional[Collection[str]] = None) -> list[str]:
    """An array of strings; given ``allowed``, each must be one of them."""
    items = json_array(value, pointer)
    out = [required_text(item, f"{pointer}/{i}") for i, item in enumerate(items)]
    for i, item in enumerate(out):
        if allowed is not None and item not in allowed:
            raise Invalid(f"{item!r} is not one of {sorted(allowed)}.", pointer=f"{pointer}/{i}")
    return out


def known_fields(
    value: Mapping[str, Any], allowed: Collection[str], pointer: str, what: str
) -> None:
    """A 400 for the first member of ``value`` not in ``allowed``, naming it: "'x' is not a
    valid field for {what}." (Klaviyo's answer to an unknown attribute)."""
    for name in value:
        if name not in allowed:
            raise Invalid(f"'{name}' is not a valid field for {what}.", pointer=f"{pointer}/{name}")


def relationship_ids(value: Any, pointer: str, type_: str, *, many: bool) -> list[str]:
    """The ids of a relationship ``{"data": {...}}`` or ``{"data": [...]}``."""
    data = json_object(value, pointer).get("data")
    items = json_array(data, f"{pointer}/data") if many else [data]
    out = []
    for i, item in enumerate(items):
        where = f"{pointer}/data/{i}" if many else f"{pointer}/data"
        found = resource_object(item, where, type_)
        out.append(required_text(found.get("id"), f"{where}/id"))
    return out


# --- profiles and events (new-api.md §3) -----------------------------------------------------

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")

#: What a profile body may hold: the attributes a profile answers with, plus its location
#: and custom properties (which are rendered on their own).
_PROFILE_FIELDS = frozenset({*RENDERED_PROFILE_ATTRIBUTES, "location", "properties"})
#: Profile attributes each write accepts (spec request schemas; new-api.md §3 "PA").
PROFILE_ATTRIBUTES: dict[str, frozenset[str]] = {
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


def profile_attributes(value: Any, pointer: str, allowed: frozenset[str]) -> dict[str, Any]:
    """A profile attribute block, checked field by field (spec profile schemas)."""
    attributes = json_object(value, pointer)
    for name, item in attributes.items():
        where = f"{pointer}/{name}"
        if name not in allowed:
            raise Invalid(
                f"'{name}' is not a valid field for the resource 'profile'.", pointer=where
            )
        if name in ("location", "properties", "meta", "subscriptions"):
            if item is not None:
                json_object(item, where)
            if name == "location" and item:
                unknown = set(item) - LOCATION_FIELDS
                if unknown:
                    raise Invalid(f"Unknown location field(s): {sorted(unknown)}.", pointer=where)
            continue
        text = optional_text(item, where)
        if text is not None and name == "email" and not _EMAIL.match(text):
            raise Invalid(f"Invalid email address: {text!r}.", pointer=where)
        if text is not None and name == "phone_number" and not _E164.match(text):
            raise Invalid(f"Invalid phone number, expected E.164: {text!r}.", pointer=where)
    return attributes


def profile_ref(
    data: Mapping[str, Any], pointer: str, allowed: frozenset[str], *, meta_inside: bool = False
) -> ProfileRef:
    """The profile of a write; ``meta_inside``: events carry ``meta`` inside ``attributes``
    (new-api.md §3.1)."""
    attributes = dict(profile_attributes(data.get("attributes"), f"{pointer}/attributes", allowed))
    meta = attributes.pop("meta", None) if meta_inside else data.get("meta")
    profile_id = optional_text(data.get("id"), f"{pointer}/id")
    if profile_id is None and not any(isinstance(attributes.get(k), str) for k in IDENTIFIERS):
        raise Invalid(f"The profile {_NEEDS_IDENTIFIER}.", pointer=f"{pointer}/attributes")
    if meta is not None:
        json_object(meta, f"{pointer}/meta")
    return ProfileRef(profile_id, attributes, meta)


def new_event(attributes: Mapping[str, Any], pointer: str) -> NewEvent:
    """The event fields of ``create_event`` (spec ``EventCreateQueryV2``) or of one bulk
    event."""
    properties = json_object(attributes.get("properties"), f"{pointer}/properties")
    metric = resource_of(attributes, "metric", pointer, "metric")
    metric_attributes = json_object(metric.get("attributes"), f"{pointer}/metric/data/attributes")
    name_pointer = f"{pointer}/metric/data/attributes/name"
    name = required_text(metric_attributes.get("name"), name_pointer)
    if not name or len(name) >= 128:  # "< 128 chars" (new-api.md §3.1)
        raise Invalid("The metric name must have 1 to 127 characters.", pointer=name_pointer)
    value = attributes.get("value")
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise Invalid("value must be a number.", pointer=f"{pointer}/value")
    raw_time = attributes.get("time")
    return NewEvent(
        metric=name,
        properties=properties,
        time=None if raw_time is None else parse_time(raw_time, f"{pointer}/time"),
        value=None if value is None else float(value),
        value_currency=optional_text(attributes.get("value_currency"), f"{pointer}/value_currency"),
        unique_id=optional_text(attributes.get("unique_id"), f"{pointer}/unique_id"),
    )
