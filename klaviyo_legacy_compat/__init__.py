"""klaviyo_legacy_compat: keep code written for Klaviyo's retired v1/v2 APIs working.

Three ways in, one translation core: swap one import (``import klaviyo_legacy_compat as
klaviyo`` for ``klaviyo`` 3.1.7, ``from klaviyo_legacy_compat.sdk import Client`` for
``klaviyo-sdk`` 1.0.9, or ``install()`` and change nothing), the legacy-shaped functions
below, or raw legacy HTTP (``klaviyo_legacy_compat.legacy_http``).

For the import swap this package carries what code reached through ``klaviyo``:
``Klaviyo``, ``KlaviyoAPIResponse``, ``KlaviyoException`` (2.x's ``except
klaviyo.KlaviyoException``) and, as attributes, the modules ``exceptions``, ``api``,
``api_helper``, ``public``, ``lists``, ``profiles``, ``metrics``, ``campaigns``,
``data_privacy`` and ``middleware``, as ``klaviyo`` had them once imported
(``klaviyo.exceptions.KlaviyoAPIException``). ``exceptions`` is this library's own (the
legacy names beside every other exception); the others are the legacy layout of
:mod:`klaviyo_legacy_compat.legacy`, left out of ``__all__``. ``__version__`` is this
library's, not ``3.1.7``.

Legacy calls (``track``, ``identify``, list subscribes, exclusions, ...) are translated into
the new JSON:API requests and sent, or shown with ``dry_run=True``::

    import klaviyo_legacy_compat as klaviyo

    klaviyo.configure(private_key="pk_...")
    klaviyo.track("Placed Order", {"$email": "a@example.com"}, {"$value": 42})
    plan = klaviyo.subscribe_to_list("XyZ123", profiles, dry_run=True)
    print(plan.to_dict())
"""

from __future__ import annotations

from . import exceptions as exceptions
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
    KlaviyoException,
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
from .legacy import api as api
from .legacy import api_helper as api_helper
from .legacy import campaigns as campaigns
from .legacy import data_privacy as data_privacy
from .legacy import lists as lists
from .legacy import metrics as metrics
from .legacy import middleware as middleware
from .legacy import profiles as profiles
from .legacy import public as public
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
    "KlaviyoException",
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
