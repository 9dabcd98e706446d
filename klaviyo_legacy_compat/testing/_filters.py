"""The ``filter`` and ``sort`` parameters of LocalKlaviyo's list reads (new-api.md §7): the
filter grammar and its operators, what each operation may filter on (:data:`FILTERS`, the
spec's ``x-klaviyo-filters``) and sort by (:data:`SORTS`, the spec's ``sort`` enums), and
how a record is selected and ordered by them.

One table per question, one row per operation, so ``tests/testing/test_filters.py`` checks
every row against the spec. A field the spec allows but this server cannot evaluate is in
its row with ``values=None`` (501, never 400). Nothing here knows HTTP or reads a store.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any, Callable, Optional

import attrs

from klaviyo_legacy_compat.testing._protocol import Call
from klaviyo_legacy_compat.testing._store_messages import (
    CAMPAIGN_STATUSES,
    CHANNELS,
    Campaign,
    Flow,
    Template,
)
from klaviyo_legacy_compat.testing._store_records import (
    Event,
    Invalid,
    NotImplementedHere,
    Profile,
    Segment,
    Suppression,
)

__all__ = [
    "ANY_EQUALS",
    "CAMPAIGN_FILTERS",
    "CAMPAIGN_SORTS",
    "EQUALS",
    "EVENT_FILTERS",
    "EVENT_SORTS",
    "FILTERS",
    "FLOW_FILTERS",
    "FLOW_SORTS",
    "KINDS",
    "METRIC_FILTERS",
    "NO_VALUE",
    "OPERATORS",
    "PROFILE_SORTS",
    "RANGE",
    "SORTS",
    "TEMPLATE_FILTERS",
    "TEMPLATE_SORTS",
    "Bare",
    "Field",
    "Operator",
    "attribute",
    "casefold_email",
    "event_seconds",
    "matcher",
    "ordered",
    "parse_filter",
    "record_filter",
    "sort_by",
    "term",
    "when",
]

# --- the grammar (new-api.md §7.1) ------------------------------------------------------

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
    row of :data:`FILTERS`); comma-joined terms are ANDed."""
    if text is None:
        return lambda record: True
    try:
        terms = parse_filter(text)
    except ValueError as exc:
        raise Invalid(f"Invalid filter provided: {exc}.", parameter="filter") from None
    tests = [term(fields, operation, operator, name, value) for operator, name, value in terms]
    return lambda record: all(test(record) for test in tests)


def sort_by(
    items: list[Any],
    sort: Optional[str],
    keys: Mapping[str, Callable[[Any], Any]],
    *,
    where: str = "here",
) -> list[Any]:
    """``items`` in the order of a ``sort`` parameter (``name``, ``-created``: a key of
    ``keys``, ``-`` for descending); records without the value last either way. ``None``
    keeps the store's order; an unknown key is a 400 naming the parameter (and ``where``:
    "'x' is not a valid sort here.")."""
    if sort is None:
        return items
    key = keys.get(sort.removeprefix("-"))
    if key is None:
        raise Invalid(f"'{sort}' is not a valid sort {where}.", parameter="sort")
    descending = sort.startswith("-")
    # Missing values last either way: the flag flips with the direction.
    return sorted(
        items,
        key=lambda item: ((key(item) is None) != descending, key(item)),
        reverse=descending,
    )


# --- the tables (x-klaviyo-filters, sort enums) ------------------------------------------


def _global(profile: Profile) -> list[Suppression]:
    return profile.global_suppressions


def _listed(profile: Profile) -> list[Suppression]:
    return [s for s in profile.suppressions if s.list_id is not None]


def _earliest(pick: Callable[[Profile], list[Suppression]]) -> Callable[[Profile], Any]:
    return lambda profile: min((when(s.timestamp) for s in pick(profile)), default=None)


_SUPPRESSION = "subscriptions.email.marketing.suppression."
_LIST_SUPPRESSION = "subscriptions.email.marketing.list_suppressions."

#: ``get_profiles`` filters (spec ``x-klaviyo-filters``; new-api.md §7.3). ``suppression``
#: is the global email suppressions, ``list_suppressions`` the list-scoped ones, as
#: :func:`subscriptions_of` renders them.
_PROFILE_FILTERS: dict[str, Field] = {
    "id": Field(ANY_EQUALS, "string", lambda p: (p.id,)),
    "email": Field(ANY_EQUALS, "email", attribute("email")),
    "phone_number": Field(ANY_EQUALS, "string", attribute("phone_number")),
    "external_id": Field(ANY_EQUALS, "string", attribute("external_id")),
    "_kx": Field(EQUALS, "string", attribute("_kx")),
    "created": Field(frozenset({"greater-than", "less-than"}), "datetime", lambda p: (p.created,)),
    "updated": Field(frozenset({"greater-than", "less-than"}), "datetime", lambda p: (p.updated,)),
    _SUPPRESSION + "reason": Field(EQUALS, "string", lambda p: [s.reason for s in _global(p)]),
    _SUPPRESSION + "timestamp": Field(
        RANGE, "datetime", lambda p: [s.timestamp for s in _global(p)]
    ),
    _LIST_SUPPRESSION + "reason": Field(EQUALS, "string", lambda p: [s.reason for s in _listed(p)]),
    _LIST_SUPPRESSION + "list_id": Field(
        EQUALS, "string", lambda p: [s.list_id for s in _listed(p)]
    ),
    _LIST_SUPPRESSION + "timestamp": Field(
        RANGE, "datetime", lambda p: [s.timestamp for s in _listed(p)]
    ),
}

