"""The in-memory account behind :class:`~klaviyo_legacy_compat.testing.LocalKlaviyo`.

:class:`Store` holds profiles, events and their metrics, lists, segments and jobs, and
implements the *behaviour* of the new API that a client can observe (new-api.md §3): how a
profile is resolved from its identifiers, which event is a duplicate, which metric an event
makes, what a subscribe, unsubscribe or suppression does to consent and list membership, what
a deletion job deletes. Templates, campaigns and flows are added by
:class:`~klaviyo_legacy_compat.testing._store_messages.Account`, what the server holds.
It knows nothing about HTTP: the server parses JSON:API bodies into plain values, calls one
method here, and renders the result. Domain failures are raised as :class:`StoreError`
subclasses, which the server maps to JSON:API errors by a table.

Every method takes the one lock, so a request's effect is atomic, and every reader returns a
copy, so a test may inspect the state while the server keeps running.
"""

from __future__ import annotations

import copy
import secrets
import string
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any, Callable, Optional

import attrs

__all__ = [
    "IDENTIFIERS",
    "Deletion",
    "DuplicateProfile",
    "Event",
    "EventEntry",
    "Invalid",
    "Job",
    "ListRecord",
    "Metric",
    "NewEvent",
    "NotFound",
    "Profile",
    "ProfileRef",
    "Segment",
    "Store",
    "StoreError",
    "SubscriptionItem",
    "Suppression",
    "iso",
    "new_id",
    "new_list_id",
    "utc_now",
]

#: The attributes that identify a profile, in the order a profile is resolved by them (the
#: profile holding the first one found wins; new-api.md §3, "at least one identifier").
IDENTIFIERS: tuple[str, ...] = ("email", "phone_number", "external_id", "_kx", "anonymous_id")

#: Global suppressions a subscribe removes (spec, bulk_subscribe_profiles description:
#: "UNSUBSCRIBE, SPAM_REPORT or USER_SUPPRESSED"; the enum spells the second SPAM_COMPLAINT).
LIFTED_BY_SUBSCRIBE = frozenset({"UNSUBSCRIBE", "SPAM_COMPLAINT", "USER_SUPPRESSED"})

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_LIST_ID_ALPHABET = string.ascii_letters + string.digits


def new_id() -> str:
    """A 26-character ULID (48-bit millisecond time + 80 random bits, Crockford base 32), the
    shape of Klaviyo's profile, event and job ids (spec example ``01GDDKASAP8TKDDA2GRZDSVP4H``)."""
    value = (int(time.time() * 1000) << 80) | secrets.randbits(80)
    return "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


def new_list_id() -> str:
    """A 6-character mixed-case id, the shape of Klaviyo's list ids (spec example ``Y6nRLr``)."""
    return "".join(secrets.choice(_LIST_ID_ALPHABET) for _ in range(6))


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(timezone.utc)


def iso(moment: datetime) -> str:
    """ISO 8601 as the API writes it: ``2024-05-01T12:00:00.123456+00:00``."""
    return moment.astimezone(timezone.utc).isoformat()


def _key(identifier: str, value: str) -> tuple[str, str]:
    # Email addresses are matched without regard to case, as Klaviyo matches them; the other
    # identifiers are exact. Written here, not imported from the library's identifier_key:
    # the local Klaviyo is the oracle the translators are tested against.
    return (identifier, value.casefold() if identifier == "email" else value)


# --- errors ---------------------------------------------------------------------------------


