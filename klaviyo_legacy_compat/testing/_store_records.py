"""The vocabulary of the in-memory account behind
:class:`~klaviyo_legacy_compat.testing.LocalKlaviyo`: the records it keeps (profiles, events,
metrics, lists, segments, jobs), the parsed requests the operations hand it, the errors a
request is refused with (the store's, and the operations' :class:`NotImplementedHere`; each
mapped to a status by ``_protocol``), and how its ids and times are written.

Plain values only, shared by every layer of the store (``_store_profiles``,
``_store_events``, ``_store``, ``_store_messages``) and by the operations that read and
render them; no behaviour lives here.
"""

from __future__ import annotations

import secrets
import string
import time
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, Optional

import attrs

__all__ = [
    "IDENTIFIERS",
    "LOCATION_FIELDS",
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
    "NotImplementedHere",
    "Profile",
    "ProfileRef",
    "Segment",
    "StoreError",
    "SubscriptionItem",
    "Suppression",
    "index_key",
    "iso",
    "new_id",
    "new_list_id",
    "utc_now",
]

#: The attributes that identify a profile, in the order a profile is resolved by them (the
#: profile holding the first one found wins; new-api.md §3, "at least one identifier").
IDENTIFIERS: tuple[str, ...] = ("email", "phone_number", "external_id", "_kx", "anonymous_id")

#: The fields of a profile's ``location`` (spec ``ProfileLocation``).
LOCATION_FIELDS = frozenset(
    {
        "address1",
        "address2",
        "city",
        "country",
        "latitude",
        "longitude",
        "region",
        "zip",
        "timezone",
        "ip",
    }
)

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


def index_key(identifier: str, value: str) -> tuple[str, str]:
    """The key of ``identifier`` = ``value`` in a store's identifier index."""
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


class NotImplementedHere(StoreError):
    """A request the spec allows but this server does not implement yet (501), so a failing
    test points at LocalKlaviyo rather than at the request."""


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
