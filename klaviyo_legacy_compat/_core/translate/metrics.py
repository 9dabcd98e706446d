"""Legacy v1 metrics: the metric list, the four event timelines and the metric export (the
records of :data:`ENDPOINTS`).

The metric list is ``GET /api/metrics`` (cursor pages of a fixed 200, new-api.md §5). Page
numbers are emulated: every page up to the end of the collection is read (at most
:data:`~klaviyo_legacy_compat._core.translate._paging.MAX_PAGES`, more when the requested page lies
further), so ``total`` is the true count. When the collection is longer than what was read,
``total`` is ``None``, never guessed, and a notice says so. It answers ``{"object": "$list",
"data": [<metric>], "page", "start", "end", "total", "page_size"}`` with v1 metric objects
``{"object": "metric", "id", "name", "integration": {"object": "integration", "id", "name",
"category"}, "created", "updated"}`` (times as v1 wrote them, ``YYYY-MM-DD HH:MM:SS`` UTC;
``integration`` is ``None`` for a metric without one). ``page_size`` is the requested ``count``;
``end`` is the index of the last metric returned (``start`` for an empty page).

The timelines (of every metric or one, of every profile or one) are ``GET /api/events`` filtered
by ``equals(metric_id,...)`` / ``equals(profile_id,...)``, ``include=profile,metric``,
``sort=-datetime`` (``desc``) or ``datetime`` (``asc``), ``page[size]=count`` (≤ 100, the legacy
maximum). ``since`` was "a 10-digit Unix timestamp to use as starting datetime, OR a pagination
token from ``next``; defaults to current time; always descending when since is not sent" (v1
timeline reference): the stream starts at ``since`` and runs in the sort's direction, so a unix
``since`` becomes ``less-or-equal(timestamp,N)`` for ``desc`` and
``greater-or-equal(timestamp,N)`` for ``asc``, and ``sort=asc`` without ``since`` answers newest
first, as legacy did. ``next`` is a token of this library (``_parse.encode_token``) holding the
new-API cursor and the query it belongs to; ``since=<next>`` resumes that query, so a legacy
``while next:`` loop ends and sees every event once. A legacy ``next`` (a UUID) from before the
migration cannot be resumed and is refused. Answers ``{"object": "$list", "count", "data":
[<event>], "next"}``, each event ``{"object": "event", "id", "statistic_id", "timestamp",
"event_name", "event_properties", "datetime", "uuid", "person"}`` rebuilt from the event, its
included metric (the name) and profile (:func:`.profiles.legacy_person`); ``datetime`` as v1
wrote it, ``YYYY-MM-DD HH:MM:SS+00:00``. A value the answer lacks (a metric not included) is
``None``.

The export is ``GET /api/metrics/{id}`` (the metric object) and ``POST /api/metric-aggregates``
(new-api.md §3.7): ``measurement`` ``count``/``unique``/``value`` and ``["sum","$value"]`` →
``count``/``unique``/``sum_value``; ``unit`` → ``interval``; ``start_date``..``end_date``
(inclusive, at most 31 days apart) → ``greater-or-equal(datetime,<start>)`` and
``less-than(datetime,<end + 1 day>)`` in UTC (``timezone="UTC"``); ``by`` → ``by``; a ``where``
condition ``[prop, "=", value]`` → ``equals(prop,value)``; ``count`` → ``page_size`` (one page:
the first ``count`` segments, as legacy). Aggregates group and filter only on the dimensions the
spec enumerates (:data:`AGGREGATE_DIMENSIONS`), and sum only the event value:
``["sum","ItemCount"]``, a ``by`` or ``where`` on another property, are
:class:`UnsupportedLegacyFeatureError`, raised before anything is sent. A missing
``start_date``/``end_date`` takes the legacy default (one month before the day of the call, and
that day), the day read from the flow runner's clock (``_flow.now``; leniency row
``export_window``). Answers ``{"metric", "start_date", "end_date", "unit", "measurement", "by",
"where", "results": [{"segment": <by value or "Everyone">, "data": [{"date": "YYYY-MM-DD
HH:MM:SS", "values": [n]}]}]}``.
"""

