"""The request documents (``_documents``) as the body converter writes them: one row per
document and per rule (a ``None`` field left out, a job's ``type`` always sent, JSON:API names
that are no Python names, JSON built already passed through). Each row's JSON is compared as
text, so the key order is checked too: dry-run output and the bytes sent depend on it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from klaviyo_legacy_compat._core.bodies import Document, ProfileAttributes, Resource
from klaviyo_legacy_compat._core.convert import encode_json, unstructure
from klaviyo_legacy_compat._core.documents import (
    SUBSCRIBED,
    UNSUBSCRIBED,
    Audiences,
    CampaignAttributes,
    CampaignCloneAttributes,
    CampaignMessageAttributes,
    CampaignSendJob,
    DataPrivacyDeletionJob,
    DeletionAttributes,
    EventBulkCreate,
    EventBulkCreateAttributes,
    EventBulkCreateJob,
    EventBulkCreateJobAttributes,
    ListAttributes,
    MessageDefinition,
    MetricAggregateAttributes,
    Prebuilt,
    ProfileBulkImportJob,
    ProfileJobAttributes,
    ProfileSubscriptionBulkCreateJob,
    ProfileSubscriptionBulkDeleteJob,
    ProfileSuppressionBulkCreateJob,
    SendJobAction,
    SendOptions,
    SendStrategy,
    StrategyOptions,
    SubscriptionAttributes,
    TemplateAttributes,
    TemplateRenderAttributes,
    TrackingOptions,
    list_relationship,
    lists_relationship,
    profile_ids,
)


def _profiles(*attributes: Any) -> ProfileJobAttributes:
    return ProfileJobAttributes(Document([Resource("profile", attributes=a) for a in attributes]))


_EVENT = {"type": "event", "attributes": {"properties": {}, "metric": {"data": {}}}}
_PROFILE = {"type": "profile", "attributes": {"email": "a@example.com"}}

# (id, the document, its JSON as sent: compact, keys in order)
ROWS: list[tuple[str, Any, str]] = [
    (
        "subscribe_job",
        ProfileSubscriptionBulkCreateJob(
            attributes=_profiles(
                SubscriptionAttributes(
                    email="a@example.com",
                    phone_number="+15005550006",
                    subscriptions={"email": SUBSCRIBED, "sms": SUBSCRIBED},
                ),
                SubscriptionAttributes(email="b@example.com", subscriptions={"email": SUBSCRIBED}),
            ),
            relationships=list_relationship("XyZ123"),
        ),
        '{"data":{"type":"profile-subscription-bulk-create-job","attributes":{"profiles":{"data":'
        '[{"type":"profile","attributes":{"email":"a@example.com","phone_number":"+15005550006",'
        '"subscriptions":{"email":{"marketing":{"consent":"SUBSCRIBED"}},"sms":{"marketing":'
        '{"consent":"SUBSCRIBED"}}}}},{"type":"profile","attributes":{"email":"b@example.com",'
        '"subscriptions":{"email":{"marketing":{"consent":"SUBSCRIBED"}}}}}]}},"relationships":'
        '{"list":{"data":{"type":"list","id":"XyZ123"}}}}}',
    ),
    (
        "unsubscribe_job_phone_only",
        ProfileSubscriptionBulkDeleteJob(
            attributes=_profiles(
                SubscriptionAttributes(
                    phone_number="+15005550006", subscriptions={"sms": UNSUBSCRIBED}
                )
            ),
            relationships=list_relationship("XyZ123"),
        ),
        '{"data":{"type":"profile-subscription-bulk-delete-job","attributes":{"profiles":{"data":'
        '[{"type":"profile","attributes":{"phone_number":"+15005550006","subscriptions":{"sms":'
        '{"marketing":{"consent":"UNSUBSCRIBED"}}}}}]}},"relationships":{"list":{"data":'
        '{"type":"list","id":"XyZ123"}}}}}',
    ),
    (
        "import_job_without_list",
        ProfileBulkImportJob(
            attributes=_profiles(ProfileAttributes(email="a@example.com", first_name="Ann"))
        ),
        '{"data":{"type":"profile-bulk-import-job","attributes":{"profiles":{"data":[{"type":'
        '"profile","attributes":{"email":"a@example.com","first_name":"Ann"}}]}}}}',
    ),
    (
        "import_job_adding_to_a_list",
        ProfileBulkImportJob(
            attributes=ProfileJobAttributes(Prebuilt([_PROFILE])),
            relationships=lists_relationship("XyZ123"),
        ),
        '{"data":{"type":"profile-bulk-import-job","attributes":{"profiles":{"data":[{"type":'
        '"profile","attributes":{"email":"a@example.com"}}]}},"relationships":{"lists":{"data":'
        '[{"type":"list","id":"XyZ123"}]}}}}',
    ),
    (
        "suppression_job",
        ProfileSuppressionBulkCreateJob(attributes=_profiles(ProfileAttributes(email="a@b.co"))),
        '{"data":{"type":"profile-suppression-bulk-create-job","attributes":{"profiles":{"data":'
        '[{"type":"profile","attributes":{"email":"a@b.co"}}]}}}}',
    ),
    (
        "event_job_renames_events_bulk_create",
        EventBulkCreateJob(
            attributes=EventBulkCreateJobAttributes(
                Document(
                    [
                        EventBulkCreate(
                            attributes=EventBulkCreateAttributes(
                                Prebuilt(_PROFILE), Prebuilt([_EVENT, _EVENT])
                            )
                        )
                    ]
                )
            )
        ),
        '{"data":{"type":"event-bulk-create-job","attributes":{"events-bulk-create":{"data":[{'
        '"type":"event-bulk-create","attributes":{"profile":{"data":{"type":"profile",'
        '"attributes":{"email":"a@example.com"}}},"events":{"data":[{"type":"event","attributes":'
        '{"properties":{},"metric":{"data":{}}}},{"type":"event","attributes":{"properties":{},'
        '"metric":{"data":{}}}}]}}}]}}}}',
    ),
    (
        "deletion_job_by_id_keeps_empty_attributes",
        DataPrivacyDeletionJob(
            attributes=DeletionAttributes(Document(Resource("profile", id="01P", attributes={})))
        ),
        '{"data":{"type":"data-privacy-deletion-job","attributes":{"profile":{"data":{"type":'
        '"profile","id":"01P","attributes":{}}}}}}',
    ),
    (
        "send_job",
        CampaignSendJob(id="01C"),
        '{"data":{"type":"campaign-send-job","id":"01C"}}',
    ),
    (
        "send_job_cancel",
        CampaignSendJob(id="01C", attributes=SendJobAction("cancel")),
        '{"data":{"type":"campaign-send-job","id":"01C","attributes":{"action":"cancel"}}}',
    ),
    (
        "campaign_create_renames_campaign_messages",
        Resource(
            "campaign",
            attributes=CampaignAttributes(
                name="May",
                audiences=Audiences(["XyZ123"]),
                send_options=SendOptions(False),
                tracking_options=TrackingOptions(True),
                campaign_messages=Document(
                    [
                        Resource(
                            "campaign-message",
                            attributes=CampaignMessageAttributes(
                                MessageDefinition("email", {"subject": "Hi", "from_label": None})
                            ),
                        )
                    ]
                ),
            ),
        ),
        '{"data":{"type":"campaign","attributes":{"name":"May","audiences":{"included":["XyZ123"]},'
        '"send_options":{"use_smart_sending":false},"tracking_options":{"add_tracking_params":'
        'true},"campaign-messages":{"data":[{"type":"campaign-message","attributes":{"definition":'
        '{"channel":"email","content":{"subject":"Hi","from_label":null}}}}]}}}}',
    ),
    (
        "campaign_schedule",
        Resource(
            "campaign",
            id="01C",
            attributes=CampaignAttributes(
                send_strategy=SendStrategy(
                    "static", "2024-06-01T09:30:00+00:00", StrategyOptions(is_local=False)
                )
            ),
        ),
        '{"data":{"type":"campaign","id":"01C","attributes":{"send_strategy":{"method":"static",'
        '"datetime":"2024-06-01T09:30:00+00:00","options":{"is_local":false}}}}}',
    ),
    (
        "campaign_clone",
        Resource("campaign", id="01C", attributes=CampaignCloneAttributes("Copy")),
        '{"data":{"type":"campaign","id":"01C","attributes":{"new_name":"Copy"}}}',
    ),
    (
        "list_rename",
        Resource("list", id="XyZ123", attributes=ListAttributes("VIP")),
        '{"data":{"type":"list","id":"XyZ123","attributes":{"name":"VIP"}}}',
    ),
    (
        "list_profile_relationships",
        profile_ids(["P1", "P2"]),
        '{"data":[{"type":"profile","id":"P1"},{"type":"profile","id":"P2"}]}',
    ),
    (
        "template_create",
        Resource("template", attributes=TemplateAttributes("T", "CODE", "<p>x</p>")),
        '{"data":{"type":"template","attributes":{"name":"T","editor_type":"CODE",'
        '"html":"<p>x</p>"}}}',
    ),
    (
        "template_update_leaves_out_what_was_not_given",
        Resource("template", id="T1", attributes=TemplateAttributes(html="<p>y</p>")),
        '{"data":{"type":"template","id":"T1","attributes":{"html":"<p>y</p>"}}}',
    ),
    (
        "template_render",
        Resource("template", id="T1", attributes=TemplateRenderAttributes({"n": [1, None]})),
        '{"data":{"type":"template","id":"T1","attributes":{"context":{"n":[1,null]}}}}',
    ),
    (
        "metric_aggregate_by",
        Resource(
            "metric-aggregate",
            attributes=MetricAggregateAttributes(
                "M1", ["count"], "day", ["greater-or-equal(datetime,x)"], 25, "UTC", ["$flow"]
            ),
        ),
        '{"data":{"type":"metric-aggregate","attributes":{"metric_id":"M1","measurements":'
        '["count"],"interval":"day","filter":["greater-or-equal(datetime,x)"],"page_size":25,'
        '"timezone":"UTC","by":["$flow"]}}}',
    ),
]


@pytest.mark.parametrize(("document", "expected"), [r[1:] for r in ROWS], ids=[r[0] for r in ROWS])
def test_documents_as_sent(document: Any, expected: str) -> None:
    data = document if isinstance(document, Document) else Document(document)
    assert encode_json(unstructure(data)).decode() == expected
    json.loads(expected)  # the row itself is JSON


def test_json_built_already_is_passed_through_not_copied() -> None:
    profiles = [dict(_PROFILE)]
    sent = unstructure(ProfileJobAttributes(Prebuilt(profiles)))
    assert sent["profiles"]["data"] is profiles


def test_a_jobs_type_is_sent_though_it_is_the_default() -> None:
    job = ProfileSuppressionBulkCreateJob(attributes=_profiles())
    assert unstructure(job)["type"] == "profile-suppression-bulk-create-job"
