"""Reading cursor pages (``_translate._paging``): :func:`page`, the one step every reader of
a collection sends, and :func:`walk`, which follows ``links.next`` with it."""

from __future__ import annotations

import json
from typing import Any, Optional

import pytest

from klaviyo_legacy_compat._core.flow import Notice, Reply, Step, run
from klaviyo_legacy_compat._core.models import RawResponse
from klaviyo_legacy_compat._core.translate._jsonapi import dry_reply, planned
from klaviyo_legacy_compat._core.translate._paging import EMPTY_PAGE, Walk, page, walk

LISTS = planned("get_lists", params=(("page[size]", "10"),))
NOT_FOUND = dry_reply(404, {"errors": []})


def ignore(notice: Notice) -> None:
    del notice


def answer(body: Any, status: int = 200) -> RawResponse:
    return RawResponse(status, body=json.dumps(body).encode())


def next_link(cursor: str) -> dict[str, Any]:
    return {"next": f"https://a.klaviyo.com/api/lists?page%5Bcursor%5D={cursor}"}


class Recorder:
    """Answers each step with the next of ``answers`` and keeps the steps it was sent."""

    def __init__(self, *answers: RawResponse) -> None:
        self.answers = iter(answers)
        self.steps: list[Step] = []

    def __call__(self, step: Step) -> RawResponse:
        self.steps.append(step)
        return next(self.answers)


@pytest.mark.parametrize(
    ("cursor", "handles", "dry", "params"),
    [
        # The first page: the request as given, the empty last page for dry-run.
        (None, frozenset(), None, (("page[size]", "10"),)),
        # A later page: the cursor goes after the request's own parameters.
        ("abc", frozenset(), None, (("page[size]", "10"), ("page[cursor]", "abc"))),
        # What the caller handles and pretends are passed on as they are.
        (None, frozenset({404}), NOT_FOUND, (("page[size]", "10"),)),
        ("abc", frozenset({404}), NOT_FOUND, (("page[size]", "10"), ("page[cursor]", "abc"))),
    ],
)
def test_page_sends_one_step(
    cursor: Optional[str],
    handles: frozenset[int],
    dry: Optional[RawResponse],
    params: tuple[tuple[str, str], ...],
) -> None:
    recorder = Recorder(answer({"data": []}))
    given = {} if dry is None else {"dry": dry}  # None: leave dry-run's page to the default
    reply = run(page(LISTS, cursor, handles=handles, **given), recorder, ignore)
    (step,) = recorder.steps
    assert step.request.params == params
    assert step.request.path == LISTS.path
    assert step.handles == handles
    assert step.dry_run_reply == (EMPTY_PAGE if dry is None else dry)
    assert isinstance(reply, Reply)
    assert (reply.index, reply.request, reply.response.json()) == (0, step.request, {"data": []})


def test_empty_page_is_the_last_page() -> None:
    assert EMPTY_PAGE.json() == {"data": [], "links": {}}


def test_a_handled_status_is_returned_not_raised() -> None:
    reply = run(page(LISTS, None, handles=frozenset({404})), Recorder(answer({}, 404)), ignore)
    assert reply.response.status == 404


@pytest.mark.parametrize(
    ("answers", "max_pages", "expected", "cursors"),
    [
        # One page, the last.
        ([answer({"data": [1, 2]})], 5, Walk([1, 2], [], 0, True, None), [None]),
        # Two pages: items and included of both, the second read from the first's cursor.
        (
            [
                answer({"data": [1], "included": ["a"], "links": next_link("c2")}),
                answer({"data": [2], "included": ["b"], "links": {"next": None}}),
            ],
            5,
            Walk([1, 2], ["a", "b"], 1, True, None),
            [None, "c2"],
        ),
        # Stopped by max_pages: incomplete, with the cursor of the unread page.
        (
            [answer({"data": [1], "links": next_link("c2")})],
            1,
            Walk([1], [], 0, False, "c2"),
            [None],
        ),
        # Ill-typed parts read as nothing; an empty body ends the walk.
        ([answer({"data": {"id": "x"}, "included": "y"})], 5, Walk([], [], 0, True, None), [None]),
        ([RawResponse(200)], 5, Walk([], [], 0, True, None), [None]),
    ],
)
def test_walk(
    answers: list[RawResponse], max_pages: int, expected: Walk, cursors: list[Optional[str]]
) -> None:
    recorder = Recorder(*answers)
    assert run(walk(LISTS, max_pages=max_pages), recorder, ignore) == expected
    sent = [dict(step.request.params).get("page[cursor]") for step in recorder.steps]
    assert sent == cursors


def test_walk_stops_when_enough() -> None:
    recorder = Recorder(
        answer({"data": [1, 2], "links": next_link("c2")}),
        answer({"data": [3], "links": next_link("c3")}),
    )
    found = run(walk(LISTS, enough=lambda items: len(items) >= 2), recorder, ignore)
    assert found == Walk([1, 2], [], 0, False, "c2")


@pytest.mark.parametrize(
    ("dry_data", "expected"),
    [
        (None, EMPTY_PAGE),
        ([], EMPTY_PAGE),
        ([{"id": "L1"}], dry_reply(200, {"data": [{"id": "L1"}], "links": {}})),
    ],
)
def test_walk_dry_page(dry_data: Optional[list[Any]], expected: RawResponse) -> None:
    recorder = Recorder(answer({"data": []}))
    run(walk(LISTS, dry_data=dry_data), recorder, ignore)
    assert recorder.steps[0].dry_run_reply == expected
