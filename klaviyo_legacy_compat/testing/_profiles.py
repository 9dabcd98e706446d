"""LocalKlaviyo's profile writes and reads (new-api.md §3.1, §3.2, §3.6): events (each one
resolves, creates or updates its profile), single and bulk events, profile create, update,
import and read, bulk import jobs and their errors, and deletion jobs.

Each handler reads its body through ``_validation`` (the profile and event rules are the
spec's request schemas), calls one method of the store, and renders the answer through
``_protocol``; the store decides which profile an identifier names and which event is a
duplicate.
"""

from __future__ import annotations

from typing import Any

import attrs

from klaviyo_legacy_compat.testing._filters import ordered, record_filter
from klaviyo_legacy_compat.testing._protocol import (
    Call,
    Reply,
    id_mismatch,
    job_document,
    one,
    page,
    render_profile,
)
from klaviyo_legacy_compat.testing._store_messages import Account
from klaviyo_legacy_compat.testing._store_records import EventEntry, Invalid, NotFound, ProfileRef
from klaviyo_legacy_compat.testing._validation import (
    PROFILE_ATTRIBUTES,
    capped,
    capped_data,
    data_of,
    json_object,
    new_event,
    optional_text,
    profile_attributes,
    profile_ref,
    relationship_ids,
    request_data,
    resource_object,
    resource_of,
)

__all__ = ["ProfileOperations"]

#: The profile attributes a deletion job may name profiles by (beside ``id``; spec
#: ``DataPrivacyCreateDeletionJobQuery``).
_DELETION_IDENTIFIERS = ("email", "phone_number")


class ProfileOperations:
    """The handlers of events, profiles, bulk imports and deletion jobs (mixed into
    ``_operations.Operations``)."""

    store: Account

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
        return Reply(202, job_document(call, job, "/api/profile-bulk-import-jobs"))

    def get_bulk_import_profiles_job(self, call: Call) -> Reply:
        """``GET /api/profile-bulk-import-jobs/{job_id}``."""
        job = self.store.job("profile-bulk-import-job", call.path_params["job_id"])
        return Reply(200, job_document(call, job, "/api/profile-bulk-import-jobs"))

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

    # --- data privacy -------------------------------------------------------------------------

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
