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

The v1 person and v2 people endpoints are translated below :func:`plan_identify` (their
records are :data:`ENDPOINTS`).

Reading a person is ``GET /api/profiles/{id}`` (get_profile), answered with
:func:`legacy_person`: the v1 person object rebuilt from the profile by inverting
``PROFILE_KEYS`` (``$email``, ``$id`` for ``external_id``, ``$city`` for ``location.city``,
...), custom properties flattened beside them, ``created``/``updated`` as v1 wrote them
(``YYYY-MM-DD HH:MM:SS``, UTC). Fields without a value are left out, as is anything the
profile does not carry. ``$locale`` appears when the profile has a locale (``PROFILE_KEYS``
maps it; the v1 person had none).

Updating a person is ``PATCH /api/profiles/{id}`` (update_profile): ``$``-keys mapped by
``split_profile``, every other key to ``properties``; ``$unset`` (a JSON list) →
``meta.patch_properties.unset``, except the ``$``-keys it names, whose attribute is cleared
with an explicit ``null`` (new-api.md §3.2). The legacy properties travelled in the query
string, so they arrive as strings (``klaviyo`` 3.1.7 through ``requests``, ``klaviyo-sdk``
through ``str()``: ``True`` is ``"True"``, a list its ``repr``) and are sent as those
strings: a type is never guessed. A list given as a Python value (``requests`` sent it as a
repeated key) is sent as a list of strings. ``$exchange_id`` cannot be set by a PATCH and is
refused. It answers the updated person (the PATCH response as :func:`legacy_person`); an
update without any property reads the person instead.

The people search (exactly one of ``email``, ``phone_number``, ``external_id``) is ``GET
/api/profiles?filter=equals(<field>,"<value>")``: the value is JSON-quoted and the whole
parameter URL-encoded by the transport, so a ``+`` in an email survives (users-and-peers.md
§1.12). It answers ``{"id": ...}``; no match raises :class:`NotFoundError` (404), as the
legacy endpoint answered. The exchange (``exchange_id``) is the same lookup by
``equals(_kx,"...")``, answering ``{"id": ...}`` or raising :class:`NotFoundError`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Callable, Optional

import attrs

from klaviyo_legacy_compat._core.bodies import Document, ProfileAttributes, Resource
from klaviyo_legacy_compat._core.calls import IdentifyCall
from klaviyo_legacy_compat._core.config import Options
from klaviyo_legacy_compat._core.convert import unstructure
from klaviyo_legacy_compat._core.errors import (
    ConflictError,
    MissingIdentifierError,
    NotFoundError,
    TranslationError,
    UnsupportedLegacyFeatureError,
    error_from_response,
)
from klaviyo_legacy_compat._core.flow import Flow, Notice, Reply, Step, notice, notices, send
from klaviyo_legacy_compat._core.legacy_endpoint import EXAMPLE_KEY, LegacyEndpoint
from klaviyo_legacy_compat._core.legacy_keys import PROFILE_KEYS
from klaviyo_legacy_compat._core.models import PlannedRequest
from klaviyo_legacy_compat._core.parse import (
    IDENTIFIER_CHECKS,
    json_param,
    parse_id,
    parse_name,
    single,
    string_list,
)
from klaviyo_legacy_compat._core.translate._jsonapi import (
    dry_reply,
    filter_equals,
    items_of,
    placeholder,
    planned,
    resource_of,
)
from klaviyo_legacy_compat._core.translate._legacy import legacy_time
from klaviyo_legacy_compat._core.translate._profile import missing_rule, split_profile

__all__ = [
    "ENDPOINTS",
    "IDENTIFY_RULE",
    "PERSON_KEYS",
    "TRANSLATORS",
    "PeopleExchangeCall",
    "PeopleSearchCall",
    "PersonCall",
    "PersonUpdateCall",
    "legacy_person",
    "plan_exchange",
    "plan_get_person",
    "plan_identify",
    "plan_search_people",
    "plan_update_person",
    "upsert_request",
    "upsert_step",
]

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


