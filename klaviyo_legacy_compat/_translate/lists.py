"""Legacy Lists & Segments (v2 lists, v1/v2 segment membership, v1 global exclusions) →
the new list, segment and profile endpoints.

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
- ``GET /v2/list/{id}/subscribe`` and ``POST /v2/list/{id}/get-list-subscriptions`` ("which of
  these are on the list and not suppressed") → ``GET /api/lists/{id}/profiles`` filtered by
  ``any(email,[...])`` / ``any(phone_number,[...])`` (≤ 100 values a request) with
  ``additional-fields[profile]=subscriptions``; a profile counts when its marketing consent
  for the channel that found it (email, SMS, push) is ``SUBSCRIBED`` and, for email, it has no
  global suppression nor one for this list.
- ``GET /v2/list/{id}/members`` and ``POST /v2/list/{id}/get-members`` → the same lookup
  without the consent test; ``GET /v1/segment/{id}/members?email=a,b`` and ``POST
  /v2/segment/{id}/get-members`` → ``GET /api/segments/{id}/profiles`` likewise. All answer
  ``[{"id", "email"?, "phone_number"?, "push_token"?, "created"?}]``: Klaviyo profile ids,
  and ``created`` = when the profile joined the list or segment (``joined_group_at``).
- Push tokens: the list and segment profile endpoints filter on ``push_token``
  (``x-klaviyo-filters``), but their answer does not say which token matched, so each token
  is looked up on its own (one request per token).
- ``POST /v2/list/{id}/members`` (add regardless of opt-in, no consent change; the legacy
  call also wrote each profile's properties) answers ``[{"id", "email"?, "phone_number"?}]``.
  From ``bulk_import_threshold`` profiles it becomes ``POST /api/profile-bulk-import-jobs``
  with the list in ``relationships.lists``, packed to the endpoint's caps (10,000 profiles,
  5 MB), each profile with its attributes: the job creates or updates the profiles and adds
  them to the list, and changes no consent. The job is asynchronous and answers no ids, so
  the ids are looked up once the jobs were accepted (``GET /api/profiles``, ≤ 100
  identifiers a request, as subscribe does), ``None`` for a profile not created yet;
  ``wait_for_jobs`` follows each job to its end first and hands back the profiles it could
  not import. Below the threshold each profile's id comes first, then ``POST
  /api/lists/{id}/relationships/profiles`` in chunks of the endpoint's ``max_items`` (1000):
  ``POST /api/profile-import`` for a profile that carries anything besides one email or one
  phone number, ``GET /api/profiles?filter=any(email,[...])`` for bare identifiers, upserted
  only when the lookup does not find them; for a handful this costs about as much, and the
  ids are certain and the profiles on the list when the call returns.
- ``DELETE /v2/list/{id}/members`` → the ids of the members (filtered list lookup), then
  ``DELETE /api/lists/{id}/relationships/profiles`` (≤ 1000 ids a call) → ``""``.
  Identifiers that are not on the list are reported in a notice. Removing does not
  unsubscribe (as legacy; spec ``remove_profiles_from_list``).
- ``GET /v2/list/{id}/exclusions/all`` → ``GET /api/profiles`` filtered by
  ``equals(subscriptions.email.marketing.list_suppressions.list_id,"<id>")`` with the
  subscriptions, 100 a page → ``{"records": [{"id", "email", "reason", "created"}],
  "marker"?}``. Only list-level email suppressions are listed (the new API keeps no
  list-level SMS exclusion, so ``phone_number``/``phone_reason`` are left out; global
  suppressions are what ``get_global_exclusions`` lists).
- ``GET /v2/group/{id}/members/all`` → ``GET /api/lists/{id}/profiles`` (100 a page); when
  Klaviyo answers 404 (not a list) ``GET /api/segments/{id}/profiles`` → ``{"records": [{"id",
  "email", "phone_number"}], "marker"?}``. ``push_token`` is left out: these endpoints
  cannot include push tokens.
- ``GET /v1/people/exclusions`` → ``GET /api/profiles`` with the subscriptions, filtered by
  ``equals(subscriptions.email.marketing.suppression.reason,...)`` for a ``reason``, else by
  a lower bound on ``subscriptions.email.marketing.suppression.timestamp`` (the spec offers
  no "has a suppression" filter, and every suppression has a timestamp), sorted by that
  timestamp. Legacy ``page``/``count`` are emulated by walking cursors (100 a page) to the
  window ``[page*count, page*count+count)``; ``total`` is counted when the walk reaches the
  end, and is ``None`` (with a notice) when it stops after ``MAX_PAGES`` pages.
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

Pagination: a legacy ``marker`` handed out here is an opaque token wrapping the new cursor
(``_paging.encode_token``) and is absent on the last page, so ``while marker:`` loops end; an
integer marker from before the migration cannot be resumed and is refused.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any, Callable, Optional, Union

import attrs

from klaviyo_legacy_compat._bodies import ProfileAttributes, Resource
from klaviyo_legacy_compat._catalogue import LegacyEndpoint
from klaviyo_legacy_compat._config import Options
from klaviyo_legacy_compat._convert import encode_json, unstructure
from klaviyo_legacy_compat._endpoints import endpoint
from klaviyo_legacy_compat._errors import (
    APIError,
    MissingIdentifierError,
    PartialDeliveryError,
    TranslationError,
)
from klaviyo_legacy_compat._flow import Flow, Notice, Reply, Step, notice, notices, send, send_all
from klaviyo_legacy_compat._legacy_keys import IDENTIFIER_KINDS
from klaviyo_legacy_compat._models import PlannedRequest
from klaviyo_legacy_compat._parse import (
    decode_token,
    encode_token,
    parse_identifiers,
    parse_list_id,
    parse_name,
    parse_page,
    parse_profiles,
    parse_text,
    parse_token,
)
from klaviyo_legacy_compat._translate._jsonapi import (
    attributes_of,
    chunked,
    dig,
    dry_reply,
    filter_any,
    filter_equals,
    items_of,
    placeholder,
    planned,
)
from klaviyo_legacy_compat._translate._legacy import EXAMPLE_KEY, legacy_page, legacy_time
from klaviyo_legacy_compat._translate._paging import EMPTY_PAGE, MAX_PAGES, next_cursor, page, walk
from klaviyo_legacy_compat._translate._profile import (
    dry_found_profiles,
    identifier_key,
    missing_rule,
    profile_list,
    split_profile,
)
from klaviyo_legacy_compat._translate.batches import (
    PROFILE,
    Batch,
    Item,
    Pending,
    Rejected,
    caps,
    follow_job,
    pack,
    step,
)
from klaviyo_legacy_compat._translate.profiles import upsert_step
from klaviyo_legacy_compat._wire import CallRoute

__all__ = [
    "CATALOGUE",
    "LEGACY_REASONS",
    "ROUTES",
    "TRANSLATORS",
    "GlobalExclusionsCall",
    "GroupMembersCall",
    "ListCreateCall",
    "ListDeleteCall",
    "ListExclusionsCall",
    "ListInfoCall",
    "ListMembersAddCall",
    "ListMembersRemoveCall",
    "ListMembershipCall",
    "ListSubscriptionsCall",
    "ListUpdateCall",
    "ListsCall",
    "ListsPageCall",
    "SegmentMembershipCall",
    "id_lookup",
    "lists_relationship",
    "look_up_ids",
    "lookup_identifier",
    "member_record",
]

#: Identifiers per lookup and profiles per page: the page[size] maximum of the profile
#: collections (new-api.md §5); a filter of more values than a page holds could not be read
#: in one page.
LOOKUP_SIZE = 100

#: Legacy exclusion reason (v1 ``people/exclusions`` doc; legacy-surface.md B.7) → the new
#: email marketing suppression reason (spec ``EmailMarketingSuppression.reason``). Every
#: legacy reason has an equivalent; ``bounced`` covers hard bounces only in the new API.
LEGACY_REASONS: Mapping[str, str] = {
    "unsubscribed": "UNSUBSCRIBE",
    "bounced": "HARD_BOUNCE",
    "invalid_email": "INVALID_EMAIL",
    "reported_spam": "SPAM_COMPLAINT",
    "manually_excluded": "USER_SUPPRESSED",
}

#: The reverse, for answers; a reason Klaviyo adds later is passed through unchanged.
_NEW_REASONS: Mapping[str, str] = {new: legacy for legacy, new in LEGACY_REASONS.items()}

_SUPPRESSION_TIMESTAMP = "subscriptions.email.marketing.suppression.timestamp"

#: Legacy ``sort`` of global exclusions → the new ``sort`` (spec ``get_profiles`` enum).
_SORTS: Mapping[str, str] = {
    "asc": _SUPPRESSION_TIMESTAMP,
    "desc": "-" + _SUPPRESSION_TIMESTAMP,
}

#: Every suppression has a timestamp, so a bound no timestamp precedes selects them all.
_NO_EARLIER_SUPPRESSION = "1970-01-01T00:00:00Z"

#: Identifier attribute → the marketing channel whose consent ``get-list-subscriptions``
#: checks for the profiles it found.
_CHANNELS: Mapping[str, str] = {attribute: channel for _, attribute, channel in IDENTIFIER_KINDS}

_ISO_UTC = "%Y-%m-%dT%H:%M:%SZ"  # legacy v2 exclusion times ("2018-07-03T13:44:38Z")

_GROUP_MARKER = "group_members"
_EXCLUSIONS_MARKER = "list_exclusions"


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
class ListSubscriptionsCall:
    """``GET /v2/list/{id}/subscribe`` / ``POST .../get-list-subscriptions``: which of these
    identifiers are on the list and subscribed. Identifiers are checked already."""

    list_id: str
    emails: tuple[str, ...] = ()
    phone_numbers: tuple[str, ...] = ()
    push_tokens: tuple[str, ...] = ()


@attrs.frozen
class ListMembershipCall:
    """``GET /v2/list/{id}/members`` / ``POST .../get-members``: which are on the list."""

    list_id: str
    emails: tuple[str, ...] = ()
    phone_numbers: tuple[str, ...] = ()
    push_tokens: tuple[str, ...] = ()


@attrs.frozen
class ListMembersRemoveCall:
    """``DELETE /v2/list/{id}/members``."""

    list_id: str
    emails: tuple[str, ...] = ()
    phone_numbers: tuple[str, ...] = ()
    push_tokens: tuple[str, ...] = ()


@attrs.frozen
class SegmentMembershipCall:
    """``GET /v1/segment/{id}/members`` / ``POST /v2/segment/{id}/get-members``."""

    segment_id: str
    emails: tuple[str, ...] = ()
    phone_numbers: tuple[str, ...] = ()
    push_tokens: tuple[str, ...] = ()


@attrs.frozen
class ListMembersAddCall:
    """``POST /v2/list/{id}/members``: v2 profile dicts (``email``/``phone_number`` and any
    properties), added without consent changes; one profile object where legacy code sent
    one instead of a list (the translator applies the leniency policy to it)."""

    list_id: str
    profiles: Union[tuple[Mapping[str, Any], ...], Mapping[str, Any]]


@attrs.frozen
class ListExclusionsCall:
    """``GET /v2/list/{id}/exclusions/all``; ``marker`` is a token handed out here or
    ``None`` for the first batch."""

    list_id: str
    marker: Optional[str] = None


@attrs.frozen
class GroupMembersCall:
    """``GET /v2/group/{id}/members/all``: a list's or a segment's members, batch by batch."""

    group_id: str
    marker: Optional[str] = None


@attrs.frozen
class GlobalExclusionsCall:
    """``GET /v1/people/exclusions``; ``reason`` is a legacy reason or ``None`` for all."""

    reason: Optional[str] = None
    sort: str = "asc"
    count: int = 500
    page: int = 0


@attrs.frozen
class ListsPageCall:
    """``GET /v1/lists``: page ``page`` (from 0) of ``count`` lists and segments, or of one
    ``list_type`` (``"list"`` or ``"segment"``) only."""

    page: int = 0
    count: int = 50
    list_type: Optional[str] = None


#: The calls that look identifiers up among a list's or segment's members.
Identified = Union[
    ListSubscriptionsCall, ListMembershipCall, ListMembersRemoveCall, SegmentMembershipCall
]


# --- builders: legacy parameters → calls --------------------------------------------------


def _member_check(profile: Any, field: str) -> None:
    # Checked as early as the request is read; the translator checks again under the call's
    # own options (strict=True refuses what this lenient check lets through).
    _member_entry(profile, field, Options())


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


def _build_subscriptions(
    params: Mapping[str, Any], path: Mapping[str, str]
) -> ListSubscriptionsCall:
    return ListSubscriptionsCall(parse_list_id(path["list_id"]), **parse_identifiers(params))


def _build_membership(params: Mapping[str, Any], path: Mapping[str, str]) -> ListMembershipCall:
    return ListMembershipCall(parse_list_id(path["list_id"]), **parse_identifiers(params))


def _build_remove(params: Mapping[str, Any], path: Mapping[str, str]) -> ListMembersRemoveCall:
    return ListMembersRemoveCall(parse_list_id(path["list_id"]), **parse_identifiers(params))


def _build_segment_v1(params: Mapping[str, Any], path: Mapping[str, str]) -> SegmentMembershipCall:
    # klaviyo 3.1.7 get_members_from_segment: emails comma-joined into one ``email``.
    return SegmentMembershipCall(
        parse_list_id(path["segment_id"], "segment_id"), **parse_identifiers(params, "email")
    )


def _build_segment(params: Mapping[str, Any], path: Mapping[str, str]) -> SegmentMembershipCall:
    return SegmentMembershipCall(
        parse_list_id(path["segment_id"], "segment_id"), **parse_identifiers(params)
    )


def _build_add(params: Mapping[str, Any], path: Mapping[str, str]) -> ListMembersAddCall:
    return ListMembersAddCall(
        parse_list_id(path["list_id"]), parse_profiles(params.get("profiles"), _member_check)
    )


def _build_exclusions(params: Mapping[str, Any], path: Mapping[str, str]) -> ListExclusionsCall:
    return ListExclusionsCall(
        parse_list_id(path["list_id"]),
        parse_token(params.get("marker"), _EXCLUSIONS_MARKER, "marker"),
    )


def _build_group(params: Mapping[str, Any], path: Mapping[str, str]) -> GroupMembersCall:
    return GroupMembersCall(
        parse_list_id(path["group_id"], "group_id"),
        parse_token(params.get("marker"), _GROUP_MARKER, "marker"),
    )


def _build_global(params: Mapping[str, Any], path: Mapping[str, str]) -> GlobalExclusionsCall:
    reason = params.get("reason")
    if reason is not None and reason != "":
        if not isinstance(reason, str) or reason.strip().lower() not in LEGACY_REASONS:
            raise TranslationError("reason", f"must be one of {', '.join(LEGACY_REASONS)}")
        reason = reason.strip().lower()
    else:
        reason = None
    sort = params.get("sort")
    sort = "asc" if sort is None or sort == "" else sort
    if not isinstance(sort, str) or sort.strip().lower() not in _SORTS:
        raise TranslationError("sort", f"must be asc or desc, got {sort!r}")
    # Unlike the other v1 page/count lists, exclusions come 500 a page by default and
    # ``count`` has no maximum.
    number, count = parse_page(params, default_count=500)
    return GlobalExclusionsCall(reason, sort.strip().lower(), count, number)


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
    body = {"data": {"type": "list", "attributes": {"name": call.list_name}}}
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
    body = {"data": {"type": "list", "id": call.list_id, "attributes": {"name": call.list_name}}}
    yield from send(planned("update_list", path_params={"id": call.list_id}, json=body))
    return ""


def plan_delete_list(call: ListDeleteCall, *, options: Options) -> Flow[str]:
    """``DELETE /api/lists/{id}`` → the legacy ``""``."""
    del options
    yield from send(planned("delete_list", path_params={"id": call.list_id}))
    return ""


# --- membership lookups -------------------------------------------------------------------


@attrs.frozen
class _Hit:
    """A profile a lookup found, and the identifier (kind, value) that found it."""

    profile: Mapping[str, Any]
    attribute: str
    value: str


def _pairs(call: Identified) -> list[tuple[str, str]]:
    return [
        (attribute, v) for legacy, attribute, _ in IDENTIFIER_KINDS for v in getattr(call, legacy)
    ]


def _find(
    operation: str, group_id: str, pairs: Sequence[tuple[str, str]], *, subscriptions: bool
) -> Flow[tuple[list[_Hit], int]]:
    """Look the identifiers up among the members of a list or segment: ≤ 100 emails or
    phone numbers a request, one request per push token (the answer does not say which
    token matched). Returns the hits and the index of the last request."""
    fields = "email,phone_number,joined_group_at" + (",subscriptions" if subscriptions else "")
    hits: list[_Hit] = []
    last = -1
    for _, attribute, _ in IDENTIFIER_KINDS:
        values = [value for kind, value in pairs if kind == attribute]
        groups = (
            [[value] for value in values]
            if attribute == "push_token"
            else list(chunked(values, LOOKUP_SIZE))
        )
        for group in groups:
            params = [("filter", filter_any(attribute, group)), ("fields[profile]", fields)]
            if subscriptions:
                params.append(("additional-fields[profile]", "subscriptions"))
            params.append(("page[size]", str(LOOKUP_SIZE)))
            request = planned(operation, path_params={"id": group_id}, params=params)
            found = yield from walk(request, dry_data=dry_found_profiles(attribute, group))
            last = found.last_index
            for profile in found.items:
                if not isinstance(profile, Mapping):
                    continue
                key = identifier_key(attribute, dig(profile, "attributes", attribute))
                matched = (
                    group
                    if attribute == "push_token"
                    else [v for v in group if identifier_key(attribute, v) == key]
                )
                hits.extend(_Hit(profile, attribute, value) for value in matched)
    return hits, last


def _record(hit: _Hit) -> dict[str, Any]:
    """The legacy membership record: Klaviyo profile id, identifiers, join time."""
    out: dict[str, Any] = {"id": hit.profile.get("id")}
    for key in ("email", "phone_number"):
        value = dig(hit.profile, "attributes", key)
        if value:
            out[key] = value
    if hit.attribute == "push_token":
        out["push_token"] = hit.value
    joined = dig(hit.profile, "attributes", "joined_group_at")
    if joined:
        out["created"] = legacy_time(joined, _ISO_UTC)
    return out


def _records(hits: Sequence[_Hit]) -> list[dict[str, Any]]:
    """One record per profile, in the order found."""
    seen: dict[Any, dict[str, Any]] = {}
    for hit in hits:
        seen.setdefault(hit.profile.get("id"), _record(hit))
    return list(seen.values())


def _subscribed(hit: _Hit, list_id: str) -> bool:
    """Marketing consent ``SUBSCRIBED`` on the channel that found the profile, and for email
    no global suppression and none for this list (spec ``EmailMarketing``)."""
    marketing = dig(hit.profile, "attributes", "subscriptions", _CHANNELS[hit.attribute])
    marketing = dig(marketing, "marketing") or {}
    if marketing.get("consent") != "SUBSCRIBED":
        return False
    if hit.attribute != "email":
        return True
    if marketing.get("suppression"):
        return False
    return not any(
        dig(entry, "list_id") == list_id for entry in marketing.get("list_suppressions") or []
    )


def _push_notice(call: Identified) -> Flow[None]:
    if call.push_tokens:
        yield from notice(
            f"push tokens are looked up one request each ({len(call.push_tokens)}): the new "
            "API's answer does not say which token of a filter matched",
            logging.INFO,
        )


def plan_list_subscriptions(
    call: ListSubscriptionsCall, *, options: Options
) -> Flow[list[dict[str, Any]]]:
    """Members of the list that are subscribed and not suppressed."""
    del options
    yield from _push_notice(call)
    hits, _ = yield from _find(
        "get_profiles_for_list", call.list_id, _pairs(call), subscriptions=True
    )
    return _records([hit for hit in hits if _subscribed(hit, call.list_id)])


def plan_list_membership(
    call: ListMembershipCall, *, options: Options
) -> Flow[list[dict[str, Any]]]:
    """Members of the list among the identifiers."""
    del options
    yield from _push_notice(call)
    hits, _ = yield from _find(
        "get_profiles_for_list", call.list_id, _pairs(call), subscriptions=False
    )
    return _records(hits)


def plan_segment_membership(
    call: SegmentMembershipCall, *, options: Options
) -> Flow[list[dict[str, Any]]]:
    """Members of the segment among the identifiers."""
    del options
    yield from _push_notice(call)
    hits, _ = yield from _find(
        "get_profiles_for_segment", call.segment_id, _pairs(call), subscriptions=False
    )
    return _records(hits)


def _relationship_body(ids: Sequence[str]) -> dict[str, Any]:
    return {"data": [{"type": "profile", "id": profile_id} for profile_id in ids]}


def plan_remove_members(call: ListMembersRemoveCall, *, options: Options) -> Flow[str]:
    """Find the members' ids, then remove them from the list (≤ ``max_items`` a call)."""
    del options
    yield from _push_notice(call)
    pairs = _pairs(call)
    hits, last = yield from _find("get_profiles_for_list", call.list_id, pairs, subscriptions=False)
    found = {(hit.attribute, identifier_key(hit.attribute, hit.value)) for hit in hits}
    missing = [value for kind, value in pairs if (kind, identifier_key(kind, value)) not in found]
    if missing:
        yield from notice(
            f"remove_members: {len(missing)} identifier(s) not on list {call.list_id}, "
            f"nothing to remove for them: {', '.join(missing)}"
        )
    ids = list(dict.fromkeys(str(hit.profile.get("id")) for hit in hits))
    for chunk in chunked(ids, endpoint("remove_profiles_from_list").item_cap):
        yield from send(
            planned(
                "remove_profiles_from_list",
                path_params={"id": call.list_id},
                json=_relationship_body(chunk),
                depends_on=last,
                note=f"holds the ids of the members that requests up to {last} found",
            )
        )
    return ""


