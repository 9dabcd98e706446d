"""A local Klaviyo: a real HTTP server on 127.0.0.1 that speaks the part of Klaviyo's new
JSON:API (revision ``2026-07-15``) this library uses, for integration tests.

    with LocalKlaviyo(time_scale=0.05) as server:
        client = klaviyo.CompatClient(private_key=server.private_key, base_url=server.base_url)
        client.track("Viewed", {"$email": "ann@example.com"})
        assert server.store.events_for("ann@example.com")

What it does, and where each rule comes from (``new-api.md`` is ``../shared/reference``):

- **Routing** through the package's endpoint table (:func:`match_path`), so paths, methods,
  success statuses, rate limits and per-call caps are the spec's. Implemented operations are
  the rows of :data:`ROUTES` (operationId → handler): every operation a translator emits
  (``tests/testing/test_every_operation.py`` enumerates them from the code); other known
  paths answer 501. The handlers of profiles, lists, consent, segments and deletion jobs are
  here; metrics, events and aggregates in ``_metrics``, campaigns and flows in
  ``_campaigns``, templates in ``_templates``; the JSON:API pieces they share (errors, pages,
  rendering) in ``_protocol``, body readers and profile rules in ``_validation``, the
  ``filter`` and ``sort`` parameters in ``_filters``.
- **Auth** (new-api.md §1): ``/api/*`` needs ``Authorization: Klaviyo-API-Key <private key>``
  (none → 401 ``not_authenticated``, another key → 403 ``permission_denied``); ``/client/*``
  needs ``company_id=<public key>`` and no ``Authorization``; every request needs ``revision``.
- **Errors** as JSON:API documents (new-api.md §4), ``application/vnd.api+json``.
- **Rate limits** (new-api.md §6): per operation, fixed burst (1 s) and steady (60 s) windows,
  both multiplied by ``time_scale``, plus the daily window where the spec sets one; 429
  ``throttled`` with ``Retry-After``; ``RateLimit-*`` headers on every other answer.
- **Faults** on request (:class:`Faults`): throttling, server errors, connection resets,
  and answers that are slow or lost *after* the write was stored.
- **State** in an :class:`~klaviyo_legacy_compat.testing._store_messages.Account`
  (``server.store``): the profiles, events, metrics, lists and segments of ``_store.Store``
  plus templates, campaigns and flows.

Stdlib only: :class:`http.server.ThreadingHTTPServer`, one daemon thread per connection,
HTTP/1.1 keep-alive, nothing written to stderr.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import socketserver
import struct
import threading
from collections.abc import Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, NamedTuple, Optional, TypeVar
from urllib.parse import parse_qsl, unquote, urlsplit

import attrs

from klaviyo_legacy_compat._endpoints import Endpoint, match_path
from klaviyo_legacy_compat.testing._campaigns import CampaignOperations
from klaviyo_legacy_compat.testing._faults import Faults
from klaviyo_legacy_compat.testing._filters import ordered, record_filter
from klaviyo_legacy_compat.testing._metrics import MetricOperations
from klaviyo_legacy_compat.testing._protocol import (
    Call,
    Reply,
    additional,
    error,
    id_mismatch,
    one,
    page,
    render_profile,
    resource,
    store_error,
)
from klaviyo_legacy_compat.testing._rate_limits import RateLimiter, rate_limit_headers, throttled
from klaviyo_legacy_compat.testing._store_messages import Account
from klaviyo_legacy_compat.testing._store_records import (
    EventEntry,
    Invalid,
    Job,
    ListRecord,
    NotFound,
    NotImplementedHere,
    Profile,
    ProfileRef,
    StoreError,
    SubscriptionItem,
    iso,
    utc_now,
)
from klaviyo_legacy_compat.testing._templates import TemplateOperations
from klaviyo_legacy_compat.testing._validation import (
    PROFILE_ATTRIBUTES,
    capped,
    capped_data,
    data_of,
    json_array,
    json_object,
    new_event,
    optional_text,
    profile_attributes,
    profile_ref,
    relationship_ids,
    request_data,
    required_text,
    resource_object,
    resource_of,
)

__all__ = ["ROUTES", "LocalKlaviyo", "ServedRequest"]

T = TypeVar("T")

MEDIA_TYPE = "application/vnd.api+json"

#: The ``revision`` header every request carries (new-api.md §1).
_REVISION = re.compile(r"^\d{4}-\d{2}-\d{2}(\.[A-Za-z0-9]+)?$")

# --- the operations -------------------------------------------------------------------------

#: The profile attributes a deletion job may name profiles by (beside ``id``; spec
#: ``DataPrivacyCreateDeletionJobQuery``).
_DELETION_IDENTIFIERS = ("email", "phone_number")


class Operations(MetricOperations, CampaignOperations, TemplateOperations):
    """The handlers: one method per operationId, each turning a :class:`Call` into an
    answer through the store. Add an operation by adding a method (here, or in the class of
    its module: ``_metrics``, ``_campaigns``, ``_templates``) and a :data:`ROUTES` row."""

    def __init__(self, store: Account) -> None:
        self.store = store

    # --- shared pieces ------------------------------------------------------------------------

    def _list(self, call: Call, record: ListRecord) -> dict[str, Any]:
        attributes: dict[str, Any] = {
            "name": record.name,
            "created": record.created,
            "updated": record.updated,
            "opt_in_process": record.opt_in_process,
        }
        if "profile_count" in additional(call.query, "list"):
            attributes["profile_count"] = len(record.members)
        return resource(call, "list", record.id, attributes, path=f"/api/lists/{record.id}")

    @staticmethod
    def _job(call: Call, job: Job, path: str) -> dict[str, Any]:
        # Job attributes are answered whole: no sparse fieldsets here.
        attributes = dict(job.attributes)
        return {
            "data": resource(
                call, job.type, job.id, attributes, path=f"{path}/{job.id}", fieldsets=False
            )
        }

    # --- events -------------------------------------------------------------------------------

    def create_event(self, call: Call) -> Reply:
        """``POST /api/events`` and ``POST /client/events``: 202, no body."""
        data = request_data(call.body, "event")
        attributes = json_object(data.get("attributes"), "/data/attributes")
        event = new_event(attributes, "/data/attributes")
        pointer = "/data/attributes/profile/data"
        profile = resource_of(attributes, "profile", "/data/attributes", "profile")
        ref = profile_ref(profile, pointer, PROFILE_ATTRIBUTES["event"], meta_inside=True)
        self.store.record_event(ref, event, client=call.client, operation=call.row.operation)
        return Reply(202)

    def _entry(self, value: Any, pointer: str) -> tuple[EventEntry, int]:
        entry = resource_object(value, pointer, "event-bulk-create")
        attributes = json_object(entry.get("attributes"), f"{pointer}/attributes")
        profile_pointer = f"{pointer}/attributes/profile/data"
        profile = resource_of(attributes, "profile", f"{pointer}/attributes", "profile")
        ref = profile_ref(profile, profile_pointer, PROFILE_ATTRIBUTES["bulk_event"])
        events_pointer = f"{pointer}/attributes/events/data"
        raw = data_of(attributes, "events", f"{pointer}/attributes")
        events = []
        for j, item in enumerate(raw):
            where = f"{events_pointer}/{j}"
            found = resource_object(item, where, "event")
            events.append(
                new_event(
                    json_object(found.get("attributes"), f"{where}/attributes"),
                    f"{where}/attributes",
                )
            )
        return EventEntry(ref, tuple(events)), len(events)

    def bulk_create_events(self, call: Call) -> Reply:
        """``POST /api/event-bulk-create-jobs``: 202, no body; all or nothing."""
        data = request_data(call.body, "event-bulk-create-job")
        pointer = "/data/attributes/events-bulk-create/data"
        attributes = json_object(data.get("attributes"), "/data/attributes")
        raw = data_of(attributes, "events-bulk-create", "/data/attributes")
        entries, total = [], 0
        for i, item in enumerate(raw):
            entry, count = self._entry(item, f"{pointer}/{i}")
            entries.append(entry)
            total += count
        capped(total, call.row, pointer)  # the cap counts events, not entries
        self.store.record_events(entries, operation=call.row.operation)
        return Reply(202)

    def bulk_create_client_events(self, call: Call) -> Reply:
        """``POST /client/event-bulk-create``: one entry as ``data`` (new-api.md §3.1)."""
        entry, count = self._entry(json_object(call.body, "").get("data"), "/data")
        capped(count, call.row, "/data/attributes/events/data")
        self.store.record_events([entry], client=True, operation=call.row.operation)
        return Reply(202)

    # --- profiles -----------------------------------------------------------------------------

    def _write_ref(self, call: Call, *, need_id: bool = False) -> ProfileRef:
        data = request_data(call.body, "profile")
        ref = profile_ref(data, "/data", PROFILE_ATTRIBUTES[call.row.operation])
        if need_id and ref.id is None:
            raise Invalid("data.id is required.", pointer="/data/id")
        return ref

    def create_or_update_profile(self, call: Call) -> Reply:
        """``POST /api/profile-import``: 201 created, 200 updated."""
        profile, created = self.store.import_profile(self._write_ref(call))
        return Reply(201 if created else 200, {"data": render_profile(call, profile)})

    def create_profile(self, call: Call) -> Reply:
        """``POST /api/profiles``: 201; 409 ``duplicate_profile`` for a taken identifier."""
        data = request_data(call.body, "profile")
        ref = profile_ref(data, "/data", PROFILE_ATTRIBUTES["create_profile"])
        profile = self.store.create_profile(attrs.evolve(ref, id=None))
        return Reply(201, {"data": render_profile(call, profile)})

    def update_profile(self, call: Call) -> Reply:
        """``PATCH /api/profiles/{id}``: the body id must be the path id (JSON:API: 409)."""
        ref = self._write_ref(call, need_id=True)
        mismatch = id_mismatch(ref.id, call)
        if mismatch is not None:
            return mismatch
        return Reply(200, {"data": render_profile(call, self.store.update_profile(ref))})

    def get_profile(self, call: Call) -> Reply:
        """``GET /api/profiles/{id}``."""
        found = self.store.profile(call.path_params["id"])
        if found is None:
            raise NotFound(f"A profile with id {call.path_params['id']} does not exist.")
        return one(call, render_profile(call, found))

    def get_profiles(self, call: Call) -> Reply:
        """``GET /api/profiles``: equality filters, 20 per page by default, at most 100."""
        match = record_filter(call)
        found = ordered(call, self.store.profiles_where(match), where="for profiles")
        items, links = page(call, found, default=20, maximum=100)
        return Reply(200, {"data": [render_profile(call, p) for p in items], "links": links})

    def create_client_profile(self, call: Call) -> Reply:
        """``POST /client/profiles``: 202; existing identifiers are never changed."""
        self.store.touch_profile(self._write_ref(call), client=True)
        return Reply(202)

    def bulk_import_profiles(self, call: Call) -> Reply:
        """``POST /api/profile-bulk-import-jobs``: processed at once; 202 with the job."""
        data = request_data(call.body, "profile-bulk-import-job")
        attributes = json_object(data.get("attributes"), "/data/attributes")
        pointer = "/data/attributes/profiles/data"
        raw = capped_data(attributes, "profiles", "/data/attributes", call.row)
        allowed = PROFILE_ATTRIBUTES["bulk_import_profiles"]
        refs = [
            profile_ref(
                resource_object(item, f"{pointer}/{i}", "profile"), f"{pointer}/{i}", allowed
            )
            for i, item in enumerate(raw)
        ]
        relationships = json_object(data.get("relationships") or {}, "/data/relationships")
        list_ids = (
            relationship_ids(relationships["lists"], "/data/relationships/lists", "list", many=True)
            if relationships.get("lists") is not None
            else []
        )
        job = self.store.import_profiles(refs, list_ids, raw)
        return Reply(202, self._job(call, job, "/api/profile-bulk-import-jobs"))

    def get_bulk_import_profiles_job(self, call: Call) -> Reply:
        """``GET /api/profile-bulk-import-jobs/{job_id}``."""
        job = self.store.job("profile-bulk-import-job", call.path_params["job_id"])
        return Reply(200, self._job(call, job, "/api/profile-bulk-import-jobs"))

    def get_errors_for_bulk_import_profiles_job(self, call: Call) -> Reply:
        """``GET /api/profile-bulk-import-jobs/{id}/import-errors``: one ``import-error`` per
        profile the job could not import, with its ``original_payload`` (spec schema)."""
        job = self.store.job("profile-bulk-import-job", call.path_params["id"])
        errors = [
            {
                "type": "import-error",
                "id": f"{job.id}-{error['index']}",
                "attributes": {
                    "code": error.get("code") or "invalid",
                    "title": "The profile could not be imported.",
                    "detail": error["detail"],
                    "source": {"pointer": f"/data/attributes/profiles/data/{error['index']}"},
                    "original_payload": error.get("payload"),
                },
            }
            for error in job.errors
        ]
        items, links = page(call, errors, default=20, maximum=100)
        return Reply(200, {"data": list(items), "links": links})

    # --- consent ------------------------------------------------------------------------------

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
        return Reply(202, self._job(call, job, "/api/profile-suppression-bulk-create-jobs"))

    def get_bulk_suppress_profiles_job(self, call: Call) -> Reply:
        """``GET /api/profile-suppression-bulk-create-jobs/{job_id}``."""
        job = self.store.job("profile-suppression-bulk-create-job", call.path_params["job_id"])
        return Reply(200, self._job(call, job, "/api/profile-suppression-bulk-create-jobs"))

    # --- lists ----------------------------------------------------------------------------------

    @staticmethod
    def _list_fields(
        data: Mapping[str, Any], *, need_name: bool
    ) -> tuple[Optional[str], Optional[str]]:
        attributes = json_object(data.get("attributes"), "/data/attributes")
        unknown = set(attributes) - {"name", "opt_in_process"}
        if unknown:
            raise Invalid(f"Unknown list field(s): {sorted(unknown)}.", pointer="/data/attributes")
        name = optional_text(
            attributes.get("name"), "/data/attributes/name", nullable=not need_name
        )
        if need_name and not name:
            raise Invalid("name is required.", pointer="/data/attributes/name")
        opt_in = optional_text(attributes.get("opt_in_process"), "/data/attributes/opt_in_process")
        if opt_in not in (None, "single_opt_in", "double_opt_in"):
            raise Invalid(
                "opt_in_process must be single_opt_in or double_opt_in.",
                pointer="/data/attributes/opt_in_process",
            )
        return name, opt_in

    def get_lists(self, call: Call) -> Reply:
        """``GET /api/lists``: 10 per page at most (new-api.md §5)."""
        match = record_filter(call)
        found = self.store.lists_where(match)
        items, links = page(call, found, default=10, maximum=10)
        return Reply(200, {"data": [self._list(call, r) for r in items], "links": links})

    def create_list(self, call: Call) -> Reply:
        """``POST /api/lists``: 201; opt-in process single unless given."""
        name, opt_in = self._list_fields(request_data(call.body, "list"), need_name=True)
        assert name is not None
        list_id = self.store.create_list(name, opt_in or "single_opt_in")
        return Reply(201, {"data": self._list(call, self.store.get_list(list_id))})

    def get_list(self, call: Call) -> Reply:
        """``GET /api/lists/{id}``: ``fields[list]``, ``additional-fields[list]``."""
        record = self.store.get_list(call.path_params["id"])
        return one(call, self._list(call, record))

    def update_list(self, call: Call) -> Reply:
        """``PATCH /api/lists/{id}``."""
        data = request_data(call.body, "list")
        mismatch = id_mismatch(data.get("id"), call)
        if mismatch is not None:
            return mismatch
        name, opt_in = self._list_fields(data, need_name=False)
        record = self.store.update_list(call.path_params["id"], name=name, opt_in_process=opt_in)
        return Reply(200, {"data": self._list(call, record)})

    def delete_list(self, call: Call) -> Reply:
        """``DELETE /api/lists/{id}``: 204."""
        self.store.delete_list(call.path_params["id"])
        return Reply(204)

    def _members(
        self, call: Call, members: Optional[list[tuple[Profile, str]]] = None
    ) -> tuple[Sequence[tuple[Profile, str]], dict[str, Any]]:
        """A page of a list's members (or of ``members``, a segment's), filtered and sorted
        by ``joined_group_at``."""
        match = record_filter(call)
        if members is None:
            members = self.store.members(call.path_params["id"])
        found = [(p, joined) for p, joined in members if match((p, joined))]
        sort = call.query.get("sort")
        if sort not in (None, "joined_group_at", "-joined_group_at"):
            raise Invalid("sort must be joined_group_at or -joined_group_at.", parameter="sort")
        if sort == "-joined_group_at":
            found.reverse()
        return page(call, found, default=20, maximum=100)

    def get_profiles_for_list(self, call: Call) -> Reply:
        """``GET /api/lists/{id}/profiles``: members with ``joined_group_at``."""
        items, links = self._members(call)
        data = [render_profile(call, p, {"joined_group_at": joined}) for p, joined in items]
        return Reply(200, {"data": data, "links": links})

    def get_profile_ids_for_list(self, call: Call) -> Reply:
        """``GET /api/lists/{id}/relationships/profiles``: member ids only."""
        items, links = self._members(call)
        return Reply(
            200, {"data": [{"type": "profile", "id": p.id} for p, _ in items], "links": links}
        )

    def get_segments(self, call: Call) -> Reply:
        """``GET /api/segments``: 10 a page at most (spec), sortable by the spec's keys. A
        segment here has no definition (a test names its members) and is always active."""
        if call.query.get("include"):
            raise NotImplementedHere(
                "LocalKlaviyo keeps no segment tags or flow triggers.", parameter="include"
            )
        match = record_filter(call)
        found = ordered(call, self.store.segments_where(match))
        items, links = page(call, found, default=10, maximum=10)
        data = [
            resource(
                call,
                "segment",
                segment.id,
                {
                    "name": segment.name,
                    "definition": None,
                    "created": segment.created,
                    "updated": segment.updated,
                    "is_active": True,
                    "is_processing": False,
                    "is_starred": False,
                },
                path=f"/api/segments/{segment.id}",
            )
            for segment in items
        ]
        return Reply(200, {"data": data, "links": links})

    def get_profiles_for_segment(self, call: Call) -> Reply:
        """``GET /api/segments/{id}/profiles``: members with ``joined_group_at``, as a list's
        (the segment's members are the ones a test gave it)."""
        members = self.store.segment_members(call.path_params["id"])
        items, links = self._members(call, members)
        data = [render_profile(call, p, {"joined_group_at": joined}) for p, joined in items]
        return Reply(200, {"data": data, "links": links})

    # --- data privacy ---------------------------------------------------------------------------

    def request_profile_deletion(self, call: Call) -> Reply:
        """``POST /api/data-privacy-deletion-jobs``: exactly one of ``id``, ``email``,
        ``phone_number`` (new-api.md §3.6); every matching profile is deleted (at once here,
        asynchronously in Klaviyo); 202, no body."""
        data = request_data(call.body, "data-privacy-deletion-job")
        attributes = json_object(data.get("attributes"), "/data/attributes")
        pointer = "/data/attributes/profile/data"
        profile = resource_of(attributes, "profile", "/data/attributes", "profile")
        fields = profile_attributes(
            profile.get("attributes"), f"{pointer}/attributes", frozenset(_DELETION_IDENTIFIERS)
        )
        given = [(name, value) for name, value in fields.items() if value is not None]
        profile_id = optional_text(profile.get("id"), f"{pointer}/id")
        if profile_id is not None:
            given.insert(0, ("id", profile_id))
        if len(given) != 1:
            raise Invalid(
                "Give exactly one of id, email or phone_number to name the profiles to delete; "
                f"got {len(given)}.",
                pointer=pointer,
            )
        self.store.delete_profiles(*given[0])
        return Reply(202)

    def _profile_ids(self, call: Call) -> list[str]:
        data = json_array(json_object(call.body, "").get("data"), "/data")
        capped(len(data), call.row, "/data")
        return [
            required_text(resource_object(item, f"/data/{i}", "profile").get("id"), f"/data/{i}/id")
            for i, item in enumerate(data)
        ]

    def add_profiles_to_list(self, call: Call) -> Reply:
        """``POST /api/lists/{id}/relationships/profiles``: 204; consent untouched."""
        self.store.add_to_list(call.path_params["id"], self._profile_ids(call))
        return Reply(204)

    def remove_profiles_from_list(self, call: Call) -> Reply:
        """``DELETE /api/lists/{id}/relationships/profiles``: 204; consent untouched."""
        ids = self._profile_ids(call)
        self.store.remove_from_list(call.path_params["id"], ids)
        return Reply(204)


Handler = Callable[[Operations, Call], Reply]

#: operationId → handler. A row here is all it takes to serve a new operation.
ROUTES: dict[str, Handler] = {
    "add_profiles_to_list": Operations.add_profiles_to_list,
    "bulk_create_client_events": Operations.bulk_create_client_events,
    "bulk_create_events": Operations.bulk_create_events,
    "bulk_import_profiles": Operations.bulk_import_profiles,
    "bulk_subscribe_profiles": Operations.bulk_subscribe_profiles,
    "bulk_suppress_profiles": Operations.bulk_suppress_profiles,
    "bulk_unsubscribe_profiles": Operations.bulk_unsubscribe_profiles,
    "create_client_event": Operations.create_event,
    "create_client_profile": Operations.create_client_profile,
    "create_event": Operations.create_event,
    "create_list": Operations.create_list,
    "create_or_update_profile": Operations.create_or_update_profile,
    "create_profile": Operations.create_profile,
    "delete_list": Operations.delete_list,
    "get_bulk_import_profiles_job": Operations.get_bulk_import_profiles_job,
    "get_errors_for_bulk_import_profiles_job": Operations.get_errors_for_bulk_import_profiles_job,
    "get_bulk_suppress_profiles_job": Operations.get_bulk_suppress_profiles_job,
    "get_list": Operations.get_list,
    "get_lists": Operations.get_lists,
    "get_profile": Operations.get_profile,
    "get_profile_ids_for_list": Operations.get_profile_ids_for_list,
    "get_profiles": Operations.get_profiles,
    "get_profiles_for_list": Operations.get_profiles_for_list,
    "remove_profiles_from_list": Operations.remove_profiles_from_list,
    "update_list": Operations.update_list,
    "update_profile": Operations.update_profile,
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
    # Segments and data privacy (above).
    "get_segments": Operations.get_segments,
    "get_profiles_for_segment": Operations.get_profiles_for_segment,
    "request_profile_deletion": Operations.request_profile_deletion,
}


# --- HTTP ------------------------------------------------------------------------------------


class ServedRequest(NamedTuple):
    """One request as the server saw it. ``operation`` is ``None`` for an unknown path;
    ``status`` is ``None`` when the connection was dropped without an answer (the faults
    ``reset`` and ``reset_after_store``)."""

    method: str
    path: str
    query: dict[str, str]
    operation: Optional[str]
    status: Optional[int]


_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _path_params(template: str, path: str) -> dict[str, str]:
    """``{"id": "Y6nRLr"}`` for template ``/api/lists/{id}`` and path ``/api/lists/Y6nRLr``."""
    return {
        pattern[1:-1]: unquote(value)
        for pattern, value in zip(template.split("/"), path.split("/"))
        if pattern.startswith("{") and pattern.endswith("}")
    }


class _Handler(BaseHTTPRequestHandler):
    """One connection: reads requests, hands each to :meth:`LocalKlaviyo._serve`, and
    writes answers (or drops the connection) as told."""

    protocol_version = "HTTP/1.1"  # keep-alive, so pooled clients reuse connections
    server_version = "LocalKlaviyo"
    server: _HTTPServer
    #: The request being served, logged (with its status) just before the answer goes out,
    #: so a client that has its answer always finds the request in the log.
    entry: Optional[ServedRequest] = None
    logged = False

    def setup(self) -> None:
        super().setup()
        # Header and body go out in separate writes; without TCP_NODELAY, Nagle's algorithm
        # and the client's delayed ACK stall every keep-alive answer by ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection, alive=True)

    def finish(self) -> None:
        try:
            super().finish()
        except (OSError, ValueError):
            pass  # the connection was reset, by a fault or by the peer
        finally:
            self.server.track(self.connection, alive=False)

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: a test server writes nothing to stderr."""

    def _serve(self) -> None:
        self.server.local._serve(self)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def read_body(self) -> bytes:
        """The request body (``Content-Length`` or chunked); ``ValueError`` when malformed."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline(65537).split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0:
            raise ValueError("negative Content-Length")
        return self.rfile.read(length) if length else b""

    def respond(self, reply: Reply) -> None:
        """Write an answer; always framed by ``Content-Length`` (none for 204, which has no
        body by definition: RFC 9110 §8.6), so keep-alive clients never wait for a close."""
        body = b"" if reply.body is None else json.dumps(reply.body).encode()
        self.send_response(reply.status)
        if reply.status != 204:
            self.send_header("Content-Length", str(len(body)))
        if body:
            self.send_header("Content-Type", MEDIA_TYPE)
        for name, value in reply.headers:
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if body:
            self.wfile.write(body)

    def reset(self) -> None:
        """Drop the connection without an answer: SO_LINGER 0 makes close() send a TCP RST,
        so the client sees a connection error rather than a clean end of stream."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.rfile.close()  # the makefile() reference, or close() would not close yet
            self.connection.close()
        except OSError:
            pass


class _HTTPServer(ThreadingHTTPServer):
    """The listening socket; one daemon thread per connection. Tracks open connections so
    :meth:`LocalKlaviyo.stop` can end idle keep-alive ones at once."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], local: LocalKlaviyo) -> None:
        self.local = local
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host's FQDN, a DNS lookup that can take
        # seconds; a loopback test server needs no name.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def track(self, connection: socket.socket, *, alive: bool) -> None:
        with self._connections_lock:
            if alive:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet: a broken connection is a test's business, not stderr's."""


class LocalKlaviyo:
    """A local Klaviyo for integration tests: a real HTTP server on ``host`` (an ephemeral
    port unless ``port`` is given) serving the operations of :data:`ROUTES` from an
    in-memory :class:`~klaviyo_legacy_compat.testing._store_messages.Account`.

    ``time_scale`` multiplies the rate-limit windows (0.05: a 50 ms burst window and a 3 s
    steady one; a daily cap such as create_list's 150/day is a plain count, never scaled);
    ``enforce_rate_limits=False`` turns throttling, daily caps included, and the
    ``RateLimit-*`` headers off; ``retry_after_header=False`` leaves ``Retry-After`` off
    throttled answers, as some real 429s do (new-api.md §6.4).

    Attributes: ``base_url`` (``http://127.0.0.1:<port>`` once started), ``private_key`` and
    ``public_key`` (what requests must carry), ``store`` (the account's state), ``faults``
    (the fault queue) and ``requests`` (the log of requests served).

    Use as a context manager, or call :meth:`start` and :meth:`stop`::

        with LocalKlaviyo() as server:
            requests.post(f"{server.base_url}/api/events", ...)
    """

    def __init__(
        self,
        *,
        private_key: str = "pk_local_0123456789abcdef0123456789ab",
        public_key: str = "LocAL1",
        time_scale: float = 1.0,
        enforce_rate_limits: bool = True,
        retry_after_header: bool = True,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        if not time_scale > 0:
            raise ValueError(f"time_scale must be positive, got {time_scale!r}")
        self.private_key = private_key
        self.public_key = public_key
        self.time_scale = time_scale
        self.enforce_rate_limits = enforce_rate_limits
        self.retry_after_header = retry_after_header
        self.host = host
        self.port = port
        self.base_url = ""
        self.store = Account()
        self.faults = Faults()
        self._operations = Operations(self.store)
        self._limiter = RateLimiter(time_scale)
        self._log: list[ServedRequest] = []
        self._log_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: Optional[_HTTPServer] = None
        self._thread: Optional[threading.Thread] = None

    # --- life cycle -------------------------------------------------------------------------

    def start(self) -> LocalKlaviyo:
        """Bind and serve in a daemon thread; sets :attr:`base_url`. Returns ``self``."""
        with self._state_lock:
            if self._server is not None:
                raise RuntimeError("LocalKlaviyo is already running")
            self._stopping = threading.Event()
            server = _HTTPServer((self.host, self.port), self)
            self.base_url = f"http://{self.host}:{server.server_address[1]}"
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"LocalKlaviyo {self.base_url}",
                daemon=True,
            )
            self._server, self._thread = server, thread
            thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, release the port and end open connections; requests sleeping in a
        fault's delay wake up at once. Safe to call twice."""
        with self._state_lock:
            server, thread = self._server, self._thread
            self._server = self._thread = None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        server.close_connections()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> LocalKlaviyo:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- inspection -------------------------------------------------------------------------

    @property
    def requests(self) -> list[ServedRequest]:
        """Every request served so far, oldest first (a copy)."""
        with self._log_lock:
            return list(self._log)

    def operations(self) -> list[Optional[str]]:
        """The operationIds of the requests served so far, in order."""
        return [r.operation for r in self.requests]

    def reset_rate_limits(self) -> None:
        """Forget every rate-limit window (and the daily counts)."""
        self._limiter.reset()

    # --- serving ----------------------------------------------------------------------------

    def _refuse(self, headers: Any, row: Endpoint, query: Mapping[str, str]) -> Optional[Reply]:
        """The auth and revision rules of new-api.md §1; ``None`` when the request passes."""
        authorization = headers.get("Authorization")
        if row.is_client:
            if authorization is not None:
                return error(
                    400,
                    "Client endpoints take the public key as company_id and must not carry an "
                    "Authorization header.",
                )
            if query.get("company_id") is None:
                return error(400, "Missing required parameter company_id.", parameter="company_id")
            if query["company_id"] != self.public_key:
                return error(400, "Invalid company_id.", parameter="company_id")
        else:
            scheme, _, key = (authorization or "").strip().partition(" ")
            if scheme != "Klaviyo-API-Key" or not key.strip():
                return error(
                    401,
                    "Authentication credentials were not provided: send "
                    "Authorization: Klaviyo-API-Key <private key>.",
                )
            if key.strip() != self.private_key:
                return error(403, "Incorrect private API key.")
        revision = headers.get("revision")
        if revision is None:
            return error(400, "Missing required header: revision.", parameter="revision")
        if not _REVISION.match(revision):
            return error(
                400, f"Invalid revision {revision!r}: YYYY-MM-DD[.suffix].", parameter="revision"
            )
        return None

    def _send(
        self,
        handler: _Handler,
        reply: Reply,
        metered: Optional[tuple[str, Mapping[str, int]]],
    ) -> int:
        # Every non-429 answer carries the steady window's state (new-api.md §6.4).
        if metered is not None and reply.status != 429:
            headers = rate_limit_headers(self._limiter, *metered, self.time_scale)
            reply = attrs.evolve(reply, headers=(*reply.headers, *headers))
        self._record(handler, reply.status)
        handler.respond(reply)
        return reply.status

    def _record(self, handler: _Handler, status: Optional[int]) -> None:
        if handler.entry is not None and not handler.logged:
            handler.logged = True
            with self._log_lock:
                self._log.append(handler.entry._replace(status=status))

    def _drop(self, handler: _Handler) -> None:
        self._record(handler, None)
        handler.reset()

    def _run(
        self, route: Handler, row: Endpoint, path: str, query: Mapping[str, str], raw: bytes
    ) -> Reply:
        if row.max_bytes is not None and len(raw) > row.max_bytes:
            return error(400, f"The payload may be at most {row.max_bytes} bytes.", pointer="/")
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            return error(400, "The request body is not valid JSON.", pointer="/")
        call = Call(row, path, _path_params(row.path, path), query, body, self.base_url)
        try:
            return route(self._operations, call)
        except StoreError as exc:
            return store_error(exc)

    def _answer(
        self,
        handler: _Handler,
        path: str,
        query: Mapping[str, str],
        row: Optional[Endpoint],
        raw: bytes,
    ) -> Optional[int]:
        """Route, authenticate, inject a fault, meter, run; returns the status sent, or
        ``None`` when the connection was dropped."""
        if row is None:
            allowed = [m for m in _METHODS if match_path(m, path) is not None]
            if allowed:
                reply = error(
                    405,
                    f"{handler.command} is not allowed on {path}.",
                    headers=(("Allow", ", ".join(allowed)),),
                )
                return self._send(handler, reply, None)
            return self._send(handler, error(404, f"No endpoint {handler.command} {path}."), None)
        route = ROUTES.get(row.operation)
        if route is None:
            detail = f"LocalKlaviyo does not implement {row.operation} yet."
            return self._send(handler, error(501, detail), None)
        bucket, limits = self._limiter.limits(row, query)
        metered = (bucket, limits) if self.enforce_rate_limits else None
        refused = self._refuse(handler.headers, row, query)
        if refused is not None:
            return self._send(handler, refused, metered)
        fault = self.faults._take(row.operation)
        if fault is not None and not fault.kind.after_store:
            # A server stopped during the delay answers nothing, like a real one going away.
            if self._stopping.wait(fault.delay) or fault.kind.reset:
                self._drop(handler)
                return None
            status = fault.status or fault.kind.status or 500
            if status == 429:
                wait = self._limiter.length("burst")
                reply = throttled(
                    wait, retry_after=fault.kind.retry_after, time_scale=self.time_scale
                )
                return self._send(handler, reply, None)
            return self._send(handler, error(status, f"Injected fault {fault.name!r}."), metered)
        if metered is not None:
            wait_for = self._limiter.acquire(*metered)
            if wait_for is not None:
                reply = throttled(
                    wait_for, retry_after=self.retry_after_header, time_scale=self.time_scale
                )
                return self._send(handler, reply, None)
        reply = self._run(route, row, path, query, raw)
        # The write is stored; now the answer is slow, or lost (exactly-once tests). A server
        # stopped during the delay answers nothing, like a real one going away.
        if fault is not None and (self._stopping.wait(fault.delay) or fault.kind.reset):
            self._drop(handler)
            return None
        return self._send(handler, reply, metered)

    def _serve(self, handler: _Handler) -> None:
        split = urlsplit(handler.path)
        # Klaviyo's own links end in "/" (``links.self``); the spec's paths do not.
        path = split.path.rstrip("/") or "/"
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        row = match_path(handler.command, path)
        handler.entry = ServedRequest(
            handler.command, path, query, row.operation if row else None, None
        )
        handler.logged = False
        try:
            try:
                raw = handler.read_body()
            except ValueError:
                handler.close_connection = True  # the stream cannot be resynchronised
                self._send(handler, error(400, "Malformed request framing."), None)
                return
            self._answer(handler, path, query, row, raw)
        except OSError:
            handler.close_connection = True  # the peer went away mid-answer
        except Exception as exc:  # a bug here: answer 500 rather than drop the connection
            self._send(handler, error(500, f"LocalKlaviyo failed: {exc!r}"), None)
        finally:
            self._record(handler, None)
