"""LocalKlaviyo's metric and event reads (new-api.md §3.7): ``get_metrics``, ``get_metric``,
``get_events`` and ``query_metric_aggregates``, over the metrics and events the store keeps
(an event created through ``create_event`` or a bulk job makes its metric by name).

- Metrics page by a fixed 200 (no ``page[size]``); filters ``integration.name`` and
  ``integration.category``.
- Events: filters, sorts, includes and page sizes of the spec's ``get_events``. An event's
  ``event_properties`` are the properties it was sent with, and ``$value`` when it had a
  value (the new API takes the value beside the properties; reads show it among them, where
  v1 had it). ``uuid`` is derived from the event id.
- Aggregates count events (``count``), distinct profiles (``unique``) and sum event values
  (``sum_value``) per ``interval`` bucket in ``timezone``, split by the ``by`` dimensions
  (event properties of those names). The ``filter`` list must bound ``datetime`` with
  ``greater-or-equal`` and ``less-than`` (spec); the other terms are ``equals``/``any`` on
  dimensions. Buckets start at the bucket boundary in ``timezone`` (days at midnight, weeks
  on Monday, months on the first), listed in ``dates`` in UTC. Rows beyond ``page_size``
  are left out: the spec's answer has no link to a next page. ``return_fields`` is not
  implemented (501).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Optional

from klaviyo_legacy_compat._core.translate.metrics import AGGREGATE_DIMENSIONS
from klaviyo_legacy_compat.testing._filters import (
    ANY_EQUALS,
    NO_VALUE,
    ordered,
    parse_filter,
    record_filter,
    when,
)
from klaviyo_legacy_compat.testing._protocol import (
    Call,
    Reply,
    includes,
    one,
    page,
    relationship,
    render_profile,
    resource,
)
from klaviyo_legacy_compat.testing._store_messages import Account
from klaviyo_legacy_compat.testing._store_records import (
    Event,
    Invalid,
    Metric,
    NotImplementedHere,
    iso,
)
from klaviyo_legacy_compat.testing._validation import (
    json_array,
    json_object,
    optional_text,
    request_data,
    required_text,
    strings,
)

__all__ = [
    "AGGREGATE_DIMENSIONS",
    "INTERVALS",
    "MEASUREMENTS",
    "MetricOperations",
    "aggregate",
]


# The dimensions aggregates group (``by``) and filter on are the spec's enum of
# ``MetricAggregateQueryResourceObject.attributes.by``: one table, the translator's.


def _first_of_month(moment: datetime) -> datetime:
    return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _next_month(moment: datetime) -> datetime:
    return moment.replace(year=moment.year + moment.month // 12, month=moment.month % 12 + 1)


#: ``interval`` → (start of the bucket holding a local time, start of the next bucket).
INTERVALS: dict[str, tuple[Callable[[datetime], datetime], Callable[[datetime], datetime]]] = {
    "hour": (
        lambda t: t.replace(minute=0, second=0, microsecond=0),
        lambda t: t + timedelta(hours=1),
    ),
    "day": (
        lambda t: t.replace(hour=0, minute=0, second=0, microsecond=0),
        lambda t: t + timedelta(days=1),
    ),
    "week": (
        lambda t: (t - timedelta(days=t.weekday())).replace(
            hour=0, minute=0, second=0, microsecond=0
        ),
        lambda t: t + timedelta(weeks=1),
    ),
    "month": (_first_of_month, _next_month),
}


def _count(events: Sequence[Event]) -> float:
    return len(events)


def _unique(events: Sequence[Event]) -> float:
    return len({e.profile_id for e in events})


def _sum_value(events: Sequence[Event]) -> float:
    return sum(e.value or 0.0 for e in events)


#: Aggregate measurement → its value over one bucket's events.
MEASUREMENTS: dict[str, Callable[[Sequence[Event]], float]] = {
    "count": _count,
    "unique": _unique,
    "sum_value": _sum_value,
}

_ATTRIBUTES = "/data/attributes"


def _event_properties(event: Event) -> dict[str, Any]:
    properties = dict(event.properties)
    if event.value is not None:
        properties.setdefault("$value", event.value)
    return properties


def _dimension(event: Event, name: str) -> str:
    # An event without the property falls in the empty-valued group.
    value = event.properties.get(name)
    return "" if value is None else str(value)


def _dimension_in(name: str, values: Sequence[Any]) -> Callable[[Event], bool]:
    """Whether an event's dimension ``name`` is one of ``values`` (compared as text)."""
    wanted = {str(v) for v in values}
    return lambda event: _dimension(event, name) in wanted


def _zone(value: Any) -> Any:
    """The ``timezone`` attribute as a tzinfo (IANA names, case-sensitive; spec)."""
    name = optional_text(value, f"{_ATTRIBUTES}/timezone") or "UTC"
    if name == "UTC":
        return timezone.utc  # the default, with or without a tz database on the machine
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(
            f"Unknown timezone {name!r}: an IANA name such as 'America/New_York'.",
            pointer=f"{_ATTRIBUTES}/timezone",
        ) from None