# --- add members --------------------------------------------------------------------------


@attrs.frozen
class _Member:
    """One v2 members profile: its attributes, whether a lookup can find its id (a bare
    email or phone number), and notices."""

    attributes: ProfileAttributes
    notices: tuple[Notice, ...]

    @property
    def lookup(self) -> Optional[tuple[str, str]]:
        """(attribute, value) when the profile is one identifier and nothing else."""
        a = self.attributes
        if a.carries_data or bool(a.email) == bool(a.phone_number):
            return None
        return ("email", a.email) if a.email else ("phone_number", str(a.phone_number))


def _member_entry(source: Any, field: str, options: Options) -> _Member:
    """Check one v2 members profile as subscribe does (``subscriptions._entry``): an object
    with an email or a phone number. ``sms_consent`` is dropped: adding members never
    changes consent."""
    if not isinstance(source, Mapping):
        raise TranslationError(field, f"must be a profile object, got {type(source).__name__}")
    attributes, found = split_profile(source, field, options=options, exclude=("sms_consent",))
    if not (attributes.email or attributes.phone_number):
        raise MissingIdentifierError(
            field, missing_rule("must have an email or a phone_number", found)
        )
    if source.get("sms_consent") is not None:
        found.append(
            Notice(
                f"{field}: sms_consent is ignored: adding members never changes consent (use "
                "subscribe for that), as the legacy members endpoint did"
            )
        )
    return _Member(attributes, tuple(found))


