"""Bulk mode: buffered track and identify calls packed into Klaviyo's bulk jobs. Pure.

The batcher (``_batching``) runs the per-call translators as usual but keeps what they plan
instead of sending it (:func:`capture`), and at a flush asks this module for the requests:

- ``create_event`` (legacy track) → one event of ``POST /api/event-bulk-create-jobs``
  (bulk_create_events). Events are grouped per profile, one ``event-bulk-create`` entry per
  distinct profile block, as that format wants; at most the endpoint's item cap (1,000
  events) and byte cap (5 MB) per request (endpoint table, from the spec's description).
  A ``unique_id`` repeated for the same profile and metric fails the *whole* request (spec
  ``unique_id`` of the bulk entry; new-api.md §3.1), so an event whose (identifier, metric,
  ``unique_id``) is already in a request goes to a later one, where Klaviyo keeps the first
  as it does for single creates. Without a ``unique_id`` Klaviyo uses the time to the
  second, so that is the key then.
- ``create_or_update_profile`` (legacy identify, upsert mode) and a subscribe's property
  upserts (``bulk_import_profiles`` without a list) → profiles of
  ``POST /api/profile-bulk-import-jobs`` (≤ 10,000 profiles, ≤ 5 MB). Consecutive identify
  calls with the same identifiers are merged in call order (later values win; ``location``
  and ``properties`` key by key), which is what applying them one after the other did. A
  profile sharing an identifier with one already in a request goes to a later request, so
  calls about one person reach Klaviyo in the order they were made.

:func:`settle` says what an answer means for a batch: accepted; rejected for one item (a 400
whose ``source.pointer`` names it: that item is handed back with Klaviyo's reason and the
rest re-sent); rejected without saying which (a 400 without a usable pointer, or a 413: the
batch is halved until the bad item is alone); or failed whole (throttled past the retry
budget, a server error, no answer, a refused key): kept pending, to be sent again whole with
the same identities (the same ``unique_id`` values, so Klaviyo records each event once).

:func:`follow_job` polls an accepted profile import job and reads its import errors, so a
profile Klaviyo could not import inside an accepted job is handed back too.
"""

from __future__ import annotations

import math
import re
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any, Callable, Optional, Union

import attrs

from klaviyo_legacy_compat._core.bodies import Document
from klaviyo_legacy_compat._core.convert import unstructure
from klaviyo_legacy_compat._core.documents import (
    EventBulkCreate,
    EventBulkCreateAttributes,
    EventBulkCreateJob,
    EventBulkCreateJobAttributes,
    Prebuilt,
    ProfileBulkImportJob,
    ProfileJobAttributes,
)
from klaviyo_legacy_compat._core.endpoints import endpoint
from klaviyo_legacy_compat._core.errors import APIError
from klaviyo_legacy_compat._core.flow import Flow, Reply, Step, notice, pause, send
from klaviyo_legacy_compat._core.models import PlannedRequest
from klaviyo_legacy_compat._core.translate._jsonapi import dry_reply, placeholder, planned
from klaviyo_legacy_compat._core.translate._paging import walk

__all__ = [
    "EVENT",
    "KINDS",
    "PROFILE",
    "Batch",
    "Item",
    "Pending",
    "Rejected",
    "Settlement",
    "caps",
    "capture",
    "follow_job",
    "pack",
    "settle",
    "step",
]

EVENT = "event"
PROFILE = "profile"


@attrs.frozen
class Item:
    """One buffered unit. ``EVENT``: ``{"profile": <profile resource>, "event": <event
    resource>}``; ``PROFILE``: a profile resource (``{"type": "profile", "attributes"}``)."""

    kind: str
    payload: dict[str, Any]


@attrs.frozen
class Pending:
    """An item held by the buffer under ``key`` (its position in call order), with the size
    of its JSON encoding."""

    key: int
    item: Item
    size: int


# --- capture: what a per-call translator planned → buffered items ---------------------------


def _event(body: Any) -> Optional[list[Item]]:
    attributes = dict(body["data"]["attributes"])
    profile = attributes.pop("profile")["data"]
    return [Item(EVENT, {"profile": profile, "event": {"type": "event", "attributes": attributes}})]


def _profile(body: Any) -> Optional[list[Item]]:
    return [Item(PROFILE, body["data"])]


def _imported(body: Any) -> Optional[list[Item]]:
    data = body["data"]
    if data.get("relationships"):
        return None  # adds to a list: a subscribe's membership phase, sent as planned
    return [Item(PROFILE, profile) for profile in data["attributes"]["profiles"]["data"]]


