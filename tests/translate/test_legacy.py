"""The helpers the legacy resource translators share (``_translate._legacy``): legacy times,
parameter parsing and the ``page``/``count`` answer."""

from __future__ import annotations

from typing import Any, Optional

import pytest

from klaviyo_legacy_compat._errors import TranslationError
from klaviyo_legacy_compat._translate._legacy import (
    PAGE_LIMIT,
    legacy_page,
    legacy_time,
    parse_flag,
    parse_id,
    parse_int,
    parse_page,
    parse_text,
    single,
)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("2024-05-01T12:00:00+00:00", "2024-05-01 12:00:00"),
        ("2024-05-01T12:00:00+02:00", "2024-05-01 10:00:00"),
        ("2024-05-01T12:00:00Z", "2024-05-01 12:00:00"),
        ("2024-05-01T12:00:00z", "2024-05-01 12:00:00"),
        (" 2024-05-01T12:00:00Z ", "2024-05-01 12:00:00"),
        ("2024-05-01T12:00:00", "2024-05-01 12:00:00"),
        # Python 3.9's fromisoformat reads only 3 or 6 fraction digits: any count is read.
        ("2024-05-01T12:00:00.5+02:00", "2024-05-01 10:00:00"),
        ("2024-05-01T12:00:00.123+02:00", "2024-05-01 10:00:00"),
        ("2024-05-01T12:00:00.123456Z", "2024-05-01 12:00:00"),
        ("2024-05-01T12:00:00.1234567Z", "2024-05-01 12:00:00"),
        ("yesterday", "yesterday"),
        ("{{send_time of campaign 01HC}}", "{{send_time of campaign 01HC}}"),
        ("", None),
        (None, None),
        (1714564800, None),
    ],
)
def test_times_are_written_as_v1_wrote_them_and_never_invented(
    given: Any, expected: Optional[str]
) -> None:
    assert legacy_time(given) == expected


@pytest.mark.parametrize(
    ("given", "layout", "expected"),
    [
        ("2024-02-03T04:05:06+00:00", "%Y-%m-%dT%H:%M:%SZ", "2024-02-03T04:05:06Z"),
        ("2024-02-03T04:05:06.5+02:00", "%Y-%m-%d %H:%M:%S+00:00", "2024-02-03 02:05:06+00:00"),
        ("2024-02-03T04:05:06.1234567Z", "%Y-%m-%d %H:%M:%S.%f", "2024-02-03 04:05:06.123456"),
        ("not a time", "%Y", "not a time"),
    ],
)
def test_times_take_the_layout_of_each_legacy_answer(
    given: str, layout: str, expected: str
) -> None:
    assert legacy_time(given, layout) == expected


@pytest.mark.parametrize(
    ("given", "expected"),
    [("x", "x"), (["x"], "x"), (("x",), "x"), ([], None), (None, None), ({"a": 1}, {"a": 1})],
)
def test_a_parameter_given_once_is_unwrapped(given: Any, expected: Any) -> None:
    assert single(given, "field") == expected


def test_a_parameter_given_several_times_is_refused_not_picked() -> None:
    with pytest.raises(TranslationError, match="given once, got 2 values") as caught:
        single(["a", "b"], "list_id")
    assert caught.value.field == "list_id"
    with pytest.raises(TranslationError, match="given once"):
        parse_text(["Hello", "Bye"], "subject")


@pytest.mark.parametrize(("given", "expected"), [("01H", "01H"), (" 01H ", "01H"), (42, "42")])
def test_ids(given: Any, expected: str) -> None:
    assert parse_id(given, "id") == expected


@pytest.mark.parametrize("given", [None, "", "  ", "a/b", True, 1.5])
def test_ids_that_cannot_stand_in_a_path_are_refused(given: Any) -> None:
    with pytest.raises(TranslationError, match="non-empty id"):
        parse_id(given, "id")


@pytest.mark.parametrize(
    ("given", "expected"), [("True", True), ("false", False), ("1", True), (None, None)]
)
def test_flags(given: Any, expected: Optional[bool]) -> None:
    assert parse_flag(given, "flag") == expected


@pytest.mark.parametrize(
    ("given", "expected"), [(None, 7), ("", 7), ([], 7), ("5", 5), (" 5 ", 5), ("+5", 5), (5, 5)]
)
def test_integers(given: Any, expected: int) -> None:
    assert parse_int(given, "count", 7, 1, 10) == expected


@pytest.mark.parametrize("given", ["five", "5.0", 5.0, True, "--5", "5", 0, 11])
def test_integers_out_of_range_or_not_integers_are_refused(given: Any) -> None:
    with pytest.raises(TranslationError, match=r"between 1 and 4 \(from 1 to 4 inclusive\)"):
        parse_int(given, "count", 2, 1, 4)


def test_an_integer_without_a_maximum() -> None:
    assert parse_int("100000", "count", 500, 1) == 100000
    with pytest.raises(TranslationError, match="at least 1"):
        parse_int("0", "count", 500, 1)


def test_the_legacy_page_and_count() -> None:
    assert parse_page({}) == (0, 50)
    assert parse_page({"page": "2", "count": "100"}) == (2, 100)
    assert parse_page({}, default_count=500) == (0, 500)
    # The maximum is the translator's (COUNT_LIMITS, leniency row count_clamped).
    assert parse_page({"count": "101"}) == (0, 101)
    with pytest.raises(TranslationError, match="at least 1"):
        parse_page({"count": "0"})
    with pytest.raises(TranslationError, match="page"):
        parse_page({"page": str(PAGE_LIMIT + 1)})


def test_the_legacy_page_answer() -> None:
    items = list(range(5))
    assert legacy_page(items, 1, 2, True) == {
        "object": "$list",
        "page": 1,
        "start": 2,
        "end": 3,
        "page_size": 2,
        "total": 5,
        "data": [2, 3],
    }
    past = legacy_page(items, 9, 2, False)
    assert (past["start"], past["end"], past["total"], past["data"]) == (18, 18, None, [])
