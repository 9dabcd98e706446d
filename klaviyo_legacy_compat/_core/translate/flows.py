"""Legacy v1 flows: the v1 flow list (the record of :data:`ENDPOINTS`) → ``GET /api/flows``.

The v1 flows list was never in Klaviyo's reference, but production code called it with the
private ``api_key`` in the query, as every v1 endpoint took it. What that code reads (public
callers, read for this translation): the v1 page fields (``total``, ``end``; ``count=1`` to
learn the total, then ``page`` after ``page``) and, per flow, ``id``, ``name``, ``status``
and ``trigger.type`` (``"Metric"`` before reading ``trigger.metric.id``).

- Cursor pages of 50 flows (the ``page[size]`` maximum of ``get_flows``, new-api.md §5),
  sorted by creation time so a page number names the same flows from call to call, are walked
  as every v1 ``page``/``count`` list is (``_legacy.legacy_page``): to the end, at least as
  far as the requested page, and at most ``MAX_PAGES`` pages otherwise; ``total`` is the true
  count, or ``None`` (with a notice) when the walk stopped first. ``count`` is 1 to 100, 50 by
  default, as on the other v1 lists.
- Answers ``{"object": "$list", "data": [<flow>], "page", "start", "end", "total",
  "page_size"}``, each flow ``{"object": "flow", "id", "name", "status", "trigger": {"type"},
  "created", "updated"}``: ``status`` (``draft``, ``manual``, ``live``) and ``trigger.type``
  (``Metric``, ``Added to List``, ``Date Based``, ...) as the new API gives them, times as
  v1 wrote them (``YYYY-MM-DD HH:MM:SS`` UTC). Nothing is invented: ``trigger.metric`` (the
  metric of a metric trigger) and ``customer_filter`` are not in the flows collection (they
  would take one ``GET /api/flows/{id}`` with its definition per flow, at 3 requests a
  second), so they are left out.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Callable

import attrs

from klaviyo_legacy_compat._core.config import Options
from klaviyo_legacy_compat._core.flow import Flow, notice
from klaviyo_legacy_compat._core.legacy_endpoint import EXAMPLE_KEY, LegacyEndpoint
from klaviyo_legacy_compat._core.parse import parse_page
from klaviyo_legacy_compat._core.translate._jsonapi import attributes_of, planned
from klaviyo_legacy_compat._core.translate._legacy import legacy_page, legacy_time
from klaviyo_legacy_compat._core.translate._paging import MAX_PAGES, walk

__all__ = ["ENDPOINTS", "FLOWS_PER_PAGE", "TRANSLATORS", "FlowsCall", "legacy_flow"]

#: Flows a ``GET /api/flows`` page holds at most (spec ``get_flows`` ``page[size]``).
FLOWS_PER_PAGE = 50


@attrs.frozen
class FlowsCall:
    """``GET /v1/flows``: page ``page`` (from 0) of ``count`` flows."""

    page: int = 0
    count: int = 50


def legacy_flow(resource: Mapping[str, Any]) -> dict[str, Any]:
    """The v1 flow object rebuilt from a new-API flow resource."""
    attributes = attributes_of(resource)
    flow: dict[str, Any] = {
        "object": "flow",
        "id": resource.get("id"),
        "name": attributes.get("name"),
        "status": attributes.get("status"),
        # Callers test flow["trigger"]["type"]: the object is always there, its type as
        # Klaviyo gives it (None when Klaviyo gives none).
        "trigger": {"type": attributes.get("trigger_type")},
    }
    for stamp in ("created", "updated"):
        moment = legacy_time(attributes.get(stamp))
        if moment is not None:
            flow[stamp] = moment
    return flow


def plan_flows(call: FlowsCall, *, options: Options) -> Flow[dict[str, Any]]:
    """The flow of ``GET /v1/flows``; returns the v1 ``$list`` page of flows."""
    del options  # no option changes a read
    stop = (call.page + 1) * call.count
    # Read to the end for a true total, and at least as far as the requested page.
    pages = max(MAX_PAGES, -(-stop // FLOWS_PER_PAGE))
    yield from notice(
        f"get_flows: page {call.page} of {call.count} is cut from the new API's cursor pages "
        f"of {FLOWS_PER_PAGE}, read to the end (up to {pages} requests) to count the total",
        logging.INFO,
    )
    request = planned(
        "get_flows",
        params=(
            ("fields[flow]", "name,status,created,updated,trigger_type"),
            ("sort", "created"),
            ("page[size]", str(FLOWS_PER_PAGE)),
        ),
    )
    walked = yield from walk(request, max_pages=pages)
    if not walked.complete:
        yield from notice(
            f"get_flows: the account has more than {len(walked.items)} flows, more than "
            f"{pages} pages read; total is None (unknown), not guessed"
        )
    flows = [legacy_flow(item) for item in walked.items if isinstance(item, Mapping)]
    return legacy_page(flows, call.page, call.count, walked.complete)


def _build_flows(params: Mapping[str, Any], path: Mapping[str, str]) -> FlowsCall:
    del path
    page, count = parse_page(params)
    return FlowsCall(page, count)


#: The legacy ``count`` maximum of the v1 flow list (100, as the other v1 lists); a larger
#: one is clamped (leniency row ``count_clamped``).
COUNT_LIMITS: dict[type[Any], int] = {FlowsCall: 100}

TRANSLATORS: dict[type[Any], Callable[..., Flow[Any]]] = {FlowsCall: plan_flows}

ENDPOINTS: tuple[LegacyEndpoint, ...] = (
    LegacyEndpoint(
        "GET",
        "/api/v1/flows",
        _build_flows,
        (),
        (),
        {
            "method": "GET",
            "url": f"https://a.klaviyo.com/api/v1/flows?page=0&count=50&api_key={EXAMPLE_KEY}",
        },
        (
            "undocumented v1 endpoint, translated as production code used it",
            f"pages of `count` (≤ 100) cut from the new API's cursor pages of {FLOWS_PER_PAGE} "
            "(sorted by creation time), read to the end, so `total` is the true count; `null` "
            f"when the account has more flows than {MAX_PAGES} pages hold, never guessed",
            "flows rebuilt in the v1 shape: `id`, `name`, `status`, `trigger.type` (the new "
            "API's trigger type), `created` and `updated` as `YYYY-MM-DD HH:MM:SS` UTC",
            "`trigger.metric` and `customer_filter` are left out: the flows collection does not "
            "include them",
        ),
    ),
)
