"""Legacy v1 campaigns → the new campaigns API (new-api.md §3.8); the endpoints are the
records of :data:`ENDPOINTS`. Every legacy answer is built from what Klaviyo answers.

The campaign list is ``GET /api/campaigns`` with the *required* channel filter
``equals(messages.channel,'email')`` (spec; users-and-peers.md §1.26: legacy v1 campaigns
were email campaigns, so SMS and push campaigns are not listed), ``include=campaign-messages``
(subject and sender live on the message), newest first like the legacy list, 100 a page. The
cursor pages are walked to the end (at most ``MAX_PAGES``) so that the legacy ``total`` is a
count, not a guess; past that it is ``None`` and a notice says so. The legacy page
``[page*count, page*count+count)`` is cut from the walk. One campaign is ``GET
/api/campaigns/{id}?include=campaign-messages``.

A create is ``POST /api/campaigns`` (audience = ``list_id``, one email message with
``subject``/``from_email``/``from_label`` = ``from_name``, ``use_smart_sending`` →
``send_options``, ``add_google_analytics`` → ``tracking_options.add_tracking_params``), then
``POST /api/campaign-message-assign-template`` for the message the create answer names (the
HTML body lives in a template copied onto the message). Not replay-safe: a create is retried
only when Klaviyo certainly did not act on it (``_retry.REPLAY_SAFE``). An update sends only
what was given: ``PATCH /api/campaigns/{id}`` (name, list, options), ``PATCH
/api/campaign-messages/{message}`` (subject, sender; the message is looked up first and its
current content kept), ``assign_template_to_campaign_message``; then the campaign is read
back.

A send is ``POST /api/campaign-send-jobs``; a schedule ``PATCH``-es a static
``send_strategy`` (``send_time`` is UTC, ``is_local: false``), then sends the job. Both
answer the legacy ``{"status": ...}`` with the job's status (``queued``), the shape
``klaviyo-sdk`` gave both calls. A cancel is ``PATCH /api/campaign-send-jobs/{id}``
``cancel`` (204), then the campaign is read back: legacy answered the cancelled campaign. A
clone is ``POST /api/campaign-clone`` (``new_name``), ``PATCH`` of the copy's audience to
``list_id``, then the copy is read back.

The recipients have no direct equivalent: :mod:`.recipients` reads them from Received Email
events. Every answer here is the v1 campaign object (:mod:`._campaign`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Callable, Optional, Union

import attrs

from klaviyo_legacy_compat._core.bodies import Document, Resource
from klaviyo_legacy_compat._core.convert import unstructure
from klaviyo_legacy_compat._core.documents import (
    Audiences,
    CampaignAttributes,
    CampaignCloneAttributes,
    CampaignSendJob,
    SendJobAction,
    SendStrategy,
    StrategyOptions,
)
from klaviyo_legacy_compat._core.errors import TranslationError
from klaviyo_legacy_compat._core.flow import Flow, Step, notice, send
from klaviyo_legacy_compat._core.legacy_endpoint import EXAMPLE_KEY, LegacyEndpoint
from klaviyo_legacy_compat._core.models import PlannedRequest
from klaviyo_legacy_compat._core.parse import (
    optional_email,
    optional_id,
    parse_flag,
    parse_id,
    parse_page,
    parse_text,
    parse_utc_time,
)
from klaviyo_legacy_compat._core.translate._campaign import (
    MESSAGE_CONTENT,
    assign_template,
    campaign_object,
    campaign_settings,
    first_message,
    job_status,
    message_attributes,
    message_content,
    message_lookup,
    messages_for,
    read_campaign,
    related_ids,
    send_in_order,
    send_job,
)
from klaviyo_legacy_compat._core.translate._jsonapi import (
    dry_reply,
    placeholder,
    planned,
    resource_body,
    resource_of,
)
from klaviyo_legacy_compat._core.translate._legacy import legacy_page
from klaviyo_legacy_compat._core.translate._paging import MAX_PAGES, walk
from klaviyo_legacy_compat._core.values import as_email, iso_utc

__all__ = [
    "COUNT_LIMITS",
    "ENDPOINTS",
    "TRANSLATORS",
    "CampaignCall",
    "CampaignCancelCall",
    "CampaignCloneCall",
    "CampaignCreateCall",
    "CampaignScheduleCall",
    "CampaignSendCall",
    "CampaignUpdateCall",
    "CampaignsCall",
]

#: The channel filter get_campaigns requires (spec description; new-api.md §3.8).
EMAIL_CHANNEL_FILTER = "equals(messages.channel,'email')"
#: get_campaigns pages: default and maximum 100 (spec).
CAMPAIGNS_PAGE_SIZE = 100


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
        campaign_object(item, messages_for(item, found.included)) for item in answer["data"]
    ]
    return answer


def plan_get_campaign(call: CampaignCall, *, options: Any) -> Flow[dict[str, Any]]:
    """``GET /v1/campaign/{id}``: the v1 campaign object."""
    del options
    return (yield from read_campaign(call.campaign_id))


def plan_create_campaign(call: CampaignCreateCall, *, options: Any) -> Flow[dict[str, Any]]:
    """``POST /v1/campaigns``: create, then assign the template to the new message."""
    del options
    attributes = campaign_settings(
        call.name or call.subject, call.list_id, call.use_smart_sending, call.add_google_analytics
    )
    content = {new: getattr(call, legacy) for legacy, new in MESSAGE_CONTENT.items()}
    message = Resource("campaign-message", attributes=message_attributes(content))
    attributes = attrs.evolve(attributes, campaign_messages=Document([message]))
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
        planned("create_campaign", json=resource_body("campaign", attributes=attributes)),
        dry_run_reply=dry,
    )
    (created,) = yield from send_in_order([("create the campaign", create)], done)
    campaign = resource_of(created.response.json())
    campaign_id = str(campaign.get("id") or "")
    messages = related_ids(campaign, "campaign-messages")
    depends_on = created.index
    if not messages:
        # The create answer normally names the message; read it when it does not.
        (found,) = yield from send_in_order(
            [message_lookup(campaign_id, created.index)], done, record=False
        )
        messages = [str(first_message(found, campaign_id)["id"])]
        depends_on = found.index
    note = f"the message id comes from the answer to request {depends_on}"
    (assigned,) = yield from send_in_order(
        [
            (
                f"assign template {call.template_id} to message {messages[0]} of campaign "
                f"{campaign_id}",
                assign_template(messages[0], call.template_id, depends_on, note),
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
    attributes = campaign_settings(
        call.name, call.list_id, call.use_smart_sending, call.add_google_analytics
    )
    done: list[str] = []
    steps: list[tuple[str, Union[PlannedRequest, Step]]] = []
    if attributes != CampaignAttributes():
        body = resource_body("campaign", call.campaign_id, attributes=attributes)
        steps.append(
            (
                f"update campaign {call.campaign_id}",
                planned("update_campaign", path_params={"id": call.campaign_id}, json=body),
            )
        )
    if given or call.template_id is not None:
        (found,) = yield from send_in_order([message_lookup(call.campaign_id)], done, record=False)
        message = first_message(found, call.campaign_id)
        message_id = str(message["id"])
        note = f"the message id comes from the answer to request {found.index}"
        channel, current = message_content(message)
        if channel not in (None, "email"):
            raise TranslationError(
                "campaign_id", f"campaign {call.campaign_id} is a {channel} campaign, not email"
            )
        if given:
            # The current content is kept: a PATCH that replaced `content` whole must not
            # clear the sender when only the subject changes.
            content = {k: v for k, v in current.items() if v is not None}
            content.update(given)
            body = resource_body(
                "campaign-message", message_id, attributes=message_attributes(content)
            )
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
                    assign_template(message_id, call.template_id, found.index, note),
                )
            )
    yield from send_in_order(steps, done)
    return (yield from read_campaign(call.campaign_id))


def plan_send_campaign(call: CampaignSendCall, *, options: Any) -> Flow[dict[str, Any]]:
    """``POST /v1/campaign/{id}/send`` → a send job; the legacy ``{"status": ...}``."""
    del options
    reply = yield from send(send_job(call.campaign_id))
    return job_status(reply)


def plan_schedule_campaign(call: CampaignScheduleCall, *, options: Any) -> Flow[dict[str, Any]]:
    """``POST /v1/campaign/{id}/schedule`` → a static send strategy, then a send job."""
    del options
    strategy = SendStrategy("static", iso_utc(call.send_time), StrategyOptions(is_local=False))
    body = resource_body(
        "campaign", call.campaign_id, attributes=CampaignAttributes(send_strategy=strategy)
    )
    done: list[str] = []
    _, job = yield from send_in_order(
        [
            (
                f"set the send time of campaign {call.campaign_id}",
                planned("update_campaign", path_params={"id": call.campaign_id}, json=body),
            ),
            (
                f"create the send job of campaign {call.campaign_id}",
                send_job(call.campaign_id, "sent once request 0 has set the send time"),
            ),
        ],
        done,
    )
    return job_status(job)


def plan_cancel_campaign(call: CampaignCancelCall, *, options: Any) -> Flow[dict[str, Any]]:
    """``POST /v1/campaign/{id}/cancel`` → cancel the send job (204); the campaign read back."""
    del options
    job = CampaignSendJob(id=call.campaign_id, attributes=SendJobAction("cancel"))
    body = unstructure(Document(job))
    yield from send(
        planned("cancel_campaign_send", path_params={"id": call.campaign_id}, json=body)
    )
    return (yield from read_campaign(call.campaign_id))


def plan_clone_campaign(call: CampaignCloneCall, *, options: Any) -> Flow[dict[str, Any]]:
    """``POST /v1/campaign/{id}/clone`` → clone, set the copy's audience, read it back."""
    del options
    body = resource_body(
        "campaign", call.campaign_id, attributes=CampaignCloneAttributes(call.name)
    )
    dry = dry_reply(
        201,
        {"data": {"type": "campaign", "id": placeholder(f"id of the copy of {call.campaign_id}")}},
    )
    done: list[str] = []
    (cloned,) = yield from send_in_order(
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
    audience = resource_body(
        "campaign", copy_id, attributes=CampaignAttributes(audiences=Audiences([call.list_id]))
    )
    yield from send_in_order(
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
    return (yield from read_campaign(copy_id, depends_on=cloned.index, note=note))


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


#: Each call's legacy ``count`` maximum (v1 campaigns 100, recipients 25000; legacy-surface.md
#: B.7); a larger one is clamped (leniency row ``count_clamped``).
COUNT_LIMITS: dict[type[Any], int] = {CampaignsCall: 100}

TRANSLATORS: dict[type[Any], Callable[..., Flow[Any]]] = {
    CampaignsCall: plan_get_campaigns,
    CampaignCall: plan_get_campaign,
    CampaignCreateCall: plan_create_campaign,
    CampaignUpdateCall: plan_update_campaign,
    CampaignSendCall: plan_send_campaign,
    CampaignScheduleCall: plan_schedule_campaign,
    CampaignCancelCall: plan_cancel_campaign,
    CampaignCloneCall: plan_clone_campaign,
}

# --- endpoints ------------------------------------------------------------------------------

_BASE = "https://a.klaviyo.com/api/v1"
_OBJECT = (
    "answers the v1 campaign object built from Klaviyo's answer; list names, `num_recipients` "
    "and `is_segmented` are not supplied by the new API and are left out"
)
_FORM_FLAGS = (
    "`use_smart_sending` → `send_options`, `add_google_analytics` → `tracking_options."
    'add_tracking_params`; form booleans ("True"/"False") are read as booleans'
)

ENDPOINTS: tuple[LegacyEndpoint, ...] = (
    LegacyEndpoint(
        "GET",
        "/api/v1/campaigns",
        _campaigns,
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
        _create,
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
        _campaign,
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
        _update,
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
        _send,
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
        _schedule,
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
        _cancel,
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
        _clone,
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
)