from __future__ import annotations

import calendar
import logging
import math
from collections.abc import Mapping
from datetime import date, datetime, timedelta, timezone
from typing import Any, Callable, Optional, Union

import attrs

from klaviyo_legacy_compat._core.config import Options
from klaviyo_legacy_compat._core.documents import MetricAggregateAttributes
from klaviyo_legacy_compat._core.errors import TranslationError, UnsupportedLegacyFeatureError
from klaviyo_legacy_compat._core.flow import Flow, notice, now, send
from klaviyo_legacy_compat._core.legacy_endpoint import EXAMPLE_KEY, LegacyEndpoint
from klaviyo_legacy_compat._core.leniency import normalised, permits
from klaviyo_legacy_compat._core.parse import (
    decode_token,
    encode_token,
    json_param,
    parse_choice,
    parse_date,
    parse_id,
    parse_int,
    parse_page,
    single,
    unix_text,
)
from klaviyo_legacy_compat._core.translate._jsonapi import (
    attributes_of,
    dig,
    filter_equals,
    planned,
    resource_body,
    resource_of,
)
from klaviyo_legacy_compat._core.translate._legacy import legacy_page, legacy_time
from klaviyo_legacy_compat._core.translate._paging import MAX_PAGES, next_cursor, walk
from klaviyo_legacy_compat._core.translate.profiles import legacy_person
from klaviyo_legacy_compat._core.values import iso_utc

__all__ = [
    "AGGREGATE_DIMENSIONS",
    "ENDPOINTS",
    "TRANSLATORS",
    "MetricExportCall",
    "MetricsCall",
    "TimelineCall",
    "TimelineResume",
    "legacy_metric",
    "plan_metric_export",
    "plan_metrics",
    "plan_timeline",
]

#: ``GET /api/metrics`` answers a fixed 200 metrics a page (new-api.md §5).
METRICS_PER_PAGE = 200

#: Legacy ``count`` defaults and lowest values: timeline 100, export 25 (v1 timeline and
#: export references). Their legacy maximums are in :data:`COUNT_LIMITS`.
TIMELINE_COUNT = (100, 1)
EXPORT_COUNT = (25, 1)

#: The legacy export window: "end_date must be at most 31 days after start_date".
EXPORT_MAX_DAYS = 31

#: The dimensions metric aggregates group (``by``) and filter on: the enum of
#: ``MetricAggregateQueryResourceObject.attributes.by`` in the spec (new-api.md §3.7).
AGGREGATE_DIMENSIONS = frozenset(
    {
        "$attributed_channel",
        "$attributed_flow",
        "$attributed_message",
        "$attributed_variation",
        "$campaign_channel",
        "$flow",
        "$flow_channel",
        "$message",
        "$message_send_cohort",
        "$usage_amount",
        "$value_currency",
        "$variation",
        "$variation_send_cohort",
        "Bot Click",
        "Bounce Type",
        "Campaign Name",
        "Client Canonical",
        "Client Name",
        "Client Type",
        "Email Domain",
        "Failure Source",
        "Failure Type",
        "From Number",
        "From Phone Region",
        "Inbox Provider",
        "List",
        "Message Format",
        "Message Name",
        "Message Type",
        "Method",
        "Segment Count",
        "Subject",
        "To Number",
        "To Phone Region",
        "URL",
        "form_id",
    }
)

#: Legacy ``measurement`` → the aggregate measurement. ``value`` was the sum of ``$value``,
#: which is what ``sum_value`` sums (users-and-peers.md §4.5).
MEASUREMENTS: Mapping[str, str] = {"count": "count", "unique": "unique", "value": "sum_value"}

#: The one property a legacy ``["sum", property]`` can name: the event value.
SUMMABLE = "$value"

