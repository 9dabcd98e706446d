"""``klaviyo.exceptions`` of ``klaviyo`` 3.1.7: the legacy names, the same objects as the
library's own exceptions (``klaviyo_legacy_compat.exceptions``)."""

from __future__ import annotations

from klaviyo_legacy_compat._core.errors import (
    KlaviyoAPIException,
    KlaviyoApiException,
    KlaviyoAuthenticationError,
    KlaviyoConfigurationException,
    KlaviyoException,
    KlaviyoRateLimitException,
    KlaviyoServerError,
)

__all__ = [
    "KlaviyoAPIException",
    "KlaviyoApiException",
    "KlaviyoAuthenticationError",
    "KlaviyoConfigurationException",
    "KlaviyoException",
    "KlaviyoRateLimitException",
    "KlaviyoServerError",
]
