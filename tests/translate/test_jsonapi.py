"""The JSON:API helpers every translator shares (``_translate._jsonapi``): filter operands."""

from __future__ import annotations

from typing import Any

import pytest

from klaviyo_legacy_compat._translate._jsonapi import filter_any, filter_equals


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