def _bound(value: Any, zone: Any, pointer: str) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise Invalid(f"Invalid datetime in the filter: {value!r}.", pointer=pointer) from None
    # A time without an offset is read in the query's timezone.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def _aggregate_filters(
    raw: Sequence[Any], zone: Any
) -> tuple[datetime, datetime, list[Callable[[Event], bool]]]:
    """(start, end, dimension tests) of the aggregate ``filter`` list."""
    start: Optional[datetime] = None
    end: Optional[datetime] = None
    tests: list[Callable[[Event], bool]] = []
    for i, item in enumerate(raw):
        pointer = f"{_ATTRIBUTES}/filter/{i}"
        text = required_text(item, pointer)
        try:
            terms = parse_filter(text)
        except ValueError as exc:
            raise Invalid(f"Invalid filter provided: {exc}.", pointer=pointer) from None
        for operator, name, value in terms:
            if name == "datetime" and operator == "greater-or-equal" and value is not NO_VALUE:
                start = _bound(value, zone, pointer)
            elif name == "datetime" and operator == "less-than" and value is not NO_VALUE:
                end = _bound(value, zone, pointer)
            elif name in AGGREGATE_DIMENSIONS and operator in ANY_EQUALS:
                tests.append(_dimension_in(name, value if isinstance(value, list) else [value]))
            else:
                raise Invalid(
                    f"'{operator}({name})' is not a filter of metric aggregates: the time range "
                    "is greater-or-equal(datetime,...) and less-than(datetime,...), dimensions "
                    "take equals or any.",
                    pointer=pointer,
                )
    if start is None or end is None:
        raise Invalid(
            "The filter must bound the time range with greater-or-equal(datetime,...) and "
            "less-than(datetime,...).",
            pointer=f"{_ATTRIBUTES}/filter",
        )
    if end <= start:
        raise Invalid("The time range is empty.", pointer=f"{_ATTRIBUTES}/filter")
    return start, end, tests


def _buckets(start: datetime, end: datetime, interval: str, zone: Any) -> list[datetime]:
    """The starts of the buckets covering [start, end), as aware local times."""
    floor, following = INTERVALS[interval]
    moment = floor(start.astimezone(zone))
    out = []
    while moment < end:
        out.append(moment)
        # Local arithmetic, then the zone's offset of the new wall time (DST).
        moment = following(moment.replace(tzinfo=None)).replace(tzinfo=zone)
    return out


def aggregate(
    events: Iterable[Event],
    *,
    measurements: Sequence[str],
    interval: str,
    start: datetime,
    end: datetime,
    zone: Any,
    by: Sequence[str],
) -> tuple[list[str], list[dict[str, Any]]]:
    """(``dates``, ``data`` rows) of an aggregate over ``events`` (already filtered)."""
    buckets = _buckets(start, end, interval, zone)
    groups: dict[tuple[str, ...], list[list[Event]]] = {}
    for event in events:
        moment = when(event.time)
        if not start <= moment < end:
            continue
        local = moment.astimezone(zone)
        index = max(i for i, b in enumerate(buckets) if b <= local)
        key = tuple(_dimension(event, name) for name in by)
        groups.setdefault(key, [[] for _ in buckets])[index].append(event)
    if not by:
        groups.setdefault((), [[] for _ in buckets])
    rows = [
        {
            "dimensions": list(key),
            "measurements": {
                m: [MEASUREMENTS[m](bucket) for bucket in series] for m in measurements
            },
        }
        for key, series in sorted(groups.items())
    ]
    return [iso(b) for b in buckets], rows


