"""Helpers every translator shares: requests built from the endpoint table, request
documents, chunking,
placeholders, the dry-run answers a lookup pretends to receive, and the readers of new-API
response bodies."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import islice
from typing import Any, Optional, TypeVar
from urllib.parse import quote

from klaviyo_legacy_compat._core.bodies import Document, Resource
from klaviyo_legacy_compat._core.convert import unstructure
from klaviyo_legacy_compat._core.endpoints import endpoint
from klaviyo_legacy_compat._core.models import PlannedRequest, RawResponse
from klaviyo_legacy_compat._core.types import JSONValue

__all__ = [
    "attributes_of",
    "chunked",
    "dig",
    "dry_reply",
    "filter_any",
    "filter_equals",
    "items_of",
    "placeholder",
    "planned",
    "resource_body",
    "resource_of",
]

T = TypeVar("T")


def placeholder(what: str) -> str:
    """A value only an earlier response can supply, as dry-run shows it: ``{{what}}``."""
    return "{{" + what.replace("/", " ") + "}}"


def _path_value(value: str) -> str:
    return value if value.startswith("{{") else quote(value, safe="")


def planned(
    operation: str,
    *,
    path_params: Optional[Mapping[str, str]] = None,
    params: Sequence[tuple[str, str]] = (),
    json: JSONValue = None,
    depends_on: Optional[int] = None,
    note: Optional[str] = None,
) -> PlannedRequest:
    """A request for ``operation``, method and path taken from the endpoint table, so the
    three can never disagree."""
    row = endpoint(operation)
    path = row.path
    for name, value in (path_params or {}).items():
        path = path.replace("{" + name + "}", _path_value(value))
    return PlannedRequest(
        method=row.method,
        path=path,
        operation=operation,
        params=tuple(params),
        json=json,
        depends_on=depends_on,
        note=note,
    )


def resource_body(type_: str, id_: Optional[str] = None, **fields: Any) -> Any:
    """The JSON of a request document ``{"data": <resource>}``: a :class:`Resource` of
    ``type_`` (``id_`` and ``fields``: its ``attributes``, ``relationships``), unstructured by
    the body converter."""
    return unstructure(Document(Resource(type_, id=id_, **fields)))


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive lists of at most ``size`` items; reads the input lazily."""
    iterator = iter(items)
    while True:
        chunk = list(islice(iterator, size))
        if not chunk:
            return
        yield chunk


def dry_reply(status: int, body: Any) -> RawResponse:
    """The answer dry-run feeds a flow for a step whose real answer is not known yet."""
    return RawResponse(
        status=status,
        headers=(("content-type", "application/vnd.api+json"),),
        body=json.dumps(body).encode(),
    )


def _operand(value: Any) -> str:
    # JSON-quoted, so "+" and quotes survive (the whole parameter is URL-encoded by the
    # transport; users-and-peers.md §1.12); non-ASCII text as itself, in every filter alike.
    return json.dumps(value, ensure_ascii=False)


def filter_any(field: str, values: Iterable[str]) -> str:
    """``any(field,["a","b"])``."""
    return f"any({field},[{','.join(_operand(v) for v in values)}])"


def filter_equals(field: str, value: Any) -> str:
    """``equals(field,"a")`` (a string, number or boolean operand)."""
    return f"equals({field},{_operand(value)})"


# --- reading new-API answers --------------------------------------------------------------
# Klaviyo's answer, or a part of it, may be missing or of another type than the spec says
# (an empty body, an error page, a field Klaviyo dropped): every reader below answers
# "nothing there" instead of raising, so a translator fails only where it chooses to.


def dig(value: Any, *keys: str) -> Any:
    """``value[k1][k2]...``, or ``None`` as soon as a level is not a mapping."""
    for key in keys:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def resource_of(body: Any) -> dict[str, Any]:
    """The one resource of a single-resource answer (``data`` is an object), else ``{}``."""
    data = dig(body, "data")
    return data if isinstance(data, dict) else {}


def items_of(body: Any) -> list[Any]:
    """The ``data`` items of a collection answer (``data`` is an array), else ``[]``; the
    items themselves are not checked."""
    data = dig(body, "data")
    return data if isinstance(data, list) else []


def attributes_of(resource: Any) -> dict[str, Any]:
    """A resource's ``attributes`` object, else ``{}``."""
    found = dig(resource, "attributes")
    return found if isinstance(found, dict) else {}
