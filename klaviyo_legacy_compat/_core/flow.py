"""Flows: translators written as generators, driven by one runner (httpx ``auth_flow``).

A translator that needs an answer before its next request (identify's 409 fallback,
unsubscribe's membership lookup) is a generator: it yields a request, receives the reply,
and finally returns the legacy result. It never does I/O itself::

    def plan_something(call) -> Flow[int]:
        yield from notice("a behaviour difference")
        reply = yield from send(PlannedRequest(...))
        return 1

:func:`run` drives a flow. Live mode passes a sender that prepares and transmits; dry-run
passes one that records the request and answers with the step's ``dry_run_reply`` (a
happy-path answer the translator supplies, with ``{{...}}`` placeholders), so both modes run
the very same translator code. An error status the step does not ``handles`` is turned
into an exception and thrown *into* the flow, so a chunked translator can say what was
delivered before the failure (``PartialDeliveryError``).
"""

from __future__ import annotations

import logging
from collections.abc import Generator, Iterable, Sequence
from datetime import datetime, timezone
from typing import Any, Callable, Optional, TypeVar, Union

import attrs

from .endpoints import endpoint
from .errors import error_from_response
from .models import PlannedRequest, RawResponse

__all__ = [
    "Flow",
    "Notice",
    "Now",
    "Outcome",
    "Parallel",
    "Pause",
    "Reply",
    "Step",
    "notice",
    "notices",
    "now",
    "pause",
    "run",
    "send",
    "send_all",
    "sequentially",
]

T = TypeVar("T")


@attrs.frozen
class Step:
    """A request plus how the runner treats it.

    ``handles``: error statuses the flow inspects itself instead of raising (identify's
    409). ``dry_run_reply``: what dry-run answers; by default the operation's first
    success status with an empty body.
    """

    request: PlannedRequest
    handles: frozenset[int] = frozenset()
    dry_run_reply: Optional[RawResponse] = None


@attrs.frozen
class Notice:
    """A behaviour difference the caller must know about: a plan warning in dry-run, a log
    record in live mode, at ``level`` (``logging.WARNING`` unless the difference is routine,
    such as routing to a client endpoint, which logs at ``logging.INFO``)."""

    text: str
    level: int = logging.WARNING
    #: The row of the leniency table (``_leniency.LENIENCY``) for a normalisation, or the
    #: kind of a note on the keys (``_credentials``); live, the first of each kind in a
    #: process is logged at its level and later ones at DEBUG.
    kind: Optional[str] = None


@attrs.frozen
class Parallel:
    """Independent steps the runner may send at once (the chunks of a large subscribe). The
    flow receives one outcome per step, in order: a :class:`Reply`, or the exception that
    step ended with (an error status the step does not handle is already an exception)."""

    steps: tuple[Step, ...]


@attrs.frozen
class Pause:
    """Wait ``seconds`` before the flow goes on (between polls of a bulk job's status). The
    live runner sleeps; dry-run, which only records, does not."""

    seconds: float


@attrs.frozen
class Now:
    """Ask the runner for the time of the call (an aware UTC datetime). Legacy defaults that
    depend on the day of the call (a metric export's window) stay pure this way: the runner
    answers from the client's clock, in live mode and dry-run alike."""


@attrs.frozen
class Reply:
    """The answer to ``request``, the one at position ``index`` of the call's requests."""

    index: int
    request: PlannedRequest
    response: RawResponse


Outcome = Union["Reply", BaseException]
Yielded = Union[PlannedRequest, Step, Notice, Parallel, Pause, Now]
Flow = Generator[Yielded, Any, T]


def send(
    request: Union[PlannedRequest, Step],
) -> Generator[Yielded, Optional[Reply], Reply]:
    """``reply = yield from send(request)`` inside a flow."""
    reply = yield request
    if reply is None:  # pragma: no cover - the runner always answers a request
        raise RuntimeError("flow runner answered a request with nothing")
    return reply


def send_all(
    steps: Sequence[Union[PlannedRequest, Step]],
) -> Generator[Yielded, Any, tuple[Outcome, ...]]:
    """``outcomes = yield from send_all(requests)``: independent requests, maybe at once."""
    if not steps:
        return ()
    outcomes = yield Parallel(tuple(s if isinstance(s, Step) else Step(s) for s in steps))
    return tuple(outcomes)


def notice(text: str, level: int = logging.WARNING) -> Generator[Yielded, Optional[Reply], None]:
    """``yield from notice("...")`` inside a flow."""
    yield Notice(text, level)