#: Operation → how its body becomes buffered items (``None``: send it as planned).
CAPTURED: dict[str, Callable[[Any], Optional[list[Item]]]] = {
    "create_event": _event,
    "create_or_update_profile": _profile,
    "bulk_import_profiles": _imported,
}

#: Item kind → the bulk operation that carries it.
KINDS: dict[str, str] = {EVENT: "bulk_create_events", PROFILE: "bulk_import_profiles"}


def caps(kind: str) -> tuple[int, int]:
    """Items and bytes one bulk request of ``kind`` may carry: the endpoint table's caps of
    its operation (what packing fills to, and what the batcher counts a full request by)."""
    row = endpoint(KINDS[kind])
    if row.max_items is None or row.max_bytes is None:
        # A guessed cap would either waste requests or have Klaviyo refuse them whole.
        raise LookupError(
            f"the endpoint table states no per-request cap of {row.operation} (items "
            f"{row.max_items}, bytes {row.max_bytes}); bulk mode cannot size its {kind} "
            "requests without both"
        )
    return row.max_items, row.max_bytes


def capture(request: PlannedRequest) -> Optional[list[Item]]:
    """The items ``request`` becomes in bulk mode, or ``None`` when it is sent as planned (an
    operation bulk mode does not carry, or a request that depends on an earlier answer)."""
    extract = CAPTURED.get(request.operation)
    if extract is None or request.depends_on is not None:
        return None
    return extract(request.json)


# --- packing ------------------------------------------------------------------------------

#: Profile identifiers a bulk request may repeat only at the cost described above.
IDENTIFIERS = ("email", "phone_number", "external_id", "_kx", "anonymous_id")

#: JSON around each event or profile (commas, an entry's envelope) and around the request,
#: counted on top of the items' own sizes: an upper bound, so a request is never over 5 MB.
_ITEM_OVERHEAD = 96
_REQUEST_OVERHEAD = 256
#: Requests being filled at once; an item that fits none of them starts a new one.
_OPEN = 8

_SECONDS = re.compile(r"\.\d+")


def _identities(profile: Mapping[str, Any]) -> list[tuple[str, str]]:
    attributes = profile.get("attributes") or {}
    found = [
        (name, attributes[name]) for name in IDENTIFIERS if isinstance(attributes.get(name), str)
    ]
    if isinstance(profile.get("id"), str):
        found.append(("id", profile["id"]))
    return found


def _event_keys(payload: Mapping[str, Any]) -> list[Hashable]:
    event = payload["event"]["attributes"]
    metric = event["metric"]["data"]["attributes"]["name"]
    unique = event.get("unique_id")
    if unique is None:  # Klaviyo's default: the event time to the second (spec)
        unique = "@" + _SECONDS.sub("", str(event.get("time") or ""))
    return [(kind, value, metric, unique) for kind, value in _identities(payload["profile"])]


def _mergeable(profile: Mapping[str, Any]) -> bool:
    return "id" not in profile and "meta" not in profile


def _merge(slot: Sequence[Pending]) -> dict[str, Any]:
    """One profile from consecutive identify calls, applied in order."""
    if len(slot) == 1:
        return slot[0].item.payload
    merged: dict[str, Any] = {}
    for pending in slot:
        for name, value in (pending.item.payload.get("attributes") or {}).items():
            earlier = merged.get(name)
            if name in ("location", "properties") and isinstance(earlier, dict):
                merged[name] = {**earlier, **value} if isinstance(value, dict) else value
            else:
                merged[name] = value
    return {"type": "profile", "attributes": merged}


def _slots(kind: str, items: Iterable[Pending]) -> list[tuple[tuple[Pending, ...], list[Hashable]]]:
    """Request units with their conflict keys: one per event; one per profile, consecutive
    calls with the same identifiers merged."""
    if kind == EVENT:
        return [((p,), _event_keys(p.item.payload)) for p in items]
    slots: list[tuple[list[Pending], list[Hashable]]] = []
    latest: dict[Hashable, int] = {}  # identity → index of the last slot naming it
    for p in items:
        keys: list[Hashable] = list(_identities(p.item.payload))
        last = max((latest.get(k, -1) for k in keys), default=-1)
        if (
            last >= 0
            and _mergeable(p.item.payload)
            and _mergeable(slots[last][0][0].item.payload)
            and set(slots[last][1]) == set(keys)
        ):
            slots[last][0].append(p)
            continue
        slots.append(([p], keys))
        for k in keys:
            latest[k] = len(slots) - 1
    return [(tuple(group), keys) for group, keys in slots]