def id_lookup(
    attribute: str,
    values: Sequence[Any],
    *,
    depends_on: Optional[int] = None,
    note: Optional[str] = None,
) -> PlannedRequest:
    """``GET /api/profiles`` for the ids of the profiles whose ``attribute`` (``email``,
    ``phone_number``) is one of ``values`` (at most :data:`LOOKUP_SIZE`), sparse: the
    attribute alone comes back beside each id."""
    return planned(
        "get_profiles",
        params=(
            ("filter", filter_any(attribute, values)),
            ("fields[profile]", attribute),
            ("page[size]", str(LOOKUP_SIZE)),
        ),
        depends_on=depends_on,
        note=note,
    )


def lookup_identifier(attributes: ProfileAttributes) -> tuple[str, str]:
    """What a member is looked up by: its email, else its phone number (every legacy member
    has one of them); one identifier, so one lookup per profile, not two."""
    if attributes.email:
        return "email", attributes.email
    return "phone_number", str(attributes.phone_number)


def member_record(
    attributes: ProfileAttributes, profile_id: Optional[str]
) -> dict[str, Optional[str]]:
    """One member of the legacy answer of a subscribe or a members add, ``[{"id", "email"?,
    "phone_number"?}]`` (legacy-surface.md D; swagger ``ListSubscribePostResponseDataInner``):
    the id always (``None`` when unknown), each identifier when the profile has it."""
    out: dict[str, Optional[str]] = {"id": profile_id}
    if attributes.email:
        out["email"] = attributes.email
    if attributes.phone_number:
        out["phone_number"] = attributes.phone_number
    return out


