"""The method table of ``klaviyo-sdk`` 1.0.9: every method of its seven namespaces, with the
legacy request it sent, how it took its arguments and the type it returned
(legacy-surface.md B.3-B.7). The namespace classes in ``wrapper.py`` are generated from it,
their signatures and docstrings too.

A row: namespace, method name, HTTP method, legacy path (``{name}`` for path parameters,
which are the method's positional parameters), keyword parameters (query, form or JSON body
in the legacy request: here they all become parameters of the legacy call), the return kind
(:data:`RETURNS`), what the method does, the swagger model its ``body`` was (if it takes
one), the keyword parameters it also took positionally and whether it took the generated
code's extra keywords (:data:`GENERATED_EXTRAS`). A parameter's type and meaning are in
:data:`PARAMETERS`, by name.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

__all__ = ["DEFAULTS", "GENERATED_EXTRAS", "METHODS", "PARAMETERS", "RETURNS", "SdkMethod"]


@attrs.frozen
class SdkMethod:
    """One legacy method.

    ``also_positional``: keyword parameters the wrapper's own override took positionally too
    (``track_get(data={})``, ``update_profile(person_id=None, params=None)``, B.6).
    ``extras``: whether it takes :data:`GENERATED_EXTRAS` (the four track/identify overrides
    took ``data`` alone). ``body``: the swagger model named for its ``body`` parameter.
    """

    namespace: str
    name: str
    http: str
    path: str
    keywords: tuple[str, ...] = ()
    returns: str = "dict"
    summary: str = ""
    body: str = ""
    also_positional: tuple[str, ...] = ()
    extras: bool = True

    @property
    def path_parameters(self) -> tuple[str, ...]:
        """The path parameters, in order: the method's required positional parameters."""
        names = []
        for part in self.path.split("/"):
            if part.startswith("{") and part.endswith("}"):
                names.append(part[1:-1])
        return tuple(names)

    @property
    def positional(self) -> tuple[str, ...]:
        """Every parameter the method takes positionally, in order: the path parameters,
        then ``also_positional``."""
        return self.path_parameters + self.also_positional


#: What each method returned (B.5), and how its docstring says so: ``dict``/``list`` plain
#: JSON; ``none``; ``string`` (``'1'``/``'0'``); ``object_id`` (an object with ``.id``);
#: ``str_dict`` (``str()`` of the JSON dict, single quotes and all).
RETURNS: Mapping[str, str] = {
    "dict": "dict, the legacy JSON object",
    "list": "list of dicts",
    "none": "None",
    "string": "str, '1' when accepted, '0' when the data could not be read",
    "object_id": "InlineResponse2001, the profile id in its .id",
    "str_dict": "str, the str() of the answer dict (as the generated code returned it)",
}

#: Defaults the wrapper's overrides gave their parameters (B.6: ``track_get(data={})``);
#: every other optional parameter defaults to ``None``, "not sent".
DEFAULTS: Mapping[str, object] = {"data": {}}

#: Keyword arguments every generated method accepted besides its own (B.3): name → (type,
#: default shown in the signature, what it does on the method, on its ``_with_http_info``
#: twin).
GENERATED_EXTRAS: Mapping[str, tuple[str, object, str, str]] = {
    "async_req": (
        "bool",
        None,
        "true: send from a thread and return a multiprocessing ApplyResult at once",
        "true: send from a thread and return a multiprocessing ApplyResult at once",
    ),
    "_return_http_data_only": (
        "bool",
        None,
        "ignored: this method answers the data alone, as the generated one did",
        "true: the data alone instead of (data, status, headers)",
    ),
    "_preload_content": (
        "bool",
        True,
        "false: the raw RESTResponse instead of the data",
        "false: the raw RESTResponse instead of the data",
    ),
    "_request_timeout": (
        "",
        None,
        "seconds, or a (connect, read) pair",
        "seconds, or a (connect, read) pair",
    ),
}

