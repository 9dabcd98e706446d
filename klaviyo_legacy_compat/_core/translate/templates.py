"""Legacy v1 email templates → the templates API (new-api.md §3.9); the endpoints are the
records of :data:`ENDPOINTS`. Every legacy answer is built from Klaviyo's answer.

The template list is ``GET /api/templates?sort=name`` (legacy sorted by name), 10 a page (the
spec's maximum), walked to the end (at most ``TEMPLATE_MAX_PAGES``, 2000 templates) so the
legacy ``total`` is a count; past that it is ``None`` with a notice. ``html`` is a default
attribute of the answer: no ``additional-fields`` is needed.

A create (``name``, ``html``) is ``POST /api/templates`` with ``editor_type: "CODE"`` (legacy
templates were HTML); it is not replay-safe (``_retry``), and Klaviyo refuses API creation
once an account holds 1,000 templates. An update is ``PATCH /api/templates/{id}`` with what
was given (a ``GET`` when nothing was). A delete reads ``GET /api/templates/{id}`` first, then
``DELETE``-s it (204, no body): the template read before deleting is the answer, so code
reading the legacy answer's ``id``/``name`` keeps working. A clone (``name``) is ``POST
/api/template-clone``. A render (``context``: JSON text) is ``POST /api/template-render``
(201; 3/s, 60/m) → ``{"object": "email-template", "id", "name", "data": {"html", "text"}}``.
Sending a template has no equivalent (the new API sends no email outside campaigns and
flows): :class:`UnsupportedLegacyFeatureError`, before anything is sent.

The v1 email template object: ``{"object": "email-template", "id", "name", "html",
"is_writeable", "created", "updated"}``, times ``YYYY-MM-DD HH:MM:SS`` UTC. ``is_writeable``
("the HTML can be updated through the API") comes from ``editor_type``: true for ``CODE``
and ``USER_DRAGGABLE`` (which take ``html``), false for ``SYSTEM_DRAGGABLE`` and ``SIMPLE``,
left out for an editor type this table does not know.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Callable, Optional

import attrs

from klaviyo_legacy_compat._core.documents import TemplateAttributes, TemplateRenderAttributes
from klaviyo_legacy_compat._core.errors import TranslationError, UnsupportedLegacyFeatureError
from klaviyo_legacy_compat._core.flow import Flow, notice, send
from klaviyo_legacy_compat._core.legacy_endpoint import EXAMPLE_KEY, LegacyEndpoint
from klaviyo_legacy_compat._core.parse import parse_id, parse_page, parse_text, single
from klaviyo_legacy_compat._core.translate._jsonapi import (
    attributes_of,
    planned,
    resource_body,
    resource_of,
)
from klaviyo_legacy_compat._core.translate._legacy import legacy_page, legacy_time
from klaviyo_legacy_compat._core.translate._paging import walk
from klaviyo_legacy_compat._core.values import json_safe

__all__ = [
    "ENDPOINTS",
    "TRANSLATORS",
    "TemplateCloneCall",
    "TemplateCreateCall",
    "TemplateDeleteCall",
    "TemplateRenderCall",
    "TemplateSendCall",
    "TemplateUpdateCall",
    "TemplatesCall",
    "template_object",
]

#: get_templates pages: default and maximum 10 (spec).
TEMPLATES_PAGE_SIZE = 10
#: Pages one get_templates call reads: 2000 templates, twice the API-creation cap of 1,000
#: (spec create_template description), since templates made in the app count too.
TEMPLATE_MAX_PAGES = 200

#: editor_type → legacy is_writeable: whether the HTML can be changed through the API
#: (legacy "only updates imported HTML templates"; spec: html for CODE and USER_DRAGGABLE).
WRITEABLE: dict[str, bool] = {
    "CODE": True,
    "USER_DRAGGABLE": True,
    "SYSTEM_DRAGGABLE": False,
    "SIMPLE": False,
}

#: Legacy template field → (new attribute, conversion).
TEMPLATE_FIELDS: tuple[tuple[str, str, Callable[[Any], Any]], ...] = (
    ("name", "name", lambda value: value),
    ("html", "html", lambda value: value),
    ("created", "created", legacy_time),
    ("updated", "updated", legacy_time),
)


@attrs.frozen
class TemplatesCall:
    """``GET /v1/email-templates``: one legacy page of templates, by name."""

    page: int = 0
    count: int = 50


@attrs.frozen
class TemplateCreateCall:
    """``POST /v1/email-templates``."""

    name: str
    html: str


@attrs.frozen
class TemplateUpdateCall:
    """``PUT /v1/email-template/{id}``: only the given fields change."""

    template_id: str
    name: Optional[str] = None
    html: Optional[str] = None


@attrs.frozen
class TemplateDeleteCall:
    """``DELETE /v1/email-template/{id}``."""

    template_id: str


@attrs.frozen
class TemplateCloneCall:
    """``POST /v1/email-template/{id}/clone``."""

    template_id: str
    name: str


@attrs.frozen
class TemplateRenderCall:
    """``POST /v1/email-template/{id}/render``; ``context`` already decoded from JSON."""

    template_id: str
    context: Mapping[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class TemplateSendCall:
    """``POST /v1/email-template/{id}/send``: kept as given, since it cannot be sent."""

    template_id: str
    params: Mapping[str, Any] = attrs.field(factory=dict)


def template_object(resource: Mapping[str, Any]) -> dict[str, Any]:
    """The v1 email template object of a new-API template; a field whose source is absent
    from Klaviyo's answer is left out."""
    attributes = attributes_of(resource)
    out: dict[str, Any] = {"object": "email-template", "id": resource.get("id")}
    for legacy, attribute, convert in TEMPLATE_FIELDS[:2]:
        if attribute in attributes:
            out[legacy] = convert(attributes[attribute])
    writeable = WRITEABLE.get(str(attributes.get("editor_type")))
    if writeable is not None:
        out["is_writeable"] = writeable
    for legacy, attribute, convert in TEMPLATE_FIELDS[2:]:
        if attribute in attributes:
            out[legacy] = convert(attributes[attribute])
    return out


