"""Every row of the real-world table, run live against LocalKlaviyo (issue 9).

A row in :data:`KNOWN_FAILING` is skipped with the reason it fails today; the features that
make those rows pass are being built. Whoever lands one removes its rows from the mapping.
``KLAVIYO_REALWORLD_ALL=1`` runs the known-failing rows too, to see which pass now.
"""

from __future__ import annotations

import os

import attrs
import pytest
import requests

from tests.realworld import harness
from tests.realworld.harness import ABSENT, ANY, HTTP, EventStored, Includes, Row, match, run
from tests.realworld.rows import ROWS

#: Row id → the one-line reason it fails today (what was observed: the exception, or the
#: wrong result). Remove a row when the feature it waits for lands.
KNOWN_FAILING: dict[str, str] = {
    # Phone numbers: E.164 only; no default_phone_region; an invalid phone refuses the call.
    "k3_track_phone_national_digits": (
        "TypeError: unknown option(s): default_phone_region; without it TranslationError: "
        "customer_properties.$phone_number: must be an E.164 phone number such as "
        "+15005550006, got '4155550123'"
    ),
    "k3_track_phone_national_digits_no_region": (
        "TranslationError: customer_properties.$phone_number: must be an E.164 phone number "
        "such as +15005550006, got '4155550123' (the event is lost; legacy kept it)"
    ),
    "gw_track_phone_plus_only": (
        "400 customer_properties.$phone_number: must be an E.164 phone number such as "
        "+15005550006, got '+' (the event is lost)"
    ),
    "gw_subscribe_sms_consent_string_and_national_phone": (
        "TypeError: unknown option(s): default_phone_region; without it 400 "
        "profiles[0].phone_number: must be an E.164 phone number such as +15005550006, got "
        "'(415) 555-0123'; with +14155550123, 400 profiles[0].sms_consent: must be true or false"
    ),
    # Base64 as real encoders wrote it.
    "http_track_base64_with_line_feeds": (
        "answers '0' and stores nothing: base64.encodebytes data (line feeds) is not decoded"
    ),
    "gw_track_ruby_encode64_line_feeds": (
        "answers '0' and stores nothing: Base64.encode64 data (line feeds, sent as %0A) is "
        "not decoded"
    ),
    "gw_identify_encodeuri_btoa": (
        "answers '0' and stores nothing: base64 left unescaped in the URL (`+` arrives as a "
        "space) is not decoded"
    ),
    "gw_track_unescaped_base64_in_url": (
        "TypeError: unknown option(s): default_phone_region; without it answers '0': the `+` "
        "that arrives as a space is not restored"
    ),
    # Shapes PHP's json_encode produces.
    "gw_track_php_empty_properties_array": "400 properties: must be an object (dict), got list",
    "gw_track_consent_and_sms_consent_in_track": (
        "400 properties: must be an object (dict), got list"
    ),
    "gw_subscribe_profiles_as_an_object": (
        "400 profiles: must be a list (or any iterable) of profile objects"
    ),
    # Normalised silently: the account is right, the plan does not say so.
    "gw_track_ruby_gem_value_string_empty_ip": (
        "event stored with value 19.99, but no plan warning mentions '$value' (the string "
        "'19.99' is converted silently)"
    ),
    # klaviyo 2.x flat methods on Klaviyo.
    "k2_metric_timeline_count_none": (
        "AttributeError: 'Klaviyo' object has no attribute 'metric_timeline'"
    ),
    "k2_metric_export_where_message": (
        "AttributeError: 'Klaviyo' object has no attribute 'metric_export'"
    ),
    "k2_metric_export_by_message_count_10000": (
        "AttributeError: 'Klaviyo' object has no attribute 'metric_export'"
    ),
    # Module-level requests calls.
    "http_track_module_level_requests": (
        "TypeError: unknown option(s): default_phone_region; without it TypeError: install() "
        "got an unexpected keyword argument 'http'"
    ),
    "http_v1_campaigns_module_level_requests": (
        "TypeError: install() got an unexpected keyword argument 'http'"
    ),
    # Legacy endpoints the shim does not know.
    "http_v1_lists_paged": (
        "404 no legacy v1/v2 endpoint GET /api/v1/lists is known to klaviyo_legacy_compat"
    ),
    "http_v1_flows": (
        "404 no legacy v1/v2 endpoint GET /api/v1/flows is known to klaviyo_legacy_compat"
    ),
    # What LocalKlaviyo does not serve yet.
    "http_v1_metric_timeline_key_in_url": (
        "GET /api/v1/metrics answered 501: LocalKlaviyo does not implement get_metrics yet"
    ),
    "http_v1_metrics_timeline_since_seconds": (
        "501 LocalKlaviyo does not implement get_events yet"
    ),
    "http_v1_campaigns_count_100": "501 LocalKlaviyo does not implement get_campaigns yet",
    "http_v1_email_templates_with_since": ("501 LocalKlaviyo does not implement get_templates yet"),
    "http_v1_template_create_key_in_form_body": (
        "501 LocalKlaviyo does not implement create_template yet; its store keeps no templates"
    ),
    "sdk_create_campaign_kwargs": (
        "ApiException (501): LocalKlaviyo does not implement create_template yet (the "
        "campaign needs a template first)"
    ),
    # Fidelity: what legacy refused, the shim accepts.
    "sdk_identify_post_without_token": (
        "answers '1' and creates abc@example.com with the client's private key; legacy "
        "answered '0' to a payload without `token` and stored nothing"
    ),
}


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_row(row: Row) -> None:
    reason = KNOWN_FAILING.get(row.id)
    if reason is not None and os.environ.get("KLAVIYO_REALWORLD_ALL") != "1":
        pytest.skip(f"known failing: {reason}")
    problems = run(row)
    assert not problems, f"{row.id} ({row.source}):\n  " + "\n  ".join(problems)


