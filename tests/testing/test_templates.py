"""LocalKlaviyo's templates: request → answer tables (answers checked against the spec's
response schemas), rendering, the 400s, and the legacy template calls run live."""

from __future__ import annotations

from typing import Any

import pytest

from klaviyo_legacy_compat import UnsupportedLegacyFeatureError
from klaviyo_legacy_compat.sdk import Client
from klaviyo_legacy_compat.testing import LocalKlaviyo
from klaviyo_legacy_compat.testing._store_records import NotImplementedHere
from klaviyo_legacy_compat.testing._templates import render
from tests.testing.jsonapi import Api


def template_body(**attributes: Any) -> Any:
    attributes.setdefault("name", "Welcome")
    attributes.setdefault("editor_type", "CODE")
    attributes.setdefault("html", "<p>Hi {{ first_name }}</p>")
    return {"data": {"type": "template", "attributes": attributes}}


# --- rendering --------------------------------------------------------------------------------

CONTEXT = {
    "first_name": "Ann",
    "person": {"city": "Oslo", "tags": ["a", "b"]},
    "empty": "",
    "vip": True,
    "html": "<b>&</b>",
}


@pytest.mark.parametrize(
    ("template", "escape", "rendered"),
    [
        ("Hi {{ first_name }}!", True, "Hi Ann!"),
        ("Hi {{first_name}}", True, "Hi Ann"),
        ("{{ person.city }} {{ person.tags.1 }}", True, "Oslo b"),
        ("[{{ last_name }}][{{ person.zip }}][{{ person.tags.9 }}]", True, "[][][]"),
        ("{{ last_name|default:'there' }}", True, "there"),
        ('{{ empty|default:"friend" }} {{ first_name|default:"x" }}', True, "friend Ann"),
        ("{{ vip }}", True, "True"),
        ("{{ html }}", True, "&lt;b&gt;&amp;&lt;/b&gt;"),
        ("{{ html }}", False, "<b>&</b>"),
        ("no variables", True, "no variables"),
    ],
)
def test_render_rows(template: str, escape: bool, rendered: str) -> None:
    assert render(template, CONTEXT, escape=escape) == rendered


@pytest.mark.parametrize(
    "template",
    ["{% if vip %}VIP{% endif %}", "{{ first_name|upper }}", "{{ 'quoted' }}", "{% unsubscribe %}"],
)
def test_render_refuses_what_it_does_not_implement(template: str) -> None:
    with pytest.raises(NotImplementedHere):
        render(template, CONTEXT, escape=True)


# --- the operations -----------------------------------------------------------------------------


def test_template_life_cycle(api: Api, server: LocalKlaviyo) -> None:
    created = api.post("/api/templates", template_body(text="Hi {{ first_name }}"))
    assert created.status == 201
    template_id = created.data["id"]
    assert created.data["attributes"]["editor_type"] == "CODE"
    read = api.get(f"/api/templates/{template_id}")
    assert read.data["attributes"]["html"] == "<p>Hi {{ first_name }}</p>"
    updated = api.patch(
        f"/api/templates/{template_id}",
        {"data": {"type": "template", "id": template_id, "attributes": {"name": "Hello"}}},
    )
    assert (updated.data["attributes"]["name"], updated.data["attributes"]["html"]) == (
        "Hello",
        "<p>Hi {{ first_name }}</p>",
    )
    rendered = api.post(
        "/api/template-render",
        {
            "data": {
                "type": "template",
                "id": template_id,
                "attributes": {"context": {"first_name": "<Ann>"}},
            }
        },
    )
    assert rendered.status == 201
    assert rendered.data["attributes"]["html"] == "<p>Hi &lt;Ann&gt;</p>"
    assert rendered.data["attributes"]["text"] == "Hi <Ann>"
    cloned = api.post(
        "/api/template-clone",
        {"data": {"type": "template", "id": template_id, "attributes": {}}},
    )
    assert (cloned.status, cloned.data["attributes"]["name"]) == (201, "Clone of Hello")
    named = api.post(
        "/api/template-clone",
        {"data": {"type": "template", "id": template_id, "attributes": {"name": "Mine"}}},
    )
    assert named.data["attributes"]["name"] == "Mine"
    assert api.delete(f"/api/templates/{template_id}").status == 204
    assert api.get(f"/api/templates/{template_id}").status == 404
    assert api.delete(f"/api/templates/{template_id}").status == 404
    assert sorted(t.name for t in server.store.templates.values()) == ["Clone of Hello", "Mine"]