# --- translators --------------------------------------------------------------------------


def plan_get_templates(call: TemplatesCall, *, options: Any) -> Flow[dict[str, Any]]:
    """``GET /v1/email-templates``: the legacy page, cut from a walk of every template."""
    del options
    request = planned(
        "get_templates", params=(("sort", "name"), ("page[size]", str(TEMPLATES_PAGE_SIZE)))
    )
    found = yield from walk(request, max_pages=TEMPLATE_MAX_PAGES)
    if not found.complete:
        yield from notice(
            f"get_templates: more than {TEMPLATE_MAX_PAGES * TEMPLATES_PAGE_SIZE} templates; "
            "the legacy total is unknown (None) and later pages are empty"
        )
    answer = legacy_page(found.items, call.page, call.count, found.complete)
    answer["data"] = [template_object(item) for item in answer["data"]]
    return answer


def plan_create_template(call: TemplateCreateCall, *, options: Any) -> Flow[dict[str, Any]]:
    """``POST /v1/email-templates`` → an HTML (``CODE``) template."""
    del options
    attributes = TemplateAttributes(name=call.name, editor_type="CODE", html=call.html)
    body = resource_body("template", attributes=attributes)
    reply = yield from send(planned("create_template", json=body))
    return template_object(resource_of(reply.response.json()))


def plan_update_template(call: TemplateUpdateCall, *, options: Any) -> Flow[dict[str, Any]]:
    """``PUT /v1/email-template/{id}``: what was given; nothing given reads the template."""
    del options
    attributes = TemplateAttributes(name=call.name, html=call.html)
    path = {"id": call.template_id}
    if attributes == TemplateAttributes():
        reply = yield from send(planned("get_template", path_params=path))
    else:
        body = resource_body("template", call.template_id, attributes=attributes)
        reply = yield from send(planned("update_template", path_params=path, json=body))
    return template_object(resource_of(reply.response.json()))


def plan_delete_template(call: TemplateDeleteCall, *, options: Any) -> Flow[dict[str, Any]]:
    """``DELETE /v1/email-template/{id}``: read, then delete; answers what was read."""
    del options
    path = {"id": call.template_id}
    found = yield from send(planned("get_template", path_params=path))
    yield from send(
        planned(
            "delete_template",
            path_params=path,
            note=f"sent once request {found.index} has read the template to answer with",
        )
    )
    return template_object(resource_of(found.response.json()))


