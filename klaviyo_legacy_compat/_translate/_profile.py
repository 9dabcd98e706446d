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

_LEGACY_KEYS = frozenset(key for _, keys in PROFILE_KEYS for key in keys)


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
    found: dict[str, Any] = {}
    for attribute, keys in PROFILE_KEYS:
        present = [key for key in keys if source.get(key) not in (None, "")]
        if not present:
            continue
        chosen = present[0]
        check: Callable[[Any, str], Any] = _CHECKS.get(attribute, as_text)
        value = check(source[chosen], f"{field}.{chosen}")
        if attribute == "phone_number" and as_phone(source[chosen], chosen)[1]:
            notices.append(f"{field}.{chosen}: spaces and punctuation removed to make it E.164")
        for other in present[1:]:
            other_value = check(source[other], f"{field}.{other}")
            if not _same(attribute, value, other_value):
                notices.append(
                    f"{field}: {chosen} and {other} differ; {chosen} is used and {other} is dropped"
                )
        found[attribute] = value
    if ip:
        found["location.ip"] = as_text(ip, "ip")
    properties = {}
    for key, value in source.items():
        if not isinstance(key, str):
            raise TranslationError(f"{field}[{key!r}]", "property names must be strings")
        if key not in _LEGACY_KEYS and key not in exclude and value is not None:
            properties[key] = json_safe(value, f"{field}.{key}")
    location = {name[9:]: found.pop(name) for name in list(found) if name.startswith("location.")}
    return (
        ProfileAttributes(
            location=Location(**location) if location else None,
            properties=properties or None,
            **found,
        ),
        notices,
    )
