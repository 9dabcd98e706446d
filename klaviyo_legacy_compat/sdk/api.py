"""``swagger_client.api`` of ``klaviyo-sdk`` 1.0.9: the generated ``*Api`` classes.

``CampaignsApi(api_client=None)`` and the six others have the methods of the matching
``klaviyo_sdk.Client`` namespace (``Client(...).Campaigns`` …), with the same conventions
(legacy-surface.md B.3, B.5): they *are* those namespace classes, built by
``wrapper._namespace`` from the method table, run on a ``Client`` made per request from the
``ApiClient``'s :class:`Configuration` (key and host). Two differences from the namespaces,
both the generated code's: no retry (see ``api_client._ATTEMPTS``), and
``TrackIdentifyApi.track_get`` / ``identify_get`` take ``data`` as the base64 text the
generated methods sent as-is (B.7), JSON text still being read as JSON.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable, Optional

from klaviyo_legacy_compat.sdk.api_client import ApiClient
from klaviyo_legacy_compat.sdk.wrapper import _NAMESPACES, Client

__all__ = [
    "API_CLASSES",
    "CampaignsApi",
    "DataPrivacyApi",
    "ListsSegmentsApi",
    "MetricsApi",
    "ProfilesApi",
    "TemplatesApi",
    "TrackIdentifyApi",
]


class _Api:
    """What every generated ``*Api`` shared: ``api_client`` (``ApiClient()`` if none)."""

    def __init__(self, api_client: Optional[ApiClient] = None) -> None:
        self.api_client = api_client if api_client is not None else ApiClient()

    @property
    def _client(self) -> Client:
        # The namespace methods call ``self._client._invoke``: for an ``*Api`` that is a
        # Client built from the configuration as it is now.
        return self.api_client.sdk_client()


def _base64_text(namespace: type, name: str) -> Callable[..., Any]:
    """The namespace's ``name`` with a ``str`` ``data`` passed as bytes: the wrapper read
    bytes without ``{`` as base64 and with ``{`` as JSON (B.6), which covers both the
    generated form (base64 text) and JSON text."""
    run = getattr(namespace, name)

    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        if args and isinstance(args[0], str):
            args = (args[0].encode(), *args[1:])
        if isinstance(kwargs.get("data"), str):
            kwargs["data"] = kwargs["data"].encode()
        return run(self, *args, **kwargs)

    method.__name__ = name
    method.__doc__ = run.__doc__
    method.__signature__ = inspect.signature(run)  # type: ignore[attr-defined] # PEP 362
    return method


#: Methods whose generated form differs from the ``klaviyo_sdk.Client`` override.
_GENERATED: dict[str, dict[str, Callable[[type, str], Callable[..., Any]]]] = {
    "TrackIdentify": {"track_get": _base64_text, "identify_get": _base64_text},
}


def _api_class(namespace: str) -> type:
    base = _NAMESPACES[namespace]
    members: dict[str, Any] = {
        "__doc__": f"``swagger_client.{namespace}Api(api_client=None)`` of klaviyo-sdk 1.0.9.",
        "__module__": __name__,
    }
    for name, override in _GENERATED.get(namespace, {}).items():
        members[name] = override(base, name)
    return type(f"{namespace}Api", (_Api, base), members)


#: Namespace name → its ``*Api`` class.
API_CLASSES: dict[str, type] = {name: _api_class(name) for name in _NAMESPACES}

CampaignsApi = API_CLASSES["Campaigns"]
DataPrivacyApi = API_CLASSES["DataPrivacy"]
ListsSegmentsApi = API_CLASSES["ListsSegments"]
MetricsApi = API_CLASSES["Metrics"]
ProfilesApi = API_CLASSES["Profiles"]
TemplatesApi = API_CLASSES["Templates"]
TrackIdentifyApi = API_CLASSES["TrackIdentify"]