def look_up_ids(
    wanted: Iterable[tuple[int, str, str]], *, after: int, call: str, adjective: str
) -> Flow[dict[int, str]]:
    """Input position → profile id for ``wanted`` (position, attribute, value): one
    ``GET /api/profiles`` per :data:`LOOKUP_SIZE` distinct identifiers of each kind, sent at
    once, after the jobs up to request ``after`` were accepted (so profiles they created are
    found). A lookup that fails costs its members their ids, never the accepted jobs: a
    warning says so, and those members keep no id. ``call`` and ``adjective`` word the notes
    (``"subscribe"``, ``"subscribed"``)."""
    by_kind: dict[str, dict[object, tuple[str, list[int]]]] = {}
    for position, attribute, value in wanted:
        by_key = by_kind.setdefault(attribute, {})
        by_key.setdefault(identifier_key(attribute, value), (value, []))[1].append(position)
    lookups: list[tuple[str, list[object], Step]] = []
    for attribute, by_key in by_kind.items():
        for keys in chunked(list(by_key), LOOKUP_SIZE):
            values = [by_key[key][0] for key in keys]
            request = id_lookup(
                attribute,
                values,
                depends_on=after,
                note=(
                    f"sent once the requests up to {after} were accepted: looks up the ids of "
                    f"{len(values)} {adjective} profile(s) by {attribute}"
                ),
            )
            dry = dry_reply(200, {"data": dry_found_profiles(attribute, values), "links": {}})
            lookups.append((attribute, keys, Step(request, dry_run_reply=dry)))
    try:
        outcomes = yield from send_all([sent for _, _, sent in lookups])
    except Exception as exc:  # the sender itself failed: no lookup got an answer
        outcomes = tuple(exc for _ in lookups)
    found: dict[int, str] = {}
    for (attribute, keys, sent), outcome in zip(lookups, outcomes):
        items: list[Any] = []
        failure: Optional[BaseException] = None
        if isinstance(outcome, BaseException):
            failure = outcome
        else:
            body = outcome.response.json()
            items = items_of(body)
            cursor = next_cursor(body)
            if cursor is not None:
                try:
                    rest = yield from walk(sent.request, cursor=cursor)
                    items.extend(rest.items)
                except Exception as exc:
                    failure = exc
        if failure is not None:
            yield from notice(
                f"{call}: the jobs were accepted, but looking up the ids of {len(keys)} "
                f"profile(s) by {attribute} failed ({failure}); those found before the "
                'failure keep their id, the others are returned with "id": None'
            )
        by_key = by_kind[attribute]
        for item in items:
            key = identifier_key(attribute, dig(item, "attributes", attribute))
            profile_id = dig(item, "id")
            if key in by_key and isinstance(profile_id, str) and profile_id:
                for position in by_key[key][1]:
                    found.setdefault(position, profile_id)
    return found


