"""The ``klaviyo`` 3.1.7 methods keep their exact parameter names, order and defaults
(legacy-surface.md A.6), so positional and keyword calls written for it still bind."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from klaviyo_legacy_compat.legacy.api import Klaviyo
from klaviyo_legacy_compat.legacy.api_helper import KlaviyoAPI
from klaviyo_legacy_compat.legacy.campaigns import Campaigns
from klaviyo_legacy_compat.legacy.data_privacy import DataPrivacy
from klaviyo_legacy_compat.legacy.lists import Lists
from klaviyo_legacy_compat.legacy.metrics import Metrics
from klaviyo_legacy_compat.legacy.profiles import Profiles
from klaviyo_legacy_compat.legacy.public import Public

E = inspect.Parameter.empty
TIMELINE = (("since", None), ("count", 100), ("sort", "desc"))

#: (class, method) → ((name, default), ...) after ``self``; ``E``: no default.
LEGACY: dict[tuple[type, str], tuple[tuple[str, Any], ...]] = {
    (Public, "track"): (
        ("event", E),
        ("email", None),
        ("external_id", None),
        ("properties", None),
        ("customer_properties", None),
        ("timestamp", None),
        ("ip_address", None),
        ("is_test", False),
        ("method", "get"),
    ),
    (Public, "track_once"): (
        ("event", E),
        ("email", None),
        ("external_id", None),
        ("properties", None),
        ("customer_properties", None),
        ("timestamp", None),
        ("ip_address", None),
        ("is_test", False),
    ),
    (Public, "identify"): (
        ("email", None),
        ("external_id", None),
        ("properties", None),
        ("is_test", False),
        ("method", "get"),
    ),
    (Lists, "get_lists"): (),
    (Lists, "create_list"): (("list_name", E),),
    (Lists, "get_list_by_id"): (("list_id", E),),
    (Lists, "update_list_name_by_id"): (("list_id", E), ("list_name", E)),
    (Lists, "delete_list"): (("list_id", E),),
    (Lists, "add_subscribers_to_list"): (("list_id", E), ("profiles", E)),
    (Lists, "get_subscribers_from_list"): (("list_id", E), ("emails", E)),
    (Lists, "delete_subscribers_from_list"): (("list_id", E), ("emails", E)),
    (Lists, "add_members_to_list"): (("list_id", E), ("profiles", E)),
    (Lists, "get_members_from_list"): (("list_id", E), ("emails", E)),
    (Lists, "remove_members_from_list"): (("list_id", E), ("emails", E)),
    (Lists, "get_list_exclusions"): (("list_id", E), ("marker", None)),
    (Lists, "get_all_members"): (("group_id", E), ("marker", None)),
    (Lists, "get_members_from_segment"): (("segment_id", E), ("emails", E)),
    (Profiles, "get_profile"): (("profile_id", E),),
    (Profiles, "update_profile"): (("profile_id", E), ("properties", None)),
    (Profiles, "get_profile_metrics_timeline"): (("profile_id", E), *TIMELINE),
    (Profiles, "get_profile_metrics_timeline_by_id"): (
        ("profile_id", E),
        ("metric_id", E),
        *TIMELINE,
    ),
    (Profiles, "get_profile_id_by_email"): (("email", E),),
    (Profiles, "unset_profile_properties"): (("profile_id", E), ("properties", None)),
    (Metrics, "get_metrics"): (("page", 0), ("count", 50)),
    (Metrics, "get_metrics_timeline"): TIMELINE,
    (Metrics, "get_metric_timeline_by_id"): (("metric_id", E), *TIMELINE),
    (Metrics, "get_metric_export"): (
        ("metric_id", E),
        ("start_date", None),
        ("end_date", None),
        ("unit", None),
        ("measurement", None),
        ("where", None),
        ("by", None),
        ("count", None),
    ),
    (Campaigns, "get_campaigns"): (("page", 0), ("count", 50)),
    (Campaigns, "get_campaign_recipients"): (
        ("campaign_id", E),
        ("count", 5000),
        ("offset", ""),
        ("sort", "asc"),
    ),
    (DataPrivacy, "request_profile_deletion"): (("identifier", E), ("id_type", "email")),
}


def test_thirty_methods() -> None:
    assert len(LEGACY) == 30
    public = {
        (cls, name)
        for cls in (Public, Lists, Profiles, Metrics, Campaigns, DataPrivacy)
        for name, value in vars(cls).items()
        if callable(value) and not name.startswith("_")
    }
    assert public == set(LEGACY)


@pytest.mark.parametrize(
    ("cls", "method"), list(LEGACY), ids=[f"{c.__name__}.{m}" for c, m in LEGACY]
)
def test_signature(cls: type, method: str) -> None:
    parameters = list(inspect.signature(getattr(cls, method)).parameters.values())[1:]
    assert tuple((p.name, p.default) for p in parameters) == LEGACY[(cls, method)]
    assert all(p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD for p in parameters)


def test_constructors() -> None:
    client = list(inspect.signature(Klaviyo).parameters.values())
    assert [(p.name, p.default) for p in client[:3]] == [
        ("public_token", None),
        ("private_token", None),
        ("api_server", "https://a.klaviyo.com/api"),  # 2.x's, see test_flat.py
    ]
    base = list(inspect.signature(KlaviyoAPI).parameters.values())
    assert [(p.name, p.default) for p in base[:3]] == [
        ("public_token", None),
        ("private_token", None),
        ("api_server", "https://a.klaviyo.com/api"),
    ]
