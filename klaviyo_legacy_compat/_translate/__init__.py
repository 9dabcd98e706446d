"""The translation core: typed legacy calls in, flows of planned requests out. No I/O.

One module per legacy resource (``events``, ``profiles``, ``subscriptions``); :func:`translate`
picks the translator for a call from :data:`TRANSLATORS`.
"""

from __future__ import annotations

from typing import Any, Callable

from klaviyo_legacy_compat._calls import IdentifyCall, TrackCall
from klaviyo_legacy_compat._config import Options
from klaviyo_legacy_compat._flow import Flow
from klaviyo_legacy_compat._translate import (
    campaigns,
    flows,
    lists,
    metrics,
    privacy,
    profiles,
    subscriptions,
    templates,
)
from klaviyo_legacy_compat._translate.events import plan_track
from klaviyo_legacy_compat._translate.profiles import plan_identify
from klaviyo_legacy_compat._translate.subscriptions import (
    SubscribeReport,
    UnsubscribeReport,
    legacy_body,
    plan_exclude_email,
    plan_subscribe_to_list,
    plan_unsubscribe,
)

__all__ = [
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
    **profiles.TRANSLATORS,
    **metrics.TRANSLATORS,
    **campaigns.TRANSLATORS,
    **templates.TRANSLATORS,
    **privacy.TRANSLATORS,
    **flows.TRANSLATORS,
}


def translate(call: Any, *, server_side: bool, options: Options) -> Flow[Any]:
    """The flow for ``call``."""
    routed = ROUTED.get(type(call))
    if routed is not None:
        return routed(call, server_side=server_side, options=options)
    return TRANSLATORS[type(call)](call, options=options)