#: Legacy ``unit`` → aggregate ``interval`` (the same names).
UNITS: Mapping[str, str] = {"day": "day", "week": "week", "month": "month"}

#: Timeline ``sort`` → (``get_events`` sort, the ``timestamp`` operator a unix ``since``
#: becomes: the stream starts at ``since`` and runs in the sort's direction).
SORTS: Mapping[str, tuple[str, str]] = {
    "desc": ("-datetime", "less-or-equal"),
    "asc": ("datetime", "greater-or-equal"),
}

#: How v1 timelines wrote an event's ``datetime``.
EVENT_TIME = "%Y-%m-%d %H:%M:%S+00:00"

_TIMELINE_TOKEN = "timeline"
_DIMENSIONS_HINT = "$flow, $message, $attributed_flow, Campaign Name, List, URL, ..."


# --- GET /v1/metrics --------------------------------------------------------------------------


@attrs.frozen
class MetricsCall:
    """``GET /v1/metrics``: page ``page`` (from 0) of ``count`` metrics."""

    page: int = 0
    count: int = 50


def legacy_metric(resource: Mapping[str, Any]) -> dict[str, Any]:
    """The v1 metric object rebuilt from a new-API metric resource."""
    attributes = resource.get("attributes")
    if not isinstance(attributes, Mapping):
        attributes = {}
    integration = attributes.get("integration")
    metric: dict[str, Any] = {
        "object": "metric",
        "id": resource.get("id"),
        "name": attributes.get("name"),
        # Legacy code indexes metric["integration"]["name"]: kept as None when absent.
        "integration": (
            {
                "object": "integration",
                **{k: integration[k] for k in ("id", "name", "category") if k in integration},
            }
            if isinstance(integration, Mapping)
            else None
        ),
    }
    for stamp in ("created", "updated"):
        moment = legacy_time(attributes.get(stamp))
        if moment is not None:
            metric[stamp] = moment
    return metric


def plan_metrics(call: MetricsCall, *, options: Options) -> Flow[dict[str, Any]]:
    """The flow of ``GET /v1/metrics``; returns the v1 ``$list`` page."""
    del options  # no option changes a read
    start = call.page * call.count
    # Read to the end for a true total, and at least as far as the requested page.
    pages = max(MAX_PAGES, math.ceil((start + call.count) / METRICS_PER_PAGE))
    yield from notice(
        f"get_metrics: page {call.page} of {call.count} is cut from the new API's cursor pages "
        f"of {METRICS_PER_PAGE}, read to the end (up to {pages} requests) to count the total",
        logging.INFO,
    )
    walked = yield from walk(planned("get_metrics"), max_pages=pages)
    if not walked.complete:
        yield from notice(
            f"get_metrics: the account has more than {len(walked.items)} metrics, more than "
            f"{pages} pages read; total is None (unknown), not guessed"
        )
    answer = legacy_page(walked.items, call.page, call.count, walked.complete)
    answer["data"] = [legacy_metric(item) for item in answer["data"]]
    return answer


def _metrics(params: Mapping[str, Any], path: Mapping[str, str]) -> MetricsCall:
    del path
    page, count = parse_page(params)
    return MetricsCall(page, count)


# --- timelines ----------------------------------------------------------------------------------


@attrs.frozen
class TimelineResume:
    """What a ``next`` token carries: the new-API cursor and the query it belongs to (the
    unix ``since`` it started from and the sort)."""

    cursor: str
    since: Optional[int]
    sort: str


@attrs.frozen
class TimelineCall:
    """One of the four v1 timelines: every event, a metric's, a person's, or a person's of one
    metric. ``since`` is unix seconds or a :class:`TimelineResume` (a ``next`` token)."""

    metric_id: Optional[str]
    person_id: Optional[str]
    since: Union[int, TimelineResume, None]
    count: int = 100
    sort: str = "desc"


