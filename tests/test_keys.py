"""Keys: where each one goes, by the slot it was given in and its shape, and what is refused
before anything is sent (``_credentials.KEY_SHAPES``, ``KEY_RULES``).

One table of placements (slot and shape → where the key is sent, or the error naming the
slot) runs through every way a key enters, in dry-run and live against ``LocalKlaviyo``
(which checks ``Authorization`` and ``company_id`` and logs every request it serves): a
private key is never in a URL, a query or ``company_id``, and never sent to ``/client``.
"""

from __future__ import annotations

import base64
import json
import logging
import traceback
from collections.abc import Iterator
from typing import Any, Callable, Optional

import pytest
import requests

import klaviyo_legacy_compat as klaviyo
from klaviyo_legacy_compat import PlannedRequest, PreparedRequest, sdk
from klaviyo_legacy_compat._core.credentials import (
    KEY_SHAPES,
    PRIVATE,
    PUBLIC,
    REFUSED,
    Credentials,
    Key,
    combine,
    credentials,
    placement,
    redact,
)
from klaviyo_legacy_compat._core.prepare import RequestContext, prepare
from klaviyo_legacy_compat._transports.transport import ReliableTransport, RequestsTransport
from klaviyo_legacy_compat.legacy_http import mount
from klaviyo_legacy_compat.testing import LocalKlaviyo

PRIVATE_SHAPED = "pk_keys_7Hq2Lw9Zr4Tx8Vn3Bc6Md1"
PUBLIC_SHAPED = "KeYs42"
#: Neither shape: what an older account may hold. Used in the slot it was given in.
OTHER_SHAPED = "legacyKeyQ7w2Zx9"
SHAPES = {"private": PRIVATE_SHAPED, "public": PUBLIC_SHAPED, "other": OTHER_SHAPED}

#: Where a key goes: ``Authorization`` of ``/api`` requests, ``company_id`` of ``/client``
#: requests, or refused with an error naming the slot, before anything is sent.
AUTHORIZATION = "Authorization on /api"
COMPANY_ID = "company_id on /client"
REFUSAL = "refused, naming the slot"

#: The placement table: (the kind of slot, the key's shape) → where the key goes.
PLACEMENTS: dict[tuple[str, str], str] = {
    (PRIVATE, "private"): AUTHORIZATION,
    (PRIVATE, "public"): REFUSAL,
    (PRIVATE, "other"): AUTHORIZATION,
    (PUBLIC, "private"): AUTHORIZATION,  # a pk_ key given as the public token
    (PUBLIC, "public"): COMPANY_ID,
    (PUBLIC, "other"): COMPANY_ID,
}


def test_placement_follows_the_shape_table() -> None:
    verdicts = {AUTHORIZATION: PRIVATE, COMPANY_ID: PUBLIC, REFUSAL: REFUSED}
    for (role, shape), where in PLACEMENTS.items():
        assert placement(role, SHAPES[shape]) == verdicts[where], (role, shape)
    assert [row.name for row in KEY_SHAPES] == ["private", "public"]


# --- every way a key enters ---------------------------------------------------------------

Runner = Callable[[str, klaviyo.CompatClient, pytest.MonkeyPatch], Any]


def _track(client: klaviyo.CompatClient, **options: Any) -> Any:
    return client.track("Viewed Product", {"$email": "ann@example.com"}, **options)


def _env(name: str) -> Runner:
    def run(key: str, client: klaviyo.CompatClient, env: pytest.MonkeyPatch) -> Any:
        env.setenv(name, key)
        return _track(client)

    return run


def _adapter(method: str, url: str, **kwargs: Any) -> Callable[..., Any]:
    """A raw legacy request through the ``requests`` adapter; ``kwargs`` hold ``KEY``
    where the key goes."""

    def run(key: str, client: klaviyo.CompatClient, env: pytest.MonkeyPatch) -> Any:
        session = requests.Session()
        mount(session, client)
        filled = json.loads(json.dumps(kwargs).replace("KEY", json.dumps(key)[1:-1]))
        try:
            return session.request(method, url.replace("KEY", key), **filled)
        finally:
            session.close()

    return run


