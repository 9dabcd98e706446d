"""The request documents of the new API as frozen values: the bulk jobs, and the campaign,
list, template and metric-aggregate resources the legacy calls send.

Each job is named after the JSON:API ``type`` it produces (aesthetics §2.2) and carries that
``type`` itself; every other resource is a :class:`~._bodies.Resource` whose ``attributes``
is one of the classes here. They carry no serialisation logic: ``_convert.unstructure`` turns
them into the dicts the spec describes (``None`` fields omitted, ``events_bulk_create`` sent
as ``events-bulk-create``). Field order is the order the documents have always been sent in,
so dry-run output and the bytes sent stay the same; fields the spec requires come first.

- ``POST /api/profile-subscription-bulk-create-jobs``: :class:`ProfileSubscriptionBulkCreateJob`
  (subscribe), with :class:`SubscriptionAttributes` per profile;
- ``POST /api/profile-subscription-bulk-delete-jobs``: :class:`ProfileSubscriptionBulkDeleteJob`
  (unsubscribe);
- ``POST /api/profile-bulk-import-jobs``: :class:`ProfileBulkImportJob` (subscribe's property
  upserts, members add, bulk mode);
- ``POST /api/profile-suppression-bulk-create-jobs``:
  :class:`ProfileSuppressionBulkCreateJob` (exclude);
- ``POST /api/event-bulk-create-jobs``: :class:`EventBulkCreateJob` (bulk mode's track);
- ``POST /api/data-privacy-deletion-jobs``: :class:`DataPrivacyDeletionJob`;
- ``POST /api/campaign-send-jobs`` and its cancel: :class:`CampaignSendJob`;
- ``campaign``, ``campaign-message``, ``list``, ``template`` and ``metric-aggregate``
  resources: :class:`CampaignAttributes`, :class:`CampaignMessageAttributes`,
  :class:`ListAttributes`, :class:`TemplateAttributes`, :class:`MetricAggregateAttributes`
  and their parts.

What bulk mode buffered is JSON already (the per-call translators' planned bodies, kept in
the spool): it travels as :class:`Prebuilt`, passed through as it is, never copied again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Optional, Union

import attrs

from .bodies import Document, Resource, relationship

__all__ = [
    "SUBSCRIBED",
    "UNSUBSCRIBED",
    "Audiences",
    "CampaignAttributes",
    "CampaignCloneAttributes",
    "CampaignMessageAttributes",
    "CampaignSendJob",
    "ChannelConsent",
    "DataPrivacyDeletionJob",
    "DeletionAttributes",
    "EventBulkCreate",
    "EventBulkCreateAttributes",
    "EventBulkCreateJob",
    "EventBulkCreateJobAttributes",
    "ListAttributes",
    "MarketingConsent",
    "MessageDefinition",
    "MetricAggregateAttributes",
    "Prebuilt",
    "ProfileBulkImportJob",
    "ProfileJobAttributes",
    "ProfileSubscriptionBulkCreateJob",
    "ProfileSubscriptionBulkDeleteJob",
    "ProfileSuppressionBulkCreateJob",
    "SendJobAction",
    "SendOptions",
    "SendStrategy",
    "StrategyOptions",
    "SubscriptionAttributes",
    "TemplateAttributes",
    "TemplateRenderAttributes",
    "TrackingOptions",
    "list_relationship",
    "lists_relationship",
    "profile_ids",
]


@attrs.frozen
class Prebuilt:
    """``{"data": ...}`` whose ``data`` is JSON built already (what bulk mode buffered), sent
    as it is."""

    data: Any


# --- profile jobs -----------------------------------------------------------------------------


@attrs.frozen
class MarketingConsent:
    """``{"consent": "SUBSCRIBED" | "UNSUBSCRIBED"}`` of one channel's marketing."""

    consent: str


@attrs.frozen
class ChannelConsent:
    """One channel of a subscription job profile's ``subscriptions`` (spec
    ``SubscriptionParameters``, ``UnsubscriptionParameters``): ``{"marketing": {...}}``."""

    marketing: MarketingConsent


SUBSCRIBED = ChannelConsent(MarketingConsent("SUBSCRIBED"))
UNSUBSCRIBED = ChannelConsent(MarketingConsent("UNSUBSCRIBED"))


@attrs.frozen
class SubscriptionAttributes:
    """``attributes`` of a profile in a subscription job (spec
    ``ProfileSubscriptionCreateQueryResourceObjectAttributes`` and its delete twin): the
    identifiers, then the consent of each channel (always set by the translators)."""

    email: Optional[str] = None
    phone_number: Optional[str] = None
    subscriptions: Optional[dict[str, ChannelConsent]] = None


@attrs.frozen
class ProfileJobAttributes:
    """``attributes`` of every profile job: ``{"profiles": {"data": [profile resources]}}``."""

    profiles: Union[Document, Prebuilt]


def list_relationship(list_id: str) -> dict[str, Document]:
    """The ``relationships`` of a subscription job: the one list (``{"list": {"data"}}``)."""
    return {"list": relationship("list", list_id)}


def lists_relationship(list_id: str) -> dict[str, Document]:
    """The ``relationships`` of a profile import job that adds its profiles to ``list_id``
    (spec ``ProfileImportJobCreateQueryResourceObject.relationships.lists``)."""
    return {"lists": Document([Resource("list", id=list_id)])}


