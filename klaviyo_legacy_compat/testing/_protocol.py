"""The pieces of Klaviyo's JSON:API that every operation of
:class:`~klaviyo_legacy_compat.testing.LocalKlaviyo` shares: JSON:API errors and answers,
request-body readers that point at what is wrong (``source.pointer``), the ``filter``
grammar and its field tables (new-api.md §7), sparse fieldsets, cursor pages (§5), and the
rendering of a profile. Nothing here knows HTTP or a particular operation.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Optional, TypeVar
from urllib.parse import urlencode

import attrs

from klaviyo_legacy_compat._endpoints import Endpoint
from klaviyo_legacy_compat.testing._store_records import (
    DuplicateProfile,
    Invalid,
    NotFound,
    Profile,
    StoreError,
    utc_now,
)

__all__ = [
    "ANY_EQUALS",
    "EQUALS",
    "KINDS",
    "LOCATION_FIELDS",
    "NO_VALUE",
    "OPERATORS",
    "RANGE",
    "Bare",
    "Call",
    "Field",
    "NotImplementedHere",
    "Operator",
    "Reply",
    "additional",
    "attribute",
    "capped",
    "capped_data",
    "casefold_email",
    "data_of",
    "decode_cursor",
    "encode_cursor",
    "error",
    "json_array",
    "json_object",
    "matcher",
    "optional_text",
    "page",
    "parse_filter",
    "parse_time",
    "relationship_ids",
    "render_profile",
    "request_data",
    "required_text",
    "resource_object",
    "sort_by",
    "sparse",
    "store_error",
    "subscriptions_of",
    "term",
    "when",
]

T = TypeVar("T")

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
class Reply:
    """An answer: status, JSON body (``None`` for none) and extra headers."""

    status: int
    body: Any = None
    headers: tuple[tuple[str, str], ...] = ()


def error(
    status: int,
    detail: str,
    *,
    code: Optional[str] = None,
    pointer: Optional[str] = None,
    parameter: Optional[str] = None,
    meta: Optional[Mapping[str, Any]] = None,
    headers: tuple[tuple[str, str], ...] = (),
) -> Reply:
    """A JSON:API error document (new-api.md §4)."""
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
    return Reply(status, {"errors": [item]}, headers)


def store_error(exc: StoreError) -> Reply:
    """The JSON:API error of a store failure."""
    status, code = _STORE_ERRORS.get(type(exc), (400, "invalid"))
    meta = {"duplicate_profile_id": exc.profile_id} if isinstance(exc, DuplicateProfile) else None
    return error(
        status, exc.detail, code=code, pointer=exc.pointer, parameter=exc.parameter, meta=meta
    )


# --- parsing helpers ---

LOCATION_FIELDS = frozenset(
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


# --- filters (new-api.md §7) -----------------------------------------------------------------

# Field names are dotted (``messages.channel``) or, in metric aggregates, dimension names
# with ``$`` and spaces (``$flow``, ``Campaign Name``).
_FILTER_HEAD = re.compile(r"\s*([a-z-]+)\(\s*([A-Za-z_$][\w.$ ]*?)\s*([,)])")
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


class _NoValue:
    """The value of an operator written without one: ``has(profile)``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NO_VALUE"


#: What :func:`parse_filter` gives as the value of ``has(field)`` (new-api.md §7.1).
NO_VALUE: Any = _NoValue()


def parse_filter(text: str) -> list[tuple[str, str, Any]]:
    """``equals(email,"a@b.c"),any(id,["x","y"])`` → ``[(operator, field, value), ...]``
    (comma-joined expressions are ANDed; strings in double or single quotes; lists in
    brackets; ``has(field)`` has :data:`NO_VALUE`: new-api.md §7.1). ``ValueError`` on bad
    syntax."""
    out: list[tuple[str, str, Any]] = []
    pos = 0
    while True:
        head = _FILTER_HEAD.match(text, pos)
        if head is None:
            raise ValueError(f"an expression like equals(field,value) is expected at {pos}")
        if head.group(3) == ",":
            value, pos = _filter_value(text, _skip(text, head.end()))
            pos = _skip(text, pos)
        else:
            value, pos = NO_VALUE, head.end() - 1
        if not text.startswith(")", pos):
            raise ValueError(f"')' expected at {pos}")
        out.append((head.group(1), head.group(2), value))
        pos = _skip(text, pos + 1)
        if pos == len(text):
            return out
        if not text.startswith(",", pos):
            raise ValueError(f"',' expected at {pos}")
        pos += 1


def when(value: Any) -> datetime:
    """An ISO-8601 time (filters write datetimes unquoted, often with ``Z``: new-api.md §7.1)
    as an aware UTC datetime; a time without an offset is read as UTC. ``ValueError``
    otherwise."""
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not an ISO-8601 datetime")
    moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def _as_is(value: Any) -> Any:
    return value


