"""The leniency policy: one table (``_leniency.LENIENCY``), every row pinned by translator table
rows, one log line per kind per process, and the legacy ``0`` for what legacy refused."""

from __future__ import annotations

import base64
import json
import logging
import re
from typing import Any

import pytest
import requests

import klaviyo_legacy_compat as klaviyo
import klaviyo_legacy_compat._surfaces.execute as _execute
import klaviyo_legacy_compat.sdk
from klaviyo_legacy_compat import exceptions
from klaviyo_legacy_compat._core.leniency import LENIENCY, normalised, permits
from klaviyo_legacy_compat.legacy_http import mount
from klaviyo_legacy_compat.testing import LocalKlaviyo, RecordingTransport
from tests import cases
from tests.conftest import NOW, PRIVATE_KEY

_KIND = re.compile(r"\[leniency: ([a-z0-9_]+)\]")


def _rows() -> list[dict[str, Any]]:
    return [param.values[0] for param in cases.all_rows()]


def test_every_row_of_the_policy_is_pinned_by_a_translator_table_row() -> None:
    pinned = {
        kind
        for row in _rows()
        for text in row.get("expect", {}).get("warnings", [])
        for kind in _KIND.findall(text)
    }
    assert pinned == set(LENIENCY)


@pytest.mark.parametrize("kind", sorted(k for k, row in LENIENCY.items() if row.strict))
def test_strict_refuses_every_row_marked_refused(kind: str) -> None:
    # Each table row that shows this normalisation, run again under strict=True, is refused
    # before anything is sent, as it was before the policy.
    rows = [
        row
        for row in _rows()
        if any(f"[leniency: {kind}]" in text for text in row.get("expect", {}).get("warnings", []))
    ]
    assert rows, kind
    for row in rows:
        strict = {**row, "options": {**row.get("options", {}), "strict": True}}
        with pytest.raises(exceptions.TranslationError):
            cases.run_row(strict)


def test_permits_follows_the_table() -> None:
    for kind, row in LENIENCY.items():
        assert permits(False, kind)
        assert permits(True, kind) is not row.strict


def test_a_notice_names_its_row() -> None:
    item = normalised("value_text", "properties.$value", "'1' read as 1")
    assert (item.kind, item.level) == ("value_text", logging.WARNING)
    assert item.text.endswith("[leniency: value_text]")
    with pytest.raises(KeyError):
        normalised("no_such_kind", "f", "x")


def test_live_normalisations_log_a_warning_once_per_kind(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_execute, "_LOGGED_KINDS", set())
    client = klaviyo.CompatClient(
        private_key=PRIVATE_KEY, transport=RecordingTransport(), clock=lambda: NOW
    )
    caplog.set_level(logging.DEBUG, logger="klaviyo_legacy_compat")
    for amount in ("19.99", "20.5", "$3.00"):
        client.track("Placed Order", {"$email": "a@example.com"}, {"$value": amount})
    leniency = [r for r in caplog.records if "[leniency:" in r.getMessage()]
    assert [(r.levelno, _KIND.findall(r.getMessage())[0]) for r in leniency] == [
        (logging.WARNING, "value_text"),
        (logging.DEBUG, "value_text"),  # never silent, but not a flood
        (logging.WARNING, "value_formatted"),
    ]


def _pixel(payload: dict[str, Any]) -> str:
    return base64.b64encode(json.dumps(payload).encode()).decode()


def test_raw_track_without_any_identifier_answers_the_legacy_zero_with_the_reason() -> None:
    session = requests.Session()
    mount(session, klaviyo.CompatClient(transport=RecordingTransport()))
    answer = session.get(
        "https://a.klaviyo.com/api/track",
        params={"data": _pixel({"token": "AbC123", "event": "Viewed", "properties": {}})},
    )
    assert (answer.status_code, answer.text) == (200, "0")
    assert "customer_properties" in answer.headers["X-Klaviyo-Compat-Error"]
    session.close()


def test_a_loose_legacy_payload_is_delivered_through_every_way_in() -> None:
    """The same loose payload (PHP-style: [] properties, $value text, a national phone with a
    region, base64 with '+' as spaces) is accepted by the adapter, klaviyo-sdk and 3.1.7."""
    payload = {
        "token": "AbC123",
        "event": "Placed Order",
        "customer_properties": {"$email": "ann@example.com", "$phone_number": "555-1234"},
        "properties": [],
    }
    with LocalKlaviyo(enforce_rate_limits=False) as server:
        client = klaviyo.CompatClient(base_url=server.base_url)
        session = requests.Session()
        mount(session, client)
        loose = _pixel({**payload, "token": server.public_key}).replace("+", " ")
        answer = session.get(f"https://a.klaviyo.com/api/track?data={loose}")
        assert answer.text == "1"
        sdk = klaviyo.sdk.Client(server.private_key, client=client)
        sent = {**payload, "properties": {"$value": "$1,234.50"}}
        assert sdk.TrackIdentify.track_post(data=sent) == "1"
        legacy = klaviyo.Klaviyo(public_token=server.public_key, client=client)
        tracked = legacy.Public.track(
            "Placed Order", email="ann@example.com", properties={"$value": "19.99"}
        )
        assert (tracked.status_code, tracked.data) == (200, 1)
        events = server.store.events_for("ann@example.com")
        assert len(events) == 3
        assert sorted(e.value for e in events if e.value is not None) == [19.99, 1234.5]
        session.close()