@attrs.frozen(kw_only=True)
class ProfileSubscriptionBulkCreateJob:
    """``data`` of ``POST /api/profile-subscription-bulk-create-jobs``: consent per profile,
    for the list in ``relationships``."""

    type: str = "profile-subscription-bulk-create-job"
    attributes: ProfileJobAttributes
    relationships: dict[str, Document]


@attrs.frozen(kw_only=True)
class ProfileSubscriptionBulkDeleteJob:
    """``data`` of ``POST /api/profile-subscription-bulk-delete-jobs``."""

    type: str = "profile-subscription-bulk-delete-job"
    attributes: ProfileJobAttributes
    relationships: dict[str, Document]


@attrs.frozen(kw_only=True)
class ProfileBulkImportJob:
    """``data`` of ``POST /api/profile-bulk-import-jobs``; with ``relationships`` the
    profiles are added to a list too."""

    type: str = "profile-bulk-import-job"
    attributes: ProfileJobAttributes
    relationships: Optional[dict[str, Document]] = None


@attrs.frozen(kw_only=True)
class ProfileSuppressionBulkCreateJob:
    """``data`` of ``POST /api/profile-suppression-bulk-create-jobs``."""

    type: str = "profile-suppression-bulk-create-job"
    attributes: ProfileJobAttributes


# --- event jobs -------------------------------------------------------------------------------


@attrs.frozen
class EventBulkCreateAttributes:
    """One profile's block of an event job: the profile and its events."""

    profile: Prebuilt
    events: Prebuilt


@attrs.frozen(kw_only=True)
class EventBulkCreate:
    """An ``event-bulk-create`` entry: events of one profile."""

    type: str = "event-bulk-create"
    attributes: EventBulkCreateAttributes


@attrs.frozen
class EventBulkCreateJobAttributes:
    """``{"events-bulk-create": {"data": [entries]}}``."""

    events_bulk_create: Document


@attrs.frozen(kw_only=True)
class EventBulkCreateJob:
    """``data`` of ``POST /api/event-bulk-create-jobs``."""

    type: str = "event-bulk-create-job"
    attributes: EventBulkCreateJobAttributes


# --- data privacy -----------------------------------------------------------------------------


@attrs.frozen
class DeletionAttributes:
    """``{"profile": {"data": <profile resource>}}``."""

    profile: Document


@attrs.frozen(kw_only=True)
class DataPrivacyDeletionJob:
    """``data`` of ``POST /api/data-privacy-deletion-jobs``."""

    type: str = "data-privacy-deletion-job"
    attributes: DeletionAttributes


# --- campaigns --------------------------------------------------------------------------------


@attrs.frozen
class SendJobAction:
    """``{"action": "cancel" | "revert"}`` of a send job update."""

    action: str


@attrs.frozen(kw_only=True)
class CampaignSendJob:
    """``data`` of ``POST /api/campaign-send-jobs`` (the campaign's id) and of its update
    (``PATCH``, with an ``action``)."""

    type: str = "campaign-send-job"
    id: str
    attributes: Optional[SendJobAction] = None


@attrs.frozen
class Audiences:
    """``{"included": [list ids]}``."""

    included: list[str]


@attrs.frozen
class SendOptions:
    """``{"use_smart_sending": bool}``."""

    use_smart_sending: bool


@attrs.frozen
class TrackingOptions:
    """``{"add_tracking_params": bool}``."""

    add_tracking_params: bool


@attrs.frozen
class StrategyOptions:
    """``{"is_local": bool}`` of a static send strategy."""

    is_local: bool


@attrs.frozen
class SendStrategy:
    """``{"method", "datetime", "options"}``: when the campaign is sent."""

    method: str
    datetime: str
    options: StrategyOptions


@attrs.frozen
class MessageDefinition:
    """``{"channel", "content"}`` of a campaign message (``content`` as Klaviyo keeps it)."""

    channel: str
    content: dict[str, Any]


@attrs.frozen
class CampaignMessageAttributes:
    """``attributes`` of a ``campaign-message``."""

    definition: MessageDefinition


@attrs.frozen
class CampaignAttributes:
    """``attributes`` of a ``campaign``: what a create or an update gives."""

    name: Optional[str] = None
    audiences: Optional[Audiences] = None
    send_options: Optional[SendOptions] = None
    tracking_options: Optional[TrackingOptions] = None
    campaign_messages: Optional[Document] = None
    send_strategy: Optional[SendStrategy] = None


@attrs.frozen
class CampaignCloneAttributes:
    """``attributes`` of a ``campaign`` clone: ``{"new_name"}``."""

    new_name: str


# --- lists, templates, metrics ------------------------------------------------------------------


@attrs.frozen
class ListAttributes:
    """``attributes`` of a ``list``."""

    name: str


def profile_ids(ids: Sequence[str]) -> Document:
    """A list's profile relationships to add or remove: ``{"data": [profiles by id]}``."""
    return Document([Resource("profile", id=profile_id) for profile_id in ids])


@attrs.frozen
class TemplateAttributes:
    """``attributes`` of a ``template``: what a create, an update or a clone gives."""

    name: Optional[str] = None
    editor_type: Optional[str] = None
    html: Optional[str] = None


@attrs.frozen
class TemplateRenderAttributes:
    """``attributes`` of a template render: the variables (JSON-safe already)."""

    context: dict[str, Any]


@attrs.frozen
class MetricAggregateAttributes:
    """``attributes`` of a ``metric-aggregate`` query (spec ``MetricAggregateQuery``)."""

    metric_id: str
    measurements: list[str]
    interval: str
    filter: list[str]
    page_size: int
    timezone: str
    by: Optional[list[str]] = None
