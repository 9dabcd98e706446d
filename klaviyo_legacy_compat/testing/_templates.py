"""LocalKlaviyo's templates (new-api.md §3.9): list, read, create, update, delete, clone and
render.

HTML templates (``CODE``, ``USER_DRAGGABLE``): a ``SYSTEM_DRAGGABLE`` template's
drag-and-drop ``definition`` is not kept (501). Rendering follows the spec's description
("rendered with contexts in a similar manner to Django templates. Nested template variables
can be referenced via dot notation. Template variables without corresponding context values
are treated as FALSE and output nothing") as far as variables go: ``{{ name }}``,
``{{ person.first_name }}``, and the ``default`` filter (``{{ first_name|default:'there' }}``),
values HTML-escaped in ``html`` and ``amp`` (Django's autoescaping), not in ``text``. Tags
(``{% if %}``, ``{% unsubscribe %}``) and other filters are a 501, not a guess.
"""

from __future__ import annotations

import html as html_text
import re
from collections.abc import Mapping
from typing import Any, Optional

from klaviyo_legacy_compat.testing._filters import ordered, record_filter
from klaviyo_legacy_compat.testing._protocol import (
    Call,
    Reply,
    additional,
    id_mismatch,
    one,
    page,
    resource,
)
from klaviyo_legacy_compat.testing._store_messages import EDITOR_TYPES, Account, Template
from klaviyo_legacy_compat.testing._store_records import Invalid, NotImplementedHere
from klaviyo_legacy_compat.testing._validation import (
    json_object,
    known_fields,
    optional_text,
    request_data,
    required_text,
)

__all__ = ["TemplateOperations", "render"]


#: Editor types whose content is HTML (``html`` required on create).
_HTML_EDITORS = frozenset({"CODE", "USER_DRAGGABLE"})

_VARIABLE = re.compile(r"\{\{(.*?)\}\}", re.S)
_TAG = re.compile(r"\{%.*?%\}", re.S)
_DEFAULT = re.compile(r"""^default:\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')$""")
_PATH = re.compile(r"^[A-Za-z_$][\w$]*(\.[\w$]+)*$")


def _lookup(context: Any, path: str) -> Any:
    value = context
    for part in path.split("."):
        if isinstance(value, Mapping):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def _shown(value: Any) -> str:
    # Django writes Python values; JSON's true/false/null arrive as True/False/None.
    return "" if value is None else str(value)


def render(template: str, context: Mapping[str, Any], *, escape: bool) -> str:
    """``template`` with its ``{{ variables }}`` replaced from ``context`` (see the module
    docstring); :class:`NotImplementedHere` for a tag or a filter other than ``default``."""
    tag = _TAG.search(template)
    if tag is not None:
        raise NotImplementedHere(
            f"LocalKlaviyo renders variables only, not the tag {tag.group()!r}.",
            pointer="/data/id",
        )

    def replace(found: re.Match[str]) -> str:
        expression = found.group(1).strip()
        path, *filters = [part.strip() for part in expression.split("|")]
        if not _PATH.match(path):
            raise NotImplementedHere(
                f"LocalKlaviyo renders variables only, not {found.group()!r}.", pointer="/data/id"
            )
        value = _lookup(context, path)
        for name in filters:
            default = _DEFAULT.match(name)
            if default is None:
                raise NotImplementedHere(
                    f"LocalKlaviyo knows only the default filter, not {name!r}.",
                    pointer="/data/id",
                )
            if not value:
                fallback = default.group(1) if default.group(1) is not None else default.group(2)
                value = re.sub(r"\\(.)", r"\1", fallback)
        shown = _shown(value)
        return html_text.escape(shown) if escape else shown

    return _VARIABLE.sub(replace, template)


def _template_fields(
    attributes: Mapping[str, Any], pointer: str, allowed: frozenset[str]
) -> dict[str, Any]:
    known_fields(attributes, allowed, pointer, "the resource 'template'")
    if attributes.get("definition") is not None:
        raise NotImplementedHere(
            "LocalKlaviyo keeps no drag-and-drop definitions.", pointer=f"{pointer}/definition"
        )
    out = {}
    for name in ("name", "html", "text", "amp"):
        if name in attributes:
            out[name] = optional_text(
                attributes[name], f"{pointer}/{name}", nullable=name != "name"
            )
    return out


