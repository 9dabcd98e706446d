"""The messaging part of the account behind
:class:`~klaviyo_legacy_compat.testing.LocalKlaviyo`: templates, campaigns with their
messages and send jobs, and flows (new-api.md §3.8, §3.9).

:class:`Account` is the :class:`~klaviyo_legacy_compat.testing._store.Store` (profiles,
events, lists, segments, metrics) plus these, under the same lock and with the same rules:
the server parses requests into plain values, calls one method here, and renders the result;
domain failures are :class:`~klaviyo_legacy_compat.testing._store_records.StoreError`\\ s; readers
return copies.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Callable, Optional

import attrs

from klaviyo_legacy_compat.testing._store import Store
from klaviyo_legacy_compat.testing._store_records import Invalid, NotFound, iso, new_id, new_list_id

__all__ = [
    "CAMPAIGN_STATUSES",
    "CHANNELS",
    "EDITOR_TYPES",
    "RECEIVED_EMAIL",
    "TEMPLATE_CAP",
    "Account",
    "Campaign",
    "CampaignMessage",
    "Flow",
    "SendJob",
    "Template",
]

#: Template editor types a create accepts (spec ``TemplateCreateQuery``); ``SIMPLE`` exists
#: only in answers, for templates made in the app.
EDITOR_TYPES = frozenset({"CODE", "USER_DRAGGABLE", "SYSTEM_DRAGGABLE"})

#: "If there are 1,000 or more templates in an account, creation will fail as there is a
#: limit of 1,000 templates that can be created via the API" (spec create_template).
TEMPLATE_CAP = 1000

#: The metric of Klaviyo's own event for each email a profile received.
RECEIVED_EMAIL = "Received Email"

#: Campaign statuses (spec enum of ``CampaignResponseObjectResource.status``).
CAMPAIGN_STATUSES = frozenset(
    {
        "Adding Recipients",
        "Cancelled",
        "Cancelled: Account Disabled",
        "Cancelled: Billing Limit",
        "Cancelled: Internal Error",
        "Cancelled: Misconfigured",
        "Cancelled: No Recipients",
        "Cancelled: Smart Sending",
        "Draft",
        "Preparing to schedule",
        "Preparing to send",
        "Queued without Recipients",
        "Scheduled",
        "Sending",
        "Sending Segments",
        "Sent",
        "Unknown",
        "Variations Sent",
    }
)

#: The channels of a campaign message (spec ``CampaignMessage`` ``definition.channel``).
CHANNELS = frozenset({"email", "sms", "mobile_push"})


@attrs.define
class Template:
    """A template. ``reusable`` is false for the copies assigning a template to a campaign
    message makes ("Creates a non-reusable version of the template", spec); those are not
    listed by ``get_templates``."""

    id: str
    name: str
    editor_type: str
    html: Optional[str]
    text: Optional[str]
    amp: Optional[str]
    created: str
    updated: str
    reusable: bool = True


@attrs.define
class CampaignMessage:
    """A campaign message: its ``definition`` (``channel``, ``label``, ``content``) and the
    template copy assigned to it."""

    id: str
    campaign_id: str
    definition: dict[str, Any]
    created_at: str
    updated_at: str
    template_id: Optional[str] = None


@attrs.define
class Campaign:
    """A campaign; attributes as the spec's ``CampaignResponseObjectResource`` names them,
    with its messages' ids and channels."""

    id: str
    name: str
    audiences: dict[str, Any]
    send_strategy: dict[str, Any]
    send_options: dict[str, Any]
    tracking_options: Optional[dict[str, Any]]
    created_at: str
    updated_at: str
    status: str = "Draft"
    archived: bool = False
    scheduled_at: Optional[str] = None
    send_time: Optional[str] = None
    message_ids: list[str] = attrs.field(factory=list)
    channels: list[str] = attrs.field(factory=list)


@attrs.define
class SendJob:
    """A campaign send job; its id is the campaign's (spec ``send_campaign``)."""

    id: str
    status: str


@attrs.define
class Flow:
    """A flow; attributes as the spec's ``FlowResponseObjectResource`` names them."""

    id: str
    name: str
    status: str
    archived: bool
    created: str
    updated: str
    trigger_type: str


