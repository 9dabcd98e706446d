"""Key safety: known keys searched for in every log record (at DEBUG), repr, exception and
dry-run output of a battery of live and dry-run calls, faults and failures included. The
public key may appear in one place only: a dry-run plan's ``company_id``, as it is sent (it
is public: every storefront page carries it)."""

from __future__ import annotations

import io
import json
import logging
import traceback
from collections.abc import Iterator
from typing import Any, Callable

import pytest
import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

import klaviyo_legacy_compat as klaviyo
from klaviyo_legacy_compat import demo
from klaviyo_legacy_compat._config import resolve_settings
from klaviyo_legacy_compat._transport import RequestsTransport
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


def assert_keyless(texts: list[str], keys: tuple[str, ...] = KEYS) -> None:
    for text in texts:
        for key in keys:
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


def _caller_adapter_retries(c: klaviyo.CompatClient, s: LocalKlaviyo) -> Any:
    # urllib3 itself retries (a caller's session may), and logs each retry with the URL.
    session = requests.Session()
    session.mount("http://", HTTPAdapter(max_retries=Retry(total=1, backoff_factor=0)))
    client = klaviyo.CompatClient(
        session=session, public_key=PUBLIC, base_url="http://127.0.0.1:9", max_attempts=1
    )
    try:
        return client.track("Viewed", {"$email": "a@example.com"})
    finally:
        client.close()
        session.close()


FAILURES: dict[str, Scenario] = {
    "wrong_key": lambda c, s: c.track(
        "Viewed", {"$email": "a@example.com"}, private_key=PRIVATE + "x"
    ),
    "client_side_gives_up": _client_side_gives_up,
    "server_gives_up": _server_gives_up,
    "unknown_list": lambda c, s: c.subscribe_to_list("NoSuch", [{"email": "a@example.com"}]),
    "bad_input": lambda c, s: c.track("Viewed", {"$email": "not an email"}, strict=True),
    "nothing_listens": lambda c, s: public_only(s).track(
        "Viewed", {"$email": "a@example.com"}, base_url="http://127.0.0.1:9", retry_budget=0.2
    ),
    "caller_adapter_retries": _caller_adapter_retries,
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


def test_dry_run_output_leaks_no_private_key(logs: Everything) -> None:
    client = klaviyo.CompatClient(private_key=PRIVATE, public_key=PUBLIC, dry_run=True)
    client_side = klaviyo.CompatClient(public_key=PUBLIC, dry_run=True).track(
        "Viewed", {"$email": "a@example.com"}
    )
    assert isinstance(client_side, klaviyo.Plan)
    plans = [
        client.track("Viewed", {"$email": "a@example.com"}),
        client_side,
        client.identify({"$email": "a@example.com"}, identify_mode="split"),
        client.subscribe_to_list("L", [{"email": "a@example.com"}]),
        client.unsubscribe("L", ["a@example.com"]),
        client.exclude_email("a@example.com"),
    ]
    # The public key is public (every storefront page carries it): a plan shows company_id
    # as it will be sent, and only there. Reprs and logs hide it all the same.
    (sent,) = client_side.to_dict()["requests"]
    assert sent["params"] == {"company_id": PUBLIC}
    assert_keyless([repr(p) + repr(p.prepared()) for p in plans])
    others = [p.to_dict() for p in plans if p is not client_side]
    assert_keyless([json.dumps(plan) for plan in others])
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
    assert_keyless(shown, keys=(PRIVATE,))  # the private key: never, anywhere
    assert_keyless(logs.lines)


@pytest.mark.parametrize(
    "logger", ["urllib3.connectionpool", "urllib3.util.retry", "urllib3.poolmanager"]
)
def test_urllib3_records_with_the_public_key_are_redacted(logger: str, logs: Everything) -> None:
    # Each logger named here by hand, not read from the module's table: a name dropped
    # from the table must fail this test.
    RequestsTransport().close()  # attaches the filters
    url = f"/client/events?company_id={PUBLIC}&x=1"
    logging.getLogger(logger).debug("Incremented Retry for (url='%s'): %r", url, "Retry(0)")
    (line,) = [line for line in logs.lines if line.startswith(logger + " ")]
    assert "company_id=<redacted>&x=1" in line
    assert_keyless([line])


# --- the rate-limit Redis password ----------------------------------------------------------

REDIS_PASSWORD = "S3CRET-REDIS-PW"

#: Redis URLs with a password, as redis-py reads them, and how they are shown.
REDIS_URLS = {
    f"redis://pacer:{REDIS_PASSWORD}@redis.internal:6379/2": "redis://redis.internal:6379/2",
    f"redis://:{REDIS_PASSWORD}@redis.internal/0": "redis://redis.internal/0",
    f"rediss://redis.internal:6380/0?password={REDIS_PASSWORD}": "rediss://redis.internal:6380/0",
    f"redis://redis.internal/0?username=u&password={REDIS_PASSWORD}": "redis://redis.internal/0",
    # A socket has no user part: the query is the only place for its password.
    f"unix:///run/redis.sock?db=0&password={REDIS_PASSWORD}": "unix:///run/redis.sock",
    f"unix://:{REDIS_PASSWORD}@/run/redis.sock?db=1": "unix:///run/redis.sock",
}


@pytest.mark.parametrize(("url", "shown"), REDIS_URLS.items())
def test_the_redis_password_stays_out_of_the_settings_repr(url: str, shown: str) -> None:
    settings = resolve_settings({"rate_limit_redis_url": url}, environ={})
    assert settings.delivery.rate_limit_redis_url == url  # redis-py still gets it whole
    assert f"rate_limit_redis_url={shown!r}" in repr(settings.delivery)
    assert REDIS_PASSWORD not in repr(settings) + repr(settings.delivery)


@pytest.mark.parametrize(
    "url",
    [
        f"http://user:{REDIS_PASSWORD}@redis.internal/0",
        f"redis+sentinel://redis.internal/0?password={REDIS_PASSWORD}",
        f"unix+tls:///run/redis.sock?password={REDIS_PASSWORD}",
        f"user:{REDIS_PASSWORD}@redis.internal:6379",  # no scheme: all of it is "path"
        f"redis+x://[::1/0?password={REDIS_PASSWORD}",  # unparsable
    ],
)
def test_the_redis_password_stays_out_of_the_error_for_a_wrong_scheme(url: str) -> None:
    with pytest.raises(klaviyo.ConfigurationError, match="must be a redis://") as caught:
        resolve_settings({"rate_limit_redis_url": url}, environ={})
    assert not any(REDIS_PASSWORD in text for text in texts_of(caught.value))