def upsert_step(attributes: ProfileAttributes, position: int) -> Step:
    """The upsert of the legacy profile at ``profiles[position]`` as a step whose dry-run
    answer carries a placeholder for the profile id Klaviyo answers (spec
    ``create_or_update_profile`` answers the profile), so what depends on it can be shown."""
    return Step(
        upsert_request(attributes),
        dry_run_reply=dry_reply(
            201,
            {
                "data": {
                    "type": "profile",
                    "id": placeholder(f"profile id of profiles[{position}]"),
                    "attributes": {},
                }
            },
        ),
    )


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
    attributes, found = split_profile(call.properties, "properties", options=options)
    if not attributes.has_identifier:
        raise MissingIdentifierError("properties", missing_rule(IDENTIFY_RULE, found))
    yield from notices(call.notes)
    for key in call.ignored_keys:
        yield from notice(f"payload key {key!r} has no meaning in an identify call and is ignored")
    yield from notices(found)
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
    if attributes.kx:
        # Neither create_profile nor update_profile takes _kx (spec ProfileCreateQuery,
        # ProfilePartialUpdateQuery); only the upsert does.
        yield from notice(
            "identify_mode='split': $exchange_id cannot be sent to POST/PATCH /api/profiles and "
            "is dropped (identify_mode='upsert' sends it)"
        )
        attributes = attrs.evolve(attributes, kx=None)
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


# --- the v1 person object -------------------------------------------------------------------

#: New attribute (dotted for ``location.*``) → the ``$``-key a v1 person showed it under:
#: ``PROFILE_KEYS`` inverted (its first spelling of each attribute is the ``$``-key).
PERSON_KEYS: tuple[tuple[str, str], ...] = tuple(
    (attribute, keys[0]) for attribute, keys in PROFILE_KEYS
)

#: The response spells the exchange id ``_kx`` (``kx`` in ``_bodies``).
_RESPONSE_NAMES = {"kx": "_kx"}


def _dotted(attributes: Mapping[str, Any], attribute: str) -> Any:
    node: Any = attributes
    for part in _RESPONSE_NAMES.get(attribute, attribute).split("."):
        node = node.get(part) if isinstance(node, Mapping) else None
    return node


def legacy_person(profile_resource: Mapping[str, Any]) -> dict[str, Any]:
    """The v1 person object (``{"object": "person", "id", "$email", ..., "created",
    "updated", <custom properties>}``) rebuilt from a new-API profile resource.

    Attributes and ``location`` go back to their ``$``-keys (:data:`PERSON_KEYS`), times to
    the v1 layout, custom properties beside them (a custom property never hides a ``$``-key
    or ``id``). Fields without a value are left out: the v1 person left them out too.
    """
    attributes = profile_resource.get("attributes")
    if not isinstance(attributes, Mapping):
        attributes = {}
    person: dict[str, Any] = {"object": "person"}
    if profile_resource.get("id") is not None:
        person["id"] = profile_resource["id"]
    for attribute, key in PERSON_KEYS:
        value = _dotted(attributes, attribute)
        if value is not None and value != "":
            person[key] = value
    for stamp in ("created", "updated"):
        moment = legacy_time(attributes.get(stamp))
        if moment is not None:
            person[stamp] = moment
    custom = attributes.get("properties")
    if isinstance(custom, Mapping):
        for key, value in custom.items():
            person.setdefault(key, value)
    return person


# --- GET /v1/person/{id} ----------------------------------------------------------------------


@attrs.frozen
class PersonCall:
    """``GET /v1/person/{person_id}``: one person."""

    person_id: str


def _get_profile(person_id: str) -> PlannedRequest:
    return planned("get_profile", path_params={"id": person_id})


def plan_get_person(call: PersonCall, *, options: Options) -> Flow[dict[str, Any]]:
    """The flow of ``GET /v1/person/{id}``; returns the v1 person object."""
    del options  # no option changes a read
    reply = yield from send(_get_profile(call.person_id))
    return legacy_person(resource_of(reply.response.json()))


def _person(params: Mapping[str, Any], path: Mapping[str, str]) -> PersonCall:
    del params  # the legacy call took none beyond the key
    return PersonCall(parse_id(path["person_id"], "person_id"))


