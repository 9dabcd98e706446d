"""Validate planned requests against Klaviyo's OpenAPI spec (revision of ``REVISION``).

The spec is found through ``KLAVIYO_OPENAPI_SPEC``, else at
``../shared/klaviyo-openapi/stable.json`` beside the repository. It is read, never copied.
Where it is absent the contract tests skip with a reason, unless
``KLAVIYO_REQUIRE_SPEC=1`` (set by ``.ci/run``), which turns the skip into a failure.

What is checked, per request (:meth:`SpecValidator.problems`):

- method and path match one operation, and its operationId is the one the plan names;
- every declared required parameter is present (``revision`` header, ``company_id``,
  path ids), no undeclared query parameter is sent, and each value fits its schema
  (``fields[...]`` and ``include`` are comma-joined arrays of enum values);
- auth: ``Authorization: Klaviyo-API-Key ...`` on ``/api`` operations, none on client ones;
- the body: present when required, ``Content-Type: application/vnd.api+json``, and valid
  against the body schema. Schemas are made *closed* (``additionalProperties: false`` on
  every object that lists its properties) so a misspelt or misplaced attribute fails,
  which the spec alone would let through. OpenAPI 3.0 ``nullable`` is translated to JSON
  Schema.
"""

from __future__ import annotations

import copy
import json
import os
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any, Optional

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

SPEC_URI = "urn:klaviyo-openapi"
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SPEC = ROOT.parent / "shared" / "klaviyo-openapi" / "stable.json"


def spec_path() -> Path:
    """Where the spec is expected."""
    return Path(os.environ.get("KLAVIYO_OPENAPI_SPEC") or DEFAULT_SPEC)


