"""The method table of ``klaviyo-sdk`` 1.0.9: every method of its seven namespaces, with how
it took its arguments and the type it returned (legacy-surface.md B.3-B.7). The namespace
classes in ``wrapper.py`` are generated from it, their signatures and docstrings too.

The legacy request a method sent is not written here: it is the endpoint of the catalogue
that names the method (``_catalogue.SDK_ENDPOINTS``), whose HTTP method and path template
the row reads (the path parameters are the method's positional parameters). A row: the
method (``Namespace.name``), its keyword parameters (query, form or JSON body in the legacy
request: here they all become parameters of the legacy call), the return kind
(:data:`RETURNS`), what the method does, the swagger model its ``body`` was (if it takes
one), the keyword parameters it also took positionally, whether it took the generated code's
extra keywords (:data:`GENERATED_EXTRAS`) and, where the generated code named a path
parameter otherwise than the endpoint, its own names. A parameter's type and meaning are in
:data:`PARAMETERS`, by name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from klaviyo_legacy_compat._core.catalogue import SDK_ENDPOINTS
from klaviyo_legacy_compat._core.legacy_endpoint import LegacyEndpoint

__all__ = ["DEFAULTS", "GENERATED_EXTRAS", "METHODS", "PARAMETERS", "RETURNS", "SdkMethod"]


@attrs.frozen
class SdkMethod:
    """One legacy method and the endpoint it sent.

    ``also_positional``: keyword parameters the wrapper's own override took positionally too
    (``track_get(data={})``, ``update_profile(person_id=None, params=None)``, B.6).
    ``extras``: whether it takes :data:`GENERATED_EXTRAS` (the four track/identify overrides
    took ``data`` alone). ``body``: the swagger model named for its ``body`` parameter.
    ``path_names``: the method's names of the endpoint's path parameters, in order, when they
    differ from the endpoint's (``get_members(list_or_segment_id)`` for ``{group_id}``).
    """

    namespace: str
    name: str
    endpoint: LegacyEndpoint
    keywords: tuple[str, ...] = ()
    returns: str = "dict"
    summary: str = ""
    body: str = ""
    also_positional: tuple[str, ...] = ()
    extras: bool = True
    path_names: tuple[str, ...] = ()

    @property
    def http(self) -> str:
        """The legacy HTTP method."""
        return self.endpoint.method

    @property
    def path_parameters(self) -> tuple[str, ...]:
        """The path parameters, in order: the method's required positional parameters."""
        return self.path_names or self.endpoint.parameters

    @property
    def positional(self) -> tuple[str, ...]:
        """Every parameter the method takes positionally, in order: the path parameters,
        then ``also_positional``."""
        return self.path_parameters + self.also_positional

    @property
    def path(self) -> str:
        """The legacy path as the generated code wrote it: under ``/api``, each path parameter
        under the method's name for it (``/v2/group/{list_or_segment_id}/members/all``)."""
        shown = {
            name: f"{{{own}}}" for name, own in zip(self.endpoint.parameters, self.path_parameters)
        }
        return self.endpoint.fill(shown).removeprefix("/api")

    def legacy_path(self, values: Mapping[str, Any]) -> str:
        """The legacy path of a call, ``values`` keyed by the method's parameter names."""
        return self.endpoint.fill(
            {name: values[own] for name, own in zip(self.endpoint.parameters, self.path_parameters)}
        )


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


def _method(
    qualified: str,
    keywords: tuple[str, ...] = (),
    returns: str = "dict",
    summary: str = "",
    *,
    body: str = "",
    also_positional: tuple[str, ...] = (),
    extras: bool = True,
    path_names: tuple[str, ...] = (),
) -> SdkMethod:
    """The row of ``qualified`` (``Namespace.name``), with the endpoint that names it."""
    namespace, name = qualified.split(".")
    endpoint = SDK_ENDPOINTS[qualified]
    return SdkMethod(
        namespace,
        name,
        endpoint,
        keywords,
        returns,
        summary,
        body,
        also_positional,
        extras,
        path_names,
    )


