"""Cursor walking, shared by every translator that reads.

The new API pages with opaque cursors (``links.next``, new-api.md §5); the legacy APIs paged
four other ways (legacy-surface.md A.7): ``marker``, ``since``/``next``, ``page``/``count``
with a ``total``, and ``offset``/``next_offset``. Translators emulate them with
:func:`walk` and hand out tokens (``_parse.encode_token``, read back by
``_parse.decode_token``) where the legacy API handed out its own markers, so a loop written
the legacy way (``while marker: ...``) ends and sees every record once.
"""

from __future__ import annotations

from typing import Any, Callable, Optional
from urllib.parse import parse_qs, urlsplit

import attrs

from klaviyo_legacy_compat._core.errors import TranslationError
from klaviyo_legacy_compat._core.flow import Flow, Reply, Step, send
from klaviyo_legacy_compat._core.models import PlannedRequest, RawResponse
from klaviyo_legacy_compat._core.parse import decode_token, encode_token
from klaviyo_legacy_compat._core.translate._jsonapi import dig, dry_reply, items_of

__all__ = [
    "EMPTY_PAGE",
    "MAX_PAGES",
    "Walk",
    "marker_batch",
    "next_cursor",
    "page",
    "resume_marker",
    "walk",
]

#: The most new-API pages one legacy call reads before it stops and says so: a legacy
#: ``total`` that would need more is reported as unknown (``None``), never guessed.
MAX_PAGES = 50

#: What dry-run answers a page request unless told otherwise: the last page, empty.
EMPTY_PAGE = dry_reply(200, {"data": [], "links": {}})


def next_cursor(body: Any) -> Optional[str]:
    """The ``page[cursor]`` of ``links.next``, or ``None`` on the last page (new-api.md §5:
    ``next`` is a full URL, absent or null on the last page)."""
    link = ((body or {}).get("links") or {}).get("next") if isinstance(body, dict) else None
    if not isinstance(link, str):
        return None
    values = parse_qs(urlsplit(link).query).get("page[cursor]")
    return values[0] if values else None


@attrs.frozen
class Walk:
    """What :func:`walk` read: the ``data`` items and ``included`` resources, the index of the
    last request sent (for ``depends_on``), whether the collection was read to its end, and
    the cursor of the next unread page (``None`` at the end)."""

    items: list[Any]
    included: list[Any]
    last_index: int
    complete: bool
    cursor: Optional[str]


def page(
    request: PlannedRequest,
    cursor: Optional[str],
    *,
    handles: frozenset[int] = frozenset(),
    dry: RawResponse = EMPTY_PAGE,
) -> Flow[Reply]:
    """Send one page request of a collection, from ``cursor`` (the first page when
    ``None``), and return its reply; ``handles`` and ``dry`` as in :class:`Step`."""
    if cursor is not None:
        request = attrs.evolve(request, params=(*request.params, ("page[cursor]", cursor)))
    return (yield from send(Step(request, handles=handles, dry_run_reply=dry)))


def walk(
    request: PlannedRequest,
    *,
    dry_data: Optional[list[Any]] = None,
    cursor: Optional[str] = None,
    max_pages: int = MAX_PAGES,
    enough: Optional[Callable[[list[Any]], bool]] = None,
) -> Flow[Walk]:
    """Read a collection page by page from ``cursor`` (the start when ``None``), following
    ``links.next``, until its end, ``max_pages`` pages, or until ``enough(items)`` is true.

    ``dry_data`` is the one page dry-run pretends to receive (empty by default).
    """
    dry = dry_reply(200, {"data": dry_data, "links": {}}) if dry_data else EMPTY_PAGE
    items: list[Any] = []
    included: list[Any] = []
    last = -1
    for _ in range(max_pages):
        reply = yield from page(request, cursor, dry=dry)
        last = reply.index
        body = reply.response.json()
        items.extend(items_of(body))
        extra = dig(body, "included")
        included.extend(extra if isinstance(extra, list) else [])
        cursor = next_cursor(body)
        if cursor is None:
            return Walk(items, included, last, True, None)
        if enough is not None and enough(items):
            break
    return Walk(items, included, last, False, cursor)


# --- legacy markers -----------------------------------------------------------------------------
# The v2 batch reads of a list or segment (list exclusions, group members) handed out a
# ``marker`` until the last batch: here it is a token carrying the new cursor and the id.


def resume_marker(marker: Optional[str], kind: str, group_id: str) -> Optional[dict[str, Any]]:
    """The state a ``marker`` of ``kind`` carries (``None`` for the first batch); a marker
    handed out for another list or segment than ``group_id`` is refused."""
    if marker is None:
        return None
    state = decode_token(marker, kind, "marker")
    if state.get("id") != group_id or not isinstance(state.get("c"), str):
        raise TranslationError(
            "marker", f"was handed out for another list or segment, not {group_id}"
        )
    return state


def marker_batch(
    records: list[dict[str, Any]], reply: Reply, kind: str, state: dict[str, Any]
) -> dict[str, Any]:
    """The legacy batch: ``records``, and a ``marker`` only while more pages remain."""
    out: dict[str, Any] = {"records": records}
    cursor = next_cursor(reply.response.json())
    if cursor is not None:
        out["marker"] = encode_token(kind, {**state, "c": cursor})
    return out
