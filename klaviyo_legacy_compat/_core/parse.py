"""One home for the parsers of legacy input: what a legacy parameter, path segment or
argument holds, checked and turned into the value a typed call carries.

Every way in reaches these: the builders of the typed calls (each resource module's
``ROUTES``, fed by :func:`klaviyo_legacy_compat._core.wire.legacy_params`, where a key given
once is a string and a repeated key a list), the client methods (``_calls``) and the
translators that re-read a token they handed out. Each parser accepts what both the wire
and a legacy SDK facade (Python values) send, and raises :class:`TranslationError` naming
the field and the rule before anything is sent (contract §5).

- parameters: :func:`single`, ids (:func:`parse_id`, :func:`parse_list_id`), text, flags,
  integers, the v1 ``page``/``count``, choices, dates and times, JSON text;
- lists: :func:`string_list`, :func:`joined_list`, the identifiers of a lookup
  (:data:`IDENTIFIER_CHECKS`, :func:`parse_identifiers`) and lists of profile objects;
- objects: :func:`mapping_or_empty`, :func:`legacy_object`;
- tokens: the ``marker``/``next``/``next_offset`` strings this library hands out in place of
  the legacy ones (:func:`encode_token`), read back by :func:`decode_token`.

Pure: no I/O, no clock.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timezone
from typing import Any, Callable, Optional, Union

from .errors import TranslationError
from .flow import Notice
from .legacy_keys import IDENTIFIER_KINDS
from .leniency import normalised, permits
from .values import as_email, as_identifier, as_phone, as_push_token

__all__ = [
    "IDENTIFIER_CHECKS",
    "LEGACY_TIME",
    "PAGE_LIMIT",
    "decode_token",
    "encode_token",
    "joined_list",
    "json_param",
    "legacy_object",
    "mapping_or_empty",
    "optional_email",
    "optional_id",
    "parse_choice",
    "parse_date",
    "parse_flag",
    "parse_id",
    "parse_identifiers",
    "parse_int",
    "parse_iso",
    "parse_list_id",
    "parse_moment",
    "parse_name",
    "parse_page",
    "parse_profiles",
    "parse_text",
    "parse_token",
    "parse_utc_time",
    "required",
    "single",
    "string_list",
    "unix_text",
]

#: How v1 wrote times (person, metric, campaign and template objects, exclusions, schedule's
#: ``send_time``).
LEGACY_TIME = "%Y-%m-%d %H:%M:%S"

#: The highest legacy ``page`` accepted. Reaching a page means walking every cursor page
#: before it, so a larger one is refused before anything is sent rather than walked.
PAGE_LIMIT = 10**6

_FRACTION = re.compile(r"\.(\d+)")
_INTEGER = re.compile(r"[-+]?\d+")
_UNIX = re.compile(r"\d+(\.\d*)?")
_FLAGS = {"true": True, "1": True, "false": False, "0": False}


# --- one value --------------------------------------------------------------------------------


def single(value: Any, field: str) -> Any:
    """A parameter given once. A repeated key (a list or tuple) of one value is unwrapped;
    an empty one is ``None``, as ``requests`` sent no key for an empty list; several values
    are refused rather than one of them picked."""
    if isinstance(value, (list, tuple)):
        if not value:
            return None
        if len(value) != 1:
            raise TranslationError(field, f"must be given once, got {len(value)} values")
        return value[0]
    return value


def required(params: Mapping[str, Any], field: str, rule: str) -> Any:
    """``params[field]``, or a :class:`TranslationError` naming it when it is missing or
    empty. The legacy server answered 400; defaulting it to "nothing" would instead report
    success having done nothing."""
    value = params.get(field)
    if value is None or (isinstance(value, (str, bytes)) and not value):
        raise TranslationError(field, rule)
    return value


def _segment(value: Any, field: str, noun: str) -> str:
    """``value`` as a URL path segment: a non-empty string without ``/``, stripped."""
    if not isinstance(value, str) or not value.strip() or "/" in value:
        raise TranslationError(field, f"must be a non-empty {noun} without '/', got {value!r}")
    return value.strip()


def parse_id(value: Any, field: str) -> str:
    """An id from a legacy path or parameter (``person_id``, ``campaign_id``, ...): a
    non-empty string, or an integer, that can stand in a URL path segment."""
    value = single(value, field)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    return _segment(value, field, "id")


def parse_list_id(value: Any, field: str = "list_id") -> str:
    """A list (or segment, group) id: a non-empty string that can stand in a URL path
    segment. Stricter than :func:`parse_id`, as the list calls always were: a number or a
    repeated key is refused, not converted."""
    return _segment(value, field, "list id")


def optional_id(value: Any, field: str) -> Optional[str]:
    """:func:`parse_id`, or ``None`` when absent or empty."""
    return None if single(value, field) in (None, "") else parse_id(value, field)


def parse_name(value: Any, field: str, rule: str = "must be a non-empty string") -> str:
    """A name that must be given (``list_name``, ``exchange_id``): a non-empty string,
    stripped; else ``rule`` is the error."""
    if not isinstance(value, str) or not value.strip():
        raise TranslationError(field, f"{rule}, got {value!r}")
    return value.strip()


def parse_text(value: Any, field: str, *, required: bool = False) -> Optional[str]:
    """A text parameter (a number is taken as its text); ``None`` when absent or empty,
    which ``required`` refuses."""
    value = single(value, field)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if value is not None and not isinstance(value, str):
        raise TranslationError(field, f"must be a string, got {type(value).__name__}")
    if not value:
        if required:
            raise TranslationError(field, "is required")
        return None
    return value


def optional_email(value: Any, field: str) -> Optional[str]:
    """An email address parameter, or ``None`` when absent or empty."""
    text = parse_text(value, field)
    return None if text is None else as_email(text, field)


def parse_flag(value: Any, field: str) -> Optional[bool]:
    """A boolean: ``True``/``False``, or the ``"True"``/``"False"`` (``"1"``/``"0"``) text of
    a query or form body; ``None`` when absent."""
    value = single(value, field)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    found = _FLAGS.get(str(value).strip().lower())
    if found is None:
        raise TranslationError(field, f"must be true or false, got {value!r}")
    return found


def parse_int(value: Any, field: str, default: int, low: int, high: Optional[int] = None) -> int:
    """An integer parameter (``"50"`` from a query, ``50`` from a facade) in ``[low, high]``
    (no upper bound when ``high`` is ``None``); absent means ``default``. A boolean or a
    float is refused, never rounded."""
    value = single(value, field)
    if value is None or value == "":
        return default
    rule = (
        f"must be an integer of at least {low}"
        if high is None
        else f"must be an integer between {low} and {high} (from {low} to {high} inclusive)"
    )
    if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        value = int(value.strip())
    if not isinstance(value, int) or isinstance(value, bool):
        raise TranslationError(field, f"{rule}, got {value!r}")
    if value < low or (high is not None and value > high):
        raise TranslationError(field, f"{rule}, got {value}")
    return value


def parse_page(params: Mapping[str, Any], *, default_count: int = 50) -> tuple[int, int]:
    """Legacy ``page`` (from 0, at most :data:`PAGE_LIMIT`) and ``count`` (from 1;
    ``default_count`` when absent). The v1 lists of metrics, campaigns and templates took 1
    to 100, 50 by default: a larger ``count`` is clamped by the translator (each resource
    module's ``COUNT_LIMITS``, leniency row ``count_clamped``)."""
    page = parse_int(params.get("page"), "page", 0, 0, PAGE_LIMIT)
    count = parse_int(params.get("count"), "count", default_count, 1)
    return page, count


def parse_choice(value: Any, field: str, allowed: Mapping[str, Any], default: str) -> str:
    """One of the keys of ``allowed``, case-insensitive (lower-cased); ``default`` when
    absent."""
    value = single(value, field)
    if value is None or value == "":
        return default
    if not isinstance(value, str) or value.lower() not in allowed:
        raise TranslationError(field, f"must be one of {', '.join(allowed)}, got {value!r}")
    return value.lower()


def json_param(value: Any, field: str, example: str) -> Any:
    """A parameter the legacy API took as JSON text (``$unset``, ``measurement``, ``where``):
    a string is parsed; a Python list or dict (what a legacy SDK facade passes before
    encoding) is taken as it is."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        raise TranslationError(
            field, f"must be JSON text such as {example}, got {value!r}"
        ) from None


# --- dates and times --------------------------------------------------------------------------


def parse_iso(text: str) -> datetime:
    """An ISO-8601 time of the new API as a ``datetime`` (naive when it has no offset);
    raises :class:`ValueError` for text that is not one.

    Python 3.9's ``fromisoformat`` reads neither a ``Z`` nor a fraction of other than 3 or 6
    digits, both of which Klaviyo writes; they are rewritten first (the fraction padded or
    cut to microseconds), so every supported Python reads the same times.
    """
    text = text.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    text = _FRACTION.sub(lambda m: "." + (m.group(1) + "000000")[:6], text, count=1)
    return datetime.fromisoformat(text)


def parse_moment(value: Any) -> Optional[datetime]:
    """A time of the new API (ISO-8601 text) as an aware datetime, ``None`` when ``value`` is
    not one (absent, a dry-run placeholder). The new API writes UTC: a time without an offset
    is read as UTC."""
    if not isinstance(value, str):
        return None
    try:
        moment = parse_iso(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def _legacy_utc(text: str) -> datetime:
    return datetime.strptime(text, LEGACY_TIME).replace(tzinfo=timezone.utc)


def parse_utc_time(value: Any, field: str) -> datetime:
    """A legacy time parameter (schedule's ``send_time``): ``'%Y-%m-%d %H:%M:%S'`` in UTC
    (legacy-surface.md B.7); an ISO-8601 text or a datetime is accepted too, naive meaning
    UTC as in the legacy call. An aware UTC datetime."""
    value = single(value, field)
    moment: Optional[datetime] = value if isinstance(value, datetime) else None
    if isinstance(value, str):
        text = value.strip()
        for reader in (_legacy_utc, parse_iso):
            try:
                moment = reader(text)
                break
            except ValueError:
                continue
    if moment is None:
        raise TranslationError(
            field, f"must be a UTC time such as '2024-06-01 09:30:00', got {value!r}"
        )
    if moment.tzinfo is None or moment.utcoffset() is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def unix_text(value: Any) -> Any:
    """Text of digits (unix seconds, as a query carried them) as its number; any other
    value unchanged, for the caller's own checks."""
    if isinstance(value, str) and _UNIX.fullmatch(value.strip()):
        return float(value)
    return value


def parse_date(value: Any, field: str) -> date:
    """A legacy date parameter: ``YYYY-MM-DD``, unix seconds ("can also accept a 10-digit
    UNIX timestamp", v1 export reference; the UTC day), or a ``date``/``datetime``."""
    value = single(value, field)
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    value = unix_text(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, tz=timezone.utc).date()
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise TranslationError(field, f"must be a date YYYY-MM-DD (or unix seconds), got {value!r}")


# --- lists --------------------------------------------------------------------------------------


def string_list(value: Any, field: str) -> tuple[str, ...]:
    """A list of strings; a single string counts as a list of one."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, Iterable) or isinstance(value, (bytes, Mapping)):
        raise TranslationError(field, f"must be a list of strings, got {type(value).__name__}")
    items = tuple(value)
    for index, item in enumerate(items):
        if not isinstance(item, str):
            raise TranslationError(
                f"{field}[{index}]", f"must be a string, got {type(item).__name__}"
            )
    return items


def joined_list(value: Any, field: str) -> list[str]:
    """A legacy list of strings given as a JSON list, a repeated query key, or one
    comma-joined string (v1 ``email=a,b``): blank parts are dropped."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if value is not None and not isinstance(value, (list, tuple)):
        raise TranslationError(field, f"must be a list of strings, got {type(value).__name__}")
    return list(string_list(value, field))


def _phone(value: Any, field: str) -> str:
    # Lookups and searches take a number with a country code; split_profile applies the
    # leniency policy itself.
    return as_phone(value, field).e164


#: Identifier attribute → how its value is checked. Every identifier a translator accepts
#: (profile keys, lookups, search, deletion, unsubscribe) is checked by this table; a call
#: that takes fewer identifiers selects its rows.
IDENTIFIER_CHECKS: Mapping[str, Callable[[Any, str], str]] = {
    "email": as_email,
    "phone_number": _phone,
    "external_id": as_identifier,
    "push_token": as_push_token,
}


def parse_identifiers(
    params: Mapping[str, Any], email_key: str = "emails"
) -> dict[str, tuple[str, ...]]:
    """The ``emails``/``phone_numbers``/``push_tokens`` of a membership lookup (each a
    :func:`joined_list`), every value checked, at least one given. ``email_key`` is where
    the emails are (``email`` for v1 segment members)."""
    out: dict[str, tuple[str, ...]] = {}
    for legacy, attribute, _ in IDENTIFIER_KINDS:
        key = email_key if legacy == "emails" else legacy
        checked = [
            IDENTIFIER_CHECKS[attribute](value, f"{key}[{index}]")
            for index, value in enumerate(joined_list(params.get(key), key))
        ]
        out[legacy] = tuple(checked)
    if not any(out.values()):
        raise TranslationError(
            email_key, "give at least one email, phone number or push token to look up"
        )
    return out


def parse_profiles(
    value: Any, check: Callable[[Any, str], object]
) -> Union[tuple[Mapping[str, Any], ...], Mapping[str, Any]]:
    """A legacy ``profiles`` parameter: a list of profile objects (or its JSON text), each
    passed to ``check`` with its field (``profiles[i]``); one object where legacy code sent
    one instead of a list is returned as it is (the translator applies the leniency policy
    to it)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise TranslationError("profiles", "must be a JSON list of profile objects") from None
    if isinstance(value, Mapping):
        check(value, "profiles[0]")
        return value
    if not isinstance(value, (list, tuple)):
        raise TranslationError("profiles", "is required: a list of profile objects")
    profiles = tuple(value)
    if not profiles:
        raise TranslationError("profiles", "must contain at least one profile")
    for index, profile in enumerate(profiles):
        check(profile, f"profiles[{index}]")
    return profiles


# --- objects ------------------------------------------------------------------------------------


def mapping_or_empty(value: Any, field: str) -> Mapping[str, Any]:
    """A legacy dict argument: ``None`` means empty (the legacy payloads allowed ``null``)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise TranslationError(field, f"must be an object (dict), got {type(value).__name__}")
    return value


def legacy_object(value: Any, field: str, strict: bool) -> tuple[Mapping[str, Any], list[Notice]]:
    """:func:`mapping_or_empty` with the leniency policy: ``[]`` (PHP's ``json_encode`` of an
    empty array) is an empty object (``empty_list``)."""
    if isinstance(value, (list, tuple)) and not value and permits(strict, "empty_list"):
        return {}, [normalised("empty_list", field, "[] read as an empty object {}")]
    return mapping_or_empty(value, field), []


# --- tokens -------------------------------------------------------------------------------------

_TOKEN_PREFIX = "lc"


def encode_token(kind: str, state: Mapping[str, Any]) -> str:
    """An opaque legacy pagination token (``marker``, ``next``, ``next_offset``) carrying the
    new-API cursor and whatever else the next call needs, tagged with its ``kind``."""
    raw = json.dumps({"k": kind, **state}, separators=(",", ":"), sort_keys=True).encode()
    return f"{_TOKEN_PREFIX}.{base64.urlsafe_b64encode(raw).decode().rstrip('=')}"


def decode_token(value: Any, kind: str, field: str) -> dict[str, Any]:
    """The state of a token from :func:`encode_token`; a :class:`TranslationError` names
    ``field`` when it is not one of ours for ``kind`` (legacy integer markers from before the
    migration cannot be resumed)."""
    text = str(value)
    prefix, _, encoded = text.partition(".")
    try:
        if prefix != _TOKEN_PREFIX:
            raise ValueError(text)
        state = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    except (ValueError, binascii.Error):
        raise TranslationError(
            field, f"must be a {field} this library handed out (start again without one)"
        ) from None
    if not isinstance(state, dict) or state.pop("k", None) != kind:
        raise TranslationError(field, f"is a token for another kind of listing, not {kind}")
    return state


def parse_token(value: Any, kind: str, field: str) -> Optional[str]:
    """A token handed out here (a ``marker``), checked now so a bad one fails before
    anything is sent; ``None`` when absent or empty (the first batch)."""
    if value is None or value == "":
        return None
    decode_token(value, kind, field)
    return str(value)