#: ``get_profiles`` sort keys (spec enum; new-api.md §3.2) → the key on a profile. Profiles
#: without a value (no email, no suppression) come last in ascending order.
PROFILE_SORTS: dict[str, Callable[[Profile], Any]] = {
    "created": lambda p: when(p.created),
    "updated": lambda p: when(p.updated),
    "id": lambda p: p.id,
    "email": lambda p: casefold_email(p.email),
    _SUPPRESSION + "timestamp": _earliest(_global),
    _LIST_SUPPRESSION + "timestamp": _earliest(_listed),
}


def _member(read: Callable[[Profile], Sequence[Any]]) -> Callable[[Any], Sequence[Any]]:
    """A profile getter read on a list member ``(profile, joined_group_at)``."""
    return lambda member: read(member[0])


#: List member filters; records are ``(profile, joined_group_at)``. The store keeps no push
#: tokens, so ``push_token`` is the spec's but not implemented.
_MEMBER_FILTERS: dict[str, Field] = {
    "email": Field(ANY_EQUALS, "email", _member(attribute("email"))),
    "phone_number": Field(ANY_EQUALS, "string", _member(attribute("phone_number"))),
    "_kx": Field(EQUALS, "string", _member(attribute("_kx"))),
    "push_token": Field(ANY_EQUALS, "string", None),
    "joined_group_at": Field(RANGE, "datetime", lambda m: (m[1],)),
}

#: ``get_segments`` sort keys (spec enum).
_SEGMENT_SORTS: dict[str, Callable[[Segment], Any]] = {
    "created": lambda s: when(s.created),
    "id": lambda s: s.id,
    "name": lambda s: s.name,
    "updated": lambda s: when(s.updated),
}


def event_seconds(event: Event) -> float:
    """An event's time as a POSIX timestamp."""
    return when(event.time).timestamp()


#: ``get_metrics`` filters (spec ``x-klaviyo-filters``).
METRIC_FILTERS: dict[str, Field] = {
    "integration.name": Field(EQUALS, "string", lambda m: (m.integration.get("name"),)),
    "integration.category": Field(EQUALS, "string", lambda m: (m.integration.get("category"),)),
}

#: ``get_events`` filters (spec ``x-klaviyo-filters``): every stored event has its profile
#: and its metric, so ``has`` holds for each.
EVENT_FILTERS: dict[str, Field] = {
    "metric_id": Field(EQUALS, "string", lambda e: (e.metric_id,)),
    "profile_id": Field(EQUALS, "string", lambda e: (e.profile_id,)),
    "profile": Field(frozenset({"has"}), "string", lambda e: (e.profile_id,)),
    "metric": Field(frozenset({"has"}), "string", lambda e: (e.metric_id,)),
    "datetime": Field(RANGE, "datetime", lambda e: (e.time,)),
    "timestamp": Field(RANGE, "number", lambda e: (event_seconds(e),)),
}

#: ``get_events`` sort keys (spec enum).
EVENT_SORTS: dict[str, Callable[[Event], Any]] = {
    "datetime": event_seconds,
    "timestamp": event_seconds,
}

#: ``get_campaigns`` filters (spec ``x-klaviyo-filters``).
CAMPAIGN_FILTERS: dict[str, Field] = {
    "id": Field(frozenset({"any"}), "string", lambda c: (c.id,)),
    "messages.channel": Field(EQUALS, "string", lambda c: c.channels, CHANNELS),
    "name": Field(frozenset({"contains"}), "string", lambda c: (c.name,)),
    "status": Field(ANY_EQUALS, "string", lambda c: (c.status,), CAMPAIGN_STATUSES),
    "archived": Field(EQUALS, "boolean", lambda c: (c.archived,)),
    "created_at": Field(RANGE, "datetime", lambda c: (c.created_at,)),
    "scheduled_at": Field(RANGE, "datetime", lambda c: (c.scheduled_at,)),
    "updated_at": Field(RANGE, "datetime", lambda c: (c.updated_at,)),
}

#: ``get_campaigns`` sort keys (spec enum); campaigns never scheduled come last ascending.
CAMPAIGN_SORTS: dict[str, Callable[[Campaign], Any]] = {
    "created_at": lambda c: when(c.created_at),
    "id": lambda c: c.id,
    "name": lambda c: c.name,
    "scheduled_at": lambda c: when(c.scheduled_at) if c.scheduled_at else None,
    "updated_at": lambda c: when(c.updated_at),
}

