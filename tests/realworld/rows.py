"""The table: legacy call shapes as real projects wrote them (issue 9, "Tests that must exist").

One row per distinct call shape. Each row cites where the shape comes from: a public
repository's file and line (``owner/repo path:line``, at the commit the search index holds),
or an issue thread. Only the call's shape is kept, with its values replaced by example data;
no project's code is copied. The expectations are what the legacy v1/v2 API did with the call
(its return value and its effect on the account), not what the shim does today.

Surfaces: ``klaviyo`` 3.1.7 and 2.x, ``klaviyo-sdk`` 1.0.9, raw HTTP from Python (a
``requests.Session``, or module-level ``requests`` calls) and raw HTTP from other languages
(JavaScript, TypeScript, PHP, Ruby), which reach the shim through the gateway.
"""

from __future__ import annotations

import base64
import json
import urllib.parse
from collections.abc import Mapping
from typing import Any, Callable

import requests

from tests.realworld.harness import (
    ABSENT,
    ANY,
    HTTP,
    K3,
    LEGACY,
    Answer,
    Consent,
    Ctx,
    Each,
    EventStored,
    Holds,
    Includes,
    Kept,
    Member,
    OneOf,
    PendingOptIn,
    ProfileHas,
    Row,
    Seed,
    Text,
)

K3_SURFACE = "klaviyo 3.1.7 (Python)"
K2_SURFACE = "klaviyo 2.x (Python)"
SDK_SURFACE = "klaviyo-sdk 1.0.9 (Python)"
SESSION = "raw HTTP on a requests.Session (Python)"
MODULE = "raw HTTP, module-level requests (Python)"


def gateway(language: str) -> str:
    return f"raw HTTP through the gateway ({language})"


#: 2024-05-01T12:00:00Z, the time the rows' events happened, and a moment before it.
T = 1714564800
T_ISO = "2024-05-01T12:00:00+00:00"
SINCE = 1714500000

JSON = {"Content-Type": "application/json"}


# --- how the projects encoded their payloads ------------------------------------------------


def compact(payload: Any) -> str:
    """``JSON.stringify`` / Ruby ``to_json``: no spaces."""
    return json.dumps(payload, separators=(",", ":"))


def php_json(payload: Any) -> str:
    """PHP ``json_encode``: compact, with ``/`` escaped."""
    return compact(payload).replace("/", "\\/")


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def ruby_encode64(text: str) -> str:
    """Ruby ``Base64.encode64``: a line feed after every 60 characters and at the end."""
    encoded = b64(text)
    return "".join(encoded[i : i + 60] + "\n" for i in range(0, len(encoded), 60))


def with_plus_and_slash(build: Callable[[str], Mapping[str, Any]]) -> str:
    """The compact JSON of ``build(filler)`` for the shortest filler whose standard base64
    holds both ``+`` and ``/``: what unescaped base64 in a URL breaks on. (From ASCII text,
    base64 has ``+`` and ``/`` only where a ``>``/``~`` or a ``?`` ends a 3-byte group, as in
    a product URL's query string; the filler moves them until both do.)"""
    for size in range(256):
        text = compact(build("x" * size + "~ab?"))
        encoded = b64(text)
        if "+" in encoded and "/" in encoded:
            return text
    raise AssertionError("no filler puts + and / in the base64")  # pragma: no cover


def _named_ids(answer: requests.Response, name: str) -> str:
    """The id of the metric called ``name`` in a legacy metrics list answer."""
    if answer.status_code != 200:
        raise AssertionError(f"metrics list answered {answer.status_code}: {answer.text[:200]}")
    for metric in answer.json().get("data", []):
        if metric.get("name") == name:
            return str(metric["id"])
    raise AssertionError(f"no metric {name!r} in {answer.text[:200]}")


# --- setups ----------------------------------------------------------------------------------


def a_list(seed: Seed) -> Mapping[str, str]:
    return {"list": seed.list("Newsletter")}


def a_double_opt_in_list(seed: Seed) -> Mapping[str, str]:
    return {"doi": seed.list("Newsletter", "double_opt_in")}


def two_members(seed: Seed) -> Mapping[str, str]:
    list_id = seed.list("Newsletter")
    seed.member(list_id, "ann@example.com", first_name="Ann")
    seed.member(list_id, "bob@example.com")
    return {"list": list_id}


def ann_on_the_list(seed: Seed) -> Mapping[str, str]:
    list_id = seed.list("Newsletter")
    seed.member(list_id, "ann@example.com")
    return {"list": list_id}


def ann(seed: Seed) -> Mapping[str, str]:
    return {"ann": seed.profile(email="ann@example.com", first_name="Ann")}


def an_order(seed: Seed) -> Mapping[str, str]:
    seed.event("ann@example.com", "Placed Order", {"$value": 19.99, "OrderId": "1001"}, T)
    return {}


def two_received_emails(seed: Seed) -> Mapping[str, str]:
    message = {"$message": "01MSG", "Campaign Name": "May news"}
    seed.event("ann@example.com", "Received Email", message, T)
    seed.event("bob@example.com", "Received Email", message, T + 60)
    return {}


def bob_suppressed(seed: Seed) -> Mapping[str, str]:
    seed.store.add_suppression("bob@example.com", "USER_SUPPRESSED")
    return {}


# --- calls that take more than one expression --------------------------------------------------


def wet_food(c: Ctx) -> Any:
    # The call as written: the customer's phone as ten national digits, `image` without
    # its `$`, counts as strings.
    return c.k3.Public.track(
        "Bought Wet Food",
        email="ann@example.com",
        customer_properties={
            "$first_name": "Ann",
            "$last_name": "Lee",
            "$city": "San Diego",
            "$phone_number": "4155550123",
            "image": "https://example.com/ann.jpg",
        },
        properties={
            "Items": {"item1_name": "wet food", "item1_link": "www.example.com"},
            "categories": ["wet food", "dry food", "catnip"],
            "cat_owner": "yes",
            "cat_quantity": "2",
        },
    )