def _convert(node: Any, *, close: bool = True) -> Any:
    """OpenAPI 3.0 schema → JSON Schema draft 7: nullable, closed objects, absolute refs."""
    if isinstance(node, list):
        return [_convert(item, close=close) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("nullable", "example", "description", "readOnly", "writeOnly", "discriminator"):
            continue
        if key == "$ref":
            out[key] = SPEC_URI + value
        elif key == "oneOf":
            # Klaviyo lists identical alternatives (email, SMS and push send options): with
            # closed schemas a body matches all of them and "exactly one" can never hold, so
            # "at least one" is what the spec means here.
            out["anyOf"] = [_convert(item, close=close) for item in value]
        elif key == "allOf":
            # Members of allOf are combined: closing them one by one would reject the others.
            out[key] = [_convert(item, close=False) for item in value]
        elif key == "properties" and isinstance(value, dict):
            out[key] = {name: _convert(sub) for name, sub in value.items()}
        else:
            out[key] = _convert(value, close=close)
    if close and out.get("type") == "object" and "properties" in out:
        out.setdefault("additionalProperties", False)
    if node.get("nullable"):
        if "$ref" in out or "oneOf" in out or "allOf" in out or "anyOf" in out:
            return {"anyOf": [out, {"type": "null"}]}
        if "type" in out:
            out["type"] = [out["type"], "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
    return out


_FORMATS = jsonschema.FormatChecker(formats=())
# op(field) or op(field,value): our filters are single terms or comma-joined terms.
_FILTER_TERM = re.compile(r"([a-z-]+)\(([\w.$]+)(?:,(\[[^\]]*\]|\"[^\"]*\"|'[^']*'|[^,)]*))?\)")


@_FORMATS.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("date-time needs an explicit offset")
    return True


@_FORMATS.checks("date", raises=ValueError)
def _date(value: object) -> bool:
    if isinstance(value, str):
        date.fromisoformat(value)
    return True


class SpecValidator:
    """The spec, indexed by operation, with draft-7 validators for bodies and parameters."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.revision = spec["info"]["version"]
        converted = _convert(copy.deepcopy(spec))
        self.registry: Registry[Any] = Registry().with_resource(
            SPEC_URI, Resource.from_contents(converted, default_specification=DRAFT7)
        )
        self.operations: dict[str, tuple[str, str, dict[str, Any], dict[str, Any]]] = {}
        self.routes: list[tuple[re.Pattern[str], str, str]] = []
        for path, item in spec["paths"].items():
            for method, operation in item.items():
                if not isinstance(operation, dict) or "operationId" not in operation:
                    continue
                converted_op = converted["paths"][path][method]
                self.operations[operation["operationId"]] = (
                    method.upper(),
                    path,
                    operation,
                    converted_op,
                )
                pattern = re.compile(
                    "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(path)) + "$"
                )
                self.routes.append((pattern, method.upper(), operation["operationId"]))

    @classmethod
    def load(cls, path: Optional[Path] = None) -> SpecValidator:
        source = path or spec_path()
        return cls(json.loads(source.read_text(encoding="utf-8")))

    def _validator(self, schema: dict[str, Any]) -> jsonschema.Draft7Validator:
        return jsonschema.Draft7Validator(schema, registry=self.registry, format_checker=_FORMATS)

    def operation_for(self, method: str, path: str) -> Optional[str]:
        """The operationId serving ``method path``; literal paths win over templated ones."""
        candidates = [
            (pattern.pattern.count("[^/]+"), op)
            for pattern, m, op in self.routes
            if m == method and pattern.match(path)
        ]
        return min(candidates)[1] if candidates else None

    def problems(self, request: dict[str, Any]) -> list[str]:
        """Everything about one ``Plan.to_dict()`` request that the spec does not allow."""
        out: list[str] = []
        url = request["url"]
        path = "/" + url.split("://", 1)[-1].split("/", 1)[1]
        operation_id = self.operation_for(request["method"], path)
        if operation_id is None:
            return [f"no operation for {request['method']} {path}"]
        if operation_id != request["operation"]:
            out.append(f"plan names {request['operation']}, the spec serves {operation_id}")
        _, _, operation, converted = self.operations[operation_id]
        headers = {k.lower(): v for k, v in request["headers"].items()}
        params = request["params"]
        declared: dict[tuple[str, str], dict[str, Any]] = {}
        for raw, conv in zip(operation.get("parameters", []), converted.get("parameters", [])):
            declared[(raw["in"], raw["name"])] = {**raw, "converted": conv}
        for (where, name), parameter in declared.items():
            if where == "header":
                value = headers.get(name.lower())
            elif where == "query":
                value = params.get(name)
            else:
                value = "path"  # the route pattern matched, so path params are there
            if parameter.get("required") and value is None:
                out.append(f"required {where} parameter {name!r} is missing")
            if value is None or where == "path":
                continue
            out.extend(self._parameter_problems(name, value, parameter))
        if isinstance(params.get("filter"), str):
            out.extend(self._filter_problems(params["filter"], operation))
        for name in params:
            if ("query", name) not in declared:
                out.append(f"query parameter {name!r} is not declared for {operation_id}")
        if headers.get("revision") != self.revision:
            out.append(f"revision header {headers.get('revision')!r} is not {self.revision!r}")
        auth = headers.get("authorization")
        if operation.get("security") == []:
            if auth is not None:
                out.append("a client endpoint must not receive the Authorization header")
        elif not (auth or "").startswith("Klaviyo-API-Key "):
            out.append("Authorization: Klaviyo-API-Key <private key> is missing")
        body_spec = converted.get("requestBody")
        body = request["json"]
        if body_spec is None:
            if body is not None:
                out.append(f"{operation_id} takes no body")
        elif body is None:
            if operation["requestBody"].get("required"):
                out.append("the request body is required")
        else:
            if headers.get("content-type") != "application/vnd.api+json":
                out.append("Content-Type must be application/vnd.api+json")
            schema = body_spec["content"]["application/vnd.api+json"]["schema"]
            for error in self._validator(schema).iter_errors(body):
                # Under anyOf/oneOf (nullable refs) the useful message is in the context.
                while error.context:
                    error = max(error.context, key=lambda e: len(e.absolute_path))
                where = "/".join(str(p) for p in error.absolute_path) or "(root)"
                out.append(f"body {where}: {error.message[:300]}")
        return out

    def _filter_problems(self, text: str, operation: dict[str, Any]) -> list[str]:
        """Each ``op(field,...)`` of a filter against the operation's ``x-klaviyo-filters``
        (field → allowed operators, by arity: single value, list, or none)."""
        allowed = operation.get("x-klaviyo-filters") or {}
        out = []
        for found in _FILTER_TERM.finditer(text):
            op, field, value = found.group(1), found.group(2), found.group(3)
            arity = "none" if value is None else "list" if value.startswith("[") else "single"
            operators = ((allowed.get(field) or {}).get("operators") or {}).get(arity, [])
            if op not in operators:
                out.append(f"filter {op}({field}, {arity}) is not allowed by the spec")
        return out

    def _parameter_problems(self, name: str, value: Any, parameter: dict[str, Any]) -> list[str]:
        schema = parameter["converted"].get("schema", {})
        if isinstance(value, list):
            return [f"query parameter {name!r} repeated; the spec takes it once"]
        candidate: Any = value
        if schema.get("type") == "array":
            # style=form, explode=false: comma-joined (new-api.md §8).
            candidate = value.split(",")
        elif schema.get("type") == "integer":
            try:
                candidate = int(value)
            except ValueError:
                return [f"query parameter {name!r} must be an integer, got {value!r}"]
        return [
            f"parameter {name!r}: {error.message[:200]}"
            for error in self._validator(schema).iter_errors(candidate)
        ]

    def response_problems(
        self, operation: str, status: int, body: Any, *, sparse: bool = False
    ) -> list[str]:
        """Everything about an answer of ``operation`` that its response schema does not
        allow: an undeclared status, a body where none is declared (or none where one is),
        and the body against the schema, closed like request bodies so an attribute the spec
        does not name fails (LocalKlaviyo's answers are checked with this). ``sparse``: the
        request asked for sparse fieldsets, so attributes the schema requires may be left
        out (new-api.md §8)."""
        converted = self.operations[operation][3]
        declared = converted["responses"].get(str(status))
        if declared is None:
            return [f"{operation} declares no {status} answer"]
        content = (declared.get("content") or {}).get("application/vnd.api+json")
        if content is None:
            return [] if body is None else [f"{operation} {status} takes no body"]
        if body is None:
            return [f"{operation} {status} needs a body"]
        out = []
        for error in self._validator(content["schema"]).iter_errors(body):
            while error.context:
                error = max(error.context, key=lambda e: len(e.absolute_path))
            if sparse and error.validator == "required" and "attributes" in error.absolute_path:
                continue
            where = "/".join(str(p) for p in error.absolute_path) or "(root)"
            out.append(f"answer {where}: {error.message[:300]}")
        return out

    def assert_valid(self, request: dict[str, Any]) -> None:
        problems = self.problems(request)
        assert not problems, f"{request['method']} {request['url']}: " + "; ".join(problems)


# --- example answers --------------------------------------------------------------------

_EXAMPLE_TIME = "2024-05-01T12:00:00+00:00"


class ExampleAnswers:
    """Spec-shaped answers for every operation, built from the response schemas and their
    ``example`` values: a fake Klaviyo for tests of code that reads answers. Resource ids are
    ``<type>-1`` so relationships and ``included`` agree; ``links`` carry no ``next`` (one
    page); arrays of alternatives hold one item of each."""

    def __init__(self, validator: SpecValidator) -> None:
        self.validator = validator
        self.schemas: dict[str, Any] = validator.spec["components"]["schemas"]

    def _resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            schema = self.schemas[schema["$ref"].rsplit("/", 1)[1]]
        return schema

    def value(self, schema: dict[str, Any], depth: int = 0, name: str = "") -> Any:
        schema = self._resolve(schema)
        if depth > 14:
            return None
        if "oneOf" in schema:
            return self.value(schema["oneOf"][0], depth + 1, name)
        if "allOf" in schema:
            merged: dict[str, Any] = {}
            for part in schema["allOf"]:
                part_value = self.value(part, depth + 1, name)
                if isinstance(part_value, dict):
                    merged.update(part_value)
            return merged
        kind = schema.get("type")
        if "enum" in schema:
            return schema["enum"][0]
        if kind == "object" or "properties" in schema:
            return self._object(schema, depth)
        if kind == "array":
            items = self._resolve(schema.get("items", {}))
            if "oneOf" in items:
                return [self.value(choice, depth + 1, name) for choice in items["oneOf"]]
            return [self.value(items, depth + 1, name)]
        if "example" in schema:
            return schema["example"]
        if kind == "string":
            return {
                "date-time": _EXAMPLE_TIME,
                "date": "2024-05-01",
                "uri": "https://example.com",
            }.get(schema.get("format", ""), name or "x")
        if kind == "integer":
            return 1
        if kind == "number":
            return 1.5
        if kind == "boolean":
            return True
        return None

    def _object(self, schema: dict[str, Any], depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        properties = schema.get("properties", {})
        for key, sub in properties.items():
            if key in ("next", "prev"):  # one page only
                continue
            out[key] = self.value(sub, depth + 1, key)
        if isinstance(out.get("type"), str) and ("id" in properties or "attributes" in properties):
            out["id"] = f"{out['type']}-1"
        return out

    def answer(self, operation: str) -> tuple[int, Any]:
        """(first success status, body) of ``operation``."""
        _, _, raw, _ = self.validator.operations[operation]
        for status, response in sorted(raw["responses"].items()):
            if status.startswith("2"):
                content = response.get("content", {}).get("application/vnd.api+json")
                if content is None:
                    return int(status), None
                return int(status), self.value(content["schema"])
        raise KeyError(operation)
