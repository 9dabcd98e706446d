"""Pure checks and conversions of legacy values. Each failure names the field and the rule.

Used by the translators before anything is sent (contract §5).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Optional, Union

from .errors import TranslationError
from .legacy_keys import LIMITS
from .phone import PhoneResult, to_e164

__all__ = [
    "as_coordinate",
    "as_email",
    "as_flag_text",
    "as_identifier",
    "as_money",
    "as_number",
    "as_phone",
    "as_push_token",
    "as_text",
    "as_time",
    "email_within",
    "iso_utc",
    "json_safe",
    "json_safe_sized",
]

# Deliberately permissive: a local part and a dotted domain, no spaces, at most one "@".
# "+" tags and non-ASCII (internationalised) addresses are valid and must pass
# (users-and-peers.md §1.12: "+" broke lookups elsewhere, so never reject or mangle it).
# The specials RFC 5322 allows only inside quotes (``<>()[]:;,``) are refused: they mark a
# display form (``Ann <ann@example.com>``) or a link (``mailto:``), not an address, which
# Klaviyo would refuse (the leniency policy reads the address inside them).
_EMAIL = re.compile(r"[^@\s<>()\[\]:;,]+@[^@\s.<>()\[\]:;,]+(\.[^@\s.<>()\[\]:;,]+)+")
_NAMED_ADDRESS = re.compile(r"[^<>]*<([^<>]+)>")
_CURRENCY_CODE = re.compile(r"^[A-Z]{3}\s*|\s*[A-Z]{3}$")
_AMOUNT = re.compile(r"\d[\d,.]*")

#: Spec: event time "must be after the year 1990 and can only be up to 1 year in the future".
EARLIEST_EVENT_TIME = datetime(1990, 1, 1, tzinfo=timezone.utc)
LATEST_EVENT_AHEAD = timedelta(days=365)


def as_text(value: Any, field: str) -> str:
    """A string attribute; numbers are accepted and written out (``$zip: 10017``)."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return str(value)
    raise TranslationError(field, f"must be a string, got {type(value).__name__}")


def as_identifier(value: Any, field: str) -> str:
    """``$id`` → ``external_id``: a string, or an int written out (legacy tests pass 123)."""
    if isinstance(value, str) and value.strip():
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise TranslationError(field, f"must be a non-empty string or an integer, got {value!r}")


def as_email(value: Any, field: str) -> str:
    """An email address, unchanged (no case folding: Klaviyo matches case-insensitively)."""
    if not isinstance(value, str):
        raise TranslationError(
            field, f"must be an email address string, got {type(value).__name__}"
        )
    text = value.strip()
    if len(text) > 254 or not _EMAIL.fullmatch(text):
        raise TranslationError(field, f"must be a valid email address, got {value!r}")
    return text


def email_within(value: Any) -> Optional[str]:
    """The address inside ``Ann <ann@example.com>`` or ``mailto:ann@example.com`` (forms an
    address field of a mail program or an HTML link hands over), else ``None``."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    named = _NAMED_ADDRESS.fullmatch(text)
    if named:
        text = named.group(1).strip()
    elif text[:7].lower() == "mailto:":
        text = text[7:].split("?", 1)[0].strip()
    else:
        return None
    return text if len(text) <= 254 and _EMAIL.fullmatch(text) else None


def as_phone(value: Any, field: str, region: Optional[str] = None) -> PhoneResult:
    """An E.164 phone number, and what was done to make it one (``_phone.to_e164``: spaces
    and punctuation, ``00`` for ``+``, a trunk prefix after the country code, a national
    number of ``region``).

    The new API rejects anything else with a 400 (users-and-peers.md §1.16); what cannot be
    converted without a guess is refused here, and the caller decides whether to keep it.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise TranslationError(
            field, f"must be an E.164 phone number string, got {type(value).__name__}"
        )
    found = to_e164(value, region)
    if found is None:
        hint = "" if region else " (option default_phone_region reads national numbers)"
        raise TranslationError(
            field, f"must be an E.164 phone number such as +15005550006, got {value!r}{hint}"
        )
    return found


#: Text and numbers that spell a boolean in legacy payloads (form posts, PHP).
FLAG_WORDS = {
    "true": True,
    "yes": True,
    "on": True,
    "1": True,
    "false": False,
    "no": False,
    "off": False,
    "0": False,
}


