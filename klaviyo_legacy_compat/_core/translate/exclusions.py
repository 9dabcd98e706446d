"""Legacy exclusions (email suppressions) → profiles filtered by their email marketing
suppressions, and suppression jobs.

The endpoints are the records of :data:`ENDPOINTS`; this is how they are translated.

A list's exclusions, batch by batch with a ``marker``, become ``GET /api/profiles`` filtered
by ``equals(subscriptions.email.marketing.list_suppressions.list_id,"<id>")`` with the
subscriptions, ``LOOKUP_SIZE`` a page → ``{"records": [{"id", "email", "reason",
"created"}], "marker"?}``: list-level email suppressions only (the new API keeps no
list-level SMS exclusion, so ``phone_number``/``phone_reason`` are left out; global
suppressions are what ``get_global_exclusions`` lists). A legacy ``marker`` handed out here
is an opaque token wrapping the new cursor (``_paging.marker_batch``) and is absent on the
last page, so ``while marker:`` loops end; an integer marker from before the migration cannot
be resumed and is refused.

The global exclusions, with v1 ``page`` and ``count``, become ``GET /api/profiles`` with the
subscriptions, filtered by ``equals(subscriptions.email.marketing.suppression.reason,...)``
for a ``reason``, else by a lower bound on
``subscriptions.email.marketing.suppression.timestamp`` (the spec offers no "has a
suppression" filter, and every suppression has a timestamp), sorted by that timestamp; the
legacy page is emulated by walking cursors (``LOOKUP_SIZE`` a page) to the window
``[page*count, page*count+count)``, and ``total`` is counted when the walk reaches the end,
``None`` (with a notice) when it stops after ``MAX_PAGES`` pages.

A global exclusion of an address becomes a lookup of each email's suppression state (``GET
/api/profiles`` with the subscriptions) and ``POST /api/profile-suppression-bulk-create-jobs``
(≤ the endpoint's item cap, 100 emails) for the others, so the legacy ``{"already_excluded",
"num_excluded"}`` answer is true, not invented.

Legacy reasons map to the new suppression reasons by :data:`LEGACY_REASONS`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Callable, Optional

import attrs

from klaviyo_legacy_compat._core.bodies import Document, ProfileAttributes, Resource
from klaviyo_legacy_compat._core.calls import ExcludeEmailCall
from klaviyo_legacy_compat._core.config import Options
from klaviyo_legacy_compat._core.convert import unstructure
from klaviyo_legacy_compat._core.documents import (
    ProfileJobAttributes,
    ProfileSuppressionBulkCreateJob,
)
from klaviyo_legacy_compat._core.endpoints import endpoint
from klaviyo_legacy_compat._core.errors import PartialDeliveryError, TranslationError
from klaviyo_legacy_compat._core.flow import Flow, notice, send
from klaviyo_legacy_compat._core.legacy_endpoint import EXAMPLE_KEY, LegacyEndpoint
from klaviyo_legacy_compat._core.models import PlannedRequest
from klaviyo_legacy_compat._core.parse import parse_list_id, parse_page, parse_token, string_list
from klaviyo_legacy_compat._core.translate._jsonapi import (
    chunked,
    dig,
    filter_any,
    filter_equals,
    items_of,
    planned,
)
from klaviyo_legacy_compat._core.translate._legacy import V2_TIME, legacy_page, legacy_time
from klaviyo_legacy_compat._core.translate._paging import (
    MAX_PAGES,
    marker_batch,
    page,
    resume_marker,
    walk,
)
from klaviyo_legacy_compat._core.translate._profile import LOOKUP_SIZE, identifier_key
from klaviyo_legacy_compat._core.values import as_email

__all__ = [
    "ENDPOINTS",
    "LEGACY_REASONS",
    "TRANSLATORS",
    "GlobalExclusionsCall",
    "ListExclusionsCall",
    "plan_exclude_email",
    "plan_global_exclusions",
    "plan_list_exclusions",
]

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

_EXCLUSIONS_MARKER = "list_exclusions"


# --- calls --------------------------------------------------------------------------------


@attrs.frozen
class ListExclusionsCall:
    """``GET /v2/list/{id}/exclusions/all``; ``marker`` is a token handed out here or
    ``None`` for the first batch."""

    list_id: str
    marker: Optional[str] = None


@attrs.frozen
class GlobalExclusionsCall:
    """``GET /v1/people/exclusions``; ``reason`` is a legacy reason or ``None`` for all."""

    reason: Optional[str] = None
    sort: str = "asc"
    count: int = 500
    page: int = 0


# --- builders: legacy parameters → calls --------------------------------------------------


def _build_exclusions(params: Mapping[str, Any], path: Mapping[str, str]) -> ListExclusionsCall:
    """``GET /v2/list/{id}/exclusions/all``."""
    return ListExclusionsCall(
        parse_list_id(path["list_id"]),
        parse_token(params.get("marker"), _EXCLUSIONS_MARKER, "marker"),
    )


def _build_global(params: Mapping[str, Any], path: Mapping[str, str]) -> GlobalExclusionsCall:
    """``GET /v1/people/exclusions``."""
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


def _build_exclude(params: Mapping[str, Any], path: Mapping[str, str]) -> ExcludeEmailCall:
    """``POST /v1/people/exclusions``."""
    email = params.get("email")
    if isinstance(email, list):  # a repeated form key: its first value is the address
        email = email[0] if email else None
    if not email:
        raise TranslationError("email", "is required: the address to exclude")
    return ExcludeEmailCall(string_list(email, "email"))


# --- list exclusions ----------------------------------------------------------------------


def plan_list_exclusions(call: ListExclusionsCall, *, options: Options) -> Flow[dict[str, Any]]:
    """One batch (``LOOKUP_SIZE`` profiles) of the list's email suppressions."""
    del options
    state = resume_marker(call.marker, _EXCLUSIONS_MARKER, call.list_id)
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
            record["created"] = legacy_time(mine["timestamp"], V2_TIME)
        records.append(record)
    return marker_batch(records, reply, _EXCLUSIONS_MARKER, {"id": call.list_id})


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