def received_email_export_where(c: Ctx) -> Any:
    client = c.klaviyo(private_token=c.private_key)
    return client.metric_export(
        c.metric_id("Received Email"),
        start_date="2024-05-01",
        end_date="2024-05-02",
        where='[["$message","=","01MSG"]]',
        unit="day",
    )


def received_email_export_by_message(c: Ctx) -> Any:
    client = c.klaviyo(private_token=c.private_key)
    return client.metric_export(
        c.metric_id("Received Email"),
        start_date="2024-05-01",
        end_date="2024-05-02",
        unit="day",
        by="$message",
        count=10000,
    )


def reboot_iv(c: Ctx) -> Any:
    data = {
        "token": c.public_key,
        "event": "Bought Reboot IV",
        "customer_properties": {
            "$email": "mike@example.com",
            "$first_name": "Mike",
            "$last_name": "Smith",
            "$phone_number": "+16035550123",
            "$consent": "sms",
            "$region": "Vermont",
        },
        "properties": {"IV": "Reboot", "Reason": "hangover"},
    }
    return c.sdk(max_delay=60, max_retries=3).TrackIdentify.track_post(data=data)


def vermont_campaign(c: Ctx) -> Any:
    client = c.sdk(max_delay=60, max_retries=3)
    # The project's template already existed; here it is made first, the same way.
    template = client.Templates.create_template(
        name="Vermont", html="<html><body>Coming soon</body></html>"
    )
    return client.Campaigns.create_campaign(
        list_id=c.id("list"),
        template_id=template["id"],
        from_email="mariah@example.com",
        from_name="Mariah",
        subject="Vermont?! Coming soon!",
        name="Vermont - List",
    )


def tap_metric_timeline(c: Ctx) -> Any:
    # Discovery (`?api_key=` written into the URL), then the metric's timeline with the
    # bookmark appended as `&since=<unix seconds>`.
    metrics = c.session.request(method="get", url=f"{LEGACY}/v1/metrics?api_key={c.private_key}")
    metric_id = _named_ids(metrics, "Placed Order")
    url = f"{LEGACY}/v1/metric/{metric_id}/timeline?api_key={c.private_key}&sort=asc"
    return metrics, c.session.request(method="get", url=f"{url}&since={SINCE}")


def instagram_template(c: Ctx) -> Any:
    name = urllib.parse.quote("Imported From Instagram")
    html = urllib.parse.quote("<html><body><img src=https://example.com/a.jpeg></body></html>")
    payload = "api_key=" + c.private_key + "&name=" + name + "&html=" + html
    headers = {"Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded"}
    return c.session.request("POST", f"{LEGACY}/v1/email-templates", data=payload, headers=headers)


def shopify_backfill(c: Ctx) -> Any:
    payload = {
        "token": c.public_key,
        "event": "Placed Order",
        "customer_properties": {
            "$email": "ann@example.com",
            "$first_name": "Ann",
            "$last_name": "Lee",
            "$phone_number": "",
            "$address1": "1 Main St",
            "$address2": "",
            "$city": "Portland",
            "$zip": "97201",
            "$region": "Oregon",
            "$country": "United States",
        },
        "properties": {
            "$event_id": 4500123456,
            "$value": 19.99,
            "Categories": ["Shoes"],
            "ItemNames": ["Boot"],
            "Discount Codes": [],
            "Discount Value": "0.00",
            "Items": [{"ProductID": 111, "SKU": "BT-1", "Quantity": 1, "ItemPrice": 19.99}],
        },
        "time": T,
    }
    data = base64.encodebytes(json.dumps(payload).encode())
    return c.session.request("GET", f"{LEGACY}/track", params={"data": data})


def diet_order(c: Ctx) -> Any:
    js = {
        "token": c.public_key,
        "event": "Placed Order",
        "customer_properties": {
            "$email": "ola@example.com",
            "$first_name": "Ola",
            "$last_name": "Nowak",
            "$phone_number": "600 123 456",
            "customer_id": 5512,
        },
        "properties": {
            "Nazwa": "Nowak Ola",
            "IdKlienta": 5512,
            "Dieta": "Standard",
            "Kalorie": 2000,
            "PoczatekDiety": "01/05/2024",
            "KoniecDiety": "20/05/2024",
        },
        "time": T,
    }
    with c.module_requests():
        return requests.get(
            "https://a.klaviyo.com/api/track",
            params={"data": base64.b64encode(json.dumps(js).encode("utf-8"))},
        )


def campaigns_page(c: Ctx) -> Any:
    with c.module_requests():
        # The project's own str.format call, kept as written.
        url = "https://a.klaviyo.com/api/v1/campaigns?api_key={}&page={}&count={}"
        return requests.get(url.format(c.private_key, 0, 100))


def rudder_track(c: Ctx) -> Answer:
    def build(filler: str) -> Mapping[str, Any]:
        return {
            "event": "Product Added",
            "properties": {"sku": "SKU-" + filler, "name": "Boot", "price": 24.5},
            "token": c.public_key,
            "customer_properties": {
                "$email": "ann@example.com",
                "$phone_number": "415.555.0123",
            },
        }

    # Buffer.from(...).toString("base64") put into the URL as is: `+`, `/` and `=` unescaped.
    return c.fetch("GET", "/track?data=" + b64(with_plus_and_slash(build)))


def kljs_identify(c: Ctx) -> Answer:
    def build(filler: str) -> Mapping[str, Any]:
        return {
            "token": c.public_key,
            "properties": {"$email": "ann@example.com", "$first_name": "Ann", "Tag": filler},
        }

    # encodeURI(btoa(JSON.stringify(...))): encodeURI leaves `+`, `/` and `=` as they are.
    return c.fetch("GET", "/identify?data=" + b64(with_plus_and_slash(build)))


