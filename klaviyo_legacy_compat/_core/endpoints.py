"""The endpoint table: one row per operation of the pinned revision, and lookups over it.

The rows live in ``_endpoint_table.py``, generated from Klaviyo's OpenAPI spec by
``scripts/generate_endpoints.py`` (rate limits from each operation's rate-limit extension,
per-call caps from the description prose, because the spec has no ``maxItems``: new-api.md
§10.3). It is the single source for chunk sizes, dry-run annotations and, in the transport,
pacing. Nothing else in the package hard-codes a limit of an endpoint.
"""

from __future__ import annotations

import re
from typing import Optional

import attrs

from .endpoint_table import ROWS

__all__ = ["ENDPOINTS", "Endpoint", "endpoint", "match_path"]


@attrs.frozen
class Endpoint:
    """One operation of the new API as the spec declares it.

    ``burst`` is requests per second, ``steady`` requests per minute, ``daily`` requests per
    day where the spec sets one. ``max_items`` is the documented per-call cap on items
    (profiles, events, emails) and ``max_bytes`` the documented payload cap, both ``None``
    when the spec states none.
    """

    operation: str
    method: str
    path: str
    burst: int
    steady: int
    daily: Optional[int]
    max_items: Optional[int]
    max_bytes: Optional[int]
    scopes: tuple[str, ...]
    success: tuple[int, ...]

    @property
    def is_client(self) -> bool:
        """Client (``/client/...``) endpoints take the public key as ``company_id``."""
        return self.path.startswith("/client/")

    @property
    def item_cap(self) -> int:
        """``max_items`` for an operation that chunks by it; a table without one is a bug
        here, not a reason to invent a cap."""
        if self.max_items is None:
            raise KeyError(f"the spec states no per-call item cap for {self.operation}")
        return self.max_items

    def rate_limit(self) -> dict[str, int]:
        """The limits as dry-run shows them: ``{"burst_per_second", "steady_per_minute", ...}``."""
        out = {"burst_per_second": self.burst, "steady_per_minute": self.steady}
        if self.daily is not None:
            out["daily"] = self.daily
        return out


#: Every operation of the pinned revision, from the generated rows.
ENDPOINTS: tuple[Endpoint, ...] = tuple(Endpoint(*row) for row in ROWS)


def _index() -> tuple[dict[str, Endpoint], list[tuple[re.Pattern[str], Endpoint]]]:
    by_operation = {row.operation: row for row in ENDPOINTS}
    # Literal paths first so "/api/profiles/{id}" never shadows a literal sibling.
    ordered = sorted(ENDPOINTS, key=lambda e: (e.path.count("{"), -len(e.path)))
    patterns = [
        (re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(e.path)) + "$"), e)
        for e in ordered
    ]
    return by_operation, patterns


_BY_OPERATION, _PATTERNS = _index()


def endpoint(operation: str) -> Endpoint:
    """The table row of ``operation``; a ``KeyError`` names an operation the spec lacks."""
    try:
        return _BY_OPERATION[operation]
    except KeyError:
        raise KeyError(f"no operation {operation!r} in the endpoint table") from None


def match_path(method: str, path: str) -> Optional[Endpoint]:
    """The operation serving ``method path`` (a concrete path), or ``None``."""
    for pattern, row in _PATTERNS:
        if row.method == method and pattern.match(path):
            return row
    return None