def _since(
    value: Any, metric_id: Optional[str], person_id: Optional[str]
) -> Union[int, TimelineResume, None]:
    """A legacy ``since``: 10-digit unix seconds, or a ``next`` token of this library for the
    same timeline."""
    value = single(value, "since")
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise TranslationError("since", f"must be unix seconds or a next token, got {value!r}")
    value = unix_text(value)
    if isinstance(value, (int, float)):
        if not 0 <= value < 1e11:
            raise TranslationError(
                "since", f"must be unix seconds (10 digits), got {value!r}: milliseconds?"
            )
        return int(value)
    state = decode_token(value, _TIMELINE_TOKEN, "since")
    if (state.get("m"), state.get("p")) != (metric_id, person_id):
        raise TranslationError("since", "is a next token of another timeline")
    cursor, since, sort = state.get("c"), state.get("t"), state.get("s")
    if not isinstance(cursor, str) or sort not in SORTS or not isinstance(since, (int, type(None))):
        raise TranslationError("since", "is not a next token this library handed out")
    return TimelineResume(cursor, since, str(sort))


def _related_id(item: Mapping[str, Any], name: str) -> Optional[str]:
    related = ((item.get("relationships") or {}).get(name) or {}).get("data")
    found = related.get("id") if isinstance(related, Mapping) else None
    return found if isinstance(found, str) else None


def _event_time(attributes: Mapping[str, Any]) -> Optional[str]:
    written = legacy_time(attributes.get("datetime"), EVENT_TIME)
    stamp = attributes.get("timestamp")
    if written is None and isinstance(stamp, (int, float)) and not isinstance(stamp, bool):
        # The same instant, from the other field of the event.
        written = datetime.fromtimestamp(stamp, tz=timezone.utc).strftime(EVENT_TIME)
    return written


def _legacy_event(
    item: Mapping[str, Any], included: Mapping[tuple[str, str], Mapping[str, Any]]
) -> dict[str, Any]:
    attributes = item.get("attributes")
    if not isinstance(attributes, Mapping):
        attributes = {}
    metric_id = _related_id(item, "metric")
    profile_id = _related_id(item, "profile")
    metric = included.get(("metric", metric_id or ""), {})
    profile = included.get(("profile", profile_id or ""), {"id": profile_id} if profile_id else {})
    return {
        "object": "event",
        "id": item.get("id"),
        "statistic_id": metric_id,
        "timestamp": attributes.get("timestamp"),
        "event_name": dig(metric, "attributes", "name"),
        "event_properties": attributes.get("event_properties") or {},
        "datetime": _event_time(attributes),
        "uuid": attributes.get("uuid"),
        "person": legacy_person(profile),
    }


def plan_timeline(call: TimelineCall, *, options: Options) -> Flow[dict[str, Any]]:
    """The flow of a v1 timeline; returns ``{"object": "$list", "count", "data", "next"}``."""
    del options  # no option changes a read
    resume = call.since if isinstance(call.since, TimelineResume) else None
    since = resume.since if resume is not None else call.since
    sort = resume.sort if resume is not None else call.sort
    if resume is not None and call.sort != resume.sort:
        yield from notice(
            f"timeline: since is a next token of a sort={resume.sort!r} timeline; it is "
            f"continued in that order (sort={call.sort!r} ignored)",
            logging.INFO,
        )
    if resume is None and since is None and sort == "asc":
        yield from notice(
            "timeline: sort='asc' without since answers newest first, as the legacy API did "
            "(since defaulted to the current time); give since to read forward"
        )
        sort = "desc"
    order, since_operator = SORTS[sort]
    filters = []
    if call.metric_id is not None:
        filters.append(filter_equals("metric_id", call.metric_id))
    if call.person_id is not None:
        filters.append(filter_equals("profile_id", call.person_id))
    if isinstance(since, int):
        filters.append(f"{since_operator}(timestamp,{since})")
    params = [("filter", ",".join(filters))] if filters else []
    params += [("include", "profile,metric"), ("sort", order), ("page[size]", str(call.count))]
    walked = yield from walk(
        planned("get_events", params=tuple(params)),
        cursor=resume.cursor if resume is not None else None,
        max_pages=1,
    )
    included = {
        (str(r.get("type")), str(r.get("id"))): r for r in walked.included if isinstance(r, Mapping)
    }
    data = [_legacy_event(item, included) for item in walked.items if isinstance(item, Mapping)]
    token = None
    if walked.cursor is not None:
        state = {
            "c": walked.cursor,
            "t": since,
            "s": sort,
            "m": call.metric_id,
            "p": call.person_id,
        }
        token = encode_token(_TIMELINE_TOKEN, state)
    return {"object": "$list", "count": len(data), "data": data, "next": token}


