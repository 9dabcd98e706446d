"""The helpers the legacy resource translators share (``_translate._legacy``): legacy times
and the ``page``/``count`` answer."""

from __future__ import annotations

from typing import Any, Optional

import pytest

from klaviyo_legacy_compat._core.translate._legacy import legacy_page, legacy_time


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
