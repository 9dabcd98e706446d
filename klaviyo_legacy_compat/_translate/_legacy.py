"""Helpers the legacy v1/v2 resource translators share (``lists``, ``profiles``,
``metrics``, ``campaigns``, ``templates``, ``privacy``): one reading of legacy parameters,
one writing of legacy times and one legacy ``page``/``count`` answer, so that every legacy
endpoint reads and answers them alike.

Parameters arrive from :func:`klaviyo_legacy_compat._wire.legacy_params` (a key given once
is a string, a repeated key a list) or from a legacy SDK facade (Python values). The
parsers here accept both and raise :class:`TranslationError` before anything is sent.

Pure: no I/O, no clock.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any, Optional

from klaviyo_legacy_compat._errors import TranslationError
from klaviyo_legacy_compat._legacy_endpoint import EXAMPLE_KEY

__all__ = [
    "EXAMPLE_KEY",
    "LEGACY_TIME",
    "PAGE_LIMIT",
    "json_param",
    "legacy_page",
    "legacy_time",
    "parse_flag",
    "parse_id",
    "parse_int",
    "parse_iso",
    "parse_page",
    "parse_text",
    "single",
]


#: How v1 wrote times (person, metric, campaign and template objects, exclusions, schedule's
#: ``send_time``).
LEGACY_TIME = "%Y-%m-%d %H:%M:%S"

#: The highest legacy ``page`` accepted. Reaching a page means walking every cursor page
#: before it, so a larger one is refused before anything is sent rather than walked.
PAGE_LIMIT = 10**6

_FRACTION = re.compile(r"\.(\d+)")
_INTEGER = re.compile(r"[-+]?\d+")
_FLAGS = {"true": True, "1": True, "false": False, "0": False}


# --- times ------------------------------------------------------------------------------------


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


def legacy_time(value: Any, layout: str = LEGACY_TIME) -> Optional[str]:
    """A new-API ISO-8601 time as v1 wrote it: ``layout`` in UTC (``YYYY-MM-DD HH:MM:SS`` by
    default). ``None`` when there is no time (``None``, empty or not text); text that is not
    ISO-8601 (a dry-run placeholder, a form this parser does not know) is returned
    unchanged, never guessed."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = parse_iso(value)
    except ValueError:
        return value
    if moment.tzinfo is None:
        # The new API writes UTC; a time without an offset is read as UTC.
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime(layout)


# --- parameters -------------------------------------------------------------------------------


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


def parse_id(value: Any, field: str) -> str:
    """An id from a legacy path or parameter (``person_id``, ``list_id``, ...): a non-empty
    string, or an integer, that can stand in a URL path segment."""
    value = single(value, field)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip() or "/" in value:
        raise TranslationError(field, f"must be a non-empty id without '/', got {value!r}")
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


# --- answers ----------------------------------------------------------------------------------


def legacy_page(items: Sequence[Any], page: int, count: int, complete: bool) -> dict[str, Any]:
    """The legacy ``page``/``count`` answer cut from everything read: ``end`` is the index
    of the last item on the page (``start`` for an empty page), ``total`` ``None`` when the
    walk did not reach the end (never guessed)."""
    start = page * count
    data = list(items[start : start + count])
    return {
        "object": "$list",
        "page": page,
        "start": start,
        "end": start + len(data) - 1 if data else start,
        "page_size": count,
        "total": len(items) if complete else None,
        "data": data,
    }
