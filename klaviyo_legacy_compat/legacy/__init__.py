"""The ``klaviyo`` 3.1.7 package, rebuilt over the new API.

Its modules mirror the legacy layout (``klaviyo.api``, ``klaviyo.api_helper``,
``klaviyo.public``, ``klaviyo.lists``, ``klaviyo.profiles``, ``klaviyo.metrics``,
``klaviyo.campaigns``, ``klaviyo.data_privacy``, ``klaviyo.exceptions``,
``klaviyo.middleware``), so that :func:`klaviyo_legacy_compat.install` can make an unchanged
``import klaviyo`` resolve here. ``KlaviyoException`` is here too, where ``klaviyo`` 2.x
defined it (``except klaviyo.KlaviyoException``); it is the same object as
``klaviyo.exceptions.KlaviyoException``.
"""

from __future__ import annotations

from klaviyo_legacy_compat._core.errors import KlaviyoException
from klaviyo_legacy_compat.legacy.api import Klaviyo

__all__ = ["Klaviyo", "KlaviyoException", "__version__"]

#: The legacy package's version, for code that checks it.
__version__ = "3.1.7"
