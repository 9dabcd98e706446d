"""The one seam where a planned request meets host, credentials and headers (pure).

Live mode and dry-run both go through :func:`prepare`; dry-run passes the private key
redacted, which is why a plan shows exactly what would be sent, minus the secret.
"""

from __future__ import annotations

from typing import Optional, Union

import attrs

from klaviyo_legacy_compat._version import REVISION, USER_AGENT

from .credentials import API_KEY_SCHEME, PRIVATE, PUBLIC, Credentials, placement
from .endpoints import endpoint
from .errors import ConfigurationError
from .models import PlannedRequest, PreparedRequest

__all__ = ["JSON_API", "RequestContext", "prepare"]

#: Every JSON body of the new API uses this media type (new-api.md §1).
JSON_API = "application/vnd.api+json"

_MISSING_PRIVATE = "<private key>"
_MISSING_PUBLIC = "<public key>"


@attrs.frozen
class RequestContext:
    """What :func:`prepare` adds to every request: host, revision, credentials."""

    base_url: str = "https://a.klaviyo.com"
    revision: str = REVISION
    credentials: Credentials = attrs.field(factory=Credentials)
    user_agent: str = USER_AGENT
    timeout: Optional[Union[float, tuple[float, float]]] = None

    def for_display(self) -> RequestContext:
        """The context dry-run shows: the private key redacted (``pk_…abcd``), the public key
        as it is sent (``company_id``: it is public), a missing key as ``<private key>`` /
        ``<public key>``."""
        shown = self.credentials.redacted()
        return attrs.evolve(
            self,
            credentials=Credentials(
                private_key=shown.private_key or _MISSING_PRIVATE,
                public_key=shown.public_key or _MISSING_PUBLIC,
            ),
        )


def prepare(request: PlannedRequest, context: RequestContext) -> PreparedRequest:
    """Add host, auth, ``revision`` and media-type headers to ``request``.

    Server endpoints (``/api``) get ``Authorization: Klaviyo-API-Key <private key>``; client
    endpoints (``/client``) get ``company_id=<public key>`` and never the private key (spec:
    client operations declare ``security: []``).
    """
    row = endpoint(request.operation)
    headers = [
        ("Accept", JSON_API),
        ("revision", context.revision),
        ("User-Agent", context.user_agent),
    ]
    params = request.params
    if row.is_client:
        key = context.credentials.public_key
        if key is None:
            raise ConfigurationError(
                f"{request.method} {request.path} is a client endpoint and needs the public key "
                "(public_token, or KLAVIYO_PUBLIC_API_KEY)"
            )
        if placement(PUBLIC, key) == PRIVATE:
            # Credentials made by _credentials.credentials never hold one here; this is the
            # last gate before a URL: a private key is never put in one.
            raise ConfigurationError(
                f"{request.method} {request.path} is a client endpoint: a private key (pk_…) "
                "is never sent to one, nor put in a URL"
            )
        params = (("company_id", key), *params)
    else:
        key = context.credentials.private_key
        if key is None:
            raise ConfigurationError(
                f"{request.method} {request.path} needs a private API key "
                "(private_token / api_key, or KLAVIYO_PRIVATE_API_KEY)"
            )
        headers.append(("Authorization", f"{API_KEY_SCHEME} {key}"))
    if request.json is not None:
        headers.append(("Content-Type", JSON_API))
    return PreparedRequest(
        method=request.method,
        url=context.base_url + request.path,
        params=params,
        headers=tuple(headers),
        json=request.json,
        operation=request.operation,
        timeout=context.timeout,
    )