@attrs.define
class _Filling:
    index: int
    slots: list[tuple[Pending, ...]] = attrs.field(factory=list)
    count: int = 0
    size: int = _REQUEST_OVERHEAD


def _counted(kind: str, slot: Sequence[Pending]) -> int:
    # The cap counts events for event jobs and profiles (merged: one) for import jobs.
    return len(slot) if kind == EVENT else 1


def pack(
    kind: str, items: Sequence[Pending], *, relationships: Optional[dict[str, Document]] = None
) -> list[Batch]:
    """The requests that deliver ``items`` (all of ``kind``, in call order), in send order;
    profile import jobs with ``relationships`` (the list a members add adds them to)."""
    cap, limit = caps(kind)
    filling: list[_Filling] = []
    closed: list[_Filling] = []
    batch_of: dict[Hashable, int] = {}  # conflict key → the latest request holding it
    created = 0
    for slot, keys in _slots(kind, items):
        count = _counted(kind, slot)
        size = sum(p.size for p in slot) + _ITEM_OVERHEAD * len(slot)
        floor = max((batch_of.get(k, -1) for k in keys), default=-1)
        target = next(
            (
                f
                for f in filling
                if f.index > floor and f.count + count <= cap and f.size + size <= limit
            ),
            None,
        )
        if target is None:
            target = _Filling(created)
            created += 1
            filling.append(target)
            if len(filling) > _OPEN:
                closed.append(filling.pop(0))
        target.slots.append(slot)
        target.count += count
        target.size += size
        for k in keys:
            batch_of[k] = target.index
        if target.count >= cap:
            filling.remove(target)
            closed.append(target)
    done = sorted(closed + filling, key=lambda f: f.index)
    return [_batch(kind, f.slots, relationships) for f in done]


@attrs.frozen
class Batch:
    """One bulk request and the buffered items it carries. ``slots`` are in request order: for
    events one per event (``entries`` holds the slot index each profile entry starts at), for
    profiles one per profile resource (several merged identify calls share one)."""

    kind: str
    slots: tuple[tuple[Pending, ...], ...]
    request: PlannedRequest
    entries: tuple[int, ...] = ()
    #: A profile import job's relationships (its list), kept by the batches a split sends.
    relationships: Optional[dict[str, Document]] = attrs.field(default=None, eq=False)

    @property
    def keys(self) -> tuple[int, ...]:
        """The buffer keys of every item carried."""
        return tuple(p.key for slot in self.slots for p in slot)

    @property
    def size(self) -> int:
        """Items carried (events, or identify calls and upserts)."""
        return sum(len(slot) for slot in self.slots)


def _batch(
    kind: str,
    slots: Sequence[tuple[Pending, ...]],
    relationships: Optional[dict[str, Document]] = None,
) -> Batch:
    return _event_batch(slots) if kind == EVENT else _profile_batch(slots, relationships)


def _event_batch(slots: Sequence[tuple[Pending, ...]]) -> Batch:
    # Group per profile: events of an identical profile block share one entry.
    groups: dict[str, tuple[Any, list[tuple[Pending, ...]]]] = {}
    for slot in slots:
        profile = slot[0].item.payload["profile"]
        # The translators build profile blocks in one key order, and JSON keeps it, so the
        # repr tells identical blocks apart at a fraction of an encoding's cost.
        key = repr(profile)
        found = groups.get(key)
        if found is None:
            groups[key] = (profile, [slot])
        else:
            found[1].append(slot)
    ordered: list[tuple[Pending, ...]] = []
    entries: list[int] = []
    data: list[EventBulkCreate] = []
    for profile, members in groups.values():
        entries.append(len(ordered))
        ordered.extend(members)
        events = Prebuilt([slot[0].item.payload["event"] for slot in members])
        data.append(
            EventBulkCreate(attributes=EventBulkCreateAttributes(Prebuilt(profile), events))
        )
    job = EventBulkCreateJob(attributes=EventBulkCreateJobAttributes(Document(data)))
    body = unstructure(Document(job))
    return Batch(EVENT, tuple(ordered), planned("bulk_create_events", json=body), tuple(entries))


def _profile_batch(
    slots: Sequence[tuple[Pending, ...]], relationships: Optional[dict[str, Document]]
) -> Batch:
    job = ProfileBulkImportJob(
        attributes=ProfileJobAttributes(Prebuilt([_merge(slot) for slot in slots])),
        relationships=relationships,
    )
    request = planned("bulk_import_profiles", json=unstructure(Document(job)))
    return Batch(PROFILE, tuple(slots), request, relationships=relationships)


