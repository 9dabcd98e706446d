"""Helpers the legacy v1/v2 resource translators share (``lists``, ``profiles``,
``metrics``, ``campaigns``, ``templates``, ``privacy``): one writing of legacy times and one
legacy ``page``/``count`` answer, so that every legacy endpoint answers them alike. The
legacy parameters are read by :mod:`klaviyo_legacy_compat._core.parse`.

Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timezone
from typing import Any, Optional

from klaviyo_legacy_compat._core.parse import LEGACY_TIME, parse_moment

__all__ = ["V2_TIME", "legacy_page", "legacy_time"]

#: How the v2 membership and exclusion records wrote times (``"2018-07-03T13:44:38Z"``).
V2_TIME = "%Y-%m-%dT%H:%M:%SZ"


# --- times ------------------------------------------------------------------------------------


def legacy_time(value: Any, layout: str = LEGACY_TIME) -> Optional[str]:
    """A new-API ISO-8601 time as v1 wrote it: ``layout`` in UTC (``YYYY-MM-DD HH:MM:SS`` by
    default). ``None`` when there is no time (``None``, empty or not text); text that is not
    ISO-8601 (a dry-run placeholder, a form this parser does not know) is returned
    unchanged, never guessed."""
    if not isinstance(value, str) or not value:
        return None
    moment = parse_moment(value)
    if moment is None:
        return value
    return moment.astimezone(timezone.utc).strftime(layout)


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
