"""The answers of Klaviyo's JSON:API that every operation of
:class:`~klaviyo_legacy_compat.testing.LocalKlaviyo` shares: the request as a handler sees it
(:class:`Call`) and its answer (:class:`Reply`), JSON:API error documents (new-api.md §4) and
the table mapping store failures to them, sparse fieldsets and additional fields (§8), cursor
pages (§5), and the rendering of a profile. Nothing here knows HTTP or a particular
operation; what a request body must hold is ``_validation``'s, the ``filter`` and ``sort``
parameters ``_filters``'.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Collection, Mapping, Sequence
from typing import Any, Optional, TypeVar
from urllib.parse import urlencode

import attrs

from klaviyo_legacy_compat._core.endpoints import Endpoint
from klaviyo_legacy_compat.testing._store_records import (
    LOCATION_FIELDS,
    DuplicateProfile,
    Invalid,
    Job,
    NotFound,
    NotImplementedHere,
    Profile,
    StoreError,
)

__all__ = [
    "RENDERED_PROFILE_ATTRIBUTES",
    "Call",
    "Reply",
    "additional",
    "decode_cursor",
    "encode_cursor",
    "error",
    "id_mismatch",
    "includes",
    "job_document",
    "one",
    "page",
    "relationship",
    "render_profile",
    "resource",
    "sparse",
    "store_error",
    "subscriptions_of",
]

T = TypeVar("T")

# --- the request and its answer ---------------------------------------------------------------


@attrs.frozen
class Call:
    """One authenticated request, as a handler sees it."""

    row: Endpoint
    path: str
    path_params: Mapping[str, str]
    query: Mapping[str, str]
    body: Any
    base_url: str

    @property
    def client(self) -> bool:
        return self.row.is_client

    def url(self, query: Optional[Mapping[str, str]] = None) -> str:
        params = self.query if query is None else query
        return self.base_url + self.path + ("?" + urlencode(params) if params else "")


@attrs.frozen
class Reply:
    """An answer: status, JSON body (``None`` for none) and extra headers."""

    status: int
    body: Any = None
    headers: tuple[tuple[str, str], ...] = ()


# --- errors (new-api.md §4) -------------------------------------------------------------------

#: Status → (default code, title) of the JSON:API errors this server writes (new-api.md §4;
#: codes and titles as seen in Klaviyo's answers where known).
_ERROR_TEXT: dict[int, tuple[str, str]] = {
    400: ("invalid", "Invalid input."),
    401: ("not_authenticated", "Authentication credentials were not provided."),
    403: ("permission_denied", "You do not have permission to perform this action."),
    404: ("not_found", "Not found."),
    405: ("method_not_allowed", "Method not allowed."),
    409: ("conflict", "Conflict."),
    429: ("throttled", "Request was throttled."),
    500: ("error", "A server error occurred."),
    501: ("not_implemented", "Not implemented."),
    503: ("service_unavailable", "Service temporarily unavailable."),
}

#: Store failure → (status, code).
_STORE_ERRORS: dict[type[StoreError], tuple[int, str]] = {
    Invalid: (400, "invalid"),
    NotImplementedHere: (501, "not_implemented"),
    NotFound: (404, "not_found"),
    DuplicateProfile: (409, "duplicate_profile"),
}


def error(
    status: int,
    detail: str,
    *,
    code: Optional[str] = None,
    pointer: Optional[str] = None,
    parameter: Optional[str] = None,
    meta: Optional[Mapping[str, Any]] = None,
    headers: tuple[tuple[str, str], ...] = (),
) -> Reply:
    """A JSON:API error document (new-api.md §4)."""
    default_code, title = _ERROR_TEXT.get(status, ("error", "Error."))
    source: dict[str, str] = {}
    if pointer is not None:
        source["pointer"] = pointer
    if parameter is not None:
        source["parameter"] = parameter
    item: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "status": status,
        "code": code or default_code,
        "title": title,
        "detail": detail,
        "source": source,
    }
    if meta:
        item["meta"] = dict(meta)
    return Reply(status, {"errors": [item]}, headers)


def store_error(exc: StoreError) -> Reply:
    """The JSON:API error of a store failure."""
    status, code = _STORE_ERRORS.get(type(exc), (400, "invalid"))
    meta = {"duplicate_profile_id": exc.profile_id} if isinstance(exc, DuplicateProfile) else None
    return error(
        status, exc.detail, code=code, pointer=exc.pointer, parameter=exc.parameter, meta=meta
    )


def id_mismatch(body_id: Any, call: Call, key: str = "id") -> Optional[Reply]:
    """The 409 of a request whose ``data.id`` is not the path's ``{key}`` (JSON:API), or
    ``None`` when they are the same."""
    if body_id == call.path_params[key]:
        return None
    return error(409, "The id in the body does not match the id in the path.", pointer="/data/id")


# --- documents (new-api.md §8) ----------------------------------------------------------------


def sparse(attributes: dict[str, Any], fields: Optional[str]) -> dict[str, Any]:
    """Sparse fieldsets ``fields[type]=a,b,location.city`` (new-api.md §8)."""
    if not fields:
        return attributes
    out: dict[str, Any] = {}
    for name in (f.strip() for f in fields.split(",")):
        head, _, sub = name.partition(".")
        if head not in attributes:
            continue
        if sub and isinstance(attributes[head], dict):
            out.setdefault(head, {})[sub] = attributes[head].get(sub)
        else:
            out[head] = attributes[head]
    return out


def additional(query: Mapping[str, str], type_: str) -> set[str]:
    """The names of ``additional-fields[type_]`` (new-api.md §8)."""
    return {f.strip() for f in query.get(f"additional-fields[{type_}]", "").split(",") if f}


def includes(
    call: Call, allowed: Optional[Collection[str]] = None, *, of: str = "here"
) -> list[str]:
    """The relationships ``include`` names, in order (new-api.md §8). Given ``allowed``, the
    first name not among them is a 400: "'x' is not a relationship {of}."."""
    names = [name for name in call.query.get("include", "").split(",") if name]
    for name in names:
        if allowed is not None and name not in allowed:
            raise Invalid(f"'{name}' is not a relationship {of}.", parameter="include")
    return names


def resource(
    call: Call,
    type_: str,
    id_: str,
    attributes: dict[str, Any],
    *,
    path: str,
    relationships: Optional[dict[str, Any]] = None,
    fieldsets: bool = True,
) -> dict[str, Any]:
    """A resource object: ``type``, ``id``, ``attributes`` as ``fields[type_]`` asks (sparse
    fieldsets, unless ``fieldsets`` is false), ``relationships`` when given, and
    ``links.self``, the resource's URL as Klaviyo writes it: ``<base_url><path>/``."""
    fields = call.query.get(f"fields[{type_}]") if fieldsets else None
    out: dict[str, Any] = {"type": type_, "id": id_, "attributes": sparse(attributes, fields)}
    if relationships is not None:
        out["relationships"] = relationships
    out["links"] = {"self": f"{call.base_url}{path}/"}
    return out