class TemplateOperations:
    """The handlers of templates (mixed into ``_operations.Operations``)."""

    store: Account

    def _template(
        self, call: Call, template: Template, values: Optional[Mapping[str, Any]] = None
    ) -> dict[str, Any]:
        attributes: dict[str, Any] = {
            "name": template.name,
            "editor_type": template.editor_type,
            "html": template.html or "",
            "text": template.text,
            "amp": template.amp,
            "created": template.created,
            "updated": template.updated,
        }
        attributes.update(values or {})
        path = f"/api/templates/{template.id}"
        out = resource(call, "template", template.id, attributes, path=path)
        if "definition" in additional(call.query, "template"):
            # Kept for no template here: HTML templates have none (spec: "Omitted for
            # CODE/USER_DRAGGABLE").
            out["attributes"]["definition"] = None
        return out

    def _one(self, call: Call, template: Template, status: int = 200) -> Reply:
        return one(call, self._template(call, template), status)

    def get_templates(self, call: Call) -> Reply:
        """``GET /api/templates``: 10 a page at most (spec)."""
        match = record_filter(call)
        found = self.store.templates_where(match)
        found = ordered(call, found)
        items, links = page(call, found, default=10, maximum=10)
        return Reply(200, {"data": [self._template(call, t) for t in items], "links": links})

    def get_template(self, call: Call) -> Reply:
        """``GET /api/templates/{id}``."""
        return self._one(call, self.store.template(call.path_params["id"]))

    def create_template(self, call: Call) -> Reply:
        """``POST /api/templates``: 201; ``html`` required for HTML editors."""
        data = request_data(call.body, "template")
        pointer = "/data/attributes"
        attributes = json_object(data.get("attributes"), pointer)
        fields = _template_fields(
            attributes,
            pointer,
            frozenset({"name", "editor_type", "html", "text", "amp", "definition"}),
        )
        name = required_text(attributes.get("name"), f"{pointer}/name")
        editor = required_text(attributes.get("editor_type"), f"{pointer}/editor_type")
        if editor not in EDITOR_TYPES:
            raise Invalid(
                f"editor_type must be one of {sorted(EDITOR_TYPES)}.",
                pointer=f"{pointer}/editor_type",
            )
        if editor not in _HTML_EDITORS:
            raise NotImplementedHere(
                "LocalKlaviyo keeps no drag-and-drop definitions.", pointer=f"{pointer}/editor_type"
            )
        if not fields.get("html"):
            raise Invalid(f"html is required for a {editor} template.", pointer=f"{pointer}/html")
        template = self.store.create_template(
            name, editor, fields["html"], fields.get("text"), fields.get("amp")
        )
        return self._one(call, template, 201)

    def update_template(self, call: Call) -> Reply:
        """``PATCH /api/templates/{id}``: what is given changes."""
        data = request_data(call.body, "template")
        mismatch = id_mismatch(data.get("id"), call)
        if mismatch is not None:
            return mismatch
        pointer = "/data/attributes"
        attributes = json_object(data.get("attributes"), pointer)
        fields = _template_fields(
            attributes, pointer, frozenset({"name", "html", "text", "amp", "definition"})
        )
        if "name" in fields and not fields["name"]:
            raise Invalid("name must not be empty.", pointer=f"{pointer}/name")
        return self._one(call, self.store.update_template(call.path_params["id"], fields))

    def delete_template(self, call: Call) -> Reply:
        """``DELETE /api/templates/{id}``: 204."""
        self.store.delete_template(call.path_params["id"])
        return Reply(204)

    def clone_template(self, call: Call) -> Reply:
        """``POST /api/template-clone``: 201, the copy."""
        data = request_data(call.body, "template")
        template_id = required_text(data.get("id"), "/data/id")
        attributes = json_object(data.get("attributes"), "/data/attributes")
        fields = _template_fields(attributes, "/data/attributes", frozenset({"name"}))
        return self._one(call, self.store.clone_template(template_id, fields.get("name")), 201)

    def render_template(self, call: Call) -> Reply:
        """``POST /api/template-render``: 201 with the rendered ``html``, ``text``, ``amp``."""
        data = request_data(call.body, "template")
        template_id = required_text(data.get("id"), "/data/id")
        attributes = json_object(data.get("attributes"), "/data/attributes")
        known_fields(attributes, ("context", "return_fields"), "/data/attributes", "rendering")
        if attributes.get("return_fields") is not None:
            raise NotImplementedHere(
                "LocalKlaviyo does not implement return_fields of a render.",
                pointer="/data/attributes/return_fields",
            )
        if "context" not in attributes:
            raise Invalid("context is required.", pointer="/data/attributes/context")
        context = json_object(attributes["context"], "/data/attributes/context")
        template = self.store.template(template_id)
        values = {
            "html": render(template.html or "", context, escape=True),
            "text": None if template.text is None else render(template.text, context, escape=False),
            "amp": None if template.amp is None else render(template.amp, context, escape=True),
        }
        return one(call, self._template(call, template, values), 201)
