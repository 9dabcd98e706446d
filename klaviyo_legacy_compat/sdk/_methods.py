"""The method table of ``klaviyo-sdk`` 1.0.9: every method of its seven namespaces, with the
legacy request it sent and the type it returned (legacy-surface.md B.3-B.7). The namespace
classes in ``wrapper.py`` are generated from it.

A row: namespace, method name, HTTP method, legacy path (``{name}`` for path parameters,
which are the method's positional parameters), keyword parameters (query, form or JSON body
in the legacy request: here they all become parameters of the legacy call), and the return
kind (:data:`RETURNS`).
"""

from __future__ import annotations

import attrs

__all__ = ["METHODS", "RETURNS", "SdkMethod"]


@attrs.frozen
class SdkMethod:
    """One legacy method."""

    namespace: str
    name: str
    http: str
    path: str
    keywords: tuple[str, ...] = ()
    returns: str = "dict"

    @property
    def positional(self) -> tuple[str, ...]:
        """The path parameters, in order: the method's required positional parameters."""
        names = []
        for part in self.path.split("/"):
            if part.startswith("{") and part.endswith("}"):
                names.append(part[1:-1])
        return tuple(names)


#: What each method returned (B.5): ``dict``/``list`` plain JSON; ``none``; ``string``
#: (``'1'``/``'0'``); ``object_id`` (an object with ``.id``); ``str_dict`` (``str()`` of the
#: JSON dict, single quotes and all).
RETURNS = ("dict", "list", "none", "string", "object_id", "str_dict")

_CAMPAIGN_FIELDS = (
    "list_id",
    "template_id",
    "from_email",
    "from_name",
    "subject",
    "name",
    "use_smart_sending",
    "add_google_analytics",
)
_TIMELINE = ("since", "count", "sort")

