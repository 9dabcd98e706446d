"""Key safety: known keys searched for in every log record (at DEBUG), repr, exception and
dry-run output of a battery of live and dry-run calls, faults and failures included. The
public key may appear in one place only: a dry-run plan's ``company_id``, as it is sent (it
is public: every storefront page carries it)."""

from __future__ import annotations

import base64
import io
import json
import logging
import socket
import threading
import traceback
import urllib.parse
from collections.abc import Iterator
from typing import Any, Callable

import pytest
import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

import klaviyo_legacy_compat as klaviyo
import klaviyo_legacy_compat.sdk
from klaviyo_legacy_compat import cli, demo
from klaviyo_legacy_compat._core.config import resolve_settings
from klaviyo_legacy_compat._core.wire import LegacyHTTPRequest, parse_legacy_request
from klaviyo_legacy_compat._transports.transport import RequestsTransport
from klaviyo_legacy_compat.legacy_http import mount, serve
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
    parsed = parse_legacy_request(
        LegacyHTTPRequest(
            "POST",
            f"/api/v1/people/exclusions?api_key={PRIVATE}",
            {"Content-Type": "application/x-www-form-urlencoded"},
            b"email=a%40example.com",
        )
    )
    shown.append(repr(parsed))
    shown.append(json.dumps(klaviyo.CompatClient().run(parsed, dry_run=True).to_dict()))
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


# --- keys with control characters, whitespace and non-ASCII, on every surface ----------------

#: Keys as an attack or a careless copy brings them. Each is refused before anything is sent,
#: naming its slot; a key with only whitespace around it is used stripped (and, being wrong
#: here, answered 403). No run of five of a key's characters may show anywhere: not in an
#: exception, a repr, a log record, an answer body or header, or the CLI's output.
BAD_KEYS = {
    "control": "pk_Cq7rl\x01Zx9Wv4Jm2Tb8Ky",
    "line_break": "pk_Nl5Qb\nZx9Wv4Jm2Tb8Ky",
    "header_injection": "pk_Hd3Rj\r\nX-Injected: Zx9Wv4",
    "nul": "pk_Nu1Lk\x00Zx9Wv4Jm2Tb8Ky",
    "space": "pk_Sp4Ce Zx9Wv4Jm2Tb8Ky",
    "tab": "pk_Tb6Hz\tZx9Wv4Jm2Tb8Ky",
    "non_ascii": "pk_Nä2Sc_Zx9Wv4Jm2Tb8Ky",
    "non_latin_1": "pk_Eu€Ro_Zx9Wv4Jm2Tb8Ky",
    "surrounding_whitespace": "  pk_Ws8Rn_Zx9Wv4Jm2Tb8Ky\r\n",
    "public_shaped": "Cx\x01Y42",
}


def parts(key: str, size: int = 5) -> set[str]:
    """Every run of ``size`` characters of ``key`` (a redacted key shows four)."""
    return {key[i : i + size] for i in range(len(key) - size + 1)}


def assert_no_part(texts: list[str], key: str) -> None:
    for text in texts:
        for part in parts(key):
            assert part not in text, f"part of a key leaked into: {text[:300]!r}"


def _shown(call: Callable[[], Any]) -> tuple[list[str], Any]:
    """Everything a call shows, whether it raised or answered; and the answer."""
    try:
        result = call()
    except Exception as error:  # also what klaviyo-sdk raises (ApiException)
        return texts_of(error), error
    if isinstance(result, requests.Response):
        behind = getattr(result, "error", None)
        texts = [result.text, repr(dict(result.headers)), repr(result)]
        return texts + (texts_of(behind) if behind is not None else []), result
    return [repr(result)], result


def _pixel_of(key: str) -> str:
    payload = {"token": key, "event": "Viewed", "customer_properties": {"$email": "a@b.co"}}
    return base64.b64encode(json.dumps(payload).encode()).decode()


def _session(client: klaviyo.CompatClient) -> requests.Session:
    session = requests.Session()
    mount(session, client)
    return session


def _header_safe(key: str) -> bool:
    # requests itself refuses these in a header it is asked to send (InvalidHeader quoting
    # the value), before any adapter of ours sees the request: that is the caller's own
    # request to requests, as it always was, and out of reach here.
    return "\r" not in key and "\n" not in key and key == key.lstrip() and key.isprintable()


