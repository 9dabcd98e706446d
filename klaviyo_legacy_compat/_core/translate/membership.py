"""Legacy list and segment membership → the list and segment profile endpoints: which of
some identifiers are on a list or segment, removing them from a list, and every member of a
list or segment batch by batch.

The endpoints are the records of :data:`ENDPOINTS`; this is how they are translated.

Membership lookups ("which of these are on the list", "... and subscribed and not
suppressed", "... in the segment") become ``GET /api/lists/{id}/profiles`` or ``GET
/api/segments/{id}/profiles`` filtered by ``any(email,[...])`` / ``any(phone_number,[...])``
(≤ ``LOOKUP_SIZE`` values a request), with ``additional-fields[profile]=subscriptions`` when
consent counts: a profile is subscribed when its marketing consent for the channel that found
it (email, SMS, push) is ``SUBSCRIBED`` and, for email, it has no global suppression nor one
for this list. They answer ``[{"id", "email"?, "phone_number"?, "push_token"?, "created"?}]``:
Klaviyo profile ids, and ``created`` = when the profile joined the list or segment
(``joined_group_at``). The list and segment profile endpoints filter on ``push_token``
(``x-klaviyo-filters``), but their answer does not say which token matched, so each token is
looked up on its own (one request per token).

Removing members looks up their ids (the filtered list lookup), then ``DELETE
/api/lists/{id}/relationships/profiles`` (≤ 1000 ids a call) → ``""``; identifiers that are
not on the list are reported in a notice. Removing does not unsubscribe (as legacy; spec
``remove_profiles_from_list``).

A group's members, batch by batch with a ``marker``, become ``GET /api/lists/{id}/profiles``
(``LOOKUP_SIZE`` a page), and when Klaviyo answers 404 (not a list) ``GET
/api/segments/{id}/profiles`` → ``{"records": [{"id", "email", "phone_number"}],
"marker"?}``; ``push_token`` is left out: these endpoints cannot include push tokens. A
legacy ``marker`` handed out here is an opaque token wrapping the new cursor
(``_paging.marker_batch``) and is absent on the last page, so ``while marker:`` loops end; an
integer marker from before the migration cannot be resumed and is refused.

Adding members is :mod:`.members`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, Callable, Optional, Union

import attrs

from klaviyo_legacy_compat._core.config import Options
from klaviyo_legacy_compat._core.convert import unstructure
from klaviyo_legacy_compat._core.documents import profile_ids
from klaviyo_legacy_compat._core.endpoints import endpoint
from klaviyo_legacy_compat._core.flow import Flow, notice, send
from klaviyo_legacy_compat._core.legacy_endpoint import EXAMPLE_KEY, LegacyEndpoint
from klaviyo_legacy_compat._core.legacy_keys import IDENTIFIER_KINDS
from klaviyo_legacy_compat._core.parse import parse_identifiers, parse_list_id, parse_token
from klaviyo_legacy_compat._core.translate._jsonapi import (
    chunked,
    dig,
    dry_reply,
    filter_any,
    items_of,
    placeholder,
    planned,
)
from klaviyo_legacy_compat._core.translate._legacy import V2_TIME, legacy_time
from klaviyo_legacy_compat._core.translate._paging import (
    EMPTY_PAGE,
    marker_batch,
    page,
    resume_marker,
    walk,
)
from klaviyo_legacy_compat._core.translate._profile import (
    LOOKUP_SIZE,
    dry_found_profiles,
    identifier_key,
)

__all__ = [
    "ENDPOINTS",
    "TRANSLATORS",
    "GroupMembersCall",
    "ListMembersRemoveCall",
    "ListMembershipCall",
    "ListSubscriptionsCall",
    "SegmentMembershipCall",
    "plan_group_members",
    "plan_list_membership",
    "plan_list_subscriptions",
    "plan_remove_members",
    "plan_segment_membership",
]

#: Identifier attribute → the marketing channel whose consent ``get-list-subscriptions``
#: checks for the profiles it found.
_CHANNELS: Mapping[str, str] = {attribute: channel for _, attribute, channel in IDENTIFIER_KINDS}

_GROUP_MARKER = "group_members"


# --- calls --------------------------------------------------------------------------------


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
class GroupMembersCall:
    """``GET /v2/group/{id}/members/all``: a list's or a segment's members, batch by batch."""

    group_id: str
    marker: Optional[str] = None


#: The calls that look identifiers up among a list's or segment's members.
Identified = Union[
    ListSubscriptionsCall, ListMembershipCall, ListMembersRemoveCall, SegmentMembershipCall
]


# --- builders: legacy parameters → calls --------------------------------------------------


def _build_subscriptions(
    params: Mapping[str, Any], path: Mapping[str, str]
) -> ListSubscriptionsCall:
    """``GET /v2/list/{id}/subscribe``, ``POST .../get-list-subscriptions``."""
    return ListSubscriptionsCall(parse_list_id(path["list_id"]), **parse_identifiers(params))


def _build_membership(params: Mapping[str, Any], path: Mapping[str, str]) -> ListMembershipCall:
    """``GET /v2/list/{id}/members``, ``POST .../get-members``."""
    return ListMembershipCall(parse_list_id(path["list_id"]), **parse_identifiers(params))


def _build_remove(params: Mapping[str, Any], path: Mapping[str, str]) -> ListMembersRemoveCall:
    """``DELETE /v2/list/{id}/members``."""
    return ListMembersRemoveCall(parse_list_id(path["list_id"]), **parse_identifiers(params))


def _build_segment_v1(params: Mapping[str, Any], path: Mapping[str, str]) -> SegmentMembershipCall:
    """``GET /v1/segment/{id}/members``."""
    # klaviyo 3.1.7 get_members_from_segment: emails comma-joined into one ``email``.
    return SegmentMembershipCall(
        parse_list_id(path["segment_id"], "segment_id"), **parse_identifiers(params, "email")
    )


def _build_segment(params: Mapping[str, Any], path: Mapping[str, str]) -> SegmentMembershipCall:
    """``POST /v2/segment/{id}/get-members``."""
    return SegmentMembershipCall(
        parse_list_id(path["segment_id"], "segment_id"), **parse_identifiers(params)
    )


def _build_group(params: Mapping[str, Any], path: Mapping[str, str]) -> GroupMembersCall:
    """``GET /v2/group/{id}/members/all``."""
    return GroupMembersCall(
        parse_list_id(path["group_id"], "group_id"),
        parse_token(params.get("marker"), _GROUP_MARKER, "marker"),
    )


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
    """Look the identifiers up among the members of a list or segment: ≤ ``LOOKUP_SIZE``
    emails or phone numbers a request, one request per push token (the answer does not say which
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
        out["created"] = legacy_time(joined, V2_TIME)
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
                json=unstructure(profile_ids(chunk)),
                depends_on=last,
                note=f"holds the ids of the members that requests up to {last} found",
            )
        )
    return ""