def relationship(base: str, name: str, data: Any) -> dict[str, Any]:
    """Relationship ``name`` of the resource at URL ``base``: its linkage ``data`` and its
    ``self`` and ``related`` links."""
    return {
        "data": data,
        "links": {"self": f"{base}/relationships/{name}/", "related": f"{base}/{name}/"},
    }


def one(call: Call, data: Any, status: int = 200) -> Reply:
    """The answer holding one resource, linked to the request's own URL."""
    return Reply(status, {"data": data, "links": {"self": call.url()}})


def job_document(call: Call, job: Job, path: str) -> dict[str, Any]:
    """The answer document of a bulk job at ``<path>/<id>``; job attributes are answered
    whole (no sparse fieldsets)."""
    return {
        "data": resource(
            call, job.type, job.id, dict(job.attributes), path=f"{path}/{job.id}", fieldsets=False
        )
    }


#: The profile attributes an answer renders, in the spec's order.
RENDERED_PROFILE_ATTRIBUTES = (
    "email",
    "phone_number",
    "external_id",
    "first_name",
    "last_name",
    "organization",
    "locale",
    "title",
    "image",
)


def subscriptions_of(profile: Profile) -> dict[str, Any]:
    """``attributes.subscriptions`` (spec ``Subscriptions``: ``EmailMarketing``,
    ``SMSMarketing``)."""
    suppressed = profile.global_suppressions
    return {
        "email": {
            "marketing": {
                # "True if it does profile does not have any global suppressions" (spec).
                "can_receive_email_marketing": profile.email is not None and not suppressed,
                "consent": profile.email_consent,
                "consent_timestamp": profile.email_consent_timestamp,
                "last_updated": profile.email_consent_timestamp,
                "suppression": [{"reason": s.reason, "timestamp": s.timestamp} for s in suppressed],
                "list_suppressions": [
                    {"list_id": s.list_id, "reason": s.reason, "timestamp": s.timestamp}
                    for s in profile.suppressions
                    if s.list_id is not None
                ],
            }
        },
        "sms": {
            "marketing": {
                "can_receive_sms_marketing": profile.phone_number is not None
                and profile.sms_consent == "SUBSCRIBED",
                "consent": profile.sms_consent,
                "consent_timestamp": profile.sms_consent_timestamp,
                "last_updated": profile.sms_consent_timestamp,
            }
        },
    }