# --- answers --------------------------------------------------------------------------------


@attrs.frozen
class Rejected:
    """An item Klaviyo refused, handed back: what was sent (``payload``: the event with its
    profile, or the profile), Klaviyo's ``reason``, and the buffer ``keys`` of the calls it
    came from (several identify calls merged into one profile share one)."""

    kind: str
    payload: dict[str, Any]
    reason: str
    keys: tuple[int, ...] = ()


@attrs.frozen
class Settlement:
    """What one answer means for a batch: ``delivered`` keys; ``rejected`` items; batches to
    ``resend`` at once (the split rest); ``failed``, the error that kept the whole batch
    pending; and the ``job_id`` of an accepted profile import job."""

    delivered: tuple[int, ...] = ()
    rejected: tuple[Rejected, ...] = ()
    resend: tuple[Batch, ...] = ()
    failed: Optional[BaseException] = None
    job_id: Optional[str] = None


#: Statuses that reject the content of a batch rather than the request as such: split it.
SPLIT_STATUSES = frozenset({400, 413})

_EVENT_POINTER = re.compile(
    r"^/data/attributes/events-bulk-create/data/(\d+)(?:/attributes/events/data/(\d+))?"
)
_PROFILE_POINTER = re.compile(r"^/data/attributes/profiles/data/(\d+)")


def _pointed(batch: Batch, pointer: Optional[str]) -> Optional[range]:
    """The slots the error ``pointer`` names (a whole entry when it names its profile)."""
    if not pointer:
        return None
    if batch.kind == PROFILE:
        found = _PROFILE_POINTER.match(pointer)
        if found is None or int(found.group(1)) >= len(batch.slots):
            return None
        i = int(found.group(1))
        return range(i, i + 1)
    found = _EVENT_POINTER.match(pointer)
    if found is None or int(found.group(1)) >= len(batch.entries):
        return None
    i = int(found.group(1))
    start = batch.entries[i]
    end = batch.entries[i + 1] if i + 1 < len(batch.entries) else len(batch.slots)
    if found.group(2) is None:
        return range(start, end)
    j = start + int(found.group(2))
    return range(j, j + 1) if j < end else None


def _reason(error: APIError) -> str:
    for detail in error.errors:
        text = detail.detail or detail.title
        where = f" (at {detail.source_pointer})" if detail.source_pointer else ""
        return f"{detail.code}: {text}{where}" if detail.code else f"{text}{where}"
    return str(error)


def _payload(batch: Batch, slot: Sequence[Pending]) -> dict[str, Any]:
    return slot[0].item.payload if batch.kind == EVENT else _merge(slot)


def _rejected(batch: Batch, slots: Iterable[tuple[Pending, ...]], reason: str) -> list[Rejected]:
    return [
        Rejected(batch.kind, _payload(batch, slot), reason, tuple(p.key for p in slot))
        for slot in slots
    ]


def settle(batch: Batch, outcome: Union[Reply, BaseException]) -> Settlement:
    """What ``outcome`` (the reply, or the error the request ended with) means for ``batch``."""
    if isinstance(outcome, Reply):
        job = None
        if batch.kind == PROFILE:
            body = outcome.response.json()
            data = body.get("data") if isinstance(body, dict) else None
            job = data.get("id") if isinstance(data, dict) else None
        return Settlement(delivered=batch.keys, job_id=job if isinstance(job, str) else None)
    if not isinstance(outcome, APIError) or outcome.status_code not in SPLIT_STATUSES:
        return Settlement(failed=outcome)
    reason = _reason(outcome)
    if len(batch.slots) == 1:
        return Settlement(rejected=tuple(_rejected(batch, batch.slots, reason)))
    pointer = outcome.errors[0].source_pointer if outcome.errors else None
    named = _pointed(batch, pointer) if outcome.status_code == 400 else None
    if named is not None:
        rest = [slot for i, slot in enumerate(batch.slots) if i not in named]
        bad = [batch.slots[i] for i in named]
        return Settlement(
            rejected=tuple(_rejected(batch, bad, reason)),
            resend=(_batch(batch.kind, rest, batch.relationships),) if rest else (),
        )
    half = len(batch.slots) // 2
    return Settlement(
        resend=(
            _batch(batch.kind, batch.slots[:half], batch.relationships),
            _batch(batch.kind, batch.slots[half:], batch.relationships),
        )
    )


# --- following a profile import job ----------------------------------------------------------

