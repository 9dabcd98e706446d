"""The flow runner (``_flow.run``): replies with their indexes, error statuses thrown into
the flow unless it handles them, transport failures thrown in, and a parallel sender that
fails as a whole thrown in too, so the flow can say what was delivered before."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Callable

import pytest

from klaviyo_legacy_compat._core.errors import KlaviyoCompatError
from klaviyo_legacy_compat._core.flow import Flow, Outcome, Reply, Step, run, send, send_all
from klaviyo_legacy_compat._core.models import RawResponse
from klaviyo_legacy_compat._core.translate._jsonapi import planned

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


class Stop(Exception):
    """What a should_stop hook hands back."""


@pytest.mark.parametrize(
    ("stop_at", "expected"),
    [
        # Asked before every request (or group) with the number sent: the exception takes
        # the place of that request's answer, as a transport failure's would (the outcome of
        # each step of a group).
        (None, [(0, 200), (1, 200), (2, 200), (3, 200)]),
        (1, [(0, 200), "Stop", "Stop", "Stop"]),
        (2, [(0, 200), (1, 200), "Stop", "Stop"]),
    ],
)
def test_should_stop_is_thrown_into_the_flow_in_place_of_a_send(
    stop_at: Any, expected: list[Any]
) -> None:
    def should_stop(sent: int) -> Any:
        return Stop() if stop_at is not None and sent >= stop_at else None

    def collect_stops() -> Flow[list[Any]]:
        seen: list[Any] = []
        for _ in range(2):
            try:
                reply = yield from send(LISTS)
                seen.append((reply.index, reply.response.status))
            except Stop:
                seen.append("Stop")
        outcomes = yield from send_all([LISTS, LISTS])
        seen += [
            (o.index, o.response.status) if isinstance(o, Reply) else type(o).__name__
            for o in outcomes
        ]
        return seen

    sent: list[Step] = []

    def transmit(step: Step) -> RawResponse:
        sent.append(step)
        return RawResponse(200)

    assert run(collect_stops(), transmit, lambda n: None, should_stop=should_stop) == expected
    assert len(sent) == sum(1 for item in expected if isinstance(item, tuple))


def test_a_stop_part_way_through_a_chunked_call_says_what_was_sent() -> None:
    from klaviyo_legacy_compat import CompatClient
    from klaviyo_legacy_compat._core.errors import PartialDeliveryError

    client = CompatClient(
        dry_run=True, private_key="pk_test_0123456789abcdef", subscribe_chunk_size=1
    )
    profiles = [{"email": f"p{n}@example.com"} for n in range(3)]
    stop = client.call_scope(should_stop=lambda sent: Stop() if sent >= 3 else None)
    with stop as scope, pytest.raises(PartialDeliveryError) as raised:
        client.subscribe_to_list("XyZ", profiles, max_concurrency=1, member_ids=False)
    assert list(raised.value.accepted) == ["profiles[0:2]"]
    assert [p["email"] for p in raised.value.undelivered] == ["p2@example.com"]
    assert isinstance(raised.value.__cause__, Stop)
    assert scope.operations == ["get_list", "bulk_subscribe_profiles", "bulk_subscribe_profiles"]
