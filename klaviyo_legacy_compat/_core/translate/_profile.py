"""The one splitter of legacy profile dicts: ``$``-keys to attributes, the rest to
``properties``, driven by ``PROFILE_KEYS`` (aesthetics §2: a table plus one pure function).

Also the identifier rules every translator shares, each written once: when two values name
the same profile (``identifier_key``), how many a lookup takes (``LOOKUP_SIZE``) and what
dry-run pretends an identifier lookup found (``dry_found_profiles``). How an identifier's
value is checked is the parsers' table (``_parse.IDENTIFIER_CHECKS``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any, Callable, Optional

from klaviyo_legacy_compat._core.bodies import Location, ProfileAttributes
from klaviyo_legacy_compat._core.config import Options
from klaviyo_legacy_compat._core.errors import TranslationError
from klaviyo_legacy_compat._core.flow import Notice
from klaviyo_legacy_compat._core.legacy_keys import PROFILE_KEYS
from klaviyo_legacy_compat._core.leniency import INVALID_IDENTIFIER_PROPERTY, normalised, permits
from klaviyo_legacy_compat._core.parse import IDENTIFIER_CHECKS
from klaviyo_legacy_compat._core.translate._jsonapi import placeholder
from klaviyo_legacy_compat._core.values import (
    as_coordinate,
    as_email,
    as_phone,
    as_text,
    email_within,
    json_safe,
)

__all__ = [
    "LOOKUP_SIZE",
    "PROFILES_RULE",
    "dry_found_profiles",
    "identifier_key",
    "missing_rule",
    "profile_list",
    "split_profile",
]


#: Identifiers per lookup and profiles per page: the ``page[size]`` maximum of the profile
#: collections (spec ``get_profiles``, ``get_profiles_for_list``, ``get_profiles_for_segment``:
#: 100; new-api.md §5). A filter of more values than a page holds could not be read in one
#: page, so every lookup of profiles by identifier, and every walk of them, takes this many.
LOOKUP_SIZE = 100

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
    options: Options,
    ip: Optional[str] = None,
    exclude: Collection[str] = (),
) -> tuple[ProfileAttributes, list[Notice]]:
    """Split a legacy profile dict into the new attribute block.

    Returns the attributes and the notices worth a warning (two spellings of one key that
    disagree, an identifier the leniency policy normalised or kept). Keys whose value is
    ``None`` or ``""`` are left out: the legacy API ignored them, and the new API would
    *clear* the field. ``exclude`` names keys consumed elsewhere (a subscribe's consent keys).

    Identifiers follow the leniency policy (``_leniency``): an email or phone number that
    can be written validly is (``phone_format``, ``email_format``); one that cannot is kept
    as the custom property ``INVALID_IDENTIFIER_PROPERTY[attribute]`` and left out of the
    identifiers (``phone_invalid``, ``email_invalid``), so the call goes out with the valid
    ones. Of two spellings (``$email`` and ``email``) the first valid one is used. Under
    ``options.strict`` each of those is refused as before.
    """
    notes: list[Notice] = []
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
        names = [key for _, key in keys]
        value = _first_valid(attribute, names, source, field, options, notes, properties)
        if value is None:
            continue
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
        notes,
    )


#: The rule a legacy ``profiles`` parameter breaks when it is no list of profile objects.
PROFILES_RULE = "must be a list (or any iterable) of profile objects"


def profile_list(value: Any, options: Options) -> tuple[Any, list[Notice]]:
    """A legacy ``profiles`` parameter: one profile object stands for a list of that one
    profile (leniency row ``single_profile``); anything else is returned as given, for the
    caller's own checks."""
    if not isinstance(value, Mapping):
        return value, []
    if not permits(options.strict, "single_profile"):
        raise TranslationError("profiles", PROFILES_RULE)
    note = normalised("single_profile", "profiles", "one profile object read as a list of one")
    return [value], [note]


def missing_rule(rule: str, found: Sequence[Notice]) -> str:
    """``rule`` for a profile without a usable identifier; where identifiers were given but
    could only be kept as properties (invalid), it says which: nothing can be sent for the
    profile then, and the caller must know why."""
    kept = [item.text for item in found if item.kind in _INVALID_KINDS.values()]
    if not kept:
        return rule
    return f"{rule}; the only ones given are invalid ({'; '.join(kept)})"


def _first_valid(
    attribute: str,
    names: Sequence[str],
    source: Mapping[str, Any],
    field: str,
    options: Options,
    notes: list[Notice],
    properties: dict[str, Any],
) -> Any:
    """The value of ``attribute`` from the first of its spellings ``names`` that is valid;
    the others are reported when they differ. ``None`` when no spelling is valid and the
    leniency policy kept the value as a custom property instead."""
    lenient = _LENIENT.get(attribute)
    chosen: Optional[tuple[str, Any]] = None
    failed: list[tuple[str, TranslationError]] = []
    for name in names:
        where = f"{field}.{name}"
        try:
            if lenient is None:
                check: Callable[[Any, str], Any] = _CHECKS.get(attribute, as_text)
                value, note = check(source[name], where), None
            else:
                value, note = lenient(source[name], where, options)
        except TranslationError as error:
            if options.strict or (lenient is None and chosen is None):
                raise  # as before the leniency policy: a bad spelling is refused
            failed.append((name, error))
            continue
        if chosen is None:
            chosen = (name, value)
            if note is not None:
                notes.append(note)
        elif identifier_key(attribute, value) != identifier_key(attribute, chosen[1]):
            notes.append(
                Notice(
                    f"{field}: {chosen[0]} and {name} differ; {chosen[0]} is used and {name} "
                    "is dropped"
                )
            )
    if chosen is not None:
        for name, refused in failed:
            notes.append(Notice(f"{refused}; {chosen[0]} is used and {name} is dropped"))
        return chosen[1]
    name, refusal = failed[0]
    kept = INVALID_IDENTIFIER_PROPERTY[attribute]
    properties[kept] = json_safe(source[name], f"{field}.{name}")
    notes.append(
        normalised(
            _INVALID_KINDS[attribute],
            f"{field}.{name}",
            f"{refusal.rule}: kept as the custom property {kept!r}, not as an identifier",
        )
    )
    return None


def _lenient_email(value: Any, field: str, options: Options) -> tuple[str, Optional[Notice]]:
    address = email_within(value)
    if address is not None and permits(options.strict, "email_format"):
        return address, normalised("email_format", field, f"{value!r} read as {address!r}")
    return as_email(value, field), None


def _lenient_phone(value: Any, field: str, options: Options) -> tuple[str, Optional[Notice]]:
    found = as_phone(value, field, options.default_phone_region)
    if found.change is None:
        return found.e164, None
    kind = _PHONE_KINDS.get(found.change, "phone_format")
    if not permits(options.strict, kind):
        # As before the policy: only separators were ever removed.
        raise TranslationError(
            field, f"must be an E.164 phone number such as +15005550006, got {value!r}"
        )
    return found.e164, normalised(
        kind, field, f"{value!r} written as {found.e164} ({found.change})"
    )


#: The identifiers the leniency policy normalises or keeps (``_leniency``); every other
#: attribute is checked by ``_CHECKS`` and refused when invalid.
_LENIENT: Mapping[str, Callable[[Any, str, Options], tuple[str, Optional[Notice]]]] = {
    "email": _lenient_email,
    "phone_number": _lenient_phone,
}

#: The leniency row of an identifier that cannot be made valid and is kept instead.
_INVALID_KINDS: Mapping[str, str] = {"email": "email_invalid", "phone_number": "phone_invalid"}

#: What ``_phone.to_e164`` did → its leniency row (any other change: ``phone_format``).
_PHONE_KINDS: Mapping[str, str] = {"spaces and punctuation removed": "phone_punctuation"}
