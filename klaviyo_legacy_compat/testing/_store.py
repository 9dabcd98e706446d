"""The in-memory account behind :class:`~klaviyo_legacy_compat.testing.LocalKlaviyo`.

:class:`Store` holds profiles, events and their metrics, lists, segments and jobs, and
implements the *behaviour* of the new API that a client can observe (new-api.md §3). It is
built in layers, one concern each: ``_store_profiles.ProfileStore`` (how a profile is
resolved from its identifiers and written), ``_store_events.EventStore`` (which event is a
duplicate, which metric an event makes), and here lists, segments, consent (what a
subscribe, unsubscribe or suppression does to consent and list membership), jobs and
deletions (what a deletion job deletes). Templates, campaigns and flows are added by
:class:`~klaviyo_legacy_compat.testing._store_messages.Account`, what the server holds; the
records and errors are ``_store_records``'.

It knows nothing about HTTP: the server parses JSON:API bodies into plain values, calls one
method here, and renders the result. Domain failures are raised as
:class:`~klaviyo_legacy_compat.testing._store_records.StoreError` subclasses, which the
server maps to JSON:API errors by a table.

Every method takes the one lock, so a request's effect is atomic, and every reader returns a
copy, so a test may inspect the state while the server keeps running.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Callable, Optional

from klaviyo_legacy_compat.testing._store_events import EventStore
from klaviyo_legacy_compat.testing._store_records import (
    IDENTIFIERS,
    Deletion,
    DuplicateProfile,
    Job,
    ListRecord,
    NotFound,
    Profile,
    ProfileRef,
    Segment,
    StoreError,
    SubscriptionItem,
    Suppression,
    index_key,
    iso,
    new_id,
    new_list_id,
)

__all__ = ["LIFTED_BY_SUBSCRIBE", "Store"]

#: Global suppressions a subscribe removes (spec, bulk_subscribe_profiles description:
#: "UNSUBSCRIBE, SPAM_REPORT or USER_SUPPRESSED"; the enum spells the second SPAM_COMPLAINT).
LIFTED_BY_SUBSCRIBE = frozenset({"UNSUBSCRIBE", "SPAM_COMPLAINT", "USER_SUPPRESSED"})


class Store(EventStore):
    """The account's state. Safe to use from any thread; readers return copies."""

    def __init__(self) -> None:
        super().__init__()
        self._lists: dict[str, ListRecord] = {}
        self._jobs: dict[str, Job] = {}
        self._segments: dict[str, Segment] = {}
        self._deletions: list[Deletion] = []

    # --- readers and helpers for tests --------------------------------------------------------

    @property
    def lists(self) -> dict[str, ListRecord]:
        """List id → list (a deep copy)."""
        with self._lock:
            return copy.deepcopy(self._lists)

    @property
    def jobs(self) -> dict[str, Job]:
        """Job id → job (a deep copy)."""
        with self._lock:
            return copy.deepcopy(self._jobs)

    def lists_where(self, predicate: Callable[[ListRecord], bool]) -> list[ListRecord]:
        """Copies of the lists ``predicate`` accepts, in creation order."""
        with self._lock:
            return [copy.deepcopy(r) for r in self._lists.values() if predicate(r)]

    def list_members(self, list_id: str) -> list[str]:
        """The profile ids on the list, in the order they joined; ``KeyError`` for an
        unknown list."""
        with self._lock:
            return list(self._lists[list_id].members)

    def pending_double_opt_in(self, list_id: str) -> list[str]:
        """The profile ids waiting to confirm a double opt-in subscription to the list."""
        with self._lock:
            return list(self._lists[list_id].pending)

    def suppressions(self, email: str) -> list[Suppression]:
        """The suppressions of the profile with this email (global ones have no ``list_id``);
        ``[]`` when there is no such profile."""
        found = self.profile_by_email(email)
        return list(found.suppressions) if found is not None else []

    def create_list(self, name: str, opt_in_process: str = "single_opt_in") -> str:
        """Create a list; returns its id."""
        if opt_in_process not in ("single_opt_in", "double_opt_in"):
            raise ValueError(
                f"opt_in_process must be single_opt_in or double_opt_in, got {opt_in_process!r}"
            )
        with self._lock:
            list_id = new_list_id()
            while list_id in self._lists:
                list_id = new_list_id()
            now = iso(self._now())
            self._lists[list_id] = ListRecord(list_id, name, opt_in_process, now, now)
            return list_id

    def add_member(self, list_id: str, profile_id: str) -> None:
        """Put a profile on a list without touching consent."""
        self.add_to_list(list_id, [profile_id])

    def add_suppression(
        self, email: str, reason: str = "USER_SUPPRESSED", list_id: Optional[str] = None
    ) -> None:
        """Suppress the profile with this email (created when missing): globally, or only
        for ``list_id`` (a list-scoped suppression, as an unsubscribe from that list leaves)."""
        with self._lock:
            if list_id is not None:
                self._list(list_id)  # NotFound before any profile is created
            profile = self._find_or_create(None, {"email": email})
            self._suppress(profile, reason, list_id)

    def confirm_double_opt_in(self, list_id: str, email: str) -> None:
        """Confirm a pending double opt-in, as the subscriber clicking the link would: the
        consent is granted and the profile joins the list. ``KeyError`` if nothing is
        pending for that email on that list."""
        with self._lock:
            record = self._lists[list_id]
            owner = self._index.get(index_key("email", email))
            if owner is None or owner not in record.pending:
                raise KeyError(f"no double opt-in pending for {email!r} on list {list_id}")
            channels = record.pending.pop(owner)
            self._grant(self._profiles[owner], channels, list_id)
            record.members.setdefault(owner, iso(self._now()))

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            super().clear()
            self._lists.clear()
            self._jobs.clear()
            self._segments.clear()
            self._deletions.clear()

    # --- segments, deletions ------------------------------------------------------------------

    def _segment(self, segment_id: str) -> Segment:
        found = self._segments.get(segment_id)
        if found is None:
            raise NotFound(f"A segment with id {segment_id} does not exist.")
        return found

    def create_segment(self, name: str, profile_ids: Iterable[str] = ()) -> str:
        """Define a segment holding ``profile_ids`` (they join now); returns its id, shaped
        like a list id (segments and lists share the id space of groups)."""
        with self._lock:
            ids = list(profile_ids)
            for profile_id in ids:
                self._get(profile_id)
            segment_id = new_list_id()
            while segment_id in self._segments or segment_id in self._lists:
                segment_id = new_list_id()
            now = iso(self._now())
            self._segments[segment_id] = Segment(
                segment_id, name, now, now, dict.fromkeys(ids, now)
            )
            return segment_id

    def add_to_segment(self, segment_id: str, profile_ids: Iterable[str]) -> None:
        """Profiles join the segment (as when they come to match its definition)."""
        with self._lock:
            segment = self._segment(segment_id)
            ids = list(profile_ids)
            for profile_id in ids:
                self._get(profile_id)
            now = iso(self._now())
            for profile_id in ids:
                segment.members.setdefault(profile_id, now)

    def segments_where(self, predicate: Callable[[Segment], bool]) -> list[Segment]:
        """Copies of the segments ``predicate`` accepts, in creation order."""
        with self._lock:
            return [copy.deepcopy(s) for s in self._segments.values() if predicate(s)]

    @property
    def segments(self) -> dict[str, Segment]:
        """Segment id → segment (a deep copy)."""
        with self._lock:
            return copy.deepcopy(self._segments)

    def segment_members(self, segment_id: str) -> list[tuple[Profile, str]]:
        """(profile copy, joined_group_at) of each member, in joining order; 404 for an
        unknown segment."""
        with self._lock:
            segment = self._segment(segment_id)
            return [
                (copy.deepcopy(self._profiles[pid]), joined)
                for pid, joined in segment.members.items()
                if pid in self._profiles
            ]

    def delete_profiles(self, identifier: str, value: str) -> Deletion:
        """``POST /api/data-privacy-deletion-jobs``: delete every profile matching
        ``identifier`` (``id``, ``email`` or ``phone_number``) = ``value`` ("All profiles
        that match the provided identifier will be deleted", spec), with their events and
        memberships. The job is asynchronous in Klaviyo; here it is done at once. Returns
        (and keeps, see :attr:`deletions`) what it did; nothing matching deletes nothing."""
        with self._lock:
            if identifier == "id":
                ids = [value] if value in self._profiles else []
            else:
                owner = self._index.get(index_key(identifier, value))
                ids = [owner] if owner is not None else []
            for profile_id in ids:
                profile = self._profiles.pop(profile_id)
                for name in IDENTIFIERS:
                    self._set_identifier(profile, name, None)
                for record in self._lists.values():
                    record.members.pop(profile_id, None)
                    record.pending.pop(profile_id, None)
                for segment in self._segments.values():
                    segment.members.pop(profile_id, None)
            gone = set(ids)
            self._events = [e for e in self._events if e.profile_id not in gone]
            self._event_keys = {k for k in self._event_keys if k[0] not in gone}
            deletion = Deletion(identifier, value, tuple(ids), iso(self._now()))
            self._deletions.append(deletion)
            return deletion

    @property
    def deletions(self) -> list[Deletion]:
        """The deletion jobs processed, oldest first."""
        with self._lock:
            return list(self._deletions)

    # --- lists --------------------------------------------------------------------------------

    def _list(self, list_id: str, pointer: Optional[str] = None) -> ListRecord:
        found = self._lists.get(list_id)
        if found is None:
            raise NotFound(f"A list with id {list_id} does not exist.", pointer=pointer)
        return found

    def get_list(self, list_id: str) -> ListRecord:
        """The list (a copy); 404 for an unknown id."""
        with self._lock:
            return copy.deepcopy(self._list(list_id))

    def update_list(
        self, list_id: str, *, name: Optional[str] = None, opt_in_process: Optional[str] = None
    ) -> ListRecord:
        """Rename a list or change its opt-in process (a copy)."""
        with self._lock:
            record = self._list(list_id)
            if name is not None:
                record.name = name
            if opt_in_process is not None:
                record.opt_in_process = opt_in_process
            record.updated = iso(self._now())
            return copy.deepcopy(record)

    def delete_list(self, list_id: str) -> None:
        """Delete a list; its profiles stay."""
        with self._lock:
            self._list(list_id)
            del self._lists[list_id]

    def add_to_list(self, list_id: str, profile_ids: Iterable[str]) -> None:
        """Add profiles to a list; consent is untouched (spec, add_profiles_to_list)."""
        with self._lock:
            record = self._list(list_id)
            ids = list(profile_ids)
            for i, profile_id in enumerate(ids):
                self._get(profile_id, pointer=f"/data/{i}/id")
            now = iso(self._now())
            for profile_id in ids:
                record.members.setdefault(profile_id, now)

    def remove_from_list(self, list_id: str, profile_ids: Iterable[str]) -> None:
        """Remove profiles from a list; consent is untouched."""
        with self._lock:
            record = self._list(list_id)
            for profile_id in profile_ids:
                record.members.pop(profile_id, None)

    def members(self, list_id: str) -> list[tuple[Profile, str]]:
        """(profile copy, joined_group_at) of each member, in joining order; 404 for an
        unknown list."""
        with self._lock:
            record = self._list(list_id)
            return [
                (copy.deepcopy(self._profiles[pid]), joined)
                for pid, joined in record.members.items()
                if pid in self._profiles
            ]

    # --- consent ------------------------------------------------------------------------------

    def _item_profile(self, item: SubscriptionItem) -> Profile:
        attributes = {
            k: v for k, v in (("email", item.email), ("phone_number", item.phone_number)) if v
        }
        return self._find_or_create(item.id, attributes)

    def _grant(self, profile: Profile, channels: Sequence[str], list_id: Optional[str]) -> None:
        now = iso(self._now())
        if "email" in channels:
            profile.email_consent = "SUBSCRIBED"
            profile.email_consent_timestamp = now
            profile.suppressions = [
                s
                for s in profile.suppressions
                if not (
                    (s.list_id is None and s.reason in LIFTED_BY_SUBSCRIBE)
                    or (list_id is not None and s.list_id == list_id)
                )
            ]
        if "sms" in channels:
            profile.sms_consent = "SUBSCRIBED"
            profile.sms_consent_timestamp = now
        profile.updated = now

    def _suppress(self, profile: Profile, reason: str, list_id: Optional[str] = None) -> bool:
        """Add a suppression unless the same one exists; returns whether it was added."""
        if any(s.reason == reason and s.list_id == list_id for s in profile.suppressions):
            return False
        profile.suppressions.append(Suppression(reason, iso(self._now()), list_id))
        return True

    def subscribe(
        self,
        list_id: Optional[str],
        items: Sequence[SubscriptionItem],
        *,
        historical_import: bool = False,
    ) -> None:
        """``POST /api/profile-subscription-bulk-create-jobs``: find or create each profile,
        grant consent, lift UNSUBSCRIBE/SPAM_COMPLAINT/USER_SUPPRESSED suppressions and join
        the list. On a double opt-in list the profile only waits for confirmation
        (:meth:`confirm_double_opt_in`), unless ``historical_import`` (spec description)."""
        with self._lock:
            record = self._list(list_id, "/data/relationships/list/data/id") if list_id else None
            double = record is not None and record.opt_in_process == "double_opt_in"
            for item in items:
                profile = self._item_profile(item)
                if record is not None and double and not historical_import:
                    record.pending[profile.id] = item.channels
                    continue
                self._grant(profile, item.channels, list_id)
                if record is not None:
                    record.members.setdefault(profile.id, iso(self._now()))

    def unsubscribe(self, list_id: Optional[str], items: Sequence[SubscriptionItem]) -> None:
        """``POST /api/profile-subscription-bulk-delete-jobs``. A member of the given list is
        removed from it and gets a list-scoped UNSUBSCRIBE; anyone else is unsubscribed
        GLOBALLY: consent UNSUBSCRIBED and a global UNSUBSCRIBE suppression. That is the
        spec's warning ("Profiles not in the specified list will be globally unsubscribed")."""
        with self._lock:
            record = self._list(list_id, "/data/relationships/list/data/id") if list_id else None
            now = iso(self._now())
            for item in items:
                profile = self._item_profile(item)
                if record is not None:
                    record.pending.pop(profile.id, None)
                if record is not None and profile.id in record.members:
                    del record.members[profile.id]
                    if "email" in item.channels:
                        self._suppress(profile, "UNSUBSCRIBE", record.id)
                    continue
                if "email" in item.channels:
                    profile.email_consent = "UNSUBSCRIBED"
                    profile.email_consent_timestamp = now
                    self._suppress(profile, "UNSUBSCRIBE")
                if "sms" in item.channels:
                    profile.sms_consent = "UNSUBSCRIBED"
                    profile.sms_consent_timestamp = now
                profile.updated = now

    def suppress(self, emails: Sequence[str], list_id: Optional[str] = None) -> tuple[int, int]:
        """``POST /api/profile-suppression-bulk-create-jobs``: USER_SUPPRESSED for each email
        (the profile is created when missing), or for every member of ``list_id`` with an
        email. Returns (total, skipped): skipped ones were suppressed already."""
        with self._lock:
            targets = [self._find_or_create(None, {"email": e}) for e in emails]
            if list_id is not None:
                record = self._list(list_id, "/data/relationships/list/data/id")
                targets.extend(
                    self._profiles[pid]
                    for pid in record.members
                    if pid in self._profiles and self._profiles[pid].email
                )
            skipped = sum(not self._suppress(p, "USER_SUPPRESSED") for p in targets)
            return len(targets), skipped

    # --- jobs ---------------------------------------------------------------------------------

    def add_job(self, job_type: str, attributes: Mapping[str, Any]) -> Job:
        """Record a finished job (a copy is returned)."""
        with self._lock:
            job = Job(new_id(), job_type, dict(attributes))
            self._jobs[job.id] = job
            return copy.deepcopy(job)

    def job(self, job_type: str, job_id: str) -> Job:
        """The job of that type and id (a copy); 404 otherwise."""
        with self._lock:
            found = self._jobs.get(job_id)
            if found is None or found.type != job_type:
                raise NotFound(f"A job with id {job_id} does not exist.")
            return copy.deepcopy(found)

    def import_profiles(
        self,
        refs: Sequence[ProfileRef],
        list_ids: Sequence[str],
        payloads: Optional[Sequence[Any]] = None,
    ) -> Job:
        """``POST /api/profile-bulk-import-jobs``, processed at once: each profile upserted
        as by :meth:`import_profile` (a failure counts in ``failed_count`` and the rest go
        on), then added to each list."""
        with self._lock:
            for i, list_id in enumerate(list_ids):
                self._list(list_id, f"/data/relationships/lists/data/{i}/id")
            started = iso(self._now())
            done: list[str] = []
            errors: list[dict[str, Any]] = []
            for i, ref in enumerate(refs):
                try:
                    profile, _ = self.import_profile(ref)
                except StoreError as exc:
                    code = "duplicate_profile" if isinstance(exc, DuplicateProfile) else "invalid"
                    error = {"index": i, "code": code, "detail": exc.detail}
                    if payloads is not None:
                        error["payload"] = copy.deepcopy(payloads[i])
                    errors.append(error)
                    continue
                done.append(profile.id)
            for list_id in list_ids:
                self.add_to_list(list_id, done)
            finished = iso(self._now())
            job = Job(
                new_id(),
                "profile-bulk-import-job",
                {
                    "status": "complete",
                    "created_at": started,
                    "total_count": len(refs),
                    "completed_count": len(done),
                    "failed_count": len(errors),
                    "completed_at": finished,
                    "expires_at": None,
                    "started_at": started,
                },
                errors,
            )
            self._jobs[job.id] = job
            return copy.deepcopy(job)
