"""The cattrs converters. Nothing else in the package registers hooks (aesthetics §3.5).

- ``unstructure(body)``: request body values (``_bodies``, ``_documents``) → JSON:API dicts;
  ``None`` fields are omitted, because an explicit ``null`` *clears* a field in the new API
  (new-api.md §3.2) and a legacy caller who left a key out never meant that.
- ``structure_error_details(items)``: Klaviyo's ``errors[]`` → :class:`ErrorDetail` values.
- ``encode_json(value)``: a JSON body → the compact UTF-8 bytes sent on the wire.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import attrs
import cattrs
from cattrs.gen import make_dict_unstructure_fn, override

import klaviyo_legacy_compat._core.documents as _documents

from .bodies import Document, EventAttributes, Location, ProfileAttributes, Resource
from .models import ErrorDetail

__all__ = ["encode_json", "structure_error_details", "unstructure"]

#: Built once: ``json.dumps`` with options builds a new encoder on every call.
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def encode_json(value: Any) -> bytes:
    """``value`` as compact JSON in UTF-8: what the transport sends, and what the 5 MB caps
    are measured on."""
    return _ENCODER.encode(value).encode("utf-8")


def _as_is(value: Any) -> Any:
    return value


def _make_body_converter() -> cattrs.Converter:
    conv = cattrs.Converter(omit_if_default=True)
    # Custom properties were already made JSON-safe (and checked) by _values.json_safe:
    # copying them again value by value would only cost time.
    as_is = override(unstruct_hook=_as_is)
    conv.register_unstructure_hook(
        ProfileAttributes,
        make_dict_unstructure_fn(
            ProfileAttributes,
            conv,
            _cattrs_omit_if_default=True,
            kx=override(rename="_kx"),
            properties=as_is,
        ),
    )
    conv.register_unstructure_hook(
        EventAttributes,
        make_dict_unstructure_fn(
            EventAttributes, conv, _cattrs_omit_if_default=True, properties=as_is
        ),
    )
    for cls in (Location, Resource, Document):
        conv.register_unstructure_hook(
            cls, make_dict_unstructure_fn(cls, conv, _cattrs_omit_if_default=True)
        )

    def document_hook(document: Any) -> Any:
        overrides = dict(_DOCUMENT_OVERRIDES.get(document, {}))
        if any(field.name == "type" for field in attrs.fields(document)):
            # A job carries its JSON:API type as a default: sent always, never omitted.
            overrides["type"] = override(omit_if_default=False)
        return make_dict_unstructure_fn(document, conv, _cattrs_omit_if_default=True, **overrides)

    # A factory, so a document's hook is made when first needed: the hooks of the documents
    # it holds (made the same way) are then known, whatever order they are declared in.
    conv.register_unstructure_hook_factory(lambda cls: cls in _DOCUMENTS, document_hook)
    return conv


#: The request documents (``_documents``), each unstructured field by field as declared.
_DOCUMENTS = frozenset(
    cls
    for cls in (getattr(_documents, name) for name in _documents.__all__)
    if isinstance(cls, type) and attrs.has(cls)
)

#: Their fields the generated hooks treat apart: JSON:API names that are no Python names,
#: and JSON built already (bulk mode's buffered items, open content), passed through as is.
_DOCUMENT_OVERRIDES: dict[type[Any], dict[str, Any]] = {
    _documents.Prebuilt: {"data": override(unstruct_hook=_as_is)},
    _documents.EventBulkCreateJobAttributes: {
        "events_bulk_create": override(rename="events-bulk-create")
    },
    _documents.CampaignAttributes: {"campaign_messages": override(rename="campaign-messages")},
    _documents.MessageDefinition: {"content": override(unstruct_hook=_as_is)},
    _documents.TemplateRenderAttributes: {"context": override(unstruct_hook=_as_is)},
}


_BODIES = _make_body_converter()


def unstructure(body: Any) -> Any:
    """A request body value as plain JSON data."""
    return _BODIES.unstructure(body)


def _structure_error_detail(item: Any, _: Any) -> ErrorDetail:
    # Klaviyo nests source.pointer/parameter and sends status/meta beyond the spec; missing
    # keys get defaults rather than failing, because a malformed error body must still
    # produce the right exception class.
    source = item.get("source") if isinstance(item.get("source"), dict) else {}
    meta = item.get("meta") if isinstance(item.get("meta"), dict) else {}
    status = item.get("status")
    return ErrorDetail(
        code=str(item.get("code") or ""),
        title=str(item.get("title") or ""),
        detail=str(item.get("detail") or ""),
        id=str(item.get("id") or ""),
        status=int(status) if isinstance(status, (int, str)) and str(status).isdigit() else None,
        source_pointer=source.get("pointer"),
        source_parameter=source.get("parameter"),
        meta=dict(meta),
    )


_RESPONSES = cattrs.Converter()
_RESPONSES.register_structure_hook(ErrorDetail, _structure_error_detail)


def structure_error_details(items: Iterable[dict[str, Any]]) -> tuple[ErrorDetail, ...]:
    """Each ``errors[]`` entry as an :class:`ErrorDetail`."""
    return tuple(_RESPONSES.structure(item, ErrorDetail) for item in items)
