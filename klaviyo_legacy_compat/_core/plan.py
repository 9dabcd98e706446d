"""``Plan``: what a legacy call becomes, shown instead of sent (contract §3)."""

from __future__ import annotations

from typing import Any

import attrs

from .endpoints import endpoint
from .models import PlannedRequest, PreparedRequest
from .prepare import RequestContext, prepare

__all__ = ["Plan"]


def _params_object(pairs: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    # Contract §3: a value is a string, or a list of strings for a repeated key.
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            previous = out[key]
            out[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            out[key] = value
    return out


@attrs.frozen
class Plan:
    """The requests a legacy call becomes, and every behaviour difference to know about.

    ``requests`` are the translator's :class:`PlannedRequest` values; ``prepared()`` adds
    host and headers exactly as live mode would, the private key redacted (the public key,
    which is public, shows as the ``company_id`` it is sent as). ``to_dict()`` is the
    JSON-serialisable form of contract §3.
    """

    requests: tuple[PlannedRequest, ...]
    warnings: tuple[str, ...] = ()
    context: RequestContext = attrs.field(factory=RequestContext, repr=False)

    def prepared(self) -> tuple[PreparedRequest, ...]:
        """Each request with host, auth (the private key redacted) and headers, as it would be
        sent."""
        shown = self.context.for_display()
        return tuple(prepare(request, shown) for request in self.requests)

    def to_dict(self) -> dict[str, Any]:
        """``{"requests": [...], "warnings": [...]}``; see contract §3 for the keys."""
        out = []
        for planned, sent in zip(self.requests, self.prepared()):
            row = endpoint(planned.operation)
            out.append(
                {
                    "method": sent.method,
                    "url": sent.url,
                    "params": _params_object(sent.params),
                    "headers": dict(sent.headers),
                    "json": sent.json,
                    "operation": sent.operation,
                    "depends_on": planned.depends_on,
                    "note": planned.note,
                    "rate_limit": row.rate_limit(),
                    "scopes": list(row.scopes),
                }
            )
        return {"requests": out, "warnings": list(self.warnings)}
