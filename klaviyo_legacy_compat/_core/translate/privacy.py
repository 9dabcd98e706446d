"""Legacy v2 data privacy: a profile deletion request → a deletion job (the record of
:data:`ENDPOINTS`).

A deletion request names exactly one of ``email``, ``phone_number`` or ``person_id``
(``klaviyo`` 3.1.7 ``request_profile_deletion(identifier, id_type)`` sent ``{<id_type>:
identifier}``; ``klaviyo-sdk`` ``request_deletion(body=...)``) and becomes ``POST
/api/data-privacy-deletion-jobs`` (request_profile_deletion) with
``profile.data.attributes.email`` / ``.phone_number``, or ``profile.data.id`` for a
``person_id`` (new-api.md §3.6: exactly one identifier, or the API answers an error).

Differences: the job deletes **all** profiles matching the identifier, asynchronously (202);
the older legacy docs said only one of several matching profiles was deleted. A phone number
must be E.164, as the new API requires.

The legacy endpoint answered 200 with the text "Submitted new deletion task for customer."
(v1-2 request-deletion reference); ``klaviyo-sdk`` handed its callers ``str()`` of the
parsed body (legacy-surface.md B.5). The body returned here is the JSON object
``{"message": "Submitted new deletion task for customer."}``: the legacy text, under the key
legacy v1 error bodies used for text (``{"status", "message"}``), so code that logs or
prints the answer still shows the same sentence.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Callable, Optional

import attrs

from klaviyo_legacy_compat._core.bodies import Document, ProfileAttributes, Resource
from klaviyo_legacy_compat._core.config import Options
from klaviyo_legacy_compat._core.convert import unstructure
from klaviyo_legacy_compat._core.documents import DataPrivacyDeletionJob, DeletionAttributes
from klaviyo_legacy_compat._core.errors import TranslationError
from klaviyo_legacy_compat._core.flow import Flow, notice, send
from klaviyo_legacy_compat._core.legacy_endpoint import EXAMPLE_KEY, LegacyEndpoint
from klaviyo_legacy_compat._core.parse import IDENTIFIER_CHECKS, parse_id, single
from klaviyo_legacy_compat._core.translate._jsonapi import planned

__all__ = [
    "CONFIRMATION",
    "ENDPOINTS",
    "TRANSLATORS",
    "DeletionRequestCall",
    "plan_deletion_request",
]

#: What the legacy endpoint answered (v1-2 request-deletion reference).
CONFIRMATION = "Submitted new deletion task for customer."

#: Legacy identifier (``id_type``) → how its value is checked, and where the job carries it:
#: an attribute of the profile, or its ``id`` (``None``).
ID_TYPES: Mapping[str, tuple[Callable[[Any, str], str], Optional[str]]] = {
    "email": (IDENTIFIER_CHECKS["email"], "email"),
    "phone_number": (IDENTIFIER_CHECKS["phone_number"], "phone_number"),
    "person_id": (parse_id, None),
}
RULE = "give exactly one of email, phone_number or person_id"


@attrs.frozen
class DeletionRequestCall:
    """``POST /v2/data-privacy/deletion-request``: one identifier, checked."""

    id_type: str
    identifier: str


def _profile(call: DeletionRequestCall) -> Resource:
    attribute = ID_TYPES[call.id_type][1]
    if attribute is None:
        # The schema requires "attributes" even when the profile is named by its id.
        return Resource("profile", id=call.identifier, attributes={})
    named: dict[str, Any] = {attribute: call.identifier}
    return Resource("profile", attributes=ProfileAttributes(**named))


def plan_deletion_request(call: DeletionRequestCall, *, options: Options) -> Flow[dict[str, str]]:
    """The flow of a legacy deletion request; returns ``{"message": CONFIRMATION}``."""
    del options  # no option changes a deletion request
    yield from notice(
        f"deletion request: every profile matching {call.id_type} is deleted, asynchronously "
        "(the new job answers 202)"
    )
    job = DataPrivacyDeletionJob(attributes=DeletionAttributes(Document(_profile(call))))
    yield from send(planned("request_profile_deletion", json=unstructure(Document(job))))
    return {"message": CONFIRMATION}


def _deletion(params: Mapping[str, Any], path: Mapping[str, str]) -> DeletionRequestCall:
    del path
    given = [name for name in ID_TYPES if params.get(name) not in (None, "")]
    if len(given) != 1:
        raise TranslationError(given[1] if given else "email", f"{RULE}, got {len(given)}")
    id_type = given[0]
    check = ID_TYPES[id_type][0]
    return DeletionRequestCall(id_type, check(single(params[id_type], id_type), id_type))


TRANSLATORS: dict[type[Any], Callable[..., Flow[Any]]] = {
    DeletionRequestCall: plan_deletion_request,
}

ENDPOINTS: tuple[LegacyEndpoint, ...] = (
    LegacyEndpoint(
        "POST",
        "/api/v2/data-privacy/deletion-request",
        _deletion,
        ("DataPrivacy.request_profile_deletion",),
        ("DataPrivacy.request_deletion",),
        {
            "method": "POST",
            "url": "https://a.klaviyo.com/api/v2/data-privacy/deletion-request",
            "json": {"api_key": EXAMPLE_KEY, "email": "ann@example.com"},
        },
        (
            "a deletion job: `email` and `phone_number` (E.164) as profile attributes, "
            "`person_id` as the profile id; exactly one of them",
            "every matching profile is deleted, asynchronously (the job answers 202)",
            f'answers `{{"message": "{CONFIRMATION}"}}`: the legacy text in a JSON object',
        ),
    ),
)
