"""LocalKlaviyo's consent jobs (new-api.md §3.3, §3.4): bulk subscribe and unsubscribe
(the channels each profile names, the list it joins or leaves) and bulk suppression, with its
job. What a job does to consent, suppressions and list membership is the store's
(``_store.Store.subscribe``, ``unsubscribe``, ``suppress``); here is what a request must say.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional

from klaviyo_legacy_compat.testing._protocol import Call, Reply, job_document
from klaviyo_legacy_compat.testing._store_messages import Account
from klaviyo_legacy_compat.testing._store_records import Invalid, SubscriptionItem, iso, utc_now
from klaviyo_legacy_compat.testing._validation import (
    capped_data,
    json_object,
    optional_text,
    profile_attributes,
    relationship_ids,
    request_data,
    required_text,
    resource_object,
)

__all__ = ["ConsentOperations"]


class ConsentOperations:
    """The handlers of subscription and suppression jobs (mixed into
    ``_operations.Operations``)."""

    store: Account

    @staticmethod
    def _list_relationship(data: Mapping[str, Any]) -> Optional[str]:
        relationships = json_object(data.get("relationships") or {}, "/data/relationships")
        if relationships.get("list") is None:
            return None
        return relationship_ids(
            relationships["list"], "/data/relationships/list", "list", many=False
        )[0]

    @staticmethod
    def _items(call: Call, data: Mapping[str, Any], consent: str) -> list[SubscriptionItem]:
        """The profiles of a subscribe (``consent`` SUBSCRIBED) or unsubscribe
        (UNSUBSCRIBED) job, with the channels each names (new-api.md §3.3)."""
        attributes = json_object(data.get("attributes"), "/data/attributes")
        pointer = "/data/attributes/profiles/data"
        raw = capped_data(attributes, "profiles", "/data/attributes", call.row)
        items = []
        for i, value in enumerate(raw):
            where = f"{pointer}/{i}"
            profile = resource_object(value, where, "profile")
            fields = profile_attributes(
                profile.get("attributes"),
                f"{where}/attributes",
                frozenset({"email", "phone_number", "subscriptions", "age_gated_date_of_birth"}),
            )
            profile_id = optional_text(profile.get("id"), f"{where}/id")
            subscriptions = json_object(
                fields.get("subscriptions"), f"{where}/attributes/subscriptions"
            )
            channels = []
            for channel, identifier in (("email", "email"), ("sms", "phone_number")):
                if subscriptions.get(channel) is None:
                    continue
                channel_pointer = f"{where}/attributes/subscriptions/{channel}"
                marketing_pointer = f"{channel_pointer}/marketing"
                marketing = json_object(subscriptions[channel], channel_pointer).get("marketing")
                if marketing is None:
                    continue
                given = json_object(marketing, marketing_pointer).get("consent")
                if given != consent:
                    raise Invalid(
                        f"consent must be {consent!r}, got {given!r}.",
                        pointer=f"{marketing_pointer}/consent",
                    )
                if fields.get(identifier) is None and profile_id is None:
                    raise Invalid(
                        f"{identifier} is required to change {channel} consent.",
                        pointer=f"{where}/attributes",
                    )
                channels.append(channel)
            if (
                fields.get("email") is None
                and fields.get("phone_number") is None
                and profile_id is None
            ):
                raise Invalid("Give an email or a phone_number.", pointer=f"{where}/attributes")
            items.append(
                SubscriptionItem(
                    profile_id, fields.get("email"), fields.get("phone_number"), tuple(channels)
                )
            )
        return items

    def bulk_subscribe_profiles(self, call: Call) -> Reply:
        """``POST /api/profile-subscription-bulk-create-jobs``: 202, no body."""
        data = request_data(call.body, "profile-subscription-bulk-create-job")
        items = self._items(call, data, "SUBSCRIBED")
        attributes = json_object(data.get("attributes"), "/data/attributes")
        historical = attributes.get("historical_import", False)
        if not isinstance(historical, bool):
            raise Invalid(
                "historical_import must be a boolean.", pointer="/data/attributes/historical_import"
            )
        self.store.subscribe(self._list_relationship(data), items, historical_import=historical)
        return Reply(202)

    def bulk_unsubscribe_profiles(self, call: Call) -> Reply:
        """``POST /api/profile-subscription-bulk-delete-jobs``: 202, no body. Non-members of
        the list are unsubscribed globally (spec warning)."""
        data = request_data(call.body, "profile-subscription-bulk-delete-job")
        items = self._items(call, data, "UNSUBSCRIBED")
        self.store.unsubscribe(self._list_relationship(data), items)
        return Reply(202)

    def bulk_suppress_profiles(self, call: Call) -> Reply:
        """``POST /api/profile-suppression-bulk-create-jobs``: 202 with the job."""
        data = request_data(call.body, "profile-suppression-bulk-create-job")
        attributes = json_object(data.get("attributes") or {}, "/data/attributes")
        list_id = self._list_relationship(data)
        emails: list[str] = []
        if attributes.get("profiles") is not None or list_id is None:
            pointer = "/data/attributes/profiles/data"
            raw = capped_data(attributes, "profiles", "/data/attributes", call.row)
            for i, item in enumerate(raw):
                where = f"{pointer}/{i}"
                fields = profile_attributes(
                    resource_object(item, where, "profile").get("attributes"),
                    f"{where}/attributes",
                    frozenset({"email"}),
                )
                emails.append(required_text(fields.get("email"), f"{where}/attributes/email"))
        started = iso(utc_now())
        total, skipped = self.store.suppress(emails, list_id)
        job = self.store.add_job(
            "profile-suppression-bulk-create-job",
            {
                "status": "complete",
                "created_at": started,
                "total_count": total,
                "completed_count": total - skipped,
                "skipped_count": skipped,
                "completed_at": iso(utc_now()),
            },
        )
        return Reply(202, job_document(call, job, "/api/profile-suppression-bulk-create-jobs"))

    def get_bulk_suppress_profiles_job(self, call: Call) -> Reply:
        """``GET /api/profile-suppression-bulk-create-jobs/{job_id}``."""
        job = self.store.job("profile-suppression-bulk-create-job", call.path_params["job_id"])
        return Reply(200, job_document(call, job, "/api/profile-suppression-bulk-create-jobs"))