def _ids_from(outcomes: Sequence[Any]) -> list[tuple[str, int]]:
    """(profile id, request index) of each upsert answer; the first failure is raised."""
    out = []
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
        out.append((str(dig(outcome.response.json(), "data", "id")), outcome.index))
    return out


def _resolve(chunk: Sequence[_Member], start: int) -> Flow[tuple[list[str], int]]:
    """The profile id of each member of ``chunk`` (input positions ``start``...), and the
    index of the last request sent: upserts for profiles with data, lookups for bare
    identifiers, upserts for those the lookups did not find."""
    ids: dict[int, str] = {}
    last = -1
    upserts = [i for i, m in enumerate(chunk) if m.lookup is None]
    answers = yield from send_all([upsert_step(chunk[i].attributes, start + i) for i in upserts])
    for i, (profile_id, index) in zip(upserts, _ids_from(answers)):
        ids[i] = profile_id
        last = max(last, index)
    for attribute in ("email", "phone_number"):
        wanted = [
            (i, m.lookup[1])
            for i, m in enumerate(chunk)
            if m.lookup is not None and m.lookup[0] == attribute
        ]
        for group in chunked(wanted, LOOKUP_SIZE):
            values = list(dict.fromkeys(value for _, value in group))
            request = id_lookup(attribute, values)
            found = yield from walk(request, dry_data=dry_found_profiles(attribute, values))
            last = max(last, found.last_index)
            for i, value in group:
                key = identifier_key(attribute, value)
                for profile in found.items:
                    if identifier_key(attribute, dig(profile, "attributes", attribute)) == key:
                        ids[i] = str(dig(profile, "id"))
                        break
    unknown = [i for i in range(len(chunk)) if i not in ids]
    created = yield from send_all([upsert_step(chunk[i].attributes, start + i) for i in unknown])
    for i, (profile_id, index) in zip(unknown, _ids_from(created)):
        ids[i] = profile_id
        last = max(last, index)
    return [ids[i] for i in range(len(chunk))], last


