"""``install()``: unchanged legacy imports resolve to this library.

After ``klaviyo_legacy_compat.install()``, ``import klaviyo``, ``from klaviyo.exceptions
import KlaviyoAPIException``, ``from klaviyo.api_helper import KlaviyoAPIResponse``,
``'klaviyo.middleware.KlaviyoSnippetMiddleware'`` in Django's ``MIDDLEWARE``,
``from klaviyo_sdk import Client``, ``from klaviyo_sdk.custom_retry import
retry_if_qualifies``, ``from swagger_client import ApiClient, Configuration,
ListsSegmentsApi``, ``from swagger_client.models import ListIdSubscribeBody`` and ``from
swagger_client.rest import ApiException`` all import the shims, so code written for
``klaviyo`` 3.1.7 or ``klaviyo-sdk`` 1.0.9 runs with no change at all. Call it before
those imports run (for example first thing in the program's entry point, or in
``sitecustomize``). It replaces the legacy packages even when they are installed (they
only answer 410 Gone now).
"""

from __future__ import annotations

import importlib
import sys

__all__ = ["ALIASES", "install", "uninstall"]

#: Legacy module name → the module of this library that stands in for it.
ALIASES: dict[str, str] = {
    "klaviyo": "klaviyo_legacy_compat.legacy",
    "klaviyo.api": "klaviyo_legacy_compat.legacy.api",
    "klaviyo.api_helper": "klaviyo_legacy_compat.legacy.api_helper",
    "klaviyo.public": "klaviyo_legacy_compat.legacy.public",
    "klaviyo.lists": "klaviyo_legacy_compat.legacy.lists",
    "klaviyo.profiles": "klaviyo_legacy_compat.legacy.profiles",
    "klaviyo.metrics": "klaviyo_legacy_compat.legacy.metrics",
    "klaviyo.campaigns": "klaviyo_legacy_compat.legacy.campaigns",
    "klaviyo.data_privacy": "klaviyo_legacy_compat.legacy.data_privacy",
    "klaviyo.exceptions": "klaviyo_legacy_compat.legacy.exceptions",
    "klaviyo.middleware": "klaviyo_legacy_compat.legacy.middleware",
    "klaviyo_sdk": "klaviyo_legacy_compat.sdk",
    "klaviyo_sdk.wrapper": "klaviyo_legacy_compat.sdk.wrapper",
    "klaviyo_sdk.custom_retry": "klaviyo_legacy_compat.sdk.custom_retry",
    "swagger_client": "klaviyo_legacy_compat.sdk.swagger",
    "swagger_client.api": "klaviyo_legacy_compat.sdk.api",
    "swagger_client.api_client": "klaviyo_legacy_compat.sdk.api_client",
    "swagger_client.configuration": "klaviyo_legacy_compat.sdk.configuration",
    "swagger_client.models": "klaviyo_legacy_compat.sdk.models",
    "swagger_client.rest": "klaviyo_legacy_compat.sdk.rest",
}


def install() -> None:
    """Make the legacy import names resolve to the shims (idempotent)."""
    for alias, target in ALIASES.items():
        sys.modules[alias] = importlib.import_module(target)


def uninstall() -> None:
    """Undo :func:`install` (the names this library put there only)."""
    for alias, target in ALIASES.items():
        module = sys.modules.get(alias)
        if module is not None and module.__name__ == target:
            del sys.modules[alias]