def test_rows_are_distinct_and_cited() -> None:
    ids = [row.id for row in ROWS]
    assert len(ids) == len(set(ids))
    for row in ROWS:
        # owner/repo and a file, or an issue thread: where the call shape was found.
        assert "/" in row.source.split()[0], row.id
        assert row.quirk and row.surface, row.id


def test_known_failing_names_rows_with_a_reason() -> None:
    ids = {row.id for row in ROWS}
    assert set(KNOWN_FAILING) <= ids, sorted(set(KNOWN_FAILING) - ids)
    for row_id, reason in KNOWN_FAILING.items():
        assert reason.strip() and "\n" not in reason, row_id


def test_the_table_covers_sixteen_projects_and_every_surface() -> None:
    projects = {row.source.split()[0].split("@")[0].split("#")[0] for row in ROWS}
    assert len(projects) >= 16, sorted(projects)
    surfaces = {row.surface.split(" (")[0] for row in ROWS}
    assert {"klaviyo 3.1.7", "klaviyo 2.x", "klaviyo-sdk 1.0.9"} <= surfaces


# --- the harness can fail -------------------------------------------------------------------


def test_match_compares_the_way_legacy_callers_read_answers() -> None:
    assert match({"a": 1, "b": [2, 3], "c": None}, {"a": 1.0, "b": [2, 3]}) == []
    assert match({"a": True}, {"a": 1})  # a bool is not the number 1
    assert match("1", 1)  # nor is the text "1"
    assert match({"marker": 5}, {"marker": ABSENT})
    assert match({}, {"id": ANY})
    assert match([{"email": "a@x.io"}], Includes({"email": "b@x.io"}))
    assert match([1, 2], [1])


def test_a_row_with_a_wrong_return_and_a_missing_effect_fails() -> None:
    passing = next(row for row in ROWS if row.id == "gw_track_get_query_encoded")
    assert run(passing) == []
    wrong = attrs.evolve(
        passing,
        returns=HTTP(200, text="0"),
        store=(EventStored("ann@example.com", "Signed Up", count=2),),
    )
    problems = run(wrong)
    assert len(problems) == 2
    assert "expected '0', got '1'" in problems[0]
    assert "1 stored (expected 2)" in problems[1]


def test_nothing_a_row_lets_through_leaves_this_machine() -> None:
    with harness._loopback_only(), pytest.raises(AssertionError, match="would leave"):
        requests.get("https://a.klaviyo.com/api/track", params={"data": "e30="}, timeout=1)