#: Job states after which nothing changes any more (spec ``status`` enum).
_FINAL = ("complete", "cancelled")

#: Import errors a page holds: the ``page[size]`` maximum of
#: ``get_errors_for_bulk_import_profiles_job`` (spec: 100).
IMPORT_ERRORS_PAGE_SIZE = 100


def _job_reply(job_id: str) -> Any:
    # Dry-run pretends the job finished with one failure, so the import-errors read shows.
    return dry_reply(
        200,
        {
            "data": {
                "type": "profile-bulk-import-job",
                "id": job_id,
                "attributes": {"status": "complete", "total_count": 1, "failed_count": 1},
            }
        },
    )


def _match(batch: Batch, error: Mapping[str, Any]) -> Optional[int]:
    """The slot an import error is about: by its pointer, else by the identifiers of its
    ``original_payload``."""
    source = error.get("source")
    named = _pointed(batch, source.get("pointer") if isinstance(source, Mapping) else None)
    if named is not None and len(named) == 1:
        return named[0]
    original = error.get("original_payload")
    if isinstance(original, Mapping):
        wanted = set(_identities(original)) or set(_identities({"attributes": original}))
        for i, slot in enumerate(batch.slots):
            if wanted and wanted <= set(_identities(_merge(slot))):
                return i
    return None


def follow_job(
    batch: Batch,
    job_id: str,
    *,
    depends_on: Optional[int] = None,
    interval: float = 1.0,
    max_wait: float = 600.0,
) -> Flow[list[Rejected]]:
    """Poll ``GET /api/profile-bulk-import-jobs/{job_id}`` until the job is complete or
    cancelled (waiting ``interval`` seconds, doubling up to 30, at most ``max_wait`` in
    all), then read ``GET .../{id}/import-errors``: the profiles of ``batch`` the job did not
    import, with Klaviyo's reasons. A cancelled job hands back what it did not complete."""
    waited, delay = 0.0, interval
    while True:
        reply = yield from send(
            Step(
                planned(
                    "get_bulk_import_profiles_job",
                    path_params={"job_id": job_id},
                    depends_on=depends_on,
                ),
                dry_run_reply=_job_reply(job_id),
            )
        )
        body = reply.response.json()
        data = body.get("data") if isinstance(body, dict) else None
        attributes = (data or {}).get("attributes") if isinstance(data, dict) else None
        attributes = attributes if isinstance(attributes, dict) else {}
        status = attributes.get("status")
        if status in _FINAL:
            break
        if waited >= max_wait:
            yield from notice(
                f"profile import job {job_id} is still {status} after {waited:.0f} s; profiles "
                "it fails to import later are not reported"
            )
            return []
        yield from pause(delay)
        waited += delay
        delay = min(delay * 2, 30.0)
    failed = attributes.get("failed_count")
    if status == "cancelled":
        return _rejected(batch, batch.slots, f"the import job {job_id} was cancelled")
    if not isinstance(failed, int) or failed <= 0:
        return []
    errors = yield from walk(
        planned(
            "get_errors_for_bulk_import_profiles_job",
            path_params={"id": job_id},
            params=(("page[size]", str(IMPORT_ERRORS_PAGE_SIZE)),),
            depends_on=depends_on,
            note=f"sent only if job {job_id} reports failed profiles",
        ),
        max_pages=math.ceil(failed / IMPORT_ERRORS_PAGE_SIZE) + 1,
    )
    out: list[Rejected] = []
    for resource in errors.items:
        error = resource.get("attributes") if isinstance(resource, Mapping) else None
        if not isinstance(error, Mapping):
            continue
        text = str(error.get("detail") or error.get("title") or "not imported")
        reason = f"{error.get('code')}: {text}" if error.get("code") else text
        slot = _match(batch, error)
        if slot is None:
            original = error.get("original_payload")
            out.append(
                Rejected(PROFILE, dict(original) if isinstance(original, Mapping) else {}, reason)
            )
        else:
            out.extend(_rejected(batch, [batch.slots[slot]], reason))
    return out


def step(batch: Batch) -> Step:
    """How ``batch`` is sent; dry-run answers a profile import with a job whose id is a
    placeholder, so its follow-up shows in the plan."""
    if batch.kind != PROFILE:
        return Step(batch.request)
    job = {
        "type": "profile-bulk-import-job",
        "id": placeholder("id of the profile import job from the answer"),
        "attributes": {"status": "queued"},
    }
    return Step(batch.request, dry_run_reply=dry_reply(202, {"data": job}))
