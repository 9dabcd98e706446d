"""Key safety: known keys searched for in every log record (at DEBUG), repr, exception and
dry-run output of a battery of live and dry-run calls, faults and failures included."""

from __future__ import annotations

import io
import json
import logging
import traceback
from collections.abc import Iterator
from typing import Any, Callable

import pytest

import klaviyo_legacy_compat as klaviyo
from klaviyo_legacy_compat import demo
from klaviyo_legacy_compat._wire import LegacyHTTPRequest, parse_legacy_request
from klaviyo_legacy_compat.testing import LocalKlaviyo

PRIVATE = "pk_LEAKCANARY0123456789abcdef0123456"
PUBLIC = "LEAK42"
KEYS = (PRIVATE, PUBLIC)


class Everything(logging.Handler):
    """Keeps every formatted record, from every logger, at every level."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def logs() -> Iterator[Everything]:
    handler = Everything()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


def texts_of(error: BaseException) -> list[str]:
    """Everything an exception shows: str, repr, the printed traceback with its causes, and
    the reprs of its attributes."""
    shown = [
        str(error),
        repr(error),
        "".join(traceback.format_exception(type(error), error, error.__traceback__)),
    ]
    shown += [repr(value) for value in vars(error).values()]
    return shown


def assert_keyless(texts: list[str]) -> None:
    for text in texts:
        for key in KEYS:
            assert key not in text, f"a key leaked into: {text[:300]}"


def public_only(server: LocalKlaviyo) -> klaviyo.CompatClient:
    return klaviyo.CompatClient(public_key=PUBLIC, base_url=server.base_url, time_scale=0.01)


Scenario = Callable[[klaviyo.CompatClient, LocalKlaviyo], Any]


def _identify_conflict(c: klaviyo.CompatClient, s: LocalKlaviyo) -> Any:
    s.store.add_profile(email="x@example.com")
    s.store.add_profile(phone_number="+15005550006")
    return c.identify({"$email": "x@example.com", "$phone_number": "+15005550006"})


def _faults_then_success(c: klaviyo.CompatClient, s: LocalKlaviyo) -> Any:
    for kind in ("429", "503", "reset"):
        s.faults.add(kind, operation="create_event")
    return c.track("Viewed", {"$email": "a@example.com"})


def _client_side_gives_up(c: klaviyo.CompatClient, s: LocalKlaviyo) -> Any:
    s.faults.add("reset", operation="create_client_event", times=50)
    return public_only(s).track("Viewed", {"$email": "a@example.com"}, retry_budget=0.2)


def _server_gives_up(c: klaviyo.CompatClient, s: LocalKlaviyo) -> Any:
    s.faults.add("503", operation="create_event", times=50)
    return c.track("Viewed", {"$email": "a@example.com"}, retry_budget=0.2)


SCENARIOS: dict[str, Scenario] = {
    "track": lambda c, s: c.track("Viewed", {"$email": "a@example.com"}),
    "track_client_side": lambda c, s: public_only(s).track("Viewed", {"$email": "a@example.com"}),
    "identify_conflict_retry": _identify_conflict,
    "subscribe": lambda c, s: c.subscribe_to_list(
        s.store.create_list("L"), [{"email": "a@example.com", "n": 1}]
    ),
    "unsubscribe": lambda c, s: c.unsubscribe(s.store.create_list("M"), ["a@example.com"]),
    "exclude": lambda c, s: c.exclude_email("a@example.com"),
    "faults_then_success": _faults_then_success,
}

FAILURES: dict[str, Scenario] = {
    "wrong_key": lambda c, s: c.track(
        "Viewed", {"$email": "a@example.com"}, private_key=PRIVATE + "x"
    ),
    "client_side_gives_up": _client_side_gives_up,
    "server_gives_up": _server_gives_up,
    "unknown_list": lambda c, s: c.subscribe_to_list("NoSuch", [{"email": "a@example.com"}]),
    "bad_input": lambda c, s: c.track("Viewed", {"$email": "not an email"}),
    "nothing_listens": lambda c, s: public_only(s).track(
        "Viewed", {"$email": "a@example.com"}, base_url="http://127.0.0.1:9", retry_budget=0.2
    ),
}


@pytest.fixture
def server() -> Iterator[LocalKlaviyo]:
    with LocalKlaviyo(private_key=PRIVATE, public_key=PUBLIC, time_scale=0.01) as running:
        yield running


def make(server: LocalKlaviyo) -> klaviyo.CompatClient:
    return klaviyo.CompatClient(
        private_key=PRIVATE,
        public_key=PUBLIC,
        base_url=server.base_url,
        time_scale=0.01,
        retry_budget=5,
    )


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_live_calls_leak_no_key(name: str, server: LocalKlaviyo, logs: Everything) -> None:
    client = make(server)
    result = SCENARIOS[name](client, server)
    client.close()
    assert any("urllib3" in line for line in logs.lines)  # DEBUG really was captured
    assert_keyless([*logs.lines, repr(result), repr(client), repr(client.settings())])


@pytest.mark.parametrize("name", list(FAILURES))
def test_failures_leak_no_key(name: str, server: LocalKlaviyo, logs: Everything) -> None:
    client = make(server)
    with pytest.raises(klaviyo.KlaviyoCompatError) as caught:
        FAILURES[name](client, server)
    client.close()
    assert_keyless(logs.lines + texts_of(caught.value))


def test_dry_run_output_leaks_no_key(logs: Everything) -> None:
    client = klaviyo.CompatClient(private_key=PRIVATE, public_key=PUBLIC, dry_run=True)
    plans = [
        client.track("Viewed", {"$email": "a@example.com"}),
        klaviyo.CompatClient(public_key=PUBLIC, dry_run=True).track(
            "Viewed", {"$email": "a@example.com"}
        ),
        client.identify({"$email": "a@example.com"}, identify_mode="split"),
        client.subscribe_to_list("L", [{"email": "a@example.com"}]),
        client.unsubscribe("L", ["a@example.com"]),
        client.exclude_email("a@example.com"),
    ]
    shown = [json.dumps(p.to_dict()) + repr(p) + repr(p.prepared()) for p in plans]
    invocation = parse_legacy_request(
        LegacyHTTPRequest(
            "POST",
            f"/api/v1/people/exclusions?api_key={PRIVATE}",
            {"Content-Type": "application/x-www-form-urlencoded"},
            b"email=a%40example.com",
        )
    )
    shown.append(repr(invocation))
    shown.append(json.dumps(klaviyo.CompatClient().invoke(invocation, dry_run=True).to_dict()))
    out = io.StringIO()
    demo.main(["--json"], out)
    shown.append(out.getvalue())
    assert_keyless(shown + logs.lines)