def _timeline(params: Mapping[str, Any], path: Mapping[str, str]) -> TimelineCall:
    metric_id = parse_id(path["metric_id"], "metric_id") if "metric_id" in path else None
    person_id = parse_id(path["person_id"], "person_id") if "person_id" in path else None
    return TimelineCall(
        metric_id=metric_id,
        person_id=person_id,
        since=_since(params.get("since"), metric_id, person_id),
        count=parse_int(params.get("count"), "count", *TIMELINE_COUNT),
        sort=parse_choice(params.get("sort"), "sort", SORTS, "desc"),
    )


# --- GET /v1/metric/{id}/export -------------------------------------------------------------------


@attrs.frozen
class MetricExportCall:
    """``GET /v1/metric/{id}/export``, checked: the dates (inclusive; ``None`` where the
    caller gave none: the legacy default window is read at the time of the call), the unit,
    the legacy ``measurement`` (a name, or ``("sum", "$value")``), the ``where`` conditions as
    ``(dimension, "=", value)`` and the ``by`` dimension, all expressible as aggregates."""

    metric_id: str
    start_date: Optional[date]
    end_date: Optional[date]
    unit: str = "day"
    measurement: Union[str, tuple[str, str]] = "count"
    where: tuple[tuple[str, str, Any], ...] = ()
    by: Optional[str] = None
    count: int = 25

    @property
    def aggregate_measurement(self) -> str:
        """The aggregate measurement key."""
        return MEASUREMENTS[self.measurement] if isinstance(self.measurement, str) else "sum_value"


def _dates(params: Mapping[str, Any]) -> tuple[Optional[date], Optional[date]]:
    given = {name: params.get(name) for name in ("start_date", "end_date")}
    start, end = (
        None if value is None or value == "" else parse_date(value, name)
        for name, value in given.items()
    )
    if start is not None and end is not None:
        _check_window(start, end)
    return start, end


def _check_window(start: date, end: date) -> None:
    if end < start:
        raise TranslationError("end_date", f"must not be before start_date ({start})")
    if (end - start).days > EXPORT_MAX_DAYS:
        raise TranslationError(
            "end_date",
            f"must be at most {EXPORT_MAX_DAYS} days after start_date (the legacy limit), got "
            f"{(end - start).days} days",
        )


def _month_before(day: date) -> date:
    """The same day of the previous month (the last day of that month where it is shorter):
    the legacy export's default ``start_date``, "one month ago"."""
    year, month = (day.year, day.month - 1) if day.month > 1 else (day.year - 1, 12)
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _window(call: MetricExportCall, options: Options) -> Flow[MetricExportCall]:
    """``call`` with the legacy default window where a date is missing (v1 export reference:
    ``start_date`` one month ago, ``end_date`` the day of the call; leniency row
    ``export_window``); under ``strict`` refused as before."""
    if call.start_date is not None and call.end_date is not None:
        return call
    missing = "start_date" if call.start_date is None else "end_date"
    if not permits(options.strict, "export_window"):
        raise TranslationError(
            missing,
            "is required (YYYY-MM-DD): the legacy defaults (one month before the day of "
            "the call, and that day) depend on the clock; give start_date and end_date",
        )
    today = (yield from now()).astimezone(timezone.utc).date()
    end = call.end_date or today
    start = call.start_date or _month_before(end)
    _check_window(start, end)
    yield normalised(
        "export_window",
        missing,
        f"not given: the legacy default window {start.isoformat()} to {end.isoformat()} is read",
    )
    return attrs.evolve(call, start_date=start, end_date=end)


