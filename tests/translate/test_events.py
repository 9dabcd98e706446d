"""Legacy track → create_event: the table in fixtures/translate/track.json, one row per quirk."""

from __future__ import annotations

from typing import Any

import pytest

from klaviyo_legacy_compat._core.bodies import ProfileAttributes
from klaviyo_legacy_compat._core.translate.events import derived_unique_id
from tests import cases


@pytest.mark.parametrize("row", cases.load("track"))
def test_track(row: dict[str, Any]) -> None:
    cases.check(row)


BASE = (
    "Viewed",
    ProfileAttributes(email="a@example.com"),
    {"sku": "B-1"},
    "2024-05-01T12:00:00.000001+00:00",
)


@pytest.mark.parametrize(
    ("changed", "position", "value"),
    [
        ("metric", 0, "Ordered"),
        ("profile", 1, ProfileAttributes(email="b@example.com")),
        ("external id", 1, ProfileAttributes(email="a@example.com", external_id="7")),
        ("properties", 2, {"sku": "B-2"}),
        ("time", 3, "2024-05-01T12:00:00.000002+00:00"),
    ],
)
def test_the_derived_unique_id_tells_distinct_events_apart(
    changed: str, position: int, value: Any
) -> None:
    varied: list[Any] = list(BASE)
    varied[position] = value
    assert derived_unique_id(*varied) != derived_unique_id(*BASE), changed


def test_the_derived_unique_id_is_stable_for_a_retry() -> None:
    again = (
        BASE[0],
        ProfileAttributes(email="a@example.com", first_name="Ann"),
        {"sku": "B-1"},
        BASE[3],
    )
    assert derived_unique_id(*BASE) == derived_unique_id(*BASE) == derived_unique_id(*again)
    assert derived_unique_id(*BASE).startswith("lc-") and len(derived_unique_id(*BASE)) == 35
