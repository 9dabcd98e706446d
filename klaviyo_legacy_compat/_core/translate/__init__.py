"""The translation core: typed legacy calls in, flows of planned requests out. No I/O.

One module per legacy resource, or per part of one (``events``, ``profiles``,
``subscriptions``, ``lists``, ``membership``, ...); :func:`translate` picks the translator for
a call from :data:`TRANSLATORS`, joined from each module's own table.
"""

from __future__ import annotations

from typing import Any, Callable

import attrs

from klaviyo_legacy_compat._core.calls import IdentifyCall, TrackCall
from klaviyo_legacy_compat._core.config import Options
from klaviyo_legacy_compat._core.flow import Flow
from klaviyo_legacy_compat._core.leniency import normalised, permits
from klaviyo_legacy_compat._core.parse import parse_int
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
    recipients,
    subscriptions,
    templates,
)
from klaviyo_legacy_compat._core.translate.events import plan_track
from klaviyo_legacy_compat._core.translate.exclusions import plan_exclude_email
from klaviyo_legacy_compat._core.translate.profiles import plan_identify
from klaviyo_legacy_compat._core.translate.subscriptions import (
    SubscribeReport,
    UnsubscribeReport,
    legacy_body,
    plan_subscribe_to_list,
    plan_unsubscribe,
)

__all__ = [
    "COUNT_LIMITS",
    "ROUTED",
    "TRANSLATORS",
    "SubscribeReport",
    "UnsubscribeReport",
    "legacy_body",
    "plan_exclude_email",
    "plan_identify",
    "plan_subscribe_to_list",
    "plan_track",
    "plan_unsubscribe",
    "translate",
]

#: Calls whose endpoint depends on the key available: server (private key) or client
#: (public key only). Their translators take ``server_side``.
ROUTED: dict[type[Any], Callable[..., Flow[Any]]] = {
    TrackCall: plan_track,
    IdentifyCall: plan_identify,
}

#: Calls that exist only server-side: call type → translator(call, *, options), joined from
#: each resource module's own table.
TRANSLATORS: dict[type[Any], Callable[..., Flow[Any]]] = {
    **subscriptions.TRANSLATORS,
    **lists.TRANSLATORS,
    **membership.TRANSLATORS,
    **members.TRANSLATORS,
    **exclusions.TRANSLATORS,
    **profiles.TRANSLATORS,
    **metrics.TRANSLATORS,
    **campaigns.TRANSLATORS,
    **recipients.TRANSLATORS,
    **templates.TRANSLATORS,
    **privacy.TRANSLATORS,
    **flows.TRANSLATORS,
}


#: Calls with a legacy ``count`` maximum → that maximum, joined from the resource modules.
COUNT_LIMITS: dict[type[Any], int] = {
    **lists.COUNT_LIMITS,
    **flows.COUNT_LIMITS,
    **metrics.COUNT_LIMITS,
    **campaigns.COUNT_LIMITS,
    **recipients.COUNT_LIMITS,
    **templates.COUNT_LIMITS,
}


def translate(call: Any, *, server_side: bool, options: Options) -> Flow[Any]:
    """The flow for ``call``."""
    routed = ROUTED.get(type(call))
    if routed is not None:
        return routed(call, server_side=server_side, options=options)
    limit = COUNT_LIMITS.get(type(call))
    if limit is not None and call.count > limit:
        return _clamped(call, limit, options)
    return TRANSLATORS[type(call)](call, options=options)


def _clamped(call: Any, limit: int, options: Options) -> Flow[Any]:
    """The flow of ``call`` with its ``count`` clamped to the legacy maximum ``limit``
    (leniency row ``count_clamped``); under ``strict`` refused as before."""
    if not permits(options.strict, "count_clamped"):
        parse_int(call.count, "count", limit, 1, limit)  # raises the error it always raised
    yield normalised(
        "count_clamped", "count", f"{call.count} is above the legacy maximum: {limit} are read"
    )
    return (yield from TRANSLATORS[type(call)](attrs.evolve(call, count=limit), options=options))
