"""Legacy adding of list members → profile upserts and list relationships, or profile import
jobs.

The endpoint is the record of :data:`ENDPOINTS`; this is how it is translated.

Adding members (regardless of opt-in, no consent change; the legacy call also wrote each
profile's properties) answers ``[{"id", "email"?, "phone_number"?}]``. From
``bulk_import_threshold`` profiles it becomes ``POST /api/profile-bulk-import-jobs`` with the
list in ``relationships.lists``, packed to the endpoint's caps (10,000 profiles, 5 MB), each
profile with its attributes: the job creates or updates the profiles and adds them to the
list, and changes no consent. The profiles of a job are packed as bulk mode packs its own
(``batches.pack``); each job's body is built once, with its list relationship. The job is
asynchronous and answers no ids, so the ids are looked up once the jobs were accepted (``GET
/api/profiles``, ≤ ``LOOKUP_SIZE`` identifiers a request, as subscribe does), ``None`` for a
profile not created yet; ``wait_for_jobs`` follows each job to its end first and hands back
the profiles it could not import.

Below the threshold each profile's id comes first, then ``POST
/api/lists/{id}/relationships/profiles`` in chunks of the endpoint's ``max_items`` (1000):
``POST /api/profile-import`` for a profile that carries anything besides one email or one
phone number, ``GET /api/profiles?filter=any(email,[...])`` for bare identifiers, upserted
only when the lookup does not find them; for a handful this costs about as much, and the ids
are certain and the profiles on the list when the call returns.

Also the member-id lookups and the legacy member record that subscribe shares
(:func:`look_up_ids`, :func:`id_lookup`, :func:`lookup_identifier`, :func:`member_record`).
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any, Callable, Optional, Union

import attrs

from klaviyo_legacy_compat._core.bodies import ProfileAttributes, Resource
from klaviyo_legacy_compat._core.config import Options
from klaviyo_legacy_compat._core.convert import encode_json, unstructure
from klaviyo_legacy_compat._core.documents import lists_relationship, profile_ids
from klaviyo_legacy_compat._core.endpoints import endpoint
from klaviyo_legacy_compat._core.errors import (
    APIError,
    MissingIdentifierError,
    PartialDeliveryError,
    TranslationError,
)
from klaviyo_legacy_compat._core.flow import Flow, Notice, Step, notice, notices, send, send_all
from klaviyo_legacy_compat._core.legacy_endpoint import EXAMPLE_KEY, LegacyEndpoint
from klaviyo_legacy_compat._core.models import PlannedRequest
from klaviyo_legacy_compat._core.parse import parse_list_id, parse_profiles
from klaviyo_legacy_compat._core.translate._jsonapi import (
    chunked,
    dig,
    dry_reply,
    filter_any,
    items_of,
    planned,
)
from klaviyo_legacy_compat._core.translate._paging import next_cursor, walk
from klaviyo_legacy_compat._core.translate._profile import (
    LOOKUP_SIZE,
    dry_found_profiles,
    identifier_key,
    missing_rule,
    profile_list,
    split_profile,
)
from klaviyo_legacy_compat._core.translate.batches import (
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
from klaviyo_legacy_compat._core.translate.profiles import upsert_step

__all__ = [
    "ENDPOINTS",
    "TRANSLATORS",
    "ListMembersAddCall",
    "id_lookup",
    "look_up_ids",
    "lookup_identifier",
    "member_record",
    "plan_add_members",
]


@attrs.frozen
class ListMembersAddCall:
    """``POST /v2/list/{id}/members``: v2 profile dicts (``email``/``phone_number`` and any
    properties), added without consent changes; one profile object where legacy code sent
    one instead of a list (the translator applies the leniency policy to it)."""

    list_id: str
    profiles: Union[tuple[Mapping[str, Any], ...], Mapping[str, Any]]


def _member_check(profile: Any, field: str) -> None:
    # Checked as early as the request is read; the translator checks again under the call's
    # own options (strict=True refuses what this lenient check lets through).
    _member_entry(profile, field, Options())


def _build_add(params: Mapping[str, Any], path: Mapping[str, str]) -> ListMembersAddCall:
    """``POST /v2/list/{id}/members``."""
    return ListMembersAddCall(
        parse_list_id(path["list_id"]), parse_profiles(params.get("profiles"), _member_check)
    )


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
    # The relationship adds ~70 bytes, inside the request overhead packing reserves.
    for batch in pack(PROFILE, pending, relationships=lists_relationship(list_id)):
        note = f"adds {_spans(batch.keys)} to list {list_id}"
        jobs.append(attrs.evolve(batch, request=attrs.evolve(batch.request, note=note)))
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
                    json=unstructure(profile_ids(list(dict.fromkeys(ids)))),
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


#: The members-add translator (joined in ``_translate/__init__``).
TRANSLATORS: dict[type[Any], Callable[..., Flow[Any]]] = {ListMembersAddCall: plan_add_members}


# --- endpoints ----------------------------------------------------------------------------

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


ENDPOINTS: tuple[LegacyEndpoint, ...] = (
    LegacyEndpoint(
        "POST",
        "/api/v2/list/{list_id}/members",
        _build_add,
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
)
