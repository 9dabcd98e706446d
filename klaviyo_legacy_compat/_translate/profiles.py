"""Legacy identify → create-or-update of a profile.

- Default (``identify_mode="upsert"``): ``POST /api/profile-import`` (create_or_update_profile),
  one call and no race; 201 created or 200 updated (users-and-peers.md §1.10).
- ``identify_mode="split"``: ``POST /api/profiles``, and on ``409 duplicate_profile`` a
  ``PATCH /api/profiles/{meta.duplicate_profile_id}``, as Segment and others do.
- Public key only: ``POST /client/profiles?company_id=`` (202, identifiers of an existing
  profile are not changed).

When email and phone number belong to two different profiles, Klaviyo answers 409 even to
an upsert (klaviyo-api-php#63, klaviyo-api-node#74). Legacy identify merged quietly and
answered ``1``. The ``identify_conflict`` option decides: ``drop_phone`` (default) retries
without the phone number, ``drop_email`` without the email, ``raise`` raises
:class:`ConflictError`. A retry is sent only when both identifiers were given.

Legacy identify answered ``1``; so does this.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Optional

import attrs

from klaviyo_legacy_compat._bodies import Document, ProfileAttributes, Resource
from klaviyo_legacy_compat._calls import IdentifyCall
from klaviyo_legacy_compat._catalogue import LegacyEndpoint
from klaviyo_legacy_compat._config import Options
from klaviyo_legacy_compat._convert import unstructure
from klaviyo_legacy_compat._errors import ConflictError, MissingIdentifierError, error_from_response
from klaviyo_legacy_compat._flow import Flow, Reply, Step, notice, send
from klaviyo_legacy_compat._models import PlannedRequest
from klaviyo_legacy_compat._translate._jsonapi import dry_reply, placeholder, planned
from klaviyo_legacy_compat._translate._profile import split_profile
from klaviyo_legacy_compat._wire import CallRoute

__all__ = ["CATALOGUE", "IDENTIFY_RULE", "ROUTES", "TRANSLATORS", "plan_identify", "upsert_request"]

IDENTIFY_RULE = "must identify a user by email or ID ($email, $phone_number, $id or $exchange_id)"

#: identify_conflict policy → the identifier left out of the retry.
CONFLICT_DROPS: dict[str, Optional[str]] = {
    "drop_phone": "phone_number",
    "drop_email": "email",
    "raise": None,
}


def _conflict_reply(index_hint: str) -> Any:
    # What dry-run pretends Klaviyo answered, so the conditional request can be shown.
    return dry_reply(
        409,
        {
            "errors": [
                {
                    "id": placeholder("error id"),
                    "status": 409,
                    "code": "duplicate_profile",
                    "title": "Conflict.",
                    "detail": "A profile already exists with one of these identifiers.",
                    "meta": {"duplicate_profile_id": placeholder(index_hint)},
                }
            ]
        },
    )


def upsert_request(
    attributes: ProfileAttributes, *, depends_on: Optional[int] = None, note: Optional[str] = None
) -> PlannedRequest:
    """``POST /api/profile-import`` for one profile."""
    body = unstructure(Document(Resource("profile", attributes=attributes)))
    return planned("create_or_update_profile", json=body, depends_on=depends_on, note=note)


def _without(attributes: ProfileAttributes, identifier: str) -> ProfileAttributes:
    return attrs.evolve(attributes, **{identifier: None})


def _conflict_retry(
    reply: Reply, attributes: ProfileAttributes, options: Options, build: Any
) -> Flow[Reply]:
    """Apply the ``identify_conflict`` policy to a 409 ``reply``: re-send without the dropped
    identifier, or raise."""
    drop = CONFLICT_DROPS[options.identify_conflict]
    if drop is None or not (attributes.email and attributes.phone_number):
        raise error_from_response(reply.response, reply.request)
    yield from notice(
        "identify: when email and phone_number belong to two different profiles Klaviyo "
        f"answers 409; identify_conflict={options.identify_conflict!r} then re-sends request "
        f"{reply.index} without {drop}"
    )
    note = f"sent only if request {reply.index} answers 409 (identifiers on two profiles)"
    retry: PlannedRequest = build(_without(attributes, drop), reply.index, note)
    return (yield from send(retry))


def plan_identify(call: IdentifyCall, *, server_side: bool, options: Options) -> Flow[int]:
    """The flow of one legacy identify call; returns the legacy ``1``."""
    if call.is_test and options.test_calls == "skip":
        yield from notice(
            "is_test=True: the new API has no test mode, so this profile update is not sent "
            "(option test_calls='send' sends it)"
        )
        return 1
    attributes, notices = split_profile(call.properties, "properties")
    if not attributes.has_identifier:
        raise MissingIdentifierError("properties", IDENTIFY_RULE)
    for key in call.ignored_keys:
        yield from notice(f"payload key {key!r} has no meaning in an identify call and is ignored")
    for text in notices:
        yield from notice(text)
    if not server_side:
        yield from notice(
            "only a public key is available: sent to POST /client/profiles, which never changes "
            "the identifiers of an existing profile",
            logging.INFO,
        )
        body = unstructure(Document(Resource("profile", attributes=attributes)))
        yield from send(planned("create_client_profile", json=body))
        return 1
    if options.identify_mode == "split":
        yield from _split(attributes, options)
        return 1
    first = Step(
        upsert_request(attributes),
        handles=frozenset({409}),
        dry_run_reply=_conflict_reply("id of the profile holding the other identifier")
        if attributes.email and attributes.phone_number and options.identify_conflict != "raise"
        else None,
    )
    reply = yield from send(first)
    if reply.response.status == 409:
        yield from _conflict_retry(
            reply,
            attributes,
            options,
            lambda a, index, note: upsert_request(a, depends_on=index, note=note),
        )
    return 1


def _patch_request(
    attributes: ProfileAttributes, profile_id: str, depends_on: int, note: str
) -> PlannedRequest:
    body = unstructure(Document(Resource("profile", id=profile_id, attributes=attributes)))
    return planned(
        "update_profile",
        path_params={"id": profile_id},
        json=body,
        depends_on=depends_on,
        note=note,
    )


def _split(attributes: ProfileAttributes, options: Options) -> Flow[None]:
    """``POST /api/profiles``; on 409 ``duplicate_profile``, ``PATCH`` the duplicate."""
    body = unstructure(Document(Resource("profile", attributes=attributes)))
    created = yield from send(
        Step(
            planned("create_profile", json=body),
            handles=frozenset({409}),
            dry_run_reply=_conflict_reply("duplicate_profile_id from the 409 answer to request 0"),
        )
    )
    if created.response.status != 409:
        return
    duplicate = error_from_response(created.response, created.request)
    profile_id = duplicate.duplicate_profile_id if isinstance(duplicate, ConflictError) else None
    if profile_id is None:
        raise duplicate
    note = f"sent only if request {created.index} answers 409 duplicate_profile"
    patched = yield from send(
        Step(
            _patch_request(attributes, profile_id, created.index, note),
            handles=frozenset({409}),
        )
    )
    if patched.response.status == 409:
        yield from _conflict_retry(
            patched,
            attributes,
            options,
            lambda a, index, n: _patch_request(a, profile_id, index, n),
        )


#: The legacy person endpoints' tables (see ``_translate/__init__`` and ``_wire.routes``).
TRANSLATORS: dict[type[Any], Callable[..., Flow[Any]]] = {}
ROUTES: tuple[CallRoute, ...] = ()
CATALOGUE: tuple[LegacyEndpoint, ...] = ()
