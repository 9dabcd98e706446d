"""Legacy list subscribe and unsubscribe → consent jobs.

The endpoints are the records of :data:`ENDPOINTS`; this is how they are translated.

A subscribe becomes, per chunk of ``subscribe_chunk_size`` profiles:

1. the profile data a subscribe job cannot carry (names, location, custom properties:
   klaviyo-api-php#78) as upserts: one ``POST /api/profile-import`` each, or one
   ``POST /api/profile-bulk-import-jobs`` when at least ``bulk_import_threshold`` profiles
   of the chunk carry data;
2. profiles that consent to no channel (a phone number without ``sms_consent``) added to
   the list without consent, as legacy did: a bulk import job with the list relationship;
3. one ``POST /api/profile-subscription-bulk-create-jobs`` with the list in
   ``relationships`` and explicit consent per profile, derived from the identifiers
   present, ``sms_consent`` and ``$consent``.

The members it answers carry their Klaviyo ids: the id a ``profile-import`` upsert answered,
else one ``GET /api/profiles`` per ``LOOKUP_SIZE`` identifiers of each kind once the jobs were
accepted (``member_ids=False`` skips it); ``None`` for a profile the asynchronous job has not
created.

A legacy unsubscribe only removed the profiles from that list; the new job records an
UNSUBSCRIBED marketing consent for them (every plan says so), and it unsubscribes *globally*
every profile that is not on the list (spec warning). So by default each chunk of identifiers
is looked up on the list first (``GET /api/lists/{id}/profiles`` filtered by
``any(email,[...])``) and only members are unsubscribed, at most 100 per job; the rest are
skipped and reported. ``unsubscribe_globally=True`` sends everyone.

A global exclusion (excluding an address) is translated by :mod:`.exclusions`.

The builders of :data:`ENDPOINTS` make the two calls from a legacy request's parameters, for
every surface (raw HTTP, ``klaviyo-sdk``, ``klaviyo`` 3.1.7); :func:`legacy_body` is the body
they answer.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import islice
from typing import Any, Callable, Optional, TypeVar, Union

import attrs

from klaviyo_legacy_compat._core.bodies import Document, ProfileAttributes, Resource
from klaviyo_legacy_compat._core.calls import SubscribeCall, UnsubscribeCall
from klaviyo_legacy_compat._core.config import Options
from klaviyo_legacy_compat._core.convert import unstructure
from klaviyo_legacy_compat._core.documents import (
    SUBSCRIBED,
    UNSUBSCRIBED,
    ProfileBulkImportJob,
    ProfileJobAttributes,
    ProfileSubscriptionBulkCreateJob,
    ProfileSubscriptionBulkDeleteJob,
    SubscriptionAttributes,
    list_relationship,
    lists_relationship,
)
from klaviyo_legacy_compat._core.endpoints import endpoint
from klaviyo_legacy_compat._core.errors import (
    MissingIdentifierError,
    PartialDeliveryError,
    TranslationError,
    UnsupportedLegacyFeatureError,
)
from klaviyo_legacy_compat._core.flow import (
    Flow,
    Notice,
    Reply,
    Step,
    notice,
    notices,
    send,
    send_all,
)
from klaviyo_legacy_compat._core.legacy_endpoint import EXAMPLE_KEY, LegacyEndpoint
from klaviyo_legacy_compat._core.legacy_keys import (
    CONSENT_RULES,
    IDENTIFIER_KINDS,
    SUBSCRIBE_CONSENT_KEYS,
)
from klaviyo_legacy_compat._core.leniency import normalised, permits
from klaviyo_legacy_compat._core.models import PlannedRequest
from klaviyo_legacy_compat._core.parse import (
    IDENTIFIER_CHECKS,
    joined_list,
    parse_list_id,
    required,
    string_list,
)
from klaviyo_legacy_compat._core.translate._jsonapi import (
    chunked,
    dig,
    dry_reply,
    filter_any,
    planned,
)
from klaviyo_legacy_compat._core.translate._paging import walk
from klaviyo_legacy_compat._core.translate._profile import (
    LOOKUP_SIZE,
    PROFILES_RULE,
    dry_found_profiles,
    identifier_key,
    missing_rule,
    profile_list,
    split_profile,
)
from klaviyo_legacy_compat._core.translate.members import (
    look_up_ids,
    lookup_identifier,
    member_record,
)
from klaviyo_legacy_compat._core.translate.profiles import upsert_step
from klaviyo_legacy_compat._core.values import as_flag_text

T = TypeVar("T")

__all__ = [
    "ENDPOINTS",
    "TRANSLATORS",
    "SubscribeReport",
    "UnsubscribeReport",
    "legacy_body",
    "plan_subscribe_to_list",
    "plan_unsubscribe",
]


@attrs.frozen
class SubscribeReport:
    """What ``subscribe_to_list(..., return_members=False)`` returns: counts only, so the
    memory of a subscribe stays flat however long the input."""

    list_id: str
    profiles: int
    chunks: int
    requests: int


@attrs.frozen
class UnsubscribeReport:
    """What an unsubscribe did: the identifiers unsubscribed, and those skipped because they
    were not on the list (legacy never touched them)."""

    list_id: str
    unsubscribed: tuple[str, ...]
    skipped: tuple[str, ...]


@attrs.frozen
class _Entry:
    """One v2 subscribe profile, translated: its attributes and the channels it consents to."""

    source: Mapping[str, Any]
    attributes: ProfileAttributes
    channels: tuple[str, ...]


def _consent_list(value: Any, field: str) -> tuple[Optional[frozenset[str]], Optional[Notice]]:
    if value is None:
        return None, None
    note = None
    if isinstance(value, str):
        # A list was documented; one string (often comma-separated) is what PHP and form
        # posts sent (leniency row consent_text).
        parts = joined_list(value, field)
        note = normalised("consent_text", field, f"{value!r} read as the list {parts!r}")
        value = parts
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise TranslationError(field, "must be a list of channel names such as ['email', 'sms']")
    return frozenset(v.lower() for v in value), note


def _consent_flag(value: Any, field: str, options: Options) -> tuple[Optional[bool], list[Notice]]:
    """``sms_consent``: a boolean; text or a number spelling one is read as it (leniency row
    ``flag_text``)."""
    if value is None or isinstance(value, bool):
        return value, []
    spelled = as_flag_text(value)
    if spelled is None or not permits(options.strict, "flag_text"):
        raise TranslationError(field, "must be true or false")
    return spelled, [normalised("flag_text", field, f"{value!r} read as {spelled}")]


def _entry(source: Any, field: str, options: Options) -> tuple[_Entry, list[Notice]]:
    """Translate one v2 subscribe profile (``email``/``phone_number``/``sms_consent``/
    ``$consent``/any other properties)."""
    if not isinstance(source, Mapping):
        raise TranslationError(field, f"must be a profile object, got {type(source).__name__}")
    attributes, found = split_profile(
        source, field, options=options, exclude=SUBSCRIBE_CONSENT_KEYS
    )
    if not (attributes.email or attributes.phone_number):
        raise MissingIdentifierError(
            field, missing_rule("must have an email or a phone_number", found)
        )
    consent, consent_note = _consent_list(source.get("$consent"), f"{field}.$consent")
    if consent_note is not None:
        found.append(consent_note)
    channels = []
    for channel, (identifier, flag, by_default) in CONSENT_RULES.items():
        flag_value, flag_notes = (
            _consent_flag(source.get(flag), f"{field}.{flag}", options) if flag else (None, [])
        )
        found += flag_notes
        if flag_value is not None:
            wanted, explicit = flag_value, flag_value
        elif consent is not None:
            wanted = explicit = channel in consent
        else:
            wanted, explicit = by_default, False
        if wanted and getattr(attributes, identifier):
            channels.append(channel)
        elif explicit:
            found.append(
                Notice(f"{field}: {channel} consent given without {identifier}; not recorded")
            )
    if not channels:
        found.append(
            Notice(
                f"{field}: consents to no channel (a phone_number needs sms_consent), so it is "
                "added to the list without consent, as the legacy subscribe did"
            )
        )
    return _Entry(source, attributes, tuple(channels)), found


def _subscription_profile(entry: _Entry) -> Resource:
    attributes = SubscriptionAttributes(
        entry.attributes.email or None,
        entry.attributes.phone_number or None,
        {channel: SUBSCRIBED for channel in entry.channels},
    )
    return Resource("profile", attributes=attributes)


def _subscribe_job(list_id: str, entries: Sequence[_Entry]) -> PlannedRequest:
    job = ProfileSubscriptionBulkCreateJob(
        attributes=ProfileJobAttributes(Document([_subscription_profile(e) for e in entries])),
        relationships=list_relationship(list_id),
    )
    return planned("bulk_subscribe_profiles", json=unstructure(Document(job)))


def _import_job(entries: Sequence[_Entry], list_id: Optional[str]) -> PlannedRequest:
    profiles = Document([Resource("profile", attributes=e.attributes) for e in entries])
    job = ProfileBulkImportJob(
        attributes=ProfileJobAttributes(profiles),
        relationships=None if list_id is None else lists_relationship(list_id),
    )
    return planned("bulk_import_profiles", json=unstructure(Document(job)))


@attrs.frozen
class _Chunk:
    """Consecutive profiles ``[start, start + len(raw))`` of the input, and their translation."""

    start: int
    raw: list[Mapping[str, Any]]
    entries: list[tuple[_Entry, list[Notice]]]


@attrs.frozen
class _Phases:
    """The requests one chunk of subscribe profiles becomes, in three phases that must run in
    order (see the module docstring): property upserts, list additions without consent,
    the subscribe job. ``upserted`` holds, for each single ``profile-import`` upsert of the
    first phase, the position in the chunk of the profile it writes: its answer is that
    profile, id included (spec ``create_or_update_profile``); a bulk import job answers none.
    """

    phases: tuple[list[Step], list[Step], list[Step]]
    upserted: tuple[int, ...] = ()


def _chunk_requests(list_id: str, chunk: _Chunk, options: Options) -> _Phases:
    entries = [e for e, _ in chunk.entries]
    members_only = [e for e in entries if not e.channels]
    with_data = [(i, e) for i, e in enumerate(entries) if e.channels and e.attributes.carries_data]
    consenting = [e for e in entries if e.channels]
    upserted: tuple[int, ...] = ()
    if len(with_data) >= options.bulk_import_threshold:
        upserts = [Step(_import_job([e for _, e in with_data], None))]
    else:
        upserts = [upsert_step(e.attributes, chunk.start + i) for i, e in with_data]
        upserted = tuple(i for i, _ in with_data)
    additions = [Step(_import_job(members_only, list_id))] if members_only else []
    subscribes = [Step(_subscribe_job(list_id, consenting))] if consenting else []
    return _Phases((upserts, additions, subscribes), upserted)


def _ranges(chunks: Iterable[_Chunk], previous: list[list[int]]) -> list[list[int]]:
    """Accepted profile ranges, merged where they touch: memory stays flat on a long stream."""
    for chunk in chunks:
        end = chunk.start + len(chunk.raw)
        if previous and previous[-1][1] == chunk.start:
            previous[-1][1] = end
        else:
            previous.append([chunk.start, end])
    return previous


def plan_subscribe_to_list(
    call: SubscribeCall, *, options: Options
) -> Flow[Union[list[dict[str, Optional[str]]], SubscribeReport]]:
    """The flow of one legacy subscribe; returns the legacy member list
    ``[{"id", "email", "phone_number"}]`` (``[]`` for a double opt-in list), or a
    :class:`SubscribeReport` with ``return_members=False``.

    An in-memory sequence is translated whole before anything is sent, so bad input is
    refused first (contract §5). Any other iterable is read a few chunks at a time, so
    memory stays flat; a bad profile in a later chunk then stops delivery with a
    :class:`PartialDeliveryError` that hands back what was not delivered and the unread rest.
    Up to ``max_concurrency`` chunks are sent at once.

    The jobs answer 202 without ids, so each member's Klaviyo id is the one its
    ``profile-import`` upsert answered, else looked up once the jobs of its group of chunks
    were accepted (:func:`_member_ids`: one ``GET /api/profiles`` per ``LOOKUP_SIZE``
    identifiers of each kind, on ``get_profiles``' rate limit); ``member_ids=False`` skips the
    lookups. A member Klaviyo has no profile for yet (the jobs run asynchronously) has
    ``"id": None``.
    """
    size = options.subscribe_chunk_size
    profiles, single = profile_list(call.profiles, options)
    if isinstance(profiles, (str, bytes, Mapping)) or not isinstance(profiles, Iterable):
        raise TranslationError("profiles", PROFILES_RULE)
    yield from notices(single)
    sequence = profiles if isinstance(profiles, Sequence) else None
    translated: list[tuple[_Entry, list[Notice]]] = []
    unread: Optional[Iterator[Mapping[str, Any]]] = None
    raw_chunks: Iterator[list[Mapping[str, Any]]]
    if sequence is not None:
        translated = [_entry(p, f"profiles[{i}]", options) for i, p in enumerate(sequence)]
        raw_chunks = iter([list(sequence[i : i + size]) for i in range(0, len(sequence), size)])
    else:
        unread = iter(profiles)
        raw_chunks = chunked(unread, size)
    first = next(raw_chunks, None)
    if first is None:
        raise TranslationError("profiles", "must contain at least one profile")
    raw_chunks = _restart(first, raw_chunks)
    double_opt_in = False
    if options.return_members:
        double_opt_in = yield from _is_double_opt_in(call.list_id)
        wording = "double_opt_in" if double_opt_in else f"member_ids={options.member_ids}"
        yield from notice(_MEMBERS_NOTICES[wording], logging.INFO)
    wants_members = options.return_members and not double_opt_in
    members: list[dict[str, Optional[str]]] = []
    missing = 0
    accepted: list[list[int]] = []
    counts = {"profiles": 0, "requests": 0, "chunks": 0, "read": 0}
    while True:
        group: list[_Chunk] = []
        failed: list[tuple[_Chunk, BaseException]] = []
        unsent: list[Mapping[str, Any]] = []
        for raw in islice(raw_chunks, options.max_concurrency):
            start = counts["read"]
            counts["read"] += len(raw)
            if failed or unsent:
                unsent.extend(raw)
                continue
            try:
                entries = (
                    translated[start : start + len(raw)]
                    if sequence is not None
                    else [_entry(p, f"profiles[{start + i}]", options) for i, p in enumerate(raw)]
                )
            except TranslationError as exc:
                if counts["read"] == len(raw):
                    raise  # the very first chunk: nothing read before it, nothing sent
                failed.append((_Chunk(start, raw, []), exc))
                continue
            group.append(_Chunk(start, raw, entries))
        if not group and not failed:
            break
        for chunk in group:
            for _, found in chunk.entries:
                yield from notices(found)
        plans = {chunk.start: _chunk_requests(call.list_id, chunk, options) for chunk in group}
        ok = list(group)
        ids: dict[int, str] = {}  # input position → the profile id an upsert answered
        last_sent = -1
        for phase in range(3):
            planned_by_chunk = [(chunk, plans[chunk.start].phases[phase]) for chunk in ok]
            outcomes = yield from send_all([s for _, steps in planned_by_chunk for s in steps])
            position = 0
            still_ok = []
            for chunk, steps in planned_by_chunk:
                mine = outcomes[position : position + len(steps)]
                position += len(steps)
                counts["requests"] += len(steps)
                error = next((o for o in mine if isinstance(o, BaseException)), None)
                if error is not None:
                    failed.append((chunk, error))
                    continue
                still_ok.append(chunk)
                replies = [o for o in mine if isinstance(o, Reply)]
                last_sent = max([last_sent, *(reply.index for reply in replies)])
                if phase == 0:
                    ids.update(_upserted_ids(chunk, plans[chunk.start].upserted, replies))
            ok = still_ok
        _ranges(ok, accepted)
        for chunk in ok:
            counts["profiles"] += len(chunk.raw)
            counts["chunks"] += 1
        if failed:
            failed.sort(key=lambda item: item[0].start)
            later = list(sequence[counts["read"] :]) if sequence is not None else []
            undelivered = [p for chunk, _ in failed for p in chunk.raw] + unsent + later
            raise PartialDeliveryError(
                accepted=[f"profiles[{start}:{end}]" for start, end in accepted],
                undelivered=undelivered,
                remaining=unread,
                cause=failed[0][1],
                what="profiles",
            ) from failed[0][1]
        if not wants_members:
            continue
        if options.member_ids:
            looked_up = yield from _member_ids(ok, ids, last_sent)
            ids.update(looked_up)
        for chunk in ok:
            for i, (entry, _) in enumerate(chunk.entries):
                profile_id = ids.get(chunk.start + i)
                missing += profile_id is None
                members.append(member_record(entry.attributes, profile_id))
    if not options.return_members:
        return SubscribeReport(
            call.list_id, counts["profiles"], counts["chunks"], counts["requests"]
        )
    if missing and options.member_ids:
        yield from notice(
            f'subscribe: {missing} of {len(members)} member(s) have "id": None: Klaviyo had '
            "no profile for them when looked up (the subscribe job creates profiles "
            "asynchronously; they may exist moments later) or the lookup failed",
            logging.INFO,
        )
    return members


#: The notice of a subscribe that returns members: a double opt-in list answers ``[]`` as it
#: did; otherwise it depends on ``member_ids``.
_MEMBERS_NOTICES = {
    "double_opt_in": (
        "subscribe: the list is double opt-in, so the answer is [], as the legacy answer was "
        "(the profiles join once they confirm)"
    ),
    "member_ids=True": (
        "subscribe: the legacy answer listed members with their Klaviyo ids; the new jobs "
        "answer 202 without any, so each member gets the id its profile-import upsert "
        f"answered, else one GET /api/profiles per {LOOKUP_SIZE} identifiers of each kind "
        "looks the ids "
        "up once the jobs were accepted (member_ids=False skips it); a profile the "
        'asynchronous job has not created yet gets "id": None'
    ),
    "member_ids=False": (
        "subscribe: member_ids=False: members carry only the ids their profile-import upserts "
        'answered, the others "id": None (the legacy answer had every id)'
    ),
}


def _upserted_ids(
    chunk: _Chunk, upserted: Sequence[int], replies: Sequence[Reply]
) -> dict[int, str]:
    """Input position → profile id, from the answers of a chunk's single upserts."""
    out = {}
    for position, reply in zip(upserted, replies):
        profile_id = dig(reply.response.json(), "data", "id")
        if isinstance(profile_id, str) and profile_id:
            out[chunk.start + position] = profile_id
    return out


def _member_ids(
    chunks: Sequence[_Chunk], known: Mapping[int, str], after: int
) -> Flow[dict[int, str]]:
    """Input position → profile id for the members of ``chunks`` without a ``known`` id,
    looked up once the jobs up to request ``after`` were accepted (:func:`members.look_up_ids`:
    one ``GET /api/profiles`` per ``LOOKUP_SIZE`` identifiers of each kind). A lookup that
    fails costs its members their ids, never the accepted subscribe: a warning says so, and
    the members are returned with ``"id": None``."""
    wanted = [
        (chunk.start + i, *lookup_identifier(entry.attributes))
        for chunk in chunks
        for i, (entry, _) in enumerate(chunk.entries)
        if chunk.start + i not in known
    ]
    return (yield from look_up_ids(wanted, after=after, call="subscribe", adjective="subscribed"))


def _is_double_opt_in(list_id: str) -> Flow[bool]:
    """Read the list's opt-in process: legacy subscribe answered ``[]`` for double opt-in."""
    found = yield from send(
        Step(
            planned(
                "get_list",
                path_params={"id": list_id},
                params=(("fields[list]", "opt_in_process"),),
            ),
            dry_run_reply=dry_reply(
                200, {"data": {"type": "list", "id": list_id, "attributes": {}}}
            ),
        )
    )
    body = found.response.json() or {}
    opt_in = ((body.get("data") or {}).get("attributes") or {}).get("opt_in_process")
    return bool(opt_in == "double_opt_in")


def _restart(first: T, rest: Iterator[T]) -> Iterator[T]:
    yield first
    yield from rest


# --- unsubscribe --------------------------------------------------------------------------

#: The ``IDENTIFIER_KINDS`` rows unsubscribe takes: (legacy field, new attribute, channel it
#: unsubscribes). Push tokens are refused up front (``plan_unsubscribe``): the new job needs
#: each token's platform and vendor.
_UNSUBSCRIBE_KINDS = tuple(kind for kind in IDENTIFIER_KINDS if kind[1] != "push_token")


def _checked_identifiers(call: UnsubscribeCall) -> list[tuple[str, str, str]]:
    """(attribute, channel, value) for every identifier, checked before anything is sent."""
    out: list[tuple[str, str, str]] = []
    for legacy, attribute, channel in _UNSUBSCRIBE_KINDS:
        for index, value in enumerate(getattr(call, legacy)):
            clean = IDENTIFIER_CHECKS[attribute](value, f"{legacy}[{index}]")
            out.append((attribute, channel, clean))
    return out


def _unsubscribe_job(
    list_id: str,
    items: Sequence[tuple[str, str, str]],
    depends_on: Optional[int],
    note: Optional[str],
) -> PlannedRequest:
    profiles = [
        Resource(
            "profile",
            attributes=SubscriptionAttributes(
                **{attribute: value}, subscriptions={channel: UNSUBSCRIBED}
            ),
        )
        for attribute, channel, value in items
    ]
    job = ProfileSubscriptionBulkDeleteJob(
        attributes=ProfileJobAttributes(Document(profiles)),
        relationships=list_relationship(list_id),
    )
    body = unstructure(Document(job))
    return planned("bulk_unsubscribe_profiles", json=body, depends_on=depends_on, note=note)


#: What every unsubscribe plan and live call says: the behaviour difference that remains
#: even for list members (spec ``bulk_unsubscribe_profiles``: it unsubscribes profiles from
#: a channel's marketing; consent is an attribute of the profile, ``subscriptions``).
_UNSUBSCRIBE_NOTICE = (
    "unsubscribe: legacy DELETE /v2/list/{list_id}/subscribe removed the profiles from list "
    "{list_id} and changed nothing else; the new job records an UNSUBSCRIBED marketing consent "
    "for each of them (email for emails, SMS for phone numbers), which is the profile's "
    "consent, not the list's: Klaviyo sends them no marketing on that channel from any list"
)


def plan_unsubscribe(call: UnsubscribeCall, *, options: Options) -> Flow[UnsubscribeReport]:
    """The flow of a legacy ``DELETE /v2/list/{id}/subscribe``. Every plan and live call
    carries the behaviour difference (:data:`_UNSUBSCRIBE_NOTICE`): legacy removed the
    profiles from that one list; the new job changes their marketing consent."""
    if call.push_tokens:
        raise UnsupportedLegacyFeatureError(
            "push_tokens",
            "the new unsubscribe job needs each push token's platform and vendor, which the "
            "legacy call does not carry",
            "unsubscribe push tokens with POST /api/profile-subscription-bulk-delete-jobs and "
            "full token objects, or unsubscribe by email/phone_numbers here",
        )
    identifiers = _checked_identifiers(call)
    if not identifiers:
        raise TranslationError("emails", "give at least one email or phone number to unsubscribe")
    size = endpoint("bulk_unsubscribe_profiles").item_cap
    unsubscribed: list[str] = []
    skipped: list[str] = []
    accepted: list[str] = []
    # Every plan shows it; live it is routine, so it logs at INFO (a WARNING on every
    # unsubscribe would bury the warnings that need action).
    yield from notice(_UNSUBSCRIBE_NOTICE.format(list_id=call.list_id), logging.INFO)
    if options.unsubscribe_globally:
        yield from notice(
            f"unsubscribe_globally=True: every given profile is sent; Klaviyo removes list "
            f"{call.list_id} members from it and unsubscribes everyone else from ALL marketing"
        )
    for number, chunk in enumerate(chunked(identifiers, size), start=1):
        try:
            if options.unsubscribe_globally:
                members = list(chunk)
                job: Optional[PlannedRequest] = _unsubscribe_job(call.list_id, members, None, None)
            else:
                members, lookups = yield from _members_of(call.list_id, chunk)
                on_list = {(a, identifier_key(a, v)) for a, _, v in members}
                chunk_skipped = [v for a, _, v in chunk if (a, identifier_key(a, v)) not in on_list]
                skipped.extend(chunk_skipped)
                if chunk_skipped:
                    yield from notice(
                        f"unsubscribe: {len(chunk_skipped)} profile(s) not on list "
                        f"{call.list_id} skipped (legacy only touched list members; the new "
                        "job would unsubscribe them from all marketing)"
                    )
                job = None
                if members:
                    found_by = " and ".join(str(i) for i in lookups)
                    note = (
                        f"holds only the profiles requests {found_by} find on list {call.list_id}"
                    )
                    job = _unsubscribe_job(call.list_id, members, lookups[-1], note)
            if job is not None:
                yield from send(job)
        except Exception as exc:
            raise PartialDeliveryError(
                accepted=accepted,
                undelivered=[value for _, _, value in identifiers[(number - 1) * size :]],
                cause=exc,
                what="identifiers",
            ) from exc
        unsubscribed.extend(value for _, _, value in members)
        accepted.append(f"chunk {number}: {len(members)} unsubscribed")
    return UnsubscribeReport(call.list_id, tuple(unsubscribed), tuple(skipped))


def _members_of(
    list_id: str, chunk: Sequence[tuple[str, str, str]]
) -> Flow[tuple[list[tuple[str, str, str]], list[int]]]:
    """Which of ``chunk`` are on the list: one filtered lookup per identifier kind. Returns
    the members and the indices of the lookups sent."""
    found: set[tuple[str, object]] = set()
    lookups: list[int] = []
    for _, attribute, _ in _UNSUBSCRIBE_KINDS:
        values = [value for a, _, value in chunk if a == attribute]
        if not values:
            continue
        request = planned(
            "get_profiles_for_list",
            path_params={"id": list_id},
            params=(
                ("filter", filter_any(attribute, values)),
                ("fields[profile]", attribute),
                ("page[size]", str(LOOKUP_SIZE)),
            ),
        )
        found_pages = yield from walk(request, dry_data=dry_found_profiles(attribute, values))
        lookups.append(found_pages.last_index)
        for item in found_pages.items:
            value = ((item or {}).get("attributes") or {}).get(attribute)
            if isinstance(value, str):
                found.add((attribute, identifier_key(attribute, value)))
    members = [item for item in chunk if (item[0], identifier_key(item[0], item[2])) in found]
    return members, lookups


# --- the legacy body; builders: legacy parameters → calls ---------------------------------


def legacy_body(result: Any) -> Any:
    """The legacy answer body for a translator's ``result``, on every surface: legacy
    ``DELETE /v2/list/{id}/subscribe`` answered an empty body, which an
    :class:`UnsubscribeReport` becomes; any other result is its legacy body already."""
    return "" if isinstance(result, UnsubscribeReport) else result


def _build_subscribe(params: Mapping[str, Any], path: Mapping[str, str]) -> SubscribeCall:
    # ``profiles`` is passed on as given: any iterable, read lazily by the translator.
    profiles = required(params, "profiles", "is required: a list of profile objects")
    return SubscribeCall(parse_list_id(path["list_id"]), profiles)


def _build_unsubscribe(params: Mapping[str, Any], path: Mapping[str, str]) -> UnsubscribeCall:
    identifiers = {
        legacy: string_list(params.get(legacy) or (), legacy) for legacy, _, _ in IDENTIFIER_KINDS
    }
    return UnsubscribeCall(parse_list_id(path["list_id"]), **identifiers)


TRANSLATORS: dict[type[Any], Callable[..., Flow[Any]]] = {
    SubscribeCall: plan_subscribe_to_list,
    UnsubscribeCall: plan_unsubscribe,
}

# --- endpoints ----------------------------------------------------------------------------

ENDPOINTS: tuple[LegacyEndpoint, ...] = (
    LegacyEndpoint(
        "POST",
        "/api/v2/list/{list_id}/subscribe",
        _build_subscribe,
        ("Lists.add_subscribers_to_list",),
        ("ListsSegments.subscribe",),
        {
            "method": "POST",
            "url": "https://a.klaviyo.com/api/v2/list/XyZ123/subscribe",
            "json": {
                "api_key": EXAMPLE_KEY,
                "profiles": [
                    {"email": "a@example.com", "$first_name": "Ann", "plan": "gold"},
                    {"phone_number": "+15005550006", "sms_consent": True},
                ],
            },
        },
        (
            "the subscribe job takes no custom properties: profiles carrying any are upserted "
            "first (`profile-import`, or a bulk import job from `bulk_import_threshold` profiles)",
            "consent is explicit: email when an email is present (unless `$consent` omits it), "
            "SMS with a phone number and `sms_consent: true` (or `sms` in `$consent`); an "
            "explicit `sms_consent: false` always wins",
            "a profile consenting to no channel (a phone without `sms_consent`) is added to the "
            "list without consent by a bulk import job, as the legacy call did",
            "chunks of 100 profiles (`subscribe_chunk_size`, at most 1000); any iterable, read "
            "chunk by chunk",
            "returns the members `[{id, email, phone_number}]` in input order, `[]` for a double "
            "opt-in list (one `GET /api/lists/{id}` reads the setting, and no ids are looked up)",
            "the jobs answer 202 without ids: a member's `id` is the one its `profile-import` "
            "upsert answered, else looked up once the jobs were accepted, at the cost of one "
            "`GET /api/profiles` per 100 identifiers of each kind (email, phone number) on "
            "`get_profiles`' rate limit (75/s, 750/m); `member_ids=False` skips the lookups "
            "(members then carry only the upserts' ids), `return_members=False` does none",
            "`id` is `None` only for a profile Klaviyo does not have yet (the asynchronous job "
            "may create it moments later), or when a lookup failed after the jobs were "
            "accepted: the members are still returned, with a warning",
            "a failure part way raises `PartialDeliveryError` with the accepted chunks and the "
            "undelivered profiles",
        ),
    ),
    LegacyEndpoint(
        "DELETE",
        "/api/v2/list/{list_id}/subscribe",
        _build_unsubscribe,
        ("Lists.delete_subscribers_from_list",),
        ("ListsSegments.unsubscribe",),
        {
            "method": "DELETE",
            "url": "https://a.klaviyo.com/api/v2/list/XyZ123/subscribe",
            "json": {
                "api_key": EXAMPLE_KEY,
                "emails": ["a@example.com"],
                "phone_numbers": ["+15005550006"],
            },
        },
        (
            "legacy removed the profiles from that one list; the new job records an UNSUBSCRIBED "
            "marketing consent for them (email for emails, SMS for phone numbers), the "
            "profile's own consent, so Klaviyo sends them no marketing on that channel from any "
            "list: every plan and call says so",
            "the new job unsubscribes profiles that are not on the list from ALL marketing; so "
            "membership is looked up first and only members are unsubscribed (≤ 100 per job)",
            "profiles not on the list are skipped and reported (`UnsubscribeReport.skipped`)",
            "`unsubscribe_globally=True` sends everyone, by name only",
            "`push_tokens` cannot be translated (the job needs each token's platform and vendor)",
        ),
    ),
)