#: ``get_flows`` filters (spec ``x-klaviyo-filters``).
FLOW_FILTERS: dict[str, Field] = {
    "id": Field(frozenset({"any"}), "string", lambda f: (f.id,)),
    "name": Field(
        frozenset({"contains", "ends-with", "equals", "starts-with"}), "string", lambda f: (f.name,)
    ),
    "status": Field(EQUALS, "string", lambda f: (f.status,)),
    "archived": Field(EQUALS, "boolean", lambda f: (f.archived,)),
    "created": Field(EQUALS | RANGE, "datetime", lambda f: (f.created,)),
    "updated": Field(EQUALS | RANGE, "datetime", lambda f: (f.updated,)),
    "trigger_type": Field(
        EQUALS,
        "string",
        lambda f: (f.trigger_type,),
        frozenset(
            {"Metric", "Added to List", "Unconfigured", "Date Based", "Price Drop", "Low Inventory"}
        ),
    ),
}

#: ``get_flows`` sort keys (spec enum).
FLOW_SORTS: dict[str, Callable[[Flow], Any]] = {
    "created": lambda f: when(f.created),
    "id": lambda f: f.id,
    "name": lambda f: f.name,
    "status": lambda f: f.status,
    "trigger_type": lambda f: f.trigger_type,
    "updated": lambda f: when(f.updated),
}

#: ``get_templates`` filters (spec ``x-klaviyo-filters``).
TEMPLATE_FILTERS: dict[str, Field] = {
    "id": Field(frozenset({"any", "equals"}), "string", lambda t: (t.id,)),
    "name": Field(frozenset({"any", "contains", "equals"}), "string", lambda t: (t.name,)),
    "created": Field(EQUALS | RANGE, "datetime", lambda t: (t.created,)),
    "updated": Field(EQUALS | RANGE, "datetime", lambda t: (t.updated,)),
}

#: ``get_templates`` sort keys (spec enum).
TEMPLATE_SORTS: dict[str, Callable[[Template], Any]] = {
    "created": lambda t: when(t.created),
    "id": lambda t: t.id,
    "name": lambda t: t.name,
    "updated": lambda t: when(t.updated),
}

#: Allowed filter fields per operation (spec ``x-klaviyo-filters``; new-api.md §7.3).
FILTERS: dict[str, dict[str, Field]] = {
    "get_profiles": _PROFILE_FILTERS,
    "get_profiles_for_list": _MEMBER_FILTERS,
    "get_profile_ids_for_list": _MEMBER_FILTERS,
    "get_lists": {
        "id": Field(ANY_EQUALS, "string", lambda r: (r.id,)),
        "name": Field(ANY_EQUALS, "string", lambda r: (r.name,)),
        "created": Field(frozenset({"greater-than"}), "datetime", lambda r: (r.created,)),
        "updated": Field(frozenset({"greater-than"}), "datetime", lambda r: (r.updated,)),
    },
    # get_segments: the spec's fields; a segment here is always active and never starred.
    "get_segments": {
        "id": Field(ANY_EQUALS, "string", lambda s: (s.id,)),
        "name": Field(ANY_EQUALS, "string", lambda s: (s.name,)),
        "created": Field(frozenset({"greater-than"}), "datetime", lambda s: (s.created,)),
        "updated": Field(frozenset({"greater-than"}), "datetime", lambda s: (s.updated,)),
        "is_active": Field(ANY_EQUALS, "boolean", lambda s: (True,)),
        "is_starred": Field(EQUALS, "boolean", lambda s: (False,)),
    },
    "get_profiles_for_segment": {
        **_MEMBER_FILTERS,
        "profile_id": Field(ANY_EQUALS, "string", _member(lambda p: (p.id,))),
    },
    "get_metrics": METRIC_FILTERS,
    "get_events": EVENT_FILTERS,
    "get_campaigns": CAMPAIGN_FILTERS,
    "get_flows": FLOW_FILTERS,
    "get_templates": TEMPLATE_FILTERS,
}

#: Sort keys per operation (the spec's ``sort`` enums). List members sort by
#: ``joined_group_at`` only, by their own rule (``_lists``).
SORTS: dict[str, Mapping[str, Callable[[Any], Any]]] = {
    "get_profiles": PROFILE_SORTS,
    "get_segments": _SEGMENT_SORTS,
    "get_events": EVENT_SORTS,
    "get_campaigns": CAMPAIGN_SORTS,
    "get_flows": FLOW_SORTS,
    "get_templates": TEMPLATE_SORTS,
}


def record_filter(call: Call) -> Callable[[Any], bool]:
    """A predicate over the records of ``call``'s operation for its ``filter`` parameter
    (the operation's row of :data:`FILTERS`)."""
    operation = call.row.operation
    return matcher(FILTERS.get(operation, {}), operation, call.query.get("filter"))


def ordered(call: Call, items: list[Any], *, where: str = "here") -> list[Any]:
    """``items`` in the order of ``call``'s ``sort`` parameter (the operation's row of
    :data:`SORTS`; see :func:`sort_by`)."""
    return sort_by(items, call.query.get("sort"), SORTS[call.row.operation], where=where)