LEGACY = "https://a.klaviyo.com/api"

#: Every surface a key enters by, as a call with that key (``c``: a client on LocalKlaviyo).
SURFACES: dict[str, Callable[[str, klaviyo.CompatClient, str], Any]] = {
    "module_private_key": lambda k, c, url: klaviyo.track(
        "Viewed", {"$email": "a@b.co"}, private_key=k, base_url=url, max_attempts=1
    ),
    "module_public_key": lambda k, c, url: klaviyo.track(
        "Viewed", {"$email": "a@b.co"}, public_key=k, base_url=url, max_attempts=1
    ),
    "module_payload_token": lambda k, c, url: klaviyo.track(
        {"token": k, "event": "Viewed", "customer_properties": {"$email": "a@b.co"}},
        base_url=url,
        max_attempts=1,
    ),
    "klaviyo_3_private_token": lambda k, c, url: klaviyo.Klaviyo(
        private_token=k, client=c
    ).Lists.get_lists(),
    "klaviyo_3_public_token": lambda k, c, url: klaviyo.Klaviyo(
        public_token=k, client=c
    ).Public.track("Viewed", email="a@b.co"),
    "klaviyo_2_private_token": lambda k, c, url: klaviyo.Klaviyo(private_token=k, client=c).lists(),
    "klaviyo_2_public_token": lambda k, c, url: klaviyo.Klaviyo(public_token=k, client=c).track(
        "Viewed", email="a@b.co"
    ),
    "klaviyo_sdk_api_key": lambda k, c, url: klaviyo.sdk.Client(
        k, client=c
    ).ListsSegments.get_lists(),
    "swagger_configuration": lambda k, c, url: _swagger(k, c),
    "adapter_query": lambda k, c, url: _session(c).get(
        f"{LEGACY}/v1/metrics", params={"api_key": k}
    ),
    "adapter_json": lambda k, c, url: _session(c).get(f"{LEGACY}/v2/lists", json={"api_key": k}),
    "adapter_form": lambda k, c, url: _session(c).post(
        f"{LEGACY}/v1/people/exclusions", data={"email": "a@b.co", "api_key": k}
    ),
    "adapter_header": lambda k, c, url: _session(c).get(
        f"{LEGACY}/v2/lists", headers={"api-key": k}
    ),
    "adapter_token": lambda k, c, url: _session(c).get(
        f"{LEGACY}/track", params={"data": _pixel_of(k)}
    ),
}


def _swagger(key: str, client: klaviyo.CompatClient) -> Any:
    from klaviyo_legacy_compat.sdk import swagger

    configuration = swagger.Configuration()
    configuration.api_key["api_key"] = key
    api = swagger.ListsSegmentsApi(swagger.ApiClient(configuration, client=client))
    return api.get_lists()


@pytest.mark.parametrize(
    ("surface", "key"),
    [
        pytest.param(surface, key, id=f"{name}-{surface}")
        for name, key in BAD_KEYS.items()
        for surface in SURFACES
        if surface != "adapter_header" or _header_safe(key)
    ],
)
def test_bad_keys_leak_on_no_surface(
    surface: str, key: str, server: LocalKlaviyo, logs: Everything
) -> None:
    client = klaviyo.CompatClient(base_url=server.base_url, max_attempts=1)
    texts, answer = _shown(lambda: SURFACES[surface](key, client, server.base_url))
    client.close()
    assert_no_part([*texts, *logs.lines], key)
    if key != BAD_KEYS["surrounding_whitespace"]:
        assert server.requests == []  # refused before anything was sent
        status = answer.status_code if isinstance(answer, requests.Response) else None
        assert isinstance(answer, klaviyo.ConfigurationError) or status == 403, texts[0]


def test_configure_refuses_a_bad_key_without_showing_it(logs: Everything) -> None:
    for key in BAD_KEYS.values():
        if key == BAD_KEYS["surrounding_whitespace"]:
            continue
        with pytest.raises(klaviyo.ConfigurationError) as caught:
            klaviyo.configure(private_key=key)
        assert str(caught.value).startswith("private_key: ")
        assert_no_part([*texts_of(caught.value), *logs.lines], key)
    klaviyo.configure(private_key=None)


