"""The one splitter of legacy profile dicts: ``$``-keys to attributes, the rest to
``properties``, driven by ``PROFILE_KEYS`` (aesthetics §2: a table plus one pure function).

Also the identifier rules every translator shares, each written once: how an identifier's
value is checked (``IDENTIFIER_CHECKS``), when two values name the same profile
(``identifier_key``), and what dry-run pretends an identifier lookup found
(``dry_found_profiles``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any, Callable, Optional

from klaviyo_legacy_compat._bodies import Location, ProfileAttributes
from klaviyo_legacy_compat._errors import TranslationError
from klaviyo_legacy_compat._legacy_keys import PROFILE_KEYS
from klaviyo_legacy_compat._translate._jsonapi import placeholder
from klaviyo_legacy_compat._values import (
    as_coordinate,
    as_email,
    as_identifier,
    as_phone,
    as_push_token,
    as_text,
    json_safe,
)

__all__ = ["IDENTIFIER_CHECKS", "dry_found_profiles", "identifier_key", "split_profile"]


def _phone(value: Any, field: str) -> str:
    # Callers that report the clean-up (split_profile) call as_phone themselves.
    return as_phone(value, field)[0]


#: Identifier attribute → how its value is checked. Every identifier a translator accepts
#: (profile keys, lookups, search, deletion, unsubscribe) is checked by this table; a call
#: that takes fewer identifiers selects its rows.
IDENTIFIER_CHECKS: Mapping[str, Callable[[Any, str], str]] = {
    "email": as_email,
    "phone_number": _phone,
    "external_id": as_identifier,
    "push_token": as_push_token,
}

#: How each profile attribute's value is checked; every other attribute is text. (No
#: ``PROFILE_KEYS`` row feeds ``push_token``, so that row is never used here.)
_CHECKS: Mapping[str, Callable[[Any, str], Any]] = {
    **IDENTIFIER_CHECKS,
    "location.latitude": as_coordinate,
    "location.longitude": as_coordinate,
}

#: Legacy key → (the attribute it feeds, its priority among that attribute's keys).
_BY_KEY: dict[str, tuple[str, int]] = {
    key: (attribute, rank) for attribute, keys in PROFILE_KEYS for rank, key in enumerate(keys)
}


def identifier_key(attribute: str, value: object) -> object:
    """What two values of ``attribute`` must share to name the same profile.

    Klaviyo matches email addresses case-insensitively, so an email is case-folded; every
    other value (phone numbers already E.164, ids, tokens) must match exactly. A value that
    is not a string is returned unchanged, so it never equals a string's key.
    """
    if attribute == "email" and isinstance(value, str):
        return value.casefold()
    return value


def dry_found_profiles(attribute: str, values: Sequence[str]) -> list[dict[str, Any]]:
    """The page dry-run pretends an identifier lookup returns: every value found, so the
    requests that depend on the lookup are shown too. A push token is not a profile
    attribute the lookups can return, so its profile carries no attributes."""
    return [
        {
            "type": "profile",
            "id": placeholder(f"profile id of {attribute} {value}"),
            "attributes": {} if attribute == "push_token" else {attribute: value},
        }
        for value in values
    ]


def split_profile(
    source: Mapping[str, Any],
    field: str,
    *,
    ip: Optional[str] = None,
    exclude: Collection[str] = (),
) -> tuple[ProfileAttributes, list[str]]:
    """Split a legacy profile dict into the new attribute block.

    Returns the attributes and the notices worth a warning (two spellings of one key that
    disagree, a phone number that needed cleaning). Keys whose value is ``None`` or ``""``
    are left out: the legacy API ignored them, and the new API would *clear* the field.
    ``exclude`` names keys consumed elsewhere (a subscribe's consent keys).
    """
    notices: list[str] = []
    spellings: dict[str, list[tuple[int, str]]] = {}
    properties: dict[str, Any] = {}
    for key, value in source.items():
        target = _BY_KEY.get(key)
        if target is not None:
            if value is not None and value != "":
                spellings.setdefault(target[0], []).append((target[1], key))
        elif not isinstance(key, str):
            raise TranslationError(f"{field}[{key!r}]", "property names must be strings")
        elif value is not None and key not in exclude:
            properties[key] = json_safe(value, f"{field}.{key}")
    found: dict[str, Any] = {}
    location: dict[str, Any] = {}
    for attribute, keys in spellings.items():
        keys.sort()
        chosen = keys[0][1]
        check: Callable[[Any, str], Any] = _CHECKS.get(attribute, as_text)
        value = check(source[chosen], f"{field}.{chosen}")
        if attribute == "phone_number" and value != str(source[chosen]):
            notices.append(f"{field}.{chosen}: spaces and punctuation removed to make it E.164")
        for _, other in keys[1:]:
            again = check(source[other], f"{field}.{other}")
            if identifier_key(attribute, value) != identifier_key(attribute, again):
                notices.append(
                    f"{field}: {chosen} and {other} differ; {chosen} is used and {other} is dropped"
                )
        if attribute.startswith("location."):
            location[attribute[9:]] = value
        else:
            found[attribute] = value
    if ip:
        location["ip"] = as_text(ip, "ip")
    return (
        ProfileAttributes(
            location=Location(**location) if location else None,
            properties=properties or None,
            **found,
        ),
        notices,
    )