def lists_relationship(list_id: str) -> dict[str, Any]:
    """The ``relationships`` of a profile import job that adds its profiles to ``list_id``
    (spec ``ProfileImportJobCreateQueryResourceObject.relationships.lists``)."""
    return {"lists": {"data": [{"type": "list", "id": list_id}]}}


def _spans(keys: Iterable[int]) -> str:
    """Input positions as ``profiles[a:b]`` ranges, for what a job held."""
    ranges: list[list[int]] = []
    for key in sorted(keys):
        if ranges and ranges[-1][1] == key:
            ranges[-1][1] = key + 1
        else:
            ranges.append([key, key + 1])
    return ", ".join(f"profiles[{start}:{end}]" for start, end in ranges)


def _import_jobs(list_id: str, members: Sequence[_Member]) -> list[Batch]:
    """The profile import jobs that write ``members`` and add them to the list: packed to the
    endpoint table's caps of ``bulk_import_profiles`` (profiles and bytes a request) as bulk
    mode packs its own (``batches.pack``: a profile named twice is merged in input order, or
    goes to a later job). Each batch's keys are input positions."""
    pending = []
    for position, member in enumerate(members):
        payload = unstructure(Resource("profile", attributes=member.attributes))
        pending.append(Pending(position, Item(PROFILE, payload), len(encode_json(payload))))
    jobs = []
    for batch in pack(PROFILE, pending):
        body: Any = batch.request.json
        # The relationship adds ~70 bytes, inside the request overhead packing reserves.
        data = {**body["data"], "relationships": lists_relationship(list_id)}
        note = f"adds {_spans(batch.keys)} to list {list_id}"
        request = planned("bulk_import_profiles", json={"data": data}, note=note)
        jobs.append(attrs.evolve(batch, request=request))
    return jobs


def _bulk_notice(count: int, jobs: int, options: Options) -> str:
    cap, limit = caps(PROFILE)
    ids = (
        "ids are looked up once the jobs were accepted (one GET /api/profiles per "
        f"{LOOKUP_SIZE} identifiers of each kind; member_ids=False skips it)"
        if options.member_ids
        else 'member_ids=False: every member has "id": None'
    )
    waits = (
        "wait_for_jobs=True: each job is followed until complete, and the profiles it could "
        "not import are handed back"
        if options.wait_for_jobs
        else "the jobs run asynchronously, so profiles may join the list moments after the "
        'call returns, and a profile a job has not created yet has "id": None '
        "(wait_for_jobs=True waits for them)"
    )
    return (
        f"add_members: {count} profiles (bulk_import_threshold={options.bulk_import_threshold} "
        f"or more) are written and added to the list by {jobs} profile import job(s) (POST "
        f"/api/profile-bulk-import-jobs, at most {cap} profiles and {limit // 2**20} MB each) "
        f"instead of one request each; {waits}; {ids}"
    )


def _add_in_bulk(
    list_id: str, profiles: Sequence[Any], members: Sequence[_Member], options: Options
) -> Flow[list[dict[str, Optional[str]]]]:
    """The bulk path of :func:`plan_add_members`: the import jobs one after the other (a
    profile two jobs name reaches Klaviyo in input order), each followed to its end with
    ``wait_for_jobs``, then the members' ids looked up (``member_ids``)."""
    jobs = _import_jobs(list_id, members)
    yield from notice(_bulk_notice(len(members), len(jobs), options), logging.INFO)
    accepted: list[str] = []
    delivered: set[int] = set()
    rejected: list[Rejected] = []
    last = -1
    for batch in jobs:
        try:
            reply = yield from send(step(batch))
        except Exception as exc:
            raise PartialDeliveryError(
                accepted=accepted,
                undelivered=_undelivered(profiles, delivered, rejected),
                cause=exc,
                what="profiles",
            ) from exc
        last = reply.index
        delivered.update(batch.keys)
        job_id = dig(reply.response.json(), "data", "id")
        accepted.append(f"job {job_id}: {_spans(batch.keys)}")
        if options.wait_for_jobs and isinstance(job_id, str):
            try:
                refused = yield from follow_job(batch, job_id, depends_on=last)
            except Exception as exc:  # the job was accepted; only its outcome is unknown
                yield from notice(
                    f"add_members: job {job_id} was accepted, but following it failed "
                    f"({exc}); the profiles it could not import, if any, are not known"
                )
                continue
            if refused:
                yield from notice(
                    f"add_members: job {job_id} could not import {len(refused)} profile(s): "
                    f"{_reasons(refused)}"
                )
            rejected += refused
    if rejected:
        raise PartialDeliveryError(
            accepted=accepted,
            undelivered=_undelivered(profiles, delivered, rejected),
            cause=APIError(
                None,
                description=f"Klaviyo could not import {len(rejected)} profile(s) of the "
                f"accepted jobs: {_reasons(rejected)}",
            ),
            what="profiles (those not imported first, with the reasons in the cause)",
        )
    ids = {}
    if options.member_ids:
        wanted = [(i, *lookup_identifier(m.attributes)) for i, m in enumerate(members)]
        ids = yield from look_up_ids(wanted, after=last, call="add_members", adjective="added")
        missing = len(members) - len(ids)
        if missing:
            yield from notice(
                f'add_members: {missing} of {len(members)} member(s) have "id": None: Klaviyo '
                "had no profile for them when looked up (the import job creates profiles "
                "asynchronously; they may exist moments later) or the lookup failed",
                logging.INFO,
            )
    return [member_record(m.attributes, ids.get(i)) for i, m in enumerate(members)]