def render_profile(
    call: Call, profile: Profile, extra: Optional[Mapping[str, Any]] = None
) -> dict[str, Any]:
    """A ``profile`` resource (spec ``ProfileResponseObjectResource``), ``extra`` attributes
    added (``joined_group_at``), sparse per ``fields[profile]``, with ``subscriptions`` when
    ``additional-fields[profile]`` asks."""
    location = profile.attributes.get("location") or {}
    attributes: dict[str, Any] = {
        name: profile.attributes.get(name) for name in RENDERED_PROFILE_ATTRIBUTES
    }
    attributes.update(
        created=profile.created,
        updated=profile.updated,
        last_event_date=profile.last_event_date,
        location={name: location.get(name) for name in sorted(LOCATION_FIELDS)},
        properties=dict(profile.properties),
    )
    attributes.update(extra or {})
    out = resource(call, "profile", profile.id, attributes, path=f"/api/profiles/{profile.id}")
    if "subscriptions" in additional(call.query, "profile"):
        out["attributes"]["subscriptions"] = subscriptions_of(profile)
    return out


# --- pages (new-api.md §5) --------------------------------------------------------------------

_CURSOR_PREFIX = "lk1:"


def encode_cursor(offset: int) -> str:
    """The opaque ``page[cursor]`` of the page starting at ``offset``."""
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{offset}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The offset a cursor of :func:`encode_cursor` stands for; 400 for any other text."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not text.startswith(_CURSOR_PREFIX):
            raise ValueError(text)
        return max(0, int(text[len(_CURSOR_PREFIX) :]))
    except ValueError:
        raise Invalid("Invalid page cursor.", parameter="page[cursor]") from None


def page(
    call: Call, items: Sequence[T], *, default: int, maximum: int
) -> tuple[Sequence[T], dict[str, Any]]:
    """One page and its ``links`` (cursor pagination; new-api.md §5: ``links.next`` is a
    full URL carrying ``page[cursor]`` and the original parameters)."""
    raw = call.query.get("page[size]")
    try:
        size = default if raw is None else int(raw)
    except ValueError:
        size = 0
    if not 1 <= size <= maximum:
        raise Invalid(f"page[size] must be an integer from 1 to {maximum}.", parameter="page[size]")
    cursor = call.query.get("page[cursor]")
    offset = 0 if cursor is None else decode_cursor(cursor)
    links: dict[str, Any] = {"self": call.url()}
    if offset + size < len(items):
        links["next"] = call.url({**call.query, "page[cursor]": encode_cursor(offset + size)})
    if offset > 0:
        links["prev"] = call.url(
            {**call.query, "page[cursor]": encode_cursor(max(0, offset - size))}
        )
    return items[offset : offset + size], links
