"""The legacy → new key tables. Data only: one place for each rule (aesthetics §3).

Sources: users-and-peers.md §4.2 (special property map), legacy-surface.md E.2/E.3 (the
``email``/``id`` keys without ``$`` that ``klaviyo`` 3.x injected), the v1-2 track and
identify references (special fields), and the spec's profile and event schemas.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Optional

__all__ = [
    "CONSENT_RULES",
    "EVENT_KEYS",
    "IDENTIFIER_KINDS",
    "LIMITS",
    "PROFILE_KEYS",
    "SUBSCRIBE_CONSENT_KEYS",
    "TRACK_ONCE_KEY",
    "TRACK_ONCE_UNIQUE_ID",
]

#: New profile attribute (dotted for ``location.*``) → the legacy keys that feed it, highest
#: priority first. ``$email`` is the documented key; ``email`` is what ``klaviyo`` 3.x
#: injected from its ``email=`` argument, so both are honoured and ``$email`` wins when they
#: differ (with a warning). Every legacy key not listed here — ``$consent``, ``$source``,
#: any other ``$``-key, custom keys — goes to the profile's ``properties`` unchanged.
PROFILE_KEYS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("email", ("$email", "email")),
    ("phone_number", ("$phone_number", "phone_number")),
    ("external_id", ("$id", "id")),
    ("kx", ("$exchange_id",)),
    ("first_name", ("$first_name",)),
    ("last_name", ("$last_name",)),
    ("organization", ("$organization",)),
    ("title", ("$title",)),
    ("image", ("$image",)),
    ("locale", ("$locale",)),
    ("location.address1", ("$address1",)),
    ("location.address2", ("$address2",)),
    ("location.city", ("$city",)),
    ("location.region", ("$region",)),
    ("location.country", ("$country",)),
    ("location.zip", ("$zip",)),
    ("location.latitude", ("$latitude",)),
    ("location.longitude", ("$longitude",)),
    ("location.timezone", ("$timezone",)),
)

#: Legacy identifier list (``emails=``, ``phone_numbers=``, ``push_tokens=`` of the v2 list
#: and unsubscribe calls) → (the new profile attribute, which is also its filter field; the
#: marketing channel under ``subscriptions`` that a consent check reads and an unsubscribe
#: job writes). Calls that take fewer kinds select rows of this table.
IDENTIFIER_KINDS: tuple[tuple[str, str, str], ...] = (
    ("emails", "email", "email"),
    ("phone_numbers", "phone_number", "sms"),
    ("push_tokens", "push_token", "mobile_push"),
)

#: Event property → event attribute. Both stay in ``properties`` too, because existing
#: segments and flows filter on them (users-and-peers.md §1.3, §1.4).
EVENT_KEYS: Mapping[str, str] = {
    "$event_id": "unique_id",
    "$value": "value",
}

#: ``track_once`` marks the event with this property (legacy-surface.md A.6).
TRACK_ONCE_KEY = "__track_once__"

#: The new API records only the first event per (profile, metric, unique_id) (spec
#: ``unique_id``). A constant ``unique_id`` therefore reproduces "once per person".
TRACK_ONCE_UNIQUE_ID = "__track_once__"

#: Keys of a v2 subscribe profile that express consent, not profile data.
SUBSCRIBE_CONSENT_KEYS = frozenset({"sms_consent", "$consent"})

#: Subscribe channel → (the identifier it needs, the legacy boolean flag that grants it,
#: whether a legacy subscribe granted it when nothing said otherwise). A ``$consent`` list
#: (``["email", "sms", ...]``) grants exactly the channels it names; an explicit flag wins
#: over it, so ``sms_consent: false`` never subscribes by accident. SMS needs a phone number
#: (a 400 otherwise: klaviyo-api-node#95). ``$consent`` entries ``web``, ``directmail`` and
#: ``mobile`` have no subscribe channel.
CONSENT_RULES: Mapping[str, tuple[str, Optional[str], bool]] = {
    "email": ("email", None, True),
    "sms": ("phone_number", "sms_consent", False),
}

#: Event data limits, checked before anything is sent.
#: Spec ``EventCreateQueryV2`` attributes: ≤ 400 properties, payload ≤ 5 MB, any string
#: ≤ 100 KB, metric name < 128 characters. Klaviyo's "data limits" page adds arrays of at
#: most 4000 items and nesting of at most 10 levels (users-and-peers.md §1.6). Caps stated
#: per operation (a profile upsert's 100 KB) live in the endpoint table instead.
LIMITS: Mapping[str, int] = {
    "event_properties": 400,
    "event_payload_bytes": 5 * 1024 * 1024,
    "string_bytes": 100 * 1024,
    "metric_name_chars": 127,
    "array_items": 4000,
    "nesting_depth": 10,
}
