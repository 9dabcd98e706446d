"""Type aliases only (httpx ``_types.py`` style)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Union

__all__ = ["JSONObject", "JSONValue", "LegacyProperties"]

#: A JSON value as the new API receives it. ``Any`` inside containers keeps mypy usable on
#: the deeply nested JSON:API bodies without a recursive alias.
JSONValue = Union[None, bool, int, float, str, list[Any], dict[str, Any]]
JSONObject = dict[str, Any]

#: A legacy property dict as callers pass it (``customer_properties``, ``properties``).
LegacyProperties = Mapping[str, Any]
