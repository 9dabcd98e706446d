"""Legacy Lists & Segments: the lists themselves (v2 lists, v1 lists and segments) → the
new list and segment endpoints.

Each legacy endpoint, what it becomes, and what differs (every difference is also a
``CATALOGUE`` row, from which MIGRATION.md is generated):

- ``GET /v2/lists`` → ``GET /api/lists`` page after page (10 lists a page, new-api.md §5)
  until the last → ``[{"list_id", "list_name"}]``.
- ``POST /v2/lists`` → ``POST /api/lists`` → ``{"list_id"}``. Klaviyo allows 150 new lists a
  day (spec ``create_list``); a create is not replayed after an ambiguous failure
  (``_retry.REPLAY_SAFE``), so a timeout may leave a list behind.
- ``GET /v2/list/{id}`` → ``GET /api/lists/{id}`` → ``{"list_id", "list_name", "created",
  "updated", "opt_in_process"}`` (times as the new API gives them). The member count is not
  read: ``additional-fields[list]=profile_count`` is limited to 1/s, 15/m (new-api.md §6.3).
- ``PUT /v2/list/{id}`` → ``PATCH /api/lists/{id}``; ``DELETE /v2/list/{id}`` → ``DELETE
  /api/lists/{id}``; both answer the legacy ``""``.
- ``GET /v1/lists?page&count`` (the v1 Lists API, still called by production code: shop
  plug-ins keep the entries whose ``list_type`` is ``list``, data taps walk ``page`` while
  ``end < total - 1``) listed lists *and* segments, oldest first, as ``{"object": "list",
  "id", "name", "list_type": "list" | "segment", "folder", "created", "updated",
  "person_count"}``. It becomes ``GET /api/lists`` and ``GET /api/segments``, both sorted by
  creation time (10 a page, their ``page[size]`` maximum), merged oldest first and cut into
  the legacy page as the other v1 ``page``/``count`` lists are (``_legacy.legacy_page``; 50
  by default, at most 100): each walk goes to the end, at least as far as the requested page
  and at most ``MAX_PAGES`` pages otherwise, so ``total`` is the true count or ``None`` (with
  a notice). ``type=list`` (or ``segment``), which callers sent, reads that collection
  only. ``folder`` and ``person_count`` are left out, never invented: the new API has no
  folders, and a list's ``profile_count`` is limited to 1 request a second.

The rest of the resource has its own modules: who is on a list or segment
(:mod:`.membership`), adding members (:mod:`.members`) and exclusions (:mod:`.exclusions`).
The routes and catalogue rows of the whole resource are here.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Callable, Optional

import attrs

from klaviyo_legacy_compat._catalogue import EXAMPLE_KEY, LegacyEndpoint
from klaviyo_legacy_compat._config import Options
from klaviyo_legacy_compat._documents import ListAttributes
from klaviyo_legacy_compat._endpoints import endpoint
from klaviyo_legacy_compat._errors import TranslationError
from klaviyo_legacy_compat._flow import Flow, Step, notice, send
from klaviyo_legacy_compat._parse import parse_list_id, parse_name, parse_page, parse_text
from klaviyo_legacy_compat._translate._jsonapi import (
    attributes_of,
    dig,
    dry_reply,
    placeholder,
    planned,
    resource_body,
)
from klaviyo_legacy_compat._translate._legacy import legacy_page, legacy_time
from klaviyo_legacy_compat._translate._paging import MAX_PAGES, walk
from klaviyo_legacy_compat._translate._profile import LOOKUP_SIZE
from klaviyo_legacy_compat._translate.batches import PROFILE, caps
from klaviyo_legacy_compat._translate.exclusions import build_exclusions, build_global
from klaviyo_legacy_compat._translate.members import build_add
from klaviyo_legacy_compat._translate.membership import (
    build_group,
    build_membership,
    build_remove,
    build_segment,
    build_segment_v1,
    build_subscriptions,
)
from klaviyo_legacy_compat._wire import CallRoute

__all__ = [
    "CATALOGUE",
    "COUNT_LIMITS",
    "GROUPS_PER_PAGE",
    "ROUTES",
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

_LIST = r"/api/v2/list/(?P<list_id>[^/]+)"

ROUTES: tuple[CallRoute, ...] = (
    ("GET", r"/api/v2/lists", _build_lists),
    ("POST", r"/api/v2/lists", _build_create),
    ("GET", _LIST, _build_info),
    ("PUT", _LIST, _build_update),
    ("DELETE", _LIST, _build_delete),
    ("GET", _LIST + "/subscribe", build_subscriptions),
    ("POST", _LIST + "/get-list-subscriptions", build_subscriptions),
    ("POST", _LIST + "/members", build_add),
    ("GET", _LIST + "/members", build_membership),
    ("POST", _LIST + "/get-members", build_membership),
    ("DELETE", _LIST + "/members", build_remove),
    ("GET", r"/api/v1/segment/(?P<segment_id>[^/]+)/members", build_segment_v1),
    ("POST", r"/api/v2/segment/(?P<segment_id>[^/]+)/get-members", build_segment),
    ("GET", _LIST + "/exclusions/all", build_exclusions),
    ("GET", r"/api/v2/group/(?P<group_id>[^/]+)/members/all", build_group),
    ("GET", r"/api/v1/people/exclusions", build_global),
    ("GET", r"/api/v1/lists", _build_lists_page),
)

_BASE = "https://a.klaviyo.com/api"

_IMPORT_CAPS = caps(PROFILE)


def _paced(operation: str, requests: int) -> float:
    """Seconds ``requests`` calls to ``operation`` take at best within its rate limits: its
    burst a second, and past one minute's steady allowance its steady rate."""
    row = endpoint(operation)
    if requests <= row.steady:
        return requests / row.burst
    return requests / row.steady * 60


