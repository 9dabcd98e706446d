"""Raw legacy HTTP → typed calls and their keys: every wire form of the five calls."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote, urlencode

import pytest

from klaviyo_legacy_compat._core.calls import (
    ExcludeEmailCall,
    PayloadCall,
    Request,
    SubscribeCall,
    UnsubscribeCall,
)
from klaviyo_legacy_compat._core.credentials import Key
from klaviyo_legacy_compat._core.wire import (
    LegacyHTTPRequest,
    UnknownLegacyPathError,
    call_for,
    parse_legacy_request,
)
from klaviyo_legacy_compat.exceptions import TranslationError

PAYLOAD = {
    "token": "AbC123",
    "event": "Viewed",
    "customer_properties": {"$email": "a+b@example.com"},
}
B64 = base64.b64encode(json.dumps(PAYLOAD).encode()).decode()
#: A payload whose base64 holds "+", "/" and "=" padding, to exercise every loose form.
LOOSE = {**PAYLOAD, "properties": {"q": "~~~>>>???x"}}
LOOSE_B64 = base64.b64encode(json.dumps(LOOSE).encode()).decode()
assert {"+", "/"} <= set(LOOSE_B64) and LOOSE_B64.endswith("=")
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize(
    "request_",
    [
        LegacyHTTPRequest("GET", f"https://a.klaviyo.com/api/track?data={quote(B64)}"),
        LegacyHTTPRequest("GET", f"/api/track?data={B64.rstrip('=')}"),  # padding dropped
        LegacyHTTPRequest(
            "GET",
            "/track?data="
            + base64.urlsafe_b64encode(json.dumps(PAYLOAD).encode()).decode(),  # url-safe, no /api
        ),
        LegacyHTTPRequest(
            "POST",
            "https://a.klaviyo.com/api/track",
            FORM,
            urlencode({"data": json.dumps(PAYLOAD)}).encode(),
        ),
        LegacyHTTPRequest(
            "POST", "https://a.klaviyo.com/api/track", FORM, urlencode({"data": B64}).encode()
        ),
        LegacyHTTPRequest(
            "POST", "https://a.klaviyo.com/api/track/", JSON, json.dumps(PAYLOAD).encode()
        ),
    ],
    ids=[
        "get_base64",
        "get_unpadded",
        "get_urlsafe_no_api_prefix",
        "post_form_json",
        "post_form_base64",
        "post_json",
    ],
)
def test_every_track_form(request_: LegacyHTTPRequest) -> None:
    parsed = parse_legacy_request(request_)
    assert isinstance(parsed.call, PayloadCall) and parsed.api_key is None
    assert (parsed.call.kind, parsed.call.payload, parsed.call.is_test) == ("track", PAYLOAD, False)
    # Only the two loose base64 forms were normalised, and they say so.
    kinds = {note.kind for note in parsed.call.notes}
    assert kinds <= {"base64_alphabet"}


def test_the_test_flag_of_the_pixel_form() -> None:
    parsed = parse_legacy_request(LegacyHTTPRequest("GET", f"/api/track?data={B64}&test=1"))
    assert (parsed.call.is_test, parsed.call.notes) == (True, ())


@pytest.mark.parametrize(
    ("data", "kinds"),
    [
        (LOOSE_B64.replace("+", " "), {"base64_whitespace"}),  # "+" unescaped: a space
        (
            "\n".join(LOOSE_B64[i : i + 20] for i in range(0, len(LOOSE_B64), 20)),
            {"base64_whitespace"},
        ),
        (LOOSE_B64.rstrip("=").replace("+", "-").replace("/", "_"), {"base64_alphabet"}),
        (LOOSE_B64, set()),
    ],
    ids=["plus_as_space", "line_breaks", "urlsafe_unpadded", "standard"],
)
def test_loose_base64_is_read_and_reported(data: str, kinds: set[str]) -> None:
    parsed = parse_legacy_request(
        LegacyHTTPRequest("POST", "/api/track", FORM, urlencode({"data": data}).encode())
    )
    assert parsed.call.payload == LOOSE
    assert {note.kind for note in parsed.call.notes} == kinds
    if "base64_whitespace" in kinds:
        with pytest.raises(TranslationError, match="base64"):
            parse_legacy_request(
                LegacyHTTPRequest("POST", "/api/track", FORM, urlencode({"data": data}).encode()),
                strict=True,
            )


def test_identify_forms() -> None:
    payload = {"token": "AbC123", "properties": {"$email": "a@example.com"}}
    encoded = base64.b64encode(json.dumps(payload).encode()).decode()
    by_get = parse_legacy_request(LegacyHTTPRequest("GET", f"/api/identify?data={encoded}"))
    by_post = parse_legacy_request(
        LegacyHTTPRequest(
            "POST", "/api/identify", FORM, urlencode({"data": json.dumps(payload)}).encode()
        )
    )
    expected = Request(PayloadCall("identify", payload, is_test=False, notes=()))
    assert by_get == by_post == expected


@pytest.mark.parametrize(
    ("url", "headers", "body"),
    [
        (
            "/api/v2/list/XyZ/subscribe",
            JSON,
            {"api_key": "pk_body", "profiles": [{"email": "a@example.com"}]},
        ),
        (
            "/api/v2/list/XyZ/subscribe?api_key=pk_body",
            JSON,
            {"profiles": [{"email": "a@example.com"}]},
        ),
        (
            "/api/v2/list/XyZ/subscribe",
            {"api-key": "pk_body"},
            {"profiles": [{"email": "a@example.com"}]},
        ),
    ],
    ids=["key_in_body", "key_in_query", "key_in_header"],
)
def test_subscribe_takes_the_key_wherever_it_is(
    url: str, headers: dict[str, str], body: dict[str, object]
) -> None:
    parsed = parse_legacy_request(
        LegacyHTTPRequest("POST", url, headers, json.dumps(body).encode())
    )
    call = parsed.call
    assert isinstance(call, SubscribeCall)
    assert (call.list_id, call.profiles) == ("XyZ", [{"email": "a@example.com"}])
    slot = "api-key header" if "api-key" in headers else "api_key"
    assert parsed.api_key == Key(slot, "pk_body")
    assert "pk_body" not in repr(parsed)


def test_unsubscribe_form() -> None:
    body = {"api_key": "pk_body", "emails": ["a@example.com"], "phone_numbers": ["+15005550006"]}
    parsed = parse_legacy_request(
        LegacyHTTPRequest("DELETE", "/api/v2/list/XyZ/subscribe", JSON, json.dumps(body).encode())
    )
    assert parsed == Request(
        UnsubscribeCall("XyZ", ("a@example.com",), ("+15005550006",), ()),
        Key("api_key", "pk_body"),
    )


def test_exclusion_form_with_the_key_in_the_query() -> None:
    parsed = parse_legacy_request(
        LegacyHTTPRequest(
            "POST", "/api/v1/people/exclusions?api_key=pk_q", FORM, b"email=a%2Bb%40example.com"
        )
    )
    assert parsed == Request(ExcludeEmailCall(("a+b@example.com",)), Key("api_key", "pk_q"))


@pytest.mark.parametrize(
    ("body", "emails"),
    [
        (b"email=a%40example.com&api_key=pk_form", ("a@example.com",)),
        (b"email=a%40example.com&email=b%40example.com&api_key=pk_form", ("a@example.com",)),
    ],
    ids=["once", "repeated_key_reads_the_first"],
)
def test_exclusion_form_with_the_key_in_the_form(body: bytes, emails: tuple[str, ...]) -> None:
    parsed = parse_legacy_request(
        LegacyHTTPRequest("POST", "/api/v1/people/exclusions", FORM, body)
    )
    assert parsed == Request(ExcludeEmailCall(emails), Key("api_key", "pk_form"))


@pytest.mark.parametrize(
    ("method", "path", "params"),
    [
        ("POST", "/v2/list/XyZ/subscribe", {"profiles": [{"email": "a@example.com"}]}),
        ("DELETE", "/v2/list/XyZ/subscribe", {"emails": ["a@example.com"]}),
        ("POST", "/v1/people/exclusions", {"email": "a@example.com"}),
    ],
    ids=["subscribe", "unsubscribe", "exclude"],
)
def test_the_sdk_classes_and_raw_http_build_the_same_subscription_calls(
    method: str, path: str, params: dict[str, object]
) -> None:
    raw = parse_legacy_request(
        LegacyHTTPRequest(method, "/api" + path, JSON, json.dumps(params).encode())
    )
    assert raw.call == call_for(method, path, {**params, "api_key": "pk_x"})


@pytest.mark.parametrize(
    ("request_", "field", "rule"),
    [
        (LegacyHTTPRequest("GET", "/api/track?data=%%%"), "data", "base64"),
        (
            LegacyHTTPRequest("GET", "/api/track?data=" + base64.b64encode(b"[1]").decode()),
            "data",
            "JSON object",
        ),
        (LegacyHTTPRequest("GET", "/api/track"), "data", "carries its payload in data="),
        (
            LegacyHTTPRequest("POST", "/api/v2/list/XyZ/subscribe", JSON, b"{}"),
            "profiles",
            "is required",
        ),
        (
            LegacyHTTPRequest("POST", "/api/v2/list/XyZ/subscribe", JSON, b"[1, 2]"),
            "body",
            "JSON object",
        ),
        (LegacyHTTPRequest("POST", "/api/v1/people/exclusions", FORM, b""), "email", "is required"),
        (
            LegacyHTTPRequest("POST", "/api/v1/people/exclusions", FORM, b"email="),
            "email",
            "is required",
        ),
        (
            LegacyHTTPRequest("POST", "/api/v2/list/XyZ/subscribe", JSON, b'{"profiles": null}'),
            "profiles",
            "is required",
        ),
    ],
)
def test_malformed_requests_name_the_field(
    request_: LegacyHTTPRequest, field: str, rule: str
) -> None:
    with pytest.raises(TranslationError) as caught:
        parse_legacy_request(request_)
    assert caught.value.field == field
    assert rule in str(caught.value)


def test_an_unknown_path_is_named() -> None:
    with pytest.raises(UnknownLegacyPathError, match="GET /api/v3/nothing"):
        parse_legacy_request(LegacyHTTPRequest("GET", "https://a.klaviyo.com/api/v3/nothing"))
    with pytest.raises(UnknownLegacyPathError, match="PATCH /api/track"):
        parse_legacy_request(LegacyHTTPRequest("PATCH", "/api/track"))
