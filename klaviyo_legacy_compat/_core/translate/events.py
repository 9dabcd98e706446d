"""Legacy track → ``create_event`` (private key) or ``create_client_event`` (public key only).

Mapping (users-and-peers.md §4.2, spec ``EventCreateQueryV2``):

- ``event`` → ``metric.data.attributes.name`` (fewer than 128 characters);
- ``customer_properties`` → ``profile.data.attributes`` via ``PROFILE_KEYS``; top-level
  ``ip`` → ``location.ip``;
- ``properties`` → ``properties``; ``$event_id`` → ``unique_id`` and ``$value`` → ``value``,
  both also kept in ``properties``;
- ``time`` → ``time`` as ISO-8601 UTC; the call time when absent, so a retry keeps the
  event's identity (Klaviyo's default ``unique_id`` is the time to the second);
- ``__track_once__`` (set by ``track_once``) → a constant ``unique_id``: Klaviyo records only
  the first event per profile, metric and ``unique_id``, which is "once per person";
- no ``$event_id``: a ``unique_id`` derived from the call (``derived_unique_id``), so that
  distinct events in one second are all kept and a retry is recorded once.

Legacy track answered ``1`` for "accepted for processing"; so does this (the new API's 202).
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any, Optional

import attrs

from klaviyo_legacy_compat._core.bodies import (
    Document,
    EventAttributes,
    MetricAttributes,
    ProfileAttributes,
    Resource,
)
from klaviyo_legacy_compat._core.calls import TrackCall
from klaviyo_legacy_compat._core.config import Options
from klaviyo_legacy_compat._core.convert import encode_json, unstructure
from klaviyo_legacy_compat._core.errors import MissingIdentifierError, TranslationError
from klaviyo_legacy_compat._core.flow import Flow, Notice, notice, notices, send
from klaviyo_legacy_compat._core.legacy_keys import (
    EVENT_KEYS,
    LIMITS,
    TRACK_ONCE_KEY,
    TRACK_ONCE_UNIQUE_ID,
)
from klaviyo_legacy_compat._core.leniency import INVALID_IDENTIFIER_PROPERTY, normalised, permits
from klaviyo_legacy_compat._core.translate._jsonapi import planned
from klaviyo_legacy_compat._core.translate._profile import split_profile
from klaviyo_legacy_compat._core.values import as_money, as_text, iso_utc, json_safe_sized

__all__ = ["derived_unique_id", "plan_track"]

IDENTIFY_RULE = "must identify the profile by $email, $phone_number, $id or $exchange_id"


def _event_fields(
    properties: dict[str, Any], options: Options
) -> tuple[dict[str, Any], list[Notice]]:
    """``$event_id`` → ``unique_id``, ``$value`` → ``value`` (``EVENT_KEYS``), and the
    notices of the leniency policy: a ``$value`` given as text is read as a number
    (``value_text``, ``value_formatted``); one that is no number is not sent as ``value``
    and stays in ``properties`` (``value_unreadable``)."""
    out: dict[str, Any] = {}
    found: list[Notice] = []
    for legacy, attribute in EVENT_KEYS.items():
        value = properties.get(legacy)
        if value in (None, ""):
            continue
        field = f"properties.{legacy}"
        if attribute != "value":
            out[attribute] = as_text(value, field)
            continue
        try:
            number, kind = as_money(value, field)
        except TranslationError:
            if not permits(options.strict, "value_unreadable"):
                raise
            detail = f"{value!r} is no number: no value is sent, {legacy} stays a property"
            found.append(normalised("value_unreadable", field, detail))
            continue
        if kind is not None:
            if not permits(options.strict, kind):
                raise TranslationError(field, f"must be a number, got {value!r}")
            found.append(normalised(kind, field, f"{value!r} read as {number}"))
        out[attribute] = number
    return out, found


def _anonymous(profile: ProfileAttributes) -> Optional[tuple[ProfileAttributes, Notice]]:
    """An event whose identifiers were all invalid (kept as custom properties by
    ``split_profile``) is sent for an anonymous profile named after the first of them, so
    the event is not lost (``anonymous_profile``); ``None`` when nothing was kept."""
    kept = profile.properties or {}
    for attribute, name in INVALID_IDENTIFIER_PROPERTY.items():
        if name in kept:
            anonymous = f"legacy-{attribute}:{kept[name]}"
            notice_ = normalised(
                "anonymous_profile",
                "customer_properties",
                f"no valid identifier: the event is sent for the anonymous profile {anonymous!r}",
            )
            return attrs.evolve(profile, anonymous_id=anonymous), notice_
    return None


def derived_unique_id(
    metric: str, profile: ProfileAttributes, properties: dict[str, Any], time: str
) -> str:
    """A ``unique_id`` for an event that has no ``$event_id``: a digest of the metric, the
    profile's identifiers, the properties and the time (to the microsecond when the call
    time was stamped).

    Klaviyo's default ``unique_id`` is the time to the second, so two different events of
    one profile and metric in the same second keep only the first (node-klaviyo#14,
    walkerOS#709). The digest keeps both, and a retried call, whose inputs are the same,
    is still recorded once.
    """
    material = json.dumps(
        [
            metric,
            [profile.email, profile.phone_number, profile.external_id, profile.kx]
            # Only when set, so the ids of every other event stay what they were.
            + ([profile.anonymous_id] if profile.anonymous_id else []),
            properties,
            time,
        ],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return "lc-" + hashlib.blake2b(material.encode(), digest_size=16).hexdigest()


def _check_payload_size(body: Any) -> None:
    size = len(encode_json(body))  # what the transport sends, and what the cap measures
    if size > LIMITS["event_payload_bytes"]:
        raise TranslationError(
            "properties", f"the event payload may be at most 5 MB, this one is {size} bytes"
        )


def plan_track(call: TrackCall, *, server_side: bool, options: Options) -> Flow[int]:
    """The flow of one legacy track call; returns the legacy ``1``."""
    if call.is_test:
        if options.test_calls == "skip":
            yield from notice(
                "is_test=True: the new API has no test mode, so this event is not sent "
                "(option test_calls='send' sends it as a real event)"
            )
            return 1
        yield from notice("is_test=True: the new API has no test mode; sent as a real event")
    if len(call.event) > LIMITS["metric_name_chars"]:
        raise TranslationError(
            "event",
            f"the metric name must be shorter than {LIMITS['metric_name_chars'] + 1} characters",
        )
    profile, profile_notices = split_profile(
        call.customer_properties, "customer_properties", options=options, ip=call.ip
    )
    if not profile.has_identifier:
        anonymous = _anonymous(profile)
        if anonymous is None:
            raise MissingIdentifierError("customer_properties", IDENTIFY_RULE)
        profile = anonymous[0]
        profile_notices.append(anonymous[1])
    properties, estimate = json_safe_sized(dict(call.properties), "properties")
    if len(properties) > LIMITS["event_properties"]:
        raise TranslationError(
            "properties", f"an event may carry at most {LIMITS['event_properties']} properties"
        )
    fields, value_notices = _event_fields(properties, options)
    unique_id: Optional[str] = fields.get("unique_id")
    time = iso_utc(call.time)
    if properties.get(TRACK_ONCE_KEY):
        if unique_id is None:
            unique_id = TRACK_ONCE_UNIQUE_ID
            yield from notice(
                "track_once: emulated with a constant unique_id, so Klaviyo records this metric "
                "once per profile from now on; events tracked before the migration are not counted"
            )
        else:
            yield from notice(
                "track_once: $event_id is set, so Klaviyo dedupes on it and not once per profile"
            )
    if unique_id is None and options.derive_unique_id:
        unique_id = derived_unique_id(call.event, profile, properties, time)
    yield from notices(call.notes)
    for key in call.ignored_keys:
        yield from notice(f"payload key {key!r} has no meaning in a track call and is ignored")
    yield from notices(profile_notices)
    yield from notices(value_notices)
    body = unstructure(
        Document(
            Resource(
                "event",
                attributes=EventAttributes(
                    properties=properties,
                    metric=Document(Resource("metric", attributes=MetricAttributes(call.event))),
                    profile=Document(Resource("profile", attributes=profile)),
                    time=time,
                    value=fields.get("value"),
                    unique_id=unique_id,
                ),
            )
        )
    )
    # Encoding just to measure is skipped when even the worst case is far below the limit;
    # the profile block is under 100 KB by the string limits (spec: 5 MB for the payload).
    if estimate + 200_000 > LIMITS["event_payload_bytes"]:
        _check_payload_size(body)
    if not server_side:
        yield from notice(
            "only a public key is available: sent to POST /client/events, which never changes "
            "the identifiers of an existing profile",
            logging.INFO,
        )
    yield from send(planned("create_event" if server_side else "create_client_event", json=body))
    return 1