def ruby_sdk_track_get(c: Ctx) -> Answer:
    payload = {
        "token": c.public_key,
        "event": "Ordered Product",
        "customer_properties": {"$email": "abe@example.com"},
        "properties": {"item_name": "Boots", "$value": 100},
    }
    encoded = ruby_encode64(compact(payload))  # line feeds every 60 characters
    return c.fetch("GET", "/track?data=" + urllib.parse.quote(encoded, safe=""))


def ruby_gem_track(c: Ctx) -> Answer:
    params = {
        "token": c.public_key,
        "event": "Placed Order",
        "properties": {"number": "R123", "$event_id": "1001", "$value": "19.99"},
        "customer_properties": {"$email": "ann@example.com", "email": "ann@example.com"},
        "ip": "",
        "time": T,
    }
    # "data=#{CGI.escape Base64.encode64(JSON.generate(params)).gsub(/\n/,'')}"
    data = urllib.parse.quote_plus(b64(compact(params)))
    return c.fetch("GET", "/track?data=" + data)


def spree_ordered_product(c: Ctx) -> Answer:
    params = {
        "token": c.public_key,
        "event": "Ordered Product",
        "properties": {
            "ProductID": 7,
            "SKU": "BT-1",
            "ProductName": "Boot",
            "Quantity": 1,
            "ItemPrice": 24.0,
            "$event_id": 98765,
            "$value": 24.0,
        },
        "customer_properties": {
            "$email": "bob@example.com",
            "$first_name": "Bob",
            "$last_name": "Ray",
            "$phone_number": "+",  # "+#{phone.try(:gsub, ...)}" with no phone on the address
            "$address1": "1 Main St",
            "$city": "Portland",
            "$zip": "97201",
            "$region": "Oregon",
            "$country": "United States",
            "email": "bob@example.com",
        },
        "time": T,
    }
    data = urllib.parse.quote_plus(b64(compact(params)))
    return c.fetch("GET", "/track?data=" + data)


def magento_track(c: Ctx) -> Answer:
    params = {
        "token": c.public_key,
        "event": "Viewed Product",
        "properties": [],  # the PHP default `$properties = []`: an empty JSON array
        "customer_properties": {"$email": "ann@example.com"},
        "time": T,
    }
    return c.fetch("GET", "/track?data=" + urllib.parse.quote_plus(b64(php_json(params))))


def php_sdk_lead(c: Ctx) -> Answer:
    event = {
        "event": "Lead",
        "customer_properties": {
            "$email": "zen@example.com",
            "$consent": ["sms", "email"],
            "sms_consent": True,
            "email_consent": True,
            "$first_name": "Zen",
            "$last_name": "Ito",
            "$phone_number": "+14155550123",
        },
        "properties": [],
        "token": c.public_key,
    }
    return c.fetch("GET", "/track?data=" + urllib.parse.quote_plus(b64(php_json(event))))


def saleor_order(c: Ctx) -> Answer:
    data = compact(
        {
            "token": c.public_key,
            "event": "ORDER_CREATED",
            "customer_properties": {"$email": "ann@example.com"},
            "properties": {"order": {"number": "42", "total": {"amount": 19.99}}},
        }
    )
    return c.fetch(
        "POST",
        "/track",
        body=urllib.parse.urlencode({"data": data}).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"},
    )


def node_track(c: Ctx) -> Answer:
    data = {
        "event": "Signed Up",
        "properties": {"plan": "pro"},
        "customer_properties": {"$email": "ann@example.com"},
        "token": c.public_key,
    }
    return c.fetch("GET", "/track?data=" + urllib.parse.quote(b64(compact(data)), safe=""))


# --- the table ---------------------------------------------------------------------------------

