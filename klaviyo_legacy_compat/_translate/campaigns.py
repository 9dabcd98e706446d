"""Legacy v1 campaigns (``/api/v1/campaigns``, ``/api/v1/campaign/{id}[/...]``) → the new
campaigns API (new-api.md §3.8). Every legacy answer is built from what Klaviyo answers.

- ``GET /v1/campaigns?page&count`` → ``GET /api/campaigns`` with the *required* channel filter
  ``equals(messages.channel,'email')`` (spec; users-and-peers.md §1.26: legacy v1 campaigns were
  email campaigns, so SMS and push campaigns are not listed), ``include=campaign-messages``
  (subject and sender live on the message), newest first like the legacy list, 100 a page.
  The cursor pages are walked to the end (at most ``MAX_PAGES``) so that the legacy ``total``
  is a count, not a guess; past that it is ``None`` and a notice says so. The legacy page
  ``[page*count, page*count+count)`` is cut from the walk.
- ``GET /v1/campaign/{id}`` → ``GET /api/campaigns/{id}?include=campaign-messages``.
- ``POST /v1/campaigns`` → ``POST /api/campaigns`` (audience = ``list_id``, one email message
  with ``subject``/``from_email``/``from_label`` = ``from_name``, ``use_smart_sending`` →
  ``send_options``, ``add_google_analytics`` → ``tracking_options.add_tracking_params``), then
  ``POST /api/campaign-message-assign-template`` for the message the create answer names (the
  HTML body lives in a template copied onto the message). Not replay-safe: a create is
  retried only when Klaviyo certainly did not act on it (``_retry.REPLAY_SAFE``).
- ``PUT /v1/campaign/{id}`` → only what was given: ``PATCH /api/campaigns/{id}`` (name, list,
  options), ``PATCH /api/campaign-messages/{message}`` (subject, sender; the message is looked
  up first and its current content kept), ``assign_template_to_campaign_message``; then the
  campaign is read back.
- ``POST /v1/campaign/{id}/send`` → ``POST /api/campaign-send-jobs``; ``/schedule`` → ``PATCH``
  a static ``send_strategy`` (``send_time`` is UTC, ``is_local: false``), then the send job.
  Both answer the legacy ``{"status": ...}`` with the job's status (``queued``), the shape
  ``klaviyo-sdk`` gave both calls.
- ``POST /v1/campaign/{id}/cancel`` → ``PATCH /api/campaign-send-jobs/{id}`` ``cancel`` (204),
  then the campaign is read back: legacy answered the cancelled campaign.
- ``POST /v1/campaign/{id}/clone`` → ``POST /api/campaign-clone`` (``new_name``), ``PATCH`` the
  copy's audience to ``list_id``, then the copy is read back.
- ``GET /v1/campaign/{id}/recipients`` has no direct equivalent. The recipients of a sent
  campaign are the profiles with a "Received Email" event for it: the campaign is read (its
  send time and message ids), the "Received Email" metric is found (``GET /api/metrics``
  cannot filter by name, so the pages are walked until it shows), and ``GET /api/events``
  filtered by that metric and ``datetime`` ≥ the send time is read with the profiles included.
  **Assumption** (stated in a notice): the event property ``$message`` holds the id of the
  campaign (or of its message) the email belonged to, as Klaviyo's Received Email events
  do; events of other campaigns and flows in the window are skipped. Tokens from
  :func:`encode_token` (cursor + position) are handed out as ``next_offset``.

The v1 campaign object: ``{"object": "campaign", "id", "name", "subject", "from_email",
"from_name", "lists", "excluded_lists", "status", "status_id", "status_label", "sent_at",
"send_time", "created", "updated", "campaign_type", "message_type", "template_id"}``, times
``YYYY-MM-DD HH:MM:SS`` UTC. Left out because the new API does not supply them: list
``name``/``list_type``/``person_count`` (ids only), ``num_recipients``, ``is_segmented``,
``status_id`` for statuses other than sent (1) and draft (2) (the only legacy numbers on
record), ``campaign_type`` for A/B tests. ``sent_at`` is Klaviyo's send time for a sent
campaign (legacy reported the moment sending finished, seconds later); ``template_id`` is the
campaign's own copy of the template, as the legacy ids were.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Callable, Optional, Union

import attrs

from klaviyo_legacy_compat._catalogue import LegacyEndpoint
from klaviyo_legacy_compat._errors import PartialDeliveryError, TranslationError
from klaviyo_legacy_compat._flow import Flow, Reply, Step, notice, send
from klaviyo_legacy_compat._models import PlannedRequest
from klaviyo_legacy_compat._parse import (
    decode_token,
    encode_token,
    optional_email,
    optional_id,
    parse_flag,
    parse_id,
    parse_int,
    parse_moment,
    parse_page,
    parse_text,
    parse_utc_time,
    single,
)
from klaviyo_legacy_compat._translate._jsonapi import (
    attributes_of,
    dig,
    dry_reply,
    filter_equals,
    items_of,
    placeholder,
    planned,
    resource_of,
)
from klaviyo_legacy_compat._translate._legacy import EXAMPLE_KEY, legacy_page, legacy_time
from klaviyo_legacy_compat._translate._paging import MAX_PAGES, next_cursor, page, walk
from klaviyo_legacy_compat._values import as_email, iso_utc
from klaviyo_legacy_compat._wire import CallRoute

__all__ = [
    "CATALOGUE",
    "ROUTES",
    "TRANSLATORS",
    "CampaignCall",
    "CampaignCancelCall",
    "CampaignCloneCall",
    "CampaignCreateCall",
    "CampaignRecipientsCall",
    "CampaignScheduleCall",
    "CampaignSendCall",
    "CampaignUpdateCall",
    "CampaignsCall",
]

#: The channel filter get_campaigns requires (spec description; new-api.md §3.8).
EMAIL_CHANNEL_FILTER = "equals(messages.channel,'email')"
#: get_campaigns pages: default and maximum 100 (spec).
CAMPAIGNS_PAGE_SIZE = 100
#: get_events pages: the operation's description promises at most 200 events a page.
EVENTS_PAGE_SIZE = 200
#: The Klaviyo metric whose events record each email a profile received.
RECEIVED_EMAIL = "Received Email"
#: Local-time sends go out in each recipient's zone, up to 26 hours apart (UTC-12 … UTC+14).
LOCAL_SEND_MARGIN = timedelta(hours=26)
#: The token kind of ``next_offset``.
RECIPIENTS_TOKEN = "campaign-recipients"

#: New campaign status → (legacy status, legacy status_id or None). Legacy statuses were
#: draft/scheduled/sending/sent/cancelled; status_id is known only for sent (1) and draft
#: (2), from legacy answers on record (singer-io/tap-klaviyo tests/responses/campaigns.txt).
STATUS_MAP: dict[str, tuple[Optional[str], Optional[int]]] = {
    "Draft": ("draft", 2),
    "Scheduled": ("scheduled", None),
    "Preparing to schedule": ("scheduled", None),
    "Preparing to send": ("sending", None),
    "Adding Recipients": ("sending", None),
    "Sending": ("sending", None),
    "Sending Segments": ("sending", None),
    "Queued without Recipients": ("sending", None),
    "Variations Sent": ("sending", None),
    "Sent": ("sent", 1),
    "Cancelled": ("cancelled", None),
    "Cancelled: Smart Sending": ("cancelled", None),
    "Cancelled: Account Disabled": ("cancelled", None),
    "Cancelled: No Recipients": ("cancelled", None),
    "Cancelled: Internal Error": ("cancelled", None),
    "Cancelled: Billing Limit": ("cancelled", None),
    "Cancelled: Misconfigured": ("cancelled", None),
    "Unknown": (None, None),
}

#: Legacy campaign field → email message content attribute (spec ``EmailContent``).
MESSAGE_CONTENT: dict[str, str] = {
    "subject": "subject",
    "from_email": "from_email",
    "from_name": "from_label",
}

#: send_strategy methods whose legacy campaign_type is known; others leave it out.
CAMPAIGN_TYPES: dict[str, str] = {
    "static": "Regular",
    "immediate": "Regular",
    "throttled": "Regular",
    "smart_send_time": "Regular",
}

_SORTS = {"asc": "datetime", "desc": "-datetime"}


# --- the typed calls ----------------------------------------------------------------------


@attrs.frozen
class CampaignsCall:
    """``GET /v1/campaigns``: one legacy page of email campaigns."""

    page: int = 0
    count: int = 50


@attrs.frozen
class CampaignCall:
    """``GET /v1/campaign/{id}``."""

    campaign_id: str


@attrs.frozen
class CampaignCreateCall:
    """``POST /v1/campaigns``; ``name`` defaults to ``subject``, as the legacy API did."""

    list_id: str
    template_id: str
    from_email: str
    from_name: str
    subject: str
    name: Optional[str] = None
    use_smart_sending: Optional[bool] = None
    add_google_analytics: Optional[bool] = None


@attrs.frozen
class CampaignUpdateCall:
    """``PUT /v1/campaign/{id}``: only the given fields change."""

    campaign_id: str
    list_id: Optional[str] = None
    template_id: Optional[str] = None
    from_email: Optional[str] = None
    from_name: Optional[str] = None
    subject: Optional[str] = None
    name: Optional[str] = None
    use_smart_sending: Optional[bool] = None
    add_google_analytics: Optional[bool] = None


@attrs.frozen
class CampaignSendCall:
    """``POST /v1/campaign/{id}/send``."""

    campaign_id: str


@attrs.frozen
class CampaignScheduleCall:
    """``POST /v1/campaign/{id}/schedule``; ``send_time`` is an aware UTC datetime."""

    campaign_id: str
    send_time: datetime


@attrs.frozen
class CampaignCancelCall:
    """``POST /v1/campaign/{id}/cancel``."""

    campaign_id: str


@attrs.frozen
class CampaignCloneCall:
    """``POST /v1/campaign/{id}/clone`` (``name`` and ``list_id`` were required)."""

    campaign_id: str
    name: str
    list_id: str


@attrs.frozen
class CampaignRecipientsCall:
    """``GET /v1/campaign/{id}/recipients``; ``offset`` is a ``next_offset`` handed out
    earlier (``None`` for the first page; ``klaviyo`` 3.1.7 sends an empty one)."""

    campaign_id: str
    count: int = 5000
    sort: str = "asc"
    offset: Optional[str] = None


# --- reading new-API answers --------------------------------------------------------------


def _related_ids(resource: Mapping[str, Any], name: str) -> list[str]:
    relationship = (resource.get("relationships") or {}).get(name) or {}
    data = relationship.get("data") if isinstance(relationship, dict) else None
    items = data if isinstance(data, list) else [data] if isinstance(data, dict) else []
    return [str(i["id"]) for i in items if isinstance(i, dict) and i.get("id")]


def _messages_for(resource: Mapping[str, Any], included: Sequence[Any]) -> list[dict[str, Any]]:
    """The campaign's messages, from the ``included`` of a compound document."""
    by_id = {
        item.get("id"): item
        for item in included
        if isinstance(item, dict) and item.get("type") == "campaign-message"
    }
    return [by_id[i] for i in _related_ids(resource, "campaign-messages") if i in by_id]