def test_get_templates_filters_sorts_and_pages(api: Api, server: LocalKlaviyo) -> None:
    for name in ("Charlie", "Alpha", "Bravo"):
        server.store.create_template(name, "CODE", "<p/>")
    campaign = server.store.create_campaign(
        "C", {"included": [server.store.create_list("L")]}, [{"channel": "email"}]
    )
    alpha = next(iter(server.store.templates.values()))
    server.store.assign_template(campaign.message_ids[0], alpha.id)  # a non-reusable copy
    rows = [
        ({}, ["Charlie", "Alpha", "Bravo"]),
        ({"sort": "name"}, ["Alpha", "Bravo", "Charlie"]),
        ({"sort": "-name", "page[size]": "2"}, ["Charlie", "Bravo"]),
        ({"filter": "equals(name,'Alpha')"}, ["Alpha"]),
        ({"filter": "any(name,['Alpha','Bravo'])", "sort": "-name"}, ["Bravo", "Alpha"]),
        ({"filter": "contains(name,'rav')"}, ["Bravo"]),
        ({"filter": f"equals(id,['{alpha.id}'])"}, ["Charlie"]),
        ({"filter": "greater-than(created,2000-01-01T00:00:00Z)"}, ["Charlie", "Alpha", "Bravo"]),
        ({"fields[template]": "name", "sort": "name"}, ["Alpha", "Bravo", "Charlie"]),
    ]
    for params, names in rows:
        answer = api.get("/api/templates", **params)
        assert [t["attributes"]["name"] for t in answer.data] == names, params
    assert "next" in api.get("/api/templates", **{"page[size]": "1"}).body["links"]


@pytest.mark.parametrize(
    ("body", "status", "pointer"),
    [
        (template_body(html=None), 400, "/data/attributes/html"),
        (template_body(editor_type="WYSIWYG"), 400, "/data/attributes/editor_type"),
        (template_body(editor_type="SYSTEM_DRAGGABLE"), 501, "/data/attributes/editor_type"),
        (template_body(definition={"body": {}}), 501, "/data/attributes/definition"),
        (template_body(subject="x"), 400, "/data/attributes/subject"),
        (template_body(name=7), 400, "/data/attributes/name"),
        ({"data": {"type": "campaign", "attributes": {}}}, 400, "/data/type"),
    ],
)
def test_create_template_refuses(api: Api, body: Any, status: int, pointer: str) -> None:
    answer = api.post("/api/templates", body)
    assert (answer.status, answer.error["source"]) == (status, {"pointer": pointer}), answer.text


def test_other_template_requests_refused(api: Api, server: LocalKlaviyo) -> None:
    template = server.store.create_template("T", "CODE", "{% if x %}y{% endif %}")
    render_body = {"data": {"type": "template", "id": template.id, "attributes": {}}}
    assert api.post("/api/template-render", render_body).error["source"] == {
        "pointer": "/data/attributes/context"
    }
    render_body["data"]["attributes"] = {"context": {}}
    assert api.post("/api/template-render", render_body).status == 501
    render_body["data"]["id"] = "NoSuch"
    assert api.post("/api/template-render", render_body).status == 404
    mismatch = api.patch(
        f"/api/templates/{template.id}",
        {"data": {"type": "template", "id": "other", "attributes": {}}},
    )
    assert mismatch.status == 409
    assert api.get("/api/templates", sort="size").error["source"] == {"parameter": "sort"}
    assert api.get("/api/templates", **{"page[size]": "11"}).status == 400


def test_the_api_creation_cap(
    api: Api, server: LocalKlaviyo, monkeypatch: pytest.MonkeyPatch
) -> None:
    from klaviyo_legacy_compat.testing import _store_messages

    monkeypatch.setattr(_store_messages, "TEMPLATE_CAP", 2)
    first = server.store.create_template("A", "CODE", "<p/>")
    server.store.create_template("B", "CODE", "<p/>")
    clone = {"data": {"type": "template", "id": first.id, "attributes": {}}}
    assert api.post("/api/template-clone", clone).error["source"] == {"pointer": "/data"}
    assert api.post("/api/templates", template_body()).status == 400
    server.store.delete_template(first.id)
    assert api.post("/api/templates", template_body()).status == 201


# --- the legacy calls, live -----------------------------------------------------------------------


def test_legacy_template_calls_run_live(server: LocalKlaviyo) -> None:
    client = Client(server.private_key, base_url=server.base_url)
    created = client.Templates.create_template(name="Welcome", html="<p>Hi {{ first_name }}</p>")
    stored = server.store.template(created["id"])
    assert (stored.name, stored.editor_type, created["is_writeable"]) == ("Welcome", "CODE", True)
    updated = client.Templates.update_template(created["id"], html="<p>Hello {{ first_name }}</p>")
    assert server.store.template(created["id"]).html == updated["html"]
    rendered = client.Templates.render_template(created["id"], context='{"first_name": "Ann"}')
    assert rendered["data"] == {"html": "<p>Hello Ann</p>", "text": None}
    cloned = client.Templates.clone_template(created["id"], name="Copy")
    assert server.store.template(cloned["id"]).html == "<p>Hello {{ first_name }}</p>"
    listed = client.Templates.get_templates(count=1)
    assert (listed["total"], listed["data"][0]["name"]) == (2, "Copy")  # by name, as legacy
    deleted = client.Templates.delete_template(created["id"])
    assert deleted["name"] == "Welcome"
    assert [t.name for t in server.store.templates.values()] == ["Copy"]
    with pytest.raises(UnsupportedLegacyFeatureError):
        client.Templates.send_template(
            cloned["id"], from_email="a@example.com", from_name="A", subject="S", to="b@example.com"
        )