# --- PUT /v1/person/{id} ----------------------------------------------------------------------

#: The legacy query key that removes properties (legacy-surface.md E.3).
UNSET_KEY = "$unset"

#: ``$``-key → the attribute it names, for ``$unset`` (``PROFILE_KEYS``' ``$``-spellings).
_UNSET_ATTRIBUTES: dict[str, str] = {
    keys[0]: attribute for attribute, keys in PROFILE_KEYS if keys[0].startswith("$")
}


@attrs.frozen
class PersonUpdateCall:
    """``PUT /v1/person/{person_id}``: the properties as the query string carried them
    (strings; a list of strings for a repeated key) and the names ``$unset`` lists."""

    person_id: str
    properties: Mapping[str, Any] = attrs.field(factory=dict)
    unset: tuple[str, ...] = ()


def _as_sent(value: Any, field: str) -> Any:
    """A property value as the legacy query string carried it: ``requests`` and
    ``klaviyo-sdk`` wrote every value with ``str()`` (``True`` → ``"True"``)."""
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, int, float, Decimal)):
        return str(value)
    if isinstance(value, (list, tuple)):
        items = [_as_sent(item, f"{field}[{i}]") for i, item in enumerate(value)]
        if any(isinstance(item, list) for item in items):
            raise TranslationError(field, "a query string cannot carry nested lists")
        # A list of one travelled as a single key, which the legacy API read as a string.
        return items[0] if len(items) == 1 else items
    raise TranslationError(
        field,
        "must be a string, number or boolean (PUT person properties travel in the query "
        f"string), got {type(value).__name__}",
    )


def _unset_names(value: Any) -> tuple[str, ...]:
    parsed = json_param(value, UNSET_KEY, '["plan"]')
    if isinstance(parsed, str):
        return (parsed,)
    if not isinstance(parsed, (list, tuple)):
        raise TranslationError(UNSET_KEY, 'must be a JSON list of property names such as ["plan"]')
    return string_list(parsed, UNSET_KEY)


def _person_update(params: Mapping[str, Any], path: Mapping[str, str]) -> PersonUpdateCall:
    properties: dict[str, Any] = {}
    unset: tuple[str, ...] = ()
    for key, value in params.items():
        if key == UNSET_KEY:
            unset = _unset_names(value)
        elif value is not None:  # requests drops None parameters
            properties[key] = _as_sent(value, f"properties.{key}")
    return PersonUpdateCall(parse_id(path["person_id"], "person_id"), properties, unset)


def _patch_person(call: PersonUpdateCall, options: Options) -> tuple[PlannedRequest, list[Notice]]:
    """The PATCH of a PUT person, and the notices of the attribute split; raises before
    anything is sent on what a PATCH cannot do."""
    attributes, found = split_profile(call.properties, "properties", options=options)
    # A profile PATCH has no _kx (spec ProfilePartialUpdateQueryResourceObject).
    if attributes.kx is not None:
        raise UnsupportedLegacyFeatureError(
            "properties.$exchange_id",
            "a profile PATCH cannot set the exchange id",
            "identify the visitor with $exchange_id (POST /api/identify), which the profile "
            "upsert accepts",
        )
    clears = [(name, _UNSET_ATTRIBUTES[name]) for name in call.unset if name in _UNSET_ATTRIBUTES]
    custom = [name for name in call.unset if name not in _UNSET_ATTRIBUTES]
    if any(attribute == "kx" for _, attribute in clears):
        raise UnsupportedLegacyFeatureError(
            UNSET_KEY,
            "a profile PATCH cannot clear the exchange id",
            "leave $exchange_id out of $unset",
        )
    both = sorted(set(custom) & set(attributes.properties or {}))
    if both:
        raise TranslationError(UNSET_KEY, f"cannot both set and unset {', '.join(both)}")
    meta = {"patch_properties": {"unset": custom}} if custom else None
    body = unstructure(
        Document(Resource("profile", id=call.person_id, attributes=attributes, meta=meta))
    )
    target = body["data"]["attributes"]
    for name, attribute in clears:
        parent, _, leaf = attribute.rpartition(".")
        node = target.setdefault(parent, {}) if parent else target
        if leaf in node:
            raise TranslationError(UNSET_KEY, f"cannot both set and unset {name}")
        # An explicit null clears an attribute (new-api.md §3.2).
        node[leaf] = None
    request = planned("update_profile", path_params={"id": call.person_id}, json=body)
    return request, found