def as_flag_text(value: Any) -> Optional[bool]:
    """The boolean a text or number spells (``"true"``, ``"Yes"``, ``1``), else ``None``."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        return FLAG_WORDS.get(value.strip().lower())
    return None


def as_push_token(value: str, field: str) -> str:
    """A push token, trimmed. Its format is the vendor's (APNs, FCM), so only a blank one
    is refused here."""
    if not value.strip():
        raise TranslationError(field, "must be a non-empty push token")
    return value.strip()


def as_number(value: Any, field: str) -> float:
    """A numeric value (``$value``): int, float, Decimal or a numeric string."""
    if isinstance(value, bool):
        raise TranslationError(field, "must be a number, got a boolean")
    if isinstance(value, (int, float, Decimal)):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            raise TranslationError(field, f"must be a number, got {value!r}") from None
    else:
        raise TranslationError(field, f"must be a number, got {type(value).__name__}")
    if not math.isfinite(number):
        raise TranslationError(field, f"must be a finite number, got {value!r}")
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


def as_money(value: Any, field: str) -> tuple[Union[int, float], Optional[str]]:
    """``$value``: a number, and the leniency row that read it when it was text
    (``value_text`` for ``"19.99"``, ``value_formatted`` for ``"$1,234.50"``); a
    :class:`TranslationError` for text that is no amount."""
    if not isinstance(value, str):
        return as_number(value, field), None
    try:
        return as_number(value, field), "value_text"
    except TranslationError:
        pass
    amount = _amount(value)
    if amount is None:
        raise TranslationError(field, f"must be a number, got {value!r}")
    return as_number(amount, field), "value_formatted"


def _amount(text: str) -> Optional[str]:
    """Formatted money as plain numeric text: currency symbols and ISO codes, spaces and
    apostrophes (``1'234.50``) removed; of ``,`` and ``.`` the last is the decimal mark when
    both appear, a mark repeated between groups of three digits groups thousands, and a lone
    mark before other than three digits is the decimal mark. ``None`` where the reading is
    not certain: a lone mark before exactly three digits (``1,234``) is thousands in one
    country and a decimal in another."""
    body = _CURRENCY_CODE.sub("", text.strip())
    body = "".join(c for c in body if unicodedata.category(c) != "Sc")
    body = body.replace("\u00a0", "").replace(" ", "").replace("'", "")
    sign = ""
    if body[:1] in "+-":
        sign, body = body[:1].replace("+", ""), body[1:]
    if not body or not _AMOUNT.fullmatch(body):
        return None
    marks = [c for c in body if c in ",."]
    if not marks:
        return sign + body
    last = max(body.rfind(","), body.rfind("."))
    whole, fraction = body[:last], body[last + 1 :]
    decimal = body[last]
    grouping = "," if decimal == "." else "."
    if decimal in whole:  # one mark, several times: thousands only ("1,234,567")
        whole, fraction, grouping = body, "", decimal
    elif len(marks) == 1 and len(fraction) == 3:
        return None  # "1,234" / "1.234": thousands in one country, decimals in another
    groups = whole.split(grouping)
    if len(groups) > 1 and (
        not 1 <= len(groups[0]) <= 3 or any(len(group) != 3 for group in groups[1:])
    ):
        return None
    digits = "".join(groups)
    if not digits.isdigit() or (fraction and not fraction.isdigit()):
        return None
    return sign + digits + (f".{fraction}" if fraction else "")


def as_coordinate(value: Any, field: str) -> Union[str, float]:
    """Latitude/longitude: the spec takes a string or a number."""
    if isinstance(value, str):
        as_number(value, field)
        return value
    return as_number(value, field)


def as_time(value: Any, field: str, *, naive: str, now: datetime) -> datetime:
    """A legacy timestamp as an aware UTC datetime.

    Accepts unix seconds (int, float or numeric string: the legacy "10-digit UNIX timestamp"),
    an ISO-8601 string, or a ``datetime``. A naive datetime is local time by default
    (``klaviyo`` 3.1.7 used ``time.mktime``), or UTC with ``naive="utc"``. The spec allows
    times after 1990 and at most one year ahead of ``now``.
    """
    moment: datetime
    if isinstance(value, bool):
        raise TranslationError(field, "must be unix seconds, an ISO-8601 string or a datetime")
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, (int, float, Decimal)):
        moment = _from_unix(float(value), field)
    elif isinstance(value, str):
        text = value.strip()
        try:
            moment = _from_unix(float(text), field)
        except ValueError:
            try:
                moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                raise TranslationError(
                    field, f"must be unix seconds, an ISO-8601 string or a datetime, got {value!r}"
                ) from None
    elif isinstance(value, date):
        raise TranslationError(field, "must be a datetime, not a date (add a time of day)")
    else:
        raise TranslationError(
            field,
            f"must be unix seconds, an ISO-8601 string or a datetime, got {type(value).__name__}",
        )
    if moment.tzinfo is None or moment.utcoffset() is None:
        # astimezone() on a naive datetime reads it as local time, exactly like mktime.
        moment = (
            moment.astimezone(timezone.utc)
            if naive == "local"
            else moment.replace(tzinfo=timezone.utc)
        )
    moment = moment.astimezone(timezone.utc)
    if moment < EARLIEST_EVENT_TIME:
        raise TranslationError(field, f"must be after 1990-01-01, got {iso_utc(moment)}")
    if moment > now + LATEST_EVENT_AHEAD:
        raise TranslationError(
            field, f"must be at most one year in the future, got {iso_utc(moment)}"
        )
    return moment


def _from_unix(seconds: float, field: str) -> datetime:
    if not math.isfinite(seconds):
        raise TranslationError(field, f"must be finite unix seconds, got {seconds!r}")
    # Milliseconds are a common mistake (13 digits); the legacy API took seconds only.
    if seconds > 1e11:
        raise TranslationError(
            field, f"must be unix seconds (10 digits), got {seconds!r}: milliseconds?"
        )
    if seconds < EARLIEST_EVENT_TIME.timestamp():
        # Checked before converting: far-past values overflow the platform's time_t.
        raise TranslationError(field, f"must be after 1990-01-01, got {seconds!r} unix seconds")
    return datetime.fromtimestamp(seconds, tz=timezone.utc)


def iso_utc(moment: datetime) -> str:
    """ISO-8601 with an explicit offset: ``2024-05-01T12:00:00+00:00`` (contract §1)."""
    return moment.astimezone(timezone.utc).isoformat()


def json_safe(value: Any, field: str) -> Any:
    """A JSON-ready copy of a custom property value, checked against the data limits.

    Dates become ISO-8601 strings and Decimals numbers (the legacy SDKs' ``json.dumps``
    would have refused both with a ``TypeError``); anything else that JSON cannot hold is
    refused with the path of the offending value.
    """
    return json_safe_sized(value, field)[0]


def json_safe_sized(value: Any, field: str) -> tuple[Any, int]:
    """:func:`json_safe`, plus an upper bound of the value's size as UTF-8 JSON in bytes.

    The bound (six bytes per character, the widest JSON escape) lets a caller skip encoding
    a payload just to learn that it is far below a size limit.
    """
    size = [0]
    return _safe(value, (field,), 0, size), size[0]


def _path(parts: tuple[Any, ...]) -> str:
    # Built only for an error message: field.key.key[index]...
    out = str(parts[0])
    for part in parts[1:]:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _safe(value: Any, parts: tuple[Any, ...], depth: int, size: list[int]) -> Any:
    if isinstance(value, str):
        size[0] += 6 * len(value) + 2
        if len(value) > _STRING_CHARS and len(value.encode()) > LIMITS["string_bytes"]:
            raise TranslationError(
                _path(parts), f"strings may be at most {LIMITS['string_bytes'] // 1024} KB"
            )
        return value
    if value is None or isinstance(value, (bool, int)):
        size[0] += 24
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise TranslationError(_path(parts), f"must be a finite number, got {value!r}")
        size[0] += 24
        return value
    if depth >= LIMITS["nesting_depth"]:
        raise TranslationError(
            _path(parts), f"nesting may be at most {LIMITS['nesting_depth']} levels deep"
        )
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TranslationError(f"{_path(parts)}[{key!r}]", "property names must be strings")
            size[0] += 6 * len(key) + 4
            out[key] = _safe(item, (*parts, key), depth + 1, size)
        return out
    if isinstance(value, (list, tuple)):
        if len(value) > LIMITS["array_items"]:
            raise TranslationError(
                _path(parts), f"arrays may hold at most {LIMITS['array_items']} items"
            )
        size[0] += 2 + len(value)
        return [_safe(item, (*parts, i), depth + 1, size) for i, item in enumerate(value)]
    if isinstance(value, datetime):
        size[0] += 40
        return iso_utc(value) if value.tzinfo else value.isoformat()
    if isinstance(value, date):
        size[0] += 14
        return value.isoformat()
    if isinstance(value, Decimal):
        size[0] += 24
        return as_number(value, _path(parts))
    raise TranslationError(
        _path(parts),
        f"must be JSON data (string, number, boolean, list, object), got {type(value).__name__}",
    )


# A string of at most this many characters cannot exceed the byte limit (4 bytes per char).
_STRING_CHARS = LIMITS["string_bytes"] // 4
