"""The flow runner (``_flow.run``): replies with their indexes, error statuses thrown into
the flow unless it handles them, transport failures thrown in, and a parallel sender that
fails as a whole thrown in too, so the flow can say what was delivered before."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Callable

import pytest

from klaviyo_legacy_compat._errors import KlaviyoCompatError
from klaviyo_legacy_compat._flow import Flow, Outcome, Reply, Step, run, send, send_all
from klaviyo_legacy_compat._models import RawResponse
from klaviyo_legacy_compat._translate._jsonapi import planned

LISTS = planned("get_lists")


def answering(*statuses: int) -> Callable[[Step], RawResponse]:
    answers = iter(statuses)
    return lambda step: RawResponse(next(answers))


def collect() -> Flow[list[Any]]:
    """Two single steps (the second handles 409), then two in parallel: what each gave."""
    seen: list[Any] = []
    for handles in (frozenset(), frozenset({409})):
        try:
            reply = yield from send(Step(LISTS, handles=handles))
            seen.append((reply.index, reply.response.status))
        except KlaviyoCompatError as exc:
            seen.append(type(exc).__name__)
    try:
        outcomes = yield from send_all([LISTS, LISTS])
        seen += [
            (o.index, o.response.status) if isinstance(o, Reply) else type(o).__name__
            for o in outcomes
        ]
    except RuntimeError as exc:
        seen.append(f"parallel failed: {exc}")
    return seen


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ((200, 200, 200, 200), [(0, 200), (1, 200), (2, 200), (3, 200)]),
        # An error status the step does not handle is thrown in; one it handles is a reply.
        ((404, 409, 200, 200), ["NotFoundError", (1, 409), (2, 200), (3, 200)]),
        ((200, 200, 500, 200), [(0, 200), (1, 200), "ServerError", (3, 200)]),
    ],
)
def test_replies_and_error_statuses(statuses: tuple[int, ...], expected: list[Any]) -> None:
    assert run(collect(), answering(*statuses), lambda n: None) == expected


def test_a_transport_failure_is_thrown_into_the_flow() -> None:
    def failing(step: Step) -> RawResponse:
        raise OSError("connection refused")

    def flow() -> Flow[str]:
        try:
            yield from send(LISTS)
        except OSError as exc:
            return f"caught {exc}"
        return "not reached"

    assert run(flow(), failing, lambda n: None) == "caught connection refused"


def test_a_parallel_sender_that_fails_whole_is_thrown_into_the_flow() -> None:
    def broken(
        steps: Sequence[Step], first: int, transmit: Callable[[Step], RawResponse]
    ) -> list[Outcome]:
        raise RuntimeError("cannot schedule new futures after shutdown")

    seen = run(collect(), answering(200, 200), lambda n: None, broken)
    assert seen == [
        (0, 200),
        (1, 200),
        "parallel failed: cannot schedule new futures after shutdown",
    ]