#: Every method. Summaries are ours, in the words of what each legacy call did.
METHODS: tuple[SdkMethod, ...] = (
    # TrackIdentify: the wrapper's own overrides, which take only ``data``.
    _method(
        "TrackIdentify.track_get",
        ("data",),
        "string",
        "Record an event for a profile (the payload goes base64-encoded in the query)",
        also_positional=("data",),
        extras=False,
    ),
    _method(
        "TrackIdentify.track_post",
        ("data",),
        "string",
        "Record an event for a profile (the payload goes as a form field)",
        also_positional=("data",),
        extras=False,
    ),
    _method(
        "TrackIdentify.identify_get",
        ("data",),
        "string",
        "Create or update a profile (the payload goes base64-encoded in the query)",
        also_positional=("data",),
        extras=False,
    ),
    _method(
        "TrackIdentify.identify_post",
        ("data",),
        "string",
        "Create or update a profile (the payload goes as a form field)",
        also_positional=("data",),
        extras=False,
    ),
    # ListsSegments
    _method("ListsSegments.get_lists", (), "list", "All lists"),
    _method("ListsSegments.create_list", ("list_name",), summary="A new list"),
    _method("ListsSegments.get_list_info", summary="One list's details"),
    _method("ListsSegments.update_list_name", ("list_name",), "none", "Rename a list"),
    _method("ListsSegments.delete_list", (), "none", "Delete a list"),
    _method(
        "ListsSegments.subscribe",
        ("body",),
        "list",
        "Subscribe profiles to a list, following its opt-in setting",
        body="ListIdSubscribeBody",
    ),
    _method(
        "ListsSegments.unsubscribe",
        ("body",),
        "none",
        "Unsubscribe profiles from a list, by emails, phone_numbers or push_tokens",
        body="dict(str, object)",
    ),
    _method(
        "ListsSegments.get_list_subscriptions",
        ("body",),
        "list",
        "Which of these profiles are on the list and not suppressed",
        body="CheckMembershipRequest",
    ),
    _method(
        "ListsSegments.add_members",
        ("body",),
        "list",
        "Put profiles on a list without changing their consent",
        body="ListIdMembersBody",
    ),
    _method(
        "ListsSegments.remove_members",
        ("body",),
        "none",
        "Take profiles off a list",
        body="ListIdMembersBody1",
    ),
    _method(
        "ListsSegments.get_list_members",
        ("body",),
        "list",
        "Which of these profiles are on the list",
        body="CheckMembershipRequest",
    ),
    _method(
        "ListsSegments.get_segment_members",
        ("body",),
        "list",
        "Which of these profiles are in the segment",
        body="CheckMembershipRequest",
    ),
    _method(
        "ListsSegments.get_list_exclusions",
        ("marker",),
        summary="The list's excluded profiles, a batch at a time",
    ),
    _method(
        "ListsSegments.get_members",
        ("marker",),
        summary="Every member of a list or segment, a batch at a time",
        path_names=("list_or_segment_id",),
    ),
    _method(
        "ListsSegments.get_global_exclusions",
        ("reason", "sort", "count", "page"),
        summary="Profiles excluded from all email, a page at a time",
    ),
    _method(
        "ListsSegments.exclude_globally",
        ("email",),
        summary="Exclude an email address from all email",
    ),
    # Profiles
    _method("Profiles.get_profile", summary="One profile"),
    _method(
        "Profiles.update_profile",
        ("params",),
        summary="Set properties of a profile (each value sent as its str())",
        also_positional=("params",),
    ),
    _method(
        "Profiles.get_profile_id",
        ("email", "phone_number", "external_id"),
        "object_id",
        "The id of the profile with this email, phone number or external id",
    ),
    _method(
        "Profiles.exchange",
        ("body",),
        summary="The profile id behind an exchange id (_kx)",
        body="PeopleExchangeBody",
    ),
    _method(
        "Profiles.profile_metrics_timeline",
        _TIMELINE,
        summary="A profile's events of every metric, newest first",
    ),
    _method(
        "Profiles.profile_metric_timeline",
        _TIMELINE,
        summary="A profile's events of one metric, newest first",
    ),
    # Metrics
    _method("Metrics.get_metrics", ("page", "count"), summary="All metrics"),
    _method(
        "Metrics.metrics_timeline",
        _TIMELINE,
        summary="Events of every metric, newest first",
    ),
    _method(
        "Metrics.metric_timeline",
        _TIMELINE,
        summary="Events of one metric, newest first",
    ),
    _method(
        "Metrics.metric_export",
        ("start_date", "end_date", "unit", "measurement", "where", "by", "count"),
        summary="A metric's values over time, per day, week or month",
    ),
    # Campaigns
    _method(
        "Campaigns.get_campaigns",
        ("page", "count"),
        summary="All campaigns",
    ),
    _method(
        "Campaigns.get_campaign_info",
        summary="One campaign's details",
    ),
    _method(
        "Campaigns.create_campaign",
        _CAMPAIGN_FIELDS,
        summary="A new email campaign",
    ),
    _method(
        "Campaigns.update_campaign",
        _CAMPAIGN_FIELDS,
        summary="Change a draft campaign",
    ),
    _method(
        "Campaigns.clone_campaign",
        ("name", "list_id"),
        summary="A copy of a campaign",
    ),
    _method(
        "Campaigns.schedule_campaign",
        ("send_time",),
        summary="Send a campaign later",
    ),
    _method(
        "Campaigns.send_campaign",
        summary="Send a campaign now",
    ),
    _method(
        "Campaigns.cancel_campaign",
        summary="Cancel a scheduled campaign",
    ),
    _method(
        "Campaigns.get_campaign_recipients",
        ("count", "sort", "offset"),
        summary="Who a sent campaign went to, a page at a time",
    ),
    # Templates
    _method(
        "Templates.get_templates",
        ("page", "count"),
        summary="All email templates",
    ),
    _method(
        "Templates.create_template",
        ("name", "html"),
        summary="A new email template",
    ),
    _method(
        "Templates.update_template",
        ("name", "html"),
        summary="Change a template's name or HTML",
    ),
    _method(
        "Templates.delete_template",
        summary="Delete a template",
    ),
    _method(
        "Templates.clone_template",
        ("name",),
        summary="A copy of a template",
    ),
    _method(
        "Templates.render_template",
        ("context",),
        summary="A template's HTML and text with these variables filled in",
    ),
    _method(
        "Templates.send_template",
        ("from_email", "from_name", "subject", "to", "context"),
        summary="Render a template and email it",
    ),
    # DataPrivacy
    _method(
        "DataPrivacy.request_deletion",
        ("body",),
        "str_dict",
        "Delete a profile and its data, by email, phone_number or person_id",
        body="dict(str, object)",
    ),
)
