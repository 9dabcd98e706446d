"""The operations LocalKlaviyo serves: :data:`ROUTES`, the table from each operationId to
its handler, and :class:`Operations`, the handlers of every module in one class over one
store (``Account``).

The handlers live by resource, one module each: ``_profiles`` (events, profiles, bulk
imports, deletion), ``_consent`` (subscriptions, suppressions), ``_lists`` (lists, members,
segments), ``_metrics`` (metric and event reads, aggregates), ``_campaigns`` (campaigns,
flows) and ``_templates``. The HTTP side (``_server``) looks an operation up here and
calls it with a :class:`~klaviyo_legacy_compat.testing._protocol.Call`; nothing here knows
HTTP.
"""

from __future__ import annotations

from typing import Callable

from klaviyo_legacy_compat.testing._campaigns import CampaignOperations
from klaviyo_legacy_compat.testing._consent import ConsentOperations
from klaviyo_legacy_compat.testing._lists import ListOperations
from klaviyo_legacy_compat.testing._metrics import MetricOperations
from klaviyo_legacy_compat.testing._profiles import ProfileOperations
from klaviyo_legacy_compat.testing._protocol import Call, Reply
from klaviyo_legacy_compat.testing._store_messages import Account
from klaviyo_legacy_compat.testing._templates import TemplateOperations

__all__ = ["ROUTES", "Handler", "Operations"]


class Operations(
    ProfileOperations,
    ConsentOperations,
    ListOperations,
    MetricOperations,
    CampaignOperations,
    TemplateOperations,
):
    """The handlers: one method per operationId, each turning a :class:`Call` into an
    answer through the store. Add an operation by adding a method to the class of its
    module and a :data:`ROUTES` row."""

    def __init__(self, store: Account) -> None:
        self.store = store


Handler = Callable[[Operations, Call], Reply]

#: operationId → handler. A row here is all it takes to serve a new operation.
ROUTES: dict[str, Handler] = {
    # Events, profiles, bulk imports and deletion jobs (_profiles.py).
    "bulk_create_client_events": Operations.bulk_create_client_events,
    "bulk_create_events": Operations.bulk_create_events,
    "bulk_import_profiles": Operations.bulk_import_profiles,
    "create_client_event": Operations.create_event,
    "create_client_profile": Operations.create_client_profile,
    "create_event": Operations.create_event,
    "create_or_update_profile": Operations.create_or_update_profile,
    "create_profile": Operations.create_profile,
    "get_bulk_import_profiles_job": Operations.get_bulk_import_profiles_job,
    "get_errors_for_bulk_import_profiles_job": Operations.get_errors_for_bulk_import_profiles_job,
    "get_profile": Operations.get_profile,
    "get_profiles": Operations.get_profiles,
    "request_profile_deletion": Operations.request_profile_deletion,
    "update_profile": Operations.update_profile,
    # Consent: subscriptions and suppressions (_consent.py).
    "bulk_subscribe_profiles": Operations.bulk_subscribe_profiles,
    "bulk_suppress_profiles": Operations.bulk_suppress_profiles,
    "bulk_unsubscribe_profiles": Operations.bulk_unsubscribe_profiles,
    "get_bulk_suppress_profiles_job": Operations.get_bulk_suppress_profiles_job,
    # Lists, members and segments (_lists.py).
    "add_profiles_to_list": Operations.add_profiles_to_list,
    "create_list": Operations.create_list,
    "delete_list": Operations.delete_list,
    "get_list": Operations.get_list,
    "get_lists": Operations.get_lists,
    "get_profile_ids_for_list": Operations.get_profile_ids_for_list,
    "get_profiles_for_list": Operations.get_profiles_for_list,
    "get_profiles_for_segment": Operations.get_profiles_for_segment,
    "get_segments": Operations.get_segments,
    "remove_profiles_from_list": Operations.remove_profiles_from_list,
    "update_list": Operations.update_list,
    # Metrics and events (_metrics.py).
    "get_events": Operations.get_events,
    "get_metric": Operations.get_metric,
    "get_metrics": Operations.get_metrics,
    "query_metric_aggregates": Operations.query_metric_aggregates,
    # Campaigns and flows (_campaigns.py).
    "assign_template_to_campaign_message": Operations.assign_template_to_campaign_message,
    "cancel_campaign_send": Operations.cancel_campaign_send,
    "create_campaign": Operations.create_campaign,
    "create_campaign_clone": Operations.create_campaign_clone,
    "get_campaign": Operations.get_campaign,
    "get_campaigns": Operations.get_campaigns,
    "get_flows": Operations.get_flows,
    "get_messages_for_campaign": Operations.get_messages_for_campaign,
    "send_campaign": Operations.send_campaign,
    "update_campaign": Operations.update_campaign,
    "update_campaign_message": Operations.update_campaign_message,
    # Templates (_templates.py).
    "clone_template": Operations.clone_template,
    "create_template": Operations.create_template,
    "delete_template": Operations.delete_template,
    "get_template": Operations.get_template,
    "get_templates": Operations.get_templates,
    "render_template": Operations.render_template,
    "update_template": Operations.update_template,
}