def _pixel(key: str) -> str:
    payload = {"token": key, "event": "Viewed", "customer_properties": {"$email": "a@b.co"}}
    return base64.b64encode(json.dumps(payload).encode()).decode()


LEGACY = "https://a.klaviyo.com/api"

#: Every slot a key enters by: (the slot an error names, its kind, how a call uses it).
SLOTS: dict[str, tuple[str, str, Runner]] = {
    "option_private_key": ("private_key", PRIVATE, lambda k, c, e: _track(c, private_key=k)),
    "option_public_key": ("public_key", PUBLIC, lambda k, c, e: _track(c, public_key=k)),
    "env_private": ("KLAVIYO_PRIVATE_API_KEY", PRIVATE, _env("KLAVIYO_PRIVATE_API_KEY")),
    "env_public": ("KLAVIYO_PUBLIC_API_KEY", PUBLIC, _env("KLAVIYO_PUBLIC_API_KEY")),
    "payload_token": (
        "token",
        PUBLIC,
        lambda k, c, e: c.track(
            {"token": k, "event": "Viewed", "customer_properties": {"$email": "a@b.co"}}
        ),
    ),
    "klaviyo_3_private_token": (
        "private_token",
        PRIVATE,
        lambda k, c, e: klaviyo.Klaviyo(private_token=k, client=c).Lists.get_lists(),
    ),
    "klaviyo_3_public_token": (
        "public_token",
        PUBLIC,
        lambda k, c, e: klaviyo.Klaviyo(public_token=k, client=c).Public.track(
            "Viewed", email="a@b.co"
        ),
    ),
    "klaviyo_2_private_token": (
        "private_token",
        PRIVATE,
        lambda k, c, e: klaviyo.Klaviyo(private_token=k, client=c).lists(),
    ),
    "klaviyo_2_public_token": (
        "public_token",
        PUBLIC,
        lambda k, c, e: klaviyo.Klaviyo(public_token=k, client=c).track("Viewed", email="a@b.co"),
    ),
    "klaviyo_sdk_api_key": (
        "api_key",
        PRIVATE,
        lambda k, c, e: sdk.Client(k, client=c).ListsSegments.get_lists(),
    ),
    "klaviyo_sdk_token": (
        "token",
        PUBLIC,
        lambda k, c, e: sdk.Client(None, client=c).TrackIdentify.track_post(
            data={"token": k, "event": "Viewed", "customer_properties": {"$email": "a@b.co"}}
        ),
    ),
    "wire_api_key_query": ("api_key", PRIVATE, _adapter("GET", f"{LEGACY}/v1/metrics?api_key=KEY")),
    "wire_api_key_json": (
        "api_key",
        PRIVATE,
        _adapter("GET", f"{LEGACY}/v2/lists", json={"api_key": "KEY"}),
    ),
    "wire_api_key_form": (
        "api_key",
        PRIVATE,
        _adapter(
            "POST", f"{LEGACY}/v1/people/exclusions", data={"email": "a@b.co", "api_key": "KEY"}
        ),
    ),
    "wire_api_key_header": (
        "api-key header",
        PRIVATE,
        _adapter("GET", f"{LEGACY}/v2/lists", headers={"api-key": "KEY"}),
    ),
    "wire_token": (
        "token",
        PUBLIC,
        lambda k, c, e: _adapter("GET", f"{LEGACY}/track?data={_pixel(k)}")(k, c, e),
    ),
}

ROWS = [
    pytest.param(slot, shape, id=f"{slot}-{shape}")
    for slot in SLOTS
    for shape in ("private", "public", "other")
]


