"""The leniency policy: what legacy endpoints accepted that the new API refuses, as one table.

Legacy track and identify answered ``1`` to any payload they could decode, and the v1/v2
endpoints took values loosely; the new API answers 400 to much of what real code sent
(users-and-peers.md §1.6, §1.16). A call the legacy API accepted must not become an
exception or a lost event here, so every surface (the Python SDK classes, the module
functions, the ``requests`` adapter, the gateway and the CLI) applies this one policy:

- what is unambiguous is normalised;
- what cannot be normalised is kept (as a custom property, or in ``properties``), not
  dropped, and the call still goes out with what is valid;
- every normalisation is a plan warning and, live, a WARNING log (once per kind per
  process; later ones at DEBUG), never silence;
- ``strict=True`` (option, or ``KLAVIYO_LEGACY_COMPAT_STRICT=1``) refuses each row marked
  ``strict`` with the error it raised before this policy existed;
- what legacy itself refused (a profile with no identifier at all) is refused the legacy way.

:data:`LENIENCY` is the table; MIGRATION.md renders it. Code that normalises names its row
with :func:`normalised` and checks :func:`refuse_if_strict` first.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import attrs

from .flow import Notice

__all__ = [
    "INVALID_IDENTIFIER_PROPERTY",
    "LEGACY_TIME_PROPERTY",
    "LENIENCY",
    "Leniency",
    "normalised",
    "permits",
]


@attrs.frozen
class Leniency:
    """One row of the policy: what legacy code sent, what is sent instead, and whether
    ``strict=True`` refuses it (with the error it raised before)."""

    accepted: str
    done: str
    strict: bool = True


#: Where a value that cannot become a valid identifier is kept: a custom profile property,
#: so nothing the caller sent is lost and the profile can be found and mended later.
INVALID_IDENTIFIER_PROPERTY: Mapping[str, str] = {
    "email": "legacy_email",
    "phone_number": "legacy_phone_number",
}

#: Where an event time the new API refuses is kept (an event property).
LEGACY_TIME_PROPERTY = "legacy_time"

#: Every leniency, by kind. The text is what MIGRATION.md shows.
LENIENCY: Mapping[str, Leniency] = {
    "value_text": Leniency(
        '`$value` as numeric text (`"19.99"`)',
        "sent as the number 19.99",
        strict=False,
    ),
    "value_formatted": Leniency(
        '`$value` as formatted money (`"$1,234.50"`, `"1.234,50 €"`, `"USD 12"`)',
        "currency symbols and codes and thousands separators removed: 1234.5",
    ),
    "value_unreadable": Leniency(
        '`$value` that is no number (`"free"`)',
        "no `value` is sent; `$value` stays in the event's properties as given",
    ),
    "phone_punctuation": Leniency(
        "an E.164 number written with spaces, dashes, dots or brackets",
        "separators removed: `+14155550123`",
        strict=False,
    ),
    "phone_format": Leniency(
        "a phone number with `00`/`011` for `+`, a trunk prefix after the country code "
        "(`+44 (0)20 ...`), or a national number with the option `default_phone_region`",
        "written as E.164",
    ),
    "phone_invalid": Leniency(
        "a phone number that cannot be made E.164 (no country code and no "
        "`default_phone_region`, letters, an extension)",
        "kept as the custom profile property `legacy_phone_number`; the call is sent with "
        "the profile's valid identifiers",
    ),
    "email_format": Leniency(
        "an email address as `Ann <ann@example.com>` or `mailto:ann@example.com`",
        "the address alone",
    ),
    "email_invalid": Leniency(
        "an email address that is not one (`ann@example`, `n/a`)",
        "kept as the custom profile property `legacy_email`; the call is sent with the "
        "profile's valid identifiers",
    ),
    "anonymous_profile": Leniency(
        "an event whose only identifiers are invalid (see the two rows above)",
        "sent for an anonymous profile (`anonymous_id` `legacy-<identifier>:<value>`) that "
        "holds the invalid values as custom properties, so the event is not lost",
    ),
    "empty_list": Leniency(
        "`[]` where an object is expected (PHP's `json_encode` of an empty array: "
        "`properties`, `customer_properties`)",
        "an empty object",
    ),
    "single_profile": Leniency(
        "`profiles` as one profile object instead of a list of them (Klaviyo's own Magento 2 "
        "extension sent this to v2 subscribe)",
        "a list of that one profile",
    ),
    "flag_text": Leniency(
        '`sms_consent` as text or a number (`"true"`, `"yes"`, `1`)',
        "the boolean it spells",
    ),
    "consent_text": Leniency(
        '`$consent` as one comma-separated string (`"email,sms"`)',
        "the list of channels it names",
        strict=False,
    ),
    "base64_alphabet": Leniency(
        "a base64 `data=` in the URL-safe alphabet or without its `=` padding",
        "decoded",
        strict=False,
    ),
    "base64_whitespace": Leniency(
        "a base64 `data=` with line breaks or spaces (a `+` becomes a space in an unescaped "
        "query string)",
        "decoded (spaces read as `+`, line breaks dropped)",
    ),
    "time_milliseconds": Leniency(
        "`time` in milliseconds (13 digits)",
        "read as milliseconds",
    ),
    "time_out_of_range": Leniency(
        "`time` the new API refuses (before 1990, more than a year ahead, unreadable text)",
        "the event is sent at the call time; the given time stays in the event property "
        "`legacy_time`",
    ),
    "count_clamped": Leniency(
        "a `count` above the legacy maximum (metrics and templates 100, timelines 100, "
        "metric export 1000, campaign recipients 25000)",
        "the maximum",
    ),
    "export_window": Leniency(
        "a metric export without `start_date`/`end_date`",
        "the legacy default window: from one month before the day of the call to that day",
    ),
}


def normalised(kind: str, field: str, detail: str) -> Notice:
    """The notice of one normalisation of row ``kind`` (a plan warning; live, a WARNING log
    once per kind per process)."""
    if kind not in LENIENCY:  # pragma: no cover - a typo in a caller, caught by the tests
        raise KeyError(f"no leniency row {kind!r}")
    return Notice(f"{field}: {detail} [leniency: {kind}]", logging.WARNING, kind)


def permits(strict: bool, kind: str) -> bool:
    """Whether row ``kind`` may normalise: always, unless ``strict=True`` refuses the row (the
    caller then raises the error it raised before the policy existed)."""
    return not (strict and LENIENCY[kind].strict)