class StoreError(Exception):
    """A request the account refuses; the server turns it into a JSON:API error."""

    def __init__(
        self, detail: str, *, pointer: Optional[str] = None, parameter: Optional[str] = None
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.pointer = pointer
        self.parameter = parameter


class Invalid(StoreError):
    """A malformed or disallowed request (400)."""


class NotFound(StoreError):
    """An id that names nothing (404)."""


class DuplicateProfile(StoreError):
    """An identifier already held by another profile (409 ``duplicate_profile``, with
    ``meta.duplicate_profile_id``: klaviyo-api-node#74/#75, new-api.md §3.2)."""

    def __init__(self, profile_id: str, identifier: str) -> None:
        super().__init__(
            f"A profile already exists with one of these identifiers ({identifier}).",
            pointer=f"/data/attributes/{identifier}",
        )
        self.profile_id = profile_id
        self.identifier = identifier


# --- records --------------------------------------------------------------------------------


@attrs.define
class Suppression:
    """An email suppression: global when ``list_id`` is ``None``, else scoped to that list
    (spec ``EmailMarketingSuppression`` / ``EmailMarketingListSuppression``)."""

    reason: str
    timestamp: str
    list_id: Optional[str] = None


@attrs.define
class Profile:
    """A profile. ``attributes`` holds the profile attribute block as the API takes it
    (``email``, ``first_name``, ``location``, ``properties``, ``_kx``, ...); consent and
    suppressions are kept beside it, as the API reports them under ``subscriptions``."""

    id: str
    created: str
    updated: str
    attributes: dict[str, Any] = attrs.field(factory=dict)
    email_consent: str = "NEVER_SUBSCRIBED"
    email_consent_timestamp: Optional[str] = None
    sms_consent: str = "NEVER_SUBSCRIBED"
    sms_consent_timestamp: Optional[str] = None
    suppressions: list[Suppression] = attrs.field(factory=list)
    last_event_date: Optional[str] = None

    @property
    def email(self) -> Optional[str]:
        """The email address, or ``None``."""
        value = self.attributes.get("email")
        return value if isinstance(value, str) else None

    @property
    def phone_number(self) -> Optional[str]:
        """The phone number (E.164), or ``None``."""
        value = self.attributes.get("phone_number")
        return value if isinstance(value, str) else None

    @property
    def external_id(self) -> Optional[str]:
        """The external id, or ``None``."""
        value = self.attributes.get("external_id")
        return value if isinstance(value, str) else None

    @property
    def properties(self) -> dict[str, Any]:
        """The custom properties (``{}`` when none)."""
        value = self.attributes.get("properties")
        return value if isinstance(value, dict) else {}

    @property
    def global_suppressions(self) -> list[Suppression]:
        """The suppressions that stop all email marketing."""
        return [s for s in self.suppressions if s.list_id is None]


@attrs.frozen
class Event:
    """A stored event. ``unique_id`` is the one Klaviyo dedupes on: the given one, else the
    event time to the second (spec, ``unique_id`` description)."""

    id: str
    metric: str
    profile_id: str
    properties: dict[str, Any]
    time: str
    unique_id: str
    value: Optional[float] = None
    value_currency: Optional[str] = None
    received: str = ""
    operation: str = ""
    metric_id: str = ""


@attrs.define
class ListRecord:
    """A list. ``members`` maps profile id → ``joined_group_at``; ``pending`` maps the profile
    ids awaiting a double opt-in confirmation → the channels they asked for."""

    id: str
    name: str
    opt_in_process: str
    created: str
    updated: str
    members: dict[str, str] = attrs.field(factory=dict)
    pending: dict[str, tuple[str, ...]] = attrs.field(factory=dict)


@attrs.define
class Metric:
    """A metric: the kind of an event, one per name and integration (an event created
    through the API makes its metric by name: "All Placed Order events ... sent via the same
    mechanism ... share the same Placed Order metric", Klaviyo's metrics overview).
    ``integration`` is the spec's free-form ``integration`` object."""

    id: str
    name: str
    created: str
    updated: str
    integration: dict[str, Any]


@attrs.define
class Segment:
    """A segment and its members (profile id → ``joined_group_at``). Klaviyo computes
    members from the segment's definition; here a test names them
    (:meth:`Store.create_segment`)."""

    id: str
    name: str
    created: str
    updated: str
    members: dict[str, str] = attrs.field(factory=dict)


@attrs.frozen
class Deletion:
    """A processed deletion job: the identifier it named and the profiles it deleted."""

    identifier: str
    value: str
    profile_ids: tuple[str, ...]
    requested: str


@attrs.define
class Job:
    """A bulk job; processed synchronously, so it is ``complete`` when created."""

    id: str
    type: str
    attributes: dict[str, Any]
    errors: list[dict[str, Any]] = attrs.field(factory=list)


# --- parsed requests (what the server hands over) -------------------------------------------


@attrs.frozen
class ProfileRef:
    """The profile of a write: an optional id, the attribute block and the optional ``meta``
    (``patch_properties``)."""

    id: Optional[str]
    attributes: Mapping[str, Any]
    meta: Optional[Mapping[str, Any]] = None


@attrs.frozen
class NewEvent:
    """One event of a create or bulk-create request; ``time`` is ``None`` when absent."""

    metric: str
    properties: Mapping[str, Any]
    time: Optional[datetime] = None
    value: Optional[float] = None
    value_currency: Optional[str] = None
    unique_id: Optional[str] = None


@attrs.frozen
class EventEntry:
    """One entry of a bulk-create request: a profile and its events."""

    profile: ProfileRef
    events: tuple[NewEvent, ...]


@attrs.frozen
class SubscriptionItem:
    """One profile of a subscribe or unsubscribe job and the channels it names."""

    id: Optional[str]
    email: Optional[str]
    phone_number: Optional[str]
    channels: tuple[str, ...]


# --- the store --------------------------------------------------------------------------------

#: How each write treats identifiers: "set" (a clash with another profile is a 409),
#: "fill" (identifiers held by another profile are skipped: server-side events), "keep"
#: (never changed on an existing profile: client endpoints, spec create_client_profile).
_IDENTIFIER_MODES = frozenset({"set", "fill", "keep"})


class Store:
    """The account's state. Safe to use from any thread; readers return copies."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._profiles: dict[str, Profile] = {}
        self._index: dict[tuple[str, str], str] = {}
        self._events: list[Event] = []
        self._event_keys: set[tuple[str, str, str]] = set()
        self._repeated_events = 0
        self._lists: dict[str, ListRecord] = {}
        self._jobs: dict[str, Job] = {}
        self._metrics: dict[str, Metric] = {}
        self._metric_ids: dict[tuple[str, str], str] = {}
        self._integrations: dict[str, dict[str, Any]] = {}
        self._segments: dict[str, Segment] = {}
        self._deletions: list[Deletion] = []

    # --- readers and helpers for tests ------------------------------------------------------

    @property
    def events(self) -> list[Event]:
        """Every stored event, oldest first (a copy)."""
        with self._lock:
            return list(self._events)

    @property
    def repeated_events(self) -> int:
        """Events received again and dropped, their (profile, metric, ``unique_id``) being
        stored already: what a test counts to see that a client re-sent a delivered event
        (Klaviyo would never show it, since it keeps the first)."""
        with self._lock:
            return self._repeated_events

    @property
    def profiles(self) -> dict[str, Profile]:
        """Profile id → profile, in creation order (a deep copy)."""
        with self._lock:
            return copy.deepcopy(self._profiles)

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

    def profiles_where(self, predicate: Callable[[Profile], bool]) -> list[Profile]:
        """Copies of the profiles ``predicate`` accepts, in creation order (only those are
        copied, so a filtered read stays cheap in a large store)."""
        with self._lock:
            return [copy.deepcopy(p) for p in self._profiles.values() if predicate(p)]

    def lists_where(self, predicate: Callable[[ListRecord], bool]) -> list[ListRecord]:
        """Copies of the lists ``predicate`` accepts, in creation order."""
        with self._lock:
            return [copy.deepcopy(r) for r in self._lists.values() if predicate(r)]

    def profile(self, profile_id: str) -> Optional[Profile]:
        """The profile with ``profile_id`` (a copy), or ``None``."""
        with self._lock:
            found = self._profiles.get(profile_id)
            return copy.deepcopy(found) if found is not None else None

    def profile_by(self, identifier: str, value: str) -> Optional[Profile]:
        """The profile holding ``identifier`` = ``value`` (email without regard to case)."""
        with self._lock:
            owner = self._index.get(_key(identifier, value))
            return self.profile(owner) if owner is not None else None

    def profile_by_email(self, email: str) -> Optional[Profile]:
        """The profile with this email address (a copy), or ``None``."""
        return self.profile_by("email", email)

    def events_for(self, email: str) -> list[Event]:
        """The stored events of the profile with this email address."""
        with self._lock:
            owner = self._index.get(_key("email", email))
            return [e for e in self._events if e.profile_id == owner]

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
            now = iso(utc_now())
            self._lists[list_id] = ListRecord(list_id, name, opt_in_process, now, now)
            return list_id

    def add_profile(self, **attributes: Any) -> str:
        """Create a profile from attributes (``email=..., first_name=..., properties={...}``);
        returns its id. Raises :class:`DuplicateProfile` if an identifier is taken."""
        with self._lock:
            return self.create_profile(ProfileRef(None, attributes)).id

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
            owner = self._index.get(_key("email", email))
            if owner is None or owner not in record.pending:
                raise KeyError(f"no double opt-in pending for {email!r} on list {list_id}")
            channels = record.pending.pop(owner)
            self._grant(self._profiles[owner], channels, list_id)
            record.members.setdefault(owner, iso(utc_now()))

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._profiles.clear()
            self._index.clear()
            self._events.clear()
            self._event_keys.clear()
            self._repeated_events = 0
            self._lists.clear()
            self._jobs.clear()
            self._metrics.clear()
            self._metric_ids.clear()
            self._integrations.clear()
            self._segments.clear()
            self._deletions.clear()

    # --- profiles ------------------------------------------------------------------------------

    def _get(self, profile_id: str, pointer: Optional[str] = None) -> Profile:
        found = self._profiles.get(profile_id)
        if found is None:
            raise NotFound(f"A profile with id {profile_id} does not exist.", pointer=pointer)
        return found

    def _owners(self, attributes: Mapping[str, Any]) -> list[tuple[str, str]]:
        """(identifier, owning profile id) for each identifier given that some profile holds,
        in resolution order."""
        out = []
        for identifier in IDENTIFIERS:
            value = attributes.get(identifier)
            if isinstance(value, str):
                owner = self._index.get(_key(identifier, value))
                if owner is not None:
                    out.append((identifier, owner))
        return out

    def _clash(self, profile_id: Optional[str], attributes: Mapping[str, Any]) -> None:
        """Raise :class:`DuplicateProfile` if an identifier given belongs to another profile."""
        for identifier, owner in self._owners(attributes):
            if owner != profile_id:
                raise DuplicateProfile(owner, identifier)

    def _new_profile(self) -> Profile:
        now = iso(utc_now())
        profile = Profile(new_id(), now, now)
        self._profiles[profile.id] = profile
        return profile

    def _set_identifier(self, profile: Profile, identifier: str, value: Optional[str]) -> None:
        current = profile.attributes.get(identifier)
        if isinstance(current, str):
            self._index.pop(_key(identifier, current), None)
        if value is None:
            profile.attributes.pop(identifier, None)
        else:
            profile.attributes[identifier] = value
            self._index[_key(identifier, value)] = profile.id

    def _apply(
        self,
        profile: Profile,
        attributes: Mapping[str, Any],
        meta: Optional[Mapping[str, Any]],
        *,
        identifiers: str,
    ) -> None:
        """Write an attribute block onto a profile: omitted fields are unchanged, ``null``
        clears (spec, create_or_update_profile description); ``location`` and
        ``properties`` merge key by key."""
        assert identifiers in _IDENTIFIER_MODES
        for name, value in attributes.items():
            if name in IDENTIFIERS:
                if identifiers == "keep":
                    continue
                if isinstance(value, str):
                    owner = self._index.get(_key(name, value))
                    if owner is not None and owner != profile.id:
                        if identifiers == "set":
                            raise DuplicateProfile(owner, name)
                        continue
                self._set_identifier(profile, name, value if isinstance(value, str) else None)
            elif name in ("location", "properties"):
                if value is None:
                    profile.attributes.pop(name, None)
                else:
                    merged = dict(profile.attributes.get(name) or {})
                    merged.update(value)
                    if name == "location":
                        merged = {k: v for k, v in merged.items() if v is not None}
                    profile.attributes[name] = merged
            elif value is None:
                profile.attributes.pop(name, None)
            else:
                profile.attributes[name] = value
        if meta:
            self._patch_properties(profile, meta.get("patch_properties") or {})
        profile.updated = iso(utc_now())

    @staticmethod
    def _patch_properties(profile: Profile, patch: Mapping[str, Any]) -> None:
        """``meta.patch_properties``: ``append``/``unappend`` list values, ``unset`` keys
        (new-api.md §3, profile ``meta``)."""
        properties = dict(profile.properties)
        for name, value in (patch.get("append") or {}).items():
            current = properties.get(name)
            items = (
                list(current) if isinstance(current, list) else [] if current is None else [current]
            )
            items.extend(value if isinstance(value, list) else [value])
            properties[name] = items
        for name, value in (patch.get("unappend") or {}).items():
            current = properties.get(name)
            if isinstance(current, list):
                drop = value if isinstance(value, list) else [value]
                properties[name] = [v for v in current if v not in drop]
        unset = patch.get("unset")
        for name in [unset] if isinstance(unset, str) else unset or []:
            properties.pop(name, None)
        if properties:
            profile.attributes["properties"] = properties
        else:
            profile.attributes.pop("properties", None)

    def create_profile(self, ref: ProfileRef) -> Profile:
        """``POST /api/profiles``: a new profile; 409 if any identifier exists (a copy)."""
        with self._lock:
            self._clash(None, ref.attributes)
            profile = self._new_profile()
            self._apply(profile, ref.attributes, ref.meta, identifiers="set")
            return copy.deepcopy(profile)

    def update_profile(self, ref: ProfileRef) -> Profile:
        """``PATCH /api/profiles/{id}``: 404 for an unknown id, 409 if a new identifier
        belongs to another profile (a copy)."""
        with self._lock:
            assert ref.id is not None
            profile = self._get(ref.id)
            self._clash(profile.id, ref.attributes)
            self._apply(profile, ref.attributes, ref.meta, identifiers="set")
            return copy.deepcopy(profile)

    def import_profile(self, ref: ProfileRef) -> tuple[Profile, bool]:
        """``POST /api/profile-import``: update the profile the identifiers (or the id) name,
        else create one; returns (a copy of the profile, created). When the identifiers
        name two different profiles: 409 naming the second (klaviyo-api-php#63)."""
        with self._lock:
            if ref.id is not None:
                profile: Optional[Profile] = self._get(ref.id, pointer="/data/id")
            else:
                owners: list[str] = []
                for identifier, owner in self._owners(ref.attributes):
                    if owners and owner != owners[0]:
                        raise DuplicateProfile(owner, identifier)
                    owners.append(owner)
                profile = self._profiles[owners[0]] if owners else None
            created = profile is None
            if profile is None:
                self._clash(None, ref.attributes)
                profile = self._new_profile()
            else:
                self._clash(profile.id, ref.attributes)
            self._apply(profile, ref.attributes, ref.meta, identifiers="set")
            return copy.deepcopy(profile), created

    def _resolve(self, ref: ProfileRef, pointer: str) -> Optional[Profile]:
        if ref.id is not None:
            return self._get(ref.id, pointer=f"{pointer}/id")
        owners = self._owners(ref.attributes)
        return self._profiles[owners[0][1]] if owners else None

    def _touch(self, ref: ProfileRef, *, client: bool, pointer: str) -> Profile:
        profile = self._resolve(ref, pointer)
        if profile is None:
            profile = self._new_profile()
            self._apply(profile, ref.attributes, ref.meta, identifiers="fill")
        else:
            self._apply(profile, ref.attributes, ref.meta, identifiers="keep" if client else "fill")
        return profile

    def touch_profile(self, ref: ProfileRef, *, client: bool, pointer: str = "/data") -> Profile:
        """The profile of an event or a client profile write: resolved by id, else by the
        first identifier some profile holds, else created; then updated. Server-side writes
        add identifiers no other profile holds; client-side writes never change the
        identifiers of an existing profile (spec, create_client_profile description).
        Returns a copy."""
        with self._lock:
            return copy.deepcopy(self._touch(ref, client=client, pointer=pointer))

    # --- events --------------------------------------------------------------------------------

    @staticmethod
    def _event_time(event: NewEvent, received: datetime) -> datetime:
        # "By default, the time the request was received ... truncated to the second" (spec).
        return (event.time or received).astimezone(timezone.utc).replace(microsecond=0)

    def _store_event(
        self,
        profile: Profile,
        event: NewEvent,
        received: datetime,
        operation: str,
        metric_id: Optional[str] = None,
    ) -> bool:
        moment = self._event_time(event, received)
        unique_id = event.unique_id if event.unique_id is not None else moment.isoformat()
        key = (profile.id, event.metric, unique_id)
        profile.last_event_date = iso(received)
        if key in self._event_keys:
            self._repeated_events += 1
            return False  # "only the first processed event will be recorded" (spec)
        self._event_keys.add(key)
        self._events.append(
            Event(
                id=new_id(),
                metric=event.metric,
                profile_id=profile.id,
                properties=dict(event.properties),
                time=moment.isoformat(),
                unique_id=unique_id,
                value=event.value,
                value_currency=event.value_currency,
                received=iso(received),
                operation=operation,
                metric_id=metric_id or self._metric(event.metric).id,
            )
        )
        return True

    def record_event(
        self, ref: ProfileRef, event: NewEvent, *, client: bool, operation: str = ""
    ) -> bool:
        """``POST /api/events`` / ``/client/events``: resolve or create the profile, update
        it, and store the event unless (profile, metric, unique_id) is already stored.
        Returns whether the event was stored."""
        with self._lock:
            received = utc_now()
            profile = self._touch(ref, client=client, pointer="/data/attributes/profile/data")
            return self._store_event(profile, event, received, operation)

    def _profile_key(self, ref: ProfileRef) -> tuple[str, ...]:
        """Which profile an entry names, before any profile is created: the existing one, or
        the first identifier given (two entries naming a new profile the same way match)."""
        if ref.id is not None:
            return ("id", ref.id)
        owners = self._owners(ref.attributes)
        if owners:
            return ("id", owners[0][1])
        for identifier in IDENTIFIERS:
            value = ref.attributes.get(identifier)
            if isinstance(value, str):
                return _key(identifier, value)
        return ("none",)

    def record_events(
        self, entries: Sequence[EventEntry], *, client: bool = False, operation: str = ""
    ) -> int:
        """``POST /api/event-bulk-create-jobs``: all or nothing. A unique_id repeated for the
        same profile and metric *within the request* fails the whole request (spec,
        bulk ``unique_id`` description; new-api.md §3.1); events already stored are dropped
        one by one as for a single create. Returns the number stored."""
        with self._lock:
            received = utc_now()
            seen: set[tuple[tuple[str, ...], str, str]] = set()
            for i, entry in enumerate(entries):
                self._resolve(entry.profile, f"/data/attributes/events-bulk-create/data/{i}")
                who = self._profile_key(entry.profile)
                for j, event in enumerate(entry.events):
                    moment = self._event_time(event, received)
                    unique_id = (
                        event.unique_id if event.unique_id is not None else moment.isoformat()
                    )
                    if (who, event.metric, unique_id) in seen:
                        raise Invalid(
                            f"unique_id {unique_id!r} is repeated for the same profile and "
                            f"metric {event.metric!r}; no events were processed.",
                            pointer=f"/data/attributes/events-bulk-create/data/{i}"
                            f"/attributes/events/data/{j}/attributes/unique_id",
                        )
                    seen.add((who, event.metric, unique_id))
            stored = 0
            for entry in entries:
                profile = self._touch(entry.profile, client=client, pointer="/data")
                for event in entry.events:
                    stored += self._store_event(profile, event, received, operation)
            return stored

    # --- metrics, segments, deletions ------------------------------------------------------

    def _metric(self, name: str, integration: str = "API", category: str = "API") -> Metric:
        """The metric of ``name`` from ``integration``, made at its first event. Events
        created through the API belong to the "API" integration (legacy ``track`` calls
        showed up under it too)."""
        key = (name, integration)
        found = self._metric_ids.get(key)
        if found is not None:
            return self._metrics[found]
        owner = self._integrations.setdefault(
            integration,
            {
                "object": "integration",
                "id": new_list_id(),
                "name": integration,
                "category": category,
            },
        )
        metric_id = new_list_id()
        while metric_id in self._metrics:
            metric_id = new_list_id()
        now = iso(utc_now())
        metric = Metric(metric_id, name, now, now, dict(owner))
        self._metrics[metric_id] = metric
        self._metric_ids[key] = metric_id
        return metric

    def add_metric(self, name: str, integration: str = "API", category: str = "API") -> str:
        """The id of the metric ``name`` of ``integration`` (made when missing): Klaviyo's own
        metrics ("Received Email", integration "Klaviyo") for a test to record events of."""
        with self._lock:
            return self._metric(name, integration, category).id

    @property
    def metrics(self) -> list[Metric]:
        """Every metric, in the order they were made (copies)."""
        with self._lock:
            return copy.deepcopy(list(self._metrics.values()))

    def metric(self, metric_id: str) -> Metric:
        """The metric (a copy); 404 for an unknown id."""
        with self._lock:
            found = self._metrics.get(metric_id)
            if found is None:
                raise NotFound(f"A metric with id {metric_id} does not exist.")
            return copy.deepcopy(found)

    def add_event(
        self,
        metric_id: str,
        profile_id: str,
        properties: Optional[Mapping[str, Any]] = None,
        *,
        time: Optional[datetime] = None,
        value: Optional[float] = None,
        unique_id: Optional[str] = None,
    ) -> bool:
        """Record an event of an existing metric for an existing profile, as Klaviyo records
        its own (a "Received Email" of a campaign); deduplicated like any event. Returns
        whether it was stored."""
        with self._lock:
            metric = self.metric(metric_id)
            profile = self._get(profile_id)
            event = NewEvent(metric.name, dict(properties or {}), time, value, None, unique_id)
            # The metric named, not the API's metric of the same name.
            return self._store_event(profile, event, utc_now(), "", metric_id)

    def events_where(self, predicate: Callable[[Event], bool]) -> list[Event]:
        """The events ``predicate`` accepts, oldest first (events are frozen: no copies)."""
        with self._lock:
            return [e for e in self._events if predicate(e)]

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
            now = iso(utc_now())
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
            now = iso(utc_now())
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
                owner = self._index.get(_key(identifier, value))
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
            deletion = Deletion(identifier, value, tuple(ids), iso(utc_now()))
            self._deletions.append(deletion)
            return deletion

    @property
    def deletions(self) -> list[Deletion]:
        """The deletion jobs processed, oldest first."""
        with self._lock:
            return list(self._deletions)

    # --- lists ---------------------------------------------------------------------------------

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
            record.updated = iso(utc_now())
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
            now = iso(utc_now())
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

    # --- consent -------------------------------------------------------------------------------

    def _find_or_create(self, profile_id: Optional[str], attributes: Mapping[str, Any]) -> Profile:
        ref = ProfileRef(profile_id, attributes)
        profile = self._resolve(ref, "/data")
        if profile is None:
            profile = self._new_profile()
        self._apply(profile, attributes, None, identifiers="fill")
        return profile

    def _item_profile(self, item: SubscriptionItem) -> Profile:
        attributes = {
            k: v for k, v in (("email", item.email), ("phone_number", item.phone_number)) if v
        }
        return self._find_or_create(item.id, attributes)

    def _grant(self, profile: Profile, channels: Sequence[str], list_id: Optional[str]) -> None:
        now = iso(utc_now())
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
        profile.suppressions.append(Suppression(reason, iso(utc_now()), list_id))
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
                    record.members.setdefault(profile.id, iso(utc_now()))

    def unsubscribe(self, list_id: Optional[str], items: Sequence[SubscriptionItem]) -> None:
        """``POST /api/profile-subscription-bulk-delete-jobs``. A member of the given list is
        removed from it and gets a list-scoped UNSUBSCRIBE; anyone else is unsubscribed
        GLOBALLY: consent UNSUBSCRIBED and a global UNSUBSCRIBE suppression. That is the
        spec's warning ("Profiles not in the specified list will be globally unsubscribed")."""
        with self._lock:
            record = self._list(list_id, "/data/relationships/list/data/id") if list_id else None
            now = iso(utc_now())
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

    # --- jobs ----------------------------------------------------------------------------------

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
            started = iso(utc_now())
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
            finished = iso(utc_now())
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
