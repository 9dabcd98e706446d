"""``klaviyo-legacy-compat translate``: one plan per legacy request, exit 2 on bad input."""

from __future__ import annotations

import base64
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from klaviyo_legacy_compat import cli
from tests.spec import SpecValidator

TRACK = {"token": "AbC123", "event": "Viewed", "customer_properties": {"$email": "a@example.com"}}


def run(text: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = cli.translate(io.StringIO(text), out, err)
    return status, out.getvalue(), err.getvalue()


def lines(*items: object) -> str:
    return "\n".join(json.dumps(item) for item in items) + "\n"


def test_every_wire_form_of_the_five_calls(spec: SpecValidator) -> None:
    encoded = base64.b64encode(json.dumps(TRACK).encode()).decode()
    identify = base64.b64encode(
        json.dumps({"token": "AbC123", "properties": {"$email": "a@example.com"}}).encode()
    ).decode()
    text = lines(
        {"method": "GET", "url": f"https://a.klaviyo.com/api/track?data={encoded}"},
        {
            "method": "POST",
            "url": "https://a.klaviyo.com/api/track",
            "form": {"data": json.dumps(TRACK)},
        },
        {"method": "GET", "url": f"https://a.klaviyo.com/api/identify?data={identify}"},
        {"method": "POST", "url": "https://a.klaviyo.com/api/identify", "body": "data=" + identify},
        {
            "method": "POST",
            "url": "https://a.klaviyo.com/api/v2/list/XyZ/subscribe",
            "json": {
                "api_key": "pk_secret_0123456789abcdef",
                "profiles": [{"email": "a@example.com"}],
            },
        },
        {
            "method": "DELETE",
            "url": "https://a.klaviyo.com/api/v2/list/XyZ/subscribe",
            "headers": {"Content-Type": "application/json"},
            "body": json.dumps(
                {"api_key": "pk_secret_0123456789abcdef", "emails": ["a@example.com"]}
            ),
        },
        {
            "method": "POST",
            "url": "https://a.klaviyo.com/api/v1/people/exclusions?api_key=pk_secret_0123456789abcdef",
            "form": {"email": "a@example.com"},
        },
    )
    status, out, err = run(text)
    assert (status, err) == (0, "")
    plans = [json.loads(line) for line in out.splitlines()]
    operations = [[r["operation"] for r in plan["requests"]] for plan in plans]
    assert operations == [
        ["create_client_event"],
        ["create_client_event"],
        ["create_client_profile"],
        ["create_client_profile"],
        ["get_list", "bulk_subscribe_profiles", "get_profiles"],
        ["get_profiles_for_list", "bulk_unsubscribe_profiles"],
        ["get_profiles", "bulk_suppress_profiles"],
    ]
    assert "pk_secret_0123456789abcdef" not in out
    assert "Klaviyo-API-Key pk_…cdef" in out  # the carried key is used, redacted
    for plan in plans:
        for request in plan["requests"]:
            spec.assert_valid(request)


def test_one_pretty_printed_object_is_accepted() -> None:
    status, out, _ = run(
        json.dumps({"method": "POST", "url": "/api/track", "json": TRACK}, indent=2)
    )
    assert status == 0 and len(out.splitlines()) == 1


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        (
            {"method": "GET", "url": "https://a.klaviyo.com/api/v9/unknown"},
            "no legacy v1/v2 endpoint GET /api/v9/unknown",
        ),
        (
            {
                "method": "POST",
                "url": "/api/track",
                "json": {"event": "Viewed", "customer_properties": {}},
            },
            "customer_properties: must identify",
        ),
        ({"url": "/api/track"}, "method: required"),
        ("not an object", "must be a JSON object"),
    ],
)
def test_untranslatable_input_exits_2_with_one_line(item: object, reason: str) -> None:
    status, out, err = run(lines(item))
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1 and reason in err


def test_good_lines_are_still_printed_when_one_is_bad() -> None:
    good = {"method": "POST", "url": "/api/track", "json": TRACK}
    status, out, err = run(lines(good, {"method": "GET", "url": "/api/nope"}) + "{broken\n")
    assert status == 2
    assert len(out.splitlines()) == 1
    assert "line 2" in err and "line 3: not JSON" in err


def test_the_command_line_entry_points(tmp_path: object) -> None:
    request = json.dumps({"method": "POST", "url": "/api/track", "json": TRACK})
    done = subprocess.run(
        [sys.executable, "-m", "klaviyo_legacy_compat", "translate", "-"],
        input=request,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["requests"][0]["operation"] == "create_client_event"
    for argv in (["--help"], ["translate", "--help"]):
        shown = subprocess.run(
            [sys.executable, "-m", "klaviyo_legacy_compat", *argv],
            capture_output=True,
            text=True,
            check=False,
        )
        assert shown.returncode == 0 and "usage:" in shown.stdout
    missing = subprocess.run(
        [sys.executable, "-m", "klaviyo_legacy_compat", "translate", "/nonexistent/requests.jsonl"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert missing.returncode == 2 and "No such file" in missing.stderr


def test_translate_applies_the_leniency_policy_and_its_options(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    loose = {**TRACK, "customer_properties": {"$phone_number": "(415) 555-0123"}}
    requests_file = tmp_path / "requests.jsonl"
    requests_file.write_text(lines({"method": "POST", "url": "/api/track", "json": loose}))
    path = str(requests_file)
    assert cli.main(["translate", "--default-phone-region", "US", path]) == 0
    plan = json.loads(capsys.readouterr().out)
    profile = plan["requests"][0]["json"]["data"]["attributes"]["profile"]["data"]
    assert profile["attributes"] == {"phone_number": "+14155550123"}
    assert any("[leniency: phone_format]" in w for w in plan["warnings"])
    # Under --strict the same line is refused, with the field and the rule.
    assert cli.main(["translate", "--strict", "--default-phone-region", "US", path]) == 2
    assert "customer_properties.$phone_number" in capsys.readouterr().err
    assert cli.main(["translate", "--default-phone-region", "XX", path]) == 2
    assert "default_phone_region" in capsys.readouterr().err


def test_lines_nested_too_deeply_get_one_error_line_each() -> None:
    good = {"method": "POST", "url": "/api/track", "json": TRACK}
    deep_line = "[" * 100_000 + "]" * 100_000
    nested_request = (
        '{"method": "POST", "url": "/api/track", "json": ' + "[" * 990 + "]" * 990 + "}"
    )
    status, out, err = run(deep_line + "\n" + lines(good) + nested_request + "\n" + lines(good))
    assert status == 2
    assert len(out.splitlines()) == 2  # the good lines, both
    assert err.count("\n") == 2
    assert "line 1: not JSON: nested too deeply" in err and "line 3:" in err