#: Campaign statuses a send job can still be cancelled or reverted in.
_IN_FLIGHT = frozenset({"Scheduled", "Sending", "Preparing to send", "Preparing to schedule"})


def _moment(text: Optional[str]) -> Optional[datetime]:
    if text is None:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class Account(Store):
    """The whole account: :class:`Store` plus templates, campaigns and flows."""

    def __init__(self) -> None:
        super().__init__()
        self._templates: dict[str, Template] = {}
        self._campaigns: dict[str, Campaign] = {}
        self._messages: dict[str, CampaignMessage] = {}
        self._send_jobs: dict[str, SendJob] = {}
        self._flows: dict[str, Flow] = {}

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            super().clear()
            for table in (
                self._templates,
                self._campaigns,
                self._messages,
                self._send_jobs,
                self._flows,
            ):
                table.clear()

    # --- templates ---------------------------------------------------------------------------

    def _template(self, template_id: str, pointer: Optional[str] = None) -> Template:
        found = self._templates.get(template_id)
        if found is None:
            raise NotFound(f"A template with id {template_id} does not exist.", pointer=pointer)
        return found

    def _new_template_id(self) -> str:
        template_id = new_list_id()
        while template_id in self._templates:
            template_id = new_list_id()
        return template_id

    def _check_cap(self) -> None:
        if sum(t.reusable for t in self._templates.values()) >= TEMPLATE_CAP:
            raise Invalid(
                f"The account holds {TEMPLATE_CAP} templates or more; no more can be created "
                "through the API.",
                pointer="/data",
            )

    def create_template(
        self,
        name: str,
        editor_type: str = "CODE",
        html: Optional[str] = None,
        text: Optional[str] = None,
        amp: Optional[str] = None,
    ) -> Template:
        """A new template (a copy); 400 past :data:`TEMPLATE_CAP`."""
        if editor_type not in EDITOR_TYPES | {"SIMPLE"}:
            raise ValueError(f"editor_type must be one of {sorted(EDITOR_TYPES)}")
        with self._lock:
            self._check_cap()
            now = iso(self._now())
            template = Template(
                self._new_template_id(), name, editor_type, html, text, amp, now, now
            )
            self._templates[template.id] = template
            return copy.deepcopy(template)

    def template(self, template_id: str) -> Template:
        """The template (a copy); 404 for an unknown id."""
        with self._lock:
            return copy.deepcopy(self._template(template_id))

    def templates_where(self, predicate: Callable[[Template], bool]) -> list[Template]:
        """The reusable templates ``predicate`` accepts, in creation order (copies)."""
        with self._lock:
            return [
                copy.deepcopy(t) for t in self._templates.values() if t.reusable and predicate(t)
            ]

    @property
    def templates(self) -> dict[str, Template]:
        """Template id → template, the non-reusable copies too (a deep copy)."""
        with self._lock:
            return copy.deepcopy(self._templates)

    def update_template(self, template_id: str, changes: Mapping[str, Any]) -> Template:
        """Change the given attributes (``name``, ``html``, ``text``, ``amp``) of a template."""
        with self._lock:
            template = self._template(template_id)
            for name, value in changes.items():
                setattr(template, name, value)
            template.updated = iso(self._now())
            return copy.deepcopy(template)

    def delete_template(self, template_id: str) -> None:
        """Delete a template; 404 for an unknown id."""
        with self._lock:
            self._template(template_id)
            del self._templates[template_id]

    def clone_template(self, template_id: str, name: Optional[str] = None) -> Template:
        """A copy of the template named ``name`` (by default, as Klaviyo names copies,
        "Clone of <name>"); 400 past :data:`TEMPLATE_CAP`."""
        with self._lock:
            source = self._template(template_id, "/data/id")
            self._check_cap()
            now = iso(self._now())
            clone = attrs.evolve(
                source,
                id=self._new_template_id(),
                name=name if name is not None else f"Clone of {source.name}",
                created=now,
                updated=now,
                reusable=True,
            )
            self._templates[clone.id] = clone
            return copy.deepcopy(clone)

    # --- campaigns ---------------------------------------------------------------------------

    def _campaign(self, campaign_id: str, pointer: Optional[str] = None) -> Campaign:
        found = self._campaigns.get(campaign_id)
        if found is None:
            raise NotFound(f"A campaign with id {campaign_id} does not exist.", pointer=pointer)
        return found

    def _message(self, message_id: str, pointer: Optional[str] = None) -> CampaignMessage:
        found = self._messages.get(message_id)
        if found is None:
            raise NotFound(
                f"A campaign message with id {message_id} does not exist.", pointer=pointer
            )
        return found

    def _check_audiences(self, audiences: Mapping[str, Any], pointer: str) -> None:
        """Every audience id names a list or a segment of the account."""
        for key in ("included", "excluded"):
            for i, group in enumerate(audiences.get(key) or []):
                if group not in self._lists and group not in self._segments:
                    raise Invalid(
                        f"{group} is not a list or segment of this account.",
                        pointer=f"{pointer}/{key}/{i}",
                    )

    def create_campaign(
        self,
        name: str,
        audiences: Mapping[str, Any],
        definitions: Sequence[Mapping[str, Any]],
        *,
        send_strategy: Optional[Mapping[str, Any]] = None,
        send_options: Optional[Mapping[str, Any]] = None,
        tracking_options: Optional[Mapping[str, Any]] = None,
    ) -> Campaign:
        """A draft campaign with one message per definition (a copy). The send strategy
        defaults to immediate and smart sending to on (spec defaults)."""
        with self._lock:
            self._check_audiences(audiences, "/data/attributes/audiences")
            now = iso(self._now())
            campaign = Campaign(
                id=new_id(),
                name=name,
                audiences={
                    "included": list(audiences.get("included") or []),
                    "excluded": list(audiences.get("excluded") or []),
                },
                send_strategy=dict(send_strategy or {"method": "immediate"}),
                send_options={"use_smart_sending": True, **(send_options or {})},
                tracking_options=None if tracking_options is None else dict(tracking_options),
                created_at=now,
                updated_at=now,
            )
            for definition in definitions:
                message = CampaignMessage(
                    new_id(), campaign.id, copy.deepcopy(dict(definition)), now, now
                )
                self._messages[message.id] = message
                campaign.message_ids.append(message.id)
                campaign.channels.append(str(definition.get("channel")))
            self._campaigns[campaign.id] = campaign
            return copy.deepcopy(campaign)

    def campaign(self, campaign_id: str) -> Campaign:
        """The campaign (a copy); 404 for an unknown id."""
        with self._lock:
            return copy.deepcopy(self._campaign(campaign_id))

    def campaigns_where(self, predicate: Callable[[Campaign], bool]) -> list[Campaign]:
        """The campaigns ``predicate`` accepts, in creation order (copies)."""
        with self._lock:
            return [copy.deepcopy(c) for c in self._campaigns.values() if predicate(c)]

    @property
    def campaigns(self) -> dict[str, Campaign]:
        """Campaign id → campaign (a deep copy), as :attr:`templates` for templates."""
        with self._lock:
            return copy.deepcopy(self._campaigns)

    def campaign_messages(self, campaign_id: str) -> list[CampaignMessage]:
        """The campaign's messages (copies); 404 for an unknown campaign."""
        with self._lock:
            campaign = self._campaign(campaign_id)
            return [copy.deepcopy(self._messages[i]) for i in campaign.message_ids]

    def campaign_message(self, message_id: str) -> CampaignMessage:
        """The message (a copy); 404 for an unknown id."""
        with self._lock:
            return copy.deepcopy(self._message(message_id))

    def update_campaign(self, campaign_id: str, changes: Mapping[str, Any]) -> Campaign:
        """Change the given attributes; ``audiences`` keys replace their lists whole, option
        objects merge key by key (spec ``CampaignPartialUpdateQuery``)."""
        with self._lock:
            campaign = self._campaign(campaign_id)
            if "audiences" in changes:
                self._check_audiences(changes["audiences"], "/data/attributes/audiences")
            for name, value in changes.items():
                if name == "audiences":
                    campaign.audiences = {**campaign.audiences, **value}
                elif name in ("send_options", "tracking_options"):
                    setattr(campaign, name, {**(getattr(campaign, name) or {}), **value})
                else:
                    setattr(campaign, name, copy.deepcopy(value))
            campaign.updated_at = iso(self._now())
            return copy.deepcopy(campaign)

    def update_campaign_message(
        self, message_id: str, definition: Optional[Mapping[str, Any]]
    ) -> CampaignMessage:
        """Replace what the definition gives: ``label`` and each ``content`` field given
        (fields left out are kept); the channel cannot change."""
        with self._lock:
            message = self._message(message_id)
            if definition is not None:
                if definition.get("channel") != message.definition.get("channel"):
                    raise Invalid(
                        "The channel of a message cannot change.",
                        pointer="/data/attributes/definition/channel",
                    )
                if "label" in definition:
                    message.definition["label"] = definition["label"]
                content = dict(message.definition.get("content") or {})
                content.update(definition.get("content") or {})
                message.definition["content"] = content
            message.updated_at = iso(self._now())
            self._campaigns[message.campaign_id].updated_at = message.updated_at
            return copy.deepcopy(message)

    def assign_template(self, message_id: str, template_id: str) -> CampaignMessage:
        """Copy the template (non-reusable) onto the message (spec
        assign_template_to_campaign_message)."""
        with self._lock:
            message = self._message(message_id, "/data/id")
            source = self._template(template_id, "/data/relationships/template/data/id")
            now = iso(self._now())
            copied = attrs.evolve(
                source, id=self._new_template_id(), created=now, updated=now, reusable=False
            )
            self._templates[copied.id] = copied
            message.template_id = copied.id
            message.updated_at = now
            return copy.deepcopy(message)

    def clone_campaign(self, campaign_id: str, new_name: Optional[str] = None) -> Campaign:
        """A draft copy of the campaign and its messages (their template copies copied
        too), named ``new_name`` or "Clone of <name>"."""
        with self._lock:
            source = self._campaign(campaign_id, "/data/id")
            now = iso(self._now())
            clone = Campaign(
                id=new_id(),
                name=new_name if new_name is not None else f"Clone of {source.name}",
                audiences=copy.deepcopy(source.audiences),
                send_strategy=copy.deepcopy(source.send_strategy),
                send_options=copy.deepcopy(source.send_options),
                tracking_options=copy.deepcopy(source.tracking_options),
                created_at=now,
                updated_at=now,
            )
            for message_id in source.message_ids:
                original = self._messages[message_id]
                message = CampaignMessage(
                    new_id(), clone.id, copy.deepcopy(original.definition), now, now
                )
                if original.template_id in self._templates:
                    template = attrs.evolve(
                        self._templates[original.template_id],
                        id=self._new_template_id(),
                        created=now,
                        updated=now,
                    )
                    self._templates[template.id] = template
                    message.template_id = template.id
                self._messages[message.id] = message
                clone.message_ids.append(message.id)
                clone.channels.append(str(original.definition.get("channel")))
            self._campaigns[clone.id] = clone
            return copy.deepcopy(clone)

    def send_campaign(self, campaign_id: str) -> SendJob:
        """Queue a draft campaign (a copy of the job): ``Scheduled`` for a static or
        throttled send in the future, else ``Sending``; ``send_time`` is the strategy's time
        or now. 400 for a campaign that is not a draft."""
        with self._lock:
            campaign = self._campaign(campaign_id, "/data/id")
            if campaign.status != "Draft":
                raise Invalid(
                    f"Only a draft campaign can be sent; campaign {campaign_id} is "
                    f"{campaign.status!r}.",
                    pointer="/data/id",
                )
            # To the second, like the time of the events a send records.
            now = self._now().replace(microsecond=0)
            at = _moment(campaign.send_strategy.get("datetime"))
            campaign.status = "Scheduled" if at is not None and at > now else "Sending"
            campaign.send_time = iso(at if at is not None else now)
            campaign.scheduled_at = iso(now)
            campaign.updated_at = iso(now)
            job = SendJob(campaign_id, "queued")
            self._send_jobs[campaign_id] = job
            return copy.deepcopy(job)

    def cancel_campaign_send(self, campaign_id: str, action: str) -> None:
        """``cancel`` (status ``Cancelled``, for good) or ``revert`` (back to ``Draft``) the
        send job of a scheduled or sending campaign; 404 without one, 400 once it is done."""
        with self._lock:
            job = self._send_jobs.get(campaign_id)
            if job is None:
                raise NotFound(f"A campaign send job with id {campaign_id} does not exist.")
            campaign = self._campaign(campaign_id)
            if job.status not in ("queued", "processing") or campaign.status not in _IN_FLIGHT:
                raise Invalid(
                    f"The send job of campaign {campaign_id} is {job.status}; it can no longer "
                    f"be {'cancelled' if action == 'cancel' else 'reverted'}.",
                    pointer="/data/attributes/action",
                )
            now = iso(self._now())
            if action == "cancel":
                job.status, campaign.status = "cancelled", "Cancelled"
            else:
                del self._send_jobs[campaign_id]
                campaign.status, campaign.scheduled_at, campaign.send_time = "Draft", None, None
            campaign.updated_at = now

    def send_job(self, campaign_id: str) -> SendJob:
        """The campaign's send job (a copy); 404 without one."""
        with self._lock:
            job = self._send_jobs.get(campaign_id)
            if job is None:
                raise NotFound(f"A campaign send job with id {campaign_id} does not exist.")
            return copy.deepcopy(job)

    def finish_send(self, campaign_id: str) -> list[str]:
        """Let a queued campaign go out, as Klaviyo would at its send time: the job is
        ``complete``, the campaign ``Sent``, and every member of its included lists and
        segments with an email, not in an excluded one and not globally suppressed, gets a
        "Received Email" event (metric of the "Klaviyo" integration) at the send time,
        whose ``$message`` is the campaign id. Returns the recipients' profile ids."""
        with self._lock:
            job = self._send_jobs.get(campaign_id)
            campaign = self._campaign(campaign_id)
            if job is None or job.status != "queued":
                raise ValueError(f"campaign {campaign_id} has no queued send job")

            def members(ids: Sequence[str]) -> list[str]:
                out: list[str] = []
                for group_id in ids:
                    group = self._lists.get(group_id) or self._segments.get(group_id)
                    out.extend(pid for pid in (group.members if group else {}) if pid not in out)
                return out

            excluded = set(members(campaign.audiences.get("excluded") or []))
            recipients = [
                pid
                for pid in members(campaign.audiences.get("included") or [])
                if pid not in excluded
                and pid in self._profiles
                and self._profiles[pid].email is not None
                and not self._profiles[pid].global_suppressions
            ]
            metric = self._metric(RECEIVED_EMAIL, "Klaviyo", "Internal")
            at = _moment(campaign.send_time)
            subject = None
            if campaign.message_ids:
                content = self._messages[campaign.message_ids[0]].definition.get("content") or {}
                subject = content.get("subject")
            for pid in recipients:
                properties = {"$message": campaign.id, "Campaign Name": campaign.name}
                if subject is not None:
                    properties["Subject"] = subject
                self.add_event(metric.id, pid, properties, time=at, unique_id=campaign.id)
            job.status, campaign.status = "complete", "Sent"
            campaign.updated_at = iso(self._now())
            return recipients

    # --- flows -------------------------------------------------------------------------------

    def add_flow(
        self,
        name: str,
        *,
        status: str = "live",
        trigger_type: str = "Metric",
        archived: bool = False,
        created: Optional[datetime] = None,
        updated: Optional[datetime] = None,
    ) -> str:
        """Define a flow (flows are built in Klaviyo's app; the API reads them); returns its
        id. ``status`` is ``draft``, ``manual`` or ``live``; ``trigger_type`` one of the
        spec's (``Metric``, ``Added to List``, ``Date Based``, ...)."""
        with self._lock:
            flow_id = new_list_id()
            while flow_id in self._flows:
                flow_id = new_list_id()
            made = iso(created or self._now())
            self._flows[flow_id] = Flow(
                flow_id,
                name,
                status,
                archived,
                made,
                iso(updated) if updated else made,
                trigger_type,
            )
            return flow_id

    def flows_where(self, predicate: Callable[[Flow], bool]) -> list[Flow]:
        """The flows ``predicate`` accepts, in creation order (copies)."""
        with self._lock:
            return [copy.deepcopy(f) for f in self._flows.values() if predicate(f)]