def _reasons(rejected: Sequence[Rejected]) -> str:
    return "; ".join(f"{_spans(r.keys) or r.payload}: {r.reason}" for r in rejected)


def _undelivered(
    profiles: Sequence[Any], delivered: Collection[int], rejected: Sequence[Rejected]
) -> list[Any]:
    """What a members add hands back: the profiles an accepted job could not import, then
    every profile no job took, each as given, in input order (an import error that names
    no position of the input adds the profile as Klaviyo reports it)."""
    refused = {key for r in rejected for key in r.keys}
    unmatched = [r.payload for r in rejected if not r.keys]
    return [
        *(profiles[i] for i in sorted(refused)),
        *unmatched,
        *(p for i, p in enumerate(profiles) if i not in delivered),
    ]


def plan_add_members(
    call: ListMembersAddCall, *, options: Options
) -> Flow[list[dict[str, Optional[str]]]]:
    """Returns ``[{"id", "email"?, "phone_number"?}]``, in input order.

    From ``bulk_import_threshold`` profiles on (each of which may otherwise cost a
    ``profile-import`` of its own), profile import jobs with the list relationship write
    them and add them to the list, and the ids are looked up after (:func:`_add_in_bulk`).
    Below it, each profile's id comes first (an upsert for one with properties, a lookup for
    a bare identifier, an upsert for one the lookup did not find), then list relationships
    in chunks of the endpoint's ``max_items``: a handful costs about as many requests either
    way, and this way the ids are certain and the profiles on the list when the call
    returns, as legacy. A failure part way raises :class:`PartialDeliveryError` with the
    chunks or jobs accepted and the profiles not added."""
    profiles, single = profile_list(call.profiles, options)
    yield from notices(single)
    if not profiles:
        raise TranslationError("profiles", "must contain at least one profile")
    members = [_member_entry(p, f"profiles[{i}]", options) for i, p in enumerate(profiles)]
    for member in members:
        yield from notices(member.notices)
    if len(members) >= options.bulk_import_threshold:
        return (yield from _add_in_bulk(call.list_id, profiles, members, options))
    if any(m.lookup is not None for m in members):
        yield from notice(
            "add_members: ids of bare emails/phone numbers are looked up; those Klaviyo does "
            "not know yet are created first (one POST /api/profile-import each). Dry-run "
            "assumes they all exist",
            logging.INFO,
        )
    size = endpoint("add_profiles_to_list").item_cap
    out: list[dict[str, Optional[str]]] = []
    accepted: list[str] = []
    for start in range(0, len(members), size):
        chunk = members[start : start + size]
        end = start + len(chunk)
        try:
            ids, last = yield from _resolve(chunk, start)
            yield from send(
                planned(
                    "add_profiles_to_list",
                    path_params={"id": call.list_id},
                    json=_relationship_body(list(dict.fromkeys(ids))),
                    depends_on=last,
                    note=f"holds the ids of profiles[{start}:{end}] from the requests before it",
                )
            )
        except Exception as exc:
            raise PartialDeliveryError(
                accepted=accepted,
                undelivered=list(profiles[start:]),
                cause=exc,
                what="profiles",
            ) from exc
        accepted.append(f"profiles[{start}:{end}]")
        out.extend(member_record(m.attributes, profile_id) for m, profile_id in zip(chunk, ids))
    return out


# --- batches with markers: list exclusions, group members ----------------------------------


def _resume(marker: Optional[str], kind: str, group_id: str) -> Optional[dict[str, Any]]:
    if marker is None:
        return None
    state = decode_token(marker, kind, "marker")
    if state.get("id") != group_id or not isinstance(state.get("c"), str):
        raise TranslationError(
            "marker", f"was handed out for another list or segment, not {group_id}"
        )
    return state


def _batch(
    records: list[dict[str, Any]], reply: Reply, kind: str, state: dict[str, Any]
) -> dict[str, Any]:
    """The legacy batch: ``records``, and a ``marker`` only while more pages remain."""
    out: dict[str, Any] = {"records": records}
    cursor = next_cursor(reply.response.json())
    if cursor is not None:
        out["marker"] = encode_token(kind, {**state, "c": cursor})
    return out


def plan_list_exclusions(call: ListExclusionsCall, *, options: Options) -> Flow[dict[str, Any]]:
    """One batch (100 profiles) of the list's email suppressions."""
    del options
    state = _resume(call.marker, _EXCLUSIONS_MARKER, call.list_id)
    request = planned(
        "get_profiles",
        params=(
            (
                "filter",
                filter_equals(
                    "subscriptions.email.marketing.list_suppressions.list_id", call.list_id
                ),
            ),
            ("additional-fields[profile]", "subscriptions"),
            ("fields[profile]", "email,subscriptions"),
            ("page[size]", str(LOOKUP_SIZE)),
        ),
    )
    reply = yield from page(request, None if state is None else state["c"])
    records = []
    for profile in items_of(reply.response.json()):
        entries = dig(profile, "attributes", "subscriptions", "email", "marketing")
        entries = dig(entries, "list_suppressions") or []
        mine = next((e for e in entries if dig(e, "list_id") == call.list_id), None)
        if not isinstance(mine, Mapping):
            continue
        reason = mine.get("reason")
        record: dict[str, Any] = {
            "id": dig(profile, "id"),
            "email": dig(profile, "attributes", "email"),
            "reason": _NEW_REASONS.get(reason, reason) if isinstance(reason, str) else reason,
        }
        if mine.get("timestamp"):
            record["created"] = legacy_time(mine["timestamp"], _ISO_UTC)
        records.append(record)
    return _batch(records, reply, _EXCLUSIONS_MARKER, {"id": call.list_id})


_NOT_A_LIST = dry_reply(
    404,
    {
        "errors": [
            {
                "id": placeholder("error id"),
                "status": 404,
                "code": "not_found",
                "title": "Not found.",
                "detail": "the id is not a list (dry-run shows the segment lookup)",
            }
        ]
    },
)