def plan_clone_template(call: TemplateCloneCall, *, options: Any) -> Flow[dict[str, Any]]:
    """``POST /v1/email-template/{id}/clone`` → ``template-clone``: the copy."""
    del options
    body = resource_body("template", call.template_id, attributes=TemplateAttributes(call.name))
    reply = yield from send(planned("clone_template", json=body))
    return template_object(resource_of(reply.response.json()))


def plan_render_template(call: TemplateRenderCall, *, options: Any) -> Flow[dict[str, Any]]:
    """``POST /v1/email-template/{id}/render`` → ``template-render``."""
    del options
    context = TemplateRenderAttributes(dict(call.context))
    body = resource_body("template", call.template_id, attributes=context)
    reply = yield from send(planned("render_template", json=body))
    resource = resource_of(reply.response.json())
    attributes = attributes_of(resource)
    out: dict[str, Any] = {"object": "email-template", "id": resource.get("id", call.template_id)}
    if "name" in attributes:
        out["name"] = attributes["name"]
    out["data"] = {key: attributes.get(key) for key in ("html", "text")}
    return out


def plan_send_template(call: TemplateSendCall, *, options: Any) -> Flow[dict[str, Any]]:
    """``POST /v1/email-template/{id}/send``: no equivalent; raised before any request."""
    del options
    raise UnsupportedLegacyFeatureError(
        "url",
        f"POST /v1/email-template/{call.template_id}/send has no equivalent: the new API "
        "sends email only from campaigns and flows",
        "track an event (klaviyo.track('Template Email', {'$email': to}, context)) and build "
        "a flow in Klaviyo triggered by that metric that sends this template, or render it "
        "with render_template and send the HTML through your own email service",
    )
    yield  # pragma: no cover - makes this a generator, so it raises when the flow starts


# --- builders -----------------------------------------------------------------------------


def _path_id(path: Mapping[str, str]) -> str:
    return parse_id(path["template_id"], "template_id")


def _templates(params: Mapping[str, Any], path: Mapping[str, str]) -> TemplatesCall:
    del path
    page, count = parse_page(params)
    return TemplatesCall(page, count)


def _create(params: Mapping[str, Any], path: Mapping[str, str]) -> TemplateCreateCall:
    del path
    return TemplateCreateCall(
        name=str(parse_text(params.get("name"), "name", required=True)),
        html=str(parse_text(params.get("html"), "html", required=True)),
    )


def _update(params: Mapping[str, Any], path: Mapping[str, str]) -> TemplateUpdateCall:
    return TemplateUpdateCall(
        _path_id(path),
        parse_text(params.get("name"), "name"),
        parse_text(params.get("html"), "html"),
    )


def _delete(params: Mapping[str, Any], path: Mapping[str, str]) -> TemplateDeleteCall:
    del params
    return TemplateDeleteCall(_path_id(path))


def _clone(params: Mapping[str, Any], path: Mapping[str, str]) -> TemplateCloneCall:
    return TemplateCloneCall(
        _path_id(path), str(parse_text(params.get("name"), "name", required=True))
    )


def _context(value: Any) -> dict[str, Any]:
    """Render's ``context``: JSON text of an object (``klaviyo-sdk`` sent a string), or the
    object itself; absent means no variables."""
    value = single(value, "context")
    if value is None or value == "":
        return {}
    if isinstance(value, (str, bytes)):
        try:
            value = json.loads(value)
        except ValueError:
            raise TranslationError(
                "context", f"must be JSON text of an object, got {str(value)[:60]!r}"
            ) from None
    if not isinstance(value, Mapping):
        raise TranslationError(
            "context", f"must be an object of template variables, got {type(value).__name__}"
        )
    safe: dict[str, Any] = json_safe(dict(value), "context")
    return safe


def _render(params: Mapping[str, Any], path: Mapping[str, str]) -> TemplateRenderCall:
    return TemplateRenderCall(_path_id(path), _context(params.get("context")))


def _send(params: Mapping[str, Any], path: Mapping[str, str]) -> TemplateSendCall:
    return TemplateSendCall(_path_id(path), dict(params))


#: The legacy ``count`` maximum of the v1 template list (100); a larger one is clamped
#: (leniency row ``count_clamped``).
COUNT_LIMITS: dict[type[Any], int] = {TemplatesCall: 100}

