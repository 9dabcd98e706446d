"""The one splitter of legacy profile dicts: ``$``-keys to attributes, the rest to
``properties``, driven by ``PROFILE_KEYS`` (aesthetics §2: a table plus one pure function)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, Callable, Optional

from klaviyo_legacy_compat._bodies import Location, ProfileAttributes
from klaviyo_legacy_compat._errors import TranslationError
from klaviyo_legacy_compat._legacy_keys import PROFILE_KEYS
from klaviyo_legacy_compat._values import (
    as_coordinate,
    as_email,
    as_identifier,
    as_phone,
    as_text,
    json_safe,
)

__all__ = ["split_profile"]


def _phone(value: Any, field: str) -> str:
    return as_phone(value, field)[0]


#: How each attribute's value is checked; every other attribute is text.
_CHECKS: dict[str, Callable[[Any, str], Any]] = {
    "email": as_email,
    "phone_number": _phone,
    "external_id": as_identifier,
    "location.latitude": as_coordinate,
    "location.longitude": as_coordinate,
}

#: Legacy key → (the attribute it feeds, its priority among that attribute's keys).
_BY_KEY: dict[str, tuple[str, int]] = {
    key: (attribute, rank) for attribute, keys in PROFILE_KEYS for rank, key in enumerate(keys)
}


def _same(attribute: str, a: Any, b: Any) -> bool:
    if attribute == "email" and isinstance(a, str) and isinstance(b, str):
        return a.casefold() == b.casefold()
    return bool(a == b)


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
            if not _same(attribute, value, check(source[other], f"{field}.{other}")):
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