#: Parameter name → (its type, as the generated docstrings named it; what it is). ``body``
#: takes its model name from the row (``SdkMethod.body``).
PARAMETERS: Mapping[str, tuple[str, str]] = {
    "add_google_analytics": ("bool", "add Google Analytics tracking to the links"),
    "body": ("", "a dict, or the swagger model of that name"),
    "by": ("str", "a property to split the results by"),
    "campaign_id": ("str", "id of the campaign"),
    "context": ("str", "JSON object of the template variables"),
    "count": ("int", "records per page"),
    "data": (
        "dict",
        "the legacy payload: a dict, JSON text, or bytes (JSON, or base64 of it)",
    ),
    "email": ("str", "an email address"),
    "end_date": ("str", "last day, YYYY-MM-DD or unix seconds"),
    "external_id": ("str", "your own id of the profile"),
    "from_email": ("str", "sender address"),
    "from_name": ("str", "sender name"),
    "html": ("str", "the template's HTML"),
    "list_id": ("str", "id of the list"),
    "list_name": ("str", "name of the list"),
    "list_or_segment_id": ("str", "id of a list or a segment"),
    "marker": ("int", "the marker of the previous batch; none for the first"),
    "measurement": ("str", 'unique, count, value, or a JSON list ["sum", "<property>"]'),
    "metric_id": ("str", "id of the metric"),
    "name": ("str", "name"),
    "offset": ("str", "the next_offset of the previous page"),
    "page": ("int", "page number, from 0"),
    "params": ("dict(str, object)", "the profile properties to set"),
    "person_id": ("str", "id of the profile"),
    "phone_number": ("str", "a phone number, E.164"),
    "reason": (
        "str",
        "only this exclusion reason: unsubscribed, bounced, invalid_email, reported_spam or "
        "manually_excluded",
    ),
    "segment_id": ("str", "id of the segment"),
    "send_time": ("str", "when to send, '%Y-%m-%d %H:%M:%S' UTC"),
    "since": ("str", "unix seconds, or the next token of the previous page"),
    "sort": ("str", "asc or desc"),
    "start_date": ("str", "first day, YYYY-MM-DD or unix seconds"),
    "subject": ("str", "subject line"),
    "template_id": ("str", "id of the template"),
    "to": ("str", "an address, or a JSON list of {name, email}"),
    "unit": ("str", "day, week or month"),
    "use_smart_sending": ("bool", "skip profiles emailed recently"),
    "where": ("str", 'JSON list of one [property, "=", value] condition'),
}

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