@pytest.fixture
def gateway(server: LocalKlaviyo) -> Iterator[tuple[str, int]]:
    running = serve(
        port=0, client=klaviyo.CompatClient(base_url=server.base_url, environment_keys=False)
    )
    thread = threading.Thread(target=running.serve_forever, daemon=True)
    thread.start()
    host, port = running.server_address[:2]
    yield str(host), int(port)
    running.shutdown()
    running.server_close()


def _raw(address: tuple[str, int], head: str, body: bytes = b"") -> bytes:
    """One HTTP request written byte by byte (latin-1, as a header may carry), the answer."""
    with socket.create_connection(address, timeout=10) as connection:
        connection.sendall(
            head.encode("latin-1") + f"Content-Length: {len(body)}\r\n\r\n".encode() + body
        )
        chunks = []
        while True:
            chunk = connection.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def _gateway_requests(key: str) -> dict[str, tuple[str, bytes]]:
    quoted = urllib.parse.quote(key, safe="")
    host = "Host: 127.0.0.1\r\nConnection: close\r\n"
    json_head = f"GET /api/v2/lists HTTP/1.1\r\n{host}Content-Type: application/json\r\n"
    form = urllib.parse.urlencode({"email": "a@b.co", "api_key": key}).encode()
    found = {
        "query": (f"GET /api/v1/metrics?api_key={quoted} HTTP/1.1\r\n{host}", b""),
        "json": (json_head, json.dumps({"api_key": key}).encode()),
        "form": (
            f"POST /api/v1/people/exclusions HTTP/1.1\r\n{host}"
            "Content-Type: application/x-www-form-urlencoded\r\n",
            form,
        ),
        "token": (
            f"GET /api/track?data={urllib.parse.quote(_pixel_of(key))} HTTP/1.1\r\n{host}",
            b"",
        ),
    }
    if _header_safe(key) and all(ord(c) < 256 for c in key):
        # What one header line can carry: no line break, latin-1 bytes.
        found["header"] = (f"GET /api/v2/lists HTTP/1.1\r\n{host}api-key: {key}\r\n", b"")
    return found


@pytest.mark.parametrize("key", BAD_KEYS.values(), ids=list(BAD_KEYS))
def test_bad_keys_leak_nothing_through_the_gateway_over_a_real_socket(
    key: str, gateway: tuple[str, int], server: LocalKlaviyo, logs: Everything
) -> None:
    for place, (head, body) in _gateway_requests(key).items():
        answer = _raw(gateway, head, body)
        status = int(answer.split(b" ", 2)[1])
        text = answer.decode("latin-1")
        assert_no_part([text, *logs.lines], key)
        assert status < 500, (place, text)
        if key != BAD_KEYS["surrounding_whitespace"]:
            assert status == 403, (place, text)
            message = json.loads(answer.partition(b"\r\n\r\n")[2])["message"]
            slot = {"token": "token", "header": "api-key header"}.get(place, "api_key")
            assert message.startswith(f"{slot}: "), (place, message)
    if key != BAD_KEYS["surrounding_whitespace"]:
        assert server.requests == []


@pytest.mark.parametrize("key", BAD_KEYS.values(), ids=list(BAD_KEYS))
def test_bad_keys_leak_nothing_through_cli_translate(
    key: str, tmp_path: Any, capsys: pytest.CaptureFixture[str], logs: Everything
) -> None:
    lines = [
        {"method": "GET", "url": "/api/v2/lists", "json": {"api_key": key}},
        {"method": "GET", "url": f"/api/v1/metrics?api_key={urllib.parse.quote(key)}"},
        {"method": "GET", "url": f"/api/track?data={urllib.parse.quote(_pixel_of(key))}"},
        {"method": "GET", "url": "/api/v2/lists", "headers": {"api-key": key}},
    ]
    given = tmp_path / "requests.jsonl"
    given.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    status = cli.main(["translate", str(given)])
    shown = capsys.readouterr()
    assert_no_part([shown.out, shown.err, *logs.lines], key)
    if key != BAD_KEYS["surrounding_whitespace"]:
        assert status == 2 and shown.out == ""
        errors = shown.err.splitlines()
        assert len(errors) == 4
        for line, slot in zip(errors, ("api_key", "api_key", "token", "api-key header")):
            assert f": line {errors.index(line) + 1}: {slot}: " in line, line