METHODS: tuple[SdkMethod, ...] = (
    # TrackIdentify: the wrapper's own overrides, which take only ``data``.
    SdkMethod("TrackIdentify", "track_get", "GET", "/track", ("data",), "string"),
    SdkMethod("TrackIdentify", "track_post", "POST", "/track", ("data",), "string"),
    SdkMethod("TrackIdentify", "identify_get", "GET", "/identify", ("data",), "string"),
    SdkMethod("TrackIdentify", "identify_post", "POST", "/identify", ("data",), "string"),
    # ListsSegments
    SdkMethod("ListsSegments", "get_lists", "GET", "/v2/lists", (), "list"),
    SdkMethod("ListsSegments", "create_list", "POST", "/v2/lists", ("list_name",)),
    SdkMethod("ListsSegments", "get_list_info", "GET", "/v2/list/{list_id}"),
    SdkMethod(
        "ListsSegments", "update_list_name", "PUT", "/v2/list/{list_id}", ("list_name",), "none"
    ),
    SdkMethod("ListsSegments", "delete_list", "DELETE", "/v2/list/{list_id}", (), "none"),
    SdkMethod(
        "ListsSegments", "subscribe", "POST", "/v2/list/{list_id}/subscribe", ("body",), "list"
    ),
    SdkMethod(
        "ListsSegments", "unsubscribe", "DELETE", "/v2/list/{list_id}/subscribe", ("body",), "none"
    ),
    SdkMethod(
        "ListsSegments",
        "get_list_subscriptions",
        "POST",
        "/v2/list/{list_id}/get-list-subscriptions",
        ("body",),
        "list",
    ),
    SdkMethod(
        "ListsSegments", "add_members", "POST", "/v2/list/{list_id}/members", ("body",), "list"
    ),
    SdkMethod(
        "ListsSegments", "remove_members", "DELETE", "/v2/list/{list_id}/members", ("body",), "none"
    ),
    SdkMethod(
        "ListsSegments",
        "get_list_members",
        "POST",
        "/v2/list/{list_id}/get-members",
        ("body",),
        "list",
    ),
    SdkMethod(
        "ListsSegments",
        "get_segment_members",
        "POST",
        "/v2/segment/{segment_id}/get-members",
        ("body",),
        "list",
    ),
    SdkMethod(
        "ListsSegments",
        "get_list_exclusions",
        "GET",
        "/v2/list/{list_id}/exclusions/all",
        ("marker",),
    ),
    SdkMethod(
        "ListsSegments",
        "get_members",
        "GET",
        "/v2/group/{list_or_segment_id}/members/all",
        ("marker",),
    ),
    SdkMethod(
        "ListsSegments",
        "get_global_exclusions",
        "GET",
        "/v1/people/exclusions",
        ("reason", "sort", "count", "page"),
    ),
    SdkMethod("ListsSegments", "exclude_globally", "POST", "/v1/people/exclusions", ("email",)),
    # Profiles
    SdkMethod("Profiles", "get_profile", "GET", "/v1/person/{person_id}"),
    SdkMethod("Profiles", "update_profile", "PUT", "/v1/person/{person_id}", ("params",)),
    SdkMethod(
        "Profiles",
        "get_profile_id",
        "GET",
        "/v2/people/search",
        ("email", "phone_number", "external_id"),
        "object_id",
    ),
    SdkMethod("Profiles", "exchange", "POST", "/v2/people/exchange", ("body",)),
    SdkMethod(
        "Profiles",
        "profile_metrics_timeline",
        "GET",
        "/v1/person/{person_id}/metrics/timeline",
        _TIMELINE,
    ),
    SdkMethod(
        "Profiles",
        "profile_metric_timeline",
        "GET",
        "/v1/person/{person_id}/metric/{metric_id}/timeline",
        _TIMELINE,
    ),
    # Metrics
    SdkMethod("Metrics", "get_metrics", "GET", "/v1/metrics", ("page", "count")),
    SdkMethod("Metrics", "metrics_timeline", "GET", "/v1/metrics/timeline", _TIMELINE),
    SdkMethod("Metrics", "metric_timeline", "GET", "/v1/metric/{metric_id}/timeline", _TIMELINE),
    SdkMethod(
        "Metrics",
        "metric_export",
        "GET",
        "/v1/metric/{metric_id}/export",
        ("start_date", "end_date", "unit", "measurement", "where", "by", "count"),
    ),
    # Campaigns
    SdkMethod("Campaigns", "get_campaigns", "GET", "/v1/campaigns", ("page", "count")),
    SdkMethod("Campaigns", "get_campaign_info", "GET", "/v1/campaign/{campaign_id}"),
    SdkMethod("Campaigns", "create_campaign", "POST", "/v1/campaigns", _CAMPAIGN_FIELDS),
    SdkMethod(
        "Campaigns", "update_campaign", "PUT", "/v1/campaign/{campaign_id}", _CAMPAIGN_FIELDS
    ),
    SdkMethod(
        "Campaigns",
        "clone_campaign",
        "POST",
        "/v1/campaign/{campaign_id}/clone",
        ("name", "list_id"),
    ),
    SdkMethod(
        "Campaigns",
        "schedule_campaign",
        "POST",
        "/v1/campaign/{campaign_id}/schedule",
        ("send_time",),
    ),
    SdkMethod("Campaigns", "send_campaign", "POST", "/v1/campaign/{campaign_id}/send"),
    SdkMethod("Campaigns", "cancel_campaign", "POST", "/v1/campaign/{campaign_id}/cancel"),
    SdkMethod(
        "Campaigns",
        "get_campaign_recipients",
        "GET",
        "/v1/campaign/{campaign_id}/recipients",
        ("count", "sort", "offset"),
    ),
    # Templates
    SdkMethod("Templates", "get_templates", "GET", "/v1/email-templates", ("page", "count")),
    SdkMethod("Templates", "create_template", "POST", "/v1/email-templates", ("name", "html")),
    SdkMethod(
        "Templates", "update_template", "PUT", "/v1/email-template/{template_id}", ("name", "html")
    ),
    SdkMethod("Templates", "delete_template", "DELETE", "/v1/email-template/{template_id}"),
    SdkMethod(
        "Templates", "clone_template", "POST", "/v1/email-template/{template_id}/clone", ("name",)
    ),
    SdkMethod(
        "Templates",
        "render_template",
        "POST",
        "/v1/email-template/{template_id}/render",
        ("context",),
    ),
    SdkMethod(
        "Templates",
        "send_template",
        "POST",
        "/v1/email-template/{template_id}/send",
        ("from_email", "from_name", "subject", "to", "context"),
    ),
    # DataPrivacy
    SdkMethod(
        "DataPrivacy",
        "request_deletion",
        "POST",
        "/v2/data-privacy/deletion-request",
        ("body",),
        "str_dict",
    ),
)
