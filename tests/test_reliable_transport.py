"""ReliableTransport: the retry loop with a fake clock and sleep, against a scripted transport."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import Union

import attrs
import pytest

from klaviyo_legacy_compat import PreparedRequest, RawResponse
from klaviyo_legacy_compat._core.credentials import account_label
from klaviyo_legacy_compat._transports.pacing import Pacer
from klaviyo_legacy_compat._transports.retry import RetryPolicy
from klaviyo_legacy_compat._transports.transport import (
    ReliableTransport,
    RequestTimeoutError,
    TransportError,
    account_of,
)
from klaviyo_legacy_compat.testing import json_response


class Script:
    """An inner transport answering from a list: responses, or exceptions to raise."""

    def __init__(self, outcomes: list[Union[RawResponse, Exception]]) -> None:
        self.outcomes: Iterator[Union[RawResponse, Exception]] = iter(outcomes)
        self.sent = 0

    def send(self, request: PreparedRequest) -> RawResponse:
        self.sent += 1
        outcome = next(self.outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def close(self) -> None:
        pass


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


def reliable(script: Script, clock: Clock, budget: float = 60.0) -> ReliableTransport:
    return ReliableTransport(
        script,
        pacer=Pacer(clock=clock),
        policy=RetryPolicy(budget=budget, max_attempts=6),
        sleep=clock.sleep,
        clock=clock,
        jitter=lambda: 0.0,
    )


def request(operation: str = "create_event", method: str = "POST") -> PreparedRequest:
    return PreparedRequest(method, "https://a.klaviyo.com/api/x", (), (), None, operation)


THROTTLED = json_response(
    429, {"errors": [{"code": "throttled", "detail": "Expected available in 5 seconds."}]}
)


def test_a_429_waits_as_told_then_delivers() -> None:
    clock, script = Clock(), Script([THROTTLED, RawResponse(202)])
    assert reliable(script, clock).send(request()).status == 202
    assert clock.sleeps == [5.0]
    assert script.sent == 2


def test_the_hold_after_a_429_applies_to_the_next_request_too() -> None:
    clock, script = Clock(), Script([THROTTLED, RawResponse(202), RawResponse(202)])
    transport = reliable(script, clock)
    transport.send(request())
    clock.now -= 2  # as if the next call came in while the endpoint was still held
    transport.send(request())
    assert clock.sleeps == [5.0, 2.0]


def giving_up(script: Script, clock: Clock) -> ReliableTransport:
    return ReliableTransport(
        script,
        pacer=Pacer(clock=clock),
        policy=RetryPolicy(budget=60.0, max_attempts=1),  # no second attempt
        sleep=clock.sleep,
        clock=clock,
        jitter=lambda: 0.0,
    )


def test_a_429_given_up_on_still_holds_the_endpoint() -> None:
    clock = Clock()
    transport = giving_up(Script([THROTTLED]), clock)
    assert transport.send(request()).status == 429
    assert transport.pacer.reserve("create_event") == pytest.approx(5.0)  # Klaviyo's wait


def test_a_429_given_up_on_gives_its_slot_back() -> None:
    # Klaviyo does not count a 429: the whole burst (350/s) is still free after it.
    clock = Clock()
    transport = giving_up(Script([json_response(429, {"errors": []})]), clock)
    assert transport.send(request()).status == 429
    assert [transport.pacer.reserve("create_event") for _ in range(350)] == [0.0] * 350


def test_server_errors_back_off_exponentially() -> None:
    clock = Clock()
    script = Script([RawResponse(503), RawResponse(502), RawResponse(500), RawResponse(202)])
    assert reliable(script, clock).send(request("bulk_subscribe_profiles")).status == 202
    assert clock.sleeps == [0.25, 0.5, 1.0]


def test_when_the_budget_runs_out_the_last_response_stands() -> None:
    clock = Clock()
    script = Script([THROTTLED] * 10)
    assert reliable(script, clock, budget=12).send(request()).status == 429
    assert clock.sleeps == [5.0, 5.0]  # a third wait would overrun 12 s


def test_a_timeout_is_retried_for_an_idempotent_write() -> None:
    clock = Clock()
    script = Script([RequestTimeoutError("read timed out"), RawResponse(202)])
    assert reliable(script, clock).send(request("create_event")).status == 202


def test_an_ambiguous_failure_is_not_retried_for_a_non_idempotent_write() -> None:
    clock = Clock()
    script = Script([RequestTimeoutError("read timed out"), RawResponse(201)])
    with pytest.raises(RequestTimeoutError):
        reliable(script, clock).send(request("create_list"))
    assert script.sent == 1


def test_a_connection_never_made_is_retried_for_anything() -> None:
    clock = Clock()
    script = Script([TransportError("refused", sent=False), RawResponse(201)])
    assert reliable(script, clock).send(request("create_list")).status == 201


def test_giving_up_raises_the_last_transport_error() -> None:
    clock = Clock()
    failures: list[Union[RawResponse, Exception]] = [TransportError(f"reset {i}") for i in range(6)]
    with pytest.raises(TransportError, match="reset 5"):
        reliable(Script(failures), clock).send(request("create_event"))


@pytest.mark.parametrize(
    ("headers", "params", "key"),
    [
        ((("Authorization", "Klaviyo-API-Key pk_0123456789abcdef"),), (), "pk_0123456789abcdef"),
        ((), (("company_id", "AbC123"),), "AbC123"),
    ],
    ids=["private", "public"],
)
def test_the_pacer_names_an_account_as_bulk_mode_does(
    headers: tuple[tuple[str, str], ...], params: tuple[tuple[str, str], ...], key: str
) -> None:
    # One account, one label: the pacing lanes and the bulk-mode buffer (whose spool holds
    # account_label of the private key) must name an account alike, and neither the key.
    sent = PreparedRequest("POST", "https://a.klaviyo.com/api/x", params, headers, None, "x")
    assert account_of(sent) == account_label(key)
    assert key not in account_of(sent)
    assert account_of(request()) == ""


# --- connection failures: their own budget, and honest logs ---------------------------------


class Outage(Script):
    """Every attempt fails to connect, taking ``cost`` seconds of the fake clock (a connect
    timeout; 0 for a refusal), after ``before`` answers."""

    def __init__(
        self,
        clock: Clock,
        cost: float,
        before: Sequence[RawResponse] = (),
        kind: type[TransportError] = TransportError,
    ) -> None:
        super().__init__(list(before))
        self.clock, self.cost, self.kind = clock, cost, kind
        self.began: list[float] = []

    def send(self, request: PreparedRequest) -> RawResponse:
        self.began.append(self.clock.now)
        answer = next(self.outcomes, None)
        if isinstance(answer, RawResponse):
            self.sent += 1
            return answer
        self.sent += 1
        self.clock.now += self.cost
        raise self.kind("connect failed", request, sent=False)


def defaults(script: Script, clock: Clock, jitter: float) -> ReliableTransport:
    return ReliableTransport(
        script,
        pacer=Pacer(clock=clock),
        policy=RetryPolicy(),  # the defaults: 120 s, 30 s for connection failures, 10 attempts
        sleep=clock.sleep,
        clock=clock,
        jitter=lambda: jitter,
    )


def timed(operation: str = "create_event", timeout: float = 3.05) -> PreparedRequest:
    return attrs.evolve(request(operation), timeout=(timeout, 30.0))


@pytest.mark.parametrize("jitter", [0.0, 0.5, 0.999])
@pytest.mark.parametrize("cost", [0.0, 3.05], ids=["refused", "connect_timeout"])
def test_a_call_that_cannot_connect_fails_within_30_s_by_default(
    jitter: float, cost: float
) -> None:
    # Before: 10 attempts and up to 120 s (9 waits of 0.25-30 s each, plus the connects).
    clock = Clock()
    outage = Outage(clock, cost, kind=RequestTimeoutError if cost else TransportError)
    with pytest.raises(TransportError):
        defaults(outage, clock, jitter).send(timed())
    assert clock.now <= 30.0
    # Each attempt began early enough for its whole connect timeout to fit.
    assert all(began + 3.05 <= 30.0 for began in outage.began)
    assert outage.sent > 3  # retried, not given up at once


def test_the_outage_is_counted_from_the_first_refusal_not_the_call() -> None:
    # Throttled twice for 50 s, then Klaviyo cannot be reached: the connect budget (30 s)
    # starts at the refusal, and the retry budget (120 s) still bounds the whole call.
    clock = Clock()
    wait_50 = json_response(429, {"errors": []}, (("retry-after", "50"),))
    outage = Outage(clock, 0.0, before=[wait_50, wait_50])
    with pytest.raises(TransportError):
        defaults(outage, clock, 0.5).send(timed())
    refused_at = outage.began[2]
    assert refused_at == 100.0
    assert outage.sent > 4  # the refusals were retried although 100 s had passed
    assert clock.now <= 120.0
    assert outage.began[-1] + 3.05 <= 120.0  # whichever budget is smaller governs


def test_a_response_ends_the_outage() -> None:
    # refused, 503, refused...: each answer shows Klaviyo reachable, so the connect budget
    # starts again; only the retry budget and max_attempts bound such a call.
    clock = Clock()
    answers: list[Union[RawResponse, Exception]] = [
        TransportError("refused", sent=False),
        RawResponse(503),
    ]
    script = Script(answers * 3 + [RawResponse(202)])
    # Waits of about 0.1, 0.2, 0.4, 0.4, 0.4, 0.4 s: the fifth attempt (refused) comes 1.1 s
    # into the call, past a connect budget of 1 s counted from the first refusal.
    policy = RetryPolicy(budget=120.0, connect_budget=1.0, base_delay=0.1, max_delay=0.4)
    transport = ReliableTransport(
        script,
        pacer=Pacer(clock=clock),
        policy=policy,
        sleep=clock.sleep,
        clock=clock,
        jitter=lambda: 0.999,
    )
    assert transport.send(request()).status == 202
    assert clock.now > 1.0


def records(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str]]:
    return [
        (r.levelno, r.getMessage())
        for r in caplog.records
        if r.name == "klaviyo_legacy_compat.upstream"
    ]


def test_the_first_retry_warns_the_next_ones_inform_and_giving_up_is_an_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="klaviyo_legacy_compat")
    clock = Clock()
    outage = Outage(clock, 3.05, kind=RequestTimeoutError)
    with pytest.raises(RequestTimeoutError):
        defaults(outage, clock, 0.0).send(timed())
    logged = records(caplog)
    levels = [level for level, _ in logged]
    assert levels == [logging.WARNING] + [logging.INFO] * (outage.sent - 2) + [logging.ERROR]
    first, last = logged[0][1], logged[-1][1]
    # Operation, what failed, the wait before the next attempt, the budget left.
    assert first == (
        "create_event (POST /api/x): RequestTimeoutError; attempt 2 in 0.25 s, "
        "26.9 s of connect_retry_budget left"
    )
    assert last.startswith(f"create_event (POST /api/x): giving up after {outage.sent} attempts")
    assert "RequestTimeoutError" in last
    assert "overrun connect_retry_budget" in last
    assert last.endswith("nothing was delivered")


def test_giving_up_on_what_may_have_been_applied_warns(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="klaviyo_legacy_compat")
    clock = Clock()
    script = Script([RawResponse(503)] * 6)
    assert reliable(script, clock).send(request()).status == 503
    assert [level for level, _ in records(caplog)] == [logging.WARNING] + [logging.INFO] * 4 + [
        logging.WARNING
    ]
    assert records(caplog)[0][1].startswith("create_event (POST /api/x): status 503; attempt 2")
    assert records(caplog)[-1][1] == (
        "create_event (POST /api/x): giving up after 6 attempts in 7.8 s: status 503; "
        "max_attempts reached; it may have been applied"
    )


def test_a_write_not_retried_after_an_ambiguous_failure_says_why(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="klaviyo_legacy_compat")
    clock = Clock()
    with pytest.raises(RequestTimeoutError):
        reliable(Script([RequestTimeoutError("read timed out")]), clock).send(
            request("create_list")
        )
    [(level, message)] = records(caplog)
    assert level == logging.WARNING
    assert "not retried: it may have been applied, and repeating it is not safe" in message


def test_success_and_client_errors_log_nothing(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="klaviyo_legacy_compat")
    clock = Clock()
    transport = reliable(Script([RawResponse(202), RawResponse(400)]), clock)
    transport.send(request())
    transport.send(request())
    assert records(caplog) == []


def test_the_logs_carry_no_key_and_no_query(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="klaviyo_legacy_compat")
    clock = Clock()
    sent = PreparedRequest(
        "GET",
        "https://a.klaviyo.com/client/x?company_id=AbC123",
        (("company_id", "AbC123"),),
        (("Authorization", "Klaviyo-API-Key pk_0123456789abcdef"),),
        None,
        "get_lists",
    )
    script = Script([TransportError("refused ?company_id=AbC123", sent=False)] * 6)
    with pytest.raises(TransportError):
        reliable(script, clock).send(sent)
    text = "\n".join(message for _, message in records(caplog))
    assert len(records(caplog)) == 6
    assert "get_lists (GET /client/x)" in text
    for secret in ("AbC123", "pk_0123456789abcdef", "company_id", "?"):
        assert secret not in text
