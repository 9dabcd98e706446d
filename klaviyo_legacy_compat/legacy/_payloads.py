"""The track and identify payloads the legacy ``klaviyo`` SDKs built (2.x and 3.1.7 alike;
legacy-surface.md A.6), written once for both surfaces.

Both put the ``email=`` and ``id=``/``external_id=`` arguments into the profile dict as
``email`` and ``id`` (without ``$``: legacy-surface.md E.2) and added ``ip`` only when given.
Unlike them, the caller's dicts are never changed: each builder works on the copy it is
handed.
"""

from __future__ import annotations

from typing import Any, Optional

__all__ = ["identified", "track_payload"]


def identified(values: dict[str, Any], email: Optional[str], external_id: Any) -> dict[str, Any]:
    """``values`` (a copy the caller made) with ``email`` and ``id`` set where given."""
    if email:
        values["email"] = email
    if external_id:
        values["id"] = external_id
    return values


def track_payload(
    token: Optional[str],
    event: str,
    properties: dict[str, Any],
    customer_properties: dict[str, Any],
    timestamp: Any,
    ip_address: Optional[str],
) -> dict[str, Any]:
    """The legacy track payload, keys in the legacy order; ``ip`` only when given."""
    payload: dict[str, Any] = {
        "token": token,
        "event": event,
        "properties": properties,
        "customer_properties": customer_properties,
        "time": timestamp,
    }
    if ip_address:
        payload["ip"] = ip_address
    return payload
