"""Every exception, under the legacy names too (``from klaviyo.exceptions import ...``).

The tree is drawn in :mod:`klaviyo_legacy_compat._core.errors`. Legacy names are aliases, the
same objects as the modern ones.
"""

from __future__ import annotations

from ._bulk.spool import SpoolError
from ._core.errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    ConflictError,
    KlaviyoAPIException,
    KlaviyoApiException,
    KlaviyoAuthenticationError,
    KlaviyoCompatError,
    KlaviyoConfigurationException,
    KlaviyoException,
    KlaviyoRateLimitException,
    KlaviyoServerError,
    LegacySDKError,
    MissingIdentifierError,
    NotFoundError,
    PartialDeliveryError,
    RateLimitError,
    RevisionWarning,
    ServerError,
    TranslationError,
    UnsupportedLegacyFeature,
    UnsupportedLegacyFeatureError,
)
from ._transports.transport import RequestTimeoutError, TransportError

__all__ = [
    "APIError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "ConflictError",
    "KlaviyoAPIException",
    "KlaviyoApiException",
    "KlaviyoAuthenticationError",
    "KlaviyoCompatError",
    "KlaviyoConfigurationException",
    "KlaviyoException",
    "KlaviyoRateLimitException",
    "KlaviyoServerError",
    "LegacySDKError",
    "MissingIdentifierError",
    "NotFoundError",
    "PartialDeliveryError",
    "RateLimitError",
    "RequestTimeoutError",
    "RevisionWarning",
    "ServerError",
    "SpoolError",
    "TranslationError",
    "TransportError",
    "UnsupportedLegacyFeature",
    "UnsupportedLegacyFeatureError",
]