# --- every member, batch by batch ----------------------------------------------------------


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
    """One batch (``LOOKUP_SIZE`` profiles) of a list's or segment's members: the list
    first, and the segment when Klaviyo answers 404 for the list."""
    del options
    state = resume_marker(call.marker, _GROUP_MARKER, call.group_id)
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
    return marker_batch(records, reply, _GROUP_MARKER, {"id": call.group_id, "g": group})


#: The membership translators (joined in ``_translate/__init__``).
TRANSLATORS: dict[type[Any], Callable[..., Flow[Any]]] = {
    ListSubscriptionsCall: plan_list_subscriptions,
    ListMembershipCall: plan_list_membership,
    ListMembersRemoveCall: plan_remove_members,
    SegmentMembershipCall: plan_segment_membership,
    GroupMembersCall: plan_group_members,
}


# --- endpoints ----------------------------------------------------------------------------

_BASE = "https://a.klaviyo.com/api"

_IDS = {"emails": ["a@example.com"], "phone_numbers": ["+15005550006"]}

_LOOKUP_DIFFERENCES = (
    "≤ 100 emails or phone numbers per lookup request; longer lists are split",
    "push tokens are looked up one request each (the answer does not say which token matched)",
    "answers Klaviyo profile ids; `created` is when the profile joined (`joined_group_at`)",
)

ENDPOINTS: tuple[LegacyEndpoint, ...] = (
    LegacyEndpoint(
        "GET",
        "/api/v2/list/{list_id}/subscribe",
        _build_subscriptions,
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
        _build_subscriptions,
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
        "GET",
        "/api/v2/list/{list_id}/members",
        _build_membership,
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
        _build_membership,
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
        _build_remove,
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
        _build_segment_v1,
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
        _build_segment,
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
        "/api/v2/group/{group_id}/members/all",
        _build_group,
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
)