def _refusal(outcome: Any) -> Optional[str]:
    """The message of a refusal: a legacy error answer of the adapter (403, the legacy
    error JSON), else ``None``."""
    if isinstance(outcome, requests.Response) and outcome.status_code == 403:
        return str(outcome.json()["message"])
    return None


def _run(runner: Runner, key: str, client: klaviyo.CompatClient, env: Any) -> tuple[Any, str]:
    """The outcome of a call, and the message of its refusal ("" when not refused)."""
    try:
        outcome = runner(key, client, env)
    except klaviyo.ConfigurationError as error:
        return error, str(error)
    return outcome, _refusal(outcome) or ""


@pytest.mark.parametrize(("slot", "shape"), ROWS)
def test_a_dry_run_plan_places_each_key_by_its_shape(
    slot: str, shape: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    name, role, runner = SLOTS[slot]
    key = SHAPES[shape]
    expected = PLACEMENTS[(role, shape)]
    outcome, refused = _run(runner, key, klaviyo.CompatClient(dry_run=True), monkeypatch)
    if expected == REFUSAL:
        assert refused.startswith(f"{name}: holds a public key")
        assert key not in refused
        return
    assert not refused
    plan = getattr(outcome, "plan", None) if isinstance(outcome, requests.Response) else outcome
    assert isinstance(plan, klaviyo.Plan)
    sent = plan.to_dict()["requests"]
    assert sent
    for request in sent:
        if expected == AUTHORIZATION:
            assert "/api/" in request["url"] and "/client/" not in request["url"]
            assert request["headers"]["Authorization"] == f"Klaviyo-API-Key {redact(key)}"
            assert "company_id" not in request["params"]
        else:
            assert "/client/" in request["url"]
            assert request["params"]["company_id"] == key
            assert "Authorization" not in request["headers"]
    if expected == AUTHORIZATION:
        assert key not in json.dumps(plan.to_dict()) + repr(plan)


@pytest.mark.parametrize(("slot", "shape"), ROWS)
def test_live_each_key_reaches_local_klaviyo_where_its_shape_says(
    slot: str, shape: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    name, role, runner = SLOTS[slot]
    key = SHAPES[shape]
    expected = PLACEMENTS[(role, shape)]
    with LocalKlaviyo(
        # The server accepts exactly this key where the table says it goes.
        private_key=key if expected == AUTHORIZATION else "pk_server_only_0123456789abcdef",
        public_key=key if expected == COMPANY_ID else "SeRv01",
        enforce_rate_limits=False,
    ) as server:
        client = klaviyo.CompatClient(base_url=server.base_url, max_attempts=1)
        outcome, refused = _run(runner, key, client, monkeypatch)
        client.close()
        served = server.requests
    if expected == REFUSAL:
        assert refused.startswith(f"{name}: holds a public key")
        assert served == []  # nothing was sent
        return
    assert not refused
    assert served and all(r.status is not None and r.status < 300 for r in served), served
    for request in served:
        if expected == AUTHORIZATION:
            assert request.path.startswith("/api/")
            assert key not in request.path + json.dumps(request.query)
        else:
            assert request.path.startswith("/client/")
            assert request.query["company_id"] == key
    if not isinstance(outcome, requests.Response):
        assert key not in repr(outcome)


# --- a private key in a public slot, and one in the private slot too ----------------------

OTHER_PRIVATE = "pk_given_as_private_5Rt8Yu2Io4Pa"


def test_the_key_given_as_private_wins_and_a_warning_names_the_ignored_slots(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("klaviyo_legacy_compat._surfaces.execute._LOGGED_KINDS", set())
    legacy = klaviyo.Klaviyo(
        public_token=PRIVATE_SHAPED,
        private_token=OTHER_PRIVATE,
        client=klaviyo.CompatClient(dry_run=True),
    )
    plan = legacy.Public.track("Viewed", email="a@b.co")
    (request,) = plan.to_dict()["requests"]
    assert request["headers"]["Authorization"] == f"Klaviyo-API-Key {redact(OTHER_PRIVATE)}"
    warning = next(w for w in plan.warnings if "ignored" in w)
    assert warning.startswith("token, public_token: holds a private key (pk_…) that is ignored")
    assert "private_token is used" in warning
    shown = json.dumps(plan.to_dict()) + repr(plan)
    assert PRIVATE_SHAPED not in shown and OTHER_PRIVATE not in shown

    caplog.set_level(logging.DEBUG, logger="klaviyo_legacy_compat")
    with LocalKlaviyo(private_key=OTHER_PRIVATE, enforce_rate_limits=False) as server:
        client = klaviyo.CompatClient(base_url=server.base_url, max_attempts=1)
        live = klaviyo.Klaviyo(
            public_token=PRIVATE_SHAPED, private_token=OTHER_PRIVATE, client=client
        )
        assert live.Public.track("Viewed", email="a@b.co").data == 1
        client.close()
        assert [(r.path, r.status) for r in server.requests] == [("/api/events", 202)]
    (record,) = [r for r in caplog.records if "ignored" in r.getMessage()]
    assert record.levelno == logging.WARNING
    assert PRIVATE_SHAPED not in record.getMessage() and OTHER_PRIVATE not in record.getMessage()


def test_a_carried_key_given_as_private_wins_over_a_configured_one_and_both_over_pk_tokens() -> (
    None
):
    configured = credentials(private=(Key("private_key", OTHER_PRIVATE),))
    carried = credentials(private=(Key("api_key", PRIVATE_SHAPED),))
    assert combine(carried, configured).private_key == PRIVATE_SHAPED  # contract §1
    token = credentials(public=(Key("token", PRIVATE_SHAPED),))
    combined = combine(token, configured)
    assert combined.private_key == OTHER_PRIVATE  # the key given as private wins
    assert [n.kind for n in combined.notes] == ["key_ignored"]
    alone = combine(token, credentials())
    assert (alone.private_key, alone.public_key) == (PRIVATE_SHAPED, None)
    assert [(n.kind, n.level) for n in alone.notes] == [
        ("key_private_in_public_slot", logging.INFO)
    ]


def test_prepare_never_puts_a_private_key_in_company_id() -> None:
    # The last gate: even credentials built by hand never put a pk_ key in a URL.
    request = PlannedRequest("POST", "/client/events", operation="create_client_event")
    context = RequestContext(credentials=Credentials(public_key=PRIVATE_SHAPED))
    with pytest.raises(klaviyo.ConfigurationError, match="client endpoint") as caught:
        prepare(request, context)
    assert PRIVATE_SHAPED not in str(caught.value)


def test_a_public_key_configured_as_the_private_one_is_refused_at_once() -> None:
    with pytest.raises(klaviyo.ConfigurationError, match=r"^private_key: holds a public key"):
        klaviyo.CompatClient().configure(private_key=PUBLIC_SHAPED)


# --- what no key may contain --------------------------------------------------------------


def parts(key: str, size: int = 5) -> set[str]:
    """Every run of ``size`` characters of ``key``: none may show anywhere (a redacted
    private key shows four)."""
    return {key[i : i + size] for i in range(len(key) - size + 1)}


#: Keys that break a rule, and the rule the error names.
BAD_KEYS: dict[str, tuple[str, str]] = {
    "control_character": ("pk_Bad\x01Key7Hq2Lw9Zr4Tx", "control characters"),
    "delete": ("pk_Bad\x7fKey7Hq2Lw9Zr4Tx", "control characters"),
    "line_break_inside": ("pk_Bad\nKey7Hq2Lw9Zr4Tx", "control characters or line breaks"),
    "header_injection": ("pk_BadKey7Hq2\r\nX-Injected: 1", "control characters"),
    "nul": ("pk_Bad\x00Key7Hq2Lw9Zr4Tx", "control characters"),
    "space_inside": ("pk_Bad Key7Hq2Lw9Zr4Tx", "whitespace"),
    "unicode_space_inside": ("pk_Bad\u2028Key7Hq2Lw9Zr4Tx", "whitespace"),
    "non_ascii": ("pk_Bäd_Key7Hq2Lw9Zr4Tx", "ASCII"),
    "non_latin_1": ("pk_Bad€Key7Hq2Lw9Zr4Tx", "ASCII"),
    "public_shape_non_ascii": ("Ké1234", "ASCII"),
    "only_whitespace": (" \n\t ", "empty"),
}


@pytest.mark.parametrize("role", [PRIVATE, PUBLIC])
@pytest.mark.parametrize(("key", "rule"), BAD_KEYS.values(), ids=list(BAD_KEYS))
def test_a_key_breaking_a_rule_is_refused_naming_the_slot_and_the_rule(
    key: str, rule: str, role: str
) -> None:
    slot = Key("private_token" if role == PRIVATE else "token", key)
    with pytest.raises(klaviyo.ConfigurationError) as caught:
        credentials(**{role: (slot,)})
    message = str(caught.value)
    assert message.startswith(f"{slot.slot}: ") and rule in message
    assert not any(part in message for part in parts(key))


def test_whitespace_around_a_key_is_removed_with_a_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # A key read from a file keeps its newline; stripping is unambiguous (no key contains
    # whitespace), so the call is sent, and the warning says where to mend it.
    monkeypatch.setenv("KLAVIYO_PRIVATE_API_KEY", PRIVATE_SHAPED + "\n")
    monkeypatch.setattr("klaviyo_legacy_compat._surfaces.execute._LOGGED_KINDS", set())
    plan = _track(klaviyo.CompatClient(dry_run=True))
    assert plan.warnings[0].startswith("KLAVIYO_PRIVATE_API_KEY: whitespace around the API key")
    caplog.set_level(logging.DEBUG, logger="klaviyo_legacy_compat")
    with LocalKlaviyo(private_key=PRIVATE_SHAPED, enforce_rate_limits=False) as server:
        client = klaviyo.CompatClient(base_url=server.base_url)
        assert _track(client) == 1
        assert _track(client) == 1
        client.close()
    warned = [r for r in caplog.records if "whitespace around" in r.getMessage()]
    assert [r.levelno for r in warned] == [logging.WARNING, logging.DEBUG]  # once per process


class Counting:
    """Counts what reaches the transport boundary (``RequestsTransport.send``)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.sends = 0
        original = RequestsTransport.send

        def send(transport: RequestsTransport, request: Any) -> Any:
            self.sends += 1
            return original(transport, request)

        monkeypatch.setattr(RequestsTransport, "send", send)


@pytest.fixture
def counting(monkeypatch: pytest.MonkeyPatch) -> Counting:
    return Counting(monkeypatch)


@pytest.fixture
def server() -> Iterator[LocalKlaviyo]:
    with LocalKlaviyo(time_scale=0.01) as running:
        yield running


@pytest.mark.parametrize("slot", list(SLOTS))
@pytest.mark.parametrize("bad", ["control_character", "line_break_inside", "non_latin_1"])
def test_a_bad_key_is_refused_before_any_request_and_never_retried(
    slot: str,
    bad: str,
    server: LocalKlaviyo,
    counting: Counting,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    name, _, runner = SLOTS[slot]
    key, rule = BAD_KEYS[bad]
    client = klaviyo.CompatClient(base_url=server.base_url, time_scale=0.01)
    if slot.startswith("wire_") and "\n" in key:
        # requests itself refuses a line break in a header and in a URL, before any
        # adapter sees the request (InvalidHeader, InvalidURL): JSON bodies carry it.
        runner = SLOTS["wire_api_key_json"][2] if "api_key" in slot else runner
        name = "api_key" if "api_key" in slot else name
    _, refused = _run(runner, key, client, monkeypatch)
    client.close()
    assert refused.startswith(f"{name}: an API key ") and rule in refused, refused
    assert not any(part in refused for part in parts(key))
    assert (counting.sends, server.requests) == (0, [])


# --- the transport boundary ---------------------------------------------------------------


def _prepared(url: str, authorization: str) -> PreparedRequest:
    return PreparedRequest(
        method="POST",
        url=url,
        params=(("company_id", PUBLIC_SHAPED),),
        headers=(("revision", "2026-07-15"), ("Authorization", authorization)),
        json={"data": {}},
        operation="create_event",
    )


@pytest.mark.parametrize(
    "key", [BAD_KEYS[name][0] for name in ("control_character", "line_break_inside", "non_latin_1")]
)
def test_the_boundary_refuses_a_header_it_cannot_send_naming_it_not_its_value(
    key: str, server: LocalKlaviyo
) -> None:
    # Credentials never hold such a key; whatever reaches the boundary is checked there too:
    # requests would quote the value (InvalidHeader), http.client send \x01 as it is and fail
    # on € with a UnicodeEncodeError, and the retry loop would try ten times.
    inner = RequestsTransport()
    sends: list[Any] = []

    class Spy:
        def send(self, request: Any) -> Any:
            sends.append(request)
            return inner.send(request)

        def close(self) -> None:
            inner.close()

    reliable = ReliableTransport(Spy(), sleep=lambda seconds: None)
    with pytest.raises(klaviyo.ConfigurationError) as caught:
        reliable.send(_prepared(f"{server.base_url}/api/events", f"Klaviyo-API-Key {key}"))
    reliable.close()
    message = str(caught.value)
    assert message.startswith("POST /api/events: the Authorization header cannot be sent")
    assert not any(part in message for part in parts(key))
    assert (len(sends), server.requests) == (1, [])  # refused once, never retried


class Raising(requests.adapters.BaseAdapter):
    """An adapter that fails as ``requests``, ``urllib3`` and ``http.client`` do while
    preparing a request: with the header value or the URL in the message."""

    def __init__(self, error: BaseException) -> None:
        super().__init__()
        self.error = error

    def send(self, *args: Any, **kwargs: Any) -> requests.Response:
        raise self.error

    def close(self) -> None:
        pass


_QUOTED = f"Klaviyo-API-Key {PRIVATE_SHAPED}"


@pytest.mark.parametrize(
    "error",
    [
        requests.exceptions.InvalidHeader(
            f"Invalid leading whitespace, reserved character(s), or return character(s) in "
            f"header value: {_QUOTED!r}"
        ),
        ValueError(f"Invalid header value {_QUOTED.encode()!r}"),  # http.client
        UnicodeEncodeError("latin-1", _QUOTED, 3, 4, "ordinal not in range(256)"),
        requests.exceptions.InvalidURL(f"Invalid URL 'https://x/?company_id={PRIVATE_SHAPED}'"),
    ],
    ids=["InvalidHeader", "http_client_ValueError", "UnicodeEncodeError", "InvalidURL"],
)
def test_what_fails_before_sending_is_mapped_without_its_message(error: Exception) -> None:
    session = requests.Session()
    session.mount("https://", Raising(error))
    transport = RequestsTransport(session)
    with pytest.raises(klaviyo.ConfigurationError) as caught:
        transport.send(_prepared("https://a.klaviyo.com/api/events", "Klaviyo-API-Key pk_ok"))
    transport.close()
    shown = [str(caught.value), repr(caught.value), *map(repr, vars(caught.value).values())]
    shown.append("".join(traceback.format_exception(caught.type, caught.value, caught.tb)))
    assert type(error).__name__ in str(caught.value)
    assert not any(PRIVATE_SHAPED in text for text in shown)
