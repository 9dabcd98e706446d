"""The campaigns API as the legacy campaign calls use it: the v1 campaign object read from its
answers (shared by :mod:`.campaigns` and the recipients listing, :mod:`.recipients`), and the
requests several campaign calls send (read, message lookup, template assignment, send job, and
dependent steps sent in order).

``{"object": "campaign", "id", "name", "subject", "from_email", "from_name", "lists",
"excluded_lists", "status", "status_id", "status_label", "sent_at", "send_time", "created",
"updated", "campaign_type", "message_type", "template_id"}``, times ``YYYY-MM-DD HH:MM:SS``
UTC. Left out because the new API does not supply them: list ``name``/``list_type``/
``person_count`` (ids only), ``num_recipients``, ``is_segmented``, ``status_id`` for statuses
other than sent (1) and draft (2) (the only legacy numbers on record), ``campaign_type`` for
A/B tests. ``sent_at`` is Klaviyo's send time for a sent campaign (legacy reported the moment
sending finished, seconds later); ``template_id`` is the campaign's own copy of the template,
as the legacy ids were.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Optional, Union

from klaviyo_legacy_compat._core.bodies import Document, relationship
from klaviyo_legacy_compat._core.convert import unstructure
from klaviyo_legacy_compat._core.documents import (
    Audiences,
    CampaignAttributes,
    CampaignMessageAttributes,
    CampaignSendJob,
    MessageDefinition,
    SendOptions,
    TrackingOptions,
)
from klaviyo_legacy_compat._core.errors import PartialDeliveryError, TranslationError
from klaviyo_legacy_compat._core.flow import Flow, Reply, Step, send
from klaviyo_legacy_compat._core.models import PlannedRequest
from klaviyo_legacy_compat._core.translate._jsonapi import (
    attributes_of,
    dig,
    dry_reply,
    placeholder,
    planned,
    resource_body,
    resource_of,
)
from klaviyo_legacy_compat._core.translate._legacy import legacy_time

__all__ = [
    "CAMPAIGN_TYPES",
    "MESSAGE_CONTENT",
    "STATUS_MAP",
    "assign_template",
    "campaign_from",
    "campaign_object",
    "campaign_settings",
    "first_message",
    "get_campaign",
    "job_status",
    "message_attributes",
    "message_content",
    "message_lookup",
    "messages_for",
    "read_campaign",
    "related_ids",
    "send_in_order",
    "send_job",
]

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


# --- reading new-API answers --------------------------------------------------------------


def related_ids(resource: Mapping[str, Any], name: str) -> list[str]:
    relationship = (resource.get("relationships") or {}).get(name) or {}
    data = relationship.get("data") if isinstance(relationship, dict) else None
    items = data if isinstance(data, list) else [data] if isinstance(data, dict) else []
    return [str(i["id"]) for i in items if isinstance(i, dict) and i.get("id")]


def messages_for(resource: Mapping[str, Any], included: Sequence[Any]) -> list[dict[str, Any]]:
    """The campaign's messages, from the ``included`` of a compound document."""
    by_id = {
        item.get("id"): item
        for item in included
        if isinstance(item, dict) and item.get("type") == "campaign-message"
    }
    return [by_id[i] for i in related_ids(resource, "campaign-messages") if i in by_id]


def message_content(message: Mapping[str, Any]) -> tuple[Optional[str], dict[str, Any]]:
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
    channel, content = message_content(messages[0]) if messages else (None, {})
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
    templates = related_ids(messages[0], "template") if messages else []
    if templates:
        out["template_id"] = templates[0]
    return out


def campaign_from(body: Any) -> dict[str, Any]:
    """The v1 campaign object of a ``get_campaign`` answer (messages included)."""
    resource = resource_of(body)
    return campaign_object(resource, messages_for(resource, dig(body, "included") or []))


def get_campaign(
    campaign_id: str, *, depends_on: Optional[int] = None, note: Optional[str] = None
) -> PlannedRequest:
    """``GET /api/campaigns/{id}`` with its messages included."""
    return planned(
        "get_campaign",
        path_params={"id": campaign_id},
        params=(("include", "campaign-messages"),),
        depends_on=depends_on,
        note=note,
    )


def read_campaign(
    campaign_id: str, *, depends_on: Optional[int] = None, note: Optional[str] = None
) -> Flow[dict[str, Any]]:
    """Read a campaign with its messages; the v1 campaign object."""
    reply = yield from send(get_campaign(campaign_id, depends_on=depends_on, note=note))
    return campaign_from(reply.response.json())


# --- requests the campaign calls share -------------------------------------------------


def message_attributes(content: Mapping[str, Any]) -> CampaignMessageAttributes:
    """The ``attributes`` of an email campaign message with ``content``."""
    return CampaignMessageAttributes(MessageDefinition("email", dict(content)))


def assign_template(
    message_id: str, template_id: str, depends_on: Optional[int], note: Optional[str]
) -> PlannedRequest:
    """``POST /api/campaign-message-assign-template``: the template copied onto a message."""
    body = resource_body(
        "campaign-message",
        message_id,
        relationships={"template": relationship("template", template_id)},
    )
    return planned(
        "assign_template_to_campaign_message", json=body, depends_on=depends_on, note=note
    )


def campaign_settings(
    name: Optional[str],
    list_id: Optional[str],
    smart: Optional[bool],
    analytics: Optional[bool],
) -> CampaignAttributes:
    """Campaign attributes for what was given: name, audience, send and tracking options."""
    return CampaignAttributes(
        name=name,
        audiences=None if list_id is None else Audiences([list_id]),
        send_options=None if smart is None else SendOptions(smart),
        # add_google_analytics added UTM parameters to links: the new API's tracking params.
        tracking_options=None if analytics is None else TrackingOptions(analytics),
    )


def send_job(campaign_id: str, note: Optional[str] = None) -> PlannedRequest:
    """``POST /api/campaign-send-jobs`` for the campaign."""
    return planned(
        "send_campaign",
        json=unstructure(Document(CampaignSendJob(id=campaign_id))),
        note=note,
    )


def job_status(reply: Reply) -> dict[str, Any]:
    """The legacy ``{"status": ...}`` of a send job's answer."""
    status = attributes_of(resource_of(reply.response.json())).get("status")
    return {"status": status}


def send_in_order(
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


def message_lookup(
    campaign_id: str, depends_on: Optional[int] = None
) -> tuple[str, Union[PlannedRequest, Step]]:
    """The step that reads a campaign's messages, with what it does (for
    :func:`send_in_order`)."""
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


def first_message(reply: Reply, campaign_id: str) -> dict[str, Any]:
    """The campaign's first message in a :func:`message_lookup` answer; none is refused."""
    data = dig(reply.response.json(), "data")
    messages = [m for m in data or [] if isinstance(m, dict) and m.get("id")]
    if not messages:
        raise TranslationError("campaign_id", f"campaign {campaign_id} has no message to update")
    return messages[0]