class MetricOperations:
    """The handlers of metric and event reads (mixed into ``_operations.Operations``)."""

    store: Account

    def _metric(self, call: Call, metric: Metric) -> dict[str, Any]:
        attributes = {
            "name": metric.name,
            "created": metric.created,
            "updated": metric.updated,
            "integration": dict(metric.integration),
        }
        return resource(call, "metric", metric.id, attributes, path=f"/api/metrics/{metric.id}")

    @staticmethod
    def _no_flow_triggers(call: Call) -> None:
        if "flow-triggers" in includes(call):
            raise NotImplementedHere(
                "LocalKlaviyo does not link flows to the metrics that trigger them.",
                parameter="include",
            )

    def get_metrics(self, call: Call) -> Reply:
        """``GET /api/metrics``: a fixed 200 a page (new-api.md §5)."""
        self._no_flow_triggers(call)
        match = record_filter(call)
        found = [m for m in self.store.metrics if match(m)]
        items, links = page(call, found, default=200, maximum=200)
        return Reply(200, {"data": [self._metric(call, m) for m in items], "links": links})

    def get_metric(self, call: Call) -> Reply:
        """``GET /api/metrics/{id}``."""
        self._no_flow_triggers(call)
        metric = self.store.metric(call.path_params["id"])
        return one(call, self._metric(call, metric))

    def _event(self, call: Call, event: Event) -> dict[str, Any]:
        moment = when(event.time)
        attributes = {
            "timestamp": int(moment.timestamp()),
            "event_properties": _event_properties(event),
            "datetime": event.time,
            "uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"klaviyo-event:{event.id}")),
        }
        path = f"/api/events/{event.id}"
        base = call.base_url + path
        relationships = {
            "profile": relationship(base, "profile", {"type": "profile", "id": event.profile_id}),
            "metric": relationship(base, "metric", {"type": "metric", "id": event.metric_id}),
            # Events created through the API are attributed to no message.
            "attributions": relationship(base, "attributions", []),
        }
        return resource(call, "event", event.id, attributes, path=path, relationships=relationships)

    def _included(self, call: Call, events: Sequence[Event]) -> list[dict[str, Any]]:
        wanted = includes(call)
        out: list[dict[str, Any]] = []
        if "metric" in wanted:
            for metric_id in dict.fromkeys(e.metric_id for e in events):
                out.append(self._metric(call, self.store.metric(metric_id)))
        if "profile" in wanted:
            for profile_id in dict.fromkeys(e.profile_id for e in events):
                profile = self.store.profile(profile_id)
                if profile is not None:
                    out.append(render_profile(call, profile))
        return out

    def get_events(self, call: Call) -> Reply:
        """``GET /api/events``: 200 a page by default, at most 1000 (spec)."""
        match = record_filter(call)
        found = self.store.events_where(match)
        found = ordered(call, found)
        includes(call, ("metric", "profile", "attributions"), of="of events")
        items, links = page(call, found, default=200, maximum=1000)
        body: dict[str, Any] = {"data": [self._event(call, e) for e in items], "links": links}
        included = self._included(call, items)
        if included:
            body["included"] = included
        return Reply(200, body)

    def query_metric_aggregates(self, call: Call) -> Reply:
        """``POST /api/metric-aggregates``: 200 with one ``metric-aggregate`` resource."""
        data = request_data(call.body, "metric-aggregate")
        attributes = json_object(data.get("attributes"), _ATTRIBUTES)
        metric_id = required_text(attributes.get("metric_id"), f"{_ATTRIBUTES}/metric_id")
        measurements = strings(
            attributes.get("measurements"),
            f"{_ATTRIBUTES}/measurements",
            frozenset(MEASUREMENTS),
        )
        if not measurements:
            raise Invalid("measurements must not be empty.", pointer=f"{_ATTRIBUTES}/measurements")
        interval = optional_text(attributes.get("interval"), f"{_ATTRIBUTES}/interval") or "day"
        if interval not in INTERVALS:
            raise Invalid(
                f"interval must be one of {sorted(INTERVALS)}.", pointer=f"{_ATTRIBUTES}/interval"
            )
        by = (
            []
            if attributes.get("by") is None
            else strings(attributes["by"], f"{_ATTRIBUTES}/by", AGGREGATE_DIMENSIONS)
        )
        size = attributes.get("page_size")
        if size is None:
            size = 500
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise Invalid(
                "page_size must be a positive integer.", pointer=f"{_ATTRIBUTES}/page_size"
            )
        if attributes.get("return_fields") is not None:
            raise NotImplementedHere(
                "LocalKlaviyo does not implement return_fields of metric aggregates.",
                pointer=f"{_ATTRIBUTES}/return_fields",
            )
        cursor = attributes.get("page_cursor")
        if cursor is not None:
            # This server answers every row on one page and hands out no cursor.
            raise Invalid("Invalid page_cursor.", pointer=f"{_ATTRIBUTES}/page_cursor")
        sort = optional_text(attributes.get("sort"), f"{_ATTRIBUTES}/sort")
        if sort is not None and sort.removeprefix("-") not in AGGREGATE_DIMENSIONS | set(
            MEASUREMENTS
        ):
            raise Invalid(f"'{sort}' is not a valid sort.", pointer=f"{_ATTRIBUTES}/sort")
        zone = _zone(attributes.get("timezone"))
        start, end, tests = _aggregate_filters(
            json_array(attributes.get("filter"), f"{_ATTRIBUTES}/filter"), zone
        )
        self.store.metric(metric_id)  # 404 for an unknown metric
        events = self.store.events_where(
            lambda e: e.metric_id == metric_id and all(test(e) for test in tests)
        )
        dates, rows = aggregate(
            events,
            measurements=measurements,
            interval=interval,
            start=start,
            end=end,
            zone=zone,
            by=by,
        )
        if sort is not None:
            name = sort.removeprefix("-")

            def key(row: dict[str, Any]) -> Any:
                if name in MEASUREMENTS:
                    return sum(row["measurements"].get(name) or [0])
                return row["dimensions"][by.index(name)] if name in by else ""

            rows.sort(key=key, reverse=sort.startswith("-"))
        aggregate_id = str(uuid.uuid4())
        found = resource(
            call,
            "metric-aggregate",
            aggregate_id,
            {"dates": dates, "data": rows[:size]},
            path=f"/api/metric-aggregates/{aggregate_id}",
            fieldsets=False,
        )
        return one(call, found)