def casefold_email(value: Any) -> Any:
    # Email addresses are matched without regard to case, like the store's lookups.
    return value.casefold() if isinstance(value, str) else value


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"{value!r} is not a number")
    return float(value)


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{value!r} is not true or false")
    return value


#: Value type of a filter field → how filter values and stored values are made comparable.
KINDS: dict[str, Callable[[Any], Any]] = {
    "string": _as_is,
    "email": casefold_email,
    "datetime": when,
    "number": _number,
    "boolean": _boolean,
}

#: Value types whose filter values must be written unquoted (new-api.md §7.1: datetimes;
#: numbers and booleans are bare tokens by nature).
_UNQUOTED_KINDS = frozenset({"datetime", "number"})


@attrs.frozen
class Operator:
    """A filter operator: which value forms it takes (one value, a bracketed list, none) and
    its test of a stored value against the filter's values."""

    single: bool
    many: bool
    test: Callable[[Any, Sequence[Any]], bool]
    none: bool = False


def _text_test(test: Callable[[str, str], bool]) -> Callable[[Any, Sequence[Any]], bool]:
    return lambda have, want: (
        isinstance(have, str) and isinstance(want[0], str) and test(have, want[0])
    )


#: The operators the spec uses on the implemented operations (new-api.md §7.2, §7.3).
#: ``contains``, ``starts-with`` and ``ends-with`` compare text as written (case-sensitive:
#: the spec says nothing about case); ``has`` asks whether a record has the relationship.
OPERATORS: dict[str, Operator] = {
    "equals": Operator(True, True, lambda have, want: have in want),
    "any": Operator(False, True, lambda have, want: have in want),
    "greater-than": Operator(True, False, lambda have, want: have > want[0]),
    "greater-or-equal": Operator(True, False, lambda have, want: have >= want[0]),
    "less-than": Operator(True, False, lambda have, want: have < want[0]),
    "less-or-equal": Operator(True, False, lambda have, want: have <= want[0]),
    "contains": Operator(True, False, _text_test(lambda have, want: want in have)),
    "starts-with": Operator(True, False, _text_test(str.startswith)),
    "ends-with": Operator(True, False, _text_test(str.endswith)),
    "has": Operator(False, False, lambda have, want: True, none=True),
}


@attrs.frozen
class Field:
    """A filterable field: the operators the spec allows on it, its value type (a
    :data:`KINDS` key), and its values on a record. Several values (a profile's
    suppressions) match when any one does. ``values=None``: the spec allows the field but
    this server does not implement it (501). ``choices``: the values the spec's enum
    allows (others are a 400)."""

    operators: frozenset[str]
    kind: str
    values: Optional[Callable[[Any], Sequence[Any]]]
    choices: Optional[frozenset[Any]] = None


def attribute(name: str) -> Callable[[Any], Sequence[Any]]:
    """The values of a profile attribute, for :class:`Field`."""
    return lambda profile: (profile.attributes.get(name),)


ANY_EQUALS = frozenset({"any", "equals"})
EQUALS = frozenset({"equals"})
RANGE = frozenset({"greater-than", "greater-or-equal", "less-than", "less-or-equal"})


def _form(spec: Operator, value: Any) -> bool:
    """Whether ``value`` is of a form the operator takes."""
    if value is NO_VALUE:
        return spec.none
    return spec.many if isinstance(value, list) else spec.single


def term(
    fields: Mapping[str, Field], operation: str, operator: str, name: str, value: Any
) -> Callable[[Any], bool]:
    """One ``operator(field,value)`` over ``operation``'s fields as a predicate over a
    record: 400 for what the spec does not allow, 501 for what it allows but this server
    does not do."""
    field = fields.get(name)
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
    spec = OPERATORS[operator]
    if not _form(spec, value):
        form = "no value" if spec.none else "a list of values" if spec.many else "a single value"
        raise Invalid(f"'{operator}' takes {form}.", parameter="filter")
    test = spec.test
    if spec.none:
        return lambda record: any(v is not None for v in read(record))
    normal = KINDS[field.kind]
    given = value if isinstance(value, list) else [value]
    if field.kind in _UNQUOTED_KINDS and not all(isinstance(v, Bare) for v in given):
        raise Invalid(f"Values of '{name}' are written unquoted.", parameter="filter")
    if field.choices is not None and not set(given) <= field.choices:
        allowed = ", ".join(sorted(map(str, field.choices)))
        raise Invalid(f"Values of '{name}' must be one of {allowed}.", parameter="filter")
    try:
        wanted = [normal(v) for v in given]
    except ValueError as exc:
        raise Invalid(f"Invalid filter value for '{name}': {exc}.", parameter="filter") from None

    def matches(record: Any) -> bool:
        return any(test(normal(v), wanted) for v in read(record) if v is not None)

    return matches


