"""Legacy campaign recipients → Received Email events (new-api.md §3.7, §3.8); the endpoint
is the record of :data:`ENDPOINTS`.

The recipients have no direct equivalent. The recipients of a sent campaign are the profiles
with a "Received Email" event for it: the campaign is read (its send time and message ids),
the "Received Email" metric is found (``GET /api/metrics`` cannot filter by name, so the
pages are walked until it shows), and ``GET /api/events`` filtered by that metric and
``datetime`` ≥ the send time is read with the profiles included. **Assumption** (stated in a
notice): the event property ``$message`` holds the id of the campaign (or of its message) the
email belonged to, as Klaviyo's Received Email events do; events of other campaigns and flows
in the window are skipped. Tokens from ``_parse.encode_token`` (cursor + position) are handed
out as ``next_offset``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any, Callable, Optional

import attrs

from klaviyo_legacy_compat._core.errors import TranslationError
from klaviyo_legacy_compat._core.flow import Flow, Step, notice, send
from klaviyo_legacy_compat._core.legacy_endpoint import EXAMPLE_KEY, LegacyEndpoint
from klaviyo_legacy_compat._core.models import PlannedRequest
from klaviyo_legacy_compat._core.parse import (
    decode_token,
    encode_token,
    parse_id,
    parse_int,
    parse_moment,
    single,
)
from klaviyo_legacy_compat._core.translate._campaign import get_campaign, messages_for, related_ids
from klaviyo_legacy_compat._core.translate._jsonapi import (
    attributes_of,
    dig,
    dry_reply,
    filter_equals,
    items_of,
    placeholder,
    planned,
    resource_of,
)
from klaviyo_legacy_compat._core.translate._paging import MAX_PAGES, next_cursor, page, walk
from klaviyo_legacy_compat._core.values import iso_utc

__all__ = [
    "COUNT_LIMITS",
    "ENDPOINTS",
    "EVENTS_PAGE_SIZE",
    "RECEIVED_EMAIL",
    "TRANSLATORS",
    "CampaignRecipientsCall",
    "plan_get_campaign_recipients",
]

#: get_events pages: the operation's description promises at most 200 events a page.
EVENTS_PAGE_SIZE = 200
#: The Klaviyo metric whose events record each email a profile received.
RECEIVED_EMAIL = "Received Email"
#: Local-time sends go out in each recipient's zone, up to 26 hours apart (UTC-12 … UTC+14).
LOCAL_SEND_MARGIN = timedelta(hours=26)
#: The token kind of ``next_offset``.
RECIPIENTS_TOKEN = "campaign-recipients"

_SORTS = {"asc": "datetime", "desc": "-datetime"}


@attrs.frozen
class CampaignRecipientsCall:
    """``GET /v1/campaign/{id}/recipients``; ``offset`` is a ``next_offset`` handed out
    earlier (``None`` for the first page; ``klaviyo`` 3.1.7 sends an empty one)."""

    campaign_id: str
    count: int = 5000
    sort: str = "asc"
    offset: Optional[str] = None


@attrs.frozen
class _Window:
    """Where a recipients listing reads: the campaign's Received Email events since ``since``
    whose ``$message`` is one of ``ids``, from page ``cursor`` (``None``: the first) skipping
    its first ``skip`` events."""

    campaign_id: str
    metric_id: str
    since: str
    ids: tuple[str, ...]
    sort: str
    cursor: Optional[str] = None
    skip: int = 0

    def token(self, cursor: Optional[str], skip: int) -> str:
        return encode_token(
            RECIPIENTS_TOKEN,
            {
                "c": self.campaign_id,
                "m": self.metric_id,
                "t": self.since,
                "ids": list(self.ids),
                "s": self.sort,
                "p": cursor,
                "i": skip,
            },
        )


def _window_from(call: CampaignRecipientsCall) -> _Window:
    """The window a ``next_offset`` token stands for, checked against the call."""
    assert call.offset is not None
    state = decode_token(call.offset, RECIPIENTS_TOKEN, "offset")
    try:
        window = _Window(
            campaign_id=str(state["c"]),
            metric_id=str(state["m"]),
            since=str(state["t"]),
            ids=tuple(str(i) for i in state["ids"]),
            sort=str(state["s"]),
            cursor=None if state["p"] is None else str(state["p"]),
            skip=int(state["i"]),
        )
    except (KeyError, TypeError, ValueError):
        raise TranslationError("offset", "is not a next_offset this library handed out") from None
    if window.campaign_id != call.campaign_id:
        raise TranslationError("offset", "is the next_offset of another campaign's recipients")
    if window.sort != call.sort:
        raise TranslationError("sort", "must stay the same while following next_offset")
    return window


def _since(campaign: Mapping[str, Any], messages: Sequence[Mapping[str, Any]]) -> Optional[str]:
    """The earliest moment the campaign's emails can have been received: its send time, or
    its messages' send times, less a day for local-time sends. A value that is not a time
    (a dry-run placeholder) is passed on as it is."""
    attributes = attributes_of(campaign)
    times: list[Any] = [attributes.get("send_time")]
    strategy = attributes.get("send_strategy")
    options = strategy.get("options") if isinstance(strategy, dict) else None
    local = bool(isinstance(options, dict) and options.get("is_local"))
    for message in messages:
        for entry in attributes_of(message).get("send_times") or []:
            if isinstance(entry, dict):
                times.append(entry.get("datetime"))
                local = local or bool(entry.get("is_local"))
    moments = [m for m in (parse_moment(t) for t in times) if m is not None]
    if not moments:
        return next((t for t in times if isinstance(t, str) and t), None)
    earliest = min(moments) - (LOCAL_SEND_MARGIN if local else timedelta(0))
    return iso_utc(earliest)


def _received_email(items: Sequence[Any]) -> Optional[str]:
    """The id of the "Received Email" metric: Klaviyo's own (integration "Klaviyo") first."""
    named = [
        m
        for m in items
        if isinstance(m, dict) and attributes_of(m).get("name") == RECEIVED_EMAIL and m.get("id")
    ]
    named.sort(key=lambda m: (attributes_of(m).get("integration") or {}).get("name") != "Klaviyo")
    return str(named[0]["id"]) if named else None


