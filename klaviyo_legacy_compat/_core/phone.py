"""Phone numbers as legacy code wrote them → E.164, which the new API requires (pure).

The legacy API stored whatever it was given; the new one answers 400 to anything but E.164
(users-and-peers.md §1.16: Segment and Rudderstack added conversion for this). What is
unambiguous is converted:

- spaces, dashes, dots, brackets and slashes (``+1 (415) 555-0123``);
- the international call prefix ``00`` (and ``011`` inside the North American plan);
- a national trunk prefix written after the country code (``+44 (0)20 ...``, ``+49 0151 ...``);
- with ``default_phone_region`` (none by default): a national number of that region
  (``020 7946 0958`` in GB, ``(415) 555-0123`` in US), its trunk prefix dropped.

Anything else (no ``+`` and no region, letters, extensions, a national number of the wrong
length) is not guessed: :func:`to_e164` answers ``None`` and the caller decides (keep the
value as a custom property, or refuse it under ``strict=True``).

:data:`REGIONS` holds the regions whose numbering is simple enough to convert by rule:
country calling code (ITU-T E.164 assignments), national trunk prefix, and the length range
of national significant numbers. A region not in it is refused by the configuration rather
than converted wrongly.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Optional

import attrs

__all__ = ["E164", "REGIONS", "PhoneResult", "Region", "to_e164"]

#: E.164: a ``+``, a country code not starting with 0, at most 15 digits in all.
E164 = re.compile(r"\+[1-9]\d{1,14}")

_SEPARATORS = str.maketrans("", "", " -().\u00a0/\t")
# "+44 (0)20 7946 0958": the trunk prefix in brackets after the country code.
_BRACKETED_TRUNK = re.compile(r"^(\+\d{1,3})\s*\(0\)")
_WRITTEN = re.compile(r"[+\d\s\-().\u00a0/\t]+")


@attrs.frozen
class Region:
    """A numbering plan: country calling code, national trunk prefix (``None`` where national
    numbers keep every digit, as in Italy or Spain) and the lengths of national significant
    numbers."""

    code: str
    trunk: Optional[str]
    shortest: int
    longest: int


_NANP = Region("1", "1", 10, 10)
_NANP_REGIONS = (
    *("US", "CA", "PR", "VI", "GU", "AS", "MP", "BS", "BB", "AI", "AG", "VG", "KY"),
    *("BM", "GD", "TC", "MS", "SX", "LC", "DM", "VC", "DO", "TT", "KN", "JM"),
)

#: ISO 3166-1 alpha-2 region → numbering plan. Only regions whose national numbers convert by
#: these rules alone; others (Argentina's mobile ``15``, Lithuania's changing trunk prefix,
#: ...) are not listed rather than converted wrongly.
REGIONS: Mapping[str, Region] = {
    # The North American Numbering Plan: one country code, trunk prefix 1, ten digits.
    **dict.fromkeys(_NANP_REGIONS, _NANP),
    **dict.fromkeys(("GB", "GG", "JE", "IM"), Region("44", "0", 9, 10)),
    "IE": Region("353", "0", 7, 9),
    "DE": Region("49", "0", 5, 13),
    "AT": Region("43", "0", 4, 13),
    "CH": Region("41", "0", 9, 9),
    "LI": Region("423", None, 7, 7),
    "FR": Region("33", "0", 9, 9),
    "MC": Region("377", None, 8, 9),
    "BE": Region("32", "0", 8, 9),
    "NL": Region("31", "0", 9, 9),
    "LU": Region("352", None, 4, 11),
    "ES": Region("34", None, 9, 9),
    "PT": Region("351", None, 9, 9),
    "IT": Region("39", None, 6, 11),
    "SM": Region("378", None, 6, 10),
    "DK": Region("45", None, 8, 8),
    "NO": Region("47", None, 8, 8),
    "SE": Region("46", "0", 7, 9),
    "FI": Region("358", "0", 5, 12),
    "IS": Region("354", None, 7, 7),
    "PL": Region("48", None, 9, 9),
    "CZ": Region("420", None, 9, 9),
    "SK": Region("421", "0", 9, 9),
    "HU": Region("36", "06", 8, 9),
    "RO": Region("40", "0", 9, 9),
    "BG": Region("359", "0", 8, 9),
    "GR": Region("30", None, 10, 10),
    "HR": Region("385", "0", 8, 9),
    "SI": Region("386", "0", 8, 8),
    "EE": Region("372", None, 7, 8),
    "LV": Region("371", None, 8, 8),
    "CY": Region("357", None, 8, 8),
    "MT": Region("356", None, 8, 8),
    "AU": Region("61", "0", 9, 9),
    "NZ": Region("64", "0", 8, 10),
    "IN": Region("91", "0", 10, 10),
    "JP": Region("81", "0", 9, 10),
    "KR": Region("82", "0", 8, 10),
    "CN": Region("86", "0", 10, 11),
    "HK": Region("852", None, 8, 8),
    "SG": Region("65", None, 8, 8),
    "MY": Region("60", "0", 9, 10),
    "TH": Region("66", "0", 8, 9),
    "PH": Region("63", "0", 10, 10),
    "ID": Region("62", "0", 9, 12),
    "VN": Region("84", "0", 9, 10),
    "TW": Region("886", "0", 8, 9),
    "IL": Region("972", "0", 8, 9),
    "AE": Region("971", "0", 8, 9),
    "SA": Region("966", "0", 9, 9),
    "TR": Region("90", "0", 10, 10),
    "ZA": Region("27", "0", 9, 9),
    "MX": Region("52", None, 10, 10),
    "BR": Region("55", "0", 10, 11),
    "CL": Region("56", None, 9, 9),
    "CO": Region("57", None, 10, 10),
    "RU": Region("7", "8", 10, 10),
    "KZ": Region("7", "8", 10, 10),
    "UA": Region("380", "0", 9, 9),
}

#: Country code → numbering plan, for a trunk prefix written after a ``+`` code. Codes that
#: several listed regions share have one plan (the NANP; 7 for Russia and Kazakhstan; 44).
_BY_CODE: dict[str, Region] = {region.code: region for region in REGIONS.values()}


@attrs.frozen
class PhoneResult:
    """A number in E.164, and what was done to it (``None``: it was E.164 as written)."""

    e164: str
    change: Optional[str] = None


def _drop_trunk_after_code(number: str) -> Optional[str]:
    """``+<code>0...`` → ``+<code>...`` where the listed plan of ``<code>`` has a trunk prefix
    starting with 0 (which no national number after the code does) and the rest is a national
    number of its length with that prefix."""
    for length in (3, 2, 1):
        region = _BY_CODE.get(number[1 : 1 + length])
        if region is None or region.trunk is None:
            continue
        if not region.trunk.startswith("0"):
            # A trunk prefix of other digits (NANP 1, Russia 8) can also begin a national
            # number after the code (+7 800 ...): not unambiguous, never dropped.
            return None
        rest = number[1 + length :]
        if rest.startswith(region.trunk):
            national = rest[len(region.trunk) :]
            if region.shortest <= len(national) <= region.longest:
                return f"+{region.code}{national}"
        return None
    return None


def _national(digits: str, region: Region) -> Optional[str]:
    """A national number of ``region`` (trunk prefix optional) → E.164, or ``None``."""
    if region.trunk and digits.startswith(region.trunk):
        stripped = digits[len(region.trunk) :]
        if region.shortest <= len(stripped) <= region.longest:
            return f"+{region.code}{stripped}"
    if region.shortest <= len(digits) <= region.longest and not (
        region.trunk and digits.startswith(region.trunk)
    ):
        return f"+{region.code}{digits}"
    return None


def to_e164(text: str, region: Optional[str] = None) -> Optional[PhoneResult]:
    """``text`` as E.164 and what was done to it, or ``None`` where that would be a guess.

    ``region`` is an ISO 3166-1 alpha-2 code of :data:`REGIONS` for national numbers.
    """
    written = text.strip()
    if not written or not _WRITTEN.fullmatch(written):
        return None  # letters, "ext.", "#", ...: never guessed
    unbracketed = _BRACKETED_TRUNK.sub(r"\1", written)
    compact = unbracketed.translate(_SEPARATORS)
    if "+" in compact[1:]:
        return None
    plan = REGIONS.get(region) if region else None
    if compact.startswith("+"):
        number, change = compact, None
        dropped = _drop_trunk_after_code(number)
        if dropped is not None:
            number, change = dropped, "the trunk prefix after the country code removed"
        elif unbracketed != written:
            change = "the trunk prefix (0) after the country code removed"
    elif compact.startswith("00"):
        number, change = "+" + compact[2:], "the international prefix 00 written as +"
    elif plan is not None and plan.code == "1" and compact.startswith("011"):
        number, change = "+" + compact[3:], "the international prefix 011 written as +"
    elif plan is not None:
        converted = _national(compact, plan)
        if converted is None:
            return None
        number, change = converted, f"read as a national number of {region}"
    else:
        return None
    if not E164.fullmatch(number):
        return None
    if change is None and number != written:
        change = "spaces and punctuation removed"
    return PhoneResult(number, change)