ROWS: tuple[Row, ...] = (
    # ---- klaviyo 3.1.7 ------------------------------------------------------------------------
    Row(
        id="k3_track_phone_national_digits",
        # ninsephremidze/Klaviyo_SA_Public test/klaviyoAPI.py:6 (the phone at :13); the same
        # customer_properties in klaviyo_instagram_fetch.py:37.
        source="ninsephremidze/Klaviyo_SA_Public@1b5cdb6 test/klaviyoAPI.py:6",
        surface=K3_SURFACE,
        quirk="$phone_number as 10 national digits; `image` without `$`; counts as strings",
        call=wet_food,
        options={"default_phone_region": "US"},
        returns=K3(200, 1),
        store=(
            EventStored(
                "ann@example.com",
                "Bought Wet Food",
                properties={"cat_quantity": "2", "categories": ["wet food", "dry food", "catnip"]},
            ),
            ProfileHas(
                "ann@example.com",
                attributes={
                    "phone_number": "+14155550123",
                    "first_name": "Ann",
                    "location.city": "San Diego",
                },
                properties={"image": "https://example.com/ann.jpg"},
            ),
        ),
        warns=("phone",),
    ),
    Row(
        id="k3_track_phone_national_digits_no_region",
        source="ninsephremidze/Klaviyo_SA_Public@1b5cdb6 test/klaviyoAPI.py:6",
        surface=K3_SURFACE,
        quirk="the same call with no default_phone_region: the phone cannot become E.164",
        call=wet_food,
        returns=K3(200, 1),
        store=(
            EventStored("ann@example.com", "Bought Wet Food"),
            Kept("ann@example.com", "4155550123"),
            ProfileHas("ann@example.com", attributes={"first_name": "Ann"}),
        ),
        warns=("phone",),
    ),
    # ---- klaviyo 2.x --------------------------------------------------------------------------
    Row(
        id="k2_metric_timeline_count_none",
        # ben-liang/klaviyo_metric_aggregations metric_aggregates/from_timeline.py:22
        # (client built at :12 with private_token only; the metric id from client.metrics(),
        # metric_aggregates/utils.py:6).
        source=(
            "ben-liang/klaviyo_metric_aggregations@08a20e1 metric_aggregates/from_timeline.py:22"
        ),
        surface=K2_SURFACE,
        quirk="2.x flat method; count=None and since=None passed explicitly",
        setup=two_received_emails,
        call=lambda c: c.klaviyo(private_token=c.private_key).metric_timeline(
            metric_id=c.metric_id("Received Email"), since=None, count=None, sort="desc"
        ),
        returns={
            "object": "$list",
            "count": 2,
            "data": [
                {
                    "object": "event",
                    "event_name": "Received Email",
                    "timestamp": T + 60,
                    "datetime": ANY,
                    "event_properties": {"$message": "01MSG", "Campaign Name": "May news"},
                    "person": {"$email": "bob@example.com"},
                },
                {
                    "event_name": "Received Email",
                    "timestamp": T,
                    "person": {"$email": "ann@example.com"},
                },
            ],
            "next": None,
        },
    ),
    Row(
        id="k2_metric_export_where_message",
        # ben-liang/klaviyo_metric_aggregations
        # metric_aggregates/from_individual_message_export.py:107 (the where at :106).
        source=(
            "ben-liang/klaviyo_metric_aggregations@47e6e8d "
            "metric_aggregates/from_individual_message_export.py:107"
        ),
        surface=K2_SURFACE,
        quirk="2.x flat metric_export; `where` as a JSON string with one `=` condition",
        setup=two_received_emails,
        call=received_email_export_where,
        returns={
            "metric": {"id": ANY, "name": "Received Email"},
            "results": [
                {"segment": ANY, "data": Includes({"date": Text("2024-05-01"), "values": [2]})}
            ],
        },
    ),
    Row(
        id="k2_metric_export_by_message_count_10000",
        source=(
            "ben-liang/klaviyo_metric_aggregations@47e6e8d "
            "metric_aggregates/from_individual_message_export.py:119"
        ),
        surface=K2_SURFACE,
        quirk="count=10000, ten times the legacy maximum of 1000; by='$message'",
        setup=two_received_emails,
        call=received_email_export_by_message,
        returns={
            "metric": {"name": "Received Email"},
            "results": Includes(
                {
                    "segment": "01MSG",
                    "data": Includes({"date": Text("2024-05-01"), "values": [2]}),
                }
            ),
        },
        warns=("count",),
    ),
    # ---- klaviyo-sdk 1.0.9 --------------------------------------------------------------------
    Row(
        id="sdk_track_post_consent_as_string",
        # natefrizz/Klaviyo_technical klaviyo.py:24 (the `$consent` string at :15).
        source="natefrizz/Klaviyo_technical@0d36775 klaviyo.py:24",
        surface=SDK_SURFACE,
        quirk="`$consent` as the string 'sms' in a track's customer_properties",
        call=reboot_iv,
        returns="1",
        store=(
            EventStored(
                "mike@example.com",
                "Bought Reboot IV",
                properties={"IV": "Reboot", "Reason": "hangover"},
            ),
            ProfileHas(
                "mike@example.com",
                attributes={
                    "first_name": "Mike",
                    "phone_number": "+16035550123",
                    "location.region": "Vermont",
                },
                properties={"$consent": OneOf(("sms", ["sms"]))},
            ),
            # A track never gave SMS consent (klaviyo/php-klaviyo#61, the maintainers: only
            # the subscribe endpoint collects it).
            Consent("mike@example.com", "sms", "NEVER_SUBSCRIBED"),
        ),
    ),
    Row(
        id="sdk_create_campaign_kwargs",
        source="natefrizz/Klaviyo_technical@0d36775 klaviyo.py:32",
        surface=SDK_SURFACE,
        quirk="Campaigns.create_campaign with the form fields as keyword arguments",
        setup=a_list,
        call=vermont_campaign,
        returns=lambda ids: {
            "object": "campaign",
            "id": ANY,
            "name": "Vermont - List",
            "subject": "Vermont?! Coming soon!",
            "from_email": "mariah@example.com",
            "from_name": "Mariah",
            "lists": Includes({"id": ids["list"]}),
        },
        store=(Holds("campaigns", "Vermont - List"),),
    ),
    Row(
        id="sdk_identify_post_without_token",
        # klaviyo/klaviyo-python-sdk#10: `kc.TrackIdentify.identify_post(data={'email': ...})`
        # answered 0 (the payload carries no token); the maintainer: "the data object needs to
        # be the same as it is for the curl request".
        source="klaviyo/klaviyo-python-sdk#10",
        surface=SDK_SURFACE,
        # Legacy answered '0': the public endpoint had no key to go by. Here the client's own
        # private key is available, and the contract routes a call that carries no key of its
        # own through the configured one (contract §1): the profile the caller meant is made.
        quirk="identify payload without its `token` (and `email` at the top level): sent "
        "with the client's private key",
        call=lambda c: c.sdk().TrackIdentify.identify_post(data={"email": "abc@example.com"}),
        returns="1",
        store=(ProfileHas("abc@example.com", attributes={"email": "abc@example.com"}),),
    ),
    # ---- raw HTTP, Python -----------------------------------------------------------------------
    Row(
        id="http_v1_metric_timeline_key_in_url",
        # singer-io/tap-klaviyo tap_klaviyo/__init__.py:84 (timeline URL with api_key written
        # in), :31 (`&since=` appended), :155 (metrics discovery); session.request at :24.
        source="singer-io/tap-klaviyo@036462a tap_klaviyo/__init__.py:84",
        surface=SESSION,
        quirk="api_key and since (10-digit unix seconds) formatted into the URL by hand",
        setup=an_order,
        call=tap_metric_timeline,
        returns=(
            HTTP(
                200,
                json={
                    "data": Includes({"object": "metric", "id": ANY, "name": "Placed Order"}),
                    "page": 0,
                    "total": 1,
                },
            ),
            HTTP(
                200,
                json={
                    "object": "$list",
                    "data": [
                        {
                            "object": "event",
                            "event_name": "Placed Order",
                            "timestamp": T,
                            "event_properties": {"$value": 19.99, "OrderId": "1001"},
                            "person": {"$email": "ann@example.com"},
                        }
                    ],
                    "next": None,
                },
            ),
        ),
    ),
    Row(
        id="http_v2_group_members_marker_none",
        source="singer-io/tap-klaviyo@00a04ba tap_klaviyo/utils.py:155",
        surface=SESSION,
        quirk="GET with api_key as a query param (not in a JSON body) and marker=None",
        setup=two_members,
        call=lambda c: c.session.get(
            f"{LEGACY}/v2/group/{c.id('list')}/members/all",
            params={"api_key": c.private_key, "marker": None},
        ),
        returns=HTTP(
            200,
            json={
                "records": [
                    {"id": ANY, "email": "ann@example.com"},
                    {"id": ANY, "email": "bob@example.com"},
                ],
                "marker": ABSENT,
            },
        ),
    ),
    Row(
        id="http_v1_person",
        source="singer-io/tap-klaviyo@00a04ba tap_klaviyo/utils.py:164",
        surface=SESSION,
        quirk="v1 person by id, api_key as params",
        setup=ann,
        call=lambda c: c.session.get(
            f"{LEGACY}/v1/person/{c.id('ann')}", params={"api_key": c.private_key}
        ),
        returns=lambda ids: HTTP(
            200,
            json={
                "object": "person",
                "id": ids["ann"],
                "$email": "ann@example.com",
                "$first_name": "Ann",
            },
        ),
    ),
    Row(
        id="http_v1_lists_paged",
        # singer-io/tap-klaviyo tap_klaviyo/utils.py:142 (page and api_key params at :83);
        # airbytehq/airbyte source-klaviyo streams.py:225 (count=100).
        source="singer-io/tap-klaviyo@00a04ba tap_klaviyo/utils.py:142",
        surface=SESSION,
        quirk="the v1 lists endpoint, paged by page/total",
        setup=a_list,
        call=lambda c: c.session.get(
            f"{LEGACY}/v1/lists", params={"page": 0, "api_key": c.private_key}
        ),
        returns=lambda ids: HTTP(
            200,
            json={
                "data": [{"object": "list", "id": ids["list"], "name": "Newsletter"}],
                "page": 0,
                "total": 1,
            },
        ),
    ),
    Row(
        id="http_v1_metrics_timeline_since_seconds",
        # airbytehq/airbyte airbyte-integrations/connectors/source-klaviyo/source_klaviyo/
        # streams.py:252 (path), :66 (api_key, count=100), :101 (since), :102 (sort).
        source=(
            "airbytehq/airbyte@01fd9f2 "
            "airbyte-integrations/connectors/source-klaviyo/source_klaviyo/streams.py:252"
        ),
        surface=SESSION,
        quirk="since as unix seconds, count=100, sort=asc",
        setup=an_order,
        call=lambda c: c.session.get(
            f"{LEGACY}/v1/metrics/timeline",
            params={"api_key": c.private_key, "count": 100, "since": SINCE, "sort": "asc"},
        ),
        returns=HTTP(
            200,
            json={
                "object": "$list",
                "data": [
                    {
                        "event_name": "Placed Order",
                        "timestamp": T,
                        "person": {"$email": "ann@example.com"},
                    }
                ],
                "next": None,
            },
        ),
    ),
    Row(
        id="http_v1_exclusions_count_5000",
        # airbytehq/airbyte source-klaviyo streams.py:231 ("page_size = 5000  # the maximum
        # value allowed by API"), :236 (path), :168 (sort).
        source=(
            "airbytehq/airbyte@01fd9f2 "
            "airbyte-integrations/connectors/source-klaviyo/source_klaviyo/streams.py:231"
        ),
        surface=SESSION,
        quirk="count=5000 (the legacy maximum for exclusions), sort=asc",
        setup=bob_suppressed,
        call=lambda c: c.session.get(
            f"{LEGACY}/v1/people/exclusions",
            params={"api_key": c.private_key, "count": 5000, "sort": "asc"},
        ),
        returns=HTTP(
            200,
            json={
                "object": "$list",
                "data": [
                    {
                        "object": "exclusion",
                        "email": "bob@example.com",
                        "reason": "manually_excluded",
                    }
                ],
                "page": 0,
            },
        ),
    ),
    Row(
        id="http_v1_campaigns_count_100",
        source=(
            "airbytehq/airbyte@01fd9f2 "
            "airbyte-integrations/connectors/source-klaviyo/source_klaviyo/streams.py:216"
        ),
        surface=SESSION,
        quirk="v1 campaigns with count=100 and page=0, on an account without campaigns",
        call=lambda c: c.session.get(
            f"{LEGACY}/v1/campaigns",
            params={"api_key": c.private_key, "count": 100, "page": 0},
        ),
        returns=HTTP(200, json={"data": [], "page": 0, "total": 0}),
    ),
    Row(
        id="http_v1_flows",
        # airbytehq/airbyte source-klaviyo streams.py:274; ben-liang/klaviyo_metric_aggregations
        # metric_aggregates/from_individual_message_export.py:68 (module-level, api_key only).
        source=(
            "airbytehq/airbyte@01fd9f2 "
            "airbyte-integrations/connectors/source-klaviyo/source_klaviyo/streams.py:274"
        ),
        surface=SESSION,
        quirk="the undocumented v1 flows list, count=100, sort=asc",
        call=lambda c: c.session.get(
            f"{LEGACY}/v1/flows", params={"api_key": c.private_key, "count": 100, "sort": "asc"}
        ),
        returns=HTTP(200, json={"data": []}),
    ),
    Row(
        id="http_v1_email_templates_with_since",
        source=(
            "airbytehq/airbyte@01fd9f2 "
            "airbyte-integrations/connectors/source-klaviyo/source_klaviyo/streams.py:281"
        ),
        surface=SESSION,
        quirk="v1 email-templates with `since` and `sort`, which that endpoint never took",
        call=lambda c: c.session.get(
            f"{LEGACY}/v1/email-templates",
            params={"api_key": c.private_key, "count": 100, "since": SINCE, "sort": "asc"},
        ),
        returns=HTTP(200, json={"data": []}),
    ),
    Row(
        id="http_v1_template_create_key_in_form_body",
        # ninsephremidze/Klaviyo_SA_Public klaviyo_instagram_fetch.py:33 (payload at :26).
        source="ninsephremidze/Klaviyo_SA_Public@1b5cdb6 klaviyo_instagram_fetch.py:33",
        surface=SESSION,
        quirk="api_key inside a hand-built form body (not the query)",
        call=instagram_template,
        returns=HTTP(
            200,
            json={
                "object": "email-template",
                "id": ANY,
                "name": "Imported From Instagram",
                "html": Text("<img src="),
            },
        ),
        store=(Holds("templates", "Imported From Instagram"),),
    ),
    Row(
        id="http_track_base64_with_line_feeds",
        # Drewlatimer/klaviyo_homework tech_test.py:116 (base64.encodebytes), :117 (the GET),
        # :38 (phone "" when the address has none), :64-65 ($event_id an int, $value a float).
        source="Drewlatimer/klaviyo_homework@9f7e096 tech_test.py:116",
        surface=SESSION,
        quirk="data from base64.encodebytes (a line feed every 76 chars); empty $phone_number",
        call=shopify_backfill,
        returns=HTTP(200, text="1"),
        store=(
            EventStored(
                "ann@example.com",
                "Placed Order",
                value=19.99,
                unique_id="4500123456",
                time=T_ISO,
                properties={"Discount Value": "0.00", "ItemNames": ["Boot"]},
            ),
            ProfileHas(
                "ann@example.com",
                attributes={
                    "first_name": "Ann",
                    "location.city": "Portland",
                    "location.zip": "97201",
                    "location.address1": "1 Main St",
                },
                absent=("phone_number",),
            ),
        ),
        warns=("base64",),
    ),
    Row(
        id="http_track_module_level_requests",
        # adam-ziolkowski/klaviyo_data_push scripts/data_migration.py:122 (requests.get with the
        # base64 bytes as the data param, made at :115); the phone at :89 is the shop's
        # export, passed on unchanged.
        source="adam-ziolkowski/klaviyo_data_push@e8a9edb scripts/data_migration.py:122",
        surface=MODULE,
        quirk="module-level requests.get; data as bytes; a national phone number",
        options={"default_phone_region": "PL"},
        call=diet_order,
        returns=HTTP(200, text="1"),
        store=(
            EventStored(
                "ola@example.com",
                "Placed Order",
                time=T_ISO,
                properties={"PoczatekDiety": "01/05/2024", "IdKlienta": 5512},
            ),
            ProfileHas(
                "ola@example.com",
                attributes={"phone_number": "+48600123456", "first_name": "Ola"},
                properties={"customer_id": 5512},
            ),
        ),
    ),
    Row(
        id="http_v1_campaigns_module_level_requests",
        # ben-liang/klaviyo_metric_aggregations
        # metric_aggregates/from_individual_message_export.py:32 (URL formatted at :20).
        source=(
            "ben-liang/klaviyo_metric_aggregations@47e6e8d "
            "metric_aggregates/from_individual_message_export.py:32"
        ),
        surface=MODULE,
        quirk="module-level requests.get on a URL with api_key/page/count formatted in",
        call=campaigns_page,
        returns=HTTP(200, json={"data": [], "end": ANY, "total": 0}),
    ),
    # ---- raw HTTP, other languages (through the gateway) ------------------------------------
    Row(
        id="gw_subscribe_key_in_query",
        # timlrx/pliny packages/pliny/src/newsletter/klaviyo.ts:5; the same shape in
        # markwcollins/drobe-express@27245e3 services/Klaviyo.ts:13 (axios).
        source="timlrx/pliny packages/pliny/src/newsletter/klaviyo.ts:5",
        surface=gateway("TypeScript"),
        quirk="v2 subscribe with api_key in the query string and not in the JSON body",
        setup=a_list,
        call=lambda c: c.fetch(
            "POST",
            f"/v2/list/{c.id('list')}/subscribe?api_key={c.private_key}",
            body=b'{"profiles":[{"email":"ann@example.com"}]}',
            headers={"Accept": "application/json", **JSON},
        ),
        returns=HTTP(200, json=[{"email": "ann@example.com"}]),
        store=(
            Member("list", "ann@example.com"),
            Consent("ann@example.com", "email", "SUBSCRIBED"),
        ),
    ),
    Row(
        id="gw_subscribe_sms_consent_string_and_national_phone",
        # rudderlabs/rudder-transformer v0/destinations/klaviyo/transform.js:38 (sms_consent
        # and $consent taken from the event at :39-40, posted at :44).
        source="rudderlabs/rudder-transformer@0860e31 v0/destinations/klaviyo/transform.js:38",
        surface=gateway("JavaScript"),
        quirk="sms_consent as the string 'true'; phone_number as written by the user",
        options={"default_phone_region": "US"},
        setup=a_list,
        call=lambda c: c.fetch(
            "POST",
            f"/v2/list/{c.id('list')}/subscribe",
            body=json.dumps(
                {
                    "api_key": c.private_key,
                    "profiles": [
                        {
                            "email": "ann@example.com",
                            "phone_number": "(415) 555-0123",
                            "sms_consent": "true",
                            "$consent": ["email", "sms"],
                        }
                    ],
                }
            ).encode(),
            headers=JSON,
        ),
        returns=HTTP(200, json=[{"email": "ann@example.com"}]),
        store=(
            Member("list", "ann@example.com"),
            ProfileHas("ann@example.com", attributes={"phone_number": "+14155550123"}),
            Consent("ann@example.com", "email", "SUBSCRIBED"),
            Consent("ann@example.com", "sms", "SUBSCRIBED"),
        ),
        warns=("phone", "sms_consent"),
    ),
    Row(
        id="gw_subscribe_profiles_as_an_object",
        # klaviyo/magento2-klaviyo Helper/Data.php:100 (`['profiles' => $properties]`, one
        # profile's array, not a list of them), api_key added by sendApiRequest.
        source="klaviyo/magento2-klaviyo@00326b8 Helper/Data.php:100",
        surface=gateway("PHP"),
        quirk="`profiles` is one profile object, not a list",
        setup=a_list,
        call=lambda c: c.fetch(
            "POST",
            f"/v2/list/{c.id('list')}/subscribe",
            body=php_json(
                {
                    "profiles": {
                        "email": "ann@example.com",
                        "$first_name": "Ann",
                        "$last_name": "Lee",
                        "$source": "Magento 2",
                        "$consent": ["email"],
                    },
                    "api_key": c.private_key,
                }
            ).encode(),
            headers=JSON,
        ),
        returns=HTTP(200, json=[{"email": "ann@example.com"}]),
        store=(
            Member("list", "ann@example.com"),
            Consent("ann@example.com", "email", "SUBSCRIBED"),
            ProfileHas(
                "ann@example.com",
                attributes={"first_name": "Ann", "last_name": "Lee"},
                properties={"$source": "Magento 2"},
            ),
        ),
        warns=("profiles",),
    ),
    Row(
        id="gw_unsubscribe_delete_with_json_body",
        source="klaviyo/magento2-klaviyo@00326b8 Helper/Data.php:128",
        surface=gateway("PHP"),
        quirk="DELETE with a JSON body carrying api_key and emails",
        setup=ann_on_the_list,
        call=lambda c: c.fetch(
            "DELETE",
            f"/v2/list/{c.id('list')}/subscribe",
            body=php_json({"emails": ["ann@example.com"], "api_key": c.private_key}).encode(),
            headers=JSON,
        ),
        returns=HTTP(200, text=""),
        store=(Member("list", "ann@example.com", member=False),),
    ),
    Row(
        id="gw_v2_lists_key_in_query",
        source="klaviyo/magento2-klaviyo@00326b8 Helper/Data.php:46",
        surface=gateway("PHP"),
        quirk="GET v2 lists with api_key in the query string",
        setup=a_list,
        call=lambda c: c.fetch("GET", f"/v2/lists?api_key={c.private_key}"),
        returns=lambda ids: HTTP(200, json=[{"list_id": ids["list"], "list_name": "Newsletter"}]),
    ),
    Row(
        id="gw_track_php_empty_properties_array",
        # klaviyo/magento2-klaviyo Helper/Data.php:137 (`$properties = []`), :149, :161
        # (`'data=' . urlencode(base64_encode(json_encode($params)))`).
        source="klaviyo/magento2-klaviyo@00326b8 Helper/Data.php:137",
        surface=gateway("PHP"),
        quirk="properties is [] (PHP's empty array) where an object is expected",
        call=magento_track,
        returns=HTTP(200, text="1"),
        store=(EventStored("ann@example.com", "Viewed Product", time=T_ISO),),
        warns=("properties",),
    ),
    Row(
        id="gw_track_unescaped_base64_in_url",
        # rudderlabs/rudder-transformer v0/destinations/klaviyo/transform.js:125 (the base64
        # made at :123), customer_properties at :119-122.
        source="rudderlabs/rudder-transformer@0860e31 v0/destinations/klaviyo/transform.js:125",
        surface=gateway("JavaScript"),
        quirk="base64 put into the URL unescaped (`+` arrives as a space); a dotted phone",
        options={"default_phone_region": "US"},
        call=rudder_track,
        returns=HTTP(200, text="1"),
        store=(
            EventStored("ann@example.com", "Product Added", properties={"name": "Boot"}),
            ProfileHas("ann@example.com", attributes={"phone_number": "+14155550123"}),
        ),
        warns=("base64", "phone"),
    ),
    Row(
        id="gw_identify_encodeuri_btoa",
        # webjoe/code-gallery klaviyo-js-api-wrapper-es5/klaviyo_js_api_wrapper_es5.js:62
        # (encode at :14: encodeURI(btoa(JSON.stringify(...)))).
        source=(
            "webjoe/code-gallery@1d59995 "
            "klaviyo-js-api-wrapper-es5/klaviyo_js_api_wrapper_es5.js:62"
        ),
        surface=gateway("JavaScript"),
        quirk="encodeURI(btoa(...)) leaves `+` `/` `=` unescaped in the query",
        call=kljs_identify,
        returns=HTTP(200, text="1"),
        store=(ProfileHas("ann@example.com", attributes={"first_name": "Ann"}),),
        warns=("base64",),
    ),
    Row(
        id="gw_track_ruby_encode64_line_feeds",
        # klaviyo/klaviyo-ruby-sdk README.md, "Track Profile Activity (Legacy)":
        # `Base64.encode64(track_payload.to_json)` passed to TrackIdentify.track_get.
        source="klaviyo/klaviyo-ruby-sdk README.md (Track Profile Activity (Legacy))",
        surface=gateway("Ruby"),
        quirk="Base64.encode64: a line feed every 60 characters, sent URL-encoded",
        call=ruby_sdk_track_get,
        returns=HTTP(200, text="1"),
        store=(EventStored("abe@example.com", "Ordered Product", value=100),),
        warns=("base64",),
    ),
    Row(
        id="gw_track_ruby_gem_value_string_empty_ip",
        # klaviyo/ruby-klaviyo lib/klaviyo/client.rb:34 (`:ip => ''`), :36 (time as integer),
        # :26 (`email` without `$`), :69 (encoding); the $value and $event_id from
        # solidusio-contrib/solidus_klaviyo@285318d lib/solidus_klaviyo/event/placed_order.rb:18-19
        # (`order.total`, a BigDecimal, encoded as a string).
        source="klaviyo/ruby-klaviyo@00e6d8a lib/klaviyo/client.rb:34",
        surface=gateway("Ruby"),
        quirk="$value as the string '19.99'; ip ''; both `email` and `$email`",
        call=ruby_gem_track,
        returns=HTTP(200, text="1"),
        store=(
            EventStored(
                "ann@example.com",
                "Placed Order",
                value=19.99,
                unique_id="1001",
                time=T_ISO,
                properties={"number": "R123"},
            ),
        ),
        warns=("$value",),
    ),
    Row(
        id="gw_track_phone_plus_only",
        # Novik/klaviyo_tracker lib/klaviyo_tracker.rb:125 ("+#{phone...}" is "+" when the
        # address has no phone), :98 ($event_id the line item's integer id), :43 (time).
        source="Novik/klaviyo_tracker@0a99fb0 lib/klaviyo_tracker.rb:125",
        surface=gateway("Ruby"),
        quirk="$phone_number is just '+'; $event_id an integer",
        call=spree_ordered_product,
        returns=HTTP(200, text="1"),
        store=(
            EventStored(
                "bob@example.com",
                "Ordered Product",
                value=24.0,
                unique_id="98765",
                time=T_ISO,
                properties={"SKU": "BT-1"},
            ),
            Kept("bob@example.com", "+"),
            ProfileHas(
                "bob@example.com",
                attributes={"first_name": "Bob", "location.city": "Portland"},
            ),
        ),
        warns=("phone",),
    ),
    Row(
        id="gw_track_form_post",
        # saleor/saleor-app-klaviyo-old src/providers/klaviyo.ts:15 (URLSearchParams at :7-13).
        source="saleor/saleor-app-klaviyo-old@50553ac src/providers/klaviyo.ts:15",
        surface=gateway("TypeScript"),
        quirk="POST form `data=<JSON>` with nested properties",
        call=saleor_order,
        returns=HTTP(200, text="1"),
        store=(
            EventStored(
                "ann@example.com",
                "ORDER_CREATED",
                properties={"order": {"number": "42", "total": {"amount": 19.99}}},
            ),
        ),
    ),
    Row(
        id="gw_track_consent_and_sms_consent_in_track",
        # klaviyo/php-klaviyo#61: customer_properties with '$consent' => ['sms', 'email'],
        # 'sms_consent' => true, 'email_consent' => true and 'properties' => array().
        source="klaviyo/php-klaviyo#61",
        surface=gateway("PHP"),
        quirk="consent keys in a track (legacy kept them as properties); properties []",
        call=php_sdk_lead,
        returns=HTTP(200, text="1"),
        store=(
            EventStored("zen@example.com", "Lead"),
            ProfileHas(
                "zen@example.com",
                attributes={"first_name": "Zen", "phone_number": "+14155550123"},
                properties={"sms_consent": True, "email_consent": True},
            ),
            Consent("zen@example.com", "sms", "NEVER_SUBSCRIBED"),
        ),
        warns=("properties",),
    ),
    Row(
        id="gw_people_search_get_body_key_header",
        # klaviyo/php-klaviyo#43: the maintainer's curl for GET /api/v2/people/search, with a
        # JSON body on the GET and the key in an `api-key` header.
        source="klaviyo/php-klaviyo#43",
        surface=gateway("PHP"),
        quirk="GET with a JSON body; the private key in an `api-key` header",
        setup=ann,
        call=lambda c: c.fetch(
            "GET",
            "/v2/people/search",
            body=b'{\n\t"email":"ann@example.com"\n}',
            headers={"api-key": c.private_key, **JSON},
        ),
        returns=lambda ids: HTTP(200, json={"id": ids["ann"]}),
    ),
    Row(
        id="gw_subscribe_double_opt_in_list",
        # klaviyo/node-klaviyo#11 (answered [] and nobody joined: double opt-in); the same
        # request as curl in klaviyo/klaviyo-node-sdk#4.
        source="klaviyo/node-klaviyo#11",
        surface=gateway("JavaScript"),
        quirk="subscribe to a double opt-in list: [] and a pending confirmation",
        setup=a_double_opt_in_list,
        call=lambda c: c.fetch(
            "POST",
            f"/v2/list/{c.id('doi')}/subscribe?api_key={c.private_key}",
            body=b'{"profiles":[{"email":"ann@example.com"}]}',
            headers={"Accept": "application/json", **JSON},
        ),
        returns=HTTP(200, json=[]),
        store=(
            PendingOptIn("doi", "ann@example.com"),
            Member("doi", "ann@example.com", member=False),
        ),
    ),
    Row(
        id="gw_members_ignore_double_opt_in",
        # rudderlabs/rudder-transformer v0/destinations/klaviyo/transform.js:171 (group →
        # /members, phone_number undefined so left out); klaviyo/node-klaviyo#11 (the
        # maintainers' way round double opt-in).
        source="rudderlabs/rudder-transformer@0860e31 v0/destinations/klaviyo/transform.js:171",
        surface=gateway("JavaScript"),
        quirk="members POST on a double opt-in list: joins at once, no consent",
        setup=a_double_opt_in_list,
        call=lambda c: c.fetch(
            "POST",
            f"/v2/list/{c.id('doi')}/members",
            body=compact(
                {"api_key": c.private_key, "profiles": [{"email": "ann@example.com"}]}
            ).encode(),
            headers=JSON,
        ),
        returns=HTTP(200, json=Each({"id": ANY, "email": "ann@example.com"})),
        store=(
            Member("doi", "ann@example.com"),
            Consent("ann@example.com", "email", "NEVER_SUBSCRIBED"),
        ),
    ),
    Row(
        id="gw_track_get_query_encoded",
        # lswartsenburg/klaviyo-node lib/index.js (axios GET with params {data: base64});
        # segment-boneyard/integration-klaviyo@0ff7fa4 lib/index.js:114 (superagent .query()).
        source="lswartsenburg/klaviyo-node@2a6abe0 lib/index.js (_requestKlaviyo)",
        surface=gateway("JavaScript"),
        quirk="the documented shape: GET /api/track with data URL-encoded",
        call=node_track,
        returns=HTTP(200, text="1"),
        store=(EventStored("ann@example.com", "Signed Up", properties={"plan": "pro"}),),
    ),
)