TRANSLATORS: dict[type[Any], Callable[..., Flow[Any]]] = {
    TemplatesCall: plan_get_templates,
    TemplateCreateCall: plan_create_template,
    TemplateUpdateCall: plan_update_template,
    TemplateDeleteCall: plan_delete_template,
    TemplateCloneCall: plan_clone_template,
    TemplateRenderCall: plan_render_template,
    TemplateSendCall: plan_send_template,
}


# --- endpoints ----------------------------------------------------------------------------

_BASE = "https://a.klaviyo.com/api/v1"
_OBJECT = (
    "answers the v1 email template object; `is_writeable` follows the new `editor_type` "
    "(true for HTML templates)"
)

ENDPOINTS: tuple[LegacyEndpoint, ...] = (
    LegacyEndpoint(
        "GET",
        "/api/v1/email-templates",
        _templates,
        (),
        ("Templates.get_templates",),
        {"method": "GET", "url": f"{_BASE}/email-templates?api_key={EXAMPLE_KEY}&page=0&count=50"},
        (
            "`page`/`count` are emulated over cursors of 10 templates (the new maximum): every "
            "template is read, by name as before, so `total` is a count; past 2000 templates "
            "it is `None`",
            _OBJECT,
        ),
    ),
    LegacyEndpoint(
        "POST",
        "/api/v1/email-templates",
        _create,
        (),
        ("Templates.create_template",),
        {
            "method": "POST",
            "url": f"{_BASE}/email-templates?api_key={EXAMPLE_KEY}",
            "form": {"name": "Welcome", "html": "<html><body>Hi {{ first_name }}</body></html>"},
        },
        (
            "created as an HTML (`CODE`) template",
            "Klaviyo refuses API creation once the account holds 1,000 templates",
            "not replay-safe: retried only when Klaviyo certainly did not act on it",
            _OBJECT,
        ),
    ),
    LegacyEndpoint(
        "PUT",
        "/api/v1/email-template/{template_id}",
        _update,
        (),
        ("Templates.update_template",),
        {
            "method": "PUT",
            "url": f"{_BASE}/email-template/TmPl01?api_key={EXAMPLE_KEY}",
            "form": {"name": "Welcome v2"},
        },
        ("only the given `name`/`html` are sent", _OBJECT),
    ),
    LegacyEndpoint(
        "DELETE",
        "/api/v1/email-template/{template_id}",
        _delete,
        (),
        ("Templates.delete_template",),
        {"method": "DELETE", "url": f"{_BASE}/email-template/TmPl01?api_key={EXAMPLE_KEY}"},
        (
            "the template is read first and that object is the answer (the new delete answers "
            "204 with no body)",
        ),
    ),
    LegacyEndpoint(
        "POST",
        "/api/v1/email-template/{template_id}/clone",
        _clone,
        (),
        ("Templates.clone_template",),
        {
            "method": "POST",
            "url": f"{_BASE}/email-template/TmPl01/clone?api_key={EXAMPLE_KEY}",
            "form": {"name": "Welcome (copy)"},
        },
        ("Klaviyo refuses API creation once the account holds 1,000 templates", _OBJECT),
    ),
    LegacyEndpoint(
        "POST",
        "/api/v1/email-template/{template_id}/render",
        _render,
        (),
        ("Templates.render_template",),
        {
            "method": "POST",
            "url": f"{_BASE}/email-template/TmPl01/render?api_key={EXAMPLE_KEY}",
            "form": {"context": json.dumps({"first_name": "Ann"})},
        },
        (
            "`context` (JSON text) is sent as an object; text that is not a JSON object is "
            "refused before sending",
            "answers `{object, id, name, data: {html, text}}` from the rendered template; the "
            "new endpoint allows 3 requests a second, 60 a minute",
        ),
    ),
    LegacyEndpoint(
        "POST",
        "/api/v1/email-template/{template_id}/send",
        _send,
        (),
        ("Templates.send_template",),
        {
            "method": "POST",
            "url": f"{_BASE}/email-template/TmPl01/send?api_key={EXAMPLE_KEY}",
            "form": {
                "from_email": "news@example.com",
                "from_name": "Example",
                "subject": "Hi",
                "to": "ann@example.com",
                "context": "{}",
            },
        },
        (
            "no equivalent: raises `UnsupportedLegacyFeatureError` before anything is sent "
            "(dry-run too); send through a flow triggered by a tracked event instead",
        ),
    ),
)