def _measurement(value: Any) -> Union[str, tuple[str, str]]:
    if value is None or value == "":
        return "count"
    # JSON text, or the parsed value a facade passes: never unwrapped as a repeated key.
    if isinstance(value, str) and value.strip().lower() in MEASUREMENTS:
        return value.strip().lower()
    parsed = json_param(value, "measurement", '"count" or ["sum","$value"]')
    if isinstance(parsed, str) and parsed in MEASUREMENTS:
        return parsed
    if (
        isinstance(parsed, (list, tuple))
        and len(parsed) == 2
        and parsed[0] == "sum"
        and isinstance(parsed[1], str)
    ):
        if parsed[1] != SUMMABLE:
            raise UnsupportedLegacyFeatureError(
                "measurement",
                f"metric aggregates sum only the event value ($value), not {parsed[1]!r}",
                "sum that property yourself from the events' event_properties "
                "(GET /v1/metric/{id}/timeline or GET /api/events), or track it as $value",
            )
        return ("sum", SUMMABLE)
    raise TranslationError(
        "measurement",
        f'must be unique, count, value or ["sum", "$value"], got {value!r}',
    )


def _dimension(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value:
        raise TranslationError(field, f"must be a property name, got {value!r}")
    if value not in AGGREGATE_DIMENSIONS:
        raise UnsupportedLegacyFeatureError(
            field,
            f"metric aggregates group and filter only on the dimensions the API lists, and "
            f"{value!r} is not one",
            f"use one of them ({_DIMENSIONS_HINT}: AGGREGATE_DIMENSIONS), or read the events "
            "(GET /v1/metric/{id}/timeline) and aggregate them yourself",
        )
    return value


def _where(value: Any) -> tuple[tuple[str, str, Any], ...]:
    if value is None or value == "":
        return ()
    parsed = json_param(value, "where", '[["$flow","=","FLOW_ID"]]')
    if not isinstance(parsed, (list, tuple)) or not all(
        isinstance(c, (list, tuple)) and len(c) == 3 for c in parsed
    ):
        raise TranslationError("where", 'must be a JSON list of [property, "=", value] conditions')
    if len(parsed) > 1:
        raise TranslationError("where", "may hold at most one condition (the legacy rule)")
    conditions = []
    for index, (name, operator, operand) in enumerate(parsed):
        field = f"where[{index}]"
        if operator != "=":
            raise TranslationError(field, f"the only operator is '=', got {operator!r}")
        if isinstance(operand, (list, dict)) or operand is None:
            raise TranslationError(field, f"must compare with a string or number, got {operand!r}")
        conditions.append((_dimension(name, field), "=", operand))
    return tuple(conditions)


def _export(params: Mapping[str, Any], path: Mapping[str, str]) -> MetricExportCall:
    metric_id = parse_id(path["metric_id"], "metric_id")
    echoed = single(params.get("metric_id"), "metric_id")
    if echoed not in (None, "", metric_id):
        raise TranslationError("metric_id", f"must match the path ({metric_id!r}), got {echoed!r}")
    start, end = _dates(params)
    by = single(params.get("by"), "by")
    return MetricExportCall(
        metric_id=metric_id,
        start_date=start,
        end_date=end,
        unit=parse_choice(params.get("unit"), "unit", UNITS, "day"),
        measurement=_measurement(params.get("measurement")),
        where=_where(params.get("where")),
        by=None if by in (None, "") else _dimension(by, "by"),
        count=parse_int(params.get("count"), "count", *EXPORT_COUNT),
    )


def _midnight(day: date) -> str:
    return iso_utc(datetime(day.year, day.month, day.day, tzinfo=timezone.utc))


def _aggregate_body(call: MetricExportCall) -> Any:
    assert call.start_date is not None and call.end_date is not None  # set by _window
    filters = [
        # The time range the spec requires (new-api.md §3.7); end_date is inclusive.
        f"greater-or-equal(datetime,{_midnight(call.start_date)})",
        f"less-than(datetime,{_midnight(call.end_date + timedelta(days=1))})",
    ]
    filters += [filter_equals(name, operand) for name, _, operand in call.where]
    attributes = MetricAggregateAttributes(
        metric_id=call.metric_id,
        measurements=[call.aggregate_measurement],
        interval=UNITS[call.unit],
        filter=filters,
        page_size=call.count,
        timezone="UTC",
        by=None if call.by is None else [call.by],
    )
    return resource_body("metric-aggregate", attributes=attributes)


def _results(call: MetricExportCall, body: Any) -> list[dict[str, Any]]:
    attributes = attributes_of(resource_of(body))
    dates = [legacy_time(d) for d in attributes.get("dates") or []]
    results = []
    for row in attributes.get("data") or []:
        if not isinstance(row, Mapping):
            continue
        dimensions = row.get("dimensions") or []
        # Without "by" the single row is everyone's; an event without the dimension has an
        # empty value (dimensions == [""] or []).
        segment = (dimensions[0] if dimensions else "") if call.by is not None else "Everyone"
        values = (row.get("measurements") or {}).get(call.aggregate_measurement) or []
        results.append(
            {
                "segment": segment,
                "data": [{"date": day, "values": [value]} for day, value in zip(dates, values)],
            }
        )
    return results


def plan_metric_export(call: MetricExportCall, *, options: Options) -> Flow[dict[str, Any]]:
    """The flow of ``GET /v1/metric/{id}/export``; returns the v1 export."""
    call = yield from _window(call, options)
    assert call.start_date is not None and call.end_date is not None
    yield from notice(
        "metric export: days, weeks and months are bucketed in UTC (timezone='UTC')",
        logging.INFO,
    )
    metric = yield from send(planned("get_metric", path_params={"id": call.metric_id}))
    aggregate = yield from send(planned("query_metric_aggregates", json=_aggregate_body(call)))
    body = aggregate.response.json()
    if next_cursor(body) is not None:
        yield from notice(
            f"metric export: more than count={call.count} segments; the first {call.count} "
            "are returned, as the legacy export did"
        )
    return {
        "metric": legacy_metric(resource_of(metric.response.json())),
        "start_date": call.start_date.isoformat(),
        "end_date": call.end_date.isoformat(),
        "unit": call.unit,
        "measurement": (
            call.measurement if isinstance(call.measurement, str) else list(call.measurement)
        ),
        "by": call.by,
        "where": [list(condition) for condition in call.where] or None,
        "results": _results(call, body),
    }


# --- tables ------------------------------------------------------------------------------------

#: Each call's legacy ``count`` maximum (v1 references: metrics 100, timelines 100, export
#: 1000); a larger one is clamped (leniency row ``count_clamped``).
COUNT_LIMITS: dict[type[Any], int] = {MetricsCall: 100, TimelineCall: 100, MetricExportCall: 1000}

TRANSLATORS: dict[type[Any], Callable[..., Flow[Any]]] = {
    MetricsCall: plan_metrics,
    TimelineCall: plan_timeline,
    MetricExportCall: plan_metric_export,
}

_TIMELINE_DIFFERENCES = (
    "`GET /api/events` filtered by metric and/or profile, with the metric and profile "
    "included; `count` ≤ 100",
    "a unix `since` → a `timestamp` filter in the sort's direction (`less-or-equal` for "
    "`desc`, `greater-or-equal` for `asc`): the legacy stream started at `since`",
    "`next` is a token of this library carrying the new-API cursor; `since=<next>` continues, "
    "so a `while next:` loop ends; a legacy `next` from before the migration is refused",
    "`sort=asc` without `since` answers newest first, as the legacy API did",
    "events rebuilt in the v1 shape: `statistic_id` (metric id), `event_name` (metric name), "
    "`datetime` as `YYYY-MM-DD HH:MM:SS+00:00`, `person` the v1 person",
)

#: The four timelines: (path, klaviyo 3.1.7 method, klaviyo-sdk 1.0.9 method).
_TIMELINES = (
    ("/api/v1/metrics/timeline", "Metrics.get_metrics_timeline", "Metrics.metrics_timeline"),
    (
        "/api/v1/metric/{metric_id}/timeline",
        "Metrics.get_metric_timeline_by_id",
        "Metrics.metric_timeline",
    ),
    (
        "/api/v1/person/{person_id}/metrics/timeline",
        "Profiles.get_profile_metrics_timeline",
        "Profiles.profile_metrics_timeline",
    ),
    (
        "/api/v1/person/{person_id}/metric/{metric_id}/timeline",
        "Profiles.get_profile_metrics_timeline_by_id",
        "Profiles.profile_metric_timeline",
    ),
)

#: The ids in the timelines' example paths.
_EXAMPLE_IDS = {"metric_id": "AbC123", "person_id": "01HPERSON"}

ENDPOINTS: tuple[LegacyEndpoint, ...] = (
    LegacyEndpoint(
        "GET",
        "/api/v1/metrics",
        _metrics,
        ("Metrics.get_metrics",),
        ("Metrics.get_metrics",),
        {
            "method": "GET",
            "url": f"https://a.klaviyo.com/api/v1/metrics?page=0&count=50&api_key={EXAMPLE_KEY}",
        },
        (
            "pages of `count` (≤ 100) cut from the new API's cursor pages of 200, read to the "
            "end, so `total` is the true count",
            f"`total` is `null` when the account has more metrics than {MAX_PAGES} pages hold; "
            "never guessed",
            "metrics rebuilt in the v1 shape; times as `YYYY-MM-DD HH:MM:SS` UTC",
        ),
    ),
    *(
        LegacyEndpoint(
            "GET",
            path,
            _timeline,
            (klaviyo,),
            (sdk,),
            {
                "method": "GET",
                "url": (
                    f"https://a.klaviyo.com{path.format(**_EXAMPLE_IDS)}?since=1714521600"
                    f"&count=100&sort=desc&api_key={EXAMPLE_KEY}"
                ),
            },
            _TIMELINE_DIFFERENCES,
        )
        for path, klaviyo, sdk in _TIMELINES
    ),
    LegacyEndpoint(
        "GET",
        "/api/v1/metric/{metric_id}/export",
        _export,
        ("Metrics.get_metric_export",),
        ("Metrics.metric_export",),
        {
            "method": "GET",
            "url": (
                "https://a.klaviyo.com/api/v1/metric/AbC123/export?metric_id=AbC123"
                "&start_date=2024-04-01&end_date=2024-04-30&unit=week&measurement=unique"
                f"&by=%24flow&count=25&api_key={EXAMPLE_KEY}"
            ),
        },
        (
            "`GET /api/metrics/{id}` for the metric object, then `POST /api/metric-aggregates`",
            '`measurement` `count`, `unique`, `value` and `["sum","$value"]` → `count`, '
            "`unique`, `sum_value`; a sum of any other property is unsupported",
            "`by` and `where` only on the dimensions metric aggregates list (`$flow`, "
            "`$message`, `Campaign Name`, `List`, `URL`, ...); any other property is "
            "unsupported; `where` holds one `=` condition",
            "`start_date` and `end_date` at most 31 days apart; a missing one takes the legacy "
            "default (one month before the day of the call, and that day), with a warning",
            "`count` above 1000 is read as 1000, with a warning",
            "buckets in UTC; `count` segments (one page of aggregate rows)",
        ),
    ),
)
