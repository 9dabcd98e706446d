"""LocalKlaviyo's campaigns and flows (new-api.md §3.8): list, read, create, update and clone
campaigns, their messages (update, assign a template), send jobs (send, cancel or revert),
and the flow list.

Email campaigns only: a message of another channel (SMS, push) is a 501, as is
``include=tags`` (the store keeps no tags). A campaign is created ``Draft``; a send job makes
it ``Scheduled`` (a static or throttled time in the future) or ``Sending``; a test lets it go
out with ``server.store.finish_send(id)`` (``Sent``, and a "Received Email" event per
recipient). Requests are checked field by field against the spec's request schemas; an
unknown attribute is a 400 naming it, as Klaviyo answers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any, Optional

from klaviyo_legacy_compat.testing._filters import ordered, record_filter
from klaviyo_legacy_compat.testing._protocol import (
    Call,
    Reply,
    id_mismatch,
    includes,
    one,
    page,
    relationship,
    resource,
)
from klaviyo_legacy_compat.testing._store_messages import (
    CHANNELS,
    Account,
    Campaign,
    CampaignMessage,
)
from klaviyo_legacy_compat.testing._store_records import Invalid, NotImplementedHere
from klaviyo_legacy_compat.testing._validation import (
    json_array,
    json_object,
    known_fields,
    optional_text,
    relationship_ids,
    request_data,
    required_text,
    strings,
)

__all__ = [
    "EMAIL_CONTENT",
    "THROTTLE_PERCENTAGES",
    "CampaignOperations",
]


#: The fields of an email message's ``content`` (spec ``EmailContent``).
EMAIL_CONTENT = (
    "subject",
    "preview_text",
    "from_email",
    "from_label",
    "reply_to_email",
    "cc_email",
    "bcc_email",
)

#: ``throttle_percentage`` values (spec ``ThrottledSendStrategy``).
THROTTLE_PERCENTAGES = frozenset({1, 2, 5, 10, 11, 13, 14, 17, 20, 25, 33, 50})

#: Each send strategy method → (required fields, optional fields) (spec send strategies).
_STRATEGIES: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "static": (frozenset({"datetime"}), frozenset({"options"})),
    "throttled": (frozenset({"datetime", "throttle_percentage"}), frozenset()),
    "immediate": (frozenset(), frozenset()),
    "smart_send_time": (frozenset({"date"}), frozenset()),
}

_TRACKING_FLAGS = ("add_tracking_params", "is_tracking_clicks", "is_tracking_opens")
_CAMPAIGN_ATTRIBUTES = frozenset(
    {"name", "audiences", "send_strategy", "send_options", "tracking_options"}
)


def _includes(call: Call, allowed: Sequence[str]) -> set[str]:
    wanted = set(includes(call, allowed))
    if "tags" in wanted:
        raise NotImplementedHere("LocalKlaviyo keeps no tags.", parameter="include")
    return wanted


def _flag(value: Any, pointer: str) -> Optional[bool]:
    if value is not None and not isinstance(value, bool):
        raise Invalid(f"{pointer} must be true or false.", pointer=pointer)
    return value


def _audiences(value: Any, pointer: str, *, partial: bool) -> dict[str, Any]:
    """``Audiences`` (``included`` required) or, for an update, ``AudiencesUpdate``."""
    audiences = json_object(value, pointer)
    known_fields(audiences, frozenset({"included", "excluded"}), pointer, "audiences")
    out: dict[str, Any] = {}
    if "included" in audiences or not partial:
        out["included"] = strings(audiences.get("included"), f"{pointer}/included")
    if audiences.get("excluded") is not None:
        out["excluded"] = strings(audiences["excluded"], f"{pointer}/excluded")
    return out


def _datetime(value: Any, pointer: str) -> None:
    """A ``date-time`` (ISO 8601) field."""
    try:
        datetime.fromisoformat(required_text(value, pointer).replace("Z", "+00:00"))
    except ValueError:
        raise Invalid(f"Invalid date-time: {value!r}.", pointer=pointer) from None


def _strategy(value: Any, pointer: str) -> dict[str, Any]:
    strategy = json_object(value, pointer)
    method = required_text(strategy.get("method"), f"{pointer}/method")
    if method not in _STRATEGIES:
        raise Invalid(
            f"method must be one of {sorted(_STRATEGIES)}, got {method!r}.",
            pointer=f"{pointer}/method",
        )
    required, optional = _STRATEGIES[method]
    known_fields(strategy, required | optional | {"method"}, pointer, f"a {method} send strategy")
    for name in sorted(required - set(strategy)):
        raise Invalid(f"{name} is required for a {method} send.", pointer=f"{pointer}/{name}")
    if "datetime" in strategy:
        _datetime(strategy["datetime"], f"{pointer}/datetime")
    if "date" in strategy:
        try:
            date.fromisoformat(required_text(strategy["date"], f"{pointer}/date"))
        except ValueError:
            raise Invalid("date must be YYYY-MM-DD.", pointer=f"{pointer}/date") from None
    if method == "throttled" and strategy["throttle_percentage"] not in THROTTLE_PERCENTAGES:
        raise Invalid(
            f"throttle_percentage must be one of {sorted(THROTTLE_PERCENTAGES)}.",
            pointer=f"{pointer}/throttle_percentage",
        )
    if strategy.get("options") is not None:
        options = json_object(strategy["options"], f"{pointer}/options")
        known_fields(
            options,
            frozenset({"is_local", "send_past_recipients_immediately"}),
            f"{pointer}/options",
            "send options",
        )
        if not isinstance(options.get("is_local"), bool):
            raise Invalid("is_local must be true or false.", pointer=f"{pointer}/options/is_local")
        _flag(options.get("send_past_recipients_immediately"), f"{pointer}/options")
    return dict(strategy)


def _settings(attributes: Mapping[str, Any], pointer: str, *, partial: bool) -> dict[str, Any]:
    """The campaign attributes of a create or an update, checked (spec
    ``CampaignCreateQuery``, ``CampaignPartialUpdateQuery``)."""
    out: dict[str, Any] = {}
    name = optional_text(attributes.get("name"), f"{pointer}/name", nullable=partial)
    if name is not None:
        out["name"] = name
    if attributes.get("audiences") is not None or not partial:
        out["audiences"] = _audiences(
            attributes.get("audiences"), f"{pointer}/audiences", partial=partial
        )
    if attributes.get("send_strategy") is not None:
        out["send_strategy"] = _strategy(attributes["send_strategy"], f"{pointer}/send_strategy")
    if attributes.get("send_options") is not None:
        options = json_object(attributes["send_options"], f"{pointer}/send_options")
        known_fields(
            options, frozenset({"use_smart_sending"}), f"{pointer}/send_options", "send options"
        )
        _flag(options.get("use_smart_sending"), f"{pointer}/send_options/use_smart_sending")
        out["send_options"] = dict(options)
    if attributes.get("tracking_options") is not None:
        where = f"{pointer}/tracking_options"
        tracking = json_object(attributes["tracking_options"], where)
        known_fields(
            tracking, frozenset({*_TRACKING_FLAGS, "custom_tracking_params"}), where, "tracking"
        )
        for flag in _TRACKING_FLAGS:
            _flag(tracking.get(flag), f"{where}/{flag}")
        if tracking.get("custom_tracking_params") is not None:
            json_array(tracking["custom_tracking_params"], f"{where}/custom_tracking_params")
        out["tracking_options"] = dict(tracking)
    return out


def _definition(value: Any, pointer: str) -> dict[str, Any]:
    """An email message definition (spec ``EmailMessageDefinition``)."""
    definition = json_object(value, pointer)
    channel = required_text(definition.get("channel"), f"{pointer}/channel")
    if channel not in CHANNELS:
        raise Invalid(f"channel must be one of {sorted(CHANNELS)}.", pointer=f"{pointer}/channel")
    if channel != "email":
        raise NotImplementedHere(
            f"LocalKlaviyo implements email campaigns only, not {channel}.",
            pointer=f"{pointer}/channel",
        )
    known_fields(
        definition, frozenset({"channel", "label", "content"}), pointer, "an email message"
    )
    label = optional_text(definition.get("label"), f"{pointer}/label")
    content = json_object(definition.get("content") or {}, f"{pointer}/content")
    known_fields(content, frozenset(EMAIL_CONTENT), f"{pointer}/content", "email content")
    for name, text in content.items():
        optional_text(text, f"{pointer}/content/{name}")
    out: dict[str, Any] = {"channel": channel, "content": dict(content)}
    if label is not None or "label" in definition:
        out["label"] = label
    return out


class CampaignOperations:
    """The handlers of campaigns, campaign messages, send jobs and flows (mixed into
    ``_operations.Operations``)."""

    store: Account

    # --- rendering ---------------------------------------------------------------------------

    def _campaign(self, call: Call, campaign: Campaign) -> dict[str, Any]:
        attributes = {
            "name": campaign.name,
            "status": campaign.status,
            "archived": campaign.archived,
            "audiences": dict(campaign.audiences),
            "send_options": dict(campaign.send_options),
            "tracking_options": campaign.tracking_options,
            "send_strategy": dict(campaign.send_strategy),
            "created_at": campaign.created_at,
            "scheduled_at": campaign.scheduled_at,
            "updated_at": campaign.updated_at,
            "send_time": campaign.send_time,
        }
        path = f"/api/campaigns/{campaign.id}"
        base = call.base_url + path
        messages = [{"type": "campaign-message", "id": i} for i in campaign.message_ids]
        relationships = {
            "campaign-messages": relationship(base, "campaign-messages", messages),
            "tags": relationship(base, "tags", []),
        }
        return resource(
            call, "campaign", campaign.id, attributes, path=path, relationships=relationships
        )

    def _send_times(self, message: CampaignMessage) -> list[dict[str, Any]]:
        campaign = self.store.campaign(message.campaign_id)
        if campaign.send_time is None:
            return []
        options = campaign.send_strategy.get("options") or {}
        return [{"datetime": campaign.send_time, "is_local": bool(options.get("is_local"))}]

    @staticmethod
    def _content(message: CampaignMessage) -> dict[str, Any]:
        content = message.definition.get("content") or {}
        return {name: content.get(name) for name in EMAIL_CONTENT}

    @staticmethod
    def _message_resource(
        call: Call, message: CampaignMessage, attributes: dict[str, Any]
    ) -> dict[str, Any]:
        """A ``campaign-message`` resource with these attributes and its relationships."""
        path = f"/api/campaign-messages/{message.id}"
        base = call.base_url + path
        relationships = {
            "campaign": relationship(
                base, "campaign", {"type": "campaign", "id": message.campaign_id}
            )
        }
        if message.template_id is not None:
            relationships["template"] = relationship(
                base, "template", {"type": "template", "id": message.template_id}
            )
        return resource(
            call, "campaign-message", message.id, attributes, path=path, relationships=relationships
        )

    def _message(self, call: Call, message: CampaignMessage) -> dict[str, Any]:
        """A message as reads and updates answer it (``definition`` nested)."""
        definition = {
            "channel": message.definition.get("channel"),
            "label": message.definition.get("label"),
            "content": self._content(message),
        }
        attributes = {
            "definition": definition,
            "send_times": self._send_times(message),
            "created_at": message.created_at,
            "updated_at": message.updated_at,
        }
        return self._message_resource(call, message, attributes)

    # --- campaigns ---------------------------------------------------------------------------

    def _compound(self, call: Call, campaigns: Sequence[Campaign]) -> list[dict[str, Any]]:
        if "campaign-messages" not in _includes(call, ("campaign-messages", "tags")):
            return []
        return [
            self._message(call, m) for c in campaigns for m in self.store.campaign_messages(c.id)
        ]

    def get_campaigns(self, call: Call) -> Reply:
        """``GET /api/campaigns``: the channel filter is required (spec); 100 a page."""
        text = call.query.get("filter")
        match = record_filter(call)
        if text is None or "messages.channel" not in text:
            raise Invalid(
                "A channel filter is required: equals(messages.channel,'email'), 'sms' or "
                "'mobile_push'.",
                parameter="filter",
            )
        found = ordered(call, self.store.campaigns_where(match))
        items, links = page(call, found, default=100, maximum=100)
        body: dict[str, Any] = {"data": [self._campaign(call, c) for c in items], "links": links}
        included = self._compound(call, items)
        if included:
            body["included"] = included
        return Reply(200, body)

    def get_campaign(self, call: Call) -> Reply:
        """``GET /api/campaigns/{id}``: ``include=campaign-messages``."""
        campaign = self.store.campaign(call.path_params["id"])
        body: dict[str, Any] = {
            "data": self._campaign(call, campaign),
            "links": {"self": call.url()},
        }
        included = self._compound(call, [campaign])
        if included:
            body["included"] = included
        return Reply(200, body)

    def create_campaign(self, call: Call) -> Reply:
        """``POST /api/campaigns``: 201, a draft with its messages."""
        data = request_data(call.body, "campaign")
        pointer = "/data/attributes"
        attributes = json_object(data.get("attributes"), pointer)
        known_fields(
            attributes, _CAMPAIGN_ATTRIBUTES | {"campaign-messages"}, pointer, "a campaign"
        )
        settings = _settings(attributes, pointer, partial=False)
        where = f"{pointer}/campaign-messages"
        raw = json_array(
            json_object(attributes.get("campaign-messages"), where).get("data"), f"{where}/data"
        )
        if not raw:
            raise Invalid("A campaign needs a message.", pointer=f"{where}/data")
        definitions = []
        for i, item in enumerate(raw):
            message = json_object(item, f"{where}/data/{i}")
            if message.get("type") != "campaign-message":
                raise Invalid("Expected type 'campaign-message'.", pointer=f"{where}/data/{i}/type")
            fields = json_object(message.get("attributes"), f"{where}/data/{i}/attributes")
            definitions.append(
                _definition(fields.get("definition"), f"{where}/data/{i}/attributes/definition")
            )
        for definition in definitions:
            # Klaviyo labels a message after its campaign unless told otherwise.
            definition.setdefault("label", settings["name"])
        campaign = self.store.create_campaign(
            settings["name"],
            settings["audiences"],
            definitions,
            send_strategy=settings.get("send_strategy"),
            send_options=settings.get("send_options"),
            tracking_options=settings.get("tracking_options"),
        )
        return one(call, self._campaign(call, campaign), 201)

    def update_campaign(self, call: Call) -> Reply:
        """``PATCH /api/campaigns/{id}``: what is given changes."""
        data = request_data(call.body, "campaign")
        mismatch = id_mismatch(data.get("id"), call)
        if mismatch is not None:
            return mismatch
        pointer = "/data/attributes"
        attributes = json_object(data.get("attributes"), pointer)
        known_fields(attributes, _CAMPAIGN_ATTRIBUTES, pointer, "a campaign")
        campaign = self.store.update_campaign(
            call.path_params["id"], _settings(attributes, pointer, partial=True)
        )
        return one(call, self._campaign(call, campaign))

    def create_campaign_clone(self, call: Call) -> Reply:
        """``POST /api/campaign-clone``: 201, the copy."""
        data = request_data(call.body, "campaign")
        source = required_text(data.get("id"), "/data/id")
        attributes = json_object(data.get("attributes"), "/data/attributes")
        known_fields(attributes, frozenset({"new_name"}), "/data/attributes", "a clone")
        name = optional_text(attributes.get("new_name"), "/data/attributes/new_name")
        campaign = self.store.clone_campaign(source, name)
        return one(call, self._campaign(call, campaign), 201)

    # --- messages ----------------------------------------------------------------------------

    def get_messages_for_campaign(self, call: Call) -> Reply:
        """``GET /api/campaigns/{id}/campaign-messages``."""
        if includes(call, ("campaign", "image", "template")):
            raise NotImplementedHere(
                "LocalKlaviyo does not include the relationships of campaign messages.",
                parameter="include",
            )
        messages = self.store.campaign_messages(call.path_params["id"])
        return one(call, [self._message(call, m) for m in messages])

    def update_campaign_message(self, call: Call) -> Reply:
        """``PATCH /api/campaign-messages/{id}``: the definition's label and content fields
        given replace the current ones."""
        data = request_data(call.body, "campaign-message")
        mismatch = id_mismatch(data.get("id"), call)
        if mismatch is not None:
            return mismatch
        attributes = json_object(data.get("attributes"), "/data/attributes")
        known_fields(
            attributes, frozenset({"definition"}), "/data/attributes", "a campaign message"
        )
        if data.get("relationships") is not None:
            raise NotImplementedHere(
                "LocalKlaviyo keeps no images for campaign messages.", pointer="/data/relationships"
            )
        definition = (
            None
            if attributes.get("definition") is None
            else _definition(attributes["definition"], "/data/attributes/definition")
        )
        message = self.store.update_campaign_message(call.path_params["id"], definition)
        return one(call, self._message(call, message))

    def assign_template_to_campaign_message(self, call: Call) -> Reply:
        """``POST /api/campaign-message-assign-template``: a non-reusable copy of the template
        is the message's; answered in the spec's ``PostCampaignMessageResponse`` shape
        (``channel``/``content`` right under ``attributes``)."""
        data = request_data(call.body, "campaign-message")
        message_id = required_text(data.get("id"), "/data/id")
        relationships = json_object(data.get("relationships"), "/data/relationships")
        (template_id,) = relationship_ids(
            relationships.get("template"), "/data/relationships/template", "template", many=False
        )
        message = self.store.assign_template(message_id, template_id)
        attributes = {
            "label": message.definition.get("label") or "",
            "channel": message.definition.get("channel"),
            "content": self._content(message),
            "send_times": self._send_times(message),
            "created_at": message.created_at,
            "updated_at": message.updated_at,
        }
        return one(call, self._message_resource(call, message, attributes))

    # --- send jobs ---------------------------------------------------------------------------

    def send_campaign(self, call: Call) -> Reply:
        """``POST /api/campaign-send-jobs``: 202 with the job (``queued``)."""
        data = request_data(call.body, "campaign-send-job")
        campaign_id = required_text(data.get("id"), "/data/id")
        job = self.store.send_campaign(campaign_id)
        found = resource(
            call,
            "campaign-send-job",
            job.id,
            {"status": job.status},
            path=f"/api/campaign-send-jobs/{job.id}",
        )
        return one(call, found, 202)

    def cancel_campaign_send(self, call: Call) -> Reply:
        """``PATCH /api/campaign-send-jobs/{id}``: ``cancel`` or ``revert``; 204."""
        data = request_data(call.body, "campaign-send-job")
        mismatch = id_mismatch(data.get("id"), call)
        if mismatch is not None:
            return mismatch
        attributes = json_object(data.get("attributes"), "/data/attributes")
        action = required_text(attributes.get("action"), "/data/attributes/action")
        if action not in ("cancel", "revert"):
            raise Invalid("action must be cancel or revert.", pointer="/data/attributes/action")
        self.store.cancel_campaign_send(call.path_params["id"], action)
        return Reply(204)

    # --- flows -------------------------------------------------------------------------------

    def get_flows(self, call: Call) -> Reply:
        """``GET /api/flows``: 50 a page at most (spec)."""
        if includes(call, ("flow-actions", "tags"), of="of flows"):
            raise NotImplementedHere(
                "LocalKlaviyo keeps no flow actions or tags.", parameter="include"
            )
        match = record_filter(call)
        found = ordered(call, self.store.flows_where(match))
        items, links = page(call, found, default=50, maximum=50)
        data = []
        for flow in items:
            path = f"/api/flows/{flow.id}"
            base = call.base_url + path
            attributes = {
                "name": flow.name,
                "status": flow.status,
                "archived": flow.archived,
                "created": flow.created,
                "updated": flow.updated,
                "trigger_type": flow.trigger_type,
            }
            relationships = {
                "flow-actions": relationship(base, "flow-actions", []),
                "tags": relationship(base, "tags", []),
            }
            data.append(
                resource(call, "flow", flow.id, attributes, path=path, relationships=relationships)
            )
        return Reply(200, {"data": data, "links": links})
