"""ReliableTransport: the retry loop with a fake clock and sleep, against a scripted transport."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Union

import pytest

from klaviyo_legacy_compat import PreparedRequest, RawResponse
from klaviyo_legacy_compat._credentials import account_label
from klaviyo_legacy_compat._pacing import Pacer
from klaviyo_legacy_compat._retry import RetryPolicy
from klaviyo_legacy_compat._transport import (
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
