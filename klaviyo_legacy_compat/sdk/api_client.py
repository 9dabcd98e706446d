"""``swagger_client.ApiClient`` of ``klaviyo-sdk`` 1.0.9: the object the generated
``*Api(api_client)`` classes sent their requests through (legacy-surface.md B.1, B.2).

Here it carries a :class:`Configuration` and builds, for each request, the
:class:`~klaviyo_legacy_compat.sdk.wrapper.Client` that the ``klaviyo_sdk.Client``
namespaces run on, from the configuration as it is at that moment (generated code read key
and host per request, so a key set after the API object was built still counts). There is
one translation path: the ``*Api`` classes are those namespaces.
"""

from __future__ import annotations

from typing import Any, Optional

from klaviyo_legacy_compat._surfaces.client import CompatClient
from klaviyo_legacy_compat.sdk.configuration import Configuration
from klaviyo_legacy_compat.sdk.wrapper import Client

__all__ = ["ApiClient"]

#: Attempts per call. The generated API objects did not retry: the tenacity retry lived in
#: ``klaviyo_sdk.Client`` around them (B.2), and code using them directly often wrapped its
#: own (``klaviyo_sdk.custom_retry``), so retrying here as well would multiply attempts.
_ATTEMPTS = 1


class ApiClient:
    """``ApiClient(configuration=None)``; ``Configuration()`` when none is given.

    Beyond the legacy signature, as for ``Client``: ``client`` (the :class:`CompatClient`
    to run on) and keyword options of :func:`klaviyo_legacy_compat.configure`.
    """

    def __init__(
        self,
        configuration: Optional[Configuration] = None,
        *,
        client: Optional[CompatClient] = None,
        **options: Any,
    ) -> None:
        self.configuration = configuration if configuration is not None else Configuration()
        self._client = client
        self._options = dict(options)

    def sdk_client(self) -> Client:
        """The ``Client`` a request made now runs on (key and host read now)."""
        config = self.configuration
        return Client(
            config.private_key(),
            max_retries=_ATTEMPTS,
            test_host=config.client_host(),
            client=self._client,
            **self._options,
        )

    def __repr__(self) -> str:
        return f"ApiClient({self.configuration!r})"