#: Every method. Summaries are ours, in the words of what each legacy call did.
METHODS: tuple[SdkMethod, ...] = (
    # TrackIdentify: the wrapper's own overrides, which take only ``data``.
    SdkMethod(
        "TrackIdentify",
        "track_get",
        "GET",
        "/track",
        ("data",),
        "string",
        "Record an event for a profile (the payload goes base64-encoded in the query)",
        also_positional=("data",),
        extras=False,
    ),
    SdkMethod(
        "TrackIdentify",
        "track_post",
        "POST",
        "/track",
        ("data",),
        "string",
        "Record an event for a profile (the payload goes as a form field)",
        also_positional=("data",),
        extras=False,
    ),
    SdkMethod(
        "TrackIdentify",
        "identify_get",
        "GET",
        "/identify",
        ("data",),
        "string",
        "Create or update a profile (the payload goes base64-encoded in the query)",
        also_positional=("data",),
        extras=False,
    ),
    SdkMethod(
        "TrackIdentify",
        "identify_post",
        "POST",
        "/identify",
        ("data",),
        "string",
        "Create or update a profile (the payload goes as a form field)",
        also_positional=("data",),
        extras=False,
    ),
    # ListsSegments
    SdkMethod("ListsSegments", "get_lists", "GET", "/v2/lists", (), "list", "All lists"),
    SdkMethod(
        "ListsSegments", "create_list", "POST", "/v2/lists", ("list_name",), summary="A new list"
    ),
    SdkMethod(
        "ListsSegments", "get_list_info", "GET", "/v2/list/{list_id}", summary="One list's details"
    ),
    SdkMethod(
        "ListsSegments",
        "update_list_name",
        "PUT",
        "/v2/list/{list_id}",
        ("list_name",),
        "none",
        "Rename a list",
    ),
    SdkMethod(
        "ListsSegments", "delete_list", "DELETE", "/v2/list/{list_id}", (), "none", "Delete a list"
    ),
    SdkMethod(
        "ListsSegments",
        "subscribe",
        "POST",
        "/v2/list/{list_id}/subscribe",
        ("body",),
        "list",
        "Subscribe profiles to a list, following its opt-in setting",
        body="ListIdSubscribeBody",
    ),
    SdkMethod(
        "ListsSegments",
        "unsubscribe",
        "DELETE",
        "/v2/list/{list_id}/subscribe",
        ("body",),
        "none",
        "Unsubscribe profiles from a list, by emails, phone_numbers or push_tokens",
        body="dict(str, object)",
    ),
    SdkMethod(
        "ListsSegments",
        "get_list_subscriptions",
        "POST",
        "/v2/list/{list_id}/get-list-subscriptions",
        ("body",),
        "list",
        "Which of these profiles are on the list and not suppressed",
        body="CheckMembershipRequest",
    ),
    SdkMethod(
        "ListsSegments",
        "add_members",
        "POST",
        "/v2/list/{list_id}/members",
        ("body",),
        "list",
        "Put profiles on a list without changing their consent",
        body="ListIdMembersBody",
    ),
    SdkMethod(
        "ListsSegments",
        "remove_members",
        "DELETE",
        "/v2/list/{list_id}/members",
        ("body",),
        "none",
        "Take profiles off a list",
        body="ListIdMembersBody1",
    ),
    SdkMethod(
        "ListsSegments",
        "get_list_members",
        "POST",
        "/v2/list/{list_id}/get-members",
        ("body",),
        "list",
        "Which of these profiles are on the list",
        body="CheckMembershipRequest",
    ),
    SdkMethod(
        "ListsSegments",
        "get_segment_members",
        "POST",
        "/v2/segment/{segment_id}/get-members",
        ("body",),
        "list",
        "Which of these profiles are in the segment",
        body="CheckMembershipRequest",
    ),
    SdkMethod(
        "ListsSegments",
        "get_list_exclusions",
        "GET",
        "/v2/list/{list_id}/exclusions/all",
        ("marker",),
        summary="The list's excluded profiles, a batch at a time",
    ),
    SdkMethod(
        "ListsSegments",
        "get_members",
        "GET",
        "/v2/group/{list_or_segment_id}/members/all",
        ("marker",),
        summary="Every member of a list or segment, a batch at a time",
    ),
    SdkMethod(
        "ListsSegments",
        "get_global_exclusions",
        "GET",
        "/v1/people/exclusions",
        ("reason", "sort", "count", "page"),
        summary="Profiles excluded from all email, a page at a time",
    ),
    SdkMethod(
        "ListsSegments",
        "exclude_globally",
        "POST",
        "/v1/people/exclusions",
        ("email",),
        summary="Exclude an email address from all email",
    ),
    # Profiles
    SdkMethod("Profiles", "get_profile", "GET", "/v1/person/{person_id}", summary="One profile"),
    SdkMethod(
        "Profiles",
        "update_profile",
        "PUT",
        "/v1/person/{person_id}",
        ("params",),
        summary="Set properties of a profile (each value sent as its str())",
        also_positional=("params",),
    ),
    SdkMethod(
        "Profiles",
        "get_profile_id",
        "GET",
        "/v2/people/search",
        ("email", "phone_number", "external_id"),
        "object_id",
        "The id of the profile with this email, phone number or external id",
    ),
    SdkMethod(
        "Profiles",
        "exchange",
        "POST",
        "/v2/people/exchange",
        ("body",),
        summary="The profile id behind an exchange id (_kx)",
        body="PeopleExchangeBody",
    ),
    SdkMethod(
        "Profiles",
        "profile_metrics_timeline",
        "GET",
        "/v1/person/{person_id}/metrics/timeline",
        _TIMELINE,
        summary="A profile's events of every metric, newest first",
    ),
    SdkMethod(
        "Profiles",
        "profile_metric_timeline",
        "GET",
        "/v1/person/{person_id}/metric/{metric_id}/timeline",
        _TIMELINE,
        summary="A profile's events of one metric, newest first",
    ),
    # Metrics
    SdkMethod(
        "Metrics", "get_metrics", "GET", "/v1/metrics", ("page", "count"), summary="All metrics"
    ),
    SdkMethod(
        "Metrics",
        "metrics_timeline",
        "GET",
        "/v1/metrics/timeline",
        _TIMELINE,
        summary="Events of every metric, newest first",
    ),
    SdkMethod(
        "Metrics",
        "metric_timeline",
        "GET",
        "/v1/metric/{metric_id}/timeline",
        _TIMELINE,
        summary="Events of one metric, newest first",
    ),
    SdkMethod(
        "Metrics",
        "metric_export",
        "GET",
        "/v1/metric/{metric_id}/export",
        ("start_date", "end_date", "unit", "measurement", "where", "by", "count"),
        summary="A metric's values over time, per day, week or month",
    ),
    # Campaigns
    SdkMethod(
        "Campaigns",
        "get_campaigns",
        "GET",
        "/v1/campaigns",
        ("page", "count"),
        summary="All campaigns",
    ),
    SdkMethod(
        "Campaigns",
        "get_campaign_info",
        "GET",
        "/v1/campaign/{campaign_id}",
        summary="One campaign's details",
    ),
    SdkMethod(
        "Campaigns",
        "create_campaign",
        "POST",
        "/v1/campaigns",
        _CAMPAIGN_FIELDS,
        summary="A new email campaign",
    ),
    SdkMethod(
        "Campaigns",
        "update_campaign",
        "PUT",
        "/v1/campaign/{campaign_id}",
        _CAMPAIGN_FIELDS,
        summary="Change a draft campaign",
    ),
    SdkMethod(
        "Campaigns",
        "clone_campaign",
        "POST",
        "/v1/campaign/{campaign_id}/clone",
        ("name", "list_id"),
        summary="A copy of a campaign",
    ),
    SdkMethod(
        "Campaigns",
        "schedule_campaign",
        "POST",
        "/v1/campaign/{campaign_id}/schedule",
        ("send_time",),
        summary="Send a campaign later",
    ),
    SdkMethod(
        "Campaigns",
        "send_campaign",
        "POST",
        "/v1/campaign/{campaign_id}/send",
        summary="Send a campaign now",
    ),
    SdkMethod(
        "Campaigns",
        "cancel_campaign",
        "POST",
        "/v1/campaign/{campaign_id}/cancel",
        summary="Cancel a scheduled campaign",
    ),
    SdkMethod(
        "Campaigns",
        "get_campaign_recipients",
        "GET",
        "/v1/campaign/{campaign_id}/recipients",
        ("count", "sort", "offset"),
        summary="Who a sent campaign went to, a page at a time",
    ),
    # Templates
    SdkMethod(
        "Templates",
        "get_templates",
        "GET",
        "/v1/email-templates",
        ("page", "count"),
        summary="All email templates",
    ),
    SdkMethod(
        "Templates",
        "create_template",
        "POST",
        "/v1/email-templates",
        ("name", "html"),
        summary="A new email template",
    ),
    SdkMethod(
        "Templates",
        "update_template",
        "PUT",
        "/v1/email-template/{template_id}",
        ("name", "html"),
        summary="Change a template's name or HTML",
    ),
    SdkMethod(
        "Templates",
        "delete_template",
        "DELETE",
        "/v1/email-template/{template_id}",
        summary="Delete a template",
    ),
    SdkMethod(
        "Templates",
        "clone_template",
        "POST",
        "/v1/email-template/{template_id}/clone",
        ("name",),
        summary="A copy of a template",
    ),
    SdkMethod(
        "Templates",
        "render_template",
        "POST",
        "/v1/email-template/{template_id}/render",
        ("context",),
        summary="A template's HTML and text with these variables filled in",
    ),
    SdkMethod(
        "Templates",
        "send_template",
        "POST",
        "/v1/email-template/{template_id}/send",
        ("from_email", "from_name", "subject", "to", "context"),
        summary="Render a template and email it",
    ),
    # DataPrivacy
    SdkMethod(
        "DataPrivacy",
        "request_deletion",
        "POST",
        "/v2/data-privacy/deletion-request",
        ("body",),
        "str_dict",
        "Delete a profile and its data, by email, phone_number or person_id",
        body="dict(str, object)",
    ),
)
