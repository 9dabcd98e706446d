"""Every row of the real-world table (legacy call shapes as public projects wrote them), run
live against LocalKlaviyo: the legacy return value and what the account holds afterwards."""

from __future__ import annotations

import attrs
import pytest
import requests

from tests.realworld import harness
from tests.realworld.harness import ABSENT, ANY, HTTP, EventStored, Includes, Row, match, run
from tests.realworld.rows import ROWS


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_row(row: Row) -> None:
    problems = run(row)
    assert not problems, f"{row.id} ({row.source}):\n  " + "\n  ".join(problems)


def test_rows_are_distinct_and_cited() -> None:
    ids = [row.id for row in ROWS]
    assert len(ids) == len(set(ids))
    for row in ROWS:
        # owner/repo and a file, or an issue thread: where the call shape was found.
        assert "/" in row.source.split()[0], row.id
        assert row.quirk and row.surface, row.id


def test_the_table_covers_sixteen_projects_and_every_surface() -> None:
    projects = {row.source.split()[0].split("@")[0].split("#")[0] for row in ROWS}
    assert len(projects) >= 16, sorted(projects)
    surfaces = {row.surface.split(" (")[0] for row in ROWS}
    assert {"klaviyo 3.1.7", "klaviyo 2.x", "klaviyo-sdk 1.0.9"} <= surfaces


# --- the harness can fail -------------------------------------------------------------------


def test_match_compares_the_way_legacy_callers_read_answers() -> None:
    assert match({"a": 1, "b": [2, 3], "c": None}, {"a": 1.0, "b": [2, 3]}) == []
    assert match({"a": True}, {"a": 1})  # a bool is not the number 1
    assert match("1", 1)  # nor is the text "1"
    assert match({"marker": 5}, {"marker": ABSENT})
    assert match({}, {"id": ANY})
    assert match([{"email": "a@x.io"}], Includes({"email": "b@x.io"}))
    assert match([1, 2], [1])


def test_a_row_with_a_wrong_return_and_a_missing_effect_fails() -> None:
    passing = next(row for row in ROWS if row.id == "gw_track_get_query_encoded")
    assert run(passing) == []
    wrong = attrs.evolve(
        passing,
        returns=HTTP(200, text="0"),
        store=(EventStored("ann@example.com", "Signed Up", count=2),),
    )
    problems = run(wrong)
    assert len(problems) == 2
    assert "expected '0', got '1'" in problems[0]
    assert "1 stored (expected 2)" in problems[1]


def test_nothing_a_row_lets_through_leaves_this_machine() -> None:
    with harness._loopback_only(), pytest.raises(AssertionError, match="would leave"):
        requests.get("https://a.klaviyo.com/api/track", params={"data": "e30="}, timeout=1)
