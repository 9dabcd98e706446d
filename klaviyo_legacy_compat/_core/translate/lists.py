"""Legacy Lists & Segments: the lists themselves (v2 lists, the v1 list of lists and
segments) → the new list and segment endpoints.

The endpoints are the records of :data:`ENDPOINTS` (each with its differences, from which
MIGRATION.md is generated); this is how they are translated.

Reading the lists walks ``GET /api/lists`` page after page (10 lists a page, new-api.md §5)
to the last → ``[{"list_id", "list_name"}]``. A create is ``POST /api/lists`` →
``{"list_id"}``; Klaviyo allows 150 new lists a day (spec ``create_list``), and a create is
not replayed after an ambiguous failure (``_retry.REPLAY_SAFE``), so a timeout may leave a
list behind. One list's information is ``GET /api/lists/{id}`` → ``{"list_id", "list_name",
"created", "updated", "opt_in_process"}`` (times as the new API gives them); the member count
is not read: ``additional-fields[list]=profile_count`` is limited to 1/s, 15/m (new-api.md
§6.3). A rename is ``PATCH /api/lists/{id}`` and a delete ``DELETE /api/lists/{id}``; both
answer the legacy ``""``.

The v1 list of lists, with ``page`` and ``count`` (still called by production code: shop
plug-ins keep the entries whose ``list_type`` is ``list``, data taps walk ``page`` while
``end < total - 1``), listed lists *and* segments, oldest first, as ``{"object": "list",
"id", "name", "list_type": "list" | "segment", "folder", "created", "updated",
"person_count"}``. It becomes ``GET /api/lists`` and ``GET /api/segments``, both sorted by
creation time (10 a page, their ``page[size]`` maximum), merged oldest first and cut into the
legacy page as the other v1 ``page``/``count`` lists are (``_legacy.legacy_page``; 50 by
default, at most 100): each walk goes to the end, at least as far as the requested page and
at most ``MAX_PAGES`` pages otherwise, so ``total`` is the true count or ``None`` (with a
notice). ``type=list`` (or ``segment``), which callers sent, reads that collection only.
``folder`` and ``person_count`` are left out, never invented: the new API has no folders, and
a list's ``profile_count`` is limited to 1 request a second.

The rest of the resource has its own modules, each with its own records: who is on a list or
segment, and removing members (:mod:`.membership`), adding members (:mod:`.members`) and
exclusions (:mod:`.exclusions`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Callable, Optional

import attrs

from klaviyo_legacy_compat._core.config import Options
from klaviyo_legacy_compat._core.documents import ListAttributes
from klaviyo_legacy_compat._core.endpoints import endpoint
from klaviyo_legacy_compat._core.errors import TranslationError
from klaviyo_legacy_compat._core.flow import Flow, Step, notice, send
from klaviyo_legacy_compat._core.legacy_endpoint import EXAMPLE_KEY, LegacyEndpoint
from klaviyo_legacy_compat._core.parse import parse_list_id, parse_name, parse_page, parse_text
from klaviyo_legacy_compat._core.translate._jsonapi import (
    attributes_of,
    dig,
    dry_reply,
    placeholder,
    planned,
    resource_body,
)
from klaviyo_legacy_compat._core.translate._legacy import legacy_page, legacy_time
from klaviyo_legacy_compat._core.translate._paging import MAX_PAGES, walk

__all__ = [
    "COUNT_LIMITS",
    "ENDPOINTS",
    "GROUPS_PER_PAGE",
    "TRANSLATORS",
    "ListCreateCall",
    "ListDeleteCall",
    "ListInfoCall",
    "ListUpdateCall",
    "ListsCall",
    "ListsPageCall",
    "plan_create_list",
    "plan_delete_list",
    "plan_get_list",
    "plan_get_lists",
    "plan_lists_page",
    "plan_update_list",
]


# --- calls --------------------------------------------------------------------------------


@attrs.frozen
class ListsCall:
    """``GET /v2/lists``: every list of the account."""


@attrs.frozen
class ListCreateCall:
    """``POST /v2/lists``."""

    list_name: str


@attrs.frozen
class ListInfoCall:
    """``GET /v2/list/{id}``."""

    list_id: str


@attrs.frozen
class ListUpdateCall:
    """``PUT /v2/list/{id}``: rename the list."""

    list_id: str
    list_name: str


@attrs.frozen
class ListDeleteCall:
    """``DELETE /v2/list/{id}``."""

    list_id: str


@attrs.frozen
class ListsPageCall:
    """``GET /v1/lists``: page ``page`` (from 0) of ``count`` lists and segments, or of one
    ``list_type`` (``"list"`` or ``"segment"``) only."""

    page: int = 0
    count: int = 50
    list_type: Optional[str] = None


# --- builders: legacy parameters → calls --------------------------------------------------


def _build_lists(params: Mapping[str, Any], path: Mapping[str, str]) -> ListsCall:
    return ListsCall()


def _build_create(params: Mapping[str, Any], path: Mapping[str, str]) -> ListCreateCall:
    return ListCreateCall(parse_name(params.get("list_name"), "list_name"))


def _build_info(params: Mapping[str, Any], path: Mapping[str, str]) -> ListInfoCall:
    return ListInfoCall(parse_list_id(path["list_id"]))


def _build_update(params: Mapping[str, Any], path: Mapping[str, str]) -> ListUpdateCall:
    return ListUpdateCall(
        parse_list_id(path["list_id"]), parse_name(params.get("list_name"), "list_name")
    )


def _build_delete(params: Mapping[str, Any], path: Mapping[str, str]) -> ListDeleteCall:
    return ListDeleteCall(parse_list_id(path["list_id"]))


def _build_lists_page(params: Mapping[str, Any], path: Mapping[str, str]) -> ListsPageCall:
    del path
    page, count = parse_page(params)
    # Callers sent ``type=list`` to have the lists only (a shop plug-in's API key check).
    kind = parse_text(params.get("type"), "type")
    if kind is not None and kind.strip().lower() not in _V1_LIST_TYPES:
        raise TranslationError("type", f"must be list or segment, got {kind!r}")
    return ListsPageCall(page, count, None if kind is None else kind.strip().lower())


# --- lists: read, create, rename, delete --------------------------------------------------


def plan_get_lists(call: ListsCall, *, options: Options) -> Flow[list[dict[str, Any]]]:
    """Every list, page by page to the last: ``[{"list_id", "list_name"}]``. A lists page
    holds at most 10 (spec ``get_lists`` page[size] maximum; new-api.md §5)."""
    del call, options
    request = planned("get_lists", params=(("fields[list]", "name"), ("page[size]", "10")))
    items: list[Any] = []
    cursor: Optional[str] = None
    while True:
        # Legacy answered every list at once, so the walk goes on to the end; it resumes
        # from its cursor each MAX_PAGES pages only to keep each walk bounded.
        found = yield from walk(request, cursor=cursor)
        items.extend(found.items)
        if found.complete or found.cursor is None or found.cursor == cursor:
            break
        cursor = found.cursor
    return [
        {"list_id": item.get("id"), "list_name": dig(item, "attributes", "name")} for item in items
    ]


def plan_create_list(call: ListCreateCall, *, options: Options) -> Flow[dict[str, Any]]:
    """``POST /api/lists`` → ``{"list_id"}``."""
    del options
    daily = endpoint("create_list").daily
    yield from notice(
        f"create_list: Klaviyo allows {daily} new lists a day per account, and a create that "
        "times out is not sent again (check get_lists before creating it again)",
        logging.INFO,
    )
    body = resource_body("list", attributes=ListAttributes(call.list_name))
    created = yield from send(
        Step(
            planned("create_list", json=body),
            dry_run_reply=dry_reply(
                201,
                {
                    "data": {
                        "type": "list",
                        "id": placeholder("id of the new list"),
                        "attributes": {"name": call.list_name},
                    }
                },
            ),
        )
    )
    return {"list_id": dig(created.response.json(), "data", "id")}


def plan_get_list(call: ListInfoCall, *, options: Options) -> Flow[dict[str, Any]]:
    """``GET /api/lists/{id}`` → the legacy list info."""
    del options
    found = yield from send(
        Step(
            planned(
                "get_list",
                path_params={"id": call.list_id},
                params=(("fields[list]", "name,created,updated,opt_in_process"),),
            ),
            dry_run_reply=dry_reply(
                200, {"data": {"type": "list", "id": call.list_id, "attributes": {}}}
            ),
        )
    )
    data = dig(found.response.json(), "data") or {}
    return {
        "list_id": data.get("id", call.list_id),
        "list_name": dig(data, "attributes", "name"),
        "created": dig(data, "attributes", "created"),
        "updated": dig(data, "attributes", "updated"),
        "opt_in_process": dig(data, "attributes", "opt_in_process"),
    }


def plan_update_list(call: ListUpdateCall, *, options: Options) -> Flow[str]:
    """``PATCH /api/lists/{id}`` with the new name → the legacy ``""``."""
    del options
    body = resource_body("list", call.list_id, attributes=ListAttributes(call.list_name))
    yield from send(planned("update_list", path_params={"id": call.list_id}, json=body))
    return ""


def plan_delete_list(call: ListDeleteCall, *, options: Options) -> Flow[str]:
    """``DELETE /api/lists/{id}`` → the legacy ``""``."""
    del options
    yield from send(planned("delete_list", path_params={"id": call.list_id}))
    return ""


# --- v1 lists and segments ----------------------------------------------------------------

#: Lists (and segments) a ``GET /api/lists`` (``GET /api/segments``) page holds at most: the
#: spec's ``page[size]`` maximum of both.
GROUPS_PER_PAGE = 10

#: What ``GET /v1/lists`` listed, as (new operation, its sparse fieldset, v1 ``list_type``).
_V1_GROUPS = (
    ("get_lists", "fields[list]", "list"),
    ("get_segments", "fields[segment]", "segment"),
)

_V1_LIST_TYPES = tuple(list_type for _, _, list_type in _V1_GROUPS)


def _v1_group(resource: Mapping[str, Any], list_type: str) -> dict[str, Any]:
    """The v1 list object of a new-API list or segment."""
    attributes = attributes_of(resource)
    group: dict[str, Any] = {
        "object": "list",
        "id": resource.get("id"),
        "name": attributes.get("name"),
        "list_type": list_type,
    }
    for stamp in ("created", "updated"):
        moment = legacy_time(attributes.get(stamp))
        if moment is not None:
            group[stamp] = moment
    return group


def _oldest_first(group: Mapping[str, Any]) -> tuple[bool, str]:
    # v1 times sort as text; a group without a creation time goes last.
    created = group.get("created")
    return (created is None, created or "")


def plan_lists_page(call: ListsPageCall, *, options: Options) -> Flow[dict[str, Any]]:
    """Page ``page`` of ``count`` of the account's lists and segments, oldest first, in the
    v1 ``$list`` shape."""
    del options
    stop = (call.page + 1) * call.count
    # Each collection is read to the end for a true total, and at least as far as the
    # requested page: the first ``stop`` of the merge are among the first ``stop`` of each.
    pages = max(MAX_PAGES, -(-stop // GROUPS_PER_PAGE))
    yield from notice(
        f"get_lists (v1): page {call.page} of {call.count} is cut from the lists and the "
        f"segments, each read to the end ({GROUPS_PER_PAGE} a request, up to {pages} requests "
        "each) to count the total",
        logging.INFO,
    )
    groups: list[dict[str, Any]] = []
    complete = True
    for operation, fields, list_type in _V1_GROUPS:
        if call.list_type not in (None, list_type):
            continue
        request = planned(
            operation,
            params=(
                (fields, "name,created,updated"),
                ("sort", "created"),
                ("page[size]", str(GROUPS_PER_PAGE)),
            ),
        )
        walked = yield from walk(request, max_pages=pages)
        complete = complete and walked.complete
        groups.extend(
            _v1_group(item, list_type) for item in walked.items if isinstance(item, Mapping)
        )
    if not complete:
        yield from notice(
            f"get_lists (v1): the account has more lists or segments than {pages} pages hold; "
            "total is None (unknown), not guessed"
        )
    groups.sort(key=_oldest_first)  # stable: at equal times, lists before segments
    return legacy_page(groups, call.page, call.count, complete)


# --- tables -------------------------------------------------------------------------------

#: The legacy ``count`` maximum of the v1 list of lists (100, as the other v1 lists); a larger
#: one is clamped (leniency row ``count_clamped``).
COUNT_LIMITS: dict[type[Any], int] = {ListsPageCall: 100}

TRANSLATORS: dict[type[Any], Callable[..., Flow[Any]]] = {
    ListsCall: plan_get_lists,
    ListCreateCall: plan_create_list,
    ListInfoCall: plan_get_list,
    ListUpdateCall: plan_update_list,
    ListDeleteCall: plan_delete_list,
    ListsPageCall: plan_lists_page,
}

# --- endpoints ----------------------------------------------------------------------------

_BASE = "https://a.klaviyo.com/api"

ENDPOINTS: tuple[LegacyEndpoint, ...] = (
    LegacyEndpoint(
        "GET",
        "/api/v2/lists",
        _build_lists,
        ("Lists.get_lists",),
        ("ListsSegments.get_lists",),
        {"method": "GET", "url": f"{_BASE}/v2/lists", "json": {"api_key": EXAMPLE_KEY}},
        ("every page is read (10 lists a page): one request per 10 lists of the account",),
    ),
    LegacyEndpoint(
        "POST",
        "/api/v2/lists",
        _build_create,
        ("Lists.create_list",),
        ("ListsSegments.create_list",),
        {
            "method": "POST",
            "url": f"{_BASE}/v2/lists",
            "json": {"api_key": EXAMPLE_KEY, "list_name": "VIP"},
        },
        (
            "Klaviyo allows 150 new lists a day per account",
            "a create that times out is not sent again (it may have created the list): check "
            "`get_lists` before creating it again",
            "the list gets the account's default opt-in process",
        ),
    ),
    LegacyEndpoint(
        "GET",
        "/api/v2/list/{list_id}",
        _build_info,
        ("Lists.get_list_by_id",),
        ("ListsSegments.get_list_info",),
        {"method": "GET", "url": f"{_BASE}/v2/list/XyZ123", "json": {"api_key": EXAMPLE_KEY}},
        (
            "answers `list_id`, `list_name`, `created`, `updated` (ISO-8601 as Klaviyo gives "
            "them) and `opt_in_process`",
            "no member count: reading `profile_count` is limited to 1 request a second",
        ),
    ),
    LegacyEndpoint(
        "PUT",
        "/api/v2/list/{list_id}",
        _build_update,
        ("Lists.update_list_name_by_id",),
        ("ListsSegments.update_list_name",),
        {
            "method": "PUT",
            "url": f"{_BASE}/v2/list/XyZ123?api_key={EXAMPLE_KEY}",
            "form": {"list_name": "VIP customers"},
        },
        ('answers the legacy empty body `""`',),
    ),
    LegacyEndpoint(
        "DELETE",
        "/api/v2/list/{list_id}",
        _build_delete,
        ("Lists.delete_list",),
        ("ListsSegments.delete_list",),
        {"method": "DELETE", "url": f"{_BASE}/v2/list/XyZ123", "json": {"api_key": EXAMPLE_KEY}},
        ('answers the legacy empty body `""`',),
    ),
    LegacyEndpoint(
        "GET",
        "/api/v1/lists",
        _build_lists_page,
        (),
        (),
        {
            "method": "GET",
            "url": f"{_BASE}/v1/lists?page=0&count=50&api_key={EXAMPLE_KEY}",
        },
        (
            "lists and segments, as v1 listed them (`list_type` `list` or `segment`), oldest "
            f"first: `GET /api/lists` and `GET /api/segments` ({GROUPS_PER_PAGE} a request) read "
            "to the end, so `total` is the true count; `null` when either holds more than "
            f"{MAX_PAGES} pages, never guessed",
            "`page`/`count` (≤ 100) cut from what was read, on every call; `type=list` or "
            "`type=segment` reads that collection only",
            "`folder` and `person_count` are left out (no folders in the new API; a list's "
            "`profile_count` is limited to 1 request a second); times as `YYYY-MM-DD HH:MM:SS` "
            "UTC",
        ),
    ),
)