def _message_content(message: Mapping[str, Any]) -> tuple[Optional[str], dict[str, Any]]:
    """(channel, content) of a message: read answers nest them in ``definition``, the
    assign-template answer has them right under ``attributes`` (spec
    ``PostCampaignMessageResponse``)."""
    attributes = attributes_of(message)
    holder = attributes.get("definition")
    if not isinstance(holder, dict):
        holder = attributes
    content = holder.get("content")
    channel = holder.get("channel")
    return (
        channel if isinstance(channel, str) else None,
        content if isinstance(content, dict) else {},
    )


def campaign_object(
    resource: Mapping[str, Any], messages: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """The v1 campaign object of a new-API campaign and its messages; a field whose source
    is absent from Klaviyo's answer is left out."""
    attributes = attributes_of(resource)
    out: dict[str, Any] = {"object": "campaign", "id": resource.get("id")}
    if "name" in attributes:
        out["name"] = attributes["name"]
    channel, content = _message_content(messages[0]) if messages else (None, {})
    for legacy, new in MESSAGE_CONTENT.items():
        if new in content:
            out[legacy] = content[new]
    audiences = attributes.get("audiences")
    if isinstance(audiences, dict):
        for legacy, key in (("lists", "included"), ("excluded_lists", "excluded")):
            out[legacy] = [{"object": "list", "id": i} for i in audiences.get(key) or []]
    if "status" in attributes:
        status, status_id = STATUS_MAP.get(str(attributes["status"]), (None, None))
        out["status"] = status
        if status_id is not None:
            out["status_id"] = status_id
        out["status_label"] = attributes["status"]
    if "send_time" in attributes:
        send_time = legacy_time(attributes["send_time"])
        out["sent_at"] = send_time if out.get("status") == "sent" else None
        out["send_time"] = send_time
    for legacy, new in (("created", "created_at"), ("updated", "updated_at")):
        if new in attributes:
            out[legacy] = legacy_time(attributes[new])
    strategy = attributes.get("send_strategy")
    method = strategy.get("method") if isinstance(strategy, dict) else None
    if method in CAMPAIGN_TYPES:
        out["campaign_type"] = CAMPAIGN_TYPES[str(method)]
    if channel:
        out["message_type"] = channel
    templates = _related_ids(messages[0], "template") if messages else []
    if templates:
        out["template_id"] = templates[0]
    return out


def _campaign_from(body: Any) -> dict[str, Any]:
    resource = resource_of(body)
    return campaign_object(resource, _messages_for(resource, dig(body, "included") or []))


# --- requests -----------------------------------------------------------------------------


def _get_campaign(
    campaign_id: str, *, depends_on: Optional[int] = None, note: Optional[str] = None
) -> PlannedRequest:
    return planned(
        "get_campaign",
        path_params={"id": campaign_id},
        params=(("include", "campaign-messages"),),
        depends_on=depends_on,
        note=note,
    )


def _read_campaign(
    campaign_id: str, *, depends_on: Optional[int] = None, note: Optional[str] = None
) -> Flow[dict[str, Any]]:
    """Read a campaign with its messages; the v1 campaign object."""
    reply = yield from send(_get_campaign(campaign_id, depends_on=depends_on, note=note))
    return _campaign_from(reply.response.json())


def _message_definition(content: Mapping[str, Any]) -> dict[str, Any]:
    return {"channel": "email", "content": dict(content)}


def _assign_template(
    message_id: str, template_id: str, depends_on: Optional[int], note: Optional[str]
) -> PlannedRequest:
    body = {
        "data": {
            "type": "campaign-message",
            "id": message_id,
            "relationships": {"template": {"data": {"type": "template", "id": template_id}}},
        }
    }
    return planned(
        "assign_template_to_campaign_message", json=body, depends_on=depends_on, note=note
    )


def _settings(
    name: Optional[str],
    list_id: Optional[str],
    smart: Optional[bool],
    analytics: Optional[bool],
) -> dict[str, Any]:
    """Campaign attributes for what was given: name, audience, send and tracking options."""
    out: dict[str, Any] = {}
    if name is not None:
        out["name"] = name
    if list_id is not None:
        out["audiences"] = {"included": [list_id]}
    if smart is not None:
        out["send_options"] = {"use_smart_sending": smart}
    if analytics is not None:
        # add_google_analytics added UTM parameters to links: the new API's tracking params.
        out["tracking_options"] = {"add_tracking_params": analytics}
    return out


def _send_job(campaign_id: str, note: Optional[str] = None) -> PlannedRequest:
    return planned(
        "send_campaign",
        json={"data": {"type": "campaign-send-job", "id": campaign_id}},
        note=note,
    )


def _job_status(reply: Reply) -> dict[str, Any]:
    status = attributes_of(resource_of(reply.response.json())).get("status")
    return {"status": status}


def _steps(
    steps: Sequence[tuple[str, Union[PlannedRequest, Step]]],
    done: list[str],
    *,
    record: bool = True,
) -> Flow[list[Reply]]:
    """Send dependent steps in order. A failure after an earlier write succeeded raises
    :class:`PartialDeliveryError` naming the writes done (``done``, extended here unless the
    steps are reads: ``record=False``) and the steps not done."""
    replies: list[Reply] = []
    for position, (what, request) in enumerate(steps):
        try:
            reply = yield from send(request)
        except Exception as exc:
            if not done:
                raise
            raise PartialDeliveryError(
                accepted=done,
                undelivered=[step for step, _ in steps[position:]],
                cause=exc,
                what="steps",
            ) from exc
        if record:
            done.append(f"{what} (request {reply.index})")
        replies.append(reply)
    return replies


def _message_lookup(
    campaign_id: str, depends_on: Optional[int] = None
) -> tuple[str, Union[PlannedRequest, Step]]:
    request = planned(
        "get_messages_for_campaign",
        path_params={"id": campaign_id},
        depends_on=depends_on,
        note=None if depends_on is None else f"reads the campaign request {depends_on} creates",
    )
    dry = dry_reply(
        200,
        {
            "data": [
                {
                    "type": "campaign-message",
                    "id": placeholder(f"message id of campaign {campaign_id}"),
                    "attributes": {"definition": {"channel": "email", "content": {}}},
                }
            ]
        },
    )
    return f"look up the message of campaign {campaign_id}", Step(request, dry_run_reply=dry)


def _first_message(reply: Reply, campaign_id: str) -> dict[str, Any]:
    data = dig(reply.response.json(), "data")
    messages = [m for m in data or [] if isinstance(m, dict) and m.get("id")]
    if not messages:
        raise TranslationError("campaign_id", f"campaign {campaign_id} has no message to update")
    return messages[0]


# --- translators --------------------------------------------------------------------------


def plan_get_campaigns(call: CampaignsCall, *, options: Any) -> Flow[dict[str, Any]]:
    """``GET /v1/campaigns``: the legacy page, cut from a walk of every email campaign."""
    del options
    yield from notice(
        "get_campaigns: the new API lists one channel at a time; only email campaigns are "
        "listed (legacy v1 campaigns were email campaigns), SMS and push campaigns are not",
        logging.INFO,
    )
    request = planned(
        "get_campaigns",
        params=(
            ("filter", EMAIL_CHANNEL_FILTER),
            ("include", "campaign-messages"),
            ("sort", "-created_at"),
            ("page[size]", str(CAMPAIGNS_PAGE_SIZE)),
        ),
    )
    found = yield from walk(request)
    if not found.complete:
        yield from notice(
            f"get_campaigns: more than {MAX_PAGES * CAMPAIGNS_PAGE_SIZE} email campaigns; the "
            "legacy total is unknown (None) and later pages are empty"
        )
    answer = legacy_page(found.items, call.page, call.count, found.complete)
    answer["data"] = [
        campaign_object(item, _messages_for(item, found.included)) for item in answer["data"]
    ]
    return answer


def plan_get_campaign(call: CampaignCall, *, options: Any) -> Flow[dict[str, Any]]:
    """``GET /v1/campaign/{id}``: the v1 campaign object."""
    del options
    return (yield from _read_campaign(call.campaign_id))


def plan_create_campaign(call: CampaignCreateCall, *, options: Any) -> Flow[dict[str, Any]]:
    """``POST /v1/campaigns``: create, then assign the template to the new message."""
    del options
    attributes = _settings(
        call.name or call.subject, call.list_id, call.use_smart_sending, call.add_google_analytics
    )
    content = {new: getattr(call, legacy) for legacy, new in MESSAGE_CONTENT.items()}
    attributes["campaign-messages"] = {
        "data": [
            {"type": "campaign-message", "attributes": {"definition": _message_definition(content)}}
        ]
    }
    dry = dry_reply(
        201,
        {
            "data": {
                "type": "campaign",
                "id": placeholder("id of the new campaign"),
                "attributes": {},
                "relationships": {
                    "campaign-messages": {
                        "data": [
                            {
                                "type": "campaign-message",
                                "id": placeholder("id of the new campaign's message"),
                            }
                        ]
                    }
                },
            }
        },
    )
    done: list[str] = []
    create = Step(
        planned("create_campaign", json={"data": {"type": "campaign", "attributes": attributes}}),
        dry_run_reply=dry,
    )
    (created,) = yield from _steps([("create the campaign", create)], done)
    campaign = resource_of(created.response.json())
    campaign_id = str(campaign.get("id") or "")
    messages = _related_ids(campaign, "campaign-messages")
    depends_on = created.index
    if not messages:
        # The create answer normally names the message; read it when it does not.
        (found,) = yield from _steps(
            [_message_lookup(campaign_id, created.index)], done, record=False
        )
        messages = [str(_first_message(found, campaign_id)["id"])]
        depends_on = found.index
    note = f"the message id comes from the answer to request {depends_on}"
    (assigned,) = yield from _steps(
        [
            (
                f"assign template {call.template_id} to message {messages[0]} of campaign "
                f"{campaign_id}",
                _assign_template(messages[0], call.template_id, depends_on, note),
            )
        ],
        done,
    )
    return campaign_object(campaign, [resource_of(assigned.response.json())])


def plan_update_campaign(call: CampaignUpdateCall, *, options: Any) -> Flow[dict[str, Any]]:
    """``PUT /v1/campaign/{id}``: only what was given, then the campaign read back."""
    del options
    given = {
        new: getattr(call, legacy)
        for legacy, new in MESSAGE_CONTENT.items()
        if getattr(call, legacy) is not None
    }
    attributes = _settings(
        call.name, call.list_id, call.use_smart_sending, call.add_google_analytics
    )
    done: list[str] = []
    steps: list[tuple[str, Union[PlannedRequest, Step]]] = []
    if attributes:
        body = {"data": {"type": "campaign", "id": call.campaign_id, "attributes": attributes}}
        steps.append(
            (
                f"update campaign {call.campaign_id}",
                planned("update_campaign", path_params={"id": call.campaign_id}, json=body),
            )
        )
    if given or call.template_id is not None:
        (found,) = yield from _steps([_message_lookup(call.campaign_id)], done, record=False)
        message = _first_message(found, call.campaign_id)
        message_id = str(message["id"])
        note = f"the message id comes from the answer to request {found.index}"
        channel, current = _message_content(message)
        if channel not in (None, "email"):
            raise TranslationError(
                "campaign_id", f"campaign {call.campaign_id} is a {channel} campaign, not email"
            )
        if given:
            # The current content is kept: a PATCH that replaced `content` whole must not
            # clear the sender when only the subject changes.
            content = {k: v for k, v in current.items() if v is not None}
            content.update(given)
            body = {
                "data": {
                    "type": "campaign-message",
                    "id": message_id,
                    "attributes": {"definition": _message_definition(content)},
                }
            }
            steps.append(
                (
                    f"update message {message_id} (subject, sender)",
                    planned(
                        "update_campaign_message",
                        path_params={"id": message_id},
                        json=body,
                        depends_on=found.index,
                        note=note,
                    ),
                )
            )
        if call.template_id is not None:
            steps.append(
                (
                    f"assign template {call.template_id} to message {message_id}",
                    _assign_template(message_id, call.template_id, found.index, note),
                )
            )
    yield from _steps(steps, done)
    return (yield from _read_campaign(call.campaign_id))


def plan_send_campaign(call: CampaignSendCall, *, options: Any) -> Flow[dict[str, Any]]:
    """``POST /v1/campaign/{id}/send`` → a send job; the legacy ``{"status": ...}``."""
    del options
    reply = yield from send(_send_job(call.campaign_id))
    return _job_status(reply)


def plan_schedule_campaign(call: CampaignScheduleCall, *, options: Any) -> Flow[dict[str, Any]]:
    """``POST /v1/campaign/{id}/schedule`` → a static send strategy, then a send job."""
    del options
    strategy = {
        "method": "static",
        "datetime": iso_utc(call.send_time),
        "options": {"is_local": False},
    }
    body = {
        "data": {
            "type": "campaign",
            "id": call.campaign_id,
            "attributes": {"send_strategy": strategy},
        }
    }
    done: list[str] = []
    _, job = yield from _steps(
        [
            (
                f"set the send time of campaign {call.campaign_id}",
                planned("update_campaign", path_params={"id": call.campaign_id}, json=body),
            ),
            (
                f"create the send job of campaign {call.campaign_id}",
                _send_job(call.campaign_id, "sent once request 0 has set the send time"),
            ),
        ],
        done,
    )
    return _job_status(job)


def plan_cancel_campaign(call: CampaignCancelCall, *, options: Any) -> Flow[dict[str, Any]]:
    """``POST /v1/campaign/{id}/cancel`` → cancel the send job (204); the campaign read back."""
    del options
    body = {
        "data": {
            "type": "campaign-send-job",
            "id": call.campaign_id,
            "attributes": {"action": "cancel"},
        }
    }
    yield from send(
        planned("cancel_campaign_send", path_params={"id": call.campaign_id}, json=body)
    )
    return (yield from _read_campaign(call.campaign_id))


def plan_clone_campaign(call: CampaignCloneCall, *, options: Any) -> Flow[dict[str, Any]]:
    """``POST /v1/campaign/{id}/clone`` → clone, set the copy's audience, read it back."""
    del options
    body = {
        "data": {"type": "campaign", "id": call.campaign_id, "attributes": {"new_name": call.name}}
    }
    dry = dry_reply(
        201,
        {"data": {"type": "campaign", "id": placeholder(f"id of the copy of {call.campaign_id}")}},
    )
    done: list[str] = []
    (cloned,) = yield from _steps(
        [
            (
                f"clone campaign {call.campaign_id}",
                Step(planned("create_campaign_clone", json=body), dry_run_reply=dry),
            )
        ],
        done,
    )
    copy_id = str(resource_of(cloned.response.json()).get("id") or "")
    note = f"the copy's id comes from the answer to request {cloned.index}"
    audience = {
        "data": {
            "type": "campaign",
            "id": copy_id,
            "attributes": {"audiences": {"included": [call.list_id]}},
        }
    }
    yield from _steps(
        [
            (
                f"set the audience of campaign {copy_id} to list {call.list_id}",
                planned(
                    "update_campaign",
                    path_params={"id": copy_id},
                    json=audience,
                    depends_on=cloned.index,
                    note=note,
                ),
            )
        ],
        done,
    )
    return (yield from _read_campaign(copy_id, depends_on=cloned.index, note=note))


# --- recipients ---------------------------------------------------------------------------


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
    profile = next(iter(_related_ids(event, "profile")), None)
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
            _get_campaign(call.campaign_id),
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
    messages = _messages_for(resource, (body or {}).get("included") or [])
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
    ids = (call.campaign_id, *_related_ids(resource, "campaign-messages"))
    window = _Window(call.campaign_id, metric_id, since, ids, call.sort)
    note = (
        f"filter holds the metric id request {metrics.last_index} finds and the send time "
        f"request {campaign.index} reads"
    )
    return (yield from _recipients_page(window, call.count, metrics.last_index, note))


# --- builders: legacy parameters → typed calls ---------------------------------------------


def _campaigns(params: Mapping[str, Any], path: Mapping[str, str]) -> CampaignsCall:
    del path
    number, count = parse_page(params)
    return CampaignsCall(number, count)


def _campaign(params: Mapping[str, Any], path: Mapping[str, str]) -> CampaignCall:
    del params
    return CampaignCall(parse_id(path["campaign_id"], "campaign_id"))


def _create(params: Mapping[str, Any], path: Mapping[str, str]) -> CampaignCreateCall:
    del path
    return CampaignCreateCall(
        list_id=parse_id(params.get("list_id"), "list_id"),
        template_id=parse_id(params.get("template_id"), "template_id"),
        from_email=as_email(
            parse_text(params.get("from_email"), "from_email", required=True), "from_email"
        ),
        from_name=str(parse_text(params.get("from_name"), "from_name", required=True)),
        subject=str(parse_text(params.get("subject"), "subject", required=True)),
        name=parse_text(params.get("name"), "name"),
        use_smart_sending=parse_flag(params.get("use_smart_sending"), "use_smart_sending"),
        add_google_analytics=parse_flag(params.get("add_google_analytics"), "add_google_analytics"),
    )


def _update(params: Mapping[str, Any], path: Mapping[str, str]) -> CampaignUpdateCall:
    return CampaignUpdateCall(
        campaign_id=parse_id(path["campaign_id"], "campaign_id"),
        list_id=optional_id(params.get("list_id"), "list_id"),
        template_id=optional_id(params.get("template_id"), "template_id"),
        from_email=optional_email(params.get("from_email"), "from_email"),
        from_name=parse_text(params.get("from_name"), "from_name"),
        subject=parse_text(params.get("subject"), "subject"),
        name=parse_text(params.get("name"), "name"),
        use_smart_sending=parse_flag(params.get("use_smart_sending"), "use_smart_sending"),
        add_google_analytics=parse_flag(params.get("add_google_analytics"), "add_google_analytics"),
    )


def _send(params: Mapping[str, Any], path: Mapping[str, str]) -> CampaignSendCall:
    del params
    return CampaignSendCall(parse_id(path["campaign_id"], "campaign_id"))


def _schedule(params: Mapping[str, Any], path: Mapping[str, str]) -> CampaignScheduleCall:
    return CampaignScheduleCall(
        parse_id(path["campaign_id"], "campaign_id"),
        parse_utc_time(params.get("send_time"), "send_time"),
    )


def _cancel(params: Mapping[str, Any], path: Mapping[str, str]) -> CampaignCancelCall:
    del params
    return CampaignCancelCall(parse_id(path["campaign_id"], "campaign_id"))


def _clone(params: Mapping[str, Any], path: Mapping[str, str]) -> CampaignCloneCall:
    return CampaignCloneCall(
        campaign_id=parse_id(path["campaign_id"], "campaign_id"),
        name=str(parse_text(params.get("name"), "name", required=True)),
        list_id=parse_id(params.get("list_id"), "list_id"),
    )


def _recipients(params: Mapping[str, Any], path: Mapping[str, str]) -> CampaignRecipientsCall:
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


#: Each call's legacy ``count`` maximum (v1 campaigns 100, recipients 25000; legacy-surface.md
#: B.7); a larger one is clamped (leniency row ``count_clamped``).
COUNT_LIMITS: dict[type[Any], int] = {CampaignsCall: 100, CampaignRecipientsCall: 25000}

TRANSLATORS: dict[type[Any], Callable[..., Flow[Any]]] = {
    CampaignsCall: plan_get_campaigns,
    CampaignCall: plan_get_campaign,
    CampaignCreateCall: plan_create_campaign,
    CampaignUpdateCall: plan_update_campaign,
    CampaignSendCall: plan_send_campaign,
    CampaignScheduleCall: plan_schedule_campaign,
    CampaignCancelCall: plan_cancel_campaign,
    CampaignCloneCall: plan_clone_campaign,
    CampaignRecipientsCall: plan_get_campaign_recipients,
}

_ID = r"(?P<campaign_id>[^/]+)"

ROUTES: tuple[CallRoute, ...] = (
    ("GET", r"/api/v1/campaigns", _campaigns),
    ("POST", r"/api/v1/campaigns", _create),
    ("GET", rf"/api/v1/campaign/{_ID}", _campaign),
    ("PUT", rf"/api/v1/campaign/{_ID}", _update),
    ("POST", rf"/api/v1/campaign/{_ID}/send", _send),
    ("POST", rf"/api/v1/campaign/{_ID}/schedule", _schedule),
    ("POST", rf"/api/v1/campaign/{_ID}/cancel", _cancel),
    ("POST", rf"/api/v1/campaign/{_ID}/clone", _clone),
    ("GET", rf"/api/v1/campaign/{_ID}/recipients", _recipients),
)

# --- catalogue ------------------------------------------------------------------------------

_BASE = "https://a.klaviyo.com/api/v1"
_OBJECT = (
    "answers the v1 campaign object built from Klaviyo's answer; list names, `num_recipients` "
    "and `is_segmented` are not supplied by the new API and are left out"
)
_FORM_FLAGS = (
    "`use_smart_sending` → `send_options`, `add_google_analytics` → `tracking_options."
    'add_tracking_params`; form booleans ("True"/"False") are read as booleans'
)

CATALOGUE: tuple[LegacyEndpoint, ...] = (
    LegacyEndpoint(
        "GET",
        "/api/v1/campaigns",
        ("Campaigns.get_campaigns",),
        ("Campaigns.get_campaigns",),
        {"method": "GET", "url": f"{_BASE}/campaigns?api_key={EXAMPLE_KEY}&page=0&count=50"},
        (
            "the channel filter the new API requires is `email`: SMS and push campaigns are "
            "not listed (legacy v1 campaigns were email campaigns)",
            "`page`/`count` are emulated over cursors: every email campaign is read, 100 per "
            "request, so `total` is a count; past 5000 campaigns `total` is `None`",
            "newest first, as the legacy list; each campaign is the v1 campaign object "
            "(subject and sender from its message)",
        ),
    ),
    LegacyEndpoint(
        "POST",
        "/api/v1/campaigns",
        (),
        ("Campaigns.create_campaign",),
        {
            "method": "POST",
            "url": f"{_BASE}/campaigns?api_key={EXAMPLE_KEY}",
            "form": {
                "list_id": "XyZ123",
                "template_id": "TmPl01",
                "from_email": "news@example.com",
                "from_name": "Example News",
                "subject": "Hello",
                "name": "May newsletter",
                "use_smart_sending": "True",
            },
        },
        (
            "two requests: create the campaign with one email message, then assign the "
            "template to that message (the new API keeps the HTML in a template copy)",
            f"`name` defaults to `subject`, as before; {_FORM_FLAGS}",
            "not replay-safe: retried only when Klaviyo certainly did not act on it; a failed "
            "template assignment raises `PartialDeliveryError` naming the created campaign",
            _OBJECT,
        ),
    ),
    LegacyEndpoint(
        "GET",
        "/api/v1/campaign/{campaign_id}",
        (),
        ("Campaigns.get_campaign_info",),
        {"method": "GET", "url": f"{_BASE}/campaign/01HCAMPAIGN?api_key={EXAMPLE_KEY}"},
        (
            "read with its messages (`include=campaign-messages`): subject, sender and "
            "template come from the message",
            "new statuses map onto draft/scheduled/sending/sent/cancelled; `status_label` is "
            "the new status text, `status_id` is given for sent (1) and draft (2) only",
            _OBJECT,
        ),
    ),
    LegacyEndpoint(
        "PUT",
        "/api/v1/campaign/{campaign_id}",
        (),
        ("Campaigns.update_campaign",),
        {
            "method": "PUT",
            "url": f"{_BASE}/campaign/01HCAMPAIGN?api_key={EXAMPLE_KEY}",
            "form": {"subject": "New subject", "name": "Renamed"},
        },
        (
            "only the given fields are sent: name, list and options to the campaign, subject "
            "and sender to its message (looked up first; its other content is kept), the "
            "template by assignment",
            f"{_FORM_FLAGS}; `list_id` replaces the included audience",
            "the campaign is read back to answer the updated v1 campaign object",
        ),
    ),
    LegacyEndpoint(
        "POST",
        "/api/v1/campaign/{campaign_id}/send",
        (),
        ("Campaigns.send_campaign",),
        {
            "method": "POST",
            "url": f"{_BASE}/campaign/01HCAMPAIGN/send?api_key={EXAMPLE_KEY}",
            "json": {},
        },
        (
            'a campaign send job; answers the legacy `{"status": ...}` with the job\'s status '
            "(`queued`)",
        ),
    ),
    LegacyEndpoint(
        "POST",
        "/api/v1/campaign/{campaign_id}/schedule",
        (),
        ("Campaigns.schedule_campaign",),
        {
            "method": "POST",
            "url": f"{_BASE}/campaign/01HCAMPAIGN/schedule?api_key={EXAMPLE_KEY}",
            "form": {"send_time": "2024-06-01 09:30:00"},
        },
        (
            "`send_time` ('%Y-%m-%d %H:%M:%S', UTC) becomes a static send strategy "
            "(`is_local: false`), then a send job schedules the campaign",
            'answers the legacy `{"status": ...}` with the job\'s status; a failed send job '
            "after the time was set raises `PartialDeliveryError`",
        ),
    ),
    LegacyEndpoint(
        "POST",
        "/api/v1/campaign/{campaign_id}/cancel",
        (),
        ("Campaigns.cancel_campaign",),
        {
            "method": "POST",
            "url": f"{_BASE}/campaign/01HCAMPAIGN/cancel?api_key={EXAMPLE_KEY}",
            "json": {},
        },
        (
            "cancels the campaign's send job (only a scheduled or sending campaign has one; "
            "legacy cancelled any campaign)",
            "the campaign is read back to answer the cancelled v1 campaign object, as legacy did",
        ),
    ),
    LegacyEndpoint(
        "POST",
        "/api/v1/campaign/{campaign_id}/clone",
        (),
        ("Campaigns.clone_campaign",),
        {
            "method": "POST",
            "url": f"{_BASE}/campaign/01HCAMPAIGN/clone?api_key={EXAMPLE_KEY}",
            "form": {"name": "Copy", "list_id": "XyZ123"},
        },
        (
            "clone (`new_name` = `name`), then set the copy's audience to `list_id`, then read "
            "the copy back for the v1 campaign object",
            "a failed audience update after the clone raises `PartialDeliveryError` naming "
            "the copy",
        ),
    ),
    LegacyEndpoint(
        "GET",
        "/api/v1/campaign/{campaign_id}/recipients",
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
