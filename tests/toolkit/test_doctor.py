"""``klaviyo-legacy-compat doctor``: the revision's window, the configuration with its sources
(keys redacted) and whether Klaviyo answers, against a LocalKlaviyo and a closed port."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from datetime import date
from typing import Any

import pytest
import responses

from klaviyo_legacy_compat import cli
from klaviyo_legacy_compat._core.config import OPTIONS
from klaviyo_legacy_compat._surfaces import lifecycle
from klaviyo_legacy_compat._toolkit.doctor import doctor
from klaviyo_legacy_compat.testing import LocalKlaviyo
from tests.conftest import free_port

#: A real-looking private key: it must never be printed.
KEY = "pk_9f8e7d6c5b4a39281706f5e4d3c2b1a0ffee"


def run(environ: Mapping[str, str], *args: str) -> tuple[int, str, str]:
    """doctor's exit status, standard output and standard error."""
    out, err = io.StringIO(), io.StringIO()
    status = doctor(
        {},
        environ,
        network="--no-network" not in args,
        output="json" if "--json" in args else "text",
        out=out,
        err=err,
    )
    return status, out.getvalue(), err.getvalue()


def report(environ: Mapping[str, str], *args: str) -> tuple[int, dict[str, Any]]:
    status, out, _ = run(environ, "--json", *args)
    return status, json.loads(out)


def test_reachable_against_a_local_klaviyo() -> None:
    with LocalKlaviyo() as server:
        environ = {"KLAVIYO_PRIVATE_API_KEY": KEY, "KLAVIYO_API_BASE_URL": server.base_url}
        status, out, err = run(environ)
        served = list(server.requests)
    assert status == 0, out + err
    assert f"klaviyo: reachable: GET {server.base_url}/api/lists answered 401 in " in out
    assert out.endswith("status: ok\n")
    # One request, keyless: Klaviyo refused it as carrying no key.
    assert [(r.method, r.path, r.status) for r in served] == [("GET", "/api/lists", 401)]


def test_a_closed_port_is_unreachable() -> None:
    base_url = f"http://127.0.0.1:{free_port()}"
    status, data = report({"KLAVIYO_PRIVATE_API_KEY": KEY, "KLAVIYO_API_BASE_URL": base_url})
    assert status == 1
    assert data["reachability"]["ok"] is False
    assert data["reachability"]["error"] == "refused"
    assert data["attention"] == [f"Klaviyo is not reachable at {base_url}/api/lists: refused"]


@responses.activate
def test_a_failing_klaviyo_needs_attention() -> None:
    responses.get("https://a.klaviyo.com/api/lists", status=503)
    status, data = report({"KLAVIYO_PRIVATE_API_KEY": KEY})
    assert status == 1
    assert data["reachability"]["status"] == 503
    assert data["attention"] == ["Klaviyo answered 503"]
    assert "Authorization" not in responses.calls[0].request.headers
    assert responses.calls[0].request.headers["revision"] == "2026-07-15"


def test_no_network_sends_nothing_and_reports_the_window() -> None:
    status, out, _ = run({"KLAVIYO_PRIVATE_API_KEY": KEY}, "--no-network")
    assert status == 0
    assert out.splitlines()[1] == (
        "revision 2026-07-15: stable (released 2026-07-15, deprecated on 2027-07-15, "
        "retired on 2028-07-15: 588 days left)"
    )
    assert "klaviyo: not checked (--no-network)" in out


def test_no_private_key_needs_attention() -> None:
    status, data = report({}, "--no-network")
    assert status == 1
    assert data["attention"] == [
        "no private key is configured (private_key, KLAVIYO_PRIVATE_API_KEY)"
    ]


@pytest.mark.parametrize(
    ("today", "state"), [(date(2027, 8, 1), "deprecated"), (date(2028, 8, 1), "retired")]
)
def test_a_deprecated_or_retired_revision_needs_attention(
    monkeypatch: pytest.MonkeyPatch, today: date, state: str
) -> None:
    monkeypatch.setattr(lifecycle, "today", lambda: today)
    status, data = report({"KLAVIYO_PRIVATE_API_KEY": KEY}, "--no-network")
    assert status == 1
    assert data["revision"]["status"] == state
    assert data["revision"]["days_left"] == (date(2028, 7, 15) - today).days
    assert data["attention"] == [lifecycle.revision_message("2026-07-15", today)]


def test_every_option_with_its_value_and_source_and_no_secret() -> None:
    environ = {
        "KLAVIYO_PRIVATE_API_KEY": KEY,
        "KLAVIYO_PUBLIC_API_KEY": "AbC123",
        "KLAVIYO_LEGACY_COMPAT_MAX_ATTEMPTS": "3",
        "KLAVIYO_RATE_LIMIT_REDIS_URL": "redis://user:s3cret-pass@redis.internal:6379/0",
    }
    status, data = report(environ, "--no-network")
    assert status == 0
    configuration = data["configuration"]
    assert list(configuration) == list(OPTIONS)
    assert configuration["private_key"] == {
        "value": "pk_…ffee",
        "source": "KLAVIYO_PRIVATE_API_KEY",
    }
    assert configuration["public_key"] == {"value": "AbC123", "source": "KLAVIYO_PUBLIC_API_KEY"}
    assert configuration["max_attempts"] == {
        "value": 3,
        "source": "KLAVIYO_LEGACY_COMPAT_MAX_ATTEMPTS",
    }
    assert configuration["rate_limit_redis_url"]["value"] == "redis://redis.internal:6379/0"
    assert configuration["timeout"] == {"value": [3.05, 30.0], "source": "default"}
    for args in (("--no-network",), ("--no-network", "--json")):
        _, out, _ = run(environ, *args)
        assert KEY not in out and KEY[3:20] not in out
        assert "s3cret" not in out


def test_arguments_are_named_as_the_source() -> None:
    out, err = io.StringIO(), io.StringIO()
    doctor({"private_key": KEY}, {}, network=False, output="json", out=out, err=err)
    assert json.loads(out.getvalue())["configuration"]["private_key"]["source"] == "argument"


def test_a_refused_configuration_exits_2() -> None:
    status, out, err = run({"KLAVIYO_API_REVISION": "2026-10-15"}, "--no-network")
    assert (status, out) == (2, "")
    assert err.startswith("klaviyo-legacy-compat doctor: KLAVIYO_API_REVISION: '2026-10-15'")
    assert "accepted: 2026-07-15" in err


def test_the_command_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KLAVIYO_PRIVATE_API_KEY", KEY)
    assert cli.main(["doctor", "--no-network", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["configuration"]["private_key"]["source"] == "KLAVIYO_PRIVATE_API_KEY"
    monkeypatch.delenv("KLAVIYO_PRIVATE_API_KEY")
    assert cli.main(["doctor", "--no-network"]) == 1
    assert "status: needs attention" in capsys.readouterr().out