def _bulk_cost(members: int) -> str:
    """What adding ``members`` profiles costs one by one and in bulk, from the endpoint table
    (the catalogue's figure)."""
    lookups = -(-members // LOOKUP_SIZE)
    relationships = -(-members // endpoint("add_profiles_to_list").item_cap)
    jobs = -(-members // _IMPORT_CAPS[0])
    before = _paced("create_or_update_profile", members)
    after = _paced("bulk_import_profiles", jobs) + _paced("get_profiles", lookups)
    steady = endpoint("create_or_update_profile").steady
    burst = endpoint("get_profiles").burst
    return (
        f"adding {members:,} members one by one took up to {members:,} `profile-import` calls "
        "(one per profile with properties or unknown to Klaviyo), up to "
        f"{lookups} lookups and {relationships} relationship calls: about {before / 60:.0f} "
        f"minutes at `profile-import`'s {steady}/m; in bulk it takes {jobs} jobs and "
        f"{lookups} lookups, about {after:.0f} s at `get_profiles`' {burst}/s ({jobs} "
        "requests with `member_ids=False`)"
    )


_IDS = {"emails": ["a@example.com"], "phone_numbers": ["+15005550006"]}

_LOOKUP_DIFFERENCES = (
    "≤ 100 emails or phone numbers per lookup request; longer lists are split",
    "push tokens are looked up one request each (the answer does not say which token matched)",
    "answers Klaviyo profile ids; `created` is when the profile joined (`joined_group_at`)",
)

CATALOGUE: tuple[LegacyEndpoint, ...] = (
    LegacyEndpoint(
        "GET",
        "/api/v2/lists",
        ("Lists.get_lists",),
        ("ListsSegments.get_lists",),
        {"method": "GET", "url": f"{_BASE}/v2/lists", "json": {"api_key": EXAMPLE_KEY}},
        ("every page is read (10 lists a page): one request per 10 lists of the account",),
    ),
    LegacyEndpoint(
        "POST",
        "/api/v2/lists",
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
        ("Lists.delete_list",),
        ("ListsSegments.delete_list",),
        {"method": "DELETE", "url": f"{_BASE}/v2/list/XyZ123", "json": {"api_key": EXAMPLE_KEY}},
        ('answers the legacy empty body `""`',),
    ),
    LegacyEndpoint(
        "GET",
        "/api/v2/list/{list_id}/subscribe",
        ("Lists.get_subscribers_from_list",),
        (),
        {
            "method": "GET",
            "url": f"{_BASE}/v2/list/XyZ123/subscribe",
            "json": {"api_key": EXAMPLE_KEY, **_IDS},
        },
        (
            "a list member counts when its marketing consent for the channel that found it is "
            "SUBSCRIBED and, for email, it has no global or list suppression",
            *_LOOKUP_DIFFERENCES,
        ),
    ),
    LegacyEndpoint(
        "POST",
        "/api/v2/list/{list_id}/get-list-subscriptions",
        (),
        ("ListsSegments.get_list_subscriptions",),
        {
            "method": "POST",
            "url": f"{_BASE}/v2/list/XyZ123/get-list-subscriptions?api_key={EXAMPLE_KEY}",
            "json": _IDS,
        },
        (
            "a list member counts when its marketing consent for the channel that found it is "
            "SUBSCRIBED and, for email, it has no global or list suppression",
            *_LOOKUP_DIFFERENCES,
        ),
    ),
    LegacyEndpoint(
        "POST",
        "/api/v2/list/{list_id}/members",
        ("Lists.add_members_to_list",),
        ("ListsSegments.add_members",),
        {
            "method": "POST",
            "url": f"{_BASE}/v2/list/XyZ123/members",
            "json": {
                "api_key": EXAMPLE_KEY,
                "profiles": [
                    {"email": "a@example.com"},
                    {"email": "b@example.com", "$first_name": "Bea", "plan": "gold"},
                ],
            },
        },
        (
            f"from `bulk_import_threshold` ({Options().bulk_import_threshold}) profiles: profile "
            "import jobs with the list in "
            "`relationships.lists` (`POST /api/profile-bulk-import-jobs`, at most "
            f"{_IMPORT_CAPS[0]:,} profiles and {_IMPORT_CAPS[1] // 2**20} MB a job) write each "
            "profile's properties and add it to the list; the jobs run asynchronously, so a "
            "profile may join the list moments after the call returns (`wait_for_jobs=True` "
            "follows each job to its end and raises `PartialDeliveryError` with the profiles "
            "Klaviyo could not import)",
            "the jobs answer no ids: they are looked up once the jobs were accepted, one `GET "
            f"/api/profiles` per {LOOKUP_SIZE} identifiers of each kind (`member_ids=False` "
            "skips it); `id` is `None` for a profile the job has not created yet",
            _bulk_cost(20_000),
            "below the threshold, list relationships take profile ids: a profile with "
            "properties is upserted (`profile-import`, which also returns its id), a bare email "
            "or phone number is looked up (≤ 100 a request) and created only when Klaviyo does "
            "not know it; relationship calls hold at most 1000 profiles",
            "no consent change, as legacy (`sms_consent` is ignored)",
            "a failure part way raises `PartialDeliveryError` with the chunks or jobs accepted "
            "and the profiles not added",
        ),
    ),
    LegacyEndpoint(
        "GET",
        "/api/v2/list/{list_id}/members",
        ("Lists.get_members_from_list",),
        (),
        {
            "method": "GET",
            "url": f"{_BASE}/v2/list/XyZ123/members",
            "json": {"api_key": EXAMPLE_KEY, **_IDS},
        },
        _LOOKUP_DIFFERENCES,
    ),
    LegacyEndpoint(
        "POST",
        "/api/v2/list/{list_id}/get-members",
        (),
        ("ListsSegments.get_list_members",),
        {
            "method": "POST",
            "url": f"{_BASE}/v2/list/XyZ123/get-members?api_key={EXAMPLE_KEY}",
            "json": _IDS,
        },
        _LOOKUP_DIFFERENCES,
    ),
    LegacyEndpoint(
        "DELETE",
        "/api/v2/list/{list_id}/members",
        ("Lists.remove_members_from_list",),
        ("ListsSegments.remove_members",),
        {
            "method": "DELETE",
            "url": f"{_BASE}/v2/list/XyZ123/members",
            "json": {"api_key": EXAMPLE_KEY, **_IDS},
        },
        (
            "members are looked up first (removal takes profile ids), then removed ≤ 1000 a "
            "call; identifiers not on the list are reported in a warning",
            "removing does not unsubscribe, as legacy",
            "push tokens are looked up one request each",
        ),
    ),
    LegacyEndpoint(
        "GET",
        "/api/v1/segment/{segment_id}/members",
        ("Lists.get_members_from_segment",),
        (),
        {
            "method": "GET",
            "url": f"{_BASE}/v1/segment/SeG456/members?api_key={EXAMPLE_KEY}"
            "&email=a@example.com,b@example.com",
        },
        _LOOKUP_DIFFERENCES,
    ),
    LegacyEndpoint(
        "POST",
        "/api/v2/segment/{segment_id}/get-members",
        (),
        ("ListsSegments.get_segment_members",),
        {
            "method": "POST",
            "url": f"{_BASE}/v2/segment/SeG456/get-members?api_key={EXAMPLE_KEY}",
            "json": _IDS,
        },
        _LOOKUP_DIFFERENCES,
    ),
    LegacyEndpoint(
        "GET",
        "/api/v2/list/{list_id}/exclusions/all",
        ("Lists.get_list_exclusions",),
        ("ListsSegments.get_list_exclusions",),
        {
            "method": "GET",
            "url": f"{_BASE}/v2/list/XyZ123/exclusions/all",
            "json": {"api_key": EXAMPLE_KEY},
        },
        (
            "lists the list's email suppressions (`list_suppressions`), 100 a batch; "
            "`phone_number`/`phone_reason` are left out (no list-level SMS suppression exists)",
            "reasons in the legacy words (unsubscribed, bounced, invalid_email, reported_spam, "
            "manually_excluded); `created` is the suppression time",
            "`marker` is an opaque token, absent on the last batch; a legacy integer marker "
            "is refused (start again without one)",
        ),
    ),
    LegacyEndpoint(
        "GET",
        "/api/v2/group/{group_id}/members/all",
        ("Lists.get_all_members",),
        ("ListsSegments.get_members",),
        {
            "method": "GET",
            "url": f"{_BASE}/v2/group/XyZ123/members/all",
            "json": {"api_key": EXAMPLE_KEY},
        },
        (
            "read as a list first; when Klaviyo answers 404 the id is read as a segment",
            "100 records a batch; `push_token` is left out (these endpoints cannot include "
            "push tokens)",
            "`marker` is an opaque token, absent on the last batch; a legacy integer marker "
            "is refused (start again without one)",
        ),
    ),
    LegacyEndpoint(
        "GET",
        "/api/v1/people/exclusions",
        (),
        ("ListsSegments.get_global_exclusions",),
        {
            "method": "GET",
            "url": f"{_BASE}/v1/people/exclusions?api_key={EXAMPLE_KEY}"
            "&reason=unsubscribed&count=100",
        },
        (
            "global email suppressions, sorted by suppression time; `reason` maps to the new "
            "reasons (`bounced` = hard bounces)",
            "`page`/`count` are emulated by walking cursors (100 profiles a request) from the "
            "start on every call",
            "`total` is counted to the end, or `None` (with a warning) past "
            f"{MAX_PAGES} pages; `timestamp` in UTC",
        ),
    ),
    LegacyEndpoint(
        "GET",
        "/api/v1/lists",
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