def plan_group_members(call: GroupMembersCall, *, options: Options) -> Flow[dict[str, Any]]:
    """One batch (100 profiles) of a list's or segment's members: the list first, and the
    segment when Klaviyo answers 404 for the list."""
    del options
    state = _resume(call.marker, _GROUP_MARKER, call.group_id)
    params = (("fields[profile]", "email,phone_number"), ("page[size]", str(LOOKUP_SIZE)))
    group = "segment" if state is not None and state.get("g") == "segment" else "list"
    cursor = None if state is None else state["c"]
    if group == "list":
        first = state is None
        reply = yield from page(
            planned("get_profiles_for_list", path_params={"id": call.group_id}, params=params),
            cursor,
            handles=frozenset({404}) if first else frozenset(),
            dry=_NOT_A_LIST if first else EMPTY_PAGE,
        )
        if reply.response.status == 404:
            group = "segment"
            note = (
                f"sent only if request {reply.index} answers 404: {call.group_id} is not a "
                "list, so it is read as a segment"
            )
            reply = yield from page(
                planned(
                    "get_profiles_for_segment",
                    path_params={"id": call.group_id},
                    params=params,
                    depends_on=reply.index,
                    note=note,
                ),
                None,
            )
    else:
        reply = yield from page(
            planned("get_profiles_for_segment", path_params={"id": call.group_id}, params=params),
            cursor,
        )
    records = [
        {
            "id": dig(profile, "id"),
            "email": dig(profile, "attributes", "email"),
            "phone_number": dig(profile, "attributes", "phone_number"),
        }
        for profile in items_of(reply.response.json())
    ]
    return _batch(records, reply, _GROUP_MARKER, {"id": call.group_id, "g": group})


# --- global exclusions --------------------------------------------------------------------


def _exclusion(profile: Any, reason: Optional[str]) -> Optional[dict[str, Any]]:
    """The legacy v1 exclusion row of a suppressed profile (``None`` when it has none)."""
    suppressions = dig(profile, "attributes", "subscriptions", "email", "marketing")
    suppressions = [s for s in (dig(suppressions, "suppression") or []) if isinstance(s, Mapping)]
    if reason is not None:
        suppressions = [s for s in suppressions if s.get("reason") == reason] or suppressions
    if not suppressions:
        return None
    found = suppressions[0]
    new_reason = found.get("reason")
    return {
        "object": "exclusion",
        "email": dig(profile, "attributes", "email"),
        "reason": _NEW_REASONS.get(new_reason, new_reason)
        if isinstance(new_reason, str)
        else new_reason,
        "timestamp": legacy_time(found.get("timestamp")),
    }


def plan_global_exclusions(call: GlobalExclusionsCall, *, options: Options) -> Flow[dict[str, Any]]:
    """Page ``page`` of ``count`` global email suppressions, in the legacy v1 shape."""
    del options
    reason = None if call.reason is None else LEGACY_REASONS[call.reason]
    condition = (
        filter_equals("subscriptions.email.marketing.suppression.reason", reason)
        if reason is not None
        else f"greater-or-equal({_SUPPRESSION_TIMESTAMP},{_NO_EARLIER_SUPPRESSION})"
    )
    request = planned(
        "get_profiles",
        params=(
            ("filter", condition),
            ("additional-fields[profile]", "subscriptions"),
            ("fields[profile]", "email,subscriptions"),
            ("sort", _SORTS[call.sort]),
            ("page[size]", str(LOOKUP_SIZE)),
        ),
    )
    start = call.page * call.count
    stop = start + call.count
    needed = -(-stop // LOOKUP_SIZE)
    # Walk to the end so ``total`` is true; at least far enough to reach the window.
    found = yield from walk(request, max_pages=max(MAX_PAGES, needed))
    rows = [row for row in (_exclusion(p, reason) for p in found.items) if row is not None]
    if not found.complete:
        yield from notice(
            f"get_global_exclusions: more than {len(rows)} exclusions; the walk stopped after "
            f"{max(MAX_PAGES, needed)} pages, so total is unknown (None)"
        )
    return legacy_page(rows, call.page, call.count, found.complete)


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
    ListSubscriptionsCall: plan_list_subscriptions,
    ListMembershipCall: plan_list_membership,
    ListMembersAddCall: plan_add_members,
    ListMembersRemoveCall: plan_remove_members,
    SegmentMembershipCall: plan_segment_membership,
    ListExclusionsCall: plan_list_exclusions,
    GroupMembersCall: plan_group_members,
    GlobalExclusionsCall: plan_global_exclusions,
    ListsPageCall: plan_lists_page,
}

_LIST = r"/api/v2/list/(?P<list_id>[^/]+)"

ROUTES: tuple[CallRoute, ...] = (
    ("GET", r"/api/v2/lists", _build_lists),
    ("POST", r"/api/v2/lists", _build_create),
    ("GET", _LIST, _build_info),
    ("PUT", _LIST, _build_update),
    ("DELETE", _LIST, _build_delete),
    ("GET", _LIST + "/subscribe", _build_subscriptions),
    ("POST", _LIST + "/get-list-subscriptions", _build_subscriptions),
    ("POST", _LIST + "/members", _build_add),
    ("GET", _LIST + "/members", _build_membership),
    ("POST", _LIST + "/get-members", _build_membership),
    ("DELETE", _LIST + "/members", _build_remove),
    ("GET", r"/api/v1/segment/(?P<segment_id>[^/]+)/members", _build_segment_v1),
    ("POST", r"/api/v2/segment/(?P<segment_id>[^/]+)/get-members", _build_segment),
    ("GET", _LIST + "/exclusions/all", _build_exclusions),
    ("GET", r"/api/v2/group/(?P<group_id>[^/]+)/members/all", _build_group),
    ("GET", r"/api/v1/people/exclusions", _build_global),
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
