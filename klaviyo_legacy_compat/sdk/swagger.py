"""The ``swagger_client`` package of ``klaviyo-sdk`` 1.0.9 (legacy-surface.md B.1):
``ApiClient``, ``Configuration``, the seven ``*Api`` classes, every model class
(``swagger_client.ListIdSubscribeBody`` as well as ``swagger_client.models.…``, see
:mod:`klaviyo_legacy_compat.sdk.models` for which names are known and what others do), and
the submodules ``api``, ``api_client``, ``configuration``, ``models`` and ``rest``.
:func:`klaviyo_legacy_compat.install` makes ``import swagger_client`` resolve here.
"""

from __future__ import annotations

from klaviyo_legacy_compat.sdk import api, api_client, configuration, models, rest
from klaviyo_legacy_compat.sdk.api import (
    CampaignsApi,
    DataPrivacyApi,
    ListsSegmentsApi,
    MetricsApi,
    ProfilesApi,
    TemplatesApi,
    TrackIdentifyApi,
)
from klaviyo_legacy_compat.sdk.api_client import ApiClient
from klaviyo_legacy_compat.sdk.configuration import Configuration
from klaviyo_legacy_compat.sdk.models import KNOWN, Model

__all__ = [
    "ApiClient",
    "CampaignsApi",
    "Configuration",
    "DataPrivacyApi",
    "ListsSegmentsApi",
    "MetricsApi",
    "ProfilesApi",
    "TemplatesApi",
    "TrackIdentifyApi",
    "api",
    "api_client",
    "configuration",
    "models",
    "rest",
    *KNOWN,
]


def __getattr__(name: str) -> type[Model]:
    # The generated package imported every model at top level; unknown CamelCase names get
    # the generic model, anything else is an AttributeError (models.model_class).
    return models.model_class(name)


def __dir__() -> list[str]:
    return sorted({*globals(), *KNOWN})