def matcher(
    fields: Mapping[str, Field], operation: str, text: Optional[str]
) -> Callable[[Any], bool]:
    """A predicate over ``operation``'s records for its ``filter`` parameter (``fields``: its
    row of the server's ``FILTERS``); comma-joined terms are ANDed."""
    if text is None:
        return lambda record: True
    try:
        terms = parse_filter(text)
    except ValueError as exc:
        raise Invalid(f"Invalid filter provided: {exc}.", parameter="filter") from None
    tests = [term(fields, operation, operator, name, value) for operator, name, value in terms]
    return lambda record: all(test(record) for test in tests)


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


def subscriptions_of(profile: Profile) -> dict[str, Any]:
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


def sparse(attributes: dict[str, Any], fields: Optional[str]) -> dict[str, Any]:
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


def additional(query: Mapping[str, str], type_: str) -> set[str]:
    """The names of ``additional-fields[type_]`` (new-api.md §8)."""
    return {f.strip() for f in query.get(f"additional-fields[{type_}]", "").split(",") if f}


# --- calls and pages ---


@attrs.frozen
class Call:
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


def encode_cursor(offset: int) -> str:
    """The opaque ``page[cursor]`` of the page starting at ``offset``."""
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{offset}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The offset a cursor of :func:`encode_cursor` stands for; 400 for any other text."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not text.startswith(_CURSOR_PREFIX):
            raise ValueError(text)
        return max(0, int(text[len(_CURSOR_PREFIX) :]))
    except ValueError:
        raise Invalid("Invalid page cursor.", parameter="page[cursor]") from None


def page(
    call: Call, items: Sequence[T], *, default: int, maximum: int
) -> tuple[Sequence[T], dict[str, Any]]:
    """One page and its ``links`` (cursor pagination; new-api.md §5: ``links.next`` is a
    full URL carrying ``page[cursor]`` and the original parameters)."""
    raw = call.query.get("page[size]")
    try:
        size = default if raw is None else int(raw)
    except ValueError:
        size = 0
    if not 1 <= size <= maximum:
        raise Invalid(f"page[size] must be an integer from 1 to {maximum}.", parameter="page[size]")
    cursor = call.query.get("page[cursor]")
    offset = 0 if cursor is None else decode_cursor(cursor)
    links: dict[str, Any] = {"self": call.url()}
    if offset + size < len(items):
        links["next"] = call.url({**call.query, "page[cursor]": encode_cursor(offset + size)})
    if offset > 0:
        links["prev"] = call.url(
            {**call.query, "page[cursor]": encode_cursor(max(0, offset - size))}
        )
    return items[offset : offset + size], links


def render_profile(
    call: Call, profile: Profile, extra: Optional[Mapping[str, Any]] = None
) -> dict[str, Any]:
    """A ``profile`` resource (spec ``ProfileResponseObjectResource``), ``extra`` attributes
    added (``joined_group_at``), sparse per ``fields[profile]``, with ``subscriptions`` when
    ``additional-fields[profile]`` asks."""
    location = profile.attributes.get("location") or {}
    attributes: dict[str, Any] = {
        name: profile.attributes.get(name) for name in _RENDERED_PROFILE_FIELDS
    }
    attributes.update(
        created=profile.created,
        updated=profile.updated,
        last_event_date=profile.last_event_date,
        location={name: location.get(name) for name in sorted(LOCATION_FIELDS)},
        properties=dict(profile.properties),
    )
    attributes.update(extra or {})
    attributes = sparse(attributes, call.query.get("fields[profile]"))
    if "subscriptions" in additional(call.query, "profile"):
        attributes["subscriptions"] = subscriptions_of(profile)
    return {
        "type": "profile",
        "id": profile.id,
        "attributes": attributes,
        "links": {"self": f"{call.base_url}/api/profiles/{profile.id}/"},
    }


def sort_by(
    items: list[Any], sort: Optional[str], keys: Mapping[str, Callable[[Any], Any]]
) -> list[Any]:
    """``items`` in the order of a ``sort`` parameter (``name``, ``-created``: a key of
    ``keys``, ``-`` for descending); records without the value last. ``None`` keeps the
    store's order; an unknown key is a 400 naming the parameter."""
    if sort is None:
        return items
    key = keys.get(sort.removeprefix("-"))
    if key is None:
        raise Invalid(f"'{sort}' is not a valid sort here.", parameter="sort")
    descending = sort.startswith("-")
    return sorted(
        items,
        key=lambda item: ((key(item) is None) != descending, key(item)),
        reverse=descending,
    )
