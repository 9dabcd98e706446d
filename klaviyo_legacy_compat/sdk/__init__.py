"""The ``klaviyo-sdk`` 1.0.9 package (``klaviyo_sdk``), rebuilt over the new API.

``from klaviyo_legacy_compat.sdk import Client`` replaces ``from klaviyo_sdk import Client``;
``ApiException`` is here and in :mod:`klaviyo_legacy_compat.sdk.rest` (the legacy
``swagger_client.rest``); ``retry_if_qualifies`` is in
:mod:`klaviyo_legacy_compat.sdk.custom_retry`, and the legacy ``swagger_client`` package is
:mod:`klaviyo_legacy_compat.sdk.swagger`. :func:`klaviyo_legacy_compat.install` makes the
unchanged legacy imports resolve here.
"""

from __future__ import annotations

from klaviyo_legacy_compat.sdk import custom_retry, rest
from klaviyo_legacy_compat.sdk.rest import ApiException
from klaviyo_legacy_compat.sdk.wrapper import Client, InlineResponse2001

__all__ = ["ApiException", "Client", "InlineResponse2001", "custom_retry", "rest"]
