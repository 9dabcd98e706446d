"""Legacy endpoints of this resource (being written): calls, translators, routes, rows."""

from __future__ import annotations

from typing import Any, Callable

from klaviyo_legacy_compat._catalogue import LegacyEndpoint
from klaviyo_legacy_compat._flow import Flow
from klaviyo_legacy_compat._wire import CallRoute

__all__ = ["CATALOGUE", "ROUTES", "TRANSLATORS"]

TRANSLATORS: dict[type[Any], Callable[..., Flow[Any]]] = {}
ROUTES: tuple[CallRoute, ...] = ()
CATALOGUE: tuple[LegacyEndpoint, ...] = ()