def plan_update_person(call: PersonUpdateCall, *, options: Options) -> Flow[dict[str, Any]]:
    """The flow of ``PUT /v1/person/{id}``; returns the updated v1 person object."""
    if not call.properties and not call.unset:
        yield from notice(
            "PUT person without properties changes nothing: the person is read instead",
            logging.INFO,
        )
        reply = yield from send(_get_profile(call.person_id))
        return legacy_person(resource_of(reply.response.json()))
    request, found = _patch_person(call, options)
    yield from notices(found)
    reply = yield from send(request)
    return legacy_person(resource_of(reply.response.json()))


# --- GET /v2/people/search, POST /v2/people/exchange -----------------------------------------

#: Search parameter → how its value is checked. The parameter names are also the profile
#: filter fields (spec ``get_profiles`` ``x-klaviyo-filters``: ``equals``).
_SEARCH_CHECKS: Mapping[str, Callable[[Any, str], str]] = {
    name: IDENTIFIER_CHECKS[name] for name in ("email", "phone_number", "external_id")
}
SEARCH_RULE = "give exactly one of email, phone_number or external_id"


@attrs.frozen
class PeopleSearchCall:
    """``GET /v2/people/search``: exactly one identifier, checked."""

    email: Optional[str] = None
    phone_number: Optional[str] = None
    external_id: Optional[str] = None

    @property
    def identifier(self) -> tuple[str, str]:
        """The (filter field, value) searched by."""
        for name in _SEARCH_CHECKS:
            value = getattr(self, name)
            if value is not None:
                return name, value
        raise TranslationError("email", SEARCH_RULE)


@attrs.frozen
class PeopleExchangeCall:
    """``POST /v2/people/exchange``: the ``_kx`` value of a browser (``<id>.<company>``)."""

    exchange_id: str


def _lookup(field: str, value: str) -> Step:
    """``GET /api/profiles`` filtered by one identifier; dry-run pretends one profile
    matched."""
    request = planned(
        "get_profiles",
        params=(
            ("filter", filter_equals(field, value)),
            ("fields[profile]", "id"),
            ("page[size]", "1"),
        ),
    )
    found = {"type": "profile", "id": placeholder(f"profile id of {field}"), "attributes": {}}
    return Step(request, dry_run_reply=dry_reply(200, {"data": [found], "links": {}}))


def _found_id(reply: Reply, what: str) -> dict[str, str]:
    items = items_of(reply.response.json())
    first = items[0] if items else None
    if isinstance(first, Mapping) and isinstance(first.get("id"), str):
        return {"id": first["id"]}
    text = f"no profile matches {what}"
    # The legacy endpoint answered 404 here; legacy callers catch it.
    raise NotFoundError(
        404,
        request=reply.request,
        message={"status": 404, "message": text},
        description=f"Failed with status code: 404 ({text})",
    )


def plan_search_people(call: PeopleSearchCall, *, options: Options) -> Flow[dict[str, str]]:
    """The flow of ``GET /v2/people/search``; returns ``{"id": ...}``."""
    del options  # no option changes a lookup
    field, value = call.identifier
    reply = yield from send(_lookup(field, value))
    return _found_id(reply, f"{field} {value!r}")


def plan_exchange(call: PeopleExchangeCall, *, options: Options) -> Flow[dict[str, str]]:
    """The flow of ``POST /v2/people/exchange``; returns ``{"id": ...}``."""
    del options  # no option changes a lookup
    reply = yield from send(_lookup("_kx", call.exchange_id))
    return _found_id(reply, f"exchange_id {call.exchange_id!r}")


