"""LocalKlaviyo's campaigns, campaign messages, send jobs and flows: request → answer tables
(answers checked against the spec's response schemas), the 400s, and the legacy campaign
calls run live through the library against what the store holds."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from klaviyo_legacy_compat import CompatClient
from klaviyo_legacy_compat._core.translate.campaigns import (
    CampaignCancelCall,
    CampaignCloneCall,
    CampaignsCall,
    CampaignScheduleCall,
)
from klaviyo_legacy_compat._core.translate.recipients import CampaignRecipientsCall
from klaviyo_legacy_compat.sdk import Client
from klaviyo_legacy_compat.testing import LocalKlaviyo
from tests.testing.jsonapi import Api


def campaign_body(list_id: str, **attributes: Any) -> Any:
    message = {
        "type": "campaign-message",
        "attributes": {
            "definition": {
                "channel": "email",
                "content": {"subject": "Hello", "from_email": "news@example.com"},
            }
        },
    }
    attributes.setdefault("name", "May")
    attributes.setdefault("audiences", {"included": [list_id]})
    attributes.setdefault("campaign-messages", {"data": [message]})
    return {"data": {"type": "campaign", "attributes": attributes}}


def test_campaign_life_cycle(api: Api, server: LocalKlaviyo) -> None:
    store = server.store
    list_id = store.create_list("News")
    ann = store.add_profile(email="ann@example.com")
    store.add_member(list_id, ann)
    template = store.create_template("T", "CODE", "<p>Hi</p>")
    created = api.post(
        "/api/campaigns", campaign_body(list_id, send_options={"use_smart_sending": False})
    )
    assert created.status == 201
    campaign_id = created.data["id"]
    attributes = created.data["attributes"]
    assert (attributes["status"], attributes["send_strategy"]) == ("Draft", {"method": "immediate"})
    assert attributes["send_options"] == {"use_smart_sending": False}
    (message,) = created.data["relationships"]["campaign-messages"]["data"]
    assigned = api.post(
        "/api/campaign-message-assign-template",
        {
            "data": {
                "type": "campaign-message",
                "id": message["id"],
                "relationships": {"template": {"data": {"type": "template", "id": template.id}}},
            }
        },
    )
    assert assigned.status == 200
    copy_id = assigned.data["relationships"]["template"]["data"]["id"]
    assert copy_id != template.id and not store.templates[copy_id].reusable
    assert assigned.data["attributes"]["content"]["subject"] == "Hello"
    updated = api.patch(
        f"/api/campaign-messages/{message['id']}",
        {
            "data": {
                "type": "campaign-message",
                "id": message["id"],
                "attributes": {"definition": {"channel": "email", "content": {"subject": "Hi!"}}},
            }
        },
    )
    content = updated.data["attributes"]["definition"]["content"]
    assert (content["subject"], content["from_email"]) == ("Hi!", "news@example.com")
    later = (datetime.now(timezone.utc) + timedelta(days=2)).replace(microsecond=0).isoformat()
    patched = api.patch(
        f"/api/campaigns/{campaign_id}",
        {
            "data": {
                "type": "campaign",
                "id": campaign_id,
                "attributes": {
                    "name": "June",
                    "send_strategy": {
                        "method": "static",
                        "datetime": later,
                        "options": {"is_local": False},
                    },
                },
            }
        },
    )
    assert patched.data["attributes"]["name"] == "June"
    job = api.post(
        "/api/campaign-send-jobs", {"data": {"type": "campaign-send-job", "id": campaign_id}}
    )
    assert (job.status, job.data["attributes"]["status"]) == (202, "queued")
    read = api.get(f"/api/campaigns/{campaign_id}", include="campaign-messages")
    assert read.data["attributes"]["status"] == "Scheduled"
    assert read.data["attributes"]["send_time"] == later
    (included,) = read.body["included"]
    assert included["attributes"]["send_times"] == [{"datetime": later, "is_local": False}]
    again = api.post(
        "/api/campaign-send-jobs", {"data": {"type": "campaign-send-job", "id": campaign_id}}
    )
    assert (again.status, again.error["source"]) == (400, {"pointer": "/data/id"})
    cancel = {
        "data": {"type": "campaign-send-job", "id": campaign_id, "attributes": {"action": "revert"}}
    }
    assert api.patch(f"/api/campaign-send-jobs/{campaign_id}", cancel).status == 204
    assert store.campaign(campaign_id).status == "Draft"
    assert api.patch(f"/api/campaign-send-jobs/{campaign_id}", cancel).status == 404
    api.post("/api/campaign-send-jobs", {"data": {"type": "campaign-send-job", "id": campaign_id}})
    cancel["data"]["attributes"]["action"] = "cancel"
    assert api.patch(f"/api/campaign-send-jobs/{campaign_id}", cancel).status == 204
    assert store.campaign(campaign_id).status == "Cancelled"
    assert api.patch(f"/api/campaign-send-jobs/{campaign_id}", cancel).status == 400
    clone = api.post(
        "/api/campaign-clone",
        {"data": {"type": "campaign", "id": campaign_id, "attributes": {"new_name": "Copy"}}},
    )
    assert (clone.status, clone.data["attributes"]["status"]) == (201, "Draft")
    assert clone.data["attributes"]["name"] == "Copy"
    messages = api.get(f"/api/campaigns/{clone.data['id']}/campaign-messages")
    assert messages.data[0]["attributes"]["definition"]["content"]["subject"] == "Hi!"


def test_get_campaigns_filters_sorts_and_includes(api: Api, server: LocalKlaviyo) -> None:
    list_id = server.store.create_list("News")
    for name in ("Alpha", "Beta", "Gamma"):
        assert api.post("/api/campaigns", campaign_body(list_id, name=name)).status == 201
    rows = [
        ({"filter": "equals(messages.channel,'email')"}, ["Alpha", "Beta", "Gamma"]),
        ({"filter": "equals(messages.channel,'sms')"}, []),
        ({"filter": "equals(messages.channel,'email'),contains(name,'et')"}, ["Beta"]),
        (
            {"filter": "equals(messages.channel,'email'),equals(status,'Draft')"},
            ["Alpha", "Beta", "Gamma"],
        ),
        ({"filter": "equals(messages.channel,'email'),any(status,['Sent'])"}, []),
        (
            {"filter": "equals(messages.channel,'email'),equals(archived,false)"},
            ["Alpha", "Beta", "Gamma"],
        ),
        (
            {"filter": "equals(messages.channel,'email')", "sort": "-name"},
            ["Gamma", "Beta", "Alpha"],
        ),
        (
            {
                "filter": "equals(messages.channel,'email')",
                "sort": "-created_at",
                "page[size]": "2",
            },
            ["Gamma", "Beta"],
        ),
    ]
    for params, names in rows:
        answer = api.get("/api/campaigns", **params)
        assert [c["attributes"]["name"] for c in answer.data] == names, params
    compound = api.get(
        "/api/campaigns", filter="equals(messages.channel,'email')", include="campaign-messages"
    )
    assert len(compound.body["included"]) == 3


@pytest.mark.parametrize(
    ("params", "status", "parameter"),
    [
        ({}, 400, "filter"),
        ({"filter": "equals(status,'Draft')"}, 400, "filter"),
        ({"filter": "equals(messages.channel,'fax')"}, 400, "filter"),
        ({"filter": "equals(messages.channel,'email')", "sort": "status"}, 400, "sort"),
        ({"filter": "equals(messages.channel,'email')", "include": "tags"}, 501, "include"),
        ({"filter": "equals(messages.channel,'email')", "page[size]": "101"}, 400, "page[size]"),
    ],
)
def test_get_campaigns_refuses(
    api: Api, params: dict[str, str], status: int, parameter: str
) -> None:
    answer = api.get("/api/campaigns", **params)
    assert (answer.status, answer.error["source"]) == (status, {"parameter": parameter})


@pytest.mark.parametrize(
    ("change", "pointer"),
    [
        ({"name": None}, "/data/attributes/name"),
        ({"audiences": {"excluded": []}}, "/data/attributes/audiences/included"),
        ({"audiences": {"included": ["NoSuch"]}}, "/data/attributes/audiences/included/0"),
        ({"send_strategy": {"method": "later"}}, "/data/attributes/send_strategy/method"),
        ({"send_strategy": {"method": "static"}}, "/data/attributes/send_strategy/datetime"),
        (
            {
                "send_strategy": {
                    "method": "throttled",
                    "datetime": "2030-01-01T00:00:00Z",
                    "throttle_percentage": 3,
                }
            },
            "/data/attributes/send_strategy/throttle_percentage",
        ),
        (
            {"send_options": {"use_smart_sending": "yes"}},
            "/data/attributes/send_options/use_smart_sending",
        ),
        ({"tracking_options": {"utm": True}}, "/data/attributes/tracking_options/utm"),
        ({"colour": "red"}, "/data/attributes/colour"),
        ({"campaign-messages": {"data": []}}, "/data/attributes/campaign-messages/data"),
        (
            {
                "campaign-messages": {
                    "data": [
                        {
                            "type": "campaign-message",
                            "attributes": {
                                "definition": {"channel": "email", "content": {"body": "x"}}
                            },
                        }
                    ]
                }
            },
            "/data/attributes/campaign-messages/data/0/attributes/definition/content/body",
        ),
    ],
)
def test_create_campaign_refuses_invalid_bodies(
    api: Api, server: LocalKlaviyo, change: dict[str, Any], pointer: str
) -> None:
    body = campaign_body(server.store.create_list("News"))
    body["data"]["attributes"].update(change)
    body["data"]["attributes"] = {
        k: v for k, v in body["data"]["attributes"].items() if v is not None
    }
    answer = api.post("/api/campaigns", body)
    assert (answer.status, answer.error["source"]) == (400, {"pointer": pointer}), answer.text


def test_other_channels_are_not_implemented_and_ids_must_match(
    api: Api, server: LocalKlaviyo
) -> None:
    body = campaign_body(server.store.create_list("News"))
    body["data"]["attributes"]["campaign-messages"]["data"][0]["attributes"]["definition"] = {
        "channel": "sms",
        "content": {"body": "Hi"},
    }
    assert api.post("/api/campaigns", body).status == 501
    created = api.post("/api/campaigns", campaign_body(server.store.create_list("Other"))).data
    mismatch = api.patch(
        f"/api/campaigns/{created['id']}",
        {"data": {"type": "campaign", "id": "other", "attributes": {"name": "x"}}},
    )
    assert (mismatch.status, mismatch.error["source"]) == (409, {"pointer": "/data/id"})
    assert api.get("/api/campaigns/NoSuch").status == 404
    assert api.post(
        "/api/campaign-message-assign-template",
        {
            "data": {
                "type": "campaign-message",
                "id": created["relationships"]["campaign-messages"]["data"][0]["id"],
                "relationships": {"template": {"data": {"type": "template", "id": "NoSuch"}}},
            }
        },
    ).error["source"] == {"pointer": "/data/relationships/template/data/id"}


def test_get_flows(api: Api, server: LocalKlaviyo) -> None:
    store = server.store
    jan = datetime(2024, 1, 1, tzinfo=timezone.utc)
    store.add_flow("Welcome", trigger_type="Added to List", created=jan)
    store.add_flow("Winback", status="draft", created=jan + timedelta(days=30))
    store.add_flow("Old", archived=True, status="manual", created=jan + timedelta(days=60))
    rows = [
        ({}, ["Welcome", "Winback", "Old"]),
        ({"filter": "equals(status,'live')"}, ["Welcome"]),
        ({"filter": "equals(archived,true)"}, ["Old"]),
        ({"filter": "starts-with(name,'W'),ends-with(name,'back')"}, ["Winback"]),
        ({"filter": "equals(trigger_type,'Added to List')"}, ["Welcome"]),
        (
            {"filter": "greater-than(created,2024-01-15T00:00:00Z)", "sort": "-created"},
            ["Old", "Winback"],
        ),
        ({"filter": "any(id,['nope'])"}, []),
        ({"sort": "name", "page[size]": "1"}, ["Old"]),
    ]
    for params, names in rows:
        answer = api.get("/api/flows", **params)
        assert [f["attributes"]["name"] for f in answer.data] == names, params
    assert api.get("/api/flows", filter="equals(trigger_type,'Webhook')").status == 400
    assert api.get("/api/flows", **{"page[size]": "51"}).status == 400
    assert api.get("/api/flows", include="flow-actions").status == 501


# --- the legacy calls, live -----------------------------------------------------------------------


def test_legacy_campaign_calls_run_live(server: LocalKlaviyo) -> None:
    store = server.store
    list_id = store.create_list("News")
    other = store.create_list("VIP")
    for email in ("ann@example.com", "bob@example.com"):
        profile_id = store.add_profile(email=email)
        store.add_member(list_id, profile_id)
        store.add_member(other, profile_id)
    template = store.create_template("Welcome", "CODE", "<p>Hi</p>")
    sdk = Client(server.private_key, base_url=server.base_url)
    created = sdk.Campaigns.create_campaign(
        list_id=list_id,
        template_id=template.id,
        from_email="news@example.com",
        from_name="News",
        subject="Hello",
        name="May",
        use_smart_sending=False,
    )
    campaign = store.campaign(created["id"])
    (message,) = store.campaign_messages(campaign.id)
    assert (campaign.name, campaign.audiences["included"]) == ("May", [list_id])
    assert created["template_id"] == message.template_id
    assert store.templates[str(message.template_id)].html == "<p>Hi</p>"
    updated = sdk.Campaigns.update_campaign(campaign.id, subject="Hi again", list_id=other)
    assert (updated["subject"], updated["from_email"]) == ("Hi again", "news@example.com")
    assert [entry["id"] for entry in updated["lists"]] == [other]
    info = sdk.Campaigns.get_campaign_info(campaign.id)
    assert (info["status"], info["status_id"], info["name"]) == ("draft", 2, "May")
    client = CompatClient(private_key=server.private_key, base_url=server.base_url)
    listed = client.call(CampaignsCall())
    assert [c["id"] for c in listed["data"]] == [campaign.id]
    copy = client.call(CampaignCloneCall(campaign.id, "Copy", list_id))
    assert (copy["name"], [entry["id"] for entry in copy["lists"]]) == ("Copy", [list_id])
    assert client.call(
        CampaignScheduleCall(copy["id"], datetime.now(timezone.utc) + timedelta(days=1))
    ) == {"status": "queued"}
    assert store.campaign(copy["id"]).status == "Scheduled"
    cancelled = client.call(CampaignCancelCall(copy["id"]))
    assert (cancelled["status"], cancelled["status_label"]) == ("cancelled", "Cancelled")
    assert sdk.Campaigns.send_campaign(campaign.id) == {"status": "queued"}
    recipients = store.finish_send(campaign.id)
    page = client.call(CampaignRecipientsCall(campaign.id, count=1))
    assert [r["customer_id"] for r in page["data"]] == recipients[:1]
    rest = client.call(CampaignRecipientsCall(campaign.id, count=5, offset=page["next_offset"]))
    assert [r["email"] for r in page["data"] + rest["data"]] == [
        "ann@example.com",
        "bob@example.com",
    ]
    assert "next_offset" not in rest
    assert sdk.Campaigns.get_campaign_info(campaign.id)["status"] == "sent"
    client.close()
