"""klaviyo_legacy_compat: keep code written for Klaviyo's retired v1/v2 APIs working.

Three ways in, one translation core: swap one import (``import klaviyo_legacy_compat as
klaviyo`` for ``klaviyo`` 3.1.7, ``from klaviyo_legacy_compat.sdk import Client`` for
``klaviyo-sdk`` 1.0.9, or ``install()`` and change nothing), the legacy-shaped functions
below, or raw legacy HTTP (``klaviyo_legacy_compat.http``).

Legacy calls (``track``, ``identify``, list subscribes, exclusions, ...) are translated into
the new JSON:API requests and sent, or shown with ``dry_run=True``::

    import klaviyo_legacy_compat as klaviyo

    klaviyo.configure(private_key="pk_...")
    klaviyo.track("Placed Order", {"$email": "a@example.com"}, {"$value": 42})
    plan = klaviyo.subscribe_to_list("XyZ123", profiles, dry_run=True)
    print(plan.to_dict())
"""

from __future__ import annotations

from ._bulk.batching import Batcher, FlushReport
from ._bulk.shutdown import shutdown
from ._bulk.spool import SpoolError
from ._core.errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    ConflictError,
    KlaviyoCompatError,
    MissingIdentifierError,
    NotFoundError,
    PartialDeliveryError,
    RateLimitError,
    ServerError,
    TranslationError,
    UnsupportedLegacyFeatureError,
)
from ._core.models import PlannedRequest, PreparedRequest, RawResponse
from ._core.plan import Plan
from ._core.translate import SubscribeReport, UnsubscribeReport
from ._core.translate.batches import Rejected
from ._surfaces.client import CompatClient
from ._surfaces.facade import (
    batching,
    configure,
    default_client,
    exclude_email,
    flush,
    identify,
    subscribe_to_list,
    track,
    unsubscribe,
)
from ._surfaces.install import install, uninstall
from ._transports.transport import RequestsTransport, RequestTimeoutError, Transport, TransportError
from ._version import REVISION, __version__
from .legacy.api import Klaviyo
from .legacy.api_helper import KlaviyoAPIResponse

__all__ = [
    "REVISION",
    "APIError",
    "AuthenticationError",
    "BadRequestError",
    "Batcher",
    "CompatClient",
    "ConfigurationError",
    "ConflictError",
    "FlushReport",
    "Klaviyo",
    "KlaviyoAPIResponse",
    "KlaviyoCompatError",
    "MissingIdentifierError",
    "NotFoundError",
    "PartialDeliveryError",
    "Plan",
    "PlannedRequest",
    "PreparedRequest",
    "RateLimitError",
    "RawResponse",
    "Rejected",
    "RequestTimeoutError",
    "RequestsTransport",
    "ServerError",
    "SpoolError",
    "SubscribeReport",
    "TranslationError",
    "Transport",
    "TransportError",
    "UnsubscribeReport",
    "UnsupportedLegacyFeatureError",
    "__version__",
    "batching",
    "configure",
    "default_client",
    "exclude_email",
    "flush",
    "identify",
    "install",
    "shutdown",
    "subscribe_to_list",
    "track",
    "uninstall",
    "unsubscribe",
]