# --- excluding addresses ------------------------------------------------------------------


def _is_suppressed(profile: Any) -> bool:
    marketing = (
        (((profile or {}).get("attributes") or {}).get("subscriptions") or {}).get("email") or {}
    ).get("marketing") or {}
    return bool(marketing.get("suppression"))


def _suppress_job(emails: Sequence[str], depends_on: int, note: str) -> PlannedRequest:
    profiles = [Resource("profile", attributes=ProfileAttributes(email=email)) for email in emails]
    job = ProfileSuppressionBulkCreateJob(attributes=ProfileJobAttributes(Document(profiles)))
    body = unstructure(Document(job))
    return planned("bulk_suppress_profiles", json=body, depends_on=depends_on, note=note)


def plan_exclude_email(call: ExcludeEmailCall, *, options: Options) -> Flow[dict[str, Any]]:
    """The flow of a legacy ``POST /v1/people/exclusions``; returns
    ``{"already_excluded": bool, "num_excluded": int}``."""
    del options  # no option changes an exclusion
    emails = [
        as_email(value, f"email[{i}]" if len(call.emails) > 1 else "email")
        for i, value in enumerate(call.emails)
    ]
    if not emails:
        raise TranslationError("email", "give an email address to exclude")
    size = endpoint("bulk_suppress_profiles").item_cap
    excluded = 0
    already: list[bool] = []
    accepted: list[str] = []
    for number, chunk in enumerate(chunked(emails, size), start=1):
        try:
            request = planned(
                "get_profiles",
                params=(
                    ("filter", filter_any("email", chunk)),
                    ("additional-fields[profile]", "subscriptions"),
                    ("fields[profile]", "email,subscriptions"),
                    ("page[size]", str(LOOKUP_SIZE)),
                ),
            )
            lookup = yield from walk(request)
            items, last = lookup.items, lookup.last_index
            suppressed = {
                identifier_key("email", str(((p or {}).get("attributes") or {}).get("email", "")))
                for p in items
                if _is_suppressed(p)
            }
            todo = [e for e in chunk if identifier_key("email", e) not in suppressed]
            already.extend(identifier_key("email", e) in suppressed for e in chunk)
            if todo:
                note = f"holds only the emails request {last} does not show as suppressed"
                yield from send(_suppress_job(todo, last, note))
        except Exception as exc:
            raise PartialDeliveryError(
                accepted=accepted,
                undelivered=emails[(number - 1) * size :],
                cause=exc,
                what="emails",
            ) from exc
        excluded += len(todo)
        accepted.append(f"chunk {number}: {len(todo)} excluded")
    return {"already_excluded": all(already), "num_excluded": excluded}


#: The exclusion translators (joined in ``_translate/__init__``).
TRANSLATORS: dict[type[Any], Callable[..., Flow[Any]]] = {
    ListExclusionsCall: plan_list_exclusions,
    GlobalExclusionsCall: plan_global_exclusions,
    ExcludeEmailCall: plan_exclude_email,
}


# --- endpoints ----------------------------------------------------------------------------

_BASE = "https://a.klaviyo.com/api"

ENDPOINTS: tuple[LegacyEndpoint, ...] = (
    LegacyEndpoint(
        "GET",
        "/api/v2/list/{list_id}/exclusions/all",
        _build_exclusions,
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
        "/api/v1/people/exclusions",
        _build_global,
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
        "POST",
        "/api/v1/people/exclusions",
        _build_exclude,
        (),
        ("ListsSegments.exclude_globally",),
        {
            "method": "POST",
            "url": f"https://a.klaviyo.com/api/v1/people/exclusions?api_key={EXAMPLE_KEY}",
            "form": {"email": "a@example.com"},
        },
        (
            "the suppression state is looked up first, so `already_excluded` and `num_excluded` "
            "are true answers, not invented",
            "suppression jobs hold at most 100 emails",
        ),
    ),
)
