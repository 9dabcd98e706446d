"""The JSON:API helpers every translator shares (``_translate._jsonapi``): filter operands,
and the readers of new-API answers, which answer "nothing there" for a missing or ill-typed
part instead of raising."""

from __future__ import annotations

from typing import Any

import pytest

from klaviyo_legacy_compat._core.translate._jsonapi import (
    attributes_of,
    dig,
    filter_any,
    filter_equals,
    items_of,
    resource_of,
)

RESOURCE = {"type": "list", "id": "L1", "attributes": {"name": "News"}}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("01HMETRIC", 'equals(metric_id,"01HMETRIC")'),
        # "+" and quotes survive, JSON-quoted; the transport URL-encodes the whole parameter.
        ('a+b"c', 'equals(metric_id,"a+b\\"c")'),
        # Non-ASCII is written as itself in every filter, as filter_any writes it.
        ("Café Zürich", 'equals(metric_id,"Café Zürich")'),
        (42, "equals(metric_id,42)"),
        (True, "equals(metric_id,true)"),
    ],
)
def test_equals_operands(value: Any, expected: str) -> None:
    assert filter_equals("metric_id", value) == expected


def test_any_operands_are_quoted_alike() -> None:
    assert filter_any("email", ["ann+1@example.com", "zoë@example.com"]) == (
        'any(email,["ann+1@example.com","zoë@example.com"])'
    )


@pytest.mark.parametrize(
    ("value", "keys", "expected"),
    [
        ({"data": RESOURCE}, ("data", "attributes", "name"), "News"),
        ({"data": RESOURCE}, ("data",), RESOURCE),
        ({"data": RESOURCE}, (), {"data": RESOURCE}),
        ({"data": RESOURCE}, ("data", "missing", "name"), None),
        # A level that is not a mapping ends the walk: no indexing into lists or strings.
        ({"data": [RESOURCE]}, ("data", "id"), None),
        ({"data": "text"}, ("data", "id"), None),
        (None, ("data",), None),
        ([RESOURCE], ("data",), None),
        # A present null is returned as it is, like a missing key.
        ({"data": None}, ("data",), None),
        # Falsy values that are there come back as themselves.
        ({"data": {"count": 0}}, ("data", "count"), 0),
    ],
)
def test_dig(value: Any, keys: tuple[str, ...], expected: Any) -> None:
    assert dig(value, *keys) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"data": RESOURCE}, RESOURCE),
        # A collection, a null, a missing ``data`` or a body that is no object: no resource.
        ({"data": [RESOURCE]}, {}),
        ({"data": None}, {}),
        ({}, {}),
        (None, {}),
        ("not json:api", {}),
        ([{"data": RESOURCE}], {}),
    ],
)
def test_resource_of(body: Any, expected: dict[str, Any]) -> None:
    assert resource_of(body) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"data": [RESOURCE, "odd"]}, [RESOURCE, "odd"]),  # items are not checked
        ({"data": []}, []),
        # A single resource, a null, a missing ``data`` or a body that is no object: no items.
        ({"data": RESOURCE}, []),
        ({"data": None}, []),
        ({}, []),
        (None, []),
        (42, []),
    ],
)
def test_items_of(body: Any, expected: list[Any]) -> None:
    assert items_of(body) == expected


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        (RESOURCE, {"name": "News"}),
        ({"id": "L1"}, {}),
        ({"attributes": None}, {}),
        ({"attributes": ["name"]}, {}),
        (None, {}),
        ("L1", {}),
    ],
)
def test_attributes_of(resource: Any, expected: dict[str, Any]) -> None:
    assert attributes_of(resource) == expected


def test_readers_answer_fresh_empties() -> None:
    # Callers may fill what they are given: one reader's empty answer is never another's.
    first, second = resource_of(None), resource_of(None)
    first["id"] = "X"
    assert second == {}