def _events_request(
    window: _Window, depends_on: Optional[int], note: Optional[str]
) -> PlannedRequest:
    # Filters per spec x-klaviyo-filters of get_events: metric_id equals, datetime gte
    # (a datetime is not quoted: new-api.md §7.1).
    return planned(
        "get_events",
        params=(
            (
                "filter",
                filter_equals("metric_id", window.metric_id) + ","
                f"greater-or-equal(datetime,{window.since})",
            ),
            ("include", "profile"),
            ("fields[event]", "datetime,event_properties"),
            ("fields[profile]", "email"),
            ("sort", _SORTS[window.sort]),
            ("page[size]", str(EVENTS_PAGE_SIZE)),
        ),
        depends_on=depends_on,
        note=note,
    )


def _recipient(event: Mapping[str, Any], emails: Mapping[str, Any]) -> dict[str, Any]:
    profile = next(iter(related_ids(event, "profile")), None)
    out: dict[str, Any] = {}
    if profile is not None and profile in emails:
        out["email"] = emails[profile]
    out["status"] = "Sent"  # a Received Email event records an email sent to the profile
    if profile is not None:
        out["customer_id"] = profile
    variation = (attributes_of(event).get("event_properties") or {}).get("$variation")
    if variation is not None:
        out["variation_id"] = str(variation)
    return out


def _names_campaign(event: Mapping[str, Any], ids: Sequence[str]) -> bool:
    properties = attributes_of(event).get("event_properties")
    return isinstance(properties, dict) and str(properties.get("$message")) in ids


def _recipients_page(
    window: _Window, count: int, depends_on: Optional[int], note: Optional[str]
) -> Flow[dict[str, Any]]:
    """Read events from the window until ``count`` recipients, the end, or ``MAX_PAGES``."""
    request = _events_request(window, depends_on, note)
    found: list[dict[str, Any]] = []
    cursor, skip = window.cursor, window.skip

    def answer(token: Optional[str]) -> dict[str, Any]:
        out: dict[str, Any] = {"object": "$list", "data": found, "count": len(found)}
        if token is not None:
            out["next_offset"] = token
        return out

    for _ in range(MAX_PAGES):
        reply = yield from page(request, cursor)
        body = reply.response.json()
        events = items_of(body)
        emails: dict[str, Any] = {
            str(item["id"]): attributes_of(item).get("email")
            for item in dig(body, "included") or []
            if isinstance(item, dict) and item.get("type") == "profile" and item.get("id")
        }
        following = next_cursor(body)
        for position in range(skip, len(events)):
            event = events[position]
            if not isinstance(event, dict) or not _names_campaign(event, window.ids):
                continue
            found.append(_recipient(event, emails))
            if len(found) == count:
                if position + 1 < len(events):
                    return answer(window.token(cursor, position + 1))
                return answer(None if following is None else window.token(following, 0))
        if following is None:
            return answer(None)
        cursor, skip = following, 0
    yield from notice(
        f"get_campaign_recipients: {MAX_PAGES} pages of events read; fewer than count "
        "recipients are returned with a next_offset: keep following next_offset"
    )
    return answer(window.token(cursor, 0))