def _search(params: Mapping[str, Any], path: Mapping[str, str]) -> PeopleSearchCall:
    del path
    given = [name for name in _SEARCH_CHECKS if params.get(name) not in (None, "")]
    if len(given) != 1:
        field = given[1] if given else "email"
        raise TranslationError(field, f"{SEARCH_RULE}, got {len(given)}")
    name = given[0]
    return PeopleSearchCall(**{name: _SEARCH_CHECKS[name](single(params[name], name), name)})


def _exchange(params: Mapping[str, Any], path: Mapping[str, str]) -> PeopleExchangeCall:
    del path
    value = single(params.get("exchange_id"), "exchange_id")
    rule = "is required: the _kx value of a visitor"
    return PeopleExchangeCall(parse_name(value, "exchange_id", rule))


#: The legacy person translators (joined in ``_translate/__init__``); the endpoints are
#: :data:`ENDPOINTS`.
TRANSLATORS: dict[type[Any], Callable[..., Flow[Any]]] = {
    PersonCall: plan_get_person,
    PersonUpdateCall: plan_update_person,
    PeopleSearchCall: plan_search_people,
    PeopleExchangeCall: plan_exchange,
}


_PERSON_SHAPE = (
    "answers the v1 person rebuilt from the profile: `$`-keys from the attributes and "
    "`location`, custom properties flattened beside them, `created`/`updated` as "
    "`YYYY-MM-DD HH:MM:SS` UTC; fields without a value are left out"
)

ENDPOINTS: tuple[LegacyEndpoint, ...] = (
    LegacyEndpoint(
        "GET",
        "/api/v1/person/{person_id}",
        _person,
        ("Profiles.get_profile",),
        ("Profiles.get_profile",),
        {
            "method": "GET",
            "url": f"https://a.klaviyo.com/api/v1/person/01HPERSON?api_key={EXAMPLE_KEY}",
        },
        (_PERSON_SHAPE, "`$locale` appears when the profile has a locale (a new attribute)"),
    ),
    LegacyEndpoint(
        "PUT",
        "/api/v1/person/{person_id}",
        _person_update,
        ("Profiles.update_profile", "Profiles.unset_profile_properties"),
        ("Profiles.update_profile",),
        {
            "method": "PUT",
            "url": (
                "https://a.klaviyo.com/api/v1/person/01HPERSON?%24first_name=Ann&plan=gold"
                f"&%24unset=%5B%22trial%22%5D&api_key={EXAMPLE_KEY}"
            ),
        },
        (
            "`$`-keys mapped as for identify, every other key to `properties`",
            "values arrive as strings (the legacy query string carried them) and are sent as "
            'strings: `True` stays `"True"`, `42` stays `"42"`; no type is guessed',
            "`$unset` (a JSON list) → `meta.patch_properties.unset`; a `$`-key in it clears "
            "that attribute with `null`",
            "`$exchange_id` cannot be set by a PATCH: refused before sending",
            _PERSON_SHAPE + " (the updated person); an update without properties reads it",
        ),
    ),
    LegacyEndpoint(
        "GET",
        "/api/v2/people/search",
        _search,
        ("Profiles.get_profile_id_by_email",),
        ("Profiles.get_profile_id",),
        {
            "method": "GET",
            "url": "https://a.klaviyo.com/api/v2/people/search",
            "json": {"api_key": EXAMPLE_KEY, "email": "ann+news@example.com"},
        },
        (
            "a filtered profile lookup: the value JSON-quoted and URL-encoded, so `+` survives",
            "exactly one of `email`, `phone_number` (E.164) or `external_id`",
            "no match raises `NotFoundError` (404), as the legacy endpoint answered",
        ),
    ),
    LegacyEndpoint(
        "POST",
        "/api/v2/people/exchange",
        _exchange,
        (),
        ("Profiles.exchange",),
        {
            "method": "POST",
            "url": f"https://a.klaviyo.com/api/v2/people/exchange?api_key={EXAMPLE_KEY}",
            "json": {"exchange_id": "Zm9vYmFy.AbC123"},
        },
        (
            "a profile lookup by `equals(_kx,...)`",
            "no match raises `NotFoundError` (404), as the legacy endpoint answered",
        ),
    ),
)
