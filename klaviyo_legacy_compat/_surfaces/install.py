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

``install(http=True)`` also routes raw legacy HTTP made through ``requests``, for code that
called the v1/v2 endpoints itself: every legacy URL of ``https://a.klaviyo.com/api``
(``/api/v1/``, ``/api/v2/``, ``/api/track``, ``/api/identify``) requested with
``requests.get/post/put/delete/request`` or on any ``Session``, existing or new, on any
thread, is answered by the translation core over the module-level client (configured by
``configure()`` or the environment; a key the request carries wins), and every other URL
is untouched (``legacy_http.install_http``)::

    import klaviyo_legacy_compat

    klaviyo_legacy_compat.configure(private_key="pk_...")
    klaviyo_legacy_compat.install(http=True)
    requests.post("https://a.klaviyo.com/api/v2/list/XyZ/subscribe", json={...})  # works

``uninstall()`` undoes both.
"""

from __future__ import annotations

import importlib
import sys

from klaviyo_legacy_compat.legacy_http import install_http, uninstall_http

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


def install(*, http: bool = False) -> None:
    """Make the legacy import names resolve to the shims (idempotent); with ``http=True``,
    also route legacy v1/v2 URLs requested through ``requests`` to the translation core."""
    for alias, target in ALIASES.items():
        sys.modules[alias] = importlib.import_module(target)
    if http:
        install_http()


def uninstall() -> None:
    """Undo :func:`install` (the names this library put there only, and the routing of
    ``http=True``)."""
    uninstall_http()
    for alias, target in ALIASES.items():
        module = sys.modules.get(alias)
        if module is not None and module.__name__ == target:
            del sys.modules[alias]