def plan_get_campaign_recipients(
    call: CampaignRecipientsCall, *, options: Any
) -> Flow[dict[str, Any]]:
    """``GET /v1/campaign/{id}/recipients`` → Received Email events attributed to the
    campaign (see the module docstring for the assumption this rests on)."""
    del options
    if call.offset is not None:
        return (yield from _recipients_page(_window_from(call), call.count, None, None))
    yield from notice(
        "get_campaign_recipients: the new API has no recipient list; recipients are read from "
        f'"{RECEIVED_EMAIL}" events since the campaign\'s send time, keeping those whose event '
        "property $message is the campaign's (or its message's) id (assumed to be how "
        "Klaviyo's Received Email events name their campaign). Every email the account sent "
        "since then is read; statuses other than Sent (bounces, skips) are not reported, and "
        "the order is by time received"
    )
    campaign = yield from send(
        Step(
            get_campaign(call.campaign_id),
            dry_run_reply=dry_reply(
                200,
                {
                    "data": {
                        "type": "campaign",
                        "id": call.campaign_id,
                        "attributes": {
                            "send_time": placeholder(f"send_time of campaign {call.campaign_id}")
                        },
                        "relationships": {
                            "campaign-messages": {
                                "data": [
                                    {
                                        "type": "campaign-message",
                                        "id": placeholder(
                                            f"message id of campaign {call.campaign_id}"
                                        ),
                                    }
                                ]
                            }
                        },
                    }
                },
            ),
        )
    )
    body = campaign.response.json()
    resource = resource_of(body)
    messages = messages_for(resource, (body or {}).get("included") or [])
    since = _since(resource, messages)
    empty: dict[str, Any] = {"object": "$list", "data": [], "count": 0}
    if since is None:
        yield from notice(
            f"get_campaign_recipients: campaign {call.campaign_id} has no send time (not sent "
            "or scheduled), so it has no recipients"
        )
        return empty
    metrics = yield from walk(
        planned("get_metrics", params=(("fields[metric]", "name,integration"),)),
        dry_data=[
            {
                "type": "metric",
                "id": placeholder(f"id of metric {RECEIVED_EMAIL}"),
                "attributes": {"name": RECEIVED_EMAIL, "integration": {"name": "Klaviyo"}},
            }
        ],
        enough=lambda items: _received_email(items) is not None,
    )
    metric_id = _received_email(metrics.items)
    if metric_id is None:
        yield from notice(
            f'get_campaign_recipients: the account has no "{RECEIVED_EMAIL}" metric, so no '
            "email was received"
        )
        return empty
    ids = (call.campaign_id, *related_ids(resource, "campaign-messages"))
    window = _Window(call.campaign_id, metric_id, since, ids, call.sort)
    note = (
        f"filter holds the metric id request {metrics.last_index} finds and the send time "
        f"request {campaign.index} reads"
    )
    return (yield from _recipients_page(window, call.count, metrics.last_index, note))


def _build_recipients(params: Mapping[str, Any], path: Mapping[str, str]) -> CampaignRecipientsCall:
    """``GET /v1/campaign/{id}/recipients``."""
    sort = str(single(params.get("sort"), "sort") or "asc").strip().lower()
    if sort not in _SORTS:
        raise TranslationError("sort", f"must be 'asc' or 'desc', got {params.get('sort')!r}")
    offset = single(params.get("offset"), "offset")
    if offset is not None and not isinstance(offset, str):
        raise TranslationError("offset", "must be the next_offset of an earlier answer")
    return CampaignRecipientsCall(
        campaign_id=parse_id(path["campaign_id"], "campaign_id"),
        count=parse_int(params.get("count"), "count", default=5000, low=1),
        sort=sort,
        offset=offset or None,
    )


#: The legacy ``count`` maximum of the recipients listing (25000; legacy-surface.md B.7); a
#: larger one is clamped (leniency row ``count_clamped``).
COUNT_LIMITS: dict[type[Any], int] = {CampaignRecipientsCall: 25000}

TRANSLATORS: dict[type[Any], Callable[..., Flow[Any]]] = {
    CampaignRecipientsCall: plan_get_campaign_recipients
}


# --- endpoints ----------------------------------------------------------------------------

_BASE = "https://a.klaviyo.com/api/v1"

ENDPOINTS: tuple[LegacyEndpoint, ...] = (
    LegacyEndpoint(
        "GET",
        "/api/v1/campaign/{campaign_id}/recipients",
        _build_recipients,
        ("Campaigns.get_campaign_recipients",),
        ("Campaigns.get_campaign_recipients",),
        {
            "method": "GET",
            "url": f"{_BASE}/campaign/01HCAMPAIGN/recipients?api_key={EXAMPLE_KEY}&count=5000"
            "&sort=asc&offset=",
        },
        (
            "no recipient list exists: recipients are the profiles with a Received Email "
            "event since the campaign's send time whose `$message` names the campaign or its "
            "message (an assumption about Klaviyo's event properties)",
            "every Received Email event of the account since the send time is read, so the "
            "cost grows with the account's email volume",
            "each recipient has `status: Sent`, the profile id as `customer_id` and "
            "`$variation` as `variation_id`; bounces and skips are not reported",
            "ordered by time received (`sort`); `next_offset` is this library's token and is "
            "absent at the end",
        ),
    ),
)