def notices(items: Iterable[Notice]) -> Generator[Yielded, Optional[Reply], None]:
    """``yield from notices(...)``: notices built outside the flow (a parser's findings)."""
    yield from items


def now() -> Generator[Yielded, Any, datetime]:
    """``moment = yield from now()`` inside a flow: the time of the call."""
    moment = yield Now()
    if not isinstance(moment, datetime):  # pragma: no cover - the runner always answers
        raise RuntimeError("flow runner answered Now with no time")
    return moment


def pause(seconds: float) -> Generator[Yielded, Optional[Reply], None]:
    """``yield from pause(2.0)`` inside a flow."""
    yield Pause(seconds)


def default_reply(request: PlannedRequest) -> RawResponse:
    """Dry-run's answer when a step gives none: the first documented success status."""
    return RawResponse(status=endpoint(request.operation).success[0])


def _one(step: Step, index: int, transmit: Callable[[Step], RawResponse]) -> Outcome:
    try:
        response = transmit(step)
    except Exception as exc:
        return exc
    if not response.ok and response.status not in step.handles:
        return error_from_response(response, step.request)
    return Reply(index, step.request, response)


def sequentially(
    steps: Sequence[Step], first_index: int, transmit: Callable[[Step], RawResponse]
) -> list[Outcome]:
    """The default way to send a :class:`Parallel`: one after the other."""
    return [_one(step, first_index + i, transmit) for i, step in enumerate(steps)]


def run(
    flow: Flow[T],
    transmit: Callable[[Step], RawResponse],
    on_notice: Callable[[Notice], None],
    transmit_all: Optional[
        Callable[[Sequence[Step], int, Callable[[Step], RawResponse]], list[Outcome]]
    ] = None,
    sleep: Optional[Callable[[float], None]] = None,
    clock: Optional[Callable[[], datetime]] = None,
    should_stop: Optional[Callable[[int], Optional[BaseException]]] = None,
) -> T:
    """Drive ``flow`` to its result, sending each step with ``transmit``.

    ``transmit`` may raise (a transport failure, a missing key); the exception is thrown
    into the flow, which may wrap it with what was delivered so far. ``transmit_all`` sends
    the steps of a :class:`Parallel` (the client passes a bounded thread pool; by default
    they go one after the other). ``sleep`` carries out a :class:`Pause`; without it (dry-run)
    a pause is skipped. ``clock`` answers :class:`Now` (by default the current UTC time).

    ``should_stop`` is asked before each request (or group of parallel requests) with the
    number of requests sent so far; an exception it returns stands for the answer instead of
    sending, as a transport failure would (thrown into the flow for one request, the outcome
    of each step of a :class:`Parallel`; those requests count as sent). So a caller can stop a
    call whose answer nobody waits for any more (a gateway's client went away, a deadline
    passed) and the flow still says what was delivered before (a chunked call's
    ``PartialDeliveryError``): nothing half done is hidden.
    """
    index = 0
    try:
        item = next(flow)
        while True:
            if should_stop is not None and isinstance(item, (PlannedRequest, Step, Parallel)):
                stop = should_stop(index)
                if stop is not None:
                    if isinstance(item, Parallel):  # each step ends with it, as if it failed
                        index += len(item.steps)
                        item = flow.send(tuple(stop for _ in item.steps))
                    else:
                        index += 1
                        item = flow.throw(stop)
                    continue
            if isinstance(item, Notice):
                on_notice(item)
                item = flow.send(None)
                continue
            if isinstance(item, Now):
                item = flow.send(clock() if clock is not None else datetime.now(timezone.utc))
                continue
            if isinstance(item, Pause):
                if sleep is not None:
                    sleep(item.seconds)
                item = flow.send(None)
                continue
            if isinstance(item, Parallel):
                first, index = index, index + len(item.steps)
                try:
                    outcomes = (transmit_all or sequentially)(item.steps, first, transmit)
                except Exception as exc:
                    # The sender itself failed (not one step's answer): the flow hears of it
                    # as of a transport failure, so it can say what was delivered before.
                    item = flow.throw(exc)
                    continue
                item = flow.send(tuple(outcomes))
                continue
            step = item if isinstance(item, Step) else Step(item)
            outcome = _one(step, index, transmit)
            index += 1
            item = flow.throw(outcome) if isinstance(outcome, BaseException) else flow.send(outcome)
    except StopIteration as stop:
        result: T = stop.value
        return result
