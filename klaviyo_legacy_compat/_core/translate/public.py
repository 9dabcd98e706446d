"""The legacy public API: track and identify (``klaviyo`` 3.1.7 ``Public``, ``klaviyo-sdk``
``TrackIdentify``).

Their wire forms are their own: the payload, carrying the public ``token``, travels as base64
JSON in a ``data=`` query parameter (GET, the legacy pixel) or as a form field (POST), and
``test=1`` asked for a test call (legacy-surface.md A.3). ``_wire`` reads the payload from any
of those forms and hands it to the client's ``track`` or ``identify`` (each endpoint's
``payload``), which :func:`~klaviyo_legacy_compat._core.translate.events.plan_track` and
:func:`~klaviyo_legacy_compat._core.translate.profiles.plan_identify` translate.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from klaviyo_legacy_compat._core.legacy_endpoint import LegacyEndpoint

__all__ = ["ENDPOINTS"]


def _b64(payload: Mapping[str, Any]) -> str:
    return base64.b64encode(json.dumps(payload).encode()).decode()


_TRACK = {
    "token": "AbC123",
    "event": "Placed Order",
    "customer_properties": {"$email": "a@example.com"},
}
_IDENTIFY = {"token": "AbC123", "properties": {"$email": "a@example.com", "$first_name": "Ann"}}

#: legacy-surface.md A.3: 3.1.7 sent ``test=1`` for ``is_test`` on GET only; POST ignored it.
_TEST_MODE = (
    "`test=1` / `is_test=True`: no test mode exists; not sent unless `test_calls='send'`. "
    "With `method='post'` klaviyo 3.1.7 ignored `is_test`, and so does this: the call is sent"
)

_TRACK_DIFFERENCES = (
    "`$`-keys mapped to attributes (`$email`/`email` → `email`, `$phone_number` → "
    "`phone_number`, `$id`/`id` → `external_id` as a string, `$exchange_id` → `_kx`, names, "
    "`$title`, `$organization`, `$image`, and the address keys and top-level `ip` under "
    "`location`); every other key, `$consent` and `$source` included, under `properties`",
    "`$event_id` → `unique_id` and `$value` → `value`, both kept in `properties`; without "
    "`$event_id`, a `unique_id` derived from the call, so distinct events in one second are "
    "all kept (Klaviyo's default keeps one per second) and a retry is recorded once",
    "`time` (unix seconds, numeric string, ISO-8601 or datetime; naive = local time) → ISO-8601 "
    "UTC; without one the call time is stamped, so a retry keeps the event's identity",
    "with only the public key (`token`): `POST /client/events?company_id=`, which never "
    "changes an existing profile's identifiers",
    "`__track_once__` → a constant `unique_id`: Klaviyo records the metric once per profile "
    "from the migration on",
    _TEST_MODE,
    "metric name < 128 characters, ≤ 400 properties, strings ≤ 100 KB, payload ≤ 5 MB: "
    "checked before sending",
    'answers the legacy `1` for "accepted" (the new API\'s 202)',
)

_IDENTIFY_DIFFERENCES = (
    "one create-or-update call (`profile-import`): no 409 race; `identify_mode='split'` "
    "creates, then PATCHes the duplicate named by the 409",
    "email and phone number on two different profiles (409 even on upsert): "
    "`identify_conflict` drops the phone (default) or the email and re-sends, or raises",
    "special keys as for track; `null`/empty values are left out, never sent as `null` "
    "(which would clear the field)",
    "with only the public key: `POST /client/profiles?company_id=`",
    _TEST_MODE,
    "answers the legacy `1`",
)

ENDPOINTS: tuple[LegacyEndpoint, ...] = (
    LegacyEndpoint(
        "GET",
        "/api/track",
        None,
        ("Public.track", "Public.track_once"),
        ("TrackIdentify.track_get",),
        {"method": "GET", "url": f"https://a.klaviyo.com/api/track?data={_b64(_TRACK)}"},
        _TRACK_DIFFERENCES,
        payload="track",
    ),
    LegacyEndpoint(
        "POST",
        "/api/track",
        None,
        ("Public.track(method='post')",),
        ("TrackIdentify.track_post",),
        {
            "method": "POST",
            "url": "https://a.klaviyo.com/api/track",
            "form": {"data": json.dumps(_TRACK)},
        },
        _TRACK_DIFFERENCES,
        payload="track",
    ),
    LegacyEndpoint(
        "GET",
        "/api/identify",
        None,
        ("Public.identify",),
        ("TrackIdentify.identify_get",),
        {"method": "GET", "url": f"https://a.klaviyo.com/api/identify?data={_b64(_IDENTIFY)}"},
        _IDENTIFY_DIFFERENCES,
        payload="identify",
    ),
    LegacyEndpoint(
        "POST",
        "/api/identify",
        None,
        ("Public.identify(method='post')",),
        ("TrackIdentify.identify_post",),
        {
            "method": "POST",
            "url": "https://a.klaviyo.com/api/identify",
            "form": {"data": json.dumps(_IDENTIFY)},
        },
        _IDENTIFY_DIFFERENCES,
        payload="identify",
    ),
)
