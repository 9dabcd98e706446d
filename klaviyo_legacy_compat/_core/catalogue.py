"""The legacy catalogue: every v1/v2 endpoint this library translates, one
:class:`~klaviyo_legacy_compat._core.legacy_endpoint.LegacyEndpoint` each, joined from the
``ENDPOINTS`` of the resource modules of ``_translate`` (each imported here).

Everything that knows a legacy endpoint reads it from :data:`CATALOGUE`: the raw-HTTP route
table (``_wire.ROUTES``), the ``klaviyo-sdk`` method table (``sdk/_methods.py``, through
:data:`SDK_ENDPOINTS`), the requests of the ``klaviyo`` 3.1.7 classes (``legacy``, through
:data:`KLAVIYO_ENDPOINTS`) and MIGRATION.md, generated in this order
(``scripts/generate_migration.py``). The new operations of each endpoint are not written
anywhere but found by translating its example, so the document cannot drift from the
translators; ``tests/test_migration.py`` fails when MIGRATION.md is out of date.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from klaviyo_legacy_compat._core.legacy_endpoint import LegacyEndpoint
from klaviyo_legacy_compat._core.translate import (
    campaigns,
    exclusions,
    flows,
    lists,
    members,
    membership,
    metrics,
    privacy,
    profiles,
    public,
    recipients,
    subscriptions,
    templates,
)

__all__ = ["CATALOGUE", "KLAVIYO_ENDPOINTS", "SDK_ENDPOINTS"]

#: Every legacy endpoint, in the order MIGRATION.md lists them.
CATALOGUE: tuple[LegacyEndpoint, ...] = (
    *public.ENDPOINTS,
    *subscriptions.ENDPOINTS,
    *lists.ENDPOINTS,
    *membership.ENDPOINTS,
    *members.ENDPOINTS,
    *exclusions.ENDPOINTS,
    *profiles.ENDPOINTS,
    *metrics.ENDPOINTS,
    *campaigns.ENDPOINTS,
    *recipients.ENDPOINTS,
    *templates.ENDPOINTS,
    *privacy.ENDPOINTS,
    *flows.ENDPOINTS,
)


def _by_name(named: Iterable[tuple[str, LegacyEndpoint]]) -> Mapping[str, LegacyEndpoint]:
    """Each method name → the endpoint that names it; a name on two endpoints is an error
    of the table, raised as the package is imported."""
    index: dict[str, LegacyEndpoint] = {}
    for name, endpoint in named:
        other = index.setdefault(name, endpoint)
        if other is not endpoint:
            raise ValueError(
                f"{name} is named by {other.method} {other.path} and {endpoint.method} "
                f"{endpoint.path}"
            )
    return index


#: ``klaviyo`` 3.1.7 method (``Lists.get_lists``, ``Public.track(method='post')``) → its
#: endpoint.
KLAVIYO_ENDPOINTS = _by_name((name, e) for e in CATALOGUE for name in e.klaviyo)

#: ``klaviyo-sdk`` 1.0.9 method (``ListsSegments.get_lists``) → its endpoint.
SDK_ENDPOINTS = _by_name((name, e) for e in CATALOGUE for name in e.sdk)
